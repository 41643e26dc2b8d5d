/*
 * translate_scope.c - the relations a query level sees (its FROM items and
 * CTEs, then the outer levels') and the resolution of a column reference
 * against them, as PostgreSQL's name resolution does (42703, 42702).
 */
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

TRel *tr_rel_from_table(Tr *tr, const PgsTable *t, const char *alias)
{
	TRel *r = arena_alloc(tr->a, sizeof(*r));
	r->alias = arena_strdup(tr->a, alias);
	r->ncols = t->ncols;
	r->cols = arena_alloc(tr->a, sizeof(TCol) * (size_t)(t->ncols + 1));
	for (int i = 0; i < t->ncols; i++) {
		r->cols[i].name = arena_strdup(tr->a, t->cols[i].name);
		r->cols[i].type = t->cols[i].type;
		r->cols[i].typmod = t->cols[i].typmod;
		r->cols[i].table_oid = t->system ? 0 : t->oid;
		r->cols[i].attnum = t->system ? 0 : t->cols[i].attnum;
	}
	return r;
}

bool tr_scope_add(Tr *tr, TRel *r, int loc)
{
	Scope *s = tr->scope;
	for (int i = 0; i < s->nrels; i++)
		if (strcmp(s->rels[i]->alias, r->alias) == 0)
			return tr_fail(tr, "42712", loc, "table name \"%s\" specified more than once", r->alias);
	if (s->nrels == (int)(sizeof(s->rels) / sizeof(s->rels[0])))
		return tr_unsupported(tr, loc, "more than 32 relations in one FROM clause");
	s->rels[s->nrels++] = r;
	return true;
}

TRel *tr_find_cte(Tr *tr, const char *name)
{
	for (Scope *s = tr->scope; s; s = s->parent)
		for (int i = 0; i < s->nctes; i++)
			if (strcmp(s->ctes[i]->alias, name) == 0)
				return s->ctes[i];
	return NULL;
}

/* Resolve a ColumnRef.  Emits the reference and sets its type. */
bool tr_column_ref(Tr *tr, PgQuery__ColumnRef *cr, Buf *out, TType *ty)
{
	const char *relname = NULL, *colname;
	if (cr->n_fields == 1) {
		colname = pgn_str(cr->fields[0]);
	} else if (cr->n_fields == 2) {
		relname = pgn_str(cr->fields[0]);
		colname = pgn_str(cr->fields[1]);
	} else if (cr->n_fields == 3) {
		relname = pgn_str(cr->fields[1]);
		colname = pgn_str(cr->fields[2]);
	} else {
		return tr_fail(tr, "42601", cr->location, "improper qualified name (too many dotted names)");
	}
	for (Scope *s = tr->scope; s; s = s->parent) {
		TRel *hit_rel = NULL;
		TCol *hit = NULL;
		bool rel_seen = false;
		for (int i = 0; i < s->nrels; i++) {
			TRel *r = s->rels[i];
			if (relname && strcmp(r->alias, relname) != 0)
				continue;
			rel_seen = true;
			for (int j = 0; j < r->ncols; j++) {
				if (strcmp(r->cols[j].name, colname) != 0 || (r->cols[j].hidden && !relname))
					continue;
				if (hit)
					return tr_fail(tr, "42702", cr->location, "column reference \"%s\" is ambiguous",
						    colname);
				hit = &r->cols[j];
				hit_rel = r;
			}
		}
		if (hit) {
			tr_ttype_set(ty, hit->type, hit->typmod);
			if (hit->expr) {
				buf_put_str(out, hit->expr);
				return true;
			}
			if (hit->merged && !relname) {
				/* the merged column of a RIGHT or FULL join's USING */
				buf_put_str(out, hit->merged);
				return true;
			}
			if (!hit_rel->unqualified) {
				pgs_put_ident(out, hit_rel->emit ? hit_rel->emit : hit_rel->alias);
				buf_put_u8(out, '.');
			}
			pgs_put_ident(out, hit->name);
			/* a table's column holds what its affinity stored; an output
			 * of a subquery, CTE or VALUES holds what its expression
			 * computed (a numeric's text, with its scale) */
			ty->column = hit->table_oid != 0 && hit->attnum > 0;
			return true;
		}
		if (relname && rel_seen)
			return tr_fail(tr, "42703", cr->location, "column %s.%s does not exist", relname, colname);
	}
	if (tr->fn && tr_sqlfunc_named(tr, relname, colname, out, ty))
		return true;
	if (relname) {
		bool any = false;
		for (Scope *s = tr->scope; s && !any; s = s->parent)
			for (int i = 0; i < s->nrels; i++)
				any = any || strcmp(s->rels[i]->alias, relname) == 0;
		if (!any)
			return tr_fail(tr, "42P01", cr->location, "missing FROM-clause entry for table \"%s\"", relname);
	}
	return tr_fail(tr, "42703", cr->location, "column \"%s\" does not exist", colname);
}
