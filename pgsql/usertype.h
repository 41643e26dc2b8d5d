/*
 * usertype.h - types a session creates: composite types (CREATE TYPE ...
 * AS (...)) and domains (CREATE DOMAIN), kept in _dosql_type.
 *
 * A domain's values are those of its base type; its NOT NULL and CHECK
 * constraints are checked where a value becomes the domain's (casts,
 * json(b)_populate_record).  A composite type is known by its attributes;
 * json(b)_populate_record(set) read rows of it.
 */
#ifndef DOSQL_PGS_USERTYPE_H
#define DOSQL_PGS_USERTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "pgsql/catalog.h"
#include "pgsql/translate.h"

#define PGS_UTYPE_NAME_MAX 64

typedef struct PgsUserAttr {
	char name[PGS_UTYPE_NAME_MAX];
	/* 0: a composite type (or an array of one), usertype; or, usertype
	 * "?", an array of a type with a modifier (char(n)[]) */
	uint32_t type;
	int32_t typmod;
	/* the domain or composite type by name ("" when a built-in type;
	 * "name[]" for an array of a composite type) */
	char usertype[PGS_UTYPE_NAME_MAX + 2];
} PgsUserAttr;

typedef struct PgsUserType {
	uint32_t oid;
	char typtype; /* 'c' composite, 'd' domain */
	/* a domain: its base type, NOT NULL, CHECK constraints as a JSON
	 * array of [name, PostgreSQL expression text] (owned) */
	uint32_t basetype;
	int32_t basetypmod;
	bool notnull;
	char *checks;
	/* a composite type: its attributes (owned) */
	int nattrs;
	PgsUserAttr *attrs;
} PgsUserType;

/* The type called name (unqualified or in public) into out: true when it
 * exists.  Freed with pgs_usertype_cleanup. */
bool pgs_usertype_get(PgsCatalog *cat, const char *name, PgsUserType *out);
void pgs_usertype_cleanup(PgsUserType *t);

/* translate_domain.c: the domain called name (tn as written) as its base
 * type into oid/typmod: 1; 0 with err filled (a composite type, an array
 * of a domain over an array); -1 when there is no such type. */
int pgs_usertype_resolve(const PgsTranslateCtx *ctx, PgQuery__TypeName *tn, const char *name, uint32_t *oid,
			 int32_t *typmod, PgwError *err);
/* Whether the CHECK expression text translates to a boolean over a VALUE
 * of the base type; false with err filled. */
bool pgs_domain_check_valid(PgsCatalog *cat, uint32_t base, int32_t typmod, const char *text, PgwError *err);
/* The SQL of value_sql (a value of domain d's base type) checked against
 * d's constraints, for a trigger; false with err filled. */
bool pgs_domain_check_sql(PgsCatalog *cat, const PgsUserType *d, const char *domain, const char *value_sql, Buf *out,
			  PgwError *err);
/* pg_domain_fail(sqlstate, message), the SQL function the checks call. */
bool pgs_usertype_register(sqlite3 *db);

#endif
