/*
 * publication.c - the publications of a stream (publication.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cdc/publication.h"

static void pub_cleanup(CdcPub *p)
{
	free(p->name);
	for (int i = 0; i < p->ntables; i++)
		free(p->tables[i]);
	free(p->tables);
}

CdcPubs *cdc_pubs_new(void) { return calloc(1, sizeof(CdcPubs)); }

void cdc_pubs_free(CdcPubs *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		pub_cleanup(&p->pubs[i]);
	free(p->pubs);
	free(p);
}

const CdcPub *cdc_pubs_find(const CdcPubs *p, const char *name)
{
	for (int i = 0; p && i < p->n; i++)
		if (strcmp(p->pubs[i].name, name) == 0)
			return &p->pubs[i];
	return NULL;
}

bool cdc_pubs_add(CdcPubs *p, const CdcPub *pub)
{
	CdcPub *np = realloc(p->pubs, sizeof(CdcPub) * (size_t)(p->n + 1));
	if (!np)
		return false;
	p->pubs = np;
	CdcPub *d = &p->pubs[p->n];
	*d = *pub;
	d->ntables = 0;
	d->tables = NULL;
	if (!(d->name = strdup(pub->name)))
		return false;
	p->n++;
	for (int i = 0; i < pub->ntables; i++)
		if (!cdc_pubs_add_table(p, pub->name, pub->tables[i]))
			return false;
	return true;
}

bool cdc_pubs_add_table(CdcPubs *p, const char *name, const char *table)
{
	CdcPub *x = (CdcPub *)cdc_pubs_find(p, name);
	if (!x)
		return false;
	char **t = realloc(x->tables, sizeof(char *) * (size_t)(x->ntables + 1));
	if (!t)
		return false;
	x->tables = t;
	if (!(x->tables[x->ntables] = strdup(table)))
		return false;
	x->ntables++;
	return true;
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
