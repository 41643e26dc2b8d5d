/*
 * test_order.c - unit tests of pgsql/pgtype_order.c: PostgreSQL's order of
 * two values in text format, and the same values in binary format (as the
 * shard sends them), per type, as the router's ORDER BY merge uses it.
 * Expected orders are PostgreSQL 15's (C collation).
 */
#include <string.h>

#include "pgsql/pgtype.h"
#include "t/unit/tap.h"

static sqlite3 *db;
static const PgtFormat fmt = {1, "UTC", 0, NULL};

/* The binary form (typsend's) of a value's text, into out; false when it
 * has none. */
static bool binary(uint32_t oid, const char *text, Buf *out)
{
	PgtValue v;
	PgtError e;
	sqlite3_stmt *st;
	pgt_value_init(&v);
	bool done = pgt_coerce_text(text, strlen(text), oid, -1, &fmt, &v, &e) &&
		    sqlite3_prepare_v2(db, "SELECT ?1", -1, &st, NULL) == SQLITE_OK;
	if (done) {
		pgt_value_bind(st, 1, &v);
		done = sqlite3_step(st) == SQLITE_ROW && pgt_out_binary(out, sqlite3_column_value(st, 0), oid, -1, &fmt, &e);
		sqlite3_finalize(st);
	}
	pgt_value_cleanup(&v);
	return done;
}

/* The sign of the order of a and b, in text format (binary false) or in
 * binary format; 2 when a value has no binary form. */
static int order(uint32_t oid, const char *a, const char *b, bool bin)
{
	int c = 2;
	if (!bin) {
		c = pgt_order_text(oid, a, strlen(a), b, strlen(b));
	} else {
		Buf x, y;
		buf_init(&x);
		buf_init(&y);
		if (binary(oid, a, &x) && binary(oid, b, &y))
			c = pgt_order_binary(oid, (const char *)x.data, x.len, (const char *)y.data, y.len);
		buf_cleanup(&x);
		buf_cleanup(&y);
		if (c == 2)
			return 2;
	}
	return (c > 0) - (c < 0);
}

/* a sorts before b, and b after a, in text and in binary format. */
static void before(uint32_t oid, const char *a, const char *b)
{
	ok(order(oid, a, b, false) < 0 && order(oid, b, a, false) > 0, "type %u: '%s' < '%s'", oid, a, b);
	ok(order(oid, a, b, true) < 0 && order(oid, b, a, true) > 0, "type %u, binary: '%s' < '%s'", oid, a, b);
}

/* a and b are equal, in text and in binary format. */
static void same(uint32_t oid, const char *a, const char *b)
{
	ok(order(oid, a, b, false) == 0 && order(oid, b, a, false) == 0, "type %u: '%s' = '%s'", oid, a, b);
	ok(order(oid, a, b, true) == 0 && order(oid, b, a, true) == 0, "type %u, binary: '%s' = '%s'", oid, a, b);
}

/* numeric_send's form of base-10000 digits. */
static size_t put_num(uint8_t *p, int weight, unsigned sign, int n, const unsigned *digits)
{
	uint16_t head[4] = {(uint16_t)n, (uint16_t)(int16_t)weight, (uint16_t)sign, 0};
	for (int i = 0; i < 4; i++)
		p[2 * i] = (uint8_t)(head[i] >> 8), p[2 * i + 1] = (uint8_t)head[i];
	for (int i = 0; i < n; i++)
		p[8 + 2 * i] = (uint8_t)(digits[i] >> 8), p[9 + 2 * i] = (uint8_t)digits[i];
	return 8 + 2 * (size_t)n;
}

/* Binary numerics with many digits, and zero groups at either end. */
static void test_numeric_binary(void)
{
	uint8_t a[64], b[64];
	/* 12345678901234567890.1 and 12345678901234567890.10000000001 */
	size_t na = put_num(a, 4, 0, 6, (const unsigned[]){1234, 5678, 9012, 3456, 7890, 1000});
	size_t nb = put_num(b, 4, 0, 8, (const unsigned[]){1234, 5678, 9012, 3456, 7890, 1000, 0, 1000});
	ok(pgt_order_binary(PGT_NUMERIC, (char *)a, na, (char *)b, nb) < 0, "binary numeric: 11 decimals");
	/* 1.5 and 0001.5000 0000 (zero groups around it) */
	na = put_num(a, 0, 0, 2, (const unsigned[]){1, 5000});
	nb = put_num(b, 1, 0, 4, (const unsigned[]){0, 1, 5000, 0});
	ok(pgt_order_binary(PGT_NUMERIC, (char *)a, na, (char *)b, nb) == 0, "binary numeric: zero groups do not count");
	/* -10000 and -9999.9999 */
	na = put_num(a, 1, 0x4000, 1, (const unsigned[]){1});
	nb = put_num(b, 0, 0x4000, 2, (const unsigned[]){9999, 9999});
	ok(pgt_order_binary(PGT_NUMERIC, (char *)a, na, (char *)b, nb) < 0, "binary numeric: -10000 < -9999.9999");
}

int main(void)
{
	sqlite3_open(":memory:", &db);
	ok(pgt_orderable(PGT_INT4) && pgt_orderable(PGT_NUMERIC) && pgt_orderable(PGT_TEXT) &&
		   pgt_orderable(PGT_TIMESTAMPTZ) && pgt_orderable(PGT_UUID) && pgt_orderable(PGT_BYTEA),
	   "the merged types are orderable");
	ok(!pgt_orderable(PGT_JSON) && !pgt_orderable(PGT_INTERVAL) && !pgt_orderable(PGT_INT4ARRAY) &&
		   !pgt_orderable(PGT_TIME) && !pgt_orderable(PGT_JSONB),
	   "json, interval, arrays, time are not");

	/* integers: by value, not by text */
	before(PGT_INT4, "9", "10");
	before(PGT_INT4, "-10", "-9");
	before(PGT_INT2, "-1", "0");
	before(PGT_INT8, "-9223372036854775808", "9223372036854775807");
	same(PGT_INT8, "42", "42");

	/* numeric: exact, whatever the scale */
	same(PGT_NUMERIC, "1.5", "1.50");
	same(PGT_NUMERIC, "0", "-0.00");
	before(PGT_NUMERIC, "1.49", "1.5");
	before(PGT_NUMERIC, "-2.5", "-2.25");
	before(PGT_NUMERIC, "9.99", "10");
	/* (text only: a shard stores so many digits as a REAL) */
	ok(order(PGT_NUMERIC, "12345678901234567890.1", "12345678901234567890.10000000001", false) < 0,
	   "numeric: 20 digits and 11 decimals");
	test_numeric_binary();
	before(PGT_NUMERIC, "-Infinity", "-99999999");
	before(PGT_NUMERIC, "99999999", "Infinity");
	before(PGT_NUMERIC, "Infinity", "NaN");
	same(PGT_NUMERIC, "NaN", "NaN");

	/* floats: NaN above everything, -0 = 0 */
	before(PGT_FLOAT8, "-Infinity", "-1e+308");
	before(PGT_FLOAT8, "1e+308", "Infinity");
	before(PGT_FLOAT8, "Infinity", "NaN");
	before(PGT_FLOAT4, "2.5", "10");
	before(PGT_FLOAT8, "-0.5", "-0.25");
	same(PGT_FLOAT8, "-0", "0");
	same(PGT_FLOAT8, "NaN", "NaN");
	same(PGT_FLOAT8, "1e2", "100");

	/* text under C collation: bytes, upper case before lower, UTF-8 by code point */
	before(PGT_TEXT, "B", "a");
	before(PGT_TEXT, "a", "ab");
	before(PGT_TEXT, "", "a");
	before(PGT_TEXT, "z", "\xc3\xa9"); /* é */
	before(PGT_TEXT, "\xc3\xa9", "\xe2\x82\xac"); /* é < € */
	before(PGT_VARCHAR, "Zebra", "apple");
	same(PGT_TEXT, "abc", "abc");
	before(PGT_TEXT, "a", "a "); /* text keeps trailing spaces */
	/* bpchar: trailing spaces do not count */
	same(PGT_BPCHAR, "ab", "ab   ");
	before(PGT_BPCHAR, "a  ", "ab");

	/* bool, uuid, bytea */
	before(PGT_BOOL, "f", "t");
	same(PGT_BOOL, "t", "t");
	before(PGT_UUID, "0000000a-0000-0000-0000-000000000000", "a0000000-0000-0000-0000-000000000000");
	before(PGT_BYTEA, "\\x00ff", "\\x01");
	before(PGT_BYTEA, "\\x01", "\\x0100");
	before(PGT_BYTEA, "\\x", "\\x00");

	/* dates and timestamps: by time, infinity at the ends, BC before AD */
	before(PGT_DATE, "2024-01-31", "2024-02-01");
	before(PGT_DATE, "9999-12-31", "10000-01-01");
	before(PGT_DATE, "0044-03-15 BC", "0001-01-01");
	before(PGT_DATE, "0100-01-01 BC", "0044-03-15 BC");
	before(PGT_DATE, "-infinity", "0100-01-01 BC");
	before(PGT_DATE, "10000-01-01", "infinity");
	before(PGT_TIMESTAMP, "2024-01-01 00:00:00", "2024-01-01 00:00:00.5");
	before(PGT_TIMESTAMP, "2024-01-01 09:59:59.999999", "2024-01-01 10:00:00");
	before(PGT_TIMESTAMP, "9999-12-31 23:59:59", "10000-01-01 00:00:00");
	before(PGT_TIMESTAMP, "-infinity", "2024-01-01 00:00:00");
	same(PGT_TIMESTAMPTZ, "2024-01-01 10:00:00+02", "2024-01-01 08:00:00+00");
	before(PGT_TIMESTAMPTZ, "2024-10-27 02:30:00+02", "2024-10-27 02:10:00+01"); /* a DST change */
	before(PGT_TIMESTAMPTZ, "2024-01-01 00:00:00+00", "infinity");

	sqlite3_close(db);
	return tap_done();
}
