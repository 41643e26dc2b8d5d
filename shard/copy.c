/*
 * copy.c - COPY FROM STDIN and COPY TO STDOUT in text, CSV and binary
 * formats.  Rows coming in go through the same translated INSERT as SQL
 * does, so defaults, type checks and constraints behave the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/pgnode.h"
#include "shard/session_int.h"

enum { FMT_TEXT, FMT_CSV, FMT_BINARY };

typedef struct ShdCopy {
	ShdStmt *stmt; /* the INSERT */
	char table[128];
	int ncols;
	uint32_t *types;
	int format;
	char delim, quote, escape;
	char *null_str;
	bool header; /* skip the first line */
	Buf line;    /* incomplete input */
	int64_t lineno;
	int64_t rows;
	bool ended;  /* saw \. or the binary trailer */
	bool binary_header_done;
	bool failed;
	bool extended;
} ShdCopy;

typedef struct CopyOpts {
	int format;
	char delim, quote, escape;
	const char *null_str;
	bool header;
} CopyOpts;

static bool copy_options(ShdSession *s, PgQuery__CopyStmt *cp, CopyOpts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = FMT_TEXT;
	const char *delim = NULL, *quote = NULL, *escape = NULL;
	for (size_t i = 0; i < cp->n_options; i++) {
		PgQuery__DefElem *d = cp->options[i]->def_elem;
		const char *v = "";
		bool bv = true;
		if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING)
			v = d->arg->string->sval;
		else if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
			bv = d->arg->boolean->boolval;
		else if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
			bv = d->arg->integer->ival != 0;
		if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING &&
		    (strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0))
			bv = false;
		if (strcmp(d->defname, "format") == 0) {
			if (strcmp(v, "text") == 0)
				o->format = FMT_TEXT;
			else if (strcmp(v, "csv") == 0)
				o->format = FMT_CSV;
			else if (strcmp(v, "binary") == 0)
				o->format = FMT_BINARY;
			else {
				pgs_errorf(&s->pg, "22023", "COPY format \"%s\" not recognized", v);
				return false;
			}
		} else if (strcmp(d->defname, "delimiter") == 0) {
			delim = v;
		} else if (strcmp(d->defname, "null") == 0) {
			o->null_str = v;
		} else if (strcmp(d->defname, "header") == 0) {
			o->header = bv;
		} else if (strcmp(d->defname, "quote") == 0) {
			quote = v;
		} else if (strcmp(d->defname, "escape") == 0) {
			escape = v;
		} else if (strcmp(d->defname, "freeze") == 0 || strcmp(d->defname, "encoding") == 0) {
			/* FREEZE is a storage hint; the encoding is always UTF8 */
		} else {
			pgs_errorf(&s->pg, "0A000", "COPY option \"%s\" is not supported by DoSQL", d->defname);
			return false;
		}
	}
	o->delim = delim ? delim[0] : (o->format == FMT_CSV ? ',' : '\t');
	o->quote = quote ? quote[0] : '"';
	o->escape = escape ? escape[0] : o->quote;
	if (!o->null_str)
		o->null_str = o->format == FMT_CSV ? "" : "\\N";
	if ((delim && strlen(delim) != 1) || (quote && strlen(quote) != 1) || (escape && strlen(escape) != 1)) {
		pgs_errorf(&s->pg, "0A000", "COPY delimiter, quote and escape must be a single one-byte character");
		return false;
	}
	return true;
}

/* Column list of a COPY: the named columns or all of them. */
static bool copy_columns(ShdSession *s, PgQuery__CopyStmt *cp, const PgsTable *t, Buf *names, int *ncols)
{
	*ncols = 0;
	if (cp->n_attlist == 0) {
		for (int i = 0; i < t->ncols; i++) {
			if (i)
				buf_put_str(names, ", ");
			pgs_put_ident(names, t->cols[i].name);
		}
		*ncols = t->ncols;
		return true;
	}
	for (size_t i = 0; i < cp->n_attlist; i++) {
		const char *n = pgn_str(cp->attlist[i]);
		if (!pgs_table_column(t, n)) {
			pgs_errorf(&s->pg, "42703", "column \"%s\" of relation \"%s\" does not exist", n, t->name);
			return false;
		}
		if (i)
			buf_put_str(names, ", ");
		pgs_put_ident(names, n);
	}
	*ncols = (int)cp->n_attlist;
	return true;
}

void shd_copy_abort(ShdSession *s)
{
	ShdCopy *cp = s->copy;
	if (!cp)
		return;
	s->copy = NULL;
	if (cp->stmt) {
		shd_stmt_discard(s, cp->stmt);
	}
	buf_cleanup(&cp->line);
	free(cp->types);
	free(cp->null_str);
	free(cp);
}

/* ---------------------------------------------------------------- FROM */

static bool copy_in_start(ShdSession *s, PgQuery__CopyStmt *cp, const CopyOpts *o, const ShdExec *ex)
{
	PgwError e;
	const PgsTable *t = pgs_catalog_table(&s->pg.cat, cp->relation->relname);
	if (!t || t->system || t->relkind != 'r') {
		pgs_errorf(&s->pg, "42P01", "relation \"%s\" does not exist", cp->relation->relname);
		return false;
	}
	Buf names, sql;
	int ncols;
	buf_init(&names);
	buf_init(&sql);
	if (!copy_columns(s, cp, t, &names, &ncols)) {
		buf_cleanup(&names);
		return false;
	}
	/* t is the catalog cache's: preparing may clear the cache (another
	 * session changed the schema), so nothing of t is read after it */
	char table[sizeof(((ShdCopy *)0)->table)];
	snprintf(table, sizeof(table), "%s", t->name);
	buf_put_str(&sql, "INSERT INTO ");
	pgs_put_ident(&sql, table);
	buf_printf(&sql, " (%s) VALUES (", buf_cstr(&names));
	for (int i = 0; i < ncols; i++)
		buf_printf(&sql, "%s$%d", i ? ", " : "", i + 1);
	buf_put_u8(&sql, ')');
	ShdStmt *st = shd_stmt_create(s, "", buf_cstr(&sql), 0, NULL, &e);
	buf_cleanup(&names);
	buf_cleanup(&sql);
	if (!st || !shd_stmt_prepare(s, st, &e)) {
		shd_stmt_discard(s, st);
		shd_send_error(s, &e);
		return false;
	}
	ShdCopy *c = calloc(1, sizeof(*c));
	c->stmt = st;
	snprintf(c->table, sizeof(c->table), "%s", table);
	c->ncols = ncols;
	c->types = malloc(sizeof(uint32_t) * (size_t)(ncols + 1));
	memcpy(c->types, st->param_types, sizeof(uint32_t) * (size_t)ncols);
	c->format = o->format;
	c->delim = o->delim;
	c->quote = o->quote;
	c->escape = o->escape;
	c->null_str = strdup(o->null_str);
	c->header = o->header;
	c->extended = ex->extended;
	buf_init(&c->line);
	s->copy = c;
	pgw_send_copy_in_response(&s->conn, o->format == FMT_BINARY ? 1 : 0, ncols);
	pgw_conn_copy_in(&s->conn);
	return true;
}

/* An error while loading: report it with the line, end the COPY. */
static void copy_error(ShdSession *s, PgwError *e)
{
	ShdCopy *c = s->copy;
	if (c)
		snprintf(e->where, sizeof(e->where), "COPY %s, line %lld", c->table, (long long)c->lineno);
	if (c)
		c->failed = true;
	shd_send_error(s, e);
	bool extended = c ? c->extended : false;
	shd_copy_abort(s);
	if (!extended) {
		if (s->implicit)
			shd_txn_end(s, false);
		pgw_send_ready(&s->conn, s->txn == SHD_TXN_BLOCK ? 'T' : s->txn == SHD_TXN_FAILED ? 'E' : 'I');
	}
}

/* Bind field i (NULL when val is NULL) and, after the last, insert the row. */
static bool bind_field(ShdSession *s, int i, const char *val, size_t len, bool binary, PgwError *e)
{
	ShdCopy *c = s->copy;
	PgtValue v;
	PgtError pe;
	pgt_value_init(&v);
	bool ok = true;
	if (!val)
		v.type = SQLITE_NULL;
	else if (binary)
		ok = pgt_recv_binary((const uint8_t *)val, len, c->types[i], -1, &v, &pe);
	else
		ok = pgt_coerce_text(val, len, c->types[i], -1, &s->pg.fmt, &v, &pe);
	if (!ok) {
		pgw_error_set(e, pe.sqlstate, "%s", pe.msg);
		pgt_value_cleanup(&v);
		return false;
	}
	pgt_value_bind(c->stmt->st, i + 1, &v);
	pgt_value_cleanup(&v);
	return true;
}

static bool insert_row(ShdSession *s, PgwError *e)
{
	ShdCopy *c = s->copy;
	int rc = sqlite3_step(c->stmt->st);
	sqlite3_reset(c->stmt->st);
	if (rc != SQLITE_DONE) {
		pgs_sqlite_error(&s->pg, rc, e);
		return false;
	}
	c->rows++;
	return true;
}

/* Text format: split on the delimiter, undo backslash escapes. */
static bool text_row(ShdSession *s, char *line, size_t len, PgwError *e)
{
	ShdCopy *c = s->copy;
	int field = 0;
	size_t i = 0;
	Buf val;
	buf_init(&val);
	bool ok = true;
	for (;;) {
		size_t start = i;
		buf_reset(&val);
		while (i < len && line[i] != c->delim) {
			char ch = line[i++];
			if (ch != '\\' || i >= len) {
				buf_put_u8(&val, (uint8_t)ch);
				continue;
			}
			char n = line[i++];
			switch (n) {
			case 'b': buf_put_u8(&val, '\b'); break;
			case 'f': buf_put_u8(&val, '\f'); break;
			case 'n': buf_put_u8(&val, '\n'); break;
			case 'r': buf_put_u8(&val, '\r'); break;
			case 't': buf_put_u8(&val, '\t'); break;
			case 'v': buf_put_u8(&val, '\v'); break;
			case 'x': {
				int v = 0, k = 0;
				while (k < 2 && i < len && strchr("0123456789abcdefABCDEF", line[i]) && line[i]) {
					char h = line[i++];
					v = v * 16 + (h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
					k++;
				}
				buf_put_u8(&val, (uint8_t)v);
				break;
			}
			default:
				if (n >= '0' && n <= '7') {
					int v = n - '0', k = 1;
					while (k < 3 && i < len && line[i] >= '0' && line[i] <= '7')
						v = v * 8 + (line[i++] - '0'), k++;
					buf_put_u8(&val, (uint8_t)v);
				} else {
					buf_put_u8(&val, (uint8_t)n);
				}
			}
		}
		if (field >= c->ncols) {
			pgw_error_set(e, "22P04", "extra data after last expected column");
			ok = false;
			break;
		}
		bool is_null = (i - start) == strlen(c->null_str) && strncmp(line + start, c->null_str, i - start) == 0;
		if (!bind_field(s, field, is_null ? NULL : buf_cstr(&val), val.len, false, e)) {
			ok = false;
			break;
		}
		field++;
		if (i >= len)
			break;
		i++; /* delimiter */
	}
	if (ok && field < c->ncols) {
		pgw_error_set(e, "22P04", "missing data for column \"%s\"",
			      sqlite3_column_name(c->stmt->st, 0) ? "" : "");
		ok = false;
	}
	buf_cleanup(&val);
	return ok && insert_row(s, e);
}

/* CSV: quoted fields may contain delimiters, quotes (doubled) and newlines. */
static bool csv_row(ShdSession *s, const char *line, size_t len, PgwError *e)
{
	ShdCopy *c = s->copy;
	int field = 0;
	size_t i = 0;
	Buf val;
	buf_init(&val);
	bool ok = true;
	for (;;) {
		buf_reset(&val);
		bool quoted = false, any_quote = false;
		size_t start = i;
		while (i < len) {
			char ch = line[i];
			if (quoted) {
				if (ch == c->escape && i + 1 < len && line[i + 1] == c->quote && (c->escape != c->quote || true)) {
					if (c->escape == c->quote || line[i + 1] == c->quote) {
						buf_put_u8(&val, (uint8_t)c->quote);
						i += 2;
						continue;
					}
				}
				if (ch == c->quote) {
					quoted = false;
					i++;
					continue;
				}
				buf_put_u8(&val, (uint8_t)ch);
				i++;
				continue;
			}
			if (ch == c->delim)
				break;
			if (ch == c->quote) {
				quoted = any_quote = true;
				i++;
				continue;
			}
			buf_put_u8(&val, (uint8_t)ch);
			i++;
		}
		if (quoted) {
			pgw_error_set(e, "22P04", "unterminated CSV quoted field");
			ok = false;
			break;
		}
		if (field >= c->ncols) {
			pgw_error_set(e, "22P04", "extra data after last expected column");
			ok = false;
			break;
		}
		bool is_null = !any_quote && (i - start) == strlen(c->null_str) && strncmp(line + start, c->null_str, i - start) == 0;
		if (!bind_field(s, field, is_null ? NULL : buf_cstr(&val), val.len, false, e)) {
			ok = false;
			break;
		}
		field++;
		if (i >= len)
			break;
		i++;
	}
	if (ok && field < c->ncols) {
		pgw_error_set(e, "22P04", "missing data for column");
		ok = false;
	}
	buf_cleanup(&val);
	return ok && insert_row(s, e);
}

/* Is the CSV text in p[0..n) inside an open quote at its end? */
static bool csv_open_quote(const ShdCopy *c, const uint8_t *p, size_t n)
{
	bool q = false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == (uint8_t)c->quote)
			q = !q;
	return q;
}

static bool process_lines(ShdSession *s, bool final, PgwError *e)
{
	ShdCopy *c = s->copy;
	size_t off = 0;
	while (!c->ended) {
		uint8_t *start = c->line.data + off;
		size_t avail = c->line.len - off;
		uint8_t *nl = avail ? memchr(start, '\n', avail) : NULL;
		if (c->format == FMT_CSV) {
			/* a newline inside quotes belongs to the field */
			while (nl && csv_open_quote(c, start, (size_t)(nl - start)))
				nl = memchr(nl + 1, '\n', avail - (size_t)(nl + 1 - start));
		}
		size_t len;
		if (nl)
			len = (size_t)(nl - start);
		else if (final && avail > 0)
			len = avail;
		else
			break;
		off += len + (nl ? 1 : 0);
		if (len > 0 && start[len - 1] == '\r')
			len--;
		c->lineno++;
		if (len == 2 && start[0] == '\\' && start[1] == '.') {
			c->ended = true;
			break;
		}
		if (c->header && c->lineno == 1)
			continue;
		char *line = (char *)start;
		bool ok = c->format == FMT_CSV ? csv_row(s, line, len, e) : text_row(s, line, len, e);
		if (!ok) {
			buf_consume(&c->line, off);
			return false;
		}
	}
	buf_consume(&c->line, off);
	return true;
}

/* Binary format: signature, flags, extension, then tuples; -1 ends. */
static bool process_binary(ShdSession *s, PgwError *e)
{
	static const uint8_t sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};
	ShdCopy *c = s->copy;
	size_t off = 0;
	if (!c->binary_header_done) {
		if (c->line.len < 19)
			return true;
		if (memcmp(c->line.data, sig, 11) != 0) {
			pgw_error_set(e, "22P04", "COPY file signature not recognized");
			return false;
		}
		uint32_t ext = rd_be32(c->line.data + 15);
		if (c->line.len < 19 + (size_t)ext)
			return true;
		off = 19 + ext;
		c->binary_header_done = true;
	}
	while (!c->ended && c->line.len - off >= 2) {
		int16_t nf = (int16_t)rd_be16(c->line.data + off);
		if (nf == -1) {
			c->ended = true;
			off += 2;
			break;
		}
		if (nf != c->ncols) {
			c->lineno++;
			pgw_error_set(e, "22P04", "row field count is %d, expected %d", nf, c->ncols);
			return false;
		}
		/* is the whole tuple here? */
		size_t p = off + 2;
		bool complete = true;
		for (int i = 0; i < nf; i++) {
			if (c->line.len - p < 4) {
				complete = false;
				break;
			}
			int32_t l = (int32_t)rd_be32(c->line.data + p);
			p += 4;
			if (l > 0) {
				if (c->line.len - p < (size_t)l) {
					complete = false;
					break;
				}
				p += (size_t)l;
			}
		}
		if (!complete)
			break;
		c->lineno++;
		p = off + 2;
		for (int i = 0; i < nf; i++) {
			int32_t l = (int32_t)rd_be32(c->line.data + p);
			p += 4;
			if (!bind_field(s, i, l < 0 ? NULL : (const char *)c->line.data + p, l < 0 ? 0 : (size_t)l, true, e))
				return false;
			if (l > 0)
				p += (size_t)l;
		}
		if (!insert_row(s, e))
			return false;
		off = p;
	}
	buf_consume(&c->line, off);
	return true;
}

void shd_copy_data(ShdSession *s, const uint8_t *data, size_t len)
{
	ShdCopy *c = s->copy;
	PgwError e;
	if (!c || c->failed)
		return;
	if (c->ended)
		return;
	buf_put(&c->line, data, len);
	bool ok = c->format == FMT_BINARY ? process_binary(s, &e) : process_lines(s, false, &e);
	if (!ok)
		copy_error(s, &e);
}

void shd_copy_done(ShdSession *s)
{
	ShdCopy *c = s->copy;
	PgwError e;
	if (!c)
		return;
	bool ok = c->format == FMT_BINARY ? process_binary(s, &e) : process_lines(s, true, &e);
	if (ok && c->format == FMT_BINARY && c->line.len > 0 && !c->ended) {
		pgw_error_set(&e, "22P04", "unexpected EOF in COPY data");
		ok = false;
	}
	if (!ok) {
		c->failed = true;
		snprintf(e.where, sizeof(e.where), "COPY %s, line %lld", c->table, (long long)c->lineno);
		shd_send_error(s, &e);
		if (s->implicit && !c->extended)
			shd_txn_end(s, false);
		shd_copy_abort(s);
		return;
	}
	char tag[64];
	snprintf(tag, sizeof(tag), "COPY %lld", (long long)c->rows);
	shd_copy_abort(s);
	pgw_send_command_complete(&s->conn, tag);
}

void shd_copy_fail(ShdSession *s, const char *msg)
{
	ShdCopy *c = s->copy;
	PgwError e;
	pgw_error_set(&e, "57014", "COPY from stdin failed: %s", msg);
	if (c)
		snprintf(e.where, sizeof(e.where), "COPY %s, line %lld", c->table, (long long)c->lineno);
	shd_send_error(s, &e);
	shd_copy_abort(s);
}

/* ---------------------------------------------------------------- TO */

static void put_text_field(Buf *out, const uint8_t *p, size_t n, char delim)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		switch (ch) {
		case '\\': buf_put_str(out, "\\\\"); break;
		case '\n': buf_put_str(out, "\\n"); break;
		case '\r': buf_put_str(out, "\\r"); break;
		case '\t': buf_put_str(out, ch == (uint8_t)delim ? "\\t" : "\\t"); break;
		case '\b': buf_put_str(out, "\\b"); break;
		case '\f': buf_put_str(out, "\\f"); break;
		case '\v': buf_put_str(out, "\\v"); break;
		default:
			if (ch == (uint8_t)delim) {
				buf_put_u8(out, '\\');
			}
			buf_put_u8(out, ch);
		}
	}
}

static void put_csv_field(Buf *out, const uint8_t *p, size_t n, const CopyOpts *o)
{
	bool need = n == 0;
	for (size_t i = 0; i < n && !need; i++)
		need = p[i] == (uint8_t)o->delim || p[i] == (uint8_t)o->quote || p[i] == '\n' || p[i] == '\r';
	if (!need && n == strlen(o->null_str) && memcmp(p, o->null_str, n) == 0)
		need = true;
	if (!need) {
		buf_put(out, p, n);
		return;
	}
	buf_put_u8(out, (uint8_t)o->quote);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == (uint8_t)o->quote || p[i] == (uint8_t)o->escape)
			buf_put_u8(out, (uint8_t)o->escape);
		buf_put_u8(out, p[i]);
	}
	buf_put_u8(out, (uint8_t)o->quote);
}

static bool copy_out(ShdSession *s, PgQuery__CopyStmt *cp, const CopyOpts *o)
{
	PgwError e;
	Buf sql;
	buf_init(&sql);
	if (cp->query) {
		char *q = pgn_deparse(cp->query);
		if (!q) {
			pgs_errorf(&s->pg, "XX000", "could not deparse COPY query");
			return false;
		}
		buf_put_str(&sql, q);
		free(q);
	} else {
		const PgsTable *t = pgs_catalog_table(&s->pg.cat, cp->relation->relname);
		if (!t || t->relkind != 'r') {
			pgs_errorf(&s->pg, "42P01", "relation \"%s\" does not exist", cp->relation->relname);
			return false;
		}
		Buf names;
		int ncols;
		buf_init(&names);
		if (!copy_columns(s, cp, t, &names, &ncols)) {
			buf_cleanup(&names);
			return false;
		}
		buf_printf(&sql, "SELECT %s FROM ", buf_cstr(&names));
		pgs_put_ident(&sql, t->name);
		buf_cleanup(&names);
	}
	ShdStmt *st = shd_stmt_create(s, "", buf_cstr(&sql), 0, NULL, &e);
	buf_cleanup(&sql);
	if (!st || !shd_stmt_prepare(s, st, &e) || !st->q.returns_rows) {
		if (st && !st->q.returns_rows && st->translated)
			pgw_error_set(&e, "0A000", "COPY query must have a RETURNING clause or be a SELECT");
		shd_stmt_discard(s, st);
		shd_send_error(s, &e);
		return false;
	}
	PgwConn *c = &s->conn;
	int ncols = st->q.ncols;
	pgw_send_copy_out_response(c, o->format == FMT_BINARY ? 1 : 0, ncols);
	Buf line, val;
	buf_init(&line);
	buf_init(&val);
	/* binary: the header goes out with the first row (or the trailer), as
	 * PostgreSQL sends it */
	Buf header;
	buf_init(&header);
	if (o->format == FMT_BINARY) {
		static const uint8_t sig[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};
		buf_put(&header, sig, 11);
		buf_put_u32(&header, 0);
		buf_put_u32(&header, 0);
	} else if (o->header) {
		buf_reset(&line);
		for (int i = 0; i < ncols; i++) {
			if (i)
				buf_put_u8(&line, (uint8_t)o->delim);
			if (o->format == FMT_CSV)
				put_csv_field(&line, (const uint8_t *)st->q.cols[i].name, strlen(st->q.cols[i].name), o);
			else
				buf_put_str(&line, st->q.cols[i].name);
		}
		buf_put_u8(&line, '\n');
		pgw_send_copy_data(c, line.data, line.len);
	}
	int64_t rows = 0;
	int rc;
	bool ok = true;
	while (ok && (rc = sqlite3_step(st->st)) == SQLITE_ROW) {
		buf_reset(&line);
		buf_put(&line, header.data, header.len);
		buf_reset(&header);
		if (o->format == FMT_BINARY)
			buf_put_u16(&line, (uint16_t)ncols);
		for (int i = 0; i < ncols && ok; i++) {
			sqlite3_value *v = sqlite3_column_value(st->st, i);
			PgtError pe;
			if (o->format != FMT_BINARY && i)
				buf_put_u8(&line, (uint8_t)o->delim);
			if (sqlite3_value_type(v) == SQLITE_NULL) {
				if (o->format == FMT_BINARY)
					buf_put_u32(&line, 0xFFFFFFFFu);
				else
					buf_put_str(&line, o->null_str);
				continue;
			}
			buf_reset(&val);
			ok = o->format == FMT_BINARY
				     ? pgt_out_binary(&val, v, st->q.cols[i].type, st->q.cols[i].typmod, &s->pg.fmt, &pe)
				     : pgt_out_text(&val, v, st->q.cols[i].type, st->q.cols[i].typmod, &s->pg.fmt, &pe);
			if (!ok) {
				pgw_error_set(&e, pe.sqlstate, "%s", pe.msg);
				break;
			}
			if (o->format == FMT_BINARY) {
				buf_put_u32(&line, (uint32_t)val.len);
				buf_put(&line, val.data, val.len);
			} else if (o->format == FMT_CSV) {
				put_csv_field(&line, val.data, val.len, o);
			} else {
				put_text_field(&line, val.data, val.len, o->delim);
			}
		}
		if (!ok)
			break;
		if (o->format != FMT_BINARY)
			buf_put_u8(&line, '\n');
		pgw_send_copy_data(c, line.data, line.len);
		rows++;
		if (!pgw_maybe_flush(c)) {
			ok = false;
			pgw_error_set(&e, "08006", "connection lost");
			break;
		}
	}
	if (ok && rc != SQLITE_DONE) {
		pgs_sqlite_error(&s->pg, rc, &e);
		ok = false;
	}
	if (ok) {
		if (o->format == FMT_BINARY) {
			buf_put_u16(&header, 0xFFFF);
			pgw_send_copy_data(c, header.data, header.len);
		}
		pgw_send_copy_done(c);
		char tag[64];
		snprintf(tag, sizeof(tag), "COPY %lld", (long long)rows);
		pgw_send_command_complete(c, tag);
	} else {
		shd_send_error(s, &e);
	}
	buf_cleanup(&header);
	buf_cleanup(&line);
	buf_cleanup(&val);
	shd_stmt_discard(s, st);
	return ok;
}

bool shd_copy_start(ShdSession *s, PgQuery__CopyStmt *cp, const ShdExec *ex)
{
	CopyOpts o;
	if (pgn_has_str(cp->filename) || cp->is_program) {
		pgs_errorf(&s->pg, "0A000", "COPY to or from a file or program is not supported by DoSQL; use STDIN/STDOUT");
		return false;
	}
	if (cp->where_clause) {
		pgs_errorf(&s->pg, "0A000", "COPY FROM ... WHERE is not supported by DoSQL");
		return false;
	}
	if (!copy_options(s, cp, &o))
		return false;
	if (o.format == FMT_BINARY && (o.header || strcmp(o.null_str, "\\N") != 0)) {
		pgs_errorf(&s->pg, "42601", "cannot specify HEADER or NULL in BINARY mode");
		return false;
	}
	if (cp->is_from)
		return copy_in_start(s, cp, &o, ex);
	return copy_out(s, cp, &o);
}
