/*
 * pgasync.h - one libpq connection to a shard driven on the router's loop:
 * connected without blocking (within a timeout), commands sent with the
 * PQsend* calls, their results handed over as they come.
 *
 * Callbacks run from the loop, never inside a call of this API, and may
 * free the connection (rt_pgasync_free) or send the next command.
 */
#ifndef DOSQL_ROUTER_PGASYNC_H
#define DOSQL_ROUTER_PGASYNC_H

#include <event2/event.h>
#include <postgresql/libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "vschema/vschema.h"

typedef struct RtPgAsync RtPgAsync;

typedef struct RtPgAsyncOps {
	/* Connected: a command may be sent. */
	void (*ready)(void *arg, RtPgAsync *a);
	/* One result of the command being run (owned by the callee from here
	 * on); NULL when it is done and the connection idle again. */
	void (*result)(void *arg, RtPgAsync *a, PGresult *r);
	/* The connection failed, or did not come up in time: free it. */
	void (*failed)(void *arg, RtPgAsync *a, const char *why);
} RtPgAsyncOps;

typedef struct RtPgAsyncParams {
	const char *user, *database, *application_name;
	const char *password; /* NULL: none */
	bool replication;   /* replication=database */
	int64_t timeout_us; /* to connect; 0: none */
} RtPgAsyncParams;

/* Start connecting to shard; NULL out of memory.  Then ready or failed. */
RtPgAsync *rt_pgasync_connect(struct event_base *base, const VscShard *shard, const RtPgAsyncParams *p,
			      const RtPgAsyncOps *ops, void *arg) __attribute__((warn_unused_result));
/* The connection, for PQsend* calls (it is non-blocking). */
PGconn *rt_pgasync_conn(const RtPgAsync *a);
/* After a PQsend* call that returned ok: write it out.  False when the
 * command could not be sent (then failed follows). */
bool rt_pgasync_sent(RtPgAsync *a, int ok);
/* PQsendQuery and rt_pgasync_sent. */
bool rt_pgasync_send(RtPgAsync *a, const char *sql);
/* Hand the connection to other callbacks (an idle one, from now on). */
void rt_pgasync_set_ops(RtPgAsync *a, const RtPgAsyncOps *ops, void *arg);
/* Whether a command is on the wire. */
bool rt_pgasync_busy(const RtPgAsync *a);
/* Close it (at once, or after the callback running now returns). */
void rt_pgasync_free(RtPgAsync *a);

#endif
