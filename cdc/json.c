/*
 * json.c - dosql_json, a JSON output plugin in the shape of wal2json's
 * format 2: one object per message, {"action":"B"} and {"action":"C"}
 * around a transaction, and per change
 *   {"action":"I","schema":"public","table":"t",
 *    "columns":[{"name":"id","type":"integer","value":1},...],
 *    "identity":[{"name":"id","type":"integer","value":1}]}
 * with "columns" for INSERT and UPDATE (the new row) and "identity" for
 * UPDATE and DELETE (the old row's key columns; every column when the table
 * has no key).  Numbers and booleans are JSON numbers and booleans.
 * Options: include-xids, include-timestamp, include-lsn (all false by
 * default).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cdc/plugin.h"

typedef struct Json {
	bool xids, timestamp, lsn;
} Json;

void *cdc_json_create(const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err, size_t errlen)
{
	(void)pubs;
	Json j = {false, false, false};
	for (int i = 0; i < start->nopts; i++) {
		const CdcOption *o = &start->opts[i];
		bool ok;
		if (strcmp(o->name, "include-xids") == 0)
			ok = cdc_opt_bool(o, &j.xids, sqlstate, err, errlen);
		else if (strcmp(o->name, "include-timestamp") == 0)
			ok = cdc_opt_bool(o, &j.timestamp, sqlstate, err, errlen);
		else if (strcmp(o->name, "include-lsn") == 0)
			ok = cdc_opt_bool(o, &j.lsn, sqlstate, err, errlen);
		else
			ok = cdc_opt_unknown(o, sqlstate, err, errlen);
		if (!ok)
			return NULL;
	}
	Json *p = malloc(sizeof(*p));
	if (p)
		*p = j;
	return p;
}

static json_t *value(uint32_t type, const char *v)
{
	if (!v)
		return json_null();
	switch (type) {
	case 16: return json_boolean(strcmp(v, "t") == 0);
	case 20: case 21: case 23: case 26: return json_integer((json_int_t)strtoll(v, NULL, 10));
	case 700: case 701: case 1700: {
		/* NaN and Infinity are not JSON numbers: they stay strings */
		json_t *n = json_loads(v, JSON_DECODE_ANY, NULL);
		if (n && json_is_number(n))
			return n;
		json_decref(n);
		return json_string(v);
	}
	default: return json_string(v);
	}
}

static json_t *columns(const CdcRel *rel, char *const *vals, bool identity)
{
	bool key = cdc_rel_has_key(rel);
	json_t *a = json_array();
	char tb[16];
	for (int i = 0; i < rel->ncols; i++) {
		const CdcColumn *c = &rel->cols[i];
		if (identity && key && !c->key)
			continue;
		json_array_append_new(a, json_pack("{s:s,s:s,s:o}", "name", c->name, "type",
						   cdc_type_name(c->type, tb, sizeof(tb)), "value", value(c->type, vals[i])));
	}
	return a;
}

static void emit_json(json_t *o, uint64_t lsn, CdcEmitFn emit, void *arg)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		emit(arg, lsn, (const uint8_t *)s, strlen(s));
	free(s);
	json_decref(o);
}

static json_t *action(const Json *j, const CdcTxn *t, const char *what, uint64_t lsn)
{
	json_t *o = json_pack("{s:s}", "action", what);
	if (j->xids)
		json_object_set_new(o, "xid", json_integer(t->xid));
	if (j->timestamp) {
		Buf b;
		buf_init(&b);
		cdc_format_time(&b, t->hlc);
		json_object_set_new(o, "timestamp", json_stringn((const char *)b.data, b.len));
		buf_cleanup(&b);
	}
	if (j->lsn) {
		char l[32];
		cdc_lsn_format(l, sizeof(l), lsn);
		json_object_set_new(o, "lsn", json_string(l));
	}
	return o;
}

void cdc_json_txn(void *state, const CdcTxn *t, CdcEmitFn emit, void *arg)
{
	const Json *j = state;
	emit_json(action(j, t, "B", t->lsn), t->lsn, emit, arg);
	for (int i = 0; i < t->n; i++) {
		const CdcChange *c = &t->changes[i];
		char op[2] = {c->op, 0};
		json_t *o = action(j, t, op, t->lsn);
		json_object_set_new(o, "schema", json_string("public"));
		json_object_set_new(o, "table", json_string(c->rel->name));
		if (c->op == 'T') {
			json_object_set_new(o, "cascade", json_boolean(c->flags & CDC_TRUNCATE_CASCADE));
			json_object_set_new(o, "restart_identity", json_boolean(c->flags & CDC_TRUNCATE_RESTART));
		}
		if (c->new)
			json_object_set_new(o, "columns", columns(c->rel, c->new, false));
		if (c->old)
			json_object_set_new(o, "identity", columns(c->rel, c->old, true));
		emit_json(o, t->lsn, emit, arg);
	}
	emit_json(action(j, t, "C", t->lsn + 1), t->lsn + 1, emit, arg);
}
