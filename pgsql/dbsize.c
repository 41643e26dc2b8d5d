/*
 * dbsize.c - what a database takes on disk, as the engine's SQLite files
 * tell it: pg_database_size() (the main file), and for the router's health
 * checks dosql_wal_size() (the -wal file beside it) and
 * dosql_slot_pending(slot) (changes a replication slot has not confirmed).
 * An engine without a file (the router's, in memory) is 0 bytes.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pgsql/pgsql.h"
#include "pgsql/pgtype.h"

/* The database's one catalog entry (pg_database: oid 16384, "dosql"). */
#define DB_OID 16384
#define DB_NAME "dosql"

/* Bytes of the file at path, 0 when there is none. */
static sqlite3_int64 file_bytes(const char *path)
{
	struct stat st;
	return path && path[0] && stat(path, &st) == 0 ? (sqlite3_int64)st.st_size : 0;
}

static const char *main_file(sqlite3_context *ctx)
{
	return sqlite3_db_filename(sqlite3_context_db_handle(ctx), "main");
}

/* pg_database_size(name | oid): the current database by its name (the
 * catalog's or the one the client connected to) or oid; 3D000 for another. */
static void fn_database_size(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgsSession *s = sqlite3_user_data(ctx);
	char msg[200];
	int type = sqlite3_value_numeric_type(argv[0]);
	switch (type) {
	case SQLITE_NULL:
		return;
	case SQLITE_INTEGER: /* an oid, also as the text of one */
		if (sqlite3_value_int64(argv[0]) != DB_OID) {
			snprintf(msg, sizeof(msg), "database with OID %lld does not exist",
				 (long long)sqlite3_value_int64(argv[0]));
			pgt_result_error(ctx, "3D000", msg);
			return;
		}
		break;
	default: {
		const char *name = (const char *)sqlite3_value_text(argv[0]);
		const char *db = s->conn->database;
		if (!name || (strcmp(name, DB_NAME) != 0 && !(db && strcmp(name, db) == 0))) {
			snprintf(msg, sizeof(msg), "database \"%s\" does not exist", name ? name : "");
			pgt_result_error(ctx, "3D000", msg);
			return;
		}
	}
	}
	sqlite3_result_int64(ctx, file_bytes(main_file(ctx)));
}

/* dosql_wal_size(): bytes of the write-ahead log beside the database. */
static void fn_wal_size(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	const char *db = main_file(ctx);
	char path[4200];
	if (!db || !db[0] || snprintf(path, sizeof(path), "%s-wal", db) >= (int)sizeof(path)) {
		sqlite3_result_int64(ctx, 0);
		return;
	}
	sqlite3_result_int64(ctx, file_bytes(path));
}

/* dosql_slot_pending(slot): changelog rows at or past the slot's confirmed
 * position (DOSQL_SLOTS shows it, the router's health checks read it);
 * NULL for no such slot or where there is no changelog. */
static void fn_slot_pending(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sqlite3_context_db_handle(ctx),
			       "SELECT (SELECT count(*) FROM main._dosql_changelog WHERE commit_ts >= (confirmed + 255) >> 8)"
			       " FROM main._dosql_slots WHERE name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_value(st, 1, argv[0]);
	if (sqlite3_step(st) == SQLITE_ROW)
		sqlite3_result_int64(ctx, sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
}

bool pgs_dbsize_register(PgsSession *s)
{
	const PgtSqlFunc fns[] = {
		{"pg_database_size", 1, fn_database_size, s, 0},
		{"dosql_wal_size", 0, fn_wal_size, NULL, 0},
		{"dosql_slot_pending", 1, fn_slot_pending, NULL, 0},
	};
	return pgt_create_functions(s->db, fns, sizeof(fns) / sizeof(fns[0]));
}
