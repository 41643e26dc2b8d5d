/*
 * http.c - the router's HTTP listener (libevent's evhttp, JSON by jansson,
 * TLS with the router's certificate when it has one): health checks for a
 * load balancer, Prometheus metrics, and the admin endpoints, as one table
 * of method, path and handler.
 *
 * /health, /health/deep and /metrics need no credentials unless
 * metrics_auth is set; every other endpoint needs the admin token
 * ("Authorization: Bearer ...") or HTTP Basic of a user in admin_users
 * whose password the passwd file verifies.  Without either: 401.
 */
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "router/ops.h"
#include "router/pgasync.h"
#include "router/router.h"

/* Send obj (reference stolen) as the JSON body with code. */
void rt_http_reply_json(struct evhttp_request *req, int code, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	struct evbuffer *b = evbuffer_new();
	if (b && text)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, code, code == 200 ? "OK" : code == 503 ? "Service Unavailable" : "Error", b);
	if (b)
		evbuffer_free(b);
	free(text);
}

void rt_http_reply_error(struct evhttp_request *req, int code, const char *sqlstate, const char *msg)
{
	rt_http_reply_json(req, code, json_pack("{s:{s:s,s:s}}", "error", "code", sqlstate, "message", msg));
}

/* ------------------------------------------------------------- auth */

bool rt_http_basic_user(const RtOps *ops, struct evhttp_request *req, char *user, size_t usize, char *password,
			size_t psize)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return false;
	const char *b64 = h + 6;
	size_t len = strlen(b64);
	if (len == 0 || len > 1024)
		return false;
	unsigned char dec[800];
	int n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)len);
	if (n <= 0)
		return false;
	while (len > 0 && b64[len - 1] == '=' && n > 0) { /* EVP_DecodeBlock counts the padding */
		len--;
		n--;
	}
	dec[n] = 0;
	char *colon = memchr(dec, ':', (size_t)n);
	if (!colon || strlen((char *)dec) != (size_t)n || (size_t)(colon - (char *)dec) >= usize ||
	    strlen(colon + 1) >= psize)
		return false;
	*colon = 0;
	snprintf(user, usize, "%s", (char *)dec);
	snprintf(password, psize, "%s", colon + 1);
	OPENSSL_cleanse(dec, sizeof(dec));
	if (ops->rt->pgw.auth == PGW_AUTH_TRUST)
		return true;
	const char *secret = pgw_users_secret(&ops->rt->users, user);
	return secret && pgw_password_check(user, secret, password);
}

static bool authorized(const RtOps *ops, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!h)
		return false;
	const char *tok = ops->cfg.admin_token;
	if (strncasecmp(h, "Bearer ", 7) == 0 && tok)
		return strlen(h + 7) == strlen(tok) && CRYPTO_memcmp(h + 7, tok, strlen(tok)) == 0;
	char user[128], password[256];
	bool ok = strncasecmp(h, "Basic ", 6) == 0 &&
		  rt_http_basic_user(ops, req, user, sizeof(user), password, sizeof(password)) &&
		  rt_ops_is_admin(ops, user) && ops->rt->pgw.auth != PGW_AUTH_TRUST;
	OPENSSL_cleanse(password, sizeof(password));
	return ok;
}

/* ----------------------------------------------------------- health */

static void get_health(RtOps *ops, struct evhttp_request *req)
{
	const char *why = ops->draining ? "draining" : rt_ops_in_maintenance(ops) ? "maintenance" : NULL;
	if (why)
		rt_http_reply_json(req, 503, json_pack("{s:s,s:s}", "status", "unavailable", "reason", why));
	else
		rt_http_reply_json(req, 200, json_pack("{s:s}", "status", "healthy"));
}

/* A /health/deep request: a round trip (connect, SELECT 1) to every shard,
 * answered when all are in or at the deadline, whichever comes first. */
typedef void (*ProbeAnswer)(RtOps *ops, struct evhttp_request *req);

typedef struct RtProbe {
	RtOps *ops;
	struct evhttp_request *req; /* NULL: no answer wanted (a check of its own) */
	ProbeAnswer answer;         /* of req, once every shard is in */
	const char *sql;            /* what each shard runs: PROBE_SQL, or a command and it */
	int n, pending;
	struct ProbeShard {
		struct RtProbe *p;
		RtPgAsync *a; /* owned until it answers */
		int64_t start_us;
		int results; /* of the check's statements, so far */
		bool done;
	} *shards;
	struct event *deadline; /* owned */
	struct RtProbe *next;
} RtProbe;

static void probe_finish(RtProbe *p);

static void shard_done(struct ProbeShard *ps, bool up, bool timed_out, const char *why)
{
	if (ps->done)
		return;
	RtProbe *p = ps->p;
	int i = (int)(ps - p->shards);
	RtShardHealth *h = &p->ops->health[i];
	ps->done = true;
	h->checked = true;
	h->sized = h->sized && up;
	h->up = up;
	h->timed_out = timed_out;
	h->latency_s = (double)(rt_ops_now_us() - ps->start_us) / 1e6;
	snprintf(h->error, sizeof(h->error), "%s", why ? why : "");
	if (ps->a)
		rt_pgasync_free(ps->a);
	ps->a = NULL;
	if (--p->pending == 0)
		probe_finish(p);
}

/* The check: the shard's storage, then each replication slot's backlog. */
#define PROBE_SQL                                                                                                        \
	"SELECT pg_database_size(current_database()), dosql_wal_size();"                                                  \
	"SELECT slot_name, dosql_slot_pending(slot_name) FROM pg_replication_slots"

/* Keep what a result of the check reports. */
static void probe_note(struct ProbeShard *ps, PGresult *r)
{
	RtShardHealth *h = &ps->p->ops->health[ps - ps->p->shards];
	if (ps->results++ == 0) {
		h->sized = PQntuples(r) == 1 && PQnfields(r) == 2;
		h->db_bytes = h->sized ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
		h->wal_bytes = h->sized ? strtoll(PQgetvalue(r, 0, 1), NULL, 10) : 0;
		h->nslots = 0;
		return;
	}
	for (int i = 0; i < PQntuples(r) && h->nslots < RT_HEALTH_SLOTS && PQnfields(r) == 2; i++) {
		struct RtSlotLag *l = &h->slots[h->nslots++];
		snprintf(l->name, sizeof(l->name), "%s", PQgetvalue(r, i, 0));
		l->pending = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	}
}

static void probe_ready(void *arg, RtPgAsync *a)
{
	struct ProbeShard *ps = arg;
	if (!rt_pgasync_send(a, ps->p->sql))
		shard_done(ps, false, false, "could not send the check");
}

static void probe_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	struct ProbeShard *ps = arg;
	if (!r) {
		shard_done(ps, true, false, NULL);
		return;
	}
	if (PQresultStatus(r) == PGRES_COMMAND_OK) { /* a command ahead of the check (CHECKPOINT) */
		PQclear(r);
		return;
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char why[160];
		snprintf(why, sizeof(why), "%s", PQresultErrorMessage(r));
		why[strcspn(why, "\n")] = 0;
		PQclear(r);
		shard_done(ps, false, false, why);
		return;
	}
	probe_note(ps, r);
	PQclear(r);
}

static void probe_failed(void *arg, RtPgAsync *a, const char *why)
{
	(void)a;
	struct ProbeShard *ps = arg;
	char w[160];
	snprintf(w, sizeof(w), "%s", why ? why : "connection failed");
	w[strcspn(w, "\n")] = 0;
	shard_done(ps, false, false, w);
}

static const RtPgAsyncOps probe_ops = {probe_ready, probe_result, probe_failed};

static void probe_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtProbe *p = arg;
	for (int i = 0; i < p->n; i++) {
		if (p->shards[i].done)
			continue;
		bool last = p->pending == 1;
		shard_done(&p->shards[i], false, true, "no answer within health_timeout_ms");
		if (last)
			return; /* p was answered and freed */
	}
}

static json_t *shard_json(RtOps *ops, int i)
{
	const VscShard *sh = vsc_shard(ops->rt->vschema, i);
	const RtShardHealth *h = &ops->health[i];
	char addr[300];
	rt_shard_address(sh, addr, sizeof(addr));
	const char *state = !h->checked ? "unknown" : h->up ? "up" : h->timed_out ? "timeout" : "down";
	json_t *o = json_pack("{s:s,s:s,s:s,s:f}", "name", sh->name, "address", addr, "status", state, "latency_seconds",
			      h->latency_s);
	if (h->error[0])
		json_object_set_new(o, "error", json_string(h->error));
	return o;
}

static int open_count(RtOps *ops);

static void answer_deep(RtOps *ops, struct evhttp_request *req)
{
	int n = vsc_shard_count(ops->rt->vschema), up = 0;
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(arr, shard_json(ops, i));
		up += ops->health[i].up;
	}
	const char *st = up == n ? "healthy" : up > 0 ? "degraded" : "unhealthy";
	bool ok = up == n && !ops->draining && !rt_ops_in_maintenance(ops);
	rt_http_reply_json(req, ok ? 200 : 503,
			   json_pack("{s:s,s:o,s:{s:s,s:i}}", "status", st, "shards", arr, "coordinator", "status",
				     ops->rt->coord ? "up" : "down", "in_doubt", open_count(ops)));
}

static void probe_finish(RtProbe *p)
{
	RtOps *ops = p->ops;
	if (p->req)
		p->answer(ops, p->req);
	for (RtProbe **pp = &ops->probes; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	event_free(p->deadline);
	free(p->shards);
	free(p);
}

/* Check every shard (running sql, PROBE_SQL or a command before it),
 * then answer req (each shard within health_timeout_ms). */
static void probe_start(RtOps *ops, struct evhttp_request *req, ProbeAnswer answer, const char *sql)
{
	RtRouter *rt = ops->rt;
	RtProbe *p = calloc(1, sizeof(*p));
	int n = vsc_shard_count(rt->vschema);
	if (p)
		p->shards = calloc((size_t)n, sizeof(*p->shards));
	if (p && p->shards)
		p->deadline = evtimer_new(rt->base, probe_deadline, p);
	if (!p || !p->shards || !p->deadline) {
		if (p)
			free(p->shards);
		free(p);
		rt_http_reply_error(req, 500, "53200", "out of memory");
		return;
	}
	p->ops = ops;
	p->req = req;
	p->answer = answer;
	p->sql = sql;
	p->n = p->pending = n;
	p->next = ops->probes;
	ops->probes = p;
	int64_t us = ops->cfg.health_timeout_ms * 1000;
	struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
	evtimer_add(p->deadline, &tv);
	RtPgAsyncParams pp = {.user = rt->shard_user, .database = rt->shard_database, .application_name = "dosql health"};
	for (int i = 0; i < n; i++) {
		struct ProbeShard *ps = &p->shards[i];
		ps->p = p;
		ps->start_us = rt_ops_now_us();
		ps->a = rt_pgasync_connect(rt->base, vsc_shard(rt->vschema, i), &pp, &probe_ops, ps);
		if (!ps->a) { /* out of memory: down (the callbacks come from the loop, never from here) */
			ps->done = true;
			ops->health[i] = (RtShardHealth){.checked = true};
			snprintf(ops->health[i].error, sizeof(ops->health[i].error), "out of memory");
			p->pending--;
		}
	}
	if (p->pending == 0)
		probe_finish(p);
}

static void get_health_deep(RtOps *ops, struct evhttp_request *req) { probe_start(ops, req, answer_deep, PROBE_SQL); }

/* ------------------------------------------------------------ admin */

static void count_open(void *arg, const char *gid, const char *shards)
{
	(void)gid;
	(void)shards;
	(*(int *)arg)++;
}

static int open_count(RtOps *ops)
{
	int n = 0;
	if (ops->rt->coord)
		rt_coord_foreach_open(ops->rt->coord, count_open, &n);
	return n;
}

static json_t *pools_json(RtRouter *rt)
{
	json_t *arr = json_array();
	for (int i = 0; i < vsc_shard_count(rt->vschema); i++) {
		RtPoolStats st;
		rt_pool_stats(rt, i, &st);
		json_array_append_new(arr, json_pack("{s:s,s:i,s:i,s:I,s:I,s:I}", "shard", vsc_shard(rt->vschema, i)->name,
						     "active", st.active, "idle", st.idle, "opened", (json_int_t)st.opened,
						     "closed", (json_int_t)st.closed, "taken", (json_int_t)st.taken));
	}
	return arr;
}

static json_t *maintenance_json(RtOps *ops)
{
	bool on = rt_ops_in_maintenance(ops);
	int64_t left = on ? (ops->maintenance_until_us - rt_ops_now_us()) / 1000000 : 0;
	return json_pack("{s:b,s:s,s:I}", "enabled", on, "reason", on ? ops->maintenance_reason : "", "remaining_seconds",
			 (json_int_t)left);
}

static void get_status(RtOps *ops, struct evhttp_request *req)
{
	RtRouter *rt = ops->rt;
	int n, in_txn = 0;
	RtSession *const *all = rt_sessions(&n);
	for (int i = 0; i < n; i++)
		in_txn += all[i]->txn != RT_TXN_IDLE || all[i]->nparts > 0;
	json_t *cfg = json_pack("{s:s,s:b,s:i,s:i,s:I,s:I,s:i,s:i}", "auth", pgw_auth_method_to_str(rt->pgw.auth), "tls",
				rt->ssl_ctx != NULL, "shards", vsc_shard_count(rt->vschema), "max_client_conn",
				ops->cfg.max_client_conn, "shutdown_timeout_ms", (json_int_t)ops->cfg.shutdown_timeout_ms,
				"health_timeout_ms", (json_int_t)ops->cfg.health_timeout_ms, "pool_max_idle",
				rt->pool_max_idle, "tables", vsc_table_count(rt->vschema));
	json_t *o = json_pack("{s:s,s:f,s:o,s:{s:i,s:i},s:o,s:i,s:o,s:b}", "version", PGW_SERVER_VERSION,
			      "uptime_seconds", (double)(rt_ops_now_us() - ops->started_us) / 1e6, "config", cfg,
			      "sessions", "count", n, "in_transaction", in_txn, "pools", pools_json(rt),
			      "prepared_in_doubt", open_count(ops), "maintenance", maintenance_json(ops), "draining",
			      ops->draining);
	rt_http_reply_json(req, 200, o);
}

static void answer_shards_health(RtOps *ops, struct evhttp_request *req)
{
	RtRouter *rt = ops->rt;
	json_t *arr = json_array();
	for (int i = 0; i < vsc_shard_count(rt->vschema); i++) {
		json_t *o = shard_json(ops, i);
		RtPoolStats st;
		rt_pool_stats(rt, i, &st);
		const RtShardHealth *h = &ops->health[i];
		json_object_set_new(o, "read_only", json_boolean(ops->read_only[i]));
		json_object_set_new(o, "maintenance", json_boolean(rt_ops_in_maintenance(ops)));
		json_object_set_new(o, "pool", json_pack("{s:i,s:i}", "active", st.active, "idle", st.idle));
		json_object_set_new(o, "statements", json_integer((json_int_t)rt->stats[i].statements));
		json_object_set_new(o, "errors", json_integer((json_int_t)rt->stats[i].errors));
		json_object_set_new(o, "rows", json_integer((json_int_t)rt->stats[i].rows));
		json_object_set_new(o, "storage_bytes", h->sized ? json_integer((json_int_t)h->db_bytes) : json_null());
		json_object_set_new(o, "wal_bytes", h->sized ? json_integer((json_int_t)h->wal_bytes) : json_null());
		json_array_append_new(arr, o);
	}
	rt_http_reply_json(req, 200, json_pack("{s:o}", "shards", arr));
}

static void get_shards_health(RtOps *ops, struct evhttp_request *req) { probe_start(ops, req, answer_shards_health, PROBE_SQL); }

/* POST /admin/compact: a CHECKPOINT on every shard (SQLite's truncating
 * WAL checkpoint once no writer is at work), then the shards' health with
 * their storage after it. */
static void post_compact(RtOps *ops, struct evhttp_request *req)
{
	log_info(NULL, "compact: a checkpoint on every shard");
	probe_start(ops, req, answer_shards_health, "CHECKPOINT;" PROBE_SQL);
}

static void answer_metrics(RtOps *ops, struct evhttp_request *req)
{
	Buf out;
	buf_init(&out);
	rt_metrics_render(ops->rt, &out);
	struct evbuffer *b = evbuffer_new();
	if (b)
		evbuffer_add(b, out.data, out.len);
	buf_cleanup(&out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	if (b)
		evbuffer_free(b);
}

/* A scrape checks the shards first, so their health, storage and slot
 * backlogs are as of the scrape. */
static void get_metrics(RtOps *ops, struct evhttp_request *req) { probe_start(ops, req, answer_metrics, PROBE_SQL); }

static void get_transactions(RtOps *ops, struct evhttp_request *req)
{
	int n;
	RtSession *const *all = rt_sessions(&n);
	json_t *arr = json_array();
	int64_t now = rt_ops_now_us();
	for (int i = 0; i < n; i++) {
		const RtSession *s = all[i];
		if (s->txn == RT_TXN_IDLE && s->nparts == 0)
			continue;
		json_t *shards = json_array();
		for (int k = 0; k < s->nparts; k++)
			json_array_append_new(shards, json_string(vsc_shard(ops->rt->vschema, s->parts[k])->name));
		const PgwConn *c = pgw_evconn_conn(s->ec);
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:s,s:o,s:f}", "session", (json_int_t)s->serial, "user",
						     c->user_name ? c->user_name : "", "client", pgw_evconn_peer(s->ec),
						     "state", s->txn == RT_TXN_FAILED ? "failed" : "open", "shards", shards,
						     "statement_seconds",
						     s->stmt_start_us ? (double)(now - s->stmt_start_us) / 1e6 : 0.0));
	}
	rt_http_reply_json(req, 200, json_pack("{s:i,s:o,s:i}", "count", (int)json_array_size(arr), "transactions", arr,
				       "prepared_in_doubt", open_count(ops)));
}

/* The request's body as JSON (an empty body is {}); NULL when it is not an object. */
json_t *rt_http_body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len == 0)
		return json_object();
	json_error_t err;
	json_t *o = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &err);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static void post_maintenance(RtOps *ops, struct evhttp_request *req, bool on)
{
	json_t *b = rt_http_body_json(req);
	json_t *reason = b ? json_object_get(b, "reason") : NULL, *mins = b ? json_object_get(b, "duration_minutes") : NULL;
	if (!b || (reason && !json_is_string(reason)) ||
	    (mins && (!json_is_integer(mins) || json_integer_value(mins) <= 0 || json_integer_value(mins) > 100000))) {
		json_decref(b);
		rt_http_reply_error(req, 400, "22023",
			    "expected {\"reason\": string, \"duration_minutes\": a positive number of minutes}");
		return;
	}
	rt_ops_maintenance(ops, on, reason ? json_string_value(reason) : "", mins ? json_integer_value(mins) : 30);
	json_decref(b);
	rt_http_reply_json(req, 200, maintenance_json(ops));
}

static void post_maintenance_on(RtOps *ops, struct evhttp_request *req) { post_maintenance(ops, req, true); }
static void post_maintenance_off(RtOps *ops, struct evhttp_request *req) { post_maintenance(ops, req, false); }

static void post_drain(RtOps *ops, struct evhttp_request *req)
{
	int n;
	(void)rt_sessions(&n);
	rt_http_reply_json(req, 202, json_pack("{s:s,s:i}", "status", "draining", "sessions", n));
	rt_ops_drain(ops);
}

/* ---------------------------------------------------------- routing */

/* The credentials an endpoint needs. */
enum { AUTH_NONE /* unless metrics_auth */, AUTH_ADMIN, AUTH_USER /* the handler checks a user's */ };

static const struct {
	enum evhttp_cmd_type method;
	const char *path;
	int auth;
	void (*fn)(RtOps *ops, struct evhttp_request *req);
} routes[] = {
	{EVHTTP_REQ_GET, "/health", AUTH_NONE, get_health},
	{EVHTTP_REQ_GET, "/health/deep", AUTH_NONE, get_health_deep},
	{EVHTTP_REQ_GET, "/metrics", AUTH_NONE, get_metrics},
	{EVHTTP_REQ_GET, "/admin/metrics", AUTH_ADMIN, get_metrics},
	{EVHTTP_REQ_GET, "/admin/status", AUTH_ADMIN, get_status},
	{EVHTTP_REQ_GET, "/admin/shards/health", AUTH_ADMIN, get_shards_health},
	{EVHTTP_REQ_GET, "/admin/transactions/active", AUTH_ADMIN, get_transactions},
	{EVHTTP_REQ_POST, "/admin/maintenance/enable", AUTH_ADMIN, post_maintenance_on},
	{EVHTTP_REQ_POST, "/admin/maintenance/disable", AUTH_ADMIN, post_maintenance_off},
	{EVHTTP_REQ_POST, "/admin/connections/drain", AUTH_ADMIN, post_drain},
	{EVHTTP_REQ_POST, "/admin/compact", AUTH_ADMIN, post_compact},
	{EVHTTP_REQ_POST, "/sql/query", AUTH_USER, rt_http_sql_query},
	{EVHTTP_REQ_POST, "/sql/exec", AUTH_USER, rt_http_sql_exec},
};

static void on_request(struct evhttp_request *req, void *arg)
{
	RtOps *ops = arg;
	const char *uri = evhttp_request_get_uri(req);
	size_t plen = strcspn(uri, "?");
	bool path_found = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strlen(routes[i].path) != plen || strncmp(routes[i].path, uri, plen) != 0)
			continue;
		path_found = true;
		if (routes[i].method != evhttp_request_get_command(req))
			continue;
		if (routes[i].auth != AUTH_USER && (routes[i].auth == AUTH_ADMIN || ops->cfg.metrics_auth) &&
		    !authorized(ops, req)) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
					  "Basic realm=\"dosql\"");
			rt_http_reply_error(req, 401, "28000", "authentication required: an admin user or the admin token");
			return;
		}
		routes[i].fn(ops, req);
		return;
	}
	if (path_found)
		rt_http_reply_error(req, 405, "0A000", "method not allowed");
	else
		rt_http_reply_error(req, 404, "42704", "no such endpoint");
}

/* Each HTTP connection over TLS when the router has a certificate. */
static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(arg);
	return ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;
}

bool rt_http_start(RtOps *ops)
{
	ops->http = evhttp_new(ops->rt->base);
	if (!ops->http)
		return false;
	evhttp_set_allowed_methods(ops->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(ops->http, 1 << 20);
	evhttp_set_timeout(ops->http, 60);
	evhttp_set_gencb(ops->http, on_request, ops);
	if (ops->rt->ssl_ctx)
		evhttp_set_bevcb(ops->http, tls_bev, ops->rt->ssl_ctx);
	if (evhttp_bind_socket(ops->http, ops->cfg.http_host, (ev_uint16_t)ops->cfg.http_port) != 0) {
		fprintf(stderr, "dosql: http: cannot listen on %s:%d\n", ops->cfg.http_host, ops->cfg.http_port);
		return false;
	}
	fprintf(stderr, "dosql: http on %s:%d%s\n", ops->cfg.http_host, ops->cfg.http_port,
		ops->rt->ssl_ctx ? " (TLS)" : "");
	return true;
}

void rt_http_stop(RtOps *ops)
{
	while (ops->probes) {
		RtProbe *p = ops->probes;
		ops->probes = p->next;
		for (int i = 0; i < p->n; i++)
			rt_pgasync_free(p->shards[i].a);
		event_free(p->deadline);
		free(p->shards);
		free(p);
	}
	if (ops->http)
		evhttp_free(ops->http);
	ops->http = NULL;
}
