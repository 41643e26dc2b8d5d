/*
 * fuzz_stub.h - a PgwHandler for the libFuzzer targets.
 *
 * Every callback answers with the pgw_send_* functions the way a real
 * server would, so fuzzing also drives the reply encoders.  A simple query
 * starting with "copy" enters COPY IN; one starting with "error" fails.
 */
#ifndef DOSQL_FUZZ_STUB_H
#define DOSQL_FUZZ_STUB_H

#include "pgwire/pgwire.h"

#define FUZZ_PASSWORD "fuzzpass"

extern const PgwHandler fuzz_handler;

/* The SCRAM verifier of FUZZ_PASSWORD, made on first use; aborts if it
 * cannot be made. */
const char *fuzz_verifier(void);

/* Abort unless c->out is a sequence of complete, well-framed messages
 * (type byte, length word >= 4 covering exactly the body) and its sticky
 * failure flag is clear.  Then empty c->out, as a driver does after
 * writing it. */
void fuzz_drain_output(PgwConn *c);

/* The input as a NUL-terminated string (malloc'd), NULL without memory. */
char *fuzz_text(const uint8_t *data, size_t size);

#endif
