/*
 * sqlfunc.c - CREATE [OR REPLACE] FUNCTION ... LANGUAGE sql and DROP
 * FUNCTION.  A function is a row of _dosql_proc: its name, parameter types
 * and names, return type, STRICT, and its body, one SELECT, kept as text
 * and inlined where it is called (translate_sqlfunc.c).  The body is
 * checked at creation by translating a call, as PostgreSQL checks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/ddl_int.h"

/* The function's definition, read from the statement. */
typedef struct FuncDef {
	const char *name;
	const char *language;
	const char *body;
	bool strict;
	PgsFunc f;
} FuncDef;

static bool refuse(PgsSession *s, const char *what)
{
	pgs_errorf(s, "0A000", "%s is not supported by DoSQL", what);
	return false;
}

/* A TypeName as (oid, typmod); false after 42704 was sent. */
static bool type_of(PgsSession *s, PgQuery__TypeName *tn, uint32_t *oid, int32_t *typmod)
{
	Arena a;
	arena_init(&a);
	PgsTranslateCtx ctx = {.cat = &s->cat, .arena = &a};
	PgwError e;
	bool ok = pgs_resolve_typename(&ctx, tn, oid, typmod, NULL, &e);
	arena_reset(&a);
	if (!ok)
		pgs_send_error(s, &e);
	return ok && pgs_domain_stored(s, tn, "a function's argument or result", NULL);
}

static bool read_options(PgsSession *s, PgQuery__CreateFunctionStmt *cf, FuncDef *d)
{
	for (size_t i = 0; i < cf->n_options; i++) {
		PgQuery__DefElem *o = cf->options[i]->def_elem;
		if (strcmp(o->defname, "language") == 0 && o->arg)
			d->language = pgn_str(o->arg);
		else if (strcmp(o->defname, "as") == 0 && o->arg && o->arg->node_case == PG_QUERY__NODE__NODE_LIST &&
			 o->arg->list->n_items)
			d->body = pgn_str(o->arg->list->items[0]);
		else if (strcmp(o->defname, "strict") == 0 && o->arg)
			d->strict = o->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN && o->arg->boolean->boolval;
	}
	if (cf->is_procedure)
		return refuse(s, "CREATE PROCEDURE");
	if (!d->language || strcmp(d->language, "sql") != 0) {
		pgs_errorf(s, "0A000", "functions in language %s are not supported by DoSQL",
			   d->language ? d->language : "sql with a standard body");
		return false;
	}
	if (cf->sql_body || !d->body)
		return refuse(s, "a SQL-standard function body (RETURN, BEGIN ATOMIC)");
	if (!cf->return_type)
		return refuse(s, "a function with OUT parameters");
	if (cf->return_type->setof)
		return refuse(s, "a function returning a set");
	return true;
}

/* Parameters and return type into d->f; false after the error was sent. */
static bool read_signature(PgsSession *s, PgQuery__CreateFunctionStmt *cf, FuncDef *d)
{
	if (cf->n_parameters > PGS_FUNC_MAX_ARGS) {
		pgs_errorf(s, "54023", "functions cannot have more than %d arguments", PGS_FUNC_MAX_ARGS);
		return false;
	}
	for (size_t i = 0; i < cf->n_parameters; i++) {
		PgQuery__FunctionParameter *p = cf->parameters[i]->function_parameter;
		if (p->mode != PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_IN &&
		    p->mode != PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_DEFAULT)
			return refuse(s, "an OUT, INOUT, VARIADIC or TABLE parameter");
		if (p->defexpr)
			return refuse(s, "a parameter default");
		int32_t typmod;
		if (!type_of(s, p->arg_type, &d->f.argtypes[i], &typmod))
			return false;
		d->f.argnames[i] = p->name ? p->name : "";
		d->f.nargs++;
	}
	if (!type_of(s, cf->return_type, &d->f.rettype, &d->f.rettypmod))
		return false;
	d->f.rettypmod = -1; /* PostgreSQL drops a return type's typmod */
	if (d->f.rettype == PGT_VOID)
		return refuse(s, "a function returning void");
	return true;
}

/* The _dosql_proc row of the function of this name with these argument
 * types, 0 when none. */
static uint32_t existing(PgsSession *s, const char *name, int nargs, const uint32_t *types)
{
	PgsFunc fs[16];
	int n = pgs_catalog_functions(&s->cat, name, nargs, fs, 16);
	uint32_t oid = 0;
	for (int k = 0; k < n; k++) {
		bool same = true;
		for (int i = 0; i < nargs && same; i++)
			same = fs[k].argtypes[i] == types[i];
		if (same && !oid)
			oid = fs[k].oid;
		pgs_func_cleanup(&fs[k]);
	}
	return oid;
}

/* The function's argument types as "int4, text" for messages. */
static void put_arg_types(Buf *b, int n, const uint32_t *types)
{
	for (int i = 0; i < n; i++) {
		const PgType *t = pgt_by_oid(types[i]);
		buf_printf(b, "%s%s", i ? ", " : "", t ? t->name : "unknown");
	}
}

/* Translate a call with NULL arguments: the body's errors now, not at
 * its first use. */
static bool check_body(PgsSession *s, const FuncDef *d)
{
	Buf sql;
	buf_init(&sql);
	buf_put_str(&sql, "SELECT ");
	pgs_put_ident(&sql, d->name);
	buf_put_u8(&sql, '(');
	for (int i = 0; i < d->f.nargs; i++) {
		const PgType *t = pgt_by_oid(d->f.argtypes[i]);
		buf_printf(&sql, "%sNULL::%s", i ? ", " : "", t ? t->name : "text");
	}
	buf_put_u8(&sql, ')');
	PgwError e;
	PgQuery__ParseResult *tree = pgs_parse(buf_cstr(&sql), &e);
	bool ok = tree != NULL;
	if (ok) {
		Arena a;
		arena_init(&a);
		PgsQuery q;
		ok = pgs_compile(s, NULL, tree->stmts[0]->stmt, &a, 0, NULL, &q, &e);
		arena_reset(&a);
		pg_query__parse_result__free_unpacked(tree, NULL);
	}
	if (!ok) {
		e.position = 0;
		pgs_send_error(s, &e);
	}
	buf_cleanup(&sql);
	return ok;
}

static bool store(PgsSession *s, const FuncDef *d, uint32_t replace_oid)
{
	Buf types, names;
	buf_init(&types);
	buf_init(&names);
	for (int i = 0; i < d->f.nargs; i++) {
		buf_printf(&types, "%s%u", i ? "," : "", d->f.argtypes[i]);
		buf_printf(&names, "%s%s", i ? "\n" : "", d->f.argnames[i]);
	}
	PgwError e;
	uint32_t oid = replace_oid;
	bool ok = replace_oid || pgs_catalog_next_oid(s->db, &oid);
	char *sql = ok ? sqlite3_mprintf("INSERT OR REPLACE INTO main._dosql_proc(oid, proname, pronargs, argtypes, argnames,"
					 " rettype, rettypmod, strict, body) VALUES(%u, %Q, %d, %Q, %Q, %u, %d, %d, %Q)",
					 oid, d->name, d->f.nargs, buf_cstr(&types), buf_cstr(&names), d->f.rettype,
					 d->f.rettypmod, d->strict, d->body)
		       : NULL;
	ok = sql && pgs_sql(s, sql, &e);
	if (!ok && sql)
		pgs_send_error(s, &e);
	else if (!ok)
		pgs_errorf(s, "53200", "out of memory");
	sqlite3_free(sql);
	buf_cleanup(&types);
	buf_cleanup(&names);
	return ok;
}

bool pgs_create_function(PgsSession *s, PgQuery__CreateFunctionStmt *cf)
{
	FuncDef d = {0};
	d.name = pgn_str(cf->funcname[cf->n_funcname - 1]);
	if (cf->n_funcname > 1 && strcmp(pgn_str(cf->funcname[cf->n_funcname - 2]), "public") != 0) {
		pgs_errorf(s, "3F000", "schema \"%s\" does not exist", pgn_str(cf->funcname[cf->n_funcname - 2]));
		return false;
	}
	if (!read_options(s, cf, &d) || !read_signature(s, cf, &d))
		return false;
	if (pgs_has_builtin(d.name)) {
		pgs_errorf(s, "0A000", "a SQL function named as the built-in function %s is not supported by DoSQL", d.name);
		return false;
	}
	uint32_t oid = existing(s, d.name, d.f.nargs, d.f.argtypes);
	if (oid && !cf->replace) {
		pgs_errorf(s, "42723", "function \"%s\" already exists with same argument types", d.name);
		return false;
	}
	return store(s, &d, oid) && check_body(s, &d);
}

/* DROP FUNCTION name[(types)], ...: by name alone when it names one. */
bool pgs_drop_function(PgsSession *s, PgQuery__DropStmt *ds)
{
	for (size_t i = 0; i < ds->n_objects; i++) {
		PgQuery__ObjectWithArgs *ow = ds->objects[i]->object_with_args;
		const char *name = pgn_str(ow->objname[ow->n_objname - 1]);
		uint32_t types[PGS_FUNC_MAX_ARGS];
		int n = ow->args_unspecified ? -1 : (int)ow->n_objargs;
		for (int k = 0; k < n && k < PGS_FUNC_MAX_ARGS; k++) {
			int32_t typmod;
			if (!type_of(s, ow->objargs[k]->type_name, &types[k], &typmod))
				return false;
		}
		PgsFunc fs[2];
		int found = pgs_catalog_functions(&s->cat, name, n, fs, 2);
		uint32_t oid = n < 0 ? (found == 1 ? fs[0].oid : 0) : existing(s, name, n, types);
		for (int k = 0; k < found; k++)
			pgs_func_cleanup(&fs[k]);
		if (n < 0 && found > 1) {
			pgs_errorf(s, "42725", "function name \"%s\" is not unique", name);
			return false;
		}
		Buf b;
		buf_init(&b);
		buf_printf(&b, "%s(", name);
		put_arg_types(&b, n < 0 ? 0 : n, types);
		buf_put_u8(&b, ')');
		if (!oid && ds->missing_ok)
			pgs_notice(s, "function %s does not exist, skipping", buf_cstr(&b));
		else if (!oid)
			pgs_errorf(s, "42883", "function %s does not exist", buf_cstr(&b));
		buf_cleanup(&b);
		if (!oid && !ds->missing_ok)
			return false;
		PgwError e;
		char *sql = oid ? sqlite3_mprintf("DELETE FROM main._dosql_proc WHERE oid = %u", oid) : NULL;
		if (sql && !pgs_sql(s, sql, &e)) {
			sqlite3_free(sql);
			pgs_send_error(s, &e);
			return false;
		}
		sqlite3_free(sql);
	}
	return true;
}
