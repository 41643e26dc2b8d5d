/*
 * to_char_int.h - what to_char.c, to_char_num.c and to_timestamp.c share.
 * Not for use outside those files.
 */
#ifndef DOSQL_PGS_TO_CHAR_INT_H
#define DOSQL_PGS_TO_CHAR_INT_H

#include "pgsql/pgtime_int.h"

/* The fields to_char formats: a timestamp's wall clock (days since 2000
 * of its date) and zone, or an interval's fields. */
typedef struct TcFields {
	PgtTm tm;
	int64_t days;
	bool interval;
	int tzoff;
	char tzname[16];
} TcFields;

typedef enum Key {
	K_NONE, K_YYYY, K_YYY, K_YY, K_Y, K_Y_YYY, K_IYYY, K_IYY, K_IY, K_I, K_MM, K_DD, K_DDD, K_D, K_ID,
	K_IDDD, K_HH24, K_HH12, K_HH, K_MI, K_SS, K_MS, K_US, K_FF, K_SSSS, K_AMPM, K_AMPM_DOT, K_ADBC,
	K_ADBC_DOT, K_MONTH, K_MON, K_DAY, K_DY, K_Q, K_WW, K_W, K_IW, K_CC, K_J, K_RM, K_TZ, K_TZH, K_TZM,
	K_OF,
} Key;

/* The template key at s (K_NONE when none), its length in *len. */
int tc_key_at(const char *s, size_t *len);

/* The template fmt over f into out. */
void tc_format_datetime(Buf *out, const TcFields *f, const char *fmt);
/* "st", "nd", "rd" or "th" for n (upper case when upper). */
void tc_ordinal(Buf *out, int64_t n, bool upper);
/* to_char(number, fmt) for a numeric (oid NUMERIC) or float8 value. */
bool tc_format_number(Buf *out, sqlite3_value *v, uint32_t oid, const char *fmt, PgtError *err);
/* pg_to_timestamp(s, fmt) and pg_to_date(s, fmt). */
bool tc_to_timestamp_register(sqlite3 *db, const PgtFormat *fmt);
/* pg_to_number(s, fmt) (to_number.c). */
bool tc_to_number_register(sqlite3 *db);

#endif
