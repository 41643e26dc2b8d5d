/*
 * merge.c - the final step of a cross-shard query, run by the same
 * PostgreSQL-to-SQLite engine as the shards, in a private in-memory
 * database: the rows the shards return for the query's table (filtered by
 * its WHERE where that can be pushed down) are loaded into a table of the
 * same name and columns, and the client's statement runs over it.  ORDER
 * BY, LIMIT, aggregates, GROUP BY, HAVING and DISTINCT thus give
 * PostgreSQL's answers whatever their shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"
#include "pgsql/local.h"
#include "pgsql/translate.h"

/* A table of the local database: a query's table, or one intermediate
 * result of a gather. */
typedef struct LocalTable {
	char *name;           /* owned */
	char *sql;            /* owned: its CREATE TABLE */
	sqlite3_stmt *insert; /* owned: the INSERT into it */
	uint64_t merge;       /* the merge that loaded it last */
} LocalTable;

#define MAX_LOCAL_TABLES 64

struct RtMerge {
	PgsLocal *local;   /* owned */
	char *table;       /* owned: the table rows go to now */
	sqlite3_stmt *insert; /* borrowed from tables[]: the INSERT into it */
	int ncols;
	uint32_t *types; /* owned */
	int32_t *typmods;
	bool created;    /* the local table for this merge's rows is there */
	uint64_t bytes;  /* the rows' text loaded by this merge */
	LocalTable tables[MAX_LOCAL_TABLES]; /* the tables the local database has */
	int ntables;
	uint64_t serial; /* this merge's number, for LocalTable.merge */
	bool analyzed;   /* its tables have statistics (rt_merge_analyze) */
};

static uint64_t merge_serial;

/* The bytes of rows a statement's final step may load: past router_work_mem
 * the local database's pages go to a temporary file, past
 * max_intermediate_result_size the statement fails with 54000. */
static int64_t work_mem_kb = 64 * 1024;
static int64_t max_intermediate = (int64_t)1 << 30;

void rt_merge_limits(int64_t work_mem_bytes, int64_t max_result_bytes)
{
	if (work_mem_bytes > 0)
		work_mem_kb = work_mem_bytes / 1024 > 0 ? work_mem_bytes / 1024 : 1;
	if (max_result_bytes != 0)
		max_intermediate = max_result_bytes;
}

/* Finished merges, kept with their local session and table for the next
 * ones: opening a local session builds the catalog's views (some 19
 * million instructions, about 10 ms) and creating its table parses and
 * records DDL, where a merge of a few rows costs a fraction of that.  A
 * merge of the same columns reuses the table (emptied), others replace it.
 * Only the router's loop thread merges. */
#define MAX_IDLE_MERGES 8
static RtMerge *idle_merges[MAX_IDLE_MERGES];
static int nidle_merges;

static void local_table_cleanup(LocalTable *t)
{
	sqlite3_finalize(t->insert);
	free(t->name);
	free(t->sql);
	memset(t, 0, sizeof(*t));
}

static void merge_destroy(RtMerge *m)
{
	for (int i = 0; i < m->ntables; i++)
		local_table_cleanup(&m->tables[i]);
	pgs_local_destroy(m->local);
	free(m->table);
	free(m->types);
	free(m->typmods);
	free(m);
}

RtMerge *rt_merge_create(const char *table)
{
	RtMerge *m = nidle_merges > 0 ? idle_merges[--nidle_merges] : calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	free(m->table);
	m->table = strdup(table);
	m->created = false;
	m->insert = NULL;
	m->bytes = 0;
	m->serial = ++merge_serial;
	if (!m->local && (m->local = pgs_local_create()) != NULL) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%lld", (long long)work_mem_kb);
		sqlite3_exec(pgs_local_session(m->local)->db, pragma, NULL, NULL, NULL);
	}
	if (!m->local || !m->table) {
		merge_destroy(m);
		return NULL;
	}
	return m;
}

bool rt_merge_table(RtMerge *m, const char *table)
{
	char *t = strdup(table);
	if (!t)
		return false;
	free(m->table);
	m->table = t;
	m->created = false;
	m->insert = NULL;
	sqlite3 *db = pgs_local_session(m->local)->db;
	return sqlite3_get_autocommit(db) || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
}

bool rt_merge_settings(RtMerge *m, const PgwConn *c, char *const *sets, int nsets)
{
	PgwError e;
	for (int i = 0; i < c->nparams; i++) {
		const char *n = c->param_names[i];
		if (strcmp(n, "user") == 0 || strcmp(n, "database") == 0 || strcmp(n, "replication") == 0 ||
		    strncmp(n, "_pq_.", 5) == 0)
			continue;
		/* the shards took them */
		if (strcmp(n, "options") == 0)
			(void)pgs_guc_apply_options(pgs_local_session(m->local), c->param_values[i], &e);
		else
			(void)pgs_guc_set(pgs_local_session(m->local), n, c->param_values[i], &e);
	}
	Buf out;
	buf_init(&out);
	bool ok = true;
	for (int i = 0; i < nsets && ok; i++) {
		ok = pgs_local_sql(m->local, sets[i], &out);
		buf_reset(&out);
	}
	buf_cleanup(&out);
	return ok;
}

/* Take a finished merge back to how the next one starts: no rows in its
 * table, no open transaction, the settings reset.  False when it could not
 * be (it is then freed instead of kept). */
static bool merge_reset(RtMerge *m)
{
	PgsSession *l = pgs_local_session(m->local);
	if (!sqlite3_get_autocommit(l->db) && sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		return false;
	for (int i = 0; i < m->ntables; i++) {
		Buf sql;
		buf_init(&sql);
		buf_put_str(&sql, "DELETE FROM ");
		pgs_put_ident(&sql, m->tables[i].name);
		bool ok = !sql.failed && sqlite3_exec(l->db, buf_cstr(&sql), NULL, NULL, NULL) == SQLITE_OK;
		buf_cleanup(&sql);
		if (!ok)
			return false;
	}
	/* the next statement's rows are others: no statistics until it gathers them */
	if (m->analyzed && sqlite3_exec(l->db, "DELETE FROM sqlite_stat1; ANALYZE sqlite_schema", NULL, NULL, NULL) != SQLITE_OK)
		return false;
	m->analyzed = false;
	pgs_guc_defaults(l);
	return true;
}

void rt_merge_pool_free(void)
{
	while (nidle_merges > 0)
		merge_destroy(idle_merges[--nidle_merges]);
}

void rt_merge_free(RtMerge *m)
{
	if (!m)
		return;
	if (nidle_merges < MAX_IDLE_MERGES && merge_reset(m))
		idle_merges[nidle_merges++] = m;
	else
		merge_destroy(m);
}

/* The type of a result column as SQL, with its typmod. */
static void put_type(Buf *b, uint32_t oid, int32_t typmod)
{
	const PgType *t = pgt_by_oid(oid);
	buf_put_str(b, t ? t->name : "text");
	if (t && (oid == PGT_VARCHAR || oid == PGT_BPCHAR) && typmod >= 4)
		buf_printf(b, "(%d)", typmod - 4);
	else if (t && oid == PGT_NUMERIC && typmod >= 4)
		buf_printf(b, "(%d,%d)", ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF);
}

/* Drop local table i (a previous merge's, of other columns). */
static bool drop_local_table(RtMerge *m, int i)
{
	Buf sql, out;
	buf_init(&sql);
	buf_init(&out);
	buf_put_str(&sql, "DROP TABLE ");
	pgs_put_ident(&sql, m->tables[i].name);
	bool ok = !sql.failed && pgs_local_sql(m->local, buf_cstr(&sql), &out);
	buf_cleanup(&sql);
	buf_cleanup(&out);
	local_table_cleanup(&m->tables[i]);
	m->tables[i] = m->tables[--m->ntables];
	memset(&m->tables[m->ntables], 0, sizeof(m->tables[0]));
	return ok;
}

/* The local table of m->table, -1 none. */
static int find_local_table(const RtMerge *m)
{
	for (int i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i].name, m->table) == 0)
			return i;
	return -1;
}

/* The local table for the first result's columns: the one a previous
 * merge left when it has the same, else a new one. */
static bool create_table(RtMerge *m, PGresult *r, PgwError *err)
{
	Buf sql, out;
	buf_init(&sql);
	buf_init(&out);
	m->ncols = PQnfields(r);
	free(m->types);
	free(m->typmods);
	m->types = calloc((size_t)m->ncols + 1, sizeof(uint32_t));
	m->typmods = calloc((size_t)m->ncols + 1, sizeof(int32_t));
	buf_put_str(&sql, "CREATE TABLE ");
	pgs_put_ident(&sql, m->table);
	buf_put_str(&sql, " (");
	for (int i = 0; m->types && m->typmods && i < m->ncols; i++) {
		m->types[i] = PQftype(r, i);
		m->typmods[i] = PQfmod(r, i);
		if (i)
			buf_put_str(&sql, ", ");
		pgs_put_ident(&sql, PQfname(r, i));
		buf_put_u8(&sql, ' ');
		put_type(&sql, m->types[i], m->typmods[i]);
	}
	buf_put_str(&sql, ")");
	bool ok = m->types && m->typmods && !sql.failed;
	int k = ok ? find_local_table(m) : -1;
	if (k >= 0 && (strcmp(m->tables[k].sql, buf_cstr(&sql)) != 0 || !m->tables[k].insert)) {
		ok = drop_local_table(m, k);
		k = -1;
	}
	if (ok && k < 0 && m->ntables == MAX_LOCAL_TABLES) {
		/* the oldest table this statement has not loaded */
		int victim = 0;
		while (victim < m->ntables && m->tables[victim].merge == m->serial)
			victim++;
		if (victim == m->ntables)
			pgw_error_set(err, "0A000", "a statement over more than %d intermediate results is not supported by the router",
				      MAX_LOCAL_TABLES);
		ok = victim < m->ntables && drop_local_table(m, victim);
	}
	if (ok && k < 0) {
		LocalTable *lt = &m->tables[m->ntables];
		ok = pgs_local_sql(m->local, buf_cstr(&sql), &out) && (lt->sql = strdup(buf_cstr(&sql))) != NULL &&
		     (lt->name = strdup(m->table)) != NULL;
		buf_reset(&sql);
		if (ok) {
			buf_put_str(&sql, "INSERT INTO ");
			pgs_put_ident(&sql, m->table);
			buf_put_str(&sql, " VALUES (");
			for (int i = 0; i < m->ncols; i++)
				buf_printf(&sql, "%s$%d", i ? ", " : "", i + 1);
			buf_put_u8(&sql, ')');
			lt->insert = pgs_local_prepare(m->local, buf_cstr(&sql), err);
			ok = lt->insert != NULL;
		} else {
			pgw_error_set(err, "XX000", "could not create the merge table for \"%s\"", m->table);
		}
		if (ok)
			k = m->ntables++;
		else
			local_table_cleanup(lt);
	}
	m->insert = k >= 0 ? m->tables[k].insert : NULL;
	if (k >= 0)
		m->tables[k].merge = m->serial;
	sqlite3 *db = pgs_local_session(m->local)->db;
	ok = ok && (!sqlite3_get_autocommit(db) || sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
	buf_cleanup(&sql);
	buf_cleanup(&out);
	m->created = ok;
	return ok;
}

bool rt_merge_rows(RtMerge *m, PGresult *r, PgwError *err)
{
	if (!m->created && !create_table(m, r, err))
		return false;
	PgsSession *l = pgs_local_session(m->local);
	sqlite3_stmt *st = m->insert;
	for (int t = 0; t < PQntuples(r); t++) {
		for (int i = 0; i < PQnfields(r); i++)
			m->bytes += (uint64_t)PQgetlength(r, t, i) + 8;
		if (max_intermediate > 0 && m->bytes > (uint64_t)max_intermediate) {
			pgw_error_set(err, "54000",
				      "the intermediate result size exceeds max_intermediate_result_size (currently %lld kB)",
				      (long long)(max_intermediate / 1024));
			return false;
		}
		for (int i = 0; i < m->ncols && i < PQnfields(r); i++) {
			PgtValue v;
			PgtError pe;
			pgt_value_init(&v);
			if (PQgetisnull(r, t, i))
				v.type = SQLITE_NULL;
			else if (!pgt_coerce_text(PQgetvalue(r, t, i), (size_t)PQgetlength(r, t, i), m->types[i], m->typmods[i],
						  &l->fmt, &v, &pe)) {
				pgw_error_set(err, pe.sqlstate, "%s", pe.msg);
				pgt_value_cleanup(&v);
				return false;
			}
			pgt_value_bind(st, i + 1, &v);
			pgt_value_cleanup(&v);
		}
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			pgs_sqlite_error(l, rc, err);
			return false;
		}
	}
	return true;
}

void rt_merge_index(RtMerge *m, const char *sql)
{
	Buf out;
	buf_init(&out);
	for (const char *p = sql; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *one = strndup(p, n);
		/* a column the fetch left out: no index, the same answer */
		if (one)
			(void)pgs_local_sql(m->local, one, &out);
		free(one);
		buf_reset(&out);
		p += n + (nl != NULL);
	}
	buf_cleanup(&out);
}

void rt_merge_analyze(RtMerge *m)
{
	sqlite3 *db = pgs_local_session(m->local)->db;
	(void)sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL);
	m->analyzed = true;
}

bool rt_merge_finish(RtMerge *m, const char *sql, const RtPortal *portal, Buf *out)
{
	sqlite3 *db = pgs_local_session(m->local)->db;
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (portal)
		return pgs_local_execute(m->local, sql, portal->nres, portal->resfmts, out);
	return pgs_local_sql(m->local, sql, out);
}
