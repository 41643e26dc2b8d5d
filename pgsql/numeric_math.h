/*
 * numeric_math.h - sqrt, exp, ln, log and power of numeric with
 * PostgreSQL's result scales, and exp, ln, log10 of double precision.
 */
#ifndef DOSQL_NUMERIC_MATH_H
#define DOSQL_NUMERIC_MATH_H

#include <sqlite3.h>
#include <stdbool.h>

/* The function codes of pg_num_math(x, code), pg_num_math2(a, b, code)
 * and pg_float_math(x, code). */
enum { NM_SQRT, NM_EXP, NM_LN, NM_LOG10, NM_LOG, NM_POWER };

/* SQL functions: pg_num_math(x, code) (sqrt, exp, ln, log10 of numeric),
 * pg_num_math2(a, b, code) (log(a, b), power(a, b) of numeric),
 * pg_float_math(x, code) (exp, ln, log10 of double precision). */
bool dec_math_register(sqlite3 *db);

#endif
