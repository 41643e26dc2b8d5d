/*
 * main.c - dosql-lake: follows the router's change stream and writes it as
 * Apache Iceberg tables of Parquet files, exactly once.
 *
 *   dosql-lake --config FILE
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lake/config.h"
#include "lake/iceberg.h"
#include "lake/sink.h"
#include "lake/stream.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(void) { fprintf(stderr, "usage: dosql-lake --config FILE\n"); }

/* Flushes and confirms; exits when the warehouse cannot be written (a
 * restart resumes from the last commit). */
static void flush(LakeSink *sink, LakeStream *st)
{
	uint64_t confirm;
	if (!lake_sink_flush(sink, &confirm)) {
		fprintf(stderr, "dosql-lake: flush failed: %s\n", sink->err);
		exit(1);
	}
	if (confirm && st->conn && confirm > st->confirmed && !lake_stream_confirm(st, confirm))
		fprintf(stderr, "dosql-lake: could not confirm %" PRIX64 ": %s", confirm, PQerrorMessage(st->conn));
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
	LakeConfig cfg;
	if (!lake_config_load(file, &cfg))
		return 1;
	char real[PATH_MAX];
	if (!ice_mkdirs(cfg.warehouse) || !realpath(cfg.warehouse, real)) {
		fprintf(stderr, "dosql-lake: %s: warehouse: %s: %s\n", file, cfg.warehouse, strerror(errno));
		return 1;
	}
	free(cfg.warehouse);
	cfg.warehouse = strdup(real);

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	LakeSink sink;
	lake_sink_init(&sink, &cfg);
	fprintf(stderr, "dosql-lake: writing slot %s (publication %s) to %s/%s\n", cfg.slot, cfg.publication,
		cfg.warehouse, cfg.namespace_);
	int64_t last_check = lake_now_ms();
	while (!stopping) {
		LakeStream st;
		char err[512];
		if (!lake_stream_open(&st, cfg.source, cfg.slot, cfg.publication, err, sizeof(err))) {
			fprintf(stderr, "dosql-lake: %s", err);
			if (err[0] && err[strlen(err) - 1] != '\n')
				fputc('\n', stderr);
			lake_stream_close(&st);
			for (int i = 0; i < 10 && !stopping; i++)
				usleep(100000);
			continue;
		}
		fprintf(stderr, "dosql-lake: streaming\n");
		for (;;) {
			int timeout = (int)(cfg.flush_interval_ms < 1000 ? cfg.flush_interval_ms : 1000);
			bool ok = lake_stream_poll(&st, timeout, &lake_sink_callbacks, &sink, err, sizeof(err));
			if (sink.failed) {
				fprintf(stderr, "dosql-lake: %s\n", sink.err);
				return 1;
			}
			int64_t now = lake_now_ms();
			bool timer = now - last_check >= cfg.flush_interval_ms;
			if (timer)
				last_check = now;
			/* thresholds of events and bytes at once, age on the timer, and
			 * nothing buffered: confirm what the server says is past */
			if (!sink.in_txn && (sink.events >= cfg.flush_threshold_events || sink.bytes >= cfg.flush_threshold_bytes ||
						    sink.bytes >= cfg.max_buffer_size || (timer && lake_sink_due(&sink)) ||
						    (sink.events == 0 && sink.keepalive_end > st.confirmed) || stopping))
				flush(&sink, &st);
			if (!ok || stopping) {
				if (!ok)
					fprintf(stderr, "dosql-lake: %s\n", err);
				break;
			}
		}
		/* what was received whole is written before the stream starts again */
		lake_sink_abort_txn(&sink);
		flush(&sink, &st);
		lake_stream_close(&st);
		for (int i = 0; i < 10 && !stopping; i++)
			usleep(100000);
	}
	fprintf(stderr, "dosql-lake: stopped\n");
	lake_sink_cleanup(&sink);
	lake_config_cleanup(&cfg);
	return 0;
}
