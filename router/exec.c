/*
 * exec.c - running a plan's operators for a session: the interface of
 * each operator kind (op.h), and rt_exec_start, which the simple query
 * (session.c) and Execute (extended.c) both start a plan with.
 *
 * The root operator starts the plan: a leaf sends its statements to its
 * shards, an operator over an input starts its input's shards with its own
 * state ready for their rows (the final step's engine, the merge's heap).
 * The operator whose state takes the shards' rows is the session's
 * running operator until the statement ends; rt_session_result gives it
 * each result first.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

/* ---------------------------------------------------------------- answered here */

static bool refuse_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	(void)a;
	rt_send_error(s, op->err);
	return false;
}

static bool show_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	(void)a;
	return rt_show_run(s, op->show);
}

/* DEALLOCATE, placement calls, cursors, transaction control. */
static bool local_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	(void)op;
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgQuery__Node *n = a->stmt;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT: {
		/* prepared statements live in the router */
		const char *name = n->deallocate_stmt->name;
		if (!rt_ext_deallocate(s, name)) {
			PgwError e;
			pgw_error_set(&e, "26000", "prepared statement \"%s\" does not exist", name);
			rt_send_error(s, &e);
		} else {
			pgw_send_command_complete(c, name && name[0] ? "DEALLOCATE" : "DEALLOCATE ALL");
		}
		return false;
	}
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		if (rt_seq_call(n))
			rt_seq_run(s, n, a->params ? a->params : a->shape ? &a->shape->params : NULL, a->resfmts, a->nresfmts);
		else
			rt_placement_run(s, rt_placement_call(n));
		return false;
	case PG_QUERY__NODE__NODE_FETCH_STMT:
		rt_cursor_fetch(s, n->fetch_stmt, a->resfmts, a->nresfmts);
		return false;
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
		rt_cursor_close(s, n->close_portal_stmt->portalname);
		return false;
	default:
		assert(n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT);
		return !rt_transaction_stmt(s, n->transaction_stmt, a->text);
	}
}

/* ---------------------------------------------------------------- leaves */

/* A route, or a split INSERT: the statement (each shard its own rows) on
 * the leaf's shards; a reference write's count once. */
static bool route_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	if (op->lookup_sql && !rt_lookup_written(s))
		return rt_lookup_start(s, op, a); /* the lookup rows first, then this again */
	if (op->lookup_delete)
		return rt_lookup_delete_start(s, op, a); /* the rows, then their lookup rows */
	if (op->lookup_before || op->lookup_after)
		return rt_lookup_update_start(s, op, a); /* the rows before, the rows after, their lookup rows */
	s->fanout = op->opcode == RT_RO_REPLICATED;
	s->fanout_shard = op->shards[0];
	if (op->returning_shards)
		rt_ordered_start(s, op);
	const RtParams *params = op->split_sql ? op->split_params : a->params;
	s->window_ok = !op->returning_shards; /* an unordered route: max_parallel_shards at a time */
	if (a->shape && !op->split_sql && !a->params)
		return rt_dispatch_shaped(s, a->text, a->shape, op->shards, op->nshards);
	return rt_dispatch_each(s, a->text, op->split_sql, op->shards, op->nshards, params, a->result_format) &&
	       s->waiting > 0;
}

/* SET: on the transaction's first shard (or the first), replayed on the
 * session's other connections when it held (rt_statement_finished). */
static bool set_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	(void)op;
	int shard = rt_txn_first(s) >= 0 ? rt_txn_first(s) : 0;
	s->fanout = false;
	s->fanout_shard = shard;
	return rt_dispatch_each(s, a->text, NULL, &shard, 1, a->params, a->result_format) && s->waiting > 0;
}

/* CREATE TABLE of a table the VSchema does not name: say where its rows go. */
static void placement_notice(RtSession *s, const char *table)
{
	const VscSchema *vs = s->rt->vschema;
	if (vsc_table(vs, table))
		return;
	const VscTable *d = vsc_default_placement(vs);
	PgwError e;
	if (d->placement == VSC_PINNED)
		pgw_error_set(&e, "00000", "table \"%s\" is not in the VSchema: its rows are kept unsharded on shard \"%s\"",
			      table, vsc_shard(vs, d->shard)->name);
	else
		pgw_error_set(&e, "00000", "table \"%s\" is not in the VSchema: it is placed as %s", table,
			      vsc_placement_str(d->placement));
	e.severity = "NOTICE";
	pgw_send_notice(pgw_evconn_conn(s->ec), &e);
}

/* CREATE TEMP TABLE: the session keeps its shard connections, where the
 * table lives, until it ends.  One named as a table the shards have is
 * refused: the router reads the shards' tables over other connections. */
static bool temp_table_start(RtSession *s, const PgQuery__CreateStmt *cs)
{
	const PgQuery__RangeVar *rv = cs->relation;
	if (!rv->relpersistence || rv->relpersistence[0] != 't')
		return true;
	if (rt_column_count(s->rt, rv->relname) > 0) {
		PgwError e;
		pgw_error_set(&e, "0A000",
			      "a TEMP table named as a permanent table (\"%s\") is not supported through the router",
			      rv->relname);
		rt_send_error(s, &e);
		return false;
	}
	s->keeps_backends = true;
	return true;
}

static bool ddl_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	if (a->stmt->node_case == PG_QUERY__NODE__NODE_CREATE_STMT && !temp_table_start(s, a->stmt->create_stmt))
		return false;
	if (!a->extended && a->stmt->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		placement_notice(s, a->stmt->create_stmt->relation->relname);
		rt_unique_notices(s, a->stmt->create_stmt);
	}
	return rt_dispatch_ddl(s, op->sql ? op->sql : a->text, op) && s->waiting > 0;
}

/* TRUNCATE: rows go, on every shard, atomically (in a transaction too),
 * with the lookup tables of the tables' lookup vindexes (op->sql, when
 * it has any); an Execute runs it as DDL. */
static bool truncate_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	if (a->extended)
		return ddl_start(op, s, a);
	s->cur_write = true;
	s->fanout = true;
	s->fanout_shard = op->shards[0];
	if (s->txn == RT_TXN_IDLE && op->nshards > 1)
		s->implicit = true;
	return rt_dispatch_each(s, op->sql ? op->sql : a->text, NULL, op->shards, op->nshards, NULL, 0) && s->waiting > 0;
}

/* An UPDATE of the vindex column: each shard runs it with RETURNING *,
 * in text, with the bound parameters; the rows that leave move (move.c). */
static bool move_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	if (!rt_move_start(s, op)) {
		PgwError e;
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
		return false;
	}
	if (rt_dispatch_each(s, op->sql, NULL, op->shards, op->nshards, a->params, 0) && s->waiting > 0)
		return true;
	rt_move_free(s);
	return false;
}

/* COPY FROM STDIN: CopyInResponse now; CopyData comes until CopyDone (a
 * Sync meanwhile is ignored, as PostgreSQL does). */
static bool copy_in_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	if (rt_copy_start(s, a->stmt->copy_stmt, a->text, op) && s->waiting > 0)
		return true;
	rt_copy_free(s);
	return false;
}

/* ---------------------------------------------------------------- over an input */

static bool copy_out_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	return rt_copy_out_start(s, a->stmt->copy_stmt, op, a) && s->waiting > 0;
}

/* The final step, a merge-sort or a limit over it: the merge's shards
 * start, the state that takes their rows is made (rt_merge_start). */
static bool merge_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	return rt_merge_start(s, op, a->text, a->params) && s->waiting > 0;
}

/* A write after its subqueries: the final step computing their values
 * starts (its gather's first shards); the write follows (session.c). */
static bool subquery_values_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	s->subwrite = op;
	if (rt_merge_start(s, op, a->text, a->params) && s->waiting > 0)
		return true;
	s->subwrite = NULL;
	return false;
}

static bool explain_start(const RtOp *op, RtSession *s, const RtExecArgs *a)
{
	return rt_explain_start(s, op, a->text, a->params);
}

/* Rows for the final step's engine (merge.c). */
static bool final_result(const RtOp *op, RtSession *s, RtBackend *b, PGresult *r)
{
	(void)op;
	(void)b;
	if (!s->merge || (PQresultStatus(r) != PGRES_SINGLE_TUPLE && PQresultStatus(r) != PGRES_TUPLES_OK))
		return false;
	PgwError e;
	if (!rt_merge_rows(s->merge, r, &e))
		rt_send_error(s, &e);
	return true;
}

/* Rows for the in-order merge (kmerge.c). */
static bool merge_sort_result(const RtOp *op, RtSession *s, RtBackend *b, PGresult *r)
{
	(void)op;
	if (!s->kmerge || (PQresultStatus(r) != PGRES_SINGLE_TUPLE && PQresultStatus(r) != PGRES_TUPLES_OK))
		return false;
	rt_kmerge_result(s, b, r);
	return true;
}

static bool final_complete(const RtOp *op, RtSession *s)
{
	(void)op;
	return s->merge && rt_merge_complete(s);
}

/* A merge's or a final step's state goes with the statement. */
static void merge_finish(const RtOp *op, RtSession *s)
{
	(void)op;
	rt_merge_end(s);
}

static const RtOpType op_types[RT_OP_NKINDS] = {
	[RT_OP_REFUSE] = {.name = "Refuse", .start = refuse_start},
	[RT_OP_LOCAL] = {.name = "Local", .start = local_start},
	[RT_OP_SHOW] = {.name = "Show", .start = show_start},
	[RT_OP_SET] = {.name = "Set", .start = set_start},
	[RT_OP_ROUTE] = {.name = "Route", .start = route_start},
	[RT_OP_INSERT_SPLIT] = {.name = "InsertSplit", .start = route_start},
	[RT_OP_DDL] = {.name = "DDL", .start = ddl_start},
	[RT_OP_TRUNCATE] = {.name = "Truncate", .start = truncate_start},
	[RT_OP_MOVE] = {.name = "Move", .start = move_start},
	[RT_OP_COPY_IN] = {.name = "CopyIn", .start = copy_in_start},
	[RT_OP_COPY_OUT] = {.name = "CopyOut", .start = copy_out_start},
	[RT_OP_FINAL] = {.name = "FinalStep",
			 .start = merge_start,
			 .on_result = final_result,
			 .on_complete = final_complete,
			 .finish = merge_finish},
	[RT_OP_AGGREGATE] = {.name = "Aggregate"},
	[RT_OP_MERGE_SORT] = {.name = "MergeSort", .start = merge_start, .on_result = merge_sort_result, .finish = merge_finish},
	[RT_OP_LIMIT] = {.name = "Limit", .start = merge_start},
	[RT_OP_EXPLAIN] = {.name = "Explain", .start = explain_start},
	[RT_OP_INTERMEDIATE] = {.name = "IntermediateResult"},
	[RT_OP_SUBQUERY_VALUES] = {.name = "WithSubqueryValues", .start = subquery_values_start, .finish = merge_finish},
	[RT_OP_INSERT_SELECT] = {.name = "InsertSelect", .start = subquery_values_start, .finish = merge_finish},
};

const RtOpType *rt_op_type(RtOpKind kind)
{
	assert(kind < RT_OP_NKINDS && op_types[kind].name);
	return &op_types[kind];
}

bool rt_exec_start(RtSession *s, const RtPlan *p, const RtExecArgs *a)
{
	const RtOp *root = p->root;
	const RtOpType *t = rt_op_type(root->kind);
	assert(t->start); /* every root can start */
	s->cur_write = p->write;
	return t->start(root, s, a);
}

bool rt_exec_result(RtSession *s, RtBackend *b, PGresult *r)
{
	const RtOp *op = s->running;
	if (!op)
		return false;
	const RtOpType *t = rt_op_type(op->kind);
	return t->on_result && t->on_result(op, s, b, r);
}

bool rt_exec_complete(RtSession *s)
{
	const RtOp *op = s->running;
	if (!op)
		return false;
	const RtOpType *t = rt_op_type(op->kind);
	return t->on_complete && t->on_complete(op, s);
}

void rt_exec_finish(RtSession *s)
{
	const RtOp *op = s->running;
	if (op && rt_op_type(op->kind)->finish)
		rt_op_type(op->kind)->finish(op, s);
	assert(!s->merge && !s->kmerge && !s->running);
}
