/*
 * store_s3.h - the S3 backend of lake/store.h: objects over HTTP with
 * libcurl, requests signed with AWS Signature Version 4 (CURLOPT_AWS_SIGV4).
 * Locations are s3://bucket/key.
 */
#ifndef DOSQL_LAKE_STORE_S3_H
#define DOSQL_LAKE_STORE_S3_H

#include "lake/store.h"

/* PUT of the whole object; with if_absent, STORE_EXISTS when it exists
 * (a conditional PUT, or under the lock of its folder). */
StoreResult s3_put(const char *loc, const void *data, size_t len, bool if_absent, char *err, size_t errlen);
/* PUT of the local file path, streamed (its SHA-256 read first). */
bool s3_put_file(const char *loc, const char *path, char *err, size_t errlen);
StoreResult s3_get(const char *loc, Buf *out, char *err, size_t errlen);
bool s3_delete(const char *loc);
bool s3_list(const char *dir, StoreListFn fn, void *arg, char *err, size_t errlen);

#endif
