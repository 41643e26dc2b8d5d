/*
 * translate_group.c - the keys that GROUP BY, DISTINCT, PARTITION BY and
 * DISTINCT aggregates compare.  A numeric key becomes its text under the
 * collation pg_numeric (decimal.c), so that values equal at different
 * scales (1.5 and 1.50) are one group, one row, one partition, as in
 * PostgreSQL.  And GROUPING SETS, ROLLUP and CUBE, and the check that a
 * grouped SELECT uses only grouped columns outside aggregates (below).
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

/* ---------------------------------------------------------- grouping
 * In a grouped SELECT (GROUP BY, or an aggregate in its targets or HAVING)
 * every column its targets, HAVING and ORDER BY use outside an aggregate
 * must be grouped, or belong to a table whose primary key is grouped
 * (42803), as in PostgreSQL.  Columns of outer queries count as constants. */

typedef struct GroupCheck {
	Tr *tr;
	PgQuery__SelectStmt *s;
	int nitems;
	const ProtobufCMessage *items[64]; /* GROUP BY expressions (Nodes) */
	int ncols;
	struct {
		const TRel *rel;
		int col;
	} cols[64]; /* grouped plain columns */
	bool agg;   /* an aggregate at this level */
	bool failed;
} GroupCheck;

static const char *node_name(Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* The column of this query level a reference names, or false (outer,
 * ambiguous, unknown: left to the translation). */
static bool gc_resolve(Tr *tr, PgQuery__ColumnRef *cr, const TRel **rel, int *col)
{
	const char *relname = NULL, *colname = NULL;
	if (cr->n_fields == 1) {
		colname = node_name(cr->fields[0]);
	} else if (cr->n_fields == 2) {
		relname = node_name(cr->fields[0]);
		colname = node_name(cr->fields[1]);
	}
	if (!colname)
		return false;
	int hits = 0;
	for (int i = 0; i < tr->scope->nrels; i++) {
		const TRel *r = tr->scope->rels[i];
		if (relname && strcmp(r->alias, relname) != 0)
			continue;
		for (int j = 0; j < r->ncols; j++)
			if (strcmp(r->cols[j].name, colname) == 0 && !(r->cols[j].hidden && !relname)) {
				*rel = r;
				*col = j;
				hits++;
			}
	}
	return hits == 1;
}

static bool gc_is_grouped(const GroupCheck *g, const TRel *rel, int col)
{
	for (int i = 0; i < g->ncols; i++)
		if (g->cols[i].rel == rel && g->cols[i].col == col)
			return true;
	return false;
}

/* Whether the primary key of the column's table is grouped (the column is
 * then functionally dependent on the grouping). */
static bool gc_pk_grouped(const GroupCheck *g, const TRel *rel, int col)
{
	uint32_t oid = rel->cols[col].table_oid;
	if (!oid)
		return false;
	const PgsCatalog *cat = g->tr->ctx->cat;
	const PgsTable *t = NULL;
	for (int i = 0; i < cat->ntables && !t; i++)
		if (cat->tables[i]->oid == oid)
			t = cat->tables[i];
	if (!t || !t->npk)
		return false;
	for (int k = 0; k < t->npk; k++) {
		bool found = false;
		for (int j = 0; j < rel->ncols && !found; j++)
			found = rel->cols[j].table_oid == oid && rel->cols[j].attnum == t->pk[k] && gc_is_grouped(g, rel, j);
		if (!found)
			return false;
	}
	return true;
}

static void gc_column(GroupCheck *g, const TRel *rel, int col, int loc)
{
	if (g->failed || gc_is_grouped(g, rel, col) || gc_pk_grouped(g, rel, col))
		return;
	g->failed = true;
	tr_fail(g->tr, "42803", loc, "column \"%s.%s\" must appear in the GROUP BY clause or be used in an aggregate function",
		rel->alias, rel->cols[col].name);
}

static bool is_agg_call(const PgQuery__FuncCall *f)
{
	const char *name = f->n_funcname ? node_name(f->funcname[f->n_funcname - 1]) : NULL;
	return !f->over && name && tr_is_aggregate(name);
}

/* First pass: is there an aggregate at this level? */
static bool gc_find_agg(const ProtobufCMessage *m, void *arg)
{
	GroupCheck *g = arg;
	if (m->descriptor == &pg_query__sub_link__descriptor || g->agg)
		return false;
	if (m->descriptor == &pg_query__func_call__descriptor && is_agg_call((const PgQuery__FuncCall *)m)) {
		g->agg = true;
		return false;
	}
	return true;
}

static bool gc_visit(const ProtobufCMessage *m, void *arg)
{
	GroupCheck *g = arg;
	if (g->failed || m->descriptor == &pg_query__sub_link__descriptor)
		return false;
	if (m->descriptor == &pg_query__node__descriptor) {
		for (int i = 0; i < g->nitems; i++)
			if (pgn_equal(m, g->items[i]))
				return false;
		return true;
	}
	if (m->descriptor == &pg_query__func_call__descriptor)
		return !is_agg_call((const PgQuery__FuncCall *)m);
	if (m->descriptor != &pg_query__column_ref__descriptor)
		return true;
	PgQuery__ColumnRef *cr = (PgQuery__ColumnRef *)m;
	Node *last = cr->fields[cr->n_fields - 1];
	if (last->node_case == PG_QUERY__NODE__NODE_A_STAR) {
		const char *relname = cr->n_fields == 2 ? node_name(cr->fields[0]) : NULL;
		for (int i = 0; i < g->tr->scope->nrels; i++) {
			const TRel *r = g->tr->scope->rels[i];
			if (relname && strcmp(r->alias, relname) != 0)
				continue;
			for (int j = 0; j < r->ncols; j++)
				if (!r->cols[j].hidden)
					gc_column(g, r, j, cr->location);
		}
		return false;
	}
	const TRel *rel;
	int col;
	if (gc_resolve(g->tr, cr, &rel, &col))
		gc_column(g, rel, col, cr->location);
	return false;
}

/* The target an unqualified name stands for when it names an output column
 * of s and no column of this level; NULL otherwise. */
static Node *gc_output(Tr *tr, PgQuery__SelectStmt *s, Node *n)
{
	const TRel *rel;
	int col;
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields != 1 ||
	    gc_resolve(tr, n->column_ref, &rel, &col))
		return NULL;
	const char *name = node_name(n->column_ref->fields[0]);
	for (size_t i = 0; name && i < s->n_target_list; i++)
		if (s->target_list[i]->res_target->name && strcmp(s->target_list[i]->res_target->name, name) == 0)
			return s->target_list[i]->res_target->val;
	return NULL;
}

/* The target a GROUP BY item stands for when it is a position or an output
 * name that is not a column. */
static Node *gc_group_item(GroupCheck *g, Node *item)
{
	PgQuery__SelectStmt *s = g->s;
	if (item->node_case == PG_QUERY__NODE__NODE_A_CONST && item->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		int pos = item->a_const->ival->ival;
		return pos >= 1 && (size_t)pos <= s->n_target_list ? s->target_list[pos - 1]->res_target->val : item;
	}
	Node *target = gc_output(g->tr, s, item);
	return target ? target : item;
}

bool tr_group_check(Tr *tr, PgQuery__SelectStmt *s)
{
	GroupCheck *g = arena_alloc(tr->a, sizeof(*g));
	memset(g, 0, sizeof(*g));
	g->tr = tr;
	g->s = s;
	for (size_t i = 0; i < s->n_target_list; i++)
		pgn_walk(&s->target_list[i]->base, gc_find_agg, g);
	if (s->having_clause)
		pgn_walk(&s->having_clause->base, gc_find_agg, g);
	if ((!s->n_group_clause && !g->agg && !s->having_clause) || tr->gs)
		return true; /* grouping sets: beyond this check */
	for (size_t i = 0; i < s->n_group_clause; i++) {
		Node *item = gc_group_item(g, s->group_clause[i]);
		if (item->node_case == PG_QUERY__NODE__NODE_GROUPING_SET || g->nitems == 64)
			return true; /* refused or beyond this check: the translation decides */
		g->items[g->nitems++] = &item->base;
		const TRel *rel;
		int col;
		if (item->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && g->ncols < 64 &&
		    gc_resolve(tr, item->column_ref, &rel, &col)) {
			g->cols[g->ncols].rel = rel;
			g->cols[g->ncols++].col = col;
		}
	}
	for (size_t i = 0; i < s->n_target_list && !g->failed; i++)
		if (s->target_list[i]->res_target->val)
			pgn_walk(&s->target_list[i]->res_target->val->base, gc_visit, g);
	if (s->having_clause && !g->failed)
		pgn_walk(&s->having_clause->base, gc_visit, g);
	for (size_t i = 0; i < s->n_sort_clause && !g->failed; i++) {
		Node *by = s->sort_clause[i]->sort_by->node;
		if (by->node_case == PG_QUERY__NODE__NODE_A_CONST)
			continue; /* a position */
		if (gc_output(tr, s, by))
			continue; /* an output name */
		pgn_walk(&by->base, gc_visit, g);
	}
	return !g->failed;
}
