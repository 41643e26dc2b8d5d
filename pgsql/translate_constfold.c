/*
 * translate_constfold.c - the constant sub-expressions PostgreSQL's planner
 * evaluates before a statement runs (eval_const_expressions in
 * optimizer/util/clauses.c): an immutable operator, function or cast whose
 * arguments are all constants is computed once at plan time, so its error
 * is the statement's even when no row needs the value (an empty table, a
 * WHERE that is false).  A SELECT whose statement holds such expressions
 * evaluates them first (the arguments of pg_fold_ok in its LIMIT).
 *
 * The planner's short cuts are kept: AND stops folding at a constant
 * false, OR at a constant true, CASE drops the arms whose constant
 * condition is false or NULL and the rest after a constant true one,
 * COALESCE stops after a constant that is not NULL.  Stable functions
 * (those depending on TimeZone or DateStyle: timestamptz arithmetic and
 * conversions, date/time output, to_char, concat, ...) are not folded.
 */
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

static bool is_const(Tr *tr, Node *n);

/* The type of constant expression n (0 when it does not translate alone). */
static uint32_t const_type(Tr *tr, Node *n)
{
	Scope none = {0};
	Scope *saved_scope = tr->scope;
	PgwError saved_err = *tr->err;
	int nparams = tr->nparams;
	int never_eval = tr->never_eval;
	bool in_list = tr->in_list;
	TType t;
	Buf b;
	buf_init(&b);
	memset(&t, 0, sizeof(t));
	tr->scope = &none;
	tr->never_eval = 0;
	tr->in_list = false;
	tr->folding++;
	bool ok = tr_expr(tr, n, &b, &t) && !b.failed;
	tr->folding--;
	tr->scope = saved_scope;
	tr->never_eval = never_eval;
	tr->in_list = in_list;
	tr->nparams = nparams;
	if (!ok || tr->failed) {
		*tr->err = saved_err;
		tr->failed = false;
		ok = false;
	}
	buf_cleanup(&b);
	return ok ? (t.unknown ? PGT_UNKNOWN : t.oid) : 0;
}

static bool text_like(uint32_t t) { return t == PGT_TEXT || t == PGT_VARCHAR || t == PGT_BPCHAR || t == PGT_UNKNOWN; }

static bool is_array(uint32_t t)
{
	const PgType *p = pgt_by_oid(t);
	return p && p->elem_oid != 0 && p->len == -1 && p->category == 'A';
}

/* Output (to text) or input (from text) of a value of type t is stable:
 * date/time types whose text follows DateStyle, IntervalStyle, TimeZone,
 * and arrays (array_out, array_in). */
static bool io_stable(uint32_t t)
{
	return t == PGT_DATE || t == PGT_TIMESTAMP || t == PGT_TIMESTAMPTZ || t == PGT_INTERVAL || t == PGT_TIMETZ ||
	       is_array(t);
}

static bool zoned(uint32_t t) { return t == PGT_TIMESTAMPTZ || t == PGT_TIMETZ; }

static bool dated(uint32_t t)
{
	return t == PGT_DATE || t == PGT_TIMESTAMP || t == PGT_TIME || t == PGT_INTERVAL;
}

/* A cast of a value of type from to type to is a stable function. */
static bool cast_stable(uint32_t from, uint32_t to)
{
	if (from == to)
		return false;
	if ((zoned(from) && (dated(to) || zoned(to))) || (zoned(to) && dated(from)))
		return true;
	if (text_like(to) && !text_like(from))
		return io_stable(from);
	if (text_like(from) && !text_like(to))
		return io_stable(to) || to == PGT_TIME;
	return false;
}

/* Functions the planner does not fold: stable or volatile for every
 * signature, or returning sets. */
static const char *const unfolded_funcs[] = {
	"now", "statement_timestamp", "transaction_timestamp", "clock_timestamp", "timeofday", "random", "setseed",
	"nextval", "currval", "lastval", "setval", "gen_random_uuid", "to_char", "to_date", "to_timestamp",
	"to_number", "concat", "concat_ws", "format", "to_json", "to_jsonb", "json_build_array", "json_build_object",
	"jsonb_build_array", "jsonb_build_object", "row_to_json", "array_to_json", "array_to_string",
	"quote_literal", "quote_nullable", "make_timestamptz", "version", "generate_series", "generate_subscripts",
	"unnest", "regexp_matches", "regexp_split_to_table", "string_to_table", "json_array_elements",
	"jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text", "json_each", "jsonb_each",
	"json_each_text", "jsonb_each_text", "json_object_keys", "jsonb_object_keys", "pg_typeof",
	"current_setting", "set_config", "txid_current", "pg_sleep", "current_database", "current_schema",
	"current_user", "session_user", "format_type", "col_description", "obj_description", NULL};

/* Immutable functions translated outside translate_func.c's table. */
static const char *const immutable_funcs[] = {
	"array_position", "array_positions", "array_remove", "array_replace", "array_cat", "array_append",
	"array_prepend", "array_upper", "array_lower", "array_ndims", "array_dims", "string_to_array", "position",
	"scale", "isfinite", "jsonb_extract_path", "jsonb_extract_path_text", "json_extract_path",
	"json_extract_path_text", "jsonb_strip_nulls", "jsonb_pretty", "jsonb_set", "jsonb_insert", "width_bucket",
	"num_nonnulls", "num_nulls", NULL};

/* Functions stable when an argument is of a zoned type (age also with one
 * argument: against today). */
static const char *const zoned_funcs[] = {"age", "date_trunc", "date_part", "extract", "timezone", "date",
					  "time", "timestamp", "timestamptz", "timetz", NULL};

static bool in_list(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static bool all_const(Tr *tr, size_t n, Node *const *args)
{
	for (size_t i = 0; i < n; i++)
		if (!is_const(tr, args[i]))
			return false;
	return true;
}

static bool func_const(Tr *tr, const PgQuery__FuncCall *f)
{
	if (!f->n_funcname || f->over || f->agg_star || f->agg_distinct || f->agg_filter || f->n_agg_order ||
	    f->agg_within_group || f->func_variadic)
		return false;
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	if (f->n_funcname > 2 || (f->n_funcname == 2 && strcmp(pgn_str(f->funcname[0]), "pg_catalog") != 0))
		return false;
	if (in_list(unfolded_funcs, name) || tr_is_aggregate(name) || tr_is_volatile_call(f))
		return false;
	if (!pgs_has_builtin(name) && !tr_strict_func(name) && !in_list(zoned_funcs, name) &&
	    !in_list(immutable_funcs, name))
		return false;
	if (!all_const(tr, f->n_args, f->args))
		return false;
	if (in_list(zoned_funcs, name)) {
		if (strcmp(name, "age") == 0 && f->n_args == 1)
			return false;
		for (size_t i = 0; i < f->n_args; i++)
			if (zoned(const_type(tr, f->args[i])))
				return false;
	}
	return true;
}

static bool op_const(Tr *tr, const PgQuery__AExpr *a)
{
	switch (a->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
		break;
	default:
		return false;
	}
	if ((a->lexpr && !is_const(tr, a->lexpr)) || (a->rexpr && !is_const(tr, a->rexpr)))
		return false;
	if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP || !a->lexpr || !a->rexpr || a->n_name != 1)
		return true;
	/* a timestamptz against a date or timestamp, or plus/minus an
	 * interval, and text || a non-text value are stable operators */
	const char *op = pgn_str(a->name[0]);
	uint32_t l = const_type(tr, a->lexpr), r = const_type(tr, a->rexpr);
	if (!l || !r)
		return false;
	if ((zoned(l) && dated(r)) || (zoned(r) && dated(l)))
		return false;
	if (strcmp(op, "||") == 0 && text_like(l) != text_like(r) && !is_array(l) && !is_array(r))
		return false;
	return true;
}

static bool list_const(Tr *tr, const Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_LIST && all_const(tr, n->list->n_items, n->list->items);
}

static bool case_const(Tr *tr, const PgQuery__CaseExpr *c)
{
	if ((c->arg && !is_const(tr, c->arg)) || (c->defresult && !is_const(tr, c->defresult)))
		return false;
	for (size_t i = 0; i < c->n_args; i++) {
		const Node *w = c->args[i];
		if (w->node_case != PG_QUERY__NODE__NODE_CASE_WHEN || !is_const(tr, w->case_when->expr) ||
		    !is_const(tr, w->case_when->result))
			return false;
	}
	return true;
}

/* n is a constant the planner folds: literals, parameters (a bound value)
 * and immutable operators, functions and casts of constants. */
static bool is_const(Tr *tr, Node *n)
{
	if (!n)
		return false;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
	case PG_QUERY__NODE__NODE_PARAM_REF:
		return true;
	case PG_QUERY__NODE__NODE_LIST:
		return list_const(tr, n);
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		Node *arg = n->type_cast->arg;
		if (!is_const(tr, arg))
			return false;
		if (tr_is_null_const(n) || (arg->node_case == PG_QUERY__NODE__NODE_A_CONST &&
					    arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL))
			return true;
		uint32_t from = const_type(tr, arg), to = const_type(tr, n);
		return from && to && !cast_stable(from, to);
	}
	case PG_QUERY__NODE__NODE_A_EXPR:
		return op_const(tr, n->a_expr);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return func_const(tr, n->func_call);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return all_const(tr, n->bool_expr->n_args, n->bool_expr->args);
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return all_const(tr, n->coalesce_expr->n_args, n->coalesce_expr->args);
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return all_const(tr, n->min_max_expr->n_args, n->min_max_expr->args);
	case PG_QUERY__NODE__NODE_NULL_TEST:
		return is_const(tr, n->null_test->arg);
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
		return is_const(tr, n->boolean_test->arg);
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return all_const(tr, n->a_array_expr->n_elements, n->a_array_expr->elements);
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return case_const(tr, n->case_expr);
	case PG_QUERY__NODE__NODE_A_INDIRECTION: {
		const PgQuery__AIndirection *ind = n->a_indirection;
		if (!is_const(tr, ind->arg))
			return false;
		for (size_t i = 0; i < ind->n_indirection; i++) {
			const Node *x = ind->indirection[i];
			if (x->node_case != PG_QUERY__NODE__NODE_A_INDICES ||
			    (x->a_indices->lidx && !is_const(tr, x->a_indices->lidx)) ||
			    (x->a_indices->uidx && !is_const(tr, x->a_indices->uidx)))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

/* A constant whose evaluation cannot fail or needs no check: a literal,
 * a parameter, NULL, a string literal read by the parser. */
static bool plain_const(const Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST || n->node_case == PG_QUERY__NODE__NODE_PARAM_REF ||
	    tr_is_null_const(n))
		return true;
	if (n->node_case != PG_QUERY__NODE__NODE_TYPE_CAST)
		return false;
	const Node *arg = n->type_cast->arg;
	return arg && (arg->node_case == PG_QUERY__NODE__NODE_PARAM_REF ||
		       (arg->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL));
}

typedef struct Fold {
	Tr *tr;
	Buf *out;	   /* the checks so far, comma-separated */
	const char *guard; /* SQL condition the checks found now depend on, NULL: none */
} Fold;

static void collect(Fold *f, Node *n);

/* The translation of constant n onto b (false: it does not translate
 * alone, and the error is forgotten). */
static bool const_sql(Tr *tr, Node *n, Buf *b)
{
	Scope none = {0};
	Scope *saved_scope = tr->scope;
	PgwError saved_err = *tr->err;
	int nparams = tr->nparams;
	TType t;
	memset(&t, 0, sizeof(t));
	tr->scope = &none;
	tr->folding++;
	bool ok = tr_expr(tr, n, b, &t) && !b->failed;
	tr->folding--;
	tr->scope = saved_scope;
	tr->nparams = nparams;
	if (!ok || tr->failed) {
		*tr->err = saved_err;
		tr->failed = false;
		return false;
	}
	return true;
}

static void add_check(Fold *f, Node *n)
{
	Buf b;
	buf_init(&b);
	if (const_sql(f->tr, n, &b)) {
		if (f->out->len)
			buf_put_str(f->out, ", ");
		if (f->guard)
			buf_printf(f->out, "CASE WHEN %s THEN (%.*s) END", f->guard, (int)b.len, (const char *)b.data);
		else
			buf_printf(f->out, "(%.*s)", (int)b.len, (const char *)b.data);
	}
	buf_cleanup(&b);
}

/* The current guard and cond, SQL over the constant c ("(c) IS NOT 0" ...):
 * the checks found after it depend on it. */
static const char *guard_with(Fold *f, Node *c, const char *fmt)
{
	const char *guard = f->guard;
	Buf cb, g;
	buf_init(&cb);
	buf_init(&g);
	if (const_sql(f->tr, c, &cb)) {
		if (f->guard)
			buf_printf(&g, "%s AND ", f->guard);
		buf_printf(&g, fmt, (int)cb.len, (const char *)cb.data);
		guard = arena_strndup(f->tr->a, (const char *)g.data, g.len);
	}
	buf_cleanup(&cb);
	buf_cleanup(&g);
	return guard;
}

/* AND / OR: a constant operand that decides the result ends the folding
 * of the operands after it. */
static void collect_bool(Fold *f, PgQuery__BoolExpr *b)
{
	const char *fmt = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR   ? "((%.*s) IS NOT 0)"
			  : b->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? "((%.*s) IS NOT 1)"
									   : NULL;
	const char *saved = f->guard;
	for (size_t i = 0; i < b->n_args; i++) {
		collect(f, b->args[i]);
		if (fmt && i + 1 < b->n_args && is_const(f->tr, b->args[i]))
			f->guard = guard_with(f, b->args[i], fmt);
	}
	f->guard = saved;
}

/* CASE: an arm whose constant condition is false or NULL is dropped
 * unfolded; after one whose constant condition is true nothing is folded. */
static void collect_case(Fold *f, PgQuery__CaseExpr *c)
{
	const char *saved = f->guard;
	if (c->arg)
		collect(f, c->arg);
	for (size_t i = 0; i < c->n_args; i++) {
		if (c->args[i]->node_case != PG_QUERY__NODE__NODE_CASE_WHEN)
			continue;
		PgQuery__CaseWhen *w = c->args[i]->case_when;
		collect(f, w->expr);
		if (c->arg || !is_const(f->tr, w->expr)) {
			collect(f, w->result);
			continue;
		}
		const char *before = f->guard;
		f->guard = guard_with(f, w->expr, "((%.*s) IS 1)");
		collect(f, w->result);
		f->guard = before;
		/* the arms after it are folded when it is not true */
		f->guard = guard_with(f, w->expr, "((%.*s) IS NOT 1)");
	}
	if (c->defresult)
		collect(f, c->defresult);
	f->guard = saved;
}

/* COALESCE: a constant argument that is not NULL ends the folding. */
static void collect_coalesce(Fold *f, PgQuery__CoalesceExpr *c)
{
	const char *saved = f->guard;
	for (size_t i = 0; i < c->n_args; i++) {
		collect(f, c->args[i]);
		if (i + 1 < c->n_args && is_const(f->tr, c->args[i]))
			f->guard = guard_with(f, c->args[i], "((%.*s) IS NULL)");
	}
	f->guard = saved;
}

static bool visit(const ProtobufCMessage *m, void *arg)
{
	Fold *f = arg;
	if (m->descriptor != &pg_query__node__descriptor)
		return true;
	Node *n = (Node *)m;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_TYPE_NAME:
	case PG_QUERY__NODE__NODE_COLUMN_REF:
	case PG_QUERY__NODE__NODE_A_CONST:
	case PG_QUERY__NODE__NODE_PARAM_REF:
		return false;
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
	case PG_QUERY__NODE__NODE_CASE_EXPR:
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		if (is_const(f->tr, n))
			break;
		if (n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR)
			collect_bool(f, n->bool_expr);
		else if (n->node_case == PG_QUERY__NODE__NODE_CASE_EXPR)
			collect_case(f, n->case_expr);
		else
			collect_coalesce(f, n->coalesce_expr);
		return false;
	default:
		break;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR || n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL ||
	    n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST || n->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR ||
	    n->node_case == PG_QUERY__NODE__NODE_CASE_EXPR || n->node_case == PG_QUERY__NODE__NODE_COALESCE_EXPR ||
	    n->node_case == PG_QUERY__NODE__NODE_MIN_MAX_EXPR || n->node_case == PG_QUERY__NODE__NODE_NULL_TEST ||
	    n->node_case == PG_QUERY__NODE__NODE_BOOLEAN_TEST || n->node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR ||
	    n->node_case == PG_QUERY__NODE__NODE_A_INDIRECTION) {
		if (is_const(f->tr, n)) {
			if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR &&
			    n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN)
				return true; /* its array is built whole: each element */
			if (!plain_const(n))
				add_check(f, n);
			return false;
		}
	}
	return true;
}

static void collect(Fold *f, Node *n)
{
	if (n)
		pgn_walk(&n->base, visit, f);
}

bool tr_fold_checks(Tr *tr, Node *stmt, Buf *out)
{
	Fold f = {.tr = tr, .out = out};
	collect(&f, stmt);
	return !out->failed;
}

/* The operands of n whose NULL makes the planner fold n to NULL: those of
 * a strict operator, function or cast (NULL: n is none of these). */
static Node **strict_operands(Node *n, size_t *count, Node **pair)
{
	if (n->node_case == PG_QUERY__NODE__NODE_A_EXPR) {
		const PgQuery__AExpr *a = n->a_expr;
		const char *op = a->n_name == 1 ? pgn_str(a->name[0]) : "";
		/* containment and overlap are strict too (arrays, jsonb) */
		if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP ||
		    (!tr_strict_op(op) && strcmp(op, "@>") != 0 && strcmp(op, "<@") != 0 && strcmp(op, "&&") != 0))
			return NULL;
		pair[0] = a->lexpr;
		pair[1] = a->rexpr;
		*count = a->lexpr ? 2 : 1;
		return a->lexpr ? pair : pair + 1;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
		const PgQuery__FuncCall *f = n->func_call;
		if (!f->n_funcname || f->over || f->agg_star || f->agg_distinct || f->agg_filter || f->func_variadic ||
		    f->n_agg_order || !tr_strict_func(pgn_str(f->funcname[f->n_funcname - 1])))
			return NULL;
		*count = f->n_args;
		return f->args;
	}
	if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && n->type_cast->arg) {
		*count = 1;
		return &n->type_cast->arg;
	}
	return NULL;
}

/* Append to cond (ORed) when n is folded to a NULL constant: a NULL
 * constant always, another constant when it evaluates to NULL, a strict
 * call when one of its operands is. */
static void null_cond(Tr *tr, Node *n, Buf *cond)
{
	if (!n)
		return;
	if (is_const(tr, n)) {
		if (plain_const(n) && !tr_is_null_const(n))
			return;
		Buf b;
		buf_init(&b);
		if (tr_is_null_const(n))
			buf_put_str(&b, "1");
		else if (const_sql(tr, n, &b))
			tr_wrap(&b, "((", ") IS NULL)");
		if (b.len)
			buf_printf(cond, "%s%.*s", cond->len ? " OR " : "", (int)b.len, (const char *)b.data);
		buf_cleanup(&b);
		return;
	}
	size_t count = 0;
	Node *pair[2];
	Node **ops = strict_operands(n, &count, pair);
	for (size_t i = 0; ops && i < count; i++)
		null_cond(tr, ops[i], cond);
}

void tr_fold_null(Tr *tr, Node *n, Buf *out, size_t start)
{
	size_t count = 0;
	Node *pair[2];
	Node **ops = strict_operands(n, &count, pair);
	if (!ops || is_const(tr, n))
		return;
	Buf cond, x;
	buf_init(&cond);
	for (size_t i = 0; i < count; i++)
		null_cond(tr, ops[i], &cond);
	if (cond.len && !cond.failed) {
		buf_init(&x);
		buf_put(&x, out->data + start, out->len - start);
		out->len = start;
		buf_printf(out, "(CASE WHEN %.*s THEN NULL ELSE ", (int)cond.len, (const char *)cond.data);
		tr_put_buf(out, &x);
		buf_put_str(out, " END)");
		buf_cleanup(&x);
	}
	buf_cleanup(&cond);
}
