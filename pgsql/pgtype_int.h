/*
 * pgtype_int.h - definitions shared by the pgtype*.c files only.
 *
 * A PgtDatum is a borrowed view of a value in any SQLite storage class; the
 * conversion and output routines work on datums so that they serve
 * sqlite3_value and PgtValue inputs alike.
 */
#ifndef DOSQL_PGTYPE_INT_H
#define DOSQL_PGTYPE_INT_H

#include <stdarg.h>

#include "pgsql/decimal.h"
#include "pgsql/pgtype.h"

typedef struct PgtDatum {
	int type;      /* SQLITE_NULL, SQLITE_INTEGER, ... */
	int64_t i;
	double d;
	const char *s; /* TEXT or BLOB bytes (borrowed, not NUL-terminated) */
	size_t n;
} PgtDatum;

/* The order a collation by value gives two texts not both values (a and b
 * parsed as oka and okb): a value before any other text, other texts by
 * their bytes (pgtype.c). */
int pgt_coll_unparsed(bool oka, bool okb, const void *a, int na, const void *b, int nb);
/* Append code point cp to b in UTF-8 (pgtype_json.c). */
void pgt_put_utf8(Buf *b, unsigned cp);
/* The collation pg_datetime (pgtype_order.c): stored date, timestamp and
 * timestamptz texts in chronological order (BC dates, years past 9999). */
int pgt_coll_datetime(void *arg, int na, const void *a, int nb, const void *b);
/* The datum of a value (pgtype.c), borrowing the value's bytes. */
void pgt_datum_from_value(PgtDatum *d, const PgtValue *v);

/* Fill err with a SQLSTATE and printf-style message; always returns false. */
bool pgt_fail(PgtError *err, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append s[0..n) to out as a C string quoted for a message, truncated so the
 * whole message fits PgtError.msg. */
const char *pgt_quote_for_msg(char *dst, size_t dstsz, const char *s, size_t n);

void pgt_set_null(PgtValue *v);
void pgt_set_int(PgtValue *v, int64_t i);
void pgt_set_real(PgtValue *v, double d);
bool pgt_set_text(PgtValue *v, const char *s, size_t n);
bool pgt_set_blob(PgtValue *v, const void *p, size_t n);

/* Text and binary output of a datum (pgtype.c). */
bool pgt_out_text_datum(Buf *out, const PgtDatum *v, uint32_t oid, int32_t typmod,
			const PgtFormat *fmt, PgtError *err) __attribute__((warn_unused_result));
bool pgt_out_binary_datum(Buf *out, const PgtDatum *v, uint32_t oid, int32_t typmod,
			  const PgtFormat *fmt, PgtError *err) __attribute__((warn_unused_result));

/* Arrays (pgtype_array.c), stored as PG array literals whose elements are
 * in their text form for UTC and extra_float_digits 1. */
bool pgt_array_in(const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		  PgtValue *out, PgtError *err) __attribute__((warn_unused_result));
bool pgt_array_out(Buf *out, const char *s, size_t n, uint32_t oid, const PgtFormat *fmt,
		   PgtError *err) __attribute__((warn_unused_result));
bool pgt_array_send(Buf *out, const char *s, size_t n, uint32_t oid, const PgtFormat *fmt,
		    PgtError *err) __attribute__((warn_unused_result));
/* ARRAY[...]: the stored literal of the n elements, each a value in
 * storage form of type elem (SQL NULL for a null element). */
bool pgt_array_build(Buf *out, int n, sqlite3_value **elems, uint32_t elem, PgtError *err)
	__attribute__((warn_unused_result));
bool pgt_array_recv(const uint8_t *p, size_t len, uint32_t oid, int32_t typmod, PgtValue *out,
		    PgtError *err) __attribute__((warn_unused_result));

/* Numbers (pgtype_num.c). */


bool pgt_dec_parse(const char *s, size_t n, PgtDec *d);
/* Drop leading and trailing zero digits, keeping the value (zero is
 * positive). */
void pgt_dec_strip(PgtDec *d);
void pgt_dec_from_int(PgtDec *d, int64_t v);
void pgt_dec_from_double(PgtDec *d, double v);
void pgt_dec_round(PgtDec *d, int scale);
void pgt_dec_to_text(const PgtDec *d, int scale, Buf *out);

/* Text input of the integer types (int2/int4/int8/oid-like) and floats. */
bool pgt_int_in(const char *s, size_t n, uint32_t oid, PgtValue *out, PgtError *err)
	__attribute__((warn_unused_result));
bool pgt_float_in(const char *s, size_t n, uint32_t oid, PgtValue *out, PgtError *err)
	__attribute__((warn_unused_result));
bool pgt_numeric_in(const char *s, size_t n, int32_t typmod, PgtValue *out, PgtError *err)
	__attribute__((warn_unused_result));
/* Apply numeric typmod to d and store it in out. */
bool pgt_numeric_store(PgtDec *d, int32_t typmod, PgtValue *out, PgtError *err)
	__attribute__((warn_unused_result));
/* Render a float (float4 when is4) as float4out/float8out do. */
void pgt_float_format(char *buf, size_t sz, double v, bool is4, int extra_float_digits);
/* Integer-class coercions of INTEGER and REAL values. */
bool pgt_int_from_int64(int64_t v, uint32_t oid, PgtValue *out, PgtError *err)
	__attribute__((warn_unused_result));
bool pgt_int_from_double(double v, uint32_t oid, PgtValue *out, PgtError *err)
	__attribute__((warn_unused_result));
bool pgt_float4_from_double(double v, PgtValue *out, PgtError *err) __attribute__((warn_unused_result));
/* Numeric text and binary output of a datum. */
bool pgt_numeric_out(Buf *out, const PgtDatum *v, int32_t typmod, PgtError *err)
	__attribute__((warn_unused_result));
bool pgt_numeric_send(Buf *out, const PgtDatum *v, int32_t typmod, PgtError *err)
	__attribute__((warn_unused_result));
bool pgt_numeric_recv(const uint8_t *p, size_t len, int32_t typmod, PgtValue *out, PgtError *err)
	__attribute__((warn_unused_result));

/* JSON (pgtype_json.c): validate s; for jsonb append PG's normalised
 * rendering to out, for json append s unchanged. */
/* Append s (n bytes) as a JSON string, escaped as PostgreSQL's
 * escape_json does. */
void pgt_put_json_string(Buf *b, const char *s, size_t n);
bool pgt_json_in(const char *s, size_t n, bool jsonb, Buf *out, PgtError *err)
	__attribute__((warn_unused_result));

/* Date/time types (pgtype_time.c).  `oid` is one of date, time, timetz,
 * timestamp, timestamptz, interval. */
bool pgt_is_time_type(uint32_t oid);
bool pgt_time_in(const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		 PgtValue *out, PgtError *err) __attribute__((warn_unused_result));
bool pgt_time_out(Buf *out, const char *s, size_t n, uint32_t oid, int32_t typmod,
		  const PgtFormat *fmt, PgtError *err) __attribute__((warn_unused_result));
bool pgt_time_send(Buf *out, const char *s, size_t n, uint32_t oid, int32_t typmod,
		   const PgtFormat *fmt, PgtError *err) __attribute__((warn_unused_result));
bool pgt_time_recv(const uint8_t *p, size_t len, uint32_t oid, int32_t typmod, PgtValue *out,
		   PgtError *err) __attribute__((warn_unused_result));

#endif
