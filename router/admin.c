/*
 * admin.c - the router's operations settings, maintenance and drain.
 *
 * A drain (SIGTERM, POST /admin/connections/drain, SHUTDOWN) stops taking
 * clients: new ones get 57P03.  Each session is closed with 57P01 as soon
 * as it is idle outside a transaction, so a transaction under way finishes
 * and what a client was told committed is committed.  The loop ends when
 * the last session went, or at shutdown_timeout_ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "router/ops.h"
#include "router/router.h"

static const char *const keys[] = {"http",
				   "admin_token",
				   "admin_users",
				   "metrics_auth",
				   "max_client_conn",
				   "shutdown_timeout_ms",
				   "health_timeout_ms",
				   "max_connections_per_ip",
				   "connections_per_second",
				   "connections_burst",
				   "authentication_timeout_ms",
				   "max_message_size",
				   "shard_timeout_ms",
				   "query_timeout_ms",
				   "log_level",
				   "log_format",
				   "log_min_duration_ms",
				   "log_parameters",
				   "pause_timeout_ms",
				   "pool_size",
				   "max_parallel_shards",
				   "acquire_timeout_ms",
				   "idle_timeout_ms",
				   "lookup_backfill_rows",
				   "log_file"};

bool rt_ops_config_key(const char *key)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

/* An integer from lo to hi, dflt when absent. */
static bool get_int(json_t *o, const char *key, const char *file, long long lo, long long hi, long long dflt,
		    const char *what, long long *out)
{
	json_t *v = json_object_get(o, key);
	*out = dflt;
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		fprintf(stderr, "dosql: %s: %s: expected %s from %lld to %lld\n", file, key, what, lo, hi);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

static bool load_http(json_t *root, const char *file, RtOpsConfig *c)
{
	json_t *h = json_object_get(root, "http");
	snprintf(c->http_host, sizeof(c->http_host), "127.0.0.1");
	if (!h)
		return true;
	json_t *host = json_object_get(h, "host"), *port = json_object_get(h, "port");
	const char *key;
	json_t *val;
	bool ok = json_is_object(h) && json_is_integer(port) && json_integer_value(port) > 0 &&
		  json_integer_value(port) <= 65535 && (!host || json_is_string(host));
	if (ok)
		json_object_foreach(h, key, val) ok = ok && (strcmp(key, "host") == 0 || strcmp(key, "port") == 0);
	if (!ok) {
		fprintf(stderr, "dosql: %s: http: expected {\"host\": string, \"port\": 1..65535}\n", file);
		return false;
	}
	if (host)
		snprintf(c->http_host, sizeof(c->http_host), "%s", json_string_value(host));
	c->http_port = (int)json_integer_value(port);
	return true;
}

static bool load_admin(json_t *root, const char *file, RtOpsConfig *c)
{
	json_t *tok = json_object_get(root, "admin_token"), *users = json_object_get(root, "admin_users");
	json_t *ma = json_object_get(root, "metrics_auth");
	if (tok && (!json_is_string(tok) || strlen(json_string_value(tok)) < 16)) {
		fprintf(stderr, "dosql: %s: admin_token: expected a string of at least 16 characters\n", file);
		return false;
	}
	if (ma && !json_is_boolean(ma)) {
		fprintf(stderr, "dosql: %s: metrics_auth: expected true or false\n", file);
		return false;
	}
	c->metrics_auth = ma && json_is_true(ma);
	if (tok)
		c->admin_token = strdup(json_string_value(tok));
	if (!users)
		return true;
	size_t i;
	json_t *u;
	bool ok = json_is_array(users);
	json_array_foreach(users, i, u) ok = ok && json_is_string(u) && json_string_value(u)[0];
	if (!ok) {
		fprintf(stderr, "dosql: %s: admin_users: expected an array of user names\n", file);
		return false;
	}
	c->admin_users = calloc(json_array_size(users) + 1, sizeof(char *));
	json_array_foreach(users, i, u) c->admin_users[c->nadmin_users++] = strdup(json_string_value(u));
	return true;
}

static bool load_log(json_t *root, const char *file, RtOpsConfig *c)
{
	json_t *lv = json_object_get(root, "log_level"), *fm = json_object_get(root, "log_format");
	LogLevel level = LOG_LEVEL_INFO;
	const char *l = json_string_value(lv);
	if (lv && (!l || (!log_level_parse(l, &level) && strcasecmp(l, "warn") != 0))) {
		fprintf(stderr, "dosql: %s: log_level: expected debug, info, notice, warn, error or fatal\n", file);
		return false;
	}
	if (l && strcasecmp(l, "warn") == 0)
		level = LOG_LEVEL_WARNING;
	const char *f = json_string_value(fm);
	if (fm && (!f || (strcmp(f, "text") != 0 && strcmp(f, "json") != 0))) {
		fprintf(stderr, "dosql: %s: log_format: expected \"text\" or \"json\"\n", file);
		return false;
	}
	json_t *lf = json_object_get(root, "log_file");
	if (lf && (!json_is_string(lf) || !json_string_value(lf)[0])) {
		fprintf(stderr, "dosql: %s: log_file: expected the path of a file\n", file);
		return false;
	}
	json_t *lp = json_object_get(root, "log_parameters");
	if (lp && !json_is_boolean(lp)) {
		fprintf(stderr, "dosql: %s: log_parameters: expected true or false\n", file);
		return false;
	}
	c->log_parameters = json_is_true(lp);
	c->log_file = lf ? strdup(json_string_value(lf)) : NULL;
	c->log_level = (int)level;
	c->log_json = f && strcmp(f, "json") == 0;
	return true;
}

bool rt_ops_config_load(json_t *root, const char *file, RtOpsConfig *c)
{
	memset(c, 0, sizeof(*c));
	long long mc, st, ht, ip, cps, burst, at, mm, sto, qto, lmd, pto, ps, acq, idle, mps, lbr;
	bool ok = load_http(root, file, c) && load_admin(root, file, c) && load_log(root, file, c) &&
		  get_int(root, "log_min_duration_ms", file, -1, 2147483647, -1, "milliseconds (-1: off)", &lmd) &&
		  get_int(root, "pause_timeout_ms", file, 1, 86400000, 30000, "milliseconds", &pto) &&
		  get_int(root, "max_client_conn", file, 0, 1000000, 0, "a number of connections", &mc) &&
		  get_int(root, "shutdown_timeout_ms", file, 0, 86400000, 0, "milliseconds", &st) &&
		  get_int(root, "health_timeout_ms", file, 1, 600000, 2000, "milliseconds", &ht) &&
		  get_int(root, "max_connections_per_ip", file, 0, 1000000, 0, "a number of connections", &ip) &&
		  get_int(root, "connections_per_second", file, 0, 1000000, 0, "a number of connections", &cps) &&
		  get_int(root, "connections_burst", file, 1, 1000000, cps > 0 ? cps : 1, "a number of connections",
			  &burst) &&
		  get_int(root, "authentication_timeout_ms", file, 0, 600000, 60000, "milliseconds", &at) &&
		  get_int(root, "max_message_size", file, 1024, 0x7FFFFFFF, PGW_DEFAULT_MAX_MESSAGE, "bytes", &mm) &&
		  get_int(root, "shard_timeout_ms", file, 0, 86400000, 0, "milliseconds", &sto) &&
		  get_int(root, "query_timeout_ms", file, 0, 2147483647, 0, "milliseconds", &qto) &&
		  get_int(root, "pool_size", file, 0, 1000000, 0, "a number of connections (0: no limit)", &ps) &&
		  get_int(root, "max_parallel_shards", file, 0, 1000000, 0, "a number of shards (0: no limit)", &mps) &&
		  get_int(root, "acquire_timeout_ms", file, 1, 86400000, 5000, "milliseconds", &acq) &&
		  get_int(root, "idle_timeout_ms", file, 0, 86400000, 600000, "milliseconds (0: never)", &idle) &&
		  get_int(root, "lookup_backfill_rows", file, 1, 1000000, 1000, "a number of rows", &lbr);
	if (!ok)
		return false;
	c->max_client_conn = (int)mc;
	c->shutdown_timeout_ms = st;
	c->health_timeout_ms = ht;
	c->max_connections_per_ip = (int)ip;
	c->connections_per_second = (int)cps;
	c->connections_burst = (int)burst;
	c->authentication_timeout_ms = at;
	c->max_message_size = mm;
	c->shard_timeout_ms = sto;
	c->query_timeout_ms = qto;
	c->log_min_duration_ms = lmd;
	c->pause_timeout_ms = pto;
	c->pool_size = (int)ps;
	c->max_parallel_shards = (int)mps;
	c->acquire_timeout_ms = acq;
	c->idle_timeout_ms = idle;
	c->lookup_backfill_rows = (int)lbr;
	return true;
}

void rt_ops_config_cleanup(RtOpsConfig *c)
{
	free(c->admin_token);
	free(c->passwd_file);
	free(c->log_file);
	free(c->config_file);
	for (int i = 0; i < c->nadmin_users; i++)
		free(c->admin_users[i]);
	free(c->admin_users);
	memset(c, 0, sizeof(*c));
}

int64_t rt_ops_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool rt_ops_start(RtRouter *rt, RtOps *ops, RtOpsConfig *cfg)
{
	memset(ops, 0, sizeof(*ops));
	ops->rt = rt;
	ops->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	ops->started_us = rt_ops_now_us();
	log_set_program("dosql");
	if (ops->cfg.log_file && !freopen(ops->cfg.log_file, "a", stderr)) {
		fprintf(stdout, "dosql: log_file: cannot open %s\n", ops->cfg.log_file);
		return false;
	}
	log_set_level((LogLevel)ops->cfg.log_level);
	log_set_json(ops->cfg.log_json);
	ops->tokens = ops->cfg.connections_burst;
	ops->tokens_us = ops->started_us;
	ops->health = calloc((size_t)vsc_shard_count(rt->vschema), sizeof(RtShardHealth));
	ops->read_only = calloc((size_t)vsc_shard_count(rt->vschema), sizeof(bool));
	ops->paused = calloc((size_t)vsc_shard_count(rt->vschema), sizeof(bool));
	ops->m.nshards = vsc_shard_count(rt->vschema);
	ops->m.shard_lat = calloc((size_t)ops->m.nshards, sizeof(*ops->m.shard_lat));
	ops->m.shard_lat_sum = calloc((size_t)ops->m.nshards, sizeof(double));
	rt->ops = ops;
	if (!ops->health || !ops->read_only || !ops->paused || !ops->m.shard_lat || !ops->m.shard_lat_sum)
		return false;
	return ops->cfg.http_port == 0 || rt_http_start(ops);
}

void rt_ops_reopen_log(RtOps *ops)
{
	if (ops->cfg.log_file && freopen(ops->cfg.log_file, "a", stderr))
		log_info(NULL, "log file reopened");
}

void rt_ops_stop(RtOps *ops)
{
	rt_http_stop(ops);
	if (ops->shutdown_timer)
		event_free(ops->shutdown_timer);
	ops->shutdown_timer = NULL;
	if (ops->pool_wake)
		event_free(ops->pool_wake);
	ops->pool_wake = NULL;
	free(ops->health);
	ops->health = NULL;
	free(ops->read_only);
	ops->read_only = NULL;
	free(ops->paused);
	ops->paused = NULL;
	free(ops->m.shard_lat);
	free(ops->m.shard_lat_sum);
	ops->m.shard_lat = NULL;
	ops->m.shard_lat_sum = NULL;
	rt_ops_config_cleanup(&ops->cfg);
}

bool rt_ops_in_maintenance(RtOps *ops)
{
	if (ops->maintenance_until_us && rt_ops_now_us() >= ops->maintenance_until_us)
		ops->maintenance_until_us = 0; /* its duration passed */
	return ops->maintenance_until_us != 0;
}

void rt_ops_maintenance(RtOps *ops, bool on, const char *reason, int64_t minutes)
{
	ops->maintenance_until_us = on ? rt_ops_now_us() + minutes * 60 * 1000000 : 0;
	snprintf(ops->maintenance_reason, sizeof(ops->maintenance_reason), "%s", on && reason ? reason : "");
	log_info(NULL, "maintenance %s%s%s", on ? "enabled" : "disabled", on && reason && *reason ? ": " : "",
		 on && reason ? reason : "");
}

/* The sessions from the address of s (its peer without the port). */
static int sessions_from(const RtSession *s)
{
	const char *peer = pgw_evconn_peer(s->ec), *colon = strrchr(peer, ':');
	size_t len = colon ? (size_t)(colon - peer) : strlen(peer);
	int n, same = 0;
	RtSession *const *all = rt_sessions(&n);
	for (int i = 0; i < n; i++) {
		const char *p = pgw_evconn_peer(all[i]->ec);
		same += strncmp(p, peer, len) == 0 && (p[len] == ':' || p[len] == 0);
	}
	return same;
}

bool rt_ops_take_token(RtOps *ops, bool take)
{
	if (ops->cfg.connections_per_second <= 0)
		return true;
	int64_t now = rt_ops_now_us();
	ops->tokens += (double)(now - ops->tokens_us) / 1e6 * ops->cfg.connections_per_second;
	if (ops->tokens > ops->cfg.connections_burst)
		ops->tokens = ops->cfg.connections_burst;
	ops->tokens_us = now;
	if (ops->tokens < 1)
		return false;
	if (take)
		ops->tokens -= 1;
	return true;
}

const char *rt_ops_refusal(RtOps *ops, const RtSession *s, const char **sqlstate)
{
	static char msg[300];
	int sessions;
	(void)rt_sessions(&sessions);
	*sqlstate = "57P03";
	if (ops->draining) {
		ops->m.refused_shutdown++;
		return "the database system is shutting down";
	}
	if (rt_ops_in_maintenance(ops)) {
		ops->m.refused_maintenance++;
		snprintf(msg, sizeof(msg), "the router is in maintenance%s%s", ops->maintenance_reason[0] ? ": " : "",
			 ops->maintenance_reason);
		return msg;
	}
	*sqlstate = "53300";
	if (ops->cfg.max_client_conn > 0 && sessions > ops->cfg.max_client_conn) {
		ops->m.refused_too_many++;
		snprintf(msg, sizeof(msg), "sorry, too many clients already (max_client_conn is %d)",
			 ops->cfg.max_client_conn);
		return msg;
	}
	if (ops->cfg.max_connections_per_ip > 0 && sessions_from(s) > ops->cfg.max_connections_per_ip) {
		ops->m.refused_per_ip++;
		snprintf(msg, sizeof(msg), "too many connections from this address (max_connections_per_ip is %d)",
			 ops->cfg.max_connections_per_ip);
		return msg;
	}
	if (!rt_ops_take_token(ops, true)) {
		ops->m.refused_rate++;
		snprintf(msg, sizeof(msg), "too many new connections (connections_per_second is %d, connections_burst %d)",
			 ops->cfg.connections_per_second, ops->cfg.connections_burst);
		return msg;
	}
	ops->m.connections_total++;
	return NULL;
}

static void on_auth_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtSession *s = arg;
	s->rt->ops->m.auth_timeouts++;
	pgw_evconn_close(s->ec); /* as PostgreSQL: closed without a word */
}

void rt_ops_session_accepted(RtOps *ops, RtSession *s)
{
	int64_t ms = ops->cfg.authentication_timeout_ms;
	if (ms <= 0)
		return;
	s->auth_timer = evtimer_new(ops->rt->base, on_auth_timeout, s);
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	if (s->auth_timer)
		evtimer_add(s->auth_timer, &tv);
}

void rt_ops_session_started(RtSession *s)
{
	if (s->auth_timer)
		event_free(s->auth_timer);
	s->auth_timer = NULL;
}

static void on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtOps *ops = arg;
	log_warning(NULL, "shutdown_timeout_ms passed with sessions left: stopping");
	event_base_loopbreak(ops->rt->base);
}

void rt_ops_drain(RtOps *ops)
{
	if (ops->draining)
		return;
	ops->draining = true;
	int n;
	RtSession *const *all = rt_sessions(&n);
	log_info(NULL, "draining %d session%s", n, n == 1 ? "" : "s");
	if (ops->cfg.shutdown_timeout_ms > 0) {
		ops->shutdown_timer = evtimer_new(ops->rt->base, on_shutdown_timeout, ops);
		struct timeval tv = {(time_t)(ops->cfg.shutdown_timeout_ms / 1000),
				     (suseconds_t)(ops->cfg.shutdown_timeout_ms % 1000) * 1000};
		if (ops->shutdown_timer)
			evtimer_add(ops->shutdown_timer, &tv);
	}
	/* sessions idle outside a transaction go now (from a copy: closing
	 * one takes it off the list only from the reaper, later) */
	for (int i = 0; i < n; i++)
		if (rt_session_is_idle(all[i]))
			rt_ops_session_idle(ops, all[i]);
	rt_ops_session_closed(ops, n);
}

bool rt_ops_session_idle(RtOps *ops, RtSession *s)
{
	if (!ops->draining || s->closing)
		return false;
	s->closing = true;
	pgw_send_fatalf(pgw_evconn_conn(s->ec), "57P01", "terminating connection due to administrator command");
	(void)pgw_evconn_flush(s->ec);
	return true;
}

void rt_ops_session_closed(RtOps *ops, int sessions_left)
{
	if (ops->draining && sessions_left == 0) {
		log_info(NULL, "the last session ended: stopping");
		event_base_loopbreak(ops->rt->base);
	}
}

int rt_ops_paused_shard(const RtOps *ops, const int *shards, int n)
{
	for (int i = 0; ops && ops->paused && i < n; i++)
		if (ops->paused[shards[i]])
			return shards[i];
	return -1;
}

bool rt_ops_is_admin(const RtOps *ops, const char *user)
{
	for (int i = 0; user && i < ops->cfg.nadmin_users; i++)
		if (strcmp(ops->cfg.admin_users[i], user) == 0)
			return true;
	return false;
}
