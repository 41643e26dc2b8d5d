/*
 * test_order.c - unit tests of shard/pgtype_order.c: PostgreSQL's order of
 * two text-format values, per type, as the router's ORDER BY merge uses it.
 * Expected orders are PostgreSQL 15's (C collation).
 */
#include <string.h>

#include "shard/pgtype.h"
#include "t/unit/tap.h"

/* The sign of pgt_order_text over two C strings. */
static int order(uint32_t oid, const char *a, const char *b)
{
	int c = pgt_order_text(oid, a, strlen(a), b, strlen(b));
	return (c > 0) - (c < 0);
}

/* a sorts before b, and b after a. */
static void before(uint32_t oid, const char *a, const char *b)
{
	ok(order(oid, a, b) < 0 && order(oid, b, a) > 0, "type %u: '%s' < '%s'", oid, a, b);
}

static void same(uint32_t oid, const char *a, const char *b)
{
	ok(order(oid, a, b) == 0 && order(oid, b, a) == 0, "type %u: '%s' = '%s'", oid, a, b);
}

int main(void)
{
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
	before(PGT_NUMERIC, "12345678901234567890.1", "12345678901234567890.10000000001");
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

	return tap_done();
}
