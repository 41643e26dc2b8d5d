/*
 * plan_range.c - range predicates on a range vindex's column: a statement
 * whose WHERE bounds the column (`at >= '2025-01-01' AND at < ...`,
 * `BETWEEN`, with constants or text-format parameters) goes to the shards
 * whose ranges those bounds overlap (vsc_range_ksids), not to every shard.
 * Each predicate of the top-level AND narrows the set; one that cannot be
 * read here (an expression, a binary parameter, a text column whose order
 * is the collation's) narrows nothing.
 */
#include <stdio.h>
#include <string.h>

#include "router/plan_int.h"

typedef PgQuery__Node Node;

/* The text of a constant or a text-format bound parameter; NULL else. */
static const char *bound_text(const RtRoute *r, Node *n, char *buf, size_t sz)
{
	Node *inner = n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST ? n->type_cast->arg : n;
	if (inner->node_case == PG_QUERY__NODE__NODE_PARAM_REF) {
		int k = inner->param_ref->number - 1;
		if (!r->params || k < 0 || k >= r->params->n || !r->params->values[k] ||
		    (r->params->formats && r->params->formats[k] != 0))
			return NULL;
		size_t len = r->params->lengths ? (size_t)r->params->lengths[k] : strlen(r->params->values[k]);
		if (len >= sz)
			return NULL;
		memcpy(buf, r->params->values[k], len);
		buf[len] = 0;
		return buf;
	}
	bool is_null;
	return rt_plan_constant(n, buf, sz, &is_null);
}

/* The bounds one predicate puts on the column: lo/hi NULL when open. */
typedef struct Bounds {
	const char *lo, *hi;
	bool lo_incl, hi_incl;
	char lbuf[256], hbuf[256];
} Bounds;

/* col OP value or value OP col, with OP one of < <= > >=. */
static bool op_bounds(const RtRoute *r, PgQuery__AExpr *a, const char *table, const char *alias, const char *column,
		      Bounds *b)
{
	const char *op = a->n_name == 1 ? a->name[0]->string->sval : "";
	bool lt = strcmp(op, "<") == 0, le = strcmp(op, "<=") == 0, gt = strcmp(op, ">") == 0, ge = strcmp(op, ">=") == 0;
	if (!(lt || le || gt || ge) || !a->lexpr || !a->rexpr)
		return false;
	Node *value;
	if (rt_plan_is_vindex_column(a->lexpr, column, table, alias)) {
		value = a->rexpr;
	} else if (rt_plan_is_vindex_column(a->rexpr, column, table, alias)) {
		value = a->lexpr; /* 5 < col is col > 5 */
		bool t = lt;
		lt = gt, gt = t;
		t = le;
		le = ge, ge = t;
	} else {
		return false;
	}
	if (lt || le) {
		b->hi = bound_text(r, value, b->hbuf, sizeof(b->hbuf));
		b->hi_incl = le;
		return b->hi != NULL;
	}
	b->lo = bound_text(r, value, b->lbuf, sizeof(b->lbuf));
	b->lo_incl = ge;
	return b->lo != NULL;
}

/* col BETWEEN lo AND hi. */
static bool between_bounds(const RtRoute *r, PgQuery__AExpr *a, const char *table, const char *alias,
			   const char *column, Bounds *b)
{
	if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN || !rt_plan_is_vindex_column(a->lexpr, column, table, alias) ||
	    a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST || a->rexpr->list->n_items != 2)
		return false;
	b->lo = bound_text(r, a->rexpr->list->items[0], b->lbuf, sizeof(b->lbuf));
	b->hi = bound_text(r, a->rexpr->list->items[1], b->hbuf, sizeof(b->hbuf));
	b->lo_incl = b->hi_incl = true;
	return b->lo && b->hi;
}

/* Keep in keep[] only the shards of the ranges one predicate overlaps;
 * false with r refused for a bound not of the column's type. */
static bool narrow(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, const Bounds *b, bool *keep,
		   bool *narrowed, RtRoute *r)
{
	int32_t typmod;
	uint32_t type = rt_plan_column_type(pl, table, cv->column, &typmod);
	uint64_t ksids[RT_MAX_SHARDS];
	int n;
	VscError e;
	if (!type)
		return true;
	if (!vsc_range_ksids(cv->vindex, type, b->lo, b->lo_incl, b->hi, b->hi_incl, ksids, RT_MAX_SHARDS, &n, &e)) {
		r->kind = RT_ROUTE_REFUSE;
		memset(&r->err, 0, sizeof(r->err));
		memcpy(r->err.sqlstate, e.sqlstate, 5);
		snprintf(r->err.message, sizeof(r->err.message), "%s", e.msg);
		return false;
	}
	if (n < 0)
		return true;
	bool mine[RT_MAX_SHARDS] = {false};
	for (int i = 0; i < n; i++)
		mine[vsc_shard_for_ksid(pl->vschema, ksids[i])] = true;
	for (int i = 0; i < vsc_shard_count(pl->vschema); i++)
		keep[i] = keep[i] && mine[i];
	*narrowed = true;
	return true;
}

/* Narrow keep[] by every range predicate of the top-level AND. */
static bool walk(const RtPlanner *pl, Node *where, const char *table, const char *alias, const VscColumnVindex *cv,
		 bool *keep, bool *narrowed, RtRoute *r)
{
	if (where->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    where->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < where->bool_expr->n_args; i++)
			if (!walk(pl, where->bool_expr->args[i], table, alias, cv, keep, narrowed, r))
				return false;
		return true;
	}
	if (where->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return true;
	PgQuery__AExpr *a = where->a_expr;
	Bounds b = {0};
	bool found = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP ? op_bounds(r, a, table, alias, cv->column, &b)
								     : between_bounds(r, a, table, alias, cv->column, &b);
	return !found || narrow(pl, table, cv, &b, keep, narrowed, r);
}

bool rt_range_where(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias,
		    const VscColumnVindex *cv, RtRoute *r, bool *refused)
{
	bool keep[RT_MAX_SHARDS], narrowed = false;
	int count = vsc_shard_count(pl->vschema);
	if (!where)
		return false;
	for (int i = 0; i < count; i++)
		keep[i] = true;
	if (!walk(pl, where, table, alias, cv, keep, &narrowed, r)) {
		*refused = true;
		return false;
	}
	if (!narrowed)
		return false;
	r->nshards = 0;
	for (int i = 0; i < count; i++)
		if (keep[i])
			r->shards[r->nshards++] = i;
	if (r->nshards == 0)
		r->shards[r->nshards++] = 0; /* no row can match: one shard answers with none */
	return true;
}
