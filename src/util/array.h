/* SPDX-License-Identifier: MIT */
/* Growing a heap array by doubling. */
#ifndef FLAMED_UTIL_ARRAY_H
#define FLAMED_UTIL_ARRAY_H

#include <stddef.h>

/* Make room for need elements of elem bytes in *arr (capacity *cap, both updated): the capacity
 * doubles from 16 until it holds need. 0, or -ENOMEM (an overflowing size, or no memory) with
 * *arr and *cap as they were. */
int array_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* array_grow for an lvalue array pointer and its capacity. */
#define ARRAY_GROW(arr, cap, need) array_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif /* FLAMED_UTIL_ARRAY_H */
