/*
 * http.c - the status page, the flush request and the metrics (see http.h).
 */
#include "http.h"

#include "lake/compact.h"
#include "lake/maintain.h"
#include "lake/store.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct evhttp *http;

static void lsn_text(uint64_t lsn, char out[24])
{
	snprintf(out, 24, "%" PRIX64 "/%" PRIX64, lsn >> 32, lsn & 0xffffffffu);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How far the warehouse is behind the router: the age of the oldest
 * change received and not yet in a snapshot (0 when none is waiting). */
static int64_t lag_ms(const LakeSink *k)
{
	if (!k->oldest_commit_us)
		return 0;
	int64_t lag = wall_ms() - k->oldest_commit_us / 1000;
	return lag > 0 ? lag : 0;
}

void lake_http_reply(struct evhttp_request *req, int code, const char *type, const char *body)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code,
		code == 200   ? "OK"
		: code == 405 ? "Method Not Allowed"
		: code == 503 ? "Service Unavailable"
			      : "Error",
		b);
	evbuffer_free(b);
}

static json_t *status_json(const LakeHttpCtx *c)
{
	const LakeSink *k = c->sink;
	char lsn[24], conf[24], recv[24];
	lsn_text(k->last_snapshot_lsn, lsn);
	lsn_text(c->stream->confirmed, conf);
	lsn_text(c->stream->received, recv);
	json_t *tables = json_array();
	for (int i = 0; i < k->ntables; i++) {
		const SinkTable *t = &k->tables[i];
		char tl[24];
		lsn_text(t->ice.lsn, tl);
		json_array_append_new(tables, json_pack("{s:s,s:I,s:s,s:i,s:I,s:I,s:I}", "name", t->name, "snapshotId",
						      (json_int_t)t->ice.snapshot_id, "lsn", tl, "version", t->ice.version,
						      "files", (json_int_t)t->ice.files, "rows", (json_int_t)t->ice.rows,
						      "bufferedEvents", (json_int_t)t->nrows));
	}
	return json_pack("{s:i,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:I,s:s,s:s,s:s,s:I,s:I,s:o}", "connectedSources",
		c->stream->conn ? 1 : 0, "bufferedEvents", (json_int_t)k->events, "bufferedBytes", (json_int_t)k->bytes,
		"lastFlush", "atMs", (json_int_t)k->last_flush_ms, "durationMs", (json_int_t)k->last_flush_duration_ms,
		"flushes", (json_int_t)k->flushes, "filesWritten", (json_int_t)k->files_written, "lastSnapshotId",
		(json_int_t)k->last_snapshot_id, "lastSnapshotLsn", lsn, "confirmedLsn", conf, "receivedLsn", recv, "lagMs",
		(json_int_t)lag_ms(k), "skippedChanges", (json_int_t)k->skipped, "tables", tables);
}

static void on_status(struct evhttp_request *req, void *arg)
{
	json_t *j = status_json(arg);
	json_t *maint = lake_compact_status();
	json_object_set_new(maint, "running", json_boolean(lake_maint_running()));
	json_object_set_new(j, "maintenance", maint);
	char *text = json_dumps(j, JSON_INDENT(2));
	lake_http_reply(req, 200, "application/json", text ? text : "{}");
	free(text);
	json_decref(j);
}

static void on_flush(struct evhttp_request *req, void *arg)
{
	LakeHttpCtx *c = arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		lake_http_reply(req, 405, "text/plain", "POST /flush\n");
		return;
	}
	if (!c->flush(c->arg)) {
		json_t *e = json_pack("{s:s}", "error", c->sink->err);
		char *text = json_dumps(e, 0);
		lake_http_reply(req, 500, "application/json", text ? text : "{}");
		free(text);
		json_decref(e);
		return;
	}
	on_status(req, arg);
}

/* POST /compact and POST /expire (lake/compact.h): what was done, as JSON
 * when the maintenance thread's run ends (lake/maintain.h). */
static void maintain(struct evhttp_request *req, bool compact, const char *usage)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		lake_http_reply(req, 405, "text/plain", usage);
		return;
	}
	lake_maint_request(compact, !compact, req);
}

static void on_compact(struct evhttp_request *req, void *arg)
{
	(void)arg;
	maintain(req, true, "POST /compact\n");
}

static void on_expire(struct evhttp_request *req, void *arg)
{
	(void)arg;
	maintain(req, false, "POST /expire\n");
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
	const LakeHttpCtx *c = arg;
	const LakeSink *k = c->sink;
	char buf[2048];
	snprintf(buf, sizeof(buf),
		"# HELP dolake_buffer_size_bytes Bytes of changes buffered and not yet in a snapshot.\n"
		"# TYPE dolake_buffer_size_bytes gauge\ndolake_buffer_size_bytes %" PRId64 "\n"
		"# HELP dolake_buffer_event_count Changes buffered and not yet in a snapshot.\n"
		"# TYPE dolake_buffer_event_count gauge\ndolake_buffer_event_count %" PRId64 "\n"
		"# HELP dolake_flush_duration_ms How long the last flush took.\n"
		"# TYPE dolake_flush_duration_ms gauge\ndolake_flush_duration_ms %" PRId64 "\n"
		"# HELP dolake_parquet_file_size Bytes of the last Parquet file written.\n"
		"# TYPE dolake_parquet_file_size gauge\ndolake_parquet_file_size %" PRId64 "\n"
		"# HELP dolake_connected_sources Replication streams the sink reads.\n"
		"# TYPE dolake_connected_sources gauge\ndolake_connected_sources %d\n"
		"# HELP dolake_snapshot_lag_ms Age of the oldest change not yet in a snapshot.\n"
		"# TYPE dolake_snapshot_lag_ms gauge\ndolake_snapshot_lag_ms %" PRId64 "\n"
		"# HELP dolake_flushes_total Flushes that committed snapshots.\n"
		"# TYPE dolake_flushes_total counter\ndolake_flushes_total %" PRId64 "\n"
		"# HELP dolake_rows_written_total Changes written to Parquet files.\n"
		"# TYPE dolake_rows_written_total counter\ndolake_rows_written_total %" PRId64 "\n",
		k->bytes, k->events, k->last_flush_duration_ms, k->last_file_size, c->stream->conn ? 1 : 0, lag_ms(k),
		k->flushes, k->rows_written);
	lake_compact_metrics(buf + strlen(buf), sizeof(buf) - strlen(buf));
	lake_http_reply(req, 200, "text/plain; version=0.0.4", buf);
}

bool lake_http_start(struct event_base *base, const char *host, int port, LakeHttpCtx *ctx)
{
	http = evhttp_new(base);
	if (!http || evhttp_bind_socket(http, host, (ev_uint16_t)port) != 0) {
		fprintf(stderr, "dosql-lake: http: cannot listen on %s:%d\n", host, port);
		return false;
	}
	evhttp_set_cb(http, "/lake/status", on_status, ctx);
	evhttp_set_cb(http, "/flush", on_flush, ctx);
	evhttp_set_cb(http, "/metrics", on_metrics, ctx);
	evhttp_set_cb(http, "/compact", on_compact, ctx);
	evhttp_set_cb(http, "/expire", on_expire, ctx);
	fprintf(stderr, "dosql-lake: http on %s:%d\n", host, port);
	return true;
}

void lake_http_stop(void)
{
	if (http)
		evhttp_free(http);
	http = NULL;
}
