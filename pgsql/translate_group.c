/*
 * translate_group.c - the keys that GROUP BY, DISTINCT, PARTITION BY and
 * DISTINCT aggregates compare.  A numeric key becomes its text under the
 * collation pg_numeric (decimal.c), so that values equal at different
 * scales (1.5 and 1.50) are one group, one row, one partition, as in
 * PostgreSQL.
 */
#include "pgsql/pgtype.h"
#include "pgsql/translate_int.h"

void tr_put_group_key(Buf *out, Buf *e, const TType *t)
{
	if (t->oid != PGT_NUMERIC) {
		tr_put_buf(out, e);
		return;
	}
	buf_put_str(out, "pg_numtext(");
	tr_put_buf(out, e);
	buf_printf(out, ", %d) COLLATE pg_numeric", (int)t->typmod);
}
