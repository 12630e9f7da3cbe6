// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/range_alloc.h"

static int push(struct range **v, size_t *nr, size_t *cap, struct range r)
{
	if (*nr == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		struct range *tmp = reallocarray(*v, n, sizeof(**v));

		if (!tmp)
			return -ENOMEM;
		*v = tmp;
		*cap = n;
	}
	(*v)[(*nr)++] = r;
	return 0;
}

int range_alloc__init(struct range_alloc *ra, uint32_t cap)
{
	memset(ra, 0, sizeof(*ra));
	ra->cap = cap;
	return cap ? push(&ra->free, &ra->nr_free, &ra->cap_free,
			  (struct range){ .start = 0, .len = cap })
		   : 0;
}

int range_alloc__alloc(struct range_alloc *ra, uint32_t len, uint32_t *ret_start)
{
	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < ra->nr_free; i++) {
		struct range *r = &ra->free[i];

		if (r->len < len)
			continue;
		*ret_start = r->start;
		r->start += len;
		r->len -= len;
		if (!r->len) {
			memmove(r, r + 1, (ra->nr_free - i - 1) * sizeof(*r));
			ra->nr_free--;
		}
		ra->used += len;
		return 0;
	}
	return -ENOSPC;
}

int range_alloc__free(struct range_alloc *ra, uint32_t start, uint32_t len)
{
	if (!len)
		return 0;
	return push(&ra->quarantine, &ra->nr_quarantine, &ra->cap_quarantine,
		    (struct range){ .start = start, .len = len });
}

/* Insert r into the sorted free list, merging with its neighbours. */
static int insert_free(struct range_alloc *ra, struct range r)
{
	size_t i = 0;
	int err;

	while (i < ra->nr_free && ra->free[i].start < r.start)
		i++;
	if (i > 0 && ra->free[i - 1].start + ra->free[i - 1].len == r.start) {
		ra->free[i - 1].len += r.len;
		if (i < ra->nr_free && r.start + r.len == ra->free[i].start) {
			ra->free[i - 1].len += ra->free[i].len;
			memmove(&ra->free[i], &ra->free[i + 1],
				(ra->nr_free - i - 1) * sizeof(ra->free[0]));
			ra->nr_free--;
		}
		return 0;
	}
	if (i < ra->nr_free && r.start + r.len == ra->free[i].start) {
		ra->free[i].start = r.start;
		ra->free[i].len += r.len;
		return 0;
	}
	err = push(&ra->free, &ra->nr_free, &ra->cap_free, r); /* grow by one, then shift */
	if (err)
		return err;
	memmove(&ra->free[i + 1], &ra->free[i], (ra->nr_free - 1 - i) * sizeof(ra->free[0]));
	ra->free[i] = r;
	return 0;
}

int range_alloc__recycle(struct range_alloc *ra)
{
	size_t done = 0;
	int err = 0;

	for (; done < ra->nr_aged; done++) {
		err = insert_free(ra, ra->quarantine[done]);
		if (err)
			break;
		ra->used -= ra->quarantine[done].len;
	}
	if (done && ra->nr_quarantine > done)
		memmove(ra->quarantine, ra->quarantine + done,
			(ra->nr_quarantine - done) * sizeof(ra->quarantine[0]));
	ra->nr_quarantine -= done;
	/* what is left ages now; on ENOMEM the unrecycled aged ones simply wait longer */
	ra->nr_aged = ra->nr_quarantine;
	return err;
}

uint32_t range_alloc__largest(const struct range_alloc *ra)
{
	uint32_t best = 0;

	for (size_t i = 0; i < ra->nr_free; i++)
		if (ra->free[i].len > best)
			best = ra->free[i].len;
	return best;
}

void range_alloc__destroy(struct range_alloc *ra)
{
	if (!ra)
		return;
	free(ra->free);
	free(ra->quarantine);
	memset(ra, 0, sizeof(*ra));
}
