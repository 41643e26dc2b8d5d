/*
 * decimal.c - exact decimal arithmetic for numeric expressions.
 */
#include "pgsql/decimal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/pgtype_int.h"

#define NUMERIC_MIN_SIG_DIGITS 16
#define NUMERIC_MAX_DISPLAY_SCALE 1000

static void normalize(Decimal *d)
{
	int lead = 0;
	while (lead < d->ndigits - d->scale - 1 && d->digits[lead] == 0)
		lead++;
	if (lead) {
		memmove(d->digits, d->digits + lead, (size_t)(d->ndigits - lead));
		d->ndigits -= lead;
	}
	if (d->ndigits == 0) {
		d->digits[0] = 0;
		d->ndigits = 1;
	}
	if (dec_is_zero(d))
		d->neg = false;
}

bool dec_is_zero(const Decimal *d)
{
	for (int i = 0; i < d->ndigits; i++)
		if (d->digits[i])
			return false;
	return true;
}

/* From the type system's decimal (digits x 10^exp, display scale). */
static bool from_pgt(const PgtDec *p, Decimal *d)
{
	if (p->special != DEC_FINITE)
		return false;
	memset(d, 0, sizeof(*d) - sizeof(d->digits));
	d->neg = p->neg;
	d->scale = p->dscale > -p->exp ? p->dscale : -p->exp;
	if (d->scale < 0)
		d->scale = 0;
	int zeros = p->exp + d->scale; /* digits after p's last one */
	if (p->ndig + zeros + 1 > DEC_MAX_DIGITS)
		return false;
	d->digits[d->ndigits++] = 0;
	for (int i = 0; i < p->ndig; i++)
		d->digits[d->ndigits++] = (unsigned char)(p->dig[i] - '0');
	for (int i = 0; i < zeros; i++)
		d->digits[d->ndigits++] = 0;
	while (d->ndigits <= d->scale) {
		memmove(d->digits + 1, d->digits, (size_t)d->ndigits);
		d->digits[0] = 0;
		d->ndigits++;
	}
	normalize(d);
	return true;
}

/* To the type system's decimal, to parse, round and print with it. */
static void to_pgt(const Decimal *d, PgtDec *p)
{
	memset(p, 0, sizeof(*p) - sizeof(p->dig));
	p->special = DEC_FINITE;
	p->neg = d->neg;
	int first = 0, last = d->ndigits - 1;
	while (first < d->ndigits && d->digits[first] == 0)
		first++;
	while (last >= first && d->digits[last] == 0)
		last--;
	for (int i = first; i <= last && p->ndig < PGT_DEC_MAXDIG; i++)
		p->dig[p->ndig++] = (char)('0' + d->digits[i]);
	p->exp = (d->ndigits - 1 - last) - d->scale;
	p->dscale = d->scale;
	if (p->ndig == 0) {
		p->neg = false;
		p->exp = 0;
	}
}

void dec_from_int(Decimal *d, long long v)
{
	PgtDec p;
	pgt_dec_from_int(&p, v);
	from_pgt(&p, d);
}

bool dec_from_text(Decimal *d, const char *s)
{
	PgtDec p;
	return pgt_dec_parse(s, strlen(s), &p) && from_pgt(&p, d);
}

bool dec_from_value(Decimal *d, sqlite3_value *v, int scale)
{
	PgtDec p;
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		pgt_dec_from_int(&p, sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		pgt_dec_from_double(&p, sqlite3_value_double(v));
		break;
	case SQLITE_TEXT:
		if (!pgt_dec_parse((const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v), &p))
			return false;
		break;
	default:
		return false;
	}
	if (scale >= 0)
		pgt_dec_round(&p, scale);
	return from_pgt(&p, d);
}

void dec_to_text(const Decimal *d, Buf *out)
{
	PgtDec p;
	to_pgt(d, &p);
	pgt_dec_to_text(&p, d->scale, out);
}

void dec_round(Decimal *d, int scale)
{
	PgtDec p;
	to_pgt(d, &p);
	pgt_dec_round(&p, scale);
	from_pgt(&p, d);
}

/* Digits of d scaled to `scale` as a plain integer digit string in out[]. */
static int aligned(const Decimal *d, int scale, unsigned char *out)
{
	int n = d->ndigits;
	memcpy(out, d->digits, (size_t)n);
	for (int i = d->scale; i < scale; i++)
		out[n++] = 0;
	return n;
}

/* Compare magnitudes of digit strings (no leading-zero assumption). */
static int cmp_mag(const unsigned char *a, int na, const unsigned char *b, int nb)
{
	while (na > 1 && *a == 0)
		a++, na--;
	while (nb > 1 && *b == 0)
		b++, nb--;
	if (na != nb)
		return na < nb ? -1 : 1;
	for (int i = 0; i < na; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static bool add_signed(const Decimal *a, const Decimal *b, bool bneg, Decimal *r)
{
	static _Thread_local unsigned char x[DEC_MAX_DIGITS * 2], y[DEC_MAX_DIGITS * 2];
	int scale = a->scale > b->scale ? a->scale : b->scale;
	int nx = aligned(a, scale, x), ny = aligned(b, scale, y);
	int n = (nx > ny ? nx : ny) + 1;
	if (n > DEC_MAX_DIGITS)
		return false;
	memset(r, 0, sizeof(*r) - sizeof(r->digits));
	r->scale = scale;
	r->ndigits = n;
	if (a->neg == bneg) {
		int carry = 0;
		for (int i = 0; i < n; i++) {
			int da = i < nx ? x[nx - 1 - i] : 0, db = i < ny ? y[ny - 1 - i] : 0;
			int s = da + db + carry;
			r->digits[n - 1 - i] = (unsigned char)(s % 10);
			carry = s / 10;
		}
		r->neg = a->neg;
	} else {
		const unsigned char *big = x, *small = y;
		int nb = nx, ns = ny;
		bool neg = a->neg;
		if (cmp_mag(x, nx, y, ny) < 0) {
			big = y, small = x, nb = ny, ns = nx;
			neg = bneg;
		}
		int borrow = 0;
		for (int i = 0; i < n; i++) {
			int d1 = i < nb ? big[nb - 1 - i] : 0, d2 = i < ns ? small[ns - 1 - i] : 0;
			int s = d1 - d2 - borrow;
			borrow = s < 0;
			r->digits[n - 1 - i] = (unsigned char)(s + (borrow ? 10 : 0));
		}
		r->neg = neg;
	}
	normalize(r);
	return true;
}

bool dec_add(const Decimal *a, const Decimal *b, Decimal *r) { return add_signed(a, b, b->neg, r); }
bool dec_sub(const Decimal *a, const Decimal *b, Decimal *r) { return add_signed(a, b, !b->neg, r); }

bool dec_mul(const Decimal *a, const Decimal *b, Decimal *r)
{
	int n = a->ndigits + b->ndigits;
	if (n > DEC_MAX_DIGITS)
		return false;
	static _Thread_local int acc[DEC_MAX_DIGITS * 2];
	memset(acc, 0, sizeof(int) * (size_t)n);
	for (int i = a->ndigits - 1; i >= 0; i--)
		for (int j = b->ndigits - 1; j >= 0; j--)
			acc[i + j + 1] += a->digits[i] * b->digits[j];
	for (int k = n - 1; k > 0; k--) {
		acc[k - 1] += acc[k] / 10;
		acc[k] %= 10;
	}
	memset(r, 0, sizeof(*r) - sizeof(r->digits));
	r->ndigits = n;
	for (int k = 0; k < n; k++)
		r->digits[k] = (unsigned char)acc[k];
	r->scale = a->scale + b->scale;
	r->neg = a->neg != b->neg;
	normalize(r);
	if (r->scale > NUMERIC_MAX_DISPLAY_SCALE)
		dec_round(r, NUMERIC_MAX_DISPLAY_SCALE);
	return true;
}

/* Weight and first digit of d in PostgreSQL's base-10000 representation. */
static void base10000_lead(const Decimal *d, int *weight, int *first)
{
	*weight = 0;
	*first = 0;
	int intdigits = d->ndigits - d->scale;
	for (int i = 0; i < d->ndigits; i++) {
		if (!d->digits[i])
			continue;
		int pos = intdigits - 1 - i; /* power of ten of this digit */
		int w = pos >= 0 ? pos / 4 : -((-pos - 1) / 4) - 1;
		/* the group's value: digits at powers w*4 .. w*4+3 */
		int v = 0;
		for (int p = w * 4 + 3; p >= w * 4; p--) {
			int idx = intdigits - 1 - p;
			v = v * 10 + (idx >= 0 && idx < d->ndigits ? d->digits[idx] : 0);
		}
		*weight = w;
		*first = v;
		return;
	}
}

int dec_div_scale(const Decimal *a, const Decimal *b)
{
	int w1, f1, w2, f2;
	base10000_lead(a, &w1, &f1);
	base10000_lead(b, &w2, &f2);
	int qweight = w1 - w2;
	if (f1 <= f2)
		qweight--;
	int rscale = NUMERIC_MIN_SIG_DIGITS - qweight * 4;
	if (rscale < a->scale)
		rscale = a->scale;
	if (rscale < b->scale)
		rscale = b->scale;
	if (rscale < 0)
		rscale = 0;
	if (rscale > NUMERIC_MAX_DISPLAY_SCALE)
		rscale = NUMERIC_MAX_DISPLAY_SCALE;
	return rscale;
}

/* Integer long division of digit strings: q = x / y (y not zero). */
static int long_div(const unsigned char *x, int nx, const unsigned char *y, int ny, unsigned char *q)
{
	static _Thread_local unsigned char rem[DEC_MAX_DIGITS * 2 + 2];
	int nr = 0;
	for (int i = 0; i < nx; i++) {
		rem[nr++] = x[i];
		int digit = 0;
		while (cmp_mag(rem, nr, y, ny) >= 0) {
			/* rem -= y */
			int borrow = 0;
			for (int k = 0; k < nr; k++) {
				int d1 = rem[nr - 1 - k], d2 = k < ny ? y[ny - 1 - k] : 0;
				int s = d1 - d2 - borrow;
				borrow = s < 0;
				rem[nr - 1 - k] = (unsigned char)(s + (borrow ? 10 : 0));
			}
			digit++;
		}
		q[i] = (unsigned char)digit;
		/* trim leading zeros of rem to keep it short */
		int lead = 0;
		while (lead < nr - 1 && rem[lead] == 0)
			lead++;
		if (lead) {
			memmove(rem, rem + lead, (size_t)(nr - lead));
			nr -= lead;
		}
	}
	return nx;
}

/* a / b computed to `scale` digits, truncated (round: one more digit first). */
static bool div_to_scale(const Decimal *a, const Decimal *b, int scale, Decimal *r)
{
	static _Thread_local unsigned char x[DEC_MAX_DIGITS * 2], y[DEC_MAX_DIGITS], q[DEC_MAX_DIGITS * 2];
	/* x = |a| * 10^(scale + b.scale - a.scale) as an integer, y = |b| as an integer */
	int shift = scale + b->scale - a->scale;
	int nx = a->ndigits;
	memcpy(x, a->digits, (size_t)nx);
	if (shift >= 0) {
		if (nx + shift > DEC_MAX_DIGITS * 2)
			return false;
		for (int i = 0; i < shift; i++)
			x[nx++] = 0;
	} else {
		nx += shift;
		if (nx <= 0) {
			x[0] = 0;
			nx = 1;
		}
	}
	int ny = b->ndigits;
	memcpy(y, b->digits, (size_t)ny);
	int nq = long_div(x, nx, y, ny, q);
	if (nq > DEC_MAX_DIGITS)
		return false;
	memset(r, 0, sizeof(*r) - sizeof(r->digits));
	memcpy(r->digits, q, (size_t)nq);
	r->ndigits = nq;
	r->scale = scale;
	r->neg = a->neg != b->neg;
	while (r->ndigits <= r->scale) {
		memmove(r->digits + 1, r->digits, (size_t)r->ndigits);
		r->digits[0] = 0;
		r->ndigits++;
	}
	normalize(r);
	return true;
}

bool dec_div(const Decimal *a, const Decimal *b, Decimal *r, bool *by_zero)
{
	*by_zero = dec_is_zero(b);
	if (*by_zero)
		return false;
	int scale = dec_div_scale(a, b);
	if (!div_to_scale(a, b, scale + 1, r))
		return false;
	dec_round(r, scale);
	return true;
}

bool dec_mod(const Decimal *a, const Decimal *b, Decimal *r, bool *by_zero)
{
	*by_zero = dec_is_zero(b);
	if (*by_zero)
		return false;
	Decimal q, p;
	if (!div_to_scale(a, b, 0, &q) || !dec_mul(&q, b, &p) || !dec_sub(a, &p, r))
		return false;
	int scale = a->scale > b->scale ? a->scale : b->scale;
	dec_round(r, scale);
	return true;
}

/* ---------------------------------------------------------------- SQL */

static void result_dec(sqlite3_context *ctx, const Decimal *d)
{
	Buf b;
	buf_init(&b);
	dec_to_text(d, &b);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

static void error_state(sqlite3_context *ctx, const char *state, const char *msg)
{
	pgt_result_error(ctx, state, msg);
}

/* pg_num_op(op, a, scale_a, b, scale_b) */
static void fn_num_op(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL || sqlite3_value_type(argv[3]) == SQLITE_NULL)
		return;
	Decimal *a = sqlite3_malloc(sizeof(Decimal)), *b = sqlite3_malloc(sizeof(Decimal)),
		*r = sqlite3_malloc(sizeof(Decimal));
	char op = (char)sqlite3_value_text(argv[0])[0];
	bool by_zero = false, ok;
	if (!a || !b || !r) {
		sqlite3_result_error_nomem(ctx);
		goto out;
	}
	if (!dec_from_value(a, argv[1], sqlite3_value_int(argv[2])) ||
	    !dec_from_value(b, argv[3], sqlite3_value_int(argv[4]))) {
		/* NaN or Infinity: fall back to floating point */
		double x = sqlite3_value_double(argv[1]), y = sqlite3_value_double(argv[3]);
		sqlite3_result_double(ctx, op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y);
		goto out;
	}
	switch (op) {
	case '+': ok = dec_add(a, b, r); break;
	case '-': ok = dec_sub(a, b, r); break;
	case '*': ok = dec_mul(a, b, r); break;
	case '/': ok = dec_div(a, b, r, &by_zero); break;
	default: ok = dec_mod(a, b, r, &by_zero); break;
	}
	if (by_zero)
		error_state(ctx, "22012", "division by zero");
	else if (!ok)
		error_state(ctx, "22003", "value overflows numeric format");
	else
		result_dec(ctx, r);
out:
	sqlite3_free(a);
	sqlite3_free(b);
	sqlite3_free(r);
}

typedef struct DecAgg {
	Decimal sum;
	long long count;
	bool any, inexact;
	double fsum;
} DecAgg;

static void agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	DecAgg *st = sqlite3_aggregate_context(ctx, sizeof(DecAgg));
	if (!st)
		return;
	Decimal *v = sqlite3_malloc(sizeof(Decimal)), *r = sqlite3_malloc(sizeof(Decimal));
	if (!v || !r) {
		sqlite3_free(v);
		sqlite3_free(r);
		sqlite3_result_error_nomem(ctx);
		return;
	}
	int typmod = argc > 2 ? sqlite3_value_int(argv[2]) : -1;
	int scale = typmod >= 4 ? ((typmod - 4) & 0xFFFF) : -1;
	st->fsum += sqlite3_value_double(argv[0]);
	if (!st->inexact && dec_from_value(v, argv[0], scale)) {
		if (!st->any) {
			st->sum = *v;
		} else if (dec_add(&st->sum, v, r)) {
			st->sum = *r;
		} else {
			st->inexact = true;
		}
	} else {
		st->inexact = true;
	}
	st->any = true;
	st->count++;
	sqlite3_free(v);
	sqlite3_free(r);
}

static void sum_final(sqlite3_context *ctx)
{
	DecAgg *st = sqlite3_aggregate_context(ctx, 0);
	if (!st || !st->any)
		return;
	if (st->inexact)
		sqlite3_result_double(ctx, st->fsum);
	else
		result_dec(ctx, &st->sum);
}

static void avg_final(sqlite3_context *ctx)
{
	DecAgg *st = sqlite3_aggregate_context(ctx, 0);
	if (!st || !st->any)
		return;
	if (st->inexact) {
		sqlite3_result_double(ctx, st->fsum / (double)st->count);
		return;
	}
	Decimal *n = sqlite3_malloc(sizeof(Decimal)), *r = sqlite3_malloc(sizeof(Decimal));
	bool by_zero;
	if (n && r) {
		dec_from_int(n, st->count);
		if (dec_div(&st->sum, n, r, &by_zero))
			result_dec(ctx, r);
		else
			sqlite3_result_double(ctx, st->fsum / (double)st->count);
	} else {
		sqlite3_result_error_nomem(ctx);
	}
	sqlite3_free(n);
	sqlite3_free(r);
}

bool dec_register_functions(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "pg_num_op", 5, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_num_op, NULL,
					  NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numsum", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, agg_step,
					  sum_final, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numavg", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, agg_step,
					  avg_final, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numsum1", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, agg_step,
					  sum_final, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numavg1", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, agg_step,
					  avg_final, NULL) == SQLITE_OK;
}
