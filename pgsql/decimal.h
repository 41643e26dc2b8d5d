/*
 * decimal.h - exact decimal arithmetic for PostgreSQL's numeric.
 *
 * Numeric columns are stored as SQLite INTEGER/REAL; expressions of type
 * numeric are computed here, exactly, and carry PostgreSQL's display scale
 * (add/sub: max of the scales, mul: their sum, div: select_div_scale), so
 * 0.1 + 0.2 is 0.3 and 7.0 / 2 is 3.5000000000000000, as PostgreSQL prints.
 */
#ifndef DOSQL_DECIMAL_H
#define DOSQL_DECIMAL_H

#include <sqlite3.h>
#include <stdbool.h>

#include "common/buf.h"

#define DEC_MAX_DIGITS 2000

typedef struct Decimal {
	bool neg;
	int scale;   /* digits after the point */
	int ndigits; /* digits[0] is the most significant */
	unsigned char digits[DEC_MAX_DIGITS];
} Decimal;

/* From a SQLite value (INTEGER, REAL as its shortest round-trip decimal,
 * TEXT numeric literal).  `scale` >= 0 forces that display scale (a column's
 * typmod).  False for NULL, NaN/Infinity or text that is not a number. */
bool dec_from_value(Decimal *d, sqlite3_value *v, int scale);
bool dec_from_text(Decimal *d, const char *s);
void dec_to_text(const Decimal *d, Buf *out);
/* Round half away from zero to `scale` digits (or extend with zeros). */
void dec_round(Decimal *d, int scale);

bool dec_add(const Decimal *a, const Decimal *b, Decimal *r);
bool dec_sub(const Decimal *a, const Decimal *b, Decimal *r);
bool dec_mul(const Decimal *a, const Decimal *b, Decimal *r);
/* False on division by zero (caller reports 22012) or overflow. */
bool dec_div(const Decimal *a, const Decimal *b, Decimal *r, bool *by_zero);
bool dec_mod(const Decimal *a, const Decimal *b, Decimal *r, bool *by_zero);
/* The scale PostgreSQL's division picks for a / b. */
int dec_div_scale(const Decimal *a, const Decimal *b);
bool dec_is_zero(const Decimal *d);
void dec_from_int(Decimal *d, long long v);

/* SQL functions: pg_num_op(op, a, scale_a, b, scale_b), pg_numsum and
 * pg_numavg aggregates (value, argtype, typmod). */
bool dec_register_functions(sqlite3 *db);

#endif
