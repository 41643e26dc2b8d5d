/*
 * translate.c - PostgreSQL statements to SQLite SQL: name resolution,
 * typing, column naming and emission in one pass over the libpg_query tree.
 *
 * Each expression is emitted into its own buffer together with its PG type,
 * so the caller can still coerce it once it knows the context: a string
 * literal compared with an integer column is converted at translation time
 * (and a bad literal reported at its position, as PostgreSQL does), a $n
 * parameter takes the type of what it meets.
 */
#include "common/pgident.h"
#include "pgsql/translate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/decimal.h"
#include "pgsql/pgtype.h"
#include "pgsql/pgtype_format.h"

#include "pgsql/translate_int.h"


/* ------------------------------------------------------------ utilities */

int pgs_char_position(const char *src, int loc)
{
	if (loc < 0 || !src)
		return 0;
	int chars = 0;
	for (int i = 0; i < loc && src[i]; i++)
		if (((unsigned char)src[i] & 0xC0) != 0x80)
			chars++;
	return chars + 1;
}

bool tr_fail(Tr *tr, const char *sqlstate, int loc, const char *fmt, ...)
{
	if (tr->failed)
		return false;
	va_list ap;
	memset(tr->err, 0, sizeof(*tr->err));
	memcpy(tr->err->sqlstate, sqlstate, 5);
	va_start(ap, fmt);
	vsnprintf(tr->err->message, sizeof(tr->err->message), fmt, ap);
	va_end(ap);
	tr->err->position = pgs_char_position(tr->ctx->src, loc);
	tr->failed = true;
	return false;
}

bool tr_unsupported(Tr *tr, int loc, const char *what)
{
	return tr_fail(tr, "0A000", loc, "%s is not supported by DoSQL", what);
}

void pgs_put_ident(Buf *b, const char *name) { pgi_put_quoted(b, name); }

void pgs_put_literal(Buf *b, const char *s, size_t len)
{
	buf_put_u8(b, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			buf_put_u8(b, '\'');
		buf_put_u8(b, (uint8_t)s[i]);
	}
	buf_put_u8(b, '\'');
}

void tr_put_buf(Buf *dst, Buf *src) { buf_put(dst, src->data, src->len); }

void tr_wrap(Buf *b, const char *before, const char *after)
{
	Buf w;
	buf_init(&w);
	buf_put_str(&w, before);
	tr_put_buf(&w, b);
	buf_put_str(&w, after);
	buf_reset(b);
	tr_put_buf(b, &w);
	buf_cleanup(&w);
}

void tr_ttype_set(TType *t, uint32_t oid, int32_t typmod)
{
	memset(t, 0, sizeof(*t));
	t->oid = oid;
	t->typmod = typmod;
	t->lit_loc = -1;
}

bool tr_is_int_type(uint32_t t) { return t == PGT_INT2 || t == PGT_INT4 || t == PGT_INT8 || t == PGT_OID; }

bool tr_is_text_type(uint32_t t)
{
	return t == PGT_TEXT || t == PGT_VARCHAR || t == PGT_BPCHAR || t == PGT_NAME || t == PGT_CHAR ||
	       t == PGT_UNKNOWN;
}

bool tr_is_numeric_type(uint32_t t)
{
	return tr_is_int_type(t) || t == PGT_NUMERIC || t == PGT_FLOAT4 || t == PGT_FLOAT8;
}

/* The type's name as format_type_be spells it ("integer", "double precision",
 * "integer[]"), as pg_typeof and PostgreSQL's messages print it; the four most
 * recent names stay valid, enough for one message. */
const char *tr_type_name(uint32_t oid)
{
	static _Thread_local char names[4][64];
	static _Thread_local unsigned next;
	if (!pgt_by_oid(oid))
		return "unknown";
	Buf b;
	buf_init(&b);
	pgt_format_type(&b, oid, -1, false);
	char *name = names[next++ % 4];
	snprintf(name, sizeof(names[0]), "%s", buf_cstr(&b));
	buf_cleanup(&b);
	return name;
}

/* Emit a storage value as a SQLite literal. */
static void put_value_literal(Buf *b, const PgtValue *v)
{
	switch (v->type) {
	case SQLITE_NULL:
		buf_put_str(b, "NULL");
		break;
	case SQLITE_INTEGER:
		buf_printf(b, "%lld", (long long)v->i);
		break;
	case SQLITE_FLOAT:
		if (v->d != v->d)
			buf_put_str(b, "'NaN'");
		else if (v->d > 1.7976931348623157e308)
			buf_put_str(b, "9e999");
		else if (v->d < -1.7976931348623157e308)
			buf_put_str(b, "-9e999");
		else if (v->d == 0 && signbit(v->d))
			buf_put_str(b, "(-0.0)"); /* "-0" would be SQLite's integer 0 */
		else
			buf_printf(b, "%.17g", v->d);
		break;
	case SQLITE_TEXT:
		pgs_put_literal(b, (const char *)v->s.data, v->s.len);
		break;
	case SQLITE_BLOB:
		buf_put_str(b, "X'");
		for (size_t i = 0; i < v->s.len; i++)
			buf_printf(b, "%02x", v->s.data[i]);
		buf_put_u8(b, '\'');
		break;
	}
}

/* Rewrite the expression in b as a cast from type `from` to type `to`:
 * pg_out() to text, pg_cast() otherwise; numeric to an integer type is
 * rounded exactly first, as PostgreSQL's numeric_int4 does. */
static void wrap_cast(Buf *b, uint32_t from, int32_t from_typmod, uint32_t to, int32_t typmod)
{
	Buf nb;
	buf_init(&nb);
	if (to == PGT_TIME && (from == PGT_TIMESTAMP || from == PGT_TIMESTAMPTZ)) {
		/* the time of an infinite timestamp is NULL */
		tr_wrap(b, "nullif(nullif(", ", 'infinity'), '-infinity')");
	}
	if (from == PGT_TIMESTAMPTZ && (to == PGT_TIMESTAMP || to == PGT_DATE || to == PGT_TIME)) {
		/* the session's wall clock at that instant */
		buf_put_str(&nb, "pg_cast(pg_tz_local(");
		tr_put_buf(&nb, b);
		buf_printf(&nb, "), %u, %d)", to, typmod);
	} else if (to == PGT_TEXT || to == PGT_VARCHAR || to == PGT_BPCHAR) {
		if (from == PGT_BOOL) {
			/* booltext: 'true' and 'false', where output is 't' and 'f' */
			buf_put_str(&nb, "(CASE (");
			tr_put_buf(&nb, b);
			buf_put_str(&nb, ") WHEN 0 THEN 'false' WHEN 1 THEN 'true' END)");
		} else {
			buf_put_str(&nb, "pg_out(");
			tr_put_buf(&nb, b);
			buf_printf(&nb, ", %u, %d)", from, from_typmod);
		}
		if (to != PGT_TEXT && typmod >= 0) {
			Buf wb;
			buf_init(&wb);
			buf_put_str(&wb, "pg_cast(");
			tr_put_buf(&wb, &nb);
			buf_printf(&wb, ", %u, %d)", to, typmod);
			buf_reset(&nb);
			tr_put_buf(&nb, &wb);
			buf_cleanup(&wb);
		}
	} else if (from == PGT_NUMERIC && tr_is_int_type(to)) {
		/* NaN and the infinities fail as numeric_int4 fails (0A000) */
		buf_put_str(&nb, "pg_cast(pg_int_special(pg_round(");
		tr_put_buf(&nb, b);
		buf_printf(&nb, ", 0, %u), %u, %u), %u, %d)", PGT_NUMERIC, from, to, to, typmod);
	} else if ((from == PGT_FLOAT4 || from == PGT_FLOAT8) && to == PGT_NUMERIC) {
		/* float8_numeric: the value's 15 significant digits (6 of a real) */
		buf_put_str(&nb, "pg_cast(pg_float_digits(");
		tr_put_buf(&nb, b);
		buf_printf(&nb, ", %d), %u, %d)", from == PGT_FLOAT4 ? 6 : 15, to, typmod);
	} else if ((from == PGT_FLOAT4 || from == PGT_FLOAT8) && tr_is_int_type(to)) {
		/* a float NaN is out of the integer's range (22003) */
		buf_put_str(&nb, "pg_cast(pg_int_special(");
		tr_put_buf(&nb, b);
		buf_printf(&nb, ", %u, %u), %u, %d)", from, to, to, typmod);
	} else {
		buf_put_str(&nb, "pg_cast(");
		tr_put_buf(&nb, b);
		buf_printf(&nb, ", %u, %d)", to, typmod);
	}
	buf_reset(b);
	tr_put_buf(b, &nb);
	buf_cleanup(&nb);
}

/* Whether a date/time literal depends on the session (its TimeZone, its
 * DateStyle order or the clock) and is read when the statement runs. */
static bool session_time_literal(uint32_t oid, const char *lit)
{
	if (oid == PGT_TIMESTAMPTZ || oid == PGT_TIMETZ)
		return true;
	if (oid == PGT_DATE || oid == PGT_TIMESTAMP)
		return strpbrk(lit, "nNtTyY") || strspn(lit, "0123456789") < 4;
	return oid == PGT_TIME && strpbrk(lit, "nN");
}

static void bpchar_as_text(Buf *b, TType *t);

/*
 * Give expression `e` (emitted in `b`, typed `ty`) the type `oid`/`typmod`:
 * untyped literals are converted now, open parameters take the type, other
 * values go through pg_cast() unless the storage already agrees.
 */
bool tr_coerce(Tr *tr, Buf *b, TType *ty, uint32_t oid, int32_t typmod, int loc)
{
	if (oid == 0 || oid == PGT_UNKNOWN)
		return true;
	if (ty->param > 0) {
		if (tr->ptypes[ty->param] == 0)
			tr->ptypes[ty->param] = oid;
		ty->param = 0;
		if (tr->ptypes[ty->param] == oid && typmod < 0) {
			tr_ttype_set(ty, oid, typmod);
			return true;
		}
	}
	if (ty->unknown) {
		PgtValue v;
		PgtError e;
		PgtFormat fmt = {.extra_float_digits = 1};
		snprintf(fmt.timezone, sizeof(fmt.timezone), "UTC");
		pgt_value_init(&v);
		if (ty->lit == NULL) {
			buf_reset(b);
			buf_put_str(b, "NULL");
		} else if (oid == PGT_REGCLASS) {
			/* a name, maybe qualified by its schema, or the OID itself */
			const char *name = ty->lit;
			if (strncmp(name, "pg_catalog.", 11) == 0 || strncmp(name, "public.", 7) == 0)
				name = strchr(name, '.') + 1;
			char *end;
			unsigned long num = strtoul(name, &end, 10);
			bool is_oid = *name >= '0' && *name <= '9' && !*end;
			const PgsTable *t = is_oid ? NULL : pgs_catalog_table(tr->ctx->cat, name);
			if (!is_oid && !t) {
				pgt_value_cleanup(&v);
				return tr_fail(tr, "42P01", ty->lit_loc >= 0 ? ty->lit_loc : loc, "relation \"%s\" does not exist",
					       ty->lit);
			}
			buf_reset(b);
			buf_printf(b, "%lu", is_oid ? num : (unsigned long)t->oid);
		} else if (session_time_literal(oid, ty->lit)) {
			/* read in the session's time zone, DateStyle order (or clock)
			 * when it runs; checked now when neither can change it */
			bool session_dependent = strpbrk(ty->lit, "nNtTyY") || strspn(ty->lit, "0123456789") < 4;
			if (!session_dependent && !pgt_coerce_text(ty->lit, strlen(ty->lit), oid, typmod, &fmt, &v, &e)) {
				pgt_value_cleanup(&v);
				return tr_fail(tr, e.sqlstate, ty->lit_loc >= 0 ? ty->lit_loc : loc, "%s", e.msg);
			}
			buf_reset(b);
			buf_put_str(b, "pg_cast(");
			pgs_put_literal(b, ty->lit, strlen(ty->lit));
			buf_printf(b, ", %u, %d)", oid, typmod);
		} else if (!pgt_coerce_text(ty->lit, strlen(ty->lit), oid, typmod, &fmt, &v, &e)) {
			pgt_value_cleanup(&v);
			return tr_fail(tr, e.sqlstate, ty->lit_loc >= 0 ? ty->lit_loc : loc, "%s", e.msg);
		} else {
			buf_reset(b);
			put_value_literal(b, &v);
		}
		pgt_value_cleanup(&v);
		tr_ttype_set(ty, oid, typmod);
		return true;
	}
	if (ty->oid == PGT_BPCHAR && (oid == PGT_TEXT || oid == PGT_VARCHAR))
		bpchar_as_text(b, ty); /* character(n) to text drops the padding */
	bool same = ty->oid == oid && (typmod < 0 || ty->typmod == typmod);
	/* an integer is a numeric already, but not at numeric(p,s)'s scale;
	 * as double precision it is a REAL (rounded past 2^53, and stored as
	 * one in a float column) */
	bool widen = tr_is_int_type(ty->oid) && (oid == PGT_INT8 || (oid == PGT_NUMERIC && typmod < 0) ||
					     (oid == PGT_INT4 && ty->oid == PGT_INT2));
	bool texty = tr_is_text_type(ty->oid) && (oid == PGT_TEXT || oid == PGT_VARCHAR) && typmod < 0;
	bool regs = (oid == PGT_OID || oid == PGT_REGCLASS || oid == PGT_REGTYPE) && tr_is_int_type(ty->oid);
	if (!same && !widen && !texty && !regs && !(ty->oid == PGT_FLOAT4 && oid == PGT_FLOAT8)) {
		wrap_cast(b, ty->oid, ty->typmod, oid, typmod);
	}
	tr_ttype_set(ty, oid, typmod);
	return true;
}

/* Settle an expression whose type is still open (a bare literal becomes text). */
void tr_settle(Tr *tr, Buf *b, TType *ty)
{
	if (ty->unknown || ty->oid == PGT_UNKNOWN)
		(void)tr_coerce(tr, b, ty, PGT_TEXT, -1, -1);
	else if (ty->param > 0)
		(void)tr_coerce(tr, b, ty, PGT_TEXT, -1, -1);
}

/* Make two operands agree the way PG resolves unknown literals and params. */
static bool unify(Tr *tr, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc)
{
	bool lopen = lt->unknown || lt->param > 0;
	bool ropen = rt->unknown || rt->param > 0;
	if (lopen && !ropen)
		return tr_coerce(tr, lb, lt, rt->oid, -1, loc);
	if (ropen && !lopen)
		return tr_coerce(tr, rb, rt, lt->oid, -1, loc);
	if (lopen && ropen) {
		tr_settle(tr, lb, lt);
		tr_settle(tr, rb, rt);
	}
	return !tr->failed;
}

uint32_t tr_arith_result(uint32_t l, uint32_t r)
{
	if (l == PGT_FLOAT8 || r == PGT_FLOAT8 || l == PGT_FLOAT4 || r == PGT_FLOAT4)
		return (l == PGT_FLOAT4 && r == PGT_FLOAT4) ? PGT_FLOAT4 : PGT_FLOAT8;
	if (l == PGT_NUMERIC || r == PGT_NUMERIC)
		return PGT_NUMERIC;
	if (l == PGT_INT8 || r == PGT_INT8)
		return PGT_INT8;
	if (l == PGT_INT4 || r == PGT_INT4)
		return PGT_INT4;
	if (l == PGT_INT2 && r == PGT_INT2)
		return PGT_INT2;
	return l ? l : r;
}

/* ------------------------------------------------------------ expressions */

static void lit_text(Tr *tr, Buf *out, TType *ty, const char *s, int loc)
{
	pgs_put_literal(out, s, strlen(s));
	tr_ttype_set(ty, PGT_UNKNOWN, -1);
	ty->unknown = true;
	ty->lit = arena_strdup(tr->a, s);
	ty->lit_loc = loc;
}

static bool a_const(Tr *tr, PgQuery__AConst *c, Buf *out, TType *ty)
{
	if (c->isnull) {
		buf_put_str(out, "NULL");
		tr_ttype_set(ty, PGT_UNKNOWN, -1);
		ty->unknown = true;
		ty->lit = NULL;
		return true;
	}
	switch (c->val_case) {
	case PG_QUERY__A__CONST__VAL_IVAL:
		buf_printf(out, "%d", c->ival->ival);
		tr_ttype_set(ty, PGT_INT4, -1);
		return true;
	case PG_QUERY__A__CONST__VAL_FVAL: {
		const char *f = c->fval->fval;
		bool integral = strspn(f, "0123456789-+") == strlen(f);
		if (integral) {
			char *end;
			errno = 0;
			long long v = strtoll(f, &end, 10);
			if (errno == 0 && !*end) {
				buf_printf(out, "%lld", v);
				/* as make_const: int4 when it fits (-2147483648 is a
				 * negated float constant that does) */
				tr_ttype_set(ty, v >= INT32_MIN && v <= INT32_MAX ? PGT_INT4 : PGT_INT8, -1);
				return true;
			}
		}
		if (dec_check_literal(f, strlen(f)) != DEC_OK)
			return tr_fail(tr, "22003", c->location, "value overflows numeric format");
		/* numeric literal: its digits, scale included, as exact text;
		 * a numeric zero has no sign (-0.0 is 0.0, also as a float) */
		if (f[0] == '-' && strcspn(f, "123456789") >= strcspn(f, "eE"))
			f++;
		pgs_put_literal(out, f, strlen(f));
		tr_ttype_set(ty, PGT_NUMERIC, -1);
		ty->as_real = dec_literal_is_double(f, strlen(f));
		return true;
	}
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		buf_put_str(out, c->boolval->boolval ? "1" : "0");
		tr_ttype_set(ty, PGT_BOOL, -1);
		return true;
	case PG_QUERY__A__CONST__VAL_SVAL:
		lit_text(tr, out, ty, c->sval->sval, c->location);
		return true;
	case PG_QUERY__A__CONST__VAL_BSVAL:
		return tr_unsupported(tr, c->location, "bit string literal");
	default:
		return tr_fail(tr, "XX000", c->location, "unrecognized constant");
	}
}

static bool param_ref(Tr *tr, PgQuery__ParamRef *p, Buf *out, TType *ty)
{
	int n = p->number;
	if (tr->fn)
		return tr_sqlfunc_param(tr, n, p->location, out, ty);
	if (n < 1 || n > PGS_MAX_PARAMS)
		return tr_fail(tr, "42P02", p->location, "there is no parameter $%d", n);
	if (n > tr->nparams)
		tr->nparams = n;
	buf_printf(out, "?%d", n);
	uint32_t declared = n <= tr->ctx->nparams_in ? tr->ctx->param_types_in[n - 1] : 0;
	if (declared && !tr->ptypes[n])
		tr->ptypes[n] = declared;
	if (tr->ptypes[n]) {
		tr_ttype_set(ty, tr->ptypes[n], -1);
	} else {
		tr_ttype_set(ty, PGT_UNKNOWN, -1);
		ty->param = n;
	}
	return true;
}

/* ROW(a, b, ...) or (a, b, ...): SQLite's row value, which it compares
 * (=, <>, <, IN) element by element as PostgreSQL does; typed record. */
static bool row_expr(Tr *tr, PgQuery__RowExpr *r, Buf *out, TType *ty)
{
	if (r->n_args < 2 && r->row_format == PG_QUERY__COERCION_FORM__COERCE_EXPLICIT_CALL)
		return tr_unsupported(tr, r->location, "ROW() of fewer than two values");
	buf_put_u8(out, '(');
	for (size_t i = 0; i < r->n_args; i++) {
		Buf eb;
		TType et;
		buf_init(&eb);
		bool ok = tr_expr(tr, r->args[i], &eb, &et);
		if (ok && et.oid == PGT_RECORD)
			ok = tr_unsupported(tr, r->location, "a row value inside a row value");
		if (ok)
			tr_settle(tr, &eb, &et);
		buf_put_str(out, i ? ", " : "");
		tr_put_buf(out, &eb);
		buf_cleanup(&eb);
		if (!ok)
			return false;
	}
	buf_put_u8(out, ')');
	tr_ttype_set(ty, PGT_RECORD, -1);
	return !tr->failed;
}

static const char *op_name(size_t n, Node **names)
{
	return n ? pgn_str(names[n - 1]) : "";
}

/* Display scale of a numeric value of this type (its typmod), or -1. */
static int numeric_scale(const TType *t)
{
	return t->oid == PGT_NUMERIC && t->typmod >= 4 ? ((t->typmod - 4) & 0xFFFF) : -1;
}

/* b, of type character(n), as the text it converts to: without its
 * trailing spaces. */
static void bpchar_as_text(Buf *b, TType *t)
{
	Buf w;
	buf_init(&w);
	tr_put_cmp_operand(&w, b, t, 1);
	buf_reset(b);
	tr_put_buf(b, &w);
	buf_cleanup(&w);
	tr_ttype_set(t, PGT_TEXT, -1);
}

int tr_cmp_keyed(const TType *t, size_t n)
{
	int keyed = 0;
	bool bpchar = false, varchar = false;
	for (size_t i = 0; i < n; i++) {
		if ((t[i].oid == PGT_NUMERIC && !t[i].column && !t[i].as_real) || t[i].oid == PGT_INTERVAL ||
		    t[i].oid == PGT_BPCHAR)
			keyed = 1;
		bpchar = bpchar || t[i].oid == PGT_BPCHAR;
		varchar = varchar || t[i].oid == PGT_VARCHAR;
	}
	/* varchar meeting character(n) compares as character(n) */
	return keyed | (bpchar && varchar ? 2 : 0);
}

void tr_put_cmp_operand(Buf *out, Buf *b, const TType *t, int keyed)
{
	if (keyed && (t->oid == PGT_BPCHAR || ((keyed & 2) && t->oid == PGT_VARCHAR))) {
		/* character(n) compares without its trailing spaces */
		buf_put_str(out, "rtrim(");
		tr_put_buf(out, b);
		buf_put_str(out, ", ' ')");
	} else if (keyed && (tr_is_numeric_type(t->oid) || t->oid == PGT_INTERVAL)) {
		/* exact numeric order whatever the operand's storage; intervals
		 * by their length ('1 month' = '30 days') */
		buf_put_str(out, t->oid == PGT_INTERVAL ? "pg_intervalkey(" : "pg_numkey(");
		tr_put_buf(out, b);
		buf_put_u8(out, ')');
	} else if (t->oid == PGT_NUMERIC && !t->column) {
		/* a short numeric literal: compared as the REAL it is exactly */
		buf_put_u8(out, '(');
		tr_put_buf(out, b);
		buf_put_str(out, " + 0)");
	} else {
		tr_put_buf(out, b);
	}
}

/* NULL, with both operands still evaluated: their errors are raised as
 * PostgreSQL raises them, and every $n they hold stays in the statement
 * (SQLite counts a statement's parameters by the highest one it names). */
static void null_result(Buf *out, Buf *lb, Buf *rb)
{
	buf_put_str(out, "(NULL + (((");
	tr_put_buf(out, lb);
	buf_put_str(out, ") IS NULL) + ((");
	tr_put_buf(out, rb);
	buf_put_str(out, ") IS NULL)))");
}

/* Emit "(l) OP (r)" after unifying operand types. */
/* Translate n expressions (first, then items) into bufs/types, all brought to
 * their common type; returns it (text when nothing is typed). */
static bool common_list(Tr *tr, Node *first, size_t n, Node **items, Buf *bufs, TType *types, uint32_t *common, int loc)
{
	size_t total = n + (first ? 1 : 0);
	uint32_t c = 0;
	bool in_list = tr->in_list;
	tr->in_list = false;
	for (size_t i = 0; i < total; i++) {
		buf_init(&bufs[i]);
		if (!tr_expr(tr, first && i == 0 ? first : items[i - (first ? 1 : 0)], &bufs[i], &types[i]))
			return false;
		/* x IN (y, ...) is x = y OR ...: arrays of their own type only */
		if (in_list && i > 0 && !tr_array_cmp_types(tr, "=", &types[0], &types[i], loc))
			return false;
		if (!types[i].unknown && !types[i].param)
			c = tr_common_of(c, types[i].oid);
	}
	if (!c)
		c = PGT_TEXT;
	for (size_t i = 0; i < total; i++)
		if (!tr_coerce(tr, &bufs[i], &types[i], c, -1, loc))
			return false;
	*common = c;
	return true;
}

static void free_list(Buf *bufs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_cleanup(&bufs[i]);
}

static bool is_array_type(uint32_t oid)
{
	const PgType *t = pgt_by_oid(oid);
	return t && t->category == 'A' && t->elem_oid && oid != 22 && oid != 30;
}

/* A prefix operator: - + @ |/ ||/ over the operand rb of type rt. */
static bool prefix_op(Tr *tr, const char *op, Buf *rb, TType *rt, int loc, Buf *out, TType *ty)
{
	int special = tr_prefix_special(tr, op, rb, rt, loc, out, ty);
	if (special >= 0)
		return special == 1;
	if (strcmp(op, "-") == 0 || strcmp(op, "+") == 0 || strcmp(op, "@") == 0) {
		if (rt->unknown || rt->param)
			tr_coerce(tr, rb, rt, PGT_INT4, -1, loc);
		/* the numbers' prefix operators; - interval is PostgreSQL's too */
		if (!tr->failed && !tr_is_numeric_type(rt->oid))
			return rt->oid == PGT_INTERVAL
				       ? tr_fail(tr, "0A000", loc, "prefix operator %s on interval is not supported by DoSQL", op)
				       : tr_fail(tr, "42883", loc, "operator does not exist: %s %s", op, tr_type_name(rt->oid));
	}
	if (strcmp(op, "-") == 0 || strcmp(op, "+") == 0) {
		if (op[0] == '-' && rt->oid == PGT_NUMERIC) {
			/* 0 - x in decimal: NaN stays NaN, the scale is kept */
			buf_put_str(out, "pg_num_op('-', 0, -1, ");
			tr_put_buf(out, rb);
			buf_printf(out, ", %d)", numeric_scale(rt));
		} else if (op[0] == '-' && (rt->oid == PGT_FLOAT4 || rt->oid == PGT_FLOAT8)) {
			/* -1 * x: NaN stays NaN (it is text to SQLite), -0 is -0 */
			buf_put_str(out, "pg_float_op('*', -1.0, ");
			tr_put_buf(out, rb);
			buf_printf(out, ", %d)", rt->oid == PGT_FLOAT4);
		} else if (op[0] == '-' && tr_is_int_type(rt->oid) && rt->oid != PGT_OID) {
			/* -x of the type's least value is 22003 */
			buf_printf(out, "pg_checked%s(0, '-', ", rt->oid == PGT_INT8 ? "8" : rt->oid == PGT_INT4 ? "4" : "2");
			tr_put_buf(out, rb);
			buf_put_u8(out, ')');
		} else {
			buf_printf(out, "(%s ", op);
			tr_put_buf(out, rb);
			buf_put_u8(out, ')');
		}
		*ty = *rt;
		/* -x is no column: it has no collation to order it by value */
		ty->column = ty->column && op[0] == '+';
		return !tr->failed;
	}
	if (strcmp(op, "@") == 0) {
		/* abs() of the type: a numeric keeps its scale, NaN stays */
		buf_put_str(out, "pg_abs(");
		tr_put_buf(out, rb);
		buf_printf(out, ", %u)", rt->oid);
		*ty = *rt;
		ty->column = false; /* no collation: ordered by its key */
		return true;
	}
	return tr_fail(tr, "0A000", loc, "prefix operator %s is not supported by DoSQL", op);
}

/* + - * / % ^ over numeric operands (unified already): exact decimal
 * arithmetic for numeric, integer division and overflow checks for the
 * integer types, PostgreSQL's result type; NULL for a NULL constant. */
static bool arith_op(Tr *tr, const char *op, Buf *lb, const TType *lt, Buf *rb, const TType *rt, bool null_operand,
		     int loc, Buf *out, TType *ty)
{
	if (!tr_is_numeric_type(lt->oid) || !tr_is_numeric_type(rt->oid))
		return tr_fail(tr, "42883", loc, "operator does not exist: %s %s %s", tr_type_name(lt->oid), op,
			       tr_type_name(rt->oid));
	uint32_t res = tr_arith_result(lt->oid, rt->oid);
	bool checked_int = tr_is_int_type(res) && res != PGT_OID;
	if (op[0] == '%' && (res == PGT_FLOAT4 || res == PGT_FLOAT8)) /* no float modulo */
		return tr_fail(tr, "42883", loc, "operator does not exist: %s %% %s", tr_type_name(lt->oid),
			       tr_type_name(rt->oid));
	if (null_operand) {
		null_result(out, lb, rb);
		tr_ttype_set(ty, op[0] == '^' && res != PGT_NUMERIC ? PGT_FLOAT8 : res, -1);
		return true;
	}
	if (op[0] == '^' && res == PGT_NUMERIC) {
		/* numeric ^ numeric is power(numeric, numeric) (numeric_math.c) */
		TType l = *lt, r = *rt;
		tr_numeric_at_typmod(lb, &l);
		tr_numeric_at_typmod(rb, &r);
		buf_put_str(out, "pg_num_math2(");
		tr_put_buf(out, lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, rb);
		buf_put_str(out, ", 5)");
		tr_ttype_set(ty, res, -1);
		return true;
	}
	if (op[0] == '^') {
		/* exponentiation of the other number types is float8 */
		res = PGT_FLOAT8;
		buf_put_str(out, "pg_float_pow(");
	} else if (res == PGT_NUMERIC) {
		/* exact decimal arithmetic with PostgreSQL's result scales */
		buf_printf(out, "pg_num_op('%s', ", op);
	} else if ((res == PGT_FLOAT4 || res == PGT_FLOAT8) && op[0] != '%') {
		/* NaN, zero divisors and overflow as PostgreSQL's float arithmetic */
		buf_printf(out, "pg_float_op('%s', ", op);
		tr_put_buf(out, lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, rb);
		buf_printf(out, ", %d)", res == PGT_FLOAT4);
		tr_ttype_set(ty, res, -1);
		return true;
	} else if (op[0] == '/' || op[0] == '%') {
		/* integer division truncates; a zero divisor raises 22012 */
		buf_printf(out, "%s(", op[0] == '/' ? "pg_div" : "pg_mod");
	} else if (checked_int) {
		/* integer arithmetic raises 22003 on overflow of its type */
		buf_printf(out, "pg_checked%s(", res == PGT_INT8 ? "8" : res == PGT_INT4 ? "4" : "2");
	} else {
		buf_put_u8(out, '(');
	}
	tr_put_buf(out, lb);
	if (res == PGT_NUMERIC && op[0] != '^')
		buf_printf(out, ", %d, ", numeric_scale(lt));
	else if (op[0] == '^' || op[0] == '/' || op[0] == '%')
		buf_put_str(out, ", ");
	else
		buf_printf(out, checked_int ? ", '%s', " : " %s ", op);
	tr_put_buf(out, rb);
	if (res == PGT_NUMERIC && op[0] != '^')
		buf_printf(out, ", %d)", numeric_scale(rt));
	else if (op[0] == '/' || op[0] == '%')
		buf_printf(out, ", %d)", res == PGT_INT2 ? 2 : res == PGT_INT4 ? 4 : tr_is_int_type(res) ? 8 : 0);
	else
		buf_put_u8(out, ')');
	tr_ttype_set(ty, res, -1);
	return true;
}

/* fn(l, r) into out. */
static void put_call2(Buf *out, const char *fn, Buf *lb, Buf *rb)
{
	buf_printf(out, "%s(", fn);
	tr_put_buf(out, lb);
	buf_put_str(out, ", ");
	tr_put_buf(out, rb);
	buf_put_u8(out, ')');
}

/* l || r: array concatenation, jsonb concatenation, bytea's bytes, or text
 * (character(n) without its padding, other scalars as their text). */
static bool concat_op(Tr *tr, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty)
{
	bool array = is_array_type(lt->oid) || is_array_type(rt->oid);
	if (array || ((lt->oid == PGT_JSONB || rt->oid == PGT_JSONB) && (lt->oid == rt->oid || lt->unknown || rt->unknown))) {
		/* array || array, jsonb || jsonb: an untyped side takes the other's type */
		uint32_t t = array ? (is_array_type(lt->oid) ? lt->oid : rt->oid) : PGT_JSONB;
		if (lt->unknown)
			tr_coerce(tr, lb, lt, t, -1, loc);
		if (rt->unknown)
			tr_coerce(tr, rb, rt, t, -1, loc);
		put_call2(out, array ? "pg_array_cat" : "pg_jsonb_concat", lb, rb);
		tr_ttype_set(ty, t, -1);
		return !tr->failed;
	}
	bool bytea = lt->oid == PGT_BYTEA && rt->oid == PGT_BYTEA;
	Buf *sides[2] = {lb, rb};
	TType *types[2] = {lt, rt};
	for (int i = 0; i < 2 && !bytea; i++)
		if (types[i]->oid == PGT_BPCHAR)
			bpchar_as_text(sides[i], types[i]); /* character(n) to text drops the padding */
		else if (!tr_is_text_type(types[i]->oid) && !tr_is_int_type(types[i]->oid))
			tr_coerce(tr, sides[i], types[i], PGT_TEXT, -1, loc);
	/* SQLite's || makes text of bytes: bytea || bytea is cast back */
	buf_put_str(out, bytea ? "CAST((" : "(");
	tr_put_buf(out, lb);
	buf_put_str(out, " || ");
	tr_put_buf(out, rb);
	buf_put_str(out, bytea ? ") AS BLOB)" : ")");
	tr_ttype_set(ty, bytea ? PGT_BYTEA : PGT_TEXT, -1);
	return !tr->failed;
}

static bool binop(Tr *tr, const char *op, Node *ln, Node *rn, int loc, Buf *out, TType *ty)
{
	Buf lb, rb;
	TType lt, rt;
	bool ok = false, folded = false;
	buf_init(&lb);
	buf_init(&rb);
	if (ln && !tr_expr(tr, ln, &lb, &lt))
		goto out;
	if (!tr_expr(tr, rn, &rb, &rt))
		goto out;
	if (!ln) {
		/* every prefix operator is strict: of a NULL constant, one too */
		folded = (rt.unknown && !rt.lit) || rt.null_const || tr_is_null_const(rn);
		ok = prefix_op(tr, op, &rb, &rt, loc, out, ty);
		goto out;
	}
	if ((strcmp(op, "@>") == 0 || strcmp(op, "<@") == 0 || strcmp(op, "&&") == 0) &&
	    (is_array_type(lt.oid) || is_array_type(rt.oid))) {
		ok = tr_array_op(tr, op, &lb, &lt, &rb, &rt, loc, out, ty);
		goto out;
	}
	if (tr_jsonb_op_applies(op, &lt, &rt)) {
		ok = tr_jsonb_op(tr, op, &lb, &lt, &rb, &rt, loc, out, ty);
		goto out;
	}
	if (strcmp(op, "->>") == 0 || strcmp(op, "->") == 0) {
		/* the key is text (or an integer index), never the json type */
		if (rt.unknown || rt.param)
			tr_coerce(tr, &rb, &rt, PGT_TEXT, -1, loc);
		if (lt.unknown || lt.param)
			tr_coerce(tr, &lb, &lt, PGT_JSONB, -1, loc);
	}
	/* a strict operator with a NULL constant is NULL (null_result) */
	bool lnull = (lt.unknown && !lt.lit) || lt.null_const || tr_is_null_const(ln);
	bool rnull = (rt.unknown && !rt.lit) || rt.null_const || tr_is_null_const(rn);
	bool null_operand = lnull || rnull;
	/* the planner's NULL: the other operand is never evaluated, and the
	 * result is a NULL constant to the operators around it */
	folded = tr_strict_op(op) && ((lnull && tr_null_skips(rn, &rt)) || (rnull && tr_null_skips(ln, &lt)));
	if (folded && !tr_never_evaluated_aggs(tr, lnull ? rn : ln, lnull ? &rb : &lb, lnull ? &rt : &lt))
		goto out;
	if (folded)
		tr_never_evaluated(lnull ? &rb : &lb);
	if (strcmp(op, "||") == 0) {
		/* anynonarray || text: an untyped side beside a scalar is text */
		if ((lt.unknown || lt.param) && (tr_is_int_type(rt.oid) || tr_is_text_type(rt.oid)))
			tr_coerce(tr, &lb, &lt, PGT_TEXT, -1, loc);
		if ((rt.unknown || rt.param) && (tr_is_int_type(lt.oid) || tr_is_text_type(lt.oid)))
			tr_coerce(tr, &rb, &rt, PGT_TEXT, -1, loc);
	}
	if (!unify(tr, &lb, &lt, &rb, &rt, loc))
		goto out;
	if (strchr("=<>!", op[0]) && (op[1] == 0 || (strchr("=>", op[1]) && op[2] == 0))) {
		tr_hoist_constant(tr, ln, &lb);
		tr_hoist_constant(tr, rn, &rb);
	}
	if (tr_is_time_type(lt.oid) || tr_is_time_type(rt.oid)) {
		int done = tr_time_binop(tr, op, &lb, &lt, &rb, &rt, loc, out, ty);
		if (done >= 0) {
			ok = done == 1;
			goto out;
		}
	}

	static const char *const cmp_ops[] = {"=", "<>", "!=", "<", ">", "<=", ">="};
	for (size_t i = 0; i < sizeof(cmp_ops) / sizeof(cmp_ops[0]); i++)
		if (strcmp(op, cmp_ops[i]) == 0) {
			tr_ttype_set(ty, PGT_BOOL, -1);
			if (!tr_array_cmp_types(tr, op, &lt, &rt, loc))
				goto out;
			if (null_operand) {
				null_result(out, &lb, &rb);
				ok = true;
				goto out;
			}
			TType both[2] = {lt, rt};
			int keyed = tr_cmp_keyed(both, 2);
			buf_put_u8(out, '(');
			tr_put_cmp_operand(out, &lb, &lt, keyed);
			buf_printf(out, " %s ", strcmp(op, "!=") == 0 ? "<>" : op);
			tr_put_cmp_operand(out, &rb, &rt, keyed);
			buf_put_u8(out, ')');
			tr_ttype_set(ty, PGT_BOOL, -1);
			ok = true;
			goto out;
		}
	if (strchr("+-*/%^", op[0]) && op[1] == 0) {
		ok = arith_op(tr, op, &lb, &lt, &rb, &rt, null_operand, loc, out, ty);
		goto out;
	}
	if (strcmp(op, "||") == 0) {
		ok = concat_op(tr, &lb, &lt, &rb, &rt, loc, out, ty);
		goto out;
	}
	if (strcmp(op, "~") == 0 || strcmp(op, "~*") == 0 || strcmp(op, "!~") == 0 || strcmp(op, "!~*") == 0) {
		bool neg = op[0] == '!';
		bool icase = op[strlen(op) - 1] == '*';
		buf_printf(out, "(pg_regexp(");
		tr_put_buf(out, &lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, &rb);
		buf_printf(out, ", %d) = %d)", icase, neg ? 0 : 1);
		tr_ttype_set(ty, PGT_BOOL, -1);
		ok = true;
		goto out;
	}
	if (strcmp(op, "->>") == 0 || strcmp(op, "->") == 0) {
		/* the member's own text (jsonb's spacing, json's as written) */
		buf_put_str(out, "pg_json_member(");
		tr_put_buf(out, &lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, &rb);
		buf_printf(out, ", %d)", (op[2] == '>') | (lt.oid == PGT_JSONB ? 2 : 0));
		tr_ttype_set(ty, op[2] == '>' ? PGT_TEXT : lt.oid, -1);
		ok = true;
		goto out;
	}
	ok = tr_fail(tr, "0A000", loc, "operator %s is not supported by DoSQL", op);
out:
	if (ok && folded)
		ty->null_const = true;
	buf_cleanup(&lb);
	buf_cleanup(&rb);
	return ok;
}

static bool like_expr(Tr *tr, PgQuery__AExpr *a, bool icase, Buf *out, TType *ty)
{
	const char *op = op_name(a->n_name, a->name);
	bool neg = op[0] == '!';
	Buf lb, rb;
	TType lt, rt;
	bool ok = false;
	buf_init(&lb);
	buf_init(&rb);
	if (!tr_expr(tr, a->lexpr, &lb, &lt) || !tr_expr(tr, a->rexpr, &rb, &rt))
		goto out;
	tr_settle(tr, &lb, &lt);
	tr_settle(tr, &rb, &rt);
	buf_put_u8(out, '(');
	if (icase) {
		buf_put_str(out, "lower(");
		tr_put_buf(out, &lb);
		buf_put_str(out, neg ? ") NOT LIKE lower(" : ") LIKE lower(");
		tr_put_buf(out, &rb);
		buf_put_u8(out, ')');
	} else {
		tr_put_buf(out, &lb);
		buf_put_str(out, neg ? " NOT LIKE " : " LIKE ");
		tr_put_buf(out, &rb);
	}
	buf_put_str(out, " ESCAPE '\\')");
	tr_ttype_set(ty, PGT_BOOL, -1);
	ok = true;
out:
	buf_cleanup(&lb);
	buf_cleanup(&rb);
	return ok;
}

/* Emit a list of expressions, each coerced to `oid` when oid != 0. */
bool tr_expr_list(Tr *tr, size_t n, Node **items, Buf *out, uint32_t oid, TType *first)
{
	for (size_t i = 0; i < n; i++) {
		Buf b;
		TType t;
		buf_init(&b);
		if (!tr_expr(tr, items[i], &b, &t)) {
			buf_cleanup(&b);
			return false;
		}
		if (oid)
			tr_coerce(tr, &b, &t, oid, -1, -1);
		else
			tr_settle(tr, &b, &t);
		if (i == 0 && first)
			*first = t;
		if (i)
			buf_put_str(out, ", ");
		tr_put_buf(out, &b);
		buf_cleanup(&b);
	}
	return !tr->failed;
}


/* x BETWEEN lo AND hi as PostgreSQL's parser writes it: x >= lo AND
 * x <= hi (NOT BETWEEN: x < lo OR x > hi), evaluated as far as decides. */
static Node *between_expr(Tr *tr, const PgQuery__AExpr *a, const PgQuery__List *l)
{
	bool not = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN;
	PgQuery__BoolExpr *be = arena_alloc(tr->a, sizeof(*be));
	*be = (PgQuery__BoolExpr)PG_QUERY__BOOL_EXPR__INIT;
	be->boolop = not ? PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR : PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	be->n_args = 2;
	be->args = arena_alloc(tr->a, 2 * sizeof(Node *));
	be->args[0] = pgn_binary(tr->a, PG_QUERY__A__EXPR__KIND__AEXPR_OP, not ? "<" : ">=", a->lexpr, l->items[0]);
	be->args[1] = pgn_binary(tr->a, PG_QUERY__A__EXPR__KIND__AEXPR_OP, not ? ">" : "<=", a->lexpr, l->items[1]);
	be->args[0]->a_expr->location = be->args[1]->a_expr->location = a->location;
	be->location = a->location;
	Node *n = arena_alloc(tr->a, sizeof(*n));
	*n = (Node)PG_QUERY__NODE__INIT;
	n->node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
	n->bool_expr = be;
	return n;
}

static bool a_expr(Tr *tr, PgQuery__AExpr *a, Buf *out, TType *ty)
{
	const char *op = op_name(a->n_name, a->name);
	switch (a->kind) {
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
		return binop(tr, op, a->lexpr, a->rexpr, a->location, out, ty);
	case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
		return like_expr(tr, a, false, out, ty);
	case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR:
		return tr_similar(tr, a, out, ty);
	case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
		return like_expr(tr, a, true, out, ty);
	case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT: {
		Buf lb, rb;
		TType lt, rt;
		buf_init(&lb);
		buf_init(&rb);
		bool ok = tr_expr(tr, a->lexpr, &lb, &lt) && tr_expr(tr, a->rexpr, &rb, &rt) &&
			  unify(tr, &lb, &lt, &rb, &rt, a->location) && tr_array_cmp_types(tr, "=", &lt, &rt, a->location);
		if (ok) {
			TType both[2] = {lt, rt};
			int keyed = tr_cmp_keyed(both, 2);
			buf_put_u8(out, '(');
			tr_put_cmp_operand(out, &lb, &lt, keyed);
			buf_put_str(out, a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT ? " IS NOT " : " IS ");
			tr_put_cmp_operand(out, &rb, &rt, keyed);
			buf_put_u8(out, ')');
			tr_ttype_set(ty, PGT_BOOL, -1);
		}
		buf_cleanup(&lb);
		buf_cleanup(&rb);
		return ok;
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
		return tr_nullif(tr, a, out, ty);
	case PG_QUERY__A__EXPR__KIND__AEXPR_IN: {
		if (a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST)
			return tr_unsupported(tr, a->location, "this IN form");
		PgQuery__List *l = a->rexpr->list;
		size_t n = l->n_items + 1;
		Buf *bufs = calloc(n, sizeof(Buf));
		TType *types = calloc(n, sizeof(TType));
		uint32_t common;
		tr->in_list = true; /* for common_list */
		bool ok = common_list(tr, a->lexpr, l->n_items, l->items, bufs, types, &common, a->location);
		if (ok) {
			int keyed = tr_cmp_keyed(types, n);
			buf_put_u8(out, '(');
			tr_put_cmp_operand(out, &bufs[0], &types[0], keyed);
			buf_put_str(out, strcmp(op, "<>") == 0 ? " NOT IN (" : " IN (");
			/* PostgreSQL compares with the elements without columns first
			 * (one = ANY (array)), then with the others in turn (OR) */
			size_t put = 0;
			for (int pass = 0; pass < 2; pass++)
				for (size_t i = 1; i < n; i++) {
					if (tr_has_column(l->items[i - 1]) != (pass == 1))
						continue;
					if (put++)
						buf_put_str(out, ", ");
					tr_put_cmp_operand(out, &bufs[i], &types[i], keyed);
				}
			buf_put_str(out, "))");
			tr_ttype_set(ty, PGT_BOOL, -1);
		}
		free_list(bufs, n);
		free(bufs);
		free(types);
		return ok;
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
	case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN: {
		PgQuery__List *l = a->rexpr ? a->rexpr->list : NULL;
		if (!l || l->n_items != 2)
			return tr_unsupported(tr, a->location, "this BETWEEN form");
		Node *and = between_expr(tr, a, l);
		if (tr->jump_node == a) /* a WHERE's own: so is the AND */
			tr->jump_node = and->bool_expr;
		return tr_expr(tr, and, out, ty);
	}
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
	case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL: {
		bool all = a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL;
		if (strcmp(op, all ? "<>" : "=") != 0)
			return tr_any_array_op(tr, a, all, op, out, ty);
		return tr_any_array(tr, a, all, out, ty);
	}
	default:
		return tr_unsupported(tr, a->location, "this operator form");
	}
}

/* The n args of AND (decides 0) or OR (decides 1) as PostgreSQL evaluates
 * them: in order, stopping at the first that decides (SQLite evaluates
 * every operand of an AND outside a WHERE). */
static void short_circuit(Buf *out, Buf *args, size_t n, int decides)
{
	buf_put_str(out, "(CASE");
	for (size_t i = 0; i + 1 < n; i++) {
		buf_put_str(out, " WHEN ");
		tr_put_buf(out, &args[i]);
		buf_printf(out, " IS %d THEN %d", decides, decides);
	}
	buf_put_str(out, " ELSE (");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put_str(out, decides ? " OR " : " AND ");
		tr_put_buf(out, &args[i]);
	}
	buf_put_str(out, ") END)");
}

static bool bool_expr(Tr *tr, PgQuery__BoolExpr *b, Buf *out, TType *ty)
{
	bool not = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR;
	bool and = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
	/* a WHERE's (or ON's) own AND/OR: SQLite jumps past what decides */
	bool jump = tr->jump_node == b;
	tr->jump_node = NULL;
	Buf *args = calloc(b->n_args + 1, sizeof(Buf));
	bool ok = args != NULL, volatile_arg = false;
	for (size_t i = 0; i < b->n_args && ok; i++) {
		TType at;
		buf_init(&args[i]);
		if (jump)
			tr->jump_node = tr_jump_target(b->args[i]);
		ok = tr_expr(tr, b->args[i], &args[i], &at) &&
		     tr_coerce_bool(tr, &args[i], &at, not ? "NOT" : and ? "AND" : "OR", b->args[i]);
		tr->jump_node = NULL;
		volatile_arg = volatile_arg || tr_may_be_volatile(b->args[i]);
	}
	if (ok && !not && !jump && !volatile_arg && b->n_args > 1) {
		short_circuit(out, args, b->n_args, and ? 0 : 1);
	} else if (ok) {
		buf_put_str(out, not ? "(NOT " : "(");
		for (size_t i = 0; i < b->n_args; i++) {
			if (i)
				buf_put_str(out, and ? " AND " : " OR ");
			tr_put_buf(out, &args[i]);
		}
		buf_put_u8(out, ')');
	}
	for (size_t i = 0; args && i < b->n_args; i++)
		buf_cleanup(&args[i]);
	free(args);
	tr_ttype_set(ty, PGT_BOOL, -1);
	return ok && !tr->failed;
}

/* CASE: the results share their common type; CASE x WHEN v compares x and
 * the v in theirs. */
static bool case_expr(Tr *tr, PgQuery__CaseExpr *c, Buf *out, TType *ty)
{
	size_t n = c->n_args;
	size_t nres = n + (c->defresult ? 1 : 0);
	Node **results = calloc(nres + 1, sizeof(Node *));
	Node **whens = calloc(n + 1, sizeof(Node *));
	Buf *rb = calloc(nres + 1, sizeof(Buf)), *wb = calloc(n + 1, sizeof(Buf));
	TType *rt = calloc(nres + 1, sizeof(TType)), *wt = calloc(n + 1, sizeof(TType));
	for (size_t i = 0; i < n; i++) {
		results[i] = c->args[i]->case_when->result;
		whens[i] = c->args[i]->case_when->expr;
	}
	/* the ELSE result is the first the common type looks at, as in
	 * PostgreSQL (CASE ... THEN char ELSE text END is text) */
	size_t r0 = c->defresult ? 1 : 0;
	uint32_t rtype, wtype = PGT_BOOL;
	bool ok = common_list(tr, c->defresult, n, results, rb, rt, &rtype, c->location);
	if (ok && c->arg) {
		ok = common_list(tr, c->arg, n, whens, wb, wt, &wtype, c->location);
	} else if (ok) {
		for (size_t i = 0; i < n && ok; i++) {
			buf_init(&wb[i]);
			ok = tr_expr(tr, whens[i], &wb[i], &wt[i]) && tr_coerce_bool(tr, &wb[i], &wt[i], "CASE/WHEN", whens[i]);
		}
	}
	if (ok) {
		buf_put_str(out, "CASE");
		size_t w0 = 0;
		int keyed = c->arg ? tr_cmp_keyed(wt, n + 1) : 0;
		if (c->arg) {
			buf_put_u8(out, ' ');
			tr_put_cmp_operand(out, &wb[0], &wt[0], keyed);
			w0 = 1;
		}
		for (size_t i = 0; i < n; i++) {
			buf_put_str(out, " WHEN ");
			tr_put_cmp_operand(out, &wb[i + w0], &wt[i + w0], keyed);
			buf_put_str(out, " THEN ");
			tr_put_buf(out, &rb[i + r0]);
		}
		if (c->defresult) {
			buf_put_str(out, " ELSE ");
			tr_put_buf(out, &rb[0]);
		}
		buf_put_str(out, " END");
		tr_ttype_set(ty, rtype, -1);
	}
	free_list(rb, nres);
	free_list(wb, n + 1);
	free(rb);
	free(wb);
	free(rt);
	free(wt);
	free(results);
	free(whens);
	return ok && !tr->failed;
}

static bool type_cast(Tr *tr, PgQuery__TypeCast *tc, Buf *out, TType *ty)
{
	uint32_t oid;
	int32_t typmod;
	if (!tr_typename_of(tr, tc->type_name, &oid, &typmod))
		return false;
	Buf ab;
	TType at;
	buf_init(&ab);
	if (!tr_expr(tr, tc->arg, &ab, &at)) {
		buf_cleanup(&ab);
		return false;
	}
	bool arg_null = at.null_const;
	if ((oid == PGT_VARCHAR || oid == PGT_BPCHAR) && typmod >= 4 && !at.param) {
		/* an explicit cast to varchar(n) or char(n) truncates to n
		 * characters, where an assignment fails */
		if (!tr_is_text_type(at.oid) || at.unknown)
			tr_coerce(tr, &ab, &at, PGT_TEXT, -1, tc->location);
		Buf sb;
		buf_init(&sb);
		buf_put_str(&sb, "substr(");
		tr_put_buf(&sb, &ab);
		buf_printf(&sb, ", 1, %d)", typmod - 4);
		buf_reset(&ab);
		tr_put_buf(&ab, &sb);
		buf_cleanup(&sb);
		tr_ttype_set(&at, PGT_TEXT, -1);
	}
	bool reg_out = oid == PGT_REGCLASS || oid == PGT_REGTYPE || oid == PGT_REGNAMESPACE;
	bool reg_in = at.oid == PGT_REGCLASS || at.oid == PGT_REGTYPE || at.oid == PGT_REGNAMESPACE;
	tr->catalog = tr->catalog || reg_out || reg_in;
	if (at.unknown && oid == PGT_TEXT) {
		tr_ttype_set(&at, PGT_TEXT, -1);
	} else if (reg_out && !at.unknown && !at.param && tr_is_int_type(at.oid)) {
		/* an OID shown as the object's name (the value becomes that text) */
		buf_printf(out, "%s(", oid == PGT_REGCLASS ? "pg_regclass_out" : oid == PGT_REGTYPE ? "pg_regtype_out"
												  : "pg_regnamespace_out");
		tr_put_buf(out, &ab);
		buf_put_u8(out, ')');
		buf_cleanup(&ab);
		tr_ttype_set(ty, oid, -1);
		return true;
	} else if (reg_in && !at.param && (oid == PGT_TEXT || oid == PGT_NAME)) {
		tr_ttype_set(&at, oid, -1); /* already the name */
	} else if (!at.unknown && !at.param && oid != at.oid && !(oid == PGT_TEXT && tr_is_text_type(at.oid))) {
		/* an explicit cast between different types always goes through pg_cast */
		wrap_cast(&ab, at.oid, at.typmod, oid, typmod);
		tr_ttype_set(&at, oid, typmod);
	} else if (!at.unknown && !at.param && typmod >= 0 && (oid == PGT_NUMERIC || oid == PGT_VARCHAR || oid == PGT_BPCHAR)) {
		wrap_cast(&ab, at.oid, at.typmod, oid, typmod);
		tr_ttype_set(&at, oid, typmod);
	} else {
		tr_coerce(tr, &ab, &at, oid, typmod, tc->location);
	}
	if (!tr->failed && !tr_domain_cast(tr, tc->type_name, &ab)) {
		buf_cleanup(&ab);
		return false;
	}
	tr_put_buf(out, &ab);
	buf_cleanup(&ab);
	*ty = at;
	ty->typmod = typmod;
	ty->null_const = ty->null_const || arg_null; /* a cast of NULL is NULL */
	return !tr->failed;
}

/* x[i]: one element of an array or int2vector/oidvector (0-based). */
bool tr_expr_node(Tr *tr, Node *n, Buf *out, TType *ty)
{
	tr_ttype_set(ty, PGT_TEXT, -1);
	if (tr->failed)
		return false;
	if (tr->gs || n->node_case == PG_QUERY__NODE__NODE_GROUPING_FUNC) {
		int r = tr_group_expr(tr, n, out, ty);
		if (r >= 0)
			return r;
	}
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		return a_const(tr, n->a_const, out, ty);
	case PG_QUERY__NODE__NODE_COLUMN_REF:
		if (n->column_ref->n_fields && n->column_ref->fields[n->column_ref->n_fields - 1]->node_case ==
						   PG_QUERY__NODE__NODE_A_STAR)
			return tr_fail(tr, "42601", n->column_ref->location, "row expansion via \"*\" is not supported here");
		return tr_column_ref(tr, n->column_ref, out, ty);
	case PG_QUERY__NODE__NODE_PARAM_REF:
		return param_ref(tr, n->param_ref, out, ty);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return a_expr(tr, n->a_expr, out, ty);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return bool_expr(tr, n->bool_expr, out, ty);
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return tr_func_call(tr, n->func_call, out, ty);
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return type_cast(tr, n->type_cast, out, ty);
	case PG_QUERY__NODE__NODE_NULL_TEST: {
		Buf ab;
		TType at;
		buf_init(&ab);
		bool ok = tr_expr(tr, n->null_test->arg, &ab, &at);
		if (ok) {
			buf_put_u8(out, '(');
			tr_put_buf(out, &ab);
			buf_put_str(out, n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL ? " IS NULL)"
												 : " IS NOT NULL)");
			tr_ttype_set(ty, PGT_BOOL, -1);
		}
		buf_cleanup(&ab);
		return ok;
	}
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST: {
		static const char *const tests[] = {"", " IS 1", " IS NOT 1", " IS 0", " IS NOT 0", " IS NULL", " IS NOT NULL"};
		Buf ab;
		TType at;
		buf_init(&ab);
		bool ok = tr_expr(tr, n->boolean_test->arg, &ab, &at);
		if (ok) {
			tr_coerce(tr, &ab, &at, PGT_BOOL, -1, n->boolean_test->location);
			buf_put_u8(out, '(');
			tr_put_buf(out, &ab);
			buf_put_str(out, tests[n->boolean_test->booltesttype]);
			buf_put_u8(out, ')');
			tr_ttype_set(ty, PGT_BOOL, -1);
		}
		buf_cleanup(&ab);
		return ok;
	}
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return case_expr(tr, n->case_expr, out, ty);
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return tr_common_type_call(tr, "coalesce", n->coalesce_expr->n_args, n->coalesce_expr->args,
					n->coalesce_expr->location, out, ty);
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return tr_common_type_call(tr, n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST ? "pg_greatest" : "pg_least",
					n->min_max_expr->n_args, n->min_max_expr->args, n->min_max_expr->location, out, ty);
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return tr_sublink(tr, n->sub_link, out, ty);
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		return tr_sql_value_function(tr, n->sqlvalue_function, out, ty);
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return tr_expr(tr, n->collate_clause->arg, out, ty);
	case PG_QUERY__NODE__NODE_SET_TO_DEFAULT:
		return tr_fail(tr, "42601", n->set_to_default->location, "DEFAULT is not allowed in this context");
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return tr_array_expr(tr, n->a_array_expr, out, ty);
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		return row_expr(tr, n->row_expr, out, ty);
	case PG_QUERY__NODE__NODE_A_INDIRECTION:
		return tr_indirection(tr, n->a_indirection, out, ty);
	default:
		return tr_unsupported(tr, -1, "this expression");
	}
}

/* PG's FigureColname: the output name of an unnamed target. */
const char *tr_figure_colname(Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF: {
		Node *last = n->column_ref->fields[n->column_ref->n_fields - 1];
		return last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : "?column?";
	}
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return pgn_str(n->func_call->funcname[n->func_call->n_funcname - 1]);
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		/* a name from under all the casts wins; else the outermost cast's type */
		Node *arg = n->type_cast->arg;
		while (arg->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
			arg = arg->type_cast->arg;
		const char *inner = tr_figure_colname(arg);
		if (strcmp(inner, "?column?") != 0)
			return inner;
		PgQuery__TypeName *tn = n->type_cast->type_name;
		return tn->n_names ? pgn_str(tn->names[tn->n_names - 1]) : "?column?";
	}
	case PG_QUERY__NODE__NODE_A_INDIRECTION: {
		/* the last field name, else the name of what is subscripted */
		const char *f = NULL;
		for (size_t i = 0; i < n->a_indirection->n_indirection; i++)
			if (n->a_indirection->indirection[i]->node_case == PG_QUERY__NODE__NODE_STRING)
				f = n->a_indirection->indirection[i]->string->sval;
		return f ? f : tr_figure_colname(n->a_indirection->arg);
	}
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return "array";
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return "case";
	case PG_QUERY__NODE__NODE_GROUPING_FUNC:
		return "grouping";
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return "coalesce";
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST ? "greatest" : "least";
	case PG_QUERY__NODE__NODE_A_EXPR:
		if (n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF)
			return "nullif";
		return "?column?";
	case PG_QUERY__NODE__NODE_SUB_LINK:
		if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
			return "exists";
		if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK)
			return "array";
		if (n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK) {
			PgQuery__SelectStmt *s = n->sub_link->subselect->select_stmt;
			if (s && s->n_target_list) {
				PgQuery__ResTarget *rt = s->target_list[0]->res_target;
				return pgn_has_str(rt->name) ? rt->name : tr_figure_colname(rt->val);
			}
		}
		return "?column?";
	case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
		switch (n->sqlvalue_function->op) {
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE: return "current_date";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP_N: return "current_timestamp";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP:
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP_N: return "localtimestamp";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER: return "current_user";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE: return "current_role";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER: return "user";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER: return "session_user";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG: return "current_catalog";
		case PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA: return "current_schema";
		default: return "?column?";
		}
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return tr_figure_colname(n->collate_clause->arg);
	default:
		return "?column?";
	}
}

