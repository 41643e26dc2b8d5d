/*
 * funcs_regex.c - PostgreSQL's regexp_* functions over POSIX extended
 * regular expressions (the patterns funcs.c's pgs_regcomp accepts):
 * regexp_match, regexp_matches, regexp_split_to_array, regexp_count, regexp_instr,
 * regexp_substr, regexp_like, and like_escape for LIKE ... ESCAPE.
 * Positions count characters; flags i (ignore case), c, n/m (newline
 * sensitive) and g where PostgreSQL takes it.
 */
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtime_int.h"

#define MAXSUB 10

static void err(sqlite3_context *ctx, const char *state, const char *msg) { pgt_result_error(ctx, state, msg); }

static size_t char_len(const unsigned char *s)
{
	return *s < 0x80 ? 1 : *s < 0xE0 ? 2 : *s < 0xF0 ? 3 : 4;
}

static int64_t chars_in(const char *s, size_t n)
{
	int64_t c = 0;
	for (size_t o = 0; o < n; o += char_len((const unsigned char *)s + o))
		c++;
	return c;
}

static size_t byte_at(const char *s, int64_t chars)
{
	size_t o = 0;
	while (chars-- > 0 && s[o])
		o += char_len((const unsigned char *)s + o);
	return o;
}

/* regcomp flags of PostgreSQL's flag letters; false with an error. */
static bool read_flags(sqlite3_context *ctx, sqlite3_value *v, int *cflags, bool *global, bool allow_g,
		       const char *fname)
{
	*cflags = 0;
	*global = false;
	const char *f = v ? (const char *)sqlite3_value_text(v) : "";
	char msg[160];
	for (; f && *f; f++) {
		switch (*f) {
		case 'i': *cflags |= REG_ICASE; break;
		case 'c': *cflags &= ~REG_ICASE; break;
		case 'n':
		case 'm': *cflags |= REG_NEWLINE; break;
		case 's': *cflags &= ~REG_NEWLINE; break;
		case 'g':
			if (!allow_g) {
				snprintf(msg, sizeof(msg), "%s() does not support the \"global\" option", fname);
				err(ctx, "22023", msg);
				return false;
			}
			*global = true;
			break;
		case 'x':
		case 'p':
		case 'w':
		case 'q':
		case 'b':
		case 'e':
			snprintf(msg, sizeof(msg), "regular expression option \"%c\" is not supported by DoSQL", *f);
			err(ctx, "0A000", msg);
			return false;
		default:
			snprintf(msg, sizeof(msg), "invalid regular expression option: \"%c\"", *f);
			err(ctx, "22023", msg);
			return false;
		}
	}
	return true;
}

static bool any_null(int argc, sqlite3_value **argv)
{
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return true;
	return false;
}

/* The captures of match m of re in s as text[] text (the whole match when
 * re has none; a capture that took no part is NULL). */
static void put_captures(Buf *b, const regex_t *re, const regmatch_t *m, const char *s)
{
	buf_put_u8(b, '{');
	size_t n = re->re_nsub ? re->re_nsub : 1;
	for (size_t i = 0; i < n && i + 1 < MAXSUB; i++) {
		const regmatch_t *x = re->re_nsub ? &m[i + 1] : &m[0];
		if (i)
			buf_put_u8(b, ',');
		if (x->rm_so < 0)
			buf_put_str(b, "NULL");
		else
			pgt_array_put_elem(b, s + x->rm_so, (size_t)(x->rm_eo - x->rm_so));
	}
	buf_put_u8(b, '}');
}

/* regexp_match(s, pattern[, flags]) (user data NULL): the captures of the
 * first match as text[] (the whole match when there are none), NULL
 * without a match.  pg_regexp_matches(s, pattern[, flags]): regexp_matches'
 * rows as a JSON array of the text[] of each match (every match with the
 * flag g, each search going on where the last match ended, or a character
 * further after an empty match). */
static void fn_regexp_matches(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	bool set = sqlite3_user_data(ctx) != NULL;
	int cf;
	bool g;
	regex_t re;
	regmatch_t m[MAXSUB];
	if (!read_flags(ctx, argc > 2 ? argv[2] : NULL, &cf, &g, set, set ? "regexp_matches" : "regexp_match") ||
	    !pgs_regcomp(ctx, &re, (const char *)sqlite3_value_text(argv[1]), cf))
		return;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	size_t n = strlen(s), start = 0;
	json_t *rows = json_array();
	Buf b;
	buf_init(&b);
	for (;;) {
		/* ^ matches after a newline in newline-sensitive mode */
		int eflags = start && !((cf & REG_NEWLINE) && s[start - 1] == '\n') ? REG_NOTBOL : 0;
		if (regexec(&re, s + start, MAXSUB, m, eflags) != 0)
			break;
		for (size_t i = 0; i < MAXSUB; i++)
			if (m[i].rm_so >= 0) {
				m[i].rm_so += (regoff_t)start;
				m[i].rm_eo += (regoff_t)start;
			}
		buf_reset(&b);
		put_captures(&b, &re, m, s);
		if (!set) {
			sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
			break;
		}
		json_array_append_new(rows, json_stringn((const char *)b.data, b.len));
		if (!g)
			break;
		start = (size_t)m[0].rm_eo;
		if (m[0].rm_so == m[0].rm_eo)
			start += start < n ? char_len((const unsigned char *)s + start) : 1;
		if (start > n)
			break;
	}
	char *text = set ? json_dumps(rows, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (text)
		sqlite3_result_text(ctx, text, -1, free);
	else if (set)
		sqlite3_result_error_nomem(ctx);
	json_decref(rows);
	buf_cleanup(&b);
	regfree(&re);
}

/* regexp_split_to_array(s, pattern[, flags]). */
static void fn_regexp_split(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	int cf;
	bool g;
	regex_t re;
	regmatch_t m[1];
	if (!read_flags(ctx, argc > 2 ? argv[2] : NULL, &cf, &g, false, "regexp_split_to_array") ||
	    !pgs_regcomp(ctx, &re, (const char *)sqlite3_value_text(argv[1]), cf))
		return;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	size_t n = strlen(s), start = 0, from = 0;
	Buf b;
	buf_init(&b);
	buf_put_u8(&b, '{');
	bool first = true;
	while (from <= n && regexec(&re, s + from, 1, m, from ? REG_NOTBOL : 0) == 0) {
		size_t so = from + (size_t)m[0].rm_so, eo = from + (size_t)m[0].rm_eo;
		if (eo == so && (so == start || so >= n)) {
			/* no empty piece at the start of the rest or at the end */
			if (so >= n)
				break;
			from = so + char_len((const unsigned char *)s + so);
			continue;
		}
		buf_put_str(&b, first ? "" : ",");
		pgt_array_put_elem(&b, s + start, so - start);
		first = false;
		start = from = eo;
	}
	buf_put_str(&b, first ? "" : ",");
	pgt_array_put_elem(&b, s + start, n - start);
	buf_put_u8(&b, '}');
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
	regfree(&re);
}

/* The n-th match (1-based) at or after character start: its byte
 * offsets for subexpression sub; false if there is none. */
static bool nth_match(regex_t *re, const char *s, int64_t start, int64_t nth, int sub, regoff_t *so, regoff_t *eo,
		      int64_t *count)
{
	regmatch_t m[MAXSUB];
	size_t from = byte_at(s, start - 1), n = strlen(s);
	int64_t k = 0;
	while (from <= n && regexec(re, s + from, MAXSUB, m, from ? REG_NOTBOL : 0) == 0) {
		k++;
		if (nth > 0 && k == nth) {
			if (sub > 0 && ((size_t)sub > re->re_nsub || m[sub].rm_so < 0))
				return false;
			*so = (regoff_t)from + m[sub].rm_so;
			*eo = (regoff_t)from + m[sub].rm_eo;
			return true;
		}
		size_t adv = (size_t)m[0].rm_eo;
		if (m[0].rm_eo == m[0].rm_so)
			adv += s[from + adv] ? char_len((const unsigned char *)s + from + adv) : 1;
		from += adv;
	}
	if (count)
		*count = k;
	return false;
}

/* Arguments after (s, pattern): start, n, [endoption,] flags, subexpr;
 * layout: 0 count, 1 instr, 2 substr, 3 like. */
static void fn_regexp_misc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int kind = (int)(intptr_t)sqlite3_user_data(ctx);
	if (any_null(argc, argv))
		return;
	int64_t start = 1, nth = 1, endopt = 0, sub = 0;
	sqlite3_value *flags = NULL;
	int a = 2;
	if (kind != 3 && argc > a)
		start = sqlite3_value_int64(argv[a++]);
	if ((kind == 1 || kind == 2) && argc > a)
		nth = sqlite3_value_int64(argv[a++]);
	if (kind == 1 && argc > a)
		endopt = sqlite3_value_int64(argv[a++]);
	if (argc > a)
		flags = argv[a++];
	if ((kind == 1 || kind == 2) && argc > a)
		sub = sqlite3_value_int64(argv[a++]);
	char msg[96];
	if (start < 1 || nth < 1 || sub < 0 || sub >= MAXSUB || endopt < 0 || endopt > 1) {
		snprintf(msg, sizeof(msg), "invalid value for parameter \"%s\": %lld",
			 start < 1 ? "start" : nth < 1 ? "n" : sub < 0 ? "subexpr" : "endoption",
			 (long long)(start < 1 ? start : nth < 1 ? nth : sub < 0 ? sub : endopt));
		err(ctx, "22023", msg);
		return;
	}
	int cf;
	bool g;
	regex_t re;
	static const char *const names[] = {"regexp_count", "regexp_instr", "regexp_substr", "regexp_like"};
	if (!read_flags(ctx, flags, &cf, &g, false, names[kind]) ||
	    !pgs_regcomp(ctx, &re, (const char *)sqlite3_value_text(argv[1]), cf))
		return;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	regoff_t so = 0, eo = 0;
	int64_t count = 0;
	bool hit = nth_match(&re, s, start, kind == 0 ? 0 : nth, (int)sub, &so, &eo, &count);
	switch (kind) {
	case 0: sqlite3_result_int64(ctx, count); break;
	case 1: sqlite3_result_int64(ctx, hit ? chars_in(s, (size_t)(endopt ? eo : so)) + 1 : 0); break;
	case 2:
		if (hit)
			sqlite3_result_text(ctx, s + so, (int)(eo - so), SQLITE_TRANSIENT);
		break;
	default: sqlite3_result_int(ctx, hit); break;
	}
	regfree(&re);
}

/* like_escape(pattern, esc): the pattern with esc as its escape character
 * rewritten for LIKE's backslash escape (no escape when esc is empty). */
static void fn_like_escape(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	const char *p = (const char *)sqlite3_value_text(argv[0]);
	const char *e = (const char *)sqlite3_value_text(argv[1]);
	size_t el = strlen(e);
	if (el && char_len((const unsigned char *)e) != el) {
		err(ctx, "22025", "invalid escape string");
		return;
	}
	Buf b;
	buf_init(&b);
	bool after = false;
	for (size_t i = 0; p[i];) {
		size_t cl = char_len((const unsigned char *)p + i);
		if (!el) {
			if (p[i] == '\\')
				buf_put_u8(&b, '\\');
			buf_put(&b, p + i, cl);
		} else if (!after && strncmp(p + i, e, el) == 0) {
			buf_put_u8(&b, '\\');
			after = true;
			i += cl;
			continue;
		} else if (p[i] == '\\') {
			buf_put_u8(&b, '\\');
			if (!after)
				buf_put_u8(&b, '\\');
		} else {
			buf_put(&b, p + i, cl);
		}
		after = false;
		i += cl;
	}
	sqlite3_result_text(ctx, b.data ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

/* An SQL regular expression (SIMILAR TO) as a POSIX extended one anchored
 * at both ends: % and _ become .* and ., the escape character esc (none
 * when empty) quotes the next one, esc" separates the parts a SUBSTRING
 * ... SIMILAR returns the middle of; *sep: where the first separator's
 * ")(" is in b (0: none).  False with an error result on ctx. */
static bool similar_to_posix(sqlite3_context *ctx, const char *p, const char *e, Buf *b, size_t *sep)
{
	size_t el = strlen(e);
	if (el > 1 && char_len((const unsigned char *)e) != el) {
		err(ctx, "2200C", "invalid escape string");
		return false;
	}
	buf_put_str(b, "^(");
	bool after = false, in_class = false;
	int nquotes = 0;
	*sep = 0;
	for (size_t i = 0; p[i];) {
		size_t cl = char_len((const unsigned char *)p + i);
		char c = p[i];
		if (after) {
			if (c == '"' && !in_class) {
				if (++nquotes > 2) {
					err(ctx, "2201B", "SQL regular expression may not contain more than two escape-double-quote separators");
					return false;
				}
				if (nquotes == 1)
					*sep = b->len;
				buf_put_str(b, ")(");
			} else {
				buf_put_u8(b, '\\');
				buf_put(b, p + i, cl);
			}
			after = false;
		} else if (el && strncmp(p + i, e, el) == 0) {
			after = true;
		} else if (in_class) {
			if (c == '\\')
				buf_put_u8(b, '\\');
			buf_put(b, p + i, cl);
			if (c == ']')
				in_class = false;
		} else if (c == '[') {
			buf_put_u8(b, '[');
			in_class = true;
			if (p[i + 1] == '^')
				buf_put_u8(b, (uint8_t)p[++i]);
			if (p[i + 1] == ']')
				buf_put_u8(b, (uint8_t)p[++i]);
		} else if (c == '%') {
			buf_put_str(b, ".*");
		} else if (c == '_') {
			buf_put_u8(b, '.');
		} else if (c == '\\' || c == '.' || c == '^' || c == '$') {
			buf_put_u8(b, '\\');
			buf_put_u8(b, (uint8_t)c);
		} else {
			buf_put(b, p + i, cl);
		}
		i += cl;
	}
	buf_put_str(b, ")$");
	return true;
}

/* similar_to_escape(pattern[, esc]) (esc defaults to a backslash). */
static void fn_similar_escape(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	Buf b;
	size_t sep;
	buf_init(&b);
	if (similar_to_posix(ctx, (const char *)sqlite3_value_text(argv[0]),
			     argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : "\\", &b, &sep))
		sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	buf_cleanup(&b);
}

/* SUBSTRING(s SIMILAR pattern ESCAPE esc): the part between the esc"
 * separators of the match (the part before them as short as it can be,
 * as PostgreSQL makes it), or the whole match without them. */
static void fn_similar_substring(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (any_null(argc, argv))
		return;
	Buf b, head, tail;
	size_t sep;
	regex_t r1, r23;
	regmatch_t m[2];
	buf_init(&b);
	buf_init(&head);
	buf_init(&tail);
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	if (!similar_to_posix(ctx, (const char *)sqlite3_value_text(argv[1]), (const char *)sqlite3_value_text(argv[2]),
			      &b, &sep))
		goto out;
	if (sep == 0) {
		/* no separators: the whole string when it matches */
		if (pgs_regcomp(ctx, &r1, buf_cstr(&b), REG_NOSUB)) {
			if (regexec(&r1, s, 0, NULL, 0) == 0)
				sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
			regfree(&r1);
		}
		goto out;
	}
	buf_put(&head, b.data, sep);
	buf_put_str(&head, ")$");
	buf_put_u8(&tail, '^');
	buf_put(&tail, b.data + sep + 1, b.len - sep - 1);
	if (!pgs_regcomp(ctx, &r1, buf_cstr(&head), REG_NOSUB))
		goto out;
	if (!pgs_regcomp(ctx, &r23, buf_cstr(&tail), 0)) {
		regfree(&r1);
		goto out;
	}
	size_t n = strlen(s);
	char *pre = malloc(n + 1);
	for (size_t k = 0; pre && k <= n; k += k < n ? char_len((const unsigned char *)s + k) : 1) {
		memcpy(pre, s, k);
		pre[k] = 0;
		if (regexec(&r1, pre, 0, NULL, 0) == 0 && regexec(&r23, s + k, 2, m, 0) == 0) {
			if (m[1].rm_so >= 0)
				sqlite3_result_text(ctx, s + k + m[1].rm_so, (int)(m[1].rm_eo - m[1].rm_so), SQLITE_TRANSIENT);
			break;
		}
	}
	free(pre);
	regfree(&r1);
	regfree(&r23);
out:
	buf_cleanup(&b);
	buf_cleanup(&head);
	buf_cleanup(&tail);
}

bool pgt_regex_funcs_register(sqlite3 *db)
{
	static const PgtSqlFunc fns[] = {
		{"pg_regexp_match", -1, fn_regexp_matches, NULL, SQLITE_DETERMINISTIC},
		{"pg_regexp_matches", -1, fn_regexp_matches, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_regexp_split", -1, fn_regexp_split, NULL, SQLITE_DETERMINISTIC},
		{"pg_regexp_count", -1, fn_regexp_misc, (void *)0, SQLITE_DETERMINISTIC},
		{"pg_regexp_instr", -1, fn_regexp_misc, (void *)1, SQLITE_DETERMINISTIC},
		{"pg_regexp_substr", -1, fn_regexp_misc, (void *)2, SQLITE_DETERMINISTIC},
		{"pg_regexp_like", -1, fn_regexp_misc, (void *)3, SQLITE_DETERMINISTIC},
		{"pg_like_escape", 2, fn_like_escape, NULL, SQLITE_DETERMINISTIC},
		{"pg_similar_escape", -1, fn_similar_escape, NULL, SQLITE_DETERMINISTIC},
		{"pg_similar_substring", 3, fn_similar_substring, NULL, SQLITE_DETERMINISTIC},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
