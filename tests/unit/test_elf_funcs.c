// SPDX-License-Identifier: MIT
/* Function ranges from .eh_frame (elf/elf_funcs.h) and the ELF object (elf/elf_file.h): a crafted
 * section with exact expectations and every truncation of it; the stripped fixture, whose FDEs
 * must give back each function's nm address and size from the unstripped build; the same file
 * without section headers (found through PT_GNU_EH_FRAME); a mapped file's ELF object through
 * the process table (proc_file__elf) on this process. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "test_files.h"

#include "elf/elf_file.h"
#include "elf/elf_funcs.h"
#include "proc/proc_table.h"
#include "unwind/unwind_table.h"

#define DATA_DIR  FLAMED_TEST_DATA_DIR
#define SEC_VADDR 0x1000

struct sec {
	uint8_t b[512];
	size_t n;
};

static void put(struct sec *s, const void *p, size_t n)
{
	assert_true(s->n + n <= sizeof(s->b));
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void put32(struct sec *s, uint32_t v)
{
	put(s, &v, 4);
}

/* A "zPLR" CIE (personality udata4, LSDA and FDE pointers pcrel|sdata4), as GCC emits for C++. */
static size_t put_cie(struct sec *s)
{
	static const uint8_t body[] = { 0,    0,    0, 0,    1,	   'z',	 'P', 'L', 'R',	 0,    1,
					0x78, 0x10, 7, 0x03, 0x34, 0x12, 0,   0,   0x1b, 0x1b, 0 };
	size_t off = s->n;

	put32(s, sizeof(body));
	put(s, body, sizeof(body));
	return off;
}

/* An FDE for [begin, begin + range) (ELF addresses) pointing back at the CIE at cie_off. */
static void put_fde(struct sec *s, size_t cie_off, uint64_t begin, uint32_t range)
{
	size_t off = s->n;
	int32_t rel = (int32_t)(begin - (SEC_VADDR + off + 8));

	put32(s, 16);
	put32(s, (uint32_t)(off + 4 - cie_off));
	put(s, &rel, 4);
	put32(s, range);
	put32(s, 0); /* augmentation length 0, padding */
}

static void crafted(struct sec *s)
{
	size_t cie;

	memset(s, 0, sizeof(*s));
	cie = put_cie(s);
	put_fde(s, cie, SEC_VADDR + 0x200, 0x80);
	put_fde(s, cie, SEC_VADDR + 0x100, 0x40);
	put_fde(s, cie, SEC_VADDR + 0x180, 0x10);
	put_fde(s, cie, SEC_VADDR + 0x100, 0x20); /* same start, narrower: merged */
	put_fde(s, cie, 0, 0x10); /* pc_begin 0 after relocation: what ld leaves of GC'ed code */
	/* an FDE whose CIE pointer runs before the section */
	put32(s, 8);
	put32(s, (uint32_t)(s->n + 1000));
	put32(s, 0);
	put32(s, 0);  /* terminator */
	put32(s, 16); /* after the terminator: never read */
}

static uint64_t start_of(const struct elf_funcs *f, uint64_t vaddr)
{
	uint64_t start = 0;

	return elf_funcs__lookup(f, vaddr, &start) ? 0 : start;
}

static void crafted_section(void **state)
{
	struct elf_funcs *f;
	struct sec s;

	(void)state;
	crafted(&s);
	f = elf_funcs__from_eh_frame(s.b, s.n, SEC_VADDR);
	assert_non_null(f);
	assert_int_equal(elf_funcs__count(f), 3);
	assert_int_equal(start_of(f, SEC_VADDR + 0x100), SEC_VADDR + 0x100);
	assert_int_equal(start_of(f, SEC_VADDR + 0x13f), SEC_VADDR + 0x100);
	assert_int_equal(start_of(f, SEC_VADDR + 0x140), 0); /* a gap between two functions */
	assert_int_equal(start_of(f, SEC_VADDR + 0x185), SEC_VADDR + 0x180);
	assert_int_equal(start_of(f, SEC_VADDR + 0x27f), SEC_VADDR + 0x200);
	assert_int_equal(start_of(f, SEC_VADDR + 0x280), 0);
	assert_int_equal(start_of(f, 5), 0);
	assert_int_equal(elf_funcs__lookup(f, UINT64_MAX, NULL), -ENOENT);
	elf_funcs__free(f);
}

/* The ELF object of a mapped file, through the process table on this very process: read once and
 * kept with the file; its load bias places this function's runtime address at the ELF address
 * its file offset translates to; and the function it is in starts at or below it. */
static void mapped_file_elf_object(void **state)
{
	struct proc_table *t = proc_table__new();
	uint64_t addr = (uint64_t)(uintptr_t)&mapped_file_elf_object, bias = 0, vaddr = 0, start;
	const struct elf_file *ef, *again;
	struct proc_file *f = NULL;
	const struct proc_map *m;
	struct proc_entry *e;
	struct elf_funcs *fn;
	int fd;

	(void)state;
	assert_non_null(t);
	e = proc_table__add(t, (uint32_t)getpid(), 1, NULL);
	assert_non_null(e);
	m = proc_table__lookup(t, e, addr, &f);
	assert_non_null(m);
	assert_non_null(f);
	ef = proc_file__elf(f);
	assert_non_null(ef);
	again = proc_file__elf(f);
	assert_ptr_equal(ef, again);
	assert_int_equal(elf_file__load_bias(ef, m->start, m->end, m->pgoff, m->prot_exec, &bias),
			 0);
	assert_int_equal(elf_file__offset_to_vaddr(ef, m->pgoff + (addr - m->start), &vaddr), 0);
	assert_true(vaddr + bias == addr);
	fd = proc_file__hold(f);
	assert_true(fd >= 0);
	fn = elf_funcs__open_fd(fd);
	proc_file__release(f);
	assert_non_null(fn);
	assert_int_equal(elf_funcs__lookup(fn, vaddr, &start), 0);
	assert_true(start <= vaddr && vaddr - start < 4096);
	elf_funcs__free(fn);
	proc_table__free(t); /* frees the ELF object too (LeakSanitizer) */
}

/* Every prefix and every single-byte corruption: no crash, never more functions than the whole. */
static void crafted_truncated_and_corrupted(void **state)
{
	struct sec s, bad;

	(void)state;
	crafted(&s);
	for (size_t n = 0; n <= s.n; n++) {
		struct elf_funcs *f = elf_funcs__from_eh_frame(n ? s.b : NULL, n, SEC_VADDR);

		assert_non_null(f);
		assert_true(elf_funcs__count(f) <= 3);
		elf_funcs__free(f);
	}
	for (size_t i = 0; i < s.n; i++) {
		for (unsigned v = 0; v < 256; v += 51) {
			struct elf_funcs *f;

			bad = s;
			bad.b[i] = (uint8_t)v;
			f = elf_funcs__from_eh_frame(bad.b, bad.n, SEC_VADDR);
			assert_non_null(f);
			elf_funcs__free(f);
		}
	}
}

/* nm's address and size of fixture functions (the unstripped build's .symtab). */
struct nm_func {
	uint64_t addr, size;
	char name[128];
};

static size_t nm_funcs(const char *variant, struct nm_func *out, size_t cap)
{
	char path[PATH_MAX], line[512], type;
	unsigned long long a, sz;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.nm", DATA_DIR, variant);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && n < cap) {
		if (sscanf(line, "%llx %llx %c %127s", &a, &sz, &type, out[n].name) != 4 ||
		    (type != 'T' && type != 't') || !sz ||
		    strncmp(out[n].name, "flamed_fixture", 14))
			continue;
		out[n].addr = a;
		out[n].size = sz;
		n++;
	}
	fclose(f);
	return n;
}

static void *read_file(const char *variant, size_t *ret_len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, variant);
	return test_read_file(path, ret_len);
}

static void check_fixture_functions(const struct elf_funcs *f)
{
	struct nm_func fn[64];
	size_t n = nm_funcs("elf_fixture_pie", fn, 64);

	assert_true(n >= 4);
	for (size_t i = 0; i < n; i++) {
		uint64_t end = fn[i].addr + fn[i].size;

		if (start_of(f, fn[i].addr) != fn[i].addr || start_of(f, end - 1) != fn[i].addr)
			fail_msg("%s at %#llx+%#llx: FDE start %#llx / %#llx", fn[i].name,
				 (unsigned long long)fn[i].addr, (unsigned long long)fn[i].size,
				 (unsigned long long)start_of(f, fn[i].addr),
				 (unsigned long long)start_of(f, end - 1));
	}
}

static void stripped_fixture_matches_nm(void **state)
{
	char path[PATH_MAX];
	struct elf_funcs *f;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/elf_fixture_stripped", DATA_DIR);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	f = elf_funcs__open_fd(fd);
	close(fd);
	assert_non_null(f);
	check_fixture_functions(f);
	elf_funcs__free(f);
}

/* Section headers gone (as some packers and hand-made loaders leave files): .eh_frame is found
 * through PT_GNU_EH_FRAME, with the same functions. */
static void no_section_headers(void **state)
{
	size_t len, n_with;
	uint8_t *buf = read_file("elf_fixture_stripped", &len);
	struct elf_funcs *f;
	struct elf_file *ef;

	(void)state;
	f = elf_funcs__open_mem(buf, len);
	assert_non_null(f);
	n_with = elf_funcs__count(f);
	elf_funcs__free(f);
	memset(buf + 0x28, 0, 8); /* e_shoff */
	memset(buf + 0x3c, 0, 4); /* e_shnum, e_shstrndx */
	f = elf_funcs__open_mem(buf, len);
	assert_non_null(f);
	assert_int_equal(elf_funcs__count(f), n_with);
	check_fixture_functions(f);
	elf_funcs__free(f);
	ef = elf_file__open_mem(buf, len); /* the build-id from PT_NOTE then */
	assert_non_null(ef);
	assert_non_null(elf_file__build_id(ef));
	elf_file__free(ef);
	free(buf);
}

/* One note reader: the ELF object and an unwind table of the same file carry the same build-id,
 * and the stripped copy keeps the unstripped build's. */
static void elf_file_build_id_and_segments(void **state)
{
	char hex[2 * UNWIND_BUILD_ID_MAX + 1];
	size_t len, tlen;
	uint8_t *buf = read_file("elf_fixture_pie", &len);
	struct elf_file *ef = elf_file__open_mem(buf, len), *stripped;
	struct unwind_table *t = unwind_table__build_mem(buf, len, NULL);
	const uint8_t *tid;
	uint64_t bias = 0;
	char path[PATH_MAX];

	(void)state;
	assert_non_null(ef);
	assert_non_null(t);
	tid = unwind_table__build_id(t, &tlen);
	assert_int_equal(tlen, 20);
	for (size_t i = 0; i < tlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", tid[i]);
	assert_string_equal(elf_file__build_id(ef), hex);
	assert_true(elf_file__nr_loads(ef) >= 2);
	/* a mapping of the first page at 0x7f0000000000: bias = start - vaddr of offset 0 */
	assert_int_equal(
		elf_file__load_bias(ef, 0x7f0000000000ULL, 0x7f0000001000ULL, 0, false, &bias), 0);
	assert_true(bias == 0x7f0000000000ULL);
	snprintf(path, sizeof(path), "%s/elf_fixture_stripped", DATA_DIR);
	{
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		assert_true(fd >= 0);
		stripped = elf_file__open_fd(fd);
		close(fd);
	}
	assert_non_null(stripped);
	assert_string_equal(elf_file__build_id(stripped), elf_file__build_id(ef));
	/* truncated headers: refused, not half-read */
	assert_null(elf_file__open_mem(buf, 0x50));
	assert_int_equal(errno, ENOEXEC);
	elf_file__free(stripped);
	elf_file__free(ef);
	unwind_table__free(t);
	free(buf);
}

static void null_safe(void **state)
{
	(void)state;
	assert_int_equal(elf_funcs__lookup(NULL, 1, NULL), -ENOENT);
	assert_int_equal(elf_funcs__count(NULL), 0);
	assert_null(elf_file__build_id(NULL));
	assert_int_equal(elf_file__offset_to_vaddr(NULL, 0, NULL), -EINVAL);
	assert_null(elf_funcs__open_mem("x", 1));
	elf_funcs__free(NULL);
	elf_file__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crafted_section),
		cmocka_unit_test(crafted_truncated_and_corrupted),
		cmocka_unit_test(stripped_fixture_matches_nm),
		cmocka_unit_test(no_section_headers),
		cmocka_unit_test(elf_file_build_id_and_segments),
		cmocka_unit_test(mapped_file_elf_object),
		cmocka_unit_test(null_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
