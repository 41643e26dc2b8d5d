/*
 * to_number.c - to_number(text, text): a number read by a numeric
 * template, as PostgreSQL's formatting.c reads it in the C locale
 * (decimal point ".", group separator ",", currency symbol one blank).
 *
 * The template's 9 and 0 read a digit each (a blank before one is
 * skipped), . and D the decimal point, , and G a group separator when the
 * input has one there; S, MI, PL, SG and PR (a leading '<') read the sign;
 * L, TH and the sign keywords skip characters that are not number data;
 * any other template character skips one input character.  The result's
 * scale is the number of fraction digits read; V n multiplies by 10^-n.
 * EEEE and RN are 0A000 for input, as in PostgreSQL 15.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pgsql/decimal.h"
#include "pgsql/pgtype_int.h"
#include "pgsql/to_char_int.h"

enum {
	N_CHAR, /* a template character that is no keyword */
	N_9,
	N_0,
	N_DEC,
	N_D,
	N_COMMA,
	N_G,
	N_L,
	N_MI,
	N_PL,
	N_SG,
	N_S,
	N_PR,
	N_TH,
	N_V,
	N_OTHER, /* B, C, FM, SP: nothing to read */
	N_EEEE,
	N_RN,
};

enum { F_DECIMAL = 1, F_LDECIMAL = 2, F_FILL = 4, F_LSIGN = 8, F_BRACKET = 16, F_MINUS = 32, F_PLUS = 64, F_MULTI = 128 };

/* The number keywords, longest first where one starts another. */
static const struct {
	const char *name;
	int id;
} keys[] = {
	{",", N_COMMA}, {".", N_DEC},	  {"0", N_0},	   {"9", N_9},	   {"B", N_OTHER}, {"C", N_OTHER},
	{"D", N_D},	{"EEEE", N_EEEE}, {"FM", N_OTHER}, {"G", N_G},	   {"L", N_L},	   {"MI", N_MI},
	{"PL", N_PL},	{"PR", N_PR},	  {"RN", N_RN},	   {"SG", N_SG},   {"SP", N_OTHER}, {"S", N_S},
	{"TH", N_TH},	{"V", N_V},	  {"b", N_OTHER},  {"c", N_OTHER}, {"d", N_D},	   {"eeee", N_EEEE},
	{"fm", N_OTHER}, {"g", N_G},	  {"l", N_L},	   {"mi", N_MI},   {"pl", N_PL},   {"pr", N_PR},
	{"rn", N_RN},	{"sg", N_SG},	  {"sp", N_OTHER}, {"s", N_S},	   {"th", N_TH},   {"v", N_V},
};

typedef struct Node {
	int id;
	int len; /* N_CHAR: bytes of the character */
} Node;

typedef struct Desc {
	int pre, post, multi, flag;
	bool lsign_pre; /* S before the number (else after it) */
} Desc;

typedef struct Reader {
	const char *in, *p, *end;
	char *number, *np; /* the sign at number[0], then digits and '.' */
	int read_pre, read_post;
	bool read_dec;
	const Desc *d;
} Reader;

static int utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* The flags a keyword sets (NUMDesc_prepare); false with err. */
static bool describe(Desc *d, int id, PgtError *err)
{
	const char *msg = NULL;
	switch (id) {
	case N_9:
	case N_0:
		if (d->flag & F_BRACKET)
			msg = id == N_9 ? "\"9\" must be ahead of \"PR\"" : "\"0\" must be ahead of \"PR\"";
		else if (d->flag & F_MULTI)
			d->multi++;
		else if (d->flag & F_DECIMAL)
			d->post++;
		else
			d->pre++;
		break;
	case N_DEC:
	case N_D:
		if (d->flag & F_DECIMAL)
			msg = "multiple decimal points";
		else if (d->flag & F_MULTI)
			msg = "cannot use \"V\" and decimal point together";
		d->flag |= F_DECIMAL | (id == N_D ? F_LDECIMAL : 0);
		break;
	case N_S:
		if (d->flag & F_LSIGN)
			msg = "cannot use \"S\" twice";
		else if (d->flag & (F_PLUS | F_MINUS | F_BRACKET))
			msg = "cannot use \"S\" and \"PL\"/\"MI\"/\"SG\"/\"PR\" together";
		d->lsign_pre = !(d->flag & F_DECIMAL);
		d->flag |= F_LSIGN;
		break;
	case N_MI:
	case N_PL:
	case N_SG:
		if (d->flag & F_LSIGN)
			msg = id == N_MI ? "cannot use \"S\" and \"MI\" together"
			      : id == N_PL ? "cannot use \"S\" and \"PL\" together"
					   : "cannot use \"S\" and \"SG\" together";
		d->flag |= id == N_MI ? F_MINUS : id == N_PL ? F_PLUS : F_MINUS | F_PLUS;
		break;
	case N_PR:
		if (d->flag & (F_LSIGN | F_PLUS | F_MINUS))
			msg = "cannot use \"PR\" and \"S\"/\"PL\"/\"MI\"/\"SG\" together";
		d->flag |= F_BRACKET;
		break;
	case N_V:
		if (d->flag & F_DECIMAL)
			msg = "cannot use \"V\" and decimal point together";
		d->flag |= F_MULTI;
		break;
	case N_EEEE:
	case N_RN:
		*err = (PgtError){"0A000", ""};
		snprintf(err->msg, sizeof(err->msg), "\"%s\" not supported for input", id == N_EEEE ? "EEEE" : "RN");
		return false;
	default:
		break;
	}
	if (msg) {
		*err = (PgtError){"42601", ""};
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
		return false;
	}
	return true;
}

/* fmt as nodes (at most n - 1, then a terminating N_CHAR of len 0) and
 * its description; false with err. */
static bool parse_format(const char *fmt, Node *nodes, int n, Desc *d, PgtError *err)
{
	int k = 0;
	memset(d, 0, sizeof(*d));
	for (const char *p = fmt; *p && k < n - 1;) {
		int id = -1;
		size_t len = 0;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && id < 0; i++)
			if (strncmp(p, keys[i].name, strlen(keys[i].name)) == 0) {
				id = keys[i].id;
				len = strlen(keys[i].name);
			}
		if (id >= 0) {
			if (id == N_OTHER && (*p == 'F' || *p == 'f'))
				d->flag |= F_FILL;
			if (!describe(d, id, err))
				return false;
			nodes[k++] = (Node){id, 0};
			p += len;
		} else if (*p == '"') {
			for (p++; *p && *p != '"' && k < n - 1; p += nodes[k - 1].len)
				nodes[k++] = (Node){N_CHAR, *p == '\\' && p[1] ? 1 + utf8_len(p + 1) : utf8_len(p)};
			if (*p == '"')
				p++;
		} else {
			int l = *p == '\\' && p[1] == '"' ? 2 : utf8_len(p);
			nodes[k++] = (Node){N_CHAR, 1};
			p += l;
		}
	}
	nodes[k] = (Node){N_CHAR, 0};
	return true;
}

static bool at_end(const Reader *r) { return r->p >= r->end; }

/* Skip up to n input characters that are not number data. */
static void eat_non_data(Reader *r, int n)
{
	while (n-- > 0 && !at_end(r) && !strchr("0123456789.,+-", *r->p))
		r->p += utf8_len(r->p);
}

/* A digit or the decimal point for a 9, 0, . or D, with a sign before the
 * number's first digit or after its last (NUM_numpart_from_char); the
 * caller steps past the character read. */
static void read_numpart(Reader *r, int id)
{
	bool isread = false;
	if (at_end(r))
		return;
	if (*r->p == ' ')
		r->p++;
	if (at_end(r))
		return;
	if (r->number[0] == ' ' && (id == N_0 || id == N_9) && r->read_pre + r->read_post == 0) {
		if ((r->d->flag & F_LSIGN) && r->d->lsign_pre) {
			if (*r->p == '-' || *r->p == '+')
				r->number[0] = *r->p++;
		} else if (*r->p == '-' || ((r->d->flag & F_BRACKET) && *r->p == '<')) {
			r->number[0] = '-';
			r->p++;
		} else if (*r->p == '+') {
			r->number[0] = '+';
			r->p++;
		}
	}
	if (at_end(r))
		return;
	if (isdigit((unsigned char)*r->p)) {
		if (r->read_dec && r->read_post == r->d->post)
			return;
		*r->np++ = *r->p;
		if (r->read_dec)
			r->read_post++;
		else
			r->read_pre++;
		isread = true;
	} else if ((r->d->flag & F_DECIMAL) && !r->read_dec && *r->p == '.') {
		*r->np++ = '.';
		r->read_dec = isread = true;
	}
	if (at_end(r) || r->number[0] != ' ' || r->read_pre + r->read_post == 0)
		return;
	if ((r->d->flag & F_LSIGN) && isread && r->p + 1 < r->end && !isdigit((unsigned char)r->p[1])) {
		if (r->p[1] == '-' || r->p[1] == '+')
			r->number[0] = *++r->p;
	} else if (!isread && !(r->d->flag & F_LSIGN) && (r->d->flag & (F_PLUS | F_MINUS)) &&
		   (*r->p == '-' || *r->p == '+')) {
		r->number[0] = *r->p;
	}
}

/* One template keyword over the input: whether the input steps past the
 * character under it afterwards. */
static bool read_key(Reader *r, int id)
{
	switch (id) {
	case N_9:
	case N_0:
	case N_DEC:
	case N_D:
		read_numpart(r, id);
		return true;
	case N_COMMA:
	case N_G:
		return !(r->d->flag & F_FILL) && *r->p == ',';
	case N_L:
		eat_non_data(r, 1);
		return false;
	case N_TH:
		if (!(r->d->flag & F_DECIMAL))
			eat_non_data(r, 2);
		return false;
	case N_MI:
	case N_PL:
	case N_SG:
		if ((*r->p == '-' && id != N_PL) || (*r->p == '+' && id != N_MI)) {
			r->number[0] = *r->p;
			return true;
		}
		eat_non_data(r, 1);
		return false;
	default:
		return false;
	}
}

/* The number text s reads as by fmt into number (room for strlen(s) + 2
 * bytes), and d the template's description; false with err. */
static bool read_number(const char *s, const char *fmt, char *number, Desc *d, PgtError *err)
{
	size_t nf = strlen(fmt) + 1;
	Node *nodes = sqlite3_malloc64(sizeof(Node) * nf);
	if (!nodes) {
		*err = (PgtError){"53200", "out of memory"};
		return false;
	}
	bool ok = parse_format(fmt, nodes, (int)nf, d, err);
	Reader r = {.in = s, .p = s, .end = s + strlen(s), .number = number, .np = number + 1, .d = d};
	number[0] = ' ';
	for (const Node *n = nodes; ok && (n->id != N_CHAR || n->len > 0) && !at_end(&r); n++) {
		if (n->id == N_CHAR)
			r.p += utf8_len(r.p);
		else if (read_key(&r, n->id))
			r.p++;
	}
	if (r.np[-1] == '.')
		r.np--;
	*r.np = 0;
	d->post = r.read_post;
	sqlite3_free(nodes);
	return ok;
}

/* pg_to_number(s, fmt). */
static void fn_to_number(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
		return;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	const char *fmt = (const char *)sqlite3_value_text(argv[1]);
	if (!s || !fmt || !*fmt)
		return; /* an empty template: NULL */
	char *number = sqlite3_malloc64(strlen(s) + 2);
	PgtError err;
	Desc d;
	PgtDec v;
	if (!number) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (!read_number(s, fmt, number, &d, &err)) {
		pgt_result_error(ctx, err.sqlstate, err.msg);
	} else if (!pgt_dec_parse(number, strlen(number), &v)) {
		snprintf(err.msg, sizeof(err.msg), "invalid input syntax for type numeric: \"%s\"", number);
		pgt_result_error(ctx, "22P02", err.msg);
	} else if (v.ndig > 0 && v.ndig + v.exp > d.pre + d.multi) {
		pgt_result_error(ctx, "22003", "numeric field overflow");
	} else if (d.multi > 15) {
		pgt_result_error(ctx, "0A000", "to_number with \"V\" and more than 15 digits after it is not supported by DoSQL");
	} else {
		v.dscale = d.post;
		if (d.multi > 0) {
			/* times power(10, -multi): its 16 fraction digits add to the scale */
			v.exp -= d.multi;
			v.dscale += 16;
		}
		dec_result(ctx, &v);
	}
	sqlite3_free(number);
}

bool tc_to_number_register(sqlite3 *db)
{
	const PgtSqlFunc fns[] = {
		{"pg_to_number", 2, fn_to_number, NULL, SQLITE_INNOCUOUS},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
