/*
 * fuzz_scram.c - libFuzzer target for the SCRAM-SHA-256 message parsers.
 *
 * The input is split at the first "\n--\n": the part before is the
 * client-first-message, the part after the client-final-message (without
 * the separator, all of it is the client-first-message).  Byte 0 of the
 * input is not part of either:
 *
 *   bit 0  a doomed exchange (no verifier) instead of a real one
 *   bit 1  a fixed server nonce instead of a random one; the fixed nonce
 *          lets the fuzzer echo the combined nonce in the
 *          client-final-message and reach the proof check
 *   bit 2  channel binding is offered (a fixed tls-server-end-point hash)
 *   bit 3  the client selects SCRAM-SHA-256-PLUS (else SCRAM-SHA-256); the
 *          input is skipped if that mechanism is refused
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_stub.h"
#include "pgwire/auth.h"

#define SERVER_NONCE "3rfcNHYJY1ZVvWVs7j"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sep[4] = {'\n', '-', '-', '\n'};

	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	bool doomed = flags & 1;
	data++;
	size--;

	const uint8_t *first = data, *final = NULL;
	size_t first_len = size, final_len = 0;
	const uint8_t *at = memmem(data, size, sep, sizeof(sep));
	if (at) {
		first_len = (size_t)(at - data);
		final = at + sizeof(sep);
		final_len = size - first_len - sizeof(sep);
	}

	PgwScram s;
	Buf out;
	const char *err = NULL;
	buf_init(&out);
	pgw_scram_begin(&s, doomed ? NULL : fuzz_verifier());
	if (flags & 4) {
		uint8_t hash[32];
		memset(hash, 0x5A, sizeof(hash));
		pgw_scram_set_channel_binding(&s, hash, sizeof(hash));
	}
	if (!pgw_scram_select_mechanism(&s, (flags & 8) ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-256")) {
		if (!(flags & 8) || (flags & 4))
			abort();
		pgw_scram_cleanup(&s);
		return 0;
	}
	bool ok = (flags & 2) ? pgw_scram_client_first_with_nonce(&s, first, first_len, SERVER_NONCE, &out, &err)
				: pgw_scram_client_first(&s, first, first_len, &out, &err);
	if (ok != (s.state == PGW_SCRAM_SENT_FIRST) || (!ok && !err))
		abort();
	if (final) {
		buf_reset(&out);
		ok = pgw_scram_client_final(&s, final, final_len, &out, &err);
		if (ok && (doomed || s.state != PGW_SCRAM_DONE))
			abort();
	}
	pgw_scram_cleanup(&s);
	buf_cleanup(&out);
	return 0;
}
