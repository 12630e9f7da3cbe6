// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "symbolize/elf_syms.h"
#include "symbolize/kallsyms.h"
#include "symbolize/symbolizer.h"
#include "util/hashmap.h"

/* A mapped file's symbols, and those of its separate debug file when one is installed
 * (Debian's -dbgsym packages, libc6-dbg): the debug file's .symtab names the static functions the
 * stripped binary only has addresses for. */
struct elf_pair {
	struct elf_syms *es;	 /* the file itself: .dynsym (+ .symtab) */
	struct elf_syms *dbg;	 /* /usr/lib/debug/.build-id/xx/yyyy.debug, or NULL */
	struct elf_funcs *funcs; /* .eh_frame function ranges, read on the first unnamed address */
	bool funcs_tried;
	const struct proc_file *key;
	size_t bytes;		      /* memory of es + dbg + funcs */
	struct elf_pair *prev, *next; /* LRU, most recently used first */
};

struct symbolizer {
	char *kallsyms_path;
	char *debug_dir;
	struct kallsyms *ks;
	int ks_err;
	bool ks_tried;
	/* struct proc_file * -> struct elf_pair * (es NULL = not ELF). proc_file pointers are
	 * unique per (dev, inode) for the proc table's life, which outlives every lookup. */
	struct hashmap elves;
	struct elf_pair *lru_head, *lru_tail;
	size_t budget; /* bytes of parsed tables kept; least recently used evicted beyond */
	struct symbolizer_stats stats;
};

static void lru_unlink(struct symbolizer *s, struct elf_pair *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		s->lru_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		s->lru_tail = p->prev;
	p->prev = p->next = NULL;
}

static void lru_push(struct symbolizer *s, struct elf_pair *p)
{
	p->prev = NULL;
	p->next = s->lru_head;
	if (s->lru_head)
		s->lru_head->prev = p;
	s->lru_head = p;
	if (!s->lru_tail)
		s->lru_tail = p;
}

static void pair_free(struct elf_pair *p)
{
	elf_syms__free(p->es);
	elf_syms__free(p->dbg);
	elf_funcs__free(p->funcs);
	free(p);
}

/* Evict least recently used tables until the cache fits its budget, keeping keep (the one just
 * parsed, even if alone it is over). */
static void trim(struct symbolizer *s, const struct elf_pair *keep)
{
	while (s->stats.cache_bytes > s->budget && s->lru_tail && s->lru_tail != keep) {
		struct elf_pair *p = s->lru_tail;

		lru_unlink(s, p);
		hashmap__delete(&s->elves, (uintptr_t)p->key, NULL);
		s->stats.cache_bytes -= p->bytes;
		s->stats.evicted++;
		pair_free(p);
	}
}

struct symbolizer *symbolizer__new(const char *kallsyms_path)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	const char *dbg = getenv("FLAMED_DEBUG_DIR");

	if (!s)
		return NULL;
	s->kallsyms_path = strdup(kallsyms_path ? kallsyms_path : "/proc/kallsyms");
	s->debug_dir = strdup(dbg && *dbg ? dbg : "/usr/lib/debug");
	if (!s->kallsyms_path || !s->debug_dir) {
		symbolizer__free(s);
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&s->elves, hashmap_hash_int, hashmap_equal_int, NULL);
	s->budget = SYMBOLIZER_CACHE_BYTES;
	return s;
}

/* The separate debug file of es by build-id, if installed and it has symbols. */
static struct elf_syms *debug_file_for(struct symbolizer *s, const struct elf_syms *es)
{
	const char *bid = elf_syms__build_id(es);
	struct elf_syms *dbg;
	char path[4096];

	if (!bid || strlen(bid) < 3)
		return NULL;
	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", s->debug_dir, bid, bid + 2);
	dbg = elf_syms__open_path(path);
	if (dbg && (!elf_syms__build_id(dbg) || strcmp(elf_syms__build_id(dbg), bid) != 0)) {
		elf_syms__free(dbg); /* a stale or foreign file under that name */
		return NULL;
	}
	if (dbg && !elf_syms__count(dbg)) {
		elf_syms__free(dbg);
		return NULL;
	}
	return dbg;
}

static struct elf_pair *elf_for(struct symbolizer *s, const struct proc_file *f)
{
	struct elf_pair *pair;
	uintptr_t v;
	int fd;

	if (!f)
		return NULL;
	if (hashmap__find(&s->elves, (uintptr_t)f, &v)) {
		pair = (struct elf_pair *)v;
		s->stats.cache_hits++;
		lru_unlink(s, pair);
		lru_push(s, pair);
		return pair;
	}
	s->stats.cache_misses++;
	/* parsed once, so the fd is needed only now; the table may have closed it (fd budget) */
	fd = proc_file__hold(f);
	if (fd < 0)
		return NULL; /* could not be opened (again): counted by the proc table */
	pair = calloc(1, sizeof(*pair));
	if (!pair) {
		proc_file__release(f);
		return NULL;
	}
	pair->es = elf_syms__open_fd(fd);
	proc_file__release(f);
	if (pair->es) {
		s->stats.elf_parsed++;
		pair->dbg = debug_file_for(s, pair->es);
		s->stats.debug_files += pair->dbg != NULL;
		s->stats.elf_bytes +=
			elf_syms__mem_bytes(pair->es) + elf_syms__mem_bytes(pair->dbg);
	} else {
		s->stats.elf_failed++;
	}
	pair->key = f;
	pair->bytes =
		elf_syms__mem_bytes(pair->es) + elf_syms__mem_bytes(pair->dbg) + sizeof(*pair);
	if (hashmap__set(&s->elves, (uintptr_t)f, (uintptr_t)pair)) {
		pair_free(pair);
		return NULL;
	}
	lru_push(s, pair);
	s->stats.cache_bytes += pair->bytes;
	if (s->stats.cache_bytes > s->stats.cache_peak)
		s->stats.cache_peak = s->stats.cache_bytes;
	trim(s, pair);
	return pair;
}

/* Function ranges of pair's file from its .eh_frame, read once (a stripped file: the functions
 * its symbol tables do not name). NULL when it has none or cannot be read. */
static const struct elf_funcs *funcs_for(struct symbolizer *s, struct elf_pair *pair,
					 const struct proc_file *f)
{
	size_t bytes;
	int fd;

	if (pair->funcs_tried)
		return pair->funcs;
	pair->funcs_tried = true;
	fd = proc_file__hold(f);
	if (fd < 0)
		return NULL;
	pair->funcs = elf_funcs__open_fd(fd);
	proc_file__release(f);
	if (!pair->funcs)
		return NULL;
	bytes = elf_funcs__mem_bytes(pair->funcs);
	s->stats.funcs_parsed++;
	s->stats.elf_bytes += bytes;
	pair->bytes += bytes;
	s->stats.cache_bytes += bytes;
	if (s->stats.cache_bytes > s->stats.cache_peak)
		s->stats.cache_peak = s->stats.cache_bytes;
	trim(s, pair);
	return pair->funcs;
}

int symbolizer__user(struct symbolizer *s, const struct proc_map *m, const struct proc_file *f,
		     uint64_t addr, struct sym_user *res)
{
	struct elf_pair *pair = elf_for(s, f);
	const struct elf_file *ef = proc_file__elf(f);
	uint64_t off = addr - m->start + m->pgoff;

	memset(res, 0, sizeof(*res));
	s->stats.user_lookups++;
	res->build_id = elf_file__build_id(ef);
	/* the file's own segments place the address: a debug file's may have no file bytes */
	if (!ef || elf_file__offset_to_vaddr(ef, off, &res->vaddr) || !pair || !pair->es) {
		s->stats.user_misses++;
		return -ENOENT;
	}
	if (pair->dbg)
		res->name = elf_syms__lookup(pair->dbg, res->vaddr, &res->offset);
	if (!res->name)
		res->name = elf_syms__lookup(pair->es, res->vaddr, &res->offset);
	if (res->name)
		return 0;
	/* no symbol covers it: the function around it, by its .eh_frame FDE */
	if (!elf_funcs__lookup(funcs_for(s, pair, f), res->vaddr, &res->func_start)) {
		res->offset = res->vaddr - res->func_start;
		s->stats.user_synthetic++;
	} else {
		s->stats.user_misses++;
	}
	return -ENOENT;
}

const char *symbolizer__build_id(struct symbolizer *s, const struct proc_file *f)
{
	(void)s;
	return elf_file__build_id(proc_file__elf(f));
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

void symbolizer__set_cache_budget(struct symbolizer *s, size_t bytes)
{
	s->budget = bytes;
	trim(s, NULL);
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
		pair_free((struct elf_pair *)e->value);
	hashmap__clear(&s->elves);
	kallsyms__free(s->ks);
	free(s->kallsyms_path);
	free(s->debug_dir);
	free(s);
}
