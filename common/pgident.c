/*
 * pgident.c - quote_identifier() (pgident.h).
 */
#include "common/pgident.h"

#include <stdlib.h>
#include <string.h>

/* PostgreSQL 15's reserved, type/function-name and column-name keywords
 * (kwlist.h), sorted: those are the ones quote_identifier() quotes. */
static const char *const keywords[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "between",
	"bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character", "check", "coalesce",
	"collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
	"current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "dec",
	"decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists", "extract",
	"false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant", "greatest", "group",
	"grouping", "having", "ilike", "in", "initially", "inner", "inout", "int", "integer", "intersect", "interval",
	"into", "is", "isnull", "join", "lateral", "leading", "least", "left", "like", "limit", "localtime",
	"localtimestamp", "national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif",
	"numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing", "position",
	"precision", "primary", "real", "references", "returning", "right", "row", "select", "session_user", "setof",
	"similar", "smallint", "some", "substring", "symmetric", "table", "tablesample", "then", "time", "timestamp",
	"to", "trailing", "treat", "trim", "true", "union", "unique", "user", "using", "values", "varchar",
	"variadic", "verbose", "when", "where", "window", "with", "xmlattributes", "xmlconcat", "xmlelement",
	"xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
};

static int cmp(const void *a, const void *b) { return strcmp(a, *(const char *const *)b); }

bool pgi_needs_quotes(const char *id)
{
	if (!((*id >= 'a' && *id <= 'z') || *id == '_'))
		return true;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return true;
	return bsearch(id, keywords, sizeof(keywords) / sizeof(keywords[0]), sizeof(keywords[0]), cmp) != NULL;
}

void pgi_put_quoted(Buf *b, const char *id)
{
	buf_put_u8(b, '"');
	for (const char *p = id; *p; p++) {
		if (*p == '"')
			buf_put_u8(b, '"');
		buf_put_u8(b, (uint8_t)*p);
	}
	buf_put_u8(b, '"');
}

void pgi_put_ident(Buf *b, const char *id)
{
	if (pgi_needs_quotes(id))
		pgi_put_quoted(b, id);
	else
		buf_put_str(b, id);
}
