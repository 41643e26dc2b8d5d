/*
 * pgtype_order.c - PostgreSQL's sort order of two values given in text
 * format, for the types whose order can be decided exactly from that text:
 * integers, numeric, float4/8, text-like types under the C collation,
 * bool, bytea, uuid, date, timestamp and timestamptz.  The router merges
 * sorted shard streams with it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shard/decimal.h"
#include "shard/pgtype_int.h"

bool pgt_orderable(uint32_t oid)
{
	switch (oid) {
	case PGT_INT2:
	case PGT_INT4:
	case PGT_INT8:
	case PGT_OID:
	case PGT_NUMERIC:
	case PGT_FLOAT4:
	case PGT_FLOAT8:
	case PGT_TEXT:
	case PGT_VARCHAR:
	case PGT_BPCHAR:
	case PGT_NAME:
	case PGT_BOOL:
	case PGT_BYTEA:
	case PGT_UUID:
	case PGT_DATE:
	case PGT_TIMESTAMP:
	case PGT_TIMESTAMPTZ:
		return true;
	default:
		return false;
	}
}

/* -1, 0 or 1 as a is below, equal to or above b. */
#define SIGN3(a, b) (((a) > (b)) - ((a) < (b)))

/* Bytes compared as unsigned, then the shorter first: C collation. */
static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? SIGN3(c, 0) : SIGN3(alen, blen);
}

/* A float's text ("NaN", "Infinity" and "-Infinity" included): NaN sorts
 * above everything and equals itself, -0 equals 0. */
static int cmp_float(const char *a, const char *b)
{
	double x = strtod(a, NULL), y = strtod(b, NULL);
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return SIGN3(x, y);
}

/* Where a numeric's text ranks before its digits count: -Infinity (0),
 * a number (1), Infinity (2), NaN (3). */
static int numeric_rank(const char *s)
{
	if (strcmp(s, "NaN") == 0)
		return 3;
	if (strcmp(s, "Infinity") == 0)
		return 2;
	if (strcmp(s, "-Infinity") == 0)
		return 0;
	return 1;
}

/* Exact decimal order of two numerics' texts (1.5 equals 1.50). */
static int cmp_numeric(const char *a, const char *b)
{
	int ra = numeric_rank(a), rb = numeric_rank(b);
	if (ra != 1 || rb != 1)
		return SIGN3(ra, rb);
	static Decimal x, y, d; /* large: kept off the stack (the router has one thread) */
	if (!dec_from_text(&x, a) || !dec_from_text(&y, b) || !dec_sub(&x, &y, &d))
		return cmp_bytes(a, strlen(a), b, strlen(b));
	return dec_is_zero(&d) ? 0 : d.neg ? -1 : 1;
}

/* A date or timestamp's text as PostgreSQL's binary value (days or
 * microseconds since 2000-01-01; -infinity and infinity at the ends);
 * false when the text does not parse. */
static bool time_value(const char *s, size_t len, uint32_t oid, int64_t *v)
{
	static const PgtFormat utc = {1, "UTC"};
	PgtValue stored;
	PgtError err;
	Buf bin;
	pgt_value_init(&stored);
	buf_init(&bin);
	bool ok = pgt_time_in(s, len, oid, -1, &utc, &stored, &err) && stored.type == SQLITE_TEXT &&
		  pgt_time_send(&bin, (const char *)stored.s.data, stored.s.len, oid, -1, &utc, &err) && !bin.failed;
	if (ok && oid == PGT_DATE && bin.len == 4)
		*v = (int32_t)rd_be32(bin.data);
	else if (ok && bin.len == 8)
		*v = (int64_t)rd_be64(bin.data);
	else
		ok = false;
	pgt_value_cleanup(&stored);
	buf_cleanup(&bin);
	return ok;
}

/* bpchar: trailing spaces do not count. */
static size_t bpchar_len(const char *s, size_t len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len;
}

int pgt_order_text(uint32_t oid, const char *a, size_t alen, const char *b, size_t blen)
{
	switch (oid) {
	case PGT_INT2:
	case PGT_INT4:
	case PGT_INT8: {
		long long x = strtoll(a, NULL, 10), y = strtoll(b, NULL, 10);
		return SIGN3(x, y);
	}
	case PGT_OID: {
		unsigned long x = strtoul(a, NULL, 10), y = strtoul(b, NULL, 10);
		return SIGN3(x, y);
	}
	case PGT_NUMERIC:
		return cmp_numeric(a, b);
	case PGT_FLOAT4:
	case PGT_FLOAT8:
		return cmp_float(a, b);
	case PGT_BPCHAR:
		return cmp_bytes(a, bpchar_len(a, alen), b, bpchar_len(b, blen));
	case PGT_DATE:
	case PGT_TIMESTAMP:
	case PGT_TIMESTAMPTZ: {
		int64_t x, y;
		if (time_value(a, alen, oid, &x) && time_value(b, blen, oid, &y))
			return SIGN3(x, y);
		return cmp_bytes(a, alen, b, blen);
	}
	default:
		/* text, varchar, name: C collation; bool: f < t; bytea's
		 * lower-case hex (\x...) and uuid's lower-case hex keep the
		 * bytes' order */
		return cmp_bytes(a, alen, b, blen);
	}
}
