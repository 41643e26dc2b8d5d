/*
 * funcs_extract.c - extract / date_part and date_trunc over date, time,
 * timestamp, timestamptz and interval, as SQLite functions.
 *
 * extract returns numeric (exact, with PostgreSQL's scales: 6 digits for
 * seconds and epoch, 3 for milliseconds), date_part float8.  Fields of a
 * timestamptz are those of the session's wall clock; date_trunc of a
 * timestamptz truncates the wall clock of the session zone (or of the zone
 * given) and finds the offset again from day upwards.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtime_int.h"
#include "pgsql/pgtime_ops.h"

#define USECS_PER_SEC PGT_USECS_PER_SEC
#define USECS_PER_DAY PGT_USECS_PER_DAY

typedef enum Unit {
	U_NONE,
	U_MICROSEC,
	U_MILLISEC,
	U_SECOND,
	U_MINUTE,
	U_HOUR,
	U_DAY,
	U_WEEK,
	U_MONTH,
	U_QUARTER,
	U_YEAR,
	U_DECADE,
	U_CENTURY,
	U_MILLENNIUM,
	U_DOW,
	U_ISODOW,
	U_DOY,
	U_EPOCH,
	U_JULIAN,
	U_ISOYEAR,
	U_TZ,
	U_TZ_HOUR,
	U_TZ_MINUTE,
} Unit;

static const struct {
	const char *name;
	Unit u;
} units[] = {
	{"microsecond", U_MICROSEC}, {"microseconds", U_MICROSEC}, {"usec", U_MICROSEC}, {"usecs", U_MICROSEC},
	{"us", U_MICROSEC}, {"microsecon", U_MICROSEC}, {"millisecond", U_MILLISEC}, {"milliseconds", U_MILLISEC},
	{"msec", U_MILLISEC}, {"msecs", U_MILLISEC}, {"ms", U_MILLISEC}, {"millisecon", U_MILLISEC},
	{"second", U_SECOND}, {"seconds", U_SECOND}, {"sec", U_SECOND}, {"secs", U_SECOND}, {"s", U_SECOND},
	{"minute", U_MINUTE}, {"minutes", U_MINUTE}, {"min", U_MINUTE}, {"mins", U_MINUTE}, {"m", U_MINUTE},
	{"hour", U_HOUR}, {"hours", U_HOUR}, {"hr", U_HOUR}, {"hrs", U_HOUR}, {"h", U_HOUR},
	{"day", U_DAY}, {"days", U_DAY}, {"d", U_DAY}, {"week", U_WEEK}, {"weeks", U_WEEK}, {"w", U_WEEK},
	{"month", U_MONTH}, {"months", U_MONTH}, {"mon", U_MONTH}, {"mons", U_MONTH},
	{"quarter", U_QUARTER}, {"qtr", U_QUARTER}, {"year", U_YEAR}, {"years", U_YEAR}, {"yr", U_YEAR},
	{"yrs", U_YEAR}, {"y", U_YEAR}, {"decade", U_DECADE}, {"decades", U_DECADE}, {"dec", U_DECADE},
	{"century", U_CENTURY}, {"centuries", U_CENTURY}, {"c", U_CENTURY}, {"cent", U_CENTURY},
	{"millennium", U_MILLENNIUM}, {"millennia", U_MILLENNIUM}, {"mil", U_MILLENNIUM}, {"mils", U_MILLENNIUM},
	{"dow", U_DOW}, {"isodow", U_ISODOW}, {"doy", U_DOY}, {"epoch", U_EPOCH}, {"julian", U_JULIAN},
	{"j", U_JULIAN}, {"isoyear", U_ISOYEAR}, {"timezone", U_TZ}, {"timezone_h", U_TZ_HOUR},
	{"timezone_m", U_TZ_MINUTE},
};

static const char *type_name(uint32_t oid)
{
	switch (oid) {
	case PGT_DATE: return "date";
	case PGT_TIME: return "time without time zone";
	case PGT_TIMETZ: return "time with time zone";
	case PGT_TIMESTAMP: return "timestamp without time zone";
	case PGT_TIMESTAMPTZ: return "timestamp with time zone";
	default: return "interval";
	}
}

/* The unit named by a (lower-cased, as PostgreSQL does); an error result
 * and U_NONE when unknown. */
static Unit unit_arg(sqlite3_context *ctx, sqlite3_value *a, uint32_t oid, char *low, size_t lowsz)
{
	const char *s = (const char *)sqlite3_value_text(a);
	size_t n = 0;
	for (; s && s[n] && n + 1 < lowsz; n++)
		low[n] = (char)tolower((unsigned char)s[n]);
	low[n] = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].name, low) == 0)
			return units[i].u;
	char msg[200];
	snprintf(msg, sizeof(msg), "unit \"%.60s\" not recognized for type %s", low, type_name(oid));
	pgt_result_error(ctx, "22023", msg);
	return U_NONE;
}

/* The unit argv[0] and the value argv[1] of type oid; U_NONE when either
 * is NULL (no result) or bad (an error result). */
static Unit unit_and_value(sqlite3_context *ctx, sqlite3_value **argv, uint32_t oid, char *low, size_t lowsz,
			   PgtTVal *v)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return U_NONE;
	Unit u = unit_arg(ctx, argv[0], oid, low, lowsz);
	if (u != U_NONE && !pgt_tval_read(argv[1], oid, v)) {
		pgt_result_error(ctx, "22007", "invalid input syntax for a date/time value");
		return U_NONE;
	}
	return u;
}

static void unsupported(sqlite3_context *ctx, const char *low, uint32_t oid)
{
	char msg[200];
	snprintf(msg, sizeof(msg), "unit \"%.60s\" not supported for type %s", low, type_name(oid));
	pgt_result_error(ctx, "0A000", msg);
}

/* The result n / 10^scale as numeric (text, or an integer for scale 0) or
 * as float8. */
static void result_scaled(sqlite3_context *ctx, __int128 n, int scale, bool as_float)
{
	static const int64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
	if (as_float) {
		sqlite3_result_double(ctx, (double)n / (double)p10[scale]);
		return;
	}
	if (scale == 0 && n >= INT64_MIN && n <= INT64_MAX) {
		sqlite3_result_int64(ctx, (int64_t)n);
		return;
	}
	unsigned __int128 a = n < 0 ? -(unsigned __int128)n : (unsigned __int128)n;
	char digits[64];
	int k = 0;
	do {
		digits[k++] = (char)('0' + (int)(a % 10));
		a /= 10;
	} while (a || k <= scale);
	char buf[72];
	int j = 0;
	if (n < 0)
		buf[j++] = '-';
	for (int i = k - 1; i >= 0; i--) {
		buf[j++] = digits[i];
		if (i == scale && scale)
			buf[j++] = '.';
	}
	sqlite3_result_text(ctx, buf, j, SQLITE_TRANSIENT);
}

static int64_t iso_week_start(int64_t year)
{
	/* the Monday of ISO week 1: the week with January 4th */
	int64_t jan4 = pgt_days_from_ymd(year, 1, 4);
	int64_t wd = ((jan4 + 5) % 7 + 7) % 7; /* 2000-01-03 (day 2) was a Monday: 0 = Monday */
	return jan4 - wd;
}

static void iso_week(int64_t days, int64_t *isoyear, int *week)
{
	int64_t y;
	int m, d;
	pgt_ymd_from_days(days, &y, &m, &d);
	int64_t start = iso_week_start(y + 1);
	if (days >= start)
		y++;
	else {
		start = iso_week_start(y);
		if (days < start)
			start = iso_week_start(--y);
	}
	*isoyear = y;
	*week = (int)((days - start) / 7 + 1);
}

/* The Julian day j plus the fraction tod / (one day) as numeric, with the
 * scale numeric division gives (select_div_scale: 16 significant digits
 * after the quotient's leading base-10000 digit). */
static void julian_numeric(sqlite3_context *ctx, int64_t j, int64_t tod)
{
	int w = 0;
	int64_t fd = 0;
	for (int64_t t = tod; t > 0; t /= 10000, w++)
		fd = t;
	int qweight = tod == 0 ? -3 : (w - 1) - 2 - (fd <= 864 ? 1 : 0);
	int rscale = 16 - 4 * qweight;
	if (rscale > 60)
		rscale = 60;
	Buf b;
	buf_init(&b);
	buf_printf(&b, "%lld.", (long long)j);
	/* long division of tod by one day, rounded half up at rscale */
	__int128 rem = tod;
	char digs[64];
	for (int i = 0; i <= rscale; i++) {
		rem *= 10;
		digs[i] = (char)('0' + (int)(rem / USECS_PER_DAY));
		rem %= USECS_PER_DAY;
	}
	int i = rscale - 1;
	if (digs[rscale] >= '5') {
		while (i >= 0 && digs[i] == '9')
			digs[i--] = '0';
		if (i >= 0)
			digs[i]++;
	}
	buf_put(&b, digs, (size_t)rscale);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

/* Date fields (the same for date and timestamp). */
static bool date_field(Unit u, int64_t days, __int128 *r)
{
	int64_t y, iy;
	int m, d, w;
	pgt_ymd_from_days(days, &y, &m, &d);
	int64_t dow = ((days + 6) % 7 + 7) % 7; /* 2000-01-01 was a Saturday: 0 = Sunday */
	switch (u) {
	case U_DAY: *r = d; return true;
	case U_MONTH: *r = m; return true;
	case U_QUARTER: *r = (m - 1) / 3 + 1; return true;
	case U_YEAR: *r = y > 0 ? y : y - 1; return true;
	case U_DECADE: *r = y >= 0 ? y / 10 : -((8 - (y - 1)) / 10); return true;
	case U_CENTURY: *r = y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100); return true;
	case U_MILLENNIUM: *r = y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000); return true;
	case U_DOW: *r = dow; return true;
	case U_ISODOW: *r = dow == 0 ? 7 : dow; return true;
	case U_DOY: *r = days - pgt_days_from_ymd(y, 1, 1) + 1; return true;
	case U_WEEK: iso_week(days, &iy, &w); *r = w; return true;
	case U_ISOYEAR: iso_week(days, &iy, &w); *r = iy <= 0 ? iy - 1 : iy; return true;
	default: return false;
	}
}

/* Time-of-day fields in microseconds scaled: *scale is set. */
static bool time_field(Unit u, int64_t t, __int128 *r, int *scale)
{
	int64_t sec_us = t % (60 * USECS_PER_SEC);
	*scale = 0;
	switch (u) {
	case U_MICROSEC: *r = sec_us; return true;
	case U_MILLISEC: *r = sec_us; *scale = 3; return true;
	case U_SECOND: *r = sec_us; *scale = 6; return true;
	case U_MINUTE: *r = t / (60 * USECS_PER_SEC) % 60; return true;
	case U_HOUR: *r = t / (3600 * USECS_PER_SEC); return true;
	default: return false;
	}
}

/* An infinite timestamp's field: +-Infinity for the monotonic ones, NULL
 * for the others. */
static void infinite_field(sqlite3_context *ctx, Unit u, bool pos)
{
	if (u == U_YEAR || u == U_DECADE || u == U_CENTURY || u == U_MILLENNIUM || u == U_JULIAN ||
	    u == U_ISOYEAR || u == U_EPOCH)
		sqlite3_result_double(ctx, pos ? INFINITY : -INFINITY);
}

static void extract_interval(sqlite3_context *ctx, Unit u, const char *low, const PgtTVal *v, bool fl)
{
	int64_t year = v->months / 12, mon = v->months % 12;
	__int128 r;
	int scale = 0;
	switch (u) {
	case U_MICROSEC:
	case U_MILLISEC:
	case U_SECOND: {
		int64_t s = v->us % (60 * USECS_PER_SEC);
		result_scaled(ctx, s, u == U_MICROSEC ? 0 : u == U_MILLISEC ? 3 : 6, fl);
		return;
	}
	case U_MINUTE: r = v->us / (60 * USECS_PER_SEC) % 60; break;
	case U_HOUR: r = v->us / (3600 * USECS_PER_SEC); break;
	case U_DAY: r = v->days; break;
	case U_MONTH: r = mon; break;
	case U_QUARTER: r = mon / 3 + 1; break;
	case U_YEAR: r = year; break;
	case U_DECADE: r = year / 10; break;
	case U_CENTURY: r = year / 100; break;
	case U_MILLENNIUM: r = year / 1000; break;
	case U_EPOCH: {
		__int128 secs = ((__int128)1461 * year + (__int128)120 * mon + (__int128)4 * v->days) * 21600;
		r = secs * USECS_PER_SEC + v->us;
		scale = 6;
		break;
	}
	default:
		unsupported(ctx, low, PGT_INTERVAL);
		return;
	}
	result_scaled(ctx, r, scale, fl);
}

/* pg_extract(field, x, oid | PGT_EXTRACT_FLOAT). */
static void fn_extract(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int code = sqlite3_value_int(argv[2]);
	bool fl = (code & PGT_EXTRACT_FLOAT) != 0;
	uint32_t oid = (uint32_t)(code & ~PGT_EXTRACT_FLOAT);
	char low[64];
	PgtTVal v;
	Unit u = unit_and_value(ctx, argv, oid, low, sizeof(low), &v);
	if (u == U_NONE)
		return;
	__int128 r;
	int scale = 0;
	if (oid == PGT_INTERVAL) {
		extract_interval(ctx, u, low, &v, fl);
		return;
	}
	if (oid == PGT_TIME) {
		if (time_field(u, v.us, &r, &scale))
			result_scaled(ctx, r, scale, fl);
		else if (u == U_EPOCH)
			result_scaled(ctx, v.us, 6, fl);
		else
			unsupported(ctx, low, oid);
		return;
	}
	if (oid == PGT_DATE) {
		if (v.days == PGT_DATE_NOBEGIN || v.days == PGT_DATE_NOEND) {
			infinite_field(ctx, u, v.days == PGT_DATE_NOEND);
			return;
		}
		if (date_field(u, v.days, &r))
			result_scaled(ctx, r, 0, fl);
		else if (u == U_EPOCH)
			result_scaled(ctx, ((__int128)v.days + PGT_UNIX_TO_PG_DAYS) * 86400, 0, fl);
		else if (u == U_JULIAN)
			result_scaled(ctx, (__int128)v.days + 2451545, 0, fl);
		else
			unsupported(ctx, low, oid);
		return;
	}
	/* timestamp, timestamptz */
	if (v.us == PGT_TS_NOBEGIN || v.us == PGT_TS_NOEND) {
		infinite_field(ctx, u, v.us == PGT_TS_NOEND);
		return;
	}
	int off = 0;
	if (oid == PGT_TIMESTAMPTZ) {
		PgtZone z;
		pgt_zone_session(sqlite3_user_data(ctx), &z);
		off = pgt_zone_off_utc(&z, v.us);
	}
	int64_t local = v.us + (int64_t)off * USECS_PER_SEC;
	int64_t days = pgt_floor_div(local, USECS_PER_DAY);
	int64_t tod = local - days * USECS_PER_DAY;
	if (date_field(u, days, &r) || time_field(u, tod, &r, &scale)) {
		result_scaled(ctx, r, scale, fl);
	} else if (u == U_EPOCH) {
		result_scaled(ctx, (__int128)v.us + (__int128)PGT_UNIX_TO_PG_DAYS * USECS_PER_DAY, 6, fl);
	} else if (u == U_JULIAN && fl) {
		sqlite3_result_double(ctx, (double)(days + 2451545) + (double)tod / (double)USECS_PER_DAY);
	} else if (u == U_JULIAN) {
		julian_numeric(ctx, days + 2451545, tod);
	} else if (oid == PGT_TIMESTAMPTZ && (u == U_TZ || u == U_TZ_HOUR || u == U_TZ_MINUTE)) {
		result_scaled(ctx, u == U_TZ ? off : u == U_TZ_HOUR ? off / 3600 : off / 60 % 60, 0, fl);
	} else {
		unsupported(ctx, low, oid);
	}
}

/* Truncate the wall-clock timestamp t to unit u; false if u does not
 * apply to timestamps. */
static bool trunc_ts(Unit u, int64_t *t)
{
	PgtTm tm;
	pgt_tm_from_ts(*t, &tm);
	int64_t y = tm.year;
	switch (u) {
	case U_WEEK: {
		int64_t days = pgt_floor_div(*t, USECS_PER_DAY);
		int64_t wd = ((days + 5) % 7 + 7) % 7; /* 0 = Monday */
		*t = (days - wd) * USECS_PER_DAY;
		return true;
	}
	case U_MILLENNIUM:
		tm.year = y > 0 ? ((y + 999) / 1000) * 1000 - 999 : -((999 - (y - 1)) / 1000) * 1000 + 1;
		goto year;
	case U_CENTURY:
		tm.year = y > 0 ? ((y + 99) / 100) * 100 - 99 : -((99 - (y - 1)) / 100) * 100 + 1;
		goto year;
	case U_DECADE:
		tm.year = y > 0 ? (y / 10) * 10 : -((8 - (y - 1)) / 10) * 10;
		/* fall through */
	case U_YEAR:
	year:
		tm.mon = 1;
		/* fall through */
	case U_QUARTER:
		tm.mon = 3 * ((tm.mon - 1) / 3) + 1;
		/* fall through */
	case U_MONTH:
		tm.mday = 1;
		/* fall through */
	case U_DAY:
		tm.hour = 0;
		/* fall through */
	case U_HOUR:
		tm.min = 0;
		/* fall through */
	case U_MINUTE:
		tm.sec = 0;
		/* fall through */
	case U_SECOND:
		tm.usec = 0;
		break;
	case U_MILLISEC:
		tm.usec = tm.usec / 1000 * 1000;
		break;
	case U_MICROSEC:
		break;
	default:
		return false;
	}
	*t = pgt_ts_from_tm(&tm);
	return true;
}

static bool trunc_interval(Unit u, PgtTVal *v)
{
	int64_t year = v->months / 12, mon = v->months % 12;
	int64_t h = v->us / (3600 * USECS_PER_SEC), mi = v->us / (60 * USECS_PER_SEC) % 60;
	int64_t s = v->us / USECS_PER_SEC % 60, f = v->us % USECS_PER_SEC;
	switch (u) {
	case U_MILLENNIUM: year = year / 1000 * 1000; goto month;
	case U_CENTURY: year = year / 100 * 100; goto month;
	case U_DECADE: year = year / 10 * 10;
		/* fall through */
	case U_YEAR:
	month:
		mon = 0;
		/* fall through */
	case U_QUARTER:
		mon = 3 * (mon / 3);
		/* fall through */
	case U_MONTH: v->days = 0;
		/* fall through */
	case U_DAY: h = 0;
		/* fall through */
	case U_HOUR: mi = 0;
		/* fall through */
	case U_MINUTE: s = 0;
		/* fall through */
	case U_SECOND: f = 0; break;
	case U_MILLISEC: f = f / 1000 * 1000; break;
	case U_MICROSEC: break;
	default: return false;
	}
	v->months = (int32_t)(year * 12 + mon);
	v->us = ((h * 60 + mi) * 60 + s) * USECS_PER_SEC + f;
	return true;
}

/* pg_date_trunc(field, x, [zone, ]oid). */
static void fn_date_trunc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[argc - 1]);
	char low[64];
	PgtTVal v;
	PgtZone z;
	if (argc > 3 && sqlite3_value_type(argv[2]) == SQLITE_NULL)
		return;
	Unit u = unit_and_value(ctx, argv, oid, low, sizeof(low), &v);
	if (u == U_NONE)
		return;
	Buf b;
	buf_init(&b);
	if (oid == PGT_INTERVAL) {
		if (!trunc_interval(u, &v)) {
			unsupported(ctx, low, oid);
			buf_cleanup(&b);
			return;
		}
	} else if (v.us != PGT_TS_NOBEGIN && v.us != PGT_TS_NOEND) {
		int off = 0;
		if (oid == PGT_TIMESTAMPTZ) {
			if (argc > 3) {
				const char *zn = (const char *)sqlite3_value_text(argv[2]);
				if (!pgt_zone_named(zn, &z)) {
					char msg[200];
					snprintf(msg, sizeof(msg), "time zone \"%.120s\" not recognized", zn);
					pgt_result_error(ctx, "22023", msg);
					buf_cleanup(&b);
					return;
				}
			} else {
				pgt_zone_session(sqlite3_user_data(ctx), &z);
			}
			off = pgt_zone_off_utc(&z, v.us);
		}
		int64_t t = v.us + (int64_t)off * USECS_PER_SEC;
		if (!trunc_ts(u, &t)) {
			unsupported(ctx, low, oid);
			buf_cleanup(&b);
			return;
		}
		if (oid == PGT_TIMESTAMPTZ && u >= U_DAY)
			off = pgt_zone_off_local(&z, t);
		v.us = t - (int64_t)off * USECS_PER_SEC;
	}
	pgt_tval_store_text(&b, oid, &v);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

bool pgt_extract_register(sqlite3 *db, const PgtFormat *fmt)
{
	void *ud = (void *)(uintptr_t)fmt;
	const PgtSqlFunc fns[] = {
		{"pg_extract", 3, fn_extract, ud, SQLITE_INNOCUOUS},
		{"pg_date_trunc", 3, fn_date_trunc, ud, SQLITE_INNOCUOUS},
		{"pg_date_trunc", 4, fn_date_trunc, ud, SQLITE_INNOCUOUS},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
