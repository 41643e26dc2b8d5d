/*
 * store.h - where the warehouse's files live: a local directory, or an
 * S3-compatible object store over HTTP (libcurl, which signs the requests
 * with AWS Signature Version 4).  A location is a filesystem path or an
 * s3://bucket/key URI; the backend follows from it.
 *
 * The commit point of a table is store_put_if_absent: link() locally; on
 * S3 a conditional PUT (If-None-Match: *) where the server honours it,
 * else a lock object of the table (see store.c).
 */
#ifndef DOSQL_LAKE_STORE_H
#define DOSQL_LAKE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

typedef struct LakeS3 {
	char *endpoint;          /* owned: "http://host:port"; NULL: https://s3.<region>.amazonaws.com */
	char *region;            /* owned */
	char *access_key_id;     /* owned */
	char *secret_access_key; /* owned */
	bool path_style;         /* https://endpoint/bucket/key rather than https://bucket.endpoint/key */
} LakeS3;

typedef enum StoreResult { STORE_OK, STORE_EXISTS, STORE_MISSING, STORE_ERROR } StoreResult;

/* How S3 commits are made (store_s3_commit_method). */
typedef enum StoreCommit { STORE_COMMIT_UNKNOWN, STORE_COMMIT_CONDITIONAL, STORE_COMMIT_LOCK } StoreCommit;

/* Sets the S3 settings (copied) and the owner name written in lock
 * objects; call once at start-up before any s3:// location is used. */
bool store_init(const LakeS3 *s3, const char *owner, char *err, size_t errlen) __attribute__((warn_unused_result));
void store_shutdown(void);
/* The owner name given to store_init ("dolake" before it), or the one
 * the calling thread set with store_thread_owner. */
const char *store_owner(void);
/* A thread other than the one that called store_init writes as owner name
 * (borrowed; a writer of its own: its own commit journals and S3 locks),
 * and before it ends frees what the store keeps for it. */
void store_thread_owner(const char *name);
void store_thread_end(void);
/* Finds out, under warehouse (an s3:// URI), whether the server honours
 * If-None-Match: * on PUT; a no-op for a local warehouse. */
bool store_probe(const char *warehouse, char *err, size_t errlen) __attribute__((warn_unused_result));
StoreCommit store_s3_commit_method(void);

bool store_is_s3(const char *loc);
/* The URI the metadata stores for loc: file://path, or loc itself. */
char *store_uri(const char *loc);
/* The location of a URI the metadata stores (file:// dropped). */
const char *store_loc(const char *uri);

/* Writes the whole object (replacing it; locally through a temporary
 * file, fsynced, renamed). */
bool store_put(const char *loc, const void *data, size_t len, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Puts the contents of the local file path at loc: locally by rename()
 * (a copy across filesystems), on S3 streamed in one PUT. */
bool store_put_file(const char *loc, const char *path, char *err, size_t errlen) __attribute__((warn_unused_result));
/* Writes loc only if it does not exist (STORE_EXISTS then): the commit point. */
StoreResult store_put_if_absent(const char *loc, const void *data, size_t len, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Reads the whole object into out (appended); STORE_MISSING when absent. */
StoreResult store_get(const char *loc, Buf *out, char *err, size_t errlen) __attribute__((warn_unused_result));
/* Removes loc; a missing object is no error. */
bool store_delete(const char *loc);
/* Calls fn with the name (after dir/) of every object directly or deeper
 * under the folder dir. */
typedef void (*StoreListFn)(void *arg, const char *name);
bool store_list(const char *dir, StoreListFn fn, void *arg, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Makes the directory (and parents) locally; nothing on S3. */
bool store_mkdirs(const char *dir);
/* fsyncs the directory locally; nothing on S3. */
bool store_sync_dir(const char *dir);

#endif
