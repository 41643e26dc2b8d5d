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

#define TRIM_EVERY 4096 /* commits between two trims of the changelog */

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

/*
 * The commit clock.  A commit time is after the last one given out and not
 * behind the wall clock, or exactly the time a COMMIT PREPARED was told to
 * take (the router gives every participant of a two-phase commit the same
 * one) when that is still ahead.  The session holds its time in
 * inflight_ts until it has committed or rolled back: with group commit the
 * next writer may take its time while the previous one still waits for its
 * fsync, so several can be under way.
 */
static int64_t clock_assign(ShdSession *s, int64_t at, bool exact)
{
	ShdServer *srv = s->srv;
	int64_t now = pgs_now_us();
	pthread_mutex_lock(&srv->clock_lock);
	int64_t ts = at > srv->hlc || (exact && at) ? at : now > srv->hlc ? now : srv->hlc + 1;
	/* with row locks other commits go on while a prepared transaction
	 * waits: they take even times, a COMMIT PREPARED an odd one (one past
	 * the even clocks PREPAREs report), so no two share a time */
	if (srv->locks && !(exact && at))
		ts += ts & 1;
	if (ts > srv->hlc)
		srv->hlc = ts;
	s->inflight_ts = ts;
	pthread_mutex_unlock(&srv->clock_lock);
	return ts;
}

void shd_clock_done(ShdSession *s)
{
	if (!s->committing)
		return;
	s->committing = false;
	pthread_mutex_lock(&s->srv->clock_lock);
	s->inflight_ts = 0;
	pthread_mutex_unlock(&s->srv->clock_lock);
}

/* The earliest commit time under way, 0 when none (under clock_lock). */
static int64_t inflight_min(ShdServer *srv)
{
	int64_t m = 0;
	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < srv->nsessions; i++) {
		int64_t t = srv->sessions[i]->inflight_ts;
		if (t && (!m || t < m))
			m = t;
	}
	pthread_mutex_unlock(&srv->lock);
	return m;
}

int64_t shd_clock_report(ShdServer *srv, int shard_index)
{
	int64_t now = pgs_now_us();
	pthread_mutex_lock(&srv->clock_lock);
	int64_t t = srv->hlc > now ? srv->hlc : now;
	if (t <= srv->reported)
		t = srv->reported + 1;
	/* even, so that the router's time, one past the largest, is odd; and
	 * with the shard's index known, 2 x index modulo 512: no two shards
	 * report one clock, so no two transactions are given one time */
	if (shard_index >= 0)
		t += ((2 * shard_index - t) % 512 + 512) % 512;
	else
		t += t & 1;
	srv->reported = t;
	pthread_mutex_unlock(&srv->clock_lock);
	return t;
}

int64_t shd_clock_watermark(ShdServer *srv)
{
	int64_t now = pgs_now_us(), w;
	/* prep_lock first: a PREPARE that reports the clock is ordered with us */
	pthread_mutex_lock(&srv->prep_lock);
	pthread_mutex_lock(&srv->clock_lock);
	int64_t inflight = inflight_min(srv);
	if (inflight) {
		w = inflight;
	} else if (srv->nprepared > 0) {
		w = srv->hlc + 1;
	} else {
		w = now > srv->hlc ? now : srv->hlc + 1;
		srv->hlc = w - 1;
	}
	/* with row locks a prepared transaction commits past the clock it
	 * reported, maybe below commits made since */
	int64_t reported = shd_prep_clock_min(srv);
	if (reported && w > reported + 1)
		w = reported + 1;
	pthread_mutex_unlock(&srv->clock_lock);
	pthread_mutex_unlock(&srv->prep_lock);
	return w;
}

void shd_clock_raise(ShdServer *srv, int64_t floor)
{
	pthread_mutex_lock(&srv->prep_lock);
	pthread_mutex_lock(&srv->clock_lock);
	if (srv->nprepared == 0 && !inflight_min(srv) && floor - 1 > srv->hlc)
		srv->hlc = floor - 1;
	pthread_mutex_unlock(&srv->clock_lock);
	pthread_mutex_unlock(&srv->prep_lock);
}

bool shd_changelog_write(ShdSession *s, const uint8_t *changes, size_t n, const char *gid, PgwError *e)
{
	if (n == 0)
		return true;
	/* prepared once per connection: every writing commit comes here */
	if (!s->changelog_st &&
	    sqlite3_prepare_v3(s->pg.db,
			       "INSERT INTO _dosql_changelog(commit_ts, xid, gid, tbl, op, old_key, new_key, change)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, SQLITE_PREPARE_PERSISTENT, &s->changelog_st, NULL) != SQLITE_OK) {
		pgs_sqlite_error(&s->pg, sqlite3_errcode(s->pg.db), e);
		return false;
	}
	Writer w = {.st = s->changelog_st, .ts = clock_assign(s, s->commit_ts, s->commit_exact), .gid = gid,
		    .rc = SQLITE_DONE};
	s->committing = true;
	s->commit_ts = 0;
	bool ok = shd_cap_foreach(changes, n, write_one, &w);
	if (!ok && w.rc != SQLITE_DONE)
		pgs_sqlite_error(&s->pg, w.rc, e);
	else if (!ok)
		pgw_error_set(e, "XX001", "the captured changes of the transaction are malformed");
	sqlite3_reset(w.st);
	sqlite3_clear_bindings(w.st);
	/* now and then the commit also trims what nobody needs any more */
	if (ok && atomic_fetch_add(&s->srv->commits, 1) % TRIM_EVERY == TRIM_EVERY - 1)
		ok = pgs_exec_params(&s->pg, TRIM_SQL, NULL, NULL, pgs_now_us() - s->srv->retention_us, 0, NULL, e);
	return ok;
}
