/*
 * blocking.h - run a PgwConn over a blocking socket (plain or TLS).
 *
 * Used by servers with a thread per connection (dosql-shard): the thread
 * reads, lets the engine process, writes the replies, until the connection
 * closes.  The listener helpers open TCP and unix-domain sockets the way
 * PostgreSQL names them (<dir>/.s.PGSQL.<port>).
 */
#ifndef DOSQL_PGW_BLOCKING_H
#define DOSQL_PGW_BLOCKING_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "pgwire/pgwire.h"
#include "pgwire/tls.h"

/* Open a listening TCP socket; -1 with errno set on failure. */
int pgw_listen_tcp(const char *host, int port);
/* Open a listening unix-domain socket <dir>/.s.PGSQL.<port>; -1 on failure. */
int pgw_listen_unix(const char *dir, int port, char *path_out, size_t path_sz);

/* Serve one client on fd until it disconnects or the engine closes it.
 * Takes ownership of fd. `ssl_ctx` may be NULL (no TLS offered). */
void pgw_serve_blocking(PgwConn *c, int fd, SSL_CTX *ssl_ctx);

#endif
