/*
 * lookup.c - writing an INSERT's lookup rows (plan_lookup.c) before the
 * INSERT itself, in the same transaction.
 *
 * The plan of an INSERT into a table with lookup vindexes carries, per
 * shard, the INSERTs into the lookup tables.  They are sent first (the
 * statement runs as an implicit transaction when no block is open, so the
 * lookup rows and the data commit together, with two-phase commit when
 * they are on several shards); their tags are not the client's.  When
 * they are in, the INSERT itself starts.  A lookup row that already exists
 * for a lookup_unique vindex is the INSERT's unique violation, reported as
 * PostgreSQL reports one of a UNIQUE constraint on the column:
 * 23505 `duplicate key value violates unique constraint "t_c_key"`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

struct RtLookup {
	const RtOp *op;   /* borrowed: the INSERT's operator in the session's plan */
	RtExecArgs args;  /* how it was started (its text: text) */
	char *text;       /* owned */
	bool written;     /* the lookup rows are in: the INSERT itself runs */
};

void rt_lookup_free(RtSession *s)
{
	if (s->lookup)
		free(s->lookup->text);
	free(s->lookup);
	s->lookup = NULL;
}

bool rt_lookup_written(const RtSession *s) { return s->lookup && s->lookup->written; }

bool rt_lookup_start(RtSession *s, const RtOp *op, const RtExecArgs *a)
{
	rt_lookup_free(s);
	s->lookup = calloc(1, sizeof(*s->lookup));
	if (!s->lookup) {
		PgwError e;
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
		return false;
	}
	s->lookup->op = op;
	s->lookup->args = *a;
	s->lookup->text = a->text ? strdup(a->text) : NULL; /* the caller's goes when the statement is sent */
	s->lookup->args.text = s->lookup->text;
	int shards[RT_MAX_SHARDS], n = 0;
	char *texts[RT_MAX_SHARDS];
	for (int i = 0; i < op->nlookup_sql; i++)
		if (op->lookup_sql[i]) {
			texts[n] = op->lookup_sql[i];
			shards[n++] = i;
		}
	s->fanout = false;
	s->cur_write = true;
	if (rt_dispatch_each(s, NULL, texts, shards, n, NULL, 0) && s->waiting > 0)
		return true;
	rt_lookup_free(s);
	return false;
}

/* A lookup_unique violation as the INSERT's: the constraint PostgreSQL
 * would name for UNIQUE (column), the key as the lookup table gave it. */
static void unique_violation(const RtOp *op, const PGresult *r, PgwError *e)
{
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	const char *key = detail ? strstr(detail, ")=(") : NULL;
	pgw_error_set(e, "23505", "duplicate key value violates unique constraint \"%s_%s_key\"", op->lookup_table,
		      op->lookup_column);
	if (key)
		snprintf(e->detail, sizeof(e->detail), "Key (%s)%s", op->lookup_column, key + 1);
	snprintf(e->table, sizeof(e->table), "%s", op->lookup_table);
	snprintf(e->constraint, sizeof(e->constraint), "%.30s_%.28s_key", op->lookup_table, op->lookup_column);
}

bool rt_lookup_result(RtSession *s, RtBackend *b, PGresult *r)
{
	(void)b;
	RtLookup *l = s->lookup;
	if (!l || l->written)
		return false;
	if (s->stmt_error)
		return true;
	if (PQresultStatus(r) != PGRES_FATAL_ERROR)
		return true; /* the lookup rows' tags are not the client's */
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (!state || strcmp(state, "23505") != 0 || !l->op->lookup_column[0])
		return false; /* relayed as the statement's error */
	PgwError e;
	unique_violation(l->op, r, &e);
	rt_send_error(s, &e);
	return true;
}

bool rt_lookup_step(RtSession *s)
{
	RtLookup *l = s->lookup;
	if (l->written || s->stmt_error) {
		rt_lookup_free(s);
		return false;
	}
	l->written = true;
	rt_reset_statement(s);
	if (rt_exec_start(s, &s->plan, &l->args))
		return true;
	rt_lookup_free(s);
	return false;
}
