/*
 * numeric_math.h - sqrt, exp, ln, log and power of numeric with
 * PostgreSQL's result scales, and exp, ln, log10 of double precision.
 */
#ifndef DOSQL_NUMERIC_MATH_H
#define DOSQL_NUMERIC_MATH_H

#include <openssl/bn.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "pgsql/decimal.h"

/* The function codes of pg_num_math(x, code), pg_num_math2(a, b, code)
 * and pg_float_math(x, code). */
enum { NM_SQRT, NM_EXP, NM_LN, NM_LOG10, NM_LOG, NM_POWER, NM_SINH, NM_COSH, NM_TANH, NM_ASINH, NM_ACOSH, NM_ATANH, NM_CBRT };

/* d (finite) times 10^scale as an integer, truncated toward zero; false
 * when OpenSSL fails. */
bool dec_to_bn(BIGNUM *r, const PgtDec *d, int scale, BN_CTX *ctx);
/* a / 10^scale rounded half away from zero to rscale digits after the
 * point, as d with display scale rscale.  DEC_TOO_PRECISE when it has
 * more digits than a PgtDec holds, DEC_OVERFLOW past numeric's limits. */
DecStatus dec_from_bn(PgtDec *d, const BIGNUM *a, int scale, int rscale, BN_CTX *ctx);

/* A double precision SQL argument (NaN is stored as the text NaN). */
double dec_float_arg(sqlite3_value *v);
/* r as a double precision result (NaN as its text: SQLite makes a NaN
 * REAL NULL). */
void dec_float_result(sqlite3_context *ctx, double r);

/* n values and a BN_CTX for an SQL function's work (sqlite3_free and
 * BN_CTX_free them); NULL with the out-of-memory error set on ctx. */
PgtDec *dec_work_new(sqlite3_context *ctx, int n, BN_CTX **bctx);

/* SQL functions: pg_num_math(x, code) (sqrt, exp, ln, log10 of numeric),
 * pg_num_math2(a, b, code) (log(a, b), power(a, b) of numeric),
 * pg_float_math(x, code) (exp, ln, log10, cbrt, sinh ... atanh of double
 * precision), pg_float_pow(x, y). */
bool dec_math_register(sqlite3 *db);

/* The function codes of pg_numfn(args..., code) (numeric_funcs.c). */
enum {
	NF_SCALE,
	NF_MIN_SCALE,
	NF_TRIM_SCALE,
	NF_SIGN,
	NF_DIV,
	NF_WIDTH_BUCKET,
	NF_FACTORIAL,
	NF_GCD,
	NF_LCM,
	NF_FLOAT_SIGN,
	NF_FLOAT_WIDTH_BUCKET,
	NF_FLOAT4_SEND,
	NF_FLOAT8_SEND,
};

/* SQL function pg_numfn(args..., code): scale, min_scale, trim_scale,
 * sign, div, width_bucket, factorial, gcd and lcm of numeric, sign and
 * width_bucket of double precision, float4send and float8send. */
bool dec_funcs_register(sqlite3 *db);

#endif
