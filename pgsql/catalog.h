/*
 * catalog.h - the PostgreSQL view of a shard's schema.
 *
 * SQLite stores the data; DoSQL's own tables (_dosql_*) store what SQLite
 * cannot: each column's PostgreSQL type and typmod, defaults as PG
 * expressions, constraint and index names, sequences, stable OIDs.  They are
 * changed in the same SQLite transaction as the DDL they describe.
 *
 * Each session caches table descriptions; the cache is dropped whenever
 * the process-wide schema generation moves (any session ran DDL, committed
 * or rolled back).
 */
#ifndef DOSQL_SHD_CATALOG_H
#define DOSQL_SHD_CATALOG_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define SHD_NAMESPACE_PUBLIC 2200
#define SHD_NAMESPACE_PG_CATALOG 11
#define SHD_NAMESPACE_INFORMATION_SCHEMA 13183
#define SHD_FIRST_OID 16384

typedef struct ShdColumn {
	char *name;      /* owned */
	uint32_t type;
	int32_t typmod;
	int16_t attnum;
	bool notnull;
	char *default_expr; /* owned; PG expression text, NULL when none */
	char identity;      /* 'a' ALWAYS, 'd' BY DEFAULT, 0 none */
} ShdColumn;

typedef struct ShdTable {
	uint32_t oid;
	char *name; /* owned */
	char relkind;
	bool system; /* a pg_catalog relation */
	int ncols;
	ShdColumn *cols; /* owned */
	int npk;	 /* columns of the primary key (0: none) */
	int16_t pk[32];	 /* their attnums */
} ShdTable;

typedef struct ShdCatalog {
	sqlite3 *db; /* borrowed: the session's connection */
	bool views_pending; /* the pg_catalog relations are attached on first use */
	sqlite3 *ro; /* owned: autocommit connection for catalog reads */
	bool own_ddl; /* the session's open transaction changed the schema:
		       * read the catalog through db to see it */
	uint64_t generation;
	int ntables, cap;
	ShdTable **tables; /* owned */
} ShdCatalog;

/* The process-wide schema generation; bumped after DDL, COMMIT and ROLLBACK
 * of transactions that ran DDL. */
uint64_t shd_schema_generation(void);
void shd_schema_changed(void);

/* Create DoSQL's catalog tables in a new database (idempotent). */
bool shd_catalog_bootstrap(sqlite3 *db, char **errmsg);
/*
 * A pg_catalog relation: its name, OID, columns as name:type pairs (the
 * analyzer types references to it from them) and the SELECT behind it
 * (NULL: an empty table).
 */
typedef struct ShdSysRel {
	const char *name;
	uint32_t oid;
	const char *columns;
	const char *select;
} ShdSysRel;

/* SQL true when the foreign key whose constraint OID is the SQL expression
 * `oid` deletes referencing rows with the referenced one (ON DELETE CASCADE:
 * ddl.c makes its "<name>_del" trigger an AFTER DELETE). */
#define SHD_FK_CASCADES(oid)                                                                                          \
	"EXISTS(SELECT 1 FROM main.sqlite_master m, main._dosql_constraint f WHERE f.oid = " oid                       \
	" AND m.type = 'trigger' AND m.name = f.conname || '_del' AND m.sql LIKE '% AFTER DELETE %')"

/* The pg_catalog relation `name`, or NULL (catalog_views.c). */
const ShdSysRel *shd_sysrel(const char *name);
/* Per-connection setup: temp pg_catalog relations (catalog_views.c). */
bool shd_catalog_attach(sqlite3 *db, char **errmsg);
/* Register the catalog's SQL functions (catalog_funcs.c). */
bool shd_catalog_funcs_register(sqlite3 *db);
/* Whether name is one of those functions (they read the pg_catalog
 * relations). */
bool shd_catalog_function(const char *name);
/* The pg_catalog relations attached to cat's connection if they are not
 * yet (views_pending); false with errmsg (sqlite3_free) when SQLite
 * refused. */
bool shd_catalog_views(ShdCatalog *cat, char **errmsg);

/* path: the database file, for the catalog's own read connection (NULL for
 * an in-memory database). */
void shd_catalog_init(ShdCatalog *cat, sqlite3 *db, const char *path);
void shd_catalog_cleanup(ShdCatalog *cat);

/* The table (or view/sequence) named `name`, NULL when there is none. */
const ShdTable *shd_catalog_table(ShdCatalog *cat, const char *name);
const ShdColumn *shd_table_column(const ShdTable *t, const char *name);

/* Allocate a new OID (inside the caller's transaction). */
bool shd_catalog_next_oid(sqlite3 *db, uint32_t *oid);

#endif
