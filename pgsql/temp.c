/*
 * temp.c - TEMP relations that shadow a permanent relation of the same
 * name, as pg_temp comes first in PostgreSQL's search path.
 *
 * A CREATE TEMP TABLE/VIEW (or CREATE TEMP TABLE AS, SELECT INTO TEMP)
 * whose name a permanent relation has stores the relation as
 * "pg_temp_<n>_<name>", and the session remembers the pair.  Before each
 * statement runs, its parse tree is rewritten: every unqualified (or
 * pg_temp.) reference to the name becomes the stored name, with the name
 * as the alias in FROM, so that "name.column" still resolves.  public.name
 * keeps meaning the permanent relation.  A pair whose stored relation is
 * gone (DROP, a rolled-back CREATE) is forgotten before the next statement.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/ddl_int.h"

struct PgsShadow {
	char *name;   /* the name the session uses */
	char *stored; /* the relation's name in the database */
};

static _Atomic unsigned shadow_serial = 0;

static void shadow_remove(PgsSession *s, int i)
{
	free(s->shadow[i].name);
	free(s->shadow[i].stored);
	s->shadow[i] = s->shadow[--s->nshadow];
}

void pgs_temp_free(PgsSession *s)
{
	while (s->nshadow > 0)
		shadow_remove(s, s->nshadow - 1);
	free(s->shadow);
	s->shadow = NULL;
}

static const char *stored_name(const PgsSession *s, const char *name)
{
	for (int i = 0; i < s->nshadow; i++)
		if (strcmp(s->shadow[i].name, name) == 0)
			return s->shadow[i].stored;
	return NULL;
}

static bool is_temp_name(const PgsSession *s, const char *name)
{
	for (int i = 0; i < s->ntemp; i++)
		if (strcmp(s->temp[i], name) == 0)
			return true;
	return false;
}

/* Whether rv names a relation in the session's search path (no schema,
 * or pg_temp). */
static bool unqualified(const PgQuery__RangeVar *rv)
{
	return rv->relname && (!rv->schemaname || !rv->schemaname[0] || strcmp(rv->schemaname, "pg_temp") == 0);
}

static void set_relname(PgQuery__RangeVar *rv, const char *name)
{
	char *copy = strdup(name);
	if (!copy)
		return;
	free(rv->relname);
	rv->relname = copy;
	if (rv->schemaname && rv->schemaname[0]) {
		free(rv->schemaname);
		rv->schemaname = strdup("");
	}
}

/* A new TEMP relation rv: stored under another name when a permanent
 * relation has its name, or under the stored name of the session's TEMP
 * relation of that name (which then reports it exists). */
static void create_temp(PgsSession *s, PgQuery__RangeVar *rv)
{
	if (!rv || !unqualified(rv))
		return;
	const char *have = stored_name(s, rv->relname);
	if (have) {
		set_relname(rv, have);
		return;
	}
	const PgsTable *t = pgs_catalog_table(&s->cat, rv->relname);
	if (!t || t->system || is_temp_name(s, rv->relname))
		return;
	struct PgsShadow *grown = realloc(s->shadow, sizeof(*grown) * (size_t)(s->nshadow + 1));
	if (!grown)
		return;
	s->shadow = grown;
	char stored[300];
	do
		snprintf(stored, sizeof(stored), "pg_temp_%u_%s", atomic_fetch_add(&shadow_serial, 1) + 1, rv->relname);
	while (pgs_catalog_table(&s->cat, stored));
	char *name = strdup(rv->relname), *copy = strdup(stored);
	if (!name || !copy) {
		free(name);
		free(copy);
		return;
	}
	s->shadow[s->nshadow++] = (struct PgsShadow){name, copy};
	set_relname(rv, stored);
}

/* The RangeVar fields that name a relation being created: left alone. */
static bool creates(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	return (d == &pg_query__create_stmt__descriptor && strcmp(f->name, "relation") == 0) ||
	       (d == &pg_query__into_clause__descriptor && strcmp(f->name, "rel") == 0) ||
	       (d == &pg_query__view_stmt__descriptor && strcmp(f->name, "view") == 0);
}

static void rewrite_msg(PgsSession *s, ProtobufCMessage *m, bool in_from);

static void rewrite_rangevar(PgsSession *s, PgQuery__RangeVar *rv, bool in_from)
{
	const char *stored = unqualified(rv) ? stored_name(s, rv->relname) : NULL;
	if (!stored)
		return;
	if (in_from && !rv->alias) {
		PgQuery__Alias *a = malloc(sizeof(*a));
		if (!a)
			return;
		pg_query__alias__init(a);
		a->aliasname = strdup(rv->relname);
		rv->alias = a;
	}
	set_relname(rv, stored);
}

/* DROP TABLE/VIEW name: the stored name. */
static void rewrite_drop(PgsSession *s, PgQuery__DropStmt *ds)
{
	if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_VIEW)
		return;
	for (size_t i = 0; i < ds->n_objects; i++) {
		PgQuery__Node *o = ds->objects[i];
		if (o->node_case != PG_QUERY__NODE__NODE_LIST || o->list->n_items == 0)
			continue;
		PgQuery__List *l = o->list;
		PgQuery__Node *last = l->items[l->n_items - 1];
		bool temp_schema = l->n_items == 2 && l->items[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
				   strcmp(l->items[0]->string->sval, "pg_temp") == 0;
		if ((l->n_items != 1 && !temp_schema) || last->node_case != PG_QUERY__NODE__NODE_STRING)
			continue;
		const char *stored = stored_name(s, last->string->sval);
		char *copy = stored ? strdup(stored) : NULL;
		if (!copy)
			continue;
		free(last->string->sval);
		last->string->sval = copy;
		if (temp_schema) {
			pg_query__node__free_unpacked(l->items[0], NULL);
			l->items[0] = last;
			l->n_items = 1;
		}
	}
}

static void rewrite_field(PgsSession *s, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, bool in_from)
{
	char *base = (char *)m;
	if (f->type != PROTOBUF_C_TYPE_MESSAGE || creates(m, f))
		return;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(uint32_t *)(base + f->quantifier_offset) != f->id)
		return;
	bool from = in_from || strcmp(f->name, "from_clause") == 0 || strcmp(f->name, "using_clause") == 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(size_t *)(base + f->quantifier_offset);
		ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
		for (size_t i = 0; i < n; i++)
			rewrite_msg(s, items[i], from);
	} else {
		rewrite_msg(s, *(ProtobufCMessage **)(base + f->offset), from);
	}
}

static void rewrite_msg(PgsSession *s, ProtobufCMessage *m, bool in_from)
{
	if (!m)
		return;
	if (m->descriptor == &pg_query__range_var__descriptor) {
		rewrite_rangevar(s, (PgQuery__RangeVar *)m, in_from);
		return;
	}
	if (m->descriptor == &pg_query__drop_stmt__descriptor)
		rewrite_drop(s, (PgQuery__DropStmt *)m);
	/* a subquery's clauses start outside FROM */
	if (m->descriptor == &pg_query__select_stmt__descriptor)
		in_from = false;
	for (unsigned i = 0; i < m->descriptor->n_fields; i++)
		rewrite_field(s, m, &m->descriptor->fields[i], in_from);
}

/* The TEMP relation node creates, NULL for other statements. */
static PgQuery__RangeVar *created_temp(PgQuery__Node *node)
{
	PgQuery__RangeVar *rv = NULL;
	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_STMT)
		rv = node->create_stmt->relation;
	else if (node->node_case == PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT && node->create_table_as_stmt->into)
		rv = node->create_table_as_stmt->into->rel;
	else if (node->node_case == PG_QUERY__NODE__NODE_VIEW_STMT)
		rv = node->view_stmt->view;
	else if (node->node_case == PG_QUERY__NODE__NODE_SELECT_STMT && node->select_stmt->into_clause)
		rv = node->select_stmt->into_clause->rel;
	return rv && rv->relpersistence && rv->relpersistence[0] == 't' ? rv : NULL;
}

void pgs_temp_rewrite(PgsSession *s, PgQuery__Node *node)
{
	if (!node)
		return;
	for (int i = s->nshadow - 1; i >= 0; i--)
		if (!pgs_catalog_table(&s->cat, s->shadow[i].stored))
			shadow_remove(s, i);
	PgQuery__RangeVar *rv = created_temp(node);
	if (!rv && s->nshadow == 0)
		return;
	if (s->nshadow > 0)
		rewrite_msg(s, &node->base, false);
	if (rv)
		create_temp(s, rv);
}
