// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/knames.h"
#include "util/hashmap.h"

/* Answers kept, misses included. A whole-host profile holds a few hundred to a few thousand
 * distinct kernel addresses; a daemon meets more over days, so past this the cache starts over
 * (a fresh answer costs one run of the program). 16k entries of ~60 bytes: ~1 MiB at most. */
#define KNAMES_CACHE_MAX 16384

/* One answer in one block: the name and the module, each NUL-terminated (module "" for the core
 * kernel); a miss (no symbol at the address) is cached too, with found false. */
struct kname {
	size_t module_off; /* of the module in text */
	bool found;
	char text[];
};

struct knames {
	knames_ask_fn ask; /* the kernel's lookup (src/bpf/knames_prog.h in flamed) */
	void *ask_ctx;
	struct hashmap cache; /* kernel address -> struct kname * */
	struct knames_stats stats;
};

int knames__parse(const char *text, size_t len, size_t *name_len, const char **module,
		  size_t *module_len)
{
	size_t end = len, slash, plus;

	*module = NULL;
	*module_len = 0;
	if (len >= 2 && text[0] == '0' && text[1] == 'x')
		return -ENOENT; /* printk prints the bare address when no symbol covers it */
	if (end && text[end - 1] == ']') {
		size_t open = end - 1;

		while (open > 0 && text[open] != '[')
			open--;
		if (open < 2 || text[open] != '[' || text[open - 1] != ' ' || open + 1 == end - 1)
			return -EINVAL;
		*module = text + open + 1;
		*module_len = end - 1 - (open + 1);
		end = open - 1;
	}
	/* "name+0x<off>/0x<size>", read from the end: kernel names hold no '/', but may hold '+'
	 * (the last '+' before the '/' starts the offset) */
	slash = end;
	while (slash > 0 && text[slash - 1] != '/')
		slash--;
	if (!slash || end - slash < 3 || text[slash] != '0' || text[slash + 1] != 'x')
		return -EINVAL;
	plus = slash - 1;
	while (plus > 0 && text[plus] != '+')
		plus--;
	if (!plus || slash - 1 - plus < 3 || text[plus + 1] != '0' || text[plus + 2] != 'x')
		return -EINVAL;
	for (const char *c = text; c < text + plus; c++)
		if (*c == '\0' || *c == '\n')
			return -EINVAL;
	for (const char *c = *module; c && c < *module + *module_len; c++)
		if (*c == '\0' || *c == '\n' || *c == ' ' || *c == '[' || *c == ']')
			return -EINVAL;
	*name_len = plus;
	return 0;
}

struct knames *knames__new(knames_ask_fn ask, void *ctx)
{
	struct knames *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->ask = ask;
	k->ask_ctx = ctx;
	hashmap__init(&k->cache, hashmap_hash_int, hashmap_equal_int, NULL);
	return k;
}

static void cache_reset(struct knames *k)
{
	hashmap__for_each (&k->cache, e)
		free((void *)e->value);
	hashmap__clear(&k->cache);
}

/* Ask the kernel; a new entry, or NULL with errno: EIO when only this address's answer is
 * unusable, another errno when the program did not run. */
static struct kname *ask(struct knames *k, uint64_t addr)
{
	const char *text = NULL, *module;
	size_t len = 0, name_len, module_len;
	struct kname *kn;
	int err;

	k->stats.runs++;
	err = k->ask(k->ask_ctx, addr, &text, &len);
	if (err) { /* the run failed, or (-EIO) only this answer is unusable */
		k->stats.failed++;
		errno = -err;
		return NULL;
	}
	err = knames__parse(text, len, &name_len, &module, &module_len);
	if (err == -EINVAL) {
		k->stats.failed++;
		errno = EIO;
		return NULL;
	}
	kn = malloc(sizeof(*kn) + (err ? 1 : name_len + 1 + module_len + 1));
	if (!kn)
		return NULL;
	kn->found = !err;
	kn->module_off = 0;
	kn->text[0] = '\0';
	if (err) {
		k->stats.no_symbol++;
		return kn;
	}
	memcpy(kn->text, text, name_len);
	kn->text[name_len] = '\0';
	kn->module_off = name_len + 1;
	memcpy(kn->text + kn->module_off, module ? module : "", module_len);
	kn->text[kn->module_off + module_len] = '\0';
	return kn;
}

int knames__lookup(struct knames *k, uint64_t addr, const char **ret_name, const char **ret_module)
{
	struct kname *kn = NULL;
	uintptr_t v;

	*ret_name = *ret_module = NULL;
	if (hashmap__find(&k->cache, addr, &v)) {
		kn = (struct kname *)v;
		k->stats.cache_hits++;
	} else {
		kn = ask(k, addr);
		if (!kn)
			return -errno;
		if (k->cache.len >= KNAMES_CACHE_MAX)
			cache_reset(k);
		if (hashmap__set(&k->cache, addr, (uintptr_t)kn)) {
			/* not cached: answer from a one-entry cache so the result stays borrowed */
			cache_reset(k);
			if (hashmap__set(&k->cache, addr, (uintptr_t)kn)) {
				free(kn);
				return -ENOMEM;
			}
		}
	}
	if (!kn->found)
		return 0;
	*ret_name = kn->text;
	*ret_module = kn->text[kn->module_off] ? kn->text + kn->module_off : NULL;
	return 1;
}

struct knames_stats knames__stats(const struct knames *k)
{
	return k ? k->stats : (struct knames_stats){ 0 };
}

void knames__free(struct knames *k)
{
	if (!k)
		return;
	cache_reset(k);
	free(k);
}
