/*
 * move.c - an UPDATE of a table's vindex column, which moves rows between
 * shards.
 *
 * Every shard the WHERE clause routes to runs the UPDATE itself, with
 * RETURNING *, so the new rows are computed by the shards with PostgreSQL's
 * semantics (expressions, defaults, constraints).  A row whose new vindex
 * value belongs to another shard is then deleted from the shard it is on
 * (matched on every column: a row placed where its key says cannot have a
 * twin there that stays) and inserted into its new shard, in the same
 * transaction: a statement outside a transaction block runs as one implicit
 * transaction, so the move commits with two-phase commit or not at all.
 * The client sees "UPDATE n".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"
#include "pgsql/translate.h"

typedef struct MoveRow {
	int from;      /* the shard it is on */
	int to;        /* the shard its new key belongs to */
	char **values; /* owned, nfields; NULL is SQL NULL */
} MoveRow;

struct RtMove {
	char table[64];
	const VscColumnVindex *cv; /* borrowed from the VSchema */
	bool moving;               /* the second step (DELETE + INSERT) runs */
	int nfields;
	char **names;   /* owned */
	int keycol;     /* index of the vindex column in names, -1 unknown */
	uint32_t keytype;
	int nrows, caprows;
	MoveRow *rows;  /* owned */
	uint64_t updated;
	PgwError err;
	bool failed;    /* err is set */
};

static void move_free(RtMove *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nrows; i++) {
		for (int k = 0; k < m->nfields; k++)
			free(m->rows[i].values[k]);
		free(m->rows[i].values);
	}
	free(m->rows);
	for (int k = 0; k < m->nfields; k++)
		free(m->names[k]);
	free(m->names);
	free(m);
}

bool rt_move_start(RtSession *s, const RtOp *op)
{
	RtMove *m = calloc(1, sizeof(*m));
	if (!m)
		return false;
	snprintf(m->table, sizeof(m->table), "%s", op->table);
	m->cv = op->move;
	m->keycol = -1;
	m->keytype = rt_column_type(s->rt, m->table, m->cv->column);
	move_free(s->move);
	s->move = m;
	return true;
}

void rt_move_free(RtSession *s)
{
	move_free(s->move);
	s->move = NULL;
}

/* The shard the new key of a row belongs to; -1 with m->err set. */
static int row_shard(RtSession *s, RtMove *m, char *const *values)
{
	const char *v = values[m->keycol];
	if (!v)
		return vsc_shard_for_ksid(s->rt->vschema, 0); /* a NULL key: the shard of keyspace id 0 */
	uint64_t ksid;
	VscError e;
	if (!vsc_ksid_text(m->cv->vindex, m->keytype ? m->keytype : 25, v, strlen(v), &ksid, &e)) {
		pgw_error_set(&m->err, "XX000", "%s", e.msg);
		memcpy(m->err.sqlstate, e.sqlstate, 5);
		return -1;
	}
	return vsc_shard_for_ksid(s->rt->vschema, ksid);
}

/* Keep one returned row. */
static bool keep_row(RtSession *s, RtMove *m, RtBackend *b, PGresult *r, int t)
{
	if (!m->names) {
		m->nfields = PQnfields(r);
		m->names = calloc((size_t)m->nfields + 1, sizeof(char *));
		for (int k = 0; m->names && k < m->nfields; k++) {
			m->names[k] = strdup(PQfname(r, k));
			if (strcmp(m->names[k], m->cv->column) == 0)
				m->keycol = k;
		}
		if (!m->names || m->keycol < 0) {
			pgw_error_set(&m->err, "XX000", "the UPDATE did not return the vindex column \"%s\"", m->cv->column);
			return false;
		}
	}
	if (m->nrows == m->caprows) {
		int cap = m->caprows ? m->caprows * 2 : 16;
		MoveRow *rows = realloc(m->rows, sizeof(*rows) * (size_t)cap);
		if (!rows) {
			pgw_error_set(&m->err, "53200", "out of memory");
			return false;
		}
		m->rows = rows;
		m->caprows = cap;
	}
	MoveRow *row = &m->rows[m->nrows];
	row->values = calloc((size_t)m->nfields + 1, sizeof(char *));
	if (!row->values) {
		pgw_error_set(&m->err, "53200", "out of memory");
		return false;
	}
	m->nrows++;
	for (int k = 0; k < m->nfields; k++)
		row->values[k] = PQgetisnull(r, t, k) ? NULL : strdup(PQgetvalue(r, t, k));
	row->from = b->shard;
	row->to = row_shard(s, m, row->values);
	return row->to >= 0;
}

bool rt_move_result(RtSession *s, RtBackend *b, PGresult *r)
{
	RtMove *m = s->move;
	if (!m)
		return false;
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_FATAL_ERROR)
		return false; /* relayed as the statement's error */
	if (m->failed || s->stmt_error)
		return true;
	if (!m->moving && (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)) {
		for (int t = 0; t < PQntuples(r) && !m->failed; t++)
			m->failed = !keep_row(s, m, b, r, t);
		const char *tag = PQcmdStatus(r);
		if (st == PGRES_TUPLES_OK && strncmp(tag, "UPDATE ", 7) == 0)
			m->updated += strtoull(tag + 7, NULL, 10);
	}
	return true; /* the second step's tags are not the client's */
}

/* The second step on one shard: delete the rows that leave it, insert the
 * rows that come to it.  Empty when it has neither. */
static void shard_step(const RtMove *m, int shard, Buf *q)
{
	bool first = true;
	for (int i = 0; i < m->nrows; i++) {
		const MoveRow *row = &m->rows[i];
		if (row->from != shard || row->to == shard)
			continue;
		if (first) {
			buf_put_str(q, "DELETE FROM ");
			pgs_put_ident(q, m->table);
			buf_put_str(q, " WHERE ");
		} else {
			buf_put_str(q, " OR ");
		}
		first = false;
		buf_put_u8(q, '(');
		for (int k = 0; k < m->nfields; k++) {
			if (k)
				buf_put_str(q, " AND ");
			pgs_put_ident(q, m->names[k]);
			if (!row->values[k]) {
				buf_put_str(q, " IS NULL");
			} else {
				buf_put_str(q, " = ");
				pgs_put_literal(q, row->values[k], strlen(row->values[k]));
			}
		}
		buf_put_u8(q, ')');
	}
	if (!first)
		buf_put_u8(q, ';');
	first = true;
	for (int i = 0; i < m->nrows; i++) {
		const MoveRow *row = &m->rows[i];
		if (row->to != shard || row->from == shard)
			continue;
		if (first) {
			buf_put_str(q, "INSERT INTO ");
			pgs_put_ident(q, m->table);
			buf_put_str(q, " (");
			for (int k = 0; k < m->nfields; k++) {
				if (k)
					buf_put_str(q, ", ");
				pgs_put_ident(q, m->names[k]);
			}
			buf_put_str(q, ") VALUES ");
		} else {
			buf_put_str(q, ", ");
		}
		first = false;
		buf_put_u8(q, '(');
		for (int k = 0; k < m->nfields; k++) {
			if (k)
				buf_put_str(q, ", ");
			if (row->values[k])
				pgs_put_literal(q, row->values[k], strlen(row->values[k]));
			else
				buf_put_str(q, "NULL");
		}
		buf_put_u8(q, ')');
	}
	if (!first)
		buf_put_u8(q, ';');
}

bool rt_move_step(RtSession *s)
{
	RtMove *m = s->move;
	if (m->failed && !s->stmt_error)
		rt_send_error(s, &m->err);
	if (!m->moving && !s->stmt_error) {
		m->moving = true;
		int n = vsc_shard_count(s->rt->vschema);
		Buf q[RT_MAX_SHARDS];
		for (int sh = 0; sh < n; sh++) {
			buf_init(&q[sh]);
			shard_step(m, sh, &q[sh]);
		}
		if (rt_dispatch_step(s, q, n))
			return true;
	}
	rt_step_done(s, "UPDATE", m->updated); /* done: the client's tag */
	rt_move_free(s);
	return false;
}
