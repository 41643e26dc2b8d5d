/*
 * parquet.h - writes one Parquet file (format 2.x footer, data page v1,
 * PLAIN values, RLE/bit-packed definition levels) from rows of PostgreSQL
 * text values, with page and column-chunk statistics, and reports what an
 * Iceberg manifest needs of it (counts, sizes, bounds, split offsets).
 *
 * Specification: apache/parquet-format README.md and
 * src/main/thrift/parquet.thrift (the footer), Encodings.md (PLAIN and the
 * RLE/bit-packing hybrid).  The footer is Thrift's compact protocol
 * (lake/thrift.h).
 */
#ifndef DOSQL_LAKE_PARQUET_H
#define DOSQL_LAKE_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lake/pgtype.h"

/* parquet.thrift enum CompressionCodec */
typedef enum PqCodec { PQ_UNCOMPRESSED = 0, PQ_SNAPPY = 1, PQ_GZIP = 2, PQ_ZSTD = 6 } PqCodec;

typedef struct PqColumn {
	const char *name; /* borrowed */
	int field_id;     /* Iceberg field id */
	LakeType type;
	bool required;
} PqColumn;

/* One value: PostgreSQL text (text, len), SQL null, or for INT64 and
 * timestamp columns a ready integer (raw), or with plain the column's
 * PLAIN bytes in (text, len) (BYTE_ARRAY without its length prefix,
 * BOOLEAN as one byte 0 or 1: what lake/parquet_read.h gives). */
typedef struct PqValue {
	const char *text;
	size_t len;
	bool null;
	bool raw;
	int64_t i64;
	bool plain;
} PqValue;

typedef void (*PqGetFn)(void *arg, size_t row, int col, PqValue *v);

/* Iceberg keeps bounds of at most this many bytes; longer ones are left out. */
#define PQ_BOUND_MAX 16

typedef struct PqColStats {
	int field_id;
	int64_t values, nulls, nans;
	int64_t size; /* compressed bytes of the column's chunks */
	bool has_bounds;
	uint8_t lower[PQ_BOUND_MAX], upper[PQ_BOUND_MAX];
	size_t lower_len, upper_len;
} PqColStats;

typedef struct PqFileStats {
	int64_t rows;
	int64_t size;
	int ncols;
	PqColStats *cols;       /* owned, ncols */
	int64_t *split_offsets; /* owned, one per row group */
	int nsplits;
	int64_t bad_values; /* values whose text did not fit the type, stored as null */
} PqFileStats;

typedef struct PqOptions {
	PqCodec codec;
	size_t row_group_rows;
} PqOptions;

/*
 * Writes nrows rows of ncols columns to path (created; fsynced before it
 * returns).  Values of required columns must not be null.  On failure
 * returns false with a message in err, and path may be left behind.
 */
bool pq_write_file(const char *path, const PqColumn *cols, int ncols, size_t nrows, PqGetFn get, void *arg,
	const PqOptions *opt, PqFileStats *stats, char *err, size_t errlen) __attribute__((warn_unused_result));
void pq_file_stats_cleanup(PqFileStats *s);

/* "none", "snappy", "gzip", "zstd" */
bool pq_codec_from_name(const char *name, PqCodec *out);

#endif
