/*
 * pgoutput.c - PostgreSQL's logical replication protocol (pgoutput),
 * versions 1 to 3, as a PostgreSQL 15 subscriber reads it: Begin, Relation
 * before a table's first change in the stream, Insert/Update/Delete with
 * text tuples, Commit.  Only the tables of the requested publications go
 * out, and transactions with none of their changes are skipped whole, as
 * PostgreSQL 15 does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdc/plugin.h"
#include "cdc/publication.h"

typedef struct PgOutput {
	const CdcPubs *pubs; /* borrowed */
	uint32_t proto;
	int npub;
	char **pub; /* owned */
} PgOutput;

void cdc_pgoutput_free(void *state)
{
	PgOutput *p = state;
	if (!p)
		return;
	for (int i = 0; i < p->npub; i++)
		free(p->pub[i]);
	free(p->pub);
	free(p);
}

static bool fail(char sqlstate[6], const char *code, char *err, size_t errlen, const char *msg, const char *arg)
{
	snprintf(sqlstate, 6, "%s", code);
	snprintf(err, errlen, msg, arg);
	return false;
}

/* SplitIdentifierString(value, ','): names, quoted or lower-cased. */
static bool split_names(PgOutput *p, const char *v)
{
	const char *s = v;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		char name[CDC_NAME_MAX * 2];
		size_t n = 0;
		if (*s == '"') {
			for (s++;; s++) {
				if (!*s)
					return false;
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"')
					break;
				if (n + 1 < sizeof(name))
					name[n++] = *s;
			}
			s++;
		} else {
			while (*s && *s != ',' && *s != ' ' && *s != '\t' && *s != '\n') {
				if (n + 1 < sizeof(name))
					name[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
				s++;
			}
		}
		if (n == 0)
			return false;
		name[n] = 0;
		char **pub = realloc(p->pub, sizeof(char *) * (size_t)(p->npub + 1));
		if (!pub)
			return false;
		p->pub = pub;
		p->pub[p->npub++] = strdup(name);
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			return true;
		if (*s++ != ',')
			return false;
	}
}

void *cdc_pgoutput_create(const CdcCmd *start, const CdcPubs *pubs, char sqlstate[6], char *err, size_t errlen)
{
	PgOutput *p = calloc(1, sizeof(*p));
	bool ok = p != NULL, proto_given = false, pubs_given = false, streaming = false, two_phase = false, b;
	if (p)
		p->pubs = pubs;
	for (int i = 0; ok && i < start->nopts; i++) {
		const CdcOption *o = &start->opts[i];
		if (strcmp(o->name, "proto_version") == 0) {
			char *end;
			unsigned long v = o->value ? strtoul(o->value, &end, 10) : 0;
			if (proto_given)
				ok = fail(sqlstate, "42601", err, errlen, "conflicting or redundant options%s", "");
			else if (!o->value || *end || !*o->value)
				ok = fail(sqlstate, "22023", err, errlen, "invalid proto_version%s", "");
			else if (v > 0xFFFFFFFFul)
				ok = fail(sqlstate, "22023", err, errlen, "proto_version \"%s\" out of range", o->value);
			p->proto = (uint32_t)v;
			proto_given = true;
		} else if (strcmp(o->name, "publication_names") == 0) {
			if (pubs_given)
				ok = fail(sqlstate, "42601", err, errlen, "conflicting or redundant options%s", "");
			else if (!o->value || !split_names(p, o->value))
				ok = fail(sqlstate, "42602", err, errlen, "invalid publication_names syntax%s", "");
			pubs_given = true;
		} else if (strcmp(o->name, "streaming") == 0) {
			ok = cdc_opt_bool(o, &streaming, sqlstate, err, errlen);
		} else if (strcmp(o->name, "two_phase") == 0) {
			ok = cdc_opt_bool(o, &two_phase, sqlstate, err, errlen);
		} else if (strcmp(o->name, "binary") == 0 || strcmp(o->name, "messages") == 0) {
			/* values go as text, which a subscriber reads in either mode */
			ok = cdc_opt_bool(o, &b, sqlstate, err, errlen);
		} else {
			ok = fail(sqlstate, "XX000", err, errlen, "unrecognized pgoutput option: %s", o->name);
		}
	}
	char v[16];
	snprintf(v, sizeof(v), "%u", p ? p->proto : 0);
	if (ok && !proto_given)
		ok = fail(sqlstate, "22023", err, errlen, "proto_version option missing%s", "");
	else if (ok && p->proto < 1)
		ok = fail(sqlstate, "0A000", err, errlen, "client sent proto_version=%s but we only support protocol 1 or higher", v);
	else if (ok && p->proto > 3)
		ok = fail(sqlstate, "0A000", err, errlen, "client sent proto_version=%s but we only support protocol 3 or lower", v);
	else if (ok && !pubs_given)
		ok = fail(sqlstate, "22023", err, errlen, "publication_names parameter missing%s", "");
	else if (ok && streaming && p->proto < 2)
		ok = fail(sqlstate, "0A000", err, errlen, "requested proto_version=%s does not support streaming, need 2 or higher", v);
	else if (ok && two_phase && p->proto < 3)
		ok = fail(sqlstate, "0A000", err, errlen,
			  "requested proto_version=%s does not support two-phase commit, need 3 or higher", v);
	if (!ok) {
		if (!p)
			fail(sqlstate, "53200", err, errlen, "out of memory%s", "");
		cdc_pgoutput_free(p);
		return NULL;
	}
	return p;
}

static bool published(const PgOutput *p, const CdcRel *rel, char op)
{
	for (int i = 0; i < p->npub; i++)
		if (cdc_pubs_includes(p->pubs, p->pub[i], rel->name, op))
			return true;
	return false;
}

static void put_tuple(Buf *b, const CdcRel *rel, char *const *vals, bool key_only)
{
	buf_put_u16(b, (uint16_t)rel->ncols);
	for (int i = 0; i < rel->ncols; i++) {
		if (!vals[i] || (key_only && !rel->cols[i].key)) {
			buf_put_u8(b, 'n');
			continue;
		}
		size_t n = strlen(vals[i]);
		buf_put_u8(b, 't');
		buf_put_u32(b, (uint32_t)n);
		buf_put(b, vals[i], n);
	}
}

static void relation(Buf *b, CdcRel *rel)
{
	buf_put_u8(b, 'R');
	buf_put_u32(b, rel->relid);
	buf_put_cstr(b, "public");
	buf_put_cstr(b, rel->name);
	buf_put_u8(b, (uint8_t)rel->replident);
	buf_put_u16(b, (uint16_t)rel->ncols);
	for (int i = 0; i < rel->ncols; i++) {
		buf_put_u8(b, rel->cols[i].key ? 1 : 0);
		buf_put_cstr(b, rel->cols[i].name);
		buf_put_u32(b, rel->cols[i].type);
		buf_put_u32(b, (uint32_t)rel->cols[i].typmod);
	}
}

void cdc_pgoutput_txn(void *state, const CdcTxn *t, CdcEmitFn emit, void *arg)
{
	PgOutput *p = state;
	Buf b;
	buf_init(&b);
	int64_t ts = cdc_pg_time(t->hlc);
	bool begun = false;
	for (int i = 0; i < t->n; i++) {
		CdcChange *c = &t->changes[i];
		bool key = cdc_rel_has_key(c->rel);
		if (!published(p, c->rel, c->op) || (c->op == 'D' && !key))
			continue;
		if (!begun) {
			buf_reset(&b);
			buf_put_u8(&b, 'B');
			buf_put_u64(&b, t->lsn);
			buf_put_u64(&b, (uint64_t)ts);
			buf_put_u32(&b, t->xid);
			emit(arg, t->lsn, b.data, b.len);
			begun = true;
		}
		if (!c->rel->sent) {
			buf_reset(&b);
			relation(&b, c->rel);
			emit(arg, 0, b.data, b.len);
			c->rel->sent = true;
		}
		buf_reset(&b);
		if (c->op == 'T') {
			/* one table per message: the shards truncate each on their own */
			bool dup = false;
			for (int k = 0; k < i && !dup; k++)
				dup = t->changes[k].op == 'T' && t->changes[k].rel == c->rel;
			if (dup)
				continue;
			buf_put_u8(&b, 'T');
			buf_put_u32(&b, 1);
			buf_put_u8(&b, c->flags);
			buf_put_u32(&b, c->rel->relid);
			emit(arg, t->lsn, b.data, b.len);
			continue;
		}
		buf_put_u8(&b, (uint8_t)c->op);
		buf_put_u32(&b, c->rel->relid);
		/* the old row: whole ('O') under REPLICA IDENTITY FULL, its key
		 * ('K') when an UPDATE changed it, and for every DELETE */
		bool full = c->rel->replident == 'f';
		if (c->op == 'U' && key && (full || cdc_key_changed(c))) {
			buf_put_u8(&b, full ? 'O' : 'K');
			put_tuple(&b, c->rel, c->old, !full);
		}
		if (c->op == 'D') {
			buf_put_u8(&b, full ? 'O' : 'K');
			put_tuple(&b, c->rel, c->old, !full);
		} else {
			buf_put_u8(&b, 'N');
			put_tuple(&b, c->rel, c->new, false);
		}
		emit(arg, t->lsn, b.data, b.len);
	}
	if (begun) {
		buf_reset(&b);
		buf_put_u8(&b, 'C');
		buf_put_u8(&b, 0);
		buf_put_u64(&b, t->lsn);
		buf_put_u64(&b, t->lsn + 1);
		buf_put_u64(&b, (uint64_t)ts);
		emit(arg, t->lsn + 1, b.data, b.len);
	}
	buf_cleanup(&b);
}
