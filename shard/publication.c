/*
 * publication.c - CREATE PUBLICATION and DROP PUBLICATION on a shard.
 *
 * Publications live in _dosql_publication and _dosql_publication_rel and
 * are shown as pg_publication, pg_publication_rel and
 * pg_publication_tables (catalog_views.c).  The router runs these statements on
 * every shard, like other DDL, and reads them back when a pgoutput stream
 * starts.
 */
#include <string.h>

#include "pgsql/catalog.h"
#include "shard/session_int.h"
#include "pgsql/translate.h"

static bool exists(ShdSession *s, const char *name)
{
	sqlite3_stmt *st;
	bool found = false;
	if (sqlite3_prepare_v2(s->pg.db, "SELECT 1 FROM main._dosql_publication WHERE pubname = ?1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return found;
}

/* The publish option: "insert, update, delete, truncate" in any subset. */
static bool publish_option(ShdSession *s, const char *v, bool ops[4])
{
	static const char *const names[] = {"insert", "update", "delete", "truncate"};
	memset(ops, 0, 4 * sizeof(bool));
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, " ,");
		if (n == 0)
			break;
		int k = -1;
		for (int i = 0; i < 4; i++)
			if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0)
				k = i;
		if (k < 0) {
			pgs_errorf(&s->pg, "22023", "unrecognized \"publish\" value: \"%.*s\"", (int)n, p);
			return false;
		}
		ops[k] = true;
		p += n;
	}
	return true;
}

bool shd_create_publication(ShdSession *s, PgQuery__CreatePublicationStmt *cp)
{
	PgwError e;
	bool ops[4] = {true, true, true, true};
	for (size_t i = 0; i < cp->n_options; i++) {
		PgQuery__DefElem *d = cp->options[i]->def_elem;
		const char *v = d->arg ? pgn_str(d->arg) : NULL;
		if (strcmp(d->defname, "publish") == 0 && v) {
			if (!publish_option(s, v, ops))
				return false;
		} else if (strcmp(d->defname, "publish_via_partition_root") != 0) {
			pgs_errorf(&s->pg, "42601", "unrecognized publication parameter: \"%s\"", d->defname);
			return false;
		}
	}
	if (exists(s, cp->pubname)) {
		pgs_errorf(&s->pg, "42710", "publication \"%s\" already exists", cp->pubname);
		return false;
	}
	uint32_t oid;
	if (!pgs_catalog_next_oid(s->pg.db, &oid)) {
		pgs_errorf(&s->pg, "XX000", "cannot allocate an OID for publication \"%s\"", cp->pubname);
		return false;
	}
	if (!pgs_exec_params(&s->pg, 			     "INSERT INTO main._dosql_publication(oid, pubname, puballtables, pubinsert, pubupdate,"
			     " pubdelete, pubtruncate) VALUES (?3, ?1, ?4 & 1, (?4 >> 1) & 1, (?4 >> 2) & 1,"
			     " (?4 >> 3) & 1, (?4 >> 4) & 1)",
			     cp->pubname, NULL, oid,
			     (cp->for_all_tables ? 1 : 0) | ops[0] << 1 | ops[1] << 2 | ops[2] << 3 | ops[3] << 4, NULL, &e)) {
		shd_send_error(s, &e);
		return false;
	}
	for (size_t i = 0; i < cp->n_pubobjects; i++) {
		PgQuery__PublicationObjSpec *o = cp->pubobjects[i]->publication_obj_spec;
		if (o->pubobjtype != PG_QUERY__PUBLICATION_OBJ_SPEC_TYPE__PUBLICATIONOBJ_TABLE &&
		    o->pubobjtype != PG_QUERY__PUBLICATION_OBJ_SPEC_TYPE__PUBLICATIONOBJ_CONTINUATION) {
			pgs_errorf(&s->pg, "0A000", "CREATE PUBLICATION ... FOR TABLES IN SCHEMA is not supported by DoSQL");
			return false;
		}
		if (!o->pubtable) {
			pgs_errorf(&s->pg, "0A000", "this publication object is not supported by DoSQL");
			return false;
		}
		if (o->pubtable->where_clause || o->pubtable->n_columns) {
			pgs_errorf(&s->pg, "0A000", "publication row filters and column lists are not supported by DoSQL");
			return false;
		}
		const char *name = o->pubtable->relation->relname;
		const PgsTable *t = pgs_catalog_table(&s->pg.cat, name);
		if (!t || t->system || t->relkind != 'r') {
			pgs_errorf(&s->pg, "42P01", "relation \"%s\" does not exist", name);
			return false;
		}
		uint32_t relid;
		if (!pgs_catalog_next_oid(s->pg.db, &relid) ||
		    !pgs_exec_params(&s->pg, 				     "INSERT INTO main._dosql_publication_rel(oid, prpubid, prrelid)"
				     " VALUES (?3, ?4, (SELECT oid FROM main._dosql_class WHERE relname = ?1))",
				     t->name, NULL, relid, oid, NULL, &e)) {
			shd_send_error(s, &e);
			return false;
		}
	}
	return true;
}

bool shd_drop_publication(ShdSession *s, PgQuery__DropStmt *ds)
{
	PgwError e;
	for (size_t i = 0; i < ds->n_objects; i++) {
		const char *name = pgn_str(ds->objects[i]);
		if (!exists(s, name)) {
			if (ds->missing_ok) {
				pgs_notice(&s->pg, "publication \"%s\" does not exist, skipping", name);
				continue;
			}
			pgs_errorf(&s->pg, "42704", "publication \"%s\" does not exist", name);
			return false;
		}
		if (!pgs_exec_params(&s->pg, 				     "DELETE FROM main._dosql_publication_rel WHERE prpubid ="
				     " (SELECT oid FROM main._dosql_publication WHERE pubname = ?1)",
				     name, NULL, 0, 0, NULL, &e) ||
		    !pgs_exec_params(&s->pg, "DELETE FROM main._dosql_publication WHERE pubname = ?1", name, NULL, 0, 0, NULL,
				     &e)) {
			shd_send_error(s, &e);
			return false;
		}
	}
	return true;
}
