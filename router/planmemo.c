/*
 * planmemo.c - plans kept with their parse trees (op.h, RtPlanMemo): a
 * statement run again (a simple query of a known shape, an Execute of a
 * prepared statement) is not planned again when its plan is one route to
 * one shard; a route by a vindex value finds its shard again from the
 * values of each execution, as planning would.
 */
#include <string.h>

#include "router/plan_int.h"

/* Whether op holds nothing of its own that a copy would share. */
static bool owns_nothing(const RtOp *op)
{
	return !op->parent && !op->input && !op->inner && !op->next && !op->sql && !op->split_sql && !op->split_params &&
	       !op->returning_shards && !op->lookup_sql && !op->kmerge && !op->alt && !op->suffix && !op->err;
}

/* The shard of value under cv of table with params; false when planning
 * would not route by it (the value did not convert, a range it is in no
 * range of, ...). */
static bool value_shard(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, PgQuery__Node *value,
			const RtParams *params, int *shard)
{
	RtRoute r; /* rt_plan_value_shard reads its params and writes its error only */
	r.kind = RT_ROUTE_SHARDS;
	r.params = params;
	uint64_t ksid;
	if (!rt_plan_value_shard(pl, table, cv, value, &r, shard, &ksid))
		return false;
	if (*shard < 0)
		*shard = 0; /* = NULL: no row, asked of the first shard as planning does */
	return true;
}

void rt_plan_memo_note(const RtPlanner *pl, const RtPlan *p, const RtRoute *r, RtPlanMemo *m)
{
	const RtOp *op = p->root;
	PgQuery__Node__NodeCase k = p->stmt->node_case;
	if (op->kind != RT_OP_ROUTE || op->nshards != 1 || !owns_nothing(op) || op->params_inlined ||
	    op->lookup_delete || p->atomic || p->sequenced || !r->lone_table ||
	    (k != PG_QUERY__NODE__NODE_SELECT_STMT && k != PG_QUERY__NODE__NODE_UPDATE_STMT &&
	     k != PG_QUERY__NODE__NODE_DELETE_STMT))
		return;
	int shard = op->shards[0];
	switch (op->opcode) {
	case RT_RO_PINNED:
	case RT_RO_ANY:
	case RT_RO_REFERENCE:
		m->value = NULL;
		break;
	case RT_RO_EQUAL: {
		int again;
		if (!r->eq_value || strlen(r->eq_table) >= sizeof(m->table) ||
		    !value_shard(pl, r->eq_table, r->eq_cv, r->eq_value, r->params, &again) || again != shard)
			return;
		m->value = r->eq_value;
		m->cv = r->eq_cv;
		strcpy(m->table, r->eq_table);
		break;
	}
	default:
		return;
	}
	m->vschema = pl->vschema;
	m->stmt = p->stmt;
	m->op = *op;
	m->op.shards = NULL;
	m->op.nshards = 0;
	m->shard = shard;
}

/* The plan m keeps, for stmt with params; false when it does not hold
 * for these values (or out of memory): stmt is planned. */
static bool memo_plan(const RtPlanner *pl, const RtPlanMemo *m, PgQuery__Node *stmt, const RtParams *params, RtPlan *p)
{
	int shard = m->shard;
	if (m->value && !value_shard(pl, m->table, m->cv, m->value, params, &shard))
		return false;
	RtOp *op = rt_op_new(RT_OP_ROUTE);
	if (!op)
		return false;
	*op = m->op;
	op->shards = op->inline_shards;
	op->shards[0] = shard;
	op->nshards = 1;
	memset(p, 0, sizeof(*p));
	p->root = op;
	p->stmt = stmt;
	p->params = params;
	p->write = op->write;
	rt_op_check(p->root);
	return true;
}

bool rt_plan_kept(const RtPlanner *pl, uint64_t gen, RtPlanMemo *m, PgQuery__Node *stmt, const char *sql,
		  const RtParams *params, RtPlan *p)
{
	if (m && (m->vschema != pl->vschema || m->gen != gen))
		m->vschema = NULL; /* a RELOAD, a placement change or DDL since */
	if (m)
		m->cur_gen = gen;
	if (m && m->vschema && m->stmt == stmt && memo_plan(pl, m, stmt, params, p))
		return true;
	rt_plan_noting(pl, stmt, sql, params, p, m);
	if (m && m->vschema)
		m->gen = gen;
	return false;
}
