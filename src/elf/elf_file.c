// SPDX-License-Identifier: MIT
/* Headers of one ELF file: PT_LOAD segments and build-id, copied out of libelf so the file can be
 * closed. Every libelf failure is treated as a malformed file (ENOEXEC). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_file.h"

#define MAX_NOTE_BYTES (1u << 20) /* a note section or segment: a few build-ids and ABI tags */

struct elf_seg {
	uint64_t offset;
	uint64_t filesz;
	uint64_t vaddr;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

/* One block: the struct, nr_segs segments, then the build-id's hex (sized to it). */
struct elf_file {
	const char *build_id; /* lower-case hex inside this block, or NULL */
	size_t nr_segs;
	struct elf_seg segs[]; /* PT_LOAD with file bytes, in program header order */
};

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
	libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

/* libelf initialised once (thread-safe). false when libelf is unusable. */
static bool elf_lib_init(void)
{
	(void)pthread_once(&libelf_once, libelf_init);
	return libelf_ok;
}

/* First GNU build-id note in one note data block; its length or 0. */
static size_t note_build_id(Elf_Data *data, uint8_t buf[ELF_BUILD_ID_MAX])
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	if (!data || !data->d_buf)
		return 0;
	while ((next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		off = next;
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != sizeof("GNU") ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", sizeof("GNU")) ||
		    !nh.n_descsz || nh.n_descsz > ELF_BUILD_ID_MAX)
			continue;
		memcpy(buf, (const char *)data->d_buf + desc_off, nh.n_descsz);
		return nh.n_descsz;
	}
	return 0;
}

size_t elf_read_build_id(Elf *elf, uint8_t buf[ELF_BUILD_ID_MAX])
{
	Elf_Scn *scn = NULL;
	size_t phnum, len;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    sh.sh_size > MAX_NOTE_BYTES)
			continue;
		len = note_build_id(elf_getdata(scn, NULL), buf);
		if (len)
			return len;
	}
	/* files without section headers keep their notes in PT_NOTE segments */
	if (elf_getphdrnum(elf, &phnum))
		return 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE ||
		    ph.p_filesz > MAX_NOTE_BYTES)
			continue;
		len = note_build_id(
			elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
					     ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR),
			buf);
		if (len)
			return len;
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

struct elf_file *elf_file__from_elf(Elf *elf)
{
	struct elf_seg segs[ELF_FILE_MAX_LOADS];
	uint8_t id[ELF_BUILD_ID_MAX];
	size_t phnum, nr = 0, id_len;
	struct elf_file *ef;
	GElf_Ehdr ehdr;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr) ||
	    (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) || !tables_complete(elf, &ehdr) ||
	    elf_getphdrnum(elf, &phnum)) {
		errno = ENOEXEC;
		return NULL;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			errno = ENOEXEC;
			return NULL;
		}
		if (ph.p_type != PT_LOAD || !ph.p_filesz || ph.p_offset > UINT64_MAX - ph.p_filesz)
			continue;
		if (nr == ELF_FILE_MAX_LOADS) { /* real files have 2-5 */
			errno = ENOEXEC;
			return NULL;
		}
		segs[nr++] = (struct elf_seg){
			.offset = ph.p_offset,
			.filesz = ph.p_filesz,
			.vaddr = ph.p_vaddr,
			.flags = ph.p_flags,
		};
	}
	/* a malformed note is not fatal: the file just has no build-id */
	id_len = elf_read_build_id(elf, id);
	ef = calloc(1, sizeof(*ef) + nr * sizeof(ef->segs[0]) + (id_len ? 2 * id_len + 1 : 0));
	if (!ef) {
		errno = ENOMEM;
		return NULL;
	}
	ef->nr_segs = nr;
	memcpy(ef->segs, segs, nr * sizeof(segs[0]));
	if (id_len) {
		static const char digits[] = "0123456789abcdef";
		char *hex = (char *)&ef->segs[nr];

		for (size_t i = 0; i < id_len; i++) {
			hex[2 * i] = digits[id[i] >> 4];
			hex[2 * i + 1] = digits[id[i] & 0xf];
		}
		hex[2 * id_len] = '\0';
		ef->build_id = hex;
	}
	return ef;
}

void *elf_with_fd(int fd, void *(*fn)(Elf *elf, void *arg), void *arg)
{
	void *ret;
	Elf *elf;
	int err;

	if (!elf_lib_init() || fd < 0) {
		errno = fd < 0 ? EBADF : ENOEXEC;
		return NULL;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL); /* ELF_C_READ: pread into libelf's buffers */
	if (!elf) {
		errno = ENOEXEC;
		return NULL;
	}
	ret = fn(elf, arg);
	err = errno;
	elf_end(elf);
	errno = err;
	return ret;
}

void *elf_with_mem(const void *buf, size_t len, void *(*fn)(Elf *elf, void *arg), void *arg)
{
	void *ret = NULL;
	char *copy;
	Elf *elf;
	int err;

	if (!elf_lib_init() || !buf || !len) {
		errno = ENOEXEC;
		return NULL;
	}
	copy = malloc(len);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, buf, len);
	elf = elf_memory(copy, len);
	if (elf) {
		ret = fn(elf, arg);
		err = errno;
		elf_end(elf);
	} else {
		err = ENOEXEC;
	}
	free(copy);
	errno = err;
	return ret;
}

static void *from_elf(Elf *elf, void *arg)
{
	(void)arg;
	return elf_file__from_elf(elf);
}

struct elf_file *elf_file__open_fd(int fd)
{
	return elf_with_fd(fd, from_elf, NULL);
}

struct elf_file *elf_file__open_mem(const void *buf, size_t len)
{
	return elf_with_mem(buf, len, from_elf, NULL);
}

const char *elf_file__build_id(const struct elf_file *ef)
{
	return ef ? ef->build_id : NULL;
}

int elf_file__offset_to_vaddr(const struct elf_file *ef, uint64_t offset, uint64_t *ret_vaddr)
{
	if (!ef)
		return -EINVAL;
	for (size_t i = 0; i < ef->nr_segs; i++) {
		const struct elf_seg *s = &ef->segs[i];

		if (offset >= s->offset && offset - s->offset < s->filesz) {
			if (ret_vaddr)
				*ret_vaddr = offset - s->offset + s->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__load_bias(const struct elf_file *ef, uint64_t start, uint64_t end, uint64_t pgoff,
			bool exec, uint64_t *ret_bias)
{
	const struct elf_seg *best = NULL;

	if (!ef || end <= start)
		return -EINVAL;
	for (size_t i = 0; i < ef->nr_segs; i++) {
		const struct elf_seg *s = &ef->segs[i];

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

size_t elf_file__nr_loads(const struct elf_file *ef)
{
	return ef ? ef->nr_segs : 0;
}

size_t elf_file__mem_bytes(const struct elf_file *ef)
{
	if (!ef)
		return 0;
	return sizeof(*ef) + ef->nr_segs * sizeof(ef->segs[0]) +
	       (ef->build_id ? strlen(ef->build_id) + 1 : 0);
}

void elf_file__free(struct elf_file *ef)
{
	free(ef);
}
