/*
 * cdc.h - the cluster's change stream as the router serves it: committed
 * transactions in one LSN order, and the output plugins that turn each into
 * the messages a replication client expects.
 *
 * LSNs.  A shard commits at a time on its hybrid logical clock
 * (microseconds, rising); a transaction committed on shard i at time t has
 * LSN (t << 8) | (i << 1), and its commit ends at LSN + 1, which is what a
 * client confirms.  A two-phase transaction commits at the same time on
 * every participant and takes the LSN of its lowest shard.  So every slot
 * gives a transaction the same LSN, and LSNs only rise along a stream.
 */
#ifndef DOSQL_CDC_H
#define DOSQL_CDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdc/replcmd.h"
#include "common/buf.h"

#define CDC_MAX_SHARDS 128

static inline uint64_t cdc_lsn(int64_t hlc, int shard) { return ((uint64_t)hlc << 8) | ((uint64_t)shard << 1); }

typedef struct CdcColumn {
	char *name; /* owned */
	uint32_t type;
	int32_t typmod;
	bool key; /* part of the replica identity: the primary key's columns,
		   * every column with REPLICA IDENTITY FULL, none with NOTHING */
} CdcColumn;

/* A table as its changes describe it. */
typedef struct CdcRel {
	uint32_t relid;   /* stable within one stream */
	char replident;   /* 'd' default (primary key), 'f' full, 'n' nothing */
	char *name;       /* owned */
	char *json;       /* owned: the columns as the shard sent them */
	int ncols;
	CdcColumn *cols;  /* owned */
	bool sent;        /* pgoutput: its Relation message went out */
} CdcRel;

#define CDC_TRUNCATE_CASCADE 1 /* pgoutput's Truncate flags */
#define CDC_TRUNCATE_RESTART 2

typedef struct CdcChange {
	char op;            /* 'I', 'U', 'D', 'T' */
	uint8_t flags;      /* a TRUNCATE's CDC_TRUNCATE_* */
	CdcRel *rel;        /* borrowed from the stream's relation list */
	char **old, **new;  /* owned: ncols text values (NULL entries: SQL NULL);
			     * NULL when the operation has no such row */
} CdcChange;

typedef struct CdcTxn {
	int64_t hlc;
	int shard;          /* the lowest shard it committed on */
	uint64_t lsn;
	uint32_t xid;
	char *gid;          /* owned; NULL for a one-shard transaction */
	int n, cap;
	CdcChange *changes; /* owned */
} CdcTxn;

void cdc_txn_free(CdcTxn *t);
/* Free what a change owns. */
void cdc_change_free(CdcChange *c);
/* The table has a primary key (its replica identity). */
bool cdc_rel_has_key(const CdcRel *rel);
/* An UPDATE's key columns changed. */
bool cdc_key_changed(const CdcChange *c);

/* An output plugin with the options of one START_REPLICATION. */
typedef struct CdcPlugin CdcPlugin;

/* The publications (publication.c), for pgoutput's publication_names. */
typedef struct CdcPubs CdcPubs;

/* Emit one XLogData payload at lsn. */
typedef void (*CdcEmitFn)(void *arg, uint64_t lsn, const uint8_t *data, size_t len);

/* Whether a plugin of this name exists. */
bool cdc_plugin_known(const char *name);

/* The plugin `name` with start's options; NULL with sqlstate and message
 * when an option is unknown or invalid (PostgreSQL checks these before
 * CopyBothResponse). */
CdcPlugin *cdc_plugin_create(const char *name, const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err,
			     size_t errlen);
void cdc_plugin_free(CdcPlugin *p);

/* The messages of one transaction. */
void cdc_plugin_txn(CdcPlugin *p, const CdcTxn *t, CdcEmitFn emit, void *arg);

/* format_type() of a type without typmod, as test_decoding prints it
 * (the type system's spelling), into buf; returns buf. */
#define CDC_TYPE_NAME_LEN 96
const char *cdc_type_name(uint32_t oid, char *buf, size_t n);

/* Microseconds since 1970 to PostgreSQL's epoch (2000-01-01). */
static inline int64_t cdc_pg_time(int64_t unix_us) { return unix_us - 946684800000000LL; }

#endif
