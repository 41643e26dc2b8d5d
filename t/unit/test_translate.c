/*
 * test_translate.c - the PostgreSQL-to-SQLite translator against a small
 * catalog: result names and types as PostgreSQL gives them, $n type
 * inference, the SQLite SQL written, and errors with SQLSTATE and position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgsql/catalog.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"
#include "t/unit/tap.h"

static PgsCatalog cat;
static Arena arena;

typedef struct Result {
	bool ok;
	PgsQuery q;
	PgwError err;
} Result;

static Result translate_typed(const char *sql, int nparams, const uint32_t *types);

static Result translate(const char *sql) { return translate_typed(sql, 0, NULL); }

/* With the parameter types a Parse message declared. */
static Result translate_typed(const char *sql, int nparams, const uint32_t *types)
{
	Result r;
	memset(&r, 0, sizeof(r));
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (pr.error) {
		pg_query_free_protobuf_parse_result(pr);
		return r;
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
	PgsTranslateCtx ctx = {.cat = &cat, .src = sql, .arena = &arena, .user = "alice", .nparams_in = nparams,
			       .param_types_in = types};
	r.ok = pgs_translate(&ctx, tree->stmts[0]->stmt, &r.q, &r.err);
	pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(pr);
	return r;
}

static const char *colnames(const Result *r)
{
	static char buf[512];
	buf[0] = 0;
	for (int i = 0; i < r->q.ncols; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "", r->q.cols[i].name);
	return buf;
}

static const char *coltypes(const Result *r)
{
	static char buf[512];
	buf[0] = 0;
	for (int i = 0; i < r->q.ncols; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%u", i ? "," : "", r->q.cols[i].type);
	return buf;
}

int main(void)
{
	char path[] = "/tmp/dosql_test_translate_XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	sqlite3 *db;
	char *err = NULL;
	sqlite3_open(path, &db);
	ok(pgs_catalog_bootstrap(db, &err), "catalog bootstrap");
	sqlite3_exec(db,
		     "CREATE TABLE t(id INTEGER, name TEXT, price NUMERIC, at TEXT);"
		     "INSERT INTO _dosql_class VALUES (16400, 't', 'r', 2200);"
		     "INSERT INTO _dosql_attribute(attrelid, attnum, attname, atttypid, atttypmod, attnotnull, attdefault)"
		     " VALUES (16400, 1, 'id', 23, -1, 1, NULL), (16400, 2, 'name', 1043, 24, 0, NULL),"
		     " (16400, 3, 'price', 1700, 655366, 0, NULL), (16400, 4, 'at', 1184, -1, 0, 'now()');",
		     NULL, NULL, &err);
	pgs_catalog_init(&cat, db, path);
	arena_init(&arena);

	Result r = translate("select 1, 'a', 1.5, 1::int8 as big, count(*), now(), true, 3000000000");
	ok(r.ok, "constants translate");
	is_str(colnames(&r), "?column?,?column?,?column?,big,count,now,?column?,?column?", "FigureColname names");
	is_str(coltypes(&r), "23,25,1700,20,20,1184,16,20", "constant, count and now() types");

	r = translate("select * from t");
	is_str(colnames(&r), "id,name,price,at", "star expands the catalog columns in order");
	is_str(coltypes(&r), "23,1043,1700,1184", "declared types");
	is_int(r.q.cols[1].typmod, 24, "varchar(20) typmod");
	is_int(r.q.cols[2].table_oid, 16400, "table OID of a plain column");
	is_int(r.q.cols[2].attnum, 3, "attnum of a plain column");

	r = translate("select id + 1, price * 2, id / 2, upper(name) from t");
	is_str(coltypes(&r), "23,1700,23,25", "arithmetic result types");
	r = translate("select sum(id), sum(price), avg(id), max(name) from t");
	is_str(coltypes(&r), "20,1700,1700,25", "aggregate result types: max of varchar is max(text)");
	r = translate("select id, sum(price) from t");
	ok(!r.ok && strcmp(r.err.sqlstate, "42803") == 0, "an ungrouped column beside an aggregate is 42803");
	r = translate("insert into t (id) values (1) on conflict (id) do update set name[1] = 'x'");
	ok(!r.ok && strcmp(r.err.sqlstate, "42804") == 0, "ON CONFLICT DO UPDATE of an element of a varchar is 42804, as in UPDATE");
	r = translate("with recursive a as (select 1 as b union all select b from a) cycle b set c using p select * from a");
	ok(!r.ok && strcmp(r.err.sqlstate, "0A000") == 0, "WITH RECURSIVE ... CYCLE is 0A000, not a query that never ends");
	r = translate("insert into t (id) values (1) on conflict (id) do update set (name, price) = ('x', 1)");
	ok(r.ok && strstr(r.q.sql, "\"name\" = ") && strstr(r.q.sql, "\"price\" = "),
	   "ON CONFLICT DO UPDATE SET (a, b) = (...) sets each column, as UPDATE does");

	r = translate("select name from t where id = $1 and price > $2 limit $3");
	ok(r.ok, "parameters translate");
	is_int(r.q.nparams, 3, "three parameters");
	ok(r.q.nparams == 3 && r.q.param_types[0] == PGT_INT4 && r.q.param_types[1] == PGT_NUMERIC &&
		   r.q.param_types[2] == PGT_INT8,
	   "$n types come from what they meet (int4, numeric, LIMIT int8)");

	r = translate("update t set price = price + $1 where id = $2");
	ok(r.ok && r.q.param_types[0] == PGT_NUMERIC && r.q.param_types[1] == PGT_INT4, "UPDATE parameter types");

	r = translate("insert into t (id, name) values (1, 'x') returning id, at");
	ok(r.ok, "INSERT translates");
	ok(r.ok && strstr(r.q.sql, "pg_now()") != NULL, "a column's non-constant default is added to the INSERT");
	is_str(colnames(&r), "id,at", "RETURNING columns");

	r = translate("select name from t where name like 'a%' and name ilike 'B%' and name ~ '^c'");
	ok(r.ok && strstr(r.q.sql, "ESCAPE '\\'") && strstr(r.q.sql, "lower(") && strstr(r.q.sql, "pg_regexp("),
	   "LIKE with PostgreSQL's escape, ILIKE through lower(), ~ through pg_regexp");

	r = translate("select id from t order by name desc, id");
	ok(r.ok && strstr(r.q.sql, "DESC NULLS FIRST") && strstr(r.q.sql, "ASC NULLS LAST"),
	   "ORDER BY spells out PostgreSQL's NULLS placement");

	r = translate("select array[1, 2], array['a', null], array[id, 2.5], array[name] from t");
	ok(r.ok && strstr(r.q.sql, "pg_array(23, 1, 2)") != NULL, "ARRAY[...] builds its literal with pg_array(elem oid, ...)");
	is_str(coltypes(&r), "1007,1009,1231,1015", "ARRAY[...] is the array of its elements' common type");
	r = translate("select array[array[1]]");
	ok(!r.ok && strcmp(r.err.sqlstate, "0A000") == 0, "an array of arrays is 0A000");
	r = translate("select array[1, 'x']");
	ok(!r.ok && strcmp(r.err.sqlstate, "22P02") == 0, "an element that is not of the common type: 22P02");

	r = translate("select * from upper('abc') as result, length('x')");
	ok(r.ok, "functions returning one value in FROM translate");
	is_str(colnames(&r), "result,length", "named after the alias, else the function");
	is_str(coltypes(&r), "25,23", "typed as the function's result");
	static const uint32_t void_first[] = {PGT_VOID, PGT_VARCHAR};
	r = translate_typed("select * from upper($1, $2) as result", 2, void_first);
	ok(r.ok && r.q.nparams == 2, "a void parameter among a function's arguments is dropped (pgjdbc's {? = call f(?)})");

	r = translate("select * from nosuch");
	ok(!r.ok, "unknown table fails");
	is_str(r.err.sqlstate, "42P01", "42P01");
	is_int(r.err.position, 15, "at the table name");

	r = translate("select nosuch from t");
	is_str(r.err.sqlstate, "42703", "unknown column: 42703");
	is_int(r.err.position, 8, "at the column");

	r = translate("select * from t where id = 'abc'");
	is_str(r.err.sqlstate, "22P02", "a bad literal for an int4 column: 22P02");
	is_str(r.err.message, "invalid input syntax for type integer: \"abc\"", "PostgreSQL's message");
	is_int(r.err.position, 28, "at the literal");

	r = translate("select id from t a join t b on a.id = b.id");
	is_str(r.err.sqlstate, "42702", "ambiguous column: 42702");

	r = translate("select distinct on (id) name from t order by id");
	ok(r.ok && strstr(r.q.sql, "row_number() OVER (PARTITION BY") != NULL && strstr(r.q.sql, "\"_drn\" = 1") != NULL,
	   "DISTINCT ON keeps the first row of each key");
	r = translate("select distinct on (id) name from t order by name");
	is_str(r.err.sqlstate, "42P10", "DISTINCT ON keys that are not the leftmost ORDER BY keys: 42P10");

	r = translate("select 'x'::regclass");
	is_str(r.err.sqlstate, "42P01", "regclass of an unknown relation");
	r = translate("select 't'::regclass");
	ok(r.ok && strstr(r.q.sql, "16400") != NULL, "'t'::regclass is the table's OID");

	r = translate("with x as (select id from t) select count(*) from x");
	ok(r.ok, "WITH");
	r = translate("select id from t union all select 1 order by 1 limit 2");
	ok(r.ok && strstr(r.q.sql, "UNION ALL") != NULL, "UNION ALL with ORDER BY and LIMIT");
	r = translate("select (select max(id) from t) as m, exists(select 1 from t where t.id = 1)");
	is_str(colnames(&r), "m,exists", "scalar subquery and EXISTS");

	pgs_catalog_cleanup(&cat);
	arena_reset(&arena);
	sqlite3_close(db);
	unlink(path);
	return tap_done();
}
