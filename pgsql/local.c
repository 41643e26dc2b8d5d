/*
 * local.c - the engine over a private in-memory database (local.h).
 *
 * There is no client: replies collect in a PgwConn's output and are handed
 * to the caller after each call.  Each call runs in an implicit transaction
 * unless the caller opened one on the connection; DDL makes the catalog
 * read through the connection until that transaction ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/local.h"

struct PgsLocal {
	PgwConn conn; /* no socket: replies collect in conn.out */
	PgsSession pg;
	bool implicit; /* this call opened the transaction */
	bool ddl;      /* it changed the schema */
};

static const PgwConfig local_config = {.auth = PGW_AUTH_TRUST, .max_message = PGW_DEFAULT_MAX_MESSAGE};
static const PgwHandler local_handler;

PgsLocal *pgs_local_create(void)
{
	PgsLocal *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pgw_conn_init(&l->conn, &local_config, &local_handler, l, 0);
	l->conn.state = PGW_READY;
	l->conn.user_name = "dosql";
	l->conn.database = "dosql";
	char *err = NULL;
	sqlite3 *db = NULL;
	/* a temporary database: in the page cache while it fits (cache_size),
	 * spilled to a temporary file past it */
	bool ok = sqlite3_open_v2("", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) ==
			  SQLITE_OK &&
		  sqlite3_exec(db, "PRAGMA case_sensitive_like = ON;", NULL, NULL, &err) == SQLITE_OK &&
		  pgs_catalog_bootstrap(db, &err);
	sqlite3_free(err);
	l->pg.db = db;
	/* most final steps never read pg_catalog: its relations are made for
	 * the first statement that does */
	ok = ok && pgs_open(&l->pg, db, NULL, &l->conn, NULL, PGS_VIEWS_ON_USE);
	if (!ok) {
		pgs_local_destroy(l);
		return NULL;
	}
	pgs_guc_init(&l->pg);
	return l;
}

void pgs_local_destroy(PgsLocal *l)
{
	if (!l)
		return;
	pgs_close(&l->pg);
	if (l->pg.db)
		sqlite3_close_v2(l->pg.db);
	pgw_conn_cleanup(&l->conn);
	free(l);
}

PgsSession *pgs_local_session(PgsLocal *l) { return &l->pg; }

/* Open the call's transaction unless one is open. */
static bool implicit_begin(PgsLocal *l, PgwError *e)
{
	if (l->implicit || !sqlite3_get_autocommit(l->pg.db))
		return true;
	if (!pgs_sql(&l->pg, "BEGIN", e))
		return false;
	l->implicit = true;
	l->pg.txn_start_us = pgs_now_us();
	return true;
}

/* End the call's transaction: committed when ok, else rolled back. */
static bool implicit_end(PgsLocal *l, bool ok)
{
	PgwError e;
	if (l->implicit && !sqlite3_get_autocommit(l->pg.db)) {
		if (ok && !pgs_sql(&l->pg, "COMMIT", &e)) {
			PgwError ignored;
			pgs_sql(&l->pg, "ROLLBACK", &ignored);
			pgw_send_error(&l->conn, &e);
			ok = false;
		} else if (!ok) {
			pgs_sql(&l->pg, "ROLLBACK", &e);
		}
	}
	if (l->ddl) {
		l->ddl = false;
		l->pg.cat.own_ddl = false;
		pgs_schema_changed();
	}
	l->implicit = false;
	l->pg.txn_start_us = 0;
	return ok;
}

typedef struct LocalExec {
	bool describe; /* RowDescription first (simple query) */
	int nformats;
	const int16_t *formats;
} LocalExec;

/* A SELECT/INSERT/UPDATE/DELETE: compiled, its rows stepped to the end. */
static bool run_query(PgsLocal *l, const char *sql, PgQuery__Node *node, const LocalExec *ex)
{
	PgsSession *s = &l->pg;
	PgwError e;
	Arena a;
	arena_init(&a);
	PgsQuery q;
	sqlite3_stmt *st = NULL;
	bool ok = implicit_begin(l, &e) && pgs_compile(s, sql, node, &a, 0, NULL, &q, &e);
	if (ok && q.nparams > 0) {
		pgw_error_set(&e, "08P01", "bind message supplies 0 parameters, but prepared statement \"\" requires %d",
			      q.nparams);
		ok = false;
	}
	ok = ok && pgs_catalog_ready(s, &q, &e) && pgs_prepare(s, &q, &st, &e);
	if (!ok) {
		pgs_send_error(s, &e);
		arena_reset(&a);
		return false;
	}
	if (ex->describe && q.returns_rows)
		pgs_describe(s, &q, ex->nformats, ex->formats);
	int64_t n;
	PgsStep r = pgs_step(s, st, &q, ex->nformats, ex->formats, 0, &n, &e);
	if (r == PGS_STEP_DONE) {
		char tag[64];
		pgs_command_tag(s, &q, n, tag, sizeof(tag));
		pgw_send_command_complete(&l->conn, tag);
	} else if (r == PGS_STEP_ERROR) {
		pgs_send_error(s, &e);
	}
	sqlite3_finalize(st);
	arena_reset(&a);
	return r == PGS_STEP_DONE;
}

static bool run_set(PgsLocal *l, PgQuery__VariableSetStmt *vs)
{
	PgwError e;
	const char *tag = "SET";
	int done = pgs_set(&l->pg, vs, &tag, &e);
	if (done < 0) {
		pgs_warning(&l->pg, "25P01", "SET TRANSACTION can only be used in transaction blocks");
	} else if (done == 0) {
		pgs_send_error(&l->pg, &e);
		return false;
	}
	pgw_send_command_complete(&l->conn, tag);
	return true;
}

static bool run_ddl(PgsLocal *l, PgQuery__Node *node)
{
	PgwError e;
	const char *tag = NULL;
	if (!implicit_begin(l, &e)) {
		pgs_send_error(&l->pg, &e);
		return false;
	}
	if (node->node_case != PG_QUERY__NODE__NODE_TRUNCATE_STMT) {
		/* (TRUNCATE deletes rows: the schema stays) */
		l->ddl = true;
		l->pg.cat.own_ddl = true;
		pgs_schema_changed();
	}
	if (!pgs_exec_ddl(&l->pg, node, &tag))
		return false;
	pgw_send_command_complete(&l->conn, tag);
	return true;
}

static bool run_stmt(PgsLocal *l, const char *sql, PgQuery__Node *node, const LocalExec *ex)
{
	pgs_statement_start(&l->pg);
	if (!node) {
		pgw_send_empty_query(&l->conn);
		return true;
	}
	if (pgs_translatable(node))
		return run_query(l, sql, node, ex);
	if (node->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
		return run_set(l, node->variable_set_stmt);
	if (pgs_is_ddl(node))
		return run_ddl(l, node);
	pgs_errorf(&l->pg, "0A000", "%s is not supported by DoSQL", pgn_name(node));
	return false;
}

static bool run(PgsLocal *l, const char *sql, const LocalExec *ex, Buf *out)
{
	PgwError e;
	bool ok = true;
	PgQuery__ParseResult *tree = pgs_parse(sql, &e);
	if (!tree) {
		pgw_send_error(&l->conn, &e);
		ok = false;
	} else {
		for (size_t i = 0; i < tree->n_stmts && ok; i++)
			ok = run_stmt(l, sql, tree->stmts[i]->stmt, ex);
		pg_query__parse_result__free_unpacked(tree, NULL);
		ok = implicit_end(l, ok);
	}
	buf_put(out, l->conn.out.data, l->conn.out.len);
	buf_reset(&l->conn.out);
	return ok;
}

bool pgs_local_sql(PgsLocal *l, const char *sql, Buf *out)
{
	LocalExec ex = {.describe = true};
	return run(l, sql, &ex, out);
}

bool pgs_local_execute(PgsLocal *l, const char *sql, int nformats, const int16_t *formats, Buf *out)
{
	LocalExec ex = {.nformats = nformats, .formats = formats};
	return run(l, sql, &ex, out);
}

sqlite3_stmt *pgs_local_prepare(PgsLocal *l, const char *sql, PgwError *e)
{
	PgQuery__ParseResult *tree = pgs_parse(sql, e);
	if (!tree)
		return NULL;
	sqlite3_stmt *st = NULL;
	Arena a;
	arena_init(&a);
	PgsQuery q;
	if (tree->n_stmts != 1 || !pgs_translatable(tree->stmts[0]->stmt))
		pgw_error_set(e, "0A000", "only one query can be prepared on a local database");
	else if (pgs_compile(&l->pg, sql, tree->stmts[0]->stmt, &a, 0, NULL, &q, e) && pgs_catalog_ready(&l->pg, &q, e))
		(void)pgs_prepare(&l->pg, &q, &st, e);
	arena_reset(&a);
	pg_query__parse_result__free_unpacked(tree, NULL);
	return st;
}
