/* SPDX-License-Identifier: MIT */
/* A bump allocator: many small allocations freed at once (a parsed document's strings). */
#ifndef FLAMED_ARENA_H
#define FLAMED_ARENA_H

#include <stddef.h>

struct arena;

/* New empty arena. NULL with errno ENOMEM. */
struct arena *arena__new(void);

/* size bytes aligned for any type, zeroed, valid until arena__free. NULL on ENOMEM. */
void *arena__alloc(struct arena *a, size_t size);

/* A NUL-terminated copy of s[0, len). NULL on ENOMEM. */
char *arena__strndup(struct arena *a, const char *s, size_t len);

/* Bytes the arena holds from malloc. NULL-safe (0). */
size_t arena__bytes(const struct arena *a);

/* Frees every allocation. NULL-safe. */
void arena__free(struct arena *a);

#endif /* FLAMED_ARENA_H */
