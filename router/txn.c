/*
 * txn.c - a session's transaction over several shards: BEGIN sent to each
 * shard as the transaction first reaches it, savepoints kept in step on
 * every shard, and the end: a plain COMMIT when at most one shard was
 * written, two-phase commit otherwise.
 *
 * Two-phase commit: PREPARE TRANSACTION on every shard that was written
 * (shards only read commit at once); when all prepared, the decision is
 * logged durably (coord.c: the session waits, the event loop does not)
 * and COMMIT PREPARED goes to each of them.  A
 * PREPARE that fails rolls the others back with ROLLBACK PREPARED, and the
 * client gets that shard's error.  A COMMIT PREPARED that fails after the
 * decision is left to the coordinator's recovery: the transaction is
 * committed, and the client is told so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"
#include "common/log.h"
#include "router/ops.h"
#include "router/router.h"
#include "common/pgnode.h"
#include "pgsql/translate.h"

/* ------------------------------------------------------------ participants */

static int part_index(const RtSession *s, int shard)
{
	for (int i = 0; i < s->nparts; i++)
		if (s->parts[i] == shard)
			return i;
	return -1;
}

bool rt_txn_join(RtSession *s, int shard)
{
	if (part_index(s, shard) >= 0)
		return false;
	if (s->nparts == 0) {
		/* unique over the router's sessions: older is smaller */
		s->txn_ts = s->retry_ts ? s->retry_ts : rt_coord_tick(s->rt->coord);
		s->retry_ts = 0;
	}
	s->parts[s->nparts++] = shard;
	s->wrote[shard] = false;
	return true;
}

int rt_txn_first(const RtSession *s) { return s->nparts ? s->parts[0] : -1; }

static void savepoints_pop(RtSession *s, int keep)
{
	while (s->nsavepoints > keep)
		free(s->savepoints[--s->nsavepoints].name);
}

void rt_txn_reset(RtSession *s)
{
	for (int i = 0; i < s->nparts; i++)
		s->wrote[s->parts[i]] = false;
	s->nparts = 0;
	s->drop_from = -1;
	savepoints_pop(s, 0);
	free(s->begin_sql);
	s->begin_sql = NULL;
	if (s->txn_ddl)
		rt_column_types_forget(s->rt); /* learned from its uncommitted DDL */
	s->txn_ddl = false;
}

bool rt_txn_lost(RtSession *s, int shard)
{
	int i = part_index(s, shard);
	if (i < 0)
		return false;
	s->wrote[shard] = false;
	memmove(&s->parts[i], &s->parts[i + 1], sizeof(int) * (size_t)(s->nparts - i - 1));
	s->nparts--;
	/* savepoints set after it joined counted it */
	for (int k = 0; k < s->nsavepoints; k++)
		if (s->savepoints[k].nparts > i)
			s->savepoints[k].nparts--;
	return true;
}

void rt_txn_statement_done(RtSession *s)
{
	if (s->drop_from < 0)
		return;
	for (int i = s->drop_from; i < s->nparts; i++)
		s->wrote[s->parts[i]] = false;
	s->nparts = s->drop_from;
	s->drop_from = -1;
}

/* ------------------------------------------------------------ the end */

/* Send each shard of shards[0..n) its own text, as one statement whose
 * tag the client sees once. */
static bool send_each(RtSession *s, char **texts, const int *shards, int n)
{
	s->fanout = true;
	s->fanout_shard = shards[0];
	return rt_dispatch_each(s, NULL, texts, shards, n, NULL, 0);
}

static void free_texts(char **texts, int n)
{
	for (int i = 0; i < n; i++)
		free(texts[i]);
}

/* Send "<verb> '<gid>'" to the shards whose flag is set in which[]. */
static bool send_gid(RtSession *s, const char *verb, const bool *which)
{
	int shards[RT_MAX_SHARDS], n = 0;
	char *texts[RT_MAX_SHARDS];
	for (int i = 0; i < s->nparts; i++) {
		int sh = s->parts[i];
		if (!which[sh])
			continue;
		size_t len = strlen(verb) + strlen(s->gid) + 4;
		texts[n] = malloc(len);
		snprintf(texts[n], len, "%s '%s'", verb, s->gid);
		shards[n++] = sh;
	}
	bool ok = n > 0 && send_each(s, texts, shards, n);
	free_texts(texts, n);
	return ok;
}

bool rt_txn_finish(RtSession *s, bool commit)
{
	int writers = 0;
	for (int i = 0; i < s->nparts; i++)
		writers += s->wrote[s->parts[i]];
	if (s->nparts == 0) {
		snprintf(s->tag, sizeof(s->tag), "%s", commit ? "COMMIT" : "ROLLBACK");
		return false;
	}
	char *texts[RT_MAX_SHARDS];
	if (!commit || writers <= 1 || s->txn_ddl) {
		for (int i = 0; i < s->nparts; i++)
			texts[i] = strdup(commit ? "COMMIT" : "ROLLBACK");
		bool ok = send_each(s, texts, s->parts, s->nparts);
		free_texts(texts, s->nparts);
		return ok || s->waiting > 0;
	}
	rt_coord_gid(s->rt->coord, s->gid, sizeof(s->gid));
	s->tp = RT_TP_PREPARING;
	s->tp_failed = false;
	s->commit_ts = 0;
	for (int i = 0; i < s->nparts; i++) {
		int sh = s->parts[i];
		s->tp_ok[sh] = false;
		if (s->wrote[sh]) {
			size_t len = strlen(s->gid) + 32;
			texts[i] = malloc(len);
			snprintf(texts[i], len, "PREPARE TRANSACTION '%s'", s->gid);
		} else {
			texts[i] = strdup("COMMIT"); /* only read: nothing to prepare */
		}
	}
	bool ok = send_each(s, texts, s->parts, s->nparts);
	free_texts(texts, s->nparts);
	if (!ok && s->waiting == 0) {
		s->tp = RT_TP_NONE;
		return false;
	}
	return true;
}

bool rt_txn_result(RtSession *s, RtBackend *b, PGresult *r)
{
	if (s->tp == RT_TP_NONE)
		return false;
	ExecStatusType st = PQresultStatus(r);
	const char *tag = PQcmdStatus(r);
	switch (s->tp) {
	case RT_TP_PREPARING:
		if (st == PGRES_COMMAND_OK && strcmp(tag, "PREPARE TRANSACTION") == 0) {
			/* the shard reports its commit clock with the PREPARE: the
			 * transaction commits everywhere at one time past all of them */
			const char *hlc = PQparameterStatus(b->pg, "dosql.hlc");
			long long t = hlc ? strtoll(hlc, NULL, 10) : 0;
			if (t >= s->commit_ts)
				s->commit_ts = t + 1;
			s->tp_ok[b->shard] = true;
			dosql_fault("router-after-prepare");
		} else if (st == PGRES_COMMAND_OK && strcmp(tag, "COMMIT") == 0 && !s->wrote[b->shard]) {
			/* a shard that was only read */
		} else if (st == PGRES_COMMAND_OK) {
			s->tp_failed = true; /* "ROLLBACK": its transaction had failed */
		} else {
			s->tp_failed = true;
			return false; /* the error goes to the client */
		}
		return true;
	case RT_TP_COMMITTING:
		if (st == PGRES_COMMAND_OK) {
			s->tp_ok[b->shard] = true;
			dosql_fault("router-after-commit-prepared");
		} else {
			LogTag tag;
			rt_log_tag(&tag, s->rt, s, b->shard);
			log_warning(&tag, "COMMIT PREPARED '%s' failed: %s", s->gid, PQresultErrorMessage(r));
		}
		return true;
	default:
		return true; /* ROLLBACK PREPARED: what is left over, recovery rolls back */
	}
}

/* The decision is durable: COMMIT PREPARED goes to every writer.  False
 * when it could not be sent: recovery commits, and the client is told
 * COMMIT. */
static bool commit_prepared(RtSession *s, const bool *prepared)
{
	dosql_fault("router-after-decision");
	s->tp = RT_TP_COMMITTING;
	s->rt->ops->m.tp_committed++;
	for (int i = 0; i < s->nparts; i++)
		s->tp_ok[s->parts[i]] = false;
	rt_reset_statement(s);
	if (send_gid(s, "COMMIT PREPARED", prepared) || s->waiting > 0)
		return true;
	s->tp = RT_TP_NONE;
	rt_reset_statement(s);
	snprintf(s->tag, sizeof(s->tag), "COMMIT");
	return false;
}

/* No commit: ROLLBACK PREPARED goes to every writer, also one whose
 * PREPARE failed (a shard may keep a gid it could not take back at once). */
static bool rollback_prepared(RtSession *s, int writers)
{
	if (!s->stmt_error)
		snprintf(s->tag, sizeof(s->tag), "ROLLBACK");
	if (writers > 0) {
		bool prepared[RT_MAX_SHARDS] = {false};
		for (int i = 0; i < s->nparts; i++)
			prepared[s->parts[i]] = s->wrote[s->parts[i]];
		s->tp = RT_TP_ABORTING;
		s->rt->ops->m.tp_aborted++;
		bool err = s->stmt_error;
		char tag[80];
		snprintf(tag, sizeof(tag), "%s", s->tag);
		rt_reset_statement(s);
		s->stmt_error = err;
		snprintf(s->tag, sizeof(s->tag), "%s", tag);
		if (send_gid(s, "ROLLBACK PREPARED", prepared) || s->waiting > 0)
			return true;
	}
	s->tp = RT_TP_NONE;
	return false;
}

/* Every writer prepared: the decision goes to the coordinator's log, and
 * the session waits (s->waiting 1) until it is durable. */
static bool decide(RtSession *s)
{
	PgwError e;
	if (!rt_coord_may_commit(s->rt->coord, s->gid)) {
		pgw_error_set(&e, "40001", "could not serialize access: the prepare phase of transaction %s took too long",
			      s->gid);
		rt_send_error(s, &e);
		return false;
	}
	int shards[RT_MAX_SHARDS], n = 0;
	for (int i = 0; i < s->nparts; i++)
		if (s->wrote[s->parts[i]])
			shards[n++] = s->parts[i];
	if (!rt_coord_decide(s->rt->coord, s->gid, shards, n, s->commit_ts, s)) {
		pgw_error_set(&e, "53200", "out of memory");
		rt_send_error(s, &e);
		return false;
	}
	s->tp = RT_TP_DECIDING;
	s->decided = false;
	s->waiting = 1;
	return true;
}

void rt_txn_decisions(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtRouter *rt = arg;
	void *waiter;
	bool ok;
	while (rt_coord_next_decided(rt->coord, &waiter, &ok)) {
		RtSession *s = waiter;
		s->decided = ok;
		if (!ok) {
			PgwError e;
			pgw_error_set(&e, "58030", "could not write the commit decision of transaction %s", s->gid);
			rt_send_error(s, &e);
		}
		rt_session_backend_done(s, NULL);
		(void)pgw_evconn_flush(s->ec);
	}
}

bool rt_txn_step(RtSession *s)
{
	bool prepared[RT_MAX_SHARDS] = {false};
	int nprepared = 0, writers = 0, committed = 0;
	for (int i = 0; i < s->nparts; i++) {
		int sh = s->parts[i];
		writers += s->wrote[sh];
		prepared[sh] = s->wrote[sh] && s->tp_ok[sh];
		nprepared += prepared[sh];
		committed += s->wrote[sh] && s->tp_ok[sh];
	}
	switch (s->tp) {
	case RT_TP_PREPARING:
		if (!s->tp_failed && !s->stmt_error && nprepared == writers && decide(s))
			return true;
		return rollback_prepared(s, writers);
	case RT_TP_DECIDING:
		if (s->decided)
			return commit_prepared(s, prepared);
		return rollback_prepared(s, writers);
	case RT_TP_COMMITTING:
		if (committed == writers)
			rt_coord_done(s->rt->coord, s->gid);
		s->tp = RT_TP_NONE;
		rt_reset_statement(s); /* a failed COMMIT PREPARED is recovery's: committed */
		snprintf(s->tag, sizeof(s->tag), "COMMIT");
		return false;
	case RT_TP_ABORTING:
		s->tp = RT_TP_NONE;
		return false;
	default:
		return false;
	}
}

/* ------------------------------------------------------------ statements */

static char *savepoint_sql(const char *verb, const char *name)
{
	Buf b;
	buf_init(&b);
	buf_printf(&b, "%s ", verb);
	pgs_put_ident(&b, name);
	char *sql = strdup(buf_cstr(&b));
	buf_cleanup(&b);
	return sql;
}

static int savepoint_find(const RtSession *s, const char *name)
{
	for (int k = s->nsavepoints - 1; k >= 0; k--)
		if (strcmp(s->savepoints[k].name, name) == 0)
			return k;
	return -1;
}

/* SAVEPOINT, RELEASE, ROLLBACK TO over the transaction's shards: a shard
 * that joined after the savepoint was set does not know it; ROLLBACK TO
 * rolls such a shard back entirely (all its work came after), RELEASE
 * releases the oldest later savepoint it knows.  True when answered here. */
static bool savepoint_stmt(RtSession *s, PgQuery__TransactionStmt *ts)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwError e;
	const char *name = ts->savepoint_name;
	bool set = ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT;
	bool rollback = ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO;
	if (s->txn == RT_TXN_IDLE) {
		pgw_error_set(&e, "25P01", "%s can only be used in transaction blocks",
			      set ? "SAVEPOINT" : rollback ? "ROLLBACK TO SAVEPOINT" : "RELEASE SAVEPOINT");
		rt_send_error(s, &e);
		return true;
	}
	char *texts[RT_MAX_SHARDS];
	int shards[RT_MAX_SHARDS], n = 0;
	if (set) {
		if (s->nsavepoints == s->savecap) {
			int cap = s->savecap ? s->savecap * 2 : 8;
			struct RtSavepoint *p = realloc(s->savepoints, sizeof(*p) * (size_t)cap);
			if (!p) {
				pgw_error_set(&e, "53200", "out of memory");
				rt_send_error(s, &e);
				return true;
			}
			s->savepoints = p;
			s->savecap = cap;
		}
		s->savepoints[s->nsavepoints].name = strdup(name);
		s->savepoints[s->nsavepoints].nparts = s->nparts;
		s->nsavepoints++;
		for (int i = 0; i < s->nparts; i++) {
			texts[n] = savepoint_sql("SAVEPOINT", name);
			shards[n++] = s->parts[i];
		}
	} else {
		int k = savepoint_find(s, name);
		if (k < 0) {
			pgw_error_set(&e, "3B001", "savepoint \"%s\" does not exist", name);
			rt_send_error(s, &e);
			return true;
		}
		int known = s->savepoints[k].nparts;
		for (int i = 0; i < s->nparts; i++) {
			if (i < known) {
				texts[n] = savepoint_sql(rollback ? "ROLLBACK TO SAVEPOINT" : "RELEASE SAVEPOINT", name);
			} else if (rollback) {
				texts[n] = strdup("ROLLBACK");
			} else {
				int j = k + 1;
				while (j < s->nsavepoints && s->savepoints[j].nparts <= i)
					j++;
				if (j == s->nsavepoints)
					continue;
				texts[n] = savepoint_sql("RELEASE SAVEPOINT", s->savepoints[j].name);
			}
			shards[n++] = s->parts[i];
		}
		if (rollback) {
			savepoints_pop(s, k + 1);
			if (known < s->nparts)
				s->drop_from = known;
		} else {
			savepoints_pop(s, k);
		}
	}
	if (n == 0) {
		pgw_send_command_complete(c, set ? "SAVEPOINT" : rollback ? "ROLLBACK" : "RELEASE");
		return true;
	}
	bool sent = send_each(s, texts, shards, n);
	free_texts(texts, n);
	return !sent && s->waiting == 0;
}

/* BEGIN, COMMIT, ROLLBACK, SAVEPOINT handled at the router; returns true
 * when the statement was answered here (false: it went to the shards). */
bool rt_transaction_stmt(RtSession *s, PgQuery__TransactionStmt *ts, const char *text)
{
	(void)text;
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwError e;
	switch (ts->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: {
		const char *tag = ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN ? "BEGIN" : "START TRANSACTION";
		if (s->txn != RT_TXN_IDLE) {
			pgw_error_set(&e, "25001", "there is already a transaction in progress");
			e.severity = "WARNING";
			pgw_send_notice(c, &e);
		} else if (ts->n_options) {
			/* each shard begins with the options (a READ ONLY shard
			 * refuses writes with 25006; every isolation level is
			 * serializable on a shard) */
			PgQuery__Node n = PG_QUERY__NODE__INIT;
			n.node_case = PG_QUERY__NODE__NODE_TRANSACTION_STMT;
			n.transaction_stmt = ts;
			free(s->begin_sql);
			s->begin_sql = pgn_deparse(&n);
			if (!s->begin_sql) {
				pgw_error_set(&e, "53200", "out of memory");
				rt_send_error(s, &e);
				return true;
			}
		}
		s->implicit = false;
		if (s->txn == RT_TXN_IDLE)
			s->txn = RT_TXN_BLOCK;
		pgw_send_command_complete(c, tag);
		return true;
	}
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK: {
		bool commit = ts->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT;
		if (s->txn == RT_TXN_IDLE && !s->implicit) {
			pgw_error_set(&e, "25P01", "there is no transaction in progress");
			e.severity = "WARNING";
			pgw_send_notice(c, &e);
			pgw_send_command_complete(c, commit ? "COMMIT" : "ROLLBACK");
			return true;
		}
		/* a failed transaction rolls back whatever COMMIT says, even when
		 * the statement that failed was refused here and the shards do
		 * not know */
		bool failed = s->txn == RT_TXN_FAILED;
		s->implicit = false;
		if (rt_txn_finish(s, commit && !failed))
			return false;
		s->txn = RT_TXN_IDLE;
		rt_txn_reset(s);
		if (!s->stmt_error)
			pgw_send_command_complete(c, commit && !failed ? "COMMIT" : "ROLLBACK");
		return true;
	}
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
		return savepoint_stmt(s, ts);
	default:
		pgw_error_set(&e, "0A000",
			      "PREPARE TRANSACTION and COMMIT/ROLLBACK PREPARED through the router are not supported: the "
			      "router prepares transactions itself");
		rt_send_error(s, &e);
		return true;
	}
}

