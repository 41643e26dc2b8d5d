/*
 * gather.c - the general plan of a read over tables that are not
 * colocated: IN/EXISTS subqueries over other sharded tables, joins on
 * columns other than the vindex, CTEs, set operations over different
 * tables, scalar subqueries across tables.  Each table the statement reads
 * is an intermediate result: its shards send its rows (those of the
 * top-level WHERE conjuncts that concern it alone, when it is read once
 * and not on the nullable side of an outer join), the router keeps them
 * as a table of the same name in its engine, and the whole statement runs
 * there with PostgreSQL's semantics.  A pushed-down conjunct that fixes
 * the table's vindex column sends its statement to that column's shards
 * only.  The final step runs the complete statement, so what is pushed
 * down only saves rows, never changes the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "router/plan_int.h"

typedef PgQuery__Node Node;

/* The table references of the top-level FROM list. */
typedef struct FromRefs {
	int n;
	PgQuery__RangeVar *rv[RT_MAX_TABLES];
	const char *qual[RT_MAX_TABLES]; /* alias, else name */
	bool nullable[RT_MAX_TABLES];    /* on the nullable side of an outer join */
	bool other; /* a subquery, function or USING/NATURAL join: unqualified columns are not resolved */
} FromRefs;

static void from_refs(Node *n, bool nullable, FromRefs *f)
{
	if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR && f->n < RT_MAX_TABLES) {
		PgQuery__RangeVar *rv = n->range_var;
		f->rv[f->n] = rv;
		f->qual[f->n] = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
		f->nullable[f->n++] = nullable;
		return;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_JOIN_EXPR) {
		f->other = true;
		return;
	}
	PgQuery__JoinExpr *j = n->join_expr;
	bool full = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL;
	if (j->n_using_clause || j->is_natural)
		f->other = true;
	from_refs(j->larg, nullable || full || j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT, f);
	from_refs(j->rarg, nullable || full || j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT, f);
}

/* Whether an expression reads only FROM reference k: columns qualified by
 * its name or alias, or unqualified ones only its table has; no subquery,
 * parameter or function call (whose volatility is unknown here). */
typedef struct Owner {
	const RtPlanner *pl;
	const FromRefs *f;
	int k;
	bool ok;
	int ncols;
} Owner;

static bool owner_column(Owner *o, const PgQuery__ColumnRef *cr)
{
	Node *last = cr->fields[cr->n_fields - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	if (cr->n_fields == 2)
		return cr->fields[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
		       strcmp(cr->fields[0]->string->sval, o->f->qual[o->k]) == 0;
	if (cr->n_fields != 1 || o->f->other)
		return false;
	for (int i = 0; i < o->f->n; i++) {
		bool has = o->pl->catalog.column_position(o->pl->catalog.arg, o->f->rv[i]->relname, last->string->sval) >= 0;
		if (has != (i == o->k))
			return false;
	}
	return true;
}

static bool owner_visit(const ProtobufCMessage *m, void *arg)
{
	Owner *o = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (!o->ok)
		return false;
	if (d == &pg_query__sub_link__descriptor || d == &pg_query__param_ref__descriptor ||
	    d == &pg_query__func_call__descriptor || d == &pg_query__a__star__descriptor ||
	    d == &pg_query__grouping_func__descriptor) {
		o->ok = false;
		return false;
	}
	if (d == &pg_query__column_ref__descriptor) {
		o->ok = owner_column(o, (const PgQuery__ColumnRef *)m);
		o->ncols++;
		return false;
	}
	return true;
}

/* The top-level conjuncts of where. */
static void conjuncts(Node *where, Node **out, int *n, int max)
{
	if (!where)
		return;
	if (where->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    where->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < where->bool_expr->n_args; i++)
			conjuncts(where->bool_expr->args[i], out, n, max);
		return;
	}
	if (*n < max)
		out[(*n)++] = where;
}

static int occurrences(const RtTables *t, const char *name)
{
	int n = 0;
	for (int i = 0; i < t->n; i++)
		n += strcmp(t->names[i], name) == 0;
	return n;
}

#define MAX_CONJUNCTS 64

/* The statement that fetches one table's rows: SELECT * FROM it, with the
 * conjuncts of WHERE that concern it alone when it is read once, from a
 * non-nullable place of the top-level FROM; its shards in g.  False out of
 * memory. */
static bool table_fetch(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, const FromRefs *f,
			const char *name, RtGather *g)
{
	Node *all[MAX_CONJUNCTS], *mine[MAX_CONJUNCTS];
	int nall = 0, nmine = 0, k = -1;
	if (occurrences(t, name) == 1 && s->op == PG_QUERY__SET_OPERATION__SETOP_NONE)
		for (int i = 0; i < f->n; i++)
			if (strcmp(f->rv[i]->relname, name) == 0 && !f->nullable[i])
				k = i;
	if (k >= 0)
		conjuncts(s->where_clause, all, &nall, MAX_CONJUNCTS);
	for (int i = 0; i < nall; i++) {
		Owner o = {.pl = pl, .f = f, .k = k, .ok = true};
		pgn_walk(&all[i]->base, owner_visit, &o);
		if (o.ok && o.ncols > 0)
			mine[nmine++] = all[i];
	}
	RtStarTarget st;
	rt_star_target_init(&st);
	RtTableFrom tf;
	rt_table_from_init(&tf, name);
	if (nmine)
		tf.node.range_var = f->rv[k]; /* the conjuncts name its alias */
	PgQuery__BoolExpr and = PG_QUERY__BOOL_EXPR__INIT;
	PgQuery__Node andn = PG_QUERY__NODE__INIT;
	and.boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	and.args = mine;
	and.n_args = (size_t)nmine;
	and.location = -1;
	andn.node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
	andn.bool_expr = &and;
	PgQuery__SelectStmt q = PG_QUERY__SELECT_STMT__INIT;
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	q.n_target_list = 1;
	q.target_list = st.targets;
	q.n_from_clause = 1;
	q.from_clause = tf.from;
	q.where_clause = nmine == 0 ? NULL : nmine == 1 ? mine[0] : &andn;
	q.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	q.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = &q;
	g->sql = pgn_deparse(&qn);
	if (!g->sql)
		return false;
	snprintf(g->table, sizeof(g->table), "%s", name);
	const VscTable *vt = rt_plan_placement(pl, name);
	g->nshards = 1;
	g->shards[0] = 0;
	if (vt->placement == VSC_PINNED) {
		g->opcode = RT_RO_PINNED;
		g->shards[0] = vt->shard;
		return true;
	}
	if (vt->placement != VSC_SHARDED) {
		g->opcode = RT_RO_REFERENCE;
		return true;
	}
	RtRoute tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.kind = RT_ROUTE_SHARDS;
	bool refused = false;
	if (q.where_clause && rt_where_shards(pl, q.where_clause, name, f->qual[k], &vt->col_vindexes[0], &tmp, &refused) &&
	    !refused) {
		g->opcode = tmp.nshards == 1 ? RT_RO_EQUAL : RT_RO_IN;
		g->nshards = tmp.nshards;
		memcpy(g->shards, tmp.shards, sizeof(int) * (size_t)tmp.nshards);
		return true;
	}
	g->opcode = RT_RO_SCATTER;
	g->nshards = vsc_shard_count(pl->vschema);
	for (int i = 0; i < g->nshards; i++)
		g->shards[i] = i;
	return true;
}

bool rt_gather_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, RtRoute *r)
{
	if (s->n_locking_clause) {
		snprintf(r->err.message, sizeof(r->err.message), "%s",
			 "SELECT ... FOR UPDATE/SHARE over tables that are not on one shard is not supported by the router");
		return false;
	}
	FromRefs f;
	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < s->n_from_clause; i++)
		from_refs(s->from_clause[i], false, &f);
	r->gather = calloc((size_t)t->n + 1, sizeof(*r->gather));
	if (!r->gather)
		return false;
	for (int i = 0; i < t->n; i++) {
		const char *name = t->names[i];
		bool seen = rt_tables_is_cte(t, name);
		for (int k = 0; k < r->ngather && !seen; k++)
			seen = strcmp(r->gather[k].table, name) == 0;
		if (seen)
			continue;
		if (strlen(name) >= sizeof(r->gather[0].table)) {
			snprintf(r->err.message, sizeof(r->err.message), "the table name \"%s\" is too long", name);
			return false;
		}
		if (!table_fetch(pl, s, t, &f, name, &r->gather[r->ngather]))
			return false;
		r->ngather++;
	}
	if (r->ngather == 0)
		return false;
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = s;
	if (r->params_inlined && !(r->final_sql = pgn_deparse(&qn)))
		return false;
	r->merge = true;
	r->merge_limit = -1;
	snprintf(r->merge_table, sizeof(r->merge_table), "%s", r->gather[0].table);
	r->nshards = r->gather[0].nshards;
	memcpy(r->shards, r->gather[0].shards, sizeof(int) * (size_t)r->nshards);
	r->opcode = r->gather[0].opcode;
	return true;
}
