/*
 * auth.h - password authentication exchanges, server side:
 * SCRAM-SHA-256 (RFC 5802 / RFC 7677, as PostgreSQL implements it, without
 * channel binding) and MD5.  Pure functions over OpenSSL; no I/O.
 *
 * Stored secrets are never plaintext:
 *   SCRAM verifier: "SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>"
 *                   (exactly PostgreSQL's pg_authid.rolpassword format)
 *   MD5 secret:     "md5" + hex(md5(password || username))
 */
#ifndef DOSQL_PGW_AUTH_H
#define DOSQL_PGW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PGW_SCRAM_DEFAULT_ITERATIONS 4096
#define PGW_SCRAM_SALT_LEN 16 /* bytes of random salt in a new verifier */

/* Build a SCRAM verifier for `password` with a random salt.  out must hold
 * at least 256 bytes.  Returns false only if OpenSSL fails (or on bad
 * arguments: iterations < 1, out too small). */
bool pgw_scram_make_verifier(const char *password, int iterations, char *out, size_t outsz)
	__attribute__((warn_unused_result));

/* As pgw_scram_make_verifier(), with the caller's salt (1..64 bytes).  Used
 * by tests and tools that must reproduce a known verifier. */
bool pgw_scram_make_verifier_salt(const char *password, int iterations, const uint8_t *salt,
				  size_t salt_len, char *out, size_t outsz)
	__attribute__((warn_unused_result));

/* Build the MD5 secret for (user, password). out must hold 36 bytes. */
void pgw_md5_make_secret(const char *user, const char *password, char out[36]);

typedef enum PgwScramState {
	PGW_SCRAM_INIT,
	PGW_SCRAM_SENT_FIRST,
	PGW_SCRAM_DONE,
	PGW_SCRAM_FAILED,
} PgwScramState;

typedef struct PgwScram {
	PgwScramState state;
	bool doomed; /* unknown user or unusable secret: run the exchange, then fail */
	int iterations;
	uint8_t salt[64];
	size_t salt_len;
	uint8_t stored_key[32];
	uint8_t server_key[32];
	char client_first_bare[1024];
	char server_first[1024];
	char nonce[256]; /* client nonce + server nonce */
	char cbind_flag;  /* gs2 channel-binding flag of client-first: 'n', 'y' or 'p' */
	bool plus;        /* the client chose SCRAM-SHA-256-PLUS */
	bool plus_offered; /* the server offered SCRAM-SHA-256-PLUS (TLS is active) */
	uint8_t cbind_data[64]; /* tls-server-end-point: hash of the server certificate */
	size_t cbind_len;
} PgwScram;

/* Offer channel binding (SCRAM-SHA-256-PLUS, tls-server-end-point) for this
 * exchange: `hash` is the server certificate's hash (RFC 5929).  Call after
 * pgw_scram_begin*(). */
void pgw_scram_set_channel_binding(PgwScram *s, const uint8_t *hash, size_t len);
/* The mechanism the client selected: "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS"
 * (the latter only when offered).  False for anything else. */
bool pgw_scram_select_mechanism(PgwScram *s, const char *mech);

/* Start an exchange against `secret` (a SCRAM verifier).  A NULL or
 * non-SCRAM secret makes a doomed exchange that fails at the end with the
 * same message as a wrong password (no user enumeration). */
void pgw_scram_begin(PgwScram *s, const char *secret);

/* As pgw_scram_begin(), knowing the startup user: a doomed exchange then
 * gets a fake salt derived from `user` and a per-process secret, so the same
 * unknown user always sees the same salt and different ones differ, as real
 * users do.  Prefer this over pgw_scram_begin(). */
void pgw_scram_begin_for_user(PgwScram *s, const char *user, const char *secret);

/* Wipe the keys held by an exchange.  Call when the exchange is over. */
void pgw_scram_cleanup(PgwScram *s);

/* Handle the client-first-message (the data of SASLInitialResponse).
 * On success appends the server-first-message to `out` (the payload of
 * AuthenticationSASLContinue).  On a malformed message returns false and sets
 * *err to a message for a 08P01 error. */
bool pgw_scram_client_first(PgwScram *s, const uint8_t *msg, size_t len, Buf *out, const char **err)
	__attribute__((warn_unused_result));

/* As pgw_scram_client_first(), with a fixed server nonce (printable ASCII
 * without ',') instead of a random one.  For tests that replay known
 * exchanges (RFC 7677); never use it on a real connection. */
bool pgw_scram_client_first_with_nonce(PgwScram *s, const uint8_t *msg, size_t len,
				       const char *server_nonce, Buf *out, const char **err)
	__attribute__((warn_unused_result));

/* Handle the client-final-message (the data of SASLResponse).  On success
 * (proof verified) appends the server-final-message "v=..." to `out` (the
 * payload of AuthenticationSASLFinal) and returns true.  A wrong proof or a
 * doomed exchange returns false with *err NULL (caller sends 28P01
 * "password authentication failed for user ..."); a malformed message returns
 * false with *err set (08P01). */
bool pgw_scram_client_final(PgwScram *s, const uint8_t *msg, size_t len, Buf *out, const char **err)
	__attribute__((warn_unused_result));

/* Check an MD5 password response ("md5" + hex(md5(hex_secret_without_md5_prefix || salt))).
 * `secret` is the stored MD5 secret; a NULL or non-MD5 secret fails. */
bool pgw_md5_check(const char *secret, const uint8_t salt[4], const char *response);

/* Check a cleartext password (auth method "password") against a stored SCRAM
 * verifier or MD5 secret for `user`. */
bool pgw_password_check(const char *user, const char *secret, const char *password);

/* The users of a password file: "user:secret" lines, the secret a SCRAM
 * verifier or an md5 secret as dosql-passwd writes them; blank lines and
 * lines starting with # are skipped, blanks around a line ignored. */
typedef struct PgwUser {
	char *name;   /* owned */
	char *secret; /* owned */
} PgwUser;

typedef struct PgwUsers {
	int n;
	PgwUser *v; /* owned */
} PgwUsers;

/* Read the file into u (empty before); false with "FILE:LINE: what" or
 * "FILE: why" in err, u then holding nothing. */
bool pgw_users_load(PgwUsers *u, const char *path, char *err, size_t errlen) __attribute__((warn_unused_result));
/* The secret of user, NULL when there is no such user. */
const char *pgw_users_secret(const PgwUsers *u, const char *user);
void pgw_users_cleanup(PgwUsers *u);

/* Fill buf with n cryptographically random bytes. */
bool pgw_random_bytes(uint8_t *buf, size_t n) __attribute__((warn_unused_result));

#endif
