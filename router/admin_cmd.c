/*
 * admin_cmd.c - the admin console's commands, which are not SQL and are
 * recognised before a query is parsed, as pgbouncer's console does:
 *
 *   SHUTDOWN                  stop at once (as SIGINT)
 *   SHUTDOWN WAIT_FOR_CLIENTS drain: as SIGTERM (admin.c)
 *   RELOAD                    re-read the passwd file (as SIGHUP)
 *   SET SHARD 'name' READ ONLY | READ WRITE
 *                             writes sent to the shard get 25006
 *   PAUSE [shard], RESUME [shard]
 *                             statements for a paused shard (every shard
 *                             without a name) wait, up to pause_timeout_ms
 *                             (then 57014 naming it), until RESUME
 *
 * Only users in admin_users may run them; others get 42501.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "router/ops.h"
#include "router/router.h"

#define MAX_WORDS 6

/* Split sql into at most MAX_WORDS words (a closing ';' and surrounding
 * space dropped) in buf; the number of words, -1 when there are more or
 * the text is longer than buf. */
static int split(const char *sql, char *buf, size_t size, char **w)
{
	size_t len = strlen(sql);
	if (len >= size)
		return -1;
	memcpy(buf, sql, len + 1);
	while (len > 0 && (isspace((unsigned char)buf[len - 1]) || buf[len - 1] == ';'))
		buf[--len] = 0;
	int n = 0;
	for (char *p = buf; *p;) {
		while (isspace((unsigned char)*p))
			*p++ = 0;
		if (!*p)
			break;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	return n;
}

/* The config file's settings into fresh; false with err. */
static bool read_settings(const RtOps *ops, RtOpsConfig *fresh, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(ops->cfg.config_file, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		snprintf(err, errlen, "%s:%d:%d: %s", ops->cfg.config_file, jerr.line, jerr.column,
			 root ? "expected a JSON object" : jerr.text);
		json_decref(root);
		return false;
	}
	bool ok = rt_ops_config_load(root, ops->cfg.config_file, fresh);
	json_decref(root);
	if (!ok) {
		rt_ops_config_cleanup(fresh);
		snprintf(err, errlen, "%s: a setting is not valid (the log says which)", ops->cfg.config_file);
	}
	return ok;
}

/* Take the settings a running router can change from fresh: all but the
 * listeners, the log file (SIGUSR1 reopens it) and the files RELOAD reads.
 * fresh is left with what goes (the old admin token and users, its own
 * log_file), for rt_ops_config_cleanup. */
static void apply_settings(RtOps *ops, RtOpsConfig *fresh)
{
	RtOpsConfig *c = &ops->cfg;
	RtOpsConfig old = *c;
	*c = *fresh;
	memcpy(c->http_host, old.http_host, sizeof(c->http_host));
	c->http_port = old.http_port;
	memcpy(c->listen_host, old.listen_host, sizeof(c->listen_host));
	c->listen_port = old.listen_port;
	c->log_file = old.log_file;
	c->passwd_file = old.passwd_file;
	c->config_file = old.config_file;
	fresh->admin_token = old.admin_token;
	fresh->admin_users = old.admin_users;
	fresh->nadmin_users = old.nadmin_users;
	ops->rt->pgw.max_message = (uint32_t)c->max_message_size;
	rt_park_pool_freed(ops->rt); /* a larger pool_size lets waiters go on */
	log_set_level((LogLevel)c->log_level);
	log_set_json(c->log_json);
}

bool rt_ops_reload(RtOps *ops, char *err, size_t errlen)
{
	RtRouter *rt = ops->rt;
	RtOpsConfig fresh;
	memset(&fresh, 0, sizeof(fresh));
	PgwUsers users = {0};
	bool ok = (!ops->cfg.config_file || read_settings(ops, &fresh, err, errlen)) &&
		  (!ops->cfg.passwd_file || pgw_users_load(&users, ops->cfg.passwd_file, err, errlen));
	char vs[512] = "";
	ok = ok && rt_vschema_reload(rt, vs, sizeof(vs));
	if (!ok) {
		if (vs[0])
			snprintf(err, errlen, "%s", vs);
		rt_ops_config_cleanup(&fresh);
		pgw_users_cleanup(&users);
		log_warning(NULL, "reload: %s; the users and settings stay as they were, and the VSchema", err);
		return false;
	}
	if (ops->cfg.config_file)
		apply_settings(ops, &fresh);
	rt_ops_config_cleanup(&fresh);
	if (ops->cfg.passwd_file) {
		pgw_users_cleanup(&rt->users);
		rt->users = users;
	}
	snprintf(err, errlen, "%d users, the settings of %s, %s", users.n, ops->cfg.config_file ? ops->cfg.config_file : "(none)",
		 vs[0] ? vs : "no VSchema file");
	log_info(NULL, "reload: %s", err);
	return true;
}

static void done(RtSession *s, const char *tag)
{
	if (tag)
		pgw_send_command_complete(pgw_evconn_conn(s->ec), tag);
	rt_send_ready(s);
	(void)pgw_evconn_flush(s->ec);
}

static void refuse(RtSession *s, const char *sqlstate, const char *msg)
{
	PgwError e;
	pgw_error_set(&e, sqlstate, "%s", msg);
	rt_send_error(s, &e);
	if (s->txn == RT_TXN_BLOCK)
		s->txn = RT_TXN_FAILED;
	done(s, NULL);
}

static void set_shard(RtSession *s, char **w, int n)
{
	bool ro = n == 5 && strcasecmp(w[3], "read") == 0 && strcasecmp(w[4], "only") == 0;
	bool rw = n == 5 && strcasecmp(w[3], "read") == 0 && strcasecmp(w[4], "write") == 0;
	size_t len = strlen(w[2]);
	if ((!ro && !rw) || len < 2 || w[2][0] != '\'' || w[2][len - 1] != '\'') {
		refuse(s, "42601", "expected SET SHARD 'name' READ ONLY | READ WRITE");
		return;
	}
	w[2][len - 1] = 0;
	int i = vsc_shard_by_name(s->rt->vschema, w[2] + 1);
	if (i < 0) {
		char msg[200];
		snprintf(msg, sizeof(msg), "shard \"%.100s\" does not exist", w[2] + 1);
		refuse(s, "42704", msg);
		return;
	}
	s->rt->ops->read_only[i] = ro;
	LogTag tag;
	rt_log_tag(&tag, s->rt, s, i);
	log_info(&tag, "read-%s", ro ? "only" : "write");
	done(s, "SET SHARD");
}

/* Whether sql starts with one of the commands' first words: a test on
 * every query, so it looks no further than that word. */
static const char *const cmds[] = {"shutdown", "reload", "pause", "resume", "set"};

static bool maybe_command(const char *sql)
{
	while (isspace((unsigned char)*sql))
		sql++;
	char c0 = (char)tolower((unsigned char)sql[0]), c1 = c0 ? (char)tolower((unsigned char)sql[1]) : 0;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (c0 != cmds[i][0] || c1 != cmds[i][1])
			continue; /* SELECT, INSERT, ...: no call at all */
		size_t n = strlen(cmds[i]);
		if (strncasecmp(sql, cmds[i], n) == 0 && (!sql[n] || sql[n] == ';' || isspace((unsigned char)sql[n])))
			return true;
	}
	return false;
}

/* PAUSE / RESUME of one shard (name, quoted or not) or, NULL, of all;
 * RESUME lets the statements that wait go on. */
static void pause_resume(RtSession *s, bool pause, char *name)
{
	RtRouter *rt = s->rt;
	int n = vsc_shard_count(rt->vschema), one = -1;
	if (name) {
		size_t len = strlen(name);
		if (len >= 2 && name[0] == '\'' && name[len - 1] == '\'') {
			name[len - 1] = 0;
			name++;
		}
		if ((one = vsc_shard_by_name(rt->vschema, name)) < 0) {
			char msg[200];
			snprintf(msg, sizeof(msg), "shard \"%.100s\" does not exist", name);
			refuse(s, "42704", msg);
			return;
		}
	}
	for (int i = 0; i < n; i++)
		if (one < 0 || i == one)
			rt->ops->paused[i] = pause;
	LogTag tag;
	rt_log_tag(&tag, rt, s, one);
	log_info(&tag, "%s%s", pause ? "PAUSE" : "RESUME", one < 0 ? " of every shard" : "");
	done(s, pause ? "PAUSE" : "RESUME");
	if (pause)
		return;
	int ns;
	RtSession *const *all = rt_sessions(&ns);
	for (int i = 0; i < ns; i++)
		if (all[i]->parked && !rt_session_parked_for_pool(all[i]) && !rt->ops->paused[rt_session_parked_shard(all[i])])
			rt_session_unpark(all[i], false);
}

bool rt_admin_command(RtSession *s, const char *sql)
{
	if (!maybe_command(sql))
		return false;
	char buf[256], *w[MAX_WORDS];
	int n = split(sql, buf, sizeof(buf), w);
	if (n <= 0)
		return false;
	size_t k = 0;
	while (k < sizeof(cmds) / sizeof(cmds[0]) && strcasecmp(w[0], cmds[k]) != 0)
		k++;
	if (k == sizeof(cmds) / sizeof(cmds[0]) || (k == 4 && (n < 2 || strcasecmp(w[1], "shard") != 0)))
		return false; /* SQL */
	RtOps *ops = s->rt->ops;
	char msg[300];
	if (!rt_ops_is_admin(ops, pgw_evconn_conn(s->ec)->user_name)) {
		snprintf(msg, sizeof(msg), "permission denied: %s is for the users of admin_users", cmds[k]);
		refuse(s, "42501", msg);
		return true;
	}
	if (k == 0 && n == 1) {
		log_info(NULL, "SHUTDOWN: stopping");
		event_base_loopbreak(s->rt->base);
		done(s, "SHUTDOWN");
	} else if (k == 0 && n == 2 && strcasecmp(w[1], "wait_for_clients") == 0) {
		done(s, "SHUTDOWN");
		rt_ops_drain(ops);
	} else if (k == 1 && n == 1) {
		if (rt_ops_reload(ops, msg, sizeof(msg)))
			done(s, "RELOAD");
		else
			refuse(s, "F0000", msg);
	} else if ((k == 2 || k == 3) && n <= 2) {
		pause_resume(s, k == 2, n == 2 ? w[1] : NULL);
	} else if (k == 4) {
		set_shard(s, w, n);
	} else {
		snprintf(msg, sizeof(msg), "syntax error in the admin command %s", cmds[k]);
		refuse(s, "42601", msg);
	}
	return true;
}

/* Writes to a read-only shard: false with e set. */
bool rt_ops_write_allowed(const RtOps *ops, const RtRouter *rt, const int *shards, int n, PgwError *e)
{
	for (int i = 0; i < n; i++)
		if (ops->read_only[shards[i]]) {
			pgw_error_set(e, "25006", "cannot write to shard \"%s\": it is read-only (SET SHARD ... READ WRITE)",
				      vsc_shard(rt->vschema, shards[i])->name);
			return false;
		}
	return true;
}
