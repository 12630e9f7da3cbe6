// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/pod_cache.h"
#include "util/hashmap.h"

/* One container: its meta and every string it points to, in one allocation. */
struct entry {
	char id[CGROUP_CONTAINER_ID_LEN + 1];
	uint64_t seen;		/* the update that last listed it */
	uint64_t missing_since; /* monotonic ns of the first list without it; 0 = listed */
	size_t bytes;		/* of this allocation */
	struct k8s_meta meta;	/* .values points at values[] */
	const char *values[];	/* nr_keys, then the strings */
};

struct pod_cache {
	size_t nr_keys;
	struct hashmap by_id; /* entry->id -> struct entry * */
	uint64_t gen;
	struct pod_cache_stats st;
};

struct pod_cache *pod_cache__new(size_t nr_keys)
{
	struct pod_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nr_keys = nr_keys;
	hashmap__init(&c->by_id, hashmap_hash_str, hashmap_equal_str, NULL);
	return c;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same(const struct pod_cache *c, const struct entry *e, const struct k8s_pod *p,
		 const struct k8s_container *ct, bool selected)
{
	if (e->meta.selected != selected || strcmp(e->meta.container, ct->name) ||
	    strcmp(e->meta.pod, p->name) || strcmp(e->meta.namespace, p->namespace) ||
	    strcmp(e->meta.uid, p->uid) || strcmp(e->meta.node, p->node))
		return false;
	for (size_t k = 0; k < c->nr_keys; k++)
		if (!str_eq(e->values[k], p->values ? p->values[k] : NULL))
			return false;
	return true;
}

/* Copy s after *cursor. */
static const char *put(char **cursor, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = *cursor;

	memcpy(d, s, n);
	*cursor += n;
	return d;
}

static struct entry *entry_new(const struct pod_cache *c, const struct k8s_pod *p,
			       const struct k8s_container *ct, bool selected)
{
	const char *strs[] = { p->namespace, p->name, ct->name, p->node, p->uid };
	size_t size = sizeof(struct entry) + c->nr_keys * sizeof(char *);
	struct entry *e;
	char *cursor;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		size += strlen(strs[i]) + 1;
	for (size_t k = 0; k < c->nr_keys; k++)
		size += p->values && p->values[k] ? strlen(p->values[k]) + 1 : 0;
	e = calloc(1, size);
	if (!e)
		return NULL;
	e->bytes = size;
	memcpy(e->id, ct->id, sizeof(e->id));
	cursor = (char *)&e->values[c->nr_keys];
	e->meta.namespace = put(&cursor, p->namespace);
	e->meta.pod = put(&cursor, p->name);
	e->meta.container = put(&cursor, ct->name);
	e->meta.node = put(&cursor, p->node);
	e->meta.uid = put(&cursor, p->uid);
	for (size_t k = 0; k < c->nr_keys; k++)
		e->values[k] = p->values && p->values[k] ? put(&cursor, p->values[k]) : NULL;
	e->meta.values = e->values;
	e->meta.selected = selected;
	return e;
}

static void entry_drop(struct pod_cache *c, struct entry *e)
{
	hashmap__delete(&c->by_id, (uintptr_t)e->id, NULL);
	c->st.bytes -= e->bytes;
	free(e);
}

/* Add or refresh one container of the list. */
static int refresh(struct pod_cache *c, const struct k8s_pod *p, const struct k8s_container *ct,
		   bool selected)
{
	uintptr_t v;
	struct entry *e = NULL, *old = NULL;

	if (hashmap__find(&c->by_id, (uintptr_t)ct->id, &v))
		old = (struct entry *)v;
	if (old && same(c, old, p, ct, selected)) {
		old->seen = c->gen;
		old->missing_since = 0;
		return 0;
	}
	e = entry_new(c, p, ct, selected);
	if (!e)
		return -ENOMEM;
	if (old)
		entry_drop(c, old);
	if (hashmap__set(&c->by_id, (uintptr_t)e->id, (uintptr_t)e)) {
		free(e);
		return -ENOMEM;
	}
	e->seen = c->gen;
	c->st.bytes += e->bytes;
	c->st.added++;
	return 0;
}

/* Entries missing from this update: their grace starts, or ends. */
static int expire(struct pod_cache *c, uint64_t now_ns)
{
	struct entry **gone = NULL;
	size_t n = 0;

	hashmap__for_each (&c->by_id, he) {
		struct entry *e = (struct entry *)he->value;

		if (e->seen == c->gen)
			continue;
		if (!e->missing_since)
			e->missing_since = now_ns ? now_ns : 1;
		else if (now_ns - e->missing_since >= POD_CACHE_GRACE_NS)
			n++;
	}
	if (!n)
		return 0;
	gone = malloc(n * sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	n = 0;
	hashmap__for_each (&c->by_id, he) {
		struct entry *e = (struct entry *)he->value;

		if (e->seen != c->gen && e->missing_since &&
		    now_ns - e->missing_since >= POD_CACHE_GRACE_NS)
			gone[n++] = e;
	}
	for (size_t i = 0; i < n; i++)
		entry_drop(c, gone[i]);
	c->st.expired += n;
	free(gone);
	return 0;
}

int pod_cache__update(struct pod_cache *c, const struct pod_list *l, const struct k8s_selector *sel,
		      uint64_t now_ns)
{
	int err = 0;

	c->gen++;
	c->st.updates++;
	for (size_t i = 0; i < l->nr && !err; i++) {
		const struct k8s_pod *p = &l->pods[i];
		bool selected = !sel || k8s_selector__match(sel, p);

		for (size_t j = 0; j < p->nr_containers && !err; j++)
			if (p->containers[j].id[0])
				err = refresh(c, p, &p->containers[j], selected);
	}
	if (!err)
		err = expire(c, now_ns);
	c->st.containers = c->by_id.len;
	return err;
}

const struct k8s_meta *pod_cache__lookup(const struct pod_cache *c, const char *id)
{
	uintptr_t v;

	if (!c || !id || !id[0] || !hashmap__find(&c->by_id, (uintptr_t)id, &v))
		return NULL;
	return &((const struct entry *)v)->meta;
}

void pod_cache__stats(const struct pod_cache *c, struct pod_cache_stats *ret_stats)
{
	*ret_stats = c ? c->st : (struct pod_cache_stats){ 0 };
	if (c)
		ret_stats->bytes += sizeof(*c) + c->by_id.cap * sizeof(struct hashmap_entry);
}

void pod_cache__free(struct pod_cache *c)
{
	if (!c)
		return;
	hashmap__for_each (&c->by_id, he)
		free((void *)he->value);
	hashmap__clear(&c->by_id);
	free(c);
}
