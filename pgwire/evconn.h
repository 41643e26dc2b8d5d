/*
 * evconn.h - run PgwConn protocol engines on one libevent loop.
 *
 * Used by the router (dosql): a PgwEvServer listens on TCP and unix-domain
 * sockets; each accepted client becomes a PgwEvConn holding its PgwConn,
 * its bufferevent (plain, then an OpenSSL filter after SSLRequest) and the
 * embedder's user pointer.  Received bytes go to the engine, the engine's
 * output goes to the socket; handlers may answer later from any other
 * event on the same loop (queue with pgw_send_*, then pgw_evconn_flush()).
 *
 * Everything here runs on the loop's thread, and the process must ignore
 * SIGPIPE (libevent writes to sockets the client may have closed).
 * Connections are never freed
 * inside one of their callbacks: a connection that ends is moved to the
 * just-freed list and reclaimed by a deferred "reaper" event after the
 * current loop iteration; the embedder hears about it through on_close.
 */
#ifndef DOSQL_PGW_EVCONN_H
#define DOSQL_PGW_EVCONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "pgwire/pgwire.h"

struct event_base;

typedef struct PgwEvServer PgwEvServer;
typedef struct PgwEvConn PgwEvConn;

/* Life of a client connection; each state has its own list in the server. */
typedef enum PgwEvState {
	PGW_EV_ACTIVE,     /* reading and processing messages */
	PGW_EV_HANDSHAKE,  /* TLS handshake after SSLRequest */
	PGW_EV_FLUSHING,   /* the engine is closing: write what is queued, then free */
	PGW_EV_JUST_FREED, /* closed; freed by the reaper after this loop iteration */
	PGW_EV_NSTATES
} PgwEvState;

const char *pgw_ev_state_to_str(PgwEvState s);

typedef struct PgwEvCallbacks {
	/* A client connected.  The PgwConn is initialised with the server's
	 * config and handler and a fresh BackendKeyData pid; attach the
	 * session (pgw_evconn_set_user, conn->user, conn->handler) here.
	 * Return false to refuse the client: it is closed at once and
	 * on_close is not called. */
	bool (*on_accept)(PgwEvConn *ec, void *arg);
	/* The connection is gone (client EOF or error, engine close,
	 * pgw_evconn_close, server destroy).  Called from the reaper, outside
	 * any callback of this connection; release the session and cancel
	 * every timer or request that refers to ec: it is freed on return. */
	void (*on_close)(PgwEvConn *ec, void *arg);
	/* Optional: output that had grown past the server's output limit has
	 * drained below a quarter of it; producers that stopped may go on. */
	void (*on_drain)(PgwEvConn *ec, void *arg);
} PgwEvCallbacks;

typedef struct PgwEvServerOptions {
	const PgwConfig *cfg;      /* borrowed; must outlive the server */
	const PgwHandler *handler; /* borrowed; default handler of new connections */
	SSL_CTX *ssl_ctx;          /* borrowed; NULL: TLS is not offered */
	PgwEvCallbacks cb;
	void *arg;                 /* passed to the callbacks */
	/* Stop reading from a client whose unsent output exceeds this many
	 * bytes until it drains; 0 means 4 MiB. */
	size_t out_limit;
	/* While paused, read at most this many bytes ahead into conn->in;
	 * 0 means 1 MiB. */
	size_t paused_in_limit;
	int32_t first_pid; /* BackendKeyData pid of the first client; 0 means 1 */
} PgwEvServerOptions;

/* Create a server on `base` (borrowed; must outlive the server).  Returns
 * NULL when out of memory.  Listen with pgw_evserver_listen_*; run the loop
 * with event_base_dispatch(). */
PgwEvServer *pgw_evserver_create(struct event_base *base, const PgwEvServerOptions *o)
	__attribute__((warn_unused_result));

/* Listen on TCP host:port (port 0: any free port, see pgw_evserver_port).
 * Returns false with errno set and a message on stderr on failure. */
bool pgw_evserver_listen_tcp(PgwEvServer *s, const char *host, int port) __attribute__((warn_unused_result));

/* Listen on the unix-domain socket <dir>/.s.PGSQL.<port>, replacing a stale
 * one; the file is removed by pgw_evserver_destroy.  Returns false with
 * errno set and a message on stderr on failure. */
bool pgw_evserver_listen_unix(PgwEvServer *s, const char *dir, int port) __attribute__((warn_unused_result));

/* The port the first TCP listener is bound to; 0 when there is none. */
int pgw_evserver_port(const PgwEvServer *s);

/* Number of connections in state `st`. */
size_t pgw_evserver_count(const PgwEvServer *s, PgwEvState st);

/* Close the listeners, close every connection (on_close is called for
 * each), remove unix socket files and free the server.  Call with the loop
 * stopped (after event_base_loopbreak/loopexit), before event_base_free. */
void pgw_evserver_destroy(PgwEvServer *s);

/* The protocol engine of a connection, and back. */
PgwConn *pgw_evconn_conn(PgwEvConn *ec);
PgwEvConn *pgw_evconn_from_conn(PgwConn *c);

void *pgw_evconn_user(const PgwEvConn *ec);
void pgw_evconn_set_user(PgwEvConn *ec, void *user);
PgwEvState pgw_evconn_state(const PgwEvConn *ec);
/* "host:port" or "[local]", for log lines and SHOW CLIENTS. */
const char *pgw_evconn_peer(const PgwEvConn *ec);

/* Send what handlers queued in conn->out and act on the engine's state
 * (PGW_CLOSING: flush, then close).  Call after answering from outside a
 * handler callback, e.g. when shard results arrive; calling it from inside
 * one is harmless.  Returns false when the connection is closed or closing;
 * the caller then stops producing output for it. */
bool pgw_evconn_flush(PgwEvConn *ec);

/* Stop dispatching client messages after the current one, e.g. from a
 * query handler that answers later.  The socket is still read (so a client
 * that disconnects is noticed) up to paused_in_limit bytes into conn->in. */
void pgw_evconn_pause_reading(PgwEvConn *ec);

/* Dispatch client messages again.  Processing of what accumulated runs
 * from a deferred event, never inside this call, so it is safe to call
 * from any callback. */
void pgw_evconn_resume_reading(PgwEvConn *ec);

/* Bytes queued for the client but not yet written to the socket. */
size_t pgw_evconn_output_pending(const PgwEvConn *ec);

/* Close now, dropping unsent output; on_close follows from the reaper.
 * To tell the client why, queue an error with pgw_send_fatalf() and call
 * pgw_evconn_flush() instead. */
void pgw_evconn_close(PgwEvConn *ec);

#endif
