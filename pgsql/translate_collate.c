/*
 * translate_collate.c - the collation of a translated expression: values of
 * the types SQLite compares wrongly as text carry their type's collation
 * (pgt_value_collation), and an expression over them its own type's.
 */
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

/* Translate expression n onto out, its type into ty.  An expression of a
 * date, timestamp, jsonb or array type that is not a plain column (which has it
 * from its declaration) carries its type's collation (pgt_value_collation),
 * so that ORDER BY, comparisons, min/max, DISTINCT, GROUP BY and set
 * operations compare values as PostgreSQL: BC dates and years past 9999
 * in time order, jsonb by value ('{"a":1.0}' = '{"a":1}'), arrays element
 * by element. */
bool tr_expr(Tr *tr, Node *n, Buf *out, TType *ty)
{
	size_t start = out->len;
	unsigned inner = tr->ncollated;
	bool ok = tr_expr_node(tr, n, out, ty);
	if (ok && !tr->folding)
		tr_fold_null(tr, n, out, start);
	const char *coll = ok && !ty->column && !ty->unknown ? pgt_value_collation(ty->oid) : NULL;
	if (ok && !coll && !ty->column && !ty->unknown &&
	    (tr->ncollated != inner || n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)) {
		/* SQLite carries an operand's explicit collation (or a cast
		 * column's) up to the expression: give it its own type's */
		coll = ty->oid == PGT_NUMERIC ? "pg_numeric" : ty->oid == PGT_INTERVAL ? "pg_interval" : "BINARY";
	}
	if (coll && buf_reserve(out, 1)) {
		tr->ncollated++;
		memmove(out->data + start + 1, out->data + start, out->len - start);
		out->data[start] = '(';
		out->len++;
		buf_printf(out, " COLLATE %s)", coll);
	}
	return ok;
}
