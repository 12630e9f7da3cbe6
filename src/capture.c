// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <bpf/libbpf.h>

#include "bpf/sampler.h"
#include "capture.h"
#include "cli.h"
#include "collect/builder.h"
#include "command.h"
#include "collect/collector.h"
#include "output/output.h"
#include "preflight.h"
#include "proc/proc_table.h"
#include "profile/profile.h"
#include "symbolize/symbolizer.h"
#include "unwind/unwind_loader.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

#define DRAIN_MS 1000 /* drain period: bounds BPF map sizes (sampler.c) */

struct capture {
	const struct config *cfg;
	struct sampler *sampler;
	struct collector *coll;
	struct proc_table *procs;
	struct symbolizer *sym;
	struct unwind_loader *unwind;	  /* NULL with --unwind fp */
	struct flamed_unwind_proc *uproc; /* scratch for one process's description */
	struct unwind_loader_mapping *umaps;
	struct cli_output outputs[CLI_MAX_OUTPUTS];
	char default_paths[2][512];
	int nr_outputs;
	struct command cmd; /* the command after "--", if any */
	bool interrupted;
	int epoll_fd, signal_fd, tick_fd, deadline_fd;
	sigset_t old_mask;
	uint64_t start_mono_ns;
	int64_t start_wall_ns;
	uint64_t elapsed_ns;
	bool progress_shown;
	int oom;
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

/* Describe a process's executable mappings to the BPF walker, loading their unwind tables. */
static void load_unwind(struct capture *c, const struct proc_entry *e, bool after_remap)
{
	size_t n = 0;
	int err;

	if (!c->unwind || !e->maps)
		return;
	for (size_t i = 0; i < e->maps->nr && n < FLAMED_UNWIND_MAX_MAPPINGS; i++) {
		const struct proc_map *m = &e->maps->maps[i];
		const struct proc_file *f = e->files[i];
		struct unwind_loader_mapping *um = &c->umaps[n++];
		int fd;

		*um = (struct unwind_loader_mapping){ .start = m->start, .end = m->end, .fd = -1 };
		if (!f || symbolizer__load_bias(c->sym, m, f, &um->load_bias))
			continue;
		/* held (not closed by the table's fd budget) until the description is made */
		fd = proc_file__hold(f);
		if (fd >= 0) {
			um->fd = fd;
			um->file_id = f;
		}
	}
	err = unwind_loader__describe(c->unwind, e->tgid, e->aspace, c->umaps, n, c->uproc);
	for (size_t i = 0; i < n; i++)
		if (c->umaps[i].fd >= 0)
			proc_file__release(c->umaps[i].file_id);
	/* a process whose code keeps escaping the snapshot (JIT) may ask again only in a second;
	 * a fresh one soon, as the dynamic loader maps its libraries right after exec */
	c->uproc->remap_after_ns = mono_ns() + (after_remap ? 1000000000ULL : 5000000ULL);
	if (!err)
		err = sampler__set_unwind_proc(c->sampler, e->tgid, c->uproc);
	for (uint32_t i = 0; !err && i < c->uproc->nr && log_get_level() >= LOG_DEBUG; i++)
		log_debug("unwind %u: %llx-%llx rows %u+%u", e->tgid,
			  (unsigned long long)c->uproc->m[i].start,
			  (unsigned long long)c->uproc->m[i].end, c->uproc->m[i].row_start,
			  c->uproc->m[i].row_count);
	if (err)
		log_debug("no unwind tables for %u: %s", e->tgid, strerror(-err));
}

static void on_proc_event(const struct flamed_proc_event *ev, void *ctx)
{
	struct capture *c = ctx;
	char comm[FLAMED_COMM_LEN + 1];
	struct proc_entry *e;

	if (ev->type == FLAMED_EVENT_EXIT) {
		/* the process table keeps its snapshot for symbolization; only tables go */
		if (c->unwind) {
			sampler__delete_unwind_proc(c->sampler, ev->tgid);
			unwind_loader__forget(c->unwind, ev->tgid);
		}
		return;
	}
	e = proc_table__find(c->procs, ev->tgid, ev->aspace);
	snprintf(comm, sizeof(comm), "%.*s", FLAMED_COMM_LEN, ev->comm);
	if (!e) {
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
}

static int on_stack(uint64_t hash, const struct flamed_stack *st, void *ctx)
{
	struct capture *c = ctx;

	return collector__add_stack(c->coll, hash, st);
}

static int on_count(const struct flamed_count_key *key, uint64_t count, void *ctx)
{
	struct capture *c = ctx;

	return collector__add_count(c->coll, key, count);
}

/* Output list: the user's, or flamed-HOST-TIME.svg + .pb.gz in the current directory. */
static int plan_outputs(struct capture *c)
{
	const struct config *cfg = c->cfg;
	char host[256] = "localhost", stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (cfg->nr_outputs) {
		memcpy(c->outputs, cfg->outputs, sizeof(cfg->outputs[0]) * cfg->nr_outputs);
		c->nr_outputs = cfg->nr_outputs;
	} else {
		gethostname(host, sizeof(host) - 1);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(c->default_paths[0], sizeof(c->default_paths[0]), "flamed-%s-%s.svg", host,
			 stamp);
		snprintf(c->default_paths[1], sizeof(c->default_paths[1]), "flamed-%s-%s.pb.gz",
			 host, stamp);
		c->outputs[0] = (struct cli_output){ c->default_paths[0], OUTPUT_SVG };
		c->outputs[1] = (struct cli_output){ c->default_paths[1], OUTPUT_PPROF_GZ };
		c->nr_outputs = 2;
	}
	for (int i = 0; i < c->nr_outputs; i++) {
		int err = output_check_writable(c->outputs[i].path);

		if (err) {
			log_error("cannot write '%s': %s", c->outputs[i].path, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int setup_loop(struct capture *c)
{
	const struct timespec period = { .tv_sec = DRAIN_MS / 1000,
					 .tv_nsec = (DRAIN_MS % 1000) * 1000000L };
	struct itimerspec tick = { .it_interval = period, .it_value = period };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int fds[4];

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	c->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	c->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (c->signal_fd < 0 || c->tick_fd < 0 || c->epoll_fd < 0)
		return -errno;
	if (timerfd_settime(c->tick_fd, 0, &tick, NULL))
		return -errno;
	if (c->cfg->duration_ns) {
		struct itimerspec dl = {
			.it_value = { .tv_sec = c->cfg->duration_ns / 1000000000ULL,
				      .tv_nsec = c->cfg->duration_ns % 1000000000ULL },
		};

		c->deadline_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (c->deadline_fd < 0 || timerfd_settime(c->deadline_fd, 0, &dl, NULL))
			return -errno;
	}
	fds[0] = c->signal_fd;
	fds[1] = c->tick_fd;
	fds[2] = sampler__event_fd(c->sampler);
	fds[3] = c->deadline_fd;
	for (int i = 0; i < 4; i++) {
		if (fds[i] < 0)
			continue;
		ev.data.fd = fds[i];
		if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev))
			return -errno;
	}
	return 0;
}

static void show_progress(struct capture *c, bool final)
{
	uint64_t m[FLAMED_METRIC__MAX];
	char el[32], total[32];

	if (!c->cfg->progress || !isatty(STDERR_FILENO))
		return;
	if (final) {
		if (c->progress_shown)
			fputs("\r\033[K", stderr);
		return;
	}
	if (sampler__read_metrics(c->sampler, m))
		return;
	format_duration((mono_ns() - c->start_mono_ns) / 1000000000ULL * 1000000000ULL, el,
			sizeof(el));
	if (c->cfg->duration_ns)
		format_duration(c->cfg->duration_ns, total, sizeof(total));
	else
		snprintf(total, sizeof(total), "command");
	fprintf(stderr, "\r\033[Kflamed: %s / %s, %llu samples, %zu processes (Ctrl-C to stop)", el,
		total, (unsigned long long)m[FLAMED_METRIC_COUNTED],
		(size_t)proc_table__stats(c->procs).processes);
	c->progress_shown = true;
}

/* Wait for the end of the capture, draining every tick. 0 or -errno. */
static int run_loop(struct capture *c)
{
	bool done = false;
	int err;

	while (!done) {
		struct epoll_event evs[8];
		int n = epoll_wait(c->epoll_fd, evs, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint64_t expirations;

			if (fd == c->signal_fd) {
				struct signalfd_siginfo si;

				while (read(c->signal_fd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD) {
						done |= command__reap(&c->cmd);
					} else {
						c->interrupted = true;
						done = true;
					}
				}
			} else if (fd == c->tick_fd) {
				if (read(c->tick_fd, &expirations, sizeof(expirations)) < 0)
					continue;
				err = sampler__drain(c->sampler, on_stack, on_count, c);
				if (err)
					return err;
				if (c->unwind) /* rows freed a tick ago are safe to reuse */
					unwind_loader__tick(c->unwind);
				show_progress(c, false);
			} else if (fd == c->deadline_fd) {
				done = true;
			} else {
				err = sampler__poll_events(c->sampler);
				if (err < 0)
					return err;
			}
		}
		if (c->oom)
			return c->oom;
	}
	return 0;
}

static void print_summary(struct capture *c, const uint64_t *m, const struct build_stats *bs)
{
	struct proc_table_stats ps = proc_table__stats(c->procs);
	uint64_t dropped = m[FLAMED_METRIC_COUNT_MAP_FULL], refused;
	double sym = bs->frames ? 100.0 * (bs->frames - bs->frames_unsymbolized) / bs->frames : 100;

	log_info("%llu samples, %zu processes, %llu dropped (count map full %llu)",
		 (unsigned long long)collector__samples(c->coll), collector__nr_processes(c->coll),
		 (unsigned long long)dropped, (unsigned long long)m[FLAMED_METRIC_COUNT_MAP_FULL]);
	log_info("stacks: %.1f%% of frames symbolized; stack map full %llu, kernel stack errors "
		 "%llu, user stack errors %llu, no user stack %llu, truncated %llu; processes "
		 "vanished before snapshot %llu, lost process events %llu",
		 sym, (unsigned long long)m[FLAMED_METRIC_STACK_MAP_FULL],
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
		  ps.files_over_cap + ps.opens_deferred;
	if (refused || log_get_level() >= LOG_DEBUG)
		log_info("process files: %llu opened, %llu could not be opened, %llu refused "
			 "(not the mapped file), %llu lost after closing (fd budget %llu), "
			 "%llu over the cap, %llu opens deferred; "
			 "maps re-reads throttled %llu, mappings over the cap %llu, "
			 "pids reused %llu, bad stat %llu, maps too big %llu",
			 (unsigned long long)ps.files_open, (unsigned long long)ps.files_failed,
			 (unsigned long long)ps.files_refused, (unsigned long long)ps.files_lost,
			 (unsigned long long)ps.fd_budget, (unsigned long long)ps.files_over_cap,
			 (unsigned long long)ps.opens_deferred,
			 (unsigned long long)ps.refreshes_throttled,
			 (unsigned long long)ps.mappings_dropped, (unsigned long long)ps.pid_reused,
			 (unsigned long long)ps.stat_bad, (unsigned long long)ps.maps_too_big);
	log_debug("process table: %llu processes, %llu files opened, %llu reopened, %llu closed "
		  "for the fd budget of %llu (peak %llu open), %llu re-reads",
		  (unsigned long long)ps.processes, (unsigned long long)ps.files_open,
		  (unsigned long long)ps.files_reopened, (unsigned long long)ps.files_closed,
		  (unsigned long long)ps.fd_budget, (unsigned long long)ps.fds_peak,
		  (unsigned long long)ps.refreshes);
	if (!collector__samples(c->coll))
		log_info("no samples: %s",
			 c->cfg->nr_pids || c->cfg->cmd
				 ? "the target used no CPU while sampled"
				 : "every CPU was idle (idle time is left out; --idle keeps it)");
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

		log_info("unwind tables: %llu binaries loaded, %llu released, %llu without CFI, "
			 "%llu did not fit; rows %.1f MiB at peak of %.1f MiB; built in %llu ms",
			 (unsigned long long)us.tables_loaded, (unsigned long long)us.tables_freed,
			 (unsigned long long)us.tables_failed, (unsigned long long)us.rows_full,
			 us.rows_peak * sizeof(struct flamed_unwind_row) / 1048576.0,
			 us.rows_cap * sizeof(struct flamed_unwind_row) / 1048576.0,
			 (unsigned long long)(us.build_ns / 1000000));
	}
	for (int i = 0; i < FLAMED_METRIC__MAX; i++)
		log_debug("metric %s = %llu", sampler_metric_name(i), (unsigned long long)m[i]);
	log_debug("BPF maps %zu KiB, %zu stacks, %zu count keys",
		  sampler__map_bytes(c->sampler) / 1024, collector__nr_stacks(c->coll),
		  collector__nr_keys(c->coll));
}

/* Build the profile, write every output, print the summary. Exit code. */
static int finish(struct capture *c)
{
	struct symbolizer_stats ss;
	uint64_t m[FLAMED_METRIC__MAX] = { 0 };
	struct build_stats bs = { 0 };
	struct profile *p = NULL;
	char host[256] = "localhost", dur[32], title[512], drops[256], quality[256];
	const char *comments[4];
	int err, rc = 0;

	sampler__read_metrics(c->sampler, m);
	gethostname(host, sizeof(host) - 1);
	format_duration(c->elapsed_ns, dur, sizeof(dur));
	snprintf(drops, sizeof(drops),
		 "flamed: dropped %llu (count map full); stack map full %llu, kernel stack errors "
		 "%llu, user stack errors %llu",
		 (unsigned long long)m[FLAMED_METRIC_COUNT_MAP_FULL],
		 (unsigned long long)m[FLAMED_METRIC_STACK_MAP_FULL],
		 (unsigned long long)m[FLAMED_METRIC_KSTACK_ERR],
		 (unsigned long long)m[FLAMED_METRIC_USTACK_ERR]);
	snprintf(title, sizeof(title), "flamed %s on %s, %s at %d Hz on %d CPUs, --unwind %s",
		 FLAMED_VERSION, host, dur, c->cfg->freq_hz, sampler__nr_cpus(c->sampler),
		 c->cfg->unwind_mode == FLAMED_UNWIND_FP      ? "fp"
		 : c->cfg->unwind_mode == FLAMED_UNWIND_DWARF ? "dwarf"
							      : "auto");
	comments[0] = title;
	comments[1] = drops;
	comments[2] = NULL;
	err = build_profile(c->coll, c->procs, c->sym,
			    &(struct build_opts){ .freq_hz = c->cfg->freq_hz,
						  .time_nanos = c->start_wall_ns,
						  .duration_nanos = (int64_t)c->elapsed_ns,
						  .comments = comments },
			    &p, &bs);
	if (err) {
		log_error("failed to build the profile: %s", strerror(-err));
		return 1;
	}
	ss = symbolizer__stats(c->sym);
	snprintf(quality, sizeof(quality),
		 "flamed: %llu frames, %llu unsymbolized; %llu ELF files parsed, %llu unreadable",
		 (unsigned long long)bs.frames, (unsigned long long)bs.frames_unsymbolized,
		 (unsigned long long)ss.elf_parsed, (unsigned long long)ss.elf_failed);
	profile__add_comment(p, quality);
	if (symbolizer__kernel_error(c->sym))
		log_warn("kernel symbols unavailable (%s): kernel frames are addresses",
			 strerror(-symbolizer__kernel_error(c->sym)));
	command__stop(&c->cmd); /* after symbolization, which may re-read its maps */

	snprintf(title, sizeof(title), "flamed on %s: %s at %d Hz, %llu samples, %llu dropped%s",
		 host, dur, c->cfg->freq_hz, (unsigned long long)collector__samples(c->coll),
		 (unsigned long long)m[FLAMED_METRIC_COUNT_MAP_FULL],
		 c->interrupted ? " (cut short)" : "");
	for (int i = 0; i < c->nr_outputs; i++) {
		const struct cli_output *o = &c->outputs[i];

		err = output_write_profile(p, o->path, o->fmt,
					   &(struct output_opts){ .title = title });
		if (err) {
			log_error("failed to write '%s': %s", o->path, strerror(-err));
			rc = 1;
			continue;
		}
		log_info("wrote %s (%s)", o->path, output_format_name(o->fmt));
	}
	print_summary(c, m, &bs);
	if (c->interrupted)
		log_info("capture cut short after %s", dur);
	if (c->cmd.exited) {
		if (WIFEXITED(c->cmd.status) && WEXITSTATUS(c->cmd.status))
			log_info("command exited with status %d", WEXITSTATUS(c->cmd.status));
		else if (WIFSIGNALED(c->cmd.status))
			log_info("command killed by signal %d", WTERMSIG(c->cmd.status));
	}
	profile__free(p);
	return rc;
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

static int start(struct capture *c)
{
	const struct config *cfg = c->cfg;
	const char *btf = preflight_btf_path();
	struct sampler_opts so = {
		.btf_path = strcmp(btf, "/sys/kernel/btf/vmlinux") ? btf : NULL,
		.freq_hz = cfg->freq_hz,
		.filter = cfg->nr_pids > 0 || cfg->cmd,
		.follow_forks = cfg->cmd != NULL,
		.include_idle = cfg->include_idle,
		.drain_ms = DRAIN_MS,
		.unwind_mode = cfg->unwind_mode,
	};
	int err, max_hz = 0, tgid;

	if (preflight_privileges()) {
		log_error("needs root, or CAP_BPF and CAP_PERFMON (try: sudo flamed ...)");
		return 1;
	}
	err = preflight_btf(btf);
	if (err) {
		log_error("kernel BTF not found at %s (%s); a kernel built with "
			  "CONFIG_DEBUG_INFO_BTF=y is needed",
			  btf, strerror(-err));
		return 1;
	}
	if (preflight_freq(cfg->freq_hz, &max_hz)) {
		log_error("-F %d is above kernel.perf_event_max_sample_rate (%d)", cfg->freq_hz,
			  max_hz);
		return 1;
	}
	for (int i = 0; i < cfg->nr_pids; i++) {
		if (preflight_pid(cfg->pids[i], &tgid)) {
			log_error("no such process: %d", cfg->pids[i]);
			return 1;
		}
	}
	if (plan_outputs(c))
		return 1;

	libbpf_set_print(libbpf_print);
	c->coll = collector__new();
	c->procs = proc_table__new();
	c->sym = symbolizer__new(NULL);
	if (!c->coll || !c->procs || !c->sym) {
		log_error("out of memory");
		return 1;
	}
	c->sampler = sampler__load(&so, on_proc_event, c);
	if (!c->sampler) {
		log_error("failed to load the BPF program: %s (run with -v for the verifier log)",
			  strerror(errno));
		return 1;
	}
	if (cfg->unwind_mode != FLAMED_UNWIND_FP) {
		uint32_t cap;
		struct flamed_unwind_row *rows = sampler__unwind_rows(c->sampler, &cap);

		c->unwind = unwind_loader__new(rows, cap);
		c->uproc = malloc(sizeof(*c->uproc));
		c->umaps = calloc(FLAMED_UNWIND_MAX_MAPPINGS, sizeof(*c->umaps));
		if (!c->unwind || !c->uproc || !c->umaps) {
			log_error("out of memory");
			return 1;
		}
	}
	for (int i = 0; i < cfg->nr_pids; i++) {
		preflight_pid(cfg->pids[i], &tgid);
		if (tgid != cfg->pids[i])
			log_info("%d is a thread of process %d: profiling the process",
				 cfg->pids[i], tgid);
		err = sampler__add_target(c->sampler, tgid);
		if (err) {
			log_error("failed to add target %d: %s", tgid, strerror(-err));
			return 1;
		}
	}
	if (cfg->cmd) {
		err = command__spawn(&c->cmd, cfg->cmd, &c->old_mask);
		if (!err)
			err = sampler__add_target(c->sampler, c->cmd.pid);
		if (err) {
			log_error("failed to start '%s': %s", cfg->cmd[0], strerror(-err));
			return 1;
		}
	}
	/* after the command is forked: it keeps the limit it was given (select() users) */
	raise_nofile();
	proc_table__set_fd_budget(c->procs, 0);
	err = sampler__attach(c->sampler);
	if (err) {
		log_error("failed to attach to cpu-clock perf events: %s", strerror(-err));
		return 1;
	}
	c->start_mono_ns = mono_ns();
	{
		struct timespec w;

		clock_gettime(CLOCK_REALTIME, &w);
		c->start_wall_ns = (int64_t)w.tv_sec * 1000000000LL + w.tv_nsec;
	}
	if (cfg->cmd) {
		err = command__release(&c->cmd);
		if (err) {
			log_error("cannot run '%s': %s", cfg->cmd[0], strerror(-err));
			return 127;
		}
	}
	return 0;
}

int capture_run(const struct config *cfg)
{
	struct capture c = { .cfg = cfg,
			     .cmd = { .go_fd = -1, .exec_fd = -1 },
			     .epoll_fd = -1,
			     .signal_fd = -1,
			     .tick_fd = -1,
			     .deadline_fd = -1 };
	sigset_t mask;
	int rc, err;

	/* signals arrive through signalfd; block them before any child exists */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &c.old_mask);

	rc = start(&c);
	if (rc)
		goto cleanup;
	err = setup_loop(&c);
	if (!err)
		err = run_loop(&c);
	c.elapsed_ns = mono_ns() - c.start_mono_ns;
	show_progress(&c, true);
	sampler__detach(c.sampler);
	if (!err)
		err = sampler__drain(c.sampler, on_stack, on_count, &c);
	if (!err)
		err = sampler__poll_events(c.sampler) < 0 ? -EIO : 0;
	if (err) {
		/* what was collected so far is still written */
		log_error("capture failed: %s; writing what was collected", strerror(-err));
	}
	rc = finish(&c);
	if (err && !rc)
		rc = 1;
cleanup:
	command__stop(&c.cmd);
	for (int *fd = &c.epoll_fd; fd <= &c.deadline_fd; fd++)
		if (*fd >= 0)
			close(*fd);
	sampler__free(c.sampler);
	unwind_loader__free(c.unwind);
	free(c.uproc);
	free(c.umaps);
	symbolizer__free(c.sym);
	proc_table__free(c.procs);
	collector__free(c.coll);
	sigprocmask(SIG_SETMASK, &c.old_mask, NULL);
	return rc;
}
