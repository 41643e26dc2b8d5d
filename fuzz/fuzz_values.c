/*
 * fuzz_values.c - libFuzzer target for the value decoders a client's bytes
 * reach: a text-format parameter or COPY field (pgt_coerce_text), a
 * binary-format parameter or binary COPY field (pgt_recv_binary), and a
 * shard's text output sent to a client that asked for binary
 * (pgt_text_to_binary).
 *
 * Input layout: byte 0 picks the type, byte 1 the decoder (bits 0-1) and
 * the typmod (bits 2-7: none or a small length / scale); the rest is the
 * value's bytes.
 *
 * A value the text decoder accepts is written out as text again
 * (pgt_out_text) and that text must read back to the same text: output
 * and input of a type agree, as PostgreSQL's do.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql/pgtype.h"

static const uint32_t types[] = {
	PGT_BOOL,     PGT_BYTEA,	 PGT_CHAR,     PGT_NAME,     PGT_INT8,	   PGT_INT2,	 PGT_INT4,
	PGT_TEXT,     PGT_OID,		 PGT_JSON,     PGT_FLOAT4,   PGT_FLOAT8,   PGT_BPCHAR,	 PGT_VARCHAR,
	PGT_DATE,     PGT_TIME,		 PGT_TIMESTAMP, PGT_TIMESTAMPTZ, PGT_INTERVAL, PGT_TIMETZ, PGT_NUMERIC,
	PGT_UUID,     PGT_JSONB,	 PGT_INT2ARRAY, PGT_INT4ARRAY, PGT_TEXTARRAY,
};

static sqlite3 *db;
static sqlite3_stmt *echo; /* SELECT ?: a PgtValue as an sqlite3_value */

/* The text output of v, appended to out; false when it fails. */
static bool out_text(const PgtValue *v, uint32_t oid, int32_t typmod, const PgtFormat *fmt, Buf *out)
{
	PgtError err;
	sqlite3_reset(echo);
	if (pgt_value_bind(echo, 1, v) != SQLITE_OK || sqlite3_step(echo) != SQLITE_ROW)
		return false;
	sqlite3_value *sv = sqlite3_column_value(echo, 0);
	bool ok = sqlite3_value_type(sv) == SQLITE_NULL || pgt_out_text(out, sv, oid, typmod, fmt, &err);
	sqlite3_reset(echo);
	return ok;
}

static void text_round_trip(const uint8_t *p, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt)
{
	PgtValue v, again;
	PgtError err;
	pgt_value_init(&v);
	pgt_value_init(&again);
	Buf first, second;
	buf_init(&first);
	buf_init(&second);
	if (pgt_coerce_text((const char *)p, n, oid, typmod, fmt, &v, &err) && v.type != SQLITE_NULL &&
	    out_text(&v, oid, typmod, fmt, &first)) {
		if (!pgt_coerce_text((const char *)first.data, first.len, oid, typmod, fmt, &again, &err) ||
		    !out_text(&again, oid, typmod, fmt, &second) || first.len != second.len ||
		    (first.len && memcmp(first.data, second.data, first.len) != 0))
			abort(); /* the output does not read back as itself */
	}
	buf_cleanup(&first);
	buf_cleanup(&second);
	pgt_value_cleanup(&v);
	pgt_value_cleanup(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!db) {
		if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, "SELECT ?", -1, &echo, NULL) != SQLITE_OK)
			abort();
	}
	uint32_t oid = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	int decoder = data[1] & 3;
	int32_t typmod = (data[1] >> 2) ? (int32_t)(data[1] >> 2) : -1;
	if (typmod > 0 && (oid == PGT_BPCHAR || oid == PGT_VARCHAR))
		typmod += 4; /* VARHDRSZ, as a column's typmod holds it */
	if (oid == PGT_NUMERIC && typmod > 0)
		typmod = (((typmod & 15) + 1) << 16 | (typmod >> 4)) + 4; /* numeric(p, s), s <= p */
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	PgtFormat fmt = {.extra_float_digits = 1, .timezone = "UTC", .date_order = 0, .txn_now = NULL};
	PgtError err;
	PgtValue v;
	pgt_value_init(&v);
	Buf out;
	buf_init(&out);
	switch (decoder) {
	case 0:
		text_round_trip(p, n, oid, typmod, &fmt);
		break;
	case 1:
		if (pgt_recv_binary(p, n, oid, typmod, &v, &err) && v.type != SQLITE_NULL)
			(void)out_text(&v, oid, typmod, &fmt, &out);
		break;
	case 2:
		(void)pgt_text_to_binary(&out, (const char *)p, n, oid, typmod, &fmt, &err);
		break;
	default:
		fmt.timezone[0] = 0;
		snprintf(fmt.timezone, sizeof(fmt.timezone), "%s", "Europe/Paris");
		fmt.date_order = 'D';
		text_round_trip(p, n, oid, typmod, &fmt);
		break;
	}
	buf_cleanup(&out);
	pgt_value_cleanup(&v);
	return 0;
}
