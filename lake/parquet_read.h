/*
 * parquet_read.h - reads the Parquet files DoLake writes (lake/parquet.c),
 * locally or on S3 (lake/store.h):
 * a flat schema of leaf columns, data pages v1 with PLAIN values and
 * RLE/bit-packed definition levels, uncompressed, snappy, gzip or zstd.
 * Anything else (nested columns, dictionary pages, data pages v2, other
 * encodings) is refused with a message.
 *
 * Specification: apache/parquet-format README.md, parquet.thrift (the
 * footer and page headers, Thrift's compact protocol:
 * apache/thrift doc/specs/thrift-compact-protocol.md) and Encodings.md.
 */
#ifndef DOSQL_LAKE_PARQUET_READ_H
#define DOSQL_LAKE_PARQUET_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "lake/parquet.h"

/* One column of a file read whole: the PLAIN bytes of each value (for
 * BYTE_ARRAY without the length prefix, for BOOLEAN one byte 0 or 1). */
typedef struct PqReadColumn {
	PqColumn col; /* name owned */
	Buf values;
	size_t *start; /* rows + 1 offsets into values */
	uint8_t *null; /* rows flags */
} PqReadColumn;

typedef struct PqReadFile {
	int64_t rows;
	int ncols;
	PqReadColumn *cols; /* owned */
} PqReadFile;

/* Reads the file at path (a local path or an s3:// location) whole; false
 * with a message in err when it cannot. */
bool pq_read_file(const char *path, PqReadFile *f, char *err, size_t errlen) __attribute__((warn_unused_result));
void pq_read_file_cleanup(PqReadFile *f);
/* The column with Iceberg field id id, or NULL. */
const PqReadColumn *pq_read_column(const PqReadFile *f, int field_id);
/* Value row of column c as PqValue (plain bytes, or null). */
void pq_read_value(const PqReadColumn *c, size_t row, PqValue *v);

#endif
