/*
 * test_pgtype.c - unit tests of pgsql/pgtype: text input and output, errors,
 * binary send/receive, and the pg_cast/pg_out SQL functions.  Expected
 * values are PostgreSQL 15's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtype.h"
#include "t/unit/tap.h"

static sqlite3 *db;
static PgtFormat fmt = {1, "UTC", 0, NULL};
static char res[1024];

/* Render a stored value with pgt_out_text into res (or "ERR state msg"). */
static const char *render(const PgtValue *v, uint32_t oid, int32_t typmod)
{
	sqlite3_stmt *st;
	Buf b;
	PgtError e;
	buf_init(&b);
	sqlite3_prepare_v2(db, "SELECT ?1", -1, &st, NULL);
	pgt_value_bind(st, 1, v);
	sqlite3_step(st);
	if (pgt_out_text(&b, sqlite3_column_value(st, 0), oid, typmod, &fmt, &e))
		snprintf(res, sizeof(res), "%s", buf_cstr(&b));
	else
		snprintf(res, sizeof(res), "ERR %s %s", e.sqlstate, e.msg);
	sqlite3_finalize(st);
	buf_cleanup(&b);
	return res;
}

/* Text input then text output, as a cast 's'::type followed by display. */
static const char *rt(const char *s, uint32_t oid, int32_t typmod)
{
	PgtValue v;
	PgtError e;
	pgt_value_init(&v);
	if (pgt_coerce_text(s, strlen(s), oid, typmod, &fmt, &v, &e))
		render(&v, oid, typmod);
	else
		snprintf(res, sizeof(res), "ERR %s %s", e.sqlstate, e.msg);
	pgt_value_cleanup(&v);
	return res;
}

/* The SQLite storage class text input produces. */
static int stored_class(const char *s, uint32_t oid, int32_t typmod)
{
	PgtValue v;
	PgtError e;
	pgt_value_init(&v);
	int t = pgt_coerce_text(s, strlen(s), oid, typmod, &fmt, &v, &e) ? v.type : -1;
	pgt_value_cleanup(&v);
	return t;
}

/* Evaluate one SQL expression and return its text (or the error). */
static const char *sql(const char *q)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
		snprintf(res, sizeof(res), "PREPARE %s", sqlite3_errmsg(db));
		return res;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		snprintf(res, sizeof(res), "%s", t ? t : "NULL");
	} else {
		snprintf(res, sizeof(res), "ERR %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return res;
}

/* Hex of the binary output for text input s. */
static const char *send_hex(const char *s, uint32_t oid, int32_t typmod)
{
	PgtValue v;
	PgtError e;
	sqlite3_stmt *st;
	Buf b;
	pgt_value_init(&v);
	buf_init(&b);
	res[0] = 0;
	if (!pgt_coerce_text(s, strlen(s), oid, typmod, &fmt, &v, &e)) {
		snprintf(res, sizeof(res), "ERR %s %s", e.sqlstate, e.msg);
		goto out;
	}
	sqlite3_prepare_v2(db, "SELECT ?1", -1, &st, NULL);
	pgt_value_bind(st, 1, &v);
	sqlite3_step(st);
	if (pgt_out_binary(&b, sqlite3_column_value(st, 0), oid, typmod, &fmt, &e)) {
		for (size_t i = 0; i < b.len; i++)
			snprintf(res + 2 * i, sizeof(res) - 2 * i, "%02x", b.data[i]);
	} else {
		snprintf(res, sizeof(res), "ERR %s %s", e.sqlstate, e.msg);
	}
	sqlite3_finalize(st);
out:
	pgt_value_cleanup(&v);
	buf_cleanup(&b);
	return res;
}

/* Receive hex bytes as a binary parameter, send the stored value back and
 * report whether the bytes match; the stored value's text goes to res. */
static bool recv_roundtrip(const char *hex, uint32_t oid, int32_t typmod, char *text, size_t textsz)
{
	uint8_t in[256];
	size_t n = strlen(hex) / 2;
	PgtValue v;
	PgtError e;
	sqlite3_stmt *st;
	Buf b;
	bool same = false;
	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &in[i]);
	pgt_value_init(&v);
	buf_init(&b);
	if (!pgt_recv_binary(in, n, oid, typmod, &v, &e)) {
		snprintf(text, textsz, "ERR %s %s", e.sqlstate, e.msg);
		goto out;
	}
	snprintf(text, textsz, "%s", render(&v, oid, typmod));
	sqlite3_prepare_v2(db, "SELECT ?1", -1, &st, NULL);
	pgt_value_bind(st, 1, &v);
	sqlite3_step(st);
	if (pgt_out_binary(&b, sqlite3_column_value(st, 0), oid, typmod, &fmt, &e))
		same = b.len == n && memcmp(b.data, in, n) == 0;
	sqlite3_finalize(st);
out:
	pgt_value_cleanup(&v);
	buf_cleanup(&b);
	return same;
}

static const char *ffmt(double d, bool is4, int efd)
{
	PgtValue v;
	pgt_value_init(&v);
	v.type = SQLITE_FLOAT;
	v.d = is4 ? (double)(float)d : d;
	if (isnan(d)) {
		v.type = SQLITE_TEXT;
		buf_put_str(&v.s, "NaN");
	}
	int saved = fmt.extra_float_digits;
	fmt.extra_float_digits = efd;
	render(&v, is4 ? PGT_FLOAT4 : PGT_FLOAT8, -1);
	fmt.extra_float_digits = saved;
	pgt_value_cleanup(&v);
	return res;
}

static void set_tz(const char *tz) { snprintf(fmt.timezone, sizeof(fmt.timezone), "%s", tz); }

static void test_catalog(void)
{
	is_int(pgt_by_oid(PGT_INT4)->len, 4, "int4 typlen");
	is_int(pgt_by_oid(PGT_INT4)->array_oid, PGT_INT4ARRAY, "int4 array oid");
	is_str(pgt_by_oid(PGT_INT4ARRAY)->name, "_int4", "array row generated");
	is_int(pgt_by_oid(PGT_INT4ARRAY)->elem_oid, PGT_INT4, "array elem");
	ok(pgt_by_oid(2277) && pgt_by_oid(PGT_VOID) && pgt_by_oid(28) && pgt_by_oid(4089), "pseudo and reg types");
	is_int(pgt_by_name("integer")->oid, PGT_INT4, "integer");
	is_int(pgt_by_name("double precision")->oid, PGT_FLOAT8, "double precision");
	is_int(pgt_by_name("character varying")->oid, PGT_VARCHAR, "character varying");
	is_int(pgt_by_name("char")->oid, PGT_CHAR, "char is the one-byte type");
	is_int(pgt_by_name("character(3)")->oid, PGT_BPCHAR, "character(n)");
	is_int(pgt_by_name("timestamp with time zone")->oid, PGT_TIMESTAMPTZ, "timestamptz alias");
	is_int(pgt_by_name("pg_catalog.INT8")->oid, PGT_INT8, "schema-qualified, upper case");
	is_int(pgt_by_name("text[]")->oid, PGT_TEXTARRAY, "array suffix");
	ok(pgt_by_name("serial") == NULL, "serial is not a type");
	is_str(pgt_storage_decl(PGT_BOOL), "INTEGER", "bool storage");
	is_str(pgt_storage_decl(PGT_BYTEA), "BLOB", "bytea storage");
	is_int(pgt_typmod_numeric(10, 2), 655366, "numeric(10,2) typmod");
}

static void test_bool_int(void)
{
	is_str(rt("yes", PGT_BOOL, -1), "t", "bool yes");
	is_str(rt(" of", PGT_BOOL, -1), "f", "bool of");
	is_str(rt("TR", PGT_BOOL, -1), "t", "bool prefix TR");
	is_str(rt("o", PGT_BOOL, -1), "ERR 22P02 invalid input syntax for type boolean: \"o\"", "bool o");
	is_str(rt(" 42 ", PGT_INT4, -1), "42", "int4 with blanks");
	is_str(rt("-0", PGT_INT2, -1), "0", "int2 -0");
	is_str(rt("abc", PGT_INT4, -1), "ERR 22P02 invalid input syntax for type integer: \"abc\"", "int4 syntax");
	is_str(rt("99999999999", PGT_INT4, -1),
	       "ERR 22003 value \"99999999999\" is out of range for type integer", "int4 range");
	is_str(rt("40000", PGT_INT2, -1), "ERR 22003 value \"40000\" is out of range for type smallint",
	       "int2 range");
	is_str(rt("", PGT_INT8, -1), "ERR 22P02 invalid input syntax for type bigint: \"\"", "int8 empty");
	is_str(rt("12.5", PGT_INT4, -1), "ERR 22P02 invalid input syntax for type integer: \"12.5\"", "int4 12.5");
	is_str(rt("-9223372036854775808", PGT_INT8, -1), "-9223372036854775808", "int8 min");
	is_str(rt("-1", PGT_OID, -1), "4294967295", "oid -1");
	is_str(rt("4294967296", PGT_OID, -1), "ERR 22003 value \"4294967296\" is out of range for type oid",
	       "oid range");
	is_str(sql("SELECT pg_cast(2.5, 23, -1)"), "2", "real to int4 rounds half to even (float8 casts use rint)");
	is_str(sql("SELECT pg_cast(-3.5, 23, -1)"), "-4", "negative half to even");
	is_str(sql("SELECT pg_cast(3e9, 23, -1)"), "ERR 22003:integer out of range", "float to int4 range");
	is_str(sql("SELECT pg_cast(70000, 21, -1)"), "ERR 22003:smallint out of range", "int to int2 range");
	is_str(sql("SELECT pg_cast(' 7 ', 20, -1)"), "7", "int8 from text");
	is_str(sql("SELECT pg_out(1, 16, -1) || pg_out(0, 16, -1)"), "tf", "pg_out bool");
	is_str(sql("SELECT pg_out('12', 23, -1)"), "12", "text stored in int4 column");
}

static void test_float(void)
{
	is_str(ffmt(1e15, false, 1), "1e+15", "1e15");
	is_str(ffmt(123456789012345.0, false, 1), "123456789012345", "15 digits plain");
	is_str(ffmt(1234567890123456.0, false, 1), "1.234567890123456e+15", "16 digits");
	is_str(ffmt(0.0001, false, 1), "0.0001", "0.0001");
	is_str(ffmt(0.00001, false, 1), "1e-05", "1e-05");
	is_str(ffmt(1.5, false, 1), "1.5", "1.5");
	is_str(ffmt(100, false, 1), "100", "100");
	is_str(ffmt(0.1, false, 1), "0.1", "0.1");
	is_str(ffmt(1.5e300, false, 1), "1.5e+300", "1.5e+300");
	is_str(ffmt(1e-320, false, 1), "1e-320", "denormal");
	is_str(ffmt(-0.0, false, 1), "-0", "-0");
	is_str(ffmt(NAN, false, 1), "NaN", "NaN");
	is_str(ffmt(-INFINITY, false, 1), "-Infinity", "-Infinity");
	is_str(ffmt(0.1, false, 0), "0.1", "efd 0");
	is_str(ffmt(1.0 / 3, false, 0), "0.333333333333333", "efd 0 third");
	is_str(ffmt(1e15, false, 0), "1e+15", "efd 0 1e15");
	is_str(ffmt(1e6, true, 1), "1e+06", "float4 1e6");
	is_str(ffmt(123456, true, 1), "123456", "float4 123456");
	is_str(ffmt(12345678, true, 1), "1.2345678e+07", "float4 12345678");
	is_str(ffmt(3.14159, true, 1), "3.14159", "float4 3.14159");
	is_str(ffmt(1.0 / 3, true, 0), "0.333333", "float4 efd 0");
	is_str(rt("0.1", PGT_FLOAT4, -1), "0.1", "float4 0.1 input");
	is_str(sql("SELECT pg_out(pg_cast('0.1', 700, -1), 701, -1)"), "0.10000000149011612", "float4 as float8");
	is_str(rt(" -inf ", PGT_FLOAT8, -1), "-Infinity", "inf input");
	is_str(rt("nan", PGT_FLOAT8, -1), "NaN", "nan input");
	is_str(rt("x", PGT_FLOAT8, -1), "ERR 22P02 invalid input syntax for type double precision: \"x\"",
	       "float8 syntax");
	is_str(rt("1e400", PGT_FLOAT8, -1), "ERR 22003 \"1e400\" is out of range for type double precision",
	       "float8 overflow");
	is_str(rt("1e-400", PGT_FLOAT8, -1), "ERR 22003 \"1e-400\" is out of range for type double precision",
	       "float8 underflow");
	is_str(rt("1e50", PGT_FLOAT4, -1), "ERR 22003 \"1e50\" is out of range for type real", "float4 range");
	is_str(sql("SELECT pg_cast(1e300, 700, -1)"), "ERR 22003:value out of range: overflow", "float8->float4");
}

static void test_numeric(void)
{
	int32_t tm52 = pgt_typmod_numeric(5, 2);
	is_str(rt("12.345", PGT_NUMERIC, tm52), "12.35", "numeric(5,2) rounds half up");
	is_str(rt("12.355", PGT_NUMERIC, tm52), "12.36", "12.355");
	is_str(rt("-12.345", PGT_NUMERIC, tm52), "-12.35", "half away from zero");
	is_str(rt("10", PGT_NUMERIC, tm52), "10.00", "scale padding");
	is_str(rt("999.995", PGT_NUMERIC, tm52), "ERR 22003 numeric field overflow", "rounding overflows");
	is_str(rt("1234.5", PGT_NUMERIC, pgt_typmod_numeric(4, 1)), "ERR 22003 numeric field overflow",
	       "precision overflow");
	is_str(rt("-0.001", PGT_NUMERIC, tm52), "0.00", "no negative zero");
	is_str(rt("1e3", PGT_NUMERIC, -1), "1000", "exponent input");
	is_str(rt("  1.5  ", PGT_NUMERIC, -1), "1.5", "blanks");
	is_str(rt("NaN", PGT_NUMERIC, -1), "NaN", "numeric NaN");
	is_str(rt("x", PGT_NUMERIC, -1), "ERR 22P02 invalid input syntax for type numeric: \"x\"", "numeric syntax");
	is_int(stored_class("42", PGT_NUMERIC, -1), SQLITE_INTEGER, "integral numeric stored as INTEGER");
	is_int(stored_class("4.2", PGT_NUMERIC, -1), SQLITE_TEXT, "fraction stored exactly, as its text");
	is_str(rt("123456789012345678901234.50", PGT_NUMERIC, -1), "123456789012345678901234.50", "every digit and the scale kept");
	is_str(sql("SELECT pg_out(0.0000001, 1700, -1)"), "0.0000001", "numeric output without exponent");
	is_str(sql("SELECT pg_out('1.50', 1700, -1)"), "1.50", "numeric text keeps its scale");
	is_str(sql("SELECT pg_out(2.675, 1700, 655366)"), "2.68", "REAL 2.675 at scale 2");
	is_str(send_hex("12.35", PGT_NUMERIC, tm52), "0002000000000002000c0dac", "numeric send 12.35");
	is_str(send_hex("-1234567.5", PGT_NUMERIC, -1), "0003000140000001007b11d71388", "numeric send negative");
	is_str(send_hex("1e3", PGT_NUMERIC, -1), "000100000000000003e8", "numeric send 1000");
	is_str(send_hex("0", PGT_NUMERIC, tm52), "0000000000000002", "numeric send zero with scale");
	char t[128];
	ok(recv_roundtrip("0002000000000002000c0dac", PGT_NUMERIC, tm52, t, sizeof(t)), "numeric recv/send");
	is_str(t, "12.35", "numeric recv value");
	ok(recv_roundtrip("0001ffff00000004000c", PGT_NUMERIC, -1, t, sizeof(t)), "numeric recv 0.0012");
	is_str(t, "0.0012", "small numeric");
}

static void test_text(void)
{
	int32_t tm3 = 3 + 4;
	is_str(rt("abcd", PGT_VARCHAR, tm3), "ERR 22001 value too long for type character varying(3)", "varchar long");
	is_str(rt("ab    ", PGT_VARCHAR, tm3), "ab ", "varchar trailing blanks cut");
	is_str(rt("a", PGT_BPCHAR, tm3), "a  ", "bpchar padded");
	is_str(rt("abcd", PGT_BPCHAR, tm3), "ERR 22001 value too long for type character(3)", "bpchar long");
	is_str(rt("\xc3\xa9t\xc3\xa9", PGT_VARCHAR, tm3), "\xc3\xa9t\xc3\xa9", "varchar counts characters");
	is_str(rt("\xc3\x28", PGT_TEXT, -1), "ERR 22021 invalid byte sequence for encoding \"UTF8\": 0xc3 0x28",
	       "invalid UTF-8");
	is_str(rt("abc", PGT_CHAR, -1), "a", "\"char\" keeps one byte");
	is_str(rt("\xc3\xa9", PGT_CHAR, -1), "\\303", "\"char\" high byte");
	is_str(sql("SELECT pg_out(12, 25, -1)"), "12", "integer as text");
	is_str(rt("{1, 2 ,3}", PGT_INT4ARRAY, -1), "{1,2,3}", "int4[] normalised");
	is_str(rt("{a,\"b c\",NULL,\"NULL\",\"\",\"q\\\"\"}", PGT_TEXTARRAY, -1), "{a,\"b c\",NULL,\"NULL\",\"\",\"q\\\"\"}",
	       "text[] quoting");
	is_str(rt("{1,x}", PGT_INT4ARRAY, -1), "ERR 22P02 invalid input syntax for type integer: \"x\"", "int4[] element");
	is_str(rt("{a", PGT_TEXTARRAY, -1), "ERR 22P02 malformed array literal: \"{a\"", "malformed array");
	is_str(send_hex("{1,NULL,3}", PGT_INT4ARRAY, -1),
	       "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003", "int4[] send");
	is_str(send_hex("{}", PGT_INT4ARRAY, -1), "000000000000000000000017", "empty array send");
	char t[128];
	ok(recv_roundtrip("0000000100000000000000190000000200000001000000016100000003622063", PGT_TEXTARRAY, -1, t,
			  sizeof(t)),
	   "text[] recv/send");
	is_str(t, "{a,\"b c\"}", "text[] recv value");
}

static void test_bytea_uuid(void)
{
	is_str(rt("\\x0a0B", PGT_BYTEA, -1), "\\x0a0b", "bytea hex");
	is_str(rt("a\\\\b\\001", PGT_BYTEA, -1), "\\x615c6201", "bytea escape");
	is_str(rt("\\xzz", PGT_BYTEA, -1), "ERR 22023 invalid hexadecimal digit: \"z\"", "bytea bad hex");
	is_str(rt("\\x123", PGT_BYTEA, -1), "ERR 22023 invalid hexadecimal data: odd number of digits", "bytea odd");
	is_str(rt("a\\b", PGT_BYTEA, -1), "ERR 22P02 invalid input syntax for type bytea", "bytea bad escape");
	is_str(sql("SELECT pg_out(x'00ff', 17, -1)"), "\\x00ff", "blob output");
	is_str(rt("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", PGT_UUID, -1), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	       "uuid braces");
	is_str(rt("a0eebc999c0b4ef8bb6d6bb9bd380a11", PGT_UUID, -1), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	       "uuid no hyphens");
	is_str(rt("x", PGT_UUID, -1), "ERR 22P02 invalid input syntax for type uuid: \"x\"", "uuid syntax");
	char t[128];
	ok(recv_roundtrip("a0eebc999c0b4ef8bb6d6bb9bd380a11", PGT_UUID, -1, t, sizeof(t)), "uuid recv/send");
	is_str(t, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid recv value");
	ok(recv_roundtrip("0001ff", PGT_BYTEA, -1, t, sizeof(t)), "bytea recv/send");
	ok(recv_roundtrip("fffe", PGT_INT2, -1, t, sizeof(t)), "int2 recv/send");
	is_str(t, "-2", "int2 recv value");
	ok(recv_roundtrip("ffffffffffffffff", PGT_INT8, -1, t, sizeof(t)), "int8 recv/send");
	ok(recv_roundtrip("3ff8000000000000", PGT_FLOAT8, -1, t, sizeof(t)), "float8 recv/send");
	is_str(t, "1.5", "float8 recv value");
	ok(recv_roundtrip("3fc00000", PGT_FLOAT4, -1, t, sizeof(t)), "float4 recv/send");
	ok(recv_roundtrip("01", PGT_BOOL, -1, t, sizeof(t)), "bool recv/send");
	ok(!recv_roundtrip("0001", PGT_INT4, -1, t, sizeof(t)), "short int4");
	is_str(t, "ERR 22P03 incorrect binary data format", "wrong length error");
	ok(recv_roundtrip("68c3a9", PGT_TEXT, -1, t, sizeof(t)), "text recv/send");
	is_str(t, "h\xc3\xa9", "text recv value");
}

static void test_json(void)
{
	is_str(rt("{\"b\":1, \"a\":[1,2,{\"c\":\"\\u00e9\\n\"}], \"aa\": 1e2, \"a\": 1.50}", PGT_JSONB, -1),
	       "{\"a\": 1.50, \"b\": 1, \"aa\": 100}", "jsonb keys ordered, last duplicate kept");
	is_str(rt("[1.0e-3, -0, 0.0, 1E+2, 12345678901234567890123]", PGT_JSONB, -1),
	       "[0.0010, 0, 0.0, 100, 12345678901234567890123]", "jsonb numbers");
	is_str(rt("{\"c\":\"\\u00e9\\n\\/\"}", PGT_JSONB, -1), "{\"c\": \"\xc3\xa9\\n/\"}", "jsonb string escapes");
	is_str(rt("  [ ]  ", PGT_JSONB, -1), "[]", "jsonb empty array");
	is_str(rt("{\"a\":1,}", PGT_JSON, -1), "ERR 22P02 invalid input syntax for type json", "json syntax");
	is_str(rt("{", PGT_JSONB, -1), "ERR 22P02 invalid input syntax for type json", "jsonb syntax");
	is_str(rt("\"\\u0000\"", PGT_JSONB, -1), "ERR 22P05 unsupported Unicode escape sequence", "jsonb \\u0000");
	is_str(rt(" {\"b\":1,  \"a\":2} ", PGT_JSON, -1), " {\"b\":1,  \"a\":2} ", "json kept as given");
	is_str(send_hex("{}", PGT_JSONB, -1), "017b7d", "jsonb send has version byte");
}

static void test_time(void)
{
	char t[128];
	set_tz("UTC");
	is_str(rt("2020-01-02 10:00", PGT_DATE, -1), "2020-01-02", "date from timestamp text");
	is_str(rt("20200102", PGT_DATE, -1), "2020-01-02", "date YYYYMMDD");
	is_str(rt("epoch", PGT_DATE, -1), "1970-01-01", "date epoch");
	is_str(rt("0099-01-01", PGT_DATE, -1), "0099-01-01", "year 99");
	is_str(rt("2020-01-01 BC", PGT_DATE, -1), "2020-01-01 BC", "BC date");
	is_str(rt("abc", PGT_DATE, -1), "ERR 22007 invalid input syntax for type date: \"abc\"", "date syntax");
	is_str(rt("2020-02-30", PGT_DATE, -1), "ERR 22008 date/time field value out of range: \"2020-02-30\"",
	       "date range");
	is_str(rt("2020-01-01 10:00+02", PGT_TIMESTAMP, -1), "2020-01-01 10:00:00", "timestamp ignores zone");
	is_str(rt("2020-01-01 24:00:00", PGT_TIMESTAMP, -1), "2020-01-02 00:00:00", "24:00");
	is_str(rt("2020-01-01T10:11:12.1234565", PGT_TIMESTAMP, -1), "2020-01-01 10:11:12.123456",
	       "fraction rounded to microseconds");
	is_str(rt("2020-01-01 10:00:00.5", PGT_TIMESTAMP, 0), "2020-01-01 10:00:01", "timestamp(0)");
	is_str(rt("2020-01-01 25:00", PGT_TIMESTAMP, -1),
	       "ERR 22008 date/time field value out of range: \"2020-01-01 25:00\"", "hour 25");
	is_str(rt("infinity", PGT_TIMESTAMPTZ, -1), "infinity", "infinity");
	is_str(rt("10:00:00.5+02", PGT_TIME, -1), "10:00:00.5", "time drops zone");
	is_str(rt("24:00", PGT_TIME, -1), "24:00:00", "time 24:00");
	is_str(rt("10:00+05:30", PGT_TIMETZ, -1), "10:00:00+05:30", "timetz");
	is_str(rt("2020-06-01 12:00 Europe/Paris", PGT_TIMESTAMPTZ, -1), "2020-06-01 10:00:00+00", "named zone input");
	is_str(rt("2020-06-01 12:00 PST", PGT_TIMESTAMPTZ, -1), "2020-06-01 20:00:00+00", "abbreviation");
	is_str(rt("2020-06-01T12:00:00Z", PGT_TIMESTAMPTZ, -1), "2020-06-01 12:00:00+00", "Z");
	is_str(rt("2020-06-01 12:00:00-0530", PGT_TIMESTAMPTZ, -1), "2020-06-01 17:30:00+00", "-0530");
	is_str(rt("2020-01-01 10:00 Foo/Bar", PGT_TIMESTAMPTZ, -1), "ERR 22023 time zone \"foo/bar\" not recognized",
	       "unknown zone");
	set_tz("America/New_York");
	is_str(rt("2020-11-01 01:30", PGT_TIMESTAMPTZ, -1), "2020-11-01 01:30:00-05", "fall-back overlap");
	is_str(rt("2020-03-08 02:30", PGT_TIMESTAMPTZ, -1), "2020-03-08 03:30:00-04", "spring-forward gap");
	is_str(rt("1850-01-01 00:00+00", PGT_TIMESTAMPTZ, -1), "1849-12-31 19:03:58-04:56:02", "LMT offset");
	set_tz("europe/paris");
	is_str(rt("2020-06-01 12:00:00.1234565", PGT_TIMESTAMPTZ, -1), "2020-06-01 12:00:00.123456+02",
	       "session zone, any case");
	set_tz("+02");
	is_str(rt("2020-01-01 00:00:00+00", PGT_TIMESTAMPTZ, -1), "2020-01-01 02:00:00+02", "ISO offset zone");
	set_tz("UTC+2");
	is_str(rt("2020-01-01 00:00:00+00", PGT_TIMESTAMPTZ, -1), "2019-12-31 22:00:00-02", "POSIX zone");
	set_tz("Asia/Kolkata");
	is_str(sql("SELECT pg_out('2020-01-01 00:00:00+00', 1184, -1)"), "2020-01-01 05:30:00+05:30", "pg_out tz");
	set_tz("UTC");
	ok(pgt_timezone_valid("Europe/Paris") && pgt_timezone_valid("utc") && !pgt_timezone_valid("Mars/Base"),
	   "pgt_timezone_valid");

	is_str(rt("1.5 days", PGT_INTERVAL, -1), "1 day 12:00:00", "interval 1.5 days");
	is_str(rt("1.5 years", PGT_INTERVAL, -1), "1 year 6 mons", "1.5 years");
	is_str(rt("1.5 mons", PGT_INTERVAL, -1), "1 mon 15 days", "1.5 mons");
	is_str(rt("1 day 02:03:04", PGT_INTERVAL, -1), "1 day 02:03:04", "day and time");
	is_str(rt("-1 day +02:00", PGT_INTERVAL, -1), "-1 days +02:00:00", "mixed signs");
	is_str(rt("1 day ago", PGT_INTERVAL, -1), "-1 days", "ago");
	is_str(rt("@ 1 hour 2 min", PGT_INTERVAL, -1), "01:02:00", "@ form");
	is_str(rt("3 weeks", PGT_INTERVAL, -1), "21 days", "weeks");
	is_str(rt("1 day -1 hour", PGT_INTERVAL, -1), "1 day -01:00:00", "negative time");
	is_str(rt("0", PGT_INTERVAL, -1), "00:00:00", "zero");
	is_str(rt("100", PGT_INTERVAL, -1), "00:01:40", "bare seconds");
	is_str(rt("1:2", PGT_INTERVAL, -1), "01:02:00", "H:M");
	is_str(rt("-1 day -00:00:01.25", PGT_INTERVAL, -1), "-1 days -00:00:01.25", "negative fraction");
	is_str(rt("1 year -2 mons", PGT_INTERVAL, -1), "10 mons", "months combine");
	is_str(rt("-1 year -2 mons -3 days -04:05:06", PGT_INTERVAL, -1), "-1 years -2 mons -3 days -04:05:06",
	       "all negative");
	is_str(rt("1 foo", PGT_INTERVAL, -1), "ERR 22007 invalid input syntax for type interval: \"1 foo\"",
	       "interval syntax");
	is_str(rt("1 day 1 day", PGT_INTERVAL, -1),
	       "ERR 22007 invalid input syntax for type interval: \"1 day 1 day\"", "repeated unit");
	is_str(rt("P1Y2M3DT4H5M6.5S", PGT_INTERVAL, -1), "1 year 2 mons 3 days 04:05:06.5", "ISO 8601 interval");
	is_str(rt("P0002-10-15T10:30:20", PGT_INTERVAL, -1),
	       "ERR 0A000 this interval input format is not supported: \"P0002-10-15T10:30:20\"",
	       "ISO 8601 alternative interval format unsupported");

	is_str(send_hex("2000-01-02", PGT_DATE, -1), "00000001", "date send");
	is_str(send_hex("2000-01-01 00:00:01+00", PGT_TIMESTAMPTZ, -1), "00000000000f4240", "timestamptz send");
	is_str(send_hex("1 day 00:00:01", PGT_INTERVAL, -1), "00000000000f42400000000100000000", "interval send");
	is_str(send_hex("10:00+02", PGT_TIMETZ, -1), "0000000861c46800ffffe3e0", "timetz send");
	ok(recv_roundtrip("00000001", PGT_DATE, -1, t, sizeof(t)), "date recv/send");
	is_str(t, "2000-01-02", "date recv value");
	ok(recv_roundtrip("fffffffffff0bdc0", PGT_TIMESTAMP, -1, t, sizeof(t)), "timestamp recv/send");
	is_str(t, "1999-12-31 23:59:59", "timestamp recv value");
	ok(recv_roundtrip("0000000861c46800", PGT_TIME, -1, t, sizeof(t)), "time recv/send");
	is_str(t, "10:00:00", "time recv value");
	set_tz("Europe/Paris");
	ok(recv_roundtrip("00024a01a067c800", PGT_TIMESTAMPTZ, -1, t, sizeof(t)), "timestamptz recv/send");
	is_str(t, "2020-06-01 12:00:00+02", "timestamptz recv shown in zone");
	set_tz("UTC");
}

/* pgt_text_to_binary (the router's for a portal mixing formats) gives what
 * binary output of the stored value gives, from the value's text output. */
static void test_text_to_binary(void)
{
	static const struct {
		const char *text;
		uint32_t oid;
		int32_t typmod;
	} cases[] = {
		{"42", PGT_INT4, -1},
		{"-9000000000", PGT_INT8, -1},
		{"t", PGT_BOOL, -1},
		{"1.5", PGT_FLOAT8, -1},
		{"12.35", PGT_NUMERIC, (5 << 16 | 2) + 4},
		{"\\x00ff", PGT_BYTEA, -1},
		{"00000000-0000-4000-8000-000000000001", PGT_UUID, -1},
		{"2000-01-02", PGT_DATE, -1},
		{"2024-01-08 10:30:07.000007", PGT_TIMESTAMP, -1},
		{"2000-01-01 05:30:01+05:30", PGT_TIMESTAMPTZ, -1},
		{"{1,NULL,3}", PGT_INT4ARRAY, -1},
		{"{a,\"b c\"}", PGT_TEXTARRAY, -1},
		{"{\"k\": 1}", PGT_JSONB, -1},
		{"naïve", PGT_TEXT, -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[sizeof(res)];
		snprintf(want, sizeof(want), "%s", send_hex(cases[i].text, cases[i].oid, cases[i].typmod));
		Buf b;
		PgtError e;
		buf_init(&b);
		res[0] = 0;
		if (pgt_text_to_binary(&b, cases[i].text, strlen(cases[i].text), cases[i].oid, cases[i].typmod, NULL, &e))
			for (size_t k = 0; k < b.len; k++)
				snprintf(res + 2 * k, sizeof(res) - 2 * k, "%02x", b.data[k]);
		else
			snprintf(res, sizeof(res), "ERR %s %s", e.sqlstate, e.msg);
		buf_cleanup(&b);
		char what[96];
		snprintf(what, sizeof(what), "text to binary: %s", cases[i].text);
		is_str(res, want, what);
	}
}

int main(void)
{
	sqlite3_open(":memory:", &db);
	ok(pgt_register_functions(db, &fmt), "register functions");
	test_catalog();
	test_bool_int();
	test_float();
	test_numeric();
	test_text();
	test_bytea_uuid();
	test_json();
	test_time();
	test_text_to_binary();
	sqlite3_close(db);
	return tap_done();
}
