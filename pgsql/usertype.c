/*
 * usertype.c - CREATE TYPE ... AS (...), CREATE DOMAIN and DROP of them:
 * rows of _dosql_type, read back by pgs_usertype_get.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/pgnode.h"
#include "pgsql/ddl_int.h"
#include "pgsql/pgtype.h"
#include "pgsql/usertype.h"

void pgs_usertype_cleanup(PgsUserType *t)
{
	free(t->checks);
	free(t->attrs);
	memset(t, 0, sizeof(*t));
}

/* The attributes of a composite type from their JSON text
 * [[name, type, typmod, usertype], ...]. */
static void attrs_from_json(PgsUserType *t, const char *text)
{
	json_t *a = json_loads(text ? text : "[]", 0, NULL);
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	t->attrs = calloc(n ? n : 1, sizeof(PgsUserAttr));
	for (size_t i = 0; i < n && t->attrs; i++) {
		json_t *e = json_array_get(a, i);
		PgsUserAttr *at = &t->attrs[t->nattrs++];
		snprintf(at->name, sizeof(at->name), "%s", json_string_value(json_array_get(e, 0)) ?: "");
		at->type = (uint32_t)json_integer_value(json_array_get(e, 1));
		at->typmod = (int32_t)json_integer_value(json_array_get(e, 2));
		snprintf(at->usertype, sizeof(at->usertype), "%s", json_string_value(json_array_get(e, 3)) ?: "");
	}
	json_decref(a);
}

bool pgs_usertype_get(PgsCatalog *cat, const char *name, PgsUserType *out)
{
	memset(out, 0, sizeof(*out));
	if (!cat || !cat->db)
		return false;
	sqlite3 *db = cat->own_ddl || !cat->ro ? cat->db : cat->ro;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT oid, typtype, basetype, basetypmod, typnotnull, checks, attrs"
			       " FROM main._dosql_type WHERE typname = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	if (found) {
		out->oid = (uint32_t)sqlite3_column_int64(st, 0);
		out->typtype = ((const char *)sqlite3_column_text(st, 1))[0];
		out->basetype = (uint32_t)sqlite3_column_int64(st, 2);
		out->basetypmod = sqlite3_column_int(st, 3);
		out->notnull = sqlite3_column_int(st, 4) != 0;
		const char *checks = (const char *)sqlite3_column_text(st, 5);
		out->checks = strdup(checks ? checks : "[]");
		if (out->typtype == 'c')
			attrs_from_json(out, (const char *)sqlite3_column_text(st, 6));
	}
	sqlite3_finalize(st);
	return found;
}

/* The type name of a list of String nodes, schema-checked (only public);
 * NULL after 3F000 was sent. */
static const char *type_name(PgsSession *s, size_t n, PgQuery__Node **names)
{
	if (n > 1 && strcmp(pgn_str(names[n - 2]), "public") != 0) {
		pgs_errorf(s, "3F000", "schema \"%s\" does not exist", pgn_str(names[n - 2]));
		return NULL;
	}
	return n ? pgn_str(names[n - 1]) : NULL;
}

/* Whether a type called name exists already (42710 sent when it does). */
static bool type_taken(PgsSession *s, const char *name)
{
	PgsUserType t;
	bool taken = pgs_usertype_get(&s->cat, name, &t) || pgt_by_name(name) != NULL;
	pgs_usertype_cleanup(&t);
	if (!taken)
		taken = pgs_catalog_table(&s->cat, name) != NULL;
	if (taken)
		pgs_errorf(s, "42710", "type \"%s\" already exists", name);
	return taken;
}

static bool insert_type(PgsSession *s, const char *name, char typtype, uint32_t base, int32_t typmod, bool notnull,
			const char *checks, const char *attrs)
{
	PgwError e;
	uint32_t oid;
	if (!pgs_catalog_next_oid(s->db, &oid)) {
		pgs_errorf(s, "XX000", "could not allocate an OID");
		return false;
	}
	char *sql = sqlite3_mprintf("INSERT INTO main._dosql_type(oid, typname, typtype, basetype, basetypmod, typnotnull,"
				    " checks, attrs) VALUES(%u, %Q, '%c', %u, %d, %d, %Q, %Q)",
				    oid, name, typtype, base, typmod, notnull, checks, attrs);
	bool ok = sql && pgs_sql(s, sql, &e);
	if (!ok && sql)
		pgs_send_error(s, &e);
	else if (!ok)
		pgs_errorf(s, "53200", "out of memory");
	sqlite3_free(sql);
	if (ok)
		pgs_schema_changed();
	return ok;
}

/* One attribute of CREATE TYPE ... AS: a built-in type, a domain (its base
 * type) or a composite type (or an array of one). */
static bool composite_attr(PgsSession *s, PgQuery__ColumnDef *cd, json_t *attrs)
{
	PgQuery__TypeName *tn = cd->type_name;
	const char *tname = tn->n_names ? pgn_str(tn->names[tn->n_names - 1]) : "";
	PgsUserType ut;
	bool user = !pgt_by_name(tname) && pgs_usertype_get(&s->cat, tname, &ut);
	char usertype[PGS_UTYPE_NAME_MAX + 2] = "";
	uint32_t type = 0;
	int32_t typmod = -1;
	if (user && ut.typtype == 'c') {
		snprintf(usertype, sizeof(usertype), "%s%s", tname, tn->n_array_bounds ? "[]" : "");
	} else {
		Arena a;
		arena_init(&a);
		PgsTranslateCtx ctx = {.cat = &s->cat, .arena = &a};
		PgwError e;
		bool ok = pgs_resolve_typename(&ctx, tn, &type, &typmod, NULL, &e);
		arena_reset(&a);
		if (!ok) {
			if (user)
				pgs_usertype_cleanup(&ut);
			pgs_send_error(s, &e);
			return false;
		}
		if (user && !tn->n_array_bounds)
			snprintf(usertype, sizeof(usertype), "%s", tname);
		if (tn->n_array_bounds && tn->n_typmods) { /* the element's typmod is not kept */
			type = 0;
			snprintf(usertype, sizeof(usertype), "?");
		}
	}
	if (user)
		pgs_usertype_cleanup(&ut);
	json_array_append_new(attrs, json_pack("[s, I, i, s]", cd->colname, (json_int_t)type, typmod, usertype));
	return true;
}

bool pgs_create_composite(PgsSession *s, PgQuery__CompositeTypeStmt *cs)
{
	PgQuery__RangeVar *rv = cs->typevar;
	if (!rv || !pgs_ddl_check_schema(s, rv))
		return false;
	if (type_taken(s, rv->relname))
		return false;
	json_t *attrs = json_array();
	bool ok = true;
	for (size_t i = 0; i < cs->n_coldeflist && ok; i++) {
		PgQuery__ColumnDef *cd = cs->coldeflist[i]->column_def;
		for (size_t k = 0; k < i && ok; k++)
			if (strcmp(cs->coldeflist[k]->column_def->colname, cd->colname) == 0) {
				pgs_errorf(s, "42701", "column \"%s\" specified more than once", cd->colname);
				ok = false;
			}
		ok = ok && composite_attr(s, cd, attrs);
	}
	char *text = ok ? json_dumps(attrs, JSON_COMPACT) : NULL;
	ok = ok && insert_type(s, rv->relname, 'c', 0, -1, false, "[]", text);
	free(text);
	json_decref(attrs);
	return ok;
}

/* The constraints of CREATE DOMAIN into notnull and checks (a JSON array of
 * [name, expression text]); false after the error was sent. */
static bool domain_constraints(PgsSession *s, PgQuery__CreateDomainStmt *ds, const char *name, uint32_t base,
			       int32_t typmod, bool *notnull, json_t *checks)
{
	for (size_t i = 0; i < ds->n_constraints; i++) {
		PgQuery__Constraint *k = ds->constraints[i]->constraint;
		if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL) {
			*notnull = true;
		} else if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NULL) {
			*notnull = false;
		} else if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK) {
			char *text = pgs_deparse_expr(k->raw_expr);
			char cname[2 * PGS_UTYPE_NAME_MAX];
			snprintf(cname, sizeof(cname), "%s%s", pgn_has_str(k->conname) ? k->conname : name,
				 pgn_has_str(k->conname) ? "" : "_check");
			PgwError e;
			bool ok = text && pgs_domain_check_valid(&s->cat, base, typmod, text, &e);
			if (text && !ok)
				pgs_send_error(s, &e);
			if (ok)
				json_array_append_new(checks, json_pack("[s, s]", cname, text));
			free(text);
			if (!ok)
				return false;
		} else {
			pgs_errorf(s, "0A000", "this constraint of a domain is not supported by DoSQL");
			return false;
		}
	}
	return true;
}

bool pgs_create_domain(PgsSession *s, PgQuery__CreateDomainStmt *ds)
{
	const char *name = type_name(s, ds->n_domainname, ds->domainname);
	if (!name || type_taken(s, name))
		return false;
	Arena a;
	arena_init(&a);
	PgsTranslateCtx ctx = {.cat = &s->cat, .arena = &a};
	PgwError e;
	uint32_t base;
	int32_t typmod;
	bool ok = pgs_resolve_typename(&ctx, ds->type_name, &base, &typmod, NULL, &e);
	arena_reset(&a);
	if (!ok) {
		pgs_send_error(s, &e);
		return false;
	}
	bool notnull = false;
	json_t *checks = json_array();
	ok = domain_constraints(s, ds, name, base, typmod, &notnull, checks);
	char *text = ok ? json_dumps(checks, JSON_COMPACT) : NULL;
	ok = ok && insert_type(s, name, 'd', base, typmod, notnull, text, "[]");
	free(text);
	json_decref(checks);
	return ok;
}

bool pgs_domain_stored(PgsSession *s, PgQuery__TypeName *tn, const char *what, bool *notnull)
{
	const char *name = tn && tn->n_names ? pgn_str(tn->names[tn->n_names - 1]) : "";
	PgsUserType d;
	if (pgt_by_name(name) || !pgs_usertype_get(&s->cat, name, &d))
		return true;
	bool checked = d.typtype == 'd' && strcmp(d.checks, "[]") != 0;
	if (notnull && d.typtype == 'd' && !tn->n_array_bounds)
		*notnull = *notnull || d.notnull;
	else if (d.typtype == 'd' && d.notnull)
		checked = true;
	pgs_usertype_cleanup(&d);
	if (checked && what)
		pgs_errorf(s, "0A000", "%s of the domain %s (which has constraints) is not supported by DoSQL", what, name);
	return !checked || !what;
}

bool pgs_domain_triggers(PgsSession *s, const char *table, PgQuery__ColumnDef *cd)
{
	PgQuery__TypeName *tn = cd->type_name;
	const char *name = tn && tn->n_names ? pgn_str(tn->names[tn->n_names - 1]) : "";
	PgsUserType d;
	if (!tn || tn->n_array_bounds || pgt_by_name(name) || !pgs_usertype_get(&s->cat, name, &d))
		return true;
	bool ok = true;
	if (d.typtype == 'd' && strcmp(d.checks, "[]") != 0) {
		Buf col, check;
		buf_init(&col);
		buf_init(&check);
		buf_put_str(&col, "NEW.");
		pgs_put_ident(&col, cd->colname);
		PgwError e;
		ok = pgs_domain_check_sql(&s->cat, &d, name, buf_cstr(&col), &check, &e);
		for (int w = 0; w < 2 && ok; w++) {
			char *sql = sqlite3_mprintf("CREATE TRIGGER \"%w_%w_dom_%s\" BEFORE %s ON \"%w\" BEGIN SELECT %s; END",
						    table, cd->colname, w ? "upd" : "ins", w ? "UPDATE" : "INSERT", table,
						    buf_cstr(&check));
			ok = sql && pgs_sql(s, sql, &e);
			sqlite3_free(sql);
		}
		if (!ok)
			pgs_send_error(s, &e);
		buf_cleanup(&col);
		buf_cleanup(&check);
	}
	pgs_usertype_cleanup(&d);
	return ok;
}

/* Whether a composite type or a domain uses the type called name (2BP01
 * sent when one does). */
static bool type_used(PgsSession *s, const char *name)
{
	sqlite3_stmt *st;
	char *user = NULL;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT t.typname FROM main._dosql_type t, json_each(t.attrs) a"
			       " WHERE json_extract(a.value, '$[3]') IN (?1, ?1 || '[]') LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			user = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (user)
		pgs_errorf(s, "2BP01", "cannot drop type %s because other objects depend on it", name);
	free(user);
	return user != NULL;
}

int pgs_drop_usertype(PgsSession *s, const char *name, bool domain)
{
	PgsUserType t;
	if (!pgs_usertype_get(&s->cat, name, &t))
		return -1;
	char typtype = t.typtype;
	pgs_usertype_cleanup(&t);
	if (domain && typtype != 'd') {
		pgs_errorf(s, "42809", "\"%s\" is not a domain", name);
		return 0;
	}
	if (type_used(s, name))
		return 0;
	PgwError e;
	char *sql = sqlite3_mprintf("DELETE FROM main._dosql_type WHERE typname = %Q", name);
	bool ok = sql && pgs_sql(s, sql, &e);
	if (!ok && sql)
		pgs_send_error(s, &e);
	sqlite3_free(sql);
	if (ok)
		pgs_schema_changed();
	return ok ? 1 : 0;
}
