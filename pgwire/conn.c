/*
 * conn.c - the PostgreSQL v3 server protocol state machine.
 *
 * The driver appends received bytes to c->in and calls pgw_conn_process();
 * complete messages are validated, decoded and dispatched.  Every read of a
 * message goes through a BufReader and ends with buf_rd_end(), so a message
 * with missing or extra bytes is a protocol violation (08P01) that closes
 * only this connection.
 */
#include "pgwire/pgwire.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const auth_names[] = {"trust", "password", "md5", "scram-sha-256"};

const char *pgw_auth_method_to_str(PgwAuthMethod m) { return auth_names[m]; }

bool pgw_auth_method_from_str(const char *s, PgwAuthMethod *m)
{
	for (size_t i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (strcasecmp(s, auth_names[i]) == 0) {
			*m = (PgwAuthMethod)i;
			return true;
		}
	return false;
}

void pgw_error_set(PgwError *e, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	memset(e, 0, sizeof(*e));
	memcpy(e->sqlstate, sqlstate, 5);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

void pgw_conn_init(PgwConn *c, const PgwConfig *cfg, const PgwHandler *h, void *user, int32_t pid)
{
	memset(c, 0, sizeof(*c));
	c->state = PGW_STARTUP;
	c->cfg = cfg;
	c->handler = h;
	c->user = user;
	c->pid = pid;
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init(&c->startup);
	if (!pgw_random_bytes((uint8_t *)&c->key, sizeof(c->key)))
		c->key = pid * 7919;
}

/* The SCRAM exchange is over: its state (keys included) goes. */
static void scram_free(PgwConn *c)
{
	if (!c->scram)
		return;
	OPENSSL_cleanse(c->scram, sizeof(*c->scram));
	free(c->scram);
	c->scram = NULL;
}

void pgw_conn_cleanup(PgwConn *c)
{
	scram_free(c);
	free(c->param_names);
	free(c->param_values);
	c->param_names = c->param_values = NULL;
	c->nparams = 0;
	buf_cleanup(&c->in);
	buf_cleanup(&c->out);
	buf_cleanup(&c->startup);
}

const char *pgw_startup_param(const PgwConn *c, const char *name)
{
	for (int i = 0; i < c->nparams; i++)
		if (strcasecmp(c->param_names[i], name) == 0)
			return c->param_values[i];
	return NULL;
}

/* ---------------------------------------------------------------- output */

static void put_error_fields(Buf *b, const PgwError *e, const char *severity)
{
	buf_put_u8(b, 'S');
	buf_put_cstr(b, severity);
	buf_put_u8(b, 'V');
	buf_put_cstr(b, severity);
	buf_put_u8(b, 'C');
	buf_put(b, e->sqlstate, 5);
	buf_put_u8(b, 0);
	buf_put_u8(b, 'M');
	buf_put_cstr(b, e->message);
	if (e->detail[0]) {
		buf_put_u8(b, 'D');
		buf_put_cstr(b, e->detail);
	}
	if (e->hint[0]) {
		buf_put_u8(b, 'H');
		buf_put_cstr(b, e->hint);
	}
	if (e->where[0]) {
		buf_put_u8(b, 'W');
		buf_put_cstr(b, e->where);
	}
	if (e->position > 0) {
		buf_put_u8(b, 'P');
		buf_printf(b, "%d", e->position);
		buf_put_u8(b, 0);
	}
	const struct {
		char code;
		const char *v;
	} opt[] = {{'s', e->schema}, {'t', e->table}, {'c', e->column}, {'n', e->constraint}, {'R', e->routine}};
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (opt[i].v && opt[i].v[0]) {
			buf_put_u8(b, (uint8_t)opt[i].code);
			buf_put_cstr(b, opt[i].v);
		}
	buf_put_u8(b, 0);
}

void pgw_send_error(PgwConn *c, const PgwError *e)
{
	const char *sev = e->severity ? e->severity : "ERROR";
	buf_msg_begin(&c->out, 'E');
	put_error_fields(&c->out, e, sev);
	buf_msg_end(&c->out);
	if (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0) {
		c->state = PGW_CLOSING;
		return;
	}
	if (c->state == PGW_COPY_IN)
		c->state = PGW_READY;
	if (c->extended)
		c->skip_until_sync = true;
}

void pgw_send_notice(PgwConn *c, const PgwError *e)
{
	buf_msg_begin(&c->out, 'N');
	put_error_fields(&c->out, e, e->severity ? e->severity : "NOTICE");
	buf_msg_end(&c->out);
}

static void send_errorv(PgwConn *c, const char *severity, const char *sqlstate, const char *fmt, va_list ap)
{
	PgwError e;
	memset(&e, 0, sizeof(e));
	e.severity = severity;
	memcpy(e.sqlstate, sqlstate, 5);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	pgw_send_error(c, &e);
}

void pgw_send_errorf(PgwConn *c, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_errorv(c, "ERROR", sqlstate, fmt, ap);
	va_end(ap);
}

void pgw_send_fatalf(PgwConn *c, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_errorv(c, "FATAL", sqlstate, fmt, ap);
	va_end(ap);
}

static void send_empty(PgwConn *c, char type)
{
	buf_msg_begin(&c->out, type);
	buf_msg_end(&c->out);
}

void pgw_send_ready(PgwConn *c, char txn_status)
{
	buf_msg_begin(&c->out, 'Z');
	buf_put_u8(&c->out, (uint8_t)txn_status);
	buf_msg_end(&c->out);
}

void pgw_send_command_complete(PgwConn *c, const char *tag)
{
	buf_msg_begin(&c->out, 'C');
	buf_put_cstr(&c->out, tag);
	buf_msg_end(&c->out);
}

void pgw_send_empty_query(PgwConn *c) { send_empty(c, 'I'); }
void pgw_send_parse_complete(PgwConn *c) { send_empty(c, '1'); }
void pgw_send_bind_complete(PgwConn *c) { send_empty(c, '2'); }
void pgw_send_close_complete(PgwConn *c) { send_empty(c, '3'); }
void pgw_send_no_data(PgwConn *c) { send_empty(c, 'n'); }
void pgw_send_portal_suspended(PgwConn *c) { send_empty(c, 's'); }
void pgw_send_copy_done(PgwConn *c) { send_empty(c, 'c'); }

void pgw_send_parameter_status(PgwConn *c, const char *name, const char *value)
{
	buf_msg_begin(&c->out, 'S');
	buf_put_cstr(&c->out, name);
	buf_put_cstr(&c->out, value);
	buf_msg_end(&c->out);
}

void pgw_send_parameter_description(PgwConn *c, int n, const uint32_t *oids)
{
	buf_msg_begin(&c->out, 't');
	buf_put_u16(&c->out, (uint16_t)n);
	for (int i = 0; i < n; i++)
		buf_put_u32(&c->out, oids[i]);
	buf_msg_end(&c->out);
}

void pgw_send_row_description(PgwConn *c, int n, const PgwField *f)
{
	buf_msg_begin(&c->out, 'T');
	buf_put_u16(&c->out, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		buf_put_cstr(&c->out, f[i].name);
		buf_put_u32(&c->out, f[i].table_oid);
		buf_put_u16(&c->out, (uint16_t)f[i].attnum);
		buf_put_u32(&c->out, f[i].type_oid);
		buf_put_u16(&c->out, (uint16_t)f[i].typlen);
		buf_put_u32(&c->out, (uint32_t)f[i].typmod);
		buf_put_u16(&c->out, (uint16_t)f[i].format);
	}
	buf_msg_end(&c->out);
}

void pgw_row_begin(PgwConn *c, int ncols)
{
	buf_msg_begin(&c->out, 'D');
	buf_put_u16(&c->out, (uint16_t)ncols);
}

void pgw_row_null(PgwConn *c) { buf_put_u32(&c->out, 0xFFFFFFFFu); }

size_t pgw_row_value_begin(PgwConn *c)
{
	size_t mark = c->out.len;
	buf_put_u32(&c->out, 0);
	return mark;
}

void pgw_row_value_end(PgwConn *c, size_t mark)
{
	if (c->out.failed)
		return;
	uint32_t n = (uint32_t)(c->out.len - mark - 4);
	uint8_t *p = c->out.data + mark;
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
}

void pgw_row_end(PgwConn *c) { buf_msg_end(&c->out); }

void pgw_row_text(PgwConn *c, const char *v)
{
	if (!v) {
		pgw_row_null(c);
		return;
	}
	size_t m = pgw_row_value_begin(c);
	buf_put_str(&c->out, v);
	pgw_row_value_end(c, m);
}

/* pg_type.typlen of the types the text-column helper is used with. */
static int16_t typlen_of(uint32_t oid)
{
	switch (oid) {
	case 16: return 1;   /* bool */
	case 18: return 1;   /* "char" */
	case 19: return 64;  /* name */
	case 21: return 2;   /* int2 */
	case 23: return 4;   /* int4 */
	case 26: return 4;   /* oid */
	case 20: return 8;   /* int8 */
	case 3220: return 8; /* pg_lsn */
	default: return -1;
	}
}

void pgw_send_text_columns(PgwConn *c, int n, const char *const *names, const uint32_t *oids)
{
	PgwField f[32];
	for (int i = 0; i < n && i < 32; i++)
		f[i] = (PgwField){.name = names[i], .type_oid = oids[i], .typlen = typlen_of(oids[i]), .typmod = -1};
	pgw_send_row_description(c, n < 32 ? n : 32, f);
}

static void send_copy_response(PgwConn *c, char type, int16_t format, int ncols)
{
	buf_msg_begin(&c->out, type);
	buf_put_u8(&c->out, (uint8_t)format);
	buf_put_u16(&c->out, (uint16_t)ncols);
	for (int i = 0; i < ncols; i++)
		buf_put_u16(&c->out, (uint16_t)format);
	buf_msg_end(&c->out);
}

void pgw_send_copy_in_response(PgwConn *c, int16_t format, int ncols) { send_copy_response(c, 'G', format, ncols); }

void pgw_send_copy_out_response(PgwConn *c, int16_t format, int ncols) { send_copy_response(c, 'H', format, ncols); }

void pgw_send_copy_both_response(PgwConn *c) { send_copy_response(c, 'W', 0, 0); }

void pgw_send_copy_data(PgwConn *c, const void *p, size_t n)
{
	buf_msg_begin(&c->out, 'd');
	buf_put(&c->out, p, n);
	buf_msg_end(&c->out);
}

void pgw_conn_copy_in(PgwConn *c) { c->state = PGW_COPY_IN; }

bool pgw_maybe_flush(PgwConn *c)
{
	if (c->out.len < (256u << 10))
		return true;
	return c->io_flush ? c->io_flush(c) : true;
}

/* ------------------------------------------------------------- decoding */

bool pgw_startup_decode(const uint8_t *p, size_t len, PgwStartup *s, const char **err)
{
	BufReader r;
	int32_t total;

	memset(s, 0, sizeof(*s));
	buf_rd_init(&r, p, len);
	if (!buf_rd_i32(&r, &total) || total < 8 || (size_t)total != len || !buf_rd_i32(&r, &s->code)) {
		*err = "invalid length of startup packet";
		return false;
	}
	if (s->code == PGW_SSL_REQUEST_CODE || s->code == PGW_GSSENC_REQUEST_CODE) {
		if (!buf_rd_end(&r)) {
			*err = "invalid length of startup packet";
			return false;
		}
		return true;
	}
	if (s->code == PGW_CANCEL_REQUEST_CODE) {
		if (!buf_rd_i32(&r, &s->cancel_pid) || !buf_rd_i32(&r, &s->cancel_key) || !buf_rd_end(&r)) {
			*err = "invalid length of cancel request packet";
			return false;
		}
		return true;
	}
	if ((s->code >> 16) != 3) {
		*err = "unsupported frontend protocol";
		return false;
	}
	/* name/value pairs, terminated by an empty name */
	for (;;) {
		const char *name, *value;
		if (!buf_rd_str(&r, &name)) {
			*err = "invalid startup packet layout: expected terminator as last byte";
			return false;
		}
		if (name[0] == 0)
			break;
		if (!buf_rd_str(&r, &value)) {
			*err = "invalid startup packet layout: expected terminator as last byte";
			return false;
		}
		if (s->nparams == PGW_MAX_STARTUP_PARAMS) {
			*err = "too many parameters in startup packet";
			return false;
		}
		s->names[s->nparams] = name;
		s->values[s->nparams] = value;
		s->nparams++;
	}
	if (!buf_rd_end(&r)) {
		*err = "invalid startup packet layout: expected terminator as last byte";
		return false;
	}
	return true;
}

PgwFrameStatus pgw_frame_next(const uint8_t *p, size_t len, uint32_t max, char *type,
			      const uint8_t **body, size_t *body_len, size_t *total)
{
	if (len < 5)
		return PGW_FRAME_MORE;
	uint32_t n = rd_be32(p + 1);
	if (n < 4)
		return PGW_FRAME_BAD;
	if (n > max)
		return PGW_FRAME_TOO_BIG;
	if (len - 1 < n)
		return PGW_FRAME_MORE;
	*type = (char)p[0];
	*body = p + 5;
	*body_len = n - 4;
	*total = (size_t)n + 1;
	return PGW_FRAME_OK;
}

static void protocol_violation(PgwConn *c, const char *msg)
{
	c->extended = false;
	pgw_send_fatalf(c, "08P01", "%s", msg);
}

static void send_auth_request(PgwConn *c, uint32_t code, const void *extra, size_t n)
{
	buf_msg_begin(&c->out, 'R');
	buf_put_u32(&c->out, code);
	buf_put(&c->out, extra, n);
	buf_msg_end(&c->out);
}

/* Authentication succeeded: AuthenticationOk, the handler's
 * ParameterStatus messages, BackendKeyData, ReadyForQuery. */
static void auth_ok(PgwConn *c)
{
	send_auth_request(c, 0, NULL, 0);
	c->state = PGW_READY;
	if (!c->handler->session_start(c)) {
		c->state = PGW_CLOSING;
		return;
	}
	buf_msg_begin(&c->out, 'K');
	buf_put_u32(&c->out, (uint32_t)c->pid);
	buf_put_u32(&c->out, (uint32_t)c->key);
	buf_msg_end(&c->out);
	pgw_send_ready(c, 'I');
}

static void auth_failed(PgwConn *c)
{
	pgw_send_fatalf(c, "28P01", "password authentication failed for user \"%s\"", c->user_name);
}

/* AuthenticationSASL: SCRAM-SHA-256, and the -PLUS variant over TLS. */
static void start_scram(PgwConn *c, const char *secret)
{
	/* allocated for the exchange only: an idle session does not keep it */
	scram_free(c);
	c->scram = malloc(sizeof(*c->scram));
	if (!c->scram) {
		pgw_send_fatalf(c, "53200", "out of memory");
		return;
	}
	pgw_scram_begin_for_user(c->scram, c->user_name, secret);
	if (c->tls && c->tls_cert_hash_len > 0) {
		pgw_scram_set_channel_binding(c->scram, c->tls_cert_hash, c->tls_cert_hash_len);
		send_auth_request(c, 10, "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0", 34);
	} else {
		send_auth_request(c, 10, "SCRAM-SHA-256\0", 15);
	}
	c->state = PGW_WAIT_SASL_INIT;
}

static void start_auth(PgwConn *c)
{
	switch (c->cfg->auth) {
	case PGW_AUTH_TRUST:
		auth_ok(c);
		break;
	case PGW_AUTH_PASSWORD:
		send_auth_request(c, 3, NULL, 0);
		c->state = PGW_WAIT_PASSWORD;
		break;
	case PGW_AUTH_MD5: {
		/* a user whose stored secret is a SCRAM verifier authenticates with
		 * SCRAM even where md5 is configured, as PostgreSQL does */
		const char *secret = c->handler->user_secret(c, c->user_name);
		if (secret && strncmp(secret, "SCRAM-SHA-256$", 14) == 0) {
			start_scram(c, secret);
			break;
		}
		if (!pgw_random_bytes(c->md5_salt, 4)) {
			pgw_send_fatalf(c, "XX000", "could not generate random salt");
			return;
		}
		send_auth_request(c, 5, c->md5_salt, 4);
		c->state = PGW_WAIT_PASSWORD;
		break;
	}
	case PGW_AUTH_SCRAM:
		start_scram(c, c->handler->user_secret(c, c->user_name));
		break;
	}
}

/* A complete startup-phase packet is at the head of c->in. */
static void handle_startup_packet(PgwConn *c, size_t len)
{
	PgwStartup s;
	const char *err;

	if (!pgw_startup_decode(c->in.data, len, &s, &err)) {
		protocol_violation(c, err);
		return;
	}
	if (s.code == PGW_SSL_REQUEST_CODE) {
		buf_consume(&c->in, len);
		if (c->tls || !c->cfg->tls_available) {
			buf_put_u8(&c->out, 'N');
			return;
		}
		/* Bytes after the SSLRequest arrived before the handshake: they
		 * were not encrypted and must not be trusted. */
		if (c->in.len > 0) {
			protocol_violation(c, "received unencrypted data after SSL request");
			return;
		}
		buf_put_u8(&c->out, 'S');
		c->state = PGW_TLS_PENDING;
		return;
	}
	if (s.code == PGW_GSSENC_REQUEST_CODE) {
		buf_consume(&c->in, len);
		buf_put_u8(&c->out, 'N');
		return;
	}
	if (s.code == PGW_CANCEL_REQUEST_CODE) {
		buf_consume(&c->in, len);
		if (c->handler->cancel)
			c->handler->cancel(c, s.cancel_pid, s.cancel_key);
		c->state = PGW_CLOSING;
		return;
	}

	/* Keep our own copy: the parameters point into it. */
	buf_reset(&c->startup);
	buf_reserve_exact(&c->startup, len);
	buf_put(&c->startup, c->in.data, len);
	buf_consume(&c->in, len);
	if (c->startup.failed) {
		pgw_send_fatalf(c, "53200", "out of memory");
		return;
	}
	if (!pgw_startup_decode(c->startup.data, len, &s, &err)) {
		protocol_violation(c, err);
		return;
	}
	free(c->param_names);
	free(c->param_values);
	c->param_names = calloc((size_t)s.nparams + 1, sizeof(char *));
	c->param_values = calloc((size_t)s.nparams + 1, sizeof(char *));
	if (!c->param_names || !c->param_values) {
		c->nparams = 0;
		pgw_send_fatalf(c, "53200", "out of memory");
		return;
	}
	c->nparams = s.nparams;
	int nunknown = 0;
	const char *unknown[PGW_MAX_STARTUP_PARAMS];
	for (int i = 0; i < s.nparams; i++) {
		c->param_names[i] = s.names[i];
		c->param_values[i] = s.values[i];
		if (strcmp(s.names[i], "user") == 0)
			c->user_name = s.values[i];
		else if (strcmp(s.names[i], "database") == 0)
			c->database = s.values[i];
		else if (strncmp(s.names[i], "_pq_.", 5) == 0)
			unknown[nunknown++] = s.names[i];
	}
	if (!c->user_name || !c->user_name[0]) {
		pgw_send_fatalf(c, "28000", "no PostgreSQL user name specified in startup packet");
		return;
	}
	if (!c->database || !c->database[0])
		c->database = c->user_name;
	if ((s.code & 0xFFFF) != 0 || nunknown > 0) {
		buf_msg_begin(&c->out, 'v');
		buf_put_u32(&c->out, PGW_PROTOCOL_3);
		buf_put_u32(&c->out, (uint32_t)nunknown);
		for (int i = 0; i < nunknown; i++)
			buf_put_cstr(&c->out, unknown[i]);
		buf_msg_end(&c->out);
	}
	start_auth(c);
}

static void handle_password(PgwConn *c, char type, BufReader *r)
{
	const char *pw;
	if (type != 'p' || !buf_rd_str(r, &pw) || !buf_rd_end(r)) {
		protocol_violation(c, "invalid password packet");
		return;
	}
	const char *secret = c->handler->user_secret(c, c->user_name);
	bool good = c->cfg->auth == PGW_AUTH_MD5 ? pgw_md5_check(secret, c->md5_salt, pw)
						 : pgw_password_check(c->user_name, secret, pw);
	if (!good) {
		auth_failed(c);
		return;
	}
	auth_ok(c);
}

static void handle_sasl(PgwConn *c, char type, BufReader *r)
{
	const char *err = NULL;
	const uint8_t *data;
	int32_t n;
	Buf reply;

	if (type != 'p') {
		protocol_violation(c, "expected SASL response");
		return;
	}
	buf_init(&reply);
	if (c->state == PGW_WAIT_SASL_INIT) {
		const char *mech;
		if (!buf_rd_str(r, &mech) || !buf_rd_i32(r, &n) || n < 0 || !buf_rd_bytes(r, (size_t)n, &data) ||
		    !buf_rd_end(r)) {
			protocol_violation(c, "malformed SASLInitialResponse message");
			goto out;
		}
		if (!pgw_scram_select_mechanism(c->scram, mech)) {
			protocol_violation(c, "client selected an invalid SASL authentication mechanism");
			goto out;
		}
		if (!pgw_scram_client_first(c->scram, data, (size_t)n, &reply, &err)) {
			protocol_violation(c, err ? err : "malformed SCRAM message");
			goto out;
		}
		send_auth_request(c, 11, reply.data, reply.len);
		c->state = PGW_WAIT_SASL_CONT;
	} else {
		n = (int32_t)buf_rd_left(r);
		if (!buf_rd_bytes(r, (size_t)n, &data) || !buf_rd_end(r)) {
			protocol_violation(c, "malformed SASLResponse message");
			goto out;
		}
		if (!pgw_scram_client_final(c->scram, data, (size_t)n, &reply, &err)) {
			if (err)
				protocol_violation(c, err);
			else
				auth_failed(c);
			goto out;
		}
		send_auth_request(c, 12, reply.data, reply.len);
		scram_free(c);
		auth_ok(c);
	}
out:
	buf_cleanup(&reply);
}

static bool handle_bind(PgwConn *c, BufReader *r)
{
	PgwBind b;
	int16_t nfmt, nparams, nres;
	int16_t fmts_stack[64];
	int16_t *fmts = fmts_stack;
	int16_t *resfmts = NULL;
	bool good = false;

	memset(&b, 0, sizeof(b));
	if (!buf_rd_str(r, &b.portal) || !buf_rd_str(r, &b.statement) || !buf_rd_i16(r, &nfmt) || nfmt < 0)
		goto out;
	if (nfmt > 64)
		fmts = calloc((size_t)nfmt, sizeof(int16_t));
	for (int i = 0; i < nfmt; i++)
		if (!buf_rd_i16(r, &fmts[i]))
			goto out;
	if (!buf_rd_i16(r, &nparams) || nparams < 0)
		goto out;
	if (nfmt > 1 && nfmt != nparams) {
		pgw_send_errorf(c, "08P01", "bind message has %d parameter formats but %d parameters", nfmt, nparams);
		good = true;
		goto out;
	}
	b.nparams = nparams;
	b.params = calloc((size_t)nparams + 1, sizeof(PgwParam));
	for (int i = 0; i < nparams; i++) {
		int32_t len;
		if (!buf_rd_i32(r, &len) || len < -1)
			goto out;
		b.params[i].len = len;
		b.params[i].format = nfmt == 0 ? 0 : nfmt == 1 ? fmts[0] : fmts[i];
		if (len >= 0 && !buf_rd_bytes(r, (size_t)len, &b.params[i].data))
			goto out;
	}
	if (!buf_rd_i16(r, &nres) || nres < 0)
		goto out;
	resfmts = calloc((size_t)nres + 1, sizeof(int16_t));
	for (int i = 0; i < nres; i++)
		if (!buf_rd_i16(r, &resfmts[i]))
			goto out;
	if (!buf_rd_end(r))
		goto out;
	for (int i = 0; i < nparams; i++)
		if (b.params[i].format != 0 && b.params[i].format != 1) {
			pgw_send_errorf(c, "22023", "unsupported format code: %d", b.params[i].format);
			good = true;
			goto out;
		}
	b.nresult_formats = nres;
	b.result_formats = resfmts;
	c->handler->bind(c, &b);
	good = true;
out:
	if (fmts != fmts_stack)
		free(fmts);
	free(b.params);
	free(resfmts);
	return good;
}

/*
 * A well-framed message whose body does not parse.  As in PostgreSQL this
 * is an ERROR (08P01), not the end of the connection: extended-protocol
 * messages then skip to Sync; a Query or Sync ends with ReadyForQuery.
 */
static void malformed_body(PgwConn *c, char type)
{
	if (c->state == PGW_CLOSING)
		return;
	bool extended = type == 'P' || type == 'B' || type == 'D' || type == 'E' || type == 'C' || type == 'H';
	c->extended = extended;
	pgw_send_errorf(c, "08P01", "invalid message format");
	if (!extended && c->state == PGW_READY) {
		c->skip_until_sync = false;
		c->handler->sync(c);
	}
}

/* Dispatch one regular message.  Returns false on a malformed message. */
static bool dispatch(PgwConn *c, char type, BufReader *r)
{
	const char *s1, *s2;
	uint8_t kind;
	int32_t n32;
	int16_t n16;

	if (c->state == PGW_COPY_IN) {
		switch (type) {
		case 'd':
			c->handler->copy_data(c, r->p, r->len);
			return true;
		case 'c':
			if (!buf_rd_end(r))
				return false;
			c->state = PGW_READY;
			c->handler->copy_done(c);
			return true;
		case 'f':
			if (!buf_rd_str(r, &s1) || !buf_rd_end(r))
				return false;
			c->state = PGW_READY;
			c->handler->copy_fail(c, s1);
			return true;
		case 'H':
		case 'S':
			return true;
		case 'X':
			/* Terminate: a replication client may leave mid-stream */
			c->state = PGW_CLOSING;
			return true;
		default:
			pgw_send_fatalf(c, "08P01", "unexpected message type 0x%02X during COPY from stdin",
					(unsigned char)type);
			return true;
		}
	}

	if (type == 'S' || type == 'X')
		c->skip_until_sync = false;
	if (c->skip_until_sync)
		return true;

	switch (type) {
	case 'Q':
		if (!buf_rd_str(r, &s1) || !buf_rd_end(r))
			return false;
		c->extended = false;
		c->handler->query(c, s1);
		return true;
	case 'P': {
		uint32_t oids_stack[32];
		uint32_t *oids = oids_stack;
		if (!buf_rd_str(r, &s1) || !buf_rd_str(r, &s2) || !buf_rd_i16(r, &n16) || n16 < 0)
			return false;
		if (n16 > 32)
			oids = calloc((size_t)n16, sizeof(uint32_t));
		bool good = true;
		for (int i = 0; i < n16 && good; i++) {
			good = buf_rd_i32(r, &n32);
			oids[i] = (uint32_t)n32;
		}
		good = good && buf_rd_end(r);
		if (good) {
			c->extended = true;
			c->handler->parse(c, s1, s2, n16, oids);
		}
		if (oids != oids_stack)
			free(oids);
		return good;
	}
	case 'B':
		c->extended = true;
		return handle_bind(c, r);
	case 'D':
	case 'C':
		if (!buf_rd_u8(r, &kind) || !buf_rd_str(r, &s1) || !buf_rd_end(r))
			return false;
		c->extended = true;
		if (kind != 'S' && kind != 'P') {
			pgw_send_errorf(c, "08P01", "invalid %s message subtype %d", type == 'D' ? "DESCRIBE" : "CLOSE",
					kind);
			return true;
		}
		if (type == 'D')
			c->handler->describe(c, (char)kind, s1);
		else
			c->handler->close(c, (char)kind, s1);
		return true;
	case 'E':
		if (!buf_rd_str(r, &s1) || !buf_rd_i32(r, &n32) || !buf_rd_end(r))
			return false;
		c->extended = true;
		c->handler->execute(c, s1, n32);
		return true;
	case 'S':
		if (!buf_rd_end(r))
			return false;
		c->extended = false;
		c->handler->sync(c);
		return true;
	case 'H':
		if (!buf_rd_end(r))
			return false;
		c->extended = true;
		if (c->io_flush)
			(void)c->io_flush(c);
		return true;
	case 'X':
		c->state = PGW_CLOSING;
		return true;
	case 'd':
	case 'c':
	case 'f':
		/* COPY messages after a failed COPY are ignored, as PostgreSQL does */
		return true;
	case 'F':
		pgw_send_errorf(c, "0A000", "fastpath function calls are not supported");
		return true;
	default:
		pgw_send_fatalf(c, "08P01", "invalid frontend message type %d", (unsigned char)type);
		return true;
	}
}

void pgw_conn_tls_done(PgwConn *c)
{
	c->tls = true;
	c->state = PGW_STARTUP;
}

void pgw_conn_process(PgwConn *c)
{
	size_t off = 0; /* bytes of c->in already processed */

	while (c->state != PGW_CLOSING && c->state != PGW_TLS_PENDING && !c->paused) {
		if (c->state == PGW_STARTUP) {
			if (c->in.len < 4)
				return;
			uint32_t len = rd_be32(c->in.data);
			if (len < 8 || len > PGW_MAX_STARTUP) {
				protocol_violation(c, "invalid length of startup packet");
				return;
			}
			if (c->in.len < len)
				return;
			handle_startup_packet(c, len);
			continue;
		}

		char type;
		const uint8_t *body;
		size_t body_len, total;
		switch (pgw_frame_next(c->in.data + off, c->in.len - off, c->cfg->max_message, &type, &body, &body_len,
				       &total)) {
		case PGW_FRAME_MORE:
			goto done;
		case PGW_FRAME_BAD:
		case PGW_FRAME_TOO_BIG:
			protocol_violation(c, "invalid message length");
			goto done;
		case PGW_FRAME_OK:
			break;
		}

		BufReader r;
		buf_rd_init(&r, body, body_len);
		c->next_type = off + total < c->in.len ? (char)c->in.data[off + total] : 0;
		bool good;
		switch (c->state) {
		case PGW_WAIT_PASSWORD:
			handle_password(c, type, &r);
			good = true;
			break;
		case PGW_WAIT_SASL_INIT:
		case PGW_WAIT_SASL_CONT:
			handle_sasl(c, type, &r);
			good = true;
			break;
		default:
			good = dispatch(c, type, &r);
			break;
		}
		off += total;
		if (!good)
			malformed_body(c, type);
	}
done:
	buf_consume(&c->in, off);
}

bool pgw_bind_check(const PgwBind *b, const PgwBindTarget *t, PgwError *e)
{
	if (!t->stmt_found) {
		pgw_error_set(e, "26000", "prepared statement \"%s\" does not exist", b->statement);
		return false;
	}
	if (b->nparams != t->nparams) {
		pgw_error_set(e, "08P01", "bind message supplies %d parameters, but prepared statement \"%s\" requires %d",
			      b->nparams, b->statement, t->nparams);
		return false;
	}
	if (t->txn_failed && !t->ends_txn) {
		pgw_error_set(e, "25P02", "current transaction is aborted, commands ignored until end of transaction block");
		return false;
	}
	if (t->portal_exists && b->portal[0]) {
		pgw_error_set(e, "42P03", "cursor \"%s\" already exists", b->portal);
		return false;
	}
	return true;
}
