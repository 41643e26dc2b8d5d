/*
 * translate_group.c - the keys that GROUP BY, DISTINCT, PARTITION BY and
 * DISTINCT aggregates compare.  A numeric key becomes its text under the
 * collation pg_numeric (decimal.c), so that values equal at different
 * scales (1.5 and 1.50) are one group, one row, one partition, as in
 * PostgreSQL.  And GROUPING SETS, ROLLUP and CUBE (below).
 */
#include <string.h>
#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

void tr_put_group_key(Buf *out, Buf *e, const TType *t)
{
	if (t->oid != PGT_NUMERIC) {
		tr_put_buf(out, e);
		return;
	}
	buf_put_str(out, "pg_numtext(");
	tr_put_buf(out, e);
	buf_printf(out, ", %d) COLLATE pg_numeric", (int)t->typmod);
}

/* ------------------------------------------------------------ grouping sets
 *
 * GROUP BY with GROUPING SETS, ROLLUP or CUBE is the UNION ALL of one
 * grouped SELECT per grouping set (translate_stmt.c).  While an arm is
 * translated, a grouping expression its set leaves out is NULL outside
 * aggregate arguments, and GROUPING(...) is the constant bit mask of the
 * arguments the set leaves out.
 */
#define GS_MAX_SETS 64
#define GS_MAX_ITEMS 32

typedef struct GSet {
	int n;
	Node *items[GS_MAX_ITEMS];
	int idx[GS_MAX_ITEMS]; /* each item's place in TrGSets.all */
} GSet;

#define GS_MAX_ALL (GS_MAX_ITEMS * 2)

struct TrGSets {
	int nsets;
	GSet sets[GS_MAX_SETS];
	int nall;
	Node *all[GS_MAX_ALL];	      /* every grouping expression */
	const char *sql[GS_MAX_ALL]; /* ... as translated in arm sql_arm */
	int sql_arm;
	int cur;    /* the arm being translated; -1: none (ORDER BY) */
	int in_agg; /* depth of aggregate calls */
};

typedef struct GList {
	int nsets;
	GSet sets[GS_MAX_SETS];
} GList;

static bool gs_too_many(Tr *tr) { return tr_unsupported(tr, -1, "more than 64 grouping sets or 32 grouping columns"); }

/* The expressions of one element of ROLLUP/CUBE/GROUPING SETS: an
 * expression, a parenthesized list of them or (). */
static bool elem_items(Tr *tr, Node *c, GSet *out)
{
	out->n = 0;
	Node **items = &c;
	size_t n = 1;
	if (c->node_case == PG_QUERY__NODE__NODE_GROUPING_SET &&
	    (c->grouping_set->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_SIMPLE ||
	     c->grouping_set->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_EMPTY)) {
		items = c->grouping_set->content;
		n = c->grouping_set->n_content;
	} else if (c->node_case == PG_QUERY__NODE__NODE_ROW_EXPR &&
		   c->row_expr->row_format == PG_QUERY__COERCION_FORM__COERCE_IMPLICIT_CAST) {
		items = c->row_expr->args;
		n = c->row_expr->n_args;
	} else if (c->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
		return tr_unsupported(tr, c->grouping_set->location, "nested ROLLUP or CUBE");
	}
	if (n > GS_MAX_ITEMS)
		return gs_too_many(tr);
	for (size_t i = 0; i < n; i++)
		out->items[out->n++] = items[i];
	return true;
}

static bool set_concat(Tr *tr, GSet *dst, const GSet *a, const GSet *b)
{
	if (a->n + b->n > GS_MAX_ITEMS)
		return gs_too_many(tr);
	*dst = *a;
	for (int i = 0; i < b->n; i++)
		dst->items[dst->n++] = b->items[i];
	return true;
}

static bool list_add(Tr *tr, GList *l, const GSet *s)
{
	if (l->nsets == GS_MAX_SETS)
		return gs_too_many(tr);
	l->sets[l->nsets++] = *s;
	return true;
}

/* The grouping sets of one GROUP BY item. */
static bool expand_item(Tr *tr, Node *item, GList *out)
{
	out->nsets = 0;
	GSet e[GS_MAX_ITEMS], cur;
	if (item->node_case != PG_QUERY__NODE__NODE_GROUPING_SET) {
		cur.n = 1;
		cur.items[0] = item;
		return list_add(tr, out, &cur);
	}
	PgQuery__GroupingSet *g = item->grouping_set;
	size_t n = g->n_content;
	switch (g->kind) {
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_EMPTY:
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_SIMPLE:
		return elem_items(tr, item, &cur) && list_add(tr, out, &cur);
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_ROLLUP:
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE: {
		bool cube = g->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE;
		if (n > GS_MAX_ITEMS || (cube && n > 6))
			return gs_too_many(tr);
		for (size_t i = 0; i < n; i++)
			if (!elem_items(tr, g->content[i], &e[i]))
				return false;
		size_t count = cube ? (size_t)1 << n : n + 1;
		for (size_t k = 0; k < count; k++) {
			/* ROLLUP: the first n - k elements; CUBE: the elements of mask ~k */
			cur.n = 0;
			for (size_t i = 0; i < n; i++) {
				bool in = cube ? !((k >> (n - 1 - i)) & 1) : i < n - k;
				GSet t = cur;
				if (in && !set_concat(tr, &cur, &t, &e[i]))
					return false;
			}
			if (!list_add(tr, out, &cur))
				return false;
		}
		return true;
	}
	case PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_SETS: {
		GList *sub = arena_alloc(tr->a, sizeof(GList));
		for (size_t i = 0; i < n; i++) {
			if (!expand_item(tr, g->content[i], sub))
				return false;
			for (int j = 0; j < sub->nsets; j++)
				if (!list_add(tr, out, &sub->sets[j]))
					return false;
		}
		return true;
	}
	default:
		return tr_unsupported(tr, g->location, "this grouping set");
	}
}

bool tr_has_grouping_sets(const PgQuery__SelectStmt *s)
{
	for (size_t i = 0; i < s->n_group_clause; i++)
		if (s->group_clause[i]->node_case == PG_QUERY__NODE__NODE_GROUPING_SET)
			return true;
	return false;
}

static int note_expr(TrGSets *gs, Node *e)
{
	for (int i = 0; i < gs->nall; i++)
		if (pgn_equal(&gs->all[i]->base, &e->base))
			return i;
	if (gs->nall == GS_MAX_ALL)
		return -1;
	gs->all[gs->nall] = e;
	return gs->nall++;
}

TrGSets *tr_grouping_sets(Tr *tr, const PgQuery__SelectStmt *s)
{
	TrGSets *gs = arena_alloc(tr->a, sizeof(TrGSets));
	GList *acc = arena_alloc(tr->a, sizeof(GList)), *item = arena_alloc(tr->a, sizeof(GList)),
	      *next = arena_alloc(tr->a, sizeof(GList));
	memset(gs, 0, sizeof(*gs));
	acc->nsets = 1;
	acc->sets[0].n = 0;
	for (size_t i = 0; i < s->n_group_clause; i++) {
		if (!expand_item(tr, s->group_clause[i], item))
			return NULL;
		next->nsets = 0;
		for (int a = 0; a < acc->nsets; a++)
			for (int b = 0; b < item->nsets; b++) {
				GSet t;
				if (!set_concat(tr, &t, &acc->sets[a], &item->sets[b]) || !list_add(tr, next, &t))
					return NULL;
			}
		GList *sw = acc;
		acc = next;
		next = sw;
	}
	gs->nsets = acc->nsets;
	memcpy(gs->sets, acc->sets, sizeof(GSet) * (size_t)acc->nsets);
	for (int i = 0; i < gs->nsets; i++)
		for (int j = 0; j < gs->sets[i].n; j++) {
			Node *e = tr_output_expr(tr, s, gs->sets[i].items[j], "GROUP BY");
			if (!e)
				return NULL;
			gs->sets[i].items[j] = e;
			if ((gs->sets[i].idx[j] = note_expr(gs, e)) < 0) {
				gs_too_many(tr);
				return NULL;
			}
		}
	gs->sql_arm = -1;
	gs->cur = -1;
	return gs;
}

int tr_grouping_sets_count(const TrGSets *gs) { return gs->nsets; }

void tr_grouping_set_use(TrGSets *gs, int i, size_t *n, Node ***items)
{
	gs->cur = i;
	if (i >= 0) {
		*n = (size_t)gs->sets[i].n;
		*items = gs->sets[i].items;
	}
}

/* n translated on its own (NULL: it fails), an arena string. */
static const char *expr_sql(Tr *tr, TrGSets *gs, Node *n)
{
	Buf b;
	TType t;
	buf_init(&b);
	gs->in_agg++;
	bool ok = tr_expr(tr, n, &b, &t);
	gs->in_agg--;
	const char *sql = ok ? arena_strdup(tr->a, buf_cstr(&b)) : NULL;
	buf_cleanup(&b);
	return sql;
}

/* The place of n among the grouping expressions, or -1: the same tree, or
 * the same translation (t.a and a are one column). */
static int find_expr(Tr *tr, TrGSets *gs, Node *n)
{
	bool kind = false;
	for (int i = 0; i < gs->nall; i++) {
		if (pgn_equal(&gs->all[i]->base, &n->base))
			return i;
		kind = kind || gs->all[i]->node_case == n->node_case;
	}
	if (!kind)
		return -1;
	if (gs->sql_arm != gs->cur) {
		for (int i = 0; i < gs->nall; i++)
			gs->sql[i] = expr_sql(tr, gs, gs->all[i]);
		gs->sql_arm = gs->cur;
	}
	const char *sql = expr_sql(tr, gs, n);
	for (int i = 0; sql && i < gs->nall; i++)
		if (gs->sql[i] && gs->all[i]->node_case == n->node_case && strcmp(gs->sql[i], sql) == 0)
			return i;
	return -1;
}

static bool in_cur_set(const TrGSets *gs, int idx)
{
	const GSet *set = &gs->sets[gs->cur];
	for (int i = 0; i < set->n; i++)
		if (set->idx[i] == idx)
			return true;
	return false;
}

/* GROUPING(a, ...): bit i (from the right) set when the arm's set leaves
 * argument n - 1 - i out; 0 in a query without grouping sets. */
static int grouping_func(Tr *tr, PgQuery__GroupingFunc *g, Buf *out, TType *ty)
{
	TrGSets *gs = tr->gs;
	if (g->n_args > 31)
		return tr_fail(tr, "54023", g->location, "GROUPING must have fewer than 32 arguments");
	if (gs && gs->cur < 0)
		return tr_unsupported(tr, g->location, "GROUPING() outside the arms of a query with grouping sets");
	long mask = 0;
	for (size_t i = 0; i < g->n_args; i++) {
		int idx = gs ? find_expr(tr, gs, g->args[i]) : 0;
		if (idx < 0)
			return tr->failed ? false
					  : tr_fail(tr, "42803", g->location,
						    "arguments to GROUPING must be grouping expressions of the associated query level");
		mask = (mask << 1) | (gs && !in_cur_set(gs, idx) ? 1 : 0);
	}
	buf_printf(out, "%ld", mask);
	tr_ttype_set(ty, PGT_INT4, -1);
	return true;
}

int tr_group_expr(Tr *tr, Node *n, Buf *out, TType *ty)
{
	if (n->node_case == PG_QUERY__NODE__NODE_GROUPING_FUNC)
		return grouping_func(tr, n->grouping_func, out, ty);
	TrGSets *gs = tr->gs;
	if (!gs || gs->cur < 0 || gs->in_agg)
		return -1;
	if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL && !n->func_call->over &&
	    tr_is_aggregate(pgn_str(n->func_call->funcname[n->func_call->n_funcname - 1]))) {
		gs->in_agg++;
		bool ok = tr_expr(tr, n, out, ty);
		gs->in_agg--;
		return ok;
	}
	int idx = find_expr(tr, gs, n);
	if (tr->failed)
		return false;
	if (idx < 0 || in_cur_set(gs, idx))
		return -1;
	/* left out of this set: NULL of the expression's type */
	Buf b;
	buf_init(&b);
	gs->in_agg++;
	bool ok = tr_expr(tr, n, &b, ty);
	gs->in_agg--;
	if (ok) {
		tr_settle(tr, &b, ty);
		buf_put_str(out, "NULL");
		ty->column = false;
	}
	buf_cleanup(&b);
	return ok;
}
