/*
 * config.c - the settings table and its JSON reader.
 */
#include "config.h"

#include <jansson.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum SettingKind { S_STRING, S_PATH, S_COUNT, S_MS, S_BYTES, S_MODE, S_CODEC, S_TABLES, S_HTTP, S_MS0 } SettingKind;

typedef struct Setting {
	const char *key;
	SettingKind kind;
	size_t offset;
	const char *dflt_str;
	int64_t dflt;
	const char *expect;
} Setting;

#define OFF(f) offsetof(LakeConfig, f)

static const Setting settings[] = {
	{"source", S_STRING, OFF(source), "host=127.0.0.1 port=6432 user=dosql dbname=dosql", 0,
		"a libpq connection string of the router"},
	{"slot", S_STRING, OFF(slot), "dolake", 0, "a replication slot name"},
	{"publication", S_STRING, OFF(publication), "dolake", 0, "a publication name"},
	{"tables", S_TABLES, OFF(tables), NULL, 0, "an array of table names"},
	{"warehouse", S_PATH, OFF(warehouse), "warehouse", 0, "the warehouse directory"},
	{"namespace", S_STRING, OFF(namespace_), "dosql", 0, "a namespace name"},
	{"mode", S_MODE, OFF(mode), NULL, LAKE_CHANGELOG, "\"changelog\" or \"mirror\""},
	{"flushThresholdEvents", S_COUNT, OFF(flush_threshold_events), NULL, 10000, "a positive number of events"},
	{"flushThresholdBytes", S_BYTES, OFF(flush_threshold_bytes), NULL, 52428800, "a positive number of bytes"},
	{"flushThresholdMs", S_MS, OFF(flush_threshold_ms), NULL, 60000, "a positive number of milliseconds"},
	{"flushIntervalMs", S_MS, OFF(flush_interval_ms), NULL, 30000, "a positive number of milliseconds"},
	{"maxBufferSize", S_BYTES, OFF(max_buffer_size), NULL, 104857600, "a positive number of bytes"},
	{"parquetRowGroupSize", S_COUNT, OFF(parquet_row_group_size), NULL, 100000, "a positive number of rows"},
	{"parquetCompression", S_CODEC, OFF(compression), NULL, PQ_SNAPPY,
		"\"none\", \"snappy\", \"gzip\" or \"zstd\""},
	{"deduplicationWindowMs", S_MS, OFF(dedup_window_ms), NULL, 300000, "a positive number of milliseconds"},
	{"http", S_HTTP, OFF(http_host), NULL, 0, "{\"host\": string, \"port\": 1..65535}"},
	{"minFilesThreshold", S_COUNT, OFF(min_files_threshold), NULL, 10, "a positive number of files"},
	{"targetFileSizeBytes", S_BYTES, OFF(target_file_size_bytes), NULL, 134217728, "a positive number of bytes"},
	{"maxFilesPerCompaction", S_COUNT, OFF(max_files_per_compaction), NULL, 50, "a positive number of files"},
	{"minPartitionAgeMs", S_MS0, OFF(min_partition_age_ms), NULL, 86400000, "a number of milliseconds, 0 or more"},
	{"compactionIntervalMs", S_MS0, OFF(compaction_interval_ms), NULL, 3600000,
		"a number of milliseconds, 0 or more (0: only on request)"},
	{"snapshotRetentionMs", S_MS0, OFF(snapshot_retention_ms), NULL, 432000000, "a number of milliseconds, 0 or more"},
	{"minSnapshotsToKeep", S_COUNT, OFF(min_snapshots_to_keep), NULL, 1, "a positive number of snapshots"},
};

static char *resolve(const char *file, const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	char *copy = strdup(file);
	const char *dir = dirname(copy);
	size_t n = strlen(dir) + strlen(path) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", dir, path);
	free(copy);
	return p;
}

/* Sets one setting from v (NULL: its default).  False when v is not what
 * the setting takes. */
static bool apply(LakeConfig *c, const Setting *s, json_t *v, const char *file)
{
	char *base = (char *)c + s->offset;
	switch (s->kind) {
	case S_STRING:
	case S_PATH: {
		const char *str = v ? json_string_value(v) : s->dflt_str;
		if (!str || !str[0])
			return false;
		char **dst = (char **)(void *)base;
		free(*dst);
		*dst = s->kind == S_PATH ? resolve(file, str) : strdup(str);
		return true;
	}
	case S_COUNT:
	case S_MS:
	case S_BYTES:
		if (v && (!json_is_integer(v) || json_integer_value(v) <= 0))
			return false;
		*(int64_t *)(void *)base = v ? json_integer_value(v) : s->dflt;
		return true;
	case S_MS0:
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
			return false;
		*(int64_t *)(void *)base = v ? json_integer_value(v) : s->dflt;
		return true;
	case S_MODE:
		if (v && (!json_is_string(v) ||
			     (strcmp(json_string_value(v), "changelog") != 0 && strcmp(json_string_value(v), "mirror") != 0)))
			return false;
		*(LakeMode *)(void *)base = v && strcmp(json_string_value(v), "mirror") == 0 ? LAKE_MIRROR : LAKE_CHANGELOG;
		return true;
	case S_CODEC: {
		PqCodec codec = PQ_SNAPPY;
		if (v && (!json_is_string(v) || !pq_codec_from_name(json_string_value(v), &codec)))
			return false;
		*(PqCodec *)(void *)base = codec;
		return true;
	}
	case S_TABLES: {
		if (!v)
			return true;
		if (!json_is_array(v) || json_array_size(v) == 0)
			return false;
		char **list = calloc(json_array_size(v) + 1, sizeof(char *));
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e) || !json_string_value(e)[0]) {
				for (size_t k = 0; k < i; k++)
					free(list[k]);
				free(list);
				return false;
			}
			list[i] = strdup(json_string_value(e));
		}
		c->tables = list;
		return true;
	}
	case S_HTTP: {
		if (!v)
			return true;
		json_t *h = json_object_get(v, "host"), *p = json_object_get(v, "port");
		if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_string(h) || !json_is_integer(p) ||
			json_integer_value(p) < 1 || json_integer_value(p) > 65535)
			return false;
		c->http_host = strdup(json_string_value(h));
		c->http_port = (int)json_integer_value(p);
		return true;
	}
	}
	return false;
}

bool lake_config_load(const char *file, LakeConfig *c)
{
	memset(c, 0, sizeof(*c));
	json_error_t jerr;
	json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fprintf(stderr, "dosql-lake: %s:%d:%d: %s\n", file, jerr.line, jerr.column, jerr.text);
		return false;
	}
	bool ok = json_is_object(root);
	if (!ok)
		fprintf(stderr, "dosql-lake: %s: expected a JSON object\n", file);
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val)
	{
		bool found = false;
		for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
			found = found || strcmp(settings[i].key, key) == 0;
		if (ok && !found) {
			fprintf(stderr, "dosql-lake: %s: unknown setting \"%s\"\n", file, key);
			ok = false;
		}
	}
	for (size_t i = 0; ok && i < sizeof(settings) / sizeof(settings[0]); i++) {
		const Setting *s = &settings[i];
		if (!apply(c, s, json_object_get(root, s->key), file)) {
			fprintf(stderr, "dosql-lake: %s: %s: expected %s\n", file, s->key, s->expect);
			ok = false;
		}
	}
	json_decref(root);
	return ok;
}

void lake_config_cleanup(LakeConfig *c)
{
	free(c->source);
	free(c->slot);
	free(c->publication);
	free(c->warehouse);
	free(c->namespace_);
	free(c->http_host);
	for (char **t = c->tables; t && *t; t++)
		free(*t);
	free(c->tables);
	memset(c, 0, sizeof(*c));
}

bool lake_config_follows(const LakeConfig *c, const char *table)
{
	if (!c->tables)
		return true;
	for (char **t = c->tables; *t; t++)
		if (strcmp(*t, table) == 0)
			return true;
	return false;
}
