/*
 * plan_int.h - the planner's working record (plan.c, aggregate.c,
 * kmerge.c): while a statement is planned, what was learned about it is
 * noted in an RtRoute; rt_plan then builds the operator tree (op.h) from
 * it.  Nothing outside the planner sees an RtRoute.
 */
#ifndef DOSQL_ROUTER_PLAN_INT_H
#define DOSQL_ROUTER_PLAN_INT_H

#include "common/arena.h"
#include "router/router.h"

typedef struct RtRoute RtRoute;

typedef enum RtRouteKind {
	RT_ROUTE_SHARDS,  /* the statement goes to shards[0..n) */
	RT_ROUTE_ALL,     /* DDL: every shard, one reply */
	RT_ROUTE_LOCAL,   /* answered by the router (transaction control, SET) */
	RT_ROUTE_REFUSE,  /* err says why */
} RtRouteKind;


struct RtRoute {
	RtRouteKind kind;
	RtRouteOpcode opcode; /* why its shards */
	int nshards;
	int shards[RT_MAX_SHARDS];
	bool write;   /* changes data */
	bool merge;   /* a read of every shard, final step in the router */
	bool replicated; /* a write of the same rows on every shard (reference table) */
	bool explain;    /* EXPLAIN of a statement so routed: each shard explains it */
	/* an UPDATE of this vindex column: shard_sql (the UPDATE with
	 * RETURNING *) on every shard of the route, then rows whose new value
	 * belongs to another shard move there (move.c); merge_table is the table */
	const VscColumnVindex *move;
	bool copy;       /* COPY FROM STDIN: rows split over the shards (copy.c) */
	bool copy_out;   /* COPY TO STDOUT: the data of every shard of the route */
	char merge_table[64];
	char *shard_sql; /* owned: what the shards run for a merge */
	/* owned: what the router runs over the merged rows: the client's
	 * statement without the WHERE the shards applied, or with aggregates
	 * over the shards' partial results (aggregate.c); NULL: the client's
	 * statement as it is */
	char *final_sql;
	bool partial;      /* the shards send partial aggregates */
	bool final_params; /* the final step uses the bound parameters */
	bool params_inlined; /* shard_sql and final_sql hold them as literals */
	int64_t merge_limit; /* the shards send their first rows in the query's order, this many; -1 all */
	RtKmergePlan kmerge; /* the same merge streamed, when its shape allows */
	/* owned: a multi-row INSERT split by shard, the statement shards[i]
	 * runs with only its rows (in their order); NULL when not split */
	char **split_sql;
	/* owned: with bound parameters, those split_sql[i] uses, as $1..$k */
	RtParams *split_params;
	/* owned: a split INSERT ... RETURNING, the shard of each VALUES row in
	 * order (its rows are sent in that order); NULL without */
	int *returning_shards;
	int nreturning;
	const RtParams *params; /* borrowed: the bound parameters, NULL without */
	bool sequenced; /* an INSERT with values drawn from cluster-wide sequences */
	bool range;     /* its shards are those whose ranges a range predicate overlaps */
	bool looked_up; /* its shards are those a lookup vindex's table names */
	bool prefix;    /* its shards are those a prefix of a vindex's columns allows */
	const VscColumnVindex *by; /* the vindex its shards came from; NULL: none (every shard, a pinned table, ...) */
	/* owned: an INSERT's rows of lookup tables, by shard (nlookup_sql =
	 * the shard count; NULL where none): written first, in the same
	 * transaction (lookup.c); the table and column named by a
	 * lookup_unique violation */
	char **lookup_sql;
	int nlookup_sql;
	char lookup_table[64], lookup_column[64];
	/* a DELETE from a table with lookup vindexes: shard_sql is it with
	 * RETURNING *, merge_table the table; the lookup rows of the rows
	 * deleted go next (lookup.c) */
	bool lookup_delete;
	/* owned: an UPDATE setting a lookup vindex column: the SELECT * of
	 * the rows it changes, read first; shard_sql is it with RETURNING *,
	 * merge_table the table (lookup.c) */
	char *lookup_before;
	bool lookup_relay; /* and shard_sql's rows are the client's (DELETE ... RETURNING) */
	bool lookup_tail;  /* shard_sql's rows end with the client's RETURNING columns, after the table's (UPDATE ... RETURNING) */
	/* an INSERT ... ON CONFLICT (target) DO NOTHING with lookup vindexes:
	 * shard_sql is it with RETURNING *, the lookup rows of its rows are
	 * written next (lookup.c) */
	bool lookup_after;
	/* owned: a gather, ngather intermediate results (a final step over
	 * them, the client's statement or final_sql); NULL none */
	struct RtGather *gather;
	int ngather;
	/* owned: a write after its subqueries: the write with their values
	 * as $1..$nsubs (an array of every row for sub_array[i], else the
	 * first row's value), the final step computing them (final_sql) */
	char *write_sql;
	int nsubs;
	bool sub_array[RT_MAX_SUBQUERIES];
	/* owned: INSERT ... SELECT: the text after its rows (write_sql is the
	 * text before them); key: the target's vindex, the rows' column
	 * holding its value and its type (NULL: every row to every shard) */
	char *write_suffix;
	const VscColumnVindex *key;
	int key_pos;
	uint32_t key_type;
	/* the value whose shard under eq_cv of eq_table is the route's one
	 * shard (vindex = value in WHERE); NULL when its shards came otherwise */
	PgQuery__Node *eq_value;
	const VscColumnVindex *eq_cv;
	const char *eq_table;
	bool lone_table; /* at most one table reference, no subquery, no CTE */
	RtPlanMemo *memo; /* borrowed: what the statement's tree keeps between plans; NULL none */
	PgwError err;
};

/* One intermediate result of a gather: the rows of a table the shards
 * send (sql) kept in the router's engine as a table of that name. */
typedef struct RtGather {
	char table[64];
	char *sql; /* owned */
	RtRouteOpcode opcode;
	int nshards;
	int shards[RT_MAX_SHARDS];
	char *index_sql; /* owned: CREATE INDEX statements for its columns that
			  * the statement equates with others, one a line; NULL none */
	/* owned: the statements of the router's engine, one per parameter
	 * $1..$nkeys of sql, whose rows are the keys it fetches by (an array
	 * each); NULL none.  key: the vindex of its parameter key_pos, whose
	 * values name the shards it goes to (values of type key_type) */
	char *keys_sql;
	int nkeys;
	const VscColumnVindex *key;
	int key_pos;
	uint32_t key_type;
} RtGather;

/* plan.c: what the planner learns of stmt, in r (never fails: a refusal
 * is kind RT_ROUTE_REFUSE with err). */
void rt_route_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtRoute *r);
/* Frees what a route owns. */
void rt_route_cleanup(RtRoute *route);

/* aggregate.c: plan s over the sharded table in two steps (the shards
 * group and aggregate, the router combines); false for other shapes. */
bool rt_aggregate_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, RtRoute *r);
/* The same over a join colocated on the vindex columns (each shard runs
 * the join and aggregates it), its columns named without their tables;
 * the final step reads the partials as the table `table`. */
bool rt_aggregate_join_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, RtRoute *r);

/* kmerge.c: the streamed form of a merge planned for s (route->kmerge),
 * when s is a plain read of table whose ORDER BY keys are of types the
 * router orders exactly and whose LIMIT/OFFSET are constants; otherwise
 * leaves it unset.  The caller checked that s has no aggregate, window or
 * subquery. */
void rt_kmerge_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, RtRoute *r);
/* kmerge.c: the type of expression e, as the first shard describes SELECT
 * e FROM s's FROM list (asked once per text); 0 when it has a bound
 * parameter or does not prepare. */
uint32_t rt_plan_described_type(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, PgQuery__Node *e);

/* plan_seq.c: an INSERT ... VALUES (or DEFAULT VALUES) leaving out a
 * column whose default is a sequence, or giving it DEFAULT, planned with
 * values drawn from the cluster-wide sequence as bound parameters after
 * the client's: rt_seq_fill swaps a copy of the statement's column list
 * and VALUES into ins, and the client's parameters with the drawn values
 * into r->params (true), until rt_seq_fill_undo puts the client's back;
 * false when there is nothing to fill, or with r refused when a value
 * could not be drawn.  The drawn values live in the fill's arena: what
 * keeps them (split_params) copies them. */
typedef struct RtSeqFill {
	bool filled;
	Arena arena; /* the nodes of the copy, the drawn values' texts */
	PgQuery__Node **cols;
	size_t n_cols;
	PgQuery__Node *select;
	PgQuery__OverridingKind override;
	RtParams params; /* the client's parameters, then the drawn values */
	const char **values;
	int *lengths, *formats;
	uint32_t *types;
	const RtParams *client_params; /* the route's before */
	const RtParams **route_params; /* where they go back */
} RtSeqFill;

bool rt_seq_fill(const RtPlanner *pl, PgQuery__InsertStmt *ins, RtSeqFill *f, RtRoute *r);
/* rt_route_plan with what the statement's tree keeps between plans (m,
 * NULL none). */
void rt_route_plan_memo(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtPlanMemo *m,
			RtRoute *r);
void rt_seq_fill_undo(PgQuery__InsertStmt *ins, RtSeqFill *f);
/* Whether an INSERT with a column list leaves out a column whose default
 * is a sequence (its name in column): INSERT ... SELECT cannot draw its
 * values from the cluster-wide sequence. */
bool rt_seq_left_out(const RtPlanner *pl, const PgQuery__InsertStmt *ins, char *column, size_t n);

/* plan_range.c: the shards of a range vindex whose ranges the range
 * predicates (<, <=, >, >=, BETWEEN with constants or text parameters) in
 * the top-level AND of where overlap, in r; false when there are none or
 * the column's values cannot be ordered here (text), or with *refused. */
bool rt_range_where(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias,
		    const VscColumnVindex *cv, RtRoute *r, bool *refused);

/* plan_lookup.c: the rows the lookup vindexes of table vt need for the
 * rows of ins (ksids: each row's keyspace id) in r->lookup_sql; r refused
 * when a value cannot be read here.  rt_lookup_sql_free frees them. */
void rt_lookup_plan(const RtPlanner *pl, PgQuery__InsertStmt *ins, const VscTable *vt, const uint64_t *ksids, RtRoute *r);
/* A TRUNCATE of tables with lookup vindexes: its statement with their
 * lookup tables added (r->shard_sql), or r refused when another table
 * shares such a lookup table. */
void rt_lookup_truncate(const RtPlanner *pl, PgQuery__Node *stmt, RtRoute *r);
/* Append one lookup row (v's value, keyspace id) to stmts: `INSERT INTO
 * lookup (from, to) VALUES (...)` when it is empty, `, (...)` after. */
void rt_lookup_add_row(Buf *stmts, const VscVindex *v, const char *value, uint64_t ksid);
void rt_lookup_sql_free(char **sql, int n);
/* plan_lookup.c: the shards an equality or IN on a lookup vindex column
 * in the top-level AND of where names, read from its lookup table
 * (RtCatalog.lookup_shards), in r; false when there is none or it cannot
 * be read (then every shard). */
bool rt_lookup_where(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias, const VscTable *vt,
		     RtRoute *r);

/* plan.c: the shard and keyspace id of a vindex column's value (a constant
 * or a bound parameter); *shard -1 for NULL; false with r refused, or when
 * the value is neither */
bool rt_plan_value_shard(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, PgQuery__Node *value,
			 RtRoute *r, int *shard, uint64_t *ksid);

/* plan.c: a constant (possibly negated or cast): its text, or NULL (with
 * *is_null for NULL); whether n is the vindex column of table (or alias) */
const char *rt_plan_constant(PgQuery__Node *n, char *buf, size_t sz, bool *is_null);
bool rt_plan_is_vindex_column(PgQuery__Node *n, const char *column, const char *table, const char *alias);

/* plan.c: refuse r (0A000) with the message; call fn(arg) while stmt's
 * text-format bound parameters are written into it as literals, false
 * (fn not called) when one is binary. */
void rt_route_refuse(RtRoute *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool rt_plan_params_inlined(PgQuery__Node *stmt, const RtParams *params, void (*fn)(void *arg), void *arg);

/* plan_write.c: an UPDATE of the vindex column cv (rows move); a DELETE
 * from a table with lookup vindexes; an UPDATE setting the lookup column
 * column.  The last two false with r refused. */
void rt_move_plan(PgQuery__Node *stmt, const char *table, const VscColumnVindex *cv, RtRoute *r);
bool rt_delete_lookup_plan(PgQuery__Node *stmt, const char *table, RtRoute *r);
bool rt_update_lookup_plan(PgQuery__Node *stmt, const char *table, const char *column, RtRoute *r);

/* plan_lookup.c: the text of a value (a constant or a text-format
 * parameter) in *out, NULL for SQL NULL; false when it is neither. */
bool rt_plan_value_text(const RtRoute *r, PgQuery__Node *n, char *buf, size_t sz, const char **out);

/* plan_multi.c: a vindex over several columns.  rt_multi_row_shard: the
 * shard and keyspace id of an INSERT row whose vindex columns are at pos
 * (false with r refused); rt_multi_where: the shards the WHERE's
 * equalities on its columns (all, or a prefix: r->prefix) allow, false
 * when it gives none (with *refused when r was refused). */
bool rt_multi_row_shard(const RtPlanner *pl, const char *table, const VscColumnVindex *cv, const PgQuery__List *row,
			const int *pos, RtRoute *r, int *shard, uint64_t *ksid);
bool rt_multi_where(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias,
		    const VscColumnVindex *cv, RtRoute *r, bool *refused);

/* plan.c: catalog facts through the planner's callbacks */
uint32_t rt_plan_column_type(const RtPlanner *pl, const char *table, const char *column, int32_t *typmod);
uint32_t rt_plan_select_type(const RtPlanner *pl, const char *table, const char *sql);

#define RT_MAX_TABLES 32

/* The tables (with their aliases), CTE names, aggregates and subqueries a
 * statement names. */
typedef struct RtTables {
	int n;
	const char *names[RT_MAX_TABLES];
	const char *aliases[RT_MAX_TABLES];
	int nctes;
	const char *ctes[RT_MAX_TABLES];
	bool too_many;
	bool aggregate; /* an aggregate or window function appears */
	bool sublink;   /* a subquery expression appears */
} RtTables;

void rt_tables_collect(const PgQuery__Node *stmt, RtTables *t);
bool rt_tables_is_cte(const RtTables *t, const char *name);

/* gather.c: the parameter reference $number (in a). */
PgQuery__Node *rt_param_node(Arena *a, int number);
/* gather.c: plan a SELECT over tables that are not colocated as a gather:
 * each table's rows (its own WHERE conjuncts pushed down) fetched into the
 * router's engine, the statement run there.  False with r refused when it
 * cannot be. */
bool rt_gather_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, RtRoute *r);
/* gather.c: an UPDATE or DELETE of target whose subqueries read other
 * sharded tables: the subqueries (uncorrelated) first, gathered and run in
 * the router's engine, then the write with their values as parameters.
 * False with r->err's message when it cannot be. */
bool rt_gather_write_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *target, RtRoute *r);
/* gather.c: INSERT ... SELECT: the SELECT run as a gather in the router's
 * engine, its rows then inserted where the target's vindex puts them (on
 * every shard for a reference table).  False with r->err's message. */
bool rt_gather_insert_plan(const RtPlanner *pl, PgQuery__Node *stmt, RtRoute *r);

/* plan_ops.c: rt_plan, noting in keep (when not NULL) the plan if it is
 * one kept for the statement's next executions (planmemo.c). */
void rt_plan_noting(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtPlan *p,
		    RtPlanMemo *keep);
/* planmemo.c: keep p, planned as r says, in m when it is a plan kept. */
void rt_plan_memo_note(const RtPlanner *pl, const RtPlan *p, const RtRoute *r, RtPlanMemo *m);
/* gather.c: a SELECT of one sharded table whose uncorrelated subqueries
 * in WHERE read other tables: the subqueries first, their values then
 * sent with the statement to the table's shards (to those of the values
 * when they are its vindex column's).  False when it has another shape
 * (r then needs cleaning up). */
bool rt_gather_semijoin_plan(const RtPlanner *pl, PgQuery__Node *stmt, RtRoute *r);

/* A target list "*", built on the stack. */
typedef struct RtStarTarget {
	PgQuery__ColumnRef ref;
	PgQuery__AStar star;
	PgQuery__Node star_node, ref_node, target_node;
	PgQuery__Node *fields[1], *targets[1];
	PgQuery__ResTarget target;
} RtStarTarget;

void rt_star_target_init(RtStarTarget *st);

/* A FROM list of one table, built on the stack (RangeVar borrows table). */
typedef struct RtTableFrom {
	PgQuery__RangeVar rv;
	PgQuery__Node node;
	PgQuery__Node *from[1];
} RtTableFrom;

void rt_table_from_init(RtTableFrom *tf, const char *table);

/* plan.c, for gather.c */
const VscTable *rt_plan_placement(const RtPlanner *pl, const char *table);
/* Whether every sharded table of a SELECT or UPDATE ... FROM is joined to
 * the others on its vindex column with the same vindex (plan_colocate.c). */
bool rt_colocated_join(const RtPlanner *pl, PgQuery__Node *stmt, const RtTables *t);
bool rt_where_shards(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias,
		     const VscColumnVindex *cv, RtRoute *r, bool *refused);

#endif
