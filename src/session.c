// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include <bpf/libbpf.h>

#include "bpf/sampler.h"
#include "cli.h"
#include "collect/builder.h"
#include "collect/collector.h"
#include "command.h"
#include "elf/elf_file.h"
#include "kube.h"
#include "output/output.h"
#include "preflight.h"
#include "privileges.h"
#include "proc/proc_table.h"
#include "profile/profile.h"
#include "php/php_procs.h"
#include "hotspot/hs_procs.h"
#include "python/py_procs.h"
#include "runtime/runtimes.h"
#include "session.h"
#include "symbolize/debuginfod_fetch.h"
#include "symbolize/dwarf_lines.h"
#include "symbolize/symbolizer.h"
#include "unwind/unwind_loader.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

/* Processes whose runtime is still starting that are asked again, each for at most a minute. */
#define SESSION_RT_WAIT	   64
#define SESSION_RT_WAIT_NS 60000000000ULL
/* A JVM sets up its code cache tens of ms after its library is mapped: asked again this often
 * (a drain is a second away, a second of samples whose Java frames would be lost). */
#define SESSION_RT_WAIT_TICK_MS 20

/* How long a one-shot run waits, before its only build, for debuginfod downloads in flight. */
#define SESSION_DEBUGINFOD_WAIT_MS 20000

struct session {
	const struct config *cfg;
	struct sampler *sampler;
	struct collector *coll;		  /* the current window */
	const struct collector *building; /* a window being built (session__build), or NULL */
	struct proc_table *procs;
	struct symbolizer *sym;
	struct unwind_loader *unwind;	  /* NULL with --unwind fp */
	struct flamed_unwind_proc *uproc; /* scratch for one process's description */
	struct unwind_loader_mapping *umaps;
	struct runtimes *rt; /* language runtimes: which process runs which, their frames */
	uint64_t *rt_words;  /* scratch: one sample's runtime words */
	struct kube *kube;   /* Kubernetes metadata and cgroup targets, or NULL */
	/* processes whose runtime was still starting (-EAGAIN): asked again at each drain */
	struct {
		uint32_t tgid;
		uint64_t aspace, until_ns;
	} rt_wait[SESSION_RT_WAIT];
	size_t nr_rt_wait;
	int rt_timer_fd; /* fires every SESSION_RT_WAIT_TICK_MS while processes wait */
	int epoll_fd;	 /* the ring buffer's, the unwind builds', the kubelet's and rt_timer_fd */
	struct command cmd; /* the command after "--", if any */
	int64_t start_wall_ns;
	bool kernel_warned; /* "kernel symbols unavailable" said once */
	int oom;
	struct session_costs costs;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_get_level() < LOG_DEBUG)
		return 0;
	if (level != LIBBPF_WARN && log_get_level() < LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* -v names each binary whose table was refused (unwind_loader.h). */
static void on_unwind_refused(const char *name, enum unwind_refusal why, uint64_t bytes,
			      uint32_t uid, void *ctx)
{
	(void)ctx;
	/* a table over the per-binary cap is not built to the end: its size is a lower bound */
	log_debug("unwind table of %s refused: %s%.1f MiB, over the %s%s (file owner uid %u); "
		  "frame pointers there",
		  name ? name : "?", why == UNWIND_REFUSED_BINARY ? "at least " : "",
		  bytes / 1048576.0,
		  why == UNWIND_REFUSED_MEMORY ? "--unwind-memory bound" : unwind_refusal_str(why),
		  why == UNWIND_REFUSED_MEMORY ? "" : " cap", uid);
}

static int unwind_table_add(void *ctx, uint32_t slot, const void *elems, uint32_t nr,
			    size_t *ret_bytes)
{
	struct session *c = ctx;
	int err = sampler__add_unwind_table(c->sampler, slot, elems, nr, ret_bytes);

	if (err)
		log_debug("unwind table of %u elements not loaded: %s", nr, strerror(-err));
	return err;
}

static void unwind_table_del(void *ctx, uint32_t id, uint32_t nr)
{
	struct session *c = ctx;

	sampler__delete_unwind_table(c->sampler, id, nr);
}

static int unwind_publish(void *ctx, uint32_t tgid, const struct flamed_unwind_proc *p)
{
	struct session *c = ctx;

	return sampler__set_unwind_proc(c->sampler, tgid, p);
}

/* --unwind-memory's default: 256 MiB, or an eighth of RAM on small hosts. */
static uint64_t default_unwind_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;

	return ram && ram / 8 < UNWIND_MEMORY_DEFAULT ? ram / 8 : UNWIND_MEMORY_DEFAULT;
}

/* Describe a process's executable mappings to the BPF walker, loading their unwind tables. */
static void load_unwind(struct session *c, const struct proc_entry *e, bool after_remap)
{
	uint64_t t0 = mono_ns();
	size_t n = 0;
	int err;

	if (!c->unwind || !e->maps)
		return;
	for (size_t i = 0; i < e->maps->nr && n < FLAMED_UNWIND_MAX_MAPPINGS; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];
		struct unwind_loader_mapping *um = &c->umaps[n++];
		int fd;

		*um = (struct unwind_loader_mapping){
			.start = m->start, .end = m->end, .fd = -1, .name = f ? f->path : NULL
		};
		/* the file's ELF headers only (shared with the symbolizer), no symbol table */
		if (!f || elf_file__load_bias(proc_file__elf(f), m->start, m->end, m->pgoff,
					      m->prot_exec, &um->load_bias))
			continue;
		symbolizer__prefetch(c->sym, e->tgid, f); /* debuginfod, while it runs */
		/* held (not closed by the table's fd budget) until the description is made */
		fd = proc_file__hold(f);
		if (fd >= 0)
			um->fd = fd;
	}
	/* a process whose code keeps escaping the snapshot (JIT) may ask again only in a second;
	 * a fresh one soon, as the dynamic loader maps its libraries right after exec */
	err = unwind_loader__describe(c->unwind, e->tgid, e->aspace, c->umaps, n,
				      mono_ns() + (after_remap ? 1000000000ULL : 5000000ULL),
				      c->uproc);
	for (size_t i = 0; i < n; i++) /* umaps[i] is maps[i]'s */
		if (c->umaps[i].fd >= 0)
			proc_file__release(e->files[i]);
	if (!err)
		err = sampler__set_unwind_proc(c->sampler, e->tgid, c->uproc);
	for (uint32_t i = 0; !err && i < c->uproc->nr && log_get_level() >= LOG_DEBUG; i++)
		log_debug("unwind %u: %llx-%llx table %d, %u pages", e->tgid,
			  (unsigned long long)c->uproc->m[i].start,
			  (unsigned long long)c->uproc->m[i].end, (int)c->uproc->m[i].table,
			  c->uproc->m[i].pages);
	if (err)
		log_debug("no unwind tables for %u: %s", e->tgid, strerror(-err));
	log_debug("unwind %u: described in %.2f ms", e->tgid, (mono_ns() - t0) / 1e6);
}

/* Start or stop the retry timer. */
static void rt_timer_arm(struct session *c, bool on)
{
	struct itimerspec t = { 0 };

	if (on) {
		t.it_value.tv_nsec = SESSION_RT_WAIT_TICK_MS * 1000000L;
		t.it_interval = t.it_value;
	}
	if (c->rt_timer_fd >= 0)
		timerfd_settime(c->rt_timer_fd, 0, &t, NULL);
}

/* A process whose runtime is still starting (a JVM before its code cache exists) is asked
 * again at the next drains: no event would bring it back. */
static void runtime_wait(struct session *c, const struct proc_entry *e)
{
	size_t i;

	for (i = 0; i < c->nr_rt_wait; i++)
		if (c->rt_wait[i].tgid == e->tgid && c->rt_wait[i].aspace == e->aspace)
			return;
	if (c->nr_rt_wait == SESSION_RT_WAIT)
		return;
	c->rt_wait[c->nr_rt_wait++] = (typeof(c->rt_wait[0])){
		.tgid = e->tgid, .aspace = e->aspace, .until_ns = mono_ns() + SESSION_RT_WAIT_NS
	};
	rt_timer_arm(c, true);
}

/* A process running a runtime flamed knows gets its runtime frames walked; one whose version
 * flamed does not know is said once per runtime file and profiled natively. */
static void load_runtime(struct session *c, struct proc_entry *e)
{
	const struct runtime_ops *ops;
	struct flamed_rt_proc rtp;
	struct runtime_detect what;
	bool was = runtimes__registered(c->rt, e->tgid);
	int err;

	err = runtimes__detect(c->rt, e, &rtp, &what, &ops);
	if (err == -EALREADY)
		return;
	if (err == -EAGAIN)
		runtime_wait(c, e);
	if (err == -ENOTSUP && what.first_report)
		log_warn("%s (pid %u) is %s, which flamed does not know (%s): its %s frames are "
			 "not shown, only native ones",
			 what.path, e->tgid, what.what, what.known, ops->language);
	if (err) {
		/* an exec into something else: the walker must not keep the old image's state */
		if (was && !runtimes__registered(c->rt, e->tgid))
			sampler__delete_rt_proc(c->sampler, e->tgid);
		return;
	}
	err = sampler__set_rt_proc(c->sampler, e->tgid, &rtp);
	if (err)
		log_debug("no %s frames for %u: %s", ops->language, e->tgid, strerror(-err));
	else
		log_debug("%s %u: %s in %s", ops->name, e->tgid, what.what, what.path);
}

/* Ask the waiting processes again (each call of load_runtime may put one back). */
static void runtime_retry(struct session *c)
{
	size_t n = c->nr_rt_wait;
	typeof(c->rt_wait[0]) w[SESSION_RT_WAIT];
	uint64_t now = mono_ns();
	struct proc_entry *e;

	memcpy(w, c->rt_wait, n * sizeof(w[0]));
	c->nr_rt_wait = 0;
	for (size_t i = 0; i < n; i++) {
		e = proc_table__find(c->procs, w[i].tgid, w[i].aspace);
		if (!e || now > w[i].until_ns)
			continue;
		load_runtime(c, e);
		if (c->nr_rt_wait && c->rt_wait[c->nr_rt_wait - 1].tgid == w[i].tgid)
			c->rt_wait[c->nr_rt_wait - 1].until_ns = w[i].until_ns;
	}
	if (!c->nr_rt_wait)
		rt_timer_arm(c, false);
}

/* The runtimes whose frames flamed walks, asked in this order about each process. */
static struct runtimes *new_runtimes(const struct config *cfg)
{
	const struct runtime_ops *mods[3];
	size_t n = 0;

	if (!cfg->no_java)
		mods[n++] = &hs_runtime_ops;
	if (!cfg->no_python)
		mods[n++] = &py_runtime_ops;
	mods[n++] = &php_runtime_ops;
	return runtimes__new(mods, n);
}

static bool rt_alive(uint32_t tgid, uint64_t aspace, void *ctx)
{
	struct session *c = ctx;

	return proc_table__find(c->procs, tgid, aspace) != NULL;
}

static void rt_forget(uint32_t tgid, void *ctx)
{
	struct session *c = ctx;

	sampler__delete_rt_proc(c->sampler, tgid);
}

static void on_proc_event(const struct flamed_proc_event *ev, void *ctx)
{
	struct session *c = ctx;
	char comm[FLAMED_COMM_LEN + 1];
	struct proc_entry *e;

	if (ev->type == FLAMED_EVENT_EXIT) {
		/* tables go now; the snapshot stays while a window holds samples of the process */
		if (c->unwind) {
			sampler__delete_unwind_proc(c->sampler, ev->tgid);
			unwind_loader__forget(c->unwind, ev->tgid);
		}
		sampler__delete_rt_proc(c->sampler, ev->tgid); /* what names its frames stays */
		proc_table__exited(c->procs, ev->tgid);
		return;
	}
	e = proc_table__find(c->procs, ev->tgid, ev->aspace);
	snprintf(comm, sizeof(comm), "%.*s", FLAMED_COMM_LEN, ev->comm);
	if (!e) {
		/* whole host: a process never sampled yet is read at its first sample (an exec
		 * storm costs no snapshots); a target is read at once, so that a compiler of a build
		 * has its tables (from the cache) before its first sample */
		if (ev->type == FLAMED_EVENT_EXEC && !c->cfg->cmd && !c->cfg->nr_pids)
			return;
		e = proc_table__add(c->procs, ev->tgid, ev->aspace, comm);
		if (!e) {
			c->oom = -ENOMEM;
			return;
		}
	} else if (ev->type == FLAMED_EVENT_EXEC || ev->type == FLAMED_EVENT_REMAP) {
		/* the exec finished after a sample announced it, or code outside the snapshot ran:
		 * read the maps again (and the final name) */
		bool exec = ev->type == FLAMED_EVENT_EXEC;

		proc_table__refresh(c->procs, e, exec ? comm : NULL, exec);
	} else {
		return;
	}
	load_unwind(c, e, ev->type == FLAMED_EVENT_REMAP);
	load_runtime(c, e);
	kube__on_container(c->kube, e->container_id);
}

static int on_stack(uint64_t hash, const struct flamed_stack *st, void *ctx)
{
	struct session *c = ctx;

	return collector__add_stack(c->coll, hash, st);
}

/* What names the runtime frames of key's user stack is read now, while the process surely
 * lives; samples: CPU samples of the key (the runtimes' per-kind counts), 0 for off-CPU waits. */
static void prefetch_runtime(struct session *c, const struct flamed_count_key *key,
			     uint64_t samples)
{
	const struct collector_stack *us;
	uint32_t stamp = 0;
	bool missing;
	size_t nw;

	us = key->user_stack ? collector__stack(c->coll, key->user_stack) : NULL;
	if (us && (us->flags & FLAMED_STACK_RUNTIME)) {
		nw = collector__runtime_words(c->coll, us, c->rt_words, FLAMED_RT_MAX_WORDS,
					      &missing);
		for (uint32_t i = 0; i < us->nr; i++) {
			if (FLAMED_RT_IS_MARK(us->ips[i])) {
				stamp = FLAMED_RT_MARK_STAMP(us->ips[i]);
				break;
			}
		}
		runtimes__prefetch(c->rt, key->tgid, key->aspace, c->rt_words, (uint32_t)nw, stamp,
				   samples);
	}
}

static int on_count(const struct flamed_count_key *key, uint64_t count, void *ctx)
{
	struct session *c = ctx;

	prefetch_runtime(c, key, count);
	return collector__add_count(c->coll, key, count);
}

static int on_offcpu(const struct flamed_count_key *key, uint64_t ns, void *ctx)
{
	struct session *c = ctx;

	prefetch_runtime(c, key, 0);
	return collector__add_offcpu(c->coll, key, ns);
}

/* Every process's mapped files are opened: take the whole fd allowance (the hard limit) rather
 * than the 1024 a shell gives, so the process table's fd budget (derived from it) is large.
 * Only for flamed itself: the command after "--" is forked before. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_debug("cannot raise RLIMIT_NOFILE to %llu: %s", (unsigned long long)rl.rlim_max,
			  strerror(errno));
}

/* One fd for the front ends' loops: readable when process events or finished unwind builds
 * wait (session__poll_events handles both). */
static int make_epoll(struct session *c)
{
	struct epoll_event ev = { .events = EPOLLIN };

	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epoll_fd < 0)
		return -errno;
	ev.data.fd = sampler__event_fd(c->sampler);
	if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	if (c->unwind) {
		ev.data.fd = unwind_loader__fd(c->unwind);
		if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	if (kube__fd(c->kube) >= 0) {
		ev.data.fd = kube__fd(c->kube);
		if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	c->rt_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->rt_timer_fd < 0)
		return -errno;
	ev.data.fd = c->rt_timer_fd;
	if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	return 0;
}

/* Resident bytes of this process (/proc/self/statm), 0 when unknown. */
static size_t resident_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* -v: what start-up cost (bench figure 9 measures the same from outside). */
static void log_startup(const struct session *c)
{
	struct sampler_load_stats ls = sampler__load_stats(c->sampler);

	log_debug("start-up: %.0f ms CPU, %.0f ms wall to the first sample; BPF object open %.1f "
		  "ms, load %.1f ms (kernel %.1f ms: verifier, maps; libbpf %.1f ms: kernel BTF, "
		  "relocations); resident %.1f MiB after start-up, %.1f MiB of it BPF maps mapped "
		  "into flamed; on_cpu_sample's verifier %.1f ms, %llu instructions processed",
		  c->costs.startup_cpu_ns / 1e6, c->costs.startup_wall_ns / 1e6, ls.open_ns / 1e6,
		  ls.load_ns / 1e6, ls.load_sys_ns / 1e6, ls.load_user_ns / 1e6,
		  c->costs.startup_rss / 1048576.0, ls.mapped_bytes / 1048576.0,
		  ls.verifier_us / 1e3, (unsigned long long)ls.verifier_insns);
	if (c->cfg->off_cpu)
		log_debug("start-up: on_switch_in's verifier %.1f ms, %llu instructions processed",
			  ls.offcpu_verifier_us / 1e3,
			  (unsigned long long)ls.offcpu_verifier_insns);
}

int session__start(const struct config *cfg, const sigset_t *child_mask,
		   struct session **ret_session)
{
	const char *btf = preflight_btf_path();
	struct sampler_opts so = {
		.btf_path = strcmp(btf, "/sys/kernel/btf/vmlinux") ? btf : NULL,
		.freq_hz = cfg->freq_hz,
		.filter = cfg->nr_pids > 0 || cfg->cmd,
		.follow_forks = cfg->cmd != NULL,
		.include_idle = cfg->include_idle,
		.drain_ms = SESSION_DRAIN_MS,
		.unwind_mode = cfg->unwind_mode,
		.unwind_memory = cfg->unwind_memory ? cfg->unwind_memory : default_unwind_memory(),
		.explain_failure = log_get_level() >= LOG_DEBUG,
		.off_cpu = cfg->off_cpu,
		.off_cpu_threshold_ns = cfg->off_cpu_threshold_ns,
		.off_cpu_walks = cfg->off_cpu_walks,
	};
	uint64_t wall0 = mono_ns();
	struct session *c;
	int err, max_hz = 0, tgid;

	if (preflight_privileges()) {
		log_error("needs root, or CAP_BPF and CAP_PERFMON (try: sudo flamed ...)");
		return -EPERM;
	}
	err = preflight_btf(btf);
	if (err) {
		log_error("kernel BTF not found at %s (%s); a kernel built with "
			  "CONFIG_DEBUG_INFO_BTF=y is needed",
			  btf, strerror(-err));
		return err;
	}
	if (preflight_freq(cfg->freq_hz, &max_hz)) {
		log_error("-F %d is above kernel.perf_event_max_sample_rate (%d)", cfg->freq_hz,
			  max_hz);
		return -ERANGE;
	}
	if (cfg->off_cpu && !sampler_offcpu_supported(so.btf_path)) {
		log_error("--off-cpu needs Linux 6.16 or later: this kernel has no sched_exit_tp "
			  "tracepoint, where a thread that ran again still has its waiting stacks");
		return -ENOTSUP;
	}
	for (int i = 0; i < cfg->nr_pids; i++) {
		if (preflight_pid(cfg->pids[i], &tgid)) {
			log_error("no such process: %d", cfg->pids[i]);
			return -ESRCH;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("out of memory");
		return -ENOMEM;
	}
	c->cfg = cfg;
	c->epoll_fd = -1;
	c->rt_timer_fd = -1;
	c->cmd = (struct command){ .go_fd = -1, .exec_fd = -1 };
	libbpf_set_print(libbpf_print);
	c->coll = collector__new();
	c->procs = proc_table__new();
	c->sym = symbolizer__new(NULL);
	if (c->sym)
		symbolizer__set_long_lived(c->sym, cfg->daemon);
	c->rt = new_runtimes(cfg);
	c->rt_words = calloc(FLAMED_RT_MAX_WORDS, sizeof(*c->rt_words));
	if (!c->coll || !c->procs || !c->sym || !c->rt || !c->rt_words) {
		log_error("out of memory");
		err = -ENOMEM;
		goto fail;
	}
	/* the kubelet's first list runs while the program loads */
	err = kube__new(cfg, &c->kube, &so.cgroup_filter);
	if (err)
		goto fail;
	if (cfg->debuginfod || (getenv("DEBUGINFOD_URLS") && *getenv("DEBUGINFOD_URLS"))) {
		/* before other threads start: it may set DEBUGINFOD_* in the environment */
		if (dfetch__configure())
			log_warn("--debuginfod: no server (set DEBUGINFOD_URLS): not fetching");
		else if (symbolizer__enable_debuginfod(c->sym))
			log_warn("--debuginfod: cannot start its thread: %s", strerror(errno));
	}
	c->sampler = sampler__load(&so, on_proc_event, c);
	if (!c->sampler) {
		err = -errno;
		log_error("failed to load the BPF program: %s (run with -v for the verifier log)",
			  strerror(errno));
		goto fail;
	}
	/* now, while the capabilities to load BPF are held; its runs need none */
	err = symbolizer__load_kernel_names(c->sym);
	if (err)
		log_debug("kernel names from /proc/kallsyms: the kernel's own lookup is not "
			  "available (%s)",
			  strerror(-err));
	if (cfg->unwind_mode != FLAMED_UNWIND_FP) {
		struct unwind_loader_ops ops = {
			.table_add = unwind_table_add,
			.table_del = unwind_table_del,
			.publish = unwind_publish,
			.ctx = c,
		};

		c->unwind = unwind_loader__new(&ops, so.unwind_memory);
		if (c->unwind)
			unwind_loader__on_refused(c->unwind, on_unwind_refused, c);
		c->uproc = malloc(sizeof(*c->uproc));
		c->umaps = calloc(FLAMED_UNWIND_MAX_MAPPINGS, sizeof(*c->umaps));
		if (!c->unwind || !c->uproc || !c->umaps) {
			log_error("out of memory");
			err = -ENOMEM;
			goto fail;
		}
	}
	err = make_epoll(c);
	if (err) {
		log_error("epoll: %s", strerror(-err));
		goto fail;
	}
	kube__start(c->kube, c->sampler);
	for (int i = 0; i < cfg->nr_pids; i++) {
		preflight_pid(cfg->pids[i], &tgid);
		if (tgid != cfg->pids[i])
			log_info("%d is a thread of process %d: profiling the process",
				 cfg->pids[i], tgid);
		err = sampler__add_target(c->sampler, tgid);
		if (err) {
			log_error("failed to add target %d: %s", tgid, strerror(-err));
			goto fail;
		}
	}
	if (cfg->cmd) {
		err = command__spawn(&c->cmd, cfg->cmd, child_mask);
		if (!err)
			err = sampler__add_target(c->sampler, c->cmd.pid);
		if (err) {
			log_error("failed to start '%s': %s", cfg->cmd[0], strerror(-err));
			goto fail;
		}
	}
	/* after the command is forked: it keeps the limit it was given (select() users) */
	raise_nofile();
	proc_table__set_fd_budget(c->procs, 0);
	err = sampler__attach(c->sampler);
	if (err) {
		log_error("failed to attach to cpu-clock perf events: %s", strerror(-err));
		goto fail;
	}
	/* libbpf parsed the kernel's BTF (several MB) to load the program: give that memory back,
	 * so a daemon's resident size is what it uses, not its start-up peak */
	malloc_trim(0);
	c->costs.startup_cpu_ns = process_cpu_ns();
	c->costs.startup_wall_ns = mono_ns() - wall0;
	c->costs.startup_rss = resident_bytes();
	log_startup(c);
	{
		struct timespec w;

		clock_gettime(CLOCK_REALTIME, &w);
		c->start_wall_ns = (int64_t)w.tv_sec * 1000000000LL + w.tv_nsec;
	}
	if (cfg->cmd) {
		err = command__release(&c->cmd);
		if (err) {
			log_error("cannot run '%s': %s", cfg->cmd[0], strerror(-err));
			err = SESSION_ERR_COMMAND;
			goto fail;
		}
	}
	*ret_session = c;
	return 0;
fail:
	session__free(c);
	return err;
}

/* Can the reduced set write there? A path ending in "/" is a directory to create files in. */
static int check_writable(const char *path, const struct output_opts *oo)
{
	size_t len = strlen(path);

	if (len && path[len - 1] == '/')
		return faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) ? -errno : 0;
	return output_check_writable(path, oo);
}

int session__drop_privileges(struct session *c, const char *const *paths, size_t nr_paths,
			     const struct output_opts *oo)
{
	uint64_t keep = privileges_steady_set(), effective = 0, kept = 0;
	char names[512];
	int err;

	err = privileges_get(&effective, NULL);
	if (err)
		return err;
	if (c->cfg->cmd) /* it may change uid (runuser, su), and must still be stopped */
		keep |= PRIV_CAP(CAP_KILL);
	if (oo && oo->has_owner && (oo->uid != geteuid() || oo->gid != getegid()))
		keep |= PRIV_CAP(CAP_CHOWN);
	/* an output directory of another user (sudo in a home directory) is writable only with
	 * CAP_DAC_OVERRIDE: try the outputs with the reduced set before committing to it */
	err = privileges_lower_effective(keep);
	for (size_t i = 0; !err && i < nr_paths; i++) {
		int werr = check_writable(paths[i], oo);

		if ((werr == -EACCES || werr == -EPERM) &&
		    (effective & PRIV_CAP(CAP_DAC_OVERRIDE))) {
			log_debug("privileges: keeping cap_dac_override, which '%s' needs",
				  paths[i]);
			keep |= PRIV_CAP(CAP_DAC_OVERRIDE);
			break;
		}
	}
	if (!err)
		err = privileges_drop(keep, &kept);
	if (err)
		return err;
	privileges_format(kept, names, sizeof(names));
	log_debug("privileges: kept %s; dropped the rest, no new privileges", names);
	return 0;
}

void session_signal_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGCHLD);
}

bool session__read_signals(struct session *s, int signal_fd, bool *ret_interrupted)
{
	struct signalfd_siginfo si;
	bool done = false;

	while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			done |= command__reap(&s->cmd); /* false without a command (pid 0) */
		} else {
			*ret_interrupted = true;
			done = true;
		}
	}
	return done;
}

int session__event_fd(const struct session *s)
{
	return s->epoll_fd;
}

int session__poll_events(struct session *s)
{
	uint64_t t0 = process_cpu_ns(), ticks;
	int err = sampler__poll_events(s->sampler);

	s->costs.events_cpu_ns += process_cpu_ns() - t0;
	if (err < 0)
		return err;
	if (s->unwind) {
		err = unwind_loader__poll(s->unwind);
		if (err < 0)
			return err;
	}
	kube__poll(s->kube);
	if (s->rt_timer_fd >= 0 && read(s->rt_timer_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		runtime_retry(s);
	return s->oom;
}

static bool in_some_window(uint32_t tgid, void *ctx)
{
	struct session *s = ctx;

	return collector__has_tgid(s->coll, tgid) ||
	       (s->building && collector__has_tgid(s->building, tgid));
}

int session__drain(struct session *s)
{
	uint64_t t0 = process_cpu_ns();
	int err;

	runtimes__tick(s->rt);
	kube__tick(s->kube);
	if (s->nr_rt_wait)
		runtime_retry(s);
	err = sampler__drain(s->sampler, on_stack, on_count, on_offcpu, s);

	s->costs.drain_cpu_ns += process_cpu_ns() - t0;
	s->costs.drains++;
	/* JIT names are read while the process lives: it may be gone when its window is built */
	proc_table__poll_jit(s->procs);
	/* processes that exited and that no window holds samples of: gone at once */
	if (!err && proc_table__reap(s->procs, in_some_window, s))
		runtimes__sweep(s->rt, rt_alive, rt_forget, s);
	return err ? err : s->oom;
}

void session__stop_sampling(struct session *s)
{
	sampler__detach(s->sampler);
}

struct collector *session__cut(struct session *s)
{
	struct collector *next = collector__new(), *done = s->coll;

	if (!next)
		return NULL;
	s->coll = next;
	return done;
}

int session__build(struct session *s, const struct collector *window, const struct build_opts *opts,
		   struct build_series **ret_series, size_t *ret_nr, struct build_stats *ret_stats)
{
	struct build_opts o = *opts;
	struct symbolizer_stats ss;
	struct build_stats bs = { 0 };
	char quality[256];
	int err;

	uint64_t t0 = process_cpu_ns(), nested0 = s->costs.drain_cpu_ns + s->costs.events_cpu_ns;

	o.rt = s->rt;
	o.off_cpu = s->cfg->off_cpu;
	{
		struct kube_labels kl = kube__labels(s->kube);

		o.pods = kl.pods;
		o.pod_label_names = kl.label_names;
		o.pod_label_keys = kl.label_keys;
		o.nr_pod_labels = kl.nr_labels;
		o.only_selected = kl.only_selected;
	}
	/* a one-shot run builds once: give downloads started while it ran a moment to land */
	if (!s->cfg->daemon && symbolizer__wait_downloads(s->sym, SESSION_DEBUGINFOD_WAIT_MS))
		log_warn("debuginfod: downloads still running after %d s: their frames have no "
			 "lines",
			 SESSION_DEBUGINFOD_WAIT_MS / 1000);
	s->building = window; /* drains while it builds (opts->yield) must not reap its processes */
	err = build_profiles(window, s->procs, s->sym, &o, ret_series, ret_nr, &bs);
	s->building = NULL;
	symbolizer__release_pages(s->sym);
	s->costs.build_cpu_ns +=
		process_cpu_ns() - t0 - (s->costs.drain_cpu_ns + s->costs.events_cpu_ns - nested0);
	s->costs.symbolize_ns += bs.symbolize_ns;
	if (err)
		return err;
	ss = symbolizer__stats(s->sym);
	snprintf(quality, sizeof(quality),
		 "flamed: %llu frames, %llu unsymbolized (%llu of them named by function start); "
		 "%llu ELF files parsed, %llu unreadable",
		 (unsigned long long)bs.frames, (unsigned long long)bs.frames_unsymbolized,
		 (unsigned long long)bs.frames_by_start, (unsigned long long)ss.elf_parsed,
		 (unsigned long long)ss.elf_failed);
	for (size_t i = 0; i < *ret_nr; i++)
		profile__add_comment((*ret_series)[i].profile, quality);
	if (symbolizer__kernel_error(s->sym) && !s->kernel_warned) {
		log_warn("kernel symbols unavailable (%s): kernel frames are addresses",
			 strerror(-symbolizer__kernel_error(s->sym)));
		s->kernel_warned = true;
	}
	if (ret_stats)
		*ret_stats = bs;
	return 0;
}

struct session_costs session__costs(const struct session *s)
{
	struct session_costs c = s->costs;

	c.total_cpu_ns = process_cpu_ns();
	return c;
}

void session__add_encode_cost(struct session *s, uint64_t cpu_ns)
{
	s->costs.encode_cpu_ns += cpu_ns;
}

void session_costs__format(const struct session_costs *now, const struct session_costs *prev,
			   char *buf, size_t size)
{
	static const struct session_costs zero;
	const struct session_costs *p = prev ? prev : &zero;
#define MS(field) ((now->field - p->field) / 1e6)

	snprintf(buf, size,
		 "agent %.1f ms CPU (drain %.1f in %llu, events %.1f, build %.1f (names %.1f), "
		 "encode %.1f)",
		 MS(total_cpu_ns) - (prev ? 0 : now->startup_cpu_ns / 1e6), MS(drain_cpu_ns),
		 (unsigned long long)(now->drains - p->drains), MS(events_cpu_ns), MS(build_cpu_ns),
		 MS(symbolize_ns), MS(encode_cpu_ns));
#undef MS
}

void session__comments(const struct session *s, const uint64_t *m, uint64_t duration_ns,
		       struct session_comments *ret)
{
	char host[256] = "localhost", dur[32];
	int mode = s->cfg->unwind_mode;

	gethostname(host, sizeof(host) - 1);
	format_duration(duration_ns, dur, sizeof(dur));
	snprintf(ret->drops, sizeof(ret->drops),
		 "flamed: dropped %llu (count map full); stack map full %llu, kernel stack errors "
		 "%llu, user stack errors %llu",
		 (unsigned long long)m[FLAMED_METRIC_COUNT_MAP_FULL],
		 (unsigned long long)m[FLAMED_METRIC_STACK_MAP_FULL],
		 (unsigned long long)m[FLAMED_METRIC_KSTACK_ERR],
		 (unsigned long long)m[FLAMED_METRIC_USTACK_ERR]);
	snprintf(ret->title, sizeof(ret->title),
		 "flamed %s on %s, %s at %d Hz on %d CPUs, --unwind %s", FLAMED_VERSION, host, dur,
		 s->cfg->freq_hz, sampler__nr_cpus(s->sampler),
		 mode == FLAMED_UNWIND_FP      ? "fp"
		 : mode == FLAMED_UNWIND_DWARF ? "dwarf"
					       : "auto");
	ret->list[0] = ret->title;
	ret->list[1] = ret->drops;
	ret->list[2] = NULL;
}

void session__end_window(struct session *s)
{
	proc_table__sweep(s->procs);
	runtimes__sweep(s->rt, rt_alive, rt_forget, s);
	/* a window's build allocates and frees its profile, caches and encodings: hand the freed
	 * heap back, so the daemon's resident size follows what it holds, not the last peak */
	malloc_trim(0);
}

struct command *session__command(struct session *s)
{
	return &s->cmd;
}

int session__metrics(const struct session *s, uint64_t *m)
{
	return sampler__read_metrics(s->sampler, m);
}

size_t session__nr_processes(const struct session *s)
{
	return (size_t)proc_table__stats(s->procs).processes;
}

int session__nr_cpus(const struct session *s)
{
	return sampler__nr_cpus(s->sampler);
}

void session__log_kube(const struct session *s)
{
	kube__log_summary(s->kube);
}

bool session__has_pods(const struct session *s)
{
	return kube__labels(s->kube).pods != NULL;
}

int64_t session__start_wall_ns(const struct session *s)
{
	return s->start_wall_ns;
}

int session__error(const struct session *s)
{
	return s->oom;
}

static void log_reparsed(const char *path, uint64_t parses, void *ctx)
{
	(void)ctx;
	log_warn("symbol tables: %s parsed %llu times", path, (unsigned long long)parses);
}

static void log_biggest(const char *path, uint64_t bytes, void *ctx)
{
	(void)ctx;
	log_debug("symbol tables: %.2f MiB %s", bytes / 1048576.0, path);
}

void session__log_names(struct session *c)
{
	struct symbolizer_stats ss = symbolizer__stats(c->sym);

	log_info(
		"names: %llu looked up, %llu from the names cache (%llu entries, %.1f MiB, peak "
		"%.1f MiB, %llu evicted, %llu unused expired); symbol files: %llu parsed, %llu "
		"parses (ELF %llu, DWARF "
		"%llu (libdw opened %llu times), .eh_frame %llu), most parses of one file %llu, "
		"files "
		"parsed more than %d times %llu, replaced in place %llu; tables %.1f MiB now, %.1f "
		"MiB at peak, budget %u MiB, %llu evicted, %llu unused expired",
		(unsigned long long)ss.frame_lookups, (unsigned long long)ss.frame_hits,
		(unsigned long long)ss.names_entries, ss.names_bytes / 1048576.0,
		ss.names_peak / 1048576.0, (unsigned long long)ss.names_evicted,
		(unsigned long long)ss.names_expired, (unsigned long long)ss.files_parsed,
		(unsigned long long)(ss.elf_parsed + ss.elf_failed + ss.dwarf_tables +
				     ss.funcs_parsed),
		(unsigned long long)(ss.elf_parsed + ss.elf_failed),
		(unsigned long long)ss.dwarf_tables, (unsigned long long)ss.dwarf_reads,
		(unsigned long long)ss.funcs_parsed, (unsigned long long)ss.parses_max,
		SYMBOLIZER_PARSES_WARN, (unsigned long long)ss.files_reparsed,
		(unsigned long long)ss.files_replaced, ss.cache_bytes / 1048576.0,
		ss.cache_peak / 1048576.0, SYMBOLIZER_CACHE_BYTES >> 20,
		(unsigned long long)ss.evicted, (unsigned long long)ss.expired);
	/* a file read again and again: its tables keep being evicted (the budget is too small for
	 * this host) or something is wrong; the summary says which */
	symbolizer__reparsed_files(c->sym, 5, log_reparsed, NULL);
	if (log_get_level() >= LOG_DEBUG)
		symbolizer__biggest_files(c->sym, 10, log_biggest, NULL);
}

/* The off-CPU line: the waits seen and kept, what they stand for, and every loss. */
static void log_offcpu(const struct session *c, const struct collector *window, const uint64_t *m)
{
	struct sampler_offcpu_threshold t = sampler__offcpu_threshold(c->sampler);

	log_info("off-CPU: %llu waits seen (%.3f s), %llu kept at threshold %.2f ms (%.2f to %.2f; "
		 "%.3f s estimated, %.3f s in the profile); stacks failed %llu; lost: thread "
		 "storage full %llu, off-CPU map full %llu (%.3f s); CPU samples lost to off-CPU "
		 "walks %llu",
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_WAITS],
		 m[FLAMED_METRIC_OFFCPU_NS_SEEN] / 1e9,
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_KEPT], t.now_ns / 1e6, t.min_ns / 1e6,
		 t.max_ns / 1e6, m[FLAMED_METRIC_OFFCPU_NS_KEPT] / 1e9,
		 collector__offcpu_ns(window) / 1e9,
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_STACK_FAILED],
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_STORAGE_FULL],
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_MAP_FULL],
		 m[FLAMED_METRIC_OFFCPU_NS_LOST] / 1e9,
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_CPU_SAMPLES_LOST]);
}

void session__log_summary(struct session *c, const struct collector *window, const uint64_t *m,
			  const struct build_stats *bs)
{
	struct proc_table_stats ps = proc_table__stats(c->procs);
	uint64_t samples = collector__samples(window), refused;
	/* every sample the program counted must reach the window: the run's one window holds all
	 * the drains (the last after sampling stopped), so a difference is a loss between the BPF
	 * maps or count slots and the profile */
	uint64_t lost = m[FLAMED_METRIC_COUNTED] > samples ? m[FLAMED_METRIC_COUNTED] - samples : 0;
	uint64_t dropped = m[FLAMED_METRIC_COUNT_MAP_FULL] + lost;
	double sym = bs->frames ? 100.0 * (bs->frames - bs->frames_unsymbolized) / bs->frames : 100;
	double by_start = bs->frames ? 100.0 * bs->frames_by_start / bs->frames : 0;

	log_info("%llu samples, %zu processes, %llu dropped (count map full %llu, lost in the "
		 "drain %llu)",
		 (unsigned long long)samples, collector__nr_processes(window),
		 (unsigned long long)dropped, (unsigned long long)m[FLAMED_METRIC_COUNT_MAP_FULL],
		 (unsigned long long)lost);
	log_info("stacks: %.1f%% of frames symbolized (+%.1f%% by function start); stack map full "
		 "%llu, stacks missing %llu, kernel stack errors %llu, user stack errors %llu, no "
		 "user stack %llu, truncated %llu; processes vanished before snapshot %llu, lost "
		 "process events %llu",
		 sym, by_start, (unsigned long long)m[FLAMED_METRIC_STACK_MAP_FULL],
		 (unsigned long long)bs->stacks_missing,
		 (unsigned long long)m[FLAMED_METRIC_KSTACK_ERR],
		 (unsigned long long)m[FLAMED_METRIC_USTACK_ERR],
		 (unsigned long long)bs->no_user_stack,
		 (unsigned long long)(m[FLAMED_METRIC_KSTACK_TRUNCATED] +
				      m[FLAMED_METRIC_USTACK_TRUNCATED]),
		 (unsigned long long)ps.vanished,
		 (unsigned long long)m[FLAMED_METRIC_PROC_EVENT_LOST]);
	/* only when a process made flamed refuse or give up something (always with -v) */
	refused = ps.files_failed + ps.files_refused + ps.files_lost + ps.refreshes_throttled +
		  ps.mappings_dropped + ps.pid_reused + ps.stat_bad + ps.maps_too_big +
		  ps.files_over_cap + ps.opens_deferred + ps.jit_maps_refused;
	if (refused || log_get_level() >= LOG_DEBUG)
		log_info("process files: %llu opened, %llu could not be opened, %llu refused "
			 "(not the mapped file), %llu lost after closing (fd budget %llu), "
			 "%llu over the cap, %llu opens deferred; "
			 "maps re-reads throttled %llu, mappings over the cap %llu, "
			 "pids reused %llu, bad stat %llu, maps too big %llu; JIT perf maps read "
			 "%llu, refused %llu (another user's, or too big)",
			 (unsigned long long)ps.files_open, (unsigned long long)ps.files_failed,
			 (unsigned long long)ps.files_refused, (unsigned long long)ps.files_lost,
			 (unsigned long long)ps.fd_budget, (unsigned long long)ps.files_over_cap,
			 (unsigned long long)ps.opens_deferred,
			 (unsigned long long)ps.refreshes_throttled,
			 (unsigned long long)ps.mappings_dropped, (unsigned long long)ps.pid_reused,
			 (unsigned long long)ps.stat_bad, (unsigned long long)ps.maps_too_big,
			 (unsigned long long)ps.jit_maps_read,
			 (unsigned long long)ps.jit_maps_refused);
	log_debug("process table: %llu processes, %llu files opened, %llu reopened, %llu closed "
		  "for the fd budget of %llu (peak %llu open), %llu re-reads",
		  (unsigned long long)ps.processes, (unsigned long long)ps.files_open,
		  (unsigned long long)ps.files_reopened, (unsigned long long)ps.files_closed,
		  (unsigned long long)ps.fd_budget, (unsigned long long)ps.fds_peak,
		  (unsigned long long)ps.refreshes);
	if (!collector__samples(window))
		log_info("no samples: %s",
			 c->cfg->nr_pids || c->cfg->cmd
				 ? "the target used no CPU while sampled"
				 : "every CPU was idle (idle time is left out; --idle keeps it)");
	if (c->cfg->off_cpu)
		log_offcpu(c, window, m);
	if (c->kube) {
		if (cli_has_cgroup_targets(c->cfg))
			log_info("targets: %llu samples of other cgroups left out in the kernel, "
				 "%llu of other pods after; %llu samples carry their pod",
				 (unsigned long long)m[FLAMED_METRIC_CGROUP_FILTERED],
				 (unsigned long long)bs->unselected,
				 (unsigned long long)bs->pod_samples);
		kube__log_summary(c->kube);
	}
	if (!c->unwind)
		log_info("unwind: %llu user stacks walked with frame pointers only (where a chain "
			 "ends early cannot be told; --unwind auto uses unwind tables)",
			 (unsigned long long)m[FLAMED_METRIC_UNWIND_WALKS]);
	else if (m[FLAMED_METRIC_UNWIND_WALKS]) {
		uint64_t walks = m[FLAMED_METRIC_UNWIND_WALKS];

		log_info(
			"unwind: %.1f%% of %llu user stacks complete (unwound to the outermost "
			"frame); stops: no mapping %llu, no row %llu, read fault %llu, depth %llu, "
			"unsupported %llu, frame-pointer end %llu; %llu samples without tables",
			walks ? 100.0 * m[FLAMED_METRIC_UNWIND_STOP_END] / walks : 0.0,
			(unsigned long long)walks,
			(unsigned long long)m[FLAMED_METRIC_UNWIND_STOP_NO_MAPPING],
			(unsigned long long)m[FLAMED_METRIC_UNWIND_STOP_NO_ROW],
			(unsigned long long)m[FLAMED_METRIC_UNWIND_STOP_READ_FAULT],
			(unsigned long long)m[FLAMED_METRIC_UNWIND_STOP_DEPTH],
			(unsigned long long)m[FLAMED_METRIC_UNWIND_STOP_UNSUPPORTED],
			(unsigned long long)m[FLAMED_METRIC_UNWIND_STOP_FP_END],
			(unsigned long long)m[FLAMED_METRIC_UNWIND_NO_PROC]);
	}
	if (c->unwind) {
		struct unwind_loader_stats us = unwind_loader__stats(c->unwind);

		log_info(
			"unwind tables: %llu built (%llu ms, longest %llu ms), %llu reused (%llu "
			"from the cache of exited processes), %llu evicted; %llu without CFI, %llu "
			"changed while read, %llu could not be loaded, %llu builds deferred; "
			"refused over the caps: %llu per binary, %llu per process, %llu per owner, "
			"%llu over --unwind-memory; %.1f MiB at peak of %.1f MiB, %.1f MiB in %llu "
			"tables now; %llu samples met a table still building",
			(unsigned long long)us.tables_built,
			(unsigned long long)(us.build_ns / 1000000),
			(unsigned long long)(us.build_max_ns / 1000000),
			(unsigned long long)us.cache_hits, (unsigned long long)us.cached_reuses,
			(unsigned long long)us.tables_evicted, (unsigned long long)us.tables_failed,
			(unsigned long long)us.tables_changed, (unsigned long long)us.load_failed,
			(unsigned long long)us.deferred,
			(unsigned long long)us.refused[UNWIND_REFUSED_BINARY],
			(unsigned long long)us.refused[UNWIND_REFUSED_PROC],
			(unsigned long long)us.refused[UNWIND_REFUSED_OWNER],
			(unsigned long long)us.refused[UNWIND_REFUSED_MEMORY],
			us.bytes_peak / 1048576.0, us.bytes_bound / 1048576.0,
			us.bytes_used / 1048576.0, (unsigned long long)us.tables_now,
			(unsigned long long)m[FLAMED_METRIC_UNWIND_TABLE_PENDING]);
	}
	{
		struct symbolizer_stats ss = symbolizer__stats(c->sym);

		session__log_names(c);
		log_debug("%llu addresses named by function start (.eh_frame of %llu stripped "
			  "files)",
			  (unsigned long long)ss.user_synthetic,
			  (unsigned long long)ss.funcs_parsed);
		log_debug("kernel names: %llu looked up, %llu by the kernel's own lookup, %llu "
			  "from /proc/kallsyms, %llu without a symbol",
			  (unsigned long long)ss.kernel_lookups,
			  (unsigned long long)ss.kernel_by_kernel,
			  (unsigned long long)(ss.kernel_lookups - ss.kernel_by_kernel),
			  (unsigned long long)ss.kernel_misses);
	}
	{
		struct symbolizer_stats ss = symbolizer__stats(c->sym);
		const uint64_t *by = ss.dwarf_by_source;

		log_info("debug info: %llu of %llu files with DWARF (embedded %llu, build-id %llu, "
			 "debuglink %llu, debuginfod %llu); %llu inline frames; %llu addresses "
			 "resolved, %llu from cache; DWARF %.1f MiB cached (%llu units), %llu too "
			 "big, %llu truncated while read; debuginfod: %llu asked, %llu found, %llu "
			 "not",
			 (unsigned long long)ss.dwarf_found, (unsigned long long)ss.dwarf_opened,
			 (unsigned long long)by[DWARF_EMBEDDED],
			 (unsigned long long)by[DWARF_BUILD_ID],
			 (unsigned long long)by[DWARF_DEBUGLINK],
			 (unsigned long long)by[DWARF_DEBUGINFOD],
			 (unsigned long long)ss.inline_frames, (unsigned long long)ss.frame_lookups,
			 (unsigned long long)ss.frame_hits, ss.dwarf_bytes / 1048576.0,
			 (unsigned long long)ss.dwarf_units, (unsigned long long)ss.dwarf_too_big,
			 (unsigned long long)ss.dwarf_faults,
			 (unsigned long long)ss.debuginfod_queued,
			 (unsigned long long)ss.debuginfod_fetched,
			 (unsigned long long)ss.debuginfod_failed);
	}
	if (m[FLAMED_METRIC_PY_WALKS] || log_get_level() >= LOG_DEBUG) {
		struct py_procs_stats py =
			py_procs__stats(runtimes__module(c->rt, FLAMED_RT_PYTHON));

		log_info(
			"python: %llu processes, %llu of an unknown version; %llu samples walked, "
			"%llu Python frames shown; no thread state %llu, no Python frame %llu, "
			"read faults %llu, bad pointers %llu, truncated %llu, stale %llu, frames "
			"not linked %llu; code objects read %llu, unreadable %llu, over the %u MiB "
			"budget %llu, replaced at their address %llu, frames unnamed %llu (of "
			"which not the "
			"object sampled %llu)",
			(unsigned long long)py.processes, (unsigned long long)py.unknown_version,
			(unsigned long long)m[FLAMED_METRIC_PY_WALKS],
			(unsigned long long)bs->runtime_frames[FLAMED_RT_PYTHON],
			(unsigned long long)m[FLAMED_METRIC_PY_NO_THREAD],
			(unsigned long long)m[FLAMED_METRIC_PY_IDLE],
			(unsigned long long)m[FLAMED_METRIC_PY_READ_FAULT],
			(unsigned long long)m[FLAMED_METRIC_PY_BAD_POINTER],
			(unsigned long long)m[FLAMED_METRIC_PY_TRUNCATED],
			(unsigned long long)m[FLAMED_METRIC_RT_STALE],
			(unsigned long long)bs->runtime_missing, (unsigned long long)py.code_read,
			(unsigned long long)py.code_failed, PY_PROCS_CACHE_BYTES >> 20,
			(unsigned long long)py.code_over_budget,
			(unsigned long long)py.code_replaced, (unsigned long long)py.frames_unnamed,
			(unsigned long long)py.frames_mismatched);
	}
	if (m[FLAMED_METRIC_PHP_WALKS] || log_get_level() >= LOG_DEBUG) {
		struct php_procs_stats ph =
			php_procs__stats(runtimes__module(c->rt, FLAMED_RT_PHP));

		log_info("php: %llu processes, %llu of an unknown version; %llu samples walked, "
			 "%llu PHP frames shown; not running PHP %llu, other threads %llu, read "
			 "faults %llu, bad pointers %llu, truncated %llu; functions read %llu, "
			 "unreadable %llu, over the %u MiB budget %llu, evicted %llu, replaced at "
			 "their address %llu, %.1f KiB held; frames unnamed %llu",
			 (unsigned long long)ph.processes, (unsigned long long)ph.unknown_version,
			 (unsigned long long)m[FLAMED_METRIC_PHP_WALKS],
			 (unsigned long long)bs->runtime_frames[FLAMED_RT_PHP],
			 (unsigned long long)m[FLAMED_METRIC_PHP_IDLE],
			 (unsigned long long)m[FLAMED_METRIC_PHP_OTHER_THREAD],
			 (unsigned long long)m[FLAMED_METRIC_PHP_READ_FAULT],
			 (unsigned long long)m[FLAMED_METRIC_PHP_BAD_POINTER],
			 (unsigned long long)m[FLAMED_METRIC_PHP_TRUNCATED],
			 (unsigned long long)ph.fn_read, (unsigned long long)ph.fn_failed,
			 PHP_PROCS_CACHE_BYTES >> 20, (unsigned long long)ph.fn_over_budget,
			 (unsigned long long)ph.fn_evicted, (unsigned long long)ph.fn_replaced,
			 ph.cache_bytes / 1024.0, (unsigned long long)ph.frames_unnamed);
	}
	if (m[FLAMED_METRIC_HS_FRAMES] || log_get_level() >= LOG_DEBUG) {
		struct hs_procs_stats hs =
			hs_procs__stats(runtimes__module(c->rt, FLAMED_RT_HOTSPOT));

		log_info("java: %llu JVMs, %llu unsupported; %llu Java frames shown (interpreted "
			 "%llu, C1 %llu, C2 %llu, inlined %llu, stubs %llu, native wrappers %llu); "
			 "walks cut: no code blob %llu, read faults %llu, bad frames %llu, "
			 "truncated %llu; deoptimized frames %llu; methods read %llu, unreadable "
			 "%llu; nmethods read %llu, unreadable %llu; frames whose code changed "
			 "before it was read %llu, of a JVM gone before %llu (locations unnamed "
			 "%llu); "
			 "caches %.1f MiB, started over %llu, over "
			 "the %u MiB budget %llu",
			 (unsigned long long)hs.processes, (unsigned long long)hs.unsupported,
			 (unsigned long long)bs->runtime_frames[FLAMED_RT_HOTSPOT],
			 (unsigned long long)hs.interpreted, (unsigned long long)hs.c1,
			 (unsigned long long)hs.c2, (unsigned long long)hs.inlined,
			 (unsigned long long)hs.stubs, (unsigned long long)hs.native,
			 (unsigned long long)m[FLAMED_METRIC_HS_NO_BLOB],
			 (unsigned long long)m[FLAMED_METRIC_HS_READ_FAULT],
			 (unsigned long long)m[FLAMED_METRIC_HS_BAD_FRAME],
			 (unsigned long long)m[FLAMED_METRIC_HS_TRUNCATED],
			 (unsigned long long)m[FLAMED_METRIC_HS_DEOPT],
			 (unsigned long long)hs.methods_read, (unsigned long long)hs.methods_failed,
			 (unsigned long long)hs.nmethods_read,
			 (unsigned long long)hs.nmethods_failed, (unsigned long long)hs.stale,
			 (unsigned long long)hs.gone, (unsigned long long)hs.frames_unnamed,
			 hs.cache_bytes / 1048576.0, (unsigned long long)hs.evictions,
			 HS_CACHE_BYTES >> 20, (unsigned long long)hs.over_budget);
	}
	log_startup(c);
	{
		struct session_costs now = session__costs(c);
		char line[256];

		session_costs__format(&now, NULL, line, sizeof(line));
		log_debug("after start-up: %s; resident now %.1f MiB", line,
			  resident_bytes() / 1048576.0);
	}
	for (int i = 0; i < FLAMED_METRIC__MAX; i++)
		log_debug("metric %s = %llu", sampler_metric_name(i), (unsigned long long)m[i]);
	log_debug("BPF maps %zu KiB, %zu stacks, %zu count keys",
		  sampler__map_bytes(c->sampler) / 1024, collector__nr_stacks(window),
		  collector__nr_keys(window));
}

void session__free(struct session *s)
{
	if (!s)
		return;
	command__stop(&s->cmd);
	kube__free(s->kube);		/* stops the kubelet thread */
	unwind_loader__free(s->unwind); /* stops its worker: nothing else uses the sampler */
	sampler__free(s->sampler);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->rt_timer_fd >= 0)
		close(s->rt_timer_fd);
	free(s->uproc);
	free(s->umaps);
	symbolizer__free(s->sym);
	proc_table__free(s->procs);
	runtimes__free(s->rt);
	free(s->rt_words);
	collector__free(s->coll);
	free(s);
}
