/*
 * log.h - the daemons' log lines: a level, the program, the session or
 * connection a line is about, and a message checked against its arguments
 * at compile time.
 *
 *   2026-12-07 03:40:01.123 UTC [4242] dosql WARNING: session 17 (dosql@dosql 127.0.0.1:50514): shard "-80" is down
 *
 * One line is one write to the log stream (stderr unless log_set_output),
 * so lines of threads do not interleave.  Lines below the level set
 * (LOG_LEVEL_INFO unless log_set_level) are dropped; LOG_AT and the
 * log_debug / log_info / ... macros test the level before the arguments
 * are formatted or even evaluated.  The levels are not syslog.h's LOG_*,
 * so that both headers can be included.
 */
#ifndef DOSQL_LOG_H
#define DOSQL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum LogLevel {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_FATAL
} LogLevel;

/* Who a line is about: "session 17 (dosql@dosql 127.0.0.1:50514)",
 * "shard -80", ...; set once per session or connection and passed to every
 * line about it.  An empty tag is left out of the line.  A JSON line also
 * carries the parts as fields of their own ("session", "user", "database",
 * "application_name", "client", "shard"), each left out when 0 or NULL; the
 * strings are borrowed for the line. */
typedef struct LogTag {
	char text[160];
	unsigned long long session;
	const char *user, *database, *application_name, *client, *shard;
} LogTag;

/* The program name shown in every line ("dosql", "dosql-shard"). */
void log_set_program(const char *name);
/* Lines below min are dropped. */
void log_set_level(LogLevel min);
LogLevel log_get_level(void);
/* One JSON object a line ({"timestamp", "level", "program", "pid",
 * "context" (the tag's text, when there is one), the tag's fields,
 * "message"}) instead of text. */
void log_set_json(bool on);
/* Where lines go; NULL: stderr.  The stream is borrowed. */
void log_set_output(FILE *out);

/* Whether a line at lv would be written. */
bool log_enabled(LogLevel lv);
/* "DEBUG", "INFO", ... */
const char *log_level_name(LogLevel lv);
/* The level named s ("debug", "info", "notice", "warning", "error",
 * "fatal", any case); false when s names none. */
bool log_level_parse(const char *s, LogLevel *out);

/* Set a tag's text (cut to fit) and clear its fields; a NULL fmt empties
 * it. */
void log_tag_set(LogTag *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write one line at lv about tag (NULL: none).  A message longer than a
 * line holds (about 4 KiB) is cut and ends with "...". */
void log_write(LogLevel lv, const LogTag *tag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vwrite(LogLevel lv, const LogTag *tag, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* log_write, its arguments evaluated only when lv is enabled. */
#define LOG_AT(lv, tag, ...)                             \
	do {                                             \
		if (log_enabled(lv))                     \
			log_write(lv, tag, __VA_ARGS__); \
	} while (0)

#define log_debug(tag, ...) LOG_AT(LOG_LEVEL_DEBUG, tag, __VA_ARGS__)
#define log_info(tag, ...) LOG_AT(LOG_LEVEL_INFO, tag, __VA_ARGS__)
#define log_notice(tag, ...) LOG_AT(LOG_LEVEL_NOTICE, tag, __VA_ARGS__)
#define log_warning(tag, ...) LOG_AT(LOG_LEVEL_WARNING, tag, __VA_ARGS__)
#define log_error(tag, ...) LOG_AT(LOG_LEVEL_ERROR, tag, __VA_ARGS__)
#define log_fatal(tag, ...) LOG_AT(LOG_LEVEL_FATAL, tag, __VA_ARGS__)

#endif
