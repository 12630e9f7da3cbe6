// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

#define CHUNK_BYTES 16384 /* a big allocation gets a chunk of its own */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct chunk *head; /* the chunk being filled first, then full ones */
	size_t bytes;
};

struct arena *arena__new(void)
{
	return calloc(1, sizeof(struct arena));
}

void *arena__alloc(struct arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct chunk *c = a->head;
	size_t need = (size + align - 1) & ~(align - 1);
	void *p;

	if (need < size)
		return NULL;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > CHUNK_BYTES / 4 ? need : CHUNK_BYTES;

		if (cap > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		a->bytes += sizeof(*c) + cap;
		if (cap == need && a->head) {
			/* a chunk of its own: behind the one being filled, which keeps its room */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, size);
	return p;
}

char *arena__strndup(struct arena *a, const char *s, size_t len)
{
	char *p = len + 1 ? arena__alloc(a, len + 1) : NULL;

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

size_t arena__bytes(const struct arena *a)
{
	return a ? a->bytes + sizeof(*a) : 0;
}

void arena__free(struct arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
