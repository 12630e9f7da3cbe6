// SPDX-License-Identifier: MIT
/* Inline frames keep their C++ scope: every function inlined into geo::Grid<int>::relax(int) in
 * tests/data/dwarf_cpp_fixture.cpp (-O2) is named exactly as `nm -C` names the same function in
 * the build where nothing is inlined (the oracle): static and anonymous-namespace functions
 * (no DW_AT_linkage_name), a class template member, a function template, a function taking a
 * struct reference, a typedef and a volatile pointer, one taking a std::map and a std::string,
 * and a lambda. Also: a C unit keeps plain
 * names, and malformed DWARF gives no name rather than a crash (fuzz_dwarf_lines covers more). */
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
#include <cmocka.h>

#include "symbolize/demangle.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/dwarf_table.h"

#define DATA_DIR FLAMED_TEST_DATA_DIR
#define MAX_SYMS 256

struct syms {
	char *name[MAX_SYMS];
	uint64_t addr[MAX_SYMS], size[MAX_SYMS];
	size_t n;
};

/* `nm -C [-S]` output: demangled names, " [clone .xyz]" suffixes dropped (GCC's copies of a
 * function specialised for its call sites demangle to the function's name plus the clone) */
static void read_nm(const char *file, bool sized, struct syms *out)
{
	char path[PATH_MAX], line[1024], name[900];
	unsigned long long a, sz = 0;
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, file);
	f = fopen(path, "r");
	assert_non_null(f);
	while (out->n < MAX_SYMS && fgets(line, sizeof(line), f)) {
		char *clone;
		int got = sized ? sscanf(line, "%llx %llx %*c %899[^\n]", &a, &sz, name)
				: sscanf(line, "%llx %*c %899[^\n]", &a, name);

		if (got != (sized ? 3 : 2))
			continue;
		clone = strstr(name, " [clone ");
		if (clone)
			*clone = '\0';
		out->name[out->n] = strdup(name);
		out->addr[out->n] = a;
		out->size[out->n++] = sz;
	}
	fclose(f);
	assert_true(out->n > 0);
}

static void free_syms(struct syms *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->name[i]);
}

static const char *find_sym(const struct syms *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->name[i];
	return NULL;
}

static struct dwarf_lines *open_lines(const char *name)
{
	struct dwarf_lines *dl;
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	dl = dwarf_lines__open(fd, NULL);
	close(fd);
	assert_non_null(dl);
	return dl;
}

/* dl's units, all read into a compact table (what the symbolizer looks frames up in). */
static struct dwarf_table *table_of(struct dwarf_lines *dl)
{
	struct dwarf_table *t = dwarf_lines__table(dl);

	assert_non_null(t);
	assert_true(dwarf_lines__extract_all(dl, t, SIZE_MAX, 0) > 0);
	return t;
}

static void inline_names(void **state)
{
	/* the oracle names of the functions relax inlines, by a part of their name */
	static const char *const helpers[] = { "twist(",	 "anon_mix(", "step(",
					       "clampv<",	 "describe(", "lookup(",
					       "{lambda(int)#1}" };
	bool seen[sizeof(helpers) / sizeof(helpers[0])] = { false };
	const char *relax = "geo::Grid<int>::relax(int)";
	struct syms bin, oracle;
	struct dwarf_frame fr[16];
	struct dwarf_table *t;
	struct dwarf_lines *dl;
	uint64_t start = 0, end = 0;

	(void)state;
	read_nm("dwarf_cpp_fixture.nm", true, &bin);
	read_nm("dwarf_cpp_fixture_oracle.nm", false, &oracle);
	for (size_t i = 0; i < bin.n; i++)
		if (!strcmp(bin.name[i], relax)) {
			start = bin.addr[i];
			end = start + bin.size[i];
		}
	assert_true(end > start);
	dl = open_lines("dwarf_cpp_fixture");
	t = table_of(dl);
	for (uint64_t a = start; a < end; a++) {
		size_t n = dwarf_table__lookup(t, a, fr, 16);

		assert_true(n >= 1);
		/* the physical function: its linkage name, demangled later by the builder */
		assert_string_equal(fr[n - 1].name, "_ZN3geo4GridIiE5relaxEi");
		for (size_t k = 0; k + 1 < n; k++) {
			/* a linkage name is demangled by the builder, as here; any other name is
			 * final: both must be the oracle's, character for character */
			char *dm = fr[k].name ? demangle(fr[k].name) : NULL;
			const char *name = dm ? dm : fr[k].name;

			assert_true(fr[k].inlined);
			assert_non_null(name);
			/* the fixture's own functions (standard library ones are inlined
			 * differently in the oracle build): as nm -C names them; the library's
			 * (constructors have no linkage name either): at least qualified */
			if (strstr(name, "geo::") && !find_sym(&oracle, name))
				fail_msg("inline frame '%s' at %#llx is not a name nm -C gives",
					 name, (unsigned long long)a);
			if (!strstr(name, "::") || !strchr(name, '('))
				fail_msg("inline frame '%s' at %#llx has no scope or parameters",
					 name, (unsigned long long)a);
			for (size_t h = 0; h < sizeof(helpers) / sizeof(helpers[0]); h++)
				seen[h] |= strstr(name, helpers[h]) != NULL;
			free(dm);
		}
	}
	/* geo::twist(unsigned long), geo::(anonymous namespace)::anon_mix(unsigned int, char
	 * const*), int geo::clampv<int>(int, int) and geo::describe(geo::Point const&, unsigned
	 * long, int volatile*) have no linkage name: named through their scope; step and the
	 * lambda by their linkage names */
	for (size_t h = 0; h < sizeof(helpers) / sizeof(helpers[0]); h++)
		if (!seen[h])
			fail_msg("no inline frame of %s", helpers[h]);
	dwarf_table__free(t);
	dwarf_lines__free(dl);
	free_syms(&bin);
	free_syms(&oracle);
}

/* A C unit: names stay plain (C symbols carry no scope or parameters) */
static void c_names_plain(void **state)
{
	struct syms bin;
	struct dwarf_frame fr[8];
	struct dwarf_table *t;
	struct dwarf_lines *dl;
	bool inlined = false;

	(void)state;
	read_nm("dwarf_fixture.nm", true, &bin);
	dl = open_lines("dwarf_fixture");
	t = table_of(dl);
	for (size_t i = 0; i < bin.n; i++) {
		if (strcmp(bin.name[i], "outer"))
			continue;
		for (uint64_t a = bin.addr[i]; a < bin.addr[i] + bin.size[i]; a++) {
			size_t n = dwarf_table__lookup(t, a, fr, 8);

			if (n == 2) {
				assert_string_equal(fr[0].name, "mix");
				inlined = true;
			}
		}
	}
	assert_true(inlined);
	dwarf_table__free(t);
	dwarf_lines__free(dl);
	free_syms(&bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inline_names),
		cmocka_unit_test(c_names_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
