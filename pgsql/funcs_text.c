/*
 * funcs_text.c - PostgreSQL's string functions that SQLite lacks, as
 * SQLite functions over UTF-8 text (positions count characters):
 * split_part, overlay, translate, starts_with, string_to_array, chr,
 * ascii, to_hex, quote_literal/quote_nullable, sha224..sha512,
 * encode/decode, concat_ws, format, bit_length.
 */
#include <ctype.h>
#include <locale.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "common/pgident.h"
#include "pgsql/pgtime_int.h"
#include "pgsql/pgtype_int.h"

static void err(sqlite3_context *ctx, const char *state, const char *msg) { pgt_result_error(ctx, state, msg); }

static void result_buf(sqlite3_context *ctx, Buf *b)
{
	if (b->failed)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, b->data ? (const char *)b->data : "", (int)b->len, SQLITE_TRANSIENT);
	buf_cleanup(b);
}

static bool any_null(int argc, sqlite3_value **argv)
{
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return true;
	return false;
}

/* Bytes of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const unsigned char *s, size_t n)
{
	size_t k = *s < 0x80 ? 1 : *s < 0xE0 ? 2 : *s < 0xF0 ? 3 : 4;
	return k > n ? n : k;
}

/* Byte offset of character number idx (0-based) of s, n if past the end. */
static size_t char_off(const unsigned char *s, size_t n, int64_t idx)
{
	size_t o = 0;
	while (idx-- > 0 && o < n)
		o += char_len(s + o, n - o);
	return o;
}

static const unsigned char *text_arg(sqlite3_value *v, size_t *n)
{
	const unsigned char *s = sqlite3_value_text(v);
	*n = (size_t)sqlite3_value_bytes(v);
	return s ? s : (const unsigned char *)"";
}

/* split_part(s, delim, n): field n (from the end when negative). */
static void fn_split_part(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	size_t n, dn;
	const unsigned char *s = text_arg(argv[0], &n), *d = text_arg(argv[1], &dn);
	int64_t k = sqlite3_value_int64(argv[2]);
	if (k == 0) {
		err(ctx, "22023", "field position must not be zero");
		return;
	}
	/* field boundaries */
	size_t starts[1024], ends[1024], nf = 0, p = 0;
	if (dn == 0) {
		starts[0] = 0, ends[0] = n, nf = 1;
	} else {
		while (nf < 1024) {
			const unsigned char *hit = n >= p + dn ? memmem(s + p, n - p, d, dn) : NULL;
			starts[nf] = p;
			ends[nf] = hit ? (size_t)(hit - s) : n;
			nf++;
			if (!hit)
				break;
			p = (size_t)(hit - s) + dn;
		}
	}
	int64_t idx = k > 0 ? k - 1 : (int64_t)nf + k;
	if (n == 0 || idx < 0 || idx >= (int64_t)nf) {
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		return;
	}
	sqlite3_result_text(ctx, (const char *)s + starts[idx], (int)(ends[idx] - starts[idx]), SQLITE_TRANSIENT);
}

/* overlay(s, r, start[, count]): s with count characters from start
 * replaced by r (count defaults to r's length). */
static void fn_overlay(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	size_t n, rn;
	const unsigned char *s = text_arg(argv[0], &n), *r = text_arg(argv[1], &rn);
	int64_t start = sqlite3_value_int64(argv[2]);
	int64_t count = 0;
	if (argc > 3) {
		count = sqlite3_value_int64(argv[3]);
	} else {
		for (size_t o = 0; o < rn; o += char_len(r + o, rn - o))
			count++;
	}
	if (start - 1 < 0 || count < 0) {
		err(ctx, "22011", "negative substring length not allowed");
		return;
	}
	Buf b;
	buf_init(&b);
	size_t a = char_off(s, n, start - 1);
	size_t e = char_off(s, n, start - 1 + count);
	buf_put(&b, s, a);
	buf_put(&b, r, rn);
	buf_put(&b, s + e, n - e);
	result_buf(ctx, &b);
}

/* The three text arguments of a strict function; false when one is NULL. */
static bool text_args3(int argc, sqlite3_value **argv, const unsigned char *a[3], size_t len[3])
{
	if (any_null(argc, argv))
		return false;
	for (int i = 0; i < 3; i++)
		a[i] = text_arg(argv[i], &len[i]);
	return true;
}

/* translate(s, from, to): each character of from found in s replaced by
 * the one at the same place of to, or dropped when to is shorter. */
static void fn_translate(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *a[3];
	size_t len[3];
	if (!text_args3(argc, argv, a, len))
		return;
	const unsigned char *s = a[0], *f = a[1], *t = a[2];
	size_t n = len[0], fn = len[1], tn = len[2];
	Buf b;
	buf_init(&b);
	for (size_t o = 0; o < n;) {
		size_t cl = char_len(s + o, n - o);
		int64_t idx = 0;
		size_t fo = 0;
		for (; fo < fn; idx++) {
			size_t fl = char_len(f + fo, fn - fo);
			if (fl == cl && memcmp(f + fo, s + o, cl) == 0)
				break;
			fo += fl;
		}
		if (fo >= fn) {
			buf_put(&b, s + o, cl);
		} else {
			size_t to = char_off(t, tn, idx);
			if (to < tn)
				buf_put(&b, t + to, char_len(t + to, tn - to));
		}
		o += cl;
	}
	result_buf(ctx, &b);
}

static void fn_starts_with(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	size_t n, pn;
	const unsigned char *s = text_arg(argv[0], &n), *p = text_arg(argv[1], &pn);
	sqlite3_result_int(ctx, pn <= n && memcmp(s, p, pn) == 0);
}

/* replace(s, from, to): strict (SQLite's returns s for an empty from
 * even when to is NULL); s unchanged for an empty from. */
static void fn_replace(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *a[3];
	size_t len[3];
	if (!text_args3(argc, argv, a, len))
		return;
	Buf b;
	buf_init(&b);
	for (size_t i = 0; i < len[0];) {
		if (len[1] && len[1] <= len[0] - i && memcmp(a[0] + i, a[1], len[1]) == 0) {
			buf_put(&b, a[2], len[2]);
			i += len[1];
		} else {
			buf_put_u8(&b, a[0][i++]);
		}
	}
	result_buf(ctx, &b);
}

static void put_field(Buf *b, bool *first, const unsigned char *s, size_t n, sqlite3_value *null_str)
{
	buf_put_str(b, *first ? "" : ",");
	*first = false;
	size_t nn;
	const unsigned char *ns = null_str && sqlite3_value_type(null_str) != SQLITE_NULL ? text_arg(null_str, &nn) : NULL;
	if (ns && nn == n && memcmp(ns, s, n) == 0)
		buf_put_str(b, "NULL");
	else
		pgt_array_put_elem(b, (const char *)s, n);
}

/* string_to_array(s, delim[, null_str]): text[] (each character when delim
 * is NULL, s whole when it is empty). */
static void fn_string_to_array(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	size_t n, dn = 0;
	const unsigned char *s = text_arg(argv[0], &n);
	bool by_char = sqlite3_value_type(argv[1]) == SQLITE_NULL;
	const unsigned char *d = by_char ? NULL : text_arg(argv[1], &dn);
	sqlite3_value *ns = argc > 2 ? argv[2] : NULL;
	Buf b;
	buf_init(&b);
	buf_put_u8(&b, '{');
	bool first = true;
	if (n > 0 && by_char) {
		for (size_t o = 0; o < n; o += char_len(s + o, n - o))
			put_field(&b, &first, s + o, char_len(s + o, n - o), ns);
	} else if (n > 0 && dn == 0) {
		put_field(&b, &first, s, n, ns);
	} else if (n > 0) {
		size_t p = 0;
		for (;;) {
			const unsigned char *hit = n >= p + dn ? memmem(s + p, n - p, d, dn) : NULL;
			size_t e = hit ? (size_t)(hit - s) : n;
			put_field(&b, &first, s + p, e - p, ns);
			if (!hit)
				break;
			p = e + dn;
		}
	}
	buf_put_u8(&b, '}');
	result_buf(ctx, &b);
}

static void fn_chr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	int64_t c = sqlite3_value_int64(argv[0]);
	char msg[96];
	if (c < 0) {
		err(ctx, "22023", "character number must be positive");
		return;
	}
	if (c == 0) {
		err(ctx, "54000", "null character not permitted");
		return;
	}
	if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		snprintf(msg, sizeof(msg), "requested character too large for encoding: %lld", (long long)c);
		err(ctx, "54000", msg);
		return;
	}
	unsigned char u[4];
	int k;
	if (c < 0x80)
		u[0] = (unsigned char)c, k = 1;
	else if (c < 0x800)
		u[0] = (unsigned char)(0xC0 | (c >> 6)), u[1] = (unsigned char)(0x80 | (c & 0x3F)), k = 2;
	else if (c < 0x10000)
		u[0] = (unsigned char)(0xE0 | (c >> 12)), u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)),
		u[2] = (unsigned char)(0x80 | (c & 0x3F)), k = 3;
	else
		u[0] = (unsigned char)(0xF0 | (c >> 18)), u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F)),
		u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)), u[3] = (unsigned char)(0x80 | (c & 0x3F)), k = 4;
	sqlite3_result_text(ctx, (const char *)u, k, SQLITE_TRANSIENT);
}

static void fn_ascii(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	size_t n;
	const unsigned char *s = text_arg(argv[0], &n);
	if (n == 0) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	size_t k = char_len(s, n);
	int64_t c = k == 1 ? s[0] : s[0] & (0x7F >> k);
	for (size_t i = 1; i < k; i++)
		c = (c << 6) | (s[i] & 0x3F);
	sqlite3_result_int64(ctx, c);
}

/* to_hex(v, width): hexadecimal of the two's complement in width bytes. */
static void fn_to_hex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	int64_t v = sqlite3_value_int64(argv[0]);
	uint64_t u = sqlite3_value_int(argv[1]) == 4 ? (uint64_t)(uint32_t)v : (uint64_t)v;
	char buf[24];
	snprintf(buf, sizeof(buf), "%llx", (unsigned long long)u);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void put_literal(Buf *b, const unsigned char *s, size_t n)
{
	if (memchr(s, '\\', n))
		buf_put_u8(b, 'E');
	buf_put_u8(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'' || s[i] == '\\')
			buf_put_u8(b, s[i]);
		buf_put_u8(b, s[i]);
	}
	buf_put_u8(b, '\'');
}

/* quote_literal(s) (NULL: NULL) and quote_nullable(s) (NULL: 'NULL'). */
static void fn_quote_literal(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		if (sqlite3_user_data(ctx))
			sqlite3_result_text(ctx, "NULL", 4, SQLITE_STATIC);
		return;
	}
	size_t n;
	const unsigned char *s = text_arg(argv[0], &n);
	Buf b;
	buf_init(&b);
	put_literal(&b, s, n);
	result_buf(ctx, &b);
}

static void fn_sha(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	int bits = sqlite3_value_int(argv[1]);
	const EVP_MD *md = bits == 224 ? EVP_sha224() : bits == 384 ? EVP_sha384() : bits == 512 ? EVP_sha512() : EVP_sha256();
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const void *p = sqlite3_value_blob(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);
	if (!EVP_Digest(p ? p : "", (size_t)n, out, &len, md, NULL)) {
		err(ctx, "XX000", "could not compute the digest");
		return;
	}
	sqlite3_result_blob(ctx, out, (int)len, SQLITE_TRANSIENT);
}

static void encode_escape(Buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			buf_put_str(b, "\\\\");
		else if (p[i] == 0 || p[i] >= 0x80)
			buf_printf(b, "\\%03o", p[i]);
		else
			buf_put_u8(b, p[i]);
	}
}

/* encode(bytea, 'hex' | 'base64' | 'escape'). */
static void fn_encode(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	const unsigned char *p = sqlite3_value_blob(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]);
	const char *f = (const char *)sqlite3_value_text(argv[1]);
	Buf b;
	buf_init(&b);
	if (strcasecmp(f, "hex") == 0) {
		for (size_t i = 0; i < n; i++)
			buf_printf(&b, "%02x", p[i]);
	} else if (strcasecmp(f, "base64") == 0) {
		static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t line = 0;
		for (size_t i = 0; i < n; i += 3) {
			uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
			if (line >= 76) {
				buf_put_u8(&b, '\n');
				line = 0;
			}
			buf_put_u8(&b, (uint8_t)tab[v >> 18]);
			buf_put_u8(&b, (uint8_t)tab[(v >> 12) & 63]);
			buf_put_u8(&b, i + 1 < n ? (uint8_t)tab[(v >> 6) & 63] : '=');
			buf_put_u8(&b, i + 2 < n ? (uint8_t)tab[v & 63] : '=');
			line += 4;
		}
	} else if (strcasecmp(f, "escape") == 0) {
		encode_escape(&b, p ? p : (const unsigned char *)"", n);
	} else {
		char msg[128];
		snprintf(msg, sizeof(msg), "unrecognized encoding: \"%.60s\"", f);
		buf_cleanup(&b);
		err(ctx, "22023", msg);
		return;
	}
	result_buf(ctx, &b);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool decode_hex(Buf *b, const char *s, size_t n, sqlite3_context *ctx)
{
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
			i++;
			continue;
		}
		int h = hexval(s[i]), l = i + 1 < n ? hexval(s[i + 1]) : -2;
		if (h < 0 || l < 0) {
			char msg[96];
			if (h < 0 || l == -1)
				snprintf(msg, sizeof(msg), "invalid hexadecimal digit: \"%c\"", h < 0 ? s[i] : s[i + 1]);
			else
				snprintf(msg, sizeof(msg), "invalid hexadecimal data: odd number of digits");
			err(ctx, "22023", msg);
			return false;
		}
		buf_put_u8(b, (uint8_t)(h * 16 + l));
		i += 2;
	}
	return true;
}

static bool decode_base64(Buf *b, const char *s, size_t n, sqlite3_context *ctx)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
		    : c == '+' ? 62 : c == '/' ? 63 : -1;
		if (v < 0 || pad) {
			char msg[96];
			snprintf(msg, sizeof(msg), "invalid symbol \"%c\" found while decoding base64 sequence", c);
			err(ctx, "22023", msg);
			return false;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_put_u8(b, (uint8_t)(acc >> bits));
		}
	}
	if (bits >= 6 || (bits && pad == 0 && bits != 0 && (b->len % 3) == 0)) {
		err(ctx, "22023", "invalid base64 end sequence");
		return false;
	}
	return true;
}

static bool decode_escape(Buf *b, const char *s, size_t n, sqlite3_context *ctx)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			buf_put_u8(b, (uint8_t)s[i]);
		} else if (i + 1 < n && s[i + 1] == '\\') {
			buf_put_u8(b, '\\');
			i++;
		} else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
			   s[i + 3] >= '0' && s[i + 3] <= '7') {
			buf_put_u8(b, (uint8_t)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
			i += 3;
		} else {
			err(ctx, "22P02", "invalid input syntax for type bytea");
			return false;
		}
	}
	return true;
}

static void fn_decode(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]);
	const char *f = (const char *)sqlite3_value_text(argv[1]);
	Buf b;
	buf_init(&b);
	bool ok;
	if (strcasecmp(f, "hex") == 0)
		ok = decode_hex(&b, s, n, ctx);
	else if (strcasecmp(f, "base64") == 0)
		ok = decode_base64(&b, s, n, ctx);
	else if (strcasecmp(f, "escape") == 0)
		ok = decode_escape(&b, s, n, ctx);
	else {
		char msg[128];
		snprintf(msg, sizeof(msg), "unrecognized encoding: \"%.60s\"", f);
		err(ctx, "22023", msg);
		ok = false;
	}
	if (ok && !b.failed)
		sqlite3_result_blob(ctx, b.data ? (const void *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	else if (ok)
		sqlite3_result_error_nomem(ctx);
	buf_cleanup(&b);
}

/* concat_ws(sep, v...): the non-NULL values joined by sep. */
static void fn_concat_ws(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	size_t sn;
	const unsigned char *sep = text_arg(argv[0], &sn);
	Buf b;
	buf_init(&b);
	bool first = true;
	for (int i = 1; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			continue;
		size_t n;
		const unsigned char *s = text_arg(argv[i], &n);
		if (!first)
			buf_put(&b, sep, sn);
		buf_put(&b, s, n);
		first = false;
	}
	result_buf(ctx, &b);
}

/* One conversion of format(): %[n$][-][width]{s,I,L}. */
static bool format_one(sqlite3_context *ctx, Buf *b, const char **pp, int argc, sqlite3_value **argv, int *next)
{
	const char *p = *pp;
	int argn = -1, width = 0;
	bool left = false;
	const char *q = p;
	int num = 0;
	while (*q >= '0' && *q <= '9')
		num = num * 10 + (*q++ - '0');
	if (*q == '$' && q > p) {
		argn = num;
		p = q + 1;
	}
	if (*p == '-')
		left = true, p++;
	if (*p == '*') {
		/* the width from an argument: the next one, or *n$ */
		int wa = 0;
		p++;
		const char *q2 = p;
		while (*q2 >= '0' && *q2 <= '9')
			wa = wa * 10 + (*q2++ - '0');
		if (*q2 == '$' && q2 > p)
			p = q2 + 1, *next = wa + 1;
		else
			wa = (*next)++;
		if (wa < 1 || wa >= argc) {
			err(ctx, "22023", "too few arguments for format()");
			return false;
		}
		int64_t w = sqlite3_value_type(argv[wa]) == SQLITE_NULL ? 0 : sqlite3_value_int64(argv[wa]);
		if (w < 0)
			left = true, w = -w;
		width = (int)(w > 1000000 ? 1000000 : w);
	}
	while (*p >= '0' && *p <= '9')
		width = width * 10 + (*p++ - '0');
	if (argn == 0) {
		err(ctx, "22023", "format specifies argument 0, but arguments are numbered from 1");
		return false;
	}
	int a = argn > 0 ? argn : *next;
	*next = a + 1;
	char conv = *p;
	if (conv != 's' && conv != 'I' && conv != 'L') {
		char msg[96];
		if (!conv)
			snprintf(msg, sizeof(msg), "unterminated format() type specifier");
		else
			snprintf(msg, sizeof(msg), "unrecognized format() type specifier \"%c\"", conv);
		err(ctx, "22023", msg);
		return false;
	}
	if (a >= argc) {
		err(ctx, "22023", "too few arguments for format()");
		return false;
	}
	Buf v;
	buf_init(&v);
	bool null = sqlite3_value_type(argv[a]) == SQLITE_NULL;
	size_t n;
	const unsigned char *s = null ? (const unsigned char *)"" : text_arg(argv[a], &n);
	if (conv == 'I' && null) {
		buf_cleanup(&v);
		err(ctx, "22004", "null values cannot be formatted as an SQL identifier");
		return false;
	}
	if (conv == 's' && !null)
		buf_put(&v, s, n);
	else if (conv == 'I')
		pgi_put_ident(&v, (const char *)s);
	else if (conv == 'L' && null)
		buf_put_str(&v, "NULL");
	else if (conv == 'L')
		put_literal(&v, s, n);
	size_t chars = 0;
	for (size_t o = 0; o < v.len; o += char_len(v.data + o, v.len - o))
		chars++;
	if (!left)
		for (size_t i = chars; (int)i < width; i++)
			buf_put_u8(b, ' ');
	buf_put(b, v.data, v.len);
	if (left)
		for (size_t i = chars; (int)i < width; i++)
			buf_put_u8(b, ' ');
	buf_cleanup(&v);
	*pp = p + 1;
	return true;
}

static void fn_format(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	const char *p = (const char *)sqlite3_value_text(argv[0]);
	Buf b;
	buf_init(&b);
	int next = 1;
	while (*p) {
		if (*p != '%') {
			buf_put_u8(&b, (uint8_t)*p++);
			continue;
		}
		p++;
		if (*p == '%') {
			buf_put_u8(&b, '%');
			p++;
			continue;
		}
		if (!format_one(ctx, &b, &p, argc, argv, &next)) {
			buf_cleanup(&b);
			return;
		}
	}
	result_buf(ctx, &b);
}

static void fn_bit_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	sqlite3_result_int64(ctx, (int64_t)sqlite3_value_bytes(argv[0]) * 8);
}

/* ------------------------------------------------- upper, lower, initcap */

/* The C.UTF-8 locale PostgreSQL's case mapping follows (its database's
 * LC_CTYPE); (locale_t)0 when the system has none (then ASCII only). */
static locale_t ctype_locale(void)
{
	static locale_t loc;
	static bool tried;
	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

/* The code point of the UTF-8 character at s[*i] (advancing *i); bytes
 * that are no character are taken one by one as themselves. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
	if (*i + (size_t)len > n)
		len = 1;
	uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
	for (int k = 1; k < len; k++)
		cp = (cp << 6) | (s[*i + (size_t)k] & 0x3F);
	*i += (size_t)len;
	return cp;
}

/* pg_upper(s), pg_lower(s), pg_initcap(s) (user data 'U', 'L', 'I'): the
 * case mapping of every character as towupper/towlower of C.UTF-8 do it;
 * initcap upper-cases the first letter or digit of each run of them. */
static void fn_case(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	char mode = *(const char *)sqlite3_user_data(ctx);
	const unsigned char *s = sqlite3_value_text(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]), i = 0;
	locale_t loc = ctype_locale();
	Buf b;
	buf_init(&b);
	bool start = true;
	while (i < n) {
		uint32_t cp = utf8_next(s, n, &i);
		bool upper = mode == 'U' || (mode == 'I' && start);
		wint_t w = (wint_t)cp;
		if (loc)
			w = upper ? towupper_l(w, loc) : towlower_l(w, loc);
		else if (cp < 0x80)
			w = (wint_t)(upper ? toupper((int)cp) : tolower((int)cp));
		if (mode == 'I')
			start = !(loc ? iswalnum_l((wint_t)cp, loc) : (cp < 0x80 && isalnum((int)cp)));
		pgt_put_utf8(&b, (unsigned)w);
	}
	if (b.failed)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, b.data ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

bool pgt_text_funcs_register(sqlite3 *db)
{
	static const PgtSqlFunc fns[] = {
		{"pg_split_part", 3, fn_split_part, NULL, SQLITE_DETERMINISTIC},
		{"pg_overlay", 3, fn_overlay, NULL, SQLITE_DETERMINISTIC},
		{"pg_overlay", 4, fn_overlay, NULL, SQLITE_DETERMINISTIC},
		{"pg_translate", 3, fn_translate, NULL, SQLITE_DETERMINISTIC},
		{"pg_starts_with", 2, fn_starts_with, NULL, SQLITE_DETERMINISTIC},
		{"pg_replace", 3, fn_replace, NULL, SQLITE_DETERMINISTIC},
		{"pg_string_to_array", 2, fn_string_to_array, NULL, SQLITE_DETERMINISTIC},
		{"pg_string_to_array", 3, fn_string_to_array, NULL, SQLITE_DETERMINISTIC},
		{"pg_chr", 1, fn_chr, NULL, SQLITE_DETERMINISTIC},
		{"pg_ascii", 1, fn_ascii, NULL, SQLITE_DETERMINISTIC},
		{"pg_to_hex", 2, fn_to_hex, NULL, SQLITE_DETERMINISTIC},
		{"pg_quote_literal", 1, fn_quote_literal, NULL, SQLITE_DETERMINISTIC},
		{"pg_quote_nullable", 1, fn_quote_literal, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_sha", 2, fn_sha, NULL, SQLITE_DETERMINISTIC},
		{"pg_encode", 2, fn_encode, NULL, SQLITE_DETERMINISTIC},
		{"pg_decode", 2, fn_decode, NULL, SQLITE_DETERMINISTIC},
		{"pg_concat_ws", -1, fn_concat_ws, NULL, SQLITE_DETERMINISTIC},
		{"pg_format", -1, fn_format, NULL, SQLITE_DETERMINISTIC},
		{"pg_bit_length", 1, fn_bit_length, NULL, SQLITE_DETERMINISTIC},
		{"pg_upper", 1, fn_case, "U", SQLITE_DETERMINISTIC},
		{"pg_lower", 1, fn_case, "L", SQLITE_DETERMINISTIC},
		{"pg_initcap", 1, fn_case, "I", SQLITE_DETERMINISTIC},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
