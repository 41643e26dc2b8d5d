/*
 * vschema.h - the VSchema: which shards exist, which keyspace-id range each
 * one holds, how a column value maps to a keyspace id (vindexes) and where
 * each table lives.  Loaded once from a JSON file and immutable afterwards;
 * everything here is a pure function of the loaded schema.  Online changes
 * (dosql_shard_table() and friends) are to build a new VscSchema from the old
 * one plus the change (copy-on-write) and swap the pointer, so readers never
 * see a schema change under them.
 *
 * Keyspace ids are 64-bit unsigned.  A shard is named by the keyspace-id
 * range it holds, Vitess-style: "START-END", each side empty or an even
 * number (2..16) of hex digits read as the leading bytes of a 64-bit id;
 * START is inclusive, END exclusive, an empty START is 0 and an empty END is
 * 2^64.  "-40" is [0, 0x4000000000000000), "40-80" and "4000-8000" are
 * [0x4000000000000000, 0x8000000000000000), "c0-" is [0xc000000000000000,
 * 2^64) and "-" is the whole space.  The shards of a sharded keyspace must
 * cover the whole space without gaps or overlaps.
 *
 * The file (see etc/vschema.json):
 *
 *   {
 *     "sharded": true,
 *     "shards": [
 *       {"name": "-40", "host": "127.0.0.1", "port": 6433},
 *       {"name": "40-80", "socket_dir": "/run/dosql", "port": 6434},
 *       ...
 *     ],
 *     "vindexes": {
 *       "hash": {"type": "hash"},
 *       "num":  {"type": "numeric"}
 *     },
 *     "tables": {
 *       "accounts":  {"column_vindexes": [{"column": "aid", "name": "hash"}]},
 *       "countries": {"type": "reference"},
 *       "config":    {"pinned": "-40"}
 *     },
 *     "default_placement": {"pinned": "-40"}
 *   }
 *
 * - "sharded" (required boolean).  false: exactly one shard, with any name
 *   (Vitess uses "0"), holding the whole keyspace; tables are `{}`,
 *   reference or pinned, never column_vindexes.
 * - "shards" (required): an array of {"name", address} objects, or an object
 *   {"NAME": {address}, ...}.  The address is "host" (name or IP) or
 *   "socket_dir" (directory of the shard's unix socket), plus "port"
 *   (1..65535, required: the unix socket is socket_dir/.s.PGSQL.PORT).
 * - "vindexes": {"NAME": {"type": "hash" | "numeric" | "range", "params": {}}}.
 *   hash and numeric take no params.  range takes {"ranges": [{"from": V,
 *   "to": V, "shard": "SHARD"}, ...]}: a value v goes to the shard of the
 *   range with from <= v < to (either bound may be left out: open), the
 *   bounds strings or numbers in PostgreSQL text form of the column's
 *   type, compared as that type.  lookup and lookup_unique take
 *   {"table": T, "from": COLUMN, "to": COLUMN}: table T (placed like any
 *   other, best sharded by its "from" column) maps a value ("from") to the
 *   keyspace id (int8 "to") of its row; the router writes it in the
 *   transaction that inserts the row.  They are secondary vindexes only
 *   (never a table's first column vindex).
 * - "tables": {"NAME": entry}.  An entry is one of
 *     {"column_vindexes": [{"column": C, "name": VINDEX}, ...]}  sharded by
 *         the first (primary) column vindex; later ones are secondary;
 *     {"type": "reference"}   a full copy on every shard;
 *     {"pinned": "SHARD"}     unsharded, on the shard with that name.
 *   In an unsharded keyspace `{}` means pinned to its only shard.
 * - "default_placement" (optional): where CREATE TABLE puts a table that is
 *   not in "tables": {"pinned": "SHARD"} or {"type": "reference"}.  Absent:
 *   pinned to the shard holding keyspace id 0.
 * Unknown keys and duplicate keys are errors, so a typo never goes unseen.
 * Table, vindex, column and shard names are compared exactly (the router
 * passes table names as PostgreSQL resolved them: folded to lower case
 * unless quoted).
 *
 * Vindexes map a value of a column of a given PostgreSQL type to a keyspace
 * id:
 * - hash: XXH64 (seed 0) over a canonical encoding of the value: int2, int4
 *   and int8 values as the 8-byte big-endian int64, text/varchar as their
 *   bytes, bpchar without trailing spaces (as PostgreSQL compares it).  A
 *   text value for an integer column is parsed as that integer type first,
 *   so `WHERE id = 7` and `WHERE id = '7'` route alike.
 * - numeric: the integer value itself, as uint64 (two's complement: -1 is
 *   0xffffffffffffffff).  Integer columns only.
 * - range: the first keyspace id of the shard of the range holding the
 *   value (vindex_range.c).  Integer, numeric, date, timestamp,
 *   timestamptz (without an offset: UTC) and text columns (text compared
 *   bytewise, as the C collation does).  A value in no range is 22023.
 * - region (vindex_region.c), over (region column, key column), params
 *   {"regions": {"eu": "-80", "us": "80-"}}: each region names a range of
 *   first bytes (two hex digits a side, as shard names); the keyspace id's
 *   first byte is in the region's range (chosen by the key's hash), the
 *   other seven bytes are the key's hash, so a region's rows live on the
 *   shards of its range and (region, key) names one shard.
 * - multicol (vindex_multicol.c), params {"column_count": N,
 *   "column_bytes": [B1, ...]} (optional; default: 8 bytes shared out,
 *   the first columns taking one more): column i's hash gives the next Bi
 *   bytes of the keyspace id, so a prefix of the columns names a range of
 *   keyspace ids.
 * A table takes a vindex over several columns with {"columns": [C1, ...],
 * "name": V} in its column_vindexes.
 */
#ifndef DOSQL_VSCHEMA_H
#define DOSQL_VSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PostgreSQL type OIDs the vindexes know. */
#define VSC_OID_INT8 20
#define VSC_OID_INT2 21
#define VSC_OID_INT4 23
#define VSC_OID_TEXT 25
#define VSC_OID_BPCHAR 1042
#define VSC_OID_VARCHAR 1043

/* A failure mapping a value, as PostgreSQL would report it. */
typedef struct VscError {
	char sqlstate[6];
	char msg[256];
} VscError;

typedef enum VscVindexKind {
	VSC_VINDEX_HASH,
	VSC_VINDEX_NUMERIC,
	VSC_VINDEX_RANGE,
	VSC_VINDEX_LOOKUP,        /* secondary: a lookup table maps the value to keyspace ids */
	VSC_VINDEX_LOOKUP_UNIQUE, /* the same, one row per value: unique across the cluster */
	VSC_VINDEX_REGION,        /* (region, key): the first byte from the region, the rest a hash of the key */
	VSC_VINDEX_MULTICOL,      /* several columns, each hashed into its bytes of the keyspace id */
} VscVindexKind;

/* The most columns a vindex takes (multicol). */
#define VSC_MAX_VINDEX_COLUMNS 8

/* One region of a region vindex: its rows' keyspace ids start with a byte
 * in [lo, hi). */
typedef struct VscRegion {
	const char *name; /* arena */
	int lo, hi;       /* 0 <= lo < hi <= 256 */
} VscRegion;

/* One range of a range vindex: values from `from` (inclusive) up to `to`
 * (exclusive) go to the shard; NULL bounds are open. */
typedef struct VscRange {
	const char *from, *to; /* arena: the bounds in PostgreSQL text form */
	int shard;             /* index into the shards */
	uint64_t ksid;         /* the shard's first keyspace id */
} VscRange;

typedef struct VscVindex {
	const char *name; /* arena */
	VscVindexKind kind;
	const VscRange *ranges; /* arena; VSC_VINDEX_RANGE: in the file's order */
	int nranges;
	/* arena; lookup vindexes: the lookup table, its column holding the
	 * value and the one holding the keyspace id (int8) */
	const char *lookup_table, *lookup_from, *lookup_to;
	/* the columns it takes: 1, 2 for region (the region's, the key's),
	 * multicol's column_count */
	int ncolumns;
	const VscRegion *regions; /* arena; VSC_VINDEX_REGION */
	int nregions;
	/* VSC_VINDEX_MULTICOL: the keyspace id's bytes each column gives, in
	 * order (they add up to 8) */
	int column_bytes[VSC_MAX_VINDEX_COLUMNS];
} VscVindex;

typedef struct VscColumnVindex {
	const char *column;      /* arena: the first of columns */
	const VscVindex *vindex; /* borrowed from the schema */
	const char *const *columns; /* arena: vindex->ncolumns of them */
} VscColumnVindex;

typedef enum VscPlacement {
	VSC_SHARDED,   /* by col_vindexes[0] */
	VSC_REFERENCE, /* on every shard */
	VSC_PINNED,    /* on one shard */
} VscPlacement;

typedef struct VscTable {
	const char *name; /* arena; NULL for the default placement */
	VscPlacement placement;
	const VscColumnVindex *col_vindexes; /* arena; VSC_SHARDED only, [0] is primary */
	int n_col_vindexes;
	int shard; /* VSC_PINNED: index into the shards */
} VscTable;

typedef struct VscShard {
	const char *name;       /* arena */
	uint64_t start;         /* first keyspace id held */
	uint64_t last;          /* last keyspace id held (inclusive) */
	const char *host;       /* arena; NULL when socket_dir is set */
	const char *socket_dir; /* arena; NULL when host is set */
	int port;
} VscShard;

typedef struct VscSchema VscSchema;

/* ---- loading */

/* Read and validate the vschema in the JSON file at path.  Returns the
 * schema (free with vsc_free) or NULL with a message in err naming the file
 * and, for a syntax error, "path:line:column: message", otherwise
 * "path: json.path: what was expected". */
VscSchema *vsc_load(const char *path, char *err, size_t errsz);

/* The same, with the "tables" of the JSON file at overlay (when it exists)
 * replacing or adding to those of path: placements changed while running
 * (dosql_shard_table), kept beside the file. */
VscSchema *vsc_load_overlay(const char *path, const char *overlay, char *err, size_t errsz);

/* Free a schema from vsc_load; NULL is allowed. */
void vsc_free(VscSchema *s);

/* Parse a shard name as a keyspace-id range into [*start, *last].  Returns
 * false for anything but "START-END" with each side empty or 2..16 (even)
 * hex digits and START < END. */
bool vsc_range_parse(const char *name, uint64_t *start, uint64_t *last)
	__attribute__((warn_unused_result));

/* ---- shards: indexes 0..count-1 in keyspace order */

bool vsc_sharded(const VscSchema *s);
int vsc_shard_count(const VscSchema *s);
/* The shard at index i (0 <= i < vsc_shard_count). */
const VscShard *vsc_shard(const VscSchema *s, int i);
/* Index of the shard named name, or -1. */
int vsc_shard_by_name(const VscSchema *s, const char *name);
/* Index of the shard whose range holds ksid; always one, since the ranges
 * cover the keyspace. */
int vsc_shard_for_ksid(const VscSchema *s, uint64_t ksid);

/* ---- vindexes and tables */

/* The first hash vindex the file declares, or NULL. */
const VscVindex *vsc_default_vindex(const VscSchema *s);
/* The vindex named name, or NULL. */
const VscVindex *vsc_vindex(const VscSchema *s, const char *name);
/* The placement of table name, or NULL when the vschema does not list it
 * (then vsc_default_placement applies). */
const VscTable *vsc_table(const VscSchema *s, const char *name);
/* Where a table not in the vschema goes: VSC_PINNED or VSC_REFERENCE. */
const VscTable *vsc_default_placement(const VscSchema *s);
/* Tables in name order, for SHOW VSCHEMA: 0 <= i < vsc_table_count. */
int vsc_table_count(const VscSchema *s);
const VscTable *vsc_table_at(const VscSchema *s, int i);

const char *vsc_vindex_kind_str(VscVindexKind k);
/* Whether v is a lookup or lookup_unique vindex (not a function of the value). */
bool vsc_vindex_is_lookup(const VscVindex *v);
const char *vsc_placement_str(VscPlacement p);

/* ---- vindex functions: value of a column of type oid -> keyspace id */

/* A value in PostgreSQL text form (a literal, a text-format parameter), len
 * bytes at s.  For an integer column the text is parsed as that type, as
 * PostgreSQL would: 22P02 for "7.5" or "abc", 22003 when out of range.  A
 * column type the vindex does not support fails with 0A000. */
bool vsc_ksid_text(const VscVindex *v, uint32_t oid, const char *s, size_t len, uint64_t *ksid,
		   VscError *err) __attribute__((warn_unused_result));

/* An integer value (an integer literal, a parsed int parameter).  Fails with
 * 42804 for a text column, 0A000 for a type the vindex does not support. */
bool vsc_ksid_int(const VscVindex *v, uint32_t oid, int64_t value, uint64_t *ksid, VscError *err)
	__attribute__((warn_unused_result));

/* A binary-format parameter: int2/int4/int8 big-endian of exactly 2/4/8
 * bytes (22P03 otherwise), text types as their bytes. */
bool vsc_ksid_binary(const VscVindex *v, uint32_t oid, const uint8_t *data, size_t len,
		     uint64_t *ksid, VscError *err) __attribute__((warn_unused_result));

/* The shards whose ranges overlap the values from lo to hi of a range
 * vindex (a range predicate: lo or hi NULL for an open side, *_incl for
 * >= and <=, in text form of type oid), as the first keyspace id of each,
 * at most max, in *n.  *n = -1 when the values cannot be compared in
 * PostgreSQL's order here (text, whose order is the collation's): the
 * caller reads every shard.  False with err for a bound that is not of
 * the type. */
bool vsc_range_ksids(const VscVindex *v, uint32_t oid, const char *lo, bool lo_incl, const char *hi, bool hi_incl,
		     uint64_t *ksids, int max, int *n, VscError *err) __attribute__((warn_unused_result));

/* Vindexes over several columns (region, multicol): the keyspace ids the
 * values of the first n of the vindex's columns allow, [*lo, *hi] (the
 * one keyspace id when n is all of them; n = 0: the whole space).  Each
 * value is in PostgreSQL text form of its column's type (types[i]); a
 * region column takes text types, the others integers and text.  An
 * unknown region is 22023; a type it does not take 0A000. */
bool vsc_ksid_columns(const VscVindex *v, int n, const uint32_t *types, const char *const *values, uint64_t *lo,
		      uint64_t *hi, VscError *err) __attribute__((warn_unused_result));

/* The SQL name of a type OID ("bigint", "text", ...), or NULL if unknown. */
const char *vsc_type_name(uint32_t oid);

#endif
