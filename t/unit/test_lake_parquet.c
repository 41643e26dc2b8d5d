/*
 * test_lake_parquet.c - Parquet files written by lake/parquet.c read back
 * by lake/parquet_read.c: every column type, nulls, several row groups,
 * each codec, and a second file written from the values read (what
 * compaction does) that reads back the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lake/parquet.h"
#include "lake/parquet_read.h"
#include "t/unit/tap.h"

#define diag(...) (printf("# " __VA_ARGS__), printf("\n"))

#define NROWS 23

static const PqColumn cols[] = {
	{"b", 1, {LK_BOOL, 0, 0}, false},
	{"s", 2, {LK_INT16, 0, 0}, true},
	{"i", 3, {LK_INT32, 0, 0}, false},
	{"l", 4, {LK_INT64, 0, 0}, false},
	{"f", 5, {LK_FLOAT, 0, 0}, false},
	{"d", 6, {LK_DOUBLE, 0, 0}, false},
	{"n", 7, {LK_DECIMAL, 10, 2}, false},
	{"t", 8, {LK_STRING, 0, 0}, false},
	{"j", 9, {LK_JSON, 0, 0}, false},
	{"y", 10, {LK_BYTES, 0, 0}, false},
	{"dt", 11, {LK_DATE, 0, 0}, false},
	{"ts", 12, {LK_TS, 0, 0}, false},
	{"tz", 13, {LK_TSTZ, 0, 0}, false},
	{"u", 14, {LK_UUID, 0, 0}, false},
};
#define NCOLS ((int)(sizeof(cols) / sizeof(cols[0])))

/* Row r's text of column c; every third row (but of the required column) is null. */
static const char *text_of(size_t r, int c)
{
	static char buf[128];
	if (c != 1 && (r + (size_t)c) % 3 == 0)
		return NULL;
	switch (c) {
	case 0: return r % 2 ? "t" : "f";
	case 1: snprintf(buf, sizeof(buf), "%d", (int)r * 1000 - 11000); break;
	case 2: snprintf(buf, sizeof(buf), "%d", (int)r * 100000 - 7); break;
	case 3: snprintf(buf, sizeof(buf), "%lld", (long long)r * 1000000000000LL); break;
	case 4: snprintf(buf, sizeof(buf), "%zu.5", r); break;
	case 5: snprintf(buf, sizeof(buf), "-%zu.25", r); break;
	case 6: snprintf(buf, sizeof(buf), "%zu.%02zu", r * 3, r); break;
	case 7: snprintf(buf, sizeof(buf), "%.*s", (int)r, "text of some length, up to twenty-three"); break;
	case 8: snprintf(buf, sizeof(buf), "{\"k\": %zu}", r); break;
	case 9: snprintf(buf, sizeof(buf), "\\x%02zx00ff", r); break;
	case 10: snprintf(buf, sizeof(buf), "2024-02-%02zu", r + 1); break;
	case 11: snprintf(buf, sizeof(buf), "2024-02-03 04:05:%02zu.123456", r); break;
	case 12: snprintf(buf, sizeof(buf), "2024-02-03 04:05:%02zu+02", r); break;
	case 13: snprintf(buf, sizeof(buf), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a%02zu", r); break;
	}
	return buf;
}

static void get_text(void *arg, size_t row, int col, PqValue *v)
{
	(void)arg;
	const char *t = text_of(row, col);
	memset(v, 0, sizeof(*v));
	v->null = t == NULL;
	v->text = t;
	v->len = t ? strlen(t) : 0;
}

static void get_read(void *arg, size_t row, int col, PqValue *v)
{
	const PqReadFile *f = arg;
	pq_read_value(&f->cols[col], row, v);
}

/* True when file f holds the rows text_of gives, converted as the writer converts them. */
static bool same_as_text(const PqReadFile *f, const char *what)
{
	bool same = f->rows == NROWS && f->ncols == NCOLS;
	Buf want;
	buf_init(&want);
	for (int c = 0; same && c < NCOLS; c++) {
		const PqReadColumn *rc = pq_read_column(f, cols[c].field_id);
		same = rc && strcmp(rc->col.name, cols[c].name) == 0 && rc->col.type.kind == cols[c].type.kind &&
		       rc->col.type.precision == cols[c].type.precision && rc->col.type.scale == cols[c].type.scale &&
		       rc->col.required == cols[c].required;
		for (size_t r = 0; same && r < NROWS; r++) {
			const char *t = text_of(r, c);
			PqValue v;
			pq_read_value(rc, r, &v);
			buf_reset(&want);
			if (t && !lake_pg_to_plain(&cols[c].type, t, strlen(t), &want)) {
				diag("%s: row %zu column %s: the test's text does not convert", what, r, cols[c].name);
				same = false;
			} else if (!t != v.null || (t && (v.len != want.len || memcmp(v.text, want.data, v.len) != 0))) {
				diag("%s: row %zu column %s differs", what, r, cols[c].name);
				same = false;
			}
		}
	}
	buf_cleanup(&want);
	return same;
}

int main(void)
{
	char dir[] = "/tmp/test_lake_parquet_XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	static const struct {
		PqCodec codec;
		const char *name;
	} codecs[] = {{PQ_UNCOMPRESSED, "none"}, {PQ_SNAPPY, "snappy"}, {PQ_GZIP, "gzip"}, {PQ_ZSTD, "zstd"}};
	char err[256], path[128], copy[128];
	for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]); k++) {
		PqOptions opt = {.codec = codecs[k].codec, .row_group_rows = 10};
		PqFileStats st;
		snprintf(path, sizeof(path), "%s/%s.parquet", dir, codecs[k].name);
		snprintf(copy, sizeof(copy), "%s/%s-copy.parquet", dir, codecs[k].name);
		bool w = pq_write_file(path, cols, NCOLS, NROWS, get_text, NULL, &opt, &st, err, sizeof(err));
		ok(w, "%s: written (3 row groups)", codecs[k].name);
		if (!w)
			diag("%s", err);
		pq_file_stats_cleanup(&st);
		PqReadFile f;
		bool r = pq_read_file(path, &f, err, sizeof(err));
		ok(r, "%s: read back", codecs[k].name);
		if (!r)
			diag("%s", err);
		ok(r && same_as_text(&f, codecs[k].name), "%s: every value, null and type as written", codecs[k].name);
		/* the values read, written again (as compaction does) and read once more */
		PqColumn again[NCOLS];
		for (int c = 0; r && c < NCOLS; c++)
			again[c] = f.cols[c].col;
		opt.row_group_rows = 100;
		w = r && pq_write_file(copy, again, NCOLS, (size_t)f.rows, get_read, &f, &opt, &st, err, sizeof(err));
		ok(w, "%s: the values read written again", codecs[k].name);
		if (!w)
			diag("%s", err);
		ok(w && st.rows == NROWS && st.nsplits == 1, "%s: one row group of %d rows", codecs[k].name, NROWS);
		pq_file_stats_cleanup(&st);
		PqReadFile g;
		r = w && pq_read_file(copy, &g, err, sizeof(err));
		ok(r && same_as_text(&g, codecs[k].name), "%s: the copy holds the same values", codecs[k].name);
		if (r)
			pq_read_file_cleanup(&g);
		pq_read_file_cleanup(&f);
		unlink(path);
		unlink(copy);
	}
	/* what is not a Parquet file is refused with a message */
	snprintf(path, sizeof(path), "%s/junk.parquet", dir);
	FILE *j = fopen(path, "w");
	fputs("PAR1 not really a file PAR1", j);
	fclose(j);
	PqReadFile f;
	ok(!pq_read_file(path, &f, err, sizeof(err)) && strstr(err, "junk.parquet"), "junk is refused naming the file");
	unlink(path);
	snprintf(path, sizeof(path), "%s/none.parquet", dir);
	ok(!pq_read_file(path, &f, err, sizeof(err)) && strstr(err, "No such file"), "a missing file is refused");
	rmdir(dir);
	return tap_done();
}
