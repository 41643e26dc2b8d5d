/*
 * stream.c - the replication connection and the pgoutput decoder (see
 * stream.h).  Message layouts: PostgreSQL 15 documentation, "Streaming
 * Replication Protocol" and "Logical Replication Message Formats".
 */
#include "stream.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs sql; true when its result has the status wanted, or (with
 * ok_state) failed with that SQLSTATE. */
static bool run(LakeStream *s, const char *sql, ExecStatusType want, const char *ok_state, PGresult **keep, char *err,
	size_t errlen)
{
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	bool ok = st == want || (ok_state && state && strcmp(state, ok_state) == 0);
	if (!ok)
		snprintf(err, errlen, "%s: %s", sql, PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
	if (ok && keep)
		*keep = r;
	else
		PQclear(r);
	return ok;
}

static char *quoted(PGconn *c, const char *ident)
{
	char *q = PQescapeIdentifier(c, ident, strlen(ident));
	char *out = q ? strdup(q) : NULL;
	PQfreemem(q);
	return out;
}

bool lake_stream_open(LakeStream *s, const char *conninfo, const char *slot, const char *publication, char *err,
	size_t errlen)
{
	memset(s, 0, sizeof(*s));
	const char *keys[] = {"dbname", "replication", "application_name", NULL};
	const char *vals[] = {conninfo, "database", "dosql-lake", NULL};
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "connect: %s", PQerrorMessage(s->conn));
		return false;
	}
	char *qslot = quoted(s->conn, slot), *qpub = quoted(s->conn, publication);
	char *lit = PQescapeLiteral(s->conn, publication, strlen(publication));
	char sql[1024];
	PGresult *r = NULL;
	bool ok = qslot && qpub && lit;
	snprintf(sql, sizeof(sql), "select 1 from pg_catalog.pg_publication where pubname = %s", lit ? lit : "''");
	ok = ok && run(s, sql, PGRES_TUPLES_OK, NULL, &r, err, errlen);
	if (ok && PQntuples(r) == 0) {
		snprintf(sql, sizeof(sql), "create publication %s for all tables", qpub);
		ok = run(s, sql, PGRES_COMMAND_OK, "42710", NULL, err, errlen);
	}
	PQclear(r);
	snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput", qslot ? qslot : "");
	ok = ok && run(s, sql, PGRES_TUPLES_OK, "42710", NULL, err, errlen);
	/* 0/0: from the slot's confirmed position */
	char *pubs = NULL;
	if (ok) {
		size_t n = strlen(qpub) + 3;
		pubs = malloc(n);
		snprintf(pubs, n, "%s", qpub);
		char *plit = PQescapeLiteral(s->conn, pubs, strlen(pubs));
		snprintf(sql, sizeof(sql), "START_REPLICATION SLOT %s LOGICAL 0/0 (proto_version '1', publication_names %s)",
			qslot, plit ? plit : "''");
		PQfreemem(plit);
		ok = run(s, sql, PGRES_COPY_BOTH, NULL, NULL, err, errlen);
	}
	free(pubs);
	free(qslot);
	free(qpub);
	PQfreemem(lit);
	if (ok && PQsetnonblocking(s->conn, 1) != 0) {
		snprintf(err, errlen, "PQsetnonblocking: %s", PQerrorMessage(s->conn));
		ok = false;
	}
	s->last_status_ms = now_ms();
	return ok;
}

void lake_stream_close(LakeStream *s)
{
	if (s->conn)
		PQfinish(s->conn);
	for (int i = 0; i < s->nrels; i++) {
		free(s->rels[i].name);
		for (int c = 0; c < s->rels[i].ncols; c++)
			free(s->rels[i].cols[c].name);
		free(s->rels[i].cols);
	}
	free(s->rels);
	free(s->vals);
	free(s->lens);
	free(s->old_vals);
	free(s->old_lens);
	memset(s, 0, sizeof(*s));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static bool send_status(LakeStream *s, bool reply)
{
	/* Standby status update: 'r', write, flush, apply, clock, reply */
	uint8_t m[34];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	m[0] = 'r';
	put_be64(m + 1, s->received > s->confirmed ? s->received : s->confirmed);
	put_be64(m + 9, s->confirmed);
	put_be64(m + 17, s->confirmed);
	put_be64(m + 25, (uint64_t)((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - LAKE_PG_EPOCH_US));
	m[33] = reply;
	s->last_status_ms = now_ms();
	return PQputCopyData(s->conn, (const char *)m, (int)sizeof(m)) == 1 && PQflush(s->conn) >= 0;
}

bool lake_stream_confirm(LakeStream *s, uint64_t flush)
{
	if (flush > s->confirmed)
		s->confirmed = flush;
	return send_status(s, false);
}

static LakeRel *find_rel(LakeStream *s, uint32_t relid)
{
	for (int i = 0; i < s->nrels; i++)
		if (s->rels[i].relid == relid)
			return &s->rels[i];
	return NULL;
}

static bool read_u64(BufReader *r, uint64_t *v)
{
	const uint8_t *p;
	if (!buf_rd_bytes(r, 8, &p))
		return false;
	*v = rd_be64(p);
	return true;
}

/* pgoutput Relation: relid, namespace, name, replica identity, columns. */
static bool relation(LakeStream *s, BufReader *r)
{
	int32_t relid;
	const char *nsp, *name;
	uint8_t ident;
	int16_t ncols;
	if (!buf_rd_i32(r, &relid) || !buf_rd_str(r, &nsp) || !buf_rd_str(r, &name) || !buf_rd_u8(r, &ident) ||
		!buf_rd_i16(r, &ncols) || ncols < 0)
		return false;
	LakeRelCol *cols = calloc((size_t)ncols + 1, sizeof(*cols));
	if (!cols)
		return false;
	bool ok = true;
	for (int i = 0; i < ncols && ok; i++) {
		uint8_t flags;
		const char *cn;
		int32_t type, typmod;
		ok = buf_rd_u8(r, &flags) && buf_rd_str(r, &cn) && buf_rd_i32(r, &type) && buf_rd_i32(r, &typmod);
		if (ok) {
			cols[i].name = strdup(cn);
			cols[i].type = (uint32_t)type;
			cols[i].typmod = typmod;
			cols[i].key = flags & 1;
		}
	}
	if (!ok || !buf_rd_end(r)) {
		for (int i = 0; i < ncols; i++)
			free(cols[i].name);
		free(cols);
		return false;
	}
	LakeRel *rel = find_rel(s, (uint32_t)relid);
	if (!rel) {
		LakeRel *grown = realloc(s->rels, (size_t)(s->nrels + 1) * sizeof(*grown));
		if (!grown) {
			free(cols);
			return false;
		}
		s->rels = grown;
		rel = &s->rels[s->nrels++];
		memset(rel, 0, sizeof(*rel));
	} else {
		free(rel->name);
		for (int i = 0; i < rel->ncols; i++)
			free(rel->cols[i].name);
		free(rel->cols);
	}
	rel->relid = (uint32_t)relid;
	rel->name = strdup(name);
	rel->replident = (char)ident;
	rel->ncols = ncols;
	rel->cols = cols;
	rel->version++;
	if (ncols > s->cap) {
		s->cap = ncols;
		s->vals = realloc(s->vals, (size_t)ncols * sizeof(*s->vals));
		s->lens = realloc(s->lens, (size_t)ncols * sizeof(*s->lens));
		s->old_vals = realloc(s->old_vals, (size_t)ncols * sizeof(*s->old_vals));
		s->old_lens = realloc(s->old_lens, (size_t)ncols * sizeof(*s->old_lens));
		if (!s->vals || !s->lens || !s->old_vals || !s->old_lens)
			return false;
	}
	return true;
}

/* pgoutput TupleData into vals/lens (ncols of rel). */
static bool tuple(const char **vals, size_t *lens, BufReader *r, const LakeRel *rel, LakeRow *row)
{
	int16_t n;
	if (!buf_rd_i16(r, &n) || n != rel->ncols)
		return false;
	for (int i = 0; i < n; i++) {
		uint8_t kind;
		int32_t len;
		const uint8_t *p;
		if (!buf_rd_u8(r, &kind))
			return false;
		vals[i] = NULL;
		lens[i] = 0;
		if (kind == 't') {
			if (!buf_rd_i32(r, &len) || len < 0 || !buf_rd_bytes(r, (size_t)len, &p))
				return false;
			vals[i] = (const char *)p;
			lens[i] = (size_t)len;
		} else if (kind != 'n' && kind != 'u')
			return false;
	}
	row->ncols = n;
	row->vals = vals;
	row->lens = lens;
	return true;
}

/* One pgoutput message. */
static bool decode(LakeStream *s, const uint8_t *p, size_t len, const LakeStreamCb *cb, void *arg)
{
	BufReader r;
	buf_rd_init(&r, p, len);
	uint8_t type;
	if (!buf_rd_u8(&r, &type))
		return false;
	uint64_t a, b, ts;
	int32_t i32;
	uint8_t u8;
	LakeRow row, old;
	bool has_old = false;
	switch (type) {
	case 'B': /* final LSN, commit time, xid */
		if (!read_u64(&r, &a) || !read_u64(&r, &ts) || !buf_rd_i32(&r, &i32) || !buf_rd_end(&r))
			return false;
		cb->begin(arg, a, (int64_t)ts + LAKE_PG_EPOCH_US, (uint32_t)i32);
		return true;
	case 'C': /* flags, commit LSN, end LSN, commit time */
		if (!buf_rd_u8(&r, &u8) || !read_u64(&r, &a) || !read_u64(&r, &b) || !read_u64(&r, &ts) || !buf_rd_end(&r))
			return false;
		if (!cb->commit(arg, a, b, (int64_t)ts + LAKE_PG_EPOCH_US))
			s->paused = true;
		return true;
	case 'R': return relation(s, &r);
	case 'Y': /* a type: values come as text, nothing to keep */
	case 'O': /* origin */
	case 'M': return true;
	case 'I':
	case 'U':
	case 'D': {
		if (!buf_rd_i32(&r, &i32))
			return false;
		const LakeRel *rel = find_rel(s, (uint32_t)i32);
		if (!rel || !buf_rd_u8(&r, &u8))
			return false;
		if (type == 'U' && (u8 == 'K' || u8 == 'O')) {
			if (!tuple(s->old_vals, s->old_lens, &r, rel, &old) || !buf_rd_u8(&r, &u8))
				return false;
			has_old = true;
		}
		if ((type == 'D' && u8 != 'K' && u8 != 'O') || (type != 'D' && u8 != 'N'))
			return false;
		if (!tuple(s->vals, s->lens, &r, rel, &row) || !buf_rd_end(&r))
			return false;
		cb->change(arg, rel, (char)type, &row, has_old ? &old : NULL);
		return true;
	}
	case 'T': { /* relation count, flags, relids */
		if (!buf_rd_i32(&r, &i32) || i32 < 0 || !buf_rd_u8(&r, &u8))
			return false;
		int n = i32;
		for (int i = 0; i < n; i++) {
			if (!buf_rd_i32(&r, &i32))
				return false;
			const LakeRel *rel = find_rel(s, (uint32_t)i32);
			if (rel)
				cb->truncate(arg, rel);
		}
		return buf_rd_end(&r);
	}
	default: return false;
	}
}

/* One CopyData of the stream: XLogData ('w') or a primary keepalive ('k'). */
static bool message(LakeStream *s, const uint8_t *p, size_t len, const LakeStreamCb *cb, void *arg, char *err,
	size_t errlen)
{
	if (len >= 25 && p[0] == 'w') {
		uint64_t end = rd_be64(p + 9);
		if (end > s->received)
			s->received = end;
		if (!decode(s, p + 25, len - 25, cb, arg)) {
			snprintf(err, errlen, "malformed pgoutput message '%c' (%zu bytes)", len > 25 ? p[25] : '?', len - 25);
			return false;
		}
		return true;
	}
	if (len == 18 && p[0] == 'k') {
		uint64_t end = rd_be64(p + 1);
		if (end > s->received)
			s->received = end;
		cb->keepalive(arg, end);
		if (p[17])
			s->reply_requested = true;
		return true;
	}
	snprintf(err, errlen, "unexpected replication message '%c' (%zu bytes)", len ? p[0] : '?', len);
	return false;
}

bool lake_stream_poll(LakeStream *s, int timeout_ms, const LakeStreamCb *cb, void *arg, char *err, size_t errlen)
{
	struct pollfd pfd = {.fd = PQsocket(s->conn), .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return false;
	}
	if (!PQconsumeInput(s->conn)) {
		snprintf(err, errlen, "stream: %s", PQerrorMessage(s->conn));
		return false;
	}
	s->paused = false;
	while (!s->paused) {
		char *data = NULL;
		int n = PQgetCopyData(s->conn, &data, 1);
		if (n == 0)
			break;
		if (n < 0) {
			PGresult *r = PQgetResult(s->conn);
			snprintf(err, errlen, "stream ended: %s", r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
			PQclear(r);
			return false;
		}
		bool ok = message(s, (const uint8_t *)data, (size_t)n, cb, arg, err, errlen);
		PQfreemem(data);
		if (!ok)
			return false;
	}
	/* answer a server that asked, and report at least every 10 s */
	if (s->reply_requested || now_ms() - s->last_status_ms >= 10000) {
		s->reply_requested = false;
		if (!send_status(s, false)) {
			snprintf(err, errlen, "stream: %s", PQerrorMessage(s->conn));
			return false;
		}
	}
	return true;
}
