/*
 * compact_avro.c - the manifest entry fields compaction and expiry read
 * (see compact_avro.h).  Field names: Iceberg Table Spec v2, "Manifests".
 */
#include "compact_avro.h"

#include <string.h>

#include "lake/avro.h"

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
	if (avro_value_get_by_name(&d, "partition", &part, NULL) == 0 &&
		(avro_opt(&part, "dt", &f) || avro_opt(&part, "key_bucket", &f)) && avro_value_get_int(&f, &i32) == 0)
		e->day = i32;
	return true;
}
