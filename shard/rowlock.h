/*
 * rowlock.h - row locks over SQLite's single writer (the shard setting
 * row-locks, off by default; rowlock.c says how they work).
 */
#ifndef DOSQL_SHD_ROWLOCK_H
#define DOSQL_SHD_ROWLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "pgwire/pgwire.h"

typedef struct ShdSession ShdSession;
typedef struct ShdServer ShdServer;
typedef struct ShdStmt ShdStmt;
typedef struct RlOwner RlOwner;

/* The lock table of a server with row locks on; false when out of memory. */
bool shd_rl_init(ShdServer *srv);
/* A client session checks (and in a statement of its own, takes) row locks. */
void shd_rl_attach(ShdSession *s);
/* BEGIN of a block: true when it runs without an open SQLite transaction. */
bool shd_rl_begin(ShdSession *s);
/* Open the block's SQLite transaction with its changes so far (a statement
 * that cannot run in a turn of its own); false with *e. */
bool shd_rl_escalate(ShdSession *s, PgwError *e);
/* A utility statement in such a block: opens the SQLite transaction unless
 * it is BEGIN, COMMIT, ROLLBACK, PREPARE, SET or SHOW; false with *e. */
bool shd_rl_utility(ShdSession *s, PgQuery__Node *node, PgwError *e);
/* Whether stmt runs in a turn of its own (the block holds no SQLite
 * transaction and the statement reads only the row it changes). */
bool shd_rl_eligible(ShdSession *s, ShdStmt *stmt);

/* One run of an eligible statement: begin takes SQLite's writer and applies
 * the block's changes (false with *e); end (after the statement, ok whether
 * it succeeded) gives the writer back, or keeps it when the statement did
 * not change exactly one row (the block goes on in its SQLite transaction).
 * end returns RL_RETRY when the statement met a row another transaction
 * holds, after waiting for it; RL_FAILED after an error was sent. */
enum { RL_DONE, RL_RETRY, RL_FAILED };
bool shd_rl_stmt_begin(ShdSession *s, PgwError *e);
int shd_rl_stmt_end(ShdSession *s, bool ok);
/* After a statement alone in its implicit transaction (s->rl_retry):
 * RL_RETRY when it met a locked row, the transaction begun again. */
int shd_rl_implicit_end(ShdSession *s, bool ok);

/* COMMIT of a block that holds no SQLite transaction: apply its changes,
 * record them in the changelog and commit; false with *e. */
bool shd_rl_commit(ShdSession *s, PgwError *e);
/* The transaction ended: its row locks go. */
void shd_rl_end(ShdSession *s);
/* PREPARE: the locks leave the session (kept until shd_rl_release). */
RlOwner *shd_rl_detach(ShdSession *s);
void shd_rl_release(ShdServer *srv, RlOwner *o);
/* The rows encoded changes (capture.h) touch, locked for a new owner (a
 * prepared transaction recovered at start-up); NULL when there are none or
 * memory ran out. */
RlOwner *shd_rl_take_changes(ShdServer *srv, const uint8_t *p, size_t n);

#endif
