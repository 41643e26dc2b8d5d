/*
 * sequence.c - cluster-wide sequences.
 *
 * A sequence a sharded table's column takes its default from (serial,
 * identity, DEFAULT nextval) hands out values for the whole cluster, not
 * per shard.  Its state is one row of `_dosql_sequences` (name, next: the
 * first value no router has reserved), a table on the first shard (the
 * shard holding keyspace id 0), as Vitess keeps a sequence in an unsharded
 * table.  A router reserves a block of values (RT_SEQ_CACHE) with one
 * statement that moves `next` on atomically and durably, then hands the
 * block out without a round trip.  Two routers sharing the shards get
 * disjoint blocks; a router that dies loses the rest of its block (a gap,
 * as PostgreSQL has after a crash or with a cache) and never hands a
 * value out twice.  Values are unique across the cluster and increasing
 * per router.
 *
 * Which columns of a table take a sequence's value is learned from the
 * first shard's catalog, once per table until the next DDL (types_gen).
 *
 * Reservations do not block the router's loop: they run on a connection
 * of their own to the first shard, driven on the loop (pgasync.h).  Before
 * an INSERT is planned, rt_seq_prefetch learns its table's sequence
 * columns (over the describer's connection) and, when a block holds fewer
 * values than the INSERT has rows, reserves one and lets the statement
 * wait for it while the other sessions go on; a write lock held on the
 * first shard by another transaction delays the reservation, not the
 * router.  A block half used has the next one reserved in the background
 * (kept as the spare), so an INSERT seldom waits.  Where no prefetch ran
 * (COPY, nextval() in a SELECT) an empty block is still reserved with a
 * blocking call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/pgasync.h"
#include "router/router.h"

#define RT_SEQ_CACHE 1000
#define RESERVE_CONNECT_TIMEOUT_US 5000000

/* The sequence columns learned for one table. */
typedef struct SeqTable {
	char *table; /* owned */
	uint64_t gen; /* the router's types_gen when learned */
	int n;
	RtSeqColumn cols[RT_MAX_SEQ_COLUMNS];
} SeqTable;

/* A sequence's block reserved by this router: next .. end-1 are ours. */
typedef struct SeqBlock {
	char *name; /* owned */
	int64_t next, end;
	int64_t max;  /* the sequence's largest value */
	bool known;   /* start and max read from the shard's pg_sequences */
	int64_t start;
	int64_t spare_next, spare_end; /* the next block, reserved ahead */
	bool queued;  /* a reservation on the loop is wanted or under way */
	int64_t want; /* how many values it reserves */
	bool discard; /* setval ran meanwhile: its block is not handed out */
	bool failed;  /* it failed, with err: the next nextval reports it */
	PgwError err;
	uint64_t plan_gen;   /* the planning (rt->plan_gen) that drew values last */
	int64_t plan_first;  /* the first of the values it drew in a row */
	int64_t plan_count;
} SeqBlock;

/* A statement waiting for reservations before it is planned. */
typedef struct SeqWait {
	struct SeqWait *next;
	RtTypesReady ready;
	void *arg;
	const void *owner;
	int n;
	int blocks[RT_MAX_SEQ_COLUMNS]; /* indexes into the blocks */
} SeqWait;

/* What the reservation connection is doing. */
typedef enum ResState {
	RS_DOWN,       /* no connection */
	RS_CONNECTING, /* coming up */
	RS_IDLE,       /* nothing on the wire */
	RS_BOUNDS,     /* asking the sequence's start and largest value */
	RS_TABLE,      /* creating _dosql_sequences */
	RS_RESERVE,    /* moving `next` on by a block */
} ResState;

struct RtSequences {
	RtRouter *rt; /* borrowed */
	int ntables;
	SeqTable *tables; /* owned */
	int nblocks;
	SeqBlock *blocks; /* owned */
	bool table_ready; /* _dosql_sequences exists on the first shard */
	RtPgAsync *conn;  /* owned: reservations on the loop */
	ResState rs;
	int cur;          /* the block whose reservation is on the wire */
	PGresult *result; /* owned: the command's first result */
	SeqWait *waits;   /* owned */
};

static struct RtSequences *seqs(RtRouter *rt)
{
	if (!rt->seqs && (rt->seqs = calloc(1, sizeof(*rt->seqs))))
		rt->seqs->rt = rt;
	return rt->seqs;
}

void rt_seq_free(RtRouter *rt)
{
	struct RtSequences *q = rt->seqs;
	if (!q)
		return;
	for (int i = 0; i < q->ntables; i++)
		free(q->tables[i].table);
	free(q->tables);
	for (int i = 0; i < q->nblocks; i++)
		free(q->blocks[i].name);
	free(q->blocks);
	rt_pgasync_free(q->conn);
	PQclear(q->result);
	while (q->waits) {
		SeqWait *w = q->waits;
		q->waits = w->next;
		free(w);
	}
	free(q);
	rt->seqs = NULL;
}

/* The catalog query naming a table's ($1) sequence columns. */
#define COLUMNS_SQL                                                                                                    \
	"select a.attname, pg_get_serial_sequence(c.relname, a.attname), a.attidentity"                                \
	" from pg_attribute a join pg_class c on c.oid = a.attrelid"                                                   \
	" where c.relname = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum"

/* The sequence columns in COLUMNS_SQL's result, in cols: how many, -1
 * when it failed. */
static int read_columns(const PGresult *res, RtSeqColumn *cols)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return -1;
	int n = 0;
	for (int i = 0; i < PQntuples(res) && n < RT_MAX_SEQ_COLUMNS; i++) {
		const char *col = PQgetvalue(res, i, 0), *seq = PQgetvalue(res, i, 1);
		if (PQgetisnull(res, i, 1) || !seq[0] || strlen(col) >= sizeof(cols[n].column) ||
		    strlen(seq) >= sizeof(cols[n].seq))
			continue;
		snprintf(cols[n].column, sizeof(cols[n].column), "%s", col);
		snprintf(cols[n].seq, sizeof(cols[n].seq), "%s", seq);
		cols[n].always = strcmp(PQgetvalue(res, i, 2), "a") == 0;
		n++;
	}
	return n;
}

/* Ask the first shard which columns of table default to a sequence. */
static int ask_columns(RtRouter *rt, const char *table, RtSeqColumn *cols)
{
	PgwError err;
	PGconn *pg = rt_meta_conn(rt, &err);
	if (!pg)
		return -1;
	const char *params[1] = {table};
	PGresult *res = PQexecParams(pg, COLUMNS_SQL, 1, NULL, params, NULL, NULL, 0);
	int n = read_columns(res, cols);
	PQclear(res);
	return n;
}

/* Statements on the first shard. */
#define BOUNDS_SQL "select start_value, max_value from pg_sequences where sequencename = $1"
#define TABLE_SQL "create table if not exists _dosql_sequences (name text primary key, next int8 not null)"
#define RESERVE_SQL                                                                                                    \
	"insert into _dosql_sequences (name, next) values ($1, $2::int8 + $3::int8)"                                   \
	" on conflict (name) do update set next = _dosql_sequences.next + $3::int8 returning next - $3::int8"

/* The learned sequence columns of table, or NULL when not learned since
 * the last DDL. */
static SeqTable *known_table(struct RtSequences *q, const char *table)
{
	for (int i = 0; i < q->ntables; i++)
		if (strcmp(q->tables[i].table, table) == 0)
			return q->tables[i].gen == q->rt->types_gen ? &q->tables[i] : NULL;
	return NULL;
}

/* Keep table's n sequence columns, learned now. */
static void learn_table(struct RtSequences *q, const char *table, const RtSeqColumn *cols, int n)
{
	SeqTable *t = NULL;
	for (int i = 0; i < q->ntables && !t; i++)
		if (strcmp(q->tables[i].table, table) == 0)
			t = &q->tables[i];
	if (!t) {
		SeqTable *more = realloc(q->tables, sizeof(*more) * (size_t)(q->ntables + 1));
		if (!more)
			return;
		q->tables = more;
		t = &q->tables[q->ntables];
		if (!(t->table = strdup(table)))
			return;
		q->ntables++;
	}
	t->gen = q->rt->types_gen;
	t->n = n;
	memcpy(t->cols, cols, sizeof(*cols) * (size_t)n);
}

int rt_seq_columns(RtRouter *rt, const char *table, RtSeqColumn *cols)
{
	struct RtSequences *q = seqs(rt);
	if (!q)
		return 0;
	SeqTable *t = known_table(q, table);
	if (t) {
		memcpy(cols, t->cols, sizeof(*cols) * (size_t)t->n);
		return t->n;
	}
	if (rt->planning) {
		/* asked on the loop when planning ends (catalog_ask.c) */
		const RtAskAnswer *a = rt_ask(rt->planning, RT_ASK_SEQ_COLUMNS, table, "");
		if (!a)
			return 0;
		memcpy(cols, a->seq, sizeof(*cols) * (size_t)a->nseq);
		return a->nseq;
	}
	int n = ask_columns(rt, table, cols);
	if (n < 0)
		return 0;
	learn_table(q, table, cols, n);
	return n;
}

const char *rt_seq_columns_sql(void) { return COLUMNS_SQL; }

int rt_seq_columns_learn(RtRouter *rt, const char *table, const PGresult *r, RtSeqColumn *cols)
{
	struct RtSequences *q = seqs(rt);
	int n = read_columns(r, cols);
	if (q && n >= 0)
		learn_table(q, table, cols, n);
	return n;
}

/* The block kept for sequence name, made when first asked. */
static SeqBlock *block(struct RtSequences *q, const char *name)
{
	for (int i = 0; i < q->nblocks; i++)
		if (strcmp(q->blocks[i].name, name) == 0)
			return &q->blocks[i];
	SeqBlock *more = realloc(q->blocks, sizeof(*more) * (size_t)(q->nblocks + 1));
	if (!more)
		return NULL;
	q->blocks = more;
	SeqBlock *b = &q->blocks[q->nblocks];
	*b = (SeqBlock){.name = strdup(name)};
	if (!b->name)
		return NULL;
	q->nblocks++;
	return b;
}

/* Run sql with params on the first shard: its result, or NULL with err. */
static PGresult *meta_exec(RtRouter *rt, const char *sql, int n, const char *const *params, ExecStatusType want,
			   PgwError *err)
{
	PGconn *pg = rt_meta_conn(rt, err);
	if (!pg)
		return NULL;
	PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == want)
		return res;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	pgw_error_set(err, state ? state : "58000", "cluster-wide sequence: %s",
		      PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
								       : PQerrorMessage(pg));
	PQclear(res);
	return NULL;
}

/* The sequence's start and largest value, from the first shard. */
static bool seq_bounds(RtRouter *rt, SeqBlock *b, PgwError *err)
{
	if (b->known)
		return true;
	const char *dot = strrchr(b->name, '.');
	const char *params[1] = {dot ? dot + 1 : b->name};
	PGresult *res = meta_exec(rt, BOUNDS_SQL, 1,
				  params, PGRES_TUPLES_OK, err);
	if (!res)
		return false;
	if (PQntuples(res) != 1) {
		PQclear(res);
		pgw_error_set(err, "42P01", "relation \"%s\" does not exist",
			      strncmp(b->name, "public.", 7) == 0 ? b->name + 7 : b->name);
		return false;
	}
	b->start = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	b->max = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	b->known = true;
	PQclear(res);
	return true;
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* _dosql_sequences on the first shard, made when first needed. */
static bool ensure_table(RtRouter *rt, struct RtSequences *q, PgwError *err)
{
	if (q->table_ready)
		return true;
	PGconn *pg = rt_meta_conn(rt, err);
	if (!pg)
		return false;
	PQsetNoticeProcessor(pg, quiet, NULL); /* "already exists, skipping" */
	PGresult *res = meta_exec(rt, TABLE_SQL, 0, NULL, PGRES_COMMAND_OK, err);
	if (!res)
		return false;
	PQclear(res);
	q->table_ready = true;
	return true;
}

/* Values b has at hand: its block's and its spare's. */
static int64_t at_hand(const SeqBlock *b)
{
	return (b->end > b->next ? b->end - b->next : 0) + (b->spare_end - b->spare_next);
}

/* Take values from [first, first + count): the block when it is spent,
 * else the spare (values above the block's: a router's values increase). */
static void take_values(SeqBlock *b, int64_t first, int64_t count)
{
	if (b->next >= b->end) {
		b->next = first;
		b->end = first + count;
	} else {
		b->spare_next = first;
		b->spare_end = first + count;
	}
}

/* Reserve the next block of b's sequence on the first shard, blocking. */
static bool reserve(RtRouter *rt, struct RtSequences *q, SeqBlock *b, PgwError *err)
{
	if (!seq_bounds(rt, b, err))
		return false;
	if (!ensure_table(rt, q, err))
		return false;
	char start[32], cache[32];
	snprintf(start, sizeof(start), "%lld", (long long)b->start);
	snprintf(cache, sizeof(cache), "%d", RT_SEQ_CACHE);
	const char *params[3] = {b->name, start, cache};
	PGresult *res = meta_exec(rt, RESERVE_SQL, 3, params, PGRES_TUPLES_OK, err);
	if (!res)
		return false;
	take_values(b, strtoll(PQgetvalue(res, 0, 0), NULL, 10), RT_SEQ_CACHE);
	PQclear(res);
	return true;
}

/* ---------------------------------------------------------------- on the loop */

static void pump(struct RtSequences *q);

/* Wake the statements whose reservations are all done (none queued). */
static void wake(struct RtSequences *q)
{
	SeqWait *done = NULL, **at = &q->waits;
	while (*at) {
		SeqWait *w = *at;
		bool busy = false;
		for (int i = 0; i < w->n && !busy; i++)
			busy = q->blocks[w->blocks[i]].queued;
		if (busy) {
			at = &w->next;
			continue;
		}
		*at = w->next;
		w->next = done;
		done = w;
	}
	while (done) {
		SeqWait *w = done;
		done = w->next;
		w->ready(w->arg, false);
		free(w);
	}
}

/* The reservation of block b ends, failed with e or not. */
static void block_done(SeqBlock *b, const PgwError *e)
{
	b->queued = false;
	b->discard = false;
	if (e) {
		b->failed = true;
		b->err = *e;
	}
}

/* The connection failed: every queued reservation fails with why. */
static void fail_all(struct RtSequences *q, const char *why)
{
	rt_pgasync_free(q->conn);
	q->conn = NULL;
	q->rs = RS_DOWN;
	PQclear(q->result);
	q->result = NULL;
	PgwError e;
	pgw_error_set(&e, "08006", "cluster-wide sequence: the first shard could not be reached: %s", why);
	for (int i = 0; i < q->nblocks; i++)
		if (q->blocks[i].queued)
			block_done(&q->blocks[i], &e);
	wake(q);
}

static void on_ready(void *arg, RtPgAsync *a)
{
	struct RtSequences *q = arg;
	PQsetNoticeProcessor(rt_pgasync_conn(a), quiet, NULL); /* "already exists, skipping" */
	q->rs = RS_IDLE;
	pump(q);
}

static void on_failed(void *arg, RtPgAsync *a, const char *why)
{
	(void)a;
	fail_all(arg, why);
}

/* The command on the wire for block b answered r: the next step, or the
 * block's end.  False with e when it failed. */
static bool step_done(struct RtSequences *q, SeqBlock *b, const PGresult *r, PgwError *e)
{
	ExecStatusType want = q->rs == RS_TABLE ? PGRES_COMMAND_OK : PGRES_TUPLES_OK;
	if (!r || PQresultStatus(r) != want) {
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		pgw_error_set(e, state ? state : "58000", "cluster-wide sequence: %s", msg ? msg : "no answer");
		return false;
	}
	if (q->rs == RS_BOUNDS) {
		if (PQntuples(r) != 1) {
			pgw_error_set(e, "42P01", "relation \"%s\" does not exist",
				      strncmp(b->name, "public.", 7) == 0 ? b->name + 7 : b->name);
			return false;
		}
		b->start = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		b->max = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		b->known = true;
	} else if (q->rs == RS_TABLE) {
		q->table_ready = true;
	} else {
		if (!b->discard)
			take_values(b, strtoll(PQgetvalue(r, 0, 0), NULL, 10), b->want);
		block_done(b, NULL);
	}
	return true;
}

static void on_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	struct RtSequences *q = arg;
	if (r) {
		if (q->result)
			PQclear(r); /* the first result of a command is its answer */
		else
			q->result = r;
		return;
	}
	r = q->result;
	q->result = NULL;
	SeqBlock *b = &q->blocks[q->cur];
	PgwError e;
	if (!step_done(q, b, r, &e))
		block_done(b, &e);
	PQclear(r);
	q->rs = RS_IDLE;
	if (!b->queued)
		wake(q);
	pump(q);
}

static const RtPgAsyncOps reserve_ops = {.ready = on_ready, .result = on_result, .failed = on_failed};

/* Send the next command of the first queued reservation. */
static void pump(struct RtSequences *q)
{
	if (q->rs != RS_DOWN && q->rs != RS_IDLE)
		return;
	int cur = -1;
	for (int i = 0; i < q->nblocks && cur < 0; i++)
		if (q->blocks[i].queued)
			cur = i;
	if (cur < 0)
		return;
	if (q->rs == RS_DOWN) {
		RtRouter *rt = q->rt;
		RtPgAsyncParams p = {.user = rt->shard_user,
				     .database = rt->shard_database,
				     .application_name = "dosql-router",
				     .timeout_us = RESERVE_CONNECT_TIMEOUT_US};
		q->conn = rt_pgasync_connect(rt->base, vsc_shard(rt->vschema, vsc_shard_for_ksid(rt->vschema, 0)), &p,
					     &reserve_ops, q);
		if (!q->conn)
			fail_all(q, "out of memory");
		else
			q->rs = RS_CONNECTING;
		return;
	}
	q->cur = cur;
	SeqBlock *b = &q->blocks[cur];
	PGconn *pg = rt_pgasync_conn(q->conn);
	int ok;
	if (!b->known) {
		const char *dot = strrchr(b->name, '.');
		const char *params[1] = {dot ? dot + 1 : b->name};
		q->rs = RS_BOUNDS;
		ok = PQsendQueryParams(pg, BOUNDS_SQL, 1, NULL, params, NULL, NULL, 0);
	} else if (!q->table_ready) {
		q->rs = RS_TABLE;
		ok = PQsendQuery(pg, TABLE_SQL);
	} else {
		char start[32], count[32];
		snprintf(start, sizeof(start), "%lld", (long long)b->start);
		snprintf(count, sizeof(count), "%lld", (long long)b->want);
		const char *params[3] = {b->name, start, count};
		q->rs = RS_RESERVE;
		ok = PQsendQueryParams(pg, RESERVE_SQL, 3, NULL, params, NULL, NULL, 0);
	}
	(void)rt_pgasync_sent(q->conn, ok); /* when it failed, on_failed follows */
}

/* Queue a reservation of at least want values for b. */
static void queue(struct RtSequences *q, SeqBlock *b, int64_t want)
{
	if (b->queued)
		return;
	b->queued = true;
	b->failed = false;
	b->want = want > RT_SEQ_CACHE ? want : RT_SEQ_CACHE;
	pump(q);
}

/* A prefetch waiting for a table's sequence columns. */
typedef struct ColumnsAsk {
	struct RtSequences *q;
	char *table; /* owned */
	int64_t rows;
	bool holds_first;
	RtTypesReady ready;
	void *arg;
	const void *owner;
} ColumnsAsk;

/* The sequences of table's n columns for an INSERT of rows rows: those
 * short of values are reserved; true when nothing is waited for, false
 * when ready follows.  holds_first: the statement's transaction holds the
 * first shard's write lock, which the reservation waits for: it is not
 * waited for (nextval then asks to retry). */
static bool reserve_for(struct RtSequences *q, const RtSeqColumn *cols, int n, int64_t rows, bool holds_first,
			RtTypesReady ready, void *arg, const void *owner)
{
	SeqWait w = {.ready = ready, .arg = arg, .owner = owner};
	for (int k = 0; k < n; k++) {
		SeqBlock *b = block(q, cols[k].seq);
		if (!b)
			continue;
		int64_t have = at_hand(b);
		if (have >= rows && (b->spare_end > b->spare_next || have - rows >= RT_SEQ_CACHE / 2))
			continue;
		queue(q, b, rows);
		if (have < rows && b->queued)
			w.blocks[w.n++] = (int)(b - q->blocks);
	}
	if (w.n == 0 || holds_first)
		return true;
	SeqWait *keep = malloc(sizeof(*keep));
	if (!keep)
		return true; /* planning reserves then */
	*keep = w;
	keep->next = q->waits;
	q->waits = keep;
	return false;
}

static void columns_known(void *arg, PGresult *r, bool cancelled)
{
	ColumnsAsk *ask = arg;
	struct RtSequences *q = ask->q;
	RtSeqColumn cols[RT_MAX_SEQ_COLUMNS];
	int n = cancelled ? -1 : read_columns(r, cols);
	PQclear(r);
	if (n >= 0)
		learn_table(q, ask->table, cols, n);
	if (cancelled || n <= 0 ||
	    reserve_for(q, cols, n, ask->rows, ask->holds_first, ask->ready, ask->arg, ask->owner))
		ask->ready(ask->arg, cancelled);
	free(ask->table);
	free(ask);
}

/* The table an INSERT ... VALUES (or DEFAULT VALUES) writes, and its rows;
 * or the table a COPY FROM with a column list fills (a first row's values
 * reserved: the others are drawn as its rows come). */
static const char *insert_table(const PgQuery__Node *stmt, int64_t *rows)
{
	if (stmt && stmt->node_case == PG_QUERY__NODE__NODE_COPY_STMT) {
		const PgQuery__CopyStmt *cp = stmt->copy_stmt;
		*rows = 1;
		return cp->is_from && cp->relation && cp->n_attlist ? cp->relation->relname : NULL;
	}
	if (!stmt || stmt->node_case != PG_QUERY__NODE__NODE_INSERT_STMT || !stmt->insert_stmt->relation)
		return NULL;
	const PgQuery__InsertStmt *ins = stmt->insert_stmt;
	const PgQuery__SelectStmt *src = ins->select_stmt ? ins->select_stmt->select_stmt : NULL;
	if (src && !src->n_values_lists)
		return NULL; /* INSERT ... SELECT */
	*rows = src ? (int64_t)src->n_values_lists : 1;
	return ins->relation->relname;
}

bool rt_seq_prefetch(RtRouter *rt, const PgQuery__Node *stmt, bool holds_first, RtTypesReady ready, void *arg,
		     const void *owner)
{
	int64_t rows;
	if (stmt && rt_seq_call(stmt)) {
		/* SELECT nextval('s'): its block is reserved on the loop first */
		RtSeqColumn cols[RT_MAX_SEQ_COLUMNS];
		int n = rt_seq_call_nextvals(stmt, cols, RT_MAX_SEQ_COLUMNS);
		struct RtSequences *q = n && !holds_first ? seqs(rt) : NULL;
		return !q || reserve_for(q, cols, n, n, false, ready, arg, owner);
	}
	const char *table = insert_table(stmt, &rows);
	struct RtSequences *q = table ? seqs(rt) : NULL;
	if (!q)
		return true;
	SeqTable *t = known_table(q, table);
	if (t)
		return t->n == 0 || reserve_for(q, t->cols, t->n, rows, holds_first, ready, arg, owner);
	ColumnsAsk *ask = calloc(1, sizeof(*ask));
	if (!ask || !(ask->table = strdup(table))) {
		free(ask);
		return true; /* planning asks */
	}
	*ask = (ColumnsAsk){.q = q, .table = ask->table, .rows = rows, .holds_first = holds_first, .ready = ready,
			    .arg = arg, .owner = owner};
	const char *params[1] = {table};
	if (rt_meta_query_async(rt, COLUMNS_SQL, 1, params, columns_known, ask, owner))
		return false;
	free(ask->table);
	free(ask);
	return true;
}

void rt_seq_cancel(RtRouter *rt, const void *owner)
{
	struct RtSequences *q = rt->seqs;
	SeqWait **at = q ? &q->waits : NULL;
	while (at && *at) {
		SeqWait *w = *at;
		if (w->owner != owner) {
			at = &w->next;
			continue;
		}
		*at = w->next;
		w->ready(w->arg, true);
		free(w);
	}
}

/* ---------------------------------------------------------------- values */

/* The error for a block that could not be had: e, or, when the first
 * shard is busy with a transaction's writes, 40001 asking for a retry. */
static bool busy(const char *seq, PgwError *err)
{
	pgw_error_set(err, "40001",
		      "could not serialize access: the cluster-wide sequence \"%s\" needs a new block of values "
		      "while the first shard is busy with a transaction's writes",
		      strrchr(seq, '.') ? strrchr(seq, '.') + 1 : seq);
	snprintf(err->hint, sizeof(err->hint), "Retry the transaction.");
	return false;
}

bool rt_seq_next(RtRouter *rt, const char *seq, int64_t *value, PgwError *err)
{
	struct RtSequences *q = seqs(rt);
	SeqBlock *b = q ? block(q, seq) : NULL;
	if (!b) {
		pgw_error_set(err, "53200", "out of memory");
		return false;
	}
	if (b->next >= b->end && b->spare_end > b->spare_next) {
		b->next = b->spare_next;
		b->end = b->spare_end;
		b->spare_next = b->spare_end = 0;
	}
	if (b->next >= b->end) {
		if (b->failed) {
			b->failed = false;
			*err = b->err;
			return strcmp(err->sqlstate, "40001") == 0 ? busy(seq, err) : false;
		}
		if (b->queued)
			return busy(seq, err); /* the reservation waits for this transaction's write lock */
		if (!reserve(rt, q, b, err))
			return strcmp(err->sqlstate, "40001") == 0 ? busy(seq, err) : false;
	}
	if (b->next > b->max) {
		pgw_error_set(err, "2200H", "nextval: reached maximum value of sequence \"%s\" (%lld)",
			      strrchr(seq, '.') ? strrchr(seq, '.') + 1 : seq, (long long)b->max);
		return false;
	}
	*value = b->next++;
	if (b->plan_gen != rt->plan_gen || *value != b->plan_first + b->plan_count) {
		b->plan_gen = rt->plan_gen;
		b->plan_first = *value;
		b->plan_count = 0;
	}
	b->plan_count++;
	if (b->spare_end <= b->spare_next && b->end - b->next < RT_SEQ_CACHE / 2)
		queue(q, b, RT_SEQ_CACHE); /* the next block, reserved in the background */
	return true;
}

void rt_seq_give_back(RtRouter *rt)
{
	struct RtSequences *q = rt->seqs;
	for (int i = 0; q && i < q->nblocks; i++) {
		SeqBlock *b = &q->blocks[i];
		if (b->plan_gen == rt->plan_gen && b->plan_count > 0 && b->next == b->plan_first + b->plan_count) {
			b->next = b->plan_first; /* the block holds them still: they go out again */
			b->plan_count = 0;
		}
	}
}

bool rt_seq_set(RtRouter *rt, const char *seq, int64_t next, PgwError *err)
{
	struct RtSequences *q = seqs(rt);
	SeqBlock *b = q ? block(q, seq) : NULL;
	if (!b) {
		pgw_error_set(err, "53200", "out of memory");
		return false;
	}
	if (!seq_bounds(rt, b, err) || !ensure_table(rt, q, err))
		return false;
	char value[32];
	snprintf(value, sizeof(value), "%lld", (long long)next);
	const char *params[2] = {seq, value};
	PGresult *res = meta_exec(rt,
				  "insert into _dosql_sequences (name, next) values ($1, $2::int8)"
				  " on conflict (name) do update set next = $2::int8",
				  2, params, PGRES_COMMAND_OK, err);
	if (!res)
		return false;
	PQclear(res);
	/* this router's values are spent: the next come from the table */
	b->next = b->end = next;
	b->spare_next = b->spare_end = 0;
	b->discard = b->queued;
	return true;
}
