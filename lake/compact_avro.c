/*
 * compact_avro.c - manifests and manifest lists read record by record (see
 * compact_avro.h).  Field names: Iceberg Table Spec v2, "Manifests" and
 * "Manifest Lists".
 */
#include "compact_avro.h"

#include <stdio.h>
#include <string.h>

#include "lake/avro.h"

bool lake_avro_each(const char *path, bool (*fn)(avro_value_t *rec, void *arg), void *arg, char *err, size_t errlen)
{
	avro_file_reader_t r;
	if (avro_file_reader(path, &r) != 0) {
		snprintf(err, errlen, "%s: %s", path, avro_strerror());
		return false;
	}
	avro_schema_t ws = avro_file_reader_get_writer_schema(r);
	avro_value_iface_t *iface = avro_generic_class_from_schema(ws);
	avro_value_t v;
	bool ok = iface && avro_generic_value_new(iface, &v) == 0;
	if (ok) {
		int rc;
		while (ok && (rc = avro_file_reader_read_value(r, &v)) == 0) {
			ok = fn(&v, arg);
			avro_value_reset(&v);
		}
		if (ok && rc != EOF) {
			snprintf(err, errlen, "%s: %s", path, avro_strerror());
			ok = false;
		}
		avro_value_decref(&v);
	} else
		snprintf(err, errlen, "%s: %s", path, avro_strerror());
	if (iface)
		avro_value_iface_decref(iface);
	avro_schema_decref(ws);
	avro_file_reader_close(r);
	return ok;
}

static bool get_long(avro_value_t *rec, const char *name, int64_t *out)
{
	avro_value_t f;
	return avro_value_get_by_name(rec, name, &f, NULL) == 0 && avro_value_get_long(&f, out) == 0;
}

static bool get_int(avro_value_t *rec, const char *name, int32_t *out)
{
	avro_value_t f;
	return avro_value_get_by_name(rec, name, &f, NULL) == 0 && avro_value_get_int(&f, out) == 0;
}

bool lake_avro_entry(avro_value_t *rec, LakeEntry *e)
{
	memset(e, 0, sizeof(*e));
	avro_value_t d, f, part;
	int32_t i32 = 0;
	int64_t i64 = 0;
	if (!get_int(rec, "status", &i32) || avro_value_get_by_name(rec, "data_file", &d, NULL) != 0)
		return false;
	e->status = i32;
	if (avro_opt(rec, "snapshot_id", &f) && avro_value_get_long(&f, &i64) == 0)
		e->snap = i64;
	if (avro_opt(rec, "sequence_number", &f) && avro_value_get_long(&f, &i64) == 0)
		e->seq = (long)i64;
	size_t n;
	if (!get_int(&d, "content", &i32) || avro_value_get_by_name(&d, "file_path", &f, NULL) != 0 ||
		avro_value_get_string(&f, &e->path, &n) != 0 || !get_long(&d, "record_count", &e->rows) ||
		!get_long(&d, "file_size_in_bytes", &e->size))
		return false;
	e->content = i32;
	if (avro_value_get_by_name(&d, "partition", &part, NULL) == 0 && avro_opt(&part, "dt", &f) &&
		avro_value_get_int(&f, &i32) == 0)
		e->day = i32;
	return true;
}

const char *lake_avro_manifest_path(avro_value_t *rec)
{
	avro_value_t f;
	const char *s = NULL;
	size_t n;
	if (avro_value_get_by_name(rec, "manifest_path", &f, NULL) != 0 || avro_value_get_string(&f, &s, &n) != 0)
		return NULL;
	return s;
}

const char *lake_local_path(const char *uri) { return strncmp(uri, "file://", 7) == 0 ? uri + 7 : uri; }
