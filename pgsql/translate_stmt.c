/*
 * translate_stmt.c - SELECT, INSERT, UPDATE and DELETE to SQLite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/catalog.h"
#include "pgsql/pgtype.h"
#include "pgsql/pgtype_format.h"
#include "pgsql/translate_int.h"

/* ------------------------------------------------------------ FROM */

/* Where an expression starts in the statement (exprLocation's answer for
 * the common nodes), -1 when not known. */
static int expr_location(const Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		return n->a_const->location;
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		return n->column_ref->location;
	case PG_QUERY__NODE__NODE_PARAM_REF:
		return n->param_ref->location;
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return n->func_call->location;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return n->type_cast->arg ? expr_location(n->type_cast->arg) : n->type_cast->location;
	case PG_QUERY__NODE__NODE_A_EXPR:
		return n->a_expr->lexpr ? expr_location(n->a_expr->lexpr) : n->a_expr->location;
	default:
		return -1;
	}
}

bool tr_coerce_bool(Tr *tr, Buf *b, TType *t, const char *what, const Node *n)
{
	if (!t->unknown && t->oid != PGT_BOOL) {
		Buf name;
		buf_init(&name);
		pgt_format_type(&name, t->oid, -1, false);
		tr_fail(tr, "42804", expr_location(n), "argument of %s must be type boolean, not type %s", what,
			buf_cstr(&name));
		buf_cleanup(&name);
		return false;
	}
	return tr_coerce(tr, b, t, PGT_BOOL, -1, -1);
}

const void *tr_jump_target(const Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR)
		return n->bool_expr;
	if (n && n->node_case == PG_QUERY__NODE__NODE_A_EXPR &&
	    (n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN ||
	     n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN))
		return n->a_expr;
	return NULL;
}

/* Append `kw` and the boolean expression n (WHERE, HAVING, ON, ...). */
bool tr_bool_clause(Tr *tr, const char *kw, Node *n, Buf *out)
{
	Buf eb;
	TType et;
	buf_init(&eb);
	const char *what = strstr(kw, "FILTER") ? "FILTER" : strstr(kw, "HAVING") ? "HAVING" : strstr(kw, " ON ") ? "JOIN/ON" : "WHERE";
	tr->jump_node = tr_jump_target(n);
	bool ok = tr_expr(tr, n, &eb, &et) && tr_coerce_bool(tr, &eb, &et, what, n);
	tr->jump_node = NULL;
	if (ok) {
		buf_put_str(out, kw);
		tr_put_buf(out, &eb);
	}
	buf_cleanup(&eb);
	return ok;
}

/* ------------------------------------------------------------ targets */

static void result_add(Tr *tr, TRel *res, int *cap, const char *name, const TType *ty, uint32_t table_oid,
		       int16_t attnum)
{
	if (res->ncols == *cap) {
		int ncap = *cap ? *cap * 2 : 16;
		TCol *n = arena_alloc(tr->a, sizeof(TCol) * (size_t)ncap);
		if (res->ncols)
			memcpy(n, res->cols, sizeof(TCol) * (size_t)res->ncols);
		res->cols = n;
		*cap = ncap;
	}
	TCol *c = &res->cols[res->ncols++];
	c->name = arena_strdup(tr->a, name);
	c->type = ty->oid == PGT_UNKNOWN ? PGT_TEXT : ty->oid;
	c->typmod = ty->typmod;
	c->table_oid = table_oid;
	c->attnum = attnum;
}

static bool star(Tr *tr, const char *relname, Buf *out, bool *first, TRel *res, int *cap, int loc, bool positional)
{
	bool any = false;
	for (int i = 0; i < tr->scope->nrels; i++) {
		TRel *r = tr->scope->rels[i];
		if (relname && strcmp(r->alias, relname) != 0)
			continue;
		any = true;
		for (int j = 0; j < r->ncols; j++) {
			TCol *c = &r->cols[j];
			if (c->hidden && !relname)
				continue;
			if (!*first)
				buf_put_str(out, ", ");
			*first = false;
			if (c->expr)
				buf_put_str(out, c->expr);
			else if (c->merged && !relname)
				buf_put_str(out, c->merged);
			else
				tr_put_qualified(out, r, c->name);
			if (res) {
				buf_put_str(out, " AS ");
				if (positional)
					buf_printf(out, "\"_c%d\"", res->ncols);
				else
					pgs_put_ident(out, c->name);
				TType t;
				tr_ttype_set(&t, c->type, c->typmod);
				result_add(tr, res, cap, c->name, &t, c->table_oid, c->attnum);
			}
		}
	}
	if (!any && relname)
		return tr_fail(tr, "42P01", loc, "missing FROM-clause entry for table \"%s\"", relname);
	if (!any)
		return tr_fail(tr, "42601", loc, "SELECT * with no tables specified is not valid");
	return true;
}

/* Emit a target list (SELECT or RETURNING), filling `res` with the output columns. */
bool tr_target_list(Tr *tr, size_t n, Node **items, Buf *out, TRel *res, bool positional)
{
	bool first = true, keys = tr->distinct_outputs, agg = tr->agg_outputs;
	int cap = 0;
	tr->distinct_outputs = tr->agg_outputs = false;
	res->ncols = 0;
	res->cols = NULL;
	for (size_t i = 0; i < n; i++) {
		PgQuery__ResTarget *rt = items[i]->res_target;
		Node *v = rt->val;
		if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
			PgQuery__ColumnRef *cr = v->column_ref;
			if (cr->fields[cr->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
				const char *rel = cr->n_fields >= 2 ? pgn_str(cr->fields[cr->n_fields - 2]) : NULL;
				if (!star(tr, rel, out, &first, res, &cap, cr->location, positional))
					return false;
				continue;
			}
		}
		Buf eb;
		TType et;
		buf_init(&eb);
		if (!tr_expr(tr, v, &eb, &et)) {
			buf_cleanup(&eb);
			return false;
		}
		bool untyped = et.unknown;
		tr_settle(tr, &eb, &et);
		const char *name = pgn_has_str(rt->name) ? rt->name : tr_figure_colname(v);
		if (!first)
			buf_put_str(out, ", ");
		first = false;
		if (agg)
			buf_put_str(out, "CASE WHEN count(*) >= 0 THEN ");
		if (keys)
			tr_put_group_key(out, &eb, &et);
		else
			tr_put_buf(out, &eb);
		if (agg)
			buf_put_str(out, " END");
		buf_put_str(out, " AS ");
		if (positional)
			buf_printf(out, "\"_c%d\"", res->ncols);
		else
			pgs_put_ident(out, name);
		buf_cleanup(&eb);
		/* a plain column keeps its table OID and attnum (JDBC metadata) */
		uint32_t toid = 0;
		int16_t attnum = 0;
		if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
			const char *cn = pgn_str(v->column_ref->fields[v->column_ref->n_fields - 1]);
			for (Scope *s = tr->scope; s && !toid; s = s->parent)
				for (int r = 0; r < s->nrels && !toid; r++)
					for (int c = 0; c < s->rels[r]->ncols; c++)
						if (strcmp(s->rels[r]->cols[c].name, cn) == 0 && s->rels[r]->cols[c].type == et.oid) {
							toid = s->rels[r]->cols[c].table_oid;
							attnum = s->rels[r]->cols[c].attnum;
							break;
						}
		}
		result_add(tr, res, &cap, name, &et, toid, attnum);
		res->cols[res->ncols - 1].untyped = untyped;
	}
	if (first) /* no outputs: SQLite needs one, which no client sees */
		buf_put_str(out, "NULL");
	return !tr->failed;
}

/* ------------------------------------------------------------ SELECT */

static bool is_output_name(Tr *tr, Node *n, const TRel *res, const char **name)
{
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields != 1)
		return false;
	const char *cn = pgn_str(n->column_ref->fields[0]);
	for (int i = 0; i < res->ncols; i++)
		if (strcmp(res->cols[i].name, cn) == 0) {
			*name = cn;
			return true;
		}
	(void)tr;
	return false;
}

static bool in_scope(Tr *tr, const char *col)
{
	for (int i = 0; i < tr->scope->nrels; i++)
		for (int j = 0; j < tr->scope->rels[i]->ncols; j++)
			if (strcmp(tr->scope->rels[i]->cols[j].name, col) == 0)
				return true;
	return false;
}

/*
 * ORDER BY an output of type numeric or interval that is referred to by
 * its name or position: the order key of the output (by its alias), so
 * that numeric expressions (exact decimal text) and intervals sort by
 * value.  Only in a simple SELECT (SQLite takes only plain output
 * references in a compound one), when the alias names no other output,
 * and, when it names an input column, the output is that one column.
 */
static bool put_output_key(Tr *tr, const TRel *res, int idx, bool compound, const PgQuery__SelectStmt *s,
			   Buf *out)
{
	const char *name = res->cols[idx].name;
	uint32_t type = res->cols[idx].type;
	if (compound || tr->positional || (type != PGT_NUMERIC && type != PGT_INTERVAL))
		return false;
	/* the output's own expression, when the outputs are the targets one
	 * for one (no *) */
	bool one_for_one = s && s->n_target_list == (size_t)res->ncols;
	for (size_t i = 0; one_for_one && i < s->n_target_list; i++) {
		const Node *v = s->target_list[i]->res_target->val;
		one_for_one = v && !(v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields &&
				     v->column_ref->fields[v->column_ref->n_fields - 1]->node_case ==
					     PG_QUERY__NODE__NODE_A_STAR);
	}
	if (one_for_one) {
		Buf eb;
		TType et;
		buf_init(&eb);
		bool ok = tr_expr(tr, s->target_list[idx]->res_target->val, &eb, &et);
		if (ok) {
			buf_put_str(out, type == PGT_INTERVAL ? "pg_intervalkey(" : "pg_numkey(");
			tr_put_buf(out, &eb);
			buf_put_u8(out, ')');
		}
		buf_cleanup(&eb);
		return ok;
	}
	for (int i = 0; i < res->ncols; i++)
		if (i != idx && strcmp(res->cols[i].name, name) == 0)
			return false;
	/* a name that is also an input column is the output's own column,
	 * qualified, when the output is a plain column of one input */
	const TRel *src = NULL;
	const TCol *srccol = NULL;
	if (in_scope(tr, name)) {
		int hits = 0;
		for (int i = 0; i < tr->scope->nrels; i++)
			for (int j = 0; j < tr->scope->rels[i]->ncols; j++) {
				const TCol *c = &tr->scope->rels[i]->cols[j];
				if (res->cols[idx].attnum > 0 && c->table_oid == res->cols[idx].table_oid &&
				    c->attnum == res->cols[idx].attnum && strcmp(c->name, name) == 0) {
					src = tr->scope->rels[i];
					srccol = c;
					hits++;
				}
			}
		if (hits != 1 || srccol->merged || srccol->hidden)
			return false;
	}
	buf_put_str(out, type == PGT_INTERVAL ? "pg_intervalkey(" : "pg_numkey(");
	if (src)
		tr_put_qualified(out, src, name);
	else
		pgs_put_ident(out, name);
	buf_put_u8(out, ')');
	return true;
}

static bool has_keyed_output(const TRel *res)
{
	for (int i = 0; i < res->ncols; i++)
		if (res->cols[i].type == PGT_NUMERIC || res->cols[i].type == PGT_INTERVAL)
			return true;
	return false;
}

static int output_index(const TRel *res, const char *name)
{
	for (int i = 0; i < res->ncols; i++)
		if (strcmp(res->cols[i].name, name) == 0)
			return i;
	return -1;
}

/* ORDER BY name names two output columns that are not the same
 * expression (SELECT 1 AS a, 2 AS a ORDER BY a): 42702, as PostgreSQL's
 * findTargetlistEntrySQL92. */
static bool ambiguous_output(const TRel *res, const PgQuery__SelectStmt *s, const char *name)
{
	if (!s || s->n_target_list != (size_t)res->ncols)
		return false;
	int first = output_index(res, name);
	for (int i = first + 1; i < res->ncols; i++)
		if (strcmp(res->cols[i].name, name) == 0 &&
		    (s->target_list[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET || !s->target_list[i]->res_target->val ||
		     !pgn_equal(&s->target_list[i]->res_target->val->base, &s->target_list[first]->res_target->val->base)))
			return true;
	return false;
}

static bool sort_clause(Tr *tr, size_t n, Node **items, const TRel *res, bool compound, const PgQuery__SelectStmt *s,
			Buf *out)
{
	buf_put_str(out, " ORDER BY ");
	for (size_t i = 0; i < n; i++) {
		PgQuery__SortBy *sb = items[i]->sort_by;
		const char *name;
		if (i)
			buf_put_str(out, ", ");
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
			return tr_unsupported(tr, sb->location, "ORDER BY ... USING");
		if (is_output_name(tr, sb->node, res, &name)) {
			if (ambiguous_output(res, s, name))
				return tr_fail(tr, "42702", sb->node->column_ref->location, "ORDER BY \"%s\" is ambiguous", name);
			if (!put_output_key(tr, res, output_index(res, name), compound, s, out))
				pgs_put_ident(out, name);
		} else if (sb->node->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			   sb->node->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
			int pos = sb->node->a_const->ival->ival;
			if (pos < 1 || pos > res->ncols)
				return tr_fail(tr, "42P10", sb->node->a_const->location, "ORDER BY position %d is not in select list",
					       pos);
			if (!put_output_key(tr, res, pos - 1, compound, s, out))
				buf_printf(out, "%d", pos);
		} else {
			Buf eb;
			TType et;
			buf_init(&eb);
			bool ok = tr_expr(tr, sb->node, &eb, &et);
			if (ok)
				tr_put_cmp_operand(out, &eb, &et, tr_cmp_keyed(&et, 1));
			buf_cleanup(&eb);
			if (!ok)
				return false;
		}
		tr_put_sort_dir(out, sb);
	}
	return true;
}

static bool limit_clause(Tr *tr, PgQuery__SelectStmt *s, Buf *out)
{
	bool has_limit = s->limit_count && !(s->limit_count->node_case == PG_QUERY__NODE__NODE_A_CONST &&
					     s->limit_count->a_const->isnull);
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
		return tr_unsupported(tr, -1, "FETCH ... WITH TIES of a set operation");
	if (!has_limit && !s->limit_offset)
		return true;
	Buf b;
	TType t;
	buf_init(&b);
	buf_put_str(out, " LIMIT ");
	if (has_limit) {
		if (!tr_expr(tr, s->limit_count, &b, &t) || !tr_coerce(tr, &b, &t, PGT_INT8, -1, -1)) {
			buf_cleanup(&b);
			return false;
		}
		tr_put_buf(out, &b);
	} else {
		buf_put_str(out, "-1");
	}
	if (s->limit_offset) {
		buf_reset(&b);
		if (!tr_expr(tr, s->limit_offset, &b, &t) || !tr_coerce(tr, &b, &t, PGT_INT8, -1, -1)) {
			buf_cleanup(&b);
			return false;
		}
		buf_put_str(out, " OFFSET ");
		tr_put_buf(out, &b);
	}
	buf_cleanup(&b);
	return true;
}

bool tr_with_clause(Tr *tr, PgQuery__WithClause *w, Buf *out)
{
	buf_put_str(out, w->recursive ? "WITH RECURSIVE " : "WITH ");
	for (size_t i = 0; i < w->n_ctes; i++) {
		PgQuery__CommonTableExpr *cte = w->ctes[i]->common_table_expr;
		if (cte->ctequery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
			return tr_unsupported(tr, cte->location, "data-modifying statements in WITH");
		if (cte->search_clause || cte->cycle_clause)
			return tr_unsupported(tr, cte->location, "SEARCH and CYCLE in WITH RECURSIVE");
		if (tr->scope->nctes == (int)(sizeof(tr->scope->ctes) / sizeof(tr->scope->ctes[0])))
			return tr_unsupported(tr, cte->location, "more than 16 WITH queries");
		PgQuery__SelectStmt *q = cte->ctequery->select_stmt;
		TRel *res = arena_alloc(tr->a, sizeof(*res));
		res->alias = arena_strdup(tr->a, cte->ctename);
		if (w->recursive && q->op == PG_QUERY__SET_OPERATION__SETOP_UNION) {
			/* type the CTE from its non-recursive term first */
			Buf tmp;
			buf_init(&tmp);
			Scope inner = {.parent = tr->scope};
			Scope *saved = tr->scope;
			tr->scope = &inner;
			bool ok = tr_select(tr, q->larg, &tmp, res);
			tr->scope = saved;
			buf_cleanup(&tmp);
			if (!ok)
				return false;
			res->alias = arena_strdup(tr->a, cte->ctename);
			for (size_t k = 0; k < cte->n_aliascolnames && (int)k < res->ncols; k++)
				res->cols[k].name = arena_strdup(tr->a, pgn_str(cte->aliascolnames[k]));
			tr->scope->ctes[tr->scope->nctes++] = res;
		}
		if (i)
			buf_put_str(out, ", ");
		pgs_put_ident(out, cte->ctename);
		TRel body;
		Buf bb;
		buf_init(&bb);
		Scope inner = {.parent = tr->scope};
		Scope *saved = tr->scope;
		tr->scope = &inner;
		bool ok = tr_select(tr, q, &bb, &body);
		tr->scope = saved;
		if (!ok) {
			buf_cleanup(&bb);
			return false;
		}
		for (size_t k = 0; k < cte->n_aliascolnames && (int)k < body.ncols; k++)
			body.cols[k].name = arena_strdup(tr->a, pgn_str(cte->aliascolnames[k]));
		buf_put_u8(out, '(');
		for (int k = 0; k < body.ncols; k++) {
			if (k)
				buf_put_str(out, ", ");
			pgs_put_ident(out, body.cols[k].name);
		}
		buf_put_str(out, ") AS (");
		tr_put_buf(out, &bb);
		buf_put_u8(out, ')');
		buf_cleanup(&bb);
		if (!(w->recursive && q->op == PG_QUERY__SET_OPERATION__SETOP_UNION)) {
			*res = body;
			res->alias = arena_strdup(tr->a, cte->ctename);
			tr->scope->ctes[tr->scope->nctes++] = res;
		}
	}
	buf_put_u8(out, ' ');
	return true;
}

/* Target entries that a target-list set-returning function was swapped
 * out of, to put back after translation (the tree is the caller's). */
typedef struct SrfSwap {
	int n;
	struct {
		PgQuery__ResTarget *rt;
		PgQuery__Node *val;
		char *name;
	} at[16];
} SrfSwap;

/* What a target-list set-returning function gives per element. */
typedef enum SrfKind {
	SRF_ELEMENT,   /* unnest(x), (_pg_expandarray(x)).x */
	SRF_SUBSCRIPT, /* generate_subscripts(x, 1), (_pg_expandarray(x)).n */
	SRF_RECORD,    /* information_schema._pg_expandarray(x): the record (x, n) */
} SrfKind;

/* A call unnest(x), generate_subscripts(x, 1) or
 * information_schema._pg_expandarray(x) (or a field x or n of the last)
 * standing as a target entry: its array argument, else NULL. */
static Node *srf_array(const Node *n, SrfKind *kind)
{
	const char *field = NULL;
	if (n && n->node_case == PG_QUERY__NODE__NODE_A_INDIRECTION && n->a_indirection->n_indirection == 1 &&
	    n->a_indirection->indirection[0]->node_case == PG_QUERY__NODE__NODE_STRING) {
		field = n->a_indirection->indirection[0]->string->sval;
		n = n->a_indirection->arg;
	}
	if (!n || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return NULL;
	const PgQuery__FuncCall *f = n->func_call;
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	if (strcmp(name, "_pg_expandarray") == 0 && f->n_args == 1) {
		if (field && strcmp(field, "x") != 0 && strcmp(field, "n") != 0)
			return NULL;
		*kind = !field ? SRF_RECORD : field[0] == 'x' ? SRF_ELEMENT : SRF_SUBSCRIPT;
		return f->args[0];
	}
	if (field)
		return NULL;
	*kind = strcmp(name, "generate_subscripts") == 0 ? SRF_SUBSCRIPT : SRF_ELEMENT;
	if (strcmp(name, "unnest") == 0 && f->n_args == 1)
		return f->args[0];
	if (*kind == SRF_SUBSCRIPT && f->n_args == 2 && f->args[1]->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    f->args[1]->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL && f->args[1]->a_const->ival->ival == 1)
		return f->args[0];
	return NULL;
}

/* _dosql_srf.field */
static Node *srf_column(Tr *tr, const char *field)
{
	PgQuery__ColumnRef *c = arena_alloc(tr->a, sizeof(*c));
	*c = (PgQuery__ColumnRef)PG_QUERY__COLUMN_REF__INIT;
	c->n_fields = 2;
	c->fields = arena_alloc(tr->a, sizeof(Node *) * 2);
	c->fields[0] = pgn_string(tr->a, "_dosql_srf");
	c->fields[1] = pgn_string(tr->a, field);
	c->location = -1;
	Node *n = arena_alloc(tr->a, sizeof(*n));
	*n = (Node)PG_QUERY__NODE__INIT;
	n->node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	n->column_ref = c;
	return n;
}

/*
 * A set-returning call (tr_series_call) standing as target entries (all the same call, of
 * an ungrouped query without aggregates): the call joins the FROM items as
 * LATERAL f(...) AS _dosql_srf(value) and the entries read
 * _dosql_srf.value.  -1 when there is none.
 */
static int target_series(Tr *tr, PgQuery__SelectStmt *s, Buf *from, SrfSwap *sw)
{
	Node *call = NULL;
	for (size_t i = 0; i < s->n_target_list; i++) {
		Node *x = tr_series_call(s->target_list[i]->res_target->val);
		if (x && call && !pgn_equal(&call->base, &x->base))
			return tr_unsupported(tr, -1, "different set-returning functions in the select list") ? 1 : 0;
		call = x ? x : call;
	}
	if (!call)
		return -1;
	if (s->n_group_clause || s->having_clause || tr_targets_aggregate(s))
		return tr_unsupported(tr, -1, "set-returning functions in the select list of a grouped query") ? 1 : 0;
	Node *items[1] = {call};
	PgQuery__List l = PG_QUERY__LIST__INIT;
	l.n_items = 1;
	l.items = items;
	Node ln = PG_QUERY__NODE__INIT;
	ln.node_case = PG_QUERY__NODE__NODE_LIST;
	ln.list = &l;
	Node *fns[1] = {&ln};
	Node *cols[1] = {pgn_string(tr->a, "value")};
	PgQuery__Alias al = PG_QUERY__ALIAS__INIT;
	al.aliasname = "_dosql_srf";
	al.n_colnames = 1;
	al.colnames = cols;
	PgQuery__RangeFunction rf = PG_QUERY__RANGE_FUNCTION__INIT;
	rf.lateral = true;
	rf.n_functions = 1;
	rf.functions = fns;
	rf.alias = &al;
	Node rn = PG_QUERY__NODE__INIT;
	rn.node_case = PG_QUERY__NODE__NODE_RANGE_FUNCTION;
	rn.range_function = &rf;
	buf_put_str(from, from->len ? ", " : "");
	if (!tr_from_item(tr, &rn, from))
		return 0;
	for (size_t i = 0; i < s->n_target_list && sw->n < 16; i++) {
		PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		if (!tr_series_call(rt->val))
			continue;
		sw->at[sw->n].rt = rt;
		sw->at[sw->n].val = rt->val;
		sw->at[sw->n].name = rt->name;
		sw->n++;
		if (!pgn_has_str(rt->name))
			rt->name = (char *)pgn_str(call->func_call->funcname[call->func_call->n_funcname - 1]);
		rt->val = srf_column(tr, "value");
	}
	return 1;
}

/*
 * unnest(x) and generate_subscripts(x, 1) in the select list, over one
 * array x (PostgreSQL runs such functions in lockstep, one row per
 * element): x's elements join the FROM items as json_each(...) AS
 * _dosql_srf, and the calls become _dosql_srf.value cast to the element
 * type and _dosql_srf.key + 1.  The swapped target entries are in *sw.
 */
static bool target_srfs(Tr *tr, PgQuery__SelectStmt *s, Buf *from, SrfSwap *sw)
{
	Node *arr = NULL;
	SrfKind sub;
	int nsrf = 0;
	sw->n = 0;
	for (size_t i = 0; i < s->n_target_list; i++) {
		Node *x = srf_array(s->target_list[i]->res_target->val, &sub);
		if (!x)
			continue;
		if (arr && !pgn_equal(&arr->base, &x->base))
			return tr_unsupported(tr, -1, "set-returning functions over different arrays in the select list");
		if (++nsrf > 16)
			return tr_unsupported(tr, -1, "more than 16 set-returning functions in the select list");
		arr = x;
	}
	if (!arr) {
		int series = target_series(tr, s, from, sw);
		return series != 0;
	}
	if (s->n_group_clause || s->having_clause)
		return tr_unsupported(tr, -1, "set-returning functions in the select list of a grouped query");
	Buf ab;
	TType at;
	buf_init(&ab);
	bool ok = tr_expr(tr, arr, &ab, &at);
	const PgType *t = ok ? pgt_by_oid(at.oid) : NULL;
	if (ok && (!t || t->category != 'A' || !t->elem_oid))
		ok = tr_fail(tr, "42883", -1, "function unnest(%s) does not exist", t ? t->name : "unknown");
	if (ok) {
		buf_put_str(from, from->len ? ", " : "");
		buf_put_str(from, "json_each(pg_array_json(");
		tr_put_buf(from, &ab);
		buf_put_str(from, ")) AS _dosql_srf");
		TRel *r = arena_alloc(tr->a, sizeof(*r));
		memset(r, 0, sizeof(*r));
		r->alias = "_dosql_srf";
		r->ncols = 2;
		r->cols = arena_alloc(tr->a, sizeof(TCol) * 2);
		memset(r->cols, 0, sizeof(TCol) * 2);
		r->cols[0].name = "value";
		r->cols[0].type = PGT_TEXT;
		r->cols[0].typmod = -1;
		r->cols[1].name = "key";
		r->cols[1].type = PGT_INT4;
		r->cols[1].typmod = -1;
		ok = tr_scope_add(tr, r, -1);
	}
	buf_cleanup(&ab);
	for (size_t i = 0; ok && i < s->n_target_list; i++) {
		PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		if (!srf_array(rt->val, &sub))
			continue;
		sw->at[sw->n].rt = rt;
		sw->at[sw->n].val = rt->val;
		sw->at[sw->n].name = rt->name;
		sw->n++;
		if (!pgn_has_str(rt->name)) {
			bool expand = sw->at[sw->n - 1].val->node_case == PG_QUERY__NODE__NODE_A_INDIRECTION;
			rt->name = arena_strdup(tr->a, sub == SRF_RECORD ? "_pg_expandarray"
						       : expand		? (sub == SRF_SUBSCRIPT ? "n" : "x")
						       : sub == SRF_SUBSCRIPT ? "generate_subscripts"
									      : "unnest");
		}
		Node *value = pgn_cast(tr->a, srf_column(tr, "value"), pgt_by_oid(t->elem_oid)->name, -1);
		Node *ord = pgn_binary(tr->a, PG_QUERY__A__EXPR__KIND__AEXPR_OP, "+", srf_column(tr, "key"),
				       pgn_integer(tr->a, 1));
		if (sub == SRF_RECORD) {
			/* the record (x, n) as PostgreSQL writes it: "(3,1)" */
			Node *rec = pgn_call(tr->a, "_dosql_record2", pgn_text(tr->a, "(%s,%d)", 7));
			PgQuery__FuncCall *f = rec->func_call;
			f->n_args = 3;
			Node **args = arena_alloc(tr->a, sizeof(Node *) * 3);
			args[0] = f->args[0];
			args[1] = value;
			args[2] = ord;
			f->args = args;
			rt->val = rec;
		} else {
			rt->val = sub == SRF_SUBSCRIPT ? ord : value;
		}
	}
	return ok;
}

/* Put back the target entries target_srfs swapped. */
static void srf_restore(SrfSwap *sw)
{
	for (int i = 0; i < sw->n; i++) {
		sw->at[i].rt->val = sw->at[i].val;
		sw->at[i].rt->name = sw->at[i].name;
	}
	sw->n = 0;
}

/* GROUP BY an output (by name or position) that is numeric: the output's
 * alias as a grouping key, when the alias names nothing in FROM. */
static bool group_output_key(Tr *tr, const TRel *res, int i, Buf *out)
{
	if (res->cols[i].type != PGT_NUMERIC || in_scope(tr, res->cols[i].name) || tr->positional)
		return false;
	Buf e;
	TType t;
	buf_init(&e);
	pgs_put_ident(&e, res->cols[i].name);
	tr_ttype_set(&t, PGT_NUMERIC, res->cols[i].typmod);
	tr_put_group_key(out, &e, &t);
	buf_cleanup(&e);
	return true;
}

static bool simple_select_in(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res);

/* A SELECT without set operations; OVER names refer to its WINDOW clause. */
static bool simple_select(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res)
{
	const PgQuery__SelectStmt *outer = tr->win_select;
	tr->win_select = s;
	bool ok = simple_select_in(tr, s, out, res);
	tr->win_select = outer;
	return ok;
}

static bool simple_select_in(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res)
{
	if (s->into_clause)
		return tr_unsupported(tr, -1, "SELECT INTO");
	buf_put_str(out, "SELECT ");
	if (s->n_distinct_clause && !tr_is_distinct_on(s)) {
		buf_put_str(out, "DISTINCT ");
		tr->distinct_outputs = true;
	}
	/* FROM first: the targets are resolved against it */
	Buf from;
	buf_init(&from);
	for (size_t i = 0; i < s->n_from_clause; i++) {
		if (i)
			buf_put_str(&from, ", ");
		if (!tr_from_item(tr, s->from_clause[i], &from)) {
			buf_cleanup(&from);
			return false;
		}
	}
	SrfSwap sw;
	/* HAVING makes the SELECT one group, even without aggregates */
	if (s->having_clause && !s->n_group_clause)
		tr->agg_outputs = true;
	bool listed = target_srfs(tr, s, &from, &sw) && tr_group_check(tr, s) &&
		      tr_target_list(tr, s->n_target_list, s->target_list, out, res, tr->positional == s) &&
		      (!tr_is_distinct_on(s) || tr_distinct_on_targets(tr, s, out)) &&
		      (!tr->gs_sorted || tr_sort_targets(tr, s, out));
	srf_restore(&sw);
	if (!listed) {
		buf_cleanup(&from);
		return false;
	}
	if (from.len) {
		buf_put_str(out, " FROM ");
		tr_put_buf(out, &from);
	}
	buf_cleanup(&from);
	Buf b;
	TType t;
	buf_init(&b);
	bool ok = true;
	if (s->where_clause)
		ok = tr_bool_clause(tr, " WHERE ", s->where_clause, out);
	if (ok && s->n_group_clause) {
		buf_put_str(out, " GROUP BY ");
		for (size_t i = 0; i < s->n_group_clause && ok; i++) {
			Node *g = s->group_clause[i];
			const char *name;
			if (i)
				buf_put_str(out, ", ");
			if (g->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
				ok = tr_unsupported(tr, -1, "GROUPING SETS / ROLLUP / CUBE");
			} else if (g->node_case == PG_QUERY__NODE__NODE_A_CONST &&
				   g->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
				int pos = g->a_const->ival->ival;
				if (pos < 1 || pos > res->ncols)
					ok = tr_fail(tr, "42P10", g->a_const->location,
						     "GROUP BY position %d is not in select list", pos);
				else if (!group_output_key(tr, res, pos - 1, out))
					buf_printf(out, "%d", pos);
			} else if (is_output_name(tr, g, res, &name) && !in_scope(tr, name)) {
				if (!group_output_key(tr, res, output_index(res, name), out))
					pgs_put_ident(out, name);
			} else {
				buf_reset(&b);
				ok = tr_expr(tr, g, &b, &t);
				if (ok) {
					tr_settle(tr, &b, &t);
					tr_put_group_key(out, &b, &t);
				}
			}
		}
	}
	if (ok && s->having_clause)
		ok = tr_bool_clause(tr, " HAVING ", s->having_clause, out);
	if (ok && s->n_window_clause)
		ok = tr_window_clause(tr, s, out);
	buf_cleanup(&b);
	return ok;
}

/* VALUES: each column takes the common type of all its rows, as
 * PostgreSQL resolves it (VALUES (1), (2.5) is numeric). */
static bool values_select(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res)
{
	size_t nrows = s->n_values_lists, width = s->values_lists[0]->list->n_items;
	for (size_t r = 1; r < nrows; r++)
		if (s->values_lists[r]->list->n_items != width)
			return tr_fail(tr, "42601", -1, "VALUES lists must all be the same length");
	Buf *bs = calloc(nrows * width + 1, sizeof(Buf));
	TType *ts = calloc(nrows * width + 1, sizeof(TType));
	Node **col = calloc(nrows, sizeof(Node *));
	int cap = 0;
	bool ok = bs && ts && col;
	if (!ok)
		tr_fail(tr, "53200", -1, "out of memory");
	size_t done = 0; /* columns whose buffers are initialised */
	for (size_t c = 0; c < width && ok; c++, done++) {
		for (size_t r = 0; r < nrows; r++)
			col[r] = s->values_lists[r]->list->items[c];
		ok = tr_common_args(tr, nrows, col, -1, &bs[c * nrows], &ts[c * nrows]) != 0;
		if (ok) {
			char name[32];
			snprintf(name, sizeof(name), "column%zu", c + 1);
			result_add(tr, res, &cap, name, &ts[c * nrows], 0, 0);
		}
	}
	if (ok) {
		buf_put_str(out, "VALUES ");
		for (size_t r = 0; r < nrows; r++) {
			buf_put_str(out, r ? ", (" : "(");
			for (size_t c = 0; c < width; c++) {
				if (c)
					buf_put_str(out, ", ");
				tr_put_buf(out, &bs[c * nrows + r]);
			}
			buf_put_u8(out, ')');
		}
	}
	for (size_t i = 0; bs && i < done * nrows; i++)
		buf_cleanup(&bs[i]);
	free(bs);
	free(ts);
	free(col);
	return ok && !tr->failed;
}

/* Rewrite arm (SQL in sql, outputs in rel) so that each output has the
 * type types[i]: the arm becomes a subquery over a CTE that names its
 * columns, its outputs cast where the type differs, under the first arm's
 * names (the compound's).  A numeric output the compound compares (all
 * but UNION ALL) becomes its text under the collation pg_numeric, so that
 * 1.5 and 1.50 are one value there, as in PostgreSQL; an interval output
 * compares under pg_interval ('1 day' = '24:00:00'). */
static bool cast_arm(Tr *tr, const TRel *rel, const TRel *names, const uint32_t *types, bool dedup, Buf *sql)
{
	Buf w, col;
	buf_init(&w);
	buf_init(&col);
	buf_put_str(&w, "SELECT * FROM (WITH \"_u\"(");
	for (int i = 0; i < rel->ncols; i++)
		buf_printf(&w, "%s\"_u%d\"", i ? ", " : "", i);
	buf_put_str(&w, ") AS (");
	tr_put_buf(&w, sql);
	buf_put_str(&w, ") SELECT ");
	for (int i = 0; i < rel->ncols; i++) {
		TType t;
		tr_ttype_set(&t, rel->cols[i].type, rel->cols[i].typmod);
		buf_reset(&col);
		buf_printf(&col, "\"_u%d\"", i);
		if (!tr_coerce(tr, &col, &t, types[i], -1, -1))
			break;
		buf_printf(&w, "%s", i ? ", " : "");
		if (dedup && types[i] == PGT_NUMERIC) {
			buf_put_str(&w, "pg_numtext(");
			tr_put_buf(&w, &col);
			buf_printf(&w, ", %d) COLLATE pg_numeric", rel->cols[i].type == types[i] ? (int)rel->cols[i].typmod : -1);
		} else if (dedup && types[i] == PGT_INTERVAL) {
			tr_put_buf(&w, &col);
			buf_put_str(&w, " COLLATE pg_interval");
		} else if (pgt_value_collation(types[i])) {
			/* dates and timestamps in time order, jsonb and arrays by value */
			tr_put_buf(&w, &col);
			buf_printf(&w, " COLLATE %s", pgt_value_collation(types[i]));
		} else {
			tr_put_buf(&w, &col);
		}
		buf_put_str(&w, " AS ");
		pgs_put_ident(&w, names->cols[i].name);
	}
	buf_put_str(&w, " FROM \"_u\")");
	buf_reset(sql);
	tr_put_buf(sql, &w);
	buf_cleanup(&w);
	buf_cleanup(&col);
	return !tr->failed;
}

/* Whether values of type t can be equal with different texts (1.5 and
 * 1.50, '1 day' and '24:00:00'): compared under a collation by value. */
static bool by_value(uint32_t t)
{
	return t == PGT_NUMERIC || t == PGT_INTERVAL;
}

/*
 * The output types of UNION, INTERSECT or EXCEPT as PostgreSQL resolves
 * them: an untyped literal or NULL takes the other arm's type, numeric
 * types promote (int < numeric < float8); an arm whose outputs differ from
 * those types has them cast, and when the compound compares rows (dedup:
 * all but UNION ALL) its numeric outputs compare by value (cast_arm).  res
 * gets the first arm's names and the resolved types.
 */
static bool setop_types(Tr *tr, TRel armres[2], Buf armsql[2], bool dedup, TRel *res)
{
	int n = armres[0].ncols;
	uint32_t *types = arena_alloc(tr->a, sizeof(uint32_t) * (size_t)(n + 1));
	bool cast[2] = {false, false};
	*res = armres[0];
	res->cols = arena_alloc(tr->a, sizeof(TCol) * (size_t)(n + 1));
	if (n > 0) /* SELECT with no outputs has no columns at all */
		memcpy(res->cols, armres[0].cols, sizeof(TCol) * (size_t)n);
	for (int i = 0; i < n; i++) {
		const TCol *a = &armres[0].cols[i], *b = &armres[1].cols[i];
		uint32_t t = a->type;
		if (a->untyped && !b->untyped)
			t = b->type;
		else if (!a->untyped && !b->untyped && a->type != b->type)
			t = tr_common_of(a->type, b->type);
		types[i] = t;
		for (int k = 0; k < 2; k++)
			if (armres[k].cols[i].type != t || (dedup && by_value(t)))
				cast[k] = true;
		res->cols[i].type = t;
		res->cols[i].untyped = a->untyped && b->untyped;
		if (t != a->type || a->typmod != b->typmod)
			res->cols[i].typmod = -1;
		res->cols[i].table_oid = 0;
		res->cols[i].attnum = 0;
	}
	for (int k = 0; k < 2; k++)
		if (cast[k] && !cast_arm(tr, &armres[k], &armres[0], types, dedup, &armsql[k]))
			return false;
	return true;
}

static bool has_by_value_output(const TRel *res)
{
	for (int i = 0; i < res->ncols; i++)
		if (by_value(res->cols[i].type))
			return true;
	return false;
}

/* "_s0", "_s1", ...: the columns of a compound's arms in put_setop. */
static void put_positional(Buf *out, int ncols, const char *prefix)
{
	for (int i = 0; i < ncols; i++)
		buf_printf(out, "%s%s\"_s%d\"", i ? ", " : "", prefix, i);
}

/*
 * The compound of the two arms (types resolved by setop_types).  UNION of
 * rows with a numeric or interval output keeps the first of equal rows, as
 * PostgreSQL does (SQLite's UNION keeps the last, and 1.5 and 1.50 are
 * equal but shown differently): DISTINCT over UNION ALL.  SQLite has no INTERSECT
 * ALL or EXCEPT ALL: each row is numbered among its equals in its arm,
 * and the numbered rows meet by INTERSECT or EXCEPT.
 */
static void put_setop(Buf *out, PgQuery__SelectStmt *s, const char *opname, Buf armsql[2], const TRel *res)
{
	if (s->all && s->op != PG_QUERY__SET_OPERATION__SETOP_UNION) {
		int n = res->ncols ? res->ncols : 1; /* the one output of a SELECT without any */
		buf_put_str(out, "SELECT * FROM (WITH \"_a\"(");
		put_positional(out, n, "");
		buf_put_str(out, ") AS (");
		tr_put_buf(out, &armsql[0]);
		buf_put_str(out, "), \"_b\"(");
		put_positional(out, n, "");
		buf_put_str(out, ") AS (");
		tr_put_buf(out, &armsql[1]);
		buf_put_str(out, ") SELECT ");
		for (int i = 0; i < res->ncols; i++) {
			buf_printf(out, "%s\"_s%d\" AS ", i ? ", " : "", i);
			pgs_put_ident(out, res->cols[i].name);
		}
		if (!res->ncols)
			buf_put_str(out, "NULL");
		for (int k = 0; k < 2; k++) {
			if (k)
				buf_printf(out, " %s SELECT ", opname);
			else
				buf_put_str(out, " FROM (SELECT ");
			put_positional(out, n, "");
			buf_put_str(out, ", row_number() OVER (PARTITION BY ");
			put_positional(out, n, "");
			buf_printf(out, ") AS \"_rn\" FROM \"_%c\"", k ? 'b' : 'a');
		}
		buf_put_str(out, "))");
		return;
	}
	bool first_kept = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION && !s->all && has_by_value_output(res);
	if (first_kept)
		buf_put_str(out, "SELECT DISTINCT * FROM (");
	tr_put_buf(out, &armsql[0]);
	if (first_kept)
		buf_put_str(out, " UNION ALL ");
	else
		buf_printf(out, " %s %s", opname, s->all ? "ALL " : "");
	tr_put_buf(out, &armsql[1]);
	if (first_kept)
		buf_put_u8(out, ')');
}

static bool needs_wrap(PgQuery__SelectStmt *s)
{
	return s->n_sort_clause || s->limit_count || s->limit_offset || s->with_clause;
}

/* Window calls (arg[0]), aggregate calls (arg[1]) and subqueries (arg[2])
 * at this level. */
static bool has_window(const ProtobufCMessage *m, void *arg)
{
	((bool *)arg)[2] |= m->descriptor == &pg_query__sub_link__descriptor;
	if (m->descriptor == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
		((bool *)arg)[0] |= f->over != NULL;
		((bool *)arg)[1] |= !f->over && tr_is_aggregate(pgn_str(f->funcname[f->n_funcname - 1]));
	}
	return m->descriptor != &pg_query__sub_link__descriptor;
}

/* GROUP BY with GROUPING SETS, ROLLUP or CUBE: the UNION ALL of one grouped
 * SELECT per set (translate_group.c), each over its own scope. */
static bool grouping_sets_select(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res)
{
	bool calls[3] = {false, false, false}; /* window, aggregate, subquery */
	for (size_t i = 0; i < s->n_target_list; i++)
		pgn_walk(&s->target_list[i]->base, has_window, calls);
	if (s->having_clause)
		pgn_walk(&s->having_clause->base, has_window, calls);
	if (calls[0] || calls[2] || s->n_distinct_clause)
		return tr_unsupported(tr, -1, "window functions, subqueries or DISTINCT with grouping sets");
	TrGSets *gs = tr_grouping_sets(tr, s);
	if (!gs)
		return false;
	size_t ngroup = s->n_group_clause;
	Node **group = s->group_clause;
	bool ok = true;
	for (int i = 0; i < tr_grouping_sets_count(gs) && ok; i++) {
		Scope inner = {.parent = tr->scope->parent};
		inner.nctes = tr->scope->nctes;
		memcpy(inner.ctes, tr->scope->ctes, sizeof(inner.ctes));
		Scope *saved = tr->scope;
		tr->scope = &inner;
		tr->gs = gs;
		tr_grouping_set_use(gs, i, &s->n_group_clause, &s->group_clause);
		/* the empty set without aggregates is one group, even of no rows */
		tr->agg_outputs = !s->n_group_clause && !calls[1];
		TRel arm;
		if (i)
			buf_put_str(out, " UNION ALL ");
		ok = simple_select(tr, s, out, i ? &arm : res);
		tr->scope = saved;
	}
	tr_grouping_set_use(gs, -1, NULL, NULL);
	s->n_group_clause = ngroup;
	s->group_clause = group;
	return ok;
}

static bool select_stmt(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res);

bool tr_select(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res)
{
	TrGSets *outer = tr->gs; /* a subquery has its own grouping */
	bool sorted = tr->gs_sorted;
	tr->gs = NULL;
	tr->gs_sorted = false;
	bool ok = select_stmt(tr, s, out, res);
	tr->gs = outer;
	tr->gs_sorted = sorted;
	return ok;
}

static bool select_stmt(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *res)
{
	memset(res, 0, sizeof(*res));
	if (s->n_locking_clause) {
		/* FOR UPDATE/SHARE: SQLite transactions are serializable; nothing to lock */
	}
	if (s->with_clause && !tr_with_clause(tr, s->with_clause, out))
		return false;
	bool ok;
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE && s->op != PG_QUERY__SET_OPERATION__SET_OPERATION_UNDEFINED) {
		PgQuery__SelectStmt *arms[2] = {s->larg, s->rarg};
		TRel armres[2];
		Buf armsql[2];
		buf_init(&armsql[0]);
		buf_init(&armsql[1]);
		ok = true;
		for (int i = 0; i < 2 && ok; i++) {
			Scope inner = {.parent = tr->scope->parent};
			inner.nctes = tr->scope->nctes;
			memcpy(inner.ctes, tr->scope->ctes, sizeof(inner.ctes));
			Scope *saved = tr->scope;
			tr->scope = &inner;
			bool wrap = needs_wrap(arms[i]) || arms[i]->op > PG_QUERY__SET_OPERATION__SETOP_NONE;
			if (wrap)
				buf_put_str(&armsql[i], "SELECT * FROM (");
			ok = tr_select(tr, arms[i], &armsql[i], &armres[i]);
			if (wrap)
				buf_put_u8(&armsql[i], ')');
			tr->scope = saved;
		}
		const char *opname = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION	? "UNION"
				     : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT ? "INTERSECT"
											  : "EXCEPT";
		if (ok && armres[0].ncols != armres[1].ncols)
			ok = tr_fail(tr, "42601", -1, "each %s query must have the same number of columns", opname);
		if (ok)
			ok = setop_types(tr, armres, armsql, s->op != PG_QUERY__SET_OPERATION__SETOP_UNION || !s->all, res);
		if (ok)
			put_setop(out, s, opname, armsql, res);
		buf_cleanup(&armsql[0]);
		buf_cleanup(&armsql[1]);
		if (!ok)
			return false;
	} else if (s->n_values_lists) {
		ok = values_select(tr, s, out, res);
	} else if (tr_has_grouping_sets(s) && !s->n_sort_clause) {
		ok = grouping_sets_select(tr, s, out, res);
	} else if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES) {
		if (!s->n_sort_clause)
			return tr_fail(tr, "42601", -1, "WITH TIES cannot be specified without ORDER BY clause");
		if (tr_has_grouping_sets(s) || tr_is_distinct_on(s))
			return tr_unsupported(tr, -1, "FETCH ... WITH TIES with GROUPING SETS or DISTINCT ON");
		if (s->limit_count && s->limit_count->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    s->limit_count->a_const->isnull)
			return tr_fail(tr, "2201W", -1, "row count cannot be null in FETCH FIRST ... WITH TIES clause");
		Buf inner;
		buf_init(&inner);
		tr->gs_sorted = true; /* the sort keys as hidden outputs */
		ok = simple_select(tr, s, &inner, res);
		tr->gs_sorted = false;
		ok = ok && tr_ties_wrap(tr, s, res, &inner, out);
		buf_cleanup(&inner);
		return ok && !tr->failed;
	} else if (tr_has_grouping_sets(s) || tr_is_distinct_on(s)) {
		/* ordered by hidden outputs the arms (or the SELECT) compute */
		bool gsets = tr_has_grouping_sets(s);
		Buf inner;
		buf_init(&inner);
		tr->gs_sorted = gsets;
		ok = gsets ? grouping_sets_select(tr, s, &inner, res) : simple_select(tr, s, &inner, res);
		tr->gs_sorted = false;
		if (ok)
			tr_sorted_wrap(tr, s, res, !gsets, &inner, out);
		buf_cleanup(&inner);
		ok = ok && limit_clause(tr, s, out);
		buf_put_u8(out, ')');
		return ok && !tr->failed;
	} else {
		ok = simple_select(tr, s, out, res);
	}
	bool compound = s->op > PG_QUERY__SET_OPERATION__SETOP_NONE;
	if (ok && s->n_sort_clause && compound && has_keyed_output(res)) {
		/* SQLite orders a compound SELECT only by its outputs as they
		 * are: a numeric output sorts by its order key from outside */
		tr_wrap(out, "SELECT * FROM (", ")");
		compound = false;
	}
	if (ok && s->n_sort_clause)
		ok = sort_clause(tr, s->n_sort_clause, s->sort_clause, res, compound, compound ? NULL : s, out);
	if (ok)
		ok = limit_clause(tr, s, out);
	return ok && !tr->failed;
}

/* ------------------------------------------------------------ entry points */

static void tr_init(Tr *tr, const PgsTranslateCtx *ctx, PgwError *err, Scope *top)
{
	memset(tr, 0, sizeof(*tr));
	memset(top, 0, sizeof(*top));
	tr->ctx = ctx;
	tr->err = err;
	tr->a = ctx->arena;
	tr->scope = top;
	tr->ptypes = arena_alloc(ctx->arena, sizeof(uint32_t) * (PGS_MAX_PARAMS + 1));
}

bool tr_run(const PgsTranslateCtx *ctx, PgwError *err, bool (*fn)(Tr *tr, void *arg), void *arg)
{
	Tr tr;
	Scope top;
	tr_init(&tr, ctx, err, &top);
	return fn(&tr, arg) && !tr.failed;
}

/* A SELECT holding constant expressions the planner would fold evaluates
 * them before its rows (translate_constfold.c): SQLite computes a LIMIT
 * before anything else of its SELECT (-1: no limit). */
static bool fold_first(Tr *tr, PgQuery__Node *stmt, Buf *out)
{
	Buf checks;
	buf_init(&checks);
	bool ok = tr_fold_checks(tr, stmt, &checks);
	if (ok && checks.len) {
		tr_wrap(out, "SELECT * FROM (", ") LIMIT -pg_fold_ok(");
		tr_put_buf(out, &checks);
		buf_put_u8(out, ')');
	}
	buf_cleanup(&checks);
	return ok;
}

bool pgs_translate(const PgsTranslateCtx *ctx, PgQuery__Node *stmt, PgsQuery *q, PgwError *err)
{
	Tr tr;
	Scope top;
	TRel res;
	Buf out;
	bool ok;

	tr_init(&tr, ctx, err, &top);
	memset(q, 0, sizeof(*q));
	memset(&res, 0, sizeof(res));
	buf_init(&out);
	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		q->kind = PGS_Q_SELECT;
		ok = tr_select(&tr, stmt->select_stmt, &out, &res) && fold_first(&tr, stmt, &out);
		q->returns_rows = true;
		break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		q->kind = PGS_Q_INSERT;
		ok = tr_insert_stmt(&tr, stmt->insert_stmt, &out, &res);
		q->returns_rows = stmt->insert_stmt->n_returning_list > 0;
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		q->kind = PGS_Q_UPDATE;
		ok = tr_update_stmt(&tr, stmt->update_stmt, &out, &res);
		q->returns_rows = stmt->update_stmt->n_returning_list > 0;
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		q->kind = PGS_Q_DELETE;
		ok = tr_delete_stmt(&tr, stmt->delete_stmt, &out, &res);
		q->returns_rows = stmt->delete_stmt->n_returning_list > 0;
		break;
	default:
		ok = tr_unsupported(&tr, -1, "this statement");
		break;
	}
	if (ok && out.failed)
		ok = tr_fail(&tr, "53200", -1, "out of memory");
	if (ok) {
		q->sql = arena_strndup(ctx->arena, (const char *)out.data, out.len);
		q->catalog = tr.catalog;
		q->ncols = res.ncols;
		q->cols = arena_alloc(ctx->arena, sizeof(PgsResultCol) * (size_t)(res.ncols + 1));
		for (int i = 0; i < res.ncols; i++) {
			q->cols[i].name = res.cols[i].name;
			q->cols[i].type = res.cols[i].type;
			q->cols[i].typmod = res.cols[i].typmod;
			q->cols[i].table_oid = res.cols[i].table_oid;
			q->cols[i].attnum = res.cols[i].attnum;
		}
		q->nparams = tr.nparams > ctx->nparams_in ? tr.nparams : ctx->nparams_in;
		q->param_types = arena_alloc(ctx->arena, sizeof(uint32_t) * (size_t)(q->nparams + 1));
		for (int i = 0; i < q->nparams; i++)
			q->param_types[i] = tr.ptypes[i + 1] ? tr.ptypes[i + 1] : PGT_TEXT;
	}
	buf_cleanup(&out);
	return ok;
}

bool pgs_translate_expr(const PgsTranslateCtx *ctx, const PgsTable *table, PgQuery__Node *e, Buf *out, uint32_t *type,
			PgwError *err)
{
	Tr tr;
	Scope top;
	TType t;
	tr_init(&tr, ctx, err, &top);
	tr.expr_only = true;
	if (table) {
		TRel *r = tr_rel_from_table(&tr, table, table->name);
		r->unqualified = true;
		tr_scope_add(&tr, r, -1);
	}
	if (!tr_expr(&tr, e, out, &t))
		return false;
	tr_settle(&tr, out, &t);
	*type = t.oid;
	return !tr.failed;
}
