// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "proc/proc_table.h"
#include "runtime/rt_files.h"
#include "util/hashmap.h"

/* A record: its file's identity, then the module's bytes. */
struct rt_file {
	uint64_t dev, inode;
	_Alignas(16) unsigned char rec[];
};

struct rt_files {
	struct hashmap map; /* struct rt_file * (key: itself, by dev and inode) */
	size_t size, max;
};

static uint64_t hash_file(uintptr_t k, void *ctx)
{
	const struct rt_file *f = (const void *)k;

	(void)ctx;
	return hash_u64(f->dev * 0x9e3779b97f4a7c15ULL ^ f->inode);
}

static bool equal_file(uintptr_t a, uintptr_t b, void *ctx)
{
	const struct rt_file *x = (const void *)a, *y = (const void *)b;

	(void)ctx;
	return x->dev == y->dev && x->inode == y->inode;
}

struct rt_files *rt_files__new(size_t size, size_t max)
{
	struct rt_files *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	hashmap__init(&t->map, hash_file, equal_file, NULL);
	t->size = size;
	t->max = max;
	return t;
}

void rt_files__free(struct rt_files *t)
{
	if (!t)
		return;
	hashmap__for_each (&t->map, e)
		free((void *)e->key);
	hashmap__clear(&t->map);
	free(t);
}

void *rt_files__get(struct rt_files *t, const struct proc_file *pf,
		    void (*parse)(void *rec, int fd, void *ctx), void *ctx)
{
	struct rt_file key = { .dev = pf->dev, .inode = pf->inode }, *f;
	uintptr_t v;
	int fd;

	if (hashmap__find(&t->map, (uintptr_t)&key, &v))
		return ((struct rt_file *)v)->rec;
	if (t->map.len >= t->max)
		return NULL;
	f = calloc(1, sizeof(*f) + t->size);
	if (!f)
		return NULL;
	f->dev = key.dev;
	f->inode = key.inode;
	fd = proc_file__hold(pf);
	if (fd >= 0) {
		parse(f->rec, fd, ctx);
		proc_file__release(pf);
	}
	if (hashmap__set(&t->map, (uintptr_t)f, (uintptr_t)f)) {
		free(f);
		return NULL;
	}
	return f->rec;
}
