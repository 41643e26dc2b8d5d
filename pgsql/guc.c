/*
 * guc.c - the session's settings (SET, SHOW, set_config, current_setting,
 * the startup packet's parameters): the ones PostgreSQL reports in
 * ParameterStatus, the ones output depends on (PgtFormat), the statement
 * timeout, and the rest kept as text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgsql/pgsql.h"

typedef struct GucDef {
	const char *name;     /* lower case */
	const char *reported; /* ParameterStatus name, NULL if not reported */
	const char *initial;
	bool readonly;
} GucDef;

static const GucDef gucdefs[] = {
	{"application_name", "application_name", "", false},
	{"client_encoding", "client_encoding", "UTF8", false},
	{"datestyle", "DateStyle", "ISO, MDY", false},
	{"default_transaction_read_only", "default_transaction_read_only", "off", false},
	{"in_hot_standby", "in_hot_standby", "off", true},
	{"integer_datetimes", "integer_datetimes", "on", true},
	{"intervalstyle", "IntervalStyle", "postgres", false},
	{"is_superuser", "is_superuser", "on", true},
	{"server_encoding", "server_encoding", "UTF8", true},
	{"server_version", "server_version", PGW_SERVER_VERSION, true},
	{"session_authorization", "session_authorization", "", false},
	{"standard_conforming_strings", "standard_conforming_strings", "on", false},
	{"timezone", "TimeZone", "UTC", false},
	{"server_version_num", NULL, PGW_SERVER_VERSION_NUM, true},
	{"extra_float_digits", NULL, "1", false},
	{"search_path", NULL, "\"$user\", public", false},
	{"statement_timeout", NULL, "0", false},
	{"lock_timeout", NULL, "0", false},
	{"idle_in_transaction_session_timeout", NULL, "0", false},
	{"idle_session_timeout", NULL, "0", false},
	{"client_min_messages", NULL, "notice", false},
	{"transaction_isolation", NULL, "serializable", false},
	{"default_transaction_isolation", NULL, "serializable", false},
	{"transaction_read_only", NULL, "off", false},
	{"default_transaction_deferrable", NULL, "off", false},
	{"transaction_deferrable", NULL, "off", false},
	{"synchronous_commit", NULL, "on", false},
	{"bytea_output", NULL, "hex", false},
	{"escape_string_warning", NULL, "on", false},
	{"row_security", NULL, "on", false},
	{"work_mem", NULL, "4MB", false},
	{"maintenance_work_mem", NULL, "64MB", false},
	{"max_parallel_workers_per_gather", NULL, "2", false},
	{"jit", NULL, "off", false},
	{"lc_messages", NULL, "C", false},
	{"lc_monetary", NULL, "C", false},
	{"lc_numeric", NULL, "C", false},
	{"lc_time", NULL, "C", false},
	{"max_identifier_length", NULL, "63", true},
	{"max_connections", NULL, "1000", true},
	{"block_size", NULL, "8192", true},
	{"session_replication_role", NULL, "origin", false},
	{"check_function_bodies", NULL, "on", false},
	{"xmloption", NULL, "content", false},
	{"plan_cache_mode", NULL, "auto", false},
	{"geqo", NULL, "on", false},
	{"random_page_cost", NULL, "4", false},
	{"effective_cache_size", NULL, "4GB", false},
	{"temp_buffers", NULL, "8MB", false},
	{"log_statement", NULL, "none", false},
	{"log_min_duration_statement", NULL, "-1", false},
	{"array_nulls", NULL, "on", false},
	{"backslash_quote", NULL, "safe_encoding", false},
	{"quote_all_identifiers", NULL, "off", false},
	{"cursor_tuple_fraction", NULL, "0.1", false},
	{"timezone_abbreviations", NULL, "Default", false},
	{"default_with_oids", NULL, "off", false},
	{"tcp_keepalives_idle", NULL, "0", false},
	{"tcp_keepalives_interval", NULL, "0", false},
	{"tcp_keepalives_count", NULL, "0", false},
	{"default_tablespace", NULL, "", false},
	{"temp_tablespaces", NULL, "", false},
	{"role", NULL, "none", false},
	{"wal_level", NULL, "logical", true},
	{"max_wal_senders", NULL, "10", true},
	{"max_replication_slots", NULL, "10", true},
	{"ssl", NULL, "off", true},
	/* planner settings: accepted and shown, SQLite plans its own way */
	{"parallel_setup_cost", NULL, "1000", false},
	{"parallel_tuple_cost", NULL, "0.1", false},
	{"min_parallel_table_scan_size", NULL, "8MB", false},
	{"min_parallel_index_scan_size", NULL, "512kB", false},
	{"parallel_leader_participation", NULL, "on", false},
	{"max_parallel_workers", NULL, "8", false},
	{"jit_above_cost", NULL, "100000", false},
	{"jit_inline_above_cost", NULL, "500000", false},
	{"jit_optimize_above_cost", NULL, "500000", false},
	{"seq_page_cost", NULL, "1", false},
	{"cpu_tuple_cost", NULL, "0.01", false},
	{"cpu_index_tuple_cost", NULL, "0.005", false},
	{"cpu_operator_cost", NULL, "0.0025", false},
	{"hash_mem_multiplier", NULL, "2", false},
	{"from_collapse_limit", NULL, "8", false},
	{"join_collapse_limit", NULL, "8", false},
	{"geqo_threshold", NULL, "12", false},
	{"geqo_effort", NULL, "5", false},
	{"geqo_pool_size", NULL, "0", false},
	{"geqo_generations", NULL, "0", false},
	{"geqo_selection_bias", NULL, "2", false},
	{"geqo_seed", NULL, "0", false},
	{"constraint_exclusion", NULL, "partition", false},
	{"force_parallel_mode", NULL, "off", false},
	{"recursive_worktable_factor", NULL, "10", false},
	{"max_stack_depth", NULL, "2MB", false},
};

static const GucDef *guc_def(const char *lname)
{
	for (size_t i = 0; i < sizeof(gucdefs) / sizeof(gucdefs[0]); i++)
		if (strcmp(gucdefs[i].name, lname) == 0)
			return &gucdefs[i];
	return NULL;
}

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = 0;
}

const char *pgs_guc_get(PgsSession *s, const char *name)
{
	char l[128];
	lower_copy(l, sizeof(l), name);
	if (strcmp(l, "transaction isolation level") == 0)
		lower_copy(l, sizeof(l), "transaction_isolation");
	for (int i = 0; i < s->nguc; i++)
		if (strcmp(s->gucs[i].name, l) == 0)
			return s->gucs[i].value;
	return NULL;
}

/* Store without checks (start-up defaults). */
static void guc_put(PgsSession *s, const char *lname, const char *value)
{
	for (int i = 0; i < s->nguc; i++)
		if (strcmp(s->gucs[i].name, lname) == 0) {
			free(s->gucs[i].value);
			s->gucs[i].value = strdup(value);
			return;
		}
	if (s->nguc == s->gucap) {
		s->gucap = s->gucap ? s->gucap * 2 : 64;
		s->gucs = realloc(s->gucs, sizeof(PgsGuc) * (size_t)s->gucap);
	}
	s->gucs[s->nguc].name = strdup(lname);
	s->gucs[s->nguc].value = strdup(value);
	s->gucs[s->nguc].reset = NULL;
	s->nguc++;
}

/* The settings as they are now become what RESET returns to (the end of
 * start-up). */
void pgs_guc_mark_reset(PgsSession *s)
{
	for (int i = 0; i < s->nguc; i++) {
		free(s->gucs[i].reset);
		s->gucs[i].reset = strdup(s->gucs[i].value);
	}
}

const char *pgs_guc_reset_value(PgsSession *s, const char *name)
{
	char l[128];
	lower_copy(l, sizeof(l), name);
	for (int i = 0; i < s->nguc; i++)
		if (strcmp(s->gucs[i].name, l) == 0)
			return s->gucs[i].reset ? s->gucs[i].reset : "";
	return NULL;
}

void pgs_guc_reset_all(PgsSession *s)
{
	for (int i = 0; i < s->nguc; i++) {
		const char *n = s->gucs[i].name, *to = s->gucs[i].reset ? s->gucs[i].reset : "";
		const GucDef *d = guc_def(n);
		if ((d && d->readonly) || strncmp(n, "transaction_", 12) == 0 || strcmp(n, "session_authorization") == 0 ||
		    strcmp(n, "role") == 0 || strcmp(s->gucs[i].value, to) == 0)
			continue;
		PgwError e;
		(void)pgs_guc_set(s, n, to, &e); /* it held at start-up; the reset value stays as it is */
	}
}

bool pgs_guc_set(PgsSession *s, const char *name, const char *value, PgwError *err)
{
	char l[128], v[256];
	lower_copy(l, sizeof(l), name);
	snprintf(v, sizeof(v), "%s", value);
	const GucDef *d = guc_def(l);
	if (s->hooks.set_own) {
		int taken = s->hooks.set_own(s->hooks.arg, l, v, err);
		if (taken >= 0)
			return taken > 0;
	}
	if (!d && !strchr(l, '.') && strncmp(l, "enable_", 7) != 0) {
		pgw_error_set(err, "42704", "unrecognized configuration parameter \"%s\"", name);
		return false;
	}
	if (d && d->readonly) {
		pgw_error_set(err, "55P02", "parameter \"%s\" cannot be changed", name);
		return false;
	}
	if (strcmp(l, "client_encoding") == 0) {
		if (strcasecmp(v, "utf8") == 0 || strcasecmp(v, "utf-8") == 0 || strcasecmp(v, "unicode") == 0)
			snprintf(v, sizeof(v), "UTF8");
		else if (strcasecmp(v, "sql_ascii") == 0)
			snprintf(v, sizeof(v), "SQL_ASCII");
		else {
			pgw_error_set(err, "0A000", "client_encoding \"%s\" is not supported by DoSQL (UTF8 only)", value);
			return false;
		}
	} else if (strcmp(l, "datestyle") == 0) {
		if (strncasecmp(v, "iso", 3) != 0) {
			pgw_error_set(err, "0A000", "DateStyle \"%s\" is not supported by DoSQL (ISO only)", value);
			return false;
		}
		const char *order = strcasestr(v, "dmy") ? "DMY" : strcasestr(v, "ymd") ? "YMD" : "MDY";
		snprintf(v, sizeof(v), "ISO, %s", order);
		s->fmt.date_order = order[0];
	} else if (strcmp(l, "intervalstyle") == 0) {
		if (strcasecmp(v, "postgres") != 0) {
			pgw_error_set(err, "0A000", "IntervalStyle \"%s\" is not supported by DoSQL", value);
			return false;
		}
		snprintf(v, sizeof(v), "postgres");
	} else if (strcmp(l, "extra_float_digits") == 0) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < -15 || n > 3) {
			pgw_error_set(err, "22023", "invalid value for parameter \"extra_float_digits\": \"%s\"", value);
			return false;
		}
		s->fmt.extra_float_digits = (int)n;
	} else if (strcmp(l, "timezone") == 0) {
		if (strcasecmp(v, "local") == 0 || strcasecmp(v, "default") == 0)
			snprintf(v, sizeof(v), "UTC");
		char rule[64];
		pgt_timezone_setting(v, sizeof(v), rule, sizeof(rule));
		if (strlen(rule) >= sizeof(s->fmt.timezone) || !pgt_timezone_valid(rule)) {
			pgw_error_set(err, "22023", "invalid value for parameter \"TimeZone\": \"%s\"", value);
			return false;
		}
		memcpy(s->fmt.timezone, rule, strlen(rule) + 1);
	} else if (strcmp(l, "statement_timeout") == 0) {
		/* milliseconds, or a number with a unit: us, ms, s, min, h, d */
		char *end;
		double n = strtod(v, &end);
		while (*end == ' ')
			end++;
		static const struct {
			const char *unit;
			double ms;
		} units[] = {{"", 1}, {"us", 0.001}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
		double scale = -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].unit) == 0)
				scale = units[i].ms;
		if (end == v || scale < 0 || n < 0 || n * scale > 2147483647.0) {
			pgw_error_set(err, "22023", "invalid value for parameter \"statement_timeout\": \"%s\"", value);
			return false;
		}
		s->statement_timeout_ms = (int64_t)(n * scale);
		/* shown in the largest unit that divides it, as PostgreSQL does */
		static const struct {
			const char *unit;
			int64_t ms;
		} show[] = {{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}, {"ms", 1}};
		int64_t ms = s->statement_timeout_ms;
		snprintf(v, sizeof(v), "0");
		for (size_t i = 0; ms && i < sizeof(show) / sizeof(show[0]); i++)
			if (ms % show[i].ms == 0) {
				snprintf(v, sizeof(v), "%lld%s", (long long)(ms / show[i].ms), show[i].unit);
				break;
			}
	} else if (strcmp(l, "standard_conforming_strings") == 0) {
		if (strcasecmp(v, "on") != 0 && strcasecmp(v, "true") != 0) {
			pgw_error_set(err, "0A000", "standard_conforming_strings = off is not supported by DoSQL");
			return false;
		}
		snprintf(v, sizeof(v), "on");
	} else if (strcmp(l, "transaction_isolation") == 0 || strcmp(l, "default_transaction_isolation") == 0) {
		/* every level is served by SQLite's serializable transactions */
		for (char *p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	const char *old = pgs_guc_get(s, l);
	bool changed = !old || strcmp(old, v) != 0;
	guc_put(s, l, v);
	if (d && d->reported && changed && s->conn->state != PGW_STARTUP)
		pgw_send_parameter_status(s->conn, d->reported, v);
	return true;
}

void pgs_guc_init(PgsSession *s)
{
	for (size_t i = 0; i < sizeof(gucdefs) / sizeof(gucdefs[0]); i++)
		guc_put(s, gucdefs[i].name, gucdefs[i].initial);
	guc_put(s, "session_authorization", s->conn->user_name);
	s->fmt.extra_float_digits = 1;
	snprintf(s->fmt.timezone, sizeof(s->fmt.timezone), "UTC");
	s->fmt.txn_now = &s->txn_start_us;
}

static void gucs_free(PgsSession *s)
{
	for (int i = 0; i < s->nguc; i++) {
		free(s->gucs[i].name);
		free(s->gucs[i].value);
		free(s->gucs[i].reset);
	}
	s->nguc = 0;
}

void pgs_guc_defaults(PgsSession *s)
{
	gucs_free(s);
	memset(&s->fmt, 0, sizeof(s->fmt));
	pgs_guc_init(s);
}

void pgs_guc_free(PgsSession *s)
{
	gucs_free(s);
	free(s->gucs);
	s->gucs = NULL;
	s->gucap = 0;
}

void pgs_guc_report_all(PgsSession *s)
{
	for (size_t i = 0; i < sizeof(gucdefs) / sizeof(gucdefs[0]); i++)
		if (gucdefs[i].reported)
			pgw_send_parameter_status(s->conn, gucdefs[i].reported, pgs_guc_get(s, gucdefs[i].name));
}

/* The startup "options" parameter: "-c name=value" and "--name=value"
 * settings separated by spaces (a backslash escapes a space). */
bool pgs_guc_apply_options(PgsSession *s, const char *opts, PgwError *e)
{
	char word[1024];
	const char *p = opts;
	bool want_c = false;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = 0;
		for (; *p && *p != ' '; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < sizeof(word))
				word[n++] = *p;
		}
		word[n] = 0;
		if (!n)
			break;
		if (strcmp(word, "-c") == 0) {
			want_c = true;
			continue;
		}
		const char *setting = want_c ? word : strncmp(word, "--", 2) == 0 ? word + 2 : NULL;
		want_c = false;
		char *eq = setting ? strchr(setting, '=') : NULL;
		if (!eq) {
			pgw_error_set(e, "42601", "invalid command-line argument for server process: %s", word);
			return false;
		}
		*eq = 0;
		for (char *q = (char *)setting; *q; q++)
			if (*q == '-')
				*q = '_';
		if (!pgs_guc_set(s, setting, eq + 1, e))
			return false;
	}
	return true;
}

/* The value of a SET argument list as PostgreSQL prints it. */
static void set_value(PgQuery__VariableSetStmt *vs, Buf *out)
{
	for (size_t i = 0; i < vs->n_args; i++) {
		PgQuery__Node *a = vs->args[i];
		if (i)
			buf_put_str(out, ", ");
		if (a->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
			a = a->type_cast->arg;
		if (a->node_case != PG_QUERY__NODE__NODE_A_CONST)
			continue;
		PgQuery__AConst *c = a->a_const;
		switch (c->val_case) {
		case PG_QUERY__A__CONST__VAL_SVAL:
			buf_put_str(out, c->sval->sval);
			break;
		case PG_QUERY__A__CONST__VAL_IVAL:
			buf_printf(out, "%d", c->ival->ival);
			break;
		case PG_QUERY__A__CONST__VAL_FVAL:
			buf_put_str(out, c->fval->fval);
			break;
		case PG_QUERY__A__CONST__VAL_BOOLVAL:
			buf_put_str(out, c->boolval->boolval ? "on" : "off");
			break;
		default:
			break;
		}
	}
}

static const char *defelem_str(PgQuery__DefElem *d, char *tmp, size_t n)
{
	PgQuery__Node *a = d->arg;
	if (!a || a->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return "";
	PgQuery__AConst *c = a->a_const;
	if (c->val_case == PG_QUERY__A__CONST__VAL_SVAL)
		return c->sval->sval;
	if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		snprintf(tmp, n, "%d", c->ival->ival);
		return tmp;
	}
	if (c->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
		return c->boolval->boolval ? "1" : "0";
	return "";
}

bool pgs_txn_options(PgsSession *s, size_t n, PgQuery__Node **opts, bool session_default, bool *read_only,
		     PgwError *e)
{
	for (size_t i = 0; i < n; i++) {
		PgQuery__DefElem *d = opts[i]->def_elem;
		char tmp[32];
		const char *v = defelem_str(d, tmp, sizeof(tmp));
		if (strcmp(d->defname, "transaction_read_only") == 0) {
			bool ro = strcmp(v, "1") == 0;
			if (!session_default)
				*read_only = *read_only || ro;
			else if (!pgs_guc_set(s, "default_transaction_read_only", ro ? "on" : "off", e))
				return false;
		} else if (strcmp(d->defname, "transaction_isolation") == 0) {
			/* SQLite transactions are serializable: every level is honoured */
			if (session_default && !pgs_guc_set(s, "default_transaction_isolation", v, e))
				return false;
		}
	}
	return true;
}

/* The value RESET and SET ... TO DEFAULT give a setting. */
static const char *reset_value(PgsSession *s, const char *name)
{
	const char *deflt = pgs_guc_reset_value(s, name);
	if (deflt)
		return deflt;
	static const struct {
		const char *n, *v;
	} defaults[] = {{"client_encoding", "UTF8"}, {"application_name", ""}, {"datestyle", "ISO, MDY"},
			{"timezone", "UTC"}, {"extra_float_digits", "1"}, {"search_path", "\"$user\", public"},
			{"statement_timeout", "0"}, {"client_min_messages", "notice"}};
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strcasecmp(defaults[i].n, name) == 0)
			return defaults[i].v;
	return "";
}

int pgs_set(PgsSession *s, PgQuery__VariableSetStmt *vs, const char **tag, PgwError *e)
{
	bool ok = true;
	*tag = "SET";
	switch (vs->kind) {
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE: {
		Buf v;
		buf_init(&v);
		set_value(vs, &v);
		ok = pgs_guc_set(s, vs->name, buf_cstr(&v), e);
		buf_cleanup(&v);
		break;
	}
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		*tag = vs->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET ? "RESET" : "SET";
		ok = pgs_guc_set(s, vs->name, reset_value(s, vs->name), e);
		break;
	case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI: {
		if (strcmp(vs->name, "TRANSACTION") == 0)
			return -1;
		bool ro = false;
		ok = pgs_txn_options(s, vs->n_args, vs->args, true, &ro, e);
		break;
	}
	case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
		pgs_guc_reset_all(s);
		*tag = "RESET";
		break;
	default:
		ok = false;
		pgw_error_set(e, "0A000", "SET ... FROM CURRENT is not supported by DoSQL");
		break;
	}
	return ok ? 1 : 0;
}
