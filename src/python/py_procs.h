/* SPDX-License-Identifier: MIT */
/* CPython processes: which processes run an interpreter flamed knows (found in their mapped
 * python3.X / libpython3.X.so by _PyRuntime), what the BPF walker needs for them, and the code
 * objects their Python frames name: qualname, file and line table, read once per (process,
 * code object) with process_vm_readv and kept under a byte budget.
 *
 * Everything read is the process's to forge: sizes are capped, types checked (a code object's
 * ob_type must be the interpreter's PyCode_Type), strings sanitized; a failed read names the
 * frame "[python]" and is counted. */
#ifndef FLAMED_PY_PROCS_H
#define FLAMED_PY_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "flamed.h"

struct py_procs;
struct proc_entry;

#define PY_PROCS_CACHE_BYTES	  (64u << 20)  /* code objects' names and tables, all processes */
#define PY_PROCS_PROC_CACHE_BYTES (8u << 20)   /* ... and per process */
#define PY_PROCS_MAX_TABLE	  (256u << 10) /* a line table above this is not read */
#define PY_PROCS_MAX_NAME	  256	       /* characters kept of a name or a file */

struct py_procs_stats {
	uint64_t processes;	    /* CPython processes registered for the walker */
	uint64_t unknown_version;   /* processes with a CPython flamed does not know */
	uint64_t code_read;	    /* code objects read */
	uint64_t code_failed;	    /* ... unreadable (process gone, not a code object) */
	uint64_t code_over_budget;  /* not kept: the byte budget was reached */
	uint64_t code_replaced;	    /* cached, then found replaced by another at its address */
	uint64_t cache_bytes;	    /* bytes held now */
	uint64_t frames_unnamed;    /* Python frames shown as "[python]" */
	uint64_t frames_mismatched; /* ... of those: the code object read was not the one sampled */
};

/* What the builder shows for one Python frame; strings borrowed until py_procs__sweep. */
struct py_frame {
	const char *name;     /* "module.qualname", or "[python]" when unknown */
	const char *qualname; /* the code object's own name, or NULL */
	const char *file;     /* co_filename, or NULL */
	int64_t line;	      /* 0 = unknown */
	int64_t first_line;   /* co_firstlineno, 0 = unknown */
};

/* What py_procs__detect found. */
struct py_detect {
	int major, minor;  /* the interpreter's version, when known */
	const char *path;  /* the file holding the interpreter (borrowed from the entry) */
	bool first_report; /* an unknown version: true the first time for this file */
};

/* New empty registry. NULL with errno. */
struct py_procs *py_procs__new(void);

/* Look for a CPython in e's mappings. 0 with *ret filled for the BPF "py_procs" map (the entry
 * is registered for the builder too), -ENOENT when e runs no CPython (or -ESRCH/-EIO: its files
 * unreadable), -ENOTSUP when its version is not one flamed knows (what[] says which). */
int py_procs__detect(struct py_procs *pp, struct proc_entry *e, struct flamed_py_proc *ret,
		     struct py_detect *what);

/* Forget process tgid now (it exec'd into something that runs no CPython). True if it was
 * registered. */
bool py_procs__forget(struct py_procs *pp, uint32_t tgid);

/* Read the code objects of a stack of Python frames (FLAMED_STACK_PY_FRAMES words) of process
 * (tgid, aspace) now, while it lives, so a later build finds them cached; one cached already
 * is checked (once per drain) to still be the object at its address, and read again if not.
 * A window's samples are named by what their addresses hold at its last drain. */
void py_procs__prefetch(struct py_procs *pp, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			uint32_t nr);

/* A drain begins: cached code objects met again are checked once more (py_procs__prefetch). */
void py_procs__tick(struct py_procs *pp);

/* Whether ip is inside _PyEval_EvalFrameDefault of process (tgid, aspace)'s interpreter. */
bool py_procs__is_eval(const struct py_procs *pp, uint32_t tgid, uint64_t aspace, uint64_t ip);

/* The frame of one FLAMED_STACK_PY_FRAMES word of process (tgid, aspace). 0, or -ENOENT when
 * the process is not registered (ret says "[python]"). */
int py_procs__frame(struct py_procs *pp, uint32_t tgid, uint64_t aspace, uint64_t word,
		    struct py_frame *ret);

/* Forget processes alive() says are gone; forget(tgid) is called for each (to drop its BPF
 * entry). Returns the number forgotten. */
size_t py_procs__sweep(struct py_procs *pp,
		       bool (*alive)(uint32_t tgid, uint64_t aspace, void *ctx),
		       void (*forget)(uint32_t tgid, void *ctx), void *ctx);

struct py_procs_stats py_procs__stats(const struct py_procs *pp);

/* NULL-safe. */
void py_procs__free(struct py_procs *pp);

#endif /* FLAMED_PY_PROCS_H */
