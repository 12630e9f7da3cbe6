// SPDX-License-Identifier: MIT
/* Lines and inline scopes through libdwfl, with flamed's own find_debuginfo callback
 * (debug_find.c), copied into a dwarf_table one unit at a time: one walk of the unit's DIE tree
 * for its subprograms and inlined subroutines with code (each with its enclosing one), and its
 * line table as breakpoints that reproduce libdw's own answer at every address. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/debug_find.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/dwarf_names.h"
#include "symbolize/dwarf_table.h"
#include "symbolize/elf_syms.h"
#include "symbolize/fault_guard.h"
#include "util/hashmap.h"

#define COST_OPEN	 (16u << 10) /* Dwfl, module, ELF headers, section table (a floor) */
#define INDEX_MAX_DEPTH	 128	     /* DIE nesting walked (malformed input stops there) */
#define INDEX_MAX_RANGES (1u << 24)  /* function ranges per unit */
#define FN_MAX_RANGES	 1024	     /* ranges of one function (more are dropped) */

struct dwarf_lines {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct debug_find find;	   /* where the DWARF came from (libdwfl's callback fills it) */
	bool minidebuginfo;	   /* the file has .gnu_debugdata: libdwfl's symbols read it */
	struct dwarf_names *names; /* C++ names built from DIEs (made on first use) */
	bool poisoned;		   /* a SIGBUS while reading it: libdw is never called again */
	size_t heap_opened; /* the heap once open (inflated sections in): what reading adds */
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

/* Report the file to libdwfl and find its DWARF (through find_debuginfo); under the guard. */
static void open_guarded(struct dwarf_lines *dl, int fd)
{
	Dwarf_Addr bias;
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
	dl->heap_opened = heap_now();
	return dl;
}

/* Name of a function DIE: its linkage name (mangled: the builder demangles), else in C++ its
 * scope-qualified name with parameters (dwarf_names.h: what the symbol, had there been one,
 * demangles to), else its plain name. Borrowed from libdw or dl's names until dl is freed. */
static const char *function_name(struct dwarf_lines *dl, Dwarf_Die *die)
{
	const char *name = dwarf_names__linkage(die);
	Dwarf_Die decl;

	if (name)
		return name;
	if (!dl->names)
		dl->names = dwarf_names__new();
	dwarf_names__decl(die, &decl);
	name = dl->names ? dwarf_names__qualified(dl->names, &decl) : NULL;
	return name ? name : dwarf_names__plain(die);
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

/* A string of libdw's (most point into mapped sections) as a table id: copied into the table's
 * pool, so nothing read later can fault on a truncated file's pages. */
static uint32_t str_id(struct dwarf_table *t, const char *s)
{
	return dwarf_table__string(t, s);
}

/* --- where the units are --- */

struct range_vec {
	struct dwarf_table_range *v;
	size_t nr, cap;
};

static int range_push(struct range_vec *r, uint64_t lo, uint64_t hi, uint64_t unit)
{
	if (r->nr == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct dwarf_table_range *v = reallocarray(r->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->nr++] = (struct dwarf_table_range){ .lo = lo, .hi = hi, .unit = unit };
	return 0;
}

/* libdwfl's view of .debug_aranges (dwfl_module_addrdie): the entries sorted by address, each
 * run of one unit counted from its first entry up to the next run's start, the last up to and
 * including its last entry's end. */
static int arange_runs(Dwarf *dw, struct range_vec *r)
{
	Dwarf_Addr addr = 0, end = 0;
	Dwarf_Off off, last = 0;
	Dwarf_Aranges *ar;
	Dwarf_Word len;
	size_t n = 0;

	if (dwarf_getaranges(dw, &ar, &n) || !n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Arange *a = dwarf_onearange(ar, i);

		if (!a || dwarf_getarangeinfo(a, &addr, &len, &off))
			return 0; /* libdwfl would fail on it too: no runs */
		if (i == 0 || off != last) {
			if (r->nr)
				r->v[r->nr - 1].hi = addr;
			if (range_push(r, addr, 0, off))
				return -ENOMEM;
			last = off;
		}
		end = addr + len;
	}
	r->v[r->nr - 1].hi = end < UINT64_MAX ? end + 1 : UINT64_MAX;
	return 0;
}

/* Every unit's own address ranges (DW_AT_low_pc/high_pc or DW_AT_ranges): for addresses no
 * arange run covers (clang emits no .debug_aranges, and libdwfl 0.188 then finds no unit). */
static int unit_ranges(Dwarf *dw, struct range_vec *r)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t p = 0;
		Dwarf_Die cu;

		if (!dwarf_offdie(dw, off + hsize, &cu))
			break;
		while ((p = dwarf_ranges(&cu, p, &base, &lo, &hi)) > 0)
			if (hi > lo && range_push(r, lo, hi, off + hsize))
				return -ENOMEM;
		off = next;
	}
	return 0;
}

static struct dwarf_table *table_guarded(struct dwarf_lines *dl)
{
	struct range_vec runs = { 0 }, own = { 0 };
	struct dwarf_table *t = NULL;
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(dl->mod, &bias);

	if (!dw || arange_runs(dw, &runs) || unit_ranges(dw, &own))
		goto cleanup;
	t = dwarf_table__new();
	if (t && dwarf_table__set_units(t, bias, runs.v, runs.nr, own.v, own.nr)) {
		dwarf_table__free(t);
		t = NULL;
	}
cleanup:
	free(runs.v);
	free(own.v);
	return t;
}

/* --- one unit --- */

/* The answer of a line row: its file (a table id) and line; no row: both 0. files memoises the
 * ids of libdw's file strings, which repeat row after row. */
static int row_answer(struct dwarf_table *t, struct hashmap *files, Dwarf_Line *row, uint32_t *file,
		      uint32_t *line)
{
	const char *src;
	uintptr_t v;
	int l = 0;

	*file = *line = 0;
	if (!row)
		return 0;
	src = dwarf_linesrc(row, NULL, NULL);
	if (src && hashmap__find(files, (uintptr_t)src, &v)) {
		*file = (uint32_t)v;
	} else if (src) {
		*file = str_id(t, src);
		if (!*file || hashmap__set(files, (uintptr_t)src, *file))
			return -ENOMEM;
	}
	if (dwarf_lineno(row, &l) == 0 && l > 0)
		*line = (uint32_t)l;
	return 0;
}

static bool row_end(Dwarf_Line *row)
{
	bool end = false;

	return row && dwarf_lineendsequence(row, &end) == 0 && end;
}

static Dwarf_Addr row_addr(Dwarf_Line *row)
{
	Dwarf_Addr a = 0;

	if (row)
		(void)dwarf_lineaddr(row, &a);
	return a;
}

/* The unit's rows as breakpoints that give, at every address, what dwarf_getsrc_die gives: at a
 * row's address the row it picks (asked when several rows share it), and after it, up to the
 * next row, the last row before that is not an end of sequence (none past the last row). */
static int export_lines(struct dwarf_table *t, Dwarf_Die *cu)
{
	struct hashmap files;
	Dwarf_Lines *lines;
	uint32_t file, line;
	size_t n = 0;
	int err = 0;

	if (dwarf_getsrclines(cu, &lines, &n) || !n)
		return 0;
	hashmap__init(&files, hashmap_hash_int, hashmap_equal_int, NULL);
	for (size_t s = 0, e; s < n && !err; s = e) {
		Dwarf_Line *first = dwarf_onesrcline(lines, s), *at, *after = NULL;
		Dwarf_Addr a = row_addr(first), next = UINT64_MAX;

		for (e = s + 1; e < n && row_addr(dwarf_onesrcline(lines, e)) == a; e++)
			;
		if (e < n)
			next = row_addr(dwarf_onesrcline(lines, e));
		at = e - s == 1 && !row_end(first) ? first : dwarf_getsrc_die(cu, a);
		err = row_answer(t, &files, at, &file, &line);
		if (!err)
			err = dwarf_table__add_line(t, a, file, line);
		if (err || a == UINT64_MAX || a + 1 >= next)
			continue;
		if (e < n) {
			size_t j = e;

			while (j > 0 && row_end(dwarf_onesrcline(lines, j - 1)))
				j--;
			after = j ? dwarf_onesrcline(lines, j - 1) : NULL;
		}
		err = row_answer(t, &files, after, &file, &line);
		if (!err)
			err = dwarf_table__add_line(t, a + 1, file, line);
	}
	hashmap__clear(&files);
	/* rows beyond what the table can place (4 GiB past the first): the rest has no lines */
	return err == -EINVAL ? 0 : err;
}

struct range_buf {
	Dwarf_Addr *lo, *hi;
	size_t cap;
};

/* A subprogram or inlined subroutine DIE with code into t (its ranges first: one without any,
 * an abstract instance or a declaration, is not a function there). *ret_node: its index, or
 * parent when it has no code. */
static int export_fn(struct dwarf_lines *dl, struct dwarf_table *t, Dwarf_Die *die, int tag,
		     int32_t parent, uint16_t depth, struct range_buf *rb, size_t *total,
		     int32_t *ret_node)
{
	struct dwarf_table_fn fn = { .parent = parent, .depth = depth };
	Dwarf_Addr base, lo, hi;
	const char *call_file;
	ptrdiff_t r = 0;
	size_t nr = 0;
	int decl = 0;
	int32_t node;

	*ret_node = parent;
	while ((r = dwarf_ranges(die, r, &base, &lo, &hi)) > 0) {
		if (hi <= lo)
			continue;
		if (*total + nr >= INDEX_MAX_RANGES || nr >= UINT16_MAX)
			break;
		if (nr == rb->cap) {
			size_t cap = rb->cap ? 2 * rb->cap : 16;
			Dwarf_Addr *l = reallocarray(rb->lo, cap, sizeof(*l)), *h;

			if (!l)
				return -ENOMEM;
			rb->lo = l;
			h = reallocarray(rb->hi, cap, sizeof(*h));
			if (!h)
				return -ENOMEM;
			rb->hi = h;
			rb->cap = cap;
		}
		rb->lo[nr] = lo;
		rb->hi[nr++] = hi;
	}
	if (!nr)
		return 0;
	fn.name = str_id(t, function_name(dl, die));
	fn.decl_file = str_id(t, dwarf_decl_file(die));
	if (dwarf_decl_line(die, &decl) == 0 && decl > 0)
		fn.decl_line = (uint32_t)decl;
	fn.inlined = tag == DW_TAG_inlined_subroutine;
	if (fn.inlined) {
		call_site(die, &call_file, &fn.call_line);
		fn.call_file = str_id(t, call_file);
	}
	node = dwarf_table__add_fn(t, &fn);
	if (node < 0)
		return node;
	for (size_t i = 0; i < nr; i++)
		if (dwarf_table__add_fn_range(t, rb->lo[i], rb->hi[i]))
			return -ENOMEM;
	*total += nr;
	*ret_node = node;
	return 0;
}

/* Walk the unit's DIE tree once (iteratively, depth-capped), in DIE order: every function with
 * code, with the function around it. */
static int export_fns(struct dwarf_lines *dl, struct dwarf_table *t, Dwarf_Die *cudie)
{
	Dwarf_Die stack[INDEX_MAX_DEPTH];
	int32_t node_at[INDEX_MAX_DEPTH]; /* enclosing function at each level */
	struct range_buf rb = { 0 };
	size_t total = 0;
	int top = 0, err = 0;

	if (dwarf_child(cudie, &stack[0]) != 0)
		return 0;
	node_at[0] = -1;
	for (;;) {
		Dwarf_Die *die = &stack[top];
		int tag = dwarf_tag(die);
		int32_t node = node_at[top];
		Dwarf_Die child;

		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
			err = export_fn(dl, t, die, tag, node_at[top], (uint16_t)top, &rb, &total,
					&node);
			if (err)
				break;
		}
		if (dwarf_haschildren(die) > 0 && top + 1 < INDEX_MAX_DEPTH &&
		    dwarf_child(die, &child) == 0) {
			stack[++top] = child;
			node_at[top] = node;
			continue;
		}
		/* next sibling, else climb */
		while (dwarf_siblingof(&stack[top], &stack[top]) != 0)
			if (top-- == 0)
				goto out;
	}
out:
	free(rb.lo);
	free(rb.hi);
	return err;
}

static int extract_guarded(struct dwarf_lines *dl, struct dwarf_table *t, uint64_t unit)
{
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(dl->mod, &bias);
	Dwarf_Die cu;
	int err;

	if (!dw)
		return -EFAULT;
	err = dwarf_table__begin_unit(t, unit);
	if (err)
		return err;
	/* a unit that cannot be read goes in empty: it is not asked again */
	if (dwarf_offdie(dw, unit, &cu)) {
		err = export_lines(t, &cu);
		if (!err)
			err = export_fns(dl, t, &cu);
		if (err) {
			dwarf_table__abort_unit(t);
			return err;
		}
	}
	return dwarf_table__end_unit(t);
}

/* --- under the SIGBUS guard --- */

static bool usable(const struct dwarf_lines *dl)
{
	return dl && dl->mod && !dl->poisoned && dl->find.source != DWARF_NONE;
}

struct dwarf_table *dwarf_lines__table(struct dwarf_lines *dl)
{
	struct dwarf_table *volatile t = NULL;
	sigjmp_buf env;

	if (!usable(dl))
		return NULL;
	if (sigsetjmp(env, 1)) {
		dl->poisoned = true;
		dwarf_table__free(t);
		return NULL;
	}
	fault_guard__enter(&env);
	t = table_guarded(dl);
	fault_guard__leave();
	return t;
}

int dwarf_lines__extract(struct dwarf_lines *dl, struct dwarf_table *t, uint64_t unit)
{
	sigjmp_buf env;
	int err;

	if (!usable(dl) || !t)
		return -EFAULT;
	if (sigsetjmp(env, 1)) {
		dl->poisoned = true;
		dwarf_table__abort_unit(t);
		return -EFAULT;
	}
	fault_guard__enter(&env);
	err = extract_guarded(dl, t, unit);
	fault_guard__leave();
	return err;
}

static int extract_all_guarded(struct dwarf_lines *dl, struct dwarf_table *t, size_t max_bytes,
			       size_t max_heap)
{
	Dwarf_Off off = 0, next;
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(dl->mod, &bias);
	size_t hsize;
	int added = 0, err;

	while (dw && dwarf_table__mem_bytes(t) < max_bytes &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (!dwarf_table__has_unit(t, off + hsize)) {
			/* libdw keeps every unit's line table until the end: past max_heap, the
			 * caller starts it over and goes on */
			if (max_heap && added && heap_now() > dl->heap_opened + max_heap)
				return -EAGAIN; /* (never before one unit: always progress) */
			err = extract_guarded(dl, t, off + hsize);
			if (err && err != -EEXIST)
				return err;
			added += !err;
		}
		off = next;
	}
	return added;
}

int dwarf_lines__extract_all(struct dwarf_lines *dl, struct dwarf_table *t, size_t max_bytes,
			     size_t max_heap)
{
	sigjmp_buf env;
	int ret;

	if (!usable(dl) || !t)
		return -EFAULT;
	if (sigsetjmp(env, 1)) {
		dl->poisoned = true;
		dwarf_table__abort_unit(t);
		return -EFAULT;
	}
	fault_guard__enter(&env);
	ret = extract_all_guarded(dl, t, max_bytes, max_heap);
	fault_guard__leave();
	return ret;
}

bool dwarf_lines__inflated(const struct dwarf_lines *dl)
{
	return dl && dl->find.inflate > 0;
}

/* libdwfl's function symbols (addresses are the file's: the module sits at 0). */
static struct elf_syms *symbols_guarded(struct dwarf_lines *dl)
{
	struct elf_syms_input *in = NULL;
	int n = dwfl_module_getsymtab(dl->mod);
	struct elf_syms *es = NULL;
	size_t nr = 0;

	if (n <= 1)
		return NULL;
	in = calloc((size_t)n, sizeof(*in));
	if (!in)
		return NULL;
	for (int i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Word shndx;
		Dwarf_Addr bias;
		GElf_Sym sym;
		Elf *elf;
		const char *name =
			dwfl_module_getsym_info(dl->mod, i, &sym, &addr, &shndx, &elf, &bias);
		unsigned char type = GELF_ST_TYPE(sym.st_info);

		if (!name || !*name || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    shndx == SHN_UNDEF || !addr)
			continue;
		in[nr++] = (struct elf_syms_input){
			.addr = addr,
			.size = sym.st_size,
			.name = name,
			.bind = GELF_ST_BIND(sym.st_info),
		};
	}
	if (nr)
		es = elf_syms__from_list(in, nr);
	free(in);
	return es;
}

struct elf_syms *dwarf_lines__symbols(struct dwarf_lines *dl)
{
	struct elf_syms *volatile es = NULL;
	sigjmp_buf env;

	/* only where the symbol table flamed reads is not the one libdwfl has: MiniDebugInfo, and
	 * a debug file found by .gnu_debuglink or debuginfod (its .symtab names what the stripped
	 * file cannot: _start, static functions) */
	if (!dl || !dl->mod || dl->poisoned ||
	    !(dl->minidebuginfo || dl->find.source == DWARF_DEBUGLINK ||
	      dl->find.source == DWARF_DEBUGINFOD))
		return NULL;
	if (sigsetjmp(env, 1)) {
		dl->poisoned = true;
		elf_syms__free(es);
		return NULL;
	}
	fault_guard__enter(&env);
	es = symbols_guarded(dl);
	fault_guard__leave();
	return es;
}

bool dwarf_lines__too_big(const struct dwarf_lines *dl)
{
	return dl && dl->find.too_big;
}

bool dwarf_lines__faulted(const struct dwarf_lines *dl)
{
	return dl && dl->poisoned;
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
	if (!dl->poisoned) { /* else libdw's state is unknown (locks held?): leaked */
		dwarf_names__free(dl->names);
		dwfl_end(dl->dwfl);
	}
	debug_find__fini(&dl->find);
	free(dl);
}
