/*
 * backfill.c - the lookup rows of a table's existing rows, written when a
 * RELOAD adds a lookup vindex to a sharded table that has rows: a job on
 * the router's loop, shown by SHOW LOOKUP_BACKFILL.
 *
 * From the RELOAD on, every write of the table keeps the new lookup table
 * as it keeps any lookup table (lookup.c); reads do not use the vindex
 * until the job is done (they read every shard).  The job reads each
 * shard's rows in batches in the order of the table's primary vindex
 * column (lookup_backfill_rows rows, rows with equal keys together, rows
 * with a NULL key last) and writes their lookup rows.  Each batch runs
 * with the write lock of every shard held, taken in shard order inside a
 * transaction of the router's own carrying its start time (so the shards'
 * wait-die decides between it and the clients' transactions): no write
 * commits between the read of a batch and the commit of its lookup rows,
 * and every write after it finds those rows there, so no row is missed
 * and no lookup row is left behind.  A lookup row already written for the
 * same row (by a write since the RELOAD) is replaced by the same one; for
 * a lookup_unique vindex, a value two rows share is 23505, as PostgreSQL
 * says when a unique index is built over duplicates, and the job fails
 * (the vindex is still written, but not read; a RELOAD starts the job
 * again).  A batch that lost a lock conflict (40001) runs again.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "pgsql/translate.h"
#include "router/ops.h"
#include "router/pgasync.h"
#include "router/plan_int.h"
#include "router/router.h"

#define CONNECT_TIMEOUT_US 5000000
#define DEFAULT_BATCH 1000

typedef enum BfStep {
	BS_CONNECT, /* the job's connections come up */
	BS_COUNT,   /* each shard's rows counted (at: the shard) */
	BS_LOCK,    /* BEGIN and the write lock of shard at */
	BS_READ,    /* the batch's rows of the shard read */
	BS_WRITE,   /* the batch's lookup rows on shard at */
	BS_COMMIT,  /* COMMIT on shard at */
	BS_ROLLBACK /* ROLLBACK on shard at, after an error */
} BfStep;

struct RtBackfill {
	RtRouter *rt;
	struct RtBackfill *next;
	char table[64], column[64], vindex[64];
	RtBackfillState state;
	BfStep step;
	int nshards;
	int shard;  /* the shard whose rows are read */
	int at;     /* the shard the running command is on */
	bool nulls; /* the shard's rows with a NULL key are next */
	bool shard_done; /* the batch read is the shard's last */
	char *last; /* owned: the last key read on the shard; NULL none yet */
	char *next_last; /* owned: the batch's last key, once it commits */
	long long total, done;
	long long batch_size; /* rows a batch reads (lookup_backfill_rows) */
	long long batch_rows; /* rows the batch read */
	int64_t ts; /* the batch's start time (kept when it runs again) */
	int retries;
	PGresult *res; /* owned: the running command's result (the first error, else the last) */
	Buf writes[RT_MAX_SHARDS]; /* the batch's lookup rows, by shard */
	RtPgAsync *conn[RT_MAX_SHARDS]; /* owned */
	bool in_txn[RT_MAX_SHARDS]; /* the batch's transaction is open there */
	int up;
	PgwError err; /* BF_FAILED: why */
	struct event *timer; /* owned: a batch's next try */
};

static void step(RtBackfill *b);
static void save_pending(RtRouter *rt);
static void fail(RtBackfill *b, const char *sqlstate, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The table and vindex the job fills, as the VSchema says now; false when
 * a RELOAD since took the vindex away. */
static bool current(const RtBackfill *b, const VscTable **vt, const VscColumnVindex **cv)
{
	*vt = vsc_table(b->rt->vschema, b->table);
	*cv = NULL;
	for (int k = 1; *vt && (*vt)->placement == VSC_SHARDED && k < (*vt)->n_col_vindexes; k++)
		if (strcmp((*vt)->col_vindexes[k].column, b->column) == 0 && vsc_vindex_is_lookup((*vt)->col_vindexes[k].vindex) &&
		    strcmp((*vt)->col_vindexes[k].vindex->name, b->vindex) == 0)
			*cv = &(*vt)->col_vindexes[k];
	return *cv != NULL;
}

static void close_conns(RtBackfill *b)
{
	for (int i = 0; i < b->nshards; i++) {
		rt_pgasync_free(b->conn[i]);
		b->conn[i] = NULL;
	}
	b->up = 0;
	PQclear(b->res);
	b->res = NULL;
	if (b->timer)
		event_del(b->timer);
}

static void fail(RtBackfill *b, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	memset(&b->err, 0, sizeof(b->err));
	memcpy(b->err.sqlstate, sqlstate, 5);
	vsnprintf(b->err.message, sizeof(b->err.message), fmt, ap);
	va_end(ap);
	b->state = RT_BACKFILL_FAILED;
	close_conns(b);
	log_warning(NULL, "lookup backfill of \"%s\".\"%s\": %s %s", b->table, b->column, b->err.sqlstate, b->err.message);
}

/* Note the unfinished jobs (running or failed, the newest of each column)
 * in rt->backfill_path, so that a router started again runs them again
 * instead of reading by a vindex whose lookup table misses rows. */
static void save_pending(RtRouter *rt)
{
	if (!rt->backfill_path)
		return;
	json_t *jobs = json_array();
	for (const RtBackfill *b = rt->backfills; jobs && b; b = b->next) {
		bool newer = false; /* the list is newest first */
		for (const RtBackfill *o = rt->backfills; o != b; o = o->next)
			newer |= strcmp(o->table, b->table) == 0 && strcmp(o->column, b->column) == 0;
		if (!newer && (b->state == RT_BACKFILL_RUNNING || b->state == RT_BACKFILL_FAILED))
			json_array_append_new(jobs, json_pack("{s:s, s:s, s:s}", "table", b->table, "column", b->column,
							      "vindex", b->vindex));
	}
	json_t *root = jobs ? json_pack("{s:o}", "backfills", jobs) : NULL;
	if (!root || !rt_json_write_atomic(rt->backfill_path, root))
		log_warning(NULL, "could not write %s: a lookup backfill under way is not run again if the router restarts",
			    rt->backfill_path);
	json_decref(root);
}

static bool send_cmd(RtBackfill *b, int shard, const char *sql)
{
	b->at = shard;
	PQclear(b->res);
	b->res = NULL;
	return rt_pgasync_send(b->conn[shard], sql);
}

/* The keyset condition of the next batch's rows, appended to q. */
static void put_after_last(const RtBackfill *b, const char *key, Buf *q)
{
	pgs_put_ident(q, key);
	if (!b->last) {
		buf_put_str(q, " IS NOT NULL");
		return;
	}
	buf_put_str(q, " > ");
	pgs_put_literal(q, b->last, strlen(b->last));
}

/* The next batch's read on the shard: its rows after the last key, the
 * first lookup_backfill_rows of them and those with the same key as the
 * last of those; or its rows with a NULL key. */
static void send_read(RtBackfill *b, const VscTable *vt)
{
	const char *key = vt->col_vindexes[0].column;
	Buf q;
	buf_init(&q);
	buf_put_str(&q, "SELECT ");
	pgs_put_ident(&q, key);
	buf_put_str(&q, ", ");
	pgs_put_ident(&q, b->column);
	buf_put_str(&q, " FROM ");
	pgs_put_ident(&q, b->table);
	buf_put_str(&q, " WHERE ");
	if (b->nulls) {
		pgs_put_ident(&q, key);
		buf_put_str(&q, " IS NULL");
	} else {
		put_after_last(b, key, &q);
		buf_put_str(&q, " AND ");
		pgs_put_ident(&q, key);
		buf_put_str(&q, " <= (SELECT max(k) FROM (SELECT ");
		pgs_put_ident(&q, key);
		buf_put_str(&q, " AS k FROM ");
		pgs_put_ident(&q, b->table);
		buf_put_str(&q, " WHERE ");
		put_after_last(b, key, &q);
		buf_put_str(&q, " ORDER BY 1");
		buf_printf(&q, " LIMIT %lld) AS batch) ORDER BY 1", b->batch_size);
	}
	(void)send_cmd(b, b->shard, buf_cstr(&q));
	buf_cleanup(&q);
}

/* One lookup row of the batch added to the statements of its shard: for
 * lookup_unique the row it replaces goes first (then a value another row
 * has is 23505 when the rows go in); rows is the shard's INSERT. */
static void add_write(RtBackfill *b, const VscVindex *v, int shard, const char *value, uint64_t ksid, Buf *rows)
{
	Buf *w = &b->writes[shard];
	if (v->kind == VSC_VINDEX_LOOKUP_UNIQUE) {
		buf_put_str(w, "DELETE FROM ");
		pgs_put_ident(w, v->lookup_table);
		buf_put_str(w, " WHERE ");
		pgs_put_ident(w, v->lookup_from);
		buf_put_str(w, " = ");
		pgs_put_literal(w, value, strlen(value));
		buf_put_str(w, " AND ");
		pgs_put_ident(w, v->lookup_to);
		buf_printf(w, " = %lld;", (long long)ksid);
	}
	rt_lookup_add_row(&rows[shard], v, value, ksid);
}

/* The batch read: its lookup rows by shard; false when the job failed. */
static bool plan_writes(RtBackfill *b, const VscTable *vt, const VscColumnVindex *cv, const PGresult *r)
{
	Buf rows[RT_MAX_SHARDS];
	for (int i = 0; i < b->nshards; i++) {
		buf_reset(&b->writes[i]);
		buf_init(&rows[i]);
	}
	int n = PQntuples(r);
	bool ok = true;
	for (int t = 0; t < n; t++) {
		if (PQgetisnull(r, t, 1))
			continue; /* a NULL value has no lookup row */
		uint64_t ksid = 0;
		if (!PQgetisnull(r, t, 0)) {
			const char *key = PQgetvalue(r, t, 0);
			uint32_t type = (uint32_t)PQftype(r, 0);
			VscError e;
			if (!vsc_ksid_text(vt->col_vindexes[0].vindex, type, key, strlen(key), &ksid, &e)) {
				fail(b, e.sqlstate, "%s", e.msg);
				ok = false;
				break;
			}
		}
		const char *value = PQgetvalue(r, t, 1);
		int shard = rt_lookup_row_shard(b->rt, cv->vindex, value);
		if (shard < 0) {
			fail(b, "0A000", "the router cannot place the lookup row of \"%s\" in \"%s\"", value,
			     cv->vindex->lookup_table);
			ok = false;
			break;
		}
		add_write(b, cv->vindex, shard, value, ksid, rows);
	}
	for (int i = 0; i < b->nshards; i++) {
		if (rows[i].len) {
			buf_put_str(&b->writes[i], buf_cstr(&rows[i]));
			buf_put_str(&b->writes[i], cv->vindex->kind == VSC_VINDEX_LOOKUP_UNIQUE ? ";" : " ON CONFLICT DO NOTHING;");
		}
		buf_cleanup(&rows[i]);
	}
	if (!ok)
		return false;
	free(b->next_last);
	b->next_last = NULL;
	b->batch_rows = n;
	b->shard_done = b->nulls;
	if (n > 0 && !b->nulls)
		b->next_last = strdup(PQgetvalue(r, n - 1, 0));
	else if (!b->nulls)
		b->nulls = true; /* the keys are done: the NULL keys are next, in this batch's locks */
	return true;
}

/* The next shard (from) whose batch writes rows, or nshards. */
static int next_write(const RtBackfill *b, int from)
{
	while (from < b->nshards && !b->writes[from].len)
		from++;
	return from;
}

static void retry_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtBackfill *b = arg;
	b->step = BS_LOCK;
	b->at = 0;
	step(b);
}

/* The command on shard at ended with res: the job's next command. */
static void advance(RtBackfill *b, PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
	if (!ok && b->step != BS_ROLLBACK) {
		const char *code = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		if (b->step == BS_COUNT || b->step == BS_CONNECT) {
			fail(b, code ? code : "XX000", "%s", msg ? msg : "no result");
			return;
		}
		bool conflict = code && (strcmp(code, "40001") == 0 || strcmp(code, "40P01") == 0);
		if (!conflict || ++b->retries > 1000) {
			if (code && strcmp(code, "23505") == 0)
				fail(b, "23505", "could not create unique index \"%s_%s_key\": %s", b->table, b->column,
				     msg ? msg : "a value is duplicated");
			else
				fail(b, code ? code : "XX000", "%s", msg ? msg : "no result");
			return;
		}
		/* roll back what is open, then the batch again */
		b->step = BS_ROLLBACK;
		b->at = -1;
	}
	const VscTable *vt;
	const VscColumnVindex *cv;
	switch (b->step) {
	case BS_CONNECT:
		return;
	case BS_COUNT:
		b->total += strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (++b->at < b->nshards)
			break;
		b->step = BS_LOCK;
		b->at = 0;
		b->ts = rt_coord_tick(b->rt->coord);
		break;
	case BS_LOCK:
		if (++b->at < b->nshards)
			break;
		b->step = BS_READ;
		break;
	case BS_READ:
		if (!current(b, &vt, &cv)) {
			b->state = RT_BACKFILL_CANCELLED;
			close_conns(b);
			save_pending(b->rt);
			return;
		}
		if (!plan_writes(b, vt, cv, res))
			return;
		if (b->batch_rows == 0 && b->nulls && !b->shard_done)
			break; /* no more keys: the NULL keys, in the same locks */
		b->step = BS_WRITE;
		b->at = next_write(b, 0);
		if (b->at == b->nshards) {
			b->step = BS_COMMIT;
			b->at = 0;
		}
		break;
	case BS_WRITE:
		b->at = next_write(b, b->at + 1);
		if (b->at < b->nshards)
			break;
		b->step = BS_COMMIT;
		b->at = 0;
		break;
	case BS_COMMIT:
		if (++b->at < b->nshards)
			break;
		b->retries = 0;
		b->done += b->batch_rows;
		if (b->next_last) {
			free(b->last);
			b->last = b->next_last;
			b->next_last = NULL;
		}
		if (b->shard_done) {
			free(b->last);
			b->last = NULL;
			b->nulls = false;
			if (++b->shard == b->nshards) {
				b->state = RT_BACKFILL_DONE;
				close_conns(b);
				save_pending(b->rt);
				log_info(NULL, "lookup backfill of \"%s\".\"%s\": %lld rows, done", b->table, b->column, b->done);
				return;
			}
		}
		b->step = BS_LOCK;
		b->at = 0;
		b->ts = rt_coord_tick(b->rt->coord);
		break;
	case BS_ROLLBACK:
		while (++b->at < b->nshards && !b->in_txn[b->at])
			;
		if (b->at < b->nshards)
			break;
		/* the batch again, with its start time, after the others had a moment */
		struct timeval tv = {0, 20000};
		if (!b->timer && !(b->timer = evtimer_new(b->rt->base, retry_later, b))) {
			fail(b, "53200", "out of memory");
			return;
		}
		evtimer_add(b->timer, &tv);
		return;
	}
	step(b);
}

/* Send the job's next command (b->step on shard b->at). */
static void step(RtBackfill *b)
{
	const VscTable *vt;
	const VscColumnVindex *cv;
	if (!current(b, &vt, &cv)) {
		b->state = RT_BACKFILL_CANCELLED; /* a RELOAD took the vindex away */
		close_conns(b);
		return;
	}
	Buf q;
	buf_init(&q);
	switch (b->step) {
	case BS_CONNECT:
		break;
	case BS_COUNT:
		buf_put_str(&q, "SELECT count(*) FROM ");
		pgs_put_ident(&q, b->table);
		(void)send_cmd(b, b->at, buf_cstr(&q));
		break;
	case BS_LOCK:
		/* a write that changes nothing takes the shard's write lock */
		buf_printf(&q, "BEGIN;SET dosql.txn_ts = %lld;DELETE FROM ", (long long)b->ts);
		pgs_put_ident(&q, cv->vindex->lookup_table);
		buf_put_str(&q, " WHERE false");
		b->in_txn[b->at] = true;
		(void)send_cmd(b, b->at, buf_cstr(&q));
		break;
	case BS_READ:
		send_read(b, vt);
		break;
	case BS_WRITE:
		(void)send_cmd(b, b->at, buf_cstr(&b->writes[b->at]));
		break;
	case BS_COMMIT:
		b->in_txn[b->at] = false;
		(void)send_cmd(b, b->at, "COMMIT");
		break;
	case BS_ROLLBACK:
		b->in_txn[b->at] = false;
		(void)send_cmd(b, b->at, "ROLLBACK");
		break;
	}
	buf_cleanup(&q);
}

static void on_ready(void *arg, RtPgAsync *a)
{
	(void)a;
	RtBackfill *b = arg;
	if (++b->up < b->nshards)
		return;
	b->step = BS_COUNT;
	b->at = 0;
	step(b);
}

static void on_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	RtBackfill *b = arg;
	if (r) {
		ExecStatusType st = PQresultStatus(b->res);
		if (b->res && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
			PQclear(r); /* the first error is the command's */
		} else {
			PQclear(b->res);
			b->res = r;
		}
		return;
	}
	PGresult *res = b->res;
	b->res = NULL;
	advance(b, res);
	PQclear(res);
}

static void on_failed(void *arg, RtPgAsync *a, const char *why)
{
	RtBackfill *b = arg;
	int shard = 0;
	while (shard < b->nshards && b->conn[shard] != a)
		shard++;
	fail(b, "08006", "the connection to shard \"%s\" failed: %s", shard < b->nshards ? vsc_shard(b->rt->vschema, shard)->name : "?",
	     why);
}

static const RtPgAsyncOps backfill_ops = {.ready = on_ready, .result = on_result, .failed = on_failed};

/* Start (or start again) job b from its first shard. */
static void run(RtBackfill *b)
{
	close_conns(b);
	free(b->last);
	free(b->next_last);
	b->last = b->next_last = NULL;
	b->state = RT_BACKFILL_RUNNING;
	b->step = BS_CONNECT;
	b->shard = 0;
	b->nulls = false;
	b->total = b->done = 0;
	b->retries = 0;
	b->nshards = vsc_shard_count(b->rt->vschema);
	b->batch_size = b->rt->ops && b->rt->ops->cfg.lookup_backfill_rows > 0 ? b->rt->ops->cfg.lookup_backfill_rows
										    : DEFAULT_BATCH;
	RtPgAsyncParams p = {.user = b->rt->shard_user,
			     .database = b->rt->shard_database,
			     .application_name = "dosql-router backfill",
			     .timeout_us = CONNECT_TIMEOUT_US};
	for (int i = 0; i < b->nshards; i++)
		if (!(b->conn[i] = rt_pgasync_connect(b->rt->base, vsc_shard(b->rt->vschema, i), &p, &backfill_ops, b))) {
			fail(b, "53200", "out of memory");
			return;
		}
}

/* A job for the column's vindex, not yet listed or running; NULL out of
 * memory or for a name longer than the job keeps. */
static RtBackfill *job_new(RtRouter *rt, const char *table, const char *column, const char *vindex)
{
	RtBackfill *b = calloc(1, sizeof(*b));
	if (!b || strlen(table) >= sizeof(b->table) || strlen(column) >= sizeof(b->column) ||
	    strlen(vindex) >= sizeof(b->vindex)) {
		free(b);
		return NULL;
	}
	b->rt = rt;
	strcpy(b->table, table);
	strcpy(b->column, column);
	strcpy(b->vindex, vindex);
	for (int i = 0; i < RT_MAX_SHARDS; i++)
		buf_init(&b->writes[i]);
	return b;
}

/* List the job, newest first; the caller runs it and saves the list. */
static void job_start(RtBackfill *b)
{
	b->next = b->rt->backfills;
	b->rt->backfills = b;
	log_info(NULL, "lookup backfill of \"%s\".\"%s\" (vindex \"%s\") starts", b->table, b->column, b->vindex);
}

bool rt_backfill_start(RtRouter *rt, const char *table, const char *column, const char *vindex)
{
	RtBackfill *b = job_new(rt, table, column, vindex);
	if (!b)
		return false;
	job_start(b);
	save_pending(rt);
	run(b);
	return true;
}

void rt_backfill_resume(RtRouter *rt)
{
	if (!rt->backfill_path || access(rt->backfill_path, F_OK) != 0)
		return;
	json_error_t jerr;
	json_t *root = json_load_file(rt->backfill_path, 0, &jerr);
	json_t *jobs = json_object_get(root, "backfills");
	if (!json_is_array(jobs))
		log_warning(NULL, "%s:%d: %s", rt->backfill_path, jerr.line, root ? "no \"backfills\" array" : jerr.text);
	size_t i;
	json_t *j;
	json_array_foreach(jobs, i, j) {
		const char *table = json_string_value(json_object_get(j, "table"));
		const char *column = json_string_value(json_object_get(j, "column"));
		const char *vindex = json_string_value(json_object_get(j, "vindex"));
		RtBackfill *b = table && column && vindex ? job_new(rt, table, column, vindex) : NULL;
		const VscTable *vt;
		const VscColumnVindex *cv;
		if (b && current(b, &vt, &cv)) {
			job_start(b);
			run(b);
		} else {
			free(b); /* the VSchema no longer has the vindex */
		}
	}
	json_decref(root);
	save_pending(rt); /* once, with the jobs started and without the others */
}

void rt_backfill_retry_failed(RtRouter *rt)
{
	for (RtBackfill *b = rt->backfills; b; b = b->next) {
		const VscTable *vt;
		const VscColumnVindex *cv;
		if (b->state == RT_BACKFILL_FAILED && current(b, &vt, &cv))
			run(b);
	}
}

bool rt_backfill_pending(const RtRouter *rt, const char *table, const char *column)
{
	for (const RtBackfill *b = rt->backfills; b; b = b->next)
		if (strcmp(b->table, table) == 0 && strcmp(b->column, column) == 0)
			return b->state == RT_BACKFILL_RUNNING || b->state == RT_BACKFILL_FAILED; /* the newest decides */
	return false;
}

static const char *state_name(RtBackfillState s)
{
	switch (s) {
	case RT_BACKFILL_RUNNING:
		return "running";
	case RT_BACKFILL_DONE:
		return "done";
	case RT_BACKFILL_FAILED:
		return "failed";
	case RT_BACKFILL_CANCELLED:
		return "cancelled";
	}
	return "?";
}

int rt_backfill_rows(const RtRouter *rt, RtBackfillRow *rows, int max)
{
	int n = 0;
	for (const RtBackfill *b = rt->backfills; b && n < max; b = b->next) {
		RtBackfillRow *r = &rows[n++];
		r->table = b->table;
		r->column = b->column;
		r->vindex = b->vindex;
		r->state = state_name(b->state);
		r->shards_done = b->state == RT_BACKFILL_DONE ? b->nshards : b->shard;
		r->shards = b->nshards;
		r->rows_done = b->done;
		r->rows_total = b->total;
		r->sqlstate = b->state == RT_BACKFILL_FAILED ? b->err.sqlstate : "";
		r->error = b->state == RT_BACKFILL_FAILED ? b->err.message : "";
	}
	return n;
}

void rt_backfill_free_all(RtRouter *rt)
{
	while (rt->backfills) {
		RtBackfill *b = rt->backfills;
		rt->backfills = b->next;
		close_conns(b);
		if (b->timer)
			event_free(b->timer);
		for (int i = 0; i < RT_MAX_SHARDS; i++)
			buf_cleanup(&b->writes[i]);
		free(b->last);
		free(b->next_last);
		free(b);
	}
}
