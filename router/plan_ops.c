/*
 * plan_ops.c - the operator tree of a planned statement: rt_plan plans it
 * (plan.c notes what it learns in an RtRoute) and builds the tree from
 * that record, every route of the planner becoming an operator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/plan_int.h"

_Static_assert(sizeof(((RtOp *)0)->table) == sizeof(((RtRoute *)0)->merge_table), "a merge table fits an operator");

/* A leaf over the route's shards, taking sql (owned) if given. */
static RtOp *leaf_op(const RtRoute *r, RtOpKind kind, char **sql)
{
	RtOp *op = rt_op_new(kind);
	if (!op)
		return NULL;
	if (!rt_op_set_shards(op, r->shards, r->nshards)) {
		rt_op_free(op);
		return NULL;
	}
	op->opcode = r->opcode;
	op->by = r->by;
	op->write = r->write;
	op->params_inlined = r->params_inlined;
	memcpy(op->table, r->merge_table, sizeof(op->table)); /* the same size */
	if (sql) {
		op->sql = *sql;
		*sql = NULL;
	}
	return op;
}

/* op over input (taken; both freed when op is NULL). */
static RtOp *over(RtOp *op, RtOp *input)
{
	if (!op || !input) {
		rt_op_free(op);
		rt_op_free(input);
		return NULL;
	}
	rt_op_set_input(op, input);
	return op;
}

/* A read with a final step in the router: FinalStep [over Aggregate] over
 * the shards' route; streamed as Limit over MergeSort over the route of
 * kmerge.sql when its shape allows (the final step its alternative). */
static RtOp *merge_ops(RtRoute *r)
{
	RtOp *final = rt_op_new(RT_OP_FINAL), *input = leaf_op(r, RT_OP_ROUTE, &r->shard_sql);
	if (final) {
		final->sql = r->final_sql;
		r->final_sql = NULL;
		final->final_params = r->final_params;
		final->params_inlined = r->params_inlined;
		final->pushed_limit = r->partial ? -1 : r->merge_limit;
		memcpy(final->table, r->merge_table, sizeof(final->table));
	}
	if (r->partial)
		input = over(rt_op_new(RT_OP_AGGREGATE), input);
	final = over(final, input);
	if (!final || !r->kmerge.sql)
		return final;
	RtOp *ms = over(rt_op_new(RT_OP_MERGE_SORT), leaf_op(r, RT_OP_ROUTE, &r->kmerge.sql));
	if (!ms) {
		rt_op_free(final);
		return NULL;
	}
	ms->kmerge = malloc(sizeof(*ms->kmerge));
	if (!ms->kmerge) {
		rt_op_free(ms);
		rt_op_free(final);
		return NULL;
	}
	*ms->kmerge = r->kmerge;
	ms->kmerge->sql = NULL;
	ms->alt = final;
	memcpy(ms->table, r->merge_table, sizeof(ms->table));
	if (r->kmerge.offset == 0 && r->kmerge.limit < 0)
		return ms;
	RtOp *limit = over(rt_op_new(RT_OP_LIMIT), ms);
	if (limit) {
		limit->offset = r->kmerge.offset;
		limit->limit = r->kmerge.limit;
	}
	return limit;
}

/* op with the route's lookup rows (taken). */
static RtOp *with_lookups(RtOp *op, RtRoute *r)
{
	if (!op || !r->lookup_sql)
		return op;
	op->lookup_sql = r->lookup_sql;
	op->nlookup_sql = r->nlookup_sql;
	memcpy(op->lookup_table, r->lookup_table, sizeof(op->lookup_table));
	memcpy(op->lookup_column, r->lookup_column, sizeof(op->lookup_column));
	r->lookup_sql = NULL;
	return op;
}

/* A gather: FinalStep over an IntermediateResult per table, each over the
 * route that fetches the table's rows. */
static RtOp *gather_ops(RtRoute *r)
{
	RtOp *final = rt_op_new(RT_OP_FINAL), *prev = NULL;
	if (!final)
		return NULL;
	final->sql = r->final_sql;
	r->final_sql = NULL;
	final->final_params = r->final_params;
	final->params_inlined = r->params_inlined;
	memcpy(final->table, r->merge_table, sizeof(final->table));
	for (int i = 0; i < r->ngather; i++) {
		RtGather *g = &r->gather[i];
		RtOp *route = rt_op_new(RT_OP_ROUTE);
		if (route && !rt_op_set_shards(route, g->shards, g->nshards)) {
			rt_op_free(route);
			route = NULL;
		}
		if (route) {
			route->opcode = g->opcode;
			route->params_inlined = g->nkeys == 0; /* else $1..$nkeys: the keys */
			route->sql = g->sql;
			g->sql = NULL;
			memcpy(route->table, g->table, sizeof(route->table));
		}
		RtOp *im = over(rt_op_new(RT_OP_INTERMEDIATE), route);
		if (!im) {
			rt_op_free(final);
			return NULL;
		}
		memcpy(im->table, g->table, sizeof(im->table));
		im->sql = g->index_sql;
		g->index_sql = NULL;
		im->keys_sql = g->keys_sql;
		g->keys_sql = NULL;
		im->nsubs = g->nkeys;
		for (int k = 0; k < g->nkeys; k++)
			im->sub_array[k] = true;
		im->key = g->key;
		im->key_pos = g->key_pos;
		im->key_type = g->key_type;
		if (prev) {
			prev->next = im;
			im->parent = final;
		} else {
			rt_op_set_input(final, im);
		}
		prev = im;
	}
	return final;
}

/* The operators of a route to shards (stmt: the statement routed). */
static RtOp *shards_ops(RtRoute *r, const PgQuery__Node *stmt)
{
	if (r->copy)
		return leaf_op(r, RT_OP_COPY_IN, NULL);
	if (r->copy_out) {
		const PgQuery__CopyStmt *cp = stmt->copy_stmt;
		RtOp *input = !cp->query ? leaf_op(r, RT_OP_ROUTE, NULL)
			      : r->gather ? gather_ops(r)
			      : r->merge  ? merge_ops(r)
					  : leaf_op(r, RT_OP_ROUTE, NULL);
		return over(rt_op_new(RT_OP_COPY_OUT), input);
	}
	if (r->move) {
		RtOp *op = leaf_op(r, RT_OP_MOVE, &r->shard_sql);
		if (op)
			op->move = r->move;
		return op;
	}
	if (r->write_sql) {
		RtOp *op = over(leaf_op(r, r->write_suffix ? RT_OP_INSERT_SELECT : RT_OP_SUBQUERY_VALUES, &r->write_sql),
				gather_ops(r));
		if (op) {
			op->nsubs = r->nsubs;
			memcpy(op->sub_array, r->sub_array, sizeof(op->sub_array));
			op->suffix = r->write_suffix;
			r->write_suffix = NULL;
			op->key = r->key;
			op->key_pos = r->key_pos;
			op->key_type = r->key_type;
		}
		return op;
	}
	if (r->gather)
		return gather_ops(r);
	if (r->merge)
		return merge_ops(r);
	if (r->split_sql) {
		RtOp *op = leaf_op(r, RT_OP_INSERT_SPLIT, NULL);
		if (!op)
			return NULL;
		op->split_sql = r->split_sql;
		op->split_params = r->split_params;
		op->returning_shards = r->returning_shards;
		op->nreturning = r->nreturning;
		op->sequenced = r->sequenced;
		r->split_sql = NULL;
		r->split_params = NULL;
		r->returning_shards = NULL;
		return with_lookups(op, r);
	}
	if (r->lookup_delete || r->lookup_before || r->lookup_after) {
		RtOp *op = leaf_op(r, RT_OP_ROUTE, &r->shard_sql);
		if (op) {
			op->lookup_delete = r->lookup_delete;
			op->lookup_before = r->lookup_before;
			op->lookup_relay = r->lookup_relay;
			op->lookup_tail = r->lookup_tail;
			op->lookup_after = r->lookup_after;
			r->lookup_before = NULL;
		}
		return op;
	}
	return with_lookups(leaf_op(r, RT_OP_ROUTE, NULL), r);
}

/* What the router answers a statement with itself. */
static const char *local_what(const PgQuery__Node *stmt)
{
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return "transaction control on the transaction's shards";
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
		return "DEALLOCATE of the session's prepared statements";
	case PG_QUERY__NODE__NODE_FETCH_STMT:
		return "FETCH or MOVE over the cursor's rows kept in the router";
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
		return "CLOSE of a cursor kept in the router";
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		if (rt_seq_call(stmt))
			return "sequence functions of the cluster-wide sequences";
		return "a placement change in the VSchema";
	default:
		return "a placement change in the VSchema";
	}
}

/* The operator tree of a planned route (NULL out of memory). */
static RtOp *route_ops(RtRoute *r, PgQuery__Node *stmt)
{
	RtOp *op;
	switch (r->kind) {
	case RT_ROUTE_REFUSE:
		if ((op = rt_op_new(RT_OP_REFUSE)) && !(op->err = malloc(sizeof(*op->err)))) {
			rt_op_free(op);
			return NULL;
		}
		if (op)
			*op->err = r->err;
		return op;
	case RT_ROUTE_LOCAL:
		if (stmt->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
			return rt_op_new(RT_OP_SET);
		if (stmt->node_case != PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT) {
			if ((op = rt_op_new(RT_OP_LOCAL)))
				op->what = local_what(stmt);
			return op;
		}
		if ((op = rt_op_new(RT_OP_SHOW)))
			op->show = rt_show_find(stmt->variable_show_stmt->name);
		return op;
	case RT_ROUTE_ALL:
		r->opcode = RT_RO_SCATTER;
		return leaf_op(r, stmt->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT ? RT_OP_TRUNCATE : RT_OP_DDL,
			       &r->shard_sql);
	case RT_ROUTE_SHARDS:
		if (!r->explain)
			return shards_ops(r, stmt);
		op = rt_op_new(RT_OP_EXPLAIN);
		if (op)
			op->write = r->write;
		return over(op, shards_ops(r, stmt->explain_stmt->query));
	}
	return NULL;
}

void rt_plan_noting(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtPlan *p,
		    RtPlanMemo *keep)
{
	RtRoute r;
	memset(p, 0, sizeof(*p));
	p->stmt = stmt;
	p->params = params;
	rt_route_plan_memo(pl, stmt, sql, params, keep, &r);
	bool lookups = r.lookup_sql || r.lookup_before || r.lookup_after; /* taken by the tree */
	p->root = route_ops(&r, stmt);
	if (r.kind == RT_ROUTE_SHARDS) {
		p->write = r.write;
		p->atomic = r.write && (r.nshards > 1 || r.move || lookups || r.lookup_delete);
		p->sequenced = r.sequenced;
	}
	if (!p->root) {
		p->write = p->atomic = false;
		rt_plan_refuse(p, "53200", "%s", "out of memory");
	} else if (keep) {
		rt_plan_memo_note(pl, p, &r, keep);
	}
	rt_route_cleanup(&r);
	rt_op_check(p->root);
}

void rt_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtPlan *p)
{
	rt_plan_noting(pl, stmt, sql, params, p, NULL);
}

