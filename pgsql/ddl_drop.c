/*
 * ddl_drop.c - DROP of objects DoSQL cannot create: triggers, rules and
 * policies (none exists on any relation) and types and domains (every
 * type is a built-in one).  Each answers as PostgreSQL does when the
 * object is missing: a NOTICE under IF EXISTS, else 42704; a missing
 * relation is 42P01; dropping a built-in type is 2BP01.
 */
#include <string.h>

#include "common/arena.h"
#include "common/pgnode.h"
#include "pgsql/ddl_int.h"
#include "pgsql/pgtype_format.h"

/* The object name of a TypeName as written (schema-qualified or not). */
static void typename_text(Buf *b, const PgQuery__TypeName *tn)
{
	for (size_t i = 0; i < tn->n_names; i++) {
		if (i)
			buf_put_u8(b, '.');
		buf_put_str(b, pgn_str(tn->names[i]));
	}
}

static bool drop_type(PgsSession *s, PgQuery__DropStmt *ds, bool domain)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		PgQuery__TypeName *tn = ds->objects[i]->type_name;
		int user = tn && tn->n_names ? pgs_drop_usertype(s, pgn_str(tn->names[tn->n_names - 1]), domain) : -1;
		if (user >= 0) {
			if (user == 0)
				return false;
			continue;
		}
		Arena a;
		arena_init(&a);
		PgsTranslateCtx ctx = {.cat = &s->cat, .arena = &a};
		PgwError e;
		uint32_t oid;
		int32_t typmod;
		bool exists = tn && pgs_resolve_typename(&ctx, tn, &oid, &typmod, NULL, &e);
		arena_reset(&a);
		Buf name;
		buf_init(&name);
		if (tn)
			typename_text(&name, tn);
		if (!exists && ds->missing_ok) {
			pgs_notice(s, "type \"%s\" does not exist, skipping", buf_cstr(&name));
		} else if (!exists) {
			pgs_errorf(s, "42704", "type \"%s\" does not exist", buf_cstr(&name));
		} else if (domain) {
			pgs_errorf(s, "42809", "\"%s\" is not a domain", buf_cstr(&name));
		} else {
			buf_reset(&name);
			pgt_format_type(&name, oid, -1, false);
			pgs_errorf(s, "2BP01", "cannot drop type %s because it is required by the database system",
				   buf_cstr(&name));
		}
		buf_cleanup(&name);
		if (exists || !ds->missing_ok)
			return false;
	}
	return true;
}

/* DROP TRIGGER/RULE/POLICY name ON rel: objects are lists (schema,) rel,
 * name. */
static bool drop_on_relation(PgsSession *s, PgQuery__DropStmt *ds, const char *kind, const char *of)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		PgQuery__List *l = ds->objects[i]->list;
		if (!l || l->n_items < 2) {
			pgs_errorf(s, "42601", "improper %s name", kind);
			return false;
		}
		const char *name = pgn_str(l->items[l->n_items - 1]);
		const PgsTable *t = pgs_catalog_table(&s->cat, pgn_str(l->items[l->n_items - 2]));
		if (l->n_items > 2 && strcmp(pgn_str(l->items[0]), "public") != 0)
			t = NULL;
		Buf rb; /* the relation as written */
		buf_init(&rb);
		for (size_t k = 0; k + 1 < l->n_items; k++)
			buf_printf(&rb, "%s%s", k ? "." : "", pgn_str(l->items[k]));
		const char *rel = buf_cstr(&rb);
		bool ok = ds->missing_ok;
		if (!t && ds->missing_ok)
			pgs_notice(s, "relation \"%s\" does not exist, skipping", rel);
		else if (!t)
			pgs_errorf(s, "42P01", "relation \"%s\" does not exist", rel);
		else if (ds->missing_ok)
			pgs_notice(s, "%s \"%s\" for relation \"%s\" does not exist, skipping", kind, name, rel);
		else
			pgs_errorf(s, "42704", "%s \"%s\" for %s \"%s\" does not exist", kind, name, of, rel);
		buf_cleanup(&rb);
		if (!ok)
			return false;
	}
	return true;
}

int pgs_drop_absent(PgsSession *s, PgQuery__DropStmt *ds, const char **tag)
{
	switch (ds->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		*tag = "DROP TRIGGER";
		return drop_on_relation(s, ds, "trigger", "table");
	case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
		*tag = "DROP RULE";
		return drop_on_relation(s, ds, "rule", "relation");
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
		*tag = "DROP POLICY";
		return drop_on_relation(s, ds, "policy", "table");
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
		*tag = "DROP TYPE";
		return drop_type(s, ds, false);
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
		*tag = "DROP DOMAIN";
		return drop_type(s, ds, true);
	default:
		return -1;
	}
}
