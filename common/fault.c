/*
 * fault.c - crash points for tests (see fault.h).
 */
#include "common/fault.h"

#ifdef DOSQL_FAULT_INJECTION
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void dosql_fault(const char *point)
{
	static _Atomic long passes;
	const char *want = getenv("DOSQL_FAULT");
	size_t n = strlen(point);
	if (!want || strncmp(want, point, n) != 0 || (want[n] != 0 && want[n] != ':'))
		return;
	long nth = want[n] == ':' ? atol(want + n + 1) : 1;
	if (atomic_fetch_add(&passes, 1) + 1 < nth)
		return;
	fprintf(stderr, "fault injected: %s\n", point);
	fflush(stderr);
	raise(SIGKILL);
}
#else
typedef int dosql_fault_unused;
#endif
