/*
 * pgtype_order.c - PostgreSQL's sort order of two values given in text or
 * binary format, for the types whose order can be decided exactly from
 * them: integers, numeric, float4/8, text-like types under the C
 * collation, bool, bytea, uuid, date, timestamp and timestamptz.  The
 * router merges sorted shard streams with it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/decimal.h"
#include "pgsql/pgtype_int.h"

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
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	return c ? SIGN3(c, 0) : SIGN3(alen, blen);
}

static int cmp_double(double x, double y);

/* A float's text ("NaN", "Infinity" and "-Infinity" included). */
static int cmp_float(const char *a, const char *b) { return cmp_double(strtod(a, NULL), strtod(b, NULL)); }

/* Exact decimal order of two numerics' texts (1.5 equals 1.50; NaN above
 * Infinity). */
static int cmp_numeric(const char *a, const char *b)
{
	static _Thread_local PgtDec x, y; /* large: kept off the stack */
	if (!pgt_dec_parse(a, strlen(a), &x) || !pgt_dec_parse(b, strlen(b), &y))
		return cmp_bytes(a, strlen(a), b, strlen(b));
	return dec_cmp(&x, &y);
}

/* A date or timestamp's text as PostgreSQL's binary value (days or
 * microseconds since 2000-01-01; -infinity and infinity at the ends);
 * false when the text does not parse. */
static bool time_value(const char *s, size_t len, uint32_t oid, int64_t *v)
{
	static const PgtFormat utc = {1, "UTC", 0, NULL};
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

/* ---------------------------------------------------------------- binary */

/* A float's order (NaN above everything and equal to itself, -0 = 0). */
static int cmp_double(double x, double y)
{
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return SIGN3(x, y);
}

/* A numeric's binary form: base-10000 digits without leading or trailing
 * zero groups, the weight of the first, and its rank as numeric_rank. */
typedef struct BinNum {
	const uint8_t *digits;
	int ndigits, weight, rank;
	bool neg;
} BinNum;

/* Read numeric_send's form; false when it is malformed. */
static bool bin_num(const uint8_t *p, size_t len, BinNum *n)
{
	if (len < 8)
		return false;
	int nd = (int16_t)rd_be16(p);
	unsigned sign = rd_be16(p + 4);
	if (nd < 0 || len != 8 + 2 * (size_t)nd)
		return false;
	n->weight = (int16_t)rd_be16(p + 2);
	n->rank = sign == 0xC000 ? 3 : sign == 0xD000 ? 2 : sign == 0xF000 ? 0 : 1;
	n->neg = sign == 0x4000;
	n->digits = p + 8;
	n->ndigits = nd;
	while (n->ndigits > 0 && rd_be16(n->digits) == 0) {
		n->digits += 2;
		n->ndigits--;
		n->weight--;
	}
	while (n->ndigits > 0 && rd_be16(n->digits + 2 * (n->ndigits - 1)) == 0)
		n->ndigits--;
	return true;
}

/* Exact order of two numerics in binary form. */
static int cmp_numeric_binary(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	BinNum x, y;
	if (!bin_num(a, alen, &x) || !bin_num(b, blen, &y))
		return cmp_bytes((const char *)a, alen, (const char *)b, blen);
	if (x.rank != 1 || y.rank != 1)
		return SIGN3(x.rank, y.rank);
	int sx = x.ndigits == 0 ? 0 : x.neg ? -1 : 1, sy = y.ndigits == 0 ? 0 : y.neg ? -1 : 1;
	if (sx != sy || sx == 0)
		return SIGN3(sx, sy);
	int c = SIGN3(x.weight, y.weight);
	for (int i = 0; c == 0 && (i < x.ndigits || i < y.ndigits); i++) {
		unsigned dx = i < x.ndigits ? rd_be16(x.digits + 2 * i) : 0;
		unsigned dy = i < y.ndigits ? rd_be16(y.digits + 2 * i) : 0;
		c = SIGN3(dx, dy);
	}
	return sx * c;
}

/* A fixed-size value of n bytes on both sides. */
static bool sized(size_t alen, size_t blen, size_t n) { return alen == n && blen == n; }

int pgt_order_binary(uint32_t oid, const char *a, size_t alen, const char *b, size_t blen)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	switch (oid) {
	case PGT_INT2:
		if (sized(alen, blen, 2))
			return SIGN3((int16_t)rd_be16(x), (int16_t)rd_be16(y));
		break;
	case PGT_INT4:
	case PGT_DATE:
		if (sized(alen, blen, 4))
			return SIGN3((int32_t)rd_be32(x), (int32_t)rd_be32(y));
		break;
	case PGT_OID:
		if (sized(alen, blen, 4))
			return SIGN3(rd_be32(x), rd_be32(y));
		break;
	case PGT_INT8:
	case PGT_TIMESTAMP:
	case PGT_TIMESTAMPTZ:
		if (sized(alen, blen, 8))
			return SIGN3((int64_t)rd_be64(x), (int64_t)rd_be64(y));
		break;
	case PGT_FLOAT4:
		if (sized(alen, blen, 4)) {
			uint32_t ux = rd_be32(x), uy = rd_be32(y);
			float fx, fy;
			memcpy(&fx, &ux, 4);
			memcpy(&fy, &uy, 4);
			return cmp_double(fx, fy);
		}
		break;
	case PGT_FLOAT8:
		if (sized(alen, blen, 8)) {
			uint64_t ux = rd_be64(x), uy = rd_be64(y);
			double dx, dy;
			memcpy(&dx, &ux, 8);
			memcpy(&dy, &uy, 8);
			return cmp_double(dx, dy);
		}
		break;
	case PGT_NUMERIC:
		return cmp_numeric_binary(x, alen, y, blen);
	case PGT_BPCHAR:
		return cmp_bytes(a, bpchar_len(a, alen), b, bpchar_len(b, blen));
	default:
		break;
	}
	/* text, varchar, name, bytea and uuid: their bytes; bool: 0 < 1 */
	return cmp_bytes(a, alen, b, blen);
}

/* ------------------------------------------------ collation pg_datetime */

/* The chronological key of a stored date, timestamp or timestamptz text
 * ("YYYY-MM-DD[ HH:MM:SS[.f][+00]][ BC]", "infinity", "-infinity"): its end
 * (-1, 0 finite, 1), its astronomical year (1 BC is 0) and the rest after
 * the year, whose bytes are in chronological order within a year; false
 * when s has none of these forms. */
static bool datetime_key(const char *s, size_t n, int *end, int64_t *year, const char **rest, size_t *rn)
{
	*end = 0;
	if ((n == 8 && memcmp(s, "infinity", 8) == 0) || (n == 9 && memcmp(s, "-infinity", 9) == 0)) {
		*end = n == 8 ? 1 : -1;
		return true;
	}
	size_t i = 0;
	int64_t y = 0;
	while (i < n && i < 10 && s[i] >= '0' && s[i] <= '9')
		y = y * 10 + (s[i++] - '0');
	if (i < 4 || i >= n || s[i] != '-')
		return false;
	bool bc = n >= 3 && memcmp(s + n - 3, " BC", 3) == 0;
	*year = bc ? 1 - y : y;
	*rest = s + i;
	*rn = n - i - (bc ? 3 : 0);
	return true;
}

int pgt_coll_datetime(void *arg, int na, const void *a, int nb, const void *b)
{
	a = a ? a : "", b = b ? b : ""; /* SQLite passes NULL for an empty text */
	(void)arg;
	int ea, eb;
	int64_t ya = 0, yb = 0;
	const char *ra = NULL, *rb = NULL;
	size_t rna = 0, rnb = 0;
	bool oka = datetime_key(a, (size_t)na, &ea, &ya, &ra, &rna), okb = datetime_key(b, (size_t)nb, &eb, &yb, &rb, &rnb);
	if (!oka || !okb)
		return pgt_coll_unparsed(oka, okb, a, na, b, nb);
	if (ea != eb || ea != 0)
		return SIGN3(ea, eb);
	if (ya != yb)
		return SIGN3(ya, yb);
	return cmp_bytes(ra, rna, rb, rnb);
}

int pgt_coll_unparsed(bool oka, bool okb, const void *a, int na, const void *b, int nb)
{
	if (oka != okb)
		return oka ? -1 : 1;
	int c = na && nb ? memcmp(a, b, (size_t)(na < nb ? na : nb)) : 0;
	return c ? c : na - nb;
}

const char *pgt_value_collation(uint32_t oid)
{
	if (oid == PGT_DATE || oid == PGT_TIMESTAMP || oid == PGT_TIMESTAMPTZ)
		return "pg_datetime";
	if (oid == PGT_JSONB)
		return "pg_jsonb";
	const PgType *t = pgt_by_oid(oid);
	const PgType *e = t && t->category == 'A' && t->name[0] == '_' && t->elem_oid ? pgt_by_oid(t->elem_oid) : NULL;
	if (!e)
		return NULL;
	/* arrays of numbers, and of strings but character(n) (whose padding
	 * does not count) */
	if (e->category == 'N')
		return "pg_array_num";
	return e->category == 'S' && e->oid != PGT_BPCHAR ? "pg_array_text" : NULL;
}
