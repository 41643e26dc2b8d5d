/*
 * session.c - a client session of the router: the PgwHandler callbacks, the
 * statements of a simple query run one after the other, transactions kept
 * on one shard, and shard results relayed to the client.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cdc/walsender.h"
#include "router/router.h"
#include "pgsql/pgtype.h"

static void run_next(RtSession *s);

char rt_txn_status(const RtSession *s)
{
	if (s->implicit)
		return 'I';
	return s->txn == RT_TXN_BLOCK ? 'T' : s->txn == RT_TXN_FAILED ? 'E' : 'I';
}

static void flush(RtSession *s) { (void)pgw_evconn_flush(s->ec); }

static PgwConn *conn(RtSession *s) { return pgw_evconn_conn(s->ec); }
static void report_changes(RtSession *s, RtBackend *b);
static bool explain_step(RtSession *s);
static void put_text_row(Buf *out, int n, const char *const *vals);

void rt_send_error(RtSession *s, const PgwError *e)
{
	pgw_send_error(conn(s), e);
	s->stmt_error = true;
	if (s->kmerge)
		rt_kmerge_release(s);
}

void rt_send_ready(RtSession *s)
{
	char status = rt_txn_status(s);
	if (status == 'I' && s->waiting == 0 && s->nparts == 0 && !s->copy) {
		rt_pool_release_all(s);
		rt_cursor_txn_end(s);
	}
	pgw_send_ready(conn(s), status);
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
void rt_row_description(RtSession *s, PGresult *r, int n)
{
	PgwField *f = calloc((size_t)n + 1, sizeof(PgwField));
	for (int i = 0; i < n; i++) {
		f[i].name = PQfname(r, i);
		f[i].table_oid = PQftable(r, i);
		f[i].attnum = (int16_t)PQftablecol(r, i);
		f[i].type_oid = PQftype(r, i);
		f[i].typlen = (int16_t)PQfsize(r, i);
		f[i].typmod = PQfmod(r, i);
		f[i].format = 0;
	}
	size_t from = conn(s)->out.len;
	pgw_send_row_description(conn(s), n, f);
	free(f);
	if (s->capture)
		rt_cursor_capture_rowdesc(s, from); /* a DECLARE's: kept with the cursor */
	s->rowdesc_sent = true;
}

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
static bool data_row(Buf *out, const PGresult *r, int t, const RtPortal *transcode, PgwError *err)
{
	int nf = PQnfields(r);
	buf_msg_begin(out, 'D');
	buf_put_u16(out, (uint16_t)nf);
	for (int i = 0; i < nf; i++) {
		if (PQgetisnull(r, t, i)) {
			buf_put_u32(out, 0xFFFFFFFFu);
			continue;
		}
		const char *v = PQgetvalue(r, t, i);
		size_t n = (size_t)PQgetlength(r, t, i);
		if (!transcode || PQfformat(r, i) != 0 || rt_portal_format(transcode, i) == 0) {
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

/* A split INSERT ... RETURNING: each shard's rows (DataRows), sent in the
 * order of the VALUES rows once every shard answered. */
struct RtOrdered {
	int n;
	int *row_shard; /* owned: the shard of each VALUES row */
	Buf *rows;      /* by shard */
	size_t *at;     /* by shard: the next row to send */
};

void rt_ordered_start(RtSession *s, RtRoute *route)
{
	struct RtOrdered *o = calloc(1, sizeof(*o));
	if (o) {
		o->rows = calloc((size_t)s->nshards, sizeof(Buf));
		o->at = calloc((size_t)s->nshards, sizeof(size_t));
	}
	if (!o || !o->rows || !o->at) {
		if (o) {
			free(o->rows);
			free(o->at);
		}
		free(o);
		return; /* rows go out as they come */
	}
	o->n = route->nreturning;
	o->row_shard = route->returning_shards;
	route->returning_shards = NULL;
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
	if (rt_txn_result(s, b, r) || rt_move_result(s, b, r))
		return;
	if (s->stmt_error)
		return; /* the statement failed on another shard: its error is out */
	if (s->kmerge && (PQresultStatus(r) == PGRES_SINGLE_TUPLE || PQresultStatus(r) == PGRES_TUPLES_OK)) {
		rt_kmerge_result(s, b, r);
		return;
	}
	if (s->merge && (PQresultStatus(r) == PGRES_SINGLE_TUPLE || PQresultStatus(r) == PGRES_TUPLES_OK)) {
		PgwError e;
		if (!rt_merge_rows(s->merge, r, &e))
			rt_send_error(s, &e);
		return;
	}
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
				snprintf(s->tag, sizeof(s->tag), "%s", tag);
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
				snprintf(s->tag, sizeof(s->tag), "%s", tag);
			break;
		}
		/* a count from several shards (never more than one write shard today) */
		const char *sp = strrchr(tag, ' ');
		if (s->tag[0] && sp && strncmp(s->tag, tag, (size_t)(sp - tag)) == 0)
			s->count_sum += strtoull(sp + 1, NULL, 10);
		else {
			snprintf(s->tag, sizeof(s->tag), "%s", tag);
			s->count_sum = sp ? strtoull(sp + 1, NULL, 10) : 0;
		}
		break;
	}
	case PGRES_EMPTY_QUERY:
		snprintf(s->tag, sizeof(s->tag), "%s", "");
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

/* The statement finished on every shard it ran on. */
/* Transaction state and SET replay after a statement, failed or not. */
void rt_statement_finished(RtSession *s)
{
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
	if (s->rowdesc_sent && strncmp(s->tag, "SELECT", 6) == 0)
		snprintf(tag, n, "SELECT %lld", (long long)rows);
	else if (s->count_sum && strrchr(s->tag, ' '))
		snprintf(tag, n, "%.*s %llu", (int)(strrchr(s->tag, ' ') - s->tag), s->tag, (unsigned long long)s->count_sum);
	else
		snprintf(tag, n, "%s", s->tag);
}

static void merge_free(RtSession *s)
{
	if (s->kmerge)
		rt_kmerge_release(s); /* no backend stays held past its statement */
	rt_kmerge_free(s->kmerge);
	s->kmerge = NULL;
	rt_merge_free(s->merge);
	s->merge = NULL;
	free(s->merge_sql);
	s->merge_sql = NULL;
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

/* The statement finished on every shard it ran on. */
static void statement_done(RtSession *s)
{
	PgwConn *c = conn(s);
	if (s->tp != RT_TP_NONE && rt_txn_step(s))
		return; /* the next phase of two-phase commit is under way */
	if (s->move && rt_move_step(s))
		return; /* the rows move */
	if (s->ordered)
		ordered_finish(s); /* a split INSERT's RETURNING rows */
	if (s->explain_sql) {
		if (!s->stmt_error && s->explain_next < s->explain_n && explain_step(s))
			return; /* the next shard explains */
		free(s->explain_sql);
		s->explain_sql = NULL;
	}
	rt_copy_free(s); /* a COPY's shards answered */
	if (s->copy_out.on)
		rt_copy_out_end(s); /* CopyDone before the CommandComplete */
	if (s->portal) {
		if (s->merge)
			merge_finish_portal(s);
		merge_free(s); /* a streamed merge sent its rows as they came */
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
	if (s->kmerge)
		merge_free(s); /* its rows went out as they came */
	if (s->merge && s->capture) {
		merge_finish_portal(s); /* a DECLARE's rows: the cursor keeps them */
	} else if (s->merge) {
		/* the final step over the rows of every shard */
		if (!s->stmt_error)
			s->stmt_error = !rt_merge_finish(s->merge, s->merge_sql, NULL, &c->out);
		merge_free(s);
		if (!s->stmt_error) {
			s->next_stmt++;
			run_next(s);
			return;
		}
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

void rt_session_backend_done(RtSession *s, RtBackend *b)
{
	(void)b;
	if (--s->waiting == 0)
		statement_done(s);
}

void rt_session_backend_failed(RtSession *s, RtBackend *b, const char *msg)
{
	(void)b;
	if (s->tp == RT_TP_PREPARING)
		s->tp_failed = true;
	if (!s->stmt_error && (s->tp == RT_TP_NONE || s->tp == RT_TP_PREPARING)) {
		PgwError e;
		pgw_error_set(&e, "08006", "%s", msg);
		rt_send_error(s, &e);
	}
	if (s->tp == RT_TP_NONE && rt_txn_lost(s, b->shard)) {
		/* the transaction is gone with its connection */
		s->txn = s->txn == RT_TXN_IDLE ? RT_TXN_IDLE : RT_TXN_FAILED;
	}
	if (s->waiting > 0 && --s->waiting == 0)
		statement_done(s);
}

/* ---------------------------------------------------------------- statements */

void rt_reset_statement(RtSession *s)
{
	s->rowdesc_sent = false;
	s->rows = 0;
	s->rows_sent = 0;
	s->count_sum = 0;
	s->tag[0] = 0;
	s->stmt_error = false;
	s->fanout = false;
	ordered_free(s, s->ordered); /* a split INSERT's rows not sent (it failed to start) */
	s->ordered = NULL;
}

/* Send the statement to each of shards: text (or texts[i]) with params,
 * or, when shape is given, as rt_backend_send_shaped sends it. */
static bool dispatch(RtSession *s, const char *text, char *const *texts, const RtShape *shape, const int *shards,
		     int n, const RtParams *params, int result_format)
{
	bool in_txn = s->txn != RT_TXN_IDLE || s->implicit;
	PgwError e;
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
	return s->waiting > 0 || !s->stmt_error;
}

bool rt_dispatch_each(RtSession *s, const char *text, char *const *texts, const int *shards, int n,
		      const RtParams *params, int result_format)
{
	return dispatch(s, text, texts, NULL, shards, n, params, result_format);
}

bool rt_dispatch(RtSession *s, const char *text, const int *shards, int n, const RtParams *params, int result_format)
{
	return rt_dispatch_each(s, text, NULL, shards, n, params, result_format);
}

bool rt_merge_start(RtSession *s, RtRoute *route, const char *text, const RtParams *params)
{
	if (rt_kmerge_usable(route, s->portal))
		return rt_kmerge_start(s, route, params);
	s->merge = rt_merge_create(route->merge_table);
	s->merge_sql = route->final_sql ? route->final_sql : strdup(text);
	route->final_sql = NULL;
	if (s->merge && !rt_merge_settings(s->merge, conn(s), s->sets, s->nsets)) {
		PgwError e;
		pgw_error_set(&e, "XX000", "the session's settings could not be applied to the router's final step");
		rt_send_error(s, &e);
	} else if (!s->merge || !s->merge_sql) {
		PgwError e;
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
	} else if (rt_dispatch(s, route->shard_sql, route->shards, route->nshards, route->params_inlined ? NULL : params,
			       0)) {
		return true;
	}
	/* nothing was sent */
	merge_free(s);
	return false;
}

bool rt_dispatch_ddl(RtSession *s, const char *text, const RtRoute *route)
{
	s->fanout = true;
	s->fanout_shard = route->shards[0];
	rt_column_types_forget(s->rt);
	if (s->txn != RT_TXN_IDLE || s->implicit) {
		/* on every shard inside the transaction, which then commits in
		 * one phase on each */
		s->txn_ddl = true;
		s->cur_write = true;
		if (s->cur && s->cur->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
			rt_column_types_learn_create(s->rt, s->cur->create_stmt);
	}
	return rt_dispatch(s, text, route->shards, route->nshards, NULL, 0);
}

/* One DataRow of text values (none NULL), appended to out. */
static void put_text_row(Buf *out, int n, const char *const *vals)
{
	buf_msg_begin(out, 'D');
	buf_put_u16(out, (uint16_t)n);
	for (int k = 0; k < n; k++) {
		buf_put_u32(out, (uint32_t)strlen(vals[k]));
		buf_put_str(out, vals[k]);
	}
	buf_msg_end(out);
}

/* SHOW VSCHEMA: every table the VSchema places, and how. */
static void show_vschema(RtSession *s)
{
	PgwConn *c = conn(s);
	PgwField f[4] = {{"table", 0, 0, 25, -1, -1, 0}, {"placement", 0, 0, 25, -1, -1, 0},
			 {"vindex", 0, 0, 25, -1, -1, 0}, {"shards", 0, 0, 25, -1, -1, 0}};
	pgw_send_row_description(c, 4, f);
	const VscSchema *vs = s->rt->vschema;
	int n = vsc_table_count(vs);
	for (int i = 0; i < n; i++) {
		const VscTable *t = vsc_table_at(vs, i);
		char vindex[256] = "", shards[256] = "";
		if (t->placement == VSC_SHARDED)
			snprintf(vindex, sizeof(vindex), "%s(%s)", t->col_vindexes[0].vindex->name, t->col_vindexes[0].column);
		if (t->placement == VSC_PINNED)
			snprintf(shards, sizeof(shards), "%s", vsc_shard(vs, t->shard)->name);
		else
			snprintf(shards, sizeof(shards), "%d", vsc_shard_count(vs));
		const char *vals[4] = {t->name, vsc_placement_str(t->placement), vindex, shards};
		put_text_row(&c->out, 4, vals);
	}
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", n);
	pgw_send_command_complete(c, tag);
}

/* SHOW STATS: per shard, the statements the router sent it, the errors
 * they returned, the rows it received, the most of them an ORDER BY merge
 * kept at once and the times a merge held it back for a client that had
 * not read the rows sent, since the router started. */
static void show_stats(RtSession *s)
{
	PgwConn *c = conn(s);
	PgwField f[8] = {{"shard", 0, 0, 25, -1, -1, 0},
			 {"address", 0, 0, 25, -1, -1, 0},
			 {"statements", 0, 0, 20, 8, -1, 0},
			 {"errors", 0, 0, 20, 8, -1, 0},
			 {"rows", 0, 0, 20, 8, -1, 0},
			 {"merge_held_max", 0, 0, 20, 8, -1, 0},
			 {"merge_waits", 0, 0, 20, 8, -1, 0},
			 {"prepared", 0, 0, 20, 8, -1, 0}};
	pgw_send_row_description(c, 8, f);
	const VscSchema *vs = s->rt->vschema;
	int n = vsc_shard_count(vs);
	for (int i = 0; i < n; i++) {
		const VscShard *sh = vsc_shard(vs, i);
		char addr[300], st[24], er[24], rows[24], held[24], waits[24], prep[24];
		if (sh->host)
			snprintf(addr, sizeof(addr), "%s:%d", sh->host, sh->port);
		else
			snprintf(addr, sizeof(addr), "%s/.s.PGSQL.%d", sh->socket_dir, sh->port);
		snprintf(st, sizeof(st), "%" PRIu64, s->rt->stats[i].statements);
		snprintf(er, sizeof(er), "%" PRIu64, s->rt->stats[i].errors);
		snprintf(rows, sizeof(rows), "%" PRIu64, s->rt->stats[i].rows);
		snprintf(held, sizeof(held), "%" PRIu64, s->rt->stats[i].held_max);
		snprintf(waits, sizeof(waits), "%" PRIu64, s->rt->stats[i].merge_waits);
		snprintf(prep, sizeof(prep), "%" PRIu64, s->rt->stats[i].prepared);
		const char *vals[8] = {sh->name, addr, st, er, rows, held, waits, prep};
		put_text_row(&c->out, 8, vals);
	}
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", n);
	pgw_send_command_complete(c, tag);
}

/* SHOW POOLS: per shard, the connections sessions hold, those idle in
 * the pool, and how many were opened, closed and handed to a session
 * since the router started. */
static void show_pools(RtSession *s)
{
	PgwConn *c = conn(s);
	PgwField f[6] = {{"shard", 0, 0, 25, -1, -1, 0},  {"active", 0, 0, 20, 8, -1, 0},
			 {"idle", 0, 0, 20, 8, -1, 0},    {"opened", 0, 0, 20, 8, -1, 0},
			 {"closed", 0, 0, 20, 8, -1, 0},  {"taken", 0, 0, 20, 8, -1, 0}};
	pgw_send_row_description(c, 6, f);
	int n = vsc_shard_count(s->rt->vschema);
	for (int i = 0; i < n; i++) {
		RtPoolStats st;
		rt_pool_stats(s->rt, i, &st);
		char a[24], id[24], op[24], cl[24], tk[24];
		snprintf(a, sizeof(a), "%d", st.active);
		snprintf(id, sizeof(id), "%d", st.idle);
		snprintf(op, sizeof(op), "%" PRIu64, st.opened);
		snprintf(cl, sizeof(cl), "%" PRIu64, st.closed);
		snprintf(tk, sizeof(tk), "%" PRIu64, st.taken);
		const char *vals[6] = {vsc_shard(s->rt->vschema, i)->name, a, id, op, cl, tk};
		put_text_row(&c->out, 6, vals);
	}
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", n);
	pgw_send_command_complete(c, tag);
}

/* SHOW PLAN_CACHE: query strings whose parse tree is kept, and how often
 * one was found there. */
static void show_plan_cache(RtSession *s)
{
	PgwConn *c = conn(s);
	PgwField f[3] = {{"entries", 0, 0, 20, 8, -1, 0}, {"hits", 0, 0, 20, 8, -1, 0}, {"misses", 0, 0, 20, 8, -1, 0}};
	pgw_send_row_description(c, 3, f);
	int n;
	uint64_t hits, misses;
	rt_plancache_stats(s->rt, &n, &hits, &misses);
	char a[24], b[24], d[24];
	snprintf(a, sizeof(a), "%d", n);
	snprintf(b, sizeof(b), "%" PRIu64, hits);
	snprintf(d, sizeof(d), "%" PRIu64, misses);
	const char *vals[3] = {a, b, d};
	put_text_row(&c->out, 3, vals);
	pgw_send_command_complete(c, "SHOW 1");
}

typedef struct ShowTxn {
	RtSession *s;
	int n;
} ShowTxn;

static void show_one_transaction(void *arg, const char *gid, const char *shards)
{
	ShowTxn *st = arg;
	char names[1024] = "";
	size_t len = 0;
	for (const char *p = shards; *p;) {
		char *end;
		long i = strtol(p, &end, 10);
		if (end == p)
			break;
		if (i >= 0 && i < vsc_shard_count(st->s->rt->vschema))
			len += (size_t)snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0, "%s%s",
						len ? "," : "", vsc_shard(st->s->rt->vschema, (int)i)->name);
		p = *end == ',' ? end + 1 : end;
	}
	const char *vals[3] = {gid, "committing", names};
	put_text_row(&conn(st->s)->out, 3, vals);
	st->n++;
}

/* SHOW TRANSACTIONS: the in-doubt transactions, decided to commit and not
 * yet committed on every shard (recovery finishes them). */
static void show_transactions(RtSession *s)
{
	PgwConn *c = conn(s);
	PgwField f[3] = {{"gid", 0, 0, 25, -1, -1, 0}, {"state", 0, 0, 25, -1, -1, 0}, {"shards", 0, 0, 25, -1, -1, 0}};
	pgw_send_row_description(c, 3, f);
	ShowTxn st = {s, 0};
	rt_coord_foreach_open(s->rt->coord, show_one_transaction, &st);
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", st.n);
	pgw_send_command_complete(c, tag);
}

/* EXPLAIN: a line saying how the router runs the statement, then each
 * shard's plan under a line naming the shard, one shard after the other.
 * For an Execute the lines are rows of its portal (the client has the
 * RowDescription from Describe) and the shards explain with its bound
 * parameters, unless the route wrote them in. */
static void explain_begin(RtSession *s, RtRoute *route, const char *text, const RtParams *params)
{
	PgwConn *c = conn(s);
	PgwField f = {"QUERY PLAN", 0, 0, 25, -1, -1, 0};
	if (!s->portal)
		pgw_send_row_description(c, 1, &f);
	s->rowdesc_sent = true;
	s->explain_params = route->params_inlined ? NULL : params;
	char line[256];
	if (route->merge && route->kmerge.sql && route->kmerge.pushed >= 0)
		snprintf(line, sizeof(line),
			 "DoSQL: %d shards send their first %lld rows of \"%s\" in the query's order; the router merges"
			 " them in order as they come",
			 route->nshards, (long long)route->kmerge.pushed, route->merge_table);
	else if (route->merge && route->kmerge.sql)
		snprintf(line, sizeof(line),
			 "DoSQL: %d shards send the rows of \"%s\" in the query's order; the router merges them in order"
			 " as they come",
			 route->nshards, route->merge_table);
	else if (route->merge && route->partial)
		snprintf(line, sizeof(line),
			 "DoSQL: %d shards group and aggregate the rows of \"%s\"; the router combines their partial"
			 " results",
			 route->nshards, route->merge_table);
	else if (route->merge && route->merge_limit >= 0)
		snprintf(line, sizeof(line),
			 "DoSQL: %d shards send their first %lld rows of \"%s\" in the query's order; the final step runs"
			 " in the router",
			 route->nshards, (long long)route->merge_limit, route->merge_table);
	else if (route->merge)
		snprintf(line, sizeof(line), "DoSQL: %d shards send the rows of \"%s\"; the final step runs in the router",
			 route->nshards, route->merge_table);
	else if (route->replicated)
		snprintf(line, sizeof(line), "DoSQL: every shard (%d), a reference table", route->nshards);
	else if (route->nshards == 1)
		snprintf(line, sizeof(line), "DoSQL: one shard");
	else if (route->write)
		snprintf(line, sizeof(line), "DoSQL: %d shards, one autocommit statement on each", route->nshards);
	else
		snprintf(line, sizeof(line), "DoSQL: %d shards, rows concatenated", route->nshards);
	const char *vals[1] = {line};
	put_text_row(rt_row_buf(s), 1, vals);
	if (route->merge) {
		const char *sql = route->kmerge.sql ? route->kmerge.sql : route->shard_sql;
		size_t n = strlen(sql) + 16;
		s->explain_sql = malloc(n);
		if (s->explain_sql)
			snprintf(s->explain_sql, n, "EXPLAIN %s", sql);
	} else {
		s->explain_sql = strdup(text);
	}
	s->explain_n = route->nshards;
	s->explain_next = 0;
	memcpy(s->explain_shards, route->shards, sizeof(int) * (size_t)route->nshards);
}

/* Send the EXPLAIN to the next shard; false when nothing was sent. */
static bool explain_step(RtSession *s)
{
	if (!s->explain_sql || s->explain_next >= s->explain_n)
		return false;
	int shard = s->explain_shards[s->explain_next++];
	char line[160];
	snprintf(line, sizeof(line), "Shard \"%s\":", vsc_shard(s->rt->vschema, shard)->name);
	const char *vals[1] = {line};
	put_text_row(rt_row_buf(s), 1, vals);
	return rt_dispatch(s, s->explain_sql, &shard, 1, s->explain_params, 0) && s->waiting > 0;
}

bool rt_explain_start(RtSession *s, RtRoute *route, const char *text, const RtParams *params)
{
	explain_begin(s, route, text, params);
	if (explain_step(s))
		return true;
	free(s->explain_sql);
	s->explain_sql = NULL;
	return false;
}

/* CREATE TABLE of a table the VSchema does not name: say where its rows go. */
static void placement_notice(RtSession *s, const char *table)
{
	const VscSchema *vs = s->rt->vschema;
	if (vsc_table(vs, table))
		return;
	const VscTable *d = vsc_default_placement(vs);
	PgwError e;
	if (d->placement == VSC_PINNED)
		pgw_error_set(&e, "00000", "table \"%s\" is not in the VSchema: its rows are kept unsharded on shard \"%s\"",
			      table, vsc_shard(vs, d->shard)->name);
	else
		pgw_error_set(&e, "00000", "table \"%s\" is not in the VSchema: it is placed as %s", table,
			      vsc_placement_str(d->placement));
	e.severity = "NOTICE";
	pgw_send_notice(conn(s), &e);
}

/* Give back the query's parse tree. */
static void tree_release(RtSession *s)
{
	struct RtShape *sh = query_shape(s);
	if (s->tree)
		rt_plancache_release(s->rt, sh ? sh->key : s->sql);
	if (sh)
		rt_shape_free(sh);
	s->tree = NULL;
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
	s->tree = t;
	/* the verdict is the tree's: noted with it (1 yes, -1 no) */
	signed char *mark = rt_plancache_mark(s->rt);
	if (mark && *mark == 0)
		*mark = rt_shape_as_parameters(t->stmts[0]->stmt) ? 1 : -1;
	s->shape->as_parameters = mark ? *mark > 0 : rt_shape_as_parameters(t->stmts[0]->stmt);
	return true;
}

/* A route that sends the statement's text as it is, so that the shape's
 * tree, with parameters for the literals, planned it as the text's own. */
static bool shape_route(const RtRoute *r)
{
	return r->kind == RT_ROUTE_SHARDS && !r->merge && !r->move && !r->copy && !r->copy_out && !r->split_sql &&
	       !r->explain;
}

/* Run statements of the current query until one has to wait for shards. */
static void run_next(RtSession *s)
{
	PgwConn *c = conn(s);
	while (s->tree && s->next_stmt < s->tree->n_stmts && s->waiting == 0) {
		if (s->query_failed)
			break;
		PgQuery__RawStmt *raw = s->tree->stmts[s->next_stmt];
		const struct RtShape *shape = query_shape(s);
		int len = raw->stmt_len ? raw->stmt_len : (int)strlen(s->sql + raw->stmt_location);
		char *text = shape ? strdup(shape->text) : strndup(s->sql + raw->stmt_location, (size_t)len);
		s->cur = raw->stmt;
		free(s->cur_text);
		s->cur_text = strdup(text);
		s->stmt_char_offset = shape ? 0 : chars(s->sql, raw->stmt_location);
		rt_reset_statement(s);
		if (s->txn == RT_TXN_FAILED && !(raw->stmt->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT &&
						 (is_txn_end(raw->stmt) || raw->stmt->transaction_stmt->kind ==
										PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO))) {
			PgwError e;
			pgw_error_set(&e, "25P02",
				      "current transaction is aborted, commands ignored until end of transaction block");
			rt_send_error(s, &e);
			s->query_failed = true;
			free(text);
			break;
		}
		PgQuery__Node *planned = raw->stmt;
		if (planned->node_case == PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT) {
			/* the cursor's query runs now, its rows kept in the router */
			PgwError e;
			char *query;
			if (!rt_cursor_declare(s, planned->declare_cursor_stmt, &query, &e)) {
				rt_send_error(s, &e);
				free(text);
				s->query_failed = true;
				if (s->txn == RT_TXN_BLOCK)
					s->txn = RT_TXN_FAILED;
				break;
			}
			free(text);
			text = query;
			planned = planned->declare_cursor_stmt->query;
		}
		RtRoute route;
		rt_plan(s->rt, planned, text, shape ? &shape->params : NULL, &route);
		if (shape && !shape_route(&route)) {
			/* the text's own tree plans it (a final step, a split, ...) */
			rt_route_cleanup(&route);
			free(text);
			tree_release(s);
			PgwError e;
			s->tree = rt_plancache_get(s->rt, s->sql, &e);
			if (!s->tree) {
				rt_send_error(s, &e);
				s->query_failed = true;
				break;
			}
			continue;
		}
		if (raw->stmt->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT)
			route.kind = RT_ROUTE_SHARDS, route.nshards = 1, route.shards[0] = rt_txn_first(s) >= 0 ? rt_txn_first(s) : 0;
		s->cur_write = route.write;
		if (route.kind == RT_ROUTE_SHARDS && route.write && (route.nshards > 1 || route.move) &&
		    s->txn == RT_TXN_IDLE)
			s->implicit = true; /* a write over several shards commits atomically */
		bool answered = true;
		switch (route.kind) {
		case RT_ROUTE_LOCAL:
			if (raw->stmt->node_case == PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT) {
				if (strcasecmp(raw->stmt->variable_show_stmt->name, "stats") == 0)
					show_stats(s);
				else if (strcasecmp(raw->stmt->variable_show_stmt->name, "transactions") == 0)
					show_transactions(s);
				else if (strcasecmp(raw->stmt->variable_show_stmt->name, "plan_cache") == 0)
					show_plan_cache(s);
				else if (strcasecmp(raw->stmt->variable_show_stmt->name, "pools") == 0)
					show_pools(s);
				else if (strcasecmp(raw->stmt->variable_show_stmt->name, "slots") == 0)
					cdc_show_slots(s);
				else
					show_vschema(s);
				break;
			}
			if (raw->stmt->node_case == PG_QUERY__NODE__NODE_DEALLOCATE_STMT) {
				/* prepared statements live in the router */
				const char *name = raw->stmt->deallocate_stmt->name;
				if (!rt_ext_deallocate(s, name)) {
					PgwError e;
					pgw_error_set(&e, "26000", "prepared statement \"%s\" does not exist", name);
					rt_send_error(s, &e);
				} else {
					pgw_send_command_complete(c, name && name[0] ? "DEALLOCATE" : "DEALLOCATE ALL");
				}
				break;
			}
			if (raw->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
				rt_placement_run(s, rt_placement_call(raw->stmt));
				break;
			}
			if (raw->stmt->node_case == PG_QUERY__NODE__NODE_FETCH_STMT) {
				rt_cursor_fetch(s, raw->stmt->fetch_stmt, NULL, 0);
				break;
			}
			if (raw->stmt->node_case == PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT) {
				rt_cursor_close(s, raw->stmt->close_portal_stmt->portalname);
				break;
			}
			answered = rt_transaction_stmt(s, raw->stmt->transaction_stmt, text);
			break;
		case RT_ROUTE_REFUSE:
			rt_send_error(s, &route.err);
			break;
		case RT_ROUTE_ALL:
			if (raw->stmt->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT) {
				/* rows go, on every shard, atomically (in a transaction too) */
				s->cur_write = true;
				s->fanout = true;
				s->fanout_shard = route.shards[0];
				if (s->txn == RT_TXN_IDLE && route.nshards > 1)
					s->implicit = true;
				answered = !rt_dispatch_each(s, text, NULL, route.shards, route.nshards, NULL, 0);
				break;
			}
			if (raw->stmt->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
				placement_notice(s, raw->stmt->create_stmt->relation->relname);
			answered = !rt_dispatch_ddl(s, text, &route);
			break;
		case RT_ROUTE_SHARDS:
			if (route.explain) {
				answered = !rt_explain_start(s, &route, text, NULL);
				rt_route_cleanup(&route);
				break;
			}
			if (route.copy_out) {
				answered = !rt_copy_out_start(s, raw->stmt->copy_stmt, text, &route);
				rt_route_cleanup(&route);
				break;
			}
			if (route.copy) {
				answered = !rt_copy_start(s, raw->stmt->copy_stmt, text, &route) || s->waiting == 0;
				rt_route_cleanup(&route);
				if (answered)
					rt_copy_free(s);
				break;
			}
			if (route.move) {
				if (!rt_move_start(s, &route)) {
					PgwError e;
					pgw_error_set(&e, "53200", "out of memory");
					rt_send_error(s, &e);
					rt_route_cleanup(&route);
					break;
				}
				answered = !rt_dispatch_each(s, route.shard_sql, NULL, route.shards, route.nshards, NULL, 0);
				rt_route_cleanup(&route);
				if (answered)
					rt_move_free(s);
				break;
			}
			if (route.merge) {
				answered = !rt_merge_start(s, &route, text, NULL);
				rt_route_cleanup(&route);
				break;
			}
			s->fanout = route.replicated;
			s->fanout_shard = route.shards[0];
			if (route.returning_shards)
				rt_ordered_start(s, &route);
			answered = !dispatch(s, text, route.split_sql, shape && shape->as_parameters ? shape : NULL,
					     route.shards, route.nshards, NULL, 0);
			rt_route_cleanup(&route);
			break;
		}
		free(text);
		if (s->waiting == 0 && s->capture)
			rt_cursor_finish(s); /* answered at once (refused, most often) */
		if (s->stmt_error && s->waiting == 0) {
			s->query_failed = true;
			if (s->txn == RT_TXN_BLOCK)
				s->txn = RT_TXN_FAILED;
			break;
		}
		if (!answered || s->waiting > 0)
			return; /* statement_done() goes on */
		s->next_stmt++;
	}
	if (s->waiting > 0)
		return;
	/* the end of the query: an implicit transaction commits or rolls back */
	if (s->implicit && s->nparts > 0 && !s->ending) {
		/* its tag is not shown; an error committing is */
		s->ending = true;
		rt_reset_statement(s);
		s->cur = NULL;
		if (rt_txn_finish(s, !s->query_failed))
			return;
		s->ending = false;
		rt_txn_reset(s);
	}
	s->implicit = false;
	tree_release(s);
	free(s->sql);
	s->sql = NULL;
	s->cur = NULL;
	rt_send_ready(s);
	flush(s);
	pgw_evconn_resume_reading(s->ec);
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
	RtRouter *rt = sess(c)->rt;
	for (int i = 0; i < rt->nusers; i++)
		if (strcmp(rt->users[i].name, user) == 0)
			return rt->users[i].secret;
	return NULL;
}

static void cb_query(PgwConn *c, const char *sql)
{
	RtSession *s = sess(c);
	PgwError e;
	if (s->replication && cdc_ws_command(s, sql))
		return;
	if (s->replication || !shape_tree(s, sql))
		s->tree = rt_plancache_get(s->rt, sql, &e);
	if (!s->tree) {
		pgw_send_error(c, &e);
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
	if (cdc_ws_streaming(sess(c)))
		cdc_ws_copy_data(sess(c), data, len);
	else
		rt_copy_data(sess(c), data, len);
}

static void cb_copy_done(PgwConn *c)
{
	if (cdc_ws_streaming(sess(c)))
		cdc_ws_copy_done(sess(c));
	else
		rt_copy_end(sess(c), NULL);
}

static void cb_copy_fail(PgwConn *c, const char *msg)
{
	if (cdc_ws_streaming(sess(c)))
		cdc_ws_copy_done(sess(c));
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
	if (s->tp == RT_TP_PREPARING || s->tp == RT_TP_ABORTING)
		rt_coord_abandon(s->rt->coord, s->gid); /* no decision will come */
	cdc_ws_free(s);
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
	rt_move_free(s);
	rt_copy_free(s);
	rt_ext_free(s);
	free(s->cur_text);
	free(s->sql);
	session_arrays_free(s);
	free(s);
}
