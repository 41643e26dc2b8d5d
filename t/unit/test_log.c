/*
 * test_log.c - unit tests of common/log.c: the line's form, levels and
 * their names, tags, arguments not evaluated below the level, long and
 * newline-ended messages, and whole lines from threads logging at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "t/unit/tap.h"

static FILE *out;

/* Everything logged since the last call, as a string (static). */
static const char *logged(void)
{
	static char buf[1 << 20];
	fflush(out);
	size_t n = (size_t)ftell(out);
	rewind(out);
	n = fread(buf, 1, n < sizeof(buf) - 1 ? n : sizeof(buf) - 1, out);
	buf[n] = '\0';
	rewind(out);
	if (ftruncate(fileno(out), 0) != 0)
		buf[0] = '\0';
	return buf;
}

/* Whether line (up to its newline) is "YYYY-MM-DD HH:MM:SS.mmm UTC [pid] "
 * followed by rest and a newline. */
static bool line_is(const char *line, const char *rest)
{
	const char *form = "dddd-dd-dd dd:dd:dd.ddd UTC [";
	for (size_t i = 0; form[i]; i++)
		if (form[i] == 'd' ? !(line[i] >= '0' && line[i] <= '9') : line[i] != form[i])
			return false;
	char pid[32];
	int k = snprintf(pid, sizeof(pid), "%d] ", (int)getpid());
	const char *p = line + strlen(form);
	return strncmp(p, pid, (size_t)k) == 0 && strncmp(p + k, rest, strlen(rest)) == 0 &&
	       p[k + strlen(rest)] == '\n';
}

static int evaluated;
static int count_evaluation(void) { return ++evaluated; }

#define THREAD_LINES 2000

static void *log_lines(void *arg)
{
	LogTag tag;
	log_tag_set(&tag, "thread %d", *(int *)arg);
	for (int i = 0; i < THREAD_LINES; i++)
		log_write(LOG_LEVEL_INFO, &tag, "line %d of a thread %s", i, "that writes while another one does");
	return NULL;
}

int main(void)
{
	out = tmpfile();
	if (!out) {
		printf("Bail out! tmpfile failed\n");
		return 1;
	}
	log_set_output(out);
	log_set_program("dosql-test");
	LogTag tag;
	log_tag_set(&tag, "session %d (%s@%s)", 17, "alice", "db");

	/* the form of a line */
	log_write(LOG_LEVEL_WARNING, &tag, "shard \"%s\" is down", "-80");
	ok(line_is(logged(), "dosql-test WARNING: session 17 (alice@db): shard \"-80\" is down"),
	   "timestamp, pid, program, level, tag, message");
	log_write(LOG_LEVEL_ERROR, NULL, "no tag");
	ok(line_is(logged(), "dosql-test ERROR: no tag"), "a line without a tag");
	LogTag empty;
	log_tag_set(&empty, NULL);
	log_write(LOG_LEVEL_ERROR, &empty, "empty tag");
	ok(line_is(logged(), "dosql-test ERROR: empty tag"), "an empty tag is left out");
	log_set_program(NULL);
	log_write(LOG_LEVEL_NOTICE, &tag, "x");
	ok(line_is(logged(), "NOTICE: session 17 (alice@db): x"), "no program name: none shown");
	log_set_program("dosql-test");

	/* levels */
	is_int(log_get_level(), LOG_LEVEL_INFO, "INFO by default");
	log_debug(&tag, "hidden");
	is_str(logged(), "", "a DEBUG line is dropped at INFO");
	log_set_level(LOG_LEVEL_WARNING);
	log_info(&tag, "hidden %d", count_evaluation());
	is_str(logged(), "", "an INFO line is dropped at WARNING");
	is_int(evaluated, 0, "... its arguments not even evaluated");
	log_warning(&tag, "shown %d", count_evaluation());
	ok(line_is(logged(), "dosql-test WARNING: session 17 (alice@db): shown 1"),
	   "a WARNING line is written at WARNING");
	is_int(evaluated, 1, "... its arguments evaluated once");
	log_write(LOG_LEVEL_INFO, &tag, "hidden");
	is_str(logged(), "", "log_write drops a line below the level too");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug(&tag, "now shown");
	ok(line_is(logged(), "dosql-test DEBUG: session 17 (alice@db): now shown"),
	   "DEBUG lines once the level is DEBUG");
	ok(log_enabled(LOG_LEVEL_DEBUG) && log_enabled(LOG_LEVEL_FATAL), "log_enabled at DEBUG");
	log_set_level(LOG_LEVEL_INFO);
	ok(!log_enabled(LOG_LEVEL_DEBUG) && log_enabled(LOG_LEVEL_INFO), "log_enabled at INFO");

	/* level names */
	LogLevel lv = LOG_LEVEL_INFO;
	ok(log_level_parse("warning", &lv) && lv == LOG_LEVEL_WARNING, "log_level_parse(\"warning\")");
	ok(log_level_parse("DEBUG", &lv) && lv == LOG_LEVEL_DEBUG, "log_level_parse(\"DEBUG\")");
	ok(!log_level_parse("loud", &lv) && lv == LOG_LEVEL_DEBUG, "an unknown level name is refused, *out untouched");
	ok(!log_level_parse(NULL, &lv), "NULL names no level");
	is_str(log_level_name(LOG_LEVEL_FATAL), "FATAL", "log_level_name(LOG_LEVEL_FATAL)");
	is_str(log_level_name((LogLevel)42), "LOG", "an out-of-range level has a name all the same");

	/* messages */
	log_write(LOG_LEVEL_INFO, &tag, "%s", "from libpq\n");
	ok(line_is(logged(), "dosql-test INFO: session 17 (alice@db): from libpq"),
	   "a message's own final newline is not doubled");
	char big[10000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_write(LOG_LEVEL_INFO, &tag, "%s", big);
	const char *l = logged();
	size_t n = strlen(l);
	ok(n > 4096 && n < 4096 + 300, "a 10,000-byte message is cut to about 4 KiB (%zu bytes)", n);
	ok(n > 4 && strcmp(l + n - 4, "...\n") == 0 && strchr(l, '\n') == l + n - 1,
	   "... and ends with \"...\" and one newline");
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	log_tag_set(&tag, "session %s", longname);
	is_int(strlen(tag.text), sizeof(tag.text) - 1, "a long tag is cut to fit");

	/* threads: every line whole */
	int ids[2] = {1, 2};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, log_lines, &ids[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	fflush(out);
	long size = ftell(out);
	char *all = malloc((size_t)size + 1);
	rewind(out);
	size_t got = all ? fread(all, 1, (size_t)size, out) : 0;
	int whole = 0, broken = 0;
	for (char *p = all, *e; all && p < all + got; p = e + 1) {
		e = memchr(p, '\n', (size_t)(all + got - p));
		if (!e)
			break;
		char want[128];
		int t, i;
		const char *msg = strstr(p, "INFO: thread ");
		if (msg && msg < e && sscanf(msg, "INFO: thread %d: line %d of a thread", &t, &i) == 2 &&
		    snprintf(want, sizeof(want),
			     "dosql-test INFO: thread %d: line %d of a thread that writes while another one does", t,
			     i) > 0 &&
		    line_is(p, want))
			whole++;
		else
			broken++;
	}
	is_int(whole, 2 * THREAD_LINES, "two threads logging at once: every line whole");
	is_int(broken, 0, "... and none mixed");
	free(all);
	fclose(out);
	return tap_done();
}
