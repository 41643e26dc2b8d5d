/*
 * translate_variadic.c - VARIADIC arrays given to concat, concat_ws and
 * format: an ARRAY[...] constructor's elements become the arguments; a
 * NULL array makes concat and concat_ws NULL and gives format no
 * arguments, as does an empty array literal ('{}'), after which concat and
 * concat_ws are ''.  Other arrays (computed ones) are 0A000.
 */
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

static bool is_name(const char *name) { return !strcmp(name, "concat") || !strcmp(name, "concat_ws") || !strcmp(name, "format"); }

/* The constant cast to an array type: NULL, '{}' (empty) or another. */
static int const_kind(const Node *n)
{
	if (n->node_case != PG_QUERY__NODE__NODE_TYPE_CAST || !n->type_cast->type_name ||
	    n->type_cast->type_name->n_array_bounds == 0)
		return 0;
	while (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (n->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return 0;
	if (n->a_const->isnull)
		return 'n';
	if (n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL && strcmp(n->a_const->sval->sval, "{}") == 0)
		return 'e';
	return 0;
}

int tr_variadic_expand(Tr *tr, const PgQuery__FuncCall *f, const char *name, PgQuery__FuncCall *fc, Buf *out,
		       TType *ty)
{
	size_t want = strcmp(name, "concat") == 0 ? 1 : 2;
	if (!is_name(name))
		return tr_unsupported(tr, f->location, "VARIADIC arguments") ? 1 : 0;
	if (f->n_args != want)
		return tr_fail(tr, "42883", f->location, "function %s with VARIADIC and %zu arguments does not exist", name,
			       f->n_args)
			       ? 1
			       : 0;
	*fc = *f;
	fc->func_variadic = false;
	const Node *last = f->args[f->n_args - 1];
	int k = const_kind(last);
	if (k && strcmp(name, "format") != 0) {
		/* concat(VARIADIC NULL) is NULL, of an empty array '' */
		buf_put_str(out, k == 'n' ? "NULL" : "''");
		tr_ttype_set(ty, PGT_TEXT, -1);
		return 1;
	}
	if (k) {
		fc->n_args--; /* format(f, VARIADIC NULL or '{}'): no arguments */
		return -1;
	}
	if (last->node_case == PG_QUERY__NODE__NODE_A_CONST ||
	    (last->node_case == PG_QUERY__NODE__NODE_TYPE_CAST && last->type_cast->type_name &&
	     last->type_cast->type_name->n_array_bounds == 0))
		return tr_fail(tr, "42804", f->location, "VARIADIC argument must be an array") ? 1 : 0;
	if (last->node_case != PG_QUERY__NODE__NODE_A_ARRAY_EXPR)
		return tr_unsupported(tr, f->location, "VARIADIC arguments other than ARRAY[...]") ? 1 : 0;
	const PgQuery__AArrayExpr *a = last->a_array_expr;
	/* the arguments before the array, then its elements (borrowed) */
	fc->n_args = f->n_args - 1 + a->n_elements;
	fc->args = arena_alloc(tr->a, sizeof(Node *) * (fc->n_args + 1));
	memcpy(fc->args, f->args, sizeof(Node *) * (f->n_args - 1));
	memcpy(fc->args + f->n_args - 1, a->elements, sizeof(Node *) * a->n_elements);
	return -1;
}
