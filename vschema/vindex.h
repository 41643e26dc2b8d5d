/*
 * vindex.h - what the vindex types share, inside vschema/ only: a column
 * value reduced to its canonical form, and one mapping function per type
 * (vindex_hash.c, vindex_numeric.c, vindex_range.c).
 */
#ifndef DOSQL_VSCHEMA_VINDEX_H
#define DOSQL_VSCHEMA_VINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vschema/vschema.h"

/* A value in canonical form: an integer (whatever int type or text it came
 * from), or the bytes of a text value (bpchar without trailing spaces). */
typedef struct VscValue {
	bool is_int;
	int64_t i;
	const char *s; /* borrowed; !is_int */
	size_t len;
} VscValue;

/* XXH64, seed 0, over the 8-byte big-endian integer or the text bytes. */
uint64_t vsc_hash_map(const VscValue *v);

/* The integer as a uint64 keyspace id.  The caller passes integers only. */
uint64_t vsc_numeric_map(const VscValue *v);

/* Set err's SQLSTATE and message; returns false for the caller to return. */
bool vsc_fail(VscError *err, const char *sqlstate, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* vindex_range.c: whether the range vindex takes columns of type oid, and
 * a value in text or binary form mapped to the first keyspace id of the
 * shard of its range (22023 in none, PostgreSQL's errors for a value not
 * of the type). */
bool vsc_range_type_ok(uint32_t oid);
bool vsc_range_map_text(const VscVindex *v, uint32_t oid, const char *s, size_t len, uint64_t *ksid, VscError *err);
bool vsc_range_map_binary(const VscVindex *v, uint32_t oid, const uint8_t *data, size_t len, uint64_t *ksid,
			  VscError *err);

/* vindex.c: a value in text form of type oid as its canonical value (an
 * integer parsed as the type, text), 0A000 for other types. */
bool vsc_canonical_text(const VscVindex *v, uint32_t oid, const char *s, size_t len, VscValue *out, VscError *err);

/* vindex_region.c and vindex_multicol.c: vsc_ksid_columns over the
 * canonical values of the first n columns. */
bool vsc_region_map(const VscVindex *v, int n, const VscValue *vals, uint64_t *lo, uint64_t *hi, VscError *err);
void vsc_multicol_map(const VscVindex *v, int n, const VscValue *vals, uint64_t *lo, uint64_t *hi);

#endif
