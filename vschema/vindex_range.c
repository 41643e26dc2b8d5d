/*
 * vindex_range.c - the range vindex: ranges of values to shards, for rows
 * placed by time or by id ranges.  A value goes to the shard of the first
 * range (in the VSchema's order) with from <= value < to; its keyspace id
 * is that shard's first one.  Values and bounds are compared as the
 * column's type: reduced to PostgreSQL-on-SQLite storage form
 * (pgsql/pgtype.h: integers, numeric by its exact value, date and
 * timestamps as ISO text that sorts in time order, timestamptz in UTC),
 * text bytewise.  A pure function of the vindex, the type and the value.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "pgsql/pgtype.h"
#include "vschema/vindex.h"
#include "vschema/vschema.h"

/* timestamptz input without an offset is read in UTC */
static const PgtFormat utc = {.extra_float_digits = 1, .timezone = "UTC"};

typedef enum RangeClass { RC_NONE, RC_INT, RC_NUM, RC_TIME, RC_TEXT } RangeClass;

static RangeClass range_class(uint32_t oid)
{
	switch (oid) {
	case PGT_INT2:
	case PGT_INT4:
	case PGT_INT8: return RC_INT;
	case PGT_NUMERIC: return RC_NUM;
	case PGT_DATE:
	case PGT_TIMESTAMP:
	case PGT_TIMESTAMPTZ: return RC_TIME;
	case PGT_TEXT:
	case PGT_VARCHAR:
	case PGT_BPCHAR: return RC_TEXT;
	default: return RC_NONE;
	}
}

bool vsc_range_type_ok(uint32_t oid) { return range_class(oid) != RC_NONE; }

static bool from_pgt(const PgtError *e, VscError *err)
{
	return vsc_fail(err, e->sqlstate[0] ? e->sqlstate : "22P02", "%s", e->msg);
}

/* A value in text form as a comparable key (cleaned up by the caller). */
static bool key_text(uint32_t oid, const char *s, size_t len, PgtValue *out, VscError *err)
{
	pgt_value_init(out);
	if (range_class(oid) == RC_TEXT) {
		if (oid == PGT_BPCHAR)
			while (len > 0 && s[len - 1] == ' ')
				len--;
		out->type = SQLITE_TEXT;
		buf_put(&out->s, s, len);
		return true;
	}
	PgtError e;
	return pgt_coerce_text(s, len, oid, -1, &utc, out, &e) || from_pgt(&e, err);
}

static double as_double(const PgtValue *v) { return v->type == SQLITE_INTEGER ? (double)v->i : v->d; }

/* <0, 0, >0 as a is below, equal to, above b (numeric: by exact value). */
static int key_cmp(const PgtValue *a, const PgtValue *b, bool numeric)
{
	if (numeric)
		return pgt_numeric_cmp(a, b);
	if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER)
		return a->i < b->i ? -1 : a->i > b->i;
	if ((a->type == SQLITE_INTEGER || a->type == SQLITE_FLOAT) && (b->type == SQLITE_INTEGER || b->type == SQLITE_FLOAT)) {
		double x = as_double(a), y = as_double(b);
		return x < y ? -1 : x > y;
	}
	size_t n = a->s.len < b->s.len ? a->s.len : b->s.len;
	int c = n ? memcmp(a->s.data, b->s.data, n) : 0;
	return c ? c : (a->s.len > b->s.len) - (a->s.len < b->s.len);
}

/* Compare a bound of the vindex with key: *c as key_cmp(bound, key). */
static bool bound_cmp(const VscVindex *v, uint32_t oid, const char *bound, const PgtValue *key, int *c, VscError *err)
{
	PgtValue b;
	if (!key_text(oid, bound, strlen(bound), &b, err)) {
		pgt_value_cleanup(&b);
		return vsc_fail(err, "22023", "a bound of range vindex \"%s\" is not of type %s: \"%s\"", v->name,
			    vsc_type_name(oid), bound);
	}
	*c = key_cmp(&b, key, range_class(oid) == RC_NUM);
	pgt_value_cleanup(&b);
	return true;
}

/* The range holding key: its index, -1 none, -2 with err. */
static int find(const VscVindex *v, uint32_t oid, const PgtValue *key, VscError *err)
{
	for (int i = 0; i < v->nranges; i++) {
		const VscRange *r = &v->ranges[i];
		int c = 0;
		if (r->from && !bound_cmp(v, oid, r->from, key, &c, err))
			return -2;
		if (c > 0)
			continue;
		if (r->to && !bound_cmp(v, oid, r->to, key, &c, err))
			return -2;
		if (!r->to || c > 0)
			return i;
	}
	return -1;
}

/* Map a key; s is the value's text for the message. */
static bool map_key(const VscVindex *v, uint32_t oid, const PgtValue *key, const char *s, size_t len, uint64_t *ksid,
		    VscError *err)
{
	int i = find(v, oid, key, err);
	if (i == -2)
		return false;
	if (i < 0)
		return vsc_fail(err, "22023", "value \"%.*s\" is outside every range of vindex \"%s\"", (int)(len > 100 ? 100 : len),
			    s, v->name);
	*ksid = v->ranges[i].ksid;
	return true;
}

bool vsc_range_map_text(const VscVindex *v, uint32_t oid, const char *s, size_t len, uint64_t *ksid, VscError *err)
{
	PgtValue key;
	bool ok = key_text(oid, s, len, &key, err) && map_key(v, oid, &key, s, len, ksid, err);
	pgt_value_cleanup(&key);
	return ok;
}

bool vsc_range_map_binary(const VscVindex *v, uint32_t oid, const uint8_t *data, size_t len, uint64_t *ksid,
			  VscError *err)
{
	if (range_class(oid) == RC_TEXT)
		return vsc_range_map_text(v, oid, (const char *)data, len, ksid, err);
	PgtValue key;
	PgtError e;
	pgt_value_init(&key);
	bool ok = pgt_recv_binary(data, len, oid, -1, &key, &e) || from_pgt(&e, err);
	if (ok) {
		/* the value's text for a message */
		char shown[64];
		if (key.type == SQLITE_INTEGER)
			snprintf(shown, sizeof(shown), "%lld", (long long)key.i);
		else if (key.type == SQLITE_FLOAT)
			snprintf(shown, sizeof(shown), "%.17g", key.d);
		else
			snprintf(shown, sizeof(shown), "%.*s", (int)(key.s.len > 60 ? 60 : key.s.len), (const char *)key.s.data);
		ok = map_key(v, oid, &key, shown, strlen(shown), ksid, err);
	}
	pgt_value_cleanup(&key);
	return ok;
}

/* Whether range r may hold values between lo and hi (keys; NULL open). */
static bool overlaps(const VscVindex *v, uint32_t oid, const VscRange *r, const PgtValue *lo, const PgtValue *hi,
		     bool hi_incl, bool *ok, VscError *err)
{
	int c;
	if (lo && r->to) {
		if (!(*ok = bound_cmp(v, oid, r->to, lo, &c, err)))
			return false;
		if (c <= 0)
			return false; /* the range ends at or below lo */
	}
	if (hi && r->from) {
		if (!(*ok = bound_cmp(v, oid, r->from, hi, &c, err)))
			return false;
		if (c > 0 || (c == 0 && !hi_incl))
			return false; /* it starts above hi */
	}
	return true;
}

bool vsc_range_ksids(const VscVindex *v, uint32_t oid, const char *lo, bool lo_incl, const char *hi, bool hi_incl,
		     uint64_t *ksids, int max, int *n, VscError *err)
{
	(void)lo_incl; /* a range holding lo itself overlaps either way */
	*n = -1;
	if (v->kind != VSC_VINDEX_RANGE || range_class(oid) == RC_NONE || range_class(oid) == RC_TEXT)
		return true;
	PgtValue lk, hk;
	pgt_value_init(&lk);
	pgt_value_init(&hk);
	bool ok = (!lo || key_text(oid, lo, strlen(lo), &lk, err)) && (!hi || key_text(oid, hi, strlen(hi), &hk, err));
	int k = 0;
	for (int i = 0; ok && i < v->nranges; i++) {
		if (!overlaps(v, oid, &v->ranges[i], lo ? &lk : NULL, hi ? &hk : NULL, hi_incl, &ok, err) || !ok)
			continue;
		bool seen = false;
		for (int j = 0; j < k; j++)
			seen = seen || ksids[j] == v->ranges[i].ksid;
		if (!seen && k < max)
			ksids[k++] = v->ranges[i].ksid;
	}
	pgt_value_cleanup(&lk);
	pgt_value_cleanup(&hk);
	if (ok)
		*n = k;
	return ok;
}
