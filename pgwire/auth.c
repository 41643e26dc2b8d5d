/*
 * auth.c - password authentication, server side: SCRAM-SHA-256 and
 * SCRAM-SHA-256-PLUS (RFC 5802 / RFC 7677, channel binding
 * tls-server-end-point, following PostgreSQL's auth-scram.c), MD5, and the
 * check of a cleartext password against either kind of stored secret.
 * Also makes the secrets dosql-passwd writes (SCRAM verifiers, md5
 * hashes), and for a user with no secret a SCRAM exchange that fails like
 * a real one, with a salt derived from the user name.  Pure functions over
 * OpenSSL; no I/O.
 *
 * Passwords are used as raw bytes, without SASLprep.  For ASCII passwords
 * that is what SASLprep yields anyway; a non-ASCII password that SASLprep
 * would change does not match a client that applies it.
 */
#include "pgwire/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRAM_KEY_LEN 32       /* SHA-256 output */
#define SCRAM_RAW_NONCE_LEN 18 /* random bytes in a server nonce */
#define SCRAM_PREFIX "SCRAM-SHA-256$"
#define MAX_CLIENT_FINAL 2048 /* longest client-final-message accepted */
#define MD5_SECRET_LEN 35     /* "md5" + 32 hex digits */
#define MAX_SALT_LEN sizeof(((PgwScram *)0)->salt)

_Static_assert(PGW_SCRAM_SALT_LEN <= SCRAM_KEY_LEN, "mock salt is cut from one HMAC");

/* ---------------------------------------------------------------------------
 * Base64 (RFC 4648, standard alphabet, padded), by OpenSSL's
 * EVP_EncodeBlock/EVP_DecodeBlock; the strict checks SCRAM needs are made
 * here, since EVP_DecodeBlock skips whitespace and keeps the padding.
 */

#define B64_MAX_DECODED 96 /* the longest field decoded: a 64-byte salt */
_Static_assert(B64_MAX_DECODED >= MAX_SALT_LEN + 2, "a salt and its padding fit");

/* Encode n bytes as padded base64 into out, NUL-terminated.  Fails when out
 * (outsz bytes) cannot hold the result and its terminator. */
static bool b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	if (n > INT_MAX / 4 * 3 - 2 || outsz < (n + 2) / 3 * 4 + 1)
		return false;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return true;
}

/* Decode n characters of padded base64 into out (outsz bytes), setting
 * *outlen.  Fails on a length that is not a multiple of 4, a character
 * outside the alphabet (whitespace included), '=' anywhere but in the last
 * two positions, or output longer than outsz.  Like PostgreSQL it does not
 * insist that the unused bits before the padding are zero. */
static bool b64_decode(const char *in, size_t n, uint8_t *out, size_t outsz, size_t *outlen)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t tmp[B64_MAX_DECODED];
	if (n % 4 != 0 || n / 4 * 3 > sizeof(tmp))
		return false;
	size_t pad = n >= 1 && in[n - 1] == '=' ? (n >= 2 && in[n - 2] == '=' ? 2 : 1) : 0;
	for (size_t i = 0; i < n - pad; i++)
		if (in[i] == '\0' || !strchr(alphabet, in[i]))
			return false;
	int got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
	if (got < 0 || (size_t)got != n / 4 * 3 || (size_t)got - pad > outsz)
		return false;
	memcpy(out, tmp, (size_t)got - pad);
	*outlen = (size_t)got - pad;
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return true;
}

/* ---------------------------------------------------------------------------
 * Hashes
 */

/* SHA-256 of n bytes.  Fails only if OpenSSL fails. */
static bool sha256(const void *p, size_t n, uint8_t out[SCRAM_KEY_LEN])
{
	unsigned int len = 0;
	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == SCRAM_KEY_LEN;
}

/* HMAC-SHA-256 of n bytes under key.  Fails only if OpenSSL fails. */
static bool hmac_sha256(const uint8_t *key, size_t keylen, const void *p, size_t n,
			uint8_t out[SCRAM_KEY_LEN])
{
	unsigned int len = 0;
	if (keylen > INT_MAX)
		return false;
	return HMAC(EVP_sha256(), key, (int)keylen, p, n, out, &len) != NULL && len == SCRAM_KEY_LEN;
}

/* Lower-case hex MD5 of a || b into out (33 bytes with the terminator).
 * Fails only if OpenSSL fails (for instance MD5 disabled by a FIPS
 * configuration). */
static bool md5_hex(const void *a, size_t alen, const void *b, size_t blen, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[16];
	unsigned int len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
		  EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
		  EVP_DigestFinal_ex(ctx, d, &len) == 1 && len == sizeof(d);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return false;
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[32] = '\0';
	return true;
}

/* ---------------------------------------------------------------------------
 * Random bytes and the mock-salt secret
 */

/* Fill buf with n bytes from OpenSSL's CSPRNG.  Fails if the generator is
 * not seeded or fails. */
bool pgw_random_bytes(uint8_t *buf, size_t n)
{
	while (n > 0) {
		int k = n > INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(buf, k) != 1)
			return false;
		buf += k;
		n -= (size_t)k;
	}
	return true;
}

static pthread_once_t mock_once = PTHREAD_ONCE_INIT;
static uint8_t mock_secret[SCRAM_KEY_LEN];

/* Draw the per-process secret behind mock salts.  If the generator fails
 * the secret stays zero: doomed exchanges still fail, their salts are just
 * predictable. */
static void mock_secret_init(void)
{
	if (!pgw_random_bytes(mock_secret, sizeof(mock_secret)))
		memset(mock_secret, 0, sizeof(mock_secret));
}

/* The fake salt shown for `user` in a doomed exchange: the first
 * PGW_SCRAM_SALT_LEN bytes of HMAC(per-process secret, user).  Never
 * fails; if OpenSSL fails the salt is zero. */
static void mock_salt(const char *user, uint8_t salt[PGW_SCRAM_SALT_LEN])
{
	uint8_t mac[SCRAM_KEY_LEN];
	pthread_once(&mock_once, mock_secret_init);
	if (!user)
		user = "";
	if (!hmac_sha256(mock_secret, sizeof(mock_secret), user, strlen(user), mac))
		memset(mac, 0, sizeof(mac));
	memcpy(salt, mac, PGW_SCRAM_SALT_LEN);
}

/* ---------------------------------------------------------------------------
 * SCRAM verifiers
 */

/* Derive StoredKey and ServerKey for password, salt and iteration count
 * (RFC 5802 section 3).  Fails only if OpenSSL fails or an argument does not
 * fit OpenSSL's int lengths. */
static bool scram_keys(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
		       uint8_t stored_key[SCRAM_KEY_LEN], uint8_t server_key[SCRAM_KEY_LEN])
{
	uint8_t salted[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	size_t plen = strlen(password);
	bool ok = plen <= INT_MAX && salt_len <= INT_MAX && iterations > 0 &&
		  PKCS5_PBKDF2_HMAC(password, (int)plen, salt, (int)salt_len, iterations,
				    EVP_sha256(), SCRAM_KEY_LEN, salted) == 1 &&
		  hmac_sha256(salted, sizeof(salted), "Client Key", 10, client_key) &&
		  sha256(client_key, sizeof(client_key), stored_key) &&
		  hmac_sha256(salted, sizeof(salted), "Server Key", 10, server_key);
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return ok;
}

/* Build "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>" for password
 * and the given salt.  Fails on iterations < 1, a salt outside 1..64 bytes,
 * out too small, or an OpenSSL failure; out is then an empty string. */
bool pgw_scram_make_verifier_salt(const char *password, int iterations, const uint8_t *salt,
				  size_t salt_len, char *out, size_t outsz)
{
	uint8_t stored[SCRAM_KEY_LEN], server[SCRAM_KEY_LEN];
	char salt64[128], stored64[64], server64[64];

	if (outsz > 0)
		out[0] = '\0';
	if (!password || iterations < 1 || salt_len == 0 || salt_len > MAX_SALT_LEN)
		return false;
	if (!scram_keys(password, salt, salt_len, iterations, stored, server))
		return false;
	bool ok = b64_encode(salt, salt_len, salt64, sizeof(salt64)) &&
		  b64_encode(stored, sizeof(stored), stored64, sizeof(stored64)) &&
		  b64_encode(server, sizeof(server), server64, sizeof(server64));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(server, sizeof(server));
	if (!ok)
		return false;
	int n = snprintf(out, outsz, SCRAM_PREFIX "%d:%s$%s:%s", iterations, salt64, stored64, server64);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return false;
	}
	return true;
}

/* Build a SCRAM verifier with a fresh random salt of PGW_SCRAM_SALT_LEN
 * bytes.  Fails as pgw_scram_make_verifier_salt() does, or if the random
 * generator fails. */
bool pgw_scram_make_verifier(const char *password, int iterations, char *out, size_t outsz)
{
	uint8_t salt[PGW_SCRAM_SALT_LEN];
	if (outsz > 0)
		out[0] = '\0';
	if (!pgw_random_bytes(salt, sizeof(salt)))
		return false;
	return pgw_scram_make_verifier_salt(password, iterations, salt, sizeof(salt), out, outsz);
}

/* Decode the base64 text [p, end) into exactly want bytes of out (want 0:
 * any length up to outsz, stored in *outlen).  Fails on bad base64 or a
 * wrong length. */
static bool decode_field(const char *p, const char *end, uint8_t *out, size_t outsz, size_t want,
			 size_t *outlen)
{
	size_t n = 0;
	if (!b64_decode(p, (size_t)(end - p), out, outsz, &n) || n == 0)
		return false;
	if (want && n != want)
		return false;
	if (outlen)
		*outlen = n;
	return true;
}

/* Parse a SCRAM verifier into s (iterations, salt, stored_key, server_key).
 * Fails, leaving those fields in an unspecified state, if secret is not a
 * well-formed verifier: wrong prefix, iterations not in 1..INT_MAX, a salt
 * that is empty, longer than 64 bytes or not base64, keys that are not
 * 32 bytes of base64, or anything after the ServerKey. */
static bool parse_verifier(const char *secret, PgwScram *s)
{
	if (strncmp(secret, SCRAM_PREFIX, strlen(SCRAM_PREFIX)) != 0)
		return false;
	const char *p = secret + strlen(SCRAM_PREFIX);

	long long iter = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		iter = iter * 10 + (*p++ - '0');
		if (iter > INT_MAX)
			return false;
	}
	if (iter < 1 || *p++ != ':')
		return false;
	s->iterations = (int)iter;

	const char *salt_end = strchr(p, '$');
	if (!salt_end || !decode_field(p, salt_end, s->salt, sizeof(s->salt), 0, &s->salt_len))
		return false;
	p = salt_end + 1;

	const char *stored_end = strchr(p, ':');
	if (!stored_end ||
	    !decode_field(p, stored_end, s->stored_key, sizeof(s->stored_key), SCRAM_KEY_LEN, NULL))
		return false;
	p = stored_end + 1;

	return decode_field(p, p + strlen(p), s->server_key, sizeof(s->server_key), SCRAM_KEY_LEN,
			    NULL);
}

/* ---------------------------------------------------------------------------
 * SCRAM exchange
 */

/* Reset s for a new exchange against secret.  An absent or unusable secret
 * makes the exchange doomed, with a fake salt for `user` and the default
 * iteration count, so the server-first-message looks like a real one. */
void pgw_scram_begin_for_user(PgwScram *s, const char *user, const char *secret)
{
	memset(s, 0, sizeof(*s));
	s->state = PGW_SCRAM_INIT;
	if (secret && parse_verifier(secret, s))
		return;

	OPENSSL_cleanse(s, sizeof(*s));
	s->state = PGW_SCRAM_INIT;
	s->doomed = true;
	s->iterations = PGW_SCRAM_DEFAULT_ITERATIONS;
	mock_salt(user, s->salt);
	s->salt_len = PGW_SCRAM_SALT_LEN;
}

/* Start an exchange without knowing the user: doomed exchanges all get the
 * salt of the empty user name. */
void pgw_scram_begin(PgwScram *s, const char *secret) { pgw_scram_begin_for_user(s, "", secret); }

/* Wipe s, keys included. */
void pgw_scram_set_channel_binding(PgwScram *s, const uint8_t *hash, size_t len)
{
	if (len == 0 || len > sizeof(s->cbind_data))
		return;
	memcpy(s->cbind_data, hash, len);
	s->cbind_len = len;
	s->plus_offered = true;
}

bool pgw_scram_select_mechanism(PgwScram *s, const char *mech)
{
	if (strcmp(mech, "SCRAM-SHA-256") == 0) {
		s->plus = false;
		return true;
	}
	if (strcmp(mech, "SCRAM-SHA-256-PLUS") == 0 && s->plus_offered) {
		s->plus = true;
		return true;
	}
	return false;
}

void pgw_scram_cleanup(PgwScram *s) { OPENSSL_cleanse(s, sizeof(*s)); }

/* True if p is non-empty and made only of SCRAM "printable" characters:
 * 0x21..0x7E except ','. */
static bool scram_printable(const char *p)
{
	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < 0x21 || *p > 0x7E || *p == ',')
			return false;
	return true;
}

/* Read "<attr>=<value>" at *input, NUL-terminating the value in place and
 * advancing *input past the following ',' (or to the final NUL).  attr 0
 * accepts any ASCII letter and stores it in *got.  Returns the value, or
 * NULL if the attribute letter or the '=' is missing. */
static char *read_attr(char **input, char attr, char *got)
{
	char *p = *input;
	char a = *p;
	if (attr ? a != attr : !((a >= 'A' && a <= 'Z') || (a >= 'a' && a <= 'z')))
		return NULL;
	if (p[1] != '=')
		return NULL;
	if (got)
		*got = a;
	char *value = p + 2;
	char *end = strchr(value, ',');
	if (end) {
		*end = '\0';
		*input = end + 1;
	} else {
		*input = value + strlen(value);
	}
	return value;
}

/* Copy the message (msg, len) into buf (bufsz bytes) as a C string.  Fails
 * with *err set if it is too long or contains a NUL byte. */
static bool copy_message(const uint8_t *msg, size_t len, char *buf, size_t bufsz, const char **err)
{
	if (len >= bufsz) {
		*err = "malformed SCRAM message: message too long";
		return false;
	}
	if (len > 0 && memchr(msg, '\0', len)) {
		*err = "malformed SCRAM message: NUL byte in message";
		return false;
	}
	if (len > 0)
		memcpy(buf, msg, len);
	buf[len] = '\0';
	return true;
}

/* Parse the client-first-message in buf (modified in place): gs2 header
 * "n,," or "y,,", then "n=<ignored user>,r=<client nonce>" and optional
 * extensions.  Stores the bare message and the channel-binding flag in s and
 * points *cnonce at the client nonce.  Fails with *err set. */
static bool parse_client_first(PgwScram *s, char *buf, char **cnonce, const char **err)
{
	char *p = buf;
	char flag = *p;

	if (flag == 'p') {
		if (!s->plus) {
			*err = "malformed SCRAM message: the client selected SCRAM-SHA-256 without channel "
			       "binding, but the SCRAM message includes channel binding data";
			return false;
		}
		if (strncmp(p, "p=tls-server-end-point,", 23) != 0) {
			*err = "unsupported SCRAM channel-binding type";
			return false;
		}
		p += 22;
	} else if (s->plus) {
		*err = "malformed SCRAM message: the client selected SCRAM-SHA-256-PLUS, but the SCRAM message "
		       "does not include channel binding data";
		return false;
	} else if (flag == 'y' && s->plus_offered) {
		/* the client thinks we do not support channel binding: a downgrade */
		*err = "SCRAM channel binding negotiation error: the client supports SCRAM channel binding but "
		       "thinks the server does not";
		return false;
	} else if (flag != 'n' && flag != 'y') {
		*err = "malformed SCRAM message: unexpected channel-binding flag";
		return false;
	} else {
		p++;
	}
	if (*p != ',') {
		*err = "malformed SCRAM message: comma expected after channel-binding flag";
		return false;
	}
	p++;
	if (*p == 'a') {
		*err = "client uses authorization identity, but it is not supported";
		return false;
	}
	if (*p != ',') {
		*err = "malformed SCRAM message: unexpected attribute in client-first-message";
		return false;
	}
	p++;

	size_t bare_len = strlen(p);
	if (bare_len >= sizeof(s->client_first_bare)) {
		*err = "malformed SCRAM message: client-first-message too long";
		return false;
	}
	memcpy(s->client_first_bare, p, bare_len + 1);

	if (*p == 'm') {
		*err = "client requires an unsupported SCRAM extension";
		return false;
	}
	if (!read_attr(&p, 'n', NULL)) {
		*err = "malformed SCRAM message: username attribute expected in client-first-message";
		return false;
	}
	*cnonce = read_attr(&p, 'r', NULL);
	if (!*cnonce) {
		*err = "malformed SCRAM message: nonce attribute expected in client-first-message";
		return false;
	}
	if (!scram_printable(*cnonce)) {
		*err = "malformed SCRAM message: empty nonce or non-printable characters in nonce";
		return false;
	}
	while (*p) {
		if (!read_attr(&p, 0, NULL)) {
			*err = "malformed SCRAM message: malformed extension in client-first-message";
			return false;
		}
	}
	s->cbind_flag = flag;
	return true;
}

/* Handle the client-first-message with the given server nonce.  On success
 * appends "r=<nonce>,s=<salt>,i=<iterations>" to out and moves to
 * PGW_SCRAM_SENT_FIRST.  Fails with *err set (state PGW_SCRAM_FAILED) on a
 * malformed message, a call in the wrong state, a bad server nonce, or out
 * of memory in out. */
bool pgw_scram_client_first_with_nonce(PgwScram *s, const uint8_t *msg, size_t len,
				       const char *server_nonce, Buf *out, const char **err)
{
	char buf[sizeof(s->client_first_bare) + 64];
	char *cnonce = NULL;
	char salt64[128];

	*err = NULL;
	if (s->state != PGW_SCRAM_INIT) {
		s->state = PGW_SCRAM_FAILED;
		*err = "SCRAM exchange in wrong state for client-first-message";
		return false;
	}
	s->state = PGW_SCRAM_FAILED;

	if (!copy_message(msg, len, buf, sizeof(buf), err) || !parse_client_first(s, buf, &cnonce, err))
		return false;
	if (!server_nonce || !scram_printable(server_nonce)) {
		*err = "invalid SCRAM server nonce";
		return false;
	}
	size_t clen = strlen(cnonce), slen = strlen(server_nonce);
	if (clen + slen >= sizeof(s->nonce)) {
		*err = "malformed SCRAM message: nonce too long";
		return false;
	}
	memcpy(s->nonce, cnonce, clen);
	memcpy(s->nonce + clen, server_nonce, slen + 1);

	if (!b64_encode(s->salt, s->salt_len, salt64, sizeof(salt64))) {
		*err = "could not encode SCRAM salt";
		return false;
	}
	int n = snprintf(s->server_first, sizeof(s->server_first), "r=%s,s=%s,i=%d", s->nonce, salt64,
			 s->iterations);
	if (n < 0 || (size_t)n >= sizeof(s->server_first)) {
		*err = "malformed SCRAM message: nonce too long";
		return false;
	}

	buf_put_str(out, s->server_first);
	if (out->failed) {
		*err = "out of memory";
		return false;
	}
	s->state = PGW_SCRAM_SENT_FIRST;
	return true;
}

/* Handle the client-first-message with a fresh random server nonce of
 * SCRAM_RAW_NONCE_LEN bytes, base64-encoded.  Fails as
 * pgw_scram_client_first_with_nonce() does, or if the random generator
 * fails. */
bool pgw_scram_client_first(PgwScram *s, const uint8_t *msg, size_t len, Buf *out, const char **err)
{
	uint8_t raw[SCRAM_RAW_NONCE_LEN];
	char nonce[64];

	if (!pgw_random_bytes(raw, sizeof(raw)) || !b64_encode(raw, sizeof(raw), nonce, sizeof(nonce))) {
		s->state = PGW_SCRAM_FAILED;
		*err = "could not generate random nonce";
		return false;
	}
	return pgw_scram_client_first_with_nonce(s, msg, len, nonce, out, err);
}

/* Parse the client-final-message in buf (a modified copy of msg):
 * "c=<cbind>,r=<nonce>[,ext...],p=<proof>".  Checks the channel binding
 * against the gs2 flag of client-first and the nonce against the full
 * nonce, decodes the proof, and sets *without_proof_len to the length of
 * the message before ",p=".  Fails with *err set. */
static bool parse_client_final(PgwScram *s, char *buf, uint8_t proof[SCRAM_KEY_LEN],
			       size_t *without_proof_len, const char **err)
{
	char *p = buf;
	char attr = 0;

	const char *cbind = read_attr(&p, 'c', NULL);
	if (!cbind) {
		*err = "malformed SCRAM message: channel-binding attribute expected in "
		       "client-final-message";
		return false;
	}
	if (s->cbind_flag == 'p') {
		/* base64("p=tls-server-end-point,," || certificate hash) */
		uint8_t raw[128];
		char want[200];
		static const char hdr[] = "p=tls-server-end-point,,";
		memcpy(raw, hdr, sizeof(hdr) - 1);
		memcpy(raw + sizeof(hdr) - 1, s->cbind_data, s->cbind_len);
		if (!b64_encode(raw, sizeof(hdr) - 1 + s->cbind_len, want, sizeof(want)) || strlen(cbind) != strlen(want) ||
		    CRYPTO_memcmp(cbind, want, strlen(want)) != 0) {
			*err = "SCRAM channel binding check failed";
			return false;
		}
	} else if (strcmp(cbind, s->cbind_flag == 'y' ? "eSws" : "biws") != 0) {
		*err = "unexpected SCRAM channel-binding attribute in client-final-message";
		return false;
	}
	const char *nonce = read_attr(&p, 'r', NULL);
	if (!nonce) {
		*err = "malformed SCRAM message: nonce attribute expected in client-final-message";
		return false;
	}
	if (strcmp(nonce, s->nonce) != 0) {
		*err = "invalid SCRAM response: nonce does not match";
		return false;
	}

	char *proof_at, *value;
	do {
		proof_at = p - 1; /* the ',' before the attribute */
		value = read_attr(&p, 0, &attr);
		if (!value) {
			*err = "malformed SCRAM message: proof attribute expected in client-final-message";
			return false;
		}
	} while (attr != 'p');

	size_t n = 0;
	if (!b64_decode(value, strlen(value), proof, SCRAM_KEY_LEN, &n) || n != SCRAM_KEY_LEN) {
		*err = "malformed SCRAM message: malformed proof in client-final-message";
		return false;
	}
	if (*p != '\0') {
		*err = "malformed SCRAM message: garbage found at the end of client-final-message";
		return false;
	}
	*without_proof_len = (size_t)(proof_at - buf);
	return true;
}

/* Handle the client-final-message: verify the proof and, if it holds and
 * the exchange is not doomed, append "v=<ServerSignature>" to out and move
 * to PGW_SCRAM_DONE.  A wrong proof or a doomed exchange fails with *err
 * NULL; a malformed message, a call in the wrong state or an internal
 * failure fails with *err set.  The state is PGW_SCRAM_FAILED on any
 * failure. */
bool pgw_scram_client_final(PgwScram *s, const uint8_t *msg, size_t len, Buf *out, const char **err)
{
	char buf[MAX_CLIENT_FINAL + 1];
	char auth_msg[sizeof(s->client_first_bare) + sizeof(s->server_first) + MAX_CLIENT_FINAL + 2];
	uint8_t proof[SCRAM_KEY_LEN], sig[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	uint8_t stored[SCRAM_KEY_LEN];
	size_t without_proof_len = 0;
	char sig64[64];

	*err = NULL;
	if (s->state != PGW_SCRAM_SENT_FIRST) {
		s->state = PGW_SCRAM_FAILED;
		*err = "SCRAM exchange in wrong state for client-final-message";
		return false;
	}
	s->state = PGW_SCRAM_FAILED;

	if (!copy_message(msg, len, buf, sizeof(buf), err) ||
	    !parse_client_final(s, buf, proof, &without_proof_len, err))
		return false;

	/* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
	int n = snprintf(auth_msg, sizeof(auth_msg), "%s,%s,%.*s", s->client_first_bare,
			 s->server_first, (int)without_proof_len, (const char *)msg);
	if (n < 0 || (size_t)n >= sizeof(auth_msg)) {
		*err = "malformed SCRAM message: client-final-message too long";
		return false;
	}

	/* ClientKey = proof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must be StoredKey.
	 * A doomed exchange runs the same computation before failing. */
	bool computed = hmac_sha256(s->stored_key, sizeof(s->stored_key), auth_msg, (size_t)n, sig);
	for (int i = 0; i < SCRAM_KEY_LEN; i++)
		client_key[i] = proof[i] ^ sig[i];
	computed = computed && sha256(client_key, sizeof(client_key), stored);
	bool match = computed && CRYPTO_memcmp(stored, s->stored_key, SCRAM_KEY_LEN) == 0;
	OPENSSL_cleanse(client_key, sizeof(client_key));
	OPENSSL_cleanse(stored, sizeof(stored));
	if (!computed) {
		*err = "could not verify SCRAM proof";
		return false;
	}
	if (!match || s->doomed)
		return false;

	if (!hmac_sha256(s->server_key, sizeof(s->server_key), auth_msg, (size_t)n, sig) ||
	    !b64_encode(sig, sizeof(sig), sig64, sizeof(sig64))) {
		*err = "could not compute SCRAM server signature";
		return false;
	}
	buf_put_str(out, "v=");
	buf_put_str(out, sig64);
	if (out->failed) {
		*err = "out of memory";
		return false;
	}
	s->state = PGW_SCRAM_DONE;
	return true;
}

/* ---------------------------------------------------------------------------
 * MD5 and cleartext passwords
 */

/* Write "md5" + hex(md5(password || user)) to out.  If MD5 is unavailable
 * out is the empty string, which no check accepts. */
void pgw_md5_make_secret(const char *user, const char *password, char out[36])
{
	out[0] = '\0';
	if (!user || !password)
		return;
	if (!md5_hex(password, strlen(password), user, strlen(user), out + 3)) {
		out[0] = '\0';
		return;
	}
	memcpy(out, "md5", 3);
}

/* True if secret is "md5" followed by 32 lower-case hex digits. */
static bool is_md5_secret(const char *secret)
{
	if (!secret || strncmp(secret, "md5", 3) != 0 || strlen(secret) != MD5_SECRET_LEN)
		return false;
	for (const char *p = secret + 3; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Compare response with "md5" + hex(md5(hex part of secret || salt)) in
 * constant time.  Fails on a NULL or non-MD5 secret, a NULL response or one
 * of the wrong length, or if MD5 is unavailable. */
bool pgw_md5_check(const char *secret, const uint8_t salt[4], const char *response)
{
	char want[MD5_SECRET_LEN + 1];
	if (!is_md5_secret(secret) || !response || strlen(response) != MD5_SECRET_LEN)
		return false;
	if (!md5_hex(secret + 3, 32, salt, 4, want + 3))
		return false;
	memcpy(want, "md5", 3);
	return CRYPTO_memcmp(want, response, MD5_SECRET_LEN) == 0;
}

/* Check a cleartext password against a SCRAM verifier (recomputing both
 * keys) or an MD5 secret for user, in constant time.  Fails on a NULL
 * argument, an unusable secret, or an OpenSSL failure. */
bool pgw_password_check(const char *user, const char *secret, const char *password)
{
	if (!secret || !password)
		return false;

	if (strncmp(secret, SCRAM_PREFIX, strlen(SCRAM_PREFIX)) == 0) {
		PgwScram v;
		uint8_t stored[SCRAM_KEY_LEN], server[SCRAM_KEY_LEN];
		memset(&v, 0, sizeof(v));
		bool ok = parse_verifier(secret, &v) &&
			  scram_keys(password, v.salt, v.salt_len, v.iterations, stored, server);
		ok = ok && (CRYPTO_memcmp(stored, v.stored_key, SCRAM_KEY_LEN) |
			    CRYPTO_memcmp(server, v.server_key, SCRAM_KEY_LEN)) == 0;
		OPENSSL_cleanse(&v, sizeof(v));
		OPENSSL_cleanse(stored, sizeof(stored));
		OPENSSL_cleanse(server, sizeof(server));
		return ok;
	}

	if (is_md5_secret(secret) && user) {
		char got[36];
		pgw_md5_make_secret(user, password, got);
		bool ok = strlen(got) == MD5_SECRET_LEN && CRYPTO_memcmp(got, secret, MD5_SECRET_LEN) == 0;
		OPENSSL_cleanse(got, sizeof(got));
		return ok;
	}
	return false;
}

/* ---------------------------------------------------------------------------
 * Password files
 */

void pgw_users_cleanup(PgwUsers *u)
{
	for (int i = 0; i < u->n; i++) {
		free(u->v[i].name);
		free(u->v[i].secret);
	}
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

bool pgw_users_load(PgwUsers *u, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	char line[4096];
	int lineno = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		char *l = line + strspn(line, " \t");
		size_t len = strcspn(l, "\r\n");
		while (len > 0 && (l[len - 1] == ' ' || l[len - 1] == '\t'))
			len--;
		l[len] = 0;
		if (!*l || *l == '#')
			continue;
		char *colon = strchr(l, ':');
		if (!colon || colon == l ||
		    (strncmp(colon + 1, "SCRAM-SHA-256$", 14) != 0 && strncmp(colon + 1, "md5", 3) != 0)) {
			snprintf(err, errlen, "%s:%d: expected \"user:secret\" with a SCRAM-SHA-256 or md5 secret", path,
				 lineno);
			ok = false;
			break;
		}
		*colon = 0;
		PgwUser *v = realloc(u->v, sizeof(PgwUser) * (size_t)(u->n + 1));
		if (v)
			u->v = v;
		if (!v || !(v[u->n].name = strdup(l)) || !(v[u->n].secret = strdup(colon + 1))) {
			if (v)
				free(v[u->n].name);
			snprintf(err, errlen, "%s: out of memory", path);
			ok = false;
			break;
		}
		u->n++;
	}
	fclose(f);
	if (!ok)
		pgw_users_cleanup(u);
	return ok;
}

const char *pgw_users_secret(const PgwUsers *u, const char *user)
{
	for (int i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, user) == 0)
			return u->v[i].secret;
	return NULL;
}
