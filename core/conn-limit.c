#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>

#include "conn-limit.h"

struct source_count {
	uint32_t ip;
	unsigned n;
	struct source_count *next;
};

#define NBUCKETS 4096

int source_limit_init(struct source_limit *l, unsigned max_per_source)
{
	l->max = max_per_source;
	l->nbuckets = NBUCKETS;
	l->buckets = calloc(NBUCKETS, sizeof *l->buckets);
	return l->buckets ? 0 : -ENOMEM;
}

void source_limit_free(struct source_limit *l)
{
	for (size_t i = 0; l->buckets && i < l->nbuckets; i++)
		for (struct source_count *e = l->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(l->buckets);
	l->buckets = NULL;
}

/* Fibonacci hashing: neighbouring addresses (a LAN) spread out. */
static size_t bucket(const struct source_limit *l, uint32_t ip)
{
	return (size_t)((ip * 2654435761u) >> 20) % l->nbuckets;
}

static struct source_count **find(const struct source_limit *l, uint32_t ip)
{
	struct source_count **pp = &l->buckets[bucket(l, ip)];
	while (*pp && (*pp)->ip != ip)
		pp = &(*pp)->next;
	return pp;
}

bool source_limit_take(struct source_limit *l, uint32_t ip)
{
	struct source_count **pp = find(l, ip);

	if (*pp) {
		if (l->max && (*pp)->n >= l->max)
			return false;
		(*pp)->n++;
		return true;
	}
	if (!(*pp = calloc(1, sizeof **pp)))
		return false;
	(*pp)->ip = ip;
	(*pp)->n = 1;
	return true;
}

void source_limit_put(struct source_limit *l, uint32_t ip)
{
	struct source_count **pp = find(l, ip), *e = *pp;

	if (!e)
		return;
	if (--e->n == 0) {
		*pp = e->next;
		free(e);
	}
}

unsigned source_limit_count(const struct source_limit *l, uint32_t ip)
{
	struct source_count *e = *find(l, ip);
	return e ? e->n : 0;
}

static size_t over_free(const struct preauth_budget *b, size_t n) { return n > b->free_each ? n - b->free_each : 0; }

bool preauth_update(struct preauth_budget *b, size_t *held, size_t now)
{
	size_t was = over_free(b, *held), will = over_free(b, now);

	if (will > was && b->shared + (will - was) > b->max)
		return false;
	b->shared = b->shared - was + will;
	*held = now;
	return true;
}

void preauth_release(struct preauth_budget *b, size_t *held)
{
	b->shared -= over_free(b, *held);
	*held = 0;
}
