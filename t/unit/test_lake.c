/*
 * test_lake.c - unit tests of dosql-lake's codecs: Thrift's compact
 * protocol (lake/thrift.c) against the specification's encodings, and
 * PostgreSQL text to Parquet PLAIN values (lake/pgtype.c), and Iceberg's
 * bucket hash of them (lake/iceberg.c) against the values the Iceberg
 * Table Spec lists in "Appendix B: 32-bit Hash Requirements".
 */
#include <stdint.h>
#include <string.h>

#include "lake/iceberg.h"
#include "lake/pgtype.h"
#include "lake/thrift.h"
#include "t/unit/tap.h"

/* The bytes of b as hex. */
static const char *hex(const Buf *b)
{
	static char out[512];
	size_t n = 0;
	for (size_t i = 0; i < b->len && n + 3 < sizeof(out); i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%02x", b->data[i]);
	out[n] = 0;
	return out;
}

/* PLAIN bytes of text as type t, as hex; "refused" when it does not fit. */
static const char *plain(LakeType t, const char *text)
{
	static Buf b;
	buf_reset(&b);
	if (!lake_pg_to_plain(&t, text, strlen(text), &b))
		return "refused";
	return hex(&b);
}

/* Iceberg's 32-bit hash of text as type t (its PLAIN bytes). */
static int64_t bucket_hash(LakeType t, const char *text)
{
	static Buf b;
	buf_reset(&b);
	if (!lake_pg_to_plain(&t, text, strlen(text), &b))
		return -1;
	return ice_bucket_hash(&t, b.data, b.len);
}

static int64_t ts(const char *text, bool tz)
{
	int64_t us = -1;
	if (!lake_parse_timestamp(text, strlen(text), tz, &us))
		return -999;
	return us;
}

int main(void)
{
	Buf b;
	buf_init(&b);
	TcWriter w;

	/* "Integer encoding": zigzag then ULEB128 */
	tc_init(&w, &b);
	tc_i32(&w, 0);
	tc_i32(&w, -1);
	tc_i32(&w, 1);
	tc_i32(&w, 300);
	tc_i64(&w, INT64_MIN);
	is_str(hex(&b), "000102d804ffffffffffffffffff01", "zigzag varints: 0, -1, 1, 300, INT64_MIN");

	/* "Struct encoding": short form for deltas 1..15, long form otherwise, stop byte */
	buf_reset(&b);
	tc_init(&w, &b);
	tc_struct_begin(&w);
	tc_field_i32(&w, 1, 7);
	tc_field_i64(&w, 3, 1);
	tc_field_bool(&w, 4, true);
	tc_field_bool(&w, 5, false);
	tc_field_string(&w, 21, "ab");
	tc_field(&w, 22, TC_STRUCT);
	tc_struct_begin(&w);
	tc_field_i32(&w, 1, -2);
	tc_struct_end(&w);
	tc_struct_end(&w);
	ok(tc_ok(&w), "the writer balanced its structs");
	is_str(hex(&b), "150e26021112082a0261621c15030000",
		"field headers: deltas in one byte, id 21 after 5 as a long header, nested struct ids restart");

	/* "List and set": size in the header below 15, else 0xF0 and a varint */
	buf_reset(&b);
	tc_init(&w, &b);
	tc_list_begin(&w, TC_I32, 2);
	tc_list_begin(&w, TC_STRUCT, 15);
	tc_list_begin(&w, TC_BINARY, 200);
	is_str(hex(&b), "25fc0ff8c801", "list headers of 2, 15 and 200 elements");

	/* PostgreSQL text to PLAIN */
	LakeType i16 = {.kind = LK_INT16}, i64 = {.kind = LK_INT64}, bo = {.kind = LK_BOOL}, dt = {.kind = LK_DATE},
		 uu = {.kind = LK_UUID}, by = {.kind = LK_BYTES}, f8 = {.kind = LK_DOUBLE},
		 d10_2 = {.kind = LK_DECIMAL, .precision = 10, .scale = 2},
		 d38 = {.kind = LK_DECIMAL, .precision = 38, .scale = 0};
	is_str(plain(i16, "-32768"), "0080ffff", "int2 as INT32 little-endian");
	is_str(plain(i16, "12a"), "refused", "int2: not a number");
	is_str(plain(i64, "9007199254740993"), "0100000000002000", "int8 as INT64");
	is_str(plain(bo, "t"), "01", "bool t");
	is_str(plain(bo, "true"), "refused", "bool: only PostgreSQL's t and f");
	is_int(lake_type_fixed_len(&d10_2), 5, "numeric(10,2): 5 bytes");
	is_int(lake_type_fixed_len(&d38), 16, "numeric(38,0): 16 bytes");
	is_str(plain(d10_2, "123.45"), "0000003039", "numeric(10,2) 123.45: 12345 big-endian");
	is_str(plain(d10_2, "-0.05"), "fffffffffb", "numeric(10,2) -0.05: two's complement");
	is_str(plain(d10_2, "7"), "00000002bc", "numeric(10,2) 7: scaled to 700");
	is_str(plain(d10_2, "NaN"), "refused", "numeric(10,2) NaN: DECIMAL has none");
	is_str(plain(d10_2, "1.234"), "refused", "numeric(10,2): more fraction digits than the scale");
	is_str(plain(d10_2, "123456789.00"), "refused", "numeric(10,2): more digits than the precision");
	is_str(plain(dt, "1970-01-02"), "01000000", "date: days since 1970");
	is_str(plain(dt, "1969-12-31"), "ffffffff", "date before 1970");
	is_str(plain(dt, "0001-01-01 BC"), "5805f5ff", "date 1 BC (year 0: day -719528)");
	is_str(plain(dt, "0001-01-01 AD"), "refused", "date: nothing but BC after it");
	is_str(plain(dt, "infinity"), "ffffff7f", "date infinity: the largest INT32");
	is_str(plain(uu, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "a0eebc999c0b4ef8bb6d6bb9bd380a11", "uuid: 16 bytes");
	is_str(plain(uu, "a0eebc99"), "refused", "uuid: too short");
	is_str(plain(by, "\\x01ff"), "01ff", "bytea hex");
	is_str(plain(by, "\\x0"), "refused", "bytea: an odd number of digits");
	is_str(plain(f8, "-Infinity"), "000000000000f0ff", "double -Infinity");
	is_int(ts("1970-01-01 00:00:00+00", true), 0, "timestamptz epoch");
	is_int(ts("2000-01-01 00:00:00", false), INT64_C(946684800000000), "timestamp 2000-01-01");
	is_int(ts("2024-01-01 05:30:00.25+05:30", true), INT64_C(1704067200250000), "timestamptz with a +05:30 offset");
	is_int(ts("1969-12-31 23:59:59.999999", false), -1, "timestamp just before 1970");
	is_int(ts("2024-01-01 00:00:00", true), -999, "timestamptz needs its offset");
	is_int(ts("infinity", false), INT64_MAX, "timestamp infinity");
	/* Appendix B: the hashes of the spec's example values */
	LakeType i4 = {.kind = LK_INT32}, i8 = {.kind = LK_INT64}, dec = {.kind = LK_DECIMAL, .precision = 9, .scale = 2},
		 str = {.kind = LK_STRING}, tsl = {.kind = LK_TS};
	is_int(bucket_hash(i4, "34"), 2017239379, "bucket hash: int 34");
	is_int(bucket_hash(i8, "34"), 2017239379, "bucket hash: long 34");
	is_int(bucket_hash(dec, "14.20"), -500754589, "bucket hash: decimal(9,2) 14.20");
	is_int(bucket_hash(dt, "2017-11-16"), -653330422, "bucket hash: date 2017-11-16");
	is_int(bucket_hash(tsl, "2017-11-16 22:31:08"), -2047944441, "bucket hash: timestamp 2017-11-16T22:31:08");
	is_int(bucket_hash(str, "iceberg"), 1210000089, "bucket hash: string iceberg");
	is_int(bucket_hash(uu, "f79c3e09-677c-4bbd-a479-3f349cb785e7"), 1488055340, "bucket hash: uuid");
	is_int(bucket_hash(by, "\\x00010203"), -188683207, "bucket hash: binary 00 01 02 03");
	ok(ice_bucket(&i4, (const uint8_t *)"\x22\0\0\0", 4, 16) == (int)(2017239379u % 16u),
		"bucket[16] of 34: (hash & Integer.MAX_VALUE) %% 16");
	ok(!ice_bucket_type(&f8) && ice_bucket_type(&uu), "no buckets of doubles; buckets of uuids");
	buf_cleanup(&b);
	return tap_done();
}
