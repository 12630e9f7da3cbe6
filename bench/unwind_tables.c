// SPDX-License-Identifier: MIT
/* Bench: time and memory to build unwind tables (src/unwind/unwind_table.c) for big ELF files,
 * against a baseline measured in the same run: the same rows produced with libdw's CFI API
 * (dwarf_cfi_addrframe + dwarf_frame_info/cfa/register per row, walking each FDE's ranges),
 * which also cross-checks our CFA rules. Run through bench/unwind_tables.sh. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "unwind/unwind_table.h"

#define RUNS 5

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static size_t eh_frame_size(int fd)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	size_t shstrndx, size = 0;

	if (!elf)
		return 0;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (gelf_getshdr(scn, &sh) &&
			    (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
			    (!strcmp(name, ".eh_frame") || !strcmp(name, ".debug_frame")))
				size += sh.sh_size;
		}
	}
	elf_end(elf);
	return size;
}

/* libdw baseline: walk every FDE's row ranges from the starts our table found (a row after a
 * gap), one dwarf_cfi_addrframe per row. Counts rows and disagreements on rsp/rbp CFAs. */
static double libdw_walk(int fd, const struct unwind_table *t, size_t *ret_rows,
			 size_t *ret_mismatch, double *ret_cpu)
{
	const struct unwind_row *rows = unwind_table__rows(t);
	uint64_t base = unwind_table__base(t);
	size_t n = unwind_table__nr(t), nrows = 0, mismatch = 0;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Dwarf_CFI *cfi = elf ? dwarf_getcfi_elf(elf) : NULL;
	double t0 = now_ms(), c0 = cpu_ms(), ms;

	for (size_t i = 0; cfi && i < n; i++) {
		Dwarf_Addr pc;

		if (unwind_row_cfa_kind(&rows[i]) == UNWIND_CFA_NONE ||
		    (i && unwind_row_cfa_kind(&rows[i - 1]) != UNWIND_CFA_NONE))
			continue;
		pc = base + rows[i].pc;
		for (;;) {
			Dwarf_Frame *frame = NULL;
			Dwarf_Addr start, end;
			Dwarf_Op ops_mem[3], *ops;
			size_t nops;
			bool signalp;
			struct unwind_row ours;

			if (dwarf_cfi_addrframe(cfi, pc, &frame))
				break;
			dwarf_frame_info(frame, &start, &end, &signalp);
			nrows++;
			if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1 &&
			    ops[0].atom == DW_OP_bregx &&
			    (ops[0].number == 7 || ops[0].number == 6) &&
			    !unwind_table__lookup(t, pc, &ours) &&
			    (unwind_row_cfa_kind(&ours) !=
				     (ops[0].number == 7 ? UNWIND_CFA_RSP : UNWIND_CFA_RBP) ||
			     unwind_row_cfa_offset(&ours) != (int64_t)ops[0].number2) &&
			    unwind_row_cfa_kind(&ours) != UNWIND_CFA_UNSUPPORTED &&
			    unwind_row_cfa_kind(&ours) != UNWIND_CFA_END)
				mismatch++;
			(void)dwarf_frame_register(frame, 6, ops_mem, &ops, &nops);
			(void)dwarf_frame_register(frame, 16, ops_mem, &ops, &nops);
			free(frame);
			if (end <= pc || unwind_table__lookup(t, end, NULL))
				break;
			pc = end;
		}
	}
	ms = now_ms() - t0;
	*ret_cpu = cpu_ms() - c0;
	dwarf_cfi_end(cfi);
	elf_end(elf);
	*ret_rows = nrows;
	*ret_mismatch = mismatch;
	return ms;
}

/* What the loader adds per new file to share tables by content: hash the rows, then compare them
 * with the loaded copy of an equal-hash table (here a private copy, as the BPF array would be). */
static double share_check_ms(const struct unwind_table *t)
{
	size_t n = unwind_table__nr(t) * sizeof(struct unwind_row);
	void *copy = malloc(n ? n : 1);
	volatile uint64_t h;
	volatile int same;
	double t0;

	if (!copy)
		return -1;
	memcpy(copy, unwind_table__rows(t), n);
	t0 = now_ms();
	h = unwind_table__hash(t);
	same = !memcmp(copy, unwind_table__rows(t), n);
	t0 = now_ms() - t0;
	(void)h;
	(void)same;
	free(copy);
	return t0;
}

static int bench_file(const char *path)
{
	struct unwind_table *t = NULL;
	const struct unwind_table_stats *st;
	double ms[RUNS], cpu[RUNS], med, dw_ms, dw_cpu, share_ms;
	size_t eh, bytes, dw_rows, dw_mismatch;
	long rss0, rss1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "Failed to open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	eh = eh_frame_size(fd);
	rss0 = maxrss_kib();
	for (int i = 0; i < RUNS; i++) {
		double t0, c0;

		unwind_table__free(t);
		t = NULL;
		t0 = now_ms();
		c0 = cpu_ms();
		t = unwind_table__build_fd(fd, NULL);
		ms[i] = now_ms() - t0;
		cpu[i] = cpu_ms() - c0;
		if (!t) {
			fprintf(stderr, "Failed to build '%s': %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (i == 0)
			rss1 = maxrss_kib();
	}
	qsort(ms, RUNS, sizeof(ms[0]), cmp_double);
	qsort(cpu, RUNS, sizeof(cpu[0]), cmp_double);
	med = ms[RUNS / 2];
	st = unwind_table__stats(t);
	bytes = unwind_table__mem_bytes(t);
	dw_ms = libdw_walk(fd, t, &dw_rows, &dw_mismatch, &dw_cpu);
	share_ms = share_check_ms(t);

	printf("%s\n", path);
	printf("  CFI bytes %zu KiB, FDEs %llu, CIEs %llu, rows raw %llu -> table %llu (%llu "
	       "gaps)\n",
	       eh >> 10, (unsigned long long)(st->fdes_eh_frame + st->fdes_debug_frame),
	       (unsigned long long)st->cies, (unsigned long long)st->rows_raw,
	       (unsigned long long)st->rows, (unsigned long long)st->gap_rows);
	printf("  table %.2f MiB = %.1f B/FDE, %.2fx the CFI bytes; peak RSS +%.1f MiB (first "
	       "build)\n",
	       bytes / 1048576.0,
	       (double)bytes / (double)(st->fdes_eh_frame + st->fdes_debug_frame + !st->cies),
	       eh ? (double)bytes / (double)eh : 0.0, (rss1 - rss0) / 1024.0);
	printf("  build median %.1f ms wall (min %.1f, max %.1f; CPU median %.1f ms; %d runs) = "
	       "%.0f rows/ms, %.0f FDEs/ms\n",
	       med, ms[0], ms[RUNS - 1], cpu[RUNS / 2], RUNS, st->rows_raw / med,
	       (st->fdes_eh_frame + st->fdes_debug_frame) / med);
	printf("  sharing by content (unwind_loader.c): hash + row-by-row compare %.2f ms\n",
	       share_ms);
	printf("  baseline libdw per-row queries: %.1f ms wall, %.1f ms CPU for %zu rows = %.1fx "
	       "our "
	       "CPU time; CFA disagreements %zu\n",
	       dw_ms, dw_cpu, dw_rows, dw_cpu / cpu[RUNS / 2], dw_mismatch);
	printf("  unsupported rows:");
	for (unsigned int r = 1; r < UNWIND_UNSUP__MAX; r++) {
		if (st->unsupported[r])
			printf(" %s %llu", unwind_unsupported_str(r),
			       (unsigned long long)st->unsupported[r]);
	}
	printf("%s; plt rows %llu, end rows %llu\n",
	       st->rows_raw && !st->unsupported[1] && !st->unsupported[2] && !st->unsupported[3] &&
			       !st->unsupported[4] && !st->unsupported[5] && !st->unsupported[6] &&
			       !st->unsupported[7]
		       ? " none"
		       : "",
	       (unsigned long long)st->plt_rows, (unsigned long long)st->end_rows);
	unwind_table__free(t);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int err = 0;

	elf_version(EV_CURRENT);
	for (int i = 1; i < argc; i++)
		err |= bench_file(argv[i]);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
