/*
 * fuzz_capture.c - libFuzzer target for the decoder of captured row
 * changes (shard/capture.c), the bytes a prepared transaction keeps in
 * _dosql_prepared: validated, then applied inside a transaction to an
 * in-memory database with a table "t" of three columns and one row.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>

#include "shard/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sqlite3 *db;
	if (!db && (sqlite3_open(":memory:", &db) != SQLITE_OK ||
		    sqlite3_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL);"
				     "INSERT INTO t VALUES (1, 'x', 1.5);",
				     NULL, NULL, NULL) != SQLITE_OK))
		abort();
	bool valid = shd_cap_valid(data, size);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	PgwError e;
	bool applied = shd_cap_apply(db, data, size, &e);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (applied && !valid)
		abort(); /* apply accepted what the validator refused */
	return 0;
}
