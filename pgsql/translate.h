/*
 * translate.h - PostgreSQL statements (libpg_query trees) to SQLite SQL.
 *
 * The translator is an analyzer and an emitter in one pass: it resolves
 * every name against the catalog (42P01, 42703, 42702 with the position in
 * the client's text), types every expression the way PostgreSQL does, names
 * result columns as PostgreSQL's FigureColname would, infers the types of
 * $n parameters from their context, and writes SQLite SQL that gives
 * PostgreSQL's answer.  A construct it cannot translate faithfully is
 * refused with 0A000 naming it.
 */
#ifndef DOSQL_PGS_TRANSLATE_H
#define DOSQL_PGS_TRANSLATE_H

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/pgnode.h"
#include "pgwire/pgwire.h"
#include "pgsql/catalog.h"

typedef struct PgsResultCol {
	const char *name; /* arena */
	uint32_t type;
	int32_t typmod;
	uint32_t table_oid;
	int16_t attnum;
} PgsResultCol;

typedef enum PgsQueryKind {
	PGS_Q_SELECT,
	PGS_Q_INSERT,
	PGS_Q_UPDATE,
	PGS_Q_DELETE,
} PgsQueryKind;

#define PGS_MAX_PARAMS 65535

/* One translated statement. Everything is in `arena`. */
typedef struct PgsQuery {
	PgsQueryKind kind;
	const char *sql; /* SQLite SQL */
	int ncols;
	PgsResultCol *cols;
	int nparams;
	uint32_t *param_types; /* nparams entries; 0 = not determined */
	bool returns_rows;
	bool catalog; /* reads pg_catalog relations or calls the catalog's functions */
} PgsQuery;

typedef struct PgsTranslateCtx {
	PgsCatalog *cat;   /* borrowed */
	const char *src;   /* the client's full query text (for positions) */
	Arena *arena;      /* where results live */
	int nparams_in;    /* parameter types the client declared */
	const uint32_t *param_types_in;
	const char *user;  /* session user, for current_user */
} PgsTranslateCtx;

/* Translate a SELECT/INSERT/UPDATE/DELETE/VALUES statement.  On failure
 * returns false with *err filled (SQLSTATE, message, position). */
bool pgs_translate(const PgsTranslateCtx *ctx, PgQuery__Node *stmt, PgsQuery *out, PgwError *err)
	__attribute__((warn_unused_result));

/* Translate one scalar expression (a column default, a CHECK) against the
 * columns of `table` (may be NULL); writes SQLite SQL to out.  Used by DDL. */
bool pgs_translate_expr(const PgsTranslateCtx *ctx, const PgsTable *table, PgQuery__Node *expr, Buf *out,
			uint32_t *type, PgwError *err) __attribute__((warn_unused_result));

/* Whether the translator has a function of this name of its own. */
bool pgs_has_builtin(const char *name);

/* A quoted SQLite identifier. */
void pgs_put_ident(Buf *b, const char *name);
/* A quoted SQLite string literal. */
void pgs_put_literal(Buf *b, const char *s, size_t len);

/* Resolve a libpg_query TypeName to (oid, typmod); false with 42704 when
 * the type does not exist.  *serial is set for serial/bigserial/smallserial. */
bool pgs_resolve_typename(const PgsTranslateCtx *ctx, PgQuery__TypeName *tn, uint32_t *oid, int32_t *typmod,
			  int *serial, PgwError *err) __attribute__((warn_unused_result));

/* 1-based character position of byte offset `loc` in src (0 when loc < 0). */
int pgs_char_position(const char *src, int loc);

/* The i-th PostgreSQL function the translator knows, for pg_proc: its name,
 * its result type (0: that of its first argument) and kind ('f' function,
 * 'a' aggregate, 'w' window function); NULL past the end. */
const char *pgs_builtin_function(size_t i, uint32_t *rettype, char *kind);
/* Whether name is an aggregate DoSQL knows (count, sum, stddev, ...). */
bool pgs_is_aggregate(const char *name);


#endif
