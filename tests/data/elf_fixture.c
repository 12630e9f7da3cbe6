// SPDX-License-Identifier: MIT
/* ELF fixture for test_elf_syms: built by tests/data/CMakeLists.txt as a PIE, a non-PIE executable,
 * a shared library and a stripped copy. The names are distinctive so the test can find them in the
 * nm oracle; one function is static (only in .symtab), one is large (longer than 64 KiB, so a
 * lookup deep inside it only works with its real st_size), one is an IFUNC whose GLOBAL name
 * must win over its LOCAL resolver at the same address. */
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))
#if defined(__clang__)
#define NOINLINE __attribute__((noinline, used))
#else
/* noipa: no .constprop/.isra clones, so each function keeps exactly its source name */
#define NOINLINE __attribute__((noinline, noipa, used))
#endif

typedef int (*fixture_fn)(int);

static NOINLINE int flamed_fixture_static_helper(int x)
{
	return x * 3 + 1;
}

EXPORT NOINLINE int flamed_fixture_leaf(int x)
{
	return flamed_fixture_static_helper(x) ^ 0x5a;
}

EXPORT NOINLINE int flamed_fixture_big_function(int x)
{
	/* 70000 bytes of nops: the function's st_size covers them */
	__asm__ volatile(".fill 70000, 1, 0x90");
	return flamed_fixture_leaf(x) + 7;
}

static NOINLINE int flamed_fixture_ifunc_impl(int x)
{
	return x - 11;
}

static __attribute__((used)) fixture_fn flamed_fixture_ifunc_resolver(void)
{
	return flamed_fixture_ifunc_impl;
}

EXPORT int flamed_fixture_ifunc(int x) __attribute__((ifunc("flamed_fixture_ifunc_resolver")));

#ifndef FLAMED_FIXTURE_LIB
int main(int argc, char **argv)
{
	(void)argv;
	return (flamed_fixture_big_function(argc) + flamed_fixture_ifunc(argc)) & 1 ? EXIT_SUCCESS
										    : EXIT_SUCCESS;
}
#endif
