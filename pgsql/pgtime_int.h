/*
 * pgtime_int.h - the date/time values of pgtype_time.c as the date/time
 * functions and operators (funcs_time.c, to_char.c) use them.  Not for use
 * outside pgsql/.
 */
#ifndef DOSQL_PGS_PGTIME_INT_H
#define DOSQL_PGS_PGTIME_INT_H

#include <regex.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "pgsql/pgtype.h"

#define PGT_USECS_PER_SEC INT64_C(1000000)
#define PGT_USECS_PER_DAY INT64_C(86400000000)
#define PGT_UNIX_TO_PG_DAYS 10957 /* days from 1970-01-01 to 2000-01-01 */
#define PGT_TS_NOBEGIN INT64_MIN
#define PGT_TS_NOEND INT64_MAX
#define PGT_DATE_NOBEGIN INT32_MIN
#define PGT_DATE_NOEND INT32_MAX
/* A zone displacement is under this many hours plus one (MAX_TZDISP_HOUR). */
#define PGT_MAX_TZDISP_HOUR 15

/* A date/time value as PostgreSQL holds it: microseconds and days since
 * 2000-01-01 (a timestamptz in UTC), an interval's three fields. */
typedef struct PgtTVal {
	int64_t us;     /* time of day, timestamp, or interval time part */
	int32_t days;   /* date (since 2000-01-01) or interval days */
	int32_t months; /* interval months */
	int tzoff;      /* timetz zone, seconds east */
} PgtTVal;

/* A resolved zone: a fixed offset (seconds east of UTC) or a TZ value. */
typedef struct PgtZone {
	bool fixed;
	int off;
	char tz[128]; /* ":Europe/Paris" or a POSIX rule such as "UTC+2" */
	char date_order; /* the session's DateStyle order for input: 'D', 'Y', else MDY */
	int64_t now; /* the session's 'now' (us since 2000), 0: the clock */
} PgtZone;

enum { SP_NONE, SP_EPOCH, SP_INF, SP_NINF, SP_NOW, SP_TODAY, SP_TOMORROW, SP_YESTERDAY, SP_ALLBALLS };
enum { PR_OK, PR_SYNTAX, PR_RANGE, PR_ZONE, PR_UNSUPPORTED, PR_TZDISP };

/* The fields of a date/time input. */
typedef struct PgtDtParts {
	int special;
	bool has_date, has_time, bc;
	int64_t year;
	int mon, mday, hour, min, sec;
	int64_t usec;
	char zone[80]; /* zone as written, "" if none */
} PgtDtParts;

/* dtdecode.c: the field-by-field reading of date/time input PostgreSQL's
 * DecodeDateTime does, numbers in the DateStyle order ('D' DMY, 'Y' YMD,
 * else MDY) ("Feb 10 17:32:01 1997 PST",
 * "January 8, 99 BC", "1/8/1999", "J2451187", "today 10:30"); PR_*.
 * Field ranges are checked by the caller's rules (year, month, day). */
int pgt_dt_decode(const char *s, char order, bool time_only, PgtDtParts *p);
/* A zone written as a displacement ("+05", "-0530", "+05:30:15"), s[0] a
 * sign and s[1] a digit, checked as PostgreSQL's DecodeTimezone checks it:
 * an hour past 15, minutes or seconds past 59 (or a number past int) is
 * PR_TZDISP before what follows the numbers is looked at; then anything
 * left is PR_SYNTAX. */
int pgt_check_displacement(const char *s, size_t n);

/* Read a stored value (canonical text) of type oid; false if unreadable. */
bool pgt_tval_read(sqlite3_value *v, uint32_t oid, PgtTVal *out);
/* Parse text of type oid as input would with the session zone z. */
bool pgt_tval_parse_text(const char *s, uint32_t oid, const PgtZone *z, PgtTVal *out, PgtError *err);
/* Canonical storage text of v (of type oid) into out. */
void pgt_tval_store_text(Buf *out, uint32_t oid, const PgtTVal *v);
/* v rendered as PostgreSQL shows it in zone z. */
void pgt_tval_show(Buf *out, uint32_t oid, const PgtTVal *v, const PgtZone *z);
/* The session's zone (UTC when fmt is NULL or its setting is unusable). */
void pgt_zone_session(const PgtFormat *fmt, PgtZone *z);
/* A zone named as AT TIME ZONE takes it; false if unknown. */
bool pgt_zone_named(const char *name, PgtZone *z);
/* Offset (seconds east) of z at the UTC timestamp us (since 2000). */
int pgt_zone_off_utc(const PgtZone *z, int64_t us);
/* The abbreviation of z at the UTC timestamp us ("PST", "UTC", "+05"). */
void pgt_zone_abbrev(const PgtZone *z, int64_t us, char *out, size_t n);
/* Offset of z for the local wall-clock timestamp us, as PostgreSQL
 * resolves gaps and overlaps. */
int pgt_zone_off_local(const PgtZone *z, int64_t us);
/* Days since 2000-01-01 of a proleptic Gregorian date (year 0 = 1 BC) and
 * back. */
int64_t pgt_days_from_ymd(int64_t y, int m, int d);
void pgt_ymd_from_days(int64_t days, int64_t *y, int *m, int *d);
int pgt_days_in_month(int64_t y, int m);
int64_t pgt_floor_div(int64_t a, int64_t b);

/* Broken-down fields of a timestamp (local wall clock). */
typedef struct PgtTm {
	int64_t year; /* astronomical: 0 = 1 BC */
	int mon, mday, hour, min, sec;
	int64_t usec;
} PgtTm;

void pgt_tm_from_ts(int64_t us, PgtTm *tm);
int64_t pgt_ts_from_tm(const PgtTm *tm);

/* funcs_time.c and funcs_text.c: their SQLite functions (fmt: the
 * session's format, read at call time). */
bool pgt_time_funcs_register(sqlite3 *db, const PgtFormat *fmt);
bool pgt_text_funcs_register(sqlite3 *db);
bool pgt_regex_funcs_register(sqlite3 *db);
/* funcs.c: regcomp() of a PostgreSQL pattern (\d \s \w as POSIX classes);
 * on failure a 2201B error result on ctx. */
bool pgs_regcomp(sqlite3_context *ctx, regex_t *re, const char *pattern, int flags);
/* to_char.c: pg_to_char(x, fmt, oid) over a timestamp(tz), an interval or
 * a number; pg_to_timestamp(s, fmt) and pg_to_date(s, fmt). */
bool pgt_to_char_register(sqlite3 *db, const PgtFormat *fmt);

#endif
