/*
 * vindex_multicol.c - the multicol vindex: the keyspace id is the
 * columns' hashes side by side, column i giving the top column_bytes[i]
 * bytes of its value's hash (the hash vindex's XXH64) at the next place.
 * The values of the first columns alone fix the keyspace id's first bytes:
 * a range of keyspace ids, so a query giving a prefix of the columns reads
 * only the shards of that range.  A pure function of the vindex and the
 * values.
 */
#include "vschema/vindex.h"

void vsc_multicol_map(const VscVindex *v, int n, const VscValue *vals, uint64_t *lo, uint64_t *hi)
{
	uint64_t k = 0;
	int used = 0; /* bits filled, from the top */
	for (int i = 0; i < n; i++) {
		int bits = 8 * v->column_bytes[i];
		uint64_t top = vsc_hash_map(&vals[i]) >> (64 - bits);
		k |= top << (64 - used - bits);
		used += bits;
	}
	*lo = k;
	*hi = used == 0 ? UINT64_MAX : used == 64 ? k : k | (UINT64_MAX >> used);
}
