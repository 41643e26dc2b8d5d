/*
 * describe.c - what the router asks the first shard: statement
 * descriptions (parameter types, result columns) for Parse, and the
 * catalog queries behind the planner's column types (rt_types_prefetch).
 *
 * Both are asked asynchronously: the router keeps one non-blocking
 * connection to the first shard on its loop and a queue of requests, each
 * Prepare'd and Describe'd (or run) there in turn; the session that asked
 * stops reading its client until its answer comes, the others go on.  A
 * connection that fails or does not come up within CONNECT_TIMEOUT_US
 * fails the requests waiting on it (08006) and the next request connects
 * again.
 *
 * A request on the wire that the shard does not answer within
 * shard_timeout_ms (unless 0) fails with 57014 and the connection is
 * given up; the requests after it go out on a new one.
 *
 * rt_meta_conn is a blocking connection of its own, which stalls the loop
 * while it is used, left for: a fact asked outside planning that the
 * prefetches did not learn (COPY into a table whose columns could not be
 * asked, the lookup table of a lookup vindex), a sequence block for
 * nextval() in a SELECT or setval(), and a placement call whose counts
 * could not be made.  Planning asks on the loop (catalog_ask.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/ops.h"
#include "router/pgasync.h"
#include "router/router.h"

#define CONNECT_TIMEOUT_US 5000000

typedef struct RtDescriber RtDescriber;

/* A request: describe sql, or run it (a catalog query with text
 * parameters). */
typedef struct DescReq {
	struct DescReq *next;
	char *sql; /* owned */
	int ndecl;
	uint32_t *decl; /* owned */
	int nparams;
	char *params[RT_META_MAX_PARAMS]; /* owned: a query's parameters */
	RtDescribeDone done;  /* a description's asker */
	RtMetaQueryDone qdone; /* a query's */
	bool cancelled;       /* the answer is dropped */
	void *arg;
	const void *owner;
} DescReq;

typedef enum DescState {
	DS_DOWN,       /* no connection */
	DS_CONNECTING, /* PQconnectPoll under way */
	DS_IDLE,       /* connected, nothing on the wire */
	DS_PREPARING,  /* the head request's Prepare is on the wire */
	DS_DESCRIBING, /* its Describe is */
	DS_QUERYING,   /* the head request's query is */
} DescState;

struct RtDescriber {
	RtRouter *rt;     /* borrowed */
	RtPgAsync *conn;  /* owned */
	struct event *kick; /* owned: runs the queue from the loop */
	DescState state;
	PGresult *result; /* owned: the head request's first result */
	DescReq *head, *tail;
	struct event *deadline; /* owned: shard_timeout_ms of the request on the wire */
	PgwError failure;       /* why the connection went last (08006, or 57014 for a timeout) */
};

static void pump(RtDescriber *d);

/* ------------------------------------------------------------ blocking */

PGconn *rt_meta_conn(RtRouter *rt, PgwError *err) { return rt_blocking_conn(rt, 0, &rt->meta, err); }

PGconn *rt_blocking_conn(RtRouter *rt, int shard, PGconn **slot, PgwError *err)
{
	if (*slot && PQstatus(*slot) == CONNECTION_OK)
		return *slot;
	if (*slot)
		PQfinish(*slot);
	*slot = NULL;
	const VscShard *sh = vsc_shard(rt->vschema, shard);
	char port[16];
	snprintf(port, sizeof(port), "%d", sh->port);
	const char *keys[] = {"host", "port", "user", "dbname", "application_name", NULL};
	const char *vals[] = {sh->host ? sh->host : sh->socket_dir, port, rt->shard_user, rt->shard_database, "dosql-router",
			      NULL};
	PGconn *pg = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(pg) != CONNECTION_OK) {
		pgw_error_set(err, "08006", "could not connect to shard \"%s\": %s", sh->name, PQerrorMessage(pg));
		char *nl = strchr(err->message, '\n');
		if (nl)
			*nl = 0;
		PQfinish(pg);
		return NULL;
	}
	return *slot = pg;
}

void rt_desc_free(RtDesc *d)
{
	if (!d)
		return;
	for (int i = 0; d->fields && i < d->nfields; i++)
		free((char *)d->fields[i].name);
	free(d->fields);
	free(d->ptypes);
	free(d->declared);
	free(d->sql);
	free(d);
}

/* The description a shard gave (r: a DescribePrepared result) of sql with
 * the declared parameter types; NULL out of memory. */
static RtDesc *desc_new(const char *sql, int ndecl, const uint32_t *decl, const PGresult *r)
{
	RtDesc *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ndeclared = ndecl;
	d->nparams = PQnparams(r);
	d->nfields = PQnfields(r);
	if (!(d->sql = strdup(sql)) || !(d->declared = calloc((size_t)ndecl + 1, sizeof(uint32_t))) ||
	    !(d->ptypes = calloc((size_t)d->nparams + 1, sizeof(uint32_t))) ||
	    !(d->fields = calloc((size_t)d->nfields + 1, sizeof(PgwField)))) {
		rt_desc_free(d);
		return NULL;
	}
	if (ndecl)
		memcpy(d->declared, decl, sizeof(uint32_t) * (size_t)ndecl);
	for (int i = 0; i < d->nparams; i++)
		d->ptypes[i] = PQparamtype(r, i);
	for (int i = 0; i < d->nfields; i++) {
		if (!(d->fields[i].name = strdup(PQfname(r, i)))) {
			rt_desc_free(d);
			return NULL;
		}
		d->fields[i].table_oid = PQftable(r, i);
		d->fields[i].attnum = (int16_t)PQftablecol(r, i);
		d->fields[i].type_oid = PQftype(r, i);
		d->fields[i].typlen = (int16_t)PQfsize(r, i);
		d->fields[i].typmod = PQfmod(r, i);
	}
	return d;
}

/* A shard's failure to prepare as the client's error (with its position). */
static void prepare_error(const PGresult *r, PgwError *err)
{
	rt_pg_error(r, err);
	const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
	if (pos)
		err->position = atoi(pos);
}

RtDesc *rt_describe_new(RtRouter *rt, const char *sql, int ndecl, const uint32_t *decl, PgwError *err)
{
	PGconn *pg = rt_meta_conn(rt, err);
	if (!pg)
		return NULL;
	PGresult *r = PQprepare(pg, "", sql, ndecl, (const Oid *)decl);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		prepare_error(r, err);
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	r = PQdescribePrepared(pg, "");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rt_pg_error(r, err);
		PQclear(r);
		return NULL;
	}
	RtDesc *d = desc_new(sql, ndecl, decl, r);
	PQclear(r);
	if (!d)
		pgw_error_set(err, "53200", "out of memory");
	return d;
}

/* ------------------------------------------------------------ asynchronous */

static void req_free(DescReq *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->sql);
	free(q->decl);
	free(q);
}

/* Take the head request off the queue and answer it (desc or err; a
 * query: r, NULL when it failed). */
static void answer_head(RtDescriber *d, RtDesc *desc, const PgwError *err, PGresult *r)
{
	DescReq *q = d->head;
	d->head = q->next;
	if (!d->head)
		d->tail = NULL;
	if (q->cancelled) {
		rt_desc_free(desc);
		PQclear(r);
	} else if (q->qdone) {
		q->qdone(q->arg, r, false);
	} else {
		q->done(q->arg, desc, err);
	}
	req_free(q);
}

static void on_ready(void *arg, RtPgAsync *a)
{
	(void)a;
	RtDescriber *d = arg;
	d->state = DS_IDLE;
	pump(d);
}

/* The connection failed: the request on the wire fails, and every one
 * waiting for it to come up; the next request connects again. */
static void on_failed(void *arg, RtPgAsync *a, const char *why)
{
	RtDescriber *d = arg;
	const VscShard *sh = vsc_shard(d->rt->vschema, 0);
	PgwError e;
	pgw_error_set(&e, "08006", "could not describe the statement on shard \"%s\": %s", sh->name, why);
	d->failure = e;
	bool connecting = d->state == DS_CONNECTING;
	if (d->deadline)
		evtimer_del(d->deadline);
	rt_pgasync_free(a);
	d->conn = NULL;
	PQclear(d->result);
	d->result = NULL;
	d->state = DS_DOWN;
	if (d->head)
		answer_head(d, NULL, &e, NULL);
	while (connecting && d->head)
		answer_head(d, NULL, &e, NULL);
	pump(d);
}

/* One command's results are in: the next step. */
static void command_done(RtDescriber *d)
{
	PGresult *r = d->result;
	d->result = NULL;
	DescReq *q = d->head;
	PgwError e;
	if (d->state == DS_PREPARING) {
		if (r && PQresultStatus(r) != PGRES_COMMAND_OK) {
			prepare_error(r, &e);
			PQclear(r);
			d->state = DS_IDLE;
			answer_head(d, NULL, &e, NULL);
			pump(d);
			return;
		}
		PQclear(r);
		d->state = DS_DESCRIBING;
		(void)rt_pgasync_sent(d->conn, PQsendDescribePrepared(rt_pgasync_conn(d->conn), ""));
		return;
	}
	if (d->state == DS_QUERYING) {
		d->state = DS_IDLE;
		answer_head(d, NULL, NULL, r);
		pump(d);
		return;
	}
	d->state = DS_IDLE;
	RtDesc *desc = NULL;
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (r)
			rt_pg_error(r, &e);
		else
			pgw_error_set(&e, "XX000", "the shard did not describe the statement");
	} else if (!(desc = desc_new(q->sql, q->ndecl, q->decl, r))) {
		pgw_error_set(&e, "53200", "out of memory");
	}
	PQclear(r);
	answer_head(d, desc, desc ? NULL : &e, NULL);
	pump(d);
}

static void on_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	RtDescriber *d = arg;
	if (!r && d->deadline && d->state != DS_PREPARING)
		evtimer_del(d->deadline); /* a description's deadline runs on to its Describe */
	if (!r)
		command_done(d);
	else if (d->result)
		PQclear(r); /* the first result of a command is its answer */
	else
		d->result = r;
}

static const RtPgAsyncOps describer_ops = {.ready = on_ready, .result = on_result, .failed = on_failed};

/* shard_timeout_ms passed with a request on the wire: it fails with
 * 57014, the connection is given up (a stopped shard never answers on
 * it), and the requests after it go out on a new one. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtDescriber *d = arg;
	if (d->state != DS_PREPARING && d->state != DS_DESCRIBING && d->state != DS_QUERYING)
		return;
	const VscShard *sh = vsc_shard(d->rt->vschema, 0);
	PgwError e;
	pgw_error_set(&e, "57014", "canceling statement due to shard_timeout_ms: shard \"%s\" did not answer within %lld ms",
		      sh->name, (long long)d->rt->ops->cfg.shard_timeout_ms);
	d->failure = e;
	rt_pgasync_free(d->conn);
	d->conn = NULL;
	PQclear(d->result);
	d->result = NULL;
	d->state = DS_DOWN;
	answer_head(d, NULL, &e, NULL);
	pump(d);
}

/* The head request goes on the wire: shard_timeout_ms starts (unless 0). */
static void arm_deadline(RtDescriber *d)
{
	int64_t ms = d->rt->ops ? d->rt->ops->cfg.shard_timeout_ms : 0;
	if (ms <= 0 || (!d->deadline && !(d->deadline = evtimer_new(d->rt->base, on_deadline, d))))
		return;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(d->deadline, &tv);
}

/* Start the next request when the connection is free. */
static void pump(RtDescriber *d)
{
	while (d->head && d->head->cancelled && d->state != DS_PREPARING && d->state != DS_DESCRIBING &&
	       d->state != DS_QUERYING) {
		/* cancelled before it went out */
		DescReq *q = d->head;
		d->head = q->next;
		if (!d->head)
			d->tail = NULL;
		req_free(q);
	}
	if (!d->head)
		return;
	if (d->state == DS_DOWN) {
		RtPgAsyncParams p = {.user = d->rt->shard_user,
				     .database = d->rt->shard_database,
				     .application_name = "dosql-router",
				     .timeout_us = CONNECT_TIMEOUT_US};
		d->conn = rt_pgasync_connect(d->rt->base, vsc_shard(d->rt->vschema, 0), &p, &describer_ops, d);
		if (!d->conn) {
			PgwError e;
			pgw_error_set(&e, "53200", "out of memory");
			while (d->head)
				answer_head(d, NULL, &e, NULL);
			return;
		}
		d->state = DS_CONNECTING;
		return;
	}
	if (d->state != DS_IDLE)
		return;
	DescReq *q = d->head;
	arm_deadline(d);
	if (q->qdone) {
		d->state = DS_QUERYING;
		(void)rt_pgasync_sent(d->conn, PQsendQueryParams(rt_pgasync_conn(d->conn), q->sql, q->nparams, NULL,
								 (const char *const *)q->params, NULL, NULL, 0));
		return;
	}
	d->state = DS_PREPARING;
	(void)rt_pgasync_sent(d->conn, PQsendPrepare(rt_pgasync_conn(d->conn), "", q->sql, q->ndecl,
						      (const Oid *)q->decl));
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pump(arg);
}

/* The router's describer, made at the first request; NULL out of memory. */
static RtDescriber *describer(RtRouter *rt)
{
	RtDescriber *d = rt->describer;
	if (!d) {
		if (!(d = calloc(1, sizeof(*d))))
			return false;
		d->rt = rt;
		if (!(d->kick = evtimer_new(rt->base, on_kick, d))) {
			free(d);
			return false;
		}
		rt->describer = d;
	}
	return d;
}

/* Queue q and run the queue from the loop. */
static void enqueue(RtDescriber *d, DescReq *q)
{
	if (d->tail)
		d->tail->next = q;
	else
		d->head = q;
	d->tail = q;
	struct timeval now = {0, 0};
	evtimer_add(d->kick, &now);
}

bool rt_describe_async(RtRouter *rt, const char *sql, int ndecl, const uint32_t *decl, RtDescribeDone done,
		       void *arg, const void *owner)
{
	RtDescriber *d = describer(rt);
	DescReq *q = d ? calloc(1, sizeof(*q)) : NULL;
	if (!q || !(q->sql = strdup(sql)) || !(q->decl = calloc((size_t)ndecl + 1, sizeof(uint32_t)))) {
		if (q)
			req_free(q);
		return false;
	}
	if (ndecl)
		memcpy(q->decl, decl, sizeof(uint32_t) * (size_t)ndecl);
	q->ndecl = ndecl;
	q->done = done;
	q->arg = arg;
	q->owner = owner;
	enqueue(d, q);
	return true;
}

bool rt_meta_query_async(RtRouter *rt, const char *sql, int nparams, const char *const *params, RtMetaQueryDone done,
			 void *arg, const void *owner)
{
	RtDescriber *d = describer(rt);
	DescReq *q = d && nparams <= RT_META_MAX_PARAMS ? calloc(1, sizeof(*q)) : NULL;
	if (!q || !(q->sql = strdup(sql))) {
		free(q);
		return false;
	}
	for (; q->nparams < nparams; q->nparams++)
		if (!(q->params[q->nparams] = strdup(params[q->nparams]))) {
			req_free(q);
			return false;
		}
	q->qdone = done;
	q->arg = arg;
	q->owner = owner;
	enqueue(d, q);
	return true;
}

void rt_meta_failure(const RtRouter *rt, PgwError *err)
{
	const RtDescriber *d = rt->describer;
	if (d && d->failure.sqlstate[0])
		*err = d->failure;
	else
		pgw_error_set(err, "08006", "could not reach shard \"%s\"", vsc_shard(rt->vschema, 0)->name);
}

void rt_describe_cancel(RtRouter *rt, const void *owner)
{
	for (DescReq *q = rt->describer ? rt->describer->head : NULL; q; q = q->next)
		if (q->owner == owner && !q->cancelled) {
			q->cancelled = true;
			if (q->qdone)
				q->qdone(q->arg, NULL, true);
			else
				q->done(q->arg, NULL, NULL);
		}
}

void rt_describer_free(RtRouter *rt)
{
	RtDescriber *d = rt->describer;
	if (!d)
		return;
	rt_pgasync_free(d->conn);
	PQclear(d->result);
	event_free(d->kick);
	if (d->deadline)
		event_free(d->deadline);
	while (d->head) {
		DescReq *q = d->head;
		d->head = q->next;
		req_free(q);
	}
	free(d);
	rt->describer = NULL;
}
