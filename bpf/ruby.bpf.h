/* SPDX-License-Identifier: GPL-2.0 */
/* CRuby frames: the FLAMED_RT_RUBY runtime, included by runtime.bpf.h. rb_frames() and
 * rb_jit_step() are global functions, verified once on their own. They know no Ruby version:
 * src/ruby/ hands them, per process, the address of ruby_current_vm_ptr and the offsets of the
 * VM's structs.
 *
 * The walk: the sampled thread's rb_thread_t (cached per thread id, found by pthread_self(),
 * which is the thread's fs base, in the main ractor's thread list), its execution context (the
 * fiber it runs) and its control frames, from ec->cfp to the end of the VM stack. Each native
 * frame of rb_vm_exec runs one exec call: the control frames from the cursor to the first one
 * marked VM_FRAME_FLAG_FINISH, run by vm_exec_core (the interpreter loop) or YJIT's code above
 * it; they go in its place: Ruby frames (iseq, pc, method entry) and the frames of C functions
 * Ruby called (method entry), whose native frames follow them. vm_exec_core's own frames are
 * left out (the Ruby frames stand for them). YJIT code keeps no rbp and has no unwind rows: its
 * step goes on from the return address into the interpreter it finds on the stack. At the end
 * of the walk the frames left go at the root side. Every read is
 * bpf_probe_read_user() of memory the process controls: a bad value ends the walk (counted),
 * never more than the word buffer holds. */
#ifndef FLAMED_RUBY_BPF_H
#define FLAMED_RUBY_BPF_H

struct rb_thread {
	__u64 aspace;	/* the image the thread belongs to */
	__u64 th;	/* its rb_thread_t; 0: none (a native thread, another ractor's) */
	__u64 retry_ns; /* with th 0: no new search before this bpf_ktime_get_ns() */
};

/* A thread the list does not hold is searched for again only this often, not per sample. */
#define RB_NO_THREAD_RETRY_NS 200000000ULL
#define RB_MAX_THREADS	      1024 /* threads of the main ractor searched */
#define RB_TH_READ	      128  /* bytes of an rb_thread_t read at once (ec, thread_id) */
#define RB_EC_READ	      32   /* ... of an execution context (vm_stack, size, cfp) */
#define RB_CFP_WIN	      256  /* control frames read at once: adjacent, leaf first */
#define RB_ENV_HOPS	      4	   /* environments a block's frame is nested in, followed */
#define RB_JIT_SCAN	      8	   /* words of a YJIT frame searched for its return address */

/* Per thread id: its rb_thread_t, so the list is searched once per thread, not per sample;
 * checked on every use (thread_id must still be the fs base); or that it has none. LRU: an
 * evicted thread is searched again. 16384 covers the Ruby threads of a busy host. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct rb_thread);
} rb_threads SEC(".maps");

/* Walk state: in map memory (not the BPF stack) so the verifier does not track it per loop
 * iteration, like walk_vars. */
struct rb_vars {
	__u64 fsbase;	/* the sampled thread's pthread_self() */
	__u64 th;	/* thread list cursor (a list node), then the thread's rb_thread_t */
	__u64 head;	/* the thread list's head */
	__u64 cfp;	/* the next control frame to record */
	__u64 end;	/* one past the last control frame */
	__u64 win_base; /* user address of cfps[0]; 0: nothing read */
	__u32 win_len;	/* bytes of cfps[] read */
	__u32 stop;	/* metric id of the reason the walk ended early; 0 otherwise */
	__u32 found;
	__u32 frames;	/* Ruby frames recorded, this walk */
	__u32 one_call; /* 1: record the frames of one exec call only */
};

struct rb_scratch {
	struct rb_vars v;
	__u64 buf[RB_TH_READ / 8]; /* a thread, an execution context, a YJIT frame's words */
	__u64 cfps[RB_CFP_WIN / 8];
	__u64 env[3]; /* ep[-2..0]: method entry or cref, specval (the enclosing ep), flags */
};

/* Per-CPU: one sample at a time per CPU (perf_event programs do not nest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rb_scratch);
} rb_scratch SEC(".maps");

struct rb_ctx {
	const struct flamed_rb_proc *p;
	struct rb_scratch *s;
	struct rt_out *out;
};

static __always_inline bool rb_bad_ptr(__u64 p)
{
	return !p || p > FLAMED_RT_USER_MAX || (p & 7);
}

/* The word at byte off of buf[0, RB_TH_READ); offsets come from userspace, so bounded here. */
static __always_inline __u64 rb_buf_u64(const struct rb_scratch *s, __u32 off)
{
	if (off > RB_TH_READ - 8)
		return 0;
	return s->buf[off / 8];
}

/* Read a pointer-sized word at addr; 0 and a READ_FAULT stop when it faults. */
static __always_inline __u64 rb_read_u64(struct rb_vars *v, __u64 addr)
{
	__u64 val = 0;

	if (bpf_probe_read_user(&val, sizeof(val), (void *)addr)) {
		v->stop = FLAMED_METRIC_RB_READ_FAULT;
		return 0;
	}
	return val;
}

/* bpf_loop callback: is the thread at the list cursor the sampled thread? */
static long rb_thread_step(__u32 idx, void *arg)
{
	struct rb_ctx *c = arg;
	struct rb_vars *v = &c->s->v;
	__u64 node = v->th, th;

	if (node == v->head || rb_bad_ptr(node))
		return 1;
	th = node - c->p->th_node;
	if (rb_read_u64(v, th + c->p->th_thread_id) == v->fsbase && !v->stop) {
		v->th = th;
		v->found = 1;
		return 1;
	}
	v->th = rb_read_u64(v, node); /* list_node.next */
	return v->stop ? 1 : 0;
}

/* Find the sampled thread's rb_thread_t into v->th (0: none). */
static __always_inline void rb_find_thread(struct rb_ctx *c, __u32 tid, __u64 aspace)
{
	const struct flamed_rb_proc *p = c->p;
	struct rb_vars *v = &c->s->v;
	struct rb_thread *t = bpf_map_lookup_elem(&rb_threads, &tid);
	struct rb_thread nt = { .aspace = aspace };
	__u64 vm, ractor;

	if (t && t->aspace == aspace && t->th) {
		v->th = t->th;
		if (rb_read_u64(v, v->th + p->th_thread_id) == v->fsbase && !v->stop)
			return;
		v->stop = 0; /* a stale entry: search again */
	} else if (t && t->aspace == aspace && bpf_ktime_get_ns() < t->retry_ns) {
		v->th = 0; /* searched recently, not found */
		return;
	}
	v->th = 0;
	v->found = 0;
	vm = rb_read_u64(v, p->vm_ptr);
	if (rb_bad_ptr(vm))
		return;
	ractor = rb_read_u64(v, vm + p->vm_main_ractor);
	if (rb_bad_ptr(ractor))
		return;
	v->head = ractor + p->ractor_threads;
	v->th = rb_read_u64(v, v->head); /* the first node */
	bpf_loop(RB_MAX_THREADS, rb_thread_step, c, 0);
	if (!v->found) {
		v->th = 0;
		if (v->stop)
			return; /* a fault is no answer: try again at the next sample */
		nt.retry_ns = bpf_ktime_get_ns() + RB_NO_THREAD_RETRY_NS;
	}
	nt.th = v->th;
	bpf_map_update_elem(&rb_threads, &tid, &nt, BPF_ANY);
}

/* The sample's first look at the VM: the thread, its execution context and its current control
 * frame into c->s->v (cfp 0: none). Once per walk (out->fresh). */
static __always_inline void rb_begin(struct rb_ctx *c, const struct flamed_rt_proc *rt)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	const struct flamed_rb_proc *p = c->p;
	struct rb_vars *v = &c->s->v;
	__u64 ec, stack, size, cfp;

	c->out->fresh = 0;
	count(FLAMED_METRIC_RB_WALKS);
	v->stop = 0;
	v->cfp = 0;
	v->frames = 0;
	v->win_base = 0;
	v->fsbase = task->thread.fsbase;
	rb_find_thread(c, tid, rt->aspace);
	if (!v->th)
		return;
	if (bpf_probe_read_user(c->s->buf, RB_TH_READ, (void *)v->th)) {
		v->stop = FLAMED_METRIC_RB_READ_FAULT;
		return;
	}
	ec = rb_buf_u64(c->s, p->th_ec);
	if (!ec)
		return; /* no Ruby frame yet */
	if (rb_bad_ptr(ec)) {
		v->stop = FLAMED_METRIC_RB_BAD_POINTER;
		return;
	}
	if (bpf_probe_read_user(c->s->buf, RB_EC_READ, (void *)ec)) {
		v->stop = FLAMED_METRIC_RB_READ_FAULT;
		return;
	}
	stack = rb_buf_u64(c->s, p->ec_vm_stack);
	size = rb_buf_u64(c->s, p->ec_vm_stack_size);
	cfp = rb_buf_u64(c->s, p->ec_cfp);
	if (!cfp)
		return;
	if (rb_bad_ptr(stack) || rb_bad_ptr(cfp) || size > (1ULL << 32)) {
		v->stop = FLAMED_METRIC_RB_BAD_POINTER;
		return;
	}
	v->end = stack + size * 8;
	if (cfp < stack || cfp >= v->end || v->end > FLAMED_RT_USER_MAX) {
		v->stop = FLAMED_METRIC_RB_BAD_POINTER;
		return;
	}
	/* the frame at the base of every stack is the VM's own (a dummy frame; the main thread's
	 * holds the top-level iseq TOPLEVEL_BINDING was made in): Ruby's backtraces skip it */
	v->end -= p->cfp_size;
	v->cfp = cfp < v->end ? cfp : 0;
}

/* The word at byte off of the control frame at byte at of the window (bounded here). */
static __always_inline __u64 rb_cfp_u64(const struct rb_scratch *s, __u32 at, __u32 off)
{
	__u32 i = (at + off) / 8;

	barrier_var(i); /* bound the index itself, not a value the compiler derives from it */
	if (i >= RB_CFP_WIN / 8)
		return 0;
	return s->cfps[i];
}

/* ep[-2..0] of the environment at ep into s->env; false (and a stop) when it cannot be read. */
static __always_inline bool rb_read_env(struct rb_scratch *s, __u64 ep)
{
	if (rb_bad_ptr(ep) || ep < 16) {
		s->v.stop = FLAMED_METRIC_RB_BAD_POINTER;
		return false;
	}
	if (bpf_probe_read_user(s->env, sizeof(s->env), (void *)(ep - 16))) {
		s->v.stop = FLAMED_METRIC_RB_READ_FAULT;
		return false;
	}
	return true;
}

/* bpf_loop callback: record the control frame at the cursor (a Ruby frame, a C function's, or
 * nothing for the VM's own), then step to its caller; with one_call, stop after the frame that
 * ends the current exec call. */
static long rb_frame_step(__u32 idx, void *arg)
{
	struct rb_ctx *c = arg;
	const struct flamed_rb_proc *p = c->p;
	struct rb_scratch *s = c->s;
	struct rb_vars *v = &s->v;
	__u64 cfp = v->cfp, len, pc, iseq, ep, flags, me;
	__u32 at, size = p->cfp_size;

	if (!cfp || cfp >= v->end) {
		v->cfp = 0;
		return 1;
	}
	if (size < 8 || size > RB_CFP_WIN || (cfp & 7)) {
		v->stop = FLAMED_METRIC_RB_BAD_POINTER;
		return 1;
	}
	/* frames are adjacent: one read serves several */
	if (!v->win_base || cfp < v->win_base || cfp + size > v->win_base + v->win_len) {
		len = v->end - cfp;
		if (len > RB_CFP_WIN)
			len = RB_CFP_WIN;
		if (len < size) {
			v->stop = FLAMED_METRIC_RB_BAD_POINTER;
			return 1;
		}
		if (bpf_probe_read_user(s->cfps, len, (void *)cfp)) {
			v->stop = FLAMED_METRIC_RB_READ_FAULT;
			return 1;
		}
		v->win_base = cfp;
		v->win_len = len;
	}
	at = cfp - v->win_base;
	pc = rb_cfp_u64(s, at, p->cfp_pc);
	iseq = rb_cfp_u64(s, at, p->cfp_iseq);
	ep = rb_cfp_u64(s, at, p->cfp_ep);
	v->cfp = cfp + size;
	if (!rb_read_env(s, ep))
		return 1;
	flags = s->env[2];
	if (flags & p->frame_cframe) {
		/* a C function's frame (a dummy frame or a C block has no method entry to show) */
		me = s->env[0];
		if ((flags & p->magic_mask) == p->magic_cfunc && !rb_bad_ptr(me)) {
			if (!rt_room(c->out, 2)) {
				v->stop = FLAMED_METRIC_RB_TRUNCATED;
				return 1;
			}
			rt_emit(c->out, me >> 3 | FLAMED_RB_CFUNC);
			rt_emit(c->out, 0);
			v->frames++;
		}
	} else if (iseq && pc) {
		if (rb_bad_ptr(iseq)) {
			v->stop = FLAMED_METRIC_RB_BAD_POINTER;
			return 1;
		}
		/* the method entry: ep[-2] of this environment or of those it is nested in, up to
		 * the method's own (a block's frame has none of its own) */
		me = s->env[0];
		for (int i = 0; i < RB_ENV_HOPS; i++) {
			if (me || (s->env[2] & p->env_local))
				break;
			if (!rb_read_env(s, s->env[1] & ~3ULL)) {
				v->stop = 0; /* the frame is still shown, without its class */
				break;
			}
			me = s->env[0];
		}
		if (rb_bad_ptr(me))
			me = 0;
		if (!rt_room(c->out, 2)) {
			v->stop = FLAMED_METRIC_RB_TRUNCATED;
			return 1;
		}
		rt_emit(c->out, iseq >> 3);
		rt_emit(c->out, me >> 3 | ((pc >> 3) & ((1ULL << FLAMED_RB_PC_BITS) - 1))
						  << FLAMED_RB_PC_SHIFT);
		v->frames++;
	}
	return v->one_call && (flags & p->frame_finish) ? 1 : 0;
}

/* Record the sampled thread's control frames from the cursor on: those of one exec call with
 * one_call, else all that are left. The first call of a walk finds the thread's current frame.
 * Returns the frames recorded. A global function: the steps and the finish hook share one verification of the walk. */
__noinline int rb_frames(struct rt_out *out, int one_call)
{
	struct rb_ctx c;
	__u32 zero = 0, before;

	if (!out)
		return 0;
	c.p = &out->rt.params.rb;
	c.out = out;
	c.s = bpf_map_lookup_elem(&rb_scratch, &zero);
	if (!c.s)
		return 0;
	if (out->fresh)
		rb_begin(&c, &out->rt);
	if (!c.s->v.cfp || c.s->v.stop)
		return 0;
	before = c.s->v.frames;
	c.s->v.one_call = one_call;
	/* frames shown take two words; the VM's own take iterations too */
	bpf_loop(FLAMED_RT_MAX_WORDS + 1, rb_frame_step, &c, 0);
	return c.s->v.frames - before;
}

/* A native frame of YJIT code (pc in one of its ranges): step to its caller, the first return
 * address into the interpreter's code among the words above sp (YJIT code keeps rbp, pushes the
 * interpreter's registers: cfp, ec, sp, no code addresses, and around some calls two words
 * more). Its Ruby frames are recorded at rb_vm_exec, below. Code there without such a return
 * is not YJIT's: left to the native walk (counted). An enum rt_action. */
__noinline int rb_jit_step(struct walk_vars *wv, struct rt_out *out)
{
	const struct flamed_rb_proc *p;
	struct rb_scratch *s;
	__u32 zero = 0;
	__u64 sp, w;

	if (!wv || !out)
		return RT_STOP;
	s = bpf_map_lookup_elem(&rb_scratch, &zero);
	if (!s)
		return RT_STOP;
	p = &out->rt.params.rb;
	sp = wv->sp;
	if (!rb_bad_ptr(sp) &&
	    !bpf_probe_read_user(s->buf, RB_JIT_SCAN * sizeof(__u64), (void *)sp)) {
		for (int i = 0; i < RB_JIT_SCAN; i++) {
			w = s->buf[i];
			if (w > p->text_start && w <= p->text_end) {
				count(FLAMED_METRIC_RB_JIT_FRAMES);
				wv->pc = w;
				wv->sp = sp + (i + 1) * sizeof(__u64);
				return RT_UNWOUND;
			}
		}
	}
	count(FLAMED_METRIC_RB_JIT_LOST);
	return RT_NATIVE;
}

/* A native frame handed over: rb_vm_exec's (the control frames of its exec call go in its
 * place), vm_exec_core's (the loop those frames run in: its place is theirs, shown once) or
 * YJIT code's. */
static __always_inline int rb_step(struct walk_vars *wv, struct rt_out *out, __u64 lookup_pc)
{
	const struct flamed_rb_proc *p = &out->rt.params.rb;
	const struct flamed_rt_range *core = &out->rt.ranges[0];

	if (lookup_pc >= p->exec_start && lookup_pc < p->exec_end)
		return rb_frames(out, 1) ? RT_REPLACED : RT_NATIVE;
	if (lookup_pc >= core->start && lookup_pc < core->end)
		return RT_REPLACED;
	return rb_jit_step(wv, out);
}

/* The native walk ended: the Ruby frames it did not reach go at the root side; count how the
 * walk ended. */
static __always_inline void rb_finish(struct rt_out *out)
{
	__u32 zero = 0;
	struct rb_scratch *s;
	struct rb_vars *v;

	rb_frames(out, 0);
	s = bpf_map_lookup_elem(&rb_scratch, &zero);
	if (!s)
		return;
	v = &s->v;
	add(FLAMED_METRIC_RB_FRAMES, v->frames);
	if (v->stop)
		count(v->stop);
	else if (!v->th)
		count(FLAMED_METRIC_RB_NO_THREAD);
	else if (!v->frames)
		count(FLAMED_METRIC_RB_IDLE);
}

#endif /* FLAMED_RUBY_BPF_H */
