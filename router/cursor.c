/*
 * cursor.c - DECLARE CURSOR, FETCH, MOVE and CLOSE through the router.
 *
 * A cursor's query runs as any read does (one shard, every shard with its
 * rows concatenated, an ORDER BY merge or a final step in the router), but
 * its RowDescription and rows are kept in the session instead of going to
 * the client; FETCH and MOVE then walk them as PostgreSQL walks a
 * cursor's rows (FORWARD, BACKWARD, ABSOLUTE, RELATIVE, ALL), and CLOSE
 * drops them.  The cursor thus lives in the router, not on a shard
 * connection, so it survives the connection's return to its pool, spans
 * several shards, and WITH HOLD keeps it after COMMIT.  Its rows are held
 * in the router's memory whole, in text format; FETCH in binary format
 * is refused (0A000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"
#include "common/pgnode.h"

#define CURSOR_OPT_BINARY 0x0001
#define CURSOR_OPT_NO_SCROLL 0x0004
#define CURSOR_OPT_HOLD 0x0020

struct RtCursor {
	char *name; /* owned */
	bool hold, no_scroll;
	Buf rowdesc;     /* the RowDescription message, whole */
	Buf rows;        /* DataRow messages */
	size_t *at;      /* owned: where each row starts in rows */
	int64_t nrows, cap;
	int64_t pos;     /* 0 before the first row, nrows + 1 after the last */
	RtCursor *next;
};

static void cursor_free(RtCursor *k)
{
	if (!k)
		return;
	free(k->name);
	buf_cleanup(&k->rowdesc);
	buf_cleanup(&k->rows);
	free(k->at);
	free(k);
}

static RtCursor *find(const RtSession *s, const char *name)
{
	for (RtCursor *k = s->cursors; k; k = k->next)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

void rt_cursor_free_all(RtSession *s)
{
	while (s->cursors) {
		RtCursor *k = s->cursors;
		s->cursors = k->next;
		cursor_free(k);
	}
	cursor_free(s->capture);
	s->capture = NULL;
}

void rt_cursor_txn_end(RtSession *s)
{
	for (RtCursor **p = &s->cursors; *p;) {
		RtCursor *k = *p;
		if (k->hold) {
			p = &k->next;
			continue;
		}
		*p = k->next;
		cursor_free(k);
	}
}

bool rt_cursor_declare(RtSession *s, PgQuery__DeclareCursorStmt *dc, char **query_text, PgwError *e)
{
	*query_text = NULL;
	bool hold = (dc->options & CURSOR_OPT_HOLD) != 0;
	if (!hold && s->txn == RT_TXN_IDLE && !s->implicit) {
		pgw_error_set(e, "25P01", "DECLARE CURSOR can only be used in transaction blocks");
		return false;
	}
	if (dc->options & CURSOR_OPT_BINARY) {
		pgw_error_set(e, "0A000", "BINARY cursors through the router are not supported");
		return false;
	}
	if (find(s, dc->portalname)) {
		pgw_error_set(e, "42P03", "cursor \"%s\" already exists", dc->portalname);
		return false;
	}
	if (dc->query->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
		pgw_error_set(e, "0A000", "a cursor over this statement through the router is not supported");
		return false;
	}
	RtCursor *k = calloc(1, sizeof(*k));
	char *text = pgn_deparse(dc->query);
	if (!k || !text || !(k->name = strdup(dc->portalname))) {
		cursor_free(k);
		free(text);
		pgw_error_set(e, "53200", "out of memory");
		return false;
	}
	k->hold = hold;
	k->no_scroll = (dc->options & CURSOR_OPT_NO_SCROLL) != 0;
	cursor_free(s->capture);
	s->capture = k;
	*query_text = text;
	return true;
}

bool rt_cursor_capture_rowdesc(RtSession *s, size_t from)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	if (!s->capture || from > c->out.len)
		return false;
	buf_reset(&s->capture->rowdesc);
	buf_put(&s->capture->rowdesc, c->out.data + from, c->out.len - from);
	c->out.len = from;
	return true;
}

Buf *rt_cursor_row_buf(RtSession *s)
{
	RtCursor *k = s->capture;
	if (k->nrows == k->cap) {
		int64_t cap = k->cap ? k->cap * 2 : 64;
		size_t *at = realloc(k->at, sizeof(size_t) * (size_t)cap);
		if (!at) {
			k->rows.failed = true; /* rt_cursor_declared reports it */
			return &k->rows;
		}
		k->at = at;
		k->cap = cap;
	}
	k->at[k->nrows++] = k->rows.len;
	return &k->rows;
}

bool rt_cursor_capture_start(RtSession *s)
{
	cursor_free(s->capture);
	s->capture = calloc(1, sizeof(RtCursor));
	return s->capture != NULL;
}

void rt_cursor_finish(RtSession *s)
{
	PgwError e;
	if (!s->capture)
		return;
	if (!s->stmt_error && !s->capture->name) {
		/* a COPY's query: its rows go out as COPY data */
		rt_copy_out_rows(s, &s->capture->rowdesc, &s->capture->rows);
		rt_cursor_abandon(s);
	} else if (s->stmt_error)
		rt_cursor_abandon(s);
	else if (!rt_cursor_declared(s, &e))
		rt_send_error(s, &e);
}

bool rt_cursor_declared(RtSession *s, PgwError *e)
{
	RtCursor *k = s->capture;
	s->capture = NULL;
	if (!k)
		return true;
	if (k->rows.failed || k->rowdesc.failed) {
		cursor_free(k);
		pgw_error_set(e, "53200", "out of memory keeping the cursor's rows");
		return false;
	}
	k->next = s->cursors;
	s->cursors = k;
	snprintf(s->tag, sizeof(s->tag), "DECLARE CURSOR");
	s->rowdesc_sent = false;
	s->count_sum = 0;
	return true;
}

void rt_cursor_abandon(RtSession *s)
{
	cursor_free(s->capture);
	s->capture = NULL;
}

/* The rows FETCH (or MOVE) takes, first to last in the order they go out,
 * and the position after it, by PostgreSQL's rules for a cursor. */
static void walk(const RtCursor *k, PgQuery__FetchDirection dir, int64_t n, int64_t *first, int64_t *count,
		 int *step, int64_t *pos)
{
	int64_t p = k->pos, last = k->nrows;
	*count = 0;
	*step = 1;
	if (dir == PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE || dir == PG_QUERY__FETCH_DIRECTION__FETCH_RELATIVE) {
		int64_t target;
		if (dir == PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE)
			target = n >= 0 ? n : last + 1 + n;
		else
			target = p + n;
		if (target < 1) {
			*pos = 0;
		} else if (target > last) {
			*pos = last + 1;
		} else {
			*pos = target;
			*first = target;
			*count = n == 0 && dir == PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE ? 0 : 1;
		}
		if (dir == PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE && n == 0)
			*pos = 0;
		return;
	}
	if (n == 0) {
		/* FETCH FORWARD 0 / BACKWARD 0: the current row again */
		*pos = p;
		if (p >= 1 && p <= last) {
			*first = p;
			*count = 1;
		}
		return;
	}
	if (dir == PG_QUERY__FETCH_DIRECTION__FETCH_BACKWARD) {
		*step = -1;
		int64_t avail = p - 1 < 0 ? 0 : (p > last + 1 ? last : p - 1);
		*count = n < avail ? n : avail;
		*first = (p > last + 1 ? last + 1 : p) - 1;
		*pos = *count == n ? *first - (*count - 1) : 0;
		return;
	}
	int64_t avail = last - p < 0 ? 0 : last - p;
	*count = n < avail ? n : avail;
	*first = p + 1;
	*pos = *count == n ? p + *count : last + 1;
}

void rt_cursor_fetch(RtSession *s, PgQuery__FetchStmt *fs, const int16_t *fmts, int nfmts)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwError e;
	RtCursor *k = find(s, fs->portalname);
	if (!k) {
		pgw_error_set(&e, "34000", "cursor \"%s\" does not exist", fs->portalname);
		rt_send_error(s, &e);
		return;
	}
	bool backward = fs->direction == PG_QUERY__FETCH_DIRECTION__FETCH_BACKWARD ||
			(fs->direction == PG_QUERY__FETCH_DIRECTION__FETCH_ABSOLUTE && fs->how_many >= 0 &&
			 fs->how_many < k->pos) ||
			(fs->direction == PG_QUERY__FETCH_DIRECTION__FETCH_RELATIVE && fs->how_many < 0);
	if (backward && k->no_scroll) {
		pgw_error_set(&e, "55000", "cursor can only scan forward");
		snprintf(e.hint, sizeof(e.hint), "Declare it with SCROLL option to enable backward scan.");
		rt_send_error(s, &e);
		return;
	}
	for (int i = 0; !fs->ismove && i < nfmts; i++)
		if (fmts[i] != 0) {
			pgw_error_set(&e, "0A000", "FETCH in binary format through the router is not supported");
			rt_send_error(s, &e);
			return;
		}
	int64_t first = 0, count = 0, pos;
	int step;
	walk(k, fs->direction, fs->how_many, &first, &count, &step, &pos);
	if (!fs->ismove) {
		if (!s->portal)
			buf_put(&c->out, k->rowdesc.data, k->rowdesc.len);
		for (int64_t i = 0, r = first; i < count; i++, r += step) {
			size_t from = k->at[r - 1], to = r < k->nrows ? k->at[r] : k->rows.len;
			buf_put(&c->out, k->rows.data + from, to - from);
		}
	}
	k->pos = pos;
	char tag[64];
	snprintf(tag, sizeof(tag), "%s %lld", fs->ismove ? "MOVE" : "FETCH", (long long)count);
	pgw_send_command_complete(c, tag);
}

void rt_cursor_close(RtSession *s, const char *name)
{
	PgwError e;
	if (!name || !name[0]) {
		while (s->cursors) {
			RtCursor *k = s->cursors;
			s->cursors = k->next;
			cursor_free(k);
		}
	} else {
		RtCursor **p = &s->cursors;
		while (*p && strcmp((*p)->name, name) != 0)
			p = &(*p)->next;
		if (!*p) {
			pgw_error_set(&e, "34000", "cursor \"%s\" does not exist", name);
			rt_send_error(s, &e);
			return;
		}
		RtCursor *k = *p;
		*p = k->next;
		cursor_free(k);
	}
	pgw_send_command_complete(pgw_evconn_conn(s->ec), "CLOSE CURSOR");
}

bool rt_cursor_describe(RtSession *s, const char *name)
{
	RtCursor *k = find(s, name);
	if (!k)
		return false;
	buf_put(&pgw_evconn_conn(s->ec)->out, k->rowdesc.data, k->rowdesc.len);
	return true;
}
