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

/* Whether DOSQL_FAULT names point and this pass is the one it names (the
 * first, or the Nth of "point:N"; from then on every one, when from_nth). */
static bool hit(const char *point, _Atomic long *passes, bool from_nth)
{
	const char *want = getenv("DOSQL_FAULT");
	size_t n = strlen(point);
	if (!want || strncmp(want, point, n) != 0 || (want[n] != 0 && want[n] != ':'))
		return false;
	long nth = want[n] == ':' ? atol(want + n + 1) : 1;
	long pass = atomic_fetch_add(passes, 1) + 1;
	return from_nth ? pass >= nth : pass == nth;
}

bool dosql_fault_error(const char *point)
{
	static _Atomic long passes;
	if (!hit(point, &passes, false))
		return false;
	fprintf(stderr, "fault injected: %s\n", point);
	return true;
}

void dosql_fault(const char *point)
{
	static _Atomic long passes;
	if (!hit(point, &passes, true))
		return;
	fprintf(stderr, "fault injected: %s\n", point);
	fflush(stderr);
	raise(SIGKILL);
}
#else
typedef int dosql_fault_unused;
#endif
