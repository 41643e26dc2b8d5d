/*
 * sink.h - the buffer between the change stream and the Iceberg tables:
 * whole transactions are buffered per table, flushed (one Parquet file per
 * table and day, one snapshot per table) when a threshold is reached, and
 * only then is the stream's position confirmed.  Changes at or below a
 * table's committed dosql.lsn are skipped, so a restart writes nothing twice.
 */
#ifndef DOSQL_LAKE_SINK_H
#define DOSQL_LAKE_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "lake/config.h"
#include "lake/iceberg.h"
#include "lake/stream.h"

typedef struct SinkTable {
	char *name; /* owned */
	IceTable ice;
	LakeType *types; /* owned: per Iceberg column */
	int ntypes;
	uint32_t relid;
	unsigned rel_version;
	int *map; /* owned: relation column -> Iceberg column */
	int nmap;
	int first_data; /* Iceberg columns before the row image (the changelog's) */
	int keys[8];    /* Iceberg columns of the relation's key */
	int nkeys;
	bool keyless_logged;
	Buf rows; /* encoded rows (see sink.c) */
	size_t nrows;
	size_t txn_mark; /* rows' length when the transaction being received began */
	int spill_fd;    /* -1, or the temporary file the rows went to (see sink.c) */
	size_t spill_len;
	const uint8_t *data; /* the rows while a flush reads them */
	void *spill_map;     /* a spill file mapped for that */
	size_t spill_map_len;
} SinkTable;

typedef struct LakeSink {
	const LakeConfig *cfg; /* borrowed */
	SinkTable *tables; /* owned */
	int ntables;
	/* the transaction being received */
	bool in_txn;
	uint64_t txn_lsn;
	int64_t txn_us;
	uint32_t txn_xid;
	uint32_t txn_seq; /* changes of it so far */
	/* what is buffered: complete transactions up to flush_lsn */
	uint64_t flush_lsn, flush_end;
	int64_t events, bytes;
	int64_t spilled; /* of bytes: in spill files */
	int64_t oldest_ms; /* monotonic ms of the oldest buffered change, 0: none */
	int64_t oldest_commit_us; /* its commit time */
	uint64_t keepalive_end; /* a position the server says nothing precedes */
	/* figures for the status page and metrics */
	int64_t last_flush_ms, last_flush_duration_ms, last_file_size, flushes, files_written, rows_written;
	int64_t skipped;
	uint64_t last_snapshot_lsn;
	int64_t last_snapshot_id;
	int64_t last_commit_us; /* commit time of the last change flushed */
	bool failed;
	char err[512];
} LakeSink;

void lake_sink_init(LakeSink *k, const LakeConfig *cfg);
void lake_sink_cleanup(LakeSink *k);
/* The callbacks lake_stream_poll calls (arg: the sink). */
extern const LakeStreamCb lake_sink_callbacks;
/* True when a threshold says flush now. */
bool lake_sink_due(const LakeSink *k);
/*
 * Writes what is buffered (complete transactions) as one snapshot per
 * table; returns false with k->err when a write or commit failed (what was
 * committed stays, the rest stays buffered).  *confirm gets the position the
 * stream may confirm.
 */
bool lake_sink_flush(LakeSink *k, uint64_t *confirm) __attribute__((warn_unused_result));
/* Drops a transaction cut off by a lost connection. */
void lake_sink_abort_txn(LakeSink *k);

int64_t lake_now_ms(void);

#endif
