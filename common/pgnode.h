/*
 * pgnode.h - walking libpg_query's protobuf-c parse trees by reflection.
 */
#ifndef DOSQL_PGNODE_H
#define DOSQL_PGNODE_H

#include <pg_query/pg_query.pb-c.h>
#include <stdbool.h>

/* Call visit on every message below m (m itself included), depth first.
 * When visit returns false the walk does not descend into that message. */
void pgn_walk(const ProtobufCMessage *m, bool (*visit)(const ProtobufCMessage *m, void *arg), void *arg);

/* Two trees are the same expression: equal but for their locations. */
bool pgn_equal(const ProtobufCMessage *a, const ProtobufCMessage *b);

#endif
