/*
 * catalog_funcs.c - PostgreSQL's catalog functions (format_type,
 * pg_get_indexdef, pg_get_constraintdef, pg_get_userbyid, regclass output,
 * pg_size_pretty, ...) as SQLite functions over the session's catalog
 * views.  The translator maps the PostgreSQL names to these.
 */
#include "pgsql/catalog.h"

#include <inttypes.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/pgident.h"
#include "pgsql/pgtype.h"
#include "pgsql/pgtype_format.h"

/* Set the result to the text of b (empty when nothing was written). */
static void result_buf(sqlite3_context *ctx, Buf *b)
{
	sqlite3_result_text(ctx, b->data ? (const char *)b->data : "", (int)b->len, SQLITE_TRANSIENT);
}

/*
 * Run `sql` (parameters ?1 and ?2 bound to v1 and v2) on the function's own
 * connection and append the first column of its first row as text to b;
 * false when there is no row or the lookup fails.
 */
static bool lookup_text(sqlite3_context *ctx, const char *sql, int64_t v1, int64_t v2, Buf *b)
{
	sqlite3_stmt *st;
	bool found = false;
	if (sqlite3_prepare_v2(sqlite3_context_db_handle(ctx), sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, v1);
	sqlite3_bind_int64(st, 2, v2);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		buf_put_str(b, (const char *)sqlite3_column_text(st, 0));
		found = true;
	}
	sqlite3_finalize(st);
	return found;
}

/* pg_get_userbyid(oid): the role's name, "unknown (OID=n)" for none. */
static void fn_get_userbyid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	int64_t oid = sqlite3_value_int64(argv[0]);
	Buf b;
	buf_init(&b);
	if (!lookup_text(ctx, "SELECT rolname FROM temp.pg_authid WHERE oid = ?1", oid, 0, &b))
		buf_printf(&b, "unknown (OID=%" PRId64 ")", oid);
	result_buf(ctx, &b);
	buf_cleanup(&b);
}

/* pg_encoding_to_char(int): DoSQL speaks UTF8 only (6); "" otherwise. */
static void fn_encoding_to_char(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
		sqlite3_result_text(ctx, sqlite3_value_int(argv[0]) == 6 ? "UTF8" : "", -1, SQLITE_STATIC);
}

/* The SQL spelling format_type() uses for the base types that have one. */
static const struct {
	uint32_t oid;
	const char *name;
} sql_names[] = {
	{PGT_BOOL, "boolean"},
	{PGT_INT2, "smallint"},
	{PGT_INT4, "integer"},
	{PGT_INT8, "bigint"},
	{PGT_FLOAT4, "real"},
	{PGT_FLOAT8, "double precision"},
	{PGT_CHAR, "\"char\""},
	{PGT_VARCHAR, "character varying"},
	{PGT_BPCHAR, "character"},
	{PGT_NUMERIC, "numeric"},
	{PGT_TIME, "time"},
	{PGT_TIMETZ, "time"},
	{PGT_TIMESTAMP, "timestamp"},
	{PGT_TIMESTAMPTZ, "timestamp"},
	{PGT_INTERVAL, "interval"},
	{1560, "bit"},
	{1562, "bit varying"},
};

void pgt_format_type(Buf *b, uint32_t oid, int32_t typmod, bool typmod_given)
{
	const PgType *t = pgt_by_oid(oid);
	if (!t) {
		buf_put_str(b, "???");
		return;
	}
	if (t->category == 'A' && t->elem_oid && oid != 22 && oid != 30) {
		pgt_format_type(b, t->elem_oid, typmod, typmod_given);
		buf_put_str(b, "[]");
		return;
	}
	const char *name = NULL;
	for (size_t i = 0; i < sizeof(sql_names) / sizeof(sql_names[0]) && !name; i++)
		if (sql_names[i].oid == oid)
			name = sql_names[i].name;
	if (!name || (oid == PGT_BPCHAR && typmod < 0 && typmod_given)) {
		buf_put_str(b, t->name); /* bpchar without a length keeps its own name */
		return;
	}
	buf_put_str(b, name);
	if (oid == PGT_NUMERIC && typmod >= 4)
		buf_printf(b, "(%d,%d)", ((typmod - 4) >> 16) & 0xffff, (int16_t)((typmod - 4) & 0xffff));
	else if ((oid == PGT_VARCHAR || oid == PGT_BPCHAR) && typmod >= 4)
		buf_printf(b, "(%d)", typmod - 4);
	else if ((oid == 1560 || oid == 1562) && typmod >= 0)
		buf_printf(b, "(%d)", typmod);
	else if ((oid == PGT_TIME || oid == PGT_TIMETZ || oid == PGT_TIMESTAMP || oid == PGT_TIMESTAMPTZ) && typmod >= 0)
		buf_printf(b, "(%d)", typmod);
	if (oid == PGT_TIME || oid == PGT_TIMESTAMP)
		buf_put_str(b, " without time zone");
	else if (oid == PGT_TIMETZ || oid == PGT_TIMESTAMPTZ)
		buf_put_str(b, " with time zone");
}

/* format_type(oid, typmod): NULL for a NULL oid. */
static void fn_format_type(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	bool given = argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL;
	Buf b, name;
	buf_init(&b);
	buf_init(&name);
	int64_t oid = sqlite3_value_int64(argv[0]);
	/* a composite type or domain of _dosql_type by its name */
	if (!pgt_by_oid((uint32_t)oid) &&
	    lookup_text(ctx, "SELECT typname FROM main._dosql_type WHERE oid = ?1", oid, 0, &name))
		pgi_put_ident(&b, buf_cstr(&name));
	else
		pgt_format_type(&b, (uint32_t)oid, given ? sqlite3_value_int(argv[1]) : -1, given);
	result_buf(ctx, &b);
	buf_cleanup(&b);
	buf_cleanup(&name);
}

/* regclass, regtype and regnamespace output (ud 0, 1, 2): the object's
 * name, or the number when there is no such object. */
static void fn_reg_out(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	int64_t oid = sqlite3_value_int64(argv[0]);
	intptr_t kind = (intptr_t)sqlite3_user_data(ctx);
	Buf b, name;
	buf_init(&b);
	buf_init(&name);
	if (kind == 1 && pgt_by_oid((uint32_t)oid)) {
		pgt_format_type(&b, (uint32_t)oid, -1, false); /* format_type_be */
	} else if (lookup_text(ctx,
			       kind == 0   ? "SELECT relname FROM main._dosql_class WHERE oid = ?1"
			       : kind == 1 ? "SELECT typname FROM main._dosql_type WHERE oid = ?1"
					   : "SELECT nspname FROM temp.pg_namespace WHERE oid = ?1",
			       oid, 0, &name)) {
		pgi_put_ident(&b, buf_cstr(&name));
	} else {
		buf_printf(&b, "%" PRId64, oid);
	}
	result_buf(ctx, &b);
	buf_cleanup(&b);
	buf_cleanup(&name);
}

/* Append the quoted names of table relid's columns listed in `attnums`
 * ("1 2" or "{1,2}"), comma separated; only the col-th (1-based) when col
 * is not 0. */
static void put_columns(sqlite3_context *ctx, Buf *b, int64_t relid, const char *attnums, int col)
{
	const char *p = attnums;
	for (int i = 1; *p; i++) {
		while (*p && (*p < '0' || *p > '9') && *p != '-')
			p++;
		if (!*p)
			break;
		char *end;
		long attnum = strtol(p, &end, 10);
		p = end;
		if (col && i != col)
			continue;
		Buf name;
		buf_init(&name);
		if (lookup_text(ctx, "SELECT attname FROM main._dosql_attribute WHERE attrelid = ?1 AND attnum = ?2", relid,
				attnum, &name)) {
			if (b->len && !col && b->data[b->len - 1] != '(')
				buf_put_str(b, ", ");
			pgi_put_ident(b, buf_cstr(&name));
		}
		buf_cleanup(&name);
	}
}

/* pg_get_indexdef(index_oid [, column, pretty]): the CREATE INDEX statement,
 * or the column's name when column is not 0; NULL for no such index. */
static void fn_get_indexdef(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	int col = argc > 1 ? sqlite3_value_int(argv[1]) : 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sqlite3_context_db_handle(ctx),
			       "SELECT c.relname, t.relname, i.indisunique, i.indkey, i.indrelid FROM main._dosql_index i"
			       " JOIN main._dosql_class c ON c.oid = i.indexrelid JOIN main._dosql_class t ON t.oid = i.indrelid"
			       " WHERE i.indexrelid = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, sqlite3_value_int64(argv[0]));
	if (sqlite3_step(st) == SQLITE_ROW) {
		Buf b;
		buf_init(&b);
		if (col) {
			put_columns(ctx, &b, sqlite3_column_int64(st, 4), (const char *)sqlite3_column_text(st, 3), col);
		} else {
			buf_printf(&b, "CREATE %sINDEX ", sqlite3_column_int(st, 2) ? "UNIQUE " : "");
			pgi_put_ident(&b, (const char *)sqlite3_column_text(st, 0));
			buf_put_str(&b, " ON public.");
			pgi_put_ident(&b, (const char *)sqlite3_column_text(st, 1));
			buf_put_str(&b, " USING btree (");
			put_columns(ctx, &b, sqlite3_column_int64(st, 4), (const char *)sqlite3_column_text(st, 3), 0);
			buf_put_u8(&b, ')');
		}
		result_buf(ctx, &b);
		buf_cleanup(&b);
	}
	sqlite3_finalize(st);
}

/* pg_get_constraintdef(oid [, pretty]): "PRIMARY KEY (id)", "UNIQUE (a, b)",
 * "CHECK ((a > 0))" ("CHECK (a > 0)" when pretty), "FOREIGN KEY (a)
 * REFERENCES t(id)"; NULL for no such constraint. */
static void fn_get_constraintdef(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	bool pretty = argc > 1 && sqlite3_value_int(argv[1]);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sqlite3_context_db_handle(ctx),
			       "SELECT contype, conrelid, conkey, condef, " PGS_FK_CASCADES("?1")
			       " FROM main._dosql_constraint WHERE oid = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, sqlite3_value_int64(argv[0]));
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *def = (const char *)sqlite3_column_text(st, 3);
		Buf b;
		buf_init(&b);
		if (type && (type[0] == 'p' || type[0] == 'u') && sqlite3_column_text(st, 2)) {
			buf_put_str(&b, type[0] == 'p' ? "PRIMARY KEY (" : "UNIQUE (");
			put_columns(ctx, &b, sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2), 0);
			buf_put_u8(&b, ')');
		} else if (def && pretty && strncmp(def, "CHECK ((", 8) == 0 && strlen(def) > 10) {
			buf_printf(&b, "CHECK (%.*s)", (int)strlen(def) - 10, def + 8);
		} else if (def) {
			buf_put_str(&b, def);
			if (type && type[0] == 'f' && sqlite3_column_int(st, 4))
				buf_put_str(&b, " ON DELETE CASCADE");
		}
		result_buf(ctx, &b);
		buf_cleanup(&b);
	}
	sqlite3_finalize(st);
}

/* obj_description(oid [, catalog]) (ud 0) and col_description(relid,
 * attnum) (ud 1): the comment in pg_description, NULL for none. */
static void fn_description(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	bool column = sqlite3_user_data(ctx) != NULL;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || (column && (argc < 2 || sqlite3_value_type(argv[1]) == SQLITE_NULL)))
		return;
	Buf b;
	buf_init(&b);
	if (lookup_text(ctx, "SELECT description FROM temp.pg_description WHERE objoid = ?1 AND objsubid = ?2",
			sqlite3_value_int64(argv[0]), column ? sqlite3_value_int64(argv[1]) : 0, &b))
		result_buf(ctx, &b);
	buf_cleanup(&b);
}

/* pg_relation_is_publishable(oid): an ordinary table. */
static void fn_relation_is_publishable(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	Buf b;
	buf_init(&b);
	sqlite3_result_int(ctx, lookup_text(ctx, "SELECT 1 FROM main._dosql_class WHERE oid = ?1 AND relkind = 'r'",
					    sqlite3_value_int64(argv[0]), 0, &b));
	buf_cleanup(&b);
}

/* pg_size_pretty(bigint), rounding as PostgreSQL 15 does. */
static void fn_size_pretty(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	static const char *const units[] = {"kB", "MB", "GB", "TB", "PB"};
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	int64_t size = sqlite3_value_int64(argv[0]);
	char out[64];
	if (llabs(size) < 10 * 1024) {
		snprintf(out, sizeof(out), "%" PRId64 " bytes", size);
	} else {
		size /= 1 << 9; /* one extra bit for rounding */
		size_t u = 0;
		while (llabs(size) >= 20 * 1024 - 1 && u + 1 < sizeof(units) / sizeof(units[0])) {
			size /= 1 << 10;
			u++;
		}
		snprintf(out, sizeof(out), "%" PRId64 " %s", (size + (size < 0 ? -1 : 1)) / 2, units[u]);
	}
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* current_schemas(include_implicit): the search path as a name[]. */
static void fn_current_schemas(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
		sqlite3_result_text(ctx, sqlite3_value_int(argv[0]) ? "{pg_catalog,public}" : "{public}", -1, SQLITE_STATIC);
}

/* pg_table_is_visible(oid) and the like: everything lives in public or
 * pg_catalog, both on the search path. */
static void fn_visible(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
		sqlite3_result_int(ctx, 1);
}

/* has_*_privilege(...): DoSQL's one user may do everything. */
static void fn_true(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_int(ctx, 1);
}

/* Functions over objects DoSQL does not have (comments, triggers, views,
 * function signatures, statistics objects): always NULL. */
static void fn_null(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
}

/* pg_relation_size() and the like: a shard does not account space per
 * table; 0. */
static void fn_zero(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
		sqlite3_result_int(ctx, 0);
}

/* pg_get_expr(expr_text, relid [, pretty]): expressions are stored as their
 * SQL text. */
static void fn_get_expr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_value(ctx, argv[0]);
}

/* The top node of the expression `e`: 0 when it does not parse. */
static PgQuery__Node__NodeCase top_node(const char *e)
{
	char *sql = sqlite3_mprintf("SELECT %s", e);
	PgQuery__Node__NodeCase kind = 0;
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	if (!pr.error) {
		PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
		if (tree && tree->n_stmts == 1 && tree->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
		    tree->stmts[0]->stmt->select_stmt->n_target_list == 1)
			kind = tree->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val->node_case;
		pg_query__parse_result__free_unpacked(tree, NULL);
	}
	pg_query_free_protobuf_parse_result(pr);
	sqlite3_free(sql);
	return kind;
}

/*
 * pg_attrdef_expr(expr, type): a column default as pg_get_expr() shows it.
 * PostgreSQL stores a string literal default coerced to the column's type,
 * so it reads back with a cast ('none'::character varying); an operator at
 * the top is parenthesized ((1 + 1)) and CURRENT_TIMESTAMP and its kin are
 * in capitals.  Other expressions are shown as written.
 */
static void fn_attrdef_expr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	const char *e = (const char *)sqlite3_value_text(argv[0]);
	Buf b;
	buf_init(&b);
	switch (top_node(e)) {
	case PG_QUERY__NODE__NODE_A_CONST:
		buf_put_str(&b, e);
		if (e[0] == '\'') {
			buf_put_str(&b, "::");
			pgt_format_type(&b, (uint32_t)sqlite3_value_int64(argv[1]), -1, true);
		}
		break;
	case PG_QUERY__NODE__NODE_A_EXPR:
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		buf_printf(&b, "(%s)", e);
		break;
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		for (const char *p = e; *p; p++)
			buf_put_u8(&b, (uint8_t)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p));
		break;
	default:
		buf_put_str(&b, e);
		break;
	}
	result_buf(ctx, &b);
	buf_cleanup(&b);
}

static const PgtSqlFunc fns[] = {
	{"pg_get_userbyid", 1, fn_get_userbyid, NULL, 0},
	{"pg_encoding_to_char", 1, fn_encoding_to_char, NULL, 0},
	{"pg_format_type", 2, fn_format_type, NULL, 0},
	{"pg_regclass_out", 1, fn_reg_out, (void *)0, 0},
	{"pg_regtype_out", 1, fn_reg_out, (void *)1, 0},
	{"pg_regnamespace_out", 1, fn_reg_out, (void *)2, 0},
	{"pg_get_indexdef", 1, fn_get_indexdef, NULL, 0},
	{"pg_get_indexdef", 3, fn_get_indexdef, NULL, 0},
	{"pg_get_constraintdef", 1, fn_get_constraintdef, NULL, 0},
	{"pg_get_constraintdef", 2, fn_get_constraintdef, NULL, 0},
	{"pg_obj_description", 1, fn_description, NULL, 0},
	{"pg_obj_description", 2, fn_description, NULL, 0},
	{"pg_col_description", 2, fn_description, (void *)1, 0},
	{"pg_relation_is_publishable", 1, fn_relation_is_publishable, NULL, 0},
	{"pg_size_pretty", 1, fn_size_pretty, NULL, 0},
	{"pg_current_schemas", 1, fn_current_schemas, NULL, 0},
	{"pg_table_is_visible", 1, fn_visible, NULL, 0},
	{"pg_catalog_true", -1, fn_true, NULL, 0},
	{"pg_catalog_null", -1, fn_null, NULL, 0},
	{"pg_catalog_zero", 1, fn_zero, NULL, 0},
	{"pg_attrdef_expr", 2, fn_attrdef_expr, NULL, 0},
	{"pg_get_expr", 2, fn_get_expr, NULL, 0},
	{"pg_get_expr", 3, fn_get_expr, NULL, 0},
};

bool pgs_catalog_funcs_register(sqlite3 *db) { return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0])); }

bool pgs_catalog_function(const char *name)
{
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strcmp(fns[i].name, name) == 0)
			return true;
	return false;
}
