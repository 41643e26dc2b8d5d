/*
 * ddl_as.c - CREATE TABLE ... AS query and SELECT ... INTO: a table whose
 * columns are the query's outputs (names, types and typmods as PostgreSQL
 * gives them, an untyped literal as text), filled with its rows in the
 * same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/ddl_int.h"

bool pgs_ddl_query_columns(PgsSession *s, size_t nnames, PgQuery__Node **names, PgsQuery *q, Arena *a,
			   const char *too_many)
{
	if ((int)nnames > q->ncols) {
		pgs_errorf(s, "42601", "%s", too_many);
		return false;
	}
	PgsResultCol *cols = arena_alloc(a, sizeof(PgsResultCol) * (size_t)(q->ncols + 1));
	for (int i = 0; i < q->ncols; i++) {
		cols[i] = q->cols[i];
		if ((size_t)i < nnames)
			cols[i].name = pgn_str(names[i]);
		if (cols[i].type == PGT_UNKNOWN)
			cols[i].type = PGT_TEXT;
		for (int j = 0; j < i; j++)
			if (strcmp(cols[j].name, cols[i].name) == 0) {
				pgs_errorf(s, "42701", "column \"%s\" specified more than once", cols[i].name);
				return false;
			}
	}
	q->cols = cols;
	return true;
}

bool pgs_create_table_as(PgsSession *s, PgQuery__IntoClause *into, PgQuery__Node *query, bool if_not_exists,
			 const char **tag)
{
	PgQuery__RangeVar *rv = into->rel;
	*tag = "CREATE TABLE AS";
	if (into->on_commit > PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_PRESERVE_ROWS) {
		pgs_errorf(s, "0A000", "ON COMMIT DELETE ROWS / DROP is not supported by DoSQL");
		return false;
	}
	if (!pgs_ddl_check_schema(s, rv))
		return false;
	NameCheck nc = pgs_ddl_check_name(s, rv->relname, if_not_exists);
	if (nc != NAME_FREE)
		return nc == NAME_SKIPPED;
	Arena a;
	arena_init(&a);
	PgsQuery q;
	PgwError e;
	bool ok = pgs_compile(s, NULL, query, &a, 0, NULL, &q, &e);
	if (!ok) {
		e.position = 0;
		pgs_send_error(s, &e);
	}
	ok = ok && pgs_ddl_query_columns(s, into->n_col_names, into->col_names, &q, &a,
					 "too many column names were specified");
	if (ok && !pgs_ddl_create_plain(s, rv->relname, q.ncols, q.cols, &e)) {
		pgs_send_error(s, &e);
		ok = false;
	}
	if (ok && rv->relpersistence && rv->relpersistence[0] == 't')
		ok = pgs_ddl_note_temp(s, rv->relname);
	int changes = 0;
	if (ok && !into->skip_data) {
		Buf sql;
		buf_init(&sql);
		buf_put_str(&sql, "INSERT INTO ");
		pgs_put_ident(&sql, rv->relname);
		buf_printf(&sql, " SELECT * FROM (%s)", q.sql);
		ok = pgs_catalog_ready(s, &q, &e) && pgs_exec_params(s, buf_cstr(&sql), NULL, NULL, 0, 0, &changes, &e);
		if (!ok)
			pgs_send_error(s, &e);
		buf_cleanup(&sql);
		snprintf(s->tag, sizeof(s->tag), "SELECT %d", changes);
		*tag = s->tag;
	}
	arena_reset(&a);
	return ok;
}
