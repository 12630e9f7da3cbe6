// SPDX-License-Identifier: MIT
/* Per unit, from its base (its lowest address): line breakpoints delta-encoded in blocks of
 * LINE_BLOCK (an address step, a line step and, when it changes, the file as an index into the
 * unit's files: 2-3 bytes each, against libdw's 48 per row), functions (their strings as pool
 * ids, the enclosing function, their own ranges as 32-bit offsets) and an index of those ranges
 * sorted by start. The lookup is a binary search over the blocks and one block's decoding, then
 * a binary search for the last range starting at or before the address and up the enclosing
 * functions to the innermost that holds it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/dwarf_table.h"
#include "util/hashmap.h"

#define UNIT_LOOK_BACK 8  /* unit ranges may nest or overlap: how far back a lookup looks */
#define LINE_BLOCK     16 /* breakpoints per block */

struct dt_block {
	uint32_t off;  /* its first breakpoint's address, from the unit's base */
	uint32_t byte; /* where its encoding starts in lbytes */
};

struct dt_fn {
	uint32_t name, decl_file, decl_line, call_file, call_line;
	int32_t parent; /* unit-relative index, -1 none */
	uint32_t first; /* its own ranges: own[first .. first + count), table-wide */
	uint16_t count;
	uint16_t depth;
	uint8_t flags;
};

#define FN_INLINED 1u

struct dt_range {
	uint32_t lo, len; /* from the unit's base */
};

struct dt_unit {
	uint64_t unit; /* DIE offset */
	uint64_t base; /* its lowest address */
	uint32_t first_block, nr_blocks, nr_lines;
	uint32_t first_file, nr_files; /* files[]: pool ids of its lines' files */
	uint32_t first_fn, nr_fns;
	uint32_t first_range, nr_ranges; /* own[] and order[] slices */
};

/* The unit being filled: its breakpoints and ranges as given (the base is known at the end). */
struct dt_raw_line {
	uint64_t addr;
	uint32_t file, line;
};

struct dt_raw_range {
	uint64_t lo, hi;
};

struct dwarf_table {
	uint64_t bias; /* the file's address - DWARF address */
	struct dwarf_table_range *aranges, *ranges;
	size_t nr_aranges, nr_ranges, nr_known;
	struct hashmap by_unit; /* DIE offset -> index + 1 in units[] */
	struct dt_unit *units;
	size_t nr_units, cap_units;
	struct dt_block *blocks;
	size_t nr_blocks, cap_blocks;
	uint8_t *lbytes;
	size_t nr_lbytes, cap_lbytes;
	uint32_t *files;
	size_t nr_files, cap_files;
	struct dt_fn *fns;
	size_t nr_fns, cap_fns;
	struct dt_range *own;
	uint32_t *order; /* per unit: indexes into own[], sorted by (lo, depth); nr_own long */
	size_t nr_own, cap_own;
	char *pool; /* strings, NUL-terminated; id = offset + 1, 0 means NULL */
	size_t pool_len, pool_cap;
	struct hashmap strs; /* string id (tagged) -> id; dropped once every unit is in */
	/* the unit being filled */
	bool open;
	struct dt_unit cur;
	struct dt_raw_line *raw_lines;
	size_t nr_raw_lines, cap_raw_lines;
	struct dt_raw_range *raw_own;
	size_t nr_raw_own, cap_raw_own;
};

/* Keys of strs: a pool id tagged (id << 1 | 1), or, for a lookup, the address of a
 * `const char *` (aligned: low bit 0). */
static const char *str_of_key(const struct dwarf_table *t, uintptr_t k)
{
	return k & 1 ? t->pool + (k >> 1) - 1 : *(const char *const *)k;
}

static uint64_t hash_str_key(uintptr_t k, void *ctx)
{
	const char *s = str_of_key(ctx, k);

	return hash_bytes(s, strlen(s), 7);
}

static bool equal_str_key(uintptr_t a, uintptr_t b, void *ctx)
{
	return !strcmp(str_of_key(ctx, a), str_of_key(ctx, b));
}

struct dwarf_table *dwarf_table__new(void)
{
	struct dwarf_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	hashmap__init(&t->by_unit, hashmap_hash_int, hashmap_equal_int, NULL);
	hashmap__init(&t->strs, hash_str_key, equal_str_key, t);
	return t;
}

/* Grow *arr (of size elements) to hold one more than *nr; 0 or -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t nr, size_t size)
{
	void *p;
	size_t ncap;

	if (nr < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = reallocarray(*arr, ncap, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

#define GROW(arr, cap, nr) grow((void **)&(arr), &(cap), (nr), sizeof(*(arr)))

/* The arrays' allocations are trimmed to their use once a unit is in: a table is filled once
 * and then only read, for as long as the file's names are needed. */
static void shrink(void **arr, size_t *cap, size_t nr, size_t size)
{
	void *p;

	if (!nr || nr == *cap)
		return;
	p = realloc(*arr, nr * size);
	if (p) {
		*arr = p;
		*cap = nr;
	}
}

#define SHRINK(arr, cap, nr) shrink((void **)&(arr), &(cap), (nr), sizeof(*(arr)))

static int range_lo_cmp(const void *a, const void *b)
{
	const struct dwarf_table_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int uint64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct dwarf_table_range *copy_sorted(const struct dwarf_table_range *src, size_t nr)
{
	struct dwarf_table_range *dst;

	if (!nr)
		return NULL;
	dst = malloc(nr * sizeof(*dst));
	if (!dst)
		return NULL;
	memcpy(dst, src, nr * sizeof(*dst));
	qsort(dst, nr, sizeof(*dst), range_lo_cmp);
	return dst;
}

int dwarf_table__set_units(struct dwarf_table *t, uint64_t bias,
			   const struct dwarf_table_range *aranges, size_t nr_aranges,
			   const struct dwarf_table_range *ranges, size_t nr_ranges)
{
	uint64_t *ids;
	size_t n = 0;

	t->bias = bias;
	free(t->aranges);
	free(t->ranges);
	t->aranges = copy_sorted(aranges, nr_aranges);
	t->ranges = copy_sorted(ranges, nr_ranges);
	t->nr_aranges = t->aranges ? nr_aranges : 0;
	t->nr_ranges = t->ranges ? nr_ranges : 0;
	if ((nr_aranges && !t->aranges) || (nr_ranges && !t->ranges))
		return -ENOMEM;
	/* distinct units, for the count */
	ids = malloc((nr_aranges + nr_ranges + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < nr_aranges; i++)
		ids[n++] = aranges[i].unit;
	for (size_t i = 0; i < nr_ranges; i++)
		ids[n++] = ranges[i].unit;
	qsort(ids, n, sizeof(*ids), uint64_cmp);
	t->nr_known = 0;
	for (size_t i = 0; i < n; i++)
		t->nr_known += !i || ids[i] != ids[i - 1];
	free(ids);
	return 0;
}

/* Index of the last range of r[0..nr) starting at or before vaddr, plus one (0: none). */
static size_t upper(const struct dwarf_table_range *r, size_t nr, uint64_t vaddr)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int dwarf_table__unit_of(const struct dwarf_table *t, uint64_t vaddr, uint64_t *ret_unit)
{
	size_t i;

	if (!t)
		return -ENOENT;
	vaddr -= t->bias;
	/* .debug_aranges first, as libdwfl finds units */
	i = upper(t->aranges, t->nr_aranges, vaddr);
	if (i && vaddr < t->aranges[i - 1].hi) {
		*ret_unit = t->aranges[i - 1].unit;
		return 0;
	}
	i = upper(t->ranges, t->nr_ranges, vaddr);
	for (size_t steps = 0; i > 0 && steps < UNIT_LOOK_BACK; i--, steps++)
		if (vaddr < t->ranges[i - 1].hi) {
			*ret_unit = t->ranges[i - 1].unit;
			return 0;
		}
	return -ENOENT;
}

static const struct dt_unit *unit_at(const struct dwarf_table *t, uint64_t unit)
{
	uintptr_t v;

	return hashmap__find(&t->by_unit, (uintptr_t)unit, &v) ? &t->units[v - 1] : NULL;
}

bool dwarf_table__has_unit(const struct dwarf_table *t, uint64_t unit)
{
	return t && unit_at(t, unit);
}

size_t dwarf_table__nr_units(const struct dwarf_table *t)
{
	return t ? t->nr_known : 0;
}

size_t dwarf_table__nr_extracted(const struct dwarf_table *t)
{
	return t ? t->nr_units : 0;
}

int dwarf_table__begin_unit(struct dwarf_table *t, uint64_t unit)
{
	if (t->open)
		return -EBUSY;
	if (unit_at(t, unit))
		return -EEXIST;
	t->open = true;
	t->cur = (struct dt_unit){
		.unit = unit,
		.first_block = (uint32_t)t->nr_blocks,
		.first_file = (uint32_t)t->nr_files,
		.first_fn = (uint32_t)t->nr_fns,
		.first_range = (uint32_t)t->nr_own,
	};
	t->nr_raw_lines = t->nr_raw_own = 0;
	return 0;
}

uint32_t dwarf_table__string(struct dwarf_table *t, const char *s)
{
	size_t len;
	uintptr_t v;
	uint32_t id;

	if (!s)
		return 0;
	if (hashmap__find(&t->strs, (uintptr_t)&s, &v))
		return (uint32_t)v;
	len = strlen(s) + 1;
	if (t->pool_len + len >= UINT32_MAX / 2)
		return 0; /* a pool past 2 GiB: no more strings (never for real DWARF) */
	if (t->pool_len + len > t->pool_cap) {
		size_t cap = t->pool_cap ? t->pool_cap : 4096;
		char *p;

		while (cap < t->pool_len + len)
			cap *= 2;
		p = realloc(t->pool, cap);
		if (!p)
			return 0;
		t->pool = p;
		t->pool_cap = cap;
	}
	memcpy(t->pool + t->pool_len, s, len);
	id = (uint32_t)t->pool_len + 1;
	t->pool_len += len;
	if (hashmap__set(&t->strs, (uintptr_t)id << 1 | 1, id)) {
		t->pool_len -= len;
		return 0;
	}
	return id;
}

static const char *str(const struct dwarf_table *t, uint32_t id)
{
	return id ? t->pool + id - 1 : NULL;
}

int dwarf_table__add_line(struct dwarf_table *t, uint64_t addr, uint32_t file, uint32_t line)
{
	struct dt_raw_line *last;

	if (!t->open)
		return -EINVAL;
	if (t->nr_raw_lines) {
		last = &t->raw_lines[t->nr_raw_lines - 1];
		if (addr < last->addr || addr - t->raw_lines[0].addr > UINT32_MAX)
			return -EINVAL;
		if (file == last->file && line == last->line)
			return 0;	  /* the same answer goes on */
		if (addr == last->addr) { /* replaces the answer at that address */
			last->file = file;
			last->line = line;
			return 0;
		}
	} else if (!file && !line) {
		return 0; /* no row before the first one anyway */
	}
	if (GROW(t->raw_lines, t->cap_raw_lines, t->nr_raw_lines))
		return -ENOMEM;
	t->raw_lines[t->nr_raw_lines++] = (struct dt_raw_line){ addr, file, line };
	return 0;
}

int32_t dwarf_table__add_fn(struct dwarf_table *t, const struct dwarf_table_fn *fn)
{
	if (!t->open || t->cur.nr_fns >= INT32_MAX)
		return -EINVAL;
	if (fn->parent >= (int32_t)t->cur.nr_fns)
		return -EINVAL;
	if (GROW(t->fns, t->cap_fns, t->nr_fns))
		return -ENOMEM;
	t->fns[t->nr_fns++] = (struct dt_fn){
		.name = fn->name,
		.decl_file = fn->decl_file,
		.decl_line = fn->decl_line,
		.call_file = fn->call_file,
		.call_line = fn->call_line,
		.parent = fn->parent,
		.first = (uint32_t)(t->nr_own + t->nr_raw_own),
		.depth = fn->depth,
		.flags = fn->inlined ? FN_INLINED : 0,
	};
	return (int32_t)t->cur.nr_fns++;
}

int dwarf_table__add_fn_range(struct dwarf_table *t, uint64_t lo, uint64_t hi)
{
	struct dt_fn *fn;

	if (!t->open || !t->cur.nr_fns || hi <= lo)
		return -EINVAL;
	fn = &t->fns[t->nr_fns - 1];
	if (fn->count == UINT16_MAX || t->nr_own + t->nr_raw_own >= UINT32_MAX)
		return -EINVAL;
	if (GROW(t->raw_own, t->cap_raw_own, t->nr_raw_own))
		return -ENOMEM;
	t->raw_own[t->nr_raw_own++] = (struct dt_raw_range){ .lo = lo, .hi = hi };
	fn->count++;
	return 0;
}

/* Sort context for a unit's range order (qsort_r). */
struct order_ctx {
	const struct dwarf_table *t;
	const uint16_t *depth; /* per own[] index of the unit, its function's depth */
	uint32_t first;
};

static int order_cmp(const void *a, const void *b, void *arg)
{
	const struct order_ctx *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t lx = c->t->own[x].lo, ly = c->t->own[y].lo;
	uint16_t dx = c->depth[x - c->first], dy = c->depth[y - c->first];

	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (dx != dy)
		return dx < dy ? -1 : 1;
	/* siblings with the same start (assembly aliases: one code, two subprograms): the first
	 * in DIE order is found, as libdw's dwarf_getscopes finds it */
	return x > y ? -1 : x < y;
}

void dwarf_table__abort_unit(struct dwarf_table *t)
{
	if (!t->open)
		return;
	t->nr_blocks = t->cur.first_block;
	t->nr_files = t->cur.first_file;
	t->nr_fns = t->cur.first_fn;
	t->nr_own = t->cur.first_range;
	t->nr_raw_lines = t->nr_raw_own = 0;
	t->open = false;
}

static int put_byte(struct dwarf_table *t, uint8_t b)
{
	if (GROW(t->lbytes, t->cap_lbytes, t->nr_lbytes))
		return -ENOMEM;
	t->lbytes[t->nr_lbytes++] = b;
	return 0;
}

static int put_varint(struct dwarf_table *t, uint64_t v)
{
	while (v >= 0x80) {
		if (put_byte(t, (uint8_t)(v | 0x80)))
			return -ENOMEM;
		v >>= 7;
	}
	return put_byte(t, (uint8_t)v);
}

/* Index of pool id file in the unit's files (added on first use; 0 is no file). */
static int unit_file(struct dwarf_table *t, struct hashmap *seen, uint32_t file, uint32_t *idx)
{
	uintptr_t v;

	if (!file) {
		*idx = 0;
		return 0;
	}
	if (hashmap__find(seen, file, &v)) {
		*idx = (uint32_t)v;
		return 0;
	}
	if (GROW(t->files, t->cap_files, t->nr_files))
		return -ENOMEM;
	t->files[t->nr_files++] = file;
	*idx = ++t->cur.nr_files;
	return hashmap__set(seen, file, *idx);
}

/* The unit's breakpoints in blocks: per breakpoint the address step (none for a block's first,
 * whose address is in the block), then (line step zigzagged << 1 | file changed), then the
 * file's index if it changed. Each block starts from line 0 and no file. */
static int encode_lines(struct dwarf_table *t, struct dt_unit *u)
{
	struct hashmap seen;
	uint64_t prev_addr = 0;
	uint32_t prev_line = 0, prev_file = UINT32_MAX, idx;
	int err = 0;

	hashmap__init(&seen, hashmap_hash_int, hashmap_equal_int, NULL);
	for (size_t i = 0; i < t->nr_raw_lines && !err; i++) {
		const struct dt_raw_line *l = &t->raw_lines[i];
		int64_t step;

		if (i % LINE_BLOCK == 0) {
			err = GROW(t->blocks, t->cap_blocks, t->nr_blocks);
			if (err)
				break;
			t->blocks[t->nr_blocks++] = (struct dt_block){
				.off = (uint32_t)(l->addr - u->base),
				.byte = (uint32_t)t->nr_lbytes,
			};
			u->nr_blocks++;
			prev_line = 0;
			prev_file = UINT32_MAX;
		} else {
			err = put_varint(t, l->addr - prev_addr);
		}
		step = (int64_t)l->line - (int64_t)prev_line;
		err = err ?: unit_file(t, &seen, l->file, &idx);
		err = err
			      ?: put_varint(t, (((uint64_t)step << 1) ^ (uint64_t)(step >> 63))
							       << 1 |
						       (idx != prev_file));
		if (!err && idx != prev_file)
			err = put_varint(t, idx);
		prev_addr = l->addr;
		prev_line = l->line;
		prev_file = idx;
	}
	u->nr_lines = (uint32_t)t->nr_raw_lines;
	hashmap__clear(&seen);
	return err;
}

int dwarf_table__end_unit(struct dwarf_table *t)
{
	struct dt_unit *u = &t->cur;
	uint16_t *depth = NULL;
	uint64_t base = UINT64_MAX, top = 0;
	int err = -ENOMEM;

	if (!t->open)
		return -EINVAL;
	if (t->nr_raw_lines) {
		base = t->raw_lines[0].addr;
		top = t->raw_lines[t->nr_raw_lines - 1].addr;
	}
	for (size_t i = 0; i < t->nr_raw_own; i++) {
		base = t->raw_own[i].lo < base ? t->raw_own[i].lo : base;
		top = t->raw_own[i].hi > top ? t->raw_own[i].hi : top;
	}
	if (base != UINT64_MAX && top - base > UINT32_MAX) {
		/* code spread over more than 4 GiB (not a real unit): it answers nothing */
		t->nr_fns = u->first_fn;
		t->nr_raw_lines = t->nr_raw_own = 0;
		u->nr_fns = 0;
	}
	u->base = base == UINT64_MAX ? 0 : base;
	if (encode_lines(t, u))
		goto fail;
	u->nr_ranges = (uint32_t)t->nr_raw_own;
	if (t->nr_raw_own) {
		struct dt_range *own;
		uint32_t *o;

		if (t->nr_own + t->nr_raw_own > t->cap_own) {
			size_t cap = t->nr_own + t->nr_raw_own;

			own = reallocarray(t->own, cap, sizeof(*own));
			if (!own)
				goto fail;
			t->own = own;
			t->cap_own = cap;
		}
		o = reallocarray(t->order, t->nr_own + t->nr_raw_own, sizeof(*o));
		if (!o)
			goto fail;
		t->order = o;
		for (size_t i = 0; i < t->nr_raw_own; i++)
			t->own[t->nr_own + i] = (struct dt_range){
				.lo = (uint32_t)(t->raw_own[i].lo - u->base),
				.len = (uint32_t)(t->raw_own[i].hi - t->raw_own[i].lo),
			};
		t->nr_own += t->nr_raw_own;
		depth = malloc(u->nr_ranges * sizeof(*depth));
		if (!depth)
			goto fail;
		for (uint32_t f = 0; f < u->nr_fns; f++) {
			const struct dt_fn *fn = &t->fns[u->first_fn + f];

			for (uint32_t k = 0; k < fn->count; k++)
				depth[fn->first + k - u->first_range] = fn->depth;
		}
		for (uint32_t i = 0; i < u->nr_ranges; i++)
			t->order[u->first_range + i] = u->first_range + i;
		qsort_r(t->order + u->first_range, u->nr_ranges, sizeof(*t->order), order_cmp,
			&(struct order_ctx){ .t = t, .depth = depth, .first = u->first_range });
	}
	if (GROW(t->units, t->cap_units, t->nr_units))
		goto fail;
	t->units[t->nr_units] = *u;
	if (hashmap__set(&t->by_unit, (uintptr_t)u->unit, t->nr_units + 1))
		goto fail;
	t->nr_units++;
	t->open = false;
	free(depth);
	/* a table is mostly read after it is filled: give back what doubling left over, and once
	 * every unit is in, the strings' index (no string is added any more) */
	SHRINK(t->blocks, t->cap_blocks, t->nr_blocks);
	SHRINK(t->lbytes, t->cap_lbytes, t->nr_lbytes);
	SHRINK(t->files, t->cap_files, t->nr_files);
	SHRINK(t->fns, t->cap_fns, t->nr_fns);
	free(t->raw_lines);
	free(t->raw_own);
	t->raw_lines = NULL;
	t->raw_own = NULL;
	t->cap_raw_lines = t->cap_raw_own = 0;
	if (t->nr_units >= t->nr_known) {
		hashmap__clear(&t->strs);
		SHRINK(t->pool, t->pool_cap, t->pool_len);
	}
	return 0;
fail:
	free(depth);
	dwarf_table__abort_unit(t);
	return err;
}

static uint64_t get_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;

	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* The line answer of vaddr in u: the last breakpoint at or before it. */
static void unit_line(const struct dwarf_table *t, const struct dt_unit *u, uint64_t vaddr,
		      const char **file, uint32_t *line)
{
	const struct dt_block *b = t->blocks + u->first_block;
	size_t lo = 0, hi = u->nr_blocks, n;
	const uint8_t *p, *end;
	uint64_t addr, off;
	uint32_t cur_line = 0, cur_file = 0;

	*file = NULL;
	*line = 0;
	if (!u->nr_lines || vaddr < u->base || vaddr - u->base > UINT32_MAX)
		return;
	off = vaddr - u->base;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return;
	b += lo - 1;
	p = t->lbytes + b->byte;
	end = lo < u->nr_blocks ? t->lbytes + b[1].byte
	      : u->first_block + u->nr_blocks < t->nr_blocks
		      ? t->lbytes + t->blocks[u->first_block + u->nr_blocks].byte
		      : t->lbytes + t->nr_lbytes;
	n = (lo == u->nr_blocks) ? u->nr_lines - (lo - 1) * LINE_BLOCK : LINE_BLOCK;
	addr = b->off;
	for (size_t i = 0; i < n && p < end; i++) {
		uint64_t v;

		if (i) {
			uint64_t next = addr + get_varint(&p, end);

			if (next > off)
				break;
			addr = next;
		}
		v = get_varint(&p, end);
		cur_line = (uint32_t)((int64_t)cur_line +
				      ((int64_t)(v >> 2) ^ -(int64_t)((v >> 1) & 1)));
		if (v & 1) {
			uint64_t idx = get_varint(&p, end);

			cur_file =
				idx && idx <= u->nr_files ? t->files[u->first_file + idx - 1] : 0;
		}
	}
	*file = str(t, cur_file);
	*line = cur_line;
}

/* off: from the unit's base */
static bool fn_holds(const struct dwarf_table *t, const struct dt_fn *fn, uint64_t off)
{
	for (uint32_t i = 0; i < fn->count; i++)
		if (off - t->own[fn->first + i].lo < t->own[fn->first + i].len &&
		    off >= t->own[fn->first + i].lo)
			return true;
	return false;
}

/* Innermost function (unit-relative index) holding vaddr, or -1. */
static int32_t fn_find(const struct dwarf_table *t, const struct dt_unit *u, uint64_t vaddr)
{
	const uint32_t *order = t->order + u->first_range;
	size_t lo = 0, hi = u->nr_ranges;
	uint64_t pc;
	int32_t node;

	if (vaddr < u->base || vaddr - u->base > UINT32_MAX)
		return -1;
	pc = vaddr - u->base;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->own[order[mid]].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	/* the function of that range: the one whose own ranges hold its index */
	{
		uint32_t r = order[lo - 1], a = 0, b = u->nr_fns;

		while (a < b) { /* functions' first ranges increase with their index */
			uint32_t mid = a + (b - a) / 2;

			if (t->fns[u->first_fn + mid].first <= r)
				a = mid + 1;
			else
				b = mid;
		}
		node = (int32_t)a - 1;
	}
	/* ancestors only go up: bounded by the depth even for malformed input */
	for (; node >= 0; node = t->fns[u->first_fn + node].parent)
		if (fn_holds(t, &t->fns[u->first_fn + node], pc))
			return node;
	return -1;
}

size_t dwarf_table__lookup(const struct dwarf_table *t, uint64_t vaddr, struct dwarf_frame *frames,
			   size_t max)
{
	const struct dt_unit *u;
	const char *file;
	uint32_t line;
	uint64_t unit;
	size_t n = 0;
	int32_t node;

	if (!t || !max || dwarf_table__unit_of(t, vaddr, &unit) || !(u = unit_at(t, unit)))
		return 0;
	vaddr -= t->bias;
	unit_line(t, u, vaddr, &file, &line);
	/* innermost inlined callee first, out to the physical function; each caller's position is
	 * the call site of the callee below it */
	for (node = fn_find(t, u, vaddr); node >= 0; node = t->fns[u->first_fn + node].parent) {
		const struct dt_fn *fn = &t->fns[u->first_fn + node];
		struct dwarf_frame *fr;

		/* too deep: drop the innermost callee, the physical function must stay last */
		if (n == max)
			memmove(frames, frames + 1, --n * sizeof(*frames));
		fr = &frames[n++];
		*fr = (struct dwarf_frame){
			.name = str(t, fn->name),
			.file = file,
			.line = line,
			.decl_file = str(t, fn->decl_file),
			.decl_line = fn->decl_line,
			.inlined = fn->flags & FN_INLINED,
		};
		if (!fr->decl_file) /* e.g. a lambda's operator(): the file its code is in */
			fr->decl_file = file;
		if (!(fn->flags & FN_INLINED))
			break;
		file = str(t, fn->call_file);
		line = fn->call_line;
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

size_t dwarf_table__mem_bytes(const struct dwarf_table *t)
{
	if (!t)
		return 0;
	return sizeof(*t) + (t->nr_aranges + t->nr_ranges) * sizeof(*t->aranges) +
	       t->cap_units * sizeof(*t->units) + t->by_unit.cap * sizeof(struct hashmap_entry) +
	       t->cap_blocks * sizeof(*t->blocks) + t->cap_lbytes +
	       t->cap_files * sizeof(*t->files) + t->cap_fns * sizeof(*t->fns) +
	       t->cap_own * sizeof(*t->own) + t->nr_own * sizeof(*t->order) + t->pool_cap +
	       t->strs.cap * sizeof(struct hashmap_entry) +
	       t->cap_raw_lines * sizeof(*t->raw_lines) + t->cap_raw_own * sizeof(*t->raw_own);
}

void dwarf_table__free(struct dwarf_table *t)
{
	if (!t)
		return;
	free(t->aranges);
	free(t->ranges);
	hashmap__clear(&t->by_unit);
	hashmap__clear(&t->strs);
	free(t->units);
	free(t->blocks);
	free(t->lbytes);
	free(t->files);
	free(t->fns);
	free(t->own);
	free(t->order);
	free(t->pool);
	free(t->raw_lines);
	free(t->raw_own);
	free(t);
}
