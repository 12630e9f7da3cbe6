// SPDX-License-Identifier: MIT
/* Lines and inline scopes through libdwfl, with flamed's own find_debuginfo callback
 * (debug_find.c): the DWARF index per unit and the lookups over it. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/debug_find.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/dwarf_names.h"
#include "symbolize/fault_guard.h"
#include "util/hashmap.h"

/* memory estimates of libdw's lazily built tables (measured against RSS in bench/) */
#define COST_OPEN     (16u << 10) /* Dwfl, module, ELF headers, section table */
#define COST_ARANGE   32u	  /* one address range of the unit index */
#define COST_UNIT     1024u	  /* a unit's abbreviations and file table */
#define COST_LINE_ROW 48u	  /* one row of a unit's line table (Dwarf_Line) */

/* An address range of a unit, for files without .debug_aranges (clang's default), where
 * libdwfl 0.188 finds no unit for any address. */
struct unit_range {
	uint64_t lo, hi; /* [lo, hi) in DWARF addresses */
	uint64_t off;	 /* the unit DIE's offset */
};

struct dwarf_lines {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct debug_find find; /* where the DWARF came from (libdwfl's callback fills it) */
	bool minidebuginfo;	/* the file has .gnu_debugdata: libdwfl's symbols read it */
	const char *info;	/* .debug_info as mapped by libelf (NULL: compressed, i.e. heap) */
	size_t info_size;
	struct hashmap units;	   /* unit DIE offset -> struct unit_index * (built on first use) */
	struct hashmap strings;	   /* string in a mapped section -> our copy (see intern) */
	struct dwarf_names *names; /* C++ names built from DIEs (made on first use) */
	bool poisoned;		   /* a SIGBUS while reading it: libdw is never called again */
	struct unit_range *ranges; /* built on the first address libdwfl finds no unit for */
	size_t nr_ranges;
	bool ranges_built;
	size_t bytes;
};

static const Dwfl_Callbacks callbacks = {
	.find_elf = NULL, /* the file is reported by fd */
	.find_debuginfo = debug_find__dwfl_callback,
	.section_address = dwfl_offline_section_address,
};

bool dwarf_lines__file_has_dwarf(int fd)
{
	Elf *elf;
	bool ret;

	if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE)
		return false;
	/* ELF_C_READ: section headers and names read with pread, nothing mapped */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return false;
	ret = debug_find__has_dwarf(elf);
	elf_end(elf);
	return ret;
}

/* Where .debug_info is mapped, for giving a unit's pages back once it is indexed. */
static void note_info_mapping(struct dwarf_lines *dl, Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;
		GElf_Shdr shdr;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS ||
		    (shdr.sh_flags & SHF_COMPRESSED))
			continue;
		n = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!n || strcmp(n, ".debug_info"))
			continue;
		d = elf_getdata(scn, NULL);
		if (d && d->d_buf && elf_rawfile(elf, NULL)) {
			dl->info = d->d_buf;
			dl->info_size = d->d_size;
		}
		return;
	}
}

/* madvise(MADV_PAGEOUT) the whole pages of [p, p + len). */
static void pageout_range(const char *p, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start, end;

	if (!p || !len || page <= 0)
		return;
	start = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	end = ((uintptr_t)p + len) & ~((uintptr_t)page - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_PAGEOUT);
}

/* Report the file to libdwfl and find its DWARF (through find_debuginfo); under the guard. */
static void open_guarded(struct dwarf_lines *dl, int fd)
{
	Dwarf_Aranges *ar;
	Dwarf_Addr bias;
	size_t nr_ar = 0;
	void **ud;
	Dwarf *dw;
	Elf *elf;
	int dfd;

	dl->dwfl = dwfl_begin(&callbacks);
	dfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (!dl->dwfl || dfd < 0) {
		if (dfd >= 0)
			close(dfd);
		return; /* no DWARF */
	}
	/* base 0 without p_vaddr: module addresses are the ELF's virtual addresses */
	dl->mod = dwfl_report_elf(dl->dwfl, "flamed", "flamed", dfd, 0, false);
	dwfl_report_end(dl->dwfl, NULL, NULL);
	if (!dl->mod) { /* on success libdwfl owns dfd, on failure we do */
		close(dfd);
		return;
	}
	dwfl_module_info(dl->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = &dl->find;
	elf = dwfl_module_getelf(dl->mod, &bias);
	dl->minidebuginfo = elf && debug_find__section_data(elf, ".gnu_debugdata");
	if (elf && debug_find__has_dwarf(elf) && !debug_find__take_embedded(&dl->find, elf))
		return; /* too big: libdw is never asked, nothing inflated */
	/* opens the debug file (and its alt) now, through find_debuginfo */
	dw = dwfl_module_getdwarf(dl->mod, &bias);
	if (!dw) {
		dl->find.source = DWARF_NONE;
		return;
	}
	/* an alt file we did not find is looked for by libdw itself when a lookup needs it: by
	 * build-id under the host's /usr/lib/debug (fine), then at the path the file names, on the
	 * host: refused unless under /usr/lib/debug */
	if (debug_find__alt_refused(&dl->find)) {
		dl->find.source = DWARF_NONE;
		return;
	}
	if (!dwarf_getaranges(dw, &ar, &nr_ar))
		dl->bytes += nr_ar * COST_ARANGE;
	dl->bytes += dl->find.inflate;
	note_info_mapping(dl, dwarf_getelf(dw));
}

/* Heap in use (glibc: chunks in use + large mmapped ones): libdw's allocations are measured as
 * the difference around the calls that make them, as no API tells their size. Other threads
 * allocating meanwhile add noise; the estimates stay as a floor (sanitizers report 0 here). */
static size_t heap_now(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

static size_t heap_since(size_t before, size_t floor)
{
	size_t now = heap_now();

	return now > before && now - before > floor ? now - before : floor;
}

static struct dwarf_lines *alloc_lines(const struct dwarf_search *where)
{
	struct dwarf_lines *dl = calloc(1, sizeof(*dl));

	if (!dl)
		return NULL;
	hashmap__init(&dl->units, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&dl->strings, hashmap_hash_int, hashmap_equal_int, NULL);
	dl->bytes = sizeof(*dl) + COST_OPEN;
	if (debug_find__init(&dl->find, where)) {
		dwarf_lines__free(dl);
		return NULL;
	}
	return dl;
}

/* open_guarded under the SIGBUS guard: false when it fired (the object is poisoned). */
static bool open_with_guard(struct dwarf_lines *dl, int fd)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 1)) {
		dl->poisoned = true;
		dl->find.source = DWARF_NONE;
		return false;
	}
	fault_guard__enter(&env);
	open_guarded(dl, fd);
	fault_guard__leave();
	return true;
}

struct dwarf_lines *dwarf_lines__open(int fd, const struct dwarf_search *where)
{
	size_t heap0 = heap_now();
	struct dwarf_lines *dl = alloc_lines(where);

	if (!dl)
		return NULL;
	if (fault_guard__install())
		return dl; /* without the guard, a truncated file would crash flamed: no DWARF */
	if (!open_with_guard(dl, fd))
		return dl;
	/* nothing to answer with: drop libdw's state now (most mapped files have no DWARF) */
	if (dl->find.source == DWARF_NONE && !dl->minidebuginfo && !dl->poisoned) {
		dwfl_end(dl->dwfl);
		dl->dwfl = NULL;
		dl->mod = NULL;
	}
	dl->bytes = heap_since(heap0, dl->bytes);
	return dl;
}

/* Our copy of a string libdw hands out: most point into mmapped sections (.debug_str), which a
 * truncated file turns into SIGBUS for whoever reads them later, outside the guard. Copied once
 * per distinct string (keyed by its address), freed with the object. */
static const char *intern(struct dwarf_lines *dl, const char *str)
{
	uintptr_t v;
	char *copy;

	if (!str)
		return NULL;
	if (hashmap__find(&dl->strings, (uintptr_t)str, &v))
		return (const char *)v;
	copy = strdup(str);
	if (!copy)
		return NULL;
	if (hashmap__set(&dl->strings, (uintptr_t)str, (uintptr_t)copy)) {
		free(copy);
		return NULL;
	}
	dl->bytes += strlen(copy) + 1 + 3 * sizeof(uintptr_t);
	return copy;
}

/* Name of a function DIE: its linkage name (mangled: the builder demangles), else in C++ its
 * scope-qualified name with parameters (dwarf_names.h: what the symbol, had there been one,
 * demangles to), else its plain name. */
static const char *function_name(struct dwarf_lines *dl, Dwarf_Die *die)
{
	const char *name = dwarf_names__linkage(die);
	Dwarf_Die decl;
	size_t before;

	if (name)
		return intern(dl, name);
	if (!dl->names)
		dl->names = dwarf_names__new();
	before = dwarf_names__mem_bytes(dl->names);
	dwarf_names__decl(die, &decl);
	name = dwarf_names__qualified(dl->names, &decl);
	dl->bytes += dwarf_names__mem_bytes(dl->names) - before;
	return name ? name : intern(dl, dwarf_names__plain(die));
}

/* Call site (file, line) of an inlined subroutine DIE, in its own unit's file table. */
static void call_site(Dwarf_Die *die, const char **file, uint32_t *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx = 0, l = 0;
	Dwarf_Files *files;
	Dwarf_Die cu;
	size_t nfiles;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &l) == 0 && l <= UINT32_MAX)
		*line = (uint32_t)l;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &idx) == 0 &&
	    dwarf_diecu(die, &cu, NULL, NULL) && dwarf_getsrcfiles(&cu, &files, &nfiles) == 0 &&
	    idx < nfiles)
		*file = dwarf_filesrc(files, idx, NULL, NULL);
}

static int range_cmp(const void *a, const void *b)
{
	const struct unit_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Every unit's address ranges (DW_AT_low_pc/high_pc or DW_AT_ranges), sorted. */
static void build_ranges(struct dwarf_lines *dl, Dwarf *dw)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0;

	dl->ranges_built = true;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		Dwarf_Die cu;
		ptrdiff_t r = 0;

		if (!dwarf_offdie(dw, off + hsize, &cu))
			break;
		while ((r = dwarf_ranges(&cu, r, &base, &lo, &hi)) > 0) {
			if (hi <= lo)
				continue;
			if (dl->nr_ranges == cap) {
				size_t ncap = cap ? 2 * cap : 64;
				struct unit_range *t = reallocarray(dl->ranges, ncap, sizeof(*t));

				if (!t)
					goto done;
				dl->ranges = t;
				cap = ncap;
			}
			dl->ranges[dl->nr_ranges++] =
				(struct unit_range){ .lo = lo, .hi = hi, .off = off + hsize };
		}
		off = next;
	}
done:
	if (dl->nr_ranges)
		qsort(dl->ranges, dl->nr_ranges, sizeof(*dl->ranges), range_cmp);
	dl->bytes += cap * sizeof(*dl->ranges);
}

/* The unit holding vaddr: libdwfl's (from .debug_aranges), else ours. */
static Dwarf_Die *unit_of(struct dwarf_lines *dl, uint64_t vaddr, Dwarf_Die *mem, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(dl->mod, vaddr, bias);
	size_t lo = 0, hi;
	Dwarf *dw;

	if (cu)
		return cu;
	dw = dwfl_module_getdwarf(dl->mod, bias);
	if (!dw)
		return NULL;
	if (!dl->ranges_built)
		build_ranges(dl, dw);
	hi = dl->nr_ranges;
	while (lo < hi) { /* the first range starting above the address */
		size_t mid = lo + (hi - lo) / 2;

		if (dl->ranges[mid].lo <= vaddr - *bias)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ranges may nest or overlap: look back a few */
	for (size_t i = lo, steps = 0; i > 0 && steps < 8; i--, steps++)
		if (vaddr - *bias < dl->ranges[i - 1].hi)
			return dwarf_offdie(dw, dl->ranges[i - 1].off, mem);
	return NULL;
}

/* A unit's function index, built by one walk of its DIE tree the first time an address of it is
 * looked up: libdw's dwarf_getscopes walks the whole unit for every address (milliseconds per
 * address in a big unit such as CPython's ceval.c), this is a binary search. Nodes are the
 * subprograms and inlined subroutines with code, in DIE order, each with its enclosing one;
 * ranges are their address ranges sorted by start. Well-formed DWARF nests them: the innermost
 * function holding an address is an ancestor (or itself) of the last range starting at or before
 * it. */
struct fn_node {
	uint64_t die;	/* DIE offset */
	int32_t parent; /* enclosing node, -1 none */
	uint32_t first; /* its ranges: own[first .. first + count) */
	uint16_t count;
	uint16_t depth;
	bool inlined;
};

struct fn_range {
	uint64_t lo, hi; /* [lo, hi) */
	uint32_t node;
	uint32_t depth; /* ties on lo: the outer first */
};

struct unit_index {
	struct fn_node *nodes;
	size_t nr_nodes, cap_nodes;
	struct fn_range *ranges; /* sorted by (lo, depth) */
	struct fn_range *own;	 /* per node, in node order */
	size_t nr_ranges, cap_ranges;
};

#define INDEX_MAX_DEPTH	 128	    /* DIE nesting walked (malformed input stops there) */
#define INDEX_MAX_RANGES (1u << 24) /* ranges per unit */

static void unit_index_free(struct unit_index *ui)
{
	if (!ui)
		return;
	free(ui->nodes);
	free(ui->ranges);
	free(ui->own);
	free(ui);
}

static int index_add(struct unit_index *ui, Dwarf_Die *die, int32_t parent, uint16_t depth,
		     bool inlined, int32_t *ret_node)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t r = 0;
	uint32_t first = (uint32_t)ui->nr_ranges;

	*ret_node = parent;
	if (ui->nr_nodes == ui->cap_nodes) {
		size_t cap = ui->cap_nodes ? 2 * ui->cap_nodes : 64;
		struct fn_node *t = reallocarray(ui->nodes, cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		ui->nodes = t;
		ui->cap_nodes = cap;
	}
	while ((r = dwarf_ranges(die, r, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (ui->nr_ranges >= INDEX_MAX_RANGES || ui->nr_ranges - first >= UINT16_MAX)
			break;
		if (ui->nr_ranges == ui->cap_ranges) {
			size_t cap = ui->cap_ranges ? 2 * ui->cap_ranges : 64;
			struct fn_range *t = reallocarray(ui->own, cap, sizeof(*t));

			if (!t)
				return -ENOMEM;
			ui->own = t;
			ui->cap_ranges = cap;
		}
		ui->own[ui->nr_ranges++] = (struct fn_range){
			.lo = lo, .hi = hi, .node = (uint32_t)ui->nr_nodes, .depth = depth
		};
	}
	if (ui->nr_ranges == first)
		return 0; /* no code (an abstract instance, a declaration): not a node */
	ui->nodes[ui->nr_nodes] = (struct fn_node){
		.die = dwarf_dieoffset(die),
		.parent = parent,
		.first = first,
		.count = (uint16_t)(ui->nr_ranges - first),
		.depth = depth,
		.inlined = inlined,
	};
	*ret_node = (int32_t)ui->nr_nodes++;
	return 0;
}

static int fn_range_cmp(const void *a, const void *b)
{
	const struct fn_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

/* Walk the unit's DIE tree once (iteratively, depth-capped). */
static struct unit_index *index_build(Dwarf_Die *cudie)
{
	struct unit_index *ui = calloc(1, sizeof(*ui));
	Dwarf_Die stack[INDEX_MAX_DEPTH];
	int32_t node_at[INDEX_MAX_DEPTH]; /* enclosing function node at each level */
	int top = 0;

	if (!ui)
		return NULL;
	if (dwarf_child(cudie, &stack[0]) != 0)
		goto sort;
	node_at[0] = -1;
	for (;;) {
		Dwarf_Die *die = &stack[top];
		int tag = dwarf_tag(die);
		int32_t node = node_at[top];
		Dwarf_Die child;

		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
			if (index_add(ui, die, node_at[top], (uint16_t)top,
				      tag == DW_TAG_inlined_subroutine, &node))
				goto fail;
		}
		if (dwarf_haschildren(die) > 0 && top + 1 < INDEX_MAX_DEPTH &&
		    dwarf_child(die, &child) == 0) {
			stack[++top] = child;
			node_at[top] = node;
			continue;
		}
		/* next sibling, else climb */
		while (dwarf_siblingof(&stack[top], &stack[top]) != 0) {
			if (top == 0)
				goto sort;
			top--;
		}
	}
sort:
	if (ui->nr_ranges) {
		ui->ranges = malloc(ui->nr_ranges * sizeof(*ui->ranges));
		if (!ui->ranges)
			goto fail;
		memcpy(ui->ranges, ui->own, ui->nr_ranges * sizeof(*ui->ranges));
		qsort(ui->ranges, ui->nr_ranges, sizeof(*ui->ranges), fn_range_cmp);
	}
	return ui;
fail:
	unit_index_free(ui);
	return NULL;
}

static bool node_holds(const struct unit_index *ui, int32_t node, uint64_t pc)
{
	const struct fn_node *n = &ui->nodes[node];

	for (uint32_t i = 0; i < n->count; i++)
		if (pc >= ui->own[n->first + i].lo && pc < ui->own[n->first + i].hi)
			return true;
	return false;
}

/* Innermost function node holding pc, or -1. */
static int32_t index_find(const struct unit_index *ui, uint64_t pc)
{
	size_t lo = 0, hi = ui->nr_ranges;
	int32_t node;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ui->ranges[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	/* ancestors only go up: bounded by the depth even for malformed input */
	for (node = (int32_t)ui->ranges[lo - 1].node; node >= 0; node = ui->nodes[node].parent)
		if (node_holds(ui, node, pc))
			return node;
	return -1;
}

/* The unit's index, built on first use and accounted with its line table. */
static struct unit_index *unit_index(struct dwarf_lines *dl, Dwarf_Die *cudie)
{
	uintptr_t off = (uintptr_t)dwarf_dieoffset(cudie), v;
	struct unit_index *ui;
	size_t heap0;
	Dwarf_Lines *lines;
	size_t nlines = 0;

	if (hashmap__find(&dl->units, off, &v))
		return (struct unit_index *)v;
	heap0 = heap_now();
	ui = index_build(cudie);
	if (!ui)
		return NULL;
	if (hashmap__set(&dl->units, off, (uintptr_t)ui)) {
		unit_index_free(ui);
		return NULL;
	}
	/* the walk read every DIE of the unit: those file pages leave our RSS now (a lookup reads
	 * back the few it names) */
	if (dl->info) {
		Dwarf_Off hdr = dwarf_dieoffset(cudie) - dwarf_cuoffset(cudie), next;

		if (hdr < dl->info_size &&
		    !dwarf_nextcu(dwarf_cu_getdwarf(cudie->cu), hdr, &next, NULL, NULL, NULL,
				  NULL) &&
		    next > hdr && next <= dl->info_size)
			pageout_range(dl->info + hdr, next - hdr);
	}
	if (dwarf_getsrclines(cudie, &lines, &nlines))
		nlines = 0;
	dl->bytes +=
		heap_since(heap0, COST_UNIT + nlines * COST_LINE_ROW + 3 * sizeof(uintptr_t) +
					  sizeof(*ui) + ui->cap_nodes * sizeof(*ui->nodes) +
					  (ui->cap_ranges + ui->nr_ranges) * sizeof(*ui->ranges));
	return ui;
}

static size_t lookup_guarded(struct dwarf_lines *dl, uint64_t vaddr, struct dwarf_frame *frames,
			     size_t max)
{
	Dwarf_Die *cudie, cu_mem;
	struct unit_index *ui;
	const char *file = NULL;
	uint32_t line = 0;
	Dwarf_Addr bias;
	Dwarf_Line *row;
	size_t n = 0;
	int32_t node;
	Dwarf *dw;

	cudie = unit_of(dl, vaddr, &cu_mem, &bias);
	if (!cudie)
		return 0;
	dw = dwfl_module_getdwarf(dl->mod, &bias);
	ui = unit_index(dl, cudie);
	if (!dw || !ui)
		return 0;
	row = dwarf_getsrc_die(cudie, vaddr - bias);
	if (row) {
		int l = 0;

		file = intern(dl, dwarf_linesrc(row, NULL, NULL));
		if (dwarf_lineno(row, &l) == 0 && l > 0)
			line = (uint32_t)l;
	}
	/* innermost inlined callee first, out to the physical function; each caller's position is
	 * the call site of the callee below it */
	for (node = index_find(ui, vaddr - bias); node >= 0; node = ui->nodes[node].parent) {
		const struct fn_node *fn = &ui->nodes[node];
		struct dwarf_frame *fr;
		Dwarf_Die die;
		int decl = 0;

		if (!dwarf_offdie(dw, fn->die, &die))
			break;
		/* too deep: drop the innermost callee, the physical function must stay last */
		if (n == max)
			memmove(frames, frames + 1, --n * sizeof(*frames));
		fr = &frames[n++];
		*fr = (struct dwarf_frame){
			.name = function_name(dl, &die),
			.file = file,
			.line = line,
			.decl_file = intern(dl, dwarf_decl_file(&die)),
			.inlined = fn->inlined,
		};
		if (dwarf_decl_line(&die, &decl) == 0 && decl > 0)
			fr->decl_line = (uint32_t)decl;
		if (!fr->decl_file) /* e.g. a lambda's operator(): the file its code is in */
			fr->decl_file = file;
		if (!fn->inlined)
			break;
		call_site(&die, &file, &line);
		file = intern(dl, file);
	}
	/* a unit with lines but no function DIE (assembly): the address's line alone */
	if (!n && (file || line)) {
		frames[0] = (struct dwarf_frame){ .file = file, .line = line };
		n = 1;
	}
	if (n && frames[n - 1].inlined)
		frames[n - 1].inlined = false; /* the chain ended without its subprogram */
	return n;
}

size_t dwarf_lines__lookup(struct dwarf_lines *dl, uint64_t vaddr, struct dwarf_frame *frames,
			   size_t max)
{
	sigjmp_buf env;
	size_t n;

	if (!dl || !dl->mod || dl->poisoned || dl->find.source == DWARF_NONE || !max)
		return 0;
	if (sigsetjmp(env, 1)) {
		dl->poisoned = true;
		return 0;
	}
	fault_guard__enter(&env);
	n = lookup_guarded(dl, vaddr, frames, max);
	fault_guard__leave();
	return n;
}

const char *dwarf_lines__symbol(struct dwarf_lines *dl, uint64_t vaddr)
{
	const char *volatile name = NULL;
	sigjmp_buf env;

	/* only where the symbol table flamed read is not the one libdwfl has: MiniDebugInfo, and
	 * a debug file found by .gnu_debuglink or debuginfod (its .symtab names what the stripped
	 * file cannot: _start, static functions). Elsewhere the ELF symbols were read already, and
	 * libdwfl's nearest-symbol answer for a stripped file would name the wrong function. */
	if (!dl || !dl->mod || dl->poisoned ||
	    !(dl->minidebuginfo || dl->find.source == DWARF_DEBUGLINK ||
	      dl->find.source == DWARF_DEBUGINFOD))
		return NULL;
	if (sigsetjmp(env, 1)) {
		dl->poisoned = true;
		return NULL;
	}
	fault_guard__enter(&env);
	name = intern(dl, dwfl_module_addrname(dl->mod, vaddr));
	fault_guard__leave();
	return name;
}

static void pageout(Elf *elf)
{
	size_t size = 0;
	char *base = elf ? elf_rawfile(elf, &size) : NULL;

	pageout_range(base, size);
}

void dwarf_lines__release_pages(struct dwarf_lines *dl)
{
	Dwarf_Addr bias;
	Dwarf *dw, *alt;
	Elf *main_elf;

	if (!dl || !dl->mod || dl->poisoned)
		return;
	main_elf = dwfl_module_getelf(dl->mod, &bias);
	pageout(main_elf);
	dw = dl->find.source != DWARF_NONE ? dwfl_module_getdwarf(dl->mod, &bias) : NULL;
	if (dw && dwarf_getelf(dw) != main_elf)
		pageout(dwarf_getelf(dw));
	alt = dw && dl->find.alt_given ? dwarf_getalt(dw) : NULL; /* set: no lookup */
	if (alt)
		pageout(dwarf_getelf(alt));
}

bool dwarf_lines__too_big(const struct dwarf_lines *dl)
{
	return dl && dl->find.too_big;
}

enum dwarf_source dwarf_lines__source(const struct dwarf_lines *dl)
{
	return dl ? dl->find.source : DWARF_NONE;
}

size_t dwarf_lines__mem_bytes(const struct dwarf_lines *dl)
{
	return dl ? dl->bytes : 0;
}

void dwarf_lines__free(struct dwarf_lines *dl)
{
	if (!dl)
		return;
	if (!dl->poisoned) /* else libdw's state is unknown (locks held?): leaked */
		dwfl_end(dl->dwfl);
	hashmap__for_each (&dl->strings, e)
		free((void *)e->value);
	hashmap__clear(&dl->strings);
	dwarf_names__free(dl->names);
	hashmap__for_each (&dl->units, e)
		unit_index_free((struct unit_index *)e->value);
	hashmap__clear(&dl->units);
	free(dl->ranges);
	debug_find__fini(&dl->find);
	free(dl);
}
