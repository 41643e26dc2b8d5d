/*
 * router.h - dosql, the router: client sessions on one libevent loop, each
 * statement planned against the VSchema and sent over non-blocking libpq
 * connections to the shards that hold its rows, the replies relayed back.
 *
 * Reads over several shards end with a final step in the router (merge.c);
 * writes over several shards commit with two-phase commit (txn.c, coord.c);
 * replication connections stream the cluster's changes (router/replication.c).
 * What the router does not do yet it refuses with 0A000, never answering
 * differently from PostgreSQL (README lists what).
 */
#ifndef DOSQL_ROUTER_H
#define DOSQL_ROUTER_H

#include <event2/event.h>
#include <postgresql/libpq-fe.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "pgwire/evconn.h"
#include "pgwire/pgwire.h"
#include "router/coord.h"
#include "router/op.h"
#include "vschema/vschema.h"

#define RT_MAX_SHARDS 256

/* A statement with parameters, as Bind gave them. */
typedef struct RtDispatch RtDispatch;

struct RtParams {
	int n;
	const char *const *values; /* NULL entries are SQL NULL */
	const int *lengths;
	const int *formats;
	const uint32_t *types;
};

/* Router-wide state. */
typedef struct RtRouter {
	struct event_base *base; /* owned */
	PgwEvServer *server;     /* owned */
	PgwConfig pgw;
	SSL_CTX *ssl_ctx; /* owned; NULL without TLS */
	VscSchema *vschema; /* owned */
	PgwUsers users; /* the password file's */
	char *shard_user, *shard_database; /* owned */
	PGconn *meta; /* owned: blocking connection to the first shard, for the
		       * planner's catalog lookups */
	struct RtDescriber *describer; /* owned: Parse's descriptions (describe.c) */
	int ndescs;
	struct RtDesc **descs; /* owned: described statements, by text */
	/* column types learned from the shards' catalogs, and the types of
	 * sort key expressions (column: their SELECT's text), forgotten at DDL
	 * (which counts types_gen up) */
	uint64_t types_gen;
	int ntypes;
	struct RtColType {
		char *table, *column;
		uint64_t hash; /* of table and column (catalog.c) */
		uint32_t oid;
		int32_t typmod;
	} *types;
	int *types_index; /* open addressing over types: index + 1, 0 = free */
	int types_slots;  /* a power of two, at least twice ntypes; 0 = none */
	/* per shard (vschema order), shown by SHOW STATS: statements sent to
	 * it and the errors they returned */
	struct RtShardStats {
		uint64_t statements, errors, rows; /* rows: received from the shard */
		uint64_t held_max; /* the most of its rows an ORDER BY merge kept at once */
		uint64_t merge_waits; /* times a merge held it back for a client behind */
		uint64_t prepared; /* statements run from one prepared on its connection (parsed once there) */
	} *stats;
	RtCoord *coord; /* owned: two-phase commit */
	struct event *decisions; /* owned: the coordinator logged decisions (rt_txn_decisions) */
	char *vschema_path;  /* owned: the VSchema file */
	char *overlay_path;  /* owned: <data_dir>/vschema-changes.json */
	char *backfill_path; /* owned: <data_dir>/lookup-backfill.json, the unfinished backfills */
	int nold;
	VscSchema **old_vschemas; /* owned: replaced by placement changes, freed at exit */
	struct RtPlanCache *plans; /* owned: parse trees of simple queries (plancache.c) */
	/* per shard (vschema order): connections no session holds (pool.c) */
	int npools;
	struct RtPool *pools; /* owned */
	int pool_max_idle;    /* idle connections kept per shard */
	struct event *pool_sweep; /* owned: closes idle connections past idle_timeout_ms */
	uint64_t next_serial; /* numbers sessions */
	struct RtOps *ops;    /* borrowed: operations surface (ops.h) */
	struct RtSequences *seqs; /* owned: cluster-wide sequences (sequence.c) */
	struct RtLookupConn **lookup_conns; /* owned: per shard, connections reading lookup tables (lookup_read.c) */
	struct RtBackfill *backfills; /* owned: lookup backfill jobs, newest first (backfill.c) */
	struct RtSession *planning; /* borrowed: the session whose statement is being planned */
	uint64_t plan_gen;          /* counts plannings: the sequence values one drew (sequence.c) */
} RtRouter;

typedef struct RtSession RtSession;
typedef struct RtMerge RtMerge;
typedef struct RtKmerge RtKmerge;
typedef struct RtMove RtMove;

/* The last value a session had from a sequence (currval). */
typedef struct RtSeqSeen {
	char *name; /* owned */
	int64_t value;
} RtSeqSeen;
typedef struct RtLookup RtLookup;
typedef struct RtCopy RtCopy;
typedef struct RtCursor RtCursor;

typedef enum RtBackendState {
	RT_BE_CONNECTING,
	RT_BE_IDLE,
	RT_BE_BUSY,
	RT_BE_COPY_IN, /* its COPY FROM STDIN takes data */
	RT_BE_COPY_OUT, /* its COPY TO STDOUT sends data */
	RT_BE_BROKEN,
} RtBackendState;

/* A connection to one shard: held by a session while it has work there,
 * in its shard's pool otherwise (pool.c). */
typedef struct RtBackend {
	RtRouter *rt;
	RtSession *sess; /* borrowed: the session holding it, NULL in the pool */
	int shard;
	/* owned: what it was started with; the pool gives it only to
	 * sessions that started with the same */
	char *start_options;
	uint64_t sets_owner; /* the session whose SETs applied_sets counts */
	bool need_reset;     /* another session's SETs are on it: RESET ALL first */
	PGconn *pg;        /* owned */
	struct event *ev;  /* owned */
	RtBackendState state;
	char *pending_sql; /* owned: sent once connected */
	int pending_extra; /* results at the head of pending_sql that are not the statement's */
	int prefix_chars;  /* SETs sent ahead of the statement, in bytes */
	int begin_chars;   /* "BEGIN;" sent ahead of it */
	bool shaped;       /* the statement went as its shape's key: positions in its errors count in the key */
	struct RtParamsOp *next_op; /* owned: a parameterized statement to send after the prefix */
	int skip_results;  /* results of statements sent ahead (BEGIN, SET) */
	int applied_sets;  /* how many of the session's SETs this backend ran */
	/* parameterized statements prepared on this connection (named
	 * "dosql_<i>"), so the shard parses each text once */
	int nprepared;
	struct RtPrepared *prepared; /* owned */
	int preparing; /* the entry whose Prepare is on the wire, -1 none */
	bool backlog;  /* output queued in libpq that the socket did not take yet */
	bool copy_started; /* its COPY TO STDOUT sent its first data */
	bool held;         /* its results wait (rt_backend_hold): the socket is not read */
	struct event *deadline; /* owned: shard_timeout_ms of the statement under way, NULL none */
	bool timed_out;         /* the shard did not answer by shard_timeout_ms (57014) */
	int64_t sent_us;        /* when the statement under way was sent (monotonic) */
	int64_t idle_since_us;  /* when it went back to its pool (monotonic) */
} RtBackend;

typedef enum RtTxn { RT_TXN_IDLE, RT_TXN_BLOCK, RT_TXN_FAILED } RtTxn;

/* The end of a transaction that wrote on several shards (txn.c). */
typedef enum RtTwoPhase {
	RT_TP_NONE,
	RT_TP_PREPARING,  /* PREPARE TRANSACTION on every writer */
	RT_TP_DECIDING,   /* all prepared: the decision is being logged (s->waiting is 1) */
	RT_TP_COMMITTING, /* decision logged; COMMIT PREPARED on every writer */
	RT_TP_ABORTING,   /* ROLLBACK PREPARED where PREPARE succeeded */
} RtTwoPhase;

/* What a statement takes and returns, as a shard described it. */
typedef struct RtDesc {
	char *sql; /* owned */
	int ndeclared;
	uint32_t *declared; /* owned: the client's parameter types */
	int nparams;
	uint32_t *ptypes; /* owned */
	int nfields;
	PgwField *fields; /* owned, names included */
} RtDesc;

/* A Parse'd statement of a session. */
typedef struct RtStmt {
	char *name;                 /* owned */
	RtRouter *rt;
	char *sql;                  /* owned: the text, under which the plan cache keeps tree */
	PgQuery__ParseResult *tree; /* a reference into the router's plan cache */
	const RtDesc *desc;         /* borrowed from the router's cache */
	uint64_t types_known;       /* types_gen + 1 of the router when its tables' columns were all learned */
	RtPlanMemo *memo;           /* the plan kept with tree */
	int refs;                   /* the session's list, and each portal made from it */
} RtStmt;

/* A Bind'd portal of a session. */
typedef struct RtPortal {
	char *name;     /* owned */
	RtStmt *stmt;   /* a reference (a portal outlives a replaced unnamed statement) */
	RtParams params;
	char **values;  /* owned copies behind params */
	int *lengths, *formats;
	int nres;
	int16_t *resfmts; /* owned */
	bool transcode;   /* mixed text and binary columns: the shards answer in
			   * text, the router writes the binary ones */
	Buf rows;         /* DataRows beyond an Execute's row limit */
	int64_t nbuffered;
	bool started, complete;
	char tag[80];
} RtPortal;

#define RT_REPORTED_APPLICATION_NAME 0 /* in RtSession.reported */

struct RtSession {
	RtRouter *rt;         /* borrowed */
	uint64_t serial;      /* unique in this router */
	PgwEvConn *ec;        /* borrowed */
	/* by shard index, nshards of each (allocated with the session: a
	 * session is small when the cluster is) */
	int nshards;
	RtBackend **backends; /* owned, and each backend owned */
	RtTxn txn;
	/* the open transaction (block or implicit): its shards in the order
	 * they joined, which of them it wrote on, and its savepoints with the
	 * number of shards that had joined when each was set */
	int nparts;
	int *parts;  /* in the backends block */
	bool *wrote; /* in the backends block, by shard */
	int nsavepoints, savecap;
	struct RtSavepoint {
		char *name; /* owned */
		int nparts;
	} *savepoints;
	int64_t txn_ts;  /* when the open transaction reached its first shard (unique, microseconds) */
	bool join_alone; /* the statement being dispatched is the transaction's first write and
			  * goes to one shard: waiting there for the write lock cannot deadlock */
	int64_t retry_ts; /* the age of a transaction that failed to serialize: the
			   * session's next one keeps it, so a client that retries
			   * grows older and is not the one to die every time */
	char *begin_sql; /* owned: the block's BEGIN with its options (READ ONLY,
			  * ISOLATION LEVEL ...), sent to each shard it reaches;
			  * NULL for a plain BEGIN */
	bool cur_write;  /* the statement being dispatched changes data */
	bool txn_ddl;    /* the open transaction changed the schema: it commits
			  * on each shard in one phase (a shard cannot prepare DDL) */
	bool keeps_backends; /* it created TEMP tables: it keeps its shard connections,
			      * closed when it ends (their sessions drop the tables) */
	int drop_from;   /* after a ROLLBACK TO: shards from this index leave (-1 none) */
	RtTwoPhase tp;
	char gid[64];
	bool *tp_ok; /* in the backends block, by shard: the phase's command succeeded */
	bool tp_failed;            /* a PREPARE failed or rolled back */
	bool decided;              /* RT_TP_DECIDING ended: the decision is durable */
	int64_t commit_ts;         /* past every participant's clock at PREPARE: they all
				    * commit at this time (SET dosql.commit_ts), 0 unknown */
	int nsets;
	char **sets; /* owned: SET statements to replay on new backends */
	char *backend_options; /* owned: the client's startup settings, as libpq
				* "options" for every backend; NULL without */
	/* owned array: the value last sent in ParameterStatus, per reported
	 * setting (application_name first); a value is the default, the
	 * client's startup parameter (both borrowed) or, after a SET, owned
	 * (its bit in reported_owned) */
	const char **reported;
	uint32_t reported_owned;
	/* the simple query being run */
	PgQuery__ParseResult *tree; /* owned */
	char *sql;                  /* owned */
	/* owned, kept for the next query: the query's shape; while it has a
	 * key, tree is the shape's (cached under that key) */
	struct RtShape *shape;
	size_t next_stmt;
	bool query_failed;
	/* the statement being run */
	int waiting;          /* backends still answering */
	bool window_ok;       /* the next dispatch may go max_parallel_shards at a time (route_start) */
	struct RtDispatch *window; /* owned: the parts of a dispatch not sent yet, from window_next; NULL none */
	int window_next;
	bool rowdesc_sent;
	int64_t rows;
	uint64_t count_sum;   /* summed counts of a fanned-out command */
	char tag[80];
	bool stmt_error;
	int stmt_char_offset; /* of the statement in the client's text */
	bool fanout;          /* DDL or a reference-table write on every shard:
			       * one tag, and rows only from fanout_shard */
	int fanout_shard;
	/* EXPLAIN through the router: each shard of explain_shards explains
	 * explain_sql in turn, under a line naming it */
	char *explain_sql; /* owned; NULL when not explaining */
	int explain_next, explain_n;
	int *explain_shards; /* in the backends block, nshards long */
	const RtParams *explain_params; /* borrowed from the portal: explain_sql's, NULL none */
	const RtOp *explain_im; /* in plan: the intermediate result whose shards explain now, NULL none */
	bool implicit;        /* a multi-statement query runs as one transaction */
	PgQuery__Node *cur;   /* the statement being run (in tree) */
	char *cur_text;       /* owned: its text */
	const RtPortal *log_portal; /* the portal an Execute runs, for log_parameters; cleared at the statement's end */
	bool ending;          /* COMMIT/ROLLBACK of an implicit transaction is running */
	RtPlan plan;          /* owned: the statement's plan, freed when the next starts */
	const RtOp *running;  /* in plan: the operator whose state takes the shards' rows, NULL none */
	RtMerge *merge;       /* owned: the statement's final step runs here */
	const RtOp *gather;   /* in plan: the intermediate result whose rows come now, NULL none */
	const RtOp *subwrite; /* in plan: a write waiting for its subqueries' values, NULL none */
	struct RtOrdered *ordered; /* owned: a split INSERT's RETURNING rows, kept per
				    * shard and sent in VALUES order at its end */
	RtKmerge *kmerge; /* owned: or its rows are merged in order here (kmerge.c) */
	/* extended protocol */
	int nstmts, nportals;
	RtStmt **stmts;       /* owned */
	RtPortal **portals;   /* owned */
	RtPortal *portal;     /* the portal an Execute is running, NULL in a simple query */
	int32_t maxrows;
	int64_t rows_sent;
	char *merge_sql;      /* owned: the client's statement, run over the merged rows */
	RtMove *move;         /* owned: an UPDATE of the vindex column moving rows (move.c) */
	RtLookup *lookup; /* owned: an INSERT's lookup rows being written (lookup.c) */
	struct RtLookupReads *lookup_reads; /* owned: the lookups of the next read, asked before it is planned */
	struct RtCatalogAsks *asks; /* owned: the catalog facts planning its statement asked (catalog_ask.c) */
	struct RtPlacementRows *placement_rows; /* owned: a placement call's table rows (placement_rows.c) */
	/* sequences (seqfunc.c): the last value of each this session had
	 * (currval), and the last of all (lastval) */
	RtSeqSeen *seq_seen; /* owned */
	int nseq_seen;
	int64_t lastval;
	bool has_lastval;
	RtCopy *copy;         /* owned: COPY FROM STDIN in progress (copy.c) */
	/* COPY TO STDOUT from several shards (copy.c): one CopyOutResponse, one
	 * header (a HEADER line, or binary format's signature and trailer) */
	struct {
		bool on, response_sent, any_data, header, binary;
		bool signature_held; /* binary: the signature goes out with the next data */
		/* COPY (query) TO STDOUT whose query has its final step in the
		 * router: its rows are kept (s->capture), then written out as
		 * COPY text or CSV by rt_copy_out_rows */
		bool final, csv;
		char delim;
	} copy_out;
	RtCursor *cursors;    /* owned: DECLAREd cursors (cursor.c) */
	RtCursor *capture;    /* owned: the cursor whose DECLARE runs; its rows are kept, not sent */
	bool replication;     /* a replication=database connection (router/replication.c) */
	struct RtWalSender *wal; /* owned: its START_REPLICATION stream */
	bool types_ready;     /* the next statement's tables were prefetched (rt_types_prefetch) */
	bool seq_ready;       /* and its sequences' values reserved (rt_seq_prefetch) */
	bool lookups_ready;   /* and the lookups of its WHERE asked (rt_lookup_prefetch) */
	bool placement_ready; /* and a placement call's table rows counted (rt_placement_prefetch) */
	bool exec_waits;      /* an Execute waits for a prefetch */
	uint64_t *tree_types; /* rt_plancache_types_known of tree, NULL when none */
	RtPlanMemo *tree_memo; /* rt_plancache_memo of tree, NULL when none */
	struct RtPlanEntry *tree_entry; /* rt_plancache_entry of tree, NULL when none */
	int64_t stmt_start_us; /* when the statement being run started (monotonic) */
	int64_t connected_us;  /* when the session connected (monotonic) */
	bool closing;          /* a FATAL was sent: it goes at the next reap */
	struct event *auth_timer; /* owned: authentication_timeout_ms, until authenticated */
	struct RtParked *parked;  /* owned: a statement part waiting for a PAUSEd shard or a pool (park.c) */
};

/* backend.c */
/* Send `sql` with parameters (PQsendQueryParams), results in result_format. */
bool rt_backend_send_params(RtBackend *b, const char *sql, const RtParams *p, int result_format, bool begin_first,
			    PgwError *err);
RtBackend *rt_backend_get(RtSession *s, int shard, PgwError *err);
/* Send `sql` (after any SETs the backend has not run yet). */
bool rt_backend_send(RtBackend *b, const char *sql, bool begin_first, PgwError *err);
/* The statement text whose shape is sh: as sh's key with its literals as
 * typed parameters (prepared once per connection, so the shard parses it
 * once) when nothing has to go ahead of it, else as text. */
bool rt_backend_send_shaped(RtBackend *b, const char *text, const struct RtShape *sh, bool begin_first,
			    PgwError *err);
void rt_backend_free(RtBackend *b);
/* Write out what libpq queued (COPY data); EV_WRITE when the socket is full. */
void rt_backend_flush(RtBackend *b);
/* Whether queued output waits for the socket. */
bool rt_backend_backlog(const RtBackend *b);
/* CopyDone (or CopyFail) was queued: now the COPY's result comes. */
void rt_backend_copy_done(RtBackend *b);
/* Take no more results from b until it is released: its socket is not
 * read, so the shard waits when the socket's buffers are full.  Release
 * goes on with the results libpq already holds at the next turn of the
 * loop. */
void rt_backend_hold(RtBackend *b);
void rt_backend_release(RtBackend *b);

/* cursor.c: DECLARE / FETCH / MOVE / CLOSE, the rows kept in the router. */
/* DECLARE: checks it, makes the cursor that the query's output goes to
 * (s->capture) and gives the query's text to run; false with e. */
bool rt_cursor_declare(RtSession *s, PgQuery__DeclareCursorStmt *dc, char **query_text, PgwError *e);
/* The RowDescription written to the client's output from `from` on goes
 * to the capturing cursor instead. */
bool rt_cursor_capture_rowdesc(RtSession *s, size_t from);
/* Where the capturing cursor's next DataRow goes. */
Buf *rt_cursor_row_buf(RtSession *s);
/* The DECLARE's query finished: the cursor is the session's (tag DECLARE
 * CURSOR); false with e when its rows could not be kept. */
bool rt_cursor_declared(RtSession *s, PgwError *e);
/* A capture with no cursor name: COPY (query) TO STDOUT keeps the rows
 * of its query's final step there; false out of memory. */
bool rt_cursor_capture_start(RtSession *s);
/* The DECLARE failed: its cursor goes. */
void rt_cursor_abandon(RtSession *s);
/* The DECLARE's query ended: rt_cursor_declared, or rt_cursor_abandon
 * after an error. */
void rt_cursor_finish(RtSession *s);
/* FETCH or MOVE (rows, then the tag; RowDescription too outside an
 * Execute), CLOSE name (NULL or "": CLOSE ALL); errors are sent. */
void rt_cursor_fetch(RtSession *s, PgQuery__FetchStmt *fs, const int16_t *fmts, int nfmts);
void rt_cursor_close(RtSession *s, const char *name);
/* Describe of a FETCH: the cursor's RowDescription; false when it does not exist. */
bool rt_cursor_describe(RtSession *s, const char *name);
/* The transaction ended: cursors without HOLD go. */
void rt_cursor_txn_end(RtSession *s);
void rt_cursor_free_all(RtSession *s);

/* pool.c: per-shard pools of connections (transaction pooling). */
bool rt_pools_create(RtRouter *rt, int max_idle);
void rt_pools_free(RtRouter *rt);
/* An idle connection to shard for s, started as s was; NULL when none. */
RtBackend *rt_pool_take(RtSession *s, int shard);
/* Whether s may have a connection to shard now under pool_size: it holds
 * one, one of its settings is idle, or one can be opened (an idle one of
 * other settings may have to close for it: rt_pool_make_room). */
bool rt_pool_room(RtSession *s, int shard);
/* Close an idle connection of shard when the pool is at pool_size, so a
 * new one may open. */
void rt_pool_make_room(RtRouter *rt, int shard);
/* Close shard's idle connections (its address changed). */
void rt_pool_close_idle(RtRouter *rt, int shard);
/* s opened b itself (none was idle): count it as held. */
void rt_pool_opened(RtSession *s, RtBackend *b);
/* s is done with b: back to the pool, or closed when it cannot serve
 * another session (in a transaction, busy, broken) or the pool is full. */
void rt_pool_give(RtSession *s, RtBackend *b);
/* Give back every connection s holds. */
void rt_pool_release_all(RtSession *s);
/* An idle pooled connection broke (its shard went away). */
void rt_pool_broken(RtRouter *rt, const RtBackend *b);
/* s's held connection b is being freed. */
void rt_pool_dropped(RtSession *s, RtBackend *b);
typedef struct RtPoolStats {
	int active, idle;
	uint64_t opened, closed, taken;
} RtPoolStats;
void rt_pool_stats(const RtRouter *rt, int shard, RtPoolStats *st);

/* copy.c: COPY FROM STDIN over the shards. */
/* Start it: the COPY goes to the CopyIn operator's shards, CopyInResponse
 * to the client; false after an error was sent. */
bool rt_copy_start(RtSession *s, PgQuery__CopyStmt *st, const char *text, const RtOp *op);
void rt_copy_data(RtSession *s, const uint8_t *data, size_t len);
/* CopyDone (fail NULL) or CopyFail from the client. */
void rt_copy_end(RtSession *s, const char *fail);
/* A shard's COPY takes data now. */
void rt_copy_ready(RtSession *s, RtBackend *b);
/* A shard's backlog was written out. */
void rt_copy_drained(RtSession *s);
void rt_copy_free(RtSession *s);
/* A shard's error during COPY: its "line N" becomes the client's line. */
void rt_copy_error_line(RtSession *s, int shard, PgwError *e);
/* COPY TO STDOUT of the CopyOut operator's input (a table's shards, or a
 * query, whose final step's rows are kept and written out): sent there,
 * false when nothing was sent (after an error); a shard's
 * CopyOutResponse, its data; the stream's end before the CommandComplete. */
bool rt_copy_out_start(RtSession *s, PgQuery__CopyStmt *st, const RtOp *op, const RtExecArgs *a);
void rt_copy_out_response(RtSession *s, RtBackend *b, const PGresult *r);
void rt_copy_out_data(RtSession *s, RtBackend *b, const uint8_t *data, size_t len);
void rt_copy_out_end(RtSession *s);
/* The kept rows of a COPY (query) TO STDOUT with a final step, out as
 * the COPY's data (the capture is consumed). */
void rt_copy_out_rows(RtSession *s, const Buf *rowdesc, const Buf *rows);

/* session.c: results coming back from a backend. */
void rt_session_result(RtSession *s, RtBackend *b, PGresult *r);
void rt_session_backend_done(RtSession *s, RtBackend *b);
void rt_session_backend_failed(RtSession *s, RtBackend *b, const char *msg);
/* A statement the router answers itself after asking the shards (SHOW
 * SLOTS) has sent its reply (or error): the query goes on. */
void rt_session_local_done(RtSession *s);
bool rt_session_accept(PgwEvConn *ec, void *arg);
void rt_session_close(PgwEvConn *ec, void *arg);


/* subquery.c: the values of a write's subqueries from the replies of the
 * final step that computed them, as the write's parameters (text) */
typedef struct RtSubValues {
	Buf text[RT_MAX_SUBQUERIES];
	bool isnull[RT_MAX_SUBQUERIES];
	int nrows[RT_MAX_SUBQUERIES];
	const char *values[RT_MAX_SUBQUERIES];
	int lengths[RT_MAX_SUBQUERIES], formats[RT_MAX_SUBQUERIES];
	uint32_t types[RT_MAX_SUBQUERIES];
	RtParams params; /* borrows the above */
	/* op->key: the shards of the values of subquery op->key_pos (keyed
	 * false when one could not be told) */
	bool keyed;
	bool key_shard[RT_MAX_SHARDS];
} RtSubValues;
/* False with e when the final step failed or its replies do not fit op. */
bool rt_subquery_values(const Buf *out, const RtOp *op, const VscSchema *vs, RtSubValues *v, PgwError *e);
void rt_subquery_values_cleanup(RtSubValues *v);
/* The shards of op (a route) that hold v's key values (all without a key;
 * op's first when there is no value); how many. */
int rt_subquery_shards(const RtSubValues *v, const RtOp *op, int *shards);
/* INSERT ... SELECT: the final step's rows (out) inserted on the shards
 * their keys route to, one statement per shard sent; false with e when
 * nothing was sent because of an error (with no row, the tag is set). */
bool rt_insert_select_send(RtSession *s, const RtOp *op, const Buf *out, PgwError *e);

/* merge.c */
RtMerge *rt_merge_create(const char *table);
/* The rows that come next go to the local table `table` (a gather's next
 * intermediate result); false when it could not be switched. */
bool rt_merge_table(RtMerge *m, const char *table);
/* router_work_mem and max_intermediate_result_size in bytes (0: keep;
 * max -1: no limit). */
void rt_merge_limits(int64_t work_mem_bytes, int64_t max_result_bytes);
bool rt_merge_rows(RtMerge *m, PGresult *r, PgwError *err);
/* Statistics of the rows loaded, for the final step's plan (a join's
 * order); a later merge of the same tables gathers them anew. */
void rt_merge_analyze(RtMerge *m);
/* Give the final step the session's settings: its startup parameters and
 * the SETs it ran (a timestamptz prints in its TimeZone, current_setting
 * sees them); false when a SET failed there. */
bool rt_merge_settings(RtMerge *m, const PgwConn *c, char *const *sets, int nsets);
/* Run sql over the merged rows, appending its replies to out (as Execute
 * of portal's result formats when portal is not NULL: no RowDescription);
 * false when it failed. */
/* Runs sql's statements (one a line) in the local database, each one's
 * failure ignored: indexes on an intermediate result's columns. */
void rt_merge_index(RtMerge *m, const char *sql);
bool rt_merge_finish(RtMerge *m, const char *sql, const RtPortal *portal, Buf *out);
void rt_merge_free(RtMerge *m);
/* Free the local sessions finished merges keep for the next ones. */
void rt_merge_pool_free(void);

/* session.c, shared with extended.c */
bool rt_dispatch(RtSession *s, const char *text, const int *shards, int n, const RtParams *params, int result_format);
bool rt_transaction_stmt(RtSession *s, PgQuery__TransactionStmt *ts, const char *text);
/* EXPLAIN (op) of its input's tree (params: an Execute's, NULL in a
 * simple query): the tree's lines, then each shard's plan in turn.  True
 * while a shard explains, false when done (after an error). */
bool rt_explain_start(RtSession *s, const RtOp *op, const char *text, const RtParams *params);
/* Send the EXPLAIN to the next shard (of the next intermediate result);
 * false when nothing was sent. */
bool rt_explain_step(RtSession *s);
void rt_send_error(RtSession *s, const PgwError *e);
/* ReadyForQuery; a session that is idle gives its connections back. */
void rt_send_ready(RtSession *s);
char rt_txn_status(const RtSession *s);
void rt_reset_statement(RtSession *s);
/* Free the plan of the statement that ended. */
void rt_plan_release(RtSession *s);
void rt_statement_finished(RtSession *s);
void rt_statement_tag(RtSession *s, int64_t rows, char *tag, size_t n);
/* Where the statement's next DataRow goes: the client, or beyond an
 * Execute's row limit the portal (counted either way). */
Buf *rt_row_buf(RtSession *s);
/* RowDescription of r's first ncols columns, in text format. */
void rt_row_description(RtSession *s, PGresult *r, int ncols);

/* kmerge.c */
/* Whether a planned streamed merge can run for the portal (NULL: a simple
 * query): its results are all in one format, which the shards then send
 * the sort keys in too. */
bool rt_kmerge_usable(const RtOp *merge_sort, const RtPortal *portal);
/* Send the MergeSort's input its statement, s->kmerge takes their rows.
 * Returns as rt_dispatch. */
bool rt_kmerge_start(RtSession *s, const RtOp *merge_sort, const RtParams *params);
/* A shard's rows (or its end) for s->kmerge; rows that can be decided go
 * out. */
void rt_kmerge_result(RtSession *s, RtBackend *b, PGresult *r);
void rt_kmerge_free(RtKmerge *k);
/* The statement failed: the shards held back go on (their rows are not
 * wanted), so that it ends. */
void rt_kmerge_release(RtSession *s);
/* One constant count of LIMIT/OFFSET (an integer, or an integer's text
 * cast, as bound parameters are written in): false for anything else. */
bool rt_const_count(const PgQuery__Node *n, int64_t *v);

/* extended.c: Parse, Bind, Describe, Execute, Close and Sync. */
void rt_ext_parse(PgwConn *c, const char *name, const char *sql, int nparams, const uint32_t *oids);
void rt_ext_bind(PgwConn *c, const PgwBind *b);
void rt_ext_describe(PgwConn *c, char kind, const char *name);
void rt_ext_execute(PgwConn *c, const char *portal, int32_t maxrows);
void rt_ext_close(PgwConn *c, char kind, const char *name);
void rt_ext_sync(PgwConn *c);
/* An Execute finished on every shard it ran on. */
void rt_ext_done(RtSession *s);
void rt_ext_free(RtSession *s);
/* DEALLOCATE name (NULL or "": all); false when there is no such statement. */
bool rt_ext_deallocate(RtSession *s, const char *name);
/* The format (0 text, 1 binary) Bind asked for result column i of p. */
int rt_portal_format(const RtPortal *p, int i);

/* describe.c: statement descriptions from the first shard. */
void rt_desc_free(RtDesc *d);
/* The description of sql asked of the first shard (blocking), owned by the
 * caller; NULL with err when it does not prepare there. */
RtDesc *rt_describe_new(RtRouter *rt, const char *sql, int ndecl, const uint32_t *decl, PgwError *err);
/* The answer of rt_describe_async: the description (owned by the callee
 * from here on), or NULL with err; both NULL when the asker was cancelled
 * (rt_describe_cancel): free what arg holds, nothing more. */
typedef void (*RtDescribeDone)(void *arg, RtDesc *d, const PgwError *err);
/* Ask the first shard for the description of sql without waiting: done is
 * called from the loop later (never from inside this call).  owner names
 * the asker for rt_describe_cancel.  False out of memory. */
bool rt_describe_async(RtRouter *rt, const char *sql, int ndecl, const uint32_t *decl, RtDescribeDone done,
		       void *arg, const void *owner) __attribute__((warn_unused_result));
/* The answer of rt_meta_query_async: the result (owned by the callee from
 * here on), NULL when the shard could not be asked; cancelled: the asker
 * went (rt_describe_cancel), free what arg holds. */
typedef void (*RtMetaQueryDone)(void *arg, PGresult *r, bool cancelled);
/* Run a catalog query with text parameters (at most RT_META_MAX_PARAMS)
 * on the first shard without waiting, after the descriptions asked before
 * it; done is called from the loop.  False out of memory.  A request the
 * shard does not answer within shard_timeout_ms fails (57014). */
#define RT_META_MAX_PARAMS 2
bool rt_meta_query_async(RtRouter *rt, const char *sql, int nparams, const char *const *params, RtMetaQueryDone done,
			 void *arg, const void *owner) __attribute__((warn_unused_result));
/* Why the first shard's connection for these requests went last (a query
 * answered with no result): 08006, or 57014 after shard_timeout_ms. */
void rt_meta_failure(const RtRouter *rt, PgwError *err);
/* The owner goes: its requests are answered at once as cancelled (with
 * neither a description nor an error), and dropped. */
void rt_describe_cancel(RtRouter *rt, const void *owner);
void rt_describer_free(RtRouter *rt);
/* The router's blocking connection to the first shard; NULL with err. */
PGconn *rt_meta_conn(RtRouter *rt, PgwError *err);
/* A blocking connection to shard, kept in *slot (made again when it
 * broke); NULL with err. */
PGconn *rt_blocking_conn(RtRouter *rt, int shard, PGconn **slot, PgwError *err);

/* sequence.c: the columns of table whose default is a sequence (learned
 * from the first shard until the next DDL), in cols: how many; and the
 * next value of the cluster-wide sequence seq, from the block this router
 * reserved on the first shard (a new block when it is used up). */
int rt_seq_columns(RtRouter *rt, const char *table, RtSeqColumn *cols);
bool rt_seq_next(RtRouter *rt, const char *seq, int64_t *value, PgwError *err);
void rt_seq_free(RtRouter *rt);
/* setval: the sequence's next value is next (for this router at once, for
 * others after the block they hold); false with err. */
bool rt_seq_set(RtRouter *rt, const char *seq, int64_t next, PgwError *err);
/* seqfunc.c: whether stmt is a SELECT of sequence functions only
 * (nextval, currval, setval, lastval) with no FROM; rt_seq_run answers
 * it (params: an Execute's, resfmts its result formats); rt_seq_note
 * keeps a value a session had from seq; rt_seq_session_free frees them. */
bool rt_seq_call(const PgQuery__Node *stmt);
void rt_seq_run(RtSession *s, PgQuery__Node *stmt, const RtParams *params, const int16_t *resfmts, int nresfmts);
void rt_seq_note(RtSession *s, const char *seq, int64_t value);
/* The sequences of the nextval calls of such a SELECT that name theirs
 * with a constant, in cols[].seq (at most max): how many. */
int rt_seq_call_nextvals(const PgQuery__Node *stmt, RtSeqColumn *cols, int max);
void rt_seq_session_free(RtSession *s);
/* Copy a libpq error into a PgwError (no position). */
void rt_pg_error(const PGresult *r, PgwError *e);
/* Before a split INSERT ... RETURNING is sent: its rows are kept per shard
 * (by the operator's returning_shards) and sent in VALUES order when it
 * ends. */
void rt_ordered_start(RtSession *s, const RtOp *op);

/* What one dispatch sends: text (or texts[i]) to shards[i], with params
 * (params[i] with texts), or as its shape's key when shape is given. */
struct RtDispatch {
	const char *text;
	char *const *texts;
	const RtShape *shape;
	const int *shards;
	int n;
	const RtParams *params;
	int result_format;
};
/* session.c: send d's statement to its shards, unless it must wait (park.c);
 * false after an error was sent. */
bool rt_dispatch_part(RtSession *s, const RtDispatch *d);

/* park.c: hold d back while one of its shards is PAUSEd or its pool is
 * full (true: it waits, as one answer of the statement). */
bool rt_park_if_waiting(RtSession *s, const RtDispatch *d);
/* d with its shards and texts copied, in one allocation (free()); NULL
 * when out of memory.  Parameters and shape stay borrowed: they live as
 * long as the statement (the query's text does not). */
RtDispatch *rt_dispatch_copy(const RtDispatch *d);
void rt_park_free(RtSession *s);
/* Whether s waits for a pool's connection (not for RESUME). */
bool rt_session_parked_for_pool(const RtSession *s);
/* A pool connection was given back or closed: waiters go on from the loop. */
void rt_park_pool_freed(RtRouter *rt);

/* session.c: send text (or texts[i]) to shards[i]; a shard new to an open
 * transaction gets BEGIN first.  params (NULL: none) are text's, or with
 * texts, params[i] are texts[i]'s.  False after an error was sent. */
bool rt_dispatch_each(RtSession *s, const char *text, char *const *texts, const int *shards, int n,
		      const RtParams *params, int result_format);
/* The next step of a write that takes several (a move, a DELETE's lookup
 * rows): q[i] (empty: nothing) sent to shard i as a new statement in the
 * same transaction, the buffers cleaned up; true while shards answer.
 * rt_step_done then gives the client the tag "VERB count", unless the
 * statement failed. */
bool rt_dispatch_step(RtSession *s, Buf *q, int n);
void rt_step_done(RtSession *s, const char *verb, uint64_t count);
/* text, whose shape is sh, to shards as rt_backend_send_shaped sends it. */
bool rt_dispatch_shaped(RtSession *s, const char *text, const RtShape *sh, const int *shards, int n);

/* txn.c: transactions over shards. */
/* Add a shard to the open transaction; true when it is new (needs BEGIN). */
bool rt_txn_join(RtSession *s, int shard);
/* The first shard of the open transaction, or -1. */
int rt_txn_first(const RtSession *s);
/* Forget the transaction's shards and savepoints (it ended). */
void rt_txn_reset(RtSession *s);
/* A shard's connection died: it leaves the transaction; false when it
 * was not in it. */
bool rt_txn_lost(RtSession *s, int shard);
/* Commit (or roll back) the open transaction on its shards: one phase when
 * at most one shard wrote, two-phase commit otherwise.  False when nothing
 * had to be sent (the tag is set). */
bool rt_txn_finish(RtSession *s, bool commit);
/* A result during two-phase commit; true when it was consumed. */
bool rt_txn_result(RtSession *s, RtBackend *b, PGresult *r);
/* The current phase finished on every shard: start the next one (true) or
 * leave the tag for the client (false). */
bool rt_txn_step(RtSession *s);
/* The coordinator's notify fd is readable: the sessions whose decisions
 * were logged (or failed) go on (event callback; arg is the router). */
void rt_txn_decisions(evutil_socket_t fd, short what, void *arg);
/* A statement finished: shards rolled back to a savepoint leave. */
void rt_txn_statement_done(RtSession *s);

/* plancache.c: the parse tree of a query string, parsed once; hand it back
 * with its text when done (NULL with err for a syntax error). */
PgQuery__ParseResult *rt_plancache_get(RtRouter *rt, const char *sql, PgwError *err);
void rt_plancache_release(RtRouter *rt, const char *sql);
/* A byte kept with the tree the last rt_plancache_get returned, for the
 * caller's notes on it (0 when the tree is new); NULL when there is none. */
signed char *rt_plancache_mark(RtRouter *rt);
/* Kept with the same tree: the router's types_gen + 1 when the columns of
 * its tables were all learned (0 not known); NULL when there is none. */
uint64_t *rt_plancache_types_known(RtRouter *rt);
/* The plan kept with the tree the last rt_plancache_get returned (valid
 * while the tree is held). */
RtPlanMemo *rt_plancache_memo(RtRouter *rt);
/* The entry of the tree the last rt_plancache_get returned; giving it back
 * by rt_plancache_unref is rt_plancache_release of its text. */
struct RtPlanEntry *rt_plancache_entry(RtRouter *rt);
void rt_plancache_unref(RtRouter *rt, struct RtPlanEntry *e);
/* Count a statement run from a plan kept (kept) or planned. */
void rt_plancache_count_plan(RtRouter *rt, bool kept);
void rt_plancache_plan_stats(const RtRouter *rt, uint64_t *kept, uint64_t *made);
void rt_plancache_stats(const RtRouter *rt, int *entries, uint64_t *hits, uint64_t *misses);
void rt_plancache_free(RtRouter *rt);
/* The shape of a one-statement query string: key is the text with $1..$n
 * for its literals, whose values are text parameters; text is the
 * statement without its closing ';'.  False when it has no literals or
 * another form (several statements, comments, $, backslashes). */
#define RT_SHAPE_MAX_LITERALS 64
struct RtShape {
	char *key, *text; /* owned */
	int n;
	char *values[RT_SHAPE_MAX_LITERALS]; /* owned */
	int lengths[RT_SHAPE_MAX_LITERALS], formats[RT_SHAPE_MAX_LITERALS];
	RtParams params; /* over values, untyped: what the router plans with */
	/* the types PostgreSQL gives the literals (int4, int8 or numeric for
	 * numbers, unknown for strings): the key runs on a shard as a prepared
	 * statement with these, as the text would */
	uint32_t types[RT_SHAPE_MAX_LITERALS];
	RtParams typed; /* over values, with types */
	bool as_parameters; /* rt_shape_as_parameters of the key's tree */
	/* where each literal is, in bytes: in the key ($n) and in the text */
	int key_at[RT_SHAPE_MAX_LITERALS], key_len[RT_SHAPE_MAX_LITERALS];
	int text_at[RT_SHAPE_MAX_LITERALS], text_len[RT_SHAPE_MAX_LITERALS];
};
bool rt_shape(const char *sql, RtShape *sh);
void rt_shape_free(RtShape *sh);
/* Whether a shape's statement (its key's tree) runs on a shard with its
 * literals as parameters just as with the literals: each stands where a
 * value of a column's type goes (compared with a column or combined with
 * it by arithmetic, in an IN list or BETWEEN of a column, a row of an
 * INSERT naming its columns, an UPDATE's SET).  Elsewhere (ORDER BY 1, a
 * cast, a function's argument, a select list) a literal's meaning can
 * differ from a parameter's, and the statement goes as text. */
bool rt_shape_as_parameters(const PgQuery__Node *stmt);
/* A 1-based character position in sh's key as the same place in its text. */
int rt_shape_text_position(const RtShape *sh, int key_position);
/* The 1-based character position in sh's text of literal i (0-based). */
int rt_shape_literal_position(const RtShape *sh, int i);

/* placement.c: SELECT dosql_shard_table(...) / dosql_reference_table(...);
 * rt_placement_arg: its text argument i, or NULL. */
PgQuery__FuncCall *rt_placement_call(PgQuery__Node *stmt);
const char *rt_placement_arg(PgQuery__FuncCall *fc, size_t i);
/* After a DROP TABLE or ALTER TABLE ... RENAME that succeeded outside a
 * transaction block: the placement kept in the overlay file goes with the
 * table (dropped, or carried to the new name). */
void rt_placement_follow(RtRouter *rt, const PgQuery__Node *stmt);
/* Rows of table on shard (a blocking round trip), -1 with e when it
 * cannot be asked. */
long long rt_placement_rows(RtRouter *rt, int shard, const char *table, PgwError *e);
/* Use next from now on (it is the router's then); the schema it replaces
 * stays until exit, for statements under way.  False with e (next freed). */
bool rt_vschema_switch(RtRouter *rt, VscSchema *next, PgwError *e);
/* vschema_reload.c: RELOAD reads the VSchema file (and the placements
 * changed while running) again: new tables, vindexes and shard addresses
 * apply; a placement change of a table with rows, or other shards, are
 * refused (false with err, nothing changed).  err says what changed. */
bool rt_vschema_reload(RtRouter *rt, char *err, size_t errlen);
void rt_placement_run(RtSession *s, PgQuery__FuncCall *fc);

/* move.c: an UPDATE of the vindex column.  Start it (the Move operator's
 * sql goes out next), take its results (true when consumed), and at the
 * end of each step go on (true: the next step is under way). */
/* lookup.c: an INSERT's lookup rows (op->lookup_sql) written before it,
 * in its transaction: rt_lookup_start sends them (true while shards
 * answer); rt_lookup_result takes their results (a lookup_unique
 * violation becomes the INSERT's 23505); rt_lookup_step, when they are in,
 * starts the INSERT itself (true while it runs); rt_lookup_written says
 * whether they were written for the statement running. */
bool rt_lookup_start(RtSession *s, const RtOp *op, const RtExecArgs *a);
/* a DELETE from a table with lookup vindexes (op->lookup_delete): it runs
 * with RETURNING * (rows kept here, not sent), then rt_lookup_step
 * deletes their lookup rows and gives the client "DELETE n" */
bool rt_lookup_delete_start(RtSession *s, const RtOp *op, const RtExecArgs *a);
/* an UPDATE setting a lookup vindex column (op->lookup_before): the rows
 * it changes are read, it runs with RETURNING * (rows kept here), then
 * the lookup rows whose values changed are replaced, in its transaction,
 * and the client gets "UPDATE n" (23505 as the table's UNIQUE would say) */
bool rt_lookup_update_start(RtSession *s, const RtOp *op, const RtExecArgs *a);
bool rt_lookup_written(const RtSession *s);
bool rt_lookup_result(RtSession *s, RtBackend *b, PGresult *r);
bool rt_lookup_step(RtSession *s);
void rt_lookup_free(RtSession *s);
/* session.c: r's rows from field first on as the statement's rows (its
 * RowDescription first, unless sent or a portal's Describe sent it;
 * columns in the portal's formats); false after an error was sent. */
bool rt_send_rows_from(RtSession *s, const PGresult *r, int first);
/* lookup.c: the shard of the lookup row of value in v's lookup table; -1
 * when it cannot be placed. */
int rt_lookup_row_shard(RtRouter *rt, const VscVindex *v, const char *value);
/* lookup_read.c: rt_lookup_conns_free closes the router's lookup
 * connections; rt_lookup_found gives the shards the lookups asked for
 * s's next read name for v's value (-1: not asked); rt_lookup_reads_free
 * drops them (after planning). */
void rt_lookup_conns_free(RtRouter *rt);
int rt_lookup_found(const RtSession *s, const VscVindex *v, const char *value, int *shards, int max);
void rt_lookup_reads_free(RtSession *s);
/* backfill.c: the lookup rows of the rows a table has when a RELOAD adds
 * a lookup vindex to it (the job runs on the loop).  rt_backfill_start
 * starts one (false out of memory); rt_backfill_pending says whether the
 * lookup vindex of table's column must not be read yet (its job runs or
 * failed); rt_backfill_retry_failed starts failed jobs again (RELOAD);
 * rt_backfill_rows gives up to max jobs for SHOW LOOKUP_BACKFILL (borrowed
 * texts). */
typedef struct RtBackfill RtBackfill;
typedef enum RtBackfillState {
	RT_BACKFILL_RUNNING,
	RT_BACKFILL_DONE,
	RT_BACKFILL_FAILED,
	RT_BACKFILL_CANCELLED, /* a RELOAD took the vindex away */
} RtBackfillState;
typedef struct RtBackfillRow {
	const char *table, *column, *vindex, *state;
	int shards_done, shards;
	long long rows_done, rows_total;
	const char *sqlstate, *error; /* failed: why; else empty */
} RtBackfillRow;
bool rt_backfill_start(RtRouter *rt, const char *table, const char *column, const char *vindex);
bool rt_backfill_pending(const RtRouter *rt, const char *table, const char *column);
void rt_backfill_retry_failed(RtRouter *rt);
int rt_backfill_rows(const RtRouter *rt, RtBackfillRow *rows, int max);
void rt_backfill_free_all(RtRouter *rt);
/* Start again the backfills that were unfinished when the router stopped
 * (rt->backfill_path), those whose vindex the VSchema still has. */
void rt_backfill_resume(RtRouter *rt);

/* Write a JSON document to path atomically (a file beside it, fsynced,
 * renamed over it): false when it could not (placement.c). */
struct json_t;
bool rt_json_write_atomic(const char *path, struct json_t *root);
/* A NOTICE for each PRIMARY KEY or UNIQUE constraint of a CREATE TABLE of
 * a sharded table that does not include its vindex column (it holds per
 * shard only), unless a lookup_unique vindex on its one column makes it
 * hold across the cluster. */
void rt_unique_notices(RtSession *s, const PgQuery__CreateStmt *cs);

bool rt_move_start(RtSession *s, const RtOp *op);
bool rt_move_result(RtSession *s, RtBackend *b, PGresult *r);
bool rt_move_step(RtSession *s);
void rt_move_free(RtSession *s);

/* plan.c: the planner is rt_plan (op.h); the router plans with its own
 * VSchema and catalog (its first shard's, asked once per fact). */
void rt_router_planner(RtRouter *rt, RtPlanner *pl);
/* Plan stmt (text its text, params its bound values or NULL) as s's
 * statement (s->plan), with the plan m keeps when it holds (m: NULL
 * none).  False when planning needs facts of the first shard's catalog
 * not learned yet: no plan is made, rt_asks_wait asks them, and the
 * statement is planned again when they are in (catalog_ask.c). */
bool rt_session_plan(RtSession *s, RtPlanMemo *m, PgQuery__Node *stmt, const char *text, const RtParams *params)
	__attribute__((warn_unused_result));
/* show.c: the SHOW commands the router answers itself, as a table. */
/* The row of the SHOW table for name, -1 when the shards answer it. */
int rt_show_find(const char *name);
/* The row's name (lower case). */
const char *rt_show_name(int show);
/* Answer SHOW row `show`: RowDescription (unless in an Execute), rows, tag. */
bool rt_show_run(RtSession *s, int show);
/* One DataRow of text values (none NULL), appended to out. */
void rt_put_text_row(Buf *out, int n, const char *const *vals);
/* A SHOW's RowDescription, unless an Execute runs it (Describe sent it). */
void rt_show_row_description(RtSession *s, int n, const PgwField *f);
/* A shard's address as "host:port" or "dir/.s.PGSQL.port". */
void rt_shard_address(const VscShard *sh, char *out, size_t n);

/* exec.c: run a plan for a session. */
/* Start p's root (a: the statement and how to send it): true when results
 * will come from shards, false when it was answered (or an error sent). */
bool rt_exec_start(RtSession *s, const RtPlan *p, const RtExecArgs *a);
/* Give a shard's result to the session's running operator; true when it
 * took it. */
bool rt_exec_result(RtSession *s, RtBackend *b, PGresult *r);
/* Every shard of the statement answered: the running operator produces
 * what it kept; true when that answered the statement (its
 * CommandComplete sent). */
bool rt_exec_complete(RtSession *s);
/* The statement ends: the running operator frees its state. */
void rt_exec_finish(RtSession *s);
/* A read with a final step in the router (op: a Limit, MergeSort or
 * FinalStep): the shards of its leaf run their statement (with params,
 * unless the plan wrote them in), and the in-order merge takes their rows
 * as they come, or the final step runs when all answered (its own
 * statement, else text).  Returns as rt_dispatch. */
bool rt_merge_start(RtSession *s, const RtOp *op, const char *text, const RtParams *params);
/* The final step's shards all answered: it runs over their rows, its
 * replies going where the statement's rows go (an Execute's portal, a
 * DECLARE's cursor) or to the client with their CommandComplete (true
 * then, unless it failed). */
bool rt_merge_complete(RtSession *s);
/* The merge or final step of the statement ends (its state freed). */
void rt_merge_end(RtSession *s);
/* DDL on every shard of the operator, one tag for all; inside a
 * transaction it commits in one phase on each.  Returns as rt_dispatch. */
bool rt_dispatch_ddl(RtSession *s, const char *text, const RtOp *op);
/* The PG type OID of table.column, asked of the first shard once; 0 when unknown. */
uint32_t rt_column_type(RtRouter *rt, const char *table, const char *column);
/* The same with the column's typmod (-1 when it has none). */
uint32_t rt_column_type_mod(RtRouter *rt, const char *table, const char *column, int32_t *typmod);
/* The type of the one column of sql, a SELECT over table, as the first
 * shard describes it, asked once; 0 when it does not prepare. */
uint32_t rt_select_type(RtRouter *rt, const char *table, const char *sql);
/* Learn the column types of a CREATE TABLE run inside a transaction,
 * whose table the first shard's catalog does not show yet. */
void rt_column_types_learn_create(RtRouter *rt, const PgQuery__CreateStmt *cs);
/* The 0-based position of table.column among the table's columns (as
 * INSERT without a column list takes them), asked of the first shard
 * once; -1 when unknown. */
int rt_column_position(RtRouter *rt, const char *table, const char *column);
/* Whether every column of table was learned (rt_types_prefetch). */
bool rt_columns_loaded(const RtRouter *rt, const char *table);
/* The number of columns learned of table: all of them when it was
 * loaded, or created in an open transaction (from its CREATE TABLE); 0
 * when none was. */
int rt_column_count(RtRouter *rt, const char *table);
/* Forget the learned types (after DDL, which may change them). */
void rt_column_types_forget(RtRouter *rt);
/* Called when a prefetch's answers are in (cancelled: its owner went;
 * free what arg holds, nothing more). */
typedef void (*RtTypesReady)(void *arg, bool cancelled);
/* Before stmt is planned: the columns of every table it names (types,
 * typmods, positions) are asked of the first shard without waiting, so
 * that planning finds them learned.  True when nothing had to be asked;
 * false when ready follows from the loop (rt_describe_cancel(owner)
 * cancels it). */
bool rt_types_prefetch(RtRouter *rt, const PgQuery__Node *stmt, RtTypesReady ready, void *arg, const void *owner)
	__attribute__((warn_unused_result));
/* The same for one table. */
bool rt_types_prefetch_table(RtRouter *rt, const char *table, RtTypesReady ready, void *arg, const void *owner)
	__attribute__((warn_unused_result));
/* Whether the columns of every table stmt names are learned already. */
bool rt_types_known(const RtRouter *rt, const PgQuery__Node *stmt);
/* sequence.c: before an INSERT is planned, its table's sequence columns
 * are learned and blocks short of values for its rows reserved, on the
 * loop (and for a COPY FROM with a column list, or a SELECT of nextval
 * calls, the blocks they draw from).  True when nothing is waited for; false when ready follows
 * (rt_seq_cancel(owner) cancels it).  holds_first: the statement's
 * transaction wrote on the first shard (a reservation would wait for it:
 * it is not waited for). */
bool rt_seq_prefetch(RtRouter *rt, const PgQuery__Node *stmt, bool holds_first, RtTypesReady ready, void *arg,
		     const void *owner) __attribute__((warn_unused_result));
void rt_seq_cancel(RtRouter *rt, const void *owner);
/* lookup_read.c: before a SELECT outside a transaction block is planned,
 * the lookup tables its WHERE's lookup columns name are read on the loop:
 * true when nothing is asked; false when ready follows (once; cancelled
 * when the session goes). */
bool rt_lookup_prefetch(RtSession *s, const PgQuery__Node *stmt, const RtParams *params, RtTypesReady ready, void *arg)
	__attribute__((warn_unused_result));
/* catalog_ask.c: the facts planning a statement asks the first shard
 * for, on the loop.  rt_ask, while s's statement is planned: the answer
 * for kind, table and name (name: the column; the SELECT's text; "" for
 * a table's sequence columns), or NULL when not answered yet (it is noted
 * then).  rt_asks_unsent: whether planning noted facts not asked yet;
 * rt_asks_wait asks them: true when ready follows once all are answered
 * (cancelled when the session goes), false when none could be asked.
 * rt_asks_failed: the first shard could not be asked, the statement fails
 * with err.  rt_asks_free drops them. */
typedef enum RtAskKind { RT_ASK_COLUMN, RT_ASK_SELECT, RT_ASK_SEQ_COLUMNS } RtAskKind;
typedef struct RtAskAnswer {
	uint32_t oid;   /* a column's or SELECT's type, 0 unknown */
	int32_t typmod; /* -1 none */
	int position;   /* a column's 0-based position, -1 unknown */
	int nseq;       /* a table's sequence columns */
	RtSeqColumn seq[RT_MAX_SEQ_COLUMNS];
} RtAskAnswer;
typedef struct RtCatalogAsks RtCatalogAsks;
const RtAskAnswer *rt_ask(RtSession *s, RtAskKind kind, const char *table, const char *name);
bool rt_asks_unsent(const RtSession *s);
bool rt_asks_wait(RtSession *s, RtTypesReady ready, void *arg) __attribute__((warn_unused_result));
bool rt_asks_failed(const RtSession *s, PgwError *err);
/* Whether s's statement waits for its facts (after rt_asks_wait). */
bool rt_asks_waiting(const RtSession *s);
void rt_asks_free(RtSession *s);
/* catalog.c: keep what the first shard answered about table's column
 * (type, typmod, position), or the type of a SELECT over table, until the
 * next DDL. */
void rt_column_learn(RtRouter *rt, const char *table, const char *column, const RtAskAnswer *a);
void rt_select_learn(RtRouter *rt, const char *table, const char *sql, const RtAskAnswer *a);
/* sequence.c: the catalog query naming a table's ($1) sequence columns;
 * rt_seq_columns_learn keeps them from its result r (in cols: how many,
 * -1 when it failed); rt_seq_give_back returns the values the planning
 * just ended drew, to be drawn again (its plan was thrown away). */
const char *rt_seq_columns_sql(void);
int rt_seq_columns_learn(RtRouter *rt, const char *table, const PGresult *r, RtSeqColumn *cols);
void rt_seq_give_back(RtRouter *rt);
/* placement_rows.c: before a placement call (dosql_shard_table, dosql_reference_table) runs, the rows of its table on
 * every shard and the table's columns are asked on the loop: true when
 * nothing is asked; false when ready follows (cancelled when the session
 * goes).  rt_placement_counted: the rows counted on shard (-1 with e), or
 * a blocking round trip when they were not; rt_placement_reachable: false
 * with e when a shard could not be reached or did not answer in time;
 * rt_placement_rows_free drops
 * them. */
bool rt_placement_prefetch(RtSession *s, PgQuery__Node *stmt, RtTypesReady ready, void *arg)
	__attribute__((warn_unused_result));
long long rt_placement_counted(RtSession *s, int shard, const char *table, PgwError *e);
bool rt_placement_reachable(const RtSession *s, PgwError *e);
void rt_placement_rows_free(RtSession *s);
/* session.c: whether s's open transaction wrote on the first shard. */
bool rt_holds_first(const RtSession *s);

#endif
