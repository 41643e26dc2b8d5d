/*
 * catalog.c - DoSQL's catalog tables and the per-session table cache.
 */
#include "shard/catalog.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/pgtype.h"

static _Atomic uint64_t schema_generation = 1;

uint64_t shd_schema_generation(void) { return atomic_load(&schema_generation); }

void shd_schema_changed(void) { atomic_fetch_add(&schema_generation, 1); }

static const char bootstrap_sql[] =
	"CREATE TABLE IF NOT EXISTS _dosql_meta(key TEXT PRIMARY KEY, value);"
	"INSERT OR IGNORE INTO _dosql_meta VALUES('next_oid', 16384);"
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
	"  created TEXT NOT NULL);";

bool shd_catalog_bootstrap(sqlite3 *db, char **errmsg) { return sqlite3_exec(db, bootstrap_sql, NULL, NULL, errmsg) == SQLITE_OK; }

/*
 * pg_catalog relations a session sees: temp tables or views over DoSQL's
 * catalog.  `columns` lists name:type pairs; the analyzer uses the same list
 * to type references to them.
 */
typedef struct SysRel {
	const char *name;
	uint32_t oid;
	const char *columns;
	const char *create; /* SQL creating it in the temp schema */
} SysRel;

static const SysRel sysrels[] = {
	{"pg_type", 1247,
	 "oid:oid,typname:name,typnamespace:oid,typowner:oid,typlen:int2,typbyval:bool,typtype:char,"
	 "typcategory:char,typispreferred:bool,typisdefined:bool,typdelim:char,typrelid:oid,typelem:oid,"
	 "typarray:oid,typbasetype:oid,typtypmod:int4,typndims:int4,typnotnull:bool",
	 "CREATE TEMP TABLE pg_type(oid INTEGER PRIMARY KEY, typname TEXT, typnamespace INTEGER, typowner INTEGER,"
	 " typlen INTEGER, typbyval INTEGER, typtype TEXT, typcategory TEXT, typispreferred INTEGER,"
	 " typisdefined INTEGER, typdelim TEXT, typrelid INTEGER, typelem INTEGER, typarray INTEGER,"
	 " typbasetype INTEGER, typtypmod INTEGER, typndims INTEGER, typnotnull INTEGER)"},
	{"pg_namespace", 2615, "oid:oid,nspname:name,nspowner:oid",
	 "CREATE TEMP VIEW pg_namespace(oid, nspname, nspowner) AS VALUES (11, 'pg_catalog', 10), (2200, 'public', 10),"
	 " (13183, 'information_schema', 10)"},
	{"pg_class", 1259,
	 "oid:oid,relname:name,relnamespace:oid,reltype:oid,relowner:oid,relam:oid,relkind:char,"
	 "relpersistence:char,relispartition:bool,relhasindex:bool,relchecks:int2,relnatts:int2",
	 "CREATE TEMP VIEW pg_class AS SELECT c.oid AS oid, c.relname AS relname, c.relnamespace AS relnamespace,"
	 " 0 AS reltype, 10 AS relowner, CASE WHEN c.relkind IN ('r','i') THEN 2 ELSE 0 END AS relam,"
	 " c.relkind AS relkind, 'p' AS relpersistence, 0 AS relispartition,"
	 " EXISTS(SELECT 1 FROM _dosql_index i WHERE i.indrelid = c.oid) AS relhasindex, 0 AS relchecks,"
	 " (SELECT count(*) FROM _dosql_attribute a WHERE a.attrelid = c.oid) AS relnatts"
	 " FROM main._dosql_class c"},
	{"pg_attribute", 1249,
	 "attrelid:oid,attname:name,atttypid:oid,attnum:int2,atttypmod:int4,attnotnull:bool,atthasdef:bool,"
	 "attisdropped:bool,attidentity:char,attgenerated:char",
	 "CREATE TEMP VIEW pg_attribute AS SELECT attrelid, attname, atttypid, attnum, atttypmod, attnotnull,"
	 " attdefault IS NOT NULL AS atthasdef, 0 AS attisdropped, attidentity, '' AS attgenerated"
	 " FROM main._dosql_attribute"},
	{"pg_database", 1262, "oid:oid,datname:name,datdba:oid,encoding:int4,datallowconn:bool",
	 "CREATE TEMP VIEW pg_database(oid, datname, datdba, encoding, datallowconn) AS VALUES (16384, 'dosql', 10, 6, 1)"},
	{"pg_index", 2610,
	 "indexrelid:oid,indrelid:oid,indnatts:int2,indnkeyatts:int2,indisunique:bool,indisprimary:bool,"
	 "indisexclusion:bool,indimmediate:bool,indisclustered:bool,indisvalid:bool,indisready:bool,"
	 "indislive:bool,indkey:int2vector,indpred:pg_node_tree,indexprs:pg_node_tree",
	 "CREATE TEMP VIEW pg_index AS SELECT indexrelid, indrelid,"
	 " length(indkey) - length(replace(indkey, ',', '')) + 1 AS indnatts,"
	 " length(indkey) - length(replace(indkey, ',', '')) + 1 AS indnkeyatts, indisunique, indisprimary,"
	 " 0 AS indisexclusion, 1 AS indimmediate, 0 AS indisclustered, 1 AS indisvalid, 1 AS indisready,"
	 " 1 AS indislive, replace(substr(indkey, 2, length(indkey) - 2), ',', ' ') AS indkey, NULL AS indpred,"
	 " NULL AS indexprs FROM main._dosql_index"},
	{"pg_attrdef", 2604, "oid:oid,adrelid:oid,adnum:int2,adbin:pg_node_tree",
	 "CREATE TEMP VIEW pg_attrdef AS SELECT attrelid * 1000 + attnum AS oid, attrelid AS adrelid, attnum AS adnum,"
	 " attdefault AS adbin FROM main._dosql_attribute WHERE attdefault IS NOT NULL"},
	{"pg_prepared_xacts", 12094, "transaction:xid,gid:text,prepared:timestamptz,owner:name,database:name",
	 "CREATE TEMP VIEW pg_prepared_xacts AS SELECT rowid AS \"transaction\", gid, prepared, owner, 'dosql' AS database"
	 " FROM main._dosql_prepared"},
	{"pg_publication", 6104,
	 "oid:oid,pubname:name,pubowner:oid,puballtables:bool,pubinsert:bool,pubupdate:bool,pubdelete:bool,"
	 "pubtruncate:bool,pubviaroot:bool",
	 "CREATE TEMP VIEW pg_publication AS SELECT oid, pubname, 10 AS pubowner, puballtables, pubinsert, pubupdate,"
	 " pubdelete, pubtruncate, 0 AS pubviaroot FROM main._dosql_publication"},
	{"pg_publication_rel", 6106, "oid:oid,prpubid:oid,prrelid:oid,prqual:pg_node_tree,prattrs:int2vector",
	 "CREATE TEMP VIEW pg_publication_rel AS SELECT oid, prpubid, prrelid, NULL AS prqual, NULL AS prattrs"
	 " FROM main._dosql_publication_rel"},
	/* a table of a FOR ALL TABLES publication, or one listed; every column */
	{"pg_publication_tables", 6119, "pubname:name,schemaname:name,tablename:name,attnames:_name",
	 "CREATE TEMP VIEW pg_publication_tables AS SELECT p.pubname AS pubname, 'public' AS schemaname,"
	 " c.relname AS tablename, (SELECT '{' || group_concat(CASE WHEN n GLOB '*[ ,{}\"\\]*' OR n = ''"
	 " THEN '\"' || replace(replace(n, '\\', '\\\\'), '\"', '\\\"') || '\"' ELSE n END, ',') || '}'"
	 " FROM (SELECT a.attname AS n FROM main._dosql_attribute a WHERE a.attrelid = c.oid ORDER BY a.attnum))"
	 " AS attnames FROM main._dosql_publication p JOIN main._dosql_class c ON c.relkind = 'r' AND"
	 " (p.puballtables OR c.oid IN (SELECT r.prrelid FROM main._dosql_publication_rel r WHERE r.prpubid = p.oid))"},
	/* the shard's slots; active while a router streams one (DOSQL_ACQUIRE) */
	{"pg_replication_slots", 12110,
	 "slot_name:name,plugin:name,slot_type:text,datoid:oid,database:name,temporary:bool,active:bool,"
	 "active_pid:int4,xmin:xid,catalog_xmin:xid,restart_lsn:pg_lsn,confirmed_flush_lsn:pg_lsn,wal_status:text,"
	 "safe_wal_size:int8,two_phase:bool",
	 "CREATE TEMP VIEW pg_replication_slots AS SELECT name AS slot_name, plugin, 'logical' AS slot_type,"
	 " 16384 AS datoid, 'dosql' AS database, 0 AS temporary, dosql_slot_pid(name) IS NOT NULL AS active,"
	 " dosql_slot_pid(name) AS active_pid, NULL AS xmin, NULL AS catalog_xmin,"
	 " printf('%X/%X', confirmed >> 32, confirmed & 4294967295) AS restart_lsn,"
	 " printf('%X/%X', confirmed >> 32, confirmed & 4294967295) AS confirmed_flush_lsn,"
	 " 'reserved' AS wal_status, NULL AS safe_wal_size, two_phase FROM main._dosql_slots"},
	{"pg_partitioned_table", 3350, "partrelid:oid,partstrat:char,partnatts:int2",
	 "CREATE TEMP TABLE pg_partitioned_table(partrelid INTEGER, partstrat TEXT, partnatts INTEGER)"},
	{"pg_inherits", 2611, "inhrelid:oid,inhparent:oid,inhseqno:int4",
	 "CREATE TEMP TABLE pg_inherits(inhrelid INTEGER, inhparent INTEGER, inhseqno INTEGER)"},
};

bool shd_catalog_attach(sqlite3 *db, char **errmsg)
{
	for (size_t i = 0; i < sizeof(sysrels) / sizeof(sysrels[0]); i++)
		if (sqlite3_exec(db, sysrels[i].create, NULL, NULL, errmsg) != SQLITE_OK)
			return false;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT INTO temp.pg_type VALUES(?1,?2,11,10,?3,?4,?5,?6,0,1,',',0,?7,?8,0,-1,0,0)", -1,
			       &st, NULL) != SQLITE_OK) {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		return false;
	}
	for (int i = 0; i < pgt_ntypes; i++) {
		const PgType *t = &pgt_types[i];
		char typtype[2] = {t->category == 'P' ? 'p' : 'b', 0};
		char cat[2] = {t->category, 0};
		sqlite3_bind_int64(st, 1, t->oid);
		sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, t->len);
		sqlite3_bind_int(st, 4, t->byval);
		sqlite3_bind_text(st, 5, typtype, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, cat, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 7, t->elem_oid);
		sqlite3_bind_int64(st, 8, t->array_oid);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return true;
}

void shd_catalog_init(ShdCatalog *cat, sqlite3 *db, const char *path)
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
	cat->generation = shd_schema_generation();
}

static void table_free(ShdTable *t)
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

static void cache_clear(ShdCatalog *cat)
{
	for (int i = 0; i < cat->ntables; i++)
		table_free(cat->tables[i]);
	cat->ntables = 0;
}

void shd_catalog_cleanup(ShdCatalog *cat)
{
	cache_clear(cat);
	free(cat->tables);
	cat->tables = NULL;
	if (cat->ro)
		sqlite3_close(cat->ro);
	cat->ro = NULL;
}

static ShdTable *sysrel_table(const SysRel *r)
{
	ShdTable *t = calloc(1, sizeof(*t));
	t->oid = r->oid;
	t->name = strdup(r->name);
	t->relkind = 'r';
	t->system = true;
	char *spec = strdup(r->columns);
	int n = 1;
	for (char *p = spec; *p; p++)
		n += *p == ',';
	t->cols = calloc((size_t)n, sizeof(ShdColumn));
	char *save = NULL;
	for (char *tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		*colon = 0;
		ShdColumn *c = &t->cols[t->ncols++];
		c->name = strdup(tok);
		const PgType *ty = pgt_by_name(colon + 1);
		c->type = ty ? ty->oid : PGT_TEXT;
		c->typmod = -1;
		c->attnum = (int16_t)t->ncols;
	}
	free(spec);
	return t;
}

static ShdTable *load_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	ShdTable *t = NULL;

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
			t->cols = realloc(t->cols, (size_t)cap * sizeof(ShdColumn));
		}
		ShdColumn *c = &t->cols[t->ncols++];
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

const ShdTable *shd_catalog_table(ShdCatalog *cat, const char *name)
{
	uint64_t gen = shd_schema_generation();
	if (gen != cat->generation) {
		cache_clear(cat);
		cat->generation = gen;
	}
	for (int i = 0; i < cat->ntables; i++)
		if (strcmp(cat->tables[i]->name, name) == 0)
			return cat->tables[i];
	ShdTable *t = NULL;
	for (size_t i = 0; i < sizeof(sysrels) / sizeof(sysrels[0]) && !t; i++)
		if (strcmp(sysrels[i].name, name) == 0)
			t = sysrel_table(&sysrels[i]);
	if (!t)
		t = load_table(cat->own_ddl || !cat->ro ? cat->db : cat->ro, name);
	if (!t)
		return NULL;
	if (cat->ntables == cat->cap) {
		cat->cap = cat->cap ? cat->cap * 2 : 16;
		cat->tables = realloc(cat->tables, (size_t)cat->cap * sizeof(ShdTable *));
	}
	cat->tables[cat->ntables++] = t;
	return t;
}

const ShdColumn *shd_table_column(const ShdTable *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

bool shd_catalog_next_oid(sqlite3 *db, uint32_t *oid)
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
