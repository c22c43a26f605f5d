#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "node-auth.h"
#include "secure-file.h"
#include "tls.h"

/* A pinned key is a line of at most this much: "host:" + a host name or
 * "id:" + a NodeID, a space, 64 hex digits. */
#define LINE_MAX_ 512
#define FILE_MAX (64u << 20)

struct pin {
	char *key;
	char pin[TLS_PIN_HEXLEN + 1];
	struct pin *next;
};

struct node_auth {
	struct pin **buckets;
	size_t nbuckets;
	char *path;
};

static size_t hash(const char *s, size_t n)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h % n;
}

static struct pin *find(const struct node_auth *a, const char *key)
{
	for (struct pin *p = a->buckets[hash(key, a->nbuckets)]; p; p = p->next)
		if (strcmp(p->key, key) == 0)
			return p;
	return NULL;
}

static bool hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static int add(struct node_auth *a, const char *key, const char *pin)
{
	struct pin *p = find(a, key);
	size_t b;

	if (p) { /* a later line wins (none is written twice, but be sure) */
		memcpy(p->pin, pin, sizeof p->pin);
		return 0;
	}
	if (!(p = calloc(1, sizeof *p)) || !(p->key = strdup(key))) {
		free(p);
		return -ENOMEM;
	}
	memcpy(p->pin, pin, sizeof p->pin);
	b = hash(key, a->nbuckets);
	p->next = a->buckets[b];
	a->buckets[b] = p;
	return 0;
}

int node_auth_open(const char *state_dir, struct node_auth **out, char **err)
{
	struct node_auth *a = calloc(1, sizeof *a);
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, lineno = 0;
	int r;

	*out = NULL;
	if (!a || !(a->buckets = calloc(a->nbuckets = 4096, sizeof *a->buckets)) ||
	    !(a->path = cc_strdupf("%s/%s", state_dir, NODE_KEYS_FILE))) {
		node_auth_free(a);
		return -ENOMEM;
	}
	r = secure_file_read(a->path, FILE_MAX, false, &text, &len, err);
	if (r == -ENOENT) {
		*out = a;
		return 0;
	}
	if (r < 0)
		goto out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');
		lineno++;
		if (!sp || sp == line || strlen(line) > LINE_MAX_ || !hex64(sp + 1)) {
			r = -EINVAL;
			*err = cc_strdupf("%s line %zu is not \"<id:NodeID|host:Hostname> <64 hex digits>\"; fix or "
					  "delete it",
					  a->path, lineno);
			goto out;
		}
		*sp = '\0';
		if ((r = add(a, line, sp + 1)) < 0)
			goto out;
	}
	r = 0;
out:
	free(text);
	if (r < 0)
		node_auth_free(a);
	else
		*out = a;
	return r;
}

void node_auth_free(struct node_auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; a->buckets && i < a->nbuckets; i++)
		for (struct pin *p = a->buckets[i], *next; p; p = next) {
			next = p->next;
			free(p->key);
			free(p);
		}
	free(a->buckets);
	free(a->path);
	free(a);
}

int node_auth_check(struct node_auth *a, const char *key, const char *pin, const char **pinned, char **err)
{
	struct pin *p = find(a, key);
	char *line;
	int fd, r;

	*pinned = NULL;
	if (p) {
		if (pin && strcmp(p->pin, pin) == 0)
			return NODE_AUTH_OK;
		*pinned = p->pin;
		return NODE_AUTH_MISMATCH;
	}
	if (!pin)
		return NODE_AUTH_UNPROVED;
	if (strlen(key) > LINE_MAX_ - TLS_PIN_HEXLEN - 2 || strchr(key, '\n'))
		return NODE_AUTH_UNPROVED; /* the protocol's limits keep keys far shorter */
	if (!(line = cc_strdupf("%s %s\n", key, pin)))
		return -ENOMEM;
	/* Appended, not synced here: the registration's own record is made
	 * durable by the state store's next batch right after; a crash
	 * before that loses both, and the node is pinned again next time. */
	fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : cc_write_all(fd, line, strlen(line));
	if (fd >= 0)
		close(fd);
	free(line);
	if (r < 0) {
		*err = cc_strdupf("cannot record the node's key in %s: %s", a->path, strerror(-r));
		return r;
	}
	if ((r = add(a, key, pin)) < 0)
		return r;
	return NODE_AUTH_PINNED;
}
