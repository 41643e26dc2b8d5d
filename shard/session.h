/*
 * session.h - one client session of dosql-shard: a PgwConn, its SQLite
 * connection, transaction state, GUCs, prepared statements and portals.
 */
#ifndef DOSQL_SHD_SESSION_H
#define DOSQL_SHD_SESSION_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "pgwire/pgwire.h"
#include "shard/capture.h"
#include "pgsql/catalog.h"
#include "pgsql/pgsql.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"

typedef struct ShdSession ShdSession;

/* Process-wide state of a dosql-shard. */
typedef struct ShdServer {
	char db_path[4096];
	PgwConfig pgw;
	SSL_CTX *ssl_ctx; /* NULL when no certificate is configured */
	PgwUsers users; /* the password file's */
	int busy_timeout_ms;
	struct ShdLocks *locks; /* row locks (rowlock.c), NULL when off */
	int64_t retention_us; /* changelog kept at least this long (cdc.c) */
	_Atomic uint64_t commits; /* writing commits, for trimming now and then (changelog.c) */
	pthread_mutex_t lock; /* protects sessions[] */
	int nsessions, cap;
	ShdSession **sessions;
	_Atomic int32_t next_pid;
	/* the router's start time of the transaction holding the write lock,
	 * 0 when unknown, INT64_MAX for a prepared transaction (see
	 * busy_wait() in session.c) */
	_Atomic int64_t writer_ts;
	/* the commit clock (changelog.c), protected by clock_lock: the last
	 * commit time given out, and the one of the commit under way (0 none) */
	pthread_mutex_t clock_lock;
	int64_t hlc;
	int64_t reported; /* the last clock a PREPARE reported */
	/* a PREPARE moves its write lock to its holder: other writers wait
	 * (shd_handover_wait) so that none takes the lock in between */
	atomic_bool handover;
	/* group commit (durable.c), protected by sync_lock: commits written to
	 * the WAL, commits known synced, whether a leader is syncing now */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_done;
	uint64_t written, synced;
	bool syncing;
	/* prepared transactions (prepared.c), protected by prep_lock */
	pthread_mutex_t prep_lock;
	int nprepared, prepcap;
	struct ShdPrepared *prepared;
	int nspare;
	ShdSession *spare[8]; /* holder sessions to reuse */
	/* slots a router streams now (DOSQL_ACQUIRE, cdc.c), protected by lock:
	 * each held by one session until it ends */
	int nslot_use;
	struct ShdSlotUse {
		char name[128];
		ShdSession *by; /* borrowed */
		int32_t pid;    /* the router session's, for pg_replication_slots */
	} slot_use[64];
} ShdServer;

#define SHD_SQL_CACHE 8

typedef enum ShdTxn {
	SHD_TXN_IDLE,	/* no transaction block ('I') */
	SHD_TXN_BLOCK,	/* inside BEGIN ... ('T') */
	SHD_TXN_FAILED, /* an error inside the block ('E') */
} ShdTxn;

/* A parsed statement: named (Parse) or the unnamed one. */
typedef struct ShdStmt {
	char *name;          /* owned */
	char *sql;           /* owned copy of the client's text */
	Arena arena;         /* translation results */
	PgQuery__ParseResult *tree; /* owned */
	PgQuery__Node *node; /* borrowed from tree; NULL for an empty query */
	bool translated;     /* q is valid (SELECT/INSERT/UPDATE/DELETE, or the one an EXPLAIN explains) */
	PgsQuery q;
	int nparams;
	uint32_t *param_types; /* arena */
	uint64_t generation;   /* schema generation the translation is valid for */
	sqlite3_stmt *st;      /* owned; reused across executions */
	bool st_busy;          /* a portal is using st */
	int refs;              /* portals referring to it */
	bool dropped;          /* closed while portals still refer to it */
	int8_t rl_ok;          /* runs in a turn of its own with row locks: 0 not known, 1 yes, 2 no */
	uint64_t rl_gen;       /* the generation rl_ok was found for */
} ShdStmt;

typedef struct ShdPortal {
	char *name;          /* owned */
	ShdStmt *stmt;       /* counted reference */
	sqlite3_stmt *st;    /* the statement being stepped (stmt->st or own) */
	bool own_st;
	int nformats;
	int16_t *formats;    /* owned */
	bool started;        /* first step done */
	bool done;
	int64_t rows;
	Buf params_text;     /* owned storage of bound text values */
	bool cursor;         /* created by DECLARE */
	bool hold;           /* WITH HOLD: survives COMMIT */
	/* SCROLL / WITH HOLD cursors are materialised: mat[nmat][ncols] */
	bool materialized;
	int64_t nmat, matcap;
	sqlite3_value ***mat;
	int64_t pos;         /* 0 = before the first row, nmat + 1 = after the last */
	/* a cursor neither SCROLL nor NO SCROLL whose query calls no volatile
	 * function: a backward FETCH materialises it by running the query again
	 * when the session has changed no rows since DECLARE (changes) */
	bool rescan;
	int64_t changes;
} ShdPortal;

struct ShdSession {
	PgwConn conn;
	ShdServer *srv; /* borrowed */
	int fd;         /* the client socket (shutdown on server stop) */
	PgsSession pg;  /* the engine's state over this session's SQLite connection (pg.db owned) */
	/* owned: the texts shd_sql runs often (BEGIN, COMMIT, ...), prepared
	 * once on db (session.c: frequent_sql) */
	sqlite3_stmt *sql_cache[SHD_SQL_CACHE];
	ShdTxn txn;
	bool implicit;         /* an implicit transaction is open in SQLite */
	bool ext_error;        /* an error happened since the last Sync */
	bool txn_read_only;
	bool txn_ddl;          /* the open transaction changed the schema */
	ShdCapture cap;        /* the row changes of the open transaction block */
	sqlite3_stmt *changelog_st; /* owned: the changelog's INSERT (changelog.c) */
	int64_t txn_ts;        /* the router's start time of this transaction (SET dosql.txn_ts), 0 none */
	int64_t commit_ts;     /* the commit time the next COMMIT PREPARED takes (SET dosql.commit_ts), 0 none */
	int shard_index;       /* the router's index of this shard (SET dosql.shard), -1 unknown */
	bool alone;            /* the next statement is the transaction's first write anywhere (SET
				* dosql.txn_alone): it waits for the write lock without dying (busy_wait) */
	bool committing;       /* this session's commit is under way (inflight_ts) */
	int64_t inflight_ts;   /* its commit time while under way, else 0 (srv->clock_lock) */
	bool commit_exact;     /* its commit takes commit_ts even below the clock (a prepared
				* transaction that held rows: rowlock.c) */
	bool replication;      /* started with replication=database: replication commands too */
	bool writer;           /* this transaction holds the write lock (srv->writer_ts is ours) */
	int64_t busy_waited_us;
	_Atomic int64_t lock_wait_ts; /* txn_ts while waiting for the write lock, else 0 */
	bool registered;       /* in srv->sessions */
	bool handing_over;     /* this holder is receiving a PREPARE's lock */
	/* row locks (rowlock.c) */
	bool rl_deferred;      /* the block holds no SQLite transaction */
	bool rl_stmt;          /* a statement runs in a turn of its own: it takes the rows it changes */
	int rl_nstmts;         /* statements run in the implicit transaction */
	bool rl_retry;         /* a statement alone in its implicit transaction: it runs again after a conflict */
	size_t rl_mark;        /* cap.changes.len when that statement began */
	uint64_t rl_blocked;   /* the row it met held by another transaction */
	struct RlOwner *rl_owner; /* owned: the rows it holds, NULL none */
	int nsavepoints, savecap;
	struct ShdSavepoint {
		char *name;  /* owned */
		size_t mark; /* cap.changes.len when it was set */
	} *savepoints;
	int nstmts, stmtcap;
	ShdStmt **stmts;       /* named statements; [0] may be unnamed */
	int nportals, portalcap;
	ShdPortal **portals;
	/* COPY FROM STDIN in progress */
	struct ShdCopy *copy;
};

/* A session without a client over srv's database, for work the server does
 * itself (holding a prepared transaction).  NULL when SQLite fails. */
ShdSession *shd_session_internal(ShdServer *srv);
void shd_session_internal_free(ShdSession *s);

/* Run one client connection to completion (called on its own thread). */
void shd_session_run(ShdServer *srv, int fd);

/* Prepared transactions (prepared.c). */
/* Re-apply the prepared transactions stored in the database and hold them
 * before the shard serves anyone; false (with a message on stderr) when the
 * database cannot be read. */
bool shd_prep_recover(ShdServer *srv);
/* Group commit's state (durable.c), once per server before any session. */
void shd_durable_init(ShdServer *srv);
/* Let go of held prepared transactions (they stay stored). */
void shd_prep_shutdown(ShdServer *srv);

/* The router session's pid streaming slot, 0 when none (cdc.c). */
int32_t shd_cdc_slot_pid(ShdServer *srv, const char *slot);


#endif
