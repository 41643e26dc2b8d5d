/*
 * show.c - the SHOW commands the router answers from its own state, as
 * one table: each row a name and the function that answers it.  The
 * planner finds a SHOW here (rt_show_find) to plan it as a Show
 * operator; any other SHOW goes to a shard.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "router/ops.h"
#include "router/replication.h"
#include "router/router.h"

/* The RowDescription, unless an Execute runs the SHOW (Describe sent it). */
void rt_show_row_description(RtSession *s, int n, const PgwField *f)
{
	if (!s->portal)
		pgw_send_row_description(pgw_evconn_conn(s->ec), n, f);
}

/* One DataRow of text values (none NULL), appended to out. */
void rt_put_text_row(Buf *out, int n, const char *const *vals)
{
	buf_msg_begin(out, 'D');
	buf_put_u16(out, (uint16_t)n);
	for (int k = 0; k < n; k++) {
		buf_put_u32(out, (uint32_t)strlen(vals[k]));
		buf_put_str(out, vals[k]);
	}
	buf_msg_end(out);
}

void rt_shard_address(const VscShard *sh, char *out, size_t n)
{
	if (sh->host)
		snprintf(out, n, "%s:%d", sh->host, sh->port);
	else
		snprintf(out, n, "%s/.s.PGSQL.%d", sh->socket_dir, sh->port);
}

/* SHOW VSCHEMA: every table the VSchema places, and how. */
static void show_vschema(RtSession *s)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwField f[4] = {{"table", 0, 0, 25, -1, -1, 0}, {"placement", 0, 0, 25, -1, -1, 0},
			 {"vindex", 0, 0, 25, -1, -1, 0}, {"shards", 0, 0, 25, -1, -1, 0}};
	rt_show_row_description(s, 4, f);
	const VscSchema *vs = s->rt->vschema;
	int n = vsc_table_count(vs);
	for (int i = 0; i < n; i++) {
		const VscTable *t = vsc_table_at(vs, i);
		char vindex[256] = "", shards[256] = "";
		if (t->placement == VSC_SHARDED) {
			const VscColumnVindex *cv = &t->col_vindexes[0];
			size_t len = (size_t)snprintf(vindex, sizeof(vindex), "%s(%s", cv->vindex->name, cv->column);
			for (int k = 1; k < cv->vindex->ncolumns && len < sizeof(vindex); k++) /* region, multicol */
				len += (size_t)snprintf(vindex + len, sizeof(vindex) - len, ", %s", cv->columns[k]);
			if (len < sizeof(vindex) - 1)
				snprintf(vindex + len, sizeof(vindex) - len, ")");
		}
		if (t->placement == VSC_PINNED)
			snprintf(shards, sizeof(shards), "%s", vsc_shard(vs, t->shard)->name);
		else
			snprintf(shards, sizeof(shards), "%d", vsc_shard_count(vs));
		const char *vals[4] = {t->name, vsc_placement_str(t->placement), vindex, shards};
		rt_put_text_row(&c->out, 4, vals);
	}
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", n);
	pgw_send_command_complete(c, tag);
}

/* SHOW STATS: per shard, the statements the router sent it, the errors
 * they returned, the rows it received, the most of them an ORDER BY merge
 * kept at once and the times a merge held it back for a client that had
 * not read the rows sent, since the router started. */
static void show_stats(RtSession *s)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwField f[8] = {{"shard", 0, 0, 25, -1, -1, 0},
			 {"address", 0, 0, 25, -1, -1, 0},
			 {"statements", 0, 0, 20, 8, -1, 0},
			 {"errors", 0, 0, 20, 8, -1, 0},
			 {"rows", 0, 0, 20, 8, -1, 0},
			 {"merge_held_max", 0, 0, 20, 8, -1, 0},
			 {"merge_waits", 0, 0, 20, 8, -1, 0},
			 {"prepared", 0, 0, 20, 8, -1, 0}};
	rt_show_row_description(s, 8, f);
	const VscSchema *vs = s->rt->vschema;
	int n = vsc_shard_count(vs);
	for (int i = 0; i < n; i++) {
		const VscShard *sh = vsc_shard(vs, i);
		char addr[300], st[24], er[24], rows[24], held[24], waits[24], prep[24];
		rt_shard_address(sh, addr, sizeof(addr));
		snprintf(st, sizeof(st), "%" PRIu64, s->rt->stats[i].statements);
		snprintf(er, sizeof(er), "%" PRIu64, s->rt->stats[i].errors);
		snprintf(rows, sizeof(rows), "%" PRIu64, s->rt->stats[i].rows);
		snprintf(held, sizeof(held), "%" PRIu64, s->rt->stats[i].held_max);
		snprintf(waits, sizeof(waits), "%" PRIu64, s->rt->stats[i].merge_waits);
		snprintf(prep, sizeof(prep), "%" PRIu64, s->rt->stats[i].prepared);
		const char *vals[8] = {sh->name, addr, st, er, rows, held, waits, prep};
		rt_put_text_row(&c->out, 8, vals);
	}
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", n);
	pgw_send_command_complete(c, tag);
}

/* SHOW POOLS: per shard, the connections sessions hold, those idle in
 * the pool, and how many were opened, closed and handed to a session
 * since the router started. */
static void show_pools(RtSession *s)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwField f[6] = {{"shard", 0, 0, 25, -1, -1, 0},  {"active", 0, 0, 20, 8, -1, 0},
			 {"idle", 0, 0, 20, 8, -1, 0},    {"opened", 0, 0, 20, 8, -1, 0},
			 {"closed", 0, 0, 20, 8, -1, 0},  {"taken", 0, 0, 20, 8, -1, 0}};
	rt_show_row_description(s, 6, f);
	int n = vsc_shard_count(s->rt->vschema);
	for (int i = 0; i < n; i++) {
		RtPoolStats st;
		rt_pool_stats(s->rt, i, &st);
		char a[24], id[24], op[24], cl[24], tk[24];
		snprintf(a, sizeof(a), "%d", st.active);
		snprintf(id, sizeof(id), "%d", st.idle);
		snprintf(op, sizeof(op), "%" PRIu64, st.opened);
		snprintf(cl, sizeof(cl), "%" PRIu64, st.closed);
		snprintf(tk, sizeof(tk), "%" PRIu64, st.taken);
		const char *vals[6] = {vsc_shard(s->rt->vschema, i)->name, a, id, op, cl, tk};
		rt_put_text_row(&c->out, 6, vals);
	}
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", n);
	pgw_send_command_complete(c, tag);
}

/* SHOW PLAN_CACHE: query strings whose parse tree is kept, how often one
 * was found there, and the statements run from a plan kept with their
 * tree (plan_hits) or planned (plan_misses). */
static void show_plan_cache(RtSession *s)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwField f[5] = {{"entries", 0, 0, 20, 8, -1, 0},
			 {"hits", 0, 0, 20, 8, -1, 0},
			 {"misses", 0, 0, 20, 8, -1, 0},
			 {"plan_hits", 0, 0, 20, 8, -1, 0},
			 {"plan_misses", 0, 0, 20, 8, -1, 0}};
	rt_show_row_description(s, 5, f);
	int n;
	uint64_t counts[4];
	rt_plancache_stats(s->rt, &n, &counts[0], &counts[1]);
	rt_plancache_plan_stats(s->rt, &counts[2], &counts[3]);
	char text[5][24];
	const char *vals[5];
	snprintf(text[0], sizeof(text[0]), "%d", n);
	vals[0] = text[0];
	for (int i = 0; i < 4; i++) {
		snprintf(text[i + 1], sizeof(text[i + 1]), "%" PRIu64, counts[i]);
		vals[i + 1] = text[i + 1];
	}
	rt_put_text_row(&c->out, 5, vals);
	pgw_send_command_complete(c, "SHOW 1");
}

typedef struct ShowTxn {
	RtSession *s;
	int n;
} ShowTxn;

static void show_one_transaction(void *arg, const char *gid, const char *shards)
{
	ShowTxn *st = arg;
	char names[1024] = "";
	size_t len = 0;
	for (const char *p = shards; *p;) {
		char *end;
		long i = strtol(p, &end, 10);
		if (end == p)
			break;
		if (i >= 0 && i < vsc_shard_count(st->s->rt->vschema))
			len += (size_t)snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0, "%s%s",
						len ? "," : "", vsc_shard(st->s->rt->vschema, (int)i)->name);
		p = *end == ',' ? end + 1 : end;
	}
	const char *vals[3] = {gid, "committing", names};
	rt_put_text_row(&pgw_evconn_conn(st->s->ec)->out, 3, vals);
	st->n++;
}

/* SHOW TRANSACTIONS: the in-doubt transactions, decided to commit and not
 * yet committed on every shard (recovery finishes them). */
static void show_transactions(RtSession *s)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwField f[3] = {{"gid", 0, 0, 25, -1, -1, 0}, {"state", 0, 0, 25, -1, -1, 0}, {"shards", 0, 0, 25, -1, -1, 0}};
	rt_show_row_description(s, 3, f);
	ShowTxn st = {s, 0};
	rt_coord_foreach_open(s->rt->coord, show_one_transaction, &st);
	char tag[32];
	snprintf(tag, sizeof(tag), "SHOW %d", st.n);
	pgw_send_command_complete(c, tag);
}


/* SHOW SLOTS asks every shard: true while it waits for them. */
static bool show_slots(RtSession *s) { return !rt_repl_show_slots(s); }

/* A SHOW answered at once (run) or one that asks the shards (start, true
 * while the answer is under way). */
static const struct {
	const char *name;
	void (*run)(RtSession *s);
	bool (*start)(RtSession *s);
} show_map[] = {
	{"vschema", show_vschema, NULL},
	{"stats", show_stats, NULL},
	{"transactions", show_transactions, NULL},
	{"plan_cache", show_plan_cache, NULL},
	{"pools", show_pools, NULL},
	{"slots", NULL, show_slots},
	{"shards", rt_show_shards, NULL},
	{"clients", rt_show_clients, NULL},
	{"servers", rt_show_servers, NULL},
	{"config", rt_show_config, NULL},
	{"lists", rt_show_lists, NULL},
	{"version", rt_show_version, NULL},
	{"lookup_backfill", rt_show_backfill, NULL},
};

#define NSHOWS ((int)(sizeof(show_map) / sizeof(show_map[0])))

int rt_show_find(const char *name)
{
	for (int i = 0; name && i < NSHOWS; i++)
		if (strcasecmp(name, show_map[i].name) == 0)
			return i;
	return -1;
}

const char *rt_show_name(int show) { return show >= 0 && show < NSHOWS ? show_map[show].name : "?"; }

bool rt_show_run(RtSession *s, int show)
{
	assert(show >= 0 && show < NSHOWS);
	if (show_map[show].start)
		return show_map[show].start(s);
	show_map[show].run(s);
	return false;
}
