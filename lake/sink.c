/*
 * sink.c - buffering, flushing and exactly-once skipping (see sink.h).
 *
 * A buffered row is: op (1 byte), LSN (8), commit time in microseconds
 * since 1970 (8), xid (4), the number of values n (2), its place in the
 * transaction (4), then n values of the
 * table's data columns in Iceberg column order, each a 4-byte length
 * (UINT32_MAX for null) and its PostgreSQL text.  Columns added after the
 * row was buffered are null in it.
 */
#include "sink.h"

#include "common/fault.h"
#include "lake/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The changelog columns ahead of the row image. */
enum { COL_OP, COL_LSN, COL_SEQ, COL_TS, COL_XID, NMETA };
static const struct {
	const char *name;
	LakeKind kind;
} meta_cols[NMETA] = {
	{"_op", LK_STRING}, {"_lsn", LK_INT64}, {"_seq", LK_INT64}, {ICE_COMMIT_TS, LK_TSTZ}, {"_xid", LK_INT64}};

#define ROW_HEADER 27
#define NULL_LEN UINT32_MAX

int64_t lake_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lake_sink_init(LakeSink *k, const LakeConfig *cfg)
{
	memset(k, 0, sizeof(*k));
	k->cfg = cfg;
}

static void table_cleanup(SinkTable *t)
{
	ice_table_close(&t->ice);
	free(t->name);
	free(t->types);
	free(t->map);
	buf_cleanup(&t->rows);
	if (t->spill_map)
		munmap(t->spill_map, t->spill_map_len);
	if (t->spill_fd >= 0)
		close(t->spill_fd);
}

void lake_sink_cleanup(LakeSink *k)
{
	for (int i = 0; i < k->ntables; i++)
		table_cleanup(&k->tables[i]);
	free(k->tables);
	memset(k, 0, sizeof(*k));
}

/* The storage type of a column known only from the table's metadata. */
static LakeType type_of_iceberg(const char *s)
{
	static const struct {
		const char *name;
		LakeKind kind;
	} map[] = {{"boolean", LK_BOOL}, {"int", LK_INT32}, {"long", LK_INT64}, {"float", LK_FLOAT}, {"double", LK_DOUBLE},
		{"string", LK_STRING}, {"binary", LK_BYTES}, {"date", LK_DATE}, {"timestamp", LK_TS},
		{"timestamptz", LK_TSTZ}, {"uuid", LK_UUID}};
	LakeType t = {.kind = LK_STRING};
	int p, sc;
	if (sscanf(s, "decimal(%d,%d)", &p, &sc) == 2) {
		t.kind = LK_DECIMAL;
		t.precision = p;
		t.scale = sc;
		return t;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, s) == 0)
			t.kind = map[i].kind;
	return t;
}

static bool sync_types(SinkTable *t)
{
	if (t->ntypes == t->ice.ncols)
		return true;
	LakeType *types = realloc(t->types, (size_t)t->ice.ncols * sizeof(*types));
	if (!types)
		return false;
	for (int i = t->ntypes; i < t->ice.ncols; i++)
		types[i] = type_of_iceberg(t->ice.cols[i].type);
	t->types = types;
	t->ntypes = t->ice.ncols;
	return true;
}

static SinkTable *table_for(LakeSink *k, const char *name)
{
	for (int i = 0; i < k->ntables; i++)
		if (strcmp(k->tables[i].name, name) == 0)
			return &k->tables[i];
	SinkTable *grown = realloc(k->tables, (size_t)(k->ntables + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	k->tables = grown;
	SinkTable *t = &k->tables[k->ntables];
	memset(t, 0, sizeof(*t));
	t->spill_fd = -1;
	t->name = strdup(name);
	bool mirror = k->cfg->mode == LAKE_MIRROR;
	if (!ice_table_open(&t->ice, k->cfg->warehouse, k->cfg->namespace_, name, mirror, k->err, sizeof(k->err))) {
		table_cleanup(t);
		k->failed = true;
		return NULL;
	}
	if (mirror)
		ice_table_set_buckets(&t->ice, (int)k->cfg->mirror_buckets);
	t->first_data = mirror ? 0 : NMETA;
	for (int i = 0; i < t->first_data; i++) {
		char type[32];
		LakeType lt = {.kind = meta_cols[i].kind};
		ice_table_column(&t->ice, meta_cols[i].name, lake_type_iceberg(&lt, type, sizeof(type)), true);
	}
	if (!sync_types(t)) {
		table_cleanup(t);
		return NULL;
	}
	k->ntables++;
	if (t->ice.lsn)
		fprintf(stderr, "dosql-lake: table %s: snapshot %" PRId64 " holds changes up to LSN %" PRIu64 "\n", name,
			t->ice.snapshot_id, t->ice.lsn);
	return t;
}

/* Maps the relation's columns onto the table's, adding new ones. */
static bool map_relation(SinkTable *t, const LakeRel *rel)
{
	if (t->relid == rel->relid && t->rel_version == rel->version)
		return true;
	int *map = realloc(t->map, (size_t)(rel->ncols + 1) * sizeof(int));
	if (!map)
		return false;
	t->map = map;
	for (int i = 0; i < rel->ncols; i++) {
		LakeType lt = lake_type_of_pg(rel->cols[i].type, rel->cols[i].typmod);
		char type[32];
		int id = ice_table_column(&t->ice, rel->cols[i].name, lake_type_iceberg(&lt, type, sizeof(type)), false);
		if (id < 0 || !sync_types(t))
			return false;
		for (int c = 0; c < t->ice.ncols; c++)
			if (t->ice.cols[c].id == id) {
				map[i] = c;
				/* the relation's own type is the finer one (int2, json) when Iceberg agrees */
				if (strcmp(t->ice.cols[c].type, type) == 0)
					t->types[c] = lt;
			}
	}
	t->nmap = rel->ncols;
	t->relid = rel->relid;
	t->rel_version = rel->version;
	/* the key: what a mirror table's equality deletes match on */
	int ids[8];
	t->nkeys = 0;
	for (int i = 0; i < rel->ncols && t->nkeys < 8; i++)
		if (rel->cols[i].key) {
			t->keys[t->nkeys] = map[i];
			ids[t->nkeys++] = t->ice.cols[map[i]].id;
		}
	if (t->ice.mirror && t->nkeys)
		ice_table_set_identifiers(&t->ice, ids, t->nkeys);
	return true;
}

/* The length of the buffered row at p; with cells, each value's offset
 * (from base) for the first ncells data columns. */
static size_t row_size(const uint8_t *base, size_t at, uint32_t *cells, int ncells)
{
	uint16_t n;
	memcpy(&n, base + at + 21, 2);
	size_t pos = at + ROW_HEADER;
	for (int c = 0; c < n; c++) {
		uint32_t len;
		memcpy(&len, base + pos, 4);
		if (cells && c < ncells)
			cells[c] = (uint32_t)pos;
		pos += 4 + (len == NULL_LEN ? 0 : len);
	}
	return pos - at;
}

/*
 * A table whose buffer would pass maxBufferSize in the middle of a
 * transaction spills: its rows so far go to an unlinked temporary file and
 * every later row is appended there, so a transaction larger than the
 * buffer is read on without holding it in memory.  The file is mapped to
 * be written out and dropped after the flush.  Offsets into the rows
 * (txn_mark) are the same in memory and in the file.
 */
static bool spill(LakeSink *k, SinkTable *t)
{
	char path[] = "/tmp/dosql-lake-spill-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return false;
	unlink(path);
	if (write(fd, t->rows.data, t->rows.len) != (ssize_t)t->rows.len) {
		close(fd);
		return false;
	}
	t->spill_fd = fd;
	t->spill_len = t->rows.len;
	k->spilled += (int64_t)t->rows.len;
	buf_cleanup(&t->rows);
	fprintf(stderr, "dosql-lake: table %s: a transaction past maxBufferSize spills to a temporary file\n", t->name);
	return true;
}

/* The length of the table's rows, in memory or spilled. */
static size_t rows_len(const SinkTable *t) { return t->spill_fd >= 0 ? t->spill_len : t->rows.len; }

/* Points t->data at the rows (mapping a spill file); false when it cannot. */
static bool view_rows(SinkTable *t)
{
	if (t->spill_fd < 0) {
		t->data = t->rows.data;
		return true;
	}
	if (t->spill_len == 0) {
		t->data = NULL;
		return true;
	}
	void *m = mmap(NULL, t->spill_len, PROT_READ, MAP_SHARED, t->spill_fd, 0);
	if (m == MAP_FAILED)
		return false;
	t->spill_map = m;
	t->spill_map_len = t->spill_len;
	t->data = m;
	return true;
}

static void unview_rows(SinkTable *t)
{
	if (t->spill_map)
		munmap(t->spill_map, t->spill_map_len);
	t->spill_map = NULL;
	t->data = NULL;
}

/* Forgets the rows from offset `at` on. */
static void truncate_rows(SinkTable *t, size_t at)
{
	if (t->spill_fd < 0) {
		t->rows.len = at;
		return;
	}
	if (ftruncate(t->spill_fd, (off_t)at) == 0)
		t->spill_len = at;
	if (at == 0) {
		close(t->spill_fd);
		t->spill_fd = -1;
	}
}

static void put_row(LakeSink *k, SinkTable *t, char op, const LakeRow *row)
{
	Buf *b = &t->rows;
	size_t start = b->len;
	uint16_t n = (uint16_t)(t->ice.ncols - t->first_data);
	uint8_t h[ROW_HEADER];
	h[0] = (uint8_t)op;
	memcpy(h + 1, &k->txn_lsn, 8);
	memcpy(h + 9, &k->txn_us, 8);
	memcpy(h + 17, &k->txn_xid, 4);
	memcpy(h + 21, &n, 2);
	memcpy(h + 23, &k->txn_seq, 4);
	k->txn_seq++;
	buf_put(b, h, sizeof(h));
	/* values in table column order: find each column's source */
	for (int c = t->first_data; c < t->ice.ncols; c++) {
		int src = -1;
		for (int i = 0; row && i < t->nmap && i < row->ncols; i++)
			if (t->map[i] == c) {
				src = i;
				break;
			}
		uint32_t len = src >= 0 && row->vals[src] ? (uint32_t)row->lens[src] : NULL_LEN;
		buf_put(b, &len, 4);
		if (len != NULL_LEN)
			buf_put(b, row->vals[src], len);
	}
	t->nrows++;
	k->events++;
	k->bytes += (int64_t)(b->len - start);
	if (t->spill_fd >= 0) {
		if (write(t->spill_fd, b->data, b->len) != (ssize_t)b->len) {
			snprintf(k->err, sizeof(k->err), "table %s: spill file: %s", t->name, strerror(errno));
			k->failed = true;
		}
		t->spill_len += b->len;
		k->spilled += (int64_t)b->len;
		buf_reset(b);
	} else if (k->in_txn && k->bytes - k->spilled > k->cfg->max_buffer_size && !spill(k, t)) {
		snprintf(k->err, sizeof(k->err), "table %s: cannot spill to a temporary file: %s", t->name, strerror(errno));
		k->failed = true;
	}
	if (!k->oldest_ms) {
		k->oldest_ms = lake_now_ms();
		k->oldest_commit_us = k->txn_us;
	}
}

static void on_begin(void *arg, uint64_t lsn, int64_t commit_us, uint32_t xid)
{
	LakeSink *k = arg;
	k->in_txn = true;
	k->txn_lsn = lsn;
	k->txn_us = commit_us;
	k->txn_xid = xid;
	k->txn_seq = 0;
	for (int i = 0; i < k->ntables; i++)
		k->tables[i].txn_mark = rows_len(&k->tables[i]);
}

/* The table a change of rel goes to, NULL when not followed or already committed. */
static SinkTable *target(LakeSink *k, const LakeRel *rel)
{
	if (!lake_config_follows(k->cfg, rel->name))
		return NULL;
	SinkTable *t = table_for(k, rel->name);
	if (!t)
		return NULL;
	if (k->txn_lsn <= t->ice.lsn) {
		k->skipped++;
		return NULL;
	}
	if (!map_relation(t, rel)) {
		snprintf(k->err, sizeof(k->err), "table %s: out of memory", rel->name);
		k->failed = true;
		return NULL;
	}
	if (t->ice.mirror && t->nkeys == 0) {
		if (!t->keyless_logged)
			fprintf(stderr, "dosql-lake: table %s has no primary key: a mirror table needs one; its changes are skipped\n",
				rel->name);
		t->keyless_logged = true;
		return NULL;
	}
	return t;
}

/* True when an UPDATE's old row has another key than its new row. */
static bool key_changed(const LakeRel *rel, const LakeRow *row, const LakeRow *old)
{
	for (int i = 0; i < rel->ncols && i < row->ncols && i < old->ncols; i++) {
		if (!rel->cols[i].key)
			continue;
		if (!old->vals[i] != !row->vals[i] ||
			(old->vals[i] && (old->lens[i] != row->lens[i] || memcmp(old->vals[i], row->vals[i], row->lens[i]) != 0)))
			return true;
	}
	return false;
}

/* An UPDATE that changed the key is the old key's DELETE and the new row's
 * UPDATE, so the latest change per key is the row's state. */
static void on_change(void *arg, const LakeRel *rel, char op, const LakeRow *row, const LakeRow *old)
{
	LakeSink *k = arg;
	SinkTable *t = target(k, rel);
	if (!t)
		return;
	if (op == 'U' && old && key_changed(rel, row, old))
		put_row(k, t, 'D', old);
	put_row(k, t, op, row);
}

static void on_truncate(void *arg, const LakeRel *rel)
{
	LakeSink *k = arg;
	SinkTable *t = target(k, rel);
	if (t)
		put_row(k, t, 'T', NULL);
}

/* A transaction is whole: reading stops when a threshold of events or
 * bytes says flush, so the flush comes at this transaction's end. */
static bool on_commit(void *arg, uint64_t lsn, uint64_t end_lsn, int64_t commit_us)
{
	LakeSink *k = arg;
	(void)commit_us;
	k->in_txn = false;
	if (lsn > k->flush_lsn)
		k->flush_lsn = lsn;
	if (end_lsn > k->flush_end)
		k->flush_end = end_lsn;
	return k->events < k->cfg->flush_threshold_events && k->bytes < k->cfg->flush_threshold_bytes &&
		k->bytes < k->cfg->max_buffer_size;
}

static void on_keepalive(void *arg, uint64_t wal_end)
{
	LakeSink *k = arg;
	if (!k->in_txn && wal_end > k->keepalive_end)
		k->keepalive_end = wal_end;
}

const LakeStreamCb lake_sink_callbacks = {
	.begin = on_begin,
	.change = on_change,
	.truncate = on_truncate,
	.commit = on_commit,
	.keepalive = on_keepalive,
};

void lake_sink_abort_txn(LakeSink *k)
{
	if (!k->in_txn)
		return;
	for (int i = 0; i < k->ntables; i++) {
		SinkTable *t = &k->tables[i];
		/* count and drop the rows after the mark */
		if (!view_rows(t))
			continue; /* its rows stay: written whole at the next flush */
		for (size_t pos = t->txn_mark; pos < rows_len(t);) {
			size_t size = row_size(t->data, pos, NULL, 0);
			k->bytes -= (int64_t)size;
			if (t->spill_fd >= 0)
				k->spilled -= (int64_t)size;
			k->events--;
			t->nrows--;
			pos += size;
		}
		unview_rows(t);
		truncate_rows(t, t->txn_mark);
	}
	k->in_txn = false;
}

bool lake_sink_due(const LakeSink *k)
{
	if (k->events == 0 || k->in_txn)
		return false;
	return k->events >= k->cfg->flush_threshold_events || k->bytes >= k->cfg->flush_threshold_bytes ||
		k->bytes >= k->cfg->max_buffer_size || lake_now_ms() - k->oldest_ms >= k->cfg->flush_threshold_ms;
}

/* The rows of one file: indexes into the table's rows, with each value's offset. */
typedef struct FileRows {
	SinkTable *t;
	const size_t *rowoff; /* per buffered row */
	const uint32_t *cells; /* per buffered row and data column: offset of the length, or 0 when absent */
	const size_t *idx;    /* the rows of this file */
	int ndata;
	const int *colmap; /* the file's column -> Iceberg column; NULL: the same */
} FileRows;

static const char *op_text(uint8_t op)
{
	switch (op) {
	case 'I': return "I";
	case 'U': return "U";
	case 'D': return "D";
	default: return "T";
	}
}

static void get_value(void *arg, size_t row, int col, PqValue *v)
{
	FileRows *f = arg;
	size_t r = f->idx[row];
	const uint8_t *h = f->t->data + f->rowoff[r];
	if (f->colmap)
		col = f->colmap[col];
	if (col >= f->t->first_data) {
		uint32_t off = f->cells[r * (size_t)f->ndata + (size_t)(col - f->t->first_data)];
		uint32_t len = NULL_LEN;
		if (off)
			memcpy(&len, f->t->data + off, 4);
		if (len == NULL_LEN) {
			v->null = true;
			return;
		}
		v->text = (const char *)f->t->data + off + 4;
		v->len = len;
		return;
	}
	switch (col) {
	case COL_OP:
		v->text = op_text(h[0]);
		v->len = 1;
		return;
	case COL_LSN: {
		uint64_t lsn;
		memcpy(&lsn, h + 1, 8);
		v->raw = true;
		v->i64 = (int64_t)lsn;
		return;
	}
	case COL_SEQ: {
		uint32_t seq;
		memcpy(&seq, h + 23, 4);
		v->raw = true;
		v->i64 = seq;
		return;
	}
	case COL_TS:
		memcpy(&v->i64, h + 9, 8);
		v->raw = true;
		return;
	case COL_XID: {
		uint32_t xid;
		memcpy(&xid, h + 17, 4);
		v->raw = true;
		v->i64 = xid;
		return;
	}
	default: v->null = true; return;
	}
}

static int64_t day_of(int64_t us)
{
	int64_t d = us / 86400000000LL;
	return us < 0 && us % 86400000000LL ? d - 1 : d;
}

/* The buffered rows of a table, indexed for writing. */
typedef struct RowIndex {
	size_t n;
	int ndata;
	size_t *rowoff;
	uint32_t *cells;
	int32_t *day;
	size_t *idx; /* room for n rows of one file */
} RowIndex;

static void index_cleanup(RowIndex *x)
{
	free(x->rowoff);
	free(x->cells);
	free(x->day);
	free(x->idx);
}

static bool index_rows(SinkTable *t, RowIndex *x)
{
	memset(x, 0, sizeof(*x));
	if (!view_rows(t))
		return false;
	x->n = t->nrows;
	x->ndata = t->ice.ncols - t->first_data;
	x->rowoff = calloc(x->n + 1, sizeof(size_t));
	x->cells = calloc(x->n * (size_t)(x->ndata > 0 ? x->ndata : 1) + 1, sizeof(uint32_t));
	x->day = calloc(x->n + 1, sizeof(int32_t));
	x->idx = calloc(x->n + 1, sizeof(size_t));
	if (!x->rowoff || !x->cells || !x->day || !x->idx)
		return false;
	size_t pos = 0;
	for (size_t r = 0; r < x->n; r++) {
		x->rowoff[r] = pos;
		int64_t us;
		memcpy(&us, t->data + pos + 9, 8);
		x->day[r] = (int32_t)day_of(us);
		pos += row_size(t->data, pos, x->cells + r * (size_t)x->ndata, x->ndata);
	}
	return true;
}

static PqColumn *table_columns(const SinkTable *t)
{
	PqColumn *cols = calloc((size_t)t->ice.ncols + 1, sizeof(PqColumn));
	for (int c = 0; cols && c < t->ice.ncols; c++) {
		cols[c].name = t->ice.cols[c].name;
		cols[c].field_id = t->ice.cols[c].id;
		cols[c].type = t->types[c];
		cols[c].required = t->ice.cols[c].required;
	}
	return cols;
}

/* The files of one flush of a table, and the commit that adds them. */
typedef struct Flush {
	IceDataFile files[66];
	char *paths[66];
	int n, written;
} Flush;

static bool write_one(LakeSink *k, SinkTable *t, Flush *fl, int i, const PqColumn *cols, int ncols, FileRows *fr,
	size_t rows)
{
	PqOptions opt = {.codec = k->cfg->compression, .row_group_rows = (size_t)k->cfg->parquet_row_group_size};
	fl->files[i].path = fl->paths[i];
	bool ok = ice_write_parquet(fl->paths[i], cols, ncols, rows, get_value, fr, &opt, &fl->files[i].stats, k->err,
		sizeof(k->err));
	if (!ok)
		return false;
	fl->written = i + 1;
	k->last_file_size = fl->files[i].stats.size;
	if (fl->files[i].stats.bad_values)
		fprintf(stderr, "dosql-lake: table %s: %" PRId64 " values did not fit their column type and are null\n",
			t->name, fl->files[i].stats.bad_values);
	return true;
}

static bool commit_flush(LakeSink *k, SinkTable *t, Flush *fl, uint64_t lsn, bool replace, size_t rows)
{
	bool ok = true;
	if (ok)
		dosql_fault("lake-after-parquet");
	ok = ice_table_commit(&t->ice, fl->files, fl->n, lsn, replace, k->err, sizeof(k->err));
	if (ok) {
		dosql_fault("lake-after-table-commit");
		k->files_written += fl->n;
		k->rows_written += (int64_t)rows;
		k->last_snapshot_id = t->ice.snapshot_id;
		k->last_snapshot_lsn = lsn;
		buf_reset(&t->rows);
		truncate_rows(t, 0);
		t->nrows = 0;
	}
	return ok;
}

static void flush_cleanup(Flush *fl)
{
	for (int d = 0; d < fl->written; d++)
		pq_file_stats_cleanup(&fl->files[d].stats);
	for (int d = 0; d < fl->n; d++)
		free(fl->paths[d]);
}

/* Changelog: every change a row, one file per day of commit time. */
static bool flush_changelog(LakeSink *k, SinkTable *t, RowIndex *x, Flush *fl, uint64_t lsn)
{
	int32_t days[64];
	int ndays = 0;
	for (size_t r = 0; r < x->n; r++) {
		int d;
		for (d = 0; d < ndays && days[d] != x->day[r]; d++)
			;
		if (d == ndays) {
			if (ndays == 64) {
				snprintf(k->err, sizeof(k->err), "table %s: more than 64 days in one flush", t->name);
				return false;
			}
			days[ndays++] = x->day[r];
		}
	}
	for (int d = 0; d < ndays; d++) {
		fl->paths[d] = ice_table_data_path(&t->ice, days[d]);
		fl->files[d].day = days[d];
		fl->n = d + 1;
		if (!fl->paths[d]) {
			snprintf(k->err, sizeof(k->err), "table %s: cannot make the data directory", t->name);
			return false;
		}
	}
	if (!ice_table_begin(&t->ice, fl->paths, fl->n, k->err, sizeof(k->err)))
		return false;
	PqColumn *cols = table_columns(t);
	bool ok = cols != NULL;
	for (int d = 0; ok && d < ndays; d++) {
		size_t m = 0;
		for (size_t r = 0; r < x->n; r++)
			if (x->day[r] == days[d])
				x->idx[m++] = r;
		FileRows fr = {.t = t, .rowoff = x->rowoff, .cells = x->cells, .idx = x->idx, .ndata = x->ndata};
		ok = write_one(k, t, fl, d, cols, t->ice.ncols, &fr, m);
	}
	free(cols);
	return ok && commit_flush(k, t, fl, lsn, false, x->n);
}

/* A row's key: its key columns' values, each with its length. */
static void key_of(const SinkTable *t, const RowIndex *x, size_t r, Buf *out)
{
	buf_reset(out);
	for (int i = 0; i < t->nkeys; i++) {
		uint32_t off = x->cells[r * (size_t)x->ndata + (size_t)(t->keys[i] - t->first_data)];
		uint32_t len = NULL_LEN;
		if (off)
			memcpy(&len, t->data + off, 4);
		buf_put(out, &len, 4);
		if (len != NULL_LEN)
			buf_put(out, t->data + off + 4, len);
	}
}

typedef struct KeyedRow {
	size_t row;
	size_t key_off, key_len; /* in the keys buffer */
} KeyedRow;

static const uint8_t *sort_keys; /* the keys buffer while qsort runs */

static int by_key(const KeyedRow *x, const KeyedRow *y)
{
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = n ? memcmp(sort_keys + x->key_off, sort_keys + y->key_off, n) : 0;
	return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static int by_key_then_row(const void *a, const void *b)
{
	const KeyedRow *x = a, *y = b;
	int c = by_key(x, y);
	return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* The buckets of a mirror table's flush (1 when unpartitioned), each
 * latest change's bucket in x->day (Iceberg's bucket of the first key
 * column's value).  A table not made yet is left unpartitioned when its
 * key cannot be bucketed. */
static int mirror_buckets(SinkTable *t, RowIndex *x, const size_t *rows, size_t n)
{
	IceTable *ice = &t->ice;
	if (ice->buckets > 0 && !ice->meta && (t->nkeys == 0 || !ice_bucket_type(&t->types[t->keys[0]]))) {
		fprintf(stderr, "dosql-lake: table %s: its key cannot be bucketed; the table is unpartitioned\n", t->name);
		ice->buckets = 0;
	}
	if (ice->buckets <= 0)
		return 1;
	Buf plain;
	buf_init(&plain);
	for (size_t i = 0; i < n; i++) {
		size_t r = rows[i];
		x->day[r] = 0;
		uint32_t off = t->nkeys ? x->cells[r * (size_t)x->ndata + (size_t)(t->keys[0] - t->first_data)] : 0, len = NULL_LEN;
		if (off)
			memcpy(&len, t->data + off, 4);
		buf_reset(&plain);
		if (len != NULL_LEN && lake_pg_to_plain(&t->types[t->keys[0]], (const char *)t->data + off + 4, len, &plain))
			x->day[r] = ice_bucket(&t->types[t->keys[0]], plain.data, plain.len, ice->buckets);
	}
	buf_cleanup(&plain);
	return ice->buckets;
}

/* Orders rows[0..n) by bucket (x->day), keeping their order within one;
 * start[b] is where bucket b begins, start[nb] == n.  False when out of memory. */
static bool sort_by_bucket(const RowIndex *x, size_t *rows, size_t n, int nb, size_t *start)
{
	memset(start, 0, (size_t)(nb + 1) * sizeof(size_t));
	if (nb == 1 || n == 0) {
		start[nb] = n;
		return true;
	}
	size_t *copy = malloc(n * sizeof(size_t)), at[ICE_MAX_BUCKETS];
	if (!copy)
		return false;
	memcpy(copy, rows, n * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		start[x->day[copy[i]] + 1]++;
	for (int b = 0; b < nb; b++)
		start[b + 1] += start[b];
	memcpy(at, start, (size_t)nb * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		rows[at[x->day[copy[i]]]++] = copy[i];
	free(copy);
	return true;
}

/* Mirror: the latest image of each key changed since the last snapshot in
 * one data file, and every such key in one equality delete file (it
 * removes the key's older rows, not the new ones: those have the same
 * sequence number).  After a TRUNCATE only what followed it counts, and
 * the snapshot drops every earlier file. */
static bool flush_mirror(LakeSink *k, SinkTable *t, RowIndex *x, Flush *fl, uint64_t lsn)
{
	size_t first = 0;
	bool replace = false;
	for (size_t r = 0; r < x->n; r++)
		if (t->data[x->rowoff[r]] == 'T') {
			first = r + 1;
			replace = true;
		}
	KeyedRow *kr = calloc(x->n - first + 1, sizeof(*kr));
	size_t *dels = calloc(x->n - first + 1, sizeof(size_t));
	Buf keys, one;
	buf_init(&keys);
	buf_init(&one);
	bool ok = kr && dels;
	size_t m = 0;
	for (size_t r = first; ok && r < x->n; r++) {
		key_of(t, x, r, &one);
		kr[m] = (KeyedRow){.row = r, .key_off = keys.len, .key_len = one.len};
		buf_put(&keys, one.data, one.len);
		m++;
	}
	ok = ok && !keys.failed;
	size_t nlive = 0, ndel = 0;
	if (ok) {
		sort_keys = keys.data;
		qsort(kr, m, sizeof(*kr), by_key_then_row);
		for (size_t i = 0; i < m; i++) {
			if (i + 1 < m && by_key(&kr[i], &kr[i + 1]) == 0)
				continue; /* not the key's latest change */
			dels[ndel++] = kr[i].row;
			if (t->data[x->rowoff[kr[i].row]] != 'D')
				x->idx[nlive++] = kr[i].row;
		}
	}
	/* per bucket (one when unpartitioned): the data file when a key has a
	 * row, the delete file when any changed */
	size_t lstart[ICE_MAX_BUCKETS + 1], dstart[ICE_MAX_BUCKETS + 1], from[66], count[66];
	int nb = ok ? mirror_buckets(t, x, dels, ndel) : 1;
	ok = ok && sort_by_bucket(x, x->idx, nlive, nb, lstart) && sort_by_bucket(x, dels, ndel, nb, dstart);
	for (int b = 0; ok && b < nb; b++)
		for (int f = 0; ok && f < 2; f++) {
			const size_t *start = f ? dstart : lstart;
			if (start[b + 1] == start[b])
				continue;
			from[fl->n] = start[b];
			count[fl->n] = start[b + 1] - start[b];
			fl->paths[fl->n] = ice_table_data_path(&t->ice, b);
			fl->files[fl->n].deletes = f == 1;
			fl->files[fl->n].day = b;
			ok = fl->paths[fl->n++] != NULL;
		}
	ok = ok && ice_table_begin(&t->ice, fl->paths, fl->n, k->err, sizeof(k->err));
	PqColumn *cols = ok ? table_columns(t) : NULL;
	int keymap[8];
	PqColumn keycols[8];
	for (int i = 0; cols && i < t->nkeys; i++) {
		keymap[i] = t->keys[i];
		keycols[i] = cols[t->keys[i]];
	}
	ok = ok && cols;
	for (int f = 0; ok && f < fl->n; f++) {
		FileRows live = {.t = t, .rowoff = x->rowoff, .cells = x->cells, .idx = x->idx + from[f], .ndata = x->ndata};
		FileRows del = {.t = t, .rowoff = x->rowoff, .cells = x->cells, .idx = dels + from[f], .ndata = x->ndata,
			.colmap = keymap};
		ok = fl->files[f].deletes ? write_one(k, t, fl, f, keycols, t->nkeys, &del, count[f])
					  : write_one(k, t, fl, f, cols, t->ice.ncols, &live, count[f]);
	}
	free(cols);
	ok = ok && commit_flush(k, t, fl, lsn, replace, x->n);
	free(kr);
	free(dels);
	buf_cleanup(&keys);
	buf_cleanup(&one);
	return ok;
}

/* Writes one table's rows as one snapshot. */
static bool flush_table(LakeSink *k, SinkTable *t, uint64_t lsn)
{
	RowIndex x;
	Flush fl;
	memset(&fl, 0, sizeof(fl));
	bool ok = index_rows(t, &x);
	if (!ok)
		snprintf(k->err, sizeof(k->err), "table %s: out of memory", t->name);
	else if (t->ice.mirror)
		ok = flush_mirror(k, t, &x, &fl, lsn);
	else
		ok = flush_changelog(k, t, &x, &fl, lsn);
	flush_cleanup(&fl);
	index_cleanup(&x);
	unview_rows(t);
	if (!ok && !k->err[0])
		snprintf(k->err, sizeof(k->err), "table %s: out of memory", t->name);
	return ok;
}

bool lake_sink_flush(LakeSink *k, uint64_t *confirm)
{
	*confirm = 0;
	if (k->in_txn)
		return true; /* only whole transactions are written */
	int64_t start = lake_now_ms();
	for (int i = 0; i < k->ntables; i++) {
		SinkTable *t = &k->tables[i];
		if (t->nrows == 0)
			continue;
		k->err[0] = 0;
		if (!flush_table(k, t, k->flush_lsn))
			return false;
	}
	if (k->events) {
		k->flushes++;
		k->last_flush_ms = wall_ms();
		k->last_flush_duration_ms = lake_now_ms() - start;
	}
	k->events = 0;
	k->bytes = 0;
	k->spilled = 0;
	k->oldest_ms = 0;
	k->oldest_commit_us = 0;
	/* everything received is durable: confirm the end of the last
	 * transaction, or the server's position past it */
	*confirm = k->flush_end > k->keepalive_end ? k->flush_end : k->keepalive_end;
	if (k->flushes)
		dosql_fault("lake-before-confirm");
	return true;
}
