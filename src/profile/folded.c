// SPDX-License-Identifier: MIT
/* Folded stacks (stackcollapse format): identical stacks aggregated, lines sorted so the output is
 * deterministic and diffable. The differential form walks a base profile into a second count. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile_internal.h"

struct folded {
	struct hashmap index; /* line text (owned, in keys) -> slot in counts */
	char **keys;
	int64_t *counts;
	int64_t *base; /* differential: counts of the base profile, NULL otherwise */
	size_t nr, cap_keys, cap_counts, cap_base;
	bool to_base; /* the walk adds to base */
	char *buf;    /* the line being built */
	size_t len, cap;
};

static int buf_put(struct folded *f, const char *s, size_t n)
{
	int err;

	if (n > SIZE_MAX - f->len - 1)
		return -ENOMEM;
	err = array_grow((void **)&f->buf, &f->cap, f->len + n + 1, 1);
	if (err)
		return err;
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	f->buf[f->len] = '\0';
	return 0;
}

/* A frame name made safe for the format: ';' separates frames, and a line break would split the
 * line, so both are replaced. */
static int put_name(struct folded *f, const char *name)
{
	size_t start = f->len, n = strlen(name);
	int err;

	err = buf_put(f, name, n);
	if (err)
		return err;
	for (size_t i = start; i < f->len; i++) {
		if (f->buf[i] == ';')
			f->buf[i] = ':';
		else if (f->buf[i] == '\n' || f->buf[i] == '\r')
			f->buf[i] = ' ';
	}
	return 0;
}

static const char *kind_suffix(const struct profile_frame *fr)
{
	switch (fr->kind) {
	case PROFILE_FRAME_KERNEL:
		return "_[k]";
	case PROFILE_FRAME_INLINED:
		return "_[i]";
	case PROFILE_FRAME_JIT:
		return "_[j]";
	case PROFILE_FRAME_RUNTIME:
		return fr->runtime ? fr->runtime->suffix : "";
	default:
		return "";
	}
}

static int fold_stack(const struct profile_frame *frames, size_t nr_frames, int64_t value,
		      const struct profile_label *labels, size_t nr_labels, void *ctx)
{
	struct folded *f = ctx;
	uintptr_t slot;
	char *key;
	int err = 0;

	(void)labels;
	(void)nr_labels;
	if (!nr_frames)
		return 0; /* nothing to draw; a bare " COUNT" line would confuse readers */
	f->len = 0;
	err = buf_put(f, "", 0);
	for (size_t i = 0; i < nr_frames && !err; i++) {
		const char *suffix = kind_suffix(&frames[i]);

		if (i)
			err = buf_put(f, ";", 1);
		if (!err)
			err = put_name(f, frames[i].name);
		if (!err)
			err = buf_put(f, suffix, strlen(suffix));
	}
	if (err)
		return err;
	if (hashmap__find(&f->index, (uintptr_t)f->buf, &slot)) {
		int64_t *c = f->to_base ? &f->base[slot] : &f->counts[slot];

		*c = (int64_t)((uint64_t)*c + (uint64_t)value);
		return 0;
	}
	err = array_grow((void **)&f->keys, &f->cap_keys, f->nr + 1, sizeof(*f->keys));
	if (!err)
		err = array_grow((void **)&f->counts, &f->cap_counts, f->nr + 1,
				 sizeof(*f->counts));
	if (!err && f->base)
		err = array_grow((void **)&f->base, &f->cap_base, f->nr + 1, sizeof(*f->base));
	if (err)
		return err;
	key = strdup(f->buf);
	if (!key)
		return -ENOMEM;
	err = hashmap__set(&f->index, (uintptr_t)key, f->nr);
	if (err) {
		free(key);
		return err;
	}
	f->keys[f->nr] = key;
	f->counts[f->nr] = f->to_base ? 0 : value;
	if (f->base)
		f->base[f->nr] = f->to_base ? value : 0;
	f->nr++;
	return 0;
}

static int cmp_slots(const void *a, const void *b, void *ctx)
{
	char **keys = ctx;

	return strcmp(keys[*(const size_t *)a], keys[*(const size_t *)b]);
}

/* Folded stacks of p, or with base the two-count differential form. */
static int write_folded(const struct profile *base, size_t base_idx, const struct profile *p,
			size_t value_idx, FILE *out)
{
	struct folded f = { 0 };
	size_t *order = NULL;
	int err;

	if (!p || !out)
		return -EINVAL;
	hashmap__init(&f.index, hashmap_hash_str, hashmap_equal_str, NULL);
	if (base) {
		/* allocated up front so fold_stack knows to keep both columns */
		err = array_grow((void **)&f.base, &f.cap_base, 16, sizeof(*f.base));
		if (err)
			goto cleanup;
	}
	err = profile__for_each_stack(p, value_idx, true, fold_stack, &f);
	if (err)
		goto cleanup;
	if (base) {
		f.to_base = true;
		err = profile__for_each_stack(base, base_idx, true, fold_stack, &f);
		if (err)
			goto cleanup;
	}
	if (f.nr) {
		order = calloc(f.nr, sizeof(*order));
		if (!order) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (size_t i = 0; i < f.nr; i++)
		order[i] = i;
	if (f.nr)
		qsort_r(order, f.nr, sizeof(*order), cmp_slots, f.keys);
	for (size_t i = 0; i < f.nr; i++) {
		size_t s = order[i];
		int n;

		if (!f.counts[s] && (!base || !f.base[s]))
			continue;
		if (base)
			n = fprintf(out, "%s %" PRId64 " %" PRId64 "\n", f.keys[s], f.base[s],
				    f.counts[s]);
		else
			n = fprintf(out, "%s %" PRId64 "\n", f.keys[s], f.counts[s]);
		if (n < 0) {
			err = -EIO;
			goto cleanup;
		}
	}
	if (fflush(out) || ferror(out))
		err = -EIO;

cleanup:
	for (size_t i = 0; i < f.nr; i++)
		free(f.keys[i]);
	free(f.keys);
	free(f.counts);
	free(f.base);
	free(f.buf);
	free(order);
	hashmap__clear(&f.index);
	return err;
}

int profile__write_folded(const struct profile *p, size_t value_idx, FILE *out)
{
	return write_folded(NULL, 0, p, value_idx, out);
}

int profile__write_folded_diff(const struct profile *base, size_t base_idx, const struct profile *p,
			       size_t value_idx, FILE *out)
{
	if (!base)
		return -EINVAL;
	return write_folded(base, base_idx, p, value_idx, out);
}
