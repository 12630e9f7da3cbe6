// SPDX-License-Identifier: MIT
/*
 * flamed_symbench: cost of symbolizing with src/symbolize/elf_syms.h on one (large) ELF file.
 *
 *   flamed_symbench PATH [-n ADDRS] [-w ADDRS] [-s SEED] [-d]
 *
 * Cold: elf_syms__open_path (parse .symtab/.dynsym, sort) plus the first ADDRS lookups, as when
 * flamed meets a binary for the first time. Warm: ADDRS (-w, default 10x -n) more lookups on the
 * same object. Addresses are uniform over the executable PT_LOAD segments, read from the program
 * headers here rather than through elf_syms, so the bench does not trust what it measures.
 * The page cache is left alone (other users share this machine): "cold" is parse-cold, not
 * disk-cold.
 *
 * Output, one "key value" per line, for bench/flamedbench.py: symbols, mem_bytes, open_s,
 * cold_lookups, cold_s, cold_addr_per_s, warm_lookups, warm_s, warm_addr_per_s, hit_pct,
 * rss_before_kb, rss_after_kb, hwm_kb.
 *
 * -d adds, in the same run, DWARF frames through the symbolizer (src/symbolize/symbolizer.h: ELF
 * symbols + file:line + inline frames, with its per-address cache): dwarf_open_s (ELF + DWARF
 * opened, debug file found), dwarf_cold_addr_per_s (the first ADDRS addresses: units' tables
 * loaded as they are met), dwarf_warm_addr_per_s (-w more, new addresses: tables warm, each
 * address resolved once), dwarf_cached_addr_per_s (the first ADDRS again, from the per-address
 * cache), dwarf_line_pct / dwarf_inline_pct (addresses with a line / an inline frame),
 * dwarf_bytes (the symbolizer's estimate of its DWARF memory), dwarf_rss_kb / dwarf_anon_kb
 * (growth of VmRSS / RssAnon over the DWARF phase: mmapped file pages vs heap), hwm_kb.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc/proc_table.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/elf_syms.h"
#include "symbolize/symbolizer.h"

#define MAX_SEGS 64

struct seg {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset;
};

/* The DWARF phase maps the file at this load bias, one pretend mapping per segment. */
#define BENCH_BIAS 0x555500000000ULL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "VmRSS:" or "VmHWM:" of this process in kB, or -1. */
static long status_kb(const char *key)
{
	char line[256];
	long kb = -1;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen)) {
			kb = strtol(line + klen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* Executable PT_LOAD segments of a 64-bit ELF file. Returns how many, or a negative errno. */
static int exec_segments(const char *path, struct seg *segs, int max)
{
	Elf64_Ehdr eh;
	int fd, n = 0, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	for (int i = 0; i < eh.e_phnum && n < max; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph));

		if (pread(fd, &ph, sizeof(ph), off) != sizeof(ph)) {
			err = -ENOEXEC;
			goto cleanup;
		}
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && ph.p_memsz)
			segs[n++] = (struct seg){ .vaddr = ph.p_vaddr,
						  .memsz = ph.p_memsz,
						  .offset = ph.p_offset };
	}
	err = n ? n : -ENOEXEC;
cleanup:
	close(fd);
	return err;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* n addresses uniform over the union of the segments. */
static void fill_addrs(uint64_t *addrs, long n, const struct seg *segs, int nsegs, uint64_t *rng)
{
	uint64_t total = 0;

	for (int i = 0; i < nsegs; i++)
		total += segs[i].memsz;
	for (long i = 0; i < n; i++) {
		uint64_t r = rng_next(rng) % total;
		int j = 0;

		while (r >= segs[j].memsz) {
			r -= segs[j].memsz;
			j++;
		}
		addrs[i] = segs[j].vaddr + r;
	}
}

/* Looks every address up; returns how many resolved to a symbol. */
static long lookup_all(struct elf_syms *es, const uint64_t *addrs, long n)
{
	long hits = 0;

	for (long i = 0; i < n; i++)
		hits += elf_syms__lookup(es, addrs[i], NULL) != NULL;
	return hits;
}

struct frames_count {
	long with_line, with_inline;
};

/* Frames of every address through the symbolizer, counting lines and inline frames. */
static void frames_all(struct symbolizer *s, const struct proc_map *maps, const struct seg *segs,
		       int nsegs, const struct proc_file *f, const uint64_t *addrs, long n,
		       struct frames_count *c)
{
	for (long i = 0; i < n; i++) {
		const struct sym_frame *fr;
		struct sym_user res;
		size_t nr = 0;
		int j = 0;

		while (j < nsegs - 1 &&
		       !(addrs[i] >= segs[j].vaddr && addrs[i] - segs[j].vaddr < segs[j].memsz))
			j++;
		symbolizer__frames(s, 0, &maps[j], f, BENCH_BIAS + addrs[i], &res, &fr, &nr);
		c->with_line += nr && fr[nr - 1].line;
		c->with_inline += nr > 1;
	}
}

/* The -d phase: see the header comment. 0 or -errno. */
static int dwarf_phase(const char *path, const struct seg *segs, int nsegs, uint64_t *addrs,
		       long ncold, long nwarm, uint64_t *rng)
{
	struct proc_map maps[MAX_SEGS];
	struct frames_count cold = { 0 }, warm = { 0 }, again = { 0 };
	struct proc_file f = { .fd = open(path, O_RDONLY | O_CLOEXEC), .path = (char *)path };
	struct symbolizer *s = symbolizer__new("/nonexistent");
	uint64_t *first = malloc(sizeof(*first) * (size_t)ncold);
	long rss0 = status_kb("VmRSS:"), anon0 = status_kb("RssAnon:");
	struct symbolizer_stats st;
	double t0, t1, t2, t3, t4, t5, t6;
	int err = 0;

	if (f.fd < 0 || !s || !first) {
		err = -errno;
		goto cleanup;
	}
	for (int i = 0; i < nsegs; i++)
		maps[i] = (struct proc_map){ .start = BENCH_BIAS + segs[i].vaddr,
					     .end = BENCH_BIAS + segs[i].vaddr + segs[i].memsz,
					     .pgoff = segs[i].offset,
					     .prot_exec = true,
					     .prot_read = true,
					     .path = (char *)path };
	symbolizer__set_cache_budget(s, (size_t)1 << 40); /* one file: measure, do not evict */
	fill_addrs(first, ncold, segs, nsegs, rng);
	t0 = now_s();
	symbolizer__has_lines(s, 0, &f);
	t1 = now_s();
	frames_all(s, maps, segs, nsegs, &f, first, ncold, &cold);
	t2 = now_s();
	fill_addrs(addrs, nwarm, segs, nsegs, rng);
	t3 = now_s();
	frames_all(s, maps, segs, nsegs, &f, addrs, nwarm, &warm);
	t4 = now_s();
	t5 = now_s();
	frames_all(s, maps, segs, nsegs, &f, first, ncold, &again);
	t6 = now_s();
	st = symbolizer__stats(s);
	printf("dwarf_found %llu\ndwarf_open_s %.6f\n", (unsigned long long)st.dwarf_found,
	       t1 - t0);
	printf("dwarf_cold_addr_per_s %.1f\n", (double)ncold / (t2 - t0));
	printf("dwarf_warm_addr_per_s %.1f\n", (double)nwarm / (t4 - t3 > 0 ? t4 - t3 : 1e-9));
	printf("dwarf_cached_addr_per_s %.1f\n", (double)ncold / (t6 - t5 > 0 ? t6 - t5 : 1e-9));
	printf("dwarf_line_pct %.2f\ndwarf_inline_pct %.2f\n",
	       100.0 * (double)(cold.with_line + warm.with_line) / (double)(ncold + nwarm),
	       100.0 * (double)(cold.with_inline + warm.with_inline) / (double)(ncold + nwarm));
	printf("dwarf_bytes %llu\ndwarf_rss_kb %ld\ndwarf_anon_kb %ld\n",
	       (unsigned long long)st.dwarf_bytes, status_kb("VmRSS:") - rss0,
	       status_kb("RssAnon:") - anon0);
cleanup:
	symbolizer__free(s);
	if (f.fd >= 0)
		close(f.fd);
	free(first);
	return err;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: flamed_symbench PATH [-n COLD_ADDRS] [-w WARM_ADDRS] [-s SEED] [-d]\n");
	return 2;
}

int main(int argc, char **argv)
{
	long ncold = 100000, nwarm = -1, hits_cold, hits_warm, rss0, rss1;
	uint64_t rng = 88172645463325252ULL, *addrs = NULL;
	struct seg segs[MAX_SEGS];
	struct elf_syms *es = NULL;
	double t0, t1, t2, t3, t4;
	const char *path;
	int opt, nsegs, rc = 1;
	bool dwarf = false;

	while ((opt = getopt(argc, argv, "n:w:s:d")) != -1) {
		char *end = "";

		errno = 0;
		if (opt == 'd')
			dwarf = true;
		else if (opt == 'n')
			ncold = strtol(optarg, &end, 10);
		else if (opt == 'w')
			nwarm = strtol(optarg, &end, 10);
		else if (opt == 's')
			rng = strtoull(optarg, &end, 10) | 1; /* xorshift state must not be 0 */
		else
			return usage();
		if (errno || *end)
			return usage();
	}
	if (optind != argc - 1 || ncold < 1 || ncold > 100000000)
		return usage();
	if (nwarm < 1 || nwarm > 1000000000)
		nwarm = ncold * 10;
	path = argv[optind];
	nsegs = exec_segments(path, segs, MAX_SEGS);
	if (nsegs < 0) {
		fprintf(stderr, "flamed_symbench: %s: no executable PT_LOAD segment: %s\n", path,
			strerror(-nsegs));
		return 1;
	}
	addrs = malloc(sizeof(*addrs) * (size_t)(ncold > nwarm ? ncold : nwarm));
	if (!addrs) {
		fprintf(stderr, "flamed_symbench: out of memory\n");
		return 1;
	}
	fill_addrs(addrs, ncold, segs, nsegs, &rng);
	rss0 = status_kb("VmRSS:");

	t0 = now_s();
	es = elf_syms__open_path(path);
	t1 = now_s();
	if (!es) {
		fprintf(stderr, "flamed_symbench: %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	hits_cold = lookup_all(es, addrs, ncold);
	t2 = now_s();
	rss1 = status_kb("VmRSS:");

	fill_addrs(addrs, nwarm, segs, nsegs, &rng);
	t3 = now_s();
	hits_warm = lookup_all(es, addrs, nwarm);
	t4 = now_s();

	printf("path %s\nsymbols %zu\nmem_bytes %zu\nopen_s %.6f\n", path, elf_syms__count(es),
	       elf_syms__mem_bytes(es), t1 - t0);
	printf("cold_lookups %ld\ncold_s %.6f\ncold_addr_per_s %.1f\n", ncold, t2 - t0,
	       (double)ncold / (t2 - t0));
	printf("warm_lookups %ld\nwarm_s %.6f\nwarm_addr_per_s %.1f\n", nwarm, t4 - t3,
	       (double)nwarm / (t4 - t3 > 0 ? t4 - t3 : 1e-9));
	printf("hit_pct %.2f\n", 100.0 * (double)(hits_cold + hits_warm) / (double)(ncold + nwarm));
	printf("rss_before_kb %ld\nrss_after_kb %ld\n", rss0, rss1);
	elf_syms__free(es);
	es = NULL;
	if (dwarf && dwarf_phase(path, segs, nsegs, addrs, ncold, nwarm, &rng)) {
		fprintf(stderr, "flamed_symbench: %s: DWARF phase failed\n", path);
		goto cleanup;
	}
	printf("hwm_kb %ld\n", status_kb("VmHWM:"));
	rc = 0;
cleanup:
	elf_syms__free(es);
	free(addrs);
	return rc;
}
