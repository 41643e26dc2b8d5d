/*
 * session.c - a client session of the router: the PgwHandler callbacks
 * (start-up, Query, COPY data, CancelRequest), the statements of a simple
 * query run one after the other (run_next), each dispatched to the shards
 * of its route, and the shards' results relayed to the client: rows as they
 * come, merged in order (ordered) or kept for a final step in the router
 * (merge), errors with their fields, command tags with the rows of every
 * shard added up.  Also the router's own answers: SHOW VSCHEMA, STATS,
 * POOLS, PLAN_CACHE and TRANSACTIONS, EXPLAIN's DoSQL lines ahead of the
 * shards' plans, and the NOTICE for a table outside the VSchema.
 * Transactions over several shards are coordinated by txn.c, the extended
 * protocol is extended.c, COPY copy.c, cursors cursor.c.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "router/ops.h"
#include "router/replication.h"
#include "router/router.h"
#include "pgsql/pgtype.h"

static void run_next(RtSession *s);
static void catalog_ready(void *arg, bool cancelled);

char rt_txn_status(const RtSession *s)
{
	if (s->implicit)
		return 'I';
	return s->txn == RT_TXN_BLOCK ? 'T' : s->txn == RT_TXN_FAILED ? 'E' : 'I';
}

static void flush(RtSession *s) { (void)pgw_evconn_flush(s->ec); }

static PgwConn *conn(RtSession *s) { return pgw_evconn_conn(s->ec); }
static void report_changes(RtSession *s, RtBackend *b);

void rt_send_error(RtSession *s, const PgwError *e)
{
	pgw_send_error(conn(s), e);
	rt_metrics_error(&s->rt->ops->m, e->sqlstate);
	s->stmt_error = true;
	if (s->nparts > 0 && (strcmp(e->sqlstate, "40001") == 0 || strcmp(e->sqlstate, "40P01") == 0))
		s->retry_ts = s->txn_ts;
	if (s->kmerge)
		rt_kmerge_release(s);
}

void rt_send_ready(RtSession *s)
{
	char status = rt_txn_status(s);
	if (status == 'I' && s->waiting == 0 && s->nparts == 0 && !s->copy) {
		if (!s->keeps_backends)
			rt_pool_release_all(s);
		rt_cursor_txn_end(s);
	}
	pgw_send_ready(conn(s), status);
	s->stmt_start_us = 0; /* the next statement starts at its first reset */
	if (status == 'I' && s->rt->ops->draining && rt_session_is_idle(s))
		rt_ops_session_idle(s->rt->ops, s); /* a drain closes it now */
}

/* 1-based character count of the first n bytes of s. */
static int chars(const char *s, int n)
{
	int c = 0;
	for (int i = 0; i < n && s[i]; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* ---------------------------------------------------------------- results */

void rt_pg_error(const PGresult *r, PgwError *e)
{
	const char *f;
	memset(e, 0, sizeof(*e));
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	memcpy(e->sqlstate, state && strlen(state) == 5 ? state : "XX000", 5);
	f = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(e->message, sizeof(e->message), "%s", f ? f : PQresultErrorMessage(r));
	if ((f = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)))
		snprintf(e->detail, sizeof(e->detail), "%s", f);
	if ((f = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT)))
		snprintf(e->hint, sizeof(e->hint), "%s", f);
	if ((f = PQresultErrorField(r, PG_DIAG_CONTEXT)))
		snprintf(e->where, sizeof(e->where), "%s", f);
	if ((f = PQresultErrorField(r, PG_DIAG_SCHEMA_NAME)))
		snprintf(e->schema, sizeof(e->schema), "%s", f);
	if ((f = PQresultErrorField(r, PG_DIAG_TABLE_NAME)))
		snprintf(e->table, sizeof(e->table), "%s", f);
	if ((f = PQresultErrorField(r, PG_DIAG_COLUMN_NAME)))
		snprintf(e->column, sizeof(e->column), "%s", f);
	if ((f = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME)))
		snprintf(e->constraint, sizeof(e->constraint), "%s", f);
}

/* The shape whose tree the query runs with, or NULL (its own text's tree). */
static struct RtShape *query_shape(const RtSession *s) { return s->shape && s->shape->key ? s->shape : NULL; }

static void relay_error(RtSession *s, RtBackend *b, PGresult *r)
{
	PgwError e;
	rt_pg_error(r, &e);
	const RtShape *sh = b->shaped ? query_shape(s) : NULL;
	int param;
	if (sh && sscanf(e.where, "unnamed portal parameter $%d", &param) == 1 && param >= 1 && param <= sh->n) {
		/* a literal the shard took as a parameter: PostgreSQL points
		 * at the literal */
		e.where[0] = 0;
		e.position = rt_shape_literal_position(sh, param - 1);
	}
	rt_copy_error_line(s, b->shard, &e);
	const char *f = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
	if (f) {
		/* the shard counted from the start of what it was sent */
		int p = atoi(f) - b->prefix_chars - b->begin_chars;
		if (sh)
			p = rt_shape_text_position(sh, p);
		if (p > 0)
			e.position = p + s->stmt_char_offset;
	}
	rt_send_error(s, &e);
}

/* RowDescription of r's first n columns (text format). */
/* The RowDescription of r's fields first .. first + n. */
static void row_description_from(RtSession *s, const PGresult *r, int first, int n)
{
	PgwField few[16], *f = n <= 16 ? few : calloc((size_t)n, sizeof(PgwField));
	if (!f) {
		PgwError e;
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
		return;
	}
	for (int i = 0; i < n; i++) {
		f[i].name = PQfname(r, first + i);
		f[i].table_oid = PQftable(r, first + i);
		f[i].attnum = (int16_t)PQftablecol(r, first + i);
		f[i].type_oid = PQftype(r, first + i);
		f[i].typlen = (int16_t)PQfsize(r, first + i);
		f[i].typmod = PQfmod(r, first + i);
		f[i].format = 0;
	}
	size_t from = conn(s)->out.len;
	pgw_send_row_description(conn(s), n, f);
	if (f != few)
		free(f);
	if (s->capture)
		rt_cursor_capture_rowdesc(s, from); /* a DECLARE's: kept with the cursor */
	s->rowdesc_sent = true;
}

void rt_row_description(RtSession *s, PGresult *r, int n) { row_description_from(s, r, 0, n); }

/* Where the next row of the statement goes: out to the client, or, beyond
 * an Execute's row limit, into the portal for the next Execute. */
Buf *rt_row_buf(RtSession *s)
{
	s->rows++;
	if (s->capture)
		return rt_cursor_row_buf(s);
	if (s->portal && s->maxrows > 0 && s->rows_sent >= s->maxrows) {
		s->portal->nbuffered++;
		return &s->portal->rows;
	}
	s->rows_sent++;
	return &conn(s)->out;
}

/* Row t of r as a DataRow appended to out; with transcode (a portal mixing
 * text and binary result columns, which the shards answered in text), each
 * column in the format the portal asked for.  False with err when a value
 * has no binary form. */
static bool data_row_from(Buf *out, const PGresult *r, int t, int first, const RtPortal *transcode, PgwError *err)
{
	int nf = PQnfields(r) - first;
	buf_msg_begin(out, 'D');
	buf_put_u16(out, (uint16_t)nf);
	for (int k = 0; k < nf; k++) {
		int i = first + k;
		if (PQgetisnull(r, t, i)) {
			buf_put_u32(out, 0xFFFFFFFFu);
			continue;
		}
		const char *v = PQgetvalue(r, t, i);
		size_t n = (size_t)PQgetlength(r, t, i);
		if (!transcode || PQfformat(r, i) != 0 || rt_portal_format(transcode, k) == 0) {
			buf_put_u32(out, (uint32_t)n);
			buf_put(out, v, n);
			continue;
		}
		size_t at = out->len;
		PgtError pe;
		buf_put_u32(out, 0); /* the length, once known */
		if (!pgt_text_to_binary(out, v, n, PQftype(r, i), PQfmod(r, i), NULL, &pe)) {
			out->len = out->msg_start - 1; /* no part of the row */
			pgw_error_set(err, pe.sqlstate, "%s", pe.msg);
			return false;
		}
		if (!out->failed) {
			uint32_t len = (uint32_t)(out->len - at - 4);
			out->data[at] = (uint8_t)(len >> 24);
			out->data[at + 1] = (uint8_t)(len >> 16);
			out->data[at + 2] = (uint8_t)(len >> 8);
			out->data[at + 3] = (uint8_t)len;
		}
	}
	buf_msg_end(out);
	return true;
}

static bool data_row(Buf *out, const PGresult *r, int t, const RtPortal *transcode, PgwError *err)
{
	return data_row_from(out, r, t, 0, transcode, err);
}

bool rt_send_rows_from(RtSession *s, const PGresult *r, int first)
{
	if (!s->rowdesc_sent && (!s->portal || s->capture))
		row_description_from(s, r, first, PQnfields(r) - first);
	s->rowdesc_sent = true;
	for (int t = 0; t < PQntuples(r); t++) {
		PgwError e;
		Buf *out = rt_row_buf(s);
		if (!data_row_from(out, r, t, first, s->portal, &e)) {
			rt_send_error(s, &e);
			return false;
		}
	}
	return true;
}

/* A split INSERT ... RETURNING: each shard's rows (DataRows), sent in the
 * order of the VALUES rows once every shard answered. */
struct RtOrdered {
	int n;
	int *row_shard; /* owned: the shard of each VALUES row */
	Buf *rows;      /* by shard */
	size_t *at;     /* by shard: the next row to send */
};

void rt_ordered_start(RtSession *s, const RtOp *op)
{
	struct RtOrdered *o = calloc(1, sizeof(*o));
	if (o) {
		o->rows = calloc((size_t)s->nshards, sizeof(Buf));
		o->at = calloc((size_t)s->nshards, sizeof(size_t));
		o->row_shard = malloc(sizeof(int) * ((size_t)op->nreturning + 1));
	}
	if (!o || !o->rows || !o->at || !o->row_shard) {
		if (o) {
			free(o->rows);
			free(o->at);
			free(o->row_shard);
		}
		free(o);
		return; /* rows go out as they come */
	}
	o->n = op->nreturning;
	memcpy(o->row_shard, op->returning_shards, sizeof(int) * (size_t)op->nreturning);
	s->ordered = o;
}

static void ordered_free(RtSession *s, struct RtOrdered *o)
{
	if (!o)
		return;
	for (int k = 0; k < s->nshards; k++)
		buf_cleanup(&o->rows[k]);
	free(o->rows);
	free(o->at);
	free(o->row_shard);
	free(o);
}

/* Send the kept rows in VALUES order (unless the statement failed) and
 * free them; the tag counts them. */
static void ordered_finish(RtSession *s)
{
	struct RtOrdered *o = s->ordered;
	s->ordered = NULL;
	uint64_t sent = 0;
	for (int i = 0; i < o->n && !s->stmt_error; i++) {
		int k = o->row_shard[i];
		Buf *b = &o->rows[k];
		if (o->at[k] + 5 > b->len)
			continue; /* a row the shard did not return */
		size_t len = (size_t)rd_be32(b->data + o->at[k] + 1) + 1;
		buf_put(rt_row_buf(s), b->data + o->at[k], len);
		o->at[k] += len;
		sent++;
	}
	if (sent)
		s->count_sum = sent;
	ordered_free(s, o);
}

void rt_session_result(RtSession *s, RtBackend *b, PGresult *r)
{
	PgwConn *c = conn(s);
	if (rt_txn_result(s, b, r) || rt_move_result(s, b, r) || rt_lookup_result(s, b, r))
		return;
	if (s->stmt_error)
		return; /* the statement failed on another shard: its error is out */
	if (rt_exec_result(s, b, r))
		return; /* the rows of a merge or a final step */
	switch (PQresultStatus(r)) {
	case PGRES_SINGLE_TUPLE:
	case PGRES_TUPLES_OK: {
		if (!s->rowdesc_sent && (!s->portal || s->capture))
			rt_row_description(s, r, PQnfields(r));
		s->rowdesc_sent = true;
		int ntuples = s->fanout && b->shard != s->fanout_shard ? 0 : PQntuples(r);
		for (int t = 0; t < ntuples; t++) {
			PgwError e;
			if (s->ordered) {
				if (!data_row(&s->ordered->rows[b->shard], r, t,
					      s->portal && s->portal->transcode ? s->portal : NULL, &e)) {
					rt_send_error(s, &e);
					return;
				}
				continue;
			}
			Buf *out = rt_row_buf(s);
			if (!data_row(out, r, t, s->portal && s->portal->transcode ? s->portal : NULL, &e)) {
				s->rows--;
				if (out == &s->portal->rows)
					s->portal->nbuffered--;
				else
					s->rows_sent--;
				rt_send_error(s, &e);
				return;
			}
		}
		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			const char *tag = PQcmdStatus(r);
			if (!s->tag[0] || strncmp(tag, "SELECT", 6) != 0)
				buf_copy_str(s->tag, sizeof(s->tag), tag);
		}
		if (c->out.len > (256u << 10))
			flush(s);
		break;
	}
	case PGRES_COMMAND_OK: {
		const char *tag = PQcmdStatus(r);
		if (s->fanout && s->tag[0]) {
			/* one tag for every shard; a transaction that rolled back
			 * anywhere rolled back */
			if (strcmp(tag, "ROLLBACK") == 0)
				buf_copy_str(s->tag, sizeof(s->tag), tag);
			break;
		}
		/* a count from several shards (never more than one write shard today) */
		const char *sp = strrchr(tag, ' ');
		if (s->tag[0] && sp && strncmp(s->tag, tag, (size_t)(sp - tag)) == 0)
			s->count_sum += strtoull(sp + 1, NULL, 10);
		else {
			buf_copy_str(s->tag, sizeof(s->tag), tag);
			s->count_sum = sp ? strtoull(sp + 1, NULL, 10) : 0;
		}
		break;
	}
	case PGRES_EMPTY_QUERY:
		s->tag[0] = 0;
		break;
	case PGRES_FATAL_ERROR:
		relay_error(s, b, r);
		break;
	default: {
		PgwError e;
		pgw_error_set(&e, "0A000", "%s through the router is not supported yet",
			      PQresultStatus(r) == PGRES_COPY_OUT ? "COPY TO STDOUT" : "this COPY");
		rt_send_error(s, &e);
		break;
	}
	}
}

static bool is_txn_end(PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return false;
	PgQuery__TransactionStmtKind k = n->transaction_stmt->kind;
	return k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT ||
	       k == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK;
}

/* The next intermediate result im of a gather fetches by the keys of
 * those before it: the router's engine selects them, and its statement
 * goes with them as parameters to its shards (those of the keys, when
 * they are its vindex column's).  True when results will come. */
static bool gather_keyed(RtSession *s, const RtOp *im)
{
	const RtOp *leaf = im->input;
	Buf out;
	buf_init(&out);
	RtSubValues v;
	PgwError e;
	(void)rt_merge_finish(s->merge, im->keys_sql, NULL, &out);
	bool ok = rt_subquery_values(&out, im, s->rt->vschema, &v, &e);
	int shards[RT_MAX_SHARDS], n = rt_subquery_shards(&v, leaf, shards);
	if (ok)
		ok = rt_dispatch(s, leaf->sql, shards, n, &v.params, 0);
	rt_subquery_values_cleanup(&v);
	buf_cleanup(&out);
	if (!ok && !s->stmt_error)
		rt_send_error(s, &e);
	return ok && s->waiting > 0;
}

/* A gather's intermediate result is in: the next one's statement goes to
 * its shards (true), or the final step runs now (false). */
static bool gather_step(RtSession *s)
{
	const RtOp *next = s->gather->next;
	if (!s->stmt_error && s->gather->sql)
		rt_merge_index(s->merge, s->gather->sql);
	if (s->stmt_error || !next) {
		if (!s->stmt_error)
			rt_merge_analyze(s->merge); /* the final step's join order by the rows loaded */
		s->gather = NULL;
		return false;
	}
	s->gather = next;
	if (!rt_merge_table(s->merge, next->table)) {
		PgwError e;
		pgw_error_set(&e, "XX000", "the intermediate result \"%s\" could not be made", next->table);
		rt_send_error(s, &e);
		return false;
	}
	const RtOp *leaf = next->input;
	if (next->keys_sql)
		return gather_keyed(s, next);
	return rt_dispatch(s, leaf->sql, leaf->shards, leaf->nshards, NULL, 0) && s->waiting > 0;
}

/* The statement finished on every shard it ran on. */
/* Transaction state and SET replay after a statement, failed or not. */
void rt_statement_finished(RtSession *s)
{
	rt_metrics_statement_end(s);
	rt_txn_statement_done(s);
	if (s->stmt_error) {
		s->query_failed = true;
		if (is_txn_end(s->cur)) {
			s->txn = RT_TXN_IDLE;
			rt_txn_reset(s);
		} else if (s->txn == RT_TXN_BLOCK) {
			s->txn = RT_TXN_FAILED;
		}
		return;
	}
	if (s->cur && s->cur->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT && s->cur_text) {
		/* it held on one shard: replay it on every connection of the session */
		s->sets = realloc(s->sets, sizeof(char *) * (size_t)(s->nsets + 1));
		s->sets[s->nsets++] = strdup(s->cur_text);
		/* the shard that ran it has it already */
		int ran = rt_txn_first(s) >= 0 ? rt_txn_first(s) : 0;
		if (s->backends[ran])
			s->backends[ran]->applied_sets = s->nsets;
		report_changes(s, s->backends[ran]);
	}
	if (is_txn_end(s->cur)) {
		s->txn = RT_TXN_IDLE;
		rt_txn_reset(s);
	} else if (s->cur && s->cur->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT && s->txn == RT_TXN_FAILED &&
		   s->cur->transaction_stmt->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO) {
		s->txn = RT_TXN_BLOCK;
	}
}

/* The CommandComplete tag of the statement that just finished. */
void rt_statement_tag(RtSession *s, int64_t rows, char *tag, size_t n)
{
	const char *sp = strrchr(s->tag, ' ');
	size_t len;
	uint64_t count;
	if (s->rowdesc_sent && strncmp(s->tag, "SELECT", 6) == 0 && rows >= 0) {
		len = 6;
		count = (uint64_t)rows;
	} else if (s->count_sum && sp) {
		len = (size_t)(sp - s->tag);
		count = s->count_sum;
	} else {
		buf_copy_str(tag, n, s->tag);
		return;
	}
	if (n < len + 22) {
		snprintf(tag, n, "%.*s %llu", (int)len, s->tag, (unsigned long long)count);
		return;
	}
	memcpy(tag, s->tag, len);
	tag[len++] = ' ';
	tag[len + buf_fmt_u64(tag + len, count)] = 0;
}

static void merge_free(RtSession *s)
{
	if (s->kmerge)
		rt_kmerge_release(s); /* no backend stays held past its statement */
	rt_kmerge_free(s->kmerge);
	s->kmerge = NULL;
	rt_merge_free(s->merge);
	s->merge = NULL;
	s->gather = NULL;
	free(s->merge_sql);
	s->merge_sql = NULL;
	s->running = NULL;
}

/* The final step of a merge run for an Execute: its rows go out as the
 * shards' rows would (up to the row limit, the rest kept in the portal). */
static void merge_finish_portal(RtSession *s)
{
	PgwConn *c = conn(s);
	Buf out;
	buf_init(&out);
	/* a DECLARE's rows: text, with their RowDescription, for the cursor */
	if (!s->stmt_error && !rt_merge_finish(s->merge, s->merge_sql, s->capture ? NULL : s->portal, &out))
		s->stmt_error = true;
	size_t off = 0;
	while (off + 5 <= out.len) {
		char type = (char)out.data[off];
		size_t len = (size_t)rd_be32(out.data + off + 1) + 1;
		if (type == 'D') {
			buf_put(rt_row_buf(s), out.data + off, len);
		} else if (type == 'C') {
			snprintf(s->tag, sizeof(s->tag), "SELECT");
		} else if (type == 'T' && s->capture) {
			size_t from = c->out.len; /* a DECLARE's: kept with the cursor */
			buf_put(&c->out, out.data + off, len);
			rt_cursor_capture_rowdesc(s, from);
		} else {
			buf_put(&c->out, out.data + off, len); /* an error or a notice */
		}
		off += len;
	}
	s->rowdesc_sent = true;
	buf_cleanup(&out);
	merge_free(s);
}

bool rt_merge_complete(RtSession *s)
{
	if (s->portal || s->capture) {
		merge_finish_portal(s); /* an Execute's rows, or a DECLARE's the cursor keeps */
		return false;
	}
	if (!s->stmt_error)
		s->stmt_error = !rt_merge_finish(s->merge, s->merge_sql, NULL, &conn(s)->out);
	merge_free(s);
	return !s->stmt_error;
}

void rt_merge_end(RtSession *s) { merge_free(s); }

/* The final step computed a write's subqueries, or an INSERT ... SELECT's
 * rows: the write goes to its shards with them (true), or it failed or
 * has nothing to write (false, an error sent). */
static bool subwrite_step(RtSession *s)
{
	const RtOp *op = s->subwrite;
	s->subwrite = NULL;
	if (s->stmt_error || !s->merge)
		return false;
	Buf out;
	buf_init(&out);
	RtSubValues v;
	PgwError e;
	(void)rt_merge_finish(s->merge, s->merge_sql, NULL, &out);
	merge_free(s);
	bool ok;
	if (op->kind == RT_OP_INSERT_SELECT) {
		ok = rt_insert_select_send(s, op, &out, &e);
	} else {
		ok = rt_subquery_values(&out, op, s->rt->vschema, &v, &e);
		int shards[RT_MAX_SHARDS], n = rt_subquery_shards(&v, op, shards);
		if (ok)
			rt_dispatch(s, op->sql, shards, n, &v.params, 0);
		rt_subquery_values_cleanup(&v);
	}
	buf_cleanup(&out);
	if (!ok)
		rt_send_error(s, &e);
	return ok && s->waiting > 0;
}

/* The statement finished on every shard it ran on. */
static void statement_done(RtSession *s)
{
	PgwConn *c = conn(s);
	if (s->tp != RT_TP_NONE && rt_txn_step(s))
		return; /* the next phase of two-phase commit is under way */
	if (s->move && rt_move_step(s))
		return; /* the rows move */
	if (s->lookup && rt_lookup_step(s))
		return; /* the lookup rows are in: the INSERT runs */
	if (s->gather && gather_step(s))
		return; /* the next intermediate result is fetched */
	if (s->subwrite && subwrite_step(s))
		return; /* the write runs with its subqueries' values */
	if (!s->stmt_error && s->cur && s->txn == RT_TXN_IDLE && !s->implicit &&
	    (s->cur->node_case == PG_QUERY__NODE__NODE_DROP_STMT || s->cur->node_case == PG_QUERY__NODE__NODE_RENAME_STMT))
		rt_placement_follow(s->rt, s->cur); /* the table's placement goes with it */
	if (s->ordered)
		ordered_finish(s); /* a split INSERT's RETURNING rows */
	if (s->explain_sql) {
		if (!s->stmt_error && rt_explain_step(s))
			return; /* the next shard explains */
		free(s->explain_sql);
		s->explain_sql = NULL;
	}
	rt_copy_free(s); /* a COPY's shards answered */
	if (s->copy_out.on)
		rt_copy_out_end(s); /* CopyDone before the CommandComplete */
	if (s->portal) {
		rt_exec_complete(s); /* a final step's rows go to the portal */
		rt_exec_finish(s);
		rt_cursor_finish(s);
		rt_ext_done(s);
		return;
	}
	if (s->ending) {
		/* the implicit transaction of a multi-statement query ended */
		s->ending = false;
		s->implicit = false;
		s->txn = RT_TXN_IDLE;
		rt_txn_reset(s);
		s->next_stmt = s->tree ? s->tree->n_stmts : 0;
		run_next(s);
		return;
	}
	/* the running operator's inputs ended: a final step runs over the
	 * shards' rows (a streamed merge sent its rows as they came) */
	bool answered = rt_exec_complete(s);
	rt_exec_finish(s);
	if (answered) {
		s->next_stmt++;
		run_next(s);
		return;
	}
	rt_cursor_finish(s);
	if (!s->stmt_error) {
		if (!s->tag[0] && !s->rowdesc_sent) {
			pgw_send_empty_query(c);
		} else {
			char tag[80];
			rt_statement_tag(s, s->rows, tag, sizeof(tag));
			pgw_send_command_complete(c, tag);
		}
	}
	rt_statement_finished(s); /* after CommandComplete: ParameterStatus follows it */
	s->next_stmt++;
	run_next(s);
}

/* The next part of a dispatch sent max_parallel_shards at a time, as one
 * of its parts answered; none after an error. */
static void window_step(RtSession *s)
{
	RtDispatch *w = s->window;
	if (!w || s->window_next >= w->n || s->stmt_error) {
		free(w);
		s->window = NULL;
		return;
	}
	int k = s->window_next++;
	RtDispatch one = *w;
	one.shards = &w->shards[k];
	one.texts = w->texts ? &w->texts[k] : NULL;
	one.params = w->params && w->texts ? &w->params[k] : w->params;
	one.n = 1;
	(void)rt_dispatch_part(s, &one);
}

void rt_session_backend_done(RtSession *s, RtBackend *b)
{
	(void)b;
	if (s->window)
		window_step(s);
	if (--s->waiting == 0)
		statement_done(s);
}

void rt_session_local_done(RtSession *s)
{
	if (s->stmt_error) {
		s->query_failed = true;
		if (s->txn == RT_TXN_BLOCK)
			s->txn = RT_TXN_FAILED;
	} else {
		s->next_stmt++;
	}
	run_next(s);
	flush(s);
}

void rt_session_backend_failed(RtSession *s, RtBackend *b, const char *msg)
{
	if (s->tp == RT_TP_DECIDING)
		return; /* an idle connection closed: s->waiting is the decision's, COMMIT PREPARED finds out */
	if (s->tp == RT_TP_PREPARING)
		s->tp_failed = true;
	if (!s->stmt_error && (s->tp == RT_TP_NONE || s->tp == RT_TP_PREPARING)) {
		PgwError e;
		pgw_error_set(&e, b->timed_out ? "57014" : "08006", "%s", msg);
		rt_send_error(s, &e);
	}
	if (s->tp == RT_TP_NONE && rt_txn_lost(s, b->shard)) {
		/* the transaction is gone with its connection */
		s->txn = s->txn == RT_TXN_IDLE ? RT_TXN_IDLE : RT_TXN_FAILED;
	}
	if (s->window)
		window_step(s); /* the error was sent: the parts not sent go */
	if (s->waiting > 0 && --s->waiting == 0)
		statement_done(s);
}

/* ---------------------------------------------------------------- statements */

void rt_plan_release(RtSession *s)
{
	assert(!s->merge && !s->kmerge); /* the statement's merge ended with it */
	s->running = NULL;
	rt_plan_free(&s->plan);
}

void rt_reset_statement(RtSession *s)
{
	free(s->window); /* a statement that ended with parts not sent */
	s->window = NULL;
	s->window_ok = false;
	s->rowdesc_sent = false;
	s->rows = 0;
	s->rows_sent = 0;
	s->count_sum = 0;
	s->tag[0] = 0;
	s->stmt_error = false;
	s->fanout = false;
	if (!s->stmt_start_us) /* its first reset: the statement starts (the end clears it) */
		s->stmt_start_us = rt_ops_now_us();
	ordered_free(s, s->ordered); /* a split INSERT's rows not sent (it failed to start) */
	s->ordered = NULL;
}

/* Send the statement to each of shards: text (or texts[i]) with params,
 * or, when shape is given, as rt_backend_send_shaped sends it. */
bool rt_dispatch_part(RtSession *s, const RtDispatch *d)
{
	const char *text = d->text;
	char *const *texts = d->texts;
	const RtShape *shape = d->shape;
	const int *shards = d->shards;
	int n = d->n;
	const RtParams *params = d->params;
	int result_format = d->result_format;
	bool in_txn = s->txn != RT_TXN_IDLE || s->implicit;
	PgwError e;
	if (rt_park_if_waiting(s, d))
		return true;
	int max = s->rt->ops ? s->rt->ops->cfg.max_parallel_shards : 0;
	if (s->window_ok && max > 0 && n > max && !s->window && (s->window = rt_dispatch_copy(d))) {
		s->window_next = max; /* the rest goes as parts answer (window_step) */
		n = max;
	}
	s->window_ok = false;
	if (s->cur_write && !rt_ops_write_allowed(s->rt->ops, s->rt, shards, n, &e)) {
		rt_send_error(s, &e);
		return false;
	}
	s->join_alone = in_txn && s->cur_write && n == 1;
	for (int i = 0; i < s->nparts && s->join_alone; i++)
		s->join_alone = !s->wrote[s->parts[i]];
	for (int i = 0; i < n; i++) {
		bool begin_first = in_txn && rt_txn_join(s, shards[i]);
		if (in_txn && s->cur_write)
			s->wrote[shards[i]] = true;
		RtBackend *b = rt_backend_get(s, shards[i], &e);
		const char *sql = texts ? texts[i] : text;
		const RtParams *p = params && texts ? &params[i] : params;
		if (!b || !(p	   ? rt_backend_send_params(b, sql, p, result_format, begin_first, &e)
			    : shape ? rt_backend_send_shaped(b, sql, shape, begin_first, &e)
				    : rt_backend_send(b, sql, begin_first, &e))) {
			if (begin_first)
				rt_txn_lost(s, shards[i]);
			rt_send_error(s, &e);
			break;
		}
		s->waiting++;
	}
	s->join_alone = false;
	return s->waiting > 0 || !s->stmt_error;
}

bool rt_dispatch_each(RtSession *s, const char *text, char *const *texts, const int *shards, int n,
		      const RtParams *params, int result_format)
{
	RtDispatch d = {text, texts, NULL, shards, n, params, result_format};
	return rt_dispatch_part(s, &d);
}

bool rt_dispatch_step(RtSession *s, Buf *q, int n)
{
	int shards[RT_MAX_SHARDS], nsend = 0;
	char *texts[RT_MAX_SHARDS];
	for (int sh = 0; sh < n; sh++) {
		if (q[sh].len && (texts[nsend] = strdup(buf_cstr(&q[sh]))))
			shards[nsend++] = sh;
		buf_cleanup(&q[sh]);
	}
	rt_reset_statement(s);
	s->cur_write = true;
	bool sent = nsend > 0 && rt_dispatch_each(s, NULL, texts, shards, nsend, NULL, 0);
	for (int i = 0; i < nsend; i++)
		free(texts[i]);
	return sent || s->waiting > 0;
}

void rt_step_done(RtSession *s, const char *verb, uint64_t count)
{
	if (s->stmt_error)
		return;
	rt_reset_statement(s);
	snprintf(s->tag, sizeof(s->tag), "%s %llu", verb, (unsigned long long)count);
}

bool rt_dispatch_shaped(RtSession *s, const char *text, const RtShape *sh, const int *shards, int n)
{
	RtDispatch d = {text, NULL, sh, shards, n, NULL, 0};
	return rt_dispatch_part(s, &d);
}

bool rt_dispatch(RtSession *s, const char *text, const int *shards, int n, const RtParams *params, int result_format)
{
	return rt_dispatch_each(s, text, NULL, shards, n, params, result_format);
}

bool rt_merge_start(RtSession *s, const RtOp *op, const char *text, const RtParams *params)
{
	const RtOp *ms = rt_op_find(op, RT_OP_MERGE_SORT);
	if (ms && rt_kmerge_usable(ms, s->portal)) {
		s->running = ms;
		if (rt_kmerge_start(s, ms, params))
			return true;
		s->running = NULL;
		return false;
	}
	const RtOp *final = ms ? ms->alt : rt_op_find(op, RT_OP_FINAL), *leaf = rt_op_leaf(final);
	assert(final && final->kind == RT_OP_FINAL && leaf->kind == RT_OP_ROUTE && leaf->sql);
	s->running = final;
	s->gather = final->input->kind == RT_OP_INTERMEDIATE ? final->input : NULL;
	s->merge = rt_merge_create(s->gather ? s->gather->table : final->table);
	s->merge_sql = strdup(final->sql ? final->sql : text);
	if (s->merge && !rt_merge_settings(s->merge, conn(s), s->sets, s->nsets)) {
		PgwError e;
		pgw_error_set(&e, "XX000", "the session's settings could not be applied to the router's final step");
		rt_send_error(s, &e);
	} else if (!s->merge || !s->merge_sql) {
		PgwError e;
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
	} else if (rt_dispatch(s, leaf->sql, leaf->shards, leaf->nshards, leaf->params_inlined ? NULL : params, 0)) {
		return true;
	}
	/* nothing was sent */
	merge_free(s);
	return false;
}

bool rt_dispatch_ddl(RtSession *s, const char *text, const RtOp *op)
{
	s->fanout = true;
	s->fanout_shard = op->shards[0];
	rt_column_types_forget(s->rt);
	if (s->txn != RT_TXN_IDLE || s->implicit) {
		/* on every shard inside the transaction, which then commits in
		 * one phase on each */
		s->txn_ddl = true;
		s->cur_write = true;
		if (s->cur && s->cur->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
			rt_column_types_learn_create(s->rt, s->cur->create_stmt);
	}
	return rt_dispatch(s, text, op->shards, op->nshards, NULL, 0);
}

/* s holds t, the tree the last rt_plancache_get returned (NULL: none),
 * with what the plan cache keeps with it. */
static void tree_take(RtSession *s, PgQuery__ParseResult *t)
{
	s->tree = t;
	s->tree_types = t ? rt_plancache_types_known(s->rt) : NULL;
	s->tree_memo = t ? rt_plancache_memo(s->rt) : NULL;
	s->tree_entry = t ? rt_plancache_entry(s->rt) : NULL;
}

/* Give back the query's parse tree. */
static void tree_release(RtSession *s)
{
	struct RtShape *sh = query_shape(s);
	if (s->tree)
		rt_plancache_unref(s->rt, s->tree_entry);
	if (sh)
		rt_shape_free(sh);
	tree_take(s, NULL);
}

/* The tree of the query's shape, when it has one and it is a plain SELECT,
 * INSERT, UPDATE or DELETE; false when the query's own text must be parsed. */
static bool shape_tree(RtSession *s, const char *sql)
{
	if (!s->shape && !(s->shape = calloc(1, sizeof(*s->shape))))
		return false;
	if (!rt_shape(sql, s->shape))
		return false;
	PgwError e;
	PgQuery__ParseResult *t = rt_plancache_get(s->rt, s->shape->key, &e);
	PgQuery__Node__NodeCase k = t && t->n_stmts == 1 ? t->stmts[0]->stmt->node_case : PG_QUERY__NODE__NODE__NOT_SET;
	if (k != PG_QUERY__NODE__NODE_SELECT_STMT && k != PG_QUERY__NODE__NODE_INSERT_STMT &&
	    k != PG_QUERY__NODE__NODE_UPDATE_STMT && k != PG_QUERY__NODE__NODE_DELETE_STMT) {
		if (t)
			rt_plancache_release(s->rt, s->shape->key);
		rt_shape_free(s->shape);
		return false;
	}
	tree_take(s, t);
	/* the verdict is the tree's: noted with it (1 yes, -1 no) */
	signed char *mark = rt_plancache_mark(s->rt);
	if (mark && *mark == 0)
		*mark = rt_shape_as_parameters(t->stmts[0]->stmt) ? 1 : -1;
	s->shape->as_parameters = mark ? *mark > 0 : rt_shape_as_parameters(t->stmts[0]->stmt);
	return true;
}

/* The statement a simple query runs next (its text in *text, owned), or
 * NULL after an error was sent: a transaction that failed takes only its
 * end; a DECLARE runs its query, its rows kept for the cursor. */
static PgQuery__Node *next_statement(RtSession *s, char **text)
{
	PgQuery__RawStmt *raw = s->tree->stmts[s->next_stmt];
	const struct RtShape *shape = query_shape(s);
	int len = raw->stmt_len ? raw->stmt_len : (int)strlen(s->sql + raw->stmt_location);
	*text = shape ? strdup(shape->text) : strndup(s->sql + raw->stmt_location, (size_t)len);
	s->cur = raw->stmt;
	free(s->cur_text);
	s->cur_text = strdup(*text);
	s->stmt_char_offset = shape ? 0 : chars(s->sql, raw->stmt_location);
	rt_reset_statement(s);
	PgwError e;
	if (s->txn == RT_TXN_FAILED && !(raw->stmt->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT &&
					 (is_txn_end(raw->stmt) || raw->stmt->transaction_stmt->kind ==
									 PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO))) {
		pgw_error_set(&e, "25P02", "current transaction is aborted, commands ignored until end of transaction block");
		rt_send_error(s, &e);
		s->query_failed = true;
		free(*text);
		return NULL;
	}
	if (raw->stmt->node_case != PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT)
		return raw->stmt;
	/* the cursor's query runs now, its rows kept in the router */
	char *query;
	if (!rt_cursor_declare(s, raw->stmt->declare_cursor_stmt, &query, &e)) {
		rt_send_error(s, &e);
		free(*text);
		s->query_failed = true;
		if (s->txn == RT_TXN_BLOCK)
			s->txn = RT_TXN_FAILED;
		return NULL;
	}
	free(*text);
	*text = query;
	return raw->stmt->declare_cursor_stmt->query;
}

/* Plan and start the next statement of a simple query: true when results
 * will come from shards; false when it was answered; -1 (as *again) when
 * the query's own text must be parsed and the statement planned again. */
static bool start_next(RtSession *s, PgQuery__Node *planned, const char *text, bool *again)
{
	const struct RtShape *shape = query_shape(s);
	*again = false;
	while (!rt_session_plan(s, s->tree->n_stmts == 1 ? s->tree_memo : NULL, planned, text,
				shape ? &shape->params : NULL))
		if (rt_asks_wait(s, catalog_ready, s))
			return true; /* planned again when the first shard's catalog answered */
	if (shape && s->plan.root->kind != RT_OP_ROUTE && !s->plan.sequenced) {
		/* the text's own tree plans it (a final step, a split, ...), not the
		 * shape's tree, which plans a route as the text's own; an INSERT
		 * that drew values from sequences keeps them (its split carries the
		 * shape's parameters) */
		rt_plan_free(&s->plan);
		tree_release(s);
		PgwError e;
		tree_take(s, rt_plancache_get(s->rt, s->sql, &e));
		if (!s->tree) {
			rt_send_error(s, &e);
			s->query_failed = true;
			return false;
		}
		*again = true;
		return false;
	}
	if (s->plan.atomic && s->txn == RT_TXN_IDLE)
		s->implicit = true; /* a write over several shards commits atomically */
	RtExecArgs a = {.stmt = s->cur, .text = text, .shape = shape && shape->as_parameters ? shape : NULL};
	if (s->cur->node_case == PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT)
		a.stmt = planned;
	return rt_exec_start(s, &s->plan, &a);
}

/* The end of a simple query: an implicit transaction commits or rolls
 * back (false: its end is under way), then ReadyForQuery. */
static bool query_end(RtSession *s)
{
	if (s->implicit && s->nparts > 0 && !s->ending) {
		/* its tag is not shown; an error committing is */
		s->ending = true;
		rt_reset_statement(s);
		s->cur = NULL;
		if (rt_txn_finish(s, !s->query_failed))
			return false;
		s->ending = false;
		rt_txn_reset(s);
	}
	s->implicit = false;
	rt_plan_release(s);
	tree_release(s);
	free(s->sql);
	s->sql = NULL;
	s->cur = NULL;
	rt_send_ready(s);
	flush(s);
	pgw_evconn_resume_reading(s->ec);
	return true;
}

/* Run statements of the current query until one has to wait for shards. */
/* What a statement waited for before it is planned came (flag: which):
 * it runs. */
static void prefetched(RtSession *s, bool *flag)
{
	*flag = true;
	run_next(s);
	flush(s);
}

/* The column types of a statement's tables came. */
static void types_ready(void *arg, bool cancelled)
{
	if (!cancelled)
		prefetched(arg, &((RtSession *)arg)->types_ready);
}

/* The values of a statement's sequences were reserved. */
static void seq_ready(void *arg, bool cancelled)
{
	if (!cancelled)
		prefetched(arg, &((RtSession *)arg)->seq_ready);
}

/* The rows of a placement call's table were counted. */
static void placement_ready(void *arg, bool cancelled)
{
	if (!cancelled)
		prefetched(arg, &((RtSession *)arg)->placement_ready);
}

/* The catalog facts planning a statement needed were answered: it runs
 * from the start (its prefetches find what they asked). */
static void catalog_ready(void *arg, bool cancelled)
{
	RtSession *s = arg;
	if (cancelled)
		return;
	run_next(s);
	flush(s);
}

/* The lookups of a statement's WHERE were answered. */
static void lookups_ready(void *arg, bool cancelled)
{
	if (!cancelled)
		prefetched(arg, &((RtSession *)arg)->lookups_ready);
}

bool rt_holds_first(const RtSession *s)
{
	int first = vsc_shard_for_ksid(s->rt->vschema, 0);
	for (int i = 0; i < s->nparts; i++)
		if (s->parts[i] == first && s->wrote[first])
			return true;
	return false;
}

static void run_next(RtSession *s)
{
	while (s->tree && s->next_stmt < s->tree->n_stmts && s->waiting == 0) {
		if (s->query_failed)
			break;
		PgQuery__RawStmt *raw = s->tree->stmts[s->next_stmt];
		/* a one-statement tree whose tables' columns were known since the last DDL needs no look */
		bool single = s->tree->n_stmts == 1 && s->tree_types;
		if (!s->types_ready && !(single && *s->tree_types == s->rt->types_gen + 1)) {
			if (!rt_types_prefetch(s->rt, raw->stmt, types_ready, s, s))
				return; /* its tables' columns are asked of the first shard; it runs when they come */
			if (single)
				*s->tree_types = s->rt->types_gen + 1;
		}
		s->types_ready = false;
		if (!s->seq_ready && !rt_seq_prefetch(s->rt, raw->stmt, rt_holds_first(s), seq_ready, s, s)) {
			s->types_ready = true; /* known: run_next comes back here */
			return; /* its sequences' values are reserved first */
		}
		s->seq_ready = false;
		const struct RtShape *shape = query_shape(s);
		if (!s->lookups_ready && !rt_lookup_prefetch(s, raw->stmt, shape ? &shape->params : NULL, lookups_ready, s)) {
			s->types_ready = s->seq_ready = true; /* known: run_next comes back here */
			return; /* the lookup tables its WHERE names are read first */
		}
		s->lookups_ready = false;
		if (!s->placement_ready && !rt_placement_prefetch(s, raw->stmt, placement_ready, s)) {
			s->types_ready = s->seq_ready = s->lookups_ready = true; /* known: run_next comes back here */
			return; /* a placement call's table rows are counted first */
		}
		s->placement_ready = false;
		char *text;
		PgQuery__Node *planned = next_statement(s, &text);
		if (!planned)
			break;
		bool again;
		bool sent = start_next(s, planned, text, &again);
		free(text);
		if (again)
			continue;
		if (rt_asks_waiting(s))
			return; /* catalog_ready goes on */
		if (s->query_failed && !s->tree)
			break;
		if (s->waiting == 0 && s->capture)
			rt_cursor_finish(s); /* answered at once (refused, most often) */
		if (s->stmt_error && s->waiting == 0) {
			s->query_failed = true;
			if (s->txn == RT_TXN_BLOCK)
				s->txn = RT_TXN_FAILED;
			break;
		}
		if (sent || s->waiting > 0)
			return; /* statement_done() goes on */
		s->next_stmt++;
	}
	if (s->waiting > 0)
		return;
	query_end(s);
}

/* ---------------------------------------------------------------- handler */

static RtSession *sess(PgwConn *c) { return c->user; }

static const struct {
	const char *name, *value;
} reported[] = {
	{"application_name", ""}, {"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"},
	{"default_transaction_read_only", "off"}, {"in_hot_standby", "off"}, {"integer_datetimes", "on"},
	{"IntervalStyle", "postgres"}, {"is_superuser", "on"}, {"server_encoding", "UTF8"},
	{"server_version", PGW_SERVER_VERSION}, {"session_authorization", ""}, {"standard_conforming_strings", "on"},
	{"TimeZone", "UTC"},
};

#define NREPORTED (sizeof(reported) / sizeof(reported[0]))
_Static_assert(NREPORTED <= 32, "reported_owned has a bit per reported setting");

/* The client's startup settings as a libpq "options" string ("-c name=value"
 * with spaces and backslashes escaped), so every backend starts with them. */
static char *backend_options(const PgwConn *c)
{
	Buf o;
	buf_init(&o);
	const RtSession *s = c->user;
	if (s->rt->ops->cfg.query_timeout_ms > 0) /* the server-wide default; the client's own settings follow */
		buf_printf(&o, "-c statement_timeout=%lld", (long long)s->rt->ops->cfg.query_timeout_ms);
	for (int i = 0; i < c->nparams; i++) {
		const char *n = c->param_names[i], *v = c->param_values[i];
		if (strcmp(n, "user") == 0 || strcmp(n, "database") == 0 || strcmp(n, "replication") == 0 ||
		    strcmp(n, "client_encoding") == 0 || strcmp(n, "application_name") == 0 || strncmp(n, "_pq_.", 5) == 0)
			continue;
		if (o.len)
			buf_put_str(&o, " ");
		if (strcmp(n, "options") == 0) {
			buf_put_str(&o, v);
			continue;
		}
		buf_printf(&o, "-c %s=", n);
		for (const char *p = v; *p; p++) {
			if (*p == ' ' || *p == '\\')
				buf_put_str(&o, "\\");
			buf_put(&o, p, 1);
		}
	}
	char *r = o.len ? strdup(buf_cstr(&o)) : NULL;
	buf_cleanup(&o);
	return r;
}

/* After a SET: the reported settings the shard changed, to the client as
 * PostgreSQL reports them. */
static void report_changes(RtSession *s, RtBackend *b)
{
	if (!b || !b->pg || !s->reported)
		return;
	for (size_t i = 0; i < NREPORTED; i++) {
		const char *v = PQparameterStatus(b->pg, reported[i].name);
		if (!v || (s->reported[i] && strcmp(v, s->reported[i]) == 0))
			continue;
		char *copy = strdup(v);
		if (!copy)
			continue; /* sent again at the next change */
		if (s->reported_owned & (1u << i))
			free((char *)s->reported[i]);
		s->reported[i] = copy;
		s->reported_owned |= 1u << i;
		pgw_send_parameter_status(conn(s), reported[i].name, v);
	}
}

static bool cb_session_start(PgwConn *c)
{
	RtSession *s = sess(c);
	const char *repl = pgw_startup_param(c, "replication");
	if (repl && strcmp(repl, "database") == 0) {
		s->replication = true;
	} else if (repl && strcasecmp(repl, "false") != 0 && strcasecmp(repl, "off") != 0 && strcmp(repl, "0") != 0 &&
		   strcasecmp(repl, "no") != 0) {
		pgw_send_fatalf(c, "0A000", "physical replication connections are not supported by DoSQL");
		return false;
	}
	rt_ops_session_started(s);
	const char *sqlstate, *refused = rt_ops_refusal(s->rt->ops, s, &sqlstate);
	if (refused) {
		pgw_send_fatalf(c, sqlstate, "%s", refused);
		return false;
	}
	s->backend_options = backend_options(c);
	s->reported = calloc(NREPORTED, sizeof(char *));
	for (size_t i = 0; i < NREPORTED; i++) {
		const char *v = pgw_startup_param(c, reported[i].name);
		if (strcmp(reported[i].name, "session_authorization") == 0)
			v = c->user_name;
		if (strcmp(reported[i].name, "client_encoding") == 0 && v && strcasecmp(v, "utf8") != 0 &&
		    strcasecmp(v, "sql_ascii") != 0) {
			pgw_send_fatalf(c, "0A000", "client_encoding \"%s\" is not supported by DoSQL (UTF8 only)", v);
			return false;
		}
		pgw_send_parameter_status(c, reported[i].name, v ? v : reported[i].value);
		if (s->reported)
			s->reported[i] = v ? v : reported[i].value; /* the connection's startup packet, or static */
	}
	return true;
}

static const char *cb_user_secret(PgwConn *c, const char *user)
{
	return pgw_users_secret(&sess(c)->rt->users, user);
}

static void cb_query(PgwConn *c, const char *sql)
{
	RtSession *s = sess(c);
	PgwError e;
	if (s->replication && rt_repl_command(s, sql))
		return;
	if (!s->replication && rt_admin_command(s, sql))
		return;
	if (s->replication || !shape_tree(s, sql))
		tree_take(s, rt_plancache_get(s->rt, sql, &e));
	if (!s->tree) {
		pgw_send_error(c, &e);
		rt_metrics_error(&s->rt->ops->m, e.sqlstate);
		if (s->txn == RT_TXN_BLOCK)
			s->txn = RT_TXN_FAILED;
		rt_send_ready(s);
		return;
	}
	s->sql = strdup(sql);
	s->next_stmt = 0;
	s->query_failed = false;
	if (s->tree && s->tree->n_stmts == 0) {
		pgw_send_empty_query(c);
	}
	/* several statements in one query string are one transaction */
	s->implicit = s->tree && s->tree->n_stmts > 1 && s->txn == RT_TXN_IDLE;
	pgw_evconn_pause_reading(s->ec);
	run_next(s);
}

static void cb_copy_data(PgwConn *c, const uint8_t *data, size_t len)
{
	if (rt_repl_streaming(sess(c)))
		rt_repl_copy_data(sess(c), data, len);
	else
		rt_copy_data(sess(c), data, len);
}

static void cb_copy_done(PgwConn *c)
{
	if (rt_repl_streaming(sess(c)))
		rt_repl_copy_done(sess(c));
	else
		rt_copy_end(sess(c), NULL);
}

static void cb_copy_fail(PgwConn *c, const char *msg)
{
	if (rt_repl_streaming(sess(c)))
		rt_repl_copy_done(sess(c));
	else
		rt_copy_end(sess(c), msg);
}

/* CancelRequest: ask the shards working for that session to cancel. */
static void cb_cancel(PgwConn *c, int32_t pid, int32_t key);

static const PgwHandler handler = {
	.session_start = cb_session_start,
	.user_secret = cb_user_secret,
	.cancel = cb_cancel,
	.query = cb_query,
	.parse = rt_ext_parse,
	.bind = rt_ext_bind,
	.describe = rt_ext_describe,
	.execute = rt_ext_execute,
	.close = rt_ext_close,
	.sync = rt_ext_sync,
	.copy_data = cb_copy_data,
	.copy_done = cb_copy_done,
	.copy_fail = cb_copy_fail,
};

/* All sessions, for CancelRequest. */
static RtSession **all_sessions;
static int nall, capall;

RtSession *const *rt_sessions(int *n)
{
	*n = nall;
	return all_sessions;
}

bool rt_session_is_idle(const RtSession *s)
{
	return s->txn == RT_TXN_IDLE && s->nparts == 0 && s->waiting == 0 && !s->sql && !s->portal && !s->copy &&
	       !s->ending && !s->closing;
}

static void cb_cancel(PgwConn *c, int32_t pid, int32_t key)
{
	(void)c;
	for (int i = 0; i < nall; i++) {
		PgwConn *t = conn(all_sessions[i]);
		if (t->pid != pid || t->key != key)
			continue;
		for (int k = 0; k < all_sessions[i]->nshards; k++) {
			RtBackend *b = all_sessions[i]->backends[k];
			if (!b || b->state != RT_BE_BUSY)
				continue;
			PGcancel *cn = PQgetCancel(b->pg);
			char err[256];
			if (cn) {
				PQcancel(cn, err, sizeof(err));
				PQfreeCancel(cn);
			}
		}
	}
}

/* The per-shard arrays, in one block (backends first: it is the block). */
static bool session_arrays_alloc(RtSession *s, size_t n)
{
	char *p = calloc(n, sizeof(RtBackend *) + 2 * sizeof(int) + 2 * sizeof(bool));
	if (!p)
		return false;
	s->backends = (RtBackend **)p;
	p += n * sizeof(RtBackend *);
	s->parts = (int *)p;
	p += n * sizeof(int);
	s->explain_shards = (int *)p;
	p += n * sizeof(int);
	s->wrote = (bool *)p;
	p += n * sizeof(bool);
	s->tp_ok = (bool *)p;
	return true;
}

static void session_arrays_free(RtSession *s)
{
	free(s->backends);
}

bool rt_session_accept(PgwEvConn *ec, void *arg)
{
	RtSession *s = calloc(1, sizeof(*s));
	if (!s)
		return false;
	s->rt = arg;
	s->serial = ++s->rt->next_serial;
	s->nshards = vsc_shard_count(s->rt->vschema);
	if (!session_arrays_alloc(s, (size_t)s->nshards)) {
		free(s);
		return false;
	}
	s->ec = ec;
	s->drop_from = -1;
	s->connected_us = rt_ops_now_us();
	rt_ops_session_accepted(s->rt->ops, s);
	PgwConn *c = pgw_evconn_conn(ec);
	c->user = s;
	c->handler = &handler;
	pgw_evconn_set_user(ec, s);
	if (nall == capall) {
		capall = capall ? capall * 2 : 64;
		all_sessions = realloc(all_sessions, sizeof(RtSession *) * (size_t)capall);
	}
	all_sessions[nall++] = s;
	return true;
}

void rt_session_close(PgwEvConn *ec, void *arg)
{
	(void)arg;
	RtSession *s = pgw_evconn_user(ec);
	if (!s)
		return;
	for (int i = 0; i < nall; i++)
		if (all_sessions[i] == s) {
			all_sessions[i] = all_sessions[--nall];
			break;
		}
	if (nall == 0) {
		free(all_sessions);
		all_sessions = NULL;
		capall = 0;
	}
	rt_ops_session_started(s); /* its timer goes */
	rt_park_free(s);
	free(s->window);
	s->window = NULL;
	rt_ops_session_closed(s->rt->ops, nall);
	if (s->tp == RT_TP_PREPARING || s->tp == RT_TP_ABORTING)
		rt_coord_abandon(s->rt->coord, s->gid); /* no decision will come */
	if (s->tp == RT_TP_DECIDING)
		rt_coord_forget(s->rt->coord, s); /* the decision is logged all the same: recovery commits */
	rt_repl_free(s);
	ordered_free(s, s->ordered);
	rt_pool_release_all(s); /* those in a transaction or busy are closed */
	rt_cursor_free_all(s);
	for (int i = 0; i < s->nsets; i++)
		free(s->sets[i]);
	free(s->sets);
	free(s->backend_options);
	free(s->explain_sql);
	rt_txn_reset(s);
	free(s->savepoints);
	for (size_t i = 0; s->reported && i < NREPORTED; i++)
		if (s->reported_owned & (1u << i))
			free((char *)s->reported[i]);
	free(s->reported);
	tree_release(s);
	free(s->shape);
	merge_free(s);
	rt_plan_release(s);
	rt_move_free(s);
	rt_lookup_free(s);
	rt_seq_session_free(s);
	rt_copy_free(s);
	rt_ext_free(s);
	free(s->cur_text);
	free(s->sql);
	session_arrays_free(s);
	free(s);
}
