/*
 * compact_avro.h - reading Iceberg manifests and manifest lists record by
 * record (Avro C's file reader), for compaction and expiry.
 */
#ifndef DOSQL_LAKE_COMPACT_AVRO_H
#define DOSQL_LAKE_COMPACT_AVRO_H

#include <avro.h>
#include <stdbool.h>
#include <stdint.h>

/* Calls fn on every record of the Avro container file at path; false
 * (with a message in err unless fn failed) when the file cannot be read or
 * fn returns false. */
bool lake_avro_each(const char *path, bool (*fn)(avro_value_t *rec, void *arg), void *arg, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* What compaction and expiry need of one manifest_entry. */
typedef struct LakeEntry {
	int status;  /* 0 EXISTING, 1 ADDED, 2 DELETED */
	int content; /* 0 data, 1 position deletes, 2 equality deletes */
	const char *path; /* borrowed from the record: file_path as stored */
	int64_t snap;
	long seq;
	int32_t day; /* partition dt, 0 when unpartitioned */
	int64_t rows, size;
} LakeEntry;

bool lake_avro_entry(avro_value_t *rec, LakeEntry *e) __attribute__((warn_unused_result));
/* manifest_path of a manifest-list record, borrowed; NULL when absent. */
const char *lake_avro_manifest_path(avro_value_t *rec);
/* The local path of a file:// location. */
const char *lake_local_path(const char *uri);

#endif
