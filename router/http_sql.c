/*
 * http_sql.c - the HTTP SQL API: POST /sql/query and POST /sql/exec with
 * {"sql": "...", "params": [...]} run the statement through the router's
 * own PostgreSQL listener (a libpq connection of the caller's user, on the
 * loop), so it meets the same planner, shards, limits and permissions as
 * any client.  Parameters are $1..$n (JSON null is NULL, strings as they
 * are, other values as their JSON text); values come back as JSON where
 * JSON has the type (booleans, integers, floats, json) and as PostgreSQL's
 * text output otherwise.  Errors are {"error": {"code", "message"}} with
 * 400 (the statement), 409 (a conflict: unique violation, serialization
 * failure), 503 (the router or a shard unavailable) or 500.
 * Credentials: HTTP Basic of a user of the passwd file; 401 without.
 * Each request is a session, which takes a token of
 * connections_per_second: 429 with Retry-After when there is none.
 */
#include <event2/http.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/ops.h"
#include "router/pgasync.h"
#include "router/router.h"

typedef struct SqlReq {
	struct evhttp_request *req;
	bool exec; /* /sql/exec: the count and the command, no rows */
	RtPgAsync *a;
	json_t *body; /* owned: the request */
	int nparams;
	char **values; /* owned */
	json_t *answer; /* owned: the reply being built, or the error */
	int code;
} SqlReq;

static void sql_free(SqlReq *q)
{
	if (q->a)
		rt_pgasync_free(q->a);
	for (int i = 0; i < q->nparams; i++)
		free(q->values[i]);
	free(q->values);
	json_decref(q->body);
	json_decref(q->answer);
	free(q);
}

static const char *type_name(Oid t)
{
	static const struct {
		Oid oid;
		const char *name;
	} names[] = {{16, "bool"},     {17, "bytea"},     {20, "int8"},   {21, "int2"},    {23, "int4"},
		     {25, "text"},     {26, "oid"},       {114, "json"},  {700, "float4"}, {701, "float8"},
		     {1042, "bpchar"}, {1043, "varchar"}, {1082, "date"}, {1083, "time"},  {1114, "timestamp"},
		     {1184, "timestamptz"}, {1186, "interval"}, {1700, "numeric"}, {2950, "uuid"}, {3802, "jsonb"}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].oid == t)
			return names[i].name;
	return NULL;
}

/* A value as JSON: JSON's own types where they hold it exactly. */
static json_t *value_json(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return json_null();
	const char *v = PQgetvalue(r, row, col);
	char *end;
	switch (PQftype(r, col)) {
	case 16:
		return json_boolean(v[0] == 't');
	case 20:
	case 21:
	case 23:
	case 26:
		return json_integer((json_int_t)strtoll(v, NULL, 10));
	case 700:
	case 701: {
		double d = strtod(v, &end);
		return *end || !isfinite(d) ? json_string(v) : json_real(d);
	}
	case 114:
	case 3802: {
		json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
		return j ? j : json_string(v);
	}
	default:
		return json_string(v);
	}
}

static json_t *rows_json(const PGresult *r)
{
	json_t *cols = json_array(), *rows = json_array();
	for (int c = 0; c < PQnfields(r); c++) {
		const char *tn = type_name(PQftype(r, c));
		char oid[16];
		snprintf(oid, sizeof(oid), "%u", PQftype(r, c));
		json_array_append_new(cols, json_pack("{s:s,s:s}", "name", PQfname(r, c), "type", tn ? tn : oid));
	}
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *row = json_array();
		for (int c = 0; c < PQnfields(r); c++)
			json_array_append_new(row, value_json(r, i, c));
		json_array_append_new(rows, row);
	}
	return json_pack("{s:o,s:o,s:i}", "columns", cols, "rows", rows, "rowCount", PQntuples(r));
}

/* The HTTP status for an error's SQLSTATE. */
static int error_status(const char *st)
{
	if (strncmp(st, "23", 2) == 0 || strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		return 409;
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "57", 2) == 0 || strncmp(st, "53", 2) == 0)
		return 503;
	if (strncmp(st, "XX", 2) == 0 || strncmp(st, "58", 2) == 0)
		return 500;
	return 400;
}

static void set_error(SqlReq *q, const char *sqlstate, const char *msg)
{
	json_decref(q->answer);
	q->code = error_status(sqlstate);
	q->answer = json_pack("{s:{s:s,s:s}}", "error", "code", sqlstate, "message", msg);
}

static void sql_result(void *arg, RtPgAsync *a, PGresult *r)
{
	(void)a;
	SqlReq *q = arg;
	if (!r) {
		rt_http_reply_json(q->req, q->code, q->answer);
		q->answer = NULL;
		sql_free(q);
		return;
	}
	ExecStatusType st = PQresultStatus(r);
	if (q->code == 200 && st == PGRES_TUPLES_OK && !q->exec) {
		json_decref(q->answer);
		q->answer = rows_json(r);
	} else if (q->code == 200 && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "%s", PQcmdStatus(r));
		cmd[strcspn(cmd, " ")] = 0;
		long long n = st == PGRES_TUPLES_OK ? PQntuples(r) : strtoll(PQcmdTuples(r), NULL, 10);
		json_decref(q->answer);
		q->answer = q->exec ? json_pack("{s:I,s:s}", "rowCount", (json_int_t)n, "command", cmd)
				    : json_pack("{s:[],s:[],s:I,s:s}", "columns", "rows", "rowCount", (json_int_t)n,
						"command", cmd);
	} else if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
		const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		set_error(q, code ? code : "XX000", msg ? msg : "error");
	} else if (q->code == 200 && st != PGRES_EMPTY_QUERY) {
		set_error(q, "0A000", "the HTTP SQL API runs statements that return rows or a count (not COPY)");
	}
	PQclear(r);
}

static void sql_ready(void *arg, RtPgAsync *a)
{
	SqlReq *q = arg;
	const char *sql = json_string_value(json_object_get(q->body, "sql"));
	int ok = PQsendQueryParams(rt_pgasync_conn(a), sql, q->nparams, NULL, (const char *const *)q->values, NULL, NULL, 0);
	(void)rt_pgasync_sent(a, ok);
}

static void sql_failed(void *arg, RtPgAsync *a, const char *why)
{
	(void)a;
	SqlReq *q = arg;
	char msg[300];
	snprintf(msg, sizeof(msg), "%s", why ? why : "the router could not be reached");
	msg[strcspn(msg, "\n")] = 0;
	set_error(q, strstr(msg, "too many") ? "53300" : "08006", msg);
	if (strstr(msg, "too many")) {
		q->code = 429;
		evhttp_add_header(evhttp_request_get_output_headers(q->req), "Retry-After", "1");
	}
	rt_http_reply_json(q->req, q->code, q->answer);
	q->answer = NULL;
	q->a = NULL; /* failed hands it over: freed here */
	rt_pgasync_free(a);
	sql_free(q);
}

static const RtPgAsyncOps sql_ops = {sql_ready, sql_result, sql_failed};

/* The request's parameters as text, or false (with a 400 sent). */
static bool load_params(SqlReq *q)
{
	json_t *sql = json_object_get(q->body, "sql"), *params = json_object_get(q->body, "params");
	if (!json_is_string(sql) || (params && !json_is_array(params)) || json_array_size(params) > 65535) {
		rt_http_reply_error(q->req, 400, "22023", "expected {\"sql\": string, \"params\": array}");
		return false;
	}
	q->nparams = (int)json_array_size(params);
	q->values = calloc((size_t)q->nparams + 1, sizeof(char *));
	for (int i = 0; q->values && i < q->nparams; i++) {
		json_t *v = json_array_get(params, (size_t)i);
		if (json_is_string(v))
			q->values[i] = strdup(json_string_value(v));
		else if (!json_is_null(v))
			q->values[i] = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	}
	if (!q->values) {
		rt_http_reply_error(q->req, 500, "53200", "out of memory");
		return false;
	}
	return true;
}

static void run(RtOps *ops, struct evhttp_request *req, bool exec)
{
	char user[128], password[256];
	if (!rt_ops_take_token(ops, false)) { /* its session takes it */
		char msg[160];
		snprintf(msg, sizeof(msg), "too many new connections (connections_per_second is %d, connections_burst %d)",
			 ops->cfg.connections_per_second, ops->cfg.connections_burst);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		rt_http_reply_error(req, 429, "53300", msg);
		return;
	}
	if (!rt_http_basic_user(ops, req, user, sizeof(user), password, sizeof(password))) {
		OPENSSL_cleanse(password, sizeof(password));
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Basic realm=\"dosql\"");
		rt_http_reply_error(req, 401, "28000", "authentication required: a user's name and password (HTTP Basic)");
		return;
	}
	SqlReq *q = calloc(1, sizeof(*q));
	if (!q) {
		rt_http_reply_error(req, 500, "53200", "out of memory");
		return;
	}
	q->req = req;
	q->exec = exec;
	q->code = 200;
	q->body = rt_http_body_json(req);
	if (!q->body)
		rt_http_reply_error(req, 400, "22P02", "the body is not a JSON object");
	if (!q->body || !load_params(q)) {
		OPENSSL_cleanse(password, sizeof(password));
		sql_free(q);
		return;
	}
	VscShard self = {.name = "router", .host = ops->cfg.listen_host, .port = ops->cfg.listen_port};
	RtPgAsyncParams p = {.user = user,
			     .database = ops->rt->shard_database,
			     .application_name = "dosql http",
			     .password = password,
			     .timeout_us = 10 * 1000000};
	q->a = rt_pgasync_connect(ops->rt->base, &self, &p, &sql_ops, q);
	OPENSSL_cleanse(password, sizeof(password));
	if (!q->a) {
		rt_http_reply_error(req, 500, "53200", "out of memory");
		sql_free(q);
	}
}

void rt_http_sql_query(RtOps *ops, struct evhttp_request *req) { run(ops, req, false); }
void rt_http_sql_exec(RtOps *ops, struct evhttp_request *req) { run(ops, req, true); }
