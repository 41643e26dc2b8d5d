/*
 * http.h - dosql-lake's HTTP endpoint (libevent's evhttp):
 *   GET  /lake/status  JSON: sources, buffer, last flush and snapshot, lag
 *   POST /flush        writes what is buffered now
 *   GET  /metrics      Prometheus text format (dolake_*)
 *   POST /compact, POST /expire   a maintenance run (lake/maintain.h)
 */
#ifndef DOSQL_LAKE_HTTP_H
#define DOSQL_LAKE_HTTP_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdbool.h>

#include "lake/sink.h"
#include "lake/stream.h"

typedef struct LakeHttpCtx {
	LakeSink *sink;     /* borrowed */
	LakeStream *stream; /* borrowed; conn NULL while disconnected */
	/* flushes and confirms; false with sink->err */
	bool (*flush)(void *arg);
	void *arg;
} LakeHttpCtx;

/* Listens on host:port; false (with the reason on stderr) when it cannot. */
bool lake_http_start(struct event_base *base, const char *host, int port, LakeHttpCtx *ctx)
	__attribute__((warn_unused_result));
void lake_http_stop(void);
/* Answers req with code and body. */
void lake_http_reply(struct evhttp_request *req, int code, const char *type, const char *body);

#endif
