/* SPDX-License-Identifier: MIT */
/* The BPF <-> userspace ABI: limits, map keys and values, event records, metric ids.
 * No includes: BPF includes it after vmlinux.h, userspace after <linux/types.h>. */
#ifndef FLAMED_H
#define FLAMED_H

#define FLAMED_MAX_FRAMES 127 /* per stack, user and kernel alike (perf's default max is 127) */
#define FLAMED_COMM_LEN	  16  /* TASK_COMM_LEN */

/* Per-CPU counters, index into the "metrics" map. Append only: their names are metric_names[]
 * in src/bpf/sampler.c. */
enum flamed_metric {
	FLAMED_METRIC_SAMPLES,		/* the program ran on a cpu-clock overflow */
	FLAMED_METRIC_IDLE,		/* pid 0 (idle task) skipped */
	FLAMED_METRIC_SELF,		/* flamed's own process skipped */
	FLAMED_METRIC_FILTERED,		/* not a target process (-p / --) */
	FLAMED_METRIC_COUNTED,		/* added to the counts (a count slot, or the map) */
	FLAMED_METRIC_COUNT_MAP_FULL,	/* counts map full: sample DROPPED */
	FLAMED_METRIC_STACK_MAP_FULL,	/* stacks map full: sample kept without that stack */
	FLAMED_METRIC_KSTACK_ERR,	/* bpf_get_stack(kernel) < 0 */
	FLAMED_METRIC_USTACK_ERR,	/* no user registers to start the walk from */
	FLAMED_METRIC_USTACK_EMPTY,	/* unused since the walker replaced bpf_get_stack(user) */
	FLAMED_METRIC_KSTACK_TRUNCATED, /* kernel stack hit FLAMED_MAX_FRAMES */
	FLAMED_METRIC_USTACK_TRUNCATED, /* user stack hit FLAMED_MAX_FRAMES */
	FLAMED_METRIC_PROC_EVENT_LOST,	/* "events" ring buffer full: a new process not announced */
	FLAMED_METRIC_TARGET_FORKS,	/* children of target processes added to the targets map */
	FLAMED_METRIC_TARGETS_FULL,	/* targets map full: a child of a target is not followed */
	/* user stack walks (tables, frame pointers where none): one "stop" per walk */
	FLAMED_METRIC_UNWIND_WALKS,	      /* user stacks walked */
	FLAMED_METRIC_UNWIND_NO_PROC,	      /* no tables for the process (yet): frame pointers */
	FLAMED_METRIC_UNWIND_STOP_END,	      /* reached the outermost frame: complete stack */
	FLAMED_METRIC_UNWIND_STOP_NO_MAPPING, /* pc outside every mapping with a table, FP failed */
	FLAMED_METRIC_UNWIND_STOP_NO_ROW,     /* pc in a table gap, FP failed */
	FLAMED_METRIC_UNWIND_STOP_READ_FAULT, /* reading the user stack faulted */
	FLAMED_METRIC_UNWIND_STOP_DEPTH,      /* FLAMED_MAX_FRAMES reached: truncated */
	FLAMED_METRIC_UNWIND_STOP_UNSUPPORTED, /* CFA rule the walker does not handle */
	FLAMED_METRIC_UNWIND_STOP_FP_END,      /* frame-pointer chain ended (rbp 0 or return 0) */
	FLAMED_METRIC_UNWIND_FRAMES_DWARF,     /* frames unwound with a table row */
	FLAMED_METRIC_UNWIND_FRAMES_FP,	       /* frames unwound with the frame-pointer fallback */
	FLAMED_METRIC_UNWIND_REMAPS,	       /* re-reads of a process's maps requested */
	/* Python frame walks (bpf/python.bpf.h): one outcome per walk of a CPython process */
	FLAMED_METRIC_PY_WALKS,	      /* samples of a registered CPython process walked */
	FLAMED_METRIC_PY_FRAMES,      /* Python frames recorded */
	FLAMED_METRIC_PY_NO_THREAD,   /* no PyThreadState for the thread (native thread, not yet
				     * initialised, or exiting): native frames only */
	FLAMED_METRIC_PY_IDLE,	      /* the thread has a thread state but no Python frame */
	FLAMED_METRIC_PY_READ_FAULT,  /* reading interpreter memory faulted (paged out, torn) */
	FLAMED_METRIC_PY_BAD_POINTER, /* a code object pointer outside user space: walk cut */
	FLAMED_METRIC_PY_TRUNCATED,   /* FLAMED_MAX_FRAMES Python frames: the outermost cut */
	FLAMED_METRIC_PY_STALE,	      /* registration of an older image (exec): not walked */
	FLAMED_METRIC_UNWIND_TABLE_PENDING,  /* walks that met a mapping whose table is still
						* being built (or was just evicted): frame
						* pointers there */
	FLAMED_METRIC_UNWIND_ROW_CACHE_HITS, /* frames whose row came from the walker's row cache */
	/* Where a sample's time goes, in ns summed over samples: only with FLAMED_BPF_PHASES=1 in
	 * flamed's environment (a bench knob, bench/bpf_phases.py); otherwise the verifier prunes
	 * the clock reads and these stay 0. */
	FLAMED_METRIC_NS_HEAD,	       /* filters, address-space cookie, comm */
	FLAMED_METRIC_NS_KSTACK,       /* kernel stack: bpf_get_stack, hash, store */
	FLAMED_METRIC_NS_UWALK,	       /* user stack walk (tables or frame pointers) */
	FLAMED_METRIC_NS_PY,	       /* Python frames */
	FLAMED_METRIC_NS_USTORE,       /* user stack hash and store */
	FLAMED_METRIC_NS_COUNT,	       /* the counts map */
	FLAMED_METRIC_NS_ANNOUNCE,     /* the known-process check (and its event) */
	FLAMED_METRIC_STACK_SEEN_HITS, /* stacks this CPU stored earlier in the generation: no
					* stacks-map lookup */
	FLAMED_METRIC_COUNT_SLOT_HITS, /* samples added up in a per-CPU count slot: no counts-map
					* lookup */
	FLAMED_METRIC_PY_CODE_HITS,    /* Python frames whose code object's first line this CPU
					* read earlier in the generation: no read */
	FLAMED_METRIC__MAX,
};

/* Key of the "counts" maps: one entry per distinct (thread, address space, stacks, comm). */
struct flamed_count_key {
	__u64 aspace;	  /* cookie of task->mm and start time: new on exec and on pid reuse */
	__u64 user_stack; /* hash into the "stacks" map, 0 = none */
	__u64 kern_stack; /* hash into the "stacks" map, 0 = none */
	__u32 tgid;	  /* process id (init namespace) */
	__u32 tid;	  /* thread id (init namespace) */
	char comm[FLAMED_COMM_LEN]; /* thread name */
};

/* The program's per-CPU count slots (the "count_slots" map): the counts of the keys a CPU
 * sampled last, added up there and moved to the counts map only when the slot is needed for
 * another key; userspace collects the slots of a generation after its maps. */
#define FLAMED_COUNT_SLOTS 16
struct flamed_count_slot {
	struct flamed_count_key key;
	__u32 gen; /* active_gen the counts belong to */
	__u32 n;   /* samples; 0: free */
	__u64 pad; /* to a cache line */
};
struct flamed_count_slots {
	struct flamed_count_slot s[FLAMED_COUNT_SLOTS];
};

/* Value of the "stacks" maps: the frames, deduplicated by hash. */
struct flamed_stack {
	__u32 nr;    /* frames used in ips[] */
	__u32 flags; /* FLAMED_STACK_* */
	__u64 ips[FLAMED_MAX_FRAMES];
};

#define FLAMED_STACK_KERNEL    (1u << 0)
#define FLAMED_STACK_TRUNCATED (1u << 1)
#define FLAMED_STACK_PYTHON    (1u << 2) /* user stack: last ip = hash of its Python frames */
#define FLAMED_STACK_PY_FRAMES (1u << 3) /* Python frames (FLAMED_PY_* words), not addresses */

/* Record in the "events" ring buffer: a (process, address space) seen for the first time, so
 * userspace snapshots its maps while it is alive. */
struct flamed_proc_event {
	__u64 aspace;
	__u64 ktime_ns;
	__u32 tgid;
	__u32 type;		    /* FLAMED_EVENT_* */
	char comm[FLAMED_COMM_LEN]; /* process (group leader) name */
};

#define FLAMED_EVENT_NEW_ASPACE 1 /* first sample of (tgid, aspace) */
#define FLAMED_EVENT_EXEC	2 /* exec completed: new aspace, final comm */
#define FLAMED_EVENT_REMAP	3 /* a sample hit code outside the known mappings: re-read them */
#define FLAMED_EVENT_EXIT	4 /* a process with unwind tables ended: release them */

/* --- DWARF unwinding: tables built by src/unwind/ from .eh_frame, walked by the BPF program --- */

#define FLAMED_UNWIND_MAX_MAPPINGS 256	 /* executable mappings per process with a table */
#define FLAMED_UNWIND_ROW_CACHE	   32768 /* entries of the walker's row cache (24 bytes each) */
/* The page index: one entry per 1 KiB of text. A page holds at most 1024 rows (their pcs are
 * distinct) plus the one covering its start, so 11 binary-search steps always suffice. */
#define FLAMED_UNWIND_PAGE_SHIFT    10
#define FLAMED_UNWIND_SEARCH_STEPS  11
#define FLAMED_UNWIND_TABLE_PENDING 0xffffffffu /* flamed_unwind_mapping.table: being built */

enum flamed_unwind_mode {
	FLAMED_UNWIND_FP = 0,	 /* frame pointers only (the walker in flamed.bpf.c) */
	FLAMED_UNWIND_AUTO = 1,	 /* tables where present, frame pointers elsewhere */
	FLAMED_UNWIND_DWARF = 2, /* tables only: stop where there is none */
};

/* One unwind row, valid from pc to the next row's pc. Same layout as struct unwind_row of
 * src/unwind/unwind_table.h (asserted there): kinds = CFA kind | rbp kind << 4. */
struct flamed_unwind_row {
	__u32 pc;      /* ELF vaddr minus the table's base */
	__s16 cfa_off; /* in units of 8 bytes */
	__u8 kinds;
	__s8 rbp_off; /* in units of 8 bytes; PLT rows: the rip & 15 threshold */
};

/* A table is one sequence of 8-byte elements: first the page index (element p for text page
 * p = pc >> FLAMED_UNWIND_PAGE_SHIFT), then the rows. The row for pc is the last one with
 * row.pc <= pc among elements [lo, hi) of its page's entry: a lookup touches one index element
 * and a few adjacent rows instead of a binary search over the whole table. The elements are
 * stored in blocks of the "unwind_blocks" hash map, allocated as tables are loaded (no fixed
 * array to fill up, and no map to create: flamed drops CAP_BPF after start-up). */
struct flamed_unwind_page {
	__u32 lo; /* element of the row covering the page's first byte (or of the first row) */
	__u32 hi; /* one past the element of the last row starting in the page */
};

/* 496 elements: key, value and the kernel's element header fit one 4 KiB allocation. */
#define FLAMED_UNWIND_BLOCK_ELEMS 496

struct flamed_unwind_block_key {
	__u32 table; /* table id (flamed_unwind_mapping.table) */
	__u32 block; /* element / FLAMED_UNWIND_BLOCK_ELEMS */
};

struct flamed_unwind_block {
	__u64 e[FLAMED_UNWIND_BLOCK_ELEMS]; /* struct flamed_unwind_page or flamed_unwind_row */
};

/* CFA kinds (kinds & 0xf) and rbp kinds (kinds >> 4): the one list; src/unwind/unwind_table.h
 * names them for the builder (enum unwind_cfa_kind, enum unwind_rbp_kind). The walker stops on
 * any CFA kind it does not handle and treats rbp kinds beyond AT_RBP as "unknown". */
#define FLAMED_CFA_NONE	       0
#define FLAMED_CFA_RSP	       1
#define FLAMED_CFA_RBP	       2
#define FLAMED_CFA_PLT	       3
#define FLAMED_CFA_DEREF_RBP   4
#define FLAMED_CFA_END	       5
#define FLAMED_CFA_UNSUPPORTED 6
#define FLAMED_RBP_UNCHANGED   0
#define FLAMED_RBP_AT_CFA      1
#define FLAMED_RBP_AT_RBP      2
#define FLAMED_RBP_UNDEFINED   3
#define FLAMED_RBP_UNSUPPORTED 4

/* One executable mapping of a process, and which table unwinds it. */
struct flamed_unwind_mapping {
	__u64 start; /* runtime [start, end) */
	__u64 end;
	__u64 pc_sub; /* row pc = runtime pc - pc_sub (load bias + table base) */
	__u32 table;  /* table id, never reused; 0: no table, frame pointers;
		       * FLAMED_UNWIND_TABLE_PENDING: being built (frame pointers meanwhile) */
	__u32 pages;  /* entries of its page index: pcs at or beyond pages << SHIFT have no row */
};

/* Value of the "unwind_procs" map: a process's mappings, sorted by start. */
struct flamed_unwind_proc {
	__u64 aspace;	      /* address space these mappings belong to; a mismatch means stale */
	__u64 remap_after_ns; /* no FLAMED_EVENT_REMAP before this bpf_ktime_get_ns() time */
	__u32 nr;
	__u32 remap_requested; /* set by BPF when it sends FLAMED_EVENT_REMAP, cleared by the
				* rewrite from userspace: one request in flight */
	struct flamed_unwind_mapping m[FLAMED_UNWIND_MAX_MAPPINGS];
};

/* --- CPython frames: src/python/ registers each CPython process, bpf/python.bpf.h walks --- */

/* A user stack with FLAMED_STACK_PYTHON ends in one extra word: the hash, in the same stacks
 * map, of a stack flagged FLAMED_STACK_PY_FRAMES that holds the thread's Python frames (leaf
 * first), one word each:
 *   bits  0-42  the code object's address >> 4 (user space is below 2^47; code objects are
 *               16-byte aligned, as CPython's allocators align every object)
 *   bits 43-56  the instruction offset, in the units of the version's line table, saturated
 *   bits 57-62  co_firstlineno & 63: a freed code object's address is soon another's, and
 *               userspace reads the object up to a second later; a tag that differs is caught
 *   bit  63     the frame is the outermost of its native _PyEval_EvalFrameDefault call
 * Python frames thus never take room from native ones, and deduplicate on their own. */
#define FLAMED_PY_CODE_MASK    ((1ULL << 47) - 1) /* user addresses are at most this */
#define FLAMED_PY_WORD_CODE(w) (((w) & ((1ULL << 43) - 1)) << 4)
#define FLAMED_PY_INSTR_SHIFT  43
#define FLAMED_PY_INSTR_MAX    0x3fffULL
#define FLAMED_PY_TAG_SHIFT    57
#define FLAMED_PY_TAG_MASK     63ULL
#define FLAMED_PY_ENTRY	       (1ULL << 63)
#define FLAMED_PY_MAX_THREADS  256    /* thread states searched for the sampled thread */
#define FLAMED_PY_FRAME_READ   128    /* most bytes of a frame read (one read per frame) */
#define FLAMED_PY_NONE	       0xffff /* offset absent in this version */

#define FLAMED_PY_INSTR_LASTI  0 /* frame_instr: int f_lasti (3.8-3.10) */
#define FLAMED_PY_INSTR_PTR    1 /* frame_instr: pointer into co_code_adaptive (3.11+) */

/* Value of the "py_procs" map, per tgid: where the interpreter is and the version's offsets
 * (src/python/py_offsets.c), all that the walker needs, so it knows no version. */
struct flamed_py_proc {
	__u64 aspace;		  /* the image this describes; a mismatch means stale */
	__u64 interp_head;	  /* address of _PyRuntime.interpreters.head */
	__u16 interp_tstate_head; /* PyInterpreterState -> first PyThreadState */
	__u16 tstate_next;
	__u16 tstate_thread_id; /* pthread_self(): the thread's fs base */
	__u16 tstate_frame;	/* -> frame (<=3.10), cframe (3.11-3.12), current_frame (3.13) */
	__u16 cframe_frame;	/* _PyCFrame -> current_frame, or FLAMED_PY_NONE */
	__u16 frame_back;	/* f_back / previous */
	__u16 frame_code;	/* f_code / f_executable */
	__u16 frame_instr;	/* f_lasti / prev_instr / instr_ptr */
	__u16 frame_owner;	/* owner byte (3.12+ shim frames), or FLAMED_PY_NONE */
	__u16 frame_is_entry;	/* is_entry byte (3.11), or FLAMED_PY_NONE */
	__u16 code_adaptive;	/* PyCodeObject -> co_code_adaptive (3.11+) */
	__u8 instr_kind;	/* FLAMED_PY_INSTR_* */
	__u8 cstack_owner;	/* owner value of a C-stack shim frame (3.12+), 0xff none */
	__u16 frame_size; /* bytes of a frame read at once: past its last field used, <= 128 */
	__u16 code_firstlineno; /* PyCodeObject -> co_firstlineno (int): the frame tag */
	__u16 pad[2];
};

_Static_assert(sizeof(struct flamed_py_proc) == 48, "flamed_py_proc layout");
_Static_assert(sizeof(struct flamed_unwind_row) == 8, "flamed_unwind_row layout");
_Static_assert(sizeof(struct flamed_unwind_page) == 8, "flamed_unwind_page layout");
_Static_assert(sizeof(struct flamed_unwind_mapping) == 32, "flamed_unwind_mapping layout");

_Static_assert(sizeof(struct flamed_count_key) == 48, "flamed_count_key layout changed");
_Static_assert(sizeof(struct flamed_stack) == 8 + 8 * FLAMED_MAX_FRAMES, "flamed_stack layout");
_Static_assert(sizeof(struct flamed_count_slot) == 64, "flamed_count_slot: one cache line");
_Static_assert(sizeof(struct flamed_proc_event) == 40, "flamed_proc_event layout changed");

#endif /* FLAMED_H */
