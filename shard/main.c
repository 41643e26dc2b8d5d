/*
 * main.c - dosql-shard: serve the PostgreSQL protocol over one SQLite file.
 *
 *   dosql-shard --data DIR --port N [--host ADDR] [--unix-socket-dir D]
 *               [--auth trust|password|md5|scram-sha-256 --passwd-file F]
 *               [--ssl-cert F --ssl-key F] [--max-message-size BYTES]
 *               [--busy-timeout MS] [--config FILE]
 *
 * A config file holds the same settings as "name = value" lines (the flag
 * names without dashes); errors name the file and line.  Each client gets a
 * thread and its own SQLite connection; the database runs in WAL mode so
 * readers never wait for writers.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgwire/blocking.h"
#include "shard/rowlock.h"
#include "shard/session.h"

typedef struct Options {
	char *data, *host, *unix_dir, *auth, *passwd_file, *ssl_cert, *ssl_key, *config;
	long port, max_message, busy_timeout, retention, row_locks;
} Options;

static volatile sig_atomic_t stopping;
static _Atomic int active_threads;

/* Client threads that have finished and wait to be joined: joining them
 * (rather than detaching) lets shutdown wait until each has really ended,
 * thread-local destructors included. */
static pthread_mutex_t finished_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t *finished;
static int nfinished, finished_cap;

static void join_finished(void)
{
	pthread_mutex_lock(&finished_lock);
	pthread_t *list = finished;
	int n = nfinished;
	finished = NULL;
	nfinished = finished_cap = 0;
	pthread_mutex_unlock(&finished_lock);
	for (int i = 0; i < n; i++)
		pthread_join(list[i], NULL);
	free(list);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: dosql-shard --data DIR --port N [--host ADDR] [--unix-socket-dir DIR]\n"
			"                   [--auth trust|password|md5|scram-sha-256] [--passwd-file FILE]\n"
			"                   [--ssl-cert FILE --ssl-key FILE] [--max-message-size BYTES]\n"
			"                   [--busy-timeout MS] [--changelog-retention SECONDS] [--config FILE]\n"
			"                   [--row-locks 0|1]\n");
}

/* Apply one setting; false with a message in err. */
static bool set_option(Options *o, const char *name, const char *value, char *err, size_t errsz)
{
	struct {
		const char *name;
		char **str;
		long *num;
	} table[] = {
		{"data", &o->data, NULL},
		{"host", &o->host, NULL},
		{"unix-socket-dir", &o->unix_dir, NULL},
		{"auth", &o->auth, NULL},
		{"passwd-file", &o->passwd_file, NULL},
		{"ssl-cert", &o->ssl_cert, NULL},
		{"ssl-key", &o->ssl_key, NULL},
		{"config", &o->config, NULL},
		{"port", NULL, &o->port},
		{"max-message-size", NULL, &o->max_message},
		{"busy-timeout", NULL, &o->busy_timeout},
		{"changelog-retention", NULL, &o->retention},
		{"row-locks", NULL, &o->row_locks},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(table[i].name, name) != 0)
			continue;
		if (table[i].str) {
			free(*table[i].str);
			*table[i].str = strdup(value);
			return true;
		}
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || *end || !*value || v < 0) {
			snprintf(err, errsz, "invalid value for \"%s\": \"%s\" (expected a non-negative integer)", name, value);
			return false;
		}
		*table[i].num = v;
		return true;
	}
	snprintf(err, errsz, "unknown setting \"%s\"", name);
	return false;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static bool load_config(Options *o, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "dosql-shard: %s: %s\n", path, strerror(errno));
		return false;
	}
	char line[4096], err[512];
	int lineno = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		char *l = trim(line);
		if (!*l || *l == '#')
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			fprintf(stderr, "dosql-shard: %s:%d: expected \"name = value\"\n", path, lineno);
			ok = false;
			break;
		}
		*eq = 0;
		char *name = trim(l), *value = trim(eq + 1);
		size_t vl = strlen(value);
		if (vl >= 2 && ((value[0] == '"' && value[vl - 1] == '"') || (value[0] == '\'' && value[vl - 1] == '\''))) {
			value[vl - 1] = 0;
			value++;
		}
		if (strcmp(name, "config") == 0 || !set_option(o, name, value, err, sizeof(err))) {
			fprintf(stderr, "dosql-shard: %s:%d: %s\n", path, lineno,
				strcmp(name, "config") == 0 ? "\"config\" cannot be set in a config file" : err);
			ok = false;
		}
	}
	fclose(f);
	return ok;
}

typedef struct ThreadArg {
	ShdServer *srv;
	int fd;
} ThreadArg;

static void *client_thread(void *p)
{
	ThreadArg *a = p;
	shd_session_run(a->srv, a->fd);
	free(a);
	pthread_mutex_lock(&finished_lock);
	if (nfinished == finished_cap) {
		int cap = finished_cap ? finished_cap * 2 : 16;
		pthread_t *grown = realloc(finished, sizeof(*finished) * (size_t)cap);
		if (grown) {
			finished = grown;
			finished_cap = cap;
		}
	}
	if (nfinished < finished_cap)
		finished[nfinished++] = pthread_self();
	else
		pthread_detach(pthread_self());
	pthread_mutex_unlock(&finished_lock);
	atomic_fetch_sub(&active_threads, 1);
	return NULL;
}

static void free_options(Options *o)
{
	free(o->data);
	free(o->host);
	free(o->unix_dir);
	free(o->auth);
	free(o->passwd_file);
	free(o->ssl_cert);
	free(o->ssl_key);
	free(o->config);
}

static bool prepare_database(ShdServer *srv)
{
	sqlite3 *db;
	char *err = NULL;
	if (sqlite3_open_v2(srv->db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		fprintf(stderr, "dosql-shard: cannot open %s: %s\n", srv->db_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return false;
	}
	sqlite3_busy_timeout(db, 10000);
	bool ok = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, &err) == SQLITE_OK &&
		  pgs_catalog_bootstrap(db, &err);
	sqlite3_stmt *st;
	if (ok && sqlite3_prepare_v2(db, "SELECT max(coalesce((SELECT max(commit_ts) FROM _dosql_changelog), 0),"
				 " coalesce((SELECT max(confirmed >> 8) FROM _dosql_slots), 0))", -1, &st, NULL) ==
			  SQLITE_OK) {
		/* commit times keep rising across restarts, whatever the clock does */
		if (sqlite3_step(st) == SQLITE_ROW)
			srv->hlc = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (!ok)
		fprintf(stderr, "dosql-shard: cannot initialise %s: %s\n", srv->db_path, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
	return ok;
}

/* Everything after option parsing; returns the exit status. */
static int serve(Options *o)
{
	static ShdServer srv;
	int rc = 1;
	int fds[2];
	int nfds = 0;
	char sockpath[256] = "";
	pthread_attr_t attr;
	bool attr_init = false;
	pthread_mutex_init(&srv.lock, NULL);
	pthread_mutex_init(&srv.prep_lock, NULL);
	pthread_mutex_init(&srv.clock_lock, NULL);
	shd_durable_init(&srv);
	srv.next_pid = 1000 + (getpid() % 1000) * 1000;
	srv.busy_timeout_ms = (int)o->busy_timeout;
	if (o->row_locks && !shd_rl_init(&srv)) {
		fprintf(stderr, "dosql-shard: out of memory\n");
		goto out;
	}
	srv.retention_us = (int64_t)o->retention * 1000000;
	srv.pgw.max_message = (uint32_t)(o->max_message > 0x7FFFFFFF ? 0x7FFFFFFF : o->max_message);
	srv.pgw.auth = PGW_AUTH_TRUST;
	if (o->auth && !pgw_auth_method_from_str(o->auth, &srv.pgw.auth)) {
		fprintf(stderr, "dosql-shard: unknown auth method \"%s\" (trust, password, md5, scram-sha-256)\n", o->auth);
		rc = 2;
		goto out;
	}
	if (srv.pgw.auth != PGW_AUTH_TRUST && !o->passwd_file) {
		fprintf(stderr, "dosql-shard: --auth %s needs --passwd-file\n", o->auth);
		rc = 2;
		goto out;
	}
	if (o->passwd_file) {
		char uerr[512];
		if (!pgw_users_load(&srv.users, o->passwd_file, uerr, sizeof(uerr))) {
			fprintf(stderr, "dosql-shard: %s\n", uerr);
			rc = 2;
			goto out;
		}
	}
	if (o->ssl_cert || o->ssl_key) {
		if (!o->ssl_cert || !o->ssl_key) {
			fprintf(stderr, "dosql-shard: --ssl-cert and --ssl-key go together\n");
			rc = 2;
			goto out;
		}
		srv.ssl_ctx = pgw_tls_context(o->ssl_cert, o->ssl_key);
		if (!srv.ssl_ctx)
			goto out;
		srv.pgw.tls_available = true;
	}

	if (mkdir(o->data, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "dosql-shard: cannot create %s: %s\n", o->data, strerror(errno));
		goto out;
	}
	snprintf(srv.db_path, sizeof(srv.db_path), "%s/shard.db", o->data);
	if (!prepare_database(&srv) || !shd_prep_recover(&srv))
		goto out;

	const char *host = o->host ? o->host : "127.0.0.1";
	fds[nfds] = pgw_listen_tcp(host, (int)o->port);
	if (fds[nfds] < 0) {
		fprintf(stderr, "dosql-shard: cannot listen on %s:%ld: %s\n", host, o->port, strerror(errno));
		goto out;
	}
	nfds++;
	if (o->unix_dir) {
		fds[nfds] = pgw_listen_unix(o->unix_dir, (int)o->port, sockpath, sizeof(sockpath));
		if (fds[nfds] < 0) {
			fprintf(stderr, "dosql-shard: cannot listen on unix socket in %s: %s\n", o->unix_dir, strerror(errno));
			goto out;
		}
		nfds++;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fprintf(stderr, "dosql-shard: serving %s on %s:%ld%s%s (auth %s%s)\n", srv.db_path, host, o->port,
		sockpath[0] ? " and " : "", sockpath, pgw_auth_method_to_str(srv.pgw.auth), srv.ssl_ctx ? ", TLS" : "");

	pthread_attr_init(&attr);
	attr_init = true;
	while (!stopping) {
		join_finished();
		struct pollfd p[2];
		for (int i = 0; i < nfds; i++) {
			p[i].fd = fds[i];
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		if (poll(p, (nfds_t)nfds, 1000) < 0)
			continue;
		for (int i = 0; i < nfds; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			int cfd = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC);
			if (cfd < 0)
				continue;
			ThreadArg *a = malloc(sizeof(*a));
			a->srv = &srv;
			a->fd = cfd;
			pthread_t t;
			atomic_fetch_add(&active_threads, 1);
			if (pthread_create(&t, &attr, client_thread, a) != 0) {
				atomic_fetch_sub(&active_threads, 1);
				close(cfd);
				free(a);
			}
		}
	}

	/* Shut down: stop listening, end every session, wait for the threads. */
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (sockpath[0])
		unlink(sockpath);
	for (int waited = 0; atomic_load(&active_threads) > 0 && waited < 1000; waited++) {
		pthread_mutex_lock(&srv.lock);
		for (int i = 0; i < srv.nsessions; i++) {
			shutdown(srv.sessions[i]->fd, SHUT_RDWR);
			sqlite3_interrupt(srv.sessions[i]->pg.db);
		}
		pthread_mutex_unlock(&srv.lock);
		usleep(10000);
	}
	join_finished();
	fprintf(stderr, "dosql-shard: stopped\n");
	rc = 0;
out:
	for (int i = 0; i < nfds && rc != 0; i++)
		close(fds[i]);
	if (srv.ssl_ctx)
		SSL_CTX_free(srv.ssl_ctx);
	pgw_users_cleanup(&srv.users);
	shd_prep_shutdown(&srv); /* holders leave srv.sessions */
	free(srv.sessions);
	if (attr_init)
		pthread_attr_destroy(&attr);
	return rc;
}

int main(int argc, char **argv)
{
	Options o = {.port = -1, .max_message = PGW_DEFAULT_MAX_MESSAGE, .busy_timeout = 5000, .retention = 3600};
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		}
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
			usage();
			free_options(&o);
			return 2;
		}
		if (!set_option(&o, argv[i] + 2, argv[i + 1], err, sizeof(err))) {
			fprintf(stderr, "dosql-shard: %s\n", err);
			usage();
			free_options(&o);
			return 2;
		}
		i++;
	}
	if (o.config) {
		/* flags win over the file: load it, then re-apply the command line */
		Options file = {.port = -1, .max_message = PGW_DEFAULT_MAX_MESSAGE, .busy_timeout = 5000, .retention = 3600};
		if (!load_config(&file, o.config)) {
			free_options(&file);
			free_options(&o);
			return 2;
		}
		for (int i = 1; i + 1 < argc; i += 2)
			(void)set_option(&file, argv[i] + 2, argv[i + 1], err, sizeof(err));
		free_options(&o);
		o = file;
	}
	int rc;
	if (!o.data || o.port <= 0 || o.port > 65535) {
		fprintf(stderr, "dosql-shard: --data and --port are required\n");
		usage();
		rc = 2;
	} else {
		rc = serve(&o);
	}
	free_options(&o);
	return rc;
}

