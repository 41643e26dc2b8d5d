/*
 * parquet.c - the Parquet file writer (see parquet.h for the specs).
 */
#include "parquet.h"

#include <errno.h>
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "lake/thrift.h"

/* parquet.thrift enum Type */
enum { PT_BOOLEAN = 0, PT_INT32 = 1, PT_INT64 = 2, PT_FLOAT = 4, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6, PT_FIXED = 7 };
/* parquet.thrift enum ConvertedType (for readers that predate LogicalType) */
enum { CT_UTF8 = 0, CT_DECIMAL = 5, CT_DATE = 6, CT_TIMESTAMP_MICROS = 10, CT_INT_16 = 16, CT_JSON = 19 };
/* parquet.thrift enums Encoding, PageType, FieldRepetitionType */
enum { ENC_PLAIN = 0, ENC_RLE = 3 };
enum { PAGE_DATA = 0 };
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1 };

/* Parquet stores statistics of at most this many bytes; longer min/max are left out. */
#define STAT_MAX 64

static int physical(LakeKind k)
{
	switch (k) {
	case LK_BOOL: return PT_BOOLEAN;
	case LK_INT16:
	case LK_INT32:
	case LK_DATE: return PT_INT32;
	case LK_INT64:
	case LK_TS:
	case LK_TSTZ: return PT_INT64;
	case LK_FLOAT: return PT_FLOAT;
	case LK_DOUBLE: return PT_DOUBLE;
	case LK_DECIMAL:
	case LK_UUID: return PT_FIXED;
	case LK_STRING:
	case LK_JSON:
	case LK_BYTES: return PT_BYTE_ARRAY;
	}
	return PT_BYTE_ARRAY;
}

static bool is_byte_array(LakeKind k) { return physical(k) == PT_BYTE_ARRAY; }

bool pq_codec_from_name(const char *name, PqCodec *out)
{
	static const struct {
		const char *name;
		PqCodec codec;
	} map[] = {{"none", PQ_UNCOMPRESSED}, {"snappy", PQ_SNAPPY}, {"gzip", PQ_GZIP}, {"zstd", PQ_ZSTD}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i].name) == 0) {
			*out = map[i].codec;
			return true;
		}
	return false;
}

static int32_t le32(const uint8_t *p) { return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24); }
static int64_t le64(const uint8_t *p) { return (int64_t)((uint64_t)(uint32_t)le32(p) | (uint64_t)(uint32_t)le32(p + 4) << 32); }

/* The column's sort order on PLAIN bytes (parquet.thrift, ColumnOrder:
 * signed for integers, dates, timestamps and decimals, unsigned bytes for
 * strings, binary and UUIDs). */
static int compare(LakeKind k, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	switch (k) {
	case LK_BOOL: return (int)a[0] - (int)b[0];
	case LK_INT16:
	case LK_INT32:
	case LK_DATE: {
		int32_t x = le32(a), y = le32(b);
		return (x > y) - (x < y);
	}
	case LK_INT64:
	case LK_TS:
	case LK_TSTZ: {
		int64_t x = le64(a), y = le64(b);
		return (x > y) - (x < y);
	}
	case LK_FLOAT: {
		float x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return (x > y) - (x < y);
	}
	case LK_DOUBLE: {
		double x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return (x > y) - (x < y);
	}
	case LK_DECIMAL: {
		/* big-endian two's complement of one width: the sign byte signed, the rest unsigned */
		int x = (int8_t)a[0], y = (int8_t)b[0];
		if (x != y)
			return (x > y) - (x < y);
		return memcmp(a + 1, b + 1, an - 1);
	}
	case LK_STRING:
	case LK_JSON:
	case LK_BYTES:
	case LK_UUID: {
		size_t n = an < bn ? an : bn;
		int c = n ? memcmp(a, b, n) : 0;
		if (c)
			return c;
		return (an > bn) - (an < bn);
	}
	}
	return 0;
}

typedef struct MinMax {
	bool any;
	Buf min, max;
} MinMax;

static void minmax_add(MinMax *m, LakeKind k, const uint8_t *v, size_t n)
{
	if (!m->any || compare(k, v, n, m->min.data, m->min.len) < 0) {
		buf_reset(&m->min);
		buf_put(&m->min, v, n);
	}
	if (!m->any || compare(k, v, n, m->max.data, m->max.len) > 0) {
		buf_reset(&m->max);
		buf_put(&m->max, v, n);
	}
	m->any = true;
}

static void minmax_merge(MinMax *into, LakeKind k, const MinMax *from)
{
	if (from->any) {
		minmax_add(into, k, from->min.data, from->min.len);
		minmax_add(into, k, from->max.data, from->max.len);
	}
}

/* parquet.thrift struct Statistics: null_count (3), max_value (5), min_value (6) */
static void write_statistics(TcWriter *w, int16_t field, const MinMax *m, int64_t nulls)
{
	tc_field(w, field, TC_STRUCT);
	tc_struct_begin(w);
	tc_field_i64(w, 3, nulls);
	if (m->any && m->min.len <= STAT_MAX && m->max.len <= STAT_MAX) {
		tc_field_binary(w, 5, m->max.data, m->max.len);
		tc_field_binary(w, 6, m->min.data, m->min.len);
	}
	tc_struct_end(w);
}

static bool compress_page(PqCodec codec, const Buf *in, Buf *out)
{
	buf_reset(out);
	switch (codec) {
	case PQ_UNCOMPRESSED: buf_put(out, in->data, in->len); return !out->failed;
	case PQ_SNAPPY: {
		size_t n = snappy_max_compressed_length(in->len);
		if (!buf_reserve(out, n))
			return false;
		if (snappy_compress((const char *)in->data, in->len, (char *)out->data, &n) != SNAPPY_OK)
			return false;
		out->len = n;
		return true;
	}
	case PQ_ZSTD: {
		size_t n = ZSTD_compressBound(in->len);
		if (!buf_reserve(out, n))
			return false;
		n = ZSTD_compress(out->data, n, in->data, in->len, 3);
		if (ZSTD_isError(n))
			return false;
		out->len = n;
		return true;
	}
	case PQ_GZIP: {
		z_stream z;
		memset(&z, 0, sizeof(z));
		/* windowBits 15 + 16: the gzip wrapper Parquet's GZIP codec means (RFC 1952) */
		if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return false;
		size_t n = deflateBound(&z, in->len) + 32;
		if (!buf_reserve(out, n)) {
			deflateEnd(&z);
			return false;
		}
		z.next_in = in->data;
		z.avail_in = (uInt)in->len;
		z.next_out = out->data;
		z.avail_out = (uInt)n;
		int rc = deflate(&z, Z_FINISH);
		out->len = z.total_out;
		deflateEnd(&z);
		return rc == Z_STREAM_END;
	}
	}
	return false;
}

/* A column chunk as the footer describes it. */
typedef struct Chunk {
	int64_t offset, compressed, uncompressed, values, nulls;
	MinMax mm;
} Chunk;

typedef struct Writer {
	FILE *f;
	int64_t pos;
	const PqColumn *cols;
	int ncols;
	PqGetFn get;
	void *arg;
	const PqOptions *opt;
	Buf values, levels, page, packed, header;
	MinMax *file_mm; /* per column */
	PqFileStats *stats;
	Chunk *chunks; /* per row group, per column */
	int64_t *rg_rows;
	int nrg;
	char *err;
	size_t errlen;
} Writer;

static bool out(Writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n) {
		snprintf(w->err, w->errlen, "write: %s", strerror(errno));
		return false;
	}
	w->pos += (int64_t)n;
	return true;
}

/* Encodings.md, "Run Length Encoding / Bit-Packing Hybrid": the levels as
 * one bit-packed run (header (groups << 1) | 1, then groups of eight 1-bit
 * values, least significant bit first), prefixed by its 4-byte length as
 * data page v1 has it. */
static void encode_levels(Buf *dst, const uint8_t *defs, size_t n)
{
	size_t groups = (n + 7) / 8;
	Buf *b = dst;
	size_t at = b->len;
	buf_put(b, "\0\0\0\0", 4);
	tc_varint(b, (uint64_t)groups << 1 | 1);
	for (size_t g = 0; g < groups; g++) {
		uint8_t byte = 0;
		for (size_t i = 0; i < 8 && g * 8 + i < n; i++)
			byte |= (uint8_t)(defs[g * 8 + i] << i);
		buf_put_u8(b, byte);
	}
	if (!b->failed) {
		uint32_t len = (uint32_t)(b->len - at - 4);
		uint8_t le[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
		memcpy(b->data + at, le, 4);
	}
}

/* One column of rows [first, first + n) as one data page. */
static bool write_chunk(Writer *w, int c, size_t first, size_t n, Chunk *ch)
{
	const PqColumn *col = &w->cols[c];
	LakeKind k = col->type.kind;
	PqColStats *cs = &w->stats->cols[c];
	uint8_t *defs = malloc(n ? n : 1);
	if (!defs) {
		snprintf(w->err, w->errlen, "out of memory");
		return false;
	}
	buf_reset(&w->values);
	uint8_t bits = 0;
	int nbits = 0;
	for (size_t r = 0; r < n; r++) {
		PqValue v = {0};
		w->get(w->arg, first + r, c, &v);
		size_t at = w->values.len;
		bool ok = !v.null;
		if (ok && v.raw) {
			uint8_t le[8];
			for (int i = 0; i < 8; i++)
				le[i] = (uint8_t)((uint64_t)v.i64 >> (8 * i));
			buf_put(&w->values, le, 8);
		} else if (ok && v.plain) {
			if (is_byte_array(k))
				buf_put(&w->values, "\0\0\0\0", 4);
			buf_put(&w->values, v.text, v.len);
		} else if (ok && is_byte_array(k)) {
			buf_put(&w->values, "\0\0\0\0", 4); /* PLAIN BYTE_ARRAY: 4-byte length, then the bytes */
			if (!lake_pg_to_plain(&col->type, v.text, v.len, &w->values)) {
				w->values.len = at;
				ok = false;
			}
		} else if (ok && !lake_pg_to_plain(&col->type, v.text, v.len, &w->values))
			ok = false;
		if (!ok && !v.null)
			w->stats->bad_values++;
		if (!ok && col->required) {
			snprintf(w->err, w->errlen, "column %s: a required value is missing", col->name);
			free(defs);
			return false;
		}
		defs[r] = ok;
		if (!ok) {
			ch->nulls++;
			continue;
		}
		const uint8_t *val = w->values.data + at;
		size_t len = w->values.len - at;
		if (is_byte_array(k)) {
			uint32_t blen = (uint32_t)(len - 4);
			uint8_t le[4] = {(uint8_t)blen, (uint8_t)(blen >> 8), (uint8_t)(blen >> 16), (uint8_t)(blen >> 24)};
			memcpy(w->values.data + at, le, 4);
			val += 4;
			len -= 4;
		}
		bool nan = false;
		if (k == LK_FLOAT) {
			float f;
			memcpy(&f, val, 4);
			nan = isnan(f);
		} else if (k == LK_DOUBLE) {
			double d;
			memcpy(&d, val, 8);
			nan = isnan(d);
		}
		if (nan)
			cs->nans++; /* NaN is in no min/max (parquet.thrift, ColumnOrder) */
		else
			minmax_add(&ch->mm, k, val, len);
		if (k == LK_BOOL) {
			/* PLAIN BOOLEAN: bit-packed, least significant bit first */
			w->values.len = at;
			bits |= (uint8_t)(val[0] << nbits);
			if (++nbits == 8) {
				buf_put_u8(&w->values, bits);
				bits = 0;
				nbits = 0;
			}
		}
	}
	if (k == LK_BOOL && nbits)
		buf_put_u8(&w->values, bits);

	buf_reset(&w->page);
	if (!col->required)
		encode_levels(&w->page, defs, n);
	free(defs);
	buf_put(&w->page, w->values.data, w->values.len);
	if (w->page.failed || !compress_page(w->opt->codec, &w->page, &w->packed)) {
		snprintf(w->err, w->errlen, "column %s: out of memory or compression failed", col->name);
		return false;
	}

	/* parquet.thrift struct PageHeader, DataPageHeader */
	buf_reset(&w->header);
	TcWriter t;
	tc_init(&t, &w->header);
	tc_struct_begin(&t);
	tc_field_i32(&t, 1, PAGE_DATA);
	tc_field_i32(&t, 2, (int32_t)w->page.len);
	tc_field_i32(&t, 3, (int32_t)w->packed.len);
	tc_field(&t, 5, TC_STRUCT);
	tc_struct_begin(&t);
	tc_field_i32(&t, 1, (int32_t)n);
	tc_field_i32(&t, 2, ENC_PLAIN);
	tc_field_i32(&t, 3, ENC_RLE);
	tc_field_i32(&t, 4, ENC_RLE);
	write_statistics(&t, 5, &ch->mm, ch->nulls);
	tc_struct_end(&t);
	tc_struct_end(&t);
	if (!tc_ok(&t)) {
		snprintf(w->err, w->errlen, "out of memory");
		return false;
	}
	ch->offset = w->pos;
	ch->values = (int64_t)n;
	ch->uncompressed = (int64_t)(w->header.len + w->page.len);
	ch->compressed = (int64_t)(w->header.len + w->packed.len);
	if (!out(w, w->header.data, w->header.len) || !out(w, w->packed.data, w->packed.len))
		return false;
	cs->values += (int64_t)n;
	cs->nulls += ch->nulls;
	cs->size += ch->compressed;
	minmax_merge(&w->file_mm[c], k, &ch->mm);
	return true;
}

/* parquet.thrift struct SchemaElement for one leaf column */
static void schema_element(TcWriter *t, const PqColumn *col)
{
	LakeKind k = col->type.kind;
	tc_struct_begin(t);
	tc_field_i32(t, 1, physical(k));
	int fixed = lake_type_fixed_len(&col->type);
	if (fixed)
		tc_field_i32(t, 2, fixed);
	tc_field_i32(t, 3, col->required ? REP_REQUIRED : REP_OPTIONAL);
	tc_field_string(t, 4, col->name);
	int conv = -1;
	switch (k) {
	case LK_STRING: conv = CT_UTF8; break;
	case LK_JSON: conv = CT_JSON; break;
	case LK_DECIMAL: conv = CT_DECIMAL; break;
	case LK_DATE: conv = CT_DATE; break;
	case LK_TS:
	case LK_TSTZ: conv = CT_TIMESTAMP_MICROS; break;
	case LK_INT16: conv = CT_INT_16; break;
	default: break;
	}
	if (conv >= 0)
		tc_field_i32(t, 6, conv);
	if (k == LK_DECIMAL) {
		tc_field_i32(t, 7, col->type.scale);
		tc_field_i32(t, 8, col->type.precision);
	}
	tc_field_i32(t, 9, col->field_id);
	/* union LogicalType */
	bool logical = true;
	switch (k) {
	case LK_STRING:
	case LK_JSON:
	case LK_DATE:
	case LK_UUID:
	case LK_DECIMAL:
	case LK_TS:
	case LK_TSTZ:
	case LK_INT16: break;
	default: logical = false; break;
	}
	if (logical) {
		tc_field(t, 10, TC_STRUCT);
		tc_struct_begin(t);
		switch (k) {
		case LK_STRING: tc_field_empty_struct(t, 1); break;
		case LK_JSON: tc_field_empty_struct(t, 12); break;
		case LK_DATE: tc_field_empty_struct(t, 6); break;
		case LK_UUID: tc_field_empty_struct(t, 14); break;
		case LK_DECIMAL:
			tc_field(t, 5, TC_STRUCT);
			tc_struct_begin(t);
			tc_field_i32(t, 1, col->type.scale);
			tc_field_i32(t, 2, col->type.precision);
			tc_struct_end(t);
			break;
		case LK_TS:
		case LK_TSTZ:
			tc_field(t, 8, TC_STRUCT);
			tc_struct_begin(t);
			tc_field_bool(t, 1, k == LK_TSTZ);
			tc_field(t, 2, TC_STRUCT); /* TimeUnit: MICROS (2) */
			tc_struct_begin(t);
			tc_field_empty_struct(t, 2);
			tc_struct_end(t);
			tc_struct_end(t);
			break;
		case LK_INT16:
			tc_field(t, 10, TC_STRUCT);
			tc_struct_begin(t);
			tc_field(t, 1, TC_BYTE);
			buf_put_u8(t->out, 16);
			tc_field_bool(t, 2, true);
			tc_struct_end(t);
			break;
		default: break;
		}
		tc_struct_end(t);
	}
	tc_struct_end(t);
}

static bool write_footer(Writer *w, size_t nrows)
{
	Buf b;
	buf_init(&b);
	TcWriter t;
	tc_init(&t, &b);
	/* parquet.thrift struct FileMetaData */
	tc_struct_begin(&t);
	tc_field_i32(&t, 1, 2);
	tc_field(&t, 2, TC_LIST);
	tc_list_begin(&t, TC_STRUCT, (uint32_t)w->ncols + 1);
	tc_struct_begin(&t); /* the root */
	tc_field_string(&t, 4, "table");
	tc_field_i32(&t, 5, w->ncols);
	tc_struct_end(&t);
	for (int c = 0; c < w->ncols; c++)
		schema_element(&t, &w->cols[c]);
	tc_field_i64(&t, 3, (int64_t)nrows);
	tc_field(&t, 4, TC_LIST);
	tc_list_begin(&t, TC_STRUCT, (uint32_t)w->nrg);
	for (int g = 0; g < w->nrg; g++) {
		Chunk *row = &w->chunks[(size_t)g * (size_t)w->ncols];
		int64_t total = 0, compressed = 0;
		/* struct RowGroup */
		tc_struct_begin(&t);
		tc_field(&t, 1, TC_LIST);
		tc_list_begin(&t, TC_STRUCT, (uint32_t)w->ncols);
		for (int c = 0; c < w->ncols; c++) {
			Chunk *ch = &row[c];
			total += ch->uncompressed;
			compressed += ch->compressed;
			/* struct ColumnChunk, ColumnMetaData */
			tc_struct_begin(&t);
			tc_field_i64(&t, 2, ch->offset);
			tc_field(&t, 3, TC_STRUCT);
			tc_struct_begin(&t);
			tc_field_i32(&t, 1, physical(w->cols[c].type.kind));
			tc_field(&t, 2, TC_LIST);
			tc_list_begin(&t, TC_I32, 2);
			tc_i32(&t, ENC_PLAIN);
			tc_i32(&t, ENC_RLE);
			tc_field(&t, 3, TC_LIST);
			tc_list_begin(&t, TC_BINARY, 1);
			tc_binary(&t, w->cols[c].name, strlen(w->cols[c].name));
			tc_field_i32(&t, 4, (int32_t)w->opt->codec);
			tc_field_i64(&t, 5, ch->values);
			tc_field_i64(&t, 6, ch->uncompressed);
			tc_field_i64(&t, 7, ch->compressed);
			tc_field_i64(&t, 9, ch->offset);
			write_statistics(&t, 12, &ch->mm, ch->nulls);
			tc_struct_end(&t);
			tc_struct_end(&t);
		}
		tc_field_i64(&t, 2, total);
		tc_field_i64(&t, 3, w->rg_rows[g]);
		tc_field_i64(&t, 5, row[0].offset);
		tc_field_i64(&t, 6, compressed);
		tc_field(&t, 7, TC_I16);
		tc_i32(&t, g);
		tc_struct_end(&t);
	}
	tc_field_string(&t, 6, "dosql-lake");
	/* column_orders (7): TYPE_ORDER for every column, so readers use min_value/max_value */
	tc_field(&t, 7, TC_LIST);
	tc_list_begin(&t, TC_STRUCT, (uint32_t)w->ncols);
	for (int c = 0; c < w->ncols; c++) {
		tc_struct_begin(&t);
		tc_field_empty_struct(&t, 1);
		tc_struct_end(&t);
	}
	tc_struct_end(&t);
	bool ok = tc_ok(&t);
	if (!ok)
		snprintf(w->err, w->errlen, "out of memory");
	uint32_t len = (uint32_t)b.len;
	uint8_t le[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
	ok = ok && out(w, b.data, b.len) && out(w, le, 4) && out(w, "PAR1", 4);
	buf_cleanup(&b);
	return ok;
}

static void bounds(PqColStats *cs, const MinMax *m)
{
	if (!m->any || m->min.len > PQ_BOUND_MAX || m->max.len > PQ_BOUND_MAX)
		return;
	cs->has_bounds = true;
	if (m->min.len)
		memcpy(cs->lower, m->min.data, m->min.len);
	cs->lower_len = m->min.len;
	if (m->max.len)
		memcpy(cs->upper, m->max.data, m->max.len);
	cs->upper_len = m->max.len;
}

bool pq_write_file(const char *path, const PqColumn *cols, int ncols, size_t nrows, PqGetFn get, void *arg,
	const PqOptions *opt, PqFileStats *stats, char *err, size_t errlen)
{
	memset(stats, 0, sizeof(*stats));
	Writer w = {.cols = cols, .ncols = ncols, .get = get, .arg = arg, .opt = opt, .stats = stats, .err = err,
		.errlen = errlen};
	size_t rg = opt->row_group_rows ? opt->row_group_rows : 100000;
	int nrg = (int)((nrows + rg - 1) / rg);
	if (nrg == 0)
		nrg = 1;
	stats->cols = calloc((size_t)ncols, sizeof(PqColStats));
	stats->split_offsets = calloc((size_t)nrg, sizeof(int64_t));
	w.chunks = calloc((size_t)nrg * (size_t)ncols, sizeof(Chunk));
	w.rg_rows = calloc((size_t)nrg, sizeof(int64_t));
	w.file_mm = calloc((size_t)ncols, sizeof(MinMax));
	bool ok = false;
	if (!stats->cols || !stats->split_offsets || !w.chunks || !w.rg_rows || !w.file_mm) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	stats->ncols = ncols;
	for (int c = 0; c < ncols; c++)
		stats->cols[c].field_id = cols[c].field_id;
	w.f = fopen(path, "wbx");
	if (!w.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (!out(&w, "PAR1", 4))
		goto done;
	for (size_t first = 0; first < nrows || (first == 0 && w.nrg == 0); first += rg) {
		size_t n = nrows - first < rg ? nrows - first : rg;
		stats->split_offsets[w.nrg] = w.pos;
		w.rg_rows[w.nrg] = (int64_t)n;
		for (int c = 0; c < ncols; c++)
			if (!write_chunk(&w, c, first, n, &w.chunks[(size_t)w.nrg * (size_t)ncols + (size_t)c]))
				goto done;
		w.nrg++;
		if (n == 0)
			break;
	}
	stats->nsplits = w.nrg;
	if (!write_footer(&w, nrows))
		goto done;
	if (fflush(w.f) != 0 || fsync(fileno(w.f)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	stats->rows = (int64_t)nrows;
	stats->size = w.pos;
	for (int c = 0; c < ncols; c++)
		bounds(&stats->cols[c], &w.file_mm[c]);
	ok = true;
done:
	if (w.f && fclose(w.f) != 0 && ok) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ok = false;
	}
	if (w.chunks)
		for (size_t i = 0; i < (size_t)nrg * (size_t)ncols; i++) {
			buf_cleanup(&w.chunks[i].mm.min);
			buf_cleanup(&w.chunks[i].mm.max);
		}
	if (w.file_mm)
		for (int c = 0; c < ncols; c++) {
			buf_cleanup(&w.file_mm[c].min);
			buf_cleanup(&w.file_mm[c].max);
		}
	free(w.chunks);
	free(w.rg_rows);
	free(w.file_mm);
	buf_cleanup(&w.values);
	buf_cleanup(&w.levels);
	buf_cleanup(&w.page);
	buf_cleanup(&w.packed);
	buf_cleanup(&w.header);
	if (!ok)
		pq_file_stats_cleanup(stats);
	return ok;
}

void pq_file_stats_cleanup(PqFileStats *s)
{
	free(s->cols);
	free(s->split_offsets);
	memset(s, 0, sizeof(*s));
}
