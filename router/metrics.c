/*
 * metrics.c - the router's counters and their Prometheus text exposition
 * (format 0.0.4): names in base units, counters ending in _total, one
 * HELP and TYPE line per family, so that `promtool check metrics` finds
 * nothing to report.  README maps the deployment guide's names to these.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "router/coord.h"
#include "router/ops.h"
#include "router/router.h"
#include "pgsql/translate.h"

/* Upper bounds of dosql_query_duration_seconds' buckets, in seconds. */
static const double bounds[RT_DURATION_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
						    0.025,  0.05,    0.1,    0.25,  0.5,    1,     5};

static const char *const kind_names[RT_SK_N] = {"select", "insert", "update", "delete", "other"};
static const char *const route_names[RT_SR_N] = {"single_shard", "scatter", "final_step", "router"};

/* Count one statement that took seconds. */
void rt_metrics_statement(RtMetrics *m, RtStmtKind kind, RtStmtRoute route, double seconds)
{
	int b = 0;
	while (b < RT_DURATION_BUCKETS && seconds > bounds[b])
		b++;
	m->dur_count[kind][route][b]++;
	m->dur_sum[kind][route] += seconds;
}

/* Count one error sent to a client, by its SQLSTATE's class (the first two
 * characters); classes past RT_ERROR_CLASSES distinct ones count as "XX". */
void rt_metrics_error(RtMetrics *m, const char *sqlstate)
{
	char cls[3] = {sqlstate && sqlstate[0] ? sqlstate[0] : 'X', sqlstate && sqlstate[0] && sqlstate[1] ? sqlstate[1] : 'X',
		       0};
	int i = 0;
	while (i < m->nclasses && memcmp(m->classes[i], cls, 2) != 0)
		i++;
	if (i == m->nclasses) {
		if (m->nclasses == RT_ERROR_CLASSES)
			i = RT_ERROR_CLASSES - 1;
		else
			memcpy(m->classes[m->nclasses++], cls, 3);
	}
	m->class_count[i]++;
}

void rt_metrics_shard_latency(RtMetrics *m, int shard, double seconds)
{
	int b = 0;
	while (b < RT_DURATION_BUCKETS && seconds > bounds[b])
		b++;
	m->shard_lat[shard][b]++;
	m->shard_lat_sum[shard] += seconds;
}

static void family(Buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped as the format asks. */
static void label_value(Buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			buf_put_str(out, "\\n");
		else
			buf_put(out, v, 1);
	}
}

static void shard_sample(Buf *out, const char *name, const char *shard, double v)
{
	buf_printf(out, "%s{shard=\"", name);
	label_value(out, shard);
	buf_printf(out, "\"} %.17g\n", v);
}

/* One histogram's buckets, sum and count (labels: its label text). */
static void histogram(Buf *out, const char *name, const char *labels, const uint64_t *counts, double sum)
{
	uint64_t cum = 0;
	for (int b = 0; b <= RT_DURATION_BUCKETS; b++) {
		cum += counts[b];
		buf_printf(out, "%s_bucket{%s,le=\"", name, labels);
		if (b < RT_DURATION_BUCKETS)
			buf_printf(out, "%g\"} %" PRIu64 "\n", bounds[b], cum);
		else
			buf_printf(out, "+Inf\"} %" PRIu64 "\n", cum);
	}
	buf_printf(out, "%s_sum{%s} %.9g\n", name, labels, sum);
	buf_printf(out, "%s_count{%s} %" PRIu64 "\n", name, labels, cum);
}

static void render_durations(const RtMetrics *m, Buf *out)
{
	family(out, "dosql_query_duration_seconds", "histogram",
	       "Time from a statement's start to its end in the router, by statement kind and route.");
	for (int k = 0; k < RT_SK_N; k++)
		for (int r = 0; r < RT_SR_N; r++) {
			char labels[80];
			snprintf(labels, sizeof(labels), "kind=\"%s\",route=\"%s\"", kind_names[k], route_names[r]);
			histogram(out, "dosql_query_duration_seconds", labels, m->dur_count[k][r], m->dur_sum[k][r]);
		}
	uint64_t scatter = 0, all = 0;
	for (int k = 0; k < RT_SK_N; k++)
		for (int r = 0; r < RT_SR_N; r++)
			for (int b = 0; b <= RT_DURATION_BUCKETS; b++) {
				all += m->dur_count[k][r][b];
				scatter += r == RT_SR_SCATTER || r == RT_SR_FINAL ? m->dur_count[k][r][b] : 0;
			}
	family(out, "shard_query_scatter_ratio", "gauge",
	       "Statements sent to more than one shard over all statements since the router started.");
	buf_printf(out, "shard_query_scatter_ratio %.17g\n", all ? (double)scatter / (double)all : 0.0);
}

/* Sessions, those in a transaction, those holding shard connections and
 * those waiting for shards, and the longest wait now. */
static void render_sessions(Buf *out)
{
	int n;
	RtSession *const *all = rt_sessions(&n);
	int in_txn = 0, linked = 0, waiting = 0;
	int64_t now = rt_ops_now_us(), maxwait = 0;
	for (int i = 0; i < n; i++) {
		const RtSession *s = all[i];
		in_txn += s->txn != RT_TXN_IDLE || s->nparts > 0;
		bool holds = false;
		for (int k = 0; k < s->nshards && !holds; k++)
			holds = s->backends[k] != NULL;
		linked += holds;
		if (s->waiting > 0) {
			waiting++;
			if (s->stmt_start_us && now - s->stmt_start_us > maxwait)
				maxwait = now - s->stmt_start_us;
		}
	}
	family(out, "dosql_connections", "gauge", "Client sessions connected to the router.");
	buf_printf(out, "dosql_connections %d\n", n);
	family(out, "dosql_active_transactions", "gauge", "Client sessions inside a transaction.");
	buf_printf(out, "dosql_active_transactions %d\n", in_txn);
	family(out, "dosql_pool_cl_active", "gauge", "Client sessions holding shard connections (pgbouncer's cl_active).");
	buf_printf(out, "dosql_pool_cl_active %d\n", linked);
	family(out, "dosql_pool_cl_waiting", "gauge", "Client sessions waiting for shards to answer (pgbouncer's cl_waiting).");
	buf_printf(out, "dosql_pool_cl_waiting %d\n", waiting);
	family(out, "dosql_pool_maxwait_seconds", "gauge", "The longest wait of a client session for shards now (pgbouncer's maxwait).");
	buf_printf(out, "dosql_pool_maxwait_seconds %.6f\n", (double)maxwait / 1e6);
}

typedef double (*ShardValue)(RtRouter *rt, int shard);

static double v_statements(RtRouter *rt, int i) { return (double)rt->stats[i].statements; }
static double v_errors(RtRouter *rt, int i) { return (double)rt->stats[i].errors; }
static double v_rows(RtRouter *rt, int i) { return (double)rt->stats[i].rows; }
static double v_sv_active(RtRouter *rt, int i)
{
	RtPoolStats st;
	rt_pool_stats(rt, i, &st);
	return st.active;
}
static double v_sv_idle(RtRouter *rt, int i)
{
	RtPoolStats st;
	rt_pool_stats(rt, i, &st);
	return st.idle;
}
static double v_up(RtRouter *rt, int i) { return rt->ops->health[i].checked && rt->ops->health[i].up; }
static double v_latency(RtRouter *rt, int i) { return rt->ops->health[i].latency_s; }
/* 0 when the last check failed or was never made, else 1 less the
 * latency's share of the check's deadline (a shard that answers at once
 * scores 1). */
static double v_score(RtRouter *rt, int i)
{
	const RtShardHealth *h = &rt->ops->health[i];
	if (!h->checked || !h->up)
		return 0;
	double deadline = (double)rt->ops->cfg.health_timeout_ms / 1000.0;
	double s = 1.0 - h->latency_s / deadline;
	return s < 0 ? 0 : s;
}

static const struct {
	const char *name, *type, *help;
	ShardValue value;
} shard_families[] = {
	{"dosql_shard_statements_total", "counter", "Statements the router sent to the shard.", v_statements},
	{"dosql_shard_errors_total", "counter", "Errors the shard returned to the router.", v_errors},
	{"dosql_shard_rows_total", "counter", "Rows the router received from the shard.", v_rows},
	{"dosql_pool_sv_active", "gauge", "Shard connections held by sessions (pgbouncer's sv_active).", v_sv_active},
	{"dosql_pool_sv_idle", "gauge", "Idle shard connections in the pool (pgbouncer's sv_idle).", v_sv_idle},
	{"dosql_shard_up", "gauge", "1 when the shard answered the last health check in time.", v_up},
	{"dosql_shard_check_latency_seconds", "gauge", "Round trip of the last health check of the shard.", v_latency},
	{"shard_health_score", "gauge", "0 when the last health check failed, else 1 less its latency's share of the deadline.",
	 v_score},
};

static void render_shards(RtRouter *rt, Buf *out)
{
	int n = vsc_shard_count(rt->vschema);
	for (size_t f = 0; f < sizeof(shard_families) / sizeof(shard_families[0]); f++) {
		family(out, shard_families[f].name, shard_families[f].type, shard_families[f].help);
		for (int i = 0; i < n; i++)
			shard_sample(out, shard_families[f].name, vsc_shard(rt->vschema, i)->name,
				     shard_families[f].value(rt, i));
	}
}

/* What the shards reported at the check this scrape made: their files,
 * the largest over the mean, and each slot's changes not yet confirmed
 * (summed over the shards).  A shard that did not answer has no sample. */
static void render_storage(RtRouter *rt, Buf *out)
{
	const RtShardHealth *h = rt->ops->health;
	int n = vsc_shard_count(rt->vschema), sized = 0;
	double sum = 0, max = 0;
	family(out, "dosql_storage_used_bytes", "gauge", "Bytes of the shard's SQLite database file.");
	for (int i = 0; i < n; i++)
		if (h[i].sized) {
			shard_sample(out, "dosql_storage_used_bytes", vsc_shard(rt->vschema, i)->name, (double)h[i].db_bytes);
			sized++;
			sum += (double)h[i].db_bytes;
			max = (double)h[i].db_bytes > max ? (double)h[i].db_bytes : max;
		}
	family(out, "dosql_wal_size_bytes", "gauge", "Bytes of the shard's SQLite write-ahead log.");
	for (int i = 0; i < n; i++)
		if (h[i].sized)
			shard_sample(out, "dosql_wal_size_bytes", vsc_shard(rt->vschema, i)->name, (double)h[i].wal_bytes);
	family(out, "shard_imbalance_ratio", "gauge",
	       "The largest shard's database bytes over the mean of the shards that answered (1 is even).");
	if (sized && sum > 0)
		buf_printf(out, "shard_imbalance_ratio %.17g\n", max / (sum / sized));
	/* each slot's backlog summed over the shards, in the order first seen */
	struct RtSlotLag lag[RT_HEALTH_SLOTS];
	int nlag = 0;
	for (int i = 0; i < n; i++)
		for (int k = 0; h[i].sized && k < h[i].nslots; k++) {
			int j = 0;
			while (j < nlag && strcmp(lag[j].name, h[i].slots[k].name) != 0)
				j++;
			if (j == nlag && nlag < RT_HEALTH_SLOTS)
				lag[nlag++] = (struct RtSlotLag){.pending = 0};
			if (j < nlag) {
				memcpy(lag[j].name, h[i].slots[k].name, sizeof(lag[j].name));
				lag[j].pending += h[i].slots[k].pending;
			}
		}
	family(out, "cdc_consumer_lag", "gauge", "Changes a replication slot has not confirmed, over every shard.");
	for (int j = 0; j < nlag; j++) {
		buf_put_str(out, "cdc_consumer_lag{slot=\"");
		label_value(out, lag[j].name);
		buf_printf(out, "\"} %" PRId64 "\n", lag[j].pending);
	}
}

static void render_shard_latency(RtRouter *rt, Buf *out)
{
	const RtMetrics *m = &rt->ops->m;
	family(out, "shard_latency_seconds", "histogram", "Round trip of the statements the router sent to the shard.");
	for (int i = 0; i < m->nshards; i++) {
		Buf l;
		buf_init(&l);
		buf_put_str(&l, "shard=\"");
		label_value(&l, vsc_shard(rt->vschema, i)->name);
		buf_put_str(&l, "\"");
		histogram(out, "shard_latency_seconds", buf_cstr(&l), m->shard_lat[i], m->shard_lat_sum[i]);
		buf_cleanup(&l);
	}
}

void rt_metrics_render(RtRouter *rt, Buf *out)
{
	const RtMetrics *m = &rt->ops->m;
	family(out, "dosql_info", "gauge", "The router's version.");
	buf_printf(out, "dosql_info{version=\"%s\"} 1\n", PGW_SERVER_VERSION);
	family(out, "dosql_uptime_seconds", "gauge", "Seconds since the router started.");
	buf_printf(out, "dosql_uptime_seconds %.3f\n", (double)(rt_ops_now_us() - rt->ops->started_us) / 1e6);
	render_sessions(out);
	family(out, "dosql_connections_total", "counter", "Client connections the router accepted.");
	buf_printf(out, "dosql_connections_total %" PRIu64 "\n", m->connections_total);
	family(out, "dosql_connections_refused_total", "counter", "Client connections refused, by reason.");
	buf_printf(out, "dosql_connections_refused_total{reason=\"max_client_conn\"} %" PRIu64 "\n", m->refused_too_many);
	buf_printf(out, "dosql_connections_refused_total{reason=\"maintenance\"} %" PRIu64 "\n", m->refused_maintenance);
	buf_printf(out, "dosql_connections_refused_total{reason=\"shutdown\"} %" PRIu64 "\n", m->refused_shutdown);
	buf_printf(out, "dosql_connections_refused_total{reason=\"max_connections_per_ip\"} %" PRIu64 "\n", m->refused_per_ip);
	buf_printf(out, "dosql_connections_refused_total{reason=\"connections_per_second\"} %" PRIu64 "\n", m->refused_rate);
	family(out, "dosql_authentication_timeouts_total", "counter",
	       "Connections closed for not finishing startup and authentication within authentication_timeout_ms.");
	buf_printf(out, "dosql_authentication_timeouts_total %" PRIu64 "\n", m->auth_timeouts);
	render_durations(m, out);
	family(out, "dosql_errors_total", "counter", "Errors sent to clients, by SQLSTATE class.");
	for (int i = 0; i < m->nclasses; i++)
		buf_printf(out, "dosql_errors_total{class=\"%s\"} %" PRIu64 "\n", m->classes[i], m->class_count[i]);
	render_shards(rt, out);
	render_shard_latency(rt, out);
	render_storage(rt, out);
	family(out, "dosql_2pc_committed_total", "counter", "Transactions over several shards whose commit decision was logged.");
	buf_printf(out, "dosql_2pc_committed_total %" PRIu64 "\n", m->tp_committed);
	family(out, "dosql_2pc_aborted_total", "counter", "Transactions over several shards rolled back after PREPARE.");
	buf_printf(out, "dosql_2pc_aborted_total %" PRIu64 "\n", m->tp_aborted);
	uint64_t rec_commit = 0, rec_rollback = 0;
	if (rt->coord)
		rt_coord_recovered(rt->coord, &rec_commit, &rec_rollback);
	family(out, "dosql_2pc_recovered_total", "counter",
	       "Prepared transactions the recovery finished on a shard, by outcome.");
	buf_printf(out, "dosql_2pc_recovered_total{outcome=\"commit\"} %" PRIu64 "\n", rec_commit);
	buf_printf(out, "dosql_2pc_recovered_total{outcome=\"rollback\"} %" PRIu64 "\n", rec_rollback);
	family(out, "dosql_maintenance", "gauge", "1 while new clients are refused for maintenance.");
	buf_printf(out, "dosql_maintenance %d\n", rt_ops_in_maintenance(rt->ops) ? 1 : 0);
	family(out, "dosql_draining", "gauge", "1 while the router drains its sessions to stop.");
	buf_printf(out, "dosql_draining %d\n", rt->ops->draining ? 1 : 0);
}

static RtStmtKind stmt_kind(const PgQuery__Node *n)
{
	if (!n)
		return RT_SK_OTHER;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return RT_SK_SELECT;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		return RT_SK_INSERT;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return RT_SK_UPDATE;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return RT_SK_DELETE;
	default:
		return RT_SK_OTHER;
	}
}

/* A leaf's route: one shard or several; a plan with a step in the router
 * above its leaves is a final step; what the router answers alone is its own. */
static RtStmtRoute stmt_route(const RtOp *op)
{
	if (!op)
		return RT_SR_LOCAL;
	switch (op->kind) {
	case RT_OP_REFUSE:
	case RT_OP_LOCAL:
	case RT_OP_SHOW:
	case RT_OP_SET:
	case RT_OP_EXPLAIN:
		return RT_SR_LOCAL;
	case RT_OP_FINAL:
	case RT_OP_AGGREGATE:
	case RT_OP_MERGE_SORT:
	case RT_OP_LIMIT:
		return RT_SR_FINAL;
	default:
		return op->nshards > 1 ? RT_SR_SCATTER : RT_SR_SINGLE;
	}
}

/* "  parameters: $1 = '7', $2 = NULL" for the statement's bound values,
 * as PostgreSQL's log_parameter_max_length -1 shows them (values sent in
 * binary as "(binary)"). */
static void put_parameters(Buf *out, const RtPortal *p)
{
	if (!p || p->params.n == 0)
		return;
	buf_put_str(out, "  parameters: ");
	for (int i = 0; i < p->params.n; i++) {
		const char *v = p->params.values[i];
		buf_printf(out, "%s$%d = ", i ? ", " : "", i + 1);
		if (!v)
			buf_put_str(out, "NULL");
		else if (p->params.formats && p->params.formats[i] == 1)
			buf_put_str(out, "(binary)");
		else
			pgs_put_literal(out, v, (size_t)p->params.lengths[i]);
	}
}

void rt_log_tag(LogTag *tag, const RtRouter *rt, const RtSession *s, int shard)
{
	const char *shard_name = shard >= 0 ? vsc_shard(rt->vschema, shard)->name : NULL;
	if (!s || !s->ec) {
		log_tag_set(tag, shard_name ? "shard \"%s\"" : NULL, shard_name);
		tag->shard = shard_name;
		return;
	}
	const PgwConn *c = pgw_evconn_conn(s->ec);
	const char *app = s->reported ? s->reported[RT_REPORTED_APPLICATION_NAME] : NULL;
	log_tag_set(tag, "session %llu (%s@%s %s%s%s)%s%s%s", (unsigned long long)s->serial,
		    c->user_name ? c->user_name : "", c->database ? c->database : "", pgw_evconn_peer(s->ec),
		    app && app[0] ? " " : "", app ? app : "", shard_name ? " shard \"" : "", shard_name ? shard_name : "",
		    shard_name ? "\"" : "");
	tag->session = s->serial;
	tag->user = c->user_name;
	tag->database = c->database;
	tag->application_name = app && app[0] ? app : NULL;
	tag->client = pgw_evconn_peer(s->ec);
	tag->shard = shard_name;
}

void rt_metrics_statement_end(RtSession *s)
{
	const RtPortal *portal = s->log_portal;
	s->log_portal = NULL;
	if (!s->stmt_start_us)
		return;
	double secs = (double)(rt_ops_now_us() - s->stmt_start_us) / 1e6;
	RtOps *ops = s->rt->ops;
	rt_metrics_statement(&ops->m, stmt_kind(s->cur), stmt_route(s->plan.root), secs);
	s->stmt_start_us = 0;
	if (ops->cfg.log_min_duration_ms >= 0 && secs * 1000 >= (double)ops->cfg.log_min_duration_ms &&
	    log_enabled(LOG_LEVEL_INFO)) {
		LogTag tag;
		rt_log_tag(&tag, s->rt, s, -1);
		Buf params;
		buf_init(&params);
		if (ops->cfg.log_parameters)
			put_parameters(&params, portal);
		log_write(LOG_LEVEL_INFO, &tag, "duration: %.3f ms  statement: %s%s", secs * 1000,
			  s->cur_text ? s->cur_text : "", buf_cstr(&params));
		buf_cleanup(&params);
	}
}
