/*
 * avro.c - Avro object container files (see avro.h).
 */
#include "avro.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/store.h"

bool avro_ocf_init(AvroOcf *o, const char *schema_json, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->block);
	if (avro_schema_from_json_length(schema_json, strlen(schema_json), &o->schema) != 0) {
		snprintf(err, errlen, "Avro schema: %s", avro_strerror());
		return false;
	}
	o->schema_json = strdup(schema_json);
	o->iface = avro_generic_class_from_schema(o->schema);
	if (!o->iface || avro_generic_value_new(o->iface, &o->record) != 0) {
		snprintf(err, errlen, "Avro schema: %s", avro_strerror());
		return false;
	}
	return true;
}

void avro_ocf_meta(AvroOcf *o, const char *key, const char *value)
{
	if (o->nmeta < (int)(sizeof(o->meta_keys) / sizeof(o->meta_keys[0]))) {
		o->meta_keys[o->nmeta] = key;
		o->meta_values[o->nmeta++] = strdup(value);
	}
}

avro_value_t *avro_ocf_record(AvroOcf *o)
{
	avro_value_reset(&o->record);
	return &o->record;
}

bool avro_ocf_append(AvroOcf *o)
{
	size_t size;
	if (avro_value_sizeof(&o->record, &size) != 0 || !buf_reserve(&o->block, size))
		return false;
	avro_writer_t w = avro_writer_memory((char *)o->block.data + o->block.len, (int64_t)size);
	int rc = avro_value_write(w, &o->record);
	avro_writer_free(w);
	if (rc != 0)
		return false;
	o->block.len += size;
	o->count++;
	return true;
}

/* Spec, "Encodings", long: zigzag, then variable-length (LEB128). */
static void put_long(Buf *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	while (z >= 0x80) {
		buf_put_u8(b, (uint8_t)(z | 0x80));
		z >>= 7;
	}
	buf_put_u8(b, (uint8_t)z);
}

/* Spec: string and bytes are a long length, then the bytes. */
static void put_bytes(Buf *b, const void *p, size_t n)
{
	put_long(b, (int64_t)n);
	buf_put(b, p, n);
}

bool avro_ocf_write(AvroOcf *o, const char *path, long *size, char *err, size_t errlen)
{
	uint8_t sync[16];
	if (RAND_bytes(sync, sizeof(sync)) != 1) {
		snprintf(err, errlen, "no random bytes for the sync marker");
		return false;
	}
	Buf b;
	buf_init(&b);
	/* Spec, "Object Container Files": magic 'O' 'b' 'j' 1; the metadata
	 * as map<bytes> (one block of pairs, then a zero count); the sync
	 * marker; then blocks of (count, size, objects, sync). */
	buf_put(&b, "Obj\x01", 4);
	put_long(&b, 2 + o->nmeta);
	put_bytes(&b, "avro.schema", 11);
	put_bytes(&b, o->schema_json, strlen(o->schema_json));
	put_bytes(&b, "avro.codec", 10);
	put_bytes(&b, "null", 4);
	for (int i = 0; i < o->nmeta; i++) {
		put_bytes(&b, o->meta_keys[i], strlen(o->meta_keys[i]));
		put_bytes(&b, o->meta_values[i], strlen(o->meta_values[i]));
	}
	put_long(&b, 0);
	buf_put(&b, sync, 16);
	if (o->count > 0) {
		put_long(&b, o->count);
		put_long(&b, (int64_t)o->block.len);
		buf_put(&b, o->block.data, o->block.len);
		buf_put(&b, sync, 16);
	}
	bool ok = !b.failed;
	if (!ok)
		snprintf(err, errlen, "out of memory");
	else
		ok = store_put(path, b.data, b.len, err, errlen);
	*size = (long)b.len;
	buf_cleanup(&b);
	return ok;
}

void avro_ocf_cleanup(AvroOcf *o)
{
	if (o->iface) {
		avro_value_decref(&o->record);
		avro_value_iface_decref(o->iface);
	}
	if (o->schema)
		avro_schema_decref(o->schema);
	for (int i = 0; i < o->nmeta; i++)
		free(o->meta_values[i]);
	free(o->schema_json);
	buf_cleanup(&o->block);
	memset(o, 0, sizeof(*o));
}

/* The named field of rec to set: an optional field's non-null branch. */
static bool settable(avro_value_t *rec, const char *name, avro_value_t *out)
{
	avro_value_t f;
	if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
		return false;
	if (avro_value_get_type(&f) != AVRO_UNION) {
		*out = f;
		return true;
	}
	return avro_value_set_branch(&f, 1, out) == 0;
}

void avro_set_int(avro_value_t *rec, const char *name, int v)
{
	avro_value_t f;
	if (settable(rec, name, &f))
		avro_value_set_int(&f, v);
}

void avro_set_long(avro_value_t *rec, const char *name, long v)
{
	avro_value_t f;
	if (settable(rec, name, &f))
		avro_value_set_long(&f, v);
}

void avro_set_string(avro_value_t *rec, const char *name, const char *s)
{
	avro_value_t f;
	if (avro_value_get_by_name(rec, name, &f, NULL) == 0)
		avro_value_set_string(&f, s);
}

void avro_set_null(avro_value_t *rec, const char *name)
{
	avro_value_t f, b;
	if (avro_value_get_by_name(rec, name, &f, NULL) == 0 && avro_value_set_branch(&f, 0, &b) == 0)
		avro_value_set_null(&b);
}

bool avro_opt(avro_value_t *rec, const char *name, avro_value_t *out)
{
	avro_value_t f;
	int disc;
	if (avro_value_get_by_name(rec, name, &f, NULL) != 0)
		return false;
	if (avro_value_get_type(&f) != AVRO_UNION) {
		*out = f;
		return true;
	}
	return avro_value_get_discriminant(&f, &disc) == 0 && disc == 1 && avro_value_get_current_branch(&f, out) == 0;
}

bool avro_ocf_each(const char *loc, bool (*fn)(avro_value_t *rec, void *arg), void *arg, char *err, size_t errlen)
{
	err[0] = 0;
	Buf raw;
	buf_init(&raw);
	if (store_get(loc, &raw, err, errlen) != STORE_OK) {
		if (!err[0])
			snprintf(err, errlen, "%s: missing", loc);
		buf_cleanup(&raw);
		return false;
	}
	avro_file_reader_t r;
	FILE *fp = raw.len ? fmemopen(raw.data, raw.len, "rb") : NULL;
	if (!fp || avro_file_reader_fp(fp, loc, 1, &r) != 0) {
		snprintf(err, errlen, "%s: %s", loc, fp ? avro_strerror() : "not an Avro container");
		if (fp)
			fclose(fp);
		buf_cleanup(&raw);
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
			snprintf(err, errlen, "%s: %s", loc, avro_strerror());
			ok = false;
		}
		avro_value_decref(&v);
	} else
		snprintf(err, errlen, "%s: %s", loc, avro_strerror());
	if (iface)
		avro_value_iface_decref(iface);
	avro_schema_decref(ws);
	avro_file_reader_close(r);
	buf_cleanup(&raw);
	return ok;
}
