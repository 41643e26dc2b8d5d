/*
 * pgtype_jsonb.c - the jsonb operators that look inside a value: ?, ?|, ?&,
 * @>, <@, #>, #>>, - and #-.
 *
 * Values arrive as stored text (jsonb in its normalised form, json as
 * given; both valid).  A small scanner walks that text without building a
 * tree, so values keep their exact text (numbers as written); results are
 * made of the members kept, in jsonb's ", " / ": " form.  Text arrays
 * (keys, paths) arrive as the JSON array pg_array_json() makes of them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtype_int.h"

typedef struct JSpan {
	const char *p;
	size_t n;
} JSpan;

typedef struct JIter {
	const char *s;
	size_t n, i;
	bool obj;
} JIter;

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && is_ws(s[i]))
		i++;
	return i;
}

/* The end of the string whose opening quote is at s[i]. */
static size_t skip_str(const char *s, size_t n, size_t i)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < n ? i + 1 : n;
}

/* The end of the value that starts at s[i]. */
static size_t skip_val(const char *s, size_t n, size_t i)
{
	if (i >= n)
		return n;
	if (s[i] == '"')
		return skip_str(s, n, i);
	if (s[i] == '{' || s[i] == '[') {
		int depth = 0;
		while (i < n) {
			char c = s[i];
			if (c == '"') {
				i = skip_str(s, n, i);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return i + 1;
			i++;
		}
		return n;
	}
	while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}' && !is_ws(s[i]))
		i++;
	return i;
}

static JSpan trimmed(const char *s, size_t n)
{
	size_t a = skip_ws(s, n, 0), b = n;
	while (b > a && is_ws(s[b - 1]))
		b--;
	return (JSpan){s + a, b - a};
}

/* 'o' object, 'a' array, 's' string, 'n' number, or the first letter of
 * true, false, null. */
static char kind(JSpan v)
{
	if (!v.n)
		return 0;
	switch (v.p[0]) {
	case '{':
		return 'o';
	case '[':
		return 'a';
	case '"':
		return 's';
	case 't':
	case 'f':
	case 'u':
		return v.p[0];
	default:
		return v.p[0] == 'n' && v.n == 4 && memcmp(v.p, "null", 4) == 0 ? 'z' : 'n';
	}
}

/* Start iterating container v; false when v is a scalar. */
static bool jit_init(JIter *it, JSpan v)
{
	char k = kind(v);
	if (k != 'o' && k != 'a')
		return false;
	*it = (JIter){v.p, v.n, 1, k == 'o'};
	return true;
}

/* The next member (key span set for objects) or element; false at the end. */
static bool jit_next(JIter *it, JSpan *key, JSpan *val)
{
	const char *s = it->s;
	size_t n = it->n, i = skip_ws(s, n, it->i);
	if (i < n && s[i] == ',')
		i = skip_ws(s, n, i + 1);
	if (i >= n || s[i] == '}' || s[i] == ']')
		return false;
	if (it->obj) {
		size_t e = skip_str(s, n, i);
		*key = (JSpan){s + i, e - i};
		i = skip_ws(s, n, skip_ws(s, n, e) + 1);
	}
	size_t e = skip_val(s, n, i);
	*val = (JSpan){s + i, e - i};
	it->i = e;
	return true;
}

/* The decoded text of JSON string sp (a jansson value the caller
 * decrefs), NULL when it is not a string. */
static json_t *str_value(JSpan sp)
{
	json_t *j = json_loadb(sp.p, sp.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (j && !json_is_string(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Whether JSON string sp decodes to t[0..tn). */
static bool str_is(JSpan sp, const char *t, size_t tn)
{
	if (sp.n < 2 || sp.p[0] != '"')
		return false;
	if (!memchr(sp.p, '\\', sp.n))
		return sp.n - 2 == tn && memcmp(sp.p + 1, t, tn) == 0;
	json_t *j = str_value(sp);
	bool eq = j && json_string_length(j) == tn && memcmp(json_string_value(j), t, tn) == 0;
	json_decref(j);
	return eq;
}

static bool scalar_eq(JSpan a, JSpan b)
{
	char ka = kind(a), kb = kind(b);
	if (ka != kb)
		return false;
	if (a.n == b.n && memcmp(a.p, b.p, a.n) == 0)
		return true;
	if (ka == 's') {
		json_t *j = str_value(b);
		bool eq = j && str_is(a, json_string_value(j), json_string_length(j));
		json_decref(j);
		return eq;
	}
	if (ka == 'n') {
		char *ea, *eb;
		double x = strtod(a.p, &ea), y = strtod(b.p, &eb);
		return x == y;
	}
	return false;
}

/* Member key of object v, into *val; false when it has none. */
static bool member(JSpan v, JSpan key, JSpan *val)
{
	JIter it;
	JSpan k;
	if (!jit_init(&it, v) || !it.obj)
		return false;
	json_t *kj = str_value(key);
	bool found = false;
	JSpan e;
	/* the last of duplicate keys, as PostgreSQL's json operators find */
	while (kj && jit_next(&it, &k, &e))
		if (str_is(k, json_string_value(kj), json_string_length(kj))) {
			*val = e;
			found = true;
		}
	json_decref(kj);
	return found;
}

/* Whether l contains r, as jsonb @> decides: objects by their members,
 * arrays by their elements in any order, and (at the top only) an array
 * contains a scalar that is one of its elements. */
static bool contains(JSpan l, JSpan r, bool top)
{
	char lk = kind(l), rk = kind(r);
	JIter ri, li;
	JSpan rkey, rv, lkey, lv;
	if (rk == 'o') {
		if (lk != 'o')
			return false;
		jit_init(&ri, r);
		while (jit_next(&ri, &rkey, &rv)) {
			char vk = kind(rv);
			if (!member(l, rkey, &lv))
				return false;
			if (vk == 'o' || vk == 'a' ? kind(lv) != vk || !contains(lv, rv, false) : !scalar_eq(lv, rv))
				return false;
		}
		return true;
	}
	if (rk == 'a') {
		if (lk != 'a')
			return false;
		jit_init(&ri, r);
		while (jit_next(&ri, &rkey, &rv)) {
			char vk = kind(rv);
			bool found = false;
			jit_init(&li, l);
			while (!found && jit_next(&li, &lkey, &lv))
				found = vk == 'o' || vk == 'a' ? kind(lv) == vk && contains(lv, rv, false) : scalar_eq(lv, rv);
			if (!found)
				return false;
		}
		return true;
	}
	if (lk == 'a' && top) {
		jit_init(&li, l);
		while (jit_next(&li, &lkey, &lv))
			if (scalar_eq(lv, r))
				return true;
		return false;
	}
	return scalar_eq(l, r);
}

static JSpan arg_span(sqlite3_value *v)
{
	return trimmed((const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v));
}

static bool any_null(int argc, sqlite3_value **argv)
{
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return true;
	return false;
}

/* Whether jsonb v has key t as jsonb ? does: an object's key, a string
 * element of an array, or a string scalar. */
static bool has_key(JSpan v, const char *t, size_t tn)
{
	JIter it;
	JSpan k, e;
	if (!jit_init(&it, v))
		return str_is(v, t, tn);
	while (jit_next(&it, &k, &e))
		if (str_is(it.obj ? k : e, t, tn))
			return true;
	return false;
}

/* pg_jsonb_exists(j, key): j ? key. */
static void fn_exists(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	const char *t = (const char *)sqlite3_value_text(argv[1]);
	sqlite3_result_int(ctx, has_key(arg_span(argv[0]), t ? t : "", (size_t)sqlite3_value_bytes(argv[1])));
}

/* The text array argument v (as pg_array_json made it), or NULL after
 * setting an error. */
static json_t *arg_texts(sqlite3_context *ctx, sqlite3_value *v)
{
	json_t *a = json_loadb((const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v), JSON_ALLOW_NUL, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		pgt_result_error(ctx, "XX000", "malformed text array");
		return NULL;
	}
	return a;
}

/* pg_jsonb_exists_any(j, keys) / pg_jsonb_exists_all (user data non-NULL):
 * j ?| keys, j ?& keys; NULL keys are ignored. */
static void fn_exists_set(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	bool all = sqlite3_user_data(ctx) != NULL;
	if (any_null(argc, argv))
		return;
	json_t *keys = arg_texts(ctx, argv[1]), *k;
	size_t i;
	if (!keys)
		return;
	JSpan v = arg_span(argv[0]);
	bool res = all;
	json_array_foreach(keys, i, k)
	{
		if (!json_is_string(k))
			continue;
		if (has_key(v, json_string_value(k), json_string_length(k)) != all) {
			res = !all;
			break;
		}
	}
	json_decref(keys);
	sqlite3_result_int(ctx, res);
}

/* pg_jsonb_contains(a, b): a @> b (and b <@ a). */
static void fn_contains(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	sqlite3_result_int(ctx, contains(arg_span(argv[0]), arg_span(argv[1]), true));
}

/* Element idx of array v as PostgreSQL counts it (negative from the end). */
static bool element(JSpan v, long idx, JSpan *val)
{
	JIter it;
	JSpan k;
	long n = 0;
	if (!jit_init(&it, v) || it.obj)
		return false;
	if (idx < 0) {
		while (jit_next(&it, &k, val))
			n++;
		idx += n;
		if (idx < 0)
			return false;
		jit_init(&it, v);
	}
	for (long i = 0; jit_next(&it, &k, val); i++)
		if (i == idx)
			return true;
	return false;
}

/* A path element as an array index; false when it is not an integer. */
static bool path_index(const char *s, long *idx)
{
	char *end;
	errno = 0;
	*idx = strtol(s, &end, 10);
	return *s && !*end && errno == 0;
}

/* pg_json_path(j, path, as_text): j #> path, or j #>> path when as_text
 * (a string is its text, anything else its JSON text). */
static void fn_path(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	json_t *path = arg_texts(ctx, argv[1]), *e;
	size_t i;
	if (!path)
		return;
	JSpan v = arg_span(argv[0]);
	bool found = true;
	json_array_foreach(path, i, e)
	{
		JSpan key = {NULL, 0};
		long idx;
		char *dumped = json_is_string(e) ? json_dumps(e, JSON_ENCODE_ANY) : NULL;
		if (dumped)
			key = (JSpan){dumped, strlen(dumped)};
		if (!json_is_string(e))
			found = false;
		else if (kind(v) == 'o')
			found = member(v, key, &v);
		else
			found = path_index(json_string_value(e), &idx) && element(v, idx, &v);
		free(dumped);
		if (!found)
			break;
	}
	json_decref(path);
	if (!found)
		return;
	if (sqlite3_value_int(argv[2]) && kind(v) == 's') {
		json_t *s = str_value(v);
		if (s)
			sqlite3_result_text(ctx, json_string_value(s), (int)json_string_length(s), SQLITE_TRANSIENT);
		json_decref(s);
	} else if (sqlite3_value_int(argv[2]) && kind(v) == 'z') {
		sqlite3_result_null(ctx);
	} else {
		sqlite3_result_text(ctx, v.p, (int)v.n, SQLITE_TRANSIENT);
	}
}

/* Append member (key: val) or element val of a container being rebuilt. */
static void put_item(Buf *out, bool *first, const JSpan *key, JSpan val)
{
	if (!*first)
		buf_put_str(out, ", ");
	*first = false;
	if (key) {
		buf_put(out, key->p, key->n);
		buf_put_str(out, ": ");
	}
	buf_put(out, val.p, val.n);
}

static void result_buf(sqlite3_context *ctx, Buf *b)
{
	if (b->failed)
		pgt_result_error(ctx, "53200", "out of memory");
	else
		sqlite3_result_text(ctx, (const char *)b->data, (int)b->len, SQLITE_TRANSIENT);
}

/* Whether a member key or string element is one of keys. */
static bool in_keys(JSpan s, json_t *keys)
{
	json_t *k;
	size_t i;
	json_array_foreach(keys, i, k)
	{
		if (json_is_string(k) && str_is(s, json_string_value(k), json_string_length(k)))
			return true;
	}
	return false;
}

/* pg_jsonb_delete_keys(j, keys): j - key, j - keys[]: the members with
 * those keys, or the string elements equal to one of them, removed. */
static void fn_delete_keys(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	JSpan v = arg_span(argv[0]), k, e;
	JIter it;
	if (!jit_init(&it, v)) {
		pgt_result_error(ctx, "22023", "cannot delete from scalar");
		return;
	}
	json_t *keys = arg_texts(ctx, argv[1]);
	if (!keys)
		return;
	Buf out;
	buf_init(&out);
	bool first = true;
	buf_put_u8(&out, it.obj ? '{' : '[');
	while (jit_next(&it, &k, &e))
		if (!in_keys(it.obj ? k : e, keys))
			put_item(&out, &first, it.obj ? &k : NULL, e);
	buf_put_u8(&out, it.obj ? '}' : ']');
	json_decref(keys);
	result_buf(ctx, &out);
	buf_cleanup(&out);
}

/* pg_jsonb_delete_index(j, i): j - integer, element i of an array removed
 * (negative counts from the end). */
static void fn_delete_index(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	JSpan v = arg_span(argv[0]), k, e, found;
	JIter it;
	if (!jit_init(&it, v)) {
		pgt_result_error(ctx, "22023", "cannot delete from scalar");
		return;
	}
	if (it.obj) {
		pgt_result_error(ctx, "22023", "cannot delete from object using integer index");
		return;
	}
	long idx = (long)sqlite3_value_int64(argv[1]);
	bool hit = element(v, idx, &found), first = true;
	Buf out;
	buf_init(&out);
	buf_put_u8(&out, '[');
	while (jit_next(&it, &k, &e))
		if (!hit || e.p != found.p)
			put_item(&out, &first, NULL, e);
	buf_put_u8(&out, ']');
	result_buf(ctx, &out);
	buf_cleanup(&out);
}

/*
 * Append value v of type oid as to_json renders it: NULL as null, booleans
 * and finite numbers bare, json and jsonb as they are, timestamps in ISO
 * 8601 form ("T" between date and time, zone as +hh:mm), anything else as
 * the JSON string of its text output.  Arrays are refused.
 */
static bool json_value(Buf *b, sqlite3_value *v, uint32_t oid, const PgtFormat *fmt, PgtError *err)
{
	const PgType *t = pgt_by_oid(oid);
	if (sqlite3_value_type(v) == SQLITE_NULL) {
		buf_put_str(b, "null");
		return true;
	}
	if (oid == PGT_BOOL) {
		buf_put_str(b, sqlite3_value_int(v) ? "true" : "false");
		return true;
	}
	if (t && t->category == 'A')
		return pgt_fail(err, "0A000", "arrays in JSON building functions are not supported by DoSQL");
	Buf o;
	buf_init(&o);
	bool ok = pgt_out_text(&o, v, oid, -1, fmt, err);
	const char *s = buf_cstr(&o);
	if (!ok) {
		/* err is set */
	} else if (oid == PGT_JSON || oid == PGT_JSONB) {
		buf_put(b, o.data, o.len);
	} else if (t && t->category == 'N' && o.len && strspn(s, "0123456789+-.eE") == o.len) {
		buf_put(b, o.data, o.len);
	} else if (oid == PGT_TIMESTAMP || oid == PGT_TIMESTAMPTZ) {
		char *sp = strchr(s, ' ');
		if (sp)
			*sp = 'T';
		size_t n = o.len;
		bool short_zone = oid == PGT_TIMESTAMPTZ && n > 3 && (s[n - 3] == '+' || s[n - 3] == '-');
		buf_put_str(&o, short_zone ? ":00" : "");
		pgt_put_json_string(b, buf_cstr(&o), o.len);
	} else {
		pgt_put_json_string(b, s, o.len);
	}
	buf_cleanup(&o);
	return ok;
}

/* Set the result to the JSON text in b, normalised when jsonb. */
static void result_json(sqlite3_context *ctx, Buf *b, bool jsonb)
{
	PgtError err;
	Buf n;
	buf_init(&n);
	if (b->failed)
		pgt_result_error(ctx, "53200", "out of memory");
	else if (!jsonb)
		result_buf(ctx, b);
	else if (pgt_json_in((const char *)b->data, b->len, true, &n, &err))
		result_buf(ctx, &n);
	else
		pgt_result_error(ctx, err.sqlstate, err.msg);
	buf_cleanup(&n);
}

/* pg_to_json(jsonb, oid, v): to_json(v), to_jsonb(v). */
static void fn_to_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgtError err;
	if (sqlite3_value_type(argv[2]) == SQLITE_NULL)
		return;
	Buf b;
	buf_init(&b);
	if (json_value(&b, argv[2], (uint32_t)sqlite3_value_int64(argv[1]), sqlite3_user_data(ctx), &err))
		result_json(ctx, &b, sqlite3_value_int(argv[0]) != 0);
	else
		pgt_result_error(ctx, err.sqlstate, err.msg);
	buf_cleanup(&b);
}

/* pg_json_build(jsonb, object, oid1, v1, ...): json(b)_build_array and
 * jsonb_build_object (keys are the odd values, as text; NULL is 22004). */
static void fn_json_build(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	bool jsonb = sqlite3_value_int(argv[0]) != 0, object = sqlite3_value_int(argv[1]) != 0;
	PgtError err;
	Buf b;
	buf_init(&b);
	buf_put_u8(&b, object ? '{' : '[');
	bool ok = true;
	for (int i = 2, k = 0; i + 1 < argc && ok; i += 2, k++) {
		if (object && k % 2 == 0) {
			if (sqlite3_value_type(argv[i + 1]) == SQLITE_NULL) {
				ok = pgt_fail(&err, "22023", "argument %d: key must not be null", k + 1);
				break;
			}
			buf_put_str(&b, k ? ", " : "");
			pgt_put_json_string(&b, (const char *)sqlite3_value_text(argv[i + 1]), (size_t)sqlite3_value_bytes(argv[i + 1]));
			buf_put_str(&b, ": ");
			continue;
		}
		buf_put_str(&b, k && !object ? ", " : "");
		ok = json_value(&b, argv[i + 1], (uint32_t)sqlite3_value_int64(argv[i]), sqlite3_user_data(ctx), &err);
	}
	buf_put_u8(&b, object ? '}' : ']');
	if (ok)
		result_json(ctx, &b, jsonb);
	else
		pgt_result_error(ctx, err.sqlstate, err.msg);
	buf_cleanup(&b);
}

/* Element e (a JSON string or null, as pg_array_json writes it) as the
 * JSON value of an array element of kind 'n' (number), 'b' (bool) or
 * 's' (anything else, its text). */
static void variadic_value(Buf *b, JSpan e, char ek)
{
	bool str = e.n >= 2 && e.p[0] == '"';
	JSpan in = {e.p + 1, str ? e.n - 2 : 0};
	if (str && ek == 'b' && in.n == 1)
		buf_put_str(b, in.p[0] == 't' ? "true" : "false");
	else if (str && ek == 'n' && in.n && (isdigit((unsigned char)in.p[0]) || in.p[0] == '-'))
		buf_put(b, in.p, in.n);
	else
		buf_put(b, e.p, e.n);
}

/* pg_json_variadic(style, elems, kind): json(b)_build_array (style 0
 * json, 1 jsonb) and json(b)_build_object (2, 3) of VARIADIC arr, elems
 * being pg_array_json(arr) and kind the elements' ('n', 'b', 's'). */
static void fn_json_variadic(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	int style = sqlite3_value_int(argv[0]);
	bool object = style >= 2, jsonb = style % 2;
	const char *ek = (const char *)sqlite3_value_text(argv[2]);
	JIter it;
	JSpan k, e;
	int n = 0;
	if (!jit_init(&it, arg_span(argv[1])))
		return;
	while (jit_next(&it, &k, &e))
		n++;
	if (object && n % 2) {
		pgt_result_error(ctx, "22023", "argument list must have even number of elements");
		return;
	}
	Buf b;
	buf_init(&b);
	buf_put_u8(&b, object ? '{' : '[');
	jit_init(&it, arg_span(argv[1]));
	for (int i = 0; jit_next(&it, &k, &e); i++) {
		if (object && i % 2 == 0 && kind(e) != 's') {
			char m[64];
			snprintf(m, sizeof m, "argument %d cannot be null", i + 1);
			pgt_result_error(ctx, "22023", m);
			buf_cleanup(&b);
			return;
		}
		buf_put_str(&b, i == 0 ? "" : object && i % 2 ? (jsonb ? ": " : " : ") : ", ");
		variadic_value(&b, e, object && i % 2 == 0 ? 's' : ek ? ek[0] : 's');
	}
	buf_put_u8(&b, object ? '}' : ']');
	result_json(ctx, &b, jsonb);
	buf_cleanup(&b);
}

/* pg_json_typeof(j): json(b)_typeof. */
static void fn_typeof(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	static const char *const names[] = {"object", "array", "string", "number", "boolean", "null"};
	const char *k = strchr("oasnbz", kind(arg_span(argv[0])) == 't' || kind(arg_span(argv[0])) == 'f'
						 ? 'b'
						 : kind(arg_span(argv[0])));
	if (k && *k)
		sqlite3_result_text(ctx, names[k - "oasnbz"], -1, SQLITE_STATIC);
}

/* pg_json_array_length(j, jsonb). */
static void fn_array_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	JSpan v = arg_span(argv[0]), k, e;
	JIter it;
	if (!jit_init(&it, v) || it.obj) {
		bool jsonb = sqlite3_value_int(argv[1]) != 0;
		pgt_result_error(ctx, "22023",
				 jsonb ? "cannot get array length of a non-array"
				 : kind(v) == 'o' ? "cannot get array length of a non-array"
						 : "cannot get array length of a scalar");
		return;
	}
	int n = 0;
	while (jit_next(&it, &k, &e))
		n++;
	sqlite3_result_int(ctx, n);
}

/* pg_json_member(j, key, flags): the member key of an object or the
 * element (integer key) of an array, as JSON text or (flags bit 1) text;
 * with flags bit 2 (jsonb) element 0 or -1 of a scalar is the scalar, as
 * PostgreSQL's jsonb reads a scalar as a one-element array. */
static void fn_member(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	JSpan v = arg_span(argv[0]), val;
	bool found;
	int flags = sqlite3_value_int(argv[2]);
	if (sqlite3_value_type(argv[1]) == SQLITE_INTEGER) {
		long i = (long)sqlite3_value_int64(argv[1]);
		bool scalar = kind(v) != 'o' && kind(v) != 'a';
		found = scalar ? (flags & 2) && (i == 0 || i == -1) : element(v, i, &val);
		if (scalar)
			val = v;
	} else {
		json_t *k = json_stringn_nocheck((const char *)sqlite3_value_text(argv[1]), (size_t)sqlite3_value_bytes(argv[1]));
		char *d = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
		found = d && member(v, (JSpan){d, strlen(d)}, &val);
		free(d);
		json_decref(k);
	}
	bool as_text = flags & 1;
	if (!found || (as_text && kind(val) == 'z'))
		return;
	if (as_text && kind(val) == 's') {
		json_t *s = str_value(val);
		if (s)
			sqlite3_result_text(ctx, json_string_value(s), (int)json_string_length(s), SQLITE_TRANSIENT);
		json_decref(s);
		return;
	}
	sqlite3_result_text(ctx, val.p, (int)val.n, SQLITE_TRANSIENT);
}

/* v without the object members whose value is null, at every depth;
 * compact (json_strip_nulls) drops the spaces between tokens. */
static void strip_nulls(Buf *out, JSpan v, bool compact)
{
	JIter it;
	JSpan k, e;
	if (!jit_init(&it, v)) {
		buf_put(out, v.p, v.n);
		return;
	}
	bool first = true;
	buf_put_u8(out, it.obj ? '{' : '[');
	while (jit_next(&it, &k, &e)) {
		if (it.obj && kind(e) == 'z')
			continue;
		Buf sub;
		buf_init(&sub);
		strip_nulls(&sub, e, compact);
		if (compact) {
			buf_put_str(out, first ? "" : ",");
			first = false;
			if (it.obj) {
				buf_put(out, k.p, k.n);
				buf_put_u8(out, ':');
			}
			buf_put(out, sub.data, sub.len);
		} else {
			put_item(out, &first, it.obj ? &k : NULL, (JSpan){(const char *)sub.data, sub.len});
		}
		buf_cleanup(&sub);
	}
	buf_put_u8(out, it.obj ? '}' : ']');
}

/* pg_json_strip_nulls(j, compact): jsonb_strip_nulls, json_strip_nulls. */
static void fn_strip_nulls(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	Buf out;
	buf_init(&out);
	strip_nulls(&out, arg_span(argv[0]), sqlite3_value_int(argv[1]) != 0);
	result_buf(ctx, &out);
	buf_cleanup(&out);
}

/* v indented as jsonb_pretty does: four spaces a level, one member or
 * element a line. */
static void pretty(Buf *out, JSpan v, int depth)
{
	JIter it;
	JSpan k, e;
	if (!jit_init(&it, v)) {
		buf_put(out, v.p, v.n);
		return;
	}
	bool any = false;
	buf_put_u8(out, it.obj ? '{' : '[');
	while (jit_next(&it, &k, &e)) {
		/* an empty container still takes two lines */
		buf_printf(out, "%s\n%*s", any ? "," : "", 4 * (depth + 1), "");
		any = true;
		if (it.obj) {
			buf_put(out, k.p, k.n);
			buf_put_str(out, ": ");
		}
		pretty(out, e, depth + 1);
	}
	buf_printf(out, "\n%*s", 4 * depth, "");
	buf_put_u8(out, it.obj ? '}' : ']');
}

/* pg_jsonb_pretty(j). */
static void fn_pretty(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	Buf out;
	buf_init(&out);
	pretty(&out, arg_span(argv[0]), 0);
	result_buf(ctx, &out);
	buf_cleanup(&out);
}

/* jsonb_set / jsonb_insert: what happens at the end of the path. */
enum { SET_REPLACE, SET_CREATE, INSERT_BEFORE, INSERT_AFTER, PATH_DELETE };

/* v with newval set at path[level..] (mode above), into out; false after
 * setting an error. */
static bool set_path(sqlite3_context *ctx, Buf *out, JSpan v, json_t *path, size_t level, JSpan newval, int mode)
{
	JIter it;
	JSpan k, e;
	json_t *pe = json_array_get(path, level);
	bool last = level + 1 == json_array_size(path), first = true, done = false;
	if (!jit_init(&it, v) || !pe) {
		buf_put(out, v.p, v.n);
		return true;
	}
	if (!json_is_string(pe)) {
		char m[80];
		snprintf(m, sizeof(m), "path element at position %zu is null", level + 1);
		pgt_result_error(ctx, "22004", m);
		return false;
	}
	const char *name = json_string_value(pe);
	long idx = 0, n = 0;
	if (!it.obj) {
		if (!path_index(name, &idx)) {
			char m[200];
			snprintf(m, sizeof(m), "path element at position %zu is not an integer: \"%.100s\"", level + 1, name);
			pgt_result_error(ctx, "22P02", m);
			return false;
		}
		JIter c = it;
		while (jit_next(&c, &k, &e))
			n++;
		idx = idx < 0 ? (-idx > n ? -1 : idx + n) : idx > n ? n : idx;
	}
	bool adds = mode != SET_REPLACE && mode != PATH_DELETE;
	buf_put_u8(out, it.obj ? '{' : '[');
	if (!it.obj && last && adds && (idx < 0 || n == 0)) {
		put_item(out, &first, NULL, newval);
		done = true;
	}
	for (long i = 0; jit_next(&it, &k, &e); i++) {
		bool match = it.obj ? str_is(k, name, json_string_length(pe)) : i == idx;
		if (!match) {
			put_item(out, &first, it.obj ? &k : NULL, e);
			continue;
		}
		done = true;
		if (last && mode == PATH_DELETE)
			continue;
		if (!last) {
			Buf sub;
			buf_init(&sub);
			bool ok = set_path(ctx, &sub, e, path, level + 1, newval, mode);
			if (ok)
				put_item(out, &first, it.obj ? &k : NULL, (JSpan){(const char *)sub.data, sub.len});
			buf_cleanup(&sub);
			if (!ok)
				return false;
			continue;
		}
		if (it.obj && mode >= INSERT_BEFORE) {
			pgt_result_error(ctx, "22023", "cannot replace existing key");
			return false;
		}
		if (mode == INSERT_AFTER)
			put_item(out, &first, NULL, e);
		put_item(out, &first, it.obj ? &k : NULL, newval);
		if (mode == INSERT_BEFORE)
			put_item(out, &first, NULL, e);
	}
	if (!done && last && adds) {
		Buf key;
		buf_init(&key);
		pgt_put_json_string(&key, name, json_string_length(pe));
		JSpan ks = {(const char *)key.data, key.len};
		put_item(out, &first, it.obj ? &ks : NULL, newval);
		buf_cleanup(&key);
	}
	buf_put_u8(out, it.obj ? '}' : ']');
	return true;
}

/* The result of set_path over argv[0] (a container) and path argv[1]. */
static void path_result(sqlite3_context *ctx, sqlite3_value **argv, JSpan newval, int mode)
{
	JSpan v = arg_span(argv[0]);
	if (kind(v) != 'o' && kind(v) != 'a') {
		pgt_result_error(ctx, "22023", mode == PATH_DELETE ? "cannot delete path in scalar" : "cannot set path in scalar");
		return;
	}
	json_t *path = arg_texts(ctx, argv[1]);
	if (!path)
		return;
	Buf out;
	buf_init(&out);
	if (set_path(ctx, &out, v, path, 0, newval, mode))
		result_json(ctx, &out, true);
	buf_cleanup(&out);
	json_decref(path);
}

/* pg_jsonb_set(j, path, new, create, mode): jsonb_set (mode 0, create
 * as given) and jsonb_insert (mode 1 before, 2 after). */
static void fn_set(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	int m = sqlite3_value_int(argv[4]);
	int mode = m == 1 ? INSERT_BEFORE : m == 2 ? INSERT_AFTER : sqlite3_value_int(argv[3]) ? SET_CREATE : SET_REPLACE;
	path_result(ctx, argv, arg_span(argv[2]), mode);
}

/* pg_jsonb_delete_path(j, path): j #- path. */
static void fn_delete_path(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (!any_null(argc, argv))
		path_result(ctx, argv, (JSpan){NULL, 0}, PATH_DELETE);
}

/* A JSON array as the text of a PostgreSQL array (one dimension):
 * strings decoded, null as NULL, other values as their JSON text. */
static bool json_array_text(Buf *out, JSpan v, PgtError *err)
{
	JIter it;
	JSpan k, e;
	bool first = true;
	(void)jit_init(&it, v);
	buf_put_u8(out, '{');
	while (jit_next(&it, &k, &e)) {
		if (!first)
			buf_put_u8(out, ',');
		first = false;
		char ek = kind(e);
		if (ek == 'a')
			return pgt_fail(err, "0A000", "multidimensional arrays are not supported");
		if (ek == 'z') {
			buf_put_str(out, "NULL");
		} else if (ek == 's') {
			json_t *sv = str_value(e);
			if (sv)
				pgt_array_put_elem(out, json_string_value(sv), json_string_length(sv));
			json_decref(sv);
		} else {
			pgt_array_put_elem(out, e.p, e.n);
		}
	}
	buf_put_u8(out, '}');
	return true;
}

/* pg_json_field(j, key, mode): the member key of object j as the
 * json(b)_to_record family reads it for a column, NULL when it is missing
 * or JSON null: for mode 't' the text a type's input reads (a string
 * decoded, other values as their JSON text), for 'j' JSON text (a string
 * written again as PostgreSQL escapes it), for 'a' the text of an array (a
 * JSON array converted, a string as it is). */
static void fn_field(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	JSpan v = arg_span(argv[0]), val;
	const char *key = (const char *)sqlite3_value_text(argv[1]);
	char mode = ((const char *)sqlite3_value_text(argv[2]))[0];
	json_t *kj = json_stringn_nocheck(key, (size_t)sqlite3_value_bytes(argv[1]));
	char *d = kj ? json_dumps(kj, JSON_ENCODE_ANY) : NULL;
	bool found = d && member(v, (JSpan){d, strlen(d)}, &val);
	free(d);
	json_decref(kj);
	if (!found || kind(val) == 'z')
		return;
	char vk = kind(val);
	Buf out;
	PgtError err;
	buf_init(&out);
	if (vk == 's' && mode != 'j') {
		json_t *sv = str_value(val);
		if (sv)
			buf_put(&out, json_string_value(sv), json_string_length(sv));
		json_decref(sv);
	} else if (vk == 's') {
		json_t *sv = str_value(val);
		char *esc = sv ? json_dumps(sv, JSON_ENCODE_ANY) : NULL;
		if (esc)
			buf_put_str(&out, esc);
		free(esc);
		json_decref(sv);
	} else if (mode == 'a' && vk != 'a') {
		buf_cleanup(&out);
		pgt_result_error(ctx, "22P02", "expected JSON array");
		return;
	} else if (mode == 'a' && !json_array_text(&out, val, &err)) {
		buf_cleanup(&out);
		pgt_result_error(ctx, err.sqlstate, err.msg);
		return;
	} else if (mode != 'a') {
		buf_put(&out, val.p, val.n);
	}
	result_buf(ctx, &out);
	buf_cleanup(&out);
}

/* A jsonb subscript assignment j[p1]...[pn] = val (PostgreSQL's setPath
 * with create, fill gaps and consistent position): the path as strings,
 * the new value's JSON text. */
typedef struct SubAssign {
	json_t *path;
	size_t n;
	JSpan val;
} SubAssign;

static void put_sep(Buf *out, bool *first)
{
	if (!*first)
		buf_put_u8(out, ',');
	*first = false;
}

static void put_nulls(Buf *out, long n, bool *first)
{
	for (long i = 0; i < n; i++) {
		put_sep(out, first);
		buf_put_str(out, "null");
	}
}

static const char *sub_elem(const SubAssign *a, size_t level)
{
	return json_string_value(json_array_get(a->path, level));
}

/* What goes at path element level when it is missing: a new array (an
 * integer element next) or object for each further element, the value
 * last. */
static void put_chain(Buf *out, const SubAssign *a, size_t level)
{
	if (level + 1 >= a->n) {
		buf_put(out, a->val.p, a->val.n);
		return;
	}
	const char *s = sub_elem(a, level + 1);
	long idx;
	bool first = true;
	if (path_index(s, &idx)) {
		buf_put_u8(out, '[');
		put_nulls(out, idx, &first);
		put_sep(out, &first);
		put_chain(out, a, level + 1);
		buf_put_u8(out, ']');
		return;
	}
	json_t *k = json_string(s);
	char *d = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
	buf_printf(out, "{%s:", d ? d : "\"\"");
	free(d);
	json_decref(k);
	put_chain(out, a, level + 1);
	buf_put_u8(out, '}');
}

static bool assign_path(Buf *out, JSpan v, const SubAssign *a, size_t level, PgtError *err);

static bool assign_object(Buf *out, JSpan v, const SubAssign *a, size_t level, PgtError *err)
{
	const char *key = sub_elem(a, level);
	bool last = level + 1 == a->n, done = false, first = true, ok = true;
	JIter it;
	JSpan k, e;
	(void)jit_init(&it, v);
	buf_put_u8(out, '{');
	while (ok && jit_next(&it, &k, &e)) {
		put_sep(out, &first);
		buf_put(out, k.p, k.n);
		buf_put_u8(out, ':');
		if (!done && str_is(k, key, strlen(key))) {
			done = true;
			if (last)
				buf_put(out, a->val.p, a->val.n);
			else
				ok = assign_path(out, e, a, level + 1, err);
		} else {
			buf_put(out, e.p, e.n);
		}
	}
	if (ok && !done) {
		json_t *kj = json_string(key);
		char *d = kj ? json_dumps(kj, JSON_ENCODE_ANY) : NULL;
		put_sep(out, &first);
		buf_printf(out, "%s:", d ? d : "\"\"");
		free(d);
		json_decref(kj);
		put_chain(out, a, level);
	}
	buf_put_u8(out, '}');
	return ok;
}

static bool assign_array(Buf *out, JSpan v, const SubAssign *a, size_t level, PgtError *err)
{
	const char *s = sub_elem(a, level);
	long idx, nelems = 0;
	JIter it;
	JSpan k, e;
	if (!path_index(s, &idx))
		return pgt_fail(err, "22P02", "path element at position %zu is not an integer: \"%s\"", level + 1, s);
	(void)jit_init(&it, v);
	while (jit_next(&it, &k, &e))
		nelems++;
	if (idx < 0 && -idx > nelems)
		return pgt_fail(err, "22023", "path element at position %zu is out of range: %ld", level + 1, idx);
	if (idx < 0)
		idx += nelems;
	bool first = true, ok = true;
	buf_put_u8(out, '[');
	(void)jit_init(&it, v);
	for (long i = 0; ok && jit_next(&it, &k, &e); i++) {
		put_sep(out, &first);
		if (i != idx)
			buf_put(out, e.p, e.n);
		else if (level + 1 == a->n)
			buf_put(out, a->val.p, a->val.n);
		else
			ok = assign_path(out, e, a, level + 1, err);
	}
	if (ok && idx >= nelems) {
		put_nulls(out, idx - nelems, &first);
		put_sep(out, &first);
		put_chain(out, a, level);
	}
	buf_put_u8(out, ']');
	return ok;
}

static bool assign_path(Buf *out, JSpan v, const SubAssign *a, size_t level, PgtError *err)
{
	char k = kind(v);
	if (k == 'o')
		return assign_object(out, v, a, level, err);
	if (k == 'a')
		return assign_array(out, v, a, level, err);
	return pgt_fail(err, "22023", "cannot replace existing key");
}

/* pg_jsonb_assign(j, path, val, array): j[path...] = val as JSON text (val
 * NULL is JSON null); a NULL j is an empty array (array set: the first
 * subscript is an integer) or object. */
static void fn_assign(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	json_t *path = arg_texts(ctx, argv[1]), *e;
	size_t i;
	if (!path)
		return;
	bool ok = true;
	json_array_foreach(path, i, e) ok = ok && json_is_string(e);
	if (!ok) {
		json_decref(path);
		pgt_result_error(ctx, "22004", "jsonb subscript in assignment must not be null");
		return;
	}
	bool null_src = sqlite3_value_type(argv[0]) == SQLITE_NULL;
	JSpan v = null_src ? (sqlite3_value_int(argv[3]) ? (JSpan){"[]", 2} : (JSpan){"{}", 2}) : arg_span(argv[0]);
	SubAssign a = {path, json_array_size(path),
		       sqlite3_value_type(argv[2]) == SQLITE_NULL ? (JSpan){"null", 4} : arg_span(argv[2])};
	Buf out;
	PgtError err;
	buf_init(&out);
	if (a.n == 0)
		buf_put(&out, a.val.p, a.val.n);
	else if (!assign_path(&out, v, &a, 0, &err))
		ok = false;
	if (ok)
		result_buf(ctx, &out);
	else
		pgt_result_error(ctx, err.sqlstate, err.msg);
	buf_cleanup(&out);
	json_decref(path);
}

/* The error json(b)_to_record (want 'c') or json(b)_to_recordset ('r')
 * gives for j (of kind k) into m, or false when j suits it: an object for
 * the one, an array of objects for the other. */
static bool record_source_error(JSpan v, char k, char want, const char *fn, char *m, size_t mn)
{
	const char *what = k == 'o' ? "an object" : k == 'a' ? "an array" : "a scalar";
	if (want == 'c') {
		if (k == 'o')
			return false;
		snprintf(m, mn, "cannot call populate_composite on %s", what);
		return true;
	}
	if (k != 'a') {
		snprintf(m, mn, "cannot call %s on %s", fn, what);
		return true;
	}
	JIter it;
	JSpan key, e;
	(void)jit_init(&it, v);
	while (jit_next(&it, &key, &e))
		if (kind(e) != 'o') {
			snprintf(m, mn, "argument of %s must be an array of objects", fn);
			return true;
		}
	return false;
}

/* pg_json_check(j, want, fn): j when it is an object (want 'o') or an
 * array ('a'), else the error the set-returning function fn gives; for
 * json(b)_to_recordset ('r') j when it is an array of objects, for
 * json(b)_to_record ('c') the one-element array [0] when j is an object or
 * NULL (the function's one row). */
static void fn_check(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		if (((const char *)sqlite3_value_text(argv[1]))[0] == 'c')
			sqlite3_result_text(ctx, "[0]", 3, SQLITE_STATIC);
		return;
	}
	char want = ((const char *)sqlite3_value_text(argv[1]))[0], k = kind(arg_span(argv[0]));
	const char *fn = (const char *)sqlite3_value_text(argv[2]);
	char m[160];
	if (want == 'c' || want == 'r') {
		if (record_source_error(arg_span(argv[0]), k, want, fn, m, sizeof(m)))
			pgt_result_error(ctx, "22023", m);
		else if (want == 'c')
			sqlite3_result_text(ctx, "[0]", 3, SQLITE_STATIC);
		else
			sqlite3_result_value(ctx, argv[0]);
		return;
	}
	if ((want == 'o' && k == 'o') || (want == 'a' && k == 'a')) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	if (want == 'o')
		snprintf(m, sizeof(m), "cannot call %s on a non-object", fn);
	else
		snprintf(m, sizeof(m), "cannot extract elements from a%s", k == 'o' ? "n object" : " scalar");
	pgt_result_error(ctx, "22023", m);
}

/* ------------------------------------------------------ jsonb ordering */

/* The rank of a value's type in jsonb order: null < string < number <
 * boolean < array < object (JsonbValue's types). */
static int jb_rank(char k)
{
	switch (k) {
	case 'z':
		return 0;
	case 's':
		return 1;
	case 'n':
		return 2;
	case 't':
	case 'f':
		return 3;
	case 'a':
		return 4;
	default:
		return 5;
	}
}

static int jb_count(JSpan v)
{
	JIter it;
	JSpan k, e;
	int n = 0;
	if (jit_init(&it, v))
		while (jit_next(&it, &k, &e))
			n++;
	return n;
}

/* Two JSON strings by their decoded bytes (the C collation). */
static int jb_str_cmp(JSpan a, JSpan b)
{
	if (a.n == b.n && memcmp(a.p, b.p, a.n) == 0)
		return 0;
	json_t *x = str_value(a), *y = str_value(b);
	int c;
	if (x && y) {
		size_t nx = json_string_length(x), ny = json_string_length(y);
		c = memcmp(json_string_value(x), json_string_value(y), nx < ny ? nx : ny);
		c = c ? c : (nx > ny) - (nx < ny);
	} else {
		c = pgt_coll_unparsed(x != NULL, y != NULL, a.p, (int)a.n, b.p, (int)b.n);
	}
	json_decref(x);
	json_decref(y);
	return c;
}

static int jb_num_cmp(JSpan a, JSpan b)
{
	static __thread PgtDec x, y;
	if (a.n == b.n && memcmp(a.p, b.p, a.n) == 0)
		return 0;
	bool okx = pgt_dec_parse(a.p, a.n, &x), oky = pgt_dec_parse(b.p, b.n, &y);
	if (okx && oky)
		return dec_cmp(&x, &y);
	return pgt_coll_unparsed(okx, oky, a.p, (int)a.n, b.p, (int)b.n);
}

/* compareJsonbContainers' order of two values below the top level: by
 * type, then arrays by length and element by element, objects by number
 * of pairs and pair by pair (keys in their stored order), numbers by
 * value ('1.0' = '1'), strings by bytes, false < true. */
static int jb_cmp(JSpan a, JSpan b, int depth)
{
	char ka = kind(a), kb = kind(b);
	int ra = jb_rank(ka), rb = jb_rank(kb);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ka) {
	case 's':
		return jb_str_cmp(a, b);
	case 'n':
		return jb_num_cmp(a, b);
	case 't':
	case 'f':
		return (ka == 't') - (kb == 't');
	case 'z':
		return 0;
	default:
		break;
	}
	int na = jb_count(a), nb = jb_count(b);
	if (na != nb)
		return na < nb ? -1 : 1;
	if (depth > 200)
		return pgt_coll_unparsed(true, true, a.p, (int)a.n, b.p, (int)b.n);
	JIter ia, ib;
	JSpan keya, keyb, va, vb;
	jit_init(&ia, a);
	jit_init(&ib, b);
	while (jit_next(&ia, &keya, &va) && jit_next(&ib, &keyb, &vb)) {
		int c = ka == 'o' ? jb_str_cmp(keya, keyb) : 0;
		if (!c)
			c = jb_cmp(va, vb, depth + 1);
		if (c)
			return c;
	}
	return 0;
}

/* The collation pg_jsonb: stored jsonb texts in jsonb order.  A top-level
 * scalar is a one-element array that sorts before a real one-element
 * array and after an empty one, as PostgreSQL's raw scalars do. */
static int coll_jsonb(void *arg, int na, const void *a, int nb, const void *b)
{
	a = a ? a : "", b = b ? b : ""; /* SQLite passes NULL for an empty text */
	(void)arg;
	if (na == nb && (na == 0 || memcmp(a, b, (size_t)na) == 0))
		return 0;
	JSpan x = trimmed(a, (size_t)na), y = trimmed(b, (size_t)nb);
	char kx = kind(x), ky = kind(y);
	bool sx = kx != 'a' && kx != 'o', sy = ky != 'a' && ky != 'o';
	if (!sx && !sy)
		return jb_cmp(x, y, 0);
	if (sx && sy)
		return jb_cmp(x, y, 0);
	if (kx == 'o' || ky == 'o')
		return kx == 'o' ? 1 : -1; /* an array (raw scalar or not) < an object */
	int cx = sx ? 1 : jb_count(x), cy = sy ? 1 : jb_count(y);
	if (cx != cy)
		return cx < cy ? -1 : 1;
	return sx ? -1 : 1;
}

bool pgt_jsonb_register_functions(sqlite3 *db, const PgtFormat *fmt)
{
	static int all = 1;
	const PgtSqlFunc fns[] = {
		{"pg_to_json", 3, fn_to_json, (void *)fmt, 0},
		{"pg_json_build", -1, fn_json_build, (void *)fmt, 0},
		{"pg_json_variadic", 3, fn_json_variadic, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_typeof", 1, fn_typeof, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_array_length", 2, fn_array_length, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_member", 3, fn_member, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_field", 3, fn_field, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_assign", 4, fn_assign, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_strip_nulls", 2, fn_strip_nulls, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_pretty", 1, fn_pretty, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_set", 5, fn_set, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_check", 3, fn_check, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_exists", 2, fn_exists, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_exists_any", 2, fn_exists_set, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_exists_all", 2, fn_exists_set, &all, SQLITE_DETERMINISTIC},
		{"pg_jsonb_contains", 2, fn_contains, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_path", 3, fn_path, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_delete_keys", 2, fn_delete_keys, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_delete_index", 2, fn_delete_index, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_delete_path", 2, fn_delete_path, NULL, SQLITE_DETERMINISTIC},
	};
	return sqlite3_create_collation_v2(db, "pg_jsonb", SQLITE_UTF8, NULL, coll_jsonb, NULL) == SQLITE_OK &&
	       pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
