/*
 * pgtype_time.c - date, time, timetz, timestamp, timestamptz and interval.
 *
 * Values are parsed into a TVal (microseconds and days since 2000-01-01,
 * as PostgreSQL counts them) and rendered in PG's ISO DateStyle and
 * 'postgres' IntervalStyle.  timestamptz is stored in UTC and shown in the
 * session time zone.  Named zones come from the system zoneinfo through
 * TZ/tzset()/localtime_r(), serialised by a mutex; the process's TZ
 * variable is therefore owned by this file.
 */
#include "pgsql/pgtype_int.h"
#include "pgsql/pgtime_int.h"

#include <ctype.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define USECS_PER_SEC INT64_C(1000000)
#define USECS_PER_DAY INT64_C(86400000000)
#define UNIX_TO_PG_DAYS 10957 /* days from 1970-01-01 to 2000-01-01 */
#define TS_NOBEGIN INT64_MIN
#define TS_NOEND INT64_MAX
#define DATE_NOBEGIN INT32_MIN
#define DATE_NOEND INT32_MAX
#define MAX_YEAR 294276

bool pgt_is_time_type(uint32_t oid)
{
	return oid == PGT_DATE || oid == PGT_TIME || oid == PGT_TIMETZ || oid == PGT_TIMESTAMP ||
	       oid == PGT_TIMESTAMPTZ || oid == PGT_INTERVAL;
}

static const char *type_label(uint32_t oid)
{
	switch (oid) {
	case PGT_DATE: return "date";
	case PGT_TIME: return "time";
	case PGT_TIMETZ: return "time with time zone";
	case PGT_TIMESTAMP: return "timestamp";
	case PGT_TIMESTAMPTZ: return "timestamp with time zone";
	default: return "interval";
	}
}

/* ------------------------------------------------------------- calendar */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BC). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* ------------------------------------------------------------ time zones */

typedef PgtZone Zone;

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static char tz_current[128];

/* Offset (seconds east) of zone z at UTC second t. */
static int zone_offset_utc(const Zone *z, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	int off = 0;
	if (z->fixed)
		return z->off;
	pthread_mutex_lock(&tz_lock);
	if (strcmp(tz_current, z->tz) != 0) {
		setenv("TZ", z->tz, 1);
		tzset();
		snprintf(tz_current, sizeof(tz_current), "%s", z->tz);
	}
	if (localtime_r(&tt, &tm))
		off = (int)tm.tm_gmtoff;
	pthread_mutex_unlock(&tz_lock);
	return off;
}

/* The abbreviation of zone z at UTC second t ("PST", "CEST"); a fixed
 * zone's is its offset ("+05"), UTC's "UTC". */
static void zone_abbrev_utc(const Zone *z, int64_t t, char *out, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (z->fixed) {
		int a = abs(z->off);
		if (z->off == 0)
			snprintf(out, n, "UTC");
		else if (a % 3600)
			snprintf(out, n, "%c%02d:%02d", z->off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
		else
			snprintf(out, n, "%c%02d", z->off < 0 ? '-' : '+', a / 3600);
		return;
	}
	out[0] = 0;
	pthread_mutex_lock(&tz_lock);
	if (strcmp(tz_current, z->tz) != 0) {
		setenv("TZ", z->tz, 1);
		tzset();
		snprintf(tz_current, sizeof(tz_current), "%s", z->tz);
	}
	if (localtime_r(&tt, &tm) && tm.tm_zone)
		snprintf(out, n, "%s", tm.tm_zone);
	pthread_mutex_unlock(&tz_lock);
}

/* Offset of zone z for local wall-clock second l, resolved as PostgreSQL
 * does: in a spring-forward gap the offset before the transition, in a
 * fall-back overlap the offset after it. */
static int zone_offset_local(const Zone *z, int64_t l)
{
	if (z->fixed)
		return z->off;
	int ob = zone_offset_utc(z, l - 86400), oa = zone_offset_utc(z, l + 86400);
	if (ob == oa) {
		int o = zone_offset_utc(z, l - ob);
		return o == ob ? ob : zone_offset_utc(z, l - o);
	}
	bool vb = zone_offset_utc(z, l - ob) == ob, va = zone_offset_utc(z, l - oa) == oa;
	if (vb && va)
		return oa;
	if (!vb && !va)
		return ob;
	return vb ? ob : oa;
}

/* Parse "[+-]H[H][[:]MM[[:]SS]]" as an ISO offset, east positive. */
static bool parse_offset(const char *s, int *off)
{
	int sign = *s == '-' ? -1 : 1, h = 0, m = 0, sec = 0, nd = 0;
	if (*s != '+' && *s != '-')
		return false;
	s++;
	const char *d = s;
	while (isdigit((unsigned char)*d))
		d++;
	nd = (int)(d - s);
	if (nd == 0 || nd > 6)
		return false;
	if (nd <= 2) {
		h = atoi(s);
		s = d;
		if (*s == ':') {
			if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
				return false;
			m = (s[1] - '0') * 10 + (s[2] - '0');
			s += 3;
			if (*s == ':') {
				if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
					return false;
				sec = (s[1] - '0') * 10 + (s[2] - '0');
				s += 3;
			}
		}
	} else if (nd == 4 || nd == 6) {
		h = (s[0] - '0') * 10 + (s[1] - '0');
		m = (s[2] - '0') * 10 + (s[3] - '0');
		if (nd == 6)
			sec = (s[4] - '0') * 10 + (s[5] - '0');
		s = d;
	} else {
		return false;
	}
	if (*s || h > 15 || m > 59 || sec > 59)
		return false;
	*off = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static const struct {
	const char *abbrev;
	int off;
} zone_abbrevs[] = {
	{"utc", 0}, {"gmt", 0}, {"z", 0}, {"zulu", 0}, {"uct", 0}, {"ut", 0},
	{"est", -5 * 3600}, {"edt", -4 * 3600}, {"cst", -6 * 3600}, {"cdt", -5 * 3600},
	{"mst", -7 * 3600}, {"mdt", -6 * 3600}, {"pst", -8 * 3600}, {"pdt", -7 * 3600},
	{"akst", -9 * 3600}, {"akdt", -8 * 3600}, {"hst", -10 * 3600},
	{"wet", 0}, {"west", 3600}, {"bst", 3600}, {"cet", 3600}, {"cest", 2 * 3600},
	{"met", 3600}, {"mest", 2 * 3600}, {"eet", 2 * 3600}, {"eest", 3 * 3600},
	{"msk", 3 * 3600}, {"ist", 2 * 3600}, {"jst", 9 * 3600}, {"kst", 9 * 3600},
	{"aest", 10 * 3600}, {"aedt", 11 * 3600}, {"nzst", 12 * 3600}, {"nzdt", 13 * 3600},
};

/* Find a zoneinfo file for name, matching each path component without
 * regard to case; writes the real relative path to out. */
static bool zoneinfo_lookup(const char *name, char *out, size_t outsz)
{
	const char *dir = getenv("TZDIR");
	char path[512], comp[128];
	struct stat st;
	size_t rel = 0;

	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if (!*name || name[0] == '/' || strstr(name, "..") || strlen(name) >= outsz)
		return false;
	snprintf(path, sizeof(path), "%s", dir);
	out[0] = 0;
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 0 || l >= sizeof(comp))
			return false;
		memcpy(comp, p, l);
		comp[l] = 0;
		size_t plen = strlen(path);
		snprintf(path + plen, sizeof(path) - plen, "/%s", comp);
		if (stat(path, &st) != 0) {
			path[plen] = 0;
			DIR *d = opendir(path);
			struct dirent *de;
			bool found = false;
			if (!d)
				return false;
			while ((de = readdir(d)) != NULL)
				if (strcasecmp(de->d_name, comp) == 0) {
					memcpy(comp, de->d_name, l + 1); /* same length as comp */
					found = true;
					break;
				}
			closedir(d);
			if (!found)
				return false;
			snprintf(path + plen, sizeof(path) - plen, "/%s", comp);
		}
		rel += (size_t)snprintf(out + rel, outsz - rel, "%s%s", rel ? "/" : "", comp);
		p += l;
		if (*p == '/')
			p++;
	}
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Resolve a zone name: UTC spellings, an ISO offset ("+02", "-05:30"), a
 * time zone abbreviation (tried before zoneinfo when abbrev_first, as PG
 * does for values inside timestamps), a zoneinfo name in any case, or a
 * POSIX rule ("UTC+2" is two hours west).  False if none fits.
 */
static bool zone_resolve(const char *name, bool abbrev_first, Zone *z)
{
	char low[128], real[120];
	size_t n = strlen(name);
	memset(z, 0, sizeof(*z));
	z->fixed = true;
	if (n == 0 || n >= sizeof(low))
		return false;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	if (strcmp(low, "utc") == 0 || strcmp(low, "etc/utc") == 0 || strcmp(low, "gmt") == 0 ||
	    strcmp(low, "etc/gmt") == 0 || strcmp(low, "z") == 0 || strcmp(low, "universal") == 0 ||
	    strcmp(low, "etc/universal") == 0 || strcmp(low, "zulu") == 0 || strcmp(low, "etc/zulu") == 0 ||
	    strcmp(low, "uct") == 0 || strcmp(low, "etc/uct") == 0 || strcmp(low, "greenwich") == 0)
		return true;
	if (parse_offset(name, &z->off))
		return true;
	if (abbrev_first)
		for (size_t i = 0; i < sizeof(zone_abbrevs) / sizeof(zone_abbrevs[0]); i++)
			if (strcmp(low, zone_abbrevs[i].abbrev) == 0) {
				z->off = zone_abbrevs[i].off;
				return true;
			}
	if (zoneinfo_lookup(name, real, sizeof(real))) {
		z->fixed = false;
		snprintf(z->tz, sizeof(z->tz), ":%s", real);
		return true;
	}
	/* POSIX rule: a quoted name ("<+02>-02"), or at least three letters,
	 * then an offset. */
	const char *q = name[0] == '<' ? strchr(name, '>') : NULL;
	if (q && q[1] && strspn(q + 1, "+-0123456789:") > 0) {
		z->fixed = false;
		snprintf(z->tz, sizeof(z->tz), "%s", name);
		return true;
	}
	size_t a = 0;
	while (isalpha((unsigned char)name[a]))
		a++;
	if (a >= 3 && (name[a] == '+' || name[a] == '-' || isdigit((unsigned char)name[a]))) {
		z->fixed = false;
		snprintf(z->tz, sizeof(z->tz), "%s", name);
		return true;
	}
	return false;
}

void pgt_timezone_setting(char *v, size_t vsz, char *rule, size_t rsz)
{
	char *end;
	double h = strtod(v, &end);
	snprintf(rule, rsz, "%s", v);
	if (end != v && *end == 0 && isfinite(h) && fabs(h) < 168) {
		/* hours east, as SET TIME ZONE takes a number */
		int sec = (int)lround(h * 3600), a = abs(sec);
		char name[16];
		if (a % 3600)
			snprintf(name, sizeof(name), "%c%02d:%02d", sec < 0 ? '-' : '+', a / 3600, a / 60 % 60);
		else
			snprintf(name, sizeof(name), "%c%02d", sec < 0 ? '-' : '+', a / 3600);
		snprintf(v, vsz, "<%s>%c%s", name, sec < 0 ? '+' : '-', name + 1);
		/* a quoted zone name is letters, digits and signs only */
		snprintf(rule, rsz, "<%c%02d%02d>%c%s", sec < 0 ? '-' : '+', a / 3600, a / 60 % 60, sec < 0 ? '+' : '-',
			 name + 1);
	} else if ((isdigit((unsigned char)v[0]) || ((v[0] == '+' || v[0] == '-') && isdigit((unsigned char)v[1]))) &&
		   strspn(v, "+-0123456789:") == strlen(v)) {
		/* a bare POSIX offset: hours west of UTC */
		bool west = v[0] != '-';
		char name[16];
		size_t k = 0;
		for (const char *c = v + (v[0] == '+' || v[0] == '-'); *c && k + 1 < sizeof(name); c++)
			if (*c != ':')
				name[k++] = *c;
		name[k] = 0;
		snprintf(rule, rsz, "<%c%s>%s", west ? '-' : '+', name, v);
	}
}

bool pgt_timezone_valid(const char *name)
{
	Zone z;
	return name && zone_resolve(name, false, &z);
}

/* The session zone; an unusable setting falls back to UTC. */
static void session_zone(const PgtFormat *fmt, Zone *z)
{
	if (!fmt || !zone_resolve(fmt->timezone, false, z)) {
		memset(z, 0, sizeof(*z));
		z->fixed = true;
	}
	z->date_order = fmt ? fmt->date_order : 0;
	z->now = fmt && fmt->txn_now && *fmt->txn_now ? *fmt->txn_now - (int64_t)UNIX_TO_PG_DAYS * USECS_PER_DAY : 0;
}

/* ---------------------------------------------------------------- values */

typedef PgtTVal TVal;

typedef PgtDtParts DtParts;

static const struct {
	const char *word;
	int sp;
} dt_specials[] = {
	{"epoch", SP_EPOCH}, {"infinity", SP_INF}, {"+infinity", SP_INF}, {"-infinity", SP_NINF},
	{"now", SP_NOW}, {"today", SP_TODAY}, {"tomorrow", SP_TOMORROW},
	{"yesterday", SP_YESTERDAY}, {"allballs", SP_ALLBALLS},
};

static int read_digits(const char **c, int maxd, int64_t *v)
{
	int nd = 0;
	*v = 0;
	while (isdigit((unsigned char)**c) && nd < maxd) {
		*v = *v * 10 + (**c - '0');
		(*c)++;
		nd++;
	}
	return nd;
}

/* Parse "H[H]:MM[:SS[.frac]]" at *c into p. */
static int split_time(const char **c, DtParts *p)
{
	int64_t v;
	const char *s = *c;
	if (read_digits(&s, 2, &v) == 0)
		return PR_SYNTAX;
	p->hour = (int)v;
	if (*s != ':')
		return PR_SYNTAX;
	s++;
	if (read_digits(&s, 2, &v) != 2)
		return PR_SYNTAX;
	p->min = (int)v;
	if (*s == ':') {
		s++;
		if (read_digits(&s, 2, &v) != 2)
			return PR_SYNTAX;
		p->sec = (int)v;
		if (*s == '.') {
			char frac[40] = "0.";
			size_t k = 2;
			s++;
			while (isdigit((unsigned char)*s)) {
				if (k < sizeof(frac) - 1)
					frac[k++] = *s;
				s++;
			}
			frac[k] = 0;
			p->usec = (int64_t)rint(strtod(frac, NULL) * 1e6);
		}
	}
	p->has_time = true;
	*c = s;
	return PR_OK;
}

/*
 * Split an ISO date/time string: a special word, or [date][ |T][time]
 * followed by BC/AD and a zone ("+02", "Z", "UTC", "Europe/Paris").  The
 * date is YYYY-MM-DD or YYYYMMDD.  Checks field ranges (PR_RANGE).
 */
static int check_parts(DtParts *p);

static int split_datetime(const char *s, DtParts *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(dt_specials) / sizeof(dt_specials[0]); i++)
		if (strcasecmp(s, dt_specials[i].word) == 0) {
			p->special = dt_specials[i].sp;
			return PR_OK;
		}
	const char *c = s;
	int64_t v;
	if (!isdigit((unsigned char)*c))
		return PR_SYNTAX;
	const char *d = c;
	while (isdigit((unsigned char)*d))
		d++;
	if (*d == ':') {
		int rc = split_time(&c, p);
		if (rc != PR_OK)
			return rc;
	} else {
		if (*d == '-' && d - c >= 3) {
			if (read_digits(&c, 9, &p->year) == 0 || *c++ != '-' || read_digits(&c, 2, &v) == 0)
				return PR_SYNTAX;
			p->mon = (int)v;
			if (*c++ != '-' || read_digits(&c, 2, &v) == 0)
				return PR_SYNTAX;
			p->mday = (int)v;
		} else if (d - c == 8) {
			p->year = (c[0] - '0') * 1000 + (c[1] - '0') * 100 + (c[2] - '0') * 10 + (c[3] - '0');
			p->mon = (c[4] - '0') * 10 + (c[5] - '0');
			p->mday = (c[6] - '0') * 10 + (c[7] - '0');
			c = d;
		} else {
			return PR_SYNTAX;
		}
		p->has_date = true;
		if ((*c == 'T' || *c == 't') && isdigit((unsigned char)c[1]))
			c++;
		else
			while (*c == ' ')
				c++;
		if (isdigit((unsigned char)*c)) {
			int rc = split_time(&c, p);
			if (rc != PR_OK)
				return rc;
		}
	}
	for (;;) {
		while (*c == ' ')
			c++;
		if (!*c)
			break;
		size_t l = strcspn(c, " ");
		if ((l == 2 && (strncasecmp(c, "am", 2) == 0 || strncasecmp(c, "pm", 2) == 0)) ||
		    (l == 5 && strncasecmp(c, "epoch", 5) == 0) || (l == 8 && strncasecmp(c, "infinity", 8) == 0) ||
		    (l == 9 && strncasecmp(c, "-infinity", 9) == 0))
			return PR_SYNTAX; /* read field by field (dtdecode.c) */
		if (p->has_date && l == 2 && (strncasecmp(c, "bc", 2) == 0 || strncasecmp(c, "ad", 2) == 0)) {
			p->bc = tolower((unsigned char)c[0]) == 'b';
			c += 2;
		} else if (!p->zone[0] && (*c == '+' || *c == '-' || isalpha((unsigned char)*c)) &&
			   l < sizeof(p->zone) && !(tolower((unsigned char)*c) == 't' && isdigit((unsigned char)c[1]))) {
			memcpy(p->zone, c, l);
			p->zone[l] = 0;
			c += l;
		} else {
			return PR_SYNTAX;
		}
	}
	return check_parts(p);
}

/* Range checks of split fields; BC years become astronomical. */
static int check_parts(DtParts *p)
{
	if (p->special != SP_NONE)
		return PR_OK;
	if (p->has_date) {
		if (p->year == 0 || p->year > 5874897 || p->mon < 1 || p->mon > 12 || p->mday < 1)
			return PR_RANGE;
		if (p->bc)
			p->year = 1 - p->year;
		if (p->mday > days_in_month(p->year, p->mon))
			return PR_RANGE;
	}
	if (p->min > 59 || p->sec > 60 || p->hour > 24 || p->hour < 0 || p->min < 0 || p->sec < 0 || p->usec < 0 ||
	    (p->hour == 24 && (p->min || p->sec || p->usec)))
		return PR_RANGE;
	return PR_OK;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec - (int64_t)UNIX_TO_PG_DAYS * 86400) * USECS_PER_SEC + ts.tv_nsec / 1000;
}

/* Round a time/timestamp to typmod fractional digits, half away from 0. */
static int64_t round_precision(int64_t us, int32_t typmod)
{
	static const int64_t scale[] = {1000000, 100000, 10000, 1000, 100, 10};
	if (typmod < 0 || typmod >= 6 || us == TS_NOBEGIN || us == TS_NOEND)
		return us;
	__int128 sc = scale[typmod], off = sc / 2, u = us;
	__int128 r = u >= 0 ? (u + off) / sc * sc : -((-u + off) / sc * sc);
	return r > INT64_MAX ? INT64_MAX - INT64_MAX % (int64_t)sc : r < INT64_MIN ? INT64_MIN - INT64_MIN % (int64_t)sc : (int64_t)r;
}

static int64_t time_of_day(const DtParts *p)
{
	return ((int64_t)(p->hour * 60 + p->min) * 60 + p->sec) * USECS_PER_SEC + p->usec;
}

static int zone_offset_for(const DtParts *p, const Zone *session, int64_t local_us, Zone *z, int *rc)
{
	*rc = PR_OK;
	if (p->zone[0]) {
		if (!zone_resolve(p->zone, true, z)) {
			*rc = PR_ZONE;
			return 0;
		}
	} else {
		*z = *session;
	}
	return zone_offset_local(z, floor_div(local_us, USECS_PER_SEC) + (int64_t)UNIX_TO_PG_DAYS * 86400);
}

/* Convert split fields to a TVal for date/time/timetz/timestamp(tz). */
static int dt_to_tval(const DtParts *p, uint32_t oid, int32_t typmod, const Zone *session, TVal *v)
{
	Zone z;
	int rc;
	memset(v, 0, sizeof(*v));
	bool is_ts = oid == PGT_TIMESTAMP || oid == PGT_TIMESTAMPTZ;
	bool is_time = oid == PGT_TIME || oid == PGT_TIMETZ;

	if (p->special != SP_NONE) {
		int64_t now = session->now ? session->now : now_us();
		int64_t today;
		if (p->special == SP_ALLBALLS)
			return is_time ? PR_OK : PR_SYNTAX;
		if (is_time) {
			if (p->special != SP_NOW)
				return PR_SYNTAX;
			int off = zone_offset_utc(session, floor_div(now, USECS_PER_SEC) +
							   (int64_t)UNIX_TO_PG_DAYS * 86400);
			int64_t l = now + (int64_t)off * USECS_PER_SEC;
			v->us = round_precision(l - floor_div(l, USECS_PER_DAY) * USECS_PER_DAY, typmod);
			v->tzoff = off;
			return PR_OK;
		}
		switch (p->special) {
		case SP_EPOCH:
			v->us = -(int64_t)UNIX_TO_PG_DAYS * USECS_PER_DAY;
			v->days = -UNIX_TO_PG_DAYS;
			return PR_OK;
		case SP_INF:
			v->us = TS_NOEND;
			v->days = DATE_NOEND;
			return PR_OK;
		case SP_NINF:
			v->us = TS_NOBEGIN;
			v->days = DATE_NOBEGIN;
			return PR_OK;
		default:
			break;
		}
		/* now/today/tomorrow/yesterday: in the session zone. */
		int off = zone_offset_utc(session, floor_div(now, USECS_PER_SEC) + (int64_t)UNIX_TO_PG_DAYS * 86400);
		int64_t local = now + (int64_t)off * USECS_PER_SEC;
		today = floor_div(local, USECS_PER_DAY);
		if (p->special == SP_NOW) {
			v->us = round_precision(oid == PGT_TIMESTAMPTZ ? now : local, typmod);
			v->days = (int32_t)today;
			return PR_OK;
		}
		today += p->special == SP_TOMORROW ? 1 : p->special == SP_YESTERDAY ? -1 : 0;
		v->days = (int32_t)today;
		v->us = today * USECS_PER_DAY + (p->has_time ? time_of_day(p) : 0);
		if (oid == PGT_TIMESTAMPTZ) {
			int o2 = zone_offset_for(p, session, v->us, &z, &rc);
			if (rc != PR_OK)
				return rc;
			v->us -= (int64_t)o2 * USECS_PER_SEC;
		}
		v->us = round_precision(v->us, typmod);
		return PR_OK;
	}

	if (p->zone[0] && oid != PGT_TIMESTAMPTZ && oid != PGT_TIMETZ) {
		/* a zone a type without one ignores must still exist */
		if (!zone_resolve(p->zone, true, &z))
			return PR_ZONE;
		if (oid == PGT_TIME && !z.fixed && !p->has_date)
			return PR_SYNTAX;
	}
	if (oid == PGT_TIMETZ && p->zone[0] && !p->has_date && zone_resolve(p->zone, true, &z) && !z.fixed)
		return PR_SYNTAX; /* a zone with rules needs a date */
	if (is_time) {
		if (!p->has_time)
			return PR_SYNTAX;
		v->us = round_precision(time_of_day(p), typmod);
		if (v->us > USECS_PER_DAY)
			return PR_RANGE;
		if (oid == PGT_TIMETZ) {
			int64_t base = p->has_date ? days_from_civil(p->year, p->mon, p->mday) - UNIX_TO_PG_DAYS
						   : floor_div(now_us(), USECS_PER_DAY);
			/* a date past the timestamp range picks its zone's offset
			 * at the edge of that range */
			const int64_t edge = INT64_MAX / USECS_PER_DAY - 1;
			base = base > edge ? edge : base < -edge ? -edge : base;
			v->tzoff = zone_offset_for(p, session, base * USECS_PER_DAY + v->us, &z, &rc);
			if (rc != PR_OK)
				return rc;
		}
		return PR_OK;
	}
	if (!p->has_date)
		return PR_SYNTAX;
	int64_t days = days_from_civil(p->year, p->mon, p->mday) - UNIX_TO_PG_DAYS;
	if (oid == PGT_DATE) {
		v->days = (int32_t)days;
		return PR_OK;
	}
	if (is_ts && p->year > MAX_YEAR)
		return PR_RANGE + 10;
	int64_t local = days * USECS_PER_DAY + time_of_day(p);
	if (is_ts && local < INT64_C(-211813488000000000))
		return PR_RANGE + 10;
	if (oid == PGT_TIMESTAMPTZ) {
		int off = zone_offset_for(p, session, local, &z, &rc);
		if (rc != PR_OK)
			return rc;
		local -= (int64_t)off * USECS_PER_SEC;
	}
	v->us = round_precision(local, typmod);
	return PR_OK;
}

/* ------------------------------------------------------------- intervals */

static const struct {
	const char *unit;
	int64_t us;     /* microseconds per unit, or 0 */
	int days;       /* days per unit, or 0 */
	int months;     /* months per unit, or 0 */
	int mask;
} itv_units[] = {
	{"microsecond", 1, 0, 0, 1}, {"microseconds", 1, 0, 0, 1}, {"usec", 1, 0, 0, 1},
	{"usecs", 1, 0, 0, 1}, {"us", 1, 0, 0, 1},
	{"millisecond", 1000, 0, 0, 2}, {"milliseconds", 1000, 0, 0, 2}, {"msec", 1000, 0, 0, 2},
	{"msecs", 1000, 0, 0, 2}, {"ms", 1000, 0, 0, 2},
	{"second", 1000000, 0, 0, 4}, {"seconds", 1000000, 0, 0, 4}, {"sec", 1000000, 0, 0, 4},
	{"secs", 1000000, 0, 0, 4}, {"s", 1000000, 0, 0, 4},
	{"minute", 60000000, 0, 0, 8}, {"minutes", 60000000, 0, 0, 8}, {"min", 60000000, 0, 0, 8},
	{"mins", 60000000, 0, 0, 8}, {"m", 60000000, 0, 0, 8},
	{"hour", 3600000000LL, 0, 0, 16}, {"hours", 3600000000LL, 0, 0, 16}, {"hr", 3600000000LL, 0, 0, 16},
	{"hrs", 3600000000LL, 0, 0, 16}, {"h", 3600000000LL, 0, 0, 16},
	{"day", 0, 1, 0, 32}, {"days", 0, 1, 0, 32}, {"d", 0, 1, 0, 32},
	{"week", 0, 7, 0, 64}, {"weeks", 0, 7, 0, 64}, {"w", 0, 7, 0, 64},
	{"month", 0, 0, 1, 128}, {"months", 0, 0, 1, 128}, {"mon", 0, 0, 1, 128}, {"mons", 0, 0, 1, 128},
	{"year", 0, 0, 12, 256}, {"years", 0, 0, 12, 256}, {"yr", 0, 0, 12, 256}, {"yrs", 0, 0, 12, 256},
	{"y", 0, 0, 12, 256},
	{"decade", 0, 0, 120, 512}, {"decades", 0, 0, 120, 512}, {"dec", 0, 0, 120, 512},
	{"century", 0, 0, 1200, 1024}, {"centuries", 0, 0, 1200, 1024}, {"c", 0, 0, 1200, 1024},
	{"millennium", 0, 0, 12000, 2048}, {"millennia", 0, 0, 12000, 2048},
	{"mil", 0, 0, 12000, 2048}, {"mils", 0, 0, 12000, 2048}, {"millenniums", 0, 0, 12000, 2048},
};

/*
 * Parse PostgreSQL's interval syntax: "[@] {number unit | [+-]H:MM[:SS]}...
 * [ago]", fractions spilling to smaller units (a month is 30 days), a bare
 * number meaning seconds.  ISO 8601 ("P1D") and SQL ("1-2") forms give
 * PR_UNSUPPORTED.
 */
static int parse_interval(const char *s, TVal *v, bool exponents);

/* ISO 8601's "P[nY][nM][nW][nD][T[nH][nM][nS]]" (after the P), numbers
 * maybe fractional or signed, read as the same units in PostgreSQL's own
 * syntax; the "P0002-10-15T10:30:20" form gives PR_UNSUPPORTED. */
static int parse_iso_interval(const char *c, TVal *v)
{
	char buf[256];
	size_t o = 0;
	bool in_time = false, any = false;
	while (*c) {
		if ((*c == 'T' || *c == 't') && !in_time) {
			in_time = true;
			c++;
			continue;
		}
		char *end;
		strtold(c, &end);
		if (end == c)
			return PR_SYNTAX;
		const char *unit = NULL;
		switch (toupper((unsigned char)*end)) {
		case 'Y': unit = in_time ? NULL : "year"; break;
		case 'M': unit = in_time ? "minute" : "month"; break;
		case 'W': unit = in_time ? NULL : "week"; break;
		case 'D': unit = in_time ? NULL : "day"; break;
		case 'H': unit = in_time ? "hour" : NULL; break;
		case 'S': unit = in_time ? "second" : NULL; break;
		default: return *end == '-' || *end == ':' ? PR_UNSUPPORTED : PR_SYNTAX;
		}
		if (!unit || o + (size_t)(end - c) + 12 >= sizeof(buf))
			return PR_SYNTAX;
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%.*s %s ", (int)(end - c), c, unit);
		any = true;
		c = end + 1;
	}
	if (!any)
		return PR_SYNTAX;
	buf[o] = 0;
	return parse_interval(buf, v, true);
}

/* The time part "H:MM[:SS[.frac]]" or "MM:SS.frac" of an interval at *pc,
 * added to *us with sign; *pc moves past it. */
static int interval_time(const char **pc, int sign, long double *us)
{
	int64_t h, m = 0, sec = 0;
	const char *t = *pc;
	char *end;
	if (read_digits(&t, 18, &h) == 0 || *t != ':' || (t++, read_digits(&t, 2, &m)) == 0)
		return PR_SYNTAX;
	long double frac = 0;
	if (*t == '.') {
		/* "MM:SS.frac" */
		sec = m;
		m = h;
		h = 0;
		frac = strtold(t, &end);
		t = end;
	} else if (*t == ':') {
		t++;
		if (read_digits(&t, 2, &sec) == 0)
			return PR_SYNTAX;
		if (*t == '.') {
			frac = strtold(t, &end);
			t = end;
		}
	}
	if (*t && *t != ' ')
		return PR_SYNTAX;
	if (m > 59 || sec > 59)
		return PR_RANGE + 20;
	*us += sign * (((long double)h * 3600 + m * 60 + sec) * 1e6L + rintl(frac * 1e6L));
	*pc = t;
	return PR_OK;
}

/* The verbose interval s; exponents (1.5e1) are read only in the numbers
 * of the ISO form, whose parser rewrites it into this one. */
static int parse_interval(const char *s, TVal *v, bool exponents)
{
	long double months = 0, days = 0, us = 0;
	int mask = 0;
	bool ago = false;
	const char *c = s;

	memset(v, 0, sizeof(*v));
	if (*c == 'P' || *c == 'p')
		return parse_iso_interval(c + 1, v);
	if (*c == '@')
		c++;
	for (;;) {
		while (*c == ' ')
			c++;
		if (!*c)
			break;
		if (ago)
			return PR_SYNTAX;
		if (strncasecmp(c, "ago", 3) == 0 && (c[3] == 0 || c[3] == ' ')) {
			ago = true;
			c += 3;
			continue;
		}
		int sign = 1;
		if (*c == '+' || *c == '-') {
			sign = *c++ == '-' ? -1 : 1;
			while (*c == ' ' && mask)
				c++;
		}
		if (!isdigit((unsigned char)*c) && *c != '.')
			return PR_SYNTAX;
		/* DecodeInterval's number: digits and a fraction, no exponent */
		size_t nl = strspn(c, "0123456789");
		if (c[nl] == '.')
			nl += 1 + strspn(c + nl + 1, "0123456789");
		char *digits = exponents ? NULL : strndup(c, nl);
		if (!exponents && !digits)
			return PR_RANGE + 20;
		char *xend;
		long double num = strtold(exponents ? c : digits, &xend);
		free(digits);
		const char *end = exponents ? xend : c + nl;
		/* an ISO number past double's range is a syntax error (strtod's ERANGE) */
		if (end == c || (exponents && !(fabsl(num) <= DBL_MAX)))
			return PR_SYNTAX;
		if (*end == ':') {
			if (mask & (16 | 8 | 4))
				return PR_SYNTAX;
			int rc = interval_time(&c, sign, &us);
			if (rc != PR_OK)
				return rc;
			mask |= 16 | 8 | 4;
			continue;
		}
		if (*end == '-' && isdigit((unsigned char)end[1]) && num == truncl(num) && !(mask & (128 | 256))) {
			/* SQL's year-month "Y-M" */
			const char *t = end + 1;
			int64_t mo;
			if (read_digits(&t, 9, &mo) == 0 || (*t && *t != ' '))
				return PR_SYNTAX;
			if (mo > 11)
				return PR_RANGE + 20;
			months += sign * (num * 12 + mo);
			mask |= 128 | 256;
			c = t;
			continue;
		}
		if (*end == '-' || *end == '/')
			return PR_UNSUPPORTED;
		num *= sign;
		c = end;
		while (*c == ' ')
			c++;
		size_t l = 0;
		while (isalpha((unsigned char)c[l]))
			l++;
		int u = -1;
		for (size_t i = 0; l && i < sizeof(itv_units) / sizeof(itv_units[0]); i++)
			if (strlen(itv_units[i].unit) == l && strncasecmp(c, itv_units[i].unit, l) == 0) {
				u = (int)i;
				break;
			}
		if (l && u < 0)
			return PR_SYNTAX;
		const char *tc = *c == '+' || *c == '-' ? c + 1 : c;
		if (u < 0 && !(mask & 32) && num == truncl(num) && isdigit((unsigned char)*tc) &&
		    tc[strspn(tc, "0123456789")] == ':') {
			/* "D H:MM[:SS]": a bare integer before a time is days */
			mask |= 32;
			days += num;
			continue;
		}
		if (u < 0) {
			/* A bare number is seconds. */
			if (mask & 4)
				return PR_SYNTAX;
			mask |= 4;
			us += num * 1e6L;
			continue;
		}
		if (mask & itv_units[u].mask)
			return PR_SYNTAX;
		mask |= itv_units[u].mask;
		c += l;
		if (itv_units[u].months) {
			long double mo = num * itv_units[u].months;
			if (itv_units[u].months >= 12) {
				months += truncl(num) * itv_units[u].months + rintl((num - truncl(num)) * itv_units[u].months);
			} else {
				months += truncl(mo);
				long double fd = (mo - truncl(mo)) * 30;
				days += truncl(fd);
				us += rintl((fd - truncl(fd)) * 86400e6L);
			}
		} else if (itv_units[u].days) {
			long double dd = num * itv_units[u].days;
			days += truncl(dd);
			us += rintl((dd - truncl(dd)) * 86400e6L);
		} else {
			us += rintl(num * itv_units[u].us);
		}
	}
	if (mask == 0)
		return PR_SYNTAX;
	if (ago) {
		months = -months;
		days = -days;
		us = -us;
	}
	/* written so that NaN (an infinite field times a unit) is out of range */
	if (!(months <= INT32_MAX && months >= INT32_MIN && days <= INT32_MAX && days >= INT32_MIN &&
	      us <= 9223372036854775807.0L && us >= -9223372036854775808.0L))
		return PR_RANGE + 20;
	v->months = (int32_t)months;
	v->days = (int32_t)days;
	v->us = (int64_t)us;
	return PR_OK;
}

/* ------------------------------------------------------------ rendering */

static void put_seconds(Buf *out, int sec, int64_t usec)
{
	buf_printf(out, "%02d", sec);
	if (usec) {
		char f[8];
		snprintf(f, sizeof(f), "%06lld", (long long)usec);
		int n = 6;
		while (n > 0 && f[n - 1] == '0')
			n--;
		buf_printf(out, ".%.*s", n, f);
	}
}

static void put_time(Buf *out, int64_t us)
{
	int64_t sec = us / USECS_PER_SEC;
	buf_printf(out, "%02d:%02d:", (int)(sec / 3600), (int)(sec / 60 % 60));
	put_seconds(out, (int)(sec % 60), us % USECS_PER_SEC);
}

static void put_offset(Buf *out, int off)
{
	int a = abs(off);
	char sign = off >= 0 ? '+' : '-';
	if (a % 60)
		buf_printf(out, "%c%02d:%02d:%02d", sign, a / 3600, a / 60 % 60, a % 60);
	else if (a / 60 % 60)
		buf_printf(out, "%c%02d:%02d", sign, a / 3600, a / 60 % 60);
	else
		buf_printf(out, "%c%02d", sign, a / 3600);
}

static bool put_date(Buf *out, int64_t days)
{
	int64_t y;
	int m, d;
	civil_from_days(days + UNIX_TO_PG_DAYS, &y, &m, &d);
	bool bc = y <= 0;
	buf_printf(out, "%04lld-%02d-%02d", (long long)(bc ? 1 - y : y), m, d);
	return bc;
}

static void put_itv_part(Buf *out, int64_t val, const char *unit, bool *is_zero, bool *is_before)
{
	if (val == 0)
		return;
	buf_printf(out, "%s%s%lld %s%s", *is_zero ? "" : " ", *is_before && val > 0 ? "+" : "",
		   (long long)val, unit, val != 1 ? "s" : "");
	*is_before = val < 0;
	*is_zero = false;
}

/* Render v in PG's text form; timestamptz and timetz-less values of tz
 * types are shown in zone z. */
static void tval_format(Buf *out, uint32_t oid, const TVal *v, const Zone *z)
{
	switch (oid) {
	case PGT_DATE:
		if (v->days == DATE_NOEND || v->days == DATE_NOBEGIN) {
			buf_put_str(out, v->days == DATE_NOEND ? "infinity" : "-infinity");
			break;
		}
		if (put_date(out, v->days))
			buf_put_str(out, " BC");
		break;
	case PGT_TIME:
		put_time(out, v->us);
		break;
	case PGT_TIMETZ:
		put_time(out, v->us);
		put_offset(out, v->tzoff);
		break;
	case PGT_TIMESTAMP:
	case PGT_TIMESTAMPTZ: {
		if (v->us == TS_NOEND || v->us == TS_NOBEGIN) {
			buf_put_str(out, v->us == TS_NOEND ? "infinity" : "-infinity");
			break;
		}
		int64_t t = v->us;
		int off = 0;
		if (oid == PGT_TIMESTAMPTZ) {
			off = zone_offset_utc(z, floor_div(t, USECS_PER_SEC) + (int64_t)UNIX_TO_PG_DAYS * 86400);
			t += (int64_t)off * USECS_PER_SEC;
		}
		int64_t days = floor_div(t, USECS_PER_DAY);
		bool bc = put_date(out, days);
		buf_put_u8(out, ' ');
		put_time(out, t - days * USECS_PER_DAY);
		if (oid == PGT_TIMESTAMPTZ)
			put_offset(out, off);
		if (bc)
			buf_put_str(out, " BC");
		break;
	}
	default: {
		bool is_zero = true, is_before = false;
		put_itv_part(out, v->months / 12, "year", &is_zero, &is_before);
		put_itv_part(out, v->months % 12, "mon", &is_zero, &is_before);
		put_itv_part(out, v->days, "day", &is_zero, &is_before);
		if (is_zero || v->us != 0) {
			uint64_t a = v->us < 0 ? -(uint64_t)v->us : (uint64_t)v->us;
			int64_t sec = (int64_t)(a / USECS_PER_SEC);
			buf_printf(out, "%s%s%02lld:%02d:", is_zero ? "" : " ",
				   v->us < 0 ? "-" : is_before ? "+" : "", (long long)(sec / 3600),
				   (int)(sec / 60 % 60));
			put_seconds(out, (int)(sec % 60), (int64_t)(a % USECS_PER_SEC));
		}
		break;
	}
	}
}

/* --------------------------------------------------------- entry points */

static const Zone utc_zone = {true, 0, "", 0, 0};

/* Parse text of a date/time type into v; fills err on failure. */
/* An interval typmod's field range (INTERVAL_MASK bits of datetime.h) and
 * fractional-second precision (-1: unspecified). */
#define ITV_MONTH (1 << 1)
#define ITV_YEAR (1 << 2)
#define ITV_DAY (1 << 3)
#define ITV_HOUR (1 << 10)
#define ITV_MINUTE (1 << 11)
#define ITV_SECOND (1 << 12)
#define ITV_FULL_RANGE 0x7FFF

static int itv_range(int32_t typmod) { return typmod < 0 ? ITV_FULL_RANGE : (typmod >> 16) & 0x7FFF; }
static int itv_precision(int32_t typmod) { return typmod < 0 || (typmod & 0xFFFF) == 0xFFFF ? -1 : typmod & 0xFFFF; }

/*
 * An interval as interval_in reads it for a typmod: a bare number counts in
 * the range's last field (interval '999' day is 999 days), then the fields
 * below the range are dropped and the seconds rounded to the precision, as
 * AdjustIntervalForTypmod does.
 */
static int parse_interval_typmod(char *buf, size_t bufsz, int32_t typmod, TVal *v)
{
	int range = itv_range(typmod);
	if (range != ITV_FULL_RANGE && buf[strspn(buf, "+-0123456789.")] == 0 && buf[0]) {
		const char *unit = range & ITV_SECOND ? "seconds"
				   : range & ITV_MINUTE ? "minutes"
				   : range & ITV_HOUR	? "hours"
				   : range & ITV_DAY	? "days"
				   : range & ITV_MONTH	? "months"
							: "years";
		size_t len = strlen(buf);
		if (len + strlen(unit) + 2 > bufsz)
			return PR_SYNTAX;
		buf[len] = ' ';
		strcpy(buf + len + 1, unit);
	}
	int rc = parse_interval(buf, v, false);
	if (rc != PR_OK || range == ITV_FULL_RANGE)
		return rc;
	const int64_t hour = 3600000000LL, minute = 60000000LL;
	if (range == ITV_YEAR) {
		v->months = v->months / 12 * 12;
		v->days = 0;
		v->us = 0;
	} else if (range == ITV_MONTH || range == (ITV_YEAR | ITV_MONTH)) {
		v->days = 0;
		v->us = 0;
	} else if (range == ITV_DAY) {
		v->us = 0;
	} else if (range == ITV_HOUR || range == (ITV_DAY | ITV_HOUR)) {
		v->us = v->us / hour * hour;
	} else if (range == ITV_MINUTE || range == (ITV_DAY | ITV_HOUR | ITV_MINUTE) ||
		   range == (ITV_HOUR | ITV_MINUTE)) {
		v->us = v->us / minute * minute;
	}
	if (itv_precision(typmod) >= 0)
		v->us = round_precision(v->us, itv_precision(typmod));
	return PR_OK;
}

static bool tval_parse(const char *s, size_t n, uint32_t oid, int32_t typmod, const Zone *session,
		       TVal *v, PgtError *err)
{
	char buf[256], q[160];
	DtParts p;
	int rc;

	size_t a = 0;
	while (a < n && isspace((unsigned char)s[a]))
		a++;
	size_t b = n;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	if (b - a >= sizeof(buf) || memchr(s + a, 0, b - a))
		rc = PR_SYNTAX;
	else {
		memcpy(buf, s + a, b - a);
		buf[b - a] = 0;
		for (char *c = buf; *c; c++)
			if (*c == '\t' || *c == '\n' || *c == '\r')
				*c = ' ';
		if (oid == PGT_INTERVAL) {
			rc = parse_interval_typmod(buf, sizeof(buf), typmod, v);
		} else {
			rc = split_datetime(buf, &p);
			if (rc == PR_OK && (p.zone[0] == '+' || p.zone[0] == '-') && isdigit((unsigned char)p.zone[1]))
				rc = pgt_check_displacement(p.zone, strlen(p.zone));
			else if (rc == PR_SYNTAX &&
				 (rc = pgt_dt_decode(buf, session->date_order, oid == PGT_TIME || oid == PGT_TIMETZ, &p)) == PR_OK)
				rc = check_parts(&p);
			if (rc == PR_OK)
				rc = dt_to_tval(&p, oid, typmod, session, v);
		}
	}
	pgt_quote_for_msg(q, sizeof(q), s, n);
	switch (rc) {
	case PR_OK:
		return true;
	case PR_RANGE:
		return pgt_fail(err, "22008", "date/time field value out of range: \"%s\"", q);
	case PR_RANGE + 10:
		return pgt_fail(err, "22008", "timestamp out of range: \"%s\"", q);
	case PR_RANGE + 20:
		return pgt_fail(err, "22015", "interval field value out of range: \"%s\"", q);
	case PR_ZONE:
		for (char *c = p.zone; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		return pgt_fail(err, "22023", "time zone \"%s\" not recognized", p.zone);
	case PR_UNSUPPORTED:
		return pgt_fail(err, "0A000", "this %s input format is not supported: \"%s\"", type_label(oid), q);
	case PR_TZDISP:
		return pgt_fail(err, "22009", "time zone displacement out of range: \"%s\"", q);
	default:
		return pgt_fail(err, "22007", "invalid input syntax for type %s: \"%s\"", type_label(oid), q);
	}
}

static bool store_tval(uint32_t oid, const TVal *v, PgtValue *out, PgtError *err)
{
	Buf b;
	buf_init(&b);
	tval_format(&b, oid, v, &utc_zone);
	bool ok = !b.failed && pgt_set_text(out, (const char *)b.data, b.len);
	buf_cleanup(&b);
	return ok || pgt_fail(err, "53200", "out of memory");
}

/* Whether s is a valid date in its storage form YYYY-MM-DD (year 1 or
 * later): a date's canonical text, and a timestamp's at midnight without
 * the time, whatever DateStyle says. */
static bool plain_iso_date(const char *s, size_t n)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Text input of a date/time type into its canonical storage text;
 * 22007 bad syntax, 22008 field out of range, 22023 unknown zone. */
bool pgt_time_in(const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		 PgtValue *out, PgtError *err)
{
	Zone session;
	TVal v;
	if ((oid == PGT_DATE || oid == PGT_TIMESTAMP) && plain_iso_date(s, n)) {
		/* a stored date read as a date or timestamp (a date column beside
		 * a timestamp): its text, without parsing and formatting it */
		char t[20];
		memcpy(t, s, 10);
		memcpy(t + 10, " 00:00:00", 9);
		return pgt_set_text(out, t, oid == PGT_DATE ? 10 : 19) || pgt_fail(err, "53200", "out of memory");
	}
	session_zone(fmt, &session);
	if (!tval_parse(s, n, oid, typmod, &session, &v, err))
		return false;
	return store_tval(oid, &v, out, err);
}

/* Text output of stored text (read with UTC as its zone). */
bool pgt_time_out(Buf *out, const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		  PgtError *err)
{
	Zone session;
	TVal v;
	(void)typmod;
	if (!tval_parse(s, n, oid, -1, &utc_zone, &v, err))
		return false;
	session_zone(fmt, &session);
	tval_format(out, oid, &v, &session);
	return true;
}

/* Binary output: date int32 days, time int64 us, timetz adds int32 seconds
 * west, timestamps int64 us since 2000-01-01, interval us/days/months. */
bool pgt_time_send(Buf *out, const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		   PgtError *err)
{
	TVal v;
	(void)typmod;
	(void)fmt;
	if (!tval_parse(s, n, oid, -1, &utc_zone, &v, err))
		return false;
	switch (oid) {
	case PGT_DATE:
		buf_put_u32(out, (uint32_t)v.days);
		break;
	case PGT_TIMETZ:
		buf_put_u64(out, (uint64_t)v.us);
		buf_put_u32(out, (uint32_t)-v.tzoff);
		break;
	case PGT_INTERVAL:
		buf_put_u64(out, (uint64_t)v.us);
		buf_put_u32(out, (uint32_t)v.days);
		buf_put_u32(out, (uint32_t)v.months);
		break;
	default:
		buf_put_u64(out, (uint64_t)v.us);
		break;
	}
	return true;
}

/* Binary input into canonical storage text; 22P03 on a wrong length,
 * 22008 for a time outside 00:00..24:00. */
bool pgt_time_recv(const uint8_t *p, size_t len, uint32_t oid, int32_t typmod, PgtValue *out, PgtError *err)
{
	TVal v;
	size_t want = oid == PGT_DATE ? 4 : oid == PGT_TIMETZ ? 12 : oid == PGT_INTERVAL ? 16 : 8;
	memset(&v, 0, sizeof(v));
	if (len != want)
		return pgt_fail(err, "22P03", "incorrect binary data format");
	if (oid == PGT_DATE) {
		v.days = (int32_t)rd_be32(p);
		/* date_recv's range: Julian day 0 to the last day PostgreSQL has */
		if (v.days != DATE_NOBEGIN && v.days != DATE_NOEND && (v.days < -2451545 || v.days >= 2145031949))
			return pgt_fail(err, "22008", "date out of range");
	} else {
		v.us = (int64_t)rd_be64(p);
		if (oid == PGT_INTERVAL) {
			v.days = (int32_t)rd_be32(p + 8);
			v.months = (int32_t)rd_be32(p + 12);
		}
		if ((oid == PGT_TIME || oid == PGT_TIMETZ) && (v.us < 0 || v.us > USECS_PER_DAY))
			return pgt_fail(err, "22008", "time out of range");
		if (oid == PGT_TIMETZ) {
			/* timetz_recv's sane displacement (TZDISP_LIMIT) */
			int32_t zone = (int32_t)rd_be32(p + 8), limit = (PGT_MAX_TZDISP_HOUR + 1) * 3600;
			if (zone <= -limit || zone >= limit)
				return pgt_fail(err, "22009", "time zone displacement out of range");
			v.tzoff = -zone;
		}
		/* timestamp_recv's range (4714-11-24 BC to 294276 AD), infinities aside */
		if ((oid == PGT_TIMESTAMP || oid == PGT_TIMESTAMPTZ) && v.us != TS_NOBEGIN && v.us != TS_NOEND &&
		    (v.us < INT64_C(-211813488000000000) || v.us >= INT64_C(9223371331200000000)))
			return pgt_fail(err, "22008", "timestamp out of range");
		if (oid == PGT_TIME || oid == PGT_TIMETZ || oid == PGT_TIMESTAMP || oid == PGT_TIMESTAMPTZ)
			v.us = round_precision(v.us, typmod);
	}
	return store_tval(oid, &v, out, err);
}

/* The span interval_cmp_value compares (a month is 30 days, a day 24
 * hours) of the interval text s of n bytes; false when s is no interval. */
static bool interval_span(const char *s, size_t n, __int128 *span)
{
	char buf[256];
	TVal v;
	if (!s || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (parse_interval(buf, &v, false) != PR_OK)
		return false;
	*span = ((__int128)v.months * 30 + v.days) * (__int128)86400000000LL + v.us;
	return true;
}

/*
 * pg_intervalkey(x): a BLOB whose byte order is interval order and which is
 * equal for equal intervals: the span as a signed 128-bit big-endian
 * integer with its sign bit flipped.
 */
static void fn_intervalkey(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	__int128 span;
	if (!interval_span((const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), &span)) {
		sqlite3_result_error(ctx, "22007:invalid input syntax for type interval", -1);
		return;
	}
	unsigned __int128 u = (unsigned __int128)span ^ ((unsigned __int128)1 << 127);
	unsigned char key[16];
	for (int i = 15; i >= 0; i--, u >>= 8)
		key[i] = (unsigned char)u;
	sqlite3_result_blob(ctx, key, sizeof(key), SQLITE_TRANSIENT);
}

/* The collation pg_interval: interval texts by span ('1 day' = '24:00:00',
 * '30 days' = '1 mon'), texts that are no interval after every interval,
 * by their bytes.  DISTINCT, UNION, INTERSECT and EXCEPT of intervals
 * compare under it. */
static int coll_interval(void *arg, int na, const void *a, int nb, const void *b)
{
	(void)arg;
	if (na == nb && (na == 0 || memcmp(a, b, (size_t)na) == 0))
		return 0;
	__int128 sa, sb;
	bool oka = interval_span(a, (size_t)na, &sa), okb = interval_span(b, (size_t)nb, &sb);
	if (oka && okb)
		return sa < sb ? -1 : sa > sb;
	return pgt_coll_unparsed(oka, okb, a, na, b, nb);
}

/* ------------------------------------------ for the date/time functions */

bool pgt_tval_read(sqlite3_value *v, uint32_t oid, PgtTVal *out)
{
	PgtError err;
	const char *s = (const char *)sqlite3_value_text(v);
	if (!s)
		return false;
	return tval_parse(s, (size_t)sqlite3_value_bytes(v), oid, -1, &utc_zone, out, &err);
}

bool pgt_tval_parse_text(const char *s, uint32_t oid, const PgtZone *z, PgtTVal *out, PgtError *err)
{
	return tval_parse(s, strlen(s), oid, -1, z, out, err);
}

void pgt_tval_store_text(Buf *out, uint32_t oid, const PgtTVal *v) { tval_format(out, oid, v, &utc_zone); }

void pgt_tval_show(Buf *out, uint32_t oid, const PgtTVal *v, const PgtZone *z) { tval_format(out, oid, v, z); }

void pgt_zone_session(const PgtFormat *fmt, PgtZone *z) { session_zone(fmt, z); }

bool pgt_zone_named(const char *name, PgtZone *z) { return zone_resolve(name, true, z); }

int pgt_zone_off_utc(const PgtZone *z, int64_t us)
{
	return zone_offset_utc(z, floor_div(us, USECS_PER_SEC) + (int64_t)UNIX_TO_PG_DAYS * 86400);
}

void pgt_zone_abbrev(const PgtZone *z, int64_t us, char *out, size_t n)
{
	zone_abbrev_utc(z, floor_div(us, USECS_PER_SEC) + (int64_t)UNIX_TO_PG_DAYS * 86400, out, n);
}

int pgt_zone_off_local(const PgtZone *z, int64_t us)
{
	return zone_offset_local(z, floor_div(us, USECS_PER_SEC) + (int64_t)UNIX_TO_PG_DAYS * 86400);
}

int64_t pgt_days_from_ymd(int64_t y, int m, int d) { return days_from_civil(y, m, d) - UNIX_TO_PG_DAYS; }

void pgt_ymd_from_days(int64_t days, int64_t *y, int *m, int *d) { civil_from_days(days + UNIX_TO_PG_DAYS, y, m, d); }

int pgt_days_in_month(int64_t y, int m) { return days_in_month(y, m); }

int64_t pgt_floor_div(int64_t a, int64_t b) { return floor_div(a, b); }

void pgt_tm_from_ts(int64_t us, PgtTm *tm)
{
	int64_t days = floor_div(us, USECS_PER_DAY);
	int64_t t = us - days * USECS_PER_DAY;
	civil_from_days(days + UNIX_TO_PG_DAYS, &tm->year, &tm->mon, &tm->mday);
	tm->usec = t % USECS_PER_SEC;
	t /= USECS_PER_SEC;
	tm->sec = (int)(t % 60);
	tm->min = (int)(t / 60 % 60);
	tm->hour = (int)(t / 3600);
}

int64_t pgt_ts_from_tm(const PgtTm *tm)
{
	int64_t days = days_from_civil(tm->year, tm->mon, tm->mday) - UNIX_TO_PG_DAYS;
	return days * USECS_PER_DAY + ((int64_t)(tm->hour * 60 + tm->min) * 60 + tm->sec) * USECS_PER_SEC + tm->usec;
}

bool pgt_time_register_functions(sqlite3 *db)
{
	static const PgtSqlFunc fns[] = {
		{"pg_intervalkey", 1, fn_intervalkey, NULL, SQLITE_DETERMINISTIC},
	};
	return sqlite3_create_collation_v2(db, "pg_interval", SQLITE_UTF8, NULL, coll_interval, NULL) == SQLITE_OK &&
	       sqlite3_create_collation_v2(db, "pg_datetime", SQLITE_UTF8, NULL, pgt_coll_datetime, NULL) == SQLITE_OK &&
	       pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
