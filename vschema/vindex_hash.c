/*
 * vindex_hash.c - the hash vindex: XXH64 (libxxhash, seed 0) over the
 * canonical encoding of a value, so the same value routes alike whatever
 * form it arrived in.
 */
#include "vschema/vindex.h"

#include <xxhash.h>

/* Hash an integer as its 8-byte big-endian two's complement form, text as
 * its bytes.  Cannot fail. */
uint64_t vsc_hash_map(const VscValue *v)
{
	if (v->is_int) {
		uint64_t u = (uint64_t)v->i;
		unsigned char be[8];
		for (int k = 7; k >= 0; k--) {
			be[k] = (unsigned char)(u & 0xff);
			u >>= 8;
		}
		return XXH64(be, sizeof(be), 0);
	}
	return XXH64(v->s, v->len, 0);
}
