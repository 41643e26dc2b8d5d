/*
 * pgwire.h - the server side of the PostgreSQL v3 protocol, without SQL.
 *
 * A PgwConn is a protocol state machine with no I/O of its own: the driver
 * feeds it received bytes (pgw_conn_input) and writes out whatever it queues
 * in conn->out.  The engine handles framing, SSLRequest/GSSENCRequest,
 * startup, authentication (trust, password, md5, SCRAM-SHA-256),
 * ParameterStatus, BackendKeyData, CancelRequest and the extended-protocol
 * error rule (skip until Sync); every SQL-level message is decoded and handed
 * to the embedding program's PgwHandler callbacks, which answer with the
 * pgw_send_* functions.
 *
 * Malformed input never reaches the handler: the engine queues an
 * ErrorResponse (08P01) and moves the connection to PGW_CLOSING.
 */
#ifndef DOSQL_PGWIRE_H
#define DOSQL_PGWIRE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "pgwire/auth.h"

#define PGW_SERVER_VERSION "15.18 (DoSQL)"
#define PGW_SERVER_VERSION_NUM "150018"
#define PGW_DEFAULT_MAX_MESSAGE (64u << 20)
#define PGW_MAX_STARTUP 10000u

#define PGW_SSL_REQUEST_CODE 80877103
#define PGW_GSSENC_REQUEST_CODE 80877104
#define PGW_CANCEL_REQUEST_CODE 80877102
#define PGW_PROTOCOL_3 196608

typedef enum PgwAuthMethod {
	PGW_AUTH_TRUST,
	PGW_AUTH_PASSWORD,
	PGW_AUTH_MD5,
	PGW_AUTH_SCRAM,
} PgwAuthMethod;

const char *pgw_auth_method_to_str(PgwAuthMethod m);
bool pgw_auth_method_from_str(const char *s, PgwAuthMethod *m);

typedef enum PgwState {
	PGW_STARTUP,	/* waiting for a startup packet (or SSLRequest/Cancel) */
	PGW_TLS_PENDING,/* SSLRequest answered 'S'; driver must run the handshake */
	PGW_WAIT_PASSWORD,/* waiting for a PasswordMessage (cleartext or md5) */
	PGW_WAIT_SASL_INIT,/* waiting for SASLInitialResponse */
	PGW_WAIT_SASL_CONT,/* waiting for SASLResponse */
	PGW_READY,	/* authenticated: normal message processing */
	PGW_COPY_IN,	/* COPY FROM STDIN: CopyData/CopyDone/CopyFail expected */
	PGW_CLOSING,	/* flush what is queued, then close */
} PgwState;

/* One field of an ErrorResponse/NoticeResponse. */
typedef struct PgwError {
	const char *severity; /* "ERROR", "FATAL", "NOTICE", "WARNING"; NULL = ERROR */
	char sqlstate[6];
	char message[512];
	char detail[512];
	char hint[256];
	char where[320]; /* CONTEXT line */
	int position; /* 1-based character position in the client's query; 0 = none */
	/* optional fields; strings owned by the error */
	char schema[64], table[64], column[64], constraint[64];
	const char *routine;
} PgwError;

void pgw_error_set(PgwError *e, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef struct PgwParam {
	const uint8_t *data; /* NULL for SQL NULL; points into the Bind message */
	int32_t len;
	int16_t format; /* 0 text, 1 binary */
} PgwParam;

typedef struct PgwBind {
	const char *portal;
	const char *statement;
	int nparams;
	PgwParam *params;
	int nresult_formats;
	const int16_t *result_formats; /* host order */
} PgwBind;

typedef struct PgwConn PgwConn;

/* What a Bind is checked against, as the server knows it. */
typedef struct PgwBindTarget {
	bool stmt_found;     /* the statement exists */
	int nparams;         /* its parameters */
	bool txn_failed;     /* the transaction is aborted ... */
	bool ends_txn;       /* ... and the statement is not one that ends it */
	bool portal_exists;  /* a portal of that name exists */
} PgwBindTarget;

/* Callbacks of the program embedding the engine.  Each SQL callback answers
 * with pgw_send_*; an error is reported with pgw_send_error(), after which
 * the engine skips extended-protocol messages until Sync by itself. */
typedef struct PgwHandler {
	/* Startup parameters are known and the client authenticated; return false
	 * after pgw_send_error() (FATAL) to refuse the session. */
	bool (*session_start)(PgwConn *c);
	/* Look up the stored secret for `user`; NULL when unknown. */
	const char *(*user_secret)(PgwConn *c, const char *user);
	void (*cancel)(PgwConn *c, int32_t pid, int32_t key);
	/* Simple query: the handler must end with pgw_send_ready() unless it
	 * entered COPY IN (then copy_done/copy_fail end it). */
	void (*query)(PgwConn *c, const char *sql);
	void (*parse)(PgwConn *c, const char *name, const char *sql, int nparams, const uint32_t *oids);
	void (*bind)(PgwConn *c, const PgwBind *b);
	void (*describe)(PgwConn *c, char kind, const char *name);
	void (*execute)(PgwConn *c, const char *portal, int32_t maxrows);
	void (*close)(PgwConn *c, char kind, const char *name);
	/* Sync: finish the implicit transaction and send ReadyForQuery. */
	void (*sync)(PgwConn *c);
	void (*copy_data)(PgwConn *c, const uint8_t *data, size_t len);
	void (*copy_done)(PgwConn *c);
	void (*copy_fail)(PgwConn *c, const char *msg);
} PgwHandler;

typedef struct PgwConfig {
	PgwAuthMethod auth;
	bool tls_available;   /* a certificate is configured */
	uint32_t max_message; /* largest accepted message, bytes */
} PgwConfig;

#define PGW_MAX_STARTUP_PARAMS 64

struct PgwConn {
	PgwState state;
	const PgwConfig *cfg;      /* borrowed */
	const PgwHandler *handler; /* borrowed */
	void *user;                /* the embedding program's session */
	Buf in;                    /* received, not yet processed */
	Buf out;                   /* queued for the client */
	bool tls;                  /* TLS is active */
	uint8_t tls_cert_hash[64]; /* tls-server-end-point hash of our certificate */
	size_t tls_cert_hash_len;
	bool extended;             /* last message was extended protocol */
	bool skip_until_sync;      /* an error happened in extended protocol */
	char next_type;            /* while a message is handled: the type of the
				    * one after it, 0 when not received yet */
	bool ignore_till_copydone; /* COPY IN failed: drain CopyData */
	int32_t pid, key;          /* BackendKeyData */
	uint8_t md5_salt[4];
	PgwScram *scram;           /* owned while a SCRAM exchange runs, else NULL */
	Buf startup;               /* owned copy of the startup packet */
	int nparams;
	const char **param_names;  /* owned array of nparams, entries into startup */
	const char **param_values; /* owned array of nparams, entries into startup */
	const char *user_name;     /* into startup */
	const char *database;      /* into startup */
	/* Set by the driver: write c->out now; false when the client is gone. */
	bool (*io_flush)(PgwConn *c);
	void *io; /* the driver's transport */
	/* Set by the embedder, typically from a handler callback that answers
	 * later: pgw_conn_process() returns after the current message and
	 * leaves the following ones in c->in until it is cleared. */
	bool paused;
};

/* Startup packet decoding (no I/O; fuzzed). */
typedef struct PgwStartup {
	int32_t code; /* protocol version or a request code */
	int32_t cancel_pid, cancel_key;
	int nparams;
	const char *names[PGW_MAX_STARTUP_PARAMS];
	const char *values[PGW_MAX_STARTUP_PARAMS];
} PgwStartup;

/* Decode a complete startup-phase packet (length word included).  Returns
 * false with a message in *err when malformed. */
bool pgw_startup_decode(const uint8_t *p, size_t len, PgwStartup *s, const char **err)
	__attribute__((warn_unused_result));

typedef enum PgwFrameStatus {
	PGW_FRAME_MORE,	/* incomplete: read more */
	PGW_FRAME_OK,
	PGW_FRAME_BAD,	/* length word below 4 */
	PGW_FRAME_TOO_BIG,
} PgwFrameStatus;

/* Find the next complete regular message in p[0..len): type byte, 4-byte
 * length.  On OK, *type, *body and *body_len describe it and *total is its
 * size on the wire. */
PgwFrameStatus pgw_frame_next(const uint8_t *p, size_t len, uint32_t max, char *type,
			      const uint8_t **body, size_t *body_len, size_t *total);

void pgw_conn_init(PgwConn *c, const PgwConfig *cfg, const PgwHandler *h, void *user, int32_t pid);
void pgw_conn_cleanup(PgwConn *c);

/* Process the bytes in c->in until a message is incomplete, the state
 * needs the driver (PGW_TLS_PENDING, PGW_CLOSING) or c->paused is set. */
void pgw_conn_process(PgwConn *c);

/* Called by the driver after a successful TLS handshake. */
void pgw_conn_tls_done(PgwConn *c);

const char *pgw_startup_param(const PgwConn *c, const char *name);

/* ---- messages to the client ---- */
void pgw_send_error(PgwConn *c, const PgwError *e);
void pgw_send_notice(PgwConn *c, const PgwError *e);
/* Convenience: ERROR with sqlstate and a formatted message. */
/* PostgreSQL's checks of a Bind before anything is bound, in its order:
 * the statement exists (26000), the parameter count (08P01), an aborted
 * transaction runs only what ends it (25P02), a named portal is new
 * (42P03; the unnamed one is replaced).  False with e set. */
bool pgw_bind_check(const PgwBind *b, const PgwBindTarget *t, PgwError *e) __attribute__((warn_unused_result));

void pgw_send_errorf(PgwConn *c, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* FATAL: send and close the connection. */
void pgw_send_fatalf(PgwConn *c, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pgw_send_ready(PgwConn *c, char txn_status);
void pgw_send_command_complete(PgwConn *c, const char *tag);
void pgw_send_empty_query(PgwConn *c);
void pgw_send_parameter_status(PgwConn *c, const char *name, const char *value);
void pgw_send_parse_complete(PgwConn *c);
void pgw_send_bind_complete(PgwConn *c);
void pgw_send_close_complete(PgwConn *c);
void pgw_send_no_data(PgwConn *c);
void pgw_send_portal_suspended(PgwConn *c);
void pgw_send_parameter_description(PgwConn *c, int n, const uint32_t *oids);

typedef struct PgwField {
	const char *name;
	uint32_t table_oid;
	int16_t attnum;
	uint32_t type_oid;
	int16_t typlen;
	int32_t typmod;
	int16_t format;
} PgwField;

void pgw_send_row_description(PgwConn *c, int n, const PgwField *f);
/* DataRow: begin, then one pgw_row_value/pgw_row_null per column, then end. */
void pgw_row_begin(PgwConn *c, int ncols);
void pgw_row_null(PgwConn *c);
/* Start a value whose bytes the caller appends to c->out; close with
 * pgw_row_value_end(). */
size_t pgw_row_value_begin(PgwConn *c);
void pgw_row_value_end(PgwConn *c, size_t mark);
void pgw_row_end(PgwConn *c);
/* A text value (NULL: SQL NULL). */
void pgw_row_text(PgwConn *c, const char *v);
/* RowDescription of n (at most 32) text-format columns of the given types. */
void pgw_send_text_columns(PgwConn *c, int n, const char *const *names, const uint32_t *oids);
void pgw_send_copy_in_response(PgwConn *c, int16_t format, int ncols);
void pgw_send_copy_out_response(PgwConn *c, int16_t format, int ncols);
/* CopyBothResponse of a replication stream (format 0, no columns); then
 * pgw_conn_copy_in() takes the client's CopyData. */
void pgw_send_copy_both_response(PgwConn *c);
void pgw_send_copy_data(PgwConn *c, const void *p, size_t n);
void pgw_send_copy_done(PgwConn *c);

/* Enter COPY IN (after CopyInResponse) / leave it. */
void pgw_conn_copy_in(PgwConn *c);

/* Ask the driver to write out queued output if it is large. */
bool pgw_maybe_flush(PgwConn *c);

#endif
