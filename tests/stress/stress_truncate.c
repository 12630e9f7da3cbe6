// SPDX-License-Identifier: MIT
/*
 * stress_truncate FILE RATE SECONDS [KEEP]: libraries truncated under their readers. A thread
 * writes a copy of FILE next to it (FILE.N; FILE is left alone) and keeps truncating it to KEEP
 * bytes (default 0; where its unwind data starts makes it quick to restore) for 3 ms, then
 * writing the rest back and leaving it whole for 5 ms; every 200 ms it moves on to a fresh copy
 * and unlinks the old one. Meanwhile RATE children a second each map the current copy's segments
 * as the dynamic loader would (whatever its size at that moment; they never touch them), burn
 * 5 ms of CPU in their own code and stay 300 ms. A profiler that announces the children reads
 * the copies while they shrink, a new file (inode) five times a second; with FILE stripped of its
 * build-id, each copy is also a new binary to a cache keyed by content.
 *
 * Output: "pid N" at start; at exit "children N", "truncations N" and "copies N".
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define PAGE 4096

static const char *file;
static char current[4096]; /* the copy children map now; children get it at fork */
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static char *content;
static size_t len, keep;
static uint64_t deadline_ns, truncations, copies;
static volatile uint64_t sink;

/* A fresh copy of FILE next to it (a new inode: a new file to whoever pins files by inode), open
 * for writing; the previous copy is unlinked (its mappings live on). fd or -1. */
static int new_copy(void)
{
	char path[sizeof(current)];
	int fd;

	snprintf(path, sizeof(path), "%s.%llu", file, (unsigned long long)copies);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || pwrite(fd, content, len, 0) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pthread_mutex_lock(&current_lock);
	if (copies)
		unlink(current);
	snprintf(current, sizeof(current), "%s", path);
	copies++;
	pthread_mutex_unlock(&current_lock);
	return fd;
}

/* Cut the current copy to KEEP bytes for 3 ms, make it whole for 5 ms, over and over; every 25
 * rounds (about 200 ms) move on to a fresh copy. */
static void *toggler(void *arg)
{
	int fd = new_copy();

	(void)arg;
	for (unsigned round = 1; fd >= 0 && workload_clock_ns(CLOCK_MONOTONIC) < deadline_ns;
	     round++) {
		struct timespec whole = { .tv_nsec = 5000000L }, cut = { .tv_nsec = 3000000L };

		if (ftruncate(fd, (off_t)keep) == 0)
			truncations++;
		nanosleep(&cut, NULL);
		if (pwrite(fd, content + keep, len - keep, (off_t)keep) != (ssize_t)(len - keep))
			break;
		nanosleep(&whole, NULL);
		if (round % 25 == 0) {
			close(fd);
			fd = new_copy();
		}
	}
	if (fd >= 0)
		close(fd);
	pthread_mutex_lock(&current_lock);
	unlink(current);
	pthread_mutex_unlock(&current_lock);
	return NULL;
}

static NOINLINE void child_burn(void)
{
	uint64_t until = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) + 5000000, x = 9;

	while (workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) < until) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005ULL + 1;
			OPAQUE(x);
		}
	}
	sink = x;
}

/* Map FILE's PT_LOAD segments as the dynamic loader would (an executable mapping at the text
 * segment's offset, which a profiler can place), without relocating or touching them. */
static void child(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)content;
	const Elf64_Phdr *ph;
	uint64_t span = 0;
	char *base;
	int fd = open(current, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(*ph) > len)
		_exit(1);
	ph = (const Elf64_Phdr *)(content + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > span)
			span = ph[i].p_vaddr + ph[i].p_memsz;
	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		_exit(1);
	for (int i = 0; i < eh->e_phnum; i++) {
		uint64_t skew = ph[i].p_vaddr % PAGE;
		int prot = (ph[i].p_flags & PF_R ? PROT_READ : 0) |
			   (ph[i].p_flags & PF_X ? PROT_EXEC : 0);

		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		if (mmap(base + ph[i].p_vaddr - skew, ph[i].p_filesz + skew, prot,
			 MAP_PRIVATE | MAP_FIXED, fd, (off_t)(ph[i].p_offset - skew)) == MAP_FAILED)
			_exit(1);
	}
	child_burn();
	/* stay a while, mapped: the profiler reads the maps of a process it sampled after the fact */
	{
		struct timespec ts = { .tv_nsec = 300000000L };

		nanosleep(&ts, NULL);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	uint64_t period_ns, next, children = 0;
	double rate, seconds;
	struct stat st;
	pthread_t t;
	int fd;

	if (argc < 4 || argc > 5 || (rate = strtod(argv[2], NULL)) <= 0 || rate > 10000 ||
	    workload_parse_seconds(argv[3], &seconds)) {
		fprintf(stderr, "usage: %s FILE RATE SECONDS [KEEP]\n", argv[0]);
		return 2;
	}
	file = argv[1];
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !(content = malloc((size_t)st.st_size)) ||
	    read(fd, content, (size_t)st.st_size) != st.st_size) {
		fprintf(stderr, "stress_truncate: cannot read %s\n", file);
		return 1;
	}
	close(fd);
	len = (size_t)st.st_size;
	keep = argc == 5 ? strtoull(argv[4], NULL, 0) : 0;
	if (keep > len)
		keep = len;
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	deadline_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	if (pthread_create(&t, NULL, toggler, NULL)) {
		fprintf(stderr, "stress_truncate: no thread\n");
		return 1;
	}
	period_ns = (uint64_t)(1e9 / rate);
	next = workload_clock_ns(CLOCK_MONOTONIC);
	while (next < deadline_ns) {
		struct timespec ts;
		pid_t pid;

		pthread_mutex_lock(&current_lock); /* a whole path in the child */
		pid = fork();
		if (pid == 0)
			child();
		pthread_mutex_unlock(&current_lock);
		children += pid > 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		next += period_ns;
		ts = (struct timespec){ .tv_sec = (time_t)(next / 1000000000ULL),
					.tv_nsec = (long)(next % 1000000000ULL) };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	pthread_join(t, NULL);
	while (wait(NULL) > 0)
		;
	printf("children %llu\ntruncations %llu\ncopies %llu\n", (unsigned long long)children,
	       (unsigned long long)truncations, (unsigned long long)copies);
	return 0;
}
