/*
 * publication.c - the router's publications (publication.h).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdc/publication.h"

static void pub_cleanup(CdcPub *p)
{
	free(p->name);
	for (int i = 0; i < p->ntables; i++)
		free(p->tables[i]);
	free(p->tables);
}

void cdc_pubs_free(CdcPubs *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		pub_cleanup(&p->pubs[i]);
	free(p->pubs);
	free(p->path);
	free(p);
}

static bool append(CdcPubs *p, const CdcPub *pub)
{
	CdcPub *np = realloc(p->pubs, sizeof(CdcPub) * (size_t)(p->n + 1));
	if (!np)
		return false;
	p->pubs = np;
	CdcPub *d = &p->pubs[p->n];
	*d = *pub;
	d->name = strdup(pub->name);
	d->tables = pub->ntables ? calloc((size_t)pub->ntables, sizeof(char *)) : NULL;
	for (int i = 0; i < pub->ntables; i++)
		d->tables[i] = strdup(pub->tables[i]);
	p->n++;
	return true;
}

CdcPubs *cdc_pubs_open(const char *path, char *err, size_t errlen)
{
	CdcPubs *p = calloc(1, sizeof(*p));
	if (!p || !(p->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		cdc_pubs_free(p);
		return NULL;
	}
	if (access(path, F_OK) != 0)
		return p;
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root || !json_is_object(root)) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, root ? "expected an object of publications" : je.text);
		json_decref(root);
		cdc_pubs_free(p);
		return NULL;
	}
	const char *name;
	json_t *v;
	json_object_foreach(root, name, v)
	{
		json_t *tables = json_object_get(v, "tables");
		const char *publish = json_string_value(json_object_get(v, "publish"));
		CdcPub pub = {.name = (char *)name, .all_tables = json_is_true(json_object_get(v, "all_tables"))};
		if (!publish)
			publish = "insert,update,delete,truncate";
		pub.ins = strstr(publish, "insert") != NULL;
		pub.upd = strstr(publish, "update") != NULL;
		pub.del = strstr(publish, "delete") != NULL;
		pub.trunc = strstr(publish, "truncate") != NULL;
		char *names[256];
		for (size_t i = 0; json_is_array(tables) && i < json_array_size(tables) && i < 256; i++)
			if (json_is_string(json_array_get(tables, i)))
				names[pub.ntables++] = (char *)json_string_value(json_array_get(tables, i));
		pub.tables = names;
		append(p, &pub);
	}
	json_decref(root);
	return p;
}

static bool save(const CdcPubs *p, char sqlstate[6], char *err, size_t errlen)
{
	json_t *root = json_object();
	for (int i = 0; i < p->n; i++) {
		const CdcPub *pub = &p->pubs[i];
		json_t *tables = json_array();
		for (int k = 0; k < pub->ntables; k++)
			json_array_append_new(tables, json_string(pub->tables[k]));
		char publish[64] = "";
		const char *ops[] = {pub->ins ? "insert" : NULL, pub->upd ? "update" : NULL, pub->del ? "delete" : NULL,
				     pub->trunc ? "truncate" : NULL};
		for (int k = 0; k < 4; k++)
			if (ops[k])
				snprintf(publish + strlen(publish), sizeof(publish) - strlen(publish), "%s%s",
					 publish[0] ? "," : "", ops[k]);
		json_object_set_new(root, pub->name,
				    json_pack("{s:b,s:o,s:s}", "all_tables", pub->all_tables, "tables", tables, "publish",
					      publish));
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->path);
	bool ok = json_dump_file(root, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 && rename(tmp, p->path) == 0;
	json_decref(root);
	if (!ok) {
		snprintf(sqlstate, 6, "58030");
		snprintf(err, errlen, "could not write \"%s\": %s", p->path, strerror(errno));
	}
	return ok;
}

const CdcPub *cdc_pubs_find(const CdcPubs *p, const char *name)
{
	for (int i = 0; p && i < p->n; i++)
		if (strcmp(p->pubs[i].name, name) == 0)
			return &p->pubs[i];
	return NULL;
}

bool cdc_pubs_add(CdcPubs *p, const CdcPub *pub, char sqlstate[6], char *err, size_t errlen)
{
	if (cdc_pubs_find(p, pub->name)) {
		snprintf(sqlstate, 6, "42710");
		snprintf(err, errlen, "publication \"%s\" already exists", pub->name);
		return false;
	}
	if (!append(p, pub)) {
		snprintf(sqlstate, 6, "53200");
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (save(p, sqlstate, err, errlen))
		return true;
	pub_cleanup(&p->pubs[--p->n]);
	return false;
}

bool cdc_pubs_drop(CdcPubs *p, const char *name, bool missing_ok, char sqlstate[6], char *err, size_t errlen)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->pubs[i].name, name) == 0) {
			pub_cleanup(&p->pubs[i]);
			p->pubs[i] = p->pubs[--p->n];
			return save(p, sqlstate, err, errlen);
		}
	if (missing_ok)
		return true;
	snprintf(sqlstate, 6, "42704");
	snprintf(err, errlen, "publication \"%s\" does not exist", name);
	return false;
}

bool cdc_pubs_includes(const CdcPubs *p, const char *pub, const char *table, char op)
{
	const CdcPub *x = cdc_pubs_find(p, pub);
	if (!x)
		return false;
	bool does = op == 'I' ? x->ins : op == 'U' ? x->upd : op == 'D' ? x->del : x->trunc;
	if (!does)
		return false;
	if (x->all_tables)
		return true;
	for (int i = 0; i < x->ntables; i++)
		if (strcmp(x->tables[i], table) == 0)
			return true;
	return false;
}
