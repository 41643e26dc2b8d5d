/*
 * to_char_num.c - to_char(number, text): the numeric template patterns
 * of PostgreSQL's formatting.c: 9 and 0 digits, . and D, , and G, the
 * sign as S, MI, PL, SG or PR (else a leading sign column), FM, V, EEEE,
 * RN and TH.  A value wider than the template prints as '#'s.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/to_char_int.h"

typedef struct NumFmt {
	int pre, post; /* digits before and after the decimal point */
	int zero_start; /* index of the first integer digit printed as 0 */
	int vdigits;	/* digits after V: the value is multiplied by 10^n */
	bool fm, point, eeee, rn, lower_rn, sign_given, pr;
	bool lead_s; /* S before the digits: the sign column, + or - */
} NumFmt;

static void scan_format(const char *f, NumFmt *nf)
{
	memset(nf, 0, sizeof(*nf));
	nf->zero_start = -1;
	bool after_v = false;
	for (const char *p = f; *p; p++) {
		char c = (char)toupper((unsigned char)*p);
		if (*p == '"') {
			while (p[1] && p[1] != '"')
				p++;
			if (p[1])
				p++;
		} else if (c == '9' || c == '0') {
			if (after_v)
				nf->vdigits++;
			if (nf->point && !after_v) {
				nf->post++;
			} else {
				if (c == '0' && nf->zero_start < 0)
					nf->zero_start = nf->pre;
				nf->pre++;
			}
		} else if (c == '.' || c == 'D') {
			nf->point = true;
		} else if (c == 'V') {
			after_v = true;
		} else if (strncasecmp(p, "FM", 2) == 0) {
			nf->fm = true;
			p++;
		} else if (strncasecmp(p, "EEEE", 4) == 0) {
			nf->eeee = true;
			p += 3;
		} else if (strncasecmp(p, "RN", 2) == 0) {
			nf->rn = true;
			nf->lower_rn = *p == 'r';
			p++;
		} else if (strncasecmp(p, "PR", 2) == 0) {
			nf->pr = nf->sign_given = true;
			p++;
		} else if (c == 'S' && toupper((unsigned char)p[1]) != 'G' && nf->pre == 0 && !nf->point) {
			nf->lead_s = true;
		} else if (c == 'S' || strncasecmp(p, "MI", 2) == 0 || strncasecmp(p, "SG", 2) == 0) {
			nf->sign_given = true;
			if (c != 'S')
				p++;
		} else if (strncasecmp(p, "PL", 2) == 0) {
			p++;
		}
	}
	if (nf->zero_start < 0)
		nf->zero_start = nf->pre;
}

/* |value| * 10^shift rounded to post digits: the integer digits (none for
 * zero) in ip, the post fraction digits in fp; *neg for a negative value. */
static bool digits_of(sqlite3_value *v, uint32_t oid, int shift, int post, char *ip, size_t ipsz, char *fp,
		      bool *neg)
{
	char buf[512];
	if (oid == PGT_FLOAT8) {
		double d = sqlite3_value_double(v);
		if (isnan(d) || isinf(d))
			return false;
		*neg = d < 0;
		snprintf(buf, sizeof(buf), "%.*f", post, fabs(d) * pow(10, shift));
	} else {
		const char *s = (const char *)sqlite3_value_text(v);
		if (!s || strlen(s) > 400 || strpbrk(s, "eEnNiI"))
			return false;
		*neg = s[0] == '-';
		if (*neg || s[0] == '+')
			s++;
		/* move the point shift places right, then round to post digits */
		char dg[480];
		const char *dot = strchr(s, '.');
		size_t il = dot ? (size_t)(dot - s) : strlen(s);
		size_t n = 0;
		for (const char *c = s; *c; c++)
			if (isdigit((unsigned char)*c))
				dg[n++] = *c;
		for (int i = 0; i < shift + post + 1; i++)
			dg[n++] = '0';
		il += (size_t)shift;
		/* dg: digits with the point after il; keep il + post, round on the next */
		size_t keep = il + (size_t)post;
		int carry = dg[keep] >= '5';
		for (size_t i = keep; i-- > 0 && carry;) {
			if (dg[i] == '9')
				dg[i] = '0';
			else
				dg[i]++, carry = 0;
		}
		size_t o = 0;
		if (carry)
			buf[o++] = '1';
		memcpy(buf + o, dg, il);
		o += il;
		buf[o++] = '.';
		memcpy(buf + o, dg + il, (size_t)post);
		o += (size_t)post;
		buf[o] = 0;
	}
	const char *p = buf;
	while (*p == '0')
		p++;
	const char *dot = strchr(p, '.');
	size_t il = dot ? (size_t)(dot - p) : strlen(p);
	if (il >= ipsz)
		il = ipsz - 1;
	memcpy(ip, p, il);
	ip[il] = 0;
	snprintf(fp, 480, "%s", dot ? dot + 1 : "");
	if (*neg && !ip[0] && strspn(fp, "0") == strlen(fp))
		*neg = false;
	return true;
}

static void put_roman(Buf *out, int64_t v, const NumFmt *nf)
{
	static const char *const r[] = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"};
	static const int rv[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
	char s[32] = "";
	if (v < 1 || v > 3999) {
		buf_put_str(out, "###############");
		return;
	}
	for (int i = 0; i < 13; i++)
		while (v >= rv[i]) {
			strcat(s, r[i]);
			v -= rv[i];
		}
	if (nf->lower_rn)
		for (char *c = s; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	if (nf->fm)
		buf_put_str(out, s);
	else
		buf_printf(out, "%15s", s);
}

/* Scientific notation: the mantissa with post digits and e+XX. */
static void put_eeee(Buf *out, sqlite3_value *v, const NumFmt *nf)
{
	double d = sqlite3_value_double(v);
	char s[64];
	snprintf(s, sizeof(s), "%.*e", nf->post, fabs(d));
	char *e = strchr(s, 'e');
	int ex = e ? atoi(e + 1) : 0;
	if (e)
		*e = 0;
	buf_printf(out, "%s%s", d < 0 ? "-" : nf->fm ? "" : " ", s);
	buf_printf(out, "e%c%02d", ex < 0 ? '-' : '+', abs(ex));
}

bool tc_format_number(Buf *out, sqlite3_value *v, uint32_t oid, const char *fmt, PgtError *err)
{
	NumFmt nf;
	scan_format(fmt, &nf);
	(void)err;
	if (nf.rn) {
		put_roman(out, (int64_t)llround(sqlite3_value_double(v)), &nf);
		return true;
	}
	if (nf.eeee) {
		put_eeee(out, v, &nf);
		return true;
	}
	char ip[480], fp[480];
	bool neg = false;
	bool overflow = !digits_of(v, oid, nf.vdigits, nf.post, ip, sizeof(ip), fp, &neg);
	int ilen = (int)strlen(ip);
	if (ilen > nf.pre || (nf.pre == 0 && !nf.eeee))
		overflow = true; /* zero too needs an integer digit position */
	Buf body;
	buf_init(&body);
	int idx = 0, fidx = 0;
	bool started = false, after_point = false;
	size_t body_start = out->len;
	size_t frac_keep = 0; /* body length after the last digit FM keeps */
	for (const char *p = fmt; *p; p++) {
		char c = (char)toupper((unsigned char)*p);
		if (strncasecmp(p, "FM", 2) == 0) {
			p++;
		} else if ((c == '9' || c == '0') && !after_point) {
			int from_right = nf.pre - 1 - idx;
			if (overflow)
				buf_put_u8(&body, '#'), started = true;
			else if (from_right < ilen)
				buf_put_u8(&body, (uint8_t)ip[ilen - 1 - from_right]), started = true;
			else if (idx >= nf.zero_start || (from_right == 0 && !nf.point))
				buf_put_u8(&body, '0'), started = true;
			else if (!nf.fm)
				buf_put_u8(&body, ' ');
			idx++;
		} else if (c == '9' || c == '0') {
			buf_put_u8(&body, overflow ? '#' : (uint8_t)(fidx < (int)strlen(fp) ? fp[fidx] : '0'));
			if (c == '0' || fp[fidx] != '0')
				frac_keep = body.len;
			fidx++;
		} else if (c == '.' || c == 'D') {
			buf_put_u8(&body, '.');
			after_point = true;
			started = true;
			frac_keep = body.len;
		} else if (c == ',' || c == 'G') {
			if (started)
				buf_put_u8(&body, ',');
			else if (!nf.fm)
				buf_put_u8(&body, ' ');
		} else if (c == 'B' || c == 'C') {
			/* keywords PostgreSQL reads and prints nothing for */
		} else if (c == 'V') {
			/* the multiplier is applied already */
		} else if (strncasecmp(p, "TH", 2) == 0) {
			if (!neg && !overflow)
				tc_ordinal(&body, ip[0] ? strtoll(ip + (ilen > 18 ? ilen - 18 : 0), NULL, 10) : 0, *p == 'T');
			p++;
		} else if (strncasecmp(p, "MI", 2) == 0) {
			if (neg || !nf.fm)
				buf_put_u8(&body, neg ? '-' : ' ');
			p++;
		} else if (strncasecmp(p, "PL", 2) == 0) {
			if (!neg || !nf.fm)
				buf_put_u8(&body, neg ? ' ' : '+');
			p++;
		} else if (strncasecmp(p, "SG", 2) == 0) {
			buf_put_u8(&body, neg ? '-' : '+');
			p++;
		} else if (strncasecmp(p, "PR", 2) == 0) {
			p++;
		} else if (c == 'S') {
			if (!nf.lead_s)
				buf_put_u8(&body, neg ? '-' : '+');
		} else if (c == 'L') {
			/* the C locale has no currency symbol: PostgreSQL prints a space */
			buf_put_u8(&body, ' ');
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				buf_put_u8(&body, (uint8_t)*p);
			if (!*p)
				break;
		} else {
			buf_put_u8(&body, (uint8_t)*p);
		}
		if (nf.fm && after_point && frac_keep && body.len > frac_keep && !(c == '9' || c == '0'))
			frac_keep = body.len;
	}
	if (nf.fm && after_point && frac_keep && frac_keep < body.len) {
		/* FM drops trailing zeros of 9 positions */
		bool only_digits = true;
		for (size_t i = frac_keep; i < body.len; i++)
			only_digits = only_digits && isdigit(body.data[i]);
		if (only_digits)
			body.len = frac_keep;
	}
	if (nf.fm && nf.point && nf.post == 0 && body.len && body.data[body.len - 1] == '.')
		body.len--; /* FM drops a point no digit follows */
	/* the sign column: before the first printed character */
	size_t lead = 0;
	while (lead < body.len && !isdigit(body.data[lead]) && body.data[lead] != '.' && body.data[lead] != '#')
		lead++;
	if (nf.pre == 0 && nf.post == 0 && !nf.point) {
		/* no digit position: no sign column, PR prints nothing */
		buf_put(out, body.data, body.len);
	} else if (nf.pr) {
		if (neg || !nf.fm)
			buf_put_u8(out, neg ? '<' : ' ');
		buf_put(out, body.data, body.len);
		if (neg || !nf.fm)
			buf_put_u8(out, neg ? '>' : ' ');
	} else if (nf.sign_given) {
		buf_put(out, body.data, body.len);
	} else {
		buf_put(out, body.data, lead);
		if (neg || !nf.fm || nf.lead_s)
			buf_put_u8(out, neg ? '-' : nf.lead_s ? '+' : ' ');
		buf_put(out, body.data + lead, body.len - lead);
	}
	(void)body_start;
	buf_cleanup(&body);
	return true;
}
