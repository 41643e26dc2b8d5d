/*
 * pgtype.h - the PostgreSQL type system over SQLite storage.
 *
 * Every PG type has one canonical SQLite storage form, chosen so that
 * SQLite's comparisons and ordering give PostgreSQL's answers:
 *
 *   bool                      INTEGER 0/1
 *   int2, int4, int8, oid     INTEGER
 *   float4, float8            REAL (NaN stored as TEXT 'NaN')
 *   numeric                   INTEGER or REAL (NUMERIC affinity); the scale
 *                             comes from the typmod at output
 *   text, varchar, bpchar,
 *   name, char, json          TEXT as given (bpchar blank-padded to n)
 *   jsonb                     TEXT, normalised as PG prints jsonb
 *   uuid                      TEXT, lower-case canonical 8-4-4-4-12
 *   bytea                     BLOB
 *   date                      TEXT 'YYYY-MM-DD'
 *   time                      TEXT 'HH:MM:SS[.ffffff]'
 *   timestamp                 TEXT 'YYYY-MM-DD HH:MM:SS[.ffffff]'
 *   timestamptz               TEXT in UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]+00'
 *   interval                  TEXT in PG's 'postgres' IntervalStyle
 *
 * Errors carry PostgreSQL's SQLSTATE and message text.
 */
#ifndef DOSQL_PGTYPE_H
#define DOSQL_PGTYPE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* Type OIDs (pg_type.oid in PostgreSQL 15). */
enum {
	PGT_BOOL = 16, PGT_BYTEA = 17, PGT_CHAR = 18, PGT_NAME = 19, PGT_INT8 = 20,
	PGT_INT2 = 21, PGT_INT4 = 23, PGT_REGPROC = 24, PGT_TEXT = 25, PGT_OID = 26,
	PGT_JSON = 114, PGT_FLOAT4 = 700, PGT_FLOAT8 = 701, PGT_UNKNOWN = 705,
	PGT_BPCHAR = 1042, PGT_VARCHAR = 1043, PGT_DATE = 1082, PGT_TIME = 1083,
	PGT_TIMESTAMP = 1114, PGT_TIMESTAMPTZ = 1184, PGT_INTERVAL = 1186,
	PGT_TIMETZ = 1266, PGT_NUMERIC = 1700, PGT_REGCLASS = 2205, PGT_UUID = 2950,
	PGT_JSONB = 3802, PGT_INT2ARRAY = 1005, PGT_INT4ARRAY = 1007,
	PGT_TEXTARRAY = 1009, PGT_REGTYPE = 2206, PGT_REGNAMESPACE = 4089, PGT_VOID = 2278, PGT_RECORD = 2249,
};

typedef struct PgType {
	uint32_t oid;
	const char *name;  /* pg_type.typname: "int4", "varchar", ... */
	int16_t len;       /* typlen */
	bool byval;
	char category;     /* typcategory */
	uint32_t array_oid;
	uint32_t elem_oid;
} PgType;

/* The PG15 pg_type rows DoSQL knows (from pg15_types.tsv), for catalogs. */
extern const PgType pgt_types[];
extern const int pgt_ntypes;

const PgType *pgt_by_oid(uint32_t oid);

/* Resolve a type name as libpg_query gives it (last name component, already
 * lower-case: "int4", "int8", "varchar", "bpchar", "bool", "float8",
 * "timestamptz", "numeric", "text", "serial" is NOT a type here) or as a user
 * writes it in a cast string ("integer", "character varying", "double precision",
 * "timestamp with time zone", ...).  NULL if unknown. */
const PgType *pgt_by_name(const char *name);

/* The SQLite declared column type for a PG type: "INTEGER", "REAL",
 * "NUMERIC", "TEXT" or "BLOB". */
const char *pgt_storage_decl(uint32_t oid);

/* typmod helpers: varchar(n)/bpchar(n) -> n+4; numeric(p,s) -> ((p<<16)|s)+4;
 * timestamp(p) -> p; -1 when none. */
int32_t pgt_typmod_numeric(int precision, int scale);

/* True if name is a time zone DoSQL can use for TimeZone and in
 * timestamptz input: UTC spellings, ISO offsets ("+02", "-05:30"), zoneinfo
 * names in any case ("Europe/Paris"), or POSIX rules ("UTC+2"). */
/* A TimeZone setting as PostgreSQL reads it: a number is hours east of
 * UTC (shown as "<+02>-02"), a bare offset such as "04:30" is POSIX (hours
 * west); v is rewritten to the value SHOW prints, rule gets what the zone
 * code resolves. */
void pgt_timezone_setting(char *v, size_t vsz, char *rule, size_t rsz);
bool pgt_timezone_valid(const char *name);

typedef struct PgtError {
	char sqlstate[6];
	char msg[256];
} PgtError;

/* Session settings output depends on. */
typedef struct PgtFormat {
	int extra_float_digits; /* PG default 1: shortest round-trip output */
	char timezone[64];      /* "UTC", "Etc/UTC", "+02", "Europe/Paris", ... */
	char date_order;        /* DateStyle's field order: 'D' DMY, 'Y' YMD, else MDY */
	const int64_t *txn_now; /* 'now' in input: this transaction's start (us since 1970; 0 or NULL: the clock) */
} PgtFormat;

/* A value in canonical storage form. */
typedef struct PgtValue {
	int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB */
	int64_t i;
	double d;
	Buf s; /* TEXT or BLOB bytes (owned; pgt_value_cleanup frees) */
} PgtValue;

void pgt_value_init(PgtValue *v);
void pgt_value_cleanup(PgtValue *v);
/* Hand the value to SQLite (bind or result). */
int pgt_value_bind(sqlite3_stmt *st, int idx, const PgtValue *v);
/* Two numeric values in storage form (an integer, a double or decimal
 * text) by value: <0, 0, >0; text that is no number sorts last. */
int pgt_numeric_cmp(const PgtValue *a, const PgtValue *b);
void pgt_value_result(sqlite3_context *ctx, const PgtValue *v);

/* Cast / assignment coercion, PG semantics: convert `in` (any storage class,
 * e.g. a TEXT literal, an INTEGER, a REAL) to the canonical storage of type
 * `oid` with `typmod`.  Text input follows PG's typinput ('t'/'yes'/'on' for
 * bool, ' 42 ' for int4, '2020-01-02 03:04:05+02' for timestamptz, '\x00ff'
 * and escape format for bytea, ...).  Range and syntax errors are PG's:
 * 22P02 invalid input syntax for type integer: "abc", 22003 integer out of
 * range, 22001 value too long for type character varying(3), 22008 ...
 * NULL in gives NULL out.  `fmt` supplies the session time zone used for
 * timestamptz input without an offset. */
bool pgt_coerce(sqlite3_value *in, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		PgtValue *out, PgtError *err) __attribute__((warn_unused_result));

/* The same from a text string (a text-format parameter or COPY field). */
bool pgt_coerce_text(const char *s, size_t len, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		     PgtValue *out, PgtError *err) __attribute__((warn_unused_result));

/* Decode a binary-format parameter (PG's typreceive) of type oid into
 * storage form: int2/int4/int8/float4/float8/bool/bytea/uuid/numeric/date/
 * time/timestamp/timestamptz/text/varchar/bpchar/name/json/oid.  Wrong
 * length -> 22P03 "incorrect binary data format". */
bool pgt_recv_binary(const uint8_t *p, size_t len, uint32_t oid, int32_t typmod, PgtValue *out,
		     PgtError *err) __attribute__((warn_unused_result));

/* Render a stored value (v may be any storage class; a value of the wrong
 * class is converted as PG's cast would) in PG's text output format
 * (typoutput) for type oid/typmod, appending to `out`.  The caller handles
 * NULL (v of SQLITE_NULL is not passed). */
bool pgt_out_text(Buf *out, sqlite3_value *v, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		  PgtError *err) __attribute__((warn_unused_result));

/* Render in PG's binary format (typsend) for the types in pgcompat.md 2.4:
 * int2/4/8, float4/8, bool, bytea, uuid, numeric, date, time, timetz,
 * timestamp(tz), text/varchar/bpchar/name/json (raw bytes), oid, int4[] and
 * text[].  Unsupported type -> false with 0A000. */
bool pgt_out_binary(Buf *out, sqlite3_value *v, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		    PgtError *err) __attribute__((warn_unused_result));

/* The same from a value in PG's text output format (what a server sends
 * in a text-format column, e.g. "2024-02-08 06:15:00+00" or "{1,2,NULL}"):
 * the bytes a client asking for binary would have received.  The router
 * uses it when a portal mixes text and binary result columns, which libpq
 * cannot ask a shard for.  Errors as pgt_out_binary. */
bool pgt_text_to_binary(Buf *out, const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
			PgtError *err) __attribute__((warn_unused_result));

/* Register SQL functions on a connection:
 *   pg_cast(value, oid, typmod)  -> pgt_coerce(); on error the SQLite error
 *                                   message is "SQLSTATE:message" ("22P02:invalid input ...")
 *   pg_out(value, oid, typmod)   -> the text output of the value (used for
 *                                   ::text casts, || concatenation of typed values)
 * The session's PgtFormat is passed as user data and read at call time. */
bool pgt_register_functions(sqlite3 *db, const PgtFormat *fmt);
/* An SQL function to register: its name, argument count (-1: any), the C
 * function, its user data and flags besides SQLITE_UTF8. */
typedef struct PgtSqlFunc {
	const char *name;
	int nargs;
	void (*fn)(sqlite3_context *, int, sqlite3_value **);
	void *ud;
	int flags;
} PgtSqlFunc;
/* Register n scalar functions on db; false when SQLite refuses one. */
bool pgt_create_functions(sqlite3 *db, const PgtSqlFunc *fns, size_t n);
/* A SQL function fails with a PostgreSQL error: SQLite carries it as the
 * text "SQLSTATE:message", which pgs_sqlite_error (pgsql/error.c) turns
 * back into the SQLSTATE and message.  The one encoder of that form. */
void pgt_result_error(sqlite3_context *ctx, const char *sqlstate, const char *msg);
/* Array functions over stored array literals (pgtype_array.c):
 * pg_array_to_string, pg_array_upper/_lower/_length, pg_cardinality,
 * pg_array_cat(a, b), pg_array_json(arr) (for
 * unnest and = ANY) and the aggregate pg_array_agg(v) (array_agg). */
bool pgt_array_register_functions(sqlite3 *db);
/* Append an array element's text quoted as array_out does. */
void pgt_array_put_elem(Buf *out, const char *s, size_t n);
/* pg_jsonb_concat(a, b): jsonb || jsonb. */
bool pgt_json_register_functions(sqlite3 *db);
/* pgtype_jsonb.c: pg_jsonb_exists(_any/_all) (?, ?|, ?&), pg_jsonb_contains
 * (@>, <@), pg_json_path (#>, #>>), pg_jsonb_delete_keys/_index/_path
 * (-, #-), pg_to_json, pg_json_build, pg_json_typeof, pg_json_array_length,
 * pg_json_member, pg_json_strip_nulls, pg_jsonb_pretty, pg_jsonb_set. */
bool pgt_jsonb_register_functions(sqlite3 *db, const PgtFormat *fmt);
/* pg_intervalkey(x): intervals' order key. */
bool pgt_time_register_functions(sqlite3 *db);

/* pgtype_order.c: whether PostgreSQL's order of values of type oid can be
 * decided from their text or binary format, and that order for two
 * non-NULL values: below zero when a sorts first, 0 when they are equal
 * (1.5 and 1.50, -0 and 0, 'a' and 'a  ' as bpchar), above zero when b
 * does.  Text-like types compare as PostgreSQL's C collation does; NaN
 * sorts above every float or numeric.  A value that does not parse as its
 * type compares by its bytes. */
bool pgt_orderable(uint32_t oid);
/* The collation values of type oid compare under, NULL for none:
 * pg_datetime (date, timestamp, timestamptz: time order) and pg_jsonb
 * (jsonb order).  Their columns are declared with it and the translation
 * gives it to every expression of these types. */
const char *pgt_value_collation(uint32_t oid);
int pgt_order_text(uint32_t oid, const char *a, size_t alen, const char *b, size_t blen);
/* The same order for two values in binary format (typsend's). */
int pgt_order_binary(uint32_t oid, const char *a, size_t alen, const char *b, size_t blen);

#endif
