/*
 * translate_jsonrec.c - json_to_record, jsonb_to_record, json_to_recordset
 * and jsonb_to_recordset in FROM, with their column definition list: one
 * row (for an object) or a row per element (for an array of objects), each
 * column the member of its name converted as PostgreSQL's populate_record
 * converts it (pg_json_field).
 */
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

static const char *const record_fns[] = {"json_to_record", "jsonb_to_record", "json_to_recordset",
					 "jsonb_to_recordset"};

/* Column i of the definition list: its name and type into c, its value
 * (read from the object row) into c->expr. */
static bool record_column(Tr *tr, PgQuery__ColumnDef *cd, const char *row, TCol *c, int loc)
{
	uint32_t oid;
	int32_t typmod;
	if (!tr_typename_of(tr, cd->type_name, &oid, &typmod))
		return false;
	const PgType *t = pgt_by_oid(oid);
	char mode = oid == PGT_JSON || oid == PGT_JSONB ? 'j' : t && t->category == 'A' ? 'a' : 't';
	Buf e;
	buf_init(&e);
	buf_printf(&e, "pg_json_field(%s, ", row);
	pgs_put_literal(&e, cd->colname, strlen(cd->colname));
	buf_printf(&e, ", '%c')", mode);
	TType et = {.oid = mode == 'j' ? PGT_JSON : PGT_TEXT, .typmod = -1};
	bool ok = tr_coerce(tr, &e, &et, oid, typmod, loc);
	memset(c, 0, sizeof(*c));
	c->name = arena_strdup(tr->a, cd->colname);
	c->type = oid;
	c->typmod = typmod;
	c->expr = arena_strdup(tr->a, buf_cstr(&e));
	buf_cleanup(&e);
	return ok && !tr->failed;
}

/* The FROM item: "json_each(pg_json_check(j, ...)) AS alias" and the
 * relation whose columns read the object of each row. */
static bool record_from(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *jb,
			Buf *out)
{
	bool set = strstr(name, "recordset") != NULL;
	TRel *r = arena_alloc(tr->a, sizeof(*r));
	r->alias = arena_strdup(tr->a, rf->alias && pgn_has_str(rf->alias->aliasname) ? rf->alias->aliasname : name);
	r->cols = arena_alloc(tr->a, sizeof(TCol) * (rf->n_coldeflist + 1));
	buf_printf(out, "json_each(pg_json_check(%s, '%c', '%s'))", buf_cstr(jb), set ? 'r' : 'c', name);
	tr_put_from_alias(tr, r, out);
	Buf row;
	buf_init(&row);
	if (set) {
		buf_printf(&row, "pg_json_member(%s, ", buf_cstr(jb));
		pgs_put_ident(&row, r->emit ? r->emit : r->alias);
		buf_put_str(&row, ".key, 0)");
	} else {
		buf_put_str(&row, buf_cstr(jb));
	}
	bool ok = true;
	for (size_t i = 0; i < rf->n_coldeflist && ok; i++) {
		PgQuery__ColumnDef *cd = rf->coldeflist[i]->column_def;
		for (size_t k = 0; k < i && ok; k++)
			if (strcmp(rf->coldeflist[k]->column_def->colname, cd->colname) == 0)
				ok = tr_fail(tr, "42701", -1, "column name \"%s\" specified more than once",
					     cd->colname);
		ok = ok && record_column(tr, cd, buf_cstr(&row), &r->cols[r->ncols++], f->location);
	}
	buf_cleanup(&row);
	return ok && tr_scope_add(tr, r, -1);
}

int tr_json_record_from(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out)
{
	bool known = false;
	for (size_t i = 0; i < sizeof(record_fns) / sizeof(record_fns[0]); i++)
		known = known || strcmp(record_fns[i], name) == 0;
	if (!known || f->n_args != 1)
		return -1;
	if (!rf->n_coldeflist)
		return tr_fail(tr, "42601", f->location,
			       "a column definition list is required for functions returning \"record\"")
			       ? 1
			       : 0;
	if (rf->ordinality || (rf->alias && rf->alias->n_colnames))
		return tr_unsupported(tr, f->location, "this call of a json function in FROM") ? 1 : 0;
	uint32_t want = strncmp(name, "jsonb", 5) == 0 ? PGT_JSONB : PGT_JSON;
	Buf jb;
	TType jt;
	buf_init(&jb);
	bool ok = tr_expr(tr, f->args[0], &jb, &jt);
	if (ok && (jt.unknown || jt.param > 0 || jt.oid == PGT_UNKNOWN))
		ok = tr_coerce(tr, &jb, &jt, want, -1, f->location);
	else if (ok && jt.oid != want)
		ok = tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name, tr_type_name(jt.oid));
	ok = ok && record_from(tr, rf, f, name, &jb, out);
	buf_cleanup(&jb);
	return ok && !tr->failed ? 1 : 0;
}
