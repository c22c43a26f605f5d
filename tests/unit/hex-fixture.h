/* Recorded or hand-written netlink messages as hex text: hex pairs,
 * '#' starts a comment line (tests/fixtures/wireguard/genl-*.hex).  Up to
 * max bytes of the file at path into out; 0 when it cannot be read. */
#ifndef CLUSTERCTL_TEST_HEX_FIXTURE_H
#define CLUSTERCTL_TEST_HEX_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

static inline size_t load_hex_path(const char *path, uint8_t *out, size_t max)
{
	char line[256];
	size_t n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		unsigned v;
		int used;
		if (line[0] == '#')
			continue;
		while (n < max && sscanf(p, "%2x%n", &v, &used) == 1) {
			out[n++] = (uint8_t)v;
			p += used;
		}
	}
	fclose(f);
	return n;
}

#endif
