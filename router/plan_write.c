/*
 * plan_write.c - the plans of writes that take several steps in the
 * router: an UPDATE of the vindex column (rows move, move.c), and writes
 * of tables with lookup vindexes whose lookup rows follow them (lookup.c):
 * a DELETE run with RETURNING *, an UPDATE of a lookup column and a
 * DELETE ... RETURNING, whose rows are read first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pgnode.h"
#include "router/plan_int.h"

/* stmt (an UPDATE or DELETE whose returning list is *n, *list) deparsed
 * with RETURNING * and then the items of its own RETURNING; NULL when it
 * cannot be. */
static char *deparse_returning_star(PgQuery__Node *stmt, size_t *n, PgQuery__Node ***list)
{
	RtStarTarget st;
	rt_star_target_init(&st);
	size_t own = *n;
	PgQuery__Node **items = *list;
	PgQuery__Node **all = calloc(own + 1, sizeof(*all));
	if (!all)
		return NULL;
	all[0] = st.targets[0];
	for (size_t i = 0; i < own; i++)
		all[i + 1] = items[i];
	*n = own + 1;
	*list = all;
	char *sql = pgn_deparse(stmt);
	*n = own;
	*list = items;
	free(all);
	return sql;
}

/* An UPDATE of the vindex column: each shard runs it with RETURNING *, and
 * the router moves the rows whose new value belongs elsewhere (move.c). */
void rt_move_plan(PgQuery__Node *stmt, const char *table, const VscColumnVindex *cv, RtRoute *r)
{
	PgQuery__UpdateStmt *u = stmt->update_stmt;
	if (u->n_returning_list || u->n_from_clause || u->with_clause) {
		rt_route_refuse(r, "an UPDATE of the vindex column \"%s\" with %s is not supported by the router", cv->column,
		       u->n_returning_list ? "RETURNING" : u->n_from_clause ? "FROM" : "WITH");
		return;
	}
	if (strlen(table) >= sizeof(r->merge_table)) {
		rt_route_refuse(r, "%s", "the table name is too long");
		return;
	}
	r->shard_sql = deparse_returning_star(stmt, &u->n_returning_list, &u->returning_list);
	if (!r->shard_sql) {
		rt_route_refuse(r, "%s", "cannot deparse the UPDATE");
		return;
	}
	snprintf(r->merge_table, sizeof(r->merge_table), "%s", table);
	r->move = cv;
}

static bool read_first_plan(PgQuery__Node *stmt, PgQuery__RangeVar *rel, PgQuery__Node *where, size_t *n,
			    PgQuery__Node ***list, bool star, const char *what, const char *table, RtRoute *r);

/* A DELETE from a table with lookup vindexes: each shard runs it with
 * RETURNING *, and the router then deletes the lookup rows of the rows
 * deleted (lookup.c).  False with r refused. */
bool rt_delete_lookup_plan(PgQuery__Node *stmt, const char *table, RtRoute *r)
{
	PgQuery__DeleteStmt *d = stmt->delete_stmt;
	if (d->n_using_clause || d->with_clause) {
		rt_route_refuse(r, "a DELETE with %s from a table with a lookup vindex is not supported by the router yet",
		       d->n_using_clause ? "USING" : "WITH");
		return false;
	}
	if (d->n_returning_list) /* its rows are the client's: the rows it deletes are read first */
		return read_first_plan(stmt, d->relation, d->where_clause, NULL, NULL, false, "a DELETE ... RETURNING", table, r);
	if (strlen(table) >= sizeof(r->merge_table)) {
		rt_route_refuse(r, "%s", "the table name is too long");
		return false;
	}
	r->shard_sql = deparse_returning_star(stmt, &d->n_returning_list, &d->returning_list);
	if (!r->shard_sql) {
		rt_route_refuse(r, "%s", "cannot deparse the DELETE");
		return false;
	}
	snprintf(r->merge_table, sizeof(r->merge_table), "%s", table);
	r->lookup_delete = true;
	return true;
}

/* What read_first_plan deparses with the parameters written in. */
typedef struct Deparse {
	PgQuery__Node *stmt, *select;
	size_t *n;
	PgQuery__Node ***list;
	bool star;
	RtRoute *r;
} Deparse;

static void deparse_both(void *arg)
{
	Deparse *d = arg;
	d->r->lookup_before = pgn_deparse(d->select);
	d->r->shard_sql = d->star ? deparse_returning_star(d->stmt, d->n, d->list) : pgn_deparse(d->stmt);
}

/* A write whose lookup rows change, rows read first: r->lookup_before is
 * SELECT * FROM rel WHERE where, and shard_sql the write (with RETURNING *
 * in *n, *list when star, its rows the router's; else as the client wrote
 * it, its rows relayed: r->lookup_relay), both with the bound parameters
 * written in.  False with r refused (binary parameters: what). */
static bool read_first_plan(PgQuery__Node *stmt, PgQuery__RangeVar *rel, PgQuery__Node *where, size_t *n,
			    PgQuery__Node ***list, bool star, const char *what, const char *table, RtRoute *r)
{
	if (strlen(table) >= sizeof(r->merge_table)) {
		rt_route_refuse(r, "%s", "the table name is too long");
		return false;
	}
	RtStarTarget st;
	rt_star_target_init(&st);
	PgQuery__Node from = PG_QUERY__NODE__INIT;
	from.node_case = PG_QUERY__NODE__NODE_RANGE_VAR;
	from.range_var = rel;
	PgQuery__Node *froms[1] = {&from};
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	sel.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	sel.n_target_list = 1;
	sel.target_list = st.targets;
	sel.n_from_clause = 1;
	sel.from_clause = froms;
	sel.where_clause = where;
	PgQuery__Node node = PG_QUERY__NODE__INIT;
	node.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	node.select_stmt = &sel;
	/* both with the bound parameters written in: they run in turn */
	Deparse d = {.stmt = stmt, .select = &node, .n = n, .list = list, .star = star, .r = r};
	bool ok = rt_plan_params_inlined(stmt, r->params, deparse_both, &d);
	if (!ok) {
		rt_route_refuse(r, "%s with binary parameters is not supported by the router", what);
		return false;
	}
	if (!r->lookup_before || !r->shard_sql) {
		rt_route_refuse(r, "cannot deparse %s", what);
		return false;
	}
	r->lookup_relay = !star;
	snprintf(r->merge_table, sizeof(r->merge_table), "%s", table);
	return true;
}

/* An UPDATE setting the lookup vindex column: the rows it changes are
 * read first, then each shard runs it with RETURNING *, and the router
 * replaces the lookup rows whose values changed (lookup.c).  False with r
 * refused. */
bool rt_update_lookup_plan(PgQuery__Node *stmt, const char *table, const char *column, RtRoute *r)
{
	PgQuery__UpdateStmt *u = stmt->update_stmt;
	if (u->n_from_clause || u->with_clause) {
		rt_route_refuse(r, "an UPDATE of the lookup vindex column \"%s\" with %s is not supported by the router yet", column,
		       u->n_from_clause ? "FROM" : "WITH");
		return false;
	}
	char what[128];
	snprintf(what, sizeof(what), "an UPDATE of the lookup vindex column \"%.60s\"", column);
	r->lookup_tail = u->n_returning_list > 0; /* RETURNING *, then the client's: its rows are relayed */
	return read_first_plan(stmt, u->relation, u->where_clause, &u->n_returning_list, &u->returning_list, true, what,
			       table, r);
}

