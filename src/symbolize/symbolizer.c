// SPDX-License-Identifier: MIT
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "symbolize/debuginfod_fetch.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/dwarf_table.h"
#include "symbolize/elf_syms.h"
#include "symbolize/fault_guard.h"
#include "symbolize/kallsyms.h"
#include "symbolize/knames.h"
#include "symbolize/name_cache.h"
#include "symbolize/symbolizer.h"
#include "util/hashmap.h"
#include "util/log.h"

/* What tells a file rewritten in place from the file that was read: the inode stays, these
 * change (a write moves mtime and ctime, a truncation the size). */
struct file_stamp {
	uint64_t size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
};

enum { PART_ELF, PART_DWARF, PART_FUNCS, NR_PARTS };

#define DWARF_CHUNK_HEAP (8u << 20) /* libdw's heap while a file's units are read at once */
#define DWARF_MAX_ROUNDS 16	    /* ... started over at most this often */

/* One mapped file as the symbolizer knows it: its identity, what it says of itself (kept for as
 * long as the file is known) and its tables (kept within the budget). */
struct sym_file {
	const struct proc_file *key;
	uint64_t id; /* the name cache's key for this identity */
	struct file_stamp stamp;
	bool stamped;
	uint64_t checked; /* the epoch its identity was last checked in */
	/* facts */
	bool elf_read;	 /* its ELF symbols were read once */
	bool not_elf;	 /* ... and it is not readable ELF */
	bool dw_looked;	 /* its DWARF was looked for */
	bool dw_waiting; /* ... and a debuginfod download is pending */
	bool dw_useful;	 /* ... and libdw has units or symbols for it */
	enum dwarf_source dw_source;
	char *given; /* the debuginfod download its DWARF came from */
	uint32_t parses[NR_PARTS];
	uint32_t tgid; /* the process its DWARF was looked for in (.gnu_debuglink in its root) */
	/* tables (NULL: not read, or evicted) */
	struct elf_syms *es;	 /* the file's own .dynsym (+ .symtab) */
	struct elf_syms *dbg;	 /* /usr/lib/debug/.build-id/xx/yyyy.debug's .symtab */
	struct elf_syms *dwsyms; /* libdwfl's: MiniDebugInfo, a debuglink/debuginfod file */
	struct elf_funcs *funcs; /* .eh_frame function ranges, read on the first unnamed address */
	struct dwarf_table *dwt; /* DWARF, unit by unit */
	struct dwarf_lines *dw;	 /* libdw, while a build reads units from it */
	bool syms_loaded, funcs_loaded, dw_loaded;
	size_t bytes;	 /* tables' memory (in the budget) */
	size_t dw_bytes; /* of which the DWARF table */
	uint64_t epoch;	 /* the symbolizer's epoch when last used */
	bool in_lru;
	struct sym_file *prev, *next; /* LRU of files holding tables, most recently used first */
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
	/* struct proc_file * -> struct sym_file *. proc_file pointers are unique per (dev, inode)
	 * for the proc table's life, which outlives every lookup. */
	struct hashmap files;
	struct sym_file *lru_head, *lru_tail;
	struct name_cache *names;
	size_t budget;	/* bytes of tables kept; least recently used evicted beyond */
	uint64_t epoch; /* bumped after each build (symbolizer__release_pages) */
	uint64_t next_id;
	bool long_lived;
	struct symbolizer_stats stats;
};

static void lru_unlink(struct symbolizer *s, struct sym_file *p)
{
	if (!p->in_lru)
		return;
	if (p->prev)
		p->prev->next = p->next;
	else
		s->lru_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		s->lru_tail = p->prev;
	p->prev = p->next = NULL;
	p->in_lru = false;
}

static void lru_push(struct symbolizer *s, struct sym_file *p)
{
	lru_unlink(s, p);
	p->prev = NULL;
	p->next = s->lru_head;
	if (s->lru_head)
		s->lru_head->prev = p;
	s->lru_head = p;
	if (!s->lru_tail)
		s->lru_tail = p;
	p->in_lru = true;
}

/* Re-count a file's tables after one changed. */
static void recount(struct symbolizer *s, struct sym_file *p)
{
	size_t dw = dwarf_table__mem_bytes(p->dwt);
	size_t now = elf_syms__mem_bytes(p->es) + elf_syms__mem_bytes(p->dbg) +
		     elf_syms__mem_bytes(p->dwsyms) + elf_funcs__mem_bytes(p->funcs) + dw;

	s->stats.cache_bytes = s->stats.cache_bytes - p->bytes + now;
	s->stats.dwarf_bytes = s->stats.dwarf_bytes - p->dw_bytes + dw;
	p->bytes = now;
	p->dw_bytes = dw;
	if (s->stats.cache_bytes > s->stats.cache_peak)
		s->stats.cache_peak = s->stats.cache_bytes;
}

/* One more read of a part of p. */
static void count_parse(struct symbolizer *s, struct sym_file *p, int part)
{
	uint32_t most = 0;

	if (!p->parses[PART_ELF] && !p->parses[PART_DWARF] && !p->parses[PART_FUNCS])
		s->stats.files_parsed++;
	p->parses[part]++;
	for (int i = 0; i < NR_PARTS; i++)
		most = p->parses[i] > most ? p->parses[i] : most;
	if (most > s->stats.parses_max)
		s->stats.parses_max = most;
	if (p->parses[part] == SYMBOLIZER_PARSES_WARN + 1 && most == p->parses[part])
		s->stats.files_reparsed++;
}

static void close_dwarf(struct sym_file *p)
{
	dwarf_lines__free(p->dw);
	p->dw = NULL;
}

static void drop_dwarf(struct sym_file *p)
{
	close_dwarf(p);
	elf_syms__free(p->dwsyms);
	dwarf_table__free(p->dwt);
	p->dwsyms = NULL;
	p->dwt = NULL;
	p->dw_loaded = false;
}

/* Drop p's tables (its facts stay). */
static void drop_tables(struct symbolizer *s, struct sym_file *p)
{
	drop_dwarf(p);
	elf_syms__free(p->es);
	elf_syms__free(p->dbg);
	elf_funcs__free(p->funcs);
	p->es = p->dbg = NULL;
	p->funcs = NULL;
	p->syms_loaded = p->funcs_loaded = false;
	recount(s, p);
	lru_unlink(s, p);
}

/* Evict least recently used tables until they fit the budget, keeping keep (the file being
 * answered, even if alone it is over). Files used since the last build ended are kept up to the
 * slack over the budget: a build meets the same files in stack after stack, and LRU over a
 * working set a little larger than the budget would evict each just before it is needed. */
static void trim(struct symbolizer *s, const struct sym_file *keep)
{
	size_t freed = 0;

	while (s->stats.cache_bytes > s->budget && s->lru_tail && s->lru_tail != keep) {
		struct sym_file *p = s->lru_tail;

		if (p->epoch == s->epoch &&
		    s->stats.cache_bytes <= s->budget + s->budget / SYMBOLIZER_SLACK_DIV)
			break; /* LRU order: every file before it was used in this build too */
		freed += p->bytes;
		drop_tables(s, p);
		s->stats.evicted++;
	}
	if (freed >= (1u << 20))
		malloc_trim(0);
}

/* p's tables changed: account them, keep p most recently used, evict others if over. */
static void grew(struct symbolizer *s, struct sym_file *p)
{
	recount(s, p);
	lru_push(s, p);
	trim(s, p);
}

/* The daemon's memory follows what the host runs now: tables of files no build used lately, and
 * answers no build asked for, go (read again, or answered from the tables, if they come back). */
static void expire(struct symbolizer *s)
{
	size_t freed = 0;

	while (s->lru_tail && s->lru_tail->epoch + SYMBOLIZER_IDLE_BUILDS < s->epoch) {
		freed += s->lru_tail->bytes;
		s->stats.expired++;
		drop_tables(s, s->lru_tail);
	}
	name_cache__tick(s->names, SYMBOLIZER_IDLE_BUILDS);
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
	s->names = name_cache__new(SYMBOLIZER_NAMES_BYTES);
	if (!s->kallsyms_path || !s->debug_dir || (dbg && *dbg && !s->flamed_debug_dir) ||
	    !s->names) {
		symbolizer__free(s);
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&s->files, hashmap_hash_int, hashmap_equal_int, NULL);
	s->budget = SYMBOLIZER_CACHE_BYTES;
	return s;
}

static int stamp_of(int fd, struct file_stamp *st)
{
	struct stat sb;

	if (fstat(fd, &sb))
		return -errno;
	*st = (struct file_stamp){
		.size = (uint64_t)sb.st_size,
		.mtime_s = sb.st_mtim.tv_sec,
		.mtime_ns = sb.st_mtim.tv_nsec,
		.ctime_s = sb.st_ctim.tv_sec,
		.ctime_ns = sb.st_ctim.tv_nsec,
	};
	return 0;
}

/* Forget everything p knew of its file: it was rewritten in place. A new identity, so the names
 * cached for the old one are never answered again. */
static void renew(struct symbolizer *s, struct sym_file *p)
{
	drop_tables(s, p);
	free(p->given);
	p->given = NULL;
	p->elf_read = p->not_elf = p->dw_looked = p->dw_waiting = p->dw_useful = false;
	p->dw_source = DWARF_NONE;
	memset(p->parses, 0, sizeof(p->parses));
	p->id = ++s->next_id;
	s->stats.files++;
	/* its headers (segments, build-id) are read again too */
	proc_file__drop_elf((struct proc_file *)p->key);
}

/* Once per build, while the file is open anyway (a closed one is not reopened for this), its
 * size and times: the same inode rewritten in place is another file. */
static void check_identity(struct symbolizer *s, struct sym_file *p)
{
	struct file_stamp st;
	int fd;

	if (p->checked == s->epoch + 1)
		return;
	p->checked = s->epoch + 1;
	if (p->key->cache && p->key->fd < 0)
		return;
	fd = proc_file__hold(p->key);
	if (fd < 0)
		return;
	if (!stamp_of(fd, &st)) {
		if (p->stamped && memcmp(&st, &p->stamp, sizeof(st))) {
			renew(s, p);
			s->stats.files_replaced++;
		}
		p->stamp = st;
		p->stamped = true;
	}
	proc_file__release(p->key);
}

/* The record of f, created on first sight. NULL on ENOMEM or without a file. */
static struct sym_file *file_for(struct symbolizer *s, const struct proc_file *f)
{
	struct sym_file *p;
	uintptr_t v;

	if (!f)
		return NULL;
	if (hashmap__find(&s->files, (uintptr_t)f, &v)) {
		p = (struct sym_file *)v;
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->key = f;
		p->id = ++s->next_id;
		if (hashmap__set(&s->files, (uintptr_t)f, (uintptr_t)p)) {
			free(p);
			return NULL;
		}
		s->stats.files++;
	}
	check_identity(s, p);
	p->epoch = s->epoch;
	if (p->in_lru && s->lru_head != p)
		lru_push(s, p); /* used: the least recently used tables are evicted first */
	return p;
}

/* The separate debug file of es by build-id, if installed and it has symbols. */
static struct elf_syms *debug_file_for(struct symbolizer *s, const char *bid)
{
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

/* p's ELF symbols (and its debug file's by build-id), read if they are not kept. false when the
 * file cannot be had now (closed by the fd budget and not reopenable): nothing is known then. */
static bool load_syms(struct symbolizer *s, struct sym_file *p)
{
	int fd;

	if (p->syms_loaded)
		return true;
	fd = proc_file__hold(p->key);
	if (fd < 0)
		return false; /* counted by the proc table */
	p->es = elf_syms__open_fd(fd);
	proc_file__release(p->key);
	p->syms_loaded = true;
	count_parse(s, p, PART_ELF);
	s->stats.cache_misses++;
	if (!p->es) {
		if (!p->elf_read)
			s->stats.elf_failed++;
		p->elf_read = p->not_elf = true;
		return true;
	}
	s->stats.elf_parsed++;
	p->dbg = debug_file_for(s, elf_syms__build_id(p->es));
	if (!p->elf_read)
		s->stats.debug_files += p->dbg != NULL;
	p->elf_read = true;
	s->stats.elf_bytes += elf_syms__mem_bytes(p->es) + elf_syms__mem_bytes(p->dbg);
	grew(s, p);
	return true;
}

/* Function ranges of p's file from its .eh_frame, read once per load (a stripped file: the
 * functions its symbol tables do not name). NULL when it has none or cannot be read. */
static const struct elf_funcs *funcs_for(struct symbolizer *s, struct sym_file *p)
{
	int fd;

	if (p->funcs_loaded)
		return p->funcs;
	p->funcs_loaded = true;
	fd = proc_file__hold(p->key);
	if (fd < 0)
		return NULL;
	p->funcs = elf_funcs__open_fd(fd);
	proc_file__release(p->key);
	count_parse(s, p, PART_FUNCS);
	if (!p->funcs)
		return NULL;
	s->stats.funcs_parsed++;
	s->stats.elf_bytes += elf_funcs__mem_bytes(p->funcs);
	grew(s, p);
	return p->funcs;
}

/* Open p's DWARF with libdw (where: the process's root for .gnu_debuglink, a debuginfod file).
 * -errno when the file cannot be had now. */
static int open_dwarf(struct symbolizer *s, struct sym_file *p, uint32_t tgid, const char *given)
{
	const struct proc_file *f = p->key;
	struct dwarf_search where = {
		.tgid = tgid,
		.path = f->path,
		.debug_dir = s->flamed_debug_dir,
		.host_debug = "/usr/lib/debug",
		.given = given,
		/* libdw inflates compressed sections whole while it is open: half the budget */
		.max_inflate = s->budget / 2,
	};
	int fd = proc_file__hold(f);

	if (fd < 0)
		return fd;
	close_dwarf(p);
	p->tgid = tgid; /* its root, for the next open */
	p->dw = dwarf_lines__open(fd, &where);
	proc_file__release(f);
	if (!p->dw)
		return -ENOMEM;
	s->stats.dwarf_reads++;
	if (!p->dw_looked && dwarf_lines__source(p->dw) != DWARF_NONE)
		log_debug("DWARF of %s: %s", f->path ? f->path : "?",
			  dwarf_source__name(dwarf_lines__source(p->dw)));
	return 0;
}

/* p's DWARF tables from the open libdw: where the units are, and the symbols libdwfl has. */
static void load_dwarf_tables(struct symbolizer *s, struct sym_file *p)
{
	p->dw_loaded = true;
	count_parse(s, p, PART_DWARF);
	s->stats.dwarf_tables++;
	p->dwt = dwarf_lines__table(p->dw);
	p->dwsyms = dwarf_lines__symbols(p->dw);
	p->dw_useful = p->dwt || p->dwsyms;
	if (!p->dw_useful) /* nothing to read from it later */
		close_dwarf(p);
	grew(s, p);
}

/* The facts of the look at p's DWARF (once per identity). */
static void looked(struct symbolizer *s, struct sym_file *p)
{
	p->dw_looked = true;
	p->dw_source = dwarf_lines__source(p->dw);
	s->stats.dwarf_opened++;
	s->stats.dwarf_found += p->dw_source != DWARF_NONE;
	s->stats.dwarf_by_source[p->dw_source]++;
	s->stats.dwarf_too_big += dwarf_lines__too_big(p->dw);
}

/* A debuginfod download for p: 0 when it landed (p->given), -EAGAIN while it runs, else
 * nothing to be had. */
static int fetched(struct symbolizer *s, struct sym_file *p)
{
	const char *bid = elf_file__build_id(proc_file__elf(p->key));
	char path[4096];
	int ret;

	if (!s->fetch || !bid)
		return -ENOENT;
	ret = dfetch__get(s->fetch, bid, path, sizeof(path));
	if (ret == 0) {
		free(p->given);
		p->given = strdup(path);
		if (!p->given)
			return -ENOMEM;
	}
	return ret;
}

/* p's DWARF: looked for once (its facts kept), a pending debuginfod download picked up when it
 * lands, its tables read (again, after an eviction) when there is something in them. false when
 * nothing can be said yet: a download pending, or the file not to be had now. */
static bool dwarf_for(struct symbolizer *s, struct sym_file *p, uint32_t tgid)
{
	int ret;

	if (p->dw_looked && !p->dw_waiting) {
		if (p->dw_loaded)
			return true;
		if (!p->dw_useful) {
			p->dw_loaded = true;
			return true;
		}
		if (open_dwarf(s, p, tgid, p->given)) /* evicted: read again */
			return false;
		load_dwarf_tables(s, p);
		return true;
	}
	if (!p->dw_looked) {
		if (open_dwarf(s, p, tgid, NULL))
			return false;
		ret = dwarf_lines__source(p->dw) == DWARF_NONE ? fetched(s, p) : -ENOENT;
		if (ret == -EAGAIN) {
			p->dw_looked = p->dw_waiting = true;
			load_dwarf_tables(s, p); /* MiniDebugInfo names meanwhile */
			return false;
		}
	} else {
		ret = fetched(s, p); /* was waiting */
		if (ret == -EAGAIN)
			return false;
		p->dw_looked = p->dw_waiting = false;
		drop_dwarf(p);
		recount(s, p);
		if (ret && open_dwarf(s, p, tgid, NULL))
			return false;
	}
	if (ret == 0 && open_dwarf(s, p, tgid, p->given))
		return false;
	looked(s, p);
	load_dwarf_tables(s, p);
	return true;
}

/* The frames DWARF has for vaddr into s->scratch: the unit read from libdw first when it is not
 * in p's table yet (libdw opened again if a previous build closed it). false when that unit
 * could not be read now (the answer is then not kept). */
static bool dwarf_frames(struct symbolizer *s, struct sym_file *p, uint32_t tgid, uint64_t vaddr,
			 size_t *ret_nr)
{
	uint64_t unit;
	int err;

	*ret_nr = 0;
	if (!p->dwt || dwarf_table__unit_of(p->dwt, vaddr, &unit))
		return true;
	if (!dwarf_table__has_unit(p->dwt, unit)) {
		if (!p->dw && open_dwarf(s, p, tgid, p->given))
			return false;
		err = dwarf_lines__extract(p->dw, p->dwt, unit);
		if (err == -ENOMEM)
			return false;
		if (!err) {
			s->stats.dwarf_units++;
			grew(s, p);
		}
	}
	*ret_nr = dwarf_table__lookup(p->dwt, vaddr, s->scratch, SYM_MAX_FRAMES);
	return true;
}

/* Name vaddr of p from its tables into s->out[0..*ret_nr). Returns whether the answer may be
 * kept: not while a debuginfod download is pending, nor when the file could not be read now. */
static bool resolve(struct symbolizer *s, struct sym_file *p, uint32_t tgid, uint64_t vaddr,
		    uint64_t *sym_start, uint64_t *func_start, size_t *ret_nr)
{
	const char *name = NULL;
	bool cacheable = true;
	uint64_t off = 0;
	size_t n = 0;

	*sym_start = *func_start = 0;
	*ret_nr = 0;
	if (p->syms_loaded && p->dw_loaded)
		s->stats.cache_hits++;
	if (!load_syms(s, p))
		return false;
	if (p->not_elf)
		return true;
	if (p->dbg)
		name = elf_syms__lookup(p->dbg, vaddr, &off);
	if (!name)
		name = elf_syms__lookup(p->es, vaddr, &off);
	cacheable = dwarf_for(s, p, tgid);
	if (!dwarf_frames(s, p, tgid, vaddr, &n))
		cacheable = false;
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
	if (!name)
		name = elf_syms__lookup(p->dwsyms, vaddr, &off);
	if (name)
		*sym_start = vaddr - off;
	if (!n && name)
		s->out[n++] = (struct sym_frame){ .name = name };
	else if (n && name)
		s->out[n - 1].name = name;
	for (size_t i = 0; i + 1 < n; i++)
		s->stats.inline_frames += s->out[i].inlined;
	/* nothing names it: the function around it, by its .eh_frame FDE */
	if ((!n || !s->out[n - 1].name) && elf_funcs__lookup(funcs_for(s, p), vaddr, func_start))
		*func_start = 0;
	*ret_nr = n;
	return cacheable;
}

/* The answer's part of sym_user, and the counters of a user lookup. */
static int answer(struct symbolizer *s, uint64_t vaddr, uint64_t sym_start, uint64_t func_start,
		  const struct sym_frame *frames, size_t nr, struct sym_user *res)
{
	res->name = nr ? frames[nr - 1].name : NULL;
	if (res->name) {
		res->offset = sym_start ? vaddr - sym_start : 0;
		return 0;
	}
	res->func_start = func_start;
	if (func_start) {
		res->offset = vaddr - func_start;
		s->stats.user_synthetic++;
	} else {
		s->stats.user_misses++;
	}
	return -ENOENT;
}

int symbolizer__frames(struct symbolizer *s, uint32_t tgid, const struct proc_map *m,
		       const struct proc_file *f, uint64_t addr, struct sym_user *res,
		       const struct sym_frame **ret_frames, size_t *ret_nr)
{
	struct sym_file *p = file_for(s, f);
	const struct elf_file *ef = proc_file__elf(f);
	uint64_t off = addr - m->start + m->pgoff, sym_start, func_start;
	struct name_entry ne;
	size_t n;

	*ret_frames = NULL;
	*ret_nr = 0;
	memset(res, 0, sizeof(*res));
	s->stats.user_lookups++;
	res->build_id = elf_file__build_id(ef);
	/* the file's own segments place the address: a debug file's may have no file bytes */
	if (!p || !ef || elf_file__offset_to_vaddr(ef, off, &res->vaddr)) {
		s->stats.user_misses++;
		return -ENOENT;
	}
	s->stats.frame_lookups++;
	if (name_cache__find(s->names, p->id, res->vaddr, &ne)) {
		s->stats.frame_hits++;
		*ret_frames = ne.frames;
		*ret_nr = ne.nr;
		return answer(s, res->vaddr, ne.sym_start, ne.func_start, ne.frames, ne.nr, res);
	}
	if (!resolve(s, p, tgid, res->vaddr, &sym_start, &func_start, &n) ||
	    name_cache__add(s->names, p->id, res->vaddr, sym_start, func_start, s->out, n, &ne)) {
		/* not kept (a download pending, or no memory): borrowed from the tables */
		*ret_frames = s->out; /* display NULL: the caller demangles */
		*ret_nr = n;
		return answer(s, res->vaddr, sym_start, func_start, s->out, n, res);
	}
	*ret_frames = ne.frames;
	*ret_nr = ne.nr;
	return answer(s, res->vaddr, sym_start, func_start, ne.frames, ne.nr, res);
}

int symbolizer__user(struct symbolizer *s, const struct proc_map *m, const struct proc_file *f,
		     uint64_t addr, struct sym_user *res)
{
	const struct sym_frame *frames;
	size_t nr;

	return symbolizer__frames(s, 0, m, f, addr, res, &frames, &nr);
}

/* Every unit of p's compressed DWARF into its table (the daemon), up to a quarter of the budget.
 * libdw's heap is bounded by starting it over after each DWARF_CHUNK_HEAP it grew (its per-unit
 * tables stay until it ends). */
static void complete_dwarf(struct symbolizer *s, struct sym_file *p)
{
	size_t before = dwarf_table__nr_extracted(p->dwt);
	int added;

	for (int round = 0; round < DWARF_MAX_ROUNDS && p->dw; round++) {
		added = dwarf_lines__extract_all(p->dw, p->dwt, s->budget / 4, DWARF_CHUNK_HEAP);
		if (added > 0 || added == -EAGAIN)
			recount(s, p);
		if (added != -EAGAIN)
			break;
		close_dwarf(p);
		malloc_trim(0);
		if (open_dwarf(s, p, p->tgid, p->given))
			break;
	}
	s->stats.dwarf_units += dwarf_table__nr_extracted(p->dwt) - before;
}

void symbolizer__release_pages(struct symbolizer *s)
{
	size_t freed = 0;

	for (struct sym_file *p = s->lru_head; p; p = p->next) {
		/* tables kept for later windows: their names packed (a one-shot run never asks) */
		if (s->long_lived && p->epoch == s->epoch) {
			size_t before = p->bytes;

			elf_syms__pack(p->es);
			elf_syms__pack(p->dbg);
			elf_syms__pack(p->dwsyms);
			recount(s, p);
			freed += before > p->bytes ? before - p->bytes : 0;
		}
		if (!p->dw)
			continue;
		/* the daemon names these files again in later windows: a compressed file's units
		 * are read now, while libdw has them inflated, rather than inflate them again for
		 * each unit a later window meets; an uncompressed file is opened again for a new
		 * unit in tens of microseconds, and its table keeps only the units met */
		if (s->long_lived && p->dwt && dwarf_lines__inflated(p->dw))
			complete_dwarf(s, p);
		freed += dwarf_lines__mem_bytes(p->dw);
		close_dwarf(p);
	}
	/* libdw's tables are many small blocks: give the heap pages they leave back now */
	if (freed >= (1u << 20))
		malloc_trim(0);
	/* what the build kept over the budget goes now */
	s->epoch++;
	trim(s, NULL);
	if (s->long_lived)
		expire(s);
}

void symbolizer__set_long_lived(struct symbolizer *s, bool long_lived)
{
	s->long_lived = long_lived;
}

bool symbolizer__has_lines(struct symbolizer *s, uint32_t tgid, const struct proc_file *f)
{
	struct sym_file *p = file_for(s, f);

	if (!p || p->not_elf)
		return false;
	if (!p->dw_looked || p->dw_waiting)
		dwarf_for(s, p, tgid);
	return !p->dw_waiting && p->dw_source != DWARF_NONE;
}

void symbolizer__prefetch(struct symbolizer *s, uint32_t tgid, const struct proc_file *f)
{
	const char *bid;
	char path[4096];
	int fd;

	(void)tgid;
	if (!s->fetch)
		return;
	/* cheap checks only (this runs as processes are met): headers, its own DWARF, or a debug
	 * file installed under a .build-id directory, and nothing is asked */
	bid = elf_file__build_id(proc_file__elf(f));
	if (!bid || strlen(bid) < 3)
		return;
	{
		uintptr_t v;

		if (hashmap__find(&s->files, (uintptr_t)f, &v) && ((struct sym_file *)v)->dw_looked)
			return;
	}
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

int symbolizer__use_kernel_lookup(struct symbolizer *s, knames_ask_fn ask, void *ctx)
{
	knames__free(s->kn);
	s->kn = knames__new(ask, ctx);
	return s->kn ? 0 : -ENOMEM;
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

void symbolizer__set_names_budget(struct symbolizer *s, size_t bytes)
{
	name_cache__set_budget(s->names, bytes);
}

static uint32_t most_parses(const struct sym_file *p)
{
	uint32_t most = 0;

	for (int i = 0; i < NR_PARTS; i++)
		most = p->parses[i] > most ? p->parses[i] : most;
	return most;
}

void symbolizer__reparsed_files(const struct symbolizer *s, size_t max,
				void (*fn)(const char *path, uint64_t parses, void *ctx), void *ctx)
{
	uint32_t below = UINT32_MAX;

	/* most read first: a pass per count, as few files ever get here */
	while (max) {
		uint32_t best = 0;

		hashmap__for_each (&s->files, e) {
			uint32_t n = most_parses((const struct sym_file *)e->value);

			if (n > SYMBOLIZER_PARSES_WARN && n < below && n > best)
				best = n;
		}
		if (!best)
			return;
		hashmap__for_each (&s->files, e) {
			const struct sym_file *p = (const struct sym_file *)e->value;

			if (max && most_parses(p) == best) {
				fn(p->key->path ? p->key->path : "?", best, ctx);
				max--;
			}
		}
		below = best;
	}
}

void symbolizer__biggest_files(const struct symbolizer *s, size_t max,
			       void (*fn)(const char *path, uint64_t bytes, void *ctx), void *ctx)
{
	size_t below = SIZE_MAX;

	for (; max; max--) {
		const struct sym_file *best = NULL;

		for (const struct sym_file *p = s->lru_head; p; p = p->next)
			if (p->bytes < below && (!best || p->bytes > best->bytes))
				best = p;
		if (!best || !best->bytes)
			return;
		fn(best->key->path ? best->key->path : "?", best->bytes, ctx);
		below = best->bytes;
	}
}

struct symbolizer_stats symbolizer__stats(const struct symbolizer *s)
{
	struct symbolizer_stats st = s->stats;
	struct dfetch_stats fs = dfetch__stats(s->fetch);
	struct name_cache_stats ns = name_cache__stats(s->names);

	st.dwarf_faults = fault_guard__caught();
	st.debuginfod_queued = fs.queued;
	st.debuginfod_fetched = fs.fetched;
	st.debuginfod_failed = fs.failed + fs.refused;
	st.names_evicted = ns.evicted;
	st.names_expired = ns.expired;
	st.names_entries = ns.entries;
	st.names_bytes = ns.bytes;
	st.names_peak = ns.peak_bytes;
	return st;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	hashmap__for_each (&s->files, e) {
		struct sym_file *p = (struct sym_file *)e->value;

		drop_tables(s, p);
		free(p->given);
		free(p);
	}
	hashmap__clear(&s->files);
	name_cache__free(s->names);
	kallsyms__free(s->ks);
	knames__free(s->kn);
	dfetch__free(s->fetch);
	free(s->kallsyms_path);
	free(s->debug_dir);
	free(s->flamed_debug_dir);
	free(s);
}
