/*
 * main.c - dosql-lake: follows the router's change stream and writes it as
 * Apache Iceberg tables of Parquet files, exactly once.
 *
 *   dosql-lake --config FILE
 *
 * One libevent loop: the replication socket, a timer every
 * flushIntervalMs (at most 1 s) for the age threshold and status updates,
 * the HTTP endpoint, and SIGTERM/SIGINT, which flush and stop; compaction
 * and expiry run on a thread of their own (lake/maintain.h).
 */
#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/compact.h"
#include "lake/config.h"
#include "lake/http.h"
#include "lake/iceberg.h"
#include "lake/maintain.h"
#include "lake/sink.h"
#include "lake/store.h"
#include "lake/stream.h"

typedef struct Lake {
	LakeConfig cfg;
	LakeSink sink;
	LakeStream stream; /* conn NULL while disconnected */
	struct event_base *base;
	struct event *read_ev;  /* on the stream's socket */
	struct event *tick_ev;  /* the flush timer */
	struct event *retry_ev; /* reconnects */
	struct event *sig_ev[2];
	int64_t last_tick;
	LakeHttpCtx http;
} Lake;

static void usage(void) { fprintf(stderr, "usage: dosql-lake --config FILE\n"); }

/* Writes what is buffered and confirms it; a failed write of the
 * warehouse leaves the buffer as it is (and the slot unconfirmed). */
static bool flush(void *arg)
{
	Lake *l = arg;
	uint64_t confirm;
	if (!lake_sink_flush(&l->sink, &confirm)) {
		fprintf(stderr, "dosql-lake: flush failed: %s\n", l->sink.err);
		return false;
	}
	if (confirm && l->stream.conn && confirm > l->stream.confirmed && !lake_stream_confirm(&l->stream, confirm))
		fprintf(stderr, "dosql-lake: could not confirm %" PRIX64 ": %s", confirm, PQerrorMessage(l->stream.conn));
	return true;
}

/* A flush the warehouse refused is retried by a restart, which resumes
 * from the last commit. */
static void flush_or_exit(Lake *l)
{
	if (!flush(l))
		exit(1);
}

static void disconnect(Lake *l)
{
	if (l->read_ev)
		event_del(l->read_ev); /* freed at the next connect: this may be its own callback */
	/* what was received whole is written before the stream starts again */
	lake_sink_abort_txn(&l->sink);
	flush_or_exit(l);
	lake_stream_close(&l->stream);
	struct timeval second = {1, 0};
	event_add(l->retry_ev, &second);
}

/* Thresholds of events and bytes at once, age on the timer; with nothing
 * buffered, confirm what the server says is past. */
static void maybe_flush(Lake *l, bool timer)
{
	LakeSink *k = &l->sink;
	if (k->in_txn)
		return;
	if (k->events >= l->cfg.flush_threshold_events || k->bytes >= l->cfg.flush_threshold_bytes ||
		k->bytes >= l->cfg.max_buffer_size || (timer && lake_sink_due(k)) ||
		(k->events == 0 && k->keepalive_end > l->stream.confirmed))
		flush_or_exit(l);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	Lake *l = arg;
	(void)fd;
	(void)what;
	char err[512];
	bool ok = lake_stream_poll(&l->stream, 0, &lake_sink_callbacks, &l->sink, err, sizeof(err));
	if (l->sink.failed) {
		fprintf(stderr, "dosql-lake: %s\n", l->sink.err);
		exit(1);
	}
	maybe_flush(l, false);
	if (!ok) {
		fprintf(stderr, "dosql-lake: %s\n", err);
		disconnect(l);
	} else if (l->stream.paused && l->read_ev)
		event_active(l->read_ev, EV_READ, 0); /* read on what libpq holds, after the flush */
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	Lake *l = arg;
	(void)fd;
	(void)what;
	int64_t now = lake_now_ms();
	bool timer = now - l->last_tick >= l->cfg.flush_interval_ms;
	if (timer)
		l->last_tick = now;
	if (l->stream.conn)
		on_read(-1, 0, l); /* status updates fall due with time, not input */
	if (timer)
		maybe_flush(l, true);
	lake_maint_tick();
}

static void connect_stream(evutil_socket_t fd, short what, void *arg)
{
	Lake *l = arg;
	(void)fd;
	(void)what;
	char err[512];
	if (!lake_stream_open(&l->stream, l->cfg.source, l->cfg.slot, l->cfg.publication, err, sizeof(err))) {
		size_t n = strlen(err);
		fprintf(stderr, "dosql-lake: %s%s", err, n && err[n - 1] == '\n' ? "" : "\n");
		lake_stream_close(&l->stream);
		struct timeval second = {1, 0};
		event_add(l->retry_ev, &second);
		return;
	}
	if (l->read_ev)
		event_free(l->read_ev);
	l->read_ev = event_new(l->base, PQsocket(l->stream.conn), EV_READ | EV_PERSIST, on_read, l);
	event_add(l->read_ev, NULL);
	fprintf(stderr, "dosql-lake: streaming\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	Lake *l = arg;
	(void)what;
	fprintf(stderr, "dosql-lake: signal %d: flushing and stopping\n", (int)sig);
	if (l->stream.conn) {
		lake_sink_abort_txn(&l->sink);
		flush_or_exit(l);
	}
	event_base_loopbreak(l->base);
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[++i];
		else {
			usage();
			return 2;
		}
	}
	if (!file) {
		usage();
		return 2;
	}
	static Lake l;
	if (!lake_config_load(file, &l.cfg))
		return 1;
	char err[512];
	if (!store_init(&l.cfg.s3, l.cfg.slot, err, sizeof(err))) {
		fprintf(stderr, "dosql-lake: %s\n", err);
		return 1;
	}
	if (store_is_s3(l.cfg.warehouse)) {
		if (!store_probe(l.cfg.warehouse, err, sizeof(err))) {
			fprintf(stderr, "dosql-lake: %s: warehouse: %s\n", file, err);
			return 1;
		}
		fprintf(stderr, "dosql-lake: %s commits with %s\n", l.cfg.warehouse,
			store_s3_commit_method() == STORE_COMMIT_CONDITIONAL
				? "conditional writes (If-None-Match: *)"
				: "a lock object per table (the server ignores If-None-Match on PUT)");
	} else {
		char real[PATH_MAX];
		if (!ice_mkdirs(l.cfg.warehouse) || !realpath(l.cfg.warehouse, real)) {
			fprintf(stderr, "dosql-lake: %s: warehouse: %s: %s\n", file, l.cfg.warehouse, strerror(errno));
			return 1;
		}
		free(l.cfg.warehouse);
		l.cfg.warehouse = strdup(real);
	}
	signal(SIGPIPE, SIG_IGN);

	lake_sink_init(&l.sink, &l.cfg);
	l.base = event_base_new();
	l.retry_ev = evtimer_new(l.base, connect_stream, &l);
	l.tick_ev = event_new(l.base, -1, EV_PERSIST, on_tick, &l);
	int64_t tick = l.cfg.flush_interval_ms < 1000 ? l.cfg.flush_interval_ms : 1000;
	struct timeval tv = {(time_t)(tick / 1000), (suseconds_t)(tick % 1000 * 1000)};
	event_add(l.tick_ev, &tv);
	l.last_tick = lake_now_ms();
	l.sig_ev[0] = evsignal_new(l.base, SIGTERM, on_signal, &l);
	l.sig_ev[1] = evsignal_new(l.base, SIGINT, on_signal, &l);
	event_add(l.sig_ev[0], NULL);
	event_add(l.sig_ev[1], NULL);
	if (!lake_maint_start(l.base, &l.cfg, err, sizeof(err))) {
		fprintf(stderr, "dosql-lake: maintenance: %s\n", err);
		return 1;
	}
	l.http = (LakeHttpCtx){.sink = &l.sink, .stream = &l.stream, .flush = flush, .arg = &l};
	if (l.cfg.http_host && !lake_http_start(l.base, l.cfg.http_host, l.cfg.http_port, &l.http))
		return 1;
	fprintf(stderr, "dosql-lake: writing slot %s (publication %s) to %s/%s\n", l.cfg.slot, l.cfg.publication,
		l.cfg.warehouse, l.cfg.namespace_);
	connect_stream(-1, 0, &l);
	event_base_dispatch(l.base);

	lake_maint_stop();
	lake_http_stop();
	if (l.read_ev)
		event_free(l.read_ev);
	lake_stream_close(&l.stream);
	event_free(l.retry_ev);
	event_free(l.tick_ev);
	event_free(l.sig_ev[0]);
	event_free(l.sig_ev[1]);
	event_base_free(l.base);
	fprintf(stderr, "dosql-lake: stopped\n");
	lake_sink_cleanup(&l.sink);
	lake_config_cleanup(&l.cfg);
	store_shutdown();
	return 0;
}
