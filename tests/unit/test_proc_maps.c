// SPDX-License-Identifier: MIT
/* proc_maps: line shapes the kernel prints, malformed lines, whole texts, and the live
 * /proc/self/maps of this test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc/proc_maps.h"

static int parse(const char *line, struct proc_map *m)
{
	return proc_maps_parse_line(line, strlen(line), m);
}

static void parses_file_backed_exec_mapping(void **state)
{
	struct proc_map m;

	(void)state;
	assert_int_equal(parse("55d0c000-55d0d000 r-xp 00001000 08:01 1234   /usr/bin/true\n", &m),
			 0);
	assert_int_equal(m.start, 0x55d0c000);
	assert_int_equal(m.end, 0x55d0d000);
	assert_int_equal(m.pgoff, 0x1000);
	assert_int_equal(m.dev_major, 8);
	assert_int_equal(m.dev_minor, 1);
	assert_int_equal(m.inode, 1234);
	assert_true(m.prot_read);
	assert_false(m.prot_write);
	assert_true(m.prot_exec);
	assert_true(m.is_private);
	assert_false(m.is_deleted);
	assert_string_equal(m.path, "/usr/bin/true");
	free(m.path);
}

static void parses_line_shapes(void **state)
{
	static const struct {
		const char *line;
		uint64_t start, end, pgoff, inode;
		uint32_t major, minor;
		const char *perms; /* "rwxp" flags as parsed back */
		bool is_deleted;
		const char *path;
	} cases[] = {
		/* anonymous, with and without the kernel's padding, with and without newline */
		{ "7ffd0000-7ffd1000 rw-p 00000000 00:00 0", 0x7ffd0000, 0x7ffd1000, 0, 0, 0, 0,
		  "rw-p", false, "" },
		{ "7ffd0000-7ffd1000 rw-p 00000000 00:00 0                          \n", 0x7ffd0000,
		  0x7ffd1000, 0, 0, 0, 0, "rw-p", false, "" },
		{ "559a1000-559c2000 rw-p 00000000 00:00 0                          [heap]\n",
		  0x559a1000, 0x559c2000, 0, 0, 0, 0, "rw-p", false, "[heap]" },
		{ "7ffc8a1f3000-7ffc8a1f5000 r-xp 00000000 00:00 0                  [vdso]",
		  0x7ffc8a1f3000, 0x7ffc8a1f5000, 0, 0, 0, 0, "r-xp", false, "[vdso]" },
		{ "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0          [vsyscall]\n",
		  0xffffffffff600000, 0xffffffffff601000, 0, 0, 0, 0, "--xp", false, "[vsyscall]" },
		{ "7ffe1000-7ffe2000 rw-p 00000000 00:00 0 [stack]\n", 0x7ffe1000, 0x7ffe2000, 0, 0,
		  0, 0, "rw-p", false, "[stack]" },
		/* spaces inside the path are kept, only the padding before it goes */
		{ "7f0000000000-7f0000001000 r--s 00002000 00:05 99     /tmp/my file  with "
		  "spaces.so\n",
		  0x7f0000000000, 0x7f0000001000, 0x2000, 99, 0, 5, "r--s", false,
		  "/tmp/my file  with spaces.so" },
		/* deleted files: the suffix is stripped, spaces before it stay part of the name */
		{ "7f1000-7f2000 r-xp 00010000 fd:01 4242 /usr/lib/libfoo.so.1 (deleted)\n",
		  0x7f1000, 0x7f2000, 0x10000, 4242, 0xfd, 1, "r-xp", true,
		  "/usr/lib/libfoo.so.1" },
		{ "7f1000-7f2000 r-xp 00010000 fd:01 4242 /tmp/a b (deleted)", 0x7f1000, 0x7f2000,
		  0x10000, 4242, 0xfd, 1, "r-xp", true, "/tmp/a b" },
		{ "7f1000-7f2000 r-xp 00000000 00:01 5 /memfd:jit (deleted)\n", 0x7f1000, 0x7f2000,
		  0, 5, 0, 1, "r-xp", true, "/memfd:jit" },
		/* "(deleted)" without the space is an ordinary name */
		{ "7f1000-7f2000 r-xp 00000000 00:01 5 /tmp/(deleted)\n", 0x7f1000, 0x7f2000, 0, 5,
		  0, 1, "r-xp", false, "/tmp/(deleted)" },
		/* big device numbers, big inode, big offset, shared writable */
		{ "1000-2000 -w-s 7fffffffffff000 103:1a3 18446744073709551615 /dev/shm/x\n",
		  0x1000, 0x2000, 0x7fffffffffff000, UINT64_MAX, 0x103, 0x1a3, "-w-s", false,
		  "/dev/shm/x" },
		{ "1000-2000 ---p 00000000 00:00 0\n", 0x1000, 0x2000, 0, 0, 0, 0, "---p", false,
		  "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proc_map m;
		char perms[5];

		if (parse(cases[i].line, &m))
			fail_msg("line %zu rejected: %s", i, cases[i].line);
		assert_int_equal(m.start, cases[i].start);
		assert_int_equal(m.end, cases[i].end);
		assert_int_equal(m.pgoff, cases[i].pgoff);
		assert_int_equal(m.inode, cases[i].inode);
		assert_int_equal(m.dev_major, cases[i].major);
		assert_int_equal(m.dev_minor, cases[i].minor);
		perms[0] = m.prot_read ? 'r' : '-';
		perms[1] = m.prot_write ? 'w' : '-';
		perms[2] = m.prot_exec ? 'x' : '-';
		perms[3] = m.is_private ? 'p' : 's';
		perms[4] = '\0';
		assert_string_equal(perms, cases[i].perms);
		assert_int_equal(m.is_deleted, cases[i].is_deleted);
		assert_string_equal(m.path, cases[i].path);
		free(m.path);
	}
}

static void rejects_malformed_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"1000-",
		"1000-2000",
		"1000-2000 ",
		"1000-2000 r-xp",
		"1000-2000 r-xp 0",
		"1000-2000 r-xp 0 00:00",
		"1000-2000 r-xp 0 00:00 ",
		"1000-2000 r-xp 0 0000 0 /x",			  /* no ':' in dev */
		"1000-2000 r-xp 0 00:00 x /x",			  /* inode not a number */
		"1000-2000 r-xp 0 00:00 12x /x",		  /* junk right after the inode */
		"1000-2000 r-xp 0 00:00 99999999999999999999 /x", /* inode overflows */
		"2000-1000 r-xp 0 00:00 0",			  /* end before start */
		"1000-1000 r-xp 0 00:00 0",			  /* empty */
		"10000000000000000-10000000000000001 r-xp 0 00:00 0", /* 17 hex digits */
		"1000-2000 rwxq 0 00:00 0",			      /* bad sharing flag */
		"1000-2000 xwrp 0 00:00 0",			      /* perms out of order */
		"1000-2000 r-x 0 00:00 0",			      /* short perms */
		"1000-2000\tr-xp 0 00:00 0",			      /* tab separator */
		" 1000-2000 r-xp 0 00:00 0",			      /* leading space */
		"-1000-2000 r-xp 0 00:00 0",
		"1000--2000 r-xp 0 00:00 0",
		"1000-2000 r-xp 0 123456789:0 0",  /* major wider than 32 bits */
		"1000-2000 r-xp 0 00:00 0 /a\n/b", /* two lines in one */
		"g000-2000 r-xp 0 00:00 0",
	};
	struct proc_map m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&m, 0x5a, sizeof(m));
		if (parse(bad[i], &m) != -EINVAL)
			fail_msg("accepted malformed line %zu: '%s'", i, bad[i]);
		/* out-params are written only on success */
		assert_int_equal(m.start, 0x5a5a5a5a5a5a5a5aull);
	}
	/* an embedded NUL inside the given length */
	assert_int_equal(proc_maps_parse_line("1000-2000 r-xp 0 00:00 0 /a\0b", 29, &m), -EINVAL);
	/* the length is honoured: the same text cut before the path is an anonymous mapping */
	assert_int_equal(proc_maps_parse_line("1000-2000 r-xp 0 00:00 0 /a", 24, &m), 0);
	assert_string_equal(m.path, "");
	free(m.path);
	assert_int_equal(proc_maps_parse_line(NULL, 0, &m), -EINVAL);
}

static const char maps_text[] =
	"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00651000-00652000 r--p 00051000 08:02 173521      /usr/bin/dbus-daemon\n"
	"00652000-00655000 rw-p 00052000 08:02 173521      /usr/bin/dbus-daemon\n"
	"this line is broken\n"
	"00e03000-00e24000 rw-p 00000000 00:00 0           [heap]\n"
	"7f0000000000-7f0000001000 r-xp 00000000 00:00 0 \n"
	"7f0000001000-7f0000003000 r-xp 00001000 08:02 77 /lib/with space.so (deleted)\n"
	"7f0000005000-7f0000004000 r-xp 00000000 00:00 0\n"	    /* inverted: bad */
	"7ffc8a1f3000-7ffc8a1f5000 r-xp 00000000 00:00 0   [vdso]"; /* no final newline */

static void parses_whole_text(void **state)
{
	struct proc_maps *m;
	size_t bad = 99;

	(void)state;
	m = proc_maps__parse(maps_text, sizeof(maps_text) - 1, false, &bad);
	assert_non_null(m);
	assert_int_equal(m->nr, 7);
	assert_int_equal(bad, 2);
	for (size_t i = 1; i < m->nr; i++)
		assert_true(m->maps[i - 1].end <= m->maps[i].start);
	assert_string_equal(m->maps[3].path, "[heap]");
	assert_string_equal(m->maps[5].path, "/lib/with space.so");
	assert_true(m->maps[5].is_deleted);
	assert_string_equal(m->maps[6].path, "[vdso]");
	proc_maps__free(m);

	m = proc_maps__parse(maps_text, sizeof(maps_text) - 1, true, NULL);
	assert_non_null(m);
	assert_int_equal(m->nr, 4);
	for (size_t i = 0; i < m->nr; i++)
		assert_true(m->maps[i].prot_exec);
	proc_maps__free(m);

	m = proc_maps__parse("", 0, false, &bad);
	assert_non_null(m);
	assert_int_equal(m->nr, 0);
	assert_int_equal(bad, 0);
	assert_null(proc_maps__find(m, 0x1000));
	proc_maps__free(m);
}

/* Hostile text out of order or overlapping still gives a sorted, disjoint list. */
static void sorts_and_drops_overlaps(void **state)
{
	static const char text[] = "5000-6000 r-xp 0 00:00 0 /c\n"
				   "1000-2000 r-xp 0 00:00 0 /a\n"
				   "1800-2800 r-xp 0 00:00 0 /overlap\n"
				   "3000-4000 r-xp 0 00:00 0 /b\n";
	struct proc_maps *m;
	size_t bad;

	(void)state;
	m = proc_maps__parse(text, sizeof(text) - 1, false, &bad);
	assert_non_null(m);
	assert_int_equal(m->nr, 3);
	assert_int_equal(bad, 1);
	assert_string_equal(m->maps[0].path, "/a");
	assert_string_equal(m->maps[1].path, "/b");
	assert_string_equal(m->maps[2].path, "/c");
	assert_string_equal(proc_maps__find(m, 0x3500)->path, "/b");
	assert_null(proc_maps__find(m, 0x2400)); /* only the dropped overlap covered it */
	proc_maps__free(m);
}

static void find_on_boundaries(void **state)
{
	static const char text[] = "1000-2000 r-xp 0 00:00 0 /a\n"
				   "2000-3000 r-xp 0 00:00 0 /b\n" /* adjacent to /a */
				   "5000-6000 r-xp 0 00:00 0 /c\n"
				   "fffffffffffff000-ffffffffffffffff r-xp 0 00:00 0 /top\n";
	struct proc_maps *m;

	(void)state;
	m = proc_maps__parse(text, sizeof(text) - 1, false, NULL);
	assert_non_null(m);
	assert_int_equal(m->nr, 4);
	assert_null(proc_maps__find(m, 0));
	assert_null(proc_maps__find(m, 0xfff));
	assert_string_equal(proc_maps__find(m, 0x1000)->path, "/a");
	assert_string_equal(proc_maps__find(m, 0x1fff)->path, "/a");
	assert_string_equal(proc_maps__find(m, 0x2000)->path, "/b");
	assert_string_equal(proc_maps__find(m, 0x2fff)->path, "/b");
	assert_null(proc_maps__find(m, 0x3000));
	assert_null(proc_maps__find(m, 0x4fff));
	assert_string_equal(proc_maps__find(m, 0x5000)->path, "/c");
	assert_null(proc_maps__find(m, 0x6000));
	assert_string_equal(proc_maps__find(m, 0xfffffffffffffffeull)->path, "/top");
	assert_null(proc_maps__find(m, UINT64_MAX));
	assert_null(proc_maps__find(NULL, 0x1000));
	proc_maps__free(m);
	proc_maps__free(NULL);
}

static __attribute__((noinline)) int maps_test_marker(int x)
{
	volatile int v = x;

	return v + 1;
}

static void reads_self_maps(void **state)
{
	uint64_t addr = (uintptr_t)&maps_test_marker;
	char exe[PATH_MAX];
	struct proc_maps *all, *exec;
	const struct proc_map *m;
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';

	all = proc_maps__read(getpid(), false);
	exec = proc_maps__read(getpid(), true);
	assert_non_null(all);
	assert_non_null(exec);
	assert_true(exec->nr > 0 && exec->nr < all->nr);
	for (size_t i = 0; i < exec->nr; i++)
		assert_true(exec->maps[i].prot_exec);

	m = proc_maps__find(all, addr);
	assert_non_null(m);
	assert_true(m->prot_exec && m->prot_read && !m->prot_write && m->is_private);
	assert_true(m->inode != 0);
	assert_string_equal(m->path, exe);
	m = proc_maps__find(exec, addr);
	assert_non_null(m);
	assert_string_equal(m->path, exe);

	/* the stack is not executable and belongs to [stack] */
	m = proc_maps__find(all, (uintptr_t)&n);
	assert_non_null(m);
	assert_false(m->prot_exec);
	assert_null(proc_maps__find(exec, (uintptr_t)&n));
	assert_int_equal(maps_test_marker(1), 2);
	proc_maps__free(all);
	proc_maps__free(exec);
}

/* Far more than one read() worth of text: thousands of distinct mappings. */
static void reads_large_maps(void **state)
{
	enum { NR = 3000 };
	long page = sysconf(_SC_PAGESIZE);
	struct proc_maps *maps;
	char *base;

	(void)state;
	base = mmap(NULL, (size_t)page * NR, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	/* alternate protections so the kernel cannot merge neighbours */
	for (int i = 0; i < NR; i += 2)
		assert_int_equal(mprotect(base + (size_t)i * page, page, PROT_READ | PROT_WRITE),
				 0);

	maps = proc_maps__read(getpid(), false);
	assert_non_null(maps);
	assert_true(maps->nr >= NR);
	for (int i = 0; i < NR; i++) {
		const struct proc_map *m =
			proc_maps__find(maps, (uintptr_t)base + (size_t)i * page);

		assert_non_null(m);
		assert_int_equal(m->start, (uintptr_t)base + (size_t)i * page);
		assert_int_equal(m->end - m->start, page);
		assert_int_equal(m->prot_write, i % 2 == 0);
		assert_string_equal(m->path, "");
	}
	proc_maps__free(maps);
	munmap(base, (size_t)page * NR);
}

static void gone_process_is_esrch(void **state)
{
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	errno = 0;
	assert_null(proc_maps__read(pid, false));
	assert_int_equal(errno, ESRCH);
	errno = 0;
	assert_null(proc_maps__read(0, false));
	assert_int_equal(errno, EINVAL);
}

/* A re-read keeps what is gone (unloaded since) but not what is replaced, in address order. */
static void merge_keeps_gone_mappings_sorted(void **state)
{
	const char *old_text = "1000-2000 r-xp 00000000 08:01 1 /a\n"
			       "3000-4000 r-xp 00000000 08:01 2 /gone\n"
			       "5000-6000 r-xp 00000000 08:01 3 /replaced\n";
	const char *fresh_text = "1000-2000 r-xp 00000000 08:01 1 /a\n"
				 "5800-7000 r-xp 00000000 08:01 4 /new\n";
	struct proc_maps *old = proc_maps__parse(old_text, strlen(old_text), true, NULL);
	struct proc_maps *fresh = proc_maps__parse(fresh_text, strlen(fresh_text), true, NULL);
	size_t *src = NULL, dropped = 99;

	(void)state;
	assert_non_null(old);
	assert_non_null(fresh);
	assert_int_equal(proc_maps__merge_old(fresh, old, 100, &src, &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(fresh->nr, 3);
	assert_string_equal(fresh->maps[0].path, "/a");
	assert_string_equal(fresh->maps[1].path, "/gone");
	assert_string_equal(fresh->maps[2].path, "/new");
	assert_int_equal(src[0], 0);
	assert_int_equal(src[1], 2 + 1); /* old[1] */
	assert_int_equal(src[2], 1);
	free(src);
	proc_maps__free(old);
	proc_maps__free(fresh);
}

/* A process that maps and unmaps pages in a loop cannot grow its snapshot past the cap, and the
 * merge stays linear: 100 rounds of 2,000 mappings at new addresses take well under a second. */
static void merge_is_bounded(void **state)
{
	struct proc_maps *kept = proc_maps__parse("", 0, true, NULL);
	size_t total_dropped = 0;
	char *text = malloc(2000 * 64);

	(void)state;
	assert_non_null(kept);
	assert_non_null(text);
	for (int round = 0; round < 100; round++) {
		struct proc_maps *fresh;
		size_t len = 0, dropped = 0;

		for (int i = 0; i < 2000; i++)
			len += (size_t)sprintf(text + len, "%x000-%x000 r-xp 00000000 00:00 0\n",
					       0x100000 + round * 4000 + 2 * i,
					       0x100000 + round * 4000 + 2 * i + 1);
		fresh = proc_maps__parse(text, len, true, NULL);
		assert_non_null(fresh);
		assert_int_equal(fresh->nr, 2000);
		assert_int_equal(proc_maps__merge_old(fresh, kept, 4096, NULL, &dropped), 0);
		assert_true(fresh->nr <= 4096);
		for (size_t i = 1; i < fresh->nr; i++)
			assert_true(fresh->maps[i - 1].end <= fresh->maps[i].start);
		total_dropped += dropped;
		proc_maps__free(kept);
		kept = fresh;
	}
	assert_int_equal(kept->nr, 4096);
	/* every round offers the kept ones back: 2000 + 2000 the second round, then all dropped */
	assert_true(total_dropped > 90 * 2000);
	proc_maps__free(kept);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_file_backed_exec_mapping),
		cmocka_unit_test(parses_line_shapes),
		cmocka_unit_test(rejects_malformed_lines),
		cmocka_unit_test(parses_whole_text),
		cmocka_unit_test(sorts_and_drops_overlaps),
		cmocka_unit_test(find_on_boundaries),
		cmocka_unit_test(reads_self_maps),
		cmocka_unit_test(reads_large_maps),
		cmocka_unit_test(gone_process_is_esrch),
		cmocka_unit_test(merge_keeps_gone_mappings_sorted),
		cmocka_unit_test(merge_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
