/*
 * plan_multi.c - routing by a vindex over several columns (region,
 * multicol; vschema.h).  An INSERT ... VALUES row goes to the shard of the
 * keyspace id of all its vindex columns' values (a NULL in any: the shard
 * of keyspace id 0, as for one column).  A WHERE clause whose top-level
 * ANDs give `col = value` for the vindex's columns reads the shard of that
 * keyspace id when it gives them all (Route Equal), and the shards of the
 * keyspace-id range the first ones allow when it gives a prefix (Route
 * Prefix: a region's shards, a multicol's leading columns).
 */
#include <stdio.h>
#include <string.h>

#include "router/plan_int.h"

typedef PgQuery__Node Node;

static void refuse_err(RtRoute *r, const char *sqlstate, const char *msg)
{
	r->kind = RT_ROUTE_REFUSE;
	memset(&r->err, 0, sizeof(r->err));
	memcpy(r->err.sqlstate, sqlstate, 5);
	snprintf(r->err.message, sizeof(r->err.message), "%s", msg);
}

/* The keyspace ids the first n values (texts; NULL for SQL NULL) allow;
 * *null when one is NULL.  False with r refused. */
static bool values_ksids(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, int n, const char *const *vals,
			 uint64_t *lo, uint64_t *hi, bool *null, RtRoute *r)
{
	uint32_t types[VSC_MAX_VINDEX_COLUMNS];
	*null = false;
	for (int i = 0; i < n; i++) {
		int32_t typmod;
		*null = *null || !vals[i];
		types[i] = rt_plan_column_type(pl, table, cv->columns[i], &typmod);
		if (!types[i])
			types[i] = VSC_OID_TEXT;
	}
	if (*null)
		return true;
	VscError e;
	if (vsc_ksid_columns(cv->vindex, n, types, vals, lo, hi, &e))
		return true;
	refuse_err(r, e.sqlstate, e.msg);
	return false;
}

bool rt_multi_row_shard(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, const PgQuery__List *row,
			const int *pos, RtRoute *r, int *shard, uint64_t *ksid)
{
	int n = cv->vindex->ncolumns;
	char bufs[VSC_MAX_VINDEX_COLUMNS][256];
	const char *vals[VSC_MAX_VINDEX_COLUMNS];
	for (int i = 0; i < n; i++)
		if ((size_t)pos[i] >= row->n_items || !rt_plan_value_text(r, row->items[pos[i]], bufs[i], sizeof(bufs[i]), &vals[i])) {
			char msg[200];
			snprintf(msg, sizeof(msg), "the vindex columns of \"%s\" must be constants in INSERT through the router", table);
			refuse_err(r, "0A000", msg);
			return false;
		}
	uint64_t lo, hi;
	bool null;
	if (!values_ksids(pl, table, cv, n, vals, &lo, &hi, &null, r))
		return false;
	*ksid = null ? 0 : lo;
	*shard = vsc_shard_for_ksid(pl->vschema, *ksid);
	return true;
}

/* Note in eq the values `col = value` gives for the vindex's columns,
 * through the top-level ANDs of where. */
static void equalities(Node *where, const char *table, const char *alias, const VscColumnVindex *cv, Node **eq)
{
	if (!where)
		return;
	if (where->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR && where->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < where->bool_expr->n_args; i++)
			equalities(where->bool_expr->args[i], table, alias, cv, eq);
		return;
	}
	if (where->node_case != PG_QUERY__NODE__NODE_A_EXPR || where->a_expr->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP)
		return;
	PgQuery__AExpr *a = where->a_expr;
	const char *op = a->n_name ? a->name[a->n_name - 1]->string->sval : "";
	if (strcmp(op, "=") != 0 || !a->lexpr || !a->rexpr)
		return;
	for (int i = 0; i < cv->vindex->ncolumns; i++) {
		if (rt_plan_is_vindex_column(a->lexpr, cv->columns[i], table, alias))
			eq[i] = a->rexpr;
		else if (rt_plan_is_vindex_column(a->rexpr, cv->columns[i], table, alias))
			eq[i] = a->lexpr;
	}
}

bool rt_multi_where(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias,
		    const VscColumnVindex *cv, RtRoute *r, bool *refused)
{
	Node *eq[VSC_MAX_VINDEX_COLUMNS] = {0};
	equalities(where, table, alias, cv, eq);
	char bufs[VSC_MAX_VINDEX_COLUMNS][256];
	const char *vals[VSC_MAX_VINDEX_COLUMNS];
	int n = 0;
	while (n < cv->vindex->ncolumns && eq[n] && rt_plan_value_text(r, eq[n], bufs[n], sizeof(bufs[n]), &vals[n]))
		n++;
	if (n == 0)
		return false;
	uint64_t lo, hi;
	bool null;
	RtRoute tmp = {.kind = RT_ROUTE_SHARDS};
	if (!values_ksids(pl, table, cv, n, vals, &lo, &hi, &null, &tmp)) {
		if (strcmp(tmp.err.sqlstate, "22023") != 0) {
			r->kind = tmp.kind;
			r->err = tmp.err;
			*refused = true;
			return false;
		}
		null = true; /* an unknown region: no row has it */
	}
	r->nshards = 0;
	if (null) {
		r->shards[r->nshards++] = 0; /* col = NULL: no row; one shard answers with none */
		return true;
	}
	for (int sh = vsc_shard_for_ksid(pl->vschema, lo); sh <= vsc_shard_for_ksid(pl->vschema, hi); sh++)
		r->shards[r->nshards++] = sh;
	r->prefix = n < cv->vindex->ncolumns;
	return true;
}
