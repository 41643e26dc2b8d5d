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

#include "lake/iceberg.h"

typedef enum SettingKind {
	S_STRING,
	S_PATH,
	S_COUNT,
	S_MS,
	S_BYTES,
	S_MODE,
	S_CODEC,
	S_TABLES,
	S_HTTP,
	S_S3,
	S_MS0,
	S_BUCKETS
} SettingKind;

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
	{"warehouse", S_PATH, OFF(warehouse), "warehouse", 0, "a directory or an s3://bucket/prefix URI"},
	{"namespace", S_STRING, OFF(namespace_), "dosql", 0, "a namespace name"},
	{"mode", S_MODE, OFF(mode), NULL, LAKE_CHANGELOG, "\"changelog\" or \"mirror\""},
	{"mirrorBuckets", S_BUCKETS, OFF(mirror_buckets), NULL, 0, "a number of buckets from 0 to 32 (0: unpartitioned)"},
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
	{"s3", S_S3, OFF(s3), NULL, 0, "an object of endpoint, region, accessKeyId, secretAccessKey, pathStyle"},
};

/* An s3://bucket[/prefix] URI without trailing slashes, or NULL when the
 * bucket name is not one S3 allows (3 to 63 of a-z 0-9 . -). */
static char *s3_warehouse(const char *uri)
{
	const char *b = uri + 5, *slash = strchr(b, '/');
	size_t blen = slash ? (size_t)(slash - b) : strlen(b);
	if (blen < 3 || blen > 63 || strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") < blen)
		return NULL;
	size_t n = strlen(uri);
	while (n > 5 + blen && uri[n - 1] == '/')
		n--;
	return strndup(uri, n);
}

static char *resolve(const char *file, const char *path)
{
	if (strncmp(path, "s3://", 5) == 0)
		return s3_warehouse(path);
	if (strstr(path, "://"))
		return NULL;
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
		return *dst != NULL;
	}
	case S_COUNT:
	case S_MS:
	case S_BYTES:
		if (v && (!json_is_integer(v) || json_integer_value(v) <= 0))
			return false;
		*(int64_t *)(void *)base = v ? json_integer_value(v) : s->dflt;
		return true;
	case S_MS0:
	case S_BUCKETS:
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
			     (s->kind == S_BUCKETS && json_integer_value(v) > ICE_MAX_BUCKETS)))
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
	case S_S3:
		return true; /* apply_s3 */
	}
	return false;
}

static const struct {
	const char *key, *env, *env2;
	size_t offset;
} s3_keys[] = {
	{"endpoint", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", offsetof(LakeS3, endpoint)},
	{"region", "AWS_REGION", "AWS_DEFAULT_REGION", offsetof(LakeS3, region)},
	{"accessKeyId", "AWS_ACCESS_KEY_ID", NULL, offsetof(LakeS3, access_key_id)},
	{"secretAccessKey", "AWS_SECRET_ACCESS_KEY", NULL, offsetof(LakeS3, secret_access_key)},
};

/* The "s3" object (each key else its AWS_* variable); prints what is
 * wrong naming s3.<key>. */
static bool apply_s3(LakeConfig *c, json_t *v, const char *file)
{
	if (v && !json_is_object(v)) {
		fprintf(stderr, "dosql-lake: %s: s3: expected an object of endpoint, region, accessKeyId, secretAccessKey, pathStyle\n",
			file);
		return false;
	}
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val)
	{
		bool known = strcmp(key, "pathStyle") == 0;
		for (size_t i = 0; i < sizeof(s3_keys) / sizeof(s3_keys[0]); i++)
			known = known || strcmp(key, s3_keys[i].key) == 0;
		if (!known) {
			fprintf(stderr, "dosql-lake: %s: s3: unknown setting \"%s\"\n", file, key);
			return false;
		}
	}
	for (size_t i = 0; i < sizeof(s3_keys) / sizeof(s3_keys[0]); i++) {
		json_t *x = json_object_get(v, s3_keys[i].key);
		const char *str = x ? json_string_value(x) : getenv(s3_keys[i].env);
		if (!x && !str && s3_keys[i].env2)
			str = getenv(s3_keys[i].env2);
		bool bad = x && (!str || !str[0]);
		if (!bad && i == 0 && str && strncmp(str, "http://", 7) != 0 && strncmp(str, "https://", 8) != 0)
			bad = true;
		if (bad) {
			fprintf(stderr, "dosql-lake: %s: s3.%s: expected %s\n", file, s3_keys[i].key,
				i == 0 ? "an http:// or https:// URL" : "a non-empty string");
			return false;
		}
		char **dst = (char **)(void *)((char *)&c->s3 + s3_keys[i].offset);
		*dst = str && str[0] ? strdup(str) : NULL;
	}
	json_t *ps = json_object_get(v, "pathStyle");
	if (ps && !json_is_boolean(ps)) {
		fprintf(stderr, "dosql-lake: %s: s3.pathStyle: expected true or false\n", file);
		return false;
	}
	/* an endpoint of one's own is most often a server that wants paths */
	c->s3.path_style = ps ? json_is_true(ps) : c->s3.endpoint != NULL;
	if (strncmp(c->warehouse, "s3://", 5) == 0 && (!c->s3.access_key_id || !c->s3.secret_access_key)) {
		fprintf(stderr,
			"dosql-lake: %s: s3: expected accessKeyId and secretAccessKey (or AWS_ACCESS_KEY_ID and "
			"AWS_SECRET_ACCESS_KEY) for the warehouse %s\n",
			file, c->warehouse);
		return false;
	}
	return true;
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
	ok = ok && apply_s3(c, json_object_get(root, "s3"), file);
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
	free(c->s3.endpoint);
	free(c->s3.region);
	free(c->s3.access_key_id);
	free(c->s3.secret_access_key);
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
