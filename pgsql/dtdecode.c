/*
 * dtdecode.c - date/time input read field by field, as PostgreSQL's
 * ParseDateTime/DecodeDateTime read it (DateStyle order MDY, DMY or YMD):
 * month and day names, numeric dates in the DateStyle's order (a field of
 * three or more digits is the year), "YYYYMMDD" and "YYMMDD" numbers, times with
 * AM/PM, BC/AD, zone abbreviations, names and offsets, Julian days
 * ("J2451187") and today/tomorrow/yesterday with a time.
 *
 * pgtype_time.c calls it when the ISO reading fails; the result's ranges
 * are checked there.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgsql/pgtime_int.h"

#define F_YEAR 1
#define F_MON 2
#define F_DAY 4
#define F_DATE 7
#define F_TIME 8
#define F_TZ 16

typedef struct Dec {
	PgtDtParts *p;
	int fmask;
	bool text_month;
	char order; /* 'D' DMY, 'Y' YMD, else MDY */
	bool time_only; /* input of time / timetz: bare numbers are times */
	int forced;	/* SP_EPOCH, SP_INF, SP_NINF (or SP_NOW) named among the fields */
	bool two_digit_year;
	int ampm; /* 0, 1 am, 2 pm */
	int64_t doy;
} Dec;

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
				     "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const month_long[] = {"january", "february", "march",     "april",   "may",      "june",
					 "july",    "august",   "september", "october", "november", "december"};
static const char *const day_words[] = {"sun",	  "mon",      "tue",	   "tues",   "wed",      "wednes",
					"thu",	  "thur",     "thurs",	   "fri",    "sat",      "sunday",
					"monday", "tuesday",  "wednesday", "thursday", "friday", "saturday"};

static int month_of(const char *w)
{
	for (int i = 0; i < 12; i++)
		if (strcmp(w, months[i]) == 0 || strcmp(w, month_long[i]) == 0)
			return i + 1;
	return strcmp(w, "sept") == 0 ? 9 : 0;
}

static bool is_day_word(const char *w)
{
	for (size_t i = 0; i < sizeof(day_words) / sizeof(day_words[0]); i++)
		if (strcmp(w, day_words[i]) == 0)
			return true;
	return false;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* One number of a date (DecodeNumber): which field it is follows from
 * the fields already seen and the M/D/Y order. */
static int dec_number(Dec *d, const char *s, size_t flen)
{
	int64_t val = 0;
	for (size_t i = 0; i < flen; i++) {
		if (val > 100000000)
			return PR_RANGE;
		val = val * 10 + (s[i] - '0');
	}
	int fm = d->fmask & F_DATE, t;
	if (flen == 3 && fm == F_YEAR && val >= 1 && val <= 366) {
		d->doy = val;
		d->fmask |= F_MON | F_DAY;
		return PR_OK;
	}
	switch (fm) {
	case 0:
		t = flen >= 3 || d->order == 'Y' ? F_YEAR : d->order == 'D' ? F_DAY : F_MON;
		break;
	case F_YEAR:
		t = F_MON;
		break;
	case F_MON:
		t = d->text_month && (flen >= 3 || d->order == 'Y') ? F_YEAR : F_DAY;
		break;
	case F_YEAR | F_MON:
		if (d->text_month && flen >= 3 && d->two_digit_year) {
			d->p->mday = (int)d->p->year;
			d->p->year = val;
			d->two_digit_year = false;
			d->fmask |= F_DAY;
			return PR_OK;
		}
		t = F_DAY;
		break;
	case F_DAY:
		t = F_MON;
		break;
	case F_MON | F_DAY:
		t = F_YEAR;
		break;
	default:
		return PR_SYNTAX;
	}
	if (t == F_YEAR) {
		d->p->year = val;
		d->two_digit_year = flen <= 2;
	} else if (t == F_MON) {
		d->p->mon = (int)val;
	} else {
		d->p->mday = (int)val;
	}
	d->fmask |= t;
	return PR_OK;
}

/* A run of digits of six or more (DecodeNumberField): YYYYMMDD, YYMMDD,
 * or HHMMSS once the date is known. */
static int dec_number_field(Dec *d, const char *s, size_t n)
{
	int64_t v[4] = {0};
	if ((d->fmask & F_DATE) == 0 && (n == 8 || n == 6)) {
		size_t yl = n - 4;
		for (size_t i = 0; i < yl; i++)
			v[0] = v[0] * 10 + (s[i] - '0');
		d->p->year = v[0];
		d->p->mon = (s[yl] - '0') * 10 + (s[yl + 1] - '0');
		d->p->mday = (s[yl + 2] - '0') * 10 + (s[yl + 3] - '0');
		d->two_digit_year = n == 6;
		d->fmask |= F_DATE;
		return PR_OK;
	}
	if ((d->fmask & F_TIME) == 0 && n == 6) {
		d->p->hour = (s[0] - '0') * 10 + (s[1] - '0');
		d->p->min = (s[2] - '0') * 10 + (s[3] - '0');
		d->p->sec = (s[4] - '0') * 10 + (s[5] - '0');
		d->fmask |= F_TIME;
		d->p->has_time = true;
		return PR_OK;
	}
	return PR_SYNTAX;
}

/* A date field with - / . separators (DecodeDate), month names allowed. */
static int dec_date(Dec *d, const char *s, size_t n)
{
	char buf[64];
	if (n >= sizeof(buf))
		return PR_SYNTAX;
	memcpy(buf, s, n);
	buf[n] = 0;
	char *sub[8];
	int ns = 0;
	for (char *c = buf; *c && ns < 8;) {
		while (*c && !isalnum((unsigned char)*c))
			c++;
		if (!*c)
			break;
		sub[ns++] = c;
		while (isalnum((unsigned char)*c))
			c++;
		if (*c)
			*c++ = 0;
	}
	/* month names first, as DecodeDate does */
	for (int i = 0; i < ns; i++)
		if (isalpha((unsigned char)sub[i][0])) {
			for (char *c = sub[i]; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			int m = month_of(sub[i]);
			if (!m || (d->fmask & F_MON))
				return PR_SYNTAX;
			d->p->mon = m;
			d->fmask |= F_MON;
			d->text_month = true;
			sub[i] = NULL;
		}
	for (int i = 0; i < ns; i++) {
		if (!sub[i])
			continue;
		size_t l = strlen(sub[i]);
		if (!all_digits(sub[i], l))
			return PR_SYNTAX;
		int rc = dec_number(d, sub[i], l);
		if (rc != PR_OK)
			return rc;
	}
	return PR_OK;
}

/* A time field H:MM[:SS[.frac]], maybe followed by a zone offset. */
static int dec_time(Dec *d, const char *s, size_t n)
{
	char buf[64];
	if (n >= sizeof(buf) || (d->fmask & F_TIME))
		return PR_SYNTAX;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (n > 2 && (strcasecmp(buf + n - 2, "am") == 0 || strcasecmp(buf + n - 2, "pm") == 0)) {
		d->ampm = tolower((unsigned char)buf[n - 2]) == 'a' ? 1 : 2;
		buf[n - 2] = 0;
	}
	char *z = strpbrk(buf, "+-");
	if (z) {
		if (d->p->zone[0])
			return PR_SYNTAX;
		snprintf(d->p->zone, sizeof(d->p->zone), "%s", z);
		*z = 0;
	}
	int h = 0, m = 0, sec = 0, k = 0;
	char frac[16] = "";
	if (sscanf(buf, "%d:%d%n", &h, &m, &k) < 2)
		return PR_SYNTAX;
	if (buf[k] == ':') {
		int k2 = 0;
		if (sscanf(buf + k + 1, "%d%n", &sec, &k2) < 1)
			return PR_SYNTAX;
		k += 1 + k2;
	}
	if (buf[k] == '.') {
		size_t f = strspn(buf + k + 1, "0123456789");
		snprintf(frac, sizeof(frac), "0.%.*s", (int)(f > 12 ? 12 : f), buf + k + 1);
		k += 1 + (int)f;
	}
	if (buf[k])
		return PR_SYNTAX;
	d->p->hour = h, d->p->min = m, d->p->sec = sec;
	d->p->usec = frac[0] ? (int64_t)rint(strtod(frac, NULL) * 1e6) : 0;
	d->p->has_time = true;
	d->fmask |= F_TIME;
	return PR_OK;
}

/* Digits from s[*i] as strtol reads them; *overflow when past INT_MAX. */
static long long disp_part(const char *s, size_t n, size_t *i, bool *overflow)
{
	long long v = 0;
	for (; *i < n && isdigit((unsigned char)s[*i]); (*i)++) {
		v = v * 10 + (s[*i] - '0');
		if (v > INT_MAX) {
			*overflow = true;
			v = INT_MAX;
		}
	}
	return v;
}

int pgt_check_displacement(const char *s, size_t n)
{
	size_t i = 1;
	bool overflow = false;
	long long hr = disp_part(s, n, &i, &overflow), min = 0, sec = 0;
	if (i < n && s[i] == ':') {
		i++;
		min = disp_part(s, n, &i, &overflow);
		if (i < n && s[i] == ':') {
			i++;
			sec = disp_part(s, n, &i, &overflow);
		}
	} else if (i == n && n > 3) {
		min = hr % 100;
		hr /= 100;
	}
	if (overflow || hr > PGT_MAX_TZDISP_HOUR || min >= 60 || sec >= 60)
		return PR_TZDISP;
	return i == n ? PR_OK : PR_SYNTAX;
}

/* The zone as written; one longer than any zone name is no date/time. */
static int set_zone(Dec *d, const char *s, size_t n)
{
	if (n > 1 && (s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1])) {
		int rc = pgt_check_displacement(s, n);
		if (rc != PR_OK)
			return rc;
	}
	if (n >= sizeof(d->p->zone))
		return PR_SYNTAX;
	memcpy(d->p->zone, s, n);
	d->p->zone[n] = 0;
	return PR_OK;
}

/* A word: month or day name, AM/PM, BC/AD, a special, or a zone. */
static int dec_word(Dec *d, const char *s, size_t n)
{
	char w[80];
	if (n >= sizeof(w))
		return PR_SYNTAX;
	for (size_t i = 0; i < n; i++)
		w[i] = (char)tolower((unsigned char)s[i]);
	w[n] = 0;
	int m = month_of(w);
	if (m && !(d->fmask & F_MON)) {
		d->p->mon = m;
		d->fmask |= F_MON;
		d->text_month = true;
		return PR_OK;
	}
	if (is_day_word(w) || strcmp(w, "at") == 0 || strcmp(w, "on") == 0)
		return PR_OK;
	if (strcmp(w, "am") == 0 || strcmp(w, "pm") == 0) {
		d->ampm = w[0] == 'a' ? 1 : 2;
		return PR_OK;
	}
	if (strcmp(w, "bc") == 0 || strcmp(w, "ad") == 0) {
		d->p->bc = w[0] == 'b';
		return PR_OK;
	}
	if (strcmp(w, "today") == 0 || strcmp(w, "tomorrow") == 0 || strcmp(w, "yesterday") == 0) {
		if (d->fmask & F_DATE)
			return PR_SYNTAX;
		d->p->special = w[2] == 'd' ? SP_TODAY : w[2] == 'm' ? SP_TOMORROW : SP_YESTERDAY;
		d->fmask |= F_DATE;
		return PR_OK;
	}
	if (strcmp(w, "epoch") == 0 || strcmp(w, "infinity") == 0 || strcmp(w, "-infinity") == 0) {
		/* the whole value, whatever else the input says */
		d->forced = w[0] == 'e' ? SP_EPOCH : w[0] == 'i' ? SP_INF : SP_NINF;
		return PR_OK;
	}
	if (strcmp(w, "now") == 0 && d->forced != SP_EPOCH && d->forced != SP_INF && d->forced != SP_NINF) {
		d->forced = SP_NOW;
		return PR_OK;
	}
	if (d->p->zone[0] || strcmp(w, "allballs") == 0 || strcmp(w, "now") == 0)
		return PR_SYNTAX;
	return set_zone(d, s, n);
}

static int dec_field(Dec *d, const char *s, size_t n);

/* A zone written right after a number ("040506-08"): kept; *n becomes the
 * length of what comes before it.  A displacement out of range is
 * PR_TZDISP. */
static int split_zone(Dec *d, const char *s, size_t *n)
{
	for (size_t i = 1; i < *n; i++)
		if ((s[i] == '+' || s[i] == '-') && !d->p->zone[0]) {
			int rc = set_zone(d, s + i, *n - i);
			if (rc == PR_TZDISP)
				return rc;
			if (rc == PR_OK) {
				*n = i;
				return PR_OK;
			}
		}
	return PR_OK;
}

/* An ISO 8601 time without colons: HH, HHMM or HHMMSS, a fraction, maybe
 * a zone after it. */
static int dec_compact_time(Dec *d, const char *s, size_t n)
{
	if (memchr(s, ':', n))
		return dec_time(d, s, n);
	int zrc = split_zone(d, s, &n);
	if (zrc != PR_OK)
		return zrc;
	size_t dig = strspn(s, "0123456789");
	if (dig > n)
		dig = n;
	if ((d->fmask & F_TIME) || (dig != 2 && dig != 4 && dig != 6) || (dig < n && s[dig] != '.'))
		return PR_SYNTAX;
	int v[3] = {0, 0, 0};
	for (size_t i = 0; i < dig; i += 2)
		v[i / 2] = (s[i] - '0') * 10 + (s[i + 1] - '0');
	d->p->hour = v[0], d->p->min = v[1], d->p->sec = v[2];
	d->p->usec = 0;
	if (dig < n) {
		char frac[16];
		for (size_t i = dig + 1; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return PR_SYNTAX; /* a fraction is digits (no exponent) */
		snprintf(frac, sizeof(frac), "0.%.*s", (int)(n - dig - 1 > 12 ? 12 : n - dig - 1), s + dig + 1);
		d->p->usec = (int64_t)rint(strtod(frac, NULL) * 1e6);
	}
	d->p->has_time = true;
	d->fmask |= F_TIME;
	return PR_OK;
}

/* A Julian day "J2452271", maybe with a fraction of a day or a time after
 * a T. */
static int dec_julian(Dec *d, const char *s, size_t n)
{
	size_t dig = strspn(s + 1, "0123456789");
	if (dig == 0 || (d->fmask & F_DATE))
		return PR_SYNTAX;
	int64_t j = strtoll(s + 1, NULL, 10);
	pgt_ymd_from_days(j - 2451545, &d->p->year, &d->p->mon, &d->p->mday);
	d->fmask |= F_DATE;
	const char *r = s + 1 + dig;
	size_t rn = n - 1 - dig;
	if (rn && *r == '.' && !(d->fmask & F_TIME)) {
		size_t fd = strspn(r + 1, "0123456789");
		char frac[24];
		snprintf(frac, sizeof(frac), "0.%.*s", (int)(fd > 15 ? 15 : fd), r + 1);
		int64_t us = (int64_t)rint(strtod(frac, NULL) * 86400e6);
		d->p->hour = (int)(us / 3600000000LL), d->p->min = (int)(us / 60000000 % 60);
		d->p->sec = (int)(us / 1000000 % 60), d->p->usec = us % 1000000;
		d->p->has_time = true;
		d->fmask |= F_TIME;
		r += 1 + fd, rn -= 1 + fd;
	}
	return rn ? dec_field(d, r, rn) : PR_OK;
}

/* One whitespace- or comma-separated field. */
static int dec_field(Dec *d, const char *s, size_t n)
{
	size_t dig = strspn(s, "0123456789");
	if (dig > n)
		dig = n;
	if ((s[0] == 'T' || s[0] == 't') && n > 1 && isdigit((unsigned char)s[1]))
		return dec_compact_time(d, s + 1, n - 1);
	if ((s[0] == 'J' || s[0] == 'j') && n > 1 && isdigit((unsigned char)s[1]))
		return dec_julian(d, s, n);
	if (dig > 0 && dig < n && (s[dig] == 'T' || s[dig] == 't') && dig + 1 < n && isdigit((unsigned char)s[dig + 1])) {
		int rc = dec_field(d, s, dig);
		return rc != PR_OK ? rc : dec_compact_time(d, s + dig + 1, n - dig - 1);
	}
	size_t date_len = dig + strspn(s + dig, "0123456789-/.");
	if (dig > 0 && date_len > dig && date_len + 1 < n && (s[date_len] == 'T' || s[date_len] == 't') &&
	    strspn(s + date_len + 1, "0123456789") >= 4 && !memchr(s, ':', n)) {
		/* an ISO date, a T and a compact time (HHMM, HHMMSS) */
		int rc = dec_date(d, s, date_len);
		return rc != PR_OK ? rc : dec_compact_time(d, s + date_len + 1, n - date_len - 1);
	}
	if (dig > 0 && dig < n && (s[dig] == '.' || s[dig] == '+' || s[dig] == '-') && (d->time_only || (d->fmask & F_DATE) == F_DATE) &&
	    !memchr(s, ':', n))
		return dec_compact_time(d, s, n);
	if (dig == n && d->time_only && (n == 4 || n == 6))
		return dec_compact_time(d, s, n);
	if (dig == n) {
		if (n >= 6 && ((d->fmask & F_DATE) == 0 || (d->fmask & F_TIME) == 0))
			return dec_number_field(d, s, n);
		return dec_number(d, s, n);
	}
	if (dig > 0 && s[dig] == ':')
		return dec_time(d, s, n);
	if (dig > 0 && (s[dig] == '-' || s[dig] == '/' || s[dig] == '.'))
		return dec_date(d, s, n);
	if (isalpha((unsigned char)s[0])) {
		size_t a = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (a < n && (s[a] == '-' || s[a] == '.') && isdigit((unsigned char)s[a + 1]))
			return dec_date(d, s, n);
		return dec_word(d, s, n);
	}
	if (n == 9 && strncasecmp(s, "-infinity", 9) == 0)
		return dec_word(d, s, n);
	if ((s[0] == '+' || s[0] == '-') && n > 1 && !d->p->zone[0])
		return set_zone(d, s, n);
	return PR_SYNTAX;
}

int pgt_dt_decode(const char *s, char order, bool time_only, PgtDtParts *p)
{
	Dec d = {.p = p, .order = order, .time_only = time_only};
	memset(p, 0, sizeof(*p));
	size_t len = strlen(s);
	if (len >= sizeof(p->zone) * 2)
		return PR_SYNTAX;
	size_t st[32], ln[32], nf = 0;
	for (size_t i = 0; i < len;) {
		while (i < len && (s[i] == ' ' || s[i] == ','))
			i++;
		if (i >= len)
			break;
		size_t e = i;
		while (e < len && s[e] != ' ' && s[e] != ',')
			e++;
		if (nf == 32)
			return PR_SYNTAX;
		st[nf] = i, ln[nf++] = e - i;
		i = e;
	}
	/* a month name anywhere decides how the numbers are read */
	for (size_t f = 0; f < nf; f++) {
		char w[16];
		if (ln[f] >= sizeof(w) || !isalpha((unsigned char)s[st[f]]))
			continue;
		for (size_t k = 0; k <= ln[f]; k++)
			w[k] = k < ln[f] ? (char)tolower((unsigned char)s[st[f] + k]) : 0;
		int m = month_of(w);
		if (m && !(d.fmask & F_MON)) {
			p->mon = m;
			d.fmask |= F_MON;
			d.text_month = true;
			ln[f] = 0;
		}
	}
	for (size_t f = 0; f < nf; f++) {
		int rc = ln[f] ? dec_field(&d, s + st[f], ln[f]) : PR_OK;
		if (rc != PR_OK)
			return rc;
	}
	if (d.forced) {
		memset(p, 0, sizeof(*p));
		p->special = d.forced;
		return PR_OK;
	}
	if (d.doy) {
		int64_t days = pgt_days_from_ymd(p->year, 1, 1) + d.doy - 1;
		pgt_ymd_from_days(days, &p->year, &p->mon, &p->mday);
	}
	if (d.two_digit_year && !p->bc)
		p->year += p->year < 70 ? 2000 : 1900;
	if (d.ampm) {
		if (p->hour < 1 || p->hour > 12)
			return PR_RANGE;
		p->hour = d.ampm == 1 ? (p->hour == 12 ? 0 : p->hour) : (p->hour == 12 ? 12 : p->hour + 12);
	}
	if (p->special != SP_NONE)
		return PR_OK;
	if ((d.fmask & F_DATE) != F_DATE && (d.fmask & F_DATE))
		return PR_SYNTAX;
	p->has_date = (d.fmask & F_DATE) == F_DATE;
	return p->has_date || p->has_time ? PR_OK : PR_SYNTAX;
}
