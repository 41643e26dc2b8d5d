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
	while (kj && !found && jit_next(&it, &k, val))
		found = str_is(k, json_string_value(kj), json_string_length(kj));
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

/* v with the item at path[level..] removed, appended to out; false after
 * setting an error. */
static bool delete_path(sqlite3_context *ctx, Buf *out, JSpan v, json_t *path, size_t level)
{
	JIter it;
	JSpan k, e, target = {NULL, 0};
	json_t *pe = json_array_get(path, level);
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
	long idx;
	if (!it.obj && !path_index(name, &idx)) {
		char m[200];
		snprintf(m, sizeof(m), "path element at position %zu is not an integer: \"%.100s\"", level + 1, name);
		pgt_result_error(ctx, "22P02", m);
		return false;
	}
	bool hit = !it.obj && element(v, idx, &target), first = true, last = level + 1 == json_array_size(path);
	buf_put_u8(out, it.obj ? '{' : '[');
	while (jit_next(&it, &k, &e)) {
		bool match = it.obj ? str_is(k, name, json_string_length(pe)) : hit && e.p == target.p;
		if (match && last)
			continue;
		if (!match) {
			put_item(out, &first, it.obj ? &k : NULL, e);
			continue;
		}
		Buf sub;
		buf_init(&sub);
		bool ok = delete_path(ctx, &sub, e, path, level + 1);
		if (ok)
			put_item(out, &first, it.obj ? &k : NULL, (JSpan){(const char *)sub.data, sub.len});
		buf_cleanup(&sub);
		if (!ok)
			return false;
	}
	buf_put_u8(out, it.obj ? '}' : ']');
	return true;
}

/* pg_jsonb_delete_path(j, path): j #- path. */
static void fn_delete_path(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	JSpan v = arg_span(argv[0]);
	if (kind(v) != 'o' && kind(v) != 'a') {
		pgt_result_error(ctx, "22023", "cannot delete path in scalar");
		return;
	}
	json_t *path = arg_texts(ctx, argv[1]);
	if (!path)
		return;
	Buf out;
	buf_init(&out);
	if (delete_path(ctx, &out, v, path, 0))
		result_buf(ctx, &out);
	buf_cleanup(&out);
	json_decref(path);
}

bool pgt_jsonb_register_functions(sqlite3 *db)
{
	static int all = 1;
	static const PgtSqlFunc fns[] = {
		{"pg_jsonb_exists", 2, fn_exists, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_exists_any", 2, fn_exists_set, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_exists_all", 2, fn_exists_set, &all, SQLITE_DETERMINISTIC},
		{"pg_jsonb_contains", 2, fn_contains, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_path", 3, fn_path, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_delete_keys", 2, fn_delete_keys, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_delete_index", 2, fn_delete_index, NULL, SQLITE_DETERMINISTIC},
		{"pg_jsonb_delete_path", 2, fn_delete_path, NULL, SQLITE_DETERMINISTIC},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
