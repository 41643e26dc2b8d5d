/*
 * op.h - a plan is a tree of operators.
 *
 * The planner (plan.c) is a pure function from a parse tree, the VSchema
 * and the catalog facts it asks through RtCatalog to an RtPlan, a tree of
 * RtOp.  Each operator has the same interface (RtOpType): start it for a
 * session, hand it a shard's result, tell it that its inputs completed,
 * finish it, explain it.  Leaves talk to shards (a route to one shard, to
 * a set, to every shard, a reference read, a split INSERT, DDL fanned
 * out, COPY); inner operators take their input's rows (merge-sort, limit,
 * the final step in the router's engine, partial aggregates combined).
 *
 * Rows flow upwards: a leaf's rows go to its parent's on_rows, or to the
 * client at the root.  An operator with two inputs (a join, a semi-join
 * fed by the first input's rows) has `input` and `inner`; an operator
 * that keeps an intermediate result holds it in the router's engine,
 * which can spill to a temporary file.  No operator of today has an inner
 * input; rt_op_check asserts the invariants every tree keeps.
 */
#ifndef DOSQL_ROUTER_OP_H
#define DOSQL_ROUTER_OP_H

#include <postgresql/libpq-fe.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "pgwire/pgwire.h"
#include "vschema/vschema.h"

#define RT_MAX_SUBQUERIES 8

typedef struct RtSession RtSession;
typedef struct RtBackend RtBackend;
typedef struct RtParams RtParams;
typedef struct RtShape RtShape;
typedef struct RtOp RtOp;

typedef enum RtOpKind {
	RT_OP_REFUSE,       /* answered with the plan's error */
	RT_OP_LOCAL,        /* answered by the router: transaction control, DEALLOCATE, cursors, placement */
	RT_OP_SHOW,         /* a SHOW the router answers from its own state (show.c) */
	RT_OP_SET,          /* SET on the transaction's first shard, replayed on the others */
	RT_OP_ROUTE,        /* leaf: a statement on its shards, rows concatenated (opcode says which) */
	RT_OP_INSERT_SPLIT, /* leaf: a multi-row INSERT, each shard its own rows */
	RT_OP_DDL,          /* leaf: DDL on every shard, one tag */
	RT_OP_TRUNCATE,     /* leaf: TRUNCATE on every shard, atomically */
	RT_OP_MOVE,         /* leaf: an UPDATE of the vindex column, rows moved between shards (move.c) */
	RT_OP_COPY_IN,      /* leaf: COPY FROM STDIN, rows split by their key (copy.c) */
	RT_OP_COPY_OUT,     /* COPY TO STDOUT of its input's rows, or of a table's shards */
	RT_OP_FINAL,        /* the client's statement run in the router's engine over its input's rows (merge.c) */
	RT_OP_AGGREGATE,    /* partial aggregates of its input combined by the final step above it (aggregate.c) */
	RT_OP_MERGE_SORT,   /* its input's sorted streams merged in order as they come (kmerge.c) */
	RT_OP_LIMIT,        /* the first rows of its input after an offset */
	RT_OP_EXPLAIN,      /* EXPLAIN of its input: the tree, then each shard's plan */
	RT_OP_INTERMEDIATE, /* its input's rows kept as a table of the router's engine, for the final step above */
	RT_OP_SUBQUERY_VALUES, /* a statement on its shards with the values of its subqueries its input computed */
	RT_OP_INSERT_SELECT,  /* the rows its input computed, inserted on the shards their key routes to */
	RT_OP_NKINDS
} RtOpKind;

/* Why a route goes to its shards (Vitess's route opcodes). */
typedef enum RtRouteOpcode {
	RT_RO_NONE,        /* not a route */
	RT_RO_ANY,         /* no table: any one shard */
	RT_RO_PINNED,      /* tables pinned to one shard */
	RT_RO_EQUAL,       /* vindex = value: one shard */
	RT_RO_IN,          /* vindex IN (values): the shards of the values */
	RT_RO_SCATTER,     /* every shard */
	RT_RO_REFERENCE,   /* a read of reference tables: any one shard */
	RT_RO_REPLICATED,  /* a write of reference tables: every shard, one count */
	RT_RO_RANGE,       /* a range predicate on a range vindex: the shards of the ranges it overlaps */
	RT_RO_LOOKUP,      /* lookup column = value (or IN): the shards its lookup table names */
	RT_RO_PREFIX,      /* the first columns of a vindex over several: the shards of the keyspace ids they allow */
} RtRouteOpcode;

const char *rt_route_opcode_str(RtRouteOpcode o);

/* kmerge.c: a scatter SELECT with ORDER BY whose shards send their rows in
 * the query's order, merged in order by the router as they come. */
#define RT_KMERGE_MAX_KEYS 16
typedef struct RtSortKey {
	uint32_t type; /* of the key's values: pgt_orderable() */
	bool desc, nulls_first;
	int col; /* the client's column that holds it; -1: an extra column */
} RtSortKey;

typedef struct RtKmergePlan {
	/* owned: the statement each shard runs (the client's columns, then
	 * one per sort key the client does not select, in the query's order,
	 * LIMIT n+m, no OFFSET); NULL when the merge is not streamed */
	char *sql;
	int nkeys;
	int nextra; /* the extra columns */
	RtSortKey keys[RT_KMERGE_MAX_KEYS];
	int64_t offset; /* rows the router skips */
	int64_t limit;  /* rows it sends then, -1 all */
	int64_t pushed; /* the LIMIT each shard got, -1 none */
} RtKmergePlan;

/*
 * One operator.  Fields are used by kind, as the comments say; a plan's
 * operators and what they own are freed with it (rt_plan_free).
 */
struct RtOp {
	RtOpKind kind;
	RtOp *parent;       /* NULL at the root */
	RtOp *input;        /* owned: the operator whose rows this one takes */
	RtOp *inner;        /* owned: a second input (joins); NULL in every plan of today */
	RtOp *next;         /* owned: RT_OP_INTERMEDIATE: the next intermediate result of the same final step */
	/* leaves: where the statement goes */
	RtRouteOpcode opcode;
	const VscColumnVindex *by; /* borrowed: the vindex that chose the shards (Equal, IN, Lookup, Range, Prefix); NULL none */
	int nshards;
	int *shards;        /* nshards long: owned, or in inline_shards */
	int inline_shards[4];
	bool write;         /* changes data */
	char *sql;          /* owned: what the shards run, or the final step's
			     * statement; NULL: the client's statement as it is;
			     * RT_OP_INTERMEDIATE: its index statements, one a line */
	bool params_inlined; /* sql holds the bound parameters as literals */
	char table[64];     /* the table a merge, move or COPY is over */
	/* RT_OP_INSERT_SPLIT: the statement shards[i] runs with only its rows,
	 * and with bound parameters those it uses as $1..$k; a RETURNING's
	 * shard of each VALUES row, its rows sent in that order */
	char **split_sql;          /* owned */
	RtParams *split_params;    /* owned */
	int *returning_shards;     /* owned */
	int nreturning;
	bool sequenced;            /* its rows have values drawn from cluster-wide sequences */
	/* RT_OP_ROUTE or RT_OP_INSERT_SPLIT of an INSERT: the rows of lookup
	 * tables it needs, by shard (nlookup_sql = the shard count, NULL where
	 * none), written before it in its transaction (lookup.c); the table
	 * and column a lookup_unique violation names */
	char **lookup_sql; /* owned */
	int nlookup_sql;
	char lookup_table[64], lookup_column[64];
	/* RT_OP_ROUTE of a DELETE from a table with lookup vindexes: sql is
	 * it with RETURNING *; the rows' lookup rows are deleted next (table
	 * is the table) */
	bool lookup_delete;
	/* RT_OP_ROUTE of an UPDATE setting a lookup vindex column: lookup_before
	 * reads the rows it changes first (SELECT *); sql is it with RETURNING
	 * * (both with its parameters written in); the lookup rows whose values changed
	 * are replaced next (lookup.c) */
	char *lookup_before; /* owned */
	bool lookup_relay;   /* sql is the client's DELETE ... RETURNING: its rows are relayed */
	bool lookup_tail;    /* sql returns the table's columns, then the client's RETURNING ones, which are relayed */
	/* RT_OP_ROUTE of an INSERT ... ON CONFLICT (target) DO NOTHING with
	 * lookup vindexes: sql is it with RETURNING *; the lookup rows of the
	 * rows it inserted are written next (lookup.c) */
	bool lookup_after;
	/* RT_OP_FINAL over RT_OP_INTERMEDIATE (a gather): the tables of its
	 * statement, each its own intermediate result (input, then next) */
	/* RT_OP_FINAL: the final step uses bound parameters */
	bool final_params;
	/* RT_OP_FINAL over RT_OP_ROUTE: each shard sends its first rows in
	 * the query's order, this many; -1 all */
	int64_t pushed_limit;
	/* RT_OP_MERGE_SORT: its keys, offset and limit (owned; its sql is its
	 * input's); `alt` (owned) is the final step that runs instead when a
	 * portal's result formats differ between columns */
	RtKmergePlan *kmerge;
	RtOp *alt;
	/* RT_OP_LIMIT */
	int64_t offset, limit;
	/* RT_OP_MOVE */
	const VscColumnVindex *move;
	/* RT_OP_SUBQUERY_VALUES: its sql has $1..$nsubs, the values of its
	 * input's statements in order: an array of every row's first column
	 * when sub_array[i], else the first row's */
	int nsubs;
	bool sub_array[RT_MAX_SUBQUERIES];
	/* RT_OP_INSERT_SELECT: sql, then the rows, then suffix (owned); key:
	 * the target's vindex, the rows' column with its value and its type
	 * (NULL: every row to each shard) */
	char *suffix;
	/* RT_OP_INTERMEDIATE: the statements of the router's engine whose
	 * rows, an array each, are its route's $1..$nsubs (owned; NULL none);
	 * key and key_pos: the vindex of the parameter whose values name the
	 * route's shards (NULL: all of them) */
	char *keys_sql;
	const VscColumnVindex *key;
	int key_pos;
	uint32_t key_type;
	/* RT_OP_SHOW: the row of the SHOW table */
	int show;
	/* RT_OP_LOCAL: what the router does (static text) */
	const char *what;
	PgwError *err; /* owned: RT_OP_REFUSE's error */
};

/* A statement's plan: its operators, the statement planned (in the caller's
 * tree) and the bound parameters it was planned with (borrowed). */
typedef struct RtPlan {
	RtOp *root; /* owned */
	PgQuery__Node *stmt;
	const RtParams *params;
	bool write;  /* it changes data on shards */
	bool atomic; /* a write over several shards, or a move: it commits atomically */
	bool sequenced; /* an INSERT whose values drawn from sequences are in its own text (plan_seq.c) */
} RtPlan;

/* A column whose default is a sequence's next value (serial, bigserial,
 * GENERATED ... AS IDENTITY, DEFAULT nextval('s')). */
typedef struct RtSeqColumn {
	char column[64];
	char seq[128]; /* the sequence, schema-qualified as pg_get_serial_sequence names it */
	bool always;   /* GENERATED ALWAYS AS IDENTITY */
} RtSeqColumn;

#define RT_MAX_SEQ_COLUMNS 8

/* Catalog facts the planner needs, asked through callbacks (the router asks
 * its first shard and keeps the answers; the planner tests read a fixture). */
typedef struct RtCatalog {
	/* the type OID of table.column and its typmod (-1 none); 0 unknown */
	uint32_t (*column_type)(void *arg, const char *table, const char *column, int32_t *typmod);
	/* the 0-based position of table.column among its columns; -1 unknown */
	int (*column_position)(void *arg, const char *table, const char *column);
	/* the type of the one column of sql, a SELECT over table; 0 unknown */
	uint32_t (*select_type)(void *arg, const char *table, const char *sql);
	/* the columns of table whose default is a sequence, at most
	 * RT_MAX_SEQ_COLUMNS, in cols: how many */
	int (*sequence_columns)(void *arg, const char *table, RtSeqColumn *cols);
	/* the next value of the cluster-wide sequence seq; false with err */
	bool (*sequence_next)(void *arg, const char *seq, int64_t *value, PgwError *err);
	/* the shards holding rows whose lookup vindex v maps value to, read
	 * from its lookup table, at most max, in shards: how many; -1 unknown.
	 * NULL: reads are not routed by lookup (in a transaction block, whose
	 * own writes another connection would not see) */
	int (*lookup_shards)(void *arg, const VscVindex *v, const char *value, int *shards, int max);
	void *arg;
} RtCatalog;

typedef struct RtPlanner {
	const VscSchema *vschema;
	RtCatalog catalog;
} RtPlanner;

/* What an operator is started with. */
typedef struct RtExecArgs {
	PgQuery__Node *stmt;     /* the statement as the client sent it (a DECLARE's query planned) */
	const char *text;        /* its text */
	const RtParams *params;  /* an Execute's bound parameters, NULL in a simple query */
	const RtShape *shape;    /* a simple query's shape sent as parameters, NULL else */
	int result_format;       /* the format the shards send rows in */
	const int16_t *resfmts;  /* an Execute's result formats */
	int nresfmts;
	bool extended;           /* an Execute runs it */
} RtExecArgs;

/*
 * The interface every operator has.  start begins it for session s: it
 * sends its statements (true: results will come) or answers at once
 * (false; an error, if any, was sent).  on_result takes one of a leaf's
 * shard results (true: consumed); on_rows takes rows from an input that
 * is an operator (a join's inner side, say); on_complete says that every
 * input ended, and the operator produces what it kept (true when that
 * answered the statement; a join would start its inner side here);
 * finish frees what it keeps for s.  Hooks an operator does not need are NULL.
 */
typedef struct RtOpType {
	const char *name;
	bool (*start)(const RtOp *op, RtSession *s, const RtExecArgs *a);
	bool (*on_result)(const RtOp *op, RtSession *s, RtBackend *b, PGresult *r);
	bool (*on_rows)(const RtOp *op, RtSession *s, const RtOp *from, const PGresult *rows);
	bool (*on_complete)(const RtOp *op, RtSession *s);
	void (*finish)(const RtOp *op, RtSession *s);
} RtOpType;

/* op.c */
RtOp *rt_op_new(RtOpKind kind);
/* Set op's shards; false out of memory. */
bool rt_op_set_shards(RtOp *op, const int *shards, int n);
/* Make child op's input (op takes it). */
void rt_op_set_input(RtOp *op, RtOp *child);
void rt_op_free(RtOp *op);
/* Free the operators kept for reuse (at exit). */
void rt_op_cache_free(void);
const RtOpType *rt_op_type(RtOpKind kind);
const char *rt_op_name(RtOpKind kind);
/* The leaf under op that its rows come from (op itself for a leaf). */
const RtOp *rt_op_leaf(const RtOp *op);
/* The first operator of kind at or under op (following input), or NULL. */
const RtOp *rt_op_find(const RtOp *op, RtOpKind kind);
/* Assert the invariants of a tree (a no-op under NDEBUG). */
void rt_op_check(const RtOp *op);
/* The tree as text, one line per operator indented by depth (no
 * trailing newline), appended to out. */
void rt_op_explain(const RtOp *op, const VscSchema *vs, Buf *out);
/* A plan answering with an error (SQLSTATE, printf-style message);
 * refuses with 0A000 when sqlstate is NULL. */
void rt_plan_refuse(RtPlan *p, const char *sqlstate, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void rt_plan_free(RtPlan *p);

/* plan.c: plan stmt (sql its text; params: bound ones, NULL without).
 * Never fails: a statement the router cannot run gets an RT_OP_REFUSE. */
void rt_plan(const RtPlanner *pl, PgQuery__Node *stmt, const char *sql, const RtParams *params, RtPlan *p);

/*
 * A plan kept with a parse tree for the statement's next executions
 * (planmemo.c), the simple protocol's (by the statement's shape) and the
 * extended protocol's alike: a plan of one route to one shard with nothing
 * of its own (no statement of its own, no lookup rows), a SELECT, UPDATE
 * or DELETE.  Its shard is fixed (pinned, reference or no table), or the
 * shard of one value of the statement (vindex = literal or parameter),
 * computed again from the values of each execution.  It holds while the
 * VSchema and the catalog's generation (DDL counts it up) are those it was
 * planned with.
 */
typedef struct RtPlanMemo {
	const VscSchema *vschema; /* planned with; NULL: no plan kept */
	uint64_t gen;             /* the catalog's generation then */
	const PgQuery__Node *stmt; /* the statement planned */
	RtOp op;                  /* the route, its shards aside (it owns nothing) */
	int shard;                /* the fixed shard, when value is NULL */
	PgQuery__Node *value;     /* the value routed, in stmt's tree; NULL none */
	const VscColumnVindex *cv; /* its vindex column, of table */
	char table[64];
	/* an INSERT with values drawn from sequences whose rows all go to one
	 * shard: the text the shard runs (the same each time, the values being
	 * parameters), for seq_stmt as planned at generation seq_gen */
	char *seq_sql; /* owned */
	const PgQuery__InsertStmt *seq_stmt;
	uint64_t seq_gen;
	uint64_t cur_gen; /* the generation the statement is planned at now */
} RtPlanMemo;

/* planmemo.c: rt_plan, or the plan m keeps (true) when it holds for stmt;
 * a plan planned is kept in m when it is one to keep (m may be NULL). */
bool rt_plan_kept(const RtPlanner *pl, uint64_t gen, RtPlanMemo *m, PgQuery__Node *stmt, const char *sql,
		  const RtParams *params, RtPlan *p);

#endif
