/*
 * buf.c - growable byte buffers and bounds-checked readers.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(Buf *b) { memset(b, 0, sizeof(*b)); }

void buf_cleanup(Buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void buf_reset(Buf *b)
{
	b->len = 0;
	b->failed = false;
}

static bool grow(Buf *b, size_t extra, bool exact)
{
	if (b->failed)
		return false;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return false;
	}
	size_t need = b->len + extra + 1; /* room for buf_cstr's terminator */
	if (need <= b->cap)
		return true;
	size_t cap = exact ? need : b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *d = realloc(b->data, cap);
	if (!d) {
		b->failed = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

bool buf_reserve(Buf *b, size_t extra) { return grow(b, extra, false); }

bool buf_reserve_exact(Buf *b, size_t extra) { return grow(b, extra, true); }

void buf_put(Buf *b, const void *p, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void buf_put_u8(Buf *b, uint8_t v) { buf_put(b, &v, 1); }

void buf_put_u16(Buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	buf_put(b, x, 2);
}

void buf_put_u32(Buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	buf_put(b, x, 4);
}

void buf_put_u64(Buf *b, uint64_t v)
{
	buf_put_u32(b, (uint32_t)(v >> 32));
	buf_put_u32(b, (uint32_t)v);
}

void buf_put_str(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_put_cstr(Buf *b, const char *s) { buf_put(b, s, strlen(s) + 1); }

void buf_copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

size_t buf_fmt_u64(char *dst, uint64_t v)
{
	char digits[20];
	size_t n = 0;
	do {
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(dst, digits + sizeof(digits) - n, n);
	return n;
}

void buf_vprintf(Buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!buf_reserve(b, (size_t)n + 1))
		return;
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(Buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_consume(Buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

const char *buf_cstr(Buf *b)
{
	if (!buf_reserve(b, 0))
		return "";
	b->data[b->len] = 0;
	return (const char *)b->data;
}

void buf_msg_begin(Buf *b, char type)
{
	if (type)
		buf_put_u8(b, (uint8_t)type);
	b->msg_start = b->len;
	buf_put_u32(b, 0);
}

void buf_msg_end(Buf *b)
{
	if (b->failed)
		return;
	size_t n = b->len - b->msg_start;
	uint8_t *p = b->data + b->msg_start;
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
}

void buf_rd_init(BufReader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->bad = false;
}

bool buf_rd_bytes(BufReader *r, size_t n, const uint8_t **p)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return false;
	}
	*p = r->p + r->pos;
	r->pos += n;
	return true;
}

bool buf_rd_u8(BufReader *r, uint8_t *v)
{
	const uint8_t *p;
	if (!buf_rd_bytes(r, 1, &p))
		return false;
	*v = p[0];
	return true;
}

bool buf_rd_i16(BufReader *r, int16_t *v)
{
	const uint8_t *p;
	if (!buf_rd_bytes(r, 2, &p))
		return false;
	*v = (int16_t)rd_be16(p);
	return true;
}

bool buf_rd_i32(BufReader *r, int32_t *v)
{
	const uint8_t *p;
	if (!buf_rd_bytes(r, 4, &p))
		return false;
	*v = (int32_t)rd_be32(p);
	return true;
}

bool buf_rd_str(BufReader *r, const char **s)
{
	if (r->bad)
		return false;
	const uint8_t *start = r->p + r->pos;
	const uint8_t *nul = memchr(start, 0, r->len - r->pos);
	if (!nul) {
		r->bad = true;
		return false;
	}
	*s = (const char *)start;
	r->pos += (size_t)(nul - start) + 1;
	return true;
}

size_t buf_rd_left(const BufReader *r) { return r->bad ? 0 : r->len - r->pos; }

bool buf_rd_end(const BufReader *r) { return !r->bad && r->pos == r->len; }
