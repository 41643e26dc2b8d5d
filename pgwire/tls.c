/*
 * tls.c - server TLS context and channel binding data for the drivers.
 */
#include "pgwire/tls.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>

SSL_CTX *pgw_tls_context(const char *cert_file, const char *key_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		char msg[256];
		ERR_error_string_n(ERR_get_error(), msg, sizeof(msg));
		fprintf(stderr, "could not load TLS certificate \"%s\" / key \"%s\": %s\n", cert_file, key_file, msg);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* tls-server-end-point channel binding data (RFC 5929): the certificate's
 * hash with its signature's digest, SHA-256 in place of MD5 and SHA-1. */
bool pgw_tls_set_cert_hash(PgwConn *c, const SSL *ssl)
{
	X509 *cert = SSL_get_certificate(ssl);
	int md_nid, pk_nid;
	c->tls_cert_hash_len = 0;
	if (!cert || !OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, &pk_nid))
		return false;
	const EVP_MD *md = (md_nid == NID_md5 || md_nid == NID_sha1) ? EVP_sha256() : EVP_get_digestbynid(md_nid);
	unsigned int n = 0;
	_Static_assert(sizeof(c->tls_cert_hash) >= EVP_MAX_MD_SIZE, "tls_cert_hash holds any digest");
	if (!md || !X509_digest(cert, md, c->tls_cert_hash, &n))
		return false;
	c->tls_cert_hash_len = n;
	return true;
}
