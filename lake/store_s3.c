/*
 * store_s3.c - objects of an S3-compatible store over HTTP with libcurl
 * (see store_s3.h).  Requests are signed by libcurl (AWS Signature
 * Version 4, service s3); the payload's SHA-256 goes in
 * x-amz-content-sha256 as S3 requires.
 *
 * The commit point, a PUT that must not replace an existing object, is
 * a conditional PUT (If-None-Match: *, answered 412 when the object
 * exists) where store_probe found that the server honours it.  Where it
 * does not (s3rver, older MinIO), the PUT happens under a lock of the
 * object's folder made of objects only: a writer puts its own lock object
 * <folder>/lock-<ms>-<owner>-<random>, lists the keys that start with
 * <folder>/lock-, and holds the lock if its object is the only one; otherwise it deletes its
 * object and tries again after a random pause.  With reads and lists that
 * see every completed write (S3 has been strongly consistent since
 * December 2020), two writers cannot both see themselves alone: the
 * later of the two puts finishes after the other's put, so its list shows
 * both.  Under the lock the writer checks that the object is absent and
 * puts it.  A lock object older than LOCK_STALE_MS, or left by an earlier
 * run of the same owner (the sink's slot), is removed as abandoned.
 */
#include "store_s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOCK_STALE_MS 60000
#define LOCK_WAIT_MS 120000
#define ATTEMPTS 4

static LakeS3 cfg;
static char *owner; /* owned */
static bool started; /* curl_global_init done */
/* each thread's own handle (libcurl's handles are not shared between
 * threads), and the owner name a thread writes as when it has one */
static __thread CURL *curl;
static __thread const char *thread_owner;
static StoreCommit method;

StoreCommit store_s3_commit_method(void) { return method; }

const char *store_owner(void) { return thread_owner ? thread_owner : owner ? owner : "dolake"; }

void store_thread_owner(const char *name) { thread_owner = name; }

void store_thread_end(void)
{
	if (curl)
		curl_easy_cleanup(curl);
	curl = NULL;
	thread_owner = NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};
	nanosleep(&ts, NULL);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

bool store_init(const LakeS3 *s3, const char *who, char *err, size_t errlen)
{
	store_shutdown();
	cfg.endpoint = dup_or_null(s3->endpoint);
	cfg.region = dup_or_null(s3->region ? s3->region : "us-east-1");
	cfg.access_key_id = dup_or_null(s3->access_key_id);
	cfg.secret_access_key = dup_or_null(s3->secret_access_key);
	cfg.path_style = s3->path_style;
	owner = strdup(who ? who : "dolake");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(curl = curl_easy_init())) {
		snprintf(err, errlen, "libcurl could not start");
		return false;
	}
	started = true;
	return true;
}

void store_shutdown(void)
{
	if (curl)
		curl_easy_cleanup(curl);
	curl = NULL;
	if (started)
		curl_global_cleanup();
	started = false;
	free(cfg.endpoint);
	free(cfg.region);
	free(cfg.access_key_id);
	free(cfg.secret_access_key);
	memset(&cfg, 0, sizeof(cfg));
	free(owner);
	owner = NULL;
}

/* Percent-encodes s into b as SigV4's canonical URI wants it: everything
 * but unreserved characters (and '/' when keep_slash). */
static void uri_encode(Buf *b, const char *s, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			c == '.' || c == '~' || (keep_slash && c == '/'))
			buf_put_u8(b, c);
		else {
			buf_put_u8(b, '%');
			buf_put_u8(b, (uint8_t)hex[c >> 4]);
			buf_put_u8(b, (uint8_t)hex[c & 15]);
		}
	}
}

/* The URL of s3://bucket/key, with query (already encoded, its
 * parameters in name order) when given. */
static char *s3_url(const char *loc, const char *query)
{
	const char *bucket = loc + 5, *slash = strchr(bucket, '/');
	size_t blen = slash ? (size_t)(slash - bucket) : strlen(bucket);
	const char *key = slash ? slash + 1 : "";
	Buf b;
	buf_init(&b);
	if (cfg.endpoint) {
		const char *ep = cfg.endpoint, *host = strstr(ep, "://");
		size_t eplen = strlen(ep);
		while (eplen > 0 && ep[eplen - 1] == '/')
			eplen--;
		if (cfg.path_style || !host) {
			buf_put(&b, ep, eplen);
			buf_put_u8(&b, '/');
			buf_put(&b, bucket, blen);
		} else {
			buf_put(&b, ep, (size_t)(host + 3 - ep));
			buf_put(&b, bucket, blen);
			buf_put_u8(&b, '.');
			buf_put(&b, host + 3, eplen - (size_t)(host + 3 - ep));
		}
	} else if (cfg.path_style)
		buf_printf(&b, "https://s3.%s.amazonaws.com/%.*s", cfg.region, (int)blen, bucket);
	else
		buf_printf(&b, "https://%.*s.s3.%s.amazonaws.com", (int)blen, bucket, cfg.region);
	buf_put_u8(&b, '/');
	uri_encode(&b, key, strlen(key), true);
	if (query)
		buf_printf(&b, "?%s", query);
	buf_put_u8(&b, 0);
	if (b.failed) {
		buf_cleanup(&b);
		return NULL;
	}
	return (char *)b.data;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	Buf *b = arg;
	buf_put(b, p, size * n);
	return b->failed ? 0 : size * n;
}

typedef struct S3Call {
	const char *method; /* GET, PUT, DELETE, HEAD */
	const void *body;
	size_t len;
	FILE *file;         /* the body streamed from a file of len bytes, rather than body */
	const unsigned char *sha; /* the body's SHA-256, when file */
	bool if_none_match; /* If-None-Match: * */
	Buf *out;           /* the response body (appended) */
	long status;
} S3Call;

/* One request, retried on transport errors and 5xx answers; false with
 * the reason in err when no answer came.  c->status is the HTTP status. */
static bool s3_call(const char *url, S3Call *c, char *err, size_t errlen)
{
	if (started && !curl)
		curl = curl_easy_init();
	if (!curl) {
		snprintf(err, errlen, "%s %s: S3 storage was not set up (store_init)", c->method, url);
		return false;
	}
	unsigned char sha[SHA256_DIGEST_LENGTH];
	if (c->file)
		memcpy(sha, c->sha, sizeof(sha));
	else
		SHA256(c->body ? c->body : (const void *)"", c->len, sha);
	char hdr[128] = "x-amz-content-sha256: ";
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hdr + 22 + 2 * i, 3, "%02x", sha[i]);
	char sigv4[128];
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", cfg.region);
	struct curl_slist *h = curl_slist_append(NULL, hdr);
	h = curl_slist_append(h, "Expect:");
	if (strcmp(c->method, "PUT") == 0)
		h = curl_slist_append(h, "Content-Type: application/octet-stream");
	if (c->if_none_match)
		h = curl_slist_append(h, "If-None-Match: *");
	Buf sink;
	buf_init(&sink);
	Buf *out = c->out ? c->out : &sink;
	size_t start = out->len;
	CURLcode rc = CURLE_OK;
	c->status = 0;
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		if (attempt)
			sleep_ms(100L << attempt);
		out->len = start;
		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
		if (cfg.access_key_id && cfg.secret_access_key) {
			curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4);
			curl_easy_setopt(curl, CURLOPT_USERNAME, cfg.access_key_id);
			curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg.secret_access_key);
		}
		if (c->file) {
			/* libcurl signs with the x-amz-content-sha256 given */
			rewind(c->file);
			curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(curl, CURLOPT_READDATA, c->file);
			curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->len);
		} else if (strcmp(c->method, "PUT") == 0) {
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body ? c->body : (const void *)"");
		} else if (strcmp(c->method, "HEAD") == 0)
			curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		else if (strcmp(c->method, "GET") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, c->method);
		rc = curl_easy_perform(curl);
		if (rc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
		if (rc == CURLE_OK && c->status < 500)
			break;
	}
	curl_slist_free_all(h);
	buf_cleanup(&sink);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", c->method, url, curl_easy_strerror(rc));
		return false;
	}
	return true;
}

/* err for an unexpected status, with S3's <Code> when the body has one. */
static void status_error(const char *loc, const S3Call *c, const Buf *body, char *err, size_t errlen)
{
	const char *code = NULL;
	int n = 0;
	if (body && body->len) {
		const char *s = memmem(body->data, body->len, "<Code>", 6), *e;
		if (s && (e = memmem(s, body->len - (size_t)(s - (const char *)body->data), "</Code>", 7))) {
			code = s + 6;
			n = (int)(e - code);
		}
	}
	snprintf(err, errlen, "%s %s: HTTP %ld%s%.*s", c->method, loc, c->status, code ? " " : "", n, code ? code : "");
}

/* A request on loc; false with err unless an answer came. */
static bool s3_do(const char *loc, const char *query, S3Call *c, char *err, size_t errlen)
{
	char *url = s3_url(loc, query);
	if (!url) {
		snprintf(err, errlen, "%s: out of memory", loc);
		return false;
	}
	bool ok = s3_call(url, c, err, errlen);
	free(url);
	return ok;
}

static StoreResult plain_put(const char *loc, const void *data, size_t len, bool if_none_match, char *err,
	size_t errlen)
{
	Buf body;
	buf_init(&body);
	S3Call c = {.method = "PUT", .body = data, .len = len, .if_none_match = if_none_match, .out = &body};
	StoreResult r = STORE_ERROR;
	if (s3_do(loc, NULL, &c, err, errlen)) {
		if (c.status >= 200 && c.status < 300)
			r = STORE_OK;
		else if (c.status == 412)
			r = STORE_EXISTS;
		else
			status_error(loc, &c, &body, err, errlen);
	}
	buf_cleanup(&body);
	return r;
}

bool s3_put_file(const char *loc, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char sha[SHA256_DIGEST_LENGTH], chunk[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = 0, n;
	bool ok = f && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		ok = EVP_DigestUpdate(md, chunk, n) == 1;
		len += n;
	}
	ok = ok && !ferror(f) && EVP_DigestFinal_ex(md, sha, NULL) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, f ? "could not be read" : strerror(errno));
	Buf body;
	buf_init(&body);
	S3Call c = {.method = "PUT", .len = len, .file = f, .sha = sha, .out = &body};
	ok = ok && s3_do(loc, NULL, &c, err, errlen);
	if (ok && c.status / 100 != 2) {
		status_error(loc, &c, &body, err, errlen);
		ok = false;
	}
	buf_cleanup(&body);
	if (f)
		fclose(f);
	return ok;
}

StoreResult s3_get(const char *loc, Buf *out, char *err, size_t errlen)
{
	size_t start = out->len;
	S3Call c = {.method = "GET", .out = out};
	if (!s3_do(loc, NULL, &c, err, errlen))
		return STORE_ERROR;
	if (c.status == 200)
		return STORE_OK;
	Buf body = {.data = out->data + start, .len = out->len - start};
	status_error(loc, &c, &body, err, errlen);
	out->len = start;
	return c.status == 404 ? STORE_MISSING : STORE_ERROR;
}

bool s3_delete(const char *loc)
{
	char err[256];
	S3Call c = {.method = "DELETE"};
	return s3_do(loc, NULL, &c, err, sizeof(err)) && (c.status / 100 == 2 || c.status == 404);
}

/* The text between the next <tag> and </tag> at or after *pos, XML entities decoded. */
static char *xml_next(const Buf *b, size_t *pos, const char *tag)
{
	char open[64], close[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *base = (const char *)b->data;
	const char *s = *pos < b->len ? memmem(base + *pos, b->len - *pos, open, strlen(open)) : NULL;
	if (!s)
		return NULL;
	s += strlen(open);
	const char *e = memmem(s, b->len - (size_t)(s - base), close, strlen(close));
	if (!e)
		return NULL;
	*pos = (size_t)(e - base) + strlen(close);
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	char *out = malloc((size_t)(e - s) + 1), *o = out;
	while (out && s < e) {
		size_t k = 0;
		while (k < sizeof(ents) / sizeof(ents[0]) && strncmp(s, ents[k].ent, strlen(ents[k].ent)) != 0)
			k++;
		if (k < sizeof(ents) / sizeof(ents[0])) {
			*o++ = ents[k].c;
			s += strlen(ents[k].ent);
		} else
			*o++ = *s++;
	}
	if (out)
		*o = 0;
	return out;
}

/* Calls fn with the rest of each key that starts with the key of the
 * location start (s3://bucket/prefix), and with a '/' after it when
 * folder. */
static bool list_prefix(const char *start, bool folder, StoreListFn fn, void *arg, char *err, size_t errlen)
{
	const char *bucket = start + 5, *slash = strchr(bucket, '/');
	char *root = slash ? strndup(start, (size_t)(slash - start)) : strdup(start);
	Buf prefix;
	buf_init(&prefix);
	if (slash && slash[1]) {
		buf_put_str(&prefix, slash + 1);
		if (folder && prefix.len && prefix.data[prefix.len - 1] != '/')
			buf_put_u8(&prefix, '/');
	}
	buf_put_u8(&prefix, 0);
	size_t plen = strlen((const char *)prefix.data);
	char *token = NULL;
	bool ok = root && !prefix.failed;
	while (ok) {
		Buf q, body;
		buf_init(&q);
		buf_init(&body);
		if (token) {
			buf_put_str(&q, "continuation-token=");
			uri_encode(&q, token, strlen(token), false);
			buf_put_u8(&q, '&');
		}
		buf_put_str(&q, "list-type=2&prefix=");
		uri_encode(&q, (const char *)prefix.data, plen, false);
		buf_put_u8(&q, 0);
		char *rootslash = NULL;
		if (asprintf(&rootslash, "%s/", root) < 0)
			rootslash = NULL;
		S3Call c = {.method = "GET", .out = &body};
		ok = !q.failed && rootslash && s3_do(rootslash, (const char *)q.data, &c, err, errlen);
		if (ok && c.status != 200) {
			status_error(start, &c, &body, err, errlen);
			ok = false;
		}
		free(rootslash);
		buf_cleanup(&q);
		size_t pos = 0;
		char *key;
		while (ok && (key = xml_next(&body, &pos, "Key"))) {
			if (strncmp(key, (const char *)prefix.data, plen) == 0)
				fn(arg, key + plen);
			free(key);
		}
		free(token);
		token = NULL;
		pos = 0;
		char *trunc = ok ? xml_next(&body, &pos, "IsTruncated") : NULL;
		bool more = trunc && strcmp(trunc, "true") == 0;
		free(trunc);
		pos = 0;
		if (more)
			token = xml_next(&body, &pos, "NextContinuationToken");
		buf_cleanup(&body);
		if (!token)
			break;
	}
	free(token);
	free(root);
	buf_cleanup(&prefix);
	return ok;
}

bool s3_list(const char *dir, StoreListFn fn, void *arg, char *err, size_t errlen)
{
	return list_prefix(dir, true, fn, arg, err, errlen);
}

/* --- the lock of a folder, for servers without conditional PUT --- */

typedef struct Names {
	char **v;
	int n;
} Names;

static void collect(void *arg, const char *name)
{
	Names *ns = arg;
	char **g = realloc(ns->v, (size_t)(ns->n + 1) * sizeof(char *));
	if (g && (g[ns->n] = strdup(name))) {
		ns->v = g;
		ns->n++;
	} else if (g)
		ns->v = g;
}

static void names_free(Names *ns)
{
	for (int i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* True when lock object name (<ms>-<owner>-<random>) is abandoned: old,
 * or left by an earlier run of this owner. */
static bool lock_abandoned(const char *name, const char *mine)
{
	char *end;
	long long ms = strtoll(name, &end, 10);
	if (*end != '-' || now_ms() - ms > LOCK_STALE_MS)
		return true;
	const char *r = strrchr(end + 1, '-');
	const char *who = store_owner();
	size_t olen = strlen(who);
	return r && (size_t)(r - (end + 1)) == olen && strncmp(end + 1, who, olen) == 0 && strcmp(name, mine) != 0;
}

/* Takes the lock of folder dir; *held gets the location of its lock object. */
static bool lock_take(const char *dir, char **held, char *err, size_t errlen)
{
	char *lockdir = NULL;
	if (asprintf(&lockdir, "%s/lock-", dir) < 0)
		return false;
	int64_t deadline = now_ms() + LOCK_WAIT_MS;
	bool ok = false;
	while (!ok) {
		uint32_t rnd;
		if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
			rnd = (uint32_t)getpid();
		char name[256], *mine = NULL;
		snprintf(name, sizeof(name), "%lld-%s-%08x", (long long)now_ms(), store_owner(), rnd);
		if (asprintf(&mine, "%s%s", lockdir, name) < 0)
			break;
		Names ns = {0};
		bool step = plain_put(mine, "", 0, false, err, errlen) == STORE_OK &&
			list_prefix(lockdir, false, collect, &ns, err, errlen);
		int others = 0;
		for (int i = 0; step && i < ns.n; i++) {
			if (strcmp(ns.v[i], name) == 0)
				continue;
			if (lock_abandoned(ns.v[i], name)) {
				char *old = NULL;
				if (asprintf(&old, "%s%s", lockdir, ns.v[i]) >= 0)
					s3_delete(old);
				free(old);
			} else
				others++;
		}
		names_free(&ns);
		if (step && others == 0) {
			*held = mine;
			ok = true;
			break;
		}
		s3_delete(mine);
		free(mine);
		if (!step || now_ms() > deadline) {
			if (step)
				snprintf(err, errlen, "%s*: held by another writer for %d s", lockdir, LOCK_WAIT_MS / 1000);
			break;
		}
		sleep_ms(10 + (long)(rnd % 200));
	}
	free(lockdir);
	return ok;
}

StoreResult s3_put(const char *loc, const void *data, size_t len, bool if_absent, char *err, size_t errlen)
{
	if (!if_absent)
		return plain_put(loc, data, len, false, err, errlen);
	if (method == STORE_COMMIT_CONDITIONAL) {
		StoreResult r;
		/* 409: another conditional write of the object is under way */
		for (int i = 0; (r = plain_put(loc, data, len, true, err, errlen)) == STORE_ERROR && i < 5; i++)
			if (!strstr(err, "HTTP 409"))
				break;
		return r;
	}
	const char *slash = strrchr(loc, '/');
	char *dir = strndup(loc, (size_t)(slash - loc)), *held = NULL;
	StoreResult r = STORE_ERROR;
	if (dir && lock_take(dir, &held, err, errlen)) {
		S3Call c = {.method = "HEAD"};
		if (!s3_do(loc, NULL, &c, err, errlen))
			r = STORE_ERROR;
		else if (c.status == 200)
			r = STORE_EXISTS;
		else if (c.status == 404)
			r = plain_put(loc, data, len, false, err, errlen);
		else
			status_error(loc, &c, NULL, err, errlen);
		s3_delete(held);
	}
	free(held);
	free(dir);
	return r;
}

bool store_probe(const char *warehouse, char *err, size_t errlen)
{
	if (!store_is_s3(warehouse))
		return true;
	uint64_t rnd = 0;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint64_t)now_ms();
	char *probe = NULL;
	if (asprintf(&probe, "%s/.dolake-probe-%016llx", warehouse, (unsigned long long)rnd) < 0)
		return false;
	StoreResult first = plain_put(probe, "1", 1, true, err, errlen);
	StoreResult second = first == STORE_OK ? plain_put(probe, "2", 1, true, err, errlen) : STORE_ERROR;
	if (second != STORE_ERROR)
		method = second == STORE_EXISTS ? STORE_COMMIT_CONDITIONAL : STORE_COMMIT_LOCK;
	if (first == STORE_OK)
		s3_delete(probe);
	free(probe);
	return second != STORE_ERROR;
}
