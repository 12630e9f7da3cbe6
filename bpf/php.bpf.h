/* SPDX-License-Identifier: GPL-2.0 */
/* PHP frames: the FLAMED_RT_PHP runtime, included by runtime.bpf.h. php_frames() is a global
 * function, verified once on its own. It knows no PHP version: src/php/ hands it, per process,
 * the address of executor_globals.current_execute_data and the offsets of the engine's structs.
 *
 * The walk: the engine's frames are a chain of zend_execute_data from current_execute_data
 * through prev_execute_data. Each native frame of execute_ex (the VM loop) runs the frames from
 * the cursor up to the first one a call from C started (ZEND_CALL_TOP on a user function: the
 * main script's, or one zend_call_function pushed, as array_map does for its callback); those
 * go in its place. Code of the OPcache JIT runs in execute_ex's native frame: the walker is sent
 * back to a pc inside execute_ex, whose row unwinds that frame. At the end of the walk the frames
 * left go at the root side. Every read is bpf_probe_read_user() of memory the process controls:
 * a bad value ends the walk (counted), never more than the word buffer holds. */
#ifndef FLAMED_PHP_BPF_H
#define FLAMED_PHP_BPF_H

struct php_vars {
	__u64 ex;     /* frame chain cursor: the next zend_execute_data to record */
	__u32 stop;   /* metric id of the reason the walk ended early; 0 otherwise */
	__u32 frames; /* PHP frames recorded, this walk */
	__u32 began;  /* current_execute_data was read, this walk */
	__u32 one_call;
};

struct php_scratch {
	struct php_vars v;
	__u8 ex[FLAMED_PHP_EX_READ]; /* the zend_execute_data at the cursor, read at once */
};

/* Per-CPU: one sample at a time per CPU (perf_event programs do not nest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct php_scratch);
} php_scratch SEC(".maps");

struct php_ctx {
	const struct flamed_php_proc *p;
	struct php_scratch *s;
	struct rt_out *out;
};

static __always_inline __u64 php_ex_u64(const struct php_scratch *s, __u32 off)
{
	if (off > FLAMED_PHP_EX_READ - 8)
		return 0;
	return *(const __u64 *)&s->ex[off];
}

static __always_inline __u32 php_ex_u32(const struct php_scratch *s, __u32 off)
{
	if (off > FLAMED_PHP_EX_READ - 4)
		return 0;
	return *(const __u32 *)&s->ex[off];
}

/* bpf_loop callback: record the frame at the cursor, then step to its caller; with one_call,
 * stop after the first frame of the current execute_ex call. */
static long php_frame_step(__u32 idx, void *arg)
{
	struct php_ctx *c = arg;
	const struct flamed_php_proc *p = c->p;
	struct php_vars *v = &c->s->v;
	__u64 ex = v->ex, func, opline, line = FLAMED_PHP_LINE_MAX;
	__u32 lineno = 0, info;
	__u8 type = 0;

	if (!ex)
		return 1;
	if (ex > FLAMED_RT_USER_MAX || (ex & 7)) {
		v->stop = FLAMED_METRIC_PHP_BAD_POINTER;
		return 1;
	}
	if (bpf_probe_read_user(c->s->ex, FLAMED_PHP_EX_READ, (void *)ex)) {
		v->stop = FLAMED_METRIC_PHP_READ_FAULT;
		return 1;
	}
	func = php_ex_u64(c->s, p->ex_func);
	opline = php_ex_u64(c->s, p->ex_opline);
	info = php_ex_u32(c->s, p->ex_call_info);
	v->ex = php_ex_u64(c->s, p->ex_prev);
	if (func > FLAMED_RT_USER_MAX || (func & 7)) {
		v->stop = FLAMED_METRIC_PHP_BAD_POINTER;
		return 1;
	}
	/* the line of the opline the frame executes (an internal function's is not its own: the
	 * reader ignores it); a fault leaves the frame without a line, the walk goes on */
	if (opline && opline <= FLAMED_RT_USER_MAX &&
	    !bpf_probe_read_user(&lineno, sizeof(lineno), (void *)(opline + p->op_lineno)))
		line = lineno < FLAMED_PHP_LINE_MAX ? lineno : FLAMED_PHP_LINE_MAX;
	if (!rt_emit(c->out, func >> 3 | line << FLAMED_PHP_LINE_SHIFT)) {
		v->stop = FLAMED_METRIC_PHP_TRUNCATED;
		return 1;
	}
	v->frames++;
	if (!v->one_call || !(info & p->call_top) || !func)
		return 0;
	/* a call from C: the end of an execute_ex call, unless it is an internal function
	 * zend_call_function called directly (array_map('strtoupper', ...)) */
	if (bpf_probe_read_user(&type, sizeof(type), (void *)(func + p->fn_type)))
		return 1;
	return type != p->internal_function;
}

/* Record PHP frames of the process from the cursor on: those of one execute_ex call with
 * one_call, else all that are left. The first call of a walk reads current_execute_data.
 * Returns the frames recorded. A global function: the step and the finish hook share it. */
__noinline int php_frames(struct rt_out *out, int one_call)
{
	struct php_ctx c;
	__u32 zero = 0, before;
	__u64 pid_tgid;

	if (!out)
		return 0;
	c.p = &out->rt.params.php;
	c.out = out;
	c.s = bpf_map_lookup_elem(&php_scratch, &zero);
	if (!c.s)
		return 0;
	if (out->fresh) {
		out->fresh = 0;
		count(FLAMED_METRIC_PHP_WALKS);
		c.s->v.stop = 0;
		c.s->v.frames = 0;
		c.s->v.ex = 0;
		c.s->v.began = 1;
		/* executor_globals of a non-thread-safe build belong to the thread that runs PHP,
		 * the process's main thread; another thread's samples are native only */
		pid_tgid = bpf_get_current_pid_tgid();
		if ((__u32)pid_tgid != (__u32)(pid_tgid >> 32))
			c.s->v.began = 0;
		else if (bpf_probe_read_user(&c.s->v.ex, sizeof(c.s->v.ex),
					     (void *)c.p->current_execute_data))
			c.s->v.stop = FLAMED_METRIC_PHP_READ_FAULT;
	}
	if (!c.s->v.ex || c.s->v.stop)
		return 0;
	before = out->nwords;
	c.s->v.one_call = one_call;
	bpf_loop(FLAMED_RT_MAX_WORDS + 1, php_frame_step, &c, 0);
	return out->nwords - before;
}

/* A native frame handed over: execute_ex's (the PHP frames of its call go in its place) or JIT
 * code's (it runs in execute_ex's frame: go on from a pc inside execute_ex, whose row unwinds
 * it, and whose hand-over records the frames). */
static __always_inline int php_step(struct walk_vars *wv, struct rt_out *out, __u64 lookup_pc)
{
	const struct flamed_php_proc *p = &out->rt.params.php;

	if (p->jit_end && lookup_pc >= p->jit_start && lookup_pc < p->jit_end) {
		if (!p->jit_return)
			return RT_NATIVE;
		wv->pc = p->jit_return;
		return RT_UNWOUND;
	}
	return php_frames(out, 1) ? RT_REPLACED : RT_NATIVE;
}

/* The native walk ended: the PHP frames it did not reach go at the root side; count how the
 * walk ended. */
static __always_inline void php_finish(struct rt_out *out)
{
	__u32 zero = 0;
	struct php_scratch *s;

	php_frames(out, 0);
	s = bpf_map_lookup_elem(&php_scratch, &zero);
	if (!s)
		return;
	add(FLAMED_METRIC_PHP_FRAMES, s->v.frames);
	if (s->v.stop)
		count(s->v.stop);
	else if (!s->v.began)
		count(FLAMED_METRIC_PHP_OTHER_THREAD);
	else if (!s->v.frames)
		count(FLAMED_METRIC_PHP_IDLE);
}

#endif /* FLAMED_PHP_BPF_H */
