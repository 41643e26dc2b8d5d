/*
 * session.c - a dosql-shard client session: the PgwHandler callbacks,
 * statements and portals, execution of translated statements, implicit and
 * explicit transactions, and SQLite-to-PostgreSQL error mapping.
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

void shd_errorf(ShdSession *s, const char *sqlstate, const char *fmt, ...)
{
	PgwError e;
	va_list ap;
	memset(&e, 0, sizeof(e));
	memcpy(e.sqlstate, sqlstate, 5);
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	shd_send_error(s, &e);
}

void shd_warning(ShdSession *s, const char *sqlstate, const char *msg)
{
	PgwError w;
	memset(&w, 0, sizeof(w));
	w.severity = "WARNING";
	memcpy(w.sqlstate, sqlstate, 5);
	snprintf(w.message, sizeof(w.message), "%s", msg);
	pgw_send_notice(&s->conn, &w);
}

void shd_notice(ShdSession *s, const char *fmt, ...)
{
	PgwError e;
	va_list ap;
	memset(&e, 0, sizeof(e));
	e.severity = "NOTICE";
	memcpy(e.sqlstate, "00000", 5);
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	pgw_send_notice(&s->conn, &e);
}

/* The constraint or index name behind a SQLite UNIQUE failure
 * ("UNIQUE constraint failed: t.a, t.b"). */
static void unique_constraint_name(ShdSession *s, const char *msg, PgwError *e)
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
	const ShdTable *t = shd_catalog_table(&s->cat, table);
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
		const ShdColumn *c = shd_table_column(t, col);
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

void shd_sqlite_error(ShdSession *s, int rc, PgwError *e)
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
			fprintf(stderr, "dosql-shard: session %d: SQLite %d (%s)\n", s->conn.pid, ext, msg);
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
	} else {
		memcpy(e->sqlstate, "XX000", 5);
		snprintf(e->message, sizeof(e->message), "SQLite: %s", msg);
	}
}

/* pg_note_row(...): keep a copy of the NEW row a diagnostic trigger saw. */
static void fn_note_row(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	ShdSession *s = sqlite3_user_data(ctx);
	for (int i = 0; i < s->ndiag; i++)
		sqlite3_value_free(s->diag_row[i]);
	free(s->diag_row);
	s->diag_row = calloc((size_t)argc + 1, sizeof(sqlite3_value *));
	s->ndiag = argc;
	for (int i = 0; i < argc; i++)
		s->diag_row[i] = sqlite3_value_dup(argv[i]);
	sqlite3_result_null(ctx);
}

static void diag_clear(ShdSession *s)
{
	for (int i = 0; i < s->ndiag; i++)
		sqlite3_value_free(s->diag_row[i]);
	free(s->diag_row);
	s->diag_row = NULL;
	s->ndiag = 0;
}

/* Text of recorded column i as PostgreSQL prints it in DETAIL lines. */
static void diag_value(ShdSession *s, const ShdColumn *c, int i, Buf *b)
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
static void diagnose_row(ShdSession *s, sqlite3_stmt *st, PgwError *e)
{
	bool unique = memcmp(e->sqlstate, "23505", 5) == 0;
	if (!e->table[0] || (!unique && memcmp(e->sqlstate, "23502", 5) != 0))
		return;
	const ShdTable *t = shd_catalog_table(&s->cat, e->table);
	if (!t || t->ncols == 0)
		return;
	Buf sql;
	buf_init(&sql);
	buf_put_str(&sql, "SAVEPOINT _dosql_diag;");
	for (int w = 0; w < 2; w++) {
		buf_printf(&sql, " CREATE TEMP TRIGGER _dosql_diag_%d BEFORE %s ON main.", w, w ? "UPDATE" : "INSERT");
		shd_put_ident(&sql, t->name);
		buf_put_str(&sql, " BEGIN SELECT pg_note_row(");
		for (int i = 0; i < t->ncols; i++) {
			buf_put_str(&sql, i ? ", NEW." : "NEW.");
			shd_put_ident(&sql, t->cols[i].name);
		}
		buf_put_str(&sql, "); END;");
	}
	PgwError ignored;
	diag_clear(s);
	if (sqlite3_create_function_v2(s->db, "pg_note_row", -1, SQLITE_UTF8, s, fn_note_row, NULL, NULL, NULL) ==
		    SQLITE_OK &&
	    shd_sql(s, buf_cstr(&sql), &ignored)) {
		sqlite3_reset(st);
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_reset(st);
	}
	shd_sql(s, "ROLLBACK TO _dosql_diag; RELEASE _dosql_diag;", &ignored);
	buf_cleanup(&sql);
	if (s->ndiag != t->ncols) {
		diag_clear(s);
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
	diag_clear(s);
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
		if (!s->sql_cache[i] && sqlite3_prepare_v2(s->db, sql, -1, &s->sql_cache[i], NULL) != SQLITE_OK) {
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
		rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
	atomic_store(&s->lock_wait_ts, 0); /* no longer waiting for the lock, if it was */
	if (rc == SQLITE_OK)
		return true;
	shd_sqlite_error(s, rc, e);
	return false;
}

/* ------------------------------------------------------------ GUCs */

typedef struct GucDef {
	const char *name;     /* lower case */
	const char *reported; /* ParameterStatus name, NULL if not reported */
	const char *initial;
	bool readonly;
} GucDef;

static const GucDef gucdefs[] = {
	{"application_name", "application_name", "", false},
	{"client_encoding", "client_encoding", "UTF8", false},
	{"datestyle", "DateStyle", "ISO, MDY", false},
	{"default_transaction_read_only", "default_transaction_read_only", "off", false},
	{"in_hot_standby", "in_hot_standby", "off", true},
	{"integer_datetimes", "integer_datetimes", "on", true},
	{"intervalstyle", "IntervalStyle", "postgres", false},
	{"is_superuser", "is_superuser", "on", true},
	{"server_encoding", "server_encoding", "UTF8", true},
	{"server_version", "server_version", PGW_SERVER_VERSION, true},
	{"session_authorization", "session_authorization", "", false},
	{"standard_conforming_strings", "standard_conforming_strings", "on", false},
	{"timezone", "TimeZone", "UTC", false},
	{"server_version_num", NULL, PGW_SERVER_VERSION_NUM, true},
	{"extra_float_digits", NULL, "1", false},
	{"search_path", NULL, "\"$user\", public", false},
	{"statement_timeout", NULL, "0", false},
	{"lock_timeout", NULL, "0", false},
	{"idle_in_transaction_session_timeout", NULL, "0", false},
	{"idle_session_timeout", NULL, "0", false},
	{"client_min_messages", NULL, "notice", false},
	{"transaction_isolation", NULL, "serializable", false},
	{"default_transaction_isolation", NULL, "serializable", false},
	{"transaction_read_only", NULL, "off", false},
	{"default_transaction_deferrable", NULL, "off", false},
	{"transaction_deferrable", NULL, "off", false},
	{"synchronous_commit", NULL, "on", false},
	{"bytea_output", NULL, "hex", false},
	{"escape_string_warning", NULL, "on", false},
	{"row_security", NULL, "on", false},
	{"work_mem", NULL, "4MB", false},
	{"maintenance_work_mem", NULL, "64MB", false},
	{"max_parallel_workers_per_gather", NULL, "2", false},
	{"jit", NULL, "off", false},
	{"lc_messages", NULL, "C", false},
	{"lc_monetary", NULL, "C", false},
	{"lc_numeric", NULL, "C", false},
	{"lc_time", NULL, "C", false},
	{"max_identifier_length", NULL, "63", true},
	{"max_connections", NULL, "1000", true},
	{"block_size", NULL, "8192", true},
	{"session_replication_role", NULL, "origin", false},
	{"check_function_bodies", NULL, "on", false},
	{"xmloption", NULL, "content", false},
	{"plan_cache_mode", NULL, "auto", false},
	{"geqo", NULL, "on", false},
	{"random_page_cost", NULL, "4", false},
	{"effective_cache_size", NULL, "4GB", false},
	{"temp_buffers", NULL, "8MB", false},
	{"log_statement", NULL, "none", false},
	{"log_min_duration_statement", NULL, "-1", false},
	{"array_nulls", NULL, "on", false},
	{"backslash_quote", NULL, "safe_encoding", false},
	{"quote_all_identifiers", NULL, "off", false},
	{"cursor_tuple_fraction", NULL, "0.1", false},
	{"timezone_abbreviations", NULL, "Default", false},
	{"default_with_oids", NULL, "off", false},
	{"tcp_keepalives_idle", NULL, "0", false},
	{"tcp_keepalives_interval", NULL, "0", false},
	{"tcp_keepalives_count", NULL, "0", false},
	{"default_tablespace", NULL, "", false},
	{"temp_tablespaces", NULL, "", false},
	{"role", NULL, "none", false},
	{"wal_level", NULL, "logical", true},
	{"max_wal_senders", NULL, "10", true},
	{"max_replication_slots", NULL, "10", true},
	{"ssl", NULL, "off", true},
};

static const GucDef *guc_def(const char *lname)
{
	for (size_t i = 0; i < sizeof(gucdefs) / sizeof(gucdefs[0]); i++)
		if (strcmp(gucdefs[i].name, lname) == 0)
			return &gucdefs[i];
	return NULL;
}

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = 0;
}

const char *shd_guc_get(ShdSession *s, const char *name)
{
	char l[128];
	lower_copy(l, sizeof(l), name);
	if (strcmp(l, "transaction isolation level") == 0)
		lower_copy(l, sizeof(l), "transaction_isolation");
	for (int i = 0; i < s->nguc; i++)
		if (strcmp(s->gucs[i].name, l) == 0)
			return s->gucs[i].value;
	return NULL;
}

/* Store without checks (start-up defaults). */
static void guc_put(ShdSession *s, const char *lname, const char *value)
{
	for (int i = 0; i < s->nguc; i++)
		if (strcmp(s->gucs[i].name, lname) == 0) {
			free(s->gucs[i].value);
			s->gucs[i].value = strdup(value);
			return;
		}
	if (s->nguc == s->gucap) {
		s->gucap = s->gucap ? s->gucap * 2 : 64;
		s->gucs = realloc(s->gucs, sizeof(ShdGuc) * (size_t)s->gucap);
	}
	s->gucs[s->nguc].name = strdup(lname);
	s->gucs[s->nguc].value = strdup(value);
	s->gucs[s->nguc].reset = NULL;
	s->nguc++;
}

/* The settings as they are now become what RESET returns to (the end of
 * start-up). */
static void guc_mark_reset(ShdSession *s)
{
	for (int i = 0; i < s->nguc; i++) {
		free(s->gucs[i].reset);
		s->gucs[i].reset = strdup(s->gucs[i].value);
	}
}

const char *shd_guc_reset_value(ShdSession *s, const char *name)
{
	char l[128];
	lower_copy(l, sizeof(l), name);
	for (int i = 0; i < s->nguc; i++)
		if (strcmp(s->gucs[i].name, l) == 0)
			return s->gucs[i].reset ? s->gucs[i].reset : "";
	return NULL;
}

void shd_guc_reset_all(ShdSession *s)
{
	for (int i = 0; i < s->nguc; i++) {
		const char *n = s->gucs[i].name, *to = s->gucs[i].reset ? s->gucs[i].reset : "";
		const GucDef *d = guc_def(n);
		if ((d && d->readonly) || strncmp(n, "transaction_", 12) == 0 || strcmp(n, "session_authorization") == 0 ||
		    strcmp(n, "role") == 0 || strcmp(s->gucs[i].value, to) == 0)
			continue;
		PgwError e;
		(void)shd_guc_set(s, n, to, &e); /* it held at start-up; the reset value stays as it is */
	}
}

bool shd_guc_set(ShdSession *s, const char *name, const char *value, PgwError *err)
{
	char l[128], v[256];
	lower_copy(l, sizeof(l), name);
	snprintf(v, sizeof(v), "%s", value);
	const GucDef *d = guc_def(l);
	if (strcmp(l, "dosql.txn_ts") == 0 || strcmp(l, "dosql.commit_ts") == 0) {
		/* the router's start time of the open transaction (busy_wait), or
		 * the commit time of the next COMMIT PREPARED (changelog.c) */
		char *end;
		long long ts = strtoll(v, &end, 10);
		if (*end || ts < 0) {
			pgw_error_set(err, "22023", "invalid value for parameter \"%s\": \"%s\"", l, value);
			return false;
		}
		*(l[6] == 't' ? &s->txn_ts : &s->commit_ts) = ts;
		return true;
	}
	if (!d && !strchr(l, '.') && strncmp(l, "enable_", 7) != 0) {
		pgw_error_set(err, "42704", "unrecognized configuration parameter \"%s\"", name);
		return false;
	}
	if (d && d->readonly) {
		pgw_error_set(err, "55P02", "parameter \"%s\" cannot be changed", name);
		return false;
	}
	if (strcmp(l, "client_encoding") == 0) {
		if (strcasecmp(v, "utf8") == 0 || strcasecmp(v, "utf-8") == 0 || strcasecmp(v, "unicode") == 0)
			snprintf(v, sizeof(v), "UTF8");
		else if (strcasecmp(v, "sql_ascii") == 0)
			snprintf(v, sizeof(v), "SQL_ASCII");
		else {
			pgw_error_set(err, "0A000", "client_encoding \"%s\" is not supported by DoSQL (UTF8 only)", value);
			return false;
		}
	} else if (strcmp(l, "datestyle") == 0) {
		if (strncasecmp(v, "iso", 3) != 0) {
			pgw_error_set(err, "0A000", "DateStyle \"%s\" is not supported by DoSQL (ISO only)", value);
			return false;
		}
		const char *order = strcasestr(v, "dmy") ? "DMY" : strcasestr(v, "ymd") ? "YMD" : "MDY";
		snprintf(v, sizeof(v), "ISO, %s", order);
	} else if (strcmp(l, "intervalstyle") == 0) {
		if (strcasecmp(v, "postgres") != 0) {
			pgw_error_set(err, "0A000", "IntervalStyle \"%s\" is not supported by DoSQL", value);
			return false;
		}
		snprintf(v, sizeof(v), "postgres");
	} else if (strcmp(l, "extra_float_digits") == 0) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < -15 || n > 3) {
			pgw_error_set(err, "22023", "invalid value for parameter \"extra_float_digits\": \"%s\"", value);
			return false;
		}
		s->fmt.extra_float_digits = (int)n;
	} else if (strcmp(l, "timezone") == 0) {
		if (strcasecmp(v, "local") == 0 || strcasecmp(v, "default") == 0)
			snprintf(v, sizeof(v), "UTC");
		if (strlen(v) >= sizeof(s->fmt.timezone) || !pgt_timezone_valid(v)) {
			pgw_error_set(err, "22023", "invalid value for parameter \"TimeZone\": \"%s\"", value);
			return false;
		}
		memcpy(s->fmt.timezone, v, strlen(v) + 1);
	} else if (strcmp(l, "statement_timeout") == 0) {
		/* milliseconds, or a number with a unit: us, ms, s, min, h, d */
		char *end;
		double n = strtod(v, &end);
		while (*end == ' ')
			end++;
		static const struct {
			const char *unit;
			double ms;
		} units[] = {{"", 1}, {"us", 0.001}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
		double scale = -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].unit) == 0)
				scale = units[i].ms;
		if (end == v || scale < 0 || n < 0 || n * scale > 2147483647.0) {
			pgw_error_set(err, "22023", "invalid value for parameter \"statement_timeout\": \"%s\"", value);
			return false;
		}
		s->statement_timeout_ms = (int64_t)(n * scale);
		/* shown in the largest unit that divides it, as PostgreSQL does */
		static const struct {
			const char *unit;
			int64_t ms;
		} show[] = {{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}, {"ms", 1}};
		int64_t ms = s->statement_timeout_ms;
		snprintf(v, sizeof(v), "0");
		for (size_t i = 0; ms && i < sizeof(show) / sizeof(show[0]); i++)
			if (ms % show[i].ms == 0) {
				snprintf(v, sizeof(v), "%lld%s", (long long)(ms / show[i].ms), show[i].unit);
				break;
			}
	} else if (strcmp(l, "standard_conforming_strings") == 0) {
		if (strcasecmp(v, "on") != 0 && strcasecmp(v, "true") != 0) {
			pgw_error_set(err, "0A000", "standard_conforming_strings = off is not supported by DoSQL");
			return false;
		}
		snprintf(v, sizeof(v), "on");
	} else if (strcmp(l, "transaction_isolation") == 0 || strcmp(l, "default_transaction_isolation") == 0) {
		/* every level is served by SQLite's serializable transactions */
		for (char *p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	const char *old = shd_guc_get(s, l);
	bool changed = !old || strcmp(old, v) != 0;
	guc_put(s, l, v);
	if (d && d->reported && changed && s->conn.state != PGW_STARTUP)
		pgw_send_parameter_status(&s->conn, d->reported, v);
	return true;
}

static void guc_init(ShdSession *s)
{
	for (size_t i = 0; i < sizeof(gucdefs) / sizeof(gucdefs[0]); i++)
		guc_put(s, gucdefs[i].name, gucdefs[i].initial);
	guc_put(s, "session_authorization", s->conn.user_name);
	s->fmt.extra_float_digits = 1;
	snprintf(s->fmt.timezone, sizeof(s->fmt.timezone), "UTC");
}

static void gucs_free(ShdSession *s)
{
	for (int i = 0; i < s->nguc; i++) {
		free(s->gucs[i].name);
		free(s->gucs[i].value);
		free(s->gucs[i].reset);
	}
	s->nguc = 0;
}

void shd_guc_defaults(ShdSession *s)
{
	gucs_free(s);
	memset(&s->fmt, 0, sizeof(s->fmt));
	guc_init(s);
}

/* ------------------------------------------------------------ statements */

ShdStmt *shd_stmt_create(ShdSession *s, const char *name, const char *sql, int nparams, const uint32_t *types,
			 PgwError *e)
{
	(void)s;
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (pr.error) {
		pgw_error_set(e, "42601", "%s", pr.error->message);
		e->position = pr.error->cursorpos;
		pg_query_free_protobuf_parse_result(pr);
		return NULL;
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (!tree) {
		pgw_error_set(e, "53200", "out of memory");
		return NULL;
	}
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

static bool is_translatable(PgQuery__Node *n)
{
	return n && (n->node_case == PG_QUERY__NODE__NODE_SELECT_STMT || n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT ||
		     n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT || n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT);
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
	ShdTranslateCtx ctx = {.cat = &s->cat, .src = st->sql, .arena = &st->arena, .nparams_in = st->nparams,
			       .param_types_in = declared, .user = s->conn.user_name};
	bool ok = shd_translate(&ctx, st->node->explain_stmt->query, &st->q, e);
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
	    is_translatable(st->node->explain_stmt->query))
		return explain_param_types(s, st, e);
	if (!is_translatable(st->node))
		return true;
	uint64_t gen = shd_schema_generation();
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
	ShdTranslateCtx ctx = {.cat = &s->cat, .src = st->sql, .arena = &st->arena, .nparams_in = ndeclared,
			       .param_types_in = declared, .user = s->conn.user_name};
	bool ok = shd_translate(&ctx, st->node, &st->q, e);
	free(declared);
	if (!ok)
		return false;
	st->nparams = st->q.nparams;
	st->param_types = st->q.param_types;
	if (st->st) {
		sqlite3_finalize(st->st);
		st->st = NULL;
	}
	int rc = sqlite3_prepare_v2(s->db, st->q.sql, -1, &st->st, NULL);
	if (rc != SQLITE_OK) {
		shd_sqlite_error(s, rc, e);
		if (strncmp(e->sqlstate, "XX000", 5) == 0)
			fprintf(stderr, "dosql-shard: SQLite refused translated SQL: %s\n  -- %s\n", sqlite3_errmsg(s->db),
				st->q.sql);
		st->st = NULL;
		return false;
	}
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
		} else if (sqlite3_prepare_v2(s->db, stmt->q.sql, -1, &p->st, NULL) == SQLITE_OK) {
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
	s->txn_start_us = shd_now_us();
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
	if (!sqlite3_get_autocommit(s->db)) {
		/* the changelog commits with the changes */
		if (commit && !(shd_changelog_write(s, s->cap.changes.data, s->cap.changes.len, NULL, &e) &&
				shd_sql(s, "COMMIT", &e))) {
			PgwError ignored;
			shd_sql(s, "ROLLBACK", &ignored);
			s->txn = SHD_TXN_IDLE;
			pgw_send_error(&s->conn, &e);
			ok = false;
		} else if (!commit) {
			shd_sql(s, "ROLLBACK", &e);
		}
	}
	shd_clock_done(s);
	if (s->txn_ddl) {
		/* others reload the catalog: committed or rolled back, it moved */
		s->txn_ddl = false;
		s->cat.own_ddl = false;
		shd_schema_changed();
	}
	if (s->txn_read_only) {
		shd_sql(s, "PRAGMA query_only = 0", &e);
		s->txn_read_only = false;
	}
	s->implicit = false;
	s->txn = SHD_TXN_IDLE;
	s->txn_start_us = 0;
	s->cap.on = false;
	if (s->writer) {
		/* only if still ours: the next writer may have noted itself */
		int64_t mine = s->txn_ts;
		atomic_compare_exchange_strong(&s->srv->writer_ts, &mine, 0);
		s->writer = false;
	}
	s->txn_ts = 0;
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

static void put_row_description(ShdSession *s, const ShdQuery *q, int nformats, const int16_t *formats)
{
	PgwField stackf[64] = {{0}};
	PgwField *f = q->ncols <= 64 ? stackf : calloc((size_t)q->ncols, sizeof(PgwField));
	for (int i = 0; i < q->ncols; i++) {
		const PgType *t = pgt_by_oid(q->cols[i].type);
		f[i].name = q->cols[i].name;
		f[i].table_oid = q->cols[i].table_oid;
		f[i].attnum = q->cols[i].attnum;
		f[i].type_oid = q->cols[i].type;
		f[i].typlen = t ? t->len : -1;
		f[i].typmod = q->cols[i].typmod;
		f[i].format = nformats == 0 ? 0 : nformats == 1 ? formats[0] : (i < nformats ? formats[i] : 0);
	}
	pgw_send_row_description(&s->conn, q->ncols, f);
	if (f != stackf)
		free(f);
}

/* One DataRow from the current SQLite row; false (nothing queued) on a
 * conversion error, reported in *e. */
bool shd_put_row(ShdSession *s, sqlite3_value **vals, const ShdQuery *q, int nformats, const int16_t *formats,
		 PgwError *e)
{
	PgwConn *c = &s->conn;
	size_t start = c->out.len;
	pgw_row_begin(c, q->ncols);
	for (int i = 0; i < q->ncols; i++) {
		sqlite3_value *v = vals[i];
		if (sqlite3_value_type(v) == SQLITE_NULL) {
			pgw_row_null(c);
			continue;
		}
		int16_t fmt = nformats == 0 ? 0 : nformats == 1 ? formats[0] : (i < nformats ? formats[i] : 0);
		size_t mark = pgw_row_value_begin(c);
		PgtError pe;
		bool ok = fmt == 1 ? pgt_out_binary(&c->out, v, q->cols[i].type, q->cols[i].typmod, &s->fmt, &pe)
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

/* One DataRow from the current SQLite row. */
static bool put_row(ShdSession *s, sqlite3_stmt *st, const ShdQuery *q, int nformats, const int16_t *formats,
		    PgwError *e)
{
	sqlite3_value *stackv[64];
	sqlite3_value **vals = q->ncols <= 64 ? stackv : calloc((size_t)q->ncols, sizeof(sqlite3_value *));
	for (int i = 0; i < q->ncols; i++)
		vals[i] = sqlite3_column_value(st, i);
	bool ok = shd_put_row(s, vals, q, nformats, formats, e);
	if (vals != stackv)
		free(vals);
	return ok;
}

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
		shd_sqlite_error(s, rc, e);
		return false;
	}
	return true;
}

static void command_tag(ShdSession *s, const ShdQuery *q, int64_t rows, char *tag, size_t n)
{
	int64_t changes = q->returns_rows ? rows : sqlite3_changes64(s->db);
	switch (q->kind) {
	case SHD_Q_SELECT:
		snprintf(tag, n, "SELECT %lld", (long long)rows);
		break;
	case SHD_Q_INSERT:
		snprintf(tag, n, "INSERT 0 %lld", (long long)changes);
		break;
	case SHD_Q_UPDATE:
		snprintf(tag, n, "UPDATE %lld", (long long)changes);
		break;
	case SHD_Q_DELETE:
		snprintf(tag, n, "DELETE %lld", (long long)changes);
		break;
	}
}

bool shd_send_rows(ShdSession *s, ShdPortal *p, const ShdExec *ex, bool *suspended)
{
	const ShdQuery *q = &p->stmt->q;
	int64_t n = 0;
	PgwError e;
	*suspended = false;
	if (!p->st) {
		shd_errorf(s, "XX000", "statement is not prepared");
		return false;
	}
	while (!p->done) {
		int rc = sqlite3_step(p->st);
		if (rc == SQLITE_ROW) {
			if (!q->returns_rows)
				continue;
			if (!put_row(s, p->st, q, p->nformats, p->formats, &e)) {
				sqlite3_reset(p->st);
				p->done = true;
				shd_send_error(s, &e);
				return false;
			}
			p->rows++;
			n++;
			if (!pgw_maybe_flush(&s->conn)) {
				sqlite3_reset(p->st);
				return false;
			}
			if (ex->maxrows > 0 && n >= ex->maxrows) {
				*suspended = true;
				break;
			}
			continue;
		}
		if (rc == SQLITE_DONE) {
			p->done = true;
			break;
		}
		shd_sqlite_error(s, rc, &e);
		if (q->kind == SHD_Q_INSERT || q->kind == SHD_Q_UPDATE)
			diagnose_row(s, p->st, &e);
		sqlite3_reset(p->st);
		p->done = true;
		shd_send_error(s, &e);
		return false;
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
		command_tag(s, q, q->kind == SHD_Q_SELECT ? n : p->rows, tag, sizeof(tag));
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
 * always waited for.  Giving up is SQLITE_BUSY, which the client sees as
 * 40001.
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
	bool younger = s->txn_ts && holder && holder != INT64_MAX && s->txn_ts > holder;
	int64_t limit = younger ? 20000 : (int64_t)s->srv->busy_timeout_ms * 1000;
	if (s->busy_waited_us >= limit || atomic_load(&s->cancel)) {
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
	if (s->writer || !s->txn_ts || sqlite3_txn_state(s->db, "main") != SQLITE_TXN_WRITE)
		return;
	s->writer = true;
	atomic_store(&s->srv->writer_ts, s->txn_ts);
}

/* SQLite calls this every few thousand VM steps: end the statement once its
 * statement_timeout has passed. */
static int progress(void *arg)
{
	ShdSession *s = arg;
	if (s->deadline_us && shd_now_us() >= s->deadline_us) {
		s->timed_out = true;
		return 1;
	}
	return 0;
}

bool shd_exec_node(ShdSession *s, ShdStmt *stmt, ShdPortal *portal, const ShdExec *ex)
{
	PgwError e;
	atomic_store(&s->cancel, false);
	s->timed_out = false;
	s->deadline_us = s->statement_timeout_ms > 0 ? shd_now_us() + s->statement_timeout_ms * 1000 : 0;
	if (!stmt->node) {
		pgw_send_empty_query(&s->conn);
		return true;
	}
	if (s->txn == SHD_TXN_FAILED && !allowed_when_failed(stmt->node)) {
		shd_errorf(s, "25P02", "current transaction is aborted, commands ignored until end of transaction block");
		return false;
	}
	if (!is_translatable(stmt->node))
		return shd_exec_utility(s, stmt->node, ex);

	if (!shd_txn_implicit_begin(s, &e) || !shd_stmt_prepare(s, stmt, &e)) {
		shd_send_error(s, &e);
		return false;
	}
	if (!s->writer && !sqlite3_stmt_readonly(stmt->st))
		shd_handover_wait(s);
	if (s->txn_ts && !s->writer && !sqlite3_stmt_readonly(stmt->st)) {
		/* behind older waiters for a while, then give way (wait-die) */
		for (int waited = 0; older_waiting(s); waited += 200) {
			if (waited >= 2000) {
				shd_errorf(s, "40001", "could not serialize access due to concurrent update");
				return false;
			}
			usleep(200);
		}
	}
	bool temp = false;
	if (!portal) {
		if (stmt->nparams > 0) {
			shd_errorf(s, "08P01", "bind message supplies 0 parameters, but prepared statement \"\" requires %d",
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
		put_row_description(s, &stmt->q, ex->nformats, ex->formats);
	bool suspended;
	bool ok = shd_send_rows(s, portal, ex, &suspended);
	if (temp)
		shd_portal_drop(s, portal);
	note_writer(s);
	return ok;
}

/* ------------------------------------------------------------ callbacks */

static ShdSession *sess(PgwConn *c) { return c->user; }

/* The startup "options" parameter: "-c name=value" and "--name=value"
 * settings separated by spaces (a backslash escapes a space). */
bool shd_guc_apply_options(ShdSession *s, const char *opts, PgwError *e)
{
	char word[1024];
	const char *p = opts;
	bool want_c = false;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = 0;
		for (; *p && *p != ' '; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < sizeof(word))
				word[n++] = *p;
		}
		word[n] = 0;
		if (!n)
			break;
		if (strcmp(word, "-c") == 0) {
			want_c = true;
			continue;
		}
		const char *setting = want_c ? word : strncmp(word, "--", 2) == 0 ? word + 2 : NULL;
		want_c = false;
		char *eq = setting ? strchr(setting, '=') : NULL;
		if (!eq) {
			pgw_error_set(e, "42601", "invalid command-line argument for server process: %s", word);
			return false;
		}
		*eq = 0;
		for (char *q = (char *)setting; *q; q++)
			if (*q == '-')
				*q = '_';
		if (!shd_guc_set(s, setting, eq + 1, e))
			return false;
	}
	return true;
}

static bool cb_session_start(PgwConn *c)
{
	ShdSession *s = sess(c);
	PgwError e;
	guc_init(s);
	for (int i = 0; i < c->nparams; i++) {
		const char *n = c->param_names[i];
		if (strcmp(n, "replication") == 0) {
			s->replication = strcmp(c->param_values[i], "database") == 0;
			continue;
		}
		if (strcmp(n, "user") == 0 || strcmp(n, "database") == 0 || strncmp(n, "_pq_.", 5) == 0)
			continue;
		if (strcmp(n, "options") == 0) {
			if (!shd_guc_apply_options(s, c->param_values[i], &e)) {
				e.severity = "FATAL";
				pgw_send_error(c, &e);
				return false;
			}
			continue;
		}
		if (!shd_guc_set(s, n, c->param_values[i], &e)) {
			e.severity = "FATAL";
			pgw_send_error(c, &e);
			return false;
		}
	}
	guc_mark_reset(s);
	for (size_t i = 0; i < sizeof(gucdefs) / sizeof(gucdefs[0]); i++)
		if (gucdefs[i].reported)
			pgw_send_parameter_status(c, gucdefs[i].reported, shd_guc_get(s, gucdefs[i].name));
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
			atomic_store(&t->cancel, true);
			sqlite3_interrupt(t->db);
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
		shd_errorf(s, "42P05", "prepared statement \"%s\" already exists", name);
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
			ok = pgt_coerce_text((const char *)pm->data, (size_t)pm->len, type, -1, &s->fmt, &v, &pe);
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
			shd_sqlite_error(s, SQLITE_ERROR, e);
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
	if (is_translatable(st->node) && (!shd_txn_implicit_begin(s, &e) || !shd_stmt_prepare(s, st, &e))) {
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
	if (is_translatable(st->node)) {
		if (st->q.returns_rows)
			put_row_description(s, &st->q, nformats, formats);
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
			shd_errorf(s, "26000", "prepared statement \"%s\" does not exist", name);
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
		shd_errorf(s, "34000", "portal \"%s\" does not exist", name);
		return;
	}
	describe_stmt(s, p->stmt, p->nformats, p->formats);
}

static void cb_execute(PgwConn *c, const char *portal, int32_t maxrows)
{
	ShdSession *s = sess(c);
	ShdPortal *p = shd_portal_find(s, portal);
	if (!p) {
		shd_errorf(s, "34000", "portal \"%s\" does not exist", portal);
		return;
	}
	ShdExec ex = {.describe = false, .nformats = p->nformats, .formats = p->formats, .maxrows = maxrows,
		      .extended = true, .src = p->stmt->sql};
	if (p->stmt->node && !is_translatable(p->stmt->node)) {
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

/* Pages of the database file are read through a shared mapping (up to
 * this many bytes) instead of a pread and a copy into each connection's
 * own page cache; pages still in the WAL are read as before. */
#define SHD_MMAP_SIZE "1073741824"

static bool session_open_db(ShdSession *s)
{
	char *err = NULL;
	if (sqlite3_open_v2(s->srv->db_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "dosql-shard: cannot open %s: %s\n", s->srv->db_path, sqlite3_errmsg(s->db));
		return false;
	}
	sqlite3_busy_handler(s->db, busy_wait, s);
	if (sqlite3_exec(s->db,
			 "PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON; PRAGMA synchronous = FULL;"
			 " PRAGMA temp_store = MEMORY; PRAGMA mmap_size = " SHD_MMAP_SIZE ";",
			 NULL, NULL, &err) != SQLITE_OK ||
	    !shd_catalog_attach(s->db, &err)) {
		fprintf(stderr, "dosql-shard: session setup failed: %s\n", err ? err : "?");
		sqlite3_free(err);
		return false;
	}
	shd_catalog_init(&s->cat, s->db, s->srv->db_path);
	sqlite3_progress_handler(s->db, 4000, progress, s);
	shd_cap_install(s->db, &s->cap);
	return shd_funcs_register(s);
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

/* The teardown shared by network and local sessions. */
static void session_free(ShdSession *s)
{
	shd_cdc_release(s);
	shd_copy_abort(s);
	diag_clear(s);
	portals_drop_all(s);
	while (s->nstmts > 0)
		stmt_remove(s, s->stmts[s->nstmts - 1]->name);
	free(s->stmts);
	free(s->portals);
	gucs_free(s);
	free(s->gucs);
	buf_cleanup(&s->cap.changes);
	for (int i = 0; i < s->nsavepoints; i++)
		free(s->savepoints[i].name);
	free(s->savepoints);
	if (s->db && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(s->changelog_st);
	for (int i = 0; i < SHD_SQL_CACHE; i++)
		sqlite3_finalize(s->sql_cache[i]);
	shd_catalog_cleanup(&s->cat);
	if (s->db)
		sqlite3_close_v2(s->db);
	pgw_conn_cleanup(&s->conn);
	free(s);
}

ShdSession *shd_session_local(void)
{
	static ShdServer local_server = {.pgw = {.auth = PGW_AUTH_TRUST, .max_message = PGW_DEFAULT_MAX_MESSAGE}};
	ShdSession *s = calloc(1, sizeof(*s));
	char *err = NULL;
	if (!s)
		return NULL;
	s->srv = &local_server;
	s->fd = -1;
	pgw_conn_init(&s->conn, &local_server.pgw, &handler, s, 0);
	s->conn.state = PGW_READY;
	s->conn.user_name = "dosql";
	s->conn.database = "dosql";
	bool ok = sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) ==
			  SQLITE_OK &&
		  sqlite3_exec(s->db, "PRAGMA case_sensitive_like = ON;", NULL, NULL, &err) == SQLITE_OK &&
		  shd_catalog_bootstrap(s->db, &err) && shd_catalog_attach(s->db, &err);
	sqlite3_free(err);
	if (ok) {
		shd_catalog_init(&s->cat, s->db, NULL);
		sqlite3_progress_handler(s->db, 4000, progress, s);
		ok = shd_funcs_register(s);
	}
	if (!ok) {
		session_free(s);
		return NULL;
	}
	guc_init(s);
	return s;
}

ShdSession *shd_session_internal(ShdServer *srv)
{
	ShdSession *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->srv = srv;
	s->fd = -1;
	pgw_conn_init(&s->conn, &srv->pgw, &handler, s, 0);
	s->conn.state = PGW_READY;
	s->conn.user_name = "dosql";
	s->conn.database = "dosql";
	if (!session_open_db(s)) {
		session_free(s);
		return NULL;
	}
	guc_init(s);
	registry_add(srv, s); /* its lock waits count (older_waiting) */
	s->registered = true;
	return s;
}

void shd_session_local_free(ShdSession *s)
{
	if (s && s->registered)
		registry_remove(s->srv, s);
	if (s)
		session_free(s);
}

static bool local_run(ShdSession *s, const char *sql, const ShdExec *ex, Buf *out)
{
	PgwError e;
	bool ok = true;
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (pr.error) {
		pgw_error_set(&e, "42601", "%s", pr.error->message);
		e.position = pr.error->cursorpos;
		pg_query_free_protobuf_parse_result(pr);
		pgw_send_error(&s->conn, &e);
		ok = false;
	} else {
		PgQuery__ParseResult *tree =
			pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
		pg_query_free_protobuf_parse_result(pr);
		for (size_t i = 0; tree && i < tree->n_stmts && ok; i++) {
			ok = exec_in_tree(s, sql, tree->stmts[i]->stmt, ex);
		}
		if (tree)
			pg_query__parse_result__free_unpacked(tree, NULL);
		if (s->implicit)
			shd_txn_end(s, ok);
	}
	buf_put(out, s->conn.out.data, s->conn.out.len);
	buf_reset(&s->conn.out);
	return ok;
}

bool shd_session_local_sql(ShdSession *s, const char *sql, Buf *out)
{
	ShdExec ex = {.describe = true, .src = sql};
	return local_run(s, sql, &ex, out);
}

bool shd_session_local_execute(ShdSession *s, const char *sql, int nformats, const int16_t *formats, Buf *out)
{
	ShdExec ex = {.nformats = nformats, .formats = formats, .extended = true, .src = sql};
	return local_run(s, sql, &ex, out);
}

void shd_session_run(ShdServer *srv, int fd)
{
	ShdSession *s = calloc(1, sizeof(*s));
	s->srv = srv;
	s->fd = fd;
	int32_t pid = atomic_fetch_add(&srv->next_pid, 1);
	pgw_conn_init(&s->conn, &srv->pgw, &handler, s, pid);
	if (!session_open_db(s)) {
		pgw_send_fatalf(&s->conn, "58000", "could not open the shard database");
		(void)send(fd, s->conn.out.data, s->conn.out.len, MSG_NOSIGNAL);
		close(fd);
	} else {
		registry_add(srv, s);
		pgw_serve_blocking(&s->conn, fd, srv->ssl_ctx);
		registry_remove(srv, s);
	}
	session_free(s);
}
