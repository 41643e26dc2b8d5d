/*
 * plan.c - the planner: decide where a statement runs.
 *
 * A pure function of the parse tree, the VSchema and the catalog facts it
 * asks through RtCatalog (op.h).  The tables a statement names are looked
 * up in the VSchema.  A sharded table is routed by its primary vindex
 * column: an equality or IN with constants (or bound parameters) in the
 * top-level AND of WHERE, or the column's value in each row of INSERT ...
 * VALUES, whose rows are split by shard; tables joined on their vindex
 * columns with the same vindex go with it.  Pinned tables go to their
 * shard, reads of reference tables to any shard, their writes to every
 * one.  A read of several shards that rows cannot simply be concatenated
 * for gets a final step in the router (aggregates in two steps,
 * aggregate.c; an in-order merge, kmerge.c).  An UPDATE of the vindex
 * column moves rows.  What the router cannot run is refused with 0A000
 * naming it.  What is learned is noted in an RtRoute, from which
 * plan_ops.c builds the operator tree.  The catalog facts come from
 * catalog.c in the router, from a fixture in the planner's tests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/pgnode.h"
#include "router/plan_int.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"

typedef PgQuery__Node Node;

#define MAX_TABLES RT_MAX_TABLES

typedef RtTables Tables;

static const char *const aggregates[] = {"count", "sum", "avg", "min", "max", "string_agg", "array_agg", "bool_and",
					 "bool_or", "every", "stddev", "variance", "json_agg", "jsonb_agg"};

/* Note the tables, CTE names, aggregates and subqueries of a statement. */
static bool visit(const ProtobufCMessage *m, void *arg)
{
	Tables *t = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__range_var__descriptor) {
		const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
		if (t->n == MAX_TABLES) {
			t->too_many = true;
			return false;
		}
		t->aliases[t->n] = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
		t->names[t->n++] = rv->relname;
		return false;
	}
	if (d == &pg_query__common_table_expr__descriptor && t->nctes < MAX_TABLES)
		t->ctes[t->nctes++] = ((const PgQuery__CommonTableExpr *)m)->ctename;
	if (d == &pg_query__sub_link__descriptor)
		t->sublink = true;
	if (d == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
		const char *name = f->n_funcname ? f->funcname[f->n_funcname - 1]->string->sval : "";
		if (f->agg_star || f->over || f->agg_within_group || f->agg_filter || f->n_agg_order ||
		    pgs_is_aggregate(name))
			t->aggregate = true;
		for (size_t i = 0; i < sizeof(aggregates) / sizeof(aggregates[0]); i++)
			if (strcmp(name, aggregates[i]) == 0)
				t->aggregate = true;
	}
	return true;
}

void rt_tables_collect(const PgQuery__Node *stmt, RtTables *t)
{
	memset(t, 0, sizeof(*t));
	pgn_walk(&stmt->base, visit, t);
}

bool rt_tables_is_cte(const RtTables *t, const char *name)
{
	for (int i = 0; i < t->nctes; i++)
		if (strcmp(t->ctes[i], name) == 0)
			return true;
	return false;
}

void rt_star_target_init(RtStarTarget *st)
{
	*st = (RtStarTarget){.ref = PG_QUERY__COLUMN_REF__INIT,
			   .star = PG_QUERY__A__STAR__INIT,
			   .star_node = PG_QUERY__NODE__INIT,
			   .ref_node = PG_QUERY__NODE__INIT,
			   .target_node = PG_QUERY__NODE__INIT,
			   .target = PG_QUERY__RES_TARGET__INIT};
	st->star_node.node_case = PG_QUERY__NODE__NODE_A_STAR;
	st->star_node.a_star = &st->star;
	st->fields[0] = &st->star_node;
	st->ref.n_fields = 1;
	st->ref.fields = st->fields;
	st->ref_node.node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	st->ref_node.column_ref = &st->ref;
	st->target.val = &st->ref_node;
	st->target_node.node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	st->target_node.res_target = &st->target;
	st->targets[0] = &st->target_node;
}

void rt_table_from_init(RtTableFrom *tf, const char *table)
{
	*tf = (RtTableFrom){.rv = PG_QUERY__RANGE_VAR__INIT, .node = PG_QUERY__NODE__INIT};
	tf->rv.relname = (char *)table;
	tf->rv.inh = true;
	tf->rv.relpersistence = "p";
	tf->rv.location = -1;
	tf->node.node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	tf->node.range_var = &tf->rv;
	tf->from[0] = &tf->node;
}

void rt_route_refuse(RtRoute *r, const char *fmt, ...)
{
	r->kind = RT_ROUTE_REFUSE;
	memset(&r->err, 0, sizeof(r->err));
	memcpy(r->err.sqlstate, "0A000", 5);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err.message, sizeof(r->err.message), fmt, ap);
	va_end(ap);
}

static void add_shard(RtRoute *r, int shard)
{
	for (int i = 0; i < r->nshards; i++)
		if (r->shards[i] == shard)
			return;
	r->shards[r->nshards++] = shard;
}

static void all_shards(const RtPlanner *pl, RtRoute *r)
{
	r->nshards = 0;
	for (int i = 0; i < vsc_shard_count(pl->vschema); i++)
		add_shard(r, i);
}

static bool value_shard(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, Node *value, RtRoute *r, int *shard)
{
	uint64_t ksid;
	return rt_plan_value_shard(pl, table, cv, value, r, shard, &ksid);
}

/* Look through the top-level ANDs of `where` for vindex = const or
 * vindex IN (consts).  Returns true with the shards when one is found. */
static bool where_shards(const RtPlanner *pl, Node *where, const char *table, const char *alias, const VscColumnVindex *cv,
			 RtRoute *r, bool *refused)
{
	if (!where)
		return false;
	if (where->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    where->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < where->bool_expr->n_args; i++)
			if (where_shards(pl, where->bool_expr->args[i], table, alias, cv, r, refused) || *refused)
				return !*refused;
		return false;
	}
	if (where->node_case == PG_QUERY__NODE__NODE_NULL_TEST &&
	    where->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL &&
	    rt_plan_is_vindex_column(where->null_test->arg, cv->column, table, alias)) {
		r->nshards = 0;
		add_shard(r, vsc_shard_for_ksid(pl->vschema, 0)); /* rows with a NULL key live there */
		r->eq_value = NULL;
		return true;
	}
	if (where->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return false;
	PgQuery__AExpr *a = where->a_expr;
	const char *op = a->n_name ? a->name[a->n_name - 1]->string->sval : "";
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && strcmp(op, "=") == 0) {
		Node *value = rt_plan_is_vindex_column(a->lexpr, cv->column, table, alias)   ? a->rexpr
			      : rt_plan_is_vindex_column(a->rexpr, cv->column, table, alias) ? a->lexpr
										     : NULL;
		int shard;
		RtRouteKind kind = r->kind;
		if (!value || !value_shard(pl, table, cv, value, r, &shard)) {
			if (value && r->kind == RT_ROUTE_REFUSE && strcmp(r->err.sqlstate, "22023") == 0) {
				/* a value in no range of a range vindex: no row has it */
				r->kind = RT_ROUTE_SHARDS;
				r->nshards = 0;
				add_shard(r, 0);
				r->eq_value = NULL;
				return true;
			}
			if (value && r->kind == RT_ROUTE_REFUSE) {
				/* no value of the key's type (7.5): the shards compare it */
				r->kind = kind;
				return false;
			}
			*refused = r->kind == RT_ROUTE_REFUSE;
			return false;
		}
		r->nshards = 0;
		add_shard(r, shard < 0 ? 0 : shard);
		r->eq_value = value;
		r->eq_cv = cv;
		r->eq_table = table;
		return true;
	}
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN && strcmp(op, "=") == 0 &&
	    rt_plan_is_vindex_column(a->lexpr, cv->column, table, alias) && a->rexpr->node_case == PG_QUERY__NODE__NODE_LIST) {
		RtRoute tmp = {.kind = RT_ROUTE_SHARDS};
		PgQuery__List *l = a->rexpr->list;
		for (size_t i = 0; i < l->n_items; i++) {
			int shard;
			if (!value_shard(pl, table, cv, l->items[i], &tmp, &shard))
				return false; /* one is no value of the column's type: as for = */
			if (shard >= 0)
				add_shard(&tmp, shard);
		}
		if (tmp.nshards == 0)
			add_shard(&tmp, 0);
		r->nshards = tmp.nshards;
		memcpy(r->shards, tmp.shards, sizeof(int) * (size_t)tmp.nshards);
		r->eq_value = NULL;
		return true;
	}
	return false;
}

static const VscTable *placement(const RtPlanner *pl, const char *table);

/* The shards a WHERE clause keeps: by equality or IN on the vindex
 * column, else for a range vindex by range predicates (plan_range.c). */
static bool keyed_shards(const RtPlanner *pl, Node *where, const char *table, const char *alias,
			 const VscColumnVindex *cv, RtRoute *r, bool *refused)
{
	r->by = cv;
	if (cv->vindex->ncolumns > 1) {
		if (rt_multi_where(pl, where, table, alias, cv, r, refused))
			return true; /* a lookup or range vindex would not read fewer shards */
		if (*refused)
			return false;
	} else if (where_shards(pl, where, table, alias, cv, r, refused) || *refused) {
		return !*refused;
	}
	if (r->write == false && rt_lookup_where(pl, where, table, alias, placement(pl, table), r)) {
		r->looked_up = true; /* reads only: a write's lookup rows change under it (r->by: the lookup's) */
		return true;
	}
	if (cv->vindex->kind != VSC_VINDEX_RANGE || !rt_range_where(pl, where, table, alias, cv, r, refused)) {
		r->by = NULL;
		return false;
	}
	r->range = true;
	return true;
}

/* How the VSchema places a table: its entry, else the default placement. */
static const VscTable *placement(const RtPlanner *pl, const char *table)
{
	const VscTable *vt = vsc_table(pl->vschema, table);
	return vt ? vt : vsc_default_placement(pl->vschema);
}

const VscTable *rt_plan_placement(const RtPlanner *pl, const char *table) { return placement(pl, table); }

bool rt_where_shards(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias,
		     const VscColumnVindex *cv, RtRoute *r, bool *refused)
{
	if (cv->vindex->ncolumns > 1)
		return rt_multi_where(pl, where, table, alias, cv, r, refused);
	return where_shards(pl, where, table, alias, cv, r, refused);
}

/* Whether an UPDATE's SET list assigns the column. */
static bool sets_column(PgQuery__Node **targets, size_t n, const char *column)
{
	for (size_t i = 0; i < n; i++)
		if (targets[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET &&
		    strcmp(targets[i]->res_target->name, column) == 0)
			return true;
	return false;
}

/* Whether targets set a column of vindex cv (any of its columns). */
static bool sets_vindex(PgQuery__Node **targets, size_t n, const VscColumnVindex *cv)
{
	for (int k = 0; k < (cv->vindex->ncolumns > 1 ? cv->vindex->ncolumns : 1); k++)
		if (sets_column(targets, n, cv->vindex->ncolumns > 1 ? cv->columns[k] : cv->column))
			return true;
	return false;
}

static bool count_params(const ProtobufCMessage *m, void *arg);

/*
 * The bound parameters one statement of a split INSERT uses: each $n of its
 * tree renumbered $1..$k in the order they appear (restored by
 * renumber_restore), and the parameters it is sent with.
 */
typedef struct Renumber {
	const RtParams *all;
	int *to;               /* by old number - 1: the new number, 0 unused */
	size_t n, cap;
	PgQuery__ParamRef **refs; /* the $n renumbered */
	int *old;              /* their numbers */
	int k;
	int *from;             /* by new number - 1: the old number - 1 */
	bool ok;
} Renumber;

static bool renumber_param(const ProtobufCMessage *m, void *arg)
{
	Renumber *rn = arg;
	if (m->descriptor != &pg_query__param_ref__descriptor)
		return rn->ok;
	PgQuery__ParamRef *pr = (PgQuery__ParamRef *)m;
	int k = pr->number - 1;
	if (k < 0 || k >= rn->all->n || rn->n == rn->cap) {
		rn->ok = false;
		return false;
	}
	if (!rn->to[k]) {
		rn->from[rn->k] = k;
		rn->to[k] = ++rn->k;
	}
	rn->refs[rn->n] = pr;
	rn->old[rn->n++] = pr->number;
	pr->number = rn->to[k];
	return false;
}

static void renumber_restore(Renumber *rn)
{
	while (rn->n > 0) {
		rn->n--;
		rn->refs[rn->n]->number = rn->old[rn->n];
	}
	memset(rn->to, 0, sizeof(int) * (size_t)rn->all->n);
	rn->k = 0;
}

/* The parameters the renumbered statement is sent with, in one block that
 * its values array heads, the values' bytes copied into it (a sequenced
 * INSERT's drawn values die with its planning); false out of memory. */
static bool renumbered_params(const Renumber *rn, RtParams *out)
{
	const RtParams *all = rn->all;
	size_t k = (size_t)rn->k, bytes = 0;
	for (size_t i = 0; i < k; i++) {
		int j = rn->from[i];
		if (all->values[j])
			bytes += (all->lengths ? (size_t)all->lengths[j] : strlen(all->values[j])) + 1;
	}
	char *block = calloc(1, k * (sizeof(char *) + 2 * sizeof(int) + sizeof(uint32_t)) + bytes + 1);
	if (!block)
		return false;
	const char **values = (const char **)block;
	int *lengths = (int *)(block + k * sizeof(char *));
	int *formats = lengths + k;
	uint32_t *types = (uint32_t *)(formats + k);
	char *data = (char *)(types + k);
	for (size_t i = 0; i < k; i++) {
		int j = rn->from[i];
		lengths[i] = all->lengths ? all->lengths[j] : (all->values[j] ? (int)strlen(all->values[j]) : 0);
		formats[i] = all->formats ? all->formats[j] : 0;
		types[i] = all->types ? all->types[j] : 0;
		values[i] = NULL;
		if (all->values[j]) {
			memcpy(data, all->values[j], (size_t)lengths[i]);
			values[i] = data;
			data += lengths[i] + 1; /* zeroed: text values end in NUL */
		}
	}
	*out = (RtParams){.n = rn->k, .values = values, .lengths = lengths, .formats = formats, .types = types};
	return true;
}

/* A multi-row INSERT over several shards: for each shard of the route, the
 * statement with only the VALUES rows that go there, in their order, and
 * with bound parameters, only those its rows use, renumbered $1..$k
 * (split_params). */
#define RT_EVERY_SHARD (-2) /* a row_shard of split_insert: the row goes to every shard */

/* The text of a split INSERT node: for one with values drawn from
 * sequences whose rows all go to one shard, the text the tree keeps (the
 * drawn values are parameters, so it is the same each time: it is
 * deparsed once per tree and generation); else deparsed.  NULL out of
 * memory. */
static char *one_shard_text(PgQuery__Node *node, RtRoute *r)
{
	RtPlanMemo *m = r->memo;
	if (!m || !r->sequenced || r->nshards != 1)
		return pgn_deparse(node);
	if (m->seq_sql && m->seq_stmt == node->insert_stmt && m->seq_gen == m->cur_gen)
		return strdup(m->seq_sql);
	char *sql = pgn_deparse(node);
	free(m->seq_sql);
	m->seq_sql = sql ? strdup(sql) : NULL;
	m->seq_stmt = node->insert_stmt;
	m->seq_gen = m->cur_gen;
	return sql;
}

static void split_insert(PgQuery__InsertStmt *ins, const int *row_shard, RtRoute *r)
{
	if (!row_shard)
		return; /* out of memory: refused by the caller */
	if (ins->n_returning_list && ins->on_conflict_clause &&
	    ins->on_conflict_clause->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING) {
		/* which rows a shard skipped is unknown: their order could not be kept */
		rt_route_refuse(r, "%s",
		       "INSERT ... ON CONFLICT DO NOTHING RETURNING of rows for several shards is not supported by the "
		       "router yet");
		return;
	}
	PgQuery__SelectStmt *src = ins->select_stmt->select_stmt;
	PgQuery__Node **all = src->values_lists;
	size_t nall = src->n_values_lists;
	PgQuery__Node **mine = malloc(sizeof(*mine) * nall);
	r->split_sql = calloc((size_t)r->nshards, sizeof(char *));
	PgQuery__Node node = PG_QUERY__NODE__INIT;
	node.node_case = PG_QUERY__NODE__NODE_INSERT_STMT;
	node.insert_stmt = ins;
	Renumber rn = {.all = r->params, .ok = true};
	bool ok = mine && r->split_sql;
	if (ok && r->params && r->params->n > 0) {
		pgn_walk(&node.base, count_params, &rn.cap);
		rn.to = calloc((size_t)r->params->n, sizeof(int));
		rn.from = calloc((size_t)r->params->n, sizeof(int));
		rn.refs = calloc(rn.cap + 1, sizeof(*rn.refs));
		rn.old = calloc(rn.cap + 1, sizeof(int));
		r->split_params = calloc((size_t)r->nshards, sizeof(RtParams));
		ok = rn.to && rn.from && rn.refs && rn.old && r->split_params;
	}
	for (int k = 0; ok && k < r->nshards; k++) {
		size_t n = 0;
		for (size_t i = 0; i < nall; i++)
			if (row_shard[i] == r->shards[k] || row_shard[i] == RT_EVERY_SHARD)
				mine[n++] = all[i];
		src->values_lists = mine;
		src->n_values_lists = n;
		if (r->split_params)
			pgn_walk(&node.base, renumber_param, &rn);
		r->split_sql[k] = rn.ok ? one_shard_text(&node, r) : NULL;
		ok = r->split_sql[k] && (!r->split_params || renumbered_params(&rn, &r->split_params[k]));
		if (r->split_params)
			renumber_restore(&rn);
		src->values_lists = all;
		src->n_values_lists = nall;
	}
	free(rn.to);
	free(rn.from);
	free(rn.refs);
	free(rn.old);
	free(mine);
	if (ok && ins->n_returning_list && !r->replicated) {
		r->returning_shards = malloc(sizeof(int) * (nall + 1));
		ok = r->returning_shards != NULL;
		if (ok)
			memcpy(r->returning_shards, row_shard, sizeof(int) * nall);
		r->nreturning = (int)nall;
	}
	if (!ok)
		rt_route_refuse(r, "%s", "the rows of a multi-row INSERT could not be split by shard");
}

static void insert_rows_shards(const RtPlanner *pl, PgQuery__InsertStmt *ins, const VscColumnVindex *cv, RtRoute *r);

/* INSERT ... VALUES: the shard of every row by its vindex column, after
 * the columns whose default is a sequence got their values (plan_seq.c);
 * such an INSERT goes to its shards split, its own text on each. */
static void insert_shards(const RtPlanner *pl, PgQuery__InsertStmt *ins, const VscColumnVindex *cv, RtRoute *r)
{
	RtSeqFill fill;
	r->sequenced = rt_seq_fill(pl, ins, &fill, r);
	if (r->kind == RT_ROUTE_REFUSE)
		return;
	insert_rows_shards(pl, ins, cv, r);
	rt_seq_fill_undo(ins, &fill);
}

/* INSERT ... VALUES into a table whose vindex takes several columns:
 * each row on the shard of their values (plan_multi.c). */
static void multi_insert_shards(const RtPlanner *pl, PgQuery__InsertStmt *ins, const VscColumnVindex *cv, RtRoute *r)
{
	const char *table = ins->relation->relname;
	PgQuery__SelectStmt *src = ins->select_stmt->select_stmt;
	int pos[VSC_MAX_VINDEX_COLUMNS];
	for (int k = 0; k < cv->vindex->ncolumns; k++) {
		pos[k] = ins->n_cols ? -1 : pl->catalog.column_position(pl->catalog.arg, table, cv->columns[k]);
		for (size_t i = 0; i < ins->n_cols; i++)
			if (strcmp(ins->cols[i]->res_target->name, cv->columns[k]) == 0)
				pos[k] = (int)i;
		if (pos[k] < 0) {
			rt_route_refuse(r, "INSERT into the sharded table \"%s\" must give its vindex column \"%s\" through the router", table,
			       cv->columns[k]);
			return;
		}
	}
	size_t nrows = src->n_values_lists;
	int *row_shard = malloc(sizeof(int) * (nrows + 1));
	uint64_t *row_ksid = calloc(nrows + 1, sizeof(uint64_t));
	if (!row_shard || !row_ksid)
		rt_route_refuse(r, "%s", "out of memory");
	r->nshards = 0;
	for (size_t i = 0; i < nrows && r->kind != RT_ROUTE_REFUSE; i++)
		if (rt_multi_row_shard(pl, table, cv, src->values_lists[i]->list, pos, r, &row_shard[i], &row_ksid[i]))
			add_shard(r, row_shard[i]);
	if (r->kind != RT_ROUTE_REFUSE)
		rt_lookup_plan(pl, ins, placement(pl, table), row_ksid, r); /* lookup vindexes' rows */
	if (r->kind != RT_ROUTE_REFUSE && (r->nshards > 1 || r->sequenced))
		split_insert(ins, row_shard, r);
	free(row_shard);
	free(row_ksid);
}

static void insert_rows_shards(const RtPlanner *pl, PgQuery__InsertStmt *ins, const VscColumnVindex *cv, RtRoute *r)
{
	int rowbuf[64];
	const char *table = ins->relation->relname;
	PgQuery__SelectStmt *src = ins->select_stmt ? ins->select_stmt->select_stmt : NULL;
	if (!src || !src->n_values_lists || src->n_sort_clause || src->limit_count) {
		rt_route_refuse(r, "INSERT into the sharded table \"%s\" needs a VALUES list through the router", table);
		return;
	}
	if (cv->vindex->ncolumns > 1) {
		multi_insert_shards(pl, ins, cv, r);
		return;
	}
	int pos = -1;
	if (!ins->n_cols) {
		/* the VALUES follow the table's columns */
		pos = pl->catalog.column_position(pl->catalog.arg, table, cv->column);
		if (pos < 0) {
			rt_route_refuse(r, "INSERT into the sharded table \"%s\" must name its columns through the router", table);
			return;
		}
	}
	for (size_t i = 0; i < ins->n_cols; i++)
		if (strcmp(ins->cols[i]->res_target->name, cv->column) == 0)
			pos = (int)i;
	if (pos < 0) {
		rt_route_refuse(r,
		       "INSERT into the sharded table \"%s\" must give its vindex column \"%s\" (the router does not "
		       "evaluate column defaults or sequences yet)",
		       table, cv->column);
		return;
	}
	r->nshards = 0;
	int *row_shard = rowbuf;
	if (src->n_values_lists > sizeof(rowbuf) / sizeof(rowbuf[0]))
		row_shard = malloc(sizeof(int) * src->n_values_lists);
	if (!row_shard) {
		rt_route_refuse(r, "%s", "out of memory");
		return;
	}
	uint64_t *row_ksid = calloc(src->n_values_lists + 1, sizeof(uint64_t));
	if (!row_ksid)
		rt_route_refuse(r, "%s", "out of memory");
	for (size_t i = 0; i < src->n_values_lists && r->kind != RT_ROUTE_REFUSE; i++) {
		PgQuery__List *row = src->values_lists[i]->list;
		int shard;
		if ((size_t)pos >= row->n_items ||
		    !rt_plan_value_shard(pl, table, cv, row->items[pos], r, &shard, &row_ksid[i])) {
			if (r->kind != RT_ROUTE_REFUSE)
				rt_route_refuse(r, "the vindex column of \"%s\" must be a constant in INSERT through the router", table);
		} else {
			if (shard < 0)
				shard = vsc_shard_for_ksid(pl->vschema, 0); /* a NULL key: the shard of keyspace id 0 */
			add_shard(r, shard);
			row_shard[i] = shard;
		}
	}
	if (r->kind != RT_ROUTE_REFUSE)
		rt_lookup_plan(pl, ins, placement(pl, table), row_ksid, r); /* lookup vindexes' rows */
	free(row_ksid);
	if (r->kind != RT_ROUTE_REFUSE && (r->nshards > 1 || r->sequenced))
		split_insert(ins, row_shard, r);
	if (row_shard != rowbuf)
		free(row_shard);
}

/* An INSERT into a pinned table (shard: its shard) or a reference table
 * (RT_EVERY_SHARD: every row on every shard of the route): its sequence
 * columns take the cluster-wide sequences' values too (plan_seq.c), as
 * nextval() through the router does, written into the statement the
 * shards run, so the copies of a reference table's row agree. */
static void pinned_insert(const RtPlanner *pl, PgQuery__InsertStmt *ins, int shard, RtRoute *r)
{
	RtSeqFill fill;
	r->sequenced = rt_seq_fill(pl, ins, &fill, r);
	if (!r->sequenced)
		return;
	size_t nrows = ins->select_stmt->select_stmt->n_values_lists;
	int *row_shard = malloc(sizeof(int) * (nrows + 1));
	if (!row_shard)
		rt_route_refuse(r, "%s", "out of memory");
	for (size_t i = 0; row_shard && i < nrows; i++)
		row_shard[i] = shard;
	split_insert(ins, row_shard, r);
	free(row_shard);
	rt_seq_fill_undo(ins, &fill);
}

/* A SELECT whose rows from several shards can simply be concatenated. */
static const char *scatter_obstacle(PgQuery__SelectStmt *s, const Tables *t)
{
	if (s->op > PG_QUERY__SET_OPERATION__SETOP_NONE)
		return "UNION/INTERSECT/EXCEPT";
	if (s->n_sort_clause)
		return "ORDER BY";
	if (s->limit_count || s->limit_offset)
		return "LIMIT/OFFSET";
	if (s->n_distinct_clause)
		return "DISTINCT";
	if (s->n_group_clause || s->having_clause)
		return "GROUP BY/HAVING";
	if (t->aggregate)
		return "an aggregate or window function";
	if (t->sublink)
		return "a subquery";
	if (s->with_clause)
		return "WITH";
	return NULL;
}

/* An integer constant of a LIMIT or OFFSET, or the text of a bound
 * parameter written in as 'n'::type; false for anything else (a
 * parameter, an expression, ALL or NULL). */
bool rt_const_count(const PgQuery__Node *n, int64_t *v)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->arg->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->type_cast->arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
		/* a bound parameter written in: 'value'::int8 */
		const char *t = n->type_cast->arg->a_const->sval->sval;
		char *end;
		long long x = strtoll(t, &end, 10);
		if (end == t || *end || x < 0 || x > INT32_MAX)
			return false;
		*v = x;
		return true;
	}
	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
		return false;
	*v = n->a_const->ival->ival;
	return *v >= 0;
}

/*
 * The rows a shard must send for an ORDER BY ... LIMIT n [OFFSET m] over
 * plain rows: its own first n + m in that order hold the first n + m of all
 * of them.  Only when the sort keys are the table's columns or expressions
 * over them (not output names or positions: the shards select *) and no
 * aggregate, grouping, DISTINCT or locking changes which rows count.
 * Returns n + m, or -1 when the shards must send every row.
 */
static int64_t pushed_limit(const PgQuery__SelectStmt *s, const Tables *t)
{
	int64_t n, m = 0;
	if (t->aggregate || t->sublink || s->n_group_clause || s->having_clause || s->n_distinct_clause ||
	    s->n_locking_clause || !s->n_sort_clause || s->limit_option != PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_COUNT ||
	    !rt_const_count(s->limit_count, &n) || (s->limit_offset && !rt_const_count(s->limit_offset, &m)) ||
	    n > INT64_MAX / 2 || m > INT64_MAX / 2)
		return -1;
	for (size_t i = 0; i < s->n_sort_clause; i++) {
		PgQuery__Node *key = s->sort_clause[i]->sort_by->node;
		if (key->node_case == PG_QUERY__NODE__NODE_A_CONST)
			return -1; /* ORDER BY 2: a position in the output */
		if (key->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || key->column_ref->n_fields != 1 ||
		    key->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
			continue;
		const char *name = key->column_ref->fields[0]->string->sval;
		for (size_t k = 0; k < s->n_target_list; k++) {
			const char *alias = s->target_list[k]->res_target->name;
			if (alias && strcmp(alias, name) == 0)
				return -1; /* an output name */
		}
	}
	return n + m;
}

static bool is_param(const ProtobufCMessage *m, void *arg)
{
	bool *found = arg;
	if (m->descriptor == &pg_query__param_ref__descriptor)
		*found = true;
	return !*found;
}

/* The final step of a merge: the client's statement, or its own text when
 * the client's would not do: its WHERE has bound parameters, or they were
 * written in as literals.  Without the WHERE the shards applied, unless a
 * subquery needs the whole table.  Notes whether it still uses bound
 * parameters; false when it cannot be deparsed. */
static bool final_plan(PgQuery__SelectStmt *s, const Tables *t, RtRoute *r)
{
	PgQuery__Node *where = s->where_clause;
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = s;
	bool where_params = false;
	pgn_walk(where ? &where->base : NULL, is_param, &where_params);
	if (!t->sublink && (r->final_sql || where_params || r->params_inlined))
		s->where_clause = NULL; /* the final step's own text has none */
	if (!r->final_sql && (where_params || r->params_inlined)) {
		r->final_sql = pgn_deparse(&qn);
		if (!r->final_sql) {
			s->where_clause = where;
			return false;
		}
	}
	r->final_params = false;
	pgn_walk(&s->base, is_param, &r->final_params);
	s->where_clause = where;
	return true;
}

/*
 * Text-format bound parameters written into a merge's statements as typed
 * literals ('value'::type), so that the final step, which runs in the
 * router without them, sees the same values.
 */
typedef struct Inlining {
	const RtParams *params;
	Arena arena;
	size_t n, cap;
	PgQuery__Node **nodes; /* the parameters' places in the tree */
	PgQuery__Node *saved;  /* what was there */
	bool ok;
} Inlining;

static bool count_params(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__param_ref__descriptor)
		(*(size_t *)arg)++;
	return true;
}

static bool inline_param(const ProtobufCMessage *m, void *arg)
{
	Inlining *in = arg;
	PgQuery__Node *n = (PgQuery__Node *)m;
	if (!in->ok || m->descriptor != &pg_query__node__descriptor || n->node_case != PG_QUERY__NODE__NODE_PARAM_REF)
		return in->ok;
	const RtParams *p = in->params;
	int k = n->param_ref->number - 1;
	if (k < 0 || k >= p->n || (p->formats && p->formats[k] != 0) || in->n == in->cap) {
		in->ok = false; /* binary values would need decoding */
		return false;
	}
	const char *v = p->values[k];
	size_t len = !v ? 0 : p->lengths ? (size_t)p->lengths[k] : strlen(v);
	PgQuery__Node *lit = pgn_text(&in->arena, v, len);
	const PgType *type = p->types && p->types[k] ? pgt_by_oid(p->types[k]) : NULL;
	if (type)
		lit = pgn_cast(&in->arena, lit, type->name, -1);
	in->nodes[in->n] = n;
	in->saved[in->n++] = *n;
	*n = *lit;
	return false;
}

static void inline_restore(Inlining *in)
{
	while (in->n > 0) {
		in->n--;
		*in->nodes[in->n] = in->saved[in->n];
	}
	arena_reset(&in->arena);
}

bool rt_plan_params_inlined(PgQuery__Node *stmt, const RtParams *params, void (*fn)(void *arg), void *arg)
{
	Inlining in = {.params = params, .ok = true};
	if (params && params->n > 0)
		pgn_walk(&stmt->base, count_params, &in.cap);
	if (in.cap > 0) {
		arena_init(&in.arena);
		in.nodes = arena_alloc(&in.arena, in.cap * sizeof(*in.nodes));
		in.saved = arena_alloc(&in.arena, in.cap * sizeof(*in.saved));
		pgn_walk(&stmt->base, inline_param, &in);
	}
	if (in.ok)
		fn(arg);
	if (in.cap > 0)
		inline_restore(&in);
	return in.ok;
}

static bool merge_plan_tree(const RtPlanner *pl, PgQuery__SelectStmt *s, const Tables *t, const char *table, RtRoute *r);

typedef bool (*TreePlan)(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const char *table, RtRoute *r);

/* Plan stmt by plan with its text-format bound parameters written in as
 * literals (r->params_inlined), or as it is when they cannot be. */
static bool inlined_plan(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const char *table, RtRoute *r,
			 TreePlan plan)
{
	Inlining in = {.params = r->params, .ok = true};
	if (r->params && r->params->n > 0)
		pgn_walk(&stmt->base, count_params, &in.cap);
	if (in.cap == 0)
		return plan(pl, stmt, t, table, r);
	arena_init(&in.arena);
	in.nodes = arena_alloc(&in.arena, in.cap * sizeof(*in.nodes));
	in.saved = arena_alloc(&in.arena, in.cap * sizeof(*in.saved));
	pgn_walk(&stmt->base, inline_param, &in);
	if (!in.ok)
		inline_restore(&in); /* the bound parameters go with the statements */
	r->params_inlined = in.ok;
	bool planned = plan(pl, stmt, t, table, r);
	inline_restore(&in);
	return planned;
}

static bool merge_tree(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const char *table, RtRoute *r)
{
	return merge_plan_tree(pl, stmt->select_stmt, t, table, r);
}

static bool merge_plan(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const char *table, RtRoute *r)
{
	return inlined_plan(pl, stmt, t, table, r, merge_tree);
}

/* A read: a gather of its tables; a write (table its target): its
 * subqueries first, then the write with their values (gather.c). */
/* A read as a gather of its tables and its final step. */
static bool gather_read_tree(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const char *table, RtRoute *r)
{
	(void)table;
	if (!rt_gather_plan(pl, stmt->select_stmt, t, r))
		return false;
	r->final_params = false;
	pgn_walk(&stmt->base, is_param, &r->final_params);
	return true;
}

static bool gather_tree(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const char *table, RtRoute *r)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
		bool found = false;
		pgn_walk(&stmt->base, is_param, &found);
		if (found) {
			snprintf(r->err.message, sizeof(r->err.message), "%s",
				 "a binary bound parameter in a write with subqueries over other sharded tables is not "
				 "supported by the router");
			return false;
		}
		if (stmt->node_case == PG_QUERY__NODE__NODE_INSERT_STMT)
			return rt_gather_insert_plan(pl, stmt, r);
		return rt_gather_write_plan(pl, stmt, table, r);
	}
	bool params = false;
	pgn_walk(&stmt->base, is_param, &params);
	if (!params && rt_gather_semijoin_plan(pl, stmt, r))
		return true;
	rt_route_cleanup(r); /* what the attempt left */
	r->nsubs = 0;
	r->key = NULL;
	memset(&r->err, 0, sizeof(r->err));
	return gather_read_tree(pl, stmt, t, table, r);
}

/* A statement over tables that are not colocated: a gather (gather.c)
 * of each table's rows into the router's engine, or refused. */
static void gather_plan(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const char *target, RtRoute *r)
{
	/* what an attempt at a narrower plan left */
	rt_route_cleanup(r);
	r->merge = r->partial = r->params_inlined = r->final_params = false;
	memset(&r->kmerge, 0, sizeof(r->kmerge));
	r->kind = RT_ROUTE_SHARDS;
	memset(&r->err, 0, sizeof(r->err));
	if (inlined_plan(pl, stmt, t, target, r, gather_tree))
		return;
	char why[sizeof(r->err.message)];
	snprintf(why, sizeof(why), "%s", r->err.message[0] ? r->err.message : "out of memory");
	rt_route_cleanup(r);
	rt_route_refuse(r, "%s", why);
}

static bool merge_plan_tree(const RtPlanner *pl, PgQuery__SelectStmt *s, const Tables *t, const char *table, RtRoute *r)
{
	/* every table reference is to this one table (a subquery may read it
	 * too), or the statement aggregates a colocated join */
	bool join = false;
	for (int i = 0; i < t->n; i++) {
		if (rt_tables_is_cte(t, t->names[i]))
			return false;
		join = join || strcmp(t->names[i], table) != 0;
	}
	if (join) {
		if (t->sublink || t->nctes || s->op > PG_QUERY__SET_OPERATION__SETOP_NONE || !(t->aggregate || s->n_group_clause) ||
		    strlen(table) >= sizeof(r->merge_table) || !rt_aggregate_join_plan(pl, s, table, r))
			return false;
		snprintf(r->merge_table, sizeof(r->merge_table), "%s", table);
		r->merge_limit = -1;
		r->merge = true;
		return final_plan(s, t, r);
	}
	if (t->nctes || s->op > PG_QUERY__SET_OPERATION__SETOP_NONE || s->n_from_clause < 1 ||
	    strlen(table) >= sizeof(r->merge_table))
		return false;
	snprintf(r->merge_table, sizeof(r->merge_table), "%s", table);
	r->merge_limit = -1;
	/* a subquery in FROM reading the table, or the table joined with
	 * itself: every shard sends all the table's rows, and the whole
	 * statement, WHERE included, runs over them in the router */
	bool whole = s->n_from_clause != 1 || s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR;
	RtTableFrom tf;
	rt_table_from_init(&tf, table);
	Tables final_t = *t;
	final_t.sublink = t->sublink || whole;
	if (!final_t.sublink && (t->aggregate || s->n_group_clause) && rt_aggregate_plan(pl, s, table, r)) {
		r->merge = true;
		return final_plan(s, t, r);
	}
	RtStarTarget st;
	rt_star_target_init(&st);
	PgQuery__SelectStmt q = PG_QUERY__SELECT_STMT__INIT;
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	q.n_target_list = 1;
	q.target_list = st.targets;
	q.n_from_clause = 1;
	q.from_clause = whole ? tf.from : s->from_clause;
	q.where_clause = final_t.sublink ? NULL : s->where_clause;
	q.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	q.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	/* ORDER BY ... LIMIT: each shard sends only its first rows */
	PgQuery__Integer ival = PG_QUERY__INTEGER__INIT;
	PgQuery__AConst count = PG_QUERY__A__CONST__INIT;
	PgQuery__Node count_node = PG_QUERY__NODE__INIT;
	int64_t limit = whole ? -1 : pushed_limit(s, t);
	if (limit >= 0 && limit <= INT32_MAX) {
		ival.ival = (int32_t)limit;
		count.val_case = PG_QUERY__A__CONST__VAL_IVAL;
		count.ival = &ival;
		count.location = -1;
		count_node.node_case = PG_QUERY__NODE__NODE_A_CONST;
		count_node.a_const = &count;
		q.n_sort_clause = s->n_sort_clause;
		q.sort_clause = s->sort_clause;
		q.limit_count = &count_node;
		q.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_COUNT;
		r->merge_limit = limit;
	}
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = &q;
	r->shard_sql = pgn_deparse(&qn);
	if (!r->shard_sql)
		return false;
	r->merge = true;
	if (!final_t.sublink && !t->aggregate)
		rt_kmerge_plan(pl, s, table, r); /* the same, streamed when it can be */
	return final_plan(s, &final_t, r);
}

/* COPY TO STDOUT: every shard holding the table's rows, or the shards of
 * a query that needs no final step in the router. */
static void copy_out_plan(const RtPlanner *pl, PgQuery__CopyStmt *cp, const char *sql, const RtParams *params, RtRoute *r)
{
	if (cp->query) {
		rt_route_plan(pl, cp->query, sql, params, r);
		if (r->kind == RT_ROUTE_REFUSE)
			return;
		if (r->kind != RT_ROUTE_SHARDS || r->write || r->split_sql || r->explain) {
			rt_route_cleanup(r);
			memset(r, 0, sizeof(*r));
			rt_route_refuse(r, "%s", "COPY (query) TO STDOUT through the router needs a query that is not a write");
			return;
		}
		if (r->write_sql) {
			/* its rows come from a final step, not from a statement
			 * after its subqueries: a gather */
			Tables t;
			rt_tables_collect(cp->query, &t);
			rt_route_cleanup(r);
			memset(r, 0, sizeof(*r));
			r->kind = RT_ROUTE_SHARDS;
			r->params = params;
			if (!inlined_plan(pl, cp->query, &t, NULL, r, gather_read_tree)) {
				rt_route_cleanup(r);
				rt_route_refuse(r, "%s", "this COPY (query) TO STDOUT is not supported by the router");
				return;
			}
		}
		/* a final step in the router (r->merge): copy.c keeps its rows
		 * and writes them out as COPY data */
	} else {
		const VscTable *vt = placement(pl, cp->relation->relname);
		r->nshards = 0;
		if (vt->placement == VSC_SHARDED)
			all_shards(pl, r);
		else
			add_shard(r, vt->placement == VSC_PINNED ? vt->shard : 0);
		r->opcode = vt->placement == VSC_SHARDED  ? RT_RO_SCATTER
			    : vt->placement == VSC_PINNED ? RT_RO_PINNED
							  : RT_RO_REFERENCE;
	}
	r->copy_out = true;
}

/* EXPLAIN: the route of the statement explained; the shards explain it. */
static void explain_plan(const RtPlanner *pl, PgQuery__ExplainStmt *ex, const char *sql, const RtParams *params,
			 RtRoute *r)
{
	for (size_t i = 0; i < ex->n_options; i++) {
		const char *opt = ex->options[i]->def_elem->defname;
		if (strcmp(opt, "analyze") == 0) {
			rt_route_refuse(r, "%s", "EXPLAIN ANALYZE through the router is not supported yet");
			return;
		}
	}
	if (ex->query->node_case != PG_QUERY__NODE__NODE_SELECT_STMT &&
	    ex->query->node_case != PG_QUERY__NODE__NODE_INSERT_STMT &&
	    ex->query->node_case != PG_QUERY__NODE__NODE_UPDATE_STMT &&
	    ex->query->node_case != PG_QUERY__NODE__NODE_DELETE_STMT) {
		rt_route_refuse(r, "%s", "EXPLAIN of this statement through the router is not supported");
		return;
	}
	rt_route_plan(pl, ex->query, sql, params, r);
	if (r->kind == RT_ROUTE_LOCAL) {
		rt_route_refuse(r, "%s", "EXPLAIN of a statement the router answers itself is not supported");
		return;
	}
	if (r->kind == RT_ROUTE_SHARDS && r->split_sql) {
		bool sequenced = r->sequenced;
		rt_route_cleanup(r);
		rt_route_refuse(r, "%s",
		       sequenced ? "EXPLAIN of an INSERT taking values from cluster-wide sequences is not supported yet"
				 : "EXPLAIN of a multi-row INSERT over several shards is not supported yet");
	}
	r->explain = r->kind == RT_ROUTE_SHARDS;
}

/* COPY: FROM STDIN splits rows by key (copy.c), TO STDOUT reads shards. */
static void copy_plan(const RtPlanner *pl, PgQuery__CopyStmt *cp, const char *sql, const RtParams *params, RtRoute *r)
{
	if ((cp->filename && cp->filename[0]) || cp->is_program) {
		rt_route_refuse(r, "COPY %s a file or program through the router is not supported", cp->is_from ? "FROM" : "TO");
		return;
	}
	if (!cp->is_from) {
		copy_out_plan(pl, cp, sql, params, r);
		return;
	}
	if (!cp->relation || cp->where_clause) {
		rt_route_refuse(r, "%s through the router is not supported yet", "COPY FROM ... WHERE");
		return;
	}
	/* COPY FROM STDIN: the rows go where their keys belong (copy.c) */
	const VscTable *vt = placement(pl, cp->relation->relname);
	r->write = true;
	r->copy = true;
	if (vt->placement == VSC_PINNED)
		add_shard(r, vt->shard);
	else
		all_shards(pl, r);
	r->opcode = vt->placement == VSC_PINNED ? RT_RO_PINNED : RT_RO_SCATTER;
}

/* Statements planned by their kind alone; false for those whose tables
 * decide (SELECT, INSERT, UPDATE, DELETE, and a SHOW the shards answer). */
static bool kind_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtRoute *r)
{
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
		explain_plan(pl, stmt->explain_stmt, sql, params, r);
		return true;
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
	case PG_QUERY__NODE__NODE_FETCH_STMT: /* cursors live in the router */
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
		r->kind = RT_ROUTE_LOCAL;
		return true;
	case PG_QUERY__NODE__NODE_CREATE_STMT:
	case PG_QUERY__NODE__NODE_DROP_STMT:
	case PG_QUERY__NODE__NODE_INDEX_STMT:
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
	case PG_QUERY__NODE__NODE_RENAME_STMT:
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
	case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
	case PG_QUERY__NODE__NODE_CHECK_POINT_STMT: /* each shard's WAL */
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		/* the schema is the same on every shard */
		r->kind = RT_ROUTE_ALL;
		all_shards(pl, r);
		if (stmt->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT)
			rt_lookup_truncate(pl, stmt, r); /* their lookup rows go too */
		return true;
	case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
		if (rt_show_find(stmt->variable_show_stmt->name) >= 0) {
			r->kind = RT_ROUTE_LOCAL;
			return true;
		}
		return false;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		if (rt_placement_call(stmt) || rt_seq_call(stmt)) {
			r->kind = RT_ROUTE_LOCAL; /* placement.c, seqfunc.c */
			return true;
		}
		return false;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return false;
	case PG_QUERY__NODE__NODE_COPY_STMT:
		copy_plan(pl, stmt->copy_stmt, sql, params, r);
		return true;
	default:
		rt_route_refuse(r, "%s through the router is not supported yet", "this statement");
		return true;
	}
}

/* How a statement's tables are placed: the sharded table that routes it
 * (its name and alias), a pinned shard, reference tables. */
typedef struct Placed {
	const char *sharded, *sharded_alias;
	const VscTable *sharded_t;
	int pinned;
	bool reference;
	bool whole; /* the sharded table read again by a subquery */
	bool gather; /* a read over tables that are not colocated: a gather */
} Placed;

/* Whether stmt is an INSERT ... SELECT (not VALUES) into a sharded table
 * or from one: its rows are computed in the router, then inserted. */
static bool insert_select(const RtPlanner *pl, const PgQuery__Node *stmt, const Tables *t)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_INSERT_STMT || !stmt->insert_stmt->select_stmt ||
	    (stmt->insert_stmt->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
	     stmt->insert_stmt->select_stmt->select_stmt->n_values_lists))
		return false;
	for (int i = 0; i < t->n; i++)
		if (!rt_tables_is_cte(t, t->names[i]) && placement(pl, t->names[i])->placement == VSC_SHARDED)
			return true;
	return false;
}

/* Whether an UPDATE or DELETE writes table (the first sharded table it
 * names is its target). */
static bool write_target(const PgQuery__Node *stmt, const char *table)
{
	const PgQuery__RangeVar *rv = stmt->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT   ? stmt->update_stmt->relation
				      : stmt->node_case == PG_QUERY__NODE__NODE_DELETE_STMT ? stmt->delete_stmt->relation
											    : NULL;
	return rv && table && strcmp(rv->relname, table) == 0;
}

/* Place the statement's tables; false with r refused. */
static bool place_tables(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, Placed *pt, RtRoute *r)
{
	int nsharded = 0;
	*pt = (Placed){.pinned = -1};
	for (int i = 0; i < t->n; i++) {
		if (rt_tables_is_cte(t, t->names[i]))
			continue;
		const VscTable *vt = placement(pl, t->names[i]);
		if (vt->placement == VSC_SHARDED) {
			if (nsharded++ && !rt_colocated_join(pl, stmt, t)) {
				if (strcmp(pt->sharded, t->names[i]) == 0 && t->sublink &&
				    stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
					pt->whole = true; /* read again by a subquery: every shard's rows, final step here */
					continue;
				}
				if (stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT || write_target(stmt, pt->sharded)) {
					pt->gather = true;
					return true;
				}
				rt_route_refuse(r, "a statement over several sharded tables (\"%s\" and \"%s\") is supported by the router "
					  "only as a join on their vindex columns with the same vindex",
				       pt->sharded, t->names[i]);
				return false;
			}
			if (pt->sharded)
				continue; /* joined with the first: it routes them all */
			pt->sharded = t->names[i];
			pt->sharded_alias = t->aliases[i];
			pt->sharded_t = vt;
		} else if (vt->placement == VSC_PINNED) {
			if (pt->pinned >= 0 && pt->pinned != vt->shard) {
				if (stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
					pt->gather = true;
					return true;
				}
				rt_route_refuse(r, "%s", "a statement over tables pinned to different shards is not supported");
				return false;
			}
			pt->pinned = vt->shard;
		} else {
			pt->reference = true;
		}
	}
	if (pt->sharded && pt->pinned >= 0 && stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
		pt->gather = true;
	} else if (pt->sharded && pt->pinned >= 0) {
		rt_route_refuse(r, "a statement over the sharded table \"%s\" and a pinned table is not supported", pt->sharded);
		return false;
	}
	return true;
}

/* A statement over a sharded table (and reference tables, or others
 * joined with it on the vindex): its shards by the vindex column, a move,
 * a split INSERT or a merge. */
static void sharded_plan(const RtPlanner *pl, PgQuery__Node *stmt, const Tables *t, const Placed *pt, RtRoute *r)
{
	const char *sharded = pt->sharded, *alias = pt->sharded_alias;
	const VscColumnVindex *cv = &pt->sharded_t->col_vindexes[0];
	bool refused = false, keyed = false;
	all_shards(pl, r);
	r->opcode = RT_RO_SCATTER;
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		if (stmt->insert_stmt->on_conflict_clause &&
		    sets_vindex(stmt->insert_stmt->on_conflict_clause->target_list,
				stmt->insert_stmt->on_conflict_clause->n_target_list, cv)) {
			rt_route_refuse(r, "an ON CONFLICT DO UPDATE of the vindex column \"%s\" is not supported by the router",
			       cv->column);
			return;
		}
		insert_shards(pl, stmt->insert_stmt, cv, r);
		if (r->kind == RT_ROUTE_REFUSE)
			return;
		r->by = cv;
		keyed = true;
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		keyed = keyed_shards(pl, stmt->select_stmt->where_clause, sharded, alias, cv, r, &refused);
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		for (int k = 1; k < pt->sharded_t->n_col_vindexes && !r->lookup_before; k++)
			if (vsc_vindex_is_lookup(pt->sharded_t->col_vindexes[k].vindex) &&
			    sets_column(stmt->update_stmt->target_list, stmt->update_stmt->n_target_list,
					pt->sharded_t->col_vindexes[k].column) &&
			    !rt_update_lookup_plan(stmt, sharded, pt->sharded_t->col_vindexes[k].column, r))
				return;
		if (cv->vindex->ncolumns > 1 && sets_vindex(stmt->update_stmt->target_list, stmt->update_stmt->n_target_list, cv)) {
			rt_route_refuse(r, "an UPDATE of the vindex columns of \"%s\" (vindex %s over several columns) is not supported by the router",
			       sharded, cv->vindex->name);
			return;
		}
		keyed = keyed_shards(pl, stmt->update_stmt->where_clause, sharded, alias, cv, r, &refused);
		if (!refused && r->kind != RT_ROUTE_REFUSE &&
		    sets_column(stmt->update_stmt->target_list, stmt->update_stmt->n_target_list, cv->column)) {
			if (r->lookup_before) {
				rt_route_refuse(r, "an UPDATE of the vindex column \"%s\" and a lookup vindex column is not supported by the router",
				       cv->column);
				return;
			}
			if (!keyed || pt->whole)
				all_shards(pl, r);
			else
				r->opcode = r->range ? RT_RO_RANGE : r->looked_up ? RT_RO_LOOKUP : r->prefix ? RT_RO_PREFIX : r->nshards == 1 ? RT_RO_EQUAL : RT_RO_IN;
			rt_move_plan(stmt, sharded, cv, r);
			return;
		}
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		for (int k = 1; k < pt->sharded_t->n_col_vindexes && !r->lookup_delete && !r->lookup_before; k++)
			if (vsc_vindex_is_lookup(pt->sharded_t->col_vindexes[k].vindex) &&
			    !rt_delete_lookup_plan(stmt, sharded, r))
				return;
		keyed = keyed_shards(pl, stmt->delete_stmt->where_clause, sharded, alias, cv, r, &refused);
		break;
	default:
		break;
	}
	if (refused || r->kind == RT_ROUTE_REFUSE)
		return;
	if (!keyed || pt->whole)
		all_shards(pl, r);
	else
		r->opcode = r->range ? RT_RO_RANGE : r->looked_up ? RT_RO_LOOKUP : r->prefix ? RT_RO_PREFIX : r->nshards == 1 ? RT_RO_EQUAL : RT_RO_IN;
	if (r->nshards > 1 && stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
		const char *why = scatter_obstacle(stmt->select_stmt, t);
		if (!why)
			return; /* the shards' rows concatenated */
		/* the final step runs in the router over the table's rows, or
		 * over every table's */
		if (!merge_plan(pl, stmt, t, sharded, r))
			gather_plan(pl, stmt, t, NULL, r);
	}
}

void rt_route_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtRoute *r)
{
	rt_route_plan_memo(pl, stmt, sql, params, NULL, r);
}

void rt_route_plan_memo(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtPlanMemo *m,
			RtRoute *r)
{
	memset(r, 0, sizeof(*r));
	r->memo = m;
	r->params = params;
	r->kind = RT_ROUTE_SHARDS;
	if (kind_plan(pl, stmt, sql, params, r))
		return;
	r->write = stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT &&
		   stmt->node_case != PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT;
	Tables t;
	memset(&t, 0, sizeof(t));
	pgn_walk(&stmt->base, visit, &t);
	if (t.too_many) {
		rt_route_refuse(r, "%s", "more than 32 table references in one statement through the router");
		return;
	}
	r->lone_table = t.n <= 1 && !t.sublink && t.nctes == 0;
	if (insert_select(pl, stmt, &t)) {
		gather_plan(pl, stmt, &t, NULL, r);
		return;
	}
	Placed pt;
	if (!place_tables(pl, stmt, &t, &pt, r))
		return;
	if (pt.gather) {
		gather_plan(pl, stmt, &t, pt.sharded, r);
		return;
	}
	if (pt.sharded) {
		sharded_plan(pl, stmt, &t, &pt, r);
		return;
	}
	r->nshards = 0;
	if (pt.pinned >= 0) {
		add_shard(r, pt.pinned);
		r->opcode = RT_RO_PINNED;
		if (stmt->node_case == PG_QUERY__NODE__NODE_INSERT_STMT)
			pinned_insert(pl, stmt->insert_stmt, pt.pinned, r);
		return;
	}
	if (pt.reference && r->write) {
		all_shards(pl, r); /* a copy on every shard */
		r->replicated = true;
		r->opcode = RT_RO_REPLICATED;
		if (stmt->node_case == PG_QUERY__NODE__NODE_INSERT_STMT)
			pinned_insert(pl, stmt->insert_stmt, RT_EVERY_SHARD, r);
		return;
	}
	add_shard(r, 0); /* reference tables, or no table at all: any shard */
	r->opcode = pt.reference ? RT_RO_REFERENCE : RT_RO_ANY;
}

uint32_t rt_plan_column_type(const RtPlanner *pl, const char *table, const char *column, int32_t *typmod)
{
	*typmod = -1;
	return pl->catalog.column_type(pl->catalog.arg, table, column, typmod);
}

uint32_t rt_plan_select_type(const RtPlanner *pl, const char *table, const char *sql)
{
	return pl->catalog.select_type(pl->catalog.arg, table, sql);
}

void rt_route_cleanup(RtRoute *r)
{
	free(r->kmerge.sql);
	r->kmerge.sql = NULL;
	free(r->shard_sql);
	r->shard_sql = NULL;
	free(r->final_sql);
	r->final_sql = NULL;
	for (int i = 0; r->split_sql && i < r->nshards; i++)
		free(r->split_sql[i]);
	free(r->split_sql);
	r->split_sql = NULL;
	for (int i = 0; r->split_params && i < r->nshards; i++)
		free((void *)r->split_params[i].values); /* heads the block */
	free(r->split_params);
	r->split_params = NULL;
	free(r->returning_shards);
	r->returning_shards = NULL;
	rt_lookup_sql_free(r->lookup_sql, r->nlookup_sql);
	r->lookup_sql = NULL;
	free(r->write_sql);
	r->write_sql = NULL;
	free(r->lookup_before);
	r->lookup_before = NULL;
	free(r->write_suffix);
	r->write_suffix = NULL;
	for (int i = 0; i < r->ngather; i++) {
		free(r->gather[i].sql);
		free(r->gather[i].index_sql);
		free(r->gather[i].keys_sql);
	}
	free(r->gather);
	r->gather = NULL;
	r->ngather = 0;
}
