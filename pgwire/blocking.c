/*
 * blocking.c - a PgwConn over a blocking socket, with optional TLS.
 */
#include "pgwire/blocking.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct BlockingIo {
	int fd;
	SSL *ssl;
} BlockingIo;

int pgw_listen_tcp(const char *host, int port)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	int fd = -1, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 512) != 0) {
			int e = errno;
			close(fd);
			fd = -1;
			errno = e;
		}
	}
	freeaddrinfo(res);
	return fd;
}

int pgw_listen_unix(const char *dir, int port, char *path_out, size_t path_sz)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.s.PGSQL.%d", dir, port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 512) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	chmod(sa.sun_path, 0777);
	snprintf(path_out, path_sz, "%s", sa.sun_path);
	return fd;
}

static bool io_write_all(BlockingIo *io, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w;
		if (io->ssl) {
			int k = SSL_write(io->ssl, p, n > (1u << 30) ? (1 << 30) : (int)n);
			if (k <= 0)
				return false;
			w = k;
		} else {
			w = send(io->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return false;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static bool blocking_flush(PgwConn *c)
{
	BlockingIo *io = c->io;
	if (c->out.failed)
		return false;
	bool ok = io_write_all(io, c->out.data, c->out.len);
	buf_reset(&c->out);
	return ok;
}

static ssize_t io_read(BlockingIo *io, uint8_t *p, size_t n)
{
	if (io->ssl) {
		int k = SSL_read(io->ssl, p, (int)n);
		return k > 0 ? k : -1;
	}
	for (;;) {
		ssize_t r = recv(io->fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		return r > 0 ? r : -1;
	}
}

void pgw_serve_blocking(PgwConn *c, int fd, SSL_CTX *ssl_ctx)
{
	BlockingIo io = {.fd = fd, .ssl = NULL};
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->io = &io;
	c->io_flush = blocking_flush;

	for (;;) {
		pgw_conn_process(c);
		if (c->out.len > 0 && !blocking_flush(c))
			break;
		if (c->state == PGW_CLOSING)
			break;
		if (c->state == PGW_TLS_PENDING) {
			if (!ssl_ctx)
				break;
			io.ssl = SSL_new(ssl_ctx);
			if (!io.ssl || !SSL_set_fd(io.ssl, fd) || SSL_accept(io.ssl) != 1)
				break;
			(void)pgw_tls_set_cert_hash(c, io.ssl);
			pgw_conn_tls_done(c);
			continue;
		}
		if (!buf_reserve(&c->in, 65536))
			break;
		ssize_t r = io_read(&io, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
		if (r <= 0)
			break;
		c->in.len += (size_t)r;
	}
	if (io.ssl) {
		SSL_shutdown(io.ssl);
		SSL_free(io.ssl);
	}
	close(fd);
	c->io = NULL;
	c->io_flush = NULL;
}
