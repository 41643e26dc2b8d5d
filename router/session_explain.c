/*
 * session_explain.c - EXPLAIN through the router: the operator tree, one
 * line per operator, then each shard's plan of the statement it would run
 * (of each intermediate result in turn, for a gather), one shard after the
 * other.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/router.h"

/* What the shards explain next: leaf's statement, or text (the client's
 * as it is) when given, on each of leaf's shards. */
static void explain_leaf(RtSession *s, const RtOp *leaf, const char *text)
{
	if (!text) {
		/* the shards' own statement under a final step or a merge */
		size_t n = strlen(leaf->sql) + 16;
		s->explain_sql = malloc(n);
		if (s->explain_sql)
			snprintf(s->explain_sql, n, "EXPLAIN %s", leaf->sql);
	} else {
		s->explain_sql = strdup(text);
	}
	s->explain_n = leaf->nshards;
	s->explain_next = 0;
	memcpy(s->explain_shards, leaf->shards, sizeof(int) * (size_t)leaf->nshards);
}

/* EXPLAIN: the operator tree, one line per operator, then each shard's
 * plan under a line naming the shard, one shard after the other.  For an
 * Execute the lines are rows of its portal (the client has the
 * RowDescription from Describe) and the shards explain with its bound
 * parameters, unless the plan wrote them in. */
static void explain_begin(RtSession *s, const RtOp *op, const char *text, const RtParams *params)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgwField f = {"QUERY PLAN", 0, 0, 25, -1, -1, 0};
	assert(op->kind == RT_OP_EXPLAIN && op->input);
	if (!s->portal)
		pgw_send_row_description(c, 1, &f);
	s->rowdesc_sent = true;
	const RtOp *leaf = rt_op_leaf(op->input);
	s->explain_params = leaf->params_inlined ? NULL : params;
	Buf tree;
	buf_init(&tree);
	rt_op_explain(op->input, s->rt->vschema, &tree);
	for (char *line = (char *)buf_cstr(&tree), *end; line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = 0;
		const char *vals[1] = {line};
		rt_put_text_row(rt_row_buf(s), 1, vals);
	}
	buf_cleanup(&tree);
	/* a gather's intermediate results each explain theirs in turn */
	s->explain_im = leaf->parent && leaf->parent->kind == RT_OP_INTERMEDIATE ? leaf->parent : NULL;
	explain_leaf(s, leaf, leaf != op->input && leaf->sql ? NULL : text);
}

bool rt_explain_step(RtSession *s)
{
	if (s->explain_sql && s->explain_next >= s->explain_n && s->explain_im && s->explain_im->next) {
		s->explain_im = s->explain_im->next;
		free(s->explain_sql);
		explain_leaf(s, s->explain_im->input, NULL);
	}
	if (!s->explain_sql || s->explain_next >= s->explain_n)
		return false;
	int shard = s->explain_shards[s->explain_next++];
	char line[160];
	if (s->explain_im)
		snprintf(line, sizeof(line), "Shard \"%s\", intermediate result \"%s\":", vsc_shard(s->rt->vschema, shard)->name,
			 s->explain_im->table);
	else
		snprintf(line, sizeof(line), "Shard \"%s\":", vsc_shard(s->rt->vschema, shard)->name);
	const char *vals[1] = {line};
	rt_put_text_row(rt_row_buf(s), 1, vals);
	return rt_dispatch(s, s->explain_sql, &shard, 1, s->explain_params, 0) && s->waiting > 0;
}

bool rt_explain_start(RtSession *s, const RtOp *op, const char *text, const RtParams *params)
{
	explain_begin(s, op, text, params);
	if (rt_explain_step(s))
		return true;
	free(s->explain_sql);
	s->explain_sql = NULL;
	return false;
}
