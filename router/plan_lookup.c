/*
 * plan_lookup.c - the lookup tables' rows an INSERT into a table with
 * lookup vindexes needs.
 *
 * A lookup or lookup_unique vindex on column c of table t names a lookup
 * table (VSchema params "table", "from", "to") holding, for each row of t,
 * its value of c and the keyspace id of the row (t's primary vindex).  For
 * each row of an INSERT ... VALUES with a non-NULL c, the planner writes
 * `INSERT INTO lookup (from, to) VALUES (value, ksid)` for the shard the
 * lookup table places the value on; the router runs those first, in the
 * statement's transaction (lookup.c), so the lookup is never ahead of or
 * behind the data.  The lookup table of a lookup_unique vindex has the
 * value as its primary key, on one shard for each value: a second row of
 * t with the same value fails there, whichever shard the row itself goes
 * to (23505).
 *
 * A TRUNCATE of such a table empties its lookup tables too, in the same
 * statement (rt_lookup_truncate).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/translate.h"
#include "router/plan_int.h"

typedef PgQuery__Node Node;

void rt_lookup_sql_free(char **sql, int n)
{
	for (int i = 0; sql && i < n; i++)
		free(sql[i]);
	free(sql);
}

static void refuse_lookup(RtRoute *r, const char *sqlstate, const char *msg, const char *column)
{
	r->kind = RT_ROUTE_REFUSE;
	memset(&r->err, 0, sizeof(r->err));
	memcpy(r->err.sqlstate, sqlstate, 5);
	snprintf(r->err.message, sizeof(r->err.message), "%s \"%s\"", msg, column);
}

/* The text of a value of an INSERT row (a constant or a text-format
 * parameter), NULL for SQL NULL; false when it is neither. */
bool rt_plan_value_text(const RtRoute *r, Node *n, char *buf, size_t sz, const char **out)
{
	Node *inner = n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST ? n->type_cast->arg : n;
	*out = NULL;
	if (inner->node_case == PG_QUERY__NODE__NODE_PARAM_REF) {
		int k = inner->param_ref->number - 1;
		if (!r->params || k < 0 || k >= r->params->n || (r->params->formats && r->params->formats[k] != 0))
			return false;
		*out = r->params->values[k];
		return true;
	}
	bool is_null;
	*out = rt_plan_constant(n, buf, sz, &is_null);
	return *out || is_null;
}

/* The shard holding the lookup row of value (node n) in lookup table lt;
 * -1 with r refused. */
static int lookup_shard(const RtPlanner *pl, const VscVindex *v, Node *n, RtRoute *r)
{
	const VscTable *lt = vsc_table(pl->vschema, v->lookup_table);
	if (!lt)
		lt = vsc_default_placement(pl->vschema);
	if (lt->placement == VSC_PINNED)
		return lt->shard;
	if (lt->placement != VSC_SHARDED) {
		refuse_lookup(r, "0A000", "a lookup table placed as a reference table is not supported:", v->lookup_table);
		return -1;
	}
	int shard;
	uint64_t ksid;
	if (!rt_plan_value_shard(pl, v->lookup_table, &lt->col_vindexes[0], n, r, &shard, &ksid)) {
		if (r->kind != RT_ROUTE_REFUSE)
			refuse_lookup(r, "0A000", "the router cannot place the lookup row of", v->lookup_table);
		return -1;
	}
	return shard < 0 ? 0 : shard;
}

void rt_lookup_add_row(Buf *stmts, const VscVindex *v, const char *value, uint64_t ksid)
{
	if (!stmts->len) {
		buf_put_str(stmts, "INSERT INTO ");
		pgs_put_ident(stmts, v->lookup_table);
		buf_put_str(stmts, " (");
		pgs_put_ident(stmts, v->lookup_from);
		buf_put_str(stmts, ", ");
		pgs_put_ident(stmts, v->lookup_to);
		buf_put_str(stmts, ") VALUES ");
	} else {
		buf_put_str(stmts, ", ");
	}
	buf_put_u8(stmts, '(');
	pgs_put_literal(stmts, value, strlen(value));
	buf_printf(stmts, ", %" PRId64 ")", (int64_t)ksid);
}

/* The rows of one lookup vindex on column cv->column, added to per_shard
 * (one statement per shard, ended by ';'). */
static void plan_vindex(const RtPlanner *pl, PgQuery__InsertStmt *ins, const VscColumnVindex *cv, const uint64_t *ksids,
			Buf *per_shard, RtRoute *r)
{
	int pos = -1;
	for (size_t i = 0; i < ins->n_cols; i++)
		if (strcmp(ins->cols[i]->res_target->name, cv->column) == 0)
			pos = (int)i;
	if (!ins->n_cols)
		pos = pl->catalog.column_position(pl->catalog.arg, ins->relation->relname, cv->column);
	if (pos < 0)
		return; /* not given: its default, NULL, needs no lookup row */
	int n = vsc_shard_count(pl->vschema);
	Buf stmts[RT_MAX_SHARDS];
	for (int k = 0; k < n; k++)
		buf_init(&stmts[k]);
	PgQuery__SelectStmt *src = ins->select_stmt->select_stmt;
	for (size_t i = 0; i < src->n_values_lists && r->kind != RT_ROUTE_REFUSE; i++) {
		PgQuery__List *row = src->values_lists[i]->list;
		char buf[256];
		const char *value;
		if ((size_t)pos >= row->n_items)
			continue;
		if (!rt_plan_value_text(r, row->items[pos], buf, sizeof(buf), &value)) {
			refuse_lookup(r, "0A000",
				      "the router needs a constant or a text parameter for the lookup vindex column", cv->column);
			break;
		}
		if (!value)
			continue; /* NULL: not looked up, never a duplicate */
		int shard = lookup_shard(pl, cv->vindex, row->items[pos], r);
		if (shard >= 0)
			rt_lookup_add_row(&stmts[shard], cv->vindex, value, ksids[i]);
	}
	for (int k = 0; k < n; k++) {
		if (stmts[k].len && r->kind != RT_ROUTE_REFUSE) {
			buf_put_str(&per_shard[k], buf_cstr(&stmts[k]));
			buf_put_u8(&per_shard[k], ';');
		}
		buf_cleanup(&stmts[k]);
	}
}

/* Whether an ON CONFLICT target names a lookup_unique column of vt. */
static bool target_has_unique_lookup(const PgQuery__OnConflictClause *oc, const VscTable *vt)
{
	const PgQuery__InferClause *inf = oc->infer;
	for (size_t i = 0; inf && i < inf->n_index_elems; i++) {
		const Node *e = inf->index_elems[i];
		const char *name = e->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM ? e->index_elem->name : NULL;
		for (int k = 1; name && k < vt->n_col_vindexes; k++)
			if (vt->col_vindexes[k].vindex->kind == VSC_VINDEX_LOOKUP_UNIQUE && strcmp(vt->col_vindexes[k].column, name) == 0)
				return true;
	}
	return false;
}

/* INSERT ... ON CONFLICT (target) DO NOTHING into a table with lookup
 * vindexes, on one shard: it runs with RETURNING *, and the lookup rows of
 * the rows it inserted are written after it, in its transaction
 * (r->lookup_after, lookup.c), so a row it skipped leaves none.  Without
 * a target (any conflict skips the row, a lookup_unique one too), with
 * DO UPDATE, RETURNING or rows for several shards: refused. */
static void on_conflict_plan(PgQuery__InsertStmt *ins, const VscTable *vt, RtRoute *r)
{
	PgQuery__OnConflictClause *oc = ins->on_conflict_clause;
	if (oc->action != PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_NOTHING || !oc->infer || target_has_unique_lookup(oc, vt) ||
	    ins->n_returning_list || r->nshards != 1 || r->sequenced || strlen(ins->relation->relname) >= sizeof(r->merge_table)) {
		refuse_lookup(r, "0A000",
			      "INSERT ... ON CONFLICT into a table with a lookup vindex is supported by the router only as ON "
			      "CONFLICT (target) DO NOTHING without RETURNING, into one shard:",
			      ins->relation->relname);
		return;
	}
	RtStarTarget st;
	rt_star_target_init(&st);
	ins->n_returning_list = 1;
	ins->returning_list = st.targets;
	Node node = PG_QUERY__NODE__INIT;
	node.node_case = PG_QUERY__NODE__NODE_INSERT_STMT;
	node.insert_stmt = ins;
	r->shard_sql = pgn_deparse(&node);
	ins->n_returning_list = 0;
	ins->returning_list = NULL;
	if (!r->shard_sql) {
		refuse_lookup(r, "XX000", "cannot deparse the INSERT into", ins->relation->relname);
		return;
	}
	r->lookup_after = true;
	snprintf(r->merge_table, sizeof(r->merge_table), "%s", ins->relation->relname);
}

void rt_lookup_plan(const RtPlanner *pl, PgQuery__InsertStmt *ins, const VscTable *vt, const uint64_t *ksids, RtRoute *r)
{
	bool any = false;
	for (int k = 1; k < vt->n_col_vindexes; k++)
		any = any || vsc_vindex_is_lookup(vt->col_vindexes[k].vindex);
	if (!any || !ins->select_stmt)
		return;
	if (ins->on_conflict_clause) {
		on_conflict_plan(ins, vt, r);
		return;
	}
	int n = vsc_shard_count(pl->vschema);
	Buf per_shard[RT_MAX_SHARDS];
	for (int k = 0; k < n; k++)
		buf_init(&per_shard[k]);
	for (int k = 1; k < vt->n_col_vindexes && r->kind != RT_ROUTE_REFUSE; k++) {
		const VscColumnVindex *cv = &vt->col_vindexes[k];
		if (!vsc_vindex_is_lookup(cv->vindex))
			continue;
		plan_vindex(pl, ins, cv, ksids, per_shard, r);
		if (cv->vindex->kind == VSC_VINDEX_LOOKUP_UNIQUE && !r->lookup_column[0]) {
			snprintf(r->lookup_table, sizeof(r->lookup_table), "%s", ins->relation->relname);
			snprintf(r->lookup_column, sizeof(r->lookup_column), "%s", cv->column);
		}
	}
	bool rows = false;
	for (int k = 0; k < n; k++)
		rows = rows || per_shard[k].len;
	if (rows && r->kind != RT_ROUTE_REFUSE && (r->lookup_sql = calloc((size_t)n, sizeof(char *)))) {
		r->nlookup_sql = n;
		for (int k = 0; k < n; k++)
			if (per_shard[k].len)
				r->lookup_sql[k] = strdup(buf_cstr(&per_shard[k]));
	}
	for (int k = 0; k < n; k++)
		buf_cleanup(&per_shard[k]);
}

/* The shards of one lookup column value (a constant or text parameter),
 * added to r: false when it cannot be read here. */
static bool value_lookup(const RtPlanner *pl, const VscVindex *v, Node *n, RtRoute *r)
{
	char buf[256];
	const char *value;
	if (!rt_plan_value_text(r, n, buf, sizeof(buf), &value))
		return false;
	if (!value)
		return true; /* = NULL: no row */
	int shards[RT_MAX_SHARDS];
	int k = pl->catalog.lookup_shards(pl->catalog.arg, v, value, shards, RT_MAX_SHARDS);
	if (k < 0)
		return false;
	for (int i = 0; i < k; i++) {
		bool seen = false;
		for (int j = 0; j < r->nshards; j++)
			seen = seen || r->shards[j] == shards[i];
		if (!seen)
			r->shards[r->nshards++] = shards[i];
	}
	return true;
}

/* col = value or col IN (values) on lookup column cv: its shards in r. */
static bool lookup_conjunct(const RtPlanner *pl, PgQuery__AExpr *a, const char *table, const char *alias,
			    const VscColumnVindex *cv, RtRoute *r)
{
	const char *op = a->n_name ? a->name[a->n_name - 1]->string->sval : "";
	if (strcmp(op, "=") != 0 || !a->lexpr || !a->rexpr)
		return false;
	r->nshards = 0;
	if (a->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP) {
		Node *value = rt_plan_is_vindex_column(a->lexpr, cv->column, table, alias)   ? a->rexpr
			      : rt_plan_is_vindex_column(a->rexpr, cv->column, table, alias) ? a->lexpr
											     : NULL;
		return value && value_lookup(pl, cv->vindex, value, r);
	}
	if (a->kind != PG_QUERY__A__EXPR__KIND__AEXPR_IN || !rt_plan_is_vindex_column(a->lexpr, cv->column, table, alias) ||
	    a->rexpr->node_case != PG_QUERY__NODE__NODE_LIST)
		return false;
	for (size_t i = 0; i < a->rexpr->list->n_items; i++)
		if (!value_lookup(pl, cv->vindex, a->rexpr->list->items[i], r))
			return false;
	return true;
}

bool rt_lookup_where(const RtPlanner *pl, PgQuery__Node *where, const char *table, const char *alias, const VscTable *vt,
		     RtRoute *r)
{
	if (!where || !pl->catalog.lookup_shards)
		return false;
	if (where->node_case == PG_QUERY__NODE__NODE_BOOL_EXPR &&
	    where->bool_expr->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR) {
		for (size_t i = 0; i < where->bool_expr->n_args; i++)
			if (rt_lookup_where(pl, where->bool_expr->args[i], table, alias, vt, r))
				return true;
		return false;
	}
	if (where->node_case != PG_QUERY__NODE__NODE_A_EXPR)
		return false;
	for (int k = 1; k < vt->n_col_vindexes; k++) {
		if (!vsc_vindex_is_lookup(vt->col_vindexes[k].vindex))
			continue;
		if (lookup_conjunct(pl, where->a_expr, table, alias, &vt->col_vindexes[k], r)) {
			r->by = &vt->col_vindexes[k];
			if (r->nshards == 0)
				r->shards[r->nshards++] = 0; /* no row has the value: one shard answers with none */
			return true;
		}
	}
	return false;
}

/* Whether the TRUNCATE's relations name table. */
static bool truncates(const PgQuery__TruncateStmt *ts, Node *const *extra, size_t nextra, const char *table)
{
	for (size_t i = 0; i < ts->n_relations; i++)
		if (ts->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR &&
		    strcmp(ts->relations[i]->range_var->relname, table) == 0)
			return true;
	for (size_t i = 0; i < nextra; i++)
		if (strcmp(extra[i]->range_var->relname, table) == 0)
			return true;
	return false;
}

/* A table other than those truncated whose lookup vindex is v, or NULL. */
static const char *other_user(const RtPlanner *pl, const PgQuery__TruncateStmt *ts, const VscVindex *v)
{
	for (int i = 0; i < vsc_table_count(pl->vschema); i++) {
		const VscTable *t = vsc_table_at(pl->vschema, i);
		for (int k = 1; t->placement == VSC_SHARDED && k < t->n_col_vindexes; k++)
			if (t->col_vindexes[k].vindex == v && !truncates(ts, NULL, 0, t->name))
				return t->name;
	}
	return NULL;
}

void rt_lookup_truncate(const RtPlanner *pl, PgQuery__Node *stmt, RtRoute *r)
{
	PgQuery__TruncateStmt *ts = stmt->truncate_stmt;
	Node *extra[RT_MAX_TABLES];
	PgQuery__RangeVar rvs[RT_MAX_TABLES];
	Node nodes[RT_MAX_TABLES];
	size_t nextra = 0;
	for (size_t i = 0; i < ts->n_relations && r->kind != RT_ROUTE_REFUSE; i++) {
		if (ts->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		const VscTable *vt = vsc_table(pl->vschema, ts->relations[i]->range_var->relname);
		for (int k = 1; vt && vt->placement == VSC_SHARDED && k < vt->n_col_vindexes; k++) {
			const VscVindex *v = vt->col_vindexes[k].vindex;
			if (!vsc_vindex_is_lookup(v) || truncates(ts, extra, nextra, v->lookup_table))
				continue;
			const char *other = other_user(pl, ts, v);
			if (other || nextra == RT_MAX_TABLES) {
				refuse_lookup(r, "0A000",
					      "TRUNCATE of a table whose lookup vindex another table uses too is not supported by "
					      "the router: truncate both, or delete the rows of",
					      vt->name);
				break;
			}
			rvs[nextra] = (PgQuery__RangeVar)PG_QUERY__RANGE_VAR__INIT;
			rvs[nextra].relname = (char *)v->lookup_table;
			rvs[nextra].inh = true;
			rvs[nextra].relpersistence = "p";
			rvs[nextra].location = -1;
			nodes[nextra] = (Node)PG_QUERY__NODE__INIT;
			nodes[nextra].node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
			nodes[nextra].range_var = &rvs[nextra];
			extra[nextra] = &nodes[nextra];
			nextra++;
		}
	}
	if (!nextra || r->kind == RT_ROUTE_REFUSE)
		return;
	/* the statement with the lookup tables after the client's tables */
	Node **all = malloc(sizeof(*all) * (ts->n_relations + nextra));
	if (!all)
		return;
	memcpy(all, ts->relations, sizeof(*all) * ts->n_relations);
	memcpy(all + ts->n_relations, extra, sizeof(*all) * nextra);
	Node **own = ts->relations;
	size_t nown = ts->n_relations;
	ts->relations = all;
	ts->n_relations += nextra;
	r->shard_sql = pgn_deparse(stmt);
	ts->relations = own;
	ts->n_relations = nown;
	free(all);
}
