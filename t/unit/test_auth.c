/*
 * test_auth.c - SCRAM-SHA-256 and MD5 exchanges of pgwire/auth.c, checked
 * against RFC 7677's example, known MD5 values, and a client computed here
 * with OpenSSL independently of the server code.
 */
#include "pgwire/auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "t/unit/tap.h"

#define RFC_USER "user"
#define RFC_PASSWORD "pencil"
#define RFC_CNONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_CLIENT_FIRST_BARE "n=" RFC_USER ",r=" RFC_CNONCE
#define RFC_CLIENT_FIRST "n,," RFC_CLIENT_FIRST_BARE
#define RFC_SERVER_FIRST "r=" RFC_CNONCE RFC_SNONCE ",s=" RFC_SALT ",i=4096"
#define RFC_FINAL_NO_PROOF "c=biws,r=" RFC_CNONCE RFC_SNONCE
#define RFC_PROOF "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_SIG "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
#define RFC_SERVER_FINAL "v=" RFC_SERVER_SIG

/* ---- a SCRAM client, written against OpenSSL only ---- */

/* Base64-encode n bytes into out (NUL-terminated). */
static void t_b64_encode(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* Base64-decode s into out; returns the byte count (padding removed) or -1. */
static int t_b64_decode(const char *s, uint8_t *out)
{
	size_t len = strlen(s);
	int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0)
		return -1;
	if (len >= 1 && s[len - 1] == '=')
		n--;
	if (len >= 2 && s[len - 2] == '=')
		n--;
	return n;
}

/* The value of attribute `attr` in a SCRAM message, copied into out. */
static bool t_attr(const char *msg, char attr, char *out, size_t outsz)
{
	for (const char *p = msg; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (p[0] == attr && p[1] == '=') {
			size_t n = strcspn(p + 2, ",");
			if (n >= outsz)
				return false;
			memcpy(out, p + 2, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

/* Compute the client's proof and expected server signature (both base64)
 * for password, given the exchange's three messages. */
static bool t_client_proof(const char *password, const char *client_first_bare, const char *server_first,
			   const char *final_without_proof, char proof64[64], char server_sig64[64])
{
	char salt64[128], iter[16], auth[4096];
	uint8_t salt[96], salted[32], ckey[32], skey[32], stored[32], csig[32], ssig[32], proof[32];
	unsigned int len;

	if (!t_attr(server_first, 's', salt64, sizeof(salt64)) || !t_attr(server_first, 'i', iter, sizeof(iter)))
		return false;
	int salt_len = t_b64_decode(salt64, salt);
	if (salt_len <= 0)
		return false;
	snprintf(auth, sizeof(auth), "%s,%s,%s", client_first_bare, server_first, final_without_proof);
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, salt_len, atoi(iter), EVP_sha256(), 32,
			      salted) != 1)
		return false;
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Client Key", 10, ckey, &len);
	HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key", 10, skey, &len);
	EVP_Digest(ckey, 32, stored, NULL, EVP_sha256(), NULL);
	HMAC(EVP_sha256(), stored, 32, (const unsigned char *)auth, strlen(auth), csig, &len);
	HMAC(EVP_sha256(), skey, 32, (const unsigned char *)auth, strlen(auth), ssig, &len);
	for (int i = 0; i < 32; i++)
		proof[i] = ckey[i] ^ csig[i];
	t_b64_encode(proof, 32, proof64);
	t_b64_encode(ssig, 32, server_sig64);
	return true;
}

/* ---- helpers driving the server side ---- */

static bool first(PgwScram *s, const char *msg, const char *snonce, Buf *out, const char **err)
{
	buf_reset(out);
	if (snonce)
		return pgw_scram_client_first_with_nonce(s, (const uint8_t *)msg, strlen(msg), snonce, out, err);
	return pgw_scram_client_first(s, (const uint8_t *)msg, strlen(msg), out, err);
}

static bool final(PgwScram *s, const char *msg, Buf *out, const char **err)
{
	buf_reset(out);
	return pgw_scram_client_final(s, (const uint8_t *)msg, strlen(msg), out, err);
}

static char rfc_verifier[256];

/* Start an RFC 7677 exchange and send its client-first-message. */
static bool rfc_begin(PgwScram *s, Buf *out)
{
	const char *err = NULL;
	pgw_scram_begin_for_user(s, RFC_USER, rfc_verifier);
	return first(s, RFC_CLIENT_FIRST, RFC_SNONCE, out, &err);
}

/* Send a client-final-message in a fresh RFC exchange; expect a malformed
 * message error. */
static void final_malformed(const char *msg, const char *what)
{
	PgwScram s;
	Buf out;
	const char *err = NULL;
	buf_init(&out);
	bool started = rfc_begin(&s, &out);
	bool r = started && final(&s, msg, &out, &err);
	ok(started && !r && err != NULL && s.state == PGW_SCRAM_FAILED, "client-final %s: error (%s)", what,
	   err ? err : "none");
	buf_cleanup(&out);
}

/* Send a client-first-message to a fresh exchange; expect an error. */
static void first_malformed(const char *msg, size_t len, const char *what)
{
	PgwScram s;
	Buf out;
	const char *err = NULL;
	buf_init(&out);
	pgw_scram_begin_for_user(&s, RFC_USER, rfc_verifier);
	bool r = pgw_scram_client_first_with_nonce(&s, (const uint8_t *)msg, len, RFC_SNONCE, &out, &err);
	ok(!r && err != NULL && s.state == PGW_SCRAM_FAILED && out.len == 0, "client-first %s: error (%s)", what,
	   err ? err : "none");
	buf_cleanup(&out);
}

static void test_rfc7677(void)
{
	PgwScram s;
	Buf out;
	const char *err = NULL;
	uint8_t salt[32];
	char proof64[64], sig64[64];

	buf_init(&out);
	int salt_len = t_b64_decode(RFC_SALT, salt);
	is_int(salt_len, 16, "RFC salt decodes to 16 bytes");
	ok(pgw_scram_make_verifier_salt(RFC_PASSWORD, 4096, salt, (size_t)salt_len, rfc_verifier,
					sizeof(rfc_verifier)),
	   "verifier with the RFC salt");
	ok(strncmp(rfc_verifier, "SCRAM-SHA-256$4096:" RFC_SALT "$", 19 + strlen(RFC_SALT) + 1) == 0,
	   "verifier starts with iterations and salt: %s", rfc_verifier);

	ok(t_client_proof(RFC_PASSWORD, RFC_CLIENT_FIRST_BARE, RFC_SERVER_FIRST, RFC_FINAL_NO_PROOF, proof64, sig64),
	   "test client computes");
	is_str(proof64, RFC_PROOF, "test client proof matches RFC 7677");
	is_str(sig64, RFC_SERVER_SIG, "test client server signature matches RFC 7677");

	pgw_scram_begin_for_user(&s, RFC_USER, rfc_verifier);
	ok(!s.doomed && s.state == PGW_SCRAM_INIT, "begin: not doomed");
	ok(first(&s, RFC_CLIENT_FIRST, RFC_SNONCE, &out, &err), "client-first accepted");
	ok(err == NULL, "no error");
	is_str(buf_cstr(&out), RFC_SERVER_FIRST, "server-first matches RFC 7677");
	is_int(s.state, PGW_SCRAM_SENT_FIRST, "state SENT_FIRST");
	ok(final(&s, RFC_FINAL_NO_PROOF ",p=" RFC_PROOF, &out, &err), "client-final accepted");
	is_str(buf_cstr(&out), RFC_SERVER_FINAL, "server-final matches RFC 7677");
	is_int(s.state, PGW_SCRAM_DONE, "state DONE");
	ok(!final(&s, RFC_FINAL_NO_PROOF ",p=" RFC_PROOF, &out, &err) && err, "a second client-final is refused");
	pgw_scram_cleanup(&s);

	ok(pgw_password_check(RFC_USER, rfc_verifier, RFC_PASSWORD), "cleartext check accepts pencil");
	ok(!pgw_password_check(RFC_USER, rfc_verifier, "pencil2"), "cleartext check refuses pencil2");
	buf_cleanup(&out);
}

static void test_wrong_proof(void)
{
	PgwScram s;
	Buf out;
	const char *err = "unset";
	char proof64[64], sig64[64], msg[256];

	buf_init(&out);
	/* RFC proof with its first character changed: valid base64, wrong bytes */
	ok(rfc_begin(&s, &out), "exchange started");
	ok(!final(&s, RFC_FINAL_NO_PROOF ",p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", &out, &err),
	   "altered proof refused");
	ok(err == NULL, "altered proof: no protocol error (authentication failure)");
	is_int(s.state, PGW_SCRAM_FAILED, "state FAILED");
	is_int(out.len, 0, "nothing sent");

	/* proof correctly computed from a wrong password */
	ok(rfc_begin(&s, &out), "exchange started");
	ok(t_client_proof("pencil!", RFC_CLIENT_FIRST_BARE, RFC_SERVER_FIRST, RFC_FINAL_NO_PROOF, proof64, sig64),
	   "test client computes");
	snprintf(msg, sizeof(msg), "%s,p=%s", RFC_FINAL_NO_PROOF, proof64);
	err = "unset";
	ok(!final(&s, msg, &out, &err) && err == NULL, "wrong password refused without protocol error");
	buf_cleanup(&out);
}

static void test_malformed(void)
{
	static const char with_nul[] = "n,,n=user,r=abc\0def";

	first_malformed("n=user,r=" RFC_CNONCE, strlen("n=user,r=" RFC_CNONCE), "without n,, prefix");
	first_malformed("p=tls-server-end-point,,n=,r=abc", 32, "requesting channel binding");
	first_malformed("x,,n=,r=abc", 11, "with unknown channel-binding flag");
	first_malformed("n,a=bob,n=,r=abc", 16, "with authzid");
	first_malformed("n,,m=ext,n=,r=abc", 17, "with mandatory extension");
	first_malformed("n,,r=abc", 8, "without username");
	first_malformed("n,,n=user", 9, "without nonce");
	first_malformed("n,,n=user,r=", 12, "with empty nonce");
	first_malformed("n,,n=user,r=a b", 15, "with space in nonce");
	first_malformed("n,,n=user,r=abc,1=x", 19, "with malformed extension");
	first_malformed("", 0, "empty");
	first_malformed(with_nul, sizeof(with_nul) - 1, "with NUL byte");
	{
		char big[2100];
		memset(big, 'a', sizeof(big));
		memcpy(big, "n,,n=,r=", 8);
		first_malformed(big, sizeof(big), "too long");
	}

	final_malformed("c=biws,r=" RFC_CNONCE "XXXX,p=" RFC_PROOF, "with nonce mismatch");
	final_malformed("c=biws,r=" RFC_CNONCE ",p=" RFC_PROOF, "with only the client nonce");
	final_malformed(RFC_FINAL_NO_PROOF ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ", "with unpadded proof");
	final_malformed(RFC_FINAL_NO_PROOF ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndV!=", "with bad base64");
	final_malformed(RFC_FINAL_NO_PROOF ",p=dHzb=apWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "with = inside");
	final_malformed(RFC_FINAL_NO_PROOF ",p=AAAA", "with short proof");
	final_malformed(RFC_FINAL_NO_PROOF ",p=", "with empty proof");
	final_malformed(RFC_FINAL_NO_PROOF, "without proof");
	final_malformed(RFC_FINAL_NO_PROOF ",p=" RFC_PROOF ",x=1", "with garbage after proof");
	final_malformed("c=eSws,r=" RFC_CNONCE RFC_SNONCE ",p=" RFC_PROOF, "with y,, binding after n,,");
	final_malformed("r=" RFC_CNONCE RFC_SNONCE ",p=" RFC_PROOF, "without channel binding");
	final_malformed("c=biws,p=" RFC_PROOF, "without nonce");

	/* client-final before client-first */
	PgwScram s;
	Buf out;
	const char *err = NULL;
	buf_init(&out);
	pgw_scram_begin_for_user(&s, RFC_USER, rfc_verifier);
	ok(!final(&s, RFC_FINAL_NO_PROOF ",p=" RFC_PROOF, &out, &err) && err, "client-final in INIT: error");

	/* a bad fixed server nonce is refused */
	pgw_scram_begin_for_user(&s, RFC_USER, rfc_verifier);
	err = NULL;
	ok(!first(&s, RFC_CLIENT_FIRST, "a,b", &out, &err) && err, "server nonce with comma refused");

	/* extensions after the nonce are ignored, as PostgreSQL does */
	pgw_scram_begin_for_user(&s, RFC_USER, rfc_verifier);
	ok(first(&s, RFC_CLIENT_FIRST ",x=ignored", RFC_SNONCE, &out, &err), "client-first extension ignored");
	buf_cleanup(&out);
}

/* Run a full exchange with the test client; returns whether the server
 * accepted, and checks its server-final against the client's expectation. */
static bool full_exchange(const char *user, const char *secret, const char *password, const char *gs2,
			  const char **err_out, char *server_first_out)
{
	PgwScram s;
	Buf out;
	const char *err = NULL;
	char cfirst[128], cfinal_np[512], cfinal[600], proof64[64], sig64[64], nonce[256];
	char cb64[16];
	bool accepted = false;

	buf_init(&out);
	t_b64_encode((const uint8_t *)gs2, strlen(gs2), cb64);
	snprintf(cfirst, sizeof(cfirst), "%sn=,r=fyko+d2lbbFgONRv9qkxdawL", gs2);
	pgw_scram_begin_for_user(&s, user, secret);
	if (!first(&s, cfirst, NULL, &out, &err))
		goto done;
	if (server_first_out)
		strcpy(server_first_out, buf_cstr(&out));
	if (!t_attr(buf_cstr(&out), 'r', nonce, sizeof(nonce)))
		goto done;
	snprintf(cfinal_np, sizeof(cfinal_np), "c=%s,r=%s", cb64, nonce);
	if (!t_client_proof(password, cfirst + strlen(gs2), buf_cstr(&out), cfinal_np, proof64, sig64))
		goto done;
	snprintf(cfinal, sizeof(cfinal), "%s,p=%s", cfinal_np, proof64);
	accepted = final(&s, cfinal, &out, &err);
	if (accepted && (strncmp(buf_cstr(&out), "v=", 2) != 0 || strcmp(buf_cstr(&out) + 2, sig64) != 0))
		accepted = false;
done:
	*err_out = err;
	pgw_scram_cleanup(&s);
	buf_cleanup(&out);
	return accepted;
}

static void test_roundtrip(void)
{
	char v1[256], v2[256], tiny[16], sfirst[1024];
	const char *err = NULL;

	ok(pgw_scram_make_verifier("correct horse", PGW_SCRAM_DEFAULT_ITERATIONS, v1, sizeof(v1)), "make verifier");
	ok(strncmp(v1, "SCRAM-SHA-256$4096:", 19) == 0, "verifier prefix: %s", v1);
	{
		/* SCRAM-SHA-256$4096:<24 b64>$<44 b64>:<44 b64> for a 16-byte salt */
		const char *salt = v1 + 19, *d = strchr(salt, '$'), *c = d ? strchr(d, ':') : NULL;
		uint8_t raw[64];
		ok(d && d - salt == 24 && c && c - d - 1 == 44 && strlen(c + 1) == 44, "verifier field lengths");
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%.*s", 24, salt);
		is_int(t_b64_decode(tmp, raw), PGW_SCRAM_SALT_LEN, "salt is %d bytes", PGW_SCRAM_SALT_LEN);
	}
	ok(pgw_scram_make_verifier("correct horse", PGW_SCRAM_DEFAULT_ITERATIONS, v2, sizeof(v2)), "make again");
	ok(strcmp(v1, v2) != 0, "two verifiers of one password differ (random salt)");
	ok(!pgw_scram_make_verifier("x", 4096, tiny, sizeof(tiny)) && tiny[0] == '\0', "too small out refused");
	ok(!pgw_scram_make_verifier("x", 0, v2, sizeof(v2)), "zero iterations refused");

	ok(full_exchange("alice", v1, "correct horse", "n,,", &err, sfirst), "full exchange with n,,");
	ok(err == NULL, "no error");
	ok(full_exchange("alice", v1, "correct horse", "y,,", &err, NULL), "full exchange with y,, (c=eSws)");
	ok(!full_exchange("alice", v1, "correct horse!", "n,,", &err, NULL) && err == NULL, "wrong password fails");

	ok(pgw_scram_make_verifier("", 1, v2, sizeof(v2)), "verifier with 1 iteration");
	ok(full_exchange("bob", v2, "", "n,,", &err, sfirst), "exchange at 1 iteration");
	ok(strstr(sfirst, ",i=1") != NULL, "server-first carries i=1: %s", sfirst);

	ok(pgw_password_check("alice", v1, "correct horse"), "cleartext check, SCRAM");
	ok(!pgw_password_check("alice", v1, "correct hors"), "cleartext check, SCRAM, wrong");
	ok(!pgw_password_check("alice", NULL, "x"), "cleartext check, NULL secret");
	ok(!pgw_password_check("alice", "plain", "plain"), "cleartext check, unknown secret format");
}

static void test_doomed(void)
{
	char sf1[1024], sf2[1024], sf3[1024], salt64[128], iter[16];
	uint8_t salt[64];
	const char *err = "unset";
	char v[256];

	ok(!full_exchange("ghost", NULL, "anything", "n,,", &err, sf1), "NULL secret: exchange fails");
	ok(err == NULL, "NULL secret: fails like a wrong password");
	ok(t_attr(sf1, 's', salt64, sizeof(salt64)) && t_attr(sf1, 'i', iter, sizeof(iter)), "server-first looks normal: %s",
	   sf1);
	is_int(t_b64_decode(salt64, salt), PGW_SCRAM_SALT_LEN, "fake salt has the usual length");
	is_str(iter, "4096", "fake iteration count is the default");

	ok(!full_exchange("ghost", NULL, "anything", "n,,", &err, sf2), "again");
	t_attr(sf2, 's', v, sizeof(v));
	is_str(v, salt64, "same unknown user, same fake salt");
	ok(!full_exchange("phantom", NULL, "anything", "n,,", &err, sf3), "other user");
	t_attr(sf3, 's', v, sizeof(v));
	ok(strcmp(v, salt64) != 0, "other unknown user, other fake salt");

	pgw_md5_make_secret("ghost", "anything", v);
	err = "unset";
	ok(!full_exchange("ghost", v, "anything", "n,,", &err, NULL) && err == NULL, "MD5 secret: SCRAM doomed");
	err = "unset";
	ok(!full_exchange("ghost", "SCRAM-SHA-256$4096:AAAA$BBBB:CCCC", "x", "n,,", &err, NULL) && err == NULL,
	   "malformed verifier: doomed");

	PgwScram s;
	pgw_scram_begin(&s, "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$" RFC_PROOF ":" RFC_PROOF);
	ok(s.doomed, "zero iterations in verifier: doomed");
	pgw_scram_begin(&s, "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$" RFC_PROOF ":" RFC_PROOF "x");
	ok(s.doomed, "trailing junk in verifier: doomed");
	pgw_scram_begin(&s, "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$" RFC_PROOF ":" RFC_PROOF);
	ok(!s.doomed && s.iterations == 4096 && s.salt_len == 16, "well-formed verifier parses");
	pgw_scram_cleanup(&s);
}

static void test_md5(void)
{
	char secret[36];
	const uint8_t salt1[4] = {1, 2, 3, 4};
	const uint8_t salt2[4] = {0xde, 0xad, 0xbe, 0xef};

	pgw_md5_make_secret("postgres", "postgres", secret);
	is_str(secret, "md53175bce1d3201d16594cebf9d7eb3f9d", "md5 secret of postgres/postgres");
	ok(pgw_md5_check(secret, salt1, "md568be9ed08db75f318087ab337aaea044"), "md5 response accepted");
	ok(!pgw_md5_check(secret, salt2, "md568be9ed08db75f318087ab337aaea044"), "md5 response with other salt refused");
	ok(!pgw_md5_check(secret, salt1, "md568be9ed08db75f318087ab337aaea04"), "short md5 response refused");
	ok(!pgw_md5_check(secret, salt1, "md568be9ed08db75f318087ab337aaea0445"), "long md5 response refused");
	ok(!pgw_md5_check(secret, salt1, NULL), "NULL md5 response refused");

	pgw_md5_make_secret("alice", "pencil", secret);
	is_str(secret, "md5ee69efad287c7423caf0b3229d71f567", "md5 secret of alice/pencil");
	ok(pgw_md5_check(secret, salt2, "md589ac9dabb63a4f0b959fff1b8cff5d71"), "md5 response accepted (2)");
	ok(!pgw_md5_check(NULL, salt2, "md589ac9dabb63a4f0b959fff1b8cff5d71"), "NULL secret refused");
	ok(!pgw_md5_check(rfc_verifier, salt2, "md589ac9dabb63a4f0b959fff1b8cff5d71"), "SCRAM secret refused");

	ok(pgw_password_check("alice", secret, "pencil"), "cleartext check, MD5");
	ok(!pgw_password_check("bob", secret, "pencil"), "cleartext check, MD5, other user");
	ok(!pgw_password_check("alice", secret, "pencil2"), "cleartext check, MD5, wrong password");
}

int main(void)
{
	uint8_t r1[32] = {0}, r2[32] = {0};
	ok(pgw_random_bytes(r1, sizeof(r1)) && pgw_random_bytes(r2, sizeof(r2)) && memcmp(r1, r2, 32) != 0,
	   "random bytes");

	test_rfc7677();
	test_wrong_proof();
	test_malformed();
	test_roundtrip();
	test_doomed();
	test_md5();
	return tap_done();
}
