/* SPDX-License-Identifier: MIT */
/* A language runtime's userspace half; bpf/runtime.bpf.h is its BPF half. A runtime module
 * (src/python/, src/hotspot/) fills one struct runtime_ops: it finds its runtime in a process
 * (mappings, exported symbols), gives the BPF walker the code ranges that hand frames over to it
 * and the parameters it walks them with, reads from the process what names the frames it
 * recorded, and turns one frame record into frames to show. It owns its caches and bounds them.
 *
 * The registry (runtimes.h) asks each module in turn about each process and routes a process's
 * frame words to the module that registered it. Everything a module reads from a process is the
 * process's to forge: sizes capped, pointers checked, reads through process_vm_readv only. */
#ifndef FLAMED_RUNTIME_H
#define FLAMED_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "flamed.h"

struct proc_entry;

/* One frame as the builder shows it. Strings borrowed until the module's next tick or forget. */
struct runtime_frame {
	const char *name; /* "module.qualname", "pkg.Class.method"; a placeholder if !named */
	const char
		*system_name; /* pprof Function.system_name (e.g. with the signature); NULL: name */
	const char *file;     /* source file, NULL when unknown */
	int64_t line;	      /* 0 = unknown */
	int64_t first_line;   /* the function's first line, 0 = unknown */
	bool named;	      /* false: the frame could not be named (counted unsymbolized) */
};

/* Frames one frame record may expand to: itself and the callees a JIT inlined into it. */
#define RUNTIME_MAX_FRAMES 16

/* What detect found, for the log. */
struct runtime_detect {
	char what[128];	   /* "CPython 3.11", "HotSpot 17.0.15" */
	char known[64];	   /* -ENOTSUP: the versions the module reads ("3.8 to 3.13") */
	const char *path;  /* the file holding the runtime (borrowed from the process entry) */
	bool first_report; /* -ENOTSUP: true the first time for this file (warn once) */
};

struct runtime_ops {
	const char *name;	  /* "python", "hotspot" */
	const char *language;	  /* whose frames it shows: "Python", "Java" */
	enum flamed_runtime id;	  /* its walker in bpf/runtime.bpf.h */
	const char *mapping;	  /* the pprof mapping its frames go in: "[python]", "[java]" */
	uint32_t words_per_frame; /* BPF words one frame record takes (1 or 2) */

	/* A module instance. NULL with errno. */
	void *(*new)(void);
	/* NULL-safe. */
	void (*free)(void *m);
	/* Whether process e runs this runtime: 0 with ret->ranges, ret->nr_ranges and
	 * ret->params filled (the registry sets aspace and runtime), -ENOENT when it does not,
	 * -ENOTSUP when it runs a version the module cannot read (what->what says which), or
	 * -EAGAIN when it may later (a runtime still starting up: asked again at the process's
	 * next event). */
	int (*detect)(void *m, struct proc_entry *e, struct flamed_rt_proc *ret,
		      struct runtime_detect *what);
	/* Forget process tgid (it exited, or exec'd into something else). */
	void (*forget)(void *m, uint32_t tgid);
	/* A drain begins: what was read from processes may be checked again. */
	void (*tick)(void *m);
	/* The words of one stack's frames of process (tgid, aspace), frame records of
	 * words_per_frame words, sampled samples times, with the runtime's stamp of the sample
	 * (bpf/flamed.h FLAMED_RT_MARK): read now, while the process lives, what names them. */
	void (*prefetch)(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *words,
			 uint32_t nr, uint32_t stamp, uint64_t samples);
	/* The frames of one frame record of process (tgid, aspace), innermost first (an inlined
	 * callee before its caller): 1 to max, a placeholder (named false) when unknown. */
	size_t (*frames)(void *m, uint32_t tgid, uint64_t aspace, const uint64_t *rec,
			 struct runtime_frame *out, size_t max);
};

#endif /* FLAMED_RUNTIME_H */
