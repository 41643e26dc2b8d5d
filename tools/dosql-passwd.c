/*
 * dosql-passwd - print a stored password secret for a DoSQL user file.
 *
 *   dosql-passwd PASSWORD             SCRAM-SHA-256 verifier (4096 iterations)
 *   dosql-passwd --md5 USER PASSWORD  MD5 secret, "md5" + hex(md5(PASSWORD || USER))
 *
 * A PASSWORD of "-" reads one line from standard input instead, so the
 * password stays out of the process list and shell history.
 *
 * Exit status: 0 on success, 1 if the secret could not be computed or
 * stdin could not be read, 2 on bad arguments (with usage on stderr).
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgwire/auth.h"

/* Print usage to stderr and exit with status 2. */
static void usage(void)
{
	fprintf(stderr, "usage: dosql-passwd [--md5 USER] PASSWORD\n"
			"       (PASSWORD '-' reads one line from standard input)\n");
	exit(2);
}

/* Read one line from stdin into buf without its line ending.  Fails on end
 * of input before any character, a read error, or a line that does not fit
 * buf. */
static bool read_password(char *buf, size_t bufsz)
{
	if (!fgets(buf, (int)bufsz, stdin))
		return false;
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(stdin))
		return false; /* line longer than buf */
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return true;
}

int main(int argc, char **argv)
{
	const char *user = NULL;
	const char *password;
	char line[1024];
	char out[256];
	int rc = 0;

	if (argc == 4 && strcmp(argv[1], "--md5") == 0)
		user = argv[2];
	else if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0'))
		usage();
	password = argv[argc - 1];
	if (user && user[0] == '\0') {
		fprintf(stderr, "dosql-passwd: empty user name\n");
		usage();
	}

	if (strcmp(password, "-") == 0) {
		if (!read_password(line, sizeof(line))) {
			fprintf(stderr, "dosql-passwd: could not read a password line from standard input\n");
			return 1;
		}
		password = line;
	}
	if (password[0] == '\0') {
		fprintf(stderr, "dosql-passwd: empty password\n");
		OPENSSL_cleanse(line, sizeof(line));
		usage();
	}

	if (user) {
		pgw_md5_make_secret(user, password, out);
		if (out[0] == '\0') {
			fprintf(stderr, "dosql-passwd: MD5 is not available\n");
			rc = 1;
		}
	} else if (!pgw_scram_make_verifier(password, PGW_SCRAM_DEFAULT_ITERATIONS, out, sizeof(out))) {
		fprintf(stderr, "dosql-passwd: could not compute the SCRAM verifier\n");
		rc = 1;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (rc == 0 && (printf("%s\n", out) < 0 || fflush(stdout) != 0))
		rc = 1;
	return rc;
}
