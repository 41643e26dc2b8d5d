/*
 * plan_value.c - the values of a statement that place its rows: constants
 * (negated or cast), bound parameters as Bind gave them, and references to
 * a table's vindex column; a value's keyspace id and shard.
 */
#include <stdio.h>
#include <string.h>

#include "common/pgnode.h"
#include "router/plan_int.h"

/* A constant, possibly negated or cast: its text, or NULL. */
const char *rt_plan_constant(PgQuery__Node *n, char *buf, size_t sz, bool *is_null)
{
	*is_null = false;
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		return rt_plan_constant(n->type_cast->arg, buf, sz, is_null);
	if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR && n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
	    !n->a_expr->lexpr && n->a_expr->n_name == 1 && strcmp(n->a_expr->name[0]->string->sval, "-") == 0) {
		char inner[128];
		const char *v = rt_plan_constant(n->a_expr->rexpr, inner, sizeof(inner), is_null);
		if (!v || *is_null)
			return NULL;
		snprintf(buf, sz, "-%s", v);
		return buf;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return NULL;
	PgQuery__AConst *c = n->a_const;
	if (c->isnull) {
		*is_null = true;
		return NULL;
	}
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		snprintf(buf, sz, "%d", c->ival->ival);
		return buf;
	case PG_QUERY__A__CONST__VAL_FVAL:
		snprintf(buf, sz, "%s", c->fval->fval);
		return buf;
	case PG_QUERY__A__CONST__VAL_SVAL:
		snprintf(buf, sz, "%s", c->sval->sval);
		return buf;
	default:
		return NULL;
	}
}

bool rt_plan_value_shard(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, PgQuery__Node *value,
			 RtRoute *r, int *shard, uint64_t *ksid_out)
{
	char buf[256];
	bool is_null;
	uint32_t type = 0;
	int32_t typmod;
	VscError e;
	uint64_t ksid;
	bool ok;
	PgQuery__Node *inner = value->node_case == PG_QUERY__NODE__NODE_TYPE_CAST ? value->type_cast->arg : value;
	if (inner->node_case == PG_QUERY__NODE__NODE_PARAM_REF) {
		/* a bound parameter, as Bind gave it */
		int n = inner->param_ref->number;
		if (!r->params || n < 1 || n > r->params->n)
			return false;
		if (!r->params->values[n - 1]) {
			*shard = -1;
			return true;
		}
		type = rt_plan_column_type(pl, table, cv->column, &typmod);
		const char *pv = r->params->values[n - 1];
		size_t plen = (size_t)r->params->lengths[n - 1];
		if (r->params->formats[n - 1] == 1)
			ok = vsc_ksid_binary(cv->vindex, r->params->types && r->params->types[n - 1] ? r->params->types[n - 1] : type,
					     (const uint8_t *)pv, plen, &ksid, &e);
		else
			ok = vsc_ksid_text(cv->vindex, type ? type : 25, pv, plen, &ksid, &e);
	} else {
		const char *v = rt_plan_constant(value, buf, sizeof(buf), &is_null);
		if (!v && is_null) {
			*shard = -1; /* = NULL matches no row */
			return true;
		}
		if (!v)
			return false;
		type = rt_plan_column_type(pl, table, cv->column, &typmod);
		ok = vsc_ksid_text(cv->vindex, type ? type : 25, v, strlen(v), &ksid, &e);
	}
	if (!ok) {
		r->kind = RT_ROUTE_REFUSE;
		memset(&r->err, 0, sizeof(r->err));
		memcpy(r->err.sqlstate, e.sqlstate, 5);
		if (strcmp(e.sqlstate, "22023") == 0) /* a value outside every range */
			snprintf(r->err.message, sizeof(r->err.message), "table \"%s\": %s", table, e.msg);
		else
			snprintf(r->err.message, sizeof(r->err.message), "%s", e.msg);
		return false;
	}
	*shard = vsc_shard_for_ksid(pl->vschema, ksid);
	*ksid_out = ksid;
	return true;
}

bool rt_plan_is_vindex_column(PgQuery__Node *n, const char *column, const char *table, const char *alias)
{
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return false;
	PgQuery__ColumnRef *cr = n->column_ref;
	PgQuery__Node *last = cr->fields[cr->n_fields - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING || strcmp(last->string->sval, column) != 0)
		return false;
	if (cr->n_fields == 1)
		return true;
	const char *q = cr->fields[cr->n_fields - 2]->string->sval;
	return strcmp(q, table) == 0 || strcmp(q, alias) == 0;
}
