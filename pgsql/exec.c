/*
 * exec.c - the engine over one SQLite connection: opening it, compiling a
 * parse tree into a SQLite statement, stepping its rows into the
 * connection's output as PostgreSQL's RowDescription / DataRow /
 * CommandComplete, and the replies for errors and notices.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgsql.h"

/* ------------------------------------------------------------ opening */

/* SQLite calls this every few thousand VM steps: end the statement once its
 * statement_timeout has passed. */
static int progress(void *arg)
{
	PgsSession *s = arg;
	if (s->deadline_us && pgs_now_us() >= s->deadline_us) {
		s->timed_out = true;
		return 1;
	}
	return 0;
}

bool pgs_open(PgsSession *s, sqlite3 *db, const char *path, PgwConn *conn, const PgsHooks *hooks, unsigned flags)
{
	char *err = NULL;
	s->db = db;
	s->conn = conn;
	if (hooks)
		s->hooks = *hooks;
	pgs_catalog_init(&s->cat, db, path);
	s->cat.views_pending = true;
	if (!(flags & PGS_VIEWS_ON_USE) && !pgs_catalog_views(&s->cat, &err)) {
		fprintf(stderr, "dosql: session setup failed: %s\n", err ? err : "?");
		sqlite3_free(err);
		return false;
	}
	sqlite3_progress_handler(db, 4000, progress, s);
	return pgs_funcs_register(s);
}

bool pgs_catalog_ready(PgsSession *s, const PgsQuery *q, PgwError *e)
{
	char *err = NULL;
	if (!q->catalog || pgs_catalog_views(&s->cat, &err))
		return true;
	pgw_error_set(e, "XX000", "could not attach the catalog: %s", err ? err : "?");
	sqlite3_free(err);
	return false;
}

void pgs_close(PgsSession *s)
{
	pgs_diag_clear(s);
	pgs_ddl_forget_temp(s);
	pgs_temp_free(s);
	pgs_guc_free(s);
	pgs_catalog_cleanup(&s->cat);
}

void pgs_statement_start(PgsSession *s)
{
	pgs_catalog_release(&s->cat); /* tables another session's DDL retired */
	atomic_store(&s->cancel, false);
	s->timed_out = false;
	s->deadline_us = s->statement_timeout_ms > 0 ? pgs_now_us() + s->statement_timeout_ms * 1000 : 0;
}

/* ------------------------------------------------------------ replies */

void pgs_send_error(PgsSession *s, const PgwError *e)
{
	if (s->hooks.error)
		s->hooks.error(s->hooks.arg, e);
	else
		pgw_send_error(s->conn, e);
}

void pgs_errorf(PgsSession *s, const char *sqlstate, const char *fmt, ...)
{
	PgwError e;
	va_list ap;
	memset(&e, 0, sizeof(e));
	memcpy(e.sqlstate, sqlstate, 5);
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	pgs_send_error(s, &e);
}

void pgs_warning(PgsSession *s, const char *sqlstate, const char *msg)
{
	PgwError w;
	memset(&w, 0, sizeof(w));
	w.severity = "WARNING";
	memcpy(w.sqlstate, sqlstate, 5);
	snprintf(w.message, sizeof(w.message), "%s", msg);
	pgw_send_notice(s->conn, &w);
}

void pgs_notice(PgsSession *s, const char *fmt, ...)
{
	PgwError e;
	va_list ap;
	memset(&e, 0, sizeof(e));
	e.severity = "NOTICE";
	memcpy(e.sqlstate, "00000", 5);
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	pgw_send_notice(s->conn, &e);
}

/* ------------------------------------------------------------ compiling */

PgQuery__ParseResult *pgs_parse(const char *sql, PgwError *e)
{
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (pr.error) {
		pgw_error_set(e, "42601", "%s", pr.error->message);
		e->position = pr.error->cursorpos;
		pg_query_free_protobuf_parse_result(pr);
		return NULL;
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (!tree)
		pgw_error_set(e, "53200", "out of memory");
	return tree;
}

bool pgs_translatable(const PgQuery__Node *n)
{
	/* SELECT ... INTO is DDL (CREATE TABLE AS) */
	return n && ((n->node_case == PG_QUERY__NODE__NODE_SELECT_STMT && !n->select_stmt->into_clause) ||
		     n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT || n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT ||
		     n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT);
}

bool pgs_compile(PgsSession *s, const char *src, PgQuery__Node *node, Arena *arena, int nparams,
		 const uint32_t *types, PgsQuery *q, PgwError *e)
{
	PgsTranslateCtx ctx = {.cat = &s->cat,
			       .src = src,
			       .arena = arena,
			       .nparams_in = nparams,
			       .param_types_in = types,
			       .user = s->conn ? s->conn->user_name : NULL};
	return pgs_translate(&ctx, node, q, e);
}

bool pgs_prepare(PgsSession *s, const PgsQuery *q, sqlite3_stmt **st, PgwError *e)
{
	int rc = sqlite3_prepare_v2(s->db, q->sql, -1, st, NULL);
	if (rc == SQLITE_OK)
		return true;
	pgs_sqlite_error(s, rc, e);
	if (strncmp(e->sqlstate, "XX000", 5) == 0)
		fprintf(stderr, "dosql: SQLite refused translated SQL: %s\n  -- %s\n", sqlite3_errmsg(s->db), q->sql);
	sqlite3_finalize(*st);
	*st = NULL;
	return false;
}

bool pgs_exec_params(PgsSession *s, const char *sql, const char *t1, const char *t2, int64_t n3, int64_t n4,
		     int *changes, PgwError *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		pgs_sqlite_error(s, sqlite3_errcode(s->db), e);
		return false;
	}
	if (t1)
		sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
	if (t2)
		sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, n3);
	sqlite3_bind_int64(st, 4, n4);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		pgs_sqlite_error(s, rc, e);
		return false;
	}
	if (changes)
		*changes = sqlite3_changes(s->db);
	return true;
}

/* ------------------------------------------------------------ results */

static int16_t column_format(int nformats, const int16_t *formats, int i)
{
	return nformats == 0 ? 0 : nformats == 1 ? formats[0] : (i < nformats ? formats[i] : 0);
}

void pgs_describe(PgsSession *s, const PgsQuery *q, int nformats, const int16_t *formats)
{
	PgwField stackf[64] = {{0}};
	PgwField *f = q->ncols <= 64 ? stackf : calloc((size_t)q->ncols, sizeof(PgwField));
	if (!f) {
		pgs_errorf(s, "53200", "out of memory");
		return;
	}
	for (int i = 0; i < q->ncols; i++) {
		const PgType *t = pgt_by_oid(q->cols[i].type);
		f[i].name = q->cols[i].name;
		f[i].table_oid = q->cols[i].table_oid;
		f[i].attnum = q->cols[i].attnum;
		f[i].type_oid = q->cols[i].type;
		f[i].typlen = t ? t->len : -1;
		f[i].typmod = q->cols[i].typmod;
		f[i].format = column_format(nformats, formats, i);
	}
	pgw_send_row_description(s->conn, q->ncols, f);
	if (f != stackf)
		free(f);
}

bool pgs_put_row(PgsSession *s, sqlite3_value **vals, const PgsQuery *q, int nformats, const int16_t *formats,
		 PgwError *e)
{
	PgwConn *c = s->conn;
	size_t start = c->out.len;
	pgw_row_begin(c, q->ncols);
	for (int i = 0; i < q->ncols; i++) {
		sqlite3_value *v = vals[i];
		if (sqlite3_value_type(v) == SQLITE_NULL) {
			pgw_row_null(c);
			continue;
		}
		size_t mark = pgw_row_value_begin(c);
		PgtError pe;
		bool ok = column_format(nformats, formats, i) == 1
				  ? pgt_out_binary(&c->out, v, q->cols[i].type, q->cols[i].typmod, &s->fmt, &pe)
				  : pgt_out_text(&c->out, v, q->cols[i].type, q->cols[i].typmod, &s->fmt, &pe);
		if (!ok) {
			c->out.len = start;
			pgw_error_set(e, pe.sqlstate, "%s", pe.msg);
			return false;
		}
		pgw_row_value_end(c, mark);
	}
	pgw_row_end(c);
	return true;
}

bool pgs_put_stmt_row(PgsSession *s, sqlite3_stmt *st, const PgsQuery *q, int nformats, const int16_t *formats,
		      PgwError *e)
{
	sqlite3_value *stackv[64];
	sqlite3_value **vals = q->ncols <= 64 ? stackv : calloc((size_t)q->ncols, sizeof(sqlite3_value *));
	if (!vals) {
		pgw_error_set(e, "53200", "out of memory");
		return false;
	}
	for (int i = 0; i < q->ncols; i++)
		vals[i] = sqlite3_column_value(st, i);
	bool ok = pgs_put_row(s, vals, q, nformats, formats, e);
	if (vals != stackv)
		free(vals);
	return ok;
}

void pgs_command_tag(PgsSession *s, const PgsQuery *q, int64_t rows, char *tag, size_t n)
{
	int64_t changes = q->returns_rows ? rows : sqlite3_changes64(s->db);
	switch (q->kind) {
	case PGS_Q_SELECT:
		snprintf(tag, n, "SELECT %lld", (long long)rows);
		break;
	case PGS_Q_INSERT:
		snprintf(tag, n, "INSERT 0 %lld", (long long)changes);
		break;
	case PGS_Q_UPDATE:
		snprintf(tag, n, "UPDATE %lld", (long long)changes);
		break;
	case PGS_Q_DELETE:
		snprintf(tag, n, "DELETE %lld", (long long)changes);
		break;
	}
}

PgsStep pgs_step(PgsSession *s, sqlite3_stmt *st, const PgsQuery *q, int nformats, const int16_t *formats,
		 int64_t maxrows, int64_t *nrows, PgwError *e)
{
	*nrows = 0;
	for (;;) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if (!q->returns_rows)
				continue;
			if (!pgs_put_stmt_row(s, st, q, nformats, formats, e)) {
				sqlite3_reset(st);
				return PGS_STEP_ERROR;
			}
			(*nrows)++;
			if (!pgw_maybe_flush(s->conn)) {
				sqlite3_reset(st);
				return PGS_STEP_CLOSED;
			}
			if (maxrows > 0 && *nrows >= maxrows)
				return PGS_STEP_SUSPENDED;
			continue;
		}
		if (rc == SQLITE_DONE)
			return PGS_STEP_DONE;
		pgs_sqlite_error(s, rc, e);
		if (q->kind == PGS_Q_INSERT || q->kind == PGS_Q_UPDATE)
			pgs_diagnose_row(s, st, e);
		sqlite3_reset(st);
		return PGS_STEP_ERROR;
	}
}
