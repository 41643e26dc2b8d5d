/*
 * translate_window.c - window definitions: OVER (...), OVER name and the
 * WINDOW clause, with PARTITION BY, ORDER BY (PostgreSQL's NULLS order and
 * numeric/interval keys) and frames (ROWS, RANGE, GROUPS, EXCLUDE), which
 * SQLite's window syntax expresses one for one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/pgident.h"
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

/* PostgreSQL's frame option bits (WindowDef.frame_options) */
enum {
	FO_NONDEFAULT = 0x00001,
	FO_RANGE = 0x00002,
	FO_ROWS = 0x00004,
	FO_GROUPS = 0x00008,
	FO_BETWEEN = 0x00010,
	FO_START_UNBOUNDED_PRECEDING = 0x00020,
	FO_END_UNBOUNDED_PRECEDING = 0x00040,
	FO_START_UNBOUNDED_FOLLOWING = 0x00080,
	FO_END_UNBOUNDED_FOLLOWING = 0x00100,
	FO_START_CURRENT_ROW = 0x00200,
	FO_END_CURRENT_ROW = 0x00400,
	FO_START_OFFSET_PRECEDING = 0x00800,
	FO_END_OFFSET_PRECEDING = 0x01000,
	FO_START_OFFSET_FOLLOWING = 0x02000,
	FO_END_OFFSET_FOLLOWING = 0x04000,
	FO_EXCLUDE_CURRENT_ROW = 0x08000,
	FO_EXCLUDE_GROUP = 0x10000,
	FO_EXCLUDE_TIES = 0x20000,
};

/* One ORDER BY item of a window: its key as the main ORDER BY compares it,
 * its direction and PostgreSQL's NULLS placement.  *keyed tells whether
 * the key is a sort key rather than the value (RANGE offsets need the
 * value). */
static bool order_item(Tr *tr, PgQuery__SortBy *sb, Buf *out, bool *keyed, TType *ty)
{
	if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING)
		return tr_unsupported(tr, sb->location, "ORDER BY ... USING");
	Buf eb;
	buf_init(&eb);
	bool ok = tr_expr(tr, sb->node, &eb, ty);
	if (ok) {
		tr_settle(tr, &eb, ty);
		int k = tr_cmp_keyed(ty, 1);
		*keyed = *keyed || k;
		tr_put_cmp_operand(out, &eb, ty, k);
	}
	buf_cleanup(&eb);
	tr_put_sort_dir(out, sb);
	return ok;
}

int tr_sort_flags(const PgQuery__SortBy *sb)
{
	bool desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
	bool nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ||
			   (sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST && desc);
	return (desc ? 1 : 0) | (nulls_first ? 2 : 0);
}

void tr_put_sort_dir(Buf *out, const PgQuery__SortBy *sb)
{
	int fl = tr_sort_flags(sb);
	buf_put_str(out, (fl & 1) ? " DESC" : " ASC");
	buf_put_str(out, (fl & 2) ? " NULLS FIRST" : " NULLS LAST");
}

static bool is_float_type(uint32_t t) { return t == PGT_FLOAT4 || t == PGT_FLOAT8; }

/* A frame offset of type oid written as a constant (2, 1.5, 2::int8,
 * 'inf'::float8) as the SQLite number literal into out: SQLite reads
 * no function call there, and only a literal as a RANGE offset.  0: not such a constant; -1: the error is set
 * (22013 for a negative or NaN offset, 0A000 for infinity). */
static int range_literal(Tr *tr, Node *n, uint32_t oid, Buf *out)
{
	while (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	if (n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull)
		return 0;
	const PgQuery__AConst *c = n->a_const;
	char text[64];
	if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		snprintf(text, sizeof(text), "%d", c->ival->ival);
	else if (c->val_case == PG_QUERY__A__CONST__VAL_FVAL && strlen(c->fval->fval) < sizeof(text))
		snprintf(text, sizeof(text), "%s", c->fval->fval);
	else if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL && strlen(c->sval->sval) < sizeof(text))
		snprintf(text, sizeof(text), "%s", c->sval->sval);
	else
		return 0;
	char *end;
	double v = strtod(text, &end);
	while (*end == ' ')
		end++;
	if (end == text || *end || (tr_is_int_type(oid) && (strpbrk(text, ".eEiInN") || fabs(v) > 9e15)))
		return 0;
	if (isnan(v) || v < 0) {
		tr_fail(tr, "22013", -1, "invalid preceding or following size in window function");
		return -1;
	}
	if (isinf(v)) {
		/* PostgreSQL's frame around an infinite key takes every row */
		tr_unsupported(tr, -1, "RANGE frame offsets of infinity");
		return -1;
	}
	if (tr_is_int_type(oid))
		buf_printf(out, "%lld", (long long)v);
	else
		buf_printf(out, "%.17g", v);
	return 1;
}

/* A frame offset: ROWS and GROUPS take a non-negative integer, RANGE an
 * offset of the ORDER BY column's type key (float8 for a float key). */
static bool frame_offset(Tr *tr, Node *n, bool range, bool start, const TType *key, Buf *out)
{
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    ((n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL && n->a_const->ival->ival < 0) ||
	     (n->a_const->val_case == PG_QUERY__A__CONST__VAL_FVAL && n->a_const->fval->fval[0] == '-'))) {
		if (range)
			return tr_fail(tr, "22013", -1, "invalid preceding or following size in window function");
		return tr_fail(tr, "22013", -1, "frame %s offset must not be negative", start ? "starting" : "ending");
	}
	Buf eb;
	TType et;
	buf_init(&eb);
	bool ok = tr_expr(tr, n, &eb, &et);
	bool float_key = range && key && is_float_type(key->oid);
	if (ok && !float_key && (et.unknown || et.param))
		ok = tr_coerce(tr, &eb, &et, PGT_INT8, -1, -1);
	else if (ok && float_key && (et.unknown || et.param || et.oid == PGT_NUMERIC || tr_is_int_type(et.oid)))
		ok = tr_coerce(tr, &eb, &et, PGT_FLOAT8, -1, -1);
	if (ok) {
		tr_settle(tr, &eb, &et);
		if (!range && !tr_is_int_type(et.oid))
			ok = tr_fail(tr, "42804", -1, "argument of %s must be type bigint, not type %s", "ROWS",
				     tr_type_name(et.oid));
		else if (range && !tr_is_int_type(et.oid) && !is_float_type(et.oid))
			ok = tr_unsupported(tr, -1, "RANGE frame offsets of this type");
	}
	int lit = ok && (range || tr_is_int_type(et.oid)) ? range_literal(tr, n, et.oid, out) : 0;
	if (lit != 0) {
		ok = lit > 0;
	} else if (ok && range) {
		ok = tr_unsupported(tr, -1, "RANGE frame offsets that are not constants");
	} else if (ok) {
		/* SQLite takes a number: an integer type's value as one */
		buf_put_str(out, "CAST((");
		tr_put_buf(out, &eb);
		buf_put_str(out, is_float_type(et.oid) ? ") AS REAL)" : ") AS INTEGER)");
	}
	buf_cleanup(&eb);
	return ok;
}

static bool frame_bound(Tr *tr, int fo, bool start, Node *offset, bool range, const TType *key, Buf *out)
{
	if (fo & (start ? FO_START_UNBOUNDED_PRECEDING : FO_END_UNBOUNDED_PRECEDING))
		buf_put_str(out, "UNBOUNDED PRECEDING");
	else if (fo & (start ? FO_START_UNBOUNDED_FOLLOWING : FO_END_UNBOUNDED_FOLLOWING))
		buf_put_str(out, "UNBOUNDED FOLLOWING");
	else if (fo & (start ? FO_START_CURRENT_ROW : FO_END_CURRENT_ROW))
		buf_put_str(out, "CURRENT ROW");
	else {
		if (!frame_offset(tr, offset, range, start, key, out))
			return false;
		buf_put_str(out, (fo & (start ? FO_START_OFFSET_PRECEDING : FO_END_OFFSET_PRECEDING)) ? " PRECEDING"
												 : " FOLLOWING");
	}
	return true;
}

static bool frame_clause(Tr *tr, PgQuery__WindowDef *w, bool keyed, int norder, const TType *key, Buf *out)
{
	int fo = w->frame_options;
	if (!(fo & FO_NONDEFAULT))
		return true;
	bool range = fo & FO_RANGE;
	bool offsets = fo & (FO_START_OFFSET_PRECEDING | FO_START_OFFSET_FOLLOWING | FO_END_OFFSET_PRECEDING |
			     FO_END_OFFSET_FOLLOWING);
	if (range && offsets && norder != 1)
		return tr_fail(tr, "42P20", w->location,
			       "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column");
	if (range && offsets && keyed)
		return tr_unsupported(tr, w->location, "RANGE frame offsets over this ORDER BY type");
	buf_put_str(out, range ? " RANGE " : (fo & FO_GROUPS) ? " GROUPS " : " ROWS ");
	if (fo & FO_BETWEEN)
		buf_put_str(out, "BETWEEN ");
	if (!frame_bound(tr, fo, true, w->start_offset, range, key, out))
		return false;
	if (fo & FO_BETWEEN) {
		buf_put_str(out, " AND ");
		if (!frame_bound(tr, fo, false, w->end_offset, range, key, out))
			return false;
	}
	if (fo & FO_EXCLUDE_CURRENT_ROW)
		buf_put_str(out, " EXCLUDE CURRENT ROW");
	else if (fo & FO_EXCLUDE_GROUP)
		buf_put_str(out, " EXCLUDE GROUP");
	else if (fo & FO_EXCLUDE_TIES)
		buf_put_str(out, " EXCLUDE TIES");
	return true;
}

/* The parenthesized body of a window: [base] [PARTITION BY] [ORDER BY] [frame]. */
static bool window_body(Tr *tr, PgQuery__WindowDef *w, Buf *out)
{
	buf_put_u8(out, '(');
	bool sp = false;
	if (w->refname && w->refname[0]) {
		pgs_put_ident(out, w->refname);
		sp = true;
	}
	if (w->n_partition_clause) {
		buf_put_str(out, sp ? " PARTITION BY " : "PARTITION BY ");
		for (size_t i = 0; i < w->n_partition_clause; i++) {
			Buf eb;
			TType et;
			buf_init(&eb);
			bool ok = tr_expr(tr, w->partition_clause[i], &eb, &et);
			if (ok) {
				tr_settle(tr, &eb, &et);
				if (i)
					buf_put_str(out, ", ");
				tr_put_group_key(out, &eb, &et);
			}
			buf_cleanup(&eb);
			if (!ok)
				return false;
		}
		sp = true;
	}
	bool keyed = false;
	TType last;
	for (size_t i = 0; i < w->n_order_clause; i++) {
		buf_put_str(out, i ? ", " : sp ? " ORDER BY " : "ORDER BY ");
		if (!order_item(tr, w->order_clause[i]->sort_by, out, &keyed, &last))
			return false;
	}
	if (!frame_clause(tr, w, keyed, (int)w->n_order_clause, w->n_order_clause ? &last : NULL, out))
		return false;
	buf_put_u8(out, ')');
	return true;
}

/* The window named name in the WINDOW clause of sel, among its first n
 * definitions; NULL when there is none. */
static const PgQuery__WindowDef *named_window(const PgQuery__SelectStmt *sel, size_t n, const char *name)
{
	for (size_t i = 0; sel && i < n && i < sel->n_window_clause; i++)
		if (strcmp(sel->window_clause[i]->window_def->name, name) == 0)
			return sel->window_clause[i]->window_def;
	return NULL;
}

/* w's references checked as PostgreSQL checks them: the name it uses or
 * refines exists among the first n windows of sel, and a refinement adds
 * no PARTITION BY, no second ORDER BY and copies no frame. */
static bool check_refs(Tr *tr, const PgQuery__SelectStmt *sel, size_t n, const PgQuery__WindowDef *w)
{
	bool refines = w->refname && w->refname[0];
	const char *name = refines ? w->refname : w->name;
	const PgQuery__WindowDef *base = named_window(sel, n, name);
	if (!base)
		return tr_fail(tr, "42704", w->location, "window \"%s\" does not exist", name);
	if (!refines)
		return true;
	if (w->n_partition_clause)
		return tr_fail(tr, "42P20", w->location, "cannot override PARTITION BY clause of window \"%s\"", name);
	if (w->n_order_clause && base->n_order_clause)
		return tr_fail(tr, "42P20", w->location, "cannot override ORDER BY clause of window \"%s\"", name);
	if (base->frame_options & FO_NONDEFAULT)
		return tr_fail(tr, "42P20", w->location, "cannot copy window \"%s\" because it has a frame clause",
			       name);
	return true;
}

bool tr_window_def(Tr *tr, PgQuery__WindowDef *w, Buf *out)
{
	const PgQuery__SelectStmt *sel = tr->win_select;
	if (((w->name && w->name[0]) || (w->refname && w->refname[0])) &&
	    !check_refs(tr, sel, sel ? sel->n_window_clause : 0, w))
		return false;
	if (w->name && w->name[0]) {
		buf_put_str(out, " OVER ");
		pgs_put_ident(out, w->name);
		return true;
	}
	buf_put_str(out, " OVER ");
	return window_body(tr, w, out);
}

bool tr_window_clause(Tr *tr, PgQuery__SelectStmt *s, Buf *out)
{
	for (size_t i = 0; i < s->n_window_clause; i++) {
		PgQuery__WindowDef *w = s->window_clause[i]->window_def;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->window_clause[j]->window_def->name, w->name) == 0)
				return tr_fail(tr, "42P20", w->location, "window \"%s\" is already defined", w->name);
		if (w->refname && w->refname[0] && !check_refs(tr, s, i, w))
			return false;
		buf_put_str(out, i ? ", " : " WINDOW ");
		pgs_put_ident(out, w->name);
		buf_put_str(out, " AS ");
		if (!window_body(tr, w, out))
			return false;
	}
	return true;
}
