/*
 * decoding.c - output plugins (cdc.h): test_decoding's text, exactly as
 * PostgreSQL 15's contrib/test_decoding prints it; pgoutput and the JSON
 * format are in pgoutput.c and json.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdc/cdc.h"
#include "cdc/plugin.h"
#include "common/pgident.h"
#include "common/pgtime.h"
#include "pgsql/pgtype_format.h"

void cdc_change_free(CdcChange *c)
{
	for (int k = 0; k < c->rel->ncols; k++) {
		if (c->old)
			free(c->old[k]);
		if (c->new)
			free(c->new[k]);
	}
	free(c->old);
	free(c->new);
}

void cdc_txn_free(CdcTxn *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++)
		cdc_change_free(&t->changes[i]);
	free(t->changes);
	free(t->gid);
	free(t);
}

const char *cdc_type_name(uint32_t oid, char *buf, size_t n)
{
	Buf b;
	buf_init(&b);
	pgt_format_type(&b, oid, -1, false);
	snprintf(buf, n, "%.*s", b.failed ? 0 : (int)b.len, b.failed ? "" : (const char *)b.data);
	buf_cleanup(&b);
	return buf;
}

/* ------------------------------------------------------------ options */

bool cdc_opt_bool(const CdcOption *o, bool *out, char sqlstate[6], char *err, size_t errlen)
{
	if (cdc_parse_bool(o->value, out))
		return true;
	snprintf(sqlstate, 6, "22023");
	snprintf(err, errlen, "could not parse value \"%s\" for parameter \"%s\"", o->value, o->name);
	return false;
}

bool cdc_opt_unknown(const CdcOption *o, char sqlstate[6], char *err, size_t errlen)
{
	snprintf(sqlstate, 6, "22023");
	snprintf(err, errlen, "option \"%s\" = \"%s\" is unknown", o->name, o->value ? o->value : "(null)");
	return false;
}

/* ------------------------------------------------------------ test_decoding */

typedef struct TestDecoding {
	bool include_xids, include_timestamp, skip_empty;
} TestDecoding;

static void *td_create(const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err, size_t errlen)
{
	(void)pubs;
	TestDecoding td = {.include_xids = true};
	for (int i = 0; i < start->nopts; i++) {
		const CdcOption *o = &start->opts[i];
		bool v, ok;
		if (strcmp(o->name, "include-xids") == 0)
			ok = cdc_opt_bool(o, &td.include_xids, sqlstate, err, errlen);
		else if (strcmp(o->name, "include-timestamp") == 0)
			ok = cdc_opt_bool(o, &td.include_timestamp, sqlstate, err, errlen);
		else if (strcmp(o->name, "skip-empty-xacts") == 0)
			ok = cdc_opt_bool(o, &td.skip_empty, sqlstate, err, errlen);
		else if (strcmp(o->name, "only-local") == 0 || strcmp(o->name, "force-binary") == 0 ||
			 strcmp(o->name, "include-rewrites") == 0 || strcmp(o->name, "stream-changes") == 0)
			ok = cdc_opt_bool(o, &v, sqlstate, err, errlen); /* nothing here changes with them */
		else
			ok = cdc_opt_unknown(o, sqlstate, err, errlen);
		if (!ok)
			return NULL;
	}
	TestDecoding *p = malloc(sizeof(*p));
	if (p)
		*p = td;
	return p;
}

/* A value as test_decoding's print_literal() writes it. */
static void literal(Buf *b, uint32_t type, const char *v)
{
	switch (type) {
	case 20: case 21: case 23: case 26: case 700: case 701: case 1700:
		buf_put_str(b, v);
		return;
	case 16:
		buf_put_str(b, strcmp(v, "t") == 0 ? "true" : "false");
		return;
	case 1560: case 1562:
		buf_printf(b, "B'%s'", v);
		return;
	default:
		buf_put_u8(b, '\'');
		for (const char *p = v; *p; p++) {
			if (*p == '\'')
				buf_put_u8(b, '\'');
			buf_put_u8(b, (uint8_t)*p);
		}
		buf_put_u8(b, '\'');
	}
}

/* The columns of a row (only the key ones, NULLs skipped, for an old key). */
static void tuple(Buf *b, const CdcRel *rel, char *const *vals, bool key_only)
{
	char tb[CDC_TYPE_NAME_LEN];
	for (int i = 0; i < rel->ncols; i++) {
		const CdcColumn *c = &rel->cols[i];
		if (key_only && (!c->key || !vals[i]))
			continue;
		buf_put_u8(b, ' ');
		pgi_put_ident(b, c->name);
		buf_printf(b, "[%s]:", cdc_type_name(c->type, tb, sizeof(tb)));
		if (vals[i])
			literal(b, c->type, vals[i]);
		else
			buf_put_str(b, "null");
	}
}

bool cdc_rel_has_key(const CdcRel *rel)
{
	for (int i = 0; i < rel->ncols; i++)
		if (rel->cols[i].key)
			return true;
	return false;
}

bool cdc_key_changed(const CdcChange *c)
{
	for (int i = 0; i < c->rel->ncols; i++) {
		const char *a = c->old[i], *b = c->new[i];
		if (c->rel->cols[i].key && ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0)))
			return true;
	}
	return false;
}

static void td_change(Buf *b, const CdcChange *c)
{
	buf_put_str(b, "table public.");
	pgi_put_ident(b, c->rel->name);
	buf_put_str(b, ": ");
	bool key = cdc_rel_has_key(c->rel);
	switch (c->op) {
	case 'I':
		buf_put_str(b, "INSERT:");
		tuple(b, c->rel, c->new, false);
		break;
	case 'U':
		buf_put_str(b, "UPDATE:");
		/* the old row goes with every UPDATE under REPLICA IDENTITY FULL,
		 * with one that changed the key otherwise */
		if (key && (c->rel->replident == 'f' || cdc_key_changed(c))) {
			buf_put_str(b, " old-key:");
			tuple(b, c->rel, c->old, true);
			buf_put_str(b, " new-tuple:");
		}
		tuple(b, c->rel, c->new, false);
		break;
	default:
		buf_put_str(b, "DELETE:");
		if (key)
			tuple(b, c->rel, c->old, true);
		else
			buf_put_str(b, " (no-tuple-data)");
		break;
	}
}

/* One TRUNCATE statement: the TRUNCATEs from changes[at] on, each table
 * once ("table public.a, public.b: TRUNCATE: (no-flags)"); returns the
 * index of the last change it took. */
static int td_truncate(Buf *b, const CdcTxn *t, int at)
{
	int end = at;
	while (end + 1 < t->n && t->changes[end + 1].op == 'T' && t->changes[end + 1].flags == t->changes[at].flags)
		end++;
	buf_put_str(b, "table ");
	for (int i = at; i <= end; i++) {
		bool dup = false;
		for (int k = at; k < i && !dup; k++)
			dup = t->changes[k].rel == t->changes[i].rel;
		if (dup)
			continue;
		if (i > at)
			buf_put_str(b, ", ");
		buf_put_str(b, "public.");
		pgi_put_ident(b, t->changes[i].rel->name);
	}
	buf_put_str(b, ": TRUNCATE:");
	uint8_t f = t->changes[at].flags;
	if (f & CDC_TRUNCATE_RESTART)
		buf_put_str(b, " restart_seqs");
	if (f & CDC_TRUNCATE_CASCADE)
		buf_put_str(b, " cascade");
	if (!f)
		buf_put_str(b, " (no-flags)");
	return end;
}

void cdc_format_time(Buf *b, int64_t unix_us)
{
	char t[PGT_UTC_LEN];
	pgtime_utc(unix_us, t, sizeof(t));
	buf_put_str(b, t);
}

static void td_txn(void *state, const CdcTxn *t, CdcEmitFn emit, void *arg)
{
	TestDecoding *td = state;
	if (td->skip_empty && t->n == 0)
		return;
	Buf b;
	buf_init(&b);
	if (td->include_xids)
		buf_printf(&b, "BEGIN %u", t->xid);
	else
		buf_put_str(&b, "BEGIN");
	emit(arg, t->lsn, b.data, b.len);
	for (int i = 0; i < t->n; i++) {
		buf_reset(&b);
		if (t->changes[i].op == 'T')
			i = td_truncate(&b, t, i);
		else
			td_change(&b, &t->changes[i]);
		emit(arg, t->lsn, b.data, b.len);
	}
	buf_reset(&b);
	if (td->include_xids)
		buf_printf(&b, "COMMIT %u", t->xid);
	else
		buf_put_str(&b, "COMMIT");
	if (td->include_timestamp) {
		buf_put_str(&b, " (at ");
		cdc_format_time(&b, t->hlc);
		buf_put_str(&b, ")");
	}
	emit(arg, t->lsn + 1, b.data, b.len);
	buf_cleanup(&b);
}

/* ------------------------------------------------------------ the plugins */

static const CdcPluginOps plugins[] = {
	{"test_decoding", td_create, td_txn, free},
	{"pgoutput", cdc_pgoutput_create, cdc_pgoutput_txn, cdc_pgoutput_free},
	{"dosql_json", cdc_json_create, cdc_json_txn, free},
};

struct CdcPlugin {
	const CdcPluginOps *ops;
	void *state;
};

static const CdcPluginOps *find(const char *name)
{
	for (size_t i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++)
		if (strcmp(plugins[i].name, name) == 0)
			return &plugins[i];
	return NULL;
}

bool cdc_plugin_known(const char *name) { return find(name) != NULL; }

CdcPlugin *cdc_plugin_create(const char *name, const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err,
			     size_t errlen)
{
	const CdcPluginOps *ops = find(name);
	if (!ops) {
		snprintf(sqlstate, 6, "58P01");
		snprintf(err, errlen, "could not access file \"%s\": No such file or directory", name);
		return NULL;
	}
	void *state = ops->create(start, pubs, sqlstate, err, errlen);
	if (!state)
		return NULL;
	CdcPlugin *p = malloc(sizeof(*p));
	if (!p) {
		ops->free(state);
		snprintf(sqlstate, 6, "53200");
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->ops = ops;
	p->state = state;
	return p;
}

void cdc_plugin_free(CdcPlugin *p)
{
	if (!p)
		return;
	p->ops->free(p->state);
	free(p);
}

void cdc_plugin_txn(CdcPlugin *p, const CdcTxn *t, CdcEmitFn emit, void *arg) { p->ops->txn(p->state, t, emit, arg); }
