/*
 * catalog.c - DoSQL's catalog tables and the per-session table cache.
 */
#include "pgsql/catalog.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtype.h"

static _Atomic uint64_t schema_generation = 1;

uint64_t pgs_schema_generation(void) { return atomic_load(&schema_generation); }

void pgs_schema_changed(void) { atomic_fetch_add(&schema_generation, 1); }

static const char bootstrap_sql[] =
	"CREATE TABLE IF NOT EXISTS _dosql_meta(key TEXT PRIMARY KEY, value);"
	"INSERT OR IGNORE INTO _dosql_meta VALUES('next_oid', 16384);"
	"CREATE TABLE IF NOT EXISTS _dosql_proc("
	"  oid INTEGER PRIMARY KEY, proname TEXT NOT NULL, pronargs INTEGER NOT NULL,"
	"  argtypes TEXT NOT NULL, argnames TEXT NOT NULL, rettype INTEGER NOT NULL,"
	"  rettypmod INTEGER NOT NULL DEFAULT -1, strict INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _dosql_class("
	"  oid INTEGER PRIMARY KEY, relname TEXT NOT NULL UNIQUE, relkind TEXT NOT NULL,"
	"  relnamespace INTEGER NOT NULL DEFAULT 2200);"
	"CREATE TABLE IF NOT EXISTS _dosql_attribute("
	"  attrelid INTEGER NOT NULL, attnum INTEGER NOT NULL, attname TEXT NOT NULL,"
	"  atttypid INTEGER NOT NULL, atttypmod INTEGER NOT NULL DEFAULT -1,"
	"  attnotnull INTEGER NOT NULL DEFAULT 0, attdefault TEXT, attidentity TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY(attrelid, attnum));"
	"CREATE TABLE IF NOT EXISTS _dosql_constraint("
	"  oid INTEGER PRIMARY KEY, conname TEXT NOT NULL, contype TEXT NOT NULL,"
	"  conrelid INTEGER NOT NULL, conindid INTEGER NOT NULL DEFAULT 0, conkey TEXT,"
	"  confrelid INTEGER NOT NULL DEFAULT 0, confkey TEXT, condef TEXT);"
	"CREATE TABLE IF NOT EXISTS _dosql_index("
	"  indexrelid INTEGER PRIMARY KEY, indrelid INTEGER NOT NULL, indisunique INTEGER NOT NULL,"
	"  indisprimary INTEGER NOT NULL, indkey TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _dosql_sequence("
	"  seqrelid INTEGER PRIMARY KEY, seqtypid INTEGER NOT NULL DEFAULT 20,"
	"  seqstart INTEGER NOT NULL DEFAULT 1, seqincrement INTEGER NOT NULL DEFAULT 1,"
	"  seqmax INTEGER NOT NULL DEFAULT 9223372036854775807, seqmin INTEGER NOT NULL DEFAULT 1,"
	"  seqcycle INTEGER NOT NULL DEFAULT 0, last_value INTEGER NOT NULL DEFAULT 1,"
	"  is_called INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS _dosql_prepared("
	"  gid TEXT PRIMARY KEY, changes BLOB NOT NULL, prepared TEXT NOT NULL, owner TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _dosql_changelog("
	"  seq INTEGER PRIMARY KEY, commit_ts INTEGER NOT NULL, xid INTEGER NOT NULL, gid TEXT,"
	"  tbl TEXT NOT NULL, op TEXT NOT NULL, old_key INTEGER, new_key INTEGER, change BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS _dosql_changelog_ts ON _dosql_changelog(commit_ts);"
	"CREATE TABLE IF NOT EXISTS _dosql_publication("
	"  oid INTEGER PRIMARY KEY, pubname TEXT NOT NULL UNIQUE, puballtables INTEGER NOT NULL,"
	"  pubinsert INTEGER NOT NULL, pubupdate INTEGER NOT NULL, pubdelete INTEGER NOT NULL,"
	"  pubtruncate INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _dosql_publication_rel("
	"  oid INTEGER PRIMARY KEY, prpubid INTEGER NOT NULL, prrelid INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _dosql_replident(relid INTEGER PRIMARY KEY, ident TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _dosql_slots("
	"  name TEXT PRIMARY KEY, plugin TEXT NOT NULL, confirmed INTEGER NOT NULL, two_phase INTEGER NOT NULL,"
	"  created TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _dosql_type("
	"  oid INTEGER PRIMARY KEY, typname TEXT NOT NULL UNIQUE, typtype TEXT NOT NULL,"
	"  basetype INTEGER NOT NULL DEFAULT 0, basetypmod INTEGER NOT NULL DEFAULT -1,"
	"  typnotnull INTEGER NOT NULL DEFAULT 0, checks TEXT NOT NULL DEFAULT '[]', attrs TEXT NOT NULL DEFAULT '[]');";

bool pgs_catalog_bootstrap(sqlite3 *db, char **errmsg) { return sqlite3_exec(db, bootstrap_sql, NULL, NULL, errmsg) == SQLITE_OK; }

void pgs_catalog_init(PgsCatalog *cat, sqlite3 *db, const char *path)
{
	memset(cat, 0, sizeof(*cat));
	cat->db = db;
	/* Catalog lookups must not open a read transaction on the session's
	 * connection: a transaction whose first statement is a write would then
	 * have to upgrade a stale snapshot, which SQLite refuses. */
	if (!path) {
		cat->ro = NULL; /* an in-memory database: one connection only */
	} else if (sqlite3_open_v2(path, &cat->ro, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(cat->ro);
		cat->ro = NULL;
	} else {
		sqlite3_busy_timeout(cat->ro, 5000);
	}
	cat->generation = pgs_schema_generation();
}

static void table_free(PgsTable *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].default_expr);
	}
	free(t->cols);
	free(t->name);
	free(t);
}

static void cache_clear(PgsCatalog *cat)
{
	for (int i = 0; i < cat->ntables; i++)
		table_free(cat->tables[i]);
	cat->ntables = 0;
}

/* The cached tables leave the cache but stay allocated until the next
 * statement: pointers the statement under way holds stay valid. */
static void cache_retire(PgsCatalog *cat)
{
	if (cat->ntables == 0)
		return;
	if (cat->nretired + cat->ntables > cat->capretired) {
		int cap = (cat->nretired + cat->ntables) * 2;
		PgsTable **grown = realloc(cat->retired, (size_t)cap * sizeof(PgsTable *));
		if (!grown) {
			cache_clear(cat); /* out of memory: as before retiring existed */
			return;
		}
		cat->retired = grown;
		cat->capretired = cap;
	}
	memcpy(cat->retired + cat->nretired, cat->tables, (size_t)cat->ntables * sizeof(PgsTable *));
	cat->nretired += cat->ntables;
	cat->ntables = 0;
}

void pgs_catalog_release(PgsCatalog *cat)
{
	for (int i = 0; i < cat->nretired; i++)
		table_free(cat->retired[i]);
	cat->nretired = 0;
}

void pgs_catalog_cleanup(PgsCatalog *cat)
{
	cache_clear(cat);
	pgs_catalog_release(cat);
	free(cat->retired);
	cat->retired = NULL;
	cat->capretired = 0;
	free(cat->tables);
	cat->tables = NULL;
	if (cat->ro)
		sqlite3_close(cat->ro);
	cat->ro = NULL;
}

static PgsTable *sysrel_table(const PgsSysRel *r)
{
	PgsTable *t = calloc(1, sizeof(*t));
	t->oid = r->oid;
	t->name = strdup(r->name);
	t->relkind = 'r';
	t->system = true;
	char *spec = strdup(r->columns);
	int n = 1;
	for (char *p = spec; *p; p++)
		n += *p == ',';
	t->cols = calloc((size_t)n, sizeof(PgsColumn));
	char *save = NULL;
	for (char *tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		*colon = 0;
		PgsColumn *c = &t->cols[t->ncols++];
		c->name = strdup(tok);
		const PgType *ty = pgt_by_name(colon + 1);
		c->type = ty ? ty->oid : PGT_TEXT;
		c->typmod = -1;
		c->attnum = (int16_t)t->ncols;
	}
	free(spec);
	return t;
}

static PgsTable *load_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	PgsTable *t = NULL;

	if (sqlite3_prepare_v2(db, "SELECT oid, relkind FROM main._dosql_class WHERE relname = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t = calloc(1, sizeof(*t));
		t->oid = (uint32_t)sqlite3_column_int64(st, 0);
		t->relkind = (char)sqlite3_column_text(st, 1)[0];
		t->name = strdup(name);
	}
	sqlite3_finalize(st);
	if (!t)
		return NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT attname, atttypid, atttypmod, attnum, attnotnull, attdefault, attidentity"
			       " FROM main._dosql_attribute WHERE attrelid = ?1 ORDER BY attnum",
			       -1, &st, NULL) != SQLITE_OK) {
		table_free(t);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, t->oid);
	int cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (t->ncols == cap) {
			cap = cap ? cap * 2 : 8;
			t->cols = realloc(t->cols, (size_t)cap * sizeof(PgsColumn));
		}
		PgsColumn *c = &t->cols[t->ncols++];
		memset(c, 0, sizeof(*c));
		c->name = strdup((const char *)sqlite3_column_text(st, 0));
		c->type = (uint32_t)sqlite3_column_int64(st, 1);
		c->typmod = sqlite3_column_int(st, 2);
		c->attnum = (int16_t)sqlite3_column_int(st, 3);
		c->notnull = sqlite3_column_int(st, 4) != 0;
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			c->default_expr = strdup((const char *)sqlite3_column_text(st, 5));
		const unsigned char *id = sqlite3_column_text(st, 6);
		c->identity = id && id[0] ? (char)id[0] : 0;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT indkey FROM main._dosql_index WHERE indrelid = ?1 AND indisprimary", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, t->oid);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			/* indkey: the attnums, as an array ({1,2}) */
			const char *p = (const char *)sqlite3_column_text(st, 0);
			while (*p && t->npk < (int)(sizeof(t->pk) / sizeof(t->pk[0]))) {
				char *end;
				long v = strtol(p, &end, 10);
				if (end == p) {
					p++;
					continue;
				}
				t->pk[t->npk++] = (int16_t)v;
				p = end;
			}
		}
		sqlite3_finalize(st);
	}
	return t;
}

const PgsTable *pgs_catalog_table(PgsCatalog *cat, const char *name)
{
	uint64_t gen = pgs_schema_generation();
	if (gen != cat->generation) {
		cache_retire(cat);
		cat->generation = gen;
	}
	for (int i = 0; i < cat->ntables; i++)
		if (strcmp(cat->tables[i]->name, name) == 0)
			return cat->tables[i];
	PgsTable *t = NULL;
	const PgsSysRel *sr = pgs_sysrel(name);
	if (sr)
		t = sysrel_table(sr);
	if (!t)
		t = load_table(cat->own_ddl || !cat->ro ? cat->db : cat->ro, name);
	if (!t)
		return NULL;
	if (cat->ntables == cat->cap) {
		cat->cap = cat->cap ? cat->cap * 2 : 16;
		cat->tables = realloc(cat->tables, (size_t)cat->cap * sizeof(PgsTable *));
	}
	cat->tables[cat->ntables++] = t;
	return t;
}

bool pgs_catalog_views(PgsCatalog *cat, char **errmsg)
{
	if (!cat->views_pending)
		return true;
	if (!pgs_catalog_attach(cat->db, errmsg))
		return false;
	cat->views_pending = false;
	return true;
}

const PgsColumn *pgs_table_column(const PgsTable *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

bool pgs_catalog_next_oid(sqlite3 *db, uint32_t *oid)
{
	sqlite3_stmt *st;
	bool ok = false;
	if (sqlite3_prepare_v2(db, "UPDATE main._dosql_meta SET value = value + 1 WHERE key = 'next_oid' RETURNING value - 1",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*oid = (uint32_t)sqlite3_column_int64(st, 0);
		ok = true;
	}
	sqlite3_finalize(st);
	return ok;
}

void pgs_func_cleanup(PgsFunc *f)
{
	for (int i = 0; i < f->nargs; i++)
		free(f->argnames[i]);
	free(f->body);
	memset(f, 0, sizeof(*f));
}

/* Fill f from a _dosql_proc row (oid, pronargs, argtypes, argnames,
 * rettype, rettypmod, strict, body). */
static void func_from_row(sqlite3_stmt *st, PgsFunc *f)
{
	memset(f, 0, sizeof(*f));
	f->oid = (uint32_t)sqlite3_column_int64(st, 0);
	int n = sqlite3_column_int(st, 1);
	const char *types = (const char *)sqlite3_column_text(st, 2);
	const char *names = (const char *)sqlite3_column_text(st, 3);
	for (int i = 0; i < n && i < PGS_FUNC_MAX_ARGS; i++) {
		char *end;
		f->argtypes[i] = (uint32_t)strtoul(types ? types : "", &end, 10);
		types = *end ? end + 1 : end;
		const char *nl = names ? strchr(names, '\n') : NULL;
		size_t len = names ? (nl ? (size_t)(nl - names) : strlen(names)) : 0;
		f->argnames[i] = strndup(names ? names : "", len);
		names = nl ? nl + 1 : NULL;
		f->nargs++;
	}
	f->rettype = (uint32_t)sqlite3_column_int64(st, 4);
	f->rettypmod = sqlite3_column_int(st, 5);
	f->strict = sqlite3_column_int(st, 6) != 0;
	f->body = strdup((const char *)sqlite3_column_text(st, 7));
}

int pgs_catalog_functions(PgsCatalog *cat, const char *name, int nargs, PgsFunc *out, int max)
{
	sqlite3 *db = cat->own_ddl || !cat->ro ? cat->db : cat->ro;
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT oid, pronargs, argtypes, argnames, rettype, rettypmod, strict, body"
			       " FROM main._dosql_proc WHERE proname = ?1 AND (?2 < 0 OR pronargs = ?2) ORDER BY oid",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, nargs);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		func_from_row(st, &out[n++]);
	sqlite3_finalize(st);
	return n;
}
