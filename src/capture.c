// SPDX-License-Identifier: MIT
/* The --once front end: one window, from attach to the deadline (or the command's exit, or
 * Ctrl-C), written to the -o files (and to the sinks, when some are given). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "capture.h"
#include "cli.h"
#include "collect/builder.h"
#include "collect/collector.h"
#include "command.h"
#include "output/output.h"
#include "privileges.h"
#include "profile/profile.h"
#include "session.h"
#include "session_loop.h"
#include "sinks.h"
#include "stats_json.h"
#include "summary.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

/* A file to write: the user's (or a default), or with --off-cpu the off-CPU twin of a flame
 * graph or folded file. */
struct capture_output {
	const char *path;
	enum output_format fmt;
	const char *sample_type; /* NULL: the CPU view; PROFILE_OFFCPU_TYPE: the off-CPU one */
};

#define CAPTURE_MAX_OUTPUTS (2 * CLI_MAX_OUTPUTS + 3)

struct capture {
	const struct config *cfg;
	struct session *s;
	struct sinks *sinks; /* NULL without --output-dir / --pyroscope / --parca */
	struct capture_output outputs[CAPTURE_MAX_OUTPUTS];
	struct output_opts out_opts; /* mode and owner of the files written */
	char default_paths[2][512];
	char offcpu_paths[CLI_MAX_OUTPUTS + 2][4096]; /* the off-CPU twins' names */
	int nr_outputs;
	struct session_loop loop;
	int deadline_fd;
	sigset_t old_mask;
	uint64_t start_mono_ns;
	uint64_t elapsed_ns;
	bool progress_shown;
};

/* X.svg -> X.offcpu.svg, X.folded -> X.offcpu.folded: the name of a graph's off-CPU twin. */
static void offcpu_twin(const char *path, char *out, size_t len)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (!dot || (slash && dot < slash))
		snprintf(out, len, "%s.offcpu", path);
	else
		snprintf(out, len, "%.*s.offcpu%s", (int)(dot - path), path, dot);
}

/* With --off-cpu, a flame graph and a folded file get an off-CPU twin (pprof files hold both
 * sample types). */
static void plan_offcpu_twins(struct capture *c)
{
	int n = c->nr_outputs, t = 0;

	for (int i = 0; i < n && c->nr_outputs < CAPTURE_MAX_OUTPUTS; i++) {
		const struct capture_output *o = &c->outputs[i];

		if (o->fmt != OUTPUT_SVG && o->fmt != OUTPUT_FOLDED)
			continue;
		offcpu_twin(o->path, c->offcpu_paths[t], sizeof(c->offcpu_paths[t]));
		c->outputs[c->nr_outputs++] = (struct capture_output){ c->offcpu_paths[t++], o->fmt,
								       PROFILE_OFFCPU_TYPE };
	}
}

/* Output list: the user's, or flamed-HOST-TIME.svg + .pb.gz in the current directory. */
static int plan_outputs(struct capture *c)
{
	const struct config *cfg = c->cfg;
	char host[256] = "localhost", stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (cfg->nr_outputs || c->sinks) {
		for (int i = 0; i < cfg->nr_outputs; i++)
			c->outputs[i] = (struct capture_output){ cfg->outputs[i].path,
								 cfg->outputs[i].fmt, NULL };
		c->nr_outputs = cfg->nr_outputs;
	} else {
		gethostname(host, sizeof(host) - 1);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(c->default_paths[0], sizeof(c->default_paths[0]), "flamed-%s-%s.svg", host,
			 stamp);
		snprintf(c->default_paths[1], sizeof(c->default_paths[1]), "flamed-%s-%s.pb.gz",
			 host, stamp);
		c->outputs[0] = (struct capture_output){ c->default_paths[0], OUTPUT_SVG, NULL };
		c->outputs[1] =
			(struct capture_output){ c->default_paths[1], OUTPUT_PPROF_GZ, NULL };
		c->nr_outputs = 2;
	}
	if (cfg->off_cpu)
		plan_offcpu_twins(c);
	c->out_opts = (struct output_opts){ .has_mode = cfg->has_output_mode,
					    .mode = (mode_t)cfg->output_mode };
	if (cfg->output_owner) {
		int err = output_parse_owner(cfg->output_owner, &c->out_opts.uid, &c->out_opts.gid);

		if (err) {
			log_error("invalid --output-owner '%s': %s", cfg->output_owner,
				  err == -ENOENT ? "no such user or group" : "use USER[:GROUP]");
			return err;
		}
		c->out_opts.has_owner = true;
	}
	for (int i = 0; i < c->nr_outputs; i++) {
		int err = output_check_writable(c->outputs[i].path, &c->out_opts);

		if (err) {
			log_error("cannot write '%s': %s", c->outputs[i].path,
				  output_strerror(err));
			return err;
		}
	}
	if (cfg->stats_json && strcmp(cfg->stats_json, "-")) {
		int err = output_check_writable(cfg->stats_json, &c->out_opts);

		if (err) {
			log_error("cannot write '%s': %s", cfg->stats_json, output_strerror(err));
			return err;
		}
	}
	return 0;
}

/* --stats-json: the capture's counters, its one window, the sinks'. 0 or -errno (logged). */
static int write_stats(struct capture *c, const struct session_stats *st, size_t nr_series)
{
	struct sinks_entry sinks[SINKS_MAX];
	int64_t start = session__start_wall_ns(c->s);
	struct stats_window w = {
		.number = 1,
		.start_ns = start,
		.end_ns = start + (int64_t)c->elapsed_ns,
		.samples = st->samples,
		.processes = st->processes,
		.series = nr_series,
		.stacks = st->stacks,
		.count_keys = st->count_keys,
		.build = st->build,
		.count_map_full = st->metrics[FLAMED_METRIC_COUNT_MAP_FULL],
		.stack_map_full = st->metrics[FLAMED_METRIC_STACK_MAP_FULL],
		.proc_event_lost = st->metrics[FLAMED_METRIC_PROC_EVENT_LOST],
		.cost = summary_costs_since(&st->costs, NULL),
	};
	struct stats_report r = {
		.cfg = c->cfg,
		.nr_cpus = session__nr_cpus(c->s),
		.start_ns = start,
		.time_ns = wall_ns(),
		.final = true,
		.run = st,
		.window = &w,
		.sinks = sinks,
		.nr_sinks = sinks__stats(c->sinks, sinks, SINKS_MAX),
	};
	int err = stats_json_write(c->cfg->stats_json, &r, &c->out_opts);

	if (err)
		log_error("failed to write '%s': %s", c->cfg->stats_json, output_strerror(err));
	return err;
}

/* The loop over the session, with the deadline (--once DURATION). 0 or -errno. */
static int setup_loop(struct capture *c)
{
	int err = session_loop__init(&c->loop, c->s);

	if (!err && c->cfg->duration_ns) {
		struct itimerspec dl = {
			.it_value = { .tv_sec = c->cfg->duration_ns / 1000000000ULL,
				      .tv_nsec = c->cfg->duration_ns % 1000000000ULL },
		};

		c->deadline_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (c->deadline_fd < 0 || timerfd_settime(c->deadline_fd, 0, &dl, NULL))
			return -errno;
		err = session_loop__add(&c->loop, c->deadline_fd);
	}
	return err;
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
	if (session__metrics(c->s, m))
		return;
	format_duration((mono_ns() - c->start_mono_ns) / 1000000000ULL * 1000000000ULL, el,
			sizeof(el));
	if (c->cfg->duration_ns)
		format_duration(c->cfg->duration_ns, total, sizeof(total));
	else
		snprintf(total, sizeof(total), "command");
	fprintf(stderr, "\r\033[Kflamed: %s / %s, %llu samples, %zu processes (Ctrl-C to stop)", el,
		total, (unsigned long long)m[FLAMED_METRIC_COUNTED], session__nr_processes(c->s));
	c->progress_shown = true;
}

static int on_tick(void *ctx)
{
	show_progress(ctx, false);
	return 0;
}

static int on_fd(void *ctx, int fd)
{
	struct capture *c = ctx;

	return fd == c->deadline_fd; /* the end of the capture */
}

/* Build the profile of window, write every output, hand it to the sinks, print the summary.
 * Exit code. */
static int finish(struct capture *c, const struct collector *window)
{
	uint64_t m[FLAMED_METRIC__MAX] = { 0 };
	struct build_stats bs = { 0 };
	struct build_series *series = NULL;
	struct summary_comments sc;
	struct session_stats st;
	struct command *cmd = session__command(c->s);
	char host[256] = "localhost", dur[32], title[512], offcpu_title[512];
	size_t nr = 0;
	uint64_t t0;
	unsigned int sets;
	int err, rc = 0;

	session__metrics(c->s, m);
	summary_comments(c->cfg, session__nr_cpus(c->s), m, c->elapsed_ns, &sc);
	gethostname(host, sizeof(host) - 1);
	format_duration(c->elapsed_ns, dur, sizeof(dur));
	/* the -o files take the base series, the sinks what they need */
	sets = BUILD_SET_BASE | sinks__sets(c->sinks, session__has_pods(c->s));
	err = session__build(c->s, window,
			     &(struct build_opts){ .freq_hz = c->cfg->freq_hz,
						   .time_nanos = session__start_wall_ns(c->s),
						   .duration_nanos = (int64_t)c->elapsed_ns,
						   .comments = sc.list,
						   .sets = sets },
			     &series, &nr, &bs);
	if (err) {
		log_error("failed to build the profile: %s", strerror(-err));
		return 1;
	}
	command__stop(cmd); /* after symbolization, which may re-read its maps */

	snprintf(title, sizeof(title), "flamed on %s: %s at %d Hz, %llu samples, %llu dropped%s",
		 host, dur, c->cfg->freq_hz, (unsigned long long)collector__samples(window),
		 (unsigned long long)m[FLAMED_METRIC_COUNT_MAP_FULL],
		 c->loop.interrupted ? " (cut short)" : "");
	snprintf(offcpu_title, sizeof(offcpu_title),
		 "flamed on %s: off-CPU time, %s, %.3f s of waits (%llu kept of %llu)%s", host, dur,
		 (double)collector__offcpu_ns(window) / 1e9,
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_KEPT],
		 (unsigned long long)m[FLAMED_METRIC_OFFCPU_WAITS],
		 c->loop.interrupted ? " (cut short)" : "");
	t0 = process_cpu_ns();
	for (int i = 0; i < c->nr_outputs; i++) {
		const struct capture_output *o = &c->outputs[i];
		struct output_opts oo = c->out_opts;

		oo.title = o->sample_type ? offcpu_title : title;
		oo.sample_type = o->sample_type;
		err = output_write_profile(series[0].profile, o->path, o->fmt, &oo);
		if (err) {
			log_error("failed to write '%s': %s", o->path, output_strerror(err));
			rc = 1;
			continue;
		}
		log_info("wrote %s (%s)", o->path, output_format_name(o->fmt));
	}
	if (c->sinks) {
		int64_t start = session__start_wall_ns(c->s);

		if (sinks__export(c->sinks, series, nr, start, start + (int64_t)c->elapsed_ns))
			rc = 1;
		if (sinks__finish(c->sinks, SINKS_FLUSH_MS))
			rc = 1;
	}
	session__add_encode_cost(c->s, process_cpu_ns() - t0);
	session__stats(c->s, window, m, &bs, true, &st);
	summary_log(&st);
	if (c->cfg->stats_json && write_stats(c, &st, nr))
		rc = 1;
	if (c->loop.interrupted)
		log_info("capture cut short after %s", dur);
	if (cmd->exited) {
		if (WIFEXITED(cmd->status) && WEXITSTATUS(cmd->status))
			log_info("command exited with status %d", WEXITSTATUS(cmd->status));
		else if (WIFSIGNALED(cmd->status))
			log_info("command killed by signal %d", WTERMSIG(cmd->status));
	}
	build_series__free(series, nr);
	return rc;
}

int capture_run(const struct config *cfg)
{
	struct capture c = { .cfg = cfg,
			     .loop = { .epoll_fd = -1, .signal_fd = -1, .tick_fd = -1 },
			     .deadline_fd = -1 };
	const char *paths[CAPTURE_MAX_OUTPUTS + SINKS_MAX_DIRS + 1];
	size_t nr_paths = 0;
	struct collector *window = NULL;
	sigset_t mask;
	int rc = 1, err;

	/* signals arrive through signalfd; block them before any child exists */
	session_signal_mask(&mask);
	sigprocmask(SIG_BLOCK, &mask, &c.old_mask);

	if (cli_has_sink(cfg) && sinks__new(cfg, &c.sinks))
		goto cleanup;
	if (plan_outputs(&c))
		goto cleanup;
	err = session__start(cfg, &c.old_mask, &c.s);
	if (err) {
		rc = err == SESSION_ERR_COMMAND ? 127 : 1;
		goto cleanup;
	}
	c.start_mono_ns = mono_ns();
	for (int i = 0; i < c.nr_outputs; i++)
		paths[nr_paths++] = c.outputs[i].path;
	nr_paths += sinks__dirs(c.sinks, paths + nr_paths, SINKS_MAX_DIRS);
	if (cfg->stats_json && strcmp(cfg->stats_json, "-"))
		paths[nr_paths++] = cfg->stats_json;
	err = privileges_drop_for_run(cfg->cmd != NULL, paths, nr_paths, &c.out_opts);
	if (err) {
		log_error("cannot drop privileges: %s", strerror(-err));
		goto cleanup;
	}
	err = setup_loop(&c);
	if (!err)
		err = session_loop__run(&c.loop, &(struct session_loop_ops){
							 .tick = on_tick, .fd = on_fd, .ctx = &c });
	c.elapsed_ns = mono_ns() - c.start_mono_ns;
	show_progress(&c, true);
	session__stop_sampling(c.s);
	if (!err)
		err = session__drain(c.s);
	if (!err)
		err = session__poll_events(c.s);
	if (err) {
		/* what was collected so far is still written */
		log_error("capture failed: %s; writing what was collected", strerror(-err));
	}
	window = session__cut(c.s);
	if (!window) {
		log_error("out of memory");
		goto cleanup;
	}
	rc = finish(&c, window);
	if (err && !rc)
		rc = 1;
cleanup:
	collector__free(window);
	session__free(c.s);
	sinks__free(c.sinks);
	session_loop__close(&c.loop);
	if (c.deadline_fd >= 0)
		close(c.deadline_fd);
	sigprocmask(SIG_SETMASK, &c.old_mask, NULL);
	return rc;
}
