/*
 * seqfunc.c - nextval, currval, setval and lastval of the cluster-wide
 * sequences (sequence.c), answered by the router.
 *
 * `SELECT nextval('s')` (and the others, one or several in a target list
 * with no FROM) draws from the same sequence the router fills sharded
 * tables' serial columns from, so a value an application takes ahead of
 * its INSERT (as SQLAlchemy's Sequence, Hibernate and JDBC do) is unique
 * across the cluster.  A session remembers the last value each sequence
 * gave it (currval), and the last of all (lastval), also when an INSERT
 * drew it for a column default; errors are PostgreSQL's (55000 before the
 * first nextval of the session, 42P01 for an unknown sequence).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/plan_int.h"

typedef enum SeqFn { FN_NONE, FN_NEXTVAL, FN_CURRVAL, FN_SETVAL, FN_LASTVAL } SeqFn;

static SeqFn seq_fn(const PgQuery__Node *v)
{
	if (!v || v->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
		return FN_NONE;
	const PgQuery__FuncCall *fc = v->func_call;
	const PgQuery__Node *last = fc->funcname[fc->n_funcname - 1];
	const char *name = last->node_case == PG_QUERY__NODE__NODE_STRING ? last->string->sval : "";
	size_t want = strcmp(name, "lastval") == 0 ? 0 : strcmp(name, "setval") == 0 ? 2 : 1;
	if (fc->n_args != want && !(want == 2 && fc->n_args == 3))
		return FN_NONE;
	return strcmp(name, "nextval") == 0   ? FN_NEXTVAL
	       : strcmp(name, "currval") == 0 ? FN_CURRVAL
	       : strcmp(name, "setval") == 0  ? FN_SETVAL
	       : strcmp(name, "lastval") == 0 ? FN_LASTVAL
					      : FN_NONE;
}

bool rt_seq_call(const PgQuery__Node *stmt)
{
	if (stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return false;
	const PgQuery__SelectStmt *s = stmt->select_stmt;
	if (s->n_from_clause || !s->n_target_list || s->where_clause || s->op > PG_QUERY__SET_OPERATION__SETOP_NONE ||
	    s->n_values_lists)
		return false;
	for (size_t i = 0; i < s->n_target_list; i++)
		if (seq_fn(s->target_list[i]->res_target->val) == FN_NONE)
			return false;
	return true;
}

/* A sequence name as nextval's regclass argument reads it: folded to
 * lower case unless quoted, in schema public unless qualified. */
static void seq_name(const char *arg, char *out, size_t n)
{
	char name[128];
	size_t k = 0;
	bool quoted = false, dot = false;
	for (const char *p = arg; *p && k + 1 < sizeof(name); p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		dot = dot || (*p == '.' && !quoted);
		name[k++] = quoted ? *p : (char)tolower((unsigned char)*p);
	}
	name[k] = 0;
	snprintf(out, n, "%s%s", dot ? "" : "public.", name);
}

/* An argument's text: a constant or a text-format parameter; NULL else. */
static const char *arg_text(PgQuery__Node *n, const RtParams *params, char *buf, size_t sz)
{
	PgQuery__Node *inner = n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST ? n->type_cast->arg : n;
	if (inner->node_case == PG_QUERY__NODE__NODE_PARAM_REF) {
		int k = inner->param_ref->number - 1;
		if (!params || k < 0 || k >= params->n || !params->values[k] || (params->formats && params->formats[k]))
			return NULL;
		snprintf(buf, sz, "%.*s", params->lengths ? params->lengths[k] : (int)strlen(params->values[k]),
			 params->values[k]);
		return buf;
	}
	bool is_null;
	return rt_plan_constant(n, buf, sz, &is_null);
}

int rt_seq_call_nextvals(const PgQuery__Node *stmt, RtSeqColumn *cols, int max)
{
	const PgQuery__SelectStmt *sel = stmt->select_stmt;
	int n = 0;
	for (size_t i = 0; i < sel->n_target_list && n < max; i++) {
		PgQuery__Node *v = sel->target_list[i]->res_target->val;
		char buf[256];
		const char *a = seq_fn(v) == FN_NEXTVAL ? arg_text(v->func_call->args[0], NULL, buf, sizeof(buf)) : NULL;
		if (a) {
			memset(&cols[n], 0, sizeof(cols[n]));
			seq_name(a, cols[n++].seq, sizeof(cols[0].seq));
		}
	}
	return n;
}

/* The value the session last had from seq, or NULL. */
static RtSeqSeen *seen(RtSession *s, const char *seq)
{
	for (int i = 0; i < s->nseq_seen; i++)
		if (strcmp(s->seq_seen[i].name, seq) == 0)
			return &s->seq_seen[i];
	return NULL;
}

void rt_seq_note(RtSession *s, const char *seq, int64_t value)
{
	RtSeqSeen *e = seen(s, seq);
	if (!e) {
		RtSeqSeen *more = realloc(s->seq_seen, sizeof(*more) * (size_t)(s->nseq_seen + 1));
		if (!more)
			return;
		s->seq_seen = more;
		e = &s->seq_seen[s->nseq_seen];
		if (!(e->name = strdup(seq)))
			return;
		s->nseq_seen++;
	}
	e->value = value;
	s->lastval = value;
	s->has_lastval = true;
}

void rt_seq_session_free(RtSession *s)
{
	for (int i = 0; i < s->nseq_seen; i++)
		free(s->seq_seen[i].name);
	free(s->seq_seen);
	s->seq_seen = NULL;
	s->nseq_seen = 0;
}

/* One function's value; false with e. */
static bool call(RtSession *s, PgQuery__FuncCall *fc, const RtParams *params, int64_t *v, PgwError *e)
{
	char buf[256], seq[160];
	SeqFn fn = seq_fn(&(PgQuery__Node){.node_case = PG_QUERY__NODE__NODE_FUNC_CALL, .func_call = fc});
	if (fn == FN_LASTVAL) {
		if (!s->has_lastval) {
			pgw_error_set(e, "55000", "lastval is not yet defined in this session");
			return false;
		}
		*v = s->lastval;
		return true;
	}
	const char *a = arg_text(fc->args[0], params, buf, sizeof(buf));
	if (!a) {
		pgw_error_set(e, "0A000", "%s of an expression is not supported by the router; name the sequence",
			      fn == FN_NEXTVAL ? "nextval" : fn == FN_CURRVAL ? "currval" : "setval");
		return false;
	}
	seq_name(a, seq, sizeof(seq));
	if (fn == FN_NEXTVAL) {
		if (!rt_seq_next(s->rt, seq, v, e))
			return false;
		rt_seq_note(s, seq, *v);
		return true;
	}
	if (fn == FN_CURRVAL) {
		RtSeqSeen *sn = seen(s, seq);
		if (!sn) {
			pgw_error_set(e, "55000", "currval of sequence \"%s\" is not yet defined in this session",
				      strchr(seq, '.') + 1);
			return false;
		}
		*v = sn->value;
		return true;
	}
	const char *to = arg_text(fc->args[1], params, buf, sizeof(buf));
	char *end;
	long long x = to ? strtoll(to, &end, 10) : 0;
	if (!to || end == to || *end) {
		pgw_error_set(e, "0A000", "%s", "setval through the router takes a constant value");
		return false;
	}
	bool is_called = true;
	if (fc->n_args == 3) {
		PgQuery__Node *b = fc->args[2];
		if (b->node_case == PG_QUERY__NODE__NODE_A_CONST && b->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL) {
			is_called = b->a_const->boolval->boolval;
		} else {
			const char *c = arg_text(b, params, buf, sizeof(buf));
			is_called = !c || (c[0] != 'f' && c[0] != 'F' && strcmp(c, "0") != 0);
		}
	}
	if (!rt_seq_set(s->rt, seq, is_called ? x + 1 : x, e))
		return false;
	if (is_called)
		rt_seq_note(s, seq, x);
	*v = x;
	return true;
}

void rt_seq_run(RtSession *s, PgQuery__Node *stmt, const RtParams *params, const int16_t *resfmts, int nresfmts)
{
	PgwConn *c = pgw_evconn_conn(s->ec);
	PgQuery__SelectStmt *sel = stmt->select_stmt;
	int n = (int)sel->n_target_list;
	if (n > 16) {
		pgw_send_errorf(c, "0A000", "%s", "more than 16 sequence functions in one SELECT through the router");
		s->stmt_error = true;
		return;
	}
	int64_t vals[16];
	PgwField f[16];
	for (int i = 0; i < n; i++) {
		PgQuery__ResTarget *rt = sel->target_list[i]->res_target;
		PgQuery__FuncCall *fc = rt->val->func_call;
		PgwError e;
		if (!call(s, fc, params, &vals[i], &e)) {
			rt_send_error(s, &e);
			return;
		}
		const PgQuery__Node *last = fc->funcname[fc->n_funcname - 1];
		f[i] = (PgwField){rt->name && rt->name[0] ? rt->name : last->string->sval, 0, 0, 20, 8, -1, 0};
		f[i].format = nresfmts == 1 ? resfmts[0] : i < nresfmts ? resfmts[i] : 0;
	}
	if (!s->portal)
		pgw_send_row_description(c, n, f);
	buf_msg_begin(&c->out, 'D');
	buf_put_u16(&c->out, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		if (f[i].format == 1) {
			buf_put_u32(&c->out, 8);
			buf_put_u32(&c->out, (uint32_t)((uint64_t)vals[i] >> 32));
			buf_put_u32(&c->out, (uint32_t)vals[i]);
		} else {
			char t[24];
			int len = snprintf(t, sizeof(t), "%" PRId64, vals[i]);
			buf_put_u32(&c->out, (uint32_t)len);
			buf_put_str(&c->out, t);
		}
	}
	buf_msg_end(&c->out);
	pgw_send_command_complete(c, "SELECT 1");
}
