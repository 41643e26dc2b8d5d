/*
 * publication.h - CREATE PUBLICATION's catalog on the router: named sets of
 * tables (or all tables) and the operations they publish, kept in a JSON
 * file in the router's data directory, written whole and renamed into place
 * on every change.
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
	char *path; /* owned */
	int n;
	CdcPub *pubs; /* owned */
};

/* Load the file at path (missing: none yet); NULL with a message naming
 * the file when it cannot be read. */
CdcPubs *cdc_pubs_open(const char *path, char *err, size_t errlen);
void cdc_pubs_free(CdcPubs *p);
const CdcPub *cdc_pubs_find(const CdcPubs *p, const char *name);
/* Add (takes a copy of pub) or remove one and save; false with sqlstate
 * and message (42710 exists, 42704 missing, 58030 cannot write). */
bool cdc_pubs_add(CdcPubs *p, const CdcPub *pub, char sqlstate[6], char *err, size_t errlen);
bool cdc_pubs_drop(CdcPubs *p, const char *name, bool missing_ok, char sqlstate[6], char *err, size_t errlen);
/* Publication pub publishes op ('I', 'U', 'D', 'T') on table. */
bool cdc_pubs_includes(const CdcPubs *p, const char *pub, const char *table, char op);

#endif
