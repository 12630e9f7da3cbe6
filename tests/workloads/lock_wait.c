// SPDX-License-Identifier: MIT
/*
 * lock_wait SECONDS: lock contention, for off-CPU profiling tests. A holder thread takes a
 * pthread mutex and keeps it for 5-15 ms of CPU in hold_lock, then sleeps 1-4 ms; the main
 * thread, in wait_for_lock, takes the mutex as soon as it can (blocking in the kernel's futex
 * wait while the holder has it), drops it, and sleeps 1-3 ms in pause_a_bit. The main thread
 * times both with CLOCK_MONOTONIC.
 *
 * Output: "pid N" and "tid N" (the main thread) at start, flushed; at exit "offcpu wait_for_lock
 * MS" (wall time in pthread_mutex_lock), "offcpu pause_a_bit MS" (in nanosleep) and "locks N".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "workload.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int done;
static volatile uint64_t sink;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ns };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* Keeps the lock for ns of the thread's CPU clock. */
static NOINLINE void hold_lock(uint64_t ns)
{
	uint64_t t0 = workload_clock_ns(CLOCK_THREAD_CPUTIME_ID), x = ns | 1;

	pthread_mutex_lock(&lock);
	while (workload_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0 < ns) {
		for (int i = 0; i < 20000; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			OPAQUE(x);
		}
	}
	pthread_mutex_unlock(&lock);
	sink = x;
}

static void *holder(void *arg)
{
	uint64_t rnd = 0x2545f4914f6cdd1dULL;

	(void)arg;
	while (!done) {
		hold_lock(5000000 + xorshift(&rnd) % 10000000);
		sleep_ns(1000000 + xorshift(&rnd) % 3000000);
	}
	return NULL;
}

/* Returns the wall ns pthread_mutex_lock took. */
static NOINLINE uint64_t wait_for_lock(void)
{
	uint64_t t0 = workload_clock_ns(CLOCK_MONOTONIC), t1;

	pthread_mutex_lock(&lock);
	t1 = workload_clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_unlock(&lock);
	return t1 - t0;
}

/* Returns the wall ns the sleep took. */
static NOINLINE uint64_t pause_a_bit(uint64_t ns)
{
	uint64_t t0 = workload_clock_ns(CLOCK_MONOTONIC);

	sleep_ns(ns);
	return workload_clock_ns(CLOCK_MONOTONIC) - t0;
}

int main(int argc, char **argv)
{
	uint64_t waited = 0, paused = 0, locks = 0, deadline, rnd = 0x9e3779b97f4a7c15ULL;
	pthread_t th;
	double seconds;

	if (argc != 2 || workload_parse_seconds(argv[1], &seconds)) {
		fprintf(stderr, "usage: lock_wait SECONDS\n");
		return 2;
	}
	if (pthread_create(&th, NULL, holder, NULL)) {
		perror("lock_wait");
		return 1;
	}
	printf("pid %d\ntid %ld\n", getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	deadline = workload_clock_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (workload_clock_ns(CLOCK_MONOTONIC) < deadline) {
		waited += wait_for_lock();
		locks++;
		paused += pause_a_bit(1000000 + xorshift(&rnd) % 2000000);
	}
	done = 1;
	pthread_join(th, NULL);
	printf("offcpu wait_for_lock %.3f\n", waited / 1e6);
	printf("offcpu pause_a_bit %.3f\n", paused / 1e6);
	printf("locks %llu\n", (unsigned long long)locks);
	return 0;
}
