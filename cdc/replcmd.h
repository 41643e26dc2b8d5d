/*
 * replcmd.h - the commands of a replication connection (replication=database),
 * with PostgreSQL 15's walsender grammar: IDENTIFY_SYSTEM, SHOW,
 * CREATE_REPLICATION_SLOT (new option list and old keywords),
 * DROP_REPLICATION_SLOT, START_REPLICATION, READ_REPLICATION_SLOT,
 * TIMELINE_HISTORY and BASE_BACKUP; and the two DoSQL adds for the router's
 * connections to its shards: DOSQL_CHANGES, DOSQL_ADVANCE, DOSQL_SLOTS and DOSQL_ACQUIRE
 * (shard/cdc.c).
 *
 * As in PostgreSQL, the first word decides: a text that does not start
 * with one of these keywords is SQL.  No I/O; fuzzed (fuzz/fuzz_replcmd.c).
 */
#ifndef DOSQL_CDC_REPLCMD_H
#define DOSQL_CDC_REPLCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum CdcCmdKind {
	CDC_CMD_SQL, /* not a replication command */
	CDC_CMD_IDENTIFY_SYSTEM,
	CDC_CMD_SHOW,
	CDC_CMD_TIMELINE_HISTORY,
	CDC_CMD_READ_SLOT,
	CDC_CMD_BASE_BACKUP,
	CDC_CMD_CREATE_SLOT,
	CDC_CMD_DROP_SLOT,
	CDC_CMD_START,
	CDC_CMD_CHANGES, /* DOSQL_CHANGES from limit */
	CDC_CMD_ADVANCE, /* DOSQL_ADVANCE slot X/X */
	CDC_CMD_SLOTS,   /* DOSQL_SLOTS */
	CDC_CMD_ACQUIRE, /* DOSQL_ACQUIRE slot pid */
} CdcCmdKind;

typedef enum CdcSnapshot {
	CDC_SNAPSHOT_DEFAULT, /* none given: export */
	CDC_SNAPSHOT_EXPORT,
	CDC_SNAPSHOT_USE,
	CDC_SNAPSHOT_NOTHING,
} CdcSnapshot;

#define CDC_MAX_OPTIONS 32
#define CDC_NAME_MAX 64

typedef struct CdcOption {
	char name[CDC_NAME_MAX];
	const char *value; /* into CdcCmd.text; NULL when the option had none */
} CdcOption;

typedef struct CdcCmd {
	CdcCmdKind kind;
	char slot[CDC_NAME_MAX * 2]; /* slot name as written (checked later) */
	char plugin[CDC_NAME_MAX];
	char show[CDC_NAME_MAX * 2]; /* SHOW's setting, lower case */
	bool temporary, physical, wait;
	bool two_phase;
	CdcSnapshot snapshot;
	uint64_t lsn;        /* START_REPLICATION's and DOSQL_ADVANCE's position */
	int64_t from, limit; /* DOSQL_CHANGES */
	int nopts;
	CdcOption opts[CDC_MAX_OPTIONS]; /* START_REPLICATION's plugin options */
	char text[4096];     /* storage of option values */
	size_t used;
} CdcCmd;

/* Parse one command.  Returns false with a message in err (SQLSTATE 42601)
 * for a replication command that is malformed; true otherwise, with
 * cmd->kind CDC_CMD_SQL when the text is not a replication command. */
bool cdc_cmd_parse(const char *sql, CdcCmd *cmd, char *err, size_t errlen) __attribute__((warn_unused_result));

/* The value of an option (NULL when absent); *present tells a bare option
 * apart from a missing one. */
const char *cdc_cmd_option(const CdcCmd *cmd, const char *name, bool *present);

/* A boolean option's value as PostgreSQL's parse_bool reads it (NULL, a
 * bare option, is true); false when it is none. */
bool cdc_parse_bool(const char *v, bool *out);

/* LSNs as "%X/%X"; parsing takes any case and zero padding. */
void cdc_lsn_format(char *out, size_t n, uint64_t lsn);
bool cdc_lsn_parse(const char *s, uint64_t *lsn);

/* A slot name PostgreSQL accepts: [a-z0-9_], 1..63 characters.  On false,
 * err holds the message (SQLSTATE 42602). */
bool cdc_slot_name_valid(const char *name, char *err, size_t errlen);

#endif
