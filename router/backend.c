/*
 * backend.c - a session's non-blocking libpq connection to one shard, on
 * the router's event loop.
 *
 * Connect with PQconnectStartParams/PQconnectPoll, re-arming the socket
 * event as libpq asks; send with PQsendQuery + PQflush (EV_WRITE while
 * output is pending); on EV_READ, PQconsumeInput and hand every complete
 * result to the session.  Rows stream one at a time (single-row mode).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "router/ops.h"
#include "router/router.h"

static void on_event(evutil_socket_t fd, short what, void *arg);
static void deadline_arm(RtBackend *b);

typedef struct RtParamsOp {
	char *sql;
	int n;
	char **values;
	int *lengths, *formats;
	Oid *types;
	int result_format;
} RtParamsOp;

static void op_free(RtParamsOp *op)
{
	if (!op)
		return;
	for (int i = 0; i < op->n; i++)
		free(op->values[i]);
	free(op->values);
	free(op->lengths);
	free(op->formats);
	free(op->types);
	free(op->sql);
	free(op);
}

/* A statement prepared on a backend: its text and parameter types. */
struct RtPrepared {
	char *sql;
	int n;
	Oid *types;
};

/* At most this many statements are prepared per backend; others run
 * unnamed (parsed each time). */
#define RT_MAX_PREPARED 256

/* Parameter types alike; NULL is every type unspecified. */
static bool same_types(const Oid *a, const Oid *b, int n)
{
	for (int i = 0; i < n; i++)
		if ((a ? a[i] : 0) != (b ? b[i] : 0))
			return false;
	return true;
}

/* The name of the statement prepared k-th on a connection: dosql_<k>. */
static void stmt_name(char name[32], int k)
{
	memcpy(name, "dosql_", 6);
	name[6 + buf_fmt_u64(name + 6, (uint64_t)k)] = 0;
}

static int find_prepared(const RtBackend *b, const char *sql, int n, const Oid *types)
{
	for (int i = 0; i < b->nprepared; i++) {
		const struct RtPrepared *p = &b->prepared[i];
		if (p->n == n && strcmp(p->sql, sql) == 0 && same_types(p->types, types, n))
			return i;
	}
	return -1;
}

static void forget_prepared(RtBackend *b, int i)
{
	free(b->prepared[i].sql);
	free(b->prepared[i].types);
	b->prepared[i] = b->prepared[--b->nprepared];
}

/* Prepare sql on b as the next "dosql_<i>" (its Prepare is a result to
 * skip; the statement follows when it is done).  False when it is not
 * prepared (the table is full, or out of memory): run it unnamed. */
static bool prepare_next(RtBackend *b, const char *sql, int n, const Oid *types, bool *sent)
{
	*sent = false;
	if (b->nprepared >= RT_MAX_PREPARED)
		return false;
	if (!b->prepared && !(b->prepared = calloc(RT_MAX_PREPARED, sizeof(*b->prepared))))
		return false;
	struct RtPrepared *p = &b->prepared[b->nprepared];
	p->sql = strdup(sql);
	p->n = n;
	p->types = calloc((size_t)n + 1, sizeof(Oid));
	if (!p->sql || !p->types) {
		free(p->sql);
		free(p->types);
		return false;
	}
	if (types)
		memcpy(p->types, types, sizeof(Oid) * (size_t)n);
	b->preparing = b->nprepared++;
	char name[32];
	stmt_name(name, b->preparing);
	b->skip_results = 1;
	*sent = PQsendPrepare(b->pg, name, sql, n, p->types) != 0;
	return true;
}

/* Run a statement prepared on b (k >= 0) or unnamed (k < 0). */
static bool send_statement(RtBackend *b, int k, const char *sql, int n, const Oid *types, const char *const *values,
			   const int *lengths, const int *formats, int result_format)
{
	bool ok;
	if (k >= 0) {
		char name[32];
		stmt_name(name, k);
		b->rt->stats[b->shard].prepared++;
		ok = PQsendQueryPrepared(b->pg, name, n, values, lengths, formats, result_format);
	} else {
		ok = PQsendQueryParams(b->pg, sql, n, types, values, lengths, formats, result_format);
	}
	return ok && PQsetSingleRowMode(b->pg);
}

/* Send the queued parameterized statement; false when libpq refuses.  A
 * text this connection has not prepared is prepared first. */
static bool send_op(RtBackend *b)
{
	RtParamsOp *op = b->next_op;
	b->prefix_chars = 0; /* positions in its errors count from the statement */
	b->begin_chars = 0;
	int k = find_prepared(b, op->sql, op->n, op->types);
	bool sent;
	if (k < 0 && prepare_next(b, op->sql, op->n, op->types, &sent))
		return sent;
	b->next_op = NULL;
	b->preparing = -1;
	bool ok = send_statement(b, k, op->sql, op->n, op->types, (const char *const *)op->values, op->lengths,
				 op->formats, op->result_format);
	op_free(op);
	return ok;
}

/* (Re)arm the socket event for the given direction; an event already armed
 * so is left alone (no epoll change per statement). */
static void arm(RtBackend *b, short what)
{
	if (b->ev && event_get_events(b->ev) == what && event_pending(b->ev, what, NULL))
		return;
	if (b->ev) {
		event_del(b->ev);
		event_free(b->ev);
		b->ev = NULL;
	}
	int fd = PQsocket(b->pg);
	if (fd < 0)
		return;
	b->ev = event_new(b->rt->base, fd, what, on_event, b);
	if (b->ev)
		event_add(b->ev, NULL);
}

static void deadline_clear(RtBackend *b)
{
	if (b->deadline)
		event_free(b->deadline);
	b->deadline = NULL;
}

static void fail(RtBackend *b, const char *why)
{
	char msg[512];
	const VscShard *sh = vsc_shard(b->rt->vschema, b->shard);
	deadline_clear(b);
	if (b->timed_out)
		snprintf(msg, sizeof(msg), "canceling statement due to shard_timeout_ms: shard \"%s\" did not answer within %lld ms",
			 sh->name, (long long)b->rt->ops->cfg.shard_timeout_ms);
	else
		snprintf(msg, sizeof(msg), "shard \"%s\" is unavailable: %s", sh->name, why);
	char *nl = strchr(msg, '\n');
	if (nl)
		*nl = 0;
	b->state = RT_BE_BROKEN;
	if (b->ev) {
		event_del(b->ev);
		event_free(b->ev);
		b->ev = NULL;
	}
	if (log_enabled(LOG_LEVEL_WARNING)) {
		LogTag tag;
		rt_log_tag(&tag, b->rt, b->sess, b->shard);
		log_write(LOG_LEVEL_WARNING, &tag, "%s", msg);
	}
	if (b->sess)
		rt_session_backend_failed(b->sess, b, msg);
}

/* PQcancel waits for the shard to close the cancel connection, which a
 * stopped shard never does: it runs on a thread of its own. */
static void *cancel_thread(void *arg)
{
	char err[256];
	PQcancel(arg, err, sizeof(err));
	PQfreeCancel(arg);
	return NULL;
}

/* shard_timeout_ms passed with the statement under way: it is cancelled
 * on the shard and this connection given up (the session's transaction
 * fails; the shard rolls back when the connection closes).  A backend
 * whose results wait for a slow client is not the shard's delay. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtBackend *b = arg;
	if (b->held || (b->state != RT_BE_BUSY && b->state != RT_BE_CONNECTING)) {
		deadline_arm(b);
		return;
	}
	PGcancel *c = b->state == RT_BE_BUSY ? PQgetCancel(b->pg) : NULL;
	pthread_t t;
	pthread_attr_t attr;
	if (c && pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, cancel_thread, c) != 0)
			PQfreeCancel(c);
		pthread_attr_destroy(&attr);
	} else if (c) {
		PQfreeCancel(c);
	}
	b->timed_out = true;
	fail(b, "timeout");
}

/* A statement goes to the shard: shard_timeout_ms starts (unless 0, or
 * once a commit decision is logged: COMMIT PREPARED is not given up, and
 * recovery finishes it if the shard never answers). */
static void deadline_arm(RtBackend *b)
{
	int64_t ms = b->rt->ops ? b->rt->ops->cfg.shard_timeout_ms : 0;
	deadline_clear(b);
	b->sent_us = rt_ops_now_us();
	if (ms <= 0 || (b->sess && b->sess->tp == RT_TP_COMMITTING))
		return;
	b->deadline = evtimer_new(b->rt->base, on_deadline, b);
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	if (b->deadline)
		evtimer_add(b->deadline, &tv);
}

/* The session's application_name, when the shard has another one for
 * this connection (it was started by, or last served, another session). */
static const char *app_to_set(const RtBackend *b)
{
	const RtSession *s = b->sess;
	const char *want = s->reported ? s->reported[RT_REPORTED_APPLICATION_NAME] : NULL;
	const char *have = PQparameterStatus(b->pg, "application_name");
	if (!want || (have && strcmp(have, want) == 0))
		return NULL;
	return want;
}

/* Whether the session's settings must go ahead of its next statement. */
static bool needs_prefix(const RtBackend *b)
{
	return b->need_reset || b->applied_sets < b->sess->nsets || (b->state != RT_BE_CONNECTING && app_to_set(b));
}

/* Send the session's settings this backend lacks, then sql: RESET ALL when
 * another session's SETs are on it, the session's application_name, the
 * session's SETs it has not run.  `extra` more results at the head of sql
 * (BEGIN) are not the statement's. */
static bool send_now(RtBackend *b, const char *sql, int extra)
{
	RtSession *s = b->sess;
	Buf q;
	buf_init(&q);
	b->skip_results = extra;
	/* RESET ALL gives back the application_name the connection started
	 * with, which the shard reports only later: set the session's anyway */
	const char *app = b->need_reset && s->reported ? s->reported[RT_REPORTED_APPLICATION_NAME] : app_to_set(b);
	if (b->need_reset) {
		buf_put_str(&q, "RESET ALL;");
		b->skip_results++;
		b->need_reset = false;
	}
	char *lit = app ? PQescapeLiteral(b->pg, app, strlen(app)) : NULL;
	if (lit) {
		buf_printf(&q, "SET application_name = %s;", lit);
		b->skip_results++;
		PQfreemem(lit);
	}
	while (b->applied_sets < s->nsets) {
		buf_printf(&q, "%s;", s->sets[b->applied_sets++]);
		b->skip_results++;
	}
	b->prefix_chars = (int)q.len;
	buf_put_str(&q, sql);
	bool ok = PQsendQuery(b->pg, buf_cstr(&q)) && PQsetSingleRowMode(b->pg);
	buf_cleanup(&q);
	if (!ok)
		return false;
	b->state = RT_BE_BUSY;
	int f = PQflush(b->pg);
	if (f < 0)
		return false;
	arm(b, EV_READ | (f == 1 ? EV_WRITE : 0) | EV_PERSIST);
	return true;
}

static void connect_step(RtBackend *b)
{
	switch (PQconnectPoll(b->pg)) {
	case PGRES_POLLING_READING:
		arm(b, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		arm(b, EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		PQsetnonblocking(b->pg, 1);
		b->state = RT_BE_IDLE;
		if (b->pending_sql) {
			char *sql = b->pending_sql;
			b->pending_sql = NULL;
			bool ok = send_now(b, sql, b->pending_extra);
			free(sql);
			if (!ok)
				fail(b, PQerrorMessage(b->pg));
		} else if (b->next_op) {
			b->skip_results = 0;
			b->state = RT_BE_BUSY;
			if (!send_op(b) || PQflush(b->pg) < 0)
				fail(b, PQerrorMessage(b->pg));
			else
				arm(b, EV_READ | EV_PERSIST);
		}
		return;
	default:
		fail(b, PQerrorMessage(b->pg));
		return;
	}
}

/* A COPY TO STDOUT's data as far as it came; the backend is busy again
 * (its result follows) after the last. */
static void copy_out_pump(RtBackend *b)
{
	char *data;
	int n;
	while ((n = PQgetCopyData(b->pg, &data, 1)) > 0) {
		rt_copy_out_data(b->sess, b, (const uint8_t *)data, (size_t)n);
		PQfreemem(data);
	}
	if (n == -1)
		b->state = RT_BE_BUSY;
	else if (n == -2)
		fail(b, PQerrorMessage(b->pg));
}

static void read_results(RtBackend *b)
{
	if (!PQconsumeInput(b->pg)) {
		fail(b, PQerrorMessage(b->pg));
		return;
	}
	while (b->state == RT_BE_BUSY && !b->held && !PQisBusy(b->pg)) {
		PGresult *r = PQgetResult(b->pg);
		if (!r) {
			if (b->next_op) {
				/* the prefix (BEGIN, SETs) is done: now the statement */
				if (!send_op(b)) {
					fail(b, PQerrorMessage(b->pg));
					return;
				}
				if (PQflush(b->pg) < 0) {
					fail(b, PQerrorMessage(b->pg));
					return;
				}
				continue;
			}
			b->state = RT_BE_IDLE; /* the read event stays armed: see on_event */
			deadline_clear(b);
			if (b->sent_us)
				rt_metrics_shard_latency(&b->rt->ops->m, b->shard,
							 (double)(rt_ops_now_us() - b->sent_us) / 1e6);
			b->sent_us = 0;
			rt_session_backend_done(b->sess, b);
			return;
		}
		if (PQresultStatus(r) == PGRES_FATAL_ERROR)
			b->rt->stats[b->shard].errors++;
		b->rt->stats[b->shard].rows += (uint64_t)PQntuples(r);
		if (PQresultStatus(r) == PGRES_COPY_OUT && b->skip_results == 0) {
			/* data comes until the COPY's result */
			b->state = RT_BE_COPY_OUT;
			rt_copy_out_response(b->sess, b, r);
			PQclear(r);
			copy_out_pump(b);
			continue;
		}
		if (PQresultStatus(r) == PGRES_COPY_IN && b->skip_results == 0) {
			/* data goes out from now on; the result comes after CopyDone */
			b->state = RT_BE_COPY_IN;
			PQclear(r);
			rt_copy_ready(b->sess, b);
			return;
		}
		if (b->skip_results > 0) {
			/* one result of each statement sent ahead; rows never come from them */
			ExecStatusType st = PQresultStatus(r);
			if (st == PGRES_FATAL_ERROR) {
				rt_session_result(b->sess, b, r); /* a failed SET, BEGIN or Prepare is the statement's error */
				op_free(b->next_op);
				b->next_op = NULL;
				if (b->preparing >= 0)
					forget_prepared(b, b->preparing);
				b->preparing = -1;
			}
			if (st != PGRES_SINGLE_TUPLE)
				b->skip_results--;
			PQclear(r);
			continue;
		}
		rt_session_result(b->sess, b, r);
		PQclear(r);
	}
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	RtBackend *b = arg;
	if (b->state == RT_BE_CONNECTING) {
		connect_step(b);
		return;
	}
	if (what & EV_WRITE) {
		int f = PQflush(b->pg);
		if (f < 0) {
			fail(b, PQerrorMessage(b->pg));
			return;
		}
		if (f == 0) {
			arm(b, EV_READ | EV_PERSIST);
			if (b->backlog) {
				b->backlog = false;
				rt_copy_drained(b->sess);
			}
		}
	}
	if (!(what & EV_READ))
		return;
	if (b->state == RT_BE_COPY_OUT) {
		if (!PQconsumeInput(b->pg)) {
			fail(b, PQerrorMessage(b->pg));
			return;
		}
		copy_out_pump(b);
		if (b->state != RT_BE_BUSY)
			return;
	}
	if (b->state == RT_BE_COPY_IN) {
		/* notices, or an error the COPY's result will carry */
		if (!PQconsumeInput(b->pg))
			fail(b, PQerrorMessage(b->pg));
		return;
	}
	if (b->state == RT_BE_IDLE) {
		/* between statements: a notice, or the shard went away; the next
		 * statement for this shard then connects again */
		if (!PQconsumeInput(b->pg) || PQstatus(b->pg) == CONNECTION_BAD) {
			b->state = RT_BE_BROKEN;
			event_del(b->ev);
			if (!b->sess)
				rt_pool_broken(b->rt, b); /* reaped at the pool's next use */
		}
		return;
	}
	read_results(b);
}

/* A shard's NoticeResponse (libpq's notice receiver): relayed to the
 * client of the session the backend works for while a statement runs,
 * once for a statement run on every shard (DROP TABLE IF EXISTS). */
static void on_notice(void *arg, const PGresult *r)
{
	RtBackend *b = arg;
	RtSession *s = b->sess;
	if (!s || s->waiting == 0 || (s->fanout && b->shard != s->fanout_shard))
		return;
	PgwError e;
	rt_pg_error(r, &e);
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	e.severity = sev && strcmp(sev, "WARNING") == 0 ? "WARNING" : sev && strcmp(sev, "INFO") == 0 ? "INFO" : "NOTICE";
	pgw_send_notice(pgw_evconn_conn(s->ec), &e);
}

RtBackend *rt_backend_get(RtSession *s, int shard, PgwError *err)
{
	RtBackend *b = s->backends[shard];
	if (b && b->state != RT_BE_BROKEN)
		return b;
	if (b) {
		s->backends[shard] = NULL;
		rt_pool_dropped(s, b);
		rt_backend_free(b);
	}
	if ((b = rt_pool_take(s, shard))) {
		s->backends[shard] = b;
		return b;
	}
	rt_pool_make_room(s->rt, shard);
	const VscShard *sh = vsc_shard(s->rt->vschema, shard);
	char port[16];
	snprintf(port, sizeof(port), "%d", sh->port);
	const char *keys[] = {"host", "port", "user", "dbname", "application_name", "client_encoding", "options", NULL};
	const char *vals[] = {sh->host ? sh->host : sh->socket_dir, port, s->rt->shard_user, s->rt->shard_database,
			      s->reported ? s->reported[RT_REPORTED_APPLICATION_NAME] : "", "UTF8", s->backend_options, NULL};
	if (!s->backend_options)
		keys[6] = NULL;
	b = calloc(1, sizeof(*b));
	if (!b) {
		pgw_error_set(err, "53200", "out of memory");
		return NULL;
	}
	b->rt = s->rt;
	b->sess = s;
	b->shard = shard;
	b->preparing = -1;
	b->start_options = s->backend_options ? strdup(s->backend_options) : NULL;
	b->pg = PQconnectStartParams(keys, vals, 0);
	if (b->pg)
		PQsetNoticeReceiver(b->pg, on_notice, b);
	if (!b->pg || PQstatus(b->pg) == CONNECTION_BAD) {
		pgw_error_set(err, "08006", "could not connect to shard \"%s\": %s", sh->name,
			      b->pg ? PQerrorMessage(b->pg) : "out of memory");
		char *nl = strchr(err->message, '\n');
		if (nl)
			*nl = 0;
		rt_backend_free(b);
		return NULL;
	}
	b->state = RT_BE_CONNECTING;
	s->backends[shard] = b;
	rt_pool_opened(s, b);
	arm(b, EV_WRITE);
	return b;
}

/* libpq would not take a statement for b: the error for it (08006). */
static bool send_failed(RtBackend *b, PgwError *err)
{
	pgw_error_set(err, "08006", "could not send to shard \"%s\": %s", vsc_shard(b->rt->vschema, b->shard)->name,
		      PQerrorMessage(b->pg));
	return false;
}

bool rt_backend_send(RtBackend *b, const char *sql, bool begin_first, PgwError *err)
{
	b->shaped = false;
	if (sql[0])
		b->rt->stats[b->shard].statements++;
	deadline_arm(b);
	Buf q;
	buf_init(&q);
	/* the transaction's start time lets shards avoid deadlocks between
	 * transactions over several shards (wait-die); a transaction holding
	 * no write lock anywhere may wait for one without that risk */
	int extra = 0;
	if (begin_first) {
		/* the shard's index makes the clocks its PREPAREs report its own
		 * (no two shards report the same one) */
		buf_printf(&q, "%s;SET dosql.txn_ts = %lld;SET dosql.shard = %d;",
			   b->sess->begin_sql ? b->sess->begin_sql : "BEGIN", (long long)b->sess->txn_ts, b->shard);
		extra = 3;
		if (b->sess->join_alone) {
			buf_printf(&q, "SET dosql.txn_alone = on;");
			extra++;
		}
	}
	if (b->sess->tp == RT_TP_COMMITTING && b->sess->commit_ts) {
		/* every participant commits its part at the same time */
		buf_printf(&q, "SET dosql.commit_ts = %lld;", (long long)b->sess->commit_ts);
		extra++;
	}
	int begin_chars = (int)q.len;
	buf_put_str(&q, sql);
	bool ok = true;
	if (b->state == RT_BE_CONNECTING) {
		free(b->pending_sql);
		b->pending_sql = strdup(buf_cstr(&q));
		b->pending_extra = extra;
	} else {
		ok = send_now(b, buf_cstr(&q), extra) || send_failed(b, err);
	}
	b->begin_chars = begin_chars;
	buf_cleanup(&q);
	return ok;
}

/* b is busy with what was just handed to libpq (sent: libpq took it):
 * flush it and wait for the results. */
static bool now_busy(RtBackend *b, bool sent, PgwError *err)
{
	if (!sent || PQflush(b->pg) < 0)
		return send_failed(b, err);
	arm(b, EV_READ | EV_PERSIST);
	return true;
}

/* rt_backend_send_params, once the caller knows whether BEGIN or the
 * session's settings must go ahead (has_prefix). */
static bool send_params(RtBackend *b, const char *sql, const RtParams *p, int result_format, bool begin_first,
			bool has_prefix, PgwError *err)
{
	b->rt->stats[b->shard].statements++;
	deadline_arm(b);
	b->shaped = false;
	b->prefix_chars = 0;
	b->begin_chars = 0;
	int k = has_prefix || b->state != RT_BE_IDLE ? -1 : find_prepared(b, sql, p->n, p->types);
	if (k >= 0) {
		/* prepared here already: straight out, nothing to keep */
		b->skip_results = 0;
		b->preparing = -1;
		b->state = RT_BE_BUSY;
		return now_busy(b, send_statement(b, k, sql, p->n, p->types, p->values, p->lengths, p->formats, result_format),
				err);
	}
	RtParamsOp *op = calloc(1, sizeof(*op));
	op->sql = strdup(sql);
	op->n = p->n;
	op->values = calloc((size_t)p->n + 1, sizeof(char *));
	op->lengths = calloc((size_t)p->n + 1, sizeof(int));
	op->formats = calloc((size_t)p->n + 1, sizeof(int));
	op->types = calloc((size_t)p->n + 1, sizeof(Oid));
	for (int i = 0; i < p->n; i++) {
		if (p->values[i]) {
			op->values[i] = malloc((size_t)p->lengths[i] + 1);
			memcpy(op->values[i], p->values[i], (size_t)p->lengths[i]);
			op->values[i][p->lengths[i]] = 0;
		}
		op->lengths[i] = p->lengths[i];
		op->formats[i] = p->formats[i];
		op->types[i] = p->types ? p->types[i] : 0;
	}
	op->result_format = result_format;
	op_free(b->next_op);
	b->next_op = op;
	if (!has_prefix) {
		if (b->state != RT_BE_IDLE)
			return true; /* sent once the connection is up */
		b->skip_results = 0;
		b->state = RT_BE_BUSY;
		return now_busy(b, send_op(b), err);
	}
	/* BEGIN and the session's SETs go first, as a query of their own; the
	 * statement follows when they are done */
	return rt_backend_send(b, "", begin_first, err);
}

bool rt_backend_send_params(RtBackend *b, const char *sql, const RtParams *p, int result_format, bool begin_first,
			    PgwError *err)
{
	return send_params(b, sql, p, result_format, begin_first, begin_first || needs_prefix(b), err);
}

bool rt_backend_send_shaped(RtBackend *b, const char *text, const RtShape *sh, bool begin_first, PgwError *err)
{
	if (begin_first || b->state != RT_BE_IDLE || needs_prefix(b))
		return rt_backend_send(b, text, begin_first, err); /* one round trip with what goes ahead */
	bool ok = send_params(b, sh->key, &sh->typed, 0, false, false, err);
	b->shaped = ok;
	return ok;
}

void rt_backend_flush(RtBackend *b)
{
	int f = PQflush(b->pg);
	if (f < 0) {
		fail(b, PQerrorMessage(b->pg));
		return;
	}
	b->backlog = f == 1;
	if (b->backlog)
		arm(b, EV_READ | EV_WRITE | EV_PERSIST);
}

bool rt_backend_backlog(const RtBackend *b) { return b->backlog; }

void rt_backend_hold(RtBackend *b)
{
	b->held = true;
	if (b->ev)
		event_del(b->ev);
}

void rt_backend_release(RtBackend *b)
{
	if (!b->held)
		return;
	b->held = false;
	arm(b, EV_READ | EV_PERSIST);
	if (b->ev)
		event_active(b->ev, EV_READ, 1); /* the results libpq has read already */
}

void rt_backend_copy_done(RtBackend *b)
{
	b->state = RT_BE_BUSY;
	rt_backend_flush(b);
	if (b->state == RT_BE_BUSY && !b->backlog)
		arm(b, EV_READ | EV_PERSIST);
}

void rt_backend_free(RtBackend *b)
{
	if (!b)
		return;
	if (b->ev) {
		event_del(b->ev);
		event_free(b->ev);
	}
	deadline_clear(b);
	if (b->pg)
		PQfinish(b->pg);
	free(b->pending_sql);
	free(b->start_options);
	op_free(b->next_op);
	while (b->nprepared > 0)
		forget_prepared(b, b->nprepared - 1);
	free(b->prepared);
	free(b);
}
