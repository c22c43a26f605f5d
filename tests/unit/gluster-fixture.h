/* Reading a recorded gluster CLI answer from tests/fixtures/gluster/
 * (tests that include this link gluster-xml.c). */
#ifndef CLUSTERCTL_TEST_GLUSTER_FIXTURE_H
#define CLUSTERCTL_TEST_GLUSTER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gluster-xml.h"

/* NAME.xml's bytes (NUL-terminated, malloc'd) or NULL; *len its length. */
static inline char *fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/tests/fixtures/gluster/%s.xml", top ? top : ".", name);
	f = fopen(path, "rb");
	if (!f) {
		printf("# cannot open fixture %s\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = buf ? (size_t)n : 0;
	return buf;
}

/* The first volume of a recorded `volume info` answer (zeroed when the
 * fixture is missing or does not parse). */
static inline struct gx_volume fixture_volume(const char *name)
{
	struct gx_volume v;
	struct gx_volumes all;
	struct gx_result res;
	char *err = NULL, *x;
	size_t len;

	memset(&v, 0, sizeof v);
	x = fixture(name, &len);
	if (x && gx_parse_volumes(x, len, &res, &all, &err) == GX_OK) {
		if (all.n)
			gx_volume_copy(&v, &all.v[0]);
		gx_volumes_free(&all);
		gx_result_free(&res);
	}
	free(err);
	free(x);
	return v;
}

#endif
