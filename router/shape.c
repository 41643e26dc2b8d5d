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
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "router/router.h"

/* A literal may stand here: after these characters (not after a keyword
 * such as LIMIT or a type name such as date, and not after '-'). */
static bool literal_may_follow(char prev) { return prev && strchr("=(,<>+*/|%", prev) != NULL; }

/* Characters the scanner looks at: the rest are copied in runs. */
static bool starts_something(unsigned char c)
{
	return c == '-' || c == '/' || c == ';' || c == '"' || c == '\'' || c == '.' || (c >= '0' && c <= '9');
}

static bool ident_char(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* Characters (not bytes) of UTF-8 text. */
static int chars_of(const char *p, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)p[i] & 0xC0) != 0x80;
	return k;
}

/* The type PostgreSQL's scanner gives a literal: unknown for a string; for
 * a number int4, int8 or numeric, by its form and size. */
static uint32_t literal_type(const char *v, size_t len, bool quoted)
{
	if (quoted)
		return 0;
	if (memchr(v, '.', len) || memchr(v, 'e', len) || memchr(v, 'E', len))
		return 1700;
	unsigned long long x = 0;
	for (size_t i = 0; i < len; i++) {
		if (x > (ULLONG_MAX - 9) / 10)
			return 1700;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	return x <= INT32_MAX ? 23 : x <= INT64_MAX ? 20 : 1700;
}

/* The literal v (len bytes of the text, inside its quotes when quoted),
 * which spans the text's bytes text_at .. text_at + text_len, becomes the
 * next $n of the key. */
static bool add_literal(RtShape *sh, Buf *key, const char *v, size_t len, bool quoted, size_t text_at,
			size_t text_len)
{
	if (sh->n == RT_SHAPE_MAX_LITERALS)
		return false;
	int k = sh->n;
	sh->types[k] = literal_type(v, len, quoted);
	sh->text_at[k] = (int)text_at;
	sh->text_len[k] = (int)text_len;
	sh->key_at[k] = (int)key->len;
	sh->formats[k] = 0; /* text */
	char *copy = malloc(len + 1);
	if (!copy)
		return false;
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		copy[w++] = v[i];
		if (quoted && v[i] == '\'')
			i++; /* '' is one quote */
	}
	copy[w] = 0;
	sh->values[k] = copy;
	sh->lengths[k] = (int)w;
	sh->n++;
	char num[16];
	int d = (int)sizeof(num);
	for (int x = sh->n; x > 0; x /= 10)
		num[--d] = (char)('0' + x % 10);
	num[--d] = '$';
	buf_put(key, num + d, sizeof(num) - (size_t)d);
	sh->key_len[k] = (int)(key->len - (size_t)sh->key_at[k]);
	return true;
}

int rt_shape_text_position(const RtShape *sh, int key_position)
{
	/* the byte of the key at that character */
	size_t kb = 0;
	for (int c = 1; sh->key[kb] && c < key_position; kb++)
		c += ((unsigned char)sh->key[kb + 1] & 0xC0) != 0x80;
	long tb = (long)kb;
	for (int i = 0; i < sh->n && (size_t)sh->key_at[i] <= kb; i++) {
		if (kb < (size_t)(sh->key_at[i] + sh->key_len[i])) {
			tb = sh->text_at[i]; /* inside $n: at the literal */
			break;
		}
		tb += sh->text_len[i] - sh->key_len[i];
	}
	return chars_of(sh->text, (size_t)tb) + 1;
}

int rt_shape_literal_position(const RtShape *sh, int i) { return chars_of(sh->text, (size_t)sh->text_at[i]) + 1; }

bool rt_shape(const char *sql, RtShape *sh)
{
	/* the per-literal arrays are written as literals are found */
	sh->n = 0;
	sh->key = sh->text = NULL;
	sh->as_parameters = false;
	if (strpbrk(sql, "$\\"))
		return false; /* parameters, dollar quotes, escapes: as written */
	Buf key;
	buf_init(&key);
	size_t n = strlen(sql), i = 0;
	(void)buf_reserve(&key, n + 16);
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
				ok = add_literal(sh, &key, sql + i + 1, j - i - 1, true, i, j + 1 - i);
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
				ok = add_literal(sh, &key, sql + i, j - i, false, i, j - i);
			else
				buf_put(&key, sql + i, j - i);
			prev = '0';
			i = j;
		} else {
			/* a run of characters that start nothing above */
			size_t j = i;
			do {
				if (!isspace((unsigned char)sql[j]))
					prev = sql[j];
				j++;
			} while (j < n && !starts_something((unsigned char)sql[j]));
			buf_put(&key, sql + i, j - i);
			i = j;
		}
	}
	if (!ok || sh->n == 0 || key.failed || !*buf_cstr(&key)) {
		buf_cleanup(&key);
		rt_shape_free(sh);
		return false;
	}
	sh->key = (char *)key.data; /* the buffer's, terminated by buf_cstr */
	/* the statement as the shards get it: without the closing ';' */
	size_t end = n;
	while (end > 0 && (isspace((unsigned char)sql[end - 1]) || sql[end - 1] == ';'))
		end--;
	sh->text = strndup(sql, end);
	sh->params = (RtParams){.n = sh->n, .values = (const char *const *)sh->values, .lengths = sh->lengths,
				.formats = sh->formats};
	sh->typed = sh->params;
	sh->typed.types = sh->types;
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
	sh->n = 0;
	sh->key = sh->text = NULL;
	sh->as_parameters = false;
	sh->params = sh->typed = (RtParams){0};
}

/* ---------------------------------------------------------------- as parameters */

typedef struct ParamCount {
	int all, plain; /* parameters; those standing where a value of a column's type goes */
	bool grouped;	/* a GROUP BY: its expressions must stay equal to the targets' */
} ParamCount;

static bool is_node(const PgQuery__Node *n, PgQuery__Node__NodeCase k) { return n && n->node_case == k; }

/* The ParamRefs of a list (an IN list, a VALUES row). */
static int params_in_list(const PgQuery__List *l)
{
	int k = 0;
	for (size_t i = 0; l && i < l->n_items; i++)
		k += is_node(l->items[i], PG_QUERY__NODE__NODE_PARAM_REF);
	return k;
}

/* Comparison and arithmetic operators, whose unknown or numeric operand
 * takes its type from the column on the other side. */
static bool plain_operator(const PgQuery__AExpr *a)
{
	static const char *const ops[] = {"=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%"};
	if (a->n_name != 1 || !is_node(a->name[0], PG_QUERY__NODE__NODE_STRING))
		return false;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(a->name[0]->string->sval, ops[i]) == 0)
			return true;
	return false;
}

static bool count_params(const ProtobufCMessage *m, void *arg)
{
	ParamCount *pc = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__param_ref__descriptor) {
		pc->all++;
	} else if (d == &pg_query__a__expr__descriptor) {
		const PgQuery__AExpr *a = (const PgQuery__AExpr *)m;
		bool col_left = is_node(a->lexpr, PG_QUERY__NODE__NODE_COLUMN_REF);
		if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && plain_operator(a))
			pc->plain += (col_left && is_node(a->rexpr, PG_QUERY__NODE__NODE_PARAM_REF)) ||
				     (is_node(a->lexpr, PG_QUERY__NODE__NODE_PARAM_REF) &&
				      is_node(a->rexpr, PG_QUERY__NODE__NODE_COLUMN_REF));
		else if ((a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_IN ||
			  a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN) &&
			 col_left && is_node(a->rexpr, PG_QUERY__NODE__NODE_LIST))
			pc->plain += params_in_list(a->rexpr->list);
	} else if (d == &pg_query__insert_stmt__descriptor) {
		const PgQuery__InsertStmt *ins = (const PgQuery__InsertStmt *)m;
		const PgQuery__SelectStmt *sel =
			is_node(ins->select_stmt, PG_QUERY__NODE__NODE_SELECT_STMT) ? ins->select_stmt->select_stmt : NULL;
		for (size_t i = 0; sel && ins->n_cols > 0 && i < sel->n_values_lists; i++)
			if (is_node(sel->values_lists[i], PG_QUERY__NODE__NODE_LIST))
				pc->plain += params_in_list(sel->values_lists[i]->list);
	} else if (d == &pg_query__select_stmt__descriptor) {
		pc->grouped = pc->grouped || ((const PgQuery__SelectStmt *)m)->n_group_clause > 0;
	} else if (d == &pg_query__update_stmt__descriptor) {
		const PgQuery__UpdateStmt *up = (const PgQuery__UpdateStmt *)m;
		for (size_t i = 0; i < up->n_target_list; i++)
			pc->plain += is_node(up->target_list[i], PG_QUERY__NODE__NODE_RES_TARGET) &&
				     is_node(up->target_list[i]->res_target->val, PG_QUERY__NODE__NODE_PARAM_REF);
	}
	return true;
}

bool rt_shape_as_parameters(const PgQuery__Node *stmt)
{
	ParamCount pc = {0, 0, false};
	pgn_walk(stmt ? &stmt->base : NULL, count_params, &pc);
	return pc.all > 0 && pc.plain == pc.all && !pc.grouped;
}
