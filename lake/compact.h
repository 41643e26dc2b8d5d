/*
 * compact.h - compaction and snapshot expiry of the warehouse's tables.
 *
 * Compaction: per partition (day; the key's bucket, or the whole table, in
 * a mirror table), when at least
 * minFilesThreshold data files smaller than targetFileSizeBytes were added
 * at least minPartitionAgeMs ago, up to maxFilesPerCompaction of them
 * (oldest first) are rewritten into files of about targetFileSizeBytes and
 * committed as one `replace` snapshot per table: the new files ADDED, the
 * old ones as DELETED entries, the snapshot's dosql.lsn unchanged.  The
 * new files are in the commit's journal (metadata/inflight.json) before
 * they are written, so a crash before the commit leaves nothing behind.
 * In mirror tables the rewrite leaves out the rows an equality delete file
 * of a larger sequence number removes, and the delete files that then
 * apply to no data file are removed in the same snapshot.
 *
 * Expiry: snapshots older than snapshotRetentionMs are removed from the
 * metadata, but the current one and the newest minSnapshotsToKeep; then
 * the manifest lists, manifests and data files no remaining snapshot uses
 * are deleted.
 *
 * Every file is read, written and deleted through lake/store.h, so both
 * work on a local and on an S3 warehouse.
 *
 * Spec: Apache Iceberg Table Spec v2, "Snapshots" (operation replace),
 * "Manifests" (status EXISTING 0, ADDED 1, DELETED 2), "Maintenance".
 */
#ifndef DOSQL_LAKE_COMPACT_H
#define DOSQL_LAKE_COMPACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lake/config.h"
#include "lake/iceberg.h"

typedef struct LakeCompactResult {
	int tables;               /* tables given a replace snapshot */
	int files_replaced;       /* data files rewritten */
	int files_written;        /* files they became */
	int deletes_removed;      /* equality delete files that applied to no data file any more */
	int64_t rows;             /* rows rewritten */
	int snapshots_expired;
	int files_deleted;        /* data files, manifests and manifest lists */
} LakeCompactResult;

bool lake_compact_table(IceTable *t, const LakeConfig *cfg, int64_t now_ms, LakeCompactResult *res, char *err,
	size_t errlen) __attribute__((warn_unused_result));
bool lake_expire_table(IceTable *t, const LakeConfig *cfg, int64_t now_ms, LakeCompactResult *res, char *err,
	size_t errlen) __attribute__((warn_unused_result));

/* Compacts (and with expire, then expires) every table of the namespace
 * in the warehouse, each opened from there (the sink's flushes may commit
 * meanwhile: see commit_replace in compact.c); false with the reason in
 * err when a table could not be done (the others still are).  Runs on
 * the maintenance thread (lake/maintain.h). */
bool lake_compact_all(const LakeConfig *cfg, bool compact, bool expire, LakeCompactResult *res, char *err,
	size_t errlen) __attribute__((warn_unused_result));
/* The names of the tables of the namespace in the warehouse (an object's
 * keys); NULL with err when they cannot be listed. */
json_t *lake_table_names(const LakeConfig *cfg, char *err, size_t errlen);
/* The result as JSON (for POST /compact). */
json_t *lake_compact_json(const LakeCompactResult *res);
/* Adds a run's result to the totals since the start; the totals as JSON
 * (GET /lake/status) and as Prometheus counters (GET /metrics) into out. */
void lake_compact_count(const LakeCompactResult *res);
json_t *lake_compact_status(void);
void lake_compact_metrics(char *out, size_t n);

#endif
