// SPDX-License-Identifier: MIT
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "symbolize/debuginfod_fetch.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/elf_syms.h"
#include "symbolize/fault_guard.h"
#include "symbolize/kallsyms.h"
#include "symbolize/knames.h"
#include "symbolize/symbolizer.h"
#include "util/hashmap.h"
#include "util/log.h"

/* A mapped file's symbols, and those of its separate debug file when one is installed
 * (Debian's -dbgsym packages, libc6-dbg): the debug file's .symtab names the static functions the
 * stripped binary only has addresses for. */
struct elf_pair {
	struct elf_syms *es;	 /* the file itself: .dynsym (+ .symtab) */
	struct elf_syms *dbg;	 /* /usr/lib/debug/.build-id/xx/yyyy.debug, or NULL */
	struct elf_funcs *funcs; /* .eh_frame function ranges, read on the first unnamed address */
	bool funcs_tried;
	const struct proc_file *key;
	/* DWARF, opened on the first frame lookup; WAITING: a debuginfod download is pending */
	enum { DW_UNTRIED, DW_OPEN, DW_WAITING } dw_state;
	struct dwarf_lines *dw;
	struct hashmap frames; /* ELF vaddr -> struct frames_blob *: each address resolved once */
	size_t blob_bytes;     /* frames cached */
	size_t dw_open_bytes;  /* what the DWARF took when opened (inflated sections...) */
	size_t dw_bytes;       /* DWARF estimate + blob_bytes, included in bytes */
	size_t bytes;	       /* memory of es + dbg + funcs + dw_bytes */
	uint64_t epoch;	       /* the symbolizer's epoch when last used */
	struct elf_pair *prev, *next; /* LRU, most recently used first */
};

/* An address's frames as cached: names and files borrowed from the pair's tables. */
struct frames_blob {
	size_t nr;
	struct sym_frame f[];
};

struct symbolizer {
	char *kallsyms_path;
	char *debug_dir;
	char *flamed_debug_dir; /* $FLAMED_DEBUG_DIR or NULL */
	struct dfetch *fetch;	/* debuginfod, or NULL when off */
	struct dwarf_frame scratch[SYM_MAX_FRAMES];
	struct sym_frame out[SYM_MAX_FRAMES]; /* frames answered without a cache entry */
	struct knames *kn; /* the kernel's own lookup, when loaded; else (and on its errors) ks */
	struct kallsyms *ks;
	int ks_err;
	bool ks_tried;
	/* struct proc_file * -> struct elf_pair * (es NULL = not ELF). proc_file pointers are
	 * unique per (dev, inode) for the proc table's life, which outlives every lookup. */
	struct hashmap elves;
	struct elf_pair *lru_head, *lru_tail;
	size_t budget;	/* bytes of parsed tables kept; least recently used evicted beyond */
	uint64_t epoch; /* bumped after each build (symbolizer__release_pages) */
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

static void pair_drop_dwarf(struct elf_pair *p)
{
	hashmap__for_each (&p->frames, e)
		free((void *)e->value);
	hashmap__clear(&p->frames);
	p->blob_bytes = 0;
	dwarf_lines__free(p->dw);
	p->dw = NULL;
}

static void pair_free(struct elf_pair *p)
{
	pair_drop_dwarf(p);
	elf_syms__free(p->es);
	elf_syms__free(p->dbg);
	elf_funcs__free(p->funcs);
	free(p);
}

/* Evict least recently used tables until the cache fits its budget, keeping keep (the one just
 * parsed, even if alone it is over). Files used since the last build ended are kept up to the
 * slack over the budget: a build meets the same files in stack after stack (libc, the
 * interpreter), and LRU over a cyclic working set larger than the budget evicts each one just
 * before it is needed again, so every stack re-parsed symbol tables and re-inflated DWARF. */
static void trim(struct symbolizer *s, const struct elf_pair *keep)
{
	size_t freed = 0;

	while (s->stats.cache_bytes > s->budget && s->lru_tail && s->lru_tail != keep) {
		struct elf_pair *p = s->lru_tail;

		if (p->epoch == s->epoch &&
		    s->stats.cache_bytes <= s->budget + s->budget / SYMBOLIZER_SLACK_DIV)
			break; /* LRU order: every file before it was used in this build too */
		lru_unlink(s, p);
		hashmap__delete(&s->elves, (uintptr_t)p->key, NULL);
		s->stats.cache_bytes -= p->bytes;
		s->stats.dwarf_bytes -= p->dw_bytes;
		s->stats.evicted++;
		freed += p->bytes;
		pair_free(p);
	}
	/* libdw's tables are many small blocks: give the heap pages they leave back now */
	if (freed >= (1u << 20))
		malloc_trim(0);
}

struct symbolizer *symbolizer__new(const char *kallsyms_path)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	const char *dbg = getenv("FLAMED_DEBUG_DIR");

	if (!s)
		return NULL;
	s->kallsyms_path = strdup(kallsyms_path ? kallsyms_path : "/proc/kallsyms");
	s->debug_dir = strdup(dbg && *dbg ? dbg : "/usr/lib/debug");
	s->flamed_debug_dir = dbg && *dbg ? strdup(dbg) : NULL;
	if (!s->kallsyms_path || !s->debug_dir || (dbg && *dbg && !s->flamed_debug_dir)) {
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
		pair->epoch = s->epoch;
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
	hashmap__init(&pair->frames, hashmap_hash_int, hashmap_equal_int, NULL);
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
	pair->epoch = s->epoch;
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

static int user_lookup(struct symbolizer *s, struct elf_pair *pair, const struct proc_map *m,
		       const struct proc_file *f, uint64_t addr, struct sym_user *res)
{
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

int symbolizer__user(struct symbolizer *s, const struct proc_map *m, const struct proc_file *f,
		     uint64_t addr, struct sym_user *res)
{
	return user_lookup(s, elf_for(s, f), m, f, addr, res);
}

/* Re-count a pair's DWARF memory after it grew (or was dropped). */
static void recount_dwarf(struct symbolizer *s, struct elf_pair *pair)
{
	size_t now = dwarf_lines__mem_bytes(pair->dw) + pair->blob_bytes;

	s->stats.cache_bytes = s->stats.cache_bytes - pair->dw_bytes + now;
	s->stats.dwarf_bytes = s->stats.dwarf_bytes - pair->dw_bytes + now;
	pair->bytes = pair->bytes - pair->dw_bytes + now;
	pair->dw_bytes = now;
	if (s->stats.cache_bytes > s->stats.cache_peak)
		s->stats.cache_peak = s->stats.cache_bytes;
}

/* ... and evict others if over. */
static void account_dwarf(struct symbolizer *s, struct elf_pair *pair)
{
	recount_dwarf(s, pair);
	trim(s, pair);
}

/* Whether the pair's DWARF grew past limit through the units it touched (not what opening took:
 * starting over would take as much again): then it starts over, keeping what is used from then
 * on. */
static bool dwarf_overgrown(const struct elf_pair *pair, size_t limit)
{
	return pair->dw_state == DW_OPEN && pair->dw_bytes > limit &&
	       pair->dw_bytes > 2 * pair->dw_open_bytes;
}

static void restart_dwarf(struct symbolizer *s, struct elf_pair *pair)
{
	pair_drop_dwarf(pair);
	pair->dw_state = DW_UNTRIED;
	recount_dwarf(s, pair);
	s->stats.dwarf_restarted++;
}

static void open_dwarf(struct symbolizer *s, struct elf_pair *pair, uint32_t tgid,
		       const struct proc_file *f, const char *given)
{
	struct dwarf_search where = {
		.tgid = tgid,
		.path = f->path,
		.debug_dir = s->flamed_debug_dir,
		.host_debug = "/usr/lib/debug",
		.given = given,
		/* a file's inflated DWARF may take half the budget, as its tables may */
		.max_inflate = s->budget / 2,
	};
	int fd = proc_file__hold(f);

	pair_drop_dwarf(pair);
	pair->dw = dwarf_lines__open(fd, &where);
	pair->dw_open_bytes = dwarf_lines__mem_bytes(pair->dw);
	if (fd >= 0)
		proc_file__release(f);
	s->stats.dwarf_opened++;
	s->stats.dwarf_found += dwarf_lines__source(pair->dw) != DWARF_NONE;
	s->stats.dwarf_by_source[dwarf_lines__source(pair->dw)]++;
	s->stats.dwarf_too_big += dwarf_lines__too_big(pair->dw);
	if (dwarf_lines__source(pair->dw) != DWARF_NONE)
		log_debug("DWARF of %s: %s", f->path ? f->path : "?",
			  dwarf_source__name(dwarf_lines__source(pair->dw)));
	pair->dw_state = DW_OPEN;
}

/* The pair's DWARF (NULL-free object: it may have none), opening it or picking up a finished
 * debuginfod download; NULL while one is pending. */
static struct dwarf_lines *dwarf_for(struct symbolizer *s, struct elf_pair *pair, uint32_t tgid,
				     const struct proc_file *f)
{
	const char *bid = elf_syms__build_id(pair->es);
	char path[4096];
	int ret;

	if (pair->dw_state == DW_OPEN)
		return pair->dw;
	if (pair->dw_state == DW_UNTRIED) {
		open_dwarf(s, pair, tgid, f, NULL);
		if (!s->fetch || !bid || dwarf_lines__source(pair->dw) != DWARF_NONE)
			goto out;
	}
	/* nothing local: debuginfod, without waiting */
	ret = dfetch__get(s->fetch, bid, path, sizeof(path));
	if (ret == -EAGAIN) {
		pair->dw_state = DW_WAITING;
		goto out;
	}
	if (ret == 0)
		open_dwarf(s, pair, tgid, f, path);
	pair->dw_state = DW_OPEN;
out:
	account_dwarf(s, pair);
	return pair->dw_state == DW_OPEN ? pair->dw : NULL;
}

int symbolizer__frames(struct symbolizer *s, uint32_t tgid, const struct proc_map *m,
		       const struct proc_file *f, uint64_t addr, struct sym_user *res,
		       const struct sym_frame **ret_frames, size_t *ret_nr)
{
	struct elf_pair *pair = (struct elf_pair *)elf_for(s, f);
	struct frames_blob *blob;
	struct dwarf_lines *dw;
	const char *name;
	size_t n, cost;
	uintptr_t v;
	int err;

	*ret_frames = NULL;
	*ret_nr = 0;
	err = user_lookup(s, pair, m, f, addr, res);
	if (!pair || !pair->es || !res->vaddr)
		return err;
	/* one file's DWARF grew past the whole budget within a build (every unit of a huge library
	 * touched): start it over. Past half the budget waits for the end of the build
	 * (symbolizer__release_pages): a build touches the same units stack after stack, and
	 * starting over in the middle re-read them all (16 times in one build of a CPython
	 * process). Here, not when it grew: the frames of the last call borrow its strings until
	 * this one. */
	if (dwarf_overgrown(pair, s->budget)) {
		restart_dwarf(s, pair);
		trim(s, pair);
	}
	dw = dwarf_for(s, pair, tgid, f);
	s->stats.frame_lookups++;
	if (dw && hashmap__find(&pair->frames, res->vaddr, &v)) {
		blob = (struct frames_blob *)v;
		s->stats.frame_hits++;
		goto done;
	}
	n = dwarf_lines__lookup(dw ? dw : pair->dw, res->vaddr, s->scratch, SYM_MAX_FRAMES);
	for (size_t i = 0; i < n; i++)
		s->out[i] = (struct sym_frame){
			.name = s->scratch[i].name,
			.file = s->scratch[i].file,
			.line = s->scratch[i].line,
			.decl_file = s->scratch[i].decl_file,
			.decl_line = s->scratch[i].decl_line,
			.inlined = s->scratch[i].inlined,
		};
	/* the physical function keeps its ELF name (".cold" parts, clones), when there is one */
	name = res->name ? res->name : dwarf_lines__symbol(pair->dw, res->vaddr);
	if (!n && name)
		s->out[n++] = (struct sym_frame){ .name = name };
	else if (n && name)
		s->out[n - 1].name = name;
	for (size_t i = 0; i + 1 < n; i++)
		s->stats.inline_frames += s->out[i].inlined;
	if (!dw) { /* a download pending: not cached, a later window asks again */
		*ret_frames = s->out;
		*ret_nr = n;
		goto named;
	}
	cost = sizeof(*blob) + n * sizeof(blob->f[0]);
	blob = malloc(cost);
	if (!blob || hashmap__set(&pair->frames, res->vaddr, (uintptr_t)blob)) {
		free(blob);
		*ret_frames = s->out;
		*ret_nr = n;
		goto named;
	}
	blob->nr = n;
	memcpy(blob->f, s->out, n * sizeof(blob->f[0]));
	/* the frames, plus the map's slot (key, value, hash) */
	pair->blob_bytes += cost + 3 * sizeof(uintptr_t);
	account_dwarf(s, pair);
done:
	*ret_frames = blob->f;
	*ret_nr = blob->nr;
named:
	if (!res->name && *ret_nr && (*ret_frames)[*ret_nr - 1].name) {
		res->name = (*ret_frames)[*ret_nr - 1].name;
		/* counted by user_lookup, named after all */
		if (res->func_start)
			s->stats.user_synthetic--;
		else
			s->stats.user_misses--;
		res->func_start = 0;
		err = 0;
	}
	return err;
}

void symbolizer__release_pages(struct symbolizer *s)
{
	bool restarted = false;

	for (struct elf_pair *p = s->lru_head; p; p = p->next) {
		dwarf_lines__release_pages(p->dw);
		if (dwarf_overgrown(p, s->budget / 2)) {
			restart_dwarf(s, p);
			restarted = true;
		}
	}
	if (restarted)
		malloc_trim(0); /* as trim does after evicting */
	/* what the build kept over the budget goes now */
	s->epoch++;
	trim(s, NULL);
}

bool symbolizer__has_lines(struct symbolizer *s, uint32_t tgid, const struct proc_file *f)
{
	struct elf_pair *pair = (struct elf_pair *)elf_for(s, f);
	struct dwarf_lines *dw;

	if (!pair || !pair->es)
		return false;
	dw = dwarf_for(s, pair, tgid, f);
	return dw && dwarf_lines__source(dw) != DWARF_NONE;
}

void symbolizer__prefetch(struct symbolizer *s, uint32_t tgid, const struct proc_file *f)
{
	const struct elf_pair *pair;
	const char *bid;
	char path[4096];
	int fd;

	(void)tgid;
	if (!s->fetch)
		return;
	pair = elf_for(s, f);
	bid = pair && pair->es ? elf_syms__build_id(pair->es) : NULL;
	if (!bid || strlen(bid) < 3 || pair->dw_state != DW_UNTRIED)
		return;
	/* cheap checks only (this runs as processes are met): its own DWARF, or a debug file
	 * installed under a .build-id directory, and nothing is asked */
	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", s->debug_dir, bid, bid + 2);
	if (!access(path, R_OK))
		return;
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2);
	if (!access(path, R_OK))
		return;
	fd = proc_file__hold(f);
	if (fd < 0)
		return;
	if (!dwarf_lines__file_has_dwarf(fd))
		(void)dfetch__get(s->fetch, bid, path, sizeof(path));
	proc_file__release(f);
}

int symbolizer__enable_debuginfod(struct symbolizer *s)
{
	if (s->fetch)
		return 0;
	s->fetch = dfetch__new();
	return s->fetch ? 0 : -errno;
}

int symbolizer__wait_downloads(struct symbolizer *s, int timeout_ms)
{
	return dfetch__drain(s->fetch, timeout_ms);
}

const char *symbolizer__build_id(struct symbolizer *s, const struct proc_file *f)
{
	(void)s;
	return elf_file__build_id(proc_file__elf(f));
}

int symbolizer__load_kernel_names(struct symbolizer *s)
{
	if (!s->kn)
		s->kn = knames__new();
	return s->kn ? 0 : -errno;
}

const char *symbolizer__kernel(struct symbolizer *s, uint64_t addr, const char **ret_module)
{
	const char *name, *module;
	int err;

	if (s->kn) {
		err = knames__lookup(s->kn, addr, &name, &module);
		if (err >= 0) {
			s->stats.kernel_lookups++;
			s->stats.kernel_by_kernel++;
			if (!err)
				s->stats.kernel_misses++;
			if (ret_module)
				*ret_module = module;
			return name;
		}
		/* the kernel could not be asked: /proc/kallsyms answers this one and, unless only
		 * this answer was unusable (-EIO: a name too long), every later one */
		if (err != -EIO) {
			knames__free(s->kn);
			s->kn = NULL;
		}
	}
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
	s->epoch++; /* nothing is kept over the new budget */
	trim(s, NULL);
}

struct symbolizer_stats symbolizer__stats(const struct symbolizer *s)
{
	struct symbolizer_stats st = s->stats;
	struct dfetch_stats fs = dfetch__stats(s->fetch);

	st.dwarf_faults = fault_guard__caught();
	st.debuginfod_queued = fs.queued;
	st.debuginfod_fetched = fs.fetched;
	st.debuginfod_failed = fs.failed + fs.refused;
	return st;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	hashmap__for_each (&s->elves, e)
		pair_free((struct elf_pair *)e->value);
	hashmap__clear(&s->elves);
	kallsyms__free(s->ks);
	knames__free(s->kn);
	dfetch__free(s->fetch);
	free(s->kallsyms_path);
	free(s->debug_dir);
	free(s->flamed_debug_dir);
	free(s);
}
