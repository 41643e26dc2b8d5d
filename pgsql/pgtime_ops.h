/*
 * pgtime_ops.h - the date/time operators pg_dt_op(op, a, b) computes
 * (funcs_time.c), as the translator names them (translate_time.c).
 */
#ifndef DOSQL_PGS_PGTIME_OPS_H
#define DOSQL_PGS_PGTIME_OPS_H

#include <sqlite3.h>
#include <stdbool.h>

#include "pgsql/pgtype.h"

enum {
	DTOP_DATE_PL_INT = 1, /* date + integer: date */
	DTOP_DATE_MI_INT,     /* date - integer: date */
	DTOP_DATE_MI_DATE,    /* date - date: integer */
	DTOP_DATE_PL_TIME,    /* date + time: timestamp */
	DTOP_TS_PL_ITV,       /* timestamp +/- interval */
	DTOP_TS_MI_ITV,
	DTOP_TSTZ_PL_ITV,     /* timestamptz +/- interval, days in local time */
	DTOP_TSTZ_MI_ITV,
	DTOP_TS_MI_TS,        /* timestamp - timestamp: interval */
	DTOP_TSTZ_MI_TSTZ,
	DTOP_TIME_PL_ITV,     /* time +/- interval: time (wraps around) */
	DTOP_TIME_MI_ITV,
	DTOP_TIME_MI_TIME,    /* time - time: interval */
	DTOP_ITV_PL_ITV,
	DTOP_ITV_MI_ITV,
	DTOP_ITV_MUL,         /* interval * float8 */
	DTOP_ITV_DIV,         /* interval / float8 */
	DTOP_ITV_NEG,         /* - interval (b ignored) */
};

/* Flags added to the type OID passed to pg_extract: the result is float8
 * (date_part) rather than numeric (extract). */
#define PGT_EXTRACT_FLOAT 0x40000000

/* funcs_extract.c: pg_extract(field, x, oid|flags) and
 * pg_date_trunc(field, x, [zone, ]oid). */
bool pgt_extract_register(sqlite3 *db, const PgtFormat *fmt);

#endif
