// SPDX-License-Identifier: MIT
/* The unwind loader over real ELF fixtures (tests/data) and a fake table store: tables are
 * built in the worker, published to the processes that waited, shared between processes, cached
 * when the last one exits and evicted least recently used under the memory bound; refusals at
 * each cap are counted and told once. The encoded page index finds the same row as the table's
 * own lookup for every address, within the walker's search steps. */
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_files.h"

#include "unwind/unwind_loader.h"
#include "unwind/unwind_table.h"

/* the BPF walker's own lookup code (bpf/flamed_lookup.h), over the fake store below */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define barrier_var(x) __asm__ volatile("" : "+r"(x))
static void *bpf_map_lookup_elem(void *map, const void *key);
#include "flamed_lookup.h"

#define DATA_DIR FLAMED_TEST_DATA_DIR

static int open_fixture(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

#ifdef FLAMED_UNWIND_FIXTURE_DIR
#define FIXTURE_DIR FLAMED_UNWIND_FIXTURE_DIR
#else
#define FIXTURE_DIR DATA_DIR "/../unwind_fixtures"
#endif

/* A new file (in /tmp, unlinked at once) holding buf, owned by uid; an O_RDONLY fd to it. */
static int file_with(const uint8_t *buf, size_t size, uid_t uid)
{
	char path[] = "/tmp/flamed-loader-XXXXXX";
	int w = mkstemp(path), fd;

	assert_true(w >= 0);
	assert_int_equal(write(w, buf, size), (ssize_t)size);
	if (uid != geteuid())
		assert_int_equal(fchown(w, uid, (gid_t)-1), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	unlink(path);
	close(w);
	return fd;
}

static struct unwind_loader_mapping mapping_of(int fd)
{
	return (struct unwind_loader_mapping){ .start = 0x7f0000000000,
					       .end = 0x7f0000100000,
					       .load_bias = 0x7f0000000000,
					       .fd = fd,
					       .name = "fixture" };
}

/* ---- the fake table store: what sampler.c does with BPF maps ---- */

#define FAKE_IDS 64 /* table ids a test hands out */

struct fake {
	uint64_t *elems[FAKE_IDS];
	uint32_t nr[FAKE_IDS];
	int tables;    /* loaded now */
	int publishes; /* descriptions published after a build */
	uint32_t last_tgid;
	struct flamed_unwind_proc last;
	int fail_add; /* -errno for the next table_add */
};

static int fake_add(void *ctx, uint32_t id, const void *elems, uint32_t nr, size_t *ret_bytes)
{
	struct fake *f = ctx;

	assert_true(id > 0 && id < FAKE_IDS);
	assert_null(f->elems[id]); /* an id is never handed out twice */
	if (f->fail_add) {
		int err = f->fail_add;

		f->fail_add = 0;
		return err;
	}
	/* whole zero-padded blocks, as in the kernel's map */
	f->elems[id] = calloc((nr + FLAMED_UNWIND_BLOCK_ELEMS - 1) / FLAMED_UNWIND_BLOCK_ELEMS,
			      sizeof(struct flamed_unwind_block));
	assert_non_null(f->elems[id]);
	memcpy(f->elems[id], elems, (size_t)nr * 8);
	f->nr[id] = nr;
	f->tables++;
	*ret_bytes =
		((size_t)nr + FLAMED_UNWIND_BLOCK_ELEMS - 1) / FLAMED_UNWIND_BLOCK_ELEMS * 4096;
	return 0;
}

static void fake_del(void *ctx, uint32_t id, uint32_t nr)
{
	struct fake *f = ctx;

	assert_non_null(f->elems[id]);
	assert_int_equal(f->nr[id], nr);
	free(f->elems[id]);
	f->elems[id] = NULL;
	f->tables--;
}

static int fake_publish(void *ctx, uint32_t tgid, const struct flamed_unwind_proc *p)
{
	struct fake *f = ctx;

	f->publishes++;
	f->last_tgid = tgid;
	f->last = *p;
	return 0;
}

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	return f;
}

static void fake_free(struct fake *f)
{
	for (uint32_t i = 0; i < FAKE_IDS; i++)
		free(f->elems[i]);
	free(f);
}

static struct unwind_loader *loader_new(struct fake *f, uint64_t bytes)
{
	struct unwind_loader_ops ops = {
		.table_add = fake_add, .table_del = fake_del, .publish = fake_publish, .ctx = f
	};
	struct unwind_loader *l = unwind_loader__new(&ops, bytes);

	assert_non_null(l);
	return l;
}

/* The unwind_blocks map of the fake store: block k.block of table k.table. */
static void *bpf_map_lookup_elem(void *map, const void *key)
{
	const struct flamed_unwind_block_key *k = key;
	struct fake *f = map;

	if (k->table >= FAKE_IDS || !f->elems[k->table] ||
	    (uint64_t)k->block * FLAMED_UNWIND_BLOCK_ELEMS >= f->nr[k->table])
		return NULL;
	return &f->elems[k->table][(size_t)k->block * FLAMED_UNWIND_BLOCK_ELEMS];
}

/* The row the BPF walker finds for rel (row pc units) in table id, or NULL: find_row() of
 * bpf/flamed_lookup.h itself. */
static const struct flamed_unwind_row *walker_lookup(struct fake *f, uint32_t id, uint32_t pages,
						     uint64_t rel)
{
	static struct walk_vars v;

	memset(&v, 0, sizeof(v));
	if (!find_row(f, &v, id, pages, rel))
		return NULL;
	return (const struct flamed_unwind_row *)&v.row;
}

/* Every address of the table's span: the walker's lookup through the page index gives the row
 * unwind_table__find gives (gaps included), within the walker's search steps. */
static void check_encoding(int fd)
{
	struct unwind_table *t = unwind_table__build_fd(fd, NULL);
	const struct unwind_row *rows;
	struct fake *f = fake_new();
	uint32_t nr, pages;
	uint64_t *e, span;
	size_t n, bytes;

	assert_non_null(t);
	rows = unwind_table__rows(t);
	n = unwind_table__nr(t);
	assert_true(n > 0);
	e = unwind_loader_encode((const struct flamed_unwind_row *)rows, n, &nr, &pages);
	assert_non_null(e);
	assert_int_equal(nr, pages + n);
	for (uint32_t p = 0; p < pages; p++) { /* no page needs more steps than the walker has */
		const struct flamed_unwind_page *pg = (const void *)&e[p];

		assert_true(pg->lo < pg->hi &&
			    pg->hi - pg->lo < (1u << FLAMED_UNWIND_SEARCH_STEPS));
	}
	assert_int_equal(fake_add(f, 1, e, nr, &bytes), 0);
	span = (uint64_t)pages << FLAMED_UNWIND_PAGE_SHIFT;
	for (uint64_t rel = 0; rel < span + 64; rel++) {
		const struct flamed_unwind_row *got = walker_lookup(f, 1, pages, rel);
		long want = unwind_table__find(t, rel + unwind_table__base(t));

		/* no row and a gap row both mean "no row" (the table ends with a gap row) */
		if (want < 0 || (!got && unwind_row_cfa_kind(&rows[want]) == UNWIND_CFA_NONE)) {
			assert_true(!got || (got->kinds & 0xf) == FLAMED_CFA_NONE);
			continue;
		}
		assert_non_null(got);
		assert_memory_equal(got, &rows[want], sizeof(*got));
	}
	free(e);
	fake_free(f);
	unwind_table__free(t);
}

static void encoding_matches_table(void **state)
{
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	int fd;

	(void)state;
	fd = open_fixture("elf_fixture_pie");
	check_encoding(fd);
	close(fd);
	fd = open_fixture("libelf_fixture.so");
	check_encoding(fd);
	close(fd);
	fd = open(libc, O_RDONLY | O_CLOEXEC); /* a real library: ~2 MB of text, dense CFI */
	if (fd >= 0) {
		check_encoding(fd);
		close(fd);
	}
}

/* Bytes a fixture's table takes in the store. */
static uint64_t table_bytes(int fd)
{
	struct unwind_table *t = unwind_table__build_fd(fd, NULL);
	uint32_t nr, pages;
	uint64_t *e;

	assert_non_null(t);
	e = unwind_loader_encode((const struct flamed_unwind_row *)unwind_table__rows(t),
				 unwind_table__nr(t), &nr, &pages);
	assert_non_null(e);
	free(e);
	unwind_table__free(t);
	return ((uint64_t)nr + FLAMED_UNWIND_BLOCK_ELEMS - 1) / FLAMED_UNWIND_BLOCK_ELEMS * 4096;
}

static void pending_then_published_shared_cached(void **state)
{
	struct fake *f = fake_new();
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int exe = open_fixture("elf_fixture_pie"), lib = open_fixture("libelf_fixture.so");
	struct unwind_loader_mapping maps[] = {
		{ .start = 0x7f0000010000,
		  .end = 0x7f0000020000,
		  .load_bias = 0x7f0000000000,
		  .fd = lib },
		{ .start = 0x555500001000,
		  .end = 0x555500012000,
		  .load_bias = 0x555500000000,
		  .fd = exe },
		{ .start = 0x7fff00000000, .end = 0x7fff00001000, .fd = -1 }, /* [vdso]: no file */
	};
	struct unwind_loader *l = loader_new(f, 0);
	struct unwind_loader_stats st;
	uint32_t exe_id;

	(void)state;
	assert_non_null(p);
	/* process 1: sorted mappings, both tables building, the vDSO without */
	assert_int_equal(unwind_loader__describe(l, 1, 0xaaa, maps, 3, 7, p), 0);
	assert_int_equal(p->nr, 3);
	assert_true(p->aspace == 0xaaa && p->remap_after_ns == 7);
	assert_true(p->m[0].start < p->m[1].start && p->m[1].start < p->m[2].start);
	assert_int_equal(p->m[0].table, FLAMED_UNWIND_TABLE_PENDING);
	assert_int_equal(p->m[1].table, FLAMED_UNWIND_TABLE_PENDING);
	assert_int_equal(p->m[2].table, 0);
	/* the builds finish: process 1 is published again with both tables */
	assert_int_equal(unwind_loader__wait(l), 2);
	assert_int_equal(f->publishes, 1);
	assert_int_equal(f->last_tgid, 1);
	assert_true(f->last.remap_after_ns == 7);
	assert_true(f->last.m[0].table > 0 && f->last.m[0].table != FLAMED_UNWIND_TABLE_PENDING);
	assert_true(f->last.m[0].pc_sub == 0x555500000000); /* base 0: a PIE */
	assert_true(f->last.m[0].pages > 0);
	assert_true(f->last.m[1].table > 0 && f->last.m[1].table != f->last.m[0].table);
	assert_int_equal(f->last.m[2].table, 0);
	exe_id = f->last.m[0].table;
	/* the rows are the table's: through the walker's lookup, the exe's first row */
	{
		struct unwind_table *t = unwind_table__build_fd(exe, NULL);
		const struct unwind_row *r0 = unwind_table__rows(t);
		const struct flamed_unwind_row *got =
			walker_lookup(f, f->last.m[0].table, f->last.m[0].pages, r0->pc);

		assert_non_null(got);
		assert_memory_equal(got, r0, sizeof(*got));
		unwind_table__free(t);
	}
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_built, 2);
	assert_int_equal(st.tables_now, 2);
	assert_true(st.bytes_used == table_bytes(exe) + table_bytes(lib));

	/* process 2 maps the same binaries: the tables at once, nothing built */
	assert_int_equal(unwind_loader__describe(l, 2, 0xbbb, maps, 2, 0, p), 0);
	assert_int_equal(p->m[0].table, exe_id);
	assert_int_equal(unwind_loader__wait(l), 0);
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_built, 2);
	assert_int_equal(st.cache_hits, 2);

	/* both exit: the tables stay (the cache), and a new process gets them at once */
	unwind_loader__forget(l, 1);
	unwind_loader__forget(l, 2);
	unwind_loader__forget(l, 99); /* unknown: no effect */
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_now, 2);
	assert_int_equal(f->tables, 2);
	assert_int_equal(unwind_loader__describe(l, 3, 0xccc, &maps[1], 1, 0, p), 0);
	assert_int_equal(p->m[0].table, exe_id);
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_built, 2);
	assert_int_equal(st.cached_reuses, 1);

	unwind_loader__free(l);
	unwind_loader__free(NULL);
	close(exe);
	close(lib);
	free(p);
	fake_free(f);
}

/* Under memory pressure the least recently used unused table goes; tables in use never do. */
static void lru_eviction_under_the_bound(void **state)
{
	struct fake *f = fake_new();
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int a = open_fixture("elf_fixture_pie"), b = open_fixture("libelf_fixture.so");
	uint64_t ba = table_bytes(a), bb = table_bytes(b);
	/* room for either table alone (within 5/8 and 3/4), not for both */
	uint64_t bound = ba + bb - 1;
	struct unwind_loader_mapping ma = mapping_of(a), mb = mapping_of(b);
	struct unwind_loader *l;
	struct unwind_loader_stats st;

	(void)state;
	assert_true((ba > bb ? ba : bb) <= bound * 5 / 8);
	l = loader_new(f, bound);
	assert_int_equal(unwind_loader__describe(l, 1, 1, &ma, 1, 0, p), 0);
	unwind_loader__wait(l);
	unwind_loader__forget(l, 1); /* a cached now */
	assert_int_equal(unwind_loader__describe(l, 2, 2, &mb, 1, 0, p), 0);
	unwind_loader__wait(l);
	st = unwind_loader__stats(l);
	assert_int_equal(st.tables_built, 2);
	assert_int_equal(st.tables_evicted, 1); /* a made room for b */
	assert_int_equal(st.tables_now, 1);
	assert_int_equal(f->last.m[0].table != 0, 1);
	assert_true(st.bytes_used == bb && st.bytes_peak <= bound);
	/* a again while b is in use: nothing can be evicted, a is refused over the bound */
	assert_int_equal(unwind_loader__describe(l, 3, 3, &ma, 1, 0, p), 0);
	assert_int_equal(p->m[0].table, FLAMED_UNWIND_TABLE_PENDING); /* rebuilt, as it was gone */
	unwind_loader__wait(l);
	st = unwind_loader__stats(l);
	assert_int_equal(st.refused[UNWIND_REFUSED_MEMORY], 1);
	assert_int_equal(f->last.m[0].table, 0); /* frame pointers */
	/* b's process exits: memory is given back, and the next process of a gets a table */
	unwind_loader__forget(l, 2);
	assert_int_equal(unwind_loader__describe(l, 4, 4, &ma, 1, 0, p), 0);
	unwind_loader__wait(l);
	assert_true(f->last_tgid == 4 && f->last.m[0].table != 0);
	assert_int_equal(unwind_loader__stats(l).tables_evicted, 2);
	unwind_loader__free(l);
	close(a);
	close(b);
	free(p);
	fake_free(f);
}

/* An attacker links a library with the victim's build-id and "return address undefined" over
 * the victim's code, and maps it first. The victim must get its own table, not the attacker's:
 * tables are keyed by file identity, never by build-id. */
static void forged_build_id_not_shared(void **state)
{
	static const uint8_t placeholder[20] = { 0xf1, 0xa3, 0xed, 0xf1, 0xa3, 0xed, 0xf1,
						 0xa3, 0xed, 0xf1, 0xa3, 0xed, 0xf1, 0xa3,
						 0xed, 0xf1, 0xa3, 0xed, 0xf1, 0xa3 };
	struct fake *f = fake_new();
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int victim = open_fixture("libelf_fixture.so"), forged;
	struct unwind_table *vt = unwind_table__build_fd(victim, NULL), *ft;
	const struct unwind_row *vr;
	const uint8_t *victim_id;
	size_t size, id_len;
	uint8_t *img = test_read_file(FIXTURE_DIR "/atk_poison.so", &size), *at;
	struct unwind_loader_mapping m;
	struct unwind_loader *l;

	(void)state;
	assert_non_null(vt);
	victim_id = unwind_table__build_id(vt, &id_len);
	assert_int_equal(id_len, sizeof(placeholder));
	at = memmem(img, size, placeholder, sizeof(placeholder));
	assert_non_null(at);
	memcpy(at, victim_id, id_len);
	forged = file_with(img, size, geteuid());
	ft = unwind_table__build_fd(forged, NULL);
	assert_non_null(ft);
	assert_memory_equal(unwind_table__build_id(ft, NULL), victim_id, id_len);

	l = loader_new(f, 0);
	m = mapping_of(forged);
	assert_int_equal(unwind_loader__describe(l, 1, 1, &m, 1, 0, p), 0);
	unwind_loader__wait(l);
	m = mapping_of(victim);
	assert_int_equal(unwind_loader__describe(l, 2, 2, &m, 1, 0, p), 0);
	unwind_loader__wait(l);
	assert_int_equal(unwind_loader__stats(l).tables_built, 2);
	assert_int_equal(f->last_tgid, 2);
	/* every row of the victim's own table, through the walker's lookup */
	vr = unwind_table__rows(vt);
	for (size_t i = 0; i < unwind_table__nr(vt); i++) {
		const struct flamed_unwind_row *got =
			walker_lookup(f, f->last.m[0].table, f->last.m[0].pages, vr[i].pc);

		assert_non_null(got);
		assert_memory_equal(got, &vr[i], sizeof(*got));
	}
	unwind_loader__free(l);
	unwind_table__free(ft);
	unwind_table__free(vt);
	close(forged);
	close(victim);
	free(img);
	free(p);
	fake_free(f);
}

/* A file rewritten in place (same inode, new content) is another identity: a new table. */
static void rewritten_file_new_table(void **state)
{
	struct fake *f = fake_new();
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	size_t sa, sb;
	uint8_t *ia = test_read_file(DATA_DIR "/elf_fixture_pie", &sa);
	uint8_t *ib = test_read_file(DATA_DIR "/libelf_fixture.so", &sb);
	char path[] = "/tmp/flamed-loader-XXXXXX";
	int w = mkstemp(path), fd;
	struct unwind_loader *l = loader_new(f, 0);
	struct unwind_loader_mapping m;
	uint32_t first;

	(void)state;
	assert_true(w >= 0);
	assert_int_equal(write(w, ia, sa), (ssize_t)sa);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	m = mapping_of(fd);
	assert_int_equal(unwind_loader__describe(l, 1, 1, &m, 1, 0, p), 0);
	unwind_loader__wait(l);
	first = f->last.m[0].table;
	assert_true(first > 0);
	usleep(10000); /* a distinct mtime and ctime */
	assert_int_equal(ftruncate(w, 0), 0);
	assert_int_equal(pwrite(w, ib, sb, 0), (ssize_t)sb);
	assert_int_equal(unwind_loader__describe(l, 2, 2, &m, 1, 0, p), 0);
	assert_int_equal(p->m[0].table, FLAMED_UNWIND_TABLE_PENDING);
	unwind_loader__wait(l);
	assert_true(f->last.m[0].table > 0 && f->last.m[0].table != first);
	assert_int_equal(unwind_loader__stats(l).tables_built, 2);
	unwind_loader__free(l);
	unlink(path);
	close(w);
	close(fd);
	free(ia);
	free(ib);
	free(p);
	fake_free(f);
}

struct refusals {
	int n[UNWIND_REFUSED__MAX];
	uint32_t uid;
};

static void on_refused(const char *name, enum unwind_refusal why, uint64_t bytes, uint32_t uid,
		       void *ctx)
{
	struct refusals *r = ctx;

	assert_string_equal(name, "fixture");
	assert_true(bytes > 0);
	r->n[why]++;
	r->uid = uid;
}

/* Per binary: a table over 5/8 of the bound is refused for good (built once, not per process).
 * Per process: tables over 3/4 of the bound in one process. Per owner: files of a user other
 * than flamed's over 3/4 in all, across processes; flamed's own user's files are not capped so. */
static void caps_binary_process_owner(void **state)
{
	struct fake *f = fake_new();
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int a = open_fixture("elf_fixture_pie"), b = open_fixture("libelf_fixture.so");
	uint64_t ba = table_bytes(a), bb = table_bytes(b), big = ba > bb ? ba : bb;
	uint64_t bound = (ba + bb) * 4 / 3 - 1;
	struct unwind_loader_mapping ma = mapping_of(a), mb = mapping_of(b), both[2];
	struct refusals r = { { 0 }, 0 };
	struct unwind_loader *l;
	struct unwind_loader_stats st;

	(void)state;
	mb.start = ma.end; /* two mappings of one process */
	mb.end = mb.start + 0x1000;
	both[0] = ma;
	both[1] = mb;
	assert_true(big <= bound * 5 / 8 && ba + bb > bound * 3 / 4);

	/* binary: a bound where the bigger table is over 5/8 */
	l = loader_new(f, big * 8 / 5 - 1);
	unwind_loader__on_refused(l, on_refused, &r);
	assert_int_equal(unwind_loader__describe(l, 1, 1, ba > bb ? &ma : &mb, 1, 0, p), 0);
	unwind_loader__wait(l);
	assert_int_equal(f->last.m[0].table, 0);
	assert_int_equal(unwind_loader__describe(l, 2, 2, ba > bb ? &ma : &mb, 1, 0, p), 0);
	assert_int_equal(p->m[0].table, 0); /* known refused: no build queued */
	assert_int_equal(unwind_loader__wait(l), 0);
	st = unwind_loader__stats(l);
	assert_int_equal(st.refused[UNWIND_REFUSED_BINARY], 1);
	assert_int_equal(r.n[UNWIND_REFUSED_BINARY], 1);
	assert_int_equal(st.tables_built, 0);
	unwind_loader__free(l);
	fake_free(f); /* the tables a freed loader leaves */
	f = fake_new();

	/* process: both fit the bound and the per-binary cap, not one process's share */
	memset(&r, 0, sizeof(r));
	l = loader_new(f, bound);
	unwind_loader__on_refused(l, on_refused, &r);
	assert_int_equal(unwind_loader__describe(l, 1, 1, both, 2, 0, p), 0);
	unwind_loader__wait(l);
	assert_true(f->last.m[0].table > 0);
	assert_int_equal(f->last.m[1].table, 0);
	assert_int_equal(unwind_loader__stats(l).refused[UNWIND_REFUSED_PROC], 1);
	/* another process gets the second one */
	assert_int_equal(unwind_loader__describe(l, 2, 2, &mb, 1, 0, p), 0);
	assert_true(p->m[0].table > 0);
	/* both loaded now: sharing them costs nothing more, but a process still gets 3/4 */
	assert_int_equal(unwind_loader__describe(l, 3, 3, both, 2, 0, p), 0);
	assert_true(p->m[0].table > 0);
	assert_int_equal(p->m[1].table, 0);
	assert_int_equal(r.n[UNWIND_REFUSED_PROC], 1); /* told once per binary */
	unwind_loader__free(l);
	fake_free(f);
	f = fake_new();

	/* owner: the same two binaries, as files of another user, in two processes */
	if (geteuid() == 0) {
		size_t sa, sb;
		uint8_t *ia = test_read_file(DATA_DIR "/elf_fixture_pie", &sa);
		uint8_t *ib = test_read_file(DATA_DIR "/libelf_fixture.so", &sb);
		int oa = file_with(ia, sa, 65534), ob = file_with(ib, sb, 65534);
		struct unwind_loader_mapping moa = mapping_of(oa), mob = mapping_of(ob);

		memset(&r, 0, sizeof(r));
		l = loader_new(f, bound);
		unwind_loader__on_refused(l, on_refused, &r);
		assert_int_equal(unwind_loader__describe(l, 1, 1, &moa, 1, 0, p), 0);
		unwind_loader__wait(l);
		assert_true(f->last.m[0].table > 0);
		assert_int_equal(unwind_loader__describe(l, 2, 2, &mob, 1, 0, p), 0);
		unwind_loader__wait(l);
		assert_int_equal(f->last.m[0].table, 0);
		assert_int_equal(unwind_loader__stats(l).refused[UNWIND_REFUSED_OWNER], 1);
		assert_int_equal(r.uid, 65534);
		/* the system's (flamed's user's) copy of the same binary is not the user's to pay */
		assert_int_equal(unwind_loader__describe(l, 3, 3, &mb, 1, 0, p), 0);
		unwind_loader__wait(l);
		assert_true(f->last_tgid == 3 && f->last.m[0].table > 0);
		/* the user's first process exits: its cached table is evicted for the user's next */
		unwind_loader__forget(l, 1);
		assert_int_equal(unwind_loader__describe(l, 4, 4, &mob, 1, 0, p), 0);
		unwind_loader__wait(l);
		assert_true(f->last_tgid == 4 && f->last.m[0].table > 0);
		assert_int_equal(unwind_loader__stats(l).tables_evicted, 1);
		unwind_loader__free(l);
		close(oa);
		close(ob);
		free(ia);
		free(ib);
	}
	close(a);
	close(b);
	free(p);
	fake_free(f);
}

/* The kernel refusing a table (map full, memory) is counted; the slot is not lost. */
static void load_failure_counted(void **state)
{
	struct fake *f = fake_new();
	struct flamed_unwind_proc *p = malloc(sizeof(*p));
	int a = open_fixture("elf_fixture_pie");
	struct unwind_loader_mapping ma = mapping_of(a);
	struct unwind_loader *l = loader_new(f, 0);

	(void)state;
	f->fail_add = -E2BIG;
	assert_int_equal(unwind_loader__describe(l, 1, 1, &ma, 1, 0, p), 0);
	unwind_loader__wait(l);
	assert_int_equal(f->last.m[0].table, 0);
	assert_int_equal(unwind_loader__stats(l).load_failed, 1);
	assert_int_equal(f->tables, 0);
	unwind_loader__free(l);
	close(a);
	free(p);
	fake_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encoding_matches_table),
		cmocka_unit_test(pending_then_published_shared_cached),
		cmocka_unit_test(lru_eviction_under_the_bound),
		cmocka_unit_test(forged_build_id_not_shared),
		cmocka_unit_test(rewritten_file_new_table),
		cmocka_unit_test(caps_binary_process_owner),
		cmocka_unit_test(load_failure_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
