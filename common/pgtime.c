/*
 * pgtime.c - times as PostgreSQL prints them (pgtime.h).
 */
#include <stdio.h>
#include <time.h>

#include "common/pgtime.h"

void pgtime_utc(int64_t unix_us, char *out, size_t n)
{
	int64_t secs = unix_us / 1000000, frac = unix_us % 1000000;
	if (frac < 0) {
		secs--;
		frac += 1000000;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	int k = snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (k < 0 || (size_t)k >= n)
		return;
	if (frac) {
		char f[8];
		snprintf(f, sizeof(f), "%06d", (int)frac);
		for (int i = 5; i > 0 && f[i] == '0'; i--)
			f[i] = 0;
		int m = snprintf(out + k, n - (size_t)k, ".%s", f);
		if (m < 0 || (size_t)m >= n - (size_t)k)
			return;
		k += m;
	}
	snprintf(out + k, n - (size_t)k, "+00");
}
