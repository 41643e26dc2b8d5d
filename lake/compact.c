/*
 * compact.c - compaction of changelog and mirror tables into replace
 * snapshots (see compact.h); expiry is in expire.c.
 */
#include "compact.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fault.h"
#include "lake/avro.h"
#include "lake/compact_avro.h"
#include "lake/parquet_read.h"
#include "lake/store.h"

/* A live data file of the current snapshot. */
typedef struct Entry {
	char *path; /* its location (file:// dropped) */
	int manifest; /* index in the table's manifest list */
	int32_t day;
	long seq;
	int64_t snap, rows, size, added_ms;
	bool chosen;
} Entry;

typedef struct Plan {
	Entry *e; /* data files */
	int n;
	Entry *dels; /* equality delete files (mirror tables) */
	int ndels;
	Entry **chosen; /* in output order: by day, then oldest first */
	int nchosen;
	int *group_end; /* per output file: one past its last chosen entry */
	int ngroups;
	json_t *gone; /* locations of the files the snapshot removes: chosen and obsolete */
	int nobsolete; /* delete files that apply to no data file any more */
	int64_t obsolete_rows;
	char *delete_manifest; /* the rewritten manifest of delete files, when nobsolete */
} Plan;

static void plan_cleanup(Plan *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->e[i].path);
	for (int i = 0; i < p->ndels; i++)
		free(p->dels[i].path);
	free(p->e);
	free(p->dels);
	free(p->chosen);
	free(p->group_end);
	json_decref(p->gone);
	free(p->delete_manifest);
	memset(p, 0, sizeof(*p));
}

/* When each snapshot of the metadata was committed, by its id as text. */
static json_t *snapshot_times(const IceTable *t)
{
	json_t *times = json_object();
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(t->meta, "snapshots"), i, s)
	{
		char id[32];
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(s, "snapshot-id")));
		json_object_set(times, id, json_object_get(s, "timestamp-ms"));
	}
	return times;
}

typedef struct Collect {
	Plan *p;
	json_t *times; /* snapshot_times */
	int manifest;
} Collect;

/* When snapshot id was committed (0: not in the metadata any more). */
static int64_t snapshot_ms(const Collect *c, int64_t id)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)id);
	return json_integer_value(json_object_get(c->times, key));
}

static bool collect_entry(avro_value_t *r, void *arg)
{
	Collect *c = arg;
	LakeEntry le;
	if (!lake_avro_entry(r, &le))
		return false;
	if (le.status == 2 || (le.content != 0 && le.content != 2))
		return true;
	Entry **list = le.content ? &c->p->dels : &c->p->e;
	int *n = le.content ? &c->p->ndels : &c->p->n;
	Entry *grown = realloc(*list, (size_t)(*n + 1) * sizeof(*grown));
	if (!grown)
		return false;
	*list = grown;
	Entry *e = &grown[(*n)++];
	*e = (Entry){.path = strdup(store_loc(le.path)), .manifest = c->manifest, .day = le.day, .seq = le.seq,
		.snap = le.snap, .rows = le.rows, .size = le.size, .added_ms = snapshot_ms(c, le.snap)};
	return e->path != NULL;
}

static int by_day_then_age(const void *a, const void *b)
{
	const Entry *x = *(Entry *const *)a, *y = *(Entry *const *)b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Chooses, per day, the files to rewrite and how they make output files. */
static bool make_plan(IceTable *t, const LakeConfig *cfg, int64_t now_ms, Plan *p, char *err, size_t errlen)
{
	json_t *times = snapshot_times(t);
	for (int m = 0; m < t->nmanifests; m++) {
		Collect c = {.p = p, .times = times, .manifest = m};
		if (!times || !avro_ocf_each(store_loc(t->manifests[m].path), collect_entry, &c, err, errlen)) {
			json_decref(times);
			return false;
		}
	}
	json_decref(times);
	Entry **small = calloc((size_t)p->n + 1, sizeof(Entry *));
	p->chosen = calloc((size_t)p->n + 1, sizeof(Entry *));
	p->group_end = calloc((size_t)p->n + 1, sizeof(int));
	if (!small || !p->chosen || !p->group_end) {
		free(small);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	int nsmall = 0;
	for (int i = 0; i < p->n; i++)
		if (p->e[i].size < cfg->target_file_size_bytes && now_ms - p->e[i].added_ms >= cfg->min_partition_age_ms)
			small[nsmall++] = &p->e[i];
	qsort(small, (size_t)nsmall, sizeof(Entry *), by_day_then_age);
	for (int i = 0; i < nsmall;) {
		int j = i;
		while (j < nsmall && small[j]->day == small[i]->day)
			j++;
		if (j - i >= cfg->min_files_threshold && j - i >= 2) {
			int take = j - i < cfg->max_files_per_compaction ? j - i : (int)cfg->max_files_per_compaction;
			int64_t bytes = 0;
			for (int k = i; k < i + take; k++) {
				if (bytes > 0 && bytes + small[k]->size > cfg->target_file_size_bytes) {
					p->group_end[p->ngroups++] = p->nchosen;
					bytes = 0;
				}
				bytes += small[k]->size;
				small[k]->chosen = true;
				p->chosen[p->nchosen++] = small[k];
			}
			p->group_end[p->ngroups++] = p->nchosen;
		}
		i = j;
	}
	free(small);
	return true;
}

/* The rows of several files read whole, one after the other. */
typedef struct Concat {
	PqReadFile *files;
	int nfiles;
	int *pick_file; /* per output row: its file and row there */
	size_t *pick_row;
	size_t nrows;
	const PqReadColumn **map; /* per file, per output column: its column, or NULL */
	PqColumn *cols;
	int ncols;
} Concat;

static void concat_get(void *arg, size_t row, int col, PqValue *v)
{
	Concat *c = arg;
	int f = c->pick_file[row];
	const PqReadColumn *rc = c->map[(size_t)f * (size_t)c->ncols + (size_t)col];
	if (!rc) {
		memset(v, 0, sizeof(*v));
		v->null = true;
		return;
	}
	pq_read_value(rc, c->pick_row[row], v);
}

/* The key of row r of file f (the identifier fields' PLAIN bytes, each
 * with its length, in hex) into key, NUL-terminated. */
static bool row_key(const IceTable *t, const PqReadFile *f, size_t r, Buf *key)
{
	buf_reset(key);
	for (int k = 0; k < t->nident; k++) {
		const PqReadColumn *c = pq_read_column(f, t->ident[k]);
		if (!c)
			return false;
		PqValue v;
		pq_read_value(c, r, &v);
		char h[24];
		snprintf(h, sizeof(h), v.null ? "n;" : "%zu:", v.len);
		buf_put(key, h, strlen(h));
		for (size_t i = 0; !v.null && i < v.len; i++) {
			snprintf(h, sizeof(h), "%02x", (uint8_t)v.text[i]);
			buf_put(key, h, 2);
		}
	}
	buf_put_u8(key, 0);
	return !key->failed;
}

/* Every key of the equality delete files, with the largest sequence number that deletes it. */
static json_t *load_deletes(const IceTable *t, const Plan *p, char *err, size_t errlen)
{
	json_t *keys = json_object();
	Buf key;
	buf_init(&key);
	bool ok = keys != NULL;
	for (int d = 0; ok && d < p->ndels; d++) {
		PqReadFile f;
		ok = pq_read_file(p->dels[d].path, &f, err, errlen);
		for (size_t r = 0; ok && r < (size_t)f.rows; r++) {
			if (!row_key(t, &f, r, &key)) {
				snprintf(err, errlen, "%s: no identifier field %d", p->dels[d].path, t->ident[0]);
				ok = false;
				break;
			}
			json_t *was = json_object_get(keys, (const char *)key.data);
			if (!was || json_integer_value(was) < p->dels[d].seq)
				json_object_set_new(keys, (const char *)key.data, json_integer(p->dels[d].seq));
		}
		if (ok)
			pq_read_file_cleanup(&f);
	}
	buf_cleanup(&key);
	if (!ok) {
		json_decref(keys);
		return NULL;
	}
	return keys;
}

/* The rows of the files that stay: with deletes (mirror tables), a row
 * goes when a delete file of a larger sequence number has its key
 * (Iceberg's rule for equality deletes). */
static bool pick_rows(const IceTable *t, Concat *c, Entry **in, json_t *deletes)
{
	size_t total = 0;
	for (int i = 0; i < c->nfiles; i++)
		total += (size_t)c->files[i].rows;
	c->pick_file = calloc(total + 1, sizeof(int));
	c->pick_row = calloc(total + 1, sizeof(size_t));
	if (!c->pick_file || !c->pick_row)
		return false;
	Buf key;
	buf_init(&key);
	bool ok = true;
	for (int i = 0; ok && i < c->nfiles; i++)
		for (size_t r = 0; ok && r < (size_t)c->files[i].rows; r++) {
			if (deletes) {
				ok = row_key(t, &c->files[i], r, &key);
				json_t *seq = ok ? json_object_get(deletes, (const char *)key.data) : NULL;
				if (seq && json_integer_value(seq) > in[i]->seq)
					continue;
			}
			c->pick_file[c->nrows] = i;
			c->pick_row[c->nrows++] = r;
		}
	buf_cleanup(&key);
	return ok;
}

static void concat_cleanup(Concat *c)
{
	for (int i = 0; i < c->nfiles; i++)
		pq_read_file_cleanup(&c->files[i]);
	free(c->files);
	free(c->pick_file);
	free(c->pick_row);
	free(c->map);
	free(c->cols);
	memset(c, 0, sizeof(*c));
}

/* Reads the entries [from, to) of the plan and writes them as one file at path. */
static bool rewrite_group(IceTable *t, const LakeConfig *cfg, Entry **in, int nin, json_t *deletes, const char *path,
	PqFileStats *stats, char *err, size_t errlen)
{
	Concat c = {0};
	c.files = calloc((size_t)nin, sizeof(PqReadFile));
	c.map = calloc((size_t)nin * (size_t)t->ncols + 1, sizeof(*c.map));
	c.cols = calloc((size_t)t->ncols + 1, sizeof(PqColumn));
	bool ok = c.files && c.map && c.cols;
	for (int i = 0; ok && i < nin; i++, c.nfiles++) {
		ok = pq_read_file(in[i]->path, &c.files[i], err, errlen);
		if (ok && c.files[i].rows != in[i]->rows) {
			snprintf(err, errlen, "%s: %" PRId64 " rows, its manifest says %" PRId64, in[i]->path, c.files[i].rows,
				in[i]->rows);
			ok = false;
		}
	}
	if (ok && !pick_rows(t, &c, in, deletes)) {
		snprintf(err, errlen, "%s: out of memory, or a row without its key", t->name);
		ok = false;
	}
	/* the columns of the table's schema that some input has, in the schema's order */
	for (int k = 0; ok && k < t->ncols; k++) {
		const PqReadColumn *first = NULL;
		for (int i = 0; i < nin; i++) {
			const PqReadColumn *rc = pq_read_column(&c.files[i], t->cols[k].id);
			c.map[(size_t)i * (size_t)t->ncols + (size_t)c.ncols] = rc;
			if (rc && !first)
				first = rc;
		}
		if (first)
			c.cols[c.ncols++] = first->col;
	}
	/* the map's rows are t->ncols wide; the writer asks for columns below c.ncols */
	for (int i = 0; ok && i < nin; i++)
		memmove(&c.map[(size_t)i * (size_t)c.ncols], &c.map[(size_t)i * (size_t)t->ncols], (size_t)c.ncols * sizeof(*c.map));
	PqOptions opt = {.codec = cfg->compression, .row_group_rows = (size_t)cfg->parquet_row_group_size};
	if (ok && !c.ncols) {
		snprintf(err, errlen, "%s: no column of the table's schema in the files", t->name);
		ok = false;
	}
	ok = ok && ice_write_parquet(path, c.cols, c.ncols, c.nrows, concat_get, &c, &opt, stats, err, errlen);
	if (!ok && !err[0])
		snprintf(err, errlen, "out of memory");
	concat_cleanup(&c);
	return ok;
}

/* The manifests holding chosen files, rewritten as one: the chosen entries
 * DELETED by snap, the others EXISTING; m gets its manifest-list entry. */
typedef struct Rewrite {
	AvroOcf o;
	const Plan *p;
	int64_t snap;
	IceManifest *m;
	bool failed;
} Rewrite;

static bool rewrite_entry(avro_value_t *r, void *arg)
{
	Rewrite *w = arg;
	LakeEntry le;
	if (!lake_avro_entry(r, &le))
		return false;
	if (le.status == 2)
		return true; /* deleted by an earlier snapshot: not carried on */
	bool gone = json_object_get(w->p->gone, store_loc(le.path)) != NULL;
	avro_value_t *out = avro_ocf_record(&w->o);
	if (avro_value_copy(out, r) != 0)
		return false;
	avro_set_int(out, "status", gone ? 2 : 0);
	if (gone)
		avro_set_long(out, "snapshot_id", w->snap);
	if (!avro_ocf_append(&w->o))
		return false;
	IceManifest *m = w->m;
	if (gone) {
		m->deleted_files++;
		m->deleted_rows += le.rows;
	} else {
		m->existing_files++;
		m->existing_rows += le.rows;
	}
	if (!m->min_seq || le.seq < m->min_seq)
		m->min_seq = le.seq;
	if (!m->part_bounds || le.day < m->part_lower)
		m->part_lower = le.day;
	if (!m->part_bounds || le.day > m->part_upper)
		m->part_upper = le.day;
	m->part_bounds = true;
	return true;
}

/* The affected manifests (their paths in the set affected) of one content
 * rewritten as one at path. */
static bool write_rewritten(IceTable *t, const Plan *p, json_t *affected, int content, const char *path, int64_t snap,
	int schema_id, IceManifest *m, char *err, size_t errlen)
{
	Rewrite w = {.p = p, .snap = snap, .m = m};
	*m = (IceManifest){.path = (char *)path, .content = content, .snapshot_id = snap,
		.part_summary = ice_table_partitioned(t)};
	bool ok = ice_manifest_init(t, &w.o, content == 1, schema_id, err, errlen);
	for (int i = 0; ok && i < t->nmanifests; i++) {
		const char *mp = store_loc(t->manifests[i].path);
		if (json_object_get(affected, mp) && t->manifests[i].content == content &&
			!avro_ocf_each(mp, rewrite_entry, &w, err, errlen)) {
			if (!err[0])
				snprintf(err, errlen, "%s: could not rewrite its entries: %s", t->manifests[i].path, avro_strerror());
			ok = false;
		}
	}
	ok = ok && avro_ocf_write(&w.o, m->path, &m->length, err, errlen);
	avro_ocf_cleanup(&w.o);
	return ok;
}

static json_t *replace_snapshot(IceTable *t, int64_t snap, long seq, int64_t ms, int schema_id, const Plan *p,
	const IceDataFile *out, int nout)
{
	int64_t rows = 0, kept = 0;
	for (int i = 0; i < p->nchosen; i++)
		rows += p->chosen[i]->rows;
	for (int i = 0; i < nout; i++)
		kept += out[i].stats.rows;
	char lsn[32], added[16], deleted[16], files[32], nrows[32], nkept[32], ntotal[32];
	snprintf(lsn, sizeof(lsn), "%" PRIu64, t->lsn);
	snprintf(added, sizeof(added), "%d", nout);
	snprintf(deleted, sizeof(deleted), "%d", p->nchosen);
	snprintf(files, sizeof(files), "%" PRId64, t->files - p->nchosen + nout);
	snprintf(nrows, sizeof(nrows), "%" PRId64, rows);
	snprintf(nkept, sizeof(nkept), "%" PRId64, kept);
	snprintf(ntotal, sizeof(ntotal), "%" PRId64, t->rows - rows + kept);
	char *list = store_uri(t->pending_list);
	if (!list)
		return NULL;
	json_t *s = json_pack("{s:I,s:I,s:I,s:I,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:i}", "snapshot-id",
		(json_int_t)snap, "parent-snapshot-id", (json_int_t)t->snapshot_id, "sequence-number", (json_int_t)seq,
		"timestamp-ms", (json_int_t)ms, "manifest-list", list, "summary", "operation", "replace", "dosql.lsn", lsn,
		"added-data-files", added, "deleted-data-files", deleted, "added-records", nkept, "deleted-records", nrows,
		"total-data-files", files, "total-records", ntotal, "schema-id", schema_id);
	free(list);
	if (s && p->nobsolete) {
		json_t *sum = json_object_get(s, "summary");
		json_object_set_new(sum, "removed-delete-files", json_sprintf("%d", p->nobsolete));
		json_object_set_new(sum, "removed-equality-delete-files", json_sprintf("%d", p->nobsolete));
		json_object_set_new(sum, "removed-equality-deletes", json_sprintf("%" PRId64, p->obsolete_rows));
	}
	return s;
}

static long last_seq(const IceTable *t)
{
	return (long)json_integer_value(json_object_get(t->meta, "last-sequence-number"));
}

/* The new metadata version of the replace snapshot whose manifest list
 * (list[0..n)) is written; *lost when another writer made it first. */
static bool publish_replace(IceTable *t, const Plan *p, const IceDataFile *out, int nout, long seq, int schema_id,
	bool *lost, char *err, size_t errlen)
{
	int64_t snap = t->pending_snap;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	json_t *meta = json_deep_copy(t->meta);
	json_t *s = meta ? replace_snapshot(t, snap, seq, ms, schema_id, p, out, nout) : NULL;
	if (!meta || !s) {
		json_decref(meta);
		json_decref(s);
		snprintf(err, errlen, "%s: could not build the snapshot", t->dir);
		return false;
	}
	json_array_append_new(json_object_get(meta, "snapshots"), s);
	json_object_set_new(meta, "current-snapshot-id", json_integer(snap));
	json_object_set_new(meta, "refs", json_pack("{s:{s:I,s:s}}", "main", "snapshot-id", (json_int_t)snap, "type", "branch"));
	json_array_append_new(json_object_get(meta, "snapshot-log"),
		json_pack("{s:I,s:I}", "timestamp-ms", (json_int_t)ms, "snapshot-id", (json_int_t)snap));
	json_object_set_new(meta, "last-sequence-number", json_integer(seq));
	if (!ice_table_write_version(t, meta, ms, lost, err, errlen))
		return false;
	t->snapshot_id = snap;
	t->snapshot_ms = ms;
	return true;
}

/* Which manifests of the table's snapshot the compaction rewrites: those
 * holding a file it removes (their paths as a set). */
static json_t *affected_manifests(const IceTable *t, const Plan *p)
{
	json_t *set = json_object();
	for (int i = 0; set && i < p->nchosen; i++)
		json_object_set_new(set, store_loc(t->manifests[p->chosen[i]->manifest].path), json_true());
	for (int i = 0; set && i < p->ndels; i++)
		if (json_object_get(p->gone, p->dels[i].path))
			json_object_set_new(set, store_loc(t->manifests[p->dels[i].manifest].path), json_true());
	return set;
}

/* After another writer's commit: true when its version still has every
 * affected manifest and the schema the files were written with (a flush
 * adds manifests and keeps the others; a TRUNCATE in a mirror table or a
 * schema change makes the rewrite stale). */
static bool still_applies(const IceTable *t, json_t *affected, int schema_id)
{
	if ((int)json_integer_value(json_object_get(t->meta, "current-schema-id")) != schema_id)
		return false;
	size_t found = 0;
	for (int i = 0; i < t->nmanifests; i++)
		if (json_object_get(affected, store_loc(t->manifests[i].path)))
			found++;
	return found == json_object_size(affected);
}

/*
 * Commits the replace snapshot: the new files' manifest, the affected
 * manifests rewritten, and the table's other manifests that still have a
 * live file.  A commit another writer's version beat (a flush) is made
 * again after that version, on its manifests, up to ICE_COMMIT_ATTEMPTS
 * times: the new files keep the data sequence number of the version they
 * were read from, so the deletes of the flushes in between apply to them.
 */
static bool commit_replace(IceTable *t, const Plan *p, const IceDataFile *out, int nout, char *err, size_t errlen)
{
	int64_t snap = t->pending_snap;
	long base_seq = last_seq(t);
	int schema_id = (int)json_integer_value(json_object_get(t->meta, "current-schema-id"));
	json_t *affected = affected_manifests(t, p);
	IceManifest rew[2];
	bool ok = affected && write_rewritten(t, p, affected, 0, t->pending_deletes, snap, schema_id, &rew[0], err, errlen) &&
		(!p->nobsolete || write_rewritten(t, p, affected, 1, p->delete_manifest, snap, schema_id, &rew[1], err, errlen));
	IceManifest *list = NULL;
	int n = 0;
	for (int attempt = 1; ok; attempt++) {
		long seq = last_seq(t) + 1;
		free(list);
		list = calloc((size_t)t->nmanifests + 3, sizeof(IceManifest));
		if (!list) {
			snprintf(err, errlen, "out of memory");
			ok = false;
			break;
		}
		IceManifest *a = &list[0];
		*a = (IceManifest){.path = t->pending_manifest, .content = 0, .seq = seq, .min_seq = base_seq,
			.snapshot_id = snap, .added_files = nout, .part_summary = ice_table_partitioned(t)};
		for (int i = 0; i < nout; i++) {
			a->added_rows += out[i].stats.rows;
			if (!a->part_bounds || out[i].day < a->part_lower)
				a->part_lower = out[i].day;
			if (!a->part_bounds || out[i].day > a->part_upper)
				a->part_upper = out[i].day;
			a->part_bounds = true;
		}
		n = 1;
		for (int k = 0; k < (p->nobsolete ? 2 : 1); k++) {
			list[n] = rew[k];
			list[n++].seq = seq;
		}
		/* a manifest whose entries are all DELETED records an earlier snapshot's removals only */
		for (int i = 0; i < t->nmanifests; i++)
			if (!json_object_get(affected, store_loc(t->manifests[i].path)) &&
				t->manifests[i].added_files + t->manifests[i].existing_files > 0)
				list[n++] = t->manifests[i];
		bool lost = false;
		ok = ice_write_data_manifest(t, out, nout, a->path, snap, base_seq, seq, schema_id, &a->length, err, errlen) &&
			ice_write_manifest_list(t, list, n, t->pending_list, snap, seq, err, errlen) &&
			publish_replace(t, p, out, nout, seq, schema_id, &lost, err, errlen);
		if (ok || !lost)
			break;
		fprintf(stderr, "dosql-lake: %s; the compaction is made again after it\n", err);
		if (attempt == ICE_COMMIT_ATTEMPTS || !ice_table_reload(t, err, errlen))
			break;
		ok = still_applies(t, affected, schema_id);
		if (!ok)
			snprintf(err, errlen, "%s: v%d changed the files this compaction rewrote", t->dir, t->version);
	}
	if (ok) {
		/* the table now is the new snapshot: its manifest list is list[0..n) */
		IceManifest *mine = calloc((size_t)n, sizeof(IceManifest));
		for (int i = 0; mine && i < n; i++) {
			mine[i] = list[i];
			mine[i].path = strdup(list[i].path);
		}
		ice_manifests_free(t->manifests, t->nmanifests);
		t->manifests = mine;
		t->nmanifests = mine ? n : 0;
		t->files += nout - p->nchosen;
		t->rows += list[0].added_rows;
		for (int i = 0; i < p->nchosen; i++)
			t->rows -= p->chosen[i]->rows;
	}
	json_decref(affected);
	free(list);
	return ok;
}

/* The files the snapshot removes: the chosen data files, and the delete
 * files no data file left is older than (a delete applies to data files of
 * smaller sequence numbers; the new files' number is above them all). */
static bool mark_gone(IceTable *t, Plan *p)
{
	p->gone = json_object();
	if (!p->gone)
		return false;
	for (int i = 0; i < p->nchosen; i++)
		json_object_set_new(p->gone, p->chosen[i]->path, json_true());
	long min_seq = -1;
	for (int i = 0; i < p->n; i++)
		if (!p->e[i].chosen && (min_seq < 0 || p->e[i].seq < min_seq))
			min_seq = p->e[i].seq;
	for (int i = 0; i < p->ndels; i++)
		if (min_seq < 0 || p->dels[i].seq <= min_seq) {
			json_object_set_new(p->gone, p->dels[i].path, json_true());
			p->nobsolete++;
			p->obsolete_rows += p->dels[i].rows;
		}
	if (p->nobsolete) {
		char uuid[37];
		ice_uuid(uuid);
		if (asprintf(&p->delete_manifest, "%s/metadata/%s-m2.avro", t->dir, uuid) < 0) {
			p->delete_manifest = NULL;
			return false;
		}
	}
	return true;
}

/* In the test build, with DOSQL_LAKE_PAUSE naming a file: the compaction
 * waits before its commit while that file exists (so a test commits
 * flushes in between). */
static void test_pause(void)
{
#ifdef DOSQL_FAULT_INJECTION
	const char *f = getenv("DOSQL_LAKE_PAUSE");
	if (!f || access(f, F_OK) != 0)
		return;
	fprintf(stderr, "dosql-lake: compaction waits before its commit while %s exists\n", f);
	struct timespec ms10 = {0, 10000000};
	while (access(f, F_OK) == 0)
		nanosleep(&ms10, NULL);
#endif
}

bool lake_compact_table(IceTable *t, const LakeConfig *cfg, int64_t now_ms, LakeCompactResult *res, char *err,
	size_t errlen)
{
	err[0] = 0;
	/* a schema change not yet committed waits for its flush */
	if (!t->meta || !t->snapshot_id || t->schema_changed)
		return true;
	Plan p = {0};
	bool ok = make_plan(t, cfg, now_ms, &p, err, errlen);
	if (!ok || p.ngroups == 0) {
		plan_cleanup(&p);
		return ok;
	}
	/* mirror tables: the equality deletes are applied to the rows rewritten */
	json_t *deletes = t->mirror ? load_deletes(t, &p, err, errlen) : NULL;
	if ((t->mirror && !deletes) || !mark_gone(t, &p)) {
		if (!err[0])
			snprintf(err, errlen, "%s: out of memory", t->name);
		json_decref(deletes);
		plan_cleanup(&p);
		return false;
	}
	IceDataFile *out = calloc((size_t)p.ngroups, sizeof(IceDataFile));
	char **paths = calloc((size_t)p.ngroups + 1, sizeof(char *));
	ok = out && paths;
	for (int g = 0; ok && g < p.ngroups; g++) {
		int from = g ? p.group_end[g - 1] : 0;
		out[g].day = p.chosen[from]->day;
		out[g].path = paths[g] = ice_table_data_path(t, out[g].day);
		ok = paths[g] != NULL;
	}
	/* the journal names the new files before they exist: a crash leaves none behind */
	if (ok && p.delete_manifest)
		paths[p.ngroups] = p.delete_manifest;
	ok = ok && ice_table_begin(t, paths, p.ngroups + (p.delete_manifest != NULL), err, errlen);
	for (int g = 0; ok && g < p.ngroups; g++) {
		int from = g ? p.group_end[g - 1] : 0;
		ok = rewrite_group(t, cfg, &p.chosen[from], p.group_end[g] - from, deletes, out[g].path, &out[g].stats, err,
			errlen);
	}
	if (ok) {
		dosql_fault("lake-compact-after-parquet");
		test_pause();
	}
	ok = ok && commit_replace(t, &p, out, p.ngroups, err, errlen);
	if (ok) {
		res->tables++;
		res->files_replaced += p.nchosen;
		res->files_written += p.ngroups;
		res->deletes_removed += p.nobsolete;
		for (int i = 0; i < p.nchosen; i++)
			res->rows += p.chosen[i]->rows;
	} else if (!err[0])
		snprintf(err, errlen, "%s: out of memory", t->name);
	for (int g = 0; out && g < p.ngroups; g++) {
		if (!ok && out[g].path)
			store_delete(out[g].path);
		free(out[g].path);
		pq_file_stats_cleanup(&out[g].stats);
	}
	free(out);
	free(paths);
	json_decref(deletes);
	plan_cleanup(&p);
	return ok;
}

/* store_list callback: the table names (first path components) under the namespace. */
static void add_table_name(void *arg, const char *name)
{
	size_t n = strcspn(name, "/");
	char *t = strndup(name, n);
	if (t && t[0] != '.')
		json_object_set_new(arg, t, json_true());
	free(t);
}

json_t *lake_table_names(const LakeConfig *cfg, char *err, size_t errlen)
{
	char *dir = NULL;
	if (asprintf(&dir, "%s/%s", cfg->warehouse, cfg->namespace_) < 0)
		return NULL;
	json_t *names = json_object();
	if (names && !store_list(dir, add_table_name, names, err, errlen)) {
		json_decref(names);
		names = NULL;
	}
	free(dir);
	return names;
}

/* Compacts and expires every table of the namespace, each opened from the warehouse. */
static bool each_table(const LakeConfig *cfg, bool compact, bool expire, int64_t now, LakeCompactResult *res,
	char *err, size_t errlen)
{
	json_t *names = lake_table_names(cfg, err, errlen);
	bool ok = names != NULL;
	const char *name;
	json_t *v;
	json_object_foreach(names, name, v)
	{
		IceTable t;
		char why[512] = "";
		if (!ice_table_open(&t, cfg->warehouse, cfg->namespace_, name, cfg->mode == LAKE_MIRROR, why, sizeof(why)) ||
			(compact && !lake_compact_table(&t, cfg, now, res, why, sizeof(why))) ||
			(expire && !lake_expire_table(&t, cfg, now, res, why, sizeof(why)))) {
			snprintf(err, errlen, "%s", why);
			ok = false;
		}
		ice_table_close(&t);
	}
	json_decref(names);
	return ok;
}

bool lake_compact_all(const LakeConfig *cfg, bool compact, bool expire, LakeCompactResult *res, char *err,
	size_t errlen)
{
	memset(res, 0, sizeof(*res));
	err[0] = 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return each_table(cfg, compact, expire, now, res, err, errlen);
}

/* What every run did since the start, for the status page and the metrics. */
static LakeCompactResult totals;

void lake_compact_count(const LakeCompactResult *res)
{
	totals.tables += res->tables;
	totals.files_replaced += res->files_replaced;
	totals.files_written += res->files_written;
	totals.deletes_removed += res->deletes_removed;
	totals.rows += res->rows;
	totals.snapshots_expired += res->snapshots_expired;
	totals.files_deleted += res->files_deleted;
}

json_t *lake_compact_status(void) { return lake_compact_json(&totals); }

void lake_compact_metrics(char *out, size_t n)
{
	snprintf(out, n,
		"# HELP dolake_compactions_total Replace snapshots committed by compaction.\n"
		"# TYPE dolake_compactions_total counter\ndolake_compactions_total %d\n"
		"# HELP dolake_compacted_files_total Data files rewritten by compaction.\n"
		"# TYPE dolake_compacted_files_total counter\ndolake_compacted_files_total %d\n"
		"# HELP dolake_expired_snapshots_total Snapshots removed by expiry.\n"
		"# TYPE dolake_expired_snapshots_total counter\ndolake_expired_snapshots_total %d\n"
		"# HELP dolake_expired_files_total Files deleted by expiry.\n"
		"# TYPE dolake_expired_files_total counter\ndolake_expired_files_total %d\n",
		totals.tables, totals.files_replaced, totals.snapshots_expired, totals.files_deleted);
}

json_t *lake_compact_json(const LakeCompactResult *res)
{
	return json_pack("{s:i,s:i,s:i,s:i,s:I,s:i,s:i}", "tablesCompacted", res->tables, "filesReplaced",
		res->files_replaced, "filesWritten", res->files_written, "deleteFilesRemoved", res->deletes_removed,
		"rowsRewritten", (json_int_t)res->rows,
		"snapshotsExpired", res->snapshots_expired, "filesDeleted", res->files_deleted);
}
