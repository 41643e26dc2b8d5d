/*
 * numeric_math.c - sqrt, exp, ln, log and power of numeric as
 * PostgreSQL 15's numeric.c answers them: the same result scales (its
 * rscale rules: NUMERIC_MIN_SIG_DIGITS significant digits, at least the
 * inputs' display scales, at most NUMERIC_MAX_DISPLAY_SCALE), the same
 * special values and SQLSTATEs.  Values are computed in fixed point on
 * OpenSSL's BIGNUM (n / 10^scale) with guard digits beyond the result
 * scale and then rounded half away from zero; square roots and integer
 * powers small enough to compute exactly are exact before rounding.  A
 * result of more than PGT_DEC_MAXDIG significant digits is 0A000.
 *
 * exp, ln, log10, cbrt, the hyperbolic functions and power of double
 * precision follow float.c: 22003 on overflow and underflow, 2201E for
 * the logarithm of zero or of a negative number, NaN in NaN out.
 */
#include "pgsql/numeric_math.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>

#include "pgsql/decimal.h"
#include "pgsql/pgtype.h"
#include "pgsql/pgtype_int.h"

/* Guard digits beyond what a result needs. */
#define GUARD 20
/* Exact integer powers up to this many digits. */
#define EXACT_POW_DIGITS 4000

/* ------------------------------------------------------- fixed point */

/* r = a * 10^k (k < 0: divided, truncated toward zero).  r may be a. */
static bool shift10(BIGNUM *r, const BIGNUM *a, int k, BN_CTX *ctx)
{
	if (k == 0)
		return BN_copy(r, a) != NULL;
	BIGNUM *p = BN_new(), *ten = BN_new(), *e = BN_new();
	bool ok = p && ten && e && BN_set_word(ten, 10) && BN_set_word(e, (BN_ULONG)abs(k)) &&
		  BN_exp(p, ten, e, ctx);
	if (ok)
		ok = k > 0 ? BN_mul(r, a, p, ctx) : BN_div(r, NULL, a, p, ctx);
	BN_free(p);
	BN_free(ten);
	BN_free(e);
	return ok;
}

/* 10^k * 10^scale, the fixed-point form of 10^k. */
static bool fx_pow10(BIGNUM *r, int k, int scale, BN_CTX *ctx)
{
	return BN_one(r) && shift10(r, r, k + scale, ctx);
}

bool dec_to_bn(BIGNUM *r, const PgtDec *d, int scale, BN_CTX *ctx)
{
	if (d->ndig == 0)
		return BN_zero(r), true;
	char s[PGT_DEC_MAXDIG + 1];
	memcpy(s, d->dig, (size_t)d->ndig);
	s[d->ndig] = 0;
	if (!BN_dec2bn(&r, s) || !shift10(r, r, d->exp + scale, ctx))
		return false;
	BN_set_negative(r, d->neg);
	return true;
}

/* r = a * b at the given scale. */
static bool fx_mul(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, int scale, BN_CTX *ctx)
{
	return BN_mul(r, a, b, ctx) && shift10(r, r, -scale, ctx);
}

/* r = a / b at the given scale (b not zero). */
static bool fx_div(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, int scale, BN_CTX *ctx)
{
	BIGNUM *t = BN_new();
	bool ok = t && shift10(t, a, scale, ctx) && BN_div(r, NULL, t, b, ctx);
	BN_free(t);
	return ok;
}

/* r = floor(sqrt(n)), n >= 0, by Newton's iteration from above. */
static bool isqrt(BIGNUM *r, const BIGNUM *n, BN_CTX *ctx)
{
	if (BN_is_zero(n))
		return BN_zero(r), true;
	BIGNUM *x = BN_new(), *y = BN_new();
	bool ok = x && y && BN_set_word(x, 1) && BN_lshift(x, x, (BN_num_bits(n) + 1) / 2 + 1);
	while (ok) {
		ok = BN_div(y, NULL, n, x, ctx) && BN_add(y, y, x) && BN_rshift1(y, y);
		if (!ok || BN_cmp(y, x) >= 0)
			break;
		ok = BN_copy(x, y) != NULL;
	}
	ok = ok && BN_copy(r, x) != NULL;
	BN_free(x);
	BN_free(y);
	return ok;
}

DecStatus dec_from_bn(PgtDec *d, const BIGNUM *a, int scale, int rscale, BN_CTX *ctx)
{
	BIGNUM *q = BN_new(), *rem = BN_new(), *p = BN_new();
	DecStatus st = DEC_TOO_PRECISE;
	bool ok = q && rem && p;
	int qscale = scale;
	if (ok && scale > rscale) {
		ok = fx_pow10(p, scale - rscale, 0, ctx) && BN_div(q, rem, a, p, ctx) && BN_lshift1(rem, rem);
		BN_set_negative(rem, 0);
		if (ok && BN_cmp(rem, p) >= 0)
			ok = BN_is_negative(a) ? BN_sub_word(q, 1) : BN_add_word(q, 1);
		qscale = rscale;
	} else if (ok) {
		ok = BN_copy(q, a) != NULL;
	}
	/* the value is q / 10^qscale */
	char *s = ok ? BN_bn2dec(q) : NULL;
	if (s && pgt_dec_parse(s, strlen(s), d)) {
		d->exp = d->ndig ? d->exp - qscale : 0;
		d->dscale = rscale;
		st = dec_check_limits(d);
	}
	OPENSSL_free(s);
	BN_free(q);
	BN_free(rem);
	BN_free(p);
	return st;
}

/* ------------------------------------------------------ ln and exp */

/* ln(m) for m (at scale, positive) of a moderate size: square roots
 * bring it within 0.01 of 1, then ln(m) = 2 atanh((m-1)/(m+1)). */
static bool fx_ln_small(BIGNUM *r, const BIGNUM *m0, int scale, BN_CTX *ctx)
{
	BIGNUM *m = BN_dup(m0), *one = BN_new(), *lim = BN_new(), *t = BN_new(), *z = BN_new(), *z2 = BN_new(),
	       *term = BN_new(), *sum = BN_new();
	bool ok = m && one && lim && t && z && z2 && term && sum && fx_pow10(one, 0, scale, ctx) &&
		  fx_pow10(lim, -2, scale, ctx);
	int n = 0;
	while (ok) {
		ok = BN_sub(t, m, one);
		BN_set_negative(t, 0);
		if (!ok || BN_cmp(t, lim) < 0)
			break;
		ok = shift10(m, m, scale, ctx) && isqrt(m, m, ctx);
		n++;
	}
	ok = ok && BN_sub(t, m, one) && BN_add(z, m, one) && fx_div(z, t, z, scale, ctx) &&
	     fx_mul(z2, z, z, scale, ctx) && BN_copy(sum, z) && BN_copy(term, z);
	for (BN_ULONG i = 3; ok; i += 2) {
		ok = fx_mul(term, term, z2, scale, ctx) && BN_copy(t, term);
		if (ok && BN_div_word(t, i) == (BN_ULONG)-1)
			ok = false;
		if (!ok || BN_is_zero(t))
			break;
		ok = BN_add(sum, sum, t);
	}
	ok = ok && BN_lshift(r, sum, n + 1);
	BN_free(m);
	BN_free(one);
	BN_free(lim);
	BN_free(t);
	BN_free(z);
	BN_free(z2);
	BN_free(term);
	BN_free(sum);
	return ok;
}

/* Decimal digits of |k|. */
static int digits_of(long k)
{
	int n = 1;
	for (k = labs(k); k >= 10; k /= 10)
		n++;
	return n;
}

/* ln(x) at the given scale for x finite and positive: x = m * 10^k with
 * 1 <= m < 10, ln(x) = ln(m) + k ln(10). */
static bool fx_ln(BIGNUM *r, const PgtDec *x, int scale, BN_CTX *ctx)
{
	int k = x->exp + x->ndig - 1;
	int ws = scale + GUARD + digits_of(k);
	PgtDec m = *x;
	m.neg = false;
	m.exp = -(x->ndig - 1);
	BIGNUM *mv = BN_new(), *l10 = BN_new(), *kb = BN_new();
	bool ok = mv && l10 && kb && dec_to_bn(mv, &m, ws, ctx) && fx_ln_small(r, mv, ws, ctx);
	if (ok && k != 0) {
		ok = fx_pow10(l10, 1, ws, ctx) && fx_ln_small(l10, l10, ws, ctx) && BN_set_word(kb, (BN_ULONG)abs(k)) &&
		     BN_mul(l10, l10, kb, ctx);
		ok = ok && (k > 0 ? BN_add(r, r, l10) : BN_sub(r, r, l10));
	}
	ok = ok && shift10(r, r, scale - ws, ctx);
	BN_free(mv);
	BN_free(l10);
	BN_free(kb);
	return ok;
}

/*
 * exp(t) (t at scale ts, about tv) to rscale digits after the point, its
 * decimal weight about dweight, as d: t / 2^n near zero by Taylor's
 * series, then squared n times.
 */
static DecStatus fx_exp(PgtDec *d, const BIGNUM *t, int ts, double tv, int rscale, int dweight, BN_CTX *ctx)
{
	if (rscale + dweight > PGT_DEC_MAXDIG + 2)
		return DEC_TOO_PRECISE;
	int n = fabs(tv) > 0.01 ? (int)ceil(log2(fabs(tv) / 0.01)) : 0;
	int ws = rscale + (dweight > 0 ? dweight : 0) + GUARD + n / 3;
	BIGNUM *x = BN_new(), *sum = BN_new(), *term = BN_new();
	bool ok = x && sum && term && shift10(x, t, ws - ts, ctx) && BN_rshift(x, x, n);
	if (ok && BN_is_negative(t) && !BN_is_zero(x))
		BN_set_negative(x, 1);
	ok = ok && fx_pow10(sum, 0, ws, ctx) && BN_copy(term, sum);
	for (BN_ULONG i = 1; ok; i++) {
		ok = fx_mul(term, term, x, ws, ctx);
		if (ok && BN_div_word(term, i) == (BN_ULONG)-1)
			ok = false;
		if (!ok || BN_is_zero(term))
			break;
		ok = BN_add(sum, sum, term);
	}
	for (int i = 0; i < n && ok; i++)
		ok = fx_mul(sum, sum, sum, ws, ctx);
	DecStatus st = ok ? dec_from_bn(d, sum, ws, rscale, ctx) : DEC_TOO_PRECISE;
	BN_free(x);
	BN_free(sum);
	BN_free(term);
	return st;
}

/* ------------------------------------------------------ scales */

static int clamp_rscale(long rscale)
{
	return rscale < 0 ? 0 : rscale > NUMERIC_MAX_DISPLAY_SCALE ? NUMERIC_MAX_DISPLAY_SCALE : (int)rscale;
}

static int imax(int a, int b) { return a > b ? a : b; }

/* The digits of d at powers hi..lo as an integer. */
static long digits_at(const PgtDec *d, int hi, int lo)
{
	long v = 0;
	int top = d->exp + d->ndig - 1;
	for (int p = hi; p >= lo; p--) {
		int i = top - p;
		v = v * 10 + (i >= 0 && i < d->ndig ? d->dig[i] - '0' : 0);
	}
	return v;
}

/* The weight of d's first base-10000 digit (0 for zero). */
static int nbase_weight(const PgtDec *d)
{
	if (d->ndig == 0)
		return 0;
	int tp = d->exp + d->ndig - 1;
	return tp >= 0 ? tp / 4 : -((-tp + 3) / 4);
}

/* numeric.c's estimate_ln_dweight: the decimal weight of ln(x). */
static int ln_dweight(const PgtDec *x)
{
	if (x->neg || x->ndig == 0)
		return 0;
	PgtDec lo, hi, one, y;
	if (!pgt_dec_parse("0.9", 3, &lo) || !pgt_dec_parse("1.1", 3, &hi) || !pgt_dec_parse("1", 1, &one))
		return 0;
	if (dec_cmp(x, &lo) >= 0 && dec_cmp(x, &hi) <= 0) {
		if (dec_sub(x, &one, &y) != DEC_OK || y.ndig == 0)
			return 0;
		pgt_dec_strip(&y);
		return y.exp + y.ndig - 1;
	}
	int w = nbase_weight(x);
	long digits = digits_at(x, w * 4 + 3, w * 4);
	int dweight = w * 4;
	if (x->exp < w * 4) {
		digits = digits * 10000 + digits_at(x, w * 4 - 1, w * 4 - 4);
		dweight -= 4;
	}
	double lv = log((double)digits) + dweight * 2.302585092994046;
	return (int)log10(fabs(lv));
}

/* x as a double (its leading digits), for estimates. */
static double approx(const PgtDec *x)
{
	if (x->ndig == 0)
		return 0;
	int n = x->ndig < 17 ? x->ndig : 17;
	double v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (x->dig[i] - '0');
	v *= pow(10.0, (double)(x->exp + x->ndig - n));
	return x->neg ? -v : v;
}

/* log10(|x|) for x finite and not zero. */
static double approx_log10(const PgtDec *x)
{
	int n = x->ndig < 17 ? x->ndig : 17;
	double v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (x->dig[i] - '0');
	return log10(v) + (double)(x->exp + x->ndig - n);
}

static void set_const(PgtDec *r, int special, const char *text)
{
	if (!pgt_dec_parse(text, strlen(text), r))
		memset(r, 0, sizeof(*r));
	r->special = special;
}

/* ------------------------------------------------------ functions */

/* exp of an argument about val beyond limit: true with *st 22003 when it
 * overflows, with zero at display scale dscale when it underflows. */
static bool exp_beyond(double val, double limit, int dscale, PgtDec *r, DecStatus *st)
{
	if (fabs(val) < limit)
		return false;
	*st = val > 0 ? DEC_OVERFLOW : DEC_OK;
	set_const(r, DEC_FINITE, "0");
	r->dscale = dscale;
	return true;
}

static DecStatus num_sqrt(const PgtDec *x, PgtDec *r, BN_CTX *ctx)
{
	int rscale = clamp_rscale(imax(NUMERIC_MIN_SIG_DIGITS - ((nbase_weight(x) + 1) * 4 / 2 - 1), x->dscale));
	if (x->ndig && (x->exp + x->ndig) / 2 + rscale > PGT_DEC_MAXDIG + 2)
		return DEC_TOO_PRECISE;
	BIGNUM *n = BN_new();
	DecStatus st = DEC_TOO_PRECISE;
	if (n && dec_to_bn(n, x, 2 * (rscale + 2), ctx) && isqrt(n, n, ctx))
		st = dec_from_bn(r, n, rscale + 2, rscale, ctx);
	BN_free(n);
	return st;
}

static DecStatus num_exp(const PgtDec *x, PgtDec *r, BN_CTX *ctx)
{
	double val = approx(x);
	double w = val * 0.434294481903252;
	w = w < -2000 ? -2000 : w > 2000 ? 2000 : w;
	int rscale = clamp_rscale(imax(NUMERIC_MIN_SIG_DIGITS - (int)w, x->dscale));
	DecStatus st = DEC_OK;
	if (exp_beyond(val, 6000, rscale, r, &st))
		return st;
	BIGNUM *t = BN_new();
	int ts = imax(x->dscale, 0) + 2;
	st = t && dec_to_bn(t, x, ts, ctx) ? fx_exp(r, t, ts, val, rscale, (int)w, ctx) : DEC_TOO_PRECISE;
	BN_free(t);
	return st;
}

/* ln(x) (x > 0) to rscale digits. */
static DecStatus num_ln_at(const PgtDec *x, int rscale, PgtDec *r, BN_CTX *ctx)
{
	BIGNUM *l = BN_new();
	DecStatus st = l && fx_ln(l, x, rscale + 2, ctx) ? dec_from_bn(r, l, rscale + 2, rscale, ctx) : DEC_TOO_PRECISE;
	BN_free(l);
	return st;
}

/* log(b, x) of positive b and x (log_var). */
static DecStatus num_log(const PgtDec *b, const PgtDec *x, PgtDec *r, BN_CTX *ctx)
{
	int bw = ln_dweight(b), xw = ln_dweight(x);
	int rw = xw - bw;
	int rscale = clamp_rscale(imax(imax(NUMERIC_MIN_SIG_DIGITS - rw, b->dscale), x->dscale));
	int ws = rscale + GUARD + imax(-bw, 0) + imax(rw, 0);
	BIGNUM *lb = BN_new(), *lx = BN_new();
	DecStatus st = DEC_TOO_PRECISE;
	if (lb && lx && fx_ln(lb, b, ws, ctx) && fx_ln(lx, x, ws, ctx)) {
		if (BN_is_zero(lb))
			st = DEC_DIV_BY_ZERO;
		else if (fx_div(lx, lx, lb, ws, ctx))
			st = dec_from_bn(r, lx, ws, rscale, ctx);
	}
	BN_free(lb);
	BN_free(lx);
	return st;
}

/* Whether d (finite) is an integer; *odd when it is an odd one. */
static bool is_integral(const PgtDec *d, bool *odd)
{
	PgtDec t = *d;
	pgt_dec_strip(&t);
	*odd = t.ndig > 0 && t.exp == 0 && ((t.dig[t.ndig - 1] - '0') & 1);
	return t.ndig == 0 || t.exp >= 0;
}

/* exp(y * ln|b|) with the sign neg, to rscale digits (b not zero). */
static DecStatus pow_by_ln(const PgtDec *b, const PgtDec *y, bool neg, double val, int rscale, PgtDec *r,
			   BN_CTX *ctx)
{
	int dw = (int)(val * 0.434294481903252);
	/* fx_exp's refusal, made before ln is computed to that many digits */
	if (rscale + dw > PGT_DEC_MAXDIG + 2)
		return DEC_TOO_PRECISE;
	PgtDec ab = *b;
	ab.neg = false;
	int ys = imax(y->dscale, 0);
	int ls = rscale + imax(dw, 0) + GUARD + digits_of((long)fmin(fabs(approx(y)), 1e9)) + 2;
	BIGNUM *l = BN_new(), *yv = BN_new();
	DecStatus st = DEC_TOO_PRECISE;
	if (l && yv && fx_ln(l, &ab, ls, ctx) && dec_to_bn(yv, y, ys, ctx) && BN_mul(l, l, yv, ctx))
		st = fx_exp(r, l, ls + ys, val, rscale, dw, ctx);
	if (st == DEC_OK && neg && r->ndig > 0)
		r->neg = true;
	BN_free(l);
	BN_free(yv);
	return st;
}

/* b ^ e for an integer e (power_var_int's scale rscale). */
static DecStatus pow_int(const PgtDec *b, long e, bool odd, int rscale, PgtDec *r, BN_CTX *ctx)
{
	if (e == 0 || b->ndig == 0) {
		set_const(r, DEC_FINITE, e == 0 ? "1" : "0");
		r->dscale = rscale;
		return DEC_OK;
	}
	double f = (double)e * approx_log10(b);
	if (f > 3.0 * 32767 * 4)
		return DEC_OVERFLOW;
	if (f + 1 < -rscale || f + 1 < -NUMERIC_MAX_DISPLAY_SCALE) {
		set_const(r, DEC_FINITE, "0");
		r->dscale = rscale;
		return DEC_OK;
	}
	long ae = labs(e);
	PgtDec dd = *b;
	dd.neg = false;
	dd.exp = 0; /* D, the digits */
	if ((double)ae * approx_log10(&dd) > EXACT_POW_DIGITS) {
		PgtDec y;
		char buf[32];
		snprintf(buf, sizeof buf, "%ld", e);
		set_const(&y, DEC_FINITE, buf);
		return pow_by_ln(b, &y, b->neg && odd, f / 0.434294481903252, rscale, r, ctx);
	}
	/* exact: |b| = D * 10^x, |b|^ae = D^ae * 10^(x ae) */
	BIGNUM *dv = BN_new(), *p = BN_new(), *eb = BN_new(), *q = BN_new();
	long xs = (long)b->exp * ae;
	DecStatus st = DEC_TOO_PRECISE;
	bool ok = dv && p && eb && q && dec_to_bn(dv, &dd, 0, ctx) && BN_set_word(eb, (BN_ULONG)ae) &&
		  BN_exp(p, dv, eb, ctx);
	if (ok && e > 0 && labs(xs) <= 4 * NUMERIC_MAX_WEIGHT_DIGITS) {
		st = dec_from_bn(r, p, (int)-xs, rscale, ctx);
	} else if (ok && e < 0 && -xs + rscale + GUARD <= 4 * NUMERIC_MAX_WEIGHT_DIGITS) {
		int qs = rscale + GUARD;
		if (fx_pow10(q, (int)-xs, qs, ctx) && BN_div(q, NULL, q, p, ctx))
			st = dec_from_bn(r, q, qs, rscale, ctx);
	}
	if (st == DEC_OK && b->neg && odd && r->ndig > 0)
		r->neg = true;
	BN_free(dv);
	BN_free(p);
	BN_free(eb);
	BN_free(q);
	return st;
}

typedef struct MathErr {
	const char *sqlstate;
	const char *msg;
} MathErr;

/* power(b, y) of NaN or infinite operands (numeric_power's rules); false
 * when both are finite. */
static bool pow_special(const PgtDec *b, const PgtDec *y, PgtDec *r, MathErr *err)
{
	if (b->special == DEC_FINITE && y->special == DEC_FINITE)
		return false;
	PgtDec one, mone;
	set_const(&one, DEC_FINITE, "1");
	set_const(&mone, DEC_FINITE, "-1");
	set_const(r, DEC_FINITE, "1");
	bool odd = false;
	if (b->special == DEC_NAN || y->special == DEC_NAN) {
		bool one_res = b->special == DEC_NAN ? (y->special == DEC_FINITE && y->ndig == 0)
						     : (b->special == DEC_FINITE && dec_cmp(b, &one) == 0);
		if (!one_res)
			set_const(r, DEC_NAN, "0");
		return true;
	}
	int s1 = b->special == DEC_PINF ? 1 : b->special == DEC_NINF ? -1 : b->ndig == 0 ? 0 : b->neg ? -1 : 1;
	int s2 = y->special == DEC_PINF ? 1 : y->special == DEC_NINF ? -1 : y->ndig == 0 ? 0 : y->neg ? -1 : 1;
	if (s1 == 0 && s2 < 0) {
		*err = (MathErr){"2201F", "zero raised to a negative power is undefined"};
		return true;
	}
	if (s1 < 0 && y->special == DEC_FINITE && !is_integral(y, &odd)) {
		*err = (MathErr){"2201F", "a negative number raised to a non-integer power yields a complex result"};
		return true;
	}
	if (b->special == DEC_FINITE && (dec_cmp(b, &one) == 0 || (y->special != DEC_FINITE && dec_cmp(b, &mone) == 0)))
		return true;
	if (s2 == 0)
		return true;
	if (y->special != DEC_FINITE) {
		PgtDec ab = *b;
		ab.neg = false;
		bool gt1 = b->special != DEC_FINITE || dec_cmp(&ab, &one) > 0;
		set_const(r, gt1 == (s2 > 0) ? DEC_PINF : DEC_FINITE, "0");
		return true;
	}
	if (b->special == DEC_PINF || s2 < 0) {
		set_const(r, s2 > 0 ? DEC_PINF : DEC_FINITE, "0");
		return true;
	}
	is_integral(y, &odd);
	set_const(r, odd ? DEC_NINF : DEC_PINF, "0");
	return true;
}

/* power(b, y) (numeric_power, power_var). */
static DecStatus num_power(const PgtDec *b, const PgtDec *y, PgtDec *r, MathErr *err, BN_CTX *ctx)
{
	if (pow_special(b, y, r, err))
		return DEC_OK;
	bool odd = false, integral = is_integral(y, &odd);
	if (b->ndig == 0 && y->ndig > 0 && y->neg) {
		*err = (MathErr){"2201F", "zero raised to a negative power is undefined"};
		return DEC_OK;
	}
	if (b->neg && !integral) {
		*err = (MathErr){"2201F", "a negative number raised to a non-integer power yields a complex result"};
		return DEC_OK;
	}
	double yv = approx(y);
	if (integral && yv >= -2147483648.0 && yv <= 2147483647.0) {
		int rscale = clamp_rscale(imax(NUMERIC_MIN_SIG_DIGITS, b->dscale));
		return pow_int(b, (long)llround(yv), odd, rscale, r, ctx);
	}
	if (b->ndig == 0) {
		set_const(r, DEC_FINITE, "0");
		r->dscale = NUMERIC_MIN_SIG_DIGITS;
		return DEC_OK;
	}
	double val = yv * (approx_log10(b) / 0.434294481903252);
	DecStatus st = DEC_OK;
	if (exp_beyond(val, nextafter(2000 * 3.01, 1e9), NUMERIC_MAX_DISPLAY_SCALE, r, &st))
		return st;
	double w = val * 0.434294481903252;
	int rscale = clamp_rscale(imax(imax(NUMERIC_MIN_SIG_DIGITS - (int)w, b->dscale), y->dscale));
	if (exp_beyond(val, 6000, rscale, r, &st))
		return st;
	return pow_by_ln(b, y, b->neg && odd, val, rscale, r, ctx);
}

/* The logarithm functions' errors for x (finite or not): false with err
 * set when x is zero or negative. */
static bool log_arg_ok(const PgtDec *x, MathErr *err)
{
	if (x->special == DEC_NINF || (x->special == DEC_FINITE && x->neg && x->ndig > 0))
		*err = (MathErr){"2201E", "cannot take logarithm of a negative number"};
	else if (x->special == DEC_FINITE && x->ndig == 0)
		*err = (MathErr){"2201E", "cannot take logarithm of zero"};
	else
		return true;
	return false;
}

/* One-argument functions: sqrt, exp, ln, log10. */
static DecStatus math1(int code, const PgtDec *x, PgtDec *r, MathErr *err, BN_CTX *ctx)
{
	if (x->special == DEC_NAN) {
		*r = *x;
		return DEC_OK;
	}
	if (code == NM_SQRT) {
		if (x->special == DEC_NINF || (x->special == DEC_FINITE && x->neg && x->ndig > 0)) {
			*err = (MathErr){"2201F", "cannot take square root of a negative number"};
			return DEC_OK;
		}
		if (x->special == DEC_PINF)
			return *r = *x, DEC_OK;
		return num_sqrt(x, r, ctx);
	}
	if (code == NM_EXP) {
		if (x->special != DEC_FINITE) {
			set_const(r, x->special == DEC_PINF ? DEC_PINF : DEC_FINITE, "0");
			return DEC_OK;
		}
		return num_exp(x, r, ctx);
	}
	if (!log_arg_ok(x, err))
		return DEC_OK;
	if (x->special == DEC_PINF)
		return *r = *x, DEC_OK;
	if (code == NM_LN)
		return num_ln_at(x, clamp_rscale(imax(NUMERIC_MIN_SIG_DIGITS - ln_dweight(x), x->dscale)), r, ctx);
	PgtDec ten;
	set_const(&ten, DEC_FINITE, "10");
	return num_log(&ten, x, r, ctx);
}

/* log(b, x) with numeric_log's special values. */
static DecStatus math_log(const PgtDec *b, const PgtDec *x, PgtDec *r, MathErr *err, BN_CTX *ctx)
{
	if (b->special == DEC_NAN || x->special == DEC_NAN) {
		set_const(r, DEC_NAN, "0");
		return DEC_OK;
	}
	if (!log_arg_ok(b, err) || !log_arg_ok(x, err))
		return DEC_OK;
	if (b->special == DEC_PINF) {
		set_const(r, x->special == DEC_PINF ? DEC_NAN : DEC_FINITE, "0");
		return DEC_OK;
	}
	if (x->special == DEC_PINF) {
		set_const(r, DEC_PINF, "0");
		return DEC_OK;
	}
	return num_log(b, x, r, ctx);
}

PgtDec *dec_work_new(sqlite3_context *ctx, int n, BN_CTX **bctx)
{
	PgtDec *d = sqlite3_malloc(n * (int)sizeof(PgtDec));
	*bctx = BN_CTX_new();
	if (d && *bctx)
		return d;
	sqlite3_free(d);
	BN_CTX_free(*bctx);
	sqlite3_result_error_nomem(ctx);
	return NULL;
}

/* pg_num_math(x, code) and pg_num_math2(a, b, code). */
static void fn_num_math(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int nin = argc - 1;
	for (int i = 0; i < nin; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return;
	int code = sqlite3_value_int(argv[nin]);
	BN_CTX *bctx;
	PgtDec *d = dec_work_new(ctx, 3, &bctx);
	if (!d)
		return;
	PgtDec *r = d + 2;
	for (int i = 0; i < nin; i++)
		if (!dec_from_value(&d[i], argv[i], -1)) {
			const char *bad = (const char *)sqlite3_value_text(argv[i]);
			char *m = sqlite3_mprintf("invalid input syntax for type numeric: \"%.100s\"", bad ? bad : "");
			pgt_result_error(ctx, "22P02", m ? m : "out of memory");
			sqlite3_free(m);
			sqlite3_free(d);
			BN_CTX_free(bctx);
			return;
		}
	MathErr err = {NULL, NULL};
	DecStatus st = nin == 1	       ? math1(code, &d[0], r, &err, bctx)
		       : code == NM_LOG ? math_log(&d[0], &d[1], r, &err, bctx)
					: num_power(&d[0], &d[1], r, &err, bctx);
	if (err.sqlstate)
		pgt_result_error(ctx, err.sqlstate, err.msg);
	else if (st != DEC_OK)
		dec_result_status(ctx, st);
	else
		dec_result(ctx, r);
	sqlite3_free(d);
	BN_CTX_free(bctx);
}

double dec_float_arg(sqlite3_value *v)
{
	if (sqlite3_value_type(v) == SQLITE_TEXT) {
		const char *s = (const char *)sqlite3_value_text(v);
		if (s && strcasecmp(s, "nan") == 0)
			return NAN;
	}
	return sqlite3_value_double(v);
}

/* r as a double precision result (NaN as its text). */
void dec_float_result(sqlite3_context *ctx, double r)
{
	if (isnan(r))
		sqlite3_result_text(ctx, "NaN", 3, SQLITE_STATIC);
	else
		sqlite3_result_double(ctx, r);
}

/* The result r of a function of finite x: 22003 when it overflowed to an
 * infinity or (when underflow) to zero. */
static bool float_range_ok(sqlite3_context *ctx, double x, double r, bool underflow)
{
	if (isinf(r) && !isinf(x))
		pgt_result_error(ctx, "22003", "value out of range: overflow");
	else if (underflow && r == 0 && !isinf(x))
		pgt_result_error(ctx, "22003", "value out of range: underflow");
	else
		return true;
	return false;
}

/* One function of double precision x (float.c's); false with the error
 * set. */
static bool float_fn(sqlite3_context *ctx, int code, double x, double *r)
{
	switch (code) {
	case NM_EXP:
		errno = 0;
		*r = exp(x);
		if (errno == ERANGE && *r != 0 && !isinf(x))
			*r = INFINITY;
		return float_range_ok(ctx, x, *r, true);
	case NM_LN:
	case NM_LOG10:
		if (x == 0 || x < 0) {
			pgt_result_error(ctx, "2201E",
					 x == 0 ? "cannot take logarithm of zero" : "cannot take logarithm of a negative number");
			return false;
		}
		*r = code == NM_LN ? log(x) : log10(x);
		return true;
	case NM_SINH:
		*r = sinh(x);
		return true;
	case NM_COSH:
		*r = cosh(x);
		return true;
	case NM_TANH:
		*r = tanh(x);
		return true;
	case NM_ASINH:
		*r = asinh(x);
		return true;
	case NM_CBRT:
		*r = cbrt(x);
		return true;
	}
	/* acosh, atanh */
	if (code == NM_ACOSH ? x < 1.0 : (x < -1.0 || x > 1.0)) {
		pgt_result_error(ctx, "22003", "input is out of range");
		return false;
	}
	*r = code == NM_ACOSH ? acosh(x) : x == 1.0 ? INFINITY : x == -1.0 ? -INFINITY : atanh(x);
	return true;
}

/* pg_float_math(x, code): exp, ln, log10, cbrt and the hyperbolic
 * functions of double precision. */
static void fn_float_math(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	double x = dec_float_arg(argv[0]), r;
	if (isnan(x))
		dec_float_result(ctx, x);
	else if (float_fn(ctx, sqlite3_value_int(argv[1]), x, &r))
		dec_float_result(ctx, r);
}

/* x ^ y of double precision with infinite y (dpow). */
static double pow_inf_exp(double x, double y)
{
	double ax = fabs(x);
	if (ax == 1.0)
		return 1.0;
	return (y > 0) == (ax > 1.0) ? INFINITY : 0.0;
}

/* pg_float_pow(x, y): power() and ^ of double precision as dpow answers:
 * NaN ^ 0 and 1 ^ NaN are 1, other NaNs NaN; 2201F for zero to a
 * negative power and a negative number to a non-integer one; infinities
 * per POSIX; 22003 on overflow and underflow. */
static void fn_float_pow(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	double x = dec_float_arg(argv[0]), y = dec_float_arg(argv[1]), r;
	if (isnan(x) || isnan(y)) {
		dec_float_result(ctx, (isnan(x) ? !isnan(y) && y == 0 : x == 1.0) ? 1.0 : NAN);
		return;
	}
	if (x == 0 && y < 0) {
		pgt_result_error(ctx, "2201F", "zero raised to a negative power is undefined");
		return;
	}
	if (x < 0 && floor(y) != y) {
		pgt_result_error(ctx, "2201F", "a negative number raised to a non-integer power yields a complex result");
		return;
	}
	if (isinf(y)) {
		r = pow_inf_exp(x, y);
	} else if (isinf(x)) {
		bool odd = floor(y / 2) != y / 2;
		r = y == 0 ? 1.0 : x > 0 ? (y > 0 ? x : 0.0) : y > 0 ? (odd ? x : -x) : (odd ? -0.0 : 0.0);
	} else {
		errno = 0;
		r = pow(x, y);
		if (errno == ERANGE && r != 0)
			r = INFINITY;
		if (!float_range_ok(ctx, x, r, x != 0))
			return;
	}
	dec_float_result(ctx, r);
}

bool dec_math_register(sqlite3 *db)
{
	int fl = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	return sqlite3_create_function_v2(db, "pg_num_math", 2, fl, NULL, fn_num_math, NULL, NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_num_math2", 3, fl, NULL, fn_num_math, NULL, NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_float_math", 2, fl, NULL, fn_float_math, NULL, NULL, NULL) ==
		       SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_float_pow", 2, fl, NULL, fn_float_pow, NULL, NULL, NULL) == SQLITE_OK;
}
