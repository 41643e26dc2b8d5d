/*
 * json.c - dosql_json, a JSON output plugin in the shape of wal2json's
 * format 2: one object per message, {"action":"B"} and {"action":"C"}
 * around a transaction, and per change
 *   {"action":"I","schema":"public","table":"t",
 *    "columns":[{"name":"id","type":"integer","value":1},...],
 *    "identity":[{"name":"id","type":"integer","value":1}]}
 * with "columns" for INSERT and UPDATE (the new row) and "identity" for
 * UPDATE and DELETE (the old row's key columns; every column when the table
 * has no key).  Numbers and booleans are JSON numbers and booleans; a
 * number (numeric, float, integer) is written with every digit of its
 * text, and NaN and the infinities, which JSON has no numbers for, are
 * strings.
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

/* Whether v is a JSON number as written (RFC 8259): PostgreSQL's output of
 * integers, numeric and floats is, but for NaN and the infinities. */
static bool json_number_text(const char *v)
{
	const char *p = v;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p += strspn(p, "0123456789");
	else
		return false;
	if (*p == '.') {
		size_t n = strspn(++p, "0123456789");
		if (n == 0)
			return false;
		p += n;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		size_t n = strspn(p, "0123456789");
		if (n == 0)
			return false;
		p += n;
	}
	return *p == '\0';
}

/* Append s as a JSON string. */
static void put_string(Buf *b, const char *s)
{
	json_t *j = json_string(s);
	char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	if (d)
		buf_put_str(b, d);
	else
		b->failed = true;
	free(d);
	json_decref(j);
}

/* Append a column's value: numbers (integers, numeric, floats) as JSON
 * numbers with every digit of their text, booleans as booleans, NULL as
 * null, everything else (NaN and Infinity too) as a string. */
static void put_value(Buf *b, uint32_t type, const char *v)
{
	if (!v) {
		buf_put_str(b, "null");
		return;
	}
	switch (type) {
	case 16: buf_put_str(b, strcmp(v, "t") == 0 ? "true" : "false"); return;
	case 20: case 21: case 23: case 26: case 700: case 701: case 1700:
		if (json_number_text(v)) {
			buf_put_str(b, v);
			return;
		}
		break;
	default: break;
	}
	put_string(b, v);
}

/* Append ,"key":[{"name":..,"type":..,"value":..},...] for the row's
 * columns (identity: the key's, or every column without a key). */
static void put_columns(Buf *b, const char *key, const CdcRel *rel, char *const *vals, bool identity)
{
	bool has_key = cdc_rel_has_key(rel);
	char tb[CDC_TYPE_NAME_LEN];
	buf_printf(b, ",\"%s\":[", key);
	bool first = true;
	for (int i = 0; i < rel->ncols; i++) {
		const CdcColumn *c = &rel->cols[i];
		if (identity && has_key && !c->key)
			continue;
		buf_put_str(b, first ? "{\"name\":" : ",{\"name\":");
		first = false;
		put_string(b, c->name);
		buf_put_str(b, ",\"type\":");
		put_string(b, cdc_type_name(c->type, tb, sizeof(tb)));
		buf_put_str(b, ",\"value\":");
		put_value(b, c->type, vals[i]);
		buf_put_str(b, "}");
	}
	buf_put_str(b, "]");
}

/* Emit o with a change's rows after its members (row values are written
 * from their text, which jansson's numbers would round). */
static void emit_json_rows(json_t *o, const CdcChange *c, uint64_t lsn, CdcEmitFn emit, void *arg)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return;
	Buf b;
	buf_init(&b);
	buf_put(&b, s, strlen(s) - 1); /* without its closing brace */
	free(s);
	if (c && c->new)
		put_columns(&b, "columns", c->rel, c->new, false);
	if (c && c->old)
		put_columns(&b, "identity", c->rel, c->old, true);
	buf_put_str(&b, "}");
	if (!b.failed)
		emit(arg, lsn, b.data, b.len);
	buf_cleanup(&b);
}

static void emit_json(json_t *o, uint64_t lsn, CdcEmitFn emit, void *arg) { emit_json_rows(o, NULL, lsn, emit, arg); }

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
		emit_json_rows(o, c, t->lsn, emit, arg);
	}
	emit_json(action(j, t, "C", t->lsn + 1), t->lsn + 1, emit, arg);
}
