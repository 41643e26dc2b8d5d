/*
 * changelog.c - every committed row change, recorded in _dosql_changelog in
 * the same SQLite transaction as the change itself.
 *
 * A row per change: the commit time of its transaction on this shard's
 * hybrid logical clock (microseconds, strictly rising from commit to
 * commit), the transaction's id (that same time), its two-phase commit gid
 * if it had one, the table, the operation ('I', 'U', 'D'), the old and new
 * rowids and the change as capture.h encodes it (old and new row images).
 * Changes to DoSQL's own tables are not recorded.
 */
#include <stdatomic.h>
#include <string.h>

#include "shard/session_int.h"

typedef struct Writer {
	sqlite3_stmt *st;
	int64_t ts;
	const char *gid;
	int rc;
} Writer;

static bool write_one(void *arg, char op, const char *table, int64_t oldkey, int64_t newkey, const uint8_t *change,
		      size_t len)
{
	Writer *w = arg;
	if (strncmp(table, "_dosql_", 7) == 0)
		return true;
	char opname[2] = {op, 0};
	sqlite3_reset(w->st);
	sqlite3_bind_int64(w->st, 1, w->ts);
	sqlite3_bind_int64(w->st, 2, w->ts);
	if (w->gid)
		sqlite3_bind_text(w->st, 3, w->gid, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(w->st, 3);
	sqlite3_bind_text(w->st, 4, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->st, 5, opname, 1, SQLITE_TRANSIENT);
	if (op == 'I')
		sqlite3_bind_null(w->st, 6);
	else
		sqlite3_bind_int64(w->st, 6, oldkey);
	if (op == 'D')
		sqlite3_bind_null(w->st, 7);
	else
		sqlite3_bind_int64(w->st, 7, newkey);
	sqlite3_bind_blob(w->st, 8, change, (int)len, SQLITE_STATIC);
	w->rc = sqlite3_step(w->st);
	return w->rc == SQLITE_DONE;
}

/* The next commit time: after the last one, and not behind the clock. */
static int64_t next_commit_ts(ShdServer *srv)
{
	int64_t now = shd_now_us();
	int64_t last = atomic_load(&srv->hlc);
	int64_t ts;
	do
		ts = now > last ? now : last + 1;
	while (!atomic_compare_exchange_weak(&srv->hlc, &last, ts));
	return ts;
}

bool shd_changelog_write(ShdSession *s, const uint8_t *changes, size_t n, const char *gid, PgwError *e)
{
	if (n == 0)
		return true;
	/* prepared once per connection: every writing commit comes here */
	if (!s->changelog_st &&
	    sqlite3_prepare_v3(s->db,
			       "INSERT INTO _dosql_changelog(commit_ts, xid, gid, tbl, op, old_key, new_key, change)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, SQLITE_PREPARE_PERSISTENT, &s->changelog_st, NULL) != SQLITE_OK) {
		shd_sqlite_error(s, sqlite3_errcode(s->db), e);
		return false;
	}
	Writer w = {.st = s->changelog_st, .ts = next_commit_ts(s->srv), .gid = gid, .rc = SQLITE_DONE};
	bool ok = shd_cap_foreach(changes, n, write_one, &w);
	if (!ok && w.rc != SQLITE_DONE)
		shd_sqlite_error(s, w.rc, e);
	else if (!ok)
		pgw_error_set(e, "XX001", "the captured changes of the transaction are malformed");
	sqlite3_reset(w.st);
	sqlite3_clear_bindings(w.st);
	return ok;
}
