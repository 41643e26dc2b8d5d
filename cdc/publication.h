/*
 * publication.h - the publications a pgoutput stream filters by: named
 * sets of tables (or all tables) and the operations they publish.  The
 * shards keep them (CREATE PUBLICATION runs on every shard, shard/
 * publication.c); a stream reads them when it starts.
 */
#ifndef DOSQL_CDC_PUBLICATION_H
#define DOSQL_CDC_PUBLICATION_H

#include <stdbool.h>
#include <stddef.h>

#include "cdc/cdc.h"

typedef struct CdcPub {
	char *name; /* owned */
	bool all_tables;
	bool ins, upd, del, trunc;
	int ntables;
	char **tables; /* owned */
} CdcPub;

struct CdcPubs {
	int n;
	CdcPub *pubs; /* owned */
};

CdcPubs *cdc_pubs_new(void);
void cdc_pubs_free(CdcPubs *p);
const CdcPub *cdc_pubs_find(const CdcPubs *p, const char *name);
/* Add a publication (copied); false when out of memory. */
bool cdc_pubs_add(CdcPubs *p, const CdcPub *pub);
/* Add a table to publication `name`; false when there is none or out of memory. */
bool cdc_pubs_add_table(CdcPubs *p, const char *name, const char *table);
/* Publication pub publishes op ('I', 'U', 'D', 'T') on table. */
bool cdc_pubs_includes(const CdcPubs *p, const char *pub, const char *table, char op);

#endif
