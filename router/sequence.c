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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

#define RT_SEQ_CACHE 1000

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
	bool wanted;  /* a reservation failed: tried again when a session is idle */
} SeqBlock;

struct RtSequences {
	int ntables;
	SeqTable *tables; /* owned */
	int nblocks;
	SeqBlock *blocks; /* owned */
	bool table_ready; /* _dosql_sequences exists on the first shard */
};

static struct RtSequences *seqs(RtRouter *rt)
{
	if (!rt->seqs)
		rt->seqs = calloc(1, sizeof(*rt->seqs));
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
	free(q);
	rt->seqs = NULL;
}

/* Ask the first shard which columns of table default to a sequence. */
static int ask_columns(RtRouter *rt, const char *table, RtSeqColumn *cols)
{
	PgwError err;
	PGconn *pg = rt_meta_conn(rt, &err);
	if (!pg)
		return -1;
	const char *params[1] = {table};
	PGresult *res = PQexecParams(pg,
				     "select a.attname, pg_get_serial_sequence(c.relname, a.attname), a.attidentity"
				     " from pg_attribute a join pg_class c on c.oid = a.attrelid"
				     " where c.relname = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum",
				     1, NULL, params, NULL, NULL, 0);
	int n = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		n = 0;
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
	}
	PQclear(res);
	return n;
}

int rt_seq_columns(RtRouter *rt, const char *table, RtSeqColumn *cols)
{
	struct RtSequences *q = seqs(rt);
	if (!q)
		return 0;
	SeqTable *t = NULL;
	for (int i = 0; i < q->ntables && !t; i++)
		if (strcmp(q->tables[i].table, table) == 0)
			t = &q->tables[i];
	if (t && t->gen == rt->types_gen) {
		memcpy(cols, t->cols, sizeof(*cols) * (size_t)t->n);
		return t->n;
	}
	int n = ask_columns(rt, table, cols);
	if (n < 0)
		return 0;
	if (!t) {
		SeqTable *more = realloc(q->tables, sizeof(*more) * (size_t)(q->ntables + 1));
		if (!more)
			return n;
		q->tables = more;
		t = &q->tables[q->ntables];
		if (!(t->table = strdup(table)))
			return n;
		q->ntables++;
	}
	t->gen = rt->types_gen;
	t->n = n;
	memcpy(t->cols, cols, sizeof(*cols) * (size_t)n);
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
	PGresult *res = meta_exec(rt, "select start_value, max_value from pg_sequences where sequencename = $1", 1,
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
	PGresult *res = meta_exec(rt, "create table if not exists _dosql_sequences (name text primary key, next int8 not null)",
				  0, NULL, PGRES_COMMAND_OK, err);
	if (!res)
		return false;
	PQclear(res);
	q->table_ready = true;
	return true;
}

/* Reserve the next block of b's sequence on the first shard. */
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
	PGresult *res = meta_exec(rt,
				  "insert into _dosql_sequences (name, next) values ($1, $2::int8 + $3::int8)"
				  " on conflict (name) do update set next = _dosql_sequences.next + $3::int8"
				  " returning next - $3::int8",
				  3, params, PGRES_TUPLES_OK, err);
	if (!res)
		return false;
	int64_t first = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	b->next = first;
	b->end = first + RT_SEQ_CACHE;
	return true;
}

bool rt_seq_next(RtRouter *rt, const char *seq, int64_t *value, PgwError *err)
{
	struct RtSequences *q = seqs(rt);
	SeqBlock *b = q ? block(q, seq) : NULL;
	if (!b) {
		pgw_error_set(err, "53200", "out of memory");
		return false;
	}
	if (b->next >= b->end && !reserve(rt, q, b, err)) {
		if (strcmp(err->sqlstate, "40001") == 0) {
			/* the first shard is taking a transaction's writes (maybe this
			 * session's): a block is reserved once a session is idle, and
			 * the transaction retried finds it */
			b->wanted = true;
			pgw_error_set(err, "40001",
				      "could not serialize access: the cluster-wide sequence \"%s\" needs a new block of values "
				      "while the first shard is busy with a transaction's writes",
				      strrchr(seq, '.') ? strrchr(seq, '.') + 1 : seq);
			snprintf(err->hint, sizeof(err->hint), "Retry the transaction.");
		}
		return false;
	}
	if (b->next > b->max) {
		pgw_error_set(err, "2200H", "nextval: reached maximum value of sequence \"%s\" (%lld)",
			      strrchr(seq, '.') ? strrchr(seq, '.') + 1 : seq, (long long)b->max);
		return false;
	}
	*value = b->next++;
	return true;
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
	b->next = b->end = next; /* this router's block is spent: the next value comes from the table */
	return true;
}

void rt_seq_reserve_wanted(RtRouter *rt)
{
	struct RtSequences *q = rt->seqs;
	for (int i = 0; q && i < q->nblocks; i++) {
		SeqBlock *b = &q->blocks[i];
		PgwError err;
		if (b->wanted && b->next >= b->end && reserve(rt, q, b, &err))
			b->wanted = false;
	}
}
