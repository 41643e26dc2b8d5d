/*
 * translate_distinct.c - SELECT DISTINCT ON (keys): the SELECT gets two
 * hidden outputs, row_number() over the rows of each key (in the
 * statement's ORDER BY) and the ORDER BY keys, and is wrapped in a SELECT
 * of its first row per key, in that order:
 *
 *   SELECT * FROM (WITH "_d"("_d0", ..., "_drn", "_do0", ...) AS (
 *       SELECT targets, row_number() OVER (PARTITION BY keys ORDER BY ...),
 *              order keys FROM ...)
 *     SELECT "_d0" AS name, ... FROM "_d" WHERE "_drn" = 1 ORDER BY "_do0", ... LIMIT ...)
 *
 * A grouping-sets query is ordered the same way (without "_drn"): its
 * arms evaluate the ORDER BY keys, where left-out grouping expressions are
 * NULL and GROUPING() has the arm's value.
 */
#include <stdio.h>
#include <string.h>
#include "common/pgident.h"
#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

bool tr_is_distinct_on(const PgQuery__SelectStmt *s)
{
	return s->n_distinct_clause && s->distinct_clause[0] &&
	       s->distinct_clause[0]->node_case != PG_QUERY__NODE__NODE__NOT_SET;
}

Node *tr_output_expr(Tr *tr, const PgQuery__SelectStmt *s, Node *n, const char *what)
{
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		int pos = n->a_const->ival->ival;
		if (pos < 1 || (size_t)pos > s->n_target_list) {
			tr_fail(tr, "42P10", n->a_const->location, "%s position %d is not in select list", what, pos);
			return NULL;
		}
		return s->target_list[pos - 1]->res_target->val;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && n->column_ref->n_fields == 1 &&
	    n->column_ref->fields[0]->node_case == PG_QUERY__NODE__NODE_STRING) {
		const char *name = pgn_str(n->column_ref->fields[0]);
		for (size_t i = 0; i < s->n_target_list; i++)
			if (pgn_has_str(s->target_list[i]->res_target->name) &&
			    strcmp(s->target_list[i]->res_target->name, name) == 0)
				return s->target_list[i]->res_target->val;
	}
	return n;
}

/* PostgreSQL's rule: the DISTINCT ON keys are the leftmost ORDER BY keys. */
static bool keys_match(Tr *tr, const PgQuery__SelectStmt *s)
{
	size_t n = s->n_sort_clause < s->n_distinct_clause ? s->n_sort_clause : s->n_distinct_clause;
	for (size_t i = 0; i < n; i++) {
		Node *o = tr_output_expr(tr, s, s->sort_clause[i]->sort_by->node, "ORDER BY");
		bool found = false;
		for (size_t j = 0; o && j < s->n_distinct_clause && !found; j++) {
			Node *d = tr_output_expr(tr, s, s->distinct_clause[j], "SELECT DISTINCT ON");
			found = d && pgn_equal(&d->base, &o->base);
		}
		if (tr->failed)
			return false;
		if (!found)
			return tr_fail(tr, "42P10", -1, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions");
	}
	return true;
}

/* An item translated: as a partition key (numeric by value) or as a sort key. */
static bool put_item(Tr *tr, const PgQuery__SelectStmt *s, Node *n, const char *what, bool sort, Buf *out)
{
	Node *e = tr_output_expr(tr, s, n, what);
	if (!e)
		return false;
	Buf b;
	TType t;
	buf_init(&b);
	bool ok = tr_expr(tr, e, &b, &t);
	if (ok) {
		tr_settle(tr, &b, &t);
		if (sort)
			tr_put_cmp_operand(out, &b, &t, tr_cmp_keyed(&t, 1));
		else
			tr_put_group_key(out, &b, &t);
	}
	buf_cleanup(&b);
	return ok;
}

bool tr_distinct_on_targets(Tr *tr, PgQuery__SelectStmt *s, Buf *out)
{
	if (!keys_match(tr, s))
		return false;
	buf_put_str(out, ", row_number() OVER (PARTITION BY ");
	for (size_t i = 0; i < s->n_distinct_clause; i++) {
		if (i)
			buf_put_str(out, ", ");
		if (!put_item(tr, s, s->distinct_clause[i], "SELECT DISTINCT ON", false, out))
			return false;
	}
	for (size_t i = 0; i < s->n_sort_clause; i++) {
		PgQuery__SortBy *sb = s->sort_clause[i]->sort_by;
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
			return tr_unsupported(tr, sb->location, "ORDER BY ... USING");
		buf_put_str(out, i ? ", " : " ORDER BY ");
		if (!put_item(tr, s, sb->node, "ORDER BY", true, out))
			return false;
		tr_put_sort_dir(out, sb);
	}
	buf_put_str(out, ") AS \"_drn\"");
	return tr_sort_targets(tr, s, out);
}

bool tr_sort_targets(Tr *tr, PgQuery__SelectStmt *s, Buf *out)
{
	for (size_t i = 0; i < s->n_sort_clause; i++) {
		buf_put_str(out, ", ");
		if (!put_item(tr, s, s->sort_clause[i]->sort_by->node, "ORDER BY", true, out))
			return false;
		buf_printf(out, " AS \"_do%zu\"", i);
	}
	return true;
}

/* The outputs "_d0" AS name, ... of res (positional: "_c0", ...). */
static void put_outputs(Tr *tr, const PgQuery__SelectStmt *s, const TRel *res, Buf *out)
{
	for (int i = 0; i < res->ncols; i++) {
		buf_printf(out, "%s\"_d%d\" AS ", i ? ", " : "", i);
		if (tr->positional == s)
			buf_printf(out, "\"_c%d\"", i);
		else
			pgs_put_ident(out, res->cols[i].name);
	}
}

void tr_sorted_wrap(Tr *tr, const PgQuery__SelectStmt *s, const TRel *res, bool first_per_key, Buf *inner, Buf *out)
{
	buf_put_str(out, "SELECT * FROM (WITH \"_d\"(");
	for (int i = 0; i < res->ncols; i++)
		buf_printf(out, "%s\"_d%d\"", i ? ", " : "", i);
	if (first_per_key)
		buf_put_str(out, ", \"_drn\"");
	for (size_t i = 0; i < s->n_sort_clause; i++)
		buf_printf(out, ", \"_do%zu\"", i);
	buf_put_str(out, ") AS (");
	tr_put_buf(out, inner);
	buf_put_str(out, ") SELECT ");
	put_outputs(tr, s, res, out);
	buf_put_str(out, first_per_key ? " FROM \"_d\" WHERE \"_drn\" = 1" : " FROM \"_d\"");
	for (size_t i = 0; i < s->n_sort_clause; i++) {
		buf_printf(out, "%s\"_do%zu\"", i ? ", " : " ORDER BY ", i);
		tr_put_sort_dir(out, s->sort_clause[i]->sort_by);
	}
}

/* The int8 SQL of a LIMIT or OFFSET expression n into b ("0" when n is
 * NULL). */
static bool count_sql(Tr *tr, Node *n, Buf *b)
{
	TType t;
	if (!n) {
		buf_put_u8(b, '0');
		return true;
	}
	return tr_expr(tr, n, b, &t) && tr_coerce(tr, b, &t, PGT_INT8, -1, -1);
}

bool tr_ties_wrap(Tr *tr, PgQuery__SelectStmt *s, const TRel *res, Buf *inner, Buf *out)
{
	Buf cnt, off;
	buf_init(&cnt);
	buf_init(&off);
	bool ok = count_sql(tr, s->limit_count, &cnt) && count_sql(tr, s->limit_offset, &off);
	if (ok) {
		Buf keys;
		buf_init(&keys);
		for (size_t i = 0; i < s->n_sort_clause; i++) {
			buf_printf(&keys, "%s\"_do%zu\"", i ? ", " : "ORDER BY ", i);
			tr_put_sort_dir(&keys, s->sort_clause[i]->sort_by);
		}
		buf_put_str(out, "SELECT * FROM (WITH \"_d\"(");
		for (int i = 0; i < res->ncols; i++)
			buf_printf(out, "%s\"_d%d\"", i ? ", " : "", i);
		for (size_t i = 0; i < s->n_sort_clause; i++)
			buf_printf(out, ", \"_do%zu\"", i);
		buf_put_str(out, ") AS (");
		tr_put_buf(out, inner);
		buf_printf(out, "), \"_dr\" AS (SELECT *, rank() OVER (%s) AS \"_drk\", row_number() OVER (%s) AS \"_drn\""
				" FROM \"_d\"), \"_dn\"(n, m) AS (SELECT CASE WHEN (%s) IS NULL THEN pg_domain_fail('2201W',"
				" 'row count cannot be null in FETCH FIRST ... WITH TIES clause') ELSE (%s) END, coalesce((%s), 0))"
				" SELECT ",
			   buf_cstr(&keys), buf_cstr(&keys), buf_cstr(&cnt), buf_cstr(&cnt), buf_cstr(&off));
		put_outputs(tr, s, res, out);
		buf_put_str(out, " FROM \"_dr\", \"_dn\" WHERE \"_drn\" > m AND n > 0 AND \"_drk\" <= coalesce((SELECT"
				 " \"_drk\" FROM \"_dr\" WHERE \"_drn\" = m + n), (SELECT max(\"_drk\") FROM \"_dr\"))"
				 " ORDER BY \"_drn\")");
		buf_cleanup(&keys);
	}
	buf_cleanup(&cnt);
	buf_cleanup(&off);
	return ok && !tr->failed;
}
