/*
 * funcs.c - PostgreSQL functions and operators that SQLite lacks or
 * computes differently, registered on each session's connection.
 *
 * Errors are reported with pgt_result_error; pgs_sqlite_error turns them
 * back into ErrorResponse fields.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/pgident.h"
#include "pgsql/pgtime_int.h"
#include "common/pgtime.h"
#include "pgsql/decimal.h"
#include "pgsql/funcs_agg.h"
#include "pgsql/usertype.h"
#include "pgsql/numeric_math.h"
#include "pgsql/pgsql.h"
#include "pgsql/pgtype_int.h"

int64_t pgs_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool is_integer(sqlite3_value *v) { return sqlite3_value_type(v) == SQLITE_INTEGER; }

static void fn_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	PgsSession *s = sqlite3_user_data(ctx);
	char buf[64];
	pgtime_utc(s->txn_start_us ? s->txn_start_us : pgs_now_us(), buf, sizeof(buf));
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_clock_timestamp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	char buf[64];
	pgtime_utc(pgs_now_us(), buf, sizeof(buf));
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	char buf[256];
	snprintf(buf, sizeof(buf), "PostgreSQL %s on x86_64-pc-linux-gnu, compiled by gcc, 64-bit (SQLite %s)",
		 PGW_SERVER_VERSION, sqlite3_libversion());
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_current_schema(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_text(ctx, "public", -1, SQLITE_STATIC);
}

static void fn_current_database(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	PgsSession *s = sqlite3_user_data(ctx);
	sqlite3_result_text(ctx, s->conn->database ? s->conn->database : "dosql", -1, SQLITE_TRANSIENT);
}

static void fn_backend_pid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	PgsSession *s = sqlite3_user_data(ctx);
	sqlite3_result_int(ctx, s->conn->pid);
}

/* dosql_slot_pid(slot): the router session streaming the slot, NULL when
 * none (pg_replication_slots.active_pid). */
static void fn_slot_pid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgsSession *s = sqlite3_user_data(ctx);
	const char *slot = (const char *)sqlite3_value_text(argv[0]);
	int32_t pid = slot && s->hooks.slot_pid ? s->hooks.slot_pid(s->hooks.arg, slot) : 0;
	if (pid)
		sqlite3_result_int(ctx, pid);
}

/* pg_div(a, b, integer_division) / pg_mod: PG raises on a zero divisor. */
/* random(): uniform in [0, 1), 53 random bits. */
static void fn_random(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	uint64_t r;
	sqlite3_randomness(sizeof(r), &r);
	sqlite3_result_double(ctx, (double)(r >> 11) * 0x1.0p-53);
}

/* 22003 for a result outside an integer type of `width` bytes. */
static void out_of_range(sqlite3_context *ctx, int width)
{
	pgt_result_error(ctx, "22003", width == 8 ? "bigint out of range" : width == 4 ? "integer out of range"
									: "smallint out of range");
}

/* The least value of an integer type of `width` bytes, the one whose
 * negation overflows it. */
static int64_t least_of(int width) { return width == 2 ? INT16_MIN : width == 4 ? INT32_MIN : INT64_MIN; }

/* pg_abs(x, argtype): an integer type's least value is 22003, numeric
 * keeps its digits and display scale, floats as fabs. */
/* A double precision value stored as text is NaN (the infinities are
 * REALs): abs, round, trunc, floor and ceil of it are itself. */
static bool float_nan(uint32_t oid, sqlite3_value *v)
{
	return (oid == PGT_FLOAT4 || oid == PGT_FLOAT8) && sqlite3_value_type(v) == SQLITE_TEXT;
}

/* pg_sqrt(x): sqrt of double precision; NaN is NaN, a negative number
 * is 2201F as PostgreSQL says. */
/* pg_float_digits(v, digits): a float's text at that many significant
 * digits (%g), as float8_numeric and float4_numeric read it. */
static void fn_float_digits(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	double v = dec_float_arg(argv[0]);
	char t[64];
	if (isnan(v))
		snprintf(t, sizeof(t), "NaN");
	else if (isinf(v))
		snprintf(t, sizeof(t), v < 0 ? "-Infinity" : "Infinity");
	else
		snprintf(t, sizeof(t), "%.*g", sqlite3_value_int(argv[1]), v);
	sqlite3_result_text(ctx, t, -1, SQLITE_TRANSIENT);
}

/* pg_int_special(v, from, to): v, or the error of casting its NaN or
 * infinity (the text it is stored as) of type from to integer type to. */
static void fn_int_special(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t from = (uint32_t)sqlite3_value_int64(argv[1]), to = (uint32_t)sqlite3_value_int64(argv[2]);
	const char *name = to == PGT_INT2 ? "smallint" : to == PGT_INT8 ? "bigint" : "integer";
	const char *t = sqlite3_value_type(argv[0]) == SQLITE_TEXT ? (const char *)sqlite3_value_text(argv[0]) : NULL;
	bool nan = t && strcasecmp(t, "NaN") == 0;
	bool inf = t ? strcasecmp(t, "Infinity") == 0 || strcasecmp(t, "-Infinity") == 0
		     : sqlite3_value_type(argv[0]) == SQLITE_FLOAT && isinf(sqlite3_value_double(argv[0]));
	char m[64];
	if ((nan || inf) && from == PGT_NUMERIC) {
		snprintf(m, sizeof(m), "cannot convert %s to %s", nan ? "NaN" : "infinity", name);
		pgt_result_error(ctx, "0A000", m);
	} else if (nan) {
		snprintf(m, sizeof(m), "%s out of range", name);
		pgt_result_error(ctx, "22003", m);
	} else {
		sqlite3_result_value(ctx, argv[0]);
	}
}

static void fn_sqrt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if (float_nan(PGT_FLOAT8, argv[0])) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	double x = sqlite3_value_double(argv[0]);
	if (x < 0) {
		pgt_result_error(ctx, "2201F", "cannot take square root of a negative number");
		return;
	}
	sqlite3_result_double(ctx, __builtin_sqrt(x));
}

static void fn_abs(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	uint32_t oid = (uint32_t)sqlite3_value_int64(argv[1]);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if (float_nan(oid, argv[0])) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	if (oid == PGT_NUMERIC) {
		PgtDec *d = sqlite3_malloc(sizeof(PgtDec));
		if (!d) {
			sqlite3_result_error_nomem(ctx);
		} else if (dec_from_value(d, argv[0], -1)) {
			d->neg = false;
			if (d->special == DEC_NINF)
				d->special = DEC_PINF;
			dec_result(ctx, d);
		} else {
			pgt_result_error(ctx, "22P02", "invalid input syntax for type numeric");
		}
		sqlite3_free(d);
		return;
	}
	if (is_integer(argv[0])) {
		int64_t v = sqlite3_value_int64(argv[0]);
		int width = oid == PGT_INT2 ? 2 : oid == PGT_INT4 ? 4 : 8;
		if (v == least_of(width))
			out_of_range(ctx, width);
		else
			sqlite3_result_int64(ctx, v < 0 ? -v : v);
		return;
	}
	sqlite3_result_double(ctx, __builtin_fabs(sqlite3_value_double(argv[0])));
}


/* pg_one_row(n): 1 when a scalar subquery's n rows are at most one, else
 * 21000. */
static void fn_one_row(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_int64(argv[0]) > 1)
		pgt_result_error(ctx, "21000", "more than one row returned by a subquery used as an expression");
	else
		sqlite3_result_int(ctx, 1);
}

static void fn_div(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	bool mod = sqlite3_user_data(ctx) != NULL;
	if (is_integer(argv[0]) && is_integer(argv[1])) {
		sqlite3_int64 a = sqlite3_value_int64(argv[0]), b = sqlite3_value_int64(argv[1]);
		if (b == 0) {
			pgt_result_error(ctx, "22012", "division by zero");
			return;
		}
		if (b == -1) {
			/* the one quotient that overflows: the type's least value / -1 */
			int width = argc == 3 ? sqlite3_value_int(argv[2]) : 8;
			if (!mod && width && a == least_of(width)) {
				out_of_range(ctx, width);
				return;
			}
			sqlite3_result_int64(ctx, mod ? 0 : (sqlite3_int64)(0 - (uint64_t)a));
			return;
		}
		sqlite3_result_int64(ctx, mod ? a % b : a / b);
		return;
	}
	if (mod) {
		/* mod() of anything but two integers is numeric's */
		dec_result_op(ctx, '%', argv[0], -1, argv[1], -1);
		return;
	}
	double a = sqlite3_value_double(argv[0]), b = sqlite3_value_double(argv[1]);
	if (b == 0) {
		pgt_result_error(ctx, "22012", "division by zero");
		return;
	}
	sqlite3_result_double(ctx, a / b);
}

/* A double precision operand: a REAL, an INTEGER, or the text NaN is
 * stored as. */
static double float_arg(sqlite3_value *v)
{
	if (sqlite3_value_type(v) == SQLITE_TEXT)
		return strtod((const char *)sqlite3_value_text(v), NULL);
	return sqlite3_value_double(v);
}

/*
 * pg_float_op(op, a, b, real): a + - * / b in double precision (in real
 * when real is 1) as PostgreSQL computes it: NaN in, NaN out (as the text
 * NaN is stored as), 22012 for a zero divisor of a number, 22003 when a
 * finite result overflows or a product or quotient of non-zero values
 * underflows to zero.
 */
static void fn_float_op(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL || sqlite3_value_type(argv[2]) == SQLITE_NULL)
		return;
	char op = (char)sqlite3_value_text(argv[0])[0];
	bool real = sqlite3_value_int(argv[3]) != 0;
	double x = float_arg(argv[1]), y = float_arg(argv[2]), r;
	if (real)
		x = (float)x, y = (float)y;
	if (op == '/' && y == 0 && !__builtin_isnan(x)) {
		pgt_result_error(ctx, "22012", "division by zero");
		return;
	}
	if (real) {
		float fx = (float)x, fy = (float)y;
		r = op == '+' ? fx + fy : op == '-' ? fx - fy : op == '*' ? fx * fy : fx / fy;
	} else {
		r = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
	}
	bool zero_ok = op == '*' ? x == 0 || y == 0 : op == '/' ? x == 0 || __builtin_isinf(y) : true;
	if (__builtin_isinf(r) && !__builtin_isinf(x) && !__builtin_isinf(y)) {
		pgt_result_error(ctx, "22003", "value out of range: overflow");
		return;
	}
	if (r == 0 && !zero_ok) {
		pgt_result_error(ctx, "22003", "value out of range: underflow");
		return;
	}
	if (__builtin_isnan(r))
		sqlite3_result_text(ctx, "NaN", 3, SQLITE_STATIC);
	else
		sqlite3_result_double(ctx, r);
}

/* pg_checkedN(a, op, b): integer arithmetic with PG's range errors. */
static void fn_checked(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	intptr_t width = (intptr_t)sqlite3_user_data(ctx);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[2]) == SQLITE_NULL)
		return;
	char op = (char)sqlite3_value_text(argv[1])[0];
	if (!is_integer(argv[0]) || !is_integer(argv[2])) {
		double a = sqlite3_value_double(argv[0]), b = sqlite3_value_double(argv[2]);
		sqlite3_result_double(ctx, op == '+' ? a + b : op == '-' ? a - b : a * b);
		return;
	}
	int64_t a = sqlite3_value_int64(argv[0]), b = sqlite3_value_int64(argv[2]), r;
	bool over = op == '+' ? __builtin_add_overflow(a, b, &r) : op == '-' ? __builtin_sub_overflow(a, b, &r)
									    : __builtin_mul_overflow(a, b, &r);
	if (width == 4 && (r < INT32_MIN || r > INT32_MAX))
		over = true;
	if (width == 2 && (r < INT16_MIN || r > INT16_MAX))
		over = true;
	if (over) {
		out_of_range(ctx, width);
		return;
	}
	sqlite3_result_int64(ctx, r);
}

/* sum() of integers is exact (PostgreSQL's sum(int8) is numeric): a
 * 128-bit total, returned as INTEGER when it fits, else as its digits.
 * As a window aggregate values also leave the frame (sign -1). */
typedef struct SumState {
	unsigned char i[sizeof(__int128)]; /* SQLite's aggregate memory is 8-byte aligned */
	double d;
	int64_t n;
	bool real;
	bool overflow;	/* finite values summed to an infinity ... */
	bool nonfinite; /* ... and a value was NaN or infinite (no error then) */
} SumState;

static __int128 sum_get(const SumState *st)
{
	__int128 v;
	memcpy(&v, st->i, sizeof(v));
	return v;
}

static void sum_accum(sqlite3_context *ctx, sqlite3_value *arg, int sign)
{
	SumState *st = sqlite3_aggregate_context(ctx, sizeof(*st));
	if (!st || sqlite3_value_type(arg) == SQLITE_NULL)
		return;
	bool first = st->n == 0 && !st->real && sign > 0;
	st->n += sign;
	if (!st->real && is_integer(arg)) {
		__int128 v = sum_get(st) + sign * (__int128)sqlite3_value_int64(arg);
		memcpy(st->i, &v, sizeof(v));
		return;
	}
	if (!st->real)
		st->d = (double)sum_get(st);
	st->real = true;
	/* float8pl from the first value on: -0 stays -0, NaN stays NaN */
	double v = float_arg(arg), d0 = st->d;
	st->d = first ? v : st->d + sign * v;
	st->overflow = st->overflow || (isinf(st->d) && !isinf(d0) && !isinf(v));
	st->nonfinite = st->nonfinite || !isfinite(v);
}

static void sum_final(sqlite3_context *ctx)
{
	SumState *st = sqlite3_aggregate_context(ctx, 0);
	if (!st || st->n <= 0)
		return;
	__int128 total = sum_get(st);
	if (st->real && st->overflow && !st->nonfinite) {
		pgt_result_error(ctx, "22003", "value out of range: overflow");
	} else if (st->real) {
		dec_float_result(ctx, st->d);
	} else if (total >= INT64_MIN && total <= INT64_MAX) {
		sqlite3_result_int64(ctx, (int64_t)total);
	} else {
		char digits[48], *p = digits + sizeof(digits);
		unsigned __int128 u = total < 0 ? -(unsigned __int128)total : (unsigned __int128)total;
		*--p = 0;
		do {
			*--p = (char)('0' + (int)(u % 10));
			u /= 10;
		} while (u);
		if (total < 0)
			*--p = '-';
		sqlite3_result_text(ctx, p, -1, SQLITE_TRANSIENT);
	}
}

/* PostgreSQL's regular expressions accept the class escapes \d \s \w (and
 * their negations) inside and outside brackets; POSIX ERE does not.  Rewrite
 * them into POSIX classes.  Returns a malloc'd pattern. */
static char *regex_to_posix(const char *pat)
{
	Buf b;
	buf_init(&b);
	bool in_bracket = false;
	for (const char *p = pat; *p; p++) {
		if (*p == '\\' && p[1] && strchr("dDsSwW", p[1])) {
			char c = p[1];
			const char *cls = (c == 'd' || c == 'D') ? "[:digit:]" : (c == 's' || c == 'S') ? "[:space:]" : "[:alnum:]_";
			bool neg = c == 'D' || c == 'S' || c == 'W';
			if (in_bracket)
				buf_put_str(&b, cls);
			else
				buf_printf(&b, "[%s%s]", neg ? "^" : "", cls);
			p++;
			continue;
		}
		if (*p == '\\' && p[1]) {
			buf_put_u8(&b, (uint8_t)*p++);
			buf_put_u8(&b, (uint8_t)*p);
			continue;
		}
		if (!in_bracket && *p == '[') {
			in_bracket = true;
			buf_put_u8(&b, '[');
			if (p[1] == '^')
				buf_put_u8(&b, (uint8_t)*++p);
			if (p[1] == ']')
				buf_put_u8(&b, (uint8_t)*++p);
			continue;
		}
		if (in_bracket && *p == '[' && p[1] == ':') {
			const char *end = strstr(p + 2, ":]");
			if (end) {
				buf_put(&b, p, (size_t)(end + 2 - p));
				p = end + 1;
				continue;
			}
		}
		if (in_bracket && *p == ']')
			in_bracket = false;
		buf_put_u8(&b, (uint8_t)*p);
	}
	char *out = strdup(buf_cstr(&b));
	buf_cleanup(&b);
	return out;
}

/* The first construct of PostgreSQL's advanced regular expressions that
 * POSIX ERE would read differently (non-greedy quantifiers, (?...) groups,
 * \m \M \y \Y \A \Z), or NULL. */
static const char *are_only(const char *p)
{
	bool in_bracket = false;
	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			if (!in_bracket && strchr("mMyYAZ", p[1]))
				return "\\m \\M \\y \\Y \\A \\Z";
			p++;
		} else if (in_bracket) {
			in_bracket = *p != ']';
		} else if (*p == '[') {
			in_bracket = true;
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++;
		} else if (strchr("*+?}", *p) && p[1] == '?') {
			return "non-greedy quantifiers";
		} else if (*p == '(' && p[1] == '?') {
			return "(?...) groups";
		}
	}
	return NULL;
}

/* regcomp() of a PostgreSQL pattern; on failure reports 2201B on ctx, 0A000
 * for what only PostgreSQL's advanced expressions have. */
static bool pg_regcomp(sqlite3_context *ctx, regex_t *re, const char *pattern, int flags)
{
	const char *are = are_only(pattern);
	if (are) {
		char m[160];
		snprintf(m, sizeof(m), "regular expressions with %s are not supported by DoSQL", are);
		pgt_result_error(ctx, "0A000", m);
		return false;
	}
	char *posix = regex_to_posix(pattern);
	int rc = regcomp(re, posix, REG_EXTENDED | flags);
	free(posix);
	if (rc == 0)
		return true;
	char msg[200], full[256];
	regerror(rc, re, msg, sizeof(msg));
	snprintf(full, sizeof(full), "invalid regular expression: %s", msg);
	pgt_result_error(ctx, "2201B", full);
	return false;
}

bool pgs_regcomp(sqlite3_context *ctx, regex_t *re, const char *pattern, int flags)
{
	return pg_regcomp(ctx, re, pattern, flags);
}

typedef struct FloatAvg {
	double sum;
	int64_t n, nan, inf[2];
} FloatAvg;

static void floatavg_accum(sqlite3_context *ctx, sqlite3_value *arg, int sign)
{
	FloatAvg *st = sqlite3_aggregate_context(ctx, sizeof(*st));
	if (!st || sqlite3_value_type(arg) == SQLITE_NULL)
		return;
	double v = float_arg(arg);
	/* NaN and the infinities are counted: a frame they leave loses them */
	if (isnan(v))
		st->nan += sign;
	else if (isinf(v))
		st->inf[v < 0] += sign;
	else
		st->sum += sign * v;
	st->n += sign;
}

/* The step and inverse of a window aggregate whose user data is its
 * accumulate function (sign 1: a value enters, -1: it leaves the frame). */
typedef void (*Accum)(sqlite3_context *ctx, sqlite3_value *arg, int sign);

static void accum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	((Accum)sqlite3_user_data(ctx))(ctx, argv[0], 1);
}

static void accum_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	((Accum)sqlite3_user_data(ctx))(ctx, argv[0], -1);
}

static void floatavg_final(sqlite3_context *ctx)
{
	FloatAvg *st = sqlite3_aggregate_context(ctx, 0);
	if (!st || st->n <= 0)
		return;
	if (st->nan || (st->inf[0] && st->inf[1]))
		dec_float_result(ctx, NAN);
	else if (st->inf[0] || st->inf[1])
		sqlite3_result_double(ctx, st->inf[0] ? INFINITY : -INFINITY);
	else if (isinf(st->sum))
		pgt_result_error(ctx, "22003", "value out of range: overflow");
	else
		sqlite3_result_double(ctx, st->sum / (double)st->n);
}

/* pg_regexp(string, pattern, icase): POSIX extended regular expressions. */
static void regex_free(void *p)
{
	regfree(p);
	free(p);
}

static void fn_regexp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	int icase = sqlite3_value_int(argv[2]);
	regex_t *re = sqlite3_get_auxdata(ctx, 1);
	if (!re) {
		re = malloc(sizeof(*re));
		if (!pg_regcomp(ctx, re, (const char *)sqlite3_value_text(argv[1]), REG_NOSUB | (icase ? REG_ICASE : 0))) {
			free(re);
			return;
		}
		sqlite3_set_auxdata(ctx, 1, re, regex_free);
		re = sqlite3_get_auxdata(ctx, 1);
		if (!re)
			return;
	}
	sqlite3_result_int(ctx, regexec(re, (const char *)sqlite3_value_text(argv[0]), 0, NULL, 0) == 0);
}

/* GREATEST / LEAST: NULL arguments are ignored, as in PostgreSQL. */
/* pg_greatest/pg_least(v, ...), and pg_greatest_t/pg_least_t(oid, v, ...)
 * comparing as type oid orders its text (dates and timestamps in time
 * order, character(n) without its padding). */
static void fn_minmax(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	intptr_t mode = (intptr_t)sqlite3_user_data(ctx);
	bool greatest = mode & 1;
	int first = mode & 2 ? 1 : 0;
	uint32_t oid = first ? (uint32_t)sqlite3_value_int64(argv[0]) : 0;
	sqlite3_value *best = NULL;
	for (int i = first; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			continue;
		if (!best) {
			best = argv[i];
			continue;
		}
		int cmp;
		if (oid) {
			const char *x = (const char *)sqlite3_value_text(argv[i]);
			const char *y = (const char *)sqlite3_value_text(best);
			cmp = pgt_order_text(oid, x, (size_t)sqlite3_value_bytes(argv[i]), y,
					     (size_t)sqlite3_value_bytes(best));
		} else if (sqlite3_value_numeric_type(argv[i]) != SQLITE_TEXT &&
			   sqlite3_value_numeric_type(best) != SQLITE_TEXT) {
			double a = sqlite3_value_double(argv[i]), b = sqlite3_value_double(best);
			cmp = a < b ? -1 : a > b;
		} else {
			cmp = strcmp((const char *)sqlite3_value_text(argv[i]), (const char *)sqlite3_value_text(best));
		}
		if (greatest ? cmp > 0 : cmp < 0)
			best = argv[i];
	}
	if (best)
		sqlite3_result_value(ctx, best);
}

static void fn_concat(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	Buf b;
	buf_init(&b);
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) != SQLITE_NULL)
			buf_put(&b, sqlite3_value_text(argv[i]), (size_t)sqlite3_value_bytes(argv[i]));
	sqlite3_result_text(ctx, b.data ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

/* Character-based helpers: UTF-8 aware lengths and offsets. */
static size_t utf8_advance(const unsigned char *s, size_t len, size_t nchars)
{
	size_t i = 0;
	while (i < len && nchars > 0) {
		i++;
		while (i < len && (s[i] & 0xC0) == 0x80)
			i++;
		nchars--;
	}
	return i;
}

static size_t utf8_len(const unsigned char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += (s[i] & 0xC0) != 0x80;
	return n;
}

static void fn_left_right(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	bool right = sqlite3_user_data(ctx) != NULL;
	const unsigned char *s = sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	int64_t n = sqlite3_value_int64(argv[1]);
	int64_t total = (int64_t)utf8_len(s, len);
	int64_t take = n >= 0 ? (n < total ? n : total) : (total + n > 0 ? total + n : 0);
	if (!right) {
		size_t bytes = utf8_advance(s, len, (size_t)take);
		sqlite3_result_text(ctx, (const char *)s, (int)bytes, SQLITE_TRANSIENT);
	} else {
		size_t start = utf8_advance(s, len, (size_t)(total - take));
		sqlite3_result_text(ctx, (const char *)s + start, (int)(len - start), SQLITE_TRANSIENT);
	}
}

/*
 * pg_substr(s, start [, count]): substr and substring of text (characters)
 * and of bytea (bytes), as PostgreSQL counts: the part from start, which
 * may lie before the first, to start + count; a negative count is 22011.
 */
static void fn_substr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	bool bytes = sqlite3_value_type(argv[0]) == SQLITE_BLOB;
	const unsigned char *s = bytes ? sqlite3_value_blob(argv[0]) : sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	int64_t start = sqlite3_value_int64(argv[1]);
	int64_t end = INT64_MAX;
	if (argc == 3) {
		int64_t count = sqlite3_value_int64(argv[2]);
		if (count < 0) {
			pgt_result_error(ctx, "22011", "negative substring length not allowed");
			return;
		}
		if (__builtin_add_overflow(start, count, &end))
			end = INT64_MAX;
	}
	int64_t first = start < 1 ? 1 : start;
	size_t from = 0, to = 0;
	if (end > first) {
		size_t n = (size_t)(end - first < (int64_t)len ? end - first : (int64_t)len);
		from = bytes ? ((uint64_t)(first - 1) < len ? (size_t)(first - 1) : len)
			     : utf8_advance(s, len, (size_t)(first - 1 < (int64_t)len ? first - 1 : (int64_t)len));
		to = bytes ? (n < len - from ? from + n : len) : from + utf8_advance(s + from, len - from, n);
	}
	if (bytes)
		sqlite3_result_blob(ctx, s ? s + from : (const unsigned char *)"", (int)(to - from), SQLITE_TRANSIENT);
	else
		sqlite3_result_text(ctx, (const char *)s + from, (int)(to - from), SQLITE_TRANSIENT);
}

/* pg_bytea_trim(b, set, mode): btrim (mode 0), ltrim (1) and rtrim (2) of
 * bytea: the bytes of set removed from the start, the end or both. */
static void fn_bytea_trim(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	const unsigned char *b = sqlite3_value_blob(argv[0]), *set = sqlite3_value_blob(argv[1]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]), nset = (size_t)sqlite3_value_bytes(argv[1]);
	int mode = sqlite3_value_int(argv[2]);
	size_t from = 0, to = len;
	while (mode != 2 && from < to && set && memchr(set, b[from], nset))
		from++;
	while (mode != 1 && to > from && set && memchr(set, b[to - 1], nset))
		to--;
	sqlite3_result_blob(ctx, b ? b + from : (const unsigned char *)"", (int)(to - from), SQLITE_TRANSIENT);
}

static void fn_repeat(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	int64_t n = sqlite3_value_int64(argv[1]);
	if (n <= 0 || len == 0) {
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		return;
	}
	if ((uint64_t)n * len > 100000000u) {
		pgt_result_error(ctx, "54000", "requested length too large");
		return;
	}
	Buf b;
	buf_init(&b);
	for (int64_t i = 0; i < n; i++)
		buf_put(&b, s, len);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

static void fn_reverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	const unsigned char *s = sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	char *r = malloc(len + 1);
	size_t o = len;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_advance(s + i, len - i, 1);
		o -= n;
		memcpy(r + o, s + i, n);
		i += n;
	}
	sqlite3_result_text(ctx, r, (int)len, free);
}

static void fn_pad(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	bool right = sqlite3_user_data(ctx) != NULL;
	const unsigned char *s = sqlite3_value_text(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	const unsigned char *fill = argc > 2 ? sqlite3_value_text(argv[2]) : (const unsigned char *)" ";
	size_t flen = argc > 2 ? (size_t)sqlite3_value_bytes(argv[2]) : 1;
	int64_t want = sqlite3_value_int64(argv[1]);
	if (want < 0)
		want = 0;
	if (want > 10000000) {
		pgt_result_error(ctx, "54000", "requested length too large");
		return;
	}
	int64_t have = (int64_t)utf8_len(s, len);
	Buf b;
	buf_init(&b);
	if (have >= want) {
		buf_put(&b, s, utf8_advance(s, len, (size_t)want));
	} else {
		Buf pad;
		buf_init(&pad);
		size_t fchars = utf8_len(fill, flen), fi = 0;
		for (int64_t i = 0; i < want - have && fchars; i++) {
			size_t n = utf8_advance(fill + fi, flen - fi, 1);
			buf_put(&pad, fill + fi, n);
			fi += n;
			if (fi >= flen)
				fi = 0;
		}
		if (right) {
			buf_put(&b, s, len);
			buf_put(&b, pad.data, pad.len);
		} else {
			buf_put(&b, pad.data, pad.len);
			buf_put(&b, s, len);
		}
		buf_cleanup(&pad);
	}
	sqlite3_result_text(ctx, b.data ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

static void fn_md5(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	unsigned char d[16];
	unsigned int dl = 0;
	const void *p = sqlite3_value_type(argv[0]) == SQLITE_BLOB ? sqlite3_value_blob(argv[0])
								      : (const void *)sqlite3_value_text(argv[0]);
	EVP_Digest(p, (size_t)sqlite3_value_bytes(argv[0]), d, &dl, EVP_md5(), NULL);
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	sqlite3_result_text(ctx, hex, 32, SQLITE_TRANSIENT);
}

static void fn_octet_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB)
		(void)sqlite3_value_text(argv[0]);
	sqlite3_result_int(ctx, sqlite3_value_bytes(argv[0]));
}

/* floor (toward minus infinity) or ceil of a decimal: its integral part,
 * one less or more where a fraction was cut. */
static DecStatus dec_floor_ceil(PgtDec *d, bool ceil)
{
	PgtDec t = *d, one, r;
	DecStatus st = dec_trunc_to(&t, 0);
	if (st != DEC_OK || d->special != DEC_FINITE || dec_cmp(&t, d) == 0 || d->neg != !ceil) {
		*d = t;
		return st;
	}
	pgt_dec_from_int(&one, 1);
	st = ceil ? dec_add(&t, &one, &r) : dec_sub(&t, &one, &r);
	*d = r;
	return st;
}

/* pg_round(x [, digits], argtype), pg_trunc, and pg_floor(x, argtype) and
 * pg_ceil: numeric keeps decimal semantics, double precision rounds half to
 * even. */
static void fn_round(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	intptr_t mode = (intptr_t)sqlite3_user_data(ctx); /* 0 round, 1 trunc, 2 floor, 3 ceil */
	bool trunc = mode == 1;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if (float_nan((uint32_t)sqlite3_value_int64(argv[argc - 1]), argv[0])) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	int digits = argc == 3 ? sqlite3_value_int(argv[1]) : 0;
	if ((uint32_t)sqlite3_value_int64(argv[argc - 1]) == PGT_NUMERIC) {
		PgtDec *d = sqlite3_malloc(sizeof(PgtDec));
		if (!d) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		if (dec_from_value(d, argv[0], -1)) {
			DecStatus st = mode >= 2 ? dec_floor_ceil(d, mode == 3)
				       : trunc	 ? dec_trunc_to(d, digits)
						 : dec_round_to(d, digits);
			if (st != DEC_OK)
				dec_result_status(ctx, st);
			else
				dec_result(ctx, d);
			sqlite3_free(d);
			return;
		}
		sqlite3_free(d);
	}
	if (is_integer(argv[0]) && digits >= 0) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	double x = sqlite3_value_double(argv[0]);
	double scale = 1;
	for (int i = 0; i < (digits < 0 ? -digits : digits); i++)
		scale *= 10;
	double y = digits >= 0 ? x * scale : x / scale;
	double r;
	uint32_t argtype = (uint32_t)sqlite3_value_int64(argv[argc - 1]);
	if (mode >= 2)
		r = mode == 3 ? __builtin_ceil(y) : __builtin_floor(y);
	else if (trunc)
		r = y < 0 ? -__builtin_floor(-y) : __builtin_floor(y);
	else if (argtype == PGT_FLOAT4 || argtype == PGT_FLOAT8)
		r = __builtin_rint(y); /* round(double precision) rounds half to even */
	else
		r = y < 0 ? -__builtin_floor(-y + 0.5) : __builtin_floor(y + 0.5);
	r = digits >= 0 ? r / scale : r * scale;
	bool neg_zero = r == 0 && signbit(r) && (argtype == PGT_FLOAT4 || argtype == PGT_FLOAT8);
	if (digits <= 0 && r >= -9.2e18 && r <= 9.2e18 && !neg_zero) /* a float's -0 stays a REAL */
		sqlite3_result_int64(ctx, (sqlite3_int64)r);
	else
		sqlite3_result_double(ctx, r);
}

static void fn_gen_random_uuid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	uint8_t u[16];
	if (!pgw_random_bytes(u, sizeof(u))) {
		pgt_result_error(ctx, "XX000", "could not generate random values");
		return;
	}
	u[6] = (uint8_t)((u[6] & 0x0F) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3F) | 0x80);
	char s[37];
	snprintf(s, sizeof(s), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	sqlite3_result_text(ctx, s, 36, SQLITE_TRANSIENT);
}

/* pg_sleep(seconds): sleeps in short steps so a CancelRequest ends it. */
static void fn_sleep(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgsSession *s = sqlite3_user_data(ctx);
	int64_t end = pgs_now_us() + (int64_t)(sqlite3_value_double(argv[0]) * 1e6);
	while (pgs_now_us() < end) {
		if (atomic_load(&s->cancel)) {
			pgt_result_error(ctx, "57014", "canceling statement due to user request");
			return;
		}
		if (s->deadline_us && pgs_now_us() >= s->deadline_us) {
			s->timed_out = true;
			pgt_result_error(ctx, "57014", "canceling statement due to statement timeout");
			return;
		}
		usleep(5000);
	}
	sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
}

static void fn_set_config(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgsSession *s = sqlite3_user_data(ctx);
	PgwError e;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		pgt_result_error(ctx, "22004", "SET requires parameter name");
		return;
	}
	const char *v = sqlite3_value_type(argv[1]) == SQLITE_NULL ? "" : (const char *)sqlite3_value_text(argv[1]);
	if (!pgs_guc_set(s, (const char *)sqlite3_value_text(argv[0]), v, &e)) {
		pgt_result_error(ctx, e.sqlstate, e.message);
		return;
	}
	sqlite3_result_text(ctx, pgs_guc_get(s, (const char *)sqlite3_value_text(argv[0])), -1, SQLITE_TRANSIENT);
}

static void fn_current_setting(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	PgsSession *s = sqlite3_user_data(ctx);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	const char *name = (const char *)sqlite3_value_text(argv[0]);
	const char *v = pgs_guc_get(s, name);
	if (!v) {
		if (argc > 1 && sqlite3_value_int(argv[1]))
			return;
		char msg[256];
		snprintf(msg, sizeof(msg), "unrecognized configuration parameter \"%s\"", name);
		pgt_result_error(ctx, "42704", msg);
		return;
	}
	sqlite3_result_text(ctx, v, -1, SQLITE_TRANSIENT);
}

/* ---- sequences ---- */

/* Strip "public." and quotes from a sequence name as nextval() receives it. */
static void seq_name(const char *in, char *out, size_t n)
{
	const char *p = in;
	if (strncmp(p, "public.", 7) == 0)
		p += 7;
	size_t k = 0;
	for (; *p && k + 1 < n; p++)
		if (*p != '"')
			out[k++] = *p;
	out[k] = 0;
}

static bool seq_lookup(PgsSession *s, sqlite3_value *arg, uint32_t *oid, sqlite3_context *ctx)
{
	if (sqlite3_value_type(arg) == SQLITE_INTEGER) {
		*oid = (uint32_t)sqlite3_value_int64(arg);
		return true;
	}
	char name[256];
	seq_name((const char *)sqlite3_value_text(arg), name, sizeof(name));
	const PgsTable *t = pgs_catalog_table(&s->cat, name);
	if (!t || t->relkind != 'S') {
		char msg[320];
		snprintf(msg, sizeof(msg), "relation \"%s\" does not exist", name);
		pgt_result_error(ctx, "42P01", msg);
		return false;
	}
	*oid = t->oid;
	return true;
}

static void remember_seq(PgsSession *s, uint32_t oid, int64_t v)
{
	s->lastval = v;
	s->have_lastval = true;
	for (int i = 0; i < s->nseq; i++)
		if (s->seqvals[i].oid == oid) {
			s->seqvals[i].value = v;
			return;
		}
	if (s->nseq < (int)(sizeof(s->seqvals) / sizeof(s->seqvals[0]))) {
		s->seqvals[s->nseq].oid = oid;
		s->seqvals[s->nseq].value = v;
		s->nseq++;
	}
}

static void fn_nextval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgsSession *s = sqlite3_user_data(ctx);
	uint32_t oid;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || !seq_lookup(s, argv[0], &oid, ctx))
		return;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE main._dosql_sequence SET last_value = CASE WHEN is_called THEN last_value + seqincrement"
			       " ELSE last_value END, is_called = 1 WHERE seqrelid = ?1"
			       " RETURNING last_value, seqmax, seqmin",
			       -1, &st, NULL) != SQLITE_OK) {
		pgt_result_error(ctx, "XX000", sqlite3_errmsg(s->db));
		return;
	}
	sqlite3_bind_int64(st, 1, oid);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		pgt_result_error(ctx, rc == SQLITE_BUSY ? "40001" : "XX000", sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return;
	}
	int64_t v = sqlite3_column_int64(st, 0);
	int64_t max = sqlite3_column_int64(st, 1), min = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	if (v > max || v < min) {
		pgt_result_error(ctx, "2200H", "nextval: reached maximum value of sequence");
		return;
	}
	remember_seq(s, oid, v);
	sqlite3_result_int64(ctx, v);
}

static void fn_currval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgsSession *s = sqlite3_user_data(ctx);
	uint32_t oid;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || !seq_lookup(s, argv[0], &oid, ctx))
		return;
	for (int i = 0; i < s->nseq; i++)
		if (s->seqvals[i].oid == oid) {
			sqlite3_result_int64(ctx, s->seqvals[i].value);
			return;
		}
	char msg[320], name[256];
	seq_name((const char *)sqlite3_value_text(argv[0]), name, sizeof(name));
	snprintf(msg, sizeof(msg), "currval of sequence \"%s\" is not yet defined in this session", name);
	pgt_result_error(ctx, "55000", msg);
}

static void fn_lastval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	PgsSession *s = sqlite3_user_data(ctx);
	if (!s->have_lastval) {
		pgt_result_error(ctx, "55000", "lastval is not yet defined in this session");
		return;
	}
	sqlite3_result_int64(ctx, s->lastval);
}

static void fn_setval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	PgsSession *s = sqlite3_user_data(ctx);
	uint32_t oid;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || !seq_lookup(s, argv[0], &oid, ctx))
		return;
	int64_t v = sqlite3_value_int64(argv[1]);
	int called = argc > 2 ? sqlite3_value_int(argv[2]) : 1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "UPDATE main._dosql_sequence SET last_value = ?2, is_called = ?3 WHERE seqrelid = ?1",
			       -1, &st, NULL) != SQLITE_OK) {
		pgt_result_error(ctx, "XX000", sqlite3_errmsg(s->db));
		return;
	}
	sqlite3_bind_int64(st, 1, oid);
	sqlite3_bind_int64(st, 2, v);
	sqlite3_bind_int(st, 3, called);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		pgt_result_error(ctx, rc == SQLITE_BUSY ? "40001" : "XX000", sqlite3_errmsg(s->db));
		return;
	}
	if (called)
		remember_seq(s, oid, v);
	sqlite3_result_int64(ctx, v);
}

static void fn_get_serial_sequence(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	PgsSession *s = sqlite3_user_data(ctx);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	char tname[256];
	seq_name((const char *)sqlite3_value_text(argv[0]), tname, sizeof(tname));
	const PgsTable *t = pgs_catalog_table(&s->cat, tname);
	if (!t) {
		char msg[320];
		snprintf(msg, sizeof(msg), "relation \"%s\" does not exist", tname);
		pgt_result_error(ctx, "42P01", msg);
		return;
	}
	const PgsColumn *c = pgs_table_column(t, (const char *)sqlite3_value_text(argv[1]));
	if (!c) {
		char msg[320];
		snprintf(msg, sizeof(msg), "column \"%s\" of relation \"%s\" does not exist",
			 (const char *)sqlite3_value_text(argv[1]), tname);
		pgt_result_error(ctx, "42703", msg);
		return;
	}
	const char *d = c->default_expr;
	const char *q = d ? strstr(d, "nextval('") : NULL;
	if (!q)
		return;
	q += 9;
	const char *e = strchr(q, '\'');
	if (!e)
		return;
	char seq[300];
	snprintf(seq, sizeof(seq), "public.%.*s", (int)(e - q), q);
	sqlite3_result_text(ctx, seq, -1, SQLITE_TRANSIENT);
}

/* pg_regex_substring(string, pattern): substring(x from pattern) -- the first
 * parenthesized subexpression's match, or the whole match. */
static void fn_regex_substring(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	regex_t re;
	regmatch_t m[2];
	const char *str = (const char *)sqlite3_value_text(argv[0]);
	if (!pg_regcomp(ctx, &re, (const char *)sqlite3_value_text(argv[1]), 0))
		return;
	if (regexec(&re, str, 2, m, 0) == 0) {
		int k = re.re_nsub >= 1 ? 1 : 0;
		if (m[k].rm_so >= 0)
			sqlite3_result_text(ctx, str + m[k].rm_so, (int)(m[k].rm_eo - m[k].rm_so), SQLITE_TRANSIENT);
	}
	regfree(&re);
}

/* pg_regexp_replace(string, pattern, replacement [, flags]): \1..\9 and \&
 * in the replacement; flag g replaces every match, i ignores case. */
static void fn_regexp_replace(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	const char *flags = argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : "";
	bool global = strchr(flags, 'g') != NULL;
	regex_t re;
	regmatch_t m[10];
	if (!pg_regcomp(ctx, &re, (const char *)sqlite3_value_text(argv[1]), strchr(flags, 'i') ? REG_ICASE : 0))
		return;
	const char *str = (const char *)sqlite3_value_text(argv[0]);
	const char *rep = (const char *)sqlite3_value_text(argv[2]);
	Buf out;
	buf_init(&out);
	const char *p = str;
	int eflags = 0;
	while (*p && regexec(&re, p, 10, m, eflags) == 0) {
		buf_put(&out, p, (size_t)m[0].rm_so);
		for (const char *r = rep; *r; r++) {
			if (*r == '\\' && r[1] >= '1' && r[1] <= '9') {
				int g = r[1] - '0';
				if ((size_t)g <= re.re_nsub && m[g].rm_so >= 0)
					buf_put(&out, p + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
				r++;
			} else if (*r == '\\' && r[1] == '&') {
				buf_put(&out, p + m[0].rm_so, (size_t)(m[0].rm_eo - m[0].rm_so));
				r++;
			} else if (*r == '\\' && r[1] == '\\') {
				buf_put_u8(&out, '\\');
				r++;
			} else {
				buf_put_u8(&out, (uint8_t)*r);
			}
		}
		if (m[0].rm_eo == m[0].rm_so) {
			/* empty match: copy one character and move on */
			if (p[m[0].rm_eo])
				buf_put_u8(&out, (uint8_t)p[m[0].rm_eo]);
			p += m[0].rm_eo + (p[m[0].rm_eo] ? 1 : 0);
		} else {
			p += m[0].rm_eo;
		}
		eflags = REG_NOTBOL;
		if (!global)
			break;
	}
	buf_put_str(&out, p);
	regfree(&re);
	sqlite3_result_text(ctx, out.data ? (const char *)out.data : "", (int)out.len, SQLITE_TRANSIENT);
	buf_cleanup(&out);
}

/* quote_ident(text): double-quote an identifier when PostgreSQL would. */
static void fn_quote_ident(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	Buf b;
	buf_init(&b);
	pgi_put_ident(&b, (const char *)sqlite3_value_text(argv[0]));
	sqlite3_result_text(ctx, b.data ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

/* pg_subscript(array_text, index, lower_bound): one element of '{a,b}' or of
 * an int2vector's '1 2'. */
static void fn_subscript(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	const char *p = (const char *)sqlite3_value_text(argv[0]);
	int64_t want = sqlite3_value_int64(argv[1]) - sqlite3_value_int64(argv[2]);
	if (*p == '{')
		p++;
	for (int64_t i = 0; *p && *p != '}'; i++) {
		Buf el;
		buf_init(&el);
		bool quoted = *p == '"';
		if (quoted) {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_put_u8(&el, (uint8_t)*p);
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != ' ' && *p != '}')
				buf_put_u8(&el, (uint8_t)*p++);
		}
		if (i == want) {
			const char *v = buf_cstr(&el);
			char *end;
			long long n = strtoll(v, &end, 10);
			if (!quoted && strcmp(v, "NULL") == 0)
				;
			else if (!quoted && *v && !*end)
				sqlite3_result_int64(ctx, n);
			else
				sqlite3_result_text(ctx, v, (int)el.len, SQLITE_TRANSIENT);
			buf_cleanup(&el);
			return;
		}
		buf_cleanup(&el);
		if (*p == ',' || *p == ' ')
			p++;
	}
}

/* pg_fold_ok(...): 1, after its arguments were evaluated (the constant
 * expressions PostgreSQL's planner folds, translate_constfold.c). */
static void fn_fold_ok(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_int(ctx, 1);
}

/* SQLite's Bloom filters on joins (an automatic index) hash a text by its
 * length, taking texts equal under a collation to be as long: DoSQL's
 * collations make texts of other lengths equal ('0' and '0.00' under
 * pg_numeric, jsonb, dates), which the filters would drop from a join.
 * The optimization masks are sqliteInt.h's. */
#define DOSQL_SQLITE_BLOOM_FILTER 0x00080000
#define DOSQL_SQLITE_BLOOM_PULLDOWN 0x00100000

bool pgs_funcs_register(PgsSession *s)
{
	sqlite3_test_control(SQLITE_TESTCTRL_OPTIMIZATIONS, s->db,
			     DOSQL_SQLITE_BLOOM_FILTER | DOSQL_SQLITE_BLOOM_PULLDOWN);
	PgtSqlFunc fns[] = {
		{"pg_now", 0, fn_now, s, 0},
		{"pg_clock_timestamp", 0, fn_clock_timestamp, NULL, 0},
		{"pg_version", 0, fn_version, NULL, SQLITE_DETERMINISTIC},
		{"pg_current_schema", 0, fn_current_schema, NULL, SQLITE_DETERMINISTIC},
		{"pg_current_database", 0, fn_current_database, s, 0},
		{"pg_backend_pid", 0, fn_backend_pid, s, 0},
		{"dosql_slot_pid", 1, fn_slot_pid, s, 0},
		{"pg_random", 0, fn_random, NULL, 0},
		{"pg_abs", 2, fn_abs, NULL, SQLITE_DETERMINISTIC},
		{"pg_sqrt", 1, fn_sqrt, NULL, SQLITE_DETERMINISTIC},
		{"pg_int_special", 3, fn_int_special, NULL, SQLITE_DETERMINISTIC},
		{"pg_float_digits", 2, fn_float_digits, NULL, SQLITE_DETERMINISTIC},
		{"pg_float_op", 4, fn_float_op, NULL, SQLITE_DETERMINISTIC},
		{"pg_div", 3, fn_div, NULL, SQLITE_DETERMINISTIC},
		{"pg_one_row", 1, fn_one_row, NULL, SQLITE_DETERMINISTIC},
		{"pg_mod", 3, fn_div, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_mod", 2, fn_div, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_checked2", 3, fn_checked, (void *)2, SQLITE_DETERMINISTIC},
		{"pg_checked4", 3, fn_checked, (void *)4, SQLITE_DETERMINISTIC},
		{"pg_checked8", 3, fn_checked, (void *)8, SQLITE_DETERMINISTIC},
		{"pg_regexp", 3, fn_regexp, NULL, SQLITE_DETERMINISTIC},
		{"pg_greatest", -1, fn_minmax, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_least", -1, fn_minmax, NULL, SQLITE_DETERMINISTIC},
		{"pg_greatest_t", -1, fn_minmax, (void *)3, SQLITE_DETERMINISTIC},
		{"pg_least_t", -1, fn_minmax, (void *)2, SQLITE_DETERMINISTIC},
		{"pg_concat", -1, fn_concat, NULL, SQLITE_DETERMINISTIC},
		{"pg_substr", 2, fn_substr, NULL, SQLITE_DETERMINISTIC},
		{"pg_substr", 3, fn_substr, NULL, SQLITE_DETERMINISTIC},
		{"pg_bytea_trim", 3, fn_bytea_trim, NULL, SQLITE_DETERMINISTIC},
		{"pg_left", 2, fn_left_right, NULL, SQLITE_DETERMINISTIC},
		{"pg_right", 2, fn_left_right, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_repeat", 2, fn_repeat, NULL, SQLITE_DETERMINISTIC},
		{"pg_reverse", 1, fn_reverse, NULL, SQLITE_DETERMINISTIC},
		{"pg_lpad", 2, fn_pad, NULL, SQLITE_DETERMINISTIC},
		{"pg_lpad", 3, fn_pad, NULL, SQLITE_DETERMINISTIC},
		{"pg_rpad", 2, fn_pad, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_rpad", 3, fn_pad, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_md5", 1, fn_md5, NULL, SQLITE_DETERMINISTIC},
		{"pg_octet_length", 1, fn_octet_length, NULL, SQLITE_DETERMINISTIC},
		{"pg_round", 2, fn_round, NULL, SQLITE_DETERMINISTIC},
		{"pg_round", 3, fn_round, NULL, SQLITE_DETERMINISTIC},
		{"pg_trunc", 2, fn_round, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_trunc", 3, fn_round, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_floor", 2, fn_round, (void *)2, SQLITE_DETERMINISTIC},
		{"pg_ceil", 2, fn_round, (void *)3, SQLITE_DETERMINISTIC},
		{"pg_gen_random_uuid", 0, fn_gen_random_uuid, NULL, 0},
		{"pg_sleep", 1, fn_sleep, s, 0},
		{"pg_set_config", 3, fn_set_config, s, 0},
		{"pg_current_setting", 1, fn_current_setting, s, 0},
		{"pg_current_setting", 2, fn_current_setting, s, 0},
		{"pg_nextval", 1, fn_nextval, s, 0},
		{"pg_currval", 1, fn_currval, s, 0},
		{"pg_lastval", 0, fn_lastval, s, 0},
		{"pg_setval", 2, fn_setval, s, 0},
		{"pg_setval", 3, fn_setval, s, 0},
		{"pg_get_serial_sequence", 2, fn_get_serial_sequence, s, 0},
		{"pg_regex_substring", 2, fn_regex_substring, NULL, SQLITE_DETERMINISTIC},
		{"pg_regexp_replace", 3, fn_regexp_replace, NULL, SQLITE_DETERMINISTIC},
		{"pg_regexp_replace", 4, fn_regexp_replace, NULL, SQLITE_DETERMINISTIC},
		{"pg_quote_ident", 1, fn_quote_ident, NULL, SQLITE_DETERMINISTIC},
		{"pg_subscript", 3, fn_subscript, NULL, SQLITE_DETERMINISTIC},
		{"pg_fold_ok", -1, fn_fold_ok, NULL, SQLITE_DETERMINISTIC},
	};
	if (!pgt_create_functions(s->db, fns, sizeof(fns) / sizeof(fns[0])))
		return false;
	if (sqlite3_create_window_function(s->db, "pg_sum", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)sum_accum,
					   accum_step, sum_final, sum_final, accum_inverse, NULL) != SQLITE_OK ||
	    sqlite3_create_window_function(s->db, "pg_floatavg", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
					   (void *)floatavg_accum, accum_step, floatavg_final, floatavg_final,
					   accum_inverse, NULL) != SQLITE_OK)
		return false;
	return pgs_dbsize_register(s) && dec_register_functions(s->db) && dec_math_register(s->db) && dec_funcs_register(s->db) && pgs_agg_register(s->db) && pgs_catalog_funcs_register(s->db) && pgs_series_register(s->db) && pgs_usertype_register(s->db) && pgt_register_functions(s->db, &s->fmt);
}
