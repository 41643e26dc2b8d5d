/*
 * test_lake_store.c - unit tests of dosql-lake's storage (lake/store.c):
 * the local directory always; with DOSQL_TEST_S3_ENDPOINT and
 * DOSQL_TEST_S3_WAREHOUSE (an s3:// URI; t/128 sets them for s3rver, key
 * pair S3RVER) the S3 backend too, and writers in several processes
 * racing to make the same versions: each version is made by exactly one
 * of them, and holds what that one wrote.  Locally and on S3, a commit that finds
 * its version made by another writer follows that writer's version
 * (lake/iceberg.c), unless that writer holds changes past its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lake/iceberg.h"
#include "lake/store.h"
#include "t/unit/tap.h"

#define RACERS 3
#define VERSIONS 12

static void count_name(void *arg, const char *name)
{
	(void)name;
	(*(int *)arg)++;
}

static void count_lock(void *arg, const char *name)
{
	if (strncmp(name, "lock-", 5) == 0)
		(*(int *)arg)++;
}

/* put, get, put-if-absent, list and delete under dir (a path or s3:// URI). */
static void basics(const char *dir, const char *what)
{
	char err[512] = "", loc[1024], v1[1024];
	snprintf(loc, sizeof(loc), "%s/data/dt=2024-01-01/a.parquet", dir);
	snprintf(v1, sizeof(v1), "%s/metadata/v1.metadata.json", dir);
	char ddir[1024], mdir[1024];
	snprintf(ddir, sizeof(ddir), "%s/data/dt=2024-01-01", dir);
	snprintf(mdir, sizeof(mdir), "%s/metadata", dir);
	ok(store_mkdirs(ddir) && store_mkdirs(mdir), "%s: folders made", what);
	ok(store_put(loc, "hello", 5, err, sizeof(err)), "%s: put (%s)", what, err);
	ok(store_put(loc, "hello!", 6, err, sizeof(err)), "%s: put replaces (%s)", what, err);
	Buf b;
	buf_init(&b);
	is_int(store_get(loc, &b, err, sizeof(err)), STORE_OK, "%s: get", what);
	buf_put_u8(&b, 0);
	is_str((const char *)b.data, "hello!", "%s: get reads what the last put wrote", what);
	buf_reset(&b);
	is_int(store_get(v1, &b, err, sizeof(err)), STORE_MISSING, "%s: get of a missing object", what);
	is_int(store_put_if_absent(v1, "{\"a\":1}", 7, err, sizeof(err)), STORE_OK, "%s: put-if-absent makes it", what);
	is_int(store_put_if_absent(v1, "{\"b\":2}", 7, err, sizeof(err)), STORE_EXISTS,
		"%s: put-if-absent of an existing object is refused", what);
	buf_reset(&b);
	is_int(store_get(v1, &b, err, sizeof(err)), STORE_OK, "%s: get after the refused put", what);
	buf_put_u8(&b, 0);
	is_str((const char *)b.data, "{\"a\":1}", "%s: the first writer's object is unchanged", what);
	int n = 0;
	ok(store_list(mdir, count_name, &n, err, sizeof(err)) && n == 1, "%s: list finds the one object (%d)", what, n);
	ok(store_delete(v1) && store_delete(v1), "%s: delete, and delete of a missing object", what);
	n = 0;
	ok(store_list(mdir, count_name, &n, err, sizeof(err)) && n == 0, "%s: list after delete (%d)", what, n);
	/* a local file put whole (S3: streamed, its SHA-256 read first) */
	char tmp[] = "/tmp/test_lake_store_file_XXXXXX", big[1024];
	int fd = mkstemp(tmp);
	Buf data;
	buf_init(&data);
	for (int i = 0; i < 100000; i++)
		buf_put_u8(&data, (uint8_t)(i * 7 + i / 256));
	ok(fd >= 0 && write(fd, data.data, data.len) == (ssize_t)data.len, "%s: a local file of %zu bytes", what, data.len);
	if (fd >= 0)
		close(fd);
	snprintf(big, sizeof(big), "%s/data/dt=2024-01-01/big.parquet", dir);
	ok(store_put_file(big, tmp, err, sizeof(err)), "%s: put of a local file (%s)", what, err);
	buf_reset(&b);
	ok(store_get(big, &b, err, sizeof(err)) == STORE_OK && b.len == data.len && memcmp(b.data, data.data, b.len) == 0,
		"%s: get reads the file's bytes back (%zu)", what, b.len);
	unlink(tmp);
	store_delete(big);
	buf_cleanup(&data);
	store_delete(loc);
	buf_cleanup(&b);
}

/* One racer: tries to make every version; prints "<racer> <version>" to fd
 * for each it made.  Exits 1 on an error. */
static void racer(int i, const char *dir, int fd)
{
	char err[512], owner[32], loc[1200], body[64];
	snprintf(owner, sizeof(owner), "racer%d", i);
	LakeS3 s3 = {.endpoint = getenv("DOSQL_TEST_S3_ENDPOINT"), .region = "us-east-1",
		.access_key_id = "S3RVER", .secret_access_key = "S3RVER", .path_style = true};
	if (!store_init(&s3, owner, err, sizeof(err)) || !store_probe(dir, err, sizeof(err)))
		_exit(1);
	for (int v = 1; v <= VERSIONS; v++) {
		snprintf(loc, sizeof(loc), "%s/metadata/v%d.metadata.json", dir, v);
		snprintf(body, sizeof(body), "racer %d", i);
		StoreResult r = store_put_if_absent(loc, body, strlen(body), err, sizeof(err));
		if (r == STORE_ERROR) {
			fprintf(stderr, "racer %d: %s\n", i, err);
			_exit(1);
		}
		if (r == STORE_OK)
			dprintf(fd, "%d %d\n", i, v);
	}
	store_shutdown();
	_exit(0);
}

static void race(const char *wh)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/race", wh);
	char err[512], loc[1200], want[64];
	/* a table's metadata folder always holds its manifests (s3rver removes
	 * a folder left empty, and a PUT into it at that moment fails there) */
	snprintf(loc, sizeof(loc), "%s/metadata/m0.avro", dir);
	ok(store_put(loc, "m", 1, err, sizeof(err)), "S3 race: the folder's first object (%s)", err);
	int p[2];
	if (pipe(p) != 0)
		return;
	pid_t pids[RACERS];
	for (int i = 0; i < RACERS; i++)
		if ((pids[i] = fork()) == 0) {
			close(p[0]);
			racer(i, dir, p[1]);
		}
	close(p[1]);
	int clean = 0;
	for (int i = 0; i < RACERS; i++) {
		int st = 0;
		waitpid(pids[i], &st, 0);
		clean += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	is_int(clean, RACERS, "S3 race: every racer ran without an error");
	int claims[VERSIONS + 1] = {0}, by[VERSIONS + 1] = {0};
	FILE *f = fdopen(p[0], "r");
	int i, v;
	while (f && fscanf(f, "%d %d", &i, &v) == 2)
		if (v >= 1 && v <= VERSIONS) {
			claims[v]++;
			by[v] = i;
		}
	if (f)
		fclose(f);
	int once = 0, kept = 0;
	for (v = 1; v <= VERSIONS; v++) {
		once += claims[v] == 1;
		Buf b;
		buf_init(&b);
		snprintf(loc, sizeof(loc), "%s/metadata/v%d.metadata.json", dir, v);
		snprintf(want, sizeof(want), "racer %d", by[v]);
		if (store_get(loc, &b, err, sizeof(err)) == STORE_OK && b.len == strlen(want) &&
			memcmp(b.data, want, b.len) == 0)
			kept++;
		buf_cleanup(&b);
	}
	is_int(once, VERSIONS, "S3 race: each of %d versions was made by exactly one of %d racers", VERSIONS, RACERS);
	is_int(kept, VERSIONS, "S3 race: each version holds what the racer that made it wrote");
	int locks = 0;
	snprintf(loc, sizeof(loc), "%s/metadata", dir);
	ok(store_list(loc, count_lock, &locks, err, sizeof(err)) && locks == 0, "S3 race: no lock object is left (%d)",
		locks);
}

/* Commits an empty snapshot of t holding changes up to lsn. */
static bool commit_at(IceTable *t, uint64_t lsn, char *err, size_t errlen)
{
	return ice_table_begin(t, NULL, 0, err, errlen) && ice_table_commit(t, NULL, 0, lsn, false, err, errlen);
}

/* Two writers of one table under wh: the one that loses a version
 * commits after the winner's, unless the winner holds changes past its own. */
static void commit_race(const char *wh, const char *what)
{
	char err[512] = "";
	IceTable a, b;
	bool opened = ice_table_open(&a, wh, "ns", "t", false, err, sizeof(err));
	ok(opened, "%s: table a opened (%s)", what, err);
	if (!opened)
		return;
	ice_table_column(&a, "id", "long", true);
	ok(commit_at(&a, 100, err, sizeof(err)), "%s: a commits v1 (%s)", what, err);
	ok(ice_table_open(&b, wh, "ns", "t", false, err, sizeof(err)), "%s: b opens the table at v%d", what, b.version);
	ok(commit_at(&a, 200, err, sizeof(err)) && a.version == 2, "%s: a commits v2 (%s)", what, err);
	ok(commit_at(&b, 300, err, sizeof(err)), "%s: b, which held v1, commits (%s)", what, err);
	is_int(b.version, 3, "%s: b's commit is v3, after a's v2", what);
	json_t *snaps = json_object_get(b.meta, "snapshots");
	is_int((int)json_array_size(snaps), 3, "%s: v3 has a's snapshots and b's", what);
	json_t *last = json_array_get(snaps, json_array_size(snaps) - 1);
	ok(json_integer_value(json_object_get(last, "parent-snapshot-id")) == a.snapshot_id,
		"%s: b's snapshot follows a's", what);
	ok(!commit_at(&a, 250, err, sizeof(err)), "%s: a, holding v2, cannot commit changes to LSN 250 after b's 300", what);
	ok(strstr(err, "holds changes up to LSN 300") != NULL, "%s: it says why (%s)", what, err);
	is_int(a.version, 3, "%s: a read v3 and made no version", what);
	ice_table_column(&a, "extra", "string", false);
	ok(commit_at(&a, 400, err, sizeof(err)) && a.version == 4, "%s: a adds a column in v4 (%s)", what, err);
	ok(!commit_at(&b, 500, err, sizeof(err)) && strstr(err, "another writer changed the table's schema") != NULL,
		"%s: b, holding v3, does not commit after a schema it does not know (%s)", what, err);
	IceTable c;
	ok(ice_table_open(&c, wh, "ns", "t", false, err, sizeof(err)) && c.version == 4 && c.lsn == 400,
		"%s: the table is at v4, LSN 400 (v%d, %llu)", what, c.version, (unsigned long long)c.lsn);
	ice_table_close(&c);
	ice_table_close(&a);
	ice_table_close(&b);
}

int main(void)
{
	char tmpl[] = "/tmp/test_lake_store_XXXXXX";
	char *dir = mkdtemp(tmpl);
	ok(dir != NULL, "a temporary directory");
	if (dir) {
		basics(dir, "local");
		commit_race(dir, "local");
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	const char *ep = getenv("DOSQL_TEST_S3_ENDPOINT"), *wh = getenv("DOSQL_TEST_S3_WAREHOUSE");
	if (ep && wh) {
		char err[512] = "";
		LakeS3 s3 = {.endpoint = (char *)ep, .region = "us-east-1", .access_key_id = "S3RVER",
			.secret_access_key = "S3RVER", .path_style = true};
		ok(store_init(&s3, "unit", err, sizeof(err)) && store_probe(wh, err, sizeof(err)), "S3: init and probe (%s)",
			err);
		printf("# commit method: %s\n", store_s3_commit_method() == STORE_COMMIT_CONDITIONAL ? "conditional" : "lock");
		fflush(stdout);
		race(wh);
		char sdir[1024];
		snprintf(sdir, sizeof(sdir), "%s/basics", wh);
		basics(sdir, "S3");
		snprintf(sdir, sizeof(sdir), "%s/commit", wh);
		commit_race(sdir, "S3");
		store_shutdown();
	}
	return tap_done();
}
