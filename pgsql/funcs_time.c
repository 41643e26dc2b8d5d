/*
 * funcs_time.c - the date/time operators and functions as SQLite
 * functions: arithmetic between date, time, timestamp(tz) and interval
 * (pg_dt_op), extract/date_part, date_trunc, age, make_*, justify_*,
 * date_bin, AT TIME ZONE, to_timestamp(float8).
 *
 * Arguments and results are in canonical storage text (pgtype_time.c);
 * timestamptz arithmetic by days and months happens in the session's time
 * zone, as PostgreSQL's does.  Errors carry PostgreSQL's SQLSTATE and
 * message.
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
#define USECS_PER_HOUR INT64_C(3600000000)
/* PostgreSQL's range: 4714-11-24 BC .. 294276-12-31 (timestamps), dates
 * to 5874897 AD */
#define MIN_TIMESTAMP INT64_C(-211813488000000000)
#define END_TIMESTAMP INT64_C(9223371331200000000)
#define MIN_DATE (-2451545)
#define END_DATE (2147483494 - 2451545)
#define UNIX_EPOCH_US (INT64_C(946684800) * USECS_PER_SEC)

static bool ts_finite(int64_t t) { return t != PGT_TS_NOBEGIN && t != PGT_TS_NOEND; }
static bool ts_valid(int64_t t) { return t >= MIN_TIMESTAMP && t < END_TIMESTAMP; }

static void err(sqlite3_context *ctx, const char *state, const char *msg) { pgt_result_error(ctx, state, msg); }

static void result_tval(sqlite3_context *ctx, uint32_t oid, const PgtTVal *v)
{
	Buf b;
	buf_init(&b);
	pgt_tval_store_text(&b, oid, v);
	if (b.failed)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

static void result_ts(sqlite3_context *ctx, uint32_t oid, int64_t us)
{
	if (ts_finite(us) && !ts_valid(us)) {
		err(ctx, "22008", "timestamp out of range");
		return;
	}
	PgtTVal v = {.us = us};
	result_tval(ctx, oid, &v);
}

static void result_itv(sqlite3_context *ctx, int64_t months, int64_t days, __int128 us)
{
	if (months > INT32_MAX || months < INT32_MIN || days > INT32_MAX || days < INT32_MIN || us > INT64_MAX ||
	    us < INT64_MIN) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	PgtTVal v = {.us = (int64_t)us, .days = (int32_t)days, .months = (int32_t)months};
	result_tval(ctx, PGT_INTERVAL, &v);
}

/* Read argument i as oid; false (and no result: SQL NULL) when NULL, an
 * error result when unreadable. */
static bool arg_tval(sqlite3_context *ctx, sqlite3_value *a, uint32_t oid, PgtTVal *v)
{
	memset(v, 0, sizeof(*v));
	if (sqlite3_value_type(a) == SQLITE_NULL)
		return false;
	if (!pgt_tval_read(a, oid, v)) {
		err(ctx, "22007", "invalid input syntax for a date/time value");
		return false;
	}
	return true;
}

static const PgtFormat *session_fmt(sqlite3_context *ctx) { return sqlite3_user_data(ctx); }

/* ------------------------------------------------------------ arithmetic */

/* timestamp(tz) + interval: months (the day clamped to the month's
 * length), then days, in local time for timestamptz, then the time. */
static bool ts_add_interval(int64_t t, const PgtTVal *iv, const PgtZone *z, int64_t *res)
{
	if (!ts_finite(t)) {
		*res = t;
		return true;
	}
	if (iv->months || iv->days) {
		int off = z ? pgt_zone_off_utc(z, t) : 0;
		PgtTm tm;
		pgt_tm_from_ts(t + (int64_t)off * USECS_PER_SEC, &tm);
		if (iv->months) {
			int64_t m = tm.year * 12 + (tm.mon - 1) + iv->months;
			tm.year = pgt_floor_div(m, 12);
			tm.mon = (int)(m - tm.year * 12) + 1;
			int dim = pgt_days_in_month(tm.year, tm.mon);
			if (tm.mday > dim)
				tm.mday = dim;
		}
		if (tm.year > 294277 || tm.year < -4714)
			return false;
		/* in 128 bits: a date near the end of the range plus a large
		 * interval does not fit 64 */
		__int128 wide = ((__int128)pgt_days_from_ymd(tm.year, tm.mon, tm.mday) + iv->days) * USECS_PER_DAY +
				(((int64_t)tm.hour * 60 + tm.min) * 60 + tm.sec) * USECS_PER_SEC + tm.usec;
		if (wide < MIN_TIMESTAMP || wide >= END_TIMESTAMP)
			return false;
		int64_t local = (int64_t)wide;
		t = local - (z ? (int64_t)pgt_zone_off_local(z, local) * USECS_PER_SEC : 0);
	}
	__int128 r = (__int128)t + iv->us;
	if (r < MIN_TIMESTAMP || r >= END_TIMESTAMP)
		return false;
	*res = (int64_t)r;
	return true;
}

/* An interval with 64-bit day and month counts while it is justified. */
typedef struct Wide {
	int64_t months, days, us;
} Wide;

/* interval_justify_hours: whole days out of the time part, signs agreeing. */
static void justify_hours(Wide *v)
{
	int64_t wd = v->us / USECS_PER_DAY;
	v->us -= wd * USECS_PER_DAY;
	v->days += wd;
	if (v->days > 0 && v->us < 0) {
		v->us += USECS_PER_DAY;
		v->days--;
	} else if (v->days < 0 && v->us > 0) {
		v->us -= USECS_PER_DAY;
		v->days++;
	}
}

static void justify_days(Wide *v)
{
	int64_t wm = v->days / 30;
	v->days -= wm * 30;
	v->months += wm;
	if (v->months > 0 && v->days < 0) {
		v->days += 30;
		v->months--;
	} else if (v->months < 0 && v->days > 0) {
		v->days -= 30;
		v->months++;
	}
}

/* justify_interval: whole days out of the time part, whole months out of
 * the days, the signs of months, days and time agreeing. */
static void justify_interval(Wide *v)
{
	int64_t wd = v->us / USECS_PER_DAY;
	v->us -= wd * USECS_PER_DAY;
	v->days += wd;
	int64_t wm = v->days / 30;
	v->days -= wm * 30;
	v->months += wm;
	if (v->months > 0 && (v->days < 0 || (v->days == 0 && v->us < 0))) {
		v->days += 30;
		v->months--;
	} else if (v->months < 0 && (v->days > 0 || (v->days == 0 && v->us > 0))) {
		v->days -= 30;
		v->months++;
	}
	justify_hours(v);
}

static double ts_round(double x) { return rint(x * 1000000.0) / 1000000.0; }

/* interval * factor (interval_mul); a fraction of a month spills into days
 * (30 a month) and of a day into the time part. */
static void itv_mul(sqlite3_context *ctx, const PgtTVal *v, double f)
{
	if (isnan(f)) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	double m = v->months * f, d = v->days * f;
	/* NaN (0 times infinity) fails these as well */
	if (!(m <= INT32_MAX && m >= INT32_MIN && d <= INT32_MAX && d >= INT32_MIN)) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	int64_t rm = (int64_t)m, rd = (int64_t)d;
	double mrd = ts_round((v->months * f - (double)rm) * 30);
	double sec = ts_round((v->days * f - (double)rd + mrd - (double)(int64_t)mrd) * 86400);
	if (fabs(sec) >= 86400) {
		rd += (int64_t)(sec / 86400);
		sec -= (double)((int64_t)(sec / 86400) * 86400);
	}
	rd += (int64_t)mrd;
	double t = rint(v->us * f + sec * 1000000.0);
	if (isnan(t) || t >= 9.2233720368547758e18 || t < -9.2233720368547758e18) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	result_itv(ctx, rm, rd, (int64_t)t);
}

static void itv_div(sqlite3_context *ctx, const PgtTVal *v, double f)
{
	if (f == 0.0) {
		err(ctx, "22012", "division by zero");
		return;
	}
	if (isnan(f)) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	double qm = v->months / f, qd = v->days / f;
	if (qm > INT32_MAX || qm < INT32_MIN || qd > INT32_MAX || qd < INT32_MIN) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	int64_t rm = (int64_t)qm, rd = (int64_t)qd;
	double mrd = (qm - (double)rm) * 30;
	double sec = ts_round((qd - (double)rd + mrd - (double)(int64_t)mrd) * 86400);
	if (fabs(sec) >= 86400) {
		rd += (int64_t)(sec / 86400);
		sec -= (double)((int64_t)(sec / 86400) * 86400);
	}
	rd += (int64_t)mrd;
	double t = rint(v->us / f + sec * 1000000.0);
	if (isnan(t) || t >= 9.2233720368547758e18 || t < -9.2233720368547758e18) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	result_itv(ctx, rm, rd, (int64_t)t);
}

static void date_result(sqlite3_context *ctx, int64_t d)
{
	if (d < MIN_DATE || d >= END_DATE) {
		err(ctx, "22008", "date out of range");
		return;
	}
	PgtTVal v = {.days = (int32_t)d};
	result_tval(ctx, PGT_DATE, &v);
}

/* Operators with a date or an integer on the left. */
static bool date_ops(sqlite3_context *ctx, int op, sqlite3_value *a, sqlite3_value *b)
{
	PgtTVal x, y;
	switch (op) {
	case DTOP_DATE_PL_INT:
	case DTOP_DATE_MI_INT:
		if (!arg_tval(ctx, a, PGT_DATE, &x))
			return true;
		if (x.days == PGT_DATE_NOBEGIN || x.days == PGT_DATE_NOEND)
			result_tval(ctx, PGT_DATE, &x);
		else
			date_result(ctx, x.days + (op == DTOP_DATE_PL_INT ? 1 : -1) * sqlite3_value_int64(b));
		return true;
	case DTOP_DATE_MI_DATE:
		if (!arg_tval(ctx, a, PGT_DATE, &x) || !arg_tval(ctx, b, PGT_DATE, &y))
			return true;
		if (x.days == PGT_DATE_NOBEGIN || x.days == PGT_DATE_NOEND || y.days == PGT_DATE_NOBEGIN ||
		    y.days == PGT_DATE_NOEND)
			err(ctx, "22008", "cannot subtract infinite dates");
		else
			sqlite3_result_int64(ctx, (int64_t)x.days - y.days);
		return true;
	case DTOP_DATE_PL_TIME:
		if (!arg_tval(ctx, a, PGT_DATE, &x) || !arg_tval(ctx, b, PGT_TIME, &y))
			return true;
		if (x.days == PGT_DATE_NOBEGIN || x.days == PGT_DATE_NOEND)
			result_ts(ctx, PGT_TIMESTAMP, x.days == PGT_DATE_NOEND ? PGT_TS_NOEND : PGT_TS_NOBEGIN);
		else
			result_ts(ctx, PGT_TIMESTAMP, (int64_t)x.days * USECS_PER_DAY + y.us);
		return true;
	default:
		return false;
	}
}

/* pg_dt_op(op, a, b): the operator op (DTOP_*) over a and b. */
static void fn_dt_op(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int op = sqlite3_value_int(argv[0]);
	sqlite3_value *a = argv[1], *b = argv[2];
	PgtTVal x, y;
	PgtZone z;
	if (sqlite3_value_type(a) == SQLITE_NULL || sqlite3_value_type(b) == SQLITE_NULL)
		return;
	if (date_ops(ctx, op, a, b))
		return;
	switch (op) {
	case DTOP_TS_PL_ITV:
	case DTOP_TS_MI_ITV:
	case DTOP_TSTZ_PL_ITV:
	case DTOP_TSTZ_MI_ITV: {
		bool tz = op == DTOP_TSTZ_PL_ITV || op == DTOP_TSTZ_MI_ITV;
		uint32_t oid = tz ? PGT_TIMESTAMPTZ : PGT_TIMESTAMP;
		if (!arg_tval(ctx, a, oid, &x) || !arg_tval(ctx, b, PGT_INTERVAL, &y))
			return;
		if (op == DTOP_TS_MI_ITV || op == DTOP_TSTZ_MI_ITV) {
			if (y.months == INT32_MIN || y.days == INT32_MIN || y.us == INT64_MIN) {
				err(ctx, "22008", "interval out of range");
				return;
			}
			y.months = -y.months;
			y.days = -y.days;
			y.us = -y.us;
		}
		pgt_zone_session(session_fmt(ctx), &z);
		int64_t r;
		if (!ts_add_interval(x.us, &y, tz ? &z : NULL, &r))
			err(ctx, "22008", "timestamp out of range");
		else
			result_ts(ctx, oid, r);
		return;
	}
	case DTOP_TS_MI_TS:
	case DTOP_TSTZ_MI_TSTZ: {
		uint32_t oid = op == DTOP_TS_MI_TS ? PGT_TIMESTAMP : PGT_TIMESTAMPTZ;
		if (!arg_tval(ctx, a, oid, &x) || !arg_tval(ctx, b, oid, &y))
			return;
		if (!ts_finite(x.us) || !ts_finite(y.us)) {
			err(ctx, "22008", "cannot subtract infinite timestamps");
			return;
		}
		/* PostgreSQL 15 does not check this subtraction: it wraps */
		int64_t d = (int64_t)((uint64_t)x.us - (uint64_t)y.us);
		Wide r = {0, 0, d};
		justify_hours(&r);
		result_itv(ctx, r.months, r.days, r.us);
		return;
	}
	case DTOP_TIME_PL_ITV:
	case DTOP_TIME_MI_ITV: {
		if (!arg_tval(ctx, a, PGT_TIME, &x) || !arg_tval(ctx, b, PGT_INTERVAL, &y))
			return;
		int64_t t = x.us + (op == DTOP_TIME_PL_ITV ? y.us % USECS_PER_DAY : -(y.us % USECS_PER_DAY));
		t -= t / USECS_PER_DAY * USECS_PER_DAY;
		if (t < 0)
			t += USECS_PER_DAY;
		PgtTVal r = {.us = t};
		result_tval(ctx, PGT_TIME, &r);
		return;
	}
	case DTOP_TIME_MI_TIME:
		if (!arg_tval(ctx, a, PGT_TIME, &x) || !arg_tval(ctx, b, PGT_TIME, &y))
			return;
		result_itv(ctx, 0, 0, x.us - y.us);
		return;
	case DTOP_ITV_PL_ITV:
	case DTOP_ITV_MI_ITV: {
		if (!arg_tval(ctx, a, PGT_INTERVAL, &x) || !arg_tval(ctx, b, PGT_INTERVAL, &y))
			return;
		int s = op == DTOP_ITV_PL_ITV ? 1 : -1;
		result_itv(ctx, (int64_t)x.months + s * (int64_t)y.months, (int64_t)x.days + s * (int64_t)y.days,
			   (__int128)x.us + s * (__int128)y.us);
		return;
	}
	case DTOP_ITV_MUL:
	case DTOP_ITV_DIV:
		if (!arg_tval(ctx, a, PGT_INTERVAL, &x))
			return;
		if (op == DTOP_ITV_MUL)
			itv_mul(ctx, &x, sqlite3_value_double(b));
		else
			itv_div(ctx, &x, sqlite3_value_double(b));
		return;
	case DTOP_ITV_NEG:
		if (!arg_tval(ctx, a, PGT_INTERVAL, &x))
			return;
		result_itv(ctx, -(int64_t)x.months, -(int64_t)x.days, -(__int128)x.us);
		return;
	default:
		err(ctx, "XX000", "unknown date/time operator");
	}
}

/* ------------------------------------------------------------- justify_* */

static void fn_justify(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgtTVal v;
	if (!arg_tval(ctx, argv[0], PGT_INTERVAL, &v))
		return;
	Wide w = {v.months, v.days, v.us};
	switch (sqlite3_value_int(argv[1])) {
	case 0:
		justify_days(&w);
		break;
	case 1:
		justify_hours(&w);
		break;
	default:
		justify_interval(&w);
	}
	result_itv(ctx, w.months, w.days, w.us);
}

/* ----------------------------------------------------------------- age */

/* The calendar fields of timestamp us for age(), in zone z's local time
 * when z is given.  As PostgreSQL 15, +infinity is read as the instant of
 * its stored value (year 294277) and -infinity, before the Julian epoch,
 * is out of range (false). */
static bool age_tm(int64_t us, const PgtZone *z, PgtTm *tm)
{
	if (us == PGT_TS_NOBEGIN)
		return false;
	int64_t off = z ? (int64_t)pgt_zone_off_utc(z, us) * USECS_PER_SEC : 0;
	int64_t shift = off > 0 && us > INT64_MAX - off ? USECS_PER_DAY : 0;
	pgt_tm_from_ts(us - shift + off, tm);
	if (shift) {
		int m, d;
		pgt_ymd_from_days(pgt_days_from_ymd(tm->year, tm->mon, tm->mday) + 1, &tm->year, &m, &d);
		tm->mon = m, tm->mday = d;
	}
	return true;
}

/* age(a, b): the field-by-field difference of two timestamps, borrowing
 * from the next field up (a month lends the days of the earlier one's
 * month), in local time for timestamptz. */
static void fn_age(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[2]);
	PgtTVal x, y;
	PgtZone z;
	if (!arg_tval(ctx, argv[0], oid, &x) || !arg_tval(ctx, argv[1], oid, &y))
		return;
	pgt_zone_session(session_fmt(ctx), &z);
	PgtTm t1, t2;
	if (!age_tm(x.us, oid == PGT_TIMESTAMPTZ ? &z : NULL, &t1) ||
	    !age_tm(y.us, oid == PGT_TIMESTAMPTZ ? &z : NULL, &t2)) {
		err(ctx, "22008", "timestamp out of range");
		return;
	}
	bool neg = x.us < y.us;
	int64_t us = t1.usec - t2.usec, sec = t1.sec - t2.sec, min = t1.min - t2.min, hour = t1.hour - t2.hour;
	int64_t mday = t1.mday - t2.mday, mon = t1.mon - t2.mon, year = t1.year - t2.year;
	if (neg) {
		us = -us, sec = -sec, min = -min, hour = -hour, mday = -mday, mon = -mon, year = -year;
	}
	while (us < 0)
		us += USECS_PER_SEC, sec--;
	while (sec < 0)
		sec += 60, min--;
	while (min < 0)
		min += 60, hour--;
	while (hour < 0)
		hour += 24, mday--;
	while (mday < 0) {
		const PgtTm *e = neg ? &t1 : &t2;
		mday += pgt_days_in_month(e->year, e->mon);
		mon--;
	}
	while (mon < 0)
		mon += 12, year--;
	if (neg) {
		us = -us, sec = -sec, min = -min, hour = -hour, mday = -mday, mon = -mon, year = -year;
	}
	result_itv(ctx, year * 12 + mon, mday, (((__int128)hour * 60 + min) * 60 + sec) * USECS_PER_SEC + us);
}

/* ------------------------------------------------------------ make_* */

static void fn_make_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	for (int i = 0; i < 3; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	int64_t y = sqlite3_value_int64(argv[0]), m = sqlite3_value_int64(argv[1]), d = sqlite3_value_int64(argv[2]);
	int64_t ay = y < 0 ? y + 1 : y;
	if (y == 0 || m < 1 || m > 12 || d < 1 || d > pgt_days_in_month(ay, (int)m) || y > 5874897 || y < -4713) {
		char msg[96];
		snprintf(msg, sizeof(msg), "date field value out of range: %lld-%02lld-%02lld", (long long)y, (long long)m,
			 (long long)d);
		err(ctx, "22008", msg);
		return;
	}
	date_result(ctx, pgt_days_from_ymd(ay, (int)m, (int)d));
}

/* The time of day h:m:s as microseconds, -1 outside 00:00..24:00. */
static int64_t time_of(sqlite3_context *ctx, int64_t h, int64_t m, double s)
{
	if (h < 0 || h > 24 || m < 0 || m > 59 || !(s >= 0) || s > 60 ||
	    (h == 24 && (m > 0 || s > 0))) {
		char msg[96];
		snprintf(msg, sizeof(msg), "time field value out of range: %lld:%02lld:%02g", (long long)h, (long long)m, s);
		err(ctx, "22008", msg);
		return -1;
	}
	return ((h * 60 + m) * 60) * USECS_PER_SEC + (int64_t)rint(s * 1000000.0);
}

static void fn_make_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	for (int i = 0; i < 3; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	int64_t t = time_of(ctx, sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1]),
			    sqlite3_value_double(argv[2]));
	if (t >= 0) {
		PgtTVal v = {.us = t};
		result_tval(ctx, PGT_TIME, &v);
	}
}

/* make_timestamp(y, mo, d, h, mi, s) and make_timestamptz(..., [zone]). */
static void fn_make_timestamp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	bool tz = sqlite3_user_data(ctx) != NULL;
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	int64_t y = sqlite3_value_int64(argv[0]), m = sqlite3_value_int64(argv[1]), d = sqlite3_value_int64(argv[2]);
	int64_t ay = y < 0 ? y + 1 : y;
	if (y == 0 || m < 1 || m > 12 || d < 1 || d > pgt_days_in_month(ay, (int)m)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "date field value out of range: %lld-%02lld-%02lld", (long long)y, (long long)m,
			 (long long)d);
		err(ctx, "22008", msg);
		return;
	}
	int64_t t = time_of(ctx, sqlite3_value_int64(argv[3]), sqlite3_value_int64(argv[4]),
			    sqlite3_value_double(argv[5]));
	if (t < 0)
		return;
	if (ay > 294276 || ay < -4713) {
		err(ctx, "22008", "timestamp out of range");
		return;
	}
	int64_t local = pgt_days_from_ymd(ay, (int)m, (int)d) * USECS_PER_DAY + t;
	if (!tz) {
		result_ts(ctx, PGT_TIMESTAMP, local);
		return;
	}
	PgtZone z;
	if (argc > 6) {
		const char *zn = (const char *)sqlite3_value_text(argv[6]);
		if (!pgt_zone_named(zn, &z)) {
			char msg[160];
			snprintf(msg, sizeof(msg), "time zone \"%s\" not recognized", zn);
			err(ctx, "22023", msg);
			return;
		}
	} else {
		pgt_zone_session(session_fmt(ctx), &z);
	}
	result_ts(ctx, PGT_TIMESTAMPTZ, local - (int64_t)pgt_zone_off_local(&z, local) * USECS_PER_SEC);
}

/* make_interval(years, months, weeks, days, hours, mins, secs). */
static void fn_make_interval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	for (int i = 0; i < 7; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	int64_t v[6];
	for (int i = 0; i < 6; i++)
		v[i] = sqlite3_value_int64(argv[i]);
	double secs = sqlite3_value_double(argv[6]);
	double us = rint(secs * 1000000.0);
	if (isnan(secs) || isinf(secs) || fabs(us) > 9.2e18) {
		err(ctx, "22008", "interval out of range");
		return;
	}
	__int128 t = (__int128)v[4] * USECS_PER_HOUR + (__int128)v[5] * 60 * USECS_PER_SEC + (__int128)us;
	result_itv(ctx, v[0] * 12 + v[1], v[2] * 7 + v[3], t);
}

/* ---------------------------------------------------- zones, date_bin */

static bool zone_arg(sqlite3_context *ctx, sqlite3_value *a, PgtZone *z)
{
	const char *zn = (const char *)sqlite3_value_text(a);
	if (zn && pgt_zone_named(zn, z))
		return true;
	char msg[200];
	snprintf(msg, sizeof(msg), "time zone \"%.120s\" not recognized", zn ? zn : "");
	err(ctx, "22023", msg);
	return false;
}

/* timezone(zone, x) (x AT TIME ZONE zone): a timestamptz as the wall clock
 * of zone (a timestamp), or a timestamp read in zone (a timestamptz).
 * The zone is a name or, when argv[2] is 1, an interval offset. */
static void fn_timezone(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[3]);
	PgtTVal x, iv;
	PgtZone z;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || !arg_tval(ctx, argv[1], oid, &x))
		return;
	if (sqlite3_value_int(argv[2])) {
		if (!arg_tval(ctx, argv[0], PGT_INTERVAL, &iv))
			return;
		if (iv.months || iv.days) {
			err(ctx, "22023", "interval time zone must not include months or days");
			return;
		}
		memset(&z, 0, sizeof(z));
		z.fixed = true;
		z.off = (int)(iv.us / USECS_PER_SEC);
	} else if (!zone_arg(ctx, argv[0], &z)) {
		return;
	}
	if (!ts_finite(x.us)) {
		result_tval(ctx, oid == PGT_TIMESTAMP ? PGT_TIMESTAMPTZ : PGT_TIMESTAMP, &x);
		return;
	}
	if (oid == PGT_TIMESTAMPTZ)
		result_ts(ctx, PGT_TIMESTAMP, x.us + (int64_t)pgt_zone_off_utc(&z, x.us) * USECS_PER_SEC);
	else
		result_ts(ctx, PGT_TIMESTAMPTZ, x.us - (int64_t)pgt_zone_off_local(&z, x.us) * USECS_PER_SEC);
}

/* date_bin(stride, source, origin): the start of source's bin. */
static void fn_date_bin(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[3]);
	PgtTVal st, src, org;
	if (!arg_tval(ctx, argv[0], PGT_INTERVAL, &st) || !arg_tval(ctx, argv[1], oid, &src) ||
	    !arg_tval(ctx, argv[2], oid, &org))
		return;
	if (!ts_finite(src.us)) {
		result_tval(ctx, oid, &src);
		return;
	}
	if (!ts_finite(org.us)) {
		err(ctx, "22008", "origin out of range");
		return;
	}
	if (st.months) {
		err(ctx, "0A000", "timestamps cannot be binned into intervals containing months or years");
		return;
	}
	__int128 stride = (__int128)st.days * USECS_PER_DAY + st.us;
	if (stride <= 0 || stride > INT64_MAX) {
		err(ctx, "22023", stride <= 0 ? "stride must be greater than zero" : "interval out of range");
		return;
	}
	__int128 diff = (__int128)src.us - org.us;
	__int128 q = diff / stride;
	if (diff % stride != 0 && diff < 0)
		q--;
	__int128 r = org.us + q * stride;
	if (r < MIN_TIMESTAMP || r >= END_TIMESTAMP) {
		err(ctx, "22008", "timestamp out of range");
		return;
	}
	result_ts(ctx, oid, (int64_t)r);
}

/* to_timestamp(seconds since 1970): a timestamptz. */
static void fn_to_timestamp_epoch(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	double s = sqlite3_value_double(argv[0]);
	if (isnan(s)) {
		err(ctx, "22008", "timestamp cannot be NaN");
		return;
	}
	if (isinf(s)) {
		result_ts(ctx, PGT_TIMESTAMPTZ, s > 0 ? PGT_TS_NOEND : PGT_TS_NOBEGIN);
		return;
	}
	double us = rint(s * 1000000.0) - (double)UNIX_EPOCH_US;
	if (us < (double)MIN_TIMESTAMP || us >= (double)END_TIMESTAMP) {
		char msg[96];
		snprintf(msg, sizeof(msg), "timestamp out of range: \"%g\"", s);
		err(ctx, "22008", msg);
		return;
	}
	result_ts(ctx, PGT_TIMESTAMPTZ, (int64_t)us);
}

/* isfinite(x) of a date, timestamp(tz) or interval. */
static void fn_isfinite(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[1]);
	PgtTVal v;
	if (!arg_tval(ctx, argv[0], oid, &v))
		return;
	bool fin = oid == PGT_DATE ? v.days != PGT_DATE_NOBEGIN && v.days != PGT_DATE_NOEND
		   : oid == PGT_INTERVAL ? true
					 : ts_finite(v.us);
	sqlite3_result_int(ctx, fin);
}

/* (s1, e1) OVERLAPS (s2, e2) with PostgreSQL's NULL rules: a NULL end
 * leaves a one-point period, each period's ends are put in order. */
static void fn_overlaps(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[4]);
	int64_t t[4];
	bool null[4];
	for (int i = 0; i < 4; i++) {
		PgtTVal v;
		null[i] = sqlite3_value_type(argv[i]) == SQLITE_NULL;
		if (!null[i] && !arg_tval(ctx, argv[i], oid, &v))
			return;
		t[i] = null[i] ? 0 : v.us;
	}
	for (int p = 0; p < 4; p += 2) {
		if (null[p]) {
			if (null[p + 1])
				return;
			t[p] = t[p + 1];
			null[p] = false;
			null[p + 1] = true;
		} else if (!null[p + 1] && t[p] > t[p + 1]) {
			int64_t x = t[p];
			t[p] = t[p + 1];
			t[p + 1] = x;
		}
	}
	int r; /* 1 true, 0 false, -1 NULL */
	if (t[0] > t[2])
		r = null[3] ? -1 : t[0] < t[3] ? 1 : null[1] ? -1 : 0;
	else if (t[0] < t[2])
		r = null[1] ? -1 : t[2] < t[1] ? 1 : null[3] ? -1 : 0;
	else
		r = null[1] || null[3] ? -1 : 1;
	if (r >= 0)
		sqlite3_result_int(ctx, r);
}

/* pg_series_ok(v, stop, step, oid): whether generate_series goes on to v
 * (v <= stop for a positive step, v >= stop for a negative one); 22023
 * for a zero step. */
static void fn_series_ok(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[3]);
	PgtTVal v, stop, step;
	if (!arg_tval(ctx, argv[0], oid, &v) || !arg_tval(ctx, argv[1], oid, &stop) ||
	    !arg_tval(ctx, argv[2], PGT_INTERVAL, &step))
		return;
	__int128 span = ((__int128)step.months * 30 + step.days) * USECS_PER_DAY + step.us;
	if (span == 0) {
		err(ctx, "22023", "step size cannot equal zero");
		return;
	}
	sqlite3_result_int(ctx, span > 0 ? v.us <= stop.us : v.us >= stop.us);
}

/* pg_tz_local(x): the timestamptz x as the session's wall clock (a
 * timestamp, which date and time casts then cut). */
static void fn_tz_local(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgtTVal v;
	PgtZone z;
	if (!arg_tval(ctx, argv[0], PGT_TIMESTAMPTZ, &v))
		return;
	if (!ts_finite(v.us)) {
		result_tval(ctx, PGT_TIMESTAMP, &v);
		return;
	}
	pgt_zone_session(session_fmt(ctx), &z);
	result_ts(ctx, PGT_TIMESTAMP, v.us + (int64_t)pgt_zone_off_utc(&z, v.us) * USECS_PER_SEC);
}

bool pgt_time_funcs_register(sqlite3 *db, const PgtFormat *fmt)
{
	void *ud = (void *)(uintptr_t)fmt;
	const PgtSqlFunc fns[] = {
		{"pg_dt_op", 3, fn_dt_op, ud, SQLITE_INNOCUOUS},
		{"pg_justify", 2, fn_justify, NULL, SQLITE_DETERMINISTIC},
		{"pg_age", 3, fn_age, ud, SQLITE_INNOCUOUS},
		{"pg_make_date", 3, fn_make_date, NULL, SQLITE_DETERMINISTIC},
		{"pg_make_time", 3, fn_make_time, NULL, SQLITE_DETERMINISTIC},
		{"pg_make_timestamp", 6, fn_make_timestamp, NULL, SQLITE_DETERMINISTIC},
		{"pg_make_timestamptz", 6, fn_make_timestamp, ud, SQLITE_INNOCUOUS},
		{"pg_make_timestamptz", 7, fn_make_timestamp, ud, SQLITE_INNOCUOUS},
		{"pg_make_interval", 7, fn_make_interval, NULL, SQLITE_DETERMINISTIC},
		{"pg_timezone", 4, fn_timezone, NULL, SQLITE_DETERMINISTIC},
		{"pg_date_bin", 4, fn_date_bin, NULL, SQLITE_DETERMINISTIC},
		{"pg_to_timestamp_epoch", 1, fn_to_timestamp_epoch, NULL, SQLITE_DETERMINISTIC},
		{"pg_isfinite", 2, fn_isfinite, NULL, SQLITE_DETERMINISTIC},
		{"pg_overlaps", 5, fn_overlaps, NULL, SQLITE_DETERMINISTIC},
		{"pg_series_ok", 4, fn_series_ok, NULL, SQLITE_DETERMINISTIC},
		{"pg_tz_local", 1, fn_tz_local, ud, SQLITE_INNOCUOUS},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0])) && pgt_extract_register(db, fmt) &&
	       pgt_to_char_register(db, fmt) &&
	       pgt_regex_funcs_register(db);
}
