/* SPDX-License-Identifier: MIT */
/* The runtime registry: the modules of a run (struct runtime_ops, runtime.h), which process
 * runs which runtime, and the routing of a process's frame words to its module. The session
 * asks it about each process event and forgets processes as they go; the builder asks it for
 * frames. */
#ifndef FLAMED_RUNTIMES_H
#define FLAMED_RUNTIMES_H

#include "runtime/runtime.h"

struct runtimes;

/* A registry of the modules ops[0..nr) (borrowed: static tables), asked in that order; each
 * gets its instance. NULL with errno. */
struct runtimes *runtimes__new(const struct runtime_ops *const *ops, size_t nr);

/* NULL-safe; frees the modules' instances. */
void runtimes__free(struct runtimes *r);

/* Which runtime process e runs. 0: *ret is its entry for the BPF "rt_procs" map and the process
 * is registered with that module (*ret_ops; an image registered already: its module asked
 * again, its entry rewritten); -EALREADY: an image registered already whose module now fails
 * (a process exiting): it keeps its entry and state; -ENOENT: none (a process registered before, now exec'd into something else,
 * is forgotten: the caller deletes its BPF entry); -ENOTSUP: a version its module cannot read
 * (what says which, and whether this is the first time for that file); -EAGAIN: a runtime
 * still starting. */
int runtimes__detect(struct runtimes *r, struct proc_entry *e, struct flamed_rt_proc *ret,
		     struct runtime_detect *what, const struct runtime_ops **ret_ops);

/* Whether process tgid (any image) is registered. */
bool runtimes__registered(const struct runtimes *r, uint32_t tgid);

/* Forget process tgid. True if it was registered. */
bool runtimes__forget(struct runtimes *r, uint32_t tgid);

/* A drain begins (every module's tick). */
void runtimes__tick(struct runtimes *r);

/* The module of process (tgid, aspace), NULL when it runs none flamed registered. */
const struct runtime_ops *runtimes__ops(const struct runtimes *r, uint32_t tgid, uint64_t aspace);

/* A sample's runtime words of process (tgid, aspace) (runtime_ops.prefetch). */
void runtimes__prefetch(struct runtimes *r, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			uint32_t nr, uint32_t stamp, uint64_t samples);

/* The frames of the frame record rec of process (tgid, aspace) (runtime_ops.frames); 0 when
 * the process runs no registered runtime. */
size_t runtimes__frames(struct runtimes *r, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			struct runtime_frame *out, size_t max);

/* Forget the processes alive() says are gone, calling forget(tgid) for each (to drop its BPF
 * entry). Returns the number forgotten. */
size_t runtimes__sweep(struct runtimes *r, bool (*alive)(uint32_t tgid, uint64_t aspace, void *ctx),
		       void (*forget)(uint32_t tgid, void *ctx), void *ctx);

/* The instance of module id (for its own statistics), NULL when not in this registry. */
void *runtimes__module(const struct runtimes *r, enum flamed_runtime id);

#endif /* FLAMED_RUNTIMES_H */
