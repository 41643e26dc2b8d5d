/*
 * shape.c - a statement's shape: its text with the literals that stand
 * where a parameter could ($1, ...) taken out.  Statements that differ only
 * in them (pgbench's, an ORM's) share one parse tree in the plan cache, and
 * the literals route as the values of bound parameters would.
 *
 * A small scanner, not a parser: anything it is not sure of (comments,
 * dollar quotes, backslashes, several statements) has no shape, and a
 * shape whose text does not parse is not used (session.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

/* A literal may stand here: after these characters (not after a keyword
 * such as LIMIT or a type name such as date, and not after '-'). */
static bool literal_may_follow(char prev) { return prev && strchr("=(,<>+*/|%", prev) != NULL; }

static bool ident_char(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

static bool add_literal(RtShape *sh, Buf *key, const char *v, size_t len, bool quoted)
{
	if (sh->n == RT_SHAPE_MAX_LITERALS)
		return false;
	char *copy = malloc(len + 1);
	if (!copy)
		return false;
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		copy[k++] = v[i];
		if (quoted && v[i] == '\'')
			i++; /* '' is one quote */
	}
	copy[k] = 0;
	sh->values[sh->n] = copy;
	sh->lengths[sh->n] = (int)k;
	sh->n++;
	buf_printf(key, "$%d", sh->n);
	return true;
}

bool rt_shape(const char *sql, RtShape *sh)
{
	memset(sh, 0, sizeof(*sh));
	if (strpbrk(sql, "$\\"))
		return false; /* parameters, dollar quotes, escapes: as written */
	Buf key;
	buf_init(&key);
	size_t n = strlen(sql), i = 0;
	char prev = 0;
	bool ok = true;
	while (ok && i < n) {
		unsigned char c = (unsigned char)sql[i];
		if ((c == '-' && sql[i + 1] == '-') || (c == '/' && sql[i + 1] == '*')) {
			ok = false; /* comments: as written */
		} else if (c == ';') {
			for (size_t j = i + 1; j < n; j++)
				ok = ok && isspace((unsigned char)sql[j]);
			break; /* one statement only */
		} else if (c == '"' || c == '\'') {
			size_t j = i + 1;
			while (j < n && (sql[j] != (char)c || sql[j + 1] == (char)c))
				j += sql[j] == (char)c ? 2 : 1;
			if (j >= n) {
				ok = false;
				break;
			}
			if (c == '\'' && literal_may_follow(prev) && (i == 0 || !ident_char((unsigned char)sql[i - 1])))
				ok = add_literal(sh, &key, sql + i + 1, j - i - 1, true);
			else
				buf_put(&key, sql + i, j + 1 - i);
			prev = (char)c;
			i = j + 1;
		} else if ((isdigit(c) || (c == '.' && isdigit((unsigned char)sql[i + 1]))) &&
			   (i == 0 || (!ident_char((unsigned char)sql[i - 1]) && sql[i - 1] != '.'))) {
			size_t j = i;
			while (j < n && (isdigit((unsigned char)sql[j]) || sql[j] == '.'))
				j++;
			if (j < n && (sql[j] == 'e' || sql[j] == 'E') &&
			    (isdigit((unsigned char)sql[j + 1]) ||
			     ((sql[j + 1] == '+' || sql[j + 1] == '-') && isdigit((unsigned char)sql[j + 2])))) {
				j += 2;
				while (j < n && isdigit((unsigned char)sql[j]))
					j++;
			}
			if (literal_may_follow(prev) && !(j < n && ident_char((unsigned char)sql[j])))
				ok = add_literal(sh, &key, sql + i, j - i, false);
			else
				buf_put(&key, sql + i, j - i);
			prev = '0';
			i = j;
		} else {
			buf_put_u8(&key, c);
			if (!isspace(c))
				prev = (char)c;
			i++;
		}
	}
	if (!ok || sh->n == 0 || key.failed) {
		buf_cleanup(&key);
		rt_shape_free(sh);
		return false;
	}
	sh->key = strdup(buf_cstr(&key));
	buf_cleanup(&key);
	/* the statement as the shards get it: without the closing ';' */
	size_t end = n;
	while (end > 0 && (isspace((unsigned char)sql[end - 1]) || sql[end - 1] == ';'))
		end--;
	sh->text = strndup(sql, end); /* formats[] stay 0: text, from the memset */
	sh->params = (RtParams){.n = sh->n, .values = (const char *const *)sh->values, .lengths = sh->lengths,
				.formats = sh->formats};
	if (!sh->key || !sh->text) {
		rt_shape_free(sh);
		return false;
	}
	return true;
}

void rt_shape_free(RtShape *sh)
{
	for (int k = 0; k < sh->n; k++)
		free(sh->values[k]);
	free(sh->key);
	free(sh->text);
	memset(sh, 0, sizeof(*sh));
}
