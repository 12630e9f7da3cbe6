// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc/proc_table.h"
#include "runtime/runtimes.h"
#include "util/hashmap.h"

#define RUNTIMES_MAX 8 /* modules in a registry */

/* A registered process: its module and the image it was found in. */
struct rt_reg {
	uint32_t tgid;
	uint32_t module; /* index into ops[] */
	uint64_t aspace;
};

struct runtimes {
	const struct runtime_ops *ops[RUNTIMES_MAX];
	void *inst[RUNTIMES_MAX];
	size_t nr;
	struct hashmap procs; /* tgid -> struct rt_reg * */
};

struct runtimes *runtimes__new(const struct runtime_ops *const *ops, size_t nr)
{
	struct runtimes *r;

	if (nr > RUNTIMES_MAX) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	hashmap__init(&r->procs, hashmap_hash_int, hashmap_equal_int, NULL);
	for (size_t i = 0; i < nr; i++) {
		r->ops[i] = ops[i];
		r->inst[i] = ops[i]->new ();
		if (!r->inst[i]) {
			runtimes__free(r);
			errno = ENOMEM;
			return NULL;
		}
		r->nr = i + 1;
	}
	return r;
}

void runtimes__free(struct runtimes *r)
{
	if (!r)
		return;
	hashmap__for_each (&r->procs, e)
		free((void *)e->value);
	hashmap__clear(&r->procs);
	for (size_t i = 0; i < r->nr; i++)
		r->ops[i]->free(r->inst[i]);
	free(r);
}

static struct rt_reg *reg_find(const struct runtimes *r, uint32_t tgid, uint64_t aspace)
{
	uintptr_t v;

	if (!hashmap__find(&r->procs, tgid, &v))
		return NULL;
	return ((struct rt_reg *)v)->aspace == aspace ? (struct rt_reg *)v : NULL;
}

bool runtimes__registered(const struct runtimes *r, uint32_t tgid)
{
	return hashmap__find(&r->procs, tgid, NULL);
}

bool runtimes__forget(struct runtimes *r, uint32_t tgid)
{
	struct rt_reg *reg;
	uintptr_t v;

	if (!hashmap__delete(&r->procs, tgid, &v))
		return false;
	reg = (struct rt_reg *)v;
	r->ops[reg->module]->forget(r->inst[reg->module], tgid);
	free(reg);
	return true;
}

int runtimes__detect(struct runtimes *r, struct proc_entry *e, struct flamed_rt_proc *ret,
		     struct runtime_detect *what, const struct runtime_ops **ret_ops)
{
	struct rt_reg *reg;
	uintptr_t v;
	int err = -ENOENT;
	size_t i;

	*what = (struct runtime_detect){ 0 };
	*ret_ops = NULL;
	/* the same image keeps its runtime and its module's state (what names the frames of its
	 * samples so far): its maps re-read (a library loaded, a JIT buffer mapped) may add to its
	 * parameters (0: rewrite them), and a failure (a process exiting) changes nothing
	 * (-EALREADY); a new image (exec) starts afresh: its module must not keep the old one's */
	if (hashmap__find(&r->procs, e->tgid, &v)) {
		reg = (struct rt_reg *)v;
		if (reg->aspace == e->aspace) {
			i = reg->module;
			*ret_ops = r->ops[i];
			memset(ret, 0, sizeof(*ret));
			if (r->ops[i]->detect(r->inst[i], e, ret, what))
				return -EALREADY;
			ret->aspace = e->aspace;
			ret->runtime = r->ops[i]->id;
			if (ret->nr_ranges > FLAMED_RT_MAX_RANGES)
				ret->nr_ranges = FLAMED_RT_MAX_RANGES;
			return 0;
		}
		runtimes__forget(r, e->tgid);
	}
	for (i = 0; i < r->nr; i++) {
		memset(ret, 0, sizeof(*ret));
		err = r->ops[i]->detect(r->inst[i], e, ret, what);
		if (err != -ENOENT)
			break;
	}
	if (i < r->nr)
		*ret_ops = r->ops[i];
	if (err)
		return err;
	ret->aspace = e->aspace;
	ret->runtime = r->ops[i]->id;
	if (ret->nr_ranges > FLAMED_RT_MAX_RANGES)
		ret->nr_ranges = FLAMED_RT_MAX_RANGES;
	reg = calloc(1, sizeof(*reg));
	if (!reg) {
		r->ops[i]->forget(r->inst[i], e->tgid);
		return -ENOMEM;
	}
	*reg = (struct rt_reg){ .tgid = e->tgid, .module = (uint32_t)i, .aspace = e->aspace };
	if (hashmap__set(&r->procs, e->tgid, (uintptr_t)reg)) {
		free(reg);
		r->ops[i]->forget(r->inst[i], e->tgid);
		return -ENOMEM;
	}
	return 0;
}

void runtimes__tick(struct runtimes *r)
{
	for (size_t i = 0; i < r->nr; i++)
		r->ops[i]->tick(r->inst[i]);
}

const struct runtime_ops *runtimes__ops(const struct runtimes *r, uint32_t tgid, uint64_t aspace)
{
	const struct rt_reg *reg = r ? reg_find(r, tgid, aspace) : NULL;

	return reg ? r->ops[reg->module] : NULL;
}

void runtimes__prefetch(struct runtimes *r, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			uint32_t nr, uint32_t stamp, uint64_t samples)
{
	const struct rt_reg *reg = reg_find(r, tgid, aspace);

	if (reg)
		r->ops[reg->module]->prefetch(r->inst[reg->module], tgid, aspace, words, nr, stamp,
					      samples);
}

size_t runtimes__frames(struct runtimes *r, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			struct runtime_frame *out, size_t max)
{
	const struct rt_reg *reg = r ? reg_find(r, tgid, aspace) : NULL;

	if (!reg || !max)
		return 0;
	return r->ops[reg->module]->frames(r->inst[reg->module], tgid, aspace, rec, out, max);
}

size_t runtimes__sweep(struct runtimes *r, bool (*alive)(uint32_t tgid, uint64_t aspace, void *ctx),
		       void (*forget)(uint32_t tgid, void *ctx), void *ctx)
{
	uint32_t gone[256];
	size_t n, total = 0;

	do { /* never delete while iterating: collect a batch, then delete it */
		n = 0;
		hashmap__for_each (&r->procs, e) {
			const struct rt_reg *reg = (const void *)e->value;

			if (n < 256 && !alive(reg->tgid, reg->aspace, ctx))
				gone[n++] = reg->tgid;
		}
		for (size_t i = 0; i < n; i++) {
			runtimes__forget(r, gone[i]);
			if (forget)
				forget(gone[i], ctx);
		}
		total += n;
	} while (n == 256);
	return total;
}

void *runtimes__module(const struct runtimes *r, enum flamed_runtime id)
{
	for (size_t i = 0; r && i < r->nr; i++)
		if (r->ops[i]->id == id)
			return r->inst[i];
	return NULL;
}
