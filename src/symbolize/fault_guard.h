/* SPDX-License-Identifier: MIT */
/* SIGBUS guard for reads of mmapped files: libelf and libdw map the files they read, and a file
 * another user owns can be truncated under them, making the next read of a page past the new end
 * raise SIGBUS. Code that reads such a mapping runs between fault_guard__enter and
 * fault_guard__leave with a sigsetjmp'ed env; a SIGBUS there jumps back to it (the object that was
 * being read must then be abandoned, never touched again: its library may hold locks). A SIGBUS
 * anywhere else goes to the handler that was installed before (or the default: a crash). */
#ifndef FLAMED_FAULT_GUARD_H
#define FLAMED_FAULT_GUARD_H

#include <setjmp.h>
#include <stdint.h>

/* Install the handler, unless it is in place (thread-safe; one sigaction call when it is).
 * 0 or -errno. */
int fault_guard__install(void);

/* Guard this thread's reads until fault_guard__leave; env was just set by sigsetjmp(env, 1). */
void fault_guard__enter(sigjmp_buf *env);
void fault_guard__leave(void);

/* SIGBUS caught so far, all threads. */
uint64_t fault_guard__caught(void);

#endif /* FLAMED_FAULT_GUARD_H */
