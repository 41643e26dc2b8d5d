/*
 * pgtype_num.c - integer, floating-point and numeric types.
 *
 * Integers are stored as SQLite INTEGER, floats as REAL (NaN as TEXT 'NaN'),
 * numeric as INTEGER or REAL.  Input follows PostgreSQL's int4in, float8in
 * and numeric_in; output follows float8out (shortest round-trip digits) and
 * numeric_out (the typmod's scale).  Exact decimal work is done on PgtDec,
 * a digit string with a power-of-ten exponent.
 */
#include "pgsql/pgtype_int.h"
#include "pgsql/catalog.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- integers */

/* The name PostgreSQL uses for an integer-like type in error messages. */
static const char *int_type_label(uint32_t oid)
{
	switch (oid) {
	case PGT_INT2:
		return "smallint";
	case PGT_INT4:
		return "integer";
	case PGT_INT8:
		return "bigint";
	default: {
		const PgType *t = pgt_by_oid(oid);
		return t ? t->name : "oid";
	}
	}
}

static bool is_oid_like(uint32_t oid)
{
	return oid != PGT_INT2 && oid != PGT_INT4 && oid != PGT_INT8;
}

/*
 * Parse s[0..n) as pg_strtoint does: optional surrounding whitespace, an
 * optional sign, one or more decimal digits.  Returns 0 on success, 1 on a
 * syntax error, 2 when the magnitude exceeds 2^63 (or 2^63-1 for positive).
 */
static int parse_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t acc = 0;

	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t start = i;
	bool big = false;
	for (; i < n && isdigit((unsigned char)s[i]); i++) {
		unsigned dgt = (unsigned)(s[i] - '0');
		if (acc > (UINT64_MAX - dgt) / 10)
			big = true;
		else
			acc = acc * 10 + dgt;
	}
	if (i == start)
		return 1;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i != n)
		return 1;
	if (big || acc > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return 2;
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

/*
 * Text input of int2/int4/int8 and of the 32-bit unsigned identifier types
 * (oid, regclass, xid, ...).  Fails with 22P02 on bad syntax and 22003 when
 * the value does not fit the type.  reg* types given a name fail with 0A000.
 */
bool pgt_int_in(const char *s, size_t n, uint32_t oid, PgtValue *out, PgtError *err)
{
	char q[160];
	int64_t v = 0;
	int rc = parse_int64(s, n, &v);
	const char *label = int_type_label(oid);

	if (rc == 1) {
		const PgType *t = pgt_by_oid(oid);
		/* schemas and types by name; relations are looked up by the translator */
		static const struct {
			const char *name;
			uint32_t oid;
		} schemas[] = {{"pg_catalog", PGS_NAMESPACE_PG_CATALOG},
			       {"public", PGS_NAMESPACE_PUBLIC},
			       {"information_schema", PGS_NAMESPACE_INFORMATION_SCHEMA}};
		for (size_t i = 0; oid == PGT_REGNAMESPACE && i < sizeof(schemas) / sizeof(schemas[0]); i++)
			if (strlen(schemas[i].name) == n && memcmp(schemas[i].name, s, n) == 0) {
				pgt_set_int(out, schemas[i].oid);
				return true;
			}
		if (oid == PGT_REGTYPE && n < 128) {
			char name[128];
			memcpy(name, s, n);
			name[n] = 0;
			const PgType *named = pgt_by_name(name);
			if (named) {
				pgt_set_int(out, named->oid);
				return true;
			}
		}
		if (oid == PGT_REGPROC && n < 128) {
			/* the functions clients name: PostgreSQL's OIDs (pg_type.typinput of arrays) */
			static const struct {
				const char *name;
				uint32_t oid;
			} procs[] = {{"array_in", 750}, {"pg_catalog.array_in", 750}};
			for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
				if (strlen(procs[i].name) == n && memcmp(procs[i].name, s, n) == 0) {
					pgt_set_int(out, procs[i].oid);
					return true;
				}
			return pgt_fail(err, "42883", "function \"%s\" does not exist", pgt_quote_for_msg(q, sizeof(q), s, n));
		}
		if (oid == PGT_REGNAMESPACE || oid == PGT_REGTYPE)
			return pgt_fail(err, oid == PGT_REGTYPE ? "42704" : "3F000", "%s \"%s\" does not exist",
					oid == PGT_REGTYPE ? "type" : "schema", pgt_quote_for_msg(q, sizeof(q), s, n));
		if (t && t->name[0] == 'r' && t->name[1] == 'e' && t->name[2] == 'g')
			return pgt_fail(err, "0A000", "%s input by name is not supported", t->name);
		return pgt_fail(err, "22P02", "invalid input syntax for type %s: \"%s\"", label,
				pgt_quote_for_msg(q, sizeof(q), s, n));
	}
	bool range = rc == 0;
	if (range) {
		if (oid == PGT_INT2)
			range = v >= INT16_MIN && v <= INT16_MAX;
		else if (oid == PGT_INT4)
			range = v >= INT32_MIN && v <= INT32_MAX;
		else if (is_oid_like(oid)) {
			range = v >= INT32_MIN && v <= (int64_t)UINT32_MAX;
			if (v < 0)
				v += (int64_t)UINT32_MAX + 1;
		}
	}
	if (!range)
		return pgt_fail(err, "22003", "value \"%s\" is out of range for type %s",
				pgt_quote_for_msg(q, sizeof(q), s, n), label);
	pgt_set_int(out, v);
	return true;
}

/* Convert an INTEGER to an integer type with the range check of PG's casts
 * (22003 "integer out of range", "smallint out of range", "OID out of range"). */
bool pgt_int_from_int64(int64_t v, uint32_t oid, PgtValue *out, PgtError *err)
{
	if (oid == PGT_INT2 && (v < INT16_MIN || v > INT16_MAX))
		return pgt_fail(err, "22003", "smallint out of range");
	if (oid == PGT_INT4 && (v < INT32_MIN || v > INT32_MAX))
		return pgt_fail(err, "22003", "integer out of range");
	if (is_oid_like(oid)) {
		if (v < INT32_MIN || v > (int64_t)UINT32_MAX)
			return pgt_fail(err, "22003", "OID out of range");
		if (v < 0)
			v += (int64_t)UINT32_MAX + 1;
	}
	pgt_set_int(out, v);
	return true;
}

/* Convert a REAL to an integer type, rounding half to even as float8's
 * casts do (rint); NaN, infinities and values out of range fail with 22003
 * "<type> out of range". */
bool pgt_int_from_double(double v, uint32_t oid, PgtValue *out, PgtError *err)
{
	double r = rint(v);
	const char *label = int_type_label(oid);

	if (isnan(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0) {
		if (is_oid_like(oid))
			return pgt_fail(err, "22003", "OID out of range");
		return pgt_fail(err, "22003", "%s out of range", label);
	}
	return pgt_int_from_int64((int64_t)r, oid, out, err);
}

/* ------------------------------------------------------------------ floats */

/*
 * Text input of float4/float8 (float8in/float4in): surrounding whitespace,
 * decimal or exponent notation, NaN, Infinity, inf.  22P02 on bad syntax;
 * 22003 "\"1e400\" is out of range for type double precision" when the value
 * overflows or underflows to zero.
 */
bool pgt_float_in(const char *s, size_t n, uint32_t oid, PgtValue *out, PgtError *err)
{
	bool is4 = oid == PGT_FLOAT4;
	const char *label = is4 ? "real" : "double precision";
	char q[160];
	char *tmp = malloc(n + 1);
	if (!tmp)
		return pgt_fail(err, "53200", "out of memory");
	memcpy(tmp, s, n);
	tmp[n] = 0;

	char *p = tmp, *end;
	bool ok = false;
	double v = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p && memchr(s, 0, n) == NULL) {
		errno = 0;
		v = is4 ? (double)strtof(p, &end) : strtod(p, &end);
		if (end != p) {
			if (errno == ERANGE && (v == 0.0 || isinf(v))) {
				pgt_fail(err, "22003", "\"%s\" is out of range for type %s",
					 pgt_quote_for_msg(q, sizeof(q), s, n), label);
				free(tmp);
				return false;
			}
			while (isspace((unsigned char)*end))
				end++;
			ok = *end == 0;
		}
	}
	free(tmp);
	if (!ok)
		return pgt_fail(err, "22P02", "invalid input syntax for type %s: \"%s\"", label,
				pgt_quote_for_msg(q, sizeof(q), s, n));
	if (isnan(v))
		return pgt_set_text(out, "NaN", 3) || pgt_fail(err, "53200", "out of memory");
	pgt_set_real(out, v);
	return true;
}

/* Cast a double to float4: 22003 "value out of range: overflow/underflow". */
bool pgt_float4_from_double(double v, PgtValue *out, PgtError *err)
{
	if (isnan(v))
		return pgt_set_text(out, "NaN", 3) || pgt_fail(err, "53200", "out of memory");
	float f = (float)v;
	if (isinf(f) && !isinf(v))
		return pgt_fail(err, "22003", "value out of range: overflow");
	if (f == 0.0f && v != 0.0)
		return pgt_fail(err, "22003", "value out of range: underflow");
	pgt_set_real(out, (double)f);
	return true;
}

/*
 * Render v as PostgreSQL's float8out/float4out.  With extra_float_digits > 0
 * the shortest digits that read back as the same value, in plain notation
 * when the decimal exponent is in [-4, 15) ([-4, 6) for float4) and as
 * "1.5e+20" otherwise; with extra_float_digits <= 0, printf's %.*g with
 * 15 (6) + extra_float_digits significant digits.
 */
void pgt_float_format(char *buf, size_t sz, double v, bool is4, int efd)
{
	if (isnan(v)) {
		snprintf(buf, sz, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, sz, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (efd <= 0) {
		int ndig = (is4 ? FLT_DIG : DBL_DIG) + efd;
		if (ndig < 1)
			ndig = 1;
		snprintf(buf, sz, "%.*g", ndig, v);
		return;
	}

	char tmp[64];
	int maxp = is4 ? 9 : 17;
	for (int p = 1; p <= maxp; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (is4 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}

	/* tmp is "[-]d[.ddd]e[+-]xx": collect the digits and the exponent. */
	char dig[32];
	int nd = 0;
	const char *p = tmp;
	bool neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			dig[nd++] = *p;
	int exp10 = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;

	char *o = buf, *lim = buf + sz - 1;
#define PUT(c) do { if (o < lim) *o++ = (c); } while (0)
	if (neg)
		PUT('-');
	if (exp10 < -4 || exp10 >= (is4 ? 6 : 15)) {
		PUT(dig[0]);
		if (nd > 1) {
			PUT('.');
			for (int i = 1; i < nd; i++)
				PUT(dig[i]);
		}
		char e[16];
		snprintf(e, sizeof(e), "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
		for (char *c = e; *c; c++)
			PUT(*c);
	} else if (exp10 < 0) {
		PUT('0');
		PUT('.');
		for (int i = -1; i > exp10; i--)
			PUT('0');
		for (int i = 0; i < nd; i++)
			PUT(dig[i]);
	} else {
		for (int i = 0; i <= exp10 || i < nd; i++) {
			if (i == exp10 + 1)
				PUT('.');
			PUT(i < nd ? dig[i] : '0');
		}
	}
#undef PUT
	*o = 0;
}

/* ----------------------------------------------------------------- decimal */

static void dec_zero(PgtDec *d)
{
	d->special = DEC_FINITE;
	d->neg = false;
	d->ndig = 0;
	d->exp = 0;
	d->dscale = 0;
}

void pgt_dec_strip(PgtDec *d)
{
	int lead = 0;
	while (lead < d->ndig && d->dig[lead] == '0')
		lead++;
	if (lead) {
		memmove(d->dig, d->dig + lead, (size_t)(d->ndig - lead));
		d->ndig -= lead;
	}
	while (d->ndig > 0 && d->dig[d->ndig - 1] == '0') {
		d->ndig--;
		d->exp++;
	}
	if (d->ndig == 0) {
		d->neg = false;
		d->exp = 0;
	}
}

static bool word_eq(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

/*
 * Parse numeric text as numeric_in does: whitespace, sign, digits with an
 * optional point, an optional exponent; NaN and [+-]Infinity/inf.  The
 * display scale is the number of fraction digits less the exponent.
 * Returns false on a syntax error or more than PGT_DEC_MAXDIG digits.
 */
bool pgt_dec_parse(const char *s, size_t n, PgtDec *d)
{
	size_t i = 0;
	dec_zero(d);
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	while (n > i && isspace((unsigned char)s[n - 1]))
		n--;
	const char *t = s + i;
	size_t tn = n - i;
	if (word_eq(t, tn, "nan")) {
		d->special = DEC_NAN;
		return true;
	}
	if (word_eq(t, tn, "infinity") || word_eq(t, tn, "+infinity") || word_eq(t, tn, "inf") ||
	    word_eq(t, tn, "+inf")) {
		d->special = DEC_PINF;
		return true;
	}
	if (word_eq(t, tn, "-infinity") || word_eq(t, tn, "-inf")) {
		d->special = DEC_NINF;
		return true;
	}

	if (i < n && (s[i] == '+' || s[i] == '-'))
		d->neg = s[i++] == '-';
	bool any = false, point = false;
	long frac = 0, zeros = 0; /* zeros: seen after the last nonzero digit */
	for (; i < n; i++) {
		char c = s[i];
		if (isdigit((unsigned char)c)) {
			any = true;
			if (point)
				frac++;
			if (d->ndig == 0 && c == '0')
				continue;
			if (c == '0') {
				zeros++;
				continue;
			}
			if (d->ndig + zeros >= PGT_DEC_MAXDIG)
				return false;
			for (; zeros > 0; zeros--)
				d->dig[d->ndig++] = '0';
			d->dig[d->ndig++] = c;
		} else if (c == '.' && !point) {
			point = true;
		} else {
			break;
		}
	}
	if (!any)
		return false;
	long e = 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		bool eneg = false;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= n || !isdigit((unsigned char)s[i]))
			return false;
		for (; i < n && isdigit((unsigned char)s[i]); i++) {
			e = e * 10 + (s[i] - '0');
			if (e > 1000000)
				return false;
		}
		if (eneg)
			e = -e;
	}
	if (i != n)
		return false;
	d->exp = (int)(e - frac + zeros);
	d->dscale = frac - e > 0 ? (int)(frac - e) : 0;
	pgt_dec_strip(d);
	return true;
}

void pgt_dec_from_int(PgtDec *d, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	(void)pgt_dec_parse(tmp, (size_t)n, d);
}

/* The shortest decimal that reads back as v; display scale = its fraction
 * digits. */
void pgt_dec_from_double(PgtDec *d, double v)
{
	char tmp[64];
	dec_zero(d);
	if (isnan(v)) {
		d->special = DEC_NAN;
		return;
	}
	if (isinf(v)) {
		d->special = v > 0 ? DEC_PINF : DEC_NINF;
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	(void)pgt_dec_parse(tmp, strlen(tmp), d);
	d->dscale = d->exp < 0 ? -d->exp : 0;
}

/* Round d to `scale` fraction digits (negative: to tens, hundreds, ...),
 * half away from zero, and set the display scale. */
void pgt_dec_round(PgtDec *d, int scale)
{
	if (d->special == DEC_FINITE && d->ndig > 0) {
		int keep = d->exp + d->ndig + scale;
		if (keep < d->ndig) {
			bool up = keep >= 0 && d->dig[keep] >= '5';
			if (keep < 0 || (keep == 0 && !up)) {
				d->ndig = 0;
			} else if (keep == 0) {
				d->dig[0] = '1';
				d->ndig = 1;
				d->exp = -scale;
			} else {
				d->ndig = keep;
				d->exp = -scale;
				if (up) {
					int i = keep - 1;
					while (i >= 0 && d->dig[i] == '9')
						d->dig[i--] = '0';
					if (i >= 0) {
						d->dig[i]++;
					} else {
						memmove(d->dig + 1, d->dig, (size_t)keep);
						d->dig[0] = '1';
						d->ndig++;
					}
				}
			}
			pgt_dec_strip(d);
		}
	}
	d->dscale = scale > 0 ? scale : 0;
}

/* The digit of d at decimal position p (0 = units, -1 = tenths). */
static char dec_digit(const PgtDec *d, int p)
{
	int idx = d->exp + d->ndig - 1 - p;
	return idx >= 0 && idx < d->ndig ? d->dig[idx] : '0';
}

/* Append d in plain notation with exactly `scale` fraction digits (d must
 * already be rounded to that scale). */
void pgt_dec_to_text(const PgtDec *d, int scale, Buf *out)
{
	if (d->special == DEC_NAN) {
		buf_put_str(out, "NaN");
		return;
	}
	if (d->special != DEC_FINITE) {
		buf_put_str(out, d->special == DEC_PINF ? "Infinity" : "-Infinity");
		return;
	}
	int msp = d->ndig ? d->exp + d->ndig - 1 : 0;
	if (d->neg && d->ndig)
		buf_put_u8(out, '-');
	if (msp < 0)
		buf_put_u8(out, '0');
	for (int p = msp; p >= 0; p--)
		buf_put_u8(out, (uint8_t)dec_digit(d, p));
	if (scale > 0) {
		buf_put_u8(out, '.');
		for (int p = -1; p >= -scale; p--)
			buf_put_u8(out, (uint8_t)dec_digit(d, p));
	}
}

/* ----------------------------------------------------------------- numeric */

/* Decode a numeric typmod ((p << 16) | (s & 0x7ff)) + 4; false if none. */
static bool numeric_typmod(int32_t typmod, int *prec, int *scale)
{
	if (typmod < 4)
		return false;
	int32_t t = typmod - 4;
	*prec = (t >> 16) & 0xffff;
	*scale = ((t & 0x7ff) ^ 1024) - 1024;
	return true;
}

int32_t pgt_typmod_numeric(int precision, int scale)
{
	return ((precision << 16) | (scale & 0x7ff)) + 4;
}

/*
 * Apply the typmod (round to its scale, 22003 "numeric field overflow" when
 * the integer digits exceed precision - scale) and store: INTEGER when the
 * value is integral, has no display scale and fits int64; REAL otherwise;
 * TEXT 'NaN' for NaN.
 */
bool pgt_numeric_store(PgtDec *d, int32_t typmod, PgtValue *out, PgtError *err)
{
	int prec, scale;
	bool has_tm = numeric_typmod(typmod, &prec, &scale);

	if (d->special == DEC_NAN)
		return pgt_set_text(out, "NaN", 3) || pgt_fail(err, "53200", "out of memory");
	if (d->special != DEC_FINITE) {
		if (has_tm)
			return pgt_fail(err, "22003", "numeric field overflow");
		return pgt_set_text(out, d->special == DEC_PINF ? "Infinity" : "-Infinity",
				    d->special == DEC_PINF ? 8 : 9) ||
		       pgt_fail(err, "53200", "out of memory");
	}
	if (dec_check_limits(d) != DEC_OK)
		return pgt_fail(err, "22003", "value overflows numeric format");
	if (has_tm) {
		pgt_dec_round(d, scale);
		if (d->ndig > 0 && d->exp + d->ndig > prec - scale)
			return pgt_fail(err, "22003", "numeric field overflow");
	}
	if (d->dscale == 0 && (d->ndig == 0 || (d->exp >= 0 && d->exp + d->ndig <= 19))) {
		uint64_t acc = 0;
		bool fits = true;
		for (int p = d->ndig ? d->exp + d->ndig - 1 : -1; p >= 0; p--) {
			unsigned dg = (unsigned)(dec_digit(d, p) - '0');
			if (acc > (UINT64_MAX - dg) / 10) {
				fits = false;
				break;
			}
			acc = acc * 10 + dg;
		}
		if (fits && acc <= (uint64_t)INT64_MAX + (d->neg ? 1 : 0)) {
			pgt_set_int(out, d->neg ? (int64_t)(0 - acc) : (int64_t)acc);
			return true;
		}
	}
	/* every other value exactly, as its text with its display scale */
	Buf b;
	buf_init(&b);
	pgt_dec_to_text(d, d->dscale, &b);
	bool ok = !b.failed && pgt_set_text(out, (const char *)b.data, b.len);
	buf_cleanup(&b);
	return ok || pgt_fail(err, "53200", "out of memory");
}

/* numeric_in: 22P02 on bad syntax, then pgt_numeric_store(). */
bool pgt_numeric_in(const char *s, size_t n, int32_t typmod, PgtValue *out, PgtError *err)
{
	PgtDec d;
	char q[160];
	if (!pgt_dec_parse(s, n, &d))
		return pgt_fail(err, "22P02", "invalid input syntax for type numeric: \"%s\"",
				pgt_quote_for_msg(q, sizeof(q), s, n));
	return pgt_numeric_store(&d, typmod, out, err);
}

/* Read a stored datum of any class as a decimal; 22P02 for unparsable text. */
static bool dec_from_datum(PgtDec *d, const PgtDatum *v, PgtError *err)
{
	char q[160];
	switch (v->type) {
	case SQLITE_INTEGER:
		pgt_dec_from_int(d, v->i);
		return true;
	case SQLITE_FLOAT:
		pgt_dec_from_double(d, v->d);
		return true;
	default:
		if (!pgt_dec_parse(v->s, v->n, d))
			return pgt_fail(err, "22P02", "invalid input syntax for type numeric: \"%s\"",
					pgt_quote_for_msg(q, sizeof(q), v->s, v->n));
		return true;
	}
}

int pgt_numeric_cmp(const PgtValue *a, const PgtValue *b)
{
	PgtDec x, y;
	PgtDatum da, db;
	PgtError err;
	pgt_datum_from_value(&da, a);
	pgt_datum_from_value(&db, b);
	bool okx = dec_from_datum(&x, &da, &err), oky = dec_from_datum(&y, &db, &err);
	if (okx && oky)
		return dec_cmp(&x, &y);
	return okx == oky ? 0 : okx ? -1 : 1;
}

/* The value to output, rounded to the typmod's scale when there is one. */
static bool dec_for_output(PgtDec *d, const PgtDatum *v, int32_t typmod, PgtError *err)
{
	int prec, scale;
	if (!dec_from_datum(d, v, err))
		return false;
	if (numeric_typmod(typmod, &prec, &scale))
		pgt_dec_round(d, scale);
	return true;
}

/* numeric_out: the typmod's scale when there is one, else the value's own
 * display scale. */
bool pgt_numeric_out(Buf *out, const PgtDatum *v, int32_t typmod, PgtError *err)
{
	PgtDec d;
	if (!dec_for_output(&d, v, typmod, err))
		return false;
	pgt_dec_to_text(&d, d.dscale, out);
	return true;
}

static int floor_div4(int p) { return p >= 0 ? p / 4 : -((-p + 3) / 4); }

/* numeric_send: ndigits, weight, sign, dscale, then base-10000 digits. */
bool pgt_numeric_send(Buf *out, const PgtDatum *v, int32_t typmod, PgtError *err)
{
	PgtDec d;
	if (!dec_for_output(&d, v, typmod, err))
		return false;
	if (d.special != DEC_FINITE) {
		uint16_t sign = d.special == DEC_NAN ? 0xC000 : d.special == DEC_PINF ? 0xD000 : 0xF000;
		buf_put_u16(out, 0);
		buf_put_u16(out, 0);
		buf_put_u16(out, sign);
		buf_put_u16(out, 0);
		return true;
	}
	if (d.ndig == 0) {
		buf_put_u16(out, 0);
		buf_put_u16(out, 0);
		buf_put_u16(out, 0);
		buf_put_u16(out, (uint16_t)d.dscale);
		return true;
	}
	int weight = floor_div4(d.exp + d.ndig - 1), last = floor_div4(d.exp);
	buf_put_u16(out, (uint16_t)(weight - last + 1));
	buf_put_u16(out, (uint16_t)(int16_t)weight);
	buf_put_u16(out, d.neg ? 0x4000 : 0);
	buf_put_u16(out, (uint16_t)d.dscale);
	for (int g = weight; g >= last; g--) {
		unsigned val = 0;
		for (int k = 3; k >= 0; k--)
			val = val * 10 + (unsigned)(dec_digit(&d, 4 * g + k) - '0');
		buf_put_u16(out, (uint16_t)val);
	}
	return true;
}

/* numeric_recv: decode the binary form, then apply the typmod and store.
 * 22P03 on a malformed message. */
bool pgt_numeric_recv(const uint8_t *p, size_t len, int32_t typmod, PgtValue *out, PgtError *err)
{
	PgtDec d;
	if (len < 8)
		return pgt_fail(err, "22P03", "incorrect binary data format");
	int nd = (int16_t)rd_be16(p), weight = (int16_t)rd_be16(p + 2);
	unsigned sign = rd_be16(p + 4);
	int dscale = (int16_t)rd_be16(p + 6);
	if (nd < 0 || len != 8 + 2 * (size_t)nd)
		return pgt_fail(err, "22P03", "incorrect binary data format");
	dec_zero(&d);
	if (sign == 0xC000 || sign == 0xD000 || sign == 0xF000) {
		d.special = sign == 0xC000 ? DEC_NAN : sign == 0xD000 ? DEC_PINF : DEC_NINF;
		return pgt_numeric_store(&d, typmod, out, err);
	}
	if (sign != 0 && sign != 0x4000)
		return pgt_fail(err, "22P03", "invalid sign in external \"numeric\" value");
	if (dscale < 0 || dscale > 0x3FFF)
		return pgt_fail(err, "22P03", "invalid scale in external \"numeric\" value");
	if (4 * nd > PGT_DEC_MAXDIG)
		return pgt_fail(err, "22003", "value overflows numeric format");
	for (int i = 0; i < nd; i++) {
		unsigned g = rd_be16(p + 8 + 2 * i);
		if (g >= 10000)
			return pgt_fail(err, "22P03", "invalid digit in external \"numeric\" value");
		for (int k = 3; k >= 0; k--) {
			d.dig[4 * i + k] = (char)('0' + g % 10);
			g /= 10;
		}
	}
	d.ndig = 4 * nd;
	d.exp = (weight - nd + 1) * 4;
	d.neg = sign == 0x4000;
	pgt_dec_strip(&d);
	d.dscale = dscale;
	return pgt_numeric_store(&d, typmod, out, err);
}
