/*
 * vindex.c - from a column value as the router sees it (text form, integer,
 * binary parameter) to a keyspace id: check the column type against the
 * vindex, reduce the value to its canonical form, call the vindex type.
 */
#include "vschema/vindex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vschema/vschema.h"

typedef enum TypeClass { TC_OTHER, TC_INT, TC_TEXT } TypeClass;

/* Set err's SQLSTATE and message; returns false for the caller to return. */
bool vsc_fail(VscError *err, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

/* The SQL names of the types a router is likely to meet in a WHERE clause. */
const char *vsc_type_name(uint32_t oid)
{
	switch (oid) {
	case 16: return "boolean";
	case 17: return "bytea";
	case 18: return "\"char\"";
	case 19: return "name";
	case VSC_OID_INT8: return "bigint";
	case VSC_OID_INT2: return "smallint";
	case VSC_OID_INT4: return "integer";
	case VSC_OID_TEXT: return "text";
	case 26: return "oid";
	case 114: return "json";
	case 700: return "real";
	case 701: return "double precision";
	case VSC_OID_BPCHAR: return "character";
	case VSC_OID_VARCHAR: return "character varying";
	case 1082: return "date";
	case 1083: return "time without time zone";
	case 1114: return "timestamp without time zone";
	case 1184: return "timestamp with time zone";
	case 1700: return "numeric";
	case 2950: return "uuid";
	case 3802: return "jsonb";
	default: return NULL;
	}
}

/* Which canonical form a column type takes. */
static TypeClass type_class(uint32_t oid)
{
	switch (oid) {
	case VSC_OID_INT2:
	case VSC_OID_INT4:
	case VSC_OID_INT8: return TC_INT;
	case VSC_OID_TEXT:
	case VSC_OID_VARCHAR:
	case VSC_OID_BPCHAR: return TC_TEXT;
	default: return TC_OTHER;
	}
}

/* Check that vindex v takes columns of type oid; 0A000 otherwise. */
static bool check_type(const VscVindex *v, uint32_t oid, VscError *err)
{
	TypeClass tc = type_class(oid);
	if (vsc_vindex_is_lookup(v))
		return vsc_fail(err, "0A000", "vindex %s maps values through its lookup table, not by itself",
				vsc_vindex_kind_str(v->kind));
	if (v->ncolumns > 1)
		return vsc_fail(err, "0A000", "vindex %s maps %d columns together, not one value",
				vsc_vindex_kind_str(v->kind), v->ncolumns);
	bool ok = v->kind == VSC_VINDEX_HASH ? tc != TC_OTHER : v->kind == VSC_VINDEX_RANGE ? vsc_range_type_ok(oid) : tc == TC_INT;
	if (ok)
		return true;
	const char *tn = vsc_type_name(oid);
	if (tn)
		return vsc_fail(err, "0A000", "vindex %s does not support type %s",
			    vsc_vindex_kind_str(v->kind), tn);
	return vsc_fail(err, "0A000", "vindex %s does not support type with OID %u",
		    vsc_vindex_kind_str(v->kind), (unsigned)oid);
}

/* Range check an integer against the column's type, with PostgreSQL's
 * message for a value out of range (22003). */
static bool check_range(uint32_t oid, int64_t i, const char *s, size_t len, VscError *err)
{
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	if (oid == VSC_OID_INT2)
		lo = INT16_MIN, hi = INT16_MAX;
	else if (oid == VSC_OID_INT4)
		lo = INT32_MIN, hi = INT32_MAX;
	if (i >= lo && i <= hi)
		return true;
	return vsc_fail(err, "22003", "value \"%.*s\" is out of range for type %s",
		    (int)(len > 100 ? 100 : len), s, vsc_type_name(oid));
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Parse text as PostgreSQL's int2in/int4in/int8in do: optional surrounding
 * whitespace, optional sign, decimal digits.  22P02 for anything else,
 * 22003 when the value does not fit the column's type. */
static bool parse_int(uint32_t oid, const char *s, size_t len, int64_t *out, VscError *err)
{
	size_t p = 0, end = len;
	int shown = (int)(len > 100 ? 100 : len);
	while (p < end && is_space(s[p]))
		p++;
	while (end > p && is_space(s[end - 1]))
		end--;
	bool neg = false;
	if (p < end && (s[p] == '+' || s[p] == '-'))
		neg = s[p++] == '-';
	if (p == end)
		goto syntax;
	/* Accumulate the magnitude; INT64_MIN's magnitude is one past INT64_MAX. */
	uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	bool overflow = false;
	for (; p < end; p++) {
		if (s[p] < '0' || s[p] > '9')
			goto syntax;
		unsigned d = (unsigned)(s[p] - '0');
		if (mag > (limit - d) / 10)
			overflow = true;
		else
			mag = mag * 10 + d;
	}
	if (overflow)
		return vsc_fail(err, "22003", "value \"%.*s\" is out of range for type %s", shown, s,
			    vsc_type_name(oid));
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return check_range(oid, *out, s, len, err);
syntax:
	return vsc_fail(err, "22P02", "invalid input syntax for type %s: \"%.*s\"", vsc_type_name(oid),
		    shown, s);
}

/* Run the vindex over a canonical value. */
static uint64_t map(const VscVindex *v, const VscValue *val)
{
	switch (v->kind) {
	case VSC_VINDEX_HASH: return vsc_hash_map(val);
	case VSC_VINDEX_NUMERIC: return vsc_numeric_map(val);
	case VSC_VINDEX_RANGE: /* mapped from the value's own form */
	case VSC_VINDEX_LOOKUP:
	case VSC_VINDEX_LOOKUP_UNIQUE:
	case VSC_VINDEX_REGION: /* several columns: vsc_ksid_columns */
	case VSC_VINDEX_MULTICOL: break; /* refused by check_type */
	}
	return 0;
}

/* Text bytes in canonical form: bpchar compares without trailing spaces. */
static VscValue text_value(uint32_t oid, const char *s, size_t len)
{
	if (oid == VSC_OID_BPCHAR)
		while (len > 0 && s[len - 1] == ' ')
			len--;
	return (VscValue){.is_int = false, .s = s, .len = len};
}

/* Map a value in PostgreSQL text form; see vschema.h. */
bool vsc_ksid_text(const VscVindex *v, uint32_t oid, const char *s, size_t len, uint64_t *ksid,
		   VscError *err)
{
	if (!check_type(v, oid, err))
		return false;
	if (v->kind == VSC_VINDEX_RANGE)
		return vsc_range_map_text(v, oid, s, len, ksid, err);
	VscValue val;
	if (type_class(oid) == TC_INT) {
		val = (VscValue){.is_int = true};
		if (!parse_int(oid, s, len, &val.i, err))
			return false;
	} else {
		val = text_value(oid, s, len);
	}
	*ksid = map(v, &val);
	return true;
}

/* Map an integer value; see vschema.h. */
bool vsc_ksid_int(const VscVindex *v, uint32_t oid, int64_t value, uint64_t *ksid, VscError *err)
{
	if (!check_type(v, oid, err))
		return false;
	if (type_class(oid) != TC_INT)
		return vsc_fail(err, "42804", "vindex %s: column of type %s cannot take an integer value",
			    vsc_vindex_kind_str(v->kind), vsc_type_name(oid));
	if (v->kind == VSC_VINDEX_RANGE) {
		char text[24];
		int n = snprintf(text, sizeof(text), "%lld", (long long)value);
		return vsc_range_map_text(v, oid, text, (size_t)n, ksid, err);
	}
	VscValue val = {.is_int = true, .i = value};
	*ksid = map(v, &val);
	return true;
}

/* Map a binary-format parameter; see vschema.h. */
bool vsc_ksid_binary(const VscVindex *v, uint32_t oid, const uint8_t *data, size_t len,
		     uint64_t *ksid, VscError *err)
{
	if (!check_type(v, oid, err))
		return false;
	if (v->kind == VSC_VINDEX_RANGE)
		return vsc_range_map_binary(v, oid, data, len, ksid, err);
	VscValue val;
	if (type_class(oid) == TC_INT) {
		size_t want = oid == VSC_OID_INT2 ? 2 : oid == VSC_OID_INT4 ? 4 : 8;
		if (len != want)
			return vsc_fail(err, "22P03",
				    "incorrect binary data format for type %s: %zu bytes, expected %zu",
				    vsc_type_name(oid), len, want);
		uint64_t u = 0;
		for (size_t k = 0; k < len; k++)
			u = u << 8 | data[k];
		/* Sign-extend from the type's width. */
		int64_t i = want == 2 ? (int16_t)u : want == 4 ? (int32_t)u : (int64_t)u;
		val = (VscValue){.is_int = true, .i = i};
	} else {
		val = text_value(oid, (const char *)data, len);
	}
	*ksid = map(v, &val);
	return true;
}

bool vsc_canonical_text(const VscVindex *v, uint32_t oid, const char *s, size_t len, VscValue *out, VscError *err)
{
	switch (type_class(oid)) {
	case TC_INT:
		*out = (VscValue){.is_int = true};
		return parse_int(oid, s, len, &out->i, err);
	case TC_TEXT:
		*out = text_value(oid, s, len);
		return true;
	case TC_OTHER: break;
	}
	const char *tn = vsc_type_name(oid);
	if (tn)
		return vsc_fail(err, "0A000", "vindex %s does not support type %s", vsc_vindex_kind_str(v->kind), tn);
	return vsc_fail(err, "0A000", "vindex %s does not support type with OID %u", vsc_vindex_kind_str(v->kind),
			(unsigned)oid);
}

/* Map the values of the first n columns of a vindex over several; see vschema.h. */
bool vsc_ksid_columns(const VscVindex *v, int n, const uint32_t *types, const char *const *values, uint64_t *lo,
		      uint64_t *hi, VscError *err)
{
	if (v->kind != VSC_VINDEX_REGION && v->kind != VSC_VINDEX_MULTICOL)
		return vsc_fail(err, "0A000", "vindex %s maps one column", vsc_vindex_kind_str(v->kind));
	if (n < 0 || n > v->ncolumns)
		return vsc_fail(err, "XX000", "vindex %s takes %d columns, not %d", vsc_vindex_kind_str(v->kind),
				v->ncolumns, n);
	VscValue vals[VSC_MAX_VINDEX_COLUMNS];
	for (int i = 0; i < n; i++)
		if (!vsc_canonical_text(v, types[i], values[i], strlen(values[i]), &vals[i], err))
			return false;
	if (v->kind == VSC_VINDEX_MULTICOL) {
		vsc_multicol_map(v, n, vals, lo, hi);
		return true;
	}
	if (n > 0 && vals[0].is_int)
		return vsc_fail(err, "0A000", "vindex region takes its region from a text column, not type %s",
				vsc_type_name(types[0]));
	return vsc_region_map(v, n, vals, lo, hi, err);
}
