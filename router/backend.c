/*
 * backend.c - a session's non-blocking libpq connection to one shard, on
 * the router's event loop.
 *
 * Connect with PQconnectStartParams/PQconnectPoll, re-arming the socket
 * event as libpq asks; send with PQsendQuery + PQflush (EV_WRITE while
 * output is pending); on EV_READ, PQconsumeInput and hand every complete
 * result to the session.  Rows stream one at a time (single-row mode).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

static void on_event(evutil_socket_t fd, short what, void *arg);

/* (Re)arm the socket event for the given direction. */
static void arm(RtBackend *b, short what)
{
	if (b->ev) {
		event_del(b->ev);
		event_free(b->ev);
		b->ev = NULL;
	}
	int fd = PQsocket(b->pg);
	if (fd < 0)
		return;
	b->ev = event_new(b->sess->rt->base, fd, what, on_event, b);
	if (b->ev)
		event_add(b->ev, NULL);
}

static void fail(RtBackend *b, const char *why)
{
	char msg[512];
	const VscShard *sh = vsc_shard(b->sess->rt->vschema, b->shard);
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
	rt_session_backend_failed(b->sess, b, msg);
}

/* Send the session's SETs this backend has not run, then sql; `extra` more
 * results at its head (BEGIN) are not the statement's. */
static bool send_now(RtBackend *b, const char *sql, int extra)
{
	RtSession *s = b->sess;
	Buf q;
	buf_init(&q);
	b->skip_results = extra;
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
		}
		return;
	default:
		fail(b, PQerrorMessage(b->pg));
		return;
	}
}

static void read_results(RtBackend *b)
{
	if (!PQconsumeInput(b->pg)) {
		fail(b, PQerrorMessage(b->pg));
		return;
	}
	while (b->state == RT_BE_BUSY && !PQisBusy(b->pg)) {
		PGresult *r = PQgetResult(b->pg);
		if (!r) {
			if (b->skip_results > 0) {
				/* the end of one of the statements sent ahead */
				b->skip_results--;
				continue;
			}
			b->state = RT_BE_IDLE;
			event_del(b->ev);
			rt_session_backend_done(b->sess, b);
			return;
		}
		if (b->skip_results > 0) {
			if (PQresultStatus(r) == PGRES_FATAL_ERROR)
				rt_session_result(b->sess, b, r); /* a failed SET or BEGIN is the statement's error */
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
		if (f == 0)
			arm(b, EV_READ | EV_PERSIST);
	}
	if (what & EV_READ)
		read_results(b);
}

RtBackend *rt_backend_get(RtSession *s, int shard, PgwError *err)
{
	RtBackend *b = s->backends[shard];
	if (b && b->state != RT_BE_BROKEN)
		return b;
	if (b) {
		rt_backend_free(b);
		s->backends[shard] = NULL;
	}
	const VscShard *sh = vsc_shard(s->rt->vschema, shard);
	char port[16];
	snprintf(port, sizeof(port), "%d", sh->port);
	const char *keys[] = {"host", "port", "user", "dbname", "application_name", "client_encoding", NULL};
	const char *vals[] = {sh->host ? sh->host : sh->socket_dir, port, s->rt->shard_user, s->rt->shard_database,
			      "dosql-router", "UTF8", NULL};
	b = calloc(1, sizeof(*b));
	b->sess = s;
	b->shard = shard;
	b->pg = PQconnectStartParams(keys, vals, 0);
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
	arm(b, EV_WRITE);
	return b;
}

bool rt_backend_send(RtBackend *b, const char *sql, bool begin_first, PgwError *err)
{
	Buf q;
	buf_init(&q);
	if (begin_first)
		buf_put_str(&q, "BEGIN;");
	int begin_chars = (int)q.len;
	buf_put_str(&q, sql);
	bool ok = true;
	if (b->state == RT_BE_CONNECTING) {
		free(b->pending_sql);
		b->pending_sql = strdup(buf_cstr(&q));
		b->pending_extra = begin_first ? 1 : 0;
	} else {
		ok = send_now(b, buf_cstr(&q), begin_first ? 1 : 0);
		if (!ok)
			pgw_error_set(err, "08006", "could not send to shard \"%s\": %s",
				      vsc_shard(b->sess->rt->vschema, b->shard)->name, PQerrorMessage(b->pg));
	}
	b->begin_chars = begin_chars;
	buf_cleanup(&q);
	return ok;
}

void rt_backend_free(RtBackend *b)
{
	if (!b)
		return;
	if (b->ev) {
		event_del(b->ev);
		event_free(b->ev);
	}
	if (b->pg)
		PQfinish(b->pg);
	free(b->pending_sql);
	free(b);
}
