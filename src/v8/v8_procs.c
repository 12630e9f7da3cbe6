// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "v8/v8_procs_internal.h"

static void *v8_procs__new(void)
{
	struct v8_procs *vp = calloc(1, sizeof(*vp));

	if (!vp)
		return NULL;
	vp->bins = rt_files__new(sizeof(struct v8_bin), V8_MAX_BINS);
	if (!vp->bins) {
		free(vp);
		return NULL;
	}
	hashmap__init(&vp->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	return vp;
}

/* --- what is cached, and its bytes --- */

void v8_procs__account(struct v8_procs *vp, struct v8_proc *p, ssize_t bytes)
{
	p->bytes += bytes;
	vp->stats.cache_bytes += bytes;
}

bool v8_procs__over_budget(struct v8_procs *vp, const struct v8_proc *p)
{
	if (vp->stats.cache_bytes < V8_PROCS_CACHE_BYTES && p->bytes < V8_PROCS_PROC_CACHE_BYTES)
		return false;
	vp->stats.over_budget++;
	return true;
}

void v8_proc__free(struct v8_procs *vp, struct v8_proc *p)
{
	if (!p)
		return;
	hashmap__for_each (&p->funcs, e)
		v8_func__free((struct v8_func *)e->value);
	hashmap__for_each (&p->codes, e)
		v8_code__free((struct v8_code *)e->value);
	hashmap__for_each (&p->scripts, e)
		v8_script__free((struct v8_script *)e->value);
	hashmap__clear(&p->funcs);
	hashmap__clear(&p->codes);
	hashmap__clear(&p->scripts);
	v8_heap__release(&p->heap);
	vp->stats.cache_bytes -= p->bytes;
	free(p);
}

static void v8_procs__free(void *m)
{
	struct v8_procs *vp = m;

	if (!vp)
		return;
	hashmap__for_each (&vp->procs, e)
		v8_proc__free(vp, (struct v8_proc *)e->value);
	hashmap__clear(&vp->procs);
	rt_files__free(vp->bins);
	free(vp);
}

struct v8_proc *v8_proc__find(const struct v8_procs *vp, uint32_t tgid, uint64_t aspace)
{
	uintptr_t v;

	if (!hashmap__find(&vp->procs, tgid, &v))
		return NULL;
	return ((struct v8_proc *)v)->aspace == aspace ? (struct v8_proc *)v : NULL;
}

static void v8_procs__forget(void *m, uint32_t tgid)
{
	struct v8_procs *vp = m;
	uintptr_t v;

	if (hashmap__delete(&vp->procs, tgid, &v))
		v8_proc__free(vp, (struct v8_proc *)v);
}

static void v8_procs__tick(void *m)
{
	struct v8_procs *vp = m;

	vp->epoch++;
	hashmap__for_each (&vp->procs, e)
		v8_heap__forget_types(&((struct v8_proc *)e->value)->heap);
}

struct v8_procs_stats v8_procs__stats(const struct v8_procs *vp)
{
	return vp ? vp->stats : (struct v8_procs_stats){ 0 };
}

/* --- the registry's face (runtime.h) --- */

const struct runtime_ops v8_runtime_ops = {
	.name = "v8",
	.language = "JavaScript",
	.id = FLAMED_RT_V8,
	.mapping = "[js]",
	.words_per_frame = 2,
	.new = v8_procs__new,
	.free = v8_procs__free,
	.detect = v8_procs__detect,
	.forget = v8_procs__forget,
	.tick = v8_procs__tick,
	.prefetch = v8_procs__prefetch,
	.frames = v8_procs__frames,
};
