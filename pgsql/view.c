/*
 * view.c - CREATE [OR REPLACE] VIEW: a SQLite view of the PostgreSQL
 * query translated once, at creation, with the output names and types
 * PostgreSQL gives it (relkind 'v' in pg_class, its columns in
 * pg_attribute and information_schema).  Reading a view is reading its
 * translated query; views over views nest the same way.
 */
#include <stdio.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/ddl_int.h"

/* The view's name is free, or (OR REPLACE) names a view, dropped here;
 * false after the error was sent. */
static bool view_name(PgsSession *s, PgQuery__ViewStmt *vs)
{
	const char *name = vs->view->relname;
	const PgsTable *t = pgs_catalog_table(&s->cat, name);
	if (!t || t->system || !vs->replace)
		return pgs_ddl_check_name(s, name, false) == NAME_FREE;
	if (t->relkind != 'v') {
		pgs_errorf(s, "42809", "\"%s\" is not a view", name);
		return false;
	}
	PgwError e;
	bool ok = pgs_ddl_drop(s, t, &e);
	pgs_schema_changed();
	if (!ok)
		pgs_send_error(s, &e);
	return ok;
}

bool pgs_create_view(PgsSession *s, PgQuery__ViewStmt *vs)
{
	PgQuery__RangeVar *rv = vs->view;
	if (vs->with_check_option > PG_QUERY__VIEW_CHECK_OPTION__NO_CHECK_OPTION) {
		pgs_errorf(s, "0A000", "WITH CHECK OPTION is not supported by DoSQL");
		return false;
	}
	if (!pgs_ddl_check_schema(s, rv) || !view_name(s, vs))
		return false;
	Arena a;
	arena_init(&a);
	PgsQuery q;
	PgwError e;
	bool ok = pgs_compile(s, NULL, vs->query, &a, 0, NULL, &q, &e);
	if (!ok) {
		e.position = 0;
		pgs_send_error(s, &e);
	}
	if (ok && q.catalog) {
		pgs_errorf(s, "0A000", "views over the system catalogs are not supported by DoSQL");
		ok = false;
	}
	ok = ok && pgs_ddl_query_columns(s, vs->n_aliases, vs->aliases, &q, &a,
					 "CREATE VIEW specifies more column names than columns");
	if (ok) {
		Buf sql;
		buf_init(&sql);
		buf_put_str(&sql, "CREATE VIEW ");
		pgs_put_ident(&sql, rv->relname);
		buf_put_u8(&sql, '(');
		for (int i = 0; i < q.ncols; i++) {
			if (i)
				buf_put_str(&sql, ", ");
			pgs_put_ident(&sql, q.cols[i].name);
		}
		buf_printf(&sql, ") AS %s", q.sql);
		ok = pgs_sql(s, buf_cstr(&sql), &e) && pgs_ddl_register(s, rv->relname, 'v', q.ncols, q.cols, &e);
		if (!ok)
			pgs_send_error(s, &e);
		buf_cleanup(&sql);
	}
	pgs_schema_changed();
	if (ok && rv->relpersistence && rv->relpersistence[0] == 't')
		ok = pgs_ddl_note_temp(s, rv->relname);
	arena_reset(&a);
	return ok;
}
