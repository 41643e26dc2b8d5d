/*
 * placement.c - changing where a table's rows live while the router runs,
 * with Citus's functions as the model:
 *
 *   SELECT dosql_shard_table('t', 'col' [, 'vindex'])   sharded by col
 *   SELECT dosql_reference_table('t')                   a copy on every shard
 *
 * Only on an empty table (moving rows waits for resharding: 0A000).  The
 * change is written to <data_dir>/vschema-changes.json, whose tables replace
 * or add to those of the VSchema file at every start, and the router
 * switches to the new VSchema at once.  Schemas replaced are kept until
 * exit: statements under way may still point into them.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "router/coord.h"
#include "router/router.h"
#include "pgsql/translate.h"

/* The call, when stmt is "SELECT dosql_shard_table(...)" or
 * "SELECT dosql_reference_table(...)" and nothing else; else NULL. */
PgQuery__FuncCall *rt_placement_call(PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return NULL;
	PgQuery__SelectStmt *s = stmt->select_stmt;
	if (s->n_from_clause || s->n_target_list != 1 || s->where_clause || s->op > PG_QUERY__SET_OPERATION__SETOP_NONE)
		return NULL;
	PgQuery__Node *v = s->target_list[0]->res_target->val;
	if (!v || v->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return NULL;
	PgQuery__FuncCall *fc = v->func_call;
	PgQuery__Node *last = fc->funcname[fc->n_funcname - 1];
	const char *name = last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : "";
	return strcmp(name, "dosql_shard_table") == 0 || strcmp(name, "dosql_reference_table") == 0 ? fc : NULL;
}

const char *rt_placement_arg(PgQuery__FuncCall *fc, size_t i)
{
	if (i >= fc->n_args)
		return NULL;
	PgQuery__Node *a = fc->args[i];
	if (a->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		a = a->type_cast->arg;
	if (a->node_case != PG_QUERY__NODE__NODE_A_CONST || a->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return NULL;
	return a->a_const->sval->sval;
}

/* Rows of table on shard, -1 when it cannot be asked (e set). */
long long rt_placement_rows(RtRouter *rt, int shard, const char *table, PgwError *e)
{
	const VscShard *sh = vsc_shard(rt->vschema, shard);
	PGconn *pg = rt_shard_connect(sh, rt->shard_user, rt->shard_database, "5", "dosql", false);
	long long n = -1;
	if (!pg) {
		pgw_error_set(e, "08006", "could not connect to shard \"%s\"", sh->name);
	} else {
		Buf q;
		buf_init(&q);
		buf_put_str(&q, "SELECT count(*) FROM ");
		pgs_put_ident(&q, table);
		PGresult *r = PQexec(pg, buf_cstr(&q));
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			n = atoll(PQgetvalue(r, 0, 0));
		else
			rt_pg_error(r, e);
		PQclear(r);
		buf_cleanup(&q);
	}
	PQfinish(pg);
	return n;
}

/* Write entry as tables[table] of the overlay file, atomically; with
 * entry NULL, take tables[table] out. */
static bool write_overlay(const char *path, const char *table, json_t *entry, PgwError *e)
{
	json_error_t jerr;
	json_t *root = access(path, F_OK) == 0 ? json_load_file(path, 0, &jerr) : json_object();
	if (!root || !json_is_object(root)) {
		pgw_error_set(e, "XX000", "%s: cannot read the VSchema changes", path);
		json_decref(root);
		json_decref(entry);
		return false;
	}
	json_t *tables = json_object_get(root, "tables");
	if (!json_is_object(tables)) {
		tables = json_object();
		json_object_set_new(root, "tables", tables);
	}
	if (entry)
		json_object_set_new(tables, table, entry);
	else
		json_object_del(tables, table);
	bool ok = rt_json_write_atomic(path, root);
	if (!ok)
		pgw_error_set(e, "58030", "could not write %s", path);
	json_decref(root);
	return ok;
}

bool rt_json_write_atomic(const char *path, json_t *root)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok = fd >= 0 && json_dumpfd(root, fd, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	return ok && rename(tmp, path) == 0;
}

/* The VSchema again with the overlay file's tables; false with e. */
static bool reload(RtRouter *rt, PgwError *e)
{
	char err[1024];
	VscSchema *next = vsc_load_overlay(rt->vschema_path, rt->overlay_path, err, sizeof(err));
	if (!next) {
		pgw_error_set(e, "XX000", "%s", err);
		return false;
	}
	return rt_vschema_switch(rt, next, e);
}

bool rt_vschema_switch(RtRouter *rt, VscSchema *next, PgwError *e)
{
	VscSchema **old = realloc(rt->old_vschemas, sizeof(*old) * (size_t)(rt->nold + 1));
	if (!old) {
		vsc_free(next);
		pgw_error_set(e, "53200", "out of memory");
		return false;
	}
	rt->old_vschemas = old;
	rt->old_vschemas[rt->nold++] = rt->vschema;
	rt->vschema = next;
	if (rt->coord)
		rt_coord_set_vschema(rt->coord, next);
	return true;
}

/* Whether the overlay file places table. */
static bool in_overlay(const char *path, const char *table)
{
	json_error_t jerr;
	json_t *root = access(path, F_OK) == 0 ? json_load_file(path, 0, &jerr) : NULL;
	bool found = root && json_object_get(json_object_get(root, "tables"), table);
	json_decref(root);
	return found;
}

/* A placement as an overlay entry (what the VSchema file would say). */
static json_t *entry_of(const VscSchema *vs, const VscTable *t)
{
	if (t->placement == VSC_REFERENCE)
		return json_pack("{s:s}", "type", "reference");
	if (t->placement == VSC_PINNED)
		return json_pack("{s:s}", "pinned", vsc_shard(vs, t->shard)->name);
	json_t *cvs = json_array();
	for (int i = 0; i < t->n_col_vindexes; i++)
		json_array_append_new(cvs, json_pack("{s:s,s:s}", "column", t->col_vindexes[i].column, "name",
						     t->col_vindexes[i].vindex->name));
	return json_pack("{s:o}", "column_vindexes", cvs);
}

void rt_placement_follow(RtRouter *rt, const PgQuery__Node *stmt)
{
	PgwError e;
	bool changed = false;
	if (!rt->overlay_path)
		return;
	if (stmt->node_case == PG_QUERY__NODE__NODE_DROP_STMT &&
	    stmt->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		for (size_t i = 0; i < stmt->drop_stmt->n_objects; i++) {
			const PgQuery__Node *o = stmt->drop_stmt->objects[i];
			if (o->node_case != PG_QUERY__NODE__NODE_LIST || !o->list->n_items)
				continue;
			const PgQuery__Node *last = o->list->items[o->list->n_items - 1];
			const char *name = last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : NULL;
			if (name && in_overlay(rt->overlay_path, name))
				changed = write_overlay(rt->overlay_path, name, NULL, &e) || changed;
		}
	} else if (stmt->node_case == PG_QUERY__NODE__NODE_RENAME_STMT &&
		   stmt->rename_stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && stmt->rename_stmt->relation) {
		const char *from = stmt->rename_stmt->relation->relname, *to = stmt->rename_stmt->newname;
		const VscTable *t = vsc_table(rt->vschema, from);
		if (t && to && write_overlay(rt->overlay_path, to, entry_of(rt->vschema, t), &e)) {
			changed = true;
			if (in_overlay(rt->overlay_path, from))
				write_overlay(rt->overlay_path, from, NULL, &e);
		}
	}
	if (changed && !reload(rt, &e))
		log_error(NULL, "the VSchema could not be loaded again after a DROP or RENAME: %s", e.message);
}

/* Run the call; replies (or sends the error) itself. */
void rt_placement_run(RtSession *s, PgQuery__FuncCall *fc)
{
	RtRouter *rt = s->rt;
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwError e;
	const char *fname = fc->funcname[fc->n_funcname - 1]->string->sval;
	bool shard = strcmp(fname, "dosql_shard_table") == 0;
	const char *table = rt_placement_arg(fc, 0), *column = shard ? rt_placement_arg(fc, 1) : NULL,
		   *vindex = shard ? rt_placement_arg(fc, 2) : NULL;
	size_t maxargs = shard ? 3 : 1, minargs = shard ? 2 : 1;
	if (fc->n_args < minargs || fc->n_args > maxargs || !table || (shard && !column) ||
	    (fc->n_args == 3 && !vindex)) {
		pgw_error_set(&e, "42883", "function %s expects %s", fname,
			      shard ? "(table text, column text [, vindex text])" : "(table text)");
		goto fail;
	}
	if (s->txn != RT_TXN_IDLE) {
		pgw_error_set(&e, "25001", "%s cannot run inside a transaction block", fname);
		goto fail;
	}
	if (!rt->overlay_path) {
		pgw_error_set(&e, "55000", "the router has no data directory to keep VSchema changes in");
		goto fail;
	}
	const VscTable *now = vsc_table(rt->vschema, table);
	if (now && (now->placement == VSC_SHARDED || now->placement == VSC_REFERENCE)) {
		pgw_error_set(&e, "42P16", "table \"%s\" is already %s", table,
			      now->placement == VSC_SHARDED ? "sharded" : "a reference table");
		goto fail;
	}
	if (!rt_placement_reachable(s, &e))
		goto fail; /* its columns could not be asked either */
	if (shard && rt_column_type(rt, table, column) == 0) {
		pgw_error_set(&e, "42703", "column \"%s\" of relation \"%s\" does not exist", column, table);
		goto fail;
	}
	const VscVindex *vx = NULL;
	if (shard && vindex) {
		vx = vsc_vindex(rt->vschema, vindex);
		if (!vx) {
			pgw_error_set(&e, "42704", "vindex \"%s\" does not exist", vindex);
			goto fail;
		}
	}
	/* the rows: an empty table only (moving rows is resharding's work) */
	for (int i = 0; i < vsc_shard_count(rt->vschema); i++) {
		long long n = rt_placement_counted(s, i, table, &e);
		if (n < 0)
			goto fail;
		if (n > 0) {
			pgw_error_set(&e, "0A000", "%s on a table that has rows is not supported until resharding exists",
				      fname);
			goto fail;
		}
	}
	json_t *entry;
	if (shard) {
		if (!vx)
			vx = vsc_default_vindex(rt->vschema); /* the first hash vindex declared */
		if (!vx) {
			/* the first hash vindex a table uses */
			for (int i = 0; i < vsc_table_count(rt->vschema) && !vx; i++) {
				const VscTable *t = vsc_table_at(rt->vschema, i);
				if (t->placement == VSC_SHARDED && t->col_vindexes[0].vindex->kind == VSC_VINDEX_HASH)
					vx = t->col_vindexes[0].vindex;
			}
			if (!vx) {
				pgw_error_set(&e, "42704", "name the vindex: the VSchema has no sharded table using a hash vindex");
				goto fail;
			}
		}
		entry = json_pack("{s:[{s:s,s:s}]}", "column_vindexes", "column", column, "name", vx->name);
	} else {
		entry = json_pack("{s:s}", "type", "reference");
	}
	if (!write_overlay(rt->overlay_path, table, entry, &e) || !reload(rt, &e))
		goto fail;
	PgwField f = {fname, 0, 0, 2278 /* void */, 4, -1, 0};
	if (!s->portal)
		pgw_send_row_description(c, 1, &f); /* an Execute's was described at Parse */
	pgw_row_begin(c, 1);
	size_t m = pgw_row_value_begin(c);
	pgw_row_value_end(c, m);
	pgw_row_end(c);
	pgw_send_command_complete(c, "SELECT 1");
	rt_placement_rows_free(s);
	return;
fail:
	rt_placement_rows_free(s);
	rt_send_error(s, &e);
}
