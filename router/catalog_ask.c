/*
 * catalog_ask.c - what planning a statement needed from the first shard's
 * catalog and the router had not learned: a column's type, typmod and
 * position, the type of an expression's SELECT, a table's sequence
 * columns.
 *
 * The planner never waits for the first shard.  While a session's
 * statement is planned (rt->planning), a fact the catalog does not hold is
 * noted here and answered as unknown; when planning ends with facts noted,
 * the plan is thrown away (sequence values it drew given back), the facts
 * are asked over the describer's connection on the loop, and the statement
 * is planned again once they are all answered, this time finding them
 * here.  The other sessions go on meanwhile.  A fact the shard could not
 * be asked (its connection failed, or shard_timeout_ms passed) fails the
 * statement with that error (08006, 57014); one it answered with no row
 * stays unknown, as before.  The facts are dropped when the statement's
 * plan is made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

/* One fact asked. */
typedef struct RtAsk {
	struct RtAsk *next;
	struct RtCatalogAsks *asks; /* borrowed: its set */
	RtAskKind kind;
	char *table, *name; /* owned */
	bool sent, answered;
	RtAskAnswer answer;
} RtAsk;

struct RtCatalogAsks {
	RtRouter *rt;
	RtAsk *head;       /* owned */
	int pending;       /* sent, not answered */
	bool orphan;       /* the session went: freed with the last answer */
	bool cancelled;    /* an answer came cancelled (the session goes) */
	bool failed;       /* the shard could not be asked: the statement fails with err */
	PgwError err;
	RtTypesReady ready; /* the statement waiting, NULL none */
	void *arg;
};

static void asks_destroy(RtCatalogAsks *a)
{
	while (a->head) {
		RtAsk *k = a->head;
		a->head = k->next;
		free(k->table);
		free(k->name);
		free(k);
	}
	free(a);
}

void rt_asks_free(RtSession *s)
{
	RtCatalogAsks *a = s->asks;
	s->asks = NULL;
	if (!a)
		return;
	if (a->pending > 0)
		a->orphan = true;
	else
		asks_destroy(a);
}

const RtAskAnswer *rt_ask(RtSession *s, RtAskKind kind, const char *table, const char *name)
{
	RtCatalogAsks *a = s->asks;
	for (RtAsk *k = a ? a->head : NULL; k; k = k->next)
		if (k->kind == kind && strcmp(k->table, table) == 0 && strcmp(k->name, name) == 0)
			return k->answered ? &k->answer : NULL;
	if (!a) {
		if (!(a = calloc(1, sizeof(*a))))
			return NULL;
		a->rt = s->rt;
		s->asks = a;
	}
	RtAsk *k = calloc(1, sizeof(*k));
	if (!k || !(k->table = strdup(table)) || !(k->name = strdup(name))) {
		if (k)
			free(k->table);
		free(k);
		a->failed = true; /* planned again, it fails */
		pgw_error_set(&a->err, "53200", "out of memory");
		return NULL;
	}
	k->asks = a;
	k->kind = kind;
	k->answer.position = -1;
	k->answer.typmod = -1;
	k->next = a->head;
	a->head = k;
	return NULL;
}

bool rt_asks_unsent(const RtSession *s)
{
	for (const RtAsk *k = s->asks ? s->asks->head : NULL; k; k = k->next)
		if (!k->sent)
			return true;
	return false;
}

bool rt_asks_waiting(const RtSession *s) { return s->asks && s->asks->ready; }

bool rt_asks_failed(const RtSession *s, PgwError *err)
{
	if (!s->asks || !s->asks->failed)
		return false;
	*err = s->asks->err;
	return true;
}

/* k is answered (cancelled: its session goes): the statement is planned
 * again when it was the last. */
static void answered(RtAsk *k, bool cancelled)
{
	RtCatalogAsks *a = k->asks;
	k->answered = true;
	a->cancelled = a->cancelled || cancelled;
	if (--a->pending > 0)
		return;
	RtTypesReady ready = a->ready;
	a->ready = NULL;
	if (a->orphan)
		asks_destroy(a);
	else if (ready)
		ready(a->arg, a->cancelled);
}

/* The first shard could not be asked: the statement fails with why. */
static void cannot_ask(RtCatalogAsks *a, const PgwError *why)
{
	if (a->failed)
		return;
	a->failed = true;
	if (why)
		a->err = *why;
	else
		rt_meta_failure(a->rt, &a->err);
}

static void column_answered(void *arg, PGresult *r, bool cancelled)
{
	RtAsk *k = arg;
	if (!cancelled && !r)
		cannot_ask(k->asks, NULL);
	if (!cancelled && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 3) {
		k->answer.oid = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
		k->answer.typmod = (int32_t)strtol(PQgetvalue(r, 0, 1), NULL, 10);
		k->answer.position = atoi(PQgetvalue(r, 0, 2));
		rt_column_learn(k->asks->rt, k->table, k->name, &k->answer);
	}
	PQclear(r);
	answered(k, cancelled);
}

static void select_answered(void *arg, RtDesc *d, const PgwError *err)
{
	RtAsk *k = arg;
	bool cancelled = !d && !err;
	if (err && strncmp(err->sqlstate, "08", 2) == 0)
		cannot_ask(k->asks, err); /* the statement itself may prepare: the shard was not asked */
	else if (err && strcmp(err->sqlstate, "57014") == 0)
		cannot_ask(k->asks, err);
	if (d && d->nfields == 1 && d->fields[0].type_oid) {
		k->answer.oid = d->fields[0].type_oid;
		k->answer.typmod = d->fields[0].typmod;
		rt_select_learn(k->asks->rt, k->table, k->name, &k->answer);
	}
	rt_desc_free(d);
	answered(k, cancelled);
}

static void seq_answered(void *arg, PGresult *r, bool cancelled)
{
	RtAsk *k = arg;
	if (!cancelled && !r)
		cannot_ask(k->asks, NULL);
	if (!cancelled && r)
		k->answer.nseq = rt_seq_columns_learn(k->asks->rt, k->table, r, k->answer.seq);
	if (k->answer.nseq < 0)
		k->answer.nseq = 0;
	PQclear(r);
	answered(k, cancelled);
}

/* The query behind a column's facts: its type, typmod and position among
 * the columns not dropped (-1 for a system column). */
#define COLUMN_SQL                                                                                                     \
	"select a.atttypid, a.atttypmod, case when a.attnum > 0 then (select count(*) from pg_attribute b"             \
	" where b.attrelid = a.attrelid and b.attnum > 0 and b.attnum < a.attnum and not b.attisdropped) else -1 end"  \
	" from pg_attribute a join pg_class c on c.oid = a.attrelid where c.relname = $1 and a.attname = $2"

/* Ask k on the describer's connection; false out of memory. */
static bool send_ask(RtSession *s, RtAsk *k)
{
	const char *params[2] = {k->table, k->name};
	switch (k->kind) {
	case RT_ASK_COLUMN:
		return rt_meta_query_async(s->rt, COLUMN_SQL, 2, params, column_answered, k, s);
	case RT_ASK_SELECT:
		return rt_describe_async(s->rt, k->name, 0, NULL, select_answered, k, s);
	case RT_ASK_SEQ_COLUMNS:
		return rt_meta_query_async(s->rt, rt_seq_columns_sql(), 1, params, seq_answered, k, s);
	}
	return false;
}

bool rt_asks_wait(RtSession *s, RtTypesReady ready, void *arg)
{
	RtCatalogAsks *a = s->asks;
	a->ready = ready;
	a->arg = arg;
	for (RtAsk *k = a->head; k; k = k->next) {
		if (k->sent)
			continue;
		k->sent = true;
		if (send_ask(s, k)) {
			a->pending++;
			continue;
		}
		k->answered = true;
		PgwError e;
		pgw_error_set(&e, "53200", "out of memory");
		cannot_ask(a, &e);
	}
	if (a->pending > 0)
		return true;
	a->ready = NULL; /* nothing went out */
	return false;
}
