/*
 * prepared.c - PREPARE TRANSACTION, COMMIT PREPARED and ROLLBACK PREPARED
 * over SQLite, which cannot prepare a transaction itself.
 *
 * A transaction block's row changes are captured as they happen
 * (capture.c).  PREPARE TRANSACTION rolls the block back, stores the
 * changes under the gid in _dosql_prepared (committed: it survives a crash),
 * and then applies them again in a transaction of a holder session that
 * stays open.  Until the gid is resolved the changes are invisible to
 * others and the holder keeps the shard's write lock, as PostgreSQL's row
 * locks would keep conflicting writers out.  COMMIT PREPARED deletes the
 * stored row inside the holder's transaction and commits it: changes and
 * resolution in one SQLite commit.  ROLLBACK PREPARED rolls the holder back
 * and deletes the row.
 *
 * A writer that slipped in between the rollback and the second apply and
 * touched the same rows makes that apply fail: PREPARE reports 40001 and
 * forgets the gid.  An acknowledged PREPARE cannot conflict later: its
 * holder keeps the write lock until the gid is resolved, and at start-up
 * the shard applies every stored prepared transaction again before it
 * serves anyone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fault.h"
#include "common/pgtime.h"
#include "shard/session_int.h"

#define GID_MAX 200 /* PostgreSQL's GIDSIZE */

typedef struct ShdPrepared {
	char gid[GID_MAX];
	ShdSession *holder; /* owned: the open transaction with the changes
			     * applied; NULL when not held */
	bool busy;          /* being prepared or resolved right now */
	bool writes;        /* it has changes */
	int64_t ts;         /* the router's start time of its transaction, 0 unknown */
	RlOwner *rows;      /* owned: with row locks, the rows it holds instead
			     * of SQLite's writer (rowlock.c); NULL otherwise */
	int64_t clock;      /* with row locks, the clock it reported (its commit
			     * time will be past it), 0 none */
} ShdPrepared;

/* ------------------------------------------------------------ registry */

static ShdPrepared *find(ShdServer *srv, const char *gid)
{
	for (int i = 0; i < srv->nprepared; i++)
		if (strcmp(srv->prepared[i].gid, gid) == 0)
			return &srv->prepared[i];
	return NULL;
}

/* Add gid, busy; false when it exists (or out of memory), or, with row
 * locks, while another transaction with changes is prepared (*other: its
 * start time, INT64_MAX when unknown; else 0): one at a time, so that no
 * two prepared transactions of this shard are given one commit time. */
static bool reserve(ShdServer *srv, const char *gid, bool writes, int64_t ts, bool turn, bool *exists,
		    int64_t *other)
{
	bool ok = false;
	pthread_mutex_lock(&srv->prep_lock);
	*exists = find(srv, gid) != NULL;
	*other = 0;
	for (int i = 0; srv->locks && turn && writes && !*exists && i < srv->nprepared; i++)
		if (srv->prepared[i].writes)
			*other = srv->prepared[i].ts ? srv->prepared[i].ts : INT64_MAX;
	if (!*exists && !*other && srv->nprepared == srv->prepcap) {
		int cap = srv->prepcap ? srv->prepcap * 2 : 8;
		ShdPrepared *p = realloc(srv->prepared, sizeof(*p) * (size_t)cap);
		if (p) {
			srv->prepared = p;
			srv->prepcap = cap;
		}
	}
	if (!*exists && !*other && srv->nprepared < srv->prepcap) {
		ShdPrepared *p = &srv->prepared[srv->nprepared++];
		memset(p, 0, sizeof(*p));
		snprintf(p->gid, sizeof(p->gid), "%s", gid);
		p->busy = true;
		p->writes = writes;
		p->ts = ts;
		ok = true;
	}
	pthread_mutex_unlock(&srv->prep_lock);
	return ok;
}

/* Take gid for resolving it: its holder (may be NULL) in *holder, the rows
 * it holds instead (or NULL) in *rows. */
static bool claim(ShdServer *srv, const char *gid, ShdSession **holder, RlOwner **rows, PgwError *e)
{
	pthread_mutex_lock(&srv->prep_lock);
	ShdPrepared *p = find(srv, gid);
	bool ok = p && !p->busy;
	if (!p)
		pgw_error_set(e, "42704", "prepared transaction with identifier \"%s\" does not exist", gid);
	else if (p->busy)
		pgw_error_set(e, "55000", "prepared transaction with identifier \"%s\" is busy", gid);
	else {
		p->busy = true;
		*holder = p->holder;
		p->holder = NULL;
		*rows = p->rows;
		p->rows = NULL;
	}
	pthread_mutex_unlock(&srv->prep_lock);
	return ok;
}

/* Give gid back: held by holder or by its rows (keep), or resolved (forget). */
static void release(ShdServer *srv, const char *gid, ShdSession *holder, RlOwner *rows, bool forget)
{
	pthread_mutex_lock(&srv->prep_lock);
	ShdPrepared *p = find(srv, gid);
	if (p && forget) {
		*p = srv->prepared[--srv->nprepared];
	} else if (p) {
		p->holder = holder;
		p->rows = rows;
		p->busy = false;
	}
	pthread_mutex_unlock(&srv->prep_lock);
}

/* Note the clock gid reported. */
static void set_clock(ShdServer *srv, const char *gid, int64_t clock)
{
	pthread_mutex_lock(&srv->prep_lock);
	ShdPrepared *p = find(srv, gid);
	if (p)
		p->clock = clock;
	pthread_mutex_unlock(&srv->prep_lock);
}

int64_t shd_prep_clock_min(ShdServer *srv)
{
	int64_t m = 0;
	for (int i = 0; i < srv->nprepared; i++)
		if (srv->prepared[i].clock && (!m || srv->prepared[i].clock < m))
			m = srv->prepared[i].clock;
	return m;
}

/* ------------------------------------------------------------ holders */

/* A holder session, from the spares when there is one: opening a
 * connection with its catalog costs more than the rest of a PREPARE. */
static ShdSession *holder_get(ShdServer *srv)
{
	ShdSession *h = NULL;
	pthread_mutex_lock(&srv->prep_lock);
	if (srv->nspare > 0)
		h = srv->spare[--srv->nspare];
	pthread_mutex_unlock(&srv->prep_lock);
	return h ? h : shd_session_internal(srv);
}

/* Give a holder back (its transaction over), or free it. */
static void holder_put(ShdServer *srv, ShdSession *h)
{
	if (!h)
		return;
	if (!sqlite3_get_autocommit(h->pg.db))
		shd_sql(h, "ROLLBACK", &(PgwError){0});
	h->txn_ts = 0;
	atomic_store(&h->lock_wait_ts, 0);
	pthread_mutex_lock(&srv->prep_lock);
	bool kept = srv->nspare < (int)(sizeof(srv->spare) / sizeof(srv->spare[0]));
	if (kept)
		srv->spare[srv->nspare++] = h;
	pthread_mutex_unlock(&srv->prep_lock);
	if (!kept)
		shd_session_internal_free(h);
}

/* ------------------------------------------------------------ storage */

/* Run one statement with gid (and optionally a blob and text values)
 * bound as ?1, ?2, ...; false with *e. */
static bool run(ShdSession *h, const char *sql, const char *gid, const Buf *changes, const char *prepared_at,
		const char *owner, PgwError *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h->pg.db, sql, -1, &st, NULL) != SQLITE_OK) {
		pgs_sqlite_error(&h->pg, sqlite3_errcode(h->pg.db), e);
		return false;
	}
	sqlite3_bind_text(st, 1, gid, -1, SQLITE_STATIC);
	if (changes) {
		sqlite3_bind_blob(st, 2, changes->data ? (const void *)changes->data : "", (int)changes->len, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, prepared_at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, owner, -1, SQLITE_STATIC);
	}
	int rc = sqlite3_step(st);
	atomic_store(&h->lock_wait_ts, 0); /* done waiting for the lock, if it did */
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		pgs_sqlite_error(&h->pg, rc, e);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

/* Call fn with gid's stored changes (42704 when it has none stored). */
static bool with_stored(ShdSession *h, const char *gid,
			bool (*fn)(ShdSession *h, const uint8_t *p, size_t n, const char *gid, PgwError *e), PgwError *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h->pg.db, "SELECT changes FROM _dosql_prepared WHERE gid = ?1", -1, &st, NULL) != SQLITE_OK) {
		pgs_sqlite_error(&h->pg, sqlite3_errcode(h->pg.db), e);
		return false;
	}
	sqlite3_bind_text(st, 1, gid, -1, SQLITE_STATIC);
	bool ok = sqlite3_step(st) == SQLITE_ROW;
	if (!ok)
		pgw_error_set(e, "42704", "prepared transaction with identifier \"%s\" does not exist", gid);
	else
		ok = fn(h, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), gid, e);
	sqlite3_finalize(st);
	return ok;
}

static bool apply_changes(ShdSession *h, const uint8_t *p, size_t n, const char *gid, PgwError *e)
{
	(void)gid;
	return shd_cap_apply(h->pg.db, p, n, e);
}

/* Begin the holder's transaction and apply gid's stored changes in it. */
static bool hold(ShdSession *h, const char *gid, PgwError *e)
{
	if (!shd_sql(h, "BEGIN IMMEDIATE", e))
		return false;
	bool ok = with_stored(h, gid, apply_changes, e);
	if (!ok)
		shd_sql(h, "ROLLBACK", &(PgwError){0});
	else /* the transaction's age stays its own (busy_wait in session.c) */
		atomic_store(&h->srv->writer_ts, h->txn_ts ? h->txn_ts : INT64_MAX);
	return ok;
}

/* ------------------------------------------------------------ commands */

/* Reserve gid for s's PREPARE.  With row locks and the shard's index not
 * known (no SET dosql.shard: the clocks it reports could be another shard's
 * too), wait while another transaction with changes is prepared here:
 * without SQLite's writer (which that one needs to end) and as wait-die
 * says (a younger one gives way after 20 ms), else up to the busy timeout;
 * false with *e. */
static bool reserve_turn(ShdSession *s, const char *gid, PgwError *e)
{
	bool exists;
	int64_t other;
	bool holds_writer = !sqlite3_get_autocommit(s->pg.db);
	for (int64_t waited = 0;; waited += 200) {
		if (reserve(s->srv, gid, s->cap.changes.len > 0, s->txn_ts, s->shard_index < 0, &exists, &other))
			return true;
		if (!other) {
			pgw_error_set(e, exists ? "42710" : "53200",
				      exists ? "transaction identifier \"%s\" is already in use" : "out of memory", gid);
			return false;
		}
		bool younger = s->txn_ts && other != INT64_MAX && s->txn_ts > other;
		int64_t limit = holds_writer ? 0 : younger ? 20000 : (int64_t)s->srv->busy_timeout_ms * 1000;
		if (waited >= limit || atomic_load(&s->pg.cancel)) {
			pgw_error_set(e, "40001", "could not serialize access due to concurrent update");
			return false;
		}
		usleep(200);
	}
}

bool shd_prep_prepare(ShdSession *s, const char *gid)
{
	PgwError e;
	if (s->txn == SHD_TXN_IDLE) {
		pgs_warning(&s->pg, "25P01", "there is no transaction in progress");
		if (s->implicit)
			shd_txn_end(s, true);
		pgw_send_command_complete(&s->conn, "ROLLBACK");
		return true;
	}
	if (s->txn == SHD_TXN_FAILED) {
		shd_txn_end(s, false);
		pgw_send_command_complete(&s->conn, "ROLLBACK");
		return true;
	}
	/* from here on the block ends, prepared or rolled back */
	if (strlen(gid) >= GID_MAX) {
		pgw_error_set(&e, "22023", "transaction identifier \"%s\" is too long", gid);
		goto fail;
	}
	if (s->cap.temp) {
		pgw_error_set(&e, "0A000", "cannot PREPARE a transaction that has operated on temporary objects");
		goto fail;
	}
	if (s->txn_ddl) {
		pgw_error_set(&e, "0A000", "PREPARE TRANSACTION of a transaction that changed the schema is not supported");
		goto fail;
	}
	/* with row locks, a block that holds no SQLite transaction prepares
	 * holding its rows, not the writer (rowlock.c) */
	bool rows_only = s->srv->locks && s->rl_deferred && s->cap.changes.len > 0;
	if (!reserve_turn(s, gid, &e))
		goto fail;
	Buf changes = s->cap.changes;
	int64_t ts = s->txn_ts;
	/* its row locks stay until the holder has the changes (rowlock.c) */
	RlOwner *locked = shd_rl_detach(s);
	buf_init(&s->cap.changes);
	ShdSession *h = holder_get(s->srv);
	/* the write lock goes from this session to the holder with no other
	 * writer in between (they wait for the handover to end) */
	bool handover = h && changes.len > 0 && sqlite3_txn_state(s->pg.db, "main") == SQLITE_TXN_WRITE;
	if (handover) {
		h->handing_over = true;
		atomic_store(&s->srv->handover, true);
	}
	shd_txn_end(s, false);
	if (h)
		h->txn_ts = ts; /* it waits for locks as the transaction did */
	/* with row locks the clock is reported before other commits can go on
	 * (it is the time stored as "prepared", which a restart reads back) */
	bool capped = s->srv->locks && changes.len > 0;
	int64_t clock = capped ? shd_clock_report(s->srv, s->shard_index) : 0;
	if (capped)
		set_clock(s->srv, gid, clock);
	char at[64];
	pgtime_utc(capped ? clock : pgs_now_us(), at, sizeof(at));
	bool ok = h && shd_sql(h, "BEGIN IMMEDIATE", &e);
	if (!h)
		pgw_error_set(&e, "58000", "could not open the shard database");
	if (ok && !(run(h, "INSERT INTO _dosql_prepared(gid, changes, prepared, owner) VALUES (?1, ?2, ?3, ?4)", gid,
			&changes, at, s->conn.user_name ? s->conn.user_name : "", &e) &&
		    shd_sql(h, "COMMIT", &e))) {
		shd_sql(h, "ROLLBACK", &(PgwError){0});
		ok = false;
	}
	bool empty = changes.len == 0, stored = false;
	buf_cleanup(&changes);
	if (ok && empty) {
		/* nothing to hold: COMMIT PREPARED only deletes the row */
		holder_put(s->srv, h);
		h = NULL;
	} else if (ok && rows_only) {
		/* the rows stay locked for the gid; COMMIT PREPARED applies the
		 * changes stored */
		dosql_fault("shard-prepare-stored");
		holder_put(s->srv, h);
		h = NULL;
	} else if (ok) {
		dosql_fault("shard-prepare-stored");
		if (!hold(h, gid, &e)) {
			/* a concurrent writer, or the lock not free in time: the
			 * stored row goes again; if even that cannot be done now,
			 * the gid stays known (not held) for ROLLBACK PREPARED */
			stored = !run(h, "DELETE FROM _dosql_prepared WHERE gid = ?1", gid, NULL, NULL, NULL,
				      &(PgwError){0});
			ok = false;
		}
	}
	if (handover) {
		atomic_store(&s->srv->handover, false);
		h->handing_over = false;
	}
	if (!ok || !rows_only) {
		shd_rl_release(s->srv, locked);
		locked = NULL;
	}
	if (!ok) {
		holder_put(s->srv, h);
		release(s->srv, gid, NULL, NULL, !stored);
		shd_send_error(s, &e);
		return false;
	}
	/* the router commits every participant at one time past all their
	 * clocks; with row locks the watermark stays below that time until
	 * then (other commits may go on meanwhile) */
	if (!capped)
		clock = shd_clock_report(s->srv, s->shard_index);
	release(s->srv, gid, h, locked, false);
	dosql_fault("shard-after-prepare");
	char last[24];
	snprintf(last, sizeof(last), "%lld", (long long)clock);
	pgw_send_parameter_status(&s->conn, "dosql.hlc", last);
	pgw_send_command_complete(&s->conn, "PREPARE TRANSACTION");
	return true;

fail:
	shd_txn_end(s, false);
	shd_send_error(s, &e);
	return false;
}

bool shd_prep_finish(ShdSession *s, const char *gid, bool commit)
{
	PgwError e;
	const char *what = commit ? "COMMIT PREPARED" : "ROLLBACK PREPARED";
	if (s->txn != SHD_TXN_IDLE) {
		pgs_errorf(&s->pg, "25001", "%s cannot run inside a transaction block", what);
		return false;
	}
	ShdSession *h = NULL;
	RlOwner *rows = NULL;
	if (!claim(s->srv, gid, &h, &rows, &e)) {
		shd_send_error(s, &e);
		return false;
	}
	bool ok = true;
	if (!h) {
		/* not held (recovered while another one held the lock) */
		h = holder_get(s->srv);
		ok = h != NULL;
		if (!ok)
			pgw_error_set(&e, "58000", "could not open the shard database");
		else if (commit)
			ok = hold(h, gid, &e);
	}
	if (ok && commit) {
		dosql_fault("shard-before-commit-prepared");
		/* its changes go to the changelog in the transaction that commits
		 * them, at the commit time the router chose, if it chose one */
		h->commit_ts = s->commit_ts;
		h->commit_exact = s->srv->locks != NULL; /* even below commits made meanwhile */
		s->commit_ts = 0;
		ok = with_stored(h, gid, shd_changelog_write, &e) &&
		     run(h, "DELETE FROM _dosql_prepared WHERE gid = ?1", gid, NULL, NULL, NULL, &e) &&
		     shd_sql(h, "COMMIT", &e);
		if (!ok)
			shd_sql(h, "ROLLBACK", &(PgwError){0});
		shd_clock_done(h);
		h->commit_exact = false;
	} else if (ok) {
		if (!sqlite3_get_autocommit(h->pg.db))
			shd_sql(h, "ROLLBACK", &(PgwError){0});
		ok = run(h, "DELETE FROM _dosql_prepared WHERE gid = ?1", gid, NULL, NULL, NULL, &e);
	}
	if (!ok) {
		/* still prepared, no longer held: a retry holds it again */
		holder_put(s->srv, h);
		release(s->srv, gid, NULL, rows, false);
		shd_send_error(s, &e);
		return false;
	}
	int64_t mine = h->txn_ts ? h->txn_ts : INT64_MAX;
	holder_put(s->srv, h);
	/* the lock is free: forget the holder's age, unless a new writer noted its own */
	atomic_compare_exchange_strong(&s->srv->writer_ts, &mine, 0);
	release(s->srv, gid, NULL, NULL, true);
	shd_rl_release(s->srv, rows);
	dosql_fault("shard-after-commit-prepared");
	pgw_send_command_complete(&s->conn, what);
	return true;
}

/* The microseconds of a "prepared" time as pgtime_utc writes it; 0 when
 * it does not parse. */
static int64_t stored_clock(const char *text)
{
	struct tm tm = {0};
	if (!text || sscanf(text, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			    &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t us = 0;
	int digits = 0;
	const char *dot = strchr(text, '.');
	for (const char *p = dot ? dot + 1 : ""; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
		us = us * 10 + (*p - '0');
	for (; dot && digits < 6; digits++)
		us *= 10;
	return (int64_t)timegm(&tm) * 1000000 + us;
}

bool shd_prep_recover(ShdServer *srv)
{
	ShdSession *reader = shd_session_internal(srv);
	if (!reader) {
		fprintf(stderr, "dosql-shard: cannot open %s to recover prepared transactions\n", srv->db_path);
		return false;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(reader->pg.db, "SELECT gid, prepared, changes FROM _dosql_prepared ORDER BY prepared", -1,
			       &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "dosql-shard: cannot read prepared transactions: %s\n", sqlite3_errmsg(reader->pg.db));
		shd_session_internal_free(reader);
		return false;
	}
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *gid = (const char *)sqlite3_column_text(st, 0);
		bool exists;
		int64_t other;
		if (!gid || !reserve(srv, gid, true, 0, false, &exists, &other))
			continue;
		/* with row locks it holds the rows it changes again (several may
		 * be prepared), else SQLite's writer with its changes applied */
		RlOwner *rows = srv->locks ? shd_rl_take_changes(srv, sqlite3_column_blob(st, 2),
								 (size_t)sqlite3_column_bytes(st, 2))
					   : NULL;
		ShdSession *h = srv->locks ? NULL : shd_session_internal(srv);
		PgwError e;
		if (h && !hold(h, gid, &e)) {
			fprintf(stderr, "dosql-shard: prepared transaction \"%s\" is not held: %s\n", gid, e.message);
			shd_session_internal_free(h);
			h = NULL;
		}
		release(srv, gid, h, rows, false);
		/* with row locks the watermark stays below its commit, as it did
		 * before the restart: "prepared" is the clock it reported */
		int64_t clock = srv->locks ? stored_clock((const char *)sqlite3_column_text(st, 1)) : 0;
		if (clock)
			set_clock(srv, gid, clock);
		n++;
	}
	sqlite3_finalize(st);
	shd_session_internal_free(reader);
	if (n)
		fprintf(stderr, "dosql-shard: %d prepared transaction%s recovered\n", n, n == 1 ? "" : "s");
	return true;
}

void shd_prep_shutdown(ShdServer *srv)
{
	pthread_mutex_lock(&srv->prep_lock);
	for (int i = 0; i < srv->nprepared; i++) {
		shd_session_internal_free(srv->prepared[i].holder);
		shd_rl_release(srv, srv->prepared[i].rows);
	}
	free(srv->prepared);
	while (srv->nspare > 0)
		shd_session_internal_free(srv->spare[--srv->nspare]);
	srv->prepared = NULL;
	srv->nprepared = srv->prepcap = 0;
	pthread_mutex_unlock(&srv->prep_lock);
}

/* ------------------------------------------------------------ savepoints */

void shd_savepoint_set(ShdSession *s, const char *name)
{
	if (s->nsavepoints == s->savecap) {
		int cap = s->savecap ? s->savecap * 2 : 4;
		struct ShdSavepoint *p = realloc(s->savepoints, sizeof(*p) * (size_t)cap);
		if (!p)
			return;
		s->savepoints = p;
		s->savecap = cap;
	}
	s->savepoints[s->nsavepoints].name = strdup(name);
	s->savepoints[s->nsavepoints].mark = s->cap.changes.len;
	s->nsavepoints++;
}

void shd_savepoint_release(ShdSession *s, const char *name, bool rollback)
{
	int i = s->nsavepoints - 1;
	if (!name)
		i = 0; /* the block ended: all of them */
	while (name && i >= 0 && (!s->savepoints[i].name || strcmp(s->savepoints[i].name, name) != 0))
		i--;
	if (i < 0 || i >= s->nsavepoints)
		return;
	if (rollback && s->cap.changes.len > s->savepoints[i].mark)
		s->cap.changes.len = s->savepoints[i].mark;
	/* ROLLBACK TO keeps the savepoint itself, RELEASE drops it */
	int keep = rollback ? i + 1 : i;
	for (int k = keep; k < s->nsavepoints; k++)
		free(s->savepoints[k].name);
	s->nsavepoints = keep;
}
