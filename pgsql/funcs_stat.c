/*
 * funcs_stat.c - the statistical aggregates: variance and standard
 * deviation, covariance, correlation and the regr_* family.
 *
 * Over float4/float8 (and the two-argument ones over anything, as float8)
 * the sums are PostgreSQL's Youngs-Cramer transition values, added row by
 * row in the same order, so the float8 results are PostgreSQL's bit for
 * bit.  Over integers and numeric, variance and stddev are exact numeric:
 * (N * sum(x^2) - sum(x)^2) / (N * (N - 1)) at the division's scale, the
 * square root of that at the same scale for stddev, as
 * numeric_stddev_internal computes them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>

#include "common/buf.h"
#include "pgsql/decimal.h"
#include "pgsql/funcs_agg.h"
#include "pgsql/numeric_math.h"
#include "pgsql/pgtype.h"
#include "pgsql/pgtype_int.h"

typedef struct FStat {
	double n, sx, sxx, sy, syy, sxy;
	/* a sum of finite values overflowed; a value was NaN or infinite */
	bool overflow, nonfinite;
} FStat;

/* One row of float8_accum (y only) or float8_regr_accum (y, x). */
static void fstat_add(FStat *s, double y, double x, bool two)
{
	double n0 = s->n, sy0 = s->sy, sx0 = s->sx;
	s->nonfinite = s->nonfinite || !isfinite(y) || (two && !isfinite(x));
	s->n += 1.0;
	s->sy += y;
	if (two)
		s->sx += x;
	if (n0 > 0.0) {
		double ty = y * s->n - s->sy;
		if (!two) {
			s->syy += ty * ty / (s->n * n0);
			if ((isinf(s->sy) || isinf(s->syy)) && !isinf(sy0) && !isinf(y))
				s->overflow = true;
			if (isinf(s->sy) || isinf(s->syy))
				s->syy = NAN;
			return;
		}
		double tx = x * s->n - s->sx, scale = 1.0 / (s->n * n0);
		s->sxx += tx * tx * scale;
		s->syy += ty * ty * scale;
		s->sxy += tx * ty * scale;
		if (((isinf(s->sx) || isinf(s->sxx)) && !isinf(sx0) && !isinf(x)) ||
		    ((isinf(s->sy) || isinf(s->syy)) && !isinf(sy0) && !isinf(y)) ||
		    (isinf(s->sxy) && !isinf(sx0) && !isinf(x) && !isinf(sy0) && !isinf(y)))
			s->overflow = true;
		if (isinf(s->sxx))
			s->sxx = NAN;
		if (isinf(s->syy))
			s->syy = NAN;
		if (isinf(s->sxy))
			s->sxy = NAN;
	} else {
		if (isnan(y) || isinf(y))
			s->syy = s->sxy = NAN;
		if (two && (isnan(x) || isinf(x)))
			s->sxx = s->sxy = NAN;
	}
}

/* The final function of kind over the sums; false for NULL. */
static bool fstat_final(char kind, const FStat *s, double *r)
{
	double n = s->n;
	switch (kind) {
	case '+': *r = s->sy; return n > 0.0;
	case 'a': *r = s->sy / n; return n > 0.0;
	case 'v': *r = s->syy / (n - 1.0); return n > 1.0;
	case 'V': *r = s->syy / n; return n > 0.0;
	case 's': *r = sqrt(s->syy / (n - 1.0)); return n > 1.0;
	case 'S': *r = sqrt(s->syy / n); return n > 0.0;
	case 'X': *r = s->sxx; return n >= 1.0;
	case 'Y': *r = s->syy; return n >= 1.0;
	case 'Z': *r = s->sxy; return n >= 1.0;
	case 'x': *r = s->sx / n; return n >= 1.0;
	case 'y': *r = s->sy / n; return n >= 1.0;
	case 'p': *r = s->sxy / n; return n >= 1.0;
	case 'q': *r = s->sxy / (n - 1.0); return n >= 2.0;
	case 'c': *r = s->sxy / sqrt(s->sxx * s->syy); return n >= 1.0 && s->sxx != 0 && s->syy != 0;
	case 'r': *r = s->syy == 0 ? 1.0 : (s->sxy * s->sxy) / (s->sxx * s->syy); return n >= 1.0 && s->sxx != 0;
	case 'l': *r = s->sxy / s->sxx; return n >= 1.0 && s->sxx != 0;
	case 'i': *r = (s->sy - s->sx * s->sxy / s->sxx) / n; return n >= 1.0 && s->sxx != 0;
	default: return false;
	}
}

/* One value of float8pl (sum): from the first value on, -0 stays -0. */
static void fsum_add(FStat *s, double y)
{
	double sy0 = s->sy;
	s->sy = s->n > 0.0 ? s->sy + y : y;
	s->n += 1.0;
	s->overflow = s->overflow || (isinf(s->sy) && !isinf(sy0) && !isinf(y));
	s->nonfinite = s->nonfinite || !isfinite(y);
}

/* The statistic kind over rows whose y (and x) are at column col (and
 * col + 1).  PostgreSQL raises 22003 when its sums of finite values
 * overflow before a NaN or an infinity comes.  Rows come in no one's
 * order here: only when every value is finite, or (sorted: DISTINCT) when
 * the finite values overflow and no -Infinity comes first. */
static void fstat_run(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width, char kind, int col, bool sorted)
{
	FStat s = {0}, fin = {0};
	bool two = width > col + 1, ninf = false;
	for (size_t i = 0; i < n; i++) {
		sqlite3_value **r = rows + i * (size_t)width + col;
		if (sqlite3_value_type(r[0]) == SQLITE_NULL || (two && sqlite3_value_type(r[1]) == SQLITE_NULL))
			continue;
		double y = dec_float_arg(r[0]), x = two ? dec_float_arg(r[1]) : 0;
		ninf = ninf || (isinf(y) && y < 0);
		if (kind == '+')
			fsum_add(&s, y);
		else
			fstat_add(&s, y, x, two);
		if (sorted && isfinite(y))
			kind == '+' ? fsum_add(&fin, y) : fstat_add(&fin, y, x, two);
	}
	if ((s.overflow && !s.nonfinite) || (sorted && fin.overflow && !ninf)) {
		pgt_result_error(ctx, "22003", "value out of range: overflow");
		return;
	}
	double res;
	if (n && fstat_final(kind, &s, &res))
		dec_float_result(ctx, res);
}

void pgs_fstat_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width)
{
	fstat_run(ctx, rows, n, width, n ? (char)sqlite3_value_text(rows[0])[0] : 0, 1, false);
}

void pgs_fsum1_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width)
{
	fstat_run(ctx, rows, n, width, '+', 0, true);
}

void pgs_favg1_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width)
{
	fstat_run(ctx, rows, n, width, 'a', 0, true);
}

/* floor(sqrt(v) * 10^scale) of a finite v > 0, as the digits of an integer
 * (OpenSSL BIGNUM, Newton's method); NULL when out of memory. */
static BIGNUM *isqrt_scaled(const PgtDec *v, int scale)
{
	/* M = floor(v * 10^(2 * scale)) */
	Buf digits;
	buf_init(&digits);
	int shift = v->exp + 2 * scale;
	int keep = shift >= 0 ? v->ndig : v->ndig + shift;
	if (keep <= 0)
		buf_put_u8(&digits, '0');
	else
		buf_put(&digits, v->dig, (size_t)keep);
	for (int i = 0; i < shift; i++)
		buf_put_u8(&digits, '0');
	BIGNUM *m = NULL, *x = BN_new(), *y = BN_new(), *q = BN_new();
	BN_CTX *bc = BN_CTX_new();
	bool ok = x && y && q && bc && BN_dec2bn(&m, buf_cstr(&digits)) > 0;
	buf_cleanup(&digits);
	if (ok && BN_is_zero(m)) {
		BN_zero(x);
	} else if (ok) {
		/* x0 = 2^ceil(bits / 2) >= sqrt(M); x decreases to floor(sqrt(M)) */
		ok = BN_set_word(x, 0) && BN_set_bit(x, (BN_num_bits(m) + 1) / 2);
		while (ok) {
			ok = BN_div(q, NULL, m, x, bc) && BN_add(y, x, q) && BN_rshift1(y, y);
			if (!ok || BN_cmp(y, x) >= 0)
				break;
			ok = BN_copy(x, y) != NULL;
		}
	}
	BN_free(m);
	BN_free(y);
	BN_free(q);
	BN_CTX_free(bc);
	if (!ok) {
		BN_free(x);
		return NULL;
	}
	return x;
}

/* *d = sqrt(*d) rounded to d->dscale digits after the point. */
static bool dec_sqrt(PgtDec *d)
{
	int scale = d->dscale;
	BIGNUM *r = isqrt_scaled(d, scale + 1);
	char *dec = r ? BN_bn2dec(r) : NULL;
	BN_free(r);
	if (!dec)
		return false;
	/* round half up at the last digit, then place the point */
	size_t len = strlen(dec);
	Buf t;
	buf_init(&t);
	int carry = dec[len - 1] >= '5';
	dec[len - 1] = 0;
	for (size_t i = len - 1; carry && i-- > 0;) {
		if (dec[i] == '9') {
			dec[i] = '0';
		} else {
			dec[i]++;
			carry = 0;
		}
	}
	if (carry)
		buf_put_u8(&t, '1');
	buf_put_str(&t, len > 1 ? dec : "0");
	OPENSSL_free(dec);
	/* the integer is sqrt * 10^scale */
	char *txt = strdup(buf_cstr(&t));
	buf_reset(&t);
	size_t n = strlen(txt);
	if ((int)n <= scale) {
		buf_put_str(&t, "0.");
		for (int i = (int)n; i < scale; i++)
			buf_put_u8(&t, '0');
		buf_put_str(&t, txt);
	} else {
		buf_put(&t, txt, n - (size_t)scale);
		if (scale) {
			buf_put_u8(&t, '.');
			buf_put_str(&t, txt + n - (size_t)scale);
		}
	}
	free(txt);
	bool ok = pgt_dec_parse((const char *)t.data, t.len, d);
	buf_cleanup(&t);
	d->dscale = scale;
	return ok;
}

/* Variance ('v' sample, 'V' population) or stddev ('s', 'S') of count
 * exact values: d[0] N, d[1] sum(x), d[2] sum(x^2); the result in d[3]
 * (d[4..6] and d[9] scratch; false: NULL). */
static bool nstat_final(char kind, PgtDec *d, long long count, DecStatus *st)
{
	PgtDec *num = d + 9, *den = d + 4, *t = d + 5, *u = d + 6;
	bool sample = kind == 'v' || kind == 's';
	*st = DEC_OK;
	if (count == 0 || (sample && count == 1))
		return false;
	if ((*st = dec_mul(&d[1], &d[1], t)) != DEC_OK || (*st = dec_mul(&d[0], &d[2], u)) != DEC_OK ||
	    (*st = dec_sub(u, t, num)) != DEC_OK)
		return true;
	if (num->neg || num->ndig == 0) {
		pgt_dec_from_int(&d[3], 0);
		return true;
	}
	pgt_dec_from_int(t, 1);
	if (sample && (*st = dec_sub(&d[0], t, u)) != DEC_OK)
		return true;
	if ((*st = dec_mul(&d[0], sample ? u : &d[0], den)) != DEC_OK || (*st = dec_div(num, den, &d[3])) != DEC_OK)
		return true;
	if ((kind == 's' || kind == 'S') && !dec_sqrt(&d[3]))
		*st = DEC_TOO_PRECISE;
	return true;
}

void pgs_nstat_compute(sqlite3_context *ctx, sqlite3_value **rows, size_t n, int width)
{
	if (!n)
		return;
	char kind = (char)sqlite3_value_text(rows[0])[0];
	PgtDec *d = sqlite3_malloc(10 * sizeof(PgtDec));
	if (!d) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	PgtDec *v = d + 7, *r = d + 8;
	pgt_dec_from_int(&d[0], 0);
	pgt_dec_from_int(&d[1], 0);
	pgt_dec_from_int(&d[2], 0);
	long long count = 0;
	bool special = false;
	DecStatus st = DEC_OK;
	for (size_t i = 0; i < n && st == DEC_OK; i++) {
		sqlite3_value *x = rows[i * (size_t)width + 1];
		if (sqlite3_value_type(x) == SQLITE_NULL)
			continue;
		count++;
		if (!dec_from_value(v, x, -1) || v->special != DEC_FINITE) {
			special = true;
			continue;
		}
		if ((st = dec_add(&d[1], v, r)) == DEC_OK) {
			d[1] = *r;
			if ((st = dec_mul(v, v, r)) == DEC_OK && (st = dec_add(&d[2], r, v)) == DEC_OK)
				d[2] = *v;
		}
	}
	pgt_dec_from_int(&d[0], count);
	bool sample = kind == 'v' || kind == 's';
	if (st == DEC_OK && special) {
		if (count > sample)
			sqlite3_result_text(ctx, "NaN", 3, SQLITE_STATIC);
	} else if (st == DEC_OK && nstat_final(kind, d, count, &st) && st == DEC_OK) {
		dec_result(ctx, &d[3]);
	}
	if (st != DEC_OK)
		dec_result_status(ctx, st);
	sqlite3_free(d);
}
