/*
 * park.c - statement parts held back before they go to their shards:
 * while a shard they go to is PAUSEd (until RESUME, or 57014 at
 * pause_timeout_ms), and while a shard's pool has no connection to spare
 * under `pool_size` (until a session gives one back, oldest waiter first,
 * or 53300 at acquire_timeout_ms).
 *
 * A held-back part keeps a copy of what dispatch was given (the texts:
 * the query's text goes once it was sent) and counts as one answer the
 * statement waits for; when it goes on, dispatch sees it again and may
 * hold it back once more (another of its shards is paused or full).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "router/ops.h"
#include "router/router.h"

RtDispatch *rt_dispatch_copy(const RtDispatch *d)
{
	size_t size = sizeof(RtDispatch) + sizeof(int) * (size_t)d->n + (d->texts ? sizeof(char *) * (size_t)d->n : 0);
	size_t textlen = d->text ? strlen(d->text) + 1 : 0;
	for (int i = 0; d->texts && i < d->n; i++)
		textlen += strlen(d->texts[i]) + 1;
	RtDispatch *c = malloc(size + textlen);
	if (!c)
		return NULL;
	*c = *d;
	/* the text pointers first, aligned as the struct is; then the shards */
	char **texts = d->texts ? (char **)(c + 1) : NULL;
	int *shards = (int *)((char *)(c + 1) + (d->texts ? sizeof(char *) * (size_t)d->n : 0));
	memcpy(shards, d->shards, sizeof(int) * (size_t)d->n);
	c->shards = shards;
	char *at = (char *)c + size;
	if (d->text) {
		c->text = memcpy(at, d->text, strlen(d->text) + 1);
		at += strlen(d->text) + 1;
	}
	for (int i = 0; texts && i < d->n; i++) {
		texts[i] = memcpy(at, d->texts[i], strlen(d->texts[i]) + 1);
		at += strlen(d->texts[i]) + 1;
	}
	c->texts = texts;
	return c;
}

typedef struct RtParked {
	RtDispatch *d;       /* owned: what dispatch was given, texts copied */
	int shard;           /* the shard it waits for */
	bool pool;           /* for a connection of the shard's pool, not for RESUME */
	int64_t since_us;    /* when it was held back (the pool's queue order) */
	struct event *timer; /* owned */
} RtParked;

static void parked_free(RtSession *s, RtParked *p)
{
	if (p->pool)
		s->rt->ops->pool_waiters--;
	if (p->timer)
		event_free(p->timer);
	free(p->d);
	free(p);
}

void rt_park_free(RtSession *s)
{
	if (!s->parked)
		return;
	parked_free(s, s->parked);
	s->parked = NULL;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rt_session_unpark(arg, true);
}

/* Hold the part back (true), or false when out of memory (it goes now). */
static bool park(RtSession *s, int shard, bool pool, const RtDispatch *d)
{
	RtParked *p = calloc(1, sizeof(*p));
	if (!p || !(p->d = rt_dispatch_copy(d)) || !(p->timer = evtimer_new(s->rt->base, on_timeout, s))) {
		if (p)
			free(p->d);
		free(p);
		return false;
	}
	p->shard = shard;
	p->pool = pool;
	p->since_us = rt_ops_now_us();
	s->rt->ops->pool_waiters += pool;
	int64_t ms = pool ? s->rt->ops->cfg.acquire_timeout_ms : s->rt->ops->cfg.pause_timeout_ms;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(p->timer, &tv);
	s->parked = p;
	s->waiting++;
	return true;
}

bool rt_park_if_waiting(RtSession *s, const RtDispatch *d)
{
	if (s->parked)
		return false;
	int paused = rt_ops_paused_shard(s->rt->ops, d->shards, d->n);
	if (paused >= 0)
		return park(s, paused, false, d);
	for (int i = 0; i < d->n; i++)
		if (!rt_pool_room(s, d->shards[i]))
			return park(s, d->shards[i], true, d);
	return false;
}

int rt_session_parked_shard(const RtSession *s) { return s->parked->shard; }

bool rt_session_parked_for_pool(const RtSession *s) { return s->parked && s->parked->pool; }

void rt_session_unpark(RtSession *s, bool timed_out)
{
	RtParked *p = s->parked;
	if (!p)
		return;
	if (timed_out) {
		PgwError e;
		const char *name = vsc_shard(s->rt->vschema, p->shard)->name;
		if (p->pool)
			pgw_error_set(&e, "53300",
				      "could not get a connection to shard \"%s\" within acquire_timeout_ms: its pool_size "
				      "of %d are in use",
				      name, s->rt->ops->cfg.pool_size);
		else
			pgw_error_set(&e, "57014", "canceling statement due to pause_timeout_ms: shard \"%s\" is paused",
				      name);
		rt_send_error(s, &e);
		rt_park_free(s);
	} else {
		s->parked = NULL; /* dispatch holds it back again while it must wait */
		(void)rt_dispatch_part(s, p->d);
		parked_free(s, p);
	}
	rt_session_backend_done(s, NULL); /* the part's own answer: it went, or failed */
	(void)pgw_evconn_flush(s->ec);
}

/* The sessions waiting for a pool's connection go on, oldest first, while
 * their shards have room. */
static void on_pool_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	for (;;) {
		int n;
		RtSession *const *all = rt_sessions(&n);
		RtSession *next = NULL;
		for (int i = 0; i < n; i++) {
			RtParked *p = all[i]->parked;
			if (p && p->pool && (!next || p->since_us < next->parked->since_us) && rt_pool_room(all[i], p->shard))
				next = all[i];
		}
		if (!next)
			return;
		rt_session_unpark(next, false);
	}
}

void rt_park_pool_freed(RtRouter *rt)
{
	if (!rt->ops || rt->ops->pool_waiters == 0)
		return;
	/* from the loop, not from inside the session that gave the connection back */
	if (!rt->ops->pool_wake)
		rt->ops->pool_wake = evtimer_new(rt->base, on_pool_wake, rt);
	struct timeval now = {0, 0};
	if (rt->ops->pool_wake && !evtimer_pending(rt->ops->pool_wake, NULL))
		evtimer_add(rt->ops->pool_wake, &now);
}
