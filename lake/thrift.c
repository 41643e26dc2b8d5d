/*
 * thrift.c - Thrift compact protocol writer (see thrift.h for the spec).
 */
#include "thrift.h"

#include <string.h>

void tc_init(TcWriter *w, Buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Spec, "Integer encoding": unsigned LEB128. */
void tc_varint(Buf *b, uint64_t v)
{
	uint8_t tmp[10];
	int n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	buf_put(b, tmp, (size_t)n);
}

/* Spec, "Integer encoding": signed values are zigzag encoded first. */
static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void tc_struct_begin(TcWriter *w)
{
	if (w->depth + 1 >= TC_MAX_DEPTH) {
		w->bad = true;
		return;
	}
	w->last_id[++w->depth] = 0;
}

void tc_struct_end(TcWriter *w)
{
	buf_put_u8(w->out, 0); /* "Struct encoding": the stop field */
	if (w->depth > 0)
		w->depth--;
}

/* Spec, "Struct encoding": a field header is one byte (delta << 4 | type)
 * when the id is 1 to 15 above the previous one, else the type byte and
 * the id as a zigzag varint i16. */
void tc_field(TcWriter *w, int16_t id, uint8_t type)
{
	int16_t delta = (int16_t)(id - w->last_id[w->depth]);
	if (delta > 0 && delta <= 15)
		buf_put_u8(w->out, (uint8_t)((delta << 4) | type));
	else {
		buf_put_u8(w->out, type);
		tc_varint(w->out, zigzag(id));
	}
	w->last_id[w->depth] = id;
}

/* Spec, "Boolean encoding": a bool field's value is its type nibble. */
void tc_field_bool(TcWriter *w, int16_t id, bool v) { tc_field(w, id, v ? TC_BOOL_TRUE : TC_BOOL_FALSE); }

void tc_i32(TcWriter *w, int32_t v) { tc_varint(w->out, zigzag(v)); }
void tc_i64(TcWriter *w, int64_t v) { tc_varint(w->out, zigzag(v)); }

/* Spec, "Binary encoding": varint length, then the bytes. */
void tc_binary(TcWriter *w, const void *p, size_t n)
{
	tc_varint(w->out, n);
	buf_put(w->out, p, n);
}

void tc_field_i32(TcWriter *w, int16_t id, int32_t v)
{
	tc_field(w, id, TC_I32);
	tc_i32(w, v);
}

void tc_field_i64(TcWriter *w, int16_t id, int64_t v)
{
	tc_field(w, id, TC_I64);
	tc_i64(w, v);
}

void tc_field_binary(TcWriter *w, int16_t id, const void *p, size_t n)
{
	tc_field(w, id, TC_BINARY);
	tc_binary(w, p, n);
}

void tc_field_string(TcWriter *w, int16_t id, const char *s) { tc_field_binary(w, id, s, strlen(s)); }

void tc_field_empty_struct(TcWriter *w, int16_t id)
{
	tc_field(w, id, TC_STRUCT);
	tc_struct_begin(w);
	tc_struct_end(w);
}

/* Spec, "List and set": size and element type in one byte below 15
 * elements, else 0xF0 | type and the size as a varint. */
void tc_list_begin(TcWriter *w, uint8_t elem_type, uint32_t n)
{
	if (n < 15)
		buf_put_u8(w->out, (uint8_t)((n << 4) | elem_type));
	else {
		buf_put_u8(w->out, (uint8_t)(0xf0 | elem_type));
		tc_varint(w->out, n);
	}
}

bool tc_ok(const TcWriter *w) { return !w->bad && !w->out->failed && w->depth == 0; }
