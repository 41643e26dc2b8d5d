/*
 * pgasync.c - one libpq connection driven on the router's loop (pgasync.h).
 *
 * States: connecting (PQconnectPoll, re-armed as libpq asks, the socket may
 * change), idle, busy (a command on the wire), and failed.  A callback may
 * free the connection; it is then freed when the callback returns.
 */
#include <stdio.h>
#include <stdlib.h>

#include "router/pgasync.h"

typedef enum AsyncState { AS_CONNECTING, AS_IDLE, AS_BUSY, AS_FAILED } AsyncState;

struct RtPgAsync {
	PGconn *pg;          /* owned */
	struct event_base *base;
	struct event *ev;    /* owned: the socket */
	struct event *timer; /* owned: the connect timeout, and deferred failures */
	AsyncState state;
	const RtPgAsyncOps *ops;
	void *arg;
	int depth;  /* callbacks running */
	bool dead;  /* freed inside a callback */
	char why[256];
};

static void really_free(RtPgAsync *a)
{
	if (a->ev)
		event_free(a->ev);
	if (a->timer)
		event_free(a->timer);
	PQfinish(a->pg);
	free(a);
}

void rt_pgasync_free(RtPgAsync *a)
{
	if (!a)
		return;
	if (a->depth > 0)
		a->dead = true;
	else
		really_free(a);
}

/* Leave a callback; false when the connection went meanwhile. */
static bool leave(RtPgAsync *a)
{
	if (--a->depth == 0 && a->dead) {
		really_free(a);
		return false;
	}
	return !a->dead;
}

static void fail_now(RtPgAsync *a)
{
	a->state = AS_FAILED;
	if (a->ev)
		event_del(a->ev);
	evtimer_del(a->timer);
	a->depth++;
	a->ops->failed(a->arg, a, a->why);
	(void)leave(a);
}

static void set_why(RtPgAsync *a, const char *why)
{
	snprintf(a->why, sizeof(a->why), "%s", why && why[0] ? why : "connection lost");
	for (char *p = a->why; *p; p++)
		if (*p == '\n')
			*p = *(p + 1) ? ' ' : '\0';
}

static void on_socket(evutil_socket_t fd, short what, void *arg);

/* Watch the socket for reading, and for writing when want_write. */
static bool arm(RtPgAsync *a, bool want_write)
{
	if (a->ev)
		event_free(a->ev);
	a->ev = event_new(a->base, PQsocket(a->pg), EV_READ | EV_PERSIST | (want_write ? EV_WRITE : 0), on_socket, a);
	return a->ev && event_add(a->ev, NULL) == 0;
}

static void connect_step(RtPgAsync *a)
{
	PostgresPollingStatusType st = PQconnectPoll(a->pg);
	if (st == PGRES_POLLING_OK) {
		evtimer_del(a->timer);
		if (PQsetnonblocking(a->pg, 1) != 0 || !arm(a, false)) {
			set_why(a, PQerrorMessage(a->pg));
			fail_now(a);
			return;
		}
		a->state = AS_IDLE;
		a->depth++;
		a->ops->ready(a->arg, a);
		(void)leave(a);
		return;
	}
	if ((st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) && arm(a, st == PGRES_POLLING_WRITING))
		return;
	set_why(a, PQerrorMessage(a->pg));
	fail_now(a);
}

/* The connect timeout, or a failure found inside an API call. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtPgAsync *a = arg;
	if (a->state == AS_CONNECTING)
		set_why(a, "timeout expired");
	fail_now(a);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	RtPgAsync *a = arg;
	if (a->state == AS_FAILED)
		return; /* failed is on its way */
	if (a->state == AS_CONNECTING) {
		connect_step(a);
		return;
	}
	if (what & EV_WRITE) {
		int f = PQflush(a->pg);
		if (f < 0 || (f == 0 && !arm(a, false))) {
			set_why(a, PQerrorMessage(a->pg));
			fail_now(a);
			return;
		}
	}
	if (!(what & EV_READ))
		return;
	if (!PQconsumeInput(a->pg)) {
		set_why(a, PQerrorMessage(a->pg));
		fail_now(a);
		return;
	}
	a->depth++;
	while (a->state == AS_BUSY && !a->dead && !PQisBusy(a->pg)) {
		PGresult *r = PQgetResult(a->pg);
		if (!r)
			a->state = AS_IDLE;
		a->ops->result(a->arg, a, r);
	}
	(void)leave(a);
}

RtPgAsync *rt_pgasync_connect(struct event_base *base, const VscShard *sh, const RtPgAsyncParams *p,
			      const RtPgAsyncOps *ops, void *arg)
{
	RtPgAsync *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->base = base;
	a->ops = ops;
	a->arg = arg;
	a->state = AS_CONNECTING;
	if (!(a->timer = evtimer_new(base, on_timer, a))) {
		free(a);
		return NULL;
	}
	char port[16];
	snprintf(port, sizeof(port), "%d", sh->port);
	const char *keys[8] = {"host", "port", "user", "dbname", "application_name"};
	const char *vals[8] = {sh->host ? sh->host : sh->socket_dir, port, p->user, p->database, p->application_name};
	int k = 5;
	if (p->password) {
		keys[k] = "password";
		vals[k++] = p->password;
	}
	if (p->replication) {
		keys[k] = "replication";
		vals[k++] = "database";
	}
	a->pg = PQconnectStartParams(keys, vals, 0);
	struct timeval now = {0, 0};
	if (!a->pg || PQstatus(a->pg) == CONNECTION_BAD) {
		set_why(a, a->pg ? PQerrorMessage(a->pg) : "out of memory");
		evtimer_add(a->timer, &now); /* failed, from the loop */
		return a;
	}
	if (p->timeout_us > 0) {
		struct timeval tv = {.tv_sec = p->timeout_us / 1000000, .tv_usec = p->timeout_us % 1000000};
		evtimer_add(a->timer, &tv);
	}
	/* the first poll from the loop too: ready is never called from here */
	if (!arm(a, true)) {
		set_why(a, "out of memory");
		evtimer_add(a->timer, &now);
	}
	return a;
}

PGconn *rt_pgasync_conn(const RtPgAsync *a) { return a->pg; }

bool rt_pgasync_sent(RtPgAsync *a, int ok)
{
	int f = ok && a->state == AS_IDLE ? PQflush(a->pg) : -1;
	if (f < 0 || (f == 1 && !arm(a, true))) {
		set_why(a, PQerrorMessage(a->pg));
		a->state = AS_FAILED;
		if (a->ev)
			event_del(a->ev);
		struct timeval now = {0, 0};
		evtimer_add(a->timer, &now);
		return false;
	}
	a->state = AS_BUSY;
	return true;
}

bool rt_pgasync_send(RtPgAsync *a, const char *sql)
{
	return rt_pgasync_sent(a, a->state == AS_IDLE && PQsendQuery(a->pg, sql));
}

void rt_pgasync_set_ops(RtPgAsync *a, const RtPgAsyncOps *ops, void *arg)
{
	a->ops = ops;
	a->arg = arg;
}

bool rt_pgasync_busy(const RtPgAsync *a) { return a->state == AS_BUSY; }
