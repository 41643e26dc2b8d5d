/*
 * catalog.c - the router's catalog: the column types, typmods and positions
 * of the shards' tables, and the types of expressions the planner asked
 * about, learned from the first shard and kept until the next DDL.  A
 * statement's tables are fetched before it is planned (rt_types_prefetch,
 * over the describer's connection, without blocking the loop); the
 * lookups the planner makes through RtPlanner come here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "router/plan_int.h"

#define MAX_LEARNED 4096 /* expression types kept only below this many learned types */

typedef RtTables Tables;

/* The hash of a learned type's key: name's, seeded with table's. */
static uint64_t type_hash(const char *table, const char *name)
{
	return XXH64(name, strlen(name), XXH64(table, strlen(table), 0));
}

/* The type learned for table and name (a column, or an expression's
 * SELECT), or NULL.  Every statement's plan asks (a column's type for its
 * vindex), so the types are found through a hash index, not a scan. */
static const struct RtColType *learned(const RtRouter *rt, const char *table, const char *name)
{
	if (rt->types_slots == 0)
		return NULL;
	uint64_t h = type_hash(table, name);
	for (size_t i = (size_t)h & (size_t)(rt->types_slots - 1);; i = (i + 1) & (size_t)(rt->types_slots - 1)) {
		int k = rt->types_index[i];
		if (k == 0)
			return NULL;
		const struct RtColType *t = &rt->types[k - 1];
		if (t->hash == h && strcmp(t->table, table) == 0 && strcmp(t->column, name) == 0)
			return t;
	}
}

/* Put types[k] into the index. */
static void index_put(RtRouter *rt, int k)
{
	size_t i = (size_t)rt->types[k].hash & (size_t)(rt->types_slots - 1);
	while (rt->types_index[i] != 0)
		i = (i + 1) & (size_t)(rt->types_slots - 1);
	rt->types_index[i] = k + 1;
}

/* Make room in the index for one more type; false when out of memory. */
static bool index_reserve(RtRouter *rt)
{
	if (2 * (rt->ntypes + 1) <= rt->types_slots)
		return true;
	int slots = rt->types_slots ? 2 * rt->types_slots : 64;
	int *index = calloc((size_t)slots, sizeof(int));
	if (!index)
		return false;
	free(rt->types_index);
	rt->types_index = index;
	rt->types_slots = slots;
	for (int k = 0; k < rt->ntypes; k++)
		index_put(rt, k);
	return true;
}

/* Keep a type learned for table and name, until the next DDL. */
static void learn(RtRouter *rt, const char *table, const char *name, uint32_t oid, int32_t typmod)
{
	if (!index_reserve(rt))
		return;
	struct RtColType *t = realloc(rt->types, sizeof(*rt->types) * (size_t)(rt->ntypes + 1));
	if (!t)
		return;
	rt->types = t;
	t += rt->ntypes;
	t->table = strdup(table);
	t->column = strdup(name);
	t->hash = type_hash(table, name);
	t->oid = oid;
	t->typmod = typmod;
	if (t->table && t->column) {
		index_put(rt, rt->ntypes++);
	} else {
		free(t->table);
		free(t->column);
	}
}

/* The learned-types key marking a table whose columns were all learned
 * (rt_types_prefetch): a column not learned is not there. */
#define LOADED_KEY "@loaded"

/* The learned-types key of a column's position. */
#define POSITION_KEY "@position "

static void position_key(char *key, size_t n, const char *column)
{
	snprintf(key, n, POSITION_KEY "%s", column);
}

/* A prefetch of the column types of a statement's tables. */
typedef struct Prefetch {
	RtRouter *rt;
	int pending; /* queries not answered yet */
	bool cancelled;
	RtTypesReady ready;
	void *arg;
} Prefetch;

typedef struct PrefetchTable {
	Prefetch *p;
	char *table; /* owned */
} PrefetchTable;

/* A table's columns came (r), or could not be asked (r NULL: the lookups
 * ask again when planning), or the asker went. */
static void table_columns(void *arg, PGresult *r, bool cancelled)
{
	PrefetchTable *pt = arg;
	Prefetch *p = pt->p;
	RtRouter *rt = p->rt;
	p->cancelled = p->cancelled || cancelled;
	if (!cancelled && PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) == 3 && !learned(rt, pt->table, LOADED_KEY) &&
	    rt->ntypes + 2 * PQntuples(r) < MAX_LEARNED) {
		for (int i = 0; i < PQntuples(r); i++) {
			const char *name = PQgetvalue(r, i, 0);
			char key[128];
			position_key(key, sizeof(key), name);
			if (!learned(rt, pt->table, name))
				learn(rt, pt->table, name, (uint32_t)strtoul(PQgetvalue(r, i, 1), NULL, 10),
				      (int32_t)strtol(PQgetvalue(r, i, 2), NULL, 10));
			if (!learned(rt, pt->table, key))
				learn(rt, pt->table, key, (uint32_t)i + 1, -1);
		}
		learn(rt, pt->table, LOADED_KEY, 0, -1);
	}
	PQclear(r);
	free(pt->table);
	free(pt);
	if (--p->pending > 0)
		return;
	p->ready(p->arg, p->cancelled);
	free(p);
}

/* Whether table i of t needs its columns asked: not a CTE, not loaded,
 * not named before. */
static bool to_load(const RtRouter *rt, const Tables *t, int i)
{
	if (!t->names[i] || rt_tables_is_cte(t, t->names[i]) || learned(rt, t->names[i], LOADED_KEY))
		return false;
	for (int k = 0; k < i; k++)
		if (strcmp(t->names[k], t->names[i]) == 0)
			return false;
	return true;
}

/* The tables stmt names, and the lookup tables of their lookup vindexes
 * (a write keeps their rows, placed by the type of their vindex column). */
static void collect(const RtRouter *rt, const PgQuery__Node *stmt, Tables *t)
{
	rt_tables_collect(stmt, t);
	for (int i = 0, n = t->n; i < n; i++) {
		const VscTable *vt = t->names[i] ? vsc_table(rt->vschema, t->names[i]) : NULL;
		for (int k = 1; vt && vt->placement == VSC_SHARDED && k < vt->n_col_vindexes && t->n < RT_MAX_TABLES; k++)
			if (vsc_vindex_is_lookup(vt->col_vindexes[k].vindex))
				t->names[t->n++] = vt->col_vindexes[k].vindex->lookup_table;
	}
}

bool rt_types_known(const RtRouter *rt, const PgQuery__Node *stmt)
{
	Tables t;
	collect(rt, stmt, &t);
	for (int i = 0; i < t.n; i++)
		if (to_load(rt, &t, i))
			return false;
	return true;
}

/* Ask the columns of t's tables not learned yet: as rt_types_prefetch. */
static bool prefetch_tables(RtRouter *rt, const Tables *t, RtTypesReady ready, void *arg, const void *owner)
{
	Prefetch *p = NULL;
	for (int i = 0; i < t->n; i++) {
		if (!to_load(rt, t, i))
			continue;
		if (!p && !(p = calloc(1, sizeof(*p))))
			return true; /* the lookups ask when planning */
		PrefetchTable *pt = calloc(1, sizeof(*pt));
		if (!pt || !(pt->table = strdup(t->names[i]))) {
			free(pt);
			break;
		}
		pt->p = p;
		p->pending++;
		const char *params[1] = {pt->table};
		if (!rt_meta_query_async(rt,
					 "select a.attname, a.atttypid, a.atttypmod from pg_attribute a join pg_class c"
					 " on c.oid = a.attrelid where c.relname = $1 and a.attnum > 0 and not a.attisdropped"
					 " order by a.attnum",
					 1, params, table_columns, pt, owner)) {
			p->pending--;
			free(pt->table);
			free(pt);
			break;
		}
	}
	if (!p || p->pending == 0) {
		free(p);
		return true;
	}
	p->rt = rt;
	p->ready = ready;
	p->arg = arg;
	return false;
}

bool rt_types_prefetch(RtRouter *rt, const PgQuery__Node *stmt, RtTypesReady ready, void *arg, const void *owner)
{
	Tables t;
	collect(rt, stmt, &t);
	return prefetch_tables(rt, &t, ready, arg, owner);
}

bool rt_types_prefetch_table(RtRouter *rt, const char *table, RtTypesReady ready, void *arg, const void *owner)
{
	Tables t = {.n = 1, .names = {table}};
	return prefetch_tables(rt, &t, ready, arg, owner);
}

uint32_t rt_column_type_mod(RtRouter *rt, const char *table, const char *column, int32_t *typmod)
{
	*typmod = -1;
	const struct RtColType *known = learned(rt, table, column);
	if (known) {
		*typmod = known->typmod;
		return known->oid;
	}
	if (learned(rt, table, LOADED_KEY))
		return 0; /* every column of it is known: it has no such column */
	if (rt->planning) {
		/* asked on the loop when planning ends (catalog_ask.c) */
		const RtAskAnswer *a = rt_ask(rt->planning, RT_ASK_COLUMN, table, column);
		*typmod = a ? a->typmod : -1;
		return a ? a->oid : 0;
	}
	/* ask the first shard's catalog, once (schemas are the same everywhere) */
	PgwError err;
	PGconn *pg = rt_meta_conn(rt, &err);
	uint32_t oid = 0;
	if (pg) {
		const char *params[2] = {table, column};
		PGresult *res = PQexecParams(pg,
					     "select a.atttypid, a.atttypmod from pg_attribute a join pg_class c on c.oid = a.attrelid"
					     " where c.relname = $1 and a.attname = $2",
					     2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			oid = (uint32_t)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
			*typmod = (int32_t)strtol(PQgetvalue(res, 0, 1), NULL, 10);
		}
		PQclear(res);
	}
	if (oid)
		learn(rt, table, column, oid, *typmod);
	return oid;
}

int rt_column_position(RtRouter *rt, const char *table, const char *column)
{
	char key[128];
	position_key(key, sizeof(key), column);
	const struct RtColType *known = learned(rt, table, key);
	if (known)
		return (int)known->oid - 1;
	if (learned(rt, table, LOADED_KEY))
		return -1;
	if (rt->planning) {
		const RtAskAnswer *a = rt_ask(rt->planning, RT_ASK_COLUMN, table, column);
		return a ? a->position : -1;
	}
	PgwError err;
	PGconn *pg = rt_meta_conn(rt, &err);
	int pos = -1;
	if (pg) {
		const char *params[2] = {table, column};
		PGresult *res = PQexecParams(pg,
					     "select (select count(*) from pg_attribute b where b.attrelid = a.attrelid and b.attnum > 0"
					     " and b.attnum < a.attnum and not b.attisdropped) from pg_attribute a join pg_class c"
					     " on c.oid = a.attrelid where c.relname = $1 and a.attname = $2 and a.attnum > 0",
					     2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			pos = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (pos >= 0 && rt->ntypes < MAX_LEARNED)
		learn(rt, table, key, (uint32_t)pos + 1, -1);
	return pos;
}

void rt_column_learn(RtRouter *rt, const char *table, const char *column, const RtAskAnswer *a)
{
	if (a->oid && !learned(rt, table, column))
		learn(rt, table, column, a->oid, a->typmod);
	char key[128];
	position_key(key, sizeof(key), column);
	if (a->position >= 0 && rt->ntypes < MAX_LEARNED && !learned(rt, table, key))
		learn(rt, table, key, (uint32_t)a->position + 1, -1);
}

bool rt_columns_loaded(const RtRouter *rt, const char *table) { return learned(rt, table, LOADED_KEY) != NULL; }

int rt_column_count(RtRouter *rt, const char *table)
{
	int n = 0;
	for (int i = 0; i < rt->ntypes; i++)
		n += strcmp(rt->types[i].table, table) == 0 &&
		     strncmp(rt->types[i].column, POSITION_KEY, sizeof(POSITION_KEY) - 1) == 0;
	return n;
}

void rt_column_types_learn_create(RtRouter *rt, const PgQuery__CreateStmt *cs)
{
	int position = 0;
	static const struct {
		const char *name, *as;
	} serials[] = {{"serial", "int4"}, {"serial4", "int4"}, {"bigserial", "int8"}, {"serial8", "int8"},
		       {"smallserial", "int2"}, {"serial2", "int2"}};
	for (size_t i = 0; cs->relation && i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];
		if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF || !n->column_def->type_name)
			continue;
		const PgQuery__ColumnDef *cd = n->column_def;
		const PgQuery__TypeName *tn = cd->type_name;
		char key[128];
		position_key(key, sizeof(key), cd->colname);
		if (!learned(rt, cs->relation->relname, key))
			learn(rt, cs->relation->relname, key, (uint32_t)++position, -1);
		const PgQuery__Node *last = tn->n_names ? tn->names[tn->n_names - 1] : NULL;
		const char *name = last && last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : "";
		for (size_t k = 0; k < sizeof(serials) / sizeof(serials[0]); k++)
			if (strcmp(name, serials[k].name) == 0)
				name = serials[k].as;
		const PgType *t = pgt_by_name(name);
		if (!t)
			continue;
		uint32_t oid = tn->n_array_bounds ? t->array_oid : t->oid;
		int32_t mod = -1, arg[2] = {-1, 0};
		for (size_t k = 0; k < tn->n_typmods && k < 2; k++)
			if (tn->typmods[k]->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			    tn->typmods[k]->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
				arg[k] = tn->typmods[k]->a_const->ival->ival;
		if (oid == PGT_NUMERIC && arg[0] > 0)
			mod = pgt_typmod_numeric(arg[0], arg[1]);
		else if ((oid == PGT_VARCHAR || oid == PGT_BPCHAR) && arg[0] > 0)
			mod = arg[0] + 4;
		if (oid && !learned(rt, cs->relation->relname, cd->colname))
			learn(rt, cs->relation->relname, cd->colname, oid, mod);
	}
}

/* The type of sql's one column, learned once from the first shard's
 * description. */
uint32_t rt_select_type(RtRouter *rt, const char *table, const char *sql)
{
	const struct RtColType *known = learned(rt, table, sql);
	if (known)
		return known->oid;
	if (rt->planning) {
		const RtAskAnswer *a = rt_ask(rt->planning, RT_ASK_SELECT, table, sql);
		return a ? a->oid : 0;
	}
	PgwError err;
	RtDesc *d = rt_describe_new(rt, sql, 0, NULL, &err);
	uint32_t oid = d && d->nfields == 1 ? d->fields[0].type_oid : 0;
	if (oid && rt->ntypes < MAX_LEARNED)
		learn(rt, table, sql, oid, d->fields[0].typmod);
	rt_desc_free(d);
	return oid;
}

void rt_select_learn(RtRouter *rt, const char *table, const char *sql, const RtAskAnswer *a)
{
	if (a->oid && rt->ntypes < MAX_LEARNED && !learned(rt, table, sql))
		learn(rt, table, sql, a->oid, a->typmod);
}

uint32_t rt_column_type(RtRouter *rt, const char *table, const char *column)
{
	int32_t typmod;
	return rt_column_type_mod(rt, table, column, &typmod);
}

void rt_column_types_forget(RtRouter *rt)
{
	rt->types_gen++;
	for (int i = 0; i < rt->ntypes; i++) {
		free(rt->types[i].table);
		free(rt->types[i].column);
	}
	free(rt->types);
	rt->types = NULL;
	rt->ntypes = 0;
	free(rt->types_index);
	rt->types_index = NULL;
	rt->types_slots = 0;
}

/* The router's catalog: its first shard's, asked once per fact. */
static uint32_t router_column_type(void *arg, const char *table, const char *column, int32_t *typmod)
{
	return rt_column_type_mod(arg, table, column, typmod);
}

static int router_column_position(void *arg, const char *table, const char *column)
{
	return rt_column_position(arg, table, column);
}

static uint32_t router_select_type(void *arg, const char *table, const char *sql)
{
	return rt_select_type(arg, table, sql);
}

static int router_sequence_columns(void *arg, const char *table, RtSeqColumn *cols)
{
	return rt_seq_columns(arg, table, cols);
}

static bool router_sequence_next(void *arg, const char *seq, int64_t *value, PgwError *err)
{
	RtRouter *rt = arg;
	if (!rt_seq_next(rt, seq, value, err))
		return false;
	if (rt->planning)
		rt_seq_note(rt->planning, seq, *value); /* currval and lastval see it */
	return true;
}

static int router_lookup_shards(void *arg, const VscVindex *v, const char *value, int *shards, int max)
{
	RtRouter *rt = arg;
	return rt_lookup_found(rt->planning, v, value, shards, max);
}

void rt_router_planner(RtRouter *rt, RtPlanner *pl)
{
	*pl = (RtPlanner){.vschema = rt->vschema,
			  .catalog = {.column_type = router_column_type,
				      .column_position = router_column_position,
				      .select_type = router_select_type,
				      .sequence_columns = router_sequence_columns,
				      .sequence_next = router_sequence_next,
				      .lookup_shards = router_lookup_shards,
				      .arg = rt}};
}

bool rt_session_plan(RtSession *s, RtPlanMemo *m, PgQuery__Node *stmt, const char *text, const RtParams *params)
{
	RtPlanner pl;
	rt_router_planner(s->rt, &pl);
	if (s->txn != RT_TXN_IDLE || s->implicit)
		pl.catalog.lookup_shards = NULL; /* its own writes are not on the lookup's connection */
	rt_plan_release(s);
	s->rt->planning = s;
	s->rt->plan_gen++;
	bool kept = rt_plan_kept(&pl, s->rt->types_gen, m, stmt, text, params, &s->plan);
	s->rt->planning = NULL;
	if (rt_asks_unsent(s)) {
		/* planned without facts the first shard is asked for now: planned again when they come */
		rt_plan_release(s);
		rt_seq_give_back(s->rt);
		if (m)
			m->vschema = NULL;
		return false;
	}
	PgwError e;
	if (rt_asks_failed(s, &e)) {
		rt_plan_release(s);
		s->plan = (RtPlan){.stmt = stmt, .params = params};
		rt_plan_refuse(&s->plan, e.sqlstate, "%s", e.message);
		if (m)
			m->vschema = NULL;
	}
	rt_asks_free(s);
	rt_plancache_count_plan(s->rt, kept);
	rt_lookup_reads_free(s);
	return true;
}
