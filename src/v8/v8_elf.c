// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elf/elf_file.h"
#include "v8/v8_elf.h"

#define SYM_BLOB      "v8_Default_embedded_blob_code_"
#define SYM_BLOB_SIZE "v8_Default_embedded_blob_code_size_"
#define SYM_SIZES     "_ZN2v88internal11interpreter9Bytecodes14kBytecodeSizesE"
#define SYM_VERSION   "_ZN2v88internal7Version"

struct read_ctx {
	struct v8_elf *ret;
	int fd;
	uint32_t ver[4]; /* major, minor, build, patch */
	unsigned ver_have;
};

/* Read len bytes at ELF virtual address vaddr from the section holding them: 0, or -ENOENT
 * (no section holds them; bytes of a NOBITS section read as zeros). */
static int read_vaddr(Elf *elf, int fd, uint64_t vaddr, void *buf, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (vaddr < sh.sh_addr || vaddr + len > sh.sh_addr + sh.sh_size ||
		    vaddr + len < vaddr)
			continue;
		if (sh.sh_type == SHT_NOBITS) {
			memset(buf, 0, len);
			return 0;
		}
		if (sh.sh_type != SHT_PROGBITS)
			return -ENOENT;
		if (pread(fd, buf, len, (off_t)(sh.sh_offset + (vaddr - sh.sh_addr))) !=
		    (ssize_t)len)
			return -EIO;
		return 0;
	}
	return -ENOENT;
}

static void take_symbol(struct read_ctx *c, Elf *elf, const char *name, const GElf_Sym *s)
{
	struct v8_elf *r = c->ret;
	int32_t v32 = 0;
	uint32_t u32 = 0;

	if (!strncmp(name, "v8dbg_", 6)) {
		if (s->st_size == 4 && !read_vaddr(elf, c->fd, s->st_value, &v32, 4)) {
			v8_meta__add(&r->meta, name + 6, v32);
			r->found = true;
		}
	} else if (!strcmp(name, SYM_BLOB)) {
		r->blob_vaddr = s->st_value;
	} else if (!strcmp(name, SYM_BLOB_SIZE)) {
		if (!read_vaddr(elf, c->fd, s->st_value, &u32, 4))
			r->blob_size = u32;
	} else if (!strcmp(name, SYM_SIZES)) {
		/* uint8_t kBytecodeSizes[3][kBytecodeCount] */
		if (s->st_size && s->st_size % 3 == 0 && s->st_size <= sizeof(r->sizes) &&
		    !read_vaddr(elf, c->fd, s->st_value, r->sizes, s->st_size))
			r->nr_bytecodes = (uint32_t)(s->st_size / 3);
	} else if (!strncmp(name, SYM_VERSION, strlen(SYM_VERSION))) {
		static const char *const parts[4] = { "6major_E", "6minor_E", "6build_E",
						      "6patch_E" };
		const char *rest = name + strlen(SYM_VERSION);

		for (int i = 0; i < 4; i++) {
			if (strcmp(rest, parts[i]) || s->st_size != 4 ||
			    read_vaddr(elf, c->fd, s->st_value, &u32, 4))
				continue;
			c->ver[i] = u32;
			c->ver_have |= 1u << i;
		}
	}
}

static void *read_elf(Elf *elf, void *arg)
{
	struct read_ctx *c = arg;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t nr;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		nr = data->d_size / sh.sh_entsize;
		for (size_t i = 0; i < nr; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(s.st_info) == STT_FUNC || !s.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || (name[0] != 'v' && name[0] != '_'))
				continue;
			take_symbol(c, elf, name, &s);
		}
	}
	return c;
}

int v8_elf__read(int fd, struct v8_elf *ret)
{
	struct read_ctx c = { .ret = ret, .fd = fd };

	*ret = (struct v8_elf){ 0 };
	v8_meta__init(&ret->meta);
	if (!elf_with_fd(fd, read_elf, &c))
		return -EIO;
	if (!ret->found)
		return 0;
	if (c.ver_have == 15) {
		v8_meta__set_version(&ret->meta, c.ver[0], c.ver[1], c.ver[2], c.ver[3]);
		snprintf(ret->version, sizeof(ret->version), "%u.%u.%u.%u", c.ver[0] % 1000,
			 c.ver[1] % 1000, c.ver[2] % 100000, c.ver[3] % 100000);
	}
	ret->err = v8_meta__finish(&ret->meta, &ret->why);
	if (!ret->err && (!ret->blob_vaddr || !ret->blob_size || ret->blob_size > (1u << 30))) {
		ret->err = -ENOTSUP;
		ret->why = "no embedded builtins symbol";
	}
	return 0;
}
