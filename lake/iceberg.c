/*
 * iceberg.c - Iceberg v2 table metadata, manifests and manifest lists on
 * the local filesystem (see iceberg.h).
 */
#include "iceberg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lake/avro.h"
#include "lake/store.h"

/* Spec, "Manifests": the v2 manifest_entry schema with its field ids; the
 * partition struct's fields go between head and tail. */
static const char manifest_head[] =
	"{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
	"{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
	"{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":1},"
	"{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":3},"
	"{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":4},"
	"{\"name\":\"data_file\",\"field-id\":2,\"type\":{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
	"{\"name\":\"content\",\"type\":\"int\",\"field-id\":134},"
	"{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
	"{\"name\":\"file_format\",\"type\":\"string\",\"field-id\":101},"
	"{\"name\":\"partition\",\"field-id\":102,\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":[";
static const char manifest_day_field[] =
	"{\"name\":\"dt\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}],\"default\":null,\"field-id\":1000}";
static const char manifest_bucket_field[] =
	"{\"name\":\"key_bucket\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":1000}";
static const char manifest_tail[] =
	"]}},"
	"{\"name\":\"record_count\",\"type\":\"long\",\"field-id\":103},"
	"{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"field-id\":104},"
	"{\"name\":\"column_sizes\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k117_v118\",\"fields\":["
	"{\"name\":\"key\",\"type\":\"int\",\"field-id\":117},{\"name\":\"value\",\"type\":\"long\",\"field-id\":118}]}}],\"default\":null,\"field-id\":108},"
	"{\"name\":\"value_counts\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k119_v120\",\"fields\":["
	"{\"name\":\"key\",\"type\":\"int\",\"field-id\":119},{\"name\":\"value\",\"type\":\"long\",\"field-id\":120}]}}],\"default\":null,\"field-id\":109},"
	"{\"name\":\"null_value_counts\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k121_v122\",\"fields\":["
	"{\"name\":\"key\",\"type\":\"int\",\"field-id\":121},{\"name\":\"value\",\"type\":\"long\",\"field-id\":122}]}}],\"default\":null,\"field-id\":110},"
	"{\"name\":\"nan_value_counts\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k138_v139\",\"fields\":["
	"{\"name\":\"key\",\"type\":\"int\",\"field-id\":138},{\"name\":\"value\",\"type\":\"long\",\"field-id\":139}]}}],\"default\":null,\"field-id\":137},"
	"{\"name\":\"lower_bounds\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k126_v127\",\"fields\":["
	"{\"name\":\"key\",\"type\":\"int\",\"field-id\":126},{\"name\":\"value\",\"type\":\"bytes\",\"field-id\":127}]}}],\"default\":null,\"field-id\":125},"
	"{\"name\":\"upper_bounds\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k129_v130\",\"fields\":["
	"{\"name\":\"key\",\"type\":\"int\",\"field-id\":129},{\"name\":\"value\",\"type\":\"bytes\",\"field-id\":130}]}}],\"default\":null,\"field-id\":128},"
	"{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":131},"
	"{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"long\",\"element-id\":133}],\"default\":null,\"field-id\":132},"
	"{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"int\",\"element-id\":136}],\"default\":null,\"field-id\":135},"
	"{\"name\":\"sort_order_id\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":140}"
	"]}}]}";

/* Spec, "Manifest Lists": the v2 manifest_file schema. */
static const char manifest_list_schema[] =
	"{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
	"{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
	"{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
	"{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
	"{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
	"{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
	"{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
	"{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
	"{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
	"{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
	"{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
	"{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
	"{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
	"{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
	"{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"element-id\":508,\"items\":{\"type\":\"record\",\"name\":\"r508\",\"fields\":["
	"{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
	"{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"default\":null,\"field-id\":518},"
	"{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":510},"
	"{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":511}]}}],\"default\":null,\"field-id\":507},"
	"{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":519}"
	"]}";

#define PARTITION_FIELD_ID 1000

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ice_uuid(char out[37])
{
	uint8_t b[16];
	if (RAND_bytes(b, 16) != 1) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (int i = 0; i < 16; i++)
			b[i] = (uint8_t)((uint64_t)ts.tv_nsec >> (i % 4 * 8) ^ (uint64_t)getpid() >> (i % 2 * 8) ^ (uint64_t)i * 77);
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
		b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

bool ice_mkdirs(const char *path) { return store_mkdirs(path); }

bool ice_write_parquet(const char *loc, const PqColumn *cols, int ncols, size_t rows, PqGetFn get, void *arg,
	const PqOptions *opt, PqFileStats *stats, char *err, size_t errlen)
{
	/* an object store gets the file whole, once written locally */
	char tmp[96], uuid[37];
	bool remote = store_is_s3(loc);
	ice_uuid(uuid);
	snprintf(tmp, sizeof(tmp), "/tmp/dosql-lake-%d-%s.parquet", (int)getpid(), uuid);
	const char *local = remote ? tmp : loc;
	bool ok = pq_write_file(local, cols, ncols, rows, get, arg, opt, stats, err, errlen) &&
		store_put_file(loc, local, err, errlen);
	if (remote)
		unlink(tmp);
	return ok;
}

/* A whole JSON document from the store. */
static json_t *load_json(const char *loc, StoreResult *res, char *err, size_t errlen)
{
	Buf b;
	buf_init(&b);
	json_t *j = NULL;
	json_error_t jerr;
	*res = store_get(loc, &b, err, errlen);
	if (*res == STORE_OK && !(j = json_loadb((const char *)b.data, b.len, 0, &jerr))) {
		snprintf(err, errlen, "%s: %s", loc, jerr.text);
		*res = STORE_ERROR;
	}
	buf_cleanup(&b);
	return j;
}

static void free_columns(IceTable *t)
{
	for (int i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].type);
	}
	free(t->cols);
	t->cols = NULL;
	t->ncols = 0;
}

static void free_manifests(IceTable *t)
{
	ice_manifests_free(t->manifests, t->nmanifests);
	t->manifests = NULL;
	t->nmanifests = 0;
}


/* The four bytes of an int partition bound (Appendix D: little-endian). */
static int32_t bound_int(const void *p)
{
	const uint8_t *u = p;
	return (int32_t)((uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24);
}

/* The partition summary of a manifest-list record (partitions[0]). */
static void read_part_summary(avro_value_t *v, IceManifest *m)
{
	avro_value_t f, e, x;
	size_t count, n;
	int b;
	const void *p;
	if (!avro_opt(v, "partitions", &f) || avro_value_get_size(&f, &count) != 0 || count == 0 ||
		avro_value_get_by_index(&f, 0, &e, NULL) != 0)
		return;
	m->part_summary = true;
	if (avro_value_get_by_name(&e, "contains_null", &x, NULL) == 0 && avro_value_get_boolean(&x, &b) == 0)
		m->part_null = b;
	if (avro_opt(&e, "lower_bound", &x) && avro_value_get_bytes(&x, &p, &n) == 0 && n == 4) {
		m->part_lower = bound_int(p);
		if (avro_opt(&e, "upper_bound", &x) && avro_value_get_bytes(&x, &p, &n) == 0 && n == 4) {
			m->part_upper = bound_int(p);
			m->part_bounds = true;
		}
	}
}

typedef struct ListRead {
	IceManifest *m;
	int n;
} ListRead;

/* avro_ocf_each callback: one manifest_file record (Table Spec v2, "Manifest Lists"). */
static bool add_list_entry(avro_value_t *v, void *arg)
{
	ListRead *l = arg;
	IceManifest *m = realloc(l->m, (size_t)(l->n + 1) * sizeof(*m));
	if (!m)
		return false;
	l->m = m;
	m = &l->m[l->n];
	memset(m, 0, sizeof(*m));
	avro_value_t f;
	const char *s = NULL;
	size_t n;
	int32_t i32;
	int64_t i64;
#define GET_INT(name, dst) \
	(avro_value_get_by_name(v, name, &f, NULL) == 0 && avro_value_get_int(&f, &i32) == 0 ? (dst = i32, 1) : 0)
#define GET_LONG(name, dst) \
	(avro_value_get_by_name(v, name, &f, NULL) == 0 && avro_value_get_long(&f, &i64) == 0 ? (dst = (long)i64, 1) : 0)
	if (avro_value_get_by_name(v, "manifest_path", &f, NULL) != 0 || avro_value_get_string(&f, &s, &n) != 0 ||
		!(m->path = strdup(s)))
		return false;
	l->n++;
	GET_LONG("manifest_length", m->length);
	GET_INT("partition_spec_id", m->spec_id);
	GET_INT("content", m->content);
	GET_LONG("sequence_number", m->seq);
	GET_LONG("min_sequence_number", m->min_seq);
	GET_LONG("added_snapshot_id", m->snapshot_id);
	GET_INT("added_files_count", m->added_files);
	GET_INT("existing_files_count", m->existing_files);
	GET_INT("deleted_files_count", m->deleted_files);
	GET_LONG("added_rows_count", m->added_rows);
	GET_LONG("existing_rows_count", m->existing_rows);
	GET_LONG("deleted_rows_count", m->deleted_rows);
#undef GET_INT
#undef GET_LONG
	read_part_summary(v, m);
	return true;
}

void ice_manifests_free(IceManifest *m, int n)
{
	for (int i = 0; i < n; i++)
		free(m[i].path);
	free(m);
}

bool ice_read_manifest_list(const char *uri, IceManifest **out, int *n, char *err, size_t errlen)
{
	ListRead l = {0};
	const char *loc = store_loc(uri);
	bool ok = avro_ocf_each(loc, add_list_entry, &l, err, errlen);
	if (!ok) {
		if (!err[0])
			snprintf(err, errlen, "%s: a manifest without manifest_path, or out of memory", loc);
		ice_manifests_free(l.m, l.n);
		return false;
	}
	*out = l.m;
	*n = l.n;
	return true;
}

/* The current schema's columns from the metadata. */
static bool load_schema(IceTable *t, char *err, size_t errlen)
{
	json_t *schemas = json_object_get(t->meta, "schemas");
	json_int_t cur = json_integer_value(json_object_get(t->meta, "current-schema-id"));
	t->last_column_id = (int)json_integer_value(json_object_get(t->meta, "last-column-id"));
	size_t i;
	json_t *s;
	json_array_foreach(schemas, i, s)
	{
		if (json_integer_value(json_object_get(s, "schema-id")) != cur)
			continue;
		json_t *fields = json_object_get(s, "fields"), *f;
		size_t k;
		json_array_foreach(json_object_get(s, "identifier-field-ids"), k, f)
			if (t->nident < (int)(sizeof(t->ident) / sizeof(t->ident[0])))
				t->ident[t->nident++] = (int)json_integer_value(f);
		t->cols = calloc(json_array_size(fields) + 1, sizeof(IceColumn));
		json_array_foreach(fields, k, f)
		{
			IceColumn *c = &t->cols[t->ncols++];
			c->name = strdup(json_string_value(json_object_get(f, "name")) ?: "");
			c->id = (int)json_integer_value(json_object_get(f, "id"));
			c->type = strdup(json_string_value(json_object_get(f, "type")) ?: "string");
			c->required = json_is_true(json_object_get(f, "required"));
		}
		return true;
	}
	snprintf(err, errlen, "%s: no schema %lld in the metadata", t->dir, (long long)cur);
	return false;
}

/* True when the table's metadata holds snapshot id. */
static bool has_snapshot(const IceTable *t, json_int_t id)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(t->meta, "snapshots"), i, s)
		if (json_integer_value(json_object_get(s, "snapshot-id")) == id)
			return true;
	return false;
}

/* The journal of this writer's commit in progress: one per writer (the
 * store's owner, the sink's slot), so that no writer takes another's
 * commit in progress for one that did not finish. */
static char *journal_path(const IceTable *t)
{
	return xasprintf("%s/metadata/inflight-%s.json", t->dir, store_owner());
}

/* Undoes a commit that did not finish: its journal names the snapshot
 * and the version it was to make and the files it wrote; they go unless
 * the table holds that snapshot (another writer may have made the
 * version). */
static void recover_inflight(IceTable *t, const char *journal)
{
	char err[256];
	StoreResult res;
	json_t *j = load_json(journal, &res, err, sizeof(err));
	if (j) {
		json_t *snap = json_object_get(j, "snapshot");
		bool done = json_is_integer(snap) ? has_snapshot(t, json_integer_value(snap))
						  : json_integer_value(json_object_get(j, "version")) <= t->version;
		if (!done) {
			size_t i;
			json_t *f;
			json_array_foreach(json_object_get(j, "files"), i, f)
				if (json_is_string(f))
					store_delete(json_string_value(f));
		}
		json_decref(j);
	}
	store_delete(journal);
}

/* store_list callback: the highest N of the vN.metadata.json files. */
static void newest_version(void *arg, const char *name)
{
	IceTable *t = arg;
	int v;
	char tail[32];
	if (sscanf(name, "v%d.metadata.json%31s", &v, tail) == 1 && v > t->version)
		t->version = v;
}

/* The current snapshot of t->meta: its id, dosql.lsn, totals and manifest list. */
static bool load_snapshot(IceTable *t, char *err, size_t errlen)
{
	free_manifests(t);
	t->snapshot_id = t->snapshot_ms = t->files = t->rows = 0;
	t->lsn = 0;
	json_t *cur = json_object_get(t->meta, "current-snapshot-id");
	if (!json_is_integer(cur))
		return true;
	t->snapshot_id = json_integer_value(cur);
	bool ok = true;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(t->meta, "snapshots"), i, s)
	{
		if (json_integer_value(json_object_get(s, "snapshot-id")) != t->snapshot_id)
			continue;
		json_t *sum = json_object_get(s, "summary");
		const char *lsn = json_string_value(json_object_get(sum, "dosql.lsn"));
		t->lsn = lsn ? strtoull(lsn, NULL, 10) : 0;
		const char *files = json_string_value(json_object_get(sum, "total-data-files"));
		const char *rows = json_string_value(json_object_get(sum, "total-records"));
		t->files = files ? strtoll(files, NULL, 10) : 0;
		t->rows = rows ? strtoll(rows, NULL, 10) : 0;
		t->snapshot_ms = json_integer_value(json_object_get(s, "timestamp-ms"));
		const char *list = json_string_value(json_object_get(s, "manifest-list"));
		ok = list && ice_read_manifest_list(list, &t->manifests, &t->nmanifests, err, errlen);
	}
	return ok;
}

/* N of the default partition spec's bucket[N] field (mirror tables), else 0. */
static int spec_buckets(json_t *meta)
{
	json_int_t id = json_integer_value(json_object_get(meta, "default-spec-id"));
	size_t i;
	json_t *spec;
	json_array_foreach(json_object_get(meta, "partition-specs"), i, spec)
	{
		if (json_integer_value(json_object_get(spec, "spec-id")) != id)
			continue;
		const char *tr = json_string_value(json_object_get(json_array_get(json_object_get(spec, "fields"), 0), "transform"));
		int n;
		if (tr && sscanf(tr, "bucket[%d]", &n) == 1 && n > 0)
			return n;
	}
	return 0;
}

/* Iceberg Table Spec, "Appendix B: 32-bit Hash Requirements": Murmur3,
 * x86 32-bit variant, seed 0. */
static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static uint32_t murmur3_32(const uint8_t *p, size_t len)
{
	const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
	uint32_t h = 0, k;
	size_t i = 0;
	for (; i + 4 <= len; i += 4) {
		k = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
		k = rotl32(k * c1, 15) * c2;
		h = rotl32(h ^ k, 13) * 5 + 0xe6546b64;
	}
	k = 0;
	switch (len & 3) {
	case 3:
		k ^= (uint32_t)p[i + 2] << 16;
		/* fallthrough */
	case 2:
		k ^= (uint32_t)p[i + 1] << 8;
		/* fallthrough */
	case 1:
		k ^= p[i];
		h ^= rotl32(k * c1, 15) * c2;
	}
	h ^= (uint32_t)len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

bool ice_bucket_type(const LakeType *type)
{
	return type->kind != LK_BOOL && type->kind != LK_FLOAT && type->kind != LK_DOUBLE;
}

/* Appendix B: int, long and date hash as the 8 little-endian bytes of a
 * long; timestamps as their long microseconds; strings, binary and uuid
 * (16 bytes, big-endian) as their bytes; decimals as the minimal
 * big-endian two's complement bytes of the unscaled value. */
int32_t ice_bucket_hash(const LakeType *type, const uint8_t *plain, size_t len)
{
	uint8_t b[8];
	switch (type->kind) {
	case LK_INT16:
	case LK_INT32:
	case LK_DATE: {
		int32_t v = len == 4 ? (int32_t)((uint32_t)plain[0] | (uint32_t)plain[1] << 8 | (uint32_t)plain[2] << 16 |
						   (uint32_t)plain[3] << 24)
				     : 0;
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)((uint64_t)(int64_t)v >> (8 * i));
		return (int32_t)murmur3_32(b, 8);
	}
	case LK_DECIMAL:
		while (len > 1 && ((plain[0] == 0 && !(plain[1] & 0x80)) || (plain[0] == 0xff && (plain[1] & 0x80)))) {
			plain++;
			len--;
		}
		return (int32_t)murmur3_32(plain, len);
	default:
		return (int32_t)murmur3_32(plain, len);
	}
}

int ice_bucket(const LakeType *type, const uint8_t *plain, size_t len, int n)
{
	return (int)(((uint32_t)ice_bucket_hash(type, plain, len) & 0x7fffffffu) % (uint32_t)n);
}

bool ice_table_partitioned(const IceTable *t) { return !t->mirror || t->buckets > 0; }

void ice_table_set_buckets(IceTable *t, int n)
{
	if (!t->meta)
		t->buckets = n;
}

bool ice_table_open(IceTable *t, const char *warehouse, const char *ns, const char *name, bool mirror, char *err,
	size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->mirror = mirror;
	err[0] = 0;
	t->name = strdup(name);
	t->dir = xasprintf("%s/%s/%s", warehouse, ns, name);
	char *mdir = xasprintf("%s/metadata", t->dir);
	if (!t->name || !t->dir || !mdir || !ice_mkdirs(mdir)) {
		snprintf(err, errlen, "%s: %s", mdir ? mdir : name, strerror(errno));
		free(mdir);
		return false;
	}
	if (!store_list(mdir, newest_version, t, err, errlen)) {
		free(mdir);
		return false;
	}
	bool ok = true;
	if (t->version > 0) {
		char *path = xasprintf("%s/v%d.metadata.json", mdir, t->version);
		StoreResult res;
		t->meta = path ? load_json(path, &res, err, errlen) : NULL;
		if (!t->meta)
			ok = false;
		free(path);
		ok = ok && load_schema(t, err, errlen);
		ok = ok && load_snapshot(t, err, errlen);
		if (ok)
			t->buckets = spec_buckets(t->meta);
	}
	if (ok) {
		/* this writer's journal, and the one journal of earlier versions */
		char *own = journal_path(t), *shared = xasprintf("%s/inflight.json", mdir);
		if (own)
			recover_inflight(t, own);
		if (shared)
			recover_inflight(t, shared);
		free(own);
		free(shared);
	}
	free(mdir);
	return ok;
}

void ice_table_close(IceTable *t)
{
	free_columns(t);
	free_manifests(t);
	if (t->meta)
		json_decref(t->meta);
	free(t->name);
	free(t->dir);
	free(t->pending_manifest);
	free(t->pending_deletes);
	free(t->pending_list);
	memset(t, 0, sizeof(*t));
}

void ice_table_set_identifiers(IceTable *t, const int *ids, int n)
{
	if (n > (int)(sizeof(t->ident) / sizeof(t->ident[0])))
		n = (int)(sizeof(t->ident) / sizeof(t->ident[0]));
	if (n == t->nident && memcmp(ids, t->ident, (size_t)n * sizeof(int)) == 0)
		return;
	memcpy(t->ident, ids, (size_t)n * sizeof(int));
	t->nident = n;
	/* identifier fields are required */
	for (int i = 0; i < t->ncols; i++)
		for (int k = 0; k < n; k++)
			if (t->cols[i].id == ids[k])
				t->cols[i].required = true;
	t->schema_changed = true;
}

int ice_table_column(IceTable *t, const char *name, const char *type, bool required)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return t->cols[i].id;
	IceColumn *c = realloc(t->cols, (size_t)(t->ncols + 1) * sizeof(*c));
	if (!c)
		return -1;
	t->cols = c;
	c = &t->cols[t->ncols++];
	c->name = strdup(name);
	c->type = strdup(type);
	c->id = ++t->last_column_id;
	/* a column added to a table with snapshots is optional: older files lack it */
	c->required = required && t->version == 0;
	t->schema_changed = true;
	return c->id;
}

char *ice_table_data_path(IceTable *t, int32_t day)
{
	int64_t y;
	unsigned m, d;
	lake_civil_from_days(day, &y, &m, &d);
	char *dir = !t->mirror     ? xasprintf("%s/data/dt=%04" PRId64 "-%02u-%02u", t->dir, y, m, d)
		    : t->buckets > 0 ? xasprintf("%s/data/key_bucket=%d", t->dir, (int)day)
				     : xasprintf("%s/data", t->dir);
	if (!dir || !ice_mkdirs(dir)) {
		free(dir);
		return NULL;
	}
	char uuid[37];
	ice_uuid(uuid);
	char *p = xasprintf("%s/%s.parquet", dir, uuid);
	free(dir);
	return p;
}

bool ice_table_begin(IceTable *t, char *const *paths, int n, char *err, size_t errlen)
{
	char uuid[37];
	free(t->pending_manifest);
	free(t->pending_deletes);
	free(t->pending_list);
	int64_t snap;
	if (RAND_bytes((unsigned char *)&snap, sizeof(snap)) != 1)
		snap = now_ms();
	snap &= INT64_MAX;
	t->pending_snap = snap ? snap : 1;
	ice_uuid(uuid);
	t->pending_manifest = xasprintf("%s/metadata/%s-m0.avro", t->dir, uuid);
	t->pending_deletes = xasprintf("%s/metadata/%s-m1.avro", t->dir, uuid);
	t->pending_list = xasprintf("%s/metadata/snap-%" PRId64 "-1-%s.avro", t->dir, t->pending_snap, uuid);
	json_t *files = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(files, json_string(paths[i]));
	json_array_append_new(files, json_string(t->pending_manifest));
	json_array_append_new(files, json_string(t->pending_deletes));
	json_array_append_new(files, json_string(t->pending_list));
	json_t *j = json_pack("{s:i,s:I,s:o}", "version", t->version + 1, "snapshot", (json_int_t)t->pending_snap, "files",
		files);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	char *journal = journal_path(t);
	bool ok = text && journal && store_put(journal, text, strlen(text), err, errlen);
	if (ok) {
		char *mdir = xasprintf("%s/metadata", t->dir);
		ok = mdir && store_sync_dir(mdir);
		free(mdir);
	}
	free(journal);
	free(text);
	json_decref(j);
	return ok;
}

static void put_le32(uint8_t *b, int32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)((uint32_t)v >> (8 * i));
}

/* One map<int, long> or map<int, bytes> of the data_file (an Avro array of key/value records). */
static void set_map(avro_value_t *df, const char *name, const PqFileStats *st, int which)
{
	avro_value_t f, arr, e, k, v;
	if (avro_value_get_by_name(df, name, &f, NULL) != 0 || avro_value_set_branch(&f, 1, &arr) != 0)
		return;
	for (int c = 0; c < st->ncols; c++) {
		const PqColStats *cs = &st->cols[c];
		if ((which >= 4 && !cs->has_bounds) || (which == 3 && cs->nans == 0))
			continue;
		avro_value_append(&arr, &e, NULL);
		avro_value_get_by_name(&e, "key", &k, NULL);
		avro_value_set_int(&k, cs->field_id);
		avro_value_get_by_name(&e, "value", &v, NULL);
		switch (which) {
		case 0: avro_value_set_long(&v, cs->size); break;
		case 1: avro_value_set_long(&v, cs->values); break;
		case 2: avro_value_set_long(&v, cs->nulls); break;
		case 3: avro_value_set_long(&v, cs->nans); break;
		case 4: avro_value_set_bytes(&v, (void *)cs->lower, cs->lower_len); break;
		case 5: avro_value_set_bytes(&v, (void *)cs->upper, cs->upper_len); break;
		}
	}
}

static json_t *schema_json(const IceTable *t, int schema_id)
{
	json_t *fields = json_array();
	for (int i = 0; i < t->ncols; i++)
		json_array_append_new(fields, json_pack("{s:i,s:s,s:b,s:s}", "id", t->cols[i].id, "name", t->cols[i].name,
			"required", t->cols[i].required, "type", t->cols[i].type));
	json_t *s = json_pack("{s:s,s:i,s:o}", "type", "struct", "schema-id", schema_id, "fields", fields);
	if (s && t->nident) {
		json_t *ids = json_array();
		for (int i = 0; i < t->nident; i++)
			json_array_append_new(ids, json_integer(t->ident[i]));
		json_object_set_new(s, "identifier-field-ids", ids);
	}
	return s;
}

static int commit_ts_id(const IceTable *t)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, ICE_COMMIT_TS) == 0)
			return t->cols[i].id;
	return 0;
}

static json_t *partition_fields(const IceTable *t)
{
	if (t->mirror && t->buckets > 0 && t->nident > 0) {
		char transform[32];
		snprintf(transform, sizeof(transform), "bucket[%d]", t->buckets);
		return json_pack("[{s:s,s:s,s:i,s:i}]", "name", "key_bucket", "transform", transform, "source-id",
			t->ident[0], "field-id", PARTITION_FIELD_ID);
	}
	if (t->mirror)
		return json_array();
	return json_pack("[{s:s,s:s,s:i,s:i}]", "name", "dt", "transform", "day", "source-id", commit_ts_id(t), "field-id",
		PARTITION_FIELD_ID);
}

bool ice_manifest_init(const IceTable *t, AvroOcf *o, bool deletes, int schema_id, char *err, size_t errlen)
{
	const char *part = !t->mirror ? manifest_day_field : t->buckets > 0 ? manifest_bucket_field : "";
	char *schema = xasprintf("%s%s%s", manifest_head, part, manifest_tail);
	bool ok = schema && avro_ocf_init(o, schema, err, errlen);
	free(schema);
	if (!ok)
		return false;
	json_t *s = schema_json(t, schema_id), *spec = partition_fields(t);
	char *st = json_dumps(s, JSON_COMPACT), *sp = json_dumps(spec, JSON_COMPACT);
	char sid[16];
	snprintf(sid, sizeof(sid), "%d", schema_id);
	avro_ocf_meta(o, "schema", st);
	avro_ocf_meta(o, "schema-id", sid);
	avro_ocf_meta(o, "partition-spec", sp);
	avro_ocf_meta(o, "partition-spec-id", "0");
	avro_ocf_meta(o, "format-version", "2");
	avro_ocf_meta(o, "content", deletes ? "deletes" : "data");
	free(st);
	free(sp);
	json_decref(s);
	json_decref(spec);
	return true;
}

/* The manifest of the files of one kind (data, or equality deletes) at path. */
static bool write_manifest(IceTable *t, const IceDataFile *files, int n, bool deletes, const char *path, int64_t snap,
	long data_seq, long seq, int schema_id, long *len, char *err, size_t errlen)
{
	AvroOcf o;
	bool ok = ice_manifest_init(t, &o, deletes, schema_id, err, errlen);
	for (int i = 0; ok && i < n; i++) {
		const IceDataFile *df = &files[i];
		if (df->deletes != deletes)
			continue;
		avro_value_t *r = avro_ocf_record(&o), d, part, f, b;
		avro_set_int(r, "status", 1); /* ADDED */
		avro_set_long(r, "snapshot_id", snap);
		avro_set_long(r, "sequence_number", data_seq);
		avro_set_long(r, "file_sequence_number", seq);
		avro_value_get_by_name(r, "data_file", &d, NULL);
		avro_set_int(&d, "content", deletes ? 2 : 0); /* data or equality deletes */
		char *uri = store_uri(df->path);
		avro_set_string(&d, "file_path", uri ? uri : "");
		free(uri);
		avro_set_string(&d, "file_format", "PARQUET");
		avro_value_get_by_name(&d, "partition", &part, NULL);
		if (!t->mirror)
			avro_set_int(&part, "dt", df->day);
		else if (t->buckets > 0)
			avro_set_int(&part, "key_bucket", df->day);
		avro_set_long(&d, "record_count", df->stats.rows);
		avro_set_long(&d, "file_size_in_bytes", df->stats.size);
		set_map(&d, "column_sizes", &df->stats, 0);
		set_map(&d, "value_counts", &df->stats, 1);
		set_map(&d, "null_value_counts", &df->stats, 2);
		set_map(&d, "nan_value_counts", &df->stats, 3);
		set_map(&d, "lower_bounds", &df->stats, 4);
		set_map(&d, "upper_bounds", &df->stats, 5);
		avro_set_null(&d, "key_metadata");
		if (avro_value_get_by_name(&d, "split_offsets", &f, NULL) == 0 && avro_value_set_branch(&f, 1, &b) == 0)
			for (int k = 0; k < df->stats.nsplits; k++) {
				avro_value_t e;
				avro_value_append(&b, &e, NULL);
				avro_value_set_long(&e, df->stats.split_offsets[k]);
			}
		if (deletes && avro_value_get_by_name(&d, "equality_ids", &f, NULL) == 0 &&
			avro_value_set_branch(&f, 1, &b) == 0)
			for (int k = 0; k < t->nident; k++) {
				avro_value_t e;
				avro_value_append(&b, &e, NULL);
				avro_value_set_int(&e, t->ident[k]);
			}
		else
			avro_set_null(&d, "equality_ids");
		if (deletes)
			avro_set_null(&d, "sort_order_id");
		else
			avro_set_int(&d, "sort_order_id", 0);
		if (!avro_ocf_append(&o)) {
			snprintf(err, errlen, "manifest: %s", avro_strerror());
			ok = false;
		}
	}
	ok = ok && avro_ocf_write(&o, path, len, err, errlen);
	avro_ocf_cleanup(&o);
	return ok;
}

static void manifest_record(avro_value_t *r, const IceManifest *m)
{
	char *uri = store_uri(m->path);
	avro_set_string(r, "manifest_path", uri ? uri : "");
	free(uri);
	avro_set_long(r, "manifest_length", m->length);
	avro_set_int(r, "partition_spec_id", m->spec_id);
	avro_set_int(r, "content", m->content);
	avro_set_long(r, "sequence_number", m->seq);
	avro_set_long(r, "min_sequence_number", m->min_seq);
	avro_set_long(r, "added_snapshot_id", m->snapshot_id);
	avro_set_int(r, "added_files_count", m->added_files);
	avro_set_int(r, "existing_files_count", m->existing_files);
	avro_set_int(r, "deleted_files_count", m->deleted_files);
	avro_set_long(r, "added_rows_count", m->added_rows);
	avro_set_long(r, "existing_rows_count", m->existing_rows);
	avro_set_long(r, "deleted_rows_count", m->deleted_rows);
	avro_value_t f, arr, e, x, b;
	if (m->part_summary && avro_value_get_by_name(r, "partitions", &f, NULL) == 0 &&
		avro_value_set_branch(&f, 1, &arr) == 0 && avro_value_append(&arr, &e, NULL) == 0) {
		avro_value_get_by_name(&e, "contains_null", &x, NULL);
		avro_value_set_boolean(&x, m->part_null);
		avro_set_null(&e, "contains_nan");
		uint8_t lo[4], hi[4];
		put_le32(lo, m->part_lower);
		put_le32(hi, m->part_upper);
		if (m->part_bounds && avro_value_get_by_name(&e, "lower_bound", &x, NULL) == 0 &&
			avro_value_set_branch(&x, 1, &b) == 0)
			avro_value_set_bytes(&b, lo, 4);
		else
			avro_set_null(&e, "lower_bound");
		if (m->part_bounds && avro_value_get_by_name(&e, "upper_bound", &x, NULL) == 0 &&
			avro_value_set_branch(&x, 1, &b) == 0)
			avro_value_set_bytes(&b, hi, 4);
		else
			avro_set_null(&e, "upper_bound");
	} else
		avro_set_null(r, "partitions");
	avro_set_null(r, "key_metadata");
}

static bool write_manifest_list(IceTable *t, const IceManifest *added, int nadded, bool replace, const char *path,
	int64_t snap, long seq, char *err, size_t errlen)
{
	AvroOcf o;
	long len;
	bool ok = avro_ocf_init(&o, manifest_list_schema, err, errlen);
	char buf[32];
	if (ok) {
		snprintf(buf, sizeof(buf), "%" PRId64, snap);
		avro_ocf_meta(&o, "snapshot-id", buf);
		snprintf(buf, sizeof(buf), "%" PRId64, t->snapshot_id);
		if (t->snapshot_id)
			avro_ocf_meta(&o, "parent-snapshot-id", buf);
		snprintf(buf, sizeof(buf), "%ld", seq);
		avro_ocf_meta(&o, "sequence-number", buf);
		avro_ocf_meta(&o, "format-version", "2");
	}
	/* the new manifests first, then the parent's (none when replaced) */
	int nold = replace ? 0 : t->nmanifests;
	for (int i = 0; ok && i < nadded + nold; i++) {
		manifest_record(avro_ocf_record(&o), i < nadded ? &added[i] : &t->manifests[i - nadded]);
		if (!avro_ocf_append(&o)) {
			snprintf(err, errlen, "manifest list: %s", avro_strerror());
			ok = false;
		}
	}
	ok = ok && avro_ocf_write(&o, path, &len, err, errlen);
	avro_ocf_cleanup(&o);
	return ok;
}

/* The version hint says version (readers such as icebird start there):
 * the flushes and the maintenance thread commit at once, so a hint is
 * written only while the next version is not there yet, under a lock
 * both take. */
static void write_hint(const char *mdir, int version)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char hint[16], *hpath = xasprintf("%s/version-hint.text", mdir);
	char *next = xasprintf("%s/v%d.metadata.json", mdir, version + 1);
	snprintf(hint, sizeof(hint), "%d", version);
	char herr[256] = "";
	Buf b;
	buf_init(&b);
	pthread_mutex_lock(&lock);
	StoreResult later = next ? store_get(next, &b, herr, sizeof(herr)) : STORE_ERROR;
	if (later == STORE_MISSING && (!hpath || !store_put(hpath, hint, strlen(hint), herr, sizeof(herr))))
		fprintf(stderr, "dosql-lake: %s (the next open finds the newest version anyway)\n", herr);
	pthread_mutex_unlock(&lock);
	buf_cleanup(&b);
	free(next);
	free(hpath);
}

/* The commit point: vN+1 (mpath) made only if absent (link() locally; on
 * S3 a conditional PUT or a PUT under the table's lock), so a concurrent
 * writer's version is never replaced (STORE_EXISTS then); then the
 * version hint, and the journal of the commit goes. */
static StoreResult publish_version(IceTable *t, json_t *meta, const char *mpath, char *err, size_t errlen)
{
	char *text = json_dumps(meta, JSON_INDENT(2));
	StoreResult res = text ? store_put_if_absent(mpath, text, strlen(text), err, errlen) : STORE_ERROR;
	if (res == STORE_EXISTS)
		snprintf(err, errlen, "%s: another writer made this version first", mpath);
	free(text);
	char *mdir = res == STORE_OK ? xasprintf("%s/metadata", t->dir) : NULL;
	bool ok = mdir != NULL;
	if (ok) {
		write_hint(mdir, t->version + 1);
		char *journal = journal_path(t);
		if (journal)
			store_delete(journal);
		free(journal);
	}
	free(mdir);
	return ok ? STORE_OK : res == STORE_OK ? STORE_ERROR : res;
}

/* The table's current version as the newest entry of meta's metadata-log. */
static void log_previous_version(IceTable *t, json_t *meta, int64_t ms)
{
	char *loc = xasprintf("%s/metadata/v%d.metadata.json", t->dir, t->version);
	char *uri = loc ? store_uri(loc) : NULL;
	json_array_append_new(json_object_get(meta, "metadata-log"),
		json_pack("{s:I,s:s}", "timestamp-ms", (json_int_t)ms, "metadata-file", uri ? uri : ""));
	free(uri);
	free(loc);
}

/* The new manifests first in the table's manifest list (paths copied). */
static void prepend_manifests(IceTable *t, const IceManifest *added, int nadded)
{
	if (nadded == 0)
		return;
	IceManifest *grown = realloc(t->manifests, (size_t)(t->nmanifests + nadded) * sizeof(*grown));
	if (!grown)
		return;
	memmove(grown + nadded, grown, (size_t)t->nmanifests * sizeof(*grown));
	for (int i = 0; i < nadded; i++) {
		grown[i] = added[i];
		grown[i].path = strdup(added[i].path);
	}
	t->manifests = grown;
	t->nmanifests += nadded;
}

/* One attempt of ice_table_commit; *lost when another writer made the version first. */
static bool commit_once(IceTable *t, const IceDataFile *files, int n, uint64_t lsn, bool replace, bool *lost,
	char *err, size_t errlen)
{
	err[0] = 0;
	int64_t snap = t->pending_snap;
	long seq = t->meta ? (long)json_integer_value(json_object_get(t->meta, "last-sequence-number")) + 1 : 1;
	int64_t ms = now_ms();
	json_t *meta = t->meta ? json_deep_copy(t->meta) : NULL;
	int schema_id = meta ? (int)json_integer_value(json_object_get(meta, "current-schema-id")) : 0;
	if (meta && t->schema_changed) {
		size_t i;
		json_t *s;
		json_array_foreach(json_object_get(meta, "schemas"), i, s)
		{
			int id = (int)json_integer_value(json_object_get(s, "schema-id"));
			if (id >= schema_id)
				schema_id = id + 1;
		}
		json_array_append_new(json_object_get(meta, "schemas"), schema_json(t, schema_id));
		json_object_set_new(meta, "current-schema-id", json_integer(schema_id));
	}
	if (!meta) {
		char uuid[37];
		ice_uuid(uuid);
		char *loc = store_uri(t->dir);
		meta = json_pack("{s:i,s:s,s:s,s:i,s:I,s:i,s:i,s:[o],s:i,s:[{s:i,s:o}],s:i,s:i,s:[{s:i,s:[]}],s:{s:s},s:[],s:[],s:[]}",
			"format-version", 2, "table-uuid", uuid, "location", loc ? loc : "", "last-sequence-number", 0,
			"last-updated-ms", (json_int_t)ms, "last-column-id", t->last_column_id, "current-schema-id", 0, "schemas",
			schema_json(t, 0), "default-spec-id", 0, "partition-specs", "spec-id", 0, "fields", partition_fields(t),
			"last-partition-id", PARTITION_FIELD_ID, "default-sort-order-id", 0, "sort-orders", "order-id", 0,
			"fields", "properties", "write.format.default", "parquet", "snapshots", "snapshot-log", "metadata-log");
		free(loc);
		if (!meta) {
			snprintf(err, errlen, "%s: could not build the metadata", t->dir);
			return false;
		}
	}

	/* a manifest per kind of the new files, data (0) and deletes (1), each
	 * with its partition summary */
	IceManifest added[2];
	int nadded = 0;
	int64_t new_rows = 0, new_deletes = 0;
	int ndata = 0, ndel = 0;
	bool ok = t->pending_list && t->pending_manifest && t->pending_deletes;
	for (int kind = 0; ok && kind < 2; kind++) {
		IceManifest m = {.path = kind ? t->pending_deletes : t->pending_manifest, .spec_id = 0, .content = kind,
			.seq = seq, .min_seq = seq, .snapshot_id = snap, .part_summary = ice_table_partitioned(t)};
		for (int i = 0; i < n; i++) {
			if (files[i].deletes != (kind == 1))
				continue;
			m.added_files++;
			m.added_rows += files[i].stats.rows;
			if (!m.part_bounds || files[i].day < m.part_lower)
				m.part_lower = files[i].day;
			if (!m.part_bounds || files[i].day > m.part_upper)
				m.part_upper = files[i].day;
			m.part_bounds = true;
		}
		if (m.added_files == 0)
			continue;
		if (kind) {
			ndel = m.added_files;
			new_deletes = m.added_rows;
		} else {
			ndata = m.added_files;
			new_rows = m.added_rows;
		}
		ok = write_manifest(t, files, n, kind == 1, m.path, snap, seq, seq, schema_id, &m.length, err, errlen);
		added[nadded++] = m;
	}
	const char *list = t->pending_list;
	ok = ok && write_manifest_list(t, added, nadded, replace, list, snap, seq, err, errlen);

	/* the snapshot */
	char lsnbuf[32], nbuf[32], rbuf[32], tfbuf[32], trbuf[32];
	int64_t files_before = replace ? 0 : t->files, rows_before = replace ? 0 : t->rows;
	snprintf(lsnbuf, sizeof(lsnbuf), "%" PRIu64, lsn);
	snprintf(nbuf, sizeof(nbuf), "%d", ndata);
	snprintf(rbuf, sizeof(rbuf), "%" PRId64, new_rows);
	snprintf(tfbuf, sizeof(tfbuf), "%" PRId64, files_before + ndata);
	snprintf(trbuf, sizeof(trbuf), "%" PRId64, rows_before + new_rows);
	char *list_uri = list ? store_uri(list) : NULL;
	json_t *snapshot = ok ? json_pack("{s:I,s:I,s:I,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s},s:i}", "snapshot-id",
					(json_int_t)snap, "sequence-number", (json_int_t)seq, "timestamp-ms", (json_int_t)ms,
					"manifest-list", list_uri ? list_uri : "", "summary", "operation",
					replace || ndel ? "overwrite" : "append", "dosql.lsn",
					lsnbuf, "added-data-files", nbuf, "added-records", rbuf, "total-data-files", tfbuf,
					"total-records", trbuf, "schema-id", schema_id)
				  : NULL;
	free(list_uri);
	if (snapshot && ndel) {
		char dbuf[32], dfbuf[32];
		snprintf(dbuf, sizeof(dbuf), "%" PRId64, new_deletes);
		snprintf(dfbuf, sizeof(dfbuf), "%d", ndel);
		json_t *sum = json_object_get(snapshot, "summary");
		json_object_set_new(sum, "added-delete-files", json_string(dfbuf));
		json_object_set_new(sum, "added-equality-delete-files", json_string(dfbuf));
		json_object_set_new(sum, "added-equality-deletes", json_string(dbuf));
	}
	if (snapshot && t->snapshot_id)
		json_object_set_new(snapshot, "parent-snapshot-id", json_integer(t->snapshot_id));
	char *mpath = xasprintf("%s/metadata/v%d.metadata.json", t->dir, t->version + 1);
	if (ok && snapshot && mpath) {
		json_array_append_new(json_object_get(meta, "snapshots"), snapshot);
		snapshot = NULL;
		json_object_set_new(meta, "current-snapshot-id", json_integer(snap));
		json_object_set_new(meta, "refs", json_pack("{s:{s:I,s:s}}", "main", "snapshot-id", (json_int_t)snap, "type", "branch"));
		json_array_append_new(json_object_get(meta, "snapshot-log"),
			json_pack("{s:I,s:I}", "timestamp-ms", (json_int_t)ms, "snapshot-id", (json_int_t)snap));
		if (t->version > 0)
			log_previous_version(t, meta, ms);
		json_object_set_new(meta, "last-sequence-number", json_integer(seq));
		json_object_set_new(meta, "last-updated-ms", json_integer(ms));
		json_object_set_new(meta, "last-column-id", json_integer(t->last_column_id));
		StoreResult res = publish_version(t, meta, mpath, err, errlen);
		*lost = res == STORE_EXISTS;
		ok = res == STORE_OK;
	} else if (ok) {
		snprintf(err, errlen, "%s: could not build the snapshot", t->dir);
		ok = false;
	}
	json_decref(snapshot);
	free(mpath);
	if (!ok) {
		json_decref(meta);
		return false;
	}
	/* the table now is the new version */
	json_decref(t->meta);
	t->meta = meta;
	t->version++;
	t->schema_changed = false;
	if (replace)
		free_manifests(t);
	prepend_manifests(t, added, nadded);
	t->lsn = lsn;
	t->snapshot_id = snap;
	t->snapshot_ms = ms;
	t->files = files_before + ndata;
	t->rows = rows_before + new_rows;
	return true;
}

/* True when meta's current schema is this writer's columns, or their
 * first ones with this writer's later columns' ids still free (those are
 * then committed as a new schema). */
static bool columns_agree(IceTable *t, json_t *meta)
{
	json_int_t cur = json_integer_value(json_object_get(meta, "current-schema-id"));
	json_t *fields = NULL, *s;
	size_t i;
	json_array_foreach(json_object_get(meta, "schemas"), i, s)
		if (json_integer_value(json_object_get(s, "schema-id")) == cur)
			fields = json_object_get(s, "fields");
	size_t n = json_array_size(fields);
	if (!fields || n > (size_t)t->ncols)
		return false;
	int maxid = 0;
	for (i = 0; i < n; i++) {
		json_t *f = json_array_get(fields, i);
		const char *name = json_string_value(json_object_get(f, "name")), *type = json_string_value(json_object_get(f, "type"));
		int id = (int)json_integer_value(json_object_get(f, "id"));
		if (id != t->cols[i].id || !name || strcmp(name, t->cols[i].name) != 0 || !type ||
			strcmp(type, t->cols[i].type) != 0)
			return false;
		maxid = id > maxid ? id : maxid;
	}
	if (n < (size_t)t->ncols) {
		if (json_integer_value(json_object_get(meta, "last-column-id")) > maxid)
			return false;
		t->schema_changed = true;
	}
	return true;
}

/* The table's newest version's metadata, t->version set to it; NULL
 * (t->version as it was) when there is none newer. */
static json_t *newest_meta(IceTable *t, char *err, size_t errlen)
{
	char *mdir = xasprintf("%s/metadata", t->dir);
	int was = t->version;
	bool ok = mdir && store_list(mdir, newest_version, t, err, errlen);
	char *path = ok && t->version > was ? xasprintf("%s/v%d.metadata.json", mdir, t->version) : NULL;
	StoreResult res;
	json_t *meta = path ? load_json(path, &res, err, errlen) : NULL;
	free(path);
	free(mdir);
	if (!meta) {
		if (!err[0])
			snprintf(err, errlen, "%s: no newer version than v%d", t->dir, was);
		t->version = was;
	}
	return meta;
}

/* After another writer made the version a commit wanted: the table's
 * newest version, its snapshot and manifest list become the ones the
 * commit follows, unless that writer changed the schema or holds changes
 * past lsn (then the commit would lose them or write them twice). */
static bool refresh(IceTable *t, uint64_t lsn, char *err, size_t errlen)
{
	int was = t->version;
	json_t *meta = newest_meta(t, err, errlen);
	if (meta && !columns_agree(t, meta)) {
		snprintf(err, errlen, "%s: v%d: another writer changed the table's schema", t->dir, t->version);
		json_decref(meta);
		t->version = was;
		return false;
	}
	if (!meta)
		return false;
	json_decref(t->meta);
	t->meta = meta;
	if (!load_snapshot(t, err, errlen))
		return false;
	if (t->lsn >= lsn) {
		snprintf(err, errlen, "%s: another writer's snapshot %" PRId64 " holds changes up to LSN %" PRIu64
			" (this commit's end: %" PRIu64 ")", t->dir, t->snapshot_id, t->lsn, lsn);
		return false;
	}
	return true;
}

bool ice_table_commit(IceTable *t, const IceDataFile *files, int n, uint64_t lsn, bool replace, char *err,
	size_t errlen)
{
	for (int attempt = 1;; attempt++) {
		bool lost = false;
		if (commit_once(t, files, n, lsn, replace, &lost, err, errlen))
			return true;
		if (!lost || attempt == ICE_COMMIT_ATTEMPTS)
			return false;
		fprintf(stderr, "dosql-lake: %s; reading the table again to commit after it\n", err);
		err[0] = 0;
		if (!refresh(t, lsn, err, errlen))
			return false;
	}
}

bool ice_write_data_manifest(IceTable *t, const IceDataFile *files, int n, const char *path, int64_t snap,
	long data_seq, long seq, int schema_id, long *len, char *err, size_t errlen)
{
	return write_manifest(t, files, n, false, path, snap, data_seq, seq, schema_id, len, err, errlen);
}

bool ice_write_manifest_list(IceTable *t, const IceManifest *m, int n, const char *path, int64_t snap, long seq,
	char *err, size_t errlen)
{
	return write_manifest_list(t, m, n, true, path, snap, seq, err, errlen);
}

bool ice_table_write_version(IceTable *t, json_t *meta, int64_t ms, bool *lost, char *err, size_t errlen)
{
	err[0] = 0;
	*lost = false;
	char *mpath = xasprintf("%s/metadata/v%d.metadata.json", t->dir, t->version + 1);
	log_previous_version(t, meta, ms);
	json_object_set_new(meta, "last-updated-ms", json_integer(ms));
	/* the commit point, as in ice_table_commit */
	StoreResult res = mpath ? publish_version(t, meta, mpath, err, errlen) : STORE_ERROR;
	*lost = res == STORE_EXISTS;
	if (res == STORE_OK) {
		json_decref(t->meta);
		t->meta = meta;
		t->version++;
	} else {
		if (!err[0])
			snprintf(err, errlen, "%s: could not write the metadata", t->dir);
		json_decref(meta);
	}
	free(mpath);
	return res == STORE_OK;
}

bool ice_table_reload(IceTable *t, char *err, size_t errlen)
{
	err[0] = 0;
	json_t *meta = newest_meta(t, err, errlen);
	if (!meta)
		return false;
	json_decref(t->meta);
	t->meta = meta;
	return load_snapshot(t, err, errlen);
}
