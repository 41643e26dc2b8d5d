/*
 * capture.c - record a transaction's row changes with SQLite's preupdate
 * hook and apply them again later; the encoding is described in capture.h.
 */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1 /* Debian's libsqlite3 has it; the header declares it on request */
#include "shard/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_value(Buf *b, sqlite3_value *v)
{
	int t = v ? sqlite3_value_type(v) : SQLITE_NULL;
	buf_put_u8(b, (uint8_t)t);
	switch (t) {
	case SQLITE_INTEGER:
		buf_put_u64(b, (uint64_t)sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT: {
		double d = sqlite3_value_double(v);
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		buf_put_u64(b, bits);
		break;
	}
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(v) : sqlite3_value_blob(v);
		int n = sqlite3_value_bytes(v);
		buf_put_u32(b, (uint32_t)n);
		buf_put(b, p, (size_t)n);
		break;
	}
	default:
		break;
	}
}

static void preupdate(void *arg, sqlite3 *db, int op, const char *schema, const char *table, sqlite3_int64 oldkey,
		      sqlite3_int64 newkey)
{
	ShdCapture *cap = arg;
	if (cap->lock && strcmp(schema, "main") == 0 && strncmp(table, "sqlite_", 7) != 0 &&
	    strncmp(table, "_dosql_", 7) != 0) {
		if (op != SQLITE_INSERT && !cap->lock(cap->lock_arg, table, oldkey))
			cap->conflict = true;
		if (op != SQLITE_DELETE && (op == SQLITE_INSERT || newkey != oldkey) &&
		    !cap->lock(cap->lock_arg, table, newkey))
			cap->conflict = true;
	}
	if (!cap->on || sqlite3_preupdate_depth(db) > 0)
		return;
	if (strcmp(schema, "main") != 0) {
		cap->temp = true;
		return;
	}
	if (strncmp(table, "sqlite_", 7) == 0)
		return;
	Buf *b = &cap->changes;
	int n = sqlite3_preupdate_count(db);
	size_t tlen = strlen(table);
	buf_put_u8(b, op == SQLITE_INSERT ? 'I' : op == SQLITE_UPDATE ? 'U' : 'D');
	buf_put_u16(b, (uint16_t)tlen);
	buf_put(b, table, tlen);
	buf_put_u64(b, (uint64_t)oldkey);
	buf_put_u64(b, (uint64_t)newkey);
	buf_put_u16(b, (uint16_t)n);
	sqlite3_value *v;
	if (op != SQLITE_INSERT)
		for (int i = 0; i < n; i++)
			put_value(b, sqlite3_preupdate_old(db, i, &v) == SQLITE_OK ? v : NULL);
	if (op != SQLITE_DELETE)
		for (int i = 0; i < n; i++)
			put_value(b, sqlite3_preupdate_new(db, i, &v) == SQLITE_OK ? v : NULL);
}

void shd_cap_install(sqlite3 *db, ShdCapture *cap) { sqlite3_preupdate_hook(db, preupdate, cap); }

void shd_cap_truncate(ShdCapture *cap, const char *table, uint8_t flags)
{
	if (!cap->on)
		return;
	size_t tlen = strlen(table);
	buf_put_u8(&cap->changes, 'T');
	buf_put_u16(&cap->changes, (uint16_t)tlen);
	buf_put(&cap->changes, table, tlen);
	buf_put_u64(&cap->changes, flags);
	buf_put_u64(&cap->changes, 0);
	buf_put_u16(&cap->changes, 0);
}

/* ------------------------------------------------------------ decoding */

typedef struct Val {
	int type;
	int64_t i;
	double f;
	const uint8_t *p;
	uint32_t n;
} Val;

typedef struct Change {
	char op;
	char table[256];
	int64_t oldkey, newkey;
	int ncols;
	Val *old, *new; /* into the decoder's array */
} Change;

typedef struct Decoder {
	BufReader r;
	Val *vals;
	int cap;
} Decoder;

static bool rd_u64(BufReader *r, uint64_t *v)
{
	const uint8_t *p;
	if (!buf_rd_bytes(r, 8, &p))
		return false;
	*v = rd_be64(p);
	return true;
}

static bool rd_value(BufReader *r, Val *v)
{
	uint8_t t;
	const uint8_t *p;
	uint64_t u;
	memset(v, 0, sizeof(*v));
	if (!buf_rd_u8(r, &t))
		return false;
	v->type = t;
	switch (t) {
	case SQLITE_INTEGER:
		if (!rd_u64(r, &u))
			return false;
		v->i = (int64_t)u;
		return true;
	case SQLITE_FLOAT:
		if (!rd_u64(r, &u))
			return false;
		memcpy(&v->f, &u, sizeof(v->f));
		return true;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		if (!buf_rd_bytes(r, 4, &p))
			return false;
		v->n = rd_be32(p);
		return buf_rd_bytes(r, v->n, &v->p);
	case SQLITE_NULL:
		return true;
	default:
		return false;
	}
}

/* The next change, or false at the end (*bad set when malformed). */
static bool next_change(Decoder *d, Change *c, bool *bad)
{
	const uint8_t *p;
	uint8_t op;
	uint64_t u;
	*bad = false;
	if (buf_rd_left(&d->r) == 0)
		return false;
	*bad = true;
	if (!buf_rd_u8(&d->r, &op) || (op != 'I' && op != 'U' && op != 'D' && op != 'T') || !buf_rd_bytes(&d->r, 2, &p))
		return false;
	uint16_t tlen = rd_be16(p);
	if (tlen == 0 || tlen >= sizeof(c->table) || !buf_rd_bytes(&d->r, tlen, &p))
		return false;
	memcpy(c->table, p, tlen);
	c->table[tlen] = 0;
	if (memchr(c->table, 0, tlen))
		return false;
	c->op = (char)op;
	if (!rd_u64(&d->r, &u))
		return false;
	c->oldkey = (int64_t)u;
	if (!rd_u64(&d->r, &u))
		return false;
	c->newkey = (int64_t)u;
	if (!buf_rd_bytes(&d->r, 2, &p))
		return false;
	c->ncols = rd_be16(p);
	if ((c->ncols == 0) != (op == 'T'))
		return false; /* a TRUNCATE has no rows, every other change has columns */
	if (op == 'T') {
		c->old = c->new = NULL;
		*bad = false;
		return true;
	}
	if (d->cap < 2 * c->ncols) {
		Val *v = realloc(d->vals, sizeof(Val) * 2 * (size_t)c->ncols);
		if (!v)
			return false;
		d->vals = v;
		d->cap = 2 * c->ncols;
	}
	c->old = op == 'I' ? NULL : d->vals;
	c->new = op == 'D' ? NULL : d->vals + c->ncols;
	for (int i = 0; c->old && i < c->ncols; i++)
		if (!rd_value(&d->r, &c->old[i]))
			return false;
	for (int i = 0; c->new && i < c->ncols; i++)
		if (!rd_value(&d->r, &c->new[i]))
			return false;
	*bad = false;
	return true;
}

bool shd_cap_foreach(const uint8_t *p, size_t n, ShdCapFn fn, void *arg)
{
	Decoder d = {.vals = NULL};
	Change c;
	bool bad = false, ok = true;
	buf_rd_init(&d.r, p, n);
	size_t start = 0;
	while (ok && next_change(&d, &c, &bad)) {
		ok = fn(arg, c.op, c.table, c.oldkey, c.newkey, p + start, d.r.pos - start);
		start = d.r.pos;
	}
	free(d.vals);
	return ok && !bad;
}

bool shd_cap_valid(const uint8_t *p, size_t n)
{
	Decoder d = {.vals = NULL};
	Change c;
	bool bad = false;
	buf_rd_init(&d.r, p, n);
	while (next_change(&d, &c, &bad))
		;
	free(d.vals);
	return !bad;
}

/* ------------------------------------------------------------ applying */

static int bind_val(sqlite3_stmt *st, int idx, const Val *v)
{
	switch (v->type) {
	case SQLITE_INTEGER: return sqlite3_bind_int64(st, idx, v->i);
	case SQLITE_FLOAT: return sqlite3_bind_double(st, idx, v->f);
	case SQLITE_TEXT: return sqlite3_bind_text(st, idx, (const char *)v->p, (int)v->n, SQLITE_STATIC);
	case SQLITE_BLOB: return sqlite3_bind_blob(st, idx, v->p, (int)v->n, SQLITE_STATIC);
	default: return sqlite3_bind_null(st, idx);
	}
}

bool shd_cap_bind_row(const uint8_t *change, size_t len, bool old, sqlite3_stmt *st, int *ncols)
{
	Decoder d = {.vals = NULL};
	Change c;
	bool bad = false;
	buf_rd_init(&d.r, change, len);
	bool ok = next_change(&d, &c, &bad) && buf_rd_left(&d.r) == 0 && (old ? c.old : c.new) != NULL;
	for (int i = 0; ok && i < c.ncols; i++)
		ok = bind_val(st, i + 1, &(old ? c.old : c.new)[i]) == SQLITE_OK;
	if (ok)
		*ncols = c.ncols;
	free(d.vals);
	return ok;
}

int shd_cap_columns(const uint8_t *change, size_t len)
{
	Decoder d = {.vals = NULL};
	Change c;
	bool bad = false;
	buf_rd_init(&d.r, change, len);
	int n = next_change(&d, &c, &bad) && buf_rd_left(&d.r) == 0 ? c.ncols : -1;
	free(d.vals);
	return n;
}

static bool same_value(sqlite3_stmt *st, int col, const Val *v)
{
	int t = sqlite3_column_type(st, col);
	if (t != v->type)
		return false;
	switch (t) {
	case SQLITE_INTEGER: return sqlite3_column_int64(st, col) == v->i;
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, col);
		return memcmp(&d, &v->f, sizeof(d)) == 0;
	}
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, col) : sqlite3_column_blob(st, col);
		return (uint32_t)sqlite3_column_bytes(st, col) == v->n && (v->n == 0 || memcmp(p, v->p, v->n) == 0);
	}
	default: return true;
	}
}

/* Prepared statements by text, for the length of one apply. */
typedef struct StmtCache {
	int n;
	struct {
		char *sql;
		sqlite3_stmt *st;
	} e[32];
} StmtCache;

static sqlite3_stmt *cached(sqlite3 *db, StmtCache *sc, const char *sql)
{
	for (int i = 0; i < sc->n; i++)
		if (strcmp(sc->e[i].sql, sql) == 0) {
			sqlite3_reset(sc->e[i].st);
			sqlite3_clear_bindings(sc->e[i].st);
			return sc->e[i].st;
		}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sc->n == (int)(sizeof(sc->e) / sizeof(sc->e[0]))) {
		sc->n--;
		free(sc->e[0].sql);
		sqlite3_finalize(sc->e[0].st);
		memmove(&sc->e[0], &sc->e[1], sizeof(sc->e[0]) * (size_t)sc->n);
	}
	sc->e[sc->n].sql = strdup(sql);
	sc->e[sc->n].st = st;
	if (!sc->e[sc->n].sql) {
		sqlite3_finalize(st);
		return NULL;
	}
	sc->n++;
	return st;
}

static void cache_free(StmtCache *sc)
{
	for (int i = 0; i < sc->n; i++) {
		free(sc->e[i].sql);
		sqlite3_finalize(sc->e[i].st);
	}
	sc->n = 0;
}

/* The row at key must exist and hold the old values (U, D), or the key
 * must be free (I).  The row's column names go to names[]. */
static bool check_row(sqlite3 *db, StmtCache *sc, const Change *c, const char **names, PgwError *e)
{
	char *sql = sqlite3_mprintf("SELECT * FROM main.\"%w\" WHERE rowid = ?", c->table);
	sqlite3_stmt *st = sql ? cached(db, sc, sql) : NULL;
	sqlite3_free(sql);
	if (!st) {
		pgw_error_set(e, "XX001", "cannot read table \"%s\" to apply a prepared transaction: %s", c->table,
			      sqlite3_errmsg(db));
		return false;
	}
	if (sqlite3_column_count(st) != c->ncols) {
		pgw_error_set(e, "XX001", "table \"%s\" has %d columns, the prepared transaction's change has %d",
			      c->table, sqlite3_column_count(st), c->ncols);
		return false;
	}
	for (int i = 0; i < c->ncols; i++)
		names[i] = sqlite3_column_name(st, i);
	sqlite3_bind_int64(st, 1, c->op == 'I' ? c->newkey : c->oldkey);
	int rc = sqlite3_step(st);
	bool ok;
	if (c->op == 'I') {
		ok = rc == SQLITE_DONE;
	} else {
		ok = rc == SQLITE_ROW;
		for (int i = 0; ok && i < c->ncols; i++)
			ok = same_value(st, i, &c->old[i]);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		pgw_error_set(e, "XX001", "cannot read table \"%s\": %s", c->table, sqlite3_errmsg(db));
		return false;
	}
	if (!ok)
		pgw_error_set(e, "40001", "could not serialize access due to concurrent update");
	return ok;
}

static bool vals_equal(const Val *a, const Val *b)
{
	return a->type == b->type && a->i == b->i && memcmp(&a->f, &b->f, sizeof(double)) == 0 && a->n == b->n &&
	       (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* The statement that makes the change (names from check_row). */
static void change_sql(const Change *c, const char **names, Buf *sql)
{
	buf_reset(sql);
	char *t = sqlite3_mprintf("main.\"%w\"", c->table);
	if (c->op == 'I') {
		buf_printf(sql, "INSERT INTO %s(rowid", t);
		for (int i = 0; i < c->ncols; i++) {
			char *q = sqlite3_mprintf(", \"%w\"", names[i]);
			buf_put_str(sql, q);
			sqlite3_free(q);
		}
		buf_put_str(sql, ") VALUES (?");
		for (int i = 0; i < c->ncols; i++)
			buf_put_str(sql, ", ?");
		buf_put_str(sql, ")");
	} else if (c->op == 'D') {
		buf_printf(sql, "DELETE FROM %s WHERE rowid = ?", t);
	} else {
		/* only the columns that changed, so triggers fire as they did */
		buf_printf(sql, "UPDATE %s SET rowid = ?", t);
		for (int i = 0; i < c->ncols; i++) {
			if (vals_equal(&c->old[i], &c->new[i]))
				continue;
			char *q = sqlite3_mprintf(", \"%w\" = ?%d", names[i], i + 2);
			buf_put_str(sql, q);
			sqlite3_free(q);
		}
		buf_printf(sql, " WHERE rowid = ?%d", c->ncols + 2);
	}
	sqlite3_free(t);
}

static bool apply_one(sqlite3 *db, StmtCache *sc, const Change *c, Buf *sql, PgwError *e)
{
	const char *names[2000];
	if (c->op == 'T') {
		char *del = sqlite3_mprintf("DELETE FROM main.\"%w\"", c->table);
		int rc = del ? sqlite3_exec(db, del, NULL, NULL, NULL) : SQLITE_NOMEM;
		sqlite3_free(del);
		if (rc != SQLITE_OK)
			pgw_error_set(e, "XX001", "cannot apply a prepared TRUNCATE of \"%s\": %s", c->table, sqlite3_errmsg(db));
		return rc == SQLITE_OK;
	}
	if (c->ncols > (int)(sizeof(names) / sizeof(names[0]))) {
		pgw_error_set(e, "XX001", "a prepared change of table \"%s\" has %d columns", c->table, c->ncols);
		return false;
	}
	if (!check_row(db, sc, c, names, e))
		return false;
	change_sql(c, names, sql);
	sqlite3_stmt *st = cached(db, sc, buf_cstr(sql));
	if (!st) {
		pgw_error_set(e, "XX001", "cannot apply a prepared change to \"%s\": %s", c->table, sqlite3_errmsg(db));
		return false;
	}
	if (c->op == 'D') {
		sqlite3_bind_int64(st, 1, c->oldkey);
	} else {
		sqlite3_bind_int64(st, 1, c->newkey);
		for (int i = 0; i < c->ncols; i++)
			bind_val(st, i + 2, &c->new[i]);
		if (c->op == 'U')
			sqlite3_bind_int64(st, c->ncols + 2, c->oldkey);
	}
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		pgw_error_set(e, "40001", "could not serialize access due to concurrent update");
		snprintf(e->detail, sizeof(e->detail), "Applying the change to \"%s\" failed: %s", c->table,
			 sqlite3_errmsg(db));
		return false;
	}
	return true;
}

bool shd_cap_apply(sqlite3 *db, const uint8_t *p, size_t n, PgwError *e)
{
	Decoder d = {.vals = NULL};
	StmtCache sc = {.n = 0};
	Buf sql;
	Change c;
	bool bad = false, ok = true;
	buf_init(&sql);
	buf_rd_init(&d.r, p, n);
	while (ok && next_change(&d, &c, &bad))
		ok = apply_one(db, &sc, &c, &sql, e);
	if (ok && bad) {
		pgw_error_set(e, "XX001", "the stored changes of a prepared transaction are malformed");
		ok = false;
	}
	cache_free(&sc);
	buf_cleanup(&sql);
	free(d.vals);
	return ok;
}
