/*
 * ddl_int.h - what the DDL files (ddl*.c) share.  Not for use elsewhere.
 */
#ifndef DOSQL_PGS_DDL_INT_H
#define DOSQL_PGS_DDL_INT_H

#include "pgsql/pgsql.h"

typedef enum NameCheck {
	NAME_FREE,    /* go on and create it */
	NAME_SKIPPED, /* exists, IF NOT EXISTS: NOTICE sent, nothing to do */
	NAME_TAKEN,   /* exists: 42P07 sent */
} NameCheck;

/* CREATE of a relation called name: is the name free?  (The NOTICE or the
 * error is sent.) */
NameCheck pgs_ddl_check_name(PgsSession *s, const char *name, bool if_not_exists);
/* The relation's schema is public (or none); false after 3F000 was sent. */
bool pgs_ddl_check_schema(PgsSession *s, PgQuery__RangeVar *rv);
/* A table of plain columns (no defaults, no constraints) and its catalog
 * rows; false with *e filled. */
bool pgs_ddl_create_plain(PgsSession *s, const char *name, int ncols, const PgsResultCol *cols, PgwError *e);
/* Note a TEMP table of this session (false after 53200 was sent). */
bool pgs_ddl_note_temp(PgsSession *s, const char *name);
/* The catalog rows of relation name (relkind 'r' or 'v') with columns
 * cols; false with *e filled. */
bool pgs_ddl_register(PgsSession *s, const char *name, char relkind, int ncols, const PgsResultCol *cols, PgwError *e);
/* Drop table or view t and its catalog rows; false with *e filled. */
bool pgs_ddl_drop(PgsSession *s, const PgsTable *t, PgwError *e);
/* sqlfunc.c: CREATE FUNCTION ... LANGUAGE sql, DROP FUNCTION; false
 * after the error was sent. */
bool pgs_create_function(PgsSession *s, PgQuery__CreateFunctionStmt *cf);
bool pgs_drop_function(PgsSession *s, PgQuery__DropStmt *ds);
/* ddl_drop.c: DROP TRIGGER, RULE, POLICY, TYPE or DOMAIN (objects DoSQL
 * never has, or built-in types): 1 done, 0 after the error was sent, -1
 * another DROP; *tag set. */
int pgs_drop_absent(PgsSession *s, PgQuery__DropStmt *ds, const char **tag);
/* ddl_as.c: q's columns renamed by the first of names (a list of
 * String nodes), an untyped one as text; false after the error (too_many
 * when there are more names than columns) was sent. */
bool pgs_ddl_query_columns(PgsSession *s, size_t nnames, PgQuery__Node **names, PgsQuery *q, Arena *a,
			   const char *too_many);
/* view.c: CREATE [OR REPLACE] VIEW: a SQLite view of the translated
 * query and its catalog rows; false after the error was sent. */
bool pgs_create_view(PgsSession *s, PgQuery__ViewStmt *vs);
/* ddl_as.c: CREATE TABLE name AS query / SELECT ... INTO name: the table
 * of the query's columns and its rows; *tag gets "SELECT n".  False after
 * the error was sent. */
bool pgs_create_table_as(PgsSession *s, PgQuery__IntoClause *into, PgQuery__Node *query, bool if_not_exists,
			 const char **tag);

/* ddl.c: the PostgreSQL text of an expression (malloc'd; NULL when it
 * does not deparse). */
char *pgs_deparse_expr(PgQuery__Node *expr);
/* usertype.c: CREATE TYPE ... AS (...) and CREATE DOMAIN (false after the
 * error was sent); DROP of the type called name: 1 dropped, 0 after the
 * error was sent, -1 when DoSQL has no such type. */
bool pgs_create_composite(PgsSession *s, PgQuery__CompositeTypeStmt *cs);
bool pgs_create_domain(PgsSession *s, PgQuery__CreateDomainStmt *ds);
int pgs_drop_usertype(PgsSession *s, const char *name, bool domain);
/* Whether values of the type tn can be stored as `what` (a column added,
 * a function's argument or result; NULL: a column of CREATE TABLE, whose
 * CHECK constraints pgs_domain_triggers enforces): a domain without CHECK
 * constraints can (its NOT NULL into *notnull when notnull is given), one
 * with them cannot (0A000 sent). */
bool pgs_domain_stored(PgsSession *s, PgQuery__TypeName *tn, const char *what, bool *notnull);
/* Triggers on table checking the domain constraints of column cd's type on
 * INSERT and UPDATE (none when it is not a domain with CHECK
 * constraints); false after the error was sent. */
bool pgs_domain_triggers(PgsSession *s, const char *table, PgQuery__ColumnDef *cd);

#endif
