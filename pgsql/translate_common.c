/*
 * translate_common.c - the common type of expressions as PostgreSQL
 * resolves it (numbers promote, date < timestamp < timestamptz, arrays of
 * numbers), NULLIF's type and comparison, and which arrays compare.
 */
#include <string.h>
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

static bool array_type(uint32_t oid)
{
	const PgType *t = pgt_by_oid(oid);
	return t && t->category == 'A' && t->elem_oid && oid != 22 && oid != 30;
}

static bool is_datetime(uint32_t t) { return t == PGT_DATE || t == PGT_TIMESTAMP || t == PGT_TIMESTAMPTZ; }

/* The common type of two types: numeric types promote, so do date and
 * timestamp, otherwise the first. */
uint32_t tr_common_of(uint32_t a, uint32_t b)
{
	if (!a || a == PGT_UNKNOWN)
		return b;
	if (!b || b == PGT_UNKNOWN)
		return a;
	if (tr_is_numeric_type(a) && tr_is_numeric_type(b))
		return tr_arith_result(a, b);
	/* arrays of numbers: the array of their elements' common type */
	const PgType *ta = pgt_by_oid(a), *tb = pgt_by_oid(b);
	if (a != b && ta && tb && ta->category == 'A' && tb->category == 'A' && ta->elem_oid && tb->elem_oid &&
	    tr_is_numeric_type(ta->elem_oid) && tr_is_numeric_type(tb->elem_oid)) {
		const PgType *e = pgt_by_oid(tr_arith_result(ta->elem_oid, tb->elem_oid));
		if (e && e->array_oid)
			return e->array_oid;
	}
	/* date < timestamp < timestamptz: each converts implicitly to the next */
	if (is_datetime(a) && is_datetime(b))
		return a == PGT_TIMESTAMPTZ || b == PGT_TIMESTAMPTZ ? PGT_TIMESTAMPTZ
		       : a == PGT_TIMESTAMP || b == PGT_TIMESTAMP ? PGT_TIMESTAMP
								 : PGT_DATE;
	return a;
}

/* The type NULLIF(l, r) returns: the left input of the = operator
 * PostgreSQL picks (l's own type beside another integer, float or
 * date/time type; text for varchar; character(n) only beside
 * character(n) or an untyped value); *cmp, the type they compare in. */
static uint32_t nullif_type(const TType *l, const TType *r, uint32_t *cmp)
{
	bool lopen = l->unknown || l->param, ropen = r->unknown || r->param;
	uint32_t lo = lopen ? r->oid : l->oid, ro = ropen ? lo : r->oid;
	if (lopen && ropen)
		lo = ro = PGT_TEXT;
	if ((lo == PGT_BPCHAR && (ro == PGT_BPCHAR || ro == PGT_VARCHAR)) || (lo == PGT_VARCHAR && ro == PGT_BPCHAR))
		return *cmp = PGT_BPCHAR;
	if (tr_is_text_type(lo) && (lo == PGT_VARCHAR || lo == PGT_BPCHAR || tr_is_text_type(ro)))
		return *cmp = PGT_TEXT;
	*cmp = tr_common_of(lo, ro);
	bool same_kind = (tr_is_int_type(lo) && tr_is_int_type(ro)) || (is_datetime(lo) && is_datetime(ro)) ||
			 ((lo == PGT_FLOAT4 || lo == PGT_FLOAT8) && (ro == PGT_FLOAT4 || ro == PGT_FLOAT8));
	return same_kind ? lo : *cmp;
}

/* NULLIF(l, r): NULL when l = r (compared by r's and l's values as
 * PostgreSQL's operator compares them), else l of nullif_type. */
bool tr_nullif(Tr *tr, PgQuery__AExpr *a, Buf *out, TType *ty)
{
	Buf lb, rb, lk;
	TType lt, rt, kt[2];
	buf_init(&lb);
	buf_init(&rb);
	buf_init(&lk);
	bool ok = tr_expr(tr, a->lexpr, &lb, &lt) && tr_expr(tr, a->rexpr, &rb, &rt);
	uint32_t cmp = 0, res = ok ? nullif_type(&lt, &rt, &cmp) : 0;
	if (ok) {
		tr_put_buf(&lk, &lb);
		kt[0] = lt;
		kt[1] = rt;
		ok = tr_coerce(tr, &lk, &kt[0], cmp, -1, a->location) &&
		     tr_coerce(tr, &rb, &kt[1], cmp, -1, a->location) && tr_coerce(tr, &lb, &lt, res, -1, a->location);
	}
	int keyed = ok ? tr_cmp_keyed(kt, 2) : 0;
	if (ok && !keyed && res == cmp) {
		buf_put_str(out, "nullif(");
		tr_put_buf(out, &lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, &rb);
		buf_put_u8(out, ')');
	} else if (ok) {
		buf_put_str(out, "(CASE WHEN ");
		tr_put_cmp_operand(out, &lk, &kt[0], keyed);
		buf_put_str(out, " = ");
		tr_put_cmp_operand(out, &rb, &kt[1], keyed);
		buf_put_str(out, " THEN NULL ELSE ");
		tr_put_buf(out, &lb);
		buf_put_str(out, " END)");
	}
	if (ok)
		tr_ttype_set(ty, res, lt.typmod);
	buf_cleanup(&lb);
	buf_cleanup(&rb);
	buf_cleanup(&lk);
	return ok && !tr->failed;
}

/* Arrays compare only with arrays of their own type: PostgreSQL has no
 * integer[] = bigint[] (42883). */
bool tr_array_cmp_types(Tr *tr, const char *op, const TType *lt, const TType *rt, int loc)
{
	if (!array_type(lt->oid) || !array_type(rt->oid) || lt->oid == rt->oid || lt->unknown || rt->unknown ||
	    lt->param || rt->param)
		return true;
	return tr_fail(tr, "42883", loc, "operator does not exist: %s %s %s", tr_type_name(lt->oid), op,
		       tr_type_name(rt->oid));
}

