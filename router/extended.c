/*
 * extended.c - the extended query protocol through the router.
 *
 * Parse checks the statement with libpg_query and has the first shard
 * describe it (parameter types, result columns); descriptions are cached by
 * statement text and declared types, so a statement is parsed and described
 * once however often it is sent.  Bind keeps the parameter values; Execute
 * routes with them (a $n on the vindex column picks the shard, as a
 * constant does) and runs the statement there with PQsendQueryParams.  Rows
 * beyond an Execute's row limit are kept for the next Execute, which
 * answers PortalSuspended in between as PostgreSQL does.  The routes of
 * more than one statement run as in a simple query, with the bound
 * parameters: a split INSERT (each shard its rows' parameters), an UPDATE
 * moving rows (move.c), a final step (merge.c), EXPLAIN, and COPY, whose
 * data follows Execute as it follows Query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"
#include "common/pgnode.h"

#define MAX_DESCS 4096

static RtSession *sess(PgwConn *c) { return c->user; }

/* The cached description of sql with these declared parameter types, or NULL. */
static const RtDesc *cached(const RtRouter *rt, const char *sql, int ndecl, const uint32_t *decl)
{
	for (int i = 0; i < rt->ndescs; i++) {
		RtDesc *d = rt->descs[i];
		if (d->ndeclared == ndecl && strcmp(d->sql, sql) == 0 &&
		    (ndecl == 0 || memcmp(d->declared, decl, sizeof(uint32_t) * (size_t)ndecl) == 0))
			return d;
	}
	return NULL;
}

/* Keep d in the router's cache of descriptions (the oldest goes when it is
 * full); returns d. */
static const RtDesc *keep(RtRouter *rt, RtDesc *d)
{
	if (rt->ndescs < MAX_DESCS) {
		rt->descs = realloc(rt->descs, sizeof(RtDesc *) * (size_t)(rt->ndescs + 1));
		rt->descs[rt->ndescs++] = d;
	} else {
		rt_desc_free(rt->descs[0]);
		rt->descs[0] = d;
	}
	return d;
}

/* The description of a statement the router answers itself: no
 * parameters, and one void column named fname (a call of dosql_shard_table
 * and the like) or none (NULL: FETCH, CLOSE). */
static const RtDesc *describe_local(RtRouter *rt, const char *sql, const char *fname)
{
	const RtDesc *known = cached(rt, sql, 0, NULL);
	if (known)
		return known;
	RtDesc *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->sql = strdup(sql);
	d->declared = calloc(1, sizeof(uint32_t));
	d->ptypes = calloc(1, sizeof(uint32_t));
	d->fields = calloc(1, sizeof(PgwField));
	if (!d->sql || !d->declared || !d->ptypes || !d->fields || (fname && !(d->fields[0].name = strdup(fname)))) {
		rt_desc_free(d);
		return NULL;
	}
	if (!fname)
		return keep(rt, d);
	d->nfields = 1;
	d->fields[0].type_oid = 2278; /* void */
	d->fields[0].typlen = 4;
	d->fields[0].typmod = -1;
	return keep(rt, d);
}

/* A DECLARE ... CURSOR's description is its query's parameters, and no
 * result columns: d (its query's) made into that, for the DECLARE's text;
 * false out of memory. */
static bool declare_desc(RtDesc *d, const char *sql)
{
	free(d->sql);
	for (int i = 0; i < d->nfields; i++)
		free((char *)d->fields[i].name);
	d->nfields = 0;
	return (d->sql = strdup(sql)) != NULL;
}

/* ---------------------------------------------------------------- objects */

static RtStmt *stmt_find(RtSession *s, const char *name)
{
	for (int i = 0; i < s->nstmts; i++)
		if (strcmp(s->stmts[i]->name, name) == 0)
			return s->stmts[i];
	return NULL;
}

static RtPortal *portal_find(RtSession *s, const char *name)
{
	for (int i = 0; i < s->nportals; i++)
		if (strcmp(s->portals[i]->name, name) == 0)
			return s->portals[i];
	return NULL;
}

/* Drop one reference to the statement; the last frees it. */
static void stmt_release(RtStmt *st)
{
	if (--st->refs > 0)
		return;
	if (st->tree)
		rt_plancache_release(st->rt, st->sql);
	free(st->sql);
	free(st->name);
	free(st);
}

/* The session forgets the statement; portals made from it keep it. */
static void stmt_forget(RtSession *s, RtStmt *st)
{
	for (int i = 0; i < s->nstmts; i++)
		if (s->stmts[i] == st) {
			s->stmts[i] = s->stmts[--s->nstmts];
			break;
		}
	stmt_release(st);
}

/* A portal's arrays, its name and its parameters' bytes live in the block
 * of the portal itself (portal_new). */
static void portal_free(RtPortal *p)
{
	stmt_release(p->stmt);
	buf_cleanup(&p->rows);
	free(p);
}

/* A portal of st for Bind b, in one allocation: the portal, its values,
 * lengths, formats and result formats, its name, the parameters' bytes
 * (each NUL-terminated).  NULL out of memory. */
static RtPortal *portal_new(RtStmt *st, const PgwBind *b)
{
	size_t n = (size_t)b->nparams, nres = (size_t)b->nresult_formats, bytes = strlen(b->portal) + 1;
	for (size_t i = 0; i < n; i++)
		bytes += b->params[i].data ? (size_t)b->params[i].len + 1 : 0;
	size_t size = sizeof(RtPortal) + (n + 1) * (sizeof(char *) + 2 * sizeof(int)) + (nres + 1) * sizeof(int16_t) + bytes;
	RtPortal *p = malloc(size);
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	char *at = (char *)(p + 1);
	p->values = (char **)at;
	p->lengths = (int *)(at += (n + 1) * sizeof(char *));
	p->formats = (int *)(at += (n + 1) * sizeof(int));
	p->resfmts = (int16_t *)(at += (n + 1) * sizeof(int));
	at += (nres + 1) * sizeof(int16_t);
	p->name = strcpy(at, b->portal);
	at += strlen(b->portal) + 1;
	for (size_t i = 0; i < n; i++) {
		p->values[i] = NULL;
		if (b->params[i].data) {
			p->values[i] = memcpy(at, b->params[i].data, (size_t)b->params[i].len);
			at[b->params[i].len] = 0;
			at += (size_t)b->params[i].len + 1;
		}
		p->lengths[i] = b->params[i].len;
		p->formats[i] = b->params[i].format;
	}
	p->stmt = st;
	st->refs++;
	p->params = (RtParams){.n = b->nparams,
			       .values = (const char *const *)p->values,
			       .lengths = p->lengths,
			       .formats = p->formats,
			       .types = st->desc ? st->desc->ptypes : NULL};
	p->nres = b->nresult_formats;
	if (nres)
		memcpy(p->resfmts, b->result_formats, sizeof(int16_t) * nres);
	buf_init(&p->rows);
	return p;
}

static void portal_drop(RtSession *s, RtPortal *p)
{
	for (int i = 0; i < s->nportals; i++)
		if (s->portals[i] == p) {
			s->portals[i] = s->portals[--s->nportals];
			break;
		}
	if (s->portal == p)
		s->portal = NULL;
	portal_free(p);
}

/* Close of a statement: its portals close too. */
static void stmt_drop(RtSession *s, RtStmt *st)
{
	for (int i = s->nportals - 1; i >= 0; i--)
		if (s->portals[i]->stmt == st)
			portal_drop(s, s->portals[i]);
	stmt_forget(s, st);
}

void rt_ext_free(RtSession *s)
{
	rt_describe_cancel(s->rt, s); /* a Parse waiting for its description */
	rt_seq_cancel(s->rt, s);      /* a statement waiting for sequence values */
	rt_lookup_reads_free(s);      /* or for its lookups */
	rt_asks_free(s);              /* or for its catalog facts */
	rt_placement_rows_free(s);    /* or for a placement call's rows */
	while (s->nstmts > 0)
		stmt_drop(s, s->stmts[s->nstmts - 1]);
	while (s->nportals > 0)
		portal_drop(s, s->portals[s->nportals - 1]);
	free(s->stmts);
	free(s->portals);
	s->stmts = NULL;
	s->portals = NULL;
}

/* ---------------------------------------------------------------- messages */

/* The Parse'd statement is the session's (the unnamed one replaced);
 * ParseComplete. */
static void parse_complete(RtSession *s, const char *name, const char *sql, PgQuery__ParseResult *tree,
			   RtPlanMemo *memo, const RtDesc *d)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	if (!name[0]) {
		/* the unnamed statement is replaced; its portals stay, as in
		 * PostgreSQL (pgjdbc runs catalog queries between a cursor's
		 * fetches) */
		RtStmt *old = stmt_find(s, "");
		if (old)
			stmt_forget(s, old);
	}
	RtStmt *st = calloc(1, sizeof(*st));
	RtStmt **stmts = realloc(s->stmts, sizeof(RtStmt *) * (size_t)(s->nstmts + 1));
	if (stmts)
		s->stmts = stmts;
	if (!st || !stmts || !(st->name = strdup(name)) || !(st->sql = strdup(sql))) {
		if (st) {
			free(st->name);
			free(st);
		}
		rt_plancache_release(s->rt, sql);
		pgw_send_errorf(c, "53200", "out of memory");
		return;
	}
	st->refs = 1;
	st->rt = s->rt;
	st->tree = tree;
	st->memo = memo;
	st->desc = d;
	s->stmts[s->nstmts++] = st;
	pgw_send_parse_complete(c);
}

/* A Parse waiting for the first shard's description of its statement;
 * its session reads no further message until it is answered. */
typedef struct ParseWait {
	RtSession *s;
	RtRouter *rt;
	char *name, *sql; /* owned */
	PgQuery__ParseResult *tree; /* a reference into the plan cache */
	RtPlanMemo *memo;           /* the plan kept with it */
	bool declare; /* DECLARE ... CURSOR: described by its query */
} ParseWait;

static void parse_wait_free(ParseWait *w)
{
	free(w->name);
	free(w->sql);
	free(w);
}

/* The description came (d), or the shard refused (err), or the session
 * went (neither). */
static void parse_described(void *arg, RtDesc *d, const PgwError *err)
{
	ParseWait *w = arg;
	RtSession *s = w->s;
	if (!d && !err) {
		rt_plancache_release(w->rt, w->sql);
		parse_wait_free(w);
		return;
	}
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwError oom;
	if (d && w->declare && !declare_desc(d, w->sql)) {
		rt_desc_free(d);
		d = NULL;
		pgw_error_set(&oom, "53200", "out of memory");
		err = &oom;
	}
	if (d) {
		/* another session may have had it described meanwhile */
		const RtDesc *known = cached(s->rt, w->sql, d->ndeclared, d->declared);
		if (known)
			rt_desc_free(d);
		parse_complete(s, w->name, w->sql, w->tree, w->memo, known ? known : keep(s->rt, d));
	} else {
		rt_plancache_release(s->rt, w->sql);
		pgw_send_error(c, err);
	}
	parse_wait_free(w);
	(void)pgw_evconn_flush(s->ec);
	pgw_evconn_resume_reading(s->ec);
}

/* Ask the first shard to describe text (the statement, or a DECLARE's
 * query) for Parse of sql; the reply to Parse comes when it answers.
 * False out of memory. */
static bool parse_describe(RtSession *s, const char *name, const char *sql, PgQuery__ParseResult *tree,
			   RtPlanMemo *memo, const char *text, bool declare, int nparams, const uint32_t *oids)
{
	ParseWait *w = calloc(1, sizeof(*w));
	if (!w || !(w->name = strdup(name)) || !(w->sql = strdup(sql))) {
		if (w)
			parse_wait_free(w);
		return false;
	}
	w->s = s;
	w->rt = s->rt;
	w->tree = tree;
	w->memo = memo;
	w->declare = declare;
	if (!rt_describe_async(s->rt, text, nparams, oids, parse_described, w, s)) {
		parse_wait_free(w);
		return false;
	}
	pgw_evconn_pause_reading(s->ec);
	return true;
}

void rt_ext_parse(PgwConn *c, const char *name, const char *sql, int nparams, const uint32_t *oids)
{
	RtSession *s = sess(c);
	PgwError e;
	if (name[0] && stmt_find(s, name)) {
		pgw_send_errorf(c, "42P05", "prepared statement \"%s\" already exists", name);
		return;
	}
	/* the same text parsed before (pgbench's, a driver's unnamed
	 * statement Parse'd again for every Bind) is not parsed again */
	PgQuery__ParseResult *tree = rt_plancache_get(s->rt, sql, &e);
	if (!tree) {
		pgw_send_error(c, &e);
		return;
	}
	RtPlanMemo *memo = rt_plancache_memo(s->rt);
	if (tree->n_stmts > 1) {
		rt_plancache_release(s->rt, sql);
		pgw_send_errorf(c, "42601", "cannot insert multiple commands into a prepared statement");
		return;
	}
	const RtDesc *d = NULL;
	PgQuery__Node *node = tree->n_stmts == 1 ? tree->stmts[0]->stmt : NULL;
	PgQuery__FuncCall *call = node ? rt_placement_call(node) : NULL;
	if (call || (node && (node->node_case == PG_QUERY__NODE__NODE_FETCH_STMT ||
			      node->node_case == PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT))) {
		/* the router's own function or cursors: the shards do not know them */
		d = describe_local(s->rt, sql, call ? call->funcname[call->n_funcname - 1]->string->sval : NULL);
		if (!d) {
			rt_plancache_release(s->rt, sql);
			pgw_send_errorf(c, "53200", "out of memory");
			return;
		}
	} else if (node && !(d = cached(s->rt, sql, nparams, oids))) {
		/* the first shard describes it (a DECLARE: its query), while
		 * this session waits and the others go on */
		bool declare = node->node_case == PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT;
		char *query = declare ? pgn_deparse(node->declare_cursor_stmt->query) : NULL;
		bool asked = (!declare || query) &&
			     parse_describe(s, name, sql, tree, memo, declare ? query : sql, declare, nparams, oids);
		free(query);
		if (!asked) {
			rt_plancache_release(s->rt, sql);
			pgw_send_errorf(c, "53200", "out of memory");
		}
		return;
	}
	parse_complete(s, name, sql, tree, memo, d);
}

void rt_ext_bind(PgwConn *c, const PgwBind *b)
{
	RtSession *s = sess(c);
	RtStmt *st = stmt_find(s, b->statement);
	RtPortal *old = portal_find(s, b->portal);
	PgwBindTarget t = {.stmt_found = st != NULL,
			   .nparams = st && st->desc ? st->desc->nparams : 0,
			   .txn_failed = s->txn == RT_TXN_FAILED,
			   .ends_txn = st && (st->tree->n_stmts != 1 || st->tree->stmts[0]->stmt->node_case ==
									   PG_QUERY__NODE__NODE_TRANSACTION_STMT),
			   .portal_exists = old != NULL};
	PgwError e;
	if (!pgw_bind_check(b, &t, &e)) {
		pgw_send_error(c, &e);
		return;
	}
	if (old)
		portal_drop(s, old);
	RtPortal *p = portal_new(st, b);
	RtPortal **portals = p ? realloc(s->portals, sizeof(RtPortal *) * (size_t)(s->nportals + 1)) : NULL;
	if (!portals) {
		if (p)
			portal_free(p);
		pgw_send_errorf(c, "53200", "out of memory");
		return;
	}
	s->portals = portals;
	s->portals[s->nportals++] = p;
	pgw_send_bind_complete(c);
}

/* The format of result column i under Bind's result format codes: none
 * is text for all, one is for all, else one per column. */
static int result_format(int nres, const int16_t *fmts, int i)
{
	return nres == 0 ? 0 : nres == 1 ? fmts[0] : (i < nres ? fmts[i] : 0);
}

int rt_portal_format(const RtPortal *p, int i) { return result_format(p->nres, p->resfmts, i); }

static void send_fields(PgwConn *c, const RtDesc *d, int nres, const int16_t *fmts)
{
	if (!d || d->nfields == 0) {
		pgw_send_no_data(c);
		return;
	}
	PgwField few[16] = {{0}}, *f = d->nfields <= 16 ? few : calloc((size_t)d->nfields, sizeof(PgwField));
	if (!f) {
		pgw_send_errorf(c, "53200", "out of memory");
		return;
	}
	for (int i = 0; i < d->nfields; i++) {
		f[i] = d->fields[i];
		f[i].format = result_format(nres, fmts, i);
	}
	pgw_send_row_description(c, d->nfields, f);
	if (f != few)
		free(f);
}

/* Describe of a FETCH: its cursor's columns (NoData when there is no such
 * cursor); false for other statements. */
static bool describe_fetch(RtSession *s, const RtStmt *st)
{
	if (st->tree->n_stmts != 1 || st->tree->stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_FETCH_STMT)
		return false;
	PgQuery__FetchStmt *fs = st->tree->stmts[0]->stmt->fetch_stmt;
	if (fs->ismove || !rt_cursor_describe(s, fs->portalname))
		pgw_send_no_data(pgw_evconn_conn(s->ec));
	return true;
}

void rt_ext_describe(PgwConn *c, char kind, const char *name)
{
	RtSession *s = sess(c);
	if (kind == 'S') {
		RtStmt *st = stmt_find(s, name);
		if (!st) {
			pgw_send_errorf(c, "26000", "prepared statement \"%s\" does not exist", name);
			return;
		}
		pgw_send_parameter_description(c, st->desc ? st->desc->nparams : 0, st->desc ? st->desc->ptypes : NULL);
		if (!describe_fetch(s, st))
			send_fields(c, st->desc, 0, NULL);
		return;
	}
	RtPortal *p = portal_find(s, name);
	if (!p && name[0] && rt_cursor_describe(s, name))
		return; /* a DECLAREd cursor is a portal too */
	if (!p) {
		pgw_send_errorf(c, "34000", "portal \"%s\" does not exist", name);
		return;
	}
	if (!describe_fetch(s, p->stmt))
		send_fields(c, p->stmt->desc, p->nres, p->resfmts);
}

/* Hand out up to maxrows rows kept from an earlier Execute. */
static void serve_buffered(RtSession *s, RtPortal *p, int32_t maxrows)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	size_t off = 0;
	int64_t n = 0;
	while (p->nbuffered > 0 && (maxrows <= 0 || n < maxrows)) {
		uint32_t len = rd_be32(p->rows.data + off + 1);
		buf_put(&c->out, p->rows.data + off, (size_t)len + 1);
		off += (size_t)len + 1;
		p->nbuffered--;
		n++;
	}
	buf_consume(&p->rows, off);
	if (p->nbuffered > 0) {
		pgw_send_portal_suspended(c);
		return;
	}
	char tag[80];
	if (strncmp(p->tag, "SELECT", 6) == 0)
		snprintf(tag, sizeof(tag), "SELECT %lld", (long long)n);
	else
		snprintf(tag, sizeof(tag), "%s", p->tag);
	pgw_send_command_complete(c, tag);
	p->tag[0] = 0;
	snprintf(p->tag, sizeof(p->tag), "SELECT");
}

/* What an Execute waits for, in this order. */
typedef enum PrefetchKind {
	PF_CATALOG, /* (after planning) the catalog facts its plan needs: planned again */
	PF_TYPES,   /* the column types of its statement's tables */
	PF_SEQ,     /* its sequences' values */
	PF_LOOKUPS, /* the lookups of its WHERE */
	PF_PLACEMENT, /* a placement call's table rows */
} PrefetchKind;

/* An Execute waiting for the column types of its statement's tables. */
typedef struct ExecuteWait {
	RtSession *s;
	char *portal; /* owned */
	int32_t maxrows;
	PrefetchKind kind;
} ExecuteWait;

static void execute_ready(void *arg, bool cancelled)
{
	ExecuteWait *w = arg;
	RtSession *s = w->s;
	if (!cancelled) {
		s->types_ready = true;
		s->seq_ready = w->kind >= PF_SEQ;
		s->lookups_ready = w->kind >= PF_LOOKUPS;
		s->placement_ready = w->kind == PF_PLACEMENT;
		s->exec_waits = false;
		rt_ext_execute(pgw_evconn_conn(s->ec), w->portal, w->maxrows);
		if (!s->exec_waits && (!s->portal || s->copy))
			pgw_evconn_resume_reading(s->ec); /* answered (or a COPY reads its data) */
		(void)pgw_evconn_flush(s->ec);
	}
	free(w->portal);
	free(w);
}

/* A wait of the Execute of portal (maxrows) for kind; NULL out of memory. */
static ExecuteWait *execute_wait(RtSession *s, const char *portal, int32_t maxrows, PrefetchKind kind)
{
	ExecuteWait *w = calloc(1, sizeof(*w));
	if (!w || !(w->portal = strdup(portal))) {
		free(w);
		return NULL;
	}
	w->s = s;
	w->maxrows = maxrows;
	w->kind = kind;
	return w;
}

/* Plan node (text its text) for portal p (an Execute of maxrows) and
 * start it: true while shards answer, or while its plan waits for the
 * first shard's catalog (the Execute runs again then). */
static bool execute_plan(RtSession *s, RtPortal *p, PgQuery__Node *node, const char *text, int32_t maxrows)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	while (!rt_session_plan(s, p->stmt->memo, node, text, &p->params)) {
		ExecuteWait *w = execute_wait(s, p->name, maxrows, PF_CATALOG);
		if (w && rt_asks_wait(s, execute_ready, w)) {
			s->exec_waits = true;
			return true;
		}
		if (w) {
			free(w->portal);
			free(w);
			continue; /* nothing could be asked: planned again, it fails */
		}
		rt_asks_free(s);
		s->plan = (RtPlan){.stmt = node, .params = &p->params};
		rt_plan_refuse(&s->plan, "53200", "out of memory");
		break;
	}
	/* libpq asks a shard for one format for every column: for a mix, text,
	 * and the router writes the binary columns (rt_session_result); a
	 * DECLARE's rows are kept in text */
	int fmt = p->nres && !s->capture ? p->resfmts[0] : 0;
	for (int i = 1; i < p->nres && !s->capture; i++)
		if (p->resfmts[i] != fmt)
			p->transcode = true;
	if (p->transcode)
		fmt = 0;
	const RtOp *ms = rt_op_find(s->plan.root, RT_OP_MERGE_SORT);
	const RtOp *final = ms ? ms->alt : rt_op_find(s->plan.root, RT_OP_FINAL);
	if (final && final->final_params)
		rt_plan_refuse(&s->plan, NULL, "%s",
			       "a bound parameter outside WHERE in a statement with a final step over several shards (ORDER "
			       "BY, aggregates, ...) is not supported by the router yet");
	/* everything up to Sync is one transaction, as in PostgreSQL: a
	 * write over several shards, or one more statements may follow
	 * before Sync, commits there (or rolls back after an error); a lone
	 * write right before Sync commits as it runs */
	if (s->plan.root->kind != RT_OP_REFUSE && s->plan.write && s->txn == RT_TXN_IDLE &&
	    (s->plan.atomic || c->next_type != 'S'))
		s->implicit = true;
	RtExecArgs a = {.stmt = node,
			.text = text,
			.params = &p->params,
			.result_format = fmt,
			.resfmts = p->resfmts,
			.nresfmts = p->nres,
			.extended = true};
	bool sent = rt_exec_start(s, &s->plan, &a);
	return sent && (s->waiting > 0 || s->plan.root->kind == RT_OP_LOCAL);
}

/* Have the column types of node's tables asked of the first shard (or
 * its sequences' values reserved, or the lookups of its WHERE asked:
 * kind) before the Execute of portal p runs: true when they are known (or
 * cannot be asked: planning does without), false when the Execute runs
 * later. */
static bool execute_prefetch(RtSession *s, const PgQuery__Node *node, const RtPortal *p, const char *portal,
			     int32_t maxrows, PrefetchKind kind)
{
	ExecuteWait *w = execute_wait(s, portal, maxrows, kind);
	if (!w)
		return true;
	if (kind == PF_PLACEMENT ? rt_placement_prefetch(s, (PgQuery__Node *)node, execute_ready, w)
	    : kind == PF_LOOKUPS ? rt_lookup_prefetch(s, node, &p->params, execute_ready, w)
	    : kind == PF_SEQ ? rt_seq_prefetch(s->rt, node, rt_holds_first(s), execute_ready, w, s)
			     : rt_types_prefetch(s->rt, node, execute_ready, w, s)) {
		free(w->portal);
		free(w);
		return true;
	}
	pgw_evconn_pause_reading(s->ec);
	s->exec_waits = true;
	return false;
}

void rt_ext_execute(PgwConn *c, const char *name, int32_t maxrows)
{
	RtSession *s = sess(c);
	RtPortal *p = portal_find(s, name);
	if (!p) {
		pgw_send_errorf(c, "34000", "portal \"%s\" does not exist", name);
		return;
	}
	if (p->complete) {
		serve_buffered(s, p, maxrows);
		return;
	}
	RtStmt *st = p->stmt;
	if (st->tree->n_stmts == 0) {
		pgw_send_empty_query(c);
		return;
	}
	PgQuery__Node *node = st->tree->stmts[0]->stmt;
	if (!s->types_ready && st->types_known != s->rt->types_gen + 1) {
		if (!rt_types_known(s->rt, node)) {
			if (!execute_prefetch(s, node, p, name, maxrows, PF_TYPES))
				return; /* it runs when its tables' columns have come */
		} else {
			st->types_known = s->rt->types_gen + 1; /* until the next DDL */
		}
	}
	s->types_ready = false;
	if (!s->seq_ready &&
	    (node->node_case == PG_QUERY__NODE__NODE_INSERT_STMT || node->node_case == PG_QUERY__NODE__NODE_COPY_STMT ||
	     rt_seq_call(node)) &&
	    !execute_prefetch(s, node, p, name, maxrows, PF_SEQ))
		return; /* it runs when its sequences' values are reserved */
	s->seq_ready = false;
	if (!s->lookups_ready &&
	    (node->node_case == PG_QUERY__NODE__NODE_SELECT_STMT || node->node_case == PG_QUERY__NODE__NODE_EXPLAIN_STMT) &&
	    !execute_prefetch(s, node, p, name, maxrows, PF_LOOKUPS))
		return; /* it runs when the lookups of its WHERE are answered */
	s->lookups_ready = false;
	if (!s->placement_ready && rt_placement_call(node) && !execute_prefetch(s, node, p, name, maxrows, PF_PLACEMENT))
		return; /* it runs when a placement call's table rows are counted */
	s->placement_ready = false;
	const char *text = st->desc->sql;
	rt_reset_statement(s);
	s->cur = node;
	free(s->cur_text);
	s->cur_text = strdup(text);
	s->stmt_char_offset = 0;
	s->portal = p;
	s->log_portal = p;
	s->maxrows = maxrows;
	p->started = true;

	char *query = NULL;
	if (node->node_case == PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT) {
		/* the cursor's query runs now, its rows kept in the router */
		PgwError e;
		if (!rt_cursor_declare(s, node->declare_cursor_stmt, &query, &e)) {
			rt_send_error(s, &e);
			rt_statement_finished(s);
			s->portal = NULL;
			p->complete = true;
			return;
		}
		node = node->declare_cursor_stmt->query;
		text = query;
	}
	bool waiting = execute_plan(s, p, node, text, maxrows);
	free(query);
	if (!waiting)
		rt_cursor_finish(s); /* a DECLARE answered at once (refused, most often) */
	if (waiting) {
		if (!s->copy)
			pgw_evconn_pause_reading(s->ec); /* a COPY FROM STDIN reads its data */
		return;
	}
	/* answered here (or refused) */
	rt_statement_finished(s);
	s->portal = NULL;
	p->complete = true;
}

void rt_ext_done(RtSession *s)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	RtPortal *p = s->portal;
	s->portal = NULL;
	if (!s->stmt_error && p) {
		char tag[80];
		rt_statement_tag(s, s->rows_sent, tag, sizeof(tag));
		p->complete = true;
		if (p->nbuffered > 0) {
			buf_copy_str(p->tag, sizeof(p->tag), tag);
			pgw_send_portal_suspended(c);
		} else {
			pgw_send_command_complete(c, tag);
			buf_copy_str(p->tag, sizeof(p->tag), strncmp(tag, "SELECT", 6) == 0 ? "SELECT" : tag);
		}
	} else if (p) {
		p->complete = true;
	}
	rt_statement_finished(s); /* after CommandComplete: ParameterStatus follows it */
	/* reading on processes the client's next message (Sync, most often)
	 * and then sends the replies together */
	pgw_evconn_resume_reading(s->ec);
}

bool rt_ext_deallocate(RtSession *s, const char *name)
{
	if (!name || !name[0]) {
		/* the named ones: the unnamed statement (perhaps this very
		 * DEALLOCATE ALL) is not a prepared statement to SQL */
		for (int i = s->nstmts - 1; i >= 0; i--)
			if (s->stmts[i]->name[0])
				stmt_drop(s, s->stmts[i]);
		return true;
	}
	RtStmt *st = stmt_find(s, name);
	if (!st)
		return false;
	stmt_drop(s, st);
	return true;
}

void rt_ext_close(PgwConn *c, char kind, const char *name)
{
	RtSession *s = sess(c);
	if (kind == 'S') {
		RtStmt *st = stmt_find(s, name);
		if (st)
			stmt_drop(s, st);
	} else {
		RtPortal *p = portal_find(s, name);
		if (p)
			portal_drop(s, p);
	}
	pgw_send_close_complete(c);
}

void rt_ext_sync(PgwConn *c)
{
	RtSession *s = sess(c);
	/* outside a transaction block, portals end with the implicit transaction */
	if (s->txn == RT_TXN_IDLE)
		while (s->nportals > 0)
			portal_drop(s, s->portals[s->nportals - 1]);
	bool failed = s->query_failed;
	s->query_failed = false;
	if (s->implicit && s->nparts > 0) {
		/* a write over several shards since the last Sync commits (or
		 * rolls back) on all of them; ReadyForQuery follows */
		s->ending = true;
		rt_reset_statement(s);
		s->cur = NULL;
		if (rt_txn_finish(s, !failed)) {
			pgw_evconn_pause_reading(s->ec);
			return;
		}
		s->ending = false;
		rt_txn_reset(s);
	}
	s->implicit = false;
	rt_send_ready(s);
	(void)pgw_evconn_flush(s->ec);
}
