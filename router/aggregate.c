/*
 * aggregate.c - aggregates and GROUP BY over several shards, in two steps.
 *
 * Each shard groups its own rows and sends one row per group: the grouping
 * columns and a partial result for every aggregate.  The router loads those
 * rows into its merge table and runs the client's statement over them with
 * each aggregate replaced by the one that combines the partials:
 *
 *   count(x)          count(x)                     sum(p)::int8
 *   sum(x)            sum(x)                       sum(p), ::int8 for int2/int4 x
 *   min, max, bool_and, bool_or, every             the same aggregate again
 *   avg(x) ints/num   sum(x), count(x)             sum(s)::numeric / nullif(sum(c), 0)
 *   avg(x) floats     sum(x::float8), count(x)     sum(s) / nullif(sum(c), 0)::float8
 *
 * which are PostgreSQL's own results and types (avg of integers is numeric
 * division of the sum by the count, as int8_avg does).  Target entries the
 * rewrite would rename keep their names through an alias.  When every
 * aggregate is count/sum/avg/min/max(DISTINCT col) over one column, the
 * shards group by that column too and the aggregates run as written over
 * their distinct values.
 *
 * Statements of other shapes (DISTINCT aggregates over several columns or
 * mixed with others, FILTER, window functions, subqueries, grouping on
 * expressions, sum and avg of anything but an expression of a numeric
 * type, ...) are left to the one-step plan, where the shards send every
 * row.
 */
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/pgnode.h"
#include "router/plan_int.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate.h"

typedef PgQuery__Node Node;

#define MAX_GROUP 32
#define MAX_CALLS 64
#define MAX_PARTS 64
#define PART_PREFIX "_dosql_p"

typedef struct Call {
	Node *node;  /* the aggregate in the client's tree */
	Node saved;  /* what was there */
	Node *final; /* what replaces it */
} Call;

typedef struct AggPlan {
	const RtPlanner *pl;
	const char *table;
	PgQuery__SelectStmt *s;
	Arena arena;
	bool ok;
	int ngroup;
	const char *group[MAX_GROUP];
	int ncalls;
	Call calls[MAX_CALLS];
	int nparts;
	Node *parts[MAX_PARTS]; /* the shards' target entries for the partials */
	const char *distinct;   /* the column of the DISTINCT aggregates, if any */
	bool in_sort;           /* scanning ORDER BY, where output names count */
	bool join;              /* FROM is a colocated join: columns unqualified, the
				 * final step reads the partials as table `table` */
} AggPlan;

static const char *const same_aggs[] = {"min", "max", "bool_and", "bool_or", "every"};

/* The shards' entry "<expr> AS _dosql_pN"; the final step's reference to
 * it, or NULL when there are too many. */
static Node *add_part(AggPlan *p, Node *expr)
{
	if (p->nparts == MAX_PARTS)
		return NULL;
	const char *name = arena_printf(&p->arena, PART_PREFIX "%d", p->nparts + 1);
	p->parts[p->nparts++] = pgn_res_target(&p->arena, name, expr);
	return pgn_column(&p->arena, name);
}

static bool is_group_column(const AggPlan *p, const char *name)
{
	for (int i = 0; i < p->ngroup; i++)
		if (strcmp(p->group[i], name) == 0)
			return true;
	return false;
}

/* The column a plain reference names, or NULL. */
static const char *column_name(const Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return NULL;
	const PgQuery__ColumnRef *c = n->column_ref;
	if (c->n_fields < 1 || c->n_fields > 2 || c->fields[c->n_fields - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return c->fields[c->n_fields - 1]->string->sval;
}

static const char *func_name(const PgQuery__FuncCall *f)
{
	if (f->n_funcname == 2 && f->funcname[0]->node_case == PG_QUERY__NODE__NODE_STRING &&
	    strcmp(f->funcname[0]->string->sval, "pg_catalog") != 0)
		return NULL;
	if (f->n_funcname < 1 || f->n_funcname > 2 || f->funcname[f->n_funcname - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return f->funcname[f->n_funcname - 1]->string->sval;
}

static bool is_aggregate_name(const char *name)
{
	static const char *const names[] = {"count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	/* the engine's other aggregates: not combined here (one-step plan) */
	return pgs_is_aggregate(name);
}

/* An argument of an aggregate must not hold another aggregate or a window. */
static bool plain_arg(const ProtobufCMessage *m, void *arg)
{
	bool *ok = arg;
	if (m->descriptor == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;
		const char *name = func_name(f);
		if (f->over || f->agg_star || !name || is_aggregate_name(name))
			*ok = false;
	}
	if (m->descriptor == &pg_query__grouping_func__descriptor)
		*ok = false;
	return *ok;
}

/* An aggregate call without ORDER BY, FILTER, OVER, WITHIN GROUP or
 * VARIADIC: its name, or NULL. */
static const char *plain_call(const PgQuery__FuncCall *f)
{
	if (f->n_agg_order || f->agg_filter || f->over || f->agg_within_group || f->func_variadic)
		return NULL;
	return func_name(f);
}

/* count/sum/avg/min/max(DISTINCT col): the shards group by col too, and
 * the router runs the aggregate as written over their distinct values.
 * Only when every aggregate is such a one over the same column. */
static Node *distinct_call(AggPlan *p, Node *n)
{
	PgQuery__FuncCall *f = n->func_call;
	const char *name = plain_call(f);
	const char *col = f->n_args == 1 ? column_name(f->args[0]) : NULL;
	if (col && p->join && f->args[0]->column_ref->n_fields != 1)
		col = NULL; /* the shards group by it as named: unqualified only */
	if (!name || !col || p->nparts || (p->distinct && strcmp(p->distinct, col) != 0) ||
	    (strcmp(name, "count") != 0 && strcmp(name, "sum") != 0 && strcmp(name, "avg") != 0 &&
	     strcmp(name, "min") != 0 && strcmp(name, "max") != 0))
		return NULL;
	p->distinct = col;
	return n;
}

/* The typmod of col in the first table of a FROM list that has it. */
static void join_column_typmod(const AggPlan *p, Node **from, size_t n, const char *col, int32_t *typmod)
{
	for (size_t i = 0; i < n && *typmod < 0; i++) {
		if (from[i]->node_case == PG_QUERY__NODE__NODE_JOIN_EXPR) {
			Node *sides[2] = {from[i]->join_expr->larg, from[i]->join_expr->rarg};
			join_column_typmod(p, sides, 2, col, typmod);
		} else if (from[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR) {
			int32_t mod = -1;
			if (rt_plan_column_type(p->pl, from[i]->range_var->relname, col, &mod))
				*typmod = mod;
		}
	}
}

/* The final step's expression for the aggregate f (not DISTINCT), and the
 * shards' partials for it; NULL when it cannot be computed in two steps. */
static Node *combine(AggPlan *p, PgQuery__FuncCall *f)
{
	if (p->distinct)
		return NULL; /* the shards send distinct values, not partials */
	const char *name = plain_call(f);
	if (!name || (f->agg_star ? f->n_args != 0 || strcmp(name, "count") != 0 : f->n_args != 1))
		return NULL;
	Node *arg = f->agg_star ? NULL : f->args[0];
	if (arg) {
		bool ok = true;
		pgn_walk(&arg->base, plain_arg, &ok);
		if (!ok)
			return NULL;
	}
	if (strcmp(name, "count") == 0) {
		Node *c = add_part(p, pgn_call(&p->arena, "count", arg));
		return c ? pgn_cast(&p->arena, pgn_call(&p->arena, "sum", c), "int8", -1) : NULL;
	}
	for (size_t i = 0; i < sizeof(same_aggs) / sizeof(same_aggs[0]); i++)
		if (strcmp(name, same_aggs[i]) == 0) {
			Node *c = add_part(p, pgn_call(&p->arena, name, arg));
			return c ? pgn_call(&p->arena, name, c) : NULL;
		}
	/* sum and avg: their arithmetic depends on the argument's type */
	const char *col = column_name(arg);
	int32_t typmod = -1;
	uint32_t type = col && !p->join ? rt_plan_column_type(p->pl, p->table, col, &typmod)
					: rt_plan_described_type(p->pl, p->s, p->table, arg);
	if (col && p->join && type == PGT_NUMERIC)
		join_column_typmod(p, p->s->from_clause, p->s->n_from_clause, col, &typmod);
	bool ints = type == PGT_INT2 || type == PGT_INT4 || type == PGT_INT8;
	bool floats = type == PGT_FLOAT4 || type == PGT_FLOAT8;
	if (!ints && !floats && type != PGT_NUMERIC)
		return NULL;
	/* a numeric(p, s) column's partial sums keep their scale in the router */
	int scale = type == PGT_NUMERIC && typmod >= 4 ? (typmod - 4) & 0xFFFF : -1;
	Node *partial_sum = pgn_call(&p->arena, "sum", floats && strcmp(name, "avg") == 0 ? pgn_cast(&p->arena, arg, "float8", -1) : arg);
	if (scale > 0)
		partial_sum = pgn_cast(&p->arena, partial_sum, "numeric", scale);
	if (strcmp(name, "sum") == 0) {
		Node *c = add_part(p, partial_sum);
		if (!c)
			return NULL;
		Node *total = pgn_call(&p->arena, "sum", c);
		return type == PGT_INT2 || type == PGT_INT4 ? pgn_cast(&p->arena, total, "int8", -1) : total;
	}
	if (strcmp(name, "avg") != 0)
		return NULL;
	Node *s = add_part(p, partial_sum);
	Node *c = add_part(p, pgn_call(&p->arena, "count", arg));
	if (!s || !c)
		return NULL;
	const char *type_name = floats ? "float8" : "numeric";
	Node *num = pgn_cast(&p->arena, pgn_call(&p->arena, "sum", s), type_name, -1);
	Node *count = pgn_call(&p->arena, "sum", c);
	Node *den = pgn_cast(&p->arena,
			     pgn_binary(&p->arena, PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF, "=", count, pgn_integer(&p->arena, 0)),
			     type_name, -1);
	return pgn_binary(&p->arena, PG_QUERY__A__EXPR__KIND__AEXPR_OP, "/", num, den);
}

/*
 * Outside aggregates, the statement may only use the grouping columns (and,
 * in ORDER BY, output names): other columns are PostgreSQL's 42803, which
 * the one-step plan reports.  Each aggregate is noted with its final
 * expression.  Anything else leaves p->ok false.
 */
static bool scan(const ProtobufCMessage *m, void *arg)
{
	AggPlan *p = arg;
	if (!p->ok)
		return false;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__node__descriptor && ((const Node *)m)->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
		Node *n = (Node *)m;
		PgQuery__FuncCall *f = n->func_call;
		const char *name = func_name(f);
		if (f->over || f->agg_star || !name || is_aggregate_name(name)) {
			if (p->ncalls == MAX_CALLS) {
				p->ok = false;
				return false;
			}
			Call *c = &p->calls[p->ncalls];
			c->node = n;
			c->final = NULL;
			for (int i = 0; i < p->ncalls && !c->final; i++)
				if (pgn_equal(&p->calls[i].saved.func_call->base, &f->base))
					c->final = p->calls[i].final; /* the same aggregate again */
			if (!c->final)
				c->final = f->agg_distinct ? distinct_call(p, n) : combine(p, f);
			if (!c->final) {
				p->ok = false;
				return false;
			}
			c->saved = *n;
			p->ncalls++;
			return false;
		}
		return true;
	}
	if (d == &pg_query__column_ref__descriptor) {
		const PgQuery__ColumnRef *c = (const PgQuery__ColumnRef *)m;
		const Node *last = c->n_fields ? c->fields[c->n_fields - 1] : NULL;
		if (!last || last->node_case != PG_QUERY__NODE__NODE_STRING || c->n_fields > 2) {
			p->ok = false;
			return false;
		}
		const char *name = last->string->sval;
		if (is_group_column(p, name) && (!p->join || c->n_fields == 1))
			return false;
		for (size_t i = 0; p->in_sort && c->n_fields == 1 && i < p->s->n_target_list; i++) {
			const char *alias = p->s->target_list[i]->res_target->name;
			if (alias && strcmp(alias, name) == 0)
				return false;
		}
		p->ok = false;
		return false;
	}
	if (d == &pg_query__grouping_func__descriptor || d == &pg_query__sub_link__descriptor)
		p->ok = false;
	return p->ok;
}

/* The name PostgreSQL gives a target entry that is an aggregate, possibly
 * under casts; NULL for other entries (their names survive the rewrite). */
static const char *aggregate_target_name(const AggPlan *p, const Node *n)
{
	while (n && (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST || n->node_case == PG_QUERY__NODE__NODE_COLLATE_CLAUSE))
		n = n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST ? n->type_cast->arg : n->collate_clause->arg;
	for (int i = 0; n && i < p->ncalls; i++)
		if (p->calls[i].node == n)
			return func_name(n->func_call);
	return NULL;
}

static char *shard_statement(AggPlan *p)
{
	PgQuery__SelectStmt *s = p->s;
	bool extra = p->distinct && !is_group_column(p, p->distinct); /* grouped by it too */
	size_t n = (size_t)p->ngroup + (size_t)p->nparts + extra;
	Node **targets = arena_alloc(&p->arena, (n ? n : 1) * sizeof(*targets));
	for (int i = 0; i < p->ngroup; i++)
		targets[i] = pgn_res_target(&p->arena, NULL, pgn_column(&p->arena, p->group[i]));
	memcpy(targets + p->ngroup, p->parts, (size_t)p->nparts * sizeof(*targets));
	Node **group = s->group_clause;
	if (extra) {
		Node *col = pgn_column(&p->arena, p->distinct);
		targets[n - 1] = pgn_res_target(&p->arena, NULL, col);
		group = arena_alloc(&p->arena, (s->n_group_clause + 1) * sizeof(*group));
		if (s->n_group_clause)
			memcpy(group, s->group_clause, s->n_group_clause * sizeof(*group));
		group[s->n_group_clause] = col;
	}
	PgQuery__SelectStmt q = PG_QUERY__SELECT_STMT__INIT;
	q.n_target_list = n;
	q.target_list = targets;
	q.n_from_clause = s->n_from_clause;
	q.from_clause = s->from_clause;
	q.where_clause = s->where_clause;
	q.n_group_clause = s->n_group_clause + extra;
	q.group_clause = group;
	q.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	q.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = &q;
	return pgn_deparse(&qn);
}

/* The client's statement with the aggregates replaced, without WHERE (the
 * shards applied it); the tree is restored before this returns. */
static char *final_statement(AggPlan *p)
{
	PgQuery__SelectStmt *s = p->s;
	char **names = arena_alloc(&p->arena, (s->n_target_list ? s->n_target_list : 1) * sizeof(*names));
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__ResTarget *t = s->target_list[i]->res_target;
		names[i] = t->name;
		if (!t->name || !t->name[0]) {
			const char *name = aggregate_target_name(p, t->val);
			if (name)
				t->name = arena_strdup(&p->arena, name);
		}
	}
	for (int i = 0; i < p->ncalls; i++)
		*p->calls[i].node = *p->calls[i].final;
	Node *where = s->where_clause, **from = s->from_clause;
	size_t nfrom = s->n_from_clause;
	RtTableFrom tf;
	s->where_clause = NULL;
	if (p->join) {
		rt_table_from_init(&tf, p->table);
		s->from_clause = tf.from;
		s->n_from_clause = 1;
	}
	Node qn = PG_QUERY__NODE__INIT;
	qn.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	qn.select_stmt = s;
	char *sql = pgn_deparse(&qn);
	s->where_clause = where;
	s->from_clause = from;
	s->n_from_clause = nfrom;
	for (int i = p->ncalls - 1; i >= 0; i--)
		*p->calls[i].node = p->calls[i].saved;
	for (size_t i = 0; i < s->n_target_list; i++)
		s->target_list[i]->res_target->name = names[i];
	return sql;
}

static bool aggregate_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, bool join, RtRoute *r)
{
	if (s->n_window_clause || s->n_locking_clause || s->into_clause || s->with_clause ||
	    (!join && s->n_from_clause != 1) || s->op > PG_QUERY__SET_OPERATION__SETOP_NONE)
		return false;
	AggPlan p = {.pl = pl, .table = table, .s = s, .ok = true, .join = join};
	for (size_t i = 0; i < s->n_group_clause; i++) {
		const char *name = column_name(s->group_clause[i]);
		if (!name || p.ngroup == MAX_GROUP || (join && s->group_clause[i]->column_ref->n_fields != 1))
			return false;
		if (!is_group_column(&p, name))
			p.group[p.ngroup++] = name;
	}
	arena_init(&p.arena);
	for (size_t i = 0; i < s->n_target_list && p.ok; i++)
		pgn_walk(&s->target_list[i]->base, scan, &p);
	pgn_walk(s->having_clause ? &s->having_clause->base : NULL, scan, &p);
	p.in_sort = true;
	for (size_t i = 0; i < s->n_sort_clause && p.ok; i++)
		pgn_walk(&s->sort_clause[i]->base, scan, &p);
	bool planned = false;
	if (p.ok && (p.ncalls || p.ngroup)) {
		r->shard_sql = shard_statement(&p);
		r->final_sql = r->shard_sql ? final_statement(&p) : NULL;
		planned = r->final_sql != NULL;
		r->partial = planned;
		if (!planned) {
			free(r->shard_sql);
			r->shard_sql = NULL;
		}
	}
	arena_reset(&p.arena);
	return planned;
}

bool rt_aggregate_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, RtRoute *r)
{
	return aggregate_plan(pl, s, table, false, r);
}

bool rt_aggregate_join_plan(const RtPlanner *pl, PgQuery__SelectStmt *s, const char *table, RtRoute *r)
{
	return aggregate_plan(pl, s, table, true, r);
}
