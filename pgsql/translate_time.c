/*
 * translate_time.c - operators over date, time, timestamp(tz) and
 * interval, and the functions with typed signatures (date/time and
 * string functions): overloads resolved as PostgreSQL resolves them (an
 * exact match first, then implicit casts in the order listed), arguments
 * coerced to the chosen signature, the SQLite function that computes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgident.h"
#include "common/pgnode.h"
#include "pgsql/numeric_math.h"
#include "pgsql/pgtime_ops.h"
#include "pgsql/translate_int.h"

#define TEXTARR 1009
#define ANYV 0xFFFFFFFF /* any type, shown as text */

typedef struct Sig {
	const char *pg;
	int nargs; /* -1: variadic "any" after the first argument */
	uint32_t args[7];
	uint32_t ret;
	const char *fn;	   /* SQLite function */
	const char *extra; /* appended after the arguments, or NULL */
	uint32_t as[7];	   /* coerce argument i to this instead (0: its type) */
} Sig;

#define I4 PGT_INT4
#define I8 PGT_INT8
#define F8 PGT_FLOAT8
#define TX PGT_TEXT
#define TS PGT_TIMESTAMP
#define TZ PGT_TIMESTAMPTZ
#define DT PGT_DATE
#define TM PGT_TIME
#define IV PGT_INTERVAL
#define NU PGT_NUMERIC

static const Sig sigs[] = {
	{"date_part", 2, {TX, TZ}, F8, "pg_extract", "1073742988", {0}},   /* 1184 | FLOAT */
	{"date_part", 2, {TX, TS}, F8, "pg_extract", "1073742938", {0}},   /* 1114 | FLOAT */
	{"date_part", 2, {TX, DT}, F8, "pg_extract", "1073742938", {0, TS}},
	{"date_part", 2, {TX, TM}, F8, "pg_extract", "1073742907", {0}},   /* 1083 | FLOAT */
	{"date_part", 2, {TX, IV}, F8, "pg_extract", "1073743010", {0}},   /* 1186 | FLOAT */
	{"extract", 2, {TX, TZ}, PGT_NUMERIC, "pg_extract", "1184", {0}},
	{"extract", 2, {TX, TS}, PGT_NUMERIC, "pg_extract", "1114", {0}},
	{"extract", 2, {TX, DT}, PGT_NUMERIC, "pg_extract", "1082", {0}},
	{"extract", 2, {TX, TM}, PGT_NUMERIC, "pg_extract", "1083", {0}},
	{"extract", 2, {TX, IV}, PGT_NUMERIC, "pg_extract", "1186", {0}},
	{"date_trunc", 2, {TX, TZ}, TZ, "pg_date_trunc", "1184", {0}},
	{"date_trunc", 2, {TX, TS}, TS, "pg_date_trunc", "1114", {0}},
	{"date_trunc", 2, {TX, IV}, IV, "pg_date_trunc", "1186", {0}},
	{"date_trunc", 3, {TX, TZ, TX}, TZ, "pg_date_trunc", "1184", {0}},
	{"age", 2, {TZ, TZ}, IV, "pg_age", "1184", {0}},
	{"age", 2, {TS, TS}, IV, "pg_age", "1114", {0}},
	{"age", 1, {TZ}, IV, "pg_age", "1184", {0}},
	{"age", 1, {TS}, IV, "pg_age", "1114", {0}},
	{"make_interval", 7, {I4, I4, I4, I4, I4, I4, F8}, IV, "pg_make_interval", NULL, {0}},
	{"make_date", 3, {I4, I4, I4}, DT, "pg_make_date", NULL, {0}},
	{"make_time", 3, {I4, I4, F8}, TM, "pg_make_time", NULL, {0}},
	{"make_timestamp", 6, {I4, I4, I4, I4, I4, F8}, TS, "pg_make_timestamp", NULL, {0}},
	{"make_timestamptz", 6, {I4, I4, I4, I4, I4, F8}, TZ, "pg_make_timestamptz", NULL, {0}},
	{"make_timestamptz", 7, {I4, I4, I4, I4, I4, F8, TX}, TZ, "pg_make_timestamptz", NULL, {0}},
	{"justify_days", 1, {IV}, IV, "pg_justify", "0", {0}},
	{"justify_hours", 1, {IV}, IV, "pg_justify", "1", {0}},
	{"justify_interval", 1, {IV}, IV, "pg_justify", "2", {0}},
	{"date_bin", 3, {IV, TZ, TZ}, TZ, "pg_date_bin", "1184", {0}},
	{"date_bin", 3, {IV, TS, TS}, TS, "pg_date_bin", "1114", {0}},
	{"timezone", 2, {TX, TZ}, TS, "pg_timezone", "0, 1184", {0}},
	{"timezone", 2, {TX, TS}, TZ, "pg_timezone", "0, 1114", {0}},
	{"timezone", 2, {IV, TZ}, TS, "pg_timezone", "1, 1184", {0}},
	{"timezone", 2, {IV, TS}, TZ, "pg_timezone", "1, 1114", {0}},
	{"to_timestamp", 1, {F8}, TZ, "pg_to_timestamp_epoch", NULL, {0}},
	{"to_timestamp", 2, {TX, TX}, TZ, "pg_to_timestamp", "0", {0}},
	{"to_date", 2, {TX, TX}, DT, "pg_to_timestamp", "1", {0}},
	{"to_number", 2, {TX, TX}, NU, "pg_to_number", NULL, {0}},
	{"to_char", 2, {TZ, TX}, TX, "pg_to_char", "1184", {0}},
	{"to_char", 2, {TS, TX}, TX, "pg_to_char", "1114", {0}},
	{"to_char", 2, {IV, TX}, TX, "pg_to_char", "1186", {0}},
	{"to_char", 2, {PGT_NUMERIC, TX}, TX, "pg_to_char", "1700", {0}},
	{"to_char", 2, {I4, TX}, TX, "pg_to_char", "1700", {0}},
	{"to_char", 2, {I8, TX}, TX, "pg_to_char", "1700", {0}},
	{"to_char", 2, {PGT_INT2, TX}, TX, "pg_to_char", "1700", {0}},
	{"to_char", 2, {F8, TX}, TX, "pg_to_char", "701", {0}},
	{"to_char", 2, {PGT_FLOAT4, TX}, TX, "pg_to_char", "701", {0}},
	{"isfinite", 1, {DT}, PGT_BOOL, "pg_isfinite", "1082", {0}},
	{"isfinite", 1, {TZ}, PGT_BOOL, "pg_isfinite", "1184", {0}},
	{"isfinite", 1, {TS}, PGT_BOOL, "pg_isfinite", "1114", {0}},
	{"isfinite", 1, {IV}, PGT_BOOL, "pg_isfinite", "1186", {0}},
	{"position", 2, {TX, TX}, I4, "instr", NULL, {0}},
	{"position", 2, {PGT_BYTEA, PGT_BYTEA}, I4, "instr", NULL, {0}},
	{"split_part", 3, {TX, TX, I4}, TX, "pg_split_part", NULL, {0}},
	{"overlay", 4, {TX, TX, I4, I4}, TX, "pg_overlay", NULL, {0}},
	{"overlay", 3, {TX, TX, I4}, TX, "pg_overlay", NULL, {0}},
	{"translate", 3, {TX, TX, TX}, TX, "pg_translate", NULL, {0}},
	{"starts_with", 2, {TX, TX}, PGT_BOOL, "pg_starts_with", NULL, {0}},
	{"string_to_array", 2, {TX, TX}, TEXTARR, "pg_string_to_array", NULL, {0}},
	{"string_to_array", 3, {TX, TX, TX}, TEXTARR, "pg_string_to_array", NULL, {0}},
	{"chr", 1, {I4}, TX, "pg_chr", NULL, {0}},
	{"ascii", 1, {TX}, I4, "pg_ascii", NULL, {0}},
	{"to_hex", 1, {I4}, TX, "pg_to_hex", "4", {0}},
	{"to_hex", 1, {I8}, TX, "pg_to_hex", "8", {0}},
	{"quote_literal", 1, {TX}, TX, "pg_quote_literal", NULL, {0}},
	{"quote_nullable", 1, {TX}, TX, "pg_quote_nullable", NULL, {0}},
	{"quote_literal", 1, {ANYV}, TX, "pg_quote_literal", NULL, {0}},
	{"quote_nullable", 1, {ANYV}, TX, "pg_quote_nullable", NULL, {0}},
	{"sha256", 1, {PGT_BYTEA}, PGT_BYTEA, "pg_sha", "256", {0}},
	{"sha224", 1, {PGT_BYTEA}, PGT_BYTEA, "pg_sha", "224", {0}},
	{"sha384", 1, {PGT_BYTEA}, PGT_BYTEA, "pg_sha", "384", {0}},
	{"sha512", 1, {PGT_BYTEA}, PGT_BYTEA, "pg_sha", "512", {0}},
	{"encode", 2, {PGT_BYTEA, TX}, TX, "pg_encode", NULL, {0}},
	{"decode", 2, {TX, TX}, PGT_BYTEA, "pg_decode", NULL, {0}},
	{"concat_ws", -1, {TX}, TX, "pg_concat_ws", NULL, {0}},
	{"concat", -1, {ANYV}, TX, "pg_concat", NULL, {0}},
	{"format", -1, {TX}, TX, "pg_format", NULL, {0}},
	{"bit_length", 1, {TX}, I4, "pg_bit_length", NULL, {0}},
	{"regexp_match", 2, {TX, TX}, TEXTARR, "pg_regexp_match", NULL, {0}},
	{"regexp_match", 3, {TX, TX, TX}, TEXTARR, "pg_regexp_match", NULL, {0}},
	{"regexp_split_to_array", 2, {TX, TX}, TEXTARR, "pg_regexp_split", NULL, {0}},
	{"regexp_split_to_array", 3, {TX, TX, TX}, TEXTARR, "pg_regexp_split", NULL, {0}},
	{"regexp_count", 2, {TX, TX}, I4, "pg_regexp_count", NULL, {0}},
	{"regexp_count", 3, {TX, TX, I4}, I4, "pg_regexp_count", NULL, {0}},
	{"regexp_count", 4, {TX, TX, I4, TX}, I4, "pg_regexp_count", NULL, {0}},
	{"regexp_instr", 2, {TX, TX}, I4, "pg_regexp_instr", NULL, {0}},
	{"regexp_instr", 3, {TX, TX, I4}, I4, "pg_regexp_instr", NULL, {0}},
	{"regexp_instr", 4, {TX, TX, I4, I4}, I4, "pg_regexp_instr", NULL, {0}},
	{"regexp_instr", 5, {TX, TX, I4, I4, I4}, I4, "pg_regexp_instr", NULL, {0}},
	{"regexp_instr", 6, {TX, TX, I4, I4, I4, TX}, I4, "pg_regexp_instr", NULL, {0}},
	{"regexp_instr", 7, {TX, TX, I4, I4, I4, TX, I4}, I4, "pg_regexp_instr", NULL, {0}},
	{"regexp_substr", 2, {TX, TX}, TX, "pg_regexp_substr", NULL, {0}},
	{"regexp_substr", 3, {TX, TX, I4}, TX, "pg_regexp_substr", NULL, {0}},
	{"regexp_substr", 4, {TX, TX, I4, I4}, TX, "pg_regexp_substr", NULL, {0}},
	{"regexp_substr", 5, {TX, TX, I4, I4, TX}, TX, "pg_regexp_substr", NULL, {0}},
	{"regexp_substr", 6, {TX, TX, I4, I4, TX, I4}, TX, "pg_regexp_substr", NULL, {0}},
	{"regexp_like", 2, {TX, TX}, PGT_BOOL, "pg_regexp_like", NULL, {0}},
	{"regexp_like", 3, {TX, TX, TX}, PGT_BOOL, "pg_regexp_like", NULL, {0}},
	{"like_escape", 2, {TX, TX}, TX, "pg_like_escape", NULL, {0}},
	{"similar_to_escape", 1, {TX}, TX, "pg_similar_escape", NULL, {0}},
	{"_dosql_similar_substring", 3, {TX, TX, TX}, TX, "pg_similar_substring", NULL, {0}},
	{"similar_to_escape", 2, {TX, TX}, TX, "pg_similar_escape", NULL, {0}},
	{"overlaps", 4, {TZ, TZ, TZ, TZ}, PGT_BOOL, "pg_overlaps", "1184", {0}},
	{"overlaps", 4, {TS, TS, TS, TS}, PGT_BOOL, "pg_overlaps", "1114", {0}},
	{"overlaps", 4, {TM, TM, TM, TM}, PGT_BOOL, "pg_overlaps", "1083", {0}},
	/* numeric_math.c (codes NM_*); double precision first, as PostgreSQL
	 * prefers it for integer arguments */
	{"sqrt", 1, {F8}, F8, "pg_sqrt", NULL, {0}},
	{"sqrt", 1, {NU}, NU, "pg_num_math", "0", {0}},
	{"exp", 1, {F8}, F8, "pg_float_math", "1", {0}},
	{"exp", 1, {NU}, NU, "pg_num_math", "1", {0}},
	{"ln", 1, {F8}, F8, "pg_float_math", "2", {0}},
	{"ln", 1, {NU}, NU, "pg_num_math", "2", {0}},
	{"log10", 1, {F8}, F8, "pg_float_math", "3", {0}},
	{"log10", 1, {NU}, NU, "pg_num_math", "3", {0}},
	{"log", 1, {F8}, F8, "pg_float_math", "3", {0}},
	{"log", 1, {NU}, NU, "pg_num_math", "3", {0}},
	{"log", 2, {NU, NU}, NU, "pg_num_math2", "4", {0}},
	{"power", 2, {F8, F8}, F8, "pg_float_pow", NULL, {0}},
	{"power", 2, {NU, NU}, NU, "pg_num_math2", "5", {0}},
	{"pow", 2, {F8, F8}, F8, "pg_float_pow", NULL, {0}},
	{"sinh", 1, {F8}, F8, "pg_float_math", "6", {0}},
	{"cosh", 1, {F8}, F8, "pg_float_math", "7", {0}},
	{"tanh", 1, {F8}, F8, "pg_float_math", "8", {0}},
	{"asinh", 1, {F8}, F8, "pg_float_math", "9", {0}},
	{"acosh", 1, {F8}, F8, "pg_float_math", "10", {0}},
	{"atanh", 1, {F8}, F8, "pg_float_math", "11", {0}},
	{"cbrt", 1, {F8}, F8, "pg_float_math", "12", {0}},
	{"pow", 2, {NU, NU}, NU, "pg_num_math2", "5", {0}},
	/* numeric_funcs.c (codes NF_*) */
	{"scale", 1, {NU}, I4, "pg_numfn", "0", {0}},
	{"min_scale", 1, {NU}, I4, "pg_numfn", "1", {0}},
	{"trim_scale", 1, {NU}, NU, "pg_numfn", "2", {0}},
	{"sign", 1, {F8}, F8, "pg_numfn", "9", {0}},
	{"sign", 1, {NU}, NU, "pg_numfn", "3", {0}},
	{"div", 2, {NU, NU}, NU, "pg_numfn", "4", {0}},
	{"width_bucket", 4, {F8, F8, F8, I4}, I4, "pg_numfn", "10", {0}},
	{"width_bucket", 4, {NU, NU, NU, I4}, I4, "pg_numfn", "5", {0}},
	{"factorial", 1, {I8}, NU, "pg_numfn", "6", {0}},
	{"gcd", 2, {I4, I4}, I4, "pg_numfn", "407", {0}},
	{"gcd", 2, {I8, I8}, I8, "pg_numfn", "807", {0}},
	{"gcd", 2, {NU, NU}, NU, "pg_numfn", "7", {0}},
	{"lcm", 2, {I4, I4}, I4, "pg_numfn", "408", {0}},
	{"lcm", 2, {I8, I8}, I8, "pg_numfn", "808", {0}},
	{"lcm", 2, {NU, NU}, NU, "pg_numfn", "8", {0}},
	{"float4send", 1, {PGT_FLOAT4}, PGT_BYTEA, "pg_numfn", "11", {0}},
	{"float8send", 1, {F8}, PGT_BYTEA, "pg_numfn", "12", {0}},
};

/* The rank of a datetime type in date < timestamp < timestamptz, 0 for
 * others. */
static int dt_rank(uint32_t t) { return t == PGT_DATE ? 1 : t == PGT_TIMESTAMP ? 2 : t == PGT_TIMESTAMPTZ ? 3 : 0; }

/* Whether a value of type from is implicitly castable to type to. */
static bool implicit(uint32_t from, uint32_t to)
{
	if (from == to || to == ANYV)
		return true;
	if (tr_is_int_type(from) && from != PGT_OID)
		return to == PGT_INT8 || to == PGT_NUMERIC || to == PGT_FLOAT8 || to == PGT_FLOAT4 ||
		       (to == PGT_INT4 && from == PGT_INT2);
	if (from == PGT_NUMERIC || from == PGT_FLOAT4)
		return to == PGT_FLOAT8 || (from == PGT_NUMERIC && to == PGT_FLOAT4);
	if (from == PGT_DATE)
		return to == PGT_TIMESTAMP || to == PGT_TIMESTAMPTZ;
	if (from == PGT_TIMESTAMP)
		return to == PGT_TIMESTAMPTZ;
	if (from == PGT_TIME)
		return to == PGT_INTERVAL;
	if (tr_is_text_type(from) || from == PGT_NAME)
		return to == PGT_TEXT;
	return false;
}

bool tr_sig_known(const char *name)
{
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(sigs[i].pg, name) == 0 && sigs[i].fn)
			return true;
	return false;
}

/* The signature of name for the argument types ts: an exact match, else
 * of those the arguments cast to implicitly the one with the most exact
 * matches (the first listed of equals). */
static const Sig *resolve(const char *name, size_t n, const TType *ts)
{
	for (int pass = 0; pass < 2; pass++) {
		const Sig *best = NULL;
		int best_exact = -1;
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			const Sig *s = &sigs[i];
			if (strcmp(s->pg, name) != 0 || !s->fn)
				continue;
			if (s->nargs < 0 ? n < 1 : (size_t)s->nargs != n)
				continue;
			size_t fixed = s->nargs < 0 ? 1 : n;
			bool ok = true;
			int exact = 0;
			for (size_t k = 0; k < fixed && ok; k++) {
				if (ts[k].unknown || ts[k].param)
					continue;
				bool same = ts[k].oid == s->args[k] || (tr_is_text_type(ts[k].oid) && s->args[k] == TX);
				exact += same;
				ok = pass == 0 ? same : implicit(ts[k].oid, s->args[k]);
			}
			if (ok && pass == 0)
				return s;
			if (ok && exact > best_exact)
				best = s, best_exact = exact;
		}
		if (best)
			return best;
	}
	return NULL;
}

static void put_types(Buf *b, size_t n, const TType *ts)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", ts[i].unknown ? "unknown" : tr_type_name(ts[i].oid));
}

bool tr_named_args(const PgQuery__FuncCall *f, const char *const *names, size_t n, Node **argn)
{
	memset(argn, 0, sizeof(Node *) * n);
	for (size_t i = 0; i < f->n_args; i++) {
		Node *a = f->args[i];
		size_t k = i;
		if (a->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
			for (k = 0; k < n && strcmp(names[k], a->named_arg_expr->name) != 0; k++)
				;
			a = a->named_arg_expr->arg;
		}
		if (k >= n || argn[k])
			return false;
		argn[k] = a;
	}
	return true;
}

/* make_interval(years, months, weeks, days, hours, mins, secs), each
 * argument positional or named. */
static bool make_interval(Tr *tr, PgQuery__FuncCall *f, Buf *out, TType *ty)
{
	static const char *const names[] = {"years", "months", "weeks", "days", "hours", "mins", "secs"};
	Node *argn[7];
	if (!tr_named_args(f, names, 7, argn))
		return tr_fail(tr, "42883", f->location, "function make_interval does not exist");
	buf_put_str(out, "pg_make_interval(");
	for (int k = 0; k < 7; k++) {
		if (k)
			buf_put_str(out, ", ");
		if (!argn[k]) {
			buf_put_u8(out, '0');
			continue;
		}
		Buf ab;
		TType at;
		buf_init(&ab);
		bool ok = tr_expr(tr, argn[k], &ab, &at) &&
			  tr_coerce(tr, &ab, &at, k == 6 ? PGT_FLOAT8 : PGT_INT4, -1, f->location);
		tr_put_buf(out, &ab);
		buf_cleanup(&ab);
		if (!ok || tr->failed)
			return false;
	}
	buf_put_u8(out, ')');
	tr_ttype_set(ty, PGT_INTERVAL, -1);
	return true;
}

/* (a, b) OVERLAPS (c, d) where b or d is an interval: the end is the start
 * plus the interval; the four then share the widest type. */
static bool overlaps_ends(Tr *tr, Buf *bs, TType *ts, int loc)
{
	uint32_t w = 0;
	for (int i = 0; i < 4; i++)
		if (!ts[i].unknown && !ts[i].param && ts[i].oid != PGT_INTERVAL &&
		    (w == 0 || (dt_rank(ts[i].oid) > dt_rank(w))))
			w = ts[i].oid;
	if (w == PGT_DATE)
		w = PGT_TIMESTAMP;
	if (w == 0)
		return true;
	for (int i = 0; i < 4; i += 2) {
		if (!tr_coerce(tr, &bs[i], &ts[i], w, -1, loc))
			return false;
		if (ts[i + 1].oid != PGT_INTERVAL || ts[i + 1].unknown)
			continue;
		Buf e;
		buf_init(&e);
		buf_printf(&e, "pg_dt_op(%d, ", w == PGT_TIME ? DTOP_TIME_PL_ITV : w == PGT_TIMESTAMPTZ ? DTOP_TSTZ_PL_ITV : DTOP_TS_PL_ITV);
		tr_put_buf(&e, &bs[i]);
		buf_put_str(&e, ", ");
		tr_put_buf(&e, &bs[i + 1]);
		buf_put_u8(&e, ')');
		buf_reset(&bs[i + 1]);
		tr_put_buf(&bs[i + 1], &e);
		buf_cleanup(&e);
		tr_ttype_set(&ts[i + 1], w, -1);
	}
	return !tr->failed;
}

void tr_numeric_at_typmod(Buf *b, TType *t)
{
	if (t->oid != PGT_NUMERIC || t->typmod < 4)
		return;
	Buf w;
	buf_init(&w);
	buf_put_str(&w, "pg_numtext(");
	tr_put_buf(&w, b);
	buf_printf(&w, ", %d)", t->typmod);
	buf_reset(b);
	tr_put_buf(b, &w);
	buf_cleanup(&w);
	t->typmod = -1;
}

int tr_prefix_special(Tr *tr, const char *op, Buf *rb, TType *rt, int loc, Buf *out, TType *ty)
{
	if (strcmp(op, "-") == 0 && rt->oid == PGT_INTERVAL && !rt->unknown)
		return tr_time_negate(tr, rb, rt, out, ty);
	if (strcmp(op, "|/") != 0 && strcmp(op, "||/") != 0)
		return -1;
	if (!rt->unknown && !rt->param && !implicit(rt->oid, F8))
		return tr_fail(tr, "42883", loc, "operator does not exist: %s %s", op, tr_type_name(rt->oid));
	if (!tr_coerce(tr, rb, rt, F8, -1, loc))
		return 0;
	buf_put_str(out, op[1] == '/' ? "pg_sqrt(" : "pg_float_math(");
	tr_put_buf(out, rb);
	buf_printf(out, op[1] == '/' ? ")" : ", %d)", NM_CBRT);
	tr_ttype_set(ty, F8, -1);
	return !tr->failed;
}

/* The function calls of sigs[]: false with an error when no signature
 * fits (42883, or 42725 when an untyped literal leaves it open). */
bool tr_sig_call(Tr *tr, PgQuery__FuncCall *f, const char *name, Buf *out, TType *ty)
{
	if (f->agg_star || f->agg_distinct || f->over || f->agg_filter || f->n_agg_order)
		return tr_unsupported(tr, f->location, "this use of a date/time or string function");
	PgQuery__FuncCall vf;
	int v = f->func_variadic ? tr_variadic_expand(tr, f, name, &vf, out, ty) : -1;
	if (v >= 0)
		return v > 0 && !tr->failed;
	if (f->func_variadic)
		f = &vf;
	if (strcmp(name, "make_interval") == 0)
		return make_interval(tr, f, out, ty);
	size_t n = f->n_args;
	if (n > 64)
		return tr_fail(tr, "54023", f->location, "cannot pass more than 100 arguments to a function");
	Buf bs[65];
	TType ts[65] = {0};
	bool ok = true;
	for (size_t i = 0; i < n; i++)
		buf_init(&bs[i]);
	for (size_t i = 0; i < n && ok; i++)
		ok = tr_expr(tr, f->args[i], &bs[i], &ts[i]);
	if (ok && strcmp(name, "overlaps") == 0 && n == 4)
		ok = overlaps_ends(tr, bs, ts, f->location);
	const Sig *s = ok ? resolve(name, n, ts) : NULL;
	if (ok && !s) {
		Buf m;
		buf_init(&m);
		put_types(&m, n, ts);
		buf_put_u8(&m, 0);
		ok = tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name, (const char *)m.data);
		buf_cleanup(&m);
	}
	if (ok && strcmp(name, "age") == 0 && n == 1) {
		/* age(x) is age(current_date at midnight, x) */
		Buf nb;
		buf_init(&nb);
		ok = tr_coerce(tr, &bs[0], &ts[0], s->args[0], -1, f->location);
		if (ok) {
			buf_printf(&nb, "pg_age(pg_cast(pg_cast(pg_now(), %d, -1), %u, -1), ", PGT_DATE, s->args[0]);
			tr_put_buf(&nb, &bs[0]);
			buf_printf(&nb, ", %s)", s->extra);
			tr_put_buf(out, &nb);
			tr_ttype_set(ty, PGT_INTERVAL, -1);
		}
		buf_cleanup(&nb);
		s = NULL; /* done */
	}
	if (ok && s) {
		size_t start = out->len;
		buf_printf(out, "%s(", s->fn);
		for (size_t i = 0; i < n && ok; i++) {
			size_t k = s->nargs < 0 && i > 0 ? 7 : i;
			uint32_t want = k < 7 ? (s->as[k] ? s->as[k] : s->args[k]) : ANYV;
			if (want == ANYV) {
				/* "any": the value's output text, as the output function
				 * gives it */
				tr_settle(tr, &bs[i], &ts[i]);
				if (!tr_is_text_type(ts[i].oid)) {
					Buf wb;
					buf_init(&wb);
					buf_put_str(&wb, "pg_out(");
					tr_put_buf(&wb, &bs[i]);
					buf_printf(&wb, ", %u, %d)", ts[i].oid, ts[i].typmod);
					buf_reset(&bs[i]);
					tr_put_buf(&bs[i], &wb);
					buf_cleanup(&wb);
				}
			} else {
				ok = tr_coerce(tr, &bs[i], &ts[i], want, -1, f->location);
				if (ok && want == PGT_NUMERIC && ts[i].typmod >= 4)
					tr_numeric_at_typmod(&bs[i], &ts[i]);
			}
			buf_put_str(out, i ? ", " : "");
			tr_put_buf(out, &bs[i]);
		}
		if (s->extra)
			buf_printf(out, "%s%s", n ? ", " : "", s->extra);
		buf_put_u8(out, ')');
		tr_ttype_set(ty, s->ret, -1);
		if (ok && tr_strict_call_folds(name, f)) {
			tr_never_evaluated_from(out, start);
			ty->null_const = true;
		}
	}
	for (size_t i = 0; i < n; i++)
		buf_cleanup(&bs[i]);
	return ok && !tr->failed;
}

/* ------------------------------------------------------------ operators */

static void emit_op(Buf *out, int op, Buf *lb, Buf *rb)
{
	buf_printf(out, "pg_dt_op(%d, ", op);
	tr_put_buf(out, lb);
	buf_put_str(out, ", ");
	tr_put_buf(out, rb);
	buf_put_u8(out, ')');
}

bool tr_is_time_type(uint32_t t)
{
	return t == PGT_DATE || t == PGT_TIME || t == PGT_TIMETZ || t == PGT_TIMESTAMP || t == PGT_TIMESTAMPTZ ||
	       t == PGT_INTERVAL;
}


/* Operator op between operands of which at least one is a date/time type
 * (unified already): 1 translated, 0 failed, -1 not a date/time operator
 * (the caller goes on).  Comparisons across date, timestamp and
 * timestamptz compare in the wider type. */
int tr_time_binop(Tr *tr, const char *op, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty)
{
	uint32_t l = lt->oid, r = rt->oid;
	bool cmp = strcmp(op, "=") == 0 || strcmp(op, "<>") == 0 || strcmp(op, "!=") == 0 || strcmp(op, "<") == 0 ||
		   strcmp(op, ">") == 0 || strcmp(op, "<=") == 0 || strcmp(op, ">=") == 0;
	if (cmp) {
		if (l != r && dt_rank(l) && dt_rank(r)) {
			uint32_t w = dt_rank(l) > dt_rank(r) ? l : r;
			if (!tr_coerce(tr, lb, lt, w, -1, loc) || !tr_coerce(tr, rb, rt, w, -1, loc))
				return 0;
		}
		return -1;
	}
	if (op[1] != 0 || !strchr("+-*/", op[0]))
		return -1;
	char o = op[0];
	bool num_r = tr_is_numeric_type(r), num_l = tr_is_numeric_type(l);
	int code = 0;
	uint32_t res = 0;
	if (l == PGT_DATE && tr_is_int_type(r) && (o == '+' || o == '-')) {
		code = o == '+' ? DTOP_DATE_PL_INT : DTOP_DATE_MI_INT, res = PGT_DATE;
	} else if (tr_is_int_type(l) && r == PGT_DATE && o == '+') {
		emit_op(out, DTOP_DATE_PL_INT, rb, lb);
		tr_ttype_set(ty, PGT_DATE, -1);
		return 1;
	} else if (l == PGT_DATE && r == PGT_DATE && o == '-') {
		code = DTOP_DATE_MI_DATE, res = PGT_INT4;
	} else if ((l == PGT_DATE && r == PGT_TIME && o == '+') || (l == PGT_TIME && r == PGT_DATE && o == '+')) {
		if (l == PGT_DATE)
			emit_op(out, DTOP_DATE_PL_TIME, lb, rb);
		else
			emit_op(out, DTOP_DATE_PL_TIME, rb, lb);
		tr_ttype_set(ty, PGT_TIMESTAMP, -1);
		return 1;
	} else if (dt_rank(l) && r == PGT_INTERVAL && (o == '+' || o == '-')) {
		if (l == PGT_DATE && !tr_coerce(tr, lb, lt, PGT_TIMESTAMP, -1, loc))
			return 0;
		bool tz = lt->oid == PGT_TIMESTAMPTZ;
		code = tz ? (o == '+' ? DTOP_TSTZ_PL_ITV : DTOP_TSTZ_MI_ITV) : (o == '+' ? DTOP_TS_PL_ITV : DTOP_TS_MI_ITV);
		res = lt->oid;
	} else if (l == PGT_INTERVAL && dt_rank(r) && o == '+') {
		if (r == PGT_DATE && !tr_coerce(tr, rb, rt, PGT_TIMESTAMP, -1, loc))
			return 0;
		emit_op(out, rt->oid == PGT_TIMESTAMPTZ ? DTOP_TSTZ_PL_ITV : DTOP_TS_PL_ITV, rb, lb);
		tr_ttype_set(ty, rt->oid, -1);
		return 1;
	} else if (dt_rank(l) >= 2 && dt_rank(r) >= 2 && o == '-') {
		uint32_t w = dt_rank(l) > dt_rank(r) ? l : r;
		if (!tr_coerce(tr, lb, lt, w, -1, loc) || !tr_coerce(tr, rb, rt, w, -1, loc))
			return 0;
		code = w == PGT_TIMESTAMPTZ ? DTOP_TSTZ_MI_TSTZ : DTOP_TS_MI_TS, res = PGT_INTERVAL;
	} else if ((dt_rank(l) == 1 && dt_rank(r) >= 2) || (dt_rank(l) >= 2 && dt_rank(r) == 1)) {
		if (o != '-')
			goto none;
		uint32_t w = dt_rank(l) > dt_rank(r) ? l : r;
		if (!tr_coerce(tr, lb, lt, w, -1, loc) || !tr_coerce(tr, rb, rt, w, -1, loc))
			return 0;
		code = w == PGT_TIMESTAMPTZ ? DTOP_TSTZ_MI_TSTZ : DTOP_TS_MI_TS, res = PGT_INTERVAL;
	} else if (l == PGT_TIME && r == PGT_INTERVAL && (o == '+' || o == '-')) {
		code = o == '+' ? DTOP_TIME_PL_ITV : DTOP_TIME_MI_ITV, res = PGT_TIME;
	} else if (l == PGT_INTERVAL && r == PGT_TIME && o == '+') {
		emit_op(out, DTOP_TIME_PL_ITV, rb, lb);
		tr_ttype_set(ty, PGT_TIME, -1);
		return 1;
	} else if (l == PGT_TIME && r == PGT_TIME && o == '-') {
		code = DTOP_TIME_MI_TIME, res = PGT_INTERVAL;
	} else if (l == PGT_INTERVAL && r == PGT_INTERVAL && (o == '+' || o == '-')) {
		code = o == '+' ? DTOP_ITV_PL_ITV : DTOP_ITV_MI_ITV, res = PGT_INTERVAL;
	} else if (l == PGT_INTERVAL && num_r && (o == '*' || o == '/')) {
		code = o == '*' ? DTOP_ITV_MUL : DTOP_ITV_DIV, res = PGT_INTERVAL;
	} else if (num_l && r == PGT_INTERVAL && o == '*') {
		emit_op(out, DTOP_ITV_MUL, rb, lb);
		tr_ttype_set(ty, PGT_INTERVAL, -1);
		return 1;
	}
	if (code) {
		emit_op(out, code, lb, rb);
		tr_ttype_set(ty, res, -1);
		return 1;
	}
none:
	tr_fail(tr, "42883", loc, "operator does not exist: %s %s %s", tr_type_name(l), op, tr_type_name(r));
	return 0;
}

/* - interval. */
bool tr_time_negate(Tr *tr, Buf *rb, TType *rt, Buf *out, TType *ty)
{
	(void)tr;
	buf_printf(out, "pg_dt_op(%d, ", DTOP_ITV_NEG);
	tr_put_buf(out, rb);
	buf_put_str(out, ", 0)");
	*ty = *rt;
	ty->column = false;
	return true;
}

/* x SIMILAR TO p: x matched against p turned into a POSIX expression
 * (similar_to_escape), anchored at both ends. */
bool tr_similar(Tr *tr, PgQuery__AExpr *a, Buf *out, TType *ty)
{
	const char *op = a->n_name ? pgn_str(a->name[a->n_name - 1]) : "~";
	Buf lb, rb;
	TType lt, rt;
	buf_init(&lb);
	buf_init(&rb);
	bool ok = tr_expr(tr, a->lexpr, &lb, &lt) && tr_expr(tr, a->rexpr, &rb, &rt) &&
		  tr_coerce(tr, &lb, &lt, PGT_TEXT, -1, a->location) && tr_coerce(tr, &rb, &rt, PGT_TEXT, -1, a->location);
	if (ok) {
		buf_put_str(out, "(pg_regexp(");
		tr_put_buf(out, &lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, &rb);
		buf_printf(out, ", 0) = %d)", strcmp(op, "!~") == 0 ? 0 : 1);
		tr_ttype_set(ty, PGT_BOOL, -1);
	}
	buf_cleanup(&lb);
	buf_cleanup(&rb);
	return ok && !tr->failed;
}

/* The relation a set-returning function in FROM adds: alias (the
 * function's name by default), its column of type t and WITH
 * ORDINALITY's. */
static bool srf_rel(Tr *tr, PgQuery__RangeFunction *rf, const char *name, uint32_t t, const char **alias,
		    const char **col, const char **ordcol)
{
	*alias = rf->alias && pgn_has_str(rf->alias->aliasname) ? rf->alias->aliasname : name;
	*col = rf->alias && rf->alias->n_colnames ? pgn_str(rf->alias->colnames[0]) : *alias;
	*ordcol = rf->alias && rf->alias->n_colnames > 1 ? pgn_str(rf->alias->colnames[1]) : "ordinality";
	TRel *r = arena_alloc(tr->a, sizeof(*r));
	r->alias = arena_strdup(tr->a, *alias);
	r->ncols = rf->ordinality ? 2 : 1;
	r->cols = arena_alloc(tr->a, sizeof(TCol) * 2);
	r->cols[0].name = arena_strdup(tr->a, *col);
	r->cols[0].type = t;
	r->cols[0].typmod = -1;
	if (rf->ordinality) {
		r->cols[1].name = arena_strdup(tr->a, *ordcol);
		r->cols[1].type = PGT_INT8;
		r->cols[1].typmod = -1;
	}
	return tr_scope_add(tr, r, -1);
}

/* Whether generate_series of these arguments is the numeric one: one is
 * numeric, the others numeric, integers or untyped. */
static bool series_numeric(const TType *ts, size_t n)
{
	bool num = false;
	for (size_t i = 0; i < n; i++) {
		if (ts[i].unknown || ts[i].param || tr_is_int_type(ts[i].oid))
			continue;
		if (ts[i].oid != PGT_NUMERIC)
			return false;
		num = true;
	}
	return num;
}

/* generate_series(start, stop [, step]) over numeric, generate_series(start, stop, step interval) over timestamps (and dates,
 * as timestamps), regexp_split_to_table(s, pattern[, flags]) and
 * regexp_matches(s, pattern[, flags]) in FROM:
 * 1 translated, 0 failed, -1 not one of them. */
int tr_srf_time_text(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out)
{
	bool matches = strcmp(name, "regexp_matches") == 0 && (f->n_args == 2 || f->n_args == 3);
	bool split = (strcmp(name, "regexp_split_to_table") == 0 && (f->n_args == 2 || f->n_args == 3)) || matches;
	bool series = strcmp(name, "generate_series") == 0 && (f->n_args == 2 || f->n_args == 3);
	if (!split && !series)
		return -1;
	Buf bs[3];
	TType ts[3];
	bool ok = tr_args3(tr, f, bs, ts);
	int done = -1;
	uint32_t t = matches ? PGT_TEXTARRAY : PGT_TEXT;
	if (ok && series && series_numeric(ts, f->n_args)) {
		t = PGT_NUMERIC;
		for (size_t i = 0; i < f->n_args && ok; i++) {
			ok = tr_coerce(tr, &bs[i], &ts[i], PGT_NUMERIC, -1, f->location);
			tr_numeric_at_typmod(&bs[i], &ts[i]);
		}
		if (f->n_args == 2)
			buf_put_u8(&bs[2], '1');
	} else if (ok && series) {
		if (f->n_args != 3)
			goto out;
		t = ts[0].oid == PGT_DATE || ts[0].unknown ? PGT_TIMESTAMPTZ : ts[0].oid;
		if (ts[1].oid == PGT_TIMESTAMPTZ && !ts[1].unknown)
			t = PGT_TIMESTAMPTZ;
		if (ts[0].unknown && ts[1].unknown)
			t = 0;
		if (t != PGT_TIMESTAMP && t != PGT_TIMESTAMPTZ)
			goto out;
		ok = tr_coerce(tr, &bs[0], &ts[0], t, -1, f->location) && tr_coerce(tr, &bs[1], &ts[1], t, -1, f->location) &&
		     tr_coerce(tr, &bs[2], &ts[2], PGT_INTERVAL, -1, f->location);
	} else if (ok) {
		for (size_t i = 0; i < f->n_args && ok; i++)
			ok = tr_coerce(tr, &bs[i], &ts[i], PGT_TEXT, -1, f->location);
	}
	done = 0;
	if (!ok || tr->failed)
		goto out;
	const char *alias, *col, *ordcol;
	if (!srf_rel(tr, rf, name, t, &alias, &col, &ordcol))
		goto out;
	if (series) {
		/* numeric: the first value when pg_num_series_ok(start, stop, step),
		 * then pg_num_series_next(v, stop, step) until NULL (numeric_funcs.c) */
		int op = t == PGT_TIMESTAMPTZ ? DTOP_TSTZ_PL_ITV : DTOP_TS_PL_ITV;
		bool num = t == PGT_NUMERIC;
		Buf nx;
		buf_init(&nx);
		if (num)
			buf_printf(&nx, "pg_num_series_next(value, %s, %s)", buf_cstr(&bs[1]), buf_cstr(&bs[2]));
		else
			buf_printf(&nx, "pg_dt_op(%d, value, %s)", op, buf_cstr(&bs[2]));
		buf_printf(out, "(WITH RECURSIVE _series(value, n) AS (SELECT %s, 1 WHERE ", buf_cstr(&bs[0]));
		if (num)
			buf_printf(out, "pg_num_series_ok(%s, %s, %s) UNION ALL SELECT %s, n + 1 FROM _series WHERE value IS NOT NULL) SELECT value AS ",
				   buf_cstr(&bs[0]), buf_cstr(&bs[1]), buf_cstr(&bs[2]), buf_cstr(&nx));
		else
			buf_printf(out, "pg_series_ok(%s, %s, %s, %u) UNION ALL SELECT %s, n + 1 FROM _series WHERE pg_series_ok(%s, %s, %s, %u)) SELECT value AS ",
				   buf_cstr(&bs[0]), buf_cstr(&bs[1]), buf_cstr(&bs[2]), t, buf_cstr(&nx), buf_cstr(&nx),
				   buf_cstr(&bs[1]), buf_cstr(&bs[2]), t);
		buf_cleanup(&nx);
		pgs_put_ident(out, col);
		if (rf->ordinality) {
			buf_put_str(out, ", n AS ");
			pgs_put_ident(out, ordcol);
		}
		buf_put_str(out, num ? " FROM _series WHERE value IS NOT NULL) AS " : " FROM _series) AS ");
	} else {
		buf_put_str(out, "(SELECT CAST(value AS TEXT) AS ");
		pgs_put_ident(out, col);
		if (rf->ordinality) {
			buf_put_str(out, ", key + 1 AS ");
			pgs_put_ident(out, ordcol);
		}
		buf_printf(out, matches ? " FROM json_each(pg_regexp_matches(%s, %s%s%s))) AS "
					: " FROM json_each(pg_array_json(pg_regexp_split(%s, %s%s%s)))) AS ",
			   buf_cstr(&bs[0]), buf_cstr(&bs[1]), f->n_args > 2 ? ", " : "",
			   f->n_args > 2 ? buf_cstr(&bs[2]) : "");
	}
	pgs_put_ident(out, alias);
	done = 1;
out:
	for (size_t i = 0; i < 3; i++)
		buf_cleanup(&bs[i]);
	return done;
}

/* CURRENT_TIMESTAMP, LOCALTIMESTAMP, CURRENT_DATE (in the session zone),
 * CURRENT_USER and the other SQL value functions. */
bool tr_sql_value_function(Tr *tr, PgQuery__SQLValueFunction *f, Buf *out, TType *ty)
{
	switch (f->op) {
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N:
		buf_put_str(out, "pg_now()");
		tr_ttype_set(ty, PGT_TIMESTAMPTZ, -1);
		return true;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N:
		buf_printf(out, "pg_cast(pg_tz_local(pg_now()), %d, -1)", PGT_TIMESTAMP);
		tr_ttype_set(ty, PGT_TIMESTAMP, -1);
		return true;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE:
		buf_printf(out, "pg_cast(pg_tz_local(pg_now()), %d, -1)", PGT_DATE);
		tr_ttype_set(ty, PGT_DATE, -1);
		return true;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER:
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER:
		pgs_put_literal(out, tr->ctx->user ? tr->ctx->user : "dosql", strlen(tr->ctx->user ? tr->ctx->user : "dosql"));
		tr_ttype_set(ty, PGT_NAME, -1);
		return true;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG:
		buf_put_str(out, "pg_current_database()");
		tr_ttype_set(ty, PGT_NAME, -1);
		return true;
	case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA:
		buf_put_str(out, "pg_current_schema()");
		tr_ttype_set(ty, PGT_NAME, -1);
		return true;
	default:
		return tr_unsupported(tr, f->location, "CURRENT_TIME / LOCALTIME");
	}
}
