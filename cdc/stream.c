/*
 * stream.c - the merge of the shards' change streams (stream.h).
 *
 * Each shard's rows become transactions on a pending list; once every shard
 * has answered with a watermark, the transactions below the lowest one are
 * sorted by (commit time, shard), which is LSN order, and go out.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cdc/stream.h"

typedef struct StreamShard {
	int64_t from;      /* the next read starts at this commit time */
	int64_t watermark; /* no later commit here is below it; 0 unknown */
	bool got_changes;  /* the current answer held changes */
	CdcTxn *cur;       /* the transaction being assembled from the rows */
} StreamShard;

struct CdcStream {
	const CdcStreamOps *ops; /* borrowed */
	void *arg;
	CdcPlugin *plugin; /* owned */
	uint64_t start;    /* transactions below it are skipped */
	uint64_t position; /* everything below it has been sent */
	int npending, pendcap;
	CdcTxn **pending; /* owned: read, not yet sent */
	int nrels;
	CdcRel **rels; /* owned */
	int nshards;
	StreamShard sh[]; /* nshards */
};

CdcStream *cdc_stream_create(int nshards, uint64_t start, CdcPlugin *plugin, const CdcStreamOps *ops, void *arg)
{
	CdcStream *st = calloc(1, sizeof(*st) + sizeof(StreamShard) * (size_t)nshards);
	if (!st) {
		cdc_plugin_free(plugin);
		return NULL;
	}
	st->ops = ops;
	st->arg = arg;
	st->plugin = plugin;
	st->start = st->position = start;
	st->nshards = nshards;
	for (int i = 0; i < nshards; i++)
		st->sh[i].from = (int64_t)(start >> 8);
	return st;
}

static void rel_free(CdcRel *r)
{
	if (!r)
		return;
	for (int i = 0; r->cols && i < r->ncols; i++)
		free(r->cols[i].name);
	free(r->cols);
	free(r->name);
	free(r->json);
	free(r);
}

void cdc_stream_free(CdcStream *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->npending; i++)
		cdc_txn_free(st->pending[i]);
	free(st->pending);
	for (int i = 0; i < st->nrels; i++)
		rel_free(st->rels[i]);
	free(st->rels);
	cdc_plugin_free(st->plugin);
	free(st);
}

/* The relation of table in the shape cols (JSON) describes, made at its
 * first change; NULL when cols is malformed or memory ran out. */
static CdcRel *relation(CdcStream *st, const char *table, const char *cols)
{
	for (int i = 0; i < st->nrels; i++)
		if (strcmp(st->rels[i]->name, table) == 0 && strcmp(st->rels[i]->json, cols) == 0)
			return st->rels[i];
	json_t *rel = json_loads(cols, 0, NULL);
	json_t *a = json_object_get(rel, "columns");
	const char *ident = json_string_value(json_object_get(rel, "replident"));
	CdcRel *r = NULL;
	CdcRel **rels = NULL;
	if (!json_is_array(a) || !ident || !(r = calloc(1, sizeof(*r))) ||
	    !(rels = realloc(st->rels, sizeof(CdcRel *) * (size_t)(st->nrels + 1))))
		goto fail;
	st->rels = rels;
	r->ncols = (int)json_array_size(a);
	r->replident = ident[0];
	if (!(r->name = strdup(table)) || !(r->json = strdup(cols)) ||
	    !(r->cols = calloc((size_t)r->ncols + 1, sizeof(CdcColumn))))
		goto fail;
	/* the same table has the same relid in every stream */
	r->relid = 16384 + (uint32_t)(XXH64(table, strlen(table), 0) % 1000000000u);
	for (int i = 0; i < r->ncols; i++) {
		json_t *c = json_array_get(a, (size_t)i);
		const char *name = json_string_value(json_array_get(c, 0));
		if (!(r->cols[i].name = strdup(name ? name : "?column?")))
			goto fail;
		r->cols[i].type = (uint32_t)json_integer_value(json_array_get(c, 1));
		r->cols[i].typmod = (int32_t)json_integer_value(json_array_get(c, 2));
		r->cols[i].key = r->replident == 'f' || (r->replident == 'd' && json_is_true(json_array_get(c, 3)));
	}
	json_decref(rel);
	st->rels[st->nrels++] = r;
	return r;
fail:
	rel_free(r);
	json_decref(rel);
	return NULL;
}

/* A row's values from JSON: ncols strings or NULLs; NULL when absent. */
static char **values(const char *json, int ncols, bool *bad)
{
	if (!json)
		return NULL;
	json_t *a = json_loads(json, 0, NULL);
	char **v = calloc((size_t)ncols + 1, sizeof(char *));
	if (!json_is_array(a) || !v) {
		*bad = true;
		json_decref(a);
		free(v);
		return NULL;
	}
	for (int i = 0; i < ncols && i < (int)json_array_size(a); i++) {
		const char *t = json_string_value(json_array_get(a, (size_t)i));
		if (t && !(v[i] = strdup(t)))
			*bad = true;
	}
	json_decref(a);
	return v;
}

static bool pending_add(CdcStream *st, CdcTxn *t)
{
	if (st->npending == st->pendcap) {
		int cap = st->pendcap ? st->pendcap * 2 : 64;
		CdcTxn **p = realloc(st->pending, sizeof(CdcTxn *) * (size_t)cap);
		if (!p)
			return false;
		st->pending = p;
		st->pendcap = cap;
	}
	st->pending[st->npending++] = t;
	return true;
}

static const char *field(const char *const f[CDC_ROW_NFIELDS], int i) { return f[i] ? f[i] : ""; }

/* The transaction of shard's row committed at ts: the one being assembled
 * (consecutive rows with one commit time are one transaction) or a new one. */
static CdcTxn *txn_at(CdcStream *st, int shard, int64_t ts, const char *gid)
{
	StreamShard *sh = &st->sh[shard];
	if (sh->cur && sh->cur->hlc == ts)
		return sh->cur;
	CdcTxn *t = calloc(1, sizeof(CdcTxn));
	if (!t || (gid && !(t->gid = strdup(gid))) || !pending_add(st, t)) {
		cdc_txn_free(t);
		return NULL;
	}
	t->hlc = ts;
	t->shard = shard;
	t->lsn = cdc_lsn(ts, shard);
	return sh->cur = t;
}

bool cdc_stream_row(CdcStream *st, int shard, const char *const f[CDC_ROW_NFIELDS])
{
	StreamShard *sh = &st->sh[shard];
	int64_t ts = strtoll(field(f, CDC_ROW_TIME), NULL, 10);
	const char *op = field(f, CDC_ROW_OP);
	if (op[0] == 'W') {
		sh->from = sh->watermark = ts;
		return true;
	}
	CdcTxn *t = txn_at(st, shard, ts, f[CDC_ROW_GID]);
	CdcRel *rel = t ? relation(st, field(f, CDC_ROW_TABLE), field(f, CDC_ROW_COLUMNS)) : NULL;
	if (!rel)
		return false;
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 8;
		CdcChange *c = realloc(t->changes, sizeof(CdcChange) * (size_t)cap);
		if (!c)
			return false;
		t->changes = c;
		t->cap = cap;
	}
	CdcChange *c = &t->changes[t->n++];
	memset(c, 0, sizeof(*c));
	c->op = op[0];
	c->rel = rel;
	bool bad = false;
	if (c->op == 'T') {
		/* its options instead of rows */
		const char *o = field(f, CDC_ROW_OLD);
		c->flags = (uint8_t)((strstr(o, "cascade") ? CDC_TRUNCATE_CASCADE : 0) |
				     (strstr(o, "restart_seqs") ? CDC_TRUNCATE_RESTART : 0));
	} else {
		c->old = values(f[CDC_ROW_OLD], rel->ncols, &bad);
		c->new = values(f[CDC_ROW_NEW], rel->ncols, &bad);
	}
	sh->got_changes = true;
	return !bad;
}

bool cdc_stream_answer_end(CdcStream *st, int shard)
{
	StreamShard *sh = &st->sh[shard];
	bool got = sh->got_changes;
	sh->cur = NULL;
	sh->got_changes = false;
	return got;
}

void cdc_stream_shard_lost(CdcStream *st, int shard)
{
	StreamShard *sh = &st->sh[shard];
	if (sh->cur) {
		for (int i = 0; i < st->npending; i++)
			if (st->pending[i] == sh->cur) {
				st->pending[i] = st->pending[--st->npending];
				break;
			}
		cdc_txn_free(sh->cur);
		sh->cur = NULL;
	}
	sh->got_changes = false;
}

int64_t cdc_stream_from(const CdcStream *st, int shard) { return st->sh[shard].from; }

uint64_t cdc_stream_position(const CdcStream *st) { return st->position; }

static int txn_order(const void *a, const void *b)
{
	const CdcTxn *x = *(CdcTxn *const *)a, *y = *(CdcTxn *const *)b;
	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? -1 : 1;
	return x->shard - y->shard;
}

static bool same_key(const CdcRel *rel, char *const *a, char *const *b)
{
	for (int i = 0; i < rel->ncols; i++)
		if (rel->cols[i].key && ((a[i] == NULL) != (b[i] == NULL) || (a[i] && strcmp(a[i], b[i]) != 0)))
			return false;
	return true;
}

/*
 * One shard's part of a transaction, as its net effect where a row passed
 * through: an UPDATE that gave a row a new key followed by the DELETE of
 * that key is the DELETE of the old row.  That is how an UPDATE of the
 * vindex column leaves the shard it moves from (the row arrives on its new
 * shard as an INSERT), so the parts of a transaction never touch the same
 * key and can go out one after the other.
 */
static void compact(CdcTxn *t)
{
	for (int i = 0; i < t->n; i++) {
		CdcChange *c = &t->changes[i];
		if (c->op != 'U' || !cdc_rel_has_key(c->rel) || !cdc_key_changed(c))
			continue;
		for (int j = i + 1; j < t->n; j++) {
			CdcChange *d = &t->changes[j];
			if (d->rel != c->rel || !d->old || !same_key(c->rel, c->new, d->old))
				continue;
			if (d->op == 'D') {
				for (int k = 0; k < c->rel->ncols; k++)
					free(c->new[k]);
				free(c->new);
				c->new = NULL;
				c->op = 'D';
				cdc_change_free(d);
				memmove(d, d + 1, sizeof(CdcChange) * (size_t)(t->n - j - 1));
				t->n--;
			}
			break;
		}
	}
}

/* Move the parts of x's two-phase transaction (same time, same gid, later
 * in the order) into x; a reference table's changes are kept once, from
 * the first part. */
static void gather(CdcStream *st, int at)
{
	CdcTxn *x = st->pending[at];
	for (int j = at + 1; j < st->npending && st->pending[j] && st->pending[j]->hlc == x->hlc; j++) {
		CdcTxn *y = st->pending[j];
		if (!y->gid || strcmp(y->gid, x->gid) != 0)
			continue;
		compact(y);
		CdcChange *c = realloc(x->changes, sizeof(CdcChange) * (size_t)(x->n + y->n + 1));
		if (!c)
			return;
		x->changes = c;
		for (int k = 0; k < y->n; k++) {
			if (st->ops->replicated(st->arg, y->changes[k].rel->name))
				cdc_change_free(&y->changes[k]);
			else
				x->changes[x->n++] = y->changes[k];
		}
		x->cap = x->n + 1;
		y->n = 0;
		cdc_txn_free(y);
		st->pending[j] = NULL;
	}
}

int cdc_stream_emit_ready(CdcStream *st)
{
	int64_t low = INT64_MAX;
	for (int i = 0; i < st->nshards; i++)
		if (st->sh[i].watermark < low)
			low = st->sh[i].watermark;
	if (low <= 0)
		return 0;
	if (st->npending > 1)
		qsort(st->pending, (size_t)st->npending, sizeof(CdcTxn *), txn_order);
	int done = 0, kept = 0;
	for (int i = 0; i < st->npending; i++) {
		CdcTxn *t = st->pending[i];
		if (!t)
			continue;
		if (t->hlc >= low) {
			st->pending[kept++] = t;
			continue;
		}
		compact(t);
		if (t->gid)
			gather(st, i);
		if (t->lsn >= st->start) {
			uint32_t xid = (uint32_t)(t->lsn >> 1);
			t->xid = xid < 3 ? xid + 3 : xid;
			cdc_plugin_txn(st->plugin, t, st->ops->emit, st->arg);
			st->position = t->lsn + 1;
			done++;
		}
		cdc_txn_free(t);
	}
	st->npending = kept;
	uint64_t end = (uint64_t)low << 8;
	if (end > st->position)
		st->position = end;
	return done;
}
