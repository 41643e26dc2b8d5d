/*
 * cdc.c - a shard's side of change data capture: the replication commands
 * of connections started with replication=database (parsed by
 * cdc/replcmd.c).  The router is their client; it merges every shard's
 * changes into one stream (cdc/walsender.c).  Commands a shard does not
 * serve (START_REPLICATION, BASE_BACKUP, ...) are refused with 0A000: a
 * client streams through the router.
 *
 * A shard's slot is a row of _dosql_slots: name, plugin and the position
 * its consumer confirmed, a cluster LSN (the router's: commit time << 8 |
 * shard index << 1).  The changelog is trimmed below the lowest confirmed
 * position of all slots, and never within the retention window.
 *
 *   IDENTIFY_SYSTEM      -> systemid, timeline, xlogpos (the shard's watermark), dbname
 *   CREATE_REPLICATION_SLOT name LOGICAL plugin   -> slot_name, consistent_point, ...
 *   DROP_REPLICATION_SLOT name
 *   DOSQL_SLOTS          -> name, plugin, confirmed, two_phase, changes not yet
 *                           confirmed, and the end of the changelog
 *   DOSQL_ADVANCE name X/X    confirm up to X/X: trims, and later commits here take
 *                             commit times above X/X's
 *   DOSQL_ACQUIRE name pid    this connection streams the slot for the router's
 *                             session pid (55006 while another one does); shown
 *                             as active in pg_replication_slots until it ends
 *   DOSQL_CHANGES from limit  the changes committed at times from .. watermark, cut
 *                             after the transaction that makes `limit` rows; then a
 *                             row with op 'W' whose commit_ts is where the next read
 *                             starts: no commit later than this one will be below it
 *
 * A change row: commit_ts, gid, tbl, op ('I', 'U', 'D', 'T'), and as JSON
 * the table ({"replident": "d" | "f" | "n", "columns": [[name, type oid,
 * typmod, primary key], ...]}, ALTER TABLE ... REPLICA IDENTITY) and the old and
 * new rows' values in PostgreSQL's text output ([text or null, ...]; null
 * for a row the operation does not have).  A TRUNCATE has no rows; its
 * "old" is the list of its options ("restart_seqs", "cascade").
 *
 * Also shd_exec_params, which runs one statement on the session's SQLite
 * connection with text and integer parameters (the slot and changelog
 * bookkeeping here and in changelog.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdc/replcmd.h"
#include "common/pgtime.h"
#include "shard/capture.h"
#include "pgsql/catalog.h"
#include "shard/session_int.h"

#define SYSTEM_ID "7300000000000000001"

static void send_tag(ShdSession *s, const char *tag) { pgw_send_command_complete(&s->conn, tag); }

static void lsn_text(char *out, size_t n, uint64_t lsn) { cdc_lsn_format(out, n, lsn); }

static bool create_slot(ShdSession *s, const CdcCmd *cmd, PgwError *e)
{
	char msg[160];
	if (cmd->physical) {
		pgw_error_set(e, "0A000", "physical replication slots are not supported by DoSQL");
		return false;
	}
	if (!cdc_slot_name_valid(cmd->slot, msg, sizeof(msg))) {
		pgw_error_set(e, "42602", "%s", msg);
		return false;
	}
	/* a new slot sees the commits from here on */
	uint64_t at = (uint64_t)shd_clock_watermark(s->srv) << 8;
	char now[PGT_UTC_LEN];
	pgtime_utc((int64_t)time(NULL) * 1000000, now, sizeof(now));
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->pg.db,
			       "INSERT INTO _dosql_slots(name, plugin, confirmed, two_phase, created) VALUES (?1, ?2, ?3, ?4, ?5)",
			       -1, &st, NULL) != SQLITE_OK) {
		pgs_sqlite_error(&s->pg, sqlite3_errcode(s->pg.db), e);
		return false;
	}
	sqlite3_bind_text(st, 1, cmd->slot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cmd->plugin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)at);
	sqlite3_bind_int(st, 4, cmd->two_phase);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		pgw_error_set(e, "42710", "replication slot \"%s\" already exists", cmd->slot);
		return false;
	}
	if (rc != SQLITE_DONE) {
		pgs_sqlite_error(&s->pg, rc, e);
		return false;
	}
	char lsn[32];
	lsn_text(lsn, sizeof(lsn), at);
	static const char *const names[] = {"slot_name", "consistent_point", "snapshot_name", "output_plugin"};
	static const uint32_t oids[] = {25, 25, 25, 25};
	pgw_send_text_columns(&s->conn, 4, names, oids);
	pgw_row_begin(&s->conn, 4);
	pgw_row_text(&s->conn, cmd->slot);
	pgw_row_text(&s->conn, lsn);
	pgw_row_text(&s->conn, NULL);
	pgw_row_text(&s->conn, cmd->plugin);
	pgw_row_end(&s->conn);
	send_tag(s, "CREATE_REPLICATION_SLOT");
	return true;
}

static bool missing(int changes, const char *slot, PgwError *e)
{
	if (changes > 0)
		return false;
	pgw_error_set(e, "42704", "replication slot \"%s\" does not exist", slot);
	return true;
}

/* Delete what every slot has confirmed and the retention window lets go. */
static bool trim(ShdSession *s, PgwError *e)
{
	int64_t keep_from = pgs_now_us() - s->srv->retention_us;
	return pgs_exec_params(&s->pg, TRIM_SQL, NULL, NULL, keep_from, 0, NULL, e);
}

static bool advance(ShdSession *s, const CdcCmd *cmd, PgwError *e)
{
	int n;
	if (!pgs_exec_params(&s->pg, "UPDATE _dosql_slots SET confirmed = max(confirmed, ?3) WHERE name = ?1", cmd->slot,
			     NULL, (int64_t)cmd->lsn, 0, &n, e) ||
	    missing(n, cmd->slot, e) || !trim(s, e))
		return false;
	shd_clock_raise(s->srv, (int64_t)(cmd->lsn >> 8) + 1);
	send_tag(s, "DOSQL_ADVANCE");
	return true;
}

static bool list_slots(ShdSession *s, PgwError *e)
{
	/* the end first: nothing later is below it */
	uint64_t end = (uint64_t)shd_clock_watermark(s->srv) << 8;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->pg.db,
			       "SELECT name, plugin, confirmed, two_phase, dosql_slot_pending(name) FROM _dosql_slots ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK) {
		pgs_sqlite_error(&s->pg, sqlite3_errcode(s->pg.db), e);
		return false;
	}
	static const char *const names[] = {"slot_name", "plugin", "confirmed_flush_lsn", "two_phase", "pending_changes",
					    "end_lsn"};
	static const uint32_t oids[] = {25, 25, 25, 16, 20, 25};
	pgw_send_text_columns(&s->conn, 6, names, oids);
	char end_text[32];
	lsn_text(end_text, sizeof(end_text), end);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char lsn[32];
		lsn_text(lsn, sizeof(lsn), (uint64_t)sqlite3_column_int64(st, 2));
		pgw_row_begin(&s->conn, 6);
		pgw_row_text(&s->conn, (const char *)sqlite3_column_text(st, 0));
		pgw_row_text(&s->conn, (const char *)sqlite3_column_text(st, 1));
		pgw_row_text(&s->conn, lsn);
		pgw_row_text(&s->conn, sqlite3_column_int(st, 3) ? "t" : "f");
		pgw_row_text(&s->conn, (const char *)sqlite3_column_text(st, 4));
		pgw_row_text(&s->conn, end_text);
		pgw_row_end(&s->conn);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		pgs_sqlite_error(&s->pg, rc, e);
		return false;
	}
	send_tag(s, "DOSQL_SLOTS");
	return true;
}

/* ------------------------------------------------------------ changes */

/* Rendering one table's rows: its columns as JSON and a SELECT ?1..?n
 * that turns bound stored values into sqlite3_values. */
typedef struct Render {
	char table[256];
	const PgsTable *t; /* borrowed from the session's catalog; NULL unknown */
	char *cols;        /* owned: the columns as JSON */
	sqlite3_stmt *st;  /* owned */
	int nparams;
} Render;

static void render_reset(Render *r)
{
	free(r->cols);
	sqlite3_finalize(r->st);
	memset(r, 0, sizeof(*r));
}

static bool render_table(ShdSession *s, Render *r, const char *table, int ncols)
{
	if (r->st && r->nparams == ncols && strcmp(r->table, table) == 0)
		return true;
	render_reset(r);
	snprintf(r->table, sizeof(r->table), "%s", table);
	r->t = pgs_catalog_table(&s->pg.cat, table);
	char ident = 'd';
	sqlite3_stmt *q;
	if (r->t && sqlite3_prepare_v2(s->pg.db, "SELECT ident FROM _dosql_replident WHERE relid = ?1", -1, &q, NULL) ==
			    SQLITE_OK) {
		sqlite3_bind_int64(q, 1, r->t->oid);
		if (sqlite3_step(q) == SQLITE_ROW)
			ident = (char)sqlite3_column_text(q, 0)[0];
		sqlite3_finalize(q);
	}
	json_t *cols = json_array();
	for (int i = 0; r->t && i < r->t->ncols; i++) {
		const PgsColumn *c = &r->t->cols[i];
		bool key = false;
		for (int k = 0; k < r->t->npk; k++)
			key = key || r->t->pk[k] == c->attnum;
		json_array_append_new(cols, json_pack("[s,i,i,b]", c->name, (json_int_t)c->type, (json_int_t)c->typmod, key));
	}
	char identity[2] = {ident, 0};
	json_t *rel = json_pack("{s:s,s:o}", "replident", identity, "columns", cols);
	r->cols = json_dumps(rel, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rel);
	if (ncols == 0)
		return r->cols != NULL; /* a TRUNCATE: no values to render */
	Buf sql;
	buf_init(&sql);
	buf_put_str(&sql, "SELECT ");
	for (int i = 0; i < ncols; i++)
		buf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
	bool ok = r->cols && sqlite3_prepare_v2(s->pg.db, buf_cstr(&sql), -1, &r->st, NULL) == SQLITE_OK;
	buf_cleanup(&sql);
	r->nparams = ncols;
	return ok;
}

/* One row of a change in text output, as a JSON array; NULL when the
 * change has no such row. */
static char *render_row(ShdSession *s, Render *r, const uint8_t *change, size_t len, bool old)
{
	int ncols;
	sqlite3_reset(r->st);
	sqlite3_clear_bindings(r->st);
	if (!shd_cap_bind_row(change, len, old, r->st, &ncols) || sqlite3_step(r->st) != SQLITE_ROW)
		return NULL;
	json_t *vals = json_array();
	Buf b;
	buf_init(&b);
	for (int i = 0; i < ncols; i++) {
		sqlite3_value *v = sqlite3_column_value(r->st, i);
		const PgsColumn *c = r->t && i < r->t->ncols ? &r->t->cols[i] : NULL;
		PgtError err;
		buf_reset(&b);
		if (sqlite3_value_type(v) == SQLITE_NULL)
			json_array_append_new(vals, json_null());
		else if (c && pgt_out_text(&b, v, c->type, c->typmod, &s->pg.fmt, &err))
			json_array_append_new(vals, json_stringn(b.data ? (const char *)b.data : "", b.len));
		else
			json_array_append_new(vals, json_string((const char *)sqlite3_value_text(v)));
	}
	buf_cleanup(&b);
	char *out = json_dumps(vals, JSON_COMPACT);
	json_decref(vals);
	return out;
}

static bool read_changes(ShdSession *s, const CdcCmd *cmd, PgwError *e)
{
	/* the watermark first: every commit below it has finished, so the
	 * read that starts next sees all of them */
	int64_t w = shd_clock_watermark(s->srv);
	int64_t limit = cmd->limit > 0 ? cmd->limit : 1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->pg.db,
			       "WITH cut(ts) AS (SELECT commit_ts FROM _dosql_changelog WHERE commit_ts >= ?1 AND commit_ts < ?2"
			       " ORDER BY commit_ts LIMIT 1 OFFSET ?3)"
			       " SELECT commit_ts, gid, tbl, op, change, (SELECT ts FROM cut), old_key FROM _dosql_changelog"
			       " WHERE commit_ts >= ?1 AND commit_ts < ?2"
			       " AND commit_ts <= coalesce((SELECT ts FROM cut), ?2) ORDER BY commit_ts, seq",
			       -1, &st, NULL) != SQLITE_OK) {
		pgs_sqlite_error(&s->pg, sqlite3_errcode(s->pg.db), e);
		return false;
	}
	sqlite3_bind_int64(st, 1, cmd->from);
	sqlite3_bind_int64(st, 2, w);
	sqlite3_bind_int64(st, 3, limit - 1);
	static const char *const names[] = {"commit_ts", "gid", "tbl", "op", "columns", "old", "new"};
	static const uint32_t oids[] = {20, 25, 25, 25, 114, 114, 114};
	pgw_send_text_columns(&s->conn, 7, names, oids);
	Render r = {.st = NULL};
	int rc;
	int64_t next = w;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *change = sqlite3_column_blob(st, 4);
		size_t len = (size_t)sqlite3_column_bytes(st, 4);
		const char *op = (const char *)sqlite3_column_text(st, 3);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			next = sqlite3_column_int64(st, 5) + 1;
		int ncols = shd_cap_columns(change, len);
		if (ncols < 0 || (ncols == 0) != (op[0] == 'T') || !render_table(s, &r, (const char *)sqlite3_column_text(st, 2), ncols)) {
			pgw_error_set(e, "XX001", "change %s of table %s at %lld cannot be decoded", op,
				      (const char *)sqlite3_column_text(st, 2), (long long)sqlite3_column_int64(st, 0));
			rc = SQLITE_CORRUPT;
			break;
		}
		char *old = NULL, *new = NULL;
		if (op[0] == 'T') {
			/* a TRUNCATE's "old row" is its options */
			int64_t flags = sqlite3_column_int64(st, 6);
			old = strdup((flags & SHD_TRUNCATE_RESTART) && (flags & SHD_TRUNCATE_CASCADE)
					     ? "[\"restart_seqs\",\"cascade\"]"
				     : flags & SHD_TRUNCATE_RESTART ? "[\"restart_seqs\"]"
				     : flags & SHD_TRUNCATE_CASCADE ? "[\"cascade\"]"
								    : "[]");
		} else {
			old = op[0] == 'I' ? NULL : render_row(s, &r, change, len, true);
			new = op[0] == 'D' ? NULL : render_row(s, &r, change, len, false);
		}
		char ts[24];
		snprintf(ts, sizeof(ts), "%lld", (long long)sqlite3_column_int64(st, 0));
		pgw_row_begin(&s->conn, 7);
		pgw_row_text(&s->conn, ts);
		pgw_row_text(&s->conn, (const char *)sqlite3_column_text(st, 1));
		pgw_row_text(&s->conn, (const char *)sqlite3_column_text(st, 2));
		pgw_row_text(&s->conn, op);
		pgw_row_text(&s->conn, r.cols);
		pgw_row_text(&s->conn, old);
		pgw_row_text(&s->conn, new);
		pgw_row_end(&s->conn);
		free(old);
		free(new);
		pgw_maybe_flush(&s->conn);
	}
	sqlite3_finalize(st);
	render_reset(&r);
	if (rc != SQLITE_DONE) {
		if (rc != SQLITE_CORRUPT)
			pgs_sqlite_error(&s->pg, rc, e);
		return false;
	}
	char ts[24];
	snprintf(ts, sizeof(ts), "%lld", (long long)next);
	pgw_row_begin(&s->conn, 7);
	pgw_row_text(&s->conn, ts);
	pgw_row_text(&s->conn, NULL);
	pgw_row_text(&s->conn, NULL);
	pgw_row_text(&s->conn, "W");
	pgw_row_text(&s->conn, NULL);
	pgw_row_text(&s->conn, NULL);
	pgw_row_text(&s->conn, NULL);
	pgw_row_end(&s->conn);
	send_tag(s, "DOSQL_CHANGES");
	return true;
}

/* The session streams the slot for the router's session pid: as with
 * PostgreSQL's walsender, one at a time, until the connection ends. */
static bool acquire(ShdSession *s, const CdcCmd *cmd, PgwError *e)
{
	sqlite3_stmt *st;
	bool exists = false;
	if (sqlite3_prepare_v2(s->pg.db, "SELECT 1 FROM _dosql_slots WHERE name = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, cmd->slot, -1, SQLITE_STATIC);
		exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (!exists) {
		pgw_error_set(e, "42704", "replication slot \"%s\" does not exist", cmd->slot);
		return false;
	}
	ShdServer *srv = s->srv;
	bool ok = false;
	pthread_mutex_lock(&srv->lock);
	int i = 0;
	while (i < srv->nslot_use && strcmp(srv->slot_use[i].name, cmd->slot) != 0)
		i++;
	if (i < srv->nslot_use && srv->slot_use[i].by != s)
		pgw_error_set(e, "55006", "replication slot \"%s\" is active for PID %d", cmd->slot, srv->slot_use[i].pid);
	else if (i == (int)(sizeof(srv->slot_use) / sizeof(srv->slot_use[0])))
		pgw_error_set(e, "53400", "all replication slots are in use");
	else
		ok = true;
	if (ok) {
		snprintf(srv->slot_use[i].name, sizeof(srv->slot_use[i].name), "%s", cmd->slot);
		srv->slot_use[i].by = s;
		srv->slot_use[i].pid = (int32_t)cmd->from;
		if (i == srv->nslot_use)
			srv->nslot_use++;
	}
	pthread_mutex_unlock(&srv->lock);
	if (ok)
		send_tag(s, "DOSQL_ACQUIRE");
	return ok;
}

void shd_cdc_release(ShdSession *s)
{
	ShdServer *srv = s->srv;
	if (!srv)
		return; /* a router's private session */
	pthread_mutex_lock(&srv->lock);
	for (int i = srv->nslot_use - 1; i >= 0; i--)
		if (srv->slot_use[i].by == s)
			srv->slot_use[i] = srv->slot_use[--srv->nslot_use];
	pthread_mutex_unlock(&srv->lock);
}

int32_t shd_cdc_slot_pid(ShdServer *srv, const char *slot)
{
	int32_t pid = 0;
	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < srv->nslot_use; i++)
		if (strcmp(srv->slot_use[i].name, slot) == 0)
			pid = srv->slot_use[i].pid;
	pthread_mutex_unlock(&srv->lock);
	return pid;
}

static bool identify_system(ShdSession *s)
{
	char lsn[32];
	lsn_text(lsn, sizeof(lsn), (uint64_t)shd_clock_watermark(s->srv) << 8);
	static const char *const names[] = {"systemid", "timeline", "xlogpos", "dbname"};
	static const uint32_t oids[] = {25, 23, 25, 25};
	pgw_send_text_columns(&s->conn, 4, names, oids);
	pgw_row_begin(&s->conn, 4);
	pgw_row_text(&s->conn, SYSTEM_ID);
	pgw_row_text(&s->conn, "1");
	pgw_row_text(&s->conn, lsn);
	pgw_row_text(&s->conn, s->conn.database ? s->conn.database : "");
	pgw_row_end(&s->conn);
	send_tag(s, "IDENTIFY_SYSTEM");
	return true;
}

bool shd_cdc_command(ShdSession *s, const char *sql)
{
	CdcCmd cmd;
	char msg[256];
	PgwError e;
	if (!cdc_cmd_parse(sql, &cmd, msg, sizeof(msg))) {
		pgs_errorf(&s->pg, "42601", "%s", msg);
		return true;
	}
	if (cmd.kind == CDC_CMD_SQL)
		return false;
	if (s->txn != SHD_TXN_IDLE) {
		pgs_errorf(&s->pg, "25001", "replication commands cannot run inside a transaction block");
		return true;
	}
	bool ok = true;
	int n;
	switch (cmd.kind) {
	case CDC_CMD_IDENTIFY_SYSTEM: ok = identify_system(s); break;
	case CDC_CMD_CREATE_SLOT: ok = create_slot(s, &cmd, &e); break;
	case CDC_CMD_DROP_SLOT:
		if (shd_cdc_slot_pid(s->srv, cmd.slot)) {
			ok = false;
			pgw_error_set(&e, "55006", "replication slot \"%s\" is active for PID %d", cmd.slot,
				      shd_cdc_slot_pid(s->srv, cmd.slot));
			break;
		}
		ok = pgs_exec_params(&s->pg, "DELETE FROM _dosql_slots WHERE name = ?1", cmd.slot, NULL, 0, 0, &n, &e) &&
		     !missing(n, cmd.slot, &e) && trim(s, &e);
		if (ok)
			send_tag(s, "DROP_REPLICATION_SLOT");
		break;
	case CDC_CMD_SLOTS: ok = list_slots(s, &e); break;
	case CDC_CMD_ACQUIRE: ok = acquire(s, &cmd, &e); break;
	case CDC_CMD_ADVANCE: ok = advance(s, &cmd, &e); break;
	case CDC_CMD_CHANGES: ok = read_changes(s, &cmd, &e); break;
	default:
		ok = false;
		pgw_error_set(&e, "0A000", "this replication command is not supported by a DoSQL shard; connect to the router");
		break;
	}
	if (!ok)
		shd_send_error(s, &e);
	return true;
}
