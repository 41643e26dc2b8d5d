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
#ifndef DOSQL_PGS_CATALOG_H
#define DOSQL_PGS_CATALOG_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define PGS_NAMESPACE_PUBLIC 2200
#define PGS_NAMESPACE_PG_CATALOG 11
#define PGS_NAMESPACE_INFORMATION_SCHEMA 13183
#define PGS_FIRST_OID 16384

typedef struct PgsColumn {
	char *name;      /* owned */
	uint32_t type;
	int32_t typmod;
	int16_t attnum;
	bool notnull;
	char *default_expr; /* owned; PG expression text, NULL when none */
	char identity;      /* 'a' ALWAYS, 'd' BY DEFAULT, 0 none */
} PgsColumn;

typedef struct PgsTable {
	uint32_t oid;
	char *name; /* owned */
	char relkind;
	bool system; /* a pg_catalog relation */
	int ncols;
	PgsColumn *cols; /* owned */
	int npk;	 /* columns of the primary key (0: none) */
	int16_t pk[32];	 /* their attnums */
} PgsTable;

typedef struct PgsCatalog {
	sqlite3 *db; /* borrowed: the session's connection */
	bool views_pending; /* the pg_catalog relations are attached on first use */
	sqlite3 *ro; /* owned: autocommit connection for catalog reads */
	bool own_ddl; /* the session's open transaction changed the schema:
		       * read the catalog through db to see it */
	uint64_t generation;
	int ntables, cap;
	PgsTable **tables; /* owned */
	/* owned: tables cached before another session's DDL changed the
	 * generation; the statement under way may still point into them, so
	 * they are freed at the next statement's start (pgs_catalog_release) */
	int nretired, capretired;
	PgsTable **retired;
} PgsCatalog;

/* The process-wide schema generation; bumped after DDL, COMMIT and ROLLBACK
 * of transactions that ran DDL. */
uint64_t pgs_schema_generation(void);
/* Free the tables a generation change retired (no PgsTable of the
 * previous statement is used after this). */
void pgs_catalog_release(PgsCatalog *cat);
void pgs_schema_changed(void);

/* Create DoSQL's catalog tables in a new database (idempotent). */
bool pgs_catalog_bootstrap(sqlite3 *db, char **errmsg);
/*
 * A pg_catalog relation: its name, OID, columns as name:type pairs (the
 * analyzer types references to it from them) and the SELECT behind it
 * (NULL: an empty table).
 */
typedef struct PgsSysRel {
	const char *name;
	uint32_t oid;
	const char *columns;
	const char *select;
} PgsSysRel;

/* SQL true when the foreign key whose constraint OID is the SQL expression
 * `oid` deletes referencing rows with the referenced one (ON DELETE CASCADE:
 * ddl.c makes its "<name>_del" trigger an AFTER DELETE). */
#define PGS_FK_CASCADES(oid)                                                                                          \
	"EXISTS(SELECT 1 FROM main.sqlite_master m, main._dosql_constraint f WHERE f.oid = " oid                       \
	" AND m.type = 'trigger' AND m.name = f.conname || '_del' AND m.sql LIKE '% AFTER DELETE %')"

/* The pg_catalog relation `name`, or NULL (catalog_views.c). */
const PgsSysRel *pgs_sysrel(const char *name);
/* Per-connection setup: temp pg_catalog relations (catalog_views.c). */
bool pgs_catalog_attach(sqlite3 *db, char **errmsg);
/* Register the catalog's SQL functions (catalog_funcs.c). */
bool pgs_catalog_funcs_register(sqlite3 *db);
/* Whether name is one of those functions (they read the pg_catalog
 * relations). */
bool pgs_catalog_function(const char *name);
/* The pg_catalog relations attached to cat's connection if they are not
 * yet (views_pending); false with errmsg (sqlite3_free) when SQLite
 * refused. */
bool pgs_catalog_views(PgsCatalog *cat, char **errmsg);

/* path: the database file, for the catalog's own read connection (NULL for
 * an in-memory database). */
void pgs_catalog_init(PgsCatalog *cat, sqlite3 *db, const char *path);
void pgs_catalog_cleanup(PgsCatalog *cat);

/* The table (or view/sequence) named `name`, NULL when there is none. */
const PgsTable *pgs_catalog_table(PgsCatalog *cat, const char *name);

/* A function of language SQL (CREATE FUNCTION): its body is one SELECT. */
#define PGS_FUNC_MAX_ARGS 32
typedef struct PgsFunc {
	uint32_t oid;
	int nargs;
	uint32_t argtypes[PGS_FUNC_MAX_ARGS];
	char *argnames[PGS_FUNC_MAX_ARGS]; /* owned; "" when unnamed */
	uint32_t rettype;
	int32_t rettypmod;
	bool strict;
	char *body; /* owned: the SELECT's text */
} PgsFunc;
/* Up to max SQL functions called name taking nargs arguments (any number
 * when nargs < 0) into out, oldest first; how many.  Each is freed with
 * pgs_func_cleanup. */
int pgs_catalog_functions(PgsCatalog *cat, const char *name, int nargs, PgsFunc *out, int max);
void pgs_func_cleanup(PgsFunc *f);
const PgsColumn *pgs_table_column(const PgsTable *t, const char *name);

/* Allocate a new OID (inside the caller's transaction). */
bool pgs_catalog_next_oid(sqlite3 *db, uint32_t *oid);

#endif
