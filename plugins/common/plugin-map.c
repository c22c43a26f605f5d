/* Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so a map that churns keeps short probes). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "plugin-map.h"

struct cp_map_slot {
	uint64_t hash; /* 0: empty */
	void *key;
	size_t len;
	void *value;
};

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* FNV-1a over the bytes, started from the map's random seed and mixed at
 * the end; never 0 (that marks an empty slot). */
static uint64_t hash_of(const struct cp_map *m, const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull ^ m->seed;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h = mix(h ^ len);
	return h ? h : 1;
}

void cp_map_init(struct cp_map *m)
{
	memset(m, 0, sizeof *m);
	if (getrandom(&m->seed, sizeof m->seed, GRND_NONBLOCK) != (ssize_t)sizeof m->seed)
		m->seed = (uint64_t)(uintptr_t)m * 0x9e3779b97f4a7c15ull;
}

static struct cp_map_slot *find(const struct cp_map *m, uint64_t h, const void *key, size_t len)
{
	if (!m->cap)
		return NULL;
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct cp_map_slot *s = &m->slots[i];
		if (!s->hash)
			return NULL;
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
	}
}

void *cp_map_get(const struct cp_map *m, const void *key, size_t len)
{
	struct cp_map_slot *s = find(m, hash_of(m, key, len), key, len);
	return s ? s->value : NULL;
}

static void place(struct cp_map_slot *slots, size_t cap, const struct cp_map_slot *e)
{
	size_t i = e->hash & (cap - 1);
	while (slots[i].hash)
		i = (i + 1) & (cap - 1);
	slots[i] = *e;
}

static int grow(struct cp_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct cp_map_slot *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].hash)
			place(slots, cap, &m->slots[i]);
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int cp_map_put(struct cp_map *m, const void *key, size_t len, void *value)
{
	uint64_t h = hash_of(m, key, len);
	struct cp_map_slot *s = find(m, h, key, len), e;

	if (s) {
		s->value = value;
		return 0;
	}
	/* At most 3/4 full: probes stay short. */
	if ((m->count + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	e = (struct cp_map_slot){.hash = h, .key = malloc(len ? len : 1), .len = len, .value = value};
	if (!e.key)
		return -ENOMEM;
	memcpy(e.key, key, len);
	place(m->slots, m->cap, &e);
	m->count++;
	return 0;
}

void *cp_map_del(struct cp_map *m, const void *key, size_t len)
{
	struct cp_map_slot *s = find(m, hash_of(m, key, len), key, len);
	size_t i, j;
	void *value;

	if (!s)
		return NULL;
	value = s->value;
	free(s->key);
	i = (size_t)(s - m->slots);
	/* Shift back what probed past the freed slot, so that every entry
	 * stays reachable from its home slot without tombstones. */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].hash; j = (j + 1) & (m->cap - 1)) {
		size_t home = m->slots[j].hash & (m->cap - 1);
		bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	memset(&m->slots[i], 0, sizeof m->slots[i]);
	m->count--;
	return value;
}

void cp_map_each(const struct cp_map *m, void (*fn)(void *value, void *arg), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].hash)
			fn(m->slots[i].value, arg);
}

void cp_map_free(struct cp_map *m, void (*free_value)(void *value))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].hash)
			continue;
		free(m->slots[i].key);
		if (free_value)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}
