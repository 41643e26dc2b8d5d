/*
 * session.c - a dosql-shard client session: the PgwHandler callbacks,
 * statements and portals, execution of translated statements, implicit and
 * explicit transactions, the writer lock; the engine itself (translation,
 * settings, error mapping, rows) is pgsql/, reached through s->pg.
 */
#include "shard/session_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/socket.h>

#include "pgwire/blocking.h"

/* ------------------------------------------------------------ errors */

void shd_send_error(ShdSession *s, const PgwError *e)
{
	pgw_send_error(&s->conn, e);
	if (s->conn.extended)
		s->ext_error = true;
	if (s->txn == SHD_TXN_BLOCK)
		s->txn = SHD_TXN_FAILED;
}

/* Texts shd_sql runs with nearly every statement: prepared once per
 * session (in the slot of the same index) rather than parsed each time. */
static const char *const frequent_sql[SHD_SQL_CACHE] = {"BEGIN",   "BEGIN IMMEDIATE",	     "COMMIT",
							"ROLLBACK", "PRAGMA query_only = 0", "PRAGMA query_only = 1"};

/* The prepared statement for one of frequent_sql, NULL for other texts. */
static sqlite3_stmt *cached_sql(ShdSession *s, const char *sql)
{
	for (int i = 0; i < SHD_SQL_CACHE && frequent_sql[i]; i++) {
		if (strcmp(frequent_sql[i], sql) != 0)
			continue;
		if (!s->sql_cache[i] && sqlite3_prepare_v2(s->pg.db, sql, -1, &s->sql_cache[i], NULL) != SQLITE_OK) {
			sqlite3_finalize(s->sql_cache[i]);
			s->sql_cache[i] = NULL;
		}
		return s->sql_cache[i];
	}
	return NULL;
}

bool shd_sql(ShdSession *s, const char *sql, PgwError *e)
{
	/* BEGIN, COMMIT and their like come with nearly every statement:
	 * prepared once rather than parsed by sqlite3_exec each time */
	sqlite3_stmt *st = cached_sql(s, sql);
	int rc;
	if (st) {
		rc = sqlite3_step(st);
		int reset = sqlite3_reset(st);
		rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? reset : rc;
	} else {
		rc = sqlite3_exec(s->pg.db, sql, NULL, NULL, NULL);
	}
	atomic_store(&s->lock_wait_ts, 0); /* no longer waiting for the lock, if it was */
	if (rc == SQLITE_OK)
		return true;
	pgs_sqlite_error(&s->pg, rc, e);
	return false;
}

/* ------------------------------------------------------------ statements */

ShdStmt *shd_stmt_create(ShdSession *s, const char *name, const char *sql, int nparams, const uint32_t *types,
			 PgwError *e)
{
	(void)s;
	PgQuery__ParseResult *tree = pgs_parse(sql, e);
	if (!tree)
		return NULL;
	if (tree->n_stmts > 1) {
		pgw_error_set(e, "42601", "cannot insert multiple commands into a prepared statement");
		pg_query__parse_result__free_unpacked(tree, NULL);
		return NULL;
	}
	ShdStmt *st = calloc(1, sizeof(*st));
	st->name = strdup(name);
	st->sql = strdup(sql);
	st->tree = tree;
	st->node = tree->n_stmts ? tree->stmts[0]->stmt : NULL;
	arena_init(&st->arena);
	st->nparams = nparams;
	st->param_types = arena_alloc(&st->arena, sizeof(uint32_t) * (size_t)(nparams + 1));
	if (nparams)
		memcpy(st->param_types, types, sizeof(uint32_t) * (size_t)nparams);
	return st;
}

static void stmt_free(ShdStmt *st)
{
	if (st->st)
		sqlite3_finalize(st->st);
	pg_query__parse_result__free_unpacked(st->tree, NULL);
	arena_reset(&st->arena);
	free(st->name);
	free(st->sql);
	free(st);
}

void shd_stmt_discard(ShdSession *s, ShdStmt *st)
{
	if (!st)
		return;
	st->dropped = true;
	st->refs = 1;
	shd_stmt_release(s, st);
}

void shd_stmt_release(ShdSession *s, ShdStmt *st)
{
	(void)s;
	if (--st->refs <= 0 && st->dropped)
		stmt_free(st);
}

/* EXPLAIN of a statement with parameters: their number and types are the
 * statement's, inferred as PostgreSQL infers them, so that Bind can give
 * them.  The EXPLAIN itself runs as a utility statement (utility.c). */
static bool explain_param_types(ShdSession *s, ShdStmt *st, PgwError *e)
{
	if (st->translated)
		return true;
	uint32_t *declared = malloc(sizeof(uint32_t) * (size_t)(st->nparams + 1));
	if (!declared) {
		pgw_error_set(e, "53200", "out of memory");
		return false;
	}
	if (st->nparams)
		memcpy(declared, st->param_types, sizeof(uint32_t) * (size_t)st->nparams);
	bool ok = pgs_compile(&s->pg, st->sql, st->node->explain_stmt->query, &st->arena, st->nparams, declared, &st->q, e);
	free(declared);
	if (!ok)
		return false;
	st->nparams = st->q.nparams;
	st->param_types = st->q.param_types;
	st->translated = true;
	return true;
}

bool shd_stmt_prepare(ShdSession *s, ShdStmt *st, PgwError *e)
{
	if (st->node && st->node->node_case == PG_QUERY__NODE__NODE_EXPLAIN_STMT &&
	    pgs_translatable(st->node->explain_stmt->query))
		return explain_param_types(s, st, e);
	if (!pgs_translatable(st->node))
		return true;
	uint64_t gen = pgs_schema_generation();
	if (st->translated && st->generation == gen)
		return true;
	uint32_t *declared = malloc(sizeof(uint32_t) * (size_t)(st->nparams + 1));
	int ndeclared = st->nparams;
	if (st->nparams)
		memcpy(declared, st->param_types, sizeof(uint32_t) * (size_t)st->nparams);
	if (st->translated) {
		/* re-translation after DDL: keep only the client's declared types */
		arena_reset(&st->arena);
		arena_init(&st->arena);
	}
	bool ok = pgs_compile(&s->pg, st->sql, st->node, &st->arena, ndeclared, declared, &st->q, e);
	free(declared);
	if (!ok)
		return false;
	st->nparams = st->q.nparams;
	st->param_types = st->q.param_types;
	if (st->st) {
		sqlite3_finalize(st->st);
		st->st = NULL;
	}
	if (!pgs_prepare(&s->pg, &st->q, &st->st, e))
		return false;
	st->translated = true;
	st->generation = gen;
	return true;
}

static ShdStmt *stmt_find(ShdSession *s, const char *name)
{
	for (int i = 0; i < s->nstmts; i++)
		if (strcmp(s->stmts[i]->name, name) == 0)
			return s->stmts[i];
	return NULL;
}

static void stmt_remove(ShdSession *s, const char *name)
{
	for (int i = 0; i < s->nstmts; i++)
		if (strcmp(s->stmts[i]->name, name) == 0) {
			ShdStmt *st = s->stmts[i];
			s->stmts[i] = s->stmts[--s->nstmts];
			st->dropped = true;
			if (st->refs <= 0)
				stmt_free(st);
			return;
		}
}

bool shd_stmt_drop_named(ShdSession *s, const char *name)
{
	if (!stmt_find(s, name))
		return false;
	stmt_remove(s, name);
	return true;
}

void shd_stmt_drop_all(ShdSession *s)
{
	while (s->nstmts > 0)
		stmt_remove(s, s->stmts[s->nstmts - 1]->name);
}

/* ------------------------------------------------------------ portals */

ShdPortal *shd_portal_find(ShdSession *s, const char *name)
{
	for (int i = 0; i < s->nportals; i++)
		if (strcmp(s->portals[i]->name, name) == 0)
			return s->portals[i];
	return NULL;
}

ShdPortal *shd_portal_create(ShdSession *s, const char *name, ShdStmt *stmt)
{
	ShdPortal *p = calloc(1, sizeof(*p));
	p->name = strdup(name);
	p->stmt = stmt;
	stmt->refs++;
	buf_init(&p->params_text);
	if (stmt->st) {
		if (!stmt->st_busy) {
			p->st = stmt->st;
			stmt->st_busy = true;
		} else if (sqlite3_prepare_v2(s->pg.db, stmt->q.sql, -1, &p->st, NULL) == SQLITE_OK) {
			p->own_st = true;
		}
	}
	if (s->nportals == s->portalcap) {
		s->portalcap = s->portalcap ? s->portalcap * 2 : 8;
		s->portals = realloc(s->portals, sizeof(ShdPortal *) * (size_t)s->portalcap);
	}
	s->portals[s->nportals++] = p;
	return p;
}

void shd_portal_drop(ShdSession *s, ShdPortal *p)
{
	for (int i = 0; i < s->nportals; i++)
		if (s->portals[i] == p) {
			s->portals[i] = s->portals[--s->nportals];
			break;
		}
	if (p->st) {
		if (p->own_st) {
			sqlite3_finalize(p->st);
		} else {
			sqlite3_reset(p->st);
			sqlite3_clear_bindings(p->st);
			p->stmt->st_busy = false;
		}
	}
	for (int64_t r = 0; r < p->nmat; r++) {
		for (int i = 0; i < p->stmt->q.ncols; i++)
			sqlite3_value_free(p->mat[r][i]);
		free(p->mat[r]);
	}
	free(p->mat);
	shd_stmt_release(s, p->stmt);
	buf_cleanup(&p->params_text);
	free(p->formats);
	free(p->name);
	free(p);
}

/* Drop the portals at the end of a transaction; WITH HOLD cursors survive
 * a commit. */
static void portals_drop(ShdSession *s, bool keep_hold)
{
	for (int i = s->nportals - 1; i >= 0; i--)
		if (!(keep_hold && s->portals[i]->hold))
			shd_portal_drop(s, s->portals[i]);
}

static void portals_drop_all(ShdSession *s) { portals_drop(s, false); }

/* ------------------------------------------------------------ transactions */

bool shd_txn_implicit_begin(ShdSession *s, PgwError *e)
{
	if (s->txn != SHD_TXN_IDLE || s->implicit)
		return true;
	if (!shd_sql(s, "BEGIN", e))
		return false;
	s->implicit = true;
	s->rl_nstmts = 0;
	s->pg.txn_start_us = pgs_now_us();
	buf_reset(&s->cap.changes);
	s->cap.on = true;
	s->cap.temp = false;
	return true;
}

/* End the current transaction (implicit or explicit), committing or
 * rolling back.  A COMMIT that fails rolls back and is reported to the
 * client; returns false then. */
bool shd_txn_end(ShdSession *s, bool commit)
{
	PgwError e;
	bool ok = true;
	shd_copy_abort(s);
	portals_drop(s, commit);
	s->cap.on = false;
	if (commit && s->cap.conflict) /* it wrote a row another transaction holds (rowlock.c) */
		pgw_error_set(&e, "40001", "could not serialize access due to concurrent update");
	if (!sqlite3_get_autocommit(s->pg.db)) {
		/* the changelog commits with the changes */
		if (commit && (s->cap.conflict || !(shd_changelog_write(s, s->cap.changes.data, s->cap.changes.len, NULL, &e) &&
						    shd_sql(s, "COMMIT", &e)))) {
			PgwError ignored;
			shd_sql(s, "ROLLBACK", &ignored);
			s->txn = SHD_TXN_IDLE;
			pgw_send_error(&s->conn, &e);
			ok = false;
		} else if (!commit) {
			shd_sql(s, "ROLLBACK", &e);
		}
	} else if (commit && s->rl_deferred && s->cap.changes.len > 0 && !shd_rl_commit(s, &e)) {
		s->txn = SHD_TXN_IDLE;
		pgw_send_error(&s->conn, &e);
		ok = false;
	}
	shd_rl_end(s);
	shd_clock_done(s);
	if (s->txn_ddl) {
		/* others reload the catalog: committed or rolled back, it moved */
		s->txn_ddl = false;
		s->pg.cat.own_ddl = false;
		pgs_schema_changed();
	}
	if (s->txn_read_only) {
		shd_sql(s, "PRAGMA query_only = 0", &e);
		s->txn_read_only = false;
	}
	s->implicit = false;
	s->txn = SHD_TXN_IDLE;
	s->pg.txn_start_us = 0;
	s->cap.on = false;
	if (s->writer) {
		/* only if still ours: the next writer may have noted itself */
		int64_t mine = s->txn_ts;
		atomic_compare_exchange_strong(&s->srv->writer_ts, &mine, 0);
		s->writer = false;
	}
	s->txn_ts = 0;
	s->alone = false;
	if (s->cap.changes.cap > (1u << 20))
		buf_cleanup(&s->cap.changes); /* a big transaction's memory goes back */
	buf_reset(&s->cap.changes);
	shd_savepoint_release(s, NULL, false);
	return ok;
}

static char txn_status(ShdSession *s)
{
	return s->txn == SHD_TXN_BLOCK ? 'T' : s->txn == SHD_TXN_FAILED ? 'E' : 'I';
}

/* ------------------------------------------------------------ results */

bool shd_portal_materialize(ShdSession *s, ShdPortal *p, PgwError *e)
{
	int ncols = p->stmt->q.ncols;
	int rc;
	while ((rc = sqlite3_step(p->st)) == SQLITE_ROW) {
		if (p->nmat == p->matcap) {
			p->matcap = p->matcap ? p->matcap * 2 : 64;
			p->mat = realloc(p->mat, sizeof(sqlite3_value **) * (size_t)p->matcap);
		}
		sqlite3_value **row = calloc((size_t)ncols + 1, sizeof(sqlite3_value *));
		for (int i = 0; i < ncols; i++)
			row[i] = sqlite3_value_dup(sqlite3_column_value(p->st, i));
		p->mat[p->nmat++] = row;
	}
	sqlite3_reset(p->st);
	p->materialized = true;
	p->done = true;
	if (rc != SQLITE_DONE) {
		pgs_sqlite_error(&s->pg, rc, e);
		return false;
	}
	return true;
}

bool shd_send_rows(ShdSession *s, ShdPortal *p, const ShdExec *ex, bool *suspended)
{
	const PgsQuery *q = &p->stmt->q;
	int64_t n = 0;
	PgwError e;
	*suspended = false;
	if (!p->st) {
		pgs_errorf(&s->pg, "XX000", "statement is not prepared");
		return false;
	}
	if (!p->done) {
		PgsStep r = pgs_step(&s->pg, p->st, q, p->nformats, p->formats, ex->maxrows, &n, &e);
		p->rows += n;
		if (r == PGS_STEP_CLOSED)
			return false;
		if (s->cap.conflict) {
			/* a row another transaction holds (rowlock.c): a statement
			 * in a turn of its own runs again once it is free */
			p->done = true;
			sqlite3_reset(p->st);
			if (!s->rl_stmt && !s->rl_retry)
				pgs_errorf(&s->pg, "40001", "could not serialize access due to concurrent update");
			return false;
		}
		if (r == PGS_STEP_ERROR) {
			p->done = true;
			shd_send_error(s, &e);
			return false;
		}
		*suspended = r == PGS_STEP_SUSPENDED;
		p->done = r == PGS_STEP_DONE;
	}
	if (*suspended) {
		/* the cursor form (FETCH) ends with a tag, the protocol form with PortalSuspended */
		if (p->cursor) {
			char tag[64];
			snprintf(tag, sizeof(tag), "FETCH %lld", (long long)n);
			pgw_send_command_complete(&s->conn, tag);
		} else {
			pgw_send_portal_suspended(&s->conn);
		}
		return true;
	}
	char tag[64];
	if (p->cursor)
		snprintf(tag, sizeof(tag), "FETCH %lld", (long long)n);
	else /* a SELECT counts the rows of this Execute, as PostgreSQL does */
		pgs_command_tag(&s->pg, q, q->kind == PGS_Q_SELECT ? n : p->rows, tag, sizeof(tag));
	sqlite3_reset(p->st);
	pgw_send_command_complete(&s->conn, tag);
	return true;
}

/* ------------------------------------------------------------ execution */

static bool allowed_when_failed(PgQuery__Node *n)
{
	if (n->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return false;
	PgQuery__TransactionStmtKind k = n->transaction_stmt->kind;
	return k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT ||
	       k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK ||
	       k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO ||
	       k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE;
}

/*
 * SQLite calls this while another connection holds the write lock.  Wait
 * (up to the busy timeout) unless that would risk a deadlock across shards:
 * transactions the router runs carry its start time (SET dosql.txn_ts), and
 * a younger one waiting for an older one's lock gives up after 20 ms
 * (wait-die), so no cycle of waits over shards can last.  20 ms, a few
 * times a transaction's hold on a shard, measured best with pgbench TPC-B
 * over 4 shards: shorter kills waits that would have succeeded, longer
 * lets deadlocks last.  A prepared transaction without a router time is
 * always waited for, and so is any holder by a transaction that holds no
 * write lock on any shard yet (dosql.txn_alone): it cannot close a cycle.
 * Giving up is SQLITE_BUSY, which the client sees as 40001.
 */
void shd_handover_wait(ShdSession *s)
{
	while (atomic_load(&s->srv->handover) && !s->handing_over)
		usleep(100);
}

static int busy_wait(void *arg, int count)
{
	ShdSession *s = arg;
	shd_handover_wait(s);
	if (count == 0) {
		s->busy_waited_us = 0;
		atomic_store(&s->lock_wait_ts, s->txn_ts);
	}
	int64_t holder = atomic_load(&s->srv->writer_ts);
	bool younger = s->txn_ts && !s->alone && holder && holder != INT64_MAX && s->txn_ts > holder;
	int64_t limit = younger ? 20000 : (int64_t)s->srv->busy_timeout_ms * 1000;
	if (s->busy_waited_us >= limit || atomic_load(&s->pg.cancel)) {
		if (getenv("DOSQL_DEBUG"))
			fprintf(stderr, "dosql-shard: session %d (ts %lld) gives up after %lld us, holder %lld\n", s->conn.pid,
				(long long)s->txn_ts, (long long)s->busy_waited_us, (long long)holder);
		atomic_store(&s->lock_wait_ts, 0);
		return 0;
	}
	int64_t step = count < 20 ? 200 : 2000;
	usleep((useconds_t)step);
	s->busy_waited_us += step;
	shd_handover_wait(s); /* not into a PREPARE's handover, right before SQLite tries again */
	return 1;
}

/* Whether a transaction older than s's waits for the write lock: then s,
 * which does not hold it yet, must not take it before that one (else the
 * older could wait behind ever new younger ones). */
static bool older_waiting(ShdSession *s)
{
	bool found = false;
	pthread_mutex_lock(&s->srv->lock);
	for (int i = 0; i < s->srv->nsessions && !found; i++) {
		int64_t ts = atomic_load(&s->srv->sessions[i]->lock_wait_ts);
		found = ts && ts < s->txn_ts;
	}
	pthread_mutex_unlock(&s->srv->lock);
	return found;
}

/* After a statement: note whether this transaction now holds the write lock. */
static void note_writer(ShdSession *s)
{
	atomic_store(&s->lock_wait_ts, 0);
	s->alone = false;
	if (s->writer || !s->txn_ts || sqlite3_txn_state(s->pg.db, "main") != SQLITE_TXN_WRITE)
		return;
	s->writer = true;
	atomic_store(&s->srv->writer_ts, s->txn_ts);
}

bool shd_exec_node(ShdSession *s, ShdStmt *stmt, ShdPortal *portal, const ShdExec *ex)
{
	PgwError e;
	pgs_statement_start(&s->pg);
	if (!stmt->node) {
		pgw_send_empty_query(&s->conn);
		return true;
	}
	if (s->txn == SHD_TXN_FAILED && !allowed_when_failed(stmt->node)) {
		pgs_errorf(&s->pg, "25P02", "current transaction is aborted, commands ignored until end of transaction block");
		return false;
	}
	pgs_temp_rewrite(&s->pg, stmt->node);
	if (!portal && pgs_with_dml(stmt->node) &&
	    (!shd_txn_implicit_begin(s, &e) || !pgs_with_dml_run(&s->pg, stmt->sql, stmt->node, &e))) {
		shd_send_error(s, &e); /* a simple query's WITH queries run first */
		return false;
	}
	if (!pgs_translatable(stmt->node))
		return shd_exec_utility(s, stmt->node, ex);

	/* a statement alone in its implicit transaction that meets a locked
	 * row runs again once it is free (rowlock.c) */
	bool alone_implicit = s->srv->locks && s->txn == SHD_TXN_IDLE && (!s->implicit || s->rl_nstmts == 0);
	if (!shd_txn_implicit_begin(s, &e) || !shd_stmt_prepare(s, stmt, &e)) {
		shd_send_error(s, &e);
		return false;
	}
	s->rl_retry = alone_implicit && !stmt->q.returns_rows;
	s->rl_nstmts++;
	/* with row locks, a block's statement runs in a turn of its own or
	 * opens the block's SQLite transaction (rowlock.c) */
	bool rl = shd_rl_eligible(s, stmt);
	if (!rl && !shd_rl_escalate(s, &e)) {
		shd_send_error(s, &e);
		return false;
	}
	if (!s->writer && !sqlite3_stmt_readonly(stmt->st))
		shd_handover_wait(s);
	if (s->txn_ts && !s->writer && !sqlite3_stmt_readonly(stmt->st)) {
		/* behind older waiters for a while, then give way (wait-die);
		 * one holding no lock anywhere waits as long as for a lock */
		int64_t patience = s->alone ? (int64_t)s->srv->busy_timeout_ms * 1000 : 2000;
		for (int64_t waited = 0; older_waiting(s); waited += 200) {
			if (waited >= patience) {
				pgs_errorf(&s->pg, "40001", "could not serialize access due to concurrent update");
				return false;
			}
			usleep(200);
		}
	}
	bool temp = false;
	if (!portal) {
		if (stmt->nparams > 0) {
			pgs_errorf(&s->pg, "08P01", "bind message supplies 0 parameters, but prepared statement \"\" requires %d",
				   stmt->nparams);
			return false;
		}
		portal = shd_portal_create(s, "\x01simple", stmt);
		temp = true;
		if (portal && ex->nformats > 0 && (portal->formats = malloc(sizeof(int16_t) * (size_t)ex->nformats))) {
			/* the router's final step of an Execute: its result formats */
			memcpy(portal->formats, ex->formats, sizeof(int16_t) * (size_t)ex->nformats);
			portal->nformats = ex->nformats;
		}
	}
	if (ex->describe && stmt->q.returns_rows)
		pgs_describe(&s->pg, &stmt->q, ex->nformats, ex->formats);
	bool suspended, ok;
	for (;;) {
		if (rl && !shd_rl_stmt_begin(s, &e)) {
			shd_send_error(s, &e);
			ok = false;
			break;
		}
		ok = shd_send_rows(s, portal, ex, &suspended);
		int r = rl ? shd_rl_stmt_end(s, ok) : s->rl_retry ? shd_rl_implicit_end(s, ok) : RL_DONE;
		if (r != RL_RETRY) {
			ok = ok && r == RL_DONE;
			break;
		}
		portal->done = false;
		portal->rows = 0;
	}
	s->rl_retry = false;
	if (temp)
		shd_portal_drop(s, portal);
	note_writer(s);
	return ok;
}

/* ------------------------------------------------------------ callbacks */

static ShdSession *sess(PgwConn *c) { return c->user; }

static bool cb_session_start(PgwConn *c)
{
	ShdSession *s = sess(c);
	PgwError e;
	pgs_guc_init(&s->pg);
	for (int i = 0; i < c->nparams; i++) {
		const char *n = c->param_names[i];
		if (strcmp(n, "replication") == 0) {
			s->replication = strcmp(c->param_values[i], "database") == 0;
			continue;
		}
		if (strcmp(n, "user") == 0 || strcmp(n, "database") == 0 || strncmp(n, "_pq_.", 5) == 0)
			continue;
		if (strcmp(n, "options") == 0) {
			if (!pgs_guc_apply_options(&s->pg, c->param_values[i], &e)) {
				e.severity = "FATAL";
				pgw_send_error(c, &e);
				return false;
			}
			continue;
		}
		if (!pgs_guc_set(&s->pg, n, c->param_values[i], &e)) {
			e.severity = "FATAL";
			pgw_send_error(c, &e);
			return false;
		}
	}
	pgs_guc_mark_reset(&s->pg);
	pgs_guc_report_all(&s->pg);
	return true;
}

static const char *cb_user_secret(PgwConn *c, const char *user)
{
	return pgw_users_secret(&sess(c)->srv->users, user);
}

static void cb_cancel(PgwConn *c, int32_t pid, int32_t key)
{
	ShdServer *srv = sess(c)->srv;
	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < srv->nsessions; i++) {
		ShdSession *t = srv->sessions[i];
		if (t->conn.pid == pid && t->conn.key == key) {
			atomic_store(&t->pg.cancel, true);
			sqlite3_interrupt(t->pg.db);
		}
	}
	pthread_mutex_unlock(&srv->lock);
}

/* Run one statement of a query's parse tree as a ShdStmt of its own that
 * borrows the tree and the query text. */
static bool exec_in_tree(ShdSession *s, const char *sql, PgQuery__Node *node, const ShdExec *ex)
{
	ShdStmt st;
	memset(&st, 0, sizeof(st));
	st.name = "";
	st.sql = (char *)sql;
	st.node = node;
	arena_init(&st.arena);
	st.refs = 1;
	bool ok = shd_exec_node(s, &st, NULL, ex);
	if (st.st)
		sqlite3_finalize(st.st);
	arena_reset(&st.arena);
	return ok;
}

static void cb_query(PgwConn *c, const char *sql)
{
	ShdSession *s = sess(c);
	PgwError e;
	if (s->replication && shd_cdc_command(s, sql)) {
		pgw_send_ready(c, txn_status(s));
		return;
	}
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (pr.error) {
		pgw_error_set(&e, "42601", "%s", pr.error->message);
		e.position = pr.error->cursorpos;
		pg_query_free_protobuf_parse_result(pr);
		shd_send_error(s, &e);
		if (s->implicit)
			shd_txn_end(s, false);
		pgw_send_ready(c, txn_status(s));
		return;
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (!tree || tree->n_stmts == 0) {
		if (tree)
			pg_query__parse_result__free_unpacked(tree, NULL);
		pgw_send_empty_query(c);
		pgw_send_ready(c, txn_status(s));
		return;
	}
	ShdExec ex = {.describe = true, .src = sql};
	bool ok = true;
	for (size_t i = 0; i < tree->n_stmts && ok; i++) {
		ok = exec_in_tree(s, sql, tree->stmts[i]->stmt, &ex);
		if (s->conn.state == PGW_COPY_IN) {
			/* COPY FROM STDIN: the rest waits for CopyDone */
			pg_query__parse_result__free_unpacked(tree, NULL);
			return;
		}
	}
	pg_query__parse_result__free_unpacked(tree, NULL);
	if (s->implicit)
		shd_txn_end(s, ok);
	pgw_send_ready(c, txn_status(s));
}

static void cb_parse(PgwConn *c, const char *name, const char *sql, int nparams, const uint32_t *oids)
{
	ShdSession *s = sess(c);
	PgwError e;
	if (name[0] && stmt_find(s, name)) {
		pgs_errorf(&s->pg, "42P05", "prepared statement \"%s\" already exists", name);
		return;
	}
	if (!name[0])
		stmt_remove(s, "");
	ShdStmt *st = shd_stmt_create(s, name, sql, nparams, oids, &e);
	if (!st || !shd_stmt_prepare(s, st, &e)) {
		if (st)
			stmt_free(st);
		shd_send_error(s, &e);
		return;
	}
	if (s->nstmts == s->stmtcap) {
		s->stmtcap = s->stmtcap ? s->stmtcap * 2 : 16;
		s->stmts = realloc(s->stmts, sizeof(ShdStmt *) * (size_t)s->stmtcap);
	}
	s->stmts[s->nstmts++] = st;
	pgw_send_parse_complete(c);
}

static bool bind_params(ShdSession *s, ShdPortal *p, const PgwBind *b, PgwError *e)
{
	ShdStmt *st = p->stmt;
	for (int i = 0; i < b->nparams; i++) {
		const PgwParam *pm = &b->params[i];
		uint32_t type = i < st->nparams ? st->param_types[i] : PGT_TEXT;
		PgtValue v;
		PgtError pe;
		pgt_value_init(&v);
		bool ok = true;
		if (!pm->data)
			v.type = SQLITE_NULL;
		else if (pm->format == 0)
			ok = pgt_coerce_text((const char *)pm->data, (size_t)pm->len, type, -1, &s->pg.fmt, &v, &pe);
		else
			ok = pgt_recv_binary(pm->data, (size_t)pm->len, type, -1, &v, &pe);
		if (!ok) {
			pgw_error_set(e, pe.sqlstate, "%s", pe.msg);
			if (strncmp(pe.sqlstate, "22P03", 5) == 0)
				snprintf(e->message, sizeof(e->message), "incorrect binary data format in bind parameter %d",
					 i + 1);
			/* as PostgreSQL names the parameter (without its value,
			 * log_parameter_max_length_on_error being 0) */
			if (p->name[0])
				snprintf(e->where, sizeof(e->where), "portal \"%s\" parameter $%d", p->name, i + 1);
			else
				snprintf(e->where, sizeof(e->where), "unnamed portal parameter $%d", i + 1);
			pgt_value_cleanup(&v);
			return false;
		}
		if (p->st && pgt_value_bind(p->st, i + 1, &v) != SQLITE_OK) {
			pgt_value_cleanup(&v);
			pgs_sqlite_error(&s->pg, SQLITE_ERROR, e);
			return false;
		}
		pgt_value_cleanup(&v);
	}
	return true;
}

static void cb_bind(PgwConn *c, const PgwBind *b)
{
	ShdSession *s = sess(c);
	PgwError e;
	ShdStmt *st = stmt_find(s, b->statement);
	ShdPortal *old = shd_portal_find(s, b->portal);
	PgwBindTarget t = {.stmt_found = st != NULL,
			   .nparams = st ? st->nparams : 0,
			   .txn_failed = s->txn == SHD_TXN_FAILED,
			   .ends_txn = st && (!st->node || allowed_when_failed(st->node)),
			   .portal_exists = old != NULL};
	if (!pgw_bind_check(b, &t, &e)) {
		shd_send_error(s, &e);
		return;
	}
	if (old)
		shd_portal_drop(s, old);
	if (pgs_translatable(st->node) && (!shd_txn_implicit_begin(s, &e) || !shd_stmt_prepare(s, st, &e))) {
		shd_send_error(s, &e);
		return;
	}
	ShdPortal *p = shd_portal_create(s, b->portal, st);
	p->nformats = b->nresult_formats;
	if (p->nformats) {
		p->formats = malloc(sizeof(int16_t) * (size_t)p->nformats);
		memcpy(p->formats, b->result_formats, sizeof(int16_t) * (size_t)p->nformats);
	}
	if (!bind_params(s, p, b, &e)) {
		shd_portal_drop(s, p);
		shd_send_error(s, &e);
		return;
	}
	pgw_send_bind_complete(c);
}

static void describe_stmt(ShdSession *s, ShdStmt *st, int nformats, const int16_t *formats)
{
	PgwField f[8];
	int n;
	if (pgs_translatable(st->node)) {
		if (st->q.returns_rows)
			pgs_describe(&s->pg, &st->q, nformats, formats);
		else
			pgw_send_no_data(&s->conn);
	} else if (st->node && shd_utility_describe(s, st->node, &n, f)) {
		for (int i = 0; i < n; i++)
			f[i].format = nformats == 1 ? formats[0] : 0;
		pgw_send_row_description(&s->conn, n, f);
	} else {
		pgw_send_no_data(&s->conn);
	}
}

static void cb_describe(PgwConn *c, char kind, const char *name)
{
	ShdSession *s = sess(c);
	if (kind == 'S') {
		ShdStmt *st = stmt_find(s, name);
		if (!st) {
			pgs_errorf(&s->pg, "26000", "prepared statement \"%s\" does not exist", name);
			return;
		}
		uint32_t *types = malloc(sizeof(uint32_t) * (size_t)(st->nparams + 1));
		for (int i = 0; i < st->nparams; i++)
			types[i] = st->param_types[i] ? st->param_types[i] : PGT_TEXT;
		pgw_send_parameter_description(c, st->nparams, types);
		free(types);
		describe_stmt(s, st, 0, NULL);
		return;
	}
	ShdPortal *p = shd_portal_find(s, name);
	if (!p) {
		pgs_errorf(&s->pg, "34000", "portal \"%s\" does not exist", name);
		return;
	}
	describe_stmt(s, p->stmt, p->nformats, p->formats);
}

static void cb_execute(PgwConn *c, const char *portal, int32_t maxrows)
{
	ShdSession *s = sess(c);
	ShdPortal *p = shd_portal_find(s, portal);
	if (!p) {
		pgs_errorf(&s->pg, "34000", "portal \"%s\" does not exist", portal);
		return;
	}
	ShdExec ex = {.describe = false, .nformats = p->nformats, .formats = p->formats, .maxrows = maxrows,
		      .extended = true, .src = p->stmt->sql};
	if (p->stmt->node && !pgs_translatable(p->stmt->node)) {
		if (p->done) {
			pgw_send_command_complete(c, "SELECT 0");
			return;
		}
		p->done = true;
		shd_exec_node(s, p->stmt, p, &ex);
		return;
	}
	shd_exec_node(s, p->stmt, p, &ex);
}

static void cb_close(PgwConn *c, char kind, const char *name)
{
	ShdSession *s = sess(c);
	if (kind == 'S') {
		stmt_remove(s, name);
	} else {
		ShdPortal *p = shd_portal_find(s, name);
		if (p)
			shd_portal_drop(s, p);
	}
	pgw_send_close_complete(c);
}

static void cb_sync(PgwConn *c)
{
	ShdSession *s = sess(c);
	if (s->implicit)
		shd_txn_end(s, !s->ext_error);
	else if (s->txn == SHD_TXN_IDLE)
		portals_drop(s, true);
	s->ext_error = false;
	pgw_send_ready(c, txn_status(s));
}

static void cb_copy_data(PgwConn *c, const uint8_t *data, size_t len) { shd_copy_data(sess(c), data, len); }

static void cb_copy_done(PgwConn *c)
{
	ShdSession *s = sess(c);
	shd_copy_done(s);
	if (!c->extended) {
		if (s->implicit)
			shd_txn_end(s, s->txn != SHD_TXN_FAILED && !s->ext_error);
		pgw_send_ready(c, txn_status(s));
	}
}

static void cb_copy_fail(PgwConn *c, const char *msg)
{
	ShdSession *s = sess(c);
	shd_copy_fail(s, msg);
	if (!c->extended) {
		if (s->implicit)
			shd_txn_end(s, false);
		pgw_send_ready(c, txn_status(s));
	}
}

static const PgwHandler handler = {
	.session_start = cb_session_start,
	.user_secret = cb_user_secret,
	.cancel = cb_cancel,
	.query = cb_query,
	.parse = cb_parse,
	.bind = cb_bind,
	.describe = cb_describe,
	.execute = cb_execute,
	.close = cb_close,
	.sync = cb_sync,
	.copy_data = cb_copy_data,
	.copy_done = cb_copy_done,
	.copy_fail = cb_copy_fail,
};

/* ------------------------------------------------------------ lifecycle */

/* dosql.txn_ts and dosql.commit_ts: the router's start time of the open
 * transaction (busy_wait), or the commit time of the next COMMIT PREPARED
 * (changelog.c); dosql.txn_alone: the next statement is the transaction's
 * first write on any shard. */
static int set_own(void *arg, const char *lname, const char *value, PgwError *err)
{
	ShdSession *s = arg;
	if (strcmp(lname, "dosql.txn_alone") == 0) {
		s->alone = strcmp(value, "on") == 0;
		return 1;
	}
	if (strcmp(lname, "dosql.shard") == 0) {
		char *end;
		long v = strtol(value, &end, 10);
		if (*end || v < 0 || v > 255) {
			pgw_error_set(err, "22023", "invalid value for parameter \"%s\": \"%s\"", lname, value);
			return 0;
		}
		s->shard_index = (int)v;
		return 1;
	}
	if (strcmp(lname, "dosql.txn_ts") != 0 && strcmp(lname, "dosql.commit_ts") != 0)
		return -1;
	char *end;
	long long ts = strtoll(value, &end, 10);
	if (*end || ts < 0) {
		pgw_error_set(err, "22023", "invalid value for parameter \"%s\": \"%s\"", lname, value);
		return 0;
	}
	*(lname[6] == 't' ? &s->txn_ts : &s->commit_ts) = ts;
	return 1;
}

static int32_t slot_pid(void *arg, const char *slot)
{
	ShdSession *s = arg;
	return s->srv ? shd_cdc_slot_pid(s->srv, slot) : 0;
}

/* The engine's state replies on the session's connection and asks the
 * server what only it knows. */
static void engine_error(void *arg, const PgwError *e) { shd_send_error(arg, e); }

static bool engine_sql(void *arg, const char *sql, PgwError *e) { return shd_sql(arg, sql, e); }

/* TRUNCATE: the rows go without being captured one by one, and the change
 * stream gets one TRUNCATE. */
static bool engine_truncate(void *arg, const char *table, bool cascade, bool restart, PgwError *e)
{
	ShdSession *s = arg;
	char *sql = sqlite3_mprintf("DELETE FROM \"%w\"", table);
	if (!sql) {
		pgw_error_set(e, "53200", "out of memory");
		return false;
	}
	bool capturing = s->cap.on;
	s->cap.on = false;
	bool ok = shd_sql(s, sql, e);
	s->cap.on = capturing;
	sqlite3_free(sql);
	if (ok)
		shd_cap_truncate(&s->cap, table,
				 (uint8_t)((cascade ? SHD_TRUNCATE_CASCADE : 0) | (restart ? SHD_TRUNCATE_RESTART : 0)));
	return ok;
}

static void engine_attach(ShdSession *s)
{
	s->pg.conn = &s->conn;
	s->pg.hooks = (PgsHooks){.slot_pid = slot_pid,
				 .set_own = set_own,
				 .error = engine_error,
				 .sql = engine_sql,
				 .truncate = engine_truncate,
				 .arg = s};
}

/* Pages of the database file are read through a shared mapping (up to
 * this many bytes) instead of a pread and a copy into each connection's
 * own page cache; pages still in the WAL are read as before. */
#define SHD_MMAP_SIZE "1073741824"

static bool session_open_db(ShdSession *s)
{
	char *err = NULL;
	if (sqlite3_open_v2(s->srv->db_path, &s->pg.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "dosql-shard: cannot open %s: %s\n", s->srv->db_path, sqlite3_errmsg(s->pg.db));
		return false;
	}
	sqlite3_busy_handler(s->pg.db, busy_wait, s);
	if (!shd_durable_attach(s->srv, s->pg.db) ||
	    sqlite3_exec(s->pg.db,
			 "PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON;"
			 " PRAGMA temp_store = MEMORY; PRAGMA mmap_size = " SHD_MMAP_SIZE ";",
			 NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "dosql-shard: session setup failed: %s\n", err ? err : "?");
		sqlite3_free(err);
		return false;
	}
	shd_cap_install(s->pg.db, &s->cap);
	return pgs_open(&s->pg, s->pg.db, s->srv->db_path, &s->conn, NULL, 0);
}

static void registry_add(ShdServer *srv, ShdSession *s)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->nsessions == srv->cap) {
		srv->cap = srv->cap ? srv->cap * 2 : 64;
		srv->sessions = realloc(srv->sessions, sizeof(ShdSession *) * (size_t)srv->cap);
	}
	srv->sessions[srv->nsessions++] = s;
	pthread_mutex_unlock(&srv->lock);
}

static void registry_remove(ShdServer *srv, ShdSession *s)
{
	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < srv->nsessions; i++)
		if (srv->sessions[i] == s) {
			srv->sessions[i] = srv->sessions[--srv->nsessions];
			break;
		}
	pthread_mutex_unlock(&srv->lock);
}

/* The teardown shared by network and internal sessions. */
static void session_free(ShdSession *s)
{
	shd_cdc_release(s);
	shd_copy_abort(s);
	portals_drop_all(s);
	while (s->nstmts > 0)
		stmt_remove(s, s->stmts[s->nstmts - 1]->name);
	free(s->stmts);
	free(s->portals);
	buf_cleanup(&s->cap.changes);
	shd_rl_release(s->srv, shd_rl_detach(s));
	for (int i = 0; i < s->nsavepoints; i++)
		free(s->savepoints[i].name);
	free(s->savepoints);
	if (s->pg.db && !sqlite3_get_autocommit(s->pg.db))
		sqlite3_exec(s->pg.db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(s->changelog_st);
	for (int i = 0; i < SHD_SQL_CACHE; i++)
		sqlite3_finalize(s->sql_cache[i]);
	pgs_close(&s->pg);
	if (s->pg.db)
		sqlite3_close_v2(s->pg.db);
	pgw_conn_cleanup(&s->conn);
	free(s);
}

ShdSession *shd_session_internal(ShdServer *srv)
{
	ShdSession *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->srv = srv;
	s->fd = -1;
	s->shard_index = -1;
	pgw_conn_init(&s->conn, &srv->pgw, &handler, s, 0);
	engine_attach(s);
	s->conn.state = PGW_READY;
	s->conn.user_name = "dosql";
	s->conn.database = "dosql";
	if (!session_open_db(s)) {
		session_free(s);
		return NULL;
	}
	pgs_guc_init(&s->pg);
	registry_add(srv, s); /* its lock waits count (older_waiting) */
	s->registered = true;
	return s;
}

void shd_session_internal_free(ShdSession *s)
{
	if (s && s->registered)
		registry_remove(s->srv, s);
	if (s)
		session_free(s);
}

/* The session's TEMP tables and views dropped, newest first, as its last
 * statements, after any transaction it left open is rolled back. */
static void drop_temp_tables(ShdSession *s)
{
	int n = s->pg.ntemp;
	if (!n)
		return;
	if (s->txn != SHD_TXN_IDLE)
		shd_txn_end(s, false);
	char **names = calloc((size_t)n, sizeof(char *));
	for (int i = 0; names && i < n; i++)
		names[i] = strdup(s->pg.temp[i]);
	for (int i = n - 1; names && i >= 0; i--) {
		const PgsTable *t = names[i] ? pgs_catalog_table(&s->pg.cat, names[i]) : NULL;
		if (t) {
			Buf sql;
			buf_init(&sql);
			buf_printf(&sql, "DROP %s IF EXISTS ", t->relkind == 'v' ? "VIEW" : "TABLE");
			pgs_put_ident(&sql, names[i]);
			cb_query(&s->conn, buf_cstr(&sql));
			buf_cleanup(&sql);
		}
		free(names[i]);
	}
	free(names);
}

void shd_session_run(ShdServer *srv, int fd)
{
	ShdSession *s = calloc(1, sizeof(*s));
	s->srv = srv;
	s->fd = fd;
	s->shard_index = -1;
	int32_t pid = atomic_fetch_add(&srv->next_pid, 1);
	pgw_conn_init(&s->conn, &srv->pgw, &handler, s, pid);
	engine_attach(s);
	if (!session_open_db(s)) {
		pgw_send_fatalf(&s->conn, "58000", "could not open the shard database");
		(void)send(fd, s->conn.out.data, s->conn.out.len, MSG_NOSIGNAL);
		close(fd);
	} else {
		shd_rl_attach(s);
		registry_add(srv, s);
		pgw_serve_blocking(&s->conn, fd, srv->ssl_ctx);
		drop_temp_tables(s);
		registry_remove(srv, s);
	}
	session_free(s);
}
