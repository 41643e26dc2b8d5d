/*
 * local.h - the engine over a private in-memory database, for running
 * PostgreSQL statements inside another program (the router's final step of
 * a cross-shard query): queries, SET / RESET, and DDL of its own tables.
 */
#ifndef DOSQL_PGS_LOCAL_H
#define DOSQL_PGS_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "pgsql/pgsql.h"

typedef struct PgsLocal PgsLocal;

/* A new local database with DoSQL's catalog and every setting at its
 * initial value; NULL when SQLite or memory fails. */
PgsLocal *pgs_local_create(void);
void pgs_local_destroy(PgsLocal *l);
/* Its engine state: settings, output formats, the SQLite connection. */
PgsSession *pgs_local_session(PgsLocal *l);

/* Run the statements of sql, each in an implicit transaction unless one is
 * open on the connection; their protocol replies (RowDescription, DataRow,
 * CommandComplete, ErrorResponse, notices; no ReadyForQuery) are appended
 * to out.  False when one of them failed (the rest do not run). */
bool pgs_local_sql(PgsLocal *l, const char *sql, Buf *out);
/* The same as an extended-protocol Execute: no RowDescription, and result
 * columns in formats[] (PostgreSQL's rules: none = text, one = for all). */
bool pgs_local_execute(PgsLocal *l, const char *sql, int nformats, const int16_t *formats, Buf *out);
/* One statement compiled for repeated use with its $n bound by the caller
 * (sqlite3_finalize when done); NULL with *e filled. */
sqlite3_stmt *pgs_local_prepare(PgsLocal *l, const char *sql, PgwError *e);

#endif
