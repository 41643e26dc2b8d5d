/*
 * fuzz_shape.c - libFuzzer target for the statement-shape scanner
 * (router/shape.c): any text has no shape, or a key with $1..$n for n
 * literals whose values are as long as they say, and a statement text that
 * begins the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_stub.h"
#include "router/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	RtShape sh;
	if (rt_shape(text, &sh)) {
		if (sh.n < 1 || sh.n > RT_SHAPE_MAX_LITERALS || strncmp(sh.text, text, strlen(sh.text)) != 0)
			abort();
		for (int k = 0; k < sh.n; k++) {
			char ph[16];
			snprintf(ph, sizeof(ph), "$%d", k + 1);
			if (!strstr(sh.key, ph) || (size_t)sh.lengths[k] != strlen(sh.values[k]) || sh.formats[k] != 0 ||
			    sh.params.values[k] != sh.values[k])
				abort();
		}
		if (sh.params.n != sh.n || strchr(sh.key, '\\'))
			abort(); /* a backslash means no shape */
		rt_shape_free(&sh);
	}
	free(text);
	return 0;
}
