/*
 * translate_jsonb.c - the json(b) operators ?, ?|, ?&, @>, <@, #>, #>>, -
 * and #- as calls of the functions of pgtype_jsonb.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

typedef struct JsonbOp {
	const char *op;
	const char *fn;
	uint32_t right;	 /* the right operand's type */
	uint32_t result; /* 0: the left operand's type */
	bool json_too;	 /* defined for json as well as jsonb */
} JsonbOp;

static const JsonbOp ops[] = {
	{"?", "pg_jsonb_exists", PGT_TEXT, PGT_BOOL, false},
	{"?|", "pg_jsonb_exists_any", PGT_TEXTARRAY, PGT_BOOL, false},
	{"?&", "pg_jsonb_exists_all", PGT_TEXTARRAY, PGT_BOOL, false},
	{"@>", "pg_jsonb_contains", PGT_JSONB, PGT_BOOL, false},
	{"<@", "pg_jsonb_contains", PGT_JSONB, PGT_BOOL, false},
	{"#>", "pg_json_path", PGT_TEXTARRAY, 0, true},
	{"#>>", "pg_json_path", PGT_TEXTARRAY, PGT_TEXT, true},
	{"#-", "pg_jsonb_delete_path", PGT_TEXTARRAY, PGT_JSONB, false},
	{"-", "pg_jsonb_delete_keys", PGT_TEXT, PGT_JSONB, false},
};

static const JsonbOp *find_op(const char *op)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			return &ops[i];
	return NULL;
}

static bool is_json(uint32_t t)
{
	return t == PGT_JSON || t == PGT_JSONB;
}

static bool open_type(const TType *t)
{
	return t->unknown || t->param > 0;
}

bool tr_jsonb_op_applies(const char *op, const TType *lt, const TType *rt)
{
	if ((strcmp(op, "@@") == 0 || strcmp(op, "@?") == 0) && (lt->oid == PGT_JSONB || rt->oid == PGT_JSONB))
		return true; /* refused by tr_jsonb_op */
	const JsonbOp *o = find_op(op);
	if (!o)
		return false;
	if (strcmp(op, "-") == 0)
		return lt->oid == PGT_JSONB && !open_type(lt);
	if (o->right == PGT_JSONB)
		return (lt->oid == PGT_JSONB && !open_type(lt)) || (rt->oid == PGT_JSONB && !open_type(rt));
	return is_json(lt->oid) || open_type(lt);
}

static bool no_operator(Tr *tr, const char *op, const TType *lt, const char *rname, int loc)
{
	return tr_fail(tr, "42883", loc, "operator does not exist: %s %s %s", tr_type_name(lt->oid), op, rname);
}

/* A text array operand as the JSON array the functions read. */
static void put_texts(Buf *out, Buf *b, uint32_t oid)
{
	if (oid == PGT_TEXTARRAY) {
		buf_put_str(out, "pg_array_json(");
		tr_put_buf(out, b);
		buf_put_u8(out, ')');
	} else {
		buf_put_str(out, "json_array(");
		tr_put_buf(out, b);
		buf_put_u8(out, ')');
	}
}

/* The call for l op r (tr_jsonb_op_applies said it is one of these). */
bool tr_jsonb_op(Tr *tr, const char *op, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty)
{
	const JsonbOp *o = find_op(op);
	if (!o)
		return tr_unsupported(tr, loc, "jsonpath (the operators @@ and @?)");
	bool minus = strcmp(op, "-") == 0;
	const char *rname = rt->unknown ? "unknown" : tr_type_name(rt->oid);
	if (o->json_too && lt->unknown)
		return tr_fail(tr, "42725", loc, "operator is not unique: unknown %s %s", op, rname);
	if (open_type(lt) && !tr_coerce(tr, lb, lt, PGT_JSONB, -1, loc))
		return false;
	if (minus && !open_type(rt) && tr_is_int_type(rt->oid)) {
		buf_put_str(out, "pg_jsonb_delete_index(");
		tr_put_buf(out, lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, rb);
		buf_put_u8(out, ')');
		tr_ttype_set(ty, PGT_JSONB, -1);
		return true;
	}
	uint32_t right = minus && rt->oid == PGT_TEXTARRAY && !open_type(rt) ? PGT_TEXTARRAY : o->right;
	if (open_type(rt) && !tr_coerce(tr, rb, rt, right, -1, loc))
		return false;
	bool right_ok = right == PGT_TEXT ? tr_is_text_type(rt->oid) : rt->oid == right;
	if (!right_ok || (!o->json_too && lt->oid != PGT_JSONB))
		return no_operator(tr, op, lt, rname, loc);
	bool swap = strcmp(op, "<@") == 0;
	buf_printf(out, "%s(", o->fn);
	tr_put_buf(out, swap ? rb : lb);
	buf_put_str(out, ", ");
	if (right == PGT_JSONB)
		tr_put_buf(out, swap ? lb : rb);
	else if (o->right == PGT_TEXTARRAY || minus)
		put_texts(out, rb, rt->oid);
	else
		tr_put_buf(out, rb);
	if (o->result == 0 || o->result == PGT_TEXT)
		buf_printf(out, ", %d", o->result == PGT_TEXT);
	buf_put_u8(out, ')');
	tr_ttype_set(ty, o->result ? o->result : lt->oid, -1);
	return !tr->failed;
}

/*
 * The json(b) functions.  args: one letter per argument, J jsonb, j json,
 * T text, A text[], B boolean, V any value (to JSON by its type);
 * '*' repeats the letter before it.  sql: the call, %1..%9 the arguments
 * (A as pg_array_json), %v the value arguments as ", oid, value" each, %p
 * the text arguments as a JSON array; a missing optional argument is its
 * default (dflt, by position).
 */
typedef struct JsonFunc {
	const char *name;
	const char *args;
	int min;
	uint32_t result;
	const char *sql;
	const char *dflt[4];
} JsonFunc;

static const JsonFunc json_funcs[] = {
	{"jsonb_typeof", "J", 1, PGT_TEXT, "pg_json_typeof(%1)", {0}},
	{"json_typeof", "j", 1, PGT_TEXT, "pg_json_typeof(%1)", {0}},
	{"jsonb_array_length", "J", 1, PGT_INT4, "pg_json_array_length(%1, 1)", {0}},
	{"json_array_length", "j", 1, PGT_INT4, "pg_json_array_length(%1, 0)", {0}},
	{"jsonb_strip_nulls", "J", 1, PGT_JSONB, "pg_json_strip_nulls(%1, 0)", {0}},
	{"json_strip_nulls", "j", 1, PGT_JSON, "pg_json_strip_nulls(%1, 1)", {0}},
	{"jsonb_pretty", "J", 1, PGT_TEXT, "pg_jsonb_pretty(%1)", {0}},
	{"jsonb_set", "JAJB", 3, PGT_JSONB, "pg_jsonb_set(%1, %2, %3, %4, 0)", {0, 0, 0, "1"}},
	{"jsonb_insert", "JAJB", 3, PGT_JSONB, "pg_jsonb_set(%1, %2, %3, 1, CASE WHEN %4 THEN 2 ELSE 1 END)",
	 {0, 0, 0, "0"}},
	{"to_jsonb", "V", 1, PGT_JSONB, "pg_to_json(1%v)", {0}},
	{"to_json", "V", 1, PGT_JSON, "pg_to_json(0%v)", {0}},
	{"jsonb_build_array", "V*", 0, PGT_JSONB, "pg_json_build(1, 0%v)", {0}},
	{"json_build_array", "V*", 0, PGT_JSON, "pg_json_build(0, 0%v)", {0}},
	{"jsonb_build_object", "V*", 0, PGT_JSONB, "pg_json_build(1, 1%v)", {0}},
	{"jsonb_extract_path", "JT*", 1, PGT_JSONB, "pg_json_path(%1, %p, 0)", {0}},
	{"jsonb_extract_path_text", "JT*", 1, PGT_TEXT, "pg_json_path(%1, %p, 1)", {0}},
	{"json_extract_path", "jT*", 1, PGT_JSON, "pg_json_path(%1, %p, 0)", {0}},
	{"json_extract_path_text", "jT*", 1, PGT_TEXT, "pg_json_path(%1, %p, 1)", {0}},
	{"jsonb_exists", "JT", 2, PGT_BOOL, "pg_jsonb_exists(%1, %2)", {0}},
	{"jsonb_exists_any", "JA", 2, PGT_BOOL, "pg_jsonb_exists_any(%1, %2)", {0}},
	{"jsonb_exists_all", "JA", 2, PGT_BOOL, "pg_jsonb_exists_all(%1, %2)", {0}},
	{"jsonb_contains", "JJ", 2, PGT_BOOL, "pg_jsonb_contains(%1, %2)", {0}},
	{"jsonb_contained", "JJ", 2, PGT_BOOL, "pg_jsonb_contains(%2, %1)", {0}},
	{"jsonb_delete", "JT", 2, PGT_JSONB, "pg_jsonb_delete_keys(%1, json_array(%2))", {0}},
	{"jsonb_delete_path", "JA", 2, PGT_JSONB, "pg_jsonb_delete_path(%1, %2)", {0}},
	{"json_object", "AA", 1, PGT_JSON, "pg_json_object(%1, %2, 0)", {0, "'pairs'"}},
	{"jsonb_object", "AA", 1, PGT_JSONB, "pg_json_object(%1, %2, 1)", {0, "'pairs'"}},
};

static uint32_t letter_type(char c)
{
	switch (c) {
	case 'J':
		return PGT_JSONB;
	case 'j':
		return PGT_JSON;
	case 'T':
		return PGT_TEXT;
	case 'A':
		return PGT_TEXTARRAY;
	case 'B':
		return PGT_BOOL;
	default:
		return 0;
	}
}

/* The letter of argument i of spec args. */
static char arg_letter(const char *args, size_t i)
{
	size_t n = strlen(args);
	if (i < n && args[i] != '*')
		return args[i];
	return n >= 2 && args[n - 1] == '*' ? args[n - 2] : 0;
}

/* Write call sql with the translated arguments bs/ts/letters (n). */
static void put_json_call(const JsonFunc *jf, Buf *bs, TType *ts, const char *letters, size_t n, Buf *out)
{
	for (const char *p = jf->sql; *p; p++) {
		if (*p != '%') {
			buf_put_u8(out, (uint8_t)*p);
			continue;
		}
		p++;
		if (*p == 'v') {
			for (size_t i = 0; i < n; i++)
				if (letters[i] == 'V') {
					buf_printf(out, ", %u, ", ts[i].oid);
					tr_put_buf(out, &bs[i]);
				}
			continue;
		}
		if (*p == 'p') {
			buf_put_str(out, "json_array(");
			for (size_t i = 1, k = 0; i < n; i++)
				if (letters[i] == 'T') {
					buf_put_str(out, k++ ? ", " : "");
					tr_put_buf(out, &bs[i]);
				}
			buf_put_u8(out, ')');
			continue;
		}
		size_t i = (size_t)(*p - '1');
		if (i < n && letters[i] == 'A')
			put_texts(out, &bs[i], PGT_TEXTARRAY);
		else if (i < n)
			tr_put_buf(out, &bs[i]);
		else
			buf_put_str(out, jf->dflt[i] ? jf->dflt[i] : "NULL");
	}
}

/*
 * jsonb_set_lax(target, path, new_value [, create_if_missing [,
 * null_value_treatment]]), by position or name: jsonb_set when new_value is
 * not NULL, else as null_value_treatment says (use_json_null, delete_key,
 * return_target, raise_exception).
 */
static bool jsonb_set_lax(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty)
{
	static const char *const names[] = {"jsonb_in", "path", "replacement", "create_if_missing",
					    "null_value_treatment"};
	static const uint32_t types[] = {PGT_JSONB, PGT_TEXTARRAY, PGT_JSONB, PGT_BOOL, PGT_TEXT};
	Node *args[5];
	if (!tr_named_args(f, names, 5, args) || !args[0] || !args[1] || !args[2])
		return tr_fail(tr, "42883", f->location, "function jsonb_set_lax with these arguments does not exist");
	Buf b[5];
	bool ok = true;
	for (int i = 0; i < 5; i++) {
		buf_init(&b[i]);
		TType t;
		if (!args[i]) {
			buf_put_str(&b[i], i == 3 ? "1" : "'use_json_null'");
			continue;
		}
		ok = ok && tr_expr(tr, args[i], &b[i], &t) && (t.oid == types[i] || tr_coerce(tr, &b[i], &t, types[i], -1, f->location));
	}
	if (ok) {
		Buf path;
		buf_init(&path);
		put_texts(&path, &b[1], PGT_TEXTARRAY);
		const char *t = buf_cstr(&b[0]), *p = buf_cstr(&path), *c = buf_cstr(&b[3]), *nv = buf_cstr(&b[4]);
		buf_printf(out,
			   "CASE WHEN (%s) IS NULL OR (%s) IS NULL THEN NULL WHEN (%s) IS NOT NULL THEN pg_jsonb_set(%s, %s, %s,"
			   " %s, 0) WHEN (%s) = 'use_json_null' THEN pg_jsonb_set(%s, %s, 'null', %s, 0) WHEN (%s) ="
			   " 'delete_key' THEN pg_jsonb_delete_path(%s, %s) WHEN (%s) = 'return_target' THEN %s WHEN (%s) ="
			   " 'raise_exception' THEN pg_domain_fail('22004', 'JSON value must not be null') ELSE"
			   " pg_domain_fail('22023', 'null_value_treatment must be \"delete_key\", \"return_target\","
			   " \"use_json_null\", or \"raise_exception\"') END",
			   t, p, buf_cstr(&b[2]), t, p, buf_cstr(&b[2]), c, nv, t, p, c, nv, t, p, nv, t, nv);
		buf_cleanup(&path);
		tr_ttype_set(ty, PGT_JSONB, -1);
	}
	for (int i = 0; i < 5; i++)
		buf_cleanup(&b[i]);
	return ok && !tr->failed;
}

bool tr_json_func_name(const char *name)
{
	if (strcmp(name, "jsonb_set_lax") == 0)
		return true;
	for (size_t i = 0; i < sizeof(json_funcs) / sizeof(json_funcs[0]); i++)
		if (strcmp(json_funcs[i].name, name) == 0)
			return true;
	return false;
}

/* The kind of element pg_json_variadic takes for an array of elem. */
static char variadic_kind(uint32_t elem)
{
	if (elem == PGT_BOOL)
		return 'b';
	return tr_is_numeric_type(elem) ? 'n' : 's';
}

int tr_json_variadic(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty)
{
	static const char *const builds[] = {"json_build_array", "jsonb_build_array", "json_build_object",
					     "jsonb_build_object"};
	int style = -1;
	for (int i = 0; i < 4; i++)
		if (strcmp(name, builds[i]) == 0)
			style = i;
	bool path = strstr(name, "_extract_path") != NULL;
	if ((style < 0 && !path) || f->n_args != (path ? 2u : 1u))
		return tr_unsupported(tr, f->location, "VARIADIC in a call of this json function") ? 1 : 0;
	Buf ab, jb;
	TType at, jt;
	buf_init(&ab);
	buf_init(&jb);
	bool ok = tr_expr(tr, f->args[f->n_args - 1], &ab, &at);
	if (ok && open_type(&at))
		ok = tr_coerce(tr, &ab, &at, PGT_TEXTARRAY, -1, f->location);
	const PgType *t = ok ? pgt_by_oid(at.oid) : NULL;
	if (ok && (!t || t->category != 'A' || !t->elem_oid))
		ok = tr_fail(tr, "42804", f->location, "VARIADIC argument must be an array");
	if (ok && path) {
		uint32_t want = name[4] == 'b' ? PGT_JSONB : PGT_JSON;
		ok = tr_expr(tr, f->args[0], &jb, &jt) &&
		     (jt.oid == want || tr_coerce(tr, &jb, &jt, want, -1, f->location));
		buf_put_str(out, "pg_json_path(");
		tr_put_buf(out, &jb);
		buf_put_str(out, ", pg_array_json(");
		tr_put_buf(out, &ab);
		buf_printf(out, "), %d)", strstr(name, "_text") ? 1 : 0);
		tr_ttype_set(ty, strstr(name, "_text") ? PGT_TEXT : want, -1);
	} else if (ok) {
		buf_printf(out, "pg_json_variadic(%d, pg_array_json(", style);
		tr_put_buf(out, &ab);
		buf_printf(out, "), '%c')", variadic_kind(t->elem_oid));
		tr_ttype_set(ty, style % 2 ? PGT_JSONB : PGT_JSON, -1);
	}
	buf_cleanup(&ab);
	buf_cleanup(&jb);
	return ok && !tr->failed ? 1 : 0;
}

int tr_json_func(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty)
{
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	if (strcmp(name, "jsonb_set_lax") == 0 && !f->over && !f->agg_star && !f->func_variadic)
		return jsonb_set_lax(tr, f, out, ty) ? 1 : 0;
	const JsonFunc *jf = NULL;
	for (size_t i = 0; i < sizeof(json_funcs) / sizeof(json_funcs[0]) && !jf; i++)
		if (strcmp(json_funcs[i].name, name) == 0)
			jf = &json_funcs[i];
	if (!jf || f->over || f->agg_star || f->n_agg_order || f->agg_filter)
		return -1;
	if (f->func_variadic)
		return tr_json_variadic(tr, f, name, out, ty);
	size_t n = f->n_args, max = strchr(jf->args, '*') ? 100 : strlen(jf->args);
	if ((int)n < jf->min || n > max)
		return tr_fail(tr, "42883", f->location, "function %s with %zu arguments does not exist", name, n) ? 1 : 0;
	bool object = strcmp(name, "jsonb_build_object") == 0;
	if (object && n % 2)
		return tr_fail(tr, "22023", f->location, "argument list must have even number of elements") ? 1 : 0;
	Buf *bs = calloc(n + 1, sizeof(Buf));
	TType *ts = calloc(n + 1, sizeof(TType));
	char *letters = calloc(n + 1, 1);
	bool ok = bs && ts && letters;
	size_t done = 0;
	for (; ok && done < n; done++) {
		buf_init(&bs[done]);
		letters[done] = arg_letter(jf->args, done);
		uint32_t want = letter_type(letters[done]);
		ok = tr_expr(tr, f->args[done], &bs[done], &ts[done]);
		/* to_json(anyelement): an untyped literal has no type to resolve */
		if (ok && letters[done] == 'V' && max == 1 && ts[done].unknown)
			ok = tr_fail(tr, "42804", -1,
				     "could not determine polymorphic type because input has type unknown");
		if (ok && want && (open_type(&ts[done]) || ts[done].oid != want) &&
		    !(want == PGT_TEXT && tr_is_text_type(ts[done].oid)))
			ok = open_type(&ts[done]) || (want == PGT_JSON && ts[done].oid == PGT_JSONB)
				     ? tr_coerce(tr, &bs[done], &ts[done], want, -1, f->location)
				     : tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name,
					       tr_type_name(ts[done].oid));
		if (ok && !want)
			tr_settle(tr, &bs[done], &ts[done]);
		if (ok && object && done % 2 == 0 && !tr_json_key_type(ts[done].oid))
			ok = tr_fail(tr, "22023", f->location, "key value must be scalar, not array, composite, or json");
	}
	if (ok)
		put_json_call(jf, bs, ts, letters, n, out);
	tr_ttype_set(ty, jf->result, -1);
	for (size_t i = 0; bs && i < done; i++)
		buf_cleanup(&bs[i]);
	free(bs);
	free(ts);
	free(letters);
	return ok && !tr->failed ? 1 : 0;
}

/* The set-returning json(b) functions of FROM: what the argument must be
 * ('o' object, 'a' array) and their columns. */
typedef struct JsonSrf {
	const char *name;
	char want;
	bool jsonb, text, keys_only;
} JsonSrf;

static const JsonSrf json_srfs[] = {
	{"jsonb_each", 'o', true, false, false},	   {"jsonb_each_text", 'o', true, true, false},
	{"json_each", 'o', false, false, false},	   {"json_each_text", 'o', false, true, false},
	{"jsonb_array_elements", 'a', true, false, false}, {"jsonb_array_elements_text", 'a', true, true, false},
	{"json_array_elements", 'a', false, false, false}, {"json_array_elements_text", 'a', false, true, false},
	{"jsonb_object_keys", 'o', true, true, true},	   {"json_object_keys", 'o', false, true, true},
};

/* Add column name of type oid, emitted as expr, to r. */
static void srf_col(Tr *tr, TRel *r, const char *name, uint32_t oid, const char *expr)
{
	TCol *c = &r->cols[r->ncols++];
	memset(c, 0, sizeof(*c));
	c->name = arena_strdup(tr->a, name);
	c->type = oid;
	c->typmod = -1;
	c->expr = arena_strdup(tr->a, expr);
}

int tr_json_from(Tr *tr, PgQuery__RangeFunction *rf, Buf *out)
{
	PgQuery__List *l = rf->n_functions == 1 ? rf->functions[0]->list : NULL;
	Node *fn = l && l->n_items ? l->items[0] : NULL;
	if (!fn || fn->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return -1;
	PgQuery__FuncCall *f = fn->func_call;
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	const JsonSrf *js = NULL;
	for (size_t i = 0; i < sizeof(json_srfs) / sizeof(json_srfs[0]) && !js; i++)
		if (strcmp(json_srfs[i].name, name) == 0)
			js = &json_srfs[i];
	if (!js)
		return -1;
	if (f->n_args != 1 || rf->is_rowsfrom || rf->n_coldeflist)
		return tr_unsupported(tr, f->location, "this call of a json function in FROM") ? 1 : 0;
	Buf jb, e;
	TType jt;
	buf_init(&jb);
	buf_init(&e);
	uint32_t want = js->jsonb ? PGT_JSONB : PGT_JSON;
	bool ok = tr_expr(tr, f->args[0], &jb, &jt);
	if (ok && (open_type(&jt) || jt.oid != want))
		ok = open_type(&jt) || (want == PGT_JSON && jt.oid == PGT_JSONB)
			     ? tr_coerce(tr, &jb, &jt, want, -1, f->location)
			     : tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name, tr_type_name(jt.oid));
	TRel *r = arena_alloc(tr->a, sizeof(*r));
	const char *alias = rf->alias && pgn_has_str(rf->alias->aliasname) ? rf->alias->aliasname : name;
	r->alias = arena_strdup(tr->a, alias);
	r->cols = arena_alloc(tr->a, sizeof(TCol) * 3);
	if (ok) {
		buf_printf(out, "json_each(pg_json_check(%s, '%c', '%s'))", buf_cstr(&jb), js->want, name);
		tr_put_from_alias(tr, r, out);
		const char *q = r->emit ? r->emit : r->alias;
		Buf qi;
		buf_init(&qi);
		pgs_put_ident(&qi, q);
		if (js->keys_only || js->want == 'o') {
			buf_printf(&e, "%s.key", buf_cstr(&qi));
			srf_col(tr, r, js->keys_only ? name : "key", PGT_TEXT, buf_cstr(&e));
		}
		if (!js->keys_only) {
			buf_reset(&e);
			buf_printf(&e, "pg_json_member(%s, %s.key, %d)", buf_cstr(&jb), buf_cstr(&qi), js->text);
			srf_col(tr, r, "value", js->text ? PGT_TEXT : want, buf_cstr(&e));
		}
		if (rf->ordinality) {
			/* json_each numbers its rows from 0 */
			buf_reset(&e);
			buf_printf(&e, "(%s.rowid + 1)", buf_cstr(&qi));
			srf_col(tr, r, "ordinality", PGT_INT8, buf_cstr(&e));
		}
		buf_cleanup(&qi);
		for (size_t i = 0; rf->alias && i < rf->alias->n_colnames && (int)i < r->ncols; i++)
			r->cols[i].name = arena_strdup(tr->a, pgn_str(rf->alias->colnames[i]));
	}
	buf_cleanup(&jb);
	buf_cleanup(&e);
	return ok && !tr->failed && tr_scope_add(tr, r, -1) ? 1 : 0;
}

/* An array's elements compare equal exactly when their stored text does. */
static bool text_equality(uint32_t elem)
{
	return tr_is_int_type(elem) || tr_is_text_type(elem) || elem == PGT_BOOL || elem == PGT_DATE || elem == PGT_UUID ||
	       elem == PGT_OID;
}

bool tr_array_op(Tr *tr, const char *op, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty)
{
	const PgType *l = pgt_by_oid(lt->oid), *r = pgt_by_oid(rt->oid);
	bool larr = l && l->category == 'A' && !open_type(lt), rarr = r && r->category == 'A' && !open_type(rt);
	if (open_type(lt) && rarr && !tr_coerce(tr, lb, lt, rt->oid, -1, loc))
		return false;
	if (open_type(rt) && larr && !tr_coerce(tr, rb, rt, lt->oid, -1, loc))
		return false;
	if (lt->oid != rt->oid)
		return tr_fail(tr, "42883", loc, "operator does not exist: %s %s %s", tr_type_name(lt->oid), op,
			       tr_type_name(rt->oid));
	const PgType *t = pgt_by_oid(lt->oid);
	if (!t || !text_equality(t->elem_oid))
		return tr_unsupported(tr, loc, "array containment over this element type");
	bool swap = strcmp(op, "<@") == 0;
	buf_printf(out, "%s(", strcmp(op, "&&") == 0 ? "pg_array_overlap" : "pg_array_contains");
	tr_put_buf(out, swap ? rb : lb);
	buf_put_str(out, ", ");
	tr_put_buf(out, swap ? lb : rb);
	buf_put_u8(out, ')');
	tr_ttype_set(ty, PGT_BOOL, -1);
	return !tr->failed;
}

bool tr_json_key_type(uint32_t oid)
{
	const PgType *t = pgt_by_oid(oid);
	return !is_json(oid) && oid != PGT_RECORD && !(t && t->category == 'A');
}
