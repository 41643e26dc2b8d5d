/*
 * decimal.c - exact arithmetic on PgtDec, PostgreSQL's numeric rules.
 *
 * Every function works on significant digits and a power of ten, so the
 * work and the memory it takes are bounded by the digits a result can hold
 * (PGT_DEC_MAXDIG), whatever the exponents; a result that would need more
 * is DEC_TOO_PRECISE before anything is allocated for it.
 */
#include "pgsql/decimal.h"

#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/pgtype_int.h"

const char *dec_status_sqlstate(DecStatus st)
{
	switch (st) {
	case DEC_DIV_BY_ZERO: return "22012";
	case DEC_OVERFLOW: return "22003";
	case DEC_TOO_PRECISE: return "0A000";
	case DEC_OK: break;
	}
	return "XX000";
}

const char *dec_status_message(DecStatus st)
{
	switch (st) {
	case DEC_DIV_BY_ZERO: return "division by zero";
	case DEC_OVERFLOW: return "value overflows numeric format";
	case DEC_TOO_PRECISE: return "numeric results of more than 1000 significant digits are not supported";
	case DEC_OK: break;
	}
	return "numeric: no error";
}

static void set_special(PgtDec *r, int special)
{
	memset(r, 0, offsetof(PgtDec, dig));
	r->special = special;
}

static void set_zero(PgtDec *r, int dscale)
{
	memset(r, 0, offsetof(PgtDec, dig));
	r->special = DEC_FINITE;
	r->dscale = dscale;
}

/* Power of ten of the most significant digit (d finite and not zero). */
static int top_power(const PgtDec *d) { return d->exp + d->ndig - 1; }

static int sign_of(const PgtDec *d)
{
	switch (d->special) {
	case DEC_PINF: return 1;
	case DEC_NINF: return -1;
	case DEC_NAN: return 0;
	}
	return d->ndig == 0 ? 0 : d->neg ? -1 : 1;
}

DecStatus dec_check_limits(const PgtDec *d)
{
	if (d->special != DEC_FINITE)
		return DEC_OK;
	if (d->dscale > NUMERIC_DSCALE_MAX)
		return DEC_OVERFLOW;
	if (d->ndig > 0 && top_power(d) >= NUMERIC_MAX_WEIGHT_DIGITS)
		return DEC_OVERFLOW;
	return DEC_OK;
}

/*
 * Store the digit string w[0..n) (values 0..9, most significant first, the
 * last one at power lo) as r, rounded to r->dscale fraction digits half
 * away from zero.  r->neg and r->dscale are set by the caller.
 */
static DecStatus store_digits(const unsigned char *w, int n, int lo, PgtDec *r)
{
	int first = 0;
	while (first < n && w[first] == 0)
		first++;
	/* Digits below 10^-dscale are rounded away. */
	int cut = n; /* index past the last digit kept */
	if (lo < -r->dscale) {
		int drop = -r->dscale - lo;
		cut = n - drop;
	}
	bool up = cut >= 0 && cut < n && w[cut] >= 5;
	if (cut < 0)
		cut = 0;
	int last = cut - 1;
	while (last >= first && w[last] == 0)
		last--;
	int len = last >= first ? last - first + 1 : 0;
	int exp = lo + (n - 1 - last);
	if (up) {
		/* Add one unit at the last kept position, which is 10^-dscale. */
		int k = cut - 1;
		exp = -r->dscale;
		/* the kept digits first..cut-1 with trailing zeros, plus one */
		len = k >= first ? k - first + 1 : 0;
		if (len > PGT_DEC_MAXDIG + 1)
			return DEC_TOO_PRECISE;
		char tmp[PGT_DEC_MAXDIG + 2];
		for (int i = 0; i < len; i++)
			tmp[i] = (char)('0' + w[first + i]);
		int i = len - 1;
		while (i >= 0 && tmp[i] == '9')
			tmp[i--] = '0';
		if (i >= 0) {
			tmp[i]++;
		} else {
			memmove(tmp + 1, tmp, (size_t)len);
			tmp[0] = '1';
			len++;
		}
		while (len > 0 && tmp[len - 1] == '0') {
			len--;
			exp++;
		}
		if (len > PGT_DEC_MAXDIG)
			return DEC_TOO_PRECISE;
		memcpy(r->dig, tmp, (size_t)len);
		r->ndig = len;
		r->exp = exp;
	} else {
		if (len > PGT_DEC_MAXDIG)
			return DEC_TOO_PRECISE;
		for (int i = 0; i < len; i++)
			r->dig[i] = (char)('0' + w[first + i]);
		r->ndig = len;
		r->exp = len ? exp : 0;
	}
	r->special = DEC_FINITE;
	if (r->ndig == 0)
		r->neg = false;
	return dec_check_limits(r);
}

/* Compare magnitudes of two finite values. */
static int cmp_abs(const PgtDec *a, const PgtDec *b)
{
	if (a->ndig == 0 || b->ndig == 0)
		return (a->ndig != 0) - (b->ndig != 0);
	if (top_power(a) != top_power(b))
		return top_power(a) < top_power(b) ? -1 : 1;
	int n = a->ndig < b->ndig ? a->ndig : b->ndig;
	int c = memcmp(a->dig, b->dig, (size_t)n);
	if (c)
		return c < 0 ? -1 : 1;
	return (a->ndig > n) - (b->ndig > n);
}

int dec_cmp(const PgtDec *a, const PgtDec *b)
{
	/* NaN sorts above everything, infinities at the ends. */
	static const int rank[] = {[DEC_NINF] = 0, [DEC_FINITE] = 1, [DEC_PINF] = 2, [DEC_NAN] = 3};
	if (a->special != DEC_FINITE || b->special != DEC_FINITE)
		return rank[a->special] < rank[b->special] ? -1 : rank[a->special] > rank[b->special];
	int sa = sign_of(a), sb = sign_of(b);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	int c = cmp_abs(a, b);
	return sa < 0 ? -c : c;
}

/* |a| + |b| (sub false) or |a| - |b| with |a| >= |b| (sub true), into r. */
static DecStatus add_abs(const PgtDec *a, const PgtDec *b, bool sub, PgtDec *r)
{
	int lo = a->exp < b->exp ? a->exp : b->exp;
	if (a->ndig == 0)
		lo = b->exp;
	if (b->ndig == 0)
		lo = a->exp;
	int hi = a->ndig ? top_power(a) : lo;
	if (b->ndig && top_power(b) > hi)
		hi = top_power(b);
	/* Both inputs have no digit below their display scales and r->dscale is
	 * the larger of them, so the sum is exact at r->dscale: it has at least
	 * span - 2 significant digits, too many when span is past the limit. */
	if (!sub && hi >= NUMERIC_MAX_WEIGHT_DIGITS)
		return DEC_OVERFLOW;
	long span = (long)hi - lo + 2;
	if (span > 2L * PGT_DEC_MAXDIG + 4)
		return DEC_TOO_PRECISE;
	int n = (int)span;
	unsigned char w[2 * PGT_DEC_MAXDIG + 4];
	memset(w, 0, (size_t)n);
	/* w[i] holds the digit at power hi + 1 - i */
	int borrow = 0, carry = 0;
	for (int i = n - 1; i >= 0; i--) {
		int p = hi + 1 - i;
		int ia = a->exp + a->ndig - 1 - p, ib = b->exp + b->ndig - 1 - p;
		int da = ia >= 0 && ia < a->ndig ? a->dig[ia] - '0' : 0;
		int db = ib >= 0 && ib < b->ndig ? b->dig[ib] - '0' : 0;
		int s;
		if (sub) {
			s = da - db - borrow;
			borrow = s < 0;
			s += borrow ? 10 : 0;
		} else {
			s = da + db + carry;
			carry = s / 10;
			s %= 10;
		}
		w[i] = (unsigned char)s;
	}
	return store_digits(w, n, lo, r);
}

static DecStatus add_signed(const PgtDec *a, const PgtDec *b, bool bneg, PgtDec *r)
{
	int bs = b->special;
	if (bneg != b->neg && bs != DEC_NAN && bs != DEC_FINITE)
		bs = bs == DEC_PINF ? DEC_NINF : DEC_PINF;
	if (a->special == DEC_NAN || bs == DEC_NAN) {
		set_special(r, DEC_NAN);
		return DEC_OK;
	}
	if (a->special != DEC_FINITE || bs != DEC_FINITE) {
		if (a->special != DEC_FINITE && bs != DEC_FINITE && a->special != bs)
			set_special(r, DEC_NAN); /* Inf - Inf */
		else
			set_special(r, a->special != DEC_FINITE ? a->special : bs);
		return DEC_OK;
	}
	memset(r, 0, offsetof(PgtDec, dig));
	r->dscale = a->dscale > b->dscale ? a->dscale : b->dscale;
	if (a->neg == bneg) {
		r->neg = a->neg;
		return add_abs(a, b, false, r);
	}
	const PgtDec *big = a, *small = b;
	r->neg = a->neg;
	if (cmp_abs(a, b) < 0) {
		big = b, small = a;
		r->neg = bneg;
	}
	return add_abs(big, small, true, r);
}

DecStatus dec_add(const PgtDec *a, const PgtDec *b, PgtDec *r) { return add_signed(a, b, b->neg, r); }
DecStatus dec_sub(const PgtDec *a, const PgtDec *b, PgtDec *r) { return add_signed(a, b, !b->neg, r); }

DecStatus dec_mul(const PgtDec *a, const PgtDec *b, PgtDec *r)
{
	if (a->special == DEC_NAN || b->special == DEC_NAN) {
		set_special(r, DEC_NAN);
		return DEC_OK;
	}
	if (a->special != DEC_FINITE || b->special != DEC_FINITE) {
		int s = sign_of(a) * sign_of(b);
		set_special(r, s == 0 ? DEC_NAN : s > 0 ? DEC_PINF : DEC_NINF);
		return DEC_OK;
	}
	long scale = (long)a->dscale + b->dscale;
	if (scale > NUMERIC_DSCALE_MAX)
		scale = NUMERIC_DSCALE_MAX;
	if (a->ndig == 0 || b->ndig == 0) {
		set_zero(r, (int)scale);
		return DEC_OK;
	}
	if ((long)top_power(a) + top_power(b) >= NUMERIC_MAX_WEIGHT_DIGITS)
		return DEC_OVERFLOW;
	int n = a->ndig + b->ndig;
	int *acc = calloc((size_t)n, sizeof(int));
	unsigned char *w = malloc((size_t)n);
	if (!acc || !w) {
		free(acc);
		free(w);
		return DEC_TOO_PRECISE;
	}
	for (int i = a->ndig - 1; i >= 0; i--)
		for (int j = b->ndig - 1; j >= 0; j--)
			acc[i + j + 1] += (a->dig[i] - '0') * (b->dig[j] - '0');
	for (int k = n - 1; k > 0; k--) {
		acc[k - 1] += acc[k] / 10;
		acc[k] %= 10;
	}
	for (int k = 0; k < n; k++)
		w[k] = (unsigned char)acc[k];
	memset(r, 0, offsetof(PgtDec, dig));
	r->neg = a->neg != b->neg;
	r->dscale = (int)scale;
	DecStatus st = store_digits(w, n, a->exp + b->exp, r);
	free(acc);
	free(w);
	return st;
}

/* Weight and leading digit of d in PostgreSQL's base-10000 form. */
static void nbase_lead(const PgtDec *d, int *weight, int *first)
{
	int tp = top_power(d);
	int w = tp >= 0 ? tp / 4 : -((-tp + 3) / 4);
	int v = 0;
	for (int p = w * 4 + 3; p >= w * 4; p--) {
		int idx = d->exp + d->ndig - 1 - p;
		v = v * 10 + (idx >= 0 && idx < d->ndig ? d->dig[idx] - '0' : 0);
	}
	*weight = w;
	*first = v;
}

/* select_div_scale: the display scale PostgreSQL gives a / b. */
static int div_scale(const PgtDec *a, const PgtDec *b)
{
	int w1 = 0, f1 = 0, w2 = 0, f2 = 0;
	if (a->ndig)
		nbase_lead(a, &w1, &f1);
	if (b->ndig)
		nbase_lead(b, &w2, &f2);
	int qweight = w1 - w2;
	if (f1 <= f2)
		qweight--;
	long rscale = NUMERIC_MIN_SIG_DIGITS - (long)qweight * 4;
	if (rscale < a->dscale)
		rscale = a->dscale;
	if (rscale < b->dscale)
		rscale = b->dscale;
	if (rscale < 0)
		rscale = 0;
	if (rscale > NUMERIC_MAX_DISPLAY_SCALE)
		rscale = NUMERIC_MAX_DISPLAY_SCALE;
	return (int)rscale;
}

/* Compare the digit string x[0..nx) with y[0..ny) as integers, both
 * without leading zeros but x possibly with some. */
static int cmp_digits(const unsigned char *x, int nx, const unsigned char *y, int ny)
{
	while (nx > 0 && *x == 0)
		x++, nx--;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	for (int i = 0; i < nx; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/*
 * The integer quotient |a| / |b| truncated at 10^-scale, as digits in w
 * (most significant first, the last at power -scale); returns the count,
 * or -1 when it would have more than `max` digits.
 */
static int div_digits(const PgtDec *a, const PgtDec *b, int scale, unsigned char *w, int max)
{
	/* |a| / |b| * 10^scale = A * 10^k / B with A, B the digit integers. */
	long k = (long)a->exp - b->exp + scale;
	long nx = a->ndig + k; /* digits of A * 10^k, or of A cut by -k */
	if (nx <= 0) {
		w[0] = 0;
		return 1;
	}
	if (nx - b->ndig + 1 > max)
		return -1;
	unsigned char y[PGT_DEC_MAXDIG];
	for (int i = 0; i < b->ndig; i++)
		y[i] = (unsigned char)(b->dig[i] - '0');
	unsigned char rem[PGT_DEC_MAXDIG + 2];
	int nr = 0, nq = 0;
	for (long i = 0; i < nx; i++) {
		int digit = i < a->ndig ? a->dig[i] - '0' : 0;
		if (nr == 1 && rem[0] == 0)
			nr = 0;
		rem[nr++] = (unsigned char)digit;
		int q = 0;
		while (cmp_digits(rem, nr, y, b->ndig) >= 0) {
			int borrow = 0;
			for (int j = 0; j < nr; j++) {
				int d1 = rem[nr - 1 - j], d2 = j < b->ndig ? y[b->ndig - 1 - j] : 0;
				int s = d1 - d2 - borrow;
				borrow = s < 0;
				rem[nr - 1 - j] = (unsigned char)(s + (borrow ? 10 : 0));
			}
			q++;
		}
		int lead = 0;
		while (lead < nr - 1 && rem[lead] == 0)
			lead++;
		if (lead) {
			memmove(rem, rem + lead, (size_t)(nr - lead));
			nr -= lead;
		}
		if (nq > 0 || q > 0) {
			if (nq >= max)
				return -1;
			w[nq++] = (unsigned char)q;
		}
	}
	if (nq == 0)
		w[nq++] = 0;
	return nq;
}

/* Quotient of finite a / b (b not zero) to `scale` digits, rounded half
 * away from zero when round, else truncated. */
static DecStatus div_to_scale(const PgtDec *a, const PgtDec *b, int scale, bool round, PgtDec *r)
{
	unsigned char *w = malloc(PGT_DEC_MAXDIG + 4);
	if (!w)
		return DEC_TOO_PRECISE;
	memset(r, 0, offsetof(PgtDec, dig));
	r->neg = a->neg != b->neg;
	r->dscale = scale;
	int n = a->ndig ? div_digits(a, b, round ? scale + 1 : scale, w, PGT_DEC_MAXDIG + 2) : 1;
	DecStatus st;
	if (a->ndig == 0) {
		set_zero(r, scale);
		st = DEC_OK;
	} else if (n < 0) {
		st = DEC_TOO_PRECISE;
	} else {
		st = store_digits(w, n, round ? -scale - 1 : -scale, r);
	}
	free(w);
	return st;
}

DecStatus dec_div(const PgtDec *a, const PgtDec *b, PgtDec *r)
{
	if (a->special == DEC_NAN || b->special == DEC_NAN) {
		set_special(r, DEC_NAN);
		return DEC_OK;
	}
	if (a->special != DEC_FINITE) {
		if (b->special != DEC_FINITE) {
			set_special(r, DEC_NAN);
			return DEC_OK;
		}
		if (b->ndig == 0)
			return DEC_DIV_BY_ZERO;
		set_special(r, sign_of(a) * sign_of(b) > 0 ? DEC_PINF : DEC_NINF);
		return DEC_OK;
	}
	if (b->special != DEC_FINITE) {
		set_zero(r, 0);
		return DEC_OK;
	}
	if (b->ndig == 0)
		return DEC_DIV_BY_ZERO;
	if (a->ndig && (long)top_power(a) - top_power(b) - 1 >= NUMERIC_MAX_WEIGHT_DIGITS)
		return DEC_OVERFLOW;
	return div_to_scale(a, b, div_scale(a, b), true, r);
}

DecStatus dec_mod(const PgtDec *a, const PgtDec *b, PgtDec *r)
{
	if (a->special == DEC_NAN || b->special == DEC_NAN) {
		set_special(r, DEC_NAN);
		return DEC_OK;
	}
	if (a->special != DEC_FINITE) {
		if (b->special == DEC_FINITE && b->ndig == 0)
			return DEC_DIV_BY_ZERO;
		set_special(r, DEC_NAN);
		return DEC_OK;
	}
	if (b->special != DEC_FINITE) {
		*r = *a;
		return DEC_OK;
	}
	if (b->ndig == 0)
		return DEC_DIV_BY_ZERO;
	/* a - trunc(a / b) * b, at the larger display scale */
	PgtDec *q = malloc(2 * sizeof(PgtDec));
	if (!q)
		return DEC_TOO_PRECISE;
	PgtDec *p = q + 1;
	DecStatus st = div_to_scale(a, b, 0, false, q);
	if (st == DEC_OK) {
		q->dscale = 0;
		st = dec_mul(q, b, p);
	}
	if (st == DEC_OK)
		st = dec_sub(a, p, r);
	free(q);
	return st;
}

static int clamp_scale(int scale)
{
	if (scale > NUMERIC_DSCALE_MAX)
		return NUMERIC_DSCALE_MAX;
	if (scale < -NUMERIC_MAX_WEIGHT_DIGITS)
		return -NUMERIC_MAX_WEIGHT_DIGITS;
	return scale;
}

DecStatus dec_round_to(PgtDec *d, int scale)
{
	if (d->special != DEC_FINITE)
		return DEC_OK;
	pgt_dec_round(d, clamp_scale(scale));
	return dec_check_limits(d);
}

DecStatus dec_trunc_to(PgtDec *d, int scale)
{
	if (d->special != DEC_FINITE)
		return DEC_OK;
	scale = clamp_scale(scale);
	if (d->ndig > 0) {
		int keep = d->exp + d->ndig + scale; /* digits at or above 10^-scale */
		if (keep <= 0) {
			d->ndig = 0;
		} else if (keep < d->ndig) {
			d->ndig = keep;
			d->exp = -scale;
		}
		pgt_dec_strip(d);
	}
	d->dscale = scale > 0 ? scale : 0;
	return DEC_OK;
}

DecStatus dec_check_literal(const char *s, size_t n)
{
	PgtDec d;
	return pgt_dec_parse(s, n, &d) ? dec_check_limits(&d) : DEC_OK;
}

bool dec_literal_is_double(const char *s, size_t n)
{
	PgtDec d;
	if (!pgt_dec_parse(s, n, &d) || d.special != DEC_FINITE)
		return false;
	return d.ndig == 0 || (d.ndig <= 15 && top_power(&d) < 300 && top_power(&d) > -300);
}

bool dec_from_value(PgtDec *d, sqlite3_value *v, int scale)
{
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		pgt_dec_from_int(d, sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		pgt_dec_from_double(d, sqlite3_value_double(v));
		break;
	case SQLITE_TEXT:
		if (!pgt_dec_parse((const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v), d))
			return false;
		break;
	default:
		return false;
	}
	if (scale >= 0 && d->special == DEC_FINITE)
		pgt_dec_round(d, scale);
	return true;
}

/* ---------------------------------------------------------------- SQL */

void dec_result(sqlite3_context *ctx, const PgtDec *d)
{
	if (d->special == DEC_PINF || d->special == DEC_NINF) {
		sqlite3_result_double(ctx, d->special == DEC_PINF ? 1.0 / 0.0 : -1.0 / 0.0);
		return;
	}
	Buf b;
	buf_init(&b);
	pgt_dec_to_text(d, d->dscale, &b);
	if (b.failed)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

void dec_result_status(sqlite3_context *ctx, DecStatus st)
{
	pgt_result_error(ctx, dec_status_sqlstate(st), dec_status_message(st));
}

/* 22P02 for a value that is not a number. */
static void result_bad_input(sqlite3_context *ctx, sqlite3_value *v)
{
	const char *bad = (const char *)sqlite3_value_text(v);
	char *m = sqlite3_mprintf("22P02:invalid input syntax for type numeric: \"%.100s\"", bad ? bad : "");
	sqlite3_result_error(ctx, m ? m : "53200:out of memory", -1);
	sqlite3_free(m);
}

void dec_result_op(sqlite3_context *ctx, char op, sqlite3_value *va, int scale_a, sqlite3_value *vb, int scale_b)
{
	if (sqlite3_value_type(va) == SQLITE_NULL || sqlite3_value_type(vb) == SQLITE_NULL)
		return;
	PgtDec *a = sqlite3_malloc(3 * sizeof(PgtDec));
	if (!a) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	PgtDec *b = a + 1, *r = a + 2;
	DecStatus st;
	if (!dec_from_value(a, va, scale_a) || !dec_from_value(b, vb, scale_b)) {
		result_bad_input(ctx, dec_from_value(a, va, -1) ? vb : va);
		sqlite3_free(a);
		return;
	}
	switch (op) {
	case '+': st = dec_add(a, b, r); break;
	case '-': st = dec_sub(a, b, r); break;
	case '*': st = dec_mul(a, b, r); break;
	case '/': st = dec_div(a, b, r); break;
	default: st = dec_mod(a, b, r); break;
	}
	if (st != DEC_OK)
		dec_result_status(ctx, st);
	else
		dec_result(ctx, r);
	sqlite3_free(a);
}

/*
 * pg_numkey(x): a BLOB whose byte order (memcmp, SQLite's BLOB order) is
 * numeric's order and which is equal for equal values (1.5 and 1.50):
 * a class byte (-Infinity, negative, zero, positive, Infinity, NaN), then
 * for a finite value the power of ten of its first digit (big-endian,
 * biased) and its significant digits, all complemented for a negative
 * value and then ended by 0xFF so that a longer negative sorts first.
 */
static void fn_numkey(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	PgtDec *d = sqlite3_malloc(sizeof(PgtDec));
	if (!d) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (!dec_from_value(d, argv[0], -1)) {
		result_bad_input(ctx, argv[0]);
		sqlite3_free(d);
		return;
	}
	unsigned char key[PGT_DEC_MAXDIG + 6];
	int n = 0;
	switch (d->special) {
	case DEC_NINF: key[n++] = 1; break;
	case DEC_PINF: key[n++] = 5; break;
	case DEC_NAN: key[n++] = 6; break;
	default:
		if (d->ndig == 0) {
			key[n++] = 3;
			break;
		}
		key[n++] = d->neg ? 2 : 4;
		uint32_t e = (uint32_t)top_power(d) + 0x80000000u;
		unsigned char flip = d->neg ? 0xFF : 0;
		key[n++] = (unsigned char)(e >> 24) ^ flip;
		key[n++] = (unsigned char)(e >> 16) ^ flip;
		key[n++] = (unsigned char)(e >> 8) ^ flip;
		key[n++] = (unsigned char)e ^ flip;
		for (int i = 0; i < d->ndig; i++)
			key[n++] = (unsigned char)d->dig[i] ^ flip;
		if (d->neg)
			key[n++] = 0xFF;
	}
	sqlite3_result_blob(ctx, key, n, SQLITE_TRANSIENT);
	sqlite3_free(d);
}

/*
 * pg_numtext(x, typmod): a numeric as the text PostgreSQL shows for it
 * (a column's value at its typmod's scale, a computed value's text as it
 * is).  With COLLATE pg_numeric it is what DISTINCT,
 * GROUP BY and UNION, INTERSECT and EXCEPT compare, so that 1.5 and 1.50
 * are one value there as in PostgreSQL, and the value shown keeps its
 * scale.
 */
static void fn_numtext(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if (sqlite3_value_type(argv[0]) == SQLITE_TEXT && sqlite3_value_int(argv[1]) < 0) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	static const PgtFormat fmt = {.extra_float_digits = 1, .timezone = "UTC"};
	Buf b;
	PgtError err;
	buf_init(&b);
	if (!pgt_out_text(&b, argv[0], PGT_NUMERIC, sqlite3_value_int(argv[1]), &fmt, &err))
		pgt_result_error(ctx, err.sqlstate, err.msg);
	else if (b.failed)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

/* The collation pg_numeric: numeric texts by value (1.5 = 1.50, NaN
 * last), texts that are no number after every number, by their bytes. */
static int coll_numeric(void *arg, int na, const void *a, int nb, const void *b)
{
	(void)arg;
	static _Thread_local PgtDec da, db;
	if (na == nb && (na == 0 || memcmp(a, b, (size_t)na) == 0))
		return 0;
	bool oka = pgt_dec_parse(a, (size_t)na, &da), okb = pgt_dec_parse(b, (size_t)nb, &db);
	if (oka && okb)
		return dec_cmp(&da, &db);
	return pgt_coll_unparsed(oka, okb, a, na, b, nb);
}

/* pg_num_op(op, a, scale_a, b, scale_b) */
static void fn_num_op(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	dec_result_op(ctx, (char)sqlite3_value_text(argv[0])[0], argv[1], sqlite3_value_int(argv[2]), argv[3],
		      sqlite3_value_int(argv[4]));
}

/* sum and avg of numeric: finite values summed exactly, and the counts of
 * NaN and the infinities as numeric_accum keeps them.  As a window
 * aggregate values also leave the frame (agg_inverse): the result's
 * display scale is the largest of the values in the frame, so the number
 * of values at each display scale is kept (scales past the table stay). */
#define AGG_SCALES 32
typedef struct DecAgg {
	PgtDec sum;
	long long count, nan, pinf, ninf;
	long long scales[AGG_SCALES];
	int big_scale; /* largest display scale >= AGG_SCALES seen, or 0 */
	DecStatus status;
} DecAgg;

/* Adds (sign 1) or removes (sign -1) one value of the aggregate. */
static void agg_accum(sqlite3_context *ctx, int argc, sqlite3_value **argv, int sign)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	DecAgg *st = sqlite3_aggregate_context(ctx, sizeof(DecAgg));
	if (!st)
		return;
	if (st->count == 0 && sign > 0)
		set_zero(&st->sum, 0);
	st->count += sign;
	if (st->status != DEC_OK)
		return;
	PgtDec *v = sqlite3_malloc(2 * sizeof(PgtDec));
	if (!v) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	PgtDec *r = v + 1;
	int typmod = argc > 2 ? sqlite3_value_int(argv[2]) : -1;
	int scale = typmod >= 4 ? ((typmod - 4) & 0x7ff) : -1;
	if (!dec_from_value(v, argv[0], scale)) {
		set_special(v, DEC_NAN);
	}
	switch (v->special) {
	case DEC_NAN: st->nan += sign; break;
	case DEC_PINF: st->pinf += sign; break;
	case DEC_NINF: st->ninf += sign; break;
	default:
		if (v->dscale < AGG_SCALES)
			st->scales[v->dscale] += sign;
		else if (v->dscale > st->big_scale)
			st->big_scale = v->dscale;
		st->status = sign > 0 ? dec_add(&st->sum, v, r) : dec_sub(&st->sum, v, r);
		if (st->status == DEC_OK)
			st->sum = *r;
	}
	sqlite3_free(v);
}

static void agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) { agg_accum(ctx, argc, argv, 1); }

static void agg_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv) { agg_accum(ctx, argc, argv, -1); }

/* The sum's display scale: the largest of the values summed. */
static void agg_fix_scale(DecAgg *st)
{
	int ds = st->big_scale;
	for (int i = AGG_SCALES - 1; i >= 0 && !ds; i--)
		if (st->scales[i] > 0)
			ds = i;
	st->sum.dscale = ds;
}

/* The special result of a sum or average, if any: NaN when a NaN or both
 * infinities were seen, else the infinity seen. */
static bool agg_special(sqlite3_context *ctx, const DecAgg *st)
{
	if (st->nan || (st->pinf && st->ninf)) {
		sqlite3_result_text(ctx, "NaN", 3, SQLITE_STATIC);
		return true;
	}
	if (st->pinf || st->ninf) {
		sqlite3_result_double(ctx, st->pinf ? 1.0 / 0.0 : -1.0 / 0.0);
		return true;
	}
	if (st->status != DEC_OK) {
		dec_result_status(ctx, st->status);
		return true;
	}
	return false;
}

static void sum_final(sqlite3_context *ctx)
{
	DecAgg *st = sqlite3_aggregate_context(ctx, 0);
	if (!st || !st->count || agg_special(ctx, st))
		return;
	agg_fix_scale(st);
	dec_result(ctx, &st->sum);
}

static void avg_final(sqlite3_context *ctx)
{
	DecAgg *st = sqlite3_aggregate_context(ctx, 0);
	if (!st || !st->count || agg_special(ctx, st))
		return;
	agg_fix_scale(st);
	PgtDec *n = sqlite3_malloc(2 * sizeof(PgtDec));
	if (!n) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	PgtDec *r = n + 1;
	pgt_dec_from_int(n, st->count);
	DecStatus s = dec_div(&st->sum, n, r);
	if (s == DEC_OK)
		dec_result(ctx, r);
	else
		dec_result_status(ctx, s);
	sqlite3_free(n);
}

/* pg_nummin(x) and pg_nummax(x): the least or greatest numeric by value,
 * with its own display scale. */
typedef struct DecBest {
	bool any;
	PgtDec best;
} DecBest;

static void best_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	DecBest *st = sqlite3_aggregate_context(ctx, sizeof(DecBest));
	PgtDec *v = sqlite3_malloc(sizeof(PgtDec));
	if (!st || !v) {
		sqlite3_free(v);
		sqlite3_result_error_nomem(ctx);
		return;
	}
	int want = sqlite3_user_data(ctx) ? 1 : -1;
	if (!dec_from_value(v, argv[0], -1))
		result_bad_input(ctx, argv[0]);
	else if (!st->any || dec_cmp(v, &st->best) == want)
		st->best = *v;
	st->any = true;
	sqlite3_free(v);
}

static void best_final(sqlite3_context *ctx)
{
	DecBest *st = sqlite3_aggregate_context(ctx, 0);
	if (st && st->any)
		dec_result(ctx, &st->best);
}

/* pg_numgreatest(...) and pg_numleast(...): the argument that is greatest
 * or least by value, returned as it is; NULLs are skipped. */
static void fn_numbest(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int want = sqlite3_user_data(ctx) ? 1 : -1, best = -1;
	PgtDec *d = sqlite3_malloc(2 * sizeof(PgtDec));
	if (!d) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	for (int i = 0; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			continue;
		PgtDec *v = best < 0 ? d : d + 1;
		if (!dec_from_value(v, argv[i], -1)) {
			result_bad_input(ctx, argv[i]);
			sqlite3_free(d);
			return;
		}
		if (best < 0 || dec_cmp(v, d) == want) {
			d[0] = *v;
			best = i;
		}
	}
	if (best >= 0)
		sqlite3_result_value(ctx, argv[best]);
	sqlite3_free(d);
}

bool dec_register_functions(sqlite3 *db)
{
	return sqlite3_create_collation_v2(db, "pg_numeric", SQLITE_UTF8, NULL, coll_numeric, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numtext", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_numtext, NULL,
					  NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numgreatest", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)1,
					  fn_numbest, NULL, NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numleast", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_numbest,
					  NULL, NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_nummin", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
					  best_step, best_final, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_nummax", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, (void *)1, NULL,
					  best_step, best_final, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numkey", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_numkey,
					  NULL, NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_num_op", 5, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_num_op, NULL,
					  NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_window_function(db, "pg_numsum", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, agg_step,
					      sum_final, sum_final, agg_inverse, NULL) == SQLITE_OK &&
	       sqlite3_create_window_function(db, "pg_numavg", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, agg_step,
					      avg_final, avg_final, agg_inverse, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numsum1", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, agg_step,
					  sum_final, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_numavg1", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, agg_step,
					  avg_final, NULL) == SQLITE_OK;
}
