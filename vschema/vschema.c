/*
 * vschema.c - load and validate the vschema JSON (jansson) into an
 * immutable VscSchema, and the lookups over it: shard by keyspace id (binary
 * search over the sorted ranges), shard by name, table and vindex by name.
 * The file format is described in vschema.h.
 */
#include "vschema/vschema.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"

struct VscSchema {
	Arena arena; /* owns everything below */
	bool sharded;
	VscShard *shards; /* keyspace order */
	int n_shards;
	VscVindex *vindexes; /* file order */
	int n_vindexes;
	VscTable *tables; /* name order */
	int n_tables;
	VscTable default_placement;
};

/* State while loading: the schema being built, scratch memory for JSON
 * paths, and where the error message goes. */
typedef struct Loader {
	const char *file;
	char *err;
	size_t errsz;
	VscSchema *s;
	Arena scratch; /* JSON paths and message pieces; freed when loading ends */
} Loader;

/* A shard and the JSON path it came from, sorted together. */
typedef struct ShardSrc {
	VscShard sh;
	const char *path;
} ShardSrc;

/* Write "file: path: message" to the error buffer; returns false for the
 * caller to return. */
__attribute__((format(printf, 3, 4))) static bool fail(Loader *L, const char *path,
						       const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (L->errsz)
		snprintf(L->err, L->errsz, "%s: %s: %s", L->file, path, msg);
	return false;
}

/* The JSON path of key inside the object at path: "path.key", or
 * path["key"] when the key is not a plain name, or "key" at the top. */
static const char *child(Loader *L, const char *path, const char *key)
{
	bool plain = *key != 0;
	for (const char *p = key; *p; p++)
		if (!(*p == '_' || *p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			plain = false;
	if (plain)
		return *path ? arena_printf(&L->scratch, "%s.%s", path, key) : key;
	return arena_printf(&L->scratch, "%s[\"%s\"]", path, key);
}

/* The JSON path of element i of the array at path. */
static const char *elem(Loader *L, const char *path, size_t i)
{
	return arena_printf(&L->scratch, "%s[%zu]", path, i);
}

/* A short description of a JSON value for "got ..." in messages. */
static const char *got(Loader *L, const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return arena_printf(&L->scratch, "\"%.80s\"", json_string_value(j));
	case JSON_INTEGER:
		return arena_printf(&L->scratch, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	case JSON_REAL: return arena_printf(&L->scratch, "%g", json_real_value(j));
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Fail unless every key of obj is in allowed (NULL-terminated). */
static bool check_keys(Loader *L, const char *path, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val)
	{
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			known |= strcmp(*a, key) == 0;
		if (known)
			continue;
		char list[256] = "";
		size_t n = 0;
		for (const char *const *a = allowed; *a && n < sizeof(list); a++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", *a);
		return fail(L, child(L, path, key), "unknown key; expected one of: %s", list);
	}
	return true;
}

/* Fail unless j is an object; what says what the object should be. */
static bool want_object(Loader *L, const char *path, json_t *j, const char *what)
{
	if (json_is_object(j))
		return true;
	return fail(L, path, "expected %s (an object), got %s", what, got(L, j));
}

/* A required non-empty string member key of obj, copied to the schema's
 * arena. */
static bool get_string(Loader *L, const char *path, json_t *obj, const char *key, const char *what,
		       const char **out)
{
	json_t *j = json_object_get(obj, key);
	if (!j)
		return fail(L, path, "missing \"%s\" (%s)", key, what);
	if (!json_is_string(j) || json_string_length(j) == 0)
		return fail(L, child(L, path, key), "expected %s (a non-empty string), got %s", what,
			    got(L, j));
	*out = arena_strdup(&L->s->arena, json_string_value(j));
	return true;
}

/* ---- keyspace-id ranges */

/* Parse one side of a range: empty (returns empty=true) or 2..16 hex digits,
 * an even number of them, as the leading bytes of a 64-bit id. */
static bool parse_bound(const char *s, size_t n, uint64_t *v, bool *empty)
{
	*empty = n == 0;
	*v = 0;
	if (n == 0)
		return true;
	if (n > 16 || n % 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		*v |= (uint64_t)d << (60 - 4 * i);
	}
	return true;
}

/* Parse "START-END" into [*start, *last]; see vschema.h. */
bool vsc_range_parse(const char *name, uint64_t *start, uint64_t *last)
{
	const char *dash = strchr(name, '-');
	if (!dash || strchr(dash + 1, '-'))
		return false;
	uint64_t lo, hi;
	bool lo_empty, hi_empty;
	if (!parse_bound(name, (size_t)(dash - name), &lo, &lo_empty) ||
	    !parse_bound(dash + 1, strlen(dash + 1), &hi, &hi_empty))
		return false;
	if (!hi_empty && hi <= lo)
		return false;
	*start = lo;
	*last = hi_empty ? UINT64_MAX : hi - 1;
	return true;
}

/* ---- shards */

/* Read a shard's address (host or socket_dir, and port) from obj. */
static bool parse_address(Loader *L, const char *path, json_t *obj, VscShard *sh)
{
	json_t *host = json_object_get(obj, "host"), *dir = json_object_get(obj, "socket_dir");
	if (host && dir)
		return fail(L, path, "expected \"host\" or \"socket_dir\", not both");
	if (!host && !dir)
		return fail(L, path, "missing \"host\" (a host name or IP address) or \"socket_dir\"");
	if (host && !get_string(L, path, obj, "host", "a host name or IP address", &sh->host))
		return false;
	if (dir) {
		if (!get_string(L, path, obj, "socket_dir", "an absolute directory path",
				&sh->socket_dir))
			return false;
		if (sh->socket_dir[0] != '/')
			return fail(L, child(L, path, "socket_dir"),
				    "expected an absolute directory path, got %s", got(L, dir));
	}
	json_t *port = json_object_get(obj, "port");
	if (!port)
		return fail(L, path, "missing \"port\" (an integer 1..65535)");
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535)
		return fail(L, child(L, path, "port"), "expected an integer 1..65535, got %s",
			    got(L, port));
	sh->port = (int)json_integer_value(port);
	return true;
}

/* Give a shard its range from its name, or fail naming where the name is. */
static bool shard_range(Loader *L, const char *name_path, VscShard *sh)
{
	if (!L->s->sharded) {
		sh->start = 0;
		sh->last = UINT64_MAX;
		return true;
	}
	if (!vsc_range_parse(sh->name, &sh->start, &sh->last))
		return fail(L, name_path,
			    "expected a keyspace-id range \"START-END\" (each side empty or an even "
			    "number of hex digits, at most 16, START below END), got \"%.80s\"",
			    sh->name);
	return true;
}

static int cmp_shard(const void *a, const void *b)
{
	const VscShard *x = &((const ShardSrc *)a)->sh, *y = &((const ShardSrc *)b)->sh;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

/* Fail unless the sorted ranges cover [0, 2^64) without gaps or overlaps. */
static bool check_coverage(Loader *L, const ShardSrc *src, int n)
{
	if (src[0].sh.start != 0)
		return fail(L, "shards",
			    "no shard holds keyspace ids 0x0000000000000000..0x%016" PRIx64
			    " (the lowest range is \"%s\" at %s)",
			    src[0].sh.start - 1, src[0].sh.name, src[0].path);
	for (int i = 1; i < n; i++) {
		const VscShard *a = &src[i - 1].sh, *b = &src[i].sh;
		if (b->start <= a->last)
			return fail(L, src[i].path,
				    "range \"%s\" overlaps \"%s\" (%s) over 0x%016" PRIx64
				    "..0x%016" PRIx64,
				    b->name, a->name, src[i - 1].path, b->start,
				    a->last < b->last ? a->last : b->last);
		if (b->start != a->last + 1)
			return fail(L, "shards",
				    "no shard holds keyspace ids 0x%016" PRIx64 "..0x%016" PRIx64
				    " (between \"%s\" at %s and \"%s\" at %s)",
				    a->last + 1, b->start - 1, a->name, src[i - 1].path, b->name,
				    src[i].path);
	}
	if (src[n - 1].sh.last != UINT64_MAX)
		return fail(L, "shards",
			    "no shard holds keyspace ids 0x%016" PRIx64
			    "..0xffffffffffffffff (the highest range is \"%s\" at %s)",
			    src[n - 1].sh.last + 1, src[n - 1].sh.name, src[n - 1].path);
	return true;
}

/* Read "shards" (an array of {name, address} or an object name -> address),
 * sort the shards into keyspace order and validate their ranges. */
static bool parse_shards(Loader *L, json_t *j)
{
	static const char *const in_array[] = {"name", "host", "socket_dir", "port", NULL};
	static const char *const in_object[] = {"host", "socket_dir", "port", NULL};
	size_t n = json_is_array(j) ? json_array_size(j) : json_is_object(j) ? json_object_size(j) : 0;
	if (!json_is_array(j) && !json_is_object(j))
		return fail(L, "shards",
			    "expected an array of {\"name\", \"host\", \"port\"} or an object "
			    "{NAME: {\"host\", \"port\"}}, got %s",
			    got(L, j));
	if (n == 0)
		return fail(L, "shards", "expected at least one shard");
	if (!L->s->sharded && n != 1)
		return fail(L, "shards", "expected exactly one shard in an unsharded keyspace, got %zu",
			    n);
	if (n > 65536)
		return fail(L, "shards", "expected at most 65536 shards, got %zu", n);
	ShardSrc *src = arena_alloc(&L->scratch, n * sizeof(*src));
	size_t i = 0;
	if (json_is_array(j)) {
		json_t *e;
		json_array_foreach(j, i, e)
		{
			const char *path = elem(L, "shards", i);
			src[i].path = path;
			if (!want_object(L, path, e, "a shard {\"name\", \"host\", \"port\"}") ||
			    !check_keys(L, path, e, in_array) ||
			    !get_string(L, path, e, "name", "the shard's name, a keyspace-id range",
					&src[i].sh.name) ||
			    !shard_range(L, child(L, path, "name"), &src[i].sh) ||
			    !parse_address(L, path, e, &src[i].sh))
				return false;
			for (size_t k = 0; k < i; k++)
				if (strcmp(src[k].sh.name, src[i].sh.name) == 0)
					return fail(L, child(L, path, "name"),
						    "duplicate shard name \"%s\" (also at %s)",
						    src[i].sh.name, src[k].path);
		}
	} else {
		const char *key;
		json_t *e;
		json_object_foreach(j, key, e)
		{
			const char *path = child(L, "shards", key);
			src[i].path = path;
			src[i].sh.name = arena_strdup(&L->s->arena, key);
			if (!shard_range(L, path, &src[i].sh) ||
			    !want_object(L, path, e, "a shard address {\"host\", \"port\"}") ||
			    !check_keys(L, path, e, in_object) || !parse_address(L, path, e, &src[i].sh))
				return false;
			i++;
		}
	}
	qsort(src, n, sizeof(*src), cmp_shard);
	if (!check_coverage(L, src, (int)n))
		return false;
	L->s->shards = arena_alloc(&L->s->arena, n * sizeof(VscShard));
	for (i = 0; i < n; i++)
		L->s->shards[i] = src[i].sh;
	L->s->n_shards = (int)n;
	return true;
}

/* ---- vindexes */

static const char *shard_list(Loader *L);

/* A range bound: a string or a number, kept in text form; NULL absent. */
static bool range_bound(Loader *L, const char *path, json_t *r, const char *key, const char **out)
{
	json_t *j = json_object_get(r, key);
	*out = NULL;
	if (!j)
		return true;
	if (json_is_string(j))
		*out = arena_strdup(&L->s->arena, json_string_value(j));
	else if (json_is_integer(j))
		*out = arena_printf(&L->s->arena, "%lld", (long long)json_integer_value(j));
	else if (json_is_real(j))
		*out = arena_printf(&L->s->arena, "%.17g", json_real_value(j));
	else
		return fail(L, child(L, path, key), "expected a string or a number, got %s", got(L, j));
	return true;
}

/* A range vindex's params: {"ranges": [{"from": V, "to": V, "shard": S}, ...]}. */
static bool parse_ranges(Loader *L, const char *path, json_t *params, VscVindex *v)
{
	static const char *const pkeys[] = {"ranges", NULL}, *const rkeys[] = {"from", "to", "shard", NULL};
	json_t *ranges = params ? json_object_get(params, "ranges") : NULL;
	if (!ranges || !json_is_array(ranges) || json_array_size(ranges) == 0)
		return fail(L, path, "a range vindex needs \"ranges\": [{\"from\": V, \"to\": V, \"shard\": SHARD}, ...]");
	if (!check_keys(L, path, params, pkeys))
		return false;
	const char *rpath = child(L, path, "ranges");
	VscRange *out = arena_alloc(&L->s->arena, json_array_size(ranges) * sizeof(VscRange));
	size_t i;
	json_t *r;
	json_array_foreach(ranges, i, r)
	{
		const char *ep = elem(L, rpath, i), *shard;
		if (!want_object(L, ep, r, "a range {\"from\": V, \"to\": V, \"shard\": SHARD}") ||
		    !check_keys(L, ep, r, rkeys) || !get_string(L, ep, r, "shard", "the shard of the range", &shard) ||
		    !range_bound(L, ep, r, "from", &out[i].from) || !range_bound(L, ep, r, "to", &out[i].to))
			return false;
		out[i].shard = vsc_shard_by_name(L->s, shard);
		if (out[i].shard < 0)
			return fail(L, child(L, ep, "shard"), "no shard named \"%.80s\"; expected one of: %s", shard,
				    shard_list(L));
		out[i].ksid = L->s->shards[out[i].shard].start;
	}
	v->ranges = out;
	v->nranges = (int)i;
	return true;
}

/* A lookup vindex's params: {"table": T, "from": COLUMN, "to": COLUMN}. */
static bool parse_lookup(Loader *L, const char *path, json_t *params, VscVindex *v)
{
	static const char *const keys[] = {"table", "from", "to", NULL};
	if (!params)
		return fail(L, path, "a lookup vindex needs {\"table\": T, \"from\": COLUMN, \"to\": COLUMN}");
	return check_keys(L, path, params, keys) &&
	       get_string(L, path, params, "table", "the lookup table", &v->lookup_table) &&
	       get_string(L, path, params, "from", "the lookup table's column holding the value", &v->lookup_from) &&
	       get_string(L, path, params, "to", "the lookup table's column holding the keyspace id", &v->lookup_to);
}

/* One side of a region's byte range: empty (dflt) or two hex digits. */
static bool region_byte(const char *s, size_t n, int dflt, int *out)
{
	if (n == 0) {
		*out = dflt;
		return true;
	}
	uint64_t v;
	bool empty;
	if (n != 2 || !parse_bound(s, n, &v, &empty) || empty)
		return false;
	*out = (int)(v >> 56);
	return true;
}

/* A region vindex's params: {"regions": {NAME: "LO-HI", ...}}, each side
 * of a range empty or two hex digits (a first byte of keyspace ids). */
static bool parse_regions(Loader *L, const char *path, json_t *params, VscVindex *v)
{
	static const char *const pkeys[] = {"regions", NULL};
	json_t *regions = params ? json_object_get(params, "regions") : NULL;
	if (!regions || !json_is_object(regions) || json_object_size(regions) == 0)
		return fail(L, path, "a region vindex needs \"regions\": {NAME: \"LO-HI\", ...}");
	if (!check_keys(L, path, params, pkeys))
		return false;
	VscRegion *out = arena_alloc(&L->s->arena, json_object_size(regions) * sizeof(VscRegion));
	int n = 0;
	const char *key;
	json_t *e;
	json_object_foreach(regions, key, e)
	{
		const char *rp = child(L, child(L, path, "regions"), key);
		const char *range = json_string_value(e), *dash = range ? strchr(range, '-') : NULL;
		VscRegion *r = &out[n];
		if (!dash || !region_byte(range, (size_t)(dash - range), 0, &r->lo) ||
		    !region_byte(dash + 1, strlen(dash + 1), 256, &r->hi) || r->lo >= r->hi)
			return fail(L, rp,
				    "expected a range of first bytes \"LO-HI\" (each side empty or two hex digits, LO < "
				    "HI), got %s",
				    got(L, e));
		r->name = arena_strdup(&L->s->arena, key);
		n++;
	}
	v->regions = out;
	v->nregions = n;
	v->ncolumns = 2;
	return true;
}

/* A multicol vindex's params: {"column_count": N, "column_bytes": [B,
 * ...]} (N from 2 to VSC_MAX_VINDEX_COLUMNS; the bytes, each at least 1,
 * add up to 8; without them 8 bytes are shared out, the first columns
 * taking one more). */
static bool parse_multicol(Loader *L, const char *path, json_t *params, VscVindex *v)
{
	static const char *const pkeys[] = {"column_count", "column_bytes", NULL};
	json_t *count = params ? json_object_get(params, "column_count") : NULL;
	if (!count || !json_is_integer(count) || json_integer_value(count) < 2 ||
	    json_integer_value(count) > VSC_MAX_VINDEX_COLUMNS)
		return fail(L, path, "a multicol vindex needs \"column_count\": 2 to %d", VSC_MAX_VINDEX_COLUMNS);
	if (!check_keys(L, path, params, pkeys))
		return false;
	int n = (int)json_integer_value(count);
	json_t *bytes = json_object_get(params, "column_bytes");
	int sum = 0;
	for (int i = 0; i < n; i++) {
		json_t *b = bytes ? json_array_get(bytes, (size_t)i) : NULL;
		v->column_bytes[i] = bytes ? (int)json_integer_value(b) : 8 / n + (i < 8 % n);
		if (bytes && (!json_is_integer(b) || v->column_bytes[i] < 1))
			v->column_bytes[i] = 0;
		sum += v->column_bytes[i];
	}
	if (bytes && (!json_is_array(bytes) || json_array_size(bytes) != (size_t)n || sum != 8))
		return fail(L, child(L, path, "column_bytes"),
			    "expected %d numbers of bytes, each at least 1, that add up to 8", n);
	v->ncolumns = n;
	return true;
}

/* Read "vindexes": {NAME: {"type": T, "params": {}}}. */
static bool parse_vindexes(Loader *L, json_t *j)
{
	static const char *const keys[] = {"type", "params", NULL};
	if (!j)
		return true;
	if (!want_object(L, "vindexes", j, "vindexes {NAME: {\"type\": TYPE}}"))
		return false;
	L->s->vindexes = arena_alloc(&L->s->arena, json_object_size(j) * sizeof(VscVindex) + 1);
	const char *key;
	json_t *e;
	json_object_foreach(j, key, e)
	{
		const char *path = child(L, "vindexes", key);
		VscVindex *v = &L->s->vindexes[L->s->n_vindexes];
		const char *type;
		if (!*key)
			return fail(L, path, "expected a non-empty vindex name");
		if (!want_object(L, path, e, "a vindex {\"type\": TYPE}") ||
		    !check_keys(L, path, e, keys) ||
		    !get_string(L, path, e, "type", "the vindex type: hash or numeric", &type))
			return false;
		if (strcmp(type, "hash") == 0)
			v->kind = VSC_VINDEX_HASH;
		else if (strcmp(type, "numeric") == 0)
			v->kind = VSC_VINDEX_NUMERIC;
		else if (strcmp(type, "range") == 0)
			v->kind = VSC_VINDEX_RANGE;
		else if (strcmp(type, "lookup") == 0)
			v->kind = VSC_VINDEX_LOOKUP;
		else if (strcmp(type, "lookup_unique") == 0)
			v->kind = VSC_VINDEX_LOOKUP_UNIQUE;
		else if (strcmp(type, "region") == 0)
			v->kind = VSC_VINDEX_REGION;
		else if (strcmp(type, "multicol") == 0)
			v->kind = VSC_VINDEX_MULTICOL;
		else
			return fail(L, child(L, path, "type"),
				    "unknown vindex type \"%.80s\"; expected one of: hash, numeric, range, lookup, "
				    "lookup_unique, region, multicol",
				    type);
		v->ncolumns = 1;
		json_t *params = json_object_get(e, "params");
		if (params && !want_object(L, child(L, path, "params"), params, "vindex params"))
			return false;
		if (v->kind == VSC_VINDEX_RANGE) {
			if (!parse_ranges(L, child(L, path, "params"), params, v))
				return false;
		} else if (v->kind == VSC_VINDEX_LOOKUP || v->kind == VSC_VINDEX_LOOKUP_UNIQUE) {
			if (!parse_lookup(L, child(L, path, "params"), params, v))
				return false;
		} else if (v->kind == VSC_VINDEX_REGION) {
			if (!parse_regions(L, child(L, path, "params"), params, v))
				return false;
		} else if (v->kind == VSC_VINDEX_MULTICOL) {
			if (!parse_multicol(L, child(L, path, "params"), params, v))
				return false;
		} else if (params && json_object_size(params) > 0)
			return fail(L,
				    child(L, child(L, path, "params"),
					  json_object_iter_key(json_object_iter(params))),
				    "vindex type %s takes no params", type);
		v->name = arena_strdup(&L->s->arena, key);
		L->s->n_vindexes++;
	}
	return true;
}

/* ---- tables */

/* The shard names, for "expected one of" messages. */
static const char *shard_list(Loader *L)
{
	const char *list = "";
	for (int i = 0; i < L->s->n_shards && i < 16; i++)
		list = arena_printf(&L->scratch, "%s%s%s", list, i ? ", " : "", L->s->shards[i].name);
	if (L->s->n_shards > 16)
		list = arena_printf(&L->scratch, "%s, ...", list);
	return list;
}

/* The vindex names, for "expected one of" messages. */
static const char *vindex_list(Loader *L)
{
	if (L->s->n_vindexes == 0)
		return "none defined";
	const char *list = "one of: ";
	for (int i = 0; i < L->s->n_vindexes && i < 16; i++)
		list = arena_printf(&L->scratch, "%s%s%s", list, i ? ", " : "",
				    L->s->vindexes[i].name);
	return list;
}

/* The columns of column vindex cv (entry e at p): "columns": [C, ...],
 * as many as its vindex takes, or "column": C for a vindex of one. */
static bool parse_vindex_columns(Loader *L, const char *p, json_t *e, VscColumnVindex *cv)
{
	int n = cv->vindex->ncolumns;
	json_t *cols = json_object_get(e, "columns");
	const char **out = arena_alloc(&L->s->arena, (size_t)n * sizeof(char *));
	if (!cols) {
		if (n > 1)
			return fail(L, p, "vindex %s takes %d columns: expected \"columns\": [COLUMN, ...]",
				    vsc_vindex_kind_str(cv->vindex->kind), n);
		if (!get_string(L, p, e, "column", "the name of the column", &out[0]))
			return false;
	} else if (json_object_get(e, "column") || !json_is_array(cols) || json_array_size(cols) != (size_t)n) {
		return fail(L, child(L, p, "columns"), "expected \"column\" or \"columns\" with the %d column(s) vindex %s takes",
			    n, vsc_vindex_kind_str(cv->vindex->kind));
	}
	for (int i = 0; cols && i < n; i++) {
		const char *c = json_string_value(json_array_get(cols, (size_t)i));
		if (!c || !*c)
			return fail(L, elem(L, child(L, p, "columns"), (size_t)i), "expected the name of a column");
		out[i] = arena_strdup(&L->s->arena, c);
	}
	cv->columns = out;
	cv->column = out[0];
	return true;
}

/* Read "column_vindexes": [{"column": C, "name": VINDEX}, ...] into t. */
static bool parse_col_vindexes(Loader *L, const char *path, json_t *j, VscTable *t)
{
	static const char *const keys[] = {"column", "columns", "name", NULL};
	if (!json_is_array(j) || json_array_size(j) == 0)
		return fail(L, path,
			    "expected a non-empty array of {\"column\": COLUMN, \"name\": VINDEX}, "
			    "got %s",
			    got(L, j));
	size_t n = json_array_size(j), i;
	VscColumnVindex *cv = arena_alloc(&L->s->arena, n * sizeof(*cv));
	json_t *e;
	json_array_foreach(j, i, e)
	{
		const char *p = elem(L, path, i), *vname;
		if (!want_object(L, p, e, "a column vindex {\"column\": COLUMN, \"name\": VINDEX}") ||
		    !check_keys(L, p, e, keys) ||
		    !get_string(L, p, e, "name", "the name of a vindex in \"vindexes\"", &vname))
			return false;
		cv[i].vindex = vsc_vindex(L->s, vname);
		if (!cv[i].vindex)
			return fail(L, child(L, p, "name"),
				    "expected the name of a vindex in \"vindexes\" (%s), got \"%.80s\"",
				    vindex_list(L), vname);
		if (!parse_vindex_columns(L, p, e, &cv[i]))
			return false;
		if (i > 0 && cv[i].vindex->ncolumns > 1)
			return fail(L, child(L, p, "name"), "a vindex over several columns can only be a table's first (primary) column vindex");
		if (i == 0 && vsc_vindex_is_lookup(cv[i].vindex))
			return fail(L, child(L, p, "name"),
				    "a lookup vindex cannot be a table's first (primary) column vindex");
	}
	t->col_vindexes = cv;
	t->n_col_vindexes = (int)n;
	return true;
}

/* Read one placement: a table entry, or default_placement when t->name is
 * NULL (which may not be sharded). */
static bool parse_placement(Loader *L, const char *path, json_t *j, VscTable *t)
{
	static const char *const keys[] = {"column_vindexes", "type", "pinned", NULL};
	const char *expected =
		t->name ? "{\"column_vindexes\": [...]}, {\"type\": \"reference\"} or {\"pinned\": SHARD}"
			: "{\"pinned\": SHARD} or {\"type\": \"reference\"}";
	if (!want_object(L, path, j, expected) || !check_keys(L, path, j, keys))
		return false;
	json_t *cv = json_object_get(j, "column_vindexes"), *type = json_object_get(j, "type"),
	       *pinned = json_object_get(j, "pinned");
	if (!!cv + !!type + !!pinned > 1)
		return fail(L, path, "expected one of \"column_vindexes\", \"type\" or \"pinned\", "
				     "not several");
	if (type) {
		if (!json_is_string(type) || strcmp(json_string_value(type), "reference") != 0)
			return fail(L, child(L, path, "type"), "expected \"reference\", got %s",
				    got(L, type));
		t->placement = VSC_REFERENCE;
		return true;
	}
	if (pinned) {
		int k = json_is_string(pinned) ? vsc_shard_by_name(L->s, json_string_value(pinned)) : -1;
		if (k < 0)
			return fail(L, child(L, path, "pinned"),
				    "expected the name of a shard in \"shards\" (one of: %s), got %s",
				    shard_list(L), got(L, pinned));
		t->placement = VSC_PINNED;
		t->shard = k;
		return true;
	}
	if (cv) {
		if (!t->name)
			return fail(L, child(L, path, "column_vindexes"),
				    "the default placement cannot be sharded; expected %s", expected);
		if (!L->s->sharded)
			return fail(L, child(L, path, "column_vindexes"),
				    "the keyspace is not sharded (\"sharded\": false); expected {}, "
				    "{\"type\": \"reference\"} or {\"pinned\": SHARD}");
		t->placement = VSC_SHARDED;
		return parse_col_vindexes(L, child(L, path, "column_vindexes"), cv, t);
	}
	if (!L->s->sharded) {
		t->placement = VSC_PINNED;
		t->shard = 0;
		return true;
	}
	if (t->name)
		return fail(L, path,
			    "missing \"column_vindexes\" (a sharded table needs a primary vindex); "
			    "expected %s",
			    expected);
	return fail(L, path, "expected %s", expected);
}

static int cmp_table(const void *a, const void *b)
{
	return strcmp(((const VscTable *)a)->name, ((const VscTable *)b)->name);
}

/* Read "tables": {NAME: entry} into name order. */
static bool parse_tables(Loader *L, json_t *j)
{
	if (!j)
		return true;
	if (!want_object(L, "tables", j, "tables {NAME: {...}}"))
		return false;
	L->s->tables = arena_alloc(&L->s->arena, json_object_size(j) * sizeof(VscTable) + 1);
	const char *key;
	json_t *e;
	json_object_foreach(j, key, e)
	{
		const char *path = child(L, "tables", key);
		VscTable *t = &L->s->tables[L->s->n_tables];
		if (!*key)
			return fail(L, path, "expected a non-empty table name");
		t->name = arena_strdup(&L->s->arena, key);
		if (!parse_placement(L, path, e, t))
			return false;
		L->s->n_tables++;
	}
	qsort(L->s->tables, (size_t)L->s->n_tables, sizeof(VscTable), cmp_table);
	return true;
}

/* ---- the file */

/* Validate the top-level object and read its parts in dependency order:
 * shards, vindexes, tables (which name both), default placement. */
static bool parse_schema(Loader *L, json_t *root)
{
	static const char *const keys[] = {"sharded",  "shards",		"vindexes",
					   "tables", "default_placement", NULL};
	if (!json_is_object(root))
		return fail(L, "(top level)", "expected an object, got %s", got(L, root));
	if (!check_keys(L, "", root, keys))
		return false;
	json_t *sharded = json_object_get(root, "sharded");
	if (!sharded)
		return fail(L, "(top level)", "missing \"sharded\" (true or false)");
	if (!json_is_boolean(sharded))
		return fail(L, "sharded", "expected true or false, got %s", got(L, sharded));
	L->s->sharded = json_is_true(sharded);
	json_t *shards = json_object_get(root, "shards");
	if (!shards)
		return fail(L, "(top level)", "missing \"shards\" (the shards and their addresses)");
	if (!parse_shards(L, shards) || !parse_vindexes(L, json_object_get(root, "vindexes")) ||
	    !parse_tables(L, json_object_get(root, "tables")))
		return false;
	json_t *def = json_object_get(root, "default_placement");
	L->s->default_placement = (VscTable){.placement = VSC_PINNED, .shard = 0};
	return !def || parse_placement(L, "default_placement", def, &L->s->default_placement);
}

/* A JSON file, or NULL with err. */
static json_t *load_json(const char *path, char *err, size_t errsz)
{
	json_error_t jerr;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root) {
		if (jerr.line < 0)
			snprintf(err, errsz, "%s: %s", path, jerr.text);
		else
			snprintf(err, errsz, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	}
	return root;
}

/* Load and validate; see vschema.h. */
VscSchema *vsc_load(const char *path, char *err, size_t errsz) { return vsc_load_overlay(path, NULL, err, errsz); }

VscSchema *vsc_load_overlay(const char *path, const char *overlay, char *err, size_t errsz)
{
	json_t *root = load_json(path, err, errsz);
	if (!root)
		return NULL;
	if (overlay && access(overlay, F_OK) == 0) {
		/* its tables replace or add to the file's */
		json_t *over = load_json(overlay, err, errsz);
		json_t *tables = json_object_get(root, "tables");
		json_t *extra = over ? json_object_get(over, "tables") : NULL;
		if (!over || !json_is_object(extra) || (tables && !json_is_object(tables))) {
			if (over)
				snprintf(err, errsz, "%s: tables: expected an object", overlay);
			json_decref(over);
			json_decref(root);
			return NULL;
		}
		if (!tables)
			json_object_set_new(root, "tables", json_object());
		json_object_update(json_object_get(root, "tables"), extra);
		json_decref(over);
	}
	VscSchema *s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(root);
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	arena_init(&s->arena);
	Loader L = {.file = path, .err = err, .errsz = errsz, .s = s};
	arena_init(&L.scratch);
	bool ok = parse_schema(&L, root);
	arena_reset(&L.scratch);
	json_decref(root);
	if (!ok) {
		vsc_free(s);
		return NULL;
	}
	return s;
}

/* Free the schema and everything in its arena. */
void vsc_free(VscSchema *s)
{
	if (!s)
		return;
	arena_reset(&s->arena);
	free(s);
}

/* ---- lookups */

bool vsc_sharded(const VscSchema *s) { return s->sharded; }

int vsc_shard_count(const VscSchema *s) { return s->n_shards; }

/* The shard at index i; i must be in range. */
const VscShard *vsc_shard(const VscSchema *s, int i) { return &s->shards[i]; }

/* Linear scan: shard counts are small and lookups by name are rare (config,
 * admin commands); routing goes through vsc_shard_for_ksid. */
int vsc_shard_by_name(const VscSchema *s, const char *name)
{
	for (int i = 0; i < s->n_shards; i++)
		if (strcmp(s->shards[i].name, name) == 0)
			return i;
	return -1;
}

/* Binary search for the last shard whose range starts at or below ksid;
 * the first starts at 0 and the ranges are contiguous, so it holds ksid. */
int vsc_shard_for_ksid(const VscSchema *s, uint64_t ksid)
{
	int lo = 0, hi = s->n_shards - 1;
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (s->shards[mid].start <= ksid)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* The vindex named name, or NULL. */
const VscVindex *vsc_default_vindex(const VscSchema *s)
{
	for (int i = 0; i < s->n_vindexes; i++)
		if (s->vindexes[i].kind == VSC_VINDEX_HASH)
			return &s->vindexes[i];
	return NULL;
}

const VscVindex *vsc_vindex(const VscSchema *s, const char *name)
{
	for (int i = 0; i < s->n_vindexes; i++)
		if (strcmp(s->vindexes[i].name, name) == 0)
			return &s->vindexes[i];
	return NULL;
}

/* Binary search over the tables in name order; NULL when absent. */
const VscTable *vsc_table(const VscSchema *s, const char *name)
{
	int lo = 0, hi = s->n_tables - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2, c = strcmp(name, s->tables[mid].name);
		if (c == 0)
			return &s->tables[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

const VscTable *vsc_default_placement(const VscSchema *s) { return &s->default_placement; }

int vsc_table_count(const VscSchema *s) { return s->n_tables; }

/* The table at index i in name order; i must be in range. */
const VscTable *vsc_table_at(const VscSchema *s, int i) { return &s->tables[i]; }

bool vsc_vindex_is_lookup(const VscVindex *v)
{
	return v->kind == VSC_VINDEX_LOOKUP || v->kind == VSC_VINDEX_LOOKUP_UNIQUE;
}

const char *vsc_vindex_kind_str(VscVindexKind k)
{
	switch (k) {
	case VSC_VINDEX_HASH: return "hash";
	case VSC_VINDEX_NUMERIC: return "numeric";
	case VSC_VINDEX_RANGE: return "range";
	case VSC_VINDEX_LOOKUP: return "lookup";
	case VSC_VINDEX_LOOKUP_UNIQUE: return "lookup_unique";
	case VSC_VINDEX_REGION: return "region";
	case VSC_VINDEX_MULTICOL: return "multicol";
	}
	return "?";
}

const char *vsc_placement_str(VscPlacement p)
{
	switch (p) {
	case VSC_SHARDED: return "sharded";
	case VSC_REFERENCE: return "reference";
	case VSC_PINNED: return "pinned";
	}
	return "?";
}
