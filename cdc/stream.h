/*
 * stream.h - the merge of the shards' change streams into one stream in LSN
 * order (cdc.h), through an output plugin.
 *
 * No I/O: the caller reads each shard's changelog (DOSQL_CHANGES) and hands
 * its rows in; a shard's answer carries the transactions it committed since
 * its last answer and ends with a watermark row (op 'W'): no later commit
 * there is below it.  Transactions below every shard's watermark go out in
 * LSN order through the plugin and the callback table; the parts of a
 * two-phase transaction (same commit time, same gid) go out once, together.
 */
#ifndef DOSQL_CDC_STREAM_H
#define DOSQL_CDC_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "cdc/cdc.h"

/* What the stream asks of its owner. */
typedef struct CdcStreamOps {
	/* The table is a reference table: every shard holds the same rows,
	 * so a two-phase transaction's changes to it are kept once. */
	bool (*replicated)(void *arg, const char *table);
	/* One XLogData payload at lsn. */
	CdcEmitFn emit;
} CdcStreamOps;

typedef struct CdcStream CdcStream;

/* The fields of one DOSQL_CHANGES row, in the shard's column order. */
enum {
	CDC_ROW_TIME,    /* commit time (the shard's clock), decimal */
	CDC_ROW_GID,     /* two-phase gid, NULL for none */
	CDC_ROW_TABLE,
	CDC_ROW_OP,      /* I U D T, or W: a watermark */
	CDC_ROW_COLUMNS, /* JSON: {"replident": ..., "columns": [[name, type, typmod, key], ...]} */
	CDC_ROW_OLD,     /* JSON array of text values, NULL for none; a TRUNCATE's options */
	CDC_ROW_NEW,     /* JSON array of text values, NULL for none */
	CDC_ROW_NFIELDS
};

/* A stream over nshards shards that skips transactions below start,
 * emitting through plugin (owned from here on: freed with the stream).
 * NULL when out of memory (the plugin is freed then too). */
CdcStream *cdc_stream_create(int nshards, uint64_t start, CdcPlugin *plugin, const CdcStreamOps *ops, void *arg)
	__attribute__((warn_unused_result));
void cdc_stream_free(CdcStream *st);

/* One row of shard's current answer (fields[i] NULL for SQL NULL).  False
 * when it is malformed or memory ran out: the caller drops the answer
 * (cdc_stream_shard_lost) and reads it again. */
bool cdc_stream_row(CdcStream *st, int shard, const char *const fields[CDC_ROW_NFIELDS])
	__attribute__((warn_unused_result));
/* Shard's answer ended (answers end at a transaction's end).  Returns
 * whether it held changes. */
bool cdc_stream_answer_end(CdcStream *st, int shard);
/* Shard's answer was cut off: its half-read transaction goes, and comes
 * again in the next answer, which starts at the same position. */
void cdc_stream_shard_lost(CdcStream *st, int shard);
/* The commit time shard's next read starts at. */
int64_t cdc_stream_from(const CdcStream *st, int shard);

/* Emit every transaction below the lowest watermark, in LSN order.
 * Returns how many went out. */
int cdc_stream_emit_ready(CdcStream *st);
/* Everything below it has been sent. */
uint64_t cdc_stream_position(const CdcStream *st);

#endif
