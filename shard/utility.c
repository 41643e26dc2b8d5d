/*
 * utility.c - statements that are not queries: transaction control, SET /
 * SHOW / RESET, cursors, DEALLOCATE, VACUUM; DDL and COPY are handed on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/pgnode.h"
#include "shard/session_int.h"
#include "pgsql/translate.h"

/* Transaction characteristics (BEGIN ... / SET TRANSACTION ...). */
static bool txn_options(ShdSession *s, size_t n, PgQuery__Node **opts, bool session_default)
{
	PgwError e;
	bool ro = false;
	if (!pgs_txn_options(&s->pg, n, opts, session_default, &ro, &e)) {
		shd_send_error(s, &e);
		return false;
	}
	if (ro && !s->txn_read_only) {
		if (!shd_sql(s, "PRAGMA query_only = 1", &e)) {
			shd_send_error(s, &e);
			return false;
		}
		s->txn_read_only = true;
	}
	return true;
}

static bool begin_block(ShdSession *s, PgQuery__TransactionStmt *ts, const char *tag)
{
	PgwError e;
	if (s->txn != SHD_TXN_IDLE) {
		pgs_warning(&s->pg, "25001", "there is already a transaction in progress");
		pgw_send_command_complete(&s->conn, tag);
		return true;
	}
	if (s->implicit) {
		s->implicit = false;
	} else {
		/* with row locks the block opens no SQLite transaction yet */
		if (!shd_rl_begin(s) && !shd_sql(s, "BEGIN", &e)) {
			shd_send_error(s, &e);
			return false;
		}
		s->pg.txn_start_us = pgs_now_us();
	}
	if (s->txn == SHD_TXN_IDLE && !s->cap.on) {
		/* (an implicit transaction that becomes a block keeps its changes) */
		buf_reset(&s->cap.changes);
		s->cap.on = true;
		s->cap.temp = false;
	}
	s->txn = SHD_TXN_BLOCK;
	const char *dro = pgs_guc_get(&s->pg, "default_transaction_read_only");
	if (dro && strcmp(dro, "on") == 0 && !s->txn_read_only) {
		if (shd_sql(s, "PRAGMA query_only = 1", &e))
			s->txn_read_only = true;
	}
	if (!txn_options(s, ts->n_options, ts->options, false))
		return false;
	pgw_send_command_complete(&s->conn, tag);
	return true;
}

static bool transaction_stmt(ShdSession *s, PgQuery__TransactionStmt *ts)
{
	PgwError e;
	char sql[300];
	switch (ts->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		return begin_block(s, ts, "BEGIN");
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		return begin_block(s, ts, "START TRANSACTION");
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT: {
		if (s->txn == SHD_TXN_IDLE && !s->implicit) {
		pgs_warning(&s->pg, "25P01", "there is no transaction in progress");
			pgw_send_command_complete(&s->conn, "COMMIT");
			return true;
		}
		bool failed = s->txn == SHD_TXN_FAILED;
		if (!shd_txn_end(s, !failed))
			return false;
		pgw_send_command_complete(&s->conn, failed ? "ROLLBACK" : "COMMIT");
		return true;
	}
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		if (s->txn == SHD_TXN_IDLE && !s->implicit) {
		pgs_warning(&s->pg, "25P01", "there is no transaction in progress");
		} else {
			shd_txn_end(s, false);
		}
		pgw_send_command_complete(&s->conn, "ROLLBACK");
		return true;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO: {
		const char *verb = ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT ? "SAVEPOINT"
				   : ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE ? "RELEASE"
												: "ROLLBACK TO";
		if (s->txn == SHD_TXN_IDLE) {
			pgs_errorf(&s->pg, "25P01", "%s can only be used in transaction blocks",
				   ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT ? "SAVEPOINT"
				   : ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE ? "RELEASE SAVEPOINT"
													: "ROLLBACK TO SAVEPOINT");
			return false;
		}
		Buf b;
		buf_init(&b);
		buf_printf(&b, "%s ", verb);
		pgs_put_ident(&b, ts->savepoint_name);
		snprintf(sql, sizeof(sql), "%s", buf_cstr(&b));
		buf_cleanup(&b);
		if (!shd_sql(s, sql, &e)) {
			shd_send_error(s, &e);
			return false;
		}
		if (ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT)
			shd_savepoint_set(s, ts->savepoint_name);
		else
			shd_savepoint_release(s, ts->savepoint_name,
					      ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO);
		if (ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO) {
			/* ROLLBACK TO keeps the savepoint, as PostgreSQL does */
			s->txn = SHD_TXN_BLOCK;
			if (s->txn_ddl)
				pgs_schema_changed();
			pgw_send_command_complete(&s->conn, "ROLLBACK");
		} else {
			pgw_send_command_complete(&s->conn, verb);
		}
		return true;
	}
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		return shd_prep_prepare(s, ts->gid);
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
		return shd_prep_finish(s, ts->gid, ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED);
	default:
		pgs_errorf(&s->pg, "0A000", "this transaction statement is not supported");
		return false;
	}
}

static bool show_stmt(ShdSession *s, PgQuery__VariableShowStmt *vs, const ShdExec *ex)
{
	PgwConn *c = &s->conn;
	if (strcmp(vs->name, "all") == 0) {
		if (ex->describe) {
			PgwField f[3] = {{"name", 0, 0, PGT_TEXT, -1, -1, 0}, {"setting", 0, 0, PGT_TEXT, -1, -1, 0},
					 {"description", 0, 0, PGT_TEXT, -1, -1, 0}};
			pgw_send_row_description(c, 3, f);
		}
		for (int i = 0; i < s->pg.nguc; i++) {
			pgw_row_begin(c, 3);
			size_t m = pgw_row_value_begin(c);
			buf_put_str(&c->out, s->pg.gucs[i].name);
			pgw_row_value_end(c, m);
			m = pgw_row_value_begin(c);
			buf_put_str(&c->out, s->pg.gucs[i].value);
			pgw_row_value_end(c, m);
			m = pgw_row_value_begin(c);
			pgw_row_value_end(c, m);
			pgw_row_end(c);
		}
		char tag[32];
		snprintf(tag, sizeof(tag), "SHOW %d", s->pg.nguc);
		pgw_send_command_complete(c, tag);
		return true;
	}
	const char *v = pgs_guc_get(&s->pg, vs->name);
	if (!v) {
		pgs_errorf(&s->pg, "42704", "unrecognized configuration parameter \"%s\"", vs->name);
		return false;
	}
	if (ex->describe) {
		PgwField f = {vs->name, 0, 0, PGT_TEXT, -1, -1, 0};
		pgw_send_row_description(c, 1, &f);
	}
	pgw_row_begin(c, 1);
	size_t m = pgw_row_value_begin(c);
	buf_put_str(&c->out, v);
	pgw_row_value_end(c, m);
	pgw_row_end(c);
	pgw_send_command_complete(c, "SHOW");
	return true;
}

/* EXPLAIN: the statement is translated and SQLite's query plan for it is
 * shown, one line per plan step, indented as PostgreSQL indents its plan
 * nodes.  The steps are SQLite's, not PostgreSQL's. */
static bool explain_stmt(ShdSession *s, PgQuery__ExplainStmt *es, const ShdExec *ex)
{
	for (size_t i = 0; i < es->n_options; i++) {
		PgQuery__DefElem *d = es->options[i]->def_elem;
		const char *arg = d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING ? d->arg->string->sval : "";
		if (strcmp(d->defname, "analyze") == 0 || (strcmp(d->defname, "format") == 0 && strcmp(arg, "text") != 0)) {
			pgs_errorf(&s->pg, "0A000", "EXPLAIN %s is not supported by DoSQL",
				   strcmp(d->defname, "analyze") == 0 ? "ANALYZE" : "in a format other than text");
			return false;
		}
	}
	Arena a;
	arena_init(&a);
	PgsTranslateCtx ctx = {.cat = &s->pg.cat, .src = ex->src, .arena = &a, .user = s->conn.user_name};
	PgsQuery q;
	PgwError e;
	if (!pgs_translate(&ctx, es->query, &q, &e)) {
		arena_reset(&a);
		shd_send_error(s, &e);
		return false;
	}
	char *sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", q.sql);
	arena_reset(&a);
	sqlite3_stmt *st = NULL;
	int rc = sql ? sqlite3_prepare_v2(s->pg.db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		pgs_errorf(&s->pg, "XX000", "could not plan the statement: %s", sqlite3_errmsg(s->pg.db));
		return false;
	}
	PgwConn *c = &s->conn;
	if (ex->describe) {
		PgwField f = {"QUERY PLAN", 0, 0, PGT_TEXT, -1, -1, 0};
		pgw_send_row_description(c, 1, &f);
	}
	int n = 0, cap = 0;
	struct {
		int id, depth;
	} *seen = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int id = sqlite3_column_int(st, 0), parent = sqlite3_column_int(st, 1), depth = 0;
		for (int i = 0; i < n; i++)
			if (seen[i].id == parent)
				depth = seen[i].depth + 1;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			void *grown = realloc(seen, sizeof(*seen) * (size_t)cap);
			if (!grown)
				break;
			seen = grown;
		}
		seen[n].id = id;
		seen[n++].depth = depth;
		pgw_row_begin(c, 1);
		size_t m = pgw_row_value_begin(c);
		for (int k = 0; k < depth; k++)
			buf_put_str(&c->out, k + 1 == depth ? "  ->  " : "      ");
		buf_put_str(&c->out, (const char *)sqlite3_column_text(st, 3));
		pgw_row_value_end(c, m);
		pgw_row_end(c);
	}
	free(seen);
	sqlite3_finalize(st);
	pgw_send_command_complete(c, "EXPLAIN");
	return true;
}

static bool set_stmt(ShdSession *s, PgQuery__VariableSetStmt *vs)
{
	PgwError e;
	const char *tag = "SET";
	int done = pgs_set(&s->pg, vs, &tag, &e);
	if (done < 0) {
		/* SET TRANSACTION: the open block's characteristics */
		if (s->txn == SHD_TXN_IDLE)
			pgs_warning(&s->pg, "25P01", "SET TRANSACTION can only be used in transaction blocks");
		else if (!txn_options(s, vs->n_args, vs->args, false))
			return false;
	} else if (done == 0) {
		shd_send_error(s, &e);
		return false;
	}
	pgw_send_command_complete(&s->conn, tag);
	return true;
}

#define CURSOR_OPT_SCROLL 0x0002
#define CURSOR_OPT_NO_SCROLL 0x0004
#define CURSOR_OPT_HOLD 0x0020

/* Whether SQL (a cursor's query) calls a function whose result may differ
 * when it runs again. */
static bool calls_volatile(const char *sql)
{
	static const char *const names[] = {"random", "nextval", "setval", "clock_timestamp", "timeofday", "uuid"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasestr(sql, names[i]))
			return true;
	return false;
}

static bool declare_cursor(ShdSession *s, PgQuery__DeclareCursorStmt *dc)
{
	PgwError e;
	bool hold = (dc->options & CURSOR_OPT_HOLD) != 0;
	if (s->txn == SHD_TXN_IDLE && !s->implicit && !hold) {
		pgs_errorf(&s->pg, "25P01", "DECLARE CURSOR can only be used in transaction blocks");
		return false;
	}
	if (shd_portal_find(s, dc->portalname)) {
		pgs_errorf(&s->pg, "42P03", "cursor \"%s\" already exists", dc->portalname);
		return false;
	}
	char *sql = pgn_deparse(dc->query);
	if (!sql) {
		pgs_errorf(&s->pg, "XX000", "could not deparse cursor query");
		return false;
	}
	ShdStmt *st = shd_stmt_create(s, "", sql, 0, NULL, &e);
	free(sql);
	if (st && !shd_txn_implicit_begin(s, &e)) {
		shd_stmt_discard(s, st);
		st = NULL;
	}
	if (!st || !shd_stmt_prepare(s, st, &e)) {
		shd_stmt_discard(s, st);
		shd_send_error(s, &e);
		return false;
	}
	st->dropped = true; /* owned by the portal alone */
	ShdPortal *p = shd_portal_create(s, dc->portalname, st);
	p->cursor = true;
	p->hold = hold;
	/* A scrollable or holdable cursor keeps its rows: the snapshot of the
	 * query is taken now, as PostgreSQL's cursors see it. */
	if ((hold || (dc->options & CURSOR_OPT_SCROLL)) && !shd_portal_materialize(s, p, &e)) {
		shd_portal_drop(s, p);
		shd_send_error(s, &e);
		return false;
	}
	p->rescan = !p->materialized && !(dc->options & CURSOR_OPT_NO_SCROLL) && !calls_volatile(st->q.sql);
	p->changes = sqlite3_total_changes64(s->pg.db);
	pgw_send_command_complete(&s->conn, "DECLARE CURSOR");
	return true;
}

static void cursor_row_description(ShdSession *s, ShdPortal *p)
{
	PgwField f[64];
	int n = p->stmt->q.ncols;
	PgwField *fp = n <= 64 ? f : calloc((size_t)n, sizeof(PgwField));
	for (int i = 0; i < n; i++) {
		const PgType *t = pgt_by_oid(p->stmt->q.cols[i].type);
		fp[i] = (PgwField){p->stmt->q.cols[i].name, p->stmt->q.cols[i].table_oid, p->stmt->q.cols[i].attnum,
				   p->stmt->q.cols[i].type, t ? t->len : -1, p->stmt->q.cols[i].typmod, 0};
	}
	pgw_send_row_description(&s->conn, n, fp);
	if (fp != f)
		free(fp);
}

/* FETCH / MOVE on a materialised cursor, with PostgreSQL's positioning:
 * 0 is before the first row and nrows + 1 after the last. */
static bool fetch_materialized(ShdSession *s, ShdPortal *p, PgQuery__FetchStmt *fs, const ShdExec *ex)
{
	int64_t n = p->nmat, count = 0;
	int64_t how = fs->how_many;
	const PgsQuery *q = &p->stmt->q;
	PgwError e;
	bool ok = true;

#define EMIT(r)                                                                                  \
	do {                                                                                     \
		if (!fs->ismove && ok)                                                           \
			ok = pgs_put_row(&s->pg, p->mat[(r) - 1], q, ex->nformats, ex->formats, &e); \
		count++;                                                                         \
	} while (0)

	switch (fs->direction) {
	case PG_QUERY__FETCH_DIRECTION__FETCH_FORWARD:
		if (how == 0) { /* FETCH FORWARD 0: the current row */
			if (p->pos >= 1 && p->pos <= n)
				EMIT(p->pos);
			break;
		}
		while (count < how && p->pos < n) {
			p->pos++;
			EMIT(p->pos);
		}
		if (count < how)
			p->pos = n + 1;
		break;
	case PG_QUERY__FETCH_DIRECTION__FETCH_BACKWARD:
		if (how == 0) {
			if (p->pos >= 1 && p->pos <= n)
				EMIT(p->pos);
			break;
		}
		while (count < how && p->pos > 1) {
			p->pos--;
			EMIT(p->pos);
		}
		if (count < how)
			p->pos = 0;
		break;
	case PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE:
	case PG_QUERY__FETCH_DIRECTION__FETCH_RELATIVE: {
		int64_t target = fs->direction == PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE
					 ? (how >= 0 ? how : n + 1 + how)
					 : p->pos + how;
		if (target < 1) {
			p->pos = 0;
		} else if (target > n) {
			p->pos = n + 1;
		} else {
			p->pos = target;
			EMIT(p->pos);
		}
		break;
	}
	default:
		pgs_errorf(&s->pg, "0A000", "this FETCH direction is not supported by DoSQL");
		return false;
	}
#undef EMIT
	if (!ok) {
		shd_send_error(s, &e);
		return false;
	}
	char tag[64];
	snprintf(tag, sizeof(tag), "%s %lld", fs->ismove ? "MOVE" : "FETCH", (long long)count);
	pgw_send_command_complete(&s->conn, tag);
	return true;
}

static bool fetch_stmt(ShdSession *s, PgQuery__FetchStmt *fs, const ShdExec *ex)
{
	ShdPortal *p = shd_portal_find(s, fs->portalname);
	if (!p || !p->cursor) {
		pgs_errorf(&s->pg, "34000", "cursor \"%s\" does not exist", fs->portalname);
		return false;
	}
	if (!fs->ismove && ex->describe)
		cursor_row_description(s, p);
	if (p->materialized)
		return fetch_materialized(s, p, fs, ex);
	bool forward = fs->direction == PG_QUERY__FETCH_DIRECTION__FETCH_FORWARD ||
		       (fs->direction == PG_QUERY__FETCH_DIRECTION__FETCH_RELATIVE && fs->how_many >= 0);
	if (!forward && p->rescan && sqlite3_total_changes64(s->pg.db) == p->changes) {
		/* the rows read so far (p->rows) come again first */
		PgwError e;
		int64_t read = p->rows;
		bool done = p->done;
		sqlite3_reset(p->st);
		if (!shd_portal_materialize(s, p, &e)) {
			shd_send_error(s, &e);
			return false;
		}
		p->pos = done || read > p->nmat ? p->nmat + 1 : read;
		return fetch_materialized(s, p, fs, ex);
	}
	if (!forward) {
		PgwError e;
		pgw_error_set(&e, "55000", "cursor can only scan forward");
		snprintf(e.hint, sizeof(e.hint), "Declare it with SCROLL option to enable backward scan.");
		shd_send_error(s, &e);
		return false;
	}
	int64_t how = fs->how_many;
	if (fs->ismove) {
		int64_t n = 0;
		while (!p->done && (how <= 0 || n < how)) {
			int rc = sqlite3_step(p->st);
			if (rc != SQLITE_ROW) {
				p->done = true;
				break;
			}
			n++;
		}
		p->rows += n;
		char tag[64];
		snprintf(tag, sizeof(tag), "MOVE %lld", (long long)n);
		pgw_send_command_complete(&s->conn, tag);
		return true;
	}
	if (p->done) {
		pgw_send_command_complete(&s->conn, "FETCH 0");
		return true;
	}
	ShdExec fex = *ex;
	fex.maxrows = how <= 0 || how > 0x7FFFFFFF ? 0 : (int32_t)how;
	p->nformats = ex->nformats;
	bool suspended;
	return shd_send_rows(s, p, &fex, &suspended);
}

static bool vacuum_stmt(ShdSession *s, PgQuery__VacuumStmt *vs)
{
	if (s->txn != SHD_TXN_IDLE) {
		pgs_errorf(&s->pg, "25001", "%s cannot run inside a transaction block", vs->is_vacuumcmd ? "VACUUM" : "ANALYZE");
		return false;
	}
	for (size_t i = 0; i < vs->n_rels; i++) {
		PgQuery__VacuumRelation *vr = vs->rels[i]->vacuum_relation;
		if (vr->relation && !pgs_catalog_table(&s->pg.cat, vr->relation->relname)) {
			pgs_errorf(&s->pg, "42P01", "relation \"%s\" does not exist", vr->relation->relname);
			return false;
		}
	}
	pgw_send_command_complete(&s->conn, vs->is_vacuumcmd ? "VACUUM" : "ANALYZE");
	return true;
}

/* DDL, in the open transaction (an implicit one if none): publications
 * are the server's, the rest the engine's. */
static bool ddl_stmt(ShdSession *s, PgQuery__Node *node)
{
	PgwError e;
	const char *tag = NULL;
	bool fresh = s->txn == SHD_TXN_IDLE && !s->implicit;
	/* a DDL statement of its own takes the write lock before it reads the
	 * catalog, so that it waits for a writer that commits meanwhile (a
	 * session dropping its TEMP tables as it ends) instead of failing on
	 * a stale snapshot */
	if (!shd_txn_implicit_begin(s, &e) ||
	    (fresh && !shd_sql(s, "UPDATE main._dosql_meta SET value = value WHERE 0", &e))) {
		shd_send_error(s, &e);
		return false;
	}
	if (node->node_case != PG_QUERY__NODE__NODE_TRUNCATE_STMT) {
		/* (TRUNCATE deletes rows: the schema stays) */
		s->txn_ddl = true;
		s->pg.cat.own_ddl = true;
		pgs_schema_changed();
	}
	bool ok;
	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT) {
		tag = "CREATE PUBLICATION";
		ok = shd_create_publication(s, node->create_publication_stmt);
	} else if (node->node_case == PG_QUERY__NODE__NODE_DROP_STMT &&
		   node->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_PUBLICATION) {
		tag = "DROP PUBLICATION";
		ok = shd_drop_publication(s, node->drop_stmt);
	} else {
		ok = pgs_exec_ddl(&s->pg, node, &tag);
	}
	if (!ok)
		return false;
	pgw_send_command_complete(&s->conn, tag);
	return true;
}

bool shd_exec_utility(ShdSession *s, PgQuery__Node *node, const ShdExec *ex)
{
	PgwError e;
	if (!shd_rl_utility(s, node, &e)) {
		shd_send_error(s, &e);
		return false;
	}
	if (pgs_is_ddl(node) || node->node_case == PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT)
		return ddl_stmt(s, node);
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return transaction_stmt(s, node->transaction_stmt);
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		return set_stmt(s, node->variable_set_stmt);
	case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
		return show_stmt(s, node->variable_show_stmt, ex);
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return vacuum_stmt(s, node->vacuum_stmt);
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
		return declare_cursor(s, node->declare_cursor_stmt);
	case PG_QUERY__NODE__NODE_FETCH_STMT:
		return fetch_stmt(s, node->fetch_stmt, ex);
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT: {
		const char *name = node->close_portal_stmt->portalname;
		if (!pgn_has_str(name)) {
			for (int i = s->nportals - 1; i >= 0; i--)
				if (s->portals[i]->cursor)
					shd_portal_drop(s, s->portals[i]);
		} else {
			ShdPortal *p = shd_portal_find(s, name);
			if (!p || !p->cursor) {
				pgs_errorf(&s->pg, "34000", "cursor \"%s\" does not exist", name);
				return false;
			}
			shd_portal_drop(s, p);
		}
		pgw_send_command_complete(&s->conn, "CLOSE CURSOR");
		return true;
	}
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT: {
		const char *name = node->deallocate_stmt->name;
		if (pgn_has_str(name)) {
			/* protocol-level statements share the namespace (DBD::Pg) */
			if (!shd_stmt_drop_named(s, name)) {
				pgs_errorf(&s->pg, "26000", "prepared statement \"%s\" does not exist", name);
				return false;
			}
			pgw_send_command_complete(&s->conn, "DEALLOCATE");
		} else {
			shd_stmt_drop_all(s);
			pgw_send_command_complete(&s->conn, "DEALLOCATE ALL");
		}
		return true;
	}
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		if (s->txn != SHD_TXN_IDLE) {
			pgs_errorf(&s->pg, "25001", "DISCARD ALL cannot run inside a transaction block");
			return false;
		}
		pgw_send_command_complete(&s->conn, "DISCARD ALL");
		return true;
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		if (s->txn == SHD_TXN_IDLE && !s->implicit) {
			pgs_errorf(&s->pg, "25P01", "LOCK TABLE can only be used in transaction blocks");
			return false;
		}
		pgw_send_command_complete(&s->conn, "LOCK TABLE");
		return true;
	case PG_QUERY__NODE__NODE_CHECK_POINT_STMT:
		/* every frame into the database and the WAL truncated, once no
		 * writer is at work (the busy handler waits for it); inside a
		 * transaction, or while another stays busy, what can be copied */
		if (s->txn != SHD_TXN_IDLE || s->implicit ||
		    sqlite3_wal_checkpoint_v2(s->pg.db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
			shd_sql(s, "PRAGMA wal_checkpoint(PASSIVE)", &e);
		pgw_send_command_complete(&s->conn, "CHECKPOINT");
		return true;
	case PG_QUERY__NODE__NODE_COPY_STMT:
		if (!shd_txn_implicit_begin(s, &e)) {
			shd_send_error(s, &e);
			return false;
		}
		return shd_copy_start(s, node->copy_stmt, ex);
	case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
		return explain_stmt(s, node->explain_stmt, ex);
	default:
		pgs_errorf(&s->pg, "0A000", "%s is not supported by DoSQL", pgn_name(node));
		return false;
	}
}

bool shd_utility_describe(ShdSession *s, PgQuery__Node *node, int *ncols, PgwField *fields)
{
	if (node->node_case == PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT) {
		const char *name = node->variable_show_stmt->name;
		if (strcmp(name, "all") == 0) {
			fields[0] = (PgwField){"name", 0, 0, PGT_TEXT, -1, -1, 0};
			fields[1] = (PgwField){"setting", 0, 0, PGT_TEXT, -1, -1, 0};
			fields[2] = (PgwField){"description", 0, 0, PGT_TEXT, -1, -1, 0};
			*ncols = 3;
		} else {
			fields[0] = (PgwField){name, 0, 0, PGT_TEXT, -1, -1, 0};
			*ncols = 1;
		}
		return true;
	}
	if (node->node_case == PG_QUERY__NODE__NODE_EXPLAIN_STMT) {
		fields[0] = (PgwField){"QUERY PLAN", 0, 0, PGT_TEXT, -1, -1, 0};
		*ncols = 1;
		return true;
	}
	(void)s;
	return false;
}
