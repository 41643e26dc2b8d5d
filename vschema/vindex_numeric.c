/*
 * vindex_numeric.c - the numeric (identity) vindex: the integer value is
 * the keyspace id, so rows are placed by explicit key ranges.
 */
#include "vschema/vindex.h"

#include <assert.h>

/* The integer reinterpreted as unsigned: 7 -> 7, -1 -> 0xffffffffffffffff.
 * The caller guarantees an integer value (vsc_ksid_* reject text columns). */
uint64_t vsc_numeric_map(const VscValue *v)
{
	assert(v->is_int);
	return (uint64_t)v->i;
}
