/*
 * parquet_read.c - the Parquet file reader (see parquet_read.h for the specs).
 */
#include "parquet_read.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "lake/store.h"
#include "lake/thrift.h"

/* parquet.thrift enum Type, ConvertedType, Encoding, PageType */
enum { PT_BOOLEAN = 0, PT_INT32 = 1, PT_INT64 = 2, PT_FLOAT = 4, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6, PT_FIXED = 7 };
enum { CT_UTF8 = 0, CT_DECIMAL = 5, CT_DATE = 6, CT_INT_16 = 16, CT_JSON = 19 };
enum { ENC_PLAIN = 0, ENC_RLE = 3 };
enum { PAGE_DATA = 0 };

/*
 * Thrift compact protocol, reading side (thrift-compact-protocol.md):
 * "Integer encoding" (ULEB128 varints of zigzag values), "Binary
 * encoding" (varint length, bytes), "Struct encoding" (field header byte:
 * delta << 4 | type, delta 0 followed by a zigzag i16 id; stop byte 0),
 * "List and Set" (size << 4 | element type, size 15 followed by a varint).
 */
typedef struct TcReader {
	const uint8_t *p, *end;
	bool bad;
	int16_t last[TC_MAX_DEPTH];
	int depth;
} TcReader;

static uint64_t tr_varint(TcReader *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end) {
			r->bad = true;
			return 0;
		}
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static int64_t tr_int(TcReader *r)
{
	uint64_t v = tr_varint(r);
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static const uint8_t *tr_bytes(TcReader *r, size_t *n)
{
	uint64_t len = tr_varint(r);
	if (r->bad || len > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		*n = 0;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += len;
	*n = (size_t)len;
	return p;
}

static void tr_struct_begin(TcReader *r)
{
	if (r->depth >= TC_MAX_DEPTH) {
		r->bad = true;
		return;
	}
	r->last[r->depth++] = 0;
}

/* The next field's id and type; false at the struct's stop byte (which closes it). */
static bool tr_field(TcReader *r, int16_t *id, uint8_t *type)
{
	if (r->bad || r->p >= r->end || r->depth == 0) {
		r->bad = true;
		return false;
	}
	uint8_t b = *r->p++;
	if (b == 0) {
		r->depth--;
		return false;
	}
	*type = b & 0x0f;
	int delta = b >> 4;
	*id = delta ? (int16_t)(r->last[r->depth - 1] + delta) : (int16_t)tr_int(r);
	r->last[r->depth - 1] = *id;
	return !r->bad;
}

static uint32_t tr_list(TcReader *r, uint8_t *etype)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	uint8_t b = *r->p++;
	*etype = b & 0x0f;
	uint64_t n = b >> 4;
	if (n == 15)
		n = tr_varint(r);
	if (n > (uint64_t)(r->end - r->p)) /* every element takes a byte at least */
		r->bad = true;
	return r->bad ? 0 : (uint32_t)n;
}

static void tr_skip(TcReader *r, uint8_t type)
{
	size_t n;
	switch (type) {
	case TC_BOOL_TRUE:
	case TC_BOOL_FALSE: return; /* in the field header */
	case TC_BYTE:
		if (r->p < r->end)
			r->p++;
		else
			r->bad = true;
		return;
	case TC_I16:
	case TC_I32:
	case TC_I64: tr_varint(r); return;
	case TC_DOUBLE:
		if (r->end - r->p >= 8)
			r->p += 8;
		else
			r->bad = true;
		return;
	case TC_BINARY: tr_bytes(r, &n); return;
	case TC_LIST:
	case TC_SET: {
		uint8_t et;
		uint32_t k = tr_list(r, &et);
		for (uint32_t i = 0; i < k && !r->bad; i++)
			tr_skip(r, et == TC_BOOL_TRUE || et == TC_BOOL_FALSE ? TC_BYTE : et);
		return;
	}
	case TC_MAP: {
		uint64_t k = tr_varint(r);
		if (k == 0)
			return;
		if (r->p >= r->end || k > (uint64_t)(r->end - r->p)) {
			r->bad = true;
			return;
		}
		uint8_t kv = *r->p++;
		for (uint64_t i = 0; i < k && !r->bad; i++) {
			tr_skip(r, kv >> 4);
			tr_skip(r, kv & 0x0f);
		}
		return;
	}
	case TC_STRUCT: {
		int16_t id;
		uint8_t t;
		tr_struct_begin(r);
		while (tr_field(r, &id, &t))
			tr_skip(r, t);
		return;
	}
	default: r->bad = true; return;
	}
}

/* What the footer says of one leaf column. */
typedef struct Leaf {
	int physical, type_length, repetition, converted, scale, precision, field_id;
	int logical; /* the LogicalType union's field id, 0: none */
	bool utc;    /* TimestampType.isAdjustedToUTC */
	int bits;    /* IntType.bitWidth */
	int children;
	char *name;
} Leaf;

/* parquet.thrift union LogicalType */
static void read_logical(TcReader *r, Leaf *l)
{
	int16_t id, sub;
	uint8_t t, st;
	tr_struct_begin(r);
	while (tr_field(r, &id, &t)) {
		if (t != TC_STRUCT) {
			tr_skip(r, t);
			continue;
		}
		l->logical = id;
		tr_struct_begin(r);
		while (tr_field(r, &sub, &st)) {
			if (id == 8 && sub == 1 && (st == TC_BOOL_TRUE || st == TC_BOOL_FALSE))
				l->utc = st == TC_BOOL_TRUE;
			else if (id == 10 && sub == 1 && st == TC_BYTE && r->p < r->end)
				l->bits = (int8_t)*r->p++;
			else
				tr_skip(r, st);
		}
	}
}

/* parquet.thrift struct SchemaElement */
static void read_schema_element(TcReader *r, Leaf *l)
{
	int16_t id;
	uint8_t t;
	memset(l, 0, sizeof(*l));
	l->physical = l->converted = -1;
	tr_struct_begin(r);
	while (tr_field(r, &id, &t)) {
		size_t n;
		const uint8_t *s;
		switch (id) {
		case 1: l->physical = (int)tr_int(r); break;
		case 2: l->type_length = (int)tr_int(r); break;
		case 3: l->repetition = (int)tr_int(r); break;
		case 4:
			s = tr_bytes(r, &n);
			free(l->name);
			l->name = s ? strndup((const char *)s, n) : NULL;
			break;
		case 5: l->children = (int)tr_int(r); break;
		case 6: l->converted = (int)tr_int(r); break;
		case 7: l->scale = (int)tr_int(r); break;
		case 8: l->precision = (int)tr_int(r); break;
		case 9: l->field_id = (int)tr_int(r); break;
		case 10:
			if (t == TC_STRUCT) {
				read_logical(r, l);
				break;
			}
			/* fall through */
		default: tr_skip(r, t); break;
		}
	}
}

/* The LakeType of a leaf as lake/parquet.c writes it; false when it is none of them. */
static bool leaf_type(const Leaf *l, LakeType *ty)
{
	memset(ty, 0, sizeof(*ty));
	switch (l->physical) {
	case PT_BOOLEAN: ty->kind = LK_BOOL; return true;
	case PT_INT32:
		ty->kind = l->logical == 6 || l->converted == CT_DATE		      ? LK_DATE
			   : (l->logical == 10 && l->bits == 16) || l->converted == CT_INT_16 ? LK_INT16
											      : LK_INT32;
		return true;
	case PT_INT64: ty->kind = l->logical == 8 ? (l->utc ? LK_TSTZ : LK_TS) : LK_INT64; return true;
	case PT_FLOAT: ty->kind = LK_FLOAT; return true;
	case PT_DOUBLE: ty->kind = LK_DOUBLE; return true;
	case PT_FIXED:
		if (l->logical == 14 && l->type_length == 16) {
			ty->kind = LK_UUID;
			return true;
		}
		if (l->logical == 5 || l->converted == CT_DECIMAL) {
			ty->kind = LK_DECIMAL;
			ty->precision = l->precision;
			ty->scale = l->scale;
			return lake_type_fixed_len(ty) == l->type_length;
		}
		return false;
	case PT_BYTE_ARRAY:
		ty->kind = l->logical == 12 || l->converted == CT_JSON	   ? LK_JSON
			   : l->logical == 1 || l->converted == CT_UTF8 ? LK_STRING
								      : LK_BYTES;
		return true;
	}
	return false;
}

/* Where one row group's column chunk is. */
typedef struct ChunkRef {
	int64_t offset, compressed, values;
	int codec;
} ChunkRef;

typedef struct Footer {
	int64_t rows;
	Leaf *leaves; /* schema elements after the root */
	int nleaves;
	ChunkRef *chunks; /* per row group, per leaf */
	int64_t *rg_rows;
	int nrg;
} Footer;

/* parquet.thrift struct ColumnChunk, its ColumnMetaData */
static void read_column_chunk(TcReader *r, ChunkRef *c)
{
	int16_t id, mid;
	uint8_t t, mt;
	tr_struct_begin(r);
	while (tr_field(r, &id, &t)) {
		if (id != 3 || t != TC_STRUCT) {
			tr_skip(r, t);
			continue;
		}
		tr_struct_begin(r);
		while (tr_field(r, &mid, &mt)) {
			switch (mid) {
			case 4: c->codec = (int)tr_int(r); break;
			case 5: c->values = tr_int(r); break;
			case 7: c->compressed = tr_int(r); break;
			case 9: c->offset = tr_int(r); break;
			case 11: /* dictionary_page_offset */
				tr_skip(r, mt);
				c->codec = -1;
				break;
			default: tr_skip(r, mt); break;
			}
		}
	}
}

/* parquet.thrift struct RowGroup: columns (1), num_rows (3) */
static bool read_row_group(TcReader *r, Footer *f, int g)
{
	int16_t id;
	uint8_t t, et;
	tr_struct_begin(r);
	while (tr_field(r, &id, &t)) {
		if (id == 1 && t == TC_LIST) {
			uint32_t n = tr_list(r, &et);
			if (n != (uint32_t)f->nleaves || et != TC_STRUCT)
				return false;
			for (uint32_t c = 0; c < n && !r->bad; c++)
				read_column_chunk(r, &f->chunks[(size_t)g * (size_t)f->nleaves + c]);
		} else if (id == 3)
			f->rg_rows[g] = tr_int(r);
		else
			tr_skip(r, t);
	}
	return !r->bad;
}

/* parquet.thrift struct FileMetaData: schema (2), num_rows (3), row_groups (4) */
static bool read_footer(TcReader *r, Footer *f, char *err, size_t errlen)
{
	int16_t id;
	uint8_t t, et;
	tr_struct_begin(r);
	while (tr_field(r, &id, &t)) {
		if (id == 2 && t == TC_LIST && !f->leaves) {
			uint32_t n = tr_list(r, &et);
			if (n < 1 || et != TC_STRUCT) {
				snprintf(err, errlen, "the schema has no root");
				return false;
			}
			Leaf root;
			read_schema_element(r, &root);
			free(root.name);
			f->leaves = calloc(n, sizeof(Leaf));
			if (!f->leaves) {
				snprintf(err, errlen, "out of memory");
				return false;
			}
			for (uint32_t i = 1; i < n && !r->bad; i++)
				read_schema_element(r, &f->leaves[f->nleaves++]);
			if ((uint32_t)root.children != n - 1) {
				snprintf(err, errlen, "nested columns are not read");
				return false;
			}
		} else if (id == 3)
			f->rows = tr_int(r);
		else if (id == 4 && t == TC_LIST && f->leaves && !f->chunks) {
			uint32_t n = tr_list(r, &et);
			f->chunks = calloc((size_t)n * (size_t)f->nleaves + 1, sizeof(ChunkRef));
			f->rg_rows = calloc((size_t)n + 1, sizeof(int64_t));
			if (!f->chunks || !f->rg_rows) {
				snprintf(err, errlen, "out of memory");
				return false;
			}
			for (uint32_t g = 0; g < n && !r->bad; g++, f->nrg++)
				if (!read_row_group(r, f, (int)g)) {
					snprintf(err, errlen, "row group %u does not match the schema", g);
					return false;
				}
		} else
			tr_skip(r, t);
	}
	if (r->bad || !f->leaves) {
		snprintf(err, errlen, "the footer is not valid");
		return false;
	}
	return true;
}

static bool decompress(int codec, const uint8_t *in, size_t n, Buf *out, size_t size)
{
	buf_reset(out);
	if (!buf_reserve(out, size + 1))
		return false;
	switch (codec) {
	case PQ_UNCOMPRESSED:
		if (n != size)
			return false;
		memcpy(out->data, in, n);
		break;
	case PQ_SNAPPY: {
		size_t len = size;
		if (snappy_uncompress((const char *)in, n, (char *)out->data, &len) != SNAPPY_OK || len != size)
			return false;
		break;
	}
	case PQ_ZSTD:
		if (ZSTD_decompress(out->data, size, in, n) != size)
			return false;
		break;
	case PQ_GZIP: {
		z_stream z;
		memset(&z, 0, sizeof(z));
		/* windowBits 15 + 32: a gzip (RFC 1952) or zlib wrapper, detected */
		if (inflateInit2(&z, 15 + 32) != Z_OK)
			return false;
		z.next_in = (uint8_t *)in;
		z.avail_in = (uInt)n;
		z.next_out = out->data;
		z.avail_out = (uInt)size;
		int rc = inflate(&z, Z_FINISH);
		size_t got = z.total_out;
		inflateEnd(&z);
		if (rc != Z_STREAM_END || got != size)
			return false;
		break;
	}
	default: return false;
	}
	out->len = size;
	return true;
}

/* Encodings.md, "Run Length Encoding / Bit-Packing Hybrid" with bit width 1
 * (definition levels of a flat optional column): n levels into defs. */
static bool decode_levels(const uint8_t *p, size_t len, uint8_t *defs, size_t n)
{
	TcReader r = {.p = p, .end = p + len};
	size_t got = 0;
	while (got < n) {
		uint64_t h = tr_varint(&r);
		if (r.bad)
			return false;
		if (h & 1) { /* bit-packed: (h >> 1) groups of 8 one-bit values */
			uint64_t groups = h >> 1;
			if (groups > (uint64_t)(r.end - r.p))
				return false;
			for (uint64_t g = 0; g < groups; g++, r.p++)
				for (int i = 0; i < 8 && got < n; i++)
					defs[got++] = (uint8_t)(*r.p >> i & 1);
		} else { /* a run of h >> 1 copies of a one-byte value */
			uint64_t count = h >> 1;
			if (r.p >= r.end || count == 0)
				return false;
			uint8_t v = *r.p++ & 1;
			for (uint64_t i = 0; i < count && got < n; i++)
				defs[got++] = v;
		}
	}
	return true;
}

static int plain_width(int physical, int type_length)
{
	switch (physical) {
	case PT_INT32:
	case PT_FLOAT: return 4;
	case PT_INT64:
	case PT_DOUBLE: return 8;
	case PT_FIXED: return type_length;
	}
	return 0;
}

/* PLAIN values of one page (Encodings.md, "Plain") for the rows whose level is 1. */
static bool decode_values(const Leaf *l, const uint8_t *p, const uint8_t *end, const uint8_t *defs, size_t n,
	PqReadColumn *c, size_t *row)
{
	int width = plain_width(l->physical, l->type_length);
	size_t bit = 0;
	for (size_t i = 0; i < n; i++, (*row)++) {
		c->start[*row] = c->values.len;
		c->null[*row] = !defs[i];
		if (!defs[i])
			continue;
		if (l->physical == PT_BOOLEAN) {
			if (p + bit / 8 >= end)
				return false;
			buf_put_u8(&c->values, (uint8_t)(p[bit / 8] >> (bit % 8) & 1));
			bit++;
			continue;
		}
		size_t len = (size_t)width;
		if (l->physical == PT_BYTE_ARRAY) {
			if (end - p < 4)
				return false;
			len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
			p += 4;
		}
		if (len > (size_t)(end - p))
			return false;
		buf_put(&c->values, p, len);
		p += len;
	}
	c->start[*row] = c->values.len;
	return !c->values.failed;
}

/* parquet.thrift struct PageHeader: type (1), sizes (2, 3), DataPageHeader (5) */
typedef struct Page {
	int type, usize, csize, values, encoding;
} Page;

static void read_page_header(TcReader *r, Page *pg)
{
	int16_t id, sub;
	uint8_t t, st;
	memset(pg, 0, sizeof(*pg));
	pg->type = pg->encoding = -1;
	tr_struct_begin(r);
	while (tr_field(r, &id, &t)) {
		if (id == 1)
			pg->type = (int)tr_int(r);
		else if (id == 2)
			pg->usize = (int)tr_int(r);
		else if (id == 3)
			pg->csize = (int)tr_int(r);
		else if (id == 5 && t == TC_STRUCT) {
			tr_struct_begin(r);
			while (tr_field(r, &sub, &st)) {
				if (sub == 1)
					pg->values = (int)tr_int(r);
				else if (sub == 2)
					pg->encoding = (int)tr_int(r);
				else
					tr_skip(r, st);
			}
		} else
			tr_skip(r, t);
	}
}

/* The pages of one column chunk, appended to c from *row on. */
static bool read_chunk(const uint8_t *file, size_t size, const Leaf *l, const ChunkRef *ch, PqReadColumn *c,
	size_t *row, Buf *page, char *err, size_t errlen)
{
	if (ch->codec < 0 || ch->offset < 4 || ch->compressed < 0 || (uint64_t)ch->offset + (uint64_t)ch->compressed > size) {
		snprintf(err, errlen, "column %s: a chunk this reader does not read (dictionary, or out of the file)", l->name);
		return false;
	}
	TcReader r = {.p = file + ch->offset, .end = file + ch->offset + ch->compressed};
	int64_t seen = 0;
	while (seen < ch->values) {
		Page pg;
		read_page_header(&r, &pg);
		if (r.bad || pg.type != PAGE_DATA || pg.encoding != ENC_PLAIN || pg.csize < 0 || pg.usize < 0 ||
			pg.csize > r.end - r.p || pg.values < 0 || pg.values > ch->values - seen) {
			snprintf(err, errlen, "column %s: a page this reader does not read (only data pages v1, PLAIN)", l->name);
			return false;
		}
		if (!decompress(ch->codec, r.p, (size_t)pg.csize, page, (size_t)pg.usize)) {
			snprintf(err, errlen, "column %s: a page does not decompress", l->name);
			return false;
		}
		r.p += pg.csize;
		size_t n = (size_t)pg.values;
		uint8_t *defs = malloc(n ? n : 1);
		const uint8_t *p = page->data, *end = page->data + page->len;
		bool ok = defs != NULL;
		if (ok && l->repetition == 0)
			memset(defs, 1, n);
		else if (ok) {
			uint32_t len = end - p >= 4 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : UINT32_MAX;
			ok = len <= (size_t)(end - p - 4) && decode_levels(p + 4, len, defs, n);
			p += ok ? 4 + len : 0;
		}
		ok = ok && decode_values(l, p, end, defs, n, c, row);
		free(defs);
		if (!ok) {
			snprintf(err, errlen, "column %s: a page's values are not valid", l->name);
			return false;
		}
		seen += pg.values;
	}
	return true;
}

static void footer_cleanup(Footer *f)
{
	for (int i = 0; i < f->nleaves; i++)
		free(f->leaves[i].name);
	free(f->leaves);
	free(f->chunks);
	free(f->rg_rows);
}

/* The columns of a file read whole into memory. */
static bool read_columns(const uint8_t *data, size_t size, PqReadFile *f, char *err, size_t errlen)
{
	uint32_t flen = (uint32_t)data[size - 8] | (uint32_t)data[size - 7] << 8 | (uint32_t)data[size - 6] << 16 |
		(uint32_t)data[size - 5] << 24;
	if (flen > size - 12) {
		snprintf(err, errlen, "the footer's length is not valid");
		return false;
	}
	Footer ft = {0};
	TcReader r = {.p = data + size - 8 - flen, .end = data + size - 8};
	bool ok = read_footer(&r, &ft, err, errlen);
	if (ok && (ft.rows < 0 || (uint64_t)ft.rows > size * 8)) {
		snprintf(err, errlen, "the row count is not valid");
		ok = false;
	}
	if (ok) {
		f->rows = ft.rows;
		f->cols = calloc((size_t)ft.nleaves + 1, sizeof(PqReadColumn));
		ok = f->cols != NULL;
	}
	for (int c = 0; ok && c < ft.nleaves; c++, f->ncols++) {
		PqReadColumn *col = &f->cols[c];
		Leaf *l = &ft.leaves[c];
		col->col.name = l->name ? l->name : strdup("");
		l->name = NULL;
		col->col.field_id = l->field_id;
		col->col.required = l->repetition == 0;
		col->start = calloc((size_t)ft.rows + 1, sizeof(size_t));
		col->null = calloc((size_t)ft.rows + 1, 1);
		if (!col->start || !col->null || !leaf_type(l, &col->col.type)) {
			snprintf(err, errlen, "column %s: a type this reader does not read", col->col.name);
			ok = false;
		}
	}
	Buf page;
	buf_init(&page);
	for (int c = 0; ok && c < f->ncols; c++) {
		size_t row = 0;
		for (int g = 0; ok && g < ft.nrg; g++)
			ok = read_chunk(data, size, &ft.leaves[c], &ft.chunks[(size_t)g * (size_t)ft.nleaves + (size_t)c],
				&f->cols[c], &row, &page, err, errlen);
		if (ok && row != (size_t)ft.rows) {
			snprintf(err, errlen, "column %s: %zu values for %lld rows", f->cols[c].col.name, row, (long long)ft.rows);
			ok = false;
		}
	}
	buf_cleanup(&page);
	footer_cleanup(&ft);
	return ok;
}

bool pq_read_file(const char *path, PqReadFile *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	Buf b;
	buf_init(&b);
	err[0] = 0;
	bool ok = store_get(path, &b, err, errlen) == STORE_OK;
	if (!ok && !err[0])
		snprintf(err, errlen, "%s: missing", path);
	if (ok && (b.failed || b.len < 12 || memcmp(b.data, "PAR1", 4) != 0 || memcmp(b.data + b.len - 4, "PAR1", 4) != 0)) {
		snprintf(err, errlen, "%s: not a Parquet file", path);
		ok = false;
	}
	if (ok && !read_columns(b.data, b.len, f, err, errlen)) {
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", path, why);
		ok = false;
	}
	buf_cleanup(&b);
	if (!ok)
		pq_read_file_cleanup(f);
	return ok;
}

void pq_read_file_cleanup(PqReadFile *f)
{
	for (int c = 0; c < f->ncols; c++) {
		free((char *)f->cols[c].col.name);
		buf_cleanup(&f->cols[c].values);
		free(f->cols[c].start);
		free(f->cols[c].null);
	}
	free(f->cols);
	memset(f, 0, sizeof(*f));
}

const PqReadColumn *pq_read_column(const PqReadFile *f, int field_id)
{
	for (int c = 0; c < f->ncols; c++)
		if (f->cols[c].col.field_id == field_id)
			return &f->cols[c];
	return NULL;
}

void pq_read_value(const PqReadColumn *c, size_t row, PqValue *v)
{
	memset(v, 0, sizeof(*v));
	if (c->null[row]) {
		v->null = true;
		return;
	}
	v->plain = true;
	v->text = c->values.data ? (const char *)c->values.data + c->start[row] : "";
	v->len = c->start[row + 1] - c->start[row];
}
