/*
 * series.c - generate_series(start, stop [, step]) over integers, as the
 * SQLite table-valued function pg_generate_series.  Its rowid is the
 * 1-based position, which serves WITH ORDINALITY.
 */
#include <sqlite3.h>
#include <string.h>

#include "pgsql/pgsql.h"

typedef struct SeriesCursor {
	sqlite3_vtab_cursor base;
	sqlite3_int64 value, stop, step, rowid;
	int done;
} SeriesCursor;

enum { COL_VALUE, COL_START, COL_STOP, COL_STEP };

static int series_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **vt, char **err)
{
	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value, start HIDDEN, stop HIDDEN, step HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	*vt = sqlite3_malloc(sizeof(sqlite3_vtab));
	if (!*vt)
		return SQLITE_NOMEM;
	memset(*vt, 0, sizeof(sqlite3_vtab));
	sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	return SQLITE_OK;
}

static int series_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int series_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **cur)
{
	(void)vt;
	SeriesCursor *c = sqlite3_malloc(sizeof(*c));
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*cur = &c->base;
	return SQLITE_OK;
}

static int series_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int series_next(sqlite3_vtab_cursor *cur)
{
	SeriesCursor *c = (SeriesCursor *)cur;
	if (__builtin_add_overflow(c->value, c->step, &c->value))
		c->done = 1;
	c->rowid++;
	return SQLITE_OK;
}

static int series_eof(sqlite3_vtab_cursor *cur)
{
	SeriesCursor *c = (SeriesCursor *)cur;
	return c->done || (c->step > 0 ? c->value > c->stop : c->value < c->stop);
}

static int series_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	SeriesCursor *c = (SeriesCursor *)cur;
	sqlite3_result_int64(ctx, col == COL_VALUE ? c->value : col == COL_STOP ? c->stop : col == COL_STEP ? c->step : 0);
	return SQLITE_OK;
}

static int series_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = ((SeriesCursor *)cur)->rowid;
	return SQLITE_OK;
}

/* argv holds start, stop and (optionally) step, as planned by best_index. */
static int series_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc, sqlite3_value **argv)
{
	(void)idxstr;
	SeriesCursor *c = (SeriesCursor *)cur;
	c->done = 0;
	c->rowid = 1;
	c->step = 1;
	if (argc < 2 || !(idx & 3)) {
		c->done = 1;
		return SQLITE_OK;
	}
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
			c->done = 1; /* any NULL argument: no rows, as in PostgreSQL */
			return SQLITE_OK;
		}
	c->value = sqlite3_value_int64(argv[0]);
	c->stop = sqlite3_value_int64(argv[1]);
	if (argc > 2)
		c->step = sqlite3_value_int64(argv[2]);
	if (c->step == 0) {
		cur->pVtab->zErrMsg = sqlite3_mprintf("22023:step size cannot equal zero");
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

/* start, stop and step must be equality constraints on the hidden columns. */
static int series_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	(void)vt;
	int pos[3] = {-1, -1, -1};
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *k = &info->aConstraint[i];
		if (k->iColumn < COL_START || k->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!k->usable)
			return SQLITE_CONSTRAINT;
		pos[k->iColumn - COL_START] = i;
	}
	if (pos[0] < 0 || pos[1] < 0)
		return SQLITE_CONSTRAINT;
	int n = 0;
	for (int j = 0; j < 3; j++)
		if (pos[j] >= 0) {
			info->aConstraintUsage[pos[j]].argvIndex = ++n;
			info->aConstraintUsage[pos[j]].omit = 1;
		}
	info->idxNum = 3;
	info->estimatedCost = 10;
	info->estimatedRows = 1000;
	return SQLITE_OK;
}

static const sqlite3_module series_module = {
	.iVersion = 0,
	.xConnect = series_connect,
	.xBestIndex = series_best_index,
	.xDisconnect = series_disconnect,
	.xOpen = series_open,
	.xClose = series_close,
	.xFilter = series_filter,
	.xNext = series_next,
	.xEof = series_eof,
	.xColumn = series_column,
	.xRowid = series_rowid,
};

bool pgs_series_register(sqlite3 *db)
{
	return sqlite3_create_module(db, "pg_generate_series", &series_module, NULL) == SQLITE_OK;
}
