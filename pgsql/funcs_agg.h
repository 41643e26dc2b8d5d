/*
 * funcs_agg.h - aggregates computed over all their rows (funcs_agg.c) and
 * the statistical ones among them (funcs_stat.c).
 */
#ifndef DOSQL_PGS_FUNCS_AGG_H
#define DOSQL_PGS_FUNCS_AGG_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

/* Computes an aggregate's result from nrows rows of width arguments each
 * (row i at rows[i * width]); nrows 0 for no input. */
typedef void (*AggCompute)(sqlite3_context *ctx, sqlite3_value **rows, size_t nrows, int width);

/* pg_fstat(kind, y [, x]): the float8 statistical aggregates, and sum
 * ('+') and avg ('a') of float8 summed anew for each window frame. */
void pgs_fstat_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t nrows, int width);
/* pg_fsum1(y) and pg_favg1(y): sum and avg of float8, one argument (for
 * DISTINCT, which SQLite allows with one argument only). */
void pgs_fsum1_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t nrows, int width);
void pgs_favg1_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t nrows, int width);
/* pg_nstat(kind, x): variance and stddev of integers and numeric. */
void pgs_nstat_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t nrows, int width);

/* Registers pg_ordagg, pg_pctagg, pg_bitagg, pg_fstat and pg_nstat. */
bool pgs_agg_register(sqlite3 *db);

#endif
