/*
 * capture.h - the row changes of a transaction block, as SQLite's preupdate
 * hook reports them, in a compact encoding that can be stored and applied
 * again later (PREPARE TRANSACTION keeps them until COMMIT PREPARED).
 *
 * Encoding, one change after the other:
 *   op u8 ('I' insert, 'U' update, 'D' delete, 'T' truncate), table name
 *   (u16 length + bytes), old rowid i64, new rowid i64, column count u16,
 *   then the old row (U, D) and the new row (I, U), each value a type byte
 *   (SQLite's SQLITE_INTEGER ... SQLITE_NULL) and its payload: 8 bytes for
 *   integers and floats, u32 length + bytes for text and blobs.  A TRUNCATE
 *   has no columns and no rows; its "old rowid" holds its flags
 *   (SHD_TRUNCATE_*).  Integers are big endian.
 */
#ifndef DOSQL_SHD_CAPTURE_H
#define DOSQL_SHD_CAPTURE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "pgwire/pgwire.h"

/* What one connection records. */
typedef struct ShdCapture {
	bool on;     /* record now */
	bool temp;   /* a temporary table was written (not recorded) */
	Buf changes; /* the encoded changes */
	/* row locks (rowlock.c): called, whether recording or not, for each
	 * row changed in a user table (its old and its new rowid); false when
	 * another transaction holds it, which sets conflict */
	bool (*lock)(void *arg, const char *table, int64_t rowid);
	void *lock_arg;
	bool conflict;
} ShdCapture;

#define SHD_TRUNCATE_CASCADE 1
#define SHD_TRUNCATE_RESTART 2

/* Record the changes made on db (main schema, not those made by triggers)
 * into cap->changes while cap->on; cap must outlive db's hook. */
void shd_cap_install(sqlite3 *db, ShdCapture *cap);

/* Record a TRUNCATE of table (while cap->on); its rows' deletions are not
 * recorded one by one: the caller turns capture off around them. */
void shd_cap_truncate(ShdCapture *cap, const char *table, uint8_t flags);

/*
 * Apply encoded changes inside db's open transaction.  Before each update
 * or delete the row must still hold the old values recorded, and an insert's
 * rowid must be free; otherwise 40001 (a concurrent writer got there).  A
 * malformed encoding is XX001.  Triggers run as they did the first time.
 */
bool shd_cap_apply(sqlite3 *db, const uint8_t *p, size_t n, PgwError *e);

/* Check an encoding without applying it: false when malformed. */
bool shd_cap_valid(const uint8_t *p, size_t n);

/* Call fn for each change with its operation ('I', 'U', 'D'), table, old
 * and new rowid and its own bytes of the encoding; false when malformed or
 * when fn returned false. */
typedef bool (*ShdCapFn)(void *arg, char op, const char *table, int64_t oldkey, int64_t newkey, const uint8_t *change,
			 size_t len);
bool shd_cap_foreach(const uint8_t *p, size_t n, ShdCapFn fn, void *arg);

/* Bind the old (old true) or new row of one change, as shd_cap_foreach
 * hands it, to parameters 1..ncols of st; *ncols is its column count.
 * False when malformed or when the change has no such row.  The bound
 * text and blobs point into `change`. */
bool shd_cap_bind_row(const uint8_t *change, size_t len, bool old, sqlite3_stmt *st, int *ncols);
/* The column count of one change; -1 when malformed. */
int shd_cap_columns(const uint8_t *change, size_t len);

#endif
