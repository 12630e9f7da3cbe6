// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "symbolize/fault_guard.h"

static __thread sigjmp_buf *guard_env;
static struct sigaction previous;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t caught;

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
	sigjmp_buf *env = guard_env;

	if (env) {
		guard_env = NULL;
		__atomic_add_fetch(&caught, 1, __ATOMIC_RELAXED);
		siglongjmp(*env, 1);
	}
	/* not ours: whoever was there before, else the default action */
	if (previous.sa_flags & SA_SIGINFO && previous.sa_sigaction) {
		previous.sa_sigaction(sig, info, uctx);
		return;
	}
	if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
	    previous.sa_handler) {
		previous.sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int fault_guard__install(void)
{
	struct sigaction sa, cur;
	int err = 0;

	pthread_mutex_lock(&install_lock);
	/* again if someone replaced it since (a test harness does, per test) */
	if (sigaction(SIGBUS, NULL, &cur)) {
		err = -errno;
	} else if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != on_sigbus) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, &previous))
			err = -errno;
	}
	pthread_mutex_unlock(&install_lock);
	return err;
}

void fault_guard__enter(sigjmp_buf *env)
{
	guard_env = env;
}

void fault_guard__leave(void)
{
	guard_env = NULL;
}

uint64_t fault_guard__caught(void)
{
	return __atomic_load_n(&caught, __ATOMIC_RELAXED);
}
