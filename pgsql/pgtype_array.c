/*
 * pgtype_array.c - one-dimensional arrays, stored as PG array literals.
 *
 * The stored literal ('{1,2,3}', '{a,"b c",NULL}') holds each element in
 * its text form for time zone UTC and extra_float_digits 1, quoted as
 * array_out quotes.  Output re-renders the elements whose text depends on
 * the session; send and receive use PG's binary array format.
 */
#include "pgsql/pgtype_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct ArrItem {
	size_t off, len; /* in ArrList.bytes */
	bool null;
} ArrItem;

typedef struct ArrList {
	Buf bytes;
	ArrItem *items;
	int n, cap;
} ArrList;

static const PgtFormat storage_format = {1, "UTC", 0, NULL};

static void arr_cleanup(ArrList *l)
{
	buf_cleanup(&l->bytes);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static bool arr_add(ArrList *l, size_t off, bool null)
{
	if (l->n == l->cap) {
		int nc = l->cap ? l->cap * 2 : 16;
		ArrItem *ni = realloc(l->items, sizeof(*ni) * (size_t)nc);
		if (!ni)
			return false;
		l->items = ni;
		l->cap = nc;
	}
	l->items[l->n].off = off;
	l->items[l->n].len = l->bytes.len - off;
	l->items[l->n].null = null;
	l->n++;
	return true;
}

static bool arr_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Split a one-dimensional array literal into its elements, undoing quotes
 * and backslash escapes; an unquoted NULL is a null element.  22P02
 * "malformed array literal" on bad syntax, 0A000 for dimension decorations
 * and nested arrays.
 */
static bool arr_parse(const char *s, size_t n, ArrList *l, PgtError *err)
{
	char q[160];
	size_t i = 0;

	memset(l, 0, sizeof(*l));
	while (i < n && arr_space(s[i]))
		i++;
	if (i < n && s[i] == '[')
		return pgt_fail(err, "0A000", "array dimension decorations are not supported");
	if (i >= n || s[i] != '{')
		goto malformed;
	i++;
	/* the elements' bytes are at most the input's: one allocation, and
	 * never a NULL base for an element's offset (an empty "" element) */
	if (!buf_reserve(&l->bytes, n + 1))
		return pgt_fail(err, "53200", "out of memory");
	while (i < n && arr_space(s[i]))
		i++;
	if (i < n && s[i] == '}') {
		i++;
		goto tail;
	}
	for (;;) {
		while (i < n && arr_space(s[i]))
			i++;
		if (i >= n)
			goto malformed;
		if (s[i] == '{') {
			arr_cleanup(l);
			return pgt_fail(err, "0A000", "multidimensional arrays are not supported");
		}
		size_t off = l->bytes.len;
		bool null = false;
		if (s[i] == '"') {
			for (i++;; i++) {
				if (i >= n)
					goto malformed;
				if (s[i] == '"')
					break;
				if (s[i] == '\\' && ++i >= n)
					goto malformed;
				buf_put_u8(&l->bytes, (uint8_t)s[i]);
			}
			i++;
			while (i < n && arr_space(s[i]))
				i++;
		} else {
			size_t keep = off; /* end of the element without trailing blanks */
			bool escaped = false;
			for (; i < n && s[i] != ',' && s[i] != '}'; i++) {
				if (s[i] == '"' || s[i] == '{')
					goto malformed;
				if (s[i] == '\\') {
					if (++i >= n)
						goto malformed;
					escaped = true;
					buf_put_u8(&l->bytes, (uint8_t)s[i]);
					keep = l->bytes.len;
					continue;
				}
				buf_put_u8(&l->bytes, (uint8_t)s[i]);
				if (!arr_space(s[i]))
					keep = l->bytes.len;
			}
			l->bytes.len = keep;
			if (keep == off)
				goto malformed;
			null = !escaped && keep - off == 4 &&
			       strncasecmp((const char *)l->bytes.data + off, "NULL", 4) == 0;
		}
		if (!arr_add(l, off, null))
			return pgt_fail(err, "53200", "out of memory");
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i < n && s[i] == '}') {
			i++;
			break;
		}
		goto malformed;
	}
tail:
	while (i < n && arr_space(s[i]))
		i++;
	if (i == n && !l->bytes.failed)
		return true;
malformed:
	arr_cleanup(l);
	return pgt_fail(err, "22P02", "malformed array literal: \"%s\"", pgt_quote_for_msg(q, sizeof(q), s, n));
}

/* Append an element quoted as array_out does. */
static void arr_put_elem(Buf *out, const char *s, size_t n)
{
	bool quote = n == 0 || (n == 4 && strncasecmp(s, "NULL", 4) == 0);
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == '"' || s[i] == '\\' || s[i] == '{' || s[i] == '}' || s[i] == ',' ||
			arr_space(s[i]);
	if (!quote) {
		buf_put(out, s, n);
		return;
	}
	buf_put_u8(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_put_u8(out, '\\');
		buf_put_u8(out, (uint8_t)s[i]);
	}
	buf_put_u8(out, '"');
}

void pgt_array_put_elem(Buf *out, const char *s, size_t n) { arr_put_elem(out, s, n); }

static uint32_t elem_of(uint32_t oid)
{
	const PgType *t = pgt_by_oid(oid);
	return t ? t->elem_oid : 0;
}

/* Append the storage text of a canonical element value. */
static bool put_stored_elem(Buf *out, const PgtValue *v, uint32_t elem, int32_t typmod, PgtError *err)
{
	PgtDatum d = {v->type, v->i, v->d, v->s.data ? (const char *)v->s.data : "", v->s.len};
	Buf t;
	buf_init(&t);
	if (!pgt_out_text_datum(&t, &d, elem, typmod, &storage_format, err)) {
		buf_cleanup(&t);
		return false;
	}
	arr_put_elem(out, (const char *)t.data, t.len);
	buf_cleanup(&t);
	return true;
}

bool pgt_array_build(Buf *out, int n, sqlite3_value **elems, uint32_t elem, PgtError *err)
{
	Buf t;
	bool ok = true;
	buf_init(&t);
	buf_put_u8(out, '{');
	for (int i = 0; i < n && ok; i++) {
		if (i)
			buf_put_u8(out, ',');
		if (sqlite3_value_type(elems[i]) == SQLITE_NULL) {
			buf_put_str(out, "NULL");
			continue;
		}
		buf_reset(&t);
		ok = pgt_out_text(&t, elems[i], elem, -1, &storage_format, err);
		if (ok)
			arr_put_elem(out, (const char *)t.data, t.len);
	}
	buf_put_u8(out, '}');
	if (ok && (t.failed || out->failed))
		ok = pgt_fail(err, "53200", "out of memory");
	buf_cleanup(&t);
	return ok;
}

/* array_in: parse, cast each element to the element type (with the
 * array's typmod), and store the normalised literal. */
bool pgt_array_in(const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		  PgtValue *out, PgtError *err)
{
	ArrList l;
	Buf b;
	PgtValue ev;
	uint32_t elem = elem_of(oid);
	bool ok = true;

	if (!arr_parse(s, n, &l, err))
		return false;
	buf_init(&b);
	pgt_value_init(&ev);
	buf_put_u8(&b, '{');
	for (int i = 0; i < l.n && ok; i++) {
		if (i)
			buf_put_u8(&b, ',');
		if (l.items[i].null) {
			buf_put_str(&b, "NULL");
			continue;
		}
		ok = pgt_coerce_text((const char *)l.bytes.data + l.items[i].off, l.items[i].len, elem,
				     typmod, fmt, &ev, err) &&
		     put_stored_elem(&b, &ev, elem, typmod, err);
	}
	buf_put_u8(&b, '}');
	pgt_value_cleanup(&ev);
	arr_cleanup(&l);
	if (ok && b.failed)
		ok = pgt_fail(err, "53200", "out of memory");
	if (ok)
		ok = pgt_set_text(out, (const char *)b.data, b.len) || pgt_fail(err, "53200", "out of memory");
	buf_cleanup(&b);
	return ok;
}

/* array_out: the stored literal, with float and timestamptz elements
 * re-rendered for the session. */
bool pgt_array_out(Buf *out, const char *s, size_t n, uint32_t oid, const PgtFormat *fmt, PgtError *err)
{
	uint32_t elem = elem_of(oid);
	if (elem != PGT_FLOAT4 && elem != PGT_FLOAT8 && elem != PGT_TIMESTAMPTZ) {
		buf_put(out, s, n);
		return true;
	}
	ArrList l;
	Buf t;
	bool ok = true;
	if (!arr_parse(s, n, &l, err))
		return false;
	buf_init(&t);
	buf_put_u8(out, '{');
	for (int i = 0; i < l.n && ok; i++) {
		if (i)
			buf_put_u8(out, ',');
		if (l.items[i].null) {
			buf_put_str(out, "NULL");
			continue;
		}
		PgtDatum d = {SQLITE_TEXT, 0, 0, (const char *)l.bytes.data + l.items[i].off, l.items[i].len};
		buf_reset(&t);
		ok = pgt_out_text_datum(&t, &d, elem, -1, fmt, err);
		if (ok)
			arr_put_elem(out, (const char *)t.data, t.len);
	}
	buf_put_u8(out, '}');
	buf_cleanup(&t);
	arr_cleanup(&l);
	return ok;
}

/* array_send: ndim, has-null flag, element type, dimension and lower bound,
 * then each element as a length word and its binary form. */
bool pgt_array_send(Buf *out, const char *s, size_t n, uint32_t oid, const PgtFormat *fmt, PgtError *err)
{
	ArrList l;
	Buf t;
	bool ok = true, hasnull = false;
	uint32_t elem = elem_of(oid);

	if (!arr_parse(s, n, &l, err))
		return false;
	for (int i = 0; i < l.n; i++)
		hasnull |= l.items[i].null;
	buf_put_u32(out, l.n ? 1 : 0);
	buf_put_u32(out, hasnull ? 1 : 0);
	buf_put_u32(out, elem);
	if (l.n) {
		buf_put_u32(out, (uint32_t)l.n);
		buf_put_u32(out, 1);
	}
	buf_init(&t);
	for (int i = 0; i < l.n && ok; i++) {
		if (l.items[i].null) {
			buf_put_u32(out, 0xFFFFFFFFu);
			continue;
		}
		PgtDatum d = {SQLITE_TEXT, 0, 0, (const char *)l.bytes.data + l.items[i].off, l.items[i].len};
		buf_reset(&t);
		ok = pgt_out_binary_datum(&t, &d, elem, -1, fmt, err);
		if (ok) {
			buf_put_u32(out, (uint32_t)t.len);
			buf_put(out, t.data, t.len);
		}
	}
	buf_cleanup(&t);
	arr_cleanup(&l);
	return ok;
}

/* array_recv: decode a binary array of at most one dimension into the
 * stored literal.  22P03 on a malformed message, 42804 for an element type
 * other than the array's. */
bool pgt_array_recv(const uint8_t *p, size_t len, uint32_t oid, int32_t typmod, PgtValue *out,
		    PgtError *err)
{
	BufReader r;
	int32_t ndim, flags, etype, dim = 0, lb;
	uint32_t elem = elem_of(oid);
	Buf b;
	PgtValue ev;
	bool ok = true;

	buf_rd_init(&r, p, len);
	if (!buf_rd_i32(&r, &ndim) || !buf_rd_i32(&r, &flags) || !buf_rd_i32(&r, &etype))
		return pgt_fail(err, "22P03", "incorrect binary data format");
	if (ndim > 1)
		return pgt_fail(err, "0A000", "multidimensional arrays are not supported");
	if (ndim < 0 || (flags & ~1))
		return pgt_fail(err, "22P03", "invalid array flags");
	if ((uint32_t)etype != elem)
		return pgt_fail(err, "42804", "binary data has array element type %u instead of expected %u",
				(uint32_t)etype, elem);
	if (ndim == 1 && (!buf_rd_i32(&r, &dim) || !buf_rd_i32(&r, &lb) || dim < 0))
		return pgt_fail(err, "22P03", "incorrect binary data format");
	buf_init(&b);
	pgt_value_init(&ev);
	buf_put_u8(&b, '{');
	for (int32_t i = 0; i < dim && ok; i++) {
		int32_t elen;
		const uint8_t *ep;
		if (i)
			buf_put_u8(&b, ',');
		if (!buf_rd_i32(&r, &elen) || elen < -1) {
			ok = pgt_fail(err, "22P03", "incorrect binary data format");
			break;
		}
		if (elen == -1) {
			buf_put_str(&b, "NULL");
			continue;
		}
		if (!buf_rd_bytes(&r, (size_t)elen, &ep)) {
			ok = pgt_fail(err, "22P03", "incorrect binary data format");
			break;
		}
		ok = pgt_recv_binary(ep, (size_t)elen, elem, typmod, &ev, err) &&
		     put_stored_elem(&b, &ev, elem, typmod, err);
	}
	buf_put_u8(&b, '}');
	if (ok && !buf_rd_end(&r))
		ok = pgt_fail(err, "22P03", "incorrect binary data format");
	if (ok && (b.failed || !pgt_set_text(out, (const char *)b.data, b.len)))
		ok = pgt_fail(err, "53200", "out of memory");
	pgt_value_cleanup(&ev);
	buf_cleanup(&b);
	return ok;
}

/* Parse the array argv[i] for an SQL function; false (result NULL, or an
 * error set) when it is NULL or malformed. */
/* An int2vector or oidvector ("1 2 3"): its elements, space-separated. */
static bool vector_parse(const char *s, size_t n, ArrList *l)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < n;) {
		while (i < n && s[i] == ' ')
			i++;
		size_t off = l->bytes.len;
		while (i < n && s[i] != ' ')
			buf_put_u8(&l->bytes, (uint8_t)s[i++]);
		if (l->bytes.len > off && !arr_add(l, off, false)) {
			arr_cleanup(l);
			return false;
		}
	}
	return !l->bytes.failed;
}

static bool arg_array(sqlite3_context *ctx, sqlite3_value *v, ArrList *l)
{
	PgtError err;
	if (sqlite3_value_type(v) == SQLITE_NULL)
		return false;
	const char *s = (const char *)sqlite3_value_text(v);
	size_t n = (size_t)sqlite3_value_bytes(v), lead = strspn(s, " ");
	if (lead < n && s[lead] != '{' && s[lead] != '[') {
		if (vector_parse(s, n, l))
			return true;
		pgt_result_error(ctx, "53200", "out of memory");
		return false;
	}
	if (!arr_parse(s, n, l, &err)) {
		pgt_result_error(ctx, err.sqlstate, err.msg);
		return false;
	}
	return true;
}

/* array_to_string(arr, sep [, null_string]): the elements joined by sep;
 * null elements skipped, or written as null_string. */
static void fn_array_to_string(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	ArrList l;
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL || !arg_array(ctx, argv[0], &l))
		return;
	const char *sep = (const char *)sqlite3_value_text(argv[1]);
	const char *nullstr = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
	Buf out;
	buf_init(&out);
	bool first = true;
	for (int i = 0; i < l.n; i++) {
		if (l.items[i].null && !nullstr)
			continue;
		if (!first)
			buf_put_str(&out, sep);
		first = false;
		if (l.items[i].null)
			buf_put_str(&out, nullstr);
		else
			buf_put(&out, l.bytes.data + l.items[i].off, l.items[i].len);
	}
	sqlite3_result_text(ctx, out.data ? (const char *)out.data : "", (int)out.len, SQLITE_TRANSIENT);
	buf_cleanup(&out);
	arr_cleanup(&l);
}

/* array_upper(arr, 1) and array_length(arr, 1) (ud 1): NULL for an empty
 * array or another dimension; array_lower(arr, 1) (ud 2) is 1. */
static void fn_array_bound(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ArrList l;
	if (sqlite3_value_int(argv[1]) != 1 || !arg_array(ctx, argv[0], &l))
		return;
	if (l.n > 0)
		sqlite3_result_int(ctx, sqlite3_user_data(ctx) == (void *)2 ? 1 : l.n);
	arr_cleanup(&l);
}

/* cardinality(arr): the number of elements. */
static void fn_cardinality(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ArrList l;
	if (!arg_array(ctx, argv[0], &l))
		return;
	sqlite3_result_int(ctx, l.n);
	arr_cleanup(&l);
}

/* Append arr's elements, quoted again, to out (after a comma when not the
 * first). */
static void put_elems(Buf *out, const ArrList *l, bool *first)
{
	for (int i = 0; i < l->n; i++) {
		if (!*first)
			buf_put_u8(out, ',');
		*first = false;
		if (l->items[i].null)
			buf_put_str(out, "NULL");
		else
			arr_put_elem(out, (const char *)l->bytes.data + l->items[i].off, l->items[i].len);
	}
}

/* pg_array_cat(a, b): a || b; a NULL side is ignored. */
static void fn_array_cat(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ArrList a, b;
	bool have_a = arg_array(ctx, argv[0], &a), have_b = arg_array(ctx, argv[1], &b);
	if (!have_a && !have_b)
		return;
	Buf out;
	buf_init(&out);
	bool first = true;
	buf_put_u8(&out, '{');
	if (have_a)
		put_elems(&out, &a, &first);
	if (have_b)
		put_elems(&out, &b, &first);
	buf_put_u8(&out, '}');
	sqlite3_result_text(ctx, (const char *)out.data, (int)out.len, SQLITE_TRANSIENT);
	buf_cleanup(&out);
	if (have_a)
		arr_cleanup(&a);
	if (have_b)
		arr_cleanup(&b);
}

/* pg_array_json(arr): the elements as a JSON array of strings (nulls as
 * null), for unnest() through json_each. */
static void fn_array_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ArrList l;
	if (!arg_array(ctx, argv[0], &l))
		return;
	Buf out;
	buf_init(&out);
	buf_put_u8(&out, '[');
	for (int i = 0; i < l.n; i++) {
		if (i)
			buf_put_u8(&out, ',');
		if (l.items[i].null) {
			buf_put_str(&out, "null");
			continue;
		}
		buf_put_u8(&out, '"');
		for (size_t k = 0; k < l.items[i].len; k++) {
			unsigned char c = l.bytes.data[l.items[i].off + k];
			if (c == '"' || c == '\\')
				buf_printf(&out, "\\%c", c);
			else if (c < 0x20)
				buf_printf(&out, "\\u%04x", c);
			else
				buf_put_u8(&out, c);
		}
		buf_put_u8(&out, '"');
	}
	buf_put_u8(&out, ']');
	sqlite3_result_text(ctx, (const char *)out.data, (int)out.len, SQLITE_TRANSIENT);
	buf_cleanup(&out);
	arr_cleanup(&l);
}

/* pg_array_agg(value): array_agg(), the values as an array literal; NULL
 * for none. */
static void array_agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	Buf *b = sqlite3_aggregate_context(ctx, sizeof(Buf));
	if (!b)
		return;
	buf_put_u8(b, b->len ? ',' : '{');
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		buf_put_str(b, "NULL");
	else
		arr_put_elem(b, (const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]));
}

/* As a window aggregate: the first value leaves the frame. */
static void array_agg_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	Buf *b = sqlite3_aggregate_context(ctx, sizeof(Buf));
	if (!b || !b->len)
		return;
	size_t i = 1;
	if (i < b->len && b->data[i] == '"') {
		for (i++; i < b->len && b->data[i] != '"'; i++)
			if (b->data[i] == '\\')
				i++;
		i++;
	}
	while (i < b->len && b->data[i] != ',')
		i++;
	/* keep the '{' and drop the element with its comma */
	size_t cut = i < b->len ? i : b->len;
	size_t rest = b->len - cut;
	if (rest)
		memmove(b->data + 1, b->data + cut + 1, rest - 1);
	b->len = rest ? rest : 0;
}

static void array_agg_value(sqlite3_context *ctx)
{
	Buf *b = sqlite3_aggregate_context(ctx, 0);
	if (!b || !b->len)
		return;
	buf_put_u8(b, '}');
	sqlite3_result_text(ctx, (const char *)b->data, (int)b->len, SQLITE_TRANSIENT);
	b->len--;
}

static void array_agg_final(sqlite3_context *ctx)
{
	array_agg_value(ctx);
	Buf *b = sqlite3_aggregate_context(ctx, 0);
	if (b)
		buf_cleanup(b);
}

/* Whether element i of a equals a non-NULL element of b. */
static bool arr_has(const ArrList *a, int i, const ArrList *b)
{
	if (a->items[i].null)
		return false;
	for (int k = 0; k < b->n; k++)
		if (!b->items[k].null && b->items[k].len == a->items[i].len &&
		    memcmp(b->bytes.data + b->items[k].off, a->bytes.data + a->items[i].off, a->items[i].len) == 0)
			return true;
	return false;
}

/* pg_array_contains(a, b): a @> b, every element of b is one of a's (a
 * NULL element is never one); pg_array_overlap(a, b) (user data non-NULL):
 * a && b, some element of b is one of a's. */
static void fn_array_contains(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	bool overlap = sqlite3_user_data(ctx) != NULL;
	ArrList a, b;
	if (!arg_array(ctx, argv[0], &a))
		return;
	if (!arg_array(ctx, argv[1], &b)) {
		arr_cleanup(&a);
		return;
	}
	bool res = !overlap;
	for (int i = 0; i < b.n; i++)
		if (arr_has(&b, i, &a) == overlap) {
			res = overlap;
			break;
		}
	sqlite3_result_int(ctx, res);
	arr_cleanup(&a);
	arr_cleanup(&b);
}

/* Element k of l (NULL past its end) quoted as array_out does. */
static void put_item(Buf *out, const ArrList *l, sqlite3_int64 k)
{
	if (k >= l->n || l->items[k].null)
		buf_put_str(out, "NULL");
	else
		arr_put_elem(out, (const char *)l->bytes.data + l->items[k].off, l->items[k].len);
}

static void result_array(sqlite3_context *ctx, const Buf *out)
{
	if (out->failed)
		pgt_result_error(ctx, "53200", "out of memory");
	else
		sqlite3_result_text(ctx, (const char *)out->data, (int)out->len, SQLITE_TRANSIENT);
}

/* pg_array_assign(arr, i, v, elem): arr with element i set to v (of
 * element type elem), NULL elements filling the gap after its end; a NULL
 * arr is empty.  A subscript before 1 (or, on an empty array, after 1)
 * would give the array another lower bound: 0A000. */
static void fn_array_assign(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ArrList l;
	PgtError err;
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		pgt_result_error(ctx, "22004", "array subscript in assignment must not be null");
		return;
	}
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		memset(&l, 0, sizeof(l));
	else if (!arg_array(ctx, argv[0], &l))
		return;
	sqlite3_int64 idx = sqlite3_value_int64(argv[1]);
	if (idx < 1 || (l.n == 0 && idx > 1)) {
		arr_cleanup(&l);
		pgt_result_error(ctx, "0A000", "array lower bounds other than 1 are not supported by DoSQL");
		return;
	}
	Buf out, t;
	buf_init(&out);
	buf_init(&t);
	bool ok = true;
	int n = idx > l.n ? (int)idx : l.n;
	buf_put_u8(&out, '{');
	for (int i = 0; i < n && ok; i++) {
		if (i)
			buf_put_u8(&out, ',');
		if (i + 1 == idx && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
			buf_reset(&t);
			ok = pgt_out_text(&t, argv[2], (uint32_t)sqlite3_value_int64(argv[3]), -1, &storage_format, &err);
			arr_put_elem(&out, (const char *)t.data, t.len);
		} else {
			put_item(&out, &l, i + 1 == idx ? l.n : i);
		}
	}
	buf_put_u8(&out, '}');
	if (!ok)
		pgt_result_error(ctx, err.sqlstate, err.msg);
	else
		result_array(ctx, &out);
	buf_cleanup(&out);
	buf_cleanup(&t);
	arr_cleanup(&l);
}

/* pg_array_slice(arr, lo, hi): arr[lo:hi] of a one-dimensional array, the
 * elements from max(lo, 1) to min(hi, length), '{}' when none. */
static void fn_array_slice(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	ArrList l;
	for (int i = 1; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	if (!arg_array(ctx, argv[0], &l))
		return;
	sqlite3_int64 lo = sqlite3_value_int64(argv[1]), hi = sqlite3_value_int64(argv[2]);
	Buf out;
	buf_init(&out);
	buf_put_u8(&out, '{');
	for (sqlite3_int64 i = lo < 1 ? 1 : lo; i <= hi && i <= l.n; i++) {
		if (out.len > 1)
			buf_put_u8(&out, ',');
		put_item(&out, &l, i - 1);
	}
	buf_put_u8(&out, '}');
	result_array(ctx, &out);
	buf_cleanup(&out);
	arr_cleanup(&l);
}

/* The bounds lo..hi of a slice assignment to an array of n elements
 * (omitted: bit 1 lo, bit 2 hi, taking the array's bounds), or the error. */
static bool slice_bounds(sqlite3_value **argv, int n, sqlite3_int64 *lo, sqlite3_int64 *hi, PgtError *err)
{
	int omitted = sqlite3_value_int(argv[4]);
	if ((!(omitted & 1) && sqlite3_value_type(argv[1]) == SQLITE_NULL) ||
	    (!(omitted & 2) && sqlite3_value_type(argv[2]) == SQLITE_NULL))
		return pgt_fail(err, "22004", "array subscript in assignment must not be null");
	if (omitted && n == 0)
		return pgt_fail(err, "2202E", "array slice subscript must provide both boundaries");
	*lo = omitted & 1 ? 1 : sqlite3_value_int64(argv[1]);
	*hi = omitted & 2 ? n : sqlite3_value_int64(argv[2]);
	if (*hi < *lo)
		return pgt_fail(err, "2202E", "upper bound cannot be less than lower bound");
	if (*lo < 1 || (n == 0 && *lo > 1))
		return pgt_fail(err, "0A000", "array lower bounds other than 1 are not supported by DoSQL");
	return true;
}

/* pg_array_assign_slice(arr, lo, hi, src, omitted): arr with elements
 * lo..hi replaced by the first elements of src, NULL elements filling the
 * gap after arr's end; a NULL arr is empty. */
static void fn_array_assign_slice(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ArrList l, src;
	PgtError err;
	sqlite3_int64 lo = 0, hi = 0;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		memset(&l, 0, sizeof(l));
	else if (!arg_array(ctx, argv[0], &l))
		return;
	if (!slice_bounds(argv, l.n, &lo, &hi, &err)) {
		arr_cleanup(&l);
		pgt_result_error(ctx, err.sqlstate, err.msg);
		return;
	}
	if (sqlite3_value_type(argv[3]) == SQLITE_NULL) {
		/* PostgreSQL leaves the array as it is */
		sqlite3_result_value(ctx, argv[0]);
		arr_cleanup(&l);
		return;
	}
	if (!arg_array(ctx, argv[3], &src)) {
		arr_cleanup(&l);
		return;
	}
	Buf out;
	buf_init(&out);
	if (src.n < hi - lo + 1) {
		pgt_result_error(ctx, "2202E", "source array too small");
	} else {
		sqlite3_int64 n = hi > l.n ? hi : l.n;
		buf_put_u8(&out, '{');
		for (sqlite3_int64 i = 1; i <= n; i++) {
			if (i > 1)
				buf_put_u8(&out, ',');
			const ArrList *from = i >= lo && i <= hi ? &src : &l;
			put_item(&out, from, i >= lo && i <= hi ? i - lo : i - 1);
		}
		buf_put_u8(&out, '}');
		result_array(ctx, &out);
	}
	buf_cleanup(&out);
	arr_cleanup(&l);
	arr_cleanup(&src);
}

/* Whether element i of l is the value v (storage text, NULL when
 * isnull): NULL matches NULL, as IS NOT DISTINCT FROM. */
static bool elem_is(const ArrList *l, int i, const Buf *v, bool isnull, uint32_t elem)
{
	if (l->items[i].null || isnull)
		return l->items[i].null && isnull;
	const char *e = (const char *)l->bytes.data + l->items[i].off;
	if (elem == PGT_NUMERIC) {
		/* by value: 2.5 is 2.50 */
		PgtDec a, b;
		if (pgt_dec_parse(e, l->items[i].len, &a) && pgt_dec_parse((const char *)v->data, v->len, &b))
			return dec_cmp(&a, &b) == 0;
	}
	return l->items[i].len == v->len && memcmp(e, v->data, v->len) == 0;
}

/* The storage text of value v of type elem into t; false with the error
 * set on ctx. */
static bool elem_text(sqlite3_context *ctx, sqlite3_value *v, uint32_t elem, Buf *t)
{
	PgtError err;
	if (sqlite3_value_type(v) == SQLITE_NULL || pgt_out_text(t, v, elem, -1, &storage_format, &err))
		return true;
	pgt_result_error(ctx, err.sqlstate, err.msg);
	return false;
}

/*
 * pg_array_find(arr, v, elem, mode [, w]): array_position (mode 0: the
 * first index holding v, or NULL), array_positions (1: every such index,
 * an int4[]), array_remove (2: arr without them), array_replace (3: arr
 * with w in their place); elements equal as their storage texts are
 * (numeric ones by value).
 */
static void fn_array_find(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	ArrList l;
	uint32_t elem = (uint32_t)sqlite3_value_int64(argv[2]);
	int mode = sqlite3_value_int(argv[3]);
	if (!arg_array(ctx, argv[0], &l))
		return;
	Buf v, w, out;
	buf_init(&v);
	buf_init(&w);
	buf_init(&out);
	bool vnull = sqlite3_value_type(argv[1]) == SQLITE_NULL, wnull = argc < 5 || sqlite3_value_type(argv[4]) == SQLITE_NULL;
	bool ok = elem_text(ctx, argv[1], elem, &v) && (argc < 5 || elem_text(ctx, argv[4], elem, &w));
	int found = 0;
	buf_put_u8(&out, '{');
	for (int i = 0; i < l.n && ok; i++) {
		bool hit = elem_is(&l, i, &v, vnull, elem);
		if (hit && mode == 0) {
			sqlite3_result_int(ctx, i + 1);
			break;
		}
		if (mode == 1 && hit)
			buf_printf(&out, "%s%d", found ? "," : "", i + 1);
		if (mode >= 2 && !(hit && mode == 2)) {
			buf_put_str(&out, found ? "," : "");
			if (hit ? wnull : l.items[i].null)
				buf_put_str(&out, "NULL");
			else if (hit)
				arr_put_elem(&out, (const char *)w.data, w.len);
			else
				arr_put_elem(&out, (const char *)l.bytes.data + l.items[i].off, l.items[i].len);
		}
		found += mode == 1 ? hit : mode >= 2 && !(hit && mode == 2);
	}
	buf_put_u8(&out, '}');
	if (ok && mode > 0)
		sqlite3_result_text(ctx, (const char *)out.data, (int)out.len, SQLITE_TRANSIENT);
	buf_cleanup(&v);
	buf_cleanup(&w);
	buf_cleanup(&out);
	arr_cleanup(&l);
}

/* Two elements of arrays of numbers by value, of strings by bytes. */
static int elem_cmp(const ArrList *x, int i, const ArrList *y, bool numeric)
{
	static __thread PgtDec dx, dy;
	const char *a = (const char *)x->bytes.data + x->items[i].off, *b = (const char *)y->bytes.data + y->items[i].off;
	size_t na = x->items[i].len, nb = y->items[i].len;
	if (x->items[i].null || y->items[i].null)
		return (int)x->items[i].null - (int)y->items[i].null; /* NULL after every value */
	if (numeric && pgt_dec_parse(a, na, &dx) && pgt_dec_parse(b, nb, &dy))
		return dec_cmp(&dx, &dy);
	int c = na && nb ? memcmp(a, b, na < nb ? na : nb) : 0;
	return c ? c : (na > nb) - (na < nb);
}

/* The collations pg_array_num (user data non-NULL: arrays of numbers) and
 * pg_array_text: array_cmp's order of stored one-dimensional arrays, element
 * by element (NULL elements last), then the shorter first; texts that are no
 * such array after every array, by their bytes. */
static int coll_array(void *arg, int na, const void *a, int nb, const void *b)
{
	a = a ? a : "", b = b ? b : ""; /* SQLite passes NULL for an empty text */
	if (na == nb && (na == 0 || memcmp(a, b, (size_t)na) == 0))
		return 0;
	ArrList x, y;
	PgtError err;
	bool okx = arr_parse(a, (size_t)na, &x, &err), oky = arr_parse(b, (size_t)nb, &y, &err);
	int c;
	if (okx && oky) {
		c = 0;
		for (int i = 0; !c && i < x.n && i < y.n; i++)
			c = elem_cmp(&x, i, &y, arg != NULL);
		if (!c)
			c = (x.n > y.n) - (x.n < y.n);
	} else {
		c = pgt_coll_unparsed(okx, oky, a, na, b, nb);
	}
	if (okx)
		arr_cleanup(&x);
	if (oky)
		arr_cleanup(&y);
	return c;
}

bool pgt_array_register_functions(sqlite3 *db)
{
	static const PgtSqlFunc fns[] = {
		{"pg_array_to_string", 2, fn_array_to_string, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_to_string", 3, fn_array_to_string, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_upper", 2, fn_array_bound, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_length", 2, fn_array_bound, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_lower", 2, fn_array_bound, (void *)2, SQLITE_DETERMINISTIC},
		{"pg_cardinality", 1, fn_cardinality, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_cat", 2, fn_array_cat, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_json", 1, fn_array_json, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_assign", 4, fn_array_assign, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_slice", 3, fn_array_slice, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_assign_slice", 5, fn_array_assign_slice, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_contains", 2, fn_array_contains, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_overlap", 2, fn_array_contains, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_array_find", 4, fn_array_find, NULL, SQLITE_DETERMINISTIC},
		{"pg_array_find", 5, fn_array_find, NULL, SQLITE_DETERMINISTIC},
	};
	return sqlite3_create_collation_v2(db, "pg_array_num", SQLITE_UTF8, (void *)1, coll_array, NULL) == SQLITE_OK &&
	       sqlite3_create_collation_v2(db, "pg_array_text", SQLITE_UTF8, NULL, coll_array, NULL) == SQLITE_OK &&
	       pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0])) &&
	       sqlite3_create_window_function(db, "pg_array_agg", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
					      array_agg_step, array_agg_final, array_agg_value, array_agg_inverse,
					      NULL) == SQLITE_OK;
}
