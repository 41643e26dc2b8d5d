/*
 * config.h - dosql-lake's JSON configuration: one table of settings with
 * their defaults (the integration guide's), read from one file; a bad value
 * is refused naming the file and the key.
 */
#ifndef DOSQL_LAKE_CONFIG_H
#define DOSQL_LAKE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lake/parquet.h"
#include "lake/store.h"

typedef enum LakeMode { LAKE_CHANGELOG, LAKE_MIRROR } LakeMode;

typedef struct LakeConfig {
	char *source;      /* libpq conninfo of the router (owned) */
	char *slot;        /* owned */
	char *publication; /* owned; created FOR ALL TABLES when missing */
	char **tables;     /* owned, NULL-terminated; NULL: every table of the publication */
	char *warehouse;   /* owned: a directory (absolute, or relative to the config file) or s3://bucket/prefix */
	char *namespace_;  /* owned */
	LakeMode mode;
	int64_t mirror_buckets; /* mirror tables made: partitioned by bucket[N] of the key; 0: unpartitioned */
	int64_t flush_threshold_events;
	int64_t flush_threshold_bytes;
	int64_t flush_threshold_ms;
	int64_t flush_interval_ms;
	int64_t max_buffer_size;
	int64_t parquet_row_group_size;
	PqCodec compression;
	int64_t dedup_window_ms;
	char *http_host; /* owned; NULL: no HTTP endpoint */
	int http_port;
	/* compaction and snapshot expiry (lake/compact.h) */
	int64_t min_files_threshold;
	int64_t target_file_size_bytes;
	int64_t max_files_per_compaction;
	int64_t min_partition_age_ms;
	int64_t compaction_interval_ms; /* 0: only on request */
	int64_t snapshot_retention_ms;
	int64_t min_snapshots_to_keep;
	LakeS3 s3; /* for an s3:// warehouse: the "s3" object, else AWS_* variables */
} LakeConfig;

/* Loads file into c (defaults for absent keys); prints what is wrong to
 * stderr and returns false on a bad file. */
bool lake_config_load(const char *file, LakeConfig *c) __attribute__((warn_unused_result));
void lake_config_cleanup(LakeConfig *c);
/* True when table is one the configuration follows. */
bool lake_config_follows(const LakeConfig *c, const char *table);

#endif
