/*
 * maintain.c - the maintenance thread (see maintain.h).
 *
 * The loop starts a thread per run and watches a pipe; the thread writes
 * one byte to it when the run is done, and the loop joins it, counts the
 * result, answers the request and starts the next run waiting.  The run's
 * result is read only after the join.
 */
#include "maintain.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lake/compact.h"
#include "lake/http.h"
#include "lake/iceberg.h"
#include "lake/sink.h"
#include "lake/store.h"

#define MAX_WAITING 16

typedef struct Run {
	bool compact, expire;
	struct evhttp_request *req; /* NULL: the schedule's, or the client went away */
} Run;

static struct {
	const LakeConfig *cfg;
	int pipe[2];
	struct event *done_ev;
	char owner[256];
	pthread_t thread;
	bool running;
	Run cur;
	Run waiting[MAX_WAITING];
	int nwaiting;
	int64_t last_tick;
	/* written by the thread, read after the join */
	LakeCompactResult res;
	bool ok;
	char err[512];
} m = {.pipe = {-1, -1}};

/* Opens every table as the maintenance owner (a run that neither
 * compacts nor expires): the open removes the files of a commit of that
 * owner that did not finish (lake/iceberg.h). */
static bool recover(const LakeConfig *cfg, char *err, size_t errlen)
{
	store_thread_owner(m.owner);
	LakeCompactResult res;
	bool ok = lake_compact_all(cfg, false, false, &res, err, errlen);
	store_thread_owner(NULL);
	return ok;
}

static void *run_thread(void *arg)
{
	(void)arg;
	/* signals are the loop's */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	store_thread_owner(m.owner);
	m.ok = lake_compact_all(m.cfg, m.cur.compact, m.cur.expire, &m.res, m.err, sizeof(m.err));
	store_thread_end();
	char one = 1;
	while (write(m.pipe[1], &one, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The request's connection closed before the answer: forget the request. */
static void on_close(struct evhttp_connection *conn, void *arg)
{
	(void)arg;
	if (m.cur.req && evhttp_request_get_connection(m.cur.req) == conn)
		m.cur.req = NULL;
	for (int i = 0; i < m.nwaiting; i++)
		if (m.waiting[i].req && evhttp_request_get_connection(m.waiting[i].req) == conn)
			m.waiting[i].req = NULL;
}

static void start_next(void)
{
	if (m.running || m.nwaiting == 0)
		return;
	m.cur = m.waiting[0];
	memmove(&m.waiting[0], &m.waiting[1], (size_t)(--m.nwaiting) * sizeof(Run));
	memset(&m.res, 0, sizeof(m.res));
	m.err[0] = 0;
	m.ok = false;
	if (pthread_create(&m.thread, NULL, run_thread, NULL) != 0) {
		fprintf(stderr, "dosql-lake: cannot start the maintenance thread: %s\n", strerror(errno));
		if (m.cur.req)
			lake_http_reply(m.cur.req, 500, "application/json", "{\"error\":\"cannot start the maintenance thread\"}");
		m.cur.req = NULL;
		return;
	}
	m.running = true;
}

/* The run ended: its result counted, logged (the schedule's) or answered. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)arg;
	char buf[16];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (!m.running)
		return;
	pthread_join(m.thread, NULL);
	m.running = false;
	lake_compact_count(&m.res);
	if (!m.ok)
		fprintf(stderr, "dosql-lake: compaction: %s\n", m.err);
	else if (!m.cur.req && (m.res.tables || m.res.snapshots_expired))
		fprintf(stderr, "dosql-lake: compacted %d files into %d, expired %d snapshots, deleted %d files\n",
			m.res.files_replaced, m.res.files_written, m.res.snapshots_expired, m.res.files_deleted);
	if (m.cur.req) {
		json_t *j = lake_compact_json(&m.res);
		if (j && !m.ok)
			json_object_set_new(j, "error", json_string(m.err));
		char *text = j ? json_dumps(j, 0) : NULL;
		lake_http_reply(m.cur.req, m.ok ? 200 : 500, "application/json", text ? text : "{}");
		free(text);
		json_decref(j);
	}
	m.cur.req = NULL;
	start_next();
}

bool lake_maint_start(struct event_base *base, const LakeConfig *cfg, char *err, size_t errlen)
{
	m.cfg = cfg;
	snprintf(m.owner, sizeof(m.owner), "%s-maintenance", cfg->slot);
	if (!recover(cfg, err, errlen))
		return false;
	if (pipe(m.pipe) != 0 || fcntl(m.pipe[0], F_SETFL, O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return false;
	}
	m.done_ev = event_new(base, m.pipe[0], EV_READ | EV_PERSIST, on_done, NULL);
	if (!m.done_ev || event_add(m.done_ev, NULL) != 0) {
		snprintf(err, errlen, "cannot watch the maintenance thread");
		return false;
	}
	m.last_tick = lake_now_ms();
	return true;
}

void lake_maint_request(bool compact, bool expire, struct evhttp_request *req)
{
	if (m.nwaiting == MAX_WAITING) {
		if (req)
			lake_http_reply(req, 503, "application/json", "{\"error\":\"too many maintenance runs waiting\"}");
		return;
	}
	if (req)
		evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, NULL);
	m.waiting[m.nwaiting++] = (Run){.compact = compact, .expire = expire, .req = req};
	start_next();
}

void lake_maint_tick(void)
{
	int64_t now = lake_now_ms();
	if (m.cfg->compaction_interval_ms <= 0 || now - m.last_tick < m.cfg->compaction_interval_ms)
		return;
	m.last_tick = now;
	if (!m.running && m.nwaiting == 0)
		lake_maint_request(true, true, NULL);
}

bool lake_maint_running(void) { return m.running; }

void lake_maint_stop(void)
{
	if (m.running)
		pthread_join(m.thread, NULL);
	m.running = false;
	m.nwaiting = 0;
	if (m.done_ev)
		event_free(m.done_ev);
	m.done_ev = NULL;
	for (int i = 0; i < 2; i++)
		if (m.pipe[i] >= 0)
			close(m.pipe[i]);
	m.pipe[0] = m.pipe[1] = -1;
}
