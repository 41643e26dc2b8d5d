/*
 * fuzz_sql.c - libFuzzer target for the engine's translation of SQL
 * (pgsql/): any text is parsed by libpg_query and, when it parses,
 * translated and compiled over a database with tables of the common types
 * (pgs_local_prepare); a statement that compiles is stepped for a few rows
 * inside a transaction that is rolled back, under a statement timeout, so
 * that every input starts from the same tables.  Errors are fine; a crash,
 * a sanitizer report or a leak is not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_stub.h"
#include "pgsql/local.h"

static PgsLocal *db;

static const char setup[] =
	"CREATE TABLE t (id int PRIMARY KEY, n numeric(10,2), f float8, s text, v varchar(5), c char(3), b bool,"
	" d date, ts timestamp, tz timestamptz, iv interval, j jsonb, a int[], u uuid, by bytea);"
	"INSERT INTO t VALUES (1, 1.5, 2.5, 'a', 'b', 'c', true, '2024-01-01', '2024-01-01 10:00', '2024-01-01 10:00+02',"
	" '1 day', '{\"k\": [1, 2]}', '{1,2}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff'),"
	" (2, NULL, 'NaN', NULL, '', 'x', false, 'infinity', NULL, NULL, '-1 mon', 'null', '{}', NULL, NULL);"
	"CREATE TABLE u (k int, t_id int, w text);"
	"INSERT INTO u VALUES (1, 1, 'x'), (2, 1, NULL), (NULL, 2, 'y');"
	"SET statement_timeout = 200";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db) {
		Buf out;
		buf_init(&out);
		db = pgs_local_create();
		if (!db || !pgs_local_sql(db, setup, &out))
			abort();
		buf_cleanup(&out);
	}
	char *sql = fuzz_text(data, size);
	if (!sql)
		return 0;
	sqlite3 *conn = pgs_local_session(db)->db;
	PgwError e;
	memset(&e, 0, sizeof(e));
	if (sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sqlite3_stmt *st = pgs_local_prepare(db, sql, &e);
	for (int i = 0; st && i < 50 && sqlite3_step(st) == SQLITE_ROW; i++)
		;
	sqlite3_finalize(st);
	if (sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	free(sql);
	return 0;
}
