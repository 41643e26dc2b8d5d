/*
 * expire.c - snapshot expiry (see compact.h): old snapshots leave the
 * metadata, then the files only they used are deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fault.h"
#include "lake/compact.h"
#include "lake/compact_avro.h"
#include "lake/store.h"

/* The files of snapshots, as a set (a JSON object keyed by location, file:// dropped). */
typedef struct Files {
	json_t *set;
	bool live_only; /* data files of DELETED entries are not the snapshot's */
	char *err;
	size_t errlen;
} Files;

static bool add_entry(avro_value_t *rec, void *arg)
{
	Files *f = arg;
	LakeEntry e;
	if (!lake_avro_entry(rec, &e))
		return false;
	if (!f->live_only || e.status != 2)
		json_object_set_new(f->set, store_loc(e.path), json_true());
	return true;
}

/* Adds the manifest list of snapshot s, its manifests and their files to f. */
static bool add_snapshot(Files *f, json_t *s)
{
	const char *list = json_string_value(json_object_get(s, "manifest-list"));
	if (!list)
		return true;
	IceManifest *m = NULL;
	int n = 0;
	if (!ice_read_manifest_list(list, &m, &n, f->err, f->errlen))
		return false;
	json_object_set_new(f->set, store_loc(list), json_true());
	bool ok = true;
	for (int i = 0; ok && i < n; i++) {
		const char *path = store_loc(m[i].path);
		if (json_object_get(f->set, path))
			continue; /* read already */
		json_object_set_new(f->set, path, json_true());
		ok = avro_ocf_each(path, add_entry, f, f->err, f->errlen);
	}
	ice_manifests_free(m, n);
	return ok;
}

/* Which snapshots stay: the current one, the newest min_keep, and those
 * not older than the retention. */
static bool *kept_snapshots(json_t *snaps, int64_t current, const LakeConfig *cfg, int64_t now_ms, size_t *nkept)
{
	size_t n = json_array_size(snaps);
	bool *keep = calloc(n + 1, sizeof(bool));
	if (!keep)
		return NULL;
	*nkept = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(snaps, i);
		int64_t ts = json_integer_value(json_object_get(s, "timestamp-ms"));
		size_t newer = 0;
		for (size_t j = 0; j < n; j++)
			if (json_integer_value(json_object_get(json_array_get(snaps, j), "timestamp-ms")) > ts)
				newer++;
		keep[i] = json_integer_value(json_object_get(s, "snapshot-id")) == current ||
			newer < (size_t)cfg->min_snapshots_to_keep || now_ms - ts < cfg->snapshot_retention_ms;
		*nkept += keep[i];
	}
	return keep;
}

/* The metadata without the expired snapshots (and their snapshot-log lines). */
static json_t *without_expired(json_t *meta, const bool *keep)
{
	json_t *m = json_deep_copy(meta);
	if (!m)
		return NULL;
	json_t *snaps = json_array(), *log = json_array(), *ids = json_object();
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(meta, "snapshots"), i, s)
		if (keep[i]) {
			json_array_append(snaps, s);
			char id[32];
			snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(s, "snapshot-id")));
			json_object_set_new(ids, id, json_true());
		}
	json_array_foreach(json_object_get(meta, "snapshot-log"), i, s)
	{
		char id[32];
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(s, "snapshot-id")));
		if (json_object_get(ids, id))
			json_array_append(log, s);
	}
	json_object_set_new(m, "snapshots", snaps);
	json_object_set_new(m, "snapshot-log", log);
	json_decref(ids);
	return m;
}

/* The journal of an expiry: the files it deletes once its metadata
 * version is committed, so a sink stopped in between deletes them at its
 * next expiry (no later snapshot can use them: they are in no snapshot
 * kept, and new snapshots are made from the current one).  Only the files
 * no snapshot of the table uses then are deleted: an expiry stopped before
 * its commit leaves every one of them in use. */
static char *journal_path(const IceTable *t)
{
	char *p = NULL;
	return asprintf(&p, "%s/metadata/expiring.json", t->dir) < 0 ? NULL : p;
}

static bool write_journal(const IceTable *t, json_t *files, char *err, size_t errlen)
{
	char *path = journal_path(t);
	json_t *j = json_pack("{s:i,s:O}", "version", t->version + 1, "files", files);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	err[0] = 0;
	bool ok = path && text && store_put(path, text, strlen(text), err, errlen);
	if (!ok && !err[0])
		snprintf(err, errlen, "%s: out of memory", t->dir);
	free(text);
	json_decref(j);
	free(path);
	return ok;
}

/* The files the snapshots of meta use (each snapshot's manifest list,
 * its manifests and their live files); NULL with err when one could not
 * be read. */
static json_t *files_in_use(json_t *meta, char *err, size_t errlen)
{
	Files use = {.set = json_object(), .live_only = true, .err = err, .errlen = errlen};
	bool ok = use.set != NULL;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(meta, "snapshots"), i, s)
		if (ok)
			ok = add_snapshot(&use, s);
	if (!ok) {
		json_decref(use.set);
		return NULL;
	}
	return use.set;
}

/* Deletes the files of the journal that no snapshot of the table's
 * current version uses (an expiry that did not commit, or lost its commit
 * to another writer, left its files in use), and drops the journal. */
static bool finish_journal(const IceTable *t, LakeCompactResult *res, char *err, size_t errlen)
{
	char *path = journal_path(t);
	Buf b;
	buf_init(&b);
	json_t *j = path && store_get(path, &b, err, errlen) == STORE_OK ? json_loadb((const char *)b.data, b.len, 0, NULL) : NULL;
	buf_cleanup(&b);
	err[0] = 0;
	json_t *use = j && t->meta ? files_in_use(t->meta, err, errlen) : NULL;
	bool ok = !j || !t->meta || use;
	if (use) {
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(j, "files"), i, f)
			if (json_is_string(f) && !json_object_get(use, json_string_value(f)) && store_delete(json_string_value(f)))
				res->files_deleted++;
	}
	if (j && ok)
		store_delete(path);
	json_decref(use);
	json_decref(j);
	free(path);
	return ok;
}

/* One expiry of the table's current version; *lost when another writer
 * committed the version it wanted first. */
static bool expire_once(IceTable *t, const LakeConfig *cfg, int64_t now_ms, LakeCompactResult *res, bool *lost,
	char *err, size_t errlen)
{
	json_t *snaps = json_object_get(t->meta, "snapshots");
	size_t nkept, n = json_array_size(snaps);
	bool *keep = kept_snapshots(snaps, t->snapshot_id, cfg, now_ms, &nkept);
	if (!keep) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (nkept == n) {
		free(keep);
		return true;
	}
	Files reach = {.set = json_object(), .live_only = true, .err = err, .errlen = errlen};
	Files gone = {.set = json_object(), .live_only = false, .err = err, .errlen = errlen};
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++)
		ok = add_snapshot(keep[i] ? &reach : &gone, json_array_get(snaps, i));
	json_t *meta = ok ? without_expired(t->meta, keep) : NULL;
	if (ok && !meta) {
		snprintf(err, errlen, "out of memory");
		ok = false;
	}
	/* the files no snapshot kept uses, journaled; the commit: the snapshots
	 * are gone from the table; only then the files */
	json_t *files = json_array();
	const char *path;
	json_t *v;
	json_object_foreach(gone.set, path, v)
		if (!json_object_get(reach.set, path))
			json_array_append_new(files, json_string(path));
	ok = ok && write_journal(t, files, err, errlen);
	if (!ok)
		json_decref(meta);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ok = ok && ice_table_write_version(t, meta, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, lost, err, errlen);
	json_decref(files);
	if (ok) {
		dosql_fault("lake-expire-after-commit");
		res->snapshots_expired += (int)(n - nkept);
	} else if (!err[0])
		snprintf(err, errlen, "%s: could not read its snapshots", t->name);
	json_decref(reach.set);
	json_decref(gone.set);
	free(keep);
	return ok;
}

/* An expiry that another writer's commit (a flush) beat is made again
 * from the version that writer made, up to ICE_COMMIT_ATTEMPTS times. */
bool lake_expire_table(IceTable *t, const LakeConfig *cfg, int64_t now_ms, LakeCompactResult *res, char *err,
	size_t errlen)
{
	err[0] = 0;
	if (!finish_journal(t, res, err, errlen))
		return false;
	if (!t->meta || !t->snapshot_id)
		return true;
	for (int attempt = 1;; attempt++) {
		bool lost = false;
		if (expire_once(t, cfg, now_ms, res, &lost, err, errlen))
			return finish_journal(t, res, err, errlen);
		if (!lost || attempt == ICE_COMMIT_ATTEMPTS || !ice_table_reload(t, err, errlen))
			return false;
	}
}
