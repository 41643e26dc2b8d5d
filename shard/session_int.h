/*
 * session_int.h - what the files of dosql-shard's sessions share (session.c,
 * utility.c, copy.c, prepared.c, changelog.c, cdc.c, publication.c).
 */
#ifndef DOSQL_SHD_SESSION_INT_H
#define DOSQL_SHD_SESSION_INT_H

#include "shard/rowlock.h"
#include "shard/session.h"

/* How a statement's results go to the client. */
typedef struct ShdExec {
	bool describe;	/* send RowDescription first (simple query, FETCH) */
	int nformats;
	const int16_t *formats;
	int32_t maxrows; /* 0 = all */
	bool extended;
	const char *src; /* the client's text, for error positions */
} ShdExec;

/* Execute one parsed statement; false after an error was sent. */
bool shd_exec_node(ShdSession *s, ShdStmt *stmt, ShdPortal *portal, const ShdExec *ex);

/* Utility statements (utility.c): false after an error was sent. */
bool shd_exec_utility(ShdSession *s, PgQuery__Node *node, const ShdExec *ex);
/* RowDescription for a utility statement that returns rows; false if none. */
bool shd_utility_describe(ShdSession *s, PgQuery__Node *node, int *ncols, PgwField *fields);

/* COPY (copy.c). */
bool shd_copy_start(ShdSession *s, PgQuery__CopyStmt *cp, const ShdExec *ex);
void shd_copy_data(ShdSession *s, const uint8_t *data, size_t len);
void shd_copy_done(ShdSession *s);
void shd_copy_fail(ShdSession *s, const char *msg);
void shd_copy_abort(ShdSession *s);

/* Errors. */
void shd_send_error(ShdSession *s, const PgwError *e);
/* Run SQL on the session's connection; false with *e filled. */
bool shd_sql(ShdSession *s, const char *sql, PgwError *e);

/* Transactions. */
bool shd_txn_implicit_begin(ShdSession *s, PgwError *e);
bool shd_txn_end(ShdSession *s, bool commit);
/* PREPARE TRANSACTION gid; COMMIT PREPARED / ROLLBACK PREPARED gid
 * (prepared.c).  They reply themselves; false after an error was sent. */
bool shd_prep_prepare(ShdSession *s, const char *gid);
bool shd_prep_finish(ShdSession *s, const char *gid, bool commit);
/* Record a committing transaction's captured changes in _dosql_changelog
 * (changelog.c), inside it; gid is its two-phase commit gid or NULL. */
bool shd_changelog_write(ShdSession *s, const uint8_t *changes, size_t n, const char *gid, PgwError *e);
/*
 * The commit clock (changelog.c), in microseconds.  shd_clock_done() ends
 * the session's commit (after its COMMIT or ROLLBACK).  shd_clock_watermark() is a time no later
 * commit will be below: every commit before it has finished when it
 * returns, so a read started afterwards sees all of them.  While a prepared
 * transaction waits it stays at the last time + 1, which the router's
 * COMMIT PREPARED time exceeds.  shd_clock_raise() makes later commits
 * take at least `floor` (not while a prepared transaction waits).
 */
void shd_clock_done(ShdSession *s);
/* The clock a PREPARE reports: past the last one reported, even, and with
 * the router's index of the shard (-1: unknown) 2 x index modulo 512. */
int64_t shd_clock_report(ShdServer *srv, int shard_index);
/* With row locks: the smallest clock a prepared transaction of the shard
 * reported, 0 none (prepared.c; the caller holds prep_lock).  The
 * watermark stays at most one past it. */
int64_t shd_prep_clock_min(ShdServer *srv);

/* Group commit (durable.c): sets a connection's commits to wait for a
 * shared fsync of the WAL. */
bool shd_durable_attach(ShdServer *srv, sqlite3 *db);
int64_t shd_clock_watermark(ShdServer *srv);
void shd_clock_raise(ShdServer *srv, int64_t floor);
/* The changelog rows every slot has confirmed and the retention window
 * lets go (?3: the oldest time kept); without slots, only the window. */
#define TRIM_SQL                                                                                                   \
	"DELETE FROM main._dosql_changelog WHERE commit_ts < ?3 AND commit_ts <"                                   \
	" coalesce((SELECT min(confirmed >> 8) FROM main._dosql_slots), ?3)"
/* CREATE PUBLICATION / DROP PUBLICATION (publication.c); they reply
 * with errors themselves, the caller sends the tag. */
bool shd_create_publication(ShdSession *s, PgQuery__CreatePublicationStmt *cp);
bool shd_drop_publication(ShdSession *s, PgQuery__DropStmt *ds);
/* A replication command on a replication=database connection (cdc.c):
 * answered (ReadyForQuery left to the caller) -> true; SQL -> false. */
bool shd_cdc_command(ShdSession *s, const char *sql);
/* The session ends: the slots it streamed are free (cdc.c). */
void shd_cdc_release(ShdSession *s);

/* Wait while a PREPARE hands its write lock over (srv->handover). */
void shd_handover_wait(ShdSession *s);
/* Savepoints of the open block, for the captured changes (prepared.c);
 * release with name NULL forgets them all. */
void shd_savepoint_set(ShdSession *s, const char *name);
void shd_savepoint_release(ShdSession *s, const char *name, bool rollback);

/* Portals. */
ShdPortal *shd_portal_find(ShdSession *s, const char *name);
ShdPortal *shd_portal_create(ShdSession *s, const char *name, ShdStmt *stmt);
void shd_portal_drop(ShdSession *s, ShdPortal *p);
/* Make a ShdStmt from one statement of a parse tree (text copied). */
ShdStmt *shd_stmt_create(ShdSession *s, const char *name, const char *sql, int nparams, const uint32_t *types,
			 PgwError *e);
void shd_stmt_release(ShdSession *s, ShdStmt *st);
/* Free a statement made for one use (COPY, a cursor that failed, ...). */
void shd_stmt_discard(ShdSession *s, ShdStmt *st);
/* DEALLOCATE: drop a named statement (false if none) or all of them. */
bool shd_stmt_drop_named(ShdSession *s, const char *name);
void shd_stmt_drop_all(ShdSession *s);
/* Translate (or re-translate after DDL) and prepare; false with *e. */
bool shd_stmt_prepare(ShdSession *s, ShdStmt *st, PgwError *e);
bool shd_send_rows(ShdSession *s, ShdPortal *p, const ShdExec *ex, bool *suspended);
/* Run a cursor's query to the end and keep its rows (SCROLL, WITH HOLD). */
bool shd_portal_materialize(ShdSession *s, ShdPortal *p, PgwError *e);

#endif
