/*
 * thrift.h - a writer of Thrift's compact protocol, enough for Parquet's
 * footer and page headers (structs, i8/i16/i32/i64, bool, binary, lists).
 *
 * Written to the Thrift Compact Protocol specification
 * (apache/thrift doc/specs/thrift-compact-protocol.md).  Thrift's C library
 * (libthrift-c-glib) needs classes generated from parquet.thrift by the
 * Thrift compiler on top of GObject; these few functions are the whole of
 * what Parquet's metadata needs from the protocol.
 *
 * Failures are sticky in the underlying Buf: one check at the end.
 */
#ifndef DOSQL_LAKE_THRIFT_H
#define DOSQL_LAKE_THRIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* Compact protocol type ids ("Struct encoding", field types). */
enum {
	TC_BOOL_TRUE = 1,
	TC_BOOL_FALSE = 2,
	TC_BYTE = 3,
	TC_I16 = 4,
	TC_I32 = 5,
	TC_I64 = 6,
	TC_DOUBLE = 7,
	TC_BINARY = 8,
	TC_LIST = 9,
	TC_SET = 10,
	TC_MAP = 11,
	TC_STRUCT = 12,
};

#define TC_MAX_DEPTH 16

typedef struct TcWriter {
	Buf *out;                       /* borrowed */
	int16_t last_id[TC_MAX_DEPTH]; /* last field id written per open struct */
	int depth;
	bool bad; /* nesting too deep */
} TcWriter;

void tc_init(TcWriter *w, Buf *out);
/* Open a struct: as the top-level value, a list element, or after tc_field(). */
void tc_struct_begin(TcWriter *w);
/* Writes the stop field and closes the struct. */
void tc_struct_end(TcWriter *w);
/* A field header; the value follows (except for tc_field_bool). */
void tc_field(TcWriter *w, int16_t id, uint8_t type);
void tc_field_bool(TcWriter *w, int16_t id, bool v);
void tc_field_i32(TcWriter *w, int16_t id, int32_t v);
void tc_field_i64(TcWriter *w, int16_t id, int64_t v);
void tc_field_binary(TcWriter *w, int16_t id, const void *p, size_t n);
void tc_field_string(TcWriter *w, int16_t id, const char *s);
/* A field holding an empty struct (a union member such as StringType). */
void tc_field_empty_struct(TcWriter *w, int16_t id);
/* Values, for list elements. */
void tc_i32(TcWriter *w, int32_t v);
void tc_i64(TcWriter *w, int64_t v);
void tc_binary(TcWriter *w, const void *p, size_t n);
void tc_list_begin(TcWriter *w, uint8_t elem_type, uint32_t n);
/* True when nothing failed. */
bool tc_ok(const TcWriter *w) __attribute__((warn_unused_result));

/* ULEB128 varint, as the compact protocol and Parquet's RLE hybrid use it. */
void tc_varint(Buf *b, uint64_t v);

#endif
