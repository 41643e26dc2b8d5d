/*
 * translate_func.c - function calls: the PostgreSQL functions the
 * translator knows (their SQLite counterparts and result types),
 * aggregates, COALESCE / GREATEST / LEAST and ARRAY[] over their
 * arguments' common type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgident.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

/* Translate args into bs/ts (n of each, initialised here; the caller
 * cleans them up) and coerce each to their common type: numeric types
 * widen, unknown literals and parameters follow the others, text when
 * nothing says.  The common type, 0 after an error. */
uint32_t tr_common_args(Tr *tr, size_t n, Node **args, int loc, Buf *bs, TType *ts)
{
	uint32_t common = 0;
	bool ok = true;
	for (size_t i = 0; i < n; i++)
		buf_init(&bs[i]);
	for (size_t i = 0; i < n && ok; i++) {
		ok = tr_expr(tr, args[i], &bs[i], &ts[i]);
		if (ok && !ts[i].unknown && !ts[i].param)
			common = tr_common_of(common, ts[i].oid);
	}
	if (!ok)
		return 0;
	if (!common)
		common = PGT_TEXT;
	for (size_t i = 0; i < n; i++)
		tr_coerce(tr, &bs[i], &ts[i], common, -1, loc);
	return tr->failed ? 0 : common;
}

/* The arguments' translations and types, n of each. */
typedef struct Args {
	size_t n;
	Buf *bs;
	TType *ts;
} Args;

static void args_cleanup(Args *a)
{
	for (size_t i = 0; a->bs && i < a->n; i++)
		buf_cleanup(&a->bs[i]);
	free(a->bs);
	free(a->ts);
}

/* ", a1, ..., an" (without the first comma when first is true). */
static void args_put(Buf *out, Args *a, bool first)
{
	for (size_t i = 0; i < a->n; i++) {
		if (i || !first)
			buf_put_str(out, ", ");
		tr_put_buf(out, &a->bs[i]);
	}
}

/* COALESCE / GREATEST / LEAST: fn(a1, ..., an) over the arguments coerced
 * to their common type, the result's type. */
bool tr_common_type_call(Tr *tr, const char *fn, size_t n, Node **args, int loc, Buf *out, TType *ty)
{
	Args a = {n, calloc(n + 1, sizeof(Buf)), calloc(n + 1, sizeof(TType))};
	uint32_t common = tr_common_args(tr, n, args, loc, a.bs, a.ts);
	if (common) {
		/* numeric values by value (their texts keep the display scale) */
		if (n == 1 && strcmp(fn, "coalesce") == 0)
			buf_put_str(out, "("); /* SQLite's coalesce takes two or more */
		else if (common == PGT_NUMERIC && strncmp(fn, "pg_", 3) == 0)
			buf_printf(out, "pg_num%s(", fn + 3);
		else if ((common == PGT_DATE || common == PGT_TIMESTAMP || common == PGT_TIMESTAMPTZ ||
			  common == PGT_BPCHAR) && strncmp(fn, "pg_", 3) == 0)
			buf_printf(out, "%s_t(%u, ", fn, common); /* in the type's order, not the text's */
		else
			buf_printf(out, "%s(", fn);
		args_put(out, &a, true);
		buf_put_u8(out, ')');
		tr_ttype_set(ty, common, -1);
	}
	args_cleanup(&a);
	return common && !tr->failed;
}

/* ARRAY[e1, ..., en] (one dimension): pg_array(elem_oid, e1, ..., en) over
 * the elements' common type, typed as that type's array. */
bool tr_array_expr(Tr *tr, PgQuery__AArrayExpr *e, Buf *out, TType *ty)
{
	size_t n = e->n_elements;
	if (n == 0)
		return tr_unsupported(tr, e->location, "ARRAY[] without elements");
	Args a = {n, calloc(n + 1, sizeof(Buf)), calloc(n + 1, sizeof(TType))};
	uint32_t elem = tr_common_args(tr, n, e->elements, e->location, a.bs, a.ts);
	const PgType *t = elem ? pgt_by_oid(elem) : NULL;
	bool ok = elem != 0;
	if (ok && (!t || !t->array_oid))
		ok = tr_unsupported(tr, e->location, "ARRAY[] of this element type (or of arrays)");
	if (ok) {
		buf_printf(out, "pg_array(%u", (unsigned)elem);
		args_put(out, &a, false);
		buf_put_u8(out, ')');
		tr_ttype_set(ty, t->array_oid, -1);
	}
	args_cleanup(&a);
	return ok && !tr->failed;
}

typedef enum RetRule {
	RET_FIXED,  /* ret */
	RET_ARG1,   /* type of the first argument */
	RET_SUM,    /* sum(): int2/int4 -> int8, int8 -> numeric, else same */
	RET_AVG,    /* avg(): ints and numeric -> numeric, floats -> float8 */
	RET_ARRAY,  /* an array of the first argument's type */
} RetRule;

typedef struct FuncMap {
	const char *pg;
	const char *sqlite; /* NULL: same name */
	RetRule rule;
	uint32_t ret;
	bool agg;
	uint32_t argtype; /* coerce open arguments to this (0 = text) */
} FuncMap;

static const FuncMap funcs[] = {
	{"count", NULL, RET_FIXED, PGT_INT8, true, 0},
	{"sum", "pg_sum", RET_SUM, 0, true, PGT_NUMERIC},
	{"avg", "pg_numavg", RET_AVG, 0, true, PGT_NUMERIC},
	{"min", NULL, RET_ARG1, 0, true, 0},
	{"max", NULL, RET_ARG1, 0, true, 0},
	{"bool_and", "min", RET_FIXED, PGT_BOOL, true, PGT_BOOL},
	{"bool_or", "max", RET_FIXED, PGT_BOOL, true, PGT_BOOL},
	{"every", "min", RET_FIXED, PGT_BOOL, true, PGT_BOOL},
	{"string_agg", "group_concat", RET_FIXED, PGT_TEXT, true, PGT_TEXT},
	{"array_agg", "pg_array_agg", RET_ARRAY, 0, true, PGT_TEXT},
	{"lower", "pg_lower", RET_FIXED, PGT_TEXT, false, 0},
	{"upper", "pg_upper", RET_FIXED, PGT_TEXT, false, 0},
	{"length", NULL, RET_FIXED, PGT_INT4, false, 0},
	{"char_length", "length", RET_FIXED, PGT_INT4, false, 0},
	{"character_length", "length", RET_FIXED, PGT_INT4, false, 0},
	{"octet_length", "pg_octet_length", RET_FIXED, PGT_INT4, false, 0},
	{"substr", "pg_substr", RET_FIXED, PGT_TEXT, false, 0},
	{"substring", "pg_substr", RET_FIXED, PGT_TEXT, false, 0},
	{"replace", "pg_replace", RET_FIXED, PGT_TEXT, false, 0},
	{"btrim", "trim", RET_FIXED, PGT_TEXT, false, 0},
	{"trim", "trim", RET_FIXED, PGT_TEXT, false, 0},
	{"ltrim", NULL, RET_FIXED, PGT_TEXT, false, 0},
	{"rtrim", NULL, RET_FIXED, PGT_TEXT, false, 0},
	{"strpos", "instr", RET_FIXED, PGT_INT4, false, 0},
	{"concat", "pg_concat", RET_FIXED, PGT_TEXT, false, 0},
	{"left", "pg_left", RET_FIXED, PGT_TEXT, false, 0},
	{"right", "pg_right", RET_FIXED, PGT_TEXT, false, 0},
	{"repeat", "pg_repeat", RET_FIXED, PGT_TEXT, false, 0},
	{"reverse", "pg_reverse", RET_FIXED, PGT_TEXT, false, 0},
	{"lpad", "pg_lpad", RET_FIXED, PGT_TEXT, false, 0},
	{"rpad", "pg_rpad", RET_FIXED, PGT_TEXT, false, 0},
	{"initcap", "pg_initcap", RET_FIXED, PGT_TEXT, false, 0},
	{"md5", "pg_md5", RET_FIXED, PGT_TEXT, false, 0},
	{"abs", "pg_abs", RET_ARG1, 0, false, PGT_FLOAT8},
	{"round", "pg_round", RET_ARG1, 0, false, PGT_NUMERIC},
	{"trunc", "pg_trunc", RET_ARG1, 0, false, PGT_NUMERIC},
	{"floor", "pg_floor", RET_ARG1, 0, false, PGT_FLOAT8},
	{"ceil", "pg_ceil", RET_ARG1, 0, false, PGT_FLOAT8},
	{"ceiling", "pg_ceil", RET_ARG1, 0, false, PGT_FLOAT8},
	{"mod", "pg_mod", RET_ARG1, 0, false, PGT_INT4},
	{"random", "pg_random", RET_FIXED, PGT_FLOAT8, false, 0},
	{"now", "pg_now", RET_FIXED, PGT_TIMESTAMPTZ, false, 0},
	{"transaction_timestamp", "pg_now", RET_FIXED, PGT_TIMESTAMPTZ, false, 0},
	{"statement_timestamp", "pg_clock_timestamp", RET_FIXED, PGT_TIMESTAMPTZ, false, 0},
	{"clock_timestamp", "pg_clock_timestamp", RET_FIXED, PGT_TIMESTAMPTZ, false, 0},
	{"version", "pg_version", RET_FIXED, PGT_TEXT, false, 0},
	{"current_schema", "pg_current_schema", RET_FIXED, PGT_NAME, false, 0},
	{"current_database", "pg_current_database", RET_FIXED, PGT_NAME, false, 0},
	{"pg_backend_pid", "pg_backend_pid", RET_FIXED, PGT_INT4, false, 0},
	{"nextval", "pg_nextval", RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"currval", "pg_currval", RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"setval", "pg_setval", RET_FIXED, PGT_INT8, false, PGT_INT8},
	{"lastval", "pg_lastval", RET_FIXED, PGT_INT8, false, 0},
	{"set_config", "pg_set_config", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"current_setting", "pg_current_setting", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_serial_sequence", "pg_get_serial_sequence", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"gen_random_uuid", "pg_gen_random_uuid", RET_FIXED, PGT_UUID, false, 0},
	{"pg_sleep", "pg_sleep", RET_FIXED, PGT_VOID, false, PGT_FLOAT8},
	{"row_number", NULL, RET_FIXED, PGT_INT8, false, 0},
	{"rank", NULL, RET_FIXED, PGT_INT8, false, 0},
	{"dense_rank", NULL, RET_FIXED, PGT_INT8, false, 0},
	{"percent_rank", NULL, RET_FIXED, PGT_FLOAT8, false, 0},
	{"cume_dist", NULL, RET_FIXED, PGT_FLOAT8, false, 0},
	{"ntile", NULL, RET_FIXED, PGT_INT4, false, PGT_INT4},
	{"lag", NULL, RET_ARG1, 0, false, 0},
	{"lead", NULL, RET_ARG1, 0, false, 0},
	{"first_value", NULL, RET_ARG1, 0, false, 0},
	{"last_value", NULL, RET_ARG1, 0, false, 0},
	{"nth_value", NULL, RET_ARG1, 0, false, 0},
	{"pg_typeof", "pg_typeof_name", RET_FIXED, PGT_REGTYPE, false, 0},
	/* _pg_expandarray's record (x, n): printf('(%s,%d)', x, n) (translate_stmt.c) */
	{"_dosql_record2", "printf", RET_FIXED, 2249, false, PGT_TEXT},
	{"pg_table_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_function_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_type_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_operator_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_opclass_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_opfamily_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_collation_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_conversion_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_ts_parser_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_ts_dict_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_ts_template_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_ts_config_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_statistics_obj_is_visible", "pg_table_is_visible", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_get_userbyid", "pg_get_userbyid", RET_FIXED, PGT_NAME, false, PGT_OID},
	{"pg_encoding_to_char", "pg_encoding_to_char", RET_FIXED, PGT_NAME, false, PGT_INT4},
	{"format_type", "pg_format_type", RET_FIXED, PGT_TEXT, false, PGT_OID},
	{"pg_get_indexdef", "pg_get_indexdef", RET_FIXED, PGT_TEXT, false, PGT_OID},
	{"pg_get_constraintdef", "pg_get_constraintdef", RET_FIXED, PGT_TEXT, false, PGT_OID},
	{"pg_relation_is_publishable", "pg_relation_is_publishable", RET_FIXED, PGT_BOOL, false, PGT_OID},
	{"pg_size_pretty", "pg_size_pretty", RET_FIXED, PGT_TEXT, false, PGT_INT8},
	{"current_schemas", "pg_current_schemas", RET_FIXED, 1003, false, PGT_BOOL},
	{"has_table_privilege", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"has_schema_privilege", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"has_database_privilege", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"has_column_privilege", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"has_sequence_privilege", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"has_function_privilege", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"has_any_column_privilege", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"pg_has_role", "pg_catalog_true", RET_FIXED, PGT_BOOL, false, PGT_TEXT},
	{"col_description", "pg_col_description", RET_FIXED, PGT_TEXT, false, PGT_INT4},
	{"obj_description", "pg_obj_description", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"shobj_description", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_function_result", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_function_arguments", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_function_identity_arguments", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_triggerdef", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_tablespace_location", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_viewdef", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_ruledef", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_partkeydef", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_statisticsobjdef_columns", "pg_catalog_null", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_relation_size", "pg_catalog_zero", RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"pg_total_relation_size", "pg_catalog_zero", RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"pg_table_size", "pg_catalog_zero", RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"pg_indexes_size", "pg_catalog_zero", RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"pg_database_size", NULL, RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"dosql_wal_size", NULL, RET_FIXED, PGT_INT8, false, 0},
	{"dosql_slot_pending", NULL, RET_FIXED, PGT_INT8, false, PGT_TEXT},
	{"pg_partition_ancestors", "likely", RET_FIXED, PGT_REGCLASS, false, PGT_OID},
	{"array_to_string", "pg_array_to_string", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"array_upper", "pg_array_upper", RET_FIXED, PGT_INT4, false, PGT_INT4},
	{"array_lower", "pg_array_lower", RET_FIXED, PGT_INT4, false, PGT_INT4},
	{"array_length", "pg_array_length", RET_FIXED, PGT_INT4, false, PGT_INT4},
	{"cardinality", "pg_cardinality", RET_FIXED, PGT_INT4, false, PGT_TEXT},
	{"quote_ident", "pg_quote_ident", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"pg_get_expr", "pg_get_expr", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
	{"regexp_replace", "pg_regexp_replace", RET_FIXED, PGT_TEXT, false, PGT_TEXT},
};

/* Whether name is one of names (NULL-terminated). */
static bool name_in(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(name, *names) == 0)
			return true;
	return false;
}

static bool is_window_function(const char *name)
{
	static const char *const names[] = {"row_number", "rank",	"dense_rank", "percent_rank", "cume_dist",
					    "ntile",	  "lag",	"lead",	      "first_value",  "last_value",
					    "nth_value",  NULL};
	return name_in(name, names);
}

const char *pgs_builtin_function(size_t i, uint32_t *rettype, char *kind)
{
	if (i >= sizeof(funcs) / sizeof(funcs[0]))
		return NULL;
	const FuncMap *m = &funcs[i];
	bool window = is_window_function(m->pg);
	*rettype = m->rule == RET_FIXED ? m->ret
		   : m->rule == RET_SUM || m->rule == RET_AVG ? PGT_NUMERIC
		   : m->rule == RET_ARRAY ? 2277 /* anyarray */
					  : 0;
	*kind = m->agg ? 'a' : window ? 'w' : 'f';
	return m->pg;
}

bool pgs_has_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strcmp(funcs[i].pg, name) == 0)
			return true;
	return strcmp(name, "json_build_object") == 0 || tr_json_func_name(name);
}

bool tr_is_aggregate(const char *name)
{
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strcmp(funcs[i].pg, name) == 0)
			return funcs[i].agg;
	return tr_is_extra_aggregate(name);
}

bool pgs_is_aggregate(const char *name) { return tr_is_aggregate(name); }

static const FuncMap regex_substring = {"substring", "pg_regex_substring", RET_FIXED, PGT_TEXT, false, PGT_TEXT};

/* Parameters declared void among a function's arguments are dropped, as
 * PostgreSQL drops them for pgjdbc's {? = call f(?)} (its OUT parameter):
 * moved after the others (the tree still owns them), and the number of
 * the others returned.  Each still counts as a parameter of the statement. */
static size_t drop_void_params(Tr *tr, PgQuery__FuncCall *f)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n_args; i++) {
		Node *a = f->args[i];
		int n = a->node_case == PG_QUERY__NODE__NODE_PARAM_REF ? a->param_ref->number : 0;
		if (n >= 1 && n <= tr->ctx->nparams_in && tr->ctx->param_types_in[n - 1] == PGT_VOID) {
			tr->ptypes[n] = PGT_VOID;
			if (n > tr->nparams)
				tr->nparams = n;
			continue;
		}
		memmove(&f->args[k + 1], &f->args[k], sizeof(Node *) * (i - k));
		f->args[k++] = a;
	}
	return k;
}

/* pg_typeof(x): the name of x's type, as regtype prints it. */
static bool pg_typeof(Tr *tr, Node *arg, Buf *out, TType *ty)
{
	Buf ab;
	TType at;
	buf_init(&ab);
	bool ok = tr_expr(tr, arg, &ab, &at);
	if (ok)
		tr_settle(tr, &ab, &at);
	const char *tn = tr_type_name(at.oid);
	/* an aggregate's call stays, so that its SELECT still aggregates */
	if (ok && at.agg) {
		buf_put_str(out, "CASE WHEN (");
		tr_put_buf(out, &ab);
		buf_put_str(out, ") IS NULL THEN ");
		pgs_put_literal(out, tn, strlen(tn));
		buf_put_str(out, " ELSE ");
	}
	/* otherwise it stays unevaluated: the $n it holds (the router binds
	 * a statement's literals) stay in the statement */
	if (ok && !at.agg) {
		buf_put_str(out, "CASE WHEN 0 THEN (");
		tr_put_buf(out, &ab);
		buf_put_str(out, ") ELSE ");
	}
	if (ok)
		pgs_put_literal(out, tn, strlen(tn));
	if (ok)
		buf_put_str(out, " END");
	buf_cleanup(&ab);
	tr_ttype_set(ty, PGT_REGTYPE, -1);
	return ok;
}

/*
 * Whether argument i (typed t) of a call of the known function m is one
 * it takes.  The string functions work on text; those PostgreSQL also has
 * for bytea take bytea as its bytes (bytea_call), the others refuse it
 * rather than answer from the bytes' text.  sum and avg take numbers;
 * mod of floats, regexp_replace's start and N, and
 * parameterless count() are refused as PostgreSQL or DoSQL must.
 */
static bool arg_allowed(Tr *tr, const FuncMap *m, const char *name, PgQuery__FuncCall *f, size_t i, const TType *t)
{
	static const char *const bytea_aware[] = {"substr", "substring", "btrim", "ltrim", "rtrim", "trim",
						  "length", "octet_length", "md5", "string_agg", "count",
						  "min", "max", "array_agg", NULL};
	/* anyarray arguments: an untyped literal has no array type to resolve */
	static const char *const anyarray[] = {"array_to_string", "array_upper", "array_lower", "array_length",
					       "cardinality", NULL};
	if (i == 0 && t->unknown && name_in(name, anyarray))
		return tr_fail(tr, "42804", -1,
			       "could not determine polymorphic type because input has type unknown");
	if (t->unknown || t->param)
		return true;
	if (t->oid == PGT_BYTEA && (m->rule == RET_FIXED && (m->ret == PGT_TEXT || m->ret == PGT_INT4)) &&
	    !name_in(name, bytea_aware))
		return tr_fail(tr, "0A000", f->location, "%s() of bytea is not supported by DoSQL", name);
	if ((m->rule == RET_SUM || m->rule == RET_AVG) && !tr_is_numeric_type(t->oid))
		return t->oid == PGT_INTERVAL
			       ? tr_fail(tr, "0A000", f->location, "%s(interval) is not supported by DoSQL", name)
			       : tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name,
					 tr_type_name(t->oid));
	if ((t->oid == PGT_FLOAT4 || t->oid == PGT_FLOAT8) && strcmp(name, "mod") == 0)
		return tr_fail(tr, "42883", f->location, "function mod(%s) does not exist", tr_type_name(t->oid));
	if (i >= 4 && strcmp(name, "regexp_replace") == 0)
		return tr_fail(tr, "0A000", f->location, "regexp_replace with a start position is not supported by DoSQL");
	return true;
}

/* The SQLite function of a string function whose first argument is bytea
 * (substr and the trims work on its bytes; string_agg's text of bytes is
 * made bytea again); NULL when fname serves bytea as it is. */
static const char *bytea_call(const char *name, Buf *out)
{
	if (strcmp(name, "btrim") == 0 || strcmp(name, "trim") == 0 || strcmp(name, "ltrim") == 0 ||
	    strcmp(name, "rtrim") == 0) {
		buf_printf(out, ", %d", name[0] == 'l' ? 1 : name[0] == 'r' ? 2 : 0);
		return "pg_bytea_trim";
	}
	return NULL;
}

/* The result type of a known function from its rule and first argument. */
static bool result_type(Tr *tr, const FuncMap *m, const char *name, const TType *first, int loc, TType *ty)
{
	switch (m->rule) {
	case RET_FIXED:
		tr_ttype_set(ty, m->ret, -1);
		break;
	case RET_ARG1:
		if (first->oid == PGT_VARCHAR && (strcmp(name, "min") == 0 || strcmp(name, "max") == 0))
			tr_ttype_set(ty, PGT_TEXT, -1); /* min(text) takes varchar */
		else
			tr_ttype_set(ty, first->oid,
				     (strcmp(name, "min") == 0 || strcmp(name, "max") == 0) ? first->typmod : -1);
		break;
	case RET_SUM:
		tr_ttype_set(ty,
			  first->oid == PGT_INT2 || first->oid == PGT_INT4 ? PGT_INT8
			  : first->oid == PGT_INT8			   ? PGT_NUMERIC
			  : first->oid == PGT_FLOAT4			   ? PGT_FLOAT4
			  : first->oid == PGT_FLOAT8			   ? PGT_FLOAT8
									   : PGT_NUMERIC,
			  -1);
		break;
	case RET_AVG:
		tr_ttype_set(ty, first->oid == PGT_FLOAT4 || first->oid == PGT_FLOAT8 ? PGT_FLOAT8 : PGT_NUMERIC, -1);
		break;
	case RET_ARRAY: {
		const PgType *et = pgt_by_oid(first->oid);
		if (et && et->category == 'A')
			return tr_unsupported(tr, loc, "array_agg of arrays");
		if (!et || !et->array_oid)
			return tr_fail(tr, "42704", loc, "could not find array type for data type %s",
				       et ? et->name : "unknown");
		tr_ttype_set(ty, et->array_oid, -1);
		break;
	}
	}
	return true;
}

static bool known_call(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty);

bool tr_func_call(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty)
{
	size_t n = f->n_args;
	if (!f->agg_within_group)
		f->n_args = drop_void_params(tr, f);
	bool ok = known_call(tr, f, out, ty);
	f->n_args = n;
	return ok;
}

/* The arguments of a call of the known function m into out, each
 * checked (arg_allowed) and coerced as m takes it; *first gets the first
 * argument's type. */
static bool put_args(Tr *tr, const FuncMap *m, const char *name, PgQuery__FuncCall *f, Buf *out, TType *first)
{
	for (size_t i = 0; i < f->n_args; i++) {
		Buf ab;
		TType at;
		buf_init(&ab);
		if (!tr_expr(tr, f->args[i], &ab, &at) || !arg_allowed(tr, m, name, f, i, &at)) {
			buf_cleanup(&ab);
			return false;
		}
		if ((at.unknown || at.param) && i > 0 && first->oid == PGT_BYTEA)
			tr_coerce(tr, &ab, &at, PGT_BYTEA, -1, f->location);
		else if (at.unknown || at.param)
			tr_coerce(tr, &ab, &at, m->argtype ? m->argtype : PGT_TEXT, -1, f->location);
		/* round(x, n) and trunc(x, n) are numeric's only */
		if (i == 0 && f->n_args == 2 && (strcmp(name, "round") == 0 || strcmp(name, "trunc") == 0)) {
			if (at.oid == PGT_FLOAT4 || at.oid == PGT_FLOAT8) {
				buf_cleanup(&ab);
				return tr_fail(tr, "42883", f->location,
					       "function %s(double precision, integer) does not exist", name);
			}
			if (tr_is_int_type(at.oid))
				tr_coerce(tr, &ab, &at, PGT_NUMERIC, -1, f->location);
		}
		/* character(n) passed to a text function is text without its
		 * trailing spaces, as PostgreSQL's cast to text makes it */
		static const char *const text_fns[] = {"ltrim", "rtrim", "btrim", "left", "right", "upper", "lower",
						       "initcap", "length", "char_length", "character_length",
						       "replace", "reverse", "repeat", "lpad", "rpad", "strpos",
						       "split_part", "translate", "starts_with", "md5", "ascii",
						       "substr", "substring", NULL};
		if (at.oid == PGT_BPCHAR && name_in(name, text_fns)) {
			Buf t;
			buf_init(&t);
			buf_put_str(&t, "rtrim(");
			tr_put_buf(&t, &ab);
			buf_put_str(&t, ", ' ')");
			buf_reset(&ab);
			tr_put_buf(&ab, &t);
			buf_cleanup(&t);
			tr_ttype_set(&at, PGT_TEXT, -1);
		}
		/* round, trunc, floor and ceil of one integer or real argument
		 * are double precision's (PostgreSQL has no others) */
		static const char *const float8_only[] = {"round", "trunc", "floor", "ceil", "ceiling", NULL};
		if (i == 0 && f->n_args == 1 && (tr_is_int_type(at.oid) || at.oid == PGT_FLOAT4) && name_in(name, float8_only))
			tr_coerce(tr, &ab, &at, PGT_FLOAT8, -1, f->location);
		if (i == 0)
			*first = at;
		/* mod(int2, int8) is mod(int8, int8): the arguments' common type */
		if (i == 1 && strcmp(name, "mod") == 0 && tr_is_numeric_type(first->oid) && tr_is_numeric_type(at.oid))
			tr_ttype_set(first, tr_common_of(first->oid, at.oid), -1);
		if (i)
			buf_put_str(out, ", ");
		if (f->agg_distinct) {
			tr_settle(tr, &ab, &at);
			tr_put_group_key(out, &ab, &at);
		} else {
			tr_put_buf(out, &ab);
		}
		buf_cleanup(&ab);
	}
	return true;
}

static bool known_call(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty)
{
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	if (strcmp(name, "json_build_object") == 0 && !f->agg_star && !f->over)
		return tr_json_build_object(tr, f, out, ty);
	int handled = tr_agg_call(tr, f, name, out, ty);
	if (handled >= 0)
		return handled;
	/* SIMILAR TO calls pg_catalog.similar_to_escape; DoSQL's pattern is a
	 * POSIX one, whose text differs from PostgreSQL's */
	if (strcmp(name, "similar_to_escape") == 0 && f->n_funcname < 2)
		return tr_unsupported(tr, f->location, "similar_to_escape() called directly");
	if (tr_sig_known(name))
		return tr_sig_call(tr, f, name, out, ty);
	const FuncMap *m = NULL;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strcmp(funcs[i].pg, name) == 0) {
			m = &funcs[i];
			break;
		}
	int arrf = m ? -1 : tr_array_find(tr, f, name, out, ty);
	if (arrf >= 0)
		return arrf == 1;
	int json = m ? -1 : tr_json_func(tr, f, out, ty);
	if (json >= 0)
		return json == 1;
	int user = m ? -1 : tr_sqlfunc_call(tr, f, out, ty);
	if (user >= 0)
		return user == 1;
	if (!m)
		return tr_fail(tr, "42883", f->location, "function %s does not exist", name);
	if (!f->over && is_window_function(name))
		return tr_fail(tr, "42809", f->location, "window function %s requires an OVER clause", name);
	if (f->over && f->agg_distinct)
		return tr_fail(tr, "0A000", f->location, "DISTINCT is not implemented for window functions");
	if (f->agg_within_group || f->n_agg_order || f->func_variadic)
		return tr_unsupported(tr, f->location, "aggregate ORDER BY / WITHIN GROUP");
	if (strcmp(name, "pg_typeof") == 0 && f->n_args == 1)
		return pg_typeof(tr, f->args[0], out, ty);
	if (strcmp(name, "substring") == 0 && (f->n_args == 2 || f->n_args == 3)) {
		Buf tb;
		TType tt;
		buf_init(&tb);
		bool ok = tr_expr(tr, f->args[1], &tb, &tt);
		buf_cleanup(&tb);
		if (!ok)
			return false;
		if ((tt.unknown || tr_is_text_type(tt.oid)) && f->n_args == 3)
			return tr_sig_call(tr, f, "_dosql_similar_substring", out, ty); /* SUBSTRING ... SIMILAR */
		if (tt.unknown || tr_is_text_type(tt.oid))
			m = &regex_substring;
	}
	Buf call;
	buf_init(&call);
	Buf *final_out = out;
	out = &call;
	if (f->agg_distinct)
		buf_put_str(out, "DISTINCT ");
	TType first;
	tr_ttype_set(&first, m->argtype ? m->argtype : PGT_TEXT, -1);
	if (f->agg_star) {
		buf_put_u8(out, '*');
	} else {
		if (!put_args(tr, m, name, f, out, &first)) {
			buf_cleanup(&call);
			return false;
		}
		/* sum() and avg() need the argument type to pick their arithmetic
		 * (DISTINCT aggregates take one argument in SQLite) */
		if ((m->rule == RET_SUM || m->rule == RET_AVG) && !f->agg_distinct)
			buf_printf(out, ", %u, %d", first.oid, first.typmod);
		static const char *const typed[] = {"round", "trunc", "abs", "floor", "ceil", "ceiling", NULL};
		if (name_in(name, typed))
			buf_printf(out, "%s%u", f->n_args ? ", " : "", first.oid);
	}
	if (!f->agg_star && f->n_args == 0 && strcmp(name, "count") == 0) {
		buf_cleanup(&call);
		return tr_fail(tr, "42809", f->location, "count(*) must be used to call a parameterless aggregate function");
	}
	if ((strcmp(name, "min") == 0 || strcmp(name, "max") == 0) &&
	    (first.oid == PGT_BYTEA || first.oid == PGT_BOOL || first.oid == PGT_JSON || first.oid == PGT_JSONB ||
	     first.oid == PGT_UUID)) {
		buf_cleanup(&call);
		return tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name, tr_type_name(first.oid));
	}
	const char *fname = m->sqlite ? m->sqlite : m->pg;
	static const char *const bytea_result[] = {"substr", "substring", "btrim", "ltrim", "rtrim", "trim", "string_agg", NULL};
	bool bytea = first.oid == PGT_BYTEA && f->n_args > 0 && name_in(name, bytea_result);
	if (bytea) {
		const char *bf = bytea_call(name, &call);
		if (bf)
			fname = bf;
		if (bf && f->n_args != 2) {
			buf_cleanup(&call);
			return tr_unsupported(tr, f->location, "this trim of bytea");
		}
	}
	tr->catalog = tr->catalog || pgs_catalog_function(fname);
	bool floating = first.oid == PGT_FLOAT4 || first.oid == PGT_FLOAT8;
	if (m->rule == RET_SUM && first.oid == PGT_NUMERIC)
		fname = f->agg_distinct ? "pg_numsum1" : "pg_numsum";
	else if (m->rule == RET_SUM && f->agg_distinct)
		fname = first.oid == PGT_FLOAT4 || first.oid == PGT_FLOAT8 ? "pg_fsum1" : "sum";
	if ((strcmp(name, "min") == 0 || strcmp(name, "max") == 0) && first.oid == PGT_NUMERIC && !first.column &&
	    !f->over)
		fname = name[1] == 'i' ? "pg_nummin" : "pg_nummax"; /* by value, not as text */
	if (m->rule == RET_AVG)
		fname = floating ? (f->agg_distinct ? "pg_favg1" : "pg_floatavg")
				 : (f->agg_distinct ? "pg_numavg1" : "pg_numavg");
	bool agg_bytes = bytea && strcmp(name, "string_agg") == 0;
	size_t start = final_out->len;
	buf_printf(final_out, "%s%s(", agg_bytes ? "CAST(" : "", fname);
	tr_put_buf(final_out, &call);
	buf_cleanup(&call);
	out = final_out;
	buf_put_str(out, agg_bytes ? ") AS BLOB)" : ")");
	if (f->agg_filter && !m->agg)
		return is_window_function(name)
			       ? tr_fail(tr, "0A000", f->location, "FILTER is not implemented for non-aggregate window functions")
			       : tr_fail(tr, "42809", f->location, "FILTER specified, but %s is not an aggregate function",
					 name);
	if (m->agg && !tr_agg_filter(tr, f, out))
		return false;
	if (f->over && !tr_window_def(tr, f->over, out))
		return false;
	if (!result_type(tr, m, name, &first, f->location, ty))
		return false;
	if (bytea)
		tr_ttype_set(ty, PGT_BYTEA, -1);
	ty->agg = m->agg;
	if (!m->agg && tr_strict_call_folds(name, f)) {
		bool aggs = false;
		for (size_t i = 0; i < f->n_args && !tr->never_eval; i++)
			aggs = aggs || tr_has_aggregate(f->args[i]);
		if (aggs) {
			/* again, with the aggregates in its arguments taking no row */
			out->len = start;
			tr->never_eval++;
			bool ok = known_call(tr, f, out, ty);
			tr->never_eval--;
			return ok;
		}
		tr_never_evaluated_from(out, start);
		ty->null_const = true;
	}
	return true;
}
