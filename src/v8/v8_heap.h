/* SPDX-License-Identifier: MIT */
/* Reading a V8 process's heap: objects by their tagged pointers, their types, strings. Through
 * process_vm_readv only (nothing of the process is mapped into flamed), every length capped:
 * the heap is the process's to forge. */
#ifndef FLAMED_V8_HEAP_H
#define FLAMED_V8_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/hashmap.h"
#include "v8/v8_meta.h"

#define V8_HEAP_MAX_DEPTH 32 /* cons and sliced strings followed */

struct v8_heap {
	uint32_t pid;
	const struct v8_meta *m;
	struct hashmap types; /* Map address -> instance type + 1, until v8_heap__forget_types */
	uint64_t reads;	      /* process_vm_readv calls */
	uint64_t faults;      /* ... that failed */
};

/* A reader of process pid's heap laid out as m describes (borrowed). */
void v8_heap__init(struct v8_heap *h, uint32_t pid, const struct v8_meta *m);

/* NULL-safe. */
void v8_heap__release(struct v8_heap *h);

/* Forget the Map types learned: a Map may move, and another object take its address. */
void v8_heap__forget_types(struct v8_heap *h);

/* Whether w is a tagged heap pointer in user space. */
bool v8_heap__is_object(uint64_t w);

/* len bytes of the object at tagged pointer obj from byte off: 0, or -EFAULT. */
int v8_heap__read(struct v8_heap *h, uint64_t obj, uint32_t off, void *buf, size_t len);

/* Many reads at once (one syscall): n (at most 64) objects' len bytes each from off into
 * bufs[i]; ok[i] says which succeeded. */
void v8_heap__read_many(struct v8_heap *h, const uint64_t *objs, size_t n, uint32_t off,
			void *const *bufs, size_t len, bool *ok);

/* The instance type of the object at obj, or -1 when it cannot be read. */
int v8_heap__type(struct v8_heap *h, uint64_t obj);

/* The instance type of objects whose map (their first word) is map, or -1: for a caller that
 * read the object's head already (one read less). */
int v8_heap__map_type(struct v8_heap *h, uint64_t map);

/* Whether type is a String's. */
bool v8_heap__is_string_type(const struct v8_heap *h, int type);

/* A String's length in characters, -1 when obj is none. */
int64_t v8_heap__string_length(struct v8_heap *h, uint64_t obj);

/* Characters [start, start + n) of String obj, in chunks: fn(ctx, chars, count, wide) per
 * chunk (wide: UTF-16 units, else one byte each) until it returns nonzero. 0, a nonzero
 * return of fn, or -EFAULT / -EINVAL (a string flamed cannot read: unknown representation,
 * deeper than V8_HEAP_MAX_DEPTH). */
int v8_heap__string_chars(struct v8_heap *h, uint64_t obj, uint64_t start, uint64_t n,
			  int (*fn)(void *ctx, const void *chars, size_t count, bool wide),
			  void *ctx);

/* At most max characters of String obj from start, as UTF-8 into out (sz bytes). 0 or -errno. */
int v8_heap__string_utf8(struct v8_heap *h, uint64_t obj, uint64_t start, size_t max, char *out,
			 size_t sz);

/* A Smi's value (m: its shift), and whether w is a Smi (not a heap pointer). */
int64_t v8_heap__smi(const struct v8_meta *m, uint64_t w);
bool v8_heap__is_smi(uint64_t w);

/* The bytes of the ByteArray at obj (its type checked), at most max: a new buffer the caller
 * frees, its length in *ret_len; NULL when obj is none, empty or longer than max. */
uint8_t *v8_heap__byte_array(struct v8_heap *h, uint64_t obj, size_t max, size_t *ret_len);

/* Up to max slots of the array at obj (FixedArray-shaped: a Smi length, then tagged words) into
 * out: how many, or -1. */
ssize_t v8_heap__slots(struct v8_heap *h, uint64_t obj, uint64_t *out, size_t max);

#endif /* FLAMED_V8_HEAP_H */
