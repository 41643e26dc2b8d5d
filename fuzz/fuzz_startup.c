/*
 * fuzz_startup.c - libFuzzer target for the startup phase.
 *
 * The input goes three ways: to pgw_startup_decode() as a whole packet, to
 * pgw_startup_decode() behind a length word that matches it, and through a
 * PgwConn in PGW_STARTUP with trust auth, in two chunks split at a point
 * chosen by the last input byte (the second chunk after a simulated TLS
 * handshake if the first asked for one).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_stub.h"
#include "pgwire/pgwire.h"

static void check_decoded(const PgwStartup *s)
{
	if (s->nparams < 0 || s->nparams > PGW_MAX_STARTUP_PARAMS)
		abort();
	for (int i = 0; i < s->nparams; i++)
		if (strlen(s->names[i]) == 0 || s->values[i] == NULL)
			abort();
}

static void decode_direct(const uint8_t *data, size_t size)
{
	PgwStartup s;
	const char *err = NULL;
	if (pgw_startup_decode(data, size, &s, &err))
		check_decoded(&s);
	else if (!err)
		abort();
}

/* The input as the body of a startup packet: a correct length word, then
 * the bytes. */
static void decode_prefixed(const uint8_t *data, size_t size)
{
	if (size > PGW_MAX_STARTUP)
		return;
	uint8_t *p = malloc(size + 4);
	if (!p)
		return;
	uint32_t n = (uint32_t)size + 4;
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, data, size);
	decode_direct(p, size + 4);
	free(p);
}

static void through_conn(const uint8_t *data, size_t size)
{
	static const PgwConfig cfg = {.auth = PGW_AUTH_TRUST, .tls_available = true, .max_message = 1u << 16};
	PgwConn c;
	size_t split = size ? (size_t)data[size - 1] % (size + 1) : 0;

	pgw_conn_init(&c, &cfg, &fuzz_handler, NULL, 4242);
	buf_put(&c.in, data, split);
	pgw_conn_process(&c);
	buf_reset(&c.out);
	if (c.state == PGW_TLS_PENDING)
		pgw_conn_tls_done(&c);
	buf_put(&c.in, data + split, size - split);
	pgw_conn_process(&c);
	if (c.out.failed)
		abort();
	pgw_conn_cleanup(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_direct(data, size);
	decode_prefixed(data, size);
	through_conn(data, size);
	return 0;
}
