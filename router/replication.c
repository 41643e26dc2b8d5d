/*
 * replication.c - replication connections to the router (replication.h):
 * the router's side of cdc/, which merges the streams and formats them.
 *
 * Slot commands go to every shard over short blocking connections; they are
 * rare and each takes a shard round trip.  A stream keeps one non-blocking
 * replication connection per shard on the router's loop and polls them in
 * rounds: every shard answers DOSQL_CHANGES with the transactions it
 * committed since its last answer and a watermark; when all have answered,
 * the transactions below the lowest watermark go out in LSN order.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdc/publication.h"
#include "cdc/stream.h"
#include "router/replication.h"

#define SYSTEM_ID "7300000000000000001"
#define POLL_IDLE_US 20000       /* between rounds that found nothing */
#define KEEPALIVE_US 10000000    /* a keepalive at least this often */
#define TIMEOUT_US 60000000      /* a client silent this long is dropped (wal_sender_timeout) */
#define CONFIRM_US 1000000       /* confirm the client's flush on the shards this often */
#define RECONNECT_US 1000000     /* retry a shard that went away */
#define CHANGES_PER_ROUND 10000  /* rows asked of a shard per round */
#define OUTPUT_HIGH (4u << 20)   /* stop reading shards while the client has this much unsent */

typedef enum ShardState {
	SH_DOWN,      /* no connection; retried after RECONNECT_US */
	SH_IDLE,      /* waiting for the next round */
	SH_ADVANCING, /* DOSQL_ADVANCE on the wire */
	SH_READING,   /* DOSQL_CHANGES on the wire */
} ShardState;

typedef struct WsShard {
	struct RtWalSender *ws; /* borrowed */
	int index;
	PGconn *pg;           /* owned */
	struct event *ev;     /* owned */
	ShardState state;
	int64_t retry_at;
	bool got_rows;        /* this round's answer held changes */
} WsShard;

typedef struct RtWalSender {
	RtSession *s;       /* borrowed */
	char slot[CDC_NAME_MAX * 2];
	CdcStream *stream;  /* owned */
	CdcPubs *pubs;      /* owned: the publications when the stream started */
	int nshards;
	WsShard sh[CDC_MAX_SHARDS];
	uint64_t flushed;   /* the client's flush position */
	uint64_t confirmed; /* what the shards' slots were told */
	uint64_t to_confirm; /* this round tells them this (0: nothing) */
	int64_t last_confirm_us, last_keepalive_us;
	int64_t last_reply_us; /* the client's last message */
	bool ping_sent;        /* a keepalive asked for a reply since then */
	struct event *timer;
	bool round;         /* a round is under way */
	char open_error[256]; /* why a shard's slot could not be taken */
} RtWalSender;

/* Slots streaming now, for 55006. */
static struct Active {
	char slot[CDC_NAME_MAX * 2];
	int32_t pid;
	RtWalSender *ws; /* borrowed */
} active[64];
static int nactive;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static PgwConn *conn(RtSession *s) { return pgw_evconn_conn(s->ec); }

static void error(RtSession *s, const char *sqlstate, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void error(RtSession *s, const char *sqlstate, const char *fmt, ...)
{
	PgwError e;
	va_list ap;
	va_start(ap, fmt);
	pgw_error_set(&e, sqlstate, "%s", "");
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	pgw_send_error(conn(s), &e);
}

static PGconn *shard_conn(RtRouter *rt, int i)
{
	return rt_shard_connect(vsc_shard(rt->vschema, i), rt->shard_user, rt->shard_database, "2", "dosql walsender", true);
}

/* Run a command on every shard; results[i] NULL where the shard did not
 * answer.  Returns the number that answered. */
static int on_all(RtRouter *rt, const char *cmd, PGresult **results)
{
	int n = vsc_shard_count(rt->vschema), ok = 0;
	for (int i = 0; i < n; i++) {
		PGconn *pg = shard_conn(rt, i);
		results[i] = pg ? PQexec(pg, cmd) : NULL;
		ok += results[i] != NULL;
		PQfinish(pg);
	}
	return ok;
}

static void clear_all(PGresult **results, int n)
{
	for (int i = 0; i < n; i++)
		PQclear(results[i]);
}

static const char *sqlstate_of(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

/* A shard's failure, to the client. */
static void shard_error(RtSession *s, int i, PGresult *r)
{
	const char *name = vsc_shard(s->rt->vschema, i)->name;
	if (!r) {
		error(s, "08006", "shard %s is not available", name);
		return;
	}
	PgwError e;
	rt_pg_error(r, &e);
	pgw_send_error(conn(s), &e);
}

static void text_row(RtSession *s, int n, const char *const *vals)
{
	pgw_row_begin(conn(s), n);
	for (int i = 0; i < n; i++)
		pgw_row_text(conn(s), vals[i]);
	pgw_row_end(conn(s));
}

/* ------------------------------------------------------------ commands */

static void identify_system(RtSession *s)
{
	int n = vsc_shard_count(s->rt->vschema);
	PGresult *r[RT_MAX_SHARDS];
	on_all(s->rt, "IDENTIFY_SYSTEM", r);
	uint64_t pos = 0;
	int bad = -1;
	for (int i = 0; i < n; i++) {
		uint64_t l;
		if (PQresultStatus(r[i]) == PGRES_TUPLES_OK && PQntuples(r[i]) == 1 &&
		    cdc_lsn_parse(PQgetvalue(r[i], 0, 2), &l)) {
			if (l > pos)
				pos = l;
		} else if (bad < 0) {
			bad = i;
		}
	}
	if (bad >= 0) {
		shard_error(s, bad, r[bad]);
	} else {
		char lsn[32];
		cdc_lsn_format(lsn, sizeof(lsn), pos);
		static const char *const names[] = {"systemid", "timeline", "xlogpos", "dbname"};
		static const uint32_t oids[] = {25, 23, 25, 25};
		const char *vals[] = {SYSTEM_ID, "1", lsn, conn(s)->database};
		pgw_send_text_columns(conn(s), 4, names, oids);
		text_row(s, 4, vals);
		pgw_send_command_complete(conn(s), "IDENTIFY_SYSTEM");
	}
	clear_all(r, n);
}

static RtWalSender *streaming(const char *slot)
{
	for (int i = 0; i < nactive; i++)
		if (strcmp(active[i].slot, slot) == 0)
			return active[i].ws;
	return NULL;
}

static bool slot_active(const char *slot, int32_t *pid)
{
	for (int i = 0; i < nactive; i++)
		if (strcmp(active[i].slot, slot) == 0) {
			*pid = active[i].pid;
			return true;
		}
	return false;
}

static void create_slot(RtSession *s, const CdcCmd *cmd)
{
	char msg[200];
	if (cmd->physical) {
		error(s, "0A000", "physical replication slots are not supported by DoSQL");
		return;
	}
	if (cmd->temporary) {
		error(s, "0A000", "temporary replication slots are not supported by DoSQL");
		return;
	}
	if (cmd->snapshot == CDC_SNAPSHOT_USE) {
		error(s, "0A000", "CREATE_REPLICATION_SLOT ... (SNAPSHOT 'use') is not supported by DoSQL");
		return;
	}
	if (!cdc_slot_name_valid(cmd->slot, msg, sizeof(msg))) {
		error(s, "42602", "%s", msg);
		return;
	}
	if (!cdc_plugin_known(cmd->plugin)) {
		error(s, "58P01", "could not access file \"%s\": No such file or directory", cmd->plugin);
		return;
	}
	int n = vsc_shard_count(s->rt->vschema);
	char sql[256];
	snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT \"%s\" LOGICAL \"%s\"%s", cmd->slot, cmd->plugin,
		 cmd->two_phase ? " TWO_PHASE" : "");
	PGresult *r[RT_MAX_SHARDS];
	on_all(s->rt, sql, r);
	uint64_t at = 0;
	int bad = -1;
	for (int i = 0; i < n; i++) {
		uint64_t l;
		if (PQresultStatus(r[i]) == PGRES_TUPLES_OK && PQntuples(r[i]) == 1 &&
		    cdc_lsn_parse(PQgetvalue(r[i], 0, 1), &l)) {
			if (l > at)
				at = l;
		} else if (bad < 0 || strcmp(sqlstate_of(r[i]), "42710") == 0) {
			bad = i;
		}
	}
	if (bad >= 0) {
		/* undo it where it was made */
		shard_error(s, bad, r[bad]);
		for (int i = 0; i < n; i++)
			if (PQresultStatus(r[i]) == PGRES_TUPLES_OK) {
				PGconn *pg = shard_conn(s->rt, i);
				snprintf(sql, sizeof(sql), "DROP_REPLICATION_SLOT \"%s\"", cmd->slot);
				PQclear(pg ? PQexec(pg, sql) : NULL);
				PQfinish(pg);
			}
		clear_all(r, n);
		return;
	}
	clear_all(r, n);
	/* one consistent point for all: later commits on every shard are above it */
	char lsn[32];
	cdc_lsn_format(lsn, sizeof(lsn), at);
	snprintf(sql, sizeof(sql), "DOSQL_ADVANCE \"%s\" %s", cmd->slot, lsn);
	on_all(s->rt, sql, r);
	for (int i = 0; i < n && bad < 0; i++)
		if (PQresultStatus(r[i]) != PGRES_COMMAND_OK)
			bad = i;
	if (bad >= 0) {
		shard_error(s, bad, r[bad]);
	} else {
		static const char *const names[] = {"slot_name", "consistent_point", "snapshot_name", "output_plugin"};
		static const uint32_t oids[] = {25, 25, 25, 25};
		const char *vals[] = {cmd->slot, lsn, NULL, cmd->plugin};
		pgw_send_text_columns(conn(s), 4, names, oids);
		text_row(s, 4, vals);
		pgw_send_command_complete(conn(s), "CREATE_REPLICATION_SLOT");
	}
	clear_all(r, n);
}

/* DROP_REPLICATION_SLOT ... WAIT for a slot that is streaming: the
 * session waits (not reading) until the stream has ended. */
static struct DropWait {
	RtSession *s; /* borrowed; NULL: free entry */
	char slot[CDC_NAME_MAX * 2];
	struct event *timer;
} waits[16];

static void drop_now(RtSession *s, const char *slot);

static void on_drop_wait(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct DropWait *w = arg;
	int32_t pid;
	if (slot_active(w->slot, &pid)) {
		struct timeval tv = {0, 10000};
		evtimer_add(w->timer, &tv);
		return;
	}
	RtSession *s = w->s;
	event_free(w->timer);
	w->s = NULL;
	drop_now(s, w->slot);
	pgw_send_ready(conn(s), rt_txn_status(s));
	pgw_evconn_flush(s->ec);
	pgw_evconn_resume_reading(s->ec);
}

/* Forget the waits of a session that ends. */
static void drop_waits_cancel(RtSession *s)
{
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++)
		if (waits[i].s == s) {
			event_free(waits[i].timer);
			waits[i].s = NULL;
		}
}

/* Returns false when the command waits (ReadyForQuery comes later). */
static bool drop_slot(RtSession *s, const CdcCmd *cmd)
{
	int32_t pid;
	if (slot_active(cmd->slot, &pid) && cmd->wait) {
		for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++)
			if (!waits[i].s) {
				waits[i].s = s;
				snprintf(waits[i].slot, sizeof(waits[i].slot), "%s", cmd->slot);
				waits[i].timer = evtimer_new(s->rt->base, on_drop_wait, &waits[i]);
				struct timeval tv = {0, 10000};
				evtimer_add(waits[i].timer, &tv);
				pgw_evconn_pause_reading(s->ec);
				return false;
			}
	}
	if (slot_active(cmd->slot, &pid)) {
		error(s, "55006", "replication slot \"%s\" is active for PID %d", cmd->slot, pid);
		return true;
	}
	drop_now(s, cmd->slot);
	return true;
}

static void drop_now(RtSession *s, const char *slot)
{
	int n = vsc_shard_count(s->rt->vschema), dropped = 0, bad = -1;
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP_REPLICATION_SLOT \"%s\"", slot);
	PGresult *r[RT_MAX_SHARDS];
	on_all(s->rt, sql, r);
	for (int i = 0; i < n; i++) {
		if (PQresultStatus(r[i]) == PGRES_COMMAND_OK)
			dropped++;
		else if (strcmp(sqlstate_of(r[i]), "42704") != 0 && bad < 0)
			bad = i;
	}
	if (bad >= 0)
		shard_error(s, bad, r[bad]);
	else if (dropped == 0)
		error(s, "42704", "replication slot \"%s\" does not exist", slot);
	else
		pgw_send_command_complete(conn(s), "DROP_REPLICATION_SLOT");
	clear_all(r, n);
}

/* ------------------------------------------------------------ streaming */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void keepalive(RtWalSender *ws, bool reply)
{
	uint8_t m[18];
	m[0] = 'k';
	put_u64(m + 1, cdc_stream_position(ws->stream));
	put_u64(m + 9, (uint64_t)cdc_pg_time(now_us()));
	m[17] = reply ? 1 : 0;
	pgw_send_copy_data(conn(ws->s), m, sizeof(m));
	ws->last_keepalive_us = now_us();
}

/* One XLogData message. */
static void emit(void *arg, uint64_t lsn, const uint8_t *data, size_t len)
{
	RtWalSender *ws = arg;
	PgwConn *c = conn(ws->s);
	uint8_t h[25];
	h[0] = 'w';
	put_u64(h + 1, lsn);
	put_u64(h + 9, lsn);
	put_u64(h + 17, (uint64_t)cdc_pg_time(now_us()));
	buf_msg_begin(&c->out, 'd');
	buf_put(&c->out, h, sizeof(h));
	buf_put(&c->out, data, len);
	buf_msg_end(&c->out);
}

/* The rows of one DOSQL_CHANGES answer, into the stream. */
static bool take_rows(WsShard *sh, PGresult *r)
{
	CdcStream *st = sh->ws->stream;
	if (PQnfields(r) != CDC_ROW_NFIELDS)
		return false;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *f[CDC_ROW_NFIELDS];
		for (int k = 0; k < CDC_ROW_NFIELDS; k++)
			f[k] = PQgetisnull(r, i, k) ? NULL : PQgetvalue(r, i, k);
		if (!cdc_stream_row(st, sh->index, f))
			return false;
	}
	sh->got_rows = cdc_stream_answer_end(st, sh->index) || sh->got_rows;
	return true;
}

/* Whether a table is a reference table: every shard has the same rows. */
static bool replicated(void *arg, const char *table)
{
	const RtWalSender *ws = arg;
	const VscTable *t = vsc_table(ws->s->rt->vschema, table);
	return t && t->placement == VSC_REFERENCE;
}

static const CdcStreamOps stream_ops = {.replicated = replicated, .emit = emit};

/* Send what the stream can, and the keepalives the client is owed. */
static void emit_ready(RtWalSender *ws)
{
	int done = cdc_stream_emit_ready(ws->stream);
	uint64_t position = cdc_stream_position(ws->stream);
	int64_t now = now_us();
	if (!ws->ping_sent && now - ws->last_reply_us >= TIMEOUT_US / 2) {
		keepalive(ws, true); /* silent for half the timeout: ask */
		ws->ping_sent = true;
	} else if ((done > 0 && ws->flushed < position) || now - ws->last_keepalive_us >= KEEPALIVE_US ||
		   (ws->flushed < position && now - ws->last_keepalive_us >= CONFIRM_US)) {
		keepalive(ws, false);
	}
	pgw_evconn_flush(ws->s->ec);
}

/* The client stayed silent for the whole timeout: end its connection. */
static bool timed_out(RtWalSender *ws)
{
	if (now_us() - ws->last_reply_us < TIMEOUT_US)
		return false;
	pgw_send_fatalf(conn(ws->s), "08006", "terminating walsender process due to replication timeout");
	pgw_evconn_flush(ws->s->ec);
	return true;
}

static void schedule(RtWalSender *ws, int64_t us)
{
	struct timeval tv = {.tv_sec = us / 1000000, .tv_usec = us % 1000000};
	evtimer_add(ws->timer, &tv);
}

static void shard_down(WsShard *sh)
{
	if (sh->ev) {
		event_free(sh->ev);
		sh->ev = NULL;
	}
	PQfinish(sh->pg);
	sh->pg = NULL;
	sh->state = SH_DOWN;
	sh->retry_at = now_us() + RECONNECT_US;
	cdc_stream_shard_lost(sh->ws->stream, sh->index);
}

static void round_end(RtWalSender *ws)
{
	for (int i = 0; i < ws->nshards; i++)
		if (ws->sh[i].state == SH_ADVANCING || ws->sh[i].state == SH_READING)
			return;
	ws->round = false;
	emit_ready(ws);
	bool more = false;
	for (int i = 0; i < ws->nshards; i++)
		more = more || ws->sh[i].got_rows;
	schedule(ws, more ? 0 : POLL_IDLE_US);
}

static bool send_next(WsShard *sh)
{
	char sql[256];
	RtWalSender *ws = sh->ws;
	if (sh->state == SH_IDLE && ws->to_confirm) {
		char lsn[32];
		cdc_lsn_format(lsn, sizeof(lsn), ws->to_confirm);
		snprintf(sql, sizeof(sql), "DOSQL_ADVANCE \"%s\" %s", ws->slot, lsn);
		sh->state = SH_ADVANCING;
	} else {
		snprintf(sql, sizeof(sql), "DOSQL_CHANGES %lld %d", (long long)cdc_stream_from(ws->stream, sh->index), CHANGES_PER_ROUND);
		sh->state = SH_READING;
	}
	if (!PQsendQuery(sh->pg, sql) || PQflush(sh->pg) < 0) {
		fprintf(stderr, "dosql: walsender: shard %s: %s", vsc_shard(ws->s->rt->vschema, sh->index)->name,
			PQerrorMessage(sh->pg));
		shard_down(sh);
		return false;
	}
	return true;
}

static void on_shard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	WsShard *sh = arg;
	RtWalSender *ws = sh->ws;
	if (!PQconsumeInput(sh->pg)) {
		shard_down(sh);
		round_end(ws);
		return;
	}
	PQflush(sh->pg);
	while (!PQisBusy(sh->pg)) {
		PGresult *r = PQgetResult(sh->pg);
		if (!r) {
			/* this command is done */
			if (sh->state == SH_ADVANCING) {
				if (send_next(sh))
					return;
			} else {
				sh->state = SH_IDLE;
			}
			round_end(ws);
			return;
		}
		ExecStatusType st = PQresultStatus(r);
		bool ok = st == PGRES_COMMAND_OK || (st == PGRES_TUPLES_OK && (sh->state != SH_READING || take_rows(sh, r)));
		if (!ok)
			fprintf(stderr, "dosql: walsender: shard %s: %s", vsc_shard(ws->s->rt->vschema, sh->index)->name,
				PQresultErrorMessage(r));
		PQclear(r);
		if (!ok) {
			shard_down(sh);
			round_end(ws);
			return;
		}
	}
}

static bool shard_open(WsShard *sh)
{
	RtWalSender *ws = sh->ws;
	sh->pg = shard_conn(ws->s->rt, sh->index);
	/* the connection holds the slot on the shard while it streams it */
	char sql[256];
	snprintf(sql, sizeof(sql), "DOSQL_ACQUIRE \"%s\" %d", ws->slot, conn(ws->s)->pid);
	PGresult *r = sh->pg ? PQexec(sh->pg, sql) : NULL;
	bool held = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!held && r)
		snprintf(ws->open_error, sizeof(ws->open_error), "%s", PQresultErrorMessage(r));
	PQclear(r);
	if (!held || PQsetnonblocking(sh->pg, 1) != 0) {
		PQfinish(sh->pg);
		sh->pg = NULL;
		sh->state = SH_DOWN;
		sh->retry_at = now_us() + RECONNECT_US;
		return false;
	}
	sh->ev = event_new(ws->s->rt->base, PQsocket(sh->pg), EV_READ | EV_PERSIST, on_shard, sh);
	event_add(sh->ev, NULL);
	sh->state = SH_IDLE;
	return true;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	RtWalSender *ws = arg;
	if (timed_out(ws))
		return; /* no more rounds: the connection closes */
	if (pgw_evconn_output_pending(ws->s->ec) > OUTPUT_HIGH) {
		schedule(ws, POLL_IDLE_US); /* the client is behind: wait for it */
		return;
	}
	int64_t now = now_us();
	ws->round = true;
	ws->to_confirm = 0;
	if (ws->flushed > ws->confirmed && now - ws->last_confirm_us >= CONFIRM_US) {
		/* the client's flush goes to the shards at most once a second */
		ws->to_confirm = ws->confirmed = ws->flushed;
		ws->last_confirm_us = now;
	}
	for (int i = 0; i < ws->nshards; i++) {
		WsShard *sh = &ws->sh[i];
		sh->got_rows = false;
		if (sh->state == SH_DOWN && now >= sh->retry_at)
			shard_open(sh);
		if (sh->state == SH_IDLE)
			send_next(sh);
	}
	round_end(ws);
}

static void sender_free(RtWalSender *ws)
{
	if (!ws)
		return;
	for (int i = 0; i < nactive; i++)
		if (strcmp(active[i].slot, ws->slot) == 0) {
			active[i] = active[--nactive];
			break;
		}
	for (int i = 0; i < ws->nshards; i++) {
		WsShard *sh = &ws->sh[i];
		if (sh->ev)
			event_free(sh->ev);
		if (sh->pg && ws->flushed > ws->confirmed) {
			/* what the client flushed is confirmed before we go */
			PQsetnonblocking(sh->pg, 0);
			PGresult *r;
			while ((r = PQgetResult(sh->pg)) != NULL)
				PQclear(r);
			char sql[256], lsn[32];
			cdc_lsn_format(lsn, sizeof(lsn), ws->flushed);
			snprintf(sql, sizeof(sql), "DOSQL_ADVANCE \"%s\" %s", ws->slot, lsn);
			PQclear(PQexec(sh->pg, sql));
		}
		PQfinish(sh->pg);
	}
	if (ws->timer)
		event_free(ws->timer);
	cdc_stream_free(ws->stream);
	cdc_pubs_free(ws->pubs);
	free(ws);
}

/* A slot's stream, if a session of this router runs it. */
static RtWalSender *streaming(const char *slot);

void rt_repl_show_slots(RtSession *s)
{
	int n = vsc_shard_count(s->rt->vschema);
	PGresult *r[RT_MAX_SHARDS];
	on_all(s->rt, "DOSQL_SLOTS", r);
	struct Row {
		char name[CDC_NAME_MAX * 2], plugin[CDC_NAME_MAX];
		uint64_t confirmed, end;
		long long pending;
	} rows[64];
	int nrows = 0, bad = -1;
	for (int i = 0; i < n; i++) {
		if (PQresultStatus(r[i]) != PGRES_TUPLES_OK || PQnfields(r[i]) != 6) {
			if (bad < 0)
				bad = i;
			continue;
		}
		for (int k = 0; k < PQntuples(r[i]); k++) {
			uint64_t confirmed = 0, end = 0;
			(void)cdc_lsn_parse(PQgetvalue(r[i], k, 2), &confirmed);
			(void)cdc_lsn_parse(PQgetvalue(r[i], k, 5), &end);
			int j = 0;
			while (j < nrows && strcmp(rows[j].name, PQgetvalue(r[i], k, 0)) != 0)
				j++;
			if (j == nrows) {
				if (nrows == (int)(sizeof(rows) / sizeof(rows[0])))
					continue;
				nrows++;
				snprintf(rows[j].name, sizeof(rows[j].name), "%s", PQgetvalue(r[i], k, 0));
				snprintf(rows[j].plugin, sizeof(rows[j].plugin), "%s", PQgetvalue(r[i], k, 1));
				rows[j].confirmed = confirmed;
				rows[j].end = end;
				rows[j].pending = 0;
			}
			if (confirmed < rows[j].confirmed)
				rows[j].confirmed = confirmed;
			if (end > rows[j].end)
				rows[j].end = end;
			rows[j].pending += strtoll(PQgetvalue(r[i], k, 4), NULL, 10);
		}
	}
	if (bad >= 0) {
		shard_error(s, bad, r[bad]);
		clear_all(r, n);
		return;
	}
	clear_all(r, n);
	static const char *const names[] = {"slot_name", "plugin",    "active",         "active_pid",
					    "confirmed_flush_lsn", "sent_lsn", "lag_bytes", "pending_changes"};
	static const uint32_t oids[] = {25, 25, 16, 23, 25, 25, 20, 20};
	pgw_send_text_columns(conn(s), 8, names, oids);
	for (int j = 0; j < nrows; j++) {
		const RtWalSender *ws = streaming(rows[j].name);
		char pid[16], confirmed[32], sent[32], lag[24], pending[24];
		snprintf(pid, sizeof(pid), "%d", ws ? conn(ws->s)->pid : 0);
		cdc_lsn_format(confirmed, sizeof(confirmed), rows[j].confirmed);
		if (ws)
			cdc_lsn_format(sent, sizeof(sent), cdc_stream_position(ws->stream));
		snprintf(lag, sizeof(lag), "%llu",
			 (unsigned long long)(rows[j].end > rows[j].confirmed ? rows[j].end - rows[j].confirmed : 0));
		snprintf(pending, sizeof(pending), "%lld", rows[j].pending);
		const char *vals[] = {rows[j].name, rows[j].plugin, ws ? "t" : "f", ws ? pid : NULL,
				      confirmed,    ws ? sent : NULL, lag,          pending};
		text_row(s, 8, vals);
	}
	pgw_send_command_complete(conn(s), "SHOW");
}

/* The publications, as the first shard has them (every shard has the same). */
static CdcPubs *load_publications(RtRouter *rt)
{
	PGconn *pg = shard_conn(rt, 0);
	PGresult *pubs = pg ? PQexec(pg, "SELECT pubname, puballtables, pubinsert, pubupdate, pubdelete, pubtruncate"
					 " FROM pg_publication") : NULL;
	PGresult *tables = pg ? PQexec(pg, "SELECT pubname, tablename FROM pg_publication_tables") : NULL;
	CdcPubs *p = NULL;
	if (PQresultStatus(pubs) == PGRES_TUPLES_OK && PQresultStatus(tables) == PGRES_TUPLES_OK)
		p = cdc_pubs_new();
	for (int i = 0; p && i < PQntuples(pubs); i++) {
		CdcPub pub = {.name = PQgetvalue(pubs, i, 0),
			      .all_tables = PQgetvalue(pubs, i, 1)[0] == 't',
			      .ins = PQgetvalue(pubs, i, 2)[0] == 't',
			      .upd = PQgetvalue(pubs, i, 3)[0] == 't',
			      .del = PQgetvalue(pubs, i, 4)[0] == 't',
			      .trunc = PQgetvalue(pubs, i, 5)[0] == 't'};
		cdc_pubs_add(p, &pub);
	}
	for (int i = 0; p && i < PQntuples(tables); i++)
		cdc_pubs_add_table(p, PQgetvalue(tables, i, 0), PQgetvalue(tables, i, 1));
	PQclear(pubs);
	PQclear(tables);
	PQfinish(pg);
	return p;
}

static void start(RtSession *s, const CdcCmd *cmd)
{
	char msg[256], state[6];
	if (cmd->physical) {
		error(s, "0A000", "physical replication is not supported by DoSQL");
		return;
	}
	int32_t pid;
	if (slot_active(cmd->slot, &pid)) {
		error(s, "55006", "replication slot \"%s\" is active for PID %d", cmd->slot, pid);
		return;
	}
	if (nactive == (int)(sizeof(active) / sizeof(active[0]))) {
		error(s, "53400", "all replication slots are in use");
		return;
	}
	int n = vsc_shard_count(s->rt->vschema);
	if (n > CDC_MAX_SHARDS) {
		error(s, "0A000", "replication over more than %d shards is not supported by DoSQL", CDC_MAX_SHARDS);
		return;
	}
	/* the slot: its plugin, and the lowest position any shard confirmed */
	PGresult *r[RT_MAX_SHARDS];
	on_all(s->rt, "DOSQL_SLOTS", r);
	char plugin[CDC_NAME_MAX] = "";
	uint64_t confirmed = UINT64_MAX;
	int bad = -1, missing = 0;
	for (int i = 0; i < n; i++) {
		if (PQresultStatus(r[i]) != PGRES_TUPLES_OK) {
			if (bad < 0)
				bad = i;
			continue;
		}
		int row = -1;
		for (int k = 0; k < PQntuples(r[i]); k++)
			if (strcmp(PQgetvalue(r[i], k, 0), cmd->slot) == 0)
				row = k;
		uint64_t l;
		if (row < 0 || !cdc_lsn_parse(PQgetvalue(r[i], row, 2), &l)) {
			missing++;
			continue;
		}
		snprintf(plugin, sizeof(plugin), "%s", PQgetvalue(r[i], row, 1));
		if (l < confirmed)
			confirmed = l;
	}
	if (bad >= 0)
		shard_error(s, bad, r[bad]);
	clear_all(r, n);
	if (bad >= 0)
		return;
	if (missing == n) {
		error(s, "42704", "replication slot \"%s\" does not exist", cmd->slot);
		return;
	}
	if (missing > 0) {
		error(s, "55000", "replication slot \"%s\" is missing on %d of the %d shards", cmd->slot, missing, n);
		return;
	}
	RtWalSender *ws = calloc(1, sizeof(*ws));
	if (!ws || !(ws->pubs = load_publications(s->rt))) {
		error(s, "08006", "cannot read the publications from shard %s", vsc_shard(s->rt->vschema, 0)->name);
		free(ws);
		return;
	}
	CdcPlugin *p = cdc_plugin_create(plugin, cmd, ws->pubs, state, msg, sizeof(msg));
	if (!p) {
		error(s, state, "%s", msg);
		sender_free(ws);
		return;
	}
	uint64_t from = cmd->lsn > confirmed ? cmd->lsn : confirmed;
	if (!(ws->stream = cdc_stream_create(n, from, p, &stream_ops, ws))) {
		error(s, "53200", "out of memory");
		sender_free(ws);
		return;
	}
	ws->s = s;
	snprintf(ws->slot, sizeof(ws->slot), "%s", cmd->slot);
	ws->nshards = n;
	ws->flushed = ws->confirmed = from;
	ws->last_reply_us = now_us();
	for (int i = 0; i < n; i++) {
		WsShard *sh = &ws->sh[i];
		sh->ws = ws;
		sh->index = i;
		if (!shard_open(sh)) {
			if (strstr(ws->open_error, "is active for PID"))
				error(s, "55006", "replication slot \"%s\" is active on shard %s", cmd->slot,
				      vsc_shard(s->rt->vschema, i)->name);
			else
				error(s, "08006", "shard %s is not available", vsc_shard(s->rt->vschema, i)->name);
			sender_free(ws);
			return;
		}
	}
	ws->timer = evtimer_new(s->rt->base, on_timer, ws);
	snprintf(active[nactive].slot, sizeof(active[nactive].slot), "%s", cmd->slot);
	active[nactive].ws = ws;
	active[nactive++].pid = conn(s)->pid;
	s->wal = ws;
	/* CopyBoth, and at once a keepalive with where the stream stands */
	pgw_send_copy_both_response(conn(s));
	pgw_conn_copy_in(conn(s));
	keepalive(ws, false);
	pgw_evconn_flush(s->ec);
	schedule(ws, 0);
}

void rt_repl_copy_data(RtSession *s, const uint8_t *data, size_t len)
{
	RtWalSender *ws = s->wal;
	if (!ws || len == 0)
		return;
	ws->last_reply_us = now_us();
	ws->ping_sent = false;
	if (data[0] == 'r' && len >= 34) {
		/* standby status update: write, flush, apply, time, reply */
		uint64_t flush = rd_be64(data + 9);
		if (flush > cdc_stream_position(ws->stream))
			flush = cdc_stream_position(ws->stream); /* never beyond what was sent */
		if (flush > ws->flushed)
			ws->flushed = flush;
		if (data[33])
			keepalive(ws, false);
		pgw_evconn_flush(s->ec);
	}
	/* 'h' (hot standby feedback) and anything else: nothing to do here */
}

void rt_repl_copy_done(RtSession *s)
{
	PgwConn *c = conn(s);
	rt_repl_free(s);
	pgw_send_copy_done(c);
	pgw_send_command_complete(c, "COPY 0");
	pgw_send_command_complete(c, "START_REPLICATION");
	pgw_send_ready(c, 'I');
	pgw_evconn_flush(s->ec);
}

void rt_repl_free(RtSession *s)
{
	drop_waits_cancel(s);
	sender_free(s->wal);
	s->wal = NULL;
}

bool rt_repl_streaming(const RtSession *s) { return s->wal != NULL; }

bool rt_repl_command(RtSession *s, const char *sql)
{
	CdcCmd *cmd = malloc(sizeof(*cmd));
	char msg[256];
	if (!cmd) {
		error(s, "53200", "out of memory");
		pgw_send_ready(conn(s), 'I');
		return true;
	}
	bool parsed = cdc_cmd_parse(sql, cmd, msg, sizeof(msg));
	if (parsed && (cmd->kind == CDC_CMD_SQL ||
		       (cmd->kind == CDC_CMD_SHOW && strcmp(cmd->show, "data_directory_mode") != 0))) {
		/* SQL, and SHOW of anything but the data directory's mode */
		free(cmd);
		return false;
	}
	if (!parsed) {
		error(s, "42601", "%s", msg);
	} else if (s->txn != RT_TXN_IDLE && cmd->kind != CDC_CMD_SHOW) {
		error(s, "25001", "replication commands cannot run inside a transaction block in DoSQL");
	} else {
		switch (cmd->kind) {
		case CDC_CMD_IDENTIFY_SYSTEM: identify_system(s); break;
		case CDC_CMD_SHOW: {
			static const char *const names[] = {"data_directory_mode"};
			static const uint32_t oids[] = {25};
			const char *vals[] = {"0700"};
			pgw_send_text_columns(conn(s), 1, names, oids);
			text_row(s, 1, vals);
			pgw_send_command_complete(conn(s), "SHOW");
			break;
		}
		case CDC_CMD_CREATE_SLOT: create_slot(s, cmd); break;
		case CDC_CMD_DROP_SLOT:
			if (!drop_slot(s, cmd)) {
				free(cmd);
				return true; /* waiting for the slot's stream to end */
			}
			break;
		case CDC_CMD_START:
			start(s, cmd);
			if (s->wal) {
				free(cmd);
				return true; /* streaming: ReadyForQuery comes after CopyDone */
			}
			break;
		case CDC_CMD_TIMELINE_HISTORY: error(s, "0A000", "TIMELINE_HISTORY is not supported by DoSQL"); break;
		case CDC_CMD_READ_SLOT: error(s, "0A000", "READ_REPLICATION_SLOT is not supported by DoSQL"); break;
		case CDC_CMD_BASE_BACKUP: error(s, "0A000", "BASE_BACKUP is not supported by DoSQL"); break;
		default: error(s, "0A000", "this replication command is not supported by the DoSQL router"); break;
		}
	}
	free(cmd);
	pgw_send_ready(conn(s), rt_txn_status(s));
	pgw_evconn_flush(s->ec);
	return true;
}
