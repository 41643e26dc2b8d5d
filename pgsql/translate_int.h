/*
 * translate_int.h - what the expression and statement halves of the
 * translator share.  Not for use outside pgsql/translate*.c.
 */
#ifndef DOSQL_PGS_TRANSLATE_INT_H
#define DOSQL_PGS_TRANSLATE_INT_H

#include "pgsql/translate.h"

typedef struct TCol {
	const char *name;
	uint32_t type;
	int32_t typmod;
	uint32_t table_oid;
	int16_t attnum;
	bool hidden; /* merged away by JOIN ... USING */
	/* the column of a RIGHT or FULL join's USING (or NATURAL) on its left
	 * side: what an unqualified reference emits, the coalesce of both
	 * sides (arena) */
	const char *merged;
	bool untyped; /* an output that is an untyped literal or NULL */
	/* what every reference emits instead of rel.col: a LATERAL
	 * subquery's column, its element of the row's JSON array (arena) */
	const char *expr;
} TCol;

typedef struct TRel {
	const char *alias; /* name references use */
	const char *emit;  /* qualifier written to SQLite; NULL = alias */
	bool unqualified;  /* emit bare column names (RETURNING, ON CONFLICT) */
	int ncols;
	TCol *cols;
} TRel;

typedef struct Scope {
	struct Scope *parent;
	int nrels;
	TRel *rels[32];
	int nctes;
	TRel *ctes[16];
	/* output names of the SELECT being built (ORDER BY / GROUP BY aliases) */
	int ntargets;
	const char **target_names;
} Scope;

typedef struct TType {
	uint32_t oid;
	int32_t typmod;
	bool unknown;	   /* an untyped string literal ... */
	const char *lit;   /* ... with this value (arena) */
	int lit_loc;	   /* ... at this byte offset of the query */
	int param;	   /* > 0: a $n whose type is still open */
	bool column;	   /* a plain column reference (has SQLite affinity) */
	bool as_real;	   /* a numeric literal that compares as a REAL */
	bool agg;
	bool null_const;  /* NULL whatever the row: the planner folds it (translate_fold.c) */
} TType;

typedef struct Tr {
	const PgsTranslateCtx *ctx;
	PgwError *err;
	bool failed;
	Arena *a;
	Scope *scope;
	int nparams;
	uint32_t *ptypes; /* PGS_MAX_PARAMS + 1 entries, indexed by n */
	/* this SELECT's outputs are aliased _c0, _c1, ... (INSERT ... SELECT) */
	const PgQuery__SelectStmt *positional;
	bool catalog; /* the statement reads the pg_catalog relations */
	/* expressions given an explicit COLLATE of their type so far (tr_expr) */
	unsigned ncollated;
	/* the next target list's numeric outputs are DISTINCT keys */
	bool distinct_outputs;
	/* the next target list makes its SELECT an aggregate one (count(*)) */
	bool agg_outputs;
	struct TrGSets *gs; /* the grouping sets of the SELECT being translated */
	bool gs_sorted;	    /* ... whose arms carry the ORDER BY keys */
	/* the SELECT whose WINDOW clause the window names of OVER refer to */
	const PgQuery__SelectStmt *win_select;
	const struct TFnCtx *fn; /* the SQL function being inlined, NULL outside one */
	int fn_seq;		 /* SQL function calls inlined so far (their CTE names) */
	/* > 0: translating an operand the planner folds away beside a NULL
	 * constant; its aggregates take no row (translate_fold.c) */
	int never_eval;
	/* translating the list of x IN (...) (its array comparisons) */
	bool in_list;
	/* > 0: translating a constant alone, for its type or its check
	 * (translate_constfold.c) */
	int folding;
	/* an expression alone (a CHECK, DEFAULT or index expression, which
	 * SQLite allows no subquery in) */
	bool expr_only;
	/* the AND/OR at the top of the WHERE (ON, HAVING) being translated,
	 * whose operands SQLite evaluates only as far as they decide */
	const void *jump_node;
} Tr;

typedef PgQuery__Node Node;


/* tr_expr without the collation it gives the result (translate_collate.c) */
bool tr_expr_node(Tr *tr, Node *n, Buf *out, TType *ty);
bool tr_expr(Tr *tr, Node *n, Buf *out, TType *ty);
bool tr_select(Tr *tr, PgQuery__SelectStmt *s, Buf *out, TRel *result);
bool tr_fail(Tr *tr, const char *sqlstate, int loc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool tr_unsupported(Tr *tr, int loc, const char *what);
bool tr_coerce(Tr *tr, Buf *b, TType *ty, uint32_t oid, int32_t typmod, int loc);
/* b (of type t, the translation of n) as the boolean operand of `what`
 * (AND, WHERE, CASE/WHEN ...): 42804 for another type, as PostgreSQL. */
bool tr_coerce_bool(Tr *tr, Buf *b, TType *t, const char *what, const Node *n);
void tr_settle(Tr *tr, Buf *b, TType *ty);
/* A numeric b of a column typed numeric(p,s) as its text at scale s (the
 * display scale PostgreSQL's functions see); *t loses the typmod. */
void tr_numeric_at_typmod(Buf *b, TType *t);
/* The prefix operators - of interval, |/ (square root) and ||/ (cube
 * root) of double precision: 1 translated, 0 failed, -1 another one. */
int tr_prefix_special(Tr *tr, const char *op, Buf *rb, TType *rt, int loc, Buf *out, TType *ty);
/* A json function called with VARIADIC arr (json(b)_build_array,
 * json(b)_build_object, json(b)_extract_path[_text]): 1 translated, 0
 * failed. */
int tr_json_variadic(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty);
void tr_put_buf(Buf *dst, Buf *src);
/* b becomes before, b, after. */
void tr_wrap(Buf *b, const char *before, const char *after);
void tr_ttype_set(TType *t, uint32_t oid, int32_t typmod);
const char *tr_figure_colname(Node *n);
TRel *tr_rel_from_table(Tr *tr, const PgsTable *t, const char *alias);
bool tr_scope_add(Tr *tr, TRel *r, int loc);
TRel *tr_find_cte(Tr *tr, const char *name);
bool tr_expr_list(Tr *tr, size_t n, Node **items, Buf *out, uint32_t oid, TType *first);
/* translate_array.c: x = ANY (array) / x <> ALL (array); a subscript or
 * a field of a record; json_build_object(...). */
bool tr_any_array(Tr *tr, PgQuery__AExpr *a, bool all, Buf *out, TType *ty);
/* x op ANY/ALL (array) for the other comparison operators: the
 * comparisons with each element, combined as PostgreSQL does (NULL when
 * none decides). */
bool tr_any_array_op(Tr *tr, PgQuery__AExpr *a, bool all, const char *op, Buf *out, TType *ty);
bool tr_indirection(Tr *tr, PgQuery__AIndirection *ind, Buf *out, TType *ty);
bool tr_json_build_object(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty);
bool tr_is_int_type(uint32_t t);
/* translate_variadic.c: VARIADIC of concat, concat_ws and format: 1 with
 * the call written, 0 with the error set, -1 with *fc the call of the
 * arguments it stands for (the array's elements) for the caller to
 * translate. */
int tr_variadic_expand(Tr *tr, const PgQuery__FuncCall *f, const char *name, PgQuery__FuncCall *fc, Buf *out,
		       TType *ty);
/* The common type of two types (0 or unknown: the other): numeric types
 * promote, so do date < timestamp < timestamptz, otherwise the first. */
uint32_t tr_common_of(uint32_t a, uint32_t b);
/* NULLIF(l, r) (translate_common.c). */
bool tr_nullif(Tr *tr, PgQuery__AExpr *a, Buf *out, TType *ty);
/* Arrays compare (op) only with arrays of their own type: false with
 * 42883 otherwise. */
bool tr_array_cmp_types(Tr *tr, const char *op, const TType *lt, const TType *rt, int loc);
/* Whether a function of this name is an aggregate. */
bool tr_is_aggregate(const char *name);
/* n is a NULL constant, bare or cast (NULL::int). */
bool tr_is_null_const(const Node *n);
/* n varies by row (a column in it) and its constant parts are literals:
 * the planner evaluates none of it, so where PostgreSQL needs no value of
 * it (beside a NULL constant in a strict operator, left of IN (empty
 * subquery)) it raises none of its errors. */
bool tr_row_varying(const Node *n);
/* Beside a NULL constant, a strict operator need not evaluate other (typed
 * t): it varies by row or is a literal or a NULL constant itself, never a
 * constant expression the planner evaluates (and that may fail). */
bool tr_null_skips(const Node *other, const TType *t);
/* op is a comparison or arithmetic operator: strict for every type it
 * takes (array and text || are not, for arrays). */
bool tr_strict_op(const char *op);
/* b becomes NULL, never evaluated (its parameters stay in the statement). */
void tr_never_evaluated(Buf *b);
/* b, the translation of comparison operand n, computed once per execution
 * instead of once per row when n is the same for every row (constants,
 * casts and operators over them: `date '1994-01-01' + interval '1' year`):
 * as a scalar subquery, which SQLite evaluates once. */
void tr_hoist_constant(Tr *tr, const Node *n, Buf *b);
/* n (translated into b, of type t) is folded away: when it holds an
 * aggregate, b becomes its translation again with every aggregate taking
 * no row, so that no argument of it is evaluated (PostgreSQL's planner
 * drops the aggregate; the query stays an aggregate one). */
bool tr_never_evaluated_aggs(Tr *tr, Node *n, Buf *b, TType *t);
/* translate_constfold.c: the constant expressions of statement stmt that
 * PostgreSQL's planner evaluates, as SQL expressions separated by commas
 * (each evaluated when the planner would), onto out; false: out of memory. */
bool tr_fold_checks(Tr *tr, Node *stmt, Buf *out);
/* n (translated onto out from start) is a strict operator, function or
 * cast with an operand the planner folds to a NULL constant when the
 * constants in it are NULL: out becomes NULL then, its other operands not
 * evaluated. */
void tr_fold_null(Tr *tr, Node *n, Buf *out, size_t start);
/* translate_fold.c: name is a function strict for every signature. */
bool tr_strict_func(const char *name);
/* n refers to a column (its own query's or an outer one's). */
bool tr_has_column(const Node *n);
/* n holds an aggregate call of its own query level (not of a subquery). */
bool tr_has_aggregate(const Node *n);
/* The FILTER clause of aggregate call f: its own, or none of the rows
 * while tr->never_eval. */
bool tr_agg_filter(Tr *tr, PgQuery__FuncCall *f, Buf *out);
/* b's text from start on becomes NULL, never evaluated. */
void tr_never_evaluated_from(Buf *b, size_t start);
/* name(f's arguments) is a strict function of a NULL constant whose other
 * arguments are literals or vary by row: NULL without evaluating them. */
bool tr_strict_call_folds(const char *name, const PgQuery__FuncCall *f);
/* fc calls a volatile function (random, nextval, ...). */
bool tr_is_volatile_call(const PgQuery__FuncCall *fc);
/* n calls a volatile function (a function of the database is not looked into). */
bool tr_may_be_volatile(const Node *n);
bool tr_is_text_type(uint32_t t);
/* Append b, compared as a number when it is a numeric expression. */
/* Whether operands compared with each other must go through their order
 * keys (pg_numkey, pg_intervalkey): when any of the n is a numeric value
 * that SQLite would otherwise compare inexactly, as a REAL or as text, or
 * an interval (its text does not order by length), or character(n) (its
 * padding does not count); bit 2 is set when varchar meets character(n)
 * and compares as it. */
int tr_cmp_keyed(const TType *t, size_t n);
/* Translate the n expressions args into bs/ts (n of each, initialised
 * here, the caller cleans them up) coerced to their common type, which is
 * returned: numeric types promote (int < numeric < float8), untyped
 * literals take the others' type, text when all are untyped; 0 on failure. */
uint32_t tr_common_args(Tr *tr, size_t n, Node **args, int loc, Buf *bs, TType *ts);
/* Emit the operand b of type t for a comparison: its order key when keyed
 * and its type has one, else the value itself. */
void tr_put_cmp_operand(Buf *out, Buf *b, const TType *t, int keyed);
/* translate_agg.c: the aggregates it translates; the call translated (1),
 * failed (0) or left to translate_func.c (-1) */
bool tr_is_extra_aggregate(const char *name);
int tr_agg_call(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty);
/* translate_distinct.c: SELECT DISTINCT ON (see there) */
bool tr_is_distinct_on(const PgQuery__SelectStmt *s);
/* The expression an item of DISTINCT ON, ORDER BY or a grouping set
 * stands for: an output position or output name is that target's
 * expression (NULL: a position out of range, reported as what's). */
Node *tr_output_expr(Tr *tr, const PgQuery__SelectStmt *s, Node *n, const char *what);
bool tr_distinct_on_targets(Tr *tr, PgQuery__SelectStmt *s, Buf *out);
/* the ORDER BY keys as hidden outputs "_do0", ...; inner wrapped in the
 * SELECT of its outputs in that order (first_per_key: DISTINCT ON's) */
bool tr_sort_targets(Tr *tr, PgQuery__SelectStmt *s, Buf *out);
void tr_sorted_wrap(Tr *tr, const PgQuery__SelectStmt *s, const TRel *res, bool first_per_key, Buf *inner, Buf *out);
/* ORDER BY ... [OFFSET m] FETCH FIRST n ROWS WITH TIES over inner (which
 * computes the sort keys as hidden outputs): the rows after the first m in
 * key order up to the n-th after them and the rows tied with it; false
 * after the error was set. */
bool tr_ties_wrap(Tr *tr, PgQuery__SelectStmt *s, const TRel *res, Buf *inner, Buf *out);
/* translate_group.c: grouping sets: the sets of s (NULL: failed), their
 * number, arm i's GROUP BY (i -1: after the arms), and the translation of
 * GROUPING() and of the expressions an arm's set leaves out (-1: not one) */
typedef struct TrGSets TrGSets;
bool tr_has_grouping_sets(const PgQuery__SelectStmt *s);
TrGSets *tr_grouping_sets(Tr *tr, const PgQuery__SelectStmt *s);
int tr_grouping_sets_count(const TrGSets *gs);
void tr_grouping_set_use(TrGSets *gs, int i, size_t *n, Node ***items);
int tr_group_expr(Tr *tr, Node *n, Buf *out, TType *ty);
/* A grouped SELECT's columns outside aggregates are grouped (42803). */
bool tr_group_check(Tr *tr, PgQuery__SelectStmt *s);
/* A column reference resolved in the scopes, emitted with its type
 * (translate_scope.c). */
bool tr_column_ref(Tr *tr, PgQuery__ColumnRef *cr, Buf *out, TType *ty);
/* translate_group.c: e as a grouping / DISTINCT key (numeric by value) */
void tr_put_group_key(Buf *out, Buf *e, const TType *t);
/* translate_window.c: " OVER ..." of a window call; " WINDOW ..." of s */
bool tr_window_def(Tr *tr, PgQuery__WindowDef *w, Buf *out);
bool tr_window_clause(Tr *tr, PgQuery__SelectStmt *s, Buf *out);
/* " ASC|DESC NULLS FIRST|LAST" of an ORDER BY item, PostgreSQL's defaults */
void tr_put_sort_dir(Buf *out, const PgQuery__SortBy *sb);
/* the same as bits: 1 DESC, 2 NULLS FIRST */
int tr_sort_flags(const PgQuery__SortBy *sb);
bool tr_typename_of(Tr *tr, PgQuery__TypeName *tn, uint32_t *oid, int32_t *typmod);
bool tr_is_numeric_type(uint32_t t);
/* The type of arithmetic between l and r (the wider numeric type). */
uint32_t tr_arith_result(uint32_t l, uint32_t r);
/* A type's name for messages. */
const char *tr_type_name(uint32_t oid);
/* translate_from.c: one FROM item; col qualified by r's name unless r is
 * unqualified. */
bool tr_from_item(Tr *tr, Node *n, Buf *out);
void tr_put_qualified(Buf *out, const TRel *r, const char *col);
/* Rel r's SQLite name written to out as " AS name" (r->emit set when it is
 * not r's alias). */
void tr_put_from_alias(Tr *tr, TRel *r, Buf *out);
/* translate_sublink.c: a subquery used as an expression (SubLink). */
bool tr_sublink(Tr *tr, PgQuery__SubLink *s, Buf *out, TType *ty);
/* translate_stmt.c: kw and a boolean clause (WHERE, HAVING); a target list
 * into res (positional: outputs named _c0, _c1, ...); WITH. */
bool tr_bool_clause(Tr *tr, const char *kw, Node *n, Buf *out);
/* What tr->jump_node is for n at the top of a WHERE or of its AND/OR:
 * an AND, OR or BETWEEN (NULL: none). */
const void *tr_jump_target(const Node *n);
bool tr_target_list(Tr *tr, size_t n, Node **items, Buf *out, TRel *res, bool positional);
bool tr_with_clause(Tr *tr, PgQuery__WithClause *w, Buf *out);
/* translate_dml.c: INSERT, UPDATE, DELETE, their RETURNING into res. */
bool tr_insert_stmt(Tr *tr, PgQuery__InsertStmt *ins, Buf *out, TRel *res);
bool tr_update_stmt(Tr *tr, PgQuery__UpdateStmt *up, Buf *out, TRel *res);
bool tr_delete_stmt(Tr *tr, PgQuery__DeleteStmt *del, Buf *out, TRel *res);
/* translate_func.c: a function call; COALESCE / GREATEST / LEAST as fn
 * over the arguments' common type; ARRAY[...]. */
bool tr_func_call(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty);
bool tr_common_type_call(Tr *tr, const char *fn, size_t n, Node **args, int loc, Buf *out, TType *ty);
bool tr_array_expr(Tr *tr, PgQuery__AArrayExpr *e, Buf *out, TType *ty);
/* translate_time.c: operators over date/time types (1 done, 0 failed,
 * -1 not one of them), - interval, and the functions with typed
 * signatures (date/time, strings). */
int tr_time_binop(Tr *tr, const char *op, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty);
bool tr_time_negate(Tr *tr, Buf *rb, TType *rt, Buf *out, TType *ty);
bool tr_sql_value_function(Tr *tr, PgQuery__SQLValueFunction *f, Buf *out, TType *ty);
bool tr_sig_known(const char *name);
bool tr_is_time_type(uint32_t oid);
bool tr_sig_call(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty);
/* generate_series over timestamps and regexp_split_to_table in FROM: 1
 * done, 0 failed, -1 not one of them. */
int tr_srf_time_text(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out);
/* x [NOT] SIMILAR TO pattern [ESCAPE e]. */
bool tr_similar(Tr *tr, PgQuery__AExpr *a, Buf *out, TType *ty);
/* translate_jsonb.c: whether l op r is one of the json(b) operators ?,
 * ?|, ?&, @>, <@, #>, #>>, - and #- (by the operands' types), and its
 * translation. */
bool tr_jsonb_op_applies(const char *op, const TType *lt, const TType *rt);
bool tr_jsonb_op(Tr *tr, const char *op, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty);
/* A json(b) function (jsonb_set, to_jsonb, jsonb_build_array, ...): 1
 * done, 0 failed, -1 not one of them. */
int tr_json_func(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty);
/* bs[0..2] initialised and the (at most 3) arguments of f translated
 * into them; the caller cleans up the three. */
bool tr_args3(Tr *tr, PgQuery__FuncCall *f, Buf *bs, TType *ts);
int tr_array_find(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty);
bool tr_json_func_name(const char *name);
/* Whether a value of type oid may be a key of json(b)_build_object. */
bool tr_json_key_type(uint32_t oid);
/* anyarray @>, <@ and && (an untyped side takes the other's type). */
bool tr_array_op(Tr *tr, const char *op, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty);
/* json(b)_each(_text), json(b)_array_elements(_text), json(b)_object_keys
 * in FROM: 1 done, 0 failed, -1 not one of them. */
int tr_json_from(Tr *tr, PgQuery__RangeFunction *rf, Buf *out);
/* json(b)_to_record(set) in FROM (rf, calling f named name) with its
 * column definition list; -1 for another function (translate_jsonrec.c). */
int tr_json_record_from(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out);
int tr_json_populate_from(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out);
/* unnest(a, b, ...) and generate_subscripts(a, dim [, reverse]) in FROM:
 * 1 done, 0 failed, -1 another function (translate_srf.c). */
int tr_srf_subscripts(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out);
/* translate_assign.c: j[a][b]... of jsonb j (emitted in ab) as j #> path. */
bool tr_jsonb_subscript(Tr *tr, PgQuery__AIndirection *ind, Buf *ab, Buf *out, TType *ty);
/* arr[lo:hi] of a one-dimensional array arr (emitted in ab, typed at). */
bool tr_array_slice(Tr *tr, PgQuery__AIndices *ai, Buf *ab, TType *at, Buf *out, TType *ty);
/* "col = ..." for the subscripted assignments to column c among the SET
 * list items[0..n), the first of which is items[i]. */
bool tr_set_subscripts(Tr *tr, const PgsColumn *c, Node **items, size_t n, size_t i, Buf *out);
/* translate_sqlfunc.c: a call of a SQL-language function, inlined: 1
 * done, 0 failed, -1 no such function.  Inside its body (tr->fn set),
 * parameter $n and a parameter named name (qualified by the function's
 * name or not; false when none is) read the call's arguments. */
int tr_sqlfunc_call(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty);
bool tr_sqlfunc_param(Tr *tr, int n, int loc, Buf *out, TType *ty);
/* The name of the CTE of the call being inlined (tr->fn set). */
const char *tr_sqlfunc_cte(const Tr *tr);
bool tr_sqlfunc_named(Tr *tr, const char *qual, const char *name, Buf *out, TType *ty);

/* translate_domain.c: val (SQL of a value of d's base type) checked
 * against domain d's constraints; false after the error was set. */
struct PgsUserType;
bool tr_domain_check(Tr *tr, const struct PgsUserType *d, const char *domain, Buf *val);
/* translate_time.c: the arguments of f by position or name (names[0..n))
 * into argn (NULL where not given); false for an unknown name or one given
 * twice. */
bool tr_named_args(const PgQuery__FuncCall *f, const char *const *names, size_t n, Node **argn);
/* translate_srf.c: a target entry calling a set-returning function of one
 * column the select list takes (generate_series, regexp_matches, ...),
 * else NULL; whether s's outputs call an aggregate. */
Node *tr_series_call(Node *n);
bool tr_targets_aggregate(const PgQuery__SelectStmt *s);
/* fn(tr, arg) on a new translator over ctx (errors into err). */
bool tr_run(const PgsTranslateCtx *ctx, PgwError *err, bool (*fn)(Tr *tr, void *arg), void *arg);
/* val checked against the constraints of tn when tn names a domain. */
bool tr_domain_cast(Tr *tr, PgQuery__TypeName *tn, Buf *val);

#endif
