/*
 * decimal.h - PostgreSQL's numeric: one exact decimal type and its
 * arithmetic.
 *
 * A PgtDec holds the significant digits of a value and a power of ten, so a
 * value as small as 1e-16383 or as large as 1e131071 takes one digit, not
 * thousands.  Parsing, rounding and printing live in pgtype_num.c; the
 * arithmetic here follows numeric.c's rules for result scales (add/sub: the
 * larger display scale, mul: their sum, div: select_div_scale, mod: the
 * larger) and PostgreSQL's limits: at most NUMERIC_MAX_WEIGHT_DIGITS digits
 * before the point and NUMERIC_DSCALE_MAX after it (22003 past either).  A
 * result whose exact value needs more than PGT_DEC_MAXDIG significant digits
 * is refused with 0A000 rather than rounded to something PostgreSQL would
 * not answer.
 *
 * Numeric columns are stored as SQLite INTEGER/REAL (TEXT 'NaN'); numeric
 * expressions are computed here and carry PostgreSQL's display scale, so
 * 0.1 + 0.2 is 0.3 and 7.0 / 2 is 3.5000000000000000, as PostgreSQL prints.
 */
#ifndef DOSQL_DECIMAL_H
#define DOSQL_DECIMAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* Significant digits a PgtDec can hold. */
#define PGT_DEC_MAXDIG 1000
/* PostgreSQL's numeric limits: 2^15 base-10000 digits before the point,
 * a 14-bit display scale. */
#define NUMERIC_MAX_WEIGHT_DIGITS 131072
#define NUMERIC_DSCALE_MAX 16383
/* Display scale bounds of division and of the transcendental functions. */
#define NUMERIC_MIN_SIG_DIGITS 16
#define NUMERIC_MAX_DISPLAY_SCALE 1000

enum { DEC_FINITE, DEC_NAN, DEC_PINF, DEC_NINF };

/* An exact decimal: value = (neg ? -1 : 1) * dig[0..ndig) * 10^exp, digits
 * as characters '0'..'9' without leading or trailing zeros (ndig 0 is
 * zero); dscale is the number of digits shown after the point. */
typedef struct PgtDec {
	int special;
	bool neg;
	int ndig;
	int exp;
	int dscale;
	char dig[PGT_DEC_MAXDIG];
} PgtDec;

/* What an arithmetic function returns: DEC_OK, or why there is no result. */
typedef enum DecStatus {
	DEC_OK,
	DEC_DIV_BY_ZERO, /* 22012 */
	DEC_OVERFLOW,    /* 22003 value overflows numeric format */
	DEC_TOO_PRECISE, /* 0A000: the exact result has too many digits */
} DecStatus;

/* The SQLSTATE and message PostgreSQL reports for a status (not DEC_OK). */
const char *dec_status_sqlstate(DecStatus st);
const char *dec_status_message(DecStatus st);

/* Arithmetic with PostgreSQL's NaN and infinity rules.  r may not alias a
 * or b. */
DecStatus dec_add(const PgtDec *a, const PgtDec *b, PgtDec *r) __attribute__((warn_unused_result));
DecStatus dec_sub(const PgtDec *a, const PgtDec *b, PgtDec *r) __attribute__((warn_unused_result));
DecStatus dec_mul(const PgtDec *a, const PgtDec *b, PgtDec *r) __attribute__((warn_unused_result));
DecStatus dec_div(const PgtDec *a, const PgtDec *b, PgtDec *r) __attribute__((warn_unused_result));
DecStatus dec_mod(const PgtDec *a, const PgtDec *b, PgtDec *r) __attribute__((warn_unused_result));
/* round(d, scale) and trunc(d, scale) as numeric_round/numeric_trunc: the
 * scale is clamped to [-NUMERIC_MAX_WEIGHT_DIGITS, NUMERIC_DSCALE_MAX], the
 * display scale is max(scale, 0). */
DecStatus dec_round_to(PgtDec *d, int scale) __attribute__((warn_unused_result));
DecStatus dec_trunc_to(PgtDec *d, int scale) __attribute__((warn_unused_result));
/* The value's position in numeric order: -1, 0, 1 (NaN above +Infinity,
 * equal to itself; 1.5 equals 1.50). */
int dec_cmp(const PgtDec *a, const PgtDec *b);
/* DEC_OVERFLOW when the value is outside numeric's limits. */
DecStatus dec_check_limits(const PgtDec *d);

/* DEC_OVERFLOW when the numeric literal s[0..n) is outside numeric's limits
 * (1e-16384, 1e131072), as numeric_in reports it; DEC_OK otherwise,
 * including for text that is not a number. */
DecStatus dec_check_literal(const char *s, size_t n);

/* Whether the numeric literal s[0..n) compares as a REAL in numeric order:
 * at most 15 significant digits within a double's normal range (distinct
 * such decimals are distinct doubles, in the same order). */
bool dec_literal_is_double(const char *s, size_t n);

/* From a SQLite value (INTEGER, REAL as its shortest round-trip decimal,
 * TEXT numeric literal).  `scale` >= 0 forces that display scale (a column's
 * typmod).  False for NULL or text that is not a number. */
bool dec_from_value(PgtDec *d, sqlite3_value *v, int scale);

/* d as an SQL function's result, in numeric's storage form: TEXT for finite
 * values (so the display scale travels with it) and NaN, REAL for the
 * infinities. */
void dec_result(sqlite3_context *ctx, const PgtDec *d);
/* The error of st (not DEC_OK) as an SQL function's "SSSSS:message" error. */
void dec_result_status(sqlite3_context *ctx, DecStatus st);

/* a op b ('+', '-', '*', '/', '%') as an SQL function's result, the
 * operands read as dec_from_value() reads them; NULL when either is NULL. */
void dec_result_op(sqlite3_context *ctx, char op, sqlite3_value *a, int scale_a, sqlite3_value *b, int scale_b);

/* SQL functions: pg_num_op(op, a, scale_a, b, scale_b), pg_numsum and
 * pg_numavg aggregates (value, argtype, typmod). */
bool dec_register_functions(sqlite3 *db);

#endif
