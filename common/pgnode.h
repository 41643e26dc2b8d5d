/*
 * pgnode.h - libpg_query's protobuf-c parse trees: walking them by
 * reflection, comparing, building expression nodes, deparsing.
 */
#ifndef DOSQL_PGNODE_H
#define DOSQL_PGNODE_H

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>

#include "common/arena.h"

/* Call visit on every message below m (m itself included), depth first.
 * When visit returns false the walk does not descend into that message. */
void pgn_walk(const ProtobufCMessage *m, bool (*visit)(const ProtobufCMessage *m, void *arg), void *arg);

/* Two trees are the same expression: equal but for their locations. */
bool pgn_equal(const ProtobufCMessage *a, const ProtobufCMessage *b);

/* Expression nodes, allocated in a (they live as long as it does). */
PgQuery__Node *pgn_string(Arena *a, const char *s);
PgQuery__Node *pgn_column(Arena *a, const char *name);
/* name(arg), or name(*) when arg is NULL */
PgQuery__Node *pgn_call(Arena *a, const char *name, PgQuery__Node *arg);
PgQuery__Node *pgn_integer(Arena *a, int32_t v);
/* a string literal of len bytes, or NULL when s is NULL */
PgQuery__Node *pgn_text(Arena *a, const char *s, size_t len);
/* arg::type, or arg::type(1000, scale) when scale >= 0 */
PgQuery__Node *pgn_cast(Arena *a, PgQuery__Node *arg, const char *type, int scale);
PgQuery__Node *pgn_binary(Arena *a, PgQuery__AExprKind kind, const char *op, PgQuery__Node *l, PgQuery__Node *r);
/* a target entry "val AS name" (name NULL: none) */
PgQuery__Node *pgn_res_target(Arena *a, const char *name, PgQuery__Node *val);

/* The SQL text of a statement node (libpg_query's deparser); malloc'd,
 * NULL when it cannot be deparsed or memory ran out. */
char *pgn_deparse(PgQuery__Node *node);

/* protobuf-c gives "" for an unset string field: true when s has text. */
static inline bool pgn_has_str(const char *s) { return s && s[0]; }
/* The string value of a String node ("" when n is not one). */
const char *pgn_str(const PgQuery__Node *n);

/* The name of the node's kind ("create_stmt", ...), for messages. */
const char *pgn_name(const PgQuery__Node *n);

#endif
