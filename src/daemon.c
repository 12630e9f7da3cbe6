// SPDX-License-Identifier: MIT
/* The daemon front end: the session's loop (session_loop.h: signals, the 1 s drain tick,
 * process events) with the window timer and the upload loop. At each window's end the window is
 * cut (a new collector starts at once), built while the drain keeps running (the builder yields
 * to it), encoded once and handed to every sink. SIGTERM/SIGINT (or the command's exit) export the
 * last, partial window and give the servers SINKS_FLUSH_MS before exiting 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "cli.h"
#include "collect/builder.h"
#include "collect/collector.h"
#include "command.h"
#include "daemon.h"
#include "output/output.h"
#include "privileges.h"
#include "session.h"
#include "session_loop.h"
#include "sinks.h"
#include "stats_json.h"
#include "summary.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

struct daemon {
	const struct config *cfg;
	struct session *s;
	struct sinks *sinks;
	struct session_loop loop;
	int window_fd;
	sigset_t old_mask;
	int64_t window_start_wall_ns;
	uint64_t window_start_mono_ns;
	uint64_t prev_m[FLAMED_METRIC__MAX]; /* counters at the previous window's end */
	uint64_t windows;
	struct session_costs prev_costs;     /* at the previous window's end */
	int err;			     /* a drain or event error met while building (yield) */
	uint64_t samples;		     /* in every window so far (--stats-json) */
	struct build_stats build;	     /* of every window so far */
	struct stats_window last;	     /* the last window built (number 0: none yet) */
	uint64_t last_m[FLAMED_METRIC__MAX]; /* the counters at its end */
	struct output_opts stats_opts;	     /* --stats-json's mode and owner */
	bool stats_failed;		     /* a failed --stats-json write was said once */
};

/* The loop over the session, with the window timer and the upload loop's fd. 0 or -errno. */
static int setup_loop(struct daemon *d)
{
	const struct timespec win = { .tv_sec = d->cfg->interval_ns / 1000000000ULL,
				      .tv_nsec = d->cfg->interval_ns % 1000000000ULL };
	struct itimerspec t = { .it_interval = win, .it_value = win };
	int err = session_loop__init(&d->loop, d->s);

	if (err)
		return err;
	d->window_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->window_fd < 0 || timerfd_settime(d->window_fd, 0, &t, NULL))
		return -errno;
	err = session_loop__add(&d->loop, d->window_fd);
	if (!err)
		err = session_loop__add(&d->loop, sinks__fd(d->sinks));
	return err;
}

/* A drain due while a window is being built: the BPF maps are sized for one second. */
static void on_yield(void *ctx)
{
	struct daemon *d = ctx;
	int err = 0;

	if (session_loop__take_tick(&d->loop))
		err = session__drain(d->s);
	if (!err)
		err = session__poll_events(d->s);
	if (err && !d->err)
		d->err = err;
	sinks__process(d->sinks);
}

static void add_build_stats(struct build_stats *sum, const struct build_stats *bs)
{
	sum->samples += bs->samples;
	sum->frames += bs->frames;
	sum->frames_unsymbolized += bs->frames_unsymbolized;
	sum->frames_by_start += bs->frames_by_start;
	sum->stacks_missing += bs->stacks_missing;
	sum->no_user_stack += bs->no_user_stack;
	for (int i = 0; i < FLAMED_RT_KINDS; i++)
		sum->runtime_frames[i] += bs->runtime_frames[i];
	sum->runtime_missing += bs->runtime_missing;
	sum->symbolize_ns += bs->symbolize_ns;
}

/* --stats-json: the window just built into d->last (m: the counters now, before log_window moves
 * prev_m and prev_costs on), and the run's sums. */
static void note_window(struct daemon *d, const struct collector *w, const uint64_t *m,
			const struct build_stats *bs, int64_t start, int64_t end, size_t nr_series)
{
	struct session_costs now = session__costs(d->s);

	d->samples += collector__samples(w);
	add_build_stats(&d->build, bs);
	memcpy(d->last_m, m, sizeof(d->last_m));
	d->last = (struct stats_window){
		.number = d->windows,
		.start_ns = start,
		.end_ns = end,
		.samples = collector__samples(w),
		.processes = collector__nr_processes(w),
		.series = nr_series,
		.stacks = collector__nr_stacks(w),
		.count_keys = collector__nr_keys(w),
		.build = *bs,
		.count_map_full =
			m[FLAMED_METRIC_COUNT_MAP_FULL] - d->prev_m[FLAMED_METRIC_COUNT_MAP_FULL],
		.stack_map_full =
			m[FLAMED_METRIC_STACK_MAP_FULL] - d->prev_m[FLAMED_METRIC_STACK_MAP_FULL],
		.proc_event_lost =
			m[FLAMED_METRIC_PROC_EVENT_LOST] - d->prev_m[FLAMED_METRIC_PROC_EVENT_LOST],
		/* the first window leaves the start-up out, as its status line does */
		.cost = summary_costs_since(&now, d->windows > 1 ? &d->prev_costs : NULL),
	};
}

/* Write --stats-json: the run so far and the last window; final: after the sinks' last flush. */
static void write_stats(struct daemon *d, bool final)
{
	struct sinks_entry sinks[SINKS_MAX];
	struct session_stats st;
	struct stats_report r;
	int err;

	if (!d->cfg->stats_json || !d->last.number)
		return;
	session__stats(d->s, NULL, d->last_m, &d->build, false, &st);
	st.samples = d->samples;
	r = (struct stats_report){
		.cfg = d->cfg,
		.daemon = true,
		.nr_cpus = session__nr_cpus(d->s),
		.start_ns = session__start_wall_ns(d->s),
		.time_ns = wall_ns(),
		.final = final,
		.run = &st,
		.window = &d->last,
		.sinks = sinks,
		.nr_sinks = sinks__stats(d->sinks, sinks, SINKS_MAX),
	};
	err = stats_json_write(d->cfg->stats_json, &r, &d->stats_opts);
	if (err && !d->stats_failed)
		log_warn("failed to write '%s': %s (the daemon goes on)", d->cfg->stats_json,
			 output_strerror(err));
	d->stats_failed = err != 0;
}

/* One line per window: what was sampled and lost in it, and where the sinks stand. */
static void log_window(struct daemon *d, const struct collector *w, const uint64_t *m,
		       uint64_t dur_ns, size_t nr_series)
{
	uint64_t delta[FLAMED_METRIC__MAX];
	struct session_costs now = session__costs(d->s);
	char dur[32], sinks[1024], cost[256];

	for (int i = 0; i < FLAMED_METRIC__MAX; i++)
		delta[i] = m[i] - d->prev_m[i];
	format_duration(dur_ns, dur, sizeof(dur));
	sinks__status(d->sinks, sinks, sizeof(sinks));
	/* the first window's CPU leaves the start-up out (-v logs it when sampling starts) */
	summary_format_costs(&now, d->windows > 1 ? &d->prev_costs : NULL, cost, sizeof(cost));
	d->prev_costs = now;
	log_info("window %llu (%s): %llu samples, %zu processes, %zu series; dropped %llu (count "
		 "map "
		 "full), stack map full %llu, lost process events %llu; %s; %s",
		 (unsigned long long)d->windows, dur, (unsigned long long)collector__samples(w),
		 collector__nr_processes(w), nr_series,
		 (unsigned long long)delta[FLAMED_METRIC_COUNT_MAP_FULL],
		 (unsigned long long)delta[FLAMED_METRIC_STACK_MAP_FULL],
		 (unsigned long long)delta[FLAMED_METRIC_PROC_EVENT_LOST], sinks, cost);
	memcpy(d->prev_m, m, sizeof(d->prev_m));
}

/* Cut the window, build it, hand it to the sinks. final: the last one (sampling stopped). */
static int end_window(struct daemon *d, bool final)
{
	uint64_t m[FLAMED_METRIC__MAX] = { 0 }, now = mono_ns(),
		 dur = now - d->window_start_mono_ns;
	int64_t start = d->window_start_wall_ns, end = wall_ns();
	struct build_series *series = NULL;
	struct summary_comments sc;
	struct build_stats bs;
	struct collector *w;
	size_t nr = 0;
	int err;

	/* the window holds everything sampled until now */
	err = session__drain(d->s);
	if (err)
		return err;
	w = session__cut(d->s);
	if (!w)
		return -ENOMEM;
	d->window_start_mono_ns = now;
	d->window_start_wall_ns = end;
	d->windows++;
	session__metrics(d->s, m);
	summary_comments(d->cfg, session__nr_cpus(d->s), m, dur, &sc);
	err = session__build(
		d->s, w,
		&(struct build_opts){ .freq_hz = d->cfg->freq_hz,
				      .time_nanos = start,
				      .duration_nanos = end - start,
				      .comments = sc.list,
				      .by_process = d->cfg->series_by_process,
				      .sets = sinks__sets(d->sinks, session__has_pods(d->s)),
				      .yield = final ? NULL : on_yield,
				      .yield_ctx = d },
		&series, &nr, &bs);
	if (err) {
		log_error("window %llu: failed to build the profile: %s",
			  (unsigned long long)d->windows, strerror(-err));
	} else {
		uint64_t t0 = process_cpu_ns();

		/* a sink's refusal is logged by it, and counted; the daemon goes on */
		sinks__export(d->sinks, series, nr, start, end);
		session__add_encode_cost(d->s, process_cpu_ns() - t0);
		note_window(d, w, m, &bs, start, end, nr);
		if (!final)
			write_stats(d, false);
		log_window(d, w, m, dur, nr);
	}
	build_series__free(series, nr);
	collector__free(w);
	session__end_window(d->s);
	err = d->err;
	d->err = 0;
	return err;
}

/* At exit: what the naming caches did over the run (summary.h). */
static void log_names(struct daemon *d)
{
	uint64_t m[FLAMED_METRIC__MAX] = { 0 };
	struct build_stats none = { 0 };
	struct session_stats st;

	session__metrics(d->s, m);
	session__stats(d->s, NULL, m, &none, false, &st);
	summary_log_names(&st);
}

static int on_fd(void *ctx, int fd)
{
	struct daemon *d = ctx;
	uint64_t expirations;

	if (fd == d->window_fd)
		return read(d->window_fd, &expirations, sizeof(expirations)) > 0
			       ? end_window(d, false)
			       : 0;
	return sinks__process(d->sinks);
}

static int sinks_timeout(void *ctx)
{
	struct daemon *d = ctx;

	return sinks__timeout_ms(d->sinks);
}

/* a libcurl timer or a retry is due */
static int sinks_due(void *ctx)
{
	struct daemon *d = ctx;

	sinks__process(d->sinks);
	return 0;
}

int daemon_run(const struct config *cfg)
{
	struct daemon d = { .cfg = cfg,
			    .loop = { .epoll_fd = -1, .signal_fd = -1, .tick_fd = -1 },
			    .window_fd = -1 };
	const char *paths[SINKS_MAX_DIRS + 1];
	size_t nr_paths;
	char every[32];
	sigset_t mask;
	int rc = 1, err;

	/* signals arrive through signalfd; block them before any child exists */
	session_signal_mask(&mask);
	sigprocmask(SIG_BLOCK, &mask, &d.old_mask);

	/* credentials and spool directories are read before privileges are dropped */
	if (sinks__new(cfg, &d.sinks))
		goto cleanup;
	/* --output-owner (checked by sinks__new) keeps CAP_CHOWN for the files of --output-dir */
	d.stats_opts = (struct output_opts){ .has_mode = cfg->has_output_mode,
					     .mode = (mode_t)cfg->output_mode };
	if (cfg->output_owner &&
	    !output_parse_owner(cfg->output_owner, &d.stats_opts.uid, &d.stats_opts.gid))
		d.stats_opts.has_owner = true;
	if (cfg->stats_json && strcmp(cfg->stats_json, "-")) {
		err = output_check_writable(cfg->stats_json, &d.stats_opts);
		if (err) {
			log_error("cannot write '%s': %s", cfg->stats_json, output_strerror(err));
			goto cleanup;
		}
	}
	err = session__start(cfg, &d.old_mask, &d.s);
	if (err) {
		rc = err == SESSION_ERR_COMMAND ? 127 : 1;
		goto cleanup;
	}
	d.window_start_mono_ns = mono_ns();
	d.window_start_wall_ns = session__start_wall_ns(d.s);
	nr_paths = sinks__dirs(d.sinks, paths, SINKS_MAX_DIRS);
	if (cfg->stats_json && strcmp(cfg->stats_json, "-"))
		paths[nr_paths++] = cfg->stats_json;
	err = privileges_drop_for_run(cfg->cmd != NULL, paths, nr_paths, &d.stats_opts);
	if (err) {
		log_error("cannot drop privileges: %s", strerror(-err));
		goto cleanup;
	}
	err = setup_loop(&d);
	if (err) {
		log_error("cannot set up the event loop: %s", strerror(-err));
		goto cleanup;
	}
	format_duration(cfg->interval_ns, every, sizeof(every));
	log_info("profiling %s at %d Hz, a profile every %s (SIGTERM or Ctrl-C to stop)",
		 cfg->cmd	? cfg->cmd[0]
		 : cfg->nr_pids ? "the given processes"
				: "the whole host",
		 cfg->freq_hz, every);
	err = session_loop__run(&d.loop, &(struct session_loop_ops){ .fd = on_fd,
								     .timeout_ms = sinks_timeout,
								     .idle = sinks_due,
								     .ctx = &d });
	if (err)
		log_error("sampling failed: %s; sending what was collected", strerror(-err));
	/* the last, partial window */
	session__stop_sampling(d.s);
	session__poll_events(d.s);
	err = end_window(&d, true) || err;
	command__stop(session__command(d.s));
	log_names(&d);
	session__log_kube(d.s);
	sinks__finish(d.sinks, SINKS_FLUSH_MS);
	write_stats(&d, true);
	rc = err ? 1 : 0;
cleanup:
	session__free(d.s);
	sinks__free(d.sinks);
	session_loop__close(&d.loop);
	if (d.window_fd >= 0)
		close(d.window_fd);
	sigprocmask(SIG_SETMASK, &d.old_mask, NULL);
	return rc;
}
