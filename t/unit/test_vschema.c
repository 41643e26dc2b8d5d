/*
 * test_vschema.c - unit tests of vschema/: keyspace-id range parsing,
 * loading and validating vschema files (every error names the file, the
 * JSON path and what was expected), shard lookup by keyspace id at range
 * boundaries, table placements, and the hash and numeric vindexes.  The
 * expected hash values were computed with xxhsum -H1 (XXH64, seed 0) over
 * the exact canonical byte encodings, e.g.
 *   printf '\x00\x00\x00\x00\x00\x00\x00\x07' | xxhsum -H1
 * Fixtures are written to a temporary directory; the sample
 * etc/vschema.json is read relative to the current directory (the
 * repository root under make test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t/unit/tap.h"
#include "vschema/vschema.h"

static char dir[64];
static char path[128];
static char err[1024];

/* Write text to a new fixture file name in the temporary directory and
 * return its path (in the static buffer path). */
static const char *fixture(const char *name, const char *text)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text as a fixture; returns the schema or NULL with the message in err
 * and the fixture's path prefix stripped, so expectations read
 * "F: json.path: message". */
static VscSchema *load(const char *text)
{
	const char *p = fixture("v.json", text);
	err[0] = 0;
	VscSchema *s = vsc_load(p, err, sizeof(err));
	size_t n = strlen(p);
	if (!s && strncmp(err, p, n) == 0) {
		char tmp[sizeof(err)];
		snprintf(tmp, sizeof(tmp), "F%s", err + n);
		snprintf(err, sizeof(err), "%s", tmp);
	}
	return s;
}

/* The error message from loading text, "" if it loaded. */
static const char *load_err(const char *text)
{
	VscSchema *s = load(text);
	if (s) {
		vsc_free(s);
		return "";
	}
	return err;
}

#define SHARDS4                                                                     \
	"\"shards\": [{\"name\": \"-40\", \"host\": \"h\", \"port\": 1},"           \
	"{\"name\": \"40-80\", \"host\": \"h\", \"port\": 2},"                      \
	"{\"name\": \"80-c0\", \"host\": \"h\", \"port\": 3},"                      \
	"{\"name\": \"c0-\", \"host\": \"h\", \"port\": 4}]"
#define VINDEXES "\"vindexes\": {\"hash\": {\"type\": \"hash\"}, \"num\": {\"type\": \"numeric\"}}"

static void test_ranges(void)
{
	uint64_t a, b;
	ok(vsc_range_parse("-40", &a, &b) && a == 0 && b == 0x3fffffffffffffffULL, "-40");
	ok(vsc_range_parse("40-80", &a, &b) && a == 0x4000000000000000ULL &&
		   b == 0x7fffffffffffffffULL,
	   "40-80");
	ok(vsc_range_parse("c0-", &a, &b) && a == 0xc000000000000000ULL && b == UINT64_MAX, "c0-");
	ok(vsc_range_parse("-", &a, &b) && a == 0 && b == UINT64_MAX, "- is the whole space");
	ok(vsc_range_parse("4000-8000", &a, &b) && a == 0x4000000000000000ULL &&
		   b == 0x7fffffffffffffffULL,
	   "4000-8000 is 40-80");
	ok(vsc_range_parse("-4001", &a, &b) && a == 0 && b == 0x4000ffffffffffffULL, "-4001");
	ok(vsc_range_parse("C0-E0", &a, &b) && a == 0xc000000000000000ULL &&
		   b == 0xdfffffffffffffffULL,
	   "upper-case hex");
	ok(vsc_range_parse("0123456789abcdef-", &a, &b) && a == 0x0123456789abcdefULL &&
		   b == UINT64_MAX,
	   "16 hex digits");
	const char *bad[] = {"4-80", "40-8", "4g-80", "80-40", "40-40", "40", "", "--",
			     "-40-", "0123456789abcdef01-", " 40-80", "-00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(!vsc_range_parse(bad[i], &a, &b), "rejects \"%s\"", bad[i]);
}

static void test_sample(void)
{
	VscSchema *s = vsc_load("etc/vschema.json", err, sizeof(err));
	ok(s != NULL, "etc/vschema.json loads: %s", s ? "" : err);
	if (!s)
		return;
	ok(vsc_sharded(s), "sample is sharded");
	is_int(vsc_shard_count(s), 4, "four shards");
	const char *names[] = {"-40", "40-80", "80-c0", "c0-"};
	for (int i = 0; i < 4; i++) {
		is_str(vsc_shard(s, i)->name, names[i], "shard %d is %s", i, names[i]);
		is_str(vsc_shard(s, i)->host, "127.0.0.1", "shard %d host", i);
		is_int(vsc_shard(s, i)->port, 6433 + i, "shard %d port", i);
		ok(vsc_shard(s, i)->socket_dir == NULL, "shard %d has no socket_dir", i);
		is_int(vsc_shard_by_name(s, names[i]), i, "shard %s by name", names[i]);
	}
	is_int(vsc_shard_by_name(s, "-80"), -1, "unknown shard name");

	struct {
		uint64_t ksid;
		int shard;
	} at[] = {{0, 0},
		  {0x3fffffffffffffffULL, 0},
		  {0x4000000000000000ULL, 1},
		  {0x7fffffffffffffffULL, 1},
		  {0x8000000000000000ULL, 2},
		  {0xbfffffffffffffffULL, 2},
		  {0xc000000000000000ULL, 3},
		  {UINT64_MAX, 3}};
	for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++)
		is_int(vsc_shard_for_ksid(s, at[i].ksid), at[i].shard, "ksid 0x%016llx -> shard %d",
		       (unsigned long long)at[i].ksid, at[i].shard);

	const char *tabs[][2] = {{"pgbench_accounts", "aid"},
				 {"pgbench_branches", "bid"},
				 {"pgbench_tellers", "bid"},
				 {"pgbench_history", "bid"}};
	for (int i = 0; i < 4; i++) {
		const VscTable *t = vsc_table(s, tabs[i][0]);
		ok(t && t->placement == VSC_SHARDED && t->n_col_vindexes == 1 &&
			   strcmp(t->col_vindexes[0].column, tabs[i][1]) == 0 &&
			   t->col_vindexes[0].vindex->kind == VSC_VINDEX_HASH,
		   "%s sharded by %s with hash", tabs[i][0], tabs[i][1]);
	}
	ok(vsc_table(s, "pgbench_other") == NULL, "a table not in the vschema");
	ok(vsc_table(s, "PGBENCH_ACCOUNTS") == NULL, "names are compared exactly");
	const VscTable *d = vsc_default_placement(s);
	ok(d->placement == VSC_PINNED && d->shard == 0 && d->name == NULL,
	   "default placement pinned to -40");
	is_int(vsc_table_count(s), 4, "four tables");
	is_str(vsc_table_at(s, 0)->name, "pgbench_accounts", "tables in name order (first)");
	is_str(vsc_table_at(s, 3)->name, "pgbench_tellers", "tables in name order (last)");
	vsc_free(s);
}

static void test_placements(void)
{
	VscSchema *s = load("{\"sharded\": true, "
			    "\"shards\": {\"80-\": {\"socket_dir\": \"/run/x\", \"port\": 5},"
			    " \"-80\": {\"host\": \"db1\", \"port\": 5432}}, " VINDEXES ", "
			    "\"tables\": {\"t\": {\"column_vindexes\": [{\"column\": \"id\", \"name\": "
			    "\"num\"}, {\"column\": \"email\", \"name\": \"hash\"}]},"
			    " \"countries\": {\"type\": \"reference\"},"
			    " \"config\": {\"pinned\": \"80-\"},"
			    " \"a.b\": {\"type\": \"reference\"}},"
			    " \"default_placement\": {\"type\": \"reference\"}}");
	ok(s != NULL, "object-form shards, placements load: %s", s ? "" : err);
	if (!s)
		return;
	is_int(vsc_shard_count(s), 2, "two shards");
	is_str(vsc_shard(s, 0)->name, "-80", "shards sorted into keyspace order");
	is_str(vsc_shard(s, 0)->host, "db1", "host");
	is_int(vsc_shard(s, 0)->port, 5432, "port");
	is_str(vsc_shard(s, 1)->socket_dir, "/run/x", "socket_dir");
	ok(vsc_shard(s, 1)->host == NULL, "no host with socket_dir");
	is_int(vsc_shard_for_ksid(s, 0x7fffffffffffffffULL), 0, "0x7fff.. -> -80");
	is_int(vsc_shard_for_ksid(s, 0x8000000000000000ULL), 1, "0x8000.. -> 80-");

	const VscTable *t = vsc_table(s, "t");
	ok(t && t->placement == VSC_SHARDED && t->n_col_vindexes == 2, "t sharded, two vindexes");
	if (t) {
		is_str(t->col_vindexes[0].column, "id", "primary column");
		ok(t->col_vindexes[0].vindex == vsc_vindex(s, "num"), "primary vindex num");
		is_str(t->col_vindexes[1].vindex->name, "hash", "secondary vindex hash");
	}
	t = vsc_table(s, "countries");
	ok(t && t->placement == VSC_REFERENCE, "countries is a reference table");
	t = vsc_table(s, "config");
	ok(t && t->placement == VSC_PINNED && t->shard == 1, "config pinned to 80-");
	ok(vsc_table(s, "a.b") != NULL, "a table name with a dot");
	is_int(vsc_default_placement(s)->placement, VSC_REFERENCE, "default placement reference");
	is_str(vsc_placement_str(VSC_PINNED), "pinned", "placement names");
	ok(vsc_vindex(s, "nope") == NULL, "unknown vindex name");
	vsc_free(s);

	s = load("{\"sharded\": false, \"shards\": [{\"name\": \"0\", \"host\": \"h\", \"port\": 1}],"
		 " \"tables\": {\"t\": {}, \"r\": {\"type\": \"reference\"}}}");
	ok(s != NULL, "unsharded keyspace loads: %s", s ? "" : err);
	if (s) {
		ok(!vsc_sharded(s), "not sharded");
		is_int(vsc_shard_for_ksid(s, UINT64_MAX), 0, "one shard holds everything");
		t = vsc_table(s, "t");
		ok(t && t->placement == VSC_PINNED && t->shard == 0, "{} pinned to the only shard");
		ok(vsc_default_placement(s)->shard == 0, "default placement: the only shard");
		vsc_free(s);
	}
}

/* Shards with 2-byte names, uneven sizes: a binary search over many ranges. */
static void test_many_shards(void)
{
	static const char *names[] = {"-0100", "0100-0180", "0180-10",   "10-4000",
				      "4000-4001", "4001-80", "80-fffe", "fffe-"};
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof(text), "{\"sharded\": true, \"shards\": [");
	/* Listed in reverse to check sorting. */
	for (int i = 7; i >= 0; i--)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "%s{\"name\": \"%s\", \"host\": \"h\", \"port\": %d}",
				      i == 7 ? "" : ",", names[i], 100 + i);
	snprintf(text + n, sizeof(text) - n, "]}");
	VscSchema *s = load(text);
	ok(s != NULL, "eight uneven shards load: %s", s ? "" : err);
	if (!s)
		return;
	for (int i = 0; i < 8; i++) {
		const VscShard *sh = vsc_shard(s, i);
		is_str(sh->name, names[i], "shard %d is %s", i, names[i]);
		is_int(vsc_shard_for_ksid(s, sh->start), i, "%s: its first id", names[i]);
		is_int(vsc_shard_for_ksid(s, sh->last), i, "%s: its last id", names[i]);
		is_int(vsc_shard_for_ksid(s, sh->start + (sh->last - sh->start) / 2), i,
		       "%s: its middle id", names[i]);
	}
	is_int(vsc_shard_for_ksid(s, 0x4000ffffffffffffULL), 4, "0x4000ff.. in 4000-4001");
	is_int(vsc_shard_for_ksid(s, 0x4001000000000000ULL), 5, "0x4001.. in 4001-80");
	vsc_free(s);
}

static void test_errors(void)
{
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-40\", \"host\": \"h\", "
			"\"port\": 1}, {\"name\": \"80-\", \"host\": \"h\", \"port\": 2}]}"),
	       "F: shards: no shard holds keyspace ids 0x4000000000000000..0x7fffffffffffffff "
	       "(between \"-40\" at shards[0] and \"80-\" at shards[1])",
	       "gap between shards");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-80\", \"host\": \"h\", "
			"\"port\": 1}, {\"name\": \"40-\", \"host\": \"h\", \"port\": 2}]}"),
	       "F: shards[1]: range \"40-\" overlaps \"-80\" (shards[0]) over "
	       "0x4000000000000000..0x7fffffffffffffff",
	       "overlap");
	is_str(load_err("{\"sharded\": true, \"shards\": {\"-80\": {\"host\": \"h\", \"port\": 1}, "
			"\"80-\": {\"host\": \"h\", \"port\": 2}, \"40-60\": {\"host\": \"h\", "
			"\"port\": 2}}}"),
	       "F: shards.40-60: range \"40-60\" overlaps \"-80\" (shards.-80) over "
	       "0x4000000000000000..0x5fffffffffffffff",
	       "overlap inside another range, object form");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"40-\", \"host\": \"h\", "
			"\"port\": 1}]}"),
	       "F: shards: no shard holds keyspace ids 0x0000000000000000..0x3fffffffffffffff "
	       "(the lowest range is \"40-\" at shards[0])",
	       "gap at the start");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-c0\", \"host\": \"h\", "
			"\"port\": 1}]}"),
	       "F: shards: no shard holds keyspace ids 0xc000000000000000..0xffffffffffffffff "
	       "(the highest range is \"-c0\" at shards[0])",
	       "gap at the end");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-40\", \"host\": \"h\", "
			"\"port\": 1}, {\"name\": \"4g-\", \"host\": \"h\", \"port\": 2}]}"),
	       "F: shards[1].name: expected a keyspace-id range \"START-END\" (each side empty or "
	       "an even number of hex digits, at most 16, START below END), got \"4g-\"",
	       "bad hex");
	is_str(load_err("{\"sharded\": true, \"shards\": {\"-4\": {\"host\": \"h\", \"port\": 1}}}"),
	       "F: shards.-4: expected a keyspace-id range \"START-END\" (each side empty or "
	       "an even number of hex digits, at most 16, START below END), got \"-4\"",
	       "odd number of hex digits, object form");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-\", \"host\": \"h\", "
			"\"port\": 1}, {\"name\": \"-\", \"host\": \"h\", \"port\": 2}]}"),
	       "F: shards[1].name: duplicate shard name \"-\" (also at shards[0])", "duplicate name");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-\", \"host\": \"h\", "
			"\"port\": 70000}]}"),
	       "F: shards[0].port: expected an integer 1..65535, got 70000", "bad port");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-\", \"host\": \"h\"}]}"),
	       "F: shards[0]: missing \"port\" (an integer 1..65535)", "missing port");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-\", \"port\": 1}]}"),
	       "F: shards[0]: missing \"host\" (a host name or IP address) or \"socket_dir\"",
	       "missing host");
	is_str(load_err("{\"sharded\": true, \"shards\": [{\"name\": \"-\", \"socket_dir\": "
			"\"tmp\", \"port\": 1}]}"),
	       "F: shards[0].socket_dir: expected an absolute directory path, got \"tmp\"",
	       "relative socket_dir");
	is_str(load_err("{\"sharded\": true, \"shards\": []}"),
	       "F: shards: expected at least one shard", "no shards");
	is_str(load_err("{\"sharded\": false, " SHARDS4 "}"),
	       "F: shards: expected exactly one shard in an unsharded keyspace, got 4",
	       "unsharded with four shards");
	is_str(load_err("{\"shards\": []}"), "F: (top level): missing \"sharded\" (true or false)",
	       "missing sharded");
	is_str(load_err("{\"sharded\": 1, \"shards\": []}"), "F: sharded: expected true or false, got 1",
	       "sharded not a boolean");
	is_str(load_err("[]"), "F: (top level): expected an object, got an array", "not an object");
	is_str(load_err("{\"sharded\": true, \"shard\": []}"),
	       "F: shard: unknown key; expected one of: sharded, shards, vindexes, tables, "
	       "default_placement",
	       "unknown top-level key");

	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"h\": {\"type\": "
			"\"lookup_x\"}}}"),
	       "F: vindexes.h.type: unknown vindex type \"lookup_x\"; expected one of: hash, numeric, range, lookup, lookup_unique, region, multicol",
	       "unknown vindex type");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"h\": {}}}"),
	       "F: vindexes.h: missing \"type\" (the vindex type: hash or numeric)",
	       "vindex without type");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"h\": {\"type\": "
			"\"hash\", \"params\": {\"seed\": 1}}}}"),
	       "F: vindexes.h.params.seed: vindex type hash takes no params", "hash params");

	is_str(load_err("{\"sharded\": true, " SHARDS4 ", " VINDEXES ", \"tables\": {\"accounts\": "
			"{}}}"),
	       "F: tables.accounts: missing \"column_vindexes\" (a sharded table needs a primary "
	       "vindex); expected {\"column_vindexes\": [...]}, {\"type\": \"reference\"} or "
	       "{\"pinned\": SHARD}",
	       "missing column_vindexes");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", " VINDEXES ", \"tables\": {\"accounts\": "
			"{\"column_vindexes\": [{\"column\": \"aid\", \"name\": \"hsh\"}]}}}"),
	       "F: tables.accounts.column_vindexes[0].name: expected the name of a vindex in "
	       "\"vindexes\" (one of: hash, num), got \"hsh\"",
	       "unknown vindex name");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", " VINDEXES ", \"tables\": {\"accounts\": "
			"{\"column_vindexes\": [{\"name\": \"hash\"}]}}}"),
	       "F: tables.accounts.column_vindexes[0]: missing \"column\" (the name of the column)",
	       "column vindex without column");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", " VINDEXES ", \"tables\": {\"accounts\": "
			"{\"column_vindexes\": []}}}"),
	       "F: tables.accounts.column_vindexes: expected a non-empty array of {\"column\": "
	       "COLUMN, \"name\": VINDEX}, got an array",
	       "empty column_vindexes");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", " VINDEXES ", \"tables\": {\"accounts\": "
			"{\"column_vindex\": []}}}"),
	       "F: tables.accounts.column_vindex: unknown key; expected one of: column_vindexes, "
	       "type, pinned",
	       "misspelt key");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"tables\": {\"my t\": {\"pinned\": "
			"\"40\"}}}"),
	       "F: tables[\"my t\"].pinned: expected the name of a shard in \"shards\" (one of: -40, "
	       "40-80, 80-c0, c0-), got \"40\"",
	       "pinned to an unknown shard");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"tables\": {\"t\": {\"type\": "
			"\"sequence\"}}}"),
	       "F: tables.t.type: expected \"reference\", got \"sequence\"", "unknown table type");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"tables\": {\"t\": {\"type\": "
			"\"reference\", \"pinned\": \"-40\"}}}"),
	       "F: tables.t: expected one of \"column_vindexes\", \"type\" or \"pinned\", not several",
	       "reference and pinned");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", " VINDEXES ", \"default_placement\": "
			"{\"column_vindexes\": [{\"column\": \"id\", \"name\": \"hash\"}]}}"),
	       "F: default_placement.column_vindexes: the default placement cannot be sharded; "
	       "expected {\"pinned\": SHARD} or {\"type\": \"reference\"}",
	       "sharded default placement");
	is_str(load_err("{\"sharded\": false, \"shards\": [{\"name\": \"0\", \"host\": \"h\", "
			"\"port\": 1}], " VINDEXES ", \"tables\": {\"t\": {\"column_vindexes\": "
			"[{\"column\": \"id\", \"name\": \"hash\"}]}}}"),
	       "F: tables.t.column_vindexes: the keyspace is not sharded (\"sharded\": false); "
	       "expected {}, {\"type\": \"reference\"} or {\"pinned\": SHARD}",
	       "column_vindexes in an unsharded keyspace");

	is_str(load_err("{\"sharded\": true,\n  \"shards\": [,]}"),
	       "F:2:14: unexpected token near ','", "syntax error: file:line:column");
	is_str(load_err("{\"sharded\": true, \"sharded\": false}"),
	       "F:1:27: duplicate object key near '\"sharded\"'", "duplicate key");
	char missing[160], want[256];
	snprintf(missing, sizeof(missing), "%s/nope.json", dir);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", missing);
	ok(vsc_load(missing, err, sizeof(err)) == NULL, "missing file fails");
	is_str(err, want, "missing file: the message names the file");
}

/* The keyspace id of text s for vindex v on a column of type oid, or 0 with
 * the error in err as "SQLSTATE message". */
static uint64_t kt(const VscVindex *v, uint32_t oid, const char *s)
{
	uint64_t ksid = 0;
	VscError e;
	err[0] = 0;
	if (!vsc_ksid_text(v, oid, s, strlen(s), &ksid, &e))
		snprintf(err, sizeof(err), "%s %s", e.sqlstate, e.msg);
	return ksid;
}

static uint64_t ki(const VscVindex *v, uint32_t oid, int64_t i)
{
	uint64_t ksid = 0;
	VscError e;
	err[0] = 0;
	if (!vsc_ksid_int(v, oid, i, &ksid, &e))
		snprintf(err, sizeof(err), "%s %s", e.sqlstate, e.msg);
	return ksid;
}

static uint64_t kb(const VscVindex *v, uint32_t oid, const void *p, size_t len)
{
	uint64_t ksid = 0;
	VscError e;
	err[0] = 0;
	if (!vsc_ksid_binary(v, oid, p, len, &ksid, &e))
		snprintf(err, sizeof(err), "%s %s", e.sqlstate, e.msg);
	return ksid;
}

#define HASH_INT_0 0x34c96acdcadb1bbbULL
#define HASH_INT_1 0x9f1ffc793b8a47daULL
#define HASH_INT_7 0xb194a08f7370a5cfULL
#define HASH_INT_M1 0x85d136adb773c6c9ULL
#define HASH_INT_1000000 0x4f3174580e5fd398ULL
#define HASH_TEXT_7 0x184a52b6a00d7ab7ULL
#define HASH_TEXT_EMPTY 0xef46db3751d8e999ULL
#define HASH_TEXT_ABC 0x44bc2cf5ad770999ULL
#define HASH_TEXT_HELLO 0x3bd06310388ebbe4ULL /* "h\xc3\xa9llo" */

static void test_vindexes(void)
{
	VscSchema *s = load("{\"sharded\": true, " SHARDS4 ", " VINDEXES "}");
	ok(s != NULL, "vindex fixture loads: %s", s ? "" : err);
	if (!s)
		return;
	const VscVindex *h = vsc_vindex(s, "hash"), *num = vsc_vindex(s, "num");
	ok(h && h->kind == VSC_VINDEX_HASH && num && num->kind == VSC_VINDEX_NUMERIC,
	   "vindex kinds");

	/* hash: integers as 8-byte big-endian, whatever their width or form. */
	ok(ki(h, VSC_OID_INT8, 7) == HASH_INT_7 && !*err, "hash int8 7");
	ok(ki(h, VSC_OID_INT4, 7) == HASH_INT_7, "hash int4 7");
	ok(ki(h, VSC_OID_INT2, 7) == HASH_INT_7, "hash int2 7");
	ok(kt(h, VSC_OID_INT4, "7") == HASH_INT_7 && !*err, "hash '7' on an int4 column = 7");
	ok(kt(h, VSC_OID_INT8, " +7 ") == HASH_INT_7, "hash ' +7 ' on an int8 column = 7");
	ok(kt(h, VSC_OID_INT2, "007") == HASH_INT_7, "hash '007' on an int2 column = 7");
	ok(ki(h, VSC_OID_INT8, 0) == HASH_INT_0, "hash 0");
	ok(ki(h, VSC_OID_INT8, 1) == HASH_INT_1, "hash 1");
	ok(ki(h, VSC_OID_INT8, -1) == HASH_INT_M1, "hash -1");
	ok(kt(h, VSC_OID_INT4, "-1") == HASH_INT_M1, "hash '-1' on an int4 column");
	ok(ki(h, VSC_OID_INT4, 1000000) == HASH_INT_1000000, "hash 1000000");
	ok(kb(h, VSC_OID_INT4, "\0\0\0\7", 4) == HASH_INT_7 && !*err, "hash binary int4 7");
	ok(kb(h, VSC_OID_INT2, "\0\7", 2) == HASH_INT_7, "hash binary int2 7");
	ok(kb(h, VSC_OID_INT8, "\0\0\0\0\0\0\0\7", 8) == HASH_INT_7, "hash binary int8 7");
	ok(kb(h, VSC_OID_INT2, "\xff\xff", 2) == HASH_INT_M1, "hash binary int2 -1 sign-extends");
	ok(kb(h, VSC_OID_INT4, "\0\x0f\x42\x40", 4) == HASH_INT_1000000, "hash binary 1000000");

	/* hash: text as its bytes. */
	ok(kt(h, VSC_OID_TEXT, "7") == HASH_TEXT_7, "hash text '7' (bytes, not the integer)");
	ok(kt(h, VSC_OID_VARCHAR, "") == HASH_TEXT_EMPTY, "hash varchar ''");
	ok(kt(h, VSC_OID_TEXT, "abc") == HASH_TEXT_ABC, "hash text 'abc'");
	ok(kt(h, VSC_OID_BPCHAR, "abc   ") == HASH_TEXT_ABC, "hash bpchar 'abc   ' = 'abc'");
	ok(kt(h, VSC_OID_TEXT, "abc ") != HASH_TEXT_ABC, "text keeps trailing spaces");
	ok(kt(h, VSC_OID_TEXT, "h\xc3\xa9llo") == HASH_TEXT_HELLO, "hash UTF-8 text");
	ok(kb(h, VSC_OID_VARCHAR, "abc", 3) == HASH_TEXT_ABC, "hash binary varchar");
	ok(kb(h, VSC_OID_BPCHAR, "abc ", 4) == HASH_TEXT_ABC, "hash binary bpchar");

	/* Errors. */
	kt(h, VSC_OID_INT4, "7.5");
	is_str(err, "22P02 invalid input syntax for type integer: \"7.5\"", "'7.5' on int4");
	kt(h, VSC_OID_INT8, "abc");
	is_str(err, "22P02 invalid input syntax for type bigint: \"abc\"", "'abc' on int8");
	kt(h, VSC_OID_INT8, "");
	is_str(err, "22P02 invalid input syntax for type bigint: \"\"", "'' on int8");
	kt(h, VSC_OID_INT8, "-");
	is_str(err, "22P02 invalid input syntax for type bigint: \"-\"", "'-' on int8");
	kt(h, VSC_OID_INT8, "1 2");
	is_str(err, "22P02 invalid input syntax for type bigint: \"1 2\"", "'1 2' on int8");
	kt(h, VSC_OID_INT2, "32768");
	is_str(err, "22003 value \"32768\" is out of range for type smallint", "32768 on int2");
	ok(kt(h, VSC_OID_INT2, "-32768") == ki(h, VSC_OID_INT8, -32768) && !*err, "-32768 on int2");
	kt(h, VSC_OID_INT4, "2147483648");
	is_str(err, "22003 value \"2147483648\" is out of range for type integer", "2^31 on int4");
	kt(h, VSC_OID_INT8, "9223372036854775808");
	is_str(err, "22003 value \"9223372036854775808\" is out of range for type bigint",
	       "2^63 on int8");
	kt(h, VSC_OID_INT8, "99999999999999999999999");
	is_str(err, "22003 value \"99999999999999999999999\" is out of range for type bigint",
	       "huge on int8");
	ki(h, 16, 1);
	is_str(err, "0A000 vindex hash does not support type boolean", "hash on boolean");
	kt(h, 1700, "1.5");
	is_str(err, "0A000 vindex hash does not support type numeric", "hash on numeric");
	kt(h, 99999, "x");
	is_str(err, "0A000 vindex hash does not support type with OID 99999", "hash on unknown oid");
	ki(h, VSC_OID_TEXT, 7);
	is_str(err, "42804 vindex hash: column of type text cannot take an integer value",
	       "integer for a text column");
	kb(h, VSC_OID_INT4, "\0\0\7", 3);
	is_str(err, "22P03 incorrect binary data format for type integer: 3 bytes, expected 4",
	       "binary int4 of 3 bytes");

	/* numeric: the integer is the keyspace id. */
	ok(ki(num, VSC_OID_INT8, 7) == 7 && !*err, "numeric 7");
	ok(kt(num, VSC_OID_INT4, "42") == 42 && !*err, "numeric '42' on int4");
	ok(ki(num, VSC_OID_INT8, -1) == UINT64_MAX, "numeric -1 is 2^64-1");
	ok(kt(num, VSC_OID_INT8, "-9223372036854775808") == 0x8000000000000000ULL && !*err,
	   "numeric INT64_MIN");
	ok(kt(num, VSC_OID_INT8, "9223372036854775807") == 0x7fffffffffffffffULL, "numeric INT64_MAX");
	ok(kb(num, VSC_OID_INT8, "\x40\0\0\0\0\0\0\0", 8) == 0x4000000000000000ULL,
	   "numeric binary 2^62");
	is_int(vsc_shard_for_ksid(s, ki(num, VSC_OID_INT8, 0x3fffffffffffffffLL)), 0,
	       "numeric 2^62-1 on -40");
	is_int(vsc_shard_for_ksid(s, ki(num, VSC_OID_INT8, 0x4000000000000000LL)), 1,
	       "numeric 2^62 on 40-80");
	kt(num, VSC_OID_TEXT, "a");
	is_str(err, "0A000 vindex numeric does not support type text", "numeric on text");
	kt(num, VSC_OID_INT4, "x");
	is_str(err, "22P02 invalid input syntax for type integer: \"x\"", "numeric 'x' on int4");
	is_str(vsc_type_name(VSC_OID_VARCHAR), "character varying", "type names");
	vsc_free(s);
}

/* Load text, passing when it loads; the schema or NULL. */
static VscSchema *load_ok(const char *text, const char *what)
{
	VscSchema *s = load(text);
	ok(s != NULL, "%s loads: %s", what, s ? "" : err);
	return s;
}

/* The shard index a value of a range vindex maps to; -1 with err set. */
static int rshard(const VscSchema *s, const VscVindex *v, uint32_t oid, const char *text)
{
	uint64_t ksid = kt(v, oid, text);
	return *err ? -1 : vsc_shard_for_ksid(s, ksid);
}

/* The shards (indexes, as "0,2") a range predicate overlaps; "all" when
 * the vindex cannot prune. */
static const char *rpred(const VscSchema *s, const VscVindex *v, uint32_t oid, const char *lo, bool lo_incl,
			 const char *hi, bool hi_incl)
{
	static char out[64];
	uint64_t ksids[8];
	int n;
	VscError e;
	err[0] = 0;
	if (!vsc_range_ksids(v, oid, lo, lo_incl, hi, hi_incl, ksids, 8, &n, &e)) {
		snprintf(err, sizeof(err), "%s %s", e.sqlstate, e.msg);
		return "error";
	}
	if (n < 0)
		return "all";
	out[0] = 0;
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%d", i ? "," : "", vsc_shard_for_ksid(s, ksids[i]));
	return out;
}

#define RANGES                                                                                                    \
	"\"vindexes\": {\"t\": {\"type\": \"range\", \"params\": {\"ranges\": ["                                        \
	"{\"to\": \"2025-01-01\", \"shard\": \"-40\"}, {\"from\": \"2025-01-01\", \"to\": \"2025-07-01\", \"shard\": \"40-80\"}," \
	"{\"from\": \"2025-07-01\", \"to\": \"2026-01-01\", \"shard\": \"80-c0\"}]}},"                                   \
	"\"n\": {\"type\": \"range\", \"params\": {\"ranges\": [{\"from\": -100, \"to\": 0, \"shard\": \"-40\"},"              \
	"{\"from\": 0, \"to\": 1000, \"shard\": \"40-80\"}, {\"from\": 1000, \"shard\": \"80-c0\"}]}},"                                                                     \
	"\"s\": {\"type\": \"range\", \"params\": {\"ranges\": [{\"to\": \"m\", \"shard\": \"-40\"}, {\"from\": \"m\", \"shard\": \"c0-\"}]}}}"

/* The range vindex: boundaries, every type, text and binary forms alike,
 * values outside every range, range predicates, and its VSchema errors. */
static void test_range(void)
{
	VscSchema *s = load_ok("{\"sharded\": true, " SHARDS4 ", " RANGES "}", "range fixture");
	if (!s)
		return;
	const VscVindex *t = vsc_vindex(s, "t"), *n = vsc_vindex(s, "n"), *tx = vsc_vindex(s, "s");
	ok(t && t->kind == VSC_VINDEX_RANGE && t->nranges == 3, "a range vindex with 3 ranges");
	static const struct {
		uint32_t oid;
		const char *value;
		int shard; /* -1: outside every range */
		const char *what;
	} cases[] = {
		{1082, "2024-12-31", 0, "date below the first bound: first range"},
		{1082, "2025-01-01", 1, "a bound belongs to the range it starts"},
		{1082, "2025-06-30", 1, "date inside the second range"},
		{1082, "2025-07-01", 2, "the third range from its bound"},
		{1082, "0001-01-01", 0, "an open lower side"},
		{1082, "2026-01-01", -1, "a date past the last range"},
		{1114, "2024-12-31 23:59:59.999999", 0, "timestamp just below a bound"},
		{1114, "2025-01-01 00:00:00", 1, "timestamp at a bound"},
		{1114, "2025-01-02T10:00:00", 1, "timestamp in ISO 8601 with T"},
		{1184, "2025-06-30 23:00:00-02", 2, "timestamptz with an offset is compared in UTC"},
		{1184, "2025-06-30 23:00:00+00", 1, "timestamptz in UTC"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(rshard(s, t, cases[i].oid, cases[i].value), cases[i].shard, "%s", cases[i].what);
	rshard(s, t, 1082, "2026-01-01");
	is_str(err, "22023 value \"2026-01-01\" is outside every range of vindex \"t\"", "is 22023 naming the value");
	is_int(rshard(s, t, 1082, "2025-13-01"), -1, "a date that is no date");
	ok(strncmp(err, "22008", 5) == 0 || strncmp(err, "22007", 5) == 0, "is PostgreSQL's error (%s)", err);
	/* date binary: days since 2000-01-01; 2025-01-01 is day 9132 */
	uint64_t bk;
	VscError e;
	ok(vsc_ksid_binary(t, 1082, (const uint8_t *)"\0\0\x23\xac", 4, &bk, &e) && vsc_shard_for_ksid(s, bk) == 1,
	   "binary date 2025-01-01 routes as its text form");

	is_int(rshard(s, n, VSC_OID_INT4, "-100"), 0, "integer at the lowest bound");
	is_int(rshard(s, n, VSC_OID_INT4, "-101"), -1, "integer below every range");
	is_str(err, "22023 value \"-101\" is outside every range of vindex \"n\"", "is 22023");
	is_int(rshard(s, n, VSC_OID_INT8, "-1"), 0, "-1 below 0");
	is_int(rshard(s, n, VSC_OID_INT2, "0"), 1, "0 at its bound");
	is_int(rshard(s, n, VSC_OID_INT8, "999"), 1, "999 below 1000");
	is_int(rshard(s, n, VSC_OID_INT8, "1000"), 2, "1000 at the last range's bound");
	is_int(rshard(s, n, VSC_OID_INT8, "9223372036854775807"), 2, "the largest bigint, open upper side");
	ok(vsc_shard_for_ksid(s, ki(n, VSC_OID_INT8, 5)) == 1 && !*err, "an integer value routes as its text");
	ok(kb(n, VSC_OID_INT4, "\0\0\x03\xe7", 4) == kt(n, VSC_OID_INT4, "999") && !*err, "binary int4 999 as '999'");
	is_int(rshard(s, n, 1700, "999.999"), 1, "numeric below a bound");
	is_int(rshard(s, n, 1700, "-0.5"), 0, "negative numeric");
	is_int(rshard(s, n, 1700, "1000.0"), 2, "numeric at a bound");
	is_int(rshard(s, n, VSC_OID_INT4, "1.5"), -1, "1.5 on an integer column");
	is_str(err, "22P02 invalid input syntax for type integer: \"1.5\"", "is PostgreSQL's error");
	is_int(rshard(s, n, VSC_OID_INT4, ""), -1, "'' on an integer column");
	kt(n, 16, "t");
	is_str(err, "0A000 vindex range does not support type boolean", "range on boolean");

	is_int(rshard(s, tx, VSC_OID_TEXT, "apple"), 0, "text below 'm'");
	is_int(rshard(s, tx, VSC_OID_TEXT, "m"), 3, "text at 'm'");
	is_int(rshard(s, tx, VSC_OID_TEXT, "Zebra"), 0, "text bytewise: 'Z' < 'm'");
	is_int(rshard(s, tx, VSC_OID_BPCHAR, "l   "), 0, "bpchar without trailing spaces");
	ok(kb(tx, VSC_OID_VARCHAR, "zz", 2) == kt(tx, VSC_OID_VARCHAR, "zz"), "binary varchar as text");

	/* range predicates: the shards whose ranges overlap */
	is_str(rpred(s, t, 1082, "2025-02-01", true, "2025-03-01", true), "1", "BETWEEN inside one range");
	is_str(rpred(s, t, 1082, "2024-06-01", true, "2025-08-01", false), "0,1,2", "BETWEEN over three ranges");
	is_str(rpred(s, t, 1082, "2025-07-01", true, NULL, false), "2", ">= a bound: from its range on");
	is_str(rpred(s, t, 1082, NULL, false, "2025-01-01", false), "0", "< a bound: below it");
	is_str(rpred(s, t, 1082, NULL, false, "2025-01-01", true), "0,1", "<= a bound: its range too");
	is_str(rpred(s, t, 1114, "2025-06-30 12:00", false, NULL, false), "1,2", "> a timestamp");
	is_str(rpred(s, t, 1082, "2027-01-01", true, NULL, false), "", "past every range: no shard");
	is_str(rpred(s, n, VSC_OID_INT8, "-5", true, "5", true), "0,1", "integers");
	is_str(rpred(s, tx, VSC_OID_TEXT, "a", true, "b", true), "all", "text: the collation orders it, every shard");
	is_str(rpred(s, n, VSC_OID_INT8, "x", true, NULL, false), "error", "a bound that is no integer");
	vsc_free(s);

	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"r\": {\"type\": \"range\"}}}"),
	       "F: vindexes.r.params: a range vindex needs \"ranges\": [{\"from\": V, \"to\": V, \"shard\": SHARD}, ...]",
	       "a range vindex without ranges");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"r\": {\"type\": \"range\", \"params\": "
			"{\"ranges\": [{\"to\": 5, \"shard\": \"x\"}]}}}}"),
	       "F: vindexes.r.params.ranges[0].shard: no shard named \"x\"; expected one of: -40, 40-80, 80-c0, c0-",
	       "a range on an unknown shard");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"r\": {\"type\": \"range\", \"params\": "
			"{\"ranges\": [{\"to\": [5], \"shard\": \"-40\"}]}}}}"),
	       "F: vindexes.r.params.ranges[0].to: expected a string or a number, got an array", "a bound of another kind");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"r\": {\"type\": \"range\", \"params\": "
			"{\"ranges\": [{\"until\": 5, \"shard\": \"-40\"}]}}}}"),
	       "F: vindexes.r.params.ranges[0].until: unknown key; expected one of: from, to, shard", "a misspelt key");
}

/* lookup vindexes: their params, secondary only, no function of a value. */
static void test_lookup(void)
{
	VscSchema *s = load_ok("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"hash\": {\"type\": \"hash\"}, "
			    "\"e\": {\"type\": \"lookup_unique\", \"params\": {\"table\": \"u_e\", \"from\": \"email\", "
			    "\"to\": \"ksid\"}}, \"t\": {\"type\": \"lookup\", \"params\": {\"table\": \"u_t\", \"from\": "
			    "\"tag\", \"to\": \"ksid\"}}}, \"tables\": {\"u\": {\"column_vindexes\": [{\"column\": \"id\", "
			    "\"name\": \"hash\"}, {\"column\": \"email\", \"name\": \"e\"}, {\"column\": \"tag\", \"name\": \"t\"}]}}}",
			    "lookup fixture");
	if (!s)
		return;
	const VscVindex *e = vsc_vindex(s, "e"), *t = vsc_vindex(s, "t");
	ok(e && e->kind == VSC_VINDEX_LOOKUP_UNIQUE && vsc_vindex_is_lookup(e), "lookup_unique");
	ok(t && t->kind == VSC_VINDEX_LOOKUP && vsc_vindex_is_lookup(t), "lookup");
	ok(!vsc_vindex_is_lookup(vsc_vindex(s, "hash")), "hash is no lookup");
	is_str(e ? e->lookup_table : "", "u_e", "its lookup table");
	is_str(e ? e->lookup_from : "", "email", "its value column");
	is_str(e ? e->lookup_to : "", "ksid", "its keyspace id column");
	is_int(vsc_table(s, "u")->n_col_vindexes, 3, "a table with two lookup vindexes");
	is_str(vsc_vindex_kind_str(VSC_VINDEX_LOOKUP_UNIQUE), "lookup_unique", "kind name");
	kt(e, VSC_OID_TEXT, "a@x");
	is_str(err, "0A000 vindex lookup_unique maps values through its lookup table, not by itself",
	       "no keyspace id from the value alone");
	vsc_free(s);
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"e\": {\"type\": \"lookup\"}}}"),
	       "F: vindexes.e.params: a lookup vindex needs {\"table\": T, \"from\": COLUMN, \"to\": COLUMN}",
	       "a lookup vindex without params");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"e\": {\"type\": \"lookup\", \"params\": "
			"{\"table\": \"x\", \"from\": \"a\"}}}}"),
	       "F: vindexes.e.params: missing \"to\" (the lookup table's column holding the keyspace id)",
	       "a lookup vindex without \"to\"");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"e\": {\"type\": \"lookup\", \"params\": "
			"{\"table\": \"x\", \"from\": \"a\", \"to\": \"b\"}}}, \"tables\": {\"u\": {\"column_vindexes\": "
			"[{\"column\": \"a\", \"name\": \"e\"}]}}}"),
	       "F: tables.u.column_vindexes[0].name: a lookup vindex cannot be a table's first (primary) column vindex",
	       "a lookup vindex as the primary one");
}

/* vsc_ksid_columns over n text values of types; "" in err when it mapped. */
static bool kc(const VscVindex *v, int n, const uint32_t *types, const char *const *vals, uint64_t *lo, uint64_t *hi)
{
	VscError e;
	err[0] = 0;
	*lo = *hi = 0;
	if (vsc_ksid_columns(v, n, types, vals, lo, hi, &e))
		return true;
	snprintf(err, sizeof(err), "%s %s", e.sqlstate, e.msg);
	return false;
}

#define REGIONS                                                                                                        \
	"\"geo\": {\"type\": \"region\", \"params\": {\"regions\": {\"eu\": \"-40\", \"us\": \"40-c0\", \"ap\": \"c0-\"}}}"

static void test_region(void)
{
	VscSchema *s = load_ok("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {" REGIONS "}, \"tables\": {\"ev\": "
			       "{\"column_vindexes\": [{\"columns\": [\"region\", \"id\"], \"name\": \"geo\"}]}}}",
			       "region fixture");
	if (!s)
		return;
	const VscVindex *g = vsc_vindex(s, "geo");
	const VscTable *t = vsc_table(s, "ev");
	is_int(g->ncolumns, 2, "a region vindex takes two columns");
	is_int(g->nregions, 3, "three regions");
	is_str(t->col_vindexes[0].column, "region", "the table's first vindex column is the region's");
	is_str(t->col_vindexes[0].columns[1], "id", "then the key's");
	is_str(vsc_vindex_kind_str(g->kind), "region", "kind name");
	uint32_t ti[2] = {VSC_OID_TEXT, VSC_OID_INT8}, tt[2] = {VSC_OID_VARCHAR, VSC_OID_TEXT},
		 tb[2] = {VSC_OID_BPCHAR, VSC_OID_INT4};
	uint64_t lo, hi;
	/* key 7: XXH64 0xb194a08f7370a5cf; first byte 0xb1 folded into the region's bytes */
	const char *us7[2] = {"us", "7"}, *eu7[2] = {"eu", "7"}, *ap7[2] = {"ap", "7"};
	ok(kc(g, 2, ti, us7, &lo, &hi) && lo == 0x7194a08f7370a5cfULL && hi == lo, "us, 7: 0x40 + 0xb1 %% 0x80, then the hash");
	ok(kc(g, 2, ti, eu7, &lo, &hi) && lo == 0x3194a08f7370a5cfULL && hi == lo, "eu, 7: 0x00 + 0xb1 %% 0x40");
	ok(kc(g, 2, ti, ap7, &lo, &hi) && lo == 0xf194a08f7370a5cfULL, "ap, 7: 0xc0 + 0xb1 %% 0x40 (open top)");
	const char *eu7b[2] = {"eu  ", " +7 "};
	ok(kc(g, 2, tb, eu7b, &lo, &hi) && lo == 0x3194a08f7370a5cfULL, "character(4) 'eu  ' and int4 ' +7 ': the same");
	const char *euabc[2] = {"eu", "abc"};
	ok(kc(g, 2, tt, euabc, &lo, &hi) && lo == 0x04bc2cf5ad770999ULL, "eu, text 'abc' (XXH64 0x44bc2cf5ad770999)");
	ok(kc(g, 1, ti, us7, &lo, &hi) && lo == 0x4000000000000000ULL && hi == 0xbfffffffffffffffULL,
	   "the region alone: its range of keyspace ids");
	ok(kc(g, 1, ti, ap7, &lo, &hi) && lo == 0xc000000000000000ULL && hi == UINT64_MAX, "up to the top of the space");
	ok(kc(g, 0, ti, ap7, &lo, &hi) && lo == 0 && hi == UINT64_MAX, "no column: every keyspace id");
	const char *mars[2] = {"mars", "7"}, *bad[2] = {"eu", "x"};
	ok(!kc(g, 2, ti, mars, &lo, &hi), "an unknown region fails");
	is_str(err, "22023 \"mars\" is not a region of vindex \"geo\"", "with 22023 naming it");
	ok(!kc(g, 2, ti, bad, &lo, &hi), "a key that is not of its type fails");
	is_str(err, "22P02 invalid input syntax for type bigint: \"x\"", "as PostgreSQL says it");
	uint32_t ii[2] = {VSC_OID_INT4, VSC_OID_INT4};
	const char *one7[2] = {"1", "7"};
	ok(!kc(g, 2, ii, one7, &lo, &hi), "an integer region column");
	is_str(err, "0A000 vindex region takes its region from a text column, not type integer", "is refused");
	kt(g, VSC_OID_INT8, "7");
	is_str(err, "0A000 vindex region maps 2 columns together, not one value", "no keyspace id from one value");
	vsc_free(s);
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"g\": {\"type\": \"region\", \"params\": "
			"{\"regions\": {\"eu\": \"80-40\"}}}}}"),
	       "F: vindexes.g.params.regions.eu: expected a range of first bytes \"LO-HI\" (each side empty or two hex "
	       "digits, LO < HI), got \"80-40\"",
	       "a region's range backwards");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"g\": {\"type\": \"region\"}}}"),
	       "F: vindexes.g.params: a region vindex needs \"regions\": {NAME: \"LO-HI\", ...}", "a region vindex without regions");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {" REGIONS "}, \"tables\": {\"ev\": "
			"{\"column_vindexes\": [{\"column\": \"id\", \"name\": \"geo\"}]}}}"),
	       "F: tables.ev.column_vindexes[0]: vindex region takes 2 columns: expected \"columns\": [COLUMN, ...]",
	       "one column for a region vindex");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"h\": {\"type\": \"hash\"}, " REGIONS
			"}, \"tables\": {\"ev\": {\"column_vindexes\": [{\"column\": \"id\", \"name\": \"h\"}, "
			"{\"columns\": [\"r\", \"id\"], \"name\": \"geo\"}]}}}"),
	       "F: tables.ev.column_vindexes[1].name: a vindex over several columns can only be a table's first (primary) "
	       "column vindex",
	       "a region vindex as a secondary one");
}

static void test_multicol(void)
{
	VscSchema *s = load_ok("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"m2\": {\"type\": \"multicol\", "
			       "\"params\": {\"column_count\": 2}}, \"m3\": {\"type\": \"multicol\", \"params\": "
			       "{\"column_count\": 3}}, \"m17\": {\"type\": \"multicol\", \"params\": {\"column_count\": 2, "
			       "\"column_bytes\": [1, 7]}}}, \"tables\": {\"t\": {\"column_vindexes\": [{\"columns\": "
			       "[\"a\", \"b\"], \"name\": \"m2\"}]}}}",
			       "multicol fixture");
	if (!s)
		return;
	const VscVindex *m2 = vsc_vindex(s, "m2"), *m3 = vsc_vindex(s, "m3"), *m17 = vsc_vindex(s, "m17");
	is_int(m3->column_bytes[0] * 100 + m3->column_bytes[1] * 10 + m3->column_bytes[2], 332,
	       "three columns share 8 bytes as 3, 3, 2");
	uint32_t it[3] = {VSC_OID_INT8, VSC_OID_TEXT, VSC_OID_TEXT}, ii[3] = {VSC_OID_INT4, VSC_OID_INT2, VSC_OID_TEXT};
	uint64_t lo, hi;
	const char *v7abc[2] = {"7", "abc"};
	/* XXH64: int 7 0xb194a08f7370a5cf, 'abc' 0x44bc2cf5ad770999, int 1 0x9f1ffc793b8a47da, '7' 0x184a52b6a00d7ab7 */
	ok(kc(m2, 2, it, v7abc, &lo, &hi) && lo == 0xb194a08f44bc2cf5ULL && hi == lo, "(7, 'abc'): 4 bytes of each hash");
	ok(kc(m2, 1, it, v7abc, &lo, &hi) && lo == 0xb194a08f00000000ULL && hi == 0xb194a08fffffffffULL,
	   "(7) alone: the range its 4 bytes start");
	ok(kc(m2, 0, it, v7abc, &lo, &hi) && lo == 0 && hi == UINT64_MAX, "no column: every keyspace id");
	const char *v177[3] = {"1", "7", "7"};
	ok(kc(m3, 3, ii, v177, &lo, &hi) && lo == 0x9f1ffcb194a0184aULL, "(1, 7, '7'): 3, 3 and 2 bytes");
	ok(kc(m3, 2, ii, v177, &lo, &hi) && lo == 0x9f1ffcb194a00000ULL && hi == 0x9f1ffcb194a0ffffULL, "a prefix of two");
	const char *v71[2] = {"7", "1"};
	ok(kc(m17, 2, ii, v71, &lo, &hi) && lo == 0xb19f1ffc793b8a47ULL, "column_bytes [1, 7]");
	ok(kc(m17, 1, ii, v71, &lo, &hi) && lo == 0xb100000000000000ULL && hi == 0xb1ffffffffffffffULL, "its first byte alone");
	uint32_t dt[2] = {1082, VSC_OID_TEXT};
	const char *d[2] = {"2025-01-01", "x"};
	ok(!kc(m2, 2, dt, d, &lo, &hi), "a date column");
	is_str(err, "0A000 vindex multicol does not support type date", "is refused");
	vsc_free(s);
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"m\": {\"type\": \"multicol\", \"params\": "
			"{\"column_count\": 2, \"column_bytes\": [4, 5]}}}}"),
	       "F: vindexes.m.params.column_bytes: expected 2 numbers of bytes, each at least 1, that add up to 8",
	       "column bytes that do not add up to 8");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"m\": {\"type\": \"multicol\", \"params\": "
			"{\"column_count\": 1}}}}"),
	       "F: vindexes.m.params: a multicol vindex needs \"column_count\": 2 to 8", "one column");
	is_str(load_err("{\"sharded\": true, " SHARDS4 ", \"vindexes\": {\"m\": {\"type\": \"multicol\", \"params\": "
			"{\"column_count\": 2}}}, \"tables\": {\"t\": {\"column_vindexes\": [{\"columns\": [\"a\", \"b\", "
			"\"c\"], \"name\": \"m\"}]}}}"),
	       "F: tables.t.column_vindexes[0].columns: expected \"column\" or \"columns\" with the 2 column(s) vindex "
	       "multicol takes",
	       "three columns for two");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_vschema.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_ranges();
	test_sample();
	test_placements();
	test_many_shards();
	test_errors();
	test_vindexes();
	test_range();
	test_lookup();
	test_region();
	test_multicol();
	snprintf(path, sizeof(path), "%s/v.json", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
