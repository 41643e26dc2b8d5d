/*
 * pgtime.h - times as PostgreSQL prints them.
 */
#ifndef DOSQL_COMMON_PGTIME_H
#define DOSQL_COMMON_PGTIME_H

#include <stddef.h>
#include <stdint.h>

/* A timestamptz's output in UTC, as timestamptz_out prints it with
 * TimeZone UTC: "2026-11-22 10:24:04.259246+00", the fraction without
 * trailing zeros, none for a whole second.  unix_us: microseconds since
 * 1970-01-01 UTC.  Thread-safe.  n of PGT_UTC_LEN always suffices. */
#define PGT_UTC_LEN 40
void pgtime_utc(int64_t unix_us, char *out, size_t n);

#endif
