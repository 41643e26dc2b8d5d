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

/* The next message of out at *off (its type and body); false at the end. */
static bool next_message(const Buf *out, size_t *off, char *type, const uint8_t **p, const uint8_t **end)
{
	if (*off + 5 > out->len)
		return false;
	size_t len = (size_t)rd_be32(out->data + *off + 1) + 1;
	if (len < 5 || *off + len > out->len)
		return false;
	*type = (char)out->data[*off];
	*p = out->data + *off + 5;
	*end = out->data + *off + len;
	*off += len;
	return true;
}

/* Note the shard of a value of the key subquery. */
static void key_value(const RtOp *op, const VscSchema *vs, const uint8_t *p, int32_t n, RtSubValues *v)
{
	uint64_t ksid;
	VscError ve;
	if (n < 0)
		return; /* = NULL matches no row */
	if (!vsc_ksid_text(op->key->vindex, op->key_type ? op->key_type : 25, (const char *)p, (size_t)n, &ksid, &ve))
		v->keyed = false;
	else
		v->key_shard[vsc_shard_for_ksid(vs, ksid)] = true;
}

bool rt_subquery_values(const Buf *out, const RtOp *op, const VscSchema *vs, RtSubValues *v, PgwError *e)
{
	memset(v, 0, sizeof(*v));
	v->keyed = op->key != NULL;
	for (int i = 0; i < RT_MAX_SUBQUERIES; i++)
		buf_init(&v->text[i]);
	int k = -1;
	bool ok = true;
	char type;
	const uint8_t *p, *end;
	for (size_t off = 0; ok && next_message(out, &off, &type, &p, &end);) {
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
				if (op->key && k == op->key_pos)
					key_value(op, vs, p + 6, n, v);
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

int rt_subquery_shards(const RtSubValues *v, const RtOp *op, int *shards)
{
	int n = 0;
	for (int i = 0; i < op->nshards; i++)
		if (!v->keyed || v->key_shard[op->shards[i]])
			shards[n++] = op->shards[i];
	if (n == 0)
		shards[n++] = op->shards[0]; /* no value: no row, from any shard */
	return n;
}

void rt_subquery_values_cleanup(RtSubValues *v)
{
	for (int i = 0; i < RT_MAX_SUBQUERIES; i++)
		buf_cleanup(&v->text[i]);
}

/* ---------------------------------------------------------------- INSERT ... SELECT */

#define MAX_INSERT_PARAMS 65535 /* the protocol's count of parameters */

/* One shard's part of an INSERT ... SELECT: its rows' values, NUL
 * terminated one after the other (offs: where each starts, -1 NULL). */
typedef struct ShardRows {
	Buf vals;
	long *offs;
	int n, cap;
	int nrows;
} ShardRows;

static bool shard_rows_add(ShardRows *sr, const uint8_t *v, int32_t len)
{
	if (sr->n == sr->cap) {
		int cap = sr->cap ? sr->cap * 2 : 64;
		long *o = realloc(sr->offs, sizeof(long) * (size_t)cap);
		if (!o)
			return false;
		sr->offs = o;
		sr->cap = cap;
	}
	sr->offs[sr->n++] = len < 0 ? -1 : (long)sr->vals.len;
	if (len >= 0) {
		buf_put(&sr->vals, v, (size_t)len);
		buf_put_u8(&sr->vals, 0);
	}
	return !sr->vals.failed;
}

/* The shard of a row by its key value; false with e. */
static bool row_shard(RtSession *s, const RtOp *op, const uint8_t *v, int32_t len, int *shard, PgwError *e)
{
	if (!op->key) {
		*shard = -1; /* every shard of op */
		return true;
	}
	if (len < 0) {
		/* a NULL key: the shard of keyspace id 0, as INSERT and COPY
		 * place it (its NOT NULL, if any, is the shard's to check) */
		*shard = vsc_shard_for_ksid(s->rt->vschema, 0);
		return true;
	}
	uint64_t ksid;
	VscError ve;
	if (!vsc_ksid_text(op->key->vindex, op->key_type ? op->key_type : 25, (const char *)v, (size_t)len, &ksid, &ve)) {
		pgw_error_set(e, ve.sqlstate, "%s", ve.msg);
		return false;
	}
	*shard = vsc_shard_for_ksid(s->rt->vschema, ksid);
	return true;
}

/* Split the final step's rows (out) by shard into parts[shard]. */
static bool split_rows(RtSession *s, const RtOp *op, const Buf *out, ShardRows *parts, int *ncols, PgwError *e)
{
	*ncols = 0;
	char type;
	const uint8_t *p, *end;
	for (size_t off = 0; next_message(out, &off, &type, &p, &end);) {
		if (type == 'E') {
			error_fields(p, end, e);
			return false;
		}
		if (type != 'D' || end - p < 2)
			continue;
		int n = rd_be16(p), shard = -1;
		const uint8_t *v = p + 2;
		*ncols = n;
		/* the key column first: which shard */
		const uint8_t *c = v;
		for (int i = 0; i < n && c + 4 <= end; i++) {
			int32_t l = (int32_t)rd_be32(c);
			if (i == op->key_pos && !row_shard(s, op, c + 4, l, &shard, e))
				return false;
			c += 4 + (l > 0 ? l : 0);
		}
		if (op->key && op->key_pos >= n) {
			pgw_error_set(e, "42601", "INSERT has more target columns than expressions");
			return false;
		}
		for (int k = 0; k < op->nshards; k++) {
			if (shard >= 0 && op->shards[k] != shard)
				continue;
			ShardRows *sr = &parts[k];
			sr->nrows++;
			c = v;
			for (int i = 0; i < n && c + 4 <= end; i++) {
				int32_t l = (int32_t)rd_be32(c);
				if (!shard_rows_add(sr, c + 4, l)) {
					pgw_error_set(e, "53200", "out of memory");
					return false;
				}
				c += 4 + (l > 0 ? l : 0);
			}
			if ((long)sr->nrows * n > MAX_INSERT_PARAMS) {
				pgw_error_set(e, "54000", "INSERT ... SELECT of more than %d values for one shard through the router",
					      MAX_INSERT_PARAMS);
				return false;
			}
		}
	}
	return true;
}

/* Shard k's INSERT text and parameters: sql, (rows of $n), suffix; the
 * parameters in one block that p->values heads (text, with lengths). */
static bool shard_statement(const RtOp *op, ShardRows *sr, int ncols, Buf *sql, RtParams *p)
{
	size_t n = (size_t)sr->n;
	char *block = calloc(1, n * (sizeof(char *) + 2 * sizeof(int)) + 1);
	if (!block)
		return false;
	const char **values = (const char **)block;
	int *lengths = (int *)(block + n * sizeof(char *)), *formats = lengths + n;
	*p = (RtParams){.n = sr->n, .values = values, .lengths = lengths, .formats = formats};
	buf_put_str(sql, op->sql);
	for (int r = 0, k = 0; r < sr->nrows; r++) {
		buf_put_str(sql, r ? ", (" : "(");
		for (int i = 0; i < ncols; i++, k++) {
			buf_printf(sql, "%s$%d", i ? ", " : "", k + 1);
			values[k] = sr->offs[k] < 0 ? NULL : (const char *)sr->vals.data + sr->offs[k];
			lengths[k] = values[k] ? (int)strlen(values[k]) : 0;
		}
		buf_put_u8(sql, ')');
	}
	buf_put_str(sql, op->suffix);
	return !sql->failed;
}

bool rt_insert_select_send(RtSession *s, const RtOp *op, const Buf *out, PgwError *e)
{
	ShardRows *parts = calloc((size_t)op->nshards, sizeof(*parts));
	Buf *sqls = calloc((size_t)op->nshards, sizeof(*sqls));
	char **texts = calloc((size_t)op->nshards, sizeof(char *));
	RtParams *params = calloc((size_t)op->nshards, sizeof(*params));
	int *shards = calloc((size_t)op->nshards, sizeof(int)), n = 0, ncols = 0;
	bool ok = parts && sqls && texts && params && shards;
	if (!ok)
		pgw_error_set(e, "53200", "out of memory");
	for (int k = 0; ok && k < op->nshards; k++) {
		buf_init(&parts[k].vals);
		buf_init(&sqls[k]);
	}
	ok = ok && split_rows(s, op, out, parts, &ncols, e);
	for (int k = 0; ok && k < op->nshards; k++) {
		if (!parts[k].nrows)
			continue;
		ok = shard_statement(op, &parts[k], ncols, &sqls[k], &params[n]);
		texts[n] = (char *)buf_cstr(&sqls[k]);
		shards[n++] = op->shards[k];
		if (!ok)
			pgw_error_set(e, "53200", "out of memory");
	}
	if (ok && n == 0) {
		snprintf(s->tag, sizeof(s->tag), "INSERT 0 0"); /* no row */
	} else if (ok) {
		s->fanout = op->opcode == RT_RO_REPLICATED;
		s->fanout_shard = shards[0];
		rt_dispatch_each(s, NULL, texts, shards, n, params, 0);
	}
	for (int k = 0; params && k < n; k++)
		free((void *)params[k].values);
	for (int k = 0; parts && sqls && k < op->nshards; k++) {
		buf_cleanup(&parts[k].vals);
		free(parts[k].offs);
		buf_cleanup(&sqls[k]);
	}
	free(parts);
	free(sqls);
	free(texts);
	free(params);
	free(shards);
	return ok;
}
