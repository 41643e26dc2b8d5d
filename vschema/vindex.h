/*
 * vindex.h - what the vindex types share, inside vschema/ only: a column
 * value reduced to its canonical form, and one mapping function per type
 * (vindex_hash.c, vindex_numeric.c).
 */
#ifndef DOSQL_VSCHEMA_VINDEX_H
#define DOSQL_VSCHEMA_VINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
