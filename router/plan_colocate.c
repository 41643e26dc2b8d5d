/*
 * plan_colocate.c - whether the sharded tables of a statement are joined on
 * their vindex columns with the same vindex (a colocated join), so that
 * each shard holds every row the join can pair and the statement runs
 * whole on each shard.
 */
#include <string.h>

#include "common/pgnode.h"
#include "router/plan_int.h"

typedef PgQuery__Node Node;

#define MAX_TABLES RT_MAX_TABLES

/* The table references of a FROM list and the equalities of its join
 * conditions and WHERE that a colocated join is recognised by. */
typedef struct JoinRefs {
	int n;
	const char *names[MAX_TABLES], *quals[MAX_TABLES];
	int parent[MAX_TABLES]; /* union-find over refs joined on their vindex columns */
	bool other;		/* a subquery or function in FROM */
} JoinRefs;

static int jr_find(JoinRefs *j, int i)
{
	while (j->parent[i] != i)
		i = j->parent[i] = j->parent[j->parent[i]];
	return i;
}

/* The ref a qualified column a.c names, when c is the vindex column of a
 * sharded table; -1 otherwise. */
static int jr_vindex_ref(const RtPlanner *pl, JoinRefs *j, Node *n, const VscVindex **vindex)
{
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields < 1 || n->column_ref->n_fields > 2)
		return -1;
	Node **f = n->column_ref->fields;
	size_t nf = n->column_ref->n_fields;
	if (f[0]->node_case != PG_QUERY__NODE__NODE_STRING || f[nf - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return -1;
	const char *col = f[nf - 1]->string->sval;
	int found = -1;
	for (int i = 0; i < j->n; i++) {
		/* a.c names ref a; an unqualified c the one ref whose table has c */
		if (nf == 2 ? strcmp(j->quals[i], f[0]->string->sval) != 0
			    : pl->catalog.column_position(pl->catalog.arg, j->names[i], col) < 0)
			continue;
		if (found >= 0)
			return -1;
		found = i;
	}
	if (found < 0 || (nf == 1 && j->other))
		return -1;
	const VscTable *vt = rt_plan_placement(pl, j->names[found]);
	if (vt->placement != VSC_SHARDED || strcmp(vt->col_vindexes[0].column, col) != 0 ||
	    vt->col_vindexes[0].vindex->ncolumns > 1)
		return -1; /* equal values of one column of several do not place rows alike */
	*vindex = vt->col_vindexes[0].vindex;
	return found;
}

/* Join the refs that a top-level conjunct a.vcol = b.vcol equates. */
static void jr_equalities(const RtPlanner *pl, JoinRefs *j, Node *cond)
{
	if (!cond)
		return;
	if (cond->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    cond->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < cond->bool_expr->n_args; i++)
			jr_equalities(pl, j, cond->bool_expr->args[i]);
		return;
	}
	if (cond->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return;
	PgQuery__AExpr *a = cond->a_expr;
	if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || a->n_name != 1 || strcmp(a->name[0]->string->sval, "=") != 0)
		return;
	const VscVindex *vl = NULL, *vr = NULL;
	int l = jr_vindex_ref(pl, j, a->lexpr, &vl), r = jr_vindex_ref(pl, j, a->rexpr, &vr);
	if (l >= 0 && r >= 0 && vl == vr)
		j->parent[jr_find(j, l)] = jr_find(j, r);
}

static void jr_from(const RtPlanner *pl, JoinRefs *j, Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR: {
		PgQuery__RangeVar *rv = n->range_var;
		if (j->n == MAX_TABLES) {
			j->other = true;
			return;
		}
		j->names[j->n] = rv->relname;
		j->quals[j->n] = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
		j->parent[j->n] = j->n;
		j->n++;
		return;
	}
	case PG_QUERY__NODE__NODE_JOIN_EXPR:
		jr_from(pl, j, n->join_expr->larg);
		jr_from(pl, j, n->join_expr->rarg);
		if (n->join_expr->n_using_clause || n->join_expr->is_natural)
			j->other = true; /* USING and NATURAL: not recognised yet */
		jr_equalities(pl, j, n->join_expr->quals);
		return;
	default:
		j->other = true;
		return;
	}
}

/* Whether every sharded table of a SELECT is in its own FROM list (not in a
 * subquery) and joined to the others on the vindex columns, with the same
 * vindex: then each shard holds every row the join can pair, and the
 * statement runs whole on each shard.  The same for the target of an
 * UPDATE ... FROM and the tables of that list. */
bool rt_colocated_join(const RtPlanner *pl, PgQuery__Node *stmt, const RtTables *t)
{
	PgQuery__Node **from, *where, target = PG_QUERY__NODE__INIT;
	size_t nfrom;
	target.node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	if (t->sublink)
		return false;
	if (stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
		PgQuery__SelectStmt *sel = stmt->select_stmt;
		if (sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE || sel->with_clause)
			return false;
		from = sel->from_clause, nfrom = sel->n_from_clause, where = sel->where_clause;
	} else if (stmt->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT && !stmt->update_stmt->with_clause) {
		/* UPDATE ... FROM: the target joined with the FROM list */
		PgQuery__UpdateStmt *u = stmt->update_stmt;
		target.range_var = u->relation;
		from = u->from_clause, nfrom = u->n_from_clause, where = u->where_clause;
	} else {
		/* DELETE ... USING: the shards' engine does not run it; as a
		 * write after a subquery (gather.c) */
		return false;
	}
	JoinRefs j;
	memset(&j, 0, sizeof(j));
	if (target.range_var)
		jr_from(pl, &j, &target);
	for (size_t i = 0; i < nfrom; i++)
		jr_from(pl, &j, from[i]);
	jr_equalities(pl, &j, where);
	if (j.other || j.n != t->n)
		return false; /* a table elsewhere than this FROM list */
	int root = -1;
	for (int i = 0; i < j.n; i++) {
		const VscTable *vt = rt_plan_placement(pl, j.names[i]);
		if (vt->placement != VSC_SHARDED)
			continue;
		if (root < 0)
			root = jr_find(&j, i);
		else if (jr_find(&j, i) != root)
			return false;
	}
	return true;
}
