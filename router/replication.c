/*
 * replication.c - replication connections to the router (replication.h):
 * the router's side of cdc/, which merges the streams and formats them.
 *
 * Nothing here waits on a shard: slot commands go to every shard over short
 * connections driven on the loop (a fan-out), while the session that sent
 * the command reads no further until it is answered.  A stream keeps one
 * replication connection per shard on the loop and polls them in rounds:
 * every shard answers DOSQL_CHANGES with the transactions it committed
 * since its last answer and a watermark; when all have answered, the
 * transactions below the lowest watermark go out in LSN order
 * (cdc/stream.h).  When a stream ends, what its client flushed is confirmed
 * on each shard over the stream's connection, waiting for the shards
 * (farewell()).
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdc/publication.h"
#include "common/log.h"
#include "cdc/stream.h"
#include "router/ops.h"
#include "router/pgasync.h"
#include "router/replication.h"

#define SYSTEM_ID "7300000000000000001"
#define POLL_IDLE_US 20000       /* between rounds that found nothing */
#define KEEPALIVE_US 10000000    /* a keepalive at least this often */
#define TIMEOUT_US 60000000      /* a client silent this long is dropped (wal_sender_timeout) */
#define CONFIRM_US 1000000       /* confirm the client's flush on the shards this often */
#define RECONNECT_US 1000000     /* retry a shard that went away */
#define CONNECT_US 2000000       /* a shard connection comes up within this */
#define WAIT_US 10000            /* DROP ... WAIT looks at the slot again after this */
#define CHANGES_PER_ROUND 10000  /* rows asked of a shard per round */
#define OUTPUT_HIGH (4u << 20)   /* stop reading shards while the client has this much unsent */

typedef enum ShardState {
	SH_DOWN,       /* no connection; retried after RECONNECT_US */
	SH_OPENING,    /* connecting, then DOSQL_ACQUIRE on the wire */
	SH_IDLE,       /* waiting for the next round */
	SH_ADVANCING,  /* DOSQL_ADVANCE on the wire */
	SH_READING,    /* DOSQL_CHANGES on the wire */
} ShardState;

typedef struct WsShard {
	struct RtWalSender *ws; /* borrowed */
	int index;
	RtPgAsync *conn;      /* owned */
	ShardState state;
	bool acquired;        /* DOSQL_ACQUIRE answered OK */
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
	bool started;       /* streaming; before, its shards' slots are being taken */
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

/* Slots taken by a session of this router (streaming, or starting to), for 55006. */
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

static RtPgAsync *shard_connect(RtRouter *rt, int i, const RtPgAsyncOps *ops, void *arg)
{
	RtPgAsyncParams p = {.user = rt->shard_user,
			     .database = rt->shard_database,
			     .application_name = "dosql walsender",
			     .replication = true,
			     .timeout_us = CONNECT_US};
	return rt_pgasync_connect(rt->base, vsc_shard(rt->vschema, i), &p, ops, arg);
}

/* A copy of a parsed command (its options point into its own text); NULL
 * out of memory, after an error to the client. */
static CdcCmd *cmd_copy(RtSession *s, const CdcCmd *cmd)
{
	CdcCmd *own = malloc(sizeof(*own));
	if (!own) {
		error(s, "53200", "out of memory");
		return NULL;
	}
	*own = *cmd;
	for (int i = 0; i < own->nopts; i++)
		if (cmd->opts[i].value)
			own->opts[i].value = own->text + (cmd->opts[i].value - cmd->text);
	return own;
}

/* A replication command is answered: ReadyForQuery, and the session reads on. */
static void command_end(RtSession *s)
{
	pgw_send_ready(conn(s), rt_txn_status(s));
	(void)pgw_evconn_flush(s->ec);
	pgw_evconn_resume_reading(s->ec);
}

/* ------------------------------------------------------------ fan-out */

/* A command run on shards over short connections; done gets the answers
 * (r[i] NULL where shard i did not answer or was not asked) and then the
 * fan-out is freed. */
typedef struct Fanout Fanout;
typedef void (*FanoutDone)(Fanout *f);

typedef struct FanoutShard {
	Fanout *f;
	int index;
	RtPgAsync *conn; /* owned */
} FanoutShard;

struct Fanout {
	Fanout *next; /* in the list of those running */
	RtSession *s; /* borrowed: the session it answers */
	FanoutDone done;
	CdcCmd *cmd;  /* owned: the command it serves */
	int n, pending;
	char sql[512];
	PGresult *r[RT_MAX_SHARDS];    /* owned: each shard's last result */
	PGresult *prev[RT_MAX_SHARDS]; /* owned: the one before it */
	FanoutShard sh[RT_MAX_SHARDS];
	uint64_t lsn; /* a step's finding, for the next step */
};
static Fanout *fanouts;

static void fanout_free(Fanout *f)
{
	for (Fanout **p = &fanouts; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	for (int i = 0; i < f->n; i++) {
		rt_pgasync_free(f->sh[i].conn);
		PQclear(f->r[i]);
		PQclear(f->prev[i]);
	}
	free(f->cmd);
	free(f);
}

static void fanout_shard_done(FanoutShard *fs)
{
	Fanout *f = fs->f;
	rt_pgasync_free(fs->conn);
	fs->conn = NULL;
	if (--f->pending > 0)
		return;
	f->done(f);
	fanout_free(f);
}

static void fanout_ready(void *arg, RtPgAsync *a)
{
	FanoutShard *fs = arg;
	if (!rt_pgasync_send(a, fs->f->sql))
		return; /* failed follows */
}

static void fanout_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	FanoutShard *fs = arg;
	Fanout *f = fs->f;
	if (!r) {
		fanout_shard_done(fs);
		return;
	}
	PQclear(f->prev[fs->index]);
	f->prev[fs->index] = f->r[fs->index];
	f->r[fs->index] = r;
}

static void fanout_failed(void *arg, RtPgAsync *a, const char *why)
{
	(void)a;
	(void)why;
	FanoutShard *fs = arg;
	PQclear(fs->f->r[fs->index]);
	fs->f->r[fs->index] = NULL;
	fanout_shard_done(fs);
}

static const RtPgAsyncOps fanout_ops = {.ready = fanout_ready, .result = fanout_result, .failed = fanout_failed};

/* Run sql on the shards (only: a mask by shard, NULL every one), then
 * done; takes cmd.  False out of memory (an error was sent, cmd freed). */
static bool fanout(RtSession *s, CdcCmd *cmd, const char *sql, const bool *only, FanoutDone done)
{
	Fanout *f = calloc(1, sizeof(*f));
	if (!f) {
		free(cmd);
		error(s, "53200", "out of memory");
		return false;
	}
	f->s = s;
	f->done = done;
	f->cmd = cmd;
	f->n = vsc_shard_count(s->rt->vschema);
	snprintf(f->sql, sizeof(f->sql), "%s", sql);
	f->next = fanouts;
	fanouts = f;
	pgw_evconn_pause_reading(s->ec);
	f->pending = 1; /* until every shard is asked */
	for (int i = 0; i < f->n; i++) {
		f->sh[i].f = f;
		f->sh[i].index = i;
		if (only && !only[i])
			continue;
		if (!(f->sh[i].conn = shard_connect(s->rt, i, &fanout_ops, &f->sh[i]))) {
			fanout_free(f);
			error(s, "53200", "out of memory");
			pgw_evconn_resume_reading(s->ec);
			return false;
		}
		f->pending++;
	}
	if (--f->pending == 0) {
		/* no shard to ask */
		f->done(f);
		fanout_free(f);
	}
	return true;
}

/* Forget the fan-outs of a session that ends. */
static void fanouts_cancel(RtSession *s)
{
	for (Fanout *f = fanouts, *next; f; f = next) {
		next = f->next;
		if (f->s == s)
			fanout_free(f);
	}
}

/* ------------------------------------------------------------ commands */

static void identify_done(Fanout *f)
{
	RtSession *s = f->s;
	uint64_t pos = 0;
	int bad = -1;
	for (int i = 0; i < f->n; i++) {
		uint64_t l;
		if (PQresultStatus(f->r[i]) == PGRES_TUPLES_OK && PQntuples(f->r[i]) == 1 &&
		    cdc_lsn_parse(PQgetvalue(f->r[i], 0, 2), &l)) {
			if (l > pos)
				pos = l;
		} else if (bad < 0) {
			bad = i;
		}
	}
	if (bad >= 0) {
		shard_error(s, bad, f->r[bad]);
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
	command_end(s);
}

static RtWalSender *streaming(const char *slot)
{
	for (int i = 0; i < nactive; i++)
		if (strcmp(active[i].slot, slot) == 0)
			return active[i].ws && active[i].ws->started ? active[i].ws : NULL;
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

static void active_remove(const char *slot)
{
	for (int i = 0; i < nactive; i++)
		if (strcmp(active[i].slot, slot) == 0) {
			active[i] = active[--nactive];
			return;
		}
}

static void create_undone(Fanout *f) { command_end(f->s); }

static void create_advanced(Fanout *f)
{
	RtSession *s = f->s;
	int bad = -1;
	for (int i = 0; i < f->n && bad < 0; i++)
		if (PQresultStatus(f->r[i]) != PGRES_COMMAND_OK)
			bad = i;
	if (bad >= 0) {
		shard_error(s, bad, f->r[bad]);
	} else {
		char lsn[32];
		cdc_lsn_format(lsn, sizeof(lsn), f->lsn);
		static const char *const names[] = {"slot_name", "consistent_point", "snapshot_name", "output_plugin"};
		static const uint32_t oids[] = {25, 25, 25, 25};
		const char *vals[] = {f->cmd->slot, lsn, NULL, f->cmd->plugin};
		pgw_send_text_columns(conn(s), 4, names, oids);
		text_row(s, 4, vals);
		pgw_send_command_complete(conn(s), "CREATE_REPLICATION_SLOT");
	}
	command_end(s);
}

static void create_made(Fanout *f)
{
	RtSession *s = f->s;
	uint64_t at = 0;
	int bad = -1;
	bool made[RT_MAX_SHARDS];
	for (int i = 0; i < f->n; i++) {
		uint64_t l;
		made[i] = PQresultStatus(f->r[i]) == PGRES_TUPLES_OK;
		if (made[i] && PQntuples(f->r[i]) == 1 && cdc_lsn_parse(PQgetvalue(f->r[i], 0, 1), &l)) {
			if (l > at)
				at = l;
		} else if (bad < 0 || strcmp(sqlstate_of(f->r[i]), "42710") == 0) {
			bad = i;
		}
	}
	CdcCmd *cmd = f->cmd;
	f->cmd = NULL;
	char sql[256];
	if (bad >= 0) {
		/* undo it where it was made */
		shard_error(s, bad, f->r[bad]);
		snprintf(sql, sizeof(sql), "DROP_REPLICATION_SLOT \"%s\"", cmd->slot);
		if (!fanout(s, cmd, sql, made, create_undone))
			command_end(s);
		return;
	}
	/* one consistent point for all: later commits on every shard are above it */
	char lsn[32];
	cdc_lsn_format(lsn, sizeof(lsn), at);
	snprintf(sql, sizeof(sql), "DOSQL_ADVANCE \"%s\" %s", cmd->slot, lsn);
	if (!fanout(s, cmd, sql, NULL, create_advanced))
		command_end(s);
	else
		fanouts->lsn = at;
}

/* Returns false when the command goes on (its answer comes later). */
static bool create_slot(RtSession *s, CdcCmd *cmd)
{
	char msg[200];
	if (cmd->physical) {
		error(s, "0A000", "physical replication slots are not supported by DoSQL");
		return true;
	}
	if (cmd->temporary) {
		error(s, "0A000", "temporary replication slots are not supported by DoSQL");
		return true;
	}
	if (cmd->snapshot == CDC_SNAPSHOT_USE) {
		error(s, "0A000", "CREATE_REPLICATION_SLOT ... (SNAPSHOT 'use') is not supported by DoSQL");
		return true;
	}
	if (!cdc_slot_name_valid(cmd->slot, msg, sizeof(msg))) {
		error(s, "42602", "%s", msg);
		return true;
	}
	if (!cdc_plugin_known(cmd->plugin)) {
		error(s, "58P01", "could not access file \"%s\": No such file or directory", cmd->plugin);
		return true;
	}
	char sql[256];
	snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT \"%s\" LOGICAL \"%s\"%s", cmd->slot, cmd->plugin,
		 cmd->two_phase ? " TWO_PHASE" : "");
	CdcCmd *own = cmd_copy(s, cmd);
	if (!own)
		return true;
	return !fanout(s, own, sql, NULL, create_made);
}

static void drop_done(Fanout *f)
{
	RtSession *s = f->s;
	int dropped = 0, bad = -1;
	for (int i = 0; i < f->n; i++) {
		if (PQresultStatus(f->r[i]) == PGRES_COMMAND_OK)
			dropped++;
		else if (strcmp(sqlstate_of(f->r[i]), "42704") != 0 && bad < 0)
			bad = i;
	}
	if (bad >= 0)
		shard_error(s, bad, f->r[bad]);
	else if (dropped == 0)
		error(s, "42704", "replication slot \"%s\" does not exist", f->cmd->slot);
	else
		pgw_send_command_complete(conn(s), "DROP_REPLICATION_SLOT");
	command_end(s);
}

/* Drop the slot on every shard; false when the answer comes later. */
static bool drop_now(RtSession *s, const CdcCmd *cmd)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP_REPLICATION_SLOT \"%s\"", cmd->slot);
	CdcCmd *own = cmd_copy(s, cmd);
	if (!own)
		return true;
	return !fanout(s, own, sql, NULL, drop_done);
}

/* DROP_REPLICATION_SLOT ... WAIT for a slot that is streaming: the
 * session waits (not reading) until the stream has ended. */
static struct Wait {
	RtSession *s; /* borrowed; NULL: free entry */
	CdcCmd *cmd;  /* owned */
	struct event *timer;
} waits[16];

static bool run(RtSession *s, CdcCmd *cmd);

static bool wait_for_slot(RtSession *s, const CdcCmd *cmd);

static void on_wait(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct Wait *w = arg;
	int32_t pid;
	if (slot_active(w->cmd->slot, &pid)) {
		struct timeval tv = {0, WAIT_US};
		evtimer_add(w->timer, &tv);
		return;
	}
	RtSession *s = w->s;
	CdcCmd *cmd = w->cmd;
	event_free(w->timer);
	w->s = NULL;
	w->cmd = NULL;
	if (run(s, cmd))
		command_end(s);
}

/* Park the command until its slot is free; false when it cannot wait
 * (an error was sent). */
static bool wait_for_slot(RtSession *s, const CdcCmd *cmd)
{
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++)
		if (!waits[i].s) {
			CdcCmd *own = cmd_copy(s, cmd);
			struct event *timer = own ? evtimer_new(s->rt->base, on_wait, &waits[i]) : NULL;
			if (!timer) {
				if (own)
					error(s, "53200", "out of memory");
				free(own);
				return false;
			}
			waits[i] = (struct Wait){.s = s, .cmd = own, .timer = timer};
			struct timeval tv = {0, WAIT_US};
			evtimer_add(timer, &tv);
			pgw_evconn_pause_reading(s->ec);
			return true;
		}
	error(s, "53400", "too many replication commands are waiting for their slots");
	return false;
}

/* Forget the waits of a session that ends. */
static void waits_cancel(RtSession *s)
{
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++)
		if (waits[i].s == s) {
			event_free(waits[i].timer);
			free(waits[i].cmd);
			waits[i] = (struct Wait){0};
		}
}

/* Returns false when the command waits (ReadyForQuery comes later). */
static bool drop_slot(RtSession *s, const CdcCmd *cmd)
{
	int32_t pid;
	bool busy = slot_active(cmd->slot, &pid);
	if (busy && !cmd->wait) {
		error(s, "55006", "replication slot \"%s\" is active for PID %d", cmd->slot, pid);
		return true;
	}
	if (busy)
		return !wait_for_slot(s, cmd);
	return drop_now(s, cmd);
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
	rt_pgasync_free(sh->conn);
	sh->conn = NULL;
	sh->state = SH_DOWN;
	sh->acquired = false;
	sh->retry_at = now_us() + RECONNECT_US;
	if (sh->ws->stream)
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

static void log_shard(const WsShard *sh, const char *what)
{
	LogTag tag;
	rt_log_tag(&tag, sh->ws->s->rt, sh->ws->s, sh->index);
	log_warning(&tag, "walsender: %s", what);
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
		snprintf(sql, sizeof(sql), "DOSQL_CHANGES %lld %d", (long long)cdc_stream_from(ws->stream, sh->index),
			 CHANGES_PER_ROUND);
		sh->state = SH_READING;
	}
	if (!rt_pgasync_send(sh->conn, sql)) {
		log_shard(sh, PQerrorMessage(rt_pgasync_conn(sh->conn)));
		shard_down(sh);
		return false;
	}
	return true;
}

static void start_answer(RtWalSender *ws);

/* DOSQL_ACQUIRE is answered: the slot is held there, or not. */
static void shard_opened(WsShard *sh)
{
	RtWalSender *ws = sh->ws;
	if (sh->acquired)
		sh->state = SH_IDLE;
	else
		shard_down(sh);
	if (!ws->started)
		start_answer(ws); /* START_REPLICATION waits for every shard */
}

static void shard_ready(void *arg, RtPgAsync *a)
{
	WsShard *sh = arg;
	RtWalSender *ws = sh->ws;
	/* the connection holds the slot on the shard while it streams it */
	char sql[256];
	snprintf(sql, sizeof(sql), "DOSQL_ACQUIRE \"%s\" %d", ws->slot, conn(ws->s)->pid);
	if (!rt_pgasync_send(a, sql))
		return; /* failed follows */
}

static void shard_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	WsShard *sh = arg;
	RtWalSender *ws = sh->ws;
	if (!r) {
		/* this command is done */
		if (sh->state == SH_OPENING) {
			shard_opened(sh);
			return;
		}
		if (sh->state == SH_ADVANCING) {
			if (send_next(sh))
				return;
		} else if (sh->state == SH_READING) {
			sh->state = SH_IDLE;
		}
		round_end(ws);
		return;
	}
	ExecStatusType st = PQresultStatus(r);
	if (sh->state == SH_OPENING) {
		sh->acquired = st == PGRES_COMMAND_OK;
		if (!sh->acquired)
			snprintf(ws->open_error, sizeof(ws->open_error), "%s", PQresultErrorMessage(r));
		PQclear(r);
		return;
	}
	bool ok = st == PGRES_COMMAND_OK || (st == PGRES_TUPLES_OK && (sh->state != SH_READING || take_rows(sh, r)));
	if (!ok)
		log_shard(sh, PQresultErrorMessage(r));
	PQclear(r);
	if (!ok) {
		shard_down(sh);
		round_end(ws);
	}
}

static void shard_failed(void *arg, RtPgAsync *a, const char *why)
{
	(void)a;
	WsShard *sh = arg;
	RtWalSender *ws = sh->ws;
	bool opening = sh->state == SH_OPENING;
	log_shard(sh, why);
	shard_down(sh);
	if (opening && !ws->started)
		start_answer(ws);
	else if (!opening)
		round_end(ws);
}

static const RtPgAsyncOps shard_ops = {.ready = shard_ready, .result = shard_result, .failed = shard_failed};

/* Connect to the shard and take the slot there; false out of memory. */
static bool shard_open(WsShard *sh)
{
	sh->acquired = false;
	sh->conn = shard_connect(sh->ws->s->rt, sh->index, &shard_ops, sh);
	if (!sh->conn) {
		sh->state = SH_DOWN;
		sh->retry_at = now_us() + RECONNECT_US;
		return false;
	}
	sh->state = SH_OPENING;
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
			(void)shard_open(sh); /* it joins a later round */
		if (sh->state == SH_IDLE)
			send_next(sh);
	}
	round_end(ws);
}

/* The stream ends on sh: what the client flushed is confirmed on the
 * shard, on the connection that holds the slot there, before it closes.
 * This waits for the shard (the command on the wire, then DOSQL_ADVANCE),
 * so that a client's next command, on any connection, finds the slot
 * confirmed and its shard's writer free, as it did when the stream ended. */
static void farewell(RtWalSender *ws, WsShard *sh)
{
	PGconn *pg = sh->conn ? rt_pgasync_conn(sh->conn) : NULL;
	if (pg && ws->flushed > ws->confirmed && sh->state != SH_OPENING && sh->state != SH_DOWN &&
	    PQsetnonblocking(pg, 0) == 0) {
		PGresult *r;
		while ((r = PQgetResult(pg)) != NULL)
			PQclear(r);
		char sql[256], lsn[32];
		cdc_lsn_format(lsn, sizeof(lsn), ws->flushed);
		snprintf(sql, sizeof(sql), "DOSQL_ADVANCE \"%s\" %s", ws->slot, lsn);
		PQclear(PQexec(pg, sql));
	}
	rt_pgasync_free(sh->conn);
	sh->conn = NULL;
}

static void sender_free(RtWalSender *ws)
{
	if (!ws)
		return;
	active_remove(ws->slot);
	for (int i = 0; i < ws->nshards; i++)
		farewell(ws, &ws->sh[i]);
	if (ws->timer)
		event_free(ws->timer);
	cdc_stream_free(ws->stream);
	cdc_pubs_free(ws->pubs);
	free(ws);
}

static void show_slots_done(Fanout *f)
{
	RtSession *s = f->s;
	struct Row {
		char name[CDC_NAME_MAX * 2], plugin[CDC_NAME_MAX];
		uint64_t confirmed, end;
		long long pending;
	} rows[64];
	int nrows = 0, bad = -1;
	for (int i = 0; i < f->n; i++) {
		PGresult *r = f->r[i];
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != 6) {
			if (bad < 0)
				bad = i;
			continue;
		}
		for (int k = 0; k < PQntuples(r); k++) {
			uint64_t confirmed = 0, end = 0;
			(void)cdc_lsn_parse(PQgetvalue(r, k, 2), &confirmed);
			(void)cdc_lsn_parse(PQgetvalue(r, k, 5), &end);
			int j = 0;
			while (j < nrows && strcmp(rows[j].name, PQgetvalue(r, k, 0)) != 0)
				j++;
			if (j == nrows) {
				if (nrows == (int)(sizeof(rows) / sizeof(rows[0])))
					continue;
				nrows++;
				snprintf(rows[j].name, sizeof(rows[j].name), "%s", PQgetvalue(r, k, 0));
				snprintf(rows[j].plugin, sizeof(rows[j].plugin), "%s", PQgetvalue(r, k, 1));
				rows[j].confirmed = confirmed;
				rows[j].end = end;
				rows[j].pending = 0;
			}
			if (confirmed < rows[j].confirmed)
				rows[j].confirmed = confirmed;
			if (end > rows[j].end)
				rows[j].end = end;
			rows[j].pending += strtoll(PQgetvalue(r, k, 4), NULL, 10);
		}
	}
	if (bad >= 0) {
		PgwError e;
		if (f->r[bad])
			rt_pg_error(f->r[bad], &e);
		else
			pgw_error_set(&e, "08006", "shard %s is not available", vsc_shard(s->rt->vschema, bad)->name);
		rt_send_error(s, &e);
		rt_session_local_done(s);
		return;
	}
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
	rt_session_local_done(s);
}

bool rt_repl_show_slots(RtSession *s)
{
	if (!fanout(s, NULL, "DOSQL_SLOTS", NULL, show_slots_done)) {
		s->stmt_error = true;
		return true;
	}
	return false;
}

/* The publications, as the first shard has them (every shard has the same). */
static CdcPubs *publications(PGresult *pubs, PGresult *tables)
{
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
	return p;
}

/* START_REPLICATION failed after its slot was taken here. */
static void start_failed(RtSession *s, const char *slot)
{
	active_remove(slot);
	command_end(s);
}

/* Every shard answered DOSQL_ACQUIRE (or failed): stream, or say why not. */
static void start_answer(RtWalSender *ws)
{
	RtSession *s = ws->s;
	for (int i = 0; i < ws->nshards; i++)
		if (ws->sh[i].state == SH_OPENING)
			return;
	for (int i = 0; i < ws->nshards; i++)
		if (ws->sh[i].state != SH_IDLE) {
			if (strstr(ws->open_error, "is active for PID"))
				error(s, "55006", "replication slot \"%s\" is active on shard %s", ws->slot,
				      vsc_shard(s->rt->vschema, i)->name);
			else
				error(s, "08006", "shard %s is not available", vsc_shard(s->rt->vschema, i)->name);
			s->wal = NULL;
			sender_free(ws);
			command_end(s);
			return;
		}
	ws->started = true;
	/* CopyBoth, and at once a keepalive with where the stream stands;
	 * ReadyForQuery comes after CopyDone */
	pgw_send_copy_both_response(conn(s));
	pgw_conn_copy_in(conn(s));
	keepalive(ws, false);
	(void)pgw_evconn_flush(s->ec);
	pgw_evconn_resume_reading(s->ec);
	schedule(ws, 0);
}

/* The publications are read: the plugin, the stream, the shards' slots. */
static void start_published(Fanout *f)
{
	RtSession *s = f->s;
	const CdcCmd *cmd = f->cmd;
	char msg[256], state[6];
	int n = f->n;
	RtWalSender *ws = calloc(1, sizeof(*ws));
	if (!ws || !(ws->pubs = publications(f->prev[0], f->r[0]))) {
		error(s, "08006", "cannot read the publications from shard %s", vsc_shard(s->rt->vschema, 0)->name);
		free(ws);
		start_failed(s, cmd->slot);
		return;
	}
	snprintf(ws->slot, sizeof(ws->slot), "%s", cmd->slot);
	CdcPlugin *p = cdc_plugin_create(cmd->plugin, cmd, ws->pubs, state, msg, sizeof(msg));
	if (!p) {
		error(s, state, "%s", msg);
		sender_free(ws);
		command_end(s);
		return;
	}
	ws->s = s;
	ws->nshards = n;
	ws->flushed = ws->confirmed = f->lsn;
	ws->last_reply_us = now_us();
	ws->timer = evtimer_new(s->rt->base, on_timer, ws);
	if (!ws->timer || !(ws->stream = cdc_stream_create(n, f->lsn, p, &stream_ops, ws))) {
		error(s, "53200", "out of memory");
		sender_free(ws);
		command_end(s);
		return;
	}
	for (int i = 0; i < nactive; i++)
		if (strcmp(active[i].slot, ws->slot) == 0)
			active[i].ws = ws;
	s->wal = ws;
	for (int i = 0; i < n; i++) {
		ws->sh[i].ws = ws;
		ws->sh[i].index = i;
		if (!shard_open(&ws->sh[i])) {
			error(s, "53200", "out of memory");
			s->wal = NULL;
			sender_free(ws);
			command_end(s);
			return;
		}
	}
	/* start_answer goes on when every shard answered */
}

/* The slot on every shard: its plugin, and the lowest position any shard
 * confirmed; then the publications. */
static void start_slots(Fanout *f)
{
	RtSession *s = f->s;
	CdcCmd *cmd = f->cmd;
	uint64_t confirmed = UINT64_MAX;
	int bad = -1, missing = 0;
	for (int i = 0; i < f->n; i++) {
		if (PQresultStatus(f->r[i]) != PGRES_TUPLES_OK) {
			if (bad < 0)
				bad = i;
			continue;
		}
		int row = -1;
		for (int k = 0; k < PQntuples(f->r[i]); k++)
			if (strcmp(PQgetvalue(f->r[i], k, 0), cmd->slot) == 0)
				row = k;
		uint64_t l;
		if (row < 0 || !cdc_lsn_parse(PQgetvalue(f->r[i], row, 2), &l)) {
			missing++;
			continue;
		}
		snprintf(cmd->plugin, sizeof(cmd->plugin), "%s", PQgetvalue(f->r[i], row, 1));
		if (l < confirmed)
			confirmed = l;
	}
	if (bad >= 0)
		shard_error(s, bad, f->r[bad]);
	else if (missing == f->n)
		error(s, "42704", "replication slot \"%s\" does not exist", cmd->slot);
	else if (missing > 0)
		error(s, "55000", "replication slot \"%s\" is missing on %d of the %d shards", cmd->slot, missing, f->n);
	if (bad >= 0 || missing > 0) {
		start_failed(s, cmd->slot);
		return;
	}
	f->cmd = NULL;
	bool first[RT_MAX_SHARDS] = {true};
	if (!fanout(s, cmd,
		    "SELECT pubname, puballtables, pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication;"
		    " SELECT pubname, tablename FROM pg_publication_tables",
		    first, start_published)) {
		start_failed(s, cmd->slot);
		return;
	}
	fanouts->lsn = cmd->lsn > confirmed ? cmd->lsn : confirmed;
}

/* Returns false when the command goes on (its answer comes later). */
static bool start(RtSession *s, const CdcCmd *cmd)
{
	if (cmd->physical) {
		error(s, "0A000", "physical replication is not supported by DoSQL");
		return true;
	}
	int32_t pid;
	if (slot_active(cmd->slot, &pid)) {
		error(s, "55006", "replication slot \"%s\" is active for PID %d", cmd->slot, pid);
		return true;
	}
	if (nactive == (int)(sizeof(active) / sizeof(active[0]))) {
		error(s, "53400", "all replication slots are in use");
		return true;
	}
	int n = vsc_shard_count(s->rt->vschema);
	if (n > CDC_MAX_SHARDS) {
		error(s, "0A000", "replication over more than %d shards is not supported by DoSQL", CDC_MAX_SHARDS);
		return true;
	}
	CdcCmd *own = cmd_copy(s, cmd);
	if (!own)
		return true;
	/* the slot is this session's from here on */
	snprintf(active[nactive].slot, sizeof(active[nactive].slot), "%s", cmd->slot);
	active[nactive].ws = NULL;
	active[nactive++].pid = conn(s)->pid;
	if (!fanout(s, own, "DOSQL_SLOTS", NULL, start_slots)) {
		active_remove(cmd->slot);
		return true;
	}
	return false;
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
	waits_cancel(s);
	fanouts_cancel(s);
	RtWalSender *ws = s->wal;
	s->wal = NULL;
	if (ws)
		sender_free(ws);
	else
		for (int i = 0; i < nactive; i++)
			if (active[i].pid == conn(s)->pid && !active[i].ws)
				active[i--] = active[--nactive]; /* a START that was under way */
}

bool rt_repl_streaming(const RtSession *s) { return s->wal != NULL && s->wal->started; }

/* Run a parsed replication command (cmd is the caller's); false when its
 * answer comes later. */
static bool run(RtSession *s, CdcCmd *cmd)
{
	bool now = true;
	switch (cmd->kind) {
	case CDC_CMD_IDENTIFY_SYSTEM: {
		CdcCmd *own = cmd_copy(s, cmd);
		now = !own || !fanout(s, own, "IDENTIFY_SYSTEM", NULL, identify_done);
		break;
	}
	case CDC_CMD_SHOW: {
		static const char *const names[] = {"data_directory_mode"};
		static const uint32_t oids[] = {25};
		const char *vals[] = {"0700"};
		pgw_send_text_columns(conn(s), 1, names, oids);
		text_row(s, 1, vals);
		pgw_send_command_complete(conn(s), "SHOW");
		break;
	}
	case CDC_CMD_CREATE_SLOT: now = create_slot(s, cmd); break;
	case CDC_CMD_DROP_SLOT: now = drop_slot(s, cmd); break;
	case CDC_CMD_START: now = start(s, cmd); break;
	case CDC_CMD_TIMELINE_HISTORY: error(s, "0A000", "TIMELINE_HISTORY is not supported by DoSQL"); break;
	case CDC_CMD_READ_SLOT: error(s, "0A000", "READ_REPLICATION_SLOT is not supported by DoSQL"); break;
	case CDC_CMD_BASE_BACKUP: error(s, "0A000", "BASE_BACKUP is not supported by DoSQL"); break;
	default: error(s, "0A000", "this replication command is not supported by the DoSQL router"); break;
	}
	free(cmd);
	return now;
}

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
	bool now = true;
	if (!parsed) {
		error(s, "42601", "%s", msg);
		free(cmd);
	} else if (s->txn != RT_TXN_IDLE && cmd->kind != CDC_CMD_SHOW) {
		error(s, "25001", "replication commands cannot run inside a transaction block in DoSQL");
		free(cmd);
	} else {
		now = run(s, cmd);
	}
	if (now) {
		pgw_send_ready(conn(s), rt_txn_status(s));
		(void)pgw_evconn_flush(s->ec);
	}
	return true;
}
