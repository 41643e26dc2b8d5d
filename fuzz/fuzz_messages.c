/*
 * fuzz_messages.c - libFuzzer target for regular protocol messages.
 *
 * Input layout: byte 0 picks the authentication method, the number of
 * chunks and TLS, the rest is what the client sends after a valid startup
 * packet (protocol 3.0, user dosql, database dosql).
 *
 *   bits 0-1  0: trust (the connection starts in PGW_READY)
 *             1: password, 3: md5 (start in PGW_WAIT_PASSWORD)
 *             2: scram-sha-256 (starts in PGW_WAIT_SASL_INIT)
 *   bits 2-3  the rest is fed in 1 to 4 chunks of near-equal size, with
 *             pgw_conn_process() after each, as reads arrive on a socket
 *   bit 4     the connection is marked as TLS with a certificate hash, so
 *             SCRAM offers SCRAM-SHA-256-PLUS (channel binding)
 *
 * After every call the queued output must be well framed; it is then
 * discarded, as a driver does after writing it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_stub.h"
#include "pgwire/pgwire.h"

static const uint8_t startup_packet[] = {
	0, 0, 0, 35, 0, 3, 0, 0,
	'u', 's', 'e', 'r', 0, 'd', 'o', 's', 'q', 'l', 0,
	'd', 'a', 't', 'a', 'b', 'a', 's', 'e', 0, 'd', 'o', 's', 'q', 'l', 0,
	0,
};

static bool stub_flush(PgwConn *c)
{
	fuzz_drain_output(c);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const PgwConfig configs[4] = {
		{.auth = PGW_AUTH_TRUST, .max_message = 1u << 16},
		{.auth = PGW_AUTH_PASSWORD, .max_message = 1u << 16},
		{.auth = PGW_AUTH_SCRAM, .max_message = 1u << 16},
		{.auth = PGW_AUTH_MD5, .max_message = 1u << 16},
	};
	static const PgwState first_state[4] = {PGW_READY, PGW_WAIT_PASSWORD, PGW_WAIT_SASL_INIT, PGW_WAIT_PASSWORD};
	_Static_assert(sizeof(startup_packet) == 35, "startup packet length word");

	if (size < 1)
		return 0;
	int mode = data[0] & 3;
	size_t nchunks = 1 + ((data[0] >> 2) & 3);
	data++;
	size--;

	PgwConn c;
	pgw_conn_init(&c, &configs[mode], &fuzz_handler, NULL, 4242);
	c.io_flush = stub_flush;
	if (data[-1] & 0x10) {
		c.tls = true;
		memset(c.tls_cert_hash, 0xA5, 32);
		c.tls_cert_hash_len = 32;
	}
	buf_put(&c.in, startup_packet, sizeof(startup_packet));
	pgw_conn_process(&c);
	if (c.state != first_state[mode] || c.in.len != 0)
		abort();
	fuzz_drain_output(&c);

	size_t off = 0;
	for (size_t i = 0; i < nchunks && c.state != PGW_CLOSING; i++) {
		size_t n = i + 1 == nchunks ? size - off : size / nchunks;
		buf_put(&c.in, data + off, n);
		off += n;
		pgw_conn_process(&c);
		if (c.state == PGW_TLS_PENDING || c.state == PGW_STARTUP)
			abort();
		fuzz_drain_output(&c);
	}
	pgw_conn_cleanup(&c);
	return 0;
}
