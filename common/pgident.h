/*
 * pgident.h - PostgreSQL's quote_identifier(): an identifier goes out bare
 * when it is all lower-case letters, digits and underscores, does not start
 * with a digit and is not a keyword other than an unreserved one;
 * otherwise in double quotes with quotes doubled.
 */
#ifndef DOSQL_PGIDENT_H
#define DOSQL_PGIDENT_H

#include <stdbool.h>

#include "common/buf.h"

bool pgi_needs_quotes(const char *id);
/* Append id as quote_identifier() would write it. */
void pgi_put_ident(Buf *b, const char *id);
/* Append id in double quotes, always. */
void pgi_put_quoted(Buf *b, const char *id);

#endif
