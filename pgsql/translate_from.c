/*
 * translate_from.c - the FROM clause: tables, CTEs, subqueries, joins
 * (USING and NATURAL merge their columns) and set-returning functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/catalog.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

/* The name a FROM item has in SQLite: its alias, except inside the body
 * of a SQL function, where it is made the function call's own so that
 * the call's arguments (written inside it) still see the caller's items. */
static const char *sql_alias(Tr *tr, const char *alias)
{
	if (!tr->fn)
		return alias;
	char *a = arena_alloc(tr->a, strlen(alias) + 40);
	sprintf(a, "%s_%s", tr_sqlfunc_cte(tr), alias);
	return a;
}

void tr_put_from_alias(Tr *tr, TRel *r, Buf *out)
{
	const char *name = sql_alias(tr, r->alias);
	r->emit = name == r->alias ? NULL : name;
	buf_put_str(out, " AS ");
	pgs_put_ident(out, name);
}

/*
 * A FROM item with column aliases, alias(a, b, ...): the query sql (whose
 * outputs are r's columns, in order) as a subquery whose first columns take
 * the alias's names, written to out as "(...) AS alias"; r's columns are
 * renamed.  More names than columns is 42P10, as in PostgreSQL.
 */
static bool rename_columns(Tr *tr, PgQuery__Alias *al, TRel *r, Buf *sql, Buf *out)
{
	if ((int)al->n_colnames > r->ncols)
		return tr_fail(tr, "42P10", -1, "table \"%s\" has %d columns available but %zu columns specified",
			       al->aliasname, r->ncols, al->n_colnames);
	TCol *cols = arena_alloc(tr->a, sizeof(TCol) * (size_t)(r->ncols + 1));
	if (r->ncols)
		memcpy(cols, r->cols, sizeof(TCol) * (size_t)r->ncols);
	for (size_t i = 0; i < al->n_colnames; i++)
		cols[i].name = arena_strdup(tr->a, pgn_str(al->colnames[i]));
	buf_put_str(out, "(WITH \"_dosql_cols\"(");
	for (int i = 0; i < r->ncols; i++) {
		if (i)
			buf_put_str(out, ", ");
		pgs_put_ident(out, cols[i].name);
	}
	buf_put_str(out, ") AS (");
	tr_put_buf(out, sql);
	buf_put_str(out, ") SELECT * FROM \"_dosql_cols\")");
	r->cols = cols;
	tr_put_from_alias(tr, r, out);
	return !tr->failed;
}

/* The columns of a relation named in FROM: a CTE or a catalog table. */
static bool range_var(Tr *tr, PgQuery__RangeVar *rv, Buf *out)
{
	const char *alias = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : rv->relname;
	const char *schema = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
	TRel *r = NULL;

	if (schema && strcmp(schema, "public") != 0 && strcmp(schema, "pg_catalog") != 0 &&
	    strcmp(schema, "information_schema") != 0)
		return tr_fail(tr, "3F000", rv->location, "schema \"%s\" does not exist", schema);
	TRel *cte = schema ? NULL : tr_find_cte(tr, rv->relname);
	const char *sqlname = rv->relname;
	if (schema && strcmp(schema, "information_schema") == 0) {
		/* its views are named "information_schema.<name>" in the session */
		char *full = arena_alloc(tr->a, strlen(schema) + strlen(rv->relname) + 2);
		sprintf(full, "%s.%s", schema, rv->relname);
		const PgsTable *t = pgs_catalog_table(tr->ctx->cat, full);
		if (!t)
			return tr_fail(tr, "42P01", rv->location, "relation \"%s\" does not exist", full);
		r = tr_rel_from_table(tr, t, alias);
		sqlname = full;
		tr->catalog = true;
	} else if (cte) {
		r = arena_alloc(tr->a, sizeof(*r));
		*r = *cte;
		r->alias = arena_strdup(tr->a, alias);
		r->emit = NULL;
	} else {
		const PgsTable *t = pgs_catalog_table(tr->ctx->cat, rv->relname);
		/* pg_catalog is searched first, and implicitly, as in PostgreSQL */
		bool in_catalog = schema && strcmp(schema, "pg_catalog") == 0;
		bool in_public = schema && strcmp(schema, "public") == 0;
		if (!t || (in_catalog && !t->system) || (in_public && t->system))
			return tr_fail(tr, "42P01", rv->location, "relation \"%s%s%s\" does not exist", schema ? schema : "",
				       schema ? "." : "", rv->relname);
		r = tr_rel_from_table(tr, t, alias);
		tr->catalog = tr->catalog || t->system;
	}
	if (rv->alias && rv->alias->n_colnames) {
		Buf src;
		buf_init(&src);
		buf_put_str(&src, "SELECT * FROM ");
		pgs_put_ident(&src, sqlname);
		bool ok = rename_columns(tr, rv->alias, r, &src, out);
		buf_cleanup(&src);
		return ok && tr_scope_add(tr, r, rv->location);
	}
	pgs_put_ident(out, sqlname);
	tr_put_from_alias(tr, r, out);
	return tr_scope_add(tr, r, rv->location);
}

/*
 * LATERAL (subquery) AS alias: SQLite has no LATERAL, but a table-valued
 * function's arguments may refer to the FROM items before it.  The
 * subquery's rows, correlated to those items, become one JSON array of
 * arrays walked by json_each; each column reference is its element of
 * the row's array.
 */
static void lateral_rows(Tr *tr, TRel *res, Buf *sub, Buf *out)
{
	const char *alias = sql_alias(tr, res->alias);
	res->emit = alias == res->alias ? NULL : alias;
	buf_put_str(out, "json_each((SELECT json_group_array(json_array(");
	for (int i = 0; i < res->ncols; i++)
		buf_printf(out, "%s\"_l%d\"", i ? ", " : "", i);
	buf_put_str(out, ")) FROM (WITH \"_dosql_cols\"(");
	for (int i = 0; i < res->ncols; i++)
		buf_printf(out, "%s\"_l%d\"", i ? ", " : "", i);
	buf_put_str(out, ") AS (");
	tr_put_buf(out, sub);
	buf_put_str(out, ") SELECT * FROM \"_dosql_cols\"))) AS ");
	pgs_put_ident(out, alias);
	for (int i = 0; i < res->ncols; i++) {
		Buf e;
		buf_init(&e);
		buf_put_str(&e, "json_extract(");
		pgs_put_ident(&e, alias);
		buf_printf(&e, ".value, '$[%d]')", i);
		res->cols[i].expr = arena_strdup(tr->a, buf_cstr(&e));
		buf_cleanup(&e);
	}
}

static bool range_subselect(Tr *tr, PgQuery__RangeSubselect *rs, Buf *out)
{
	if (!rs->alias)
		return tr_fail(tr, "42601", -1, "subquery in FROM must have an alias");
	TRel *res = arena_alloc(tr->a, sizeof(*res));
	/* a LATERAL subquery sees the FROM items before it */
	Scope inner = {.parent = rs->lateral ? tr->scope : tr->scope->parent};
	Scope *saved = tr->scope;
	/* CTEs stay visible inside FROM subqueries */
	inner.nctes = saved->nctes;
	memcpy(inner.ctes, saved->ctes, sizeof(saved->ctes));
	tr->scope = &inner;
	Buf sub;
	buf_init(&sub);
	bool ok = tr_select(tr, rs->subquery->select_stmt, &sub, res);
	tr->scope = saved;
	if (ok) {
		res->alias = arena_strdup(tr->a, rs->alias->aliasname);
		if (rs->lateral) {
			if ((int)rs->alias->n_colnames > res->ncols)
				ok = tr_fail(tr, "42P10", -1, "table \"%s\" has %d columns available but %zu columns specified",
					     rs->alias->aliasname, res->ncols, rs->alias->n_colnames);
			for (size_t i = 0; ok && i < rs->alias->n_colnames; i++)
				res->cols[i].name = arena_strdup(tr->a, pgn_str(rs->alias->colnames[i]));
			if (ok)
				lateral_rows(tr, res, &sub, out);
		} else if (rs->alias->n_colnames) {
			ok = rename_columns(tr, rs->alias, res, &sub, out);
		} else {
			buf_put_u8(out, '(');
			tr_put_buf(out, &sub);
			buf_put_u8(out, ')');
			tr_put_from_alias(tr, res, out);
		}
	}
	buf_cleanup(&sub);
	if (!ok)
		return false;
	for (int i = 0; i < res->ncols; i++) {
		res->cols[i].table_oid = 0;
		res->cols[i].attnum = 0;
	}
	return tr_scope_add(tr, res, -1);
}

/* The qualified reference to column c of rel r, as SQL text in out. */
void tr_put_qualified(Buf *out, const TRel *r, const char *col)
{
	if (!r->unqualified) {
		pgs_put_ident(out, r->emit ? r->emit : r->alias);
		buf_put_u8(out, '.');
	}
	pgs_put_ident(out, col);
}

/* The left column of a RIGHT or FULL join's USING: unqualified, it is the
 * value of whichever side has the row, coalesce(left, right). */
static void merge_column(Tr *tr, TCol *left, const TRel *left_rel, const TRel *right_rel)
{
	Buf b;
	buf_init(&b);
	buf_put_str(&b, "coalesce(");
	if (left->merged)
		buf_put_str(&b, left->merged);
	else
		tr_put_qualified(&b, left_rel, left->name);
	buf_put_str(&b, ", ");
	tr_put_qualified(&b, right_rel, left->name);
	buf_put_u8(&b, ')');
	buf_put_u8(&b, 0);
	if (!b.failed)
		left->merged = arena_strdup(tr->a, (const char *)b.data);
	buf_cleanup(&b);
}

/* ---------------------------------------------- FULL JOIN conditions */

/* What an expression of a FULL JOIN's ON clause reads: relations of its
 * left input, of its right input, or something else (an outer column, a
 * subquery, a volatile function), as the bits FJ_LEFT, FJ_RIGHT, FJ_OTHER. */
enum { FJ_LEFT = 1, FJ_RIGHT = 2, FJ_OTHER = 4 };

typedef struct FjSides {
	const Tr *tr;
	int first, right; /* the join's relations: [first, right) left, [right, nrels) right */
	int bits;
} FjSides;

static int fj_column_side(const FjSides *f, const PgQuery__ColumnRef *c)
{
	if (!c->n_fields || c->fields[c->n_fields - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return FJ_OTHER;
	const char *col = pgn_str(c->fields[c->n_fields - 1]);
	const char *rel = c->n_fields >= 2 ? pgn_str(c->fields[c->n_fields - 2]) : NULL;
	for (int r = f->first; r < f->tr->scope->nrels; r++) {
		const TRel *t = f->tr->scope->rels[r];
		if (rel && (!t->alias || strcmp(t->alias, rel) != 0))
			continue;
		for (int i = 0; i < t->ncols; i++)
			if (strcmp(t->cols[i].name, col) == 0 && (rel || !t->cols[i].hidden))
				return r < f->right ? FJ_LEFT : FJ_RIGHT;
	}
	return FJ_OTHER;
}

static bool fj_visit(const ProtobufCMessage *m, void *arg)
{
	FjSides *f = arg;
	if (m->descriptor == &pg_query__column_ref__descriptor) {
		f->bits |= fj_column_side(f, (const PgQuery__ColumnRef *)m);
	} else if (m->descriptor == &pg_query__sub_link__descriptor) {
		f->bits |= FJ_OTHER;
		return false;
	} else if (m->descriptor == &pg_query__func_call__descriptor) {
		if (tr_is_volatile_call((const PgQuery__FuncCall *)m))
			f->bits |= FJ_OTHER;
	}
	return true;
}

static int fj_sides(FjSides *f, const Node *n)
{
	f->bits = 0;
	pgn_walk(&n->base, fj_visit, f);
	return f->bits;
}

/* PostgreSQL runs a FULL JOIN by merge or hash join only: its ON clause
 * needs a conjunct "x = y" where x reads only one input and y only the
 * other (no volatile function), unless every conjunct is a constant;
 * otherwise 0A000, as PostgreSQL refuses it. */
static bool full_join_check(Tr *tr, const Node *quals, int first, int right)
{
	FjSides f = {tr, first, right, 0};
	const Node *stack[64];
	int n = 0, hashable = 0, other = 0;
	stack[n++] = quals;
	while (n) {
		const Node *c = stack[--n];
		if (c->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
		    c->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR &&
		    n + c->bool_expr->n_args <= sizeof(stack) / sizeof(stack[0])) {
			for (size_t i = 0; i < c->bool_expr->n_args; i++)
				stack[n++] = c->bool_expr->args[i];
			continue;
		}
		int all = fj_sides(&f, c);
		if (!all)
			continue; /* a constant */
		const PgQuery__AExpr *e = c->node_case == PG_QUERY__NODE__NODE_A_EXPR ? c->a_expr : NULL;
		if (e && e->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && e->n_name == 1 &&
		    strcmp(pgn_str(e->name[0]), "=") == 0 && e->lexpr && e->rexpr && !(all & FJ_OTHER)) {
			int l = fj_sides(&f, e->lexpr), r = fj_sides(&f, e->rexpr);
			if ((l == FJ_LEFT && r == FJ_RIGHT) || (l == FJ_RIGHT && r == FJ_LEFT)) {
				hashable++;
				continue;
			}
		}
		other++;
	}
	if (other && !hashable)
		return tr_fail(tr, "0A000", -1,
			       "FULL JOIN is only supported with merge-joinable or hash-joinable join conditions");
	return true;
}

static bool join_expr(Tr *tr, PgQuery__JoinExpr *j, Buf *out)
{
	int first_rel = tr->scope->nrels;
	if (!tr_from_item(tr, j->larg, out))
		return false;
	int right_rel = tr->scope->nrels;
	switch (j->jointype) {
	case PG_QUERY__JOIN_TYPE__JOIN_INNER:
		buf_put_str(out, j->is_natural ? " NATURAL JOIN " : (!j->quals && !j->n_using_clause) ? " CROSS JOIN " : " JOIN ");
		break;
	case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
		buf_put_str(out, j->is_natural ? " NATURAL LEFT JOIN " : " LEFT JOIN ");
		break;
	case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
		buf_put_str(out, j->is_natural ? " NATURAL RIGHT JOIN " : " RIGHT JOIN ");
		break;
	case PG_QUERY__JOIN_TYPE__JOIN_FULL:
		buf_put_str(out, j->is_natural ? " NATURAL FULL JOIN " : " FULL JOIN ");
		break;
	default:
		return tr_unsupported(tr, -1, "this join type");
	}
	bool paren = j->rarg->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR;
	if (paren)
		buf_put_u8(out, '(');
	if (!tr_from_item(tr, j->rarg, out))
		return false;
	if (paren)
		buf_put_u8(out, ')');
	if (j->alias)
		return tr_unsupported(tr, -1, "an alias on a JOIN");
	bool outer_right = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT || j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL;
	if (j->n_using_clause) {
		buf_put_str(out, " USING (");
		for (size_t i = 0; i < j->n_using_clause; i++) {
			const char *col = pgn_str(j->using_clause[i]);
			bool found_left = false, found_right = false;
			TCol *left = NULL;
			const TRel *left_rel = NULL, *right_rel_of = NULL;
			for (int r = first_rel; r < tr->scope->nrels; r++)
				for (int c = 0; c < tr->scope->rels[r]->ncols; c++)
					if (strcmp(tr->scope->rels[r]->cols[c].name, col) == 0) {
						if (r >= right_rel) {
							found_right = true;
							right_rel_of = tr->scope->rels[r];
							tr->scope->rels[r]->cols[c].hidden = true;
						} else if (!tr->scope->rels[r]->cols[c].hidden) {
							found_left = true;
							left = &tr->scope->rels[r]->cols[c];
							left_rel = tr->scope->rels[r];
						}
					}
			if (outer_right && left && right_rel_of)
				merge_column(tr, left, left_rel, right_rel_of);
			if (!found_left || !found_right)
				return tr_fail(tr, "42703", -1, "column \"%s\" specified in USING clause does not exist in %s table",
					       col, found_left ? "right" : "left");
			if (i)
				buf_put_str(out, ", ");
			pgs_put_ident(out, col);
		}
		buf_put_u8(out, ')');
	} else if (j->is_natural) {
		for (int r = right_rel; r < tr->scope->nrels; r++)
			for (int c = 0; c < tr->scope->rels[r]->ncols; c++)
				for (int l = first_rel; l < right_rel; l++)
					for (int k = 0; k < tr->scope->rels[l]->ncols; k++)
						if (strcmp(tr->scope->rels[l]->cols[k].name, tr->scope->rels[r]->cols[c].name) == 0 &&
						    !tr->scope->rels[l]->cols[k].hidden) {
							tr->scope->rels[r]->cols[c].hidden = true;
							if (outer_right)
								merge_column(tr, &tr->scope->rels[l]->cols[k], tr->scope->rels[l],
									     tr->scope->rels[r]);
						}
	} else if (j->quals && j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL && !full_join_check(tr, j->quals, first_rel, right_rel)) {
		return false;
	} else if (j->quals && !tr_bool_clause(tr, " ON ", j->quals, out)) {
		return false;
	}
	return true;
}

static bool find_column_ref(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__column_ref__descriptor)
		*(bool *)arg = true;
	return true;
}

/* Whether the arguments of f read columns (of the FROM items before it). */
static bool reads_columns(PgQuery__FuncCall *f)
{
	bool found = false;
	for (size_t i = 0; i < f->n_args; i++)
		pgn_walk(&f->args[i]->base, find_column_ref, &found);
	return found;
}

/*
 * A set-returning function in FROM, [WITH ORDINALITY]: generate_series(start,
 * stop [, step]) over integers, unnest(array), and pg_partition_ancestors(rel)
 * (DoSQL has no partitions: a relation is its only ancestor); or a function
 * returning one value, one row (pgjdbc's {? = call f(?)} is SELECT * FROM
 * f($1) AS result).
 */
static bool range_function(Tr *tr, PgQuery__RangeFunction *rf, Buf *out)
{
	int json = tr_json_from(tr, rf, out);
	if (json >= 0)
		return json == 1;
	PgQuery__List *l = rf->n_functions == 1 ? rf->functions[0]->list : NULL;
	Node *fn = l && l->n_items ? l->items[0] : NULL;
	if (rf->is_rowsfrom || !fn || fn->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return tr_unsupported(tr, -1, "this function in FROM");
	PgQuery__FuncCall *f = fn->func_call;
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	json = tr_json_record_from(tr, rf, f, name, out);
	if (json < 0)
		json = tr_srf_subscripts(tr, rf, f, name, out);
	if (json >= 0)
		return json == 1;
	if (rf->n_coldeflist)
		return tr_unsupported(tr, -1, "this function in FROM");
	int done = tr_srf_time_text(tr, rf, f, name, out); /* over timestamps, regexp_split_to_table */
	if (done >= 0)
		return done == 1;
	bool series = strcmp(name, "generate_series") == 0 && f->n_args >= 2 && f->n_args <= 3;
	bool unnest = strcmp(name, "unnest") == 0 && f->n_args == 1;
	bool ancestors = strcmp(name, "pg_partition_ancestors") == 0 && f->n_args == 1;
	bool scalar = !series && !unnest && !ancestors;
	if (scalar && (rf->ordinality || f->over || f->agg_star || strcmp(name, "generate_series") == 0 ||
		       strcmp(name, "unnest") == 0))
		return tr_fail(tr, "0A000", f->location, "function %s in FROM is not supported by DoSQL", name);
	/* integer series only; the result is int8 when any argument is */
	Buf args;
	buf_init(&args);
	uint32_t rtype = series ? PGT_INT4 : PGT_REGCLASS;
	int32_t rtypmod = -1;
	bool ok = true;
	if (scalar) {
		TType at = {.oid = PGT_UNKNOWN, .typmod = -1};
		ok = tr_expr(tr, fn, &args, &at);
		if (ok && at.agg)
			ok = tr_fail(tr, "42803", f->location, "aggregate functions are not allowed in functions in FROM");
		if (ok)
			tr_settle(tr, &args, &at);
		rtype = at.oid;
		rtypmod = at.typmod;
	}
	for (size_t i = 0; i < f->n_args && ok && !scalar; i++) {
		Buf ab;
		TType at;
		buf_init(&ab);
		ok = tr_expr(tr, f->args[i], &ab, &at);
		if (ok && (at.unknown || at.param))
			ok = tr_coerce(tr, &ab, &at, series ? PGT_INT4 : unnest ? PGT_TEXTARRAY : PGT_OID, -1, f->location);
		if (ok && series && !tr_is_int_type(at.oid))
			ok = tr_fail(tr, "0A000", f->location, "generate_series over %s is not supported by DoSQL",
				     at.oid == PGT_NUMERIC ? "numeric" : "this type");
		if (ok && series && at.oid == PGT_INT8)
			rtype = PGT_INT8;
		if (ok && unnest) {
			const PgType *t = pgt_by_oid(at.oid);
			if (!t || t->category != 'A' || !t->elem_oid)
				ok = tr_fail(tr, "42883", f->location, "function unnest(%s) does not exist",
					     t ? t->name : "unknown");
			else
				rtype = t->elem_oid;
		}
		if (i)
			buf_put_str(&args, ", ");
		tr_put_buf(&args, &ab);
		buf_cleanup(&ab);
	}
	if (!ok || tr->failed) {
		buf_cleanup(&args);
		return false;
	}
	const char *alias = rf->alias && pgn_has_str(rf->alias->aliasname) ? rf->alias->aliasname : name;
	const char *col = rf->alias && rf->alias->n_colnames ? pgn_str(rf->alias->colnames[0]) : alias;
	const char *ordcol = rf->alias && rf->alias->n_colnames > 1 ? pgn_str(rf->alias->colnames[1]) : "ordinality";
	TRel *r = arena_alloc(tr->a, sizeof(*r));
	r->alias = arena_strdup(tr->a, alias);
	r->ncols = rf->ordinality ? 2 : 1;
	r->cols = arena_alloc(tr->a, sizeof(TCol) * 2);
	r->cols[0].name = arena_strdup(tr->a, col);
	r->cols[0].type = rtype;
	r->cols[0].typmod = rtypmod;
	if (rf->ordinality) {
		r->cols[1].name = arena_strdup(tr->a, ordcol);
		r->cols[1].type = PGT_INT8;
		r->cols[1].typmod = -1;
	}
	if ((series || unnest) && reads_columns(f)) {
		/* the table-valued function itself, so that its arguments may
		 * reference the FROM items before it (LATERAL) */
		buf_printf(out, series ? "pg_generate_series(%s)" : "json_each(pg_array_json(%s))", buf_cstr(&args));
		buf_cleanup(&args);
		tr_put_from_alias(tr, r, out);
		Buf q, e;
		buf_init(&q);
		buf_init(&e);
		pgs_put_ident(&q, r->emit ? r->emit : r->alias);
		buf_printf(&e, series ? "%s.value" : "CAST(%s.value AS TEXT)", buf_cstr(&q));
		r->cols[0].expr = arena_strdup(tr->a, buf_cstr(&e));
		buf_reset(&e);
		buf_printf(&e, series ? "%s.rowid" : "(%s.key + 1)", buf_cstr(&q));
		if (rf->ordinality)
			r->cols[1].expr = arena_strdup(tr->a, buf_cstr(&e));
		buf_cleanup(&e);
		buf_cleanup(&q);
		return tr_scope_add(tr, r, -1);
	}
	if (rf->lateral && !series && !unnest) {
		buf_cleanup(&args);
		return tr_unsupported(tr, f->location, "LATERAL with this function in FROM");
	}
	/* a subquery with real columns, as JOIN ... USING needs */
	buf_put_str(out, series ? "(SELECT value AS " : unnest ? "(SELECT CAST(value AS TEXT) AS " : "(SELECT ");
	if (!series && !unnest)
		buf_printf(out, "%s AS ", buf_cstr(&args));
	pgs_put_ident(out, col);
	if (rf->ordinality) {
		buf_put_str(out, !series && !unnest ? ", 1 AS " : unnest ? ", key + 1 AS " : ", rowid AS ");
		pgs_put_ident(out, ordcol);
	}
	if (series || unnest)
		buf_printf(out, series ? " FROM pg_generate_series(%s)" : " FROM json_each(pg_array_json(%s))",
			   buf_cstr(&args));
	buf_put_u8(out, ')');
	buf_cleanup(&args);
	tr_put_from_alias(tr, r, out);
	return tr_scope_add(tr, r, -1);
}

bool tr_from_item(Tr *tr, Node *n, Buf *out)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		return range_var(tr, n->range_var, out);
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
		return range_subselect(tr, n->range_subselect, out);
	case PG_QUERY__NODE__NODE_JOIN_EXPR:
		return join_expr(tr, n->join_expr, out);
	case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
		return range_function(tr, n->range_function, out);
	default:
		return tr_unsupported(tr, -1, "this FROM item");
	}
}
