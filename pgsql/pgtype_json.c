/*
 * pgtype_json.c - json validation and jsonb normalisation.
 *
 * One recursive-descent parser serves both types.  For json it only
 * validates (the value is stored as given).  For jsonb it renders the value
 * the way PostgreSQL prints jsonb: ", " and ": " separators, object keys
 * ordered by length and then bytewise with the last of duplicate keys kept,
 * strings re-escaped, numbers normalised as numeric.
 */
#include "pgsql/pgtype_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 2000

typedef struct JParser {
	const char *s;
	size_t n, pos;
	bool jsonb;
	int depth;
	PgtError *err;
} JParser;

static bool jfail(JParser *jp)
{
	return pgt_fail(jp->err, "22P02", "invalid input syntax for type json");
}

static void skip_ws(JParser *jp)
{
	while (jp->pos < jp->n) {
		char c = jp->s[jp->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		jp->pos++;
	}
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (unsigned char)c >= 0x80;
}

void pgt_put_utf8(Buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_put_u8(b, (uint8_t)cp);
	} else if (cp < 0x800) {
		buf_put_u8(b, (uint8_t)(0xC0 | (cp >> 6)));
		buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_put_u8(b, (uint8_t)(0xE0 | (cp >> 12)));
		buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
		buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	} else {
		buf_put_u8(b, (uint8_t)(0xF0 | (cp >> 18)));
		buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3F)));
		buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
		buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	}
}

static bool read_hex4(JParser *jp, unsigned *cp)
{
	*cp = 0;
	if (jp->pos + 4 > jp->n)
		return false;
	for (int i = 0; i < 4; i++) {
		char c = jp->s[jp->pos++];
		unsigned v;
		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			return false;
		*cp = *cp << 4 | v;
	}
	return true;
}

/* Parse a string starting at its opening quote; append the decoded bytes to
 * dec when it is not NULL. */
static bool parse_string(JParser *jp, Buf *dec)
{
	jp->pos++;
	while (jp->pos < jp->n) {
		unsigned char c = (unsigned char)jp->s[jp->pos];
		if (c == '"') {
			jp->pos++;
			return true;
		}
		if (c < 0x20)
			return jfail(jp);
		if (c != '\\') {
			if (dec)
				buf_put_u8(dec, c);
			jp->pos++;
			continue;
		}
		if (++jp->pos >= jp->n)
			return jfail(jp);
		char e = jp->s[jp->pos++];
		unsigned cp;
		switch (e) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (!read_hex4(jp, &cp))
				return jfail(jp);
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned lo;
				if (jp->pos + 2 > jp->n || jp->s[jp->pos] != '\\' || jp->s[jp->pos + 1] != 'u')
					return jfail(jp);
				jp->pos += 2;
				if (!read_hex4(jp, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return jfail(jp);
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return jfail(jp);
			} else if (cp == 0 && jp->jsonb) {
				return pgt_fail(jp->err, "22P05", "unsupported Unicode escape sequence");
			}
			break;
		default:
			return jfail(jp);
		}
		if (dec)
			pgt_put_utf8(dec, cp);
	}
	return jfail(jp);
}

/* Append s as a JSON string literal, escaped as PostgreSQL's escape_json. */
static void put_json_string(Buf *out, const char *s, size_t n)
{
	buf_put_u8(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': buf_put_str(out, "\\\""); break;
		case '\\': buf_put_str(out, "\\\\"); break;
		case '\b': buf_put_str(out, "\\b"); break;
		case '\f': buf_put_str(out, "\\f"); break;
		case '\n': buf_put_str(out, "\\n"); break;
		case '\r': buf_put_str(out, "\\r"); break;
		case '\t': buf_put_str(out, "\\t"); break;
		default:
			if (c < 0x20)
				buf_printf(out, "\\u%04x", c);
			else
				buf_put_u8(out, c);
		}
	}
	buf_put_u8(out, '"');
}

/* Parse a number per the JSON grammar; for jsonb append it as numeric. */
static bool parse_number(JParser *jp, Buf *out)
{
	size_t start = jp->pos, i = jp->pos;
	const char *s = jp->s;
	if (i < jp->n && s[i] == '-')
		i++;
	if (i < jp->n && s[i] == '0') {
		i++;
	} else if (i < jp->n && s[i] >= '1' && s[i] <= '9') {
		while (i < jp->n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return jfail(jp);
	}
	if (i < jp->n && s[i] == '.') {
		i++;
		if (i >= jp->n || s[i] < '0' || s[i] > '9')
			return jfail(jp);
		while (i < jp->n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < jp->n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < jp->n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= jp->n || s[i] < '0' || s[i] > '9')
			return jfail(jp);
		while (i < jp->n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < jp->n && (is_alnum(s[i]) || s[i] == '.'))
		return jfail(jp);
	jp->pos = i;
	if (out) {
		PgtDec d;
		if (!pgt_dec_parse(s + start, i - start, &d))
			return pgt_fail(jp->err, "22003", "value overflows numeric format");
		pgt_dec_to_text(&d, d.dscale, out);
	}
	return true;
}

typedef struct JPair {
	Buf key; /* decoded */
	Buf val; /* rendered */
	int idx;
} JPair;

static int pair_cmp(const void *a, const void *b)
{
	const JPair *x = a, *y = b;
	if (x->key.len != y->key.len)
		return x->key.len < y->key.len ? -1 : 1;
	int c = x->key.len ? memcmp(x->key.data, y->key.data, x->key.len) : 0;
	if (c)
		return c;
	return x->idx - y->idx;
}

static bool parse_value(JParser *jp, Buf *out);

/* Parse an object; for jsonb render it with sorted, de-duplicated keys. */
static bool parse_object(JParser *jp, Buf *out)
{
	JPair *pairs = NULL;
	int n = 0, cap = 0;
	bool ok = false;

	jp->pos++;
	skip_ws(jp);
	if (jp->pos < jp->n && jp->s[jp->pos] == '}') {
		jp->pos++;
		if (out)
			buf_put_str(out, "{}");
		return true;
	}
	for (;;) {
		skip_ws(jp);
		if (jp->pos >= jp->n || jp->s[jp->pos] != '"') {
			jfail(jp);
			goto done;
		}
		if (n == cap) {
			int nc = cap ? cap * 2 : 8;
			JPair *np = realloc(pairs, sizeof(*np) * (size_t)nc);
			if (!np) {
				pgt_fail(jp->err, "53200", "out of memory");
				goto done;
			}
			pairs = np;
			cap = nc;
		}
		JPair *pr = &pairs[n++];
		buf_init(&pr->key);
		buf_init(&pr->val);
		pr->idx = n;
		if (!parse_string(jp, out ? &pr->key : NULL))
			goto done;
		skip_ws(jp);
		if (jp->pos >= jp->n || jp->s[jp->pos] != ':') {
			jfail(jp);
			goto done;
		}
		jp->pos++;
		if (!parse_value(jp, out ? &pr->val : NULL))
			goto done;
		skip_ws(jp);
		if (jp->pos < jp->n && jp->s[jp->pos] == ',') {
			jp->pos++;
			continue;
		}
		if (jp->pos < jp->n && jp->s[jp->pos] == '}') {
			jp->pos++;
			break;
		}
		jfail(jp);
		goto done;
	}
	if (out) {
		qsort(pairs, (size_t)n, sizeof(*pairs), pair_cmp);
		bool first = true;
		buf_put_u8(out, '{');
		for (int i = 0; i < n; i++) {
			if (i + 1 < n && pairs[i].key.len == pairs[i + 1].key.len &&
			    (pairs[i].key.len == 0 ||
			     memcmp(pairs[i].key.data, pairs[i + 1].key.data, pairs[i].key.len) == 0))
				continue;
			if (!first)
				buf_put_str(out, ", ");
			first = false;
			put_json_string(out, (const char *)pairs[i].key.data, pairs[i].key.len);
			buf_put_str(out, ": ");
			buf_put(out, pairs[i].val.data, pairs[i].val.len);
		}
		buf_put_u8(out, '}');
	}
	ok = true;
done:
	for (int i = 0; i < n; i++) {
		buf_cleanup(&pairs[i].key);
		buf_cleanup(&pairs[i].val);
	}
	free(pairs);
	return ok;
}

static bool parse_array(JParser *jp, Buf *out)
{
	jp->pos++;
	skip_ws(jp);
	if (out)
		buf_put_u8(out, '[');
	if (jp->pos < jp->n && jp->s[jp->pos] == ']') {
		jp->pos++;
		if (out)
			buf_put_u8(out, ']');
		return true;
	}
	for (bool first = true;; first = false) {
		if (out && !first)
			buf_put_str(out, ", ");
		if (!parse_value(jp, out))
			return false;
		skip_ws(jp);
		if (jp->pos < jp->n && jp->s[jp->pos] == ',') {
			jp->pos++;
			continue;
		}
		if (jp->pos < jp->n && jp->s[jp->pos] == ']') {
			jp->pos++;
			break;
		}
		return jfail(jp);
	}
	if (out)
		buf_put_u8(out, ']');
	return true;
}

static bool parse_keyword(JParser *jp, const char *kw, Buf *out)
{
	size_t l = strlen(kw);
	if (jp->pos + l > jp->n || memcmp(jp->s + jp->pos, kw, l) != 0)
		return jfail(jp);
	jp->pos += l;
	if (jp->pos < jp->n && is_alnum(jp->s[jp->pos]))
		return jfail(jp);
	if (out)
		buf_put_str(out, kw);
	return true;
}

/* Parse any value after optional whitespace; render it to out if given. */
static bool parse_value(JParser *jp, Buf *out)
{
	bool ok;
	skip_ws(jp);
	if (jp->pos >= jp->n)
		return jfail(jp);
	if (++jp->depth > JSON_MAX_DEPTH)
		return pgt_fail(jp->err, "54001", "stack depth limit exceeded");
	switch (jp->s[jp->pos]) {
	case '{':
		ok = parse_object(jp, out);
		break;
	case '[':
		ok = parse_array(jp, out);
		break;
	case '"': {
		if (!out) {
			ok = parse_string(jp, NULL);
			break;
		}
		Buf dec;
		buf_init(&dec);
		ok = parse_string(jp, &dec);
		if (ok)
			put_json_string(out, (const char *)dec.data, dec.len);
		buf_cleanup(&dec);
		break;
	}
	case 't':
		ok = parse_keyword(jp, "true", out);
		break;
	case 'f':
		ok = parse_keyword(jp, "false", out);
		break;
	case 'n':
		ok = parse_keyword(jp, "null", out);
		break;
	default:
		ok = parse_number(jp, out);
		break;
	}
	jp->depth--;
	return ok;
}

/*
 * Validate s as json.  For jsonb append the normalised rendering to out;
 * for json append s unchanged.  22P02 "invalid input syntax for type json"
 * on bad syntax, 22P05 for \u0000 in jsonb.
 */
bool pgt_json_in(const char *s, size_t n, bool jsonb, Buf *out, PgtError *err)
{
	JParser jp = {s, n, 0, jsonb, 0, err};
	if (!parse_value(&jp, jsonb ? out : NULL))
		return false;
	skip_ws(&jp);
	if (jp.pos != n)
		return jfail(&jp);
	if (!jsonb)
		buf_put(out, s, n);
	if (out->failed)
		return pgt_fail(err, "53200", "out of memory");
	return true;
}

/* The bounds of s[0..n) without surrounding blanks. */
static void trim(const char *s, size_t n, size_t *start, size_t *end)
{
	*start = 0;
	*end = n;
	while (*start < n && (s[*start] == ' ' || s[*start] == '\n' || s[*start] == '\t' || s[*start] == '\r'))
		(*start)++;
	while (*end > *start && (s[*end - 1] == ' ' || s[*end - 1] == '\n' || s[*end - 1] == '\t' || s[*end - 1] == '\r'))
		(*end)--;
}

/* Append the members of the json text v: the inside of an array or object
 * when `open` is set, else v itself as one element; *first says whether
 * nothing was appended yet. */
static void put_members(Buf *out, const char *v, size_t n, bool open, bool *first)
{
	size_t a, b;
	trim(v, n, &a, &b);
	if (open && b - a >= 2) {
		a++;
		b--;
		size_t ia, ib;
		trim(v + a, b - a, &ia, &ib);
		a += ia;
		b = a + (ib - ia);
	}
	if (b == a)
		return;
	if (!*first)
		buf_put_u8(out, ',');
	*first = false;
	buf_put(out, v + a, b - a);
}

/* Set PostgreSQL's error sqlstate: msg on ctx. */
static void result_fail(sqlite3_context *ctx, const char *sqlstate, const char *msg)
{
	char *m = sqlite3_mprintf("%s:%s", sqlstate, msg);
	sqlite3_result_error(ctx, m ? m : "53200:out of memory", -1);
	sqlite3_free(m);
}

/* The JSON text b read as jsonb as the result of ctx (or its error). */
static void result_jsonb(sqlite3_context *ctx, const Buf *b)
{
	Buf out;
	PgtError err;
	buf_init(&out);
	if (!pgt_json_in((const char *)b->data, b->len, true, &out, &err))
		result_fail(ctx, err.sqlstate, err.msg);
	else
		sqlite3_result_text(ctx, (const char *)out.data, (int)out.len, SQLITE_TRANSIENT);
	buf_cleanup(&out);
}

/*
 * pg_jsonb_concat(a, b): jsonb || jsonb as jsonb_concat: two objects merge
 * (b's value for a key both have), two arrays concatenate, an array and
 * another value append or prepend it, two other values make a two-element
 * array.  The result is normalised as jsonb input is.
 */
static void fn_jsonb_concat(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	const char *v[2] = {(const char *)sqlite3_value_text(argv[0]), (const char *)sqlite3_value_text(argv[1])};
	size_t n[2] = {(size_t)sqlite3_value_bytes(argv[0]), (size_t)sqlite3_value_bytes(argv[1])};
	char kind[2];
	for (int i = 0; i < 2; i++) {
		size_t a, b;
		trim(v[i] ? v[i] : "", v[i] ? n[i] : 0, &a, &b);
		kind[i] = a < b ? v[i][a] : 0;
	}
	bool objects = kind[0] == '{' && kind[1] == '{', first = true;
	Buf cat;
	buf_init(&cat);
	buf_put_u8(&cat, objects ? '{' : '[');
	for (int i = 0; i < 2; i++)
		put_members(&cat, v[i] ? v[i] : "", v[i] ? n[i] : 0, objects || kind[i] == '[', &first);
	buf_put_u8(&cat, objects ? '}' : ']');
	if (cat.failed)
		sqlite3_result_error(ctx, "53200:out of memory", -1);
	else
		result_jsonb(ctx, &cat);
	buf_cleanup(&cat);
}

/*
 * pg_json_object(keys, values, jsonb): json_object(text[]) (values 'pairs':
 * keys holds key, value, key, value ...) and json_object(keys text[],
 * values text[]), the arrays as pg_array_json writes them: an object of
 * string values (a NULL element is null), written {"k" : "v", ...}, or
 * normalised as jsonb input is.
 */
static void fn_json_object(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	bool pairs = strcmp((const char *)sqlite3_value_text(argv[1]), "pairs") == 0;
	json_t *k = json_loads((const char *)sqlite3_value_text(argv[0]), 0, NULL);
	json_t *v = pairs ? json_incref(k) : json_loads((const char *)sqlite3_value_text(argv[1]), 0, NULL);
	size_t nk = json_array_size(k), nv = json_array_size(v);
	size_t n = pairs ? nk / 2 : nk;
	if (pairs && nk % 2) {
		result_fail(ctx, "2202E", "array must have even number of elements");
	} else if (!pairs && nk != nv) {
		result_fail(ctx, "2202E", "mismatched array dimensions");
	} else {
		Buf b;
		buf_init(&b);
		buf_put_u8(&b, '{');
		bool ok = true;
		for (size_t i = 0; i < n && ok; i++) {
			json_t *key = json_array_get(k, pairs ? 2 * i : i), *val = json_array_get(v, pairs ? 2 * i + 1 : i);
			ok = json_is_string(key);
			if (!ok)
				break;
			buf_put_str(&b, i ? ", " : "");
			put_json_string(&b, json_string_value(key), json_string_length(key));
			buf_put_str(&b, " : ");
			if (json_is_string(val))
				put_json_string(&b, json_string_value(val), json_string_length(val));
			else
				buf_put_str(&b, "null");
		}
		buf_put_u8(&b, '}');
		if (!ok)
			result_fail(ctx, "22004", "null value not allowed for object key");
		else if (!sqlite3_value_int(argv[2]))
			sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
		else
			result_jsonb(ctx, &b);
		buf_cleanup(&b);
	}
	json_decref(k);
	json_decref(v);
}

bool pgt_json_register_functions(sqlite3 *db)
{
	static const PgtSqlFunc fns[] = {
		{"pg_jsonb_concat", 2, fn_jsonb_concat, NULL, SQLITE_DETERMINISTIC},
		{"pg_json_object", 3, fn_json_object, NULL, SQLITE_DETERMINISTIC},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
