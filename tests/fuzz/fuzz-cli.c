/* The command line and the CLUSTERCTL_* environment (core/cli.c,
 * core/config.c), as a user, a unit file or a wrapper script passes them.
 *
 * Input: words separated by NUL bytes.  A word "CLUSTERCTL_NAME=value"
 * goes into the environment, every other word into argv after
 * "clusterctl".
 *
 * What must hold: cli_parse() returns an exit code (0 help, 2 usage) or
 * -1 with a configuration that passed validation, never anything else.
 *
 * Left out: --config / CLUSTERCTL_CONFIG and --log-file /
 * CLUSTERCTL_LOG_FILE, which make the parser open the file named; the
 * config file has its own target (fuzz-config-file), and a fuzzer must
 * not create files wherever it likes. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "fuzz.h"

FUZZ_IGNORE_LIBCONFIG_LEAKS

extern char **environ;

#define MAX_WORDS 64

/* The option name a word sets ("--name=v" / "--name"; for the
 * environment the name config_load_env() derives). */
static bool names(const char *w, bool env, const char *opt)
{
	char name[64];
	size_t n = 0;

	if (env) {
		w += strlen("CLUSTERCTL_");
		for (; w[n] && w[n] != '=' && n < sizeof name - 1; n++)
			name[n] = w[n] == '_' ? '-' : (char)tolower((unsigned char)w[n]);
	} else {
		if (strncmp(w, "--", 2) != 0)
			return false;
		w += 2;
		for (; w[n] && w[n] != '=' && n < sizeof name - 1; n++)
			name[n] = w[n];
	}
	name[n] = '\0';
	return strcmp(name, opt) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size), *argv[MAX_WORDS + 2], *env[MAX_WORDS + 1];
	char **saved = environ;
	int argc = 0, nenv = 0, rc;
	struct app a = {0};
	size_t off = 0;

	argv[argc++] = "clusterctl";
	while (off <= size && argc < MAX_WORDS + 1 && nenv < MAX_WORDS) {
		char *w = text + off;
		bool is_env = strncmp(w, "CLUSTERCTL_", 11) == 0 && strchr(w, '=');
		if (names(w, is_env, "config") || names(w, is_env, "log-file"))
			goto out;
		if (is_env)
			env[nenv++] = w;
		else
			argv[argc++] = w;
		off += strlen(w) + 1;
	}
	argv[argc] = NULL;
	env[nenv] = NULL;

	environ = env;
	rc = cli_parse(&a, argc, argv);
	environ = saved;

	fuzz_require(rc == -1 || rc == EXIT_OK || rc == EXIT_USAGE, "cli_parse gives -1, 0 or 2");
	if (rc == -1)
		fuzz_require(config_validate(&a.cfg, a.cmd) == 0, "a parsed command line is valid");
	config_free(&a.cfg);
out:
	free(text);
	return 0;
}
