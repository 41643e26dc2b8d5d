/*
 * stream.h - dosql-lake's replication connection to the router: libpq in
 * replication=database mode, the slot created when missing (pgoutput), the
 * publication created FOR ALL TABLES when missing, START_REPLICATION from
 * the slot's confirmed position, pgoutput protocol 1 decoded into
 * callbacks, and standby status updates that confirm a flush position.
 */
#ifndef DOSQL_LAKE_STREAM_H
#define DOSQL_LAKE_STREAM_H

#include <postgresql/libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct LakeRelCol {
	char *name; /* owned */
	uint32_t type;
	int32_t typmod;
	bool key;
} LakeRelCol;

/* A relation as the last pgoutput Relation message described it. */
typedef struct LakeRel {
	uint32_t relid;
	char *name; /* owned */
	char replident;
	int ncols;
	LakeRelCol *cols; /* owned */
	unsigned version; /* bumped when a Relation message changes it */
} LakeRel;

/* One row image: ncols values, NULL for SQL null. */
typedef struct LakeRow {
	int ncols;
	const char **vals; /* borrowed from the message */
	size_t *lens;
} LakeRow;

typedef struct LakeStreamCb {
	void (*begin)(void *arg, uint64_t lsn, int64_t commit_us, uint32_t xid);
	/* op 'I', 'U', 'D'; the new row for I and U, the old row (key or full)
	 * for D; old: an UPDATE's old key or row when the stream sent it, else NULL */
	void (*change)(void *arg, const LakeRel *rel, char op, const LakeRow *row, const LakeRow *old);
	void (*truncate)(void *arg, const LakeRel *rel);
	/* false: stop reading for now (lake_stream_poll returns with paused set) */
	bool (*commit)(void *arg, uint64_t lsn, uint64_t end_lsn, int64_t commit_us);
	/* the server's end of stream when nothing is pending before it */
	void (*keepalive)(void *arg, uint64_t wal_end);
} LakeStreamCb;

typedef struct LakeStream {
	PGconn *conn;
	LakeRel *rels; /* owned */
	int nrels;
	uint64_t received; /* the last position received */
	uint64_t confirmed; /* the last flush position sent */
	int64_t last_status_ms;
	bool reply_requested;
	bool paused; /* a commit callback asked to stop reading; what came stays in libpq */
	const char **vals, **old_vals; /* scratch for rows */
	size_t *lens, *old_lens;
	int cap;
} LakeStream;

/* Connects (conninfo plus replication=database), makes publication and slot
 * when missing and starts streaming.  False with the reason in err. */
bool lake_stream_open(LakeStream *s, const char *conninfo, const char *slot, const char *publication, char *err,
	size_t errlen) __attribute__((warn_unused_result));
void lake_stream_close(LakeStream *s);
/*
 * Waits up to timeout_ms for the stream and handles everything that has
 * arrived, calling cb.  Returns false when the connection ended or failed
 * (the reason in err).
 */
bool lake_stream_poll(LakeStream *s, int timeout_ms, const LakeStreamCb *cb, void *arg, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Sends a standby status update confirming flush (never backwards). */
bool lake_stream_confirm(LakeStream *s, uint64_t flush) __attribute__((warn_unused_result));

/* Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01. */
#define LAKE_PG_EPOCH_US INT64_C(946684800000000)

#endif
