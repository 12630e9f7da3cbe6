// SPDX-License-Identifier: MIT
/* elf_syms against ELF fixtures built by tests/data/CMakeLists.txt (PIE, non-PIE, shared library,
 * stripped PIE). The expected answers come from GNU nm and readelf output written at build time,
 * never from elf_syms itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "proc/proc_maps.h"
#include "symbolize/elf_syms.h"

#define DATA_DIR FLAMED_TEST_DATA_DIR

struct nm_sym {
	uint64_t addr;
	uint64_t size; /* 0 when nm printed none */
	char type;
	char name[256];
};

struct oracle {
	struct nm_sym *syms;
	size_t nr;
};

static void fixture_path(char *buf, size_t sz, const char *variant, const char *suffix)
{
	int n = snprintf(buf, sz, "%s/%s%s", DATA_DIR, variant, suffix);

	assert_true(n > 0 && (size_t)n < sz);
}

/* Parse "<addr> [<size>] <type> <name>" lines of `nm --defined-only -S`. */
static void oracle_load(const char *variant, struct oracle *o)
{
	char path[PATH_MAX], line[512];
	size_t cap = 0;
	FILE *f;

	fixture_path(path, sizeof(path), variant, ".nm");
	f = fopen(path, "r");
	assert_non_null(f);
	memset(o, 0, sizeof(*o));
	while (fgets(line, sizeof(line), f)) {
		char a[32], b[32], c[256], d[256];
		struct nm_sym s = {};
		int n = sscanf(line, "%31s %31s %255s %255s", a, b, c, d);

		if (n == 4) {
			s.addr = strtoull(a, NULL, 16);
			s.size = strtoull(b, NULL, 16);
			s.type = c[0];
			snprintf(s.name, sizeof(s.name), "%s", d);
		} else if (n == 3) {
			s.addr = strtoull(a, NULL, 16);
			s.type = b[0];
			snprintf(s.name, sizeof(s.name), "%s", c);
		} else {
			continue;
		}
		/* nm -D prints "name@@VERSION"; the symbol table name has no version */
		s.name[strcspn(s.name, "@")] = '\0';
		if (o->nr == cap) {
			cap = cap ? cap * 2 : 64;
			o->syms = realloc(o->syms, cap * sizeof(*o->syms));
			assert_non_null(o->syms);
		}
		o->syms[o->nr++] = s;
	}
	fclose(f);
	assert_true(o->nr > 0);
}

static void oracle_free(struct oracle *o)
{
	free(o->syms);
}

/* Function symbols: text ('t'/'T'), IFUNC ('i'), weak with a size ('W' without size is data_start
 * and friends). */
static bool is_func(const struct nm_sym *s)
{
	return s->type == 't' || s->type == 'T' || s->type == 'i' ||
	       ((s->type == 'W' || s->type == 'w') && s->size);
}

static const struct nm_sym *oracle_find(const struct oracle *o, const char *name)
{
	for (size_t i = 0; i < o->nr; i++)
		if (is_func(&o->syms[i]) && !strcmp(o->syms[i].name, name))
			return &o->syms[i];
	return NULL;
}

/* Is name one of the function names nm lists at addr (aliases share an address)? */
static bool oracle_has_alias(const struct oracle *o, uint64_t addr, const char *name)
{
	for (size_t i = 0; i < o->nr; i++)
		if (is_func(&o->syms[i]) && o->syms[i].addr == addr &&
		    !strcmp(o->syms[i].name, name))
			return true;
	return false;
}

/* Lowest function address above addr, or UINT64_MAX. */
static uint64_t oracle_next_addr(const struct oracle *o, uint64_t addr)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < o->nr; i++)
		if (is_func(&o->syms[i]) && o->syms[i].addr > addr && o->syms[i].addr < next)
			next = o->syms[i].addr;
	return next;
}

static struct elf_syms *open_variant(const char *variant)
{
	char path[PATH_MAX];
	struct elf_syms *es;

	fixture_path(path, sizeof(path), variant, "");
	es = elf_syms__open_path(path);
	if (!es)
		fail_msg("elf_syms__open_path(%s): %s", path, strerror(errno));
	return es;
}

/* Every nm function symbol resolves to its own name (or an alias at the same address) at its
 * first and last byte; size-0 ones extend past their first byte. */
static void symbols_match_nm(void **state)
{
	const char *variant = *state;
	const bool stripped = strstr(variant, "stripped") != NULL;
	static const char *const exported[] = { "flamed_fixture_leaf",
						"flamed_fixture_big_function",
						"flamed_fixture_ifunc" };
	struct elf_syms *es = open_variant(variant);
	size_t checked = 0;
	struct oracle o;

	oracle_load(variant, &o);
	/* the oracle must know the fixture's functions, or this test would pass vacuously */
	for (size_t i = 0; i < sizeof(exported) / sizeof(exported[0]); i++)
		assert_non_null(oracle_find(&o, exported[i]));
	if (!stripped)
		assert_non_null(oracle_find(&o, "flamed_fixture_static_helper"));

	for (size_t i = 0; i < o.nr; i++) {
		const struct nm_sym *s = &o.syms[i];
		uint64_t off = UINT64_MAX;
		const char *name;

		if (!is_func(s))
			continue;
		name = elf_syms__lookup(es, s->addr, &off);
		if (!name || !oracle_has_alias(&o, s->addr, name))
			fail_msg("%s: %s at 0x%" PRIx64 " resolved to %s", variant, s->name,
				 s->addr, name ? name : "(null)");
		assert_int_equal(off, 0);
		if (s->size) {
			name = elf_syms__lookup(es, s->addr + s->size - 1, &off);
			if (!name || !oracle_has_alias(&o, s->addr, name))
				fail_msg("%s: last byte of %s resolved to %s", variant, s->name,
					 name ? name : "(null)");
			assert_int_equal(off, s->size - 1);
		} else if (s->addr + 1 < oracle_next_addr(&o, s->addr)) {
			name = elf_syms__lookup(es, s->addr + 1, &off);
			assert_non_null(name);
			assert_true(oracle_has_alias(&o, s->addr, name));
			assert_int_equal(off, 1);
		}
		checked++;
	}
	assert_true(checked >= 3);
	assert_true(elf_syms__count(es) > 0 && elf_syms__count(es) <= checked);
	assert_true(elf_syms__mem_bytes(es) > elf_syms__count(es));
	oracle_free(&o);
	elf_syms__free(es);
}

/* An IFUNC and its LOCAL resolver share an address: the GLOBAL IFUNC name wins. */
static void ifunc_prefers_global_name(void **state)
{
	const char *variant = *state;
	struct elf_syms *es = open_variant(variant);
	const struct nm_sym *s;
	struct oracle o;

	oracle_load(variant, &o);
	s = oracle_find(&o, "flamed_fixture_ifunc");
	assert_non_null(s);
	assert_int_equal(s->type, 'i');
	assert_string_equal(elf_syms__lookup(es, s->addr, NULL), "flamed_fixture_ifunc");
	oracle_free(&o);
	elf_syms__free(es);
}

/* readelf -lW: file offset of vaddr through the PT_LOAD that holds it. */
static bool readelf_vaddr_to_offset(const char *variant, uint64_t vaddr, uint64_t *ret_off)
{
	char path[PATH_MAX], line[512];
	bool found = false;
	FILE *f;

	fixture_path(path, sizeof(path), variant, ".segs");
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		uint64_t off, va, pa, filesz, memsz;
		char type[32];

		if (sscanf(line, "%31s %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
			   type, &off, &va, &pa, &filesz, &memsz) != 6 ||
		    strcmp(type, "LOAD"))
			continue;
		if (vaddr >= va && vaddr < va + filesz) {
			*ret_off = vaddr - va + off;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void offset_roundtrip(void **state)
{
	const char *variant = *state;
	struct elf_syms *es = open_variant(variant);
	static const char *const funcs[] = { "flamed_fixture_leaf", "flamed_fixture_big_function" };
	struct oracle o;

	oracle_load(variant, &o);
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		const struct nm_sym *s = oracle_find(&o, funcs[i]);
		/* a return address deep inside the function, past the first 64 KiB */
		uint64_t vaddr = s->addr + (s->size > 0x10010 ? 0x10010 : s->size / 2), off,
			 back = 0;

		assert_true(readelf_vaddr_to_offset(variant, vaddr, &off));
		assert_int_equal(elf_syms__offset_to_vaddr(es, off, &back), 0);
		assert_int_equal(back, vaddr);
		assert_string_equal(elf_syms__lookup(es, back, NULL), funcs[i]);
	}
	/* far past the end of the file: no segment */
	assert_int_equal(elf_syms__offset_to_vaddr(es, 1ull << 40, NULL), -ENOENT);
	oracle_free(&o);
	elf_syms__free(es);
}

static void build_id_matches_readelf(void **state)
{
	const char *variant = *state;
	struct elf_syms *es = open_variant(variant);
	char path[PATH_MAX], line[512], expect[256] = "";
	FILE *f;

	fixture_path(path, sizeof(path), variant, ".notes");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "Build ID: ");

		if (p)
			sscanf(p + strlen("Build ID: "), "%255s", expect);
	}
	fclose(f);
	assert_int_equal(strlen(expect), 40); /* the fixtures are linked with --build-id=sha1 */
	assert_non_null(elf_syms__build_id(es));
	assert_string_equal(elf_syms__build_id(es), expect);
	elf_syms__free(es);
}

/* The stripped copy has only .dynsym: exported functions still resolve, the static one not. */
static void stripped_keeps_dynsym_only(void **state)
{
	struct elf_syms *full = open_variant("elf_fixture_pie");
	struct elf_syms *stripped = open_variant("elf_fixture_stripped");
	const struct nm_sym *helper, *leaf;
	const char *name;
	struct oracle o;

	(void)state;
	oracle_load("elf_fixture_pie", &o); /* same code layout as the stripped copy */
	helper = oracle_find(&o, "flamed_fixture_static_helper");
	leaf = oracle_find(&o, "flamed_fixture_leaf");
	assert_non_null(helper);
	assert_non_null(leaf);

	assert_string_equal(elf_syms__lookup(full, helper->addr, NULL),
			    "flamed_fixture_static_helper");
	name = elf_syms__lookup(stripped, helper->addr, NULL);
	assert_true(!name || strcmp(name, "flamed_fixture_static_helper"));
	assert_string_equal(elf_syms__lookup(stripped, leaf->addr, NULL), "flamed_fixture_leaf");
	assert_true(elf_syms__count(stripped) < elf_syms__count(full));
	assert_string_equal(elf_syms__build_id(stripped), elf_syms__build_id(full));
	oracle_free(&o);
	elf_syms__free(full);
	elf_syms__free(stripped);
}

/* open_mem and open_fd see the same file the same way; the buffer and fd can go right after. */
static void mem_and_fd_agree(void **state)
{
	char path[PATH_MAX];
	struct elf_syms *a, *b;
	const struct nm_sym *big;
	struct oracle o;
	size_t len;
	void *buf;
	int fd;

	(void)state;
	fixture_path(path, sizeof(path), "libelf_fixture.so", "");
	buf = test_read_file(path, &len);
	a = elf_syms__open_mem(buf, len);
	assert_non_null(a);
	memset(buf, 0xa5, len); /* nothing may still point into it */
	free(buf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	b = elf_syms__open_fd(fd);
	close(fd);
	assert_non_null(b);

	assert_int_equal(elf_syms__count(a), elf_syms__count(b));
	assert_string_equal(elf_syms__build_id(a), elf_syms__build_id(b));
	oracle_load("libelf_fixture.so", &o);
	big = oracle_find(&o, "flamed_fixture_big_function");
	assert_string_equal(elf_syms__lookup(a, big->addr + 12345, NULL),
			    "flamed_fixture_big_function");
	assert_string_equal(elf_syms__lookup(b, big->addr + 12345, NULL),
			    "flamed_fixture_big_function");
	oracle_free(&o);
	elf_syms__free(a);
	elf_syms__free(b);
}

static void expect_enoexec_mem(const void *buf, size_t len)
{
	struct elf_syms *es;

	errno = 0;
	es = elf_syms__open_mem(buf, len);
	if (es)
		fail_msg("open_mem of %zu malformed bytes succeeded", len);
	assert_int_equal(errno, ENOEXEC);
}

static void malformed_files_fail(void **state)
{
	unsigned char garbage[4096], *copy;
	char path[PATH_MAX];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t len, cuts[10];
	int fd;
	void *buf;

	(void)state;
	for (size_t i = 0; i < sizeof(garbage); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		garbage[i] = (unsigned char)x;
	}
	expect_enoexec_mem(garbage, sizeof(garbage));
	memcpy(garbage,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7); /* right magic, random rest */
	expect_enoexec_mem(garbage, sizeof(garbage));
	expect_enoexec_mem("just some text\n", 15);
	expect_enoexec_mem("", 0);

	fixture_path(path, sizeof(path), "elf_fixture_pie", "");
	buf = test_read_file(path, &len);
	/* truncations: inside the header, just after it, and cutting the section headers */
	cuts[0] = 1, cuts[1] = 4, cuts[2] = 16, cuts[3] = 52, cuts[4] = 63, cuts[5] = 64;
	cuts[6] = 100, cuts[7] = len / 2, cuts[8] = len - 64, cuts[9] = len - 1;
	for (size_t i = 0; i < 10; i++)
		expect_enoexec_mem(buf, cuts[i]);

	/* the same truncation through a file descriptor (pread path of libelf) */
	fd = memfd_create("trunc", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len / 2), (ssize_t)(len / 2));
	errno = 0;
	assert_null(elf_syms__open_fd(fd));
	assert_int_equal(errno, ENOEXEC);
	close(fd);

	/* section header table pointed far outside the file */
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, buf, len);
	memset(copy + 0x28, 0x7f, 8); /* e_shoff of ELFCLASS64 */
	expect_enoexec_mem(copy, len);
	/* relocatable objects are not symbolization targets */
	memcpy(copy, buf, len);
	copy[0x10] = 1; /* e_type = ET_REL */
	expect_enoexec_mem(copy, len);
	free(copy);
	free(buf);

	errno = 0;
	assert_null(elf_syms__open_path(DATA_DIR "/does-not-exist"));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(elf_syms__open_path(DATA_DIR "/elf_fixture_pie.nm"));
	assert_int_equal(errno, ENOEXEC);
}

/* A hand-made ELF in memory, for the exact selection rules that compiler output never shows. */
struct mini_sym {
	const char *name;
	uint64_t value, size;
	unsigned char bind, type;
	uint16_t shndx;
};

#define MINI_TEXT_OFF  0x200
#define MINI_TEXT_ADDR 0x401000
#define MINI_TEXT_SIZE 0x400

struct mini_buf {
	unsigned char *data;
	size_t len;
};

static size_t mini_put(struct mini_buf *b, const void *p, size_t n, size_t align)
{
	size_t off = (b->len + align - 1) & ~(align - 1);

	b->data = realloc(b->data, off + n);
	assert_non_null(b->data);
	memset(b->data + b->len, 0, off - b->len);
	memcpy(b->data + off, p, n);
	b->len = off + n;
	return off;
}

/* Symbol table plus its string table; returns the two file offsets and sizes. */
static void mini_symtab(struct mini_buf *b, const struct mini_sym *syms, size_t nr,
			Elf64_Shdr *ret_sym, Elf64_Shdr *ret_str)
{
	Elf64_Sym table[16] = {};
	char strtab[512] = "";
	size_t str_len = 1;

	assert_true(nr < 16);
	for (size_t i = 0; i < nr; i++) {
		size_t n = strlen(syms[i].name) + 1;

		assert_true(str_len + n < sizeof(strtab));
		memcpy(strtab + str_len, syms[i].name, n);
		table[i + 1] = (Elf64_Sym){
			.st_name = (Elf64_Word)str_len,
			.st_info = ELF64_ST_INFO(syms[i].bind, syms[i].type),
			.st_shndx = syms[i].shndx,
			.st_value = syms[i].value,
			.st_size = syms[i].size,
		};
		str_len += n;
	}
	ret_sym->sh_offset = mini_put(b, table, (nr + 1) * sizeof(Elf64_Sym), 8);
	ret_sym->sh_size = (nr + 1) * sizeof(Elf64_Sym);
	ret_str->sh_offset = mini_put(b, strtab, str_len, 1);
	ret_str->sh_size = str_len;
}

static void *mini_elf(const struct mini_sym *symtab, size_t nr_symtab,
		      const struct mini_sym *dynsym, size_t nr_dynsym, size_t *ret_len)
{
	static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.dynsym\0.dynstr\0.shstrtab";
	struct mini_buf b = {};
	Elf64_Shdr sh[7] = {};
	unsigned char text[MINI_TEXT_SIZE];
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT },
		.e_type = ET_DYN,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 1,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = 7,
		.e_shstrndx = 6,
	};
	Elf64_Phdr ph = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X,
		.p_offset = MINI_TEXT_OFF,
		.p_vaddr = MINI_TEXT_ADDR,
		.p_paddr = MINI_TEXT_ADDR,
		.p_filesz = MINI_TEXT_SIZE,
		.p_memsz = MINI_TEXT_SIZE,
		.p_align = 0x1000,
	};

	mini_put(&b, &eh, sizeof(eh), 1);
	mini_put(&b, &ph, sizeof(ph), 1);
	memset(text, 0xcc, sizeof(text));
	assert_int_equal(mini_put(&b, text, sizeof(text), MINI_TEXT_OFF), MINI_TEXT_OFF);
	sh[1] = (Elf64_Shdr){ .sh_name = 1,
			      .sh_type = SHT_PROGBITS,
			      .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			      .sh_addr = MINI_TEXT_ADDR,
			      .sh_offset = MINI_TEXT_OFF,
			      .sh_size = MINI_TEXT_SIZE,
			      .sh_addralign = 16 };
	/* .dynsym before .symtab, as linkers lay them out: input order alone would favour it */
	mini_symtab(&b, dynsym, nr_dynsym, &sh[2], &sh[3]);
	mini_symtab(&b, symtab, nr_symtab, &sh[4], &sh[5]);
	sh[2].sh_name = 23, sh[2].sh_type = SHT_DYNSYM, sh[2].sh_link = 3;
	sh[3].sh_name = 31, sh[3].sh_type = SHT_STRTAB;
	sh[4].sh_name = 7, sh[4].sh_type = SHT_SYMTAB, sh[4].sh_link = 5;
	sh[5].sh_name = 15, sh[5].sh_type = SHT_STRTAB;
	sh[2].sh_entsize = sh[4].sh_entsize = sizeof(Elf64_Sym);
	sh[2].sh_addralign = sh[4].sh_addralign = 8;
	sh[6] = (Elf64_Shdr){ .sh_name = 39, .sh_type = SHT_STRTAB, .sh_size = sizeof(shstrtab) };
	sh[6].sh_offset = mini_put(&b, shstrtab, sizeof(shstrtab), 1);
	eh.e_shoff = mini_put(&b, sh, sizeof(sh), 8);
	memcpy(b.data, &eh, sizeof(eh));
	*ret_len = b.len;
	return b.data;
}

#define T(off) (MINI_TEXT_ADDR + (off))

static void selection_rules(void **state)
{
	static const struct mini_sym symtab[] = {
		/* a LOCAL alias with the size, the GLOBAL name without: GLOBAL name, borrowed size */
		{ "__GI_foo", T(0x40), 0x10, STB_LOCAL, STT_FUNC, 1 },
		{ "foo", T(0x40), 0, STB_GLOBAL, STT_FUNC, 1 },
		{ "real_name", T(0xc0), 0x10, STB_GLOBAL, STT_FUNC, 1 },
		{ "w_alias", T(0x100), 0x20, STB_WEAK, STT_FUNC, 1 },
		{ "g_name", T(0x100), 0x20, STB_GLOBAL, STT_FUNC, 1 },
		{ "tail_nosize", T(0x200), 0, STB_LOCAL, STT_FUNC, 1 },
		{ "an_object", T(0x240), 8, STB_GLOBAL, STT_OBJECT, 1 },
		{ "untyped", T(0x250), 8, STB_GLOBAL, STT_NOTYPE, 1 },
		{ "undef_fn", T(0x260), 0, STB_GLOBAL, STT_FUNC, SHN_UNDEF },
		{ "zero_fn", 0, 0x10, STB_GLOBAL, STT_FUNC, 1 },
		{ "outer", T(0x300), 0x40, STB_GLOBAL, STT_FUNC, 1 },
		{ "inner", T(0x310), 0x8, STB_LOCAL, STT_FUNC, 1 },
		{ "last_nosize", T(0x380), 0, STB_GLOBAL, STT_FUNC, 1 },
		{ "an_ifunc", T(0x3c0), 0, STB_GLOBAL, STT_GNU_IFUNC, 1 },
	};
	static const struct mini_sym dynsym[] = {
		{ "exported_name", T(0xc0), 0x10, STB_GLOBAL, STT_FUNC, 1 }, /* .symtab name wins */
		{ "dyn_only", T(0x80), 0x10, STB_GLOBAL, STT_FUNC, 1 },
	};
	static const struct {
		uint64_t addr;
		const char *name;
		uint64_t offset;
	} expect[] = {
		{ T(0x3f), NULL, 0 },
		{ T(0x40), "foo", 0 },
		{ T(0x4f), "foo", 0xf },
		{ T(0x50), NULL, 0 }, /* the borrowed size ends it, not the next symbol */
		{ T(0x80), "dyn_only", 0 },
		{ T(0xc5), "real_name", 5 },
		{ T(0x11f), "g_name", 0x1f },
		{ T(0x2ff), "tail_nosize", 0xff }, /* size 0: up to the next symbol */
		{ T(0x240), "tail_nosize", 0x40 }, /* objects, untyped and undefined are not kept */
		{ T(0x312), "inner", 2 },
		{ T(0x320), "outer", 0x20 }, /* past the nested symbol, inside the enclosing one */
		{ T(0x340), NULL, 0 },
		{ T(0x3bf), "last_nosize", 0x3f },
		{ T(0x3ff), "an_ifunc", 0x3f }, /* last size-0 symbol: up to its section's end */
		{ T(0x400), NULL, 0 },
		{ 0x10, NULL, 0 },
	};
	struct elf_syms *es;
	uint64_t vaddr = 0;
	size_t len;
	void *elf = mini_elf(symtab, sizeof(symtab) / sizeof(symtab[0]), dynsym,
			     sizeof(dynsym) / sizeof(dynsym[0]), &len);

	(void)state;
	es = elf_syms__open_mem(elf, len);
	free(elf);
	assert_non_null(es);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		uint64_t off = UINT64_MAX;
		const char *name = elf_syms__lookup(es, expect[i].addr, &off);

		if (!expect[i].name != !name || (name && strcmp(name, expect[i].name)))
			fail_msg("0x%" PRIx64 ": expected %s, got %s", expect[i].addr,
				 expect[i].name ? expect[i].name : "(null)",
				 name ? name : "(null)");
		if (name)
			assert_int_equal(off, expect[i].offset);
	}
	/* foo, dyn_only, real_name, g_name, tail_nosize, outer, inner, last_nosize, an_ifunc */
	assert_int_equal(elf_syms__count(es), 9);
	assert_null(elf_syms__build_id(es));

	assert_int_equal(elf_syms__offset_to_vaddr(es, MINI_TEXT_OFF + 0x10, &vaddr), 0);
	assert_int_equal(vaddr, T(0x10));
	assert_int_equal(elf_syms__offset_to_vaddr(es, MINI_TEXT_OFF + MINI_TEXT_SIZE - 1, &vaddr),
			 0);
	assert_int_equal(vaddr, T(MINI_TEXT_SIZE - 1));
	assert_int_equal(elf_syms__offset_to_vaddr(es, MINI_TEXT_OFF - 1, &vaddr), -ENOENT);
	assert_int_equal(elf_syms__offset_to_vaddr(es, MINI_TEXT_OFF + MINI_TEXT_SIZE, &vaddr),
			 -ENOENT);
	elf_syms__free(es);
}

static void null_safe(void **state)
{
	(void)state;
	elf_syms__free(NULL);
	assert_null(elf_syms__lookup(NULL, 0x1000, NULL));
	assert_null(elf_syms__build_id(NULL));
	assert_int_equal(elf_syms__count(NULL), 0);
	assert_int_equal(elf_syms__mem_bytes(NULL), 0);
	assert_int_equal(elf_syms__offset_to_vaddr(NULL, 0, NULL), -EINVAL);
	assert_int_equal(elf_syms__load_bias(NULL, 0, 1, 0, true, NULL), -EINVAL);
}

/* The real path: a loaded library's runtime address -> /proc/self/maps -> file offset -> vaddr ->
 * symbol. The dynamic loader, not elf_syms, decided where the library went. */
static void resolve_runtime_address(const char *file, uint64_t addr, const char *expect,
				    double max_ms)
{
	struct proc_maps *maps = proc_maps__read(getpid(), true);
	const struct proc_map *m;
	struct timespec t0, t1;
	struct elf_syms *es;
	uint64_t vaddr, bias;
	double ms;

	assert_non_null(maps);
	m = proc_maps__find(maps, addr);
	assert_non_null(m);
	assert_true(m->prot_exec);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	es = elf_syms__open_path(file);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(es);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (ms > max_ms)
		fail_msg("loading %s took %.1f ms", file, ms);

	assert_int_equal(elf_syms__offset_to_vaddr(es, m->pgoff + (addr - m->start), &vaddr), 0);
	assert_string_equal(elf_syms__lookup(es, vaddr, NULL), expect);
	/* the mapping's load bias, as the unwinder uses it, gives the same address */
	assert_int_equal(elf_syms__load_bias(es, m->start, m->end, m->pgoff, true, &bias), 0);
	assert_true(addr - bias == vaddr);
	assert_string_equal(elf_syms__lookup(es, vaddr + 3, NULL), expect);
	elf_syms__free(es);
	proc_maps__free(maps);
}

static void dlopen_roundtrip(void **state)
{
	void *lib = dlopen(DATA_DIR "/libelf_fixture.so", RTLD_NOW | RTLD_LOCAL);
	void *leaf, *big;

	(void)state;
	assert_non_null(lib);
	leaf = dlsym(lib, "flamed_fixture_leaf");
	big = dlsym(lib, "flamed_fixture_big_function");
	assert_non_null(leaf);
	assert_non_null(big);
	resolve_runtime_address(DATA_DIR "/libelf_fixture.so", (uintptr_t)leaf,
				"flamed_fixture_leaf", 1000);
	resolve_runtime_address(DATA_DIR "/libelf_fixture.so", (uintptr_t)big + 0x10004,
				"flamed_fixture_big_function", 1000);
	dlclose(lib);
}

static __attribute__((noinline)) int test_local_marker_function(int x)
{
	volatile int v = x;

	return v * 3 + 1;
}

static void self_and_libc(void **state)
{
	Dl_info info;

	(void)state;
	resolve_runtime_address("/proc/self/exe", (uintptr_t)&test_local_marker_function,
				"test_local_marker_function", 1000);
	/* libc (Debian ships only .dynsym): loading must stay cheap. A function sanitizers do not
	 * intercept, so its address really is in libc. */
	assert_true(dladdr((void *)&gnu_get_libc_version, &info));
	assert_non_null(info.dli_fname);
	assert_non_null(strstr(info.dli_fname, "libc.so"));
	resolve_runtime_address(info.dli_fname, (uintptr_t)&gnu_get_libc_version,
				"gnu_get_libc_version", 250);
	assert_int_equal(test_local_marker_function(1), 4);
}

#define PER_VARIANT(fn)                                             \
	cmocka_unit_test_prestate(fn, "elf_fixture_pie"),           \
		cmocka_unit_test_prestate(fn, "elf_fixture_nopie"), \
		cmocka_unit_test_prestate(fn, "libelf_fixture.so"), \
		cmocka_unit_test_prestate(fn, "elf_fixture_stripped")

/* A table big enough to pack its names: every symbol still answers its own name, in any order
 * (the unpacked block changes), a name longer than a block included; the memory is a fraction of
 * the names'. */
static void packed_names(void **state)
{
	enum { N = 20000 };
	struct elf_syms_input *in = calloc(N, sizeof(*in));
	char(*names)[48] = calloc(N, sizeof(*names)), *longname = malloc(20001), want[64];
	struct elf_syms *es;
	size_t raw = 0;

	(void)state;
	assert_true(in && names && longname);
	memset(longname, 'x', 20000);
	longname[20000] = '\0';
	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "_ZN4geom%zu5relaxEv", i * 7919 % 100003);
		in[i] = (struct elf_syms_input){ .addr = 0x1000 + 16 * i,
						 .size = 16,
						 .name = i == N / 2 ? longname : names[i],
						 .bind = STB_GLOBAL };
		raw += strlen(in[i].name) + 1;
	}
	es = elf_syms__from_list(in, N);
	assert_non_null(es);
	assert_int_equal(elf_syms__count(es), N);
	assert_true(elf_syms__mem_bytes(es) > raw);
	assert_string_equal(elf_syms__lookup(es, 0x1000 + 5, NULL), names[0]); /* not packed yet */
	assert_int_equal(elf_syms__pack(es), 0);
	assert_int_equal(elf_syms__pack(es), 0); /* once is enough */
	assert_int_equal(elf_syms__pack(NULL), 0);
	assert_true(elf_syms__mem_bytes(es) < N * 16 + raw / 2);
	for (size_t k = 0; k < 3 * N; k++) {
		size_t i = k < N ? k : (k * 2654435761u) % N; /* in order, then all over */
		uint64_t off;
		const char *name = elf_syms__lookup(es, 0x1000 + 16 * i + 5, &off);

		assert_non_null(name);
		assert_int_equal(off, 5);
		if (i == N / 2) {
			assert_int_equal(strlen(name), 20000);
			continue;
		}
		snprintf(want, sizeof(want), "%s", names[i]);
		assert_string_equal(name, want);
	}
	assert_null(elf_syms__lookup(es, 0x1000 + 16 * N, NULL));
	elf_syms__free(es);
	free(in);
	free(names);
	free(longname);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PER_VARIANT(symbols_match_nm),
		PER_VARIANT(ifunc_prefers_global_name),
		PER_VARIANT(offset_roundtrip),
		PER_VARIANT(build_id_matches_readelf),
		cmocka_unit_test(stripped_keeps_dynsym_only),
		cmocka_unit_test(mem_and_fd_agree),
		cmocka_unit_test(malformed_files_fail),
		cmocka_unit_test(selection_rules),
		cmocka_unit_test(null_safe),
		cmocka_unit_test(dlopen_roundtrip),
		cmocka_unit_test(self_and_libc),
		cmocka_unit_test(packed_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
