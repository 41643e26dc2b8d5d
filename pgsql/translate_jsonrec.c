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
#include "pgsql/usertype.h"

static const char *const record_fns[] = {"json_to_record", "jsonb_to_record", "json_to_recordset",
					 "jsonb_to_recordset"};

/* A column of the row read: its name and type; for json(b)_populate_record
 * the domain it is of (checked), whether it is of a composite type
 * (refused when read) and the base row's value (SQL, NULL: none). */
typedef struct RecCol {
	const char *name;
	uint32_t oid;
	int32_t typmod;
	const char *domain;
	bool composite;
	/* an array of json(b), or of a type with a typmod (char(n)[]): refused
	 * when read */
	bool refused;
	const char *base;
} RecCol;

/* Column rc into c, its value (read from the object row) into c->expr. */
static bool record_column(Tr *tr, const RecCol *rc, const char *row, TCol *c, int loc)
{
	memset(c, 0, sizeof(*c));
	c->name = arena_strdup(tr->a, rc->name);
	c->type = rc->composite ? PGT_TEXT : rc->oid;
	c->typmod = rc->composite ? -1 : rc->typmod;
	const PgType *t = pgt_by_oid(rc->oid);
	if (rc->composite) {
		c->expr = "pg_domain_fail('0A000', 'an attribute of a composite type read by json_populate_record"
			  " is not supported by DoSQL')";
		return true;
	}
	if (rc->refused || (t && (t->elem_oid == PGT_JSON || t->elem_oid == PGT_JSONB))) {
		c->expr = "pg_domain_fail('0A000', 'an array of json or of a type with a modifier read from json"
			  " is not supported by DoSQL')";
		return true;
	}
	char mode = rc->oid == PGT_JSON || rc->oid == PGT_JSONB ? 'j' : t && t->category == 'A' ? 'a' : 't';
	Buf e;
	buf_init(&e);
	buf_printf(&e, "pg_json_field(%s, ", row);
	pgs_put_literal(&e, rc->name, strlen(rc->name));
	buf_printf(&e, ", '%c')", mode);
	TType et = {.oid = mode == 'j' ? PGT_JSON : PGT_TEXT, .typmod = -1};
	bool ok = tr_coerce(tr, &e, &et, rc->oid, rc->typmod, loc);
	if (ok && rc->base) {
		Buf w;
		buf_init(&w);
		buf_printf(&w, "CASE WHEN pg_jsonb_exists(%s, ", row);
		pgs_put_literal(&w, rc->name, strlen(rc->name));
		buf_put_str(&w, ") THEN ");
		tr_put_buf(&w, &e);
		buf_printf(&w, " ELSE %s END", rc->base);
		buf_reset(&e);
		tr_put_buf(&e, &w);
		buf_cleanup(&w);
	}
	PgsUserType d;
	if (ok && rc->domain && pgs_usertype_get(tr->ctx->cat, rc->domain, &d)) {
		ok = tr_domain_check(tr, &d, rc->domain, &e);
		pgs_usertype_cleanup(&d);
	}
	c->expr = arena_strdup(tr->a, buf_cstr(&e));
	buf_cleanup(&e);
	return ok && !tr->failed;
}

/* The FROM item: "json_each(pg_json_check(j, ...)) AS alias" and the
 * relation whose columns read the object of each row. */
static bool record_from(Tr *tr, PgQuery__RangeFunction *rf, int loc, const char *name, Buf *jb, const RecCol *cols,
			int ncols, Buf *out)
{
	bool set = strstr(name, "recordset") != NULL;
	TRel *r = arena_alloc(tr->a, sizeof(*r));
	r->alias = arena_strdup(tr->a, rf->alias && pgn_has_str(rf->alias->aliasname) ? rf->alias->aliasname : name);
	r->cols = arena_alloc(tr->a, sizeof(TCol) * (size_t)(ncols + 1));
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
	for (int i = 0; i < ncols && ok; i++) {
		for (int k = 0; k < i && ok; k++)
			if (strcmp(cols[k].name, cols[i].name) == 0)
				ok = tr_fail(tr, "42701", -1, "column name \"%s\" specified more than once", cols[i].name);
		ok = ok && record_column(tr, &cols[i], buf_cstr(&row), &r->cols[r->ncols++], loc);
	}
	buf_cleanup(&row);
	return ok && tr_scope_add(tr, r, -1);
}

/* The JSON argument n of f as json or jsonb (as name wants) into jb. */
static bool json_arg(Tr *tr, PgQuery__FuncCall *f, size_t n, const char *name, Buf *jb)
{
	uint32_t want = strncmp(name, "jsonb", 5) == 0 ? PGT_JSONB : PGT_JSON;
	TType jt;
	bool ok = tr_expr(tr, f->args[n], jb, &jt);
	if (ok && (jt.unknown || jt.param > 0 || jt.oid == PGT_UNKNOWN))
		ok = tr_coerce(tr, jb, &jt, want, -1, f->location);
	else if (ok && jt.oid != want)
		ok = tr_fail(tr, "42883", f->location, "function %s(%s) does not exist", name, tr_type_name(jt.oid));
	return ok;
}

static const char *const populate_fns[] = {"json_populate_record", "jsonb_populate_record", "json_populate_recordset",
					   "jsonb_populate_recordset"};

/* The columns of composite type ut (called tname), with the base row's
 * values when row is not NULL. */
static bool populate_cols(Tr *tr, const PgsUserType *ut, const char *tname, PgQuery__RowExpr *row, RecCol *cols,
			  int loc)
{
	if (row && row->n_args != (size_t)ut->nattrs)
		return tr_fail(tr, "42846", loc, "cannot cast type record to %s", tname);
	for (int i = 0; i < ut->nattrs; i++) {
		const PgsUserAttr *at = &ut->attrs[i];
		RecCol *c = &cols[i];
		c->name = arena_strdup(tr->a, at->name);
		c->oid = at->type;
		c->typmod = at->typmod;
		c->composite = at->type == 0 && at->usertype[0] != '?';
		c->refused = at->type == 0 && at->usertype[0] == '?';
		c->domain = at->usertype[0] && at->type ? arena_strdup(tr->a, at->usertype) : NULL;
		if (!row || c->composite || c->refused)
			continue;
		Buf b;
		TType t;
		buf_init(&b);
		bool ok = tr_expr(tr, row->args[i], &b, &t) && tr_coerce(tr, &b, &t, c->oid, c->typmod, loc);
		if (ok)
			tr_settle(tr, &b, &t);
		c->base = arena_strdup(tr->a, buf_cstr(&b));
		buf_cleanup(&b);
		if (!ok)
			return false;
	}
	return true;
}

/* json(b)_populate_record(set)(base, json) in FROM, base NULL or ROW(...)
 * cast to a composite type: a row of the type's attributes, each the JSON
 * object's member of its name, else the base row's value.  -1 for another
 * function. */
int tr_json_populate_from(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out)
{
	bool known = false;
	for (size_t i = 0; i < sizeof(populate_fns) / sizeof(populate_fns[0]); i++)
		known = known || strcmp(populate_fns[i], name) == 0;
	if (!known || f->n_args != 2)
		return -1;
	Node *b = f->args[0];
	PgQuery__TypeCast *tc = b->node_case == PG_QUERY__NODE__NODE_TYPE_CAST ? b->type_cast : NULL;
	bool null_base = tc && tc->arg->node_case == PG_QUERY__NODE__NODE_A_CONST && tc->arg->a_const->isnull;
	PgQuery__RowExpr *row = tc && tc->arg->node_case == PG_QUERY__NODE__NODE_ROW_EXPR ? tc->arg->row_expr : NULL;
	if (!tc || (!null_base && !row) || tc->type_name->n_array_bounds || rf->n_coldeflist || rf->ordinality ||
	    (rf->alias && rf->alias->n_colnames))
		return tr_unsupported(tr, f->location, "this call of json_populate_record") ? 1 : 0;
	PgQuery__TypeName *tn = tc->type_name;
	const char *tname = tn->n_names ? pgn_str(tn->names[tn->n_names - 1]) : "";
	PgsUserType ut;
	if (!pgs_usertype_get(tr->ctx->cat, tname, &ut)) {
		uint32_t oid;
		int32_t typmod;
		if (tr_typename_of(tr, tn, &oid, &typmod))
			tr_unsupported(tr, f->location, "json_populate_record over a type other than a composite type");
		return 0;
	}
	bool ok = ut.typtype == 'c' ||
		  tr_unsupported(tr, f->location, "json_populate_record over a domain over a composite type");
	RecCol *cols = arena_alloc(tr->a, sizeof(RecCol) * (size_t)(ut.nattrs + 1));
	ok = ok && populate_cols(tr, &ut, tname, row, cols, f->location);
	Buf jb;
	buf_init(&jb);
	ok = ok && json_arg(tr, f, 1, name, &jb) && record_from(tr, rf, f->location, name, &jb, cols, ut.nattrs, out);
	buf_cleanup(&jb);
	pgs_usertype_cleanup(&ut);
	return ok && !tr->failed ? 1 : 0;
}

int tr_json_record_from(Tr *tr, PgQuery__RangeFunction *rf, PgQuery__FuncCall *f, const char *name, Buf *out)
{
	bool known = false;
	for (size_t i = 0; i < sizeof(record_fns) / sizeof(record_fns[0]); i++)
		known = known || strcmp(record_fns[i], name) == 0;
	if (!known)
		return tr_json_populate_from(tr, rf, f, name, out);
	if (f->n_args != 1)
		return -1;
	if (!rf->n_coldeflist)
		return tr_fail(tr, "42601", f->location,
			       "a column definition list is required for functions returning \"record\"")
			       ? 1
			       : 0;
	if (rf->ordinality || (rf->alias && rf->alias->n_colnames))
		return tr_unsupported(tr, f->location, "this call of a json function in FROM") ? 1 : 0;
	RecCol *cols = arena_alloc(tr->a, sizeof(RecCol) * (rf->n_coldeflist + 1));
	bool ok = true;
	for (size_t i = 0; i < rf->n_coldeflist && ok; i++) {
		PgQuery__ColumnDef *cd = rf->coldeflist[i]->column_def;
		cols[i].name = cd->colname;
		cols[i].refused = cd->type_name->n_array_bounds && cd->type_name->n_typmods;
		ok = tr_typename_of(tr, cd->type_name, &cols[i].oid, &cols[i].typmod);
	}
	Buf jb;
	buf_init(&jb);
	ok = ok && json_arg(tr, f, 0, name, &jb) &&
	     record_from(tr, rf, f->location, name, &jb, cols, (int)rf->n_coldeflist, out);
	buf_cleanup(&jb);
	return ok && !tr->failed ? 1 : 0;
}
