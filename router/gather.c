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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"
#include "router/gather_int.h"

typedef PgQuery__Node Node;

typedef RtFromRefs FromRefs;

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

void rt_from_refs(Node *n, bool nullable, FromRefs *f) { from_refs(n, nullable, f); }

/* The FROM references an expression reads, as a mask: columns qualified
 * by a reference's name or alias, or unqualified ones only its table has;
 * not resolved (ok false) for a subquery, parameter or function call
 * (whose volatility is unknown here) or any other column. */
typedef struct Owner {
	const RtPlanner *pl;
	const FromRefs *f;
	bool ok;
	uint64_t mask;
} Owner;

/* The reference a column names, -1 none or more than one. */
static int owner_column(const Owner *o, const PgQuery__ColumnRef *cr)
{
	Node *last = cr->fields[cr->n_fields - 1];
	int found = -1;
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return -1;
	if (cr->n_fields == 2) {
		if (cr->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
			return -1;
		for (int i = 0; i < o->f->n; i++)
			if (strcmp(cr->fields[0]->string->sval, o->f->qual[i]) == 0)
				return i;
		return -1;
	}
	if (cr->n_fields != 1 || o->f->other)
		return -1;
	for (int i = 0; i < o->f->n; i++)
		if (o->pl->catalog.column_position(o->pl->catalog.arg, o->f->rv[i]->relname, last->string->sval) >= 0) {
			if (found >= 0)
				return -1;
			found = i;
		}
	return found;
}

static bool owner_visit(const ProtobufCMessage *m, void *arg)
{
	Owner *o = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (!o->ok)
		return false;
	int pushed = rt_gather_pushed_owner(o->f, m);
	if (pushed >= 0) {
		o->mask |= (uint64_t)1 << pushed;
		return false;
	}
	if (d == &pg_query__sub_link__descriptor || d == &pg_query__param_ref__descriptor ||
	    d == &pg_query__func_call__descriptor || d == &pg_query__a__star__descriptor ||
	    d == &pg_query__grouping_func__descriptor) {
		o->ok = false;
		return false;
	}
	if (d == &pg_query__column_ref__descriptor) {
		int k = owner_column(o, (const PgQuery__ColumnRef *)m);
		o->ok = k >= 0;
		if (k >= 0)
			o->mask |= (uint64_t)1 << k;
		return false;
	}
	return true;
}

/* The references expression n reads (0: none, or not resolved). */
static uint64_t reads(const RtPlanner *pl, const FromRefs *f, Node *n)
{
	Owner o = {.pl = pl, .f = f, .ok = true};
	pgn_walk(&n->base, owner_visit, &o);
	return o.ok ? o.mask : 0;
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

void rt_conjuncts(Node *where, Node **out, int *n, int max) { conjuncts(where, out, n, max); }

static int occurrences(const RtTables *t, const char *name)
{
	int n = 0;
	for (int i = 0; i < t->n; i++)
		n += strcmp(t->names[i], name) == 0;
	return n;
}

#define MAX_CONJUNCTS RT_GATHER_MAX_CONJUNCTS
#define MAX_NEEDED 64

/* The columns of a table the final step reads: those named through one of
 * its aliases, unqualified names it has, USING columns; all of them for a
 * star or a whole-row reference. */
typedef struct Needed {
	const RtPlanner *pl;
	const RtTables *t;
	const FromRefs *f; /* its subqueries pushed into fetches read nothing here */
	const char *table;
	bool all;
	int n;
	const char *cols[MAX_NEEDED];
} Needed;

static bool is_alias(const Needed *nd, const char *q)
{
	for (int i = 0; i < nd->t->n; i++)
		if (strcmp(nd->t->names[i], nd->table) == 0 && strcmp(nd->t->aliases[i], q) == 0)
			return true;
	return false;
}

static void need(Needed *nd, const char *col)
{
	if (nd->pl->catalog.column_position(nd->pl->catalog.arg, nd->table, col) < 0)
		return; /* not its column */
	for (int i = 0; i < nd->n; i++)
		if (strcmp(nd->cols[i], col) == 0)
			return;
	if (nd->n == MAX_NEEDED)
		nd->all = true;
	else
		nd->cols[nd->n++] = col;
}

static bool needed_visit(const ProtobufCMessage *m, void *arg)
{
	Needed *nd = arg;
	if (nd->all || rt_gather_pushed_owner(nd->f, m) >= 0)
		return false;
	if (m->descriptor == &pg_query__join_expr__descriptor) {
		const PgQuery__JoinExpr *j = (const PgQuery__JoinExpr *)m;
		nd->all = j->is_natural;
		for (size_t i = 0; i < j->n_using_clause; i++)
			if (j->using_clause[i]->node_case == PG_QUERY__NODE__NODE_STRING)
				need(nd, j->using_clause[i]->string->sval);
		return true;
	}
	if (m->descriptor == &pg_query__sub_link__descriptor) {
		/* EXISTS (SELECT * ...): its target list reads nothing */
		const PgQuery__SubLink *sl = (const PgQuery__SubLink *)m;
		Node *sub = sl->subselect;
		if (sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK || !sub ||
		    sub->node_case != PG_QUERY__NODE__NODE_SELECT_STMT || sub->select_stmt->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
			return true;
		PgQuery__SelectStmt *q = sub->select_stmt;
		size_t n = q->n_target_list;
		q->n_target_list = 0;
		pgn_walk(&q->base, needed_visit, nd);
		q->n_target_list = n;
		return false;
	}
	if (m->descriptor != &pg_query__column_ref__descriptor)
		return true;
	const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
	Node *first = cr->fields[0], *last = cr->fields[cr->n_fields - 1];
	bool star = last->node_case == PG_QUERY__NODE__NODE_A_STAR;
	bool named = first->node_case == PG_QUERY__NODE__NODE_STRING;
	if (cr->n_fields == 1 && star)
		nd->all = true;
	else if (cr->n_fields == 1 && named && is_alias(nd, first->string->sval) &&
		 nd->pl->catalog.column_position(nd->pl->catalog.arg, nd->table, first->string->sval) < 0)
		nd->all = true; /* the whole row */
	else if (cr->n_fields == 1 && named)
		need(nd, first->string->sval);
	else if (cr->n_fields == 2 && named && is_alias(nd, first->string->sval))
		star ? (void)(nd->all = true) : need(nd, last->string->sval);
	else if (cr->n_fields > 2)
		nd->all = true;
	return false;
}

/* The target list of a table's fetch: its needed columns (in arena a),
 * else "*" (st). */
static void fetch_targets(const RtPlanner *pl, const RtTables *t, const FromRefs *f, const char *name, Arena *a,
			  RtStarTarget *st, PgQuery__SelectStmt *q)
{
	Needed nd = {.pl = pl, .t = t, .f = f, .table = name, .all = !f->scope};
	if (f->scope)
		pgn_walk(f->scope, needed_visit, &nd);
	q->n_target_list = 1;
	q->target_list = st->targets;
	if (nd.all || nd.n == 0)
		return;
	q->target_list = arena_alloc(a, sizeof(Node *) * (size_t)nd.n);
	q->n_target_list = (size_t)nd.n;
	for (int i = 0; i < nd.n; i++)
		q->target_list[i] = pgn_res_target(a, NULL, pgn_column(a, nd.cols[i]));
}

/* Where a table's fetch goes: the shards of its vindex value when where
 * (the conjuncts pushed down, qual its alias) fixes it, all of a sharded
 * table's, a pinned table's shard, any one for a reference table. */
static void fetch_shards(const RtPlanner *pl, const char *name, Node *where, const char *qual, RtGather *g)
{
	const VscTable *vt = rt_plan_placement(pl, name);
	g->nshards = 1;
	g->shards[0] = 0;
	if (vt->placement == VSC_PINNED) {
		g->opcode = RT_RO_PINNED;
		g->shards[0] = vt->shard;
		return;
	}
	if (vt->placement != VSC_SHARDED) {
		g->opcode = RT_RO_REFERENCE;
		return;
	}
	RtRoute tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.kind = RT_ROUTE_SHARDS;
	bool refused = false;
	if (where && rt_where_shards(pl, where, name, qual, &vt->col_vindexes[0], &tmp, &refused) && !refused) {
		g->opcode = tmp.nshards == 1 ? RT_RO_EQUAL : RT_RO_IN;
		g->nshards = tmp.nshards;
		memcpy(g->shards, tmp.shards, sizeof(int) * (size_t)tmp.nshards);
		return;
	}
	g->opcode = RT_RO_SCATTER;
	g->nshards = vsc_shard_count(pl->vschema);
	for (int i = 0; i < g->nshards; i++)
		g->shards[i] = i;
}

/* op (AND, OR) over args. */
static Node *bool_node(Arena *a, PgQuery__BoolExprType op, Node **args, int n)
{
	PgQuery__BoolExpr *b = arena_alloc(a, sizeof(*b));
	Node *node = arena_alloc(a, sizeof(*node));
	*b = (PgQuery__BoolExpr)PG_QUERY__BOOL_EXPR__INIT;
	b->boolop = op;
	b->n_args = (size_t)n;
	b->args = arena_alloc(a, sizeof(Node *) * (size_t)n);
	memcpy(b->args, args, sizeof(Node *) * (size_t)n);
	b->location = -1;
	*node = (Node)PG_QUERY__NODE__INIT;
	node->node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
	node->bool_expr = b;
	return node;
}

/* Whether expression n reads some of the references of mask and no others. */
static bool owned(const RtPlanner *pl, const FromRefs *f, uint64_t mask, Node *n)
{
	uint64_t m = reads(pl, f, n);
	return m && (m & ~mask) == 0;
}

/* For a conjunct "(a1 AND ...) OR (b1 AND ...) OR ...": the disjunction of
 * each branch's conjuncts that read only the FROM references of mask,
 * which the conjunct implies (TPC-H Q19's shape); NULL when a branch has
 * none. */
static Node *owned_or(const RtPlanner *pl, const FromRefs *f, uint64_t mask, Node *n, Arena *a)
{
	if (n->node_case != PG_QUERY__NODE__NODE_BOOL_EXPR || n->bool_expr->boolop != PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR)
		return NULL;
	size_t nb = n->bool_expr->n_args;
	Node **branches = arena_alloc(a, sizeof(Node *) * (nb ? nb : 1));
	for (size_t b = 0; b < nb; b++) {
		Node *all[MAX_CONJUNCTS];
		int nall = 0, nmine = 0;
		conjuncts(n->bool_expr->args[b], all, &nall, MAX_CONJUNCTS);
		Node **mine = arena_alloc(a, sizeof(Node *) * (size_t)(nall ? nall : 1));
		for (int i = 0; i < nall; i++)
			if (owned(pl, f, mask, all[i]))
				mine[nmine++] = all[i];
		if (nmine == 0)
			return NULL;
		branches[b] = nmine == 1 ? mine[0] : bool_node(a, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, mine, nmine);
	}
	return bool_node(a, PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR, branches, (int)nb);
}

static const char *equated_column(const Node *n);

/* "SELECT x" (in a). */
static PgQuery__SelectStmt *select_of(Arena *a, Node *x)
{
	PgQuery__SelectStmt *q = arena_alloc(a, sizeof(*q));
	*q = (PgQuery__SelectStmt)PG_QUERY__SELECT_STMT__INIT;
	q->n_target_list = 1;
	q->target_list = arena_alloc(a, sizeof(Node *));
	q->target_list[0] = pgn_res_target(a, NULL, x);
	q->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	q->op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	return q;
}

/* "x IN (q)" (in a). */
static Node *in_select(Arena *a, Node *x, PgQuery__SelectStmt *q)
{
	Node *qn = arena_alloc(a, sizeof(*qn)), *sn = arena_alloc(a, sizeof(*sn));
	*qn = (Node)PG_QUERY__NODE__INIT;
	qn->node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn->select_stmt = q;
	PgQuery__SubLink *sl = arena_alloc(a, sizeof(*sl));
	*sl = (PgQuery__SubLink)PG_QUERY__SUB_LINK__INIT;
	sl->sub_link_type = PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK;
	sl->testexpr = x;
	sl->subselect = qn;
	sl->location = -1;
	*sn = (Node)PG_QUERY__NODE__INIT;
	sn->node_case = PG_QUERY__NODE__NODE_SUB_LINK;
	sn->sub_link = sl;
	return sn;
}

/* Whether FROM reference x is on every shard that holds a row of
 * reference k, with the rows of x that a conjunct k.kcol = x.xcol pairs
 * with it: x a reference table (and k sharded or one too), or both
 * sharded by the same vindex on those columns. */
static bool colocated_ref(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int k, const char *kcol, int x,
			  const char *xcol)
{
	if (f->nullable[x] || rt_tables_is_cte(t, f->rv[x]->relname))
		return false;
	const VscTable *tk = rt_plan_placement(pl, f->rv[k]->relname), *tx = rt_plan_placement(pl, f->rv[x]->relname);
	if (tx->placement == VSC_REFERENCE)
		return tk->placement != VSC_PINNED;
	return xcol && tk->placement == VSC_SHARDED && tx->placement == VSC_SHARDED &&
	       tk->col_vindexes[0].vindex == tx->col_vindexes[0].vindex && strcmp(tk->col_vindexes[0].column, kcol) == 0 &&
	       strcmp(tx->col_vindexes[0].column, xcol) == 0;
}

/* Whether n is "a = b" of two columns. */
static bool column_equality(const Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_A_EXPR && n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
	       n->a_expr->n_name == 1 && strcmp(pgn_str(n->a_expr->name[0]), "=") == 0 && n->a_expr->lexpr &&
	       n->a_expr->rexpr && n->a_expr->lexpr->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
	       n->a_expr->rexpr->node_case == PG_QUERY__NODE__NODE_COLUMN_REF;
}

/* For a conjunct n "k.a = x.b" (either way round) of two columns: x, with
 * the column nodes of k (*kn) and x (*xn); -1 for any other conjunct. */
static int link(const RtPlanner *pl, const FromRefs *f, int k, Node *n, Node **kn, Node **xn)
{
	if (!column_equality(n))
		return -1;
	Owner o = {.pl = pl, .f = f, .ok = true};
	*kn = n->a_expr->lexpr;
	*xn = n->a_expr->rexpr;
	if (owner_column(&o, (*kn)->column_ref) != k) {
		*kn = n->a_expr->rexpr;
		*xn = n->a_expr->lexpr;
	}
	int x = owner_column(&o, (*xn)->column_ref);
	return owner_column(&o, (*kn)->column_ref) == k && x != k && equated_column(*kn) && equated_column(*xn) ? x : -1;
}

/* The scope's conjuncts, with the references each reads. */
typedef struct Conjuncts {
	int n;
	Node *c[MAX_CONJUNCTS];
	uint64_t reads[MAX_CONJUNCTS];
} Conjuncts;

/* For a conjunct c "k.a = x.b" of reference k's scope where x is
 * colocated with k (colocated_ref): the filter "k.a IN (SELECT x.b FROM x,
 * y... WHERE ...)" over x and the reference tables the conjuncts join with
 * it (y...), with the conjuncts that read only those, which each shard
 * runs over its own rows; NULL when c is not such a conjunct or no
 * conjunct restricts those tables (nothing would be filtered).  The join
 * of the scope implies the filter: every row of k it pairs has its value
 * of a among the values of b there. */
static Node *colocated_filter(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int k, const Conjuncts *cj,
			      int c, Arena *a)
{
	Node *kn, *xn;
	int x = link(pl, f, k, cj->c[c], &kn, &xn);
	if (x < 0 || !colocated_ref(pl, t, f, k, equated_column(kn), x, equated_column(xn)))
		return NULL;
	uint64_t comp = (uint64_t)1 << x, kbit = (uint64_t)1 << k;
	for (bool grew = true; grew;) {
		grew = false;
		for (int i = 0; i < cj->n; i++) {
			uint64_t m = cj->reads[i], y = m & ~comp;
			if (!(m & comp) || (m & kbit) || !y || (y & (y - 1)) || __builtin_popcountll(m) != 2 ||
			    !column_equality(cj->c[i]))
				continue;
			int yi = __builtin_ctzll(y);
			if (rt_plan_placement(pl, f->rv[yi]->relname)->placement == VSC_REFERENCE &&
			    colocated_ref(pl, t, f, k, NULL, yi, NULL)) {
				comp |= y;
				grew = true;
			}
		}
	}
	Node **mine = arena_alloc(a, sizeof(Node *) * (size_t)cj->n);
	int nmine = 0;
	bool restricts = false;
	for (int i = 0; i < cj->n; i++) {
		Node *m = cj->reads[i] && (cj->reads[i] & ~comp) == 0 ? cj->c[i] : owned_or(pl, f, comp, cj->c[i], a);
		if (m)
			mine[nmine++] = m;
		restricts = restricts || (m && (m != cj->c[i] || !column_equality(m)));
	}
	if (!restricts)
		return NULL;
	PgQuery__SelectStmt *q = select_of(a, xn);
	q->from_clause = arena_alloc(a, sizeof(Node *) * RT_MAX_TABLES);
	for (int i = 0; i < f->n; i++)
		if (comp & ((uint64_t)1 << i)) {
			Node *rn = arena_alloc(a, sizeof(*rn));
			*rn = (Node)PG_QUERY__NODE__INIT;
			rn->node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
			rn->range_var = f->rv[i];
			q->from_clause[q->n_from_clause++] = rn;
		}
	q->where_clause = nmine == 1 ? mine[0] : bool_node(a, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, mine, nmine);
	return in_select(a, kn, q);
}

Node *rt_param_node(Arena *a, int number)
{
	PgQuery__ParamRef *p = arena_alloc(a, sizeof(*p));
	Node *n = arena_alloc(a, sizeof(*n));
	*p = (PgQuery__ParamRef)PG_QUERY__PARAM_REF__INIT;
	p->number = number;
	p->location = -1;
	*n = (Node)PG_QUERY__NODE__INIT;
	n->node_case = PG_QUERY__NODE__NODE_PARAM_REF;
	n->param_ref = p;
	return n;
}

/* "$number::type[]". */
static Node *array_param(Arena *a, int number, const char *type)
{
	Node *arr = pgn_cast(a, rt_param_node(a, number), type, -1);
	PgQuery__TypeName *tn = arr->type_cast->type_name;
	tn->n_array_bounds = 1;
	tn->array_bounds = arena_alloc(a, sizeof(Node *));
	tn->array_bounds[0] = pgn_integer(a, -1);
	return arr;
}

/* Whether the fetch of reference x is restricted by conjuncts of its own
 * or the filters of its colocated joins. */
static bool restricted(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int x, const Conjuncts *cj, Arena *a)
{
	for (int i = 0; i < cj->n; i++)
		if (owned(pl, f, (uint64_t)1 << x, cj->c[i]) || owned_or(pl, f, (uint64_t)1 << x, cj->c[i], a) ||
		    colocated_filter(pl, t, f, x, cj, i, a))
			return true;
	return false;
}

static int key_source(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int k, const Conjuncts *cj, int c,
		      Node **kn, Node **xn, Arena *a);

/* Whether the fetch of reference x takes keys of another table's, and
 * no conjunct of its own restricts it (so that the colocated filter of a
 * table joined with it filters nothing). */
static bool keyed_only(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int x, const Conjuncts *cj, Arena *a)
{
	for (int i = 0; i < cj->n; i++)
		if (owned(pl, f, (uint64_t)1 << x, cj->c[i]) || owned_or(pl, f, (uint64_t)1 << x, cj->c[i], a))
			return false;
	for (int i = 0; i < cj->n; i++) {
		Node *kn, *xn;
		if (key_source(pl, t, f, x, cj, i, &kn, &xn, a) >= 0)
			return true;
	}
	return false;
}

/* For a conjunct c "k.a = x.b" where x is a sharded table read once, b its
 * vindex column, not colocated with k on a, whose fetch is restricted: x,
 * whose fetched values of b are keys k's fetch can take (a semi-join
 * reduction); -1 otherwise.  When a is k's vindex column too, only the
 * reference that comes first takes the other's keys.  x colocated with k
 * is a key source too when x's fetch takes keys itself and nothing else
 * restricts it (TPC-H Q9: orders by the keys of the lines of the parts
 * fetched), one link of such a chain deep. */
static int key_source_at(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int k, const Conjuncts *cj, int c,
			 Node **kn, Node **xn, Arena *a, bool chain)
{
	int x = link(pl, f, k, cj->c[c], kn, xn);
	if (x < 0 || f->nullable[x] || rt_tables_is_cte(t, f->rv[x]->relname) || occurrences(t, f->rv[x]->relname) != 1)
		return -1;
	const VscTable *tk = rt_plan_placement(pl, f->rv[k]->relname), *tx = rt_plan_placement(pl, f->rv[x]->relname);
	const char *kcol = equated_column(*kn), *xcol = equated_column(*xn);
	if (tx->placement != VSC_SHARDED || strcmp(tx->col_vindexes[0].column, xcol) != 0 ||
	    (tk->placement == VSC_SHARDED && strcmp(tk->col_vindexes[0].column, kcol) == 0 && x > k))
		return -1;
	if (colocated_ref(pl, t, f, k, kcol, x, xcol))
		return chain && keyed_only(pl, t, f, x, cj, a) ? x : -1;
	return restricted(pl, t, f, x, cj, a) ? x : -1;
}

static int key_source(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int k, const Conjuncts *cj, int c,
		      Node **kn, Node **xn, Arena *a)
{
	return key_source_at(pl, t, f, k, cj, c, kn, xn, a, false);
}

/* key_source, with a colocated table that takes keys itself. */
static int chained_key_source(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int k, const Conjuncts *cj,
			      int c, Node **kn, Node **xn, Arena *a)
{
	return key_source_at(pl, t, f, k, cj, c, kn, xn, a, true);
}

/* The FROM reference of table name when it is read once, from a
 * non-nullable place of the top-level FROM of s (-1 otherwise), and then
 * the conjuncts of the WHERE of s in cj. */
static int fetch_scope(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, const FromRefs *f,
		       const char *name, Conjuncts *cj)
{
	int k = -1;
	cj->n = 0;
	if (occurrences(t, name) == 1 && s && s->op == PG_QUERY__SET_OPERATION__SETOP_NONE)
		for (int i = 0; i < f->n; i++)
			if (strcmp(f->rv[i]->relname, name) == 0 && !f->nullable[i])
				k = i;
	if (k >= 0)
		conjuncts(s->where_clause, cj->c, &cj->n, MAX_CONJUNCTS);
	for (int i = 0; i < cj->n; i++)
		cj->reads[i] = reads(pl, f, cj->c[i]);
	return k;
}

/* Whether the fetch of table name could take keys from another's. */
static bool takes_keys(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, const FromRefs *f,
		       const char *name)
{
	Conjuncts cj;
	Arena a;
	arena_init(&a);
	int k = fetch_scope(pl, s, t, f, name, &cj);
	bool takes = false;
	for (int i = 0; k >= 0 && i < cj.n && !takes; i++) {
		Node *kn, *xn;
		takes = chained_key_source(pl, t, f, k, &cj, i, &kn, &xn, &a) >= 0;
	}
	arena_reset(&a);
	return takes;
}

/* The filters of reference k's fetch by the keys of the tables r has
 * fetched already (key_source): "k.a = ANY ($n::type[])", $n the values
 * of b in x's intermediate result, which g->keys_sql selects; in mine. */
static int key_filters(const RtPlanner *pl, const RtTables *t, const FromRefs *f, int k, const Conjuncts *cj,
		       const RtRoute *r, RtGather *g, Node **mine, Arena *a)
{
	Buf sql;
	buf_init(&sql);
	int n = 0;
	for (int i = 0; i < cj->n && n < RT_MAX_SUBQUERIES; i++) {
		Node *kn, *xn;
		int x = chained_key_source(pl, t, f, k, cj, i, &kn, &xn, a), have = 0;
		if (x < 0)
			continue;
		for (int j = 0; j < r->ngather; j++)
			have += strcmp(r->gather[j].table, f->rv[x]->relname) == 0;
		int32_t typmod;
		const char *kcol = equated_column(kn);
		uint32_t type = have ? rt_plan_column_type(pl, f->rv[k]->relname, kcol, &typmod) : 0;
		const PgType *pt = type ? pgt_by_oid(type) : NULL;
		/* b's values cast to a's type: only of the same type (an int8 key
		 * out of int4's range would fail where the join answers) */
		if (!pt || rt_plan_column_type(pl, f->rv[x]->relname, equated_column(xn), &typmod) != type)
			continue;
		buf_put_str(&sql, "SELECT DISTINCT ");
		pgs_put_ident(&sql, equated_column(xn));
		buf_put_str(&sql, " FROM ");
		pgs_put_ident(&sql, f->rv[x]->relname);
		buf_put_str(&sql, ";");
		/* "IN (SELECT unnest(...))": the shards' engine reads the array once */
		mine[n] = in_select(a, kn, select_of(a, pgn_call(a, "unnest", array_param(a, n + 1, pt->name))));
		n++;
		const VscTable *tk = rt_plan_placement(pl, f->rv[k]->relname);
		if (!g->key && tk->placement == VSC_SHARDED && strcmp(tk->col_vindexes[0].column, kcol) == 0) {
			g->key = &tk->col_vindexes[0];
			g->key_pos = n - 1;
			g->key_type = pt->oid;
		}
	}
	if (n && !sql.failed)
		g->keys_sql = strdup(buf_cstr(&sql));
	g->nkeys = g->keys_sql ? n : 0;
	buf_cleanup(&sql);
	return g->nkeys;
}

/* The statement that fetches one table's rows: SELECT of the columns the
 * final step reads (* for all) FROM it, with the conjuncts of WHERE that
 * concern it alone, the filters of the joins its shards can run
 * (colocated_filter) and, with keys, the keys of the tables fetched before
 * it (key_filters), when it is read once, from a non-nullable place of the
 * top-level FROM; its shards in g (by the conjuncts of its own).  False
 * out of memory. */
static bool table_fetch(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, const FromRefs *f,
			const char *name, bool keys, RtRoute *r)
{
	RtGather *g = &r->gather[r->ngather];
	Conjuncts cj;
	Node *mine[2 * MAX_CONJUNCTS + RT_MAX_SUBQUERIES];
	int nmine = 0, nown = 0, k = fetch_scope(pl, s, t, f, name, &cj);
	Arena a;
	arena_init(&a);
	for (int i = 0; i < cj.n; i++) {
		Node *n = owned(pl, f, (uint64_t)1 << k, cj.c[i]) ? cj.c[i] : owned_or(pl, f, (uint64_t)1 << k, cj.c[i], &a);
		if (n)
			mine[nmine++] = n;
	}
	nown = nmine;
	for (int i = 0; i < cj.n; i++) {
		Node *n = colocated_filter(pl, t, f, k, &cj, i, &a);
		if (n)
			mine[nmine++] = n;
	}
	if (keys && k >= 0)
		nmine += key_filters(pl, t, f, k, &cj, r, g, mine + nmine, &a);
	RtStarTarget st;
	rt_star_target_init(&st);
	RtTableFrom tf;
	rt_table_from_init(&tf, name);
	if (nmine)
		tf.node.range_var = f->rv[k]; /* the conjuncts name its alias */
	PgQuery__SelectStmt q = PG_QUERY__SELECT_STMT__INIT;
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	fetch_targets(pl, t, f, name, &a, &st, &q);
	Node none = PG_QUERY__NODE__INIT, *distinct[1] = {&none};
	if (f->scope && f->scope->descriptor == &pg_query__select_stmt__descriptor && q.target_list != st.targets &&
	    occurrences(t, name) == 1 && rt_gather_semi_only(f->scope, name)) {
		q.n_distinct_clause = 1; /* rows that only need to exist */
		q.distinct_clause = distinct;
	}
	q.n_from_clause = 1;
	q.from_clause = tf.from;
	q.where_clause = nmine == 0 ? NULL : nmine == 1 ? mine[0] : bool_node(&a, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, mine, nmine);
	q.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	q.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = &q;
	g->sql = pgn_deparse(&qn);
	if (g->sql) {
		snprintf(g->table, sizeof(g->table), "%s", name);
		Node *own = nown == 0 ? NULL : nown == 1 ? mine[0] : bool_node(&a, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, mine, nown);
		fetch_shards(pl, name, own, k >= 0 ? f->qual[k] : name, g);
	}
	arena_reset(&a);
	return g->sql != NULL;
}

/* An intermediate result for each table of names (t's unless given) that
 * is not one of t's CTEs, in r->gather (r->gather has room for every table
 * of t); s and f: where the tables read once in t are (NULL: nowhere);
 * false on failure. */
/* The SELECT whose FROM list names a table. */
typedef struct ScopeFind {
	const char *name;
	PgQuery__SelectStmt *found;
} ScopeFind;

static bool scope_visit(const ProtobufCMessage *m, void *arg)
{
	ScopeFind *sf = arg;
	if (sf->found)
		return false;
	if (m->descriptor != &pg_query__select_stmt__descriptor)
		return true;
	PgQuery__SelectStmt *sel = (PgQuery__SelectStmt *)m;
	FromRefs f;
	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < sel->n_from_clause; i++)
		from_refs(sel->from_clause[i], false, &f);
	for (int i = 0; i < f.n && !sf->found; i++)
		if (strcmp(f.rv[i]->relname, sf->name) == 0)
			sf->found = sel;
	return !sf->found;
}

/* Where the fetch of table name finds the conjuncts that filter it: the
 * scope s of f when its FROM list names it, else the SELECT below whose
 * FROM list does (a subquery's, a CTE's), with its references in *own
 * (whose WHERE holds for every row of the table the statement reads, as
 * it is read once). */
static PgQuery__SelectStmt *table_scope(const RtTables *t, PgQuery__SelectStmt *s, const FromRefs *f, const char *name,
					FromRefs *own, const FromRefs **use)
{
	*use = f;
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->rv[i]->relname, name) == 0)
			return s;
	ScopeFind sf = {.name = name};
	if (!f->scope || occurrences(t, name) != 1)
		return s;
	pgn_walk(f->scope, scope_visit, &sf);
	if (!sf.found)
		return s;
	memset(own, 0, sizeof(*own));
	own->scope = f->scope;
	for (size_t i = 0; i < sf.found->n_from_clause; i++)
		from_refs(sf.found->from_clause[i], false, own);
	*use = own;
	return sf.found;
}

static bool gather_tables(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, const RtTables *names,
			  const FromRefs *f, RtRoute *r)
{
	if (!r->gather && !(r->gather = calloc((size_t)t->n + 1, sizeof(*r->gather))))
		return false;
	if (!names)
		names = t;
	for (int round = 0; round < 2; round++)
	for (int i = 0; i < names->n; i++) {
		const char *name = names->names[i];
		bool seen = rt_tables_is_cte(t, name);
		for (int k = 0; k < r->ngather && !seen; k++)
			seen = strcmp(r->gather[k].table, name) == 0;
		if (seen)
			continue;
		if (strlen(name) >= sizeof(r->gather[0].table)) {
			snprintf(r->err.message, sizeof(r->err.message), "the table name \"%s\" is too long", name);
			return false;
		}
		FromRefs own;
		const FromRefs *use;
		PgQuery__SelectStmt *ts = table_scope(t, s, f, name, &own, &use);
		if (round == 0 && takes_keys(pl, ts, t, use, name))
			continue; /* after the tables whose keys it takes */
		if (!table_fetch(pl, ts, t, use, name, round == 1, r))
			return false;
		r->ngather++;
	}
	return true;
}

static bool has_window(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__func_call__descriptor && ((const PgQuery__FuncCall *)m)->over)
		*(bool *)arg = true;
	return !*(bool *)arg;
}

/* Whether a CTE runs whole on each shard: one sharded table grouped by
 * its vindex column (every group on one shard), no subquery, window,
 * DISTINCT or LIMIT, and output columns of distinct names.  Then it is an
 * intermediate result of its own (in r->gather), its table's references
 * taken out of rest. */
static bool cte_pushed(const RtPlanner *pl, const PgQuery__CommonTableExpr *cte, RtTables *rest, RtRoute *r)
{
	const Node *q = cte->ctequery;
	if (q->node_case != PG_QUERY__NODE__NODE_SELECT_STMT || cte->n_aliascolnames || strlen(cte->ctename) >= 64)
		return false;
	const PgQuery__SelectStmt *sel = q->select_stmt;
	RtTables ct;
	rt_tables_collect(q, &ct);
	bool window = false;
	pgn_walk(&q->base, has_window, &window);
	if (window || sel->n_target_list > RT_MAX_TABLES || sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE ||
	    sel->with_clause || sel->n_distinct_clause ||
	    sel->limit_count || sel->limit_offset || sel->n_locking_clause || ct.n != 1 || ct.sublink ||
	    sel->n_from_clause != 1 || sel->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
		return false;
	const VscTable *vt = rt_plan_placement(pl, ct.names[0]);
	if (vt->placement != VSC_SHARDED)
		return false;
	bool grouped = false;
	for (size_t i = 0; i < sel->n_group_clause; i++) {
		const Node *g = sel->group_clause[i];
		if (g->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
			continue;
		const PgQuery__ColumnRef *cr = g->column_ref;
		const Node *last = cr->fields[cr->n_fields - 1];
		grouped = grouped || (last->node_case == PG_QUERY__NODE__NODE_STRING && vt->col_vindexes[0].vindex->ncolumns <= 1 &&
				      strcmp(last->string->sval, vt->col_vindexes[0].column) == 0 &&
				      (cr->n_fields == 1 || (cr->n_fields == 2 && strcmp(cr->fields[0]->string->sval,
											 ct.aliases[0]) == 0)));
	}
	const char *names[RT_MAX_TABLES];
	for (size_t i = 0; grouped && i < sel->n_target_list; i++) {
		const PgQuery__ResTarget *rt = sel->target_list[i]->res_target;
		const Node *v = rt->val;
		const Node *last = v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF
					   ? v->column_ref->fields[v->column_ref->n_fields - 1]
					   : NULL;
		names[i] = rt->name && rt->name[0] ? rt->name
			   : last && last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval
										    : NULL;
		grouped = names[i] != NULL;
		for (size_t k = 0; grouped && k < i; k++)
			grouped = strcmp(names[k], names[i]) != 0;
	}
	if (!grouped)
		return false;
	RtGather *g = &r->gather[r->ngather];
	if (!(g->sql = pgn_deparse((Node *)q))) {
		snprintf(r->err.message, sizeof(r->err.message), "%s", "a CTE could not be deparsed");
		return false;
	}
	snprintf(g->table, sizeof(g->table), "%s", cte->ctename);
	g->opcode = RT_RO_SCATTER;
	g->nshards = vsc_shard_count(pl->vschema);
	for (int i = 0; i < g->nshards; i++)
		g->shards[i] = i;
	r->ngather++;
	for (int i = 0; i < rest->n; i++)
		if (strcmp(rest->names[i], ct.names[0]) == 0) {
			rest->names[i] = rest->names[rest->n - 1];
			rest->aliases[i] = rest->aliases[--rest->n];
			break;
		}
	return true;
}

/* The column names on either side of an equality of two columns. */
typedef struct Equated {
	int n;
	const char *cols[MAX_NEEDED];
} Equated;

static const char *equated_column(const Node *n)
{
	while (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return NULL;
	const PgQuery__ColumnRef *c = n->column_ref;
	const Node *last = c->n_fields ? c->fields[c->n_fields - 1] : NULL;
	return last && last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : NULL;
}

static bool equated_visit(const ProtobufCMessage *m, void *arg)
{
	Equated *e = arg;
	if (m->descriptor != &pg_query__a__expr__descriptor)
		return true;
	const PgQuery__AExpr *a = (const PgQuery__AExpr *)m;
	if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || a->n_name != 1 ||
	    a->name[0]->node_case != PG_QUERY__NODE__NODE_STRING || strcmp(a->name[0]->string->sval, "=") != 0)
		return true;
	const char *l = equated_column(a->lexpr), *r = equated_column(a->rexpr);
	for (int k = 0; l && r && k < 2; k++) {
		const char *c = k ? r : l;
		bool seen = false;
		for (int i = 0; i < e->n && !seen; i++)
			seen = strcmp(e->cols[i], c) == 0;
		if (!seen && e->n < MAX_NEEDED)
			e->cols[e->n++] = c;
	}
	return true;
}

/* Each intermediate result's index statements: on its columns that the
 * statement equates with another column (joins, correlations), so that
 * the final step looks rows up instead of scanning for each outer row.
 * An index on a column its fetch left out fails harmlessly. */
static void gather_indexes(const RtPlanner *pl, PgQuery__SelectStmt *s, RtRoute *r)
{
	Equated e = {0};
	pgn_walk(&s->base, equated_visit, &e);
	for (int k = 0; k < r->ngather; k++) {
		Buf b;
		buf_init(&b);
		for (int i = 0; i < e.n; i++) {
			if (pl->catalog.column_position(pl->catalog.arg, r->gather[k].table, e.cols[i]) < 0)
				continue;
			buf_printf(&b, "CREATE INDEX IF NOT EXISTS \"_dosql_%s_%s\" ON ", r->gather[k].table, e.cols[i]);
			pgs_put_ident(&b, r->gather[k].table);
			buf_put_str(&b, " (");
			pgs_put_ident(&b, e.cols[i]);
			buf_put_str(&b, ")\n");
		}
		if (b.len && !b.failed)
			r->gather[k].index_sql = strdup(buf_cstr(&b));
		buf_cleanup(&b);
	}
}

/* The SELECT whose FROM list and WHERE filter the tables' fetches: s, or
 * the subquery that is the whole FROM list of s (TPC-H Q7-Q9's shape), in
 * turn.  Its WHERE holds for every row the statement reads. */
static PgQuery__SelectStmt *pushdown_scope(PgQuery__SelectStmt *s)
{
	while (s->op == PG_QUERY__SET_OPERATION__SETOP_NONE && s->n_from_clause == 1 &&
	       s->from_clause[0]->node_case == PG_QUERY__NODE__NODE_RANGE_SUBSELECT) {
		const PgQuery__RangeSubselect *rs = s->from_clause[0]->range_subselect;
		if (rs->lateral || !rs->subquery || rs->subquery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
		    rs->subquery->select_stmt->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
			break;
		s = rs->subquery->select_stmt;
	}
	return s;
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
	f.scope = &s->base;
	PgQuery__SelectStmt *ps = pushdown_scope(s);
	for (size_t i = 0; i < ps->n_from_clause; i++)
		from_refs(ps->from_clause[i], false, &f);
	if (!(r->gather = calloc((size_t)t->n + RT_MAX_TABLES + 1, sizeof(*r->gather))))
		return false;
	RtTables rest = *t;
	PgQuery__WithClause *w = s->with_clause;
	Node *kept[RT_MAX_TABLES];
	size_t nkept = 0, nctes = w ? w->n_ctes : 0;
	for (size_t i = 0; i < nctes; i++) {
		if (!w->recursive && nctes <= RT_MAX_TABLES && cte_pushed(pl, w->ctes[i]->common_table_expr, &rest, r))
			continue;
		if (r->err.message[0])
			return false;
		if (nkept < RT_MAX_TABLES)
			kept[nkept++] = w->ctes[i];
	}
	rt_gather_push_sublinks(pl, ps, t, &f, &rest);
	if (!gather_tables(pl, ps, &rest, NULL, &f, r) || r->ngather == 0)
		return false;
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = s;
	Node **ctes = w ? w->ctes : NULL;
	if (nkept < nctes) {
		/* the CTEs run on the shards are tables of the final step */
		s->with_clause = nkept ? w : NULL;
		if (w) {
			w->ctes = kept;
			w->n_ctes = nkept;
		}
	}
	/* the conjuncts run in the fetches are not the final step's */
	Node *where = ps->where_clause, *left[MAX_CONJUNCTS];
	int nleft = 0;
	Arena a;
	arena_init(&a);
	if (f.npushed) {
		Node *all[MAX_CONJUNCTS];
		int nall = 0;
		conjuncts(where, all, &nall, MAX_CONJUNCTS);
		for (int i = 0; i < nall; i++) {
			bool pushed = false;
			for (int k = 0; k < f.npushed; k++)
				pushed = pushed || all[i] == f.pushed_conjunct[k];
			if (!pushed)
				left[nleft++] = all[i];
		}
		ps->where_clause = nleft == 0 ? NULL : nleft == 1 ? left[0] : bool_node(&a, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, left, nleft);
	}
	bool own_text = r->params_inlined || nkept < nctes || f.npushed;
	if (own_text && !(r->final_sql = pgn_deparse(&qn)))
		r->err.message[0] = 0;
	ps->where_clause = where;
	arena_reset(&a);
	s->with_clause = w;
	if (w) {
		w->ctes = ctes;
		w->n_ctes = nctes;
	}
	if (own_text && !r->final_sql)
		return false;
	gather_indexes(pl, s, r);
	r->merge = true;
	r->merge_limit = -1;
	snprintf(r->merge_table, sizeof(r->merge_table), "%s", r->gather[0].table);
	r->nshards = r->gather[0].nshards;
	memcpy(r->shards, r->gather[0].shards, sizeof(int) * (size_t)r->nshards);
	r->opcode = r->gather[0].opcode;
	return true;
}

/* ---------------------------------------------------------------- writes */

/* The subqueries of a write, each replaced by a parameter. */
typedef struct Subs {
	int n;
	Node *at[RT_MAX_SUBQUERIES]; /* where each is in the tree */
	bool too_many;
} Subs;

static bool find_sublinks(const ProtobufCMessage *m, void *arg)
{
	Subs *s = arg;
	if (m->descriptor != &pg_query__node__descriptor || ((const Node *)m)->node_case != PG_QUERY__NODE__NODE_SUB_LINK)
		return true;
	if (s->n == RT_MAX_SUBQUERIES)
		s->too_many = true;
	else
		s->at[s->n++] = (Node *)m;
	return false;
}

/* Whether every column a subquery reads is its own tables': qualified by
 * one of their names or aliases, or unqualified and a column of one. */
typedef struct Uncorrelated {
	const RtPlanner *pl;
	RtTables t;
	bool ok;
} Uncorrelated;

static bool uncorrelated_visit(const ProtobufCMessage *m, void *arg)
{
	Uncorrelated *u = arg;
	if (!u->ok || m->descriptor != &pg_query__column_ref__descriptor)
		return u->ok;
	const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
	Node *first = cr->fields[0], *last = cr->fields[cr->n_fields - 1];
	bool found = false;
	if (last->node_case == PG_QUERY__NODE__NODE_A_STAR && cr->n_fields == 1)
		return false;
	if (cr->n_fields == 2 && first->node_case == PG_QUERY__NODE__NODE_STRING) {
		for (int i = 0; i < u->t.n && !found; i++)
			found = strcmp(u->t.aliases[i], first->string->sval) == 0 || strcmp(u->t.names[i], first->string->sval) == 0;
	} else if (cr->n_fields == 1 && last->node_case == PG_QUERY__NODE__NODE_STRING) {
		for (int i = 0; i < u->t.n && !found; i++)
			found = u->pl->catalog.column_position(u->pl->catalog.arg, u->t.names[i], last->string->sval) >= 0;
	}
	u->ok = found;
	return false;
}

/* The type of a subquery's one column when it is a column of one of its
 * tables (t); 0 otherwise. */
static uint32_t column_type(const RtPlanner *pl, const Node *sub, const RtTables *t)
{
	if (sub->node_case != PG_QUERY__NODE__NODE_SELECT_STMT || sub->select_stmt->n_target_list != 1 ||
	    sub->select_stmt->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return 0;
	const Node *v = sub->select_stmt->target_list[0]->res_target->val;
	if (v->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || v->column_ref->n_fields > 2)
		return 0;
	Node **f = v->column_ref->fields;
	size_t n = v->column_ref->n_fields;
	if (f[n - 1]->node_case != PG_QUERY__NODE__NODE_STRING || (n == 2 && f[0]->node_case != PG_QUERY__NODE__NODE_STRING))
		return 0;
	const char *col = f[n - 1]->string->sval;
	int32_t typmod;
	for (int i = 0; i < t->n; i++) {
		if (n == 2 ? strcmp(t->aliases[i], f[0]->string->sval) != 0
			   : pl->catalog.column_position(pl->catalog.arg, t->names[i], col) < 0)
			continue;
		return rt_plan_column_type(pl, t->names[i], col, &typmod);
	}
	return 0;
}


/* The expression a subquery becomes in the write ($k, typed), and the
 * statement the final step computes its value with (appended to sql);
 * false with r->err's message when it cannot be. */
static bool sub_param(const RtPlanner *pl, const char *target, Node *at, int k, Arena *a, Buf *sql, Node **repl,
		      bool *array, RtRoute *r)
{
	PgQuery__SubLink *sl = at->sub_link;
	Uncorrelated u = {.pl = pl, .ok = true};
	rt_tables_collect(sl->subselect, &u.t);
	pgn_walk(&sl->subselect->base, uncorrelated_visit, &u);
	char *text = pgn_deparse(sl->subselect);
	bool ok = u.ok && !u.t.too_many && text;
	const char *why = !u.ok ? "a correlated subquery" : "a subquery";
	uint32_t type = 0;
	if (ok && sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
		type = column_type(pl, sl->subselect, &u.t);
	if (ok && !type && sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
		type = rt_plan_select_type(pl, target, text);
	const PgType *pt = type ? pgt_by_oid(type) : NULL;
	*array = sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK;
	if (ok && sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK) {
		buf_printf(sql, "SELECT EXISTS (%s);", text);
		*repl = pgn_cast(a, rt_param_node(a, k), "bool", -1);
	} else if (ok && pt && sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK) {
		buf_printf(sql, "SELECT (%s);", text);
		*repl = pgn_cast(a, rt_param_node(a, k), pt->name, -1);
	} else if (ok && pt && *array && sl->testexpr && sl->testexpr->node_case != PG_QUERY__NODE__NODE_ROW_EXPR) {
		buf_printf(sql, "%s;", text);
		const char *op = sl->n_oper_name ? sl->oper_name[sl->n_oper_name - 1]->string->sval : "=";
		*repl = pgn_binary(a, PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY, op, sl->testexpr, array_param(a, k, pt->name));
	} else {
		if (ok)
			why = sl->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK ? "ALL (subquery)"
			      : !pt							    ? "a subquery whose column type is unknown"
										    : "this kind of subquery";
		ok = false;
	}
	if (!ok)
		snprintf(r->err.message, sizeof(r->err.message),
			 "%s over sharded tables in an UPDATE or DELETE is not supported by the router", why);
	free(text);
	return ok;
}

/* The tables of the subqueries, each an intermediate result. */
static bool gather_subquery_tables(const RtPlanner *pl, const ProtobufCMessage *scope, const Subs *subs, RtRoute *r)
{
	RtTables all;
	memset(&all, 0, sizeof(all));
	for (int i = 0; i < subs->n; i++) {
		RtTables t;
		rt_tables_collect(subs->at[i]->sub_link->subselect, &t);
		for (int k = 0; k < t.n && all.n < RT_MAX_TABLES; k++) {
			all.aliases[all.n] = t.aliases[k];
			all.names[all.n++] = t.names[k];
		}
		for (int k = 0; k < t.nctes && all.nctes < RT_MAX_TABLES; k++)
			all.ctes[all.nctes++] = t.ctes[k];
	}
	for (int i = 0; i < subs->n; i++) {
		/* each subquery's own conjuncts go with a table it reads once */
		Node *sub = subs->at[i]->sub_link->subselect;
		PgQuery__SelectStmt *sel = sub->node_case == PG_QUERY__NODE__NODE_SELECT_STMT ? sub->select_stmt : NULL;
		RtTables mine;
		FromRefs f;
		memset(&f, 0, sizeof(f));
		f.scope = scope;
		rt_tables_collect(sub, &mine);
		for (size_t k = 0; sel && k < sel->n_from_clause; k++)
			from_refs(sel->from_clause[k], false, &f);
		if (!gather_tables(pl, sel, &all, &mine, &f, r))
			return false;
	}
	return r->ngather > 0;
}

/* The subquery of subs that is a top-level conjunct `vindex = ANY (...)`
 * (or IN) of where for target's vindex column: its index, -1 none. */
static int key_subquery(const RtPlanner *pl, const char *target, const char *alias, Node *where, const Subs *subs)
{
	const VscTable *vt = rt_plan_placement(pl, target);
	Node *c[MAX_CONJUNCTS];
	int n = 0;
	if (vt->placement != VSC_SHARDED)
		return -1;
	conjuncts(where, c, &n, MAX_CONJUNCTS);
	for (int i = 0; i < subs->n; i++) {
		const PgQuery__SubLink *sl = subs->at[i]->sub_link;
		const Node *x = sl->testexpr;
		bool top = false;
		for (int k = 0; k < n; k++)
			top = top || c[k] == subs->at[i];
		if (!top || sl->sub_link_type != PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK || !x ||
		    (sl->n_oper_name && strcmp(sl->oper_name[sl->n_oper_name - 1]->string->sval, "=") != 0) ||
		    x->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || x->column_ref->n_fields > 2)
			continue;
		Node **f = x->column_ref->fields;
		size_t nf = x->column_ref->n_fields;
		if (f[nf - 1]->node_case == PG_QUERY__NODE__NODE_STRING && vt->col_vindexes[0].vindex->ncolumns <= 1 &&
		    strcmp(f[nf - 1]->string->sval, vt->col_vindexes[0].column) == 0 &&
		    (nf == 1 || (f[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
				 (strcmp(f[0]->string->sval, target) == 0 || strcmp(f[0]->string->sval, alias) == 0))))
			return i;
	}
	return -1;
}

/* stmt (over target, alias, whose WHERE is where) with each of subs
 * replaced by a parameter: its text, its route (a plain one), the
 * statements computing the parameters' values and their tables' gather.
 * False with r->err's message when it cannot be. */
static bool subquery_values_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *target, const char *alias,
				 Node *where, const Subs *subs, RtRoute *r)
{
	Arena a;
	arena_init(&a);
	Buf sql;
	buf_init(&sql);
	Node saved[RT_MAX_SUBQUERIES];
	int nsaved = 0, key = key_subquery(pl, target, alias, where, subs);
	bool ok = true;
	for (int i = 0; i < subs->n && ok; i++) {
		Node *repl;
		ok = sub_param(pl, target, subs->at[i], i + 1, &a, &sql, &repl, &r->sub_array[i], r);
		if (ok) {
			saved[nsaved++] = *subs->at[i];
			*subs->at[i] = *repl;
		}
	}
	r->nsubs = subs->n;
	RtRoute w;
	memset(&w, 0, sizeof(w));
	if (ok) {
		r->write_sql = pgn_deparse(stmt);
		rt_route_plan(pl, stmt, r->write_sql, NULL, &w);
		ok = r->write_sql && w.kind == RT_ROUTE_SHARDS && !w.merge && !w.move && !w.gather && !w.split_sql;
		if (!ok)
			snprintf(r->err.message, sizeof(r->err.message), "%s",
				 w.kind == RT_ROUTE_REFUSE ? w.err.message
							   : "this statement with subquery values is not supported by the router");
	}
	while (nsaved > 0) {
		nsaved--;
		*subs->at[nsaved] = saved[nsaved];
	}
	ok = ok && gather_subquery_tables(pl, &stmt->base, subs, r) && !sql.failed && (r->final_sql = strdup(buf_cstr(&sql)));
	if (ok) {
		r->nshards = w.nshards;
		memcpy(r->shards, w.shards, sizeof(int) * (size_t)w.nshards);
		r->opcode = w.opcode;
		if (key >= 0 && w.opcode == RT_RO_SCATTER) {
			/* the shards of the subquery's values */
			int32_t typmod;
			r->key = &rt_plan_placement(pl, target)->col_vindexes[0];
			r->key_pos = key;
			r->key_type = rt_plan_column_type(pl, target, r->key->column, &typmod);
			r->opcode = RT_RO_IN;
		}
	}
	rt_route_cleanup(&w);
	buf_cleanup(&sql);
	arena_reset(&a);
	return ok;
}

/* args joined with AND, in arena a (args copied). */

/* Whether an expression reads the target (its alias tq, or an
 * unqualified column of its table). */
typedef struct TargetRefs {
	const RtPlanner *pl;
	const char *table, *tq;
	bool target, other;
} TargetRefs;

static bool target_visit(const ProtobufCMessage *m, void *arg)
{
	TargetRefs *tr = arg;
	if (m->descriptor != &pg_query__column_ref__descriptor)
		return true;
	const PgQuery__ColumnRef *cr = (const PgQuery__ColumnRef *)m;
	Node *first = cr->fields[0];
	bool mine = first->node_case == PG_QUERY__NODE__NODE_STRING &&
		    (cr->n_fields == 2 ? strcmp(first->string->sval, tr->tq) == 0
				       : cr->n_fields == 1 && tr->pl->catalog.column_position(tr->pl->catalog.arg, tr->table,
											   first->string->sval) >= 0);
	if (mine)
		tr->target = true;
	else
		tr->other = true;
	return false;
}

static void target_refs(const RtPlanner *pl, const char *table, const char *tq, Node *n, TargetRefs *tr)
{
	*tr = (TargetRefs){.pl = pl, .table = table, .tq = tq};
	pgn_walk(&n->base, target_visit, tr);
}

/* UPDATE ... FROM / DELETE ... USING over tables not colocated with the
 * target, as the same write whose WHERE has `t.col IN (SELECT x FROM
 * <the list> WHERE <its conjuncts>)`: when one conjunct joins the target
 * (t.col = x, x not reading it), the others read either the target or the
 * list alone, and SET reads only the target.  The tree is changed in
 * place (in arena a) and put back by the caller from saved. */
typedef struct JoinRewrite {
	Node **where;     /* the statement's WHERE */
	Node *saved_where;
	Node ***list;     /* its FROM / USING list */
	size_t *nlist, saved_n;
	Node **saved_list;
} JoinRewrite;

static bool join_rewrite(const RtPlanner *pl, PgQuery__Node *stmt, const char *table, const char *tq, Arena *a,
			 JoinRewrite *jr)
{
	Node *c[MAX_CONJUNCTS], *mine[MAX_CONJUNCTS], *theirs[MAX_CONJUNCTS], *join = NULL;
	int n = 0, nmine = 0, ntheirs = 0;
	conjuncts(*jr->where, c, &n, MAX_CONJUNCTS);
	if (n == MAX_CONJUNCTS)
		return false;
	for (int i = 0; i < n; i++) {
		TargetRefs tr;
		target_refs(pl, table, tq, c[i], &tr);
		if (!tr.other)
			mine[nmine++] = c[i];
		else if (!tr.target)
			theirs[ntheirs++] = c[i];
		else if (join)
			return false; /* a second join condition */
		else
			join = c[i];
	}
	if (!join || join->node_case != PG_QUERY__NODE__NODE_A_EXPR || join->a_expr->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP ||
	    join->a_expr->n_name != 1 || strcmp(join->a_expr->name[0]->string->sval, "=") != 0)
		return false;
	TargetRefs l, r;
	target_refs(pl, table, tq, join->a_expr->lexpr, &l);
	target_refs(pl, table, tq, join->a_expr->rexpr, &r);
	Node *tcol = l.target && !l.other ? join->a_expr->lexpr : join->a_expr->rexpr;
	Node *x = tcol == join->a_expr->lexpr ? join->a_expr->rexpr : join->a_expr->lexpr;
	TargetRefs xr;
	target_refs(pl, table, tq, x, &xr);
	if (xr.target || tcol->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return false;
	if (stmt->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
		for (size_t i = 0; i < stmt->update_stmt->n_target_list; i++) {
			TargetRefs sr;
			target_refs(pl, table, tq, stmt->update_stmt->target_list[i]->res_target->val, &sr);
			if (sr.other)
				return false; /* SET reads the list */
		}
	PgQuery__SelectStmt *sub = select_of(a, x);
	sub->from_clause = *jr->list;
	sub->n_from_clause = *jr->nlist;
	if (ntheirs)
		sub->where_clause = ntheirs == 1 ? theirs[0] : bool_node(a, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, theirs, ntheirs);
	mine[nmine++] = in_select(a, tcol, sub);
	jr->saved_where = *jr->where;
	jr->saved_list = *jr->list;
	jr->saved_n = *jr->nlist;
	*jr->where = nmine == 1 ? mine[0] : bool_node(a, PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR, mine, nmine);
	*jr->list = NULL;
	*jr->nlist = 0;
	return true;
}

static bool write_after_subqueries(const RtPlanner *pl, PgQuery__Node *stmt, const char *target, RtRoute *r)
{
	Subs subs = {0};
	bool update = stmt->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT;
	Node *where = update ? stmt->update_stmt->where_clause : stmt->delete_stmt->where_clause;
	const PgQuery__RangeVar *rv = update ? stmt->update_stmt->relation : stmt->delete_stmt->relation;
	if (where)
		pgn_walk(&where->base, find_sublinks, &subs);
	for (size_t i = 0; update && i < stmt->update_stmt->n_target_list; i++)
		pgn_walk(&stmt->update_stmt->target_list[i]->base, find_sublinks, &subs);
	if (subs.too_many || subs.n == 0) {
		snprintf(r->err.message, sizeof(r->err.message), "%s",
			 subs.n ? "more than 8 subqueries in one write through the router"
				: "a write over several sharded tables without a subquery");
		return false;
	}
	return subquery_values_plan(pl, stmt, target, rv->alias ? rv->alias->aliasname : target, where, &subs, r);
}

bool rt_gather_write_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *target, RtRoute *r)
{
	bool update = stmt->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT;
	const PgQuery__RangeVar *rv = update ? stmt->update_stmt->relation : stmt->delete_stmt->relation;
	bool with = update ? stmt->update_stmt->with_clause != NULL : stmt->delete_stmt->with_clause != NULL;
	JoinRewrite jr = {.where = update ? &stmt->update_stmt->where_clause : &stmt->delete_stmt->where_clause,
			  .list = update ? &stmt->update_stmt->from_clause : &stmt->delete_stmt->using_clause,
			  .nlist = update ? &stmt->update_stmt->n_from_clause : &stmt->delete_stmt->n_using_clause};
	if (with || (*jr.nlist && !*jr.where)) {
		snprintf(r->err.message, sizeof(r->err.message), "%s",
			 "WITH, and UPDATE ... FROM or DELETE ... USING without WHERE, over sharded tables that are not "
			 "colocated are not supported by the router");
		return false;
	}
	if (!*jr.nlist)
		return write_after_subqueries(pl, stmt, target, r);
	Arena a;
	arena_init(&a);
	bool ok = join_rewrite(pl, stmt, target, rv->alias ? rv->alias->aliasname : target, &a, &jr);
	if (!ok)
		snprintf(r->err.message, sizeof(r->err.message), "%s",
			 "UPDATE ... FROM and DELETE ... USING over tables that are not colocated are supported by the router "
			 "only with one join condition target.column = expression of the other tables, and SET reading the "
			 "target alone");
	else
		ok = write_after_subqueries(pl, stmt, target, r);
	if (jr.saved_where) {
		*jr.where = jr.saved_where;
		*jr.list = jr.saved_list;
		*jr.nlist = jr.saved_n;
	}
	arena_reset(&a);
	return ok;
}

bool rt_gather_semijoin_plan(const RtPlanner *pl, PgQuery__Node *stmt, RtRoute *r)
{
	PgQuery__SelectStmt *s = stmt->select_stmt;
	Subs subs = {0}, all = {0};
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE || s->with_clause || s->n_from_clause != 1 ||
	    s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR || !s->where_clause)
		return false;
	const PgQuery__RangeVar *rv = s->from_clause[0]->range_var;
	if (rt_plan_placement(pl, rv->relname)->placement != VSC_SHARDED)
		return false;
	pgn_walk(&s->where_clause->base, find_sublinks, &subs);
	pgn_walk(&stmt->base, find_sublinks, &all);
	if (subs.too_many || all.too_many || subs.n == 0 || subs.n != all.n)
		return false;
	/* subqueries colocated with the table run on its shards (a gather) */
	FromRefs f;
	RtTables t, rest;
	memset(&f, 0, sizeof(f));
	f.scope = &stmt->base;
	from_refs(s->from_clause[0], false, &f);
	rt_tables_collect(stmt, &t);
	rest = t;
	rt_gather_push_sublinks(pl, s, &t, &f, &rest);
	if (f.npushed == subs.n)
		return false;
	return subquery_values_plan(pl, stmt, rv->relname, rv->alias ? rv->alias->aliasname : rv->relname,
				    s->where_clause, &subs, r);
}
