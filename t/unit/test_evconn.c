/*
 * test_evconn.c - the libevent driver of pgwire/evconn.c, end to end.
 *
 * A libevent loop runs in a thread with two servers: one with trust auth on
 * a free loopback port and its unix socket, one with SCRAM.  Both offer TLS
 * with a self-signed certificate made here.  The handler answers a simple
 * Query with one row echoing the query text, either at once or later from a
 * timer ("delay N"); "big N" answers N rows of 1 KiB, "fatal" ends the
 * session with a FATAL error.  The main thread talks to them with libpq and
 * with raw sockets.
 */
#include "pgwire/evconn.h"

#include <errno.h>
#include <event2/event.h>
#include <postgresql/libpq-fe.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pgwire/tls.h"
#include "t/unit/tap.h"

#define NCLIENTS 50
#define NQUERIES 20

/* ------------------------------------------------------------ server side */

typedef struct Session {
	PgwEvConn *ec;
	struct event *timer; /* owned; the delayed answer */
	char *pending_sql;   /* owned; the query the timer answers */
} Session;

static struct event_base *base;
static PgwEvServer *srv, *srv_scram;
static SSL_CTX *ssl_ctx;
static int ctl[2]; /* main thread -> loop: stop */
static char scram_verifier[256];
static atomic_int n_accepted, n_closed, n_queries, n_delayed_answers;

static void answer(PgwConn *c, const char *sql)
{
	PgwField f = {.name = "echo", .type_oid = 25, .typlen = -1, .typmod = -1};
	pgw_send_row_description(c, 1, &f);
	pgw_row_begin(c, 1);
	size_t m = pgw_row_value_begin(c);
	buf_put_str(&c->out, sql);
	pgw_row_value_end(c, m);
	pgw_row_end(c);
	pgw_send_command_complete(c, "SELECT 1");
	pgw_send_ready(c, 'I');
}

static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
	Session *s = arg;
	PgwConn *c = pgw_evconn_conn(s->ec);
	(void)fd;
	(void)what;
	answer(c, s->pending_sql);
	free(s->pending_sql);
	s->pending_sql = NULL;
	atomic_fetch_add(&n_delayed_answers, 1);
	pgw_evconn_resume_reading(s->ec);
	(void)pgw_evconn_flush(s->ec);
}

static bool h_session_start(PgwConn *c)
{
	pgw_send_parameter_status(c, "server_version", "15.18");
	pgw_send_parameter_status(c, "client_encoding", "UTF8");
	pgw_send_parameter_status(c, "standard_conforming_strings", "on");
	return true;
}

static const char *h_user_secret(PgwConn *c, const char *user)
{
	(void)c;
	return strcmp(user, "alice") == 0 ? scram_verifier : NULL;
}

static void h_query(PgwConn *c, const char *sql)
{
	PgwEvConn *ec = pgw_evconn_from_conn(c);
	Session *s = pgw_evconn_user(ec);
	int n;
	atomic_fetch_add(&n_queries, 1);
	if (sscanf(sql, "delay %d", &n) == 1) {
		s->pending_sql = strdup(sql);
		struct timeval tv = {0, n * 1000};
		evtimer_add(s->timer, &tv);
		pgw_evconn_pause_reading(ec);
		return;
	}
	if (sscanf(sql, "big %d", &n) == 1) {
		char row[1024];
		memset(row, 'x', sizeof(row));
		PgwField f = {.name = "big", .type_oid = 25, .typlen = -1, .typmod = -1};
		pgw_send_row_description(c, 1, &f);
		for (int i = 0; i < n; i++) {
			pgw_row_begin(c, 1);
			size_t m = pgw_row_value_begin(c);
			buf_put(&c->out, row, sizeof(row));
			pgw_row_value_end(c, m);
			pgw_row_end(c);
			(void)pgw_maybe_flush(c);
		}
		pgw_send_command_complete(c, "SELECT");
		pgw_send_ready(c, 'I');
		return;
	}
	if (strcmp(sql, "fatal") == 0) {
		pgw_send_fatalf(c, "57P01", "terminating connection as asked");
		return;
	}
	answer(c, sql);
}

static void h_unsupported(PgwConn *c) { pgw_send_errorf(c, "0A000", "extended protocol not supported here"); }
static void h_parse(PgwConn *c, const char *name, const char *sql, int n, const uint32_t *oids)
{
	(void)name, (void)sql, (void)n, (void)oids;
	h_unsupported(c);
}
static void h_bind(PgwConn *c, const PgwBind *b)
{
	(void)b;
	h_unsupported(c);
}
static void h_describe(PgwConn *c, char kind, const char *name)
{
	(void)kind, (void)name;
	h_unsupported(c);
}
static void h_execute(PgwConn *c, const char *portal, int32_t maxrows)
{
	(void)portal, (void)maxrows;
	h_unsupported(c);
}
static void h_close(PgwConn *c, char kind, const char *name)
{
	(void)kind, (void)name;
	h_unsupported(c);
}
static void h_sync(PgwConn *c) { pgw_send_ready(c, 'I'); }
static void h_copy_data(PgwConn *c, const uint8_t *d, size_t n) { (void)c, (void)d, (void)n; }
static void h_copy_done(PgwConn *c) { pgw_send_ready(c, 'I'); }
static void h_copy_fail(PgwConn *c, const char *m)
{
	(void)m;
	pgw_send_ready(c, 'I');
}

static const PgwHandler handler = {
	.session_start = h_session_start,
	.user_secret = h_user_secret,
	.query = h_query,
	.parse = h_parse,
	.bind = h_bind,
	.describe = h_describe,
	.execute = h_execute,
	.close = h_close,
	.sync = h_sync,
	.copy_data = h_copy_data,
	.copy_done = h_copy_done,
	.copy_fail = h_copy_fail,
};

static bool on_accept(PgwEvConn *ec, void *arg)
{
	(void)arg;
	Session *s = calloc(1, sizeof(*s));
	if (!s)
		return false;
	s->ec = ec;
	s->timer = evtimer_new(base, delay_cb, s);
	pgw_evconn_set_user(ec, s);
	pgw_evconn_conn(ec)->user = s;
	atomic_fetch_add(&n_accepted, 1);
	return true;
}

static void on_close(PgwEvConn *ec, void *arg)
{
	Session *s = pgw_evconn_user(ec);
	(void)arg;
	event_free(s->timer);
	free(s->pending_sql);
	free(s);
	atomic_fetch_add(&n_closed, 1);
}

static void ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	event_base_loopbreak(base);
}

static void *loop_main(void *arg)
{
	(void)arg;
	event_base_dispatch(base);
	return NULL;
}

/* ------------------------------------------------------------ certificate */

/* A self-signed P-256 certificate for CN=localhost in dir/server.{crt,key}. */
static bool make_cert(const char *dir, char *crt, char *key, size_t sz)
{
	snprintf(crt, sz, "%s/server.crt", dir);
	snprintf(key, sz, "%s/server.key", dir);
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	bool good = false;
	if (!pk || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24);
	X509_set_pubkey(x, pk);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, pk, EVP_sha256()))
		goto out;
	FILE *f = fopen(crt, "w");
	if (!f)
		goto out;
	good = PEM_write_X509(f, x) == 1;
	fclose(f);
	f = fopen(key, "w");
	if (!f) {
		good = false;
		goto out;
	}
	good = good && PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1;
	fclose(f);
out:
	X509_free(x);
	EVP_PKEY_free(pk);
	return good;
}

/* ------------------------------------------------------------ client side */

static int port, port_scram;
static char sockdir[64];

static PGconn *connect_to(const char *extra)
{
	char cs[512];
	snprintf(cs, sizeof(cs), "host=127.0.0.1 port=%d user=bob dbname=db gssencmode=disable connect_timeout=10 %s",
		 port, extra);
	return PQconnectdb(cs);
}

/* Run sql and return its single value (static buffer), or NULL. */
static const char *query1(PGconn *pc, const char *sql, char *out, size_t outsz)
{
	PGresult *r = PQexec(pc, sql);
	const char *v = NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 1) {
		snprintf(out, outsz, "%s", PQgetvalue(r, 0, 0));
		v = out;
	}
	PQclear(r);
	return v;
}

static void *client_main(void *arg)
{
	intptr_t id = (intptr_t)arg;
	PGconn *pc = connect_to(id % 5 == 0 ? "sslmode=require" : "sslmode=disable");
	intptr_t good = 0;
	if (PQstatus(pc) == CONNECTION_OK) {
		for (int i = 0; i < NQUERIES; i++) {
			char sql[64], got[64];
			if (i % 4 == 1)
				snprintf(sql, sizeof(sql), "delay %d", 1 + (int)(id + i) % 7);
			else
				snprintf(sql, sizeof(sql), "select %ld, %d", (long)id, i);
			const char *v = query1(pc, sql, got, sizeof(got));
			if (v && strcmp(v, sql) == 0)
				good++;
		}
	}
	PQfinish(pc);
	return (void *)good;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Poll until every accepted connection has been closed (10 s at most). */
static bool wait_all_closed(void)
{
	for (int i = 0; i < 1000; i++) {
		if (atomic_load(&n_closed) == atomic_load(&n_accepted))
			return true;
		sleep_ms(10);
	}
	return false;
}

static int raw_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool raw_send(int fd, const Buf *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

static bool raw_read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 10000) != 1)
			return false;
		ssize_t r = recv(fd, p, n, 0);
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* Read one message; its body into b.  False on EOF, error or timeout. */
static bool raw_read_msg(int fd, char *type, Buf *b)
{
	uint8_t h[5];
	if (!raw_read_full(fd, h, 5))
		return false;
	uint32_t len = rd_be32(h + 1);
	if (len < 4)
		return false;
	*type = (char)h[0];
	buf_reset(b);
	if (!buf_reserve(b, len - 4) || !raw_read_full(fd, b->data, len - 4))
		return false;
	b->len = len - 4;
	return true;
}

static void put_query(Buf *b, const char *sql)
{
	buf_msg_begin(b, 'Q');
	buf_put_cstr(b, sql);
	buf_msg_end(b);
}

/* Connect, authenticate (trust) and read up to the first ReadyForQuery. */
static int raw_session(void)
{
	int fd = raw_connect();
	Buf b;
	char t = 0;
	buf_init(&b);
	buf_msg_begin(&b, 0);
	buf_put_u32(&b, PGW_PROTOCOL_3);
	buf_put_cstr(&b, "user");
	buf_put_cstr(&b, "raw");
	buf_put_u8(&b, 0);
	buf_msg_end(&b);
	if (fd < 0 || !raw_send(fd, &b)) {
		if (fd >= 0)
			close(fd);
		buf_cleanup(&b);
		return -1;
	}
	while (t != 'Z' && raw_read_msg(fd, &t, &b))
		;
	buf_cleanup(&b);
	if (t != 'Z') {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read replies until ReadyForQuery; returns the number of DataRows and
 * copies the first one's value into first. */
static int raw_read_result(int fd, char *first, size_t firstsz)
{
	Buf b;
	char t = 0;
	int rows = 0;
	buf_init(&b);
	first[0] = 0;
	while (raw_read_msg(fd, &t, &b)) {
		if (t == 'D') {
			if (rows++ == 0 && b.len >= 6) {
				uint32_t n = rd_be32(b.data + 2);
				snprintf(first, firstsz, "%.*s", (int)(n < b.len - 6 ? n : b.len - 6), b.data + 6);
			}
		} else if (t == 'Z') {
			buf_cleanup(&b);
			return rows;
		}
	}
	buf_cleanup(&b);
	return -1;
}

/* ------------------------------------------------------------ tests */

static void test_basic(void)
{
	char got[256];
	PGconn *pc = connect_to("sslmode=disable");
	is_int(PQstatus(pc), CONNECTION_OK, "tcp: connected (%s)", PQerrorMessage(pc));
	is_str(query1(pc, "select 1", got, sizeof(got)), "select 1", "tcp: query answered at once");
	is_str(query1(pc, "delay 30", got, sizeof(got)), "delay 30", "tcp: query answered later from a timer");
	is_str(query1(pc, "after delay", got, sizeof(got)), "after delay", "tcp: next query after a delayed one");
	is_str(PQparameterStatus(pc, "server_version"), "15.18", "ParameterStatus reached the client");
	PQfinish(pc);

	char cs[256];
	snprintf(cs, sizeof(cs), "host=%s port=%d user=bob dbname=db connect_timeout=10", sockdir, port);
	pc = PQconnectdb(cs);
	is_int(PQstatus(pc), CONNECTION_OK, "unix socket: connected (%s)", PQerrorMessage(pc));
	is_str(query1(pc, "over unix", got, sizeof(got)), "over unix", "unix socket: query answered");
	is_str(query1(pc, "delay 5", got, sizeof(got)), "delay 5", "unix socket: delayed answer");
	PQfinish(pc);
}

static void test_tls(void)
{
	char got[256];
	PGconn *pc = connect_to("sslmode=require");
	is_int(PQstatus(pc), CONNECTION_OK, "tls: connected (%s)", PQerrorMessage(pc));
	ok(PQsslInUse(pc), "tls: sslmode=require negotiated TLS");
	is_str(query1(pc, "select 'tls'", got, sizeof(got)), "select 'tls'", "tls: query answered");
	is_str(query1(pc, "delay 20", got, sizeof(got)), "delay 20", "tls: delayed answer");
	PGresult *r = PQexec(pc, "big 3000");
	ok(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 3000 && PQgetlength(r, 2999, 0) == 1024,
	   "tls: 3 MiB result intact");
	PQclear(r);
	r = PQexec(pc, "fatal");
	ok(strstr(PQerrorMessage(pc), "FATAL:  terminating connection as asked") != NULL,
	   "tls: FATAL error delivered before the close");
	if (!strstr(PQerrorMessage(pc), "terminating connection as asked"))
		printf("#   got: %s\n", PQerrorMessage(pc));
	PQclear(r);
	PQfinish(pc);

	char cs[512];
	snprintf(cs, sizeof(cs),
		 "host=127.0.0.1 port=%d user=alice password=secret dbname=db sslmode=require channel_binding=require "
		 "gssencmode=disable connect_timeout=10",
		 port_scram);
	pc = PQconnectdb(cs);
	is_int(PQstatus(pc), CONNECTION_OK, "scram over tls with channel_binding=require (%s)", PQerrorMessage(pc));
	is_str(query1(pc, "bound", got, sizeof(got)), "bound", "scram session answers");
	PQfinish(pc);
	snprintf(cs, sizeof(cs),
		 "host=127.0.0.1 port=%d user=alice password=wrong dbname=db sslmode=require gssencmode=disable "
		 "connect_timeout=10",
		 port_scram);
	pc = PQconnectdb(cs);
	ok(PQstatus(pc) == CONNECTION_BAD && strstr(PQerrorMessage(pc), "password authentication failed"),
	   "scram: wrong password refused");
	PQfinish(pc);
}

static void test_concurrent(void)
{
	pthread_t th[NCLIENTS];
	int started = 0;
	long good = 0;
	int before = atomic_load(&n_delayed_answers);
	for (intptr_t i = 0; i < NCLIENTS; i++)
		if (pthread_create(&th[i], NULL, client_main, (void *)i) == 0)
			started++;
	is_int(started, NCLIENTS, "started %d client threads", NCLIENTS);
	for (int i = 0; i < started; i++) {
		void *r;
		pthread_join(th[i], &r);
		good += (long)(intptr_t)r;
	}
	is_int(good, NCLIENTS * NQUERIES, "%d concurrent clients x %d queries all echoed", NCLIENTS, NQUERIES);
	is_int(atomic_load(&n_delayed_answers) - before, NCLIENTS * NQUERIES / 4, "a quarter answered from timers");
}

static void test_pipelined(void)
{
	int fd = raw_session();
	ok(fd >= 0, "raw session started");
	if (fd < 0)
		return;
	Buf b;
	char got[128];
	buf_init(&b);
	put_query(&b, "delay 50");
	put_query(&b, "second");
	put_query(&b, "third");
	ok(raw_send(fd, &b), "three queries sent in one packet");
	is_int(raw_read_result(fd, got, sizeof(got)), 1, "first result: one row");
	is_str(got, "delay 50", "the delayed query is answered first");
	is_int(raw_read_result(fd, got, sizeof(got)), 1, "second result: one row");
	is_str(got, "second", "then the one queued behind it");
	is_int(raw_read_result(fd, got, sizeof(got)), 1, "third result: one row");
	is_str(got, "third", "then the last");
	buf_cleanup(&b);
	close(fd);
}

static void test_backpressure(void)
{
	int fd = raw_session();
	if (fd < 0) {
		ok(0, "raw session for backpressure");
		return;
	}
	Buf b;
	char got[128];
	buf_init(&b);
	int q0 = atomic_load(&n_queries);
	put_query(&b, "big 20000");
	ok(raw_send(fd, &b), "asked for 20 MiB without reading");
	for (int i = 0; i < 1000 && atomic_load(&n_queries) == q0; i++)
		sleep_ms(10);
	buf_reset(&b);
	put_query(&b, "behind big");
	ok(raw_send(fd, &b), "queued a query behind it");
	sleep_ms(200);
	is_int(atomic_load(&n_queries), q0 + 1, "the client is not read while its output is backed up");
	is_int(raw_read_result(fd, got, sizeof(got)), 20000, "all 20000 rows arrive");
	is_int(raw_read_result(fd, got, sizeof(got)), 1, "then the query that waited");
	is_str(got, "behind big", "with its own answer");
	buf_cleanup(&b);
	close(fd);
}

static void test_abrupt(void)
{
	char got[64];
	int q0 = atomic_load(&n_queries);
	for (int i = 0; i < 5; i++) {
		int fd = raw_session();
		if (fd < 0)
			continue;
		Buf b;
		buf_init(&b);
		put_query(&b, "delay 100");
		put_query(&b, "never answered");
		(void)raw_send(fd, &b);
		buf_cleanup(&b);
		if (i % 2 == 0) {
			struct linger lg = {1, 0}; /* RST instead of FIN */
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		/* wait for the server to take the query, then vanish mid-query */
		for (int k = 0; k < 1000 && atomic_load(&n_queries) == q0; k++)
			sleep_ms(5);
		q0 = atomic_load(&n_queries);
		close(fd);
	}
	PGconn *pc = connect_to("sslmode=require");
	if (PQstatus(pc) == CONNECTION_OK && PQsendQuery(pc, "delay 100"))
		PQfinish(pc);
	else
		PQfinish(pc);
	ok(wait_all_closed(), "clients that vanished mid-query were reaped");
	sleep_ms(150); /* past the abandoned timers' deadlines */
	pc = connect_to("sslmode=disable");
	is_str(query1(pc, "still serving", got, sizeof(got)), "still serving", "the loop still serves");
	PQfinish(pc);

	/* bytes that are not a startup packet end only that connection */
	int fd = raw_connect();
	Buf b;
	char t;
	buf_init(&b);
	buf_put_str(&b, "GET / HTTP/1.0\r\n\r\n");
	(void)raw_send(fd, &b);
	ok(raw_read_msg(fd, &t, &b) && t == 'E', "garbage gets an ErrorResponse");
	ok(!raw_read_msg(fd, &t, &b), "and the connection is closed");
	buf_cleanup(&b);
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/dosql-evconn-XXXXXX";
	char crt[128], key[128];
	signal(SIGPIPE, SIG_IGN);
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(sockdir, sizeof(sockdir), "%s", dir);
	ok(make_cert(dir, crt, key, sizeof(crt)), "self-signed certificate");
	ssl_ctx = pgw_tls_context(crt, key);
	ok(ssl_ctx != NULL, "TLS context");
	ok(pgw_scram_make_verifier("secret", 4096, scram_verifier, sizeof(scram_verifier)), "scram verifier");

	PgwConfig cfg = {.auth = PGW_AUTH_TRUST, .tls_available = true, .max_message = PGW_DEFAULT_MAX_MESSAGE};
	PgwConfig cfg_scram = cfg;
	cfg_scram.auth = PGW_AUTH_SCRAM;
	base = event_base_new();
	PgwEvServerOptions o = {
		.cfg = &cfg,
		.handler = &handler,
		.ssl_ctx = ssl_ctx,
		.cb = {.on_accept = on_accept, .on_close = on_close},
	};
	srv = pgw_evserver_create(base, &o);
	o.cfg = &cfg_scram;
	o.first_pid = 1000;
	srv_scram = pgw_evserver_create(base, &o);
	ok(srv && srv_scram, "servers created");
	ok(pgw_evserver_listen_tcp(srv, "127.0.0.1", 0), "listening on a free tcp port");
	port = pgw_evserver_port(srv);
	ok(port > 0, "bound port %d read back", port);
	ok(pgw_evserver_listen_unix(srv, dir, port), "listening on %s/.s.PGSQL.%d", dir, port);
	ok(pgw_evserver_listen_tcp(srv_scram, "127.0.0.1", 0), "scram server listening");
	port_scram = pgw_evserver_port(srv_scram);

	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) == 0, "control socket");
	struct event *stop = event_new(base, ctl[1], EV_READ, ctl_cb, NULL);
	event_add(stop, NULL);
	pthread_t loop;
	ok(pthread_create(&loop, NULL, loop_main, NULL) == 0, "event loop thread");

	test_basic();
	test_tls();
	test_concurrent();
	test_pipelined();
	test_backpressure();
	test_abrupt();

	/* one client is still connected at shutdown: destroy must close it */
	PGconn *left = connect_to("sslmode=disable");
	is_int(PQstatus(left), CONNECTION_OK, "a client left open at shutdown");
	ok(write(ctl[0], "q", 1) == 1, "stop the loop");
	pthread_join(loop, NULL);
	is_int(pgw_evserver_count(srv, PGW_EV_ACTIVE), 1, "one active connection at shutdown");
	pgw_evserver_destroy(srv);
	pgw_evserver_destroy(srv_scram);
	is_int(atomic_load(&n_closed), atomic_load(&n_accepted), "on_close for every accepted connection (%d)",
	       atomic_load(&n_accepted));
	char path[128];
	snprintf(path, sizeof(path), "%s/.s.PGSQL.%d", dir, port);
	ok(access(path, F_OK) != 0 && errno == ENOENT, "unix socket file removed");
	PQfinish(left);
	event_free(stop);
	event_base_free(base);
	close(ctl[0]);
	close(ctl[1]);
	SSL_CTX_free(ssl_ctx);
	unlink(crt);
	unlink(key);
	rmdir(dir);
	return tap_done();
}
