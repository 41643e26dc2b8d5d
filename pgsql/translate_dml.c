/*
 * translate_dml.c - INSERT (VALUES, SELECT, DEFAULT VALUES, ON CONFLICT),
 * UPDATE and DELETE with their RETURNING lists: the target table's columns
 * and defaults, values coerced to the columns' types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

static const PgsTable *dml_target(Tr *tr, PgQuery__RangeVar *rv)
{
	if (rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public") != 0) {
		tr_fail(tr, "3F000", rv->location, "schema \"%s\" does not exist", rv->schemaname);
		return NULL;
	}
	const PgsTable *t = pgs_catalog_table(tr->ctx->cat, rv->relname);
	if (!t) {
		tr_fail(tr, "42P01", rv->location, "relation \"%s\" does not exist", rv->relname);
		return NULL;
	}
	if (t->relkind == 'v' && !t->system) {
		tr_fail(tr, "0A000", rv->location, "changing the rows of view \"%s\" is not supported by DoSQL", rv->relname);
		return NULL;
	}
	if (t->system || t->relkind != 'r') {
		tr_fail(tr, "42809", rv->location, "cannot change relation \"%s\"", rv->relname);
		return NULL;
	}
	return t;
}

/* The default of column c as SQLite SQL (NULL when it has none). */
static bool column_default(Tr *tr, const PgsColumn *c, Buf *out)
{
	if (!c->default_expr) {
		buf_put_str(out, "NULL");
		return true;
	}
	char *sql = NULL;
	if (asprintf(&sql, "SELECT %s", c->default_expr) < 0)
		return tr_fail(tr, "53200", -1, "out of memory");
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	bool ok = false;
	if (!pr.error) {
		PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
		if (tree && tree->n_stmts == 1) {
			Node *target = tree->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val;
			Buf eb;
			TType et;
			buf_init(&eb);
			Scope empty = {0};
			Scope *saved = tr->scope;
			tr->scope = &empty;
			ok = tr_expr(tr, target, &eb, &et) && tr_coerce(tr, &eb, &et, c->type, c->typmod, -1);
			tr->scope = saved;
			if (ok)
				tr_put_buf(out, &eb);
			buf_cleanup(&eb);
		}
		pg_query__parse_result__free_unpacked(tree, NULL);
	}
	pg_query_free_protobuf_parse_result(pr);
	free(sql);
	if (!ok && !tr->failed)
		tr_fail(tr, "XX000", -1, "bad default expression for column \"%s\"", c->name);
	return ok;
}

/* One "col = expr" of a SET list (UPDATE, ON CONFLICT DO UPDATE) of table
 * t; the value is coerced to the column's type, errors placed at loc. */
/*
 * The value for column colno of SET (a, b, ...) = (subquery): its
 * colno-th output (it must have as many as there are columns), into
 * eb/et.
 */
static bool multi_assign(Tr *tr, PgQuery__MultiAssignRef *m, int loc, Buf *eb, TType *et)
{
	Node *src = m->source;
	if (src->node_case != PG_QUERY__NODE__NODE_SUB_LINK ||
	    src->sub_link->sub_link_type != PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK)
		return tr_unsupported(tr, loc, "this source of UPDATE SET (a, b) = ...");
	TRel res;
	Buf sub;
	buf_init(&sub);
	Scope inner = {.parent = tr->scope};
	tr->scope = &inner;
	bool ok = tr_select(tr, src->sub_link->subselect->select_stmt, &sub, &res);
	tr->scope = inner.parent;
	if (ok && res.ncols != m->ncolumns)
		ok = tr_fail(tr, "42601", loc, "number of columns does not match number of values");
	if (ok) {
		buf_put_str(eb, "(WITH \"_dosql_cols\"(");
		for (int i = 0; i < res.ncols; i++)
			buf_printf(eb, "%s\"_m%d\"", i ? ", " : "", i);
		buf_put_str(eb, ") AS (");
		tr_put_buf(eb, &sub);
		buf_printf(eb, ") SELECT \"_m%d\" FROM \"_dosql_cols\")", m->colno - 1);
		tr_ttype_set(et, res.cols[m->colno - 1].type, res.cols[m->colno - 1].typmod);
	}
	buf_cleanup(&sub);
	return ok;
}

/* Item i of the SET list items[0..n) of an UPDATE or ON CONFLICT DO UPDATE
 * of table t, written after a ", " unless first. */
static bool set_item(Tr *tr, const PgsTable *t, Node **items, size_t n, size_t i, bool first, int loc, Buf *out)
{
	PgQuery__ResTarget *rt = items[i]->res_target;
	const PgsColumn *c = pgs_table_column(t, rt->name);
	if (!c)
		return tr_fail(tr, "42703", rt->location, "column \"%s\" of relation \"%s\" does not exist", rt->name,
			       t->name);
	if (rt->n_indirection) {
		/* the subscripted assignments to a column are made at its first */
		for (size_t k = 0; k < i; k++)
			if (items[k]->res_target->n_indirection && strcmp(items[k]->res_target->name, rt->name) == 0)
				return true;
		if (!first)
			buf_put_str(out, ", ");
		return tr_set_subscripts(tr, c, items, n, i, out);
	}
	if (!first)
		buf_put_str(out, ", ");
	pgs_put_ident(out, rt->name);
	buf_put_str(out, " = ");
	Buf eb;
	TType et;
	buf_init(&eb);
	Node *val = rt->val;
	bool multi = val->node_case == PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF;
	if (multi && val->multi_assign_ref->source->node_case == PG_QUERY__NODE__NODE_ROW_EXPR) {
		/* SET (a, b) = (x, y): a = x, b = y */
		PgQuery__MultiAssignRef *m = val->multi_assign_ref;
		if ((int)m->source->row_expr->n_args != m->ncolumns) {
			buf_cleanup(&eb);
			return tr_fail(tr, "42601", loc, "number of columns does not match number of values");
		}
		val = m->source->row_expr->args[m->colno - 1];
		multi = false;
	}
	bool ok = val->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT
			  ? column_default(tr, c, &eb)
			  : (multi ? multi_assign(tr, val->multi_assign_ref, loc, &eb, &et) : tr_expr(tr, val, &eb, &et)) &&
				    tr_coerce(tr, &eb, &et, c->type, c->typmod, loc);
	tr_put_buf(out, &eb);
	buf_cleanup(&eb);
	return ok;
}

static bool returning(Tr *tr, size_t n, Node **items, TRel *target, Buf *out, TRel *res)
{
	if (!n)
		return true;
	bool saved = target->unqualified;
	target->unqualified = true;
	buf_put_str(out, " RETURNING ");
	bool ok = tr_target_list(tr, n, items, out, res, false);
	target->unqualified = saved;
	return ok;
}

/* INSERT ... VALUES (...), ...: each value coerced to its target column,
 * DEFAULT and the columns left out (cols[ntarget..]) as their defaults.
 * named: the statement lists its target columns. */
static bool insert_values(Tr *tr, PgQuery__SelectStmt *src, const PgsColumn **cols, int ntarget, int nextra, bool named,
			  Buf *out)
{
	buf_put_str(out, " VALUES ");
	for (size_t r = 0; r < src->n_values_lists; r++) {
		PgQuery__List *row = src->values_lists[r]->list;
		if ((int)row->n_items > ntarget)
			return tr_fail(tr, "42601", -1, "INSERT has more expressions than target columns");
		if ((int)row->n_items < ntarget && named)
			return tr_fail(tr, "42601", -1, "INSERT has more target columns than expressions");
		buf_put_str(out, r ? ", (" : "(");
		for (int c = 0; c < ntarget + nextra; c++) {
			if (c)
				buf_put_str(out, ", ");
			Node *v = c < (int)row->n_items ? row->items[c] : NULL;
			if (!v || v->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT) {
				if (!column_default(tr, cols[c], out))
					return false;
				continue;
			}
			Buf eb;
			TType et;
			buf_init(&eb);
			bool ok = tr_expr(tr, v, &eb, &et) &&
				  tr_coerce(tr, &eb, &et, cols[c]->type, cols[c]->typmod, -1);
			if (ok)
				tr_put_buf(out, &eb);
			buf_cleanup(&eb);
			if (!ok)
				return false;
		}
		buf_put_u8(out, ')');
	}
	return true;
}

/* INSERT ... SELECT: cast each output column to its target column. */
static bool insert_select(Tr *tr, PgQuery__SelectStmt *src, const PgsColumn **cols, int ntarget, int nextra, Buf *out)
{
	TRel sres;
	Buf sb;
	buf_init(&sb);
	Scope inner = {.parent = NULL};
	inner.nctes = tr->scope->nctes;
	memcpy(inner.ctes, tr->scope->ctes, sizeof(inner.ctes));
	Scope *saved = tr->scope;
	tr->scope = &inner;
	/* the source's outputs are read back by position */
	const PgQuery__SelectStmt *leftmost = src;
	while (leftmost->op > PG_QUERY__SET_OPERATION__SETOP_NONE && leftmost->larg)
		leftmost = leftmost->larg;
	tr->positional = leftmost;
	bool ok = tr_select(tr, src, &sb, &sres);
	tr->positional = NULL;
	tr->scope = saved;
	if (ok && sres.ncols > ntarget)
		ok = tr_fail(tr, "42601", -1, "INSERT has more expressions than target columns");
	bool direct = ok && nextra == 0 && sres.ncols == ntarget;
	for (int c = 0; direct && c < sres.ncols; c++)
		direct = sres.cols[c].type == cols[c]->type && cols[c]->typmod < 0;
	if (ok && direct) {
		buf_put_u8(out, ' ');
		tr_put_buf(out, &sb);
	} else if (ok) {
		buf_put_str(out, " SELECT ");
		for (int c = 0; c < ntarget + nextra && ok; c++) {
			if (c)
				buf_put_str(out, ", ");
			if (c >= sres.ncols) {
				ok = column_default(tr, cols[c], out);
				continue;
			}
			Buf eb;
			TType et;
			buf_init(&eb);
			buf_printf(&eb, "\"_src\".\"_c%d\"", c);
			tr_ttype_set(&et, sres.cols[c].type, sres.cols[c].typmod);
			ok = tr_coerce(tr, &eb, &et, cols[c]->type, cols[c]->typmod, -1);
			tr_put_buf(out, &eb);
			buf_cleanup(&eb);
		}
		buf_put_str(out, " FROM (");
		tr_put_buf(out, &sb);
		buf_put_str(out, ") AS \"_src\"");
	}
	buf_cleanup(&sb);
	return ok;
}

/* ON CONFLICT [(columns)] DO NOTHING / DO UPDATE SET ... [WHERE ...]. */
static bool on_conflict(Tr *tr, PgQuery__OnConflictClause *oc, const PgsTable *t, TRel *target, Buf *out)
{
	buf_put_str(out, " ON CONFLICT");
	if (oc->infer) {
		if (pgn_has_str(oc->infer->conname))
			return tr_unsupported(tr, oc->location, "ON CONFLICT ON CONSTRAINT");
		buf_put_str(out, " (");
		for (size_t i = 0; i < oc->infer->n_index_elems; i++) {
			PgQuery__IndexElem *ie = oc->infer->index_elems[i]->index_elem;
			if (!pgn_has_str(ie->name))
				return tr_unsupported(tr, oc->location, "ON CONFLICT on an expression");
			if (!pgs_table_column(t, ie->name))
				return tr_fail(tr, "42703", oc->location, "column \"%s\" does not exist", ie->name);
			if (i)
				buf_put_str(out, ", ");
			pgs_put_ident(out, ie->name);
		}
		buf_put_u8(out, ')');
	}
	if (oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING) {
		buf_put_str(out, " DO NOTHING");
	} else {
		if (!oc->infer)
			return tr_fail(tr, "42601", oc->location,
				       "ON CONFLICT DO UPDATE requires inference specification or constraint name");
		Scope sc = {.parent = NULL};
		Scope *saved = tr->scope;
		for (Scope *w = saved; w; w = w->parent) /* the statement's WITH queries stay visible */
			for (int i = 0; i < w->nctes && sc.nctes < (int)(sizeof(sc.ctes) / sizeof(sc.ctes[0])); i++)
				sc.ctes[sc.nctes++] = w->ctes[i];
		tr->scope = &sc;
		TRel *excluded = tr_rel_from_table(tr, t, "excluded");
		tr_scope_add(tr, target, -1);
		tr_scope_add(tr, excluded, -1);
		buf_put_str(out, " DO UPDATE SET ");
		bool ok = true;
		for (size_t i = 0; i < oc->n_target_list && ok; i++) {
			ok = set_item(tr, t, oc->target_list, oc->n_target_list, i, i == 0, -1, out);
		}
		if (ok && oc->where_clause)
			ok = tr_bool_clause(tr, " WHERE ", oc->where_clause, out);
		tr->scope = saved;
		if (!ok)
			return false;
	}
	return true;
}

bool tr_insert_stmt(Tr *tr, PgQuery__InsertStmt *ins, Buf *out, TRel *res)
{
	const PgsTable *t = dml_target(tr, ins->relation);
	if (!t)
		return false;
	if (ins->relation->alias)
		return tr_unsupported(tr, ins->relation->location, "an alias on the INSERT target");
	if (ins->with_clause && !tr_with_clause(tr, ins->with_clause, out))
		return false;
	if (ins->override == PG_QUERY__OVERRIDING_KIND__OVERRIDING_SYSTEM_VALUE) {
		/* allowed: explicit values for identity columns */
	}

	/* target columns */
	int ntarget = ins->n_cols ? (int)ins->n_cols : t->ncols;
	const PgsColumn **cols = arena_alloc(tr->a, sizeof(PgsColumn *) * (size_t)(t->ncols + ntarget + 1));
	bool *given = arena_alloc(tr->a, sizeof(bool) * (size_t)(t->ncols + 1));
	for (int i = 0; i < ntarget; i++) {
		if (ins->n_cols) {
			PgQuery__ResTarget *rt = ins->cols[i]->res_target;
			cols[i] = pgs_table_column(t, rt->name);
			if (!cols[i])
				return tr_fail(tr, "42703", rt->location, "column \"%s\" of relation \"%s\" does not exist", rt->name,
					       t->name);
			if (given[cols[i]->attnum - 1])
				return tr_fail(tr, "42701", rt->location, "column \"%s\" specified more than once", rt->name);
		} else {
			cols[i] = &t->cols[i];
		}
		given[cols[i]->attnum - 1] = true;
	}
	/* columns the statement leaves out but whose default is not NULL */
	int nextra = 0;
	for (int i = 0; i < t->ncols; i++)
		if (!given[i] && t->cols[i].default_expr)
			cols[ntarget + nextra++] = &t->cols[i];

	PgQuery__SelectStmt *src = ins->select_stmt ? ins->select_stmt->select_stmt : NULL;
	bool plain_values = src && src->n_values_lists && !src->n_sort_clause && !src->limit_count && !src->with_clause;
	if (src && !plain_values && ins->n_cols == 0 && src->n_target_list && (int)src->n_target_list < ntarget)
		ntarget = (int)src->n_target_list;

	buf_put_str(out, "INSERT INTO ");
	pgs_put_ident(out, t->name);
	if (ntarget + nextra > 0) {
		buf_put_str(out, " (");
		for (int i = 0; i < ntarget + nextra; i++) {
			if (i)
				buf_put_str(out, ", ");
			pgs_put_ident(out, cols[i]->name);
		}
		buf_put_u8(out, ')');
	}

	if (!src) {
		if (ntarget + nextra == 0) {
			buf_put_str(out, " DEFAULT VALUES");
		} else {
			buf_put_str(out, " VALUES (");
			for (int i = 0; i < ntarget + nextra; i++) {
				if (i)
					buf_put_str(out, ", ");
				if (!column_default(tr, cols[i], out))
					return false;
			}
			buf_put_u8(out, ')');
		}
	} else if (plain_values) {
		if (!insert_values(tr, src, cols, ntarget, nextra, ins->n_cols > 0, out))
			return false;
	} else {
		if (!insert_select(tr, src, cols, ntarget, nextra, out))
			return false;
		if (ins->on_conflict_clause)
			buf_put_str(out, " WHERE true");
	}

	TRel *target = tr_rel_from_table(tr, t, t->name);
	if (ins->on_conflict_clause && !on_conflict(tr, ins->on_conflict_clause, t, target, out))
		return false;
	Scope rs = {.parent = NULL};
	Scope *saved = tr->scope;
	tr->scope = &rs;
	tr_scope_add(tr, target, -1);
	bool ok = returning(tr, ins->n_returning_list, ins->returning_list, target, out, res);
	tr->scope = saved;
	return ok;
}

/* WHERE and RETURNING of UPDATE and DELETE. */
static bool dml_tail(Tr *tr, PgQuery__RangeVar *rel, Node *where, size_t nret, Node **ret, TRel *target, Buf *out,
		     TRel *res)
{
	if (where && !tr_bool_clause(tr, " WHERE ", where, out))
		return false;
	if (!nret)
		return true;
	if (rel->alias)
		return tr_unsupported(tr, -1, "RETURNING with an aliased target table");
	return returning(tr, nret, ret, target, out, res);
}

static bool find_sublink(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__sub_link__descriptor)
		*(bool *)arg = true;
	return !*(bool *)arg;
}

/* Whether the SET list or WHERE clause of UPDATE up holds a subquery. */
static bool update_has_subquery(const PgQuery__UpdateStmt *up)
{
	bool found = false;
	for (size_t i = 0; i < up->n_target_list && !found; i++)
		pgn_walk(&up->target_list[i]->base, find_sublink, &found);
	if (up->where_clause && !found)
		pgn_walk(&up->where_clause->base, find_sublink, &found);
	return found;
}

bool tr_update_stmt(Tr *tr, PgQuery__UpdateStmt *up, Buf *out, TRel *res)
{
	const PgsTable *t = dml_target(tr, up->relation);
	if (!t)
		return false;
	if (up->with_clause && !tr_with_clause(tr, up->with_clause, out))
		return false;
	const char *alias = up->relation->alias ? up->relation->alias->aliasname : t->name;
	TRel *target = tr_rel_from_table(tr, t, alias);
	if (!tr_scope_add(tr, target, up->relation->location))
		return false;
	buf_put_str(out, "UPDATE ");
	pgs_put_ident(out, t->name);
	if (up->relation->alias) {
		buf_put_str(out, " AS ");
		pgs_put_ident(out, alias);
	}
	Buf from;
	buf_init(&from);
	for (size_t i = 0; i < up->n_from_clause; i++) {
		if (i)
			buf_put_str(&from, ", ");
		if (!tr_from_item(tr, up->from_clause[i], &from)) {
			buf_cleanup(&from);
			return false;
		}
	}
	buf_put_str(out, " SET ");
	bool ok = true;
	for (size_t i = 0; i < up->n_target_list && ok; i++) {
		ok = set_item(tr, t, up->target_list, up->n_target_list, i, i == 0,
			      up->target_list[i]->res_target->location, out);
	}
	if (ok && up->n_from_clause) {
		buf_put_str(out, " FROM ");
		tr_put_buf(out, &from);
	} else if (ok && update_has_subquery(up)) {
		/* With a FROM clause SQLite computes every row's new values
		 * before it changes any, so that a subquery reading the updated
		 * table sees it as it was before the statement, as in PostgreSQL
		 * (without one it would see the rows already updated). */
		buf_put_str(out, " FROM (SELECT 1) AS \"_dosql_before\"");
	}
	buf_cleanup(&from);
	return ok && dml_tail(tr, up->relation, up->where_clause, up->n_returning_list, up->returning_list, target, out,
			      res);
}

bool tr_delete_stmt(Tr *tr, PgQuery__DeleteStmt *del, Buf *out, TRel *res)
{
	const PgsTable *t = dml_target(tr, del->relation);
	if (!t)
		return false;
	if (del->n_using_clause)
		return tr_unsupported(tr, del->relation->location, "DELETE ... USING");
	if (del->with_clause && !tr_with_clause(tr, del->with_clause, out))
		return false;
	const char *alias = del->relation->alias ? del->relation->alias->aliasname : t->name;
	TRel *target = tr_rel_from_table(tr, t, alias);
	if (!tr_scope_add(tr, target, del->relation->location))
		return false;
	buf_put_str(out, "DELETE FROM ");
	pgs_put_ident(out, t->name);
	if (del->relation->alias) {
		buf_put_str(out, " AS ");
		pgs_put_ident(out, alias);
	}
	return dml_tail(tr, del->relation, del->where_clause, del->n_returning_list, del->returning_list, target, out, res);
}

