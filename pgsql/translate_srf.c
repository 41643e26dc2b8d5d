/*
 * translate_srf.c - set-returning functions in FROM over the subscripts of
 * one-dimensional arrays: unnest(a, b, ...) of several arrays (a row per
 * subscript up to the longest, NULL past the end of the shorter ones) and
 * generate_subscripts(a, dim [, reverse]), and string_to_table(s, delim [,
 * null]) as the unnest of string_to_array, all as pg_generate_series
 * over the subscripts, so their arguments may read the FROM items before
 * them; and which set-returning calls the select list takes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

/* Argument i of f, which must be an array (an untyped literal is text[]),
 * into b; its element type into *elem. */
static bool array_arg(Tr *tr, PgQuery__FuncCall *f, const char *name, size_t i, Buf *b, uint32_t *elem)
{
	TType t;
	if (!tr_expr(tr, f->args[i], b, &t))
		return false;
	if ((t.unknown || t.param > 0) && !tr_coerce(tr, b, &t, PGT_TEXTARRAY, -1, f->location))
		return false;
	const PgType *pt = pgt_by_oid(t.oid);
	if (!pt || pt->category != 'A' || !pt->elem_oid)
		return tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name, tr_type_name(t.oid));
	*elem = pt->elem_oid;
	return true;
}

/* string_to_array(the arguments of f) into b, a text[]. */
static bool string_array(Tr *tr, PgQuery__FuncCall *f, Buf *b, uint32_t *elem)
{
	PgQuery__FuncCall fc = *f;
	Node *fname[1] = {pgn_string(tr->a, "string_to_array")};
	fc.funcname = fname;
	fc.n_funcname = 1;
	Node n = PG_QUERY__NODE__INIT;
	n.node_case = PG_QUERY__NODE__NODE_FUNC_CALL;
	n.func_call = &fc;
	buf_init(b);
	TType t;
	*elem = PGT_TEXT;
	return tr_expr(tr, &n, b, &t);
}

/* Column k of r: its name (the alias's, else dflt), type and expression. */
static void srf_column(Tr *tr, PgQuery__RangeFunction *rf, TRel *r, const char *dflt, uint32_t type, const char *expr)
{
	int k = r->ncols++;
	TCol *c = &r->cols[k];
	memset(c, 0, sizeof(*c));
	c->name = arena_strdup(tr->a, rf->alias && (size_t)k < rf->alias->n_colnames ? pgn_str(rf->alias->colnames[k])
										  : dflt);
	c->type = type;
	c->typmod = -1;
	c->expr = arena_strdup(tr->a, expr);
}

/* generate_subscripts: the series bounds for array a, dimension d and
 * (when given) reverse r into out. */
static void subscript_bounds(Buf *out, const char *a, const char *d, const char *r)
{
	Buf n;
	buf_init(&n);
	buf_printf(&n, "(CASE WHEN %s = 1 THEN coalesce(pg_array_upper(%s, 1), 0) ELSE 0 END)", d, a);
	if (r)
		buf_printf(out, "CASE WHEN %s THEN %s ELSE 1 END, CASE WHEN %s THEN 1 ELSE %s END, CASE WHEN %s THEN -1 ELSE 1 END",
			   r, buf_cstr(&n), r, buf_cstr(&n), r);
	else
		buf_printf(out, "1, %s", buf_cstr(&n));
	buf_cleanup(&n);
}

int tr_srf_subscripts(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out)
{
	bool stt = strcmp(name, "string_to_table") == 0 && (f->n_args == 2 || f->n_args == 3);
	bool unnest = (strcmp(name, "unnest") == 0 && f->n_args >= 2) || stt;
	bool subs = strcmp(name, "generate_subscripts") == 0 && (f->n_args == 2 || f->n_args == 3);
	if (!unnest && !subs)
		return -1;
	if (f->n_args > 16)
		return tr_unsupported(tr, f->location, "unnest of more than 16 arrays") ? 1 : 0;
	Buf args[16];
	uint32_t elems[16];
	bool ok = true;
	size_t nb = 0;
	size_t narrays = stt ? 1 : f->n_args;
	if (stt) /* string_to_table(s, delim [, null]): the elements of string_to_array */
		ok = string_array(tr, f, &args[nb++], &elems[0]);
	for (; !stt && nb < f->n_args && ok; nb++) {
		buf_init(&args[nb]);
		TType t;
		if (unnest || nb == 0)
			ok = array_arg(tr, f, name, nb, &args[nb], &elems[nb]);
		else
			ok = tr_expr(tr, f->args[nb], &args[nb], &t) &&
			     tr_coerce(tr, &args[nb], &t, nb == 1 ? PGT_INT4 : PGT_BOOL, -1, f->location);
	}
	TRel *r = arena_alloc(tr->a, sizeof(*r));
	r->alias = arena_strdup(tr->a, rf->alias && pgn_has_str(rf->alias->aliasname) ? rf->alias->aliasname : name);
	r->cols = arena_alloc(tr->a, sizeof(TCol) * (f->n_args + 2));
	Buf e, q;
	buf_init(&e);
	buf_init(&q);
	if (ok) {
		buf_put_str(out, "pg_generate_series(");
		if (subs) {
			subscript_bounds(out, buf_cstr(&args[0]), buf_cstr(&args[1]), f->n_args == 3 ? buf_cstr(&args[2]) : NULL);
		} else {
			/* max() of one argument would be the aggregate */
			buf_put_str(out, narrays > 1 ? "1, max(" : "1, (");
			for (size_t i = 0; i < narrays; i++)
				buf_printf(out, "%scoalesce(pg_cardinality(%s), 0)", i ? ", " : "", buf_cstr(&args[i]));
			buf_put_u8(out, ')');
		}
		buf_put_u8(out, ')');
		tr_put_from_alias(tr, r, out);
		pgs_put_ident(&q, r->emit ? r->emit : r->alias);
		for (size_t i = 0; i < (unnest ? narrays : 1); i++) {
			buf_reset(&e);
			if (unnest)
				buf_printf(&e, "pg_subscript(%s, %s.value, 1)", buf_cstr(&args[i]), buf_cstr(&q));
			else
				buf_printf(&e, "%s.value", buf_cstr(&q));
			srf_column(tr, rf, r, unnest && !stt ? name : r->alias, unnest ? elems[i] : PGT_INT4, buf_cstr(&e));
		}
		if (rf->ordinality) {
			buf_reset(&e);
			buf_printf(&e, "%s.rowid", buf_cstr(&q));
			srf_column(tr, rf, r, "ordinality", PGT_INT8, buf_cstr(&e));
		}
	}
	for (size_t i = 0; i < nb; i++)
		buf_cleanup(&args[i]);
	buf_cleanup(&e);
	buf_cleanup(&q);
	return ok && !tr->failed && tr_scope_add(tr, r, -1) ? 1 : 0;
}

/* Whether a message is a call of an aggregate (arg: found). */
static bool find_aggregate(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
		if (!f->over && (f->agg_star || pgs_is_aggregate(pgn_str(f->funcname[f->n_funcname - 1]))))
			*(bool *)arg = true;
	}
	return true;
}

bool tr_targets_aggregate(const PgQuery__SelectStmt *s)
{
	bool agg = false;
	for (size_t i = 0; i < s->n_target_list && !agg; i++)
		pgn_walk(&s->target_list[i]->res_target->val->base, find_aggregate, &agg);
	return agg;
}

/* The set-returning functions of one output column the select list takes
 * (translate_stmt.c: target_series), with their numbers of arguments. */
static const struct {
	const char *name;
	size_t min, max;
} list_srfs[] = {
	{"generate_series", 2, 3},     {"regexp_matches", 2, 3},	 {"regexp_split_to_table", 2, 3},
	{"json_object_keys", 1, 1},    {"jsonb_object_keys", 1, 1},	 {"json_array_elements", 1, 1},
	{"jsonb_array_elements", 1, 1}, {"json_array_elements_text", 1, 1}, {"jsonb_array_elements_text", 1, 1},
};

Node *tr_series_call(Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_FUNC_CALL || n->func_call->over)
		return NULL;
	const PgQuery__FuncCall *f = n->func_call;
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	for (size_t i = 0; i < sizeof(list_srfs) / sizeof(list_srfs[0]); i++)
		if (strcmp(name, list_srfs[i].name) == 0 && f->n_args >= list_srfs[i].min && f->n_args <= list_srfs[i].max)
			return n;
	return NULL;
}
