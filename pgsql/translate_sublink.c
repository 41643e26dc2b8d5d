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
		both[0] = lt;
		if (res.ncols > 0) {
			tr_ttype_set(&both[1], res.cols[0].type, res.cols[0].typmod);
			both[1].column = res.cols[0].table_oid != 0 && res.cols[0].attnum > 0;
		} else {
			tr_ttype_set(&both[1], PGT_TEXT, -1);
		}
		if (lt.unknown || lt.param)
			tr_coerce(tr, &lb, &both[0], both[1].oid, -1, s->location);
		int keyed = res.ncols == 1 ? tr_cmp_keyed(both, 2) : 0;
		/* an expression of the row is evaluated only when the subquery has rows */
		bool guard = s->testexpr->node_case != PG_QUERY__NODE__NODE_COLUMN_REF && tr_row_varying(s->testexpr) &&
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
		return subselect(tr, s->subselect, out, ty);
	case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK: {
		const char *op = s->n_oper_name ? pgn_str(s->oper_name[s->n_oper_name - 1]) : "=";
		if (strcmp(op, "=") != 0)
			return tr_unsupported(tr, s->location, "op ANY (subquery) other than =");
		tr_ttype_set(ty, PGT_BOOL, -1);
		return in_subquery(tr, s, out);
	}
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
