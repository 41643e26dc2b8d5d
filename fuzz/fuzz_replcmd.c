/*
 * fuzz_replcmd.c - libFuzzer target for the replication command grammar
 * (cdc/replcmd.c) and the LSN parser: any text is SQL, a command, or a
 * syntax error with a message; a parsed LSN prints back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdc/replcmd.h"
#include "fuzz/fuzz_stub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	CdcCmd cmd;
	char err[256] = "";
	if (!cdc_cmd_parse(text, &cmd, err, sizeof(err)) && !err[0])
		abort(); /* a syntax error always says why */
	for (int i = 0; i < cmd.nopts; i++)
		if (cmd.opts[i].value && (cmd.opts[i].value < cmd.text || cmd.opts[i].value >= cmd.text + sizeof(cmd.text)))
			abort();
	uint64_t lsn, again;
	if (cdc_lsn_parse(text, &lsn)) {
		char out[32];
		cdc_lsn_format(out, sizeof(out), lsn);
		if (!cdc_lsn_parse(out, &again) || again != lsn)
			abort();
	}
	char name_err[160];
	(void)cdc_slot_name_valid(text, name_err, sizeof(name_err));
	free(text);
	return 0;
}
