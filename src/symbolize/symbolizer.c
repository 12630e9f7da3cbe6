// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/elf_syms.h"
#include "symbolize/kallsyms.h"
#include "symbolize/symbolizer.h"
#include "util/hashmap.h"

struct symbolizer {
	char *kallsyms_path;
	struct kallsyms *ks;
	int ks_err;
	bool ks_tried;
	/* struct proc_file * -> struct elf_syms * (NULL value = not ELF). proc_file pointers are
	 * unique per (dev, inode) for the proc table's life, which outlives every lookup. */
	struct hashmap elves;
	struct symbolizer_stats stats;
};

struct symbolizer *symbolizer__new(const char *kallsyms_path)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kallsyms_path = strdup(kallsyms_path ? kallsyms_path : "/proc/kallsyms");
	if (!s->kallsyms_path) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&s->elves, hashmap_hash_int, hashmap_equal_int, NULL);
	return s;
}

static const struct elf_syms *elf_for(struct symbolizer *s, const struct proc_file *f)
{
	struct elf_syms *es;
	uintptr_t v;

	if (!f || f->fd < 0)
		return NULL;
	if (hashmap__find(&s->elves, (uintptr_t)f, &v))
		return (const struct elf_syms *)v;
	es = elf_syms__open_fd(f->fd);
	if (es) {
		s->stats.elf_parsed++;
		s->stats.elf_bytes += elf_syms__mem_bytes(es);
	} else {
		s->stats.elf_failed++;
	}
	if (hashmap__set(&s->elves, (uintptr_t)f, (uintptr_t)es)) {
		elf_syms__free(es);
		return NULL;
	}
	return es;
}

int symbolizer__user(struct symbolizer *s, const struct proc_map *m, const struct proc_file *f,
		     uint64_t addr, struct sym_user *res)
{
	const struct elf_syms *es = elf_for(s, f);
	uint64_t off = addr - m->start + m->pgoff;

	memset(res, 0, sizeof(*res));
	s->stats.user_lookups++;
	if (!es) {
		s->stats.user_misses++;
		return -ENOENT;
	}
	res->build_id = elf_syms__build_id(es);
	if (elf_syms__offset_to_vaddr(es, off, &res->vaddr)) {
		s->stats.user_misses++;
		return -ENOENT;
	}
	res->name = elf_syms__lookup(es, res->vaddr, &res->offset);
	if (!res->name) {
		s->stats.user_misses++;
		return -ENOENT;
	}
	return 0;
}

int symbolizer__load_bias(struct symbolizer *s, const struct proc_map *m, const struct proc_file *f,
			  uint64_t *ret_bias)
{
	const struct elf_syms *es = elf_for(s, f);

	if (!es)
		return -ENOENT;
	return elf_syms__load_bias(es, m->start, m->end, m->pgoff, m->prot_exec, ret_bias);
}

const char *symbolizer__build_id(struct symbolizer *s, const struct proc_file *f)
{
	const struct elf_syms *es = elf_for(s, f);

	return es ? elf_syms__build_id(es) : NULL;
}

const char *symbolizer__kernel(struct symbolizer *s, uint64_t addr, const char **ret_module)
{
	const char *name;

	if (!s->ks_tried) {
		s->ks_tried = true;
		s->ks = kallsyms__load(s->kallsyms_path);
		s->ks_err = s->ks ? 0 : -errno;
	}
	s->stats.kernel_lookups++;
	name = s->ks ? kallsyms__lookup(s->ks, addr, NULL, ret_module) : NULL;
	if (!name)
		s->stats.kernel_misses++;
	return name;
}

int symbolizer__kernel_error(const struct symbolizer *s)
{
	return s->ks_err;
}

struct symbolizer_stats symbolizer__stats(const struct symbolizer *s)
{
	return s->stats;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	hashmap__for_each (&s->elves, e)
		elf_syms__free((struct elf_syms *)e->value);
	hashmap__clear(&s->elves);
	kallsyms__free(s->ks);
	free(s->kallsyms_path);
	free(s);
}
