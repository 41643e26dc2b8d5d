/*
 * pgtype.c - PostgreSQL types to Parquet and Iceberg types, and the
 * conversion of PostgreSQL's text output to Parquet PLAIN values.
 */
#include "pgtype.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LakeType lake_type_of_pg(uint32_t oid, int32_t typmod)
{
	LakeType t = {.kind = LK_STRING};
	switch (oid) {
	case PGOID_BOOL: t.kind = LK_BOOL; break;
	case PGOID_INT2: t.kind = LK_INT16; break;
	case PGOID_INT4: t.kind = LK_INT32; break;
	case PGOID_INT8: t.kind = LK_INT64; break;
	case PGOID_FLOAT4: t.kind = LK_FLOAT; break;
	case PGOID_FLOAT8: t.kind = LK_DOUBLE; break;
	case PGOID_BYTEA: t.kind = LK_BYTES; break;
	case PGOID_JSON:
	case PGOID_JSONB: t.kind = LK_JSON; break;
	case PGOID_DATE: t.kind = LK_DATE; break;
	case PGOID_TIMESTAMP: t.kind = LK_TS; break;
	case PGOID_TIMESTAMPTZ: t.kind = LK_TSTZ; break;
	case PGOID_UUID: t.kind = LK_UUID; break;
	case PGOID_NUMERIC:
		/* typmod is ((precision << 16) | scale) + VARHDRSZ; unconstrained
		 * numeric (-1) and precision past 38 stay text */
		if (typmod >= 4) {
			int p = ((typmod - 4) >> 16) & 0xffff, s = (typmod - 4) & 0x7ff;
			if (p >= 1 && p <= 38 && s <= p) {
				t.kind = LK_DECIMAL;
				t.precision = p;
				t.scale = s;
			}
		}
		break;
	default: break;
	}
	return t;
}

const char *lake_type_iceberg(const LakeType *t, char *out, size_t n)
{
	static const char *const names[] = {
		[LK_BOOL] = "boolean", [LK_INT16] = "int",  [LK_INT32] = "int",       [LK_INT64] = "long",
		[LK_FLOAT] = "float",  [LK_DOUBLE] = "double", [LK_STRING] = "string", [LK_JSON] = "string",
		[LK_BYTES] = "binary", [LK_DATE] = "date",  [LK_TS] = "timestamp",    [LK_TSTZ] = "timestamptz",
		[LK_UUID] = "uuid",
	};
	if (t->kind == LK_DECIMAL)
		snprintf(out, n, "decimal(%d,%d)", t->precision, t->scale);
	else
		snprintf(out, n, "%s", names[t->kind]);
	return out;
}

/* Smallest number of bytes whose two's complement holds every value of
 * `precision` decimal digits (Parquet's DECIMAL on FIXED_LEN_BYTE_ARRAY,
 * Iceberg's "minimum number of bytes for the precision"). */
static int decimal_bytes(int precision)
{
	__int128 max = 1;
	for (int i = 0; i < precision; i++)
		max *= 10;
	max -= 1;
	for (int n = 1; n < 16; n++)
		if (max < ((__int128)1 << (8 * n - 1)))
			return n;
	return 16;
}

int lake_type_fixed_len(const LakeType *t)
{
	if (t->kind == LK_DECIMAL)
		return decimal_bytes(t->precision);
	if (t->kind == LK_UUID)
		return 16;
	return 0;
}

/* Howard Hinnant's days_from_civil (public domain). */
int64_t lake_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void lake_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Reads exactly `digits` decimal digits at *p. */
static bool digits_at(const char **p, const char *end, int digits, int64_t *out)
{
	int64_t v = 0;
	for (int i = 0; i < digits; i++) {
		if (*p >= end || !isdigit((unsigned char)**p))
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

static bool is_word(const char *s, size_t len, const char *w) { return len == strlen(w) && memcmp(s, w, len) == 0; }

/* "YYYY-MM-DD" (four or more year digits) and an optional " BC" at the end;
 * leaves *p after the date. */
static bool parse_date_part(const char **p, const char *end, int64_t *days)
{
	int64_t y = 0, mo, d;
	int yd = 0;
	while (*p < end && isdigit((unsigned char)**p) && yd < 9) {
		y = y * 10 + (**p - '0');
		(*p)++;
		yd++;
	}
	if (yd < 4 || *p >= end || **p != '-')
		return false;
	(*p)++;
	if (!digits_at(p, end, 2, &mo) || *p >= end || **p != '-')
		return false;
	(*p)++;
	if (!digits_at(p, end, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	if (end - *p >= 3 && memcmp(end - 3, " BC", 3) == 0)
		y = 1 - y; /* 1 BC is year 0 */
	*days = lake_days_from_civil(y, (unsigned)mo, (unsigned)d);
	return true;
}

bool lake_parse_timestamp(const char *s, size_t len, bool tz, int64_t *out)
{
	if (is_word(s, len, "infinity")) {
		*out = INT64_MAX;
		return true;
	}
	if (is_word(s, len, "-infinity")) {
		*out = INT64_MIN;
		return true;
	}
	const char *p = s, *end = s + len;
	int64_t days, h, mi, sec, frac = 0;
	if (!parse_date_part(&p, end, &days) || p >= end || *p != ' ')
		return false;
	p++;
	if (!digits_at(&p, end, 2, &h) || p >= end || *p++ != ':' || !digits_at(&p, end, 2, &mi) || p >= end ||
		*p++ != ':' || !digits_at(&p, end, 2, &sec))
		return false;
	if (p < end && *p == '.') {
		p++;
		int n = 0;
		while (p < end && isdigit((unsigned char)*p)) {
			if (n < 6) {
				frac = frac * 10 + (*p - '0');
				n++;
			}
			p++;
		}
		for (; n < 6; n++)
			frac *= 10;
	}
	int64_t off = 0;
	if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		int64_t oh, om = 0, os = 0;
		p++;
		if (!digits_at(&p, end, 2, &oh))
			return false;
		if (p < end && *p == ':') {
			p++;
			if (!digits_at(&p, end, 2, &om))
				return false;
			if (p < end && *p == ':') {
				p++;
				if (!digits_at(&p, end, 2, &os))
					return false;
			}
		}
		off = sign * (oh * 3600 + om * 60 + os);
	} else if (tz)
		return false;
	if (p < end && !(end - p == 3 && memcmp(p, " BC", 3) == 0))
		return false;
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec - off) * 1000000) + frac;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_le32(Buf *out, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	buf_put(out, b, 4);
}

static void put_le64(Buf *out, uint64_t v)
{
	put_le32(out, (uint32_t)v);
	put_le32(out, (uint32_t)(v >> 32));
}

/* PostgreSQL numeric text ("-12.50") as the unscaled integer of scale `scale`. */
static bool parse_decimal(const char *s, size_t len, int scale, int precision, __int128 *out)
{
	const char *p = s, *end = s + len;
	bool neg = false;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	__int128 v = 0;
	int digits = 0, frac = -1;
	for (; p < end; p++) {
		if (*p == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return false;
		if (frac >= 0) {
			if (frac == scale) {
				if (*p != '0')
					return false; /* more fraction digits than the scale */
				continue;
			}
			frac++;
		}
		v = v * 10 + (*p - '0');
		if (v != 0 && ++digits > precision)
			return false;
	}
	for (int f = frac < 0 ? 0 : frac; f < scale; f++)
		v *= 10;
	*out = neg ? -v : v;
	return true;
}

bool lake_pg_to_plain(const LakeType *t, const char *s, size_t len, Buf *out)
{
	char tmp[64];
	char *e;
	switch (t->kind) {
	case LK_BOOL:
		if (len != 1 || (s[0] != 't' && s[0] != 'f'))
			return false;
		buf_put_u8(out, s[0] == 't');
		return true;
	case LK_INT16:
	case LK_INT32:
	case LK_INT64: {
		if (len == 0 || len >= sizeof(tmp))
			return false;
		memcpy(tmp, s, len);
		tmp[len] = 0;
		errno = 0;
		long long v = strtoll(tmp, &e, 10);
		if (errno || *e)
			return false;
		if (t->kind == LK_INT64)
			put_le64(out, (uint64_t)v);
		else if (v < INT32_MIN || v > INT32_MAX)
			return false;
		else
			put_le32(out, (uint32_t)(int32_t)v);
		return true;
	}
	case LK_FLOAT:
	case LK_DOUBLE: {
		if (len == 0 || len >= sizeof(tmp))
			return false;
		memcpy(tmp, s, len);
		tmp[len] = 0;
		double d = strtod(tmp, &e);
		if (*e)
			return false;
		if (t->kind == LK_FLOAT) {
			float f = (float)d;
			uint32_t u;
			memcpy(&u, &f, 4);
			put_le32(out, u);
		} else {
			uint64_t u;
			memcpy(&u, &d, 8);
			put_le64(out, u);
		}
		return true;
	}
	case LK_DECIMAL: {
		__int128 v;
		if (!parse_decimal(s, len, t->scale, t->precision, &v))
			return false; /* NaN too: DECIMAL has no NaN */
		int n = lake_type_fixed_len(t);
		uint8_t b[16];
		for (int i = n - 1; i >= 0; i--) {
			b[i] = (uint8_t)(v & 0xff);
			v >>= 8; /* arithmetic: keeps the sign */
		}
		buf_put(out, b, (size_t)n);
		return true;
	}
	case LK_STRING:
	case LK_JSON: buf_put(out, s, len); return true;
	case LK_BYTES: {
		if (len < 2 || s[0] != '\\' || s[1] != 'x' || len % 2)
			return false;
		size_t start = out->len;
		for (size_t i = 2; i < len; i += 2) {
			int hi = hexval(s[i]), lo = hexval(s[i + 1]);
			if (hi < 0 || lo < 0) {
				out->len = start;
				return false;
			}
			buf_put_u8(out, (uint8_t)(hi << 4 | lo));
		}
		return true;
	}
	case LK_DATE: {
		int64_t days;
		const char *p = s;
		if (is_word(s, len, "infinity"))
			days = INT32_MAX;
		else if (is_word(s, len, "-infinity"))
			days = INT32_MIN;
		else if (!parse_date_part(&p, s + len, &days) || (p != s + len && !(s + len - p == 3 && memcmp(p, " BC", 3) == 0)))
			return false;
		if (days < INT32_MIN || days > INT32_MAX)
			return false;
		put_le32(out, (uint32_t)(int32_t)days);
		return true;
	}
	case LK_TS:
	case LK_TSTZ: {
		int64_t us;
		if (!lake_parse_timestamp(s, len, t->kind == LK_TSTZ, &us))
			return false;
		put_le64(out, (uint64_t)us);
		return true;
	}
	case LK_UUID: {
		uint8_t b[16];
		int n = 0;
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '-')
				continue;
			int hi = hexval(s[i]), lo = i + 1 < len ? hexval(s[i + 1]) : -1;
			if (hi < 0 || lo < 0 || n == 16)
				return false;
			b[n++] = (uint8_t)(hi << 4 | lo);
			i++;
		}
		if (n != 16)
			return false;
		buf_put(out, b, 16);
		return true;
	}
	}
	return false;
}
