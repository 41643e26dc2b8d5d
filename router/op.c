/*
 * op.c - operator trees: building, freeing, the invariants every tree
 * keeps (asserted), and EXPLAIN's text of a tree.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

static const char *const opcode_names[] = {
	[RT_RO_NONE] = "None",
	[RT_RO_ANY] = "Any",
	[RT_RO_PINNED] = "Pinned",
	[RT_RO_EQUAL] = "Equal",
	[RT_RO_IN] = "IN",
	[RT_RO_SCATTER] = "Scatter",
	[RT_RO_REFERENCE] = "Reference",
	[RT_RO_REPLICATED] = "Replicated",
	[RT_RO_RANGE] = "Range",
	[RT_RO_LOOKUP] = "Lookup",
	[RT_RO_PREFIX] = "Prefix",
};

const char *rt_route_opcode_str(RtRouteOpcode o)
{
	return o < sizeof(opcode_names) / sizeof(opcode_names[0]) ? opcode_names[o] : "?";
}

/* Operators freed, kept for the next plans (a statement's plan is built
 * and freed on the loop thread, most often one operator): no malloc per
 * statement. */
#define OP_CACHE_MAX 16
static RtOp *op_cache[OP_CACHE_MAX];
static int op_cached;

RtOp *rt_op_new(RtOpKind kind)
{
	RtOp *op = op_cached > 0 ? op_cache[--op_cached] : malloc(sizeof(*op));
	if (!op)
		return NULL;
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->pushed_limit = -1;
	op->limit = -1;
	op->show = -1;
	return op;
}

/* Free op's shards unless they are its inline ones. */
static void shards_free(RtOp *op)
{
	if (op->shards != op->inline_shards)
		free(op->shards);
	op->shards = NULL;
}

bool rt_op_set_shards(RtOp *op, const int *shards, int n)
{
	int *copy = (size_t)n <= sizeof(op->inline_shards) / sizeof(op->inline_shards[0])
			    ? op->inline_shards
			    : malloc(sizeof(int) * ((size_t)n + 1));
	if (!copy)
		return false;
	memmove(copy, shards, sizeof(int) * (size_t)n);
	if (copy != op->inline_shards)
		shards_free(op);
	op->shards = copy;
	op->nshards = n;
	return true;
}

void rt_op_set_input(RtOp *op, RtOp *child)
{
	assert(!op->input && !child->parent);
	op->input = child;
	child->parent = op;
}

void rt_op_free(RtOp *op)
{
	if (!op)
		return;
	rt_op_free(op->input);
	rt_op_free(op->inner);
	rt_op_free(op->next);
	rt_op_free(op->alt);
	for (int i = 0; op->split_sql && i < op->nshards; i++)
		free(op->split_sql[i]);
	free(op->split_sql);
	for (int i = 0; op->split_params && i < op->nshards; i++)
		free((void *)op->split_params[i].values); /* heads the block */
	free(op->split_params);
	free(op->returning_shards);
	for (int i = 0; op->lookup_sql && i < op->nlookup_sql; i++)
		free(op->lookup_sql[i]);
	free(op->lookup_sql);
	free(op->lookup_before);
	free(op->err);
	free(op->kmerge);
	shards_free(op);
	free(op->sql);
	free(op->suffix);
	free(op->keys_sql);
	if (op_cached < OP_CACHE_MAX)
		op_cache[op_cached++] = op;
	else
		free(op);
}

void rt_op_cache_free(void)
{
	while (op_cached > 0)
		free(op_cache[--op_cached]);
}

const RtOp *rt_op_leaf(const RtOp *op)
{
	while (op->input)
		op = op->input;
	return op;
}

const RtOp *rt_op_find(const RtOp *op, RtOpKind kind)
{
	for (; op; op = op->input)
		if (op->kind == kind)
			return op;
	return NULL;
}

/* Whether kind is a leaf: it sends statements to shards itself. */
static bool is_leaf_kind(RtOpKind k)
{
	return k == RT_OP_ROUTE || k == RT_OP_INSERT_SPLIT || k == RT_OP_DDL || k == RT_OP_TRUNCATE ||
	       k == RT_OP_MOVE || k == RT_OP_COPY_IN;
}

/* Whether kind is answered by the router alone. */
static bool is_local_kind(RtOpKind k)
{
	return k == RT_OP_REFUSE || k == RT_OP_LOCAL || k == RT_OP_SHOW || k == RT_OP_SET;
}

void rt_op_check(const RtOp *op)
{
#ifdef NDEBUG
	(void)op;
	(void)is_leaf_kind;
	(void)is_local_kind;
#else
	assert(op && op->kind < RT_OP_NKINDS);
	assert(!op->inner); /* no operator of today has a second input */
	assert(!op->input || op->input->parent == op);
	assert(!op->next || op->kind == RT_OP_INTERMEDIATE);
	if (is_leaf_kind(op->kind)) {
		assert(!op->input && op->nshards > 0 && op->shards);
		assert(op->opcode != RT_RO_NONE);
		for (int i = 0; i < op->nshards; i++) {
			assert(op->shards[i] >= 0);
			for (int k = 0; k < i; k++)
				assert(op->shards[k] != op->shards[i]); /* each shard once */
		}
		assert((op->kind == RT_OP_INSERT_SPLIT) == (op->split_sql != NULL));
		assert(op->kind != RT_OP_MOVE || (op->move && op->sql));
		assert(op->opcode != RT_RO_EQUAL || op->nshards == 1);
	} else if (is_local_kind(op->kind)) {
		assert(!op->input && !op->nshards);
		assert(op->kind != RT_OP_REFUSE || (op->err && op->err->sqlstate[0]));
		assert(op->kind != RT_OP_SHOW || op->show >= 0);
		assert(op->kind != RT_OP_LOCAL || op->what);
	} else if (op->kind == RT_OP_SUBQUERY_VALUES || op->kind == RT_OP_INSERT_SELECT) {
		assert(op->input && op->input->kind == RT_OP_FINAL && op->nshards > 0 && op->sql);
		assert(op->write || op->kind == RT_OP_SUBQUERY_VALUES);
		assert(op->kind == RT_OP_INSERT_SELECT || (op->nsubs > 0 && op->nsubs <= RT_MAX_SUBQUERIES));
		assert((op->kind == RT_OP_INSERT_SELECT) == (op->suffix != NULL));
	} else {
		assert(op->input && !op->nshards); /* rows come from an input */
	}
	switch (op->kind) {
	case RT_OP_FINAL:
		/* over the shards' rows, over their partial aggregates, or over
		 * intermediate results */
		assert(op->input->kind == RT_OP_ROUTE || op->input->kind == RT_OP_INTERMEDIATE ||
		       (op->input->kind == RT_OP_AGGREGATE && op->input->input->kind == RT_OP_ROUTE));
		for (const RtOp *i = op->input->kind == RT_OP_INTERMEDIATE ? op->input->next : NULL; i; i = i->next) {
			assert(i->kind == RT_OP_INTERMEDIATE && i->parent == op);
			rt_op_check(i);
		}
		assert(op->input->kind != RT_OP_AGGREGATE || op->sql); /* aggregates combined by its own statement */
		assert(rt_op_leaf(op)->sql);
		break;
	case RT_OP_AGGREGATE:
		assert(op->parent && op->parent->kind == RT_OP_FINAL);
		break;
	case RT_OP_MERGE_SORT:
		assert(op->input->kind == RT_OP_ROUTE && op->input->sql);
		assert(op->kmerge && op->kmerge->nkeys > 0 && op->kmerge->nkeys <= RT_KMERGE_MAX_KEYS && !op->kmerge->sql);
		assert(op->alt && op->alt->kind == RT_OP_FINAL && !op->alt->parent);
		assert(rt_op_leaf(op->alt)->nshards == op->input->nshards);
		rt_op_check(op->alt);
		break;
	case RT_OP_LIMIT:
		assert(op->input->kind == RT_OP_MERGE_SORT && op->offset >= 0);
		assert(op->offset == op->input->kmerge->offset && op->limit == op->input->kmerge->limit);
		break;
	case RT_OP_EXPLAIN:
		assert(!op->parent);
		break;
	case RT_OP_INTERMEDIATE:
		assert(op->parent && op->parent->kind == RT_OP_FINAL && op->table[0]);
		assert(op->input->kind == RT_OP_ROUTE && op->input->sql && !op->input->write);
		break;
	case RT_OP_COPY_OUT:
		assert(!op->parent);
		break;
	default:
		break;
	}
	if (op->input)
		rt_op_check(op->input);
#endif
}

/* ---------------------------------------------------------------- explain */

/* The values a split statement is sent with: " ($1 = v, ...)", text
 * values as they are, binary ones as such. */
static void put_params(const RtParams *p, Buf *out)
{
	for (int k = 0; p && k < p->n; k++) {
		const char *v = p->values[k];
		buf_printf(out, "%s$%d = ", k ? ", " : " (", k + 1);
		if (!v)
			buf_printf(out, "NULL");
		else if (p->formats && p->formats[k] == 1)
			buf_printf(out, "<binary>");
		else
			buf_printf(out, "%.*s", p->lengths[k], v);
	}
	if (p && p->n)
		buf_printf(out, ")");
}

/* The vindex a leaf's shards came from: " by vindex name (columns)". */
static void put_vindex(const RtOp *op, Buf *out)
{
	bool keyed = op->opcode == RT_RO_EQUAL || op->opcode == RT_RO_IN || op->opcode == RT_RO_LOOKUP ||
		     op->opcode == RT_RO_RANGE || op->opcode == RT_RO_PREFIX;
	if (!op->by || !keyed)
		return;
	buf_printf(out, " by vindex %s (", op->by->vindex->name);
	for (int i = 0; i < op->by->vindex->ncolumns; i++)
		buf_printf(out, "%s%s", i ? ", " : "", op->by->columns ? op->by->columns[i] : op->by->column);
	buf_printf(out, ")");
}

/* The shards of a leaf: one named, every one, or those named. */
static void put_shards(const RtOp *op, const VscSchema *vs, Buf *out)
{
	if (op->nshards == 1) {
		buf_printf(out, " shard %s", vsc_shard(vs, op->shards[0])->name);
		return;
	}
	if (op->nshards == vsc_shard_count(vs)) {
		buf_printf(out, " every shard (%d)", op->nshards);
		return;
	}
	buf_printf(out, " %d shards ", op->nshards);
	for (int i = 0; i < op->nshards; i++)
		buf_printf(out, "%s%s", i ? "," : "", vsc_shard(vs, op->shards[i])->name);
}

const char *rt_op_name(RtOpKind kind) { return rt_op_type(kind)->name; }

/* One operator's line (no newline). */
static void explain_line(const RtOp *op, const VscSchema *vs, Buf *out)
{
	buf_printf(out, "%s", rt_op_name(op->kind));
	switch (op->kind) {
	case RT_OP_REFUSE:
		buf_printf(out, " %.5s: %s", op->err->sqlstate, op->err->message);
		return;
	case RT_OP_SHOW:
		buf_printf(out, " %s", rt_show_name(op->show));
		return;
	case RT_OP_LOCAL:
		buf_printf(out, " %s", op->what);
		return;
	case RT_OP_SET:
		buf_printf(out, " on the transaction's first shard, replayed on the others");
		return;
	case RT_OP_ROUTE:
	case RT_OP_INSERT_SPLIT:
	case RT_OP_DDL:
	case RT_OP_TRUNCATE:
	case RT_OP_MOVE:
	case RT_OP_COPY_IN:
	case RT_OP_SUBQUERY_VALUES:
	case RT_OP_INSERT_SELECT:
		buf_printf(out, " %s", rt_route_opcode_str(op->opcode));
		put_shards(op, vs, out);
		put_vindex(op, out);
		if (op->write && op->kind == RT_OP_ROUTE)
			buf_printf(out, ", write");
		if (op->kind == RT_OP_MOVE)
			buf_printf(out, ", rows of \"%s\" whose \"%s\" changes shard move", op->table, op->move->column);
		if (op->lookup_delete)
			buf_printf(out, ", then the lookup rows of the rows of \"%s\" deleted", op->table);
		if (op->lookup_after)
			buf_printf(out, ", then the lookup rows of the rows of \"%s\" inserted", op->table);
		if (op->lookup_before)
			buf_printf(out, ", the rows read first (%s), then their %s", op->lookup_before,
				   op->lookup_relay ? "lookup rows deleted" : "changed lookup rows replaced");
		if (op->lookup_tail)
			buf_printf(out, ", the columns after the table's relayed (the RETURNING list)");
		if (op->returning_shards)
			buf_printf(out, ", RETURNING rows in VALUES order");
		for (int i = 0; op->lookup_sql && i < op->nlookup_sql; i++)
			if (op->lookup_sql[i])
				buf_printf(out, ", lookup rows first on %s: %s", vsc_shard(vs, i)->name, op->lookup_sql[i]);
		for (int i = 0; op->sequenced && op->split_sql && i < op->nshards; i++) {
			buf_printf(out, "%s %s: %s", i ? ";" : ", values from cluster-wide sequences bound in:",
				   vsc_shard(vs, op->shards[i])->name, op->split_sql[i]);
			put_params(op->split_params ? &op->split_params[i] : NULL, out);
		}
		if (op->kind == RT_OP_SUBQUERY_VALUES)
			buf_printf(out, ", $1..$%d the values of the final step's statements", op->nsubs);
		if (op->kind == RT_OP_SUBQUERY_VALUES && op->key)
			buf_printf(out, ", only to the shards of the \"%s\" values in $%d", op->key->column, op->key_pos + 1);
		if (op->kind == RT_OP_INSERT_SELECT) {
			if (op->key)
				buf_printf(out, ", each row where its \"%s\" (column %d) belongs", op->key->column, op->key_pos + 1);
			buf_printf(out, ": %s<the final step's rows>%s", op->sql, op->suffix);
			return;
		}
		if (op->sql)
			buf_printf(out, ": %s", op->sql);
		return;
	case RT_OP_INTERMEDIATE:
		buf_printf(out, " \"%s\" in the router's engine", op->table);
		return;
	case RT_OP_FINAL:
		if (op->input->kind == RT_OP_INTERMEDIATE) {
			buf_printf(out, " over intermediate results");
			if (op->sql)
				buf_printf(out, ": %s", op->sql);
			return;
		}
		buf_printf(out, " over the rows of \"%s\"", op->table);
		if (op->pushed_limit >= 0)
			buf_printf(out, ", each shard's first %" PRId64 " in the query's order", op->pushed_limit);
		if (op->sql)
			buf_printf(out, ": %s", op->sql);
		return;
	case RT_OP_AGGREGATE:
		buf_printf(out, " the shards group and aggregate, the final step combines their partial results");
		return;
	case RT_OP_MERGE_SORT:
		buf_printf(out, " on %d key%s of \"%s\", in order as they come", op->kmerge->nkeys, op->kmerge->nkeys == 1 ? "" : "s",
		    op->table);
		return;
	case RT_OP_LIMIT:
		if (op->limit >= 0)
			buf_printf(out, " %" PRId64, op->limit);
		else
			buf_printf(out, " all");
		if (op->offset)
			buf_printf(out, " offset %" PRId64, op->offset);
		return;
	default:
		return;
	}
}

static void explain_tree(const RtOp *op, const VscSchema *vs, int depth, Buf *out)
{
	if (depth)
		buf_printf(out, "\n%*s-> ", (depth - 1) * 2, "");
	explain_line(op, vs, out);
	if (op->input)
		explain_tree(op->input, vs, depth + 1, out);
	if (op->inner)
		explain_tree(op->inner, vs, depth + 1, out);
	for (const RtOp *i = op->input && op->input->kind == RT_OP_INTERMEDIATE ? op->input->next : NULL; i; i = i->next)
		explain_tree(i, vs, depth + 1, out);
}

void rt_op_explain(const RtOp *op, const VscSchema *vs, Buf *out) { explain_tree(op, vs, 0, out); }

/* ---------------------------------------------------------------- plans */

/* The refusal of a plan that could not be built, out of memory. */
static PgwError oom_error = {.sqlstate = "53200", .message = "out of memory"};
static RtOp oom_refusal = {.kind = RT_OP_REFUSE, .show = -1, .err = &oom_error};

void rt_plan_refuse(RtPlan *p, const char *sqlstate, const char *fmt, ...)
{
	if (p->root != &oom_refusal)
		rt_op_free(p->root);
	p->root = rt_op_new(RT_OP_REFUSE);
	PgwError *e = p->root ? calloc(1, sizeof(*e)) : NULL;
	if (!e) {
		rt_op_free(p->root);
		p->root = &oom_refusal;
		return;
	}
	p->root->err = e;
	memcpy(e->sqlstate, sqlstate ? sqlstate : "0A000", 5);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

void rt_plan_free(RtPlan *p)
{
	if (p->root != &oom_refusal)
		rt_op_free(p->root);
	p->root = NULL;
}
