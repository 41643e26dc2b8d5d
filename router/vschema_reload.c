/*
 * vschema_reload.c - RELOAD (and SIGHUP) reading the VSchema file again.
 *
 * What may change while the router runs: new tables and vindexes, the
 * placement of a table that has no rows on any shard, and the addresses of
 * the shards (idle connections to a shard that moved close; new ones go
 * to the new address), and lookup vindexes added to a table with rows
 * (their lookup tables are filled by a backfill job, backfill.c, which
 * starts once the new VSchema is in use).  What may not: the shards
 * themselves (their names and keyspace id ranges: that is resharding), and
 * the placement or the other vindexes of a table with rows (its rows
 * would be on the wrong shards).  Either refuses the whole RELOAD and the
 * router keeps the VSchema it has.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "router/router.h"

static bool same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static bool same_vindex(const VscVindex *a, const VscVindex *b)
{
	if (!same_text(a->name, b->name) || a->kind != b->kind || a->nranges != b->nranges ||
	    !same_text(a->lookup_table, b->lookup_table) || !same_text(a->lookup_from, b->lookup_from) ||
	    !same_text(a->lookup_to, b->lookup_to))
		return false;
	for (int i = 0; i < a->nranges; i++)
		if (!same_text(a->ranges[i].from, b->ranges[i].from) || !same_text(a->ranges[i].to, b->ranges[i].to) ||
		    a->ranges[i].shard != b->ranges[i].shard)
			return false;
	return true;
}

/* Whether a table's rows would stay where they are, and its lookup tables
 * complete, under b as under a. */
static bool same_placement(const VscTable *a, const VscTable *b)
{
	if (a->placement != b->placement || (a->placement == VSC_PINNED && a->shard != b->shard) ||
	    a->n_col_vindexes != b->n_col_vindexes)
		return false;
	for (int i = 0; i < a->n_col_vindexes; i++)
		if (!same_text(a->col_vindexes[i].column, b->col_vindexes[i].column) ||
		    !same_vindex(a->col_vindexes[i].vindex, b->col_vindexes[i].vindex))
			return false;
	return true;
}

static const VscTable *placement_of(const VscSchema *vs, const char *table)
{
	const VscTable *t = vsc_table(vs, table);
	return t ? t : vsc_default_placement(vs);
}

/* Rows of table over every shard: 0 when no shard has it yet, -1 with
 * err when a shard cannot tell. */
static long long table_rows(RtRouter *rt, const char *table, char *err, size_t errlen)
{
	long long sum = 0;
	for (int i = 0; i < vsc_shard_count(rt->vschema); i++) {
		PgwError e;
		long long n = rt_placement_rows(rt, i, table, &e);
		if (n < 0 && strcmp(e.sqlstate, "42P01") != 0) {
			snprintf(err, errlen, "cannot count the rows of table \"%s\": %s", table, e.message);
			return -1;
		}
		sum += n > 0 ? n : 0;
	}
	return sum;
}

/* Lookup vindexes a RELOAD adds to tables with rows: their backfills. */
#define MAX_BACKFILLS 16
typedef struct Backfills {
	int n;
	struct {
		const char *table, *column, *vindex; /* borrowed from the next VSchema */
	} add[MAX_BACKFILLS];
} Backfills;

static bool has_vindex(const VscTable *t, const VscColumnVindex *cv)
{
	for (int i = 0; i < t->n_col_vindexes; i++)
		if (same_text(t->col_vindexes[i].column, cv->column) && same_vindex(t->col_vindexes[i].vindex, cv->vindex))
			return true;
	return false;
}

/* Whether b is a with lookup vindexes added (noted in bf); false when
 * anything else changes. */
static bool lookups_added(const VscTable *a, const VscTable *b, Backfills *bf)
{
	if (a->placement != VSC_SHARDED || b->placement != VSC_SHARDED || a->n_col_vindexes >= b->n_col_vindexes ||
	    !same_text(a->col_vindexes[0].column, b->col_vindexes[0].column) ||
	    !same_vindex(a->col_vindexes[0].vindex, b->col_vindexes[0].vindex) || b->col_vindexes[0].vindex->ncolumns > 1)
		return false;
	for (int i = 1; i < a->n_col_vindexes; i++)
		if (!has_vindex(b, &a->col_vindexes[i]))
			return false;
	int n = bf->n;
	for (int i = 1; i < b->n_col_vindexes; i++) {
		const VscColumnVindex *cv = &b->col_vindexes[i];
		if (has_vindex(a, cv))
			continue;
		if (!vsc_vindex_is_lookup(cv->vindex) || n == MAX_BACKFILLS)
			return false;
		bf->add[n].table = b->name;
		bf->add[n].column = cv->column;
		bf->add[n].vindex = cv->vindex->name;
		n++;
	}
	bf->n = n;
	return true;
}

/* A table whose placement next changes: refused when it has rows, unless
 * only lookup vindexes are added (then backfilled). */
static bool may_change(RtRouter *rt, const VscSchema *next, const char *table, int *changed, Backfills *bf, char *err,
		       size_t errlen)
{
	const VscTable *a = placement_of(rt->vschema, table), *b = placement_of(next, table);
	if (same_placement(a, b))
		return true;
	long long n = table_rows(rt, table, err, errlen);
	(*changed)++;
	if (n > 0 && b->name && lookups_added(a, b, bf))
		return true;
	if (n > 0)
		snprintf(err, errlen,
			 "the VSchema changes the placement of table \"%s\", which has %lld rows: moving rows is resharding",
			 table, n);
	return n == 0;
}

static bool same_shards(const VscSchema *a, const VscSchema *b, char *err, size_t errlen)
{
	bool same = vsc_shard_count(a) == vsc_shard_count(b);
	for (int i = 0; same && i < vsc_shard_count(a); i++) {
		const VscShard *x = vsc_shard(a, i), *y = vsc_shard(b, i);
		same = strcmp(x->name, y->name) == 0 && x->start == y->start && x->last == y->last;
	}
	if (!same)
		snprintf(err, errlen, "the VSchema's shards changed: that is resharding, which RELOAD does not do");
	return same;
}

static bool same_address(const VscShard *x, const VscShard *y)
{
	return same_text(x->host, y->host) && same_text(x->socket_dir, y->socket_dir) && x->port == y->port;
}

bool rt_vschema_reload(RtRouter *rt, char *err, size_t errlen)
{
	if (!rt->vschema_path)
		return true;
	VscSchema *next = vsc_load_overlay(rt->vschema_path, rt->overlay_path, err, errlen);
	if (!next)
		return false;
	int changed = 0;
	Backfills bf = {0};
	rt_backfill_retry_failed(rt);
	bool ok = same_shards(rt->vschema, next, err, errlen);
	for (int i = 0; ok && i < vsc_table_count(next); i++)
		ok = may_change(rt, next, vsc_table_at(next, i)->name, &changed, &bf, err, errlen);
	for (int i = 0; ok && i < vsc_table_count(rt->vschema); i++)
		if (!vsc_table(next, vsc_table_at(rt->vschema, i)->name))
			ok = may_change(rt, next, vsc_table_at(rt->vschema, i)->name, &changed, &bf, err, errlen);
	changed += vsc_table_count(next) != vsc_table_count(rt->vschema) ||
		   !same_placement(vsc_default_placement(rt->vschema), vsc_default_placement(next));
	int moved = 0;
	for (int i = 0; ok && i < vsc_shard_count(next); i++)
		moved += !same_address(vsc_shard(rt->vschema, i), vsc_shard(next, i));
	if (!ok || (!changed && !moved)) {
		vsc_free(next);
		if (ok)
			snprintf(err, errlen, "the VSchema is unchanged");
		return ok;
	}
	const VscSchema *before = rt->vschema;
	PgwError e;
	if (!rt_vschema_switch(rt, next, &e)) {
		snprintf(err, errlen, "%s", e.message);
		return false;
	}
	for (int i = 0; i < vsc_shard_count(next); i++)
		if (!same_address(vsc_shard(before, i), vsc_shard(next, i)))
			rt_pool_close_idle(rt, i);
	for (int i = 0; i < bf.n; i++)
		if (!rt_backfill_start(rt, bf.add[i].table, bf.add[i].column, bf.add[i].vindex))
			log_warning(NULL, "the lookup backfill of \"%s\".\"%s\" could not start: out of memory", bf.add[i].table,
				    bf.add[i].column);
	snprintf(err, errlen, "the VSchema: %d table placement%s changed, %d shard address%s, %d lookup backfill%s started",
		 changed, changed == 1 ? "" : "s", moved, moved == 1 ? "" : "es", bf.n, bf.n == 1 ? "" : "s");
	return true;
}
