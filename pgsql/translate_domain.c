/*
 * translate_domain.c - domains in expressions: a domain's name resolves to
 * its base type, and a value cast to a domain (or read into a domain
 * attribute by json(b)_populate_record) is checked against the domain's
 * NOT NULL (23502) and CHECK constraints (23514) as PostgreSQL's
 * domain_check does.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"
#include "pgsql/translate_int.h"
#include "pgsql/usertype.h"

static void set_error(PgwError *err, const char *sqlstate, const char *msg, const char *name, int pos)
{
	memset(err, 0, sizeof(*err));
	memcpy(err->sqlstate, sqlstate, 5);
	snprintf(err->message, sizeof(err->message), msg, name);
	err->position = pos;
}

int pgs_usertype_resolve(const PgsTranslateCtx *ctx, PgQuery__TypeName *tn, const char *name, uint32_t *oid,
			 int32_t *typmod, PgwError *err)
{
	PgsUserType ut;
	if (!ctx->cat || !pgs_usertype_get(ctx->cat, name, &ut))
		return -1;
	int pos = pgs_char_position(ctx->src, tn->location);
	bool ok = ut.typtype == 'd';
	if (!ok) {
		set_error(err, "0A000", "the composite type %s as a value type is not supported by DoSQL", name, pos);
	} else if (tn->n_array_bounds) {
		const PgType *bt = pgt_by_oid(ut.basetype);
		ok = bt && bt->array_oid && bt->category != 'A';
		if (ok) {
			*oid = bt->array_oid;
			*typmod = -1;
		} else {
			set_error(err, "0A000", "arrays of the domain %s are not supported by DoSQL", name, pos);
		}
	} else {
		*oid = ut.basetype;
		*typmod = ut.basetypmod;
	}
	pgs_usertype_cleanup(&ut);
	return ok ? 1 : 0;
}

/* The expression of CHECK text, parsed (free with
 * pg_query__parse_result__free_unpacked); NULL when it does not parse. */
static PgQuery__ParseResult *parse_check(const char *text, Node **expr)
{
	char *sql = NULL;
	if (asprintf(&sql, "SELECT %s", text) < 0)
		return NULL;
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	PgQuery__ParseResult *tree = NULL;
	if (!pr.error)
		tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
	pg_query_free_protobuf_parse_result(pr);
	free(sql);
	if (tree && tree->n_stmts == 1 && tree->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT &&
	    tree->stmts[0]->stmt->select_stmt->n_target_list == 1) {
		*expr = tree->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val;
		return tree;
	}
	if (tree)
		pg_query__parse_result__free_unpacked(tree, NULL);
	return NULL;
}

bool pgs_domain_check_valid(PgsCatalog *cat, uint32_t base, int32_t typmod, const char *text, PgwError *err)
{
	Node *expr;
	PgQuery__ParseResult *tree = parse_check(text, &expr);
	if (!tree) {
		set_error(err, "42601", "%s", "syntax error in a CHECK constraint", 0);
		return false;
	}
	Arena a;
	arena_init(&a);
	PgsTranslateCtx ctx = {.cat = cat, .arena = &a};
	PgsColumn col = {.name = (char *)"value", .type = base, .typmod = typmod, .attnum = 1};
	PgsTable t = {.name = (char *)"value", .relkind = 'r', .ncols = 1, .cols = &col};
	Buf out;
	buf_init(&out);
	uint32_t type;
	bool ok = pgs_translate_expr(&ctx, &t, expr, &out, &type, err);
	if (ok && type != PGT_BOOL) {
		set_error(err, "42804", "argument of CHECK must be type boolean, not type %s", tr_type_name(type), 0);
		ok = false;
	}
	if (!ok)
		err->position = 0;
	buf_cleanup(&out);
	arena_reset(&a);
	pg_query__parse_result__free_unpacked(tree, NULL);
	return ok;
}

/* "WHEN NOT coalesce((check), true) THEN pg_domain_fail(...)" for one CHECK
 * constraint [name, text] of domain, the value being _dv.value. */
static bool check_arm(Tr *tr, const PgsUserType *d, const char *domain, json_t *check, Buf *out)
{
	Node *expr;
	PgQuery__ParseResult *tree = parse_check(json_string_value(json_array_get(check, 1)), &expr);
	if (!tree)
		return tr_fail(tr, "XX000", -1, "bad CHECK constraint of domain %s", domain);
	TCol col = {.name = "value", .type = d->basetype, .typmod = d->basetypmod, .expr = "_dv.value"};
	TRel rel = {.alias = "_dv", .ncols = 1, .cols = &col};
	Scope sc = {0};
	Scope *saved = tr->scope;
	tr->scope = &sc;
	bool ok = tr_scope_add(tr, &rel, -1);
	Buf eb;
	TType et;
	buf_init(&eb);
	ok = ok && tr_expr(tr, expr, &eb, &et);
	tr->scope = saved;
	if (ok) {
		tr_settle(tr, &eb, &et);
		buf_put_str(out, " WHEN NOT coalesce((");
		tr_put_buf(out, &eb);
		buf_put_str(out, "), 1) THEN pg_domain_fail('23514', ");
		char *msg = sqlite3_mprintf("value for domain %s violates check constraint \"%s\"", domain,
					    json_string_value(json_array_get(check, 0)));
		pgs_put_literal(out, msg, strlen(msg));
		sqlite3_free(msg);
		buf_put_u8(out, ')');
	}
	buf_cleanup(&eb);
	pg_query__parse_result__free_unpacked(tree, NULL);
	return ok && !tr->failed;
}

bool tr_domain_check(Tr *tr, const PgsUserType *d, const char *domain, Buf *val)
{
	json_t *checks = json_loads(d->checks ? d->checks : "[]", 0, NULL);
	size_t n = json_is_array(checks) ? json_array_size(checks) : 0;
	if (!d->notnull && n == 0) {
		json_decref(checks);
		return true;
	}
	Buf b;
	buf_init(&b);
	buf_put_str(&b, "(SELECT CASE");
	if (d->notnull) {
		char *msg = sqlite3_mprintf("domain %s does not allow null values", domain);
		buf_put_str(&b, " WHEN _dv.value IS NULL THEN pg_domain_fail('23502', ");
		pgs_put_literal(&b, msg, strlen(msg));
		buf_put_u8(&b, ')');
		sqlite3_free(msg);
	}
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++)
		ok = check_arm(tr, d, domain, json_array_get(checks, i), &b);
	json_decref(checks);
	buf_put_str(&b, " ELSE _dv.value END FROM (SELECT ");
	tr_put_buf(&b, val);
	buf_put_str(&b, " AS value) AS _dv)");
	buf_reset(val);
	tr_put_buf(val, &b);
	buf_cleanup(&b);
	return ok;
}

bool tr_domain_cast(Tr *tr, PgQuery__TypeName *tn, Buf *val)
{
	const char *name = tn->n_names ? pgn_str(tn->names[tn->n_names - 1]) : "";
	if (tn->n_array_bounds || pgt_by_name(name))
		return true;
	PgsUserType d;
	if (!pgs_usertype_get(tr->ctx->cat, name, &d))
		return true;
	bool ok = d.typtype != 'd' || tr_domain_check(tr, &d, name, val);
	pgs_usertype_cleanup(&d);
	return ok;
}

typedef struct CheckArg {
	const PgsUserType *d;
	const char *domain;
	Buf *val;
} CheckArg;

static bool check_in(Tr *tr, void *arg)
{
	CheckArg *c = arg;
	return tr_domain_check(tr, c->d, c->domain, c->val);
}

bool pgs_domain_check_sql(PgsCatalog *cat, const PgsUserType *d, const char *domain, const char *value_sql, Buf *out,
			  PgwError *err)
{
	Arena a;
	arena_init(&a);
	PgsTranslateCtx ctx = {.cat = cat, .arena = &a};
	buf_put_str(out, value_sql);
	CheckArg c = {d, domain, out};
	bool ok = tr_run(&ctx, err, check_in, &c);
	arena_reset(&a);
	return ok;
}

/* pg_domain_fail(sqlstate, message): raises the error. */
static void fn_domain_fail(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *state = (const char *)sqlite3_value_text(argv[0]);
	const char *msg = (const char *)sqlite3_value_text(argv[1]);
	pgt_result_error(ctx, state ? state : "XX000", msg ? msg : "");
}

bool pgs_usertype_register(sqlite3 *db)
{
	PgtSqlFunc fns[] = {
		{"pg_domain_fail", 2, fn_domain_fail, NULL, 0},
	};
	return pgt_create_functions(db, fns, sizeof(fns) / sizeof(fns[0]));
}
