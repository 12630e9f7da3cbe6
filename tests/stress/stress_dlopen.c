// SPDX-License-Identifier: MIT
/*
 * stress_dlopen RATE SECONDS LIB [DIR]: dlopen/dlclose churn. RATE times a second: load LIB (with
 * DIR, a fresh copy of it written to DIR and unlinked right after dlopen, so every load is a new
 * file, mapped as "... (deleted)"), burn about a millisecond in its stress_dl_burn_public, unload
 * it. After each load it burns a tenth of the period in its own code (so it is sampled whether
 * or not the library is mapped) and sleeps the rest. RATE 0 loads LIB once and keeps it, burning
 * 2 ms in it every 20 ms.
 *
 * Output: "pid N" at start; at exit "loads N" and "failed N".
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static volatile uint64_t sink;

static NOINLINE void own_burn(uint64_t until_ns)
{
	uint64_t x = 3;

	while (workload_clock_ns(CLOCK_MONOTONIC) < until_ns) {
		for (int i = 0; i < 1000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			OPAQUE(x);
		}
	}
	sink = x;
}

static char *read_all(const char *path, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc((size_t)st.st_size)) ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	*ret_len = buf ? (size_t)st.st_size : 0;
	if (fd >= 0)
		close(fd);
	return buf;
}

/* One load of lib (unlinked once loaded with do_unlink): 0, or -1 when it could not be loaded or
 * has no stress_dl_burn_public. */
static int load_once(const char *lib, int do_unlink)
{
	uint64_t (*burn)(uint64_t);
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (do_unlink)
		unlink(lib);
	if (!h)
		return -1;
	*(void **)&burn = dlsym(h, "stress_dl_burn_public");
	if (burn)
		sink = burn(600000); /* about two milliseconds */
	dlclose(h);
	return burn ? 0 : -1;
}

/* RATE 0: load lib once and keep it, 2 ms in stress_dl_burn_public every 20 ms. */
static int hold(const char *lib, double seconds)
{
	uint64_t deadline = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	uint64_t (*burn)(uint64_t) = NULL;

	if (h)
		*(void **)&burn = dlsym(h, "stress_dl_burn_public");
	if (!burn) {
		fprintf(stderr, "stress_dlopen: %s: %s\n", lib, dlerror());
		return 1;
	}
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		struct timespec ts = { .tv_nsec = 18000000L };

		sink = burn(600000);
		nanosleep(&ts, NULL);
	}
	printf("loads 1\nfailed 0\n");
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t loads = 0, failed = 0, deadline, next, period_ns;
	const char *lib, *dir = NULL;
	double rate, seconds;
	char *content = NULL;
	size_t len = 0;

	if (argc < 4 || argc > 5 || (rate = strtod(argv[1], NULL)) < 0 || rate > 10000 ||
	    workload_parse_seconds(argv[2], &seconds)) {
		fprintf(stderr, "usage: %s RATE SECONDS LIB [DIR]\n", argv[0]);
		return 2;
	}
	lib = argv[3];
	if (argc == 5) {
		dir = argv[4];
		content = read_all(lib, &len);
		if (!content) {
			fprintf(stderr, "stress_dlopen: cannot read %s\n", lib);
			return 1;
		}
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	if (rate == 0)
		return hold(lib, seconds);

	period_ns = (uint64_t)(1e9 / rate);
	next = workload_clock_ns(CLOCK_MONOTONIC);
	deadline = next + (uint64_t)(seconds * 1e9);
	while (next < deadline) {
		char path[4096];
		int ok;

		if (dir) {
			int fd;

			snprintf(path, sizeof(path), "%s/dl-%llu.so", dir,
				 (unsigned long long)loads);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
			ok = fd >= 0 && write(fd, content, len) == (ssize_t)len;
			if (fd >= 0)
				close(fd);
			ok = ok && load_once(path, 1) == 0;
			if (!ok)
				unlink(path);
		} else {
			ok = load_once(lib, 0) == 0;
		}
		loads++;
		failed += !ok;
		next += period_ns;
		/* a tenth of the period in our own code, the rest asleep */
		own_burn(workload_clock_ns(CLOCK_MONOTONIC) + period_ns / 10);
		{
			struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ULL),
					       .tv_nsec = (long)(next % 1000000000ULL) };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
	printf("loads %llu\nfailed %llu\n", (unsigned long long)loads, (unsigned long long)failed);
	free(content);
	return 0;
}
