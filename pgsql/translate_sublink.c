/*
 * translate_sublink.c - subqueries used as expressions: scalar subqueries,
 * EXISTS, ARRAY(...), x IN (subquery) and x op ANY/ALL (subquery).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

/* A subquery, parenthesised, into out; res (when not NULL) gets its outputs. */
static bool subselect_rel(Tr *tr, Node *n, Buf *out, TRel *res)
{
	TRel own;
	Scope inner = {.parent = tr->scope};
	tr->scope = &inner;
	buf_put_u8(out, '(');
	bool ok = tr_select(tr, n->select_stmt, out, res ? res : &own);
	buf_put_u8(out, ')');
	tr->scope = inner.parent;
	return ok;
}

static bool subselect(Tr *tr, Node *n, Buf *out, TType *ty)
{
	TRel res;
	bool ok = subselect_rel(tr, n, out, &res);
	if (ok && ty) {
		if (res.ncols > 0)
			tr_ttype_set(ty, res.cols[0].type, res.cols[0].typmod);
		else
			tr_ttype_set(ty, PGT_TEXT, -1);
	}
	return ok;
}

/* The types x and the subquery's column compare as in "x op (subquery)":
 * an untyped or parameter x takes the column's type (lb coerced); the key
 * both sides go through (tr_cmp_keyed), 0 unless the subquery has one
 * column. */
static int compared_types(Tr *tr, const PgQuery__SubLink *s, Buf *lb, const TType *lt, const TRel *res, TType both[2])
{
	both[0] = *lt;
	if (res->ncols > 0) {
		tr_ttype_set(&both[1], res->cols[0].type, res->cols[0].typmod);
		both[1].column = res->cols[0].table_oid != 0 && res->cols[0].attnum > 0;
	} else {
		tr_ttype_set(&both[1], PGT_TEXT, -1);
	}
	if (lt->unknown || lt->param)
		tr_coerce(tr, lb, &both[0], both[1].oid, -1, s->location);
	return res->ncols == 1 ? tr_cmp_keyed(both, 2) : 0;
}

/* "x IN (subquery)": compared as "=" compares (numeric and interval by
 * value, character(n) without trailing spaces): both sides through the
 * comparison's key when the types need one. */
static bool in_subquery(Tr *tr, PgQuery__SubLink *s, Buf *out)
{
	Buf lb, sb;
	TType lt;
	TRel res;
	buf_init(&lb);
	buf_init(&sb);
	bool ok = tr_expr(tr, s->testexpr, &lb, &lt) && subselect_rel(tr, s->subselect, &sb, &res);
	if (ok) {
		TType both[2];
		int keyed = compared_types(tr, s, &lb, &lt, &res, both);
		/* an expression of the row is evaluated only when the subquery has
		 * rows (its constant parts were evaluated before the statement,
		 * translate_constfold.c) */
		bool guard = s->testexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF &&
			     !tr_has_aggregate(s->testexpr) && !tr_may_be_volatile(s->testexpr) &&
			     !tr_may_be_volatile(s->subselect); /* the subquery runs twice */
		if (guard) {
			buf_put_str(out, "(CASE WHEN EXISTS ");
			tr_put_buf(out, &sb);
			buf_put_str(out, " THEN ");
		}
		buf_put_u8(out, '(');
		tr_put_cmp_operand(out, &lb, &both[0], keyed);
		buf_put_str(out, " IN ");
		if (keyed) {
			Buf col;
			buf_init(&col);
			buf_put_str(&col, "\"_in\".");
			pgs_put_ident(&col, res.cols[0].name);
			buf_put_str(out, "(SELECT ");
			tr_put_cmp_operand(out, &col, &both[1], keyed);
			buf_put_str(out, " FROM ");
			tr_put_buf(out, &sb);
			buf_put_str(out, " AS \"_in\")");
			buf_cleanup(&col);
		} else {
			tr_put_buf(out, &sb);
		}
		buf_put_u8(out, ')');
		if (guard)
			buf_put_str(out, " ELSE 0 END)");
	}
	buf_cleanup(&lb);
	buf_cleanup(&sb);
	return ok && !tr->failed;
}

/* An aggregate or window call of the query itself in the tree (not in a
 * subquery's). */
static bool find_aggregate(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__sub_link__descriptor)
		return false;
	if (m->descriptor == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *fc = (const PgQuery__FuncCall *)m;
		const char *name = fc->n_funcname ? pgn_str(fc->funcname[fc->n_funcname - 1]) : "";
		if (fc->over || fc->agg_star || tr_is_aggregate(name))
			*(bool *)arg = true;
	}
	return !*(bool *)arg;
}

/* "x op ANY (subquery)" and "x op ALL (subquery)" for the comparison
 * operators, with PostgreSQL's three-valued answer: ANY is true when a row
 * compares true, else NULL when one compares NULL, else false (no rows:
 * false); ALL is false when a row compares false, else NULL when one
 * compares NULL, else true (no rows: true).  Compared as the comparison
 * compares (in_subquery's keys). */
static bool quantified(Tr *tr, PgQuery__SubLink *s, const char *op, bool all, Buf *out)
{
	static const char *const cmp_ops[] = {"=", "<>", "!=", "<", ">", "<=", ">="};
	bool cmp = false;
	for (size_t i = 0; i < sizeof(cmp_ops) / sizeof(cmp_ops[0]); i++)
		cmp = cmp || strcmp(op, cmp_ops[i]) == 0;
	bool aggregate = false;
	pgn_walk(&s->testexpr->base, find_aggregate, &aggregate);
	/* the test runs inside the subquery, where an aggregate of the outer
	 * query would be the subquery's own */
	if (!cmp || aggregate || s->testexpr->node_case == PG_QUERY__NODE__NODE_ROW_EXPR)
		return tr_unsupported(tr, s->location,
				      all ? "op ALL (subquery) with this operator, a row or an aggregate"
					  : "op ANY (subquery) with this operator, a row or an aggregate");
	Buf lb, sb, test;
	TType lt;
	TRel res;
	buf_init(&lb);
	buf_init(&sb);
	buf_init(&test);
	bool ok = tr_expr(tr, s->testexpr, &lb, &lt) && subselect_rel(tr, s->subselect, &sb, &res);
	if (ok && res.ncols != 1)
		ok = tr_fail(tr, "42601", s->location, "subquery has too %s columns", res.ncols > 1 ? "many" : "few");
	if (ok) {
		TType both[2];
		int keyed = compared_types(tr, s, &lb, &lt, &res, both);
		Buf col;
		buf_init(&col);
		buf_put_str(&col, "\"_in\".");
		pgs_put_ident(&col, res.cols[0].name);
		buf_put_u8(&test, '(');
		tr_put_cmp_operand(&test, &lb, &both[0], keyed);
		buf_printf(&test, " %s ", strcmp(op, "!=") == 0 ? "<>" : op);
		tr_put_cmp_operand(&test, &col, &both[1], keyed);
		buf_put_u8(&test, ')');
		buf_cleanup(&col);
		/* the deciding row first, then a row that compares NULL */
		buf_put_str(out, "(CASE WHEN EXISTS (SELECT 1 FROM ");
		tr_put_buf(out, &sb);
		buf_put_str(out, all ? " AS \"_in\" WHERE NOT " : " AS \"_in\" WHERE ");
		tr_put_buf(out, &test);
		buf_printf(out, ") THEN %d WHEN EXISTS (SELECT 1 FROM ", all ? 0 : 1);
		tr_put_buf(out, &sb);
		buf_put_str(out, " AS \"_in\" WHERE ");
		tr_put_buf(out, &test);
		buf_printf(out, " IS NULL) THEN NULL ELSE %d END)", all ? 1 : 0);
	}
	buf_cleanup(&lb);
	buf_cleanup(&sb);
	buf_cleanup(&test);
	return ok && !tr->failed;
}

/* A subquery that gives at most one row whatever the data: an ungrouped
 * aggregate, or LIMIT 1. */
static bool one_row(const Node *n)
{
	const PgQuery__SelectStmt *sel = n->select_stmt;
	if (sel->op != PG_QUERY__SET_OPERATION__SETOP_NONE)
		return false;
	if (sel->limit_count && sel->limit_count->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    sel->limit_count->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL && sel->limit_count->a_const->ival->ival <= 1)
		return true;
	if (sel->n_group_clause || sel->having_clause || sel->n_target_list != 1 ||
	    sel->target_list[0]->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
		return false;
	const Node *v = sel->target_list[0]->res_target->val;
	if (!v || v->node_case != PG_QUERY__NODE__NODE_FUNC_CALL || v->func_call->over)
		return false;
	const PgQuery__FuncCall *fc = v->func_call;
	return fc->agg_star || tr_is_aggregate(fc->n_funcname ? pgn_str(fc->funcname[fc->n_funcname - 1]) : "");
}

/* (subquery) as an expression: its one row's value, NULL without rows,
 * and 21000 when it gives more than one, as PostgreSQL says (SQLite's
 * scalar subquery takes the first row).  The value is read as a column of
 * the subquery, keeping its affinity and collation. */
static bool scalar_subquery(Tr *tr, Node *n, Buf *out, TType *ty)
{
	Buf sb, col;
	TRel res;
	buf_init(&sb);
	buf_init(&col);
	bool ok = subselect_rel(tr, n, &sb, &res);
	if (ok && res.ncols != 1) {
		/* a row of several columns, for a row comparison around it */
		if (ty)
			tr_ttype_set(ty, res.ncols ? res.cols[0].type : PGT_TEXT, res.ncols ? res.cols[0].typmod : -1);
		tr_put_buf(out, &sb);
	} else if (ok) {
		tr_ttype_set(ty, res.cols[0].type, res.cols[0].typmod);
		pgs_put_ident(&col, res.cols[0].name);
		buf_put_str(out, "(SELECT \"_one\".");
		tr_put_buf(out, &col);
		buf_put_str(out, " FROM (SELECT \"_s\".");
		tr_put_buf(out, &col);
		buf_put_str(out, ", count(*) OVER () AS \"_n\" FROM ");
		tr_put_buf(out, &sb);
		buf_put_str(out, " AS \"_s\" LIMIT 1) AS \"_one\" WHERE pg_one_row(\"_one\".\"_n\"))");
	}
	buf_cleanup(&sb);
	buf_cleanup(&col);
	return ok && !tr->failed;
}

bool tr_sublink(Tr *tr, PgQuery__SubLink *s, Buf *out, TType *ty)
{
	switch (s->sub_link_type) {
	case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
		buf_put_str(out, "EXISTS ");
		if (!subselect(tr, s->subselect, out, NULL))
			return false;
		tr_ttype_set(ty, PGT_BOOL, -1);
		return true;
	case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
		return one_row(s->subselect) ? subselect(tr, s->subselect, out, ty) : scalar_subquery(tr, s->subselect, out, ty);
	case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK: {
		const char *op = s->n_oper_name ? pgn_str(s->oper_name[s->n_oper_name - 1]) : "=";
		tr_ttype_set(ty, PGT_BOOL, -1);
		return strcmp(op, "=") == 0 ? in_subquery(tr, s, out) : quantified(tr, s, op, false, out);
	}
	case PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK:
		tr_ttype_set(ty, PGT_BOOL, -1);
		return quantified(tr, s, pgn_str(s->oper_name[s->n_oper_name - 1]), true, out);
	case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK: {
		/* ARRAY(subquery): the rows' values as an array literal */
		Buf sb;
		TType st;
		buf_init(&sb);
		bool ok = subselect(tr, s->subselect, &sb, &st);
		const PgType *et = ok ? pgt_by_oid(st.oid) : NULL;
		if (ok && (!et || !et->array_oid))
			ok = tr_fail(tr, "42704", s->location, "could not find array type for data type %s",
				     et ? et->name : "unknown");
		if (ok) {
			buf_put_str(out, "(WITH _dosql_array(v) AS ");
			tr_put_buf(out, &sb);
			buf_put_str(out, " SELECT coalesce(pg_array_agg(v), '{}') FROM _dosql_array)");
			tr_ttype_set(ty, et->array_oid, -1);
		}
		buf_cleanup(&sb);
		return ok;
	}
	default:
		return tr_unsupported(tr, s->location, "this kind of subquery expression");
	}
}
