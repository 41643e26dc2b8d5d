/*
 * plancache.c - parse trees of simple-protocol query strings, kept by their
 * exact text so that a repeated statement is not parsed again.
 *
 * The router's loop is single-threaded: a tree in use by a session is
 * counted (refs) and never evicted; the least recently used unused tree
 * goes when the cache is full.  Trees are read-only to their users (the
 * planner restores the few fields it changes before it returns).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "pgsql/pgsql.h"
#include "router/router.h"

#define NBUCKETS 1024
#define MAX_ENTRIES 512

typedef struct RtPlanEntry {
	char *sql;                  /* owned */
	uint64_t hash;
	PgQuery__ParseResult *tree; /* owned */
	int refs;
	signed char mark;           /* the caller's note on the tree (rt_plancache_mark) */
	uint64_t types_known;       /* the router's types_gen + 1 when its tables' columns were all learned */
	RtPlanMemo memo;            /* the plan kept for the tree's statement */
	struct RtPlanEntry *next;   /* in its bucket */
	struct RtPlanEntry *lru_prev, *lru_next; /* most recent first */
} Entry;

struct RtPlanCache {
	Entry *buckets[NBUCKETS];
	Entry *lru_head, *lru_tail;
	Entry *last; /* the entry the last get returned */
	int n;
	uint64_t hits, misses;
	uint64_t plans_kept, plans_made; /* statements run from a plan kept, planned */
};

static void lru_unlink(struct RtPlanCache *pc, Entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		pc->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		pc->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push(struct RtPlanCache *pc, Entry *e)
{
	e->lru_next = pc->lru_head;
	if (pc->lru_head)
		pc->lru_head->lru_prev = e;
	pc->lru_head = e;
	if (!pc->lru_tail)
		pc->lru_tail = e;
}

static void entry_free(struct RtPlanCache *pc, Entry *e)
{
	Entry **p = &pc->buckets[e->hash % NBUCKETS];
	if (pc->last == e)
		pc->last = NULL;
	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	lru_unlink(pc, e);
	pg_query__parse_result__free_unpacked(e->tree, NULL);
	free(e->sql);
	free(e->memo.seq_sql);
	free(e);
	pc->n--;
}

PgQuery__ParseResult *rt_plancache_get(RtRouter *rt, const char *sql, PgwError *err)
{
	if (!rt->plans && !(rt->plans = calloc(1, sizeof(*rt->plans)))) {
		pgw_error_set(err, "53200", "out of memory");
		return NULL;
	}
	struct RtPlanCache *pc = rt->plans;
	size_t len = strlen(sql);
	uint64_t h = XXH64(sql, len, 0);
	for (Entry *e = pc->buckets[h % NBUCKETS]; e; e = e->next)
		if (e->hash == h && strcmp(e->sql, sql) == 0) {
			pc->hits++;
			e->refs++;
			lru_unlink(pc, e);
			lru_push(pc, e);
			pc->last = e;
			return e->tree;
		}
	pc->misses++;
	PgQuery__ParseResult *tree = pgs_parse(sql, err);
	if (!tree)
		return NULL;
	Entry *e = calloc(1, sizeof(*e));
	if (e)
		e->sql = strdup(sql);
	if (!e || !e->sql) {
		pg_query__parse_result__free_unpacked(tree, NULL);
		free(e);
		pgw_error_set(err, "53200", "out of memory");
		return NULL;
	}
	/* room: the least recently used tree nobody uses goes */
	for (Entry *v = pc->lru_tail; pc->n >= MAX_ENTRIES && v;) {
		Entry *prev = v->lru_prev;
		if (v->refs == 0)
			entry_free(pc, v);
		v = prev;
	}
	e->hash = h;
	e->tree = tree;
	e->refs = 1;
	e->next = pc->buckets[h % NBUCKETS];
	pc->buckets[h % NBUCKETS] = e;
	lru_push(pc, e);
	pc->n++;
	pc->last = e;
	return tree;
}

signed char *rt_plancache_mark(RtRouter *rt) { return rt->plans && rt->plans->last ? &rt->plans->last->mark : NULL; }

uint64_t *rt_plancache_types_known(RtRouter *rt)
{
	return rt->plans && rt->plans->last ? &rt->plans->last->types_known : NULL;
}

struct RtPlanEntry *rt_plancache_entry(RtRouter *rt) { return rt->plans ? rt->plans->last : NULL; }

void rt_plancache_unref(RtRouter *rt, struct RtPlanEntry *e)
{
	(void)rt;
	if (e && e->refs > 0)
		e->refs--;
}

RtPlanMemo *rt_plancache_memo(RtRouter *rt) { return rt->plans && rt->plans->last ? &rt->plans->last->memo : NULL; }

void rt_plancache_count_plan(RtRouter *rt, bool kept)
{
	if (rt->plans)
		*(kept ? &rt->plans->plans_kept : &rt->plans->plans_made) += 1;
}

void rt_plancache_plan_stats(const RtRouter *rt, uint64_t *kept, uint64_t *made)
{
	*kept = rt->plans ? rt->plans->plans_kept : 0;
	*made = rt->plans ? rt->plans->plans_made : 0;
}

void rt_plancache_release(RtRouter *rt, const char *sql)
{
	if (!sql || !rt->plans)
		return;
	uint64_t h = XXH64(sql, strlen(sql), 0);
	for (Entry *e = rt->plans->buckets[h % NBUCKETS]; e; e = e->next)
		if (e->hash == h && strcmp(e->sql, sql) == 0 && e->refs > 0) {
			e->refs--;
			return;
		}
}

void rt_plancache_stats(const RtRouter *rt, int *entries, uint64_t *hits, uint64_t *misses)
{
	*entries = rt->plans ? rt->plans->n : 0;
	*hits = rt->plans ? rt->plans->hits : 0;
	*misses = rt->plans ? rt->plans->misses : 0;
}

void rt_plancache_free(RtRouter *rt)
{
	struct RtPlanCache *pc = rt->plans;
	if (!pc)
		return;
	while (pc->lru_head)
		entry_free(pc, pc->lru_head);
	free(pc);
	rt->plans = NULL;
}
