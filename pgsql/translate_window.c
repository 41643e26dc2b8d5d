/*
 * translate_window.c - the WINDOW clause: OVER w and OVER (w ORDER BY ...)
 * of a SELECT's calls take the named window's definition (a definition
 * may refine an earlier one), so that the calls are translated as if the
 * definition were written in place.  The parse tree is restored after.
 */
#include <string.h>

#include "common/pgnode.h"
#include "pgsql/translate_int.h"

/* PostgreSQL's FRAMEOPTION_DEFAULTS: RANGE UNBOUNDED PRECEDING AND
 * CURRENT ROW, what a definition without a frame clause has. */
#define FRAME_DEFAULTS 1058

typedef struct WinWalk {
	Tr *tr;
	PgQuery__SelectStmt *s;
	WinSwap *sw;
	bool failed;
} WinWalk;

static bool has_name(const char *n)
{
	return n && n[0];
}

/* The definition w with its reference to a named window resolved (arena);
 * NULL after an error. */
static PgQuery__WindowDef *resolve(WinWalk *ww, PgQuery__WindowDef *w, int depth)
{
	const char *ref = has_name(w->refname) ? w->refname : NULL;
	bool named_call = !ref && has_name(w->name) && !w->n_partition_clause && !w->n_order_clause;
	if (!ref && !named_call)
		return w;
	if (!ref)
		ref = w->name;
	PgQuery__WindowDef *def = NULL;
	for (size_t i = 0; i < ww->s->n_window_clause && !def; i++) {
		PgQuery__WindowDef *d = ww->s->window_clause[i]->window_def;
		if (d != w && has_name(d->name) && strcmp(d->name, ref) == 0)
			def = d;
	}
	if (!def || depth > 32) {
		tr_fail(ww->tr, "42704", w->location, "window \"%s\" does not exist", ref);
		return NULL;
	}
	PgQuery__WindowDef *base = resolve(ww, def, depth + 1);
	if (!base)
		return NULL;
	PgQuery__WindowDef *r = arena_alloc(ww->tr->a, sizeof(*r));
	*r = named_call ? *base : *w;
	r->name = NULL;
	r->refname = NULL;
	if (!named_call) {
		r->n_partition_clause = base->n_partition_clause;
		r->partition_clause = base->partition_clause;
		if (!w->n_order_clause) {
			r->n_order_clause = base->n_order_clause;
			r->order_clause = base->order_clause;
		} else if (base->n_order_clause) {
			tr_fail(ww->tr, "42P20", w->location, "cannot override ORDER BY clause of window \"%s\"", ref);
			return NULL;
		}
		if (w->frame_options == FRAME_DEFAULTS) {
			r->frame_options = base->frame_options;
			r->start_offset = base->start_offset;
			r->end_offset = base->end_offset;
		}
	}
	return r;
}

static bool visit(const ProtobufCMessage *m, void *arg)
{
	WinWalk *ww = arg;
	if (ww->failed || m->descriptor == &pg_query__sub_link__descriptor ||
	    m->descriptor == &pg_query__select_stmt__descriptor)
		return false;
	if (m->descriptor != &pg_query__func_call__descriptor)
		return true;
	PgQuery__FuncCall *f = (PgQuery__FuncCall *)m;
	if (!f->over)
		return true;
	PgQuery__WindowDef *r = resolve(ww, f->over, 0);
	if (!r) {
		ww->failed = true;
		return false;
	}
	if (r != f->over) {
		if (ww->sw->n == (int)(sizeof(ww->sw->calls) / sizeof(ww->sw->calls[0]))) {
			ww->failed = !tr_unsupported(ww->tr, f->location, "more than 64 calls over named windows");
			return false;
		}
		ww->sw->calls[ww->sw->n] = f;
		ww->sw->saved[ww->sw->n++] = f->over;
		f->over = r;
	}
	return true;
}

bool tr_window_clause(Tr *tr, PgQuery__SelectStmt *s, WinSwap *sw)
{
	sw->n = 0;
	WinWalk ww = {.tr = tr, .s = s, .sw = sw};
	for (size_t i = 0; i < s->n_target_list && !ww.failed; i++)
		pgn_walk(&s->target_list[i]->base, visit, &ww);
	for (size_t i = 0; i < s->n_sort_clause && !ww.failed; i++)
		pgn_walk(&s->sort_clause[i]->base, visit, &ww);
	return !ww.failed && !tr->failed;
}

void tr_window_restore(WinSwap *sw)
{
	for (int i = sw->n - 1; i >= 0; i--)
		sw->calls[i]->over = sw->saved[i];
	sw->n = 0;
}
