/*
 * compact_avro.h - the fields of an Iceberg manifest entry that compaction
 * and expiry need (records read by avro_ocf_each, lake/avro.h).
 */
#ifndef DOSQL_LAKE_COMPACT_AVRO_H
#define DOSQL_LAKE_COMPACT_AVRO_H

#include <avro.h>
#include <stdbool.h>
#include <stdint.h>

/* What compaction and expiry need of one manifest_entry. */
typedef struct LakeEntry {
	int status;  /* 0 EXISTING, 1 ADDED, 2 DELETED */
	int content; /* 0 data, 1 position deletes, 2 equality deletes */
	const char *path; /* borrowed from the record: file_path as stored */
	int64_t snap;
	long seq;
	int32_t day; /* partition dt or key_bucket, 0 when unpartitioned */
	int64_t rows, size;
} LakeEntry;

bool lake_avro_entry(avro_value_t *rec, LakeEntry *e) __attribute__((warn_unused_result));

#endif
