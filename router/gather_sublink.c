/*
 * gather_sublink.c - the subqueries of a gather's WHERE that its shards
 * can run inside one table's fetch.  A conjunct EXISTS (...), NOT EXISTS
 * (...) or `k.v IN (SELECT x.v ...)` whose sharded tables meet a FROM
 * reference k on their vindex columns (TPC-H Q4, Q18, Q21) holds or fails
 * for a row of k by rows on k's shard alone: the subquery goes into k's
 * fetch, its tables are not fetched for it, and the final step leaves the
 * conjunct out.
 */
#include <stdint.h>
#include <string.h>

#include "common/pgnode.h"
#include "router/gather_int.h"

typedef PgQuery__Node Node;

/* The subquery's FROM references; node n stands for the outer reference
 * it is correlated with. */
typedef struct Inner {
	int n;
	const char *names[RT_MAX_TABLES], *quals[RT_MAX_TABLES];
	int parent[RT_MAX_TABLES + 1];
	bool bad; /* a FROM item other than tables and joins of tables */
	Node *quals_on[RT_MAX_TABLES]; /* the joins' ON conditions */
	int non;
} Inner;

static void inner_from(Inner *in, Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_RANGE_VAR && in->n < RT_MAX_TABLES) {
		PgQuery__RangeVar *rv = n->range_var;
		in->names[in->n] = rv->relname;
		in->quals[in->n] = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
		in->n++;
		return;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_JOIN_EXPR || n->join_expr->n_using_clause || n->join_expr->is_natural) {
		in->bad = true;
		return;
	}
	inner_from(in, n->join_expr->larg);
	inner_from(in, n->join_expr->rarg);
	if (n->join_expr->quals && in->non < RT_MAX_TABLES)
		in->quals_on[in->non++] = n->join_expr->quals;
}

static int find(Inner *in, int i)
{
	while (in->parent[i] != i)
		i = in->parent[i] = in->parent[in->parent[i]];
	return i;
}

/* What the subquery's columns read. */
typedef struct Scan {
	const RtPlanner *pl;
	const RtFromRefs *f;
	Inner *in;
	int k; /* the outer reference read, -1 none */
	bool ok;
} Scan;

/* The outer reference a column names (qualified by its name or alias, or
 * unqualified and a column of it alone), -1 none. */
static int outer_column(const Scan *sc, const PgQuery__ColumnRef *cr)
{
	Node **fl = cr->fields;
	const char *col = pgn_str(fl[cr->n_fields - 1]);
	int found = -1;
	if (!col[0] || cr->n_fields > 2 || (cr->n_fields == 2 && !pgn_str(fl[0])[0]))
		return -1;
	for (int i = 0; i < sc->f->n; i++) {
		bool match = cr->n_fields == 2 ? strcmp(pgn_str(fl[0]), sc->f->qual[i]) == 0
					       : !sc->f->other && sc->pl->catalog.column_position(sc->pl->catalog.arg,
												  sc->f->rv[i]->relname, col) >= 0;
		if (!match)
			continue;
		if (cr->n_fields == 2)
			return i;
		if (found >= 0)
			return -1;
		found = i;
	}
	return found;
}

/* Where a column of the subquery is: an inner reference (0..n-1), the
 * outer reference sc->k or one it becomes (n), -1 elsewhere (or star). */
static int resolve(Scan *sc, const PgQuery__ColumnRef *cr)
{
	Node **fl = cr->fields;
	const char *col = pgn_str(fl[cr->n_fields - 1]);
	if (!col[0] || cr->n_fields > 2 || (cr->n_fields == 2 && !pgn_str(fl[0])[0]))
		return -1;
	for (int i = 0; i < sc->in->n; i++)
		if (cr->n_fields == 2 ? strcmp(pgn_str(fl[0]), sc->in->quals[i]) == 0
				      : sc->pl->catalog.column_position(sc->pl->catalog.arg, sc->in->names[i], col) >= 0)
			return i;
	int o = outer_column(sc, cr);
	if (o < 0 || (sc->k >= 0 && sc->k != o))
		return -1;
	sc->k = o;
	return sc->in->n;
}

static bool scan_visit(const ProtobufCMessage *m, void *arg)
{
	Scan *sc = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (!sc->ok)
		return false;
	if (d == &pg_query__sub_link__descriptor || d == &pg_query__param_ref__descriptor ||
	    d == &pg_query__with_clause__descriptor || d == &pg_query__range_subselect__descriptor ||
	    d == &pg_query__range_function__descriptor) {
		sc->ok = false;
		return false;
	}
	if (d == &pg_query__range_var__descriptor)
		return false;
	if (d != &pg_query__column_ref__descriptor)
		return true;
	const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
	if (cr->fields[cr->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR)
		return false;
	sc->ok = resolve(sc, cr) >= 0;
	return false;
}

/* The vindex of a sharded table whose one vindex column col is, NULL
 * otherwise. */
static const VscVindex *vindex_of(const RtPlanner *pl, const char *table, const char *col)
{
	const VscTable *vt = rt_plan_placement(pl, table);
	if (!col || vt->placement != VSC_SHARDED || vt->col_vindexes[0].vindex->ncolumns > 1 ||
	    strcmp(vt->col_vindexes[0].column, col) != 0)
		return NULL;
	return vt->col_vindexes[0].vindex;
}

/* The table of node i (an inner reference or the outer one). */
static const char *node_table(const Scan *sc, int i)
{
	return i < sc->in->n ? sc->in->names[i] : sc->f->rv[sc->k]->relname;
}

/* Join the nodes that a top-level conjunct a.v = b.v of cond equates on
 * vindex columns of the same vindex. */
static void equalities(Scan *sc, Node *cond)
{
	Node *c[RT_GATHER_MAX_CONJUNCTS];
	int n = 0;
	rt_conjuncts(cond, c, &n, RT_GATHER_MAX_CONJUNCTS);
	for (int i = 0; i < n; i++) {
		PgQuery__AExpr *a = c[i]->node_case == PG_QUERY__NODE__NODE_A_EXPR ? c[i]->a_expr : NULL;
		if (!a || a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || a->n_name != 1 || !pgn_str(a->name[0]) ||
		    strcmp(pgn_str(a->name[0]), "=") != 0 || !a->lexpr || !a->rexpr ||
		    a->lexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || a->rexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
			continue;
		int l = resolve(sc, a->lexpr->column_ref), r = resolve(sc, a->rexpr->column_ref);
		if (l < 0 || r < 0)
			continue;
		const PgQuery__ColumnRef *lc = a->lexpr->column_ref, *rc = a->rexpr->column_ref;
		const VscVindex *vl = vindex_of(sc->pl, node_table(sc, l), pgn_str(lc->fields[lc->n_fields - 1]));
		const VscVindex *vr = vindex_of(sc->pl, node_table(sc, r), pgn_str(rc->fields[rc->n_fields - 1]));
		if (vl && vl == vr)
			sc->in->parent[find(sc->in, l)] = find(sc->in, r);
	}
}

static bool window_visit(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__func_call__descriptor && ((const PgQuery__FuncCall *)m)->over)
		*(bool *)arg = true;
	return !*(bool *)arg;
}

/* For `k.v IN (SELECT x.v ...)`: join k with x when both are vindex
 * columns of one vindex and every group or distinct row of the subquery
 * is on one shard (grouped by x.v, no window, LIMIT or DISTINCT ON). */
static bool in_link(Scan *sc, const PgQuery__SubLink *sl, const PgQuery__SelectStmt *q)
{
	Node *x = sl->testexpr;
	if (!x || x->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || q->n_target_list != 1 || q->limit_count ||
	    q->limit_offset || (sl->n_oper_name && strcmp(pgn_str(sl->oper_name[sl->n_oper_name - 1]), "=") != 0))
		return false;
	for (size_t i = 0; i < q->n_distinct_clause; i++)
		if (q->distinct_clause[i] && q->distinct_clause[i]->node_case != PG_QUERY__NODE__NODE__NOT_SET)
			return false; /* DISTINCT ON */
	int o = outer_column(sc, x->column_ref);
	if (o < 0 || (sc->k >= 0 && sc->k != o))
		return false;
	sc->k = o;
	Node *v = q->target_list[0]->res_target->val;
	if (v->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return false;
	int i = resolve(sc, v->column_ref);
	const char *xcol = pgn_str(x->column_ref->fields[x->column_ref->n_fields - 1]);
	const char *vcol = pgn_str(v->column_ref->fields[v->column_ref->n_fields - 1]);
	const VscVindex *vk = vindex_of(sc->pl, sc->f->rv[o]->relname, xcol);
	if (i < 0 || i == sc->in->n || !vk || vk != vindex_of(sc->pl, sc->in->names[i], vcol))
		return false;
	RtTables qt;
	Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = (PgQuery__SelectStmt *)q;
	rt_tables_collect(&qn, &qt);
	bool window = false;
	pgn_walk(&q->base, window_visit, &window);
	if (window)
		return false;
	if (qt.aggregate || q->n_group_clause || q->having_clause) {
		bool grouped = false;
		for (size_t g = 0; g < q->n_group_clause && !grouped; g++) {
			Node *gn = q->group_clause[g];
			grouped = gn->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && resolve(sc, gn->column_ref) == i &&
				  strcmp(pgn_str(gn->column_ref->fields[gn->column_ref->n_fields - 1]), vcol) == 0;
		}
		if (!grouped)
			return false;
	}
	sc->in->parent[find(sc->in, i)] = find(sc->in, sc->in->n);
	return true;
}

/* The subquery of conjunct c when it is EXISTS, NOT EXISTS or a positive
 * `x IN (subquery)`; NULL otherwise. */
static const PgQuery__SubLink *conjunct_sublink(Node *c)
{
	if (c->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR && c->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR &&
	    c->bool_expr->n_args == 1 && c->bool_expr->args[0]->node_case == PG_QUERY__NODE__NODE_SUB_LINK &&
	    c->bool_expr->args[0]->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
		return c->bool_expr->args[0]->sub_link;
	if (c->node_case != PG_QUERY__NODE__NODE_SUB_LINK)
		return NULL;
	PgQuery__SubLinkType k = c->sub_link->sub_link_type;
	return k == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK || k == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK ? c->sub_link : NULL;
}

/* The FROM reference of f whose fetch conjunct c can run in (its
 * subquery's sharded tables joined with it on the vindex columns), -1
 * none. */
static int pushable(const RtPlanner *pl, const RtTables *t, const RtFromRefs *f, Node *c)
{
	const PgQuery__SubLink *sl = conjunct_sublink(c);
	if (!sl || !sl->subselect || sl->subselect->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return -1;
	const PgQuery__SelectStmt *q = sl->subselect->select_stmt;
	if (q->op != PG_QUERY__SET_OPERATION__SETOP_NONE || q->with_clause || q->n_locking_clause || !q->n_from_clause)
		return -1;
	Inner in;
	memset(&in, 0, sizeof(in));
	for (size_t i = 0; i < q->n_from_clause; i++)
		inner_from(&in, q->from_clause[i]);
	if (in.bad || in.n == 0 || in.n >= RT_MAX_TABLES)
		return -1;
	for (int i = 0; i <= in.n; i++)
		in.parent[i] = i;
	for (int i = 0; i < in.n; i++)
		if (rt_tables_is_cte(t, in.names[i]) || rt_plan_placement(pl, in.names[i])->placement == VSC_PINNED)
			return -1;
	Scan sc = {.pl = pl, .f = f, .in = &in, .k = -1, .ok = true};
	pgn_walk(&q->base, scan_visit, &sc);
	if (!sc.ok)
		return -1;
	if (sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK && !in_link(&sc, sl, q))
		return -1;
	if (sc.k < 0 || f->nullable[sc.k] || rt_tables_is_cte(t, f->rv[sc.k]->relname))
		return -1;
	const VscTable *vk = rt_plan_placement(pl, f->rv[sc.k]->relname);
	if (vk->placement != VSC_SHARDED || vk->col_vindexes[0].vindex->ncolumns > 1)
		return -1;
	equalities(&sc, q->where_clause);
	for (int i = 0; i < in.non; i++)
		equalities(&sc, in.quals_on[i]);
	for (int i = 0; i < in.n; i++)
		if (rt_plan_placement(pl, in.names[i])->placement == VSC_SHARDED && find(&in, i) != find(&in, in.n))
			return -1;
	return sc.k;
}

/* rest less one reference (name, alias) of each table of subquery q. */
static void take_out(RtTables *rest, const Node *q)
{
	RtTables st;
	rt_tables_collect(q, &st);
	for (int i = 0; i < st.n; i++)
		for (int j = 0; j < rest->n; j++)
			if (strcmp(rest->names[j], st.names[i]) == 0 && strcmp(rest->aliases[j], st.aliases[i]) == 0) {
				rest->n--;
				rest->names[j] = rest->names[rest->n];
				rest->aliases[j] = rest->aliases[rest->n];
				break;
			}
}

void rt_gather_push_sublinks(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, RtFromRefs *f,
			     RtTables *rest)
{
	Node *c[RT_GATHER_MAX_CONJUNCTS];
	int n = 0;
	f->npushed = 0;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return;
	rt_conjuncts(s->where_clause, c, &n, RT_GATHER_MAX_CONJUNCTS);
	for (int i = 0; i < n && f->npushed < RT_MAX_TABLES; i++) {
		int k = pushable(pl, t, f, c[i]);
		if (k < 0)
			continue;
		f->pushed[f->npushed] = conjunct_sublink(c[i]);
		f->pushed_conjunct[f->npushed] = c[i];
		f->pushed_owner[f->npushed++] = k;
	}
	/* each owner must be read once in what is left, so that its fetch
	 * takes the conjunct */
	for (bool dropped = true; dropped;) {
		RtTables r = *rest;
		dropped = false;
		for (int i = 0; i < f->npushed; i++)
			take_out(&r, f->pushed[i]->subselect);
		for (int i = 0; i < f->npushed && !dropped; i++) {
			int seen = 0;
			for (int j = 0; j < r.n; j++)
				seen += strcmp(r.names[j], f->rv[f->pushed_owner[i]]->relname) == 0;
			if (seen != 1) {
				f->npushed--;
				f->pushed[i] = f->pushed[f->npushed];
				f->pushed_conjunct[i] = f->pushed_conjunct[f->npushed];
				f->pushed_owner[i] = f->pushed_owner[f->npushed];
				dropped = true;
			}
		}
		if (!dropped)
			*rest = r;
	}
}

int rt_gather_pushed_owner(const RtFromRefs *f, const ProtobufCMessage *m)
{
	if (m->descriptor != &pg_query__sub_link__descriptor)
		return -1;
	for (int i = 0; i < f->npushed; i++)
		if ((const ProtobufCMessage *)f->pushed[i] == m)
			return f->pushed_owner[i];
	return -1;
}

/* Whether a table is read only through an EXISTS, IN, ANY or ALL
 * subquery whose rows count for nothing but their existence. */
typedef struct SemiFind {
	const char *name;
	bool semi, elsewhere;
} SemiFind;

/* Whether SELECT q's own FROM list names table name. */
static bool from_names(const PgQuery__SelectStmt *q, const char *name)
{
	Inner in;
	memset(&in, 0, sizeof(in));
	for (size_t i = 0; i < q->n_from_clause; i++)
		inner_from(&in, q->from_clause[i]);
	for (int i = 0; i < in.n; i++)
		if (strcmp(in.names[i], name) == 0)
			return true;
	return false;
}

static bool semi_visit(const ProtobufCMessage *m, void *arg)
{
	SemiFind *sf = arg;
	if (m->descriptor == &pg_query__range_var__descriptor) {
		sf->elsewhere = sf->elsewhere || strcmp(((const PgQuery__RangeVar *)m)->relname, sf->name) == 0;
		return false;
	}
	if (m->descriptor != &pg_query__sub_link__descriptor)
		return true;
	const PgQuery__SubLink *sl = (const PgQuery__SubLink *)m;
	PgQuery__SubLinkType k = sl->sub_link_type;
	if ((k != PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK && k != PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK &&
	     k != PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK) ||
	    !sl->subselect || sl->subselect->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return true;
	const PgQuery__SelectStmt *q = sl->subselect->select_stmt;
	RtTables qt;
	rt_tables_collect(sl->subselect, &qt);
	if (q->op != PG_QUERY__SET_OPERATION__SETOP_NONE || qt.aggregate || q->n_group_clause || q->having_clause ||
	    q->limit_count || q->limit_offset || q->n_distinct_clause || q->with_clause || !from_names(q, sf->name))
		return true;
	sf->semi = true;
	return false;
}

bool rt_gather_semi_only(const ProtobufCMessage *scope, const char *name)
{
	SemiFind sf = {.name = name};
	pgn_walk(scope, semi_visit, &sf);
	return sf.semi && !sf.elsewhere;
}
