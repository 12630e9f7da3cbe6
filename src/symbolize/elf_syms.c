// SPDX-License-Identifier: MIT
/* Function symbols, PT_LOAD segments and build-id of one ELF file, copied out of libelf so the
 * file can be closed. Every libelf failure is treated as a malformed file (ENOEXEC). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/elf_syms.h"

#define BUILD_ID_MAX	64 /* bytes; GNU ld emits 16 (md5/uuid) or 20 (sha1) */
#define LOOKUP_MAX_BACK 8  /* nested symbols: how far back lookup looks for an enclosing one */

struct elf_sym {
	uint64_t addr;
	uint64_t end; /* exclusive */
	uint32_t name_off;
};

struct elf_seg {
	uint64_t offset;
	uint64_t filesz;
	uint64_t vaddr;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

struct elf_syms {
	struct elf_sym *syms; /* sorted by addr, one per address */
	size_t nr;
	struct elf_seg *segs; /* PT_LOAD, in program header order */
	size_t nr_segs;
	char *arena; /* NUL-terminated names */
	size_t arena_len;
	char *build_id; /* lower-case hex, or NULL */
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

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
	libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

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
			.end = end,
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

static int collect_segments(struct elf_syms *es, Elf *elf)
{
	size_t phnum;

	if (elf_getphdrnum(elf, &phnum))
		return -ENOEXEC;
	if (!phnum)
		return 0;
	es->segs = calloc(phnum, sizeof(*es->segs));
	if (!es->segs)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr phdr;

		if (!gelf_getphdr(elf, (int)i, &phdr))
			return -ENOEXEC;
		if (phdr.p_type != PT_LOAD || !phdr.p_filesz ||
		    phdr.p_offset > UINT64_MAX - phdr.p_filesz)
			continue;
		es->segs[es->nr_segs++] = (struct elf_seg){
			.offset = phdr.p_offset,
			.filesz = phdr.p_filesz,
			.vaddr = phdr.p_vaddr,
			.flags = phdr.p_flags,
		};
	}
	if (!es->nr_segs) {
		free(es->segs);
		es->segs = NULL;
	} else if (es->nr_segs < phnum) {
		struct elf_seg *tmp = reallocarray(es->segs, es->nr_segs, sizeof(*tmp));

		if (tmp) /* shrinking: on failure the larger block is still valid */
			es->segs = tmp;
	}
	return 0;
}

/* Look for NT_GNU_BUILD_ID in one note data block. Returns 1 when found. */
static int build_id_from_notes(struct elf_syms *es, Elf_Data *data)
{
	static const char hex[] = "0123456789abcdef";
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nhdr;

	if (!data || !data->d_buf)
		return 0;
	while ((next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
		const unsigned char *desc = (const unsigned char *)data->d_buf + desc_off;
		const char *name = (const char *)data->d_buf + name_off;

		off = next;
		if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != sizeof("GNU") ||
		    memcmp(name, "GNU", sizeof("GNU")) || !nhdr.n_descsz ||
		    nhdr.n_descsz > BUILD_ID_MAX)
			continue;
		es->build_id = malloc(2 * nhdr.n_descsz + 1);
		if (!es->build_id)
			return -ENOMEM;
		for (size_t i = 0; i < nhdr.n_descsz; i++) {
			es->build_id[2 * i] = hex[desc[i] >> 4];
			es->build_id[2 * i + 1] = hex[desc[i] & 0xf];
		}
		es->build_id[2 * nhdr.n_descsz] = '\0';
		return 1;
	}
	return 0;
}

/* Build-id from SHT_NOTE sections, else from PT_NOTE segments (files without section headers). A
 * malformed note is not fatal: the file just has no build-id. */
static int collect_build_id(struct elf_syms *es, Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t phnum;
	int ret;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		ret = build_id_from_notes(es, elf_getdata(scn, NULL));
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (elf_getphdrnum(elf, &phnum))
		return 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr phdr;

		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_NOTE)
			continue;
		ret = build_id_from_notes(
			es, elf_getdata_rawchunk(elf, (int64_t)phdr.p_offset, phdr.p_filesz,
						 phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR));
		if (ret)
			return ret < 0 ? ret : 0;
	}
	return 0;
}

/* libelf silently shrinks header tables that run past the end of the file (a truncated file then
 * looks like one without sections). Compare with what the ELF header promised. */
static bool tables_complete(Elf *elf, const GElf_Ehdr *ehdr)
{
	size_t shnum, phnum;

	if (elf_getshdrnum(elf, &shnum) || elf_getphdrnum(elf, &phnum))
		return false;
	if (ehdr->e_shoff && !shnum)
		return false;
	/* e_shnum 0 and e_phnum PN_XNUM mean "the count is in section 0" */
	if (ehdr->e_shnum && shnum != ehdr->e_shnum)
		return false;
	if (ehdr->e_phnum != PN_XNUM && phnum != ehdr->e_phnum)
		return false;
	return true;
}

static struct elf_syms *elf_syms_from_elf(Elf *elf)
{
	struct elf_syms *es = NULL;
	GElf_Ehdr ehdr;
	int err;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr) ||
	    (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) || !tables_complete(elf, &ehdr)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	es = calloc(1, sizeof(*es));
	if (!es) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = collect_segments(es, elf);
	if (err)
		goto cleanup;
	err = collect_symbols(es, elf);
	if (err)
		goto cleanup;
	err = collect_build_id(es, elf);

cleanup:
	if (err) {
		elf_syms__free(es);
		errno = -err;
		return NULL;
	}
	return es;
}

struct elf_syms *elf_syms__open_fd(int fd)
{
	struct elf_syms *es;
	Elf *elf;
	int err;

	(void)pthread_once(&libelf_once, libelf_init);
	if (!libelf_ok) {
		errno = ENOEXEC;
		return NULL;
	}
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	/* ELF_C_READ (not mmap): sections are read on demand with pread, so a file truncated
	 * underneath us gives an error rather than SIGBUS */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		errno = ENOEXEC;
		return NULL;
	}
	es = elf_syms_from_elf(elf);
	err = errno;
	elf_end(elf);
	errno = err;
	return es;
}

struct elf_syms *elf_syms__open_mem(const void *buf, size_t len)
{
	struct elf_syms *es = NULL;
	char *copy = NULL;
	Elf *elf = NULL;
	int err = 0;

	(void)pthread_once(&libelf_once, libelf_init);
	if (!libelf_ok || !buf || !len) {
		errno = ENOEXEC;
		return NULL;
	}
	/* libelf may convert data in place and wants aligned memory: give it a private copy */
	copy = malloc(len);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, buf, len);
	elf = elf_memory(copy, len);
	if (!elf) {
		err = ENOEXEC;
		goto cleanup;
	}
	es = elf_syms_from_elf(elf);
	if (!es)
		err = errno;

cleanup:
	elf_end(elf);
	free(copy);
	if (err)
		errno = err;
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
	if (!es)
		return -EINVAL;
	for (size_t i = 0; i < es->nr_segs; i++) {
		const struct elf_seg *s = &es->segs[i];

		if (offset >= s->offset && offset - s->offset < s->filesz) {
			if (ret_vaddr)
				*ret_vaddr = offset - s->offset + s->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_syms__load_bias(const struct elf_syms *es, uint64_t start, uint64_t end, uint64_t pgoff,
			bool exec, uint64_t *ret_bias)
{
	const struct elf_seg *best = NULL;

	if (!es || end <= start)
		return -EINVAL;
	for (size_t i = 0; i < es->nr_segs; i++) {
		const struct elf_seg *s = &es->segs[i];

		/* the segment's file bytes overlap the mapping's [pgoff, pgoff + length) */
		if (s->offset >= pgoff + (end - start) || s->offset + s->filesz <= pgoff)
			continue;
		if (!best || (exec && (s->flags & PF_X) && !(best->flags & PF_X)))
			best = s;
	}
	if (!best)
		return -ENOENT;
	*ret_bias = start + best->offset - pgoff - best->vaddr;
	return 0;
}

const char *elf_syms__lookup(const struct elf_syms *es, uint64_t vaddr, uint64_t *ret_offset)
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

		if (vaddr < s->end) {
			if (ret_offset)
				*ret_offset = vaddr - s->addr;
			return es->arena + s->name_off;
		}
	}
	return NULL;
}

const char *elf_syms__build_id(const struct elf_syms *es)
{
	return es ? es->build_id : NULL;
}

size_t elf_syms__count(const struct elf_syms *es)
{
	return es ? es->nr : 0;
}

size_t elf_syms__mem_bytes(const struct elf_syms *es)
{
	if (!es)
		return 0;
	return sizeof(*es) + es->nr * sizeof(*es->syms) + es->nr_segs * sizeof(*es->segs) +
	       es->arena_len + (es->build_id ? strlen(es->build_id) + 1 : 0);
}

void elf_syms__free(struct elf_syms *es)
{
	if (!es)
		return;
	free(es->syms);
	free(es->segs);
	free(es->arena);
	free(es->build_id);
	free(es);
}
