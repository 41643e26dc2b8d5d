/*
 * pgtype_format.h - type names as PostgreSQL's format_type() spells them,
 * for code outside the engine (the change stream's plugins).
 */
#ifndef DOSQL_PGTYPE_FORMAT_H
#define DOSQL_PGTYPE_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* format_type(oid, typmod) into b: "integer", "character varying(120)",
 * "numeric(12,2)", "timestamp(3) with time zone", "text[]"; "???" for an
 * unknown OID.  typmod_given false is format_type(oid, NULL), the spelling
 * test_decoding prints (format_type_be: "character" for bpchar). */
void pgt_format_type(Buf *b, uint32_t oid, int32_t typmod, bool typmod_given);

#endif
