// SPDX-License-Identifier: MIT
/* Function symbols of one ELF file (its headers through elf/elf_file.h), copied out of libelf so
 * the file can be closed. Every libelf failure is treated as a malformed file (ENOEXEC). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "elf/elf_file.h"
#include "symbolize/elf_syms.h"

#define LOOKUP_MAX_BACK 8 /* nested symbols: how far back lookup looks for an enclosing one */
/* Packed names are zstd-compressed in blocks of about this many bytes (C++ binaries: megabytes
 * of mangled names, 5-6x smaller packed); a lookup unpacks one block (microseconds). */
#define NAME_BLOCK  (8u << 10)
#define NAMES_LEVEL 3

struct elf_sym {
	uint64_t addr;
	uint32_t size; /* [addr, addr + size) */
	uint32_t name_off;
};

struct name_block {
	uint32_t raw;	 /* offset of its first name in the names */
	uint32_t packed; /* offset of its frame in packed */
};

struct elf_syms {
	struct elf_sym *syms; /* sorted by addr, one per address */
	size_t nr;
	char *arena; /* NUL-terminated names, or NULL when packed */
	size_t arena_len;
	char *packed;		   /* the names in zstd frames, one per block */
	struct name_block *blocks; /* nr_blocks + 1: the last is the end */
	size_t nr_blocks, packed_len;
	char *unpacked; /* the block unpacked last (cur_block), NAME_BLOCK or the longest */
	size_t unpacked_cap;
	size_t cur_block;    /* SIZE_MAX: none */
	struct elf_file *ef; /* segments and build-id */
};

/* A symbol before deduplication; name points into libelf's data (valid until elf_end). */
struct sym_cand {
	uint64_t addr;
	uint64_t size;
	uint64_t
		sec_end; /* end of the symbol's section, bounds size-0 symbols; UINT64_MAX unknown */
	const char *name;
	uint32_t
		rank; /* lower wins among aliases: .symtab over .dynsym, then GLOBAL, WEAK, LOCAL */
	uint32_t seq; /* input order, for a deterministic sort */
};

struct cand_vec {
	struct sym_cand *v;
	size_t nr, cap;
};

static int cand_push(struct cand_vec *c, const struct sym_cand *s)
{
	if (c->nr == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct sym_cand *tmp = reallocarray(c->v, cap, sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		c->v = tmp;
		c->cap = cap;
	}
	c->v[c->nr++] = *s;
	return 0;
}

static uint32_t bind_rank(unsigned char bind)
{
	switch (bind) {
	case STB_GLOBAL:
		return 0;
	case STB_WEAK:
		return 1;
	default:
		return 2;
	}
}

/* Section ends (sh_addr + sh_size) by index, for bounding size-0 symbols. */
static int collect_sections(Elf *elf, size_t shnum, uint64_t **ret_ends)
{
	uint64_t *ends = NULL;
	Elf_Scn *scn = NULL;

	*ret_ends = NULL;
	if (!shnum)
		return 0;
	ends = calloc(shnum, sizeof(*ends));
	if (!ends)
		return -ENOMEM;
	for (size_t i = 0; i < shnum; i++)
		ends[i] = UINT64_MAX;
	while ((scn = elf_nextscn(elf, scn))) {
		size_t idx = elf_ndxscn(scn);
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr)) {
			free(ends);
			return -ENOEXEC;
		}
		if (idx < shnum && (shdr.sh_flags & SHF_ALLOC) &&
		    shdr.sh_addr <= UINT64_MAX - shdr.sh_size)
			ends[idx] = shdr.sh_addr + shdr.sh_size;
	}
	*ret_ends = ends;
	return 0;
}

static int collect_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr, const uint64_t *sec_ends,
			  size_t shnum, struct cand_vec *c)
{
	size_t ent_size = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT), count;
	uint32_t table_rank = shdr->sh_type == SHT_DYNSYM ? 4 : 0;
	Elf_Data *data;
	int err;

	data = elf_getdata(scn, NULL);
	if (!data || !ent_size)
		return -ENOEXEC;
	if (!data->d_buf)
		return 0; /* SHT_NOBITS-like: nothing stored */
	count = data->d_size / ent_size;

	/* entry 0 is the reserved null symbol */
	for (size_t i = 1; i < count; i++) {
		struct sym_cand s;
		unsigned char type;
		const char *name;
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym))
			return -ENOEXEC;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, shdr->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		s = (struct sym_cand){
			.addr = sym.st_value,
			.size = sym.st_size,
			.sec_end = sym.st_shndx < shnum && sym.st_shndx < SHN_LORESERVE
					   ? sec_ends[sym.st_shndx]
					   : UINT64_MAX,
			.name = name,
			.rank = table_rank + bind_rank(GELF_ST_BIND(sym.st_info)),
			.seq = (uint32_t)c->nr,
		};
		err = cand_push(c, &s);
		if (err)
			return err;
	}
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct sym_cand *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int elf_syms__pack(struct elf_syms *es)
{
	size_t nr = 0, cap, bound = 0, raw = 0;
	ZSTD_CCtx *cctx = NULL;
	int err = -ENOMEM;

	if (!es || !es->arena || es->arena_len <= 2 * NAME_BLOCK)
		return 0;
	cap = es->arena_len / NAME_BLOCK + 2;
	es->blocks = calloc(cap + 1, sizeof(*es->blocks));
	if (!es->blocks)
		goto cleanup;
	/* the cuts: a block ends at the last name that fits (a longer name is a block alone) */
	while (raw < es->arena_len) {
		size_t end = raw;

		while (end < es->arena_len) {
			size_t next = end + strlen(es->arena + end) + 1;

			if (next - raw > NAME_BLOCK && end > raw)
				break;
			end = next;
		}
		if (nr == cap) {
			struct name_block *b = reallocarray(es->blocks, 2 * cap + 1, sizeof(*b));

			if (!b)
				goto cleanup;
			es->blocks = b;
			cap *= 2;
		}
		es->blocks[nr++].raw = (uint32_t)raw;
		bound += ZSTD_compressBound(end - raw);
		if (end - raw > es->unpacked_cap)
			es->unpacked_cap = end - raw;
		raw = end;
	}
	es->packed = malloc(bound);
	cctx = ZSTD_createCCtx();
	if (!es->packed || !cctx)
		goto cleanup;
	for (size_t i = 0; i < nr; i++) {
		size_t to = i + 1 < nr ? es->blocks[i + 1].raw : es->arena_len;
		size_t n = ZSTD_compressCCtx(cctx, es->packed + es->packed_len,
					     bound - es->packed_len, es->arena + es->blocks[i].raw,
					     to - es->blocks[i].raw, NAMES_LEVEL);

		if (ZSTD_isError(n))
			goto cleanup;
		es->blocks[i].packed = (uint32_t)es->packed_len;
		es->packed_len += n;
	}
	es->blocks[nr] = (struct name_block){ .raw = (uint32_t)es->arena_len,
					      .packed = (uint32_t)es->packed_len };
	es->nr_blocks = nr;
	{
		char *p = realloc(es->packed, es->packed_len ? es->packed_len : 1);

		if (p)
			es->packed = p;
	}
	free(es->arena);
	es->arena = NULL;
	es->cur_block = SIZE_MAX;
	err = 0;
cleanup:
	ZSTD_freeCCtx(cctx);
	if (err) { /* keep the names unpacked */
		free(es->blocks);
		free(es->packed);
		es->blocks = NULL;
		es->packed = NULL;
		es->nr_blocks = es->packed_len = es->unpacked_cap = 0;
	}
	return err == -ENOMEM && es->arena ? 0 : err;
}

/* The name at off, from the arena or its block unpacked (NULL if that fails). */
static const char *name_at(struct elf_syms *es, uint32_t off)
{
	static __thread ZSTD_DCtx *dctx;
	size_t lo = 0, hi, n;

	if (es->arena)
		return es->arena + off;
	hi = es->nr_blocks;
	while (lo + 1 < hi) { /* the last block starting at or before off */
		size_t mid = lo + (hi - lo) / 2;

		if (es->blocks[mid].raw <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (es->cur_block != lo) {
		if (!es->unpacked) {
			es->unpacked = malloc(es->unpacked_cap);
			if (!es->unpacked)
				return NULL;
		}
		if (!dctx)
			dctx = ZSTD_createDCtx();
		if (!dctx)
			return NULL;
		n = ZSTD_decompressDCtx(dctx, es->unpacked, es->unpacked_cap,
					es->packed + es->blocks[lo].packed,
					es->blocks[lo + 1].packed - es->blocks[lo].packed);
		if (ZSTD_isError(n) || n != es->blocks[lo + 1].raw - es->blocks[lo].raw) {
			es->cur_block = SIZE_MAX;
			return NULL;
		}
		es->cur_block = lo;
	}
	return es->unpacked + (off - es->blocks[lo].raw);
}

/* Sort, keep the best-ranked name per address, compute ends and copy names into the arena. */
static int build_table(struct elf_syms *es, struct cand_vec *c)
{
	size_t i, j, out = 0, names = 0;

	if (!c->nr)
		return 0;
	qsort(c->v, c->nr, sizeof(*c->v), cand_cmp);

	/* dedupe in place: a size-0 winner borrows the largest size of its aliases */
	for (i = 0; i < c->nr; i = j) {
		struct sym_cand best = c->v[i];
		uint64_t alias_size = 0;

		for (j = i + 1; j < c->nr && c->v[j].addr == best.addr; j++)
			if (c->v[j].size > alias_size)
				alias_size = c->v[j].size;
		if (!best.size)
			best.size = alias_size;
		c->v[out++] = best;
		names += strlen(best.name) + 1;
	}
	c->nr = out;
	if (names > UINT32_MAX)
		return -EFBIG;

	es->syms = calloc(c->nr, sizeof(*es->syms));
	es->arena = malloc(names);
	if (!es->syms || !es->arena)
		return -ENOMEM;
	for (i = 0; i < c->nr; i++) {
		const struct sym_cand *s = &c->v[i];
		/* "memcpy@@GLIBC_2.14": the version is not part of the function's name */
		size_t len = s->name[0] == '@' ? strlen(s->name) : strcspn(s->name, "@");
		uint64_t end;

		if (s->size)
			end = s->addr <= UINT64_MAX - s->size ? s->addr + s->size : UINT64_MAX;
		else
			end = i + 1 < c->nr ? c->v[i + 1].addr : UINT64_MAX;
		/* size-0 symbols stop at their section's end too (e.g. _init before .plt) */
		if (!s->size && s->sec_end > s->addr && s->sec_end < end)
			end = s->sec_end;
		if (end <= s->addr)
			end = s->addr + 1;

		es->syms[i] = (struct elf_sym){
			.addr = s->addr,
			.size = end - s->addr > UINT32_MAX ? UINT32_MAX : (uint32_t)(end - s->addr),
			.name_off = (uint32_t)es->arena_len,
		};
		memcpy(es->arena + es->arena_len, s->name, len);
		es->arena[es->arena_len + len] = 0;
		es->arena_len += len + 1;
	}
	es->nr = c->nr;
	return 0;
}

static int collect_symbols(struct elf_syms *es, Elf *elf)
{
	struct cand_vec c = {};
	uint64_t *sec_ends = NULL;
	Elf_Scn *scn = NULL;
	size_t shnum;
	int err;

	if (elf_getshdrnum(elf, &shnum))
		return -ENOEXEC;
	err = collect_sections(elf, shnum, &sec_ends);
	if (err)
		goto cleanup;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr)) {
			err = -ENOEXEC;
			goto cleanup;
		}
		if (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM)
			continue;
		err = collect_symtab(elf, scn, &shdr, sec_ends, shnum, &c);
		if (err)
			goto cleanup;
	}
	err = build_table(es, &c);

cleanup:
	free(c.v);
	free(sec_ends);
	return err;
}

static struct elf_syms *elf_syms_from_elf(Elf *elf)
{
	struct elf_syms *es = NULL;
	int err;

	es = calloc(1, sizeof(*es));
	if (!es) {
		err = -ENOMEM;
		goto cleanup;
	}
	es->ef = elf_file__from_elf(elf);
	if (!es->ef) {
		err = -errno;
		goto cleanup;
	}
	err = collect_symbols(es, elf);

cleanup:
	if (err) {
		elf_syms__free(es);
		errno = -err;
		return NULL;
	}
	return es;
}

static void *from_elf(Elf *elf, void *arg)
{
	(void)arg;
	return elf_syms_from_elf(elf);
}

struct elf_syms *elf_syms__open_fd(int fd)
{
	return elf_with_fd(fd, from_elf, NULL);
}

struct elf_syms *elf_syms__open_mem(const void *buf, size_t len)
{
	return elf_with_mem(buf, len, from_elf, NULL);
}

struct elf_syms *elf_syms__from_list(const struct elf_syms_input *in, size_t nr)
{
	struct elf_syms *es = calloc(1, sizeof(*es));
	struct cand_vec c = {};
	int err = 0;

	if (!es)
		return NULL;
	for (size_t i = 0; i < nr && !err; i++) {
		if (!in[i].name || !*in[i].name || !in[i].addr)
			continue;
		err = cand_push(&c, &(struct sym_cand){
					    .addr = in[i].addr,
					    .size = in[i].size,
					    .sec_end = UINT64_MAX,
					    .name = in[i].name,
					    .rank = bind_rank(in[i].bind),
					    .seq = (uint32_t)c.nr,
				    });
	}
	if (!err)
		err = build_table(es, &c);
	free(c.v);
	if (err) {
		elf_syms__free(es);
		errno = -err;
		return NULL;
	}
	return es;
}

struct elf_syms *elf_syms__open_path(const char *path)
{
	struct elf_syms *es;
	int fd, err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	es = elf_syms__open_fd(fd);
	err = errno;
	close(fd);
	errno = err;
	return es;
}

int elf_syms__offset_to_vaddr(const struct elf_syms *es, uint64_t offset, uint64_t *ret_vaddr)
{
	return es ? elf_file__offset_to_vaddr(es->ef, offset, ret_vaddr) : -EINVAL;
}

int elf_syms__load_bias(const struct elf_syms *es, uint64_t start, uint64_t end, uint64_t pgoff,
			bool exec, uint64_t *ret_bias)
{
	return es ? elf_file__load_bias(es->ef, start, end, pgoff, exec, ret_bias) : -EINVAL;
}

const char *elf_syms__lookup(struct elf_syms *es, uint64_t vaddr, uint64_t *ret_offset)
{
	size_t lo = 0, hi;

	if (!es || !es->nr)
		return NULL;
	hi = es->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (es->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* usually the closest symbol below; a few steps back catch a symbol nested in another */
	for (size_t i = lo, steps = 0; i > 0 && steps < LOOKUP_MAX_BACK; i--, steps++) {
		const struct elf_sym *s = &es->syms[i - 1];

		if (vaddr - s->addr < s->size) {
			if (ret_offset)
				*ret_offset = vaddr - s->addr;
			return name_at(es, s->name_off);
		}
	}
	return NULL;
}

const char *elf_syms__build_id(const struct elf_syms *es)
{
	return es ? elf_file__build_id(es->ef) : NULL;
}

size_t elf_syms__count(const struct elf_syms *es)
{
	return es ? es->nr : 0;
}

size_t elf_syms__mem_bytes(const struct elf_syms *es)
{
	if (!es)
		return 0;
	return sizeof(*es) + es->nr * sizeof(*es->syms) + (es->arena ? es->arena_len : 0) +
	       es->packed_len + (es->nr_blocks + 1) * sizeof(*es->blocks) + es->unpacked_cap +
	       elf_file__mem_bytes(es->ef);
}

void elf_syms__free(struct elf_syms *es)
{
	if (!es)
		return;
	free(es->syms);
	free(es->arena);
	free(es->packed);
	free(es->blocks);
	free(es->unpacked);
	elf_file__free(es->ef);
	free(es);
}
