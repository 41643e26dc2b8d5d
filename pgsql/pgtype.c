/*
 * pgtype.c - PostgreSQL types over SQLite storage: the pg_type table, name
 * resolution, and the input, output, send and receive entry points that
 * dispatch to each type's routines.
 *
 * Numbers live in pgtype_num.c, date/time types in pgtype_time.c and JSON
 * in pgtype_json.c; text, bytea, uuid and array types are here.
 */
#include "pgsql/pgtype_int.h"
#include "pgsql/pgtime_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ type table */

/* pg_type rows of PostgreSQL 15, with an array type row for every type
 * that has one; sorted by OID. */
const PgType pgt_types[] = {
	{16, "bool", 1, true, 'B', 1000, 0},
	{17, "bytea", -1, false, 'U', 1001, 0},
	{18, "char", 1, true, 'Z', 1002, 0},
	{19, "name", 64, false, 'S', 1003, 18},
	{20, "int8", 8, true, 'N', 1016, 0},
	{21, "int2", 2, true, 'N', 1005, 0},
	{22, "int2vector", -1, false, 'A', 1006, 21},
	{23, "int4", 4, true, 'N', 1007, 0},
	{24, "regproc", 4, true, 'N', 1008, 0},
	{25, "text", -1, false, 'S', 1009, 0},
	{26, "oid", 4, true, 'N', 1028, 0},
	{27, "tid", 6, false, 'U', 1010, 0},
	{28, "xid", 4, true, 'U', 1011, 0},
	{29, "cid", 4, true, 'U', 1012, 0},
	{30, "oidvector", -1, false, 'A', 1013, 26},
	{32, "pg_ddl_command", 8, true, 'P', 0, 0},
	{114, "json", -1, false, 'U', 199, 0},
	{142, "xml", -1, false, 'U', 143, 0},
	{143, "_xml", -1, false, 'A', 0, 142},
	{194, "pg_node_tree", -1, false, 'Z', 0, 0},
	{199, "_json", -1, false, 'A', 0, 114},
	{269, "table_am_handler", 4, true, 'P', 0, 0},
	{325, "index_am_handler", 4, true, 'P', 0, 0},
	{600, "point", 16, false, 'G', 1017, 701},
	{601, "lseg", 32, false, 'G', 1018, 600},
	{602, "path", -1, false, 'G', 1019, 0},
	{603, "box", 32, false, 'G', 1020, 600},
	{604, "polygon", -1, false, 'G', 1027, 0},
	{628, "line", 24, false, 'G', 629, 701},
	{629, "_line", -1, false, 'A', 0, 628},
	{650, "cidr", -1, false, 'I', 651, 0},
	{651, "_cidr", -1, false, 'A', 0, 650},
	{700, "float4", 4, true, 'N', 1021, 0},
	{701, "float8", 8, true, 'N', 1022, 0},
	{705, "unknown", -2, false, 'X', 0, 0},
	{718, "circle", 24, false, 'G', 719, 0},
	{719, "_circle", -1, false, 'A', 0, 718},
	{774, "macaddr8", 8, false, 'U', 775, 0},
	{775, "_macaddr8", -1, false, 'A', 0, 774},
	{790, "money", 8, true, 'N', 791, 0},
	{791, "_money", -1, false, 'A', 0, 790},
	{829, "macaddr", 6, false, 'U', 1040, 0},
	{869, "inet", -1, false, 'I', 1041, 0},
	{1000, "_bool", -1, false, 'A', 0, 16},
	{1001, "_bytea", -1, false, 'A', 0, 17},
	{1002, "_char", -1, false, 'A', 0, 18},
	{1003, "_name", -1, false, 'A', 0, 19},
	{1005, "_int2", -1, false, 'A', 0, 21},
	{1006, "_int2vector", -1, false, 'A', 0, 22},
	{1007, "_int4", -1, false, 'A', 0, 23},
	{1008, "_regproc", -1, false, 'A', 0, 24},
	{1009, "_text", -1, false, 'A', 0, 25},
	{1010, "_tid", -1, false, 'A', 0, 27},
	{1011, "_xid", -1, false, 'A', 0, 28},
	{1012, "_cid", -1, false, 'A', 0, 29},
	{1013, "_oidvector", -1, false, 'A', 0, 30},
	{1014, "_bpchar", -1, false, 'A', 0, 1042},
	{1015, "_varchar", -1, false, 'A', 0, 1043},
	{1016, "_int8", -1, false, 'A', 0, 20},
	{1017, "_point", -1, false, 'A', 0, 600},
	{1018, "_lseg", -1, false, 'A', 0, 601},
	{1019, "_path", -1, false, 'A', 0, 602},
	{1020, "_box", -1, false, 'A', 0, 603},
	{1021, "_float4", -1, false, 'A', 0, 700},
	{1022, "_float8", -1, false, 'A', 0, 701},
	{1027, "_polygon", -1, false, 'A', 0, 604},
	{1028, "_oid", -1, false, 'A', 0, 26},
	{1033, "aclitem", 12, false, 'U', 1034, 0},
	{1034, "_aclitem", -1, false, 'A', 0, 1033},
	{1040, "_macaddr", -1, false, 'A', 0, 829},
	{1041, "_inet", -1, false, 'A', 0, 869},
	{1042, "bpchar", -1, false, 'S', 1014, 0},
	{1043, "varchar", -1, false, 'S', 1015, 0},
	{1082, "date", 4, true, 'D', 1182, 0},
	{1083, "time", 8, true, 'D', 1183, 0},
	{1114, "timestamp", 8, true, 'D', 1115, 0},
	{1115, "_timestamp", -1, false, 'A', 0, 1114},
	{1182, "_date", -1, false, 'A', 0, 1082},
	{1183, "_time", -1, false, 'A', 0, 1083},
	{1184, "timestamptz", 8, true, 'D', 1185, 0},
	{1185, "_timestamptz", -1, false, 'A', 0, 1184},
	{1186, "interval", 16, false, 'T', 1187, 0},
	{1187, "_interval", -1, false, 'A', 0, 1186},
	{1231, "_numeric", -1, false, 'A', 0, 1700},
	{1263, "_cstring", -1, false, 'A', 0, 2275},
	{1266, "timetz", 12, false, 'D', 1270, 0},
	{1270, "_timetz", -1, false, 'A', 0, 1266},
	{1560, "bit", -1, false, 'V', 1561, 0},
	{1561, "_bit", -1, false, 'A', 0, 1560},
	{1562, "varbit", -1, false, 'V', 1563, 0},
	{1563, "_varbit", -1, false, 'A', 0, 1562},
	{1700, "numeric", -1, false, 'N', 1231, 0},
	{1790, "refcursor", -1, false, 'U', 2201, 0},
	{2201, "_refcursor", -1, false, 'A', 0, 1790},
	{2202, "regprocedure", 4, true, 'N', 2207, 0},
	{2203, "regoper", 4, true, 'N', 2208, 0},
	{2204, "regoperator", 4, true, 'N', 2209, 0},
	{2205, "regclass", 4, true, 'N', 2210, 0},
	{2206, "regtype", 4, true, 'N', 2211, 0},
	{2207, "_regprocedure", -1, false, 'A', 0, 2202},
	{2208, "_regoper", -1, false, 'A', 0, 2203},
	{2209, "_regoperator", -1, false, 'A', 0, 2204},
	{2210, "_regclass", -1, false, 'A', 0, 2205},
	{2211, "_regtype", -1, false, 'A', 0, 2206},
	{2249, "record", -1, false, 'P', 2287, 0},
	{2275, "cstring", -2, false, 'P', 1263, 0},
	{2276, "any", 4, true, 'P', 0, 0},
	{2277, "anyarray", -1, false, 'P', 0, 0},
	{2278, "void", 4, true, 'P', 0, 0},
	{2279, "trigger", 4, true, 'P', 0, 0},
	{2280, "language_handler", 4, true, 'P', 0, 0},
	{2281, "internal", 8, true, 'P', 0, 0},
	{2283, "anyelement", 4, true, 'P', 0, 0},
	{2287, "_record", -1, false, 'A', 0, 2249},
	{2776, "anynonarray", 4, true, 'P', 0, 0},
	{2949, "_txid_snapshot", -1, false, 'A', 0, 2970},
	{2950, "uuid", 16, false, 'U', 2951, 0},
	{2951, "_uuid", -1, false, 'A', 0, 2950},
	{2970, "txid_snapshot", -1, false, 'U', 2949, 0},
	{3115, "fdw_handler", 4, true, 'P', 0, 0},
	{3220, "pg_lsn", 8, true, 'U', 3221, 0},
	{3221, "_pg_lsn", -1, false, 'A', 0, 3220},
	{3310, "tsm_handler", 4, true, 'P', 0, 0},
	{3361, "pg_ndistinct", -1, false, 'Z', 0, 0},
	{3402, "pg_dependencies", -1, false, 'Z', 0, 0},
	{3500, "anyenum", 4, true, 'P', 0, 0},
	{3614, "tsvector", -1, false, 'U', 3643, 0},
	{3615, "tsquery", -1, false, 'U', 3645, 0},
	{3642, "gtsvector", -1, false, 'U', 3644, 0},
	{3643, "_tsvector", -1, false, 'A', 0, 3614},
	{3644, "_gtsvector", -1, false, 'A', 0, 3642},
	{3645, "_tsquery", -1, false, 'A', 0, 3615},
	{3734, "regconfig", 4, true, 'N', 3735, 0},
	{3735, "_regconfig", -1, false, 'A', 0, 3734},
	{3769, "regdictionary", 4, true, 'N', 3770, 0},
	{3770, "_regdictionary", -1, false, 'A', 0, 3769},
	{3802, "jsonb", -1, false, 'U', 3807, 0},
	{3807, "_jsonb", -1, false, 'A', 0, 3802},
	{3831, "anyrange", -1, false, 'P', 0, 0},
	{3838, "event_trigger", 4, true, 'P', 0, 0},
	{3904, "int4range", -1, false, 'R', 3905, 0},
	{3905, "_int4range", -1, false, 'A', 0, 3904},
	{3906, "numrange", -1, false, 'R', 3907, 0},
	{3907, "_numrange", -1, false, 'A', 0, 3906},
	{3908, "tsrange", -1, false, 'R', 3909, 0},
	{3909, "_tsrange", -1, false, 'A', 0, 3908},
	{3910, "tstzrange", -1, false, 'R', 3911, 0},
	{3911, "_tstzrange", -1, false, 'A', 0, 3910},
	{3912, "daterange", -1, false, 'R', 3913, 0},
	{3913, "_daterange", -1, false, 'A', 0, 3912},
	{3926, "int8range", -1, false, 'R', 3927, 0},
	{3927, "_int8range", -1, false, 'A', 0, 3926},
	{4072, "jsonpath", -1, false, 'U', 4073, 0},
	{4073, "_jsonpath", -1, false, 'A', 0, 4072},
	{4089, "regnamespace", 4, true, 'N', 4090, 0},
	{4090, "_regnamespace", -1, false, 'A', 0, 4089},
	{4096, "regrole", 4, true, 'N', 4097, 0},
	{4097, "_regrole", -1, false, 'A', 0, 4096},
	{4191, "regcollation", 4, true, 'N', 4192, 0},
	{4192, "_regcollation", -1, false, 'A', 0, 4191},
	{4451, "int4multirange", -1, false, 'R', 6150, 0},
	{4532, "nummultirange", -1, false, 'R', 6151, 0},
	{4533, "tsmultirange", -1, false, 'R', 6152, 0},
	{4534, "tstzmultirange", -1, false, 'R', 6153, 0},
	{4535, "datemultirange", -1, false, 'R', 6155, 0},
	{4536, "int8multirange", -1, false, 'R', 6157, 0},
	{4537, "anymultirange", -1, false, 'P', 0, 0},
	{4538, "anycompatiblemultirange", -1, false, 'P', 0, 0},
	{4600, "pg_brin_bloom_summary", -1, false, 'Z', 0, 0},
	{4601, "pg_brin_minmax_multi_summary", -1, false, 'Z', 0, 0},
	{6150, "_int4multirange", -1, false, 'A', 0, 4451},
	{6151, "_nummultirange", -1, false, 'A', 0, 4532},
	{6152, "_tsmultirange", -1, false, 'A', 0, 4533},
	{6153, "_tstzmultirange", -1, false, 'A', 0, 4534},
	{6155, "_datemultirange", -1, false, 'A', 0, 4535},
	{6157, "_int8multirange", -1, false, 'A', 0, 4536},
};

const int pgt_ntypes = (int)(sizeof(pgt_types) / sizeof(pgt_types[0]));

/* Binary search of pgt_types by OID; NULL if DoSQL does not know the type. */
const PgType *pgt_by_oid(uint32_t oid)
{
	int lo = 0, hi = pgt_ntypes - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (pgt_types[mid].oid == oid)
			return &pgt_types[mid];
		if (pgt_types[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* SQL spellings of types that are not their typname. */
static const struct {
	const char *alias;
	uint32_t oid;
} type_aliases[] = {
	{"integer", PGT_INT4},
	{"int", PGT_INT4},
	{"smallint", PGT_INT2},
	{"bigint", PGT_INT8},
	{"real", PGT_FLOAT4},
	{"double precision", PGT_FLOAT8},
	{"float", PGT_FLOAT8},
	{"boolean", PGT_BOOL},
	{"character varying", PGT_VARCHAR},
	{"char varying", PGT_VARCHAR},
	{"character", PGT_BPCHAR},
	{"decimal", PGT_NUMERIC},
	{"dec", PGT_NUMERIC},
	{"timestamp without time zone", PGT_TIMESTAMP},
	{"timestamp with time zone", PGT_TIMESTAMPTZ},
	{"time without time zone", PGT_TIME},
	{"time with time zone", PGT_TIMETZ},
	{"bit varying", 1562},
};

static const PgType *by_exact_name(const char *name)
{
	for (size_t i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]); i++)
		if (strcmp(name, type_aliases[i].alias) == 0)
			return pgt_by_oid(type_aliases[i].oid);
	for (int i = 0; i < pgt_ntypes; i++)
		if (strcmp(name, pgt_types[i].name) == 0)
			return &pgt_types[i];
	return NULL;
}

/*
 * Resolve a type name: a typname ("int4", "char" is the one-byte type), an
 * SQL spelling ("integer", "double precision", "character varying"), with
 * an optional "pg_catalog." prefix, a "(n)" modifier ("char(3)" is bpchar,
 * "float(24)" is float4) and a "[]" suffix for the array type.  Case and
 * repeated blanks do not matter.  NULL if unknown.
 */
const PgType *pgt_by_name(const char *name)
{
	char buf[128];
	size_t n = 0;
	bool array = false, paren = false;
	long pval = -1;

	if (!name)
		return NULL;
	while (isspace((unsigned char)*name))
		name++;
	if (strncasecmp(name, "pg_catalog.", 11) == 0)
		name += 11;
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '(') {
			paren = true;
			pval = strtol(p + 1, NULL, 10);
			while (*p && *p != ')')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (c == '[') {
			array = true;
			break;
		}
		if (c == '"')
			continue;
		if (isspace(c)) {
			if (n > 0 && buf[n - 1] != ' ')
				buf[n++] = ' ';
		} else {
			buf[n++] = (char)tolower(c);
		}
		if (n >= sizeof(buf) - 1)
			return NULL;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;

	const PgType *t;
	if (paren && strcmp(buf, "char") == 0)
		t = pgt_by_oid(PGT_BPCHAR);
	else if (paren && strcmp(buf, "float") == 0)
		t = pgt_by_oid(pval >= 1 && pval <= 24 ? PGT_FLOAT4 : PGT_FLOAT8);
	else
		t = by_exact_name(buf);
	if (t && array)
		t = t->array_oid ? pgt_by_oid(t->array_oid) : NULL;
	return t;
}

/* The kinds of type this file dispatches on. */
typedef enum {
	K_BOOL, K_INT, K_FLOAT, K_NUMERIC, K_TEXT, K_VARCHAR, K_BPCHAR, K_NAME, K_CHAR,
	K_BYTEA, K_UUID, K_JSON, K_JSONB, K_TIME, K_ARRAY, K_OTHER
} Kind;

static Kind kind_of(uint32_t oid)
{
	switch (oid) {
	case PGT_BOOL:
		return K_BOOL;
	case PGT_INT2: case PGT_INT4: case PGT_INT8: case PGT_OID: case PGT_REGPROC:
	case 28: /* xid */ case 29: /* cid */ case 2202: case 2203: case 2204:
	case PGT_REGCLASS: case PGT_REGTYPE: case 3734: case 3769: case 4089: case 4096:
	case 4191:
		return K_INT;
	case PGT_FLOAT4: case PGT_FLOAT8:
		return K_FLOAT;
	case PGT_NUMERIC:
		return K_NUMERIC;
	case PGT_TEXT: case PGT_UNKNOWN: case 142: /* xml */ case 1790: /* refcursor */
	case 2275: /* cstring */
		return K_TEXT;
	case PGT_VARCHAR:
		return K_VARCHAR;
	case PGT_BPCHAR:
		return K_BPCHAR;
	case PGT_NAME:
		return K_NAME;
	case PGT_CHAR:
		return K_CHAR;
	case PGT_BYTEA:
		return K_BYTEA;
	case PGT_UUID:
		return K_UUID;
	case PGT_JSON:
		return K_JSON;
	case PGT_JSONB:
		return K_JSONB;
	default:
		break;
	}
	if (pgt_is_time_type(oid))
		return K_TIME;
	const PgType *t = pgt_by_oid(oid);
	if (t && t->category == 'A' && t->name[0] == '_' && t->elem_oid)
		return K_ARRAY;
	return K_OTHER;
}

const char *pgt_storage_decl(uint32_t oid)
{
	switch (kind_of(oid)) {
	case K_BOOL:
	case K_INT:
		return "INTEGER";
	case K_FLOAT:
		/* no affinity: REAL affinity writes whole values as integers,
		 * which loses the sign of -0 */
		return "BLOB";
	case K_NUMERIC:
		return "TEXT COLLATE pg_numeric"; /* exact text, compared by value */
	case K_BYTEA:
		return "BLOB";
	case K_JSONB:
		return "TEXT COLLATE pg_jsonb"; /* compared as jsonb values */
	case K_ARRAY: {
		/* arrays of numbers or strings: compared element by element */
		const char *c = pgt_value_collation(oid);
		return !c ? "TEXT" : c[9] == 'n' ? "TEXT COLLATE pg_array_num" : "TEXT COLLATE pg_array_text";
	}
	default:
		/* dates and timestamps: compared in time order, BC and years past
		 * 9999 included */
		return pgt_value_collation(oid) ? "TEXT COLLATE pg_datetime" : "TEXT";
	}
}

/* --------------------------------------------------------- errors, values */

bool pgt_fail(PgtError *err, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return false;
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

/* Copy s[0..n) into dst as a C string, cut (at a UTF-8 character boundary,
 * with "...") when longer than dst allows. */
const char *pgt_quote_for_msg(char *dst, size_t dstsz, const char *s, size_t n)
{
	if (n >= dstsz) {
		size_t cut = dstsz - 4;
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(dst, s, cut);
		memcpy(dst + cut, "...", 4);
		return dst;
	}
	memcpy(dst, s, n);
	dst[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (dst[i] == 0)
			dst[i] = ' ';
	return dst;
}

void pgt_value_init(PgtValue *v)
{
	memset(v, 0, sizeof(*v));
	v->type = SQLITE_NULL;
	buf_init(&v->s);
}

void pgt_value_cleanup(PgtValue *v)
{
	buf_cleanup(&v->s);
	v->type = SQLITE_NULL;
}

void pgt_set_null(PgtValue *v)
{
	v->type = SQLITE_NULL;
	buf_reset(&v->s);
}

void pgt_set_int(PgtValue *v, int64_t i)
{
	v->type = SQLITE_INTEGER;
	v->i = i;
}

void pgt_set_real(PgtValue *v, double d)
{
	v->type = SQLITE_FLOAT;
	v->d = d;
}

/* Set a TEXT (BLOB) value; false when out of memory.  s may point into
 * v->s itself. */
static bool set_bytes(PgtValue *v, int type, const void *s, size_t n)
{
	Buf tmp;
	buf_init(&tmp);
	buf_put(&tmp, s, n);
	buf_cstr(&tmp);
	if (tmp.failed) {
		buf_cleanup(&tmp);
		return false;
	}
	buf_cleanup(&v->s);
	v->s = tmp;
	v->type = type;
	return true;
}

bool pgt_set_text(PgtValue *v, const char *s, size_t n) { return set_bytes(v, SQLITE_TEXT, s, n); }
bool pgt_set_blob(PgtValue *v, const void *p, size_t n) { return set_bytes(v, SQLITE_BLOB, p, n); }

/* Take over the contents of b as the TEXT or BLOB value of v. */
static bool set_from_buf(PgtValue *v, int type, Buf *b, PgtError *err)
{
	buf_cstr(b);
	if (b->failed) {
		buf_cleanup(b);
		return pgt_fail(err, "53200", "out of memory");
	}
	buf_cleanup(&v->s);
	v->s = *b;
	buf_init(b);
	v->type = type;
	return true;
}

int pgt_value_bind(sqlite3_stmt *st, int idx, const PgtValue *v)
{
	const char *p = v->s.data ? (const char *)v->s.data : "";
	switch (v->type) {
	case SQLITE_INTEGER:
		return sqlite3_bind_int64(st, idx, v->i);
	case SQLITE_FLOAT:
		return sqlite3_bind_double(st, idx, v->d);
	case SQLITE_TEXT:
		return sqlite3_bind_text64(st, idx, p, v->s.len, SQLITE_TRANSIENT, SQLITE_UTF8);
	case SQLITE_BLOB:
		return sqlite3_bind_blob64(st, idx, p, v->s.len, SQLITE_TRANSIENT);
	default:
		return sqlite3_bind_null(st, idx);
	}
}

void pgt_value_result(sqlite3_context *ctx, const PgtValue *v)
{
	const char *p = v->s.data ? (const char *)v->s.data : "";
	switch (v->type) {
	case SQLITE_INTEGER:
		sqlite3_result_int64(ctx, v->i);
		break;
	case SQLITE_FLOAT:
		sqlite3_result_double(ctx, v->d);
		break;
	case SQLITE_TEXT:
		sqlite3_result_text64(ctx, p, v->s.len, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case SQLITE_BLOB:
		sqlite3_result_blob64(ctx, p, v->s.len, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_null(ctx);
		break;
	}
}

static void datum_from_sqlite(PgtDatum *d, sqlite3_value *v)
{
	memset(d, 0, sizeof(*d));
	d->type = sqlite3_value_type(v);
	switch (d->type) {
	case SQLITE_INTEGER:
		d->i = sqlite3_value_int64(v);
		break;
	case SQLITE_FLOAT:
		d->d = sqlite3_value_double(v);
		break;
	case SQLITE_TEXT:
		d->s = (const char *)sqlite3_value_text(v);
		d->n = (size_t)sqlite3_value_bytes(v);
		break;
	case SQLITE_BLOB:
		d->s = (const char *)sqlite3_value_blob(v);
		d->n = (size_t)sqlite3_value_bytes(v);
		break;
	default:
		break;
	}
	if (!d->s)
		d->s = "";
}

/* The datum of a value (borrowing its bytes). */
void pgt_datum_from_value(PgtDatum *d, const PgtValue *v)
{
	d->type = v->type;
	d->i = v->i;
	d->d = v->d;
	d->s = v->s.data ? (const char *)v->s.data : "";
	d->n = v->s.len;
}

/* ------------------------------------------------------------- text types */

/* Length of the UTF-8 sequence a lead byte announces (1 if invalid). */
static int utf8_expected_len(unsigned char c)
{
	return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}

/* Length of the valid UTF-8 character at s, or 0 if invalid (NUL is invalid
 * in PostgreSQL text). */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	int len = utf8_expected_len(s[0]);
	unsigned min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
	if (c < 0x80)
		return c ? 1 : 0;
	if (len == 1 || (size_t)len > n)
		return 0;
	c &= len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return len;
}

/* Check that s is valid UTF-8 without NUL; 22021 naming the bad bytes. */
static bool utf8_check(const char *s, size_t n, PgtError *err)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		int l = utf8_seq(u + i, n - i);
		if (l == 0) {
			char hex[32] = "";
			size_t want = (size_t)utf8_expected_len(u[i]);
			if (want > n - i)
				want = n - i;
			for (size_t k = 0; k < want; k++)
				snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%s0x%02x",
					 k ? " " : "", u[i + k]);
			return pgt_fail(err, "22021", "invalid byte sequence for encoding \"UTF8\": %s", hex);
		}
		i += (size_t)l;
	}
	return true;
}

/* Byte offset of character number `chars` in s (n if s is shorter) and the
 * total character count. */
static size_t utf8_offset(const char *s, size_t n, size_t chars, size_t *total)
{
	size_t count = 0, off = n;
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (count == chars)
				off = i;
			count++;
		}
	}
	*total = count;
	return off;
}

/*
 * varchar(n) and bpchar(n) input: a value longer than n characters fails
 * with 22001 unless the excess is all spaces, which is cut off; bpchar is
 * then blank-padded to n characters.
 */
static bool charn_in(const char *s, size_t n, bool bpchar, int32_t typmod, PgtValue *out, PgtError *err)
{
	if (!utf8_check(s, n, err))
		return false;
	if (typmod < 4)
		return pgt_set_text(out, s, n) || pgt_fail(err, "53200", "out of memory");
	size_t max = (size_t)(typmod - 4), total;
	size_t off = utf8_offset(s, n, max, &total);
	if (total > max) {
		for (size_t i = off; i < n; i++)
			if (s[i] != ' ')
				return pgt_fail(err, "22001", "value too long for type %s(%zu)",
						bpchar ? "character" : "character varying", max);
		n = off;
		total = max;
	}
	Buf b;
	buf_init(&b);
	buf_put(&b, s, n);
	for (size_t i = total; bpchar && i < max; i++)
		buf_put_u8(&b, ' ');
	return set_from_buf(out, SQLITE_TEXT, &b, err);
}

/* name input: silently cut to 63 bytes at a character boundary. */
static bool name_in(const char *s, size_t n, PgtValue *out, PgtError *err)
{
	if (!utf8_check(s, n, err))
		return false;
	if (n > 63) {
		n = 63;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return pgt_set_text(out, s, n) || pgt_fail(err, "53200", "out of memory");
}

/* "char" input (charin): the first byte, or the byte a \ooo escape names;
 * stored as its output text (a \ooo escape for bytes >= 0x80). */
static bool char_in(const char *s, size_t n, PgtValue *out, PgtError *err)
{
	unsigned char c = n ? (unsigned char)s[0] : 0;
	char tmp[8];
	if (n == 4 && s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
	    s[3] >= '0' && s[3] <= '7')
		c = (unsigned char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
	if (c == 0)
		tmp[0] = 0;
	else if (c < 0x80)
		snprintf(tmp, sizeof(tmp), "%c", c);
	else
		snprintf(tmp, sizeof(tmp), "\\%03o", c);
	return pgt_set_text(out, tmp, strlen(tmp)) || pgt_fail(err, "53200", "out of memory");
}

/* boolin: t/true/y/yes/on/1 and f/false/n/no/off/0, unique prefixes,
 * case-insensitive, surrounding whitespace; 22P02 otherwise. */
static bool bool_in(const char *s, size_t n, PgtValue *out, PgtError *err)
{
	const char *p = s;
	size_t len = n;
	char q[160];
	while (len > 0 && isspace((unsigned char)*p))
		p++, len--;
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	int res = -1;
	if (len > 0) {
		switch (tolower((unsigned char)p[0])) {
		case 't':
			if (len <= 4 && strncasecmp(p, "true", len) == 0)
				res = 1;
			break;
		case 'y':
			if (len <= 3 && strncasecmp(p, "yes", len) == 0)
				res = 1;
			break;
		case 'f':
			if (len <= 5 && strncasecmp(p, "false", len) == 0)
				res = 0;
			break;
		case 'n':
			if (len <= 2 && strncasecmp(p, "no", len) == 0)
				res = 0;
			break;
		case 'o':
			if (len == 2 && strncasecmp(p, "on", 2) == 0)
				res = 1;
			else if (len >= 2 && len <= 3 && strncasecmp(p, "off", len) == 0)
				res = 0;
			break;
		case '1':
			if (len == 1)
				res = 1;
			break;
		case '0':
			if (len == 1)
				res = 0;
			break;
		default:
			break;
		}
	}
	if (res < 0)
		return pgt_fail(err, "22P02", "invalid input syntax for type boolean: \"%s\"",
				pgt_quote_for_msg(q, sizeof(q), s, n));
	pgt_set_int(out, res);
	return true;
}

/* ------------------------------------------------------------ bytea, uuid */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * byteain: "\x" followed by hex digit pairs (blanks allowed between pairs),
 * or the escape format where "\\" is a backslash and "\ooo" an octal byte.
 * 22023 for a bad hex digit or an odd count, 22P02 for a bad escape.
 */
static bool bytea_in(const char *s, size_t n, PgtValue *out, PgtError *err)
{
	Buf b;
	buf_init(&b);
	if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
		for (size_t i = 2; i < n;) {
			unsigned char c = (unsigned char)s[i];
			if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
				i++;
				continue;
			}
			int hi = hexval(c);
			if (hi < 0) {
				buf_cleanup(&b);
				int l = utf8_expected_len(c);
				return pgt_fail(err, "22023", "invalid hexadecimal digit: \"%.*s\"", l, s + i);
			}
			if (i + 1 >= n) {
				buf_cleanup(&b);
				return pgt_fail(err, "22023", "invalid hexadecimal data: odd number of digits");
			}
			int lo = hexval((unsigned char)s[i + 1]);
			if (lo < 0) {
				buf_cleanup(&b);
				int l = utf8_expected_len((unsigned char)s[i + 1]);
				return pgt_fail(err, "22023", "invalid hexadecimal digit: \"%.*s\"", l, s + i + 1);
			}
			buf_put_u8(&b, (uint8_t)(hi << 4 | lo));
			i += 2;
		}
		return set_from_buf(out, SQLITE_BLOB, &b, err);
	}
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			buf_put_u8(&b, (uint8_t)s[i++]);
		} else if (i + 1 < n && s[i + 1] == '\\') {
			buf_put_u8(&b, '\\');
			i += 2;
		} else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
			   s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			buf_put_u8(&b, (uint8_t)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) |
						 (s[i + 3] - '0')));
			i += 4;
		} else {
			buf_cleanup(&b);
			return pgt_fail(err, "22P02", "invalid input syntax for type bytea");
		}
	}
	return set_from_buf(out, SQLITE_BLOB, &b, err);
}

static void bytea_out(Buf *out, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	buf_put_str(out, "\\x");
	if (!buf_reserve(out, 2 * n))
		return;
	for (size_t i = 0; i < n; i++) {
		out->data[out->len++] = (uint8_t)hx[p[i] >> 4];
		out->data[out->len++] = (uint8_t)hx[p[i] & 15];
	}
}

static void uuid_format(char *dst, const uint8_t *u)
{
	static const char hx[] = "0123456789abcdef";
	char *o = dst;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hx[u[i] >> 4];
		*o++ = hx[u[i] & 15];
	}
	*o = 0;
}

/* string_to_uuid: 32 hex digits, a hyphen allowed after any group of four,
 * optionally inside braces; 22P02 otherwise. */
static bool uuid_parse(const char *s, size_t n, uint8_t *u)
{
	size_t i = 0;
	bool braces = n > 0 && s[0] == '{';
	if (braces)
		i++;
	for (int k = 0; k < 16; k++) {
		if (i + 1 >= n)
			return false;
		int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		u[k] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (i < n && s[i] == '-' && k % 2 == 1 && k < 15)
			i++;
	}
	if (braces) {
		if (i >= n || s[i] != '}')
			return false;
		i++;
	}
	return i == n;
}

static bool uuid_in(const char *s, size_t n, PgtValue *out, PgtError *err)
{
	uint8_t u[16];
	char q[160], txt[40];
	if (!uuid_parse(s, n, u))
		return pgt_fail(err, "22P02", "invalid input syntax for type uuid: \"%s\"",
				pgt_quote_for_msg(q, sizeof(q), s, n));
	uuid_format(txt, u);
	return pgt_set_text(out, txt, 36) || pgt_fail(err, "53200", "out of memory");
}

/* ------------------------------------------------------------- coercion */

static bool oom(PgtError *err) { return pgt_fail(err, "53200", "out of memory"); }

/* Text input (typinput) of every type; see pgt_coerce_text(). */
bool pgt_coerce_text(const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		     PgtValue *out, PgtError *err)
{
	if (!s)
		s = "";
	switch (kind_of(oid)) {
	case K_BOOL:
		return bool_in(s, n, out, err);
	case K_INT:
		return pgt_int_in(s, n, oid, out, err);
	case K_FLOAT:
		return pgt_float_in(s, n, oid, out, err);
	case K_NUMERIC:
		return pgt_numeric_in(s, n, typmod, out, err);
	case K_VARCHAR:
	case K_BPCHAR:
		return charn_in(s, n, oid == PGT_BPCHAR, typmod, out, err);
	case K_NAME:
		return name_in(s, n, out, err);
	case K_CHAR:
		return char_in(s, n, out, err);
	case K_BYTEA:
		return bytea_in(s, n, out, err);
	case K_UUID:
		return uuid_in(s, n, out, err);
	case K_JSON:
	case K_JSONB: {
		Buf b;
		buf_init(&b);
		if (!utf8_check(s, n, err) || !pgt_json_in(s, n, oid == PGT_JSONB, &b, err)) {
			buf_cleanup(&b);
			return false;
		}
		return set_from_buf(out, SQLITE_TEXT, &b, err);
	}
	case K_TIME:
		return pgt_time_in(s, n, oid, typmod, fmt, out, err);
	case K_ARRAY:
		return pgt_array_in(s, n, oid, typmod, fmt, out, err);
	case K_TEXT:
	case K_OTHER:
		break;
	}
	if (!utf8_check(s, n, err))
		return false;
	return pgt_set_text(out, s, n) || oom(err);
}

/* Cast a datum of any storage class to the canonical storage of oid. */
static bool coerce_datum(const PgtDatum *in, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
			 PgtValue *out, PgtError *err)
{
	Kind k = kind_of(oid);
	char tmp[64];
	PgtDec dec;

	switch (in->type) {
	case SQLITE_NULL:
		pgt_set_null(out);
		return true;
	case SQLITE_INTEGER:
		switch (k) {
		case K_BOOL:
			pgt_set_int(out, in->i != 0);
			return true;
		case K_INT:
			return pgt_int_from_int64(in->i, oid, out, err);
		case K_FLOAT:
			if (oid == PGT_FLOAT4)
				return pgt_float4_from_double((double)in->i, out, err);
			pgt_set_real(out, (double)in->i);
			return true;
		case K_NUMERIC:
			pgt_dec_from_int(&dec, in->i);
			return pgt_numeric_store(&dec, typmod, out, err);
		default:
			snprintf(tmp, sizeof(tmp), "%lld", (long long)in->i);
			return pgt_coerce_text(tmp, strlen(tmp), oid, typmod, fmt, out, err);
		}
	case SQLITE_FLOAT:
		switch (k) {
		case K_BOOL:
			pgt_set_int(out, in->d != 0);
			return true;
		case K_INT:
			return pgt_int_from_double(in->d, oid, out, err);
		case K_FLOAT:
			if (oid == PGT_FLOAT4)
				return pgt_float4_from_double(in->d, out, err);
			if (isnan(in->d))
				return pgt_set_text(out, "NaN", 3) || oom(err);
			pgt_set_real(out, in->d);
			return true;
		case K_NUMERIC:
			pgt_dec_from_double(&dec, in->d);
			return pgt_numeric_store(&dec, typmod, out, err);
		default:
			pgt_float_format(tmp, sizeof(tmp), in->d, false, 1);
			return pgt_coerce_text(tmp, strlen(tmp), oid, typmod, fmt, out, err);
		}
	case SQLITE_BLOB:
		if (k == K_BYTEA)
			return pgt_set_blob(out, in->s, in->n) || oom(err);
		if (k == K_UUID && in->n == 16) {
			uuid_format(tmp, (const uint8_t *)in->s);
			return pgt_set_text(out, tmp, 36) || oom(err);
		}
		return pgt_coerce_text(in->s, in->n, oid, typmod, fmt, out, err);
	default:
		return pgt_coerce_text(in->s, in->n, oid, typmod, fmt, out, err);
	}
}

bool pgt_coerce(sqlite3_value *in, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		PgtValue *out, PgtError *err)
{
	PgtDatum d;
	datum_from_sqlite(&d, in);
	return coerce_datum(&d, oid, typmod, fmt, out, err);
}

/* ---------------------------------------------------------------- output */

static const PgtFormat default_format = {1, "UTC", 0, NULL};

/*
 * Text output (typoutput) of a datum.  A datum not in the type's canonical
 * storage class is first cast to it as pgt_coerce() would, so its errors
 * can surface here.
 */
bool pgt_out_text_datum(Buf *out, const PgtDatum *v, uint32_t oid, int32_t typmod,
			const PgtFormat *fmt, PgtError *err)
{
	Kind k = kind_of(oid);
	char tmp[64];
	PgtValue cv;
	PgtDatum cd;
	bool ok = true;

	if (!fmt)
		fmt = &default_format;
	if (k == K_NUMERIC)
		return pgt_numeric_out(out, v, typmod, err);
	if (k == K_TIME || k == K_ARRAY) {
		const char *s = v->s;
		size_t n = v->n;
		if (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT) {
			if (v->type == SQLITE_INTEGER)
				snprintf(tmp, sizeof(tmp), "%lld", (long long)v->i);
			else
				pgt_float_format(tmp, sizeof(tmp), v->d, false, 1);
			s = tmp;
			n = strlen(tmp);
		}
		if (k == K_TIME)
			return pgt_time_out(out, s, n, oid, typmod, fmt, err);
		return pgt_array_out(out, s, n, oid, fmt, err);
	}

	/* reg* values translated to the object's name (pg_regclass_out()) */
	if ((oid == PGT_REGCLASS || oid == PGT_REGTYPE || oid == PGT_REGNAMESPACE) && v->type == SQLITE_TEXT) {
		buf_put(out, v->s, v->n);
		return true;
	}
	/* Types whose storage is not TEXT: bring the value to canonical form. */
	bool need = (k == K_BOOL || k == K_INT) ? v->type != SQLITE_INTEGER
		  : k == K_FLOAT		 ? v->type != SQLITE_FLOAT && v->type != SQLITE_INTEGER
		  : k == K_BYTEA		 ? v->type != SQLITE_BLOB
		  : k == K_UUID			 ? true
						 : false;
	if (need) {
		pgt_value_init(&cv);
		if (!coerce_datum(v, oid, typmod, fmt, &cv, err)) {
			pgt_value_cleanup(&cv);
			return false;
		}
		pgt_datum_from_value(&cd, &cv);
		v = &cd;
	}

	switch (k) {
	case K_BOOL:
		buf_put_u8(out, v->i ? 't' : 'f');
		break;
	case K_INT:
		buf_printf(out, "%lld", (long long)v->i);
		break;
	case K_FLOAT:
		if (v->type == SQLITE_TEXT) {
			buf_put_str(out, "NaN");
			break;
		}
		pgt_float_format(tmp, sizeof(tmp), v->type == SQLITE_INTEGER ? (double)v->i : v->d,
				 oid == PGT_FLOAT4, fmt->extra_float_digits);
		buf_put_str(out, tmp);
		break;
	case K_BYTEA:
		bytea_out(out, (const uint8_t *)v->s, v->n);
		break;
	default:
		if (v->type == SQLITE_INTEGER) {
			buf_printf(out, "%lld", (long long)v->i);
		} else if (v->type == SQLITE_FLOAT) {
			pgt_float_format(tmp, sizeof(tmp), v->d, false, fmt->extra_float_digits);
			buf_put_str(out, tmp);
		} else {
			buf_put(out, v->s, v->n);
		}
		break;
	}
	if (need)
		pgt_value_cleanup(&cv);
	if (out->failed)
		ok = oom(err);
	return ok;
}

bool pgt_out_text(Buf *out, sqlite3_value *v, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		  PgtError *err)
{
	PgtDatum d;
	datum_from_sqlite(&d, v);
	return pgt_out_text_datum(out, &d, oid, typmod, fmt, err);
}

/* Binary output (typsend) of a datum; 0A000 for types without one. */
bool pgt_out_binary_datum(Buf *out, const PgtDatum *v, uint32_t oid, int32_t typmod,
			  const PgtFormat *fmt, PgtError *err)
{
	Kind k = kind_of(oid);
	PgtValue cv;
	PgtDatum cd;
	bool ok = true;

	if (!fmt)
		fmt = &default_format;
	switch (k) {
	case K_NUMERIC:
		return pgt_numeric_send(out, v, typmod, err);
	case K_TEXT:
	case K_VARCHAR:
	case K_BPCHAR:
	case K_NAME:
	case K_CHAR:
	case K_JSON:
		return pgt_out_text_datum(out, v, oid, typmod, fmt, err);
	case K_JSONB:
		buf_put_u8(out, 1);
		return pgt_out_text_datum(out, v, oid, typmod, fmt, err);
	case K_TIME:
	case K_ARRAY: {
		Buf t;
		buf_init(&t);
		const char *s = v->s;
		size_t n = v->n;
		if (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT) {
			if (!pgt_out_text_datum(&t, v, oid, typmod, fmt, err)) {
				buf_cleanup(&t);
				return false;
			}
			s = buf_cstr(&t);
			n = t.len;
		}
		ok = k == K_TIME ? pgt_time_send(out, s, n, oid, typmod, fmt, err)
				 : pgt_array_send(out, s, n, oid, fmt, err);
		buf_cleanup(&t);
		return ok;
	}
	case K_OTHER:
		if (oid == PGT_UNKNOWN)
			return pgt_out_text_datum(out, v, oid, typmod, fmt, err);
		return pgt_fail(err, "0A000", "binary output for type %s is not supported",
				pgt_by_oid(oid) ? pgt_by_oid(oid)->name : "unknown");
	default:
		break;
	}

	pgt_value_init(&cv);
	if (!coerce_datum(v, oid, typmod, fmt, &cv, err)) {
		pgt_value_cleanup(&cv);
		return false;
	}
	pgt_datum_from_value(&cd, &cv);
	switch (k) {
	case K_BOOL:
		buf_put_u8(out, cd.i ? 1 : 0);
		break;
	case K_INT:
		if (oid == PGT_INT2)
			buf_put_u16(out, (uint16_t)cd.i);
		else if (oid == PGT_INT8)
			buf_put_u64(out, (uint64_t)cd.i);
		else
			buf_put_u32(out, (uint32_t)cd.i);
		break;
	case K_FLOAT: {
		double d = cd.type == SQLITE_TEXT ? NAN : cd.d;
		if (oid == PGT_FLOAT4) {
			float f = (float)d;
			uint32_t u;
			memcpy(&u, &f, 4);
			buf_put_u32(out, u);
		} else {
			uint64_t u;
			memcpy(&u, &d, 8);
			buf_put_u64(out, u);
		}
		break;
	}
	case K_BYTEA:
		buf_put(out, cd.s, cd.n);
		break;
	case K_UUID: {
		uint8_t u[16];
		if (!uuid_parse(cd.s, cd.n, u))
			ok = pgt_fail(err, "22P02", "invalid input syntax for type uuid");
		else
			buf_put(out, u, 16);
		break;
	}
	default:
		break;
	}
	pgt_value_cleanup(&cv);
	if (ok && out->failed)
		ok = oom(err);
	return ok;
}

bool pgt_out_binary(Buf *out, sqlite3_value *v, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
		    PgtError *err)
{
	PgtDatum d;
	datum_from_sqlite(&d, v);
	return pgt_out_binary_datum(out, &d, oid, typmod, fmt, err);
}

bool pgt_text_to_binary(Buf *out, const char *s, size_t n, uint32_t oid, int32_t typmod, const PgtFormat *fmt,
			PgtError *err)
{
	PgtDatum d = {.type = SQLITE_TEXT, .s = s, .n = n};
	return pgt_out_binary_datum(out, &d, oid, typmod, fmt, err);
}

/* --------------------------------------------------------------- receive */

static bool bad_binary(PgtError *err) { return pgt_fail(err, "22P03", "incorrect binary data format"); }

/* Binary input (typreceive); 22P03 when the length does not fit the type,
 * 0A000 for types without a receive function here. */
bool pgt_recv_binary(const uint8_t *p, size_t len, uint32_t oid, int32_t typmod, PgtValue *out,
		     PgtError *err)
{
	Kind k = kind_of(oid);
	if (!p)
		p = (const uint8_t *)"";
	switch (k) {
	case K_BOOL:
		if (len != 1)
			return bad_binary(err);
		pgt_set_int(out, p[0] != 0);
		return true;
	case K_INT:
		if (oid == PGT_INT2) {
			if (len != 2)
				return bad_binary(err);
			pgt_set_int(out, (int16_t)rd_be16(p));
		} else if (oid == PGT_INT8) {
			if (len != 8)
				return bad_binary(err);
			pgt_set_int(out, (int64_t)rd_be64(p));
		} else if (oid == PGT_INT4) {
			if (len != 4)
				return bad_binary(err);
			pgt_set_int(out, (int32_t)rd_be32(p));
		} else {
			if (len != 4)
				return bad_binary(err);
			pgt_set_int(out, (int64_t)rd_be32(p));
		}
		return true;
	case K_FLOAT: {
		double d;
		if (oid == PGT_FLOAT4) {
			uint32_t u;
			float f;
			if (len != 4)
				return bad_binary(err);
			u = rd_be32(p);
			memcpy(&f, &u, 4);
			d = f;
		} else {
			uint64_t u;
			if (len != 8)
				return bad_binary(err);
			u = rd_be64(p);
			memcpy(&d, &u, 8);
		}
		if (isnan(d))
			return pgt_set_text(out, "NaN", 3) || oom(err);
		pgt_set_real(out, d);
		return true;
	}
	case K_NUMERIC:
		return pgt_numeric_recv(p, len, typmod, out, err);
	case K_BYTEA:
		return pgt_set_blob(out, p, len) || oom(err);
	case K_UUID: {
		char txt[40];
		if (len != 16)
			return bad_binary(err);
		uuid_format(txt, p);
		return pgt_set_text(out, txt, 36) || oom(err);
	}
	case K_JSONB:
		if (len < 1 || p[0] != 1)
			return pgt_fail(err, "22P03", "unsupported jsonb version number %d", len ? p[0] : 0);
		return pgt_coerce_text((const char *)p + 1, len - 1, oid, typmod, NULL, out, err);
	case K_TIME:
		return pgt_time_recv(p, len, oid, typmod, out, err);
	case K_ARRAY:
		return pgt_array_recv(p, len, oid, typmod, out, err);
	case K_OTHER:
		if (oid != PGT_UNKNOWN)
			return pgt_fail(err, "0A000", "binary input for type %s is not supported",
					pgt_by_oid(oid) ? pgt_by_oid(oid)->name : "unknown");
		break;
	default:
		break;
	}
	return pgt_coerce_text((const char *)p, len, oid, typmod, &default_format, out, err);
}

/* ------------------------------------------------------- SQL functions */

void pgt_result_error(sqlite3_context *ctx, const char *sqlstate, const char *msg)
{
	char *m = sqlite3_mprintf("%.5s:%s", sqlstate, msg);
	if (!m) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_error(ctx, m, -1);
	sqlite3_free(m);
}

static void sql_error(sqlite3_context *ctx, const PgtError *err) { pgt_result_error(ctx, err->sqlstate, err->msg); }

/* pg_cast(value, oid, typmod): pgt_coerce() as SQL. */
static void fn_pg_cast(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const PgtFormat *fmt = sqlite3_user_data(ctx);
	PgtValue out;
	PgtError err;
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	pgt_value_init(&out);
	if (pgt_coerce(argv[0], (uint32_t)sqlite3_value_int64(argv[1]), sqlite3_value_int(argv[2]), fmt,
		       &out, &err))
		pgt_value_result(ctx, &out);
	else
		sql_error(ctx, &err);
	pgt_value_cleanup(&out);
}

/* pg_out(value, oid, typmod): the value's PG text output. */
static void fn_pg_out(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const PgtFormat *fmt = sqlite3_user_data(ctx);
	Buf b;
	PgtError err;
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	buf_init(&b);
	if (pgt_out_text(&b, argv[0], (uint32_t)sqlite3_value_int64(argv[1]), sqlite3_value_int(argv[2]),
			 fmt, &err))
		sqlite3_result_text64(ctx, b.data ? (const char *)b.data : "", b.len, SQLITE_TRANSIENT,
				      SQLITE_UTF8);
	else
		sql_error(ctx, &err);
	buf_cleanup(&b);
}

/* pg_array(elem_oid, e1, ..., en): ARRAY[e1, ..., en] as a stored literal. */
static void fn_pg_array(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	Buf b;
	PgtError err;
	buf_init(&b);
	if (argc >= 1 && pgt_array_build(&b, argc - 1, argv + 1, (uint32_t)sqlite3_value_int64(argv[0]), &err))
		sqlite3_result_text64(ctx, (const char *)b.data, b.len, SQLITE_TRANSIENT, SQLITE_UTF8);
	else if (argc >= 1)
		sql_error(ctx, &err);
	else
		pgt_result_error(ctx, "XX000", "pg_array needs the element type");
	buf_cleanup(&b);
}

void pgt_put_json_string(Buf *b, const char *s, size_t n)
{
	buf_put_u8(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
			      : c == '"' ? "\\\"" : c == '\\' ? "\\\\" : NULL;
		if (e)
			buf_put_str(b, e);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_put_u8(b, c);
	}
	buf_put_u8(b, '"');
}

/*
 * pg_json_build_object(key, oid, value, ...): json_build_object's text as
 * PostgreSQL writes it ({"k" : v, "l" : w}): numbers and booleans bare,
 * json and jsonb as they are, NULL as null, other values as the JSON
 * string of their text output.  A NULL key is 22004.
 */
static void fn_json_build_object(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const PgtFormat *fmt = sqlite3_user_data(ctx);
	Buf b, v;
	PgtError err;
	buf_init(&b);
	buf_init(&v);
	buf_put_u8(&b, '{');
	for (int i = 0; i + 2 < argc; i += 3) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
			pgt_fail(&err, "22004", "null value not allowed for object key");
			goto fail;
		}
		if (i)
			buf_put_str(&b, ", ");
		pgt_put_json_string(&b, (const char *)sqlite3_value_text(argv[i]), (size_t)sqlite3_value_bytes(argv[i]));
		buf_put_str(&b, " : ");
		uint32_t oid = (uint32_t)sqlite3_value_int64(argv[i + 1]);
		sqlite3_value *val = argv[i + 2];
		if (sqlite3_value_type(val) == SQLITE_NULL) {
			buf_put_str(&b, "null");
			continue;
		}
		if (oid == PGT_BOOL) {
			buf_put_str(&b, sqlite3_value_int(val) ? "true" : "false");
			continue;
		}
		buf_reset(&v);
		if (!pgt_out_text(&v, val, oid, -1, fmt, &err))
			goto fail;
		const PgType *t = pgt_by_oid(oid);
		bool number = t && t->category == 'N' && v.len && strspn((const char *)v.data, "0123456789+-.eE") == v.len;
		if (number || oid == PGT_JSON || oid == PGT_JSONB)
			buf_put(&b, v.data, v.len);
		else
			pgt_put_json_string(&b, (const char *)v.data, v.len);
	}
	buf_put_u8(&b, '}');
	sqlite3_result_text64(ctx, (const char *)b.data, b.len, SQLITE_TRANSIENT, SQLITE_UTF8);
	buf_cleanup(&b);
	buf_cleanup(&v);
	return;
fail:
	sql_error(ctx, &err);
	buf_cleanup(&b);
	buf_cleanup(&v);
}

/*
 * Register pg_cast(), pg_out() and pg_array().  Their results depend on the session's
 * time zone and extra_float_digits, read from *fmt at call time, so they
 * are not declared SQLITE_DETERMINISTIC; they have no side effects and are
 * SQLITE_INNOCUOUS.  fmt must outlive the connection.
 */
bool pgt_create_functions(sqlite3 *db, const PgtSqlFunc *fns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs, SQLITE_UTF8 | fns[i].flags, fns[i].ud,
					       fns[i].fn, NULL, NULL, NULL) != SQLITE_OK)
			return false;
	return true;
}

bool pgt_register_functions(sqlite3 *db, const PgtFormat *fmt)
{
	int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS;
	void *ud = (void *)(uintptr_t)fmt;
	return pgt_array_register_functions(db) && pgt_json_register_functions(db) &&
	       pgt_jsonb_register_functions(db, fmt) && pgt_time_register_functions(db) &&
	       pgt_time_funcs_register(db, fmt) && pgt_text_funcs_register(db) &&
	       sqlite3_create_function_v2(db, "pg_cast", 3, flags, ud, fn_pg_cast, NULL, NULL, NULL) ==
		       SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_out", 3, flags, ud, fn_pg_out, NULL, NULL, NULL) ==
		       SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_array", -1, flags | SQLITE_DETERMINISTIC, NULL, fn_pg_array, NULL,
					  NULL, NULL) == SQLITE_OK &&
	       sqlite3_create_function_v2(db, "pg_json_build_object", -1, flags, ud, fn_json_build_object, NULL, NULL,
					  NULL) == SQLITE_OK;
}
