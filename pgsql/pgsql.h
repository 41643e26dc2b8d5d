/*
 * pgsql.h - the PostgreSQL-on-SQLite engine: the state it keeps for one
 * SQLite connection seen as a PostgreSQL session.
 *
 * A PgsSession is what translation, the SQL functions registered on the
 * connection (funcs.c), the settings (guc.c) and the error mapping
 * (error.c) work on: the connection, its catalog cache, the settings
 * output depends on, sequence state, the running statement's cancel and
 * deadline.  It knows nothing of the network, transactions blocks or
 * replication: the program around it (dosql-shard's session, the router's
 * final step) embeds it and answers the few questions the engine cannot
 * through PgsHooks.
 */
#ifndef DOSQL_PGS_PGSQL_H
#define DOSQL_PGS_PGSQL_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pgsql/catalog.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"
#include "pgwire/pgwire.h"

/* One setting of the session. */
typedef struct PgsGuc {
	char *name;  /* owned, lower case */
	char *value; /* owned */
	char *reset; /* owned: the value at the end of start-up (RESET), NULL for "" */
} PgsGuc;

/* What the engine asks of the program around it; each may be NULL. */
typedef struct PgsHooks {
	/* The pid of the router session streaming `slot`, 0 when none
	 * (dosql_slot_pid(), for pg_replication_slots). */
	int32_t (*slot_pid)(void *arg, const char *slot);
	/* A setting the program keeps itself (lname lower case): 1 taken, 0
	 * refused with *e filled, -1 not one of its own. */
	int (*set_own)(void *arg, const char *lname, const char *value, PgwError *e);
	/* Report an error to the client (and note it in the program's
	 * transaction state); NULL: ErrorResponse on conn. */
	void (*error)(void *arg, const PgwError *e);
	/* Run SQL of the engine's own (DDL, catalog rows) on db; NULL:
	 * sqlite3_exec.  False with *e filled. */
	bool (*sql)(void *arg, const char *sql, PgwError *e);
	/* TRUNCATE of table: delete its rows and record the truncation; NULL:
	 * a DELETE of every row.  False with *e filled. */
	bool (*truncate)(void *arg, const char *table, bool cascade, bool restart, PgwError *e);
	void *arg;
} PgsHooks;

typedef struct PgsSession {
	sqlite3 *db;      /* owned by the embedding session */
	PgwConn *conn;    /* borrowed: user, database and pid; replies go to its output */
	PgsCatalog cat;
	PgtFormat fmt;
	int nguc, gucap;
	PgsGuc *gucs;
	int64_t txn_start_us; /* now() for this transaction, 0 outside one */
	/* the running statement */
	atomic_bool cancel;           /* CancelRequest arrived */
	int64_t statement_timeout_ms; /* 0 = none */
	int64_t deadline_us;          /* the running statement's timeout, 0 = none */
	bool timed_out;
	/* sequences: last value per sequence in this session (currval) */
	int nseq;
	struct {
		uint32_t oid;
		int64_t value;
	} seqvals[64];
	int64_t lastval;
	bool have_lastval;
	/* the NEW row recorded while diagnosing a constraint failure */
	int ndiag;
	sqlite3_value **diag_row;
	PgsHooks hooks;
	char tag[40]; /* a DDL statement's command tag with a count (SELECT n) */
	/* TEMP tables this session created (dropped when it ends) */
	int ntemp;
	char **temp; /* owned */
	/* TEMP relations stored under another name: a permanent relation has
	 * theirs (temp.c) */
	int nshadow;
	struct PgsShadow *shadow; /* owned */
} PgsSession;

/* Microseconds since the Unix epoch. */
int64_t pgs_now_us(void);

/*
 * The engine over db (exec.c): the catalog's views and functions attached
 * to it, statement timeouts checked while SQLite runs, replies written to
 * conn.  path is the database file, for the catalog's own read connection
 * (NULL for an in-memory database).  With PGS_VIEWS_ON_USE the pg_catalog
 * relations are attached when a statement first needs them
 * (pgs_catalog_ready) rather than now.  False (with a line on stderr) when
 * SQLite refused; pgs_close must be called either way.  pgs_close leaves
 * db open: it is the caller's.
 */
#define PGS_VIEWS_ON_USE 1u
bool pgs_open(PgsSession *s, sqlite3 *db, const char *path, PgwConn *conn, const PgsHooks *hooks, unsigned flags);
/* Before running q: the pg_catalog relations it reads are there.  False
 * with *e filled. */
bool pgs_catalog_ready(PgsSession *s, const PgsQuery *q, PgwError *e);
void pgs_close(PgsSession *s);
/* A statement starts: no cancel yet, its deadline from statement_timeout. */
void pgs_statement_start(PgsSession *s);

/* Replies on s->conn: an error (through hooks.error when set), a NOTICE,
 * a WARNING with its SQLSTATE. */
void pgs_send_error(PgsSession *s, const PgwError *e);
void pgs_errorf(PgsSession *s, const char *sqlstate, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pgs_notice(PgsSession *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pgs_warning(PgsSession *s, const char *sqlstate, const char *msg);

/* The parse tree of sql (pg_query__parse_result__free_unpacked frees it);
 * NULL with *e filled (42601 with the position, or 53200). */
PgQuery__ParseResult *pgs_parse(const char *sql, PgwError *e);
/* Compile one SELECT/INSERT/UPDATE/DELETE/VALUES parse tree (src: the text
 * it came from, for error positions): its translation into *q (living in
 * arena) with the client's declared parameter types, then (pgs_prepare)
 * the SQLite statement.  False with *e filled. */
bool pgs_compile(PgsSession *s, const char *src, PgQuery__Node *node, Arena *arena, int nparams,
		 const uint32_t *types, PgsQuery *q, PgwError *e);
bool pgs_prepare(PgsSession *s, const PgsQuery *q, sqlite3_stmt **st, PgwError *e);
/* Whether pgs_compile takes the node (SELECT, INSERT, UPDATE, DELETE). */
bool pgs_translatable(const PgQuery__Node *n);

/* Rows into conn's output: RowDescription of q's columns in formats[]
 * (PostgreSQL's rules: none = text, one = for all); one DataRow from
 * column values or from st's current row, false (nothing queued) with *e on
 * a conversion error; the CommandComplete tag of q after rows rows. */
void pgs_describe(PgsSession *s, const PgsQuery *q, int nformats, const int16_t *formats);
bool pgs_put_row(PgsSession *s, sqlite3_value **vals, const PgsQuery *q, int nformats, const int16_t *formats,
		 PgwError *e);
bool pgs_put_stmt_row(PgsSession *s, sqlite3_stmt *st, const PgsQuery *q, int nformats, const int16_t *formats,
		      PgwError *e);
void pgs_command_tag(PgsSession *s, const PgsQuery *q, int64_t rows, char *tag, size_t n);

typedef enum PgsStep {
	PGS_STEP_DONE,      /* every row sent; st not reset (sqlite3_changes still counts) */
	PGS_STEP_SUSPENDED, /* maxrows rows sent, more may follow */
	PGS_STEP_ERROR,     /* *e filled (with DETAIL for a constraint); st reset */
	PGS_STEP_CLOSED,    /* the connection failed while flushing; st reset */
} PgsStep;
/* Step st, a DataRow per row of a query that returns rows (in formats[]),
 * up to maxrows (0: all); *nrows counts the rows sent. */
PgsStep pgs_step(PgsSession *s, sqlite3_stmt *st, const PgsQuery *q, int nformats, const int16_t *formats,
		 int64_t maxrows, int64_t *nrows, PgwError *e);

/* Run one statement on db with ?1, ?2 bound to text (when not NULL) and
 * ?3, ?4 to integers; *changes (when not NULL) gets its row count.  False
 * with *e filled. */
bool pgs_exec_params(PgsSession *s, const char *sql, const char *t1, const char *t2, int64_t n3, int64_t n4,
		     int *changes, PgwError *e);

/* Whether pgs_exec_ddl takes the statement. */
bool pgs_is_ddl(const PgQuery__Node *n);
/* DDL (ddl.c): CREATE/DROP/ALTER TABLE, CREATE INDEX, sequences, TRUNCATE,
 * renames, in the caller's transaction; *tag is its CommandComplete tag.
 * False after the error was reported (pgs_send_error). */
bool pgs_exec_ddl(PgsSession *s, PgQuery__Node *node, const char **tag);
/* Forget the session's list of TEMP tables (s->temp); the program drops
 * them first, as DROP TABLE does, when the session ends. */
void pgs_ddl_forget_temp(PgsSession *s);
/* Before node runs: references to the session's TEMP relations that shadow
 * a permanent one name their stored relation; a CREATE TEMP of a name a
 * permanent relation has creates it under a name of its own (temp.c). */
void pgs_temp_rewrite(PgsSession *s, PgQuery__Node *node);
void pgs_temp_free(PgsSession *s);
/* Whether node's WITH clause has data-modifying queries, and (with_dml.c)
 * running them before node: each replaced by the rows it returned; false
 * with *e (0A000 where the statement reads a table they change). */
bool pgs_with_dml(const PgQuery__Node *node);
bool pgs_with_dml_run(PgsSession *s, const char *src, PgQuery__Node *node, PgwError *e);
/* SET / RESET of a setting, RESET ALL, SET SESSION CHARACTERISTICS AS
 * TRANSACTION (guc.c): 1 done with *tag, 0 failed with *e, -1 for SET
 * TRANSACTION, which belongs to the program's transaction block. */
int pgs_set(PgsSession *s, PgQuery__VariableSetStmt *vs, const char **tag, PgwError *e);
/* The characteristics of BEGIN ... / SET TRANSACTION ...: for
 * session_default, the settings they give; else *read_only when READ ONLY
 * is among them.  False with *e filled. */
bool pgs_txn_options(PgsSession *s, size_t n, PgQuery__Node **opts, bool session_default, bool *read_only,
		     PgwError *e);

/* Register the PostgreSQL functions SQLite lacks on s->db (funcs.c);
 * false when SQLite refused one. */
bool pgs_funcs_register(PgsSession *s);
/* pg_database_size and the storage functions of dbsize.c. */
bool pgs_dbsize_register(PgsSession *s);
/* generate_series() as a table-valued function (series.c). */
bool pgs_series_register(sqlite3 *db);

/* Settings (guc.c).  pgs_guc_init gives every setting its initial value
 * (session_authorization: the connection's user); pgs_guc_mark_reset makes
 * the values now what RESET returns to (the end of start-up). */
void pgs_guc_init(PgsSession *s);
void pgs_guc_mark_reset(PgsSession *s);
void pgs_guc_free(PgsSession *s);
/* The value of a setting, NULL when unknown. */
const char *pgs_guc_get(PgsSession *s, const char *name);
/* SET name = value with PostgreSQL's checks and canonical forms; a change
 * of a reported setting sends ParameterStatus on s->conn (after start-up).
 * False with *err filled. */
bool pgs_guc_set(PgsSession *s, const char *name, const char *value, PgwError *err);
/* The value RESET gives name: what the session started with; NULL when
 * the setting is unknown. */
const char *pgs_guc_reset_value(PgsSession *s, const char *name);
/* RESET ALL: every setting back to what the session started with (not
 * the transaction's own settings, session_authorization or role). */
void pgs_guc_reset_all(PgsSession *s);
/* Every setting as a session without start-up options begins with. */
void pgs_guc_defaults(PgsSession *s);
/* ParameterStatus for every reported setting (the end of start-up). */
void pgs_guc_report_all(PgsSession *s);
/* The startup "options" parameter ("-c name=value", "--name=value"):
 * each setting applied; false with e for a bad word or value. */
bool pgs_guc_apply_options(PgsSession *s, const char *opts, PgwError *e);

/* Errors (error.c).  pgs_sqlite_error maps the last SQLite error of s->db
 * (rc its result code) to PostgreSQL's SQLSTATE, message and fields;
 * "SSSSS:message" texts of the engine's own functions keep their SQLSTATE. */
void pgs_sqlite_error(PgsSession *s, int rc, PgwError *e);
/* After a unique or not-null violation by st, add PostgreSQL's DETAIL
 * (the key or the failing row), running st again inside a savepoint. */
void pgs_diagnose_row(PgsSession *s, sqlite3_stmt *st, PgwError *e);
void pgs_diag_clear(PgsSession *s);
/* Run SQL on s->db; false with *e filled. */
bool pgs_sql(PgsSession *s, const char *sql, PgwError *e);

#endif
