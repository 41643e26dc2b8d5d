/*
 * translate_agg.c - aggregate calls beyond count/sum/avg/min/max: ordered
 * aggregates (string_agg and array_agg with ORDER BY or DISTINCT,
 * json_agg and jsonb_agg),
 * the ordered-set aggregates (percentile_cont, percentile_disc, mode
 * WITHIN GROUP), the statistical aggregates and bit_and/bit_or/bit_xor,
 * computed by funcs_agg.c and funcs_stat.c.
 */
#include <string.h>
#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

typedef struct StatAgg {
	const char *name;
	char kind;
	bool two; /* (y, x) over float8 */
} StatAgg;

static const StatAgg stats[] = {
	{"stddev", 's', false},	  {"stddev_samp", 's', false},	 {"stddev_pop", 'S', false}, {"variance", 'v', false},
	{"var_samp", 'v', false}, {"var_pop", 'V', false},	 {"corr", 'c', true},	     {"covar_pop", 'p', true},
	{"covar_samp", 'q', true}, {"regr_sxx", 'X', true},	 {"regr_syy", 'Y', true},    {"regr_sxy", 'Z', true},
	{"regr_avgx", 'x', true}, {"regr_avgy", 'y', true},	 {"regr_r2", 'r', true},     {"regr_slope", 'l', true},
	{"regr_intercept", 'i', true}, {"regr_count", 'n', true},
};

static const char *const other_aggs[] = {"bit_and",	 "bit_or", "bit_xor",	"percentile_cont",
					 "percentile_disc", "mode",   "json_agg", "jsonb_agg", "json_object_agg",
					 "jsonb_object_agg"};

static const StatAgg *stat_agg(const char *name)
{
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		if (strcmp(stats[i].name, name) == 0)
			return &stats[i];
	return NULL;
}

bool tr_is_extra_aggregate(const char *name)
{
	for (size_t i = 0; i < sizeof(other_aggs) / sizeof(other_aggs[0]); i++)
		if (strcmp(other_aggs[i], name) == 0)
			return true;
	return stat_agg(name) != NULL;
}

/* An argument translated and settled, with unknown/parameter types taken
 * as want (0: leave them). */
static bool arg(Tr *tr, Node *n, uint32_t want, Buf *out, TType *ty)
{
	buf_init(out);
	if (!tr_expr(tr, n, out, ty))
		return false;
	if (want && (ty->unknown || ty->param) && !tr_coerce(tr, out, ty, want, -1, -1))
		return false;
	tr_settle(tr, out, ty);
	return true;
}

/* FILTER and OVER after the call. */
static bool call_tail(Tr *tr, PgQuery__FuncCall *f, Buf *out)
{
	if (!tr_agg_filter(tr, f, out))
		return false;
	return !f->over || tr_window_def(tr, f->over, out);
}

/* ", key, dir" of an ORDER BY item inside an aggregate. */
static bool order_key(Tr *tr, PgQuery__SortBy *sb, Buf *out)
{
	if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
		return tr_unsupported(tr, sb->location, "ORDER BY ... USING");
	Buf kb;
	TType kt;
	bool ok = arg(tr, sb->node, PGT_TEXT, &kb, &kt);
	if (ok) {
		buf_put_str(out, ", ");
		tr_put_cmp_operand(out, &kb, &kt, tr_cmp_keyed(&kt, 1) | 1);
		buf_printf(out, ", %d", tr_sort_flags(sb));
	}
	buf_cleanup(&kb);
	return ok;
}

/* The value pg_ordagg collects: json_agg's as the JSON text of the value
 * (written by pg_json_build_object as the member of key ""). */
static bool ordagg_value(Tr *tr, PgQuery__FuncCall *f, char kind, Buf *vb, TType *vt, Buf *key, Buf *out)
{
	if (kind != 'j' && kind != 'J' && kind != 'o') {
		tr_put_buf(out, vb);
		return true;
	}
	if (kind == 'J' && vt->oid == PGT_JSON)
		return tr_unsupported(tr, f->location, "jsonb_agg over json values");
	buf_put_str(out, "pg_json_build_object(");
	if (kind == 'o') { /* json_object_agg's own error for a NULL key */
		buf_put_str(out, "coalesce(");
		tr_put_buf(out, key);
		buf_put_str(out, ", pg_domain_fail('22023', 'field name must not be null'))");
	} else {
		buf_put_str(out, "''");
	}
	buf_printf(out, ", %u, ", vt->oid);
	tr_put_buf(out, vb);
	buf_put_u8(out, ')');
	return true;
}

/* string_agg(v, d), array_agg(v), json_agg(v), jsonb_agg(v) and
 * json_object_agg(k, v) (kinds 's', 'a', 'j', 'J', 'o'), with ORDER BY
 * inside the call, with DISTINCT (sorted, as PostgreSQL feeds a DISTINCT
 * aggregate) or as they come. */
static bool ordered_agg(Tr *tr, PgQuery__FuncCall *f, char kind, const char *name, Buf *out, TType *ty)
{
	bool str = kind == 's', obj = kind == 'o';
	if (f->n_args != (str || obj ? 2u : 1u))
		return tr_fail(tr, "42883", f->location, "function %s does not exist", name);
	if (f->over && f->n_agg_order)
		return tr_fail(tr, "0A000", f->location, "aggregate ORDER BY is not implemented for window functions");
	if (f->over && f->agg_distinct)
		return tr_fail(tr, "0A000", f->location, "DISTINCT is not implemented for window functions");
	for (size_t i = 0; f->agg_distinct && i < f->n_agg_order; i++)
		if (!pgn_equal(&f->agg_order[i]->sort_by->node->base, &f->args[0]->base))
			return tr_fail(tr, "42P10", f->location,
				       "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list");
	Buf vb, db;
	TType vt, dt;
	buf_init(&db);
	bool ok = arg(tr, f->args[obj ? 1 : 0], PGT_TEXT, &vb, &vt);
	if (ok && str && vt.oid == PGT_BYTEA)
		kind = 'b'; /* string_agg(bytea, bytea) */
	/* the delimiter, or json_object_agg's key (as text) */
	ok = ok && (!(str || obj) || arg(tr, f->args[obj ? 0 : 1], kind == 'b' ? PGT_BYTEA : PGT_TEXT, &db, &dt));
	if (ok && obj)
		ok = tr_coerce(tr, &db, &dt, PGT_TEXT, -1, f->location);
	const PgType *et = ok ? pgt_by_oid(vt.oid) : NULL;
	if (ok && kind == 'a' && (!et || !et->array_oid))
		ok = tr_fail(tr, "42704", f->location, "could not find array type for data type %s",
			     et ? et->name : "unknown");
	if (ok) {
		buf_printf(out, "pg_ordagg('%c', %d, ", kind, f->agg_distinct ? 1 : 0);
		ok = ordagg_value(tr, f, kind, &vb, &vt, &db, out);
		buf_put_str(out, ", ");
		if (str)
			tr_put_buf(out, &db);
		else
			buf_put_str(out, "NULL");
		if (f->agg_distinct && !f->n_agg_order) { /* sorted by the value */
			buf_put_str(out, ", ");
			tr_put_cmp_operand(out, &vb, &vt, tr_cmp_keyed(&vt, 1) | 1);
			buf_put_str(out, ", 0");
		}
		for (size_t i = 0; i < f->n_agg_order && ok; i++)
			ok = order_key(tr, f->agg_order[i]->sort_by, out);
		buf_put_u8(out, ')');
		tr_ttype_set(ty,
			     kind == 'b'   ? PGT_BYTEA
			     : str	   ? PGT_TEXT
			     : kind == 'j' || obj ? PGT_JSON
			     : kind == 'J' ? PGT_JSONB
					   : et->array_oid,
			     -1);
	}
	buf_cleanup(&vb);
	buf_cleanup(&db);
	return ok && call_tail(tr, f, out);
}

/* percentile_cont / percentile_disc (fraction) WITHIN GROUP (ORDER BY v), mode() WITHIN GROUP (ORDER BY v). */
static bool ordered_set(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty)
{
	char kind = strcmp(name, "mode") == 0 ? 'm' : strcmp(name, "percentile_cont") == 0 ? 'c' : 'd';
	if (!f->agg_within_group || f->n_agg_order != 1 || f->n_args != (kind == 'm' ? 0u : 1u))
		return tr_fail(tr, "42883", f->location, "function %s does not exist", name);
	if (f->over)
		return tr_fail(tr, "0A000", f->location, "OVER is not supported for ordered-set aggregate %s", name);
	PgQuery__SortBy *sb = f->agg_order[0]->sort_by;
	if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
		return tr_unsupported(tr, f->location, "ORDER BY ... USING");
	Buf pb, vb;
	TType pt, vt;
	buf_init(&pb);
	buf_init(&vb); /* cleaned up even when the fraction fails */
	bool ok = (kind == 'm' || arg(tr, f->args[0], PGT_FLOAT8, &pb, &pt)) && arg(tr, sb->node, PGT_TEXT, &vb, &vt);
	if (ok && kind != 'm' && pt.oid != PGT_FLOAT8 && pt.oid != PGT_FLOAT4 && !tr_is_numeric_type(pt.oid))
		ok = tr_unsupported(tr, f->location, "percentiles given as an array");
	if (ok && kind == 'c' && !tr_is_numeric_type(vt.oid) && vt.oid != PGT_FLOAT8 && vt.oid != PGT_FLOAT4)
		ok = tr_unsupported(tr, f->location, "percentile_cont over this type");
	if (ok && kind == 'c')
		ok = tr_coerce(tr, &vb, &vt, PGT_FLOAT8, -1, f->location);
	if (ok) {
		buf_printf(out, "pg_pctagg('%c', ", kind);
		if (kind == 'm')
			buf_put_str(out, "NULL");
		else
			tr_put_buf(out, &pb);
		buf_put_str(out, ", ");
		tr_put_buf(out, &vb);
		buf_put_str(out, ", ");
		tr_put_cmp_operand(out, &vb, &vt, tr_cmp_keyed(&vt, 1) | 1);
		buf_printf(out, ", %d)", tr_sort_flags(sb) & 1);
		tr_ttype_set(ty, vt.oid, kind == 'c' ? -1 : vt.typmod);
	}
	buf_cleanup(&pb);
	buf_cleanup(&vb);
	return ok && call_tail(tr, f, out);
}

/* The statistical aggregates: float8 over floats (and every (y, x) pair),
 * exact numeric over integers and numeric. */
static bool stat_call(Tr *tr, PgQuery__FuncCall *f, const StatAgg *sa, Buf *out, TType *ty)
{
	if (f->n_args != (sa->two ? 2u : 1u))
		return tr_fail(tr, "42883", f->location, "function %s does not exist", sa->name);
	if (f->agg_distinct || f->n_agg_order)
		return tr_unsupported(tr, f->location, "DISTINCT or ORDER BY in this aggregate");
	Buf yb, xb;
	TType yt, xt;
	buf_init(&xb);
	bool ok = arg(tr, f->args[0], PGT_FLOAT8, &yb, &yt) && (!sa->two || arg(tr, f->args[1], PGT_FLOAT8, &xb, &xt));
	bool exact = !sa->two && (tr_is_int_type(yt.oid) || yt.oid == PGT_NUMERIC);
	if (ok && !exact && yt.oid != PGT_FLOAT8 && yt.oid != PGT_FLOAT4 && !tr_is_numeric_type(yt.oid))
		ok = tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", sa->name, tr_type_name(yt.oid));
	if (ok && sa->two)
		ok = tr_coerce(tr, &yb, &yt, PGT_FLOAT8, -1, f->location) &&
		     tr_coerce(tr, &xb, &xt, PGT_FLOAT8, -1, f->location);
	if (ok && sa->kind == 'n') {
		buf_put_str(out, "count(nullif((");
		tr_put_buf(out, &yb);
		buf_put_str(out, ") IS NOT NULL AND (");
		tr_put_buf(out, &xb);
		buf_put_str(out, ") IS NOT NULL, 0))");
		tr_ttype_set(ty, PGT_INT8, -1);
	} else if (ok) {
		buf_printf(out, "%s('%c', ", exact ? "pg_nstat" : "pg_fstat", sa->kind);
		tr_put_buf(out, &yb);
		if (sa->two) {
			buf_put_str(out, ", ");
			tr_put_buf(out, &xb);
		}
		buf_put_u8(out, ')');
		tr_ttype_set(ty, exact ? PGT_NUMERIC : PGT_FLOAT8, -1);
	}
	buf_cleanup(&yb);
	buf_cleanup(&xb);
	return ok && call_tail(tr, f, out);
}

static bool bit_agg(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty)
{
	if (f->n_args != 1 || f->n_agg_order)
		return tr_fail(tr, "42883", f->location, "function %s does not exist", name);
	if (f->agg_distinct && name[4] == 'x') /* and, or: DISTINCT changes nothing */
		return tr_unsupported(tr, f->location, "bit_xor(DISTINCT ...)");
	Buf vb;
	TType vt;
	bool ok = arg(tr, f->args[0], PGT_INT4, &vb, &vt);
	if (ok && !tr_is_int_type(vt.oid))
		ok = tr_unsupported(tr, f->location, "bit_and/bit_or/bit_xor over this type");
	if (ok) {
		buf_printf(out, "pg_bitagg('%c', ", name[4] == 'a' ? '&' : name[4] == 'o' ? '|' : '^');
		tr_put_buf(out, &vb);
		buf_put_u8(out, ')');
		tr_ttype_set(ty, vt.oid, -1);
	}
	buf_cleanup(&vb);
	return ok && call_tail(tr, f, out);
}

/* sum(float8) and avg(float4/float8) over a window: each frame summed
 * anew in order, as PostgreSQL does (no subtraction of the rows that leave
 * the frame); -1 for other arguments. */
static int float_window_agg(Tr *tr, PgQuery__FuncCall *f, bool avg, Buf *out, TType *ty)
{
	if (f->n_args != 1 || f->agg_distinct || f->agg_star || f->n_agg_order)
		return -1;
	Buf vb;
	TType vt;
	if (!arg(tr, f->args[0], 0, &vb, &vt)) {
		buf_cleanup(&vb);
		return 0;
	}
	bool take = vt.oid == PGT_FLOAT8 || (avg && vt.oid == PGT_FLOAT4);
	if (take) {
		buf_printf(out, "pg_fstat('%c', ", avg ? 'a' : '+');
		tr_put_buf(out, &vb);
		buf_put_u8(out, ')');
		tr_ttype_set(ty, PGT_FLOAT8, -1);
	}
	buf_cleanup(&vb);
	if (!take)
		return -1;
	ty->agg = true;
	return call_tail(tr, f, out) && !tr->failed;
}

/* string_agg over bytea (pg_ordagg's kind 'b'), not text (group_concat) */
static bool first_is_bytea(Tr *tr, PgQuery__FuncCall *f)
{
	if (f->n_args != 2)
		return false;
	Buf b;
	TType t;
	bool ok = arg(tr, f->args[0], 0, &b, &t);
	buf_cleanup(&b);
	return ok && t.oid == PGT_BYTEA;
}

int tr_agg_call(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty)
{
	/* avg of floats is float8_accum's everywhere (22003 when its sums
	 * overflow), sum over a window too */
	if ((f->over && strcmp(name, "sum") == 0) || strcmp(name, "avg") == 0) {
		int r = float_window_agg(tr, f, name[0] == 'a', out, ty);
		if (r >= 0)
			return r;
	}
	bool str = strcmp(name, "string_agg") == 0, arr = strcmp(name, "array_agg") == 0;
	bool json = strcmp(name, "json_agg") == 0, jsonb = strcmp(name, "jsonb_agg") == 0;
	bool obj = strcmp(name, "json_object_agg") == 0;
	const StatAgg *sa = stat_agg(name);
	bool ok;
	if (strcmp(name, "jsonb_object_agg") == 0 && !f->agg_within_group) {
		/* json_object_agg's object read as jsonb (sorted keys, the last
		 * of equal keys) */
		Buf b;
		buf_init(&b);
		ok = ordered_agg(tr, f, 'o', name, &b, ty) && tr_coerce(tr, &b, ty, PGT_JSONB, -1, f->location);
		tr_put_buf(out, &b);
		buf_cleanup(&b);
	} else if (((str || arr) && (f->n_agg_order || f->agg_distinct || (str && first_is_bytea(tr, f))) &&
	     !f->agg_within_group) ||
	    ((json || jsonb || obj) && !f->agg_within_group))
		ok = ordered_agg(tr, f, str ? 's' : arr ? 'a' : json ? 'j' : jsonb ? 'J' : 'o', name, out, ty);
	else if (strcmp(name, "percentile_cont") == 0 || strcmp(name, "percentile_disc") == 0 ||
		 strcmp(name, "mode") == 0)
		ok = ordered_set(tr, f, name, out, ty);
	else if (sa && !f->agg_within_group)
		ok = stat_call(tr, f, sa, out, ty);
	else if (strncmp(name, "bit_", 4) == 0 && tr_is_extra_aggregate(name) && !f->agg_within_group)
		ok = bit_agg(tr, f, name, out, ty);
	else
		return -1;
	ty->agg = true;
	return ok && !tr->failed;
}
