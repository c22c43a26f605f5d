/* Small helpers of the core: random bytes, number and boolean parsing.
 * What the plugins need too (buffers, clocks, addresses, files) is in
 * common/. */
#ifndef CLUSTERCTL_UTIL_H
#define CLUSTERCTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Cryptographically random bytes (getrandom). */
int random_bytes(void *buf, size_t len);
/* Hex of len random bytes into a malloc'd string. */
char *random_hex(size_t len);

/* Parse a decimal integer in [min, max]; -EINVAL / -ERANGE. */
int parse_ll(const char *s, long long min, long long max, long long *out);
/* "true/false/yes/no/on/off/1/0"; -EINVAL otherwise. */
int parse_bool(const char *s, bool *out);
char *xstrdup_or_null(const char *s);

/* The program's version as it says it (--version, help --json) and sends
 * it (ClusterctlVersion): PACKAGE_VERSION, unless main() was built with
 * CLUSTERCTL_VERSION_SUFFIX (the upgrade test's second binary). */
const char *clusterctl_version(void);
void clusterctl_version_set(const char *v);

#endif
