/*
 * pgnode.c - walking libpg_query's protobuf-c parse trees by reflection.
 */
#include "common/pgnode.h"

#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

void pgn_walk(const ProtobufCMessage *m, bool (*visit)(const ProtobufCMessage *m, void *arg), void *arg)
{
	if (!m || !visit(m, arg))
		return;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__node__descriptor) {
		/* a Node is a oneof of some 250 fields: go straight to the one set */
		const PgQuery__Node *n = (const PgQuery__Node *)m;
		const ProtobufCFieldDescriptor *f =
			n->node_case ? protobuf_c_message_descriptor_get_field(d, (unsigned)n->node_case) : NULL;
		if (f && f->type == PROTOBUF_C_TYPE_MESSAGE)
			pgn_walk(*(ProtobufCMessage *const *)((const char *)m + f->offset), visit, arg);
		return;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const char *base = (const char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const **)base;
			for (size_t k = 0; k < n; k++)
				pgn_walk(arr[k], visit, arg);
		} else {
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				uint32_t which = *(const uint32_t *)((const char *)m + f->quantifier_offset);
				if (which != f->id)
					continue;
			}
			pgn_walk(*(ProtobufCMessage *const *)base, visit, arg);
		}
	}
}

bool pgn_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	if (!a || !b)
		return a == b;
	if (a->descriptor != b->descriptor)
		return false;
	const ProtobufCMessageDescriptor *d = a->descriptor;
	if (d == &pg_query__node__descriptor) {
		const PgQuery__Node *na = (const PgQuery__Node *)a, *nb = (const PgQuery__Node *)b;
		if (na->node_case != nb->node_case)
			return false;
		const ProtobufCFieldDescriptor *f =
			na->node_case ? protobuf_c_message_descriptor_get_field(d, (unsigned)na->node_case) : NULL;
		if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE)
			return !f;
		return pgn_equal(*(ProtobufCMessage *const *)((const char *)a + f->offset),
				 *(ProtobufCMessage *const *)((const char *)b + f->offset));
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (strcmp(f->name, "location") == 0)
			continue;
		const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t wa = *(const uint32_t *)((const char *)a + f->quantifier_offset);
			uint32_t wb = *(const uint32_t *)((const char *)b + f->quantifier_offset);
			if (wa != wb)
				return false;
			if (wa != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t na = *(const size_t *)((const char *)a + f->quantifier_offset);
			size_t nb = *(const size_t *)((const char *)b + f->quantifier_offset);
			if (na != nb)
				return false;
			for (size_t k = 0; k < na; k++) {
				if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
					if (!pgn_equal((*(ProtobufCMessage *const **)pa)[k], (*(ProtobufCMessage *const **)pb)[k]))
						return false;
				} else if (f->type == PROTOBUF_C_TYPE_STRING) {
					if (strcmp((*(char *const **)pa)[k], (*(char *const **)pb)[k]) != 0)
						return false;
				} else {
					return false; /* repeated scalars do not occur in expressions */
				}
			}
			continue;
		}
		switch (f->type) {
		case PROTOBUF_C_TYPE_MESSAGE:
			if (!pgn_equal(*(ProtobufCMessage *const *)pa, *(ProtobufCMessage *const *)pb))
				return false;
			break;
		case PROTOBUF_C_TYPE_STRING: {
			const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
			if ((sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb) != 0))
				return false;
			break;
		}
		case PROTOBUF_C_TYPE_BOOL:
			if (*(const protobuf_c_boolean *)pa != *(const protobuf_c_boolean *)pb)
				return false;
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_DOUBLE:
			if (memcmp(pa, pb, 8) != 0)
				return false;
			break;
		default: /* 32-bit integers and enums */
			if (memcmp(pa, pb, 4) != 0)
				return false;
			break;
		}
	}
	return true;
}

/* ---------------------------------------------------------------- building */

/* Node wrappers share one layout: the case, then a pointer to the message. */
static PgQuery__Node *wrap(Arena *a, PgQuery__Node__NodeCase which, void *msg)
{
	PgQuery__Node *n = arena_alloc(a, sizeof(*n));
	*n = (PgQuery__Node)PG_QUERY__NODE__INIT;
	n->node_case = which;
	switch (which) {
	case PG_QUERY__NODE__NODE_STRING: n->string = msg; break;
	case PG_QUERY__NODE__NODE_COLUMN_REF: n->column_ref = msg; break;
	case PG_QUERY__NODE__NODE_FUNC_CALL: n->func_call = msg; break;
	case PG_QUERY__NODE__NODE_A_CONST: n->a_const = msg; break;
	case PG_QUERY__NODE__NODE_TYPE_CAST: n->type_cast = msg; break;
	case PG_QUERY__NODE__NODE_A_EXPR: n->a_expr = msg; break;
	case PG_QUERY__NODE__NODE_RES_TARGET: n->res_target = msg; break;
	default: abort();
	}
	return n;
}

static PgQuery__Node **list1(Arena *a, PgQuery__Node *n)
{
	PgQuery__Node **l = arena_alloc(a, sizeof(*l));
	l[0] = n;
	return l;
}

PgQuery__Node *pgn_string(Arena *a, const char *s)
{
	PgQuery__String *str = arena_alloc(a, sizeof(*str));
	*str = (PgQuery__String)PG_QUERY__STRING__INIT;
	str->sval = arena_strdup(a, s);
	return wrap(a, PG_QUERY__NODE__NODE_STRING, str);
}

PgQuery__Node *pgn_column(Arena *a, const char *name)
{
	PgQuery__ColumnRef *c = arena_alloc(a, sizeof(*c));
	*c = (PgQuery__ColumnRef)PG_QUERY__COLUMN_REF__INIT;
	c->n_fields = 1;
	c->fields = list1(a, pgn_string(a, name));
	c->location = -1;
	return wrap(a, PG_QUERY__NODE__NODE_COLUMN_REF, c);
}

PgQuery__Node *pgn_call(Arena *a, const char *name, PgQuery__Node *arg)
{
	PgQuery__FuncCall *f = arena_alloc(a, sizeof(*f));
	*f = (PgQuery__FuncCall)PG_QUERY__FUNC_CALL__INIT;
	f->n_funcname = 1;
	f->funcname = list1(a, pgn_string(a, name));
	if (arg) {
		f->n_args = 1;
		f->args = list1(a, arg);
	} else {
		f->agg_star = true;
	}
	f->funcformat = PG_QUERY__COERCION_FORM__COERCE_EXPLICIT_CALL;
	f->location = -1;
	return wrap(a, PG_QUERY__NODE__NODE_FUNC_CALL, f);
}

PgQuery__Node *pgn_integer(Arena *a, int32_t v)
{
	PgQuery__Integer *i = arena_alloc(a, sizeof(*i));
	*i = (PgQuery__Integer)PG_QUERY__INTEGER__INIT;
	i->ival = v;
	PgQuery__AConst *c = arena_alloc(a, sizeof(*c));
	*c = (PgQuery__AConst)PG_QUERY__A__CONST__INIT;
	c->val_case = PG_QUERY__A__CONST__VAL_IVAL;
	c->ival = i;
	c->location = -1;
	return wrap(a, PG_QUERY__NODE__NODE_A_CONST, c);
}

PgQuery__Node *pgn_text(Arena *a, const char *s, size_t len)
{
	PgQuery__AConst *c = arena_alloc(a, sizeof(*c));
	*c = (PgQuery__AConst)PG_QUERY__A__CONST__INIT;
	c->location = -1;
	if (!s) {
		c->isnull = true;
	} else {
		PgQuery__String *str = arena_alloc(a, sizeof(*str));
		*str = (PgQuery__String)PG_QUERY__STRING__INIT;
		str->sval = arena_strndup(a, s, len);
		c->val_case = PG_QUERY__A__CONST__VAL_SVAL;
		c->sval = str;
	}
	return wrap(a, PG_QUERY__NODE__NODE_A_CONST, c);
}

PgQuery__Node *pgn_cast(Arena *a, PgQuery__Node *arg, const char *type, int scale)
{
	PgQuery__TypeName *t = arena_alloc(a, sizeof(*t));
	*t = (PgQuery__TypeName)PG_QUERY__TYPE_NAME__INIT;
	t->n_names = 1;
	t->names = list1(a, pgn_string(a, type));
	t->typemod = -1;
	if (scale >= 0) {
		t->n_typmods = 2;
		t->typmods = arena_alloc(a, 2 * sizeof(PgQuery__Node *));
		t->typmods[0] = pgn_integer(a, 1000);
		t->typmods[1] = pgn_integer(a, scale);
	}
	t->location = -1;
	PgQuery__TypeCast *tc = arena_alloc(a, sizeof(*tc));
	*tc = (PgQuery__TypeCast)PG_QUERY__TYPE_CAST__INIT;
	tc->arg = arg;
	tc->type_name = t;
	tc->location = -1;
	return wrap(a, PG_QUERY__NODE__NODE_TYPE_CAST, tc);
}

PgQuery__Node *pgn_binary(Arena *a, PgQuery__AExprKind kind, const char *op, PgQuery__Node *l, PgQuery__Node *r)
{
	PgQuery__AExpr *e = arena_alloc(a, sizeof(*e));
	*e = (PgQuery__AExpr)PG_QUERY__A__EXPR__INIT;
	e->kind = kind;
	e->n_name = 1;
	e->name = list1(a, pgn_string(a, op));
	e->lexpr = l;
	e->rexpr = r;
	e->location = -1;
	return wrap(a, PG_QUERY__NODE__NODE_A_EXPR, e);
}

PgQuery__Node *pgn_res_target(Arena *a, const char *name, PgQuery__Node *val)
{
	PgQuery__ResTarget *t = arena_alloc(a, sizeof(*t));
	*t = (PgQuery__ResTarget)PG_QUERY__RES_TARGET__INIT;
	t->name = name ? arena_strdup(a, name) : NULL;
	t->val = val;
	t->location = -1;
	return wrap(a, PG_QUERY__NODE__NODE_RES_TARGET, t);
}

/* ------------------------------------------------------------ deparsing */

/*
 * libpg_query's deparser prints some operands without the parentheses
 * their precedence needs: (a IS DISTINCT FROM b) IS NULL comes out as
 * "a IS DISTINCT FROM b IS NULL" (a syntax error), (x IS NULL)::text as
 * "x IS NULL::text" (another meaning), (ARRAY[1])[1] as "ARRAY[1][1]".
 * Before deparsing, such operands are wrapped in a one-element implicit
 * row, which prints as "(operand)" and parses back to the operand itself.
 */

/* n prints as operators around operands (so may need parentheses) */
static bool is_operator_expr(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_EXPR:
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
	case PG_QUERY__NODE__NODE_NULL_TEST:
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
	case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
		return true;
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK ||
		       n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK ||
		       n->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ROWCOMPARE_SUBLINK;
	case PG_QUERY__NODE__NODE_FUNC_CALL:
		/* AT TIME ZONE, IS DOCUMENT and the like */
		return n->func_call->funcformat == PG_QUERY__COERCION_FORM__COERCE_SQL_SYNTAX;
	default:
		return false;
	}
}

/* Wrap *slot in parentheses when it is an operator expression or, with
 * any, anything but a column or parameter reference.  The wrapper is
 * malloc'd as protobuf-c's unpacked trees are.  False when memory ran out. */
static bool paren(PgQuery__Node **slot, bool any)
{
	PgQuery__Node *n = *slot;
	if (!n || !(any ? n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF && n->node_case != PG_QUERY__NODE__NODE_PARAM_REF
	                : is_operator_expr(n)))
		return true;
	PgQuery__Node *w = malloc(sizeof(*w));
	PgQuery__RowExpr *row = malloc(sizeof(*row));
	PgQuery__Node **args = malloc(sizeof(*args));
	if (!w || !row || !args) {
		free(w);
		free(row);
		free(args);
		return false;
	}
	*row = (PgQuery__RowExpr)PG_QUERY__ROW_EXPR__INIT;
	row->row_format = PG_QUERY__COERCION_FORM__COERCE_IMPLICIT_CAST;
	row->n_args = 1;
	row->args = args;
	row->location = -1;
	args[0] = n;
	*w = (PgQuery__Node)PG_QUERY__NODE__INIT;
	w->node_case = PG_QUERY__NODE__NODE_ROW_EXPR;
	w->row_expr = row;
	*slot = w;
	return true;
}

static bool paren_items(PgQuery__List *l)
{
	for (size_t k = 0; k < l->n_items; k++)
		if (!paren(&l->items[k], false))
			return false;
	return true;
}

/* pgn_walk visitor: parenthesize the operands of m that need it. */
static bool paren_operands(const ProtobufCMessage *m, void *arg)
{
	bool *ok = arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool done = true;
	if (d == &pg_query__a__expr__descriptor) {
		PgQuery__AExpr *e = (PgQuery__AExpr *)m;
		done = paren(&e->lexpr, false) &&
		       (e->rexpr && e->rexpr->node_case == PG_QUERY__NODE__NODE_LIST
		            ? paren_items(e->rexpr->list)
		            : paren(&e->rexpr, false));
	} else if (d == &pg_query__null_test__descriptor) {
		done = paren(&((PgQuery__NullTest *)m)->arg, false);
	} else if (d == &pg_query__boolean_test__descriptor) {
		done = paren(&((PgQuery__BooleanTest *)m)->arg, false);
	} else if (d == &pg_query__type_cast__descriptor) {
		/* the deparser prints an operator's cast as CAST(... AS type) */
		PgQuery__TypeCast *c = (PgQuery__TypeCast *)m;
		done = (c->arg && c->arg->node_case == PG_QUERY__NODE__NODE_A_EXPR) || paren(&c->arg, false);
	} else if (d == &pg_query__collate_clause__descriptor) {
		done = paren(&((PgQuery__CollateClause *)m)->arg, false);
	} else if (d == &pg_query__sub_link__descriptor) {
		done = paren(&((PgQuery__SubLink *)m)->testexpr, false);
	} else if (d == &pg_query__a__indirection__descriptor) {
		done = paren(&((PgQuery__AIndirection *)m)->arg, true);
	}
	if (!done)
		*ok = false;
	return *ok;
}

static char *deparse_packed(const uint8_t *data, size_t len)
{
	PgQueryProtobuf pb = {.len = len, .data = (char *)data};
	PgQueryDeparseResult dr = pg_query_deparse_protobuf(pb);
	char *sql = dr.error ? NULL : strdup(dr.query);
	pg_query_free_deparse_result(dr);
	return sql;
}

char *pgn_deparse(PgQuery__Node *node)
{
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
	PgQuery__RawStmt *raws[1] = {&raw};
	PgQuery__ParseResult pr = PG_QUERY__PARSE_RESULT__INIT;
	raw.stmt = node;
	pr.version = PG_VERSION_NUM;
	pr.n_stmts = 1;
	pr.stmts = raws;
	size_t len = pg_query__parse_result__get_packed_size(&pr);
	uint8_t *data = malloc(len);
	if (!data)
		return NULL;
	pg_query__parse_result__pack(&pr, data);
	/* the parentheses go into a copy: the caller's tree stays as it is */
	PgQuery__ParseResult *copy = pg_query__parse_result__unpack(NULL, len, data);
	free(data);
	if (!copy)
		return NULL;
	bool ok = true;
	pgn_walk(&copy->base, paren_operands, &ok);
	char *sql = NULL;
	len = pg_query__parse_result__get_packed_size(copy);
	if (ok && (data = malloc(len))) {
		pg_query__parse_result__pack(copy, data);
		sql = deparse_packed(data, len);
		free(data);
	}
	pg_query__parse_result__free_unpacked(copy, NULL);
	return sql;
}

const char *pgn_name(const PgQuery__Node *n)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, (unsigned)n->node_case);
	return f ? f->name : "statement";
}

const char *pgn_str(const PgQuery__Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_STRING)
		return n->string->sval;
	return "";
}
