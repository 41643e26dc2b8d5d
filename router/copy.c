/*
 * copy.c - COPY table FROM STDIN through the router: the client's rows are
 * split by the shard their vindex value belongs to (every shard for a
 * reference table, one for a pinned table) and streamed to a COPY running
 * on each shard, all in one transaction (two-phase commit over the shards
 * when outside a transaction block).
 *
 * Text, CSV and binary formats.  The client's CopyData messages are cut
 * into rows (a CSV row may hold newlines inside quotes; a binary tuple is
 * cut by its field lengths); the vindex field of each row is read to place
 * it.  In binary format every shard gets the signature and header first
 * and the trailer last.  The shards parse the rows themselves, so their
 * errors (a bad value, a constraint) are PostgreSQL's.  When a shard's
 * connection has more queued than it takes, the router stops reading the
 * client until it drained.
 *
 * A COPY into a sharded table whose column list leaves out a column
 * with a sequence default (serial, identity) takes that column's values
 * from the cluster-wide sequence, as an INSERT does (plan_seq.c): the
 * shards are sent the COPY with the column added, and each row gets its
 * value appended (so it routes by it when it is the vindex column).  Not
 * in binary format (0A000).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"
#include "common/pgnode.h"

/* The 19 bytes binary COPY data starts with (signature, no flags, no
 * header extension), and the 2 it ends with. */
#define BINARY_HEADER_LEN 19
static const uint8_t binary_header[BINARY_HEADER_LEN] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n', 0};
static const uint8_t binary_trailer[2] = {0xFF, 0xFF};

struct RtCopy {
	char table[64];
	const VscColumnVindex *cv; /* NULL: no vindex (pinned, reference) */
	uint32_t keytype;
	int keycol;             /* the vindex field's index in a row */
	bool csv;
	bool binary;            /* binary format: rows are tuples */
	bool binary_started;    /* the client's signature and header were read */
	bool binary_ended;      /* the client's trailer was read */
	char delim, quote, escape;
	bool header;            /* the first row is a header: every shard gets it */
	bool in_quotes;         /* CSV: the row so far ends inside quotes */
	Buf row;                /* the row being assembled */
	Buf header_row;
	int nshards;
	int shards[RT_MAX_SHARDS];
	bool ready[RT_MAX_SHARDS];  /* by shard: its COPY is waiting for data */
	Buf pending[RT_MAX_SHARDS]; /* by shard: rows not handed to libpq yet */
	/* by shard: the client's line number of each row it was sent, so that
	 * a shard's "COPY t, line N" can name the client's line */
	int64_t lines;
	struct Lines {
		int64_t n, cap;
		int64_t *at;
	} sent[RT_MAX_SHARDS];
	int nfill;                  /* columns whose values come from cluster-wide sequences */
	char fill_seq[RT_MAX_SEQ_COLUMNS][128];
	Buf filled;                 /* a row with its sequence values appended */
	bool ended;                 /* CopyDone or CopyFail came */
	char *fail_msg;             /* owned: CopyFail's message */
	bool failed;
	PgwError err;
};

/* The position of column among table's columns, and how many it has: as
 * learned before the COPY was planned (rt_types_prefetch), else asked of
 * the first shard. */
static int column_index(RtSession *s, const char *table, const char *column, int *ncols)
{
	if (rt_columns_loaded(s->rt, table)) {
		*ncols = rt_column_count(s->rt, table);
		return column ? rt_column_position(s->rt, table, column) : -1;
	}
	PgwError e;
	PGconn *pg = rt_meta_conn(s->rt, &e);
	int idx = -1;
	*ncols = 0;
	if (!pg)
		return -1;
	const char *params[1] = {table};
	PGresult *r = PQexecParams(pg,
				   "select a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid"
				   " where c.relname = $1 and a.attnum > 0 order by a.attnum",
				   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		*ncols = PQntuples(r);
		for (int i = 0; i < *ncols; i++)
			if (column && strcmp(PQgetvalue(r, i, 0), column) == 0)
				idx = i;
	}
	PQclear(r);
	if (*ncols == 0 && (*ncols = rt_column_count(s->rt, table)) > 0 && column)
		idx = rt_column_position(s->rt, table, column); /* created in the open transaction */
	return idx;
}

static void copy_free(RtCopy *cp)
{
	if (!cp)
		return;
	buf_cleanup(&cp->row);
	buf_cleanup(&cp->header_row);
	buf_cleanup(&cp->filled);
	for (int i = 0; i < RT_MAX_SHARDS; i++) {
		buf_cleanup(&cp->pending[i]);
		free(cp->sent[i].at);
	}
	free(cp->fail_msg);
	free(cp);
}

void rt_copy_free(RtSession *s)
{
	copy_free(s->copy);
	s->copy = NULL;
}

/* A COPY option's value when it is a word or string, else NULL. */
static const char *option_string(const PgQuery__DefElem *d)
{
	return d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_STRING ? d->arg->string->sval : NULL;
}

/* A COPY option's boolean value ("header" alone is true). */
static bool option_bool(const PgQuery__DefElem *d)
{
	const char *v = option_string(d);
	if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
		return d->arg->boolean->boolval;
	if (d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
		return d->arg->integer->ival != 0;
	return !v || (strcmp(v, "false") != 0 && strcmp(v, "off") != 0 && strcmp(v, "0") != 0);
}

/* Options of the COPY statement; false with e set for what is refused. */
static bool copy_options(RtCopy *cp, PgQuery__CopyStmt *st, PgwError *e)
{
	cp->delim = '\t';
	cp->quote = '"';
	cp->escape = 0;
	for (size_t i = 0; i < st->n_options; i++) {
		PgQuery__DefElem *d = st->options[i]->def_elem;
		const char *v = option_string(d);
		if (strcmp(d->defname, "format") == 0 && v) {
			if (strcmp(v, "csv") == 0) {
				cp->csv = true;
				cp->delim = ',';
			} else if (strcmp(v, "binary") == 0) {
				cp->binary = true;
			} else if (strcmp(v, "text") != 0) {
				pgw_error_set(e, "0A000", "COPY FROM STDIN in %s format through the router is not supported yet", v);
				return false;
			}
		} else if (strcmp(d->defname, "delimiter") == 0 && v && strlen(v) == 1) {
			cp->delim = v[0];
		} else if (strcmp(d->defname, "quote") == 0 && v && strlen(v) == 1) {
			cp->quote = v[0];
		} else if (strcmp(d->defname, "escape") == 0 && v && strlen(v) == 1) {
			cp->escape = v[0];
		} else if (strcmp(d->defname, "header") == 0) {
			cp->header = option_bool(d);
		}
	}
	if (!cp->escape)
		cp->escape = cp->quote;
	return true;
}

/* The sequence columns st's column list leaves out, added to it (in a),
 * their sequences in cp; false with e when they cannot be filled. */
static bool fill_columns(RtSession *s, RtCopy *cp, PgQuery__CopyStmt *st, Arena *a, PgwError *e)
{
	const VscTable *t = vsc_table(s->rt->vschema, cp->table);
	if (!st->n_attlist || !t || t->placement != VSC_SHARDED)
		return true; /* a reference table's shards each draw the same values, as its INSERTs do */
	RtSeqColumn cols[RT_MAX_SEQ_COLUMNS];
	int ncols = rt_seq_columns(s->rt, cp->table, cols);
	PgQuery__Node **list = NULL;
	for (int k = 0; k < ncols; k++) {
		bool given = false;
		for (size_t i = 0; i < st->n_attlist && !given; i++)
			given = strcmp(pgn_str(st->attlist[i]), cols[k].column) == 0;
		if (given)
			continue;
		if (cp->binary) {
			pgw_error_set(e, "0A000",
				      "COPY in binary format leaving out the sequence column \"%s\" is not supported by DoSQL",
				      cols[k].column);
			return false;
		}
		if (!list) {
			list = arena_alloc(a, sizeof(*list) * (st->n_attlist + (size_t)ncols));
			memcpy(list, st->attlist, sizeof(*list) * st->n_attlist);
		}
		list[st->n_attlist + (size_t)cp->nfill] = pgn_string(a, cols[k].column);
		if (cp->cv && strcmp(cols[k].column, cp->cv->column) == 0)
			cp->keycol = (int)st->n_attlist + cp->nfill;
		snprintf(cp->fill_seq[cp->nfill++], sizeof(cp->fill_seq[0]), "%s", cols[k].seq);
	}
	if (list) {
		st->attlist = list;
		st->n_attlist += (size_t)cp->nfill;
	}
	return true;
}

/* The row p (n bytes) with a value of each filled column appended, in
 * cp->filled; false (cp failed) when a sequence gives none. */
static bool fill_row(RtSession *s, const char *p, size_t n)
{
	RtCopy *cp = s->copy;
	buf_reset(&cp->filled);
	buf_put(&cp->filled, p, n);
	for (int k = 0; k < cp->nfill; k++) {
		int64_t v;
		if (!rt_seq_next(s->rt, cp->fill_seq[k], &v, &cp->err)) {
			cp->failed = true;
			return false;
		}
		buf_printf(&cp->filled, "%c%lld", cp->delim, (long long)v);
	}
	return true;
}

bool rt_copy_start(RtSession *s, PgQuery__CopyStmt *st, const char *text, const RtOp *route)
{
	assert(route->kind == RT_OP_COPY_IN && route->nshards > 0);
	PgwError e;
	RtCopy *cp = calloc(1, sizeof(*cp));
	if (!cp) {
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
		return false;
	}
	snprintf(cp->table, sizeof(cp->table), "%s", st->relation->relname);
	const VscTable *t = vsc_table(s->rt->vschema, cp->table);
	cp->cv = t && t->placement == VSC_SHARDED ? &t->col_vindexes[0] : NULL;
	int ncols = 0;
	cp->keycol = column_index(s, cp->table, cp->cv ? cp->cv->column : NULL, &ncols);
	if (st->n_attlist) {
		ncols = (int)st->n_attlist;
		cp->keycol = -1;
		for (size_t i = 0; cp->cv && i < st->n_attlist; i++)
			if (strcmp(st->attlist[i]->string->sval, cp->cv->column) == 0)
				cp->keycol = (int)i;
	}
	bool ok = copy_options(cp, st, &e);
	Arena arena;
	arena_init(&arena);
	PgQuery__Node **attlist = st->attlist;
	size_t nattlist = st->n_attlist;
	char *shard_text = NULL; /* the COPY with the filled columns added */
	ok = ok && fill_columns(s, cp, st, &arena, &e);
	if (ok && cp->nfill) {
		PgQuery__Node node = PG_QUERY__NODE__INIT;
		node.node_case = PG_QUERY__NODE__NODE_COPY_STMT;
		node.copy_stmt = st;
		if (!(shard_text = pgn_deparse(&node))) {
			pgw_error_set(&e, "53200", "out of memory");
			ok = false;
		}
	}
	st->attlist = attlist; /* the client's tree as it was */
	st->n_attlist = nattlist;
	arena_reset(&arena);
	if (ok && cp->cv && cp->keycol < 0) {
		pgw_error_set(&e, "0A000", "COPY into the sharded table \"%s\" must give its vindex column \"%s\"", cp->table,
			      cp->cv->column);
		ok = false;
	}
	if (!ok) {
		free(shard_text);
		copy_free(cp);
		rt_send_error(s, &e);
		return false;
	}
	if (shard_text)
		text = shard_text;
	if (cp->cv)
		cp->keytype = rt_column_type(s->rt, cp->table, cp->cv->column);
	cp->nshards = route->nshards;
	memcpy(cp->shards, route->shards, sizeof(int) * (size_t)route->nshards);
	rt_copy_free(s);
	s->copy = cp;
	s->cur_write = true;
	if (s->txn == RT_TXN_IDLE && route->nshards > 1)
		s->implicit = true; /* all rows or none */
	s->fanout = !cp->cv && route->nshards > 1; /* a reference table: one count */
	s->fanout_shard = route->shards[0];
	bool sent = rt_dispatch_each(s, text, NULL, route->shards, route->nshards, NULL, 0) || s->waiting > 0;
	free(shard_text);
	if (!sent) {
		rt_copy_free(s);
		return false;
	}
	for (int i = 0; cp->binary && i < cp->nshards; i++)
		buf_put(&cp->pending[cp->shards[i]], binary_header, BINARY_HEADER_LEN);
	PgwConn *c = pgw_evconn_conn(s->ec);
	pgw_send_copy_in_response(c, cp->binary ? 1 : 0, ncols);
	pgw_conn_copy_in(c);
	(void)pgw_evconn_flush(s->ec);
	pgw_evconn_resume_reading(s->ec);
	return true;
}

/* ------------------------------------------------------------ rows */

/* The text of field k of a row (unescaped), NULL for SQL NULL; false when
 * the row has fewer fields. */
static bool field(const RtCopy *cp, const char *p, size_t n, int k, Buf *out, bool *is_null)
{
	int idx = 0;
	size_t i = 0;
	buf_reset(out);
	*is_null = false;
	while (idx < k) {
		bool q = false;
		for (; i < n; i++) {
			if (cp->csv && p[i] == cp->quote)
				q = !q;
			else if (!cp->csv && p[i] == '\\' && i + 1 < n)
				i++;
			else if (!q && p[i] == cp->delim)
				break;
		}
		if (i >= n)
			return false;
		i++;
		idx++;
	}
	size_t start = i;
	if (cp->csv) {
		bool quoted = i < n && p[i] == cp->quote, q = false;
		for (; i < n; i++) {
			if (q && p[i] == cp->escape && i + 1 < n && p[i + 1] == cp->quote && cp->escape != cp->quote) {
				buf_put_u8(out, (uint8_t)p[++i]);
			} else if (p[i] == cp->quote) {
				if (q && cp->escape == cp->quote && i + 1 < n && p[i + 1] == cp->quote) {
					buf_put_u8(out, (uint8_t)p[++i]);
					continue;
				}
				q = !q;
			} else if (!q && p[i] == cp->delim) {
				break;
			} else {
				buf_put_u8(out, (uint8_t)p[i]);
			}
		}
		*is_null = !quoted && i == start;
		return true;
	}
	for (; i < n && p[i] != cp->delim; i++) {
		if (p[i] != '\\' || i + 1 >= n) {
			buf_put_u8(out, (uint8_t)p[i]);
			continue;
		}
		char ch = p[++i];
		if (ch == 'N' && i == start + 1 && (i + 1 == n || p[i + 1] == cp->delim)) {
			*is_null = true;
			continue;
		}
		static const char from[] = "btnrfv", to[] = "\b\t\n\r\f\v";
		const char *f = strchr(from, ch);
		buf_put_u8(out, (uint8_t)(f && ch ? to[f - from] : ch));
	}
	return true;
}

/* Hand a shard's pending rows to libpq. */
static void push(RtSession *s, int shard)
{
	RtCopy *cp = s->copy;
	RtBackend *b = s->backends[shard];
	Buf *pb = &cp->pending[shard];
	if (!cp->ready[shard] || !b || pb->len == 0)
		return;
	if (PQputCopyData(b->pg, (const char *)pb->data, (int)pb->len) != 1) {
		pgw_error_set(&cp->err, "08006", "could not send COPY data to shard \"%s\": %s",
			      vsc_shard(s->rt->vschema, shard)->name, PQerrorMessage(b->pg));
		cp->failed = true;
	}
	buf_reset(pb);
	rt_backend_flush(b);
}

/* Note that shard got the client's current line. */
static void sent_line(RtCopy *cp, int shard)
{
	struct Lines *l = &cp->sent[shard];
	if (l->n == l->cap) {
		int64_t cap = l->cap ? l->cap * 2 : 1024;
		int64_t *at = realloc(l->at, sizeof(int64_t) * (size_t)cap);
		if (!at)
			return;
		l->at = at;
		l->cap = cap;
	}
	l->at[l->n++] = cp->lines;
}

static void send_row(RtSession *s, const char *p, size_t n, bool newline, bool have, bool is_null, const uint8_t *key,
		     size_t keylen);

/* Route one complete row (without its newline). */
static void route_row(RtSession *s, const char *p, size_t n)
{
	RtCopy *cp = s->copy;
	if (cp->failed)
		return;
	cp->lines++;
	if (cp->header && !cp->header_row.len) {
		buf_put(&cp->header_row, p, n);
		buf_put_u8(&cp->header_row, '\n');
		for (int i = 0; i < cp->nshards; i++) {
			buf_put(&cp->pending[cp->shards[i]], cp->header_row.data, cp->header_row.len);
			sent_line(cp, cp->shards[i]);
		}
		return;
	}
	if (!cp->csv && n == 2 && p[0] == '\\' && p[1] == '.')
		return; /* the old end-of-data marker */
	if (cp->nfill) {
		if (!fill_row(s, p, n))
			return;
		p = (const char *)cp->filled.data;
		n = cp->filled.len;
	}
	Buf v;
	bool is_null = false;
	buf_init(&v);
	bool have = !cp->cv || field(cp, p, n, cp->keycol, &v, &is_null);
	send_row(s, p, n, true, have, is_null, (const uint8_t *)v.data, v.len);
	buf_cleanup(&v);
}

/* Send a row (its bytes, with a newline when `newline`) to the shard its
 * vindex value (key, in text or binary form as the COPY's format) places
 * it on, or to every shard of the COPY when the table has no vindex.
 * `have` is false when the row has no such field. */
static void send_row(RtSession *s, const char *p, size_t n, bool newline, bool have, bool is_null, const uint8_t *key,
		     size_t keylen)
{
	RtCopy *cp = s->copy;
	int targets[RT_MAX_SHARDS], nt = 0;
	if (cp->cv) {
		uint64_t ksid;
		VscError ve;
		uint32_t type = cp->keytype ? cp->keytype : 25;
		bool placed = have && !is_null &&
			      (cp->binary ? vsc_ksid_binary(cp->cv->vindex, type, key, keylen, &ksid, &ve)
					  : vsc_ksid_text(cp->cv->vindex, type, (const char *)key, keylen, &ksid, &ve));
		if (have && is_null) {
			targets[nt++] = vsc_shard_for_ksid(s->rt->vschema, 0); /* a NULL key: the shard of keyspace id 0 */
		} else if (!have) {
			/* the shard would report a short row itself */
			pgw_error_set(&cp->err, "22P04", "missing data for column \"%s\"", cp->cv->column);
			cp->failed = true;
		} else if (!placed) {
			pgw_error_set(&cp->err, "XX000", "%s", ve.msg);
			memcpy(cp->err.sqlstate, ve.sqlstate, 5);
			cp->failed = true;
		} else {
			targets[nt++] = vsc_shard_for_ksid(s->rt->vschema, ksid);
		}
	} else {
		memcpy(targets, cp->shards, sizeof(int) * (size_t)cp->nshards);
		nt = cp->nshards;
	}
	for (int i = 0; i < nt; i++) {
		buf_put(&cp->pending[targets[i]], p, n);
		if (newline)
			buf_put_u8(&cp->pending[targets[i]], '\n');
		sent_line(cp, targets[i]);
	}
}

/* Binary format: the client's signature and header, then whole tuples as
 * they are complete in cp->row (each placed by its vindex field), then the
 * trailer; what is not complete yet waits for the next CopyData. */
static void binary_rows(RtSession *s)
{
	RtCopy *cp = s->copy;
	const uint8_t *p = cp->row.data;
	size_t n = cp->row.len, off = 0;
	if (!cp->binary_started) {
		if (n < BINARY_HEADER_LEN)
			return;
		uint32_t extlen = rd_be32(p + 15);
		if (memcmp(p, binary_header, 11) != 0) {
			pgw_error_set(&cp->err, "22P04", "COPY file signature not recognized");
			cp->failed = true;
			return;
		}
		if ((size_t)BINARY_HEADER_LEN + extlen > n)
			return;
		off = BINARY_HEADER_LEN + extlen;
		cp->binary_started = true;
	}
	while (!cp->failed && !cp->binary_ended && off + 2 <= n) {
		int16_t nf = (int16_t)((p[off] << 8) | p[off + 1]);
		if (nf == -1) {
			cp->binary_ended = true;
			off = n; /* nothing may follow the trailer */
			break;
		}
		size_t at = off + 2, key = 0, keylen = 0;
		bool complete = true, is_null = false;
		for (int f = 0; f < nf; f++) {
			if (at + 4 > n) {
				complete = false;
				break;
			}
			int32_t len = (int32_t)rd_be32(p + at);
			at += 4;
			if (f == cp->keycol) {
				is_null = len < 0;
				key = at;
				keylen = len < 0 ? 0 : (size_t)len;
			}
			if (len > 0) {
				if (at + (size_t)len > n) {
					complete = false;
					break;
				}
				at += (size_t)len;
			}
		}
		if (!complete)
			break;
		cp->lines++;
		send_row(s, (const char *)p + off, at - off, false, !cp->cv || cp->keycol < nf, is_null, p + key, keylen);
		off = at;
	}
	buf_consume(&cp->row, off);
}

void rt_copy_error_line(RtSession *s, int shard, PgwError *e)
{
	RtCopy *cp = s->copy;
	char *at = cp ? strstr(e->where, ", line ") : NULL;
	if (!at || strncmp(e->where, "COPY ", 5) != 0)
		return;
	char *end;
	long long n = strtoll(at + 7, &end, 10);
	if (n < 1 || n > cp->sent[shard].n)
		return;
	char rest[sizeof(e->where)];
	snprintf(rest, sizeof(rest), "%s", end);
	snprintf(at, sizeof(e->where) - (size_t)(at - e->where), ", line %lld%s", (long long)cp->sent[shard].at[n - 1], rest);
}

void rt_copy_data(RtSession *s, const uint8_t *data, size_t len)
{
	RtCopy *cp = s->copy;
	if (!cp)
		return;
	if (cp->binary) {
		if (!cp->failed) {
			buf_put(&cp->row, data, len);
			binary_rows(s);
		}
		len = 0;
	}
	for (size_t i = 0; i < len; i++) {
		char ch = (char)data[i];
		if (cp->csv && ch == cp->quote)
			cp->in_quotes = !cp->in_quotes;
		if (ch == '\n' && !cp->in_quotes) {
			size_t n = cp->row.len;
			if (n && cp->row.data[n - 1] == '\r')
				n--;
			route_row(s, (const char *)cp->row.data, n);
			buf_reset(&cp->row);
			continue;
		}
		buf_put_u8(&cp->row, (uint8_t)ch);
	}
	bool backlog = false;
	for (int i = 0; i < cp->nshards; i++) {
		int sh = cp->shards[i];
		if (cp->pending[sh].len >= (64u << 10))
			push(s, sh);
		backlog = backlog || cp->pending[sh].len >= (4u << 20) ||
			  (s->backends[sh] && PQisnonblocking(s->backends[sh]->pg) && rt_backend_backlog(s->backends[sh]));
	}
	if (backlog)
		pgw_evconn_pause_reading(s->ec); /* resumed by rt_copy_drained */
}

void rt_copy_drained(RtSession *s)
{
	RtCopy *cp = s->copy;
	if (!cp || cp->ended)
		return;
	for (int i = 0; i < cp->nshards; i++)
		if (s->backends[cp->shards[i]] && rt_backend_backlog(s->backends[cp->shards[i]]))
			return;
	pgw_evconn_resume_reading(s->ec);
}

/* End the shard's COPY: its last rows, then CopyDone (or CopyFail). */
static void finish_shard(RtSession *s, int shard)
{
	RtCopy *cp = s->copy;
	RtBackend *b = s->backends[shard];
	if (!cp->ready[shard] || !b)
		return;
	push(s, shard);
	cp->ready[shard] = false;
	const char *why = cp->fail_msg ? cp->fail_msg : cp->failed ? "the router refused a row" : NULL;
	if (cp->binary && !why && PQputCopyData(b->pg, (const char *)binary_trailer, sizeof(binary_trailer)) != 1)
		why = "the trailer could not be sent";
	PQputCopyEnd(b->pg, why);
	rt_backend_copy_done(b);
}

void rt_copy_ready(RtSession *s, RtBackend *b)
{
	RtCopy *cp = s->copy;
	if (!cp)
		return;
	cp->ready[b->shard] = true;
	if (cp->ended)
		finish_shard(s, b->shard);
	else
		push(s, b->shard);
}

void rt_copy_end(RtSession *s, const char *fail)
{
	RtCopy *cp = s->copy;
	if (!cp)
		return;
	if (cp->binary && !fail && !cp->failed && (!cp->binary_ended || cp->row.len)) {
		pgw_error_set(&cp->err, "22P04", cp->binary_ended ? "received copy data after EOF marker"
								  : "unexpected EOF in COPY data");
		cp->failed = true;
	} else if (cp->row.len && !fail && !cp->binary) {
		route_row(s, (const char *)cp->row.data, cp->row.len); /* a last row without newline */
	}
	buf_reset(&cp->row);
	cp->ended = true;
	if (fail)
		cp->fail_msg = strdup(fail);
	if (cp->failed && !s->stmt_error)
		rt_send_error(s, &cp->err);
	for (int i = 0; i < cp->nshards; i++)
		finish_shard(s, cp->shards[i]);
	pgw_evconn_pause_reading(s->ec); /* until the shards answer */
}

/* ---------------------------------------------------------------- COPY TO */


static bool copy_query_start(RtSession *s, PgQuery__CopyStmt *st, const RtOp *query, const RtParams *params);

bool rt_copy_out_start(RtSession *s, PgQuery__CopyStmt *st, const RtOp *op, const RtExecArgs *a)
{
	const RtOp *input = op->input;
	bool merge = input->kind != RT_OP_ROUTE; /* the query has a final step in the router */
	assert(op->kind == RT_OP_COPY_OUT && input);
	memset(&s->copy_out, 0, sizeof(s->copy_out));
	s->copy_out.delim = '\t';
	for (size_t i = 0; i < st->n_options; i++) {
		const PgQuery__DefElem *d = st->options[i]->def_elem;
		const char *v = option_string(d);
		if (strcmp(d->defname, "format") == 0 && v) {
			s->copy_out.binary = strcmp(v, "binary") == 0;
			s->copy_out.csv = strcmp(v, "csv") == 0;
			if (s->copy_out.csv)
				s->copy_out.delim = ',';
		} else if (strcmp(d->defname, "header") == 0) {
			s->copy_out.header = option_bool(d);
		} else if (strcmp(d->defname, "delimiter") == 0 && v && strlen(v) == 1) {
			s->copy_out.delim = v[0];
		} else if (merge && strcmp(d->defname, "format") != 0) {
			PgwError e;
			pgw_error_set(&e, "0A000", "COPY (query) TO STDOUT with the option %s through the router is not supported",
				      d->defname);
			rt_send_error(s, &e);
			return false;
		}
	}
	s->copy_out.on = true;
	if (merge ? copy_query_start(s, st, input, a->params)
		  : rt_dispatch(s, a->text, input->shards, input->nshards, NULL, 0))
		return true;
	memset(&s->copy_out, 0, sizeof(s->copy_out));
	return false;
}

/* COPY (query) TO STDOUT whose query has its final step in the router: the
 * query runs as a read does, its rows kept (a capture without a cursor
 * name), and rt_copy_out_rows writes them as this COPY's data; false after
 * an error was sent. */
static bool copy_query_start(RtSession *s, PgQuery__CopyStmt *st, const RtOp *query, const RtParams *params)
{
	PgwError e;
	if (s->copy_out.binary) {
		pgw_error_set(&e, "0A000",
			      "COPY (query) TO STDOUT in binary format of a query with a final step in the router is not supported");
		rt_send_error(s, &e);
		return false;
	}
	char *text = pgn_deparse(st->query);
	if (!text || !rt_cursor_capture_start(s)) {
		free(text);
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
		return false;
	}
	s->copy_out.final = true;
	bool started = rt_merge_start(s, query, text, params);
	free(text);
	if (!started)
		rt_cursor_abandon(s); /* rt_merge_start sent the error */
	return started;
}

/* Append one COPY field: text format escapes backslashes, control
 * characters and the delimiter; CSV quotes a field holding the delimiter,
 * a quote, a newline or nothing, doubling its quotes. */
static void put_copy_field(Buf *b, const char *v, size_t n, bool csv, char delim)
{
	if (csv) {
		bool quote = n == 0;
		for (size_t i = 0; i < n && !quote; i++)
			quote = v[i] == delim || v[i] == '"' || v[i] == '\n' || v[i] == '\r';
		if (!quote) {
			buf_put(b, v, n);
			return;
		}
		buf_put_u8(b, '"');
		for (size_t i = 0; i < n; i++) {
			if (v[i] == '"')
				buf_put_u8(b, '"');
			buf_put_u8(b, (uint8_t)v[i]);
		}
		buf_put_u8(b, '"');
		return;
	}
	static const char from[] = "\b\f\n\r\t\v\\", to[] = "bfnrtv\\";
	for (size_t i = 0; i < n; i++) {
		const char *f = v[i] ? strchr(from, v[i]) : NULL;
		if (f) {
			buf_put_u8(b, '\\');
			buf_put_u8(b, (uint8_t)to[f - from]);
		} else if (v[i] == delim) {
			buf_put_u8(b, '\\');
			buf_put_u8(b, (uint8_t)v[i]);
		} else {
			buf_put_u8(b, (uint8_t)v[i]);
		}
	}
}

void rt_copy_out_rows(RtSession *s, const Buf *rowdesc, const Buf *rows)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	bool csv = s->copy_out.csv;
	char delim = s->copy_out.delim;
	int ncols = rowdesc->len >= 7 ? (int)rd_be16(rowdesc->data + 5) : 0;
	pgw_send_copy_out_response(c, 0, ncols);
	Buf line;
	buf_init(&line);
	if (s->copy_out.header && rowdesc->len >= 7) {
		/* the column names, from the RowDescription */
		size_t off = 7;
		for (int i = 0; i < ncols && off < rowdesc->len; i++) {
			const char *name = (const char *)rowdesc->data + off;
			size_t n = strnlen(name, rowdesc->len - off);
			if (i)
				buf_put_u8(&line, (uint8_t)delim);
			put_copy_field(&line, name, n, csv, delim);
			off += n + 1 + 18;
		}
		buf_put_u8(&line, '\n');
		pgw_send_copy_data(c, line.data, line.len);
	}
	int64_t count = 0;
	for (size_t off = 0; off + 7 <= rows->len; count++) {
		const uint8_t *m = rows->data + off;
		size_t len = (size_t)rd_be32(m + 1) + 1, at = 7;
		int nf = rd_be16(m + 5);
		buf_reset(&line);
		for (int i = 0; i < nf && at + 4 <= len; i++) {
			int32_t n = (int32_t)rd_be32(m + at);
			at += 4;
			if (i)
				buf_put_u8(&line, (uint8_t)delim);
			if (n < 0) {
				if (!csv)
					buf_put_str(&line, "\\N");
				continue;
			}
			put_copy_field(&line, (const char *)m + at, (size_t)n, csv, delim);
			at += (size_t)n;
		}
		buf_put_u8(&line, '\n');
		pgw_send_copy_data(c, line.data, line.len);
		off += len;
		if (c->out.len > (256u << 10))
			(void)pgw_evconn_flush(s->ec);
	}
	buf_cleanup(&line);
	pgw_send_copy_done(c);
	snprintf(s->tag, sizeof(s->tag), "COPY %lld", (long long)count);
	s->rowdesc_sent = false;
	s->count_sum = 0;
	memset(&s->copy_out, 0, sizeof(s->copy_out));
}

void rt_copy_out_response(RtSession *s, RtBackend *b, const PGresult *r)
{
	b->copy_started = false;
	if (s->copy_out.response_sent || s->stmt_error)
		return;
	pgw_send_copy_out_response(pgw_evconn_conn(s->ec), (int16_t)PQbinaryTuples(r), PQnfields(r));
	s->copy_out.response_sent = true;
}

/* The client sees one stream: the header (HEADER line, or binary format's
 * signature) of whichever shard's data came first, every shard's rows, and
 * (binary) one trailer, sent by rt_copy_out_end. */
static void copy_out_send(RtSession *s, const uint8_t *data, size_t len);

void rt_copy_out_data(RtSession *s, RtBackend *b, const uint8_t *data, size_t len)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	if (s->stmt_error)
		return;
	bool first = !b->copy_started, lead = !s->copy_out.any_data;
	b->copy_started = true;
	s->copy_out.any_data = true;
	if (first && s->copy_out.binary && len >= BINARY_HEADER_LEN) {
		/* one signature, in the same CopyData as the first row (as
		 * PostgreSQL sends it, and as psycopg reads it) */
		s->copy_out.signature_held = s->copy_out.signature_held || lead;
		data += BINARY_HEADER_LEN;
		len -= BINARY_HEADER_LEN;
	} else if (first && s->copy_out.header) {
		if (lead)
			pgw_send_copy_data(c, data, len);
		return;
	}
	if (s->copy_out.binary && len == sizeof(binary_trailer) && memcmp(data, binary_trailer, len) == 0)
		return;
	if (len)
		copy_out_send(s, data, len);
	if (c->out.len > (256u << 10))
		(void)pgw_evconn_flush(s->ec);
}

/* CopyData to the client, with the held binary signature ahead of it. */
static void copy_out_send(RtSession *s, const uint8_t *data, size_t len)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	if (!s->copy_out.signature_held) {
		pgw_send_copy_data(c, data, len);
		return;
	}
	s->copy_out.signature_held = false;
	Buf m;
	buf_init(&m);
	buf_put(&m, binary_header, BINARY_HEADER_LEN);
	buf_put(&m, data, len);
	pgw_send_copy_data(c, m.data, m.len);
	buf_cleanup(&m);
}

void rt_copy_out_end(RtSession *s)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	if (s->copy_out.final)
		return; /* its rows are still to come from the final step */
	if (s->copy_out.response_sent && !s->stmt_error) {
		if (s->copy_out.binary && s->copy_out.signature_held)
			copy_out_send(s, binary_trailer, sizeof(binary_trailer)); /* no rows */
		else if (s->copy_out.binary)
			pgw_send_copy_data(c, binary_trailer, sizeof(binary_trailer));
		pgw_send_copy_done(c);
	}
	memset(&s->copy_out, 0, sizeof(s->copy_out));
}
