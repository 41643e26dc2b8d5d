/*
 * funcs_agg.c - aggregates that see all their input at once: ordered
 * aggregates (string_agg and array_agg with ORDER BY or DISTINCT), the
 * statistical aggregates (stddev, variance, covar, corr, regr_*), the
 * ordered-set aggregates (percentile_cont, percentile_disc, mode) and
 * bit_and/bit_or/bit_xor.
 *
 * Each keeps the rows of its arguments (copies) and computes its result
 * from them, so that it is also a window aggregate: a row leaving the frame
 * is dropped from the front (SQLite removes rows in the order it added
 * them) and the result is computed again over the frame, as PostgreSQL
 * does for aggregates without an inverse transition.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pgsql/funcs_agg.h"
#include "pgsql/pgtype.h"

/* The rows of an aggregate: row i (first <= i < n) at v[i * width]. */
typedef struct AggRows {
	sqlite3_value **v;
	size_t first, n, cap;
	int width;
} AggRows;

static void rows_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	AggRows *r = sqlite3_aggregate_context(ctx, sizeof(*r));
	if (!r)
		return;
	r->width = argc;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		sqlite3_value **v = sqlite3_realloc64(r->v, cap * (size_t)argc * sizeof(*v));
		if (!v) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	for (int i = 0; i < argc; i++)
		r->v[r->n * (size_t)argc + (size_t)i] = sqlite3_value_dup(argv[i]);
	r->n++;
}

static void rows_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	AggRows *r = sqlite3_aggregate_context(ctx, sizeof(*r));
	if (!r || r->first >= r->n)
		return;
	for (int i = 0; i < r->width; i++) {
		sqlite3_value_free(r->v[r->first * (size_t)r->width + (size_t)i]);
		r->v[r->first * (size_t)r->width + (size_t)i] = NULL;
	}
	r->first++;
}

static void rows_value(sqlite3_context *ctx)
{
	AggRows *r = sqlite3_aggregate_context(ctx, 0);
	AggCompute fn = (AggCompute)sqlite3_user_data(ctx);
	if (!r || !r->v)
		fn(ctx, NULL, 0, 0);
	else
		fn(ctx, r->v + r->first * (size_t)r->width, r->n - r->first, r->width);
}

static void rows_final(sqlite3_context *ctx)
{
	rows_value(ctx);
	AggRows *r = sqlite3_aggregate_context(ctx, 0);
	if (!r)
		return;
	for (size_t i = r->first * (size_t)r->width; i < r->n * (size_t)r->width; i++)
		sqlite3_value_free(r->v[i]);
	sqlite3_free(r->v);
	memset(r, 0, sizeof(*r));
}

static bool is_null(sqlite3_value *v) { return sqlite3_value_type(v) == SQLITE_NULL; }

/* SQLite's order of two non-NULL values: numbers, then texts, then BLOBs
 * (bytes). */
static int value_cmp(sqlite3_value *a, sqlite3_value *b)
{
	int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
	int ca = ta == SQLITE_INTEGER || ta == SQLITE_FLOAT ? 1 : ta == SQLITE_TEXT ? 2 : 3;
	int cb = tb == SQLITE_INTEGER || tb == SQLITE_FLOAT ? 1 : tb == SQLITE_TEXT ? 2 : 3;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (ca == 1) {
		if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER) {
			sqlite3_int64 x = sqlite3_value_int64(a), y = sqlite3_value_int64(b);
			return x < y ? -1 : x > y;
		}
		double x = sqlite3_value_double(a), y = sqlite3_value_double(b);
		return x < y ? -1 : x > y;
	}
	const void *pa = ca == 2 ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
	const void *pb = cb == 2 ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
	int na = sqlite3_value_bytes(a), nb = sqlite3_value_bytes(b);
	int c = memcmp(pa, pb, (size_t)(na < nb ? na : nb));
	return c ? c : (na < nb ? -1 : na > nb);
}

/* ------------------------------------------------ ordered aggregates */

/*
 * pg_ordagg(kind, distinct, value, extra, key1, dir1, ...): string_agg
 * (kind 's', extra the delimiter; 'b' over bytea), array_agg (kind 'a') or json_agg and
 * jsonb_agg ('j', 'J': values written {"" : v}) or json_object_agg ('o':
 * members written {"k" : v}) of the values in the order of the keys; dir bit 1 is DESC, bit 2 NULLS FIRST.  With
 * distinct, rows whose keys equal the previous row's are left out (the
 * keys are then the values, as PostgreSQL requires).
 */
typedef struct SortCtx {
	sqlite3_value **rows;
	int width;
	int sign; /* key_cmp: -1 for a descending order */
} SortCtx;

static int row_cmp(const void *a, const void *b, void *arg)
{
	const SortCtx *sc = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	for (int k = 4; k + 1 < sc->width; k += 2) {
		sqlite3_value *x = sc->rows[ia * (size_t)sc->width + (size_t)k];
		sqlite3_value *y = sc->rows[ib * (size_t)sc->width + (size_t)k];
		int dir = sqlite3_value_int(sc->rows[ia * (size_t)sc->width + (size_t)k + 1]);
		int c;
		if (is_null(x) || is_null(y))
			c = is_null(x) == is_null(y) ? 0 : (is_null(x) ? 1 : -1) * ((dir & 2) ? -1 : 1);
		else
			c = value_cmp(x, y) * ((dir & 1) ? -1 : 1);
		if (c)
			return c;
	}
	return ia < ib ? -1 : ia > ib;
}

/* The rows' indexes in the order of their keys. */
static size_t *sorted_rows(sqlite3_value **rows, size_t n, int width)
{
	size_t *idx = sqlite3_malloc64((n ? n : 1) * sizeof(size_t));
	if (!idx)
		return NULL;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	SortCtx sc = {rows, width, 1};
	qsort_r(idx, n, sizeof(size_t), row_cmp, &sc);
	return idx;
}

static bool same_keys(sqlite3_value **rows, int width, size_t a, size_t b)
{
	for (int k = 4; k + 1 < width; k += 2) {
		sqlite3_value *x = rows[a * (size_t)width + (size_t)k], *y = rows[b * (size_t)width + (size_t)k];
		if (is_null(x) != is_null(y) || (!is_null(x) && value_cmp(x, y) != 0))
			return false;
	}
	return true;
}

static void ordagg_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width)
{
	if (!n)
		return;
	char kind = (char)sqlite3_value_text(rows[0])[0];
	bool distinct = sqlite3_value_int(rows[1]);
	size_t *idx = sorted_rows(rows, n, width);
	if (!idx) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	Buf b;
	buf_init(&b);
	bool any = false;
	for (size_t j = 0; j < n; j++) {
		size_t i = idx[j];
		if (distinct && j && same_keys(rows, width, i, idx[j - 1]))
			continue;
		sqlite3_value *v = rows[i * (size_t)width + 2], *extra = rows[i * (size_t)width + 3];
		if (kind == 'o') {
			/* a member {"k" : v}: "k" : v */
			buf_put_str(&b, any ? ", " : "{ ");
			int len = sqlite3_value_bytes(v);
			const char *t = (const char *)sqlite3_value_text(v);
			if (len >= 2)
				buf_put(&b, t + 1, (size_t)len - 2);
		} else if (kind == 'j' || kind == 'J') {
			/* the value as the member of key "": {"" : v} */
			buf_put_str(&b, any ? ", " : "[");
			int len = sqlite3_value_bytes(v);
			const char *t = (const char *)sqlite3_value_text(v);
			if (is_null(v) || len < 7)
				buf_put_str(&b, "null");
			else
				buf_put(&b, t + 6, (size_t)len - 7);
		} else if (kind == 's' || kind == 'b') {
			if (is_null(v))
				continue;
			if (any && !is_null(extra))
				buf_put(&b, kind == 'b' ? sqlite3_value_blob(extra) : (const void *)sqlite3_value_text(extra),
					(size_t)sqlite3_value_bytes(extra));
			buf_put(&b, kind == 'b' ? sqlite3_value_blob(v) : (const void *)sqlite3_value_text(v),
				(size_t)sqlite3_value_bytes(v));
		} else {
			buf_put_u8(&b, any ? ',' : '{');
			if (is_null(v))
				buf_put_str(&b, "NULL");
			else
				pgt_array_put_elem(&b, (const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v));
		}
		any = true;
	}
	if (any && kind != 's' && kind != 'b')
		buf_put_str(&b, kind == 'a' ? "}" : kind == 'o' ? " }" : "]");
	if (any && kind == 'b')
		sqlite3_result_blob(ctx, b.data ? (const void *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	else if (any)
		sqlite3_result_text(ctx, b.data ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
	sqlite3_free(idx);
}

/* ---------------------------------------------- ordered-set aggregates */

/*
 * pg_pctagg(kind, fraction, value, key, desc): percentile_cont (kind 'c',
 * float8 values), percentile_disc ('d') or mode ('m', fraction NULL) of the
 * non-NULL values in the order of their keys (descending when desc is 1).
 */
static int key_cmp(const void *a, const void *b, void *arg)
{
	const SortCtx *sc = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = value_cmp(sc->rows[ia * (size_t)sc->width + 3], sc->rows[ib * (size_t)sc->width + 3]) * sc->sign;
	return c ? c : (ia < ib ? -1 : ia > ib);
}

/* The result of percentile_disc, percentile_cont or mode over the m rows
 * idx sorted by key. */
static void pct_result(sqlite3_context *ctx, char kind, double p, sqlite3_value **rows, int width, const size_t *idx,
		       size_t m)
{
#define VAL(j) rows[idx[j] * (size_t)width + 2]
#define KEY(j) rows[idx[j] * (size_t)width + 3]
	if (kind == 'd') {
		size_t row = (size_t)ceil(p * (double)m);
		sqlite3_result_value(ctx, VAL(row > 0 ? row - 1 : 0));
	} else if (kind == 'c') {
		double pos = p * (double)(m - 1);
		size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
		double a = sqlite3_value_double(VAL(lo)), b = sqlite3_value_double(VAL(hi));
		sqlite3_result_double(ctx, lo == hi ? a : a + (b - a) * (pos - (double)lo));
	} else {
		size_t best = 0, best_n = 0;
		for (size_t j = 0; j < m;) {
			size_t k = j + 1;
			while (k < m && value_cmp(KEY(k), KEY(j)) == 0)
				k++;
			if (k - j > best_n) {
				best_n = k - j;
				best = j;
			}
			j = k;
		}
		sqlite3_result_value(ctx, VAL(best));
	}
#undef VAL
#undef KEY
}

static void pctagg_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width)
{
	if (!n)
		return;
	char kind = (char)sqlite3_value_text(rows[0])[0];
	double p = sqlite3_value_double(rows[1]);
	if (kind != 'm' && is_null(rows[1]))
		return;
	if (kind != 'm' && (p < 0 || p > 1 || isnan(p))) {
		char msg[80];
		snprintf(msg, sizeof(msg), "percentile value %g is not between 0 and 1", p);
		pgt_result_error(ctx, "22003", msg);
		return;
	}
	size_t *idx = sqlite3_malloc64(n * sizeof(size_t)), m = 0;
	if (!idx) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_null(rows[i * (size_t)width + 2]))
			idx[m++] = i;
	SortCtx sc = {rows, width, width > 4 && sqlite3_value_int(rows[4]) ? -1 : 1};
	qsort_r(idx, m, sizeof(size_t), key_cmp, &sc);
	if (m)
		pct_result(ctx, kind, p, rows, width, idx, m);
	sqlite3_free(idx);
}

/* ------------------------------------------------ bit_and, bit_or, bit_xor */

/* pg_bitagg(kind, value): '&', '|' or '^' over the non-NULL integers. */
static void bitagg_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width)
{
	bool any = false;
	sqlite3_int64 acc = 0;
	char kind = n ? (char)sqlite3_value_text(rows[0])[0] : '&';
	for (size_t i = 0; i < n; i++) {
		sqlite3_value *v = rows[i * (size_t)width + 1];
		if (is_null(v))
			continue;
		sqlite3_int64 x = sqlite3_value_int64(v);
		acc = !any ? x : kind == '&' ? (acc & x) : kind == '|' ? (acc | x) : (acc ^ x);
		any = true;
	}
	if (any)
		sqlite3_result_int64(ctx, acc);
}

bool pgs_agg_register(sqlite3 *db)
{
	static const struct {
		const char *name;
		AggCompute fn;
	} aggs[] = {
		{"pg_ordagg", ordagg_compute},	 {"pg_pctagg", pctagg_compute}, {"pg_bitagg", bitagg_compute},
		{"pg_fstat", pgs_fstat_compute}, {"pg_nstat", pgs_nstat_compute},
		{"pg_fsum1", pgs_fsum1_compute}, {"pg_favg1", pgs_favg1_compute},
	};
	for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		if (sqlite3_create_window_function(db, aggs[i].name, -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
						   (void *)aggs[i].fn, rows_step, rows_final, rows_value, rows_inverse,
						   NULL) != SQLITE_OK)
			return false;
	return true;
}
