/*
 * placement_rows.c - what dosql_shard_table() and dosql_reference_table()
 * learn before they run (placement.c), asked on the router's loop: the
 * rows of the table on every shard (a connection of its own to each,
 * made without blocking) and the table's columns
 * (rt_types_prefetch_table).  The session waits alone; a shard that
 * cannot be reached fails the call with 08006, one that does not answer
 * within shard_timeout_ms (unless 0) with 57014, one that cannot count
 * the rows with its own error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/translate.h"
#include "router/ops.h"
#include "router/pgasync.h"
#include "router/router.h"

typedef struct RtPlacementRows RtPlacementRows;

/* One shard's count. */
typedef struct ShardCount {
	RtPlacementRows *p; /* borrowed: its set */
	int shard;
	RtPgAsync *conn;    /* owned, until the count came */
	bool got;           /* a result came */
	long long rows;     /* -1 with err when it failed */
	PgwError err;
} ShardCount;

struct RtPlacementRows {
	RtSession *s;
	char table[64];
	int nshards;
	int pending;      /* counts not in, and the columns when asked */
	bool cancelled;   /* the session goes */
	bool answered;    /* ready was called */
	struct event *deadline; /* owned: shard_timeout_ms, NULL none */
	RtTypesReady ready;
	void *arg;
	ShardCount counts[RT_MAX_SHARDS];
};

static void one_done(RtPlacementRows *p)
{
	if (--p->pending > 0 || p->answered)
		return;
	if (p->deadline)
		evtimer_del(p->deadline);
	p->answered = true;
	p->ready(p->arg, p->cancelled);
}

static void count_ready(void *arg, RtPgAsync *a)
{
	ShardCount *c = arg;
	Buf q;
	buf_init(&q);
	buf_put_str(&q, "SELECT count(*) FROM ");
	pgs_put_ident(&q, c->p->table);
	(void)rt_pgasync_send(a, buf_cstr(&q)); /* when it failed, count_failed follows */
	buf_cleanup(&q);
}

static void count_result(void *arg, RtPgAsync *a, PGresult *r)
{
	ShardCount *c = arg;
	if (r) {
		if (!c->got && PQresultStatus(r) == PGRES_TUPLES_OK) {
			c->rows = atoll(PQgetvalue(r, 0, 0));
		} else if (!c->got) {
			c->rows = -1;
			rt_pg_error(r, &c->err);
		}
		c->got = true;
		PQclear(r);
		return;
	}
	rt_pgasync_free(a);
	c->conn = NULL;
	if (!c->got) {
		c->rows = -1;
		pgw_error_set(&c->err, "XX000", "shard \"%s\" did not count the rows",
			      vsc_shard(c->p->s->rt->vschema, c->shard)->name);
	}
	one_done(c->p);
}

static void count_failed(void *arg, RtPgAsync *a, const char *why)
{
	ShardCount *c = arg;
	rt_pgasync_free(a);
	c->conn = NULL;
	c->rows = -1;
	pgw_error_set(&c->err, "08006", "could not connect to shard \"%s\": %s",
		      vsc_shard(c->p->s->rt->vschema, c->shard)->name, why);
	one_done(c->p);
}

static const RtPgAsyncOps count_ops = {.ready = count_ready, .result = count_result, .failed = count_failed};

static void columns_ready(void *arg, bool cancelled)
{
	RtPlacementRows *p = arg;
	p->cancelled = p->cancelled || cancelled;
	one_done(p);
}

/* shard_timeout_ms passed: the counts not in fail with 57014. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtPlacementRows *p = arg;
	RtRouter *rt = p->s->rt;
	int failed = 0;
	for (int i = 0; i < p->nshards; i++) {
		ShardCount *c = &p->counts[i];
		if (!c->conn)
			continue;
		rt_pgasync_free(c->conn);
		c->conn = NULL;
		c->rows = -1;
		pgw_error_set(&c->err, "57014",
			      "canceling statement due to shard_timeout_ms: shard \"%s\" did not answer within %lld ms",
			      vsc_shard(rt->vschema, i)->name, (long long)rt->ops->cfg.shard_timeout_ms);
		failed++;
	}
	p->pending -= failed - 1;
	one_done(p); /* the last use of p: the call may run and free it */
}

void rt_placement_rows_free(RtSession *s)
{
	RtPlacementRows *p = s->placement_rows;
	s->placement_rows = NULL;
	if (!p)
		return;
	if (p->deadline)
		event_free(p->deadline);
	for (int i = 0; i < p->nshards; i++)
		rt_pgasync_free(p->counts[i].conn);
	if (!p->answered && p->pending > 0)
		p->ready(p->arg, true);
	free(p);
}

bool rt_placement_prefetch(RtSession *s, PgQuery__Node *stmt, RtTypesReady ready, void *arg)
{
	rt_placement_rows_free(s);
	PgQuery__FuncCall *fc = stmt ? rt_placement_call(stmt) : NULL;
	const char *table = fc ? rt_placement_arg(fc, 0) : NULL;
	RtRouter *rt = s->rt;
	if (!table || strlen(table) >= sizeof(((RtPlacementRows *)0)->table) || s->txn != RT_TXN_IDLE)
		return true; /* refused before it counts */
	RtPlacementRows *p = calloc(1, sizeof(*p));
	if (!p)
		return true; /* counted when it runs */
	*p = (RtPlacementRows){.s = s, .nshards = vsc_shard_count(rt->vschema), .ready = ready, .arg = arg};
	snprintf(p->table, sizeof(p->table), "%s", table);
	s->placement_rows = p;
	int64_t ms = rt->ops ? rt->ops->cfg.shard_timeout_ms : 0;
	RtPgAsyncParams params = {.user = rt->shard_user,
				  .database = rt->shard_database,
				  .application_name = "dosql",
				  .timeout_us = 0}; /* the deadline below gives up on a shard */
	for (int i = 0; i < p->nshards; i++) {
		ShardCount *c = &p->counts[i];
		*c = (ShardCount){.p = p, .shard = i};
		c->conn = rt_pgasync_connect(rt->base, vsc_shard(rt->vschema, i), &params, &count_ops, c);
		if (c->conn) {
			p->pending++;
		} else {
			c->rows = -1;
			pgw_error_set(&c->err, "53200", "out of memory");
		}
	}
	if (ms > 0 && (p->deadline = evtimer_new(rt->base, on_deadline, p))) {
		struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
		evtimer_add(p->deadline, &tv);
	}
	/* the column dosql_shard_table names is checked in the table's columns */
	p->pending++;
	if (rt_types_prefetch_table(rt, table, columns_ready, p, s))
		p->pending--;
	return p->pending == 0;
}

bool rt_placement_reachable(const RtSession *s, PgwError *e)
{
	const RtPlacementRows *p = s->placement_rows;
	for (int i = 0; p && p->pending == 0 && i < p->nshards; i++)
		if (p->counts[i].rows < 0 &&
		    (strncmp(p->counts[i].err.sqlstate, "08", 2) == 0 || strcmp(p->counts[i].err.sqlstate, "57014") == 0)) {
			*e = p->counts[i].err;
			return false;
		}
	return true;
}

long long rt_placement_counted(RtSession *s, int shard, const char *table, PgwError *e)
{
	const RtPlacementRows *p = s->placement_rows;
	if (!p || p->pending > 0 || strcmp(p->table, table) != 0 || shard >= p->nshards)
		return rt_placement_rows(s->rt, shard, table, e);
	if (p->counts[shard].rows < 0)
		*e = p->counts[shard].err;
	return p->counts[shard].rows;
}
