// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collector.h"
#include "util/hashmap.h"

struct count_node {
	struct flamed_count_key key; /* first: the map key points here */
	uint64_t count;
	uint64_t offcpu_ns;
};

struct collector {
	struct hashmap stacks; /* hash -> struct collector_stack * */
	struct hashmap counts; /* struct flamed_count_key * -> struct count_node * */
	struct hashmap tgids;  /* tgid -> 1 */
	uint64_t samples;
	uint64_t offcpu_ns;
};

static uint64_t hash_key(uintptr_t k, void *ctx)
{
	(void)ctx;
	return hash_bytes((const void *)k, sizeof(struct flamed_count_key), 0);
}

static bool equal_key(uintptr_t a, uintptr_t b, void *ctx)
{
	(void)ctx;
	return memcmp((const void *)a, (const void *)b, sizeof(struct flamed_count_key)) == 0;
}

struct collector *collector__new(void)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	hashmap__init(&c->stacks, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&c->counts, hash_key, equal_key, NULL);
	hashmap__init(&c->tgids, hashmap_hash_int, hashmap_equal_int, NULL);
	return c;
}

int collector__add_stack(struct collector *c, uint64_t hash, const struct flamed_stack *st)
{
	struct collector_stack *cs;
	uint32_t nr = st->nr > FLAMED_MAX_FRAMES ? FLAMED_MAX_FRAMES : st->nr;

	if (!hash || hashmap__find(&c->stacks, hash, NULL))
		return 0;
	cs = malloc(sizeof(*cs) + nr * sizeof(cs->ips[0]));
	if (!cs)
		return -ENOMEM;
	cs->nr = nr;
	cs->flags = st->flags;
	memcpy(cs->ips, st->ips, nr * sizeof(cs->ips[0]));
	if (hashmap__set(&c->stacks, hash, (uintptr_t)cs)) {
		free(cs);
		return -ENOMEM;
	}
	return 0;
}

/* The node of key, created (zero) on first use; NULL on ENOMEM. */
static struct count_node *node_of(struct collector *c, const struct flamed_count_key *key)
{
	struct count_node *n;
	uintptr_t v;

	if (hashmap__find(&c->counts, (uintptr_t)key, &v))
		return (struct count_node *)v;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key = *key;
	if (hashmap__set(&c->counts, (uintptr_t)&n->key, (uintptr_t)n) ||
	    hashmap__set(&c->tgids, key->tgid, 1)) {
		if (!hashmap__find(&c->counts, (uintptr_t)&n->key, NULL))
			free(n);
		return NULL;
	}
	return n;
}

int collector__add_count(struct collector *c, const struct flamed_count_key *key, uint64_t count)
{
	struct count_node *n = node_of(c, key);

	if (!n)
		return -ENOMEM;
	n->count += count;
	c->samples += count;
	return 0;
}

int collector__add_offcpu(struct collector *c, const struct flamed_count_key *key, uint64_t ns)
{
	struct count_node *n = node_of(c, key);

	if (!n)
		return -ENOMEM;
	n->offcpu_ns += ns;
	c->offcpu_ns += ns;
	return 0;
}

const struct collector_stack *collector__stack(const struct collector *c, uint64_t hash)
{
	uintptr_t v;

	if (!hash || !hashmap__find(&c->stacks, hash, &v))
		return NULL;
	return (const struct collector_stack *)v;
}

size_t collector__runtime_words(const struct collector *c, const struct collector_stack *us,
				uint64_t *words, size_t max, bool *ret_missing)
{
	const struct collector_stack *part;
	size_t n = 0;
	uint64_t link;

	*ret_missing = false;
	if (!us || !us->nr || !(us->flags & FLAMED_STACK_RUNTIME))
		return 0;
	link = us->ips[us->nr - 1];
	for (int i = 0; i < FLAMED_RT_PARTS; i++) {
		part = collector__stack(c, link);
		if (!part || !(part->flags & FLAMED_STACK_RT_FRAMES)) {
			*ret_missing = true;
			return 0;
		}
		for (uint32_t j = 0; j < part->nr && n < max; j++) {
			if (j == part->nr - 1 && (part->flags & FLAMED_STACK_RT_MORE))
				break; /* the link */
			words[n++] = part->ips[j];
		}
		if (!(part->flags & FLAMED_STACK_RT_MORE) || !part->nr)
			break;
		link = part->ips[part->nr - 1];
	}
	return n;
}

int collector__for_each_count(const struct collector *c, collector_count_fn fn, void *ctx)
{
	hashmap__for_each (&c->counts, e) {
		const struct count_node *n = (const void *)e->value;
		int rc = fn(&n->key, n->count, n->offcpu_ns, ctx);

		if (rc)
			return rc;
	}
	return 0;
}

uint64_t collector__samples(const struct collector *c)
{
	return c->samples;
}

uint64_t collector__offcpu_ns(const struct collector *c)
{
	return c->offcpu_ns;
}

size_t collector__nr_stacks(const struct collector *c)
{
	return c->stacks.len;
}

size_t collector__nr_keys(const struct collector *c)
{
	return c->counts.len;
}

bool collector__has_tgid(const struct collector *c, uint32_t tgid)
{
	return hashmap__find(&c->tgids, tgid, NULL);
}

size_t collector__nr_processes(const struct collector *c)
{
	return c->tgids.len;
}

void collector__free(struct collector *c)
{
	if (!c)
		return;
	hashmap__for_each (&c->stacks, e)
		free((void *)e->value);
	hashmap__for_each (&c->counts, e)
		free((void *)e->value);
	hashmap__clear(&c->stacks);
	hashmap__clear(&c->counts);
	hashmap__clear(&c->tgids);
	free(c);
}
