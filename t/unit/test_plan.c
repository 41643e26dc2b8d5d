/*
 * test_plan.c - golden-file tests of the router's planner: each statement
 * of t/unit/plan/cases.txt is parsed, planned against the VSchema of
 * t/unit/plan/vschema.json and the catalog facts of catalog.txt, and its
 * operator tree (as EXPLAIN prints it) must be the one t/unit/plan/cases.out
 * holds for it.  The tree is also checked by rt_op_check's asserts.
 *
 * Regenerate cases.out after a deliberate change of plans:
 *   make plan-golden
 * (runs this test with DOSQL_PLAN_REGENERATE=1, which writes cases.out
 * from the plans of today instead of comparing), then read the diff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"
#include "pgsql/pgtype.h"
#include "t/unit/tap.h"

#define DIR "t/unit/plan/"
#define MAX_COLUMNS 256
#define MAX_PARAMS 16

/* catalog.txt: table, column and type of each column, in column order;
 * a fourth word "seq=NAME" or "always=NAME" for a column whose default is
 * sequence NAME (always: GENERATED ALWAYS AS IDENTITY). */
static struct Column {
	char table[64], column[64], seq[64];
	bool always;
	uint32_t oid;
	int position;
} columns[MAX_COLUMNS];
static int ncolumns;

static bool load_catalog(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[256], type[64], dflt[80];
	while (fgets(line, sizeof(line), f) && ncolumns < MAX_COLUMNS) {
		struct Column *c = &columns[ncolumns];
		int words = line[0] == '#' ? 0 : sscanf(line, "%63s %63s %63s %79s", c->table, c->column, type, dflt);
		if (words < 3)
			continue;
		c->seq[0] = 0;
		if (words == 4 && strchr(dflt, '=')) {
			c->always = strncmp(dflt, "always=", 7) == 0;
			snprintf(c->seq, sizeof(c->seq), "%s", strchr(dflt, '=') + 1);
		}
		const PgType *t = pgt_by_name(type);
		if (!t) {
			fclose(f);
			return false;
		}
		c->oid = t->oid;
		c->position = 0;
		for (int i = 0; i < ncolumns; i++)
			c->position += strcmp(columns[i].table, c->table) == 0;
		ncolumns++;
	}
	fclose(f);
	return true;
}

static const struct Column *column(const char *table, const char *name)
{
	for (int i = 0; i < ncolumns; i++)
		if (strcmp(columns[i].table, table) == 0 && strcmp(columns[i].column, name) == 0)
			return &columns[i];
	return NULL;
}

static uint32_t fixture_column_type(void *arg, const char *table, const char *name, int32_t *typmod)
{
	(void)arg;
	const struct Column *c = column(table, name);
	*typmod = -1;
	return c ? c->oid : 0;
}

static int fixture_column_position(void *arg, const char *table, const char *name)
{
	(void)arg;
	const struct Column *c = column(table, name);
	return c ? c->position : -1;
}

/* Expression types would be described by a shard: unknown here. */
static uint32_t fixture_select_type(void *arg, const char *table, const char *sql)
{
	(void)arg;
	(void)table;
	(void)sql;
	return 0;
}

static int fixture_sequence_columns(void *arg, const char *table, RtSeqColumn *cols)
{
	(void)arg;
	int n = 0;
	for (int i = 0; i < ncolumns && n < RT_MAX_SEQ_COLUMNS; i++)
		if (strcmp(columns[i].table, table) == 0 && columns[i].seq[0]) {
			snprintf(cols[n].column, sizeof(cols[n].column), "%s", columns[i].column);
			snprintf(cols[n].seq, sizeof(cols[n].seq), "%s", columns[i].seq);
			cols[n++].always = columns[i].always;
		}
	return n;
}

/* Values of every sequence from one counter, from 1001 on, in the order
 * the cases ask; sequence "public.full" has none left (2200H). */
static bool fixture_sequence_next(void *arg, const char *seq, int64_t *value, PgwError *err)
{
	static int64_t next = 1001;
	(void)arg;
	if (strcmp(seq, "public.full") == 0) {
		pgw_error_set(err, "2200H", "nextval: reached maximum value of sequence \"full\" (2147483647)");
		return false;
	}
	*value = next++;
	return true;
}

/* Lookup tables of the fixture: a value's rows are on shard (its first
 * byte - 'a') % 4, "none@x" has no row, "lost@x" cannot be read. */
static int fixture_lookup_shards(void *arg, const VscVindex *v, const char *value, int *shards, int max)
{
	(void)arg;
	(void)v;
	if (strcmp(value, "lost@x") == 0)
		return -1;
	if (strcmp(value, "none@x") == 0 || max < 1)
		return 0;
	shards[0] = (value[0] - 'a' + 4) % 4;
	return 1;
}

/* Bound parameters of a "params: a|b" line, in text. */
typedef struct Params {
	RtParams p;
	char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS], formats[MAX_PARAMS];
	uint32_t types[MAX_PARAMS];
	char spec[512], buf[512];
} Params;

static void parse_params(Params *pp, const char *spec)
{
	memset(pp, 0, sizeof(*pp));
	snprintf(pp->spec, sizeof(pp->spec), "%.500s", spec);
	snprintf(pp->buf, sizeof(pp->buf), "%.500s", spec);
	int n = 0;
	for (char *v = pp->buf, *end; v && n < MAX_PARAMS; v = end) {
		end = strchr(v, '|');
		if (end)
			*end++ = 0;
		pp->values[n] = strcmp(v, "NULL") == 0 ? NULL : v;
		pp->lengths[n] = pp->values[n] ? (int)strlen(v) : 0;
		n++;
	}
	pp->p = (RtParams){.n = n,
			   .values = (const char *const *)pp->values,
			   .lengths = pp->lengths,
			   .formats = pp->formats,
			   .types = pp->types};
}

/* The plan of sql as text: its tree, or the parse error. */
static void plan_text(const RtPlanner *pl, const char *sql, const RtParams *params, Buf *out)
{
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (pr.error) {
		buf_printf(out, "syntax error: %s", pr.error->message);
		pg_query_free_protobuf_parse_result(pr);
		return;
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (!tree || tree->n_stmts != 1) {
		buf_printf(out, "not one statement");
	} else {
		RtPlan p;
		rt_plan(pl, tree->stmts[0]->stmt, sql, params, &p);
		rt_op_check(p.root);
		rt_op_explain(p.root, pl->vschema, out);
		if (p.atomic)
			buf_printf(out, "\n(commits atomically)");
		rt_plan_free(&p);
	}
	if (tree)
		pg_query__parse_result__free_unpacked(tree, NULL);
}

/* The expected block of statement sql in cases.out (statement lines are
 * "-- sql", the plan follows up to a blank line); NULL when absent. */
static char *expected(const char *golden, const char *sql)
{
	char head[4200];
	snprintf(head, sizeof(head), "-- %.4000s\n", sql);
	size_t hl = strlen(head);
	for (const char *p = golden; p && *p;) {
		if (strncmp(p, head, hl) == 0) {
			const char *start = p + hl, *end = strstr(start, "\n\n");
			size_t n = end ? (size_t)(end - start) : strlen(start);
			while (n > 0 && start[n - 1] == '\n')
				n--;
			return strndup(start, n);
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	Buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(&b, chunk, n);
	fclose(f);
	buf_put_u8(&b, 0);
	return (char *)b.data; /* the buffer's storage, freed by the caller */
}

int main(void)
{
	char err[512];
	VscSchema *vs = vsc_load(DIR "vschema.json", err, sizeof(err));
	ok(vs != NULL, "the VSchema fixture loads%s%s", vs ? "" : ": ", vs ? "" : err);
	ok(load_catalog(DIR "catalog.txt") && ncolumns > 0, "the catalog fixture loads (%d columns)", ncolumns);
	if (!vs)
		return tap_done();
	RtPlanner pl = {.vschema = vs,
			.catalog = {.column_type = fixture_column_type,
				    .column_position = fixture_column_position,
				    .select_type = fixture_select_type,
				    .sequence_columns = fixture_sequence_columns,
				    .sequence_next = fixture_sequence_next,
				    .lookup_shards = fixture_lookup_shards}};
	bool regenerate = getenv("DOSQL_PLAN_REGENERATE") != NULL;
	char *golden = regenerate ? NULL : slurp(DIR "cases.out");
	ok(regenerate || golden, "cases.out is there (make plan-golden writes it)");
	FILE *cases = fopen(DIR "cases.txt", "r");
	FILE *out = regenerate ? fopen(DIR "cases.out", "w") : NULL;
	ok(cases && (!regenerate || out), "cases.txt opens");
	char line[2048];
	Params pp;
	bool have_params = false;
	int n = 0;
	while (cases && fgets(line, sizeof(line), cases)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || strncmp(line, "--", 2) == 0)
			continue;
		if (strncmp(line, "params: ", 8) == 0) {
			parse_params(&pp, line + 8);
			have_params = true;
			continue;
		}
		Buf plan;
		buf_init(&plan);
		plan_text(&pl, line, have_params ? &pp.p : NULL, &plan);
		char title[2600];
		if (have_params)
			snprintf(title, sizeof(title), "%.2000s [params: %.500s]", line, pp.spec);
		else
			snprintf(title, sizeof(title), "%.2000s", line);
		if (regenerate) {
			ok(fprintf(out, "-- %s\n%s\n\n", title, buf_cstr(&plan)) > 0 && !ferror(out), "wrote the plan of %s",
			   title);
		} else {
			char *want = expected(golden, title);
			is_str(buf_cstr(&plan), want ? want : "(no plan in cases.out)", "%s", title);
			free(want);
		}
		buf_cleanup(&plan);
		have_params = false;
		n++;
	}
	ok(n >= 100, "at least 100 statements (%d)", n);
	if (cases)
		fclose(cases);
	if (out)
		fclose(out);
	free(golden);
	vsc_free(vs);
	rt_merge_pool_free();
	rt_op_cache_free();
	return tap_done();
}
