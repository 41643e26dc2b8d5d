/*
 * to_timestamp.c - to_timestamp(text, text) and to_date(text, text): the
 * input read by the to_char template (formatting.c's DCH_from_char in
 * its default, non-FX mode): separators in the template match any
 * non-alphanumeric character, spaces are skipped before fields, a number
 * followed by a separator may be longer than its pattern.  The result is
 * in the session's time zone unless TZH/TZM give the offset.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgsql/to_char_int.h"

static const char *const mnames[] = {"january", "february", "march",     "april",   "may",      "june",
				     "july",    "august",   "september", "october", "november", "december"};
static const char *const dnames[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

typedef struct Parsed {
	int64_t year, doy, julian;
	int mon, mday, hour, min, sec;
	int64_t usec;
	int ampm; /* 1 am, 2 pm */
	bool clock12; /* HH or HH12 read */
	bool bc, has_year, has_tz, yy;
	int tzh, tzm, tzsign;
} Parsed;

static bool fail(PgtError *e, const char *state, const char *msg)
{
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", state);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return false;
}

/* Up to max digits (more when greedy) as a number; false if none. */
static bool read_num(const char **in, int max, bool greedy, int64_t *v, int *nd)
{
	const char *s = *in;
	int n = 0;
	int64_t x = 0;
	while (isdigit((unsigned char)s[n]) && (n < max || (greedy && n < 9)))
		x = x * 10 + (s[n++] - '0');
	if (n == 0)
		return false;
	*v = x;
	*nd = n;
	*in = s + n;
	return true;
}

/* A name from names (full, or its first three letters); index or -1. */
static int read_name(const char **in, const char *const *names, int count, bool full)
{
	for (int i = 0; i < count; i++) {
		size_t l = full ? strlen(names[i]) : 3;
		if (strncasecmp(*in, names[i], l) == 0) {
			*in += l;
			return i;
		}
	}
	return -1;
}

/* Whether the template after a field starts with a separator (or ends):
 * the field may then be longer than its pattern. */
static bool greedy_after(const char *f)
{
	size_t l;
	return *f == 0 || (!isalnum((unsigned char)*f) && *f != '"') || (tc_key_at(f, &l) == K_NONE && !isdigit((unsigned char)*f) && !isalpha((unsigned char)*f));
}

static bool read_field(int k, const char *pat, size_t plen, const char **in, const char *rest, Parsed *r, PgtError *e)
{
	int64_t v = 0;
	int nd = 0, width = 2;
	char msg[128];
	bool g = greedy_after(rest);
	switch (k) {
	case K_MONTH:
	case K_MON: {
		int m = read_name(in, mnames, 12, k == K_MONTH);
		if (m < 0 && k == K_MONTH)
			m = read_name(in, mnames, 12, false);
		if (m < 0)
			return fail(e, "22007", "invalid value for \"Mon\"");
		r->mon = m + 1;
		return true;
	}
	case K_DAY:
	case K_DY:
		if (read_name(in, dnames, 7, k == K_DAY) < 0 && read_name(in, dnames, 7, false) < 0)
			return fail(e, "22007", "invalid value for \"Day\"");
		return true;
	case K_AMPM:
	case K_AMPM_DOT: {
		const char *s = *in;
		bool pm = tolower((unsigned char)s[0]) == 'p';
		size_t need = k == K_AMPM ? 2 : 4;
		if (strncasecmp(s, pm ? (k == K_AMPM ? "pm" : "p.m.") : (k == K_AMPM ? "am" : "a.m."), need) != 0)
			return fail(e, "22007", "invalid value for \"AM\"");
		*in += need;
		r->ampm = pm ? 2 : 1;
		return true;
	}
	case K_ADBC:
	case K_ADBC_DOT: {
		bool bc = tolower((unsigned char)(*in)[0]) == 'b';
		size_t need = k == K_ADBC ? 2 : 4;
		if (strncasecmp(*in, bc ? (k == K_ADBC ? "bc" : "b.c.") : (k == K_ADBC ? "ad" : "a.d."), need) != 0)
			return fail(e, "22007", "invalid value for \"BC\"");
		*in += need;
		r->bc = bc;
		return true;
	}
	case K_TZ:
	case K_OF:
		snprintf(msg, sizeof(msg), "formatting field \"%.*s\" is only supported in to_char", (int)plen, pat);
		return fail(e, "0A000", msg);
	case K_TZH: {
		int sign = 1;
		if (**in == '-' || **in == '+')
			sign = **in == '-' ? -1 : 1, (*in)++;
		if (!read_num(in, 2, false, &v, &nd))
			return fail(e, "22007", "invalid value for \"TZH\"");
		r->tzh = (int)v, r->tzsign = sign, r->has_tz = true;
		return true;
	}
	default:
		break;
	}
	switch (k) {
	case K_YYYY: case K_IYYY: width = 4; break;
	case K_YYY: case K_IYY: case K_DDD: case K_IDDD: case K_MS: width = 3; break;
	case K_Y: case K_I: case K_D: case K_ID: case K_Q: case K_W: width = 1; break;
	case K_US: width = 6; break;
	case K_FF: width = pat[2] - '0'; break;
	case K_J: case K_SSSS: width = 9; break;
	case K_Y_YYY: {
		int64_t hi, lo;
		if (!read_num(in, 3, false, &hi, &nd) || **in != ',' || (++*in, !read_num(in, 3, false, &lo, &nd)))
			return fail(e, "22007", "invalid value for \"Y,YYY\"");
		r->year = hi * 1000 + lo, r->has_year = true;
		return true;
	}
	default: break;
	}
	if (!read_num(in, width, g, &v, &nd)) {
		snprintf(msg, sizeof(msg), "invalid value \"%.8s\" for \"%.*s\"", *in, (int)plen, pat);
		return fail(e, "22007", msg);
	}
	if (v > INT32_MAX || v < INT32_MIN || (g && isdigit((unsigned char)**in))) {
		snprintf(msg, sizeof(msg), "value for \"%.*s\" in source string is out of range", (int)plen, pat);
		return fail(e, "22008", msg);
	}
	switch (k) {
	case K_YYYY: case K_IYYY: r->year = v, r->has_year = true; break;
	case K_YYY: case K_IYY: r->year = v < 100 ? 2000 + v : 1000 + v, r->has_year = true; break;
	case K_YY: case K_IY: r->year = nd <= 2 ? (v < 70 ? 2000 + v : 1900 + v) : v, r->has_year = true; break;
	case K_Y: case K_I: r->year = 2000 + v, r->has_year = true; break;
	case K_MM: r->mon = (int)v; break;
	case K_DD: r->mday = (int)v; break;
	case K_DDD: case K_IDDD: r->doy = v; break;
	case K_HH: case K_HH12: r->hour = (int)v, r->clock12 = true; break;
	case K_HH24: r->hour = (int)v; break;
	case K_MI: r->min = (int)v; break;
	case K_SS: r->sec = (int)v; break;
	case K_MS: r->usec = v * (nd == 1 ? 100000 : nd == 2 ? 10000 : 1000); break;
	case K_US: { int64_t s = v; for (int i = nd; i < 6; i++) s *= 10; r->usec = s; break; }
	case K_FF: { int64_t s = v; for (int i = nd; i < 6; i++) s *= 10; r->usec = s; break; }
	case K_J: r->julian = v; break;
	case K_SSSS: r->hour = (int)(v / 3600), r->min = (int)(v / 60 % 60), r->sec = (int)(v % 60); break;
	case K_TZM: r->tzm = (int)v, r->has_tz = true; break;
	case K_CC: if (!r->has_year) r->year = (v - 1) * 100 + 1, r->has_year = true; break;
	default: break;
	}
	return true;
}

/* Read s by template fmt into r. */
static bool parse(const char *s, const char *fmt, Parsed *r, PgtError *e)
{
	memset(r, 0, sizeof(*r));
	r->mon = 1, r->mday = 1, r->year = 0; /* no year given: year 0, 1 BC, as PostgreSQL */
	const char *in = s, *f = fmt;
	while (*f) {
		while ((strncasecmp(f, "fm", 2) == 0 || strncasecmp(f, "fx", 2) == 0 || strncasecmp(f, "tm", 2) == 0) && f[2])
			f += 2;
		size_t kl;
		int k = *f ? tc_key_at(f, &kl) : K_NONE;
		if (k != K_NONE) {
			bool word = k == K_MONTH || k == K_MON || k == K_DAY || k == K_DY || k == K_AMPM || k == K_AMPM_DOT ||
				    k == K_ADBC || k == K_ADBC_DOT;
			/* spaces (and, before a word, any separators) are skipped */
			while (*in == ' ' || (word && *in && !isalnum((unsigned char)*in)))
				in++;
			if (!*in)
				break;
			if (!read_field(k, f, kl, &in, f + kl, r, e))
				return false;
			f += kl;
			if (strncasecmp(f, "th", 2) == 0) {
				f += 2;
				if (isalpha((unsigned char)in[0]) && isalpha((unsigned char)in[1]))
					in += 2;
			}
			continue;
		}
		if (*f == '"') {
			for (f++; *f && *f != '"'; f++)
				if (*in)
					in++;
			if (*f)
				f++;
			continue;
		}
		if (*f == ' ') {
			const char *at = in;
			while (*in == ' ')
				in++;
			if (in == at && *in && !isalnum((unsigned char)*in))
				in++;
		} else if (*in && !isalnum((unsigned char)*in)) {
			in++;
		} else if (*in && *f == *in) {
			in++;
		}
		f++;
	}
	return true;
}

/* The parsed fields as a local date (days since 2000) and time of day. */
static bool assemble(Parsed *r, int64_t *days_out, int64_t *tod, PgtError *e)
{
	char msg[128];
	if (r->bc)
		r->year = 1 - r->year;
	if (r->year > 5874897 || r->year < -4713 || r->julian > 2147483494 || r->julian < 0)
		return fail(e, "22008", "date out of range");
	int64_t days;
	if (r->julian) {
		days = r->julian - 2451545;
	} else {
		if (r->doy) {
			days = pgt_days_from_ymd(r->year, 1, 1) + r->doy - 1;
		} else {
			if (r->mon < 1 || r->mon > 12 || r->mday < 1 || r->mday > pgt_days_in_month(r->year, r->mon)) {
				snprintf(msg, sizeof(msg), "date/time field value out of range: \"%lld-%02d-%02d\"",
					 (long long)(r->year <= 0 ? 1 - r->year : r->year), r->mon, r->mday);
				return fail(e, "22008", msg);
			}
			days = pgt_days_from_ymd(r->year, r->mon, r->mday);
		}
	}
	if (r->ampm > 0 || r->clock12) {
		if (r->hour < 1 || r->hour > 12) {
			snprintf(msg, sizeof(msg), "hour \"%d\" is invalid for the 12-hour clock", r->hour);
			return fail(e, "22007", msg);
		}
		r->hour = r->ampm == 2 ? r->hour % 12 + 12 : r->hour % 12;
	}
	if (r->hour > 23 || r->min > 59 || r->sec > 59)
		return fail(e, "22008", "date/time field value out of range");
	*days_out = days;
	*tod = ((int64_t)(r->hour * 60 + r->min) * 60 + r->sec) * PGT_USECS_PER_SEC + r->usec;
	return true;
}

/* pg_to_timestamp(s, fmt) (user data: the session format) and
 * pg_to_date(s, fmt) (user data NULL). */
static void fn_to_timestamp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const PgtFormat *sf = sqlite3_user_data(ctx);
	bool is_date = sqlite3_value_int(argv[2]) != 0;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	Parsed r;
	PgtError e;
	int64_t days, tod;
	if (!parse((const char *)sqlite3_value_text(argv[0]), (const char *)sqlite3_value_text(argv[1]), &r, &e) ||
	    !assemble(&r, &days, &tod, &e)) {
		pgt_result_error(ctx, e.sqlstate, e.msg);
		return;
	}
	PgtTVal v;
	memset(&v, 0, sizeof(v));
	uint32_t oid = is_date ? PGT_DATE : PGT_TIMESTAMPTZ;
	if (!is_date && (days > 106741 * 1000 || days < -2451545)) {
		pgt_result_error(ctx, "22008", "timestamp out of range");
		return;
	}
	int64_t local = is_date ? 0 : days * PGT_USECS_PER_DAY + tod; /* a date past the timestamp range */
	if (is_date) {
		v.days = (int32_t)days;
	} else if (r.has_tz) {
		v.us = local - (int64_t)r.tzsign * (r.tzh * 3600 + r.tzm * 60) * PGT_USECS_PER_SEC;
	} else {
		PgtZone z;
		pgt_zone_session(sf, &z);
		v.us = local - (int64_t)pgt_zone_off_local(&z, local) * PGT_USECS_PER_SEC;
	}
	Buf b;
	buf_init(&b);
	pgt_tval_store_text(&b, oid, &v);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

bool tc_to_timestamp_register(sqlite3 *db, const PgtFormat *fmt)
{
	void *ud = (void *)(uintptr_t)fmt;
	const PgtSqlFunc fns[] = {
		{"pg_to_timestamp", 3, fn_to_timestamp, ud, SQLITE_INNOCUOUS},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
