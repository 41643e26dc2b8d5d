/*
 * subquery.c - a write after its subqueries: the final step in the
 * router's engine computed each subquery's rows (one statement each, in
 * order); their values become the write's parameters $1..$n, in text: an
 * array literal of every row's first column for `x op ANY (subquery)` and
 * IN, the first row's value for EXISTS and a scalar subquery.  Then the
 * write goes to its shards with them, in the same transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

/* One value of an array literal: NULL, or double-quoted with " and \
 * escaped. */
static void put_element(Buf *b, const uint8_t *v, int32_t len)
{
	if (len < 0) {
		buf_put_str(b, "NULL");
		return;
	}
	buf_put_u8(b, '"');
	for (int32_t i = 0; i < len; i++) {
		if (v[i] == '"' || v[i] == '\\')
			buf_put_u8(b, '\\');
		buf_put_u8(b, v[i]);
	}
	buf_put_u8(b, '"');
}

/* The fields of an ErrorResponse's body into e. */
static void error_fields(const uint8_t *p, const uint8_t *end, PgwError *e)
{
	pgw_error_set(e, "XX000", "%s", "the subqueries of the write failed");
	while (p < end && *p) {
		char code = (char)*p++;
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));
		if (!z)
			break;
		if (code == 'C')
			snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", (const char *)p);
		else if (code == 'M')
			snprintf(e->message, sizeof(e->message), "%s", (const char *)p);
		else if (code == 'D')
			snprintf(e->detail, sizeof(e->detail), "%s", (const char *)p);
		p = z + 1;
	}
}

bool rt_subquery_values(const Buf *out, const RtOp *op, RtSubValues *v, PgwError *e)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < RT_MAX_SUBQUERIES; i++)
		buf_init(&v->text[i]);
	int k = -1;
	bool ok = true;
	for (size_t off = 0; ok && off + 5 <= out->len;) {
		char type = (char)out->data[off];
		size_t len = (size_t)rd_be32(out->data + off + 1) + 1;
		const uint8_t *p = out->data + off + 5, *end = out->data + off + len;
		off += len;
		if (type == 'E') {
			error_fields(p, end, e);
			ok = false;
		} else if (type == 'T') {
			ok = ++k < op->nsubs;
			if (ok && op->sub_array[k])
				buf_put_u8(&v->text[k], '{');
			v->isnull[k] = !op->sub_array[k]; /* no row: NULL */
		} else if (type == 'D' && k >= 0 && end - p >= 6) {
			int32_t n = (int32_t)rd_be32(p + 2);
			if (n > end - p - 6)
				n = -1;
			if (op->sub_array[k]) {
				if (v->text[k].len > 1)
					buf_put_u8(&v->text[k], ',');
				put_element(&v->text[k], p + 6, n);
			} else if (v->nrows[k]++ == 0) {
				v->isnull[k] = n < 0;
				if (n >= 0)
					buf_put(&v->text[k], p + 6, (size_t)n);
			}
		}
	}
	if (ok && k + 1 != op->nsubs) {
		pgw_error_set(e, "XX000", "the subqueries of the write gave %d results, not %d", k + 1, op->nsubs);
		ok = false;
	}
	for (int i = 0; ok && i < op->nsubs; i++) {
		if (op->sub_array[i])
			buf_put_u8(&v->text[i], '}');
		ok = !v->text[i].failed;
		v->values[i] = v->isnull[i] ? NULL : buf_cstr(&v->text[i]);
		v->lengths[i] = v->isnull[i] ? 0 : (int)v->text[i].len;
	}
	v->params = (RtParams){.n = op->nsubs, .values = v->values, .lengths = v->lengths, .formats = v->formats,
			       .types = v->types};
	return ok;
}

void rt_subquery_values_cleanup(RtSubValues *v)
{
	for (int i = 0; i < RT_MAX_SUBQUERIES; i++)
		buf_cleanup(&v->text[i]);
}
