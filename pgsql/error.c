/*
 * error.c - SQLite's errors as PostgreSQL's: SQLSTATE, message and the
 * fields PostgreSQL fills (constraint, table, column, DETAIL with the key or
 * the failing row).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgsql.h"
#include "pgsql/translate.h"

bool pgs_sql(PgsSession *s, const char *sql, PgwError *e)
{
	if (s->hooks.sql)
		return s->hooks.sql(s->hooks.arg, sql, e);
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return true;
	pgs_sqlite_error(s, rc, e);
	return false;
}

/* The constraint or index name behind a SQLite UNIQUE failure
 * ("UNIQUE constraint failed: t.a, t.b"). */
static void unique_constraint_name(PgsSession *s, const char *msg, PgwError *e)
{
	const char *p = strchr(msg, ':');
	if (!p)
		return;
	p++;
	while (*p == ' ')
		p++;
	char table[64] = "";
	const char *dot = strchr(p, '.');
	if (!dot || (size_t)(dot - p) >= sizeof(table))
		return;
	memcpy(table, p, (size_t)(dot - p));
	const PgsTable *t = pgs_catalog_table(&s->cat, table);
	if (!t)
		return;
	Buf key;
	buf_init(&key);
	buf_put_u8(&key, '{');
	const char *q = p;
	bool first = true;
	while (q && *q) {
		const char *d = strchr(q, '.');
		if (!d)
			break;
		const char *end = strstr(d, ", ");
		size_t n = end ? (size_t)(end - d - 1) : strlen(d + 1);
		char col[256];
		snprintf(col, sizeof(col), "%.*s", (int)n, d + 1);
		const PgsColumn *c = pgs_table_column(t, col);
		if (c) {
			buf_printf(&key, "%s%d", first ? "" : ",", c->attnum);
			first = false;
		}
		q = end ? end + 2 : NULL;
	}
	buf_put_u8(&key, '}');
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT c.relname FROM main._dosql_index i JOIN main._dosql_class c ON c.oid = i.indexrelid"
			       " WHERE i.indrelid = ?1 AND i.indkey = ?2 AND i.indisunique ORDER BY i.indisprimary DESC LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, t->oid);
		sqlite3_bind_text(st, 2, buf_cstr(&key), -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *cname = (const char *)sqlite3_column_text(st, 0);
			snprintf(e->message, sizeof(e->message), "duplicate key value violates unique constraint \"%s\"", cname);
			snprintf(e->constraint, sizeof(e->constraint), "%s", cname);
			snprintf(e->table, sizeof(e->table), "%s", table);
			snprintf(e->schema, sizeof(e->schema), "public");
		}
		sqlite3_finalize(st);
	}
	buf_cleanup(&key);
	snprintf(e->hint, sizeof(e->hint), "%s", "");
}

void pgs_sqlite_error(PgsSession *s, int rc, PgwError *e)
{
	const char *msg = sqlite3_errmsg(s->db);
	int ext = sqlite3_extended_errcode(s->db);
	memset(e, 0, sizeof(*e));

	/* "SQLSTATE:message" from our own functions */
	if (strlen(msg) > 6 && msg[5] == ':') {
		bool code = true;
		for (int i = 0; i < 5; i++)
			code = code && (isdigit((unsigned char)msg[i]) || isupper((unsigned char)msg[i]));
		if (code) {
			memcpy(e->sqlstate, msg, 5);
			snprintf(e->message, sizeof(e->message), "%s", msg + 6);
			return;
		}
	}
	switch (rc & 0xFF) {
	case SQLITE_CONSTRAINT: {
		const char *what = strchr(msg, ':');
		what = what ? what + 2 : "";
		if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
			memcpy(e->sqlstate, "23505", 5);
			snprintf(e->message, sizeof(e->message), "duplicate key value violates unique constraint");
			unique_constraint_name(s, msg, e);
		} else if (ext == SQLITE_CONSTRAINT_NOTNULL) {
			const char *dot = strchr(what, '.');
			memcpy(e->sqlstate, "23502", 5);
			snprintf(e->message, sizeof(e->message),
				 "null value in column \"%s\" of relation \"%.*s\" violates not-null constraint",
				 dot ? dot + 1 : what, dot ? (int)(dot - what) : 0, what);
			snprintf(e->column, sizeof(e->column), "%s", dot ? dot + 1 : what);
			snprintf(e->table, sizeof(e->table), "%.*s", dot ? (int)(dot - what) : 0, what);
			snprintf(e->schema, sizeof(e->schema), "public");
		} else if (ext == SQLITE_CONSTRAINT_CHECK) {
			memcpy(e->sqlstate, "23514", 5);
			snprintf(e->message, sizeof(e->message), "new row violates check constraint \"%s\"", what);
		} else if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) {
			memcpy(e->sqlstate, "23503", 5);
			snprintf(e->message, sizeof(e->message), "insert or update violates foreign key constraint");
		} else {
			memcpy(e->sqlstate, "23000", 5);
			snprintf(e->message, sizeof(e->message), "%s", msg);
		}
		return;
	}
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		if (getenv("DOSQL_DEBUG"))
			fprintf(stderr, "dosql: session %d: SQLite %d (%s)\n", s->conn->pid, ext, msg);
		memcpy(e->sqlstate, "40001", 5);
		snprintf(e->message, sizeof(e->message), "could not serialize access due to concurrent update");
		return;
	case SQLITE_INTERRUPT:
		memcpy(e->sqlstate, "57014", 5);
		snprintf(e->message, sizeof(e->message), "canceling statement due to %s",
			 s->timed_out ? "statement timeout" : "user request");
		return;
	case SQLITE_READONLY:
		memcpy(e->sqlstate, "25006", 5);
		snprintf(e->message, sizeof(e->message), "cannot execute this statement in a read-only transaction");
		return;
	case SQLITE_FULL:
		memcpy(e->sqlstate, "53100", 5);
		snprintf(e->message, sizeof(e->message), "could not extend file: %s", msg);
		return;
	case SQLITE_NOMEM:
		memcpy(e->sqlstate, "53200", 5);
		snprintf(e->message, sizeof(e->message), "out of memory");
		return;
	case SQLITE_TOOBIG:
		memcpy(e->sqlstate, "54000", 5);
		snprintf(e->message, sizeof(e->message), "value too large");
		return;
	default:
		break;
	}
	if (strncmp(msg, "no such table: ", 15) == 0) {
		memcpy(e->sqlstate, "42P01", 5);
		snprintf(e->message, sizeof(e->message), "relation \"%s\" does not exist", msg + 15);
	} else if (strncmp(msg, "no such column: ", 16) == 0) {
		memcpy(e->sqlstate, "42703", 5);
		snprintf(e->message, sizeof(e->message), "column \"%s\" does not exist", msg + 16);
	} else if (strncmp(msg, "no such savepoint: ", 19) == 0) {
		memcpy(e->sqlstate, "3B001", 5);
		snprintf(e->message, sizeof(e->message), "savepoint \"%s\" does not exist", msg + 19);
	} else if (strcmp(msg, "integer overflow") == 0) {
		memcpy(e->sqlstate, "22003", 5);
		snprintf(e->message, sizeof(e->message), "bigint out of range");
	} else if (strncmp(msg, "misuse of aggregate", 19) == 0 || strstr(msg, "aggregate functions are not allowed")) {
		memcpy(e->sqlstate, "42803", 5);
		snprintf(e->message, sizeof(e->message), "aggregate functions are not allowed here");
	} else if (strncmp(msg, "misuse of window function", 25) == 0) {
		memcpy(e->sqlstate, "42P20", 5);
		snprintf(e->message, sizeof(e->message), "window functions are not allowed here");
	} else {
		memcpy(e->sqlstate, "XX000", 5);
		snprintf(e->message, sizeof(e->message), "SQLite: %s", msg);
	}
}

/* pg_note_row(...): keep a copy of the NEW row a diagnostic trigger saw. */
static void fn_note_row(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	PgsSession *s = sqlite3_user_data(ctx);
	for (int i = 0; i < s->ndiag; i++)
		sqlite3_value_free(s->diag_row[i]);
	free(s->diag_row);
	s->diag_row = calloc((size_t)argc + 1, sizeof(sqlite3_value *));
	s->ndiag = argc;
	for (int i = 0; i < argc; i++)
		s->diag_row[i] = sqlite3_value_dup(argv[i]);
	sqlite3_result_null(ctx);
}

void pgs_diag_clear(PgsSession *s)
{
	for (int i = 0; i < s->ndiag; i++)
		sqlite3_value_free(s->diag_row[i]);
	free(s->diag_row);
	s->diag_row = NULL;
	s->ndiag = 0;
}

/* Text of recorded column i as PostgreSQL prints it in DETAIL lines. */
static void diag_value(PgsSession *s, const PgsColumn *c, int i, Buf *b)
{
	sqlite3_value *v = i < s->ndiag ? s->diag_row[i] : NULL;
	PgtError pe;
	if (!v || sqlite3_value_type(v) == SQLITE_NULL) {
		buf_put_str(b, "null");
		return;
	}
	size_t mark = b->len;
	if (!pgt_out_text(b, v, c->type, c->typmod, &s->fmt, &pe)) {
		b->len = mark;
		buf_put_str(b, (const char *)sqlite3_value_text(v));
	}
}

/*
 * After a unique or not-null violation by `st`, find the row that failed and
 * add PostgreSQL's DETAIL ("Key (a)=(1) already exists.", "Failing row
 * contains (...)").  Inside a savepoint, a temporary BEFORE trigger records
 * each NEW row while the statement runs again up to the same failure; the
 * savepoint is then rolled back, leaving nothing behind.
 */
void pgs_diagnose_row(PgsSession *s, sqlite3_stmt *st, PgwError *e)
{
	bool unique = memcmp(e->sqlstate, "23505", 5) == 0;
	if (!e->table[0] || (!unique && memcmp(e->sqlstate, "23502", 5) != 0))
		return;
	const PgsTable *t = pgs_catalog_table(&s->cat, e->table);
	if (!t || t->ncols == 0)
		return;
	Buf sql;
	buf_init(&sql);
	buf_put_str(&sql, "SAVEPOINT _dosql_diag;");
	for (int w = 0; w < 2; w++) {
		buf_printf(&sql, " CREATE TEMP TRIGGER _dosql_diag_%d BEFORE %s ON main.", w, w ? "UPDATE" : "INSERT");
		pgs_put_ident(&sql, t->name);
		buf_put_str(&sql, " BEGIN SELECT pg_note_row(");
		for (int i = 0; i < t->ncols; i++) {
			buf_put_str(&sql, i ? ", NEW." : "NEW.");
			pgs_put_ident(&sql, t->cols[i].name);
		}
		buf_put_str(&sql, "); END;");
	}
	PgwError ignored;
	pgs_diag_clear(s);
	if (sqlite3_create_function_v2(s->db, "pg_note_row", -1, SQLITE_UTF8, s, fn_note_row, NULL, NULL, NULL) ==
		    SQLITE_OK &&
	    pgs_sql(s, buf_cstr(&sql), &ignored)) {
		sqlite3_reset(st);
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_reset(st);
	}
	pgs_sql(s, "ROLLBACK TO _dosql_diag; RELEASE _dosql_diag;", &ignored);
	buf_cleanup(&sql);
	if (s->ndiag != t->ncols) {
		pgs_diag_clear(s);
		return;
	}
	Buf d;
	buf_init(&d);
	if (unique) {
		/* the key columns of the violated index */
		char indkey[256] = "";
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(s->db,
				       "SELECT i.indkey FROM main._dosql_index i JOIN main._dosql_class c ON c.oid = i.indexrelid"
				       " WHERE c.relname = ?1",
				       -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_text(q, 1, e->constraint, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW)
				snprintf(indkey, sizeof(indkey), "%s", (const char *)sqlite3_column_text(q, 0));
			sqlite3_finalize(q);
		}
		Buf names, vals;
		buf_init(&names);
		buf_init(&vals);
		int n = 0;
		for (char *p = indkey; *p;) {
			if (*p < '0' || *p > '9') {
				p++;
				continue;
			}
			int attnum = (int)strtol(p, &p, 10);
			for (int i = 0; i < t->ncols; i++)
				if (t->cols[i].attnum == attnum) {
					buf_put_str(&names, n ? ", " : "");
					buf_put_str(&names, t->cols[i].name);
					buf_put_str(&vals, n ? ", " : "");
					diag_value(s, &t->cols[i], i, &vals);
					n++;
				}
		}
		if (n)
			buf_printf(&d, "Key (%s)=(%s) already exists.", buf_cstr(&names), buf_cstr(&vals));
		buf_cleanup(&names);
		buf_cleanup(&vals);
	} else {
		buf_put_str(&d, "Failing row contains (");
		for (int i = 0; i < t->ncols; i++) {
			if (i)
				buf_put_str(&d, ", ");
			diag_value(s, &t->cols[i], i, &d);
		}
		buf_put_str(&d, ").");
	}
	snprintf(e->detail, sizeof(e->detail), "%s", buf_cstr(&d));
	buf_cleanup(&d);
	pgs_diag_clear(s);
}
