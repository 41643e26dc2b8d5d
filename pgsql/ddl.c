/*
 * ddl.c - CREATE/DROP/ALTER TABLE, CREATE INDEX, sequences, TRUNCATE.
 *
 * Each statement changes the SQLite schema and DoSQL's catalog in the
 * caller's transaction, so a failed or rolled-back DDL leaves no trace.
 * Primary keys and unique constraints are unique indexes named as
 * PostgreSQL names them (t_pkey, t_a_key), so SQLite's constraint errors
 * can be reported with PostgreSQL's constraint names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/ddl_int.h"
#include "pgsql/pgsql.h"

#define MAX_COLS 1600

typedef struct ColSpec {
	const char *name;
	uint32_t type;
	int32_t typmod;
	bool notnull;
	char *default_pg; /* owned */
	char identity;
	int serial;
} ColSpec;

typedef struct KeySpec {
	char contype; /* 'p', 'u', 'c', 'f' */
	const char *conname;
	int nkeys;
	const char *keys[32];
	PgQuery__Node *expr;   /* CHECK */
	PgQuery__Constraint *fk;
} KeySpec;

/* Run SQL built with sqlite3_mprintf (%Q, %w); frees it. */
static bool run(PgsSession *s, PgwError *e, char *sql)
{
	if (!sql) {
		pgw_error_set(e, "53200", "out of memory");
		return false;
	}
	bool ok = pgs_sql(s, sql, e);
	sqlite3_free(sql);
	return ok;
}

static bool next_oid(PgsSession *s, uint32_t *oid, PgwError *e)
{
	if (pgs_catalog_next_oid(s->db, oid))
		return true;
	pgs_sqlite_error(s, SQLITE_ERROR, e);
	return false;
}

/* PG text of an expression node, via libpg_query's deparser. */
char *pgs_deparse_expr(PgQuery__Node *expr)
{
	PgQuery__ResTarget rt = PG_QUERY__RES_TARGET__INIT;
	PgQuery__Node rtn = PG_QUERY__NODE__INIT;
	PgQuery__Node *targets[1] = {&rtn};
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	PgQuery__Node seln = PG_QUERY__NODE__INIT;
	rt.val = expr;
	rtn.node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	rtn.res_target = &rt;
	sel.n_target_list = 1;
	sel.target_list = targets;
	sel.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	seln.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	seln.select_stmt = &sel;
	char *sql = pgn_deparse(&seln);
	if (!sql)
		return NULL;
	char *out = strdup(strncmp(sql, "SELECT ", 7) == 0 ? sql + 7 : sql);
	free(sql);
	return out;
}

static bool relation_exists(PgsSession *s, const char *name)
{
	sqlite3_stmt *st;
	bool found = false;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM main._dosql_class WHERE relname = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return found;
}

/* CREATE of a relation called `name`: is the name free? */
NameCheck pgs_ddl_check_name(PgsSession *s, const char *name, bool if_not_exists)
{
	if (!relation_exists(s, name))
		return NAME_FREE;
	if (if_not_exists) {
		pgs_notice(s, "relation \"%s\" already exists, skipping", name);
		return NAME_SKIPPED;
	}
	pgs_errorf(s, "42P07", "relation \"%s\" already exists", name);
	return NAME_TAKEN;
}

bool pgs_ddl_check_schema(PgsSession *s, PgQuery__RangeVar *rv)
{
	if (rv->schemaname && rv->schemaname[0] && strcmp(rv->schemaname, "public") != 0) {
		pgs_errorf(s, "3F000", "schema \"%s\" does not exist", rv->schemaname);
		return false;
	}
	return true;
}

static bool create_sequence_named(PgsSession *s, const char *name, uint32_t type, int64_t start, int64_t inc,
				  int64_t min, int64_t max, bool cycle, PgwError *e)
{
	uint32_t oid;
	if (!next_oid(s, &oid, e))
		return false;
	return run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_class(oid, relname, relkind) VALUES(%u, %Q, 'S')", oid,
					  name)) &&
	       run(s, e,
		   sqlite3_mprintf("INSERT INTO main._dosql_sequence(seqrelid, seqtypid, seqstart, seqincrement, seqmax,"
				   " seqmin, seqcycle, last_value, is_called) VALUES(%u, %u, %lld, %lld, %lld, %lld, %d, %lld, 0)",
				   oid, type, (long long)start, (long long)inc, (long long)max, (long long)min, cycle,
				   (long long)start));
}

static int64_t type_max(uint32_t type)
{
	return type == PGT_INT2 ? 32767 : type == PGT_INT4 ? 2147483647 : INT64_MAX;
}

/* Create the index `idxname` on table t over named columns, with its
 * catalog rows (and a constraint row when contype is 'p' or 'u'). */
static bool make_index(PgsSession *s, const PgsTable *t, const char *idxname, bool unique, char contype, int nkeys,
		       const char *const *keys, const char *where_sql, PgwError *e)
{
	Buf sql, indkey;
	buf_init(&sql);
	buf_init(&indkey);
	buf_printf(&sql, "CREATE %sINDEX ", unique ? "UNIQUE " : "");
	pgs_put_ident(&sql, idxname);
	buf_put_str(&sql, " ON ");
	pgs_put_ident(&sql, t->name);
	buf_put_str(&sql, " (");
	buf_put_u8(&indkey, '{');
	for (int i = 0; i < nkeys; i++) {
		const PgsColumn *c = pgs_table_column(t, keys[i]);
		if (!c) {
			pgw_error_set(e, "42703", "column \"%s\" does not exist", keys[i]);
			buf_cleanup(&sql);
			buf_cleanup(&indkey);
			return false;
		}
		if (i) {
			buf_put_str(&sql, ", ");
			buf_put_u8(&indkey, ',');
		}
		pgs_put_ident(&sql, keys[i]);
		buf_printf(&indkey, "%d", c->attnum);
	}
	buf_put_u8(&sql, ')');
	buf_put_u8(&indkey, '}');
	if (where_sql)
		buf_printf(&sql, " WHERE %s", where_sql);
	uint32_t ioid, coid;
	bool ok = pgs_sql(s, buf_cstr(&sql), e) && next_oid(s, &ioid, e) &&
		  run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_class(oid, relname, relkind) VALUES(%u, %Q, 'i')",
					    ioid, idxname)) &&
		  run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_index VALUES(%u, %u, %d, %d, %Q)", ioid, t->oid, unique,
					    contype == 'p', buf_cstr(&indkey)));
	if (ok && contype)
		ok = next_oid(s, &coid, e) &&
		     run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_constraint(oid, conname, contype, conrelid, conindid,"
					       " conkey) VALUES(%u, %Q, '%c', %u, %u, %Q)",
					       coid, idxname, contype, t->oid, ioid, buf_cstr(&indkey)));
	buf_cleanup(&sql);
	buf_cleanup(&indkey);
	return ok;
}

static void key_name(Buf *b, const char *table, int nkeys, const char *const *keys, const char *suffix)
{
	buf_put_str(b, table);
	for (int i = 0; i < nkeys; i++)
		buf_printf(b, "_%s", keys[i]);
	buf_printf(b, "_%s", suffix);
}

/* Collect a PRIMARY KEY / UNIQUE / CHECK / FOREIGN KEY constraint. */
static bool add_key(PgsSession *s, KeySpec *keys, int *nkeys, PgQuery__Constraint *c, const char *column)
{
	if (*nkeys == 64) {
		pgs_errorf(s, "54000", "too many constraints");
		return false;
	}
	KeySpec *k = &keys[(*nkeys)++];
	memset(k, 0, sizeof(*k));
	k->conname = c->conname && c->conname[0] ? c->conname : NULL;
	switch (c->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		k->contype = c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? 'p' : 'u';
		if (column) {
			k->keys[k->nkeys++] = column;
		} else {
			for (size_t i = 0; i < c->n_keys && k->nkeys < 32; i++)
				k->keys[k->nkeys++] = pgn_str(c->keys[i]);
		}
		return true;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		k->contype = 'c';
		k->expr = c->raw_expr;
		if (column)
			k->keys[k->nkeys++] = column;
		return true;
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		k->contype = 'f';
		k->fk = c;
		if (column) {
			k->keys[k->nkeys++] = column;
		} else {
			for (size_t i = 0; i < c->n_fk_attrs && k->nkeys < 32; i++)
				k->keys[k->nkeys++] = pgn_str(c->fk_attrs[i]);
		}
		return true;
	default:
		(*nkeys)--;
		pgs_errorf(s, "0A000", "this constraint type is not supported by DoSQL");
		return false;
	}
}

static const char *fk_action(const char *a)
{
	if (!a)
		return "NO ACTION";
	switch (a[0]) {
	case 'c': return "CASCADE";
	case 'n': return "SET NULL";
	case 'd': return "SET DEFAULT";
	case 'r': return "RESTRICT";
	default: return "NO ACTION";
	}
}

/* Parse a ColumnDef into spec (collecting its constraints into keys). */
static bool column_spec(PgsSession *s, PgQuery__ColumnDef *cd, ColSpec *c, KeySpec *keys, int *nkeys, bool create)
{
	PgwError e;
	memset(c, 0, sizeof(*c));
	c->name = cd->colname;
	PgsTranslateCtx ctx = {.cat = &s->cat, .src = NULL};
	if (!pgs_resolve_typename(&ctx, cd->type_name, &c->type, &c->typmod, &c->serial, &e)) {
		pgs_send_error(s, &e);
		return false;
	}
	/* CREATE TABLE checks a domain's CHECK constraints with triggers
	 * (pgs_domain_triggers) */
	if (!pgs_domain_stored(s, cd->type_name, create ? NULL : "a column added", &c->notnull))
		return false;
	if (c->serial)
		c->notnull = true;
	c->notnull = c->notnull || cd->is_not_null;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		PgQuery__Constraint *k = cd->constraints[i]->constraint;
		switch (k->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			c->notnull = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			free(c->default_pg);
			c->default_pg = pgs_deparse_expr(k->raw_expr);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
			c->identity = k->generated_when && k->generated_when[0] == 'a' ? 'a' : 'd';
			c->notnull = true;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			pgs_errorf(s, "0A000", "generated columns are not supported by DoSQL");
			return false;
		default:
			if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
				c->notnull = true;
			if (!add_key(s, keys, nkeys, k, cd->colname))
				return false;
			break;
		}
	}
	return true;
}

/* Column declaration for SQLite. */
static void put_column(Buf *b, const ColSpec *c)
{
	pgs_put_ident(b, c->name);
	buf_printf(b, " %s", pgt_storage_decl(c->type));
	if (c->notnull)
		buf_put_str(b, " NOT NULL");
}

/* Write the catalog row of one column. */
static bool catalog_column(PgsSession *s, uint32_t reloid, int attnum, const ColSpec *c, PgwError *e)
{
	char ident[2] = {c->identity, 0};
	return run(s, e,
		   sqlite3_mprintf("INSERT INTO main._dosql_attribute(attrelid, attnum, attname, atttypid, atttypmod,"
				   " attnotnull, attdefault, attidentity) VALUES(%u, %d, %Q, %u, %d, %d, %Q, %Q)",
				   reloid, attnum, c->name, c->type, c->typmod, c->notnull, c->default_pg, ident));
}

/* serial / identity: create the sequence and point the default at it. */
static bool column_sequence(PgsSession *s, const char *table, ColSpec *c, PgwError *e)
{
	if (!c->serial && !c->identity)
		return true;
	char seq[256];
	snprintf(seq, sizeof(seq), "%s_%s_seq", table, c->name);
	if (!create_sequence_named(s, seq, c->type == PGT_INT8 ? PGT_INT8 : c->type, 1, 1, 1, type_max(c->type), false, e))
		return false;
	free(c->default_pg);
	if (asprintf(&c->default_pg, "nextval('%s'::regclass)", seq) < 0)
		c->default_pg = NULL;
	return true;
}

/* Check a default expression translates, for an early and positioned error. */
static bool check_default(PgsSession *s, const ColSpec *c, PgwError *e)
{
	if (!c->default_pg || c->serial || c->identity)
		return true;
	char *sql = NULL;
	if (asprintf(&sql, "SELECT %s", c->default_pg) < 0)
		return false;
	PgQueryProtobufParseResult pr = pg_query_parse_protobuf(sql);
	bool ok = !pr.error;
	if (ok) {
		PgQuery__ParseResult *tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (void *)pr.parse_tree.data);
		Arena a;
		arena_init(&a);
		PgsTranslateCtx ctx = {.cat = &s->cat, .src = sql, .arena = &a};
		Buf out;
		uint32_t type;
		buf_init(&out);
		ok = pgs_translate_expr(&ctx, NULL, tree->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val, &out,
					&type, e);
		if (!ok)
			e->position = 0;
		buf_cleanup(&out);
		arena_reset(&a);
		pg_query__parse_result__free_unpacked(tree, NULL);
	} else {
		pgw_error_set(e, "42601", "%s", pr.error->message);
	}
	pg_query_free_protobuf_parse_result(pr);
	free(sql);
	return ok;
}

static bool check_sql(PgsSession *s, const PgsTable *t, PgQuery__Node *expr, Buf *out, PgwError *e)
{
	Arena a;
	arena_init(&a);
	PgsTranslateCtx ctx = {.cat = &s->cat, .src = NULL, .arena = &a};
	uint32_t type;
	bool ok = pgs_translate_expr(&ctx, t, expr, out, &type, e);
	arena_reset(&a);
	return ok;
}

/* The columns and table constraints of a CREATE TABLE, checked: primary
 * key columns NOT NULL, one primary key, defaults that translate.  False
 * after the error was reported. */
static bool table_spec(PgsSession *s, PgQuery__CreateStmt *cs, ColSpec *cols, int *ncols, KeySpec *keys, int *nkeys)
{
	PgwError e;
	bool ok = true;
	for (size_t i = 0; i < cs->n_table_elts && ok; i++) {
		PgQuery__Node *el = cs->table_elts[i];
		if (el->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			if (*ncols == MAX_COLS) {
				pgs_errorf(s, "54011", "tables can have at most %d columns", MAX_COLS);
				return false;
			}
			for (int j = 0; j < *ncols; j++)
				if (strcmp(cols[j].name, el->column_def->colname) == 0) {
					pgs_errorf(s, "42701", "column \"%s\" specified more than once", el->column_def->colname);
					ok = false;
				}
			ok = ok && column_spec(s, el->column_def, &cols[(*ncols)++], keys, nkeys, true);
		} else if (el->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			ok = add_key(s, keys, nkeys, el->constraint, NULL);
		} else {
			pgs_errorf(s, "0A000", "LIKE in CREATE TABLE is not supported by DoSQL");
			ok = false;
		}
	}
	/* primary key columns are NOT NULL */
	for (int k = 0; k < *nkeys && ok; k++)
		if (keys[k].contype == 'p')
			for (int j = 0; j < keys[k].nkeys; j++) {
				bool found = false;
				for (int c = 0; c < *ncols; c++)
					if (strcmp(cols[c].name, keys[k].keys[j]) == 0) {
						cols[c].notnull = true;
						found = true;
					}
				if (!found) {
					pgs_errorf(s, "42703", "column \"%s\" named in key does not exist", keys[k].keys[j]);
					ok = false;
				}
			}
	int npk = 0;
	for (int k = 0; k < *nkeys; k++)
		npk += keys[k].contype == 'p';
	if (ok && npk > 1) {
		pgs_errorf(s, "42P16", "multiple primary keys for table \"%s\" are not allowed", cs->relation->relname);
		ok = false;
	}
	for (int c = 0; c < *ncols && ok; c++)
		if (!check_default(s, &cols[c], &e)) {
			pgs_send_error(s, &e);
			ok = false;
		}
	return ok;
}

/* The SQLite table and the catalog rows of its columns; *oid gets its OID. */
static bool create_columns(PgsSession *s, const char *name, ColSpec *cols, int ncols, uint32_t *oid, PgwError *e)
{
	Buf sql;
	buf_init(&sql);
	buf_put_str(&sql, "CREATE TABLE ");
	pgs_put_ident(&sql, name);
	buf_put_str(&sql, " (");
	for (int c = 0; c < ncols; c++) {
		if (c)
			buf_put_str(&sql, ", ");
		put_column(&sql, &cols[c]);
	}
	if (ncols == 0)
		buf_put_str(&sql, "\"_dosql_no_columns\" INTEGER");
	buf_put_u8(&sql, ')');
	bool ok = pgs_sql(s, buf_cstr(&sql), e) && next_oid(s, oid, e) &&
		  run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_class(oid, relname, relkind) VALUES(%u, %Q, 'r')", *oid,
					    name));
	for (int c = 0; c < ncols && ok; c++)
		ok = column_sequence(s, name, &cols[c], e) && catalog_column(s, *oid, c + 1, &cols[c], e);
	buf_cleanup(&sql);
	return ok;
}

bool pgs_ddl_create_plain(PgsSession *s, const char *name, int ncols, const PgsResultCol *rc, PgwError *e)
{
	ColSpec *cols = calloc((size_t)ncols + 1, sizeof(ColSpec));
	uint32_t oid;
	if (!cols) {
		pgw_error_set(e, "53200", "out of memory");
		return false;
	}
	for (int i = 0; i < ncols; i++) {
		cols[i].name = rc[i].name;
		cols[i].type = rc[i].type;
		cols[i].typmod = rc[i].typmod;
	}
	bool ok = create_columns(s, name, cols, ncols, &oid, e);
	free(cols);
	pgs_schema_changed();
	return ok;
}

bool pgs_ddl_register(PgsSession *s, const char *name, char relkind, int ncols, const PgsResultCol *rc, PgwError *e)
{
	uint32_t oid;
	bool ok = next_oid(s, &oid, e) &&
		  run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_class(oid, relname, relkind) VALUES(%u, %Q, '%c')", oid,
					    name, relkind));
	for (int i = 0; i < ncols && ok; i++) {
		ColSpec c = {.name = rc[i].name, .type = rc[i].type, .typmod = rc[i].typmod};
		ok = catalog_column(s, oid, i + 1, &c, e);
	}
	return ok;
}

/* A CHECK constraint named cname on table t (OID oid): enforced by
 * triggers, as SQLite cannot add table constraints later. */
static bool create_check(PgsSession *s, const PgsTable *t, uint32_t oid, KeySpec *ks, const char *cname, PgwError *e)
{
	const char *name = t->name;
	Buf expr;
	buf_init(&expr);
	bool ok = check_sql(s, t, ks->expr, &expr, e);
	for (int w = 0; w < 2 && ok; w++)
		ok = run(s, e,
			 sqlite3_mprintf("CREATE TRIGGER \"%w_%s\" BEFORE %s ON \"%w\" WHEN NOT coalesce((%s), 1)"
					 " BEGIN SELECT RAISE(ABORT, '23514:new row for relation \"%q\" violates check"
					 " constraint \"%q\"'); END",
					 cname, w ? "upd" : "ins", w ? "UPDATE" : "INSERT", name,
					 buf_cstr(&expr), name, cname));
	uint32_t coid;
	char *def = pgs_deparse_expr(ks->expr);
	ok = ok && next_oid(s, &coid, e) &&
	     run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_constraint(oid, conname, contype, conrelid,"
					" condef) VALUES(%u, %Q, 'c', %u, 'CHECK ((' || %Q || '))')",
					coid, cname, oid, def ? def : ""));
	free(def);
	buf_cleanup(&expr);
	return ok;
}

/* A FOREIGN KEY constraint named cn on table name (OID oid): checked with
 * triggers on both sides. */
/* The column a foreign key references: the one it names, else the
 * referenced table's one-column primary key; false when there is none. */
static bool referenced_column(PgsSession *s, PgQuery__Constraint *fk, const PgsTable *pt, char *pk, size_t n)
{
	if (fk->n_pk_attrs == 1) {
		snprintf(pk, n, "%s", pgn_str(fk->pk_attrs[0]));
		return pk[0] != 0;
	}
	pk[0] = 0;
	sqlite3_stmt *st;
	if (fk->n_pk_attrs || sqlite3_prepare_v2(s->db,
						 "SELECT a.attname FROM main._dosql_index i JOIN main._dosql_attribute a"
						 " ON a.attrelid = i.indrelid AND '{' || a.attnum || '}' = i.indkey"
						 " WHERE i.indrelid = ?1 AND i.indisprimary",
						 -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, pt->oid);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(pk, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return pk[0] != 0;
}

/* A FOREIGN KEY constraint named cn on table name (OID oid): checked with
 * triggers on both sides. */
static bool create_foreign_key(PgsSession *s, const char *name, uint32_t oid, KeySpec *ks, const char *cn, PgwError *e)
{
	PgQuery__Constraint *fk = ks->fk;
	const PgsTable *pt = pgs_catalog_table(&s->cat, fk->pktable->relname);
	if (!pt) {
		pgw_error_set(e, "42P01", "relation \"%s\" does not exist", fk->pktable->relname);
		return false;
	}
	char pk[256];
	if (ks->nkeys != 1 || !referenced_column(s, fk, pt, pk, sizeof(pk))) {
		pgw_error_set(e, "0A000",
			      "foreign keys other than one column referencing a named column are not supported by DoSQL");
		return false;
	}
	const char *col = ks->keys[0];
	bool ok = run(s, e,
		 sqlite3_mprintf(
			 "CREATE TRIGGER \"%w_ins\" BEFORE INSERT ON \"%w\" WHEN NEW.\"%w\" IS NOT NULL"
			 " AND NOT EXISTS (SELECT 1 FROM \"%w\" WHERE \"%w\" = NEW.\"%w\") BEGIN SELECT"
			 " RAISE(ABORT, '23503:insert or update on table \"%q\" violates foreign key"
			 " constraint \"%q\"'); END",
			 cn, name, col, pt->name, pk, col, name, cn)) &&
	     run(s, e,
		 sqlite3_mprintf(
			 "CREATE TRIGGER \"%w_upd\" BEFORE UPDATE OF \"%w\" ON \"%w\" WHEN NEW.\"%w\" IS"
			 " NOT NULL AND NOT EXISTS (SELECT 1 FROM \"%w\" WHERE \"%w\" = NEW.\"%w\") BEGIN"
			 " SELECT RAISE(ABORT, '23503:insert or update on table \"%q\" violates foreign"
			 " key constraint \"%q\"'); END",
			 cn, col, name, col, pt->name, pk, col, name, cn));
	if (ok && strcmp(fk_action(fk->fk_del_action), "CASCADE") == 0)
		ok = run(s, e,
			 sqlite3_mprintf("CREATE TRIGGER \"%w_del\" AFTER DELETE ON \"%w\" BEGIN DELETE"
					 " FROM \"%w\" WHERE \"%w\" = OLD.\"%w\"; END",
					 cn, pt->name, name, col, pk));
	else if (ok)
		ok = run(s, e,
			 sqlite3_mprintf("CREATE TRIGGER \"%w_del\" BEFORE DELETE ON \"%w\" WHEN EXISTS"
					 " (SELECT 1 FROM \"%w\" WHERE \"%w\" = OLD.\"%w\") BEGIN"
					 " SELECT RAISE(ABORT, '23503:update or delete on table \"%q\""
					 " violates foreign key constraint \"%q\" on table \"%q\"');"
					 " END",
					 cn, pt->name, name, col, pk, pt->name, cn, name));
	uint32_t coid;
	ok = ok && next_oid(s, &coid, e) &&
	     run(s, e, sqlite3_mprintf("INSERT INTO main._dosql_constraint(oid, conname, contype,"
					" conrelid, confrelid, condef) VALUES(%u, %Q, 'f', %u, %u,"
					" 'FOREIGN KEY (' || %Q || ') REFERENCES ' || %Q || '(' || %Q"
					" || ')')",
					coid, cn, oid, pt->oid, col, pt->name, pk));
	return ok;
}

/* A table constraint of a new table: its name as PostgreSQL gives it,
 * then the index, CHECK triggers or foreign key triggers. */
static bool create_key(PgsSession *s, const PgsTable *t, uint32_t oid, KeySpec *ks, PgwError *e)
{
	const char *name = t->name;
	Buf cname;
	buf_init(&cname);
	if (ks->conname)
		buf_put_str(&cname, ks->conname);
	else if (ks->contype == 'p')
		buf_printf(&cname, "%s_pkey", name);
	else
		key_name(&cname, name, ks->nkeys, ks->keys, ks->contype == 'u' ? "key" : ks->contype == 'c' ? "check" : "fkey");
	bool ok;
	if (ks->contype == 'p' || ks->contype == 'u')
		ok = make_index(s, t, buf_cstr(&cname), true, ks->contype, ks->nkeys, ks->keys, NULL, e);
	else if (ks->contype == 'c')
		ok = create_check(s, t, oid, ks, buf_cstr(&cname), e);
	else
		ok = create_foreign_key(s, name, oid, ks, buf_cstr(&cname), e);
	buf_cleanup(&cname);
	return ok;
}

static bool create_table(PgsSession *s, PgQuery__CreateStmt *cs)
{
	PgwError e;
	const char *name = cs->relation->relname;
	if (!pgs_ddl_check_schema(s, cs->relation))
		return false;
	if (cs->n_inh_relations || cs->partspec || cs->partbound || cs->of_typename) {
		pgs_errorf(s, "0A000", "table inheritance and partitioning are not supported by DoSQL");
		return false;
	}
	bool temp = cs->relation->relpersistence && cs->relation->relpersistence[0] == 't';
	if (temp && cs->oncommit > PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_PRESERVE_ROWS) {
		pgs_errorf(s, "0A000", "ON COMMIT DELETE ROWS / DROP is not supported by DoSQL");
		return false;
	}
	NameCheck nc = pgs_ddl_check_name(s, name, cs->if_not_exists);
	if (nc != NAME_FREE)
		return nc == NAME_SKIPPED;
	ColSpec *cols = calloc(MAX_COLS, sizeof(ColSpec));
	KeySpec *keys = calloc(64, sizeof(KeySpec));
	int ncols = 0, nkeys = 0;
	uint32_t oid = 0;
	bool ok = cols && keys;
	if (!ok)
		pgs_errorf(s, "53200", "out of memory");
	ok = ok && table_spec(s, cs, cols, &ncols, keys, &nkeys);
	if (ok && !create_columns(s, name, cols, ncols, &oid, &e)) {
		pgs_send_error(s, &e);
		ok = false;
	}
	pgs_schema_changed();
	ok = ok && (!temp || pgs_ddl_note_temp(s, name));
	const PgsTable *t = ok ? pgs_catalog_table(&s->cat, name) : NULL;
	for (int k = 0; k < nkeys && ok; k++)
		if (!create_key(s, t, oid, &keys[k], &e)) {
			pgs_send_error(s, &e);
			ok = false;
		}
	for (size_t i = 0; i < cs->n_table_elts && ok; i++)
		if (cs->table_elts[i]->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			ok = pgs_domain_triggers(s, name, cs->table_elts[i]->column_def);
	for (int c = 0; cols && c < ncols; c++)
		free(cols[c].default_pg);
	free(cols);
	free(keys);
	pgs_schema_changed();
	return ok;
}

/* Names of the sequences a table's column defaults own (serial/identity). */
static void owned_sequences(const PgsTable *t, char names[][256], int *n)
{
	*n = 0;
	for (int i = 0; i < t->ncols && *n < 32; i++) {
		const char *d = t->cols[i].default_expr;
		const char *q = d ? strstr(d, "nextval('") : NULL;
		if (!q)
			continue;
		q += 9;
		const char *end = strchr(q, '\'');
		if (!end)
			continue;
		char want[256];
		snprintf(want, sizeof(want), "%s_%s_seq", t->name, t->cols[i].name);
		if ((size_t)(end - q) == strlen(want) && strncmp(q, want, (size_t)(end - q)) == 0)
			snprintf(names[(*n)++], 256, "%s", want);
	}
}

static bool drop_sequence_rows(PgsSession *s, const char *name, PgwError *e)
{
	return run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_sequence WHERE seqrelid IN"
					 " (SELECT oid FROM main._dosql_class WHERE relname = %Q AND relkind = 'S')",
					 name)) &&
	       run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_class WHERE relname = %Q AND relkind = 'S'", name));
}

bool pgs_ddl_note_temp(PgsSession *s, const char *name)
{
	char **grown = realloc(s->temp, sizeof(char *) * (size_t)(s->ntemp + 1));
	char *copy = strdup(name);
	if (grown)
		s->temp = grown;
	if (!grown || !copy) {
		free(copy);
		pgs_errorf(s, "53200", "out of memory");
		return false;
	}
	s->temp[s->ntemp++] = copy;
	return true;
}

void pgs_ddl_forget_temp(PgsSession *s)
{
	for (int i = 0; i < s->ntemp; i++)
		free(s->temp[i]);
	free(s->temp);
	s->temp = NULL;
	s->ntemp = 0;
}

static bool drop_table(PgsSession *s, const PgsTable *t, PgwError *e)
{
	for (int i = 0; i < s->ntemp; i++)
		if (strcmp(s->temp[i], t->name) == 0) {
			free(s->temp[i]);
			s->temp[i] = s->temp[--s->ntemp];
			break;
		}
	char seqs[32][256];
	int nseq;
	owned_sequences(t, seqs, &nseq);
	bool ok = run(s, e, sqlite3_mprintf("DROP %s \"%w\"", t->relkind == 'v' ? "VIEW" : "TABLE", t->name)) &&
		  run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_class WHERE oid IN (SELECT indexrelid FROM"
					    " main._dosql_index WHERE indrelid = %u)", t->oid)) &&
		  run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_index WHERE indrelid = %u", t->oid)) &&
		  run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_constraint WHERE conrelid = %u", t->oid)) &&
		  run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_attribute WHERE attrelid = %u", t->oid)) &&
		  run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_class WHERE oid = %u", t->oid)) &&
		  run(s, e, sqlite3_mprintf("DELETE FROM main._dosql_replident WHERE relid = %u", t->oid));
	for (int i = 0; i < nseq && ok; i++)
		ok = drop_sequence_rows(s, seqs[i], e);
	return ok;
}

bool pgs_ddl_drop(PgsSession *s, const PgsTable *t, PgwError *e)
{
	return drop_table(s, t, e);
}

static bool drop_stmt(PgsSession *s, PgQuery__DropStmt *ds, const char **tag)
{
	PgwError e;
	const char *kind;
	char relkind;
	switch (ds->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		kind = "table";
		relkind = 'r';
		*tag = "DROP TABLE";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		kind = "index";
		relkind = 'i';
		*tag = "DROP INDEX";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		kind = "sequence";
		relkind = 'S';
		*tag = "DROP SEQUENCE";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		kind = "view";
		relkind = 'v';
		*tag = "DROP VIEW";
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
		*tag = "DROP FUNCTION";
		return pgs_drop_function(s, ds);
	default: {
		int done = pgs_drop_absent(s, ds, tag);
		if (done >= 0)
			return done == 1;
		pgs_errorf(s, "0A000", "this DROP is not supported by DoSQL");
		return false;
	}
	}
	bool ok = true;
	for (size_t i = 0; i < ds->n_objects && ok; i++) {
		PgQuery__List *l = ds->objects[i]->list;
		const char *name = pgn_str(l->items[l->n_items - 1]);
		if (l->n_items > 1 && strcmp(pgn_str(l->items[l->n_items - 2]), "public") != 0) {
			pgs_errorf(s, "3F000", "schema \"%s\" does not exist", pgn_str(l->items[l->n_items - 2]));
			return false;
		}
		const PgsTable *t = pgs_catalog_table(&s->cat, name);
		if (!t || t->system) {
			if (ds->missing_ok) {
				pgs_notice(s, "%s \"%s\" does not exist, skipping", kind, name);
				continue;
			}
			pgs_errorf(s, "42P01", "%s \"%s\" does not exist", kind, name);
			return false;
		}
		if (t->relkind != relkind) {
			pgs_errorf(s, "42809", "\"%s\" is not a%s %s", name, relkind == 'i' ? "n" : "", kind);
			return false;
		}
		if (relkind == 'r' || relkind == 'v') {
			ok = drop_table(s, t, &e);
		} else if (relkind == 'i') {
			ok = run(s, &e, sqlite3_mprintf("DROP INDEX \"%w\"", name)) &&
			     run(s, &e, sqlite3_mprintf("DELETE FROM main._dosql_constraint WHERE conindid = %u", t->oid)) &&
			     run(s, &e, sqlite3_mprintf("DELETE FROM main._dosql_index WHERE indexrelid = %u", t->oid)) &&
			     run(s, &e, sqlite3_mprintf("DELETE FROM main._dosql_class WHERE oid = %u", t->oid));
		} else {
			ok = drop_sequence_rows(s, name, &e);
		}
		pgs_schema_changed();
		if (!ok)
			pgs_send_error(s, &e);
	}
	return ok;
}

static bool truncate_stmt(PgsSession *s, PgQuery__TruncateStmt *ts)
{
	PgwError e;
	for (size_t i = 0; i < ts->n_relations; i++) {
		PgQuery__RangeVar *rv = ts->relations[i]->range_var;
		const PgsTable *t = pgs_catalog_table(&s->cat, rv->relname);
		if (!pgs_ddl_check_schema(s, rv))
			return false;
		if (!t || t->system || t->relkind != 'r') {
			pgs_errorf(s, "42P01", "relation \"%s\" does not exist", rv->relname);
			return false;
		}
	}
	for (size_t i = 0; i < ts->n_relations; i++) {
		const PgsTable *t = pgs_catalog_table(&s->cat, ts->relations[i]->range_var->relname);
		bool cascade = ts->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
		bool ok = s->hooks.truncate ? s->hooks.truncate(s->hooks.arg, t->name, cascade, ts->restart_seqs, &e)
					    : run(s, &e, sqlite3_mprintf("DELETE FROM \"%w\"", t->name));
		if (!ok) {
			pgs_send_error(s, &e);
			return false;
		}
		if (ts->restart_seqs) {
			char seqs[32][256];
			int nseq;
			owned_sequences(t, seqs, &nseq);
			for (int k = 0; k < nseq; k++)
				if (!run(s, &e, sqlite3_mprintf("UPDATE main._dosql_sequence SET last_value = seqstart, is_called = 0"
								 " WHERE seqrelid = (SELECT oid FROM main._dosql_class WHERE"
								 " relname = %Q)", seqs[k]))) {
					pgs_send_error(s, &e);
					return false;
				}
		}
	}
	return true;
}

static bool index_stmt(PgsSession *s, PgQuery__IndexStmt *is)
{
	PgwError e;
	if (!pgs_ddl_check_schema(s, is->relation))
		return false;
	const PgsTable *t = pgs_catalog_table(&s->cat, is->relation->relname);
	if (!t || t->system || t->relkind != 'r') {
		pgs_errorf(s, "42P01", "relation \"%s\" does not exist", is->relation->relname);
		return false;
	}
	if (pgn_has_str(is->access_method) && strcmp(is->access_method, "btree") != 0 && strcmp(is->access_method, "hash") != 0) {
		pgs_errorf(s, "0A000", "index access method \"%s\" is not supported by DoSQL", is->access_method);
		return false;
	}
	const char *keys[32];
	int nkeys = 0;
	for (size_t i = 0; i < is->n_index_params; i++) {
		PgQuery__IndexElem *ie = is->index_params[i]->index_elem;
		if (!pgn_has_str(ie->name)) {
			pgs_errorf(s, "0A000", "expression indexes are not supported by DoSQL");
			return false;
		}
		if (nkeys == 32) {
			pgs_errorf(s, "54011", "cannot use more than 32 columns in an index");
			return false;
		}
		keys[nkeys++] = ie->name;
	}
	Buf name;
	buf_init(&name);
	if (pgn_has_str(is->idxname))
		buf_put_str(&name, is->idxname);
	else
		key_name(&name, t->name, nkeys, keys, "idx");
	NameCheck nc = pgs_ddl_check_name(s, buf_cstr(&name), is->if_not_exists);
	if (nc != NAME_FREE) {
		buf_cleanup(&name);
		return nc == NAME_SKIPPED;
	}
	Buf where;
	buf_init(&where);
	bool ok = true;
	if (is->where_clause)
		ok = check_sql(s, t, is->where_clause, &where, &e);
	ok = ok && make_index(s, t, buf_cstr(&name), is->unique, 0, nkeys, keys, is->where_clause ? buf_cstr(&where) : NULL,
			      &e);
	pgs_schema_changed();
	if (!ok) {
		if (strncmp(e.sqlstate, "23505", 5) == 0) {
			pgw_error_set(&e, "23505", "could not create unique index \"%s\"", buf_cstr(&name));
			snprintf(e.detail, sizeof(e.detail), "Key values are duplicated.");
		}
		pgs_send_error(s, &e);
	}
	buf_cleanup(&name);
	buf_cleanup(&where);
	return ok;
}

/* NOT NULL added after creation: refuse existing NULLs, guard new rows with triggers. */
static bool add_not_null(PgsSession *s, const PgsTable *t, const char *col, PgwError *e)
{
	sqlite3_stmt *st;
	char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\" WHERE \"%w\" IS NULL LIMIT 1", t->name, col);
	bool has_null = false;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
		has_null = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	sqlite3_free(sql);
	if (has_null) {
		pgw_error_set(e, "23502", "column \"%s\" of relation \"%s\" contains null values", col, t->name);
		return false;
	}
	for (int w = 0; w < 2; w++)
		if (!run(s, e, sqlite3_mprintf("CREATE TRIGGER IF NOT EXISTS \"%w_%w_notnull_%s\" BEFORE %s ON \"%w\""
					       " WHEN NEW.\"%w\" IS NULL BEGIN SELECT RAISE(ABORT, '23502:null value in column"
					       " \"%q\" of relation \"%q\" violates not-null constraint'); END",
					       t->name, col, w ? "upd" : "ins", w ? "UPDATE" : "INSERT", t->name, col, col, t->name)))
			return false;
	return run(s, e, sqlite3_mprintf("UPDATE main._dosql_attribute SET attnotnull = 1 WHERE attrelid = %u AND"
					 " attname = %Q", t->oid, col));
}

/* ALTER COLUMN ... DROP NOT NULL: nothing to do on a nullable column;
 * a NOT NULL that SET NOT NULL added (triggers) goes; one declared in
 * CREATE TABLE is SQLite's own column constraint, which only rebuilding
 * the table would drop (0A000). */
static bool drop_not_null(PgsSession *s, const PgsTable *t, const PgsColumn *col, PgwError *e)
{
	if (!col->notnull)
		return true;
	char *sql = sqlite3_mprintf("SELECT count(*) FROM main.sqlite_master WHERE type = 'trigger' AND name IN"
				    " ('%q_%q_notnull_ins', '%q_%q_notnull_upd')",
				    t->name, col->name, t->name, col->name);
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_free(sql);
	if (n == 0) {
		pgw_error_set(e, "0A000",
			      "ALTER COLUMN ... DROP NOT NULL of a column declared NOT NULL in CREATE TABLE is not supported by DoSQL");
		return false;
	}
	for (int w = 0; w < 2; w++)
		if (!run(s, e, sqlite3_mprintf("DROP TRIGGER IF EXISTS \"%w_%w_notnull_%s\"", t->name, col->name, w ? "upd" : "ins")))
			return false;
	return run(s, e, sqlite3_mprintf("UPDATE main._dosql_attribute SET attnotnull = 0 WHERE attrelid = %u AND"
					 " attname = %Q", t->oid, col->name));
}

/* Run an UPDATE that gives existing rows a new column's default. */
static bool fill_default(PgsSession *s, const char *sql, PgwError *e)
{
	PgQuery__ParseResult *tree = pgs_parse(sql, e);
	if (!tree)
		return false;
	if (tree->n_stmts != 1) {
		pgw_error_set(e, "42601", "syntax error in \"%s\"", sql);
		pg_query__parse_result__free_unpacked(tree, NULL);
		return false;
	}
	Arena a;
	arena_init(&a);
	PgsQuery q;
	sqlite3_stmt *st = NULL;
	bool ok = pgs_compile(s, sql, tree->stmts[0]->stmt, &a, 0, NULL, &q, e) && pgs_prepare(s, &q, &st, e);
	if (ok) {
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			pgs_sqlite_error(s, rc, e);
			ok = false;
		}
	}
	sqlite3_finalize(st);
	arena_reset(&a);
	pg_query__parse_result__free_unpacked(tree, NULL);
	return ok;
}

/* How one ALTER TABLE action went: done, failed with *e for the caller to
 * report, or failed with the error reported already. */
typedef enum AlterStep {
	ALTER_DONE,
	ALTER_FAILED,
	ALTER_REPORTED,
} AlterStep;

static AlterStep alter_result(bool ok) { return ok ? ALTER_DONE : ALTER_FAILED; }

/* ADD COLUMN: the SQLite column, its catalog row and sequence, the default
 * filled into existing rows, then NOT NULL and its keys. */
static AlterStep alter_add_column(PgsSession *s, const PgsTable *t, const char *tname, PgQuery__AlterTableCmd *cmd,
				  PgwError *e)
{
	PgQuery__ColumnDef *cd = cmd->def->column_def;
	if (pgs_table_column(t, cd->colname)) {
		if (cmd->missing_ok) {
			pgs_notice(s, "column \"%s\" of relation \"%s\" already exists, skipping", cd->colname, tname);
			return ALTER_DONE;
		}
		pgs_errorf(s, "42701", "column \"%s\" of relation \"%s\" already exists", cd->colname, tname);
		return ALTER_REPORTED;
	}
	ColSpec c;
	KeySpec keys[64];
	int nkeys = 0;
	if (!column_spec(s, cd, &c, keys, &nkeys, false))
		return ALTER_REPORTED;
	bool notnull = c.notnull;
	c.notnull = false;
	int attnum = 1;
	for (int k = 0; k < t->ncols; k++)
		if (t->cols[k].attnum >= attnum)
			attnum = t->cols[k].attnum + 1;
	Buf sql;
	buf_init(&sql);
	buf_put_str(&sql, "ALTER TABLE ");
	pgs_put_ident(&sql, tname);
	buf_put_str(&sql, " ADD COLUMN ");
	put_column(&sql, &c);
	bool ok = check_default(s, &c, e) && pgs_sql(s, buf_cstr(&sql), e) && column_sequence(s, tname, &c, e) &&
	     catalog_column(s, t->oid, attnum, &c, e);
	buf_cleanup(&sql);
	pgs_schema_changed();
	if (ok && c.default_pg) {
		/* existing rows get the default, as PostgreSQL fills them */
		char *upd = NULL;
		if (asprintf(&upd, "UPDATE %s SET %s = DEFAULT", tname, cd->colname) >= 0) {
			ok = fill_default(s, upd, e);
			free(upd);
		}
	}
	if (ok && notnull) {
		t = pgs_catalog_table(&s->cat, tname);
		ok = add_not_null(s, t, cd->colname, e);
	}
	for (int k = 0; k < nkeys && ok; k++) {
		t = pgs_catalog_table(&s->cat, tname);
		Buf cname;
		buf_init(&cname);
		if (keys[k].contype == 'p')
			buf_printf(&cname, "%s_pkey", tname);
		else
			key_name(&cname, tname, keys[k].nkeys, keys[k].keys, "key");
		if (keys[k].contype == 'p' || keys[k].contype == 'u')
			ok = make_index(s, t, keys[k].conname ? keys[k].conname : buf_cstr(&cname), true,
					keys[k].contype, keys[k].nkeys, keys[k].keys, NULL, e);
		else
			ok = false, pgw_error_set(e, "0A000", "this constraint in ADD COLUMN is not supported by DoSQL");
		buf_cleanup(&cname);
	}
	free(c.default_pg);
	return alter_result(ok);
}

/* ALTER COLUMN ... TYPE: only to the type the column has (ORMs' "sync"
 * send it for every column): changing a column's type rewrites the table. */
static AlterStep alter_column_type(PgsSession *s, const PgsTable *t, const char *tname, PgQuery__AlterTableCmd *cmd,
				   PgwError *e)
{
	const PgsColumn *col = pgs_table_column(t, cmd->name);
	if (!col) {
		pgs_errorf(s, "42703", "column \"%s\" of relation \"%s\" does not exist", cmd->name, tname);
		return ALTER_REPORTED;
	}
	PgQuery__ColumnDef *cd = cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
					 ? cmd->def->column_def
					 : NULL;
	uint32_t type;
	int32_t typmod;
	PgsTranslateCtx ctx = {.cat = &s->cat};
	if (!cd || !cd->type_name || cd->raw_default) {
		pgw_error_set(e, "0A000", "ALTER COLUMN ... TYPE ... USING is not supported by DoSQL");
		return ALTER_FAILED;
	}
	if (!pgs_resolve_typename(&ctx, cd->type_name, &type, &typmod, NULL, e))
		return ALTER_FAILED;
	if (type != col->type || typmod != col->typmod) {
		pgw_error_set(e, "0A000",
			      "ALTER COLUMN ... TYPE changing the type of column \"%s\" is not supported by DoSQL",
			      cmd->name);
		return ALTER_FAILED;
	}
	return ALTER_DONE;
}

/* ADD CONSTRAINT: a primary key (its columns made NOT NULL) or a unique
 * constraint, as a unique index. */
static AlterStep alter_add_constraint(PgsSession *s, const PgsTable *t, const char *tname, PgQuery__AlterTableCmd *cmd,
				      PgwError *e)
{
	PgQuery__Constraint *k = cmd->def->constraint;
	KeySpec ks[1];
	int nk = 0;
	if (!add_key(s, ks, &nk, k, NULL))
		return ALTER_REPORTED;
	Buf cname;
	buf_init(&cname);
	bool ok = true;
	if (ks[0].conname)
		buf_put_str(&cname, ks[0].conname);
	else if (ks[0].contype == 'p')
		buf_printf(&cname, "%s_pkey", tname);
	else
		key_name(&cname, tname, ks[0].nkeys, ks[0].keys, ks[0].contype == 'u' ? "key" : "check");
	if (ks[0].contype == 'p') {
		sqlite3_stmt *st;
		bool has_pk = false;
		if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM main._dosql_index WHERE indrelid = ?1 AND indisprimary",
				       -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, t->oid);
			has_pk = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
		}
		if (has_pk) {
			pgw_error_set(e, "42P16", "multiple primary keys for table \"%s\" are not allowed", tname);
			ok = false;
		}
		for (int j = 0; j < ks[0].nkeys && ok; j++) {
			const PgsColumn *c = pgs_table_column(t, ks[0].keys[j]);
			if (!c) {
				pgw_error_set(e, "42703", "column \"%s\" of relation \"%s\" does not exist",
					      ks[0].keys[j], tname);
				ok = false;
			} else if (!c->notnull) {
				ok = add_not_null(s, t, ks[0].keys[j], e);
			}
		}
	}
	if (ok && relation_exists(s, buf_cstr(&cname))) {
		pgw_error_set(e, "42P07", "relation \"%s\" already exists", buf_cstr(&cname));
		ok = false;
	}
	if (ok && (ks[0].contype == 'p' || ks[0].contype == 'u')) {
		t = pgs_catalog_table(&s->cat, tname);
		ok = make_index(s, t, buf_cstr(&cname), true, ks[0].contype, ks[0].nkeys, ks[0].keys, NULL, e);
		if (!ok && strncmp(e->sqlstate, "23505", 5) == 0) {
			pgw_error_set(e, "23505", "could not create unique index \"%s\"", buf_cstr(&cname));
			snprintf(e->detail, sizeof(e->detail), "Key values are duplicated.");
		}
	} else if (ok) {
		pgw_error_set(e, "0A000", "ALTER TABLE ADD %s is not supported by DoSQL",
			      ks[0].contype == 'c' ? "CHECK" : "FOREIGN KEY");
		ok = false;
	}
	buf_cleanup(&cname);
	return alter_result(ok);
}

static bool alter_table(PgsSession *s, PgQuery__AlterTableStmt *at)
{
	PgwError e;
	if (!pgs_ddl_check_schema(s, at->relation))
		return false;
	const PgsTable *t = pgs_catalog_table(&s->cat, at->relation->relname);
	if (!t || t->system || t->relkind != 'r') {
		if (at->missing_ok) {
			pgs_notice(s, "relation \"%s\" does not exist, skipping", at->relation->relname);
			return true;
		}
		pgs_errorf(s, "42P01", "relation \"%s\" does not exist", at->relation->relname);
		return false;
	}
	char tname[256];
	snprintf(tname, sizeof(tname), "%s", t->name);
	bool ok = true;
	for (size_t i = 0; i < at->n_cmds && ok; i++) {
		PgQuery__AlterTableCmd *cmd = at->cmds[i]->alter_table_cmd;
		t = pgs_catalog_table(&s->cat, tname);
		AlterStep step = ALTER_DONE;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			step = alter_add_column(s, t, tname, cmd, &e);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault: {
			if (!pgs_table_column(t, cmd->name)) {
				pgs_errorf(s, "42703", "column \"%s\" of relation \"%s\" does not exist", cmd->name, tname);
				return false;
			}
			char *def = cmd->def ? pgs_deparse_expr(cmd->def) : NULL;
			ColSpec c = {.name = cmd->name, .default_pg = def};
			ok = check_default(s, &c, &e) &&
			     run(s, &e, sqlite3_mprintf("UPDATE main._dosql_attribute SET attdefault = %Q WHERE attrelid = %u"
							" AND attname = %Q", def, t->oid, cmd->name));
			free(def);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull: {
			const PgsColumn *col = pgs_table_column(t, cmd->name);
			if (!col) {
				pgs_errorf(s, "42703", "column \"%s\" of relation \"%s\" does not exist", cmd->name, tname);
				return false;
			}
			ok = drop_not_null(s, t, col, &e);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			step = alter_column_type(s, t, tname, cmd, &e);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
			if (!pgs_table_column(t, cmd->name)) {
				pgs_errorf(s, "42703", "column \"%s\" of relation \"%s\" does not exist", cmd->name, tname);
				return false;
			}
			ok = add_not_null(s, t, cmd->name, &e);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn: {
			const PgsColumn *c = pgs_table_column(t, cmd->name);
			if (!c) {
				if (cmd->missing_ok) {
					pgs_notice(s, "column \"%s\" of relation \"%s\" does not exist, skipping", cmd->name, tname);
					break;
				}
				pgs_errorf(s, "42703", "column \"%s\" of relation \"%s\" does not exist", cmd->name, tname);
				return false;
			}
			ok = run(s, &e, sqlite3_mprintf("ALTER TABLE \"%w\" DROP COLUMN \"%w\"", tname, cmd->name)) &&
			     run(s, &e, sqlite3_mprintf("DELETE FROM main._dosql_attribute WHERE attrelid = %u AND attname = %Q",
							t->oid, cmd->name));
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			step = alter_add_constraint(s, t, tname, cmd, &e);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ReplicaIdentity: {
			/* what the change stream carries of an old row (shard/cdc.c) */
			const char *ident = cmd->def->replica_identity_stmt->identity_type;
			if (strcmp(ident, "d") != 0 && strcmp(ident, "f") != 0 && strcmp(ident, "n") != 0) {
				pgs_errorf(s, "0A000", "REPLICA IDENTITY USING INDEX is not supported by DoSQL");
				return false;
			}
			ok = pgs_exec_params(s, "INSERT OR REPLACE INTO main._dosql_replident(relid, ident) VALUES (?3, ?1)", ident,
					     NULL, t->oid, 0, NULL, &e);
			break;
		}
		default:
			pgs_errorf(s, "0A000", "this ALTER TABLE action is not supported by DoSQL");
			return false;
		}
		if (step == ALTER_REPORTED)
			return false;
		ok = ok && step == ALTER_DONE;
		pgs_schema_changed();
		if (!ok)
			pgs_send_error(s, &e);
	}
	return ok;
}

static int64_t defelem_int(PgQuery__DefElem *d, int64_t dflt)
{
	PgQuery__Node *a = d->arg;
	if (!a)
		return dflt;
	if (a->node_case == PG_QUERY__NODE__NODE_INTEGER)
		return a->integer->ival;
	if (a->node_case == PG_QUERY__NODE__NODE_FLOAT)
		return strtoll(a->float_->fval, NULL, 10);
	if (a->node_case == PG_QUERY__NODE__NODE_A_CONST && a->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return a->a_const->ival->ival;
	return dflt;
}

static bool create_seq(PgsSession *s, PgQuery__CreateSeqStmt *cs)
{
	PgwError e;
	const char *name = cs->sequence->relname;
	if (!pgs_ddl_check_schema(s, cs->sequence))
		return false;
	NameCheck nc = pgs_ddl_check_name(s, name, cs->if_not_exists);
	if (nc != NAME_FREE)
		return nc == NAME_SKIPPED;
	int64_t inc = 1, start = 0, min = 0, max = 0;
	bool cycle = false, have_start = false, have_min = false, have_max = false;
	uint32_t type = PGT_INT8;
	for (size_t i = 0; i < cs->n_options; i++) {
		PgQuery__DefElem *d = cs->options[i]->def_elem;
		if (strcmp(d->defname, "increment") == 0)
			inc = defelem_int(d, 1);
		else if (strcmp(d->defname, "start") == 0)
			start = defelem_int(d, 1), have_start = true;
		else if (strcmp(d->defname, "minvalue") == 0 && d->arg)
			min = defelem_int(d, 1), have_min = true;
		else if (strcmp(d->defname, "maxvalue") == 0 && d->arg)
			max = defelem_int(d, 0), have_max = true;
		else if (strcmp(d->defname, "cycle") == 0)
			cycle = d->arg ? defelem_int(d, 1) != 0 : true;
		else if (strcmp(d->defname, "as") == 0 && d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_TYPE_NAME) {
			int32_t typmod;
			PgsTranslateCtx ctx = {.cat = &s->cat};
			if (!pgs_resolve_typename(&ctx, d->arg->type_name, &type, &typmod, NULL, &e)) {
				pgs_send_error(s, &e);
				return false;
			}
		}
	}
	if (inc == 0) {
		pgs_errorf(s, "22023", "INCREMENT must not be zero");
		return false;
	}
	if (!have_min)
		min = inc > 0 ? 1 : -type_max(type);
	if (!have_max)
		max = inc > 0 ? type_max(type) : -1;
	if (!have_start)
		start = inc > 0 ? min : max;
	if (!create_sequence_named(s, name, type, start, inc, min, max, cycle, &e)) {
		pgs_send_error(s, &e);
		return false;
	}
	pgs_schema_changed();
	return true;
}

static bool rename_stmt(PgsSession *s, PgQuery__RenameStmt *rs, const char **tag)
{
	PgwError e;
	if (!rs->relation || !pgs_ddl_check_schema(s, rs->relation))
		return rs->relation ? false : (pgs_errorf(s, "0A000", "this RENAME is not supported by DoSQL"), false);
	const PgsTable *t = pgs_catalog_table(&s->cat, rs->relation->relname);
	if (!t || t->system) {
		pgs_errorf(s, "42P01", "relation \"%s\" does not exist", rs->relation->relname);
		return false;
	}
	bool ok;
	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && t->relkind == 'r') {
		if (relation_exists(s, rs->newname)) {
			pgs_errorf(s, "42P07", "relation \"%s\" already exists", rs->newname);
			return false;
		}
		ok = run(s, &e, sqlite3_mprintf("ALTER TABLE \"%w\" RENAME TO \"%w\"", t->name, rs->newname)) &&
		     run(s, &e, sqlite3_mprintf("UPDATE main._dosql_class SET relname = %Q WHERE oid = %u", rs->newname, t->oid));
		*tag = "ALTER TABLE";
	} else if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN) {
		if (!pgs_table_column(t, rs->subname)) {
			pgs_errorf(s, "42703", "column \"%s\" does not exist", rs->subname);
			return false;
		}
		ok = run(s, &e, sqlite3_mprintf("ALTER TABLE \"%w\" RENAME COLUMN \"%w\" TO \"%w\"", t->name, rs->subname,
						rs->newname)) &&
		     run(s, &e, sqlite3_mprintf("UPDATE main._dosql_attribute SET attname = %Q WHERE attrelid = %u AND"
						" attname = %Q", rs->newname, t->oid, rs->subname));
		*tag = "ALTER TABLE";
	} else {
		pgs_errorf(s, "0A000", "this RENAME is not supported by DoSQL");
		return false;
	}
	pgs_schema_changed();
	if (!ok)
		pgs_send_error(s, &e);
	return ok;
}

static bool create_table_as(PgsSession *s, PgQuery__CreateTableAsStmt *cs, const char **tag)
{
	*tag = "CREATE TABLE AS";
	if (cs->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		pgs_errorf(s, "0A000", "CREATE MATERIALIZED VIEW is not supported by DoSQL");
		return false;
	}
	return pgs_create_table_as(s, cs->into, cs->query, cs->if_not_exists, tag);
}

/* SELECT ... INTO t: the SELECT without its INTO, as CREATE TABLE AS. */
static bool select_into(PgsSession *s, PgQuery__SelectStmt *ss, const char **tag)
{
	PgQuery__IntoClause *into = ss->into_clause;
	PgQuery__Node node = PG_QUERY__NODE__INIT;
	node.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	node.select_stmt = ss;
	ss->into_clause = NULL;
	bool ok = pgs_create_table_as(s, into, &node, false, tag);
	ss->into_clause = into;
	return ok;
}

bool pgs_is_ddl(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
	case PG_QUERY__NODE__NODE_DROP_STMT:
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
	case PG_QUERY__NODE__NODE_INDEX_STMT:
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
	case PG_QUERY__NODE__NODE_RENAME_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
	case PG_QUERY__NODE__NODE_VIEW_STMT:
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		return true;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return n->select_stmt->into_clause != NULL;
	default:
		return false;
	}
}

bool pgs_exec_ddl(PgsSession *s, PgQuery__Node *node, const char **tag)
{
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		*tag = "CREATE TABLE";
		return create_table(s, node->create_stmt);
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return drop_stmt(s, node->drop_stmt, tag);
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		*tag = "TRUNCATE TABLE";
		return truncate_stmt(s, node->truncate_stmt);
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		*tag = "CREATE INDEX";
		return index_stmt(s, node->index_stmt);
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		*tag = "ALTER TABLE";
		return alter_table(s, node->alter_table_stmt);
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		*tag = "CREATE SEQUENCE";
		return create_seq(s, node->create_seq_stmt);
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return rename_stmt(s, node->rename_stmt, tag);
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		return create_table_as(s, node->create_table_as_stmt, tag);
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return select_into(s, node->select_stmt, tag);
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		*tag = "CREATE VIEW";
		return pgs_create_view(s, node->view_stmt);
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		*tag = "CREATE FUNCTION";
		return pgs_create_function(s, node->create_function_stmt);
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
		*tag = "CREATE TYPE";
		return pgs_create_composite(s, node->composite_type_stmt);
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		*tag = "CREATE DOMAIN";
		return pgs_create_domain(s, node->create_domain_stmt);
	default:
		pgs_errorf(s, "0A000", "this DDL statement is not supported by DoSQL");
		return false;
	}
}
