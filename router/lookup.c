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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"
#include "pgsql/translate.h"
#include "router/plan_int.h"
#include "router/router.h"

/* One lookup row to delete: its lookup vindex, value and keyspace id. */
typedef struct DelRow {
	const VscVindex *v; /* borrowed */
	char *value;        /* owned */
	int64_t ksid;
} DelRow;

/* Lookup rows, each with its value owned. */
typedef struct RowSet {
	int n, cap;
	DelRow *rows; /* owned */
} RowSet;

/* The steps of an UPDATE setting a lookup vindex column. */
typedef enum UpdatePhase {
	UP_BEFORE,  /* the rows it changes are read (op->lookup_before) */
	UP_UPDATE,  /* it runs with RETURNING * */
	UP_LOOKUPS, /* the lookup rows whose values changed are replaced */
} UpdatePhase;

struct RtLookup {
	const RtOp *op;   /* borrowed: the INSERT's (DELETE's, UPDATE's) operator in the session's plan */
	RtExecArgs args;  /* how it was started (its text: text) */
	char *text;       /* owned */
	bool written;     /* INSERT: the lookup rows are in, the INSERT itself runs;
			   * DELETE: the rows are deleted, their lookup rows go */
	uint64_t deleted; /* DELETE (UPDATE): the rows deleted (updated), for the client's tag */
	RowSet del;       /* the lookup rows of the rows deleted (UPDATE: before it) */
	RowSet add;       /* UPDATE: the lookup rows of the rows after it */
	UpdatePhase phase;
	int nstar;        /* UPDATE ... RETURNING: the table's columns (the rows read first have them) */
	char tag[80];     /* DELETE ... RETURNING: the client's tag */
	PgwError err;
	bool failed;
};

static void rows_free(RowSet *set)
{
	for (int i = 0; i < set->n; i++)
		free(set->rows[i].value);
	free(set->rows);
}

void rt_lookup_free(RtSession *s)
{
	RtLookup *l = s->lookup;
	if (!l)
		return;
	rows_free(&l->del);
	rows_free(&l->add);
	free(l->text);
	free(l);
	s->lookup = NULL;
}

bool rt_lookup_written(const RtSession *s) { return s->lookup && s->lookup->written; }

/* A new lookup state for op started with a; false with the error sent. */
static bool lookup_new(RtSession *s, const RtOp *op, const RtExecArgs *a)
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
	return true;
}

bool rt_lookup_delete_start(RtSession *s, const RtOp *op, const RtExecArgs *a)
{
	if (!lookup_new(s, op, a))
		return false;
	const RtParams *params = a->params ? a->params : a->shape ? &a->shape->params : NULL;
	s->fanout = false;
	s->cur_write = true;
	if (rt_dispatch_each(s, op->sql, NULL, op->shards, op->nshards, params, 0) && s->waiting > 0)
		return true;
	rt_lookup_free(s);
	return false;
}

bool rt_lookup_start(RtSession *s, const RtOp *op, const RtExecArgs *a)
{
	if (!lookup_new(s, op, a))
		return false;
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

/* A lookup_unique violation as the INSERT's (UPDATE's) on table: the
 * constraint PostgreSQL would name for UNIQUE (column), the key as the
 * lookup table gave it. */
static void unique_violation(const char *table, const char *column, const PGresult *r, PgwError *e)
{
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	const char *key = detail ? strstr(detail, ")=(") : NULL;
	pgw_error_set(e, "23505", "duplicate key value violates unique constraint \"%s_%s_key\"", table, column);
	if (key)
		snprintf(e->detail, sizeof(e->detail), "Key (%s)%s", column, key + 1);
	snprintf(e->table, sizeof(e->table), "%s", table);
	snprintf(e->constraint, sizeof(e->constraint), "%.30s_%.28s_key", table, column);
}

/* Note in set the lookup rows of one row a DELETE or UPDATE returned
 * (RETURNING *): for each lookup vindex of the table, its non-NULL value
 * and the row's keyspace id.  False with l->err. */
static bool note_rows(RtSession *s, RtLookup *l, RowSet *set, const PGresult *r, int t)
{
	const VscTable *vt = vsc_table(s->rt->vschema, l->op->table);
	if (!vt || vt->placement != VSC_SHARDED)
		return true;
	int key = PQfnumber(r, vt->col_vindexes[0].column);
	if (key < 0 || PQgetisnull(r, t, key)) {
		pgw_error_set(&l->err, "XX000", "the DELETE did not return the vindex column \"%s\"", vt->col_vindexes[0].column);
		return false;
	}
	uint32_t type = rt_column_type(s->rt, l->op->table, vt->col_vindexes[0].column);
	uint64_t ksid;
	VscError e;
	const char *kv = PQgetvalue(r, t, key);
	if (!vsc_ksid_text(vt->col_vindexes[0].vindex, type ? type : 25, kv, strlen(kv), &ksid, &e)) {
		pgw_error_set(&l->err, e.sqlstate, "%s", e.msg);
		return false;
	}
	for (int k = 1; k < vt->n_col_vindexes; k++) {
		int col = PQfnumber(r, vt->col_vindexes[k].column);
		if (!vsc_vindex_is_lookup(vt->col_vindexes[k].vindex) || col < 0 || PQgetisnull(r, t, col))
			continue;
		if (set->n == set->cap) {
			int cap = set->cap ? 2 * set->cap : 16;
			DelRow *more = realloc(set->rows, sizeof(*more) * (size_t)cap);
			if (!more) {
				pgw_error_set(&l->err, "53200", "out of memory");
				return false;
			}
			set->rows = more;
			set->cap = cap;
		}
		DelRow *d = &set->rows[set->n];
		*d = (DelRow){.v = vt->col_vindexes[k].vindex, .value = strdup(PQgetvalue(r, t, col)), .ksid = (int64_t)ksid};
		if (!d->value) {
			pgw_error_set(&l->err, "53200", "out of memory");
			return false;
		}
		set->n++;
	}
	return true;
}

/* A DELETE's (UPDATE's, or the rows before it) results, noted in set:
 * its rows are not the client's, only its count (tag verb). */
static bool rows_result(RtSession *s, RtLookup *l, RowSet *set, const char *verb, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_FATAL_ERROR)
		return false; /* relayed as the statement's error */
	if (l->failed || s->stmt_error)
		return true;
	if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK)
		for (int t = 0; t < PQntuples(r) && !l->failed; t++)
			l->failed = !note_rows(s, l, set, r, t);
	size_t n = strlen(verb);
	if (st == PGRES_TUPLES_OK && strncmp(PQcmdStatus(r), verb, n) == 0 && PQcmdStatus(r)[n] == ' ')
		l->deleted += strtoull(strrchr(PQcmdStatus(r), ' ') + 1, NULL, 10); /* INSERT's: "INSERT 0 n" */
	return true;
}

static bool update_result(RtSession *s, RtLookup *l, PGresult *r);

bool rt_lookup_result(RtSession *s, RtBackend *b, PGresult *r)
{
	(void)b;
	RtLookup *l = s->lookup;
	if (!l)
		return false;
	if (l->op->lookup_before || l->op->lookup_after)
		return update_result(s, l, r);
	if (l->op->lookup_delete)
		return l->written ? PQresultStatus(r) != PGRES_FATAL_ERROR : rows_result(s, l, &l->del, "DELETE", r);
	if (l->written)
		return false;
	if (s->stmt_error)
		return true;
	if (PQresultStatus(r) != PGRES_FATAL_ERROR)
		return true; /* the lookup rows' tags are not the client's */
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (!state || strcmp(state, "23505") != 0 || !l->op->lookup_column[0])
		return false; /* relayed as the statement's error */
	PgwError e;
	unique_violation(l->op->lookup_table, l->op->lookup_column, r, &e);
	rt_send_error(s, &e);
	return true;
}

/* The shard of the lookup row of value in v's lookup table; -1 when it
 * cannot be placed (the row is then looked for on every shard). */
int rt_lookup_row_shard(RtRouter *rt, const VscVindex *v, const char *value)
{
	const VscTable *lt = vsc_table(rt->vschema, v->lookup_table);
	if (!lt)
		lt = vsc_default_placement(rt->vschema);
	if (lt->placement == VSC_PINNED)
		return lt->shard;
	if (lt->placement != VSC_SHARDED)
		return -1;
	uint32_t type = rt_column_type(rt, v->lookup_table, lt->col_vindexes[0].column);
	uint64_t ksid;
	VscError e;
	if (!vsc_ksid_text(lt->col_vindexes[0].vindex, type ? type : 25, value, strlen(value), &ksid, &e))
		return -1;
	return vsc_shard_for_ksid(rt->vschema, ksid);
}

static void put_rows(RtRouter *rt, Buf *q, int n, const RowSet *set, void (*put)(Buf *q, const DelRow *d));

/* The DELETE of one lookup row, appended to q. */
static void put_delete(Buf *q, const DelRow *d)
{
	buf_put_str(q, "DELETE FROM ");
	pgs_put_ident(q, d->v->lookup_table);
	buf_put_str(q, " WHERE ");
	pgs_put_ident(q, d->v->lookup_from);
	buf_put_str(q, " = ");
	pgs_put_literal(q, d->value, strlen(d->value));
	buf_put_str(q, " AND ");
	pgs_put_ident(q, d->v->lookup_to);
	buf_printf(q, " = %lld;", (long long)d->ksid);
}

/* A DELETE's rows are gone: their lookup rows go, in the same
 * transaction; then the client's tag.  True while shards answer. */
static bool delete_step(RtSession *s, RtLookup *l)
{
	if (l->failed && !s->stmt_error)
		rt_send_error(s, &l->err);
	if (!l->written && !s->stmt_error) {
		l->written = true;
		int n = vsc_shard_count(s->rt->vschema);
		Buf q[RT_MAX_SHARDS];
		for (int sh = 0; sh < n; sh++)
			buf_init(&q[sh]);
		put_rows(s->rt, q, n, &l->del, put_delete);
		if (rt_dispatch_step(s, q, n))
			return true;
	}
	rt_step_done(s, "DELETE", l->deleted);
	rt_lookup_free(s);
	return false;
}

static bool update_step(RtSession *s, RtLookup *l);

bool rt_lookup_step(RtSession *s)
{
	RtLookup *l = s->lookup;
	if (l->op->lookup_before || l->op->lookup_after)
		return update_step(s, l);
	if (l->op->lookup_delete)
		return delete_step(s, l);
	if (l->written || s->stmt_error) {
		rt_lookup_free(s);
		return false;
	}
	l->written = true;
	dosql_fault("router-after-lookup-rows"); /* the lookup rows are written, the rows not yet */
	rt_reset_statement(s);
	if (rt_exec_start(s, &s->plan, &l->args))
		return true;
	rt_lookup_free(s);
	return false;
}

/* ---------------------------------------------------------------- UPDATE */

static void l_phase(RtSession *s, UpdatePhase p) { s->lookup->phase = p; }

bool rt_lookup_update_start(RtSession *s, const RtOp *op, const RtExecArgs *a)
{
	if (!lookup_new(s, op, a))
		return false;
	s->fanout = false;
	if (op->lookup_after) { /* INSERT ... ON CONFLICT DO NOTHING: nothing to read first */
		l_phase(s, UP_UPDATE);
		s->cur_write = true;
		if (rt_dispatch_each(s, op->sql, NULL, op->shards, op->nshards, s->plan.params, 0) && s->waiting > 0)
			return true;
		rt_lookup_free(s);
		return false;
	}
	s->cur_write = false; /* read in the UPDATE's transaction, which writes next */
	if (rt_dispatch_each(s, op->lookup_before, NULL, op->shards, op->nshards, NULL, 0) && s->waiting > 0)
		return true;
	rt_lookup_free(s);
	return false;
}

static bool update_result(RtSession *s, RtLookup *l, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	if (l->phase == UP_BEFORE) {
		if (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE)
			l->nstar = PQnfields(r);
		return rows_result(s, l, &l->del, "SELECT", r);
	}
	if (l->phase == UP_UPDATE && l->op->lookup_relay)
		return false; /* relayed: the client's rows */
	if (l->phase == UP_UPDATE) {
		bool mine = rows_result(s, l, &l->add, l->op->lookup_after ? "INSERT" : "UPDATE", r);
		if (l->op->lookup_tail && !l->failed && !s->stmt_error && (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) &&
		    PQnfields(r) >= l->nstar)
			(void)rt_send_rows_from(s, r, l->nstar); /* the client's RETURNING columns */
		return mine;
	}
	if (s->stmt_error || PQresultStatus(r) != PGRES_FATAL_ERROR)
		return true; /* the lookup rows' tags are not the client's */
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *lt = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
	const VscTable *vt = vsc_table(s->rt->vschema, l->op->table);
	if (!state || strcmp(state, "23505") != 0 || !lt || !vt || vt->placement != VSC_SHARDED)
		return false; /* relayed as the statement's error */
	for (int k = 1; k < vt->n_col_vindexes; k++) {
		const VscVindex *v = vt->col_vindexes[k].vindex;
		if (vsc_vindex_is_lookup(v) && strcmp(v->lookup_table, lt) == 0) {
			PgwError e;
			unique_violation(l->op->table, vt->col_vindexes[k].column, r, &e);
			rt_send_error(s, &e);
			return true;
		}
	}
	return false;
}

/* Lookup rows in the order of their vindex, keyspace id and value. */
static int row_cmp(const void *a, const void *b)
{
	const DelRow *x = a, *y = b;
	if (x->v != y->v)
		return (uintptr_t)x->v < (uintptr_t)y->v ? -1 : 1;
	if (x->ksid != y->ksid)
		return x->ksid < y->ksid ? -1 : 1;
	return strcmp(x->value, y->value);
}

/* Drop the lookup rows both sets hold (their values did not change):
 * what is left of del goes, what is left of add comes.  Dropped rows
 * keep a NULL value. */
static void cancel_unchanged(RowSet *del, RowSet *add)
{
	if (del->n)
		qsort(del->rows, (size_t)del->n, sizeof(DelRow), row_cmp);
	if (add->n)
		qsort(add->rows, (size_t)add->n, sizeof(DelRow), row_cmp);
	for (int i = 0, j = 0; i < del->n && j < add->n;) {
		int c = row_cmp(&del->rows[i], &add->rows[j]);
		if (c == 0) {
			free(del->rows[i].value);
			free(add->rows[j].value);
			del->rows[i++].value = NULL;
			add->rows[j++].value = NULL;
		} else if (c < 0) {
			i++;
		} else {
			j++;
		}
	}
}

/* The INSERT of one lookup row, appended to q. */
static void put_insert(Buf *q, const DelRow *d)
{
	Buf one;
	buf_init(&one);
	rt_lookup_add_row(&one, d->v, d->value, (uint64_t)d->ksid);
	buf_put_str(q, buf_cstr(&one));
	buf_put_u8(q, ';');
	buf_cleanup(&one);
}

/* Each row of set (those not dropped) put on the shard of its lookup row
 * (every shard when it cannot be placed). */
static void put_rows(RtRouter *rt, Buf *q, int n, const RowSet *set, void (*put)(Buf *q, const DelRow *d))
{
	for (int i = 0; i < set->n; i++) {
		if (!set->rows[i].value)
			continue;
		int sh = rt_lookup_row_shard(rt, set->rows[i].v, set->rows[i].value);
		for (int k = 0; k < n; k++)
			if (sh < 0 || k == sh)
				put(&q[k], &set->rows[i]);
	}
}

/* An UPDATE's next step: the UPDATE after its rows were read, the lookup
 * rows after the UPDATE (on each shard the old ones go before the new
 * ones come, so values swapped between rows are no duplicates), then
 * the client's tag.  True while shards answer. */
static bool update_step(RtSession *s, RtLookup *l)
{
	if (l->failed && !s->stmt_error)
		rt_send_error(s, &l->err);
	if (!s->stmt_error && l->phase == UP_BEFORE) {
		l->phase = UP_UPDATE;
		l->deleted = 0;
		rt_reset_statement(s);
		s->cur_write = true;
		if (rt_dispatch_each(s, l->op->sql, NULL, l->op->shards, l->op->nshards, NULL,
				     l->op->lookup_relay ? l->args.result_format : 0) ||
		    s->waiting > 0)
			return true;
	}
	if (!s->stmt_error && l->phase == UP_UPDATE) {
		l->phase = UP_LOOKUPS;
		dosql_fault("router-after-update-rows"); /* the rows changed, their lookup rows not yet */
		if (l->op->lookup_relay)
			rt_statement_tag(s, s->rows, l->tag, sizeof(l->tag)); /* the client's, kept over the next step */
		cancel_unchanged(&l->del, &l->add);
		int n = vsc_shard_count(s->rt->vschema);
		Buf q[RT_MAX_SHARDS];
		for (int sh = 0; sh < n; sh++)
			buf_init(&q[sh]);
		put_rows(s->rt, q, n, &l->del, put_delete);
		put_rows(s->rt, q, n, &l->add, put_insert);
		if (rt_dispatch_step(s, q, n))
			return true;
	}
	if (l->op->lookup_relay && !s->stmt_error) {
		rt_reset_statement(s);
		snprintf(s->tag, sizeof(s->tag), "%s", l->tag);
	} else {
		rt_step_done(s, l->op->lookup_after ? "INSERT 0" : "UPDATE", l->deleted);
	}
	rt_lookup_free(s);
	return false;
}

/* Whether keys (String nodes) name column. */
static bool keys_have(PgQuery__Node *const *keys, size_t n, const char *column)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i]->node_case == PG_QUERY__NODE__NODE_STRING && strcmp(keys[i]->string->sval, column) == 0)
			return true;
	return false;
}

/* The NOTICE for one constraint over keys (or the one column col). */
static void unique_notice(RtSession *s, const VscTable *vt, const char *table, const PgQuery__Constraint *c,
			  PgQuery__Node *const *keys, size_t nkeys, const char *col)
{
	const char *vcol = vt->col_vindexes[0].column;
	if (col ? strcmp(col, vcol) == 0 : keys_have(keys, nkeys, vcol))
		return; /* rows with equal keys have equal vindex values: one shard */
	const char *one = col ? col : nkeys == 1 && keys[0]->node_case == PG_QUERY__NODE__NODE_STRING ? keys[0]->string->sval : NULL;
	for (int k = 1; one && k < vt->n_col_vindexes; k++)
		if (vt->col_vindexes[k].vindex->kind == VSC_VINDEX_LOOKUP_UNIQUE && strcmp(vt->col_vindexes[k].column, one) == 0)
			return; /* its lookup table holds it across the cluster */
	Buf cols;
	buf_init(&cols);
	if (col)
		buf_put_str(&cols, col);
	for (size_t i = 0; !col && i < nkeys; i++)
		if (keys[i]->node_case == PG_QUERY__NODE__NODE_STRING)
			buf_printf(&cols, "%s%s", i ? ", " : "", keys[i]->string->sval);
	char name[128];
	bool pk = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
	if (c->conname && c->conname[0])
		snprintf(name, sizeof(name), "%s", c->conname);
	else if (pk)
		snprintf(name, sizeof(name), "%s_pkey", table);
	else {
		/* PostgreSQL's name: the table, the columns, "key", joined by '_' */
		size_t len = (size_t)snprintf(name, sizeof(name), "%s", table);
		for (size_t i = 0; i < (col ? 1 : nkeys) && len < sizeof(name); i++)
			len += (size_t)snprintf(name + len, sizeof(name) - len, "_%s",
						col ? col : keys[i]->node_case == PG_QUERY__NODE__NODE_STRING ? keys[i]->string->sval : "");
		if (len < sizeof(name))
			snprintf(name + len, sizeof(name) - len, "_key");
	}
	PgwError e;
	pgw_error_set(&e, "00000",
		      "constraint \"%s\" of the sharded table \"%s\" holds on each shard only: it does not include the vindex "
		      "column \"%s\", so rows on different shards can repeat (%s)",
		      name, table, vcol, buf_cstr(&cols));
	if (one)
		snprintf(e.hint, sizeof(e.hint), "A lookup_unique vindex on \"%s\" in the VSchema makes it hold across the cluster.",
			 one);
	e.severity = "NOTICE";
	pgw_send_notice(pgw_evconn_conn(s->ec), &e);
	buf_cleanup(&cols);
}

void rt_unique_notices(RtSession *s, const PgQuery__CreateStmt *cs)
{
	const char *table = cs->relation->relname;
	const VscTable *vt = vsc_table(s->rt->vschema, table);
	if (!vt || vt->placement != VSC_SHARDED)
		return;
	for (size_t i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];
		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			const PgQuery__ColumnDef *cd = n->column_def;
			for (size_t k = 0; k < cd->n_constraints; k++) {
				const PgQuery__Constraint *c = cd->constraints[k]->constraint;
				if (cd->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
				    (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
				     c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE))
					unique_notice(s, vt, table, c, NULL, 0, cd->colname);
			}
		} else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			const PgQuery__Constraint *c = n->constraint;
			if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY || c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE)
				unique_notice(s, vt, table, c, c->keys, c->n_keys, NULL);
		}
	}
}
