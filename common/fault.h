/*
 * fault.h - crash points for tests of crash recovery.
 *
 * Built with -DDOSQL_FAULT_INJECTION (the test build), dosql_fault(point)
 * kills the process with SIGKILL when the environment variable DOSQL_FAULT
 * names that point: "point" dies at the first pass, "point:N" at the Nth.
 * dosql_fault_error(point) is an injected failure instead: true at that
 * pass, false at the others.  Other builds compile both to nothing.
 */
#ifndef DOSQL_FAULT_H
#define DOSQL_FAULT_H

#include <stdbool.h>

#ifdef DOSQL_FAULT_INJECTION
void dosql_fault(const char *point);
bool dosql_fault_error(const char *point);
#else
static inline void dosql_fault(const char *point) { (void)point; }
static inline bool dosql_fault_error(const char *point)
{
	(void)point;
	return false;
}
#endif

#endif
