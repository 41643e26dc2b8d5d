/*
 * pool.c - per-shard pools of backend connections (transaction pooling).
 *
 * A session holds a shard's connection only while it has work there: from
 * the first statement it sends to the shard until it is idle again
 * (ReadyForQuery with status 'I': the end of a transaction block, of an
 * implicit transaction, or of a statement outside both).  Then the
 * connection goes back to its shard's pool, where the next session to
 * need that shard takes it.
 *
 * A connection keeps what it was started with (the client's startup
 * settings, as libpq "options"), so the pool hands it only to sessions
 * that started with the same.  SETs a session ran on it are undone with
 * RESET ALL before another session uses it, and the new session's
 * application_name and SETs are sent ahead of its first statement there
 * (backend.c).  The statements prepared on it are keyed by their text, not
 * by session, so every session reuses them.  Idle connections are watched
 * (a shard that goes away marks them broken, rt_pool_broken) and at most
 * `pool_max_idle` per shard are kept; a broken one is dropped when the
 * pool is next used, and one idle for `idle_timeout_ms` is closed.
 *
 * With `pool_size`, a shard has at most that many connections, held and
 * idle: a session that needs one more waits (park.c) until another gives
 * one back; an idle connection of other settings closes to make room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "router/ops.h"
#include "router/router.h"

typedef struct RtPool {
	int nidle, capidle;
	RtBackend **idle; /* owned; the most recently released last */
	int active;       /* held by sessions */
	int broken;       /* idle ones marked broken since the last reap */
	uint64_t opened, closed, taken;
} RtPool;

/* Whether b was started with the same settings as s. */
static bool same_start(const RtBackend *b, const RtSession *s)
{
	if (!b->start_options || !s->backend_options)
		return b->start_options == s->backend_options;
	return strcmp(b->start_options, s->backend_options) == 0;
}

/* Drop the pool's broken connections, when one broke. */
static void reap(RtPool *p)
{
	if (!p->broken)
		return;
	p->broken = 0;
	for (int i = 0; i < p->nidle;) {
		if (p->idle[i]->state == RT_BE_BROKEN) {
			rt_backend_free(p->idle[i]);
			p->closed++;
			memmove(&p->idle[i], &p->idle[i + 1], sizeof(RtBackend *) * (size_t)(p->nidle - i - 1));
			p->nidle--;
			continue;
		}
		i++;
	}
}

/* Close the oldest idle connection of p. */
static void close_oldest(RtPool *p)
{
	rt_backend_free(p->idle[0]);
	p->closed++;
	memmove(&p->idle[0], &p->idle[1], sizeof(RtBackend *) * (size_t)(p->nidle - 1));
	p->nidle--;
}

/* Once a second: idle connections past idle_timeout_ms close (the oldest
 * are first in each list). */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtRouter *rt = arg;
	int64_t timeout = rt->ops ? rt->ops->cfg.idle_timeout_ms : 0;
	if (timeout <= 0)
		return;
	int64_t now = rt_ops_now_us();
	for (int i = 0; i < rt->npools; i++) {
		RtPool *p = &rt->pools[i];
		while (p->nidle > 0 && now - p->idle[0]->idle_since_us >= timeout * 1000)
			close_oldest(p);
	}
}

bool rt_pools_create(RtRouter *rt, int max_idle)
{
	int n = vsc_shard_count(rt->vschema);
	rt->pools = calloc((size_t)n, sizeof(RtPool));
	rt->npools = rt->pools ? n : 0;
	rt->pool_max_idle = max_idle;
	rt->pool_sweep = rt->pools ? event_new(rt->base, -1, EV_PERSIST, on_sweep, rt) : NULL;
	struct timeval second = {1, 0};
	if (rt->pool_sweep)
		event_add(rt->pool_sweep, &second);
	return rt->pools != NULL && rt->pool_sweep != NULL;
}

void rt_pools_free(RtRouter *rt)
{
	for (int i = 0; i < rt->npools; i++) {
		RtPool *p = &rt->pools[i];
		for (int k = 0; k < p->nidle; k++)
			rt_backend_free(p->idle[k]);
		free(p->idle);
	}
	free(rt->pools);
	rt->pools = NULL;
	rt->npools = 0;
	if (rt->pool_sweep)
		event_free(rt->pool_sweep);
	rt->pool_sweep = NULL;
}

void rt_pool_close_idle(RtRouter *rt, int shard)
{
	RtPool *p = &rt->pools[shard];
	while (p->nidle > 0)
		close_oldest(p);
}

static int pool_size(const RtRouter *rt) { return rt->ops ? rt->ops->cfg.pool_size : 0; }

bool rt_pool_room(RtSession *s, int shard)
{
	RtPool *p = &s->rt->pools[shard];
	int cap = pool_size(s->rt);
	if (cap <= 0 || s->backends[shard] || p->active + p->nidle < cap || p->nidle > 0)
		return true; /* a broken one held is dropped before a new one opens */
	return false;
}

void rt_pool_make_room(RtRouter *rt, int shard)
{
	RtPool *p = &rt->pools[shard];
	int cap = pool_size(rt);
	reap(p);
	if (cap > 0 && p->active + p->nidle >= cap && p->nidle > 0)
		close_oldest(p);
}

RtBackend *rt_pool_take(RtSession *s, int shard)
{
	RtPool *p = &s->rt->pools[shard];
	reap(p);
	for (int i = p->nidle - 1; i >= 0; i--) {
		RtBackend *b = p->idle[i];
		if (!same_start(b, s))
			continue;
		memmove(&p->idle[i], &p->idle[i + 1], sizeof(RtBackend *) * (size_t)(p->nidle - i - 1));
		p->nidle--;
		p->active++;
		p->taken++;
		b->sess = s;
		if (b->sets_owner != s->serial && b->applied_sets > 0) {
			/* another session's SETs are on it */
			b->need_reset = true;
			b->applied_sets = 0;
		}
		b->sets_owner = s->serial;
		return b;
	}
	return NULL;
}

void rt_pool_opened(RtSession *s, RtBackend *b)
{
	RtPool *p = &s->rt->pools[b->shard];
	p->active++;
	p->opened++;
	p->taken++;
	b->sets_owner = s->serial;
}

/* Whether b can serve another session as it is: connected, idle, outside
 * any transaction, nothing queued. */
static bool reusable(const RtBackend *b)
{
	return b->state == RT_BE_IDLE && !b->pending_sql && !b->next_op &&
	       PQtransactionStatus(b->pg) == PQTRANS_IDLE;
}

void rt_pool_give(RtSession *s, RtBackend *b)
{
	RtPool *p = &s->rt->pools[b->shard];
	p->active--;
	b->sess = NULL;
	reap(p);
	rt_park_pool_freed(s->rt);
	if (!reusable(b) || p->nidle >= s->rt->pool_max_idle || s->keeps_backends) {
		rt_backend_free(b);
		p->closed++;
		return;
	}
	b->idle_since_us = rt_ops_now_us();
	if (p->nidle == p->capidle) {
		int cap = p->capidle ? p->capidle * 2 : 8;
		RtBackend **grown = realloc(p->idle, sizeof(RtBackend *) * (size_t)cap);
		if (!grown) {
			rt_backend_free(b);
			p->closed++;
			return;
		}
		p->idle = grown;
		p->capidle = cap;
	}
	p->idle[p->nidle++] = b;
}

void rt_pool_release_all(RtSession *s)
{
	for (int i = 0; i < s->nshards; i++) {
		RtBackend *b = s->backends[i];
		if (!b)
			continue;
		s->backends[i] = NULL;
		rt_pool_give(s, b);
	}
}

void rt_pool_broken(RtRouter *rt, const RtBackend *b) { rt->pools[b->shard].broken++; }

void rt_pool_dropped(RtSession *s, RtBackend *b)
{
	RtPool *p = &s->rt->pools[b->shard];
	p->active--;
	p->closed++;
	rt_park_pool_freed(s->rt);
}

void rt_pool_stats(const RtRouter *rt, int shard, RtPoolStats *st)
{
	const RtPool *p = &rt->pools[shard];
	st->active = p->active;
	st->idle = p->nidle;
	st->opened = p->opened;
	st->closed = p->closed;
	st->taken = p->taken;
}
