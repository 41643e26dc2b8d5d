/*
 * rowlock.c - row locks over SQLite's single writer (shard setting
 * row-locks = 1; off by default).
 *
 * With row locks a transaction block holds no SQLite transaction between
 * its statements.  A statement that reads only the one row it changes (an
 * UPDATE whose WHERE fixes the whole primary key, whose expressions read
 * nothing but that row, that changes no key or foreign key column, on a
 * table without triggers) runs in a turn of its own: it takes SQLite's
 * writer, applies the block's changes so far (its capture), runs, keeps
 * its own change in the capture, and rolls back.  The row it changed is
 * locked for the transaction (a key: the table and rowid, hashed), so no
 * other transaction writes it until this one ends, and the block sees
 * exactly the rows it saw when it commits: COMMIT takes the writer once
 * more, applies the capture, writes the changelog and commits.  PREPARE
 * does the same into its holder (prepared.c), which keeps SQLite's writer
 * until COMMIT PREPARED, so the commit clock is as without row locks; the
 * locks go once the holder has the changes applied.
 *
 * Any other statement (a read, an INSERT, a statement over several rows,
 * a savepoint, DDL, COPY, a cursor) opens the block's SQLite transaction
 * with the capture applied, and the block goes on holding SQLite's writer
 * as without row locks: its reads stay true until it commits.  Such a
 * transaction, and every statement outside a block, checks the locks of
 * the rows it changes: meeting one held by another transaction is 40001
 * (it holds the writer, which the lock holder needs to finish).
 *
 * A statement in a turn of its own that meets a row held by another
 * transaction rolls back (freeing the writer), waits until the holder ends
 * and runs again.  Waits follow the router's wait-die (a younger waiter
 * gives way after 20 ms with 40001), end with 40001 after the busy timeout,
 * and a wait that would close a cycle of waits in this shard is 40P01
 * ("deadlock detected"), as PostgreSQL reports it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "common/pgnode.h"
#include "shard/rowlock.h"
#include "shard/session_int.h"

#define RL_BUCKETS 4096
#define RL_YOUNGER_WAIT_US 20000 /* as busy_wait in session.c */

struct RlOwner {
	struct RlOwner *prev, *next; /* the live owners */
	struct RlOwner *waits_for;   /* whose row it waits for, NULL none */
	int64_t ts;                  /* the router's start time of its transaction, 0 unknown */
	int32_t pid;                 /* its session's, for messages */
	int nkeys, cap;
	uint64_t *keys;
};

typedef struct RlEntry {
	uint64_t key;
	RlOwner *owner;
	struct RlEntry *next;
} RlEntry;

typedef struct ShdLocks {
	pthread_mutex_t mu;
	pthread_cond_t freed;
	RlEntry *bucket[RL_BUCKETS];
	RlOwner *owners;
} ShdLocks;

bool shd_rl_init(ShdServer *srv)
{
	ShdLocks *l = calloc(1, sizeof(*l));
	if (!l)
		return false;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->freed, NULL);
	srv->locks = l;
	return true;
}

static uint64_t key_of(const char *table, int64_t rowid)
{
	return XXH3_64bits_withSeed(table, strlen(table), (uint64_t)rowid);
}

static RlEntry *find(ShdLocks *l, uint64_t key)
{
	for (RlEntry *e = l->bucket[key % RL_BUCKETS]; e; e = e->next)
		if (e->key == key)
			return e;
	return NULL;
}

/* A new owner in the live list (under l->mu); NULL when out of memory. */
static RlOwner *new_owner(ShdLocks *l)
{
	RlOwner *o = calloc(1, sizeof(*o));
	if (o) {
		o->next = l->owners;
		if (l->owners)
			l->owners->prev = o;
		l->owners = o;
	}
	return o;
}

/* The session's owner, made when it has none (under l->mu); NULL when out
 * of memory. */
static RlOwner *owner_of(ShdLocks *l, ShdSession *s)
{
	RlOwner *o = s->rl_owner;
	if (!o && (o = new_owner(l))) {
		o->pid = s->conn.pid;
		s->rl_owner = o;
	}
	if (o)
		o->ts = s->txn_ts;
	return o;
}

/* Take key for o (under l->mu); false when out of memory. */
static bool take(ShdLocks *l, RlOwner *o, uint64_t key)
{
	if (o->nkeys == o->cap) {
		int cap = o->cap ? o->cap * 2 : 8;
		uint64_t *k = realloc(o->keys, sizeof(*k) * (size_t)cap);
		if (!k)
			return false;
		o->keys = k;
		o->cap = cap;
	}
	RlEntry *e = malloc(sizeof(*e));
	if (!e)
		return false;
	e->key = key;
	e->owner = o;
	e->next = l->bucket[key % RL_BUCKETS];
	l->bucket[key % RL_BUCKETS] = e;
	o->keys[o->nkeys++] = key;
	return true;
}

/* The preupdate hook's check (capture.c): a row another transaction holds
 * is a conflict; in a statement of its own turn the session takes it. */
static bool lock_row(void *arg, const char *table, int64_t rowid)
{
	ShdSession *s = arg;
	ShdLocks *l = s->srv->locks;
	uint64_t key = key_of(table, rowid);
	pthread_mutex_lock(&l->mu);
	RlEntry *e = find(l, key);
	bool ok = e ? e->owner == s->rl_owner : true;
	if (!e && s->rl_stmt) {
		RlOwner *o = owner_of(l, s);
		ok = o && take(l, o, key);
	}
	pthread_mutex_unlock(&l->mu);
	if (!ok)
		s->rl_blocked = key;
	return ok;
}

typedef struct TakeAll {
	ShdLocks *l;
	RlOwner *o;
} TakeAll;

static bool take_change(void *arg, char op, const char *table, int64_t oldkey, int64_t newkey, const uint8_t *change,
			size_t len)
{
	(void)change, (void)len;
	TakeAll *t = arg;
	if (strncmp(table, "_dosql_", 7) == 0 || op == 'T')
		return true;
	bool ok = true;
	if (op != 'I' && !find(t->l, key_of(table, oldkey)))
		ok = take(t->l, t->o, key_of(table, oldkey));
	if (ok && op != 'D' && !find(t->l, key_of(table, newkey)))
		ok = take(t->l, t->o, key_of(table, newkey));
	return ok;
}

RlOwner *shd_rl_take_changes(ShdServer *srv, const uint8_t *p, size_t n)
{
	ShdLocks *l = srv->locks;
	if (!l || !p)
		return NULL;
	pthread_mutex_lock(&l->mu);
	RlOwner *o = new_owner(l);
	TakeAll t = {.l = l, .o = o};
	if (o)
		shd_cap_foreach(p, n, take_change, &t);
	pthread_mutex_unlock(&l->mu);
	return o;
}

void shd_rl_attach(ShdSession *s)
{
	if (!s->srv->locks)
		return;
	s->cap.lock = lock_row;
	s->cap.lock_arg = s;
}

void shd_rl_release(ShdServer *srv, RlOwner *o)
{
	ShdLocks *l = srv->locks;
	if (!o || !l)
		return;
	pthread_mutex_lock(&l->mu);
	for (int i = 0; i < o->nkeys; i++) {
		RlEntry **pp = &l->bucket[o->keys[i] % RL_BUCKETS];
		while (*pp && !((*pp)->key == o->keys[i] && (*pp)->owner == o))
			pp = &(*pp)->next;
		if (*pp) {
			RlEntry *dead = *pp;
			*pp = dead->next;
			free(dead);
		}
	}
	for (RlOwner *x = l->owners; x; x = x->next)
		if (x->waits_for == o)
			x->waits_for = NULL;
	if (o->prev)
		o->prev->next = o->next;
	else
		l->owners = o->next;
	if (o->next)
		o->next->prev = o->prev;
	pthread_cond_broadcast(&l->freed);
	pthread_mutex_unlock(&l->mu);
	free(o->keys);
	free(o);
}

RlOwner *shd_rl_detach(ShdSession *s)
{
	RlOwner *o = s->rl_owner;
	s->rl_owner = NULL;
	return o;
}

void shd_rl_end(ShdSession *s)
{
	shd_rl_release(s->srv, shd_rl_detach(s));
	s->rl_deferred = false;
	s->rl_stmt = false;
	s->cap.conflict = false;
}

bool shd_rl_begin(ShdSession *s)
{
	s->rl_deferred = s->srv->locks != NULL;
	return s->rl_deferred;
}

/* ------------------------------------------------------------ waiting */

/* Wait until the holder of s->rl_blocked ends; false with *e (40P01 for a
 * cycle of waits, 40001 when it gives way or times out, 57014 on cancel). */
static bool wait_row(ShdSession *s, PgwError *e)
{
	ShdLocks *l = s->srv->locks;
	int64_t start = pgs_now_us();
	bool ok = true;
	pthread_mutex_lock(&l->mu);
	RlOwner *me = owner_of(l, s);
	for (;;) {
		RlEntry *en = find(l, s->rl_blocked);
		if (!me || !en || en->owner == me)
			break;
		RlOwner *h = en->owner;
		int steps = 0;
		for (RlOwner *x = h; x && steps < 10000; x = x->waits_for, steps++) {
			if (x == me) {
				pgw_error_set(e, "40P01", "deadlock detected");
				snprintf(e->detail, sizeof(e->detail),
					 "Process %d waits for a row locked by process %d; process %d waits for process %d.",
					 (int)me->pid, (int)h->pid, (int)h->pid, (int)(h->waits_for ? h->waits_for->pid : me->pid));
				ok = false;
				break;
			}
		}
		if (!ok)
			break;
		bool younger = me->ts && h->ts && me->ts > h->ts && !s->alone;
		int64_t limit = younger ? RL_YOUNGER_WAIT_US : (int64_t)s->srv->busy_timeout_ms * 1000;
		int64_t waited = pgs_now_us() - start;
		if (atomic_load(&s->pg.cancel)) {
			pgw_error_set(e, "57014", "canceling statement due to user request");
			ok = false;
			break;
		}
		if (waited >= limit) {
			pgw_error_set(e, "40001", "could not serialize access due to concurrent update");
			ok = false;
			break;
		}
		me->waits_for = h;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 5 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&l->freed, &l->mu, &until);
		me->waits_for = NULL;
	}
	if (!me && ok) {
		pgw_error_set(e, "53200", "out of memory");
		ok = false;
	}
	pthread_mutex_unlock(&l->mu);
	return ok;
}

/* ------------------------------------------------------------ statements */

bool shd_rl_escalate(ShdSession *s, PgwError *e)
{
	if (!s->rl_deferred)
		return true;
	s->rl_deferred = false;
	if (s->cap.changes.len == 0)
		return shd_sql(s, "BEGIN", e);
	if (!shd_sql(s, "BEGIN IMMEDIATE", e))
		return false;
	bool on = s->cap.on;
	s->cap.on = false;
	bool ok = shd_cap_apply(s->pg.db, s->cap.changes.data, s->cap.changes.len, e);
	s->cap.on = on;
	if (!ok)
		shd_sql(s, "ROLLBACK", &(PgwError){0});
	return ok;
}

bool shd_rl_stmt_begin(ShdSession *s, PgwError *e)
{
	if (!shd_sql(s, "BEGIN IMMEDIATE", e))
		return false;
	s->cap.on = false;
	bool ok = shd_cap_apply(s->pg.db, s->cap.changes.data, s->cap.changes.len, e);
	s->cap.on = true;
	if (!ok) {
		shd_sql(s, "ROLLBACK", &(PgwError){0});
		return false;
	}
	s->rl_mark = s->cap.changes.len;
	s->cap.conflict = false;
	s->cap.temp = false;
	s->rl_stmt = true;
	return true;
}

typedef struct OneRow {
	int n;
	bool same_row;
} OneRow;

static bool count_change(void *arg, char op, const char *table, int64_t oldkey, int64_t newkey, const uint8_t *change,
			 size_t len)
{
	(void)table, (void)change, (void)len;
	OneRow *r = arg;
	r->n++;
	r->same_row = op == 'U' && oldkey == newkey;
	return true;
}

int shd_rl_stmt_end(ShdSession *s, bool ok)
{
	PgwError e;
	s->rl_stmt = false;
	if (s->cap.conflict) {
		shd_sql(s, "ROLLBACK", &e);
		s->cap.changes.len = s->rl_mark;
		s->cap.conflict = false;
		if (wait_row(s, &e))
			return RL_RETRY;
		shd_send_error(s, &e);
		return RL_FAILED;
	}
	OneRow r = {0};
	if (ok && !s->cap.temp)
		shd_cap_foreach(s->cap.changes.data + s->rl_mark, s->cap.changes.len - s->rl_mark, count_change, &r);
	if (!ok || (r.n == 1 && r.same_row)) {
		/* done: the change is in the capture (a failed one is not), the
		 * row locked; the writer goes back */
		shd_sql(s, "ROLLBACK", &e);
		if (!ok)
			s->cap.changes.len = s->rl_mark;
		return ok ? RL_DONE : RL_FAILED;
	}
	/* no row (its absence was read) or more than was expected: the block
	 * keeps SQLite's transaction, and with it the writer, until it ends */
	s->rl_deferred = false;
	return RL_DONE;
}

int shd_rl_implicit_end(ShdSession *s, bool ok)
{
	PgwError e;
	if (!s->cap.conflict)
		return ok ? RL_DONE : RL_FAILED;
	s->cap.conflict = false;
	bool again = shd_sql(s, "ROLLBACK", &e) && wait_row(s, &e) && shd_sql(s, "BEGIN", &e);
	buf_reset(&s->cap.changes);
	if (again)
		return RL_RETRY;
	s->rl_retry = false;
	shd_send_error(s, &e);
	return RL_FAILED;
}

bool shd_rl_commit(ShdSession *s, PgwError *e)
{
	if (!shd_sql(s, "BEGIN IMMEDIATE", e))
		return false;
	if (s->txn_ts) {
		s->writer = true;
		atomic_store(&s->srv->writer_ts, s->txn_ts);
	}
	bool ok = shd_cap_apply(s->pg.db, s->cap.changes.data, s->cap.changes.len, e) &&
		  shd_changelog_write(s, s->cap.changes.data, s->cap.changes.len, NULL, e) && shd_sql(s, "COMMIT", e);
	if (!ok)
		shd_sql(s, "ROLLBACK", &(PgwError){0});
	return ok;
}

/* ------------------------------------------------------------ which statements */

/* An expression that reads nothing but the row: columns, constants,
 * parameters, casts, operators, AND/OR/NOT, IS NULL. */
static bool row_only(PgQuery__Node *n, int depth)
{
	if (!n)
		return true;
	if (depth > 64)
		return false;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_COLUMN_REF:
	case PG_QUERY__NODE__NODE_A_CONST:
	case PG_QUERY__NODE__NODE_PARAM_REF:
		return true;
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return row_only(n->type_cast->arg, depth + 1);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP && row_only(n->a_expr->lexpr, depth + 1) &&
		       row_only(n->a_expr->rexpr, depth + 1);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		for (size_t i = 0; i < n->bool_expr->n_args; i++)
			if (!row_only(n->bool_expr->args[i], depth + 1))
				return false;
		return true;
	case PG_QUERY__NODE__NODE_NULL_TEST:
		return row_only((PgQuery__Node *)n->null_test->arg, depth + 1);
	default:
		return false;
	}
}

static const char *column_name(PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields == 0)
		return NULL;
	PgQuery__Node *last = n->column_ref->fields[n->column_ref->n_fields - 1];
	return last->node_case == PG_QUERY__NODE__NODE_STRING ? pgn_str(last) : NULL;
}

static bool is_value(PgQuery__Node *n)
{
	while (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	return n && (n->node_case == PG_QUERY__NODE__NODE_A_CONST || n->node_case == PG_QUERY__NODE__NODE_PARAM_REF);
}

/* The column a conjunct "column = value" fixes, NULL when it is not one. */
static const char *fixed_column(PgQuery__Node *n)
{
	if (n->node_case != PG_QUERY__NODE__NODE_A_EXPR || n->a_expr->kind != PG_QUERY__A__EXPR__KIND__AEXPR_OP ||
	    n->a_expr->n_name != 1 || strcmp(pgn_str(n->a_expr->name[0]), "=") != 0)
		return NULL;
	if (column_name(n->a_expr->lexpr) && is_value(n->a_expr->rexpr))
		return column_name(n->a_expr->lexpr);
	if (column_name(n->a_expr->rexpr) && is_value(n->a_expr->lexpr))
		return column_name(n->a_expr->rexpr);
	return NULL;
}

/* Rows of a one-text-column query about table. */
typedef struct Names {
	int n;
	char name[64][64];
} Names;

static bool names_of(ShdSession *s, const char *sql, const char *table, Names *out)
{
	sqlite3_stmt *st;
	out->n = 0;
	if (sqlite3_prepare_v2(s->pg.db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->n < 64) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		snprintf(out->name[out->n++], sizeof(out->name[0]), "%s", v ? v : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE;
}

static bool among(const Names *n, const char *name)
{
	for (int i = 0; i < n->n; i++)
		if (strcmp(n->name[i], name) == 0)
			return true;
	return false;
}

static bool update_eligible(ShdSession *s, PgQuery__UpdateStmt *u)
{
	if (!u->relation || u->n_from_clause || u->n_returning_list || u->with_clause ||
	    (pgn_has_str(u->relation->schemaname) && strcmp(u->relation->schemaname, "public") != 0) ||
	    !row_only(u->where_clause, 0))
		return false;
	const char *t = u->relation->relname;
	const PgsTable *tab = pgs_catalog_table(&s->pg.cat, t);
	if (!tab || tab->relkind != 'r' || tab->system || tab->npk == 0)
		return false;
	Names pk = {0}, keys, triggers;
	for (int k = 0; k < tab->npk && k < 64; k++)
		for (int i = 0; i < tab->ncols; i++)
			if (tab->cols[i].attnum == tab->pk[k])
				snprintf(pk.name[pk.n++], sizeof(pk.name[0]), "%s", tab->cols[i].name);
	if (pk.n != tab->npk ||
	    !names_of(s,
		      "SELECT ii.name FROM pragma_index_list(?1) il, pragma_index_info(il.name) ii WHERE il.\"unique\""
		      " UNION SELECT \"from\" FROM pragma_foreign_key_list(?1)"
		      " UNION SELECT name FROM pragma_table_info(?1) WHERE pk > 0",
		      t, &keys) ||
	    !names_of(s, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1", t, &triggers) ||
	    triggers.n > 0 || keys.n >= 64)
		return false;
	for (size_t i = 0; i < u->n_target_list; i++) {
		PgQuery__Node *n = u->target_list[i];
		if (n->node_case != PG_QUERY__NODE__NODE_RES_TARGET || n->res_target->n_indirection ||
		    among(&keys, n->res_target->name) || among(&pk, n->res_target->name) ||
		    !row_only(n->res_target->val, 0))
			return false;
	}
	/* every primary key column fixed by a conjunct of the WHERE */
	PgQuery__Node *w = u->where_clause;
	PgQuery__Node **conj = &w;
	size_t nconj = w ? 1 : 0;
	if (w && w->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    w->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		conj = w->bool_expr->args;
		nconj = w->bool_expr->n_args;
	}
	for (int k = 0; k < pk.n; k++) {
		bool fixed = false;
		for (size_t i = 0; i < nconj && !fixed; i++) {
			const char *c = fixed_column(conj[i]);
			fixed = c && strcmp(c, pk.name[k]) == 0;
		}
		if (!fixed)
			return false;
	}
	return true;
}

bool shd_rl_eligible(ShdSession *s, ShdStmt *stmt)
{
	if (!s->rl_deferred || s->txn != SHD_TXN_BLOCK || !stmt->node ||
	    stmt->node->node_case != PG_QUERY__NODE__NODE_UPDATE_STMT)
		return false;
	if (stmt->rl_ok == 0 || stmt->rl_gen != stmt->generation) {
		stmt->rl_ok = update_eligible(s, stmt->node->update_stmt) ? 1 : 2;
		stmt->rl_gen = stmt->generation;
	}
	return stmt->rl_ok == 1;
}

bool shd_rl_utility(ShdSession *s, PgQuery__Node *node, PgwError *e)
{
	if (!s->rl_deferred)
		return true;
	if (node->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT ||
	    node->node_case == PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT)
		return true;
	if (node->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT) {
		switch (node->transaction_stmt->kind) {
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
		case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
			return true;
		default:
			break;
		}
	}
	return shd_rl_escalate(s, e);
}
