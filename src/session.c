// SPDX-License-Identifier: MIT
/* The pipeline's lifecycle (session.h): start-up in order (checks, the BPF program, the unwind
 * loader, targets, attach), the drain and process events, windows cut and built. What happens
 * when a process appears is in session_procs.c, the counters a run reports in session_stats.c. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "bpf/knames_prog.h"
#include "cli.h"
#include "collect/collector.h"
#include "command.h"
#include "kube.h"
#include "preflight.h"
#include "profile/profile.h"
#include "runtime/runtimes.h"
#include "session_internal.h"
#include "summary.h"
#include "symbolize/debuginfod_fetch.h"
#include "util/clock.h"
#include "util/log.h"

/* How long a one-shot run waits, before its only build, for debuginfod downloads in flight. */
#define SESSION_DEBUGINFOD_WAIT_MS 20000

/* --unwind-memory's default: 256 MiB, or an eighth of RAM on small hosts. */
static uint64_t default_unwind_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;

	return ram && ram / 8 < UNWIND_MEMORY_DEFAULT ? ram / 8 : UNWIND_MEMORY_DEFAULT;
}

static int on_stack(uint64_t hash, const struct flamed_stack *st, void *ctx)
{
	struct session *s = ctx;

	return collector__add_stack(s->coll, hash, st);
}

/* What names the runtime frames of key's user stack is read now, while the process surely
 * lives; samples: CPU samples of the key (the runtimes' per-kind counts), 0 for off-CPU waits. */
static void prefetch_runtime(struct session *s, const struct flamed_count_key *key,
			     uint64_t samples)
{
	const struct collector_stack *us;
	uint32_t stamp = 0;
	bool missing;
	size_t nw;

	us = key->user_stack ? collector__stack(s->coll, key->user_stack) : NULL;
	if (us && (us->flags & FLAMED_STACK_RUNTIME)) {
		nw = collector__runtime_words(s->coll, us, s->rt_words, FLAMED_RT_MAX_WORDS,
					      &missing);
		for (uint32_t i = 0; i < us->nr; i++) {
			if (FLAMED_RT_IS_MARK(us->ips[i])) {
				stamp = FLAMED_RT_MARK_STAMP(us->ips[i]);
				break;
			}
		}
		runtimes__prefetch(s->rt, key->tgid, key->aspace, s->rt_words, (uint32_t)nw, stamp,
				   samples);
	}
}

static int on_count(const struct flamed_count_key *key, uint64_t count, void *ctx)
{
	struct session *s = ctx;

	prefetch_runtime(s, key, count);
	return collector__add_count(s->coll, key, count);
}

static int on_offcpu(const struct flamed_count_key *key, uint64_t ns, void *ctx)
{
	struct session *s = ctx;

	prefetch_runtime(s, key, 0);
	return collector__add_offcpu(s->coll, key, ns);
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

/* One fd for the front ends' loops: readable when process events, finished unwind builds, the
 * kubelet's news or the runtime retry timer wait (session__poll_events handles them). */
static int make_epoll(struct session *s)
{
	struct epoll_event ev = { .events = EPOLLIN };

	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0)
		return -errno;
	ev.data.fd = sampler__event_fd(s->sampler);
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	if (s->unwind) {
		ev.data.fd = unwind_loader__fd(s->unwind);
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	if (kube__fd(s->kube) >= 0) {
		ev.data.fd = kube__fd(s->kube);
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	s->rt_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->rt_timer_fd < 0)
		return -errno;
	ev.data.fd = s->rt_timer_fd;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	return 0;
}

/* The parts of a session that need no privilege: the window, the process table, the
 * symbolizer (and its debuginfod thread), CPython's state. Logs what failed. */
static int session_new(const struct config *cfg, struct session **ret)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s) {
		log_error("out of memory");
		return -ENOMEM;
	}
	*ret = s;
	s->cfg = cfg;
	s->epoll_fd = -1;
	s->rt_timer_fd = -1;
	s->cmd = (struct command){ .go_fd = -1, .exec_fd = -1 };
	s->coll = collector__new();
	s->procs = proc_table__new();
	s->sym = symbolizer__new(NULL);
	if (s->sym)
		symbolizer__set_long_lived(s->sym, cfg->daemon);
	s->rt = session__new_runtimes(cfg);
	s->rt_words = calloc(FLAMED_RT_MAX_WORDS, sizeof(*s->rt_words));
	if (!s->coll || !s->procs || !s->sym || !s->rt || !s->rt_words) {
		log_error("out of memory");
		return -ENOMEM;
	}
	if (cfg->debuginfod || (getenv("DEBUGINFOD_URLS") && *getenv("DEBUGINFOD_URLS"))) {
		/* before other threads start: it may set DEBUGINFOD_* in the environment */
		if (dfetch__configure())
			log_warn("--debuginfod: no server (set DEBUGINFOD_URLS): not fetching");
		else if (symbolizer__enable_debuginfod(s->sym))
			log_warn("--debuginfod: cannot start its thread: %s", strerror(errno));
	}
	return 0;
}

/* knames_ask_fn: the kernel-names program's answer for addr */
static int ask_kernel(void *ctx, uint64_t addr, const char **ret_text, size_t *ret_len)
{
	return knames_prog__run(ctx, addr, ret_text, ret_len);
}

/* Load the BPF program (maps sized for cfg) and, while the capabilities to load BPF are held,
 * the kernel-names program, whose runs need none. */
static int load_bpf(struct session *s, uint64_t unwind_memory)
{
	const struct config *cfg = s->cfg;
	const char *btf = preflight_btf_path();
	struct sampler_opts so = {
		.btf_path = strcmp(btf, "/sys/kernel/btf/vmlinux") ? btf : NULL,
		.freq_hz = cfg->freq_hz,
		.filter = cfg->nr_pids > 0 || cfg->cmd,
		.follow_forks = cfg->cmd != NULL,
		.include_idle = cfg->include_idle,
		.drain_ms = SESSION_DRAIN_MS,
		.unwind_mode = cfg->unwind_mode,
		.unwind_memory = unwind_memory,
		.explain_failure = log_get_level() >= LOG_DEBUG,
		.off_cpu = cfg->off_cpu,
		.off_cpu_threshold_ns = cfg->off_cpu_threshold_ns,
		.off_cpu_walks = cfg->off_cpu_walks,
	};
	int err;

	/* the kubelet's first list runs while the program loads */
	err = kube__new(cfg, &s->kube, &so.cgroup_filter);
	if (err)
		return err;
	s->sampler = sampler__load(&so, session__on_proc_event, s);
	if (!s->sampler) {
		err = -errno;
		log_error("failed to load the BPF program: %s (run with -v for the verifier log)",
			  strerror(errno));
		return err;
	}
	s->knames = knames_prog__load();
	if (!s->knames)
		log_debug("kernel names from /proc/kallsyms: the kernel's own lookup is not "
			  "available (%s)",
			  strerror(errno));
	else if (symbolizer__use_kernel_lookup(s->sym, ask_kernel, s->knames))
		return -ENOMEM;
	return 0;
}

/* The -p processes, and the command after "--" (forked stopped, with child_mask). */
static int add_targets(struct session *s, const sigset_t *child_mask)
{
	const struct config *cfg = s->cfg;
	int err, tgid;

	for (int i = 0; i < cfg->nr_pids; i++) {
		preflight_pid(cfg->pids[i], &tgid);
		if (tgid != cfg->pids[i])
			log_info("%d is a thread of process %d: profiling the process",
				 cfg->pids[i], tgid);
		err = sampler__add_target(s->sampler, tgid);
		if (err) {
			log_error("failed to add target %d: %s", tgid, strerror(-err));
			return err;
		}
	}
	if (cfg->cmd) {
		err = command__spawn(&s->cmd, cfg->cmd, child_mask);
		if (!err)
			err = sampler__add_target(s->sampler, s->cmd.pid);
		if (err) {
			log_error("failed to start '%s': %s", cfg->cmd[0], strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Attach the perf events: sampling starts. What start-up cost is noted (and logged with -v). */
static int attach(struct session *s, uint64_t wall0)
{
	struct sampler_load_stats ls;
	int err;

	/* after the command is forked: it keeps the limit it was given (select() users) */
	raise_nofile();
	proc_table__set_fd_budget(s->procs, 0);
	err = sampler__attach(s->sampler);
	if (err) {
		log_error("failed to attach to cpu-clock perf events: %s", strerror(-err));
		return err;
	}
	/* libbpf parsed the kernel's BTF (several MB) to load the program: give that memory back,
	 * so a daemon's resident size is what it uses, not its start-up peak */
	malloc_trim(0);
	s->costs.startup_cpu_ns = process_cpu_ns();
	s->costs.startup_wall_ns = mono_ns() - wall0;
	s->costs.startup_rss = session_resident_bytes();
	ls = sampler__load_stats(s->sampler);
	summary_log_startup(&s->costs, &ls);
	s->start_wall_ns = wall_ns();
	return 0;
}

int session__start(const struct config *cfg, const sigset_t *child_mask,
		   struct session **ret_session)
{
	uint64_t wall0 = mono_ns(), unwind_memory;
	struct session *s = NULL;
	int err;

	err = preflight_check(cfg);
	if (err)
		return err;
	unwind_memory = cfg->unwind_memory ? cfg->unwind_memory : default_unwind_memory();
	err = session_new(cfg, &s);
	if (!err)
		err = load_bpf(s, unwind_memory);
	if (!err)
		err = session__start_unwind(s, unwind_memory);
	if (!err) {
		err = make_epoll(s);
		if (err)
			log_error("epoll: %s", strerror(-err));
		else
			kube__start(s->kube, s->sampler);
	}
	if (!err)
		err = add_targets(s, child_mask);
	if (!err)
		err = attach(s, wall0);
	if (!err && cfg->cmd) {
		err = command__release(&s->cmd);
		if (err) {
			log_error("cannot run '%s': %s", cfg->cmd[0], strerror(-err));
			err = SESSION_ERR_COMMAND;
		}
	}
	if (err) {
		session__free(s);
		return err;
	}
	*ret_session = s;
	return 0;
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
		session__runtime_retry(s);
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
		session__runtime_retry(s);
	err = sampler__drain(s->sampler, on_stack, on_count, on_offcpu, s);

	s->costs.drain_cpu_ns += process_cpu_ns() - t0;
	s->costs.drains++;
	/* JIT names are read while the process lives: it may be gone when its window is built */
	proc_table__poll_jit(s->procs);
	/* processes that exited and that no window holds samples of: gone at once */
	if (!err && proc_table__reap(s->procs, in_some_window, s))
		session__sweep_runtimes(s);
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

void session__end_window(struct session *s)
{
	proc_table__sweep(s->procs);
	session__sweep_runtimes(s);
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
	knames_prog__free(s->knames); /* after the symbolizer, which runs it */
	proc_table__free(s->procs);
	runtimes__free(s->rt);
	free(s->rt_words);
	collector__free(s->coll);
	free(s);
}
