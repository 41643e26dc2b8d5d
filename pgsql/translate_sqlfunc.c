/*
 * translate_sqlfunc.c - calls of SQL-language functions (CREATE FUNCTION
 * ... LANGUAGE sql), inlined: the call is a scalar subquery of the body's
 * SELECT, its arguments evaluated once in a CTE of their own, each
 * parameter ($n or its name) a read of that CTE, the result cast to the
 * declared return type.  The body sees no column of the calling query, as
 * in PostgreSQL, and gives the first row's value (NULL for none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

#define MAX_DEPTH 24
#define MAX_OVERLOADS 8

struct TFnCtx {
	const PgsFunc *f;
	const char *name;
	char cte[32];
	int depth;
};

/* Parameter n (1-based) of the function being inlined, typed. */
static void put_param(Tr *tr, int n, Buf *out, TType *ty)
{
	buf_printf(out, "(SELECT \"_p%d\" FROM \"%s\")", n, tr->fn->cte);
	tr_ttype_set(ty, tr->fn->f->argtypes[n - 1], -1);
}

const char *tr_sqlfunc_cte(const Tr *tr)
{
	return tr->fn->cte;
}

bool tr_sqlfunc_param(Tr *tr, int n, int loc, Buf *out, TType *ty)
{
	if (n < 1 || n > tr->fn->f->nargs)
		return tr_fail(tr, "42P02", loc, "there is no parameter $%d", n);
	put_param(tr, n, out, ty);
	return true;
}

bool tr_sqlfunc_named(Tr *tr, const char *qual, const char *name, Buf *out, TType *ty)
{
	if (!tr->fn || (qual && strcmp(qual, tr->fn->name) != 0))
		return false;
	for (int i = 0; i < tr->fn->f->nargs; i++)
		if (tr->fn->f->argnames[i][0] && strcmp(tr->fn->f->argnames[i], name) == 0) {
			put_param(tr, i + 1, out, ty);
			return true;
		}
	return false;
}

/* Whether an argument of type t goes to a parameter of type want. */
static bool arg_fits(const TType *t, uint32_t want, bool exact)
{
	if (t->unknown || t->param || t->oid == want)
		return true;
	if (exact)
		return false;
	return (tr_is_numeric_type(t->oid) && tr_is_numeric_type(want)) ||
	       (tr_is_text_type(t->oid) && tr_is_text_type(want));
}

/* The overload the arguments call: the first whose parameter types they
 * have, else the only one they can be cast to; NULL after an error. */
static const PgsFunc *pick(Tr *tr, const char *name, const PgsFunc *fs, int n, const TType *ts, int loc)
{
	for (int pass = 0; pass < 2; pass++) {
		const PgsFunc *hit = NULL;
		int hits = 0;
		for (int k = 0; k < n; k++) {
			bool fits = true;
			for (int i = 0; i < fs[k].nargs && fits; i++)
				fits = arg_fits(&ts[i], fs[k].argtypes[i], pass == 0);
			if (fits && hits++ == 0)
				hit = &fs[k];
		}
		if (hits == 1 || (pass == 0 && hits > 1))
			return hit;
		if (hits > 1) {
			tr_fail(tr, "42725", loc, "function %s is not unique", name);
			return NULL;
		}
	}
	tr_fail(tr, "42883", loc, "function %s with these argument types does not exist", name);
	return NULL;
}

/* The body's SELECT, translated with the function's parameters in scope
 * into body; its one output's type into *rt.  The parse tree is freed. */
static bool body_select(Tr *tr, struct TFnCtx *fc, Buf *body, TType *rt)
{
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(fc->f->body);
	if (pr.error) {
		pg_query_free_protobuf_parse_result(pr);
		return tr_fail(tr, "42601", -1, "syntax error in the body of function %s", fc->name);
	}
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	if (!tree || tree->n_stmts != 1 || tree->stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
		if (tree)
			pg_query__parse_result__free_unpacked(tree, NULL);
		return tr_unsupported(tr, -1, "a SQL function whose body is not one SELECT");
	}
	Scope top = {0};
	Scope *saved_scope = tr->scope;
	const struct TFnCtx *saved_fn = tr->fn;
	const PgQuery__SelectStmt *saved_pos = tr->positional;
	tr->scope = &top;
	tr->fn = fc;
	tr->positional = NULL;
	TRel res;
	bool ok = tr_select(tr, tree->stmts[0]->stmt->select_stmt, body, &res);
	tr->scope = saved_scope;
	tr->fn = saved_fn;
	tr->positional = saved_pos;
	if (ok && res.ncols != 1)
		ok = tr_fail(tr, "42P13", -1, "return type mismatch in function declared to return %s",
			     tr_type_name(fc->f->rettype));
	if (ok)
		tr_ttype_set(rt, res.cols[0].type, res.cols[0].typmod);
	if (ok && res.cols[0].untyped) {
		rt->unknown = true;
		rt->lit = NULL;
	}
	pg_query__parse_result__free_unpacked(tree, NULL);
	return ok && !tr->failed;
}

/* The inlined call of fc->f with its arguments args (n, coerced). */
static bool inline_call(Tr *tr, struct TFnCtx *fc, Buf *args, size_t n, Buf *out, TType *ty)
{
	Buf body, call;
	TType rt;
	buf_init(&body);
	buf_init(&call);
	bool ok = body_select(tr, fc, &body, &rt);
	if (ok) {
		buf_put_u8(&call, '(');
		if (n) {
			buf_printf(&call, "WITH \"%s\"(", fc->cte);
			for (size_t i = 0; i < n; i++)
				buf_printf(&call, "%s\"_p%zu\"", i ? ", " : "", i + 1);
			buf_put_str(&call, ") AS (SELECT ");
			for (size_t i = 0; i < n; i++) {
				if (i)
					buf_put_str(&call, ", ");
				tr_put_buf(&call, &args[i]);
			}
			buf_put_str(&call, ") SELECT * FROM (");
			tr_put_buf(&call, &body);
			buf_put_u8(&call, ')');
		} else {
			tr_put_buf(&call, &body);
		}
		buf_put_u8(&call, ')');
		ok = rt.oid == fc->f->rettype || tr_coerce(tr, &call, &rt, fc->f->rettype, fc->f->rettypmod, -1);
	}
	if (ok && fc->f->strict && n) {
		buf_put_str(out, "(CASE WHEN ");
		for (size_t i = 0; i < n; i++) {
			buf_put_str(out, i ? " OR " : "");
			tr_put_buf(out, &args[i]);
			buf_put_str(out, " IS NULL");
		}
		buf_put_str(out, " THEN NULL ELSE ");
		tr_put_buf(out, &call);
		buf_put_str(out, " END)");
	} else if (ok) {
		tr_put_buf(out, &call);
	}
	tr_ttype_set(ty, fc->f->rettype, fc->f->rettypmod);
	buf_cleanup(&body);
	buf_cleanup(&call);
	return ok && !tr->failed;
}

int tr_sqlfunc_call(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty)
{
	const char *name = pgn_str(f->funcname[f->n_funcname - 1]);
	PgsFunc fs[MAX_OVERLOADS];
	int nf = pgs_catalog_functions(tr->ctx->cat, name, (int)f->n_args, fs, MAX_OVERLOADS);
	if (nf == 0)
		return -1;
	size_t n = f->n_args;
	Buf *bs = calloc(n + 1, sizeof(Buf));
	TType *ts = calloc(n + 1, sizeof(TType));
	bool ok = bs && ts;
	if (!ok)
		tr_fail(tr, "53200", f->location, "out of memory");
	if (ok && (f->agg_star || f->over || f->n_agg_order || f->agg_distinct || f->func_variadic || f->agg_filter))
		ok = tr_unsupported(tr, f->location, "this call of a SQL function");
	if (ok && tr->fn && tr->fn->depth >= MAX_DEPTH)
		ok = tr_fail(tr, "54001", f->location, "stack depth limit exceeded");
	size_t done = 0;
	for (; ok && done < n; done++) {
		buf_init(&bs[done]);
		ok = tr_expr(tr, f->args[done], &bs[done], &ts[done]);
	}
	const PgsFunc *hit = ok ? pick(tr, name, fs, nf, ts, f->location) : NULL;
	for (size_t i = 0; hit && i < n && !tr->failed; i++)
		if (ts[i].oid != hit->argtypes[i] || ts[i].unknown || ts[i].param)
			tr_coerce(tr, &bs[i], &ts[i], hit->argtypes[i], -1, f->location);
	if (hit && !tr->failed) {
		struct TFnCtx fc = {.f = hit, .name = name, .depth = tr->fn ? tr->fn->depth + 1 : 1};
		snprintf(fc.cte, sizeof(fc.cte), "_dosql_f%d", ++tr->fn_seq);
		ok = inline_call(tr, &fc, bs, n, out, ty);
	} else {
		ok = false;
	}
	for (size_t i = 0; bs && i < done; i++)
		buf_cleanup(&bs[i]);
	free(bs);
	free(ts);
	for (int i = 0; i < nf; i++)
		pgs_func_cleanup(&fs[i]);
	return ok && !tr->failed ? 1 : 0;
}
