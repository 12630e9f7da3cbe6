/* SPDX-License-Identifier: MIT */
/* The BPF <-> userspace ABI: limits, map keys and values, event records, metric ids.
 * No includes: BPF includes it after vmlinux.h, userspace after <linux/types.h>. */
#ifndef FLAMED_H
#define FLAMED_H

#define FLAMED_MAX_FRAMES 127 /* per stack, user and kernel alike (perf's default max is 127) */
#define FLAMED_COMM_LEN	  16  /* TASK_COMM_LEN */

/* Per-CPU counters of the program, index into the "metrics" map, and their names in flamed's -v
 * output and the bench's metrics: one list, so the two cannot drift apart. X(ID, name) stands
 * for FLAMED_METRIC_ID. The BPF object ships inside flamed and every reader (-v, --stats-json,
 * the bench) goes by name, so the list may change; order it as the summary reads it. */
#define FLAMED_METRICS(X)                                                                     \
	/* the program ran on a cpu-clock overflow (with cgroup targets: of a target) */      \
	X(SAMPLES, "samples")                                                                 \
	/* pid 0 (idle task) skipped */                                                       \
	X(IDLE, "idle")                                                                       \
	/* flamed's own process skipped */                                                    \
	X(SELF, "self")                                                                       \
	/* not a target process (-p / --) */                                                  \
	X(FILTERED, "filtered")                                                               \
	/* added to the counts (a count slot, or the map) */                                  \
	X(COUNTED, "counted")                                                                 \
	/* counts map full: sample DROPPED */                                                 \
	X(COUNT_MAP_FULL, "count_map_full")                                                   \
	/* stacks map full: sample kept without that stack */                                 \
	X(STACK_MAP_FULL, "stack_map_full")                                                   \
	/* bpf_get_stack(kernel) < 0 */                                                       \
	X(KSTACK_ERR, "kernel_stack_error")                                                   \
	/* no user registers to start the walk from */                                        \
	X(USTACK_ERR, "user_stack_error")                                                     \
	/* kernel stack hit FLAMED_MAX_FRAMES */                                              \
	X(KSTACK_TRUNCATED, "kernel_stack_truncated")                                         \
	/* user stack hit FLAMED_MAX_FRAMES */                                                \
	X(USTACK_TRUNCATED, "user_stack_truncated")                                           \
	/* "events" ring buffer full: a new process not announced */                          \
	X(PROC_EVENT_LOST, "proc_event_lost")                                                 \
	/* children of target processes added to the targets map */                           \
	X(TARGET_FORKS, "target_forks")                                                       \
	/* targets map full: a child of a target is not followed */                           \
	X(TARGETS_FULL, "targets_full")                                                       \
	/* -- user stack walks (tables, frame pointers where none): one "stop" per walk -- */ \
	/* user stacks walked */                                                              \
	X(UNWIND_WALKS, "unwind_walks")                                                       \
	/* no tables for the process (yet): frame pointers */                                 \
	X(UNWIND_NO_PROC, "unwind_no_tables_for_process")                                     \
	/* reached the outermost frame: complete stack */                                     \
	X(UNWIND_STOP_END, "unwind_stop_end")                                                 \
	/* pc outside every mapping with a table, FP failed */                                \
	X(UNWIND_STOP_NO_MAPPING, "unwind_stop_no_mapping")                                   \
	/* pc in a table gap, FP failed */                                                    \
	X(UNWIND_STOP_NO_ROW, "unwind_stop_no_row")                                           \
	/* reading the user stack faulted */                                                  \
	X(UNWIND_STOP_READ_FAULT, "unwind_stop_read_fault")                                   \
	/* FLAMED_MAX_FRAMES reached: truncated */                                            \
	X(UNWIND_STOP_DEPTH, "unwind_stop_depth")                                             \
	/* CFA rule the walker does not handle */                                             \
	X(UNWIND_STOP_UNSUPPORTED, "unwind_stop_unsupported")                                 \
	/* frame-pointer chain ended (rbp 0 or return 0) */                                   \
	X(UNWIND_STOP_FP_END, "unwind_stop_fp_end")                                           \
	/* frames unwound with a table row */                                                 \
	X(UNWIND_FRAMES_DWARF, "unwind_frames_dwarf")                                         \
	/* frames unwound with the frame-pointer fallback */                                  \
	X(UNWIND_FRAMES_FP, "unwind_frames_fp")                                               \
	/* re-reads of a process's maps requested */                                          \
	X(UNWIND_REMAPS, "unwind_remaps")                                                     \
	/* -- CPython walks (bpf/python.bpf.h): one outcome per walk -- */                    \
	/* samples of a registered CPython process walked */                                  \
	X(PY_WALKS, "python_walks")                                                           \
	/* Python frames recorded */                                                          \
	X(PY_FRAMES, "python_frames")                                                         \
	/* no PyThreadState (native, not yet set up or exiting thread): native frames only */ \
	X(PY_NO_THREAD, "python_no_thread_state")                                             \
	/* the thread has a thread state but no Python frame */                               \
	X(PY_IDLE, "python_no_frame")                                                         \
	/* reading interpreter memory faulted (paged out, torn) */                            \
	X(PY_READ_FAULT, "python_read_fault")                                                 \
	/* a code object pointer outside user space: walk cut */                              \
	X(PY_BAD_POINTER, "python_bad_pointer")                                               \
	/* FLAMED_MAX_FRAMES Python frames: the outermost cut */                              \
	X(PY_TRUNCATED, "python_truncated")                                                   \
	/* a runtime registration of an older image (exec): runtime frames not walked */      \
	X(RT_STALE, "runtime_stale")                                                          \
	/* met a mapping whose table is being built (or was evicted): frame pointers there */ \
	X(UNWIND_TABLE_PENDING, "unwind_table_pending")                                       \
	/* frames whose row came from the walker's row cache */                               \
	X(UNWIND_ROW_CACHE_HITS, "unwind_row_cache_hits")                                     \
	/* -- ns per phase summed over samples; FLAMED_BPF_PHASES=1 (bench) only -- */        \
	/* filters, address-space cookie, comm */                                             \
	X(NS_HEAD, "ns_head")                                                                 \
	/* kernel stack: bpf_get_stack, hash, store */                                        \
	X(NS_KSTACK, "ns_kernel_stack")                                                       \
	/* user stack walk (tables or frame pointers) */                                      \
	X(NS_UWALK, "ns_user_walk")                                                           \
	/* runtime frames the native walk did not reach, and storing them */                  \
	X(NS_RT, "ns_runtime")                                                                \
	/* user stack hash and store */                                                       \
	X(NS_USTORE, "ns_user_store")                                                         \
	/* the counts map */                                                                  \
	X(NS_COUNT, "ns_count")                                                               \
	/* the known-process check (and its event) */                                         \
	X(NS_ANNOUNCE, "ns_announce")                                                         \
	/* stacks this CPU stored earlier in the generation: no stacks-map lookup */          \
	X(STACK_SEEN_HITS, "stack_seen_hits")                                                 \
	/* samples added up in a per-CPU count slot: no counts-map lookup */                  \
	X(COUNT_SLOT_HITS, "count_slot_hits")                                                 \
	/* Python frames whose code's first line this CPU read earlier in the generation */   \
	X(PY_CODE_HITS, "python_code_hits")                                                   \
	/* -- PHP walks (bpf/php.bpf.h): one outcome per walk -- */                           \
	/* samples of a registered PHP process walked */                                      \
	X(PHP_WALKS, "php_walks")                                                             \
	/* PHP frames recorded */                                                             \
	X(PHP_FRAMES, "php_frames")                                                           \
	/* not executing PHP (no current_execute_data) */                                     \
	X(PHP_IDLE, "php_no_frame")                                                           \
	/* a thread other than the one running PHP (non-thread-safe builds): native only */   \
	X(PHP_OTHER_THREAD, "php_other_thread")                                               \
	/* reading the engine's memory faulted */                                             \
	X(PHP_READ_FAULT, "php_read_fault")                                                   \
	/* a frame or function pointer outside user space or misaligned: walk cut */          \
	X(PHP_BAD_POINTER, "php_bad_pointer")                                                 \
	/* more PHP frames than the runtime word buffer holds: the outermost cut */           \
	X(PHP_TRUNCATED, "php_truncated")                                                     \
	/* -- off-CPU (bpf/offcpu.bpf.h): threads' time off the CPU, sampled -- */            \
	/* a wait ended (its thread back on a CPU): seen */                                   \
	X(OFFCPU_WAITS, "offcpu_waits")                                                       \
	/* nanoseconds of the waits seen */                                                   \
	X(OFFCPU_NS_SEEN, "offcpu_ns_seen")                                                   \
	/* waits kept: their stacks walked */                                                 \
	X(OFFCPU_KEPT, "offcpu_kept")                                                         \
	/* ns the kept waits stand for (weights): estimates ns_seen */                        \
	X(OFFCPU_NS_KEPT, "offcpu_ns_kept")                                                   \
	/* kept wait without its kernel (or a user thread's user) stack */                    \
	X(OFFCPU_STACK_FAILED, "offcpu_stack_failed")                                         \
	/* a thread's time not stored (task storage full): wait unseen */                     \
	X(OFFCPU_STORAGE_FULL, "offcpu_storage_full")                                         \
	/* off-CPU map full: a kept wait LOST */                                              \
	X(OFFCPU_MAP_FULL, "offcpu_map_full")                                                 \
	/* the nanoseconds those lost waits stood for */                                      \
	X(OFFCPU_NS_LOST, "offcpu_ns_lost")                                                   \
	/* CPU samples that interrupted an off-CPU walk: not taken */                         \
	X(OFFCPU_CPU_SAMPLES_LOST, "offcpu_cpu_samples_lost")                                 \
	/* not in a target cgroup (--cgroup, --k8s-namespace, --k8s-selector) */              \
	X(CGROUP_FILTERED, "cgroup_filtered")                                                 \
	/* -- HotSpot frames (bpf/hotspot.bpf.h) -- */                                        \
	/* Java frames recorded (interpreted, compiled, stubs) */                             \
	X(HS_FRAMES, "hotspot_frames")                                                        \
	/* a pc in the code cache that no code blob holds (freed, or being written) */        \
	X(HS_NO_BLOB, "hotspot_no_blob")                                                      \
	/* reading the JVM's memory faulted: walk cut */                                      \
	X(HS_READ_FAULT, "hotspot_read_fault")                                                \
	/* a frame that is not what its code says (bad fp, frame size, return address) */     \
	X(HS_BAD_FRAME, "hotspot_bad_frame")                                                  \
	/* more Java frames than the runtime word buffer holds: the outermost cut */          \
	X(HS_TRUNCATED, "hotspot_truncated")                                                  \
	/* frames of deoptimized code, named by their original pc */                          \
	X(HS_DEOPT, "hotspot_deoptimized_frames")                                             \
	/* -- CRuby walks (bpf/ruby.bpf.h): one outcome per walk -- */                        \
	/* samples of a registered Ruby process walked */                                     \
	X(RB_WALKS, "ruby_walks")                                                             \
	/* Ruby frames recorded (methods, blocks, C functions) */                             \
	X(RB_FRAMES, "ruby_frames")                                                           \
	/* a thread not in the main ractor's list (native, or another ractor's) */            \
	X(RB_NO_THREAD, "ruby_no_thread")                                                     \
	/* the thread has no Ruby frame (not started, or ending) */                           \
	X(RB_IDLE, "ruby_no_frame")                                                           \
	/* reading the interpreter's memory faulted */                                        \
	X(RB_READ_FAULT, "ruby_read_fault")                                                   \
	/* a thread, frame or stack pointer outside user space or misaligned: walk cut */     \
	X(RB_BAD_POINTER, "ruby_bad_pointer")                                                 \
	/* more Ruby frames than the runtime word buffer holds: the outermost cut */          \
	X(RB_TRUNCATED, "ruby_truncated")                                                     \
	/* native frames of YJIT code stepped over to the interpreter that called them */     \
	X(RB_JIT_FRAMES, "ruby_jit_frames")                                                   \
	/* code in YJIT's ranges without a return into the interpreter: walked as native */   \
	X(RB_JIT_LOST, "ruby_jit_no_return")                                                  \
	/* -- V8 frames (bpf/v8.bpf.h) -- */                                                  \
	/* samples of a registered V8 process that met one of its frames */                   \
	X(V8_WALKS, "v8_walks")                                                               \
	/* JavaScript frames recorded (interpreted, baseline, optimized) */                   \
	X(V8_FRAMES, "v8_frames")                                                             \
	/* V8 frames left native: entry, exit, stub frames, builtin functions */              \
	X(V8_NATIVE, "v8_native_frames")                                                      \
	/* a JS frame whose pc is not in its function's current code (OSR, deoptimized) */    \
	X(V8_CODE_UNKNOWN, "v8_code_unknown")                                                 \
	/* a frame pointer or function slot that is no V8 frame's: left native */             \
	X(V8_BAD_FRAME, "v8_bad_frame")                                                       \
	/* reading a frame or an object of V8's heap faulted: frame left native */            \
	X(V8_READ_FAULT, "v8_read_fault")                                                     \
	/* more JS frames than the runtime word buffer holds: the outermost cut */            \
	X(V8_TRUNCATED, "v8_truncated")

#define FLAMED_METRIC_ENUM_(id, name) FLAMED_METRIC_##id,
enum flamed_metric {
	FLAMED_METRICS(FLAMED_METRIC_ENUM_) FLAMED_METRIC__MAX,
};
#undef FLAMED_METRIC_ENUM_

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

/* Largest off-CPU sampling threshold (bpf/flamed_offcpu.h): its product with a 32-bit random
 * number must fit 64 bits. */
#define FLAMED_OFFCPU_MAX_THRESHOLD_NS 0xffffffffULL

/* Value of the off-CPU program's "offcpu_cpu" map, per CPU (bpf/offcpu.bpf.h): what a switch
 * needs in one cache line. The counts of waits seen are kept here rather than in "metrics" (two
 * more lines a switch); userspace adds them to FLAMED_METRIC_OFFCPU_WAITS and _NS_SEEN. */
struct flamed_offcpu_cpu {
	__u64 rng;     /* xorshift64* state; 0: not seeded yet */
	__u64 waits;   /* waits seen */
	__u64 ns_seen; /* their nanoseconds */
	__u32 tid;     /* a wait kept at this CPU's last switch, for on_switch_in; 0: none */
	__u32 pad;
	__u64 weight; /* ns the kept wait stands for */
	__u64 pad2[3];
};

/* Value of the "stacks" maps: the frames, deduplicated by hash. */
struct flamed_stack {
	__u32 nr;    /* frames used in ips[] */
	__u32 flags; /* FLAMED_STACK_* */
	__u64 ips[FLAMED_MAX_FRAMES];
};

#define FLAMED_STACK_KERNEL    (1u << 0)
#define FLAMED_STACK_TRUNCATED (1u << 1)
#define FLAMED_STACK_RUNTIME   (1u << 2) /* user stack with runtime frames (FLAMED_RT_MARK) */
#define FLAMED_STACK_RT_FRAMES (1u << 3) /* a runtime's frame words, not addresses */
#define FLAMED_STACK_RT_MORE   (1u << 4) /* runtime words: the last ip links their continuation */

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

/* Cgroup targets (--cgroup, --k8s-namespace, --k8s-selector): the "target_cgroups" map holds the
 * cgroup v2 ids of the chosen cgroups (a pod's, or a path's); a sample is kept when the task's
 * ancestor at one of the levels in the cgroup_levels bit mask is one of them. */
#define FLAMED_MAX_TARGET_CGROUPS 4096 /* pods on a node (hundreds) plus --cgroup paths */
#define FLAMED_CGROUP_VERDICTS	  4096 /* tasks whose verdict is kept (a power of two) */

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

/* --- Language runtimes: src/runtime/ registers a process's runtime, bpf/runtime.bpf.h walks --- */

/* The runtimes the walker knows; one per process. */
enum flamed_runtime {
	FLAMED_RT_NONE = 0,
	FLAMED_RT_PYTHON = 1,  /* CPython 3.8-3.13 (bpf/python.bpf.h) */
	FLAMED_RT_HOTSPOT = 2, /* the HotSpot JVM (bpf/hotspot.bpf.h) */
	FLAMED_RT_RUBY = 3,    /* CRuby (bpf/ruby.bpf.h) */
	FLAMED_RT_PHP = 4,     /* PHP's Zend engine (bpf/php.bpf.h) */
	FLAMED_RT_V8 = 5,      /* V8: Node.js and other embedders (bpf/v8.bpf.h) */
	FLAMED_RT_KINDS,
};

/* Where runtime frames go in a user stack. The native walker hands a frame over to the
 * process's runtime when its pc is in one of the runtime's code ranges (an interpreter loop, a
 * JIT code cache); the runtime records its frames as words of its own format into a separate
 * buffer, and the native stack gets one marker word in their place: FLAMED_RT_MARK | the
 * runtime's 32-bit stamp of the sample << 16 | the number of words recorded (adjacent runs
 * share one marker; the stamp is the runtime's to set, once a sample: HotSpot's GC count). Words recorded when the native walk has
 * ended (an interpreter's frames it did not reach) get a last marker at the root side. A stack
 * with markers is flagged FLAMED_STACK_RUNTIME and ends in one extra word, the hash, in the
 * same stacks map, of its runtime words: a stack flagged FLAMED_STACK_RT_FRAMES, chained by
 * FLAMED_STACK_RT_MORE (last word: the next part's hash) when longer than one stack holds. So
 * runtime frames take no room from native ones, and deduplicate on their own. Markers cannot be
 * user addresses (below 2^57 even with 5-level paging). */
#define FLAMED_RT_MARK		0xfe00000000000000ULL
#define FLAMED_RT_MARK_MASK	0xff00000000000000ULL
#define FLAMED_RT_IS_MARK(w)	(((w)&FLAMED_RT_MARK_MASK) == FLAMED_RT_MARK)
#define FLAMED_RT_MARK_WORDS(w) ((__u32)((w)&0xffff))
#define FLAMED_RT_MARK_STAMP(w) ((__u32)((w) >> 16))
#define FLAMED_RT_PART_WORDS	(FLAMED_MAX_FRAMES - 1) /* words of one part: room for the link */
#define FLAMED_RT_PARTS		3
#define FLAMED_RT_MAX_WORDS	(FLAMED_RT_PARTS * FLAMED_RT_PART_WORDS)
#define FLAMED_RT_MAX_RANGES	4   /* code ranges per process that hand over to its runtime */
#define FLAMED_RT_PARAMS_BYTES	128 /* room for a runtime's parameters */

struct flamed_rt_range {
	__u64 start; /* [start, end) in the process's address space */
	__u64 end;
};

/* CPython (FLAMED_RT_PYTHON): one word per Python frame, leaf first:
 *   bits  0-42  the code object's address >> 4 (user space is below 2^47; code objects are
 *               16-byte aligned, as CPython's allocators align every object)
 *   bits 43-56  the instruction offset, in the units of the version's line table, saturated
 *   bits 57-62  co_firstlineno & 63: a freed code object's address is soon another's, and
 *               userspace reads the object up to a second later; a tag that differs is caught
 *   bit  63     0
 * The code ranges are _PyEval_EvalFrameDefault and its .cold part: each of its native frames
 * is replaced by the Python frames it runs (up to and including the outermost). */
#define FLAMED_PY_CODE_MASK    ((1ULL << 47) - 1) /* user addresses are at most this */
#define FLAMED_PY_WORD_CODE(w) (((w) & ((1ULL << 43) - 1)) << 4)
#define FLAMED_PY_INSTR_SHIFT  43
#define FLAMED_PY_INSTR_MAX    0x3fffULL
#define FLAMED_PY_TAG_SHIFT    57
#define FLAMED_PY_TAG_MASK     63ULL
#define FLAMED_PY_MAX_THREADS  256    /* thread states searched for the sampled thread */
#define FLAMED_PY_FRAME_READ   128    /* most bytes of a frame read (one read per frame) */
#define FLAMED_PY_NONE	       0xffff /* offset absent in this version */

#define FLAMED_PY_INSTR_LASTI  0 /* frame_instr: int f_lasti (3.8-3.10) */
#define FLAMED_PY_INSTR_PTR    1 /* frame_instr: pointer into co_code_adaptive (3.11+) */

/* CPython's parameters: where the interpreter is and the version's offsets (src/python/
 * py_offsets.c), all that the walker needs, so it knows no version. */
struct flamed_py_proc {
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
	__u16 pad[6];
};

#define FLAMED_RT_USER_MAX ((1ULL << 47) - 1) /* user addresses are at most this */

/* PHP (FLAMED_RT_PHP): one word per PHP frame, leaf first:
 *   bits  0-43  the zend_function's address >> 3 (functions are 8-byte aligned)
 *   bits 44-63  the line of the opline the frame executes, saturated (FLAMED_PHP_LINE_MAX:
 *               unknown); an internal function's frame carries its caller's, ignored
 * The code ranges are execute_ex (each native frame of it runs the PHP frames up to the first
 * a call from C started) and the OPcache JIT buffer (code that runs in execute_ex's frame). */
#define FLAMED_PHP_WORD_FUNC(w) (((w) & ((1ULL << 44) - 1)) << 3)
#define FLAMED_PHP_LINE_SHIFT	44
#define FLAMED_PHP_LINE_MAX	0xfffffULL
#define FLAMED_PHP_EX_READ	64 /* bytes of a zend_execute_data read at once */

/* PHP's parameters (src/php/php_offsets.c): where the engine's globals are and the offsets of
 * its structs, all that the walker needs, so it knows no version. */
struct flamed_php_proc {
	__u64 current_execute_data; /* address of executor_globals.current_execute_data */
	__u64 jit_start;	    /* the OPcache JIT buffer: [start, end), 0 when none */
	__u64 jit_end;
	__u64 jit_return;	/* a pc inside execute_ex's body: JIT code runs in its frame */
	__u32 call_top;		/* ZEND_CALL_TOP in the call info */
	__u16 ex_opline;	/* zend_execute_data -> opline */
	__u16 ex_func;		/* ... -> func */
	__u16 ex_call_info;	/* ... -> This.u1.type_info (call info in its top bits) */
	__u16 ex_prev;		/* ... -> prev_execute_data */
	__u16 op_lineno;	/* zend_op -> lineno */
	__u16 fn_type;		/* zend_function -> type (a byte) */
	__u8 internal_function; /* ZEND_INTERNAL_FUNCTION */
	__u8 pad[15];
};

/* HotSpot (FLAMED_RT_HOTSPOT): two words per Java frame, leaf first:
 *   word 0  bits 60-63 the kind (FLAMED_HS_*), bits 0-47 the Method* (interpreted) or the
 *           CodeBlob* (compiled, stub); interpreted: bits 48-59 a tag of the method
 *           (FLAMED_HS_TAG of its ConstMethod's fields that never change: its code's size, name
 *           and signature indices, stack and locals sizes; not its bytecodes, which the
 *           interpreter rewrites as they first run): an unloaded class's methods can be
 *           followed by another class's at the same Method* and ConstMethod* addresses
 *   word 1  interpreted: bits 48-63 the bci (FLAMED_HS_NO_BCI: unknown), bits 0-47 the
 *           method's ConstMethod* (what userspace checks the Method* still has: a class
 *           unloaded since the sample leaves its Method's memory to another)
 *           compiled: bits 32-63 the pc's offset from the code's start, bits 0-31 the
 *           nmethod's compile id (unique in a JVM's life: code freed and its memory reused
 *           by other code has another)
 *           stub: bits 32-63 the pc's offset, bits 0-31 the first 4 bytes of the blob's name
 * The code range is the code cache, which holds the interpreter too: the walker unwinds each
 * Java frame itself (interpreted ones by their frame pointer, compiled ones and stubs by their
 * blob's frame size) and hands the first frame out of it back to the native walker. */
#define FLAMED_HS_INTERPRETED 1
#define FLAMED_HS_COMPILED    2
#define FLAMED_HS_STUB	      3
#define FLAMED_HS_KIND_SHIFT  60
#define FLAMED_HS_PTR_MASK    ((1ULL << 48) - 1)
#define FLAMED_HS_TAG_SHIFT   48
#define FLAMED_HS_TAG_MASK    0xfffULL
#define FLAMED_HS_CODE_READ   16 /* bytes of a ConstMethod read from _code_size on: the tag */
/* The tag of a method whose ConstMethod holds the 16 bytes w0, w1 (little-endian) from its
 * _code_size on; mask (flamed_hs_proc.ident_mask): bit j keeps bytes 2j and 2j + 1 (its
 * unchanging u2 fields). As the walker and userspace both compute it. */
#define FLAMED_HS_MASK4(b)                                                    \
	((__u64)((b)&1) * 0xffffULL | (__u64)((b) >> 1 & 1) * 0xffff0000ULL | \
	 (__u64)((b) >> 2 & 1) * 0xffff00000000ULL |                          \
	 (__u64)((b) >> 3 & 1) * 0xffff000000000000ULL)
#define FLAMED_HS_TAG(w0, w1, mask)                                      \
	(((((__u64)(w0)&FLAMED_HS_MASK4(mask)) * 0x9e3779b97f4a7c15ULL ^ \
	   ((__u64)(w1)&FLAMED_HS_MASK4((mask) >> 4))) *                 \
	  0xbf58476d1ce4e5b9ULL) >>                                      \
	 52)
#define FLAMED_HS_NO_BCI       0xffffULL
#define FLAMED_HS_MAX_HEAPS    3   /* code heaps: non-nmethods, profiled and non-profiled */
#define FLAMED_HS_BLOB_READ    512 /* most bytes of a CodeBlob read at once */
#define FLAMED_HS_SEGMAP_STEPS 16  /* hops back through a code heap's segment map */

#define FLAMED_HS_CODE_OFFSET  1 /* flags: blob_code_begin is an int offset from the blob */
#define FLAMED_HS_DEOPT_OFFSET 2 /* flags: nm_deopt_handler is an int offset from the blob */
#define FLAMED_HS_COMPLETE_S16 4 /* flags: blob_frame_complete is an int16, not an int */

/* One code heap: [lo, hi) and its segment map (a byte per segment: 0 starts a block, 0xff is
 * free, n: the block starts n segments back). */
struct flamed_hs_heap {
	__u64 lo;
	__u64 hi;
	__u64 segmap;
};

/* HotSpot's parameters, all from the JVM's own gHotSpotVM* tables (src/hotspot/). */
struct flamed_hs_proc {
	struct flamed_hs_heap heap[FLAMED_HS_MAX_HEAPS];
	__u64 interp_lo; /* the template interpreter's code: [lo, hi) */
	__u64 interp_hi;
	__u64 gc_count;	 /* &CollectedHeap::_total_collections (unsigned int): the sample's stamp */
	__u16 blob_read; /* bytes of a CodeBlob read: past every field used, <= 512 */
	__u16 blob_name; /* CodeBlob::_name (const char *) */
	__u16 blob_frame_size;	   /* CodeBlob::_frame_size (int, words) */
	__u16 blob_frame_complete; /* CodeBlob::_frame_complete_offset (from the code's start) */
	__u16 blob_code_begin;	/* CodeBlob::_code_begin, or _code_offset (FLAMED_HS_CODE_OFFSET) */
	__u16 nm_compile_id;	/* nmethod::_compile_id (int) */
	__u16 nm_orig_pc;	/* nmethod::_orig_pc_offset (int: bytes from the frame's sp) */
	__u16 nm_deopt_handler; /* the deoptimization handler: address, or offset (flags) */
	__u16 method_const;	/* Method::_constMethod */
	__u16 const_size;	/* sizeof(ConstMethod): the bytecodes follow it */
	__u16 const_code_size;	/* ConstMethod::_code_size (u2), < const_size: the tag's
				 * FLAMED_HS_CODE_READ bytes are read from here */
	__u8 heapblock_size;	/* sizeof(HeapBlock): a blob follows its block's header */
	__u8 segment_shift;	/* CodeHeap::_log2_segment_size */
	__s8 interp_method;	/* interpreter frame, words from fp: the Method* */
	__s8 interp_bcp;	/* ... the bytecode pointer (saved at calls) */
	__s8 interp_sender_sp;	/* ... the caller's sp */
	__u8 nr_heaps;
	__u8 flags;	 /* FLAMED_HS_* */
	__u8 ident_mask; /* FLAMED_HS_TAG's mask: the fields of a method's tag */
	__u8 pad[2];
};

/* CRuby (FLAMED_RT_RUBY): two words per frame record, leaf first:
 *   word 0, bits  0-43  the iseq's address >> 3 (a Ruby frame: method, block, class body, file),
 *                       or the method entry's (a C function's frame, bit 63 set); objects are
 *                       8-byte aligned
 *   word 1, bits  0-43  a Ruby frame's method entry candidate >> 3: the first non-zero ep[-2] of
 *                       its environment and those it is nested in, up to the method's (a method
 *                       entry, an svar holding one, or a cref: userspace tells them apart); 0
 *           bits 44-63  a Ruby frame's pc >> 3, its low 20 bits: the instruction is the one whose
 *                       index from the iseq's iseq_encoded agrees in them (an iseq has fewer than
 *                       2^20 instruction words)
 * Code ranges: ranges[0] is vm_exec_core, the interpreter loop (its frames are left out: the Ruby
 * frames stand for them), ranges[1] rb_vm_exec (each native frame of it runs one exec call: the
 * control frames from the cursor to the first marked VM_FRAME_FLAG_FINISH, which go in its
 * place); the others are YJIT's code (anonymous executable mappings), whose frames keep neither
 * rbp nor unwind rows: their step finds the return address into the interpreter's code on the
 * stack. */
#define FLAMED_RB_WORD_ADDR(w) (((w) & ((1ULL << 44) - 1)) << 3)
#define FLAMED_RB_CFUNC	       (1ULL << 63)
#define FLAMED_RB_PC_SHIFT     44
#define FLAMED_RB_PC_BITS      20

/* CRuby's parameters (src/ruby/): where the VM is and the offsets of the structs the walker
 * reads, all it needs, so it knows no version. */
struct flamed_rb_proc {
	__u64 vm_ptr;	  /* address of ruby_current_vm_ptr, which holds the rb_vm_t * */
	__u64 text_start; /* the interpreter's code (libruby's executable mapping): [start, end), */
	__u64 text_end;	  /* where YJIT code returns to */
	__u64 exec_start; /* rb_vm_exec: [start, end), ranges[1] */
	__u64 exec_end;
	__u32 frame_cframe; /* VM_FRAME_FLAG_CFRAME: a frame without an iseq (C function, dummy) */
	__u32 frame_finish; /* VM_FRAME_FLAG_FINISH: the outermost frame of an exec call */
	__u32 env_local;    /* VM_ENV_FLAG_LOCAL: a method's (or file's) own environment */
	__u32 magic_mask;   /* VM_FRAME_MAGIC_MASK */
	__u32 magic_cfunc;  /* VM_FRAME_MAGIC_CFUNC */
	__u16 vm_main_ractor;	/* rb_vm_t -> ractor.main_ractor */
	__u16 ractor_threads;	/* rb_ractor_t -> threads.set (list head) */
	__u16 th_node;		/* rb_thread_t -> lt_node (its list node) */
	__u16 th_ec;		/* ... -> ec (follows the fiber running) */
	__u16 th_thread_id;	/* ... -> thread_id (pthread_self(): the fs base) */
	__u16 ec_vm_stack;	/* rb_execution_context_t -> vm_stack */
	__u16 ec_vm_stack_size; /* ... -> vm_stack_size (VALUEs): control frames end there */
	__u16 ec_cfp;		/* ... -> cfp (the current control frame) */
	__u16 cfp_size;		/* sizeof(rb_control_frame_t) */
	__u16 cfp_pc;
	__u16 cfp_iseq;
	__u16 cfp_ep;
	__u8 pad[4];
};

/* V8 (FLAMED_RT_V8): two words per JavaScript frame, leaf first. A and B are tagged heap pointers
 * stored >> 3 (objects are 8-byte aligned, user space is below 2^47), bits 0-43 of each word:
 *   word 0  bits 60-63 the frame's type (FLAMED_V8_*), 56-59 the code's CodeKind (JIT), bit 55
 *           set when the offset is a return address's, 44-54 a tag, 0-43 A
 *   word 1  bits 44-63 the offset (bytecode or pc, saturated), 0-43 B
 *   INTERPRETED  A the SharedFunctionInfo, B the frame's BytecodeArray, the bytecode offset
 *   JIT          A the Code (baseline, Maglev, TurboFan), B the function's SharedFunctionInfo,
 *                the pc's offset from the code's start; tag: bits 6-16 of that start
 *   OTHER        A the SharedFunctionInfo of a JS frame whose pc is in none of its function's
 *                code V8 points to (on-stack replacement, code deoptimized since); tag: a hash of
 *                the function's immutable fields; word 1 is the pc itself (userspace finds the
 *                code that holds it)
 * A pair of objects that must still point at each other (a function's bytecode, a code's
 * function), or a tag, lets userspace tell an object the garbage collector moved away, and
 * another moved in, from the one sampled. The code ranges: the embedded builtins (the
 * interpreter runs there) first, nr_builtin_ranges of them, then V8's code space. */
#define FLAMED_V8_INTERPRETED	 1
#define FLAMED_V8_JIT		 2
#define FLAMED_V8_OTHER		 3
#define FLAMED_V8_TYPE_SHIFT	 60
#define FLAMED_V8_KIND_SHIFT	 56
#define FLAMED_V8_RETURN_ADDRESS (1ULL << 55)
#define FLAMED_V8_TAG_SHIFT	 44
#define FLAMED_V8_TAG_MASK	 0x7ffULL
#define FLAMED_V8_OFFSET_SHIFT	 44
#define FLAMED_V8_OFFSET_MAX	 0xfffffULL
#define FLAMED_V8_PTR_MASK	 ((1ULL << 44) - 1)
#define FLAMED_V8_WORD_PTR(w)	 ((((w)&FLAMED_V8_PTR_MASK) << 3) | 1)
#define FLAMED_V8_WORD_TYPE(w)	 ((__u32)((w) >> FLAMED_V8_TYPE_SHIFT))
#define FLAMED_V8_WORD_KIND(w)	 ((__u32)((w) >> FLAMED_V8_KIND_SHIFT) & 15)
#define FLAMED_V8_WORD_TAG(w)	 ((__u32)((w) >> FLAMED_V8_TAG_SHIFT) & FLAMED_V8_TAG_MASK)
#define FLAMED_V8_WORD_OFFSET(w) ((__u32)((w) >> FLAMED_V8_OFFSET_SHIFT))
#define FLAMED_V8_FRAME_READ	 48 /* bytes below a frame pointer read at once: its fixed slots */
#define FLAMED_V8_OBJECT_READ	 64 /* bytes of a JSFunction or a Code read at once */
/* The tag of an OTHER frame: the SharedFunctionInfo's 7 immutable bytes at sfi_tag
 * (read as one little-endian word), hashed to 11 bits; userspace hashes what it reads alike. */
#define FLAMED_V8_SFI_TAG(word) \
	((__u32)((((word)&0x00ffffffffffffffULL) * 0x9e3779b97f4a7c15ULL) >> 53))

/* V8's parameters: frame slots and object fields from the binary's post-mortem metadata
 * (v8dbg_* symbols, src/v8/), so the walker knows no V8 version. Frame slots are bytes from the
 * frame pointer (negative, within FLAMED_V8_FRAME_READ); object fields bytes from the object's
 * start, within FLAMED_V8_OBJECT_READ of the field read first. */
struct flamed_v8_proc {
	__s8 fp_context;	 /* the context, or a typed frame's marker (Smi-like, tag 0) */
	__s8 fp_function;	 /* the JSFunction of a JavaScript frame */
	__s8 fp_bytecode_array;	 /* interpreted frames: the BytecodeArray */
	__s8 fp_bytecode_offset; /* ... and the bytecode offset (a Smi, from the array's start) */
	__u8 nr_builtin_ranges;	 /* ranges[0..n): embedded builtins; the others: the code space */
	__u8 smi_shift;		 /* a Smi's value is the word >> this (32 without compression) */
	__u8 code_kind_shift;	 /* CodeKind = flags >> shift & mask */
	__u8 code_kind_mask;
	__u8 code_kind_interpreted; /* CodeKind up to this: builtins (an interpreter trampoline) */
	__u8 code_start_inline;	    /* 1: instructions start at the Code plus code_start (old V8) */
	__u16 jsf_shared;	    /* JSFunction -> SharedFunctionInfo */
	__u16 jsf_code;		    /* JSFunction -> Code */
	__u16 sfi_function_data;    /* SharedFunctionInfo -> bytecode, or a builtin's id (Smi) */
	__u16 sfi_tag;		    /* the SharedFunctionInfo's immutable bytes hashed into a tag */
	__u16 code_start;	    /* Code -> instruction start (a pointer) */
	__u16 code_size;	    /* Code -> instruction size (int) */
	__u16 code_flags;	    /* Code -> flags (uint32: the CodeKind) */
	__u16 code_read;	    /* the Code's bytes read at once start here */
	__u16 bytecode_data;	    /* BytecodeArray header size: the offset slot counts from it */
	__u16 pad[6];
};

/* Value of the "rt_procs" map, per tgid: the process's runtime, its code ranges and parameters. */
struct flamed_rt_proc {
	__u64 aspace;	 /* the image this describes; a mismatch means stale */
	__u32 runtime;	 /* enum flamed_runtime */
	__u32 nr_ranges; /* of ranges[] */
	struct flamed_rt_range ranges[FLAMED_RT_MAX_RANGES];
	union {
		struct flamed_py_proc py;
		struct flamed_php_proc php;
		struct flamed_hs_proc hs;
		struct flamed_rb_proc rb;
		struct flamed_v8_proc v8;
		__u8 bytes[FLAMED_RT_PARAMS_BYTES];
	} params;
};

_Static_assert(sizeof(struct flamed_py_proc) == 48, "flamed_py_proc layout");
_Static_assert(sizeof(struct flamed_py_proc) <= FLAMED_RT_PARAMS_BYTES, "flamed_py_proc size");
_Static_assert(sizeof(struct flamed_php_proc) == 64, "flamed_php_proc layout");
_Static_assert(sizeof(struct flamed_php_proc) <= FLAMED_RT_PARAMS_BYTES, "flamed_php_proc size");
_Static_assert(sizeof(struct flamed_hs_proc) == 128, "flamed_hs_proc layout");
_Static_assert(sizeof(struct flamed_hs_proc) <= FLAMED_RT_PARAMS_BYTES, "flamed_hs_proc size");
_Static_assert(sizeof(struct flamed_rb_proc) == 88, "flamed_rb_proc layout");
_Static_assert(sizeof(struct flamed_rb_proc) <= FLAMED_RT_PARAMS_BYTES, "flamed_rb_proc size");
_Static_assert(sizeof(struct flamed_v8_proc) == 40, "flamed_v8_proc layout");
_Static_assert(sizeof(struct flamed_v8_proc) <= FLAMED_RT_PARAMS_BYTES, "flamed_v8_proc size");
_Static_assert(sizeof(struct flamed_rt_proc) ==
		       16 + 16 * FLAMED_RT_MAX_RANGES + FLAMED_RT_PARAMS_BYTES,
	       "flamed_rt_proc layout");
_Static_assert(sizeof(struct flamed_unwind_row) == 8, "flamed_unwind_row layout");
_Static_assert(sizeof(struct flamed_unwind_page) == 8, "flamed_unwind_page layout");
_Static_assert(sizeof(struct flamed_unwind_mapping) == 32, "flamed_unwind_mapping layout");

_Static_assert(sizeof(struct flamed_count_key) == 48, "flamed_count_key layout changed");
_Static_assert(sizeof(struct flamed_stack) == 8 + 8 * FLAMED_MAX_FRAMES, "flamed_stack layout");
_Static_assert(sizeof(struct flamed_count_slot) == 64, "flamed_count_slot: one cache line");
_Static_assert(sizeof(struct flamed_offcpu_cpu) == 64, "flamed_offcpu_cpu: one cache line");
_Static_assert(sizeof(struct flamed_proc_event) == 40, "flamed_proc_event layout changed");
_Static_assert(sizeof(struct flamed_count_slots) == 64 * FLAMED_COUNT_SLOTS,
	       "flamed_count_slots layout");
_Static_assert(sizeof(struct flamed_unwind_block_key) == 8, "flamed_unwind_block_key layout");
_Static_assert(sizeof(struct flamed_unwind_block) == 8 * FLAMED_UNWIND_BLOCK_ELEMS,
	       "flamed_unwind_block layout");
_Static_assert(sizeof(struct flamed_unwind_proc) == 24 + 32 * FLAMED_UNWIND_MAX_MAPPINGS,
	       "flamed_unwind_proc layout");

#endif /* FLAMED_H */
