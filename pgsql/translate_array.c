/*
 * translate_array.c - the PG->SQLite translation of array and record
 * expressions: x op ANY/ALL (array), subscripts of arrays
 * and int2vector/oidvector, the record of information_schema.
 * _pg_expandarray and its fields, and json_build_object.
 */
#include <stdio.h>
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

/* The element type of the array operand of op ANY/ALL (array): an open
 * operand (a parameter, an untyped literal) takes the array type of the
 * other side's type; false with 42809 when it is no array. */
static bool array_operand(Tr *tr, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, uint32_t *elem)
{
	if (rt->unknown || rt->param > 0) {
		tr_settle(tr, lb, lt);
		const PgType *t = pgt_by_oid(lt->oid);
		if (!t || !t->array_oid)
			return tr_unsupported(tr, loc, "op ANY/ALL over an array of this type");
		*elem = lt->oid;
		return tr_coerce(tr, rb, rt, t->array_oid, -1, loc);
	}
	const PgType *t = pgt_by_oid(rt->oid);
	if (!t || !t->elem_oid || t->category != 'A')
		return tr_fail(tr, "42809", loc, "op ANY/ALL (array) requires array on right side");
	*elem = t->elem_oid;
	if (lt->unknown || lt->param > 0)
		return tr_coerce(tr, lb, lt, *elem, -1, loc);
	return true;
}

/* x = ANY (array) as x IN (its elements), x <> ALL (array) as x NOT IN:
 * an ARRAY[...] constructor element by element, any other array (a
 * column, a parameter, a literal) through json_each over its stored
 * elements, each cast to the element type; a NULL array gives NULL, as in
 * PostgreSQL.  The array is read once per statement when it does not
 * depend on the row. */
bool tr_any_array(Tr *tr, PgQuery__AExpr *a, bool all, Buf *out, TType *ty)
{
	const char *in = all ? " NOT IN (" : " IN (";
	Buf lb, rb, eb;
	TType lt, rt, et;
	buf_init(&lb);
	buf_init(&rb);
	buf_init(&eb);
	bool ok = tr_expr(tr, a->lexpr, &lb, &lt);
	if (ok && a->rexpr->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
		tr_settle(tr, &lb, &lt);
		buf_put_u8(out, '(');
		tr_put_buf(out, &lb);
		buf_put_str(out, in);
		ok = tr_expr_list(tr, a->rexpr->a_array_expr->n_elements, a->rexpr->a_array_expr->elements, out, lt.oid,
				  NULL);
		buf_put_str(out, "))");
	} else if (ok) {
		uint32_t elem = 0;
		ok = tr_expr(tr, a->rexpr, &rb, &rt) && array_operand(tr, &lb, &lt, &rb, &rt, a->location, &elem);
		buf_put_str(&eb, "value");
		tr_ttype_set(&et, PGT_TEXT, -1);
		ok = ok && tr_coerce(tr, &eb, &et, elem, -1, a->location);
		if (ok) {
			/* the NULL test as a subquery: over a parameter or a
			 * constant it runs once, not once per row */
			buf_put_str(out, "(CASE WHEN (SELECT (");
			tr_put_buf(out, &rb);
			buf_put_str(out, ") IS NULL) THEN NULL ELSE ");
			TType both[2] = {lt, et};
			int keyed = tr_cmp_keyed(both, 2);
			tr_put_cmp_operand(out, &lb, &lt, keyed);
			buf_put_str(out, in);
			buf_put_str(out, "SELECT ");
			tr_put_cmp_operand(out, &eb, &et, keyed);
			buf_put_str(out, " FROM json_each(pg_array_json(");
			tr_put_buf(out, &rb);
			buf_put_str(out, "))) END)");
		}
	}
	tr_ttype_set(ty, PGT_BOOL, -1);
	buf_cleanup(&lb);
	buf_cleanup(&rb);
	buf_cleanup(&eb);
	return ok && !tr->failed;
}

bool tr_any_array_op(Tr *tr, PgQuery__AExpr *a, bool all, const char *op, Buf *out, TType *ty)
{
	static const char *const ops[] = {"=", "<>", "!=", "<", "<=", ">", ">="};
	bool known = false;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		known = known || strcmp(op, ops[i]) == 0;
	if (!known)
		return tr_unsupported(tr, a->location, all ? "this op ALL (array)" : "this op ANY (array)");
	Buf lb, rb, eb;
	TType lt, rt, et;
	buf_init(&lb);
	buf_init(&rb);
	buf_init(&eb);
	uint32_t elem = 0;
	bool ok = tr_expr(tr, a->lexpr, &lb, &lt) && tr_expr(tr, a->rexpr, &rb, &rt) &&
		  array_operand(tr, &lb, &lt, &rb, &rt, a->location, &elem);
	buf_put_str(&eb, "value");
	tr_ttype_set(&et, PGT_TEXT, -1);
	ok = ok && tr_coerce(tr, &eb, &et, elem, -1, a->location);
	if (ok && lt.oid != elem && !(tr_is_int_type(lt.oid) && tr_is_int_type(elem)))
		ok = tr_unsupported(tr, a->location, "op ANY/ALL (array) between different types");
	if (ok) {
		tr_settle(tr, &lb, &lt);
		/* ANY: true when a comparison is, else NULL when one is NULL;
		 * ALL: false when a comparison is, else NULL when one is NULL */
		buf_put_str(out, "(CASE WHEN (");
		tr_put_buf(out, &rb);
		buf_printf(out, ") IS NULL THEN NULL ELSE (SELECT CASE WHEN %s(c) = %d THEN %d WHEN count(*) > count(c)"
				" THEN NULL ELSE %d END FROM (SELECT (",
			   all ? "min" : "max", all ? 0 : 1, all ? 0 : 1, all ? 1 : 0);
		TType both[2] = {lt, et};
		int keyed = tr_cmp_keyed(both, 2);
		tr_put_cmp_operand(out, &lb, &lt, keyed);
		buf_printf(out, " %s ", strcmp(op, "!=") == 0 ? "<>" : op);
		tr_put_cmp_operand(out, &eb, &et, keyed);
		buf_put_str(out, ") AS c FROM json_each(pg_array_json(");
		tr_put_buf(out, &rb);
		buf_put_str(out, ")))) END)");
	}
	tr_ttype_set(ty, PGT_BOOL, -1);
	buf_cleanup(&lb);
	buf_cleanup(&rb);
	buf_cleanup(&eb);
	return ok && !tr->failed;
}

/* json_build_object(k, v, ...) as pg_json_build_object(k, type of v, v,
 * ...), which writes the object as PostgreSQL does. */
bool tr_json_build_object(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty)
{
	if (f->func_variadic)
		return tr_json_variadic(tr, f, "json_build_object", out, ty) == 1;
	if (f->n_args % 2)
		return tr_fail(tr, "22023", f->location, "argument list must have even number of elements");
	if (f->n_args > 84)
		return tr_unsupported(tr, f->location, "json_build_object with more than 84 arguments");
	buf_put_str(out, "pg_json_build_object(");
	for (size_t i = 0; i < f->n_args; i++) {
		Buf ab;
		TType at;
		buf_init(&ab);
		bool ok = tr_expr(tr, f->args[i], &ab, &at);
		tr_settle(tr, &ab, &at);
		if (ok && i % 2 == 0 && !tr_json_key_type(at.oid))
			ok = tr_fail(tr, "22023", f->location, "key value must be scalar, not array, composite, or json");
		if (ok && i % 2 == 0)
			ok = tr_coerce(tr, &ab, &at, PGT_TEXT, -1, f->location);
		if (i)
			buf_put_str(out, ", ");
		if (i % 2)
			buf_printf(out, "%u, ", at.oid);
		tr_put_buf(out, &ab);
		buf_cleanup(&ab);
		if (!ok)
			return false;
	}
	buf_put_u8(out, ')');
	tr_ttype_set(ty, PGT_JSON, -1);
	return !tr->failed;
}

/* (r).x and (r).n of a record of information_schema._pg_expandarray,
 * written "(x,n)": its integer fields. */
static bool record_field(Tr *tr, PgQuery__AIndirection *ind, Buf *out, TType *ty)
{
	const char *field = ind->indirection[0]->string->sval;
	Buf ab;
	TType at;
	buf_init(&ab);
	bool ok = tr_expr(tr, ind->arg, &ab, &at);
	if (ok && (at.oid != 2249 || (strcmp(field, "x") != 0 && strcmp(field, "n") != 0)))
		ok = tr_unsupported(tr, -1, "field selection");
	if (ok) {
		const char *r = buf_cstr(&ab);
		if (field[0] == 'x')
			buf_printf(out, "CAST(substr(%s, 2, instr(%s, ',') - 2) AS INTEGER)", r, r);
		else
			buf_printf(out, "CAST(substr(%s, instr(%s, ',') + 1, length(%s) - instr(%s, ',') - 1) AS INTEGER)", r, r,
				   r, r);
		tr_ttype_set(ty, field[0] == 'x' ? PGT_INT2 : PGT_INT4, -1);
	}
	buf_cleanup(&ab);
	return ok;
}

bool tr_indirection(Tr *tr, PgQuery__AIndirection *ind, Buf *out, TType *ty)
{
	if (ind->n_indirection == 1 && ind->indirection[0]->node_case == PG_QUERY__NODE__NODE_STRING)
		return record_field(tr, ind, out, ty);
	Buf ab, ib;
	TType at, it;
	buf_init(&ab);
	buf_init(&ib);
	bool subscripts = ind->indirection[0]->node_case == PG_QUERY__NODE__NODE_A_INDICES;
	bool ok = subscripts && tr_expr(tr, ind->arg, &ab, &at);
	if (ok && at.oid == PGT_JSONB) {
		ok = tr_jsonb_subscript(tr, ind, &ab, out, ty);
		buf_cleanup(&ab);
		buf_cleanup(&ib);
		return ok;
	}
	if (!tr->failed && (ind->n_indirection != 1 || !subscripts)) {
		buf_cleanup(&ab);
		buf_cleanup(&ib);
		return tr_unsupported(tr, -1, "array slices and field selection");
	}
	if (ok && ind->indirection[0]->a_indices->is_slice) {
		ok = tr_array_slice(tr, ind->indirection[0]->a_indices, &ab, &at, out, ty);
		buf_cleanup(&ab);
		buf_cleanup(&ib);
		return ok;
	}
	ok = ok && tr_expr(tr, ind->indirection[0]->a_indices->uidx, &ib, &it) &&
	     tr_coerce(tr, &ib, &it, PGT_INT4, -1, -1);
	if (ok) {
		const PgType *t = pgt_by_oid(at.oid);
		if (!t || !t->elem_oid || t->category != 'A') {
			ok = tr_fail(tr, "42804", -1, "cannot subscript type %s because it does not support subscripting",
				     t ? t->name : "unknown");
		} else {
			bool zero_based = at.oid == 22 || at.oid == 30;
			buf_put_str(out, "pg_subscript(");
			tr_put_buf(out, &ab);
			buf_put_str(out, ", ");
			tr_put_buf(out, &ib);
			buf_printf(out, ", %d)", zero_based ? 0 : 1);
			tr_ttype_set(ty, t->elem_oid, -1);
		}
	}
	buf_cleanup(&ab);
	buf_cleanup(&ib);
	return ok;
}

bool tr_args3(Tr *tr, PgQuery__FuncCall *f, Buf *bs, TType *ts)
{
	bool ok = true;
	for (size_t i = 0; i < 3; i++)
		buf_init(&bs[i]);
	for (size_t i = 0; i < f->n_args && i < 3 && ok; i++)
		ok = tr_expr(tr, f->args[i], &bs[i], &ts[i]);
	return ok;
}

static bool numeric_type(uint32_t oid)
{
	const PgType *t = pgt_by_oid(oid);
	return t && t->category == 'N';
}

/* The arguments of array_position & co. are anycompatiblearray and
 * anycompatible: a number wider than the array's elements (int8 beside
 * int[]) makes the array one of its type (*at). */
static bool find_common_array(Tr *tr, PgQuery__FuncCall *f, Buf *bs, TType *ts, const PgType **at)
{
	uint32_t elem = (*at)->elem_oid;
	for (size_t i = 1; i < f->n_args && i < 3; i++)
		if (!ts[i].unknown && !ts[i].param && !ts[i].null_const && numeric_type(elem) && numeric_type(ts[i].oid))
			elem = tr_common_of(elem, ts[i].oid);
	const PgType *e = elem != (*at)->elem_oid ? pgt_by_oid(elem) : NULL;
	if (!e || !e->array_oid)
		return true;
	if (!tr_coerce(tr, &bs[0], &ts[0], e->array_oid, -1, f->location))
		return false;
	*at = pgt_by_oid(ts[0].oid);
	return *at != NULL;
}

/* array_position(arr, v), array_positions(arr, v), array_remove(arr, v),
 * array_replace(arr, v, w) as pg_array_find (pgtype_array.c): v and w
 * take the element type of arr (arr the array type of v when it is an
 * untyped NULL).  1 translated, 0 failed, -1 not one of them. */
int tr_array_find(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty)
{
	static const char *const names[] = {"array_position", "array_positions", "array_remove", "array_replace"};
	int mode = -1;
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			mode = i;
	if (mode < 0 || f->n_args != (mode == 3 ? 3u : 2u) || f->over || f->agg_star || f->func_variadic)
		return -1;
	Buf bs[3];
	TType ts[3];
	bool ok = tr_args3(tr, f, bs, ts);
	const PgType *at = NULL;
	if (ok && (ts[0].unknown || ts[0].param) && !ts[1].unknown && !ts[1].param) {
		const PgType *et = pgt_by_oid(ts[1].oid);
		ok = et && et->array_oid && tr_coerce(tr, &bs[0], &ts[0], et->array_oid, -1, f->location);
	} else if (ok && (ts[0].unknown || ts[0].param)) {
		ok = tr_coerce(tr, &bs[0], &ts[0], PGT_TEXTARRAY, -1, f->location);
	}
	at = ok ? pgt_by_oid(ts[0].oid) : NULL;
	if (ok && (!at || at->category != 'A' || !at->elem_oid))
		ok = tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name, tr_type_name(ts[0].oid));
	if (ok)
		ok = find_common_array(tr, f, bs, ts, &at);
	for (size_t i = 1; i < f->n_args && ok; i++)
		ok = tr_coerce(tr, &bs[i], &ts[i], at->elem_oid, -1, f->location);
	if (ok) {
		buf_put_str(out, "pg_array_find(");
		tr_put_buf(out, &bs[0]);
		buf_put_str(out, ", ");
		tr_put_buf(out, &bs[1]);
		buf_printf(out, ", %u, %d", at->elem_oid, mode);
		if (mode == 3) {
			buf_put_str(out, ", ");
			tr_put_buf(out, &bs[2]);
		}
		buf_put_u8(out, ')');
		tr_ttype_set(ty, mode == 0 ? PGT_INT4 : mode == 1 ? PGT_INT4ARRAY : ts[0].oid, -1);
	}
	for (size_t i = 0; i < 3; i++)
		buf_cleanup(&bs[i]);
	return ok && !tr->failed ? 1 : 0;
}
