/*
 * evconn.c - PgwConn protocol engines on one libevent loop.
 *
 * Each client is a PgwEvConn: the engine, a bufferevent and a state that is
 * also the server list it sits on.  Bytes flow bufferevent input -> conn->in
 * -> pgw_conn_process() -> conn->out -> bufferevent output.  Every
 * bufferevent is created with BEV_OPT_DEFER_CALLBACKS, so no callback of
 * ours runs inside a libevent call made by the embedder.  A connection that
 * ends is moved to PGW_EV_JUST_FREED and freed by the reaper event after the
 * loop iteration, never inside one of its own callbacks.
 */
#include "pgwire/evconn.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pgwire/blocking.h"
#include "pgwire/tls.h"

#define DEFAULT_OUT_LIMIT (4u << 20)
#define DEFAULT_PAUSED_IN_LIMIT (1u << 20)
#define MAX_SINGLE_READ (64u << 10)
/* While the embedder works on a client's request (the connection paused),
 * the start of its reply waits in conn->out up to this size, to go out
 * with the rest in one send. */
#define HELD_REPLY_MAX (32u << 10)
/* Under TLS, plaintext waits in the filter's output until the socket's
 * output is below this, so the filter's output measures the backlog. */
#define TLS_SOCKET_OUT_HIGH (256u << 10)
#define MAX_LISTENERS 16

struct PgwEvConn {
	PgwEvServer *srv; /* borrowed */
	PgwEvState state;
	PgwEvConn *prev, *next;	       /* in srv->lists[state] */
	PgwConn conn;		       /* the protocol engine; conn.io points back here */
	struct bufferevent *bev;       /* owned; the TLS filter once TLS is on */
	struct event *work;	       /* owned; deferred processing after resume/drain */
	struct evbuffer_cb_entry *tls_flush_cb; /* on the socket's output while FLUSHING */
	void *user;		       /* the embedder's session */
	bool accepted;		       /* on_accept said yes: on_close is owed */
	bool out_throttled;	       /* output above out_limit: not reading */
	bool in_full;		       /* paused with paused_in_limit read ahead */
	bool tls_shutdown_sent;	       /* close_notify queued while FLUSHING */
	char peer[64];
};

struct PgwEvServer {
	struct event_base *base; /* borrowed */
	PgwEvServerOptions o;
	struct evconnlistener *listeners[MAX_LISTENERS]; /* owned */
	char *unix_paths[MAX_LISTENERS];		 /* owned; socket files to remove */
	int nlisteners, nunix;
	int port;
	int32_t next_pid;
	struct event *reaper;	    /* owned; frees the just-freed connections */
	struct event *accept_retry; /* owned; re-enables listeners after EMFILE */
	PgwEvConn *lists[PGW_EV_NSTATES];
	size_t counts[PGW_EV_NSTATES];
};

static const char *const state_names[PGW_EV_NSTATES] = {"active", "handshake", "flushing", "just_freed"};

const char *pgw_ev_state_to_str(PgwEvState s) { return s < PGW_EV_NSTATES ? state_names[s] : "?"; }

/* ------------------------------------------------------------ lists */

static void list_remove(PgwEvConn *ec)
{
	PgwEvServer *s = ec->srv;
	if (ec->prev)
		ec->prev->next = ec->next;
	else
		s->lists[ec->state] = ec->next;
	if (ec->next)
		ec->next->prev = ec->prev;
	ec->prev = ec->next = NULL;
	s->counts[ec->state]--;
}

static void list_push(PgwEvConn *ec)
{
	PgwEvServer *s = ec->srv;
	ec->prev = NULL;
	ec->next = s->lists[ec->state];
	if (ec->next)
		ec->next->prev = ec;
	s->lists[ec->state] = ec;
	s->counts[ec->state]++;
}

static __attribute__((unused)) bool legal_transition(PgwEvState from, PgwEvState to)
{
	switch (from) {
	case PGW_EV_ACTIVE:
		return to == PGW_EV_HANDSHAKE || to == PGW_EV_FLUSHING || to == PGW_EV_JUST_FREED;
	case PGW_EV_HANDSHAKE:
		return to == PGW_EV_ACTIVE || to == PGW_EV_JUST_FREED;
	case PGW_EV_FLUSHING:
		return to == PGW_EV_JUST_FREED;
	default:
		return false;
	}
}

/* The only place a connection changes state: moves it to the new list. */
static void set_state(PgwEvConn *ec, PgwEvState st)
{
	assert(legal_transition(ec->state, st));
	list_remove(ec);
	ec->state = st;
	list_push(ec);
}

/* ------------------------------------------------------------ closing */

static struct bufferevent *socket_bev(PgwEvConn *ec)
{
	struct bufferevent *u = bufferevent_get_underlying(ec->bev);
	return u ? u : ec->bev;
}

/* Bytes not yet handed to the kernel: the top bufferevent's output plus,
 * under TLS, the socket bufferevent's. */
static size_t pending_out(const PgwEvConn *ec)
{
	struct bufferevent *u = bufferevent_get_underlying(ec->bev);
	size_t n = evbuffer_get_length(bufferevent_get_output(ec->bev));
	return u ? n + evbuffer_get_length(bufferevent_get_output(u)) : n;
}

/* Mark the connection closed: no more callbacks, freed by the reaper.
 * Safe from any callback; idempotent. */
static void mark_free(PgwEvConn *ec)
{
	if (ec->state == PGW_EV_JUST_FREED)
		return;
	bufferevent_setcb(ec->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(ec->bev, EV_READ | EV_WRITE);
	event_del(ec->work);
	if (ec->tls_flush_cb) {
		evbuffer_remove_cb_entry(bufferevent_get_output(socket_bev(ec)), ec->tls_flush_cb);
		ec->tls_flush_cb = NULL;
	}
	set_state(ec, PGW_EV_JUST_FREED);
	event_active(ec->srv->reaper, EV_TIMEOUT, 0);
}

/* Free a connection taken off the just-freed list. */
static void conn_destroy(PgwEvConn *ec)
{
	PgwEvServer *s = ec->srv;
	if (ec->accepted && s->o.cb.on_close)
		s->o.cb.on_close(ec, s->o.arg);
	list_remove(ec);
	bufferevent_free(ec->bev);
	event_free(ec->work);
	pgw_conn_cleanup(&ec->conn);
	free(ec);
}

/* The reaper: free every just-freed connection.  on_close may close
 * others; they are freed in the same pass. */
static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	PgwEvServer *s = arg;
	(void)fd;
	(void)what;
	while (s->lists[PGW_EV_JUST_FREED])
		conn_destroy(s->lists[PGW_EV_JUST_FREED]);
}

/* FLUSHING: under TLS, once the filter has encrypted everything, end the
 * session with close_notify; free once everything reached the kernel. */
static void finish_flush(PgwEvConn *ec)
{
	if (ec->state != PGW_EV_FLUSHING)
		return;
	if (ec->tls_flush_cb && !ec->tls_shutdown_sent &&
	    evbuffer_get_length(bufferevent_get_output(ec->bev)) == 0) {
		ec->tls_shutdown_sent = true;
		(void)SSL_shutdown(bufferevent_openssl_get_ssl(ec->bev));
	}
	if (pending_out(ec) == 0)
		mark_free(ec);
}

/* Under TLS the filter's output empties before the socket's: watch the
 * socket's output too while FLUSHING. */
static void tls_flush_cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)b;
	if (info->n_deleted > 0)
		finish_flush(arg);
}

/* ------------------------------------------------------------ flow */

static void set_callbacks(PgwEvConn *ec);

/* Read from the socket unless output is backed up or a paused connection
 * has read far enough ahead. */
static void update_reading(PgwEvConn *ec)
{
	if (ec->state != PGW_EV_ACTIVE)
		return;
	if (ec->out_throttled || ec->in_full)
		bufferevent_disable(ec->bev, EV_READ);
	else
		bufferevent_enable(ec->bev, EV_READ);
}

/* Move received bytes into conn->in (while paused, up to paused_in_limit).
 * Returns false when out of memory. */
static bool pull_input(PgwEvConn *ec)
{
	PgwConn *c = &ec->conn;
	struct evbuffer *in = bufferevent_get_input(ec->bev);
	size_t n = evbuffer_get_length(in);
	size_t limit = ec->srv->o.paused_in_limit;

	if (c->paused)
		n = c->in.len >= limit ? 0 : (n < limit - c->in.len ? n : limit - c->in.len);
	if (n > 0) {
		if (!buf_reserve(&c->in, n))
			return false;
		int got = evbuffer_remove(in, c->in.data + c->in.len, n);
		if (got < 0)
			return false;
		c->in.len += (size_t)got;
	}
	ec->in_full = c->paused && c->in.len >= limit;
	return true;
}

/* Move conn->out to the bufferevent and note backpressure.  Returns false
 * when the output could not be built or queued (out of memory). */
static bool push_output(PgwEvConn *ec)
{
	PgwConn *c = &ec->conn;
	if (c->out.failed)
		return false;
	if (c->out.len == 0)
		return true;
	struct evbuffer *out = bufferevent_get_output(ec->bev);
	size_t sent = 0;
	bool complete = c->out.len >= 6 && c->out.data[c->out.len - 6] == 'Z'; /* ends with ReadyForQuery */
	if (complete && evbuffer_get_length(out) == 0 && !bufferevent_get_underlying(ec->bev)) {
		/* a whole reply with nothing queued ahead: hand it to the kernel
		 * now, which spares the write event its two epoll_ctl calls when
		 * the socket takes it all; what it does not take (or an error), and
		 * the parts of a reply still under way, go the usual way, where
		 * they gather until the loop writes them */
		ssize_t n = send(bufferevent_getfd(ec->bev), c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			sent = (size_t)n;
	}
	if (sent < c->out.len && evbuffer_add(out, c->out.data + sent, c->out.len - sent) != 0)
		return false;
	buf_reset(&c->out);
	if (c->in.len == 0 && !c->paused) {
		/* nothing under way: an idle connection keeps no buffers */
		buf_cleanup(&c->out);
		buf_cleanup(&c->in);
	}
	if (!ec->out_throttled && evbuffer_get_length(out) > ec->srv->o.out_limit) {
		ec->out_throttled = true;
		bufferevent_setwatermark(ec->bev, EV_WRITE, ec->srv->o.out_limit / 4, 0);
		update_reading(ec);
	}
	return true;
}

/* SSLRequest answered 'S': put the TLS filter over the socket and start
 * the handshake.  The 'S' is already queued on the socket's output, ahead
 * of everything the filter writes. */
static void start_tls(PgwEvConn *ec)
{
	PgwEvServer *s = ec->srv;
	SSL *ssl = s->o.ssl_ctx ? SSL_new(s->o.ssl_ctx) : NULL;
	if (!ssl) {
		mark_free(ec);
		return;
	}
	struct bufferevent *under = ec->bev;
	bufferevent_setcb(under, NULL, NULL, NULL, NULL);
	struct bufferevent *tls = bufferevent_openssl_filter_new(s->base, under, ssl, BUFFEREVENT_SSL_ACCEPTING,
								 BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!tls) {
		SSL_free(ssl);
		mark_free(ec);
		return;
	}
	ec->bev = tls;
	bufferevent_setwatermark(under, EV_WRITE, 0, TLS_SOCKET_OUT_HIGH);
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	set_state(ec, PGW_EV_HANDSHAKE);
	set_callbacks(ec);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

/* After the engine or a handler ran: send the output and act on the
 * engine's state.  hold: the engine processed input and the embedder is
 * now working on the request (paused), so a reply not yet complete stays
 * in conn->out until the embedder flushes it, saving a write (and the
 * write event's epoll_ctl calls) per request. */
static void settle_output(PgwEvConn *ec, bool hold)
{
	if (ec->state == PGW_EV_JUST_FREED || ec->state == PGW_EV_HANDSHAKE)
		return;
	PgwConn *c = &ec->conn;
	if (hold && c->paused && c->state == PGW_READY && c->out.len < HELD_REPLY_MAX && !c->out.failed) {
		update_reading(ec);
		return;
	}
	if (!push_output(ec)) {
		fprintf(stderr, "pgwire: client %s (pid %d): out of memory queueing output\n", ec->peer,
			(int)ec->conn.pid);
		mark_free(ec);
		return;
	}
	if (ec->state == PGW_EV_FLUSHING) {
		finish_flush(ec);
		return;
	}
	switch (ec->conn.state) {
	case PGW_TLS_PENDING:
		start_tls(ec);
		break;
	case PGW_CLOSING:
		set_state(ec, PGW_EV_FLUSHING);
		bufferevent_disable(ec->bev, EV_READ);
		bufferevent_setwatermark(ec->bev, EV_WRITE, 0, 0);
		if (bufferevent_get_underlying(ec->bev))
			ec->tls_flush_cb = evbuffer_add_cb(bufferevent_get_output(socket_bev(ec)), tls_flush_cb, ec);
		finish_flush(ec);
		break;
	default:
		update_reading(ec);
		break;
	}
}

static void settle(PgwEvConn *ec) { settle_output(ec, false); }

/* Take in what arrived, let the engine process it, send the replies. */
static void conn_work(PgwEvConn *ec)
{
	if (ec->state != PGW_EV_ACTIVE)
		return;
	if (!pull_input(ec)) {
		fprintf(stderr, "pgwire: client %s (pid %d): out of memory reading input\n", ec->peer,
			(int)ec->conn.pid);
		mark_free(ec);
		return;
	}
	if (!ec->out_throttled)
		pgw_conn_process(&ec->conn);
	settle_output(ec, true);
}

/* ------------------------------------------------------------ callbacks */

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_work(arg);
}

/* Output fell to the write low watermark: finish a close, or lift the
 * backpressure and carry on with what waited. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	PgwEvConn *ec = arg;
	PgwEvServer *s = ec->srv;
	if (ec->state == PGW_EV_FLUSHING) {
		finish_flush(ec);
		return;
	}
	if (!ec->out_throttled || evbuffer_get_length(bufferevent_get_output(bev)) > s->o.out_limit / 4)
		return;
	ec->out_throttled = false;
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	update_reading(ec);
	event_active(ec->work, EV_TIMEOUT, 0);
	if (s->o.cb.on_drain)
		s->o.cb.on_drain(ec, s->o.arg);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	PgwEvConn *ec = arg;
	if ((what & BEV_EVENT_CONNECTED) && ec->state == PGW_EV_HANDSHAKE) {
		(void)pgw_tls_set_cert_hash(&ec->conn, bufferevent_openssl_get_ssl(bev));
		pgw_conn_tls_done(&ec->conn);
		set_state(ec, PGW_EV_ACTIVE);
		conn_work(ec);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		mark_free(ec);
}

static void work_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_work(arg);
}

/* Route the top bufferevent's callbacks to this connection. */
static void set_callbacks(PgwEvConn *ec)
{
	bufferevent_setcb(ec->bev, read_cb, write_cb, event_cb, ec);
}

/* The engine asks for its output to be written now (Flush message, large
 * results).  False once the connection is closed. */
static bool engine_flush(PgwConn *c)
{
	PgwEvConn *ec = c->io;
	if (ec->state == PGW_EV_JUST_FREED)
		return false;
	if (!push_output(ec)) {
		mark_free(ec);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ accepting */

static void format_peer(const struct sockaddr *sa, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	} else {
		snprintf(out, outsz, "[local]");
		return;
	}
	snprintf(out, outsz, sa->sa_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	PgwEvServer *s = arg;
	(void)l;
	(void)salen;
	if (sa->sa_family != AF_UNIX) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	PgwEvConn *ec = calloc(1, sizeof(*ec));
	struct bufferevent *bev =
		ec ? bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS) : NULL;
	struct event *work = bev ? event_new(s->base, -1, 0, work_cb, ec) : NULL;
	if (!work) {
		fprintf(stderr, "pgwire: out of memory accepting a client\n");
		if (bev)
			bufferevent_free(bev);
		else
			close(fd);
		free(ec);
		return;
	}
	ec->srv = s;
	ec->bev = bev;
	ec->work = work;
	format_peer(sa, ec->peer, sizeof(ec->peer));
	int32_t pid = s->next_pid;
	s->next_pid = s->next_pid == INT32_MAX ? 1 : s->next_pid + 1;
	pgw_conn_init(&ec->conn, s->o.cfg, s->o.handler, NULL, pid);
	ec->conn.io = ec;
	ec->conn.io_flush = engine_flush;
	ec->state = PGW_EV_ACTIVE;
	list_push(ec);
	bufferevent_set_max_single_read(bev, MAX_SINGLE_READ);
	set_callbacks(ec);
	if (s->o.cb.on_accept && !s->o.cb.on_accept(ec, s->o.arg)) {
		mark_free(ec);
		return;
	}
	ec->accepted = true;
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	PgwEvServer *s = arg;
	(void)fd;
	(void)what;
	for (int i = 0; i < s->nlisteners; i++)
		evconnlistener_enable(s->listeners[i]);
}

/* accept() failed (typically out of descriptors): stop accepting for a
 * second instead of spinning on the pending connection. */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	PgwEvServer *s = arg;
	int e = EVUTIL_SOCKET_ERROR();
	(void)l;
	if (e == EINTR || e == EAGAIN || e == ECONNABORTED)
		return;
	fprintf(stderr, "pgwire: accept failed: %s; pausing new connections for 1s\n", strerror(e));
	for (int i = 0; i < s->nlisteners; i++)
		evconnlistener_disable(s->listeners[i]);
	struct timeval tv = {1, 0};
	evtimer_add(s->accept_retry, &tv);
}

/* ------------------------------------------------------------ server */

PgwEvServer *pgw_evserver_create(struct event_base *base, const PgwEvServerOptions *o)
{
	PgwEvServer *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base = base;
	s->o = *o;
	if (!s->o.out_limit)
		s->o.out_limit = DEFAULT_OUT_LIMIT;
	if (!s->o.paused_in_limit)
		s->o.paused_in_limit = DEFAULT_PAUSED_IN_LIMIT;
	s->next_pid = o->first_pid > 0 ? o->first_pid : 1;
	s->reaper = event_new(base, -1, 0, reap_cb, s);
	s->accept_retry = evtimer_new(base, accept_retry_cb, s);
	if (!s->reaper || !s->accept_retry) {
		pgw_evserver_destroy(s);
		return NULL;
	}
	return s;
}

/* Wrap a bound, listening socket in an evconnlistener.  Closes fd on
 * failure. */
static bool add_listener(PgwEvServer *s, int fd, const char *what)
{
	if (s->nlisteners == MAX_LISTENERS) {
		fprintf(stderr, "pgwire: too many listening sockets (%s)\n", what);
		close(fd);
		errno = EMFILE;
		return false;
	}
	struct evconnlistener *l = NULL;
	if (evutil_make_socket_nonblocking(fd) == 0)
		l = evconnlistener_new(s->base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!l) {
		int e = errno;
		fprintf(stderr, "pgwire: could not listen on %s: %s\n", what, strerror(e));
		close(fd);
		errno = e;
		return false;
	}
	evconnlistener_set_error_cb(l, accept_error_cb);
	s->listeners[s->nlisteners++] = l;
	return true;
}

bool pgw_evserver_listen_tcp(PgwEvServer *s, const char *host, int port)
{
	char what[300];
	snprintf(what, sizeof(what), "%s:%d", host, port);
	int fd = pgw_listen_tcp(host, port);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "pgwire: could not listen on %s: %s\n", what, strerror(e));
		errno = e;
		return false;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int bound = port;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	if (!add_listener(s, fd, what))
		return false;
	if (s->port == 0)
		s->port = bound;
	return true;
}

bool pgw_evserver_listen_unix(PgwEvServer *s, const char *dir, int port)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd = pgw_listen_unix(dir, port, path, sizeof(path));
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "pgwire: could not listen on %s/.s.PGSQL.%d: %s\n", dir, port, strerror(e));
		errno = e;
		return false;
	}
	char *copy = strdup(path);
	if (!copy || !add_listener(s, fd, path)) {
		if (!copy)
			close(fd);
		unlink(path);
		free(copy);
		return false;
	}
	s->unix_paths[s->nunix++] = copy;
	return true;
}

int pgw_evserver_port(const PgwEvServer *s) { return s->port; }

size_t pgw_evserver_count(const PgwEvServer *s, PgwEvState st) { return st < PGW_EV_NSTATES ? s->counts[st] : 0; }

void pgw_evserver_destroy(PgwEvServer *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nlisteners; i++)
		evconnlistener_free(s->listeners[i]);
	for (int i = 0; i < s->nunix; i++) {
		unlink(s->unix_paths[i]);
		free(s->unix_paths[i]);
	}
	for (int st = 0; st < PGW_EV_JUST_FREED; st++)
		while (s->lists[st])
			mark_free(s->lists[st]);
	if (s->reaper) {
		reap_cb(-1, 0, s);
		event_free(s->reaper);
	}
	if (s->accept_retry)
		event_free(s->accept_retry);
	free(s);
}

/* ------------------------------------------------------------ embedder API */

PgwConn *pgw_evconn_conn(PgwEvConn *ec) { return &ec->conn; }

PgwEvConn *pgw_evconn_from_conn(PgwConn *c) { return c->io; }

void *pgw_evconn_user(const PgwEvConn *ec) { return ec->user; }

void pgw_evconn_set_user(PgwEvConn *ec, void *user) { ec->user = user; }

PgwEvState pgw_evconn_state(const PgwEvConn *ec) { return ec->state; }

const char *pgw_evconn_peer(const PgwEvConn *ec) { return ec->peer; }

bool pgw_evconn_flush(PgwEvConn *ec)
{
	settle(ec);
	return ec->state == PGW_EV_ACTIVE || ec->state == PGW_EV_HANDSHAKE;
}

void pgw_evconn_pause_reading(PgwEvConn *ec) { ec->conn.paused = true; }

void pgw_evconn_resume_reading(PgwEvConn *ec)
{
	ec->conn.paused = false;
	ec->in_full = false;
	if (ec->state == PGW_EV_ACTIVE)
		event_active(ec->work, EV_TIMEOUT, 0);
}

size_t pgw_evconn_output_pending(const PgwEvConn *ec) { return pending_out(ec) + ec->conn.out.len; }

void pgw_evconn_close(PgwEvConn *ec) { mark_free(ec); }
