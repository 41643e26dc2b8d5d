/*
 * gather_int.h - what gather.c and gather_sublink.c share: the FROM
 * references of the SELECT whose WHERE filters a gather's fetches, and
 * the subqueries of that WHERE that run inside one reference's fetch.
 */
#ifndef ROUTER_GATHER_INT_H
#define ROUTER_GATHER_INT_H

#include "router/plan_int.h"

#define RT_GATHER_MAX_CONJUNCTS 64

/* The table references of the top-level FROM list. */
typedef struct RtFromRefs {
	int n;
	PgQuery__RangeVar *rv[RT_MAX_TABLES];
	const char *qual[RT_MAX_TABLES]; /* alias, else name */
	bool nullable[RT_MAX_TABLES];    /* on the nullable side of an outer join */
	bool other; /* a subquery, function or USING/NATURAL join: unqualified columns are not resolved */
	const ProtobufCMessage *scope; /* the statement whose columns the final step reads */
	/* conjuncts of WHERE that are subqueries over tables colocated with
	 * one reference (gather_sublink.c): each runs in that reference's
	 * fetch on its shards, and the final step leaves it out */
	int npushed;
	const PgQuery__SubLink *pushed[RT_MAX_TABLES];
	PgQuery__Node *pushed_conjunct[RT_MAX_TABLES];
	int pushed_owner[RT_MAX_TABLES];
} RtFromRefs;

/* gather.c: the references of FROM item n into f (nullable: n is on the
 * nullable side of an outer join). */
void rt_from_refs(PgQuery__Node *n, bool nullable, RtFromRefs *f);
/* gather.c: the top-level conjuncts of where (at most max). */
void rt_conjuncts(PgQuery__Node *where, PgQuery__Node **out, int *n, int max);

/* gather_sublink.c: note in f the conjuncts of s's WHERE (s the SELECT
 * whose FROM references f holds, t the statement's tables) that are
 * EXISTS, NOT EXISTS or `x IN (subquery)` over tables colocated with one
 * reference k of f on the vindex column (or reference tables): each
 * shard holds every row of the subquery that k's rows meet, so it runs in
 * k's fetch.  Their tables' references are taken out of rest; k is then
 * read once there. */
void rt_gather_push_sublinks(const RtPlanner *pl, PgQuery__SelectStmt *s, const RtTables *t, RtFromRefs *f,
			     RtTables *rest);
/* gather_sublink.c: the pushed subquery of f whose node is m: its owner
 * reference, -1 when m is none. */
int rt_gather_pushed_owner(const RtFromRefs *f, const ProtobufCMessage *m);
/* gather_sublink.c: whether the statement scope reads table name (read
 * once) only in the FROM list of an EXISTS, IN, ANY or ALL subquery
 * without aggregates, grouping, DISTINCT or LIMIT, where a row that
 * repeats another changes nothing: its fetch can be DISTINCT. */
bool rt_gather_semi_only(const ProtobufCMessage *scope, const char *name);

#endif
