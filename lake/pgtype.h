/*
 * pgtype.h - PostgreSQL column types as DoLake stores them: the Parquet
 * physical and logical type, the Iceberg type, and the conversion of
 * PostgreSQL's text output (what pgoutput sends) to Parquet's PLAIN bytes.
 */
#ifndef DOSQL_LAKE_PGTYPE_H
#define DOSQL_LAKE_PGTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef enum LakeKind {
	LK_BOOL,
	LK_INT16,   /* INT32, INTEGER(16, signed) */
	LK_INT32,   /* INT32 */
	LK_INT64,   /* INT64 */
	LK_FLOAT,   /* FLOAT */
	LK_DOUBLE,  /* DOUBLE */
	LK_DECIMAL, /* FIXED_LEN_BYTE_ARRAY, DECIMAL(p, s) */
	LK_STRING,  /* BYTE_ARRAY, STRING: text, varchar and every type without a closer match */
	LK_JSON,    /* BYTE_ARRAY, JSON */
	LK_BYTES,   /* BYTE_ARRAY */
	LK_DATE,    /* INT32, DATE */
	LK_TS,      /* INT64, TIMESTAMP(MICROS, not adjusted to UTC) */
	LK_TSTZ,    /* INT64, TIMESTAMP(MICROS, adjusted to UTC) */
	LK_UUID,    /* FIXED_LEN_BYTE_ARRAY(16), UUID */
} LakeKind;

typedef struct LakeType {
	LakeKind kind;
	int precision, scale; /* LK_DECIMAL */
} LakeType;

/* PostgreSQL type OIDs DoLake maps. */
enum {
	PGOID_BOOL = 16,
	PGOID_BYTEA = 17,
	PGOID_INT8 = 20,
	PGOID_INT2 = 21,
	PGOID_INT4 = 23,
	PGOID_TEXT = 25,
	PGOID_JSON = 114,
	PGOID_FLOAT4 = 700,
	PGOID_FLOAT8 = 701,
	PGOID_BPCHAR = 1042,
	PGOID_VARCHAR = 1043,
	PGOID_DATE = 1082,
	PGOID_TIMESTAMP = 1114,
	PGOID_TIMESTAMPTZ = 1184,
	PGOID_NUMERIC = 1700,
	PGOID_UUID = 2950,
	PGOID_JSONB = 3802,
};

/* The storage type of a column of PostgreSQL type oid with typmod. */
LakeType lake_type_of_pg(uint32_t oid, int32_t typmod);
/* The Iceberg type name ("long", "decimal(10,2)", ...) into out. */
const char *lake_type_iceberg(const LakeType *t, char *out, size_t n);
/* Byte width of a fixed-length type (decimal, uuid), else 0. */
int lake_type_fixed_len(const LakeType *t);

/*
 * Appends the PLAIN encoding of one value given as PostgreSQL text to out
 * (for BYTE_ARRAY kinds without the length prefix).  Returns false, and
 * appends nothing, when the text is not a value of the type (the caller
 * stores a null).
 */
bool lake_pg_to_plain(const LakeType *t, const char *text, size_t len, Buf *out)
	__attribute__((warn_unused_result));

/* Microseconds since 1970-01-01 00:00 UTC of PostgreSQL's timestamp(tz)
 * text ("2024-01-02 03:04:05.5+00", "infinity", "... BC"). */
bool lake_parse_timestamp(const char *s, size_t len, bool tz, int64_t *out) __attribute__((warn_unused_result));
/* Days since 1970-01-01 from a proleptic Gregorian date. */
int64_t lake_days_from_civil(int64_t y, unsigned m, unsigned d);
/* y, m, d of a day number (the inverse). */
void lake_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
