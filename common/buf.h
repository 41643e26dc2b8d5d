/*
 * buf.h - growable byte buffers and bounds-checked readers.
 *
 * Writers carry a sticky `failed` flag: after an allocation failure every
 * further append is a no-op, so one check at the end covers a whole message.
 * Protocol messages are built with buf_msg_begin()/buf_msg_end(), which
 * back-patch the 4-byte length.
 *
 * Readers never read past the end: every getter returns false once the
 * reader is exhausted or malformed, and buf_rd_end() fails if bytes are left.
 */
#ifndef DOSQL_BUF_H
#define DOSQL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Buf {
	uint8_t *data; /* owned */
	size_t len;
	size_t cap;
	bool failed;
	size_t msg_start; /* offset of the open message's length word */
} Buf;

void buf_init(Buf *b);
void buf_cleanup(Buf *b);
void buf_reset(Buf *b);
bool buf_reserve(Buf *b, size_t extra);
/* Room for exactly extra more bytes when it must grow (for a buffer that is
 * filled once and kept). */
bool buf_reserve_exact(Buf *b, size_t extra);
void buf_put(Buf *b, const void *p, size_t n);
void buf_put_u8(Buf *b, uint8_t v);
void buf_put_u16(Buf *b, uint16_t v);
void buf_put_u32(Buf *b, uint32_t v);
void buf_put_u64(Buf *b, uint64_t v);
void buf_put_str(Buf *b, const char *s);  /* without terminator */
void buf_put_cstr(Buf *b, const char *s); /* with the NUL terminator */
/* v in decimal at dst (room for 20 digits), no terminator: its length. */
size_t buf_fmt_u64(char *dst, uint64_t v);
/* src into dst of size bytes (size > 0), cut to fit, NUL-terminated. */
void buf_copy_str(char *dst, size_t size, const char *src);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
/* Remove the first n bytes. */
void buf_consume(Buf *b, size_t n);
/* NUL-terminate without counting the terminator in len. */
const char *buf_cstr(Buf *b);

/* Start a protocol message of type `type` (0 for none, as in startup). */
void buf_msg_begin(Buf *b, char type);
/* Back-patch the length of the message opened by buf_msg_begin(). */
void buf_msg_end(Buf *b);

typedef struct BufReader {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool bad;
} BufReader;

void buf_rd_init(BufReader *r, const void *p, size_t len);
bool buf_rd_u8(BufReader *r, uint8_t *v) __attribute__((warn_unused_result));
bool buf_rd_i16(BufReader *r, int16_t *v) __attribute__((warn_unused_result));
bool buf_rd_i32(BufReader *r, int32_t *v) __attribute__((warn_unused_result));
/* A NUL-terminated string inside the buffer; *s points into it. */
bool buf_rd_str(BufReader *r, const char **s) __attribute__((warn_unused_result));
bool buf_rd_bytes(BufReader *r, size_t n, const uint8_t **p) __attribute__((warn_unused_result));
size_t buf_rd_left(const BufReader *r);
/* True when everything was read and nothing failed. */
bool buf_rd_end(const BufReader *r) __attribute__((warn_unused_result));

static inline uint16_t rd_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t rd_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t rd_be64(const uint8_t *p) { return ((uint64_t)rd_be32(p) << 32) | rd_be32(p + 4); }

#endif
