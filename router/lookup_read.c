/*
 * lookup_read.c - the lookup tables a read asks, without blocking the
 * router's loop.
 *
 * Before a SELECT outside a transaction block is planned, the values its
 * WHERE gives lookup vindex columns (`col = value`, `col IN (values)`,
 * constants or text parameters, through the top-level ANDs) are looked up
 * in their lookup tables over connections of the router's own, one per
 * shard, driven on the loop (pgasync.h); the statement waits for the
 * answers while other sessions go on.  The planner then reads the shards
 * they name (rt_lookup_found); a value not asked before (a join, a
 * subquery) is not looked up and the read goes to every shard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/translate.h"
#include "router/pgasync.h"
#include "router/plan_int.h"
#include "router/router.h"

#define MAX_ASKED 16
#define CONNECT_TIMEOUT_US 5000000

typedef PgQuery__Node Node;
typedef struct RtLookupReads RtLookupReads;

/* One value asked of a lookup table. */
typedef struct Asked {
	const VscVindex *v; /* borrowed from the schema */
	char *value;        /* owned */
	int n;              /* shards found; -1 unknown (not answered, failed) */
	int shards[RT_MAX_SHARDS];
} Asked;

/* The values a statement asked before it is planned. */
struct RtLookupReads {
	RtRouter *rt;
	RtTypesReady ready;
	void *arg;
	const void *owner;
	int pending; /* asked, not answered */
	bool cancelled;
	bool asking; /* rt_lookup_prefetch is asking: it goes on itself */
	int n;
	Asked asked[MAX_ASKED];
};

/* A question on a shard's lookup connection. */
typedef struct Req {
	struct Req *next;
	RtLookupReads *reads; /* its asker's */
	int i;                /* the value asked */
} Req;

/* The router's lookup connection to one shard. */
typedef struct RtLookupConn {
	RtRouter *rt;
	int shard;
	RtPgAsync *conn; /* owned */
	bool up, busy;
	PGresult *result; /* owned: the head question's answer */
	Req *head, *tail; /* owned */
} RtLookupConn;

static void reads_free(RtLookupReads *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->asked[i].value);
	free(r);
}

void rt_lookup_reads_free(RtSession *s)
{
	RtLookupReads *r = s->lookup_reads;
	s->lookup_reads = NULL;
	if (!r)
		return;
	if (r->pending > 0) {
		r->cancelled = true; /* freed when the last answer comes */
		r->ready(r->arg, true);
	} else {
		reads_free(r);
	}
}

/* One answer (or none) for the head question: the asker goes on when it
 * was its last. */
static void answered(RtLookupConn *c, const PGresult *res)
{
	Req *q = c->head;
	c->head = q->next;
	if (!c->head)
		c->tail = NULL;
	RtLookupReads *r = q->reads;
	Asked *a = &r->asked[q->i];
	free(q);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && !r->cancelled) {
		a->n = 0;
		for (int t = 0; t < PQntuples(res) && a->n < RT_MAX_SHARDS; t++) {
			int sh = vsc_shard_for_ksid(c->rt->vschema, (uint64_t)strtoll(PQgetvalue(res, t, 0), NULL, 10));
			bool seen = false;
			for (int k = 0; k < a->n; k++)
				seen = seen || a->shards[k] == sh;
			if (!seen)
				a->shards[a->n++] = sh;
		}
	}
	if (--r->pending > 0 || r->asking)
		return;
	if (r->cancelled)
		reads_free(r);
	else
		r->ready(r->arg, false);
}

static void pump(RtLookupConn *c);

static void on_ready(void *arg, RtPgAsync *a)
{
	(void)a;
	RtLookupConn *c = arg;
	c->up = true;
	pump(c);
}

static void on_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	RtLookupConn *c = arg;
	if (r) {
		if (c->result)
			PQclear(r);
		else
			c->result = r;
		return;
	}
	PGresult *res = c->result;
	c->result = NULL;
	c->busy = false;
	answered(c, res);
	PQclear(res);
	pump(c);
}

static void on_failed(void *arg, RtPgAsync *a, const char *why)
{
	(void)a;
	(void)why;
	RtLookupConn *c = arg;
	rt_pgasync_free(c->conn);
	c->conn = NULL;
	c->up = c->busy = false;
	PQclear(c->result);
	c->result = NULL;
	while (c->head)
		answered(c, NULL); /* unknown: those reads go to every shard */
}

static const RtPgAsyncOps lookup_ops = {.ready = on_ready, .result = on_result, .failed = on_failed};

/* Send the head question when the connection is free. */
static void pump(RtLookupConn *c)
{
	if (!c->head || c->busy)
		return;
	if (!c->conn) {
		RtPgAsyncParams p = {.user = c->rt->shard_user,
				     .database = c->rt->shard_database,
				     .application_name = "dosql-router",
				     .timeout_us = CONNECT_TIMEOUT_US};
		c->up = false;
		if (!(c->conn = rt_pgasync_connect(c->rt->base, vsc_shard(c->rt->vschema, c->shard), &p, &lookup_ops, c)))
			while (c->head)
				answered(c, NULL);
		return;
	}
	if (!c->up)
		return;
	const Asked *a = &c->head->reads->asked[c->head->i];
	Buf q;
	buf_init(&q);
	buf_put_str(&q, "SELECT ");
	pgs_put_ident(&q, a->v->lookup_to);
	buf_put_str(&q, " FROM ");
	pgs_put_ident(&q, a->v->lookup_table);
	buf_put_str(&q, " WHERE ");
	pgs_put_ident(&q, a->v->lookup_from);
	buf_put_str(&q, " = $1");
	const char *params[1] = {a->value};
	c->busy = true;
	(void)rt_pgasync_sent(c->conn, PQsendQueryParams(rt_pgasync_conn(c->conn), buf_cstr(&q), 1, NULL, params, NULL,
							 NULL, 0));
	buf_cleanup(&q);
}

/* Ask value of v's lookup table for reads; false when it cannot be asked. */
static bool ask(RtLookupReads *r, const VscVindex *v, const char *value)
{
	RtRouter *rt = r->rt;
	for (int i = 0; i < r->n; i++)
		if (r->asked[i].v == v && strcmp(r->asked[i].value, value) == 0)
			return true;
	int shard = rt_lookup_row_shard(rt, v, value), n = vsc_shard_count(rt->vschema);
	if (shard < 0 || r->n == MAX_ASKED)
		return false;
	if (!rt->lookup_conns && !(rt->lookup_conns = calloc((size_t)n, sizeof(*rt->lookup_conns))))
		return false;
	RtLookupConn *c = rt->lookup_conns[shard];
	if (!c && (c = rt->lookup_conns[shard] = calloc(1, sizeof(*c)))) {
		c->rt = rt;
		c->shard = shard;
	}
	Req *q = c ? calloc(1, sizeof(*q)) : NULL;
	Asked *a = &r->asked[r->n];
	if (!q || !(a->value = strdup(value))) {
		free(q);
		return false;
	}
	a->v = v;
	a->n = -1;
	q->reads = r;
	q->i = r->n++;
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	r->pending++;
	pump(c);
	return true;
}

/* The value v = n gives (a constant or text parameter) asked for r. */
static void ask_node(RtLookupReads *r, const RtParams *params, const VscVindex *v, Node *n)
{
	RtRoute tmp = {.params = params};
	char buf[256];
	const char *value;
	if (rt_plan_value_text(&tmp, n, buf, sizeof(buf), &value) && value)
		(void)ask(r, v, value);
}

/* Ask the values where's top-level ANDs give lookup columns of vt. */
static void ask_where(RtLookupReads *r, const RtParams *params, Node *where, const char *table, const char *alias,
		      const VscTable *vt)
{
	if (!where)
		return;
	if (where->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR && where->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < where->bool_expr->n_args; i++)
			ask_where(r, params, where->bool_expr->args[i], table, alias, vt);
		return;
	}
	if (where->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return;
	PgQuery__AExpr *a = where->a_expr;
	const char *op = a->n_name ? a->name[a->n_name - 1]->string->sval : "";
	if (strcmp(op, "=") != 0 || !a->lexpr || !a->rexpr)
		return;
	for (int k = 1; k < vt->n_col_vindexes; k++) {
		const VscColumnVindex *cv = &vt->col_vindexes[k];
		if (!vsc_vindex_is_lookup(cv->vindex) || rt_backfill_pending(r->rt, vt->name, cv->column))
			continue; /* not a lookup, or its lookup table is not filled yet: every shard */
		if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP) {
			if (rt_plan_is_vindex_column(a->lexpr, cv->column, table, alias))
				ask_node(r, params, cv->vindex, a->rexpr);
			else if (rt_plan_is_vindex_column(a->rexpr, cv->column, table, alias))
				ask_node(r, params, cv->vindex, a->lexpr);
		} else if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN && a->rexpr->node_case == PG_QUERY__NODE__NODE_LIST &&
			   rt_plan_is_vindex_column(a->lexpr, cv->column, table, alias)) {
			for (size_t i = 0; i < a->rexpr->list->n_items; i++)
				ask_node(r, params, cv->vindex, a->rexpr->list->items[i]);
		}
	}
}

bool rt_lookup_prefetch(RtSession *s, const PgQuery__Node *stmt, const RtParams *params, RtTypesReady ready, void *arg)
{
	rt_lookup_reads_free(s);
	if (stmt && stmt->node_case == PG_QUERY__NODE__NODE_EXPLAIN_STMT)
		stmt = stmt->explain_stmt->query; /* EXPLAIN shows the route the read takes */
	if (s->txn != RT_TXN_IDLE || s->implicit || !stmt || stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return true;
	const PgQuery__SelectStmt *sel = stmt->select_stmt;
	if (sel->n_from_clause != 1 || sel->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR || !sel->where_clause)
		return true;
	const PgQuery__RangeVar *rv = sel->from_clause[0]->range_var;
	const VscTable *vt = vsc_table(s->rt->vschema, rv->relname);
	bool any = false;
	for (int k = 1; vt && vt->placement == VSC_SHARDED && k < vt->n_col_vindexes; k++)
		any = any || vsc_vindex_is_lookup(vt->col_vindexes[k].vindex);
	if (!any)
		return true;
	RtLookupReads *r = calloc(1, sizeof(*r));
	if (!r)
		return true;
	*r = (RtLookupReads){.rt = s->rt, .ready = ready, .arg = arg, .owner = s};
	s->lookup_reads = r;
	r->asking = true;
	ask_where(r, params, sel->where_clause, rv->relname, rv->alias ? rv->alias->aliasname : NULL, vt);
	r->asking = false;
	return r->pending == 0;
}

int rt_lookup_found(const RtSession *s, const VscVindex *v, const char *value, int *shards, int max)
{
	const RtLookupReads *r = s ? s->lookup_reads : NULL;
	for (int i = 0; r && i < r->n; i++) {
		const Asked *a = &r->asked[i];
		if (a->v != v || strcmp(a->value, value) != 0 || a->n < 0)
			continue;
		int n = a->n < max ? a->n : max;
		memcpy(shards, a->shards, sizeof(int) * (size_t)n);
		return n;
	}
	return -1; /* not asked: every shard */
}

void rt_lookup_conns_free(RtRouter *rt)
{
	for (int i = 0; rt->lookup_conns && i < vsc_shard_count(rt->vschema); i++) {
		RtLookupConn *c = rt->lookup_conns[i];
		if (!c)
			continue;
		rt_pgasync_free(c->conn);
		PQclear(c->result);
		while (c->head) {
			Req *q = c->head;
			c->head = q->next;
			free(q);
		}
		free(c);
	}
	free(rt->lookup_conns);
	rt->lookup_conns = NULL;
}
