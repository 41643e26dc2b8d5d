/*
 * numeric_funcs.c - scale, min_scale, trim_scale, sign, div,
 * width_bucket, factorial, gcd and lcm of numeric, generate_series over
 * numeric, and sign, width_bucket, float4send and float8send of double
 * precision, as PostgreSQL 15's numeric.c and float.c answer them (results, display scales, NULL for the scale of
 * NaN and infinity, SQLSTATEs 2201G, 22003, 22012).  Integer
 * results of decimal operands are computed exactly on OpenSSL's BIGNUM
 * at the operands' common scale.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgsql/numeric_math.h"
#include "pgsql/pgtype.h"
#include "pgsql/pgtype_int.h"

typedef struct FnErr {
	const char *sqlstate;
	const char *msg;
} FnErr;

/* Digits after the point that d (finite) needs: its minimum scale. */
static int min_scale(const PgtDec *d)
{
	PgtDec t = *d;
	pgt_dec_strip(&t);
	return t.ndig > 0 && t.exp < 0 ? -t.exp : 0;
}

static int max_min_scale(const PgtDec *a, const PgtDec *b)
{
	int x = min_scale(a), y = min_scale(b);
	return x > y ? x : y;
}

static void dec_const(PgtDec *r, int special, int64_t v)
{
	pgt_dec_from_int(r, v);
	r->special = special;
}

/* div(a, b): the quotient truncated toward zero (numeric_div_trunc). */
static DecStatus num_div(const PgtDec *a, const PgtDec *b, PgtDec *r, BN_CTX *ctx)
{
	if (a->special == DEC_NAN || b->special == DEC_NAN) {
		dec_const(r, DEC_NAN, 0);
		return DEC_OK;
	}
	int sb = b->special == DEC_FINITE ? (b->ndig == 0 ? 0 : b->neg ? -1 : 1) : b->special == DEC_PINF ? 1 : -1;
	if (a->special != DEC_FINITE) {
		if (b->special != DEC_FINITE)
			dec_const(r, DEC_NAN, 0);
		else if (sb == 0)
			return DEC_DIV_BY_ZERO;
		else
			dec_const(r, (a->special == DEC_PINF) == (sb > 0) ? DEC_PINF : DEC_NINF, 0);
		return DEC_OK;
	}
	if (b->special != DEC_FINITE) {
		dec_const(r, DEC_FINITE, 0);
		return DEC_OK;
	}
	if (sb == 0)
		return DEC_DIV_BY_ZERO;
	int s = max_min_scale(a, b);
	BIGNUM *x = BN_new(), *y = BN_new();
	DecStatus st = DEC_TOO_PRECISE;
	if (x && y && dec_to_bn(x, a, s, ctx) && dec_to_bn(y, b, s, ctx) && BN_div(x, NULL, x, y, ctx))
		st = dec_from_bn(r, x, 0, 0, ctx);
	BN_free(x);
	BN_free(y);
	return st;
}

/* gcd(a, b) or, when lcm, lcm(a, b) of finite a and b, at the larger
 * display scale, never negative. */
static DecStatus num_gcd(const PgtDec *a, const PgtDec *b, bool lcm, PgtDec *r, BN_CTX *ctx)
{
	if (a->special != DEC_FINITE || b->special != DEC_FINITE) {
		dec_const(r, DEC_NAN, 0);
		return DEC_OK;
	}
	int s = max_min_scale(a, b);
	int dscale = a->dscale > b->dscale ? a->dscale : b->dscale;
	BIGNUM *x = BN_new(), *y = BN_new(), *g = BN_new();
	DecStatus st = DEC_TOO_PRECISE;
	bool ok = x && y && g && dec_to_bn(x, a, s, ctx) && dec_to_bn(y, b, s, ctx) && BN_gcd(g, x, y, ctx);
	if (ok && lcm) {
		/* lcm = |x / gcd * y|, zero when either is zero */
		if (BN_is_zero(g))
			BN_zero(x);
		else
			ok = BN_div(x, NULL, x, g, ctx) && BN_mul(x, x, y, ctx);
		BN_set_negative(x, 0);
		ok = ok && BN_copy(g, x) != NULL;
	}
	if (ok)
		st = dec_from_bn(r, g, s, dscale, ctx);
	BN_free(x);
	BN_free(y);
	BN_free(g);
	return st;
}

/* factorial(n), n an int8. */
static DecStatus num_factorial(int64_t n, PgtDec *r, FnErr *err, BN_CTX *ctx)
{
	if (n < 0) {
		*err = (FnErr){"22003", "factorial of a negative number is undefined"};
		return DEC_OK;
	}
	if (n > 32177)
		return DEC_OVERFLOW;
	BIGNUM *f = BN_new();
	bool ok = f && BN_one(f);
	for (int64_t i = 2; i <= n && ok; i++)
		ok = BN_mul_word(f, (BN_ULONG)i);
	DecStatus st = ok ? dec_from_bn(r, f, 0, 0, ctx) : DEC_TOO_PRECISE;
	BN_free(f);
	return st;
}

/* An int4 bucket number, count + 1 checked against int4's range. */
static bool bucket_result(sqlite3_context *ctx, int64_t v)
{
	if (v > INT32_MAX) {
		pgt_result_error(ctx, "22003", "integer out of range");
		return false;
	}
	sqlite3_result_int64(ctx, v);
	return true;
}

/* width_bucket of numeric operand x (width_bucket_numeric). */
static void num_width_bucket(sqlite3_context *sctx, const PgtDec *x, const PgtDec *b1, const PgtDec *b2, int64_t count,
			     BN_CTX *ctx)
{
	if (count <= 0) {
		pgt_result_error(sctx, "2201G", "count must be greater than zero");
		return;
	}
	if (x->special == DEC_NAN || b1->special == DEC_NAN || b2->special == DEC_NAN) {
		pgt_result_error(sctx, "2201G", "operand, lower bound, and upper bound cannot be NaN");
		return;
	}
	if (b1->special != DEC_FINITE || b2->special != DEC_FINITE) {
		pgt_result_error(sctx, "2201G", "lower and upper bounds must be finite");
		return;
	}
	int c = dec_cmp(b1, b2);
	if (c == 0) {
		pgt_result_error(sctx, "2201G", "lower bound cannot equal upper bound");
		return;
	}
	int lo = dec_cmp(x, b1), hi = dec_cmp(x, b2);
	if (c < 0 ? lo < 0 : lo > 0) {
		sqlite3_result_int(sctx, 0);
		return;
	}
	if (c < 0 ? hi >= 0 : hi <= 0) {
		bucket_result(sctx, count + 1);
		return;
	}
	int s = max_min_scale(b1, b2);
	if (min_scale(x) > s)
		s = min_scale(x);
	BIGNUM *o = BN_new(), *p = BN_new(), *q = BN_new(), *k = BN_new();
	bool ok = o && p && q && k && dec_to_bn(o, x, s, ctx) && dec_to_bn(p, b1, s, ctx) && dec_to_bn(q, b2, s, ctx) &&
		  BN_set_word(k, (BN_ULONG)count);
	/* floor((x - b1) * count / (b2 - b1)) + 1, both differences positive
	 * when b1 > b2 taken the other way round */
	if (ok && c > 0)
		ok = BN_sub(o, p, o) && BN_sub(q, p, q);
	else if (ok)
		ok = BN_sub(o, o, p) && BN_sub(q, q, p);
	ok = ok && BN_mul(o, o, k, ctx) && BN_div(o, NULL, o, q, ctx);
	if (ok)
		sqlite3_result_int64(sctx, (int64_t)BN_get_word(o) + 1);
	else
		sqlite3_result_error_nomem(sctx);
	BN_free(o);
	BN_free(p);
	BN_free(q);
	BN_free(k);
}

/* width_bucket of double precision (width_bucket_float8): a quotient
 * that is no int4 (NaN from infinite spans) is INT32_MIN, as x86 converts
 * it. */
static void float_width_bucket(sqlite3_context *ctx, double x, double b1, double b2, int64_t count)
{
	if (count <= 0) {
		pgt_result_error(ctx, "2201G", "count must be greater than zero");
		return;
	}
	if (isnan(x) || isnan(b1) || isnan(b2)) {
		pgt_result_error(ctx, "2201G", "operand, lower bound, and upper bound cannot be NaN");
		return;
	}
	if (isinf(b1) || isinf(b2)) {
		pgt_result_error(ctx, "2201G", "lower and upper bounds must be finite");
		return;
	}
	if (b1 == b2) {
		pgt_result_error(ctx, "2201G", "lower bound cannot equal upper bound");
		return;
	}
	bool up = b1 < b2;
	if (up ? x < b1 : x > b1) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	if (up ? x >= b2 : x <= b2) {
		bucket_result(ctx, count + 1);
		return;
	}
	double r = up ? (double)count * (x - b1) / (b2 - b1) + 1 : (double)count * (b1 - x) / (b1 - b2) + 1;
	sqlite3_result_int64(ctx, isfinite(r) && r > INT32_MIN - 1.0 && r < INT32_MAX + 1.0 ? (int32_t)r : INT32_MIN);
}

/* The functions of one numeric argument: scale, min_scale, trim_scale,
 * sign. */
static void num_unary(sqlite3_context *ctx, int code, PgtDec *d)
{
	if (code == NF_SCALE || code == NF_MIN_SCALE) {
		if (d->special == DEC_FINITE)
			sqlite3_result_int(ctx, code == NF_SCALE ? d->dscale : min_scale(d));
		return;
	}
	if (code == NF_TRIM_SCALE && d->special == DEC_FINITE)
		d->dscale = min_scale(d);
	if (code == NF_SIGN) {
		int sg = d->special == DEC_PINF ? 1 : d->special == DEC_NINF ? -1 : d->ndig == 0 ? 0 : d->neg ? -1 : 1;
		dec_const(d, d->special == DEC_NAN ? DEC_NAN : DEC_FINITE, sg);
	}
	dec_result(ctx, d);
}

/* r, an integer, as an int4 (width 4) or int8 result; 22003 outside its
 * range. */
static void int_result(sqlite3_context *ctx, const PgtDec *r, int width)
{
	Buf b;
	buf_init(&b);
	pgt_dec_to_text(r, 0, &b);
	buf_put_u8(&b, 0);
	char *end = NULL;
	long long v = b.failed ? 0 : strtoll((const char *)b.data, &end, 10);
	bool fits = !b.failed && end && *end == 0 && v > LLONG_MIN && v < LLONG_MAX &&
		    (width == 8 || (v >= INT32_MIN && v <= INT32_MAX));
	if (fits)
		sqlite3_result_int64(ctx, v);
	else
		pgt_result_error(ctx, "22003", width == 8 ? "bigint out of range" : "integer out of range");
	buf_cleanup(&b);
}

/* float4send(x) (width 4) and float8send(x): the IEEE 754 bits, most
 * significant byte first. */
static void float_send(sqlite3_context *ctx, double x, int width)
{
	uint8_t out[8];
	uint64_t bits;
	if (width == 4) {
		float f = (float)x;
		uint32_t b32;
		memcpy(&b32, &f, 4);
		bits = (uint64_t)b32 << 32;
	} else {
		memcpy(&bits, &x, 8);
	}
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(bits >> (56 - 8 * i));
	sqlite3_result_blob(ctx, out, width, SQLITE_TRANSIENT);
}

/* pg_numfn(args..., code); code + 100 * w for gcd and lcm of int4 (w 4)
 * and int8 (w 8). */
static void fn_numfn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int nin = argc - 1;
	for (int i = 0; i < nin; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	int code = sqlite3_value_int(argv[nin]) % 100, width = sqlite3_value_int(argv[nin]) / 100;
	if (code == NF_FLOAT_SIGN) {
		double x = dec_float_arg(argv[0]);
		sqlite3_result_double(ctx, x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0);
		return;
	}
	if (code == NF_FLOAT4_SEND || code == NF_FLOAT8_SEND) {
		float_send(ctx, dec_float_arg(argv[0]), code == NF_FLOAT4_SEND ? 4 : 8);
		return;
	}
	if (code == NF_FLOAT_WIDTH_BUCKET && nin == 4) {
		float_width_bucket(ctx, dec_float_arg(argv[0]), dec_float_arg(argv[1]), dec_float_arg(argv[2]),
				   sqlite3_value_int64(argv[3]));
		return;
	}
	BN_CTX *bctx;
	PgtDec *d = dec_work_new(ctx, 4, &bctx);
	if (!d)
		return;
	int ndec = code == NF_WIDTH_BUCKET ? 3 : code == NF_FACTORIAL ? 0 : nin;
	bool ok = ndec <= 3;
	for (int i = 0; i < ndec && ok; i++)
		ok = dec_from_value(&d[i], argv[i], -1);
	FnErr err = {NULL, NULL};
	DecStatus st = DEC_OK;
	PgtDec *r = &d[3];
	bool result = true;
	if (!ok) {
		err = (FnErr){"22P02", "invalid input syntax for type numeric"};
	} else if (code == NF_DIV && nin == 2) {
		st = num_div(&d[0], &d[1], r, bctx);
	} else if ((code == NF_GCD || code == NF_LCM) && nin == 2) {
		st = num_gcd(&d[0], &d[1], code == NF_LCM, r, bctx);
	} else if (code == NF_FACTORIAL && nin == 1) {
		st = num_factorial(sqlite3_value_int64(argv[0]), r, &err, bctx);
	} else if (code == NF_WIDTH_BUCKET && nin == 4) {
		num_width_bucket(ctx, &d[0], &d[1], &d[2], sqlite3_value_int64(argv[3]), bctx);
		result = false;
	} else if (nin == 1) {
		num_unary(ctx, code, &d[0]);
		result = false;
	} else {
		err = (FnErr){"42883", "function pg_numfn does not exist"};
	}
	if (err.sqlstate)
		pgt_result_error(ctx, err.sqlstate, err.msg);
	else if (st != DEC_OK)
		dec_result_status(ctx, st);
	else if (result && width)
		int_result(ctx, r, width);
	else if (result)
		dec_result(ctx, r);
	sqlite3_free(d);
	BN_CTX_free(bctx);
}

/* The error of a generate_series bound or step that is NaN or infinite
 * (what names it), or NULL. */
static const char *series_special(const PgtDec *d, const char *what, char *msg, size_t size)
{
	if (d->special == DEC_FINITE)
		return NULL;
	snprintf(msg, size, "%s cannot be %s", what, d->special == DEC_NAN ? "NaN" : "infinity");
	return msg;
}

/* The three values of a generate_series call (NULL for a NULL one), in
 * d[0..2]; false when there is no row (a NULL) or an error was set. */
static bool series_args(sqlite3_context *ctx, sqlite3_value **argv, PgtDec *d)
{
	for (int i = 0; i < 3; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return false;
	for (int i = 0; i < 3; i++)
		if (!dec_from_value(&d[i], argv[i], -1)) {
			pgt_result_error(ctx, "22P02", "invalid input syntax for type numeric");
			return false;
		}
	return true;
}

/* Whether v is within a series ending at stop with step's sign. */
static bool series_within(const PgtDec *v, const PgtDec *stop, const PgtDec *step)
{
	return step->neg ? dec_cmp(v, stop) >= 0 : dec_cmp(v, stop) <= 0;
}

/* pg_num_series_ok(start, stop, step): whether generate_series over
 * numeric has a first value; 22023 when a bound or the step is NaN or
 * infinite or the step is zero. */
static void fn_num_series_ok(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	BN_CTX *bctx;
	PgtDec *d = dec_work_new(ctx, 3, &bctx);
	if (!d)
		return;
	char m[64];
	if (series_args(ctx, argv, d)) {
		const char *msg = series_special(&d[0], "start value", m, sizeof m);
		msg = msg ? msg : series_special(&d[1], "stop value", m, sizeof m);
		msg = msg ? msg : series_special(&d[2], "step size", m, sizeof m);
		msg = msg ? msg : d[2].ndig == 0 ? "step size cannot equal zero" : NULL;
		if (msg)
			pgt_result_error(ctx, "22023", msg);
		else
			sqlite3_result_int(ctx, series_within(&d[0], &d[1], &d[2]));
	}
	sqlite3_free(d);
	BN_CTX_free(bctx);
}

/* pg_num_series_next(v, stop, step): v + step while it is within the
 * series, else NULL (also past numeric's limits, which are past stop). */
static void fn_num_series_next(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	BN_CTX *bctx;
	PgtDec *d = dec_work_new(ctx, 4, &bctx);
	if (!d)
		return;
	if (series_args(ctx, argv, d) && dec_add(&d[0], &d[2], &d[3]) == DEC_OK && series_within(&d[3], &d[1], &d[2]))
		dec_result(ctx, &d[3]);
	sqlite3_free(d);
	BN_CTX_free(bctx);
}

bool dec_funcs_register(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "pg_numfn", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_numfn, NULL,
					  NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_num_series_ok", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
					  fn_num_series_ok, NULL, NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_num_series_next", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
					  fn_num_series_next, NULL, NULL, NULL) == SQLITE_OK;
}
