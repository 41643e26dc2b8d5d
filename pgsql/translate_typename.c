/*
 * translate_typename.c - type names as PostgreSQL resolves them: the
 * serial pseudo-types, typmods (varchar/char length, numeric precision and
 * scale, time precision, interval fields) and array types.
 */
#include <stdio.h>
#include <string.h>

#include "pgsql/pgtype.h"
#include "pgsql/translate.h"
#include "pgsql/translate_int.h"
#include "pgsql/usertype.h"

bool pgs_resolve_typename(const PgsTranslateCtx *ctx, PgQuery__TypeName *tn, uint32_t *oid, int32_t *typmod,
			  int *serial, PgwError *err)
{
	const char *name = tn->n_names ? pgn_str(tn->names[tn->n_names - 1]) : "";
	int mods[2] = {-1, -1};
	size_t nmods = 0;

	if (serial)
		*serial = 0;
	for (size_t i = 0; i < tn->n_typmods && i < 2; i++) {
		Node *m = tn->typmods[i];
		if (m->node_case == PG_QUERY__NODE__NODE_A_CONST && m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			mods[nmods++] = m->a_const->ival->ival;
	}
	if (serial && (strcmp(name, "serial") == 0 || strcmp(name, "serial4") == 0)) {
		*serial = 4;
		name = "int4";
	} else if (serial && (strcmp(name, "bigserial") == 0 || strcmp(name, "serial8") == 0)) {
		*serial = 8;
		name = "int8";
	} else if (serial && (strcmp(name, "smallserial") == 0 || strcmp(name, "serial2") == 0)) {
		*serial = 2;
		name = "int2";
	}
	const PgType *t = pgt_by_name(name);
	int user = t ? -1 : pgs_usertype_resolve(ctx, tn, name, oid, typmod, err);
	if (user >= 0)
		return user == 1;
	if (!t) {
		memset(err, 0, sizeof(*err));
		memcpy(err->sqlstate, "42704", 5);
		snprintf(err->message, sizeof(err->message), "type \"%s\" does not exist", name);
		err->position = pgs_char_position(ctx->src, tn->location);
		return false;
	}
	*oid = t->oid;
	*typmod = -1;
	if (t->oid == PGT_VARCHAR || t->oid == PGT_BPCHAR) {
		if (nmods >= 1 && (mods[0] < 1 || mods[0] > 10485760)) {
			/* anychar_typmodin's limits */
			memset(err, 0, sizeof(*err));
			memcpy(err->sqlstate, "22023", 5);
			snprintf(err->message, sizeof(err->message), "length for type %s %s", t->oid == PGT_VARCHAR ? "varchar" : "char",
				 mods[0] < 1 ? "must be at least 1" : "cannot exceed 10485760");
			err->position = pgs_char_position(ctx->src, tn->location);
			return false;
		}
		if (nmods >= 1)
			*typmod = mods[0] + 4;
		else if (t->oid == PGT_BPCHAR && strcmp(name, "bpchar") == 0 && tn->location >= 0)
			*typmod = 1 + 4; /* char without length is char(1) */
	} else if (t->oid == PGT_NUMERIC && nmods >= 1) {
		*typmod = pgt_typmod_numeric(mods[0], nmods >= 2 ? mods[1] : 0);
	} else if ((t->oid == PGT_TIMESTAMP || t->oid == PGT_TIMESTAMPTZ || t->oid == PGT_TIME || t->oid == PGT_TIMETZ) &&
		   nmods >= 1) {
		*typmod = mods[0];
	} else if (t->oid == PGT_INTERVAL && nmods >= 1) {
		/* INTERVAL_TYPMOD(precision, range): the field range, then the
		 * fractional-second precision (0xFFFF when not given) */
		*typmod = (int32_t)(((uint32_t)mods[0] & 0x7FFF) << 16 | (nmods >= 2 ? (uint32_t)mods[1] & 0xFFFF : 0xFFFF));
	}
	if (tn->n_array_bounds > 0) {
		if (!t->array_oid) {
			memset(err, 0, sizeof(*err));
			memcpy(err->sqlstate, "42704", 5);
			snprintf(err->message, sizeof(err->message), "type \"%s[]\" does not exist", name);
			return false;
		}
		*oid = t->array_oid;
		*typmod = -1;
	}
	return true;
}

bool tr_typename_of(Tr *tr, PgQuery__TypeName *tn, uint32_t *oid, int32_t *typmod)
{
	if (!pgs_resolve_typename(tr->ctx, tn, oid, typmod, NULL, tr->err)) {
		tr->failed = true;
		return false;
	}
	return true;
}
