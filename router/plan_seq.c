/*
 * plan_seq.c - column defaults from cluster-wide sequences in an INSERT
 * into a sharded table.
 *
 * A column whose default is a sequence (serial, bigserial, identity,
 * DEFAULT nextval('s')) must not take its value from each shard's own
 * sequence, which would hand out the same values on every shard.  When an
 * INSERT ... VALUES leaves such a column out, or gives it DEFAULT, the
 * planner draws one value per row from the cluster-wide sequence (through
 * RtCatalog.sequence_next, row by row in order) and puts it in the
 * statement as a bound parameter after the client's own ($n+1, ...), so
 * the row routes by it when the column is the vindex column, RETURNING
 * gives it back, and the text the shards run is the same from one
 * execution to the next (their prepared statement serves it).  The
 * client's tree is not changed: the statement planned is a copy of its top
 * levels (rt_seq_fill swaps them in, rt_seq_fill_undo puts the client's
 * back).
 */
#include <stdio.h>
#include <string.h>

#include "router/plan_int.h"

typedef PgQuery__Node Node;

/* The next drawn value v as the next bound parameter: its text kept in
 * f's parameters (typed as the scanner types an integer literal), a
 * ParamRef to it returned. */
static Node *drawn_param(RtSeqFill *f, int64_t v)
{
	int k = f->params.n++;
	f->values[k] = arena_printf(&f->arena, "%lld", (long long)v);
	f->lengths[k] = (int)strlen(f->values[k]);
	f->types[k] = v >= INT32_MIN && v <= INT32_MAX ? 23 : 20; /* int4, int8 */
	PgQuery__ParamRef *pr = arena_alloc(&f->arena, sizeof(*pr));
	*pr = (PgQuery__ParamRef)PG_QUERY__PARAM_REF__INIT;
	pr->number = k + 1;
	pr->location = -1;
	Node *n = arena_alloc(&f->arena, sizeof(*n));
	*n = (Node)PG_QUERY__NODE__INIT;
	n->node_case = PG_QUERY__NODE__NODE_PARAM_REF;
	n->param_ref = pr;
	return n;
}

/* f's parameters: the client's (params, NULL without) with room for
 * ndrawn more. */
static void params_init(RtSeqFill *f, const RtParams *params, size_t ndrawn)
{
	size_t n = (size_t)(params ? params->n : 0), all = n + ndrawn + 1;
	f->values = arena_alloc(&f->arena, sizeof(*f->values) * all);
	f->lengths = arena_alloc(&f->arena, sizeof(*f->lengths) * all);
	f->formats = arena_alloc(&f->arena, sizeof(*f->formats) * all); /* zeroed: text */
	f->types = arena_alloc(&f->arena, sizeof(*f->types) * all);
	for (size_t i = 0; i < n; i++) {
		f->values[i] = params->values[i];
		f->lengths[i] = params->lengths ? params->lengths[i] : (params->values[i] ? (int)strlen(params->values[i]) : 0);
		f->formats[i] = params->formats ? params->formats[i] : 0;
		f->types[i] = params->types ? params->types[i] : 0;
	}
	f->params = (RtParams){.n = (int)n, .values = f->values, .lengths = f->lengths, .formats = f->formats, .types = f->types};
}

/* The position of column among the INSERT's named columns, or -1. */
static int named_position(const PgQuery__InsertStmt *ins, const char *column)
{
	for (size_t i = 0; i < ins->n_cols; i++)
		if (strcmp(ins->cols[i]->res_target->name, column) == 0)
			return (int)i;
	return -1;
}

/* A column target for the INSERT's column list. */
static Node *col_target(Arena *a, const char *name)
{
	PgQuery__ResTarget *rt = arena_alloc(a, sizeof(*rt));
	*rt = (PgQuery__ResTarget)PG_QUERY__RES_TARGET__INIT;
	rt->name = arena_strdup(a, name);
	rt->location = -1;
	Node *n = arena_alloc(a, sizeof(*n));
	*n = (Node)PG_QUERY__NODE__INIT;
	n->node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	n->res_target = rt;
	return n;
}

/* What a sequence column needs in the statement: added to the column list
 * (pos -1), or its DEFAULT items replaced (pos its place); nothing when
 * every row gives it a value. */
typedef struct SeqCol {
	const RtSeqColumn *c;
	int pos;
} SeqCol;

/* The columns to fill: those left out (when the INSERT names its
 * columns) and those given as DEFAULT in some row. */
static int seq_cols_needed(const PgQuery__InsertStmt *ins, PgQuery__Node **rows, size_t nrows, const RtSeqColumn *cols,
			   int ncols, SeqCol *need)
{
	int n = 0;
	for (int k = 0; k < ncols; k++) {
		int pos = named_position(ins, cols[k].column);
		if (pos < 0 && !ins->n_cols)
			continue; /* the VALUES follow the table's columns: not known here */
		bool any = pos < 0;
		for (size_t i = 0; !any && i < nrows; i++) {
			PgQuery__List *row = rows[i]->list;
			any = (size_t)pos < row->n_items &&
			      row->items[pos]->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT;
		}
		if (any)
			need[n++] = (SeqCol){.c = &cols[k], .pos = pos};
	}
	return n;
}

/* Refuse r with the sequence's error. */
static void seq_refuse(RtRoute *r, const PgwError *e)
{
	r->kind = RT_ROUTE_REFUSE;
	r->err = *e;
}

/* Each row with its filled values: a new list (items copied, DEFAULTs of
 * the columns filled replaced, added columns appended), one value per row
 * and column in row order, each a parameter of f's.  False with r
 * refused. */
static bool fill_rows(const RtPlanner *pl, RtSeqFill *f, PgQuery__Node **rows, size_t nrows, const SeqCol *need,
		      int nneed, PgQuery__Node **out, RtRoute *r)
{
	int added = 0;
	for (int k = 0; k < nneed; k++)
		added += need[k].pos < 0;
	for (size_t i = 0; i < nrows; i++) {
		const PgQuery__List *row = rows ? rows[i]->list : NULL;
		size_t nold = row ? row->n_items : 0;
		PgQuery__List *l = arena_alloc(&f->arena, sizeof(*l));
		*l = (PgQuery__List)PG_QUERY__LIST__INIT;
		l->items = arena_alloc(&f->arena, sizeof(Node *) * (nold + (size_t)added + 1));
		for (size_t j = 0; j < nold; j++)
			l->items[j] = row->items[j];
		l->n_items = nold;
		for (int k = 0; k < nneed; k++) {
			bool dflt = need[k].pos >= 0 && (size_t)need[k].pos < nold &&
				    row->items[need[k].pos]->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT;
			if (need[k].pos >= 0 && !dflt)
				continue; /* this row gives a value */
			int64_t v;
			PgwError e;
			if (!pl->catalog.sequence_next(pl->catalog.arg, need[k].c->seq, &v, &e)) {
				seq_refuse(r, &e);
				return false;
			}
			if (dflt)
				l->items[need[k].pos] = drawn_param(f, v);
			else
				l->items[l->n_items++] = drawn_param(f, v);
		}
		Node *n = arena_alloc(&f->arena, sizeof(*n));
		*n = (Node)PG_QUERY__NODE__INIT;
		n->node_case = PG_QUERY__NODE__NODE_LIST;
		n->list = l;
		out[i] = n;
	}
	return true;
}

bool rt_seq_fill(const RtPlanner *pl, PgQuery__InsertStmt *ins, RtSeqFill *f, RtRoute *r)
{
	memset(f, 0, sizeof(*f));
	if (!pl->catalog.sequence_columns || !pl->catalog.sequence_next)
		return false;
	PgQuery__SelectStmt *src = ins->select_stmt ? ins->select_stmt->select_stmt : NULL;
	if (src && (!src->n_values_lists || src->n_sort_clause || src->limit_count))
		return false; /* INSERT ... SELECT: refused by the caller */
	RtSeqColumn cols[RT_MAX_SEQ_COLUMNS];
	int ncols = pl->catalog.sequence_columns(pl->catalog.arg, ins->relation->relname, cols);
	if (ncols <= 0)
		return false;
	size_t nrows = src ? src->n_values_lists : 1; /* DEFAULT VALUES: one row */
	SeqCol need[RT_MAX_SEQ_COLUMNS];
	int nneed = seq_cols_needed(ins, src ? src->values_lists : NULL, src ? nrows : 0, cols, ncols, need);
	if (!src && !ins->n_cols)
		for (int k = 0; k < ncols; k++)
			need[nneed++] = (SeqCol){.c = &cols[k], .pos = -1};
	if (nneed == 0)
		return false;
	arena_init(&f->arena);
	params_init(f, r->params, nrows * (size_t)nneed);
	PgQuery__Node **rows = arena_alloc(&f->arena, sizeof(*rows) * nrows);
	if (!fill_rows(pl, f, src ? src->values_lists : NULL, nrows, need, nneed, rows, r)) {
		arena_reset(&f->arena);
		return false;
	}
	/* the column list with the added columns */
	f->cols = ins->cols;
	f->n_cols = ins->n_cols;
	f->select = ins->select_stmt;
	f->override = ins->override;
	PgQuery__Node **cl = arena_alloc(&f->arena, sizeof(*cl) * (ins->n_cols + (size_t)nneed + 1));
	size_t ncl = ins->n_cols;
	if (ins->n_cols)
		memcpy(cl, ins->cols, sizeof(*cl) * ins->n_cols);
	bool always = false;
	for (int k = 0; k < nneed; k++) {
		if (need[k].pos < 0)
			cl[ncl++] = col_target(&f->arena, need[k].c->column);
		always = always || need[k].c->always;
	}
	/* the VALUES: a copy of the client's SELECT node with the new rows */
	PgQuery__SelectStmt *sel = arena_alloc(&f->arena, sizeof(*sel));
	if (src) {
		*sel = *src;
	} else {
		*sel = (PgQuery__SelectStmt)PG_QUERY__SELECT_STMT__INIT;
		sel->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
		sel->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	}
	sel->values_lists = rows;
	sel->n_values_lists = nrows;
	Node *seln = arena_alloc(&f->arena, sizeof(*seln));
	*seln = (Node)PG_QUERY__NODE__INIT;
	seln->node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	seln->select_stmt = sel;
	ins->cols = cl;
	ins->n_cols = ncl;
	ins->select_stmt = seln;
	if (always && ins->override == PG_QUERY__OVERRIDING_KIND__OVERRIDING_NOT_SET)
		ins->override = PG_QUERY__OVERRIDING_KIND__OVERRIDING_SYSTEM_VALUE; /* the value is the sequence's */
	f->client_params = r->params;
	f->route_params = &r->params;
	r->params = &f->params; /* the client's and the drawn values */
	f->filled = true;
	return true;
}

void rt_seq_fill_undo(PgQuery__InsertStmt *ins, RtSeqFill *f)
{
	if (!f->filled)
		return;
	ins->cols = f->cols;
	ins->n_cols = f->n_cols;
	ins->select_stmt = f->select;
	ins->override = f->override;
	*f->route_params = f->client_params;
	arena_reset(&f->arena);
	f->filled = false;
}

bool rt_seq_left_out(const RtPlanner *pl, const PgQuery__InsertStmt *ins, char *column, size_t n)
{
	if (!ins->n_cols || !pl->catalog.sequence_columns)
		return false;
	RtSeqColumn cols[RT_MAX_SEQ_COLUMNS];
	int ncols = pl->catalog.sequence_columns(pl->catalog.arg, ins->relation->relname, cols);
	for (int k = 0; k < ncols; k++)
		if (named_position(ins, cols[k].column) < 0) {
			snprintf(column, n, "%s", cols[k].column);
			return true;
		}
	return false;
}
