#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "harden.h"

extern char **environ;

int harden_process(void)
{
	struct rlimit none = {0, 0};

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return -errno;
	return 0;
}

void harden_wipe(char *value)
{
	/* volatile: the compiler must not drop stores to memory it thinks
	 * nobody reads again (/proc does). */
	for (volatile char *p = value; p && *p; p++)
		*p = 'x';
}

bool harden_wipe_env(const char *name)
{
	size_t n = strlen(name);
	bool found = false;

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') {
			harden_wipe(*e + n + 1);
			found = true;
		}
	if (found)
		unsetenv(name);
	return found;
}

bool harden_env_allowed(const char *entry)
{
	static const char *const names[] = {
		"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM", "USER", "LOGNAME",
		"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
		"all_proxy", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
	};
	const char *eq = strchr(entry, '=');
	size_t n;

	if (!eq)
		return false;
	n = (size_t)(eq - entry);
	if (n > 3 && strncmp(entry, "LC_", 3) == 0)
		return true;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && strncmp(entry, names[i], n) == 0)
			return true;
	return false;
}
