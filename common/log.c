/*
 * log.c - the daemons' log lines (log.h): each composed in a buffer of its
 * own and written with one fwrite, so that threads never interleave parts
 * of their lines.  The level, the program name and the stream are set at
 * start-up; the level may change while threads log (it is atomic).
 */
#include "common/log.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* A line's message part; longer ones are cut. */
#define LOG_MESSAGE_MAX 4096

static const char *const level_names[] = {"DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "FATAL"};

static _Atomic int min_level = LOG_LEVEL_INFO;
static _Atomic(FILE *) out_stream;
static char program[32];
static _Atomic bool json_lines;

void log_set_json(bool on) { atomic_store(&json_lines, on); }

void log_set_program(const char *name) { snprintf(program, sizeof(program), "%s", name ? name : ""); }

void log_set_level(LogLevel min) { atomic_store(&min_level, (int)min); }

LogLevel log_get_level(void) { return (LogLevel)atomic_load(&min_level); }

void log_set_output(FILE *out) { atomic_store(&out_stream, out); }

bool log_enabled(LogLevel lv) { return (int)lv >= atomic_load(&min_level); }

const char *log_level_name(LogLevel lv)
{
	if ((int)lv < 0 || (size_t)lv >= sizeof(level_names) / sizeof(level_names[0]))
		return "LOG";
	return level_names[lv];
}

bool log_level_parse(const char *s, LogLevel *out)
{
	for (size_t i = 0; s && i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (LogLevel)i;
			return true;
		}
	return false;
}

void log_tag_set(LogTag *t, const char *fmt, ...)
{
	*t = (LogTag){.text = ""};
	if (!fmt)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->text, sizeof(t->text), fmt, ap);
	va_end(ap);
}

/* "2026-12-07 03:40:01.123 UTC" into buf (at least 32 bytes); gmtime_r, as
 * threads log at once. */
static void timestamp(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%03ld UTC", ts.tv_nsec / 1000000);
}

/* s as a JSON string; bytes that are not UTF-8 become '?', so that a line
 * is never lost for them. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* A tag's text as "context" and its parts as fields of their own. */
static void put_tag_fields(json_t *o, const LogTag *tag)
{
	if (tag->text[0])
		json_object_set_new(o, "context", json_text(tag->text));
	if (tag->session)
		json_object_set_new(o, "session", json_integer((json_int_t)tag->session));
	const struct {
		const char *key, *value;
	} parts[] = {{"user", tag->user},
		     {"database", tag->database},
		     {"application_name", tag->application_name},
		     {"client", tag->client},
		     {"shard", tag->shard}};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].value)
			json_object_set_new(o, parts[i].key, json_text(parts[i].value));
}

/* The line as JSON: the message formatted, then the object written. */
static void write_json(FILE *out, LogLevel lv, const LogTag *tag, const char *fmt, va_list ap)
{
	char msg[LOG_MESSAGE_MAX + 1], ts[40];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = 0;
	struct timespec t;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	size_t k = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + k, sizeof(ts) - k, ".%03ldZ", t.tv_nsec / 1000000);
	char level[16];
	snprintf(level, sizeof(level), "%s", log_level_name(lv));
	for (char *p = level; *p; p++)
		*p = (char)(*p - 'A' + 'a');
	json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "timestamp", ts, "level", level, "program", program, "pid",
			      (int)getpid());
	if (o && tag)
		put_tag_fields(o, tag);
	if (o)
		json_object_set_new(o, "message", json_text(msg));
	char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (line) {
		size_t len = strlen(line);
		line[len] = '\n'; /* the terminator's place: one write */
		fwrite(line, 1, len + 1, out);
		fflush(out);
	}
	free(line);
	json_decref(o);
}

void log_vwrite(LogLevel lv, const LogTag *tag, const char *fmt, va_list ap)
{
	if (!log_enabled(lv))
		return;
	if (atomic_load(&json_lines)) {
		FILE *out = atomic_load(&out_stream);
		write_json(out ? out : stderr, lv, tag, fmt, ap);
		return;
	}
	char line[LOG_MESSAGE_MAX + sizeof(program) + sizeof(tag->text) + 96];
	char ts[40];
	timestamp(ts, sizeof(ts));
	int head =
		snprintf(line, sizeof(line), "%s [%d] %s%s%s: %s%s", ts, (int)getpid(), program, program[0] ? " " : "",
			 log_level_name(lv), tag && tag->text[0] ? tag->text : "", tag && tag->text[0] ? ": " : "");
	if (head < 0)
		return;
	size_t len = (size_t)head < sizeof(line) ? (size_t)head : sizeof(line) - 1;
	size_t room = sizeof(line) - len - 1; /* the newline's */
	if (room > LOG_MESSAGE_MAX)
		room = LOG_MESSAGE_MAX;
	int m = vsnprintf(line + len, room + 1, fmt, ap);
	if (m > 0 && (size_t)m > room) {
		len += room;
		memcpy(line + len - 3, "...", 3);
	} else if (m > 0) {
		len += (size_t)m;
		while (len > (size_t)head && line[len - 1] == '\n')
			len--; /* a message ending with its own newline (libpq's) */
	}
	line[len++] = '\n';
	FILE *out = atomic_load(&out_stream);
	if (!out)
		out = stderr;
	fwrite(line, 1, len, out);
	fflush(out);
}

void log_write(LogLevel lv, const LogTag *tag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(lv, tag, fmt, ap);
	va_end(ap);
}
