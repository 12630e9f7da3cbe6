/* SPDX-License-Identifier: MIT */
/* Which pod and container each container id belongs to, kept current from the kubelet's lists:
 * what samples are labelled with. A container whose pod left the list is kept for
 * POD_CACHE_GRACE_NS of lists without it, so a window built after a pod ended still names the
 * samples the pod took before; while no list arrives (the kubelet is down) nothing expires. */
#ifndef FLAMED_POD_CACHE_H
#define FLAMED_POD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s/pod_list.h"

#define POD_CACHE_GRACE_NS (120 * 1000000000ULL)

/* What a container's samples carry. Strings are the cache's. */
struct k8s_meta {
	const char *namespace;
	const char *pod;
	const char *container;
	const char *node; /* "" when the pod list had none */
	const char *uid;
	const char *const *values; /* per label key of the lists (pod_list__parse), NULL = none */
	bool selected;		   /* the pod is one the run profiles (pod_cache__update) */
};

struct pod_cache_stats {
	uint64_t containers; /* known now, expiring ones included */
	uint64_t bytes;	     /* heap the entries take */
	uint64_t updates;    /* lists applied */
	uint64_t added;	     /* containers added or changed (labels, selection) */
	uint64_t expired;    /* containers forgotten after the grace period */
};

struct pod_cache;

/* Empty cache for lists parsed with nr_keys label keys. NULL with errno ENOMEM. */
struct pod_cache *pod_cache__new(size_t nr_keys);

/* Make the cache say what l says, at monotonic time now_ns: every container of l with an id
 * added or refreshed, selected when sel (may be NULL: every pod) matches its pod; those l lacks
 * expire once they have been missing for the grace period. Pointers from pod_cache__lookup are
 * invalid after it. 0 or -ENOMEM (the cache then holds part of l). */
int pod_cache__update(struct pod_cache *c, const struct pod_list *l, const struct k8s_selector *sel,
		      uint64_t now_ns);

/* The container with this runtime id (64 lowercase hex digits), or NULL. Borrowed until the next
 * pod_cache__update. */
const struct k8s_meta *pod_cache__lookup(const struct pod_cache *c, const char *id);

void pod_cache__stats(const struct pod_cache *c, struct pod_cache_stats *ret_stats);

/* NULL-safe. */
void pod_cache__free(struct pod_cache *c);

#endif /* FLAMED_POD_CACHE_H */
