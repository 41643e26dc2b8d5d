/*
 * translate_assign.c - subscripts on jsonb (j['a'][0], read as j #> path)
 * and subscripted targets of UPDATE SET: arr[i] = v on one-dimensional
 * arrays (pg_array_assign), j['a'][0] = v on jsonb (pg_jsonb_assign).
 * Several subscripted assignments to one column apply one after the
 * other, each value computed from the row before the UPDATE.
 */
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/pgtype_format.h"
#include "pgsql/translate_int.h"

/* The subscripts of indirection items as a JSON array of texts (integers
 * written as text) into out; *first_int: the first is an integer. */
static bool jsonb_path(Tr *tr, size_t n, Node **items, Buf *out, bool *first_int)
{
	buf_put_str(out, "json_array(");
	for (size_t i = 0; i < n; i++) {
		if (items[i]->node_case != PG_QUERY__NODE__NODE_A_INDICES)
			return tr_unsupported(tr, -1, "field selection on jsonb");
		PgQuery__AIndices *ai = items[i]->a_indices;
		if (ai->is_slice)
			return tr_fail(tr, "42804", -1, "jsonb subscript does not support slices");
		Buf sb;
		TType st;
		buf_init(&sb);
		bool ok = tr_expr(tr, ai->uidx, &sb, &st);
		if (ok && (st.unknown || st.param > 0 || st.oid == PGT_UNKNOWN))
			ok = tr_coerce(tr, &sb, &st, PGT_TEXT, -1, -1);
		if (ok && !tr_is_int_type(st.oid) && !tr_is_text_type(st.oid))
			ok = tr_fail(tr, "42804", -1, "subscript type %s is not supported", tr_type_name(st.oid));
		if (ok) {
			if (i == 0)
				*first_int = tr_is_int_type(st.oid);
			buf_put_str(out, i ? ", CAST(" : "CAST(");
			tr_put_buf(out, &sb);
			buf_put_str(out, " AS TEXT)");
		}
		buf_cleanup(&sb);
		if (!ok)
			return false;
	}
	buf_put_u8(out, ')');
	return !tr->failed;
}

bool tr_jsonb_subscript(Tr *tr, PgQuery__AIndirection *ind, Buf *ab, Buf *out, TType *ty)
{
	Buf path;
	bool first_int;
	buf_init(&path);
	bool ok = jsonb_path(tr, ind->n_indirection, ind->indirection, &path, &first_int);
	if (ok) {
		buf_put_str(out, "pg_json_path(");
		tr_put_buf(out, ab);
		buf_put_str(out, ", ");
		tr_put_buf(out, &path);
		buf_put_str(out, ", 0)");
		tr_ttype_set(ty, PGT_JSONB, -1);
	}
	buf_cleanup(&path);
	return ok;
}

static bool not_subscriptable(Tr *tr, uint32_t oid, int loc)
{
	Buf tn;
	buf_init(&tn);
	pgt_format_type(&tn, oid, -1, false);
	bool r = tr_fail(tr, "42804", loc, "cannot subscript type %s because it does not support subscripting",
			 buf_cstr(&tn));
	buf_cleanup(&tn);
	return r;
}

/* One bound of a slice (its default when absent) as int4 into out. */
static bool slice_bound(Tr *tr, Node *n, const char *dflt, Buf *out)
{
	if (!n) {
		buf_put_str(out, dflt);
		return true;
	}
	Buf b;
	TType t;
	buf_init(&b);
	bool ok = tr_expr(tr, n, &b, &t) && tr_coerce(tr, &b, &t, PGT_INT4, -1, -1);
	tr_put_buf(out, &b);
	buf_cleanup(&b);
	return ok;
}

bool tr_array_slice(Tr *tr, PgQuery__AIndices *ai, Buf *ab, TType *at, Buf *out, TType *ty)
{
	const PgType *t = pgt_by_oid(at->oid);
	if (!t || !t->elem_oid || t->category != 'A')
		return not_subscriptable(tr, at->oid, -1);
	if (at->oid == 22 || at->oid == 30)
		return tr_unsupported(tr, -1, "slices of int2vector and oidvector");
	buf_put_str(out, "pg_array_slice(");
	tr_put_buf(out, ab);
	buf_put_str(out, ", ");
	bool ok = slice_bound(tr, ai->lidx, "1", out);
	buf_put_str(out, ", ");
	ok = ok && slice_bound(tr, ai->uidx, "2147483647", out);
	buf_put_u8(out, ')');
	tr_ttype_set(ty, at->oid, -1);
	return ok && !tr->failed;
}

/* cur[lo:hi] = the value in vb (of type vt) into next. */
static bool assign_slice(Tr *tr, const PgsColumn *c, PgQuery__AIndices *ai, int loc, Buf *vb, TType *vt, Buf *cur,
			 Buf *next)
{
	if (!tr_coerce(tr, vb, vt, c->type, -1, loc))
		return false;
	buf_printf(next, "pg_array_assign_slice(%s, ", buf_cstr(cur));
	bool ok = slice_bound(tr, ai->lidx, "NULL", next);
	buf_put_str(next, ", ");
	ok = ok && slice_bound(tr, ai->uidx, "NULL", next);
	buf_put_str(next, ", ");
	tr_put_buf(next, vb);
	buf_printf(next, ", %d)", (ai->lidx ? 0 : 1) | (ai->uidx ? 0 : 2));
	return ok;
}

/* cur = the assignment rt makes to it (column c of type ct). */
static bool assign_one(Tr *tr, const PgsColumn *c, const PgType *ct, PgQuery__ResTarget *rt, Buf *cur)
{
	Buf vb, next;
	TType vt;
	buf_init(&vb);
	buf_init(&next);
	bool ok = tr_expr(tr, rt->val, &vb, &vt);
	Node *ix = rt->indirection[0];
	if (ok && c->type == PGT_JSONB) {
		bool first_int = false;
		ok = tr_coerce(tr, &vb, &vt, PGT_JSONB, -1, rt->location);
		buf_printf(&next, "pg_jsonb_assign(%s, ", buf_cstr(cur));
		ok = ok && jsonb_path(tr, rt->n_indirection, rt->indirection, &next, &first_int);
		buf_put_str(&next, ", ");
		tr_put_buf(&next, &vb);
		buf_printf(&next, ", %d)", first_int ? 1 : 0);
	} else if (ok && (rt->n_indirection != 1 || ix->node_case != PG_QUERY__NODE__NODE_A_INDICES)) {
		ok = tr_unsupported(tr, rt->location, "UPDATE SET of a subfield or of several subscripts");
	} else if (ok && ix->a_indices->is_slice) {
		ok = assign_slice(tr, c, ix->a_indices, rt->location, &vb, &vt, cur, &next);
	} else if (ok) {
		Buf ib;
		TType it;
		buf_init(&ib);
		ok = tr_coerce(tr, &vb, &vt, ct->elem_oid, -1, rt->location) &&
		     tr_expr(tr, ix->a_indices->uidx, &ib, &it) && tr_coerce(tr, &ib, &it, PGT_INT4, -1, rt->location);
		buf_printf(&next, "pg_array_assign(%s, ", buf_cstr(cur));
		tr_put_buf(&next, &ib);
		buf_put_str(&next, ", ");
		tr_put_buf(&next, &vb);
		buf_printf(&next, ", %u)", ct->elem_oid);
		buf_cleanup(&ib);
	}
	buf_reset(cur);
	buf_put_str(cur, buf_cstr(&next));
	buf_cleanup(&vb);
	buf_cleanup(&next);
	return ok && !tr->failed;
}

bool tr_set_subscripts(Tr *tr, const PgsColumn *c, Node **items, size_t n, size_t i, Buf *out)
{
	PgQuery__ResTarget *first = items[i]->res_target;
	for (size_t k = 0; k < n; k++) {
		PgQuery__ResTarget *rt = items[k]->res_target;
		if (strcmp(rt->name, first->name) == 0 && !rt->n_indirection)
			return tr_fail(tr, "42601", -1, "multiple assignments to same column \"%s\"", rt->name);
	}
	const PgType *ct = pgt_by_oid(c->type);
	if (c->type != PGT_JSONB && (!ct || ct->category != 'A' || !ct->elem_oid))
		return not_subscriptable(tr, c->type, first->location);
	Buf cur;
	buf_init(&cur);
	pgs_put_ident(&cur, c->name);
	bool ok = true;
	for (size_t k = i; k < n && ok; k++) {
		PgQuery__ResTarget *rt = items[k]->res_target;
		if (strcmp(rt->name, first->name) == 0)
			ok = assign_one(tr, c, ct, rt, &cur);
	}
	if (ok) {
		pgs_put_ident(out, c->name);
		buf_put_str(out, " = ");
		TType ct2 = {.oid = c->type == PGT_JSONB ? PGT_JSON : c->type, .typmod = -1};
		ok = tr_coerce(tr, &cur, &ct2, c->type, c->typmod, first->location);
		tr_put_buf(out, &cur);
	}
	buf_cleanup(&cur);
	return ok;
}
