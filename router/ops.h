/*
 * ops.h - the router's operations surface: its settings (max_client_conn,
 * shutdown_timeout_ms, the HTTP listener, admin users and token), the
 * counters Prometheus scrapes (metrics.c), the HTTP endpoints (http.c),
 * and maintenance and drain (admin.c).
 *
 * Everything runs on the router's loop.  The hooks the sessions call on
 * their hot path (rt_metrics_*) only count: no allocation, no formatting.
 */
#ifndef DOSQL_ROUTER_OPS_H
#define DOSQL_ROUTER_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "pgwire/pgwire.h"

struct RtRouter;
struct event_base;
struct RtSession;

/* The operations settings of the router's JSON config (README lists them
 * with their defaults). */
typedef struct RtOpsConfig {
	char http_host[256];
	int http_port;              /* 0: no HTTP listener */
	char *admin_token;          /* owned; NULL: none (bearer token for admin endpoints) */
	char **admin_users;         /* owned; users who may run the admin endpoints and commands */
	int nadmin_users;
	bool metrics_auth;          /* /health and /metrics need credentials too */
	int max_client_conn;        /* 0: no limit */
	int64_t shutdown_timeout_ms; /* a drain ends here at the latest; 0: waits for the last session */
	int64_t health_timeout_ms;   /* deadline of /health/deep's round trip to each shard */
	int max_connections_per_ip;  /* 0: no limit */
	int connections_per_second;  /* token bucket rate; 0: no limit */
	int connections_burst;       /* its capacity */
	int64_t authentication_timeout_ms; /* startup and authentication must end by then; 0: no limit */
	int64_t max_message_size;    /* largest client message, bytes */
	int64_t shard_timeout_ms;    /* a shard's part of a statement ends by then (57014); 0: no limit */
	int64_t query_timeout_ms;    /* the sessions' default statement_timeout; 0: none */
	int log_level;               /* a LogLevel */
	bool log_json;               /* log_format "json" */
	bool log_parameters;         /* the slow-statement log shows bound parameter values */
	int64_t log_min_duration_ms; /* statements that took this long are logged; -1: none */
	int64_t pause_timeout_ms;    /* a statement waits this long for a PAUSEd shard (57014 then) */
	int max_parallel_shards;     /* shard statements in flight for one unordered route; 0: no limit */
	int pool_size;               /* connections to each shard at most (held and idle); 0: no limit */
	int64_t acquire_timeout_ms;  /* a statement waits this long for a pool at pool_size (53300 then) */
	int64_t idle_timeout_ms;     /* idle pool connections close after this; 0: never */
	int lookup_backfill_rows;    /* rows a lookup backfill reads per batch (backfill.c) */
	char *log_file;              /* owned: stderr goes there (reopened on SIGUSR1); NULL: stderr as it is */
	char *passwd_file;           /* owned: the router's passwd file (RELOAD), NULL none */
	char *config_file;           /* owned: the router's config file (RELOAD), NULL none */
	char listen_host[256];       /* the router's own address, for the HTTP SQL API */
	int listen_port;
} RtOpsConfig;

/* Read the operations settings of root (the config file's object, file
 * its name for messages) into c, defaults for those absent; false with a
 * message naming the file and the key on stderr. */
bool rt_ops_config_load(json_t *root, const char *file, RtOpsConfig *c);
void rt_ops_config_cleanup(RtOpsConfig *c);
/* Whether key is one of the settings rt_ops_config_load reads. */
bool rt_ops_config_key(const char *key);

/* Statement kinds and routes of dosql_query_duration_seconds. */
typedef enum RtStmtKind { RT_SK_SELECT, RT_SK_INSERT, RT_SK_UPDATE, RT_SK_DELETE, RT_SK_OTHER, RT_SK_N } RtStmtKind;
typedef enum RtStmtRoute { RT_SR_SINGLE, RT_SR_SCATTER, RT_SR_FINAL, RT_SR_LOCAL, RT_SR_N } RtStmtRoute;

#define RT_DURATION_BUCKETS 14
#define RT_ERROR_CLASSES 64

typedef struct RtMetrics {
	uint64_t dur_count[RT_SK_N][RT_SR_N][RT_DURATION_BUCKETS + 1]; /* last: +Inf only */
	double dur_sum[RT_SK_N][RT_SR_N];
	int nclasses;
	char classes[RT_ERROR_CLASSES][3];
	uint64_t class_count[RT_ERROR_CLASSES];
	uint64_t connections_total;
	uint64_t refused_too_many, refused_maintenance, refused_shutdown, refused_per_ip, refused_rate;
	uint64_t auth_timeouts;
	uint64_t tp_committed, tp_aborted; /* two-phase commits decided, and rolled back */
	int nshards;
	uint64_t (*shard_lat)[RT_DURATION_BUCKETS + 1]; /* owned: per shard, statement round trips */
	double *shard_lat_sum;                          /* owned */
} RtMetrics;

/* A shard's last /health/deep round trip. */
#define RT_HEALTH_SLOTS 16

/* The last deep check of a shard: its round trip, and what the shard
 * reported of its storage and of its replication slots' backlog. */
typedef struct RtShardHealth {
	bool checked, up, timed_out;
	double latency_s;
	char error[160];
	bool sized; /* db_bytes, wal_bytes and slots are from the last check */
	int64_t db_bytes, wal_bytes;
	int nslots;
	struct RtSlotLag {
		char name[64];
		int64_t pending; /* changes the slot has not confirmed on this shard */
	} slots[RT_HEALTH_SLOTS];
} RtShardHealth;

typedef struct RtOps {
	struct RtRouter *rt; /* borrowed */
	RtOpsConfig cfg;
	int64_t started_us;
	RtMetrics m;
	RtShardHealth *health; /* owned: per shard */
	bool *read_only;       /* owned: per shard, SET SHARD ... READ ONLY */
	bool *paused;          /* owned: per shard, PAUSE */
	bool draining;
	int64_t maintenance_until_us; /* 0: not in maintenance */
	char maintenance_reason[200];
	struct event *shutdown_timer; /* owned */
	struct evhttp *http;          /* owned */
	struct RtProbe *probes;       /* owned: /health/deep requests under way */
	struct event *pool_wake;      /* owned: pending while the waiters for pools are to be looked at */
	int pool_waiters;             /* sessions waiting for a pool's connection (park.c) */
	double tokens;                /* of the connections_per_second bucket */
	int64_t tokens_us;            /* when they were counted */
} RtOps;

/* admin.c */
/* Set up ops for rt (cfg moves into it); false with a message on stderr. */
bool rt_ops_start(struct RtRouter *rt, RtOps *ops, RtOpsConfig *cfg);
void rt_ops_stop(RtOps *ops);
/* SIGUSR1: open log_file again (after a rotation moved it). */
void rt_ops_reopen_log(RtOps *ops);
/* Monotonic microseconds (vDSO: no system call). */
int64_t rt_ops_now_us(void);
/* Whether new clients are refused, and the SQLSTATE and message they get
 * (NULL: they are let in). */
const char *rt_ops_refusal(RtOps *ops, const struct RtSession *s, const char **sqlstate);
/* Take a token from the connections_per_second bucket (or, take false,
 * only see that there is one); false when it is empty. */
bool rt_ops_take_token(RtOps *ops, bool take);
/* A client connected: authentication_timeout_ms starts; it authenticated:
 * the timer goes.  rt_ops_session_started is also called when it closes. */
void rt_ops_session_accepted(RtOps *ops, struct RtSession *s);
void rt_ops_session_started(struct RtSession *s);
/* Stop taking clients and close each session once it is idle outside a
 * transaction; the loop ends when none is left (or at shutdown_timeout_ms). */
void rt_ops_drain(RtOps *ops);
/* A session became idle outside a transaction (true: it is being closed
 * for a drain) and a session ended. */
bool rt_ops_session_idle(RtOps *ops, struct RtSession *s);
void rt_ops_session_closed(RtOps *ops, int sessions_left);
/* Maintenance: new clients get 57P03 until it is disabled or minutes pass. */
void rt_ops_maintenance(RtOps *ops, bool on, const char *reason, int64_t minutes);
bool rt_ops_in_maintenance(RtOps *ops);
/* Whether user may run admin endpoints and commands. */
bool rt_ops_is_admin(const RtOps *ops, const char *user);

/* metrics.c */
void rt_metrics_statement(RtMetrics *m, RtStmtKind kind, RtStmtRoute route, double seconds);
void rt_metrics_error(RtMetrics *m, const char *sqlstate);
/* A shard answered a statement sent `seconds` ago. */
void rt_metrics_shard_latency(RtMetrics *m, int shard, double seconds);
/* The Prometheus text exposition (format 0.0.4) of the router's state. */
void rt_metrics_render(struct RtRouter *rt, Buf *out);

/* session.c: every session of the router, and whether one is idle
 * outside a transaction (nothing running, no shard transaction open). */
struct RtSession *const *rt_sessions(int *n);
bool rt_session_is_idle(const struct RtSession *s);
/* metrics.c: the statement of s ended (its kind from s->cur, its route
 * from s->plan, its time from s->stmt_start_us). */
void rt_metrics_statement_end(struct RtSession *s);
/* metrics.c: the log tag of s ("session 17 (user@db address app)" and its
 * fields; s may be NULL), with the shard of that index when it is not -1. */
struct LogTag;
void rt_log_tag(struct LogTag *tag, const struct RtRouter *rt, const struct RtSession *s, int shard);

/* admin_cmd.c: an admin console command (SHUTDOWN, RELOAD, SET SHARD,
 * ...) run for s, its reply and ReadyForQuery sent: true; false when sql
 * is not one (it is SQL). */
bool rt_admin_command(struct RtSession *s, const char *sql);
/* RELOAD and SIGHUP: re-read the passwd file and the config file's
 * limits, timeouts, log and admin settings (not the listeners); false
 * (everything as it was) with err saying why; err says what was read
 * otherwise. */
bool rt_ops_reload(RtOps *ops, char *err, size_t errlen);
/* The first of shards that is PAUSEd, -1 none. */
int rt_ops_paused_shard(const RtOps *ops, const int *shards, int n);
/* park.c: s's statement part waiting for a paused shard or a pool goes
 * on (RESUME, a connection given back) or fails with 57014
 * (pause_timeout_ms) or 53300 (acquire_timeout_ms). */
void rt_session_unpark(struct RtSession *s, bool timed_out);
/* The shard s's held-back part waits for. */
int rt_session_parked_shard(const struct RtSession *s);
/* Whether a write may go to shards (none read-only); false with e (25006). */
bool rt_ops_write_allowed(const RtOps *ops, const struct RtRouter *rt, const int *shards, int n, PgwError *e);

/* show_admin.c: rows of show.c's table. */
void rt_show_shards(struct RtSession *s);
void rt_show_clients(struct RtSession *s);
void rt_show_servers(struct RtSession *s);
void rt_show_config(struct RtSession *s);
void rt_show_lists(struct RtSession *s);
void rt_show_version(struct RtSession *s);
void rt_show_backfill(struct RtSession *s);

/* http.c, for http_sql.c: replies, the request's JSON body (NULL when
 * it is not an object), and HTTP Basic credentials verified against the
 * passwd file (any with auth trust). */
struct evhttp_request;
void rt_http_reply_json(struct evhttp_request *req, int code, json_t *obj);
void rt_http_reply_error(struct evhttp_request *req, int code, const char *sqlstate, const char *msg);
json_t *rt_http_body_json(struct evhttp_request *req);
bool rt_http_basic_user(const RtOps *ops, struct evhttp_request *req, char *user, size_t usize, char *password,
			size_t psize);
/* http_sql.c: POST /sql/query and /sql/exec. */
void rt_http_sql_query(RtOps *ops, struct evhttp_request *req);
void rt_http_sql_exec(RtOps *ops, struct evhttp_request *req);

/* http.c */
/* Listen on the configured address; false with a message on stderr. */
bool rt_http_start(RtOps *ops);
void rt_http_stop(RtOps *ops);

#endif
