/*
 * with_dml.c - data-modifying statements in WITH (INSERT, UPDATE or DELETE
 * ... RETURNING as a WITH query) of a statement sent as a simple query.
 *
 * Before the statement runs, each data-modifying WITH query runs once, in
 * order, in the statement's transaction, and is replaced in the parse tree
 * by the rows it returned (a VALUES list of literals of the RETURNING
 * columns' types); then the statement runs as any other.  PostgreSQL runs
 * the whole statement on one snapshot, so that the rest of the statement
 * does not see the changes: a statement that reads (or, as the UPDATE or
 * DELETE of its main query, changes) a table one of its WITH queries
 * changes is refused with 0A000 rather than answered from the changed
 * table.  So are RECURSIVE WITH clauses and parameters.
 */
#include <stdio.h>
#include <string.h>

#include "pgsql/pgtype_format.h"
#include "pgsql/pgsql.h"

static bool is_dml(const PgQuery__Node *n)
{
	return n && (n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT || n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT ||
		     n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT);
}

static PgQuery__WithClause *with_of(const PgQuery__Node *n)
{
	switch (n ? n->node_case : PG_QUERY__NODE__NODE__NOT_SET) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return n->select_stmt->with_clause;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		return n->insert_stmt->with_clause;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return n->update_stmt->with_clause;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return n->delete_stmt->with_clause;
	default:
		return NULL;
	}
}

static PgQuery__RangeVar *target_of(const PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT   ? n->insert_stmt->relation
	       : n->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT ? n->update_stmt->relation
								  : n->delete_stmt->relation;
}

bool pgs_with_dml(const PgQuery__Node *node)
{
	const PgQuery__WithClause *w = with_of(node);
	for (size_t i = 0; w && i < w->n_ctes; i++)
		if (w->ctes[i]->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR &&
		    is_dml(w->ctes[i]->common_table_expr->ctequery))
			return true;
	return false;
}

typedef struct Targets {
	int n;
	const char *names[16];
	const PgQuery__RangeVar *skip[17]; /* the targets themselves */
	int nskip;
	bool read; /* another reference to one of names */
	bool param;
} Targets;

static void walk(ProtobufCMessage *m, Targets *t);

static void walk_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, Targets *t)
{
	char *base = (char *)m;
	if (f->type != PROTOBUF_C_TYPE_MESSAGE)
		return;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(uint32_t *)(base + f->quantifier_offset) != f->id)
		return;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(size_t *)(base + f->quantifier_offset);
		ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
		for (size_t i = 0; i < n; i++)
			walk(items[i], t);
	} else {
		walk(*(ProtobufCMessage **)(base + f->offset), t);
	}
}

/* References, other than the targets, to the tables the WITH queries change. */
static void walk(ProtobufCMessage *m, Targets *t)
{
	if (!m)
		return;
	if (m->descriptor == &pg_query__param_ref__descriptor)
		t->param = true;
	if (m->descriptor == &pg_query__range_var__descriptor) {
		const PgQuery__RangeVar *rv = (const PgQuery__RangeVar *)m;
		for (int i = 0; i < t->nskip; i++)
			if (t->skip[i] == rv)
				return;
		for (int i = 0; i < t->n; i++)
			if (rv->relname && strcmp(rv->relname, t->names[i]) == 0)
				t->read = true;
		return;
	}
	for (unsigned i = 0; i < m->descriptor->n_fields; i++)
		walk_field(m, &m->descriptor->fields[i], t);
}

/* Whether the statement may run its WITH queries first; false with e. */
static bool check(PgQuery__Node *node, const PgQuery__WithClause *w, PgwError *e)
{
	Targets t = {0};
	for (size_t i = 0; i < w->n_ctes; i++) {
		const PgQuery__Node *q = w->ctes[i]->common_table_expr->ctequery;
		if (!is_dml(q))
			continue;
		if (t.n == 16 || with_of(q)) {
			pgw_error_set(e, "0A000", "this data-modifying statement in WITH is not supported by DoSQL");
			return false;
		}
		t.names[t.n++] = target_of(q)->relname;
		t.skip[t.nskip++] = target_of(q);
	}
	if (node->node_case == PG_QUERY__NODE__NODE_INSERT_STMT)
		t.skip[t.nskip++] = node->insert_stmt->relation;
	walk(&node->base, &t);
	if (w->recursive || t.read || t.param) {
		pgw_error_set(e, "0A000", "%s is not supported by DoSQL",
			      w->recursive ? "a data-modifying statement in WITH RECURSIVE"
			      : t.param    ? "a data-modifying statement in WITH with parameters"
					   : "a data-modifying statement in WITH whose table the statement reads elsewhere");
		return false;
	}
	return true;
}

/* The column's value in st as a literal of its type into out. */
static bool put_literal(PgsSession *s, sqlite3_stmt *st, int i, const PgsResultCol *c, Buf *out, PgwError *e)
{
	Buf type, text;
	buf_init(&type);
	buf_init(&text);
	pgt_format_type(&type, c->type, c->typmod, true);
	bool ok = true;
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		buf_put_str(out, "NULL");
	} else {
		PgtError pe;
		ok = pgt_out_text(&text, sqlite3_column_value(st, i), c->type, c->typmod, &s->fmt, &pe);
		if (!ok)
			pgw_error_set(e, pe.sqlstate, "%s", pe.msg);
		buf_put_u8(out, '\'');
		for (size_t k = 0; ok && k < text.len; k++) {
			if (text.data[k] == '\'')
				buf_put_u8(out, '\'');
			buf_put_u8(out, (uint8_t)text.data[k]);
		}
		buf_put_u8(out, '\'');
	}
	buf_printf(out, "::%s", buf_cstr(&type));
	buf_cleanup(&type);
	buf_cleanup(&text);
	return ok;
}

/* Run the WITH query q (preceded by the WITH queries before it) and write
 * the query of its rows into sql. */
static bool run_one(PgsSession *s, const char *src, PgQuery__Node *q, Buf *sql, PgwError *e)
{
	Arena a;
	arena_init(&a);
	PgsQuery pq;
	sqlite3_stmt *st = NULL;
	bool ok = pgs_compile(s, src, q, &a, 0, NULL, &pq, e) && pgs_prepare(s, &pq, &st, e);
	int rows = 0, rc = SQLITE_DONE;
	buf_put_str(sql, "SELECT * FROM (VALUES ");
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		buf_put_str(sql, rows++ ? ", (" : "(");
		for (int i = 0; i < pq.ncols && ok; i++) {
			if (i)
				buf_put_str(sql, ", ");
			ok = put_literal(s, st, i, &pq.cols[i], sql, e);
		}
		buf_put_u8(sql, ')');
	}
	if (ok && rc != SQLITE_DONE) {
		pgs_sqlite_error(s, rc, e);
		ok = false;
	}
	if (ok && rows == 0) {
		/* no rows: one row of NULLs of the column types, filtered out */
		buf_reset(sql);
		buf_put_str(sql, "SELECT * FROM (VALUES (");
		for (int i = 0; i < pq.ncols; i++) {
			Buf type;
			buf_init(&type);
			pgt_format_type(&type, pq.cols[i].type, pq.cols[i].typmod, true);
			buf_printf(sql, "%sNULL::%s", i ? ", " : "", buf_cstr(&type));
			buf_cleanup(&type);
		}
		buf_put_u8(sql, ')');
	}
	if (ok) {
		buf_put_str(sql, ") AS _dosql_with(");
		for (int i = 0; i < pq.ncols; i++) {
			if (i)
				buf_put_str(sql, ", ");
			pgs_put_ident(sql, pq.cols[i].name);
		}
		buf_put_u8(sql, ')');
		if (rows == 0)
			buf_put_str(sql, " WHERE false");
		if (pq.ncols == 0) {
			buf_reset(sql);
			buf_put_str(sql, "SELECT NULL WHERE false"); /* no RETURNING: nothing reads it */
		}
	}
	if (st)
		sqlite3_finalize(st);
	arena_reset(&a);
	return ok;
}

bool pgs_with_dml_run(PgsSession *s, const char *src, PgQuery__Node *node, PgwError *e)
{
	PgQuery__WithClause *w = with_of(node);
	if (!check(node, w, e))
		return false;
	for (size_t i = 0; i < w->n_ctes; i++) {
		PgQuery__CommonTableExpr *cte = w->ctes[i]->common_table_expr;
		if (!is_dml(cte->ctequery))
			continue;
		/* the WITH queries before this one, for it to read */
		PgQuery__WithClause before = PG_QUERY__WITH_CLAUSE__INIT;
		before.n_ctes = i;
		before.ctes = w->ctes;
		PgQuery__WithClause **slot = cte->ctequery->node_case == PG_QUERY__NODE__NODE_INSERT_STMT
						     ? &cte->ctequery->insert_stmt->with_clause
					     : cte->ctequery->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT
						     ? &cte->ctequery->update_stmt->with_clause
						     : &cte->ctequery->delete_stmt->with_clause;
		*slot = i ? &before : NULL;
		Buf sql;
		buf_init(&sql);
		bool ok = run_one(s, src, cte->ctequery, &sql, e);
		*slot = NULL;
		PgQuery__ParseResult *tree = ok ? pgs_parse(buf_cstr(&sql), e) : NULL;
		buf_cleanup(&sql);
		if (!tree)
			return false;
		pg_query__node__free_unpacked(cte->ctequery, NULL);
		cte->ctequery = tree->stmts[0]->stmt;
		tree->stmts[0]->stmt = NULL;
		pg_query__parse_result__free_unpacked(tree, NULL);
	}
	return true;
}
