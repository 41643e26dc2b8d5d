/*
 * iceberg.h - one Apache Iceberg v2 table on the local filesystem:
 * <warehouse>/<namespace>/<table>/metadata/{vN.metadata.json,
 * version-hint.text, snap-<id>-1-<uuid>.avro, <uuid>-m0.avro} and
 * data/dt=YYYY-MM-DD/<uuid>.parquet (mirror tables: data/<uuid>.parquet, or
 * data/key_bucket=N/<uuid>.parquet), committed as append snapshots whose
 * summary records the last source LSN they hold (dosql.lsn).
 *
 * Specification: Apache Iceberg Table Spec, format version 2 ("Table
 * Metadata", "Manifests", "Manifest Lists", "Snapshots", "Appendix C: JSON
 * serialization", "Appendix D: Single-value serialization").
 */
#ifndef DOSQL_LAKE_ICEBERG_H
#define DOSQL_LAKE_ICEBERG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lake/parquet.h"

typedef struct IceColumn {
	char *name; /* owned */
	int id;
	char *type; /* owned: the Iceberg type ("long", "decimal(10,2)") */
	bool required;
} IceColumn;

/* One entry of a manifest list. */
typedef struct IceManifest {
	char *path; /* owned */
	long length;
	int spec_id, content;
	long seq, min_seq, snapshot_id;
	int added_files, existing_files, deleted_files;
	long added_rows, existing_rows, deleted_rows;
	bool part_summary;  /* partitions[0] present */
	bool part_null;
	bool part_bounds;
	int32_t part_lower, part_upper; /* days */
} IceManifest;

typedef struct IceTable {
	char *name;     /* owned */
	char *dir;      /* owned: the table's directory */
	json_t *meta;   /* owned: current metadata, NULL before the first commit */
	int version;    /* N of the current vN.metadata.json, 0 before the first */
	IceColumn *cols; /* owned: the current schema */
	int ncols;
	int last_column_id;
	bool schema_changed; /* columns added since the last commit */
	IceManifest *manifests; /* owned: the current snapshot's manifest list */
	int nmanifests;
	uint64_t lsn; /* dosql.lsn of the current snapshot (0: none) */
	int64_t snapshot_id;
	int64_t snapshot_ms; /* when the current snapshot was committed */
	int64_t files, rows; /* in the current snapshot */
	bool mirror;         /* with identifier fields and equality deletes */
	int buckets;         /* mirror: partitioned by bucket[buckets] of the first identifier field (0: not) */
	int ident[8];        /* identifier field ids (the primary key) */
	int nident;
	char *pending_manifest, *pending_deletes, *pending_list; /* owned: named by ice_table_begin */
	int64_t pending_snap;
} IceTable;

/* A file written for a commit: data, or equality deletes on the
 * table's identifier fields. */
typedef struct IceDataFile {
	char *path; /* owned, absolute */
	PqFileStats stats;
	int32_t day;  /* partition value (changelog): days since 1970-01-01 */
	bool deletes; /* an equality delete file */
} IceDataFile;

/* The column every changelog table starts with; _commit_ts partitions it by day. */
#define ICE_COMMIT_TS "_commit_ts"

/*
 * Opens (or prepares to create) table `name` under warehouse/namespace:
 * reads the newest vN.metadata.json (the version hint is only a hint),
 * its schema, its snapshot's dosql.lsn and manifest list, and removes the
 * files of this writer's commit that did not finish (its journal,
 * metadata/inflight-<owner>.json, owner as given to store_init).
 */
bool ice_table_open(IceTable *t, const char *warehouse, const char *ns, const char *name, bool mirror, char *err,
	size_t errlen) __attribute__((warn_unused_result));
/* The most buckets a mirror table is partitioned by. */
#define ICE_MAX_BUCKETS 32
/* A mirror table made by the next commit is partitioned by bucket[n] of
 * its first identifier field (an existing table keeps its own spec). */
void ice_table_set_buckets(IceTable *t, int n);
bool ice_table_partitioned(const IceTable *t);
/* Whether Iceberg's bucket transform takes a column of type (not bool,
 * float, double); the bucket of a value given as its Parquet PLAIN bytes,
 * and its 32-bit hash (Table Spec, Appendix B). */
bool ice_bucket_type(const LakeType *type);
int ice_bucket(const LakeType *type, const uint8_t *plain, size_t len, int n);
int32_t ice_bucket_hash(const LakeType *type, const uint8_t *plain, size_t len);
/* Sets the identifier fields (mirror tables: the primary key's field ids). */
void ice_table_set_identifiers(IceTable *t, const int *ids, int n);
void ice_table_close(IceTable *t);
/* The field id of column name, added to the schema (as optional) when new. */
int ice_table_column(IceTable *t, const char *name, const char *type, bool required);
/* A new data file path: for partition day (in t->dir/data/dt=.../) in a
 * changelog table, in t->dir/data/ in a mirror table (with buckets, day is
 * the bucket: t->dir/data/key_bucket=N/); made unique. */
char *ice_table_data_path(IceTable *t, int32_t day);
/* Records the files about to be written, so a crash before the commit
 * leaves nothing behind on the next open. */
bool ice_table_begin(IceTable *t, char *const *paths, int n, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Commits files as one snapshot holding changes up to lsn: an append, or
 * with replace (a TRUNCATE in a mirror table) an overwrite that drops every
 * earlier file.  When another writer made the version first, the table's
 * newest version is read again and the commit follows it (up to
 * ICE_COMMIT_ATTEMPTS times), unless that writer changed the schema or its
 * snapshot holds changes up to lsn or later. */
#define ICE_COMMIT_ATTEMPTS 8
bool ice_table_commit(IceTable *t, const IceDataFile *files, int n, uint64_t lsn, bool replace, char *err,
	size_t errlen) __attribute__((warn_unused_result));

/*
 * For rewrites of a table (lake/compact.c): a manifest's container with
 * the table's schema in its header; the manifest of the data files given
 * (ADDED by the snapshot of sequence number seq, their data sequence
 * number data_seq: a rewrite's files keep the number of the version they
 * were read from, so deletes committed after it still apply to them,
 * Table Spec "Sequence Numbers"); a manifest list of exactly the manifests given; and a new
 * metadata version (meta, taken over) committed as ice_table_commit does.
 */
#include "lake/avro.h"
bool ice_manifest_init(const IceTable *t, AvroOcf *o, bool deletes, int schema_id, char *err, size_t errlen)
	__attribute__((warn_unused_result));
bool ice_write_data_manifest(IceTable *t, const IceDataFile *files, int n, const char *path, int64_t snap,
	long data_seq, long seq, int schema_id, long *len, char *err, size_t errlen) __attribute__((warn_unused_result));
bool ice_write_manifest_list(IceTable *t, const IceManifest *m, int n, const char *path, int64_t snap, long seq,
	char *err, size_t errlen) __attribute__((warn_unused_result));
/* *lost when another writer made the version first (meta is dropped). */
bool ice_table_write_version(IceTable *t, json_t *meta, int64_t ms, bool *lost, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Reads the table's newest version and its snapshot again (not its
 * columns); false when there is none newer than the one t has. */
bool ice_table_reload(IceTable *t, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Reads the manifest list at uri (as the metadata stores it) into *out
 * (owned, *n entries; free with ice_manifests_free). */
bool ice_read_manifest_list(const char *uri, IceManifest **out, int *n, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void ice_manifests_free(IceManifest *m, int n);

/* A random version 4 UUID in its text form (37 bytes with the NUL). */
void ice_uuid(char out[37]);
/* pq_write_file to loc: a local path directly, an s3:// one written to
 * /tmp first and put whole. */
bool ice_write_parquet(const char *loc, const PqColumn *cols, int ncols, size_t rows, PqGetFn get, void *arg,
	const PqOptions *opt, PqFileStats *stats, char *err, size_t errlen) __attribute__((warn_unused_result));
/* mkdir -p */
bool ice_mkdirs(const char *path);

#endif
