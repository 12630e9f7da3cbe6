// SPDX-License-Identifier: MIT
/* Unwind-table builder: takes the CIEs and FDEs of .eh_frame/.debug_frame (src/elf/eh_frame.h
 * finds and reads them), runs each FDE's CFA program with a small interpreter that tracks only
 * what the x86_64 walker needs (CFA, rbp, return address), and appends compact rows, merging
 * identical neighbours. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf/eh_frame.h"
#include "unwind/cfa_program.h"
#include "unwind/unwind_table.h"
#include "util/array.h"
#include "util/cursor.h"

/* Largest CFI section read (after decompression). The biggest seen here, libcublasLt's and
 * libLLVM's .eh_frame, are 5-6 MiB; anything beyond this is refused rather than allocated (and
 * interpreted, ~10 ms per MiB) on a file's say-so. */
#define MAX_CFI_BYTES (64u << 20)

struct cie {
	struct eh_frame_cie h;
	struct cfi_state init; /* after the initial instructions */
	uint8_t sec;
	bool ra_ok;    /* return-address column is 16 */
	bool bad_init; /* initial instructions malformed */
};

struct fde_ref {
	uint64_t begin;
	uint64_t end;
	const uint8_t *insns;
	const uint8_t *insns_end;
	uint32_t cie; /* index in builder.cies */
	uint32_t seq; /* enumeration order: deterministic tie-break */
	uint8_t sec;  /* 0 = .eh_frame, 1 = .debug_frame */
};

struct builder {
	struct eh_frame_sec secs[2]; /* .eh_frame first, then .debug_frame */
	int nsecs;
	uint64_t base;
	size_t max_rows; /* 0 = no limit */

	struct cie *cies;
	size_t nr_cies, cap_cies;
	struct fde_ref *fdes;
	size_t nr_fdes, cap_fdes;

	struct unwind_row *rows;
	size_t nr_rows, cap_rows;
	struct unwind_table_stats *stats;
};

struct unwind_table {
	struct unwind_row *rows;
	size_t nr;
	uint64_t base;
	size_t build_id_len;
	uint8_t build_id[UNWIND_BUILD_ID_MAX];
	struct unwind_table_stats stats;
};

/* ---- rows ---- */

static struct unwind_row row_make(unsigned int cfa_kind, int16_t cfa_off, unsigned int rbp_kind,
				  int8_t rbp_off)
{
	struct unwind_row r = {
		.pc = 0,
		.cfa_off = cfa_off,
		.kinds = (uint8_t)(cfa_kind | rbp_kind << 4),
		.rbp_off = rbp_off,
	};
	return r;
}

static struct unwind_row row_unsupported(enum unwind_unsupported reason)
{
	return row_make(UNWIND_CFA_UNSUPPORTED, (int16_t)reason, UNWIND_RBP_UNCHANGED, 0);
}

static bool scaled_fits(int64_t off, int64_t min, int64_t max, int64_t *ret)
{
	if (off % UNWIND_OFF_SCALE)
		return false;
	off /= UNWIND_OFF_SCALE;
	if (off < min || off > max)
		return false;
	*ret = off;
	return true;
}

static struct unwind_row encode_row(const struct cie *cie, const struct cfi_state *st)
{
	unsigned int cfa_kind, rbp_kind;
	int64_t cfa_off, rbp_off = 0;
	int8_t aux = 0;

	if (!cie->ra_ok)
		return row_unsupported(UNWIND_UNSUP_RA_COLUMN);
	if (cie->h.signal)
		return row_unsupported(UNWIND_UNSUP_SIGNAL);
	if (st->ra.how == RULE_UNDEF) /* _start, clone's child: the end of the stack */
		return row_make(UNWIND_CFA_END, 0, UNWIND_RBP_UNCHANGED, 0);
	if (st->ra.how != RULE_OFFSET || st->ra.off != -8)
		return row_unsupported(UNWIND_UNSUP_RA_RULE);

	switch (st->cfa.how) {
	case CFAH_REG_OFF:
		if (st->cfa.reg == REG_RSP)
			cfa_kind = UNWIND_CFA_RSP;
		else if (st->cfa.reg == REG_RBP)
			cfa_kind = UNWIND_CFA_RBP;
		else
			return row_unsupported(UNWIND_UNSUP_CFA_REG);
		break;
	case CFAH_PLT:
		/* the row's rbp_off slot carries the threshold, so rbp must be untouched */
		if (st->rbp.how != RULE_SAME)
			return row_unsupported(UNWIND_UNSUP_CFA_EXPR);
		cfa_kind = UNWIND_CFA_PLT;
		aux = (int8_t)st->cfa.plt_k;
		break;
	case CFAH_DEREF_RBP:
		cfa_kind = UNWIND_CFA_DEREF_RBP;
		break;
	case CFAH_NONE:
		return row_unsupported(UNWIND_UNSUP_BAD_CFI);
	default:
		return row_unsupported(UNWIND_UNSUP_CFA_EXPR);
	}
	if (!scaled_fits(st->cfa.off, INT16_MIN, INT16_MAX, &cfa_off))
		return row_unsupported(UNWIND_UNSUP_OFFSET);
	if (cfa_kind == UNWIND_CFA_PLT)
		return row_make(cfa_kind, (int16_t)cfa_off, UNWIND_RBP_UNCHANGED, aux);

	switch (st->rbp.how) {
	case RULE_SAME:
		rbp_kind = UNWIND_RBP_UNCHANGED;
		break;
	case RULE_UNDEF:
		rbp_kind = UNWIND_RBP_UNDEFINED;
		break;
	case RULE_OFFSET:
	case RULE_AT_RBP:
		rbp_kind = st->rbp.how == RULE_OFFSET ? UNWIND_RBP_AT_CFA : UNWIND_RBP_AT_RBP;
		if (!scaled_fits(st->rbp.off, INT8_MIN, INT8_MAX, &rbp_off)) {
			rbp_kind = UNWIND_RBP_UNSUPPORTED;
			rbp_off = 0;
		}
		break;
	default:
		rbp_kind = UNWIND_RBP_UNSUPPORTED;
		break;
	}
	return row_make(cfa_kind, (int16_t)cfa_off, rbp_kind, (int8_t)rbp_off);
}

static bool row_same(const struct unwind_row *a, const struct unwind_row *b)
{
	return a->cfa_off == b->cfa_off && a->kinds == b->kinds && a->rbp_off == b->rbp_off;
}

/* Append a row starting at vaddr. Rows at or after vaddr (an earlier FDE overlapping this one,
 * or its end gap) are dropped first; a row equal to its predecessor is merged into it. */
static int emit(struct builder *b, uint64_t vaddr, struct unwind_row r, bool gap)
{
	struct unwind_table_stats *st = b->stats;
	unsigned int kind = unwind_row_cfa_kind(&r);
	int err;

	r.pc = (uint32_t)(vaddr - b->base);
	if (!gap) {
		st->rows_raw++;
		if (kind == UNWIND_CFA_UNSUPPORTED && r.cfa_off > 0 &&
		    r.cfa_off < UNWIND_UNSUP__MAX)
			st->unsupported[r.cfa_off]++;
		else if (kind == UNWIND_CFA_PLT)
			st->plt_rows++;
		else if (kind == UNWIND_CFA_END)
			st->end_rows++;
		if (unwind_row_rbp_kind(&r) == UNWIND_RBP_UNSUPPORTED)
			st->rbp_unsupported++;
	}
	while (b->nr_rows && b->rows[b->nr_rows - 1].pc >= r.pc)
		b->nr_rows--;
	if (b->nr_rows && row_same(&b->rows[b->nr_rows - 1], &r))
		return 0;
	if (b->max_rows && b->nr_rows >= b->max_rows)
		return -E2BIG;
	err = array_grow((void **)&b->rows, &b->cap_rows, b->nr_rows + 1, sizeof(*b->rows));
	if (err)
		return err;
	b->rows[b->nr_rows++] = r;
	return 0;
}

/* ---- CIEs and FDEs ---- */

/* The CIE e of section sec, its initial instructions run. 0 or -EINVAL (not kept). */
static int parse_cie(struct builder *b, int sec, const struct eh_frame_entry *e, struct cie *cie)
{
	const struct eh_frame_sec *s = &b->secs[sec];
	struct cfa_interp in = { 0 };

	memset(cie, 0, sizeof(*cie));
	if (eh_frame_parse_cie(s, e, &cie->h))
		return -EINVAL;
	cie->sec = (uint8_t)sec;
	cie->ra_ok = cie->h.ra_reg == REG_RA;
	if (!cie->h.code_align)
		cie->h.code_align = 1; /* avoids a zero-progress loop; such CFI is broken anyway */
	in.cie = &cie->h;
	in.sec = s;
	cie->bad_init = cfa_program_run(&in, cie->h.insns, cie->h.insns_end) != 0;
	cie->init = in.st;
	return 0;
}

static int cie_cmp(const void *key, const void *elem)
{
	const struct cie *k = key, *e = elem;

	if (k->sec != e->sec)
		return k->sec < e->sec ? -1 : 1;
	if (k->h.off != e->h.off)
		return k->h.off < e->h.off ? -1 : 1;
	return 0;
}

/* Pass 1: every CIE of a section, in offset order (so the array stays sorted by (sec, off)). A CIE
 * that does not parse is not kept; its FDEs are then counted as bad. */
static int collect_cies(struct builder *b, int sec)
{
	const struct eh_frame_sec *s = &b->secs[sec];
	struct eh_frame_entry e;
	size_t off = 0;
	int err;

	while (eh_frame_next(s, &off, &e) > 0) {
		if (!e.is_cie)
			continue;
		err = array_grow((void **)&b->cies, &b->cap_cies, b->nr_cies + 1, sizeof(*b->cies));
		if (err)
			return err;
		if (parse_cie(b, sec, &e, &b->cies[b->nr_cies]) == 0) {
			b->nr_cies++;
			b->stats->cies++;
		}
	}
	return 0; /* a malformed entry ends the section; what came before is kept */
}

/* Pass 2: every FDE with a parsable header and a usable address range. */
static int collect_fdes(struct builder *b, int sec)
{
	const struct eh_frame_sec *s = &b->secs[sec];
	struct unwind_table_stats *st = b->stats;
	struct eh_frame_entry e;
	size_t off = 0;
	int err;

	while (eh_frame_next(s, &off, &e) > 0) {
		struct cie key = { .sec = (uint8_t)sec };
		struct eh_frame_fde fde;
		struct cie *cie = NULL;
		uint64_t end;
		struct fde_ref *f;

		if (e.is_cie)
			continue;
		if (s->is_eh)
			st->fdes_eh_frame++;
		else
			st->fdes_debug_frame++;
		if (!eh_frame_fde_cie_off(s, &e, &key.h.off) && b->nr_cies)
			cie = bsearch(&key, b->cies, b->nr_cies, sizeof(*b->cies), cie_cmp);
		if (!cie || eh_frame_parse_fde(s, &e, &cie->h, &fde)) {
			st->fdes_bad++;
			continue;
		}
		if (!fde.range) {
			st->fdes_empty++;
			continue;
		}
		/* rows hold 32-bit offsets from base */
		if (fde.begin < b->base || __builtin_add_overflow(fde.begin, fde.range, &end) ||
		    end - b->base > UINT32_MAX) {
			st->fdes_bad++;
			continue;
		}
		err = array_grow((void **)&b->fdes, &b->cap_fdes, b->nr_fdes + 1, sizeof(*b->fdes));
		if (err)
			return err;
		f = &b->fdes[b->nr_fdes];
		f->begin = fde.begin;
		f->end = end;
		f->insns = fde.insns;
		f->insns_end = fde.insns_end;
		f->cie = (uint32_t)(cie - b->cies);
		f->seq = (uint32_t)b->nr_fdes;
		f->sec = (uint8_t)sec;
		b->nr_fdes++;
	}
	return 0;
}

static int fde_cmp(const void *pa, const void *pb)
{
	const struct fde_ref *a = pa, *b = pb;

	if (a->begin != b->begin)
		return a->begin < b->begin ? -1 : 1;
	if (a->sec != b->sec) /* .eh_frame first: the later one wins at the same address */
		return a->sec > b->sec ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* Linkers mostly emit FDEs in address order: skip the sort when they are. */
static void sort_fdes(struct fde_ref *f, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (fde_cmp(&f[i - 1], &f[i]) > 0) {
			qsort(f, n, sizeof(*f), fde_cmp);
			return;
		}
	}
}

/* Does any of the sorted, mostly disjoint FDEs eh[0..n) overlap [begin, end)? */
static bool covered(const struct fde_ref *eh, size_t n, uint64_t begin, uint64_t end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* first with eh.begin >= begin */
		size_t mid = lo + (hi - lo) / 2;

		if (eh[mid].begin < begin)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && eh[lo].begin < end) || (lo > 0 && eh[lo - 1].end > begin);
}

/* .debug_frame fills holes only: drop its FDEs whose range .eh_frame already describes. */
static void drop_duplicates(struct builder *b, size_t n_eh)
{
	size_t out = n_eh;

	sort_fdes(b->fdes, n_eh);
	for (size_t i = n_eh; i < b->nr_fdes; i++) {
		if (covered(b->fdes, n_eh, b->fdes[i].begin, b->fdes[i].end))
			b->stats->fdes_duplicate++;
		else
			b->fdes[out++] = b->fdes[i];
	}
	b->nr_fdes = out;
}

struct fde_run {
	struct builder *b;
	const struct cie *cie;
};

/* cfa_interp.row: the interpreter's state at loc, as a row */
static int fde_row(void *ctx, uint64_t loc, const struct cfi_state *st)
{
	struct fde_run *r = ctx;

	return emit(r->b, loc, encode_row(r->cie, st), false);
}

static int run_fde(struct builder *b, const struct fde_ref *f, uint64_t *prev_end)
{
	const struct cie *cie = &b->cies[f->cie];
	struct fde_run run = { b, cie };
	struct cfa_interp in = {
		.sec = &b->secs[f->sec],
		.cie = &cie->h,
		.init = &cie->init,
		.end = f->end,
		.row = fde_row,
		.ctx = &run,
		.st = cie->init,
		.loc = f->begin,
	};
	int err = 0;

	if (f->begin < *prev_end) /* prev_end: the furthest end so far */
		b->stats->fdes_overlap++;
	b->stats->fdes_used++;
	if (cie->bad_init)
		err = -EINVAL;
	else
		err = cfa_program_run(&in, f->insns, f->insns_end);
	if (err == -ENOMEM || err == -E2BIG)
		return err;
	if (in.loc < f->end) {
		/* the rest of the range: the final state, or unsupported after bad CFI */
		struct unwind_row r =
			err ? row_unsupported(UNWIND_UNSUP_BAD_CFI) : encode_row(cie, &in.st);

		err = emit(b, in.loc, r, false);
		if (err)
			return err;
	}
	if (f->end > *prev_end)
		*prev_end = f->end;
	return emit(b, f->end, row_make(UNWIND_CFA_NONE, 0, UNWIND_RBP_UNCHANGED, 0), true);
}

static int build_rows(struct builder *b)
{
	uint64_t prev_end = 0;
	size_t n_eh = 0;
	int err;

	for (int i = 0; i < b->nsecs; i++) {
		err = collect_cies(b, i);
		if (err)
			return err;
	}
	for (int i = 0; i < b->nsecs; i++) {
		err = collect_fdes(b, i);
		if (err)
			return err;
		if (i == 0)
			n_eh = b->nr_fdes;
	}
	if (!b->nr_fdes)
		return 0;
	if (b->secs[0].is_eh && b->nr_fdes > n_eh)
		drop_duplicates(b, n_eh);
	sort_fdes(b->fdes, b->nr_fdes);
	for (size_t i = 0; i < b->nr_fdes; i++) {
		err = run_fde(b, &b->fdes[i], &prev_end);
		if (err)
			return err;
	}
	return 0;
}

/* Run the builder over b->secs into t (rows, stats). Frees the builder's arrays. */
static int builder_run(struct builder *b, struct unwind_table *t)
{
	int err;

	b->stats = &t->stats;
	t->base = b->base;
	err = build_rows(b);
	if (err)
		goto cleanup;
	/* shrink to fit: tables live long, the builder over-allocates */
	if (b->nr_rows && b->nr_rows < b->cap_rows) {
		struct unwind_row *r = reallocarray(b->rows, b->nr_rows, sizeof(*r));

		if (r)
			b->rows = r;
	}
	t->rows = b->rows;
	t->nr = b->nr_rows;
	b->rows = NULL;
	t->stats.rows = t->nr;
	for (size_t i = 0; i < t->nr; i++)
		t->stats.gap_rows += unwind_row_cfa_kind(&t->rows[i]) == UNWIND_CFA_NONE;
cleanup:
	free(b->cies);
	free(b->fdes);
	free(b->rows);
	b->cies = NULL;
	b->fdes = NULL;
	b->rows = NULL;
	return err;
}

static size_t opts_max_rows(const struct unwind_table_opts *opts)
{
	if (opts && opts->max_bytes)
		return opts->max_bytes / sizeof(struct unwind_row);
	return 0;
}

struct unwind_table *unwind_table__build_cfi(const void *eh_frame, size_t eh_len, uint64_t eh_vaddr,
					     const void *debug_frame, size_t debug_len,
					     uint64_t base, const struct unwind_table_opts *opts)
{
	struct unwind_table *t = calloc(1, sizeof(*t));
	struct builder b;
	int err;

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	memset(&b, 0, sizeof(b));
	b.base = base;
	b.max_rows = opts_max_rows(opts);
	if (eh_frame && eh_len)
		b.secs[b.nsecs++] = (struct eh_frame_sec){ .data = eh_frame,
							   .size = eh_len,
							   .vaddr = eh_vaddr,
							   .ptr_size = 8,
							   .is_eh = true };
	if (debug_frame && debug_len)
		b.secs[b.nsecs++] = (struct eh_frame_sec){ .data = debug_frame,
							   .size = debug_len,
							   .ptr_size = 8 };
	err = builder_run(&b, t);
	if (err) {
		unwind_table__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

/* ---- ELF ---- */

static int build_elf(Elf *elf, const struct unwind_table_opts *opts, struct unwind_table **ret)
{
	bool debug_frame = !(opts && opts->skip_debug_frame);
	struct unwind_table *t = NULL;
	struct eh_frame_cfi cfi;
	struct builder b;
	size_t nph = 0;
	GElf_Ehdr eh;
	int err;

	memset(&b, 0, sizeof(b));
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return -ENOEXEC;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return -ENOTSUP;
	/* rows are offsets from the lowest PT_LOAD */
	if (elf_getphdrnum(elf, &nph))
		nph = 0;
	for (size_t i = 0, found = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (!found++ || ph.p_vaddr < b.base)
			b.base = ph.p_vaddr;
	}
	err = eh_frame_locate(elf, MAX_CFI_BYTES, debug_frame, &cfi);
	if (err) /* a CFI section over MAX_CFI_BYTES */
		return err;
	if (cfi.eh.size)
		b.secs[b.nsecs++] = cfi.eh;
	if (cfi.debug.size)
		b.secs[b.nsecs++] = cfi.debug;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	b.max_rows = opts_max_rows(opts);
	t->build_id_len = elf_read_build_id(elf, t->build_id);
	err = builder_run(&b, t);
	if (err) {
		unwind_table__free(t);
		return err;
	}
	*ret = t;
	return 0;
}

static void *build_cb(Elf *elf, void *opts)
{
	struct unwind_table *t = NULL;
	int err = build_elf(elf, opts, &t);

	if (err) {
		errno = -err;
		return NULL;
	}
	return t;
}

/* Size and modification time: a file that changes while it is read gives no table. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

struct unwind_table *unwind_table__build_fd(int fd, const struct unwind_table_opts *opts)
{
	struct unwind_table *t;
	struct stat before, after;

	if (fstat(fd, &before))
		return NULL;
	/* pread into libelf's own buffers: a mapping of a file another user can truncate would
	 * SIGBUS flamed on the first access past the new end */
	t = elf_with_fd(fd, build_cb, (void *)opts);
	if (t && (fstat(fd, &after) || !same_file(&before, &after))) {
		unwind_table__free(t);
		errno = EIO;
		return NULL;
	}
	if (!t && errno != ENOMEM && errno != E2BIG && errno != ENOTSUP && !fstat(fd, &after) &&
	    !same_file(&before, &after))
		errno = EIO; /* truncated mid-read: say so rather than "not ELF" */
	return t;
}

struct unwind_table *unwind_table__build_mem(const void *buf, size_t len,
					     const struct unwind_table_opts *opts)
{
	/* libelf treats a memory image as writable (elf_compress rewrites section headers in place
	 * when .debug_frame is compressed): elf_with_mem gives it a private copy */
	return elf_with_mem(buf, len, build_cb, (void *)opts);
}

struct unwind_table *unwind_table__build_path(const char *path,
					      const struct unwind_table_opts *opts)
{
	struct unwind_table *t;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	t = unwind_table__build_fd(fd, opts);
	saved = errno;
	close(fd);
	errno = saved;
	return t;
}

long unwind_table__find(const struct unwind_table *t, uint64_t vaddr)
{
	size_t lo = 0, hi;
	uint64_t rel;

	if (!t || !t->nr || vaddr < t->base || vaddr - t->base > UINT32_MAX)
		return -ENOENT;
	rel = vaddr - t->base;
	hi = t->nr;
	while (lo < hi) { /* first row with pc > rel */
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (long)(lo - 1) : -ENOENT;
}

int unwind_table__lookup(const struct unwind_table *t, uint64_t vaddr, struct unwind_row *ret_row)
{
	long i = unwind_table__find(t, vaddr);

	if (i < 0 || unwind_row_cfa_kind(&t->rows[i]) == UNWIND_CFA_NONE)
		return -ENOENT;
	if (ret_row)
		*ret_row = t->rows[i];
	return 0;
}

const struct unwind_row *unwind_table__rows(const struct unwind_table *t)
{
	return t->rows;
}

size_t unwind_table__nr(const struct unwind_table *t)
{
	return t->nr;
}

uint64_t unwind_table__base(const struct unwind_table *t)
{
	return t->base;
}

const uint8_t *unwind_table__build_id(const struct unwind_table *t, size_t *ret_len)
{
	if (ret_len)
		*ret_len = t->build_id_len;
	return t->build_id_len ? t->build_id : NULL;
}

uint64_t unwind_table__hash(const struct unwind_table *t)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->base ^ ((uint64_t)t->nr << 32), w;

	/* FNV-1a over whole rows (8 bytes each), not bytes: 8x fewer steps on 1M-row tables */
	for (size_t i = 0; i < t->nr; i++) {
		memcpy(&w, &t->rows[i], sizeof(w));
		h = (h ^ w) * 0x100000001b3ULL;
	}
	/* splitmix64 finaliser: FNV's low bits mix poorly on word input */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

size_t unwind_table__mem_bytes(const struct unwind_table *t)
{
	return t ? sizeof(*t) + t->nr * sizeof(*t->rows) : 0;
}

const struct unwind_table_stats *unwind_table__stats(const struct unwind_table *t)
{
	return &t->stats;
}

const char *unwind_unsupported_str(unsigned int reason)
{
	static const char *const names[UNWIND_UNSUP__MAX] = {
		[UNWIND_UNSUP_CFA_REG] = "cfa-register", [UNWIND_UNSUP_CFA_EXPR] = "cfa-expression",
		[UNWIND_UNSUP_RA_RULE] = "ra-rule",	 [UNWIND_UNSUP_RA_COLUMN] = "ra-column",
		[UNWIND_UNSUP_SIGNAL] = "signal-frame",	 [UNWIND_UNSUP_OFFSET] = "offset-range",
		[UNWIND_UNSUP_BAD_CFI] = "bad-cfi",
	};

	return reason < UNWIND_UNSUP__MAX && names[reason] ? names[reason] : "unknown";
}

const char *unwind_cfa_kind_str(unsigned int kind)
{
	static const char *const names[] = {
		[UNWIND_CFA_NONE] = "none",
		[UNWIND_CFA_RSP] = "rsp",
		[UNWIND_CFA_RBP] = "rbp",
		[UNWIND_CFA_PLT] = "plt",
		[UNWIND_CFA_DEREF_RBP] = "deref-rbp",
		[UNWIND_CFA_END] = "end",
		[UNWIND_CFA_UNSUPPORTED] = "unsupported",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

void unwind_table__free(struct unwind_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}
