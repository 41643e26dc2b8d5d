/*
 * gather_insert.c - INSERT ... SELECT over tables that are not colocated
 * with the target: the router's engine computes the rows (a gather), then
 * they go to the shards their keys route to; pushed down whole when source
 * and target are colocated on the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "router/plan_int.h"

typedef PgQuery__Node Node;

/* The INSERT's text around its rows: before and after "($1)" written as
 * its only VALUES row; false when it cannot be deparsed. */
static bool insert_template(PgQuery__Node *stmt, RtRoute *r)
{
	PgQuery__InsertStmt *ins = stmt->insert_stmt;
	Arena a;
	arena_init(&a);
	PgQuery__List row = PG_QUERY__LIST__INIT;
	Node *items[1] = {rt_param_node(&a, 1)}, rown = PG_QUERY__NODE__INIT, *rows[1] = {&rown};
	row.n_items = 1;
	row.items = items;
	rown.node_case = PG_QUERY__NODE__NODE_LIST;
	rown.list = &row;
	PgQuery__SelectStmt v = PG_QUERY__SELECT_STMT__INIT;
	v.n_values_lists = 1;
	v.values_lists = rows;
	v.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	v.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	Node vn = PG_QUERY__NODE__INIT, *saved = ins->select_stmt;
	vn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	vn.select_stmt = &v;
	ins->select_stmt = &vn;
	char *text = pgn_deparse(stmt);
	ins->select_stmt = saved;
	arena_reset(&a);
	char *at = text ? strstr(text, "VALUES ($1)") : NULL;
	if (at) {
		r->write_suffix = strdup(at + strlen("VALUES ($1)"));
		at[strlen("VALUES ")] = 0;
		r->write_sql = text;
		return r->write_suffix != NULL;
	}
	free(text);
	return false;
}

/* The place of the target's vindex column among an INSERT's columns, -1
 * unknown. */
static int insert_key_pos(const RtPlanner *pl, const PgQuery__InsertStmt *ins, const VscColumnVindex *cv)
{
	int pos = ins->n_cols ? -1 : pl->catalog.column_position(pl->catalog.arg, ins->relation->relname, cv->column);
	for (size_t i = 0; i < ins->n_cols; i++)
		if (strcmp(ins->cols[i]->res_target->name, cv->column) == 0)
			pos = (int)i;
	return pos;
}

/* Whether column reference n is the vindex column col of the table with
 * alias q (or unqualified). */
static bool names_column(const Node *n, const char *col, const char *q)
{
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields > 2)
		return false;
	Node **f = n->column_ref->fields;
	size_t nf = n->column_ref->n_fields;
	return f[nf - 1]->node_case == PG_QUERY__NODE__NODE_STRING && strcmp(f[nf - 1]->string->sval, col) == 0 &&
	       (nf == 1 || (f[0]->node_case == PG_QUERY__NODE__NODE_STRING && strcmp(f[0]->string->sval, q) == 0));
}

/* Whether INSERT ... SELECT copies rows of one table sharded by the same
 * vindex as the target, each row's key from the source's vindex column:
 * then every row stays on its shard and the statement runs whole on each
 * (key_pos: the target's vindex column among the inserted ones). */
static bool colocated_insert(const RtPlanner *pl, const PgQuery__InsertStmt *ins, const RtTables *t, int key_pos)
{
	const PgQuery__SelectStmt *s = ins->select_stmt->select_stmt;
	const VscTable *tv = rt_plan_placement(pl, ins->relation->relname);
	if (t->n != 1 || t->sublink || t->aggregate || key_pos < 0 || tv->placement != VSC_SHARDED ||
	    s->op != PG_QUERY__SET_OPERATION__SETOP_NONE || s->with_clause || s->n_distinct_clause || s->n_group_clause ||
	    s->having_clause || s->limit_count || s->limit_offset || s->n_locking_clause || s->n_from_clause != 1 ||
	    s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR ||
	    (ins->on_conflict_clause && ins->on_conflict_clause->action != PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING))
		return false;
	const VscTable *sv = rt_plan_placement(pl, t->names[0]);
	if (sv->placement != VSC_SHARDED || sv->col_vindexes[0].vindex != tv->col_vindexes[0].vindex ||
	    sv->col_vindexes[0].vindex->ncolumns > 1)
		return false;
	const char *col = sv->col_vindexes[0].column;
	/* a star is not sent whole: the shards' engine does not expand it in
	 * INSERT ... SELECT yet */
	return (size_t)key_pos < s->n_target_list && names_column(s->target_list[key_pos]->res_target->val, col, t->aliases[0]);
}

bool rt_gather_insert_plan(const RtPlanner *pl, PgQuery__Node *stmt, RtRoute *r)
{
	PgQuery__InsertStmt *ins = stmt->insert_stmt;
	Node *sel = ins->select_stmt;
	RtTables t;
	rt_tables_collect(sel, &t);
	const char *why = ins->with_clause		      ? "INSERT ... SELECT with WITH"
			  : sel->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ? "this INSERT"
			  : t.n == 0 || t.n == t.nctes		      ? "INSERT ... SELECT without a table into a sharded table"
			  : t.too_many				      ? "INSERT ... SELECT of more than 32 tables"
								      : NULL;
	const VscTable *tv = rt_plan_placement(pl, ins->relation->relname);
	char seqcol[64], seqwhy[160];
	if (!why && tv->placement != VSC_REFERENCE && rt_seq_left_out(pl, ins, seqcol, sizeof(seqcol))) {
		/* its shards would draw from their own sequences, not the cluster's */
		snprintf(seqwhy, sizeof(seqwhy), "INSERT ... SELECT leaving out the sequence column \"%s\"", seqcol);
		why = seqwhy;
	}
	int key_pos = !why && tv->placement == VSC_SHARDED ? insert_key_pos(pl, ins, &tv->col_vindexes[0]) : -1;
	if (!why && colocated_insert(pl, ins, &t, key_pos)) {
		r->write = true;
		r->params_inlined = false; /* the client's statement, its parameters */
		r->nshards = vsc_shard_count(pl->vschema);
		for (int i = 0; i < r->nshards; i++)
			r->shards[i] = i;
		r->opcode = RT_RO_SCATTER;
		return true;
	}
	if (why || !rt_gather_plan(pl, sel->select_stmt, &t, r)) {
		if (why || !r->err.message[0])
			snprintf(r->err.message, sizeof(r->err.message), "%s through the router is not supported",
				 why ? why : "this INSERT ... SELECT");
		return false;
	}
	free(r->final_sql);
	r->merge = false;
	if (!(r->final_sql = pgn_deparse(sel)) || !insert_template(stmt, r)) {
		snprintf(r->err.message, sizeof(r->err.message), "%s", "the INSERT ... SELECT could not be deparsed");
		return false;
	}
	const char *target = ins->relation->relname;
	const VscTable *vt = rt_plan_placement(pl, target);
	r->write = true;
	r->nshards = 0;
	if (vt->placement == VSC_PINNED) {
		r->opcode = RT_RO_PINNED;
		r->shards[r->nshards++] = vt->shard;
		return true;
	}
	for (int i = 0; i < vsc_shard_count(pl->vschema); i++)
		r->shards[r->nshards++] = i;
	if (vt->placement != VSC_SHARDED) {
		r->opcode = RT_RO_REPLICATED;
		return true;
	}
	/* each row goes where its vindex column's value belongs */
	const VscColumnVindex *cv = &vt->col_vindexes[0];
	int pos = insert_key_pos(pl, ins, cv);
	if (pos < 0) {
		snprintf(r->err.message, sizeof(r->err.message),
			 "INSERT ... SELECT into the sharded table \"%s\" must give its vindex column \"%s\"", target, cv->column);
		return false;
	}
	int32_t typmod;
	r->key = cv;
	r->key_pos = pos;
	r->key_type = rt_plan_column_type(pl, target, cv->column, &typmod);
	r->opcode = RT_RO_SCATTER;
	return true;
}
