/*
 * coord.h - the router as two-phase commit coordinator: gids, the durable
 * decision log and the recovery of in-doubt transactions.
 *
 * A transaction that wrote to several shards is prepared on each of them
 * under one gid, "dosql_<router id>_<microseconds>" (the creation time makes
 * it unique for the router and tells its age).  Once every participant has
 * prepared, the decision "C <gid> <shard>,<shard>..." is appended to
 * <data_dir>/coordinator.log and fsynced before any COMMIT PREPARED is
 * sent; "D <gid>" closes it when every participant has committed.  A
 * writer thread logs the decisions, so the router's event loop never waits
 * for the disk, and decisions queued while it syncs share the next fsync.
 *
 * A recovery thread, at start-up and then periodically, looks at the
 * prepared transactions of every shard with this router's prefix: one with
 * an open C record is committed, one without a record older than the
 * abandon age is rolled back (presumed abort); C records whose participants
 * all committed are closed.  A coordinator never decides to commit a gid
 * older than half the abandon age, so recovery cannot roll back what a
 * session is about to commit.
 */
#ifndef DOSQL_RT_COORD_H
#define DOSQL_RT_COORD_H

#include <postgresql/libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "vschema/vschema.h"

typedef struct RtCoord RtCoord;

typedef struct RtCoordConfig {
	const char *data_dir;   /* where coordinator.log lives */
	const char *router_id;  /* in every gid; routers sharing shards differ */
	int64_t abandon_us;     /* a prepared gid without decision older than this is rolled back */
	int64_t interval_us;    /* between recovery passes */
	const VscSchema *vschema; /* borrowed: the shards */
	const char *shard_user, *shard_database;
} RtCoordConfig;

/* Open (or create) the log, run one recovery pass over the shards that
 * answer, and start the recovery thread.  NULL with a message on stderr
 * when the log cannot be used. */
RtCoord *rt_coord_start(const RtCoordConfig *cfg);
void rt_coord_stop(RtCoord *c);

/* A blocking connection to a shard, or NULL when it does not answer;
 * replication: a replication=database connection (router/replication.c). */
PGconn *rt_shard_connect(const VscShard *sh, const char *user, const char *database, const char *timeout,
			 const char *application_name, bool replication);

/* The router's clock in microseconds, unique and rising: gids and the ages
 * of transactions (their start times) come from it. */
int64_t rt_coord_tick(RtCoord *c);
/* A new gid for a transaction (at most 63 bytes). */
void rt_coord_gid(RtCoord *c, char *gid, size_t n);
/* Whether a gid is still young enough to be committed. */
bool rt_coord_may_commit(RtCoord *c, const char *gid);
/* Queue the commit decision for the log's writer thread, which appends
 * the decisions queued meanwhile and makes them durable with one
 * fdatasync.  Then waiter comes back from rt_coord_next_decided, with
 * whether the decision was logged (if not, the transaction must be rolled
 * back).  False when it could not be queued (out of memory). */
bool rt_coord_decide(RtCoord *c, const char *gid, const int *shards, int n, int64_t commit_ts, void *waiter);
/* Readable while decided waiters are to be taken (the event loop watches
 * it); rt_coord_next_decided empties it. */
int rt_coord_notify_fd(RtCoord *c);
/* The next waiter whose decision is durable (*ok) or failed (!*ok);
 * false when none is left. */
bool rt_coord_next_decided(RtCoord *c, void **waiter, bool *ok);
/* waiter goes away: its decisions are still logged, and recovery commits
 * them (or rolls them back when they could not be logged). */
void rt_coord_forget(RtCoord *c, const void *waiter);
/* Every participant committed. */
void rt_coord_done(RtCoord *c, const char *gid);
/* A gid no decision will be logged for (its session went away while
 * preparing): recovery rolls it back at its next pass, whatever its age. */
void rt_coord_abandon(RtCoord *c, const char *gid);

/* Decisions logged and not yet closed (for SHOW TRANSACTIONS): calls fn
 * for each with its gid and participants. */
void rt_coord_foreach_open(RtCoord *c, void (*fn)(void *arg, const char *gid, const char *shards), void *arg);

/* The shards recovery looks at from its next pass on (RELOAD: same
 * shards, maybe new addresses); vs stays alive until exit. */
void rt_coord_set_vschema(RtCoord *c, const VscSchema *vs);

/* Prepared transactions recovery committed and rolled back on a shard
 * since the router started (from any thread). */
void rt_coord_recovered(RtCoord *c, uint64_t *committed, uint64_t *rolled_back);

#endif
