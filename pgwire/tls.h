/*
 * tls.h - the TLS pieces every pgwire driver shares: the server context and
 * the tls-server-end-point channel binding data SCRAM-SHA-256-PLUS needs.
 */
#ifndef DOSQL_PGW_TLS_H
#define DOSQL_PGW_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "pgwire/pgwire.h"

/* Build a server TLS context (TLS 1.2 or later) from PEM files.  Returns
 * NULL with a message on stderr when a file cannot be loaded or the key
 * does not match the certificate; the caller frees it with SSL_CTX_free(). */
SSL_CTX *pgw_tls_context(const char *cert_file, const char *key_file);

/* After a successful handshake on `ssl`, store the hash of the server
 * certificate it presented in c->tls_cert_hash (RFC 5929
 * tls-server-end-point).  Returns false, leaving c->tls_cert_hash_len 0,
 * when there is no certificate or its signature digest is unknown; the
 * connection still works, only without channel binding. */
bool pgw_tls_set_cert_hash(PgwConn *c, const SSL *ssl);

#endif
