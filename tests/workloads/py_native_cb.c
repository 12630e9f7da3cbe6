// SPDX-License-Identifier: MIT
/* A native thread that calls into Python, as C libraries with callbacks do (gRPC's C core,
 * database drivers, embedders): tests/workloads/python/py_native_cb.py loads this with ctypes.
 * The thread alternates native work (native_spin, sampled while it has no Python thread state)
 * with a call of the Python callback (ctypes makes a thread state for each call, and drops it
 * after). The Python frames of each call must show from its first sample. */
#include <pthread.h>
#include <time.h>

typedef void (*py_cb)(void);

double native_spin(int ms);
int py_native_cb_run(py_cb cb, int rounds, int native_ms);

struct job {
	py_cb cb;
	int rounds;
	int native_ms;
};

static double thread_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* noinline: the test looks for this frame by name */
__attribute__((noinline)) double native_spin(int ms)
{
	double end = thread_ms() + ms, x = 1.0;

	while (thread_ms() < end)
		for (int i = 0; i < 10000; i++)
			x = x * 1.0000001 + 1e-9;
	return x;
}

static void *run(void *arg)
{
	const struct job *j = arg;
	volatile double sink = 0;

	for (int r = 0; r < j->rounds; r++) {
		sink += native_spin(j->native_ms);
		j->cb();
	}
	(void)sink;
	return NULL;
}

/* Run the rounds on a new native thread and wait for it (called with the GIL released). */
int py_native_cb_run(py_cb cb, int rounds, int native_ms)
{
	struct job j = { cb, rounds, native_ms };
	pthread_t t;

	if (pthread_create(&t, NULL, run, &j))
		return -1;
	return pthread_join(t, NULL);
}
