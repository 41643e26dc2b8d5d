/*
 * fuzz_stub.c - the PgwHandler of the libFuzzer targets.
 */
#include "fuzz/fuzz_stub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read every byte of p[0..n) so that AddressSanitizer checks the range the
 * engine handed over. */
static volatile uint8_t touch_sink;

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		touch_sink ^= b[i];
}

const char *fuzz_verifier(void)
{
	static char verifier[256];
	if (!verifier[0] && !pgw_scram_make_verifier(FUZZ_PASSWORD, PGW_SCRAM_DEFAULT_ITERATIONS, verifier,
						     sizeof(verifier)))
		abort();
	return verifier;
}

static bool stub_session_start(PgwConn *c)
{
	pgw_send_parameter_status(c, "server_version", PGW_SERVER_VERSION);
	pgw_send_parameter_status(c, "client_encoding", "UTF8");
	const char *app = pgw_startup_param(c, "application_name");
	if (app && strcmp(app, "refuse") == 0) {
		pgw_send_fatalf(c, "28000", "session refused for \"%s\"", c->user_name);
		return false;
	}
	return true;
}

/* The SCRAM verifier, except under md5 auth: there a SCRAM verifier would
 * switch the exchange to SCRAM, so the MD5 secret is returned instead. */
static const char *stub_user_secret(PgwConn *c, const char *user)
{
	static char md5_secret[36];
	if (c->cfg->auth != PGW_AUTH_MD5)
		return fuzz_verifier();
	pgw_md5_make_secret(user, FUZZ_PASSWORD, md5_secret);
	return md5_secret;
}

static void stub_cancel(PgwConn *c, int32_t pid, int32_t key)
{
	(void)c;
	(void)pid;
	(void)key;
}

static void send_one_row(PgwConn *c, const char *text)
{
	pgw_row_begin(c, 2);
	size_t mark = pgw_row_value_begin(c);
	buf_put_str(&c->out, text);
	pgw_row_value_end(c, mark);
	pgw_row_null(c);
	pgw_row_end(c);
}

static void send_row_description(PgwConn *c)
{
	static const PgwField fields[2] = {
		{.name = "text", .type_oid = 25, .typlen = -1, .typmod = -1, .format = 0},
		{.name = "n", .table_oid = 16384, .attnum = 2, .type_oid = 23, .typlen = 4, .typmod = -1, .format = 1},
	};
	pgw_send_row_description(c, 2, fields);
}

static void stub_query(PgwConn *c, const char *sql)
{
	touch(sql, strlen(sql));
	if (sql[0] == '\0') {
		pgw_send_empty_query(c);
	} else if (strncmp(sql, "copy", 4) == 0) {
		pgw_send_copy_in_response(c, 0, 2);
		pgw_conn_copy_in(c);
		return;
	} else if (strncmp(sql, "error", 5) == 0) {
		PgwError e;
		pgw_error_set(&e, "42601", "syntax error at or near \"%.20s\"", sql);
		e.position = 1;
		snprintf(e.detail, sizeof(e.detail), "%s", sql);
		pgw_send_error(c, &e);
	} else if (strncmp(sql, "notice", 6) == 0) {
		PgwError e;
		pgw_error_set(&e, "00000", "%s", sql);
		pgw_send_notice(c, &e);
		pgw_send_command_complete(c, "DO");
	} else {
		send_row_description(c);
		send_one_row(c, sql);
		pgw_send_command_complete(c, "SELECT 1");
	}
	pgw_send_ready(c, 'I');
}

static void stub_parse(PgwConn *c, const char *name, const char *sql, int nparams, const uint32_t *oids)
{
	touch(name, strlen(name));
	touch(sql, strlen(sql));
	touch(oids, (size_t)nparams * sizeof(*oids));
	if (strncmp(sql, "error", 5) == 0) {
		pgw_send_errorf(c, "42601", "syntax error at or near \"%.20s\"", sql);
		return;
	}
	pgw_send_parse_complete(c);
}

static void stub_bind(PgwConn *c, const PgwBind *b)
{
	touch(b->portal, strlen(b->portal));
	touch(b->statement, strlen(b->statement));
	for (int i = 0; i < b->nparams; i++) {
		if (b->params[i].format != 0 && b->params[i].format != 1)
			abort();
		if (b->params[i].data)
			touch(b->params[i].data, (size_t)b->params[i].len);
		else if (b->params[i].len != -1)
			abort();
	}
	touch(b->result_formats, (size_t)b->nresult_formats * sizeof(*b->result_formats));
	if (b->nparams > 3) {
		pgw_send_errorf(c, "08P01", "bind message supplies %d parameters", b->nparams);
		return;
	}
	pgw_send_bind_complete(c);
}

static void stub_describe(PgwConn *c, char kind, const char *name)
{
	touch(name, strlen(name));
	if (kind == 'S') {
		static const uint32_t oids[2] = {25, 23};
		pgw_send_parameter_description(c, 2, oids);
	}
	if (name[0] == 'n')
		pgw_send_no_data(c);
	else
		send_row_description(c);
}

static void stub_execute(PgwConn *c, const char *portal, int32_t maxrows)
{
	send_one_row(c, portal);
	if (maxrows == 1)
		pgw_send_portal_suspended(c);
	else
		pgw_send_command_complete(c, "SELECT 1");
}

static void stub_close(PgwConn *c, char kind, const char *name)
{
	(void)kind;
	touch(name, strlen(name));
	pgw_send_close_complete(c);
}

static void stub_sync(PgwConn *c) { pgw_send_ready(c, 'I'); }

static void stub_copy_data(PgwConn *c, const uint8_t *data, size_t len)
{
	(void)c;
	touch(data, len);
}

static void stub_copy_done(PgwConn *c)
{
	pgw_send_command_complete(c, "COPY 0");
	pgw_send_ready(c, 'I');
}

static void stub_copy_fail(PgwConn *c, const char *msg)
{
	pgw_send_errorf(c, "57014", "COPY from stdin failed: %s", msg);
	pgw_send_ready(c, 'I');
}

const PgwHandler fuzz_handler = {
	.session_start = stub_session_start,
	.user_secret = stub_user_secret,
	.cancel = stub_cancel,
	.query = stub_query,
	.parse = stub_parse,
	.bind = stub_bind,
	.describe = stub_describe,
	.execute = stub_execute,
	.close = stub_close,
	.sync = stub_sync,
	.copy_data = stub_copy_data,
	.copy_done = stub_copy_done,
	.copy_fail = stub_copy_fail,
};

void fuzz_drain_output(PgwConn *c)
{
	const Buf *o = &c->out;
	if (o->failed)
		abort();
	size_t off = 0;
	while (off < o->len) {
		if (o->len - off < 5)
			abort();
		uint32_t n = rd_be32(o->data + off + 1);
		if (n < 4 || n > o->len - off - 1)
			abort();
		off += (size_t)n + 1;
	}
	buf_reset(&c->out);
}

char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = 0;
	}
	return text;
}
