/*
 * fault.h - crash points for tests of crash recovery.
 *
 * Built with -DDOSQL_FAULT_INJECTION (the test build), dosql_fault(point)
 * kills the process with SIGKILL when the environment variable DOSQL_FAULT
 * names that point: "point" dies at the first pass, "point:N" at the Nth.
 * Other builds compile it to nothing.
 */
#ifndef DOSQL_FAULT_H
#define DOSQL_FAULT_H

#ifdef DOSQL_FAULT_INJECTION
void dosql_fault(const char *point);
#else
static inline void dosql_fault(const char *point) { (void)point; }
#endif

#endif
