/*
 * test_pgsql.c - the engine as a library (pgsql/local.h): statements run
 * over a private in-memory database, their replies as PostgreSQL protocol
 * messages, settings that change the output, prepared statements with bound
 * values, and errors with PostgreSQL's SQLSTATEs (also those raised inside
 * the engine's SQL functions).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/local.h"
#include "t/unit/tap.h"

/* The replies of one call: message types in order, the text of the first
 * column of each DataRow, the last CommandComplete tag, the SQLSTATE and
 * message of the last ErrorResponse. */
typedef struct Reply {
	bool ok;
	char types[64];
	int nrows;
	char rows[8][128];
	char tag[64];
	char sqlstate[6];
	char message[256];
} Reply;

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return ntohl(v);
}

static void decode(const Buf *out, Reply *r)
{
	size_t at = 0;
	int n = 0;
	while (at + 5 <= out->len && n + 1 < (int)sizeof(r->types)) {
		char type = (char)out->data[at];
		uint32_t len = get32(out->data + at + 1);
		const uint8_t *p = out->data + at + 5;
		size_t plen = len - 4;
		r->types[n++] = type;
		if (type == 'D' && r->nrows < 8) {
			int32_t flen = (int32_t)get32(p + 2);
			snprintf(r->rows[r->nrows++], sizeof(r->rows[0]), "%.*s", flen < 0 ? 4 : flen,
				 flen < 0 ? "NULL" : (const char *)p + 6);
		} else if (type == 'C') {
			snprintf(r->tag, sizeof(r->tag), "%.*s", (int)plen, (const char *)p);
		} else if (type == 'E') {
			for (size_t i = 0; i < plen && p[i];) {
				const char *f = (const char *)p + i + 1;
				if (p[i] == 'C')
					snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", f);
				else if (p[i] == 'M')
					snprintf(r->message, sizeof(r->message), "%s", f);
				i += strlen(f) + 2;
			}
		}
		at += 1 + len;
	}
	r->types[n] = 0;
}

static Reply run(PgsLocal *l, const char *sql)
{
	Reply r;
	memset(&r, 0, sizeof(r));
	Buf out;
	buf_init(&out);
	r.ok = pgs_local_sql(l, sql, &out);
	decode(&out, &r);
	buf_cleanup(&out);
	return r;
}

int main(void)
{
	PgsLocal *l = pgs_local_create();
	ok(l != NULL, "a local database opens");
	if (!l)
		return tap_done();

	Reply r = run(l, "CREATE TABLE t (a int4 PRIMARY KEY, b text, n numeric(6,2))");
	ok(r.ok, "CREATE TABLE runs");
	is_str(r.tag, "CREATE TABLE", "its tag");

	PgwError e;
	sqlite3_stmt *ins = pgs_local_prepare(l, "INSERT INTO t VALUES ($1, $2, $3)", &e);
	ok(ins != NULL, "an INSERT with parameters compiles");
	const char *vals[3][3] = {{"2", "two", "2.5"}, {"1", "one", "1"}, {"3", NULL, "3.25"}};
	int done = 0;
	for (int i = 0; ins && i < 3; i++) {
		for (int k = 0; k < 3; k++)
			if (vals[i][k])
				sqlite3_bind_text(ins, k + 1, vals[i][k], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(ins, k + 1);
		done += sqlite3_step(ins) == SQLITE_DONE;
		sqlite3_reset(ins);
	}
	is_int(done, 3, "three rows inserted through it");
	sqlite3_finalize(ins);

	r = run(l, "SELECT b FROM t ORDER BY a");
	ok(r.ok, "SELECT runs");
	is_str(r.types, "TDDDC", "RowDescription, three DataRows, CommandComplete");
	is_str(r.rows[0], "one", "rows in ORDER BY order");
	is_str(r.rows[2], "NULL", "a NULL column");
	is_str(r.tag, "SELECT 3", "the SELECT's tag counts its rows");

	r = run(l, "SELECT sum(n) FROM t");
	is_str(r.rows[0], "6.75", "a numeric sum");

	r = run(l, "SELECT 0.1::float8 * 3");
	is_str(r.rows[0], "0.30000000000000004", "float8 output with extra_float_digits 1");
	r = run(l, "SET extra_float_digits = 0");
	ok(r.ok, "SET runs");
	is_str(r.tag, "SET", "its tag");
	r = run(l, "SELECT 0.1::float8 * 3");
	is_str(r.rows[0], "0.3", "the setting changes the output");
	pgs_guc_defaults(pgs_local_session(l));
	r = run(l, "SELECT 0.1::float8 * 3");
	is_str(r.rows[0], "0.30000000000000004", "defaults restore it");
	is_str(pgs_guc_get(pgs_local_session(l), "TimeZone"), "UTC", "a setting read back by name");

	/* pg_catalog is made for the first statement that reads it */
	r = run(l, "SELECT relname FROM pg_class WHERE relname = 't'");
	is_str(r.rows[0], "t", "a catalog relation lists the local table");
	r = run(l, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attname = 'n'");
	is_str(r.rows[0], "numeric(6,2)", "a catalog function over it");

	r = run(l, "SELECT * FROM nope");
	ok(!r.ok, "a missing table fails");
	is_str(r.sqlstate, "42P01", "with 42P01");
	is_str(r.message, "relation \"nope\" does not exist", "and PostgreSQL's message");

	r = run(l, "SELECT 1 / (a - a) FROM t");
	is_str(r.sqlstate, "22012", "a SQL function's error keeps its SQLSTATE");
	/* a stored value the engine did not write reaches the array functions
	 * unchecked */
	r = run(l, "CREATE TABLE arr (v int4[])");
	ok(sqlite3_exec(pgs_local_session(l)->db, "INSERT INTO arr VALUES ('{1,2')", NULL, NULL, NULL) == SQLITE_OK,
	   "a malformed array value stored directly");
	r = run(l, "SELECT array_length(v, 1) FROM arr");
	is_str(r.sqlstate, "22P02", "an array function meeting it fails with 22P02");
	is_str(r.message, "malformed array literal: \"{1,2\"", "and PostgreSQL's message");

	r = run(l, "INSERT INTO t VALUES (1, 'again', 0)");
	is_str(r.sqlstate, "23505", "a duplicate key");
	is_str(r.message, "duplicate key value violates unique constraint \"t_pkey\"", "names the constraint");

	r = run(l, "BEGIN");
	ok(!r.ok, "a transaction block is the program's, not the local database's");
	is_str(r.sqlstate, "0A000", "refused with 0A000");

	r = run(l, "SELECT 1; SELECT * FROM nope; SELECT 2");
	is_str(r.types, "TDCE", "statements after a failed one do not run");

	Buf out;
	buf_init(&out);
	int16_t bin = 1;
	ok(pgs_local_execute(l, "SELECT a FROM t WHERE a = 3", 1, &bin, &out), "an Execute runs");
	memset(&r, 0, sizeof(r));
	decode(&out, &r);
	is_str(r.types, "DC", "without RowDescription");
	is_int(get32(out.data + 7), 4, "an int4 in binary is four bytes");
	buf_cleanup(&out);

	r = run(l, "DROP TABLE t");
	is_str(r.tag, "DROP TABLE", "DROP TABLE runs");
	r = run(l, "SELECT * FROM t");
	is_str(r.sqlstate, "42P01", "and the table is gone from the catalog");

	pgs_local_destroy(l);
	return tap_done();
}
