/*
 * avro.h - Avro object container files as Iceberg's manifests and manifest
 * lists are stored: values encoded by Avro C, and the container written
 * here so that the header carries Iceberg's key-value metadata (schema,
 * partition-spec, format-version, content), which Avro C's file writer
 * cannot add.
 *
 * Container layout: Avro 1.11 specification, "Object Container Files".
 */
#ifndef DOSQL_LAKE_AVRO_H
#define DOSQL_LAKE_AVRO_H

#include <avro.h>
#include <stdbool.h>

#include "common/buf.h"

typedef struct AvroOcf {
	char *schema_json; /* owned: written verbatim, with Iceberg's field ids */
	avro_schema_t schema;
	avro_value_iface_t *iface;
	avro_value_t record; /* the record being filled */
	Buf block;           /* encoded records */
	long count;
	const char *meta_keys[8];
	char *meta_values[8]; /* owned */
	int nmeta;
} AvroOcf;

/* Parses schema_json; false (with the reason in err) when Avro C refuses it. */
bool avro_ocf_init(AvroOcf *o, const char *schema_json, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Adds a key-value pair to the header (key borrowed, value copied). */
void avro_ocf_meta(AvroOcf *o, const char *key, const char *value);
/* A fresh record to fill, valid until avro_ocf_append. */
avro_value_t *avro_ocf_record(AvroOcf *o);
/* Encodes the filled record into the file's block. */
bool avro_ocf_append(AvroOcf *o) __attribute__((warn_unused_result));
/* Writes the container to path through lake/store.h (a local file is fsynced); *size gets its length. */
bool avro_ocf_write(AvroOcf *o, const char *path, long *size, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void avro_ocf_cleanup(AvroOcf *o);
/* Calls fn on every record of the container at loc (read whole through
 * lake/store.h); false (with a message in err unless fn failed) when it
 * cannot be read or fn returns false. */
bool avro_ocf_each(const char *loc, bool (*fn)(avro_value_t *rec, void *arg), void *arg, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Field helpers over Avro C's value API: the named field of a record,
 * optional fields set through their union (branch 0 is null). */
void avro_set_int(avro_value_t *rec, const char *name, int v);
void avro_set_long(avro_value_t *rec, const char *name, long v);
void avro_set_string(avro_value_t *rec, const char *name, const char *s);
void avro_set_null(avro_value_t *rec, const char *name);
/* The value of an optional field (its non-null branch). */
bool avro_opt(avro_value_t *rec, const char *name, avro_value_t *out);

#endif
