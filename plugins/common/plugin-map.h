/* A hash map from byte strings (node ids, public keys, addresses) to
 * pointers, for the in-memory indexes the controller side of a plugin
 * keeps (clusterctl-plugin(7): node events).  Lookups, inserts and
 * removals are O(1) on average whatever the cluster size.  The hash is
 * seeded per map from getrandom(), so keys a client chooses (node ids)
 * cannot be picked to collide.  Not thread-safe: one writer, or a lock. */
#ifndef CLUSTERCTL_PLUGIN_MAP_H
#define CLUSTERCTL_PLUGIN_MAP_H

#include <stddef.h>
#include <stdint.h>

struct cp_map_slot;

struct cp_map {
	struct cp_map_slot *slots;
	size_t cap;    /* a power of two, or 0 */
	size_t count;
	uint64_t seed;
};

void cp_map_init(struct cp_map *m);
/* The value stored under key, or NULL. */
void *cp_map_get(const struct cp_map *m, const void *key, size_t len);
/* Insert or replace (the key is copied).  0 or -ENOMEM. */
int cp_map_put(struct cp_map *m, const void *key, size_t len, void *value);
/* Remove; the value it held, or NULL. */
void *cp_map_del(struct cp_map *m, const void *key, size_t len);
/* fn for every entry, in no order; the map must not change meanwhile. */
void cp_map_each(const struct cp_map *m, void (*fn)(void *value, void *arg), void *arg);
/* Forget everything (free_value, when not NULL, is called on each value). */
void cp_map_free(struct cp_map *m, void (*free_value)(void *value));

/* String keys. */
static inline void *cp_map_gets(const struct cp_map *m, const char *key);
static inline int cp_map_puts(struct cp_map *m, const char *key, void *value);
static inline void *cp_map_dels(struct cp_map *m, const char *key);

#include <string.h>
static inline void *cp_map_gets(const struct cp_map *m, const char *key)
{
	return cp_map_get(m, key, strlen(key));
}
static inline int cp_map_puts(struct cp_map *m, const char *key, void *value)
{
	return cp_map_put(m, key, strlen(key), value);
}
static inline void *cp_map_dels(struct cp_map *m, const char *key) { return cp_map_del(m, key, strlen(key)); }

#endif
