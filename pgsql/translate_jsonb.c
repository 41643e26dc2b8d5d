/*
 * translate_jsonb.c - the json(b) operators ?, ?|, ?&, @>, <@, #>, #>>, -
 * and #- as calls of the functions of pgtype_jsonb.c.
 */
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

typedef struct JsonbOp {
	const char *op;
	const char *fn;
	uint32_t right;	 /* the right operand's type */
	uint32_t result; /* 0: the left operand's type */
	bool json_too;	 /* defined for json as well as jsonb */
} JsonbOp;

static const JsonbOp ops[] = {
	{"?", "pg_jsonb_exists", PGT_TEXT, PGT_BOOL, false},
	{"?|", "pg_jsonb_exists_any", PGT_TEXTARRAY, PGT_BOOL, false},
	{"?&", "pg_jsonb_exists_all", PGT_TEXTARRAY, PGT_BOOL, false},
	{"@>", "pg_jsonb_contains", PGT_JSONB, PGT_BOOL, false},
	{"<@", "pg_jsonb_contains", PGT_JSONB, PGT_BOOL, false},
	{"#>", "pg_json_path", PGT_TEXTARRAY, 0, true},
	{"#>>", "pg_json_path", PGT_TEXTARRAY, PGT_TEXT, true},
	{"#-", "pg_jsonb_delete_path", PGT_TEXTARRAY, PGT_JSONB, false},
	{"-", "pg_jsonb_delete_keys", PGT_TEXT, PGT_JSONB, false},
};

static const JsonbOp *find_op(const char *op)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			return &ops[i];
	return NULL;
}

static bool is_json(uint32_t t)
{
	return t == PGT_JSON || t == PGT_JSONB;
}

static bool open_type(const TType *t)
{
	return t->unknown || t->param > 0;
}

bool tr_jsonb_op_applies(const char *op, const TType *lt, const TType *rt)
{
	const JsonbOp *o = find_op(op);
	if (!o)
		return false;
	if (strcmp(op, "-") == 0)
		return lt->oid == PGT_JSONB && !open_type(lt);
	if (o->right == PGT_JSONB)
		return (lt->oid == PGT_JSONB && !open_type(lt)) || (rt->oid == PGT_JSONB && !open_type(rt));
	return is_json(lt->oid) || open_type(lt);
}

static bool no_operator(Tr *tr, const char *op, const TType *lt, const char *rname, int loc)
{
	return tr_fail(tr, "42883", loc, "operator does not exist: %s %s %s", tr_type_name(lt->oid), op, rname);
}

/* A text array operand as the JSON array the functions read. */
static void put_texts(Buf *out, Buf *b, uint32_t oid)
{
	if (oid == PGT_TEXTARRAY) {
		buf_put_str(out, "pg_array_json(");
		tr_put_buf(out, b);
		buf_put_u8(out, ')');
	} else {
		buf_put_str(out, "json_array(");
		tr_put_buf(out, b);
		buf_put_u8(out, ')');
	}
}

/* The call for l op r (tr_jsonb_op_applies said it is one of these). */
bool tr_jsonb_op(Tr *tr, const char *op, Buf *lb, TType *lt, Buf *rb, TType *rt, int loc, Buf *out, TType *ty)
{
	const JsonbOp *o = find_op(op);
	bool minus = strcmp(op, "-") == 0;
	const char *rname = rt->unknown ? "unknown" : tr_type_name(rt->oid);
	if (o->json_too && lt->unknown)
		return tr_fail(tr, "42725", loc, "operator is not unique: unknown %s %s", op, rname);
	if (open_type(lt) && !tr_coerce(tr, lb, lt, PGT_JSONB, -1, loc))
		return false;
	if (minus && !open_type(rt) && tr_is_int_type(rt->oid)) {
		buf_put_str(out, "pg_jsonb_delete_index(");
		tr_put_buf(out, lb);
		buf_put_str(out, ", ");
		tr_put_buf(out, rb);
		buf_put_u8(out, ')');
		tr_ttype_set(ty, PGT_JSONB, -1);
		return true;
	}
	uint32_t right = minus && rt->oid == PGT_TEXTARRAY && !open_type(rt) ? PGT_TEXTARRAY : o->right;
	if (open_type(rt) && !tr_coerce(tr, rb, rt, right, -1, loc))
		return false;
	bool right_ok = right == PGT_TEXT ? tr_is_text_type(rt->oid) : rt->oid == right;
	if (!right_ok || (!o->json_too && lt->oid != PGT_JSONB))
		return no_operator(tr, op, lt, rname, loc);
	bool swap = strcmp(op, "<@") == 0;
	buf_printf(out, "%s(", o->fn);
	tr_put_buf(out, swap ? rb : lb);
	buf_put_str(out, ", ");
	if (right == PGT_JSONB)
		tr_put_buf(out, swap ? lb : rb);
	else if (o->right == PGT_TEXTARRAY || minus)
		put_texts(out, rb, rt->oid);
	else
		tr_put_buf(out, rb);
	if (o->result == 0 || o->result == PGT_TEXT)
		buf_printf(out, ", %d", o->result == PGT_TEXT);
	buf_put_u8(out, ')');
	tr_ttype_set(ty, o->result ? o->result : lt->oid, -1);
	return !tr->failed;
}
