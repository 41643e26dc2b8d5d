/*
 * to_char.c - to_char(timestamp | timestamptz | interval, text) with
 * PostgreSQL's template patterns (formatting.c): YYYY, MM, DD, HH24, MI,
 * SS, MS, US, FF1-6, Month/MON/month, Day, AM/PM, BC/AD, Q, WW, IW, ISO
 * year and day, J, RM, TZ/TZH/TZM/OF, the FM prefix and TH suffix,
 * quoted text; numbers are in to_char_num.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtime_int.h"
#include "pgsql/to_char_int.h"


static const struct {
	const char *name;
	Key k;
	bool numeric; /* takes TH */
} keys[] = {
	{"a.d.", K_ADBC_DOT, false}, {"a.m.", K_AMPM_DOT, false}, {"ad", K_ADBC, false}, {"am", K_AMPM, false},
	{"b.c.", K_ADBC_DOT, false}, {"bc", K_ADBC, false}, {"cc", K_CC, true}, {"day", K_DAY, false},
	{"ddd", K_DDD, true}, {"dd", K_DD, true}, {"dy", K_DY, false}, {"d", K_D, true},
	{"ff1", K_FF, true}, {"ff2", K_FF, true}, {"ff3", K_FF, true}, {"ff4", K_FF, true},
	{"ff5", K_FF, true}, {"ff6", K_FF, true}, {"hh24", K_HH24, true}, {"hh12", K_HH12, true},
	{"hh", K_HH, true}, {"iddd", K_IDDD, true}, {"id", K_ID, true}, {"iw", K_IW, true},
	{"iyyy", K_IYYY, true}, {"iyy", K_IYY, true}, {"iy", K_IY, true}, {"i", K_I, true},
	{"j", K_J, true}, {"mi", K_MI, true}, {"mm", K_MM, true}, {"month", K_MONTH, false},
	{"mon", K_MON, false}, {"ms", K_MS, true}, {"of", K_OF, false}, {"p.m.", K_AMPM_DOT, false},
	{"pm", K_AMPM, false}, {"q", K_Q, true}, {"rm", K_RM, false}, {"sssss", K_SSSS, true},
	{"ssss", K_SSSS, true}, {"ss", K_SS, true}, {"tzh", K_TZH, false}, {"tzm", K_TZM, false},
	{"tz", K_TZ, false}, {"us", K_US, true}, {"ww", K_WW, true}, {"w", K_W, true},
	{"y,yyy", K_Y_YYY, true}, {"yyyy", K_YYYY, true}, {"yyy", K_YYY, true}, {"yy", K_YY, true},
	{"y", K_Y, true},
};

static const char *const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
					  "July",    "August",   "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					"Thursday", "Friday", "Saturday"};
static const char *const roman[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"};

/* The longest key at s (case-insensitive); its length in *len. */
static int match_key(const char *s, size_t *len);

int tc_key_at(const char *s, size_t *len)
{
	int i = match_key(s, len);
	return i < 0 ? K_NONE : (int)keys[i].k;
}

static int match_key(const char *s, size_t *len)
{
	int best = -1;
	size_t bl = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t l = strlen(keys[i].name);
		if (l > bl && strncasecmp(s, keys[i].name, l) == 0)
			best = (int)i, bl = l;
	}
	*len = bl;
	return best;
}

void tc_ordinal(Buf *out, int64_t n, bool upper)
{
	int64_t a = n < 0 ? -n : n;
	const char *sfx = a % 100 >= 11 && a % 100 <= 13 ? "th" : a % 10 == 1 ? "st" : a % 10 == 2 ? "nd" : a % 10 == 3 ? "rd" : "th";
	for (const char *c = sfx; *c; c++)
		buf_put_u8(out, (uint8_t)(upper ? toupper((unsigned char)*c) : *c));
}

/* Text in the case the pattern was written in: "MONTH", "Month", "month". */
static void put_cased(Buf *out, const char *pat, const char *word, int width, bool fm)
{
	bool up0 = isupper((unsigned char)pat[0]), up1 = isupper((unsigned char)pat[1]);
	size_t n = strlen(word);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)word[i];
		buf_put_u8(out, (uint8_t)(up0 && up1 ? toupper(c) : up0 && i == 0 ? toupper(c) : tolower(c)));
	}
	for (size_t i = n; !fm && (int)i < width; i++)
		buf_put_u8(out, ' ');
}

static void iso_week_of(int64_t days, int64_t *iyear, int *week, int64_t *wstart)
{
	int64_t y;
	int m, d;
	pgt_ymd_from_days(days, &y, &m, &d);
	for (int64_t yy = y + 1; yy >= y - 1; yy--) {
		int64_t jan4 = pgt_days_from_ymd(yy, 1, 4);
		int64_t start = jan4 - ((jan4 + 5) % 7 + 7) % 7;
		if (days >= start) {
			*iyear = yy;
			*week = (int)((days - start) / 7 + 1);
			*wstart = start;
			return;
		}
	}
}

/* A number field: zero-padded to width unless FM. */
static void put_num(Buf *out, int64_t v, int width, bool fm)
{
	buf_printf(out, "%0*lld", fm ? 0 : width, (long long)v);
}

static int64_t bc_year(const TcFields *f) { return f->interval ? f->tm.year : f->tm.year <= 0 ? 1 - f->tm.year : f->tm.year; }

/* One key's text; false for a key without a value here. */
static void put_key(Buf *out, Key k, const char *pat, size_t plen, const TcFields *f, bool fm)
{
	const PgtTm *tm = &f->tm;
	int64_t y = bc_year(f), iy = 0, wstart = 0;
	int iw = 0;
	int64_t dow = ((f->days + 6) % 7 + 7) % 7;
	if (k == K_IYYY || k == K_IYY || k == K_IY || k == K_I || k == K_IW || k == K_IDDD)
		iso_week_of(f->days, &iy, &iw, &wstart);
	int h12 = tm->hour % 12 == 0 ? 12 : tm->hour % 12;
	switch (k) {
	case K_YYYY: put_num(out, y, 4, fm); break;
	case K_YYY: put_num(out, y % 1000, 3, fm); break;
	case K_YY: put_num(out, y % 100, 2, fm); break;
	case K_Y: put_num(out, y % 10, 1, fm); break;
	case K_Y_YYY: buf_printf(out, "%lld,%03lld", (long long)(y / 1000), (long long)(y % 1000)); break;
	case K_IYYY: put_num(out, iy <= 0 ? 1 - iy : iy, 4, fm); break;
	case K_IYY: put_num(out, iy % 1000, 3, fm); break;
	case K_IY: put_num(out, iy % 100, 2, fm); break;
	case K_I: put_num(out, iy % 10, 1, fm); break;
	case K_MM: put_num(out, tm->mon, 2, fm); break;
	case K_DD: put_num(out, tm->mday, 2, fm); break;
	case K_DDD: put_num(out, f->interval ? tm->mday : f->days - pgt_days_from_ymd(tm->year, 1, 1) + 1, 3, fm); break;
	case K_D: buf_printf(out, "%lld", (long long)dow + 1); break;
	case K_ID: buf_printf(out, "%lld", (long long)(dow == 0 ? 7 : dow)); break;
	case K_IDDD: put_num(out, f->days - wstart + 1, 3, fm); break;
	case K_HH24: put_num(out, tm->hour, 2, fm); break;
	case K_HH12:
	case K_HH: put_num(out, h12, 2, fm); break;
	case K_MI: put_num(out, tm->min, 2, fm); break;
	case K_SS: put_num(out, tm->sec, 2, fm); break;
	case K_MS: put_num(out, tm->usec / 1000, 3, false); break;
	case K_US: put_num(out, tm->usec, 6, false); break;
	case K_FF: {
		int n = pat[2] - '0';
		char d[8];
		snprintf(d, sizeof(d), "%06lld", (long long)tm->usec);
		buf_put(out, d, (size_t)n);
		break;
	}
	case K_SSSS: buf_printf(out, "%lld", (long long)((tm->hour * 60 + tm->min) * 60 + tm->sec)); break;
	case K_AMPM:
		buf_put_str(out, tm->hour >= 12 ? (isupper((unsigned char)pat[0]) ? "PM" : "pm") : (isupper((unsigned char)pat[0]) ? "AM" : "am"));
		break;
	case K_AMPM_DOT:
		buf_put_str(out, tm->hour >= 12 ? (isupper((unsigned char)pat[0]) ? "P.M." : "p.m.") : (isupper((unsigned char)pat[0]) ? "A.M." : "a.m."));
		break;
	case K_ADBC:
		buf_put_str(out, tm->year <= 0 ? (isupper((unsigned char)pat[0]) ? "BC" : "bc") : (isupper((unsigned char)pat[0]) ? "AD" : "ad"));
		break;
	case K_ADBC_DOT:
		buf_put_str(out, tm->year <= 0 ? (isupper((unsigned char)pat[0]) ? "B.C." : "b.c.") : (isupper((unsigned char)pat[0]) ? "A.D." : "a.d."));
		break;
	case K_MONTH:
		if (tm->mon >= 1 && tm->mon <= 12)
			put_cased(out, pat, month_names[tm->mon - 1], 9, fm);
		break;
	case K_MON:
		if (tm->mon >= 1 && tm->mon <= 12) {
			char ab[4];
			snprintf(ab, sizeof(ab), "%.3s", month_names[tm->mon - 1]);
			put_cased(out, pat, ab, 3, true);
		}
		break;
	case K_DAY: put_cased(out, pat, day_names[dow], 9, fm); break;
	case K_DY: {
		char ab[4];
		snprintf(ab, sizeof(ab), "%.3s", day_names[dow]);
		put_cased(out, pat, ab, 3, true);
		break;
	}
	case K_Q: if (tm->mon >= 1) buf_printf(out, "%d", (tm->mon - 1) / 3 + 1); break;
	case K_WW: put_num(out, (f->days - pgt_days_from_ymd(tm->year, 1, 1)) / 7 + 1, 2, fm); break;
	case K_W: buf_printf(out, "%d", (tm->mday - 1) / 7 + 1); break;
	case K_IW: put_num(out, iw, 2, fm); break;
	case K_CC: {
		int64_t c = f->interval ? tm->year / 100 : tm->year > 0 ? (tm->year + 99) / 100 : -((99 - (tm->year - 1)) / 100);
		put_num(out, c, 2, fm);
		break;
	}
	case K_J: buf_printf(out, "%lld", (long long)(f->days + 2451545)); break;
	case K_RM:
		if (tm->mon >= 1 && tm->mon <= 12) {
			const char *r = roman[tm->mon - 1];
			for (const char *c = r; *c; c++)
				buf_put_u8(out, (uint8_t)(isupper((unsigned char)pat[0]) ? *c : tolower((unsigned char)*c)));
			for (size_t i = strlen(r); !fm && i < 4; i++)
				buf_put_u8(out, ' ');
		}
		break;
	case K_TZ:
		for (const char *c = f->tzname; *c; c++)
			buf_put_u8(out, (uint8_t)(isupper((unsigned char)pat[0]) ? toupper((unsigned char)*c) : tolower((unsigned char)*c)));
		break;
	case K_TZH: buf_printf(out, "%c%02d", f->tzoff >= 0 ? '+' : '-', abs(f->tzoff) / 3600); break;
	case K_TZM: buf_printf(out, "%02d", abs(f->tzoff) / 60 % 60); break;
	case K_OF:
		buf_printf(out, "%c%0*d", f->tzoff >= 0 ? '+' : '-', fm ? 0 : 2, abs(f->tzoff) / 3600);
		if (abs(f->tzoff) / 60 % 60)
			buf_printf(out, ":%02d", abs(f->tzoff) / 60 % 60);
		break;
	default: break;
	}
	(void)plen;
}

/* The value a numeric key printed, for its TH suffix. */
static int64_t key_value(const char *printed, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		if (isdigit((unsigned char)printed[i]))
			v = v * 10 + (printed[i] - '0');
	return v;
}

void tc_format_datetime(Buf *out, const TcFields *f, const char *fmt)
{
	const char *p = fmt;
	while (*p) {
		bool fm = false;
		while ((strncasecmp(p, "fm", 2) == 0 || strncasecmp(p, "tm", 2) == 0 || strncasecmp(p, "fx", 2) == 0) && p[2]) {
			if (tolower((unsigned char)p[0]) == 'f' && tolower((unsigned char)p[1]) == 'm')
				fm = true;
			p += 2;
		}
		size_t kl;
		int ki = *p ? match_key(p, &kl) : -1;
		if (ki >= 0) {
			size_t before = out->len;
			put_key(out, keys[ki].k, p, kl, f, fm);
			p += kl;
			if (keys[ki].numeric && (strncmp(p, "TH", 2) == 0 || strncmp(p, "th", 2) == 0)) {
				tc_ordinal(out, key_value((const char *)out->data + before, out->len - before), p[0] == 'T');
				p += 2;
			}
			if (strncasecmp(p, "sp", 2) == 0 && keys[ki].numeric)
				p += 2;
			continue;
		}
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_put_u8(out, (uint8_t)*p);
			}
			if (*p)
				p++;
			continue;
		}
		if (*p == '\\' && p[1] == '"')
			p++;
		buf_put_u8(out, (uint8_t)*p++);
	}
}

/* Whether fmt has no field an interval has not (a day of the week, a
 * month's name, an era, a zone): to_char(interval) refuses those. */
static bool interval_format_ok(const char *fmt)
{
	for (const char *p = fmt; *p;) {
		size_t kl;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			p += *p != 0;
			continue;
		}
		int ki = match_key(p, &kl);
		if (ki < 0) {
			p++;
			continue;
		}
		switch (keys[ki].k) {
		case K_D: case K_ID: case K_DAY: case K_DY: case K_ADBC: case K_ADBC_DOT:
		case K_TZ: case K_TZH: case K_TZM: case K_OF: case K_MONTH: case K_MON:
			return false;
		default:
			p += kl;
		}
	}
	return true;
}

/* pg_to_char(x, fmt, oid). */
static void fn_to_char(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int(argv[2]);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	const char *fmt = (const char *)sqlite3_value_text(argv[1]);
	Buf b;
	buf_init(&b);
	if (oid == PGT_NUMERIC || oid == PGT_FLOAT8) {
		PgtError err;
		if (!tc_format_number(&b, argv[0], oid, fmt, &err)) {
			buf_cleanup(&b);
			pgt_result_error(ctx, err.sqlstate, err.msg);
			return;
		}
	} else {
		PgtTVal v;
		TcFields f;
		memset(&f, 0, sizeof(f));
		if (!pgt_tval_read(argv[0], oid, &v)) {
			buf_cleanup(&b);
			pgt_result_error(ctx, "22007", "invalid input syntax for a date/time value");
			return;
		}
		if (oid == PGT_INTERVAL && !interval_format_ok(fmt)) {
			buf_cleanup(&b);
			pgt_result_error(ctx, "22007", "invalid format specification for an interval value");
			return;
		}
		if (oid == PGT_INTERVAL) {
			f.interval = true;
			f.tm.year = v.months / 12;
			f.tm.mon = v.months % 12;
			f.tm.mday = v.days;
			f.days = v.days;
			int64_t t = v.us < 0 ? -v.us : v.us;
			f.tm.hour = (int)(v.us / INT64_C(3600000000));
			f.tm.min = (int)(t / 60000000 % 60);
			f.tm.sec = (int)(t / 1000000 % 60);
			f.tm.usec = t % 1000000;
		} else if (v.us == PGT_TS_NOBEGIN || v.us == PGT_TS_NOEND) {
			buf_cleanup(&b);
			return; /* to_char of an infinite timestamp is NULL */
		} else {
			int64_t local = v.us;
			if (oid == PGT_TIMESTAMPTZ) {
				PgtZone z;
				pgt_zone_session(sqlite3_user_data(ctx), &z);
				f.tzoff = pgt_zone_off_utc(&z, v.us);
				pgt_zone_abbrev(&z, v.us, f.tzname, sizeof(f.tzname));
				local += (int64_t)f.tzoff * PGT_USECS_PER_SEC;
			}
			pgt_tm_from_ts(local, &f.tm);
			f.days = pgt_floor_div(local, PGT_USECS_PER_DAY);
		}
		tc_format_datetime(&b, &f, fmt);
	}
	if (b.failed)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, b.data ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

bool pgt_to_char_register(sqlite3 *db, const PgtFormat *fmt)
{
	void *ud = (void *)(uintptr_t)fmt;
	const PgtSqlFunc fns[] = {
		{"pg_to_char", 3, fn_to_char, ud, SQLITE_INNOCUOUS},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0])) && tc_to_timestamp_register(db, fmt) &&
	       tc_to_number_register(db);
}
