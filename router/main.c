/*
 * main.c - dosql, the router: `dosql --config FILE`.
 *
 * FILE is JSON:
 *   {"listen": {"host": "127.0.0.1", "port": 6432}, "unix_socket_dir": "/tmp",
 *    "auth": "scram-sha-256", "passwd_file": "passwd", "vschema": "vschema.json",
 *    "shard_user": "dosql", "shard_database": "dosql",
 *    "tls": {"cert": "server.crt", "key": "server.key"},
 *    "data_dir": "router-data", "router_id": "r1",
 *    "prepared_abandon_ms": 60000, "recovery_interval_ms": 1000,
 *    "pool_max_idle": 100, "router_work_mem": "64MB",
 *    "max_intermediate_result_size": "1GB"}
 * plus the operations settings (http, admin_users, max_client_conn, ...:
 * router/ops.h, README's Operations section).
 * Relative paths are taken from the config file's directory; data_dir (the
 * two-phase commit log) defaults to that directory, and `--data DIR`
 * overrides it.  Any error names the file and what was expected, and the
 * router does not start.
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire/tls.h"
#include "router/ops.h"
#include "router/router.h"

typedef struct Config {
	char host[256];
	int port;
	char *unix_dir, *auth, *passwd_file, *vschema, *tls_cert, *tls_key;
	char *shard_user, *shard_database;
	char *data_dir, *router_id;
	long long abandon_ms, interval_ms;
	int pool_max_idle; /* idle connections kept per shard */
	RtOpsConfig ops;   /* ops.h */
	/* bytes: a final step's rows past work_mem spill to a temporary
	 * file, past max_intermediate the statement fails (-1 no limit) */
	long long work_mem, max_intermediate;
} Config;

static void config_free(Config *c)
{
	free(c->unix_dir);
	free(c->auth);
	free(c->passwd_file);
	free(c->vschema);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->shard_user);
	free(c->shard_database);
	free(c->data_dir);
	free(c->router_id);
	rt_ops_config_cleanup(&c->ops);
}

/* path relative to the config file's directory, malloc'd. */
static char *resolve(const char *dir, const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	size_t n = strlen(dir) + strlen(path) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", dir, path);
	return p;
}

static bool get_string(json_t *o, const char *key, const char *file, const char *dir, bool path, char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return true;
	if (!json_is_string(v)) {
		fprintf(stderr, "dosql: %s: %s: expected a string\n", file, key);
		return false;
	}
	free(*out);
	*out = path ? resolve(dir, json_string_value(v)) : strdup(json_string_value(v));
	return true;
}

/* A positive number of milliseconds, dflt when absent. */
static bool get_ms(json_t *o, const char *key, const char *file, long long dflt, long long *out)
{
	json_t *v = json_object_get(o, key);
	*out = dflt;
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		fprintf(stderr, "dosql: %s: %s: expected a positive number of milliseconds\n", file, key);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

/* A size as PostgreSQL's memory settings take it: an integer of kB, or a
 * string "n[kB|MB|GB|TB]"; -1 when allow_none (no limit). */
static bool get_size(json_t *o, const char *key, const char *file, long long dflt, bool allow_none, long long *out)
{
	static const struct {
		const char *unit;
		long long mult;
	} units[] = {{"", 1024}, {"kB", 1024}, {"MB", 1024LL * 1024}, {"GB", 1024LL * 1024 * 1024},
		     {"TB", 1024LL * 1024 * 1024 * 1024}};
	json_t *v = json_object_get(o, key);
	*out = dflt;
	if (!v)
		return true;
	long long n = -2;
	const char *unit = "";
	char *end = NULL;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		n = strtoll(json_string_value(v), &end, 10);
		unit = end == json_string_value(v) ? "?" : end;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		if (n == -1 && allow_none) {
			*out = -1;
			return true;
		}
		if (n > 0 && n <= (1LL << 50) / units[i].mult) {
			*out = n * units[i].mult;
			return true;
		}
	}
	fprintf(stderr, "dosql: %s: %s: expected a size, a number of kB or a string such as \"64MB\"%s\n", file, key,
		allow_none ? " (-1: no limit)" : "");
	return false;
}

static bool load_config(const char *file, Config *c)
{
	json_error_t jerr;
	json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fprintf(stderr, "dosql: %s:%d:%d: %s\n", file, jerr.line, jerr.column, jerr.text);
		return false;
	}
	char *copy = strdup(file);
	const char *dir = dirname(copy);
	bool ok = json_is_object(root);
	if (!ok)
		fprintf(stderr, "dosql: %s: expected a JSON object\n", file);
	static const char *const known[] = {"listen", "unix_socket_dir", "auth", "passwd_file", "vschema",
					    "shard_user", "shard_database", "tls", "data_dir", "router_id",
					    "prepared_abandon_ms", "recovery_interval_ms", "pool_max_idle",
					    "router_work_mem", "max_intermediate_result_size"};
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val)
	{
		bool found = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			found = found || strcmp(known[i], key) == 0;
		found = found || rt_ops_config_key(key);
		if (ok && !found) {
			fprintf(stderr, "dosql: %s: unknown setting \"%s\"\n", file, key);
			ok = false;
		}
	}
	snprintf(c->host, sizeof(c->host), "127.0.0.1");
	c->port = 6432;
	json_t *listen = ok ? json_object_get(root, "listen") : NULL;
	if (listen) {
		json_t *h = json_object_get(listen, "host"), *p = json_object_get(listen, "port");
		if ((h && !json_is_string(h)) || (p && (!json_is_integer(p) || json_integer_value(p) <= 0 ||
						   json_integer_value(p) > 65535))) {
			fprintf(stderr, "dosql: %s: listen: expected {\"host\": string, \"port\": 1..65535}\n", file);
			ok = false;
		} else {
			if (h)
				snprintf(c->host, sizeof(c->host), "%s", json_string_value(h));
			if (p)
				c->port = (int)json_integer_value(p);
		}
	}
	ok = ok && get_string(root, "unix_socket_dir", file, dir, true, &c->unix_dir) &&
	     get_string(root, "auth", file, dir, false, &c->auth) &&
	     get_string(root, "passwd_file", file, dir, true, &c->passwd_file) &&
	     get_string(root, "vschema", file, dir, true, &c->vschema) &&
	     get_string(root, "shard_user", file, dir, false, &c->shard_user) &&
	     get_string(root, "shard_database", file, dir, false, &c->shard_database);
	ok = ok && get_string(root, "data_dir", file, dir, true, &c->data_dir) &&
	     get_string(root, "router_id", file, dir, false, &c->router_id) &&
	     get_ms(root, "prepared_abandon_ms", file, 60000, &c->abandon_ms) &&
	     get_ms(root, "recovery_interval_ms", file, 1000, &c->interval_ms) &&
	     get_size(root, "router_work_mem", file, 64LL << 20, false, &c->work_mem) &&
	     get_size(root, "max_intermediate_result_size", file, 1LL << 30, true, &c->max_intermediate);
	json_t *mi = ok ? json_object_get(root, "pool_max_idle") : NULL;
	c->pool_max_idle = 100;
	if (mi && (!json_is_integer(mi) || json_integer_value(mi) < 0 || json_integer_value(mi) > 100000)) {
		fprintf(stderr, "dosql: %s: pool_max_idle: expected a number of connections from 0 to 100000\n", file);
		ok = false;
	} else if (mi) {
		c->pool_max_idle = (int)json_integer_value(mi);
	}
	ok = ok && rt_ops_config_load(root, file, &c->ops);
	if (ok && c->ops.log_file) {
		char *p = resolve(dir, c->ops.log_file);
		free(c->ops.log_file);
		c->ops.log_file = p;
	}
	if (ok && !c->data_dir)
		c->data_dir = strdup(dir);
	if (ok && c->router_id && (!c->router_id[0] || strspn(c->router_id, "abcdefghijklmnopqrstuvwxyz0123456789") !=
								  strlen(c->router_id) || strlen(c->router_id) > 20)) {
		fprintf(stderr, "dosql: %s: router_id: expected 1 to 20 lower-case letters and digits\n", file);
		ok = false;
	}
	json_t *tls = ok ? json_object_get(root, "tls") : NULL;
	if (tls)
		ok = get_string(tls, "cert", file, dir, true, &c->tls_cert) && get_string(tls, "key", file, dir, true, &c->tls_key);
	if (ok && !c->vschema) {
		fprintf(stderr, "dosql: %s: vschema: expected the path of the VSchema file\n", file);
		ok = false;
	}
	free(copy);
	json_decref(root);
	return ok;
}

/* SIGINT stops at once; SIGTERM drains (admin.c); SIGHUP reloads
 * (admin_cmd.c); SIGUSR1 reopens the log file. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	RtRouter *rt = arg;
	char err[512];
	if (sig == SIGTERM)
		rt_ops_drain(rt->ops);
	else if (sig == SIGHUP)
		(void)rt_ops_reload(rt->ops, err, sizeof(err));
	else if (sig == SIGUSR1)
		rt_ops_reopen_log(rt->ops);
	else
		event_base_loopbreak(rt->base);
}

/* The router's authentication (method, passwd file) and TLS context from
 * the config; false after saying why on stderr. */
static bool setup_auth(const char *file, const Config *cfg, RtRouter *rt)
{
	rt->pgw.max_message = PGW_DEFAULT_MAX_MESSAGE;
	rt->pgw.auth = PGW_AUTH_TRUST;
	if (cfg->auth && !pgw_auth_method_from_str(cfg->auth, &rt->pgw.auth)) {
		fprintf(stderr, "dosql: %s: auth: expected trust, password, md5 or scram-sha-256, got \"%s\"\n", file, cfg->auth);
		return false;
	}
	if (rt->pgw.auth != PGW_AUTH_TRUST && !cfg->passwd_file) {
		fprintf(stderr, "dosql: %s: auth %s needs passwd_file\n", file, cfg->auth);
		return false;
	}
	if (cfg->passwd_file) {
		char uerr[512];
		if (!pgw_users_load(&rt->users, cfg->passwd_file, uerr, sizeof(uerr))) {
			fprintf(stderr, "dosql: %s\n", uerr);
			return false;
		}
	}
	if (cfg->tls_cert || cfg->tls_key) {
		if (!cfg->tls_cert || !cfg->tls_key) {
			fprintf(stderr, "dosql: %s: tls needs both cert and key\n", file);
			return false;
		}
		rt->ssl_ctx = pgw_tls_context(cfg->tls_cert, cfg->tls_key);
		if (!rt->ssl_ctx)
			return false;
		rt->pgw.tls_available = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *data = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else {
			fprintf(stderr, "usage: dosql --config FILE [--data DIR]\n");
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "usage: dosql --config FILE [--data DIR]\n");
		return 2;
	}
	Config cfg;
	memset(&cfg, 0, sizeof(cfg));
	static RtRouter rt;
	static RtOps ops;
	int rc = 2;
	struct event *sigint = NULL, *sigterm = NULL, *sighup = NULL, *sigusr1 = NULL;
	if (!load_config(file, &cfg))
		goto out;
	char err[1024];
	if (data) {
		free(cfg.data_dir);
		cfg.data_dir = strdup(data);
	}
	rt.vschema_path = strdup(cfg.vschema);
	size_t olen = strlen(cfg.data_dir) + 32;
	rt.overlay_path = malloc(olen);
	snprintf(rt.overlay_path, olen, "%s/vschema-changes.json", cfg.data_dir);
	rt.backfill_path = malloc(olen);
	if (rt.backfill_path)
		snprintf(rt.backfill_path, olen, "%s/lookup-backfill.json", cfg.data_dir);
	rt.vschema = vsc_load_overlay(cfg.vschema, rt.overlay_path, err, sizeof(err));
	if (!rt.vschema) {
		fprintf(stderr, "dosql: %s\n", err);
		goto out;
	}
	rt.stats = calloc((size_t)vsc_shard_count(rt.vschema), sizeof(*rt.stats));
	rt_merge_limits(cfg.work_mem, cfg.max_intermediate);
	if (!rt.stats)
		goto out;
	if (!setup_auth(file, &cfg, &rt))
		goto out;
	rt.shard_user = strdup(cfg.shard_user ? cfg.shard_user : "dosql");
	rt.shard_database = strdup(cfg.shard_database ? cfg.shard_database : "dosql");

	signal(SIGPIPE, SIG_IGN);
	rc = 1;
	RtCoordConfig cc = {.data_dir = cfg.data_dir,
			    .router_id = cfg.router_id ? cfg.router_id : "r1",
			    .abandon_us = cfg.abandon_ms * 1000,
			    .interval_us = cfg.interval_ms * 1000,
			    .vschema = rt.vschema,
			    .shard_user = rt.shard_user,
			    .shard_database = rt.shard_database};
	rt.coord = rt_coord_start(&cc);
	if (!rt.coord)
		goto out;
	rt.base = event_base_new();
	if (!rt.base || !rt_pools_create(&rt, cfg.pool_max_idle))
		goto out;
	rt.decisions = event_new(rt.base, rt_coord_notify_fd(rt.coord), EV_READ | EV_PERSIST, rt_txn_decisions, &rt);
	if (!rt.decisions || event_add(rt.decisions, NULL) != 0)
		goto out;
	PgwEvServerOptions o = {.cfg = &rt.pgw, .ssl_ctx = rt.ssl_ctx, .arg = &rt};
	o.cb.on_accept = rt_session_accept;
	o.cb.on_close = rt_session_close;
	rt.server = pgw_evserver_create(rt.base, &o);
	if (!rt.server || !pgw_evserver_listen_tcp(rt.server, cfg.host, cfg.port))
		goto out;
	if (cfg.unix_dir && !pgw_evserver_listen_unix(rt.server, cfg.unix_dir, cfg.port))
		goto out;
	rt.pgw.max_message = (uint32_t)cfg.ops.max_message_size;
	snprintf(cfg.ops.listen_host, sizeof(cfg.ops.listen_host), "%s", cfg.host);
	cfg.ops.listen_port = cfg.port;
	cfg.ops.config_file = strdup(file);
	if (cfg.passwd_file)
		cfg.ops.passwd_file = strdup(cfg.passwd_file);
	if (!rt_ops_start(&rt, &ops, &cfg.ops))
		goto out;
	rt_backfill_resume(&rt);
	sigint = evsignal_new(rt.base, SIGINT, on_signal, &rt);
	sigterm = evsignal_new(rt.base, SIGTERM, on_signal, &rt);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	sighup = evsignal_new(rt.base, SIGHUP, on_signal, &rt);
	event_add(sighup, NULL);
	sigusr1 = evsignal_new(rt.base, SIGUSR1, on_signal, &rt);
	event_add(sigusr1, NULL);
	fprintf(stderr, "dosql: routing %s:%d to %d shards (auth %s%s)\n", cfg.host, cfg.port,
		vsc_shard_count(rt.vschema), pgw_auth_method_to_str(rt.pgw.auth), rt.ssl_ctx ? ", TLS" : "");
	event_base_dispatch(rt.base);
	fprintf(stderr, "dosql: stopped\n");
	rc = 0;
out:
	if (rt.server)
		pgw_evserver_destroy(rt.server);
	rt_ops_stop(&ops);
	if (rt.decisions)
		event_free(rt.decisions);
	rt_coord_stop(rt.coord);
	rt_pools_free(&rt); /* their events first: the loop goes next */
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (sighup)
		event_free(sighup);
	if (sigusr1)
		event_free(sigusr1);
	if (rt.base)
		event_base_free(rt.base);
	if (rt.ssl_ctx)
		SSL_CTX_free(rt.ssl_ctx);
	pgw_users_cleanup(&rt.users);
	rt_column_types_forget(&rt);
	rt_seq_free(&rt);
	rt_lookup_conns_free(&rt);
	rt_backfill_free_all(&rt);
	for (int i = 0; i < rt.ndescs; i++)
		rt_desc_free(rt.descs[i]);
	free(rt.descs);
	if (rt.meta)
		PQfinish(rt.meta);
	rt_describer_free(&rt);
	free(rt.shard_user);
	free(rt.shard_database);
	free(rt.stats);
	vsc_free(rt.vschema);
	for (int i = 0; i < rt.nold; i++)
		vsc_free(rt.old_vschemas[i]);
	free(rt.old_vschemas);
	rt_plancache_free(&rt);
	rt_merge_pool_free();
	rt_op_cache_free();
	free(rt.vschema_path);
	free(rt.overlay_path);
	free(rt.backfill_path);
	config_free(&cfg);
	return rc;
}
