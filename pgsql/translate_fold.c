/*
 * translate_fold.c - what PostgreSQL's planner folds before a statement
 * runs (eval_const_expressions): a strict operator with a NULL constant
 * operand is NULL without evaluating its other operand; what varies by row
 * is evaluated only when a row needs it (x IN (empty subquery) is false
 * without evaluating x).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/pgident.h"
#include "common/pgnode.h"
#include "pgsql/pgtime_int.h"
#include "pgsql/translate_int.h"

bool tr_is_null_const(const Node *n)
{
	while (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull;
}

/* How the planner's folding sees an expression: a literal, one that varies
 * by row (a column in it), or one it would evaluate or that DoSQL cannot
 * tell about (a constant call, a cast of a literal, anything else). */
enum { FOLD_LITERAL, FOLD_VARYING, FOLD_UNSURE };

static int fold_kind(const Node *n, bool aggs);

/* A quoted literal of a type, or a number literal cast to a type that
 * holds it: integer to integer (8 bytes), float8 or numeric, a decimal
 * literal in float8's range to float8, any to numeric without a typmod;
 * none of these casts can fail when the statement runs. */
static bool literal_cast_safe(const PgQuery__TypeCast *tc)
{
	const Node *arg = tc->arg;
	const PgQuery__TypeName *t = tc->type_name;
	/* a quoted literal of any type is read by the parser, which raises
	 * its errors whatever the planner folds (DoSQL's translation too) */
	if (arg && arg->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
		return true;
	if (!arg || arg->node_case != PG_QUERY__NODE__NODE_A_CONST || !t || !t->n_names || t->n_typmods ||
	    t->n_array_bounds || t->names[t->n_names - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	const char *type = t->names[t->n_names - 1]->string->sval;
	const PgQuery__AConst *c = arg->a_const;
	if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return strcmp(type, "int4") == 0 || strcmp(type, "int8") == 0 || strcmp(type, "float8") == 0 ||
		       strcmp(type, "numeric") == 0;
	if (c->val_case != PG_QUERY__A__CONST__VAL_FVAL)
		return false;
	if (strcmp(type, "numeric") == 0)
		return true;
	errno = 0;
	double d = strtod(c->fval->fval, NULL);
	return strcmp(type, "float8") == 0 && errno == 0 && isfinite(d);
}

/* The kind of a call or operator of these arguments: constant arguments
 * only are evaluated by the planner (and may raise an error there). */
static int fold_args(size_t n, Node *const *args, bool aggs)
{
	bool varying = false;
	for (size_t i = 0; i < n; i++) {
		int k = fold_kind(args[i], aggs);
		if (k == FOLD_UNSURE)
			return FOLD_UNSURE;
		varying = varying || k == FOLD_VARYING;
	}
	return varying ? FOLD_VARYING : FOLD_UNSURE;
}

/* An aggregate call is, to the planner, a value that varies by row (it
 * folds its arguments, which may fail there). */
static int fold_agg(const PgQuery__FuncCall *f)
{
	if (f->over || f->n_agg_order || f->agg_within_group || f->func_variadic)
		return FOLD_UNSURE;
	for (size_t i = 0; i < f->n_args; i++)
		if (fold_kind(f->args[i], true) == FOLD_UNSURE)
			return FOLD_UNSURE;
	if (f->agg_filter && fold_kind(f->agg_filter, true) == FOLD_UNSURE)
		return FOLD_UNSURE;
	return FOLD_VARYING;
}

/* Whether n is a number literal under prefix + and - signs. */
static bool signed_number(const Node *n)
{
	while (n && n->node_case == PG_QUERY__NODE__NODE_A_EXPR && !n->a_expr->lexpr && n->a_expr->n_name == 1 &&
	       n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
	       (strcmp(pgn_str(n->a_expr->name[0]), "-") == 0 || strcmp(pgn_str(n->a_expr->name[0]), "+") == 0))
		n = n->a_expr->rexpr;
	return n && n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
	       (n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL || n->a_const->val_case == PG_QUERY__A__CONST__VAL_FVAL);
}

/* aggs: an aggregate call counts as varying by row (beside a NULL
 * constant); else as unsure (an aggregate is evaluated before the
 * expressions above it, left of IN for one). */
static int fold_kind(const Node *n, bool aggs)
{
	if (!n)
		return FOLD_UNSURE;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
	case PG_QUERY__NODE__NODE_PARAM_REF: /* a bound value (the router binds a statement's literals) */
		return FOLD_LITERAL;
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		return FOLD_VARYING;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		if (tr_is_null_const(n) || literal_cast_safe(n->type_cast))
			return FOLD_LITERAL;
		return fold_kind(n->type_cast->arg, aggs) == FOLD_VARYING ? FOLD_VARYING : FOLD_UNSURE;
	case PG_QUERY__NODE__NODE_A_EXPR: {
		const PgQuery__AExpr *a = n->a_expr;
		if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP)
			return FOLD_UNSURE;
		if (signed_number(n))
			return FOLD_LITERAL; /* - + 0: negating a number literal cannot fail */
		Node *args[2] = {a->lexpr, a->rexpr};
		return a->lexpr ? fold_args(2, args, aggs) : fold_args(1, args + 1, aggs);
	}
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		const PgQuery__FuncCall *f = n->func_call;
		if (!f->n_funcname || f->funcname[f->n_funcname - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
			return FOLD_UNSURE;
		if (tr_is_aggregate(f->funcname[f->n_funcname - 1]->string->sval))
			return aggs ? fold_agg(f) : FOLD_UNSURE;
		if (f->agg_star || f->agg_distinct || f->agg_filter || f->over || f->n_agg_order || f->func_variadic)
			return FOLD_UNSURE;
		int k = fold_args(f->n_args, f->args, aggs);
		/* x AT TIME ZONE 'known zone' of a literal x cannot fail */
		PgtZone z;
		if (k == FOLD_UNSURE && f->n_args == 2 &&
		    strcmp(f->funcname[f->n_funcname - 1]->string->sval, "timezone") == 0 &&
		    f->args[0]->node_case == PG_QUERY__NODE__NODE_A_CONST &&
		    f->args[0]->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL &&
		    pgt_zone_named(f->args[0]->a_const->sval->sval, &z) && fold_kind(f->args[1], aggs) == FOLD_LITERAL)
			return FOLD_LITERAL;
		return k;
	}
	default:
		return FOLD_UNSURE;
	}
}

bool tr_row_varying(const Node *n)
{
	return fold_kind(n, false) == FOLD_VARYING;
}

bool tr_null_skips(const Node *other, const TType *t)
{
	return t->null_const || fold_kind(other, true) != FOLD_UNSURE;
}

bool tr_strict_op(const char *op)
{
	static const char *const strict[] = {"=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "^"};
	for (size_t i = 0; i < sizeof(strict) / sizeof(strict[0]); i++)
		if (strcmp(op, strict[i]) == 0)
			return true;
	return false;
}

void tr_never_evaluated(Buf *b) { tr_wrap(b, "(CASE WHEN 0 THEN ", " END)"); }

/* Scalar functions strict for every signature DoSQL gives them (none
 * returns a set). */
static const char *const strict_funcs[] = {
	"abs", "div", "mod", "round", "trunc", "floor", "ceil", "ceiling", "sqrt", "cbrt", "power", "pow", "exp", "ln",
	"log", "log10", "sign", "gcd", "lcm", "length", "char_length", "character_length", "octet_length", "lower",
	"upper", "substr", "replace", "strpos", "left", "right", "lpad", "rpad", "btrim", "ltrim", "rtrim", "repeat",
	"reverse", "md5", "ascii", "chr", "split_part", "translate", "starts_with", "date_trunc", "date_part", "age",
	"to_char", "jsonb_array_length", "jsonb_typeof", "json_typeof", "array_length", "cardinality", "timezone",
	"extract", "justify_hours", "justify_days", "justify_interval", NULL};

bool tr_strict_func(const char *name)
{
	for (size_t i = 0; strict_funcs[i]; i++)
		if (strcmp(name, strict_funcs[i]) == 0)
			return true;
	return false;
}

bool tr_strict_call_folds(const char *name, const PgQuery__FuncCall *f)
{
	bool null_arg = false;
	if (!tr_strict_func(name) || f->over || f->agg_star || f->agg_distinct || f->agg_filter || f->func_variadic)
		return false;
	for (size_t i = 0; i < f->n_args; i++) {
		if (tr_is_null_const(f->args[i]))
			null_arg = true;
		else if (fold_kind(f->args[i], true) == FOLD_UNSURE)
			return false;
	}
	return null_arg;
}

void tr_never_evaluated_from(Buf *b, size_t start)
{
	Buf call;
	buf_init(&call);
	buf_put(&call, b->data + start, b->len - start);
	tr_never_evaluated(&call);
	b->len = start;
	tr_put_buf(b, &call);
	buf_cleanup(&call);
}

bool tr_is_volatile_call(const PgQuery__FuncCall *fc)
{
	static const char *const volatile_fns[] = {"random", "clock_timestamp", "timeofday", "nextval",
						   "gen_random_uuid", "setseed", "setval"};
	const char *name = fc->n_funcname ? pgn_str(fc->funcname[fc->n_funcname - 1]) : "";
	for (size_t i = 0; i < sizeof(volatile_fns) / sizeof(volatile_fns[0]); i++)
		if (strcmp(name, volatile_fns[i]) == 0)
			return true;
	return false;
}

static bool find_volatile(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__func_call__descriptor && tr_is_volatile_call((const PgQuery__FuncCall *)m))
		*(bool *)arg = true;
	return !*(bool *)arg;
}

static bool find_column(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__column_ref__descriptor)
		*(bool *)arg = true;
	return !*(bool *)arg;
}

/* Whether visit finds what it looks for in n. */
static bool finds(const Node *n, bool (*visit)(const ProtobufCMessage *m, void *arg))
{
	bool found = false;
	if (n)
		pgn_walk(&n->base, visit, &found);
	return found;
}

bool tr_may_be_volatile(const Node *n) { return finds(n, find_volatile); }

bool tr_has_column(const Node *n) { return finds(n, find_column); }

static bool find_aggregate(const ProtobufCMessage *m, void *arg)
{
	if (*(bool *)arg || m->descriptor == &pg_query__sub_link__descriptor)
		return false;
	if (m->descriptor == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
		const char *name = f->n_funcname ? pgn_str(f->funcname[f->n_funcname - 1]) : "";
		*(bool *)arg = !f->over && tr_is_aggregate(name);
	}
	return !*(bool *)arg;
}

bool tr_has_aggregate(const Node *n) { return finds(n, find_aggregate); }

bool tr_never_evaluated_aggs(Tr *tr, Node *n, Buf *b, TType *t)
{
	if (tr->never_eval || !tr_has_aggregate(n))
		return true;
	buf_reset(b);
	tr->never_eval++;
	bool ok = tr_expr(tr, n, b, t);
	tr->never_eval--;
	return ok;
}

bool tr_agg_filter(Tr *tr, PgQuery__FuncCall *f, Buf *out)
{
	if (!f->agg_filter) {
		if (tr->never_eval)
			buf_put_str(out, " FILTER (WHERE 0)");
		return true;
	}
	if (!tr_bool_clause(tr, tr->never_eval ? " FILTER (WHERE 0 AND (" : " FILTER (WHERE ", f->agg_filter, out))
		return false;
	buf_put_str(out, tr->never_eval ? "))" : ")");
	return true;
}

/* Whether n has the same value for every row: a constant, or casts and
 * operators over constants. */
static bool row_independent(const Node *n)
{
	if (!n)
		return false;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		return true;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return row_independent(n->type_cast->arg);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && n->a_expr->rexpr &&
		       (!n->a_expr->lexpr || row_independent(n->a_expr->lexpr)) && row_independent(n->a_expr->rexpr);
	default:
		return false;
	}
}

/* Where the collation of "(x COLLATE name)" starts when b is that whole
 * (the offset of " COLLATE "), 0 when b has no COLLATE anywhere, -1
 * otherwise (a collation inside, which SQLite carries up to the
 * expression: a subquery would lose it). */
static long top_collation(const Buf *b)
{
	const char *s = (const char *)b->data;
	size_t n = b->len;
	long at = -1;
	int depth = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\'' || c == '"') {
			const char *e = memchr(s + i + 1, c, n - i - 1);
			if (!e)
				return -1;
			i = (size_t)(e - s); /* a doubled quote reopens at once */
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0 && i + 1 != n)
			at = -2; /* the first parenthesis closes before the end */
		else if (c == ' ' && n - i > 9 && memcmp(s + i, " COLLATE ", 9) == 0) {
			any = true;
			if (depth == 1 && at != -2)
				at = (long)i;
		}
	}
	if (!any)
		return 0;
	if (s[0] != '(' || at < 0)
		return -1;
	for (size_t i = (size_t)at + 9; i + 1 < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return -1;
	return at;
}

void tr_hoist_constant(Tr *tr, const Node *n, Buf *b)
{
	/* only a call (not a literal, whose text later steps may read) */
	if (tr->expr_only || tr->failed || b->failed || b->len == 0 || !row_independent(n) ||
	    !(b->data[0] == '(' || (b->data[0] >= 'a' && b->data[0] <= 'z')) || !memchr(b->data, '(', b->len))
		return;
	long at = top_collation(b);
	if (at < 0 || (at > 0 && !memchr(b->data + 1, '(', (size_t)at - 1)))
		return; /* a collation inside, or "(literal COLLATE c)" */
	if (at == 0) {
		tr_wrap(b, "(SELECT ", ")");
		return;
	}
	/* "(x COLLATE c)" as "((SELECT x) COLLATE c)" */
	Buf h;
	buf_init(&h);
	buf_put_str(&h, "((SELECT ");
	buf_put(&h, b->data + 1, (size_t)at - 1);
	buf_put_u8(&h, ')');
	buf_put(&h, b->data + at, b->len - (size_t)at);
	if (!h.failed) {
		b->len = 0;
		buf_put(b, h.data, h.len);
	}
	buf_cleanup(&h);
}
