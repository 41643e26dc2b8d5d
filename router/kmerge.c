/*
 * kmerge.c - ORDER BY over a scatter, merged in order as the rows come.
 *
 * Each shard runs the client's SELECT with its ORDER BY (and LIMIT n+m for
 * a LIMIT n OFFSET m), the sort keys it does not select appended as extra
 * result columns.  The
 * router keeps, per shard, the rows that arrived and are not decided yet,
 * and a binary heap of the shards by their first such row: while every
 * shard still running has one, the least of them is the next row of the
 * answer.  It goes out (past the OFFSET, up to the LIMIT) without the sort
 * key columns.  A shard that runs ahead of the others is held back once
 * HOLD_ROWS of its rows wait, and every shard while the client has not
 * read CLIENT_HIGH bytes of the answer, so the router keeps a bounded part
 * of the answer whatever its size.  Keys are compared as PostgreSQL
 * compares their types, in the format the client wants the results in
 * (pgt_order_text or pgt_order_binary); a query whose keys are of other
 * types keeps the final step in merge.c.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "router/plan_int.h"
#include "pgsql/pgtype.h"

/* A row received from a shard, waiting for its turn. */
typedef struct KRow {
	struct KRow *next;
	int32_t *len; /* -1: NULL */
	char **val;
} KRow;

/* Rows of one shard the merge keeps at the most: past this many its
 * results wait (rt_backend_hold) until half of them went out. */
#define HOLD_ROWS 128
/* Output the client has not read yet past which every shard waits, until
 * it is below CLIENT_LOW again (looked at every CLIENT_POLL_US). */
#define CLIENT_HIGH (1u << 20)
#define CLIENT_LOW (256u << 10)
#define CLIENT_POLL_US 2000

/* What one shard sent that is not decided yet. */
typedef struct KShard {
	KRow *head, *tail;
	int n;     /* rows from head to tail */
	bool done; /* its rows are all in */
	bool held; /* its backend is held */
	bool used; /* the statement runs on it */
} KShard;

struct RtKmerge {
	RtKmergePlan plan; /* without its sql */
	int nfields, ncols; /* the shards' columns, the client's (-1 until known) */
	int cols[RT_KMERGE_MAX_KEYS]; /* the shards' column of each key */
	uint32_t types[RT_KMERGE_MAX_KEYS];
	bool binary[RT_KMERGE_MAX_KEYS]; /* the key's values are in binary format */
	int nshards;
	KShard *shards; /* owned: by shard index */
	int *heap;	/* owned: shards with rows waiting, least first row on top */
	int nheap;
	int nwaiting; /* shards still running with no row waiting */
	int64_t skipped, sent;
	RtSession *sess;	   /* borrowed */
	struct event *client_poll; /* owned: while the client is behind */
	bool client_behind;	   /* every shard waits for the client */
	bool draining;		   /* the rest is not wanted: hold no shard */
};

/* ---------------------------------------------------------------- plan */

/* The name PostgreSQL gives a target without AS, as far as an ORDER BY
 * name could mean it; NULL when it has none of those forms. */
static const char *implicit_name(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF: {
		const PgQuery__Node *last = n->column_ref->fields[n->column_ref->n_fields - 1];
		return last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : NULL;
	}
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		const char *inner = implicit_name(n->type_cast->arg);
		const PgQuery__TypeName *t = n->type_cast->type_name;
		return inner ? inner : t->n_names ? t->names[t->n_names - 1]->string->sval : NULL;
	}
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		return n->func_call->funcname[n->func_call->n_funcname - 1]->string->sval;
	default:
		return NULL;
	}
}

/* Whether a target is * (or t.*). */
static bool is_star(const PgQuery__Node *target)
{
	const PgQuery__Node *v = target->res_target->val;
	return v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
	       v->column_ref->fields[v->column_ref->n_fields - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR;
}

/* The expression an ORDER BY key sorts on: an output column's (by
 * position or name, as PostgreSQL looks names up first among the outputs)
 * or its own.  NULL when it cannot be told or uses another collation than C. */
static PgQuery__Node *key_expr(PgQuery__SelectStmt *s, PgQuery__Node *key)
{
	if (key->node_case == PG_QUERY__NODE__NODE_COLLATE_CLAUSE) {
		PgQuery__CollateClause *cc = key->collate_clause;
		const char *coll = cc->n_collname ? cc->collname[cc->n_collname - 1]->string->sval : "";
		if (strcmp(coll, "C") != 0 && strcmp(coll, "POSIX") != 0)
			return NULL;
		key = cc->arg;
	}
	if (key->node_case == PG_QUERY__NODE__NODE_A_CONST) {
		if (key->a_const->isnull || key->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
			return NULL;
		int k = key->a_const->ival->ival;
		if (k < 1 || (size_t)k > s->n_target_list)
			return NULL;
		for (int i = 0; i < k; i++)
			if (is_star(s->target_list[i]))
				return NULL; /* which column is k depends on the table */
		return s->target_list[k - 1]->res_target->val;
	}
	if (key->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || key->column_ref->n_fields != 1 ||
	    key->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return key;
	const char *name = key->column_ref->fields[0]->string->sval;
	PgQuery__Node *found = NULL;
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__ResTarget *t = s->target_list[i]->res_target;
		const char *out = t->name && t->name[0] ? t->name : implicit_name(t->val);
		if (!out || strcmp(out, name) != 0)
			continue;
		if (found && !pgn_equal(&found->base, &t->val->base))
			return NULL; /* ambiguous: PostgreSQL refuses it */
		found = t->val;
	}
	return found ? found : key;
}

/* The type of a key's values known without asking a shard: a column of
 * the table, or a cast; 0 when unknown. */
static uint32_t key_type(const RtPlanner *pl, const PgQuery__SelectStmt *s, const char *table, const PgQuery__Node *e)
{
	if (e->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) {
		const PgQuery__TypeName *tn = e->type_cast->type_name;
		if (tn->n_array_bounds || !tn->n_names)
			return 0;
		const PgType *t = pgt_by_name(tn->names[tn->n_names - 1]->string->sval);
		return t ? t->oid : 0;
	}
	if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || e->column_ref->n_fields > 2)
		return 0;
	PgQuery__Node **f = e->column_ref->fields;
	size_t n = e->column_ref->n_fields;
	if (f[n - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return 0;
	if (n == 2) {
		const PgQuery__RangeVar *rv = s->from_clause[0]->range_var;
		const char *q = f[0]->node_case == PG_QUERY__NODE__NODE_STRING ? f[0]->string->sval : "";
		const char *alias = rv->alias && rv->alias->aliasname ? rv->alias->aliasname : table;
		if (strcmp(q, alias) != 0)
			return 0;
	}
	int32_t typmod;
	return rt_plan_column_type(pl, table, f[n - 1]->string->sval, &typmod);
}

/* LIMIT and OFFSET as constants: limit -1 when there is none (or ALL),
 * offset 0; false when one is something else (an expression, WITH TIES). */
static bool plan_counts(const PgQuery__SelectStmt *s, int64_t *limit, int64_t *offset)
{
	*limit = -1;
	*offset = 0;
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
		return false;
	const PgQuery__Node *l = s->limit_count, *o = s->limit_offset;
	bool l_null = l && l->node_case == PG_QUERY__NODE__NODE_A_CONST && l->a_const->isnull;
	bool o_null = o && o->node_case == PG_QUERY__NODE__NODE_A_CONST && o->a_const->isnull;
	if (l && !l_null && !rt_const_count(l, limit))
		return false;
	if (o && !o_null && !rt_const_count(o, offset))
		return false;
	return *limit < INT64_MAX / 2 && *offset < INT64_MAX / 2;
}

/* The client's column that is the key expression e itself (a column
 * before any *), or -1. */
static int selected_column(const PgQuery__SelectStmt *s, const PgQuery__Node *e)
{
	for (size_t i = 0; i < s->n_target_list; i++) {
		if (is_star(s->target_list[i]))
			return -1;
		if (pgn_equal(&s->target_list[i]->res_target->val->base, &e->base))
			return (int)i;
	}
	return -1;
}

/* The shard statement: s with the sort keys the client does not select
 * (p->keys[k].col < 0) as extra columns, LIMIT pushed (when it fits an
 * int4), no OFFSET.  NULL when it cannot be deparsed. */
static char *shard_statement(PgQuery__SelectStmt *s, PgQuery__Node **exprs, const RtKmergePlan *p)
{
	Arena a;
	arena_init(&a);
	size_t n = s->n_target_list, extra = 0;
	int64_t pushed = p->pushed;
	PgQuery__Node **targets = arena_alloc(&a, sizeof(*targets) * (n + (size_t)p->nkeys));
	memcpy(targets, s->target_list, sizeof(*targets) * n);
	for (int k = 0; k < p->nkeys; k++)
		if (p->keys[k].col < 0) {
			targets[n + extra] = pgn_res_target(&a, arena_printf(&a, "dosql_sort_%d", k + 1), exprs[k]);
			extra++;
		}
	PgQuery__SelectStmt saved = *s;
	s->target_list = targets;
	s->n_target_list = n + extra;
	s->limit_offset = NULL;
	if (pushed >= 0 && pushed <= INT32_MAX) {
		s->limit_count = pgn_integer(&a, (int32_t)pushed);
		s->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_COUNT;
	} else {
		s->limit_count = NULL;
		s->limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	}
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = s;
	char *sql = pgn_deparse(&qn);
	*s = saved;
	arena_reset(&a);
	return sql;
}

static bool is_param(const ProtobufCMessage *m, void *arg)
{
	if (m->descriptor == &pg_query__param_ref__descriptor)
		*(bool *)arg = true;
	return !*(bool *)arg;
}

uint32_t rt_plan_described_type(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, PgQuery__Node *e)
{
	bool param = false;
	pgn_walk(&e->base, is_param, &param);
	if (param)
		return 0;
	Arena a;
	arena_init(&a);
	PgQuery__Node *target = pgn_res_target(&a, NULL, e);
	PgQuery__SelectStmt q = PG_QUERY__SELECT_STMT__INIT;
	q.n_target_list = 1;
	q.target_list = &target;
	q.n_from_clause = 1;
	q.from_clause = s->from_clause;
	q.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	q.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	PgQuery__Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = &q;
	char *sql = pgn_deparse(&qn);
	uint32_t oid = sql ? rt_plan_select_type(pl, table, sql) : 0;
	free(sql);
	arena_reset(&a);
	return oid;
}

/* r->kmerge for s when its shape and key types allow (router.h). */
void rt_kmerge_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, RtRoute *r)
{
	RtKmergePlan p = {.limit = -1, .pushed = -1};
	PgQuery__Node *exprs[RT_KMERGE_MAX_KEYS];
	if (!s->n_sort_clause || s->n_sort_clause > RT_KMERGE_MAX_KEYS || s->n_group_clause || s->having_clause ||
	    s->n_distinct_clause || s->n_locking_clause || s->with_clause || s->n_window_clause || s->into_clause ||
	    s->op != PG_QUERY__SET_OPERATION__SETOP_NONE || s->n_from_clause != 1 ||
	    s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR || !plan_counts(s, &p.limit, &p.offset))
		return;
	p.nkeys = (int)s->n_sort_clause;
	for (int k = 0; k < p.nkeys; k++) {
		PgQuery__SortBy *sb = s->sort_clause[k]->sort_by;
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING || !(exprs[k] = key_expr(s, sb->node)))
			return;
		p.keys[k].desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
		p.keys[k].nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_DEFAULT
						? p.keys[k].desc
						: sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST;
		p.keys[k].type = key_type(pl, s, table, exprs[k]);
		if (!p.keys[k].type)
			p.keys[k].type = rt_plan_described_type(pl, s, table, exprs[k]);
		if (!pgt_orderable(p.keys[k].type))
			return;
		p.keys[k].col = selected_column(s, exprs[k]);
		p.nextra += p.keys[k].col < 0;
	}
	if (p.limit >= 0)
		p.pushed = p.limit + p.offset;
	char *sql = shard_statement(s, exprs, &p);
	if (!sql)
		return;
	if (p.pushed > INT32_MAX)
		p.pushed = -1;
	p.sql = sql;
	r->kmerge = p;
}

/* ---------------------------------------------------------------- merge */

/* A planned merge streams when every result column has one format. */
bool rt_kmerge_usable(const RtOp *merge_sort, const RtPortal *portal)
{
	assert(merge_sort->kind == RT_OP_MERGE_SORT && merge_sort->input);
	for (int i = 1; portal && i < portal->nres; i++)
		if (portal->resfmts[i] != portal->resfmts[0])
			return false; /* one format for every column: the sort keys' too */
	return true;
}

/* Free the merge and the rows it still keeps (its backends are the
 * session's). */
void rt_kmerge_free(RtKmerge *k)
{
	if (!k)
		return;
	for (int i = 0; i < k->nshards; i++)
		while (k->shards[i].head) {
			KRow *row = k->shards[i].head;
			k->shards[i].head = row->next;
			free(row);
		}
	if (k->client_poll)
		event_free(k->client_poll);
	free(k->shards);
	free(k->heap);
	free(k);
}

/* Send the shards their statement (in the portal's result format); false
 * after an error was sent, with nothing sent. */
bool rt_kmerge_start(RtSession *s, const RtOp *merge_sort, const RtParams *params)
{
	const RtOp *route = merge_sort->input;
	assert(merge_sort->kind == RT_OP_MERGE_SORT && route->kind == RT_OP_ROUTE && route->sql);
	RtKmerge *k = calloc(1, sizeof(*k));
	if (k) {
		k->nshards = s->nshards;
		k->shards = calloc((size_t)s->nshards, sizeof(KShard));
		k->heap = calloc((size_t)s->nshards, sizeof(int));
	}
	if (!k || !k->shards || !k->heap) {
		rt_kmerge_free(k);
		PgwError e;
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
		return false;
	}
	k->plan = *merge_sort->kmerge;
	k->plan.sql = NULL;
	k->ncols = -1;
	k->nwaiting = route->nshards;
	k->sess = s;
	for (int i = 0; i < route->nshards; i++)
		k->shards[route->shards[i]].used = true;
	s->kmerge = k;
	int format = s->portal && s->portal->nres ? s->portal->resfmts[0] : 0;
	static const RtParams none = {0};
	if (route->params_inlined || !params)
		params = format ? &none : NULL; /* a result format needs PQsendQueryParams */
	if (rt_dispatch(s, route->sql, route->shards, route->nshards, params, format))
		return true;
	rt_kmerge_free(k); /* nothing was sent */
	s->kmerge = NULL;
	return false;
}

/* PostgreSQL's order of two rows by the sort keys (the columns after the
 * client's). */
static int row_cmp(const RtKmerge *k, const KRow *a, const KRow *b)
{
	for (int i = 0; i < k->plan.nkeys; i++) {
		int col = k->cols[i];
		const RtSortKey *key = &k->plan.keys[i];
		bool an = a->len[col] < 0, bn = b->len[col] < 0;
		int c;
		if (an || bn)
			c = an && bn ? 0 : (an == key->nulls_first) ? -1 : 1;
		else {
			c = (k->binary[i] ? pgt_order_binary : pgt_order_text)(k->types[i], a->val[col], (size_t)a->len[col],
									  b->val[col], (size_t)b->len[col]);
			if (key->desc)
				c = -c;
		}
		if (c)
			return c;
	}
	return 0;
}

/* Whether shard x's waiting row sorts before shard y's (ties by shard). */
static bool heap_less(const RtKmerge *k, int x, int y)
{
	int c = row_cmp(k, k->shards[x].head, k->shards[y].head);
	return c < 0 || (c == 0 && x < y);
}

/* The heap keeps the shard with the least waiting row at heap[0]. */
static void heap_swap(RtKmerge *k, int i, int j)
{
	int t = k->heap[i];
	k->heap[i] = k->heap[j];
	k->heap[j] = t;
}

/* Move heap[i] up past the shards whose rows sort after its row. */
static void sift_up(RtKmerge *k, int i)
{
	while (i > 0 && heap_less(k, k->heap[i], k->heap[(i - 1) / 2])) {
		heap_swap(k, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Move heap[i] down past the shards whose rows sort before its row. */
static void sift_down(RtKmerge *k, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < k->nheap && heap_less(k, k->heap[l], k->heap[m]))
			m = l;
		if (r < k->nheap && heap_less(k, k->heap[r], k->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(k, i, m);
		i = m;
	}
}

/* The LIMIT is reached: later rows are not wanted. */
static bool full(const RtKmerge *k) { return k->plan.limit >= 0 && k->sent >= k->plan.limit; }

/* Send a decided row (its client columns), past the OFFSET. */
static void send_row(RtSession *s, RtKmerge *k, const KRow *row)
{
	if (k->skipped < k->plan.offset) {
		k->skipped++;
		return;
	}
	if (full(k))
		return;
	k->sent++;
	Buf *out = rt_row_buf(s);
	buf_msg_begin(out, 'D');
	buf_put_u16(out, (uint16_t)k->ncols);
	for (int i = 0; i < k->ncols; i++) {
		buf_put_u32(out, (uint32_t)row->len[i]);
		if (row->len[i] > 0)
			buf_put(out, row->val[i], (size_t)row->len[i]);
	}
	buf_msg_end(out);
}

/* Hold shard sh's backend back, or let it go on: held while HOLD_ROWS of
 * its rows wait (until half of them went out) and while the client is
 * behind; never once the rest of the answer is not wanted. */
static void set_hold(RtSession *s, RtKmerge *k, int sh)
{
	KShard *q = &k->shards[sh];
	RtBackend *b = s->backends[sh];
	bool hold = !k->draining && q->used && !q->done && b &&
		    (q->n >= HOLD_ROWS || (q->held && q->n > HOLD_ROWS / 2) || k->client_behind);
	if (hold == q->held)
		return;
	q->held = hold;
	if (hold) {
		rt_backend_hold(b);
		s->rt->stats[sh].merge_waits += k->client_behind;
	} else {
		rt_backend_release(b);
	}
}

static void client_poll_cb(evutil_socket_t fd, short what, void *arg);

/* Look again in CLIENT_POLL_US whether the client caught up. */
static void poll_client(RtKmerge *k)
{
	RtSession *s = k->sess;
	if (!k->client_poll)
		k->client_poll = evtimer_new(s->rt->base, client_poll_cb, k);
	struct timeval tv = {0, CLIENT_POLL_US};
	if (!k->client_poll || evtimer_add(k->client_poll, &tv) != 0) {
		k->client_behind = false; /* no timer: do not wait for the client */
		for (int i = 0; i < k->nshards; i++)
			set_hold(s, k, i);
	}
}

/* The client was behind: the shards go on once it read most of it. */
static void client_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtKmerge *k = arg;
	RtSession *s = k->sess;
	(void)pgw_evconn_flush(s->ec);
	if (!k->draining && pgw_evconn_output_pending(s->ec) > CLIENT_LOW) {
		poll_client(k);
		return;
	}
	k->client_behind = false;
	for (int i = 0; i < k->nshards; i++)
		set_hold(s, k, i);
}

/* Send every row that can be decided: while each shard still running has
 * a row waiting, the least waiting row is the next. */
static void emit(RtSession *s, RtKmerge *k)
{
	while (k->nwaiting == 0 && k->nheap > 0) {
		int sh = k->heap[0];
		KShard *q = &k->shards[sh];
		KRow *row = q->head;
		q->head = row->next;
		q->n--;
		set_hold(s, k, sh);
		if (!q->head) {
			q->tail = NULL;
			k->heap[0] = k->heap[--k->nheap];
			if (!q->done)
				k->nwaiting++;
		}
		if (k->nheap > 0)
			sift_down(k, 0);
		send_row(s, k, row);
		free(row);
	}
	if (pgw_evconn_conn(s->ec)->out.len > (64u << 10))
		(void)pgw_evconn_flush(s->ec);
	if (!k->client_behind && !k->draining && pgw_evconn_output_pending(s->ec) > CLIENT_HIGH) {
		/* the client reads slower than the shards send: they wait */
		k->client_behind = true;
		for (int i = 0; i < k->nshards; i++)
			set_hold(s, k, i);
		poll_client(k);
	}
}

/* Keep row t of r for b's shard; past HOLD_ROWS waiting, b is held. */
static bool keep_row(RtSession *s, RtKmerge *k, RtBackend *b, const PGresult *r, int t)
{
	int sh = b->shard;
	size_t size = sizeof(KRow) + (size_t)k->nfields * (sizeof(int32_t) + sizeof(char *));
	for (int i = 0; i < k->nfields; i++)
		size += (size_t)PQgetlength(r, t, i) + 1;
	KRow *row = malloc(size);
	if (!row)
		return false;
	row->next = NULL;
	row->val = (char **)(row + 1);
	row->len = (int32_t *)(row->val + k->nfields);
	char *p = (char *)(row->len + k->nfields);
	for (int i = 0; i < k->nfields; i++) {
		bool null = PQgetisnull(r, t, i);
		size_t n = null ? 0 : (size_t)PQgetlength(r, t, i);
		row->len[i] = null ? -1 : (int32_t)n;
		row->val[i] = p;
		memcpy(p, PQgetvalue(r, t, i), n);
		p[n] = 0;
		p += n + 1;
	}
	KShard *q = &k->shards[sh];
	if (++q->n > (int)s->rt->stats[sh].held_max)
		s->rt->stats[sh].held_max = (uint64_t)q->n;
	set_hold(s, k, sh);
	if (q->tail) {
		q->tail->next = row;
		q->tail = row;
		return true;
	}
	q->head = q->tail = row;
	k->heap[k->nheap++] = sh;
	sift_up(k, k->nheap - 1);
	k->nwaiting--;
	return true;
}

/* The shards' columns, from the first result: RowDescription of the
 * client's (none for an Execute: Describe told them).  False after an
 * error was sent. */
static bool columns(RtSession *s, RtKmerge *k, PGresult *r)
{
	PgwError e;
	k->nfields = PQnfields(r);
	k->ncols = k->nfields - k->plan.nextra;
	int extra = k->ncols;
	for (int i = 0; i < k->plan.nkeys; i++)
		k->cols[i] = k->plan.keys[i].col >= 0 ? k->plan.keys[i].col : extra++;
	for (int i = 0; i < k->plan.nkeys; i++)
		if (k->ncols < 0 || k->cols[i] >= k->nfields || k->plan.keys[i].col >= k->ncols) {
			pgw_error_set(&e, "XX000", "a shard returned %d columns for an ORDER BY merge of %d keys",
				      k->nfields, k->plan.nkeys);
			rt_send_error(s, &e);
			return false;
		}
	for (int i = 0; i < k->plan.nkeys; i++) {
		k->types[i] = PQftype(r, k->cols[i]);
		k->binary[i] = PQfformat(r, k->cols[i]) == 1;
		if (!pgt_orderable(k->types[i])) {
			pgw_error_set(&e, "XX000", "a shard returned a sort key of type %u, which the router cannot order",
				      k->types[i]);
			rt_send_error(s, &e);
			return false;
		}
	}
	if (!s->portal || s->capture)
		rt_row_description(s, r, k->ncols);
	s->rowdesc_sent = true;
	snprintf(s->tag, sizeof(s->tag), "SELECT");
	return true;
}

/* A shard's row (or end): kept, then every row that can be decided goes. */
void rt_kmerge_result(RtSession *s, RtBackend *b, PGresult *r)
{
	RtKmerge *k = s->kmerge;
	if (k->ncols < 0 && !columns(s, k, r))
		return;
	if (PQnfields(r) != k->nfields) {
		PgwError e;
		pgw_error_set(&e, "XX000", "the shards returned different columns for an ORDER BY merge");
		rt_send_error(s, &e);
		return;
	}
	for (int t = 0; t < PQntuples(r) && !full(k); t++)
		if (!keep_row(s, k, b, r, t)) {
			PgwError e;
			pgw_error_set(&e, "53200", "out of memory");
			rt_send_error(s, &e);
			return;
		}
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		KShard *q = &k->shards[b->shard];
		q->done = true;
		if (!q->head)
			k->nwaiting--;
	}
	emit(s, k);
	if (full(k))
		rt_kmerge_release(s); /* the rest is not wanted */
}

/* Hold no shard from now on: the rest of the answer is not wanted. */
void rt_kmerge_release(RtSession *s)
{
	RtKmerge *k = s->kmerge;
	k->draining = true;
	for (int i = 0; i < k->nshards; i++)
		set_hold(s, k, i);
}
