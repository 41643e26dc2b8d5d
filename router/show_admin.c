/*
 * show_admin.c - the admin console's SHOW commands, as pgbouncer's and
 * PgDog's: SHOW SHARDS, CLIENTS, SERVERS, CONFIG, LISTS, VERSION and
 * LOOKUP_BACKFILL (rows of show.c's table), answered from the router's
 * own state.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "router/ops.h"
#include "router/router.h"

#define TEXT(n) {n, 0, 0, 25, -1, -1, 0}
#define INT8(n) {n, 0, 0, 20, 8, -1, 0}
#define FLOAT8(n) {n, 0, 0, 701, 8, -1, 0}

static void finish(RtSession *s, int rows)
{
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", rows);
	pgw_send_command_complete(pgw_evconn_conn(s->ec), tag);
}

static Buf *out(RtSession *s) { return &pgw_evconn_conn(s->ec)->out; }

/* SHOW SHARDS: per shard its address, its state at the last health check
 * (/health/deep), read-only, the statements, errors and rows it saw and
 * its pool. */
void rt_show_shards(RtSession *s)
{
	static const PgwField f[] = {TEXT("shard"),  TEXT("address"), TEXT("status"),     FLOAT8("latency_ms"),
				     TEXT("read_only"), INT8("statements"), INT8("errors"), INT8("rows"),
				     INT8("sv_active"), INT8("sv_idle")};
	enum { N = sizeof(f) / sizeof(f[0]) };
	rt_show_row_description(s, N, f);
	RtRouter *rt = s->rt;
	int n = vsc_shard_count(rt->vschema);
	for (int i = 0; i < n; i++) {
		const VscShard *sh = vsc_shard(rt->vschema, i);
		const RtShardHealth *h = &rt->ops->health[i];
		RtPoolStats ps;
		rt_pool_stats(rt, i, &ps);
		char addr[300], lat[32], st[24], er[24], rows[24], act[16], idle[16];
		rt_shard_address(sh, addr, sizeof(addr));
		snprintf(lat, sizeof(lat), "%.3f", h->latency_s * 1000);
		snprintf(st, sizeof(st), "%" PRIu64, rt->stats[i].statements);
		snprintf(er, sizeof(er), "%" PRIu64, rt->stats[i].errors);
		snprintf(rows, sizeof(rows), "%" PRIu64, rt->stats[i].rows);
		snprintf(act, sizeof(act), "%d", ps.active);
		snprintf(idle, sizeof(idle), "%d", ps.idle);
		const char *vals[N] = {sh->name, addr, !h->checked ? "unknown" : h->up ? "up" : h->timed_out ? "timeout" : "down",
				       lat, rt->ops->read_only[i] ? "yes" : "no", st, er, rows, act, idle};
		rt_put_text_row(out(s), N, vals);
	}
	finish(s, n);
}

static const char *client_state(const RtSession *s)
{
	if (s->parked)
		return rt_session_parked_for_pool(s) ? "waiting for a connection" : "paused";
	if (s->waiting > 0)
		return "waiting";
	if (s->sql || s->portal)
		return "active";
	if (s->txn == RT_TXN_FAILED)
		return "idle in transaction (aborted)";
	if (s->txn != RT_TXN_IDLE || s->nparts > 0)
		return "idle in transaction";
	return "idle";
}

/* SHOW CLIENTS: every client session: its id, user, database,
 * application_name, address, state, how long it has been connected and
 * how long its statement has run, and the shards it holds connections to. */
void rt_show_clients(RtSession *s)
{
	static const PgwField f[] = {INT8("id"),         TEXT("user"),  TEXT("database"),
				     TEXT("application_name"), TEXT("address"), TEXT("state"),
				     FLOAT8("connected_s"),  FLOAT8("statement_s"), TEXT("shards")};
	enum { N = sizeof(f) / sizeof(f[0]) };
	rt_show_row_description(s, N, f);
	int n;
	RtSession *const *all = rt_sessions(&n);
	int64_t now = rt_ops_now_us();
	for (int i = 0; i < n; i++) {
		const RtSession *t = all[i];
		const PgwConn *c = pgw_evconn_conn(t->ec);
		char id[24], conn_s[32], stmt_s[32], shards[512] = "";
		size_t len = 0;
		snprintf(id, sizeof(id), "%" PRIu64, t->serial);
		snprintf(conn_s, sizeof(conn_s), "%.3f", (double)(now - t->connected_us) / 1e6);
		snprintf(stmt_s, sizeof(stmt_s), "%.3f",
			 t->waiting > 0 && t->stmt_start_us ? (double)(now - t->stmt_start_us) / 1e6 : 0.0);
		for (int k = 0; k < t->nshards; k++)
			if (t->backends[k] && len < sizeof(shards))
				len += (size_t)snprintf(shards + len, sizeof(shards) - len, "%s%s", len ? "," : "",
							vsc_shard(s->rt->vschema, k)->name);
		const char *app = t->reported ? t->reported[RT_REPORTED_APPLICATION_NAME] : "";
		const char *vals[N] = {id,	  c->user_name ? c->user_name : "", c->database ? c->database : "",
				       app ? app : "", pgw_evconn_peer(t->ec),    client_state(t),
				       conn_s,	  stmt_s,			   shards};
		rt_put_text_row(out(s), N, vals);
	}
	finish(s, n);
}

static const char *backend_state(RtBackendState st)
{
	static const char *const names[] = {"connecting", "idle", "active", "copy in", "copy out", "broken"};
	return (int)st >= 0 && (size_t)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* SHOW SERVERS: the shard connections: those sessions hold (with the
 * session and the connection's state) and those idle in the pools. */
void rt_show_servers(RtSession *s)
{
	static const PgwField f[] = {TEXT("shard"), TEXT("address"), TEXT("state"), TEXT("client_id")};
	rt_show_row_description(s, 4, f);
	int n, rows = 0;
	RtSession *const *all = rt_sessions(&n);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < all[i]->nshards; k++) {
			const RtBackend *b = all[i]->backends[k];
			if (!b)
				continue;
			char addr[300], id[24];
			rt_shard_address(vsc_shard(s->rt->vschema, k), addr, sizeof(addr));
			snprintf(id, sizeof(id), "%" PRIu64, all[i]->serial);
			const char *vals[4] = {vsc_shard(s->rt->vschema, k)->name, addr, backend_state(b->state), id};
			rt_put_text_row(out(s), 4, vals);
			rows++;
		}
	for (int k = 0; k < vsc_shard_count(s->rt->vschema); k++) {
		RtPoolStats ps;
		rt_pool_stats(s->rt, k, &ps);
		char addr[300];
		rt_shard_address(vsc_shard(s->rt->vschema, k), addr, sizeof(addr));
		for (int j = 0; j < ps.idle; j++, rows++) {
			const char *vals[4] = {vsc_shard(s->rt->vschema, k)->name, addr, "pooled", ""};
			rt_put_text_row(out(s), 4, vals);
		}
	}
	finish(s, rows);
}

/* SHOW CONFIG: the operations settings and their values (secrets shown
 * only as set or not). */
void rt_show_config(RtSession *s)
{
	static const PgwField f[] = {TEXT("key"), TEXT("value")};
	rt_show_row_description(s, 2, f);
	const RtOpsConfig *c = &s->rt->ops->cfg;
	char http[300] = "", mcc[16], st[24], ht[24], pmi[16], ps[16], acq[24], idle[24], users[512] = "";
	if (c->http_port)
		snprintf(http, sizeof(http), "%s:%d", c->http_host, c->http_port);
	snprintf(mcc, sizeof(mcc), "%d", c->max_client_conn);
	snprintf(st, sizeof(st), "%" PRId64, c->shutdown_timeout_ms);
	snprintf(ht, sizeof(ht), "%" PRId64, c->health_timeout_ms);
	snprintf(pmi, sizeof(pmi), "%d", s->rt->pool_max_idle);
	snprintf(ps, sizeof(ps), "%d", c->pool_size);
	snprintf(acq, sizeof(acq), "%" PRId64, c->acquire_timeout_ms);
	snprintf(idle, sizeof(idle), "%" PRId64, c->idle_timeout_ms);
	size_t len = 0;
	for (int i = 0; i < c->nadmin_users && len < sizeof(users); i++)
		len += (size_t)snprintf(users + len, sizeof(users) - len, "%s%s", i ? "," : "", c->admin_users[i]);
	const char *rows[][2] = {
		{"auth", pgw_auth_method_to_str(s->rt->pgw.auth)},
		{"tls", s->rt->ssl_ctx ? "on" : "off"},
		{"http", http},
		{"admin_users", users},
		{"admin_token", c->admin_token ? "(set)" : ""},
		{"metrics_auth", c->metrics_auth ? "on" : "off"},
		{"max_client_conn", mcc},
		{"shutdown_timeout_ms", st},
		{"health_timeout_ms", ht},
		{"pool_max_idle", pmi},
		{"pool_size", ps},
		{"acquire_timeout_ms", acq},
		{"idle_timeout_ms", idle},
	};
	int n = (int)(sizeof(rows) / sizeof(rows[0]));
	for (int i = 0; i < n; i++)
		rt_put_text_row(out(s), 2, rows[i]);
	finish(s, n);
}

/* SHOW LISTS: how many of each thing the router holds. */
void rt_show_lists(RtSession *s)
{
	static const PgwField f[] = {TEXT("list"), INT8("items")};
	rt_show_row_description(s, 2, f);
	int n, in_txn = 0, active = 0, idle = 0, entries;
	uint64_t hits, misses;
	RtSession *const *all = rt_sessions(&n);
	for (int i = 0; i < n; i++)
		in_txn += all[i]->txn != RT_TXN_IDLE || all[i]->nparts > 0;
	for (int k = 0; k < vsc_shard_count(s->rt->vschema); k++) {
		RtPoolStats ps;
		rt_pool_stats(s->rt, k, &ps);
		active += ps.active;
		idle += ps.idle;
	}
	rt_plancache_stats(s->rt, &entries, &hits, &misses);
	const struct {
		const char *name;
		int v;
	} rows[] = {{"shards", vsc_shard_count(s->rt->vschema)},
		    {"tables", vsc_table_count(s->rt->vschema)},
		    {"clients", n},
		    {"clients_in_transaction", in_txn},
		    {"servers_active", active},
		    {"servers_idle", idle},
		    {"plan_cache", entries}};
	int nrows = (int)(sizeof(rows) / sizeof(rows[0]));
	for (int i = 0; i < nrows; i++) {
		char v[16];
		snprintf(v, sizeof(v), "%d", rows[i].v);
		const char *vals[2] = {rows[i].name, v};
		rt_put_text_row(out(s), 2, vals);
	}
	finish(s, nrows);
}

/* SHOW LOOKUP_BACKFILL: the lookup backfill jobs (backfill.c), newest
 * first: state, shards and rows done, and why one failed. */
void rt_show_backfill(RtSession *s)
{
	static const PgwField f[] = {TEXT("table"),	TEXT("column"), TEXT("vindex"),	    TEXT("state"),
				     INT8("shards_done"), INT8("shards"), INT8("rows_done"), INT8("rows_total"),
				     TEXT("sqlstate"),	TEXT("error")};
	rt_show_row_description(s, 10, f);
	RtBackfillRow rows[64];
	int n = rt_backfill_rows(s->rt, rows, 64);
	for (int i = 0; i < n; i++) {
		const RtBackfillRow *r = &rows[i];
		char sd[16], sh[16], rd[24], rtot[24];
		snprintf(sd, sizeof(sd), "%d", r->shards_done);
		snprintf(sh, sizeof(sh), "%d", r->shards);
		snprintf(rd, sizeof(rd), "%lld", r->rows_done);
		snprintf(rtot, sizeof(rtot), "%lld", r->rows_total);
		const char *vals[10] = {r->table, r->column, r->vindex, r->state, sd, sh, rd, rtot, r->sqlstate, r->error};
		rt_put_text_row(out(s), 10, vals);
	}
	finish(s, n);
}

void rt_show_version(RtSession *s)
{
	static const PgwField f[] = {TEXT("version")};
	rt_show_row_description(s, 1, f);
	const char *v[1] = {"DoSQL router, PostgreSQL " PGW_SERVER_VERSION};
	rt_put_text_row(out(s), 1, v);
	finish(s, 1);
}
