/*
 * plan_value.c - the values of a statement that place its rows: constants
 * (negated or cast), bound parameters as Bind gave them, and references to
 * a table's vindex column; a value's keyspace id and shard.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* n is a number literal of type numeric (a decimal point or an exponent),
 * maybe negated. */
static bool numeric_literal(const PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR && n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
	    !n->a_expr->lexpr && n->a_expr->rexpr)
		return numeric_literal(n->a_expr->rexpr);
	return n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->val_case == PG_QUERY__A__CONST__VAL_FVAL;
}

/* The integer a numeric's text v becomes when assigned to an integer column
 * (numeric_int4/int8: rounded half away from zero), as text in buf; v
 * itself when it is no number (the column's input reports it). */
static const char *numeric_to_int_text(const char *v, char *buf, size_t sz)
{
	const char *p = v;
	while (isspace((unsigned char)*p))
		p++;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	char dig[64];
	size_t nd = 0, point = (size_t)-1;
	for (; isdigit((unsigned char)*p) || (*p == '.' && point == (size_t)-1); p++) {
		if (*p == '.')
			point = nd;
		else if (nd < sizeof(dig) - 1)
			dig[nd++] = *p;
		else
			return v;
	}
	long exp = 0;
	if (*p == 'e' || *p == 'E') {
		char *end;
		exp = strtol(p + 1, &end, 10);
		p = end;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p || nd == 0 || exp > 40 || exp < -40)
		return v;
	long ilen = (long)(point == (size_t)-1 ? nd : point) + exp; /* digits before the point */
	size_t o = 0;
	char out[96];
	if (neg)
		out[o++] = '-';
	for (long i = 0; i < ilen && o < sizeof(out) - 2; i++)
		out[o++] = i < (long)nd ? dig[i] : '0';
	if (ilen <= 0)
		out[o++] = '0';
	out[o] = 0;
	if (ilen >= 0 && ilen < (long)nd && dig[ilen] >= '5') {
		/* round the magnitude up */
		long i = (long)o - 1;
		while (i >= 0 && out[i] == '9')
			out[i--] = '0';
		if (i < 0 || out[i] == '-') {
			memmove(out + i + 2, out + i + 1, o - (size_t)(i + 1) + 1);
			out[i + 1] = '1';
		} else {
			out[i]++;
		}
	}
	snprintf(buf, sz, "%s", out);
	return buf;
}

/* A float's text v assigned to an integer column: rounded to even (rint). */
static const char *float_to_int_text(const char *v, char *buf, size_t sz)
{
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !isfinite(d) || fabs(d) >= 9.3e18)
		return v;
	snprintf(buf, sz, "%.0f", rint(d));
	return buf;
}

static bool int_type(uint32_t t) { return t == 20 || t == 21 || t == 23; }

bool rt_plan_value_shard(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, PgQuery__Node *value,
			 RtRoute *r, int *shard, uint64_t *ksid_out)
{
	char buf[256];
	bool is_null;
	uint32_t type = 0;
	int32_t typmod;
	VscError e;
	uint64_t ksid;
	bool ok, rounded = false;
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
		uint32_t ptype = r->params->types ? r->params->types[n - 1] : 0;
		if (r->params->formats[n - 1] != 1 && int_type(type) && (ptype == 1700 || ptype == 700 || ptype == 701) &&
		    plen < 128 && value == inner) {
			/* a numeric or float value assigned to an integer key */
			char text[128];
			memcpy(text, pv, plen);
			text[plen] = 0;
			pv = ptype == 1700 ? numeric_to_int_text(text, buf, sizeof(buf)) : float_to_int_text(text, buf, sizeof(buf));
			rounded = pv != text;
			if (pv == text)
				pv = r->params->values[n - 1];
			else
				plen = strlen(pv);
		}
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
		char num[256];
		if (int_type(type) && numeric_literal(value)) { /* a numeric assigned to an integer key */
			const char *given = v;
			v = numeric_to_int_text(v, num, sizeof(num));
			rounded = v != given;
		}
		ok = vsc_ksid_text(cv->vindex, type ? type : 25, v, strlen(v), &ksid, &e);
	}
	if (!ok) {
		r->kind = RT_ROUTE_REFUSE;
		memset(&r->err, 0, sizeof(r->err));
		memcpy(r->err.sqlstate, e.sqlstate, 5);
		if (strcmp(e.sqlstate, "22023") == 0) /* a value outside every range */
			snprintf(r->err.message, sizeof(r->err.message), "table \"%s\": %s", table, e.msg);
		else if (rounded && strcmp(e.sqlstate, "22003") == 0) /* as numeric_int4/int8, dtoi4 ... */
			snprintf(r->err.message, sizeof(r->err.message), "%s out of range",
				 type == 20 ? "bigint" : type == 21 ? "smallint" : "integer");
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
