/*
 * vindex_region.c - the region vindex, over (region column, key column):
 * each region (a name in the VSchema) owns a range of first bytes of the
 * keyspace id, [lo, hi).  A row's keyspace id starts with a byte of its
 * region's range, chosen by the key's hash, and goes on with the other
 * seven bytes of the key's hash (the hash vindex's XXH64), so a region's
 * rows stay on the shards holding its range, spread over them by key, and
 * (region, key) names one keyspace id.  A pure function of the vindex and
 * the values.
 */
#include <string.h>

#include "vschema/vindex.h"

#define LOW_BYTES 0x00ffffffffffffffULL

bool vsc_region_map(const VscVindex *v, int n, const VscValue *vals, uint64_t *lo, uint64_t *hi, VscError *err)
{
	if (n == 0) {
		*lo = 0;
		*hi = UINT64_MAX;
		return true;
	}
	const VscRegion *r = NULL;
	for (int i = 0; i < v->nregions && !r; i++)
		if (strlen(v->regions[i].name) == vals[0].len && memcmp(v->regions[i].name, vals[0].s, vals[0].len) == 0)
			r = &v->regions[i];
	if (!r)
		return vsc_fail(err, "22023", "\"%.*s\" is not a region of vindex \"%s\"",
				(int)(vals[0].len > 100 ? 100 : vals[0].len), vals[0].s, v->name);
	if (n == 1) {
		/* every keyspace id of the region: hi 256 wraps to the top of the space */
		*lo = (uint64_t)r->lo << 56;
		*hi = (r->hi == 256 ? 0 : (uint64_t)r->hi << 56) - 1;
		return true;
	}
	uint64_t h = vsc_hash_map(&vals[1]);
	uint64_t first = (uint64_t)r->lo + (h >> 56) % (uint64_t)(r->hi - r->lo);
	*lo = *hi = first << 56 | (h & LOW_BYTES);
	return true;
}
