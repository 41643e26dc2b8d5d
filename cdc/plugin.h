/*
 * plugin.h - what the output plugins share (decoding.c, pgoutput.c, json.c).
 */
#ifndef DOSQL_CDC_PLUGIN_H
#define DOSQL_CDC_PLUGIN_H

#include "cdc/cdc.h"

typedef struct CdcPluginOps {
	const char *name;
	/* the plugin's state for START_REPLICATION's options; NULL with
	 * sqlstate and message when they are wrong */
	void *(*create)(const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err, size_t errlen);
	void (*txn)(void *state, const CdcTxn *t, CdcEmitFn emit, void *arg);
	void (*free)(void *state);
} CdcPluginOps;

/* A boolean option (bare: true); false with 22023 when unparsable. */
bool cdc_opt_bool(const CdcOption *o, bool *out, char sqlstate[6], char *err, size_t errlen);
/* Fails with 22023: option "x" = "v" is unknown. */
bool cdc_opt_unknown(const CdcOption *o, char sqlstate[6], char *err, size_t errlen);
/* timestamptz output in UTC: "2026-11-22 10:24:04.259246+00". */
void cdc_format_time(Buf *b, int64_t unix_us);

void *cdc_pgoutput_create(const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err, size_t errlen);
void cdc_pgoutput_txn(void *state, const CdcTxn *t, CdcEmitFn emit, void *arg);
void cdc_pgoutput_free(void *state);

void *cdc_json_create(const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err, size_t errlen);
void cdc_json_txn(void *state, const CdcTxn *t, CdcEmitFn emit, void *arg);

#endif
