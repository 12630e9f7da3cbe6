// SPDX-License-Identifier: MIT
/*
 * flamed_symbench: cost of symbolizing with src/symbolize/elf_syms.h on one (large) ELF file.
 *
 *   flamed_symbench PATH [-n ADDRS] [-w ADDRS] [-s SEED]
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
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "symbolize/elf_syms.h"

#define MAX_SEGS 64

struct seg {
	uint64_t vaddr;
	uint64_t memsz;
};

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
			segs[n++] = (struct seg){ .vaddr = ph.p_vaddr, .memsz = ph.p_memsz };
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
static long lookup_all(const struct elf_syms *es, const uint64_t *addrs, long n)
{
	long hits = 0;

	for (long i = 0; i < n; i++)
		hits += elf_syms__lookup(es, addrs[i], NULL) != NULL;
	return hits;
}

static int usage(void)
{
	fprintf(stderr, "usage: flamed_symbench PATH [-n COLD_ADDRS] [-w WARM_ADDRS] [-s SEED]\n");
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

	while ((opt = getopt(argc, argv, "n:w:s:")) != -1) {
		char *end;

		errno = 0;
		if (opt == 'n')
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
	printf("rss_before_kb %ld\nrss_after_kb %ld\nhwm_kb %ld\n", rss0, rss1,
	       status_kb("VmHWM:"));
	rc = 0;
cleanup:
	elf_syms__free(es);
	free(addrs);
	return rc;
}
