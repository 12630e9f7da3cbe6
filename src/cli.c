// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "cli.h"
#include "flamed.h"
#include "util/parse.h"

#define DEFAULT_ONCE_HZ 99
#define MAX_HZ		10000

static const char usage[] =
	"Usage: flamed --once DURATION [options] [-- COMMAND [ARGS...]]\n"
	"       flamed report PROFILE -o OUT [--pid PID] [--comm NAME] [--focus REGEX]\n"
	"                     [--sample-index samples|cpu] [--title TEXT]\n"
	"\n"
	"Always-on eBPF CPU profiler. Samples kernel and user stacks of every CPU and writes\n"
	"symbolized pprof profiles, folded stacks and flame graphs.\n"
	"\n"
	"Capture:\n"
	"  --once DURATION     capture for DURATION (500ms, 10s, 2m, 1h), write outputs, exit\n"
	"  -F, --freq HZ       samples per second per CPU (default 99 for --once; 1-10000)\n"
	"  -p, --pid PID       profile only this process (repeatable)\n"
	"  -- COMMAND ARGS     run COMMAND and profile it and every process it starts, until it\n"
	"                      exits or DURATION ends (then it is sent SIGTERM)\n"
	"  --idle              keep samples of idle CPUs (pid 0)\n"
	"  --unwind MODE       user stacks: auto (unwind tables from .eh_frame where present,\n"
	"                      frame pointers elsewhere; default), dwarf (tables only), fp\n"
	"\n"
	"Output:\n"
	"  -o, --output PATH   write PATH; the format comes from the name (repeatable):\n"
	"                        .pb.gz  pprof, gzip (go tool pprof, Pyroscope, Parca)\n"
	"                        .pb     pprof, uncompressed\n"
	"                        .pb.zst pprof, zstd (flamed's own archives)\n"
	"                        .folded folded stacks (flamegraph.pl, speedscope)\n"
	"                        .svg    interactive flame graph, self-contained\n"
	"                      default: flamed-HOST-YYYYmmdd-HHMMSS.svg and .pb.gz here\n"
	"  --output-mode MODE  permissions of the files written (octal; default 0600)\n"
	"  --output-owner USER[:GROUP]  give the files written to USER (default: flamed's user)\n"
	"  --no-progress       no live status line on a terminal\n"
	"  -v, --verbose       debug messages (libbpf included)\n"
	"  -h, --help          this help\n"
	"  -V, --version       version\n"
	"\n"
	"Examples:\n"
	"  flamed --once 30s                          # whole host -> SVG + pprof\n"
	"  flamed --once 10s -p 1234 -o cpu.pb.gz     # one process\n"
	"  flamed --once 1m -o out.svg -- ./myprog    # a command and its children\n"
	"  go tool pprof -top cpu.pb.gz\n";

enum {
	OPT_ONCE = 0x100,
	OPT_IDLE,
	OPT_NO_PROGRESS,
	OPT_UNWIND,
	OPT_OUTPUT_MODE,
	OPT_OUTPUT_OWNER,
};

static const struct option long_opts[] = {
	{ "once", required_argument, NULL, OPT_ONCE },
	{ "freq", required_argument, NULL, 'F' },
	{ "pid", required_argument, NULL, 'p' },
	{ "output", required_argument, NULL, 'o' },
	{ "output-mode", required_argument, NULL, OPT_OUTPUT_MODE },
	{ "output-owner", required_argument, NULL, OPT_OUTPUT_OWNER },
	{ "idle", no_argument, NULL, OPT_IDLE },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

static enum cli_result fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum cli_result fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return CLI_USAGE_ERR;
}

enum cli_result cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t err_len,
			  void *out)
{
	long long v;
	int c, rc;

	*cfg = (struct config){ .freq_hz = DEFAULT_ONCE_HZ,
				.progress = true,
				.unwind_mode = FLAMED_UNWIND_AUTO };
	err[0] = 0;
	optind = 0; /* full re-initialisation: cli_parse may run more than once (tests) */
	opterr = 0; /* we print our own one-line errors */
	while ((c = getopt_long(argc, argv, "+:F:p:o:vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONCE:
			cfg->once = true;
			if (parse_duration_ns(optarg, &cfg->duration_ns))
				return fail(err, err_len,
					    "invalid duration '%s' (use e.g. 500ms, 10s, 2m)",
					    optarg);
			break;
		case 'F':
			rc = parse_int(optarg, 1, MAX_HZ, &v);
			if (rc)
				return fail(err, err_len,
					    "invalid frequency '%s' (an integer from 1 to %d Hz)",
					    optarg, MAX_HZ);
			cfg->freq_hz = (int)v;
			break;
		case 'p':
			if (parse_int(optarg, 1, 4194304 /* PID_MAX_LIMIT */, &v))
				return fail(err, err_len, "invalid pid '%s'", optarg);
			if (cfg->nr_pids == CLI_MAX_PIDS)
				return fail(err, err_len, "too many -p (at most %d)", CLI_MAX_PIDS);
			cfg->pids[cfg->nr_pids++] = (int)v;
			break;
		case 'o': {
			struct cli_output *o = &cfg->outputs[cfg->nr_outputs];

			if (cfg->nr_outputs == CLI_MAX_OUTPUTS)
				return fail(err, err_len, "too many -o (at most %d)",
					    CLI_MAX_OUTPUTS);
			if (!optarg[0])
				return fail(err, err_len, "empty output path");
			if (output_format_from_path(optarg, &o->fmt))
				return fail(err, err_len,
					    "unknown output format for '%s' (use .pb.gz, .pb, "
					    ".pb.zst, .folded or .svg)",
					    optarg);
			o->path = optarg;
			cfg->nr_outputs++;
			break;
		}
		case OPT_OUTPUT_MODE: {
			mode_t mode;

			if (output_parse_mode(optarg, &mode))
				return fail(err, err_len,
					    "invalid --output-mode '%s' (octal, e.g. 0640; at most "
					    "0777)",
					    optarg);
			cfg->has_output_mode = true;
			cfg->output_mode = mode;
			break;
		}
		case OPT_OUTPUT_OWNER:
			if (!optarg[0])
				return fail(err, err_len,
					    "empty --output-owner (use USER[:GROUP])");
			cfg->output_owner = optarg;
			break;
		case OPT_UNWIND:
			if (strcmp(optarg, "auto") == 0)
				cfg->unwind_mode = FLAMED_UNWIND_AUTO;
			else if (strcmp(optarg, "dwarf") == 0)
				cfg->unwind_mode = FLAMED_UNWIND_DWARF;
			else if (strcmp(optarg, "fp") == 0)
				cfg->unwind_mode = FLAMED_UNWIND_FP;
			else
				return fail(err, err_len,
					    "invalid --unwind '%s' (use auto, dwarf or fp)",
					    optarg);
			break;
		case OPT_IDLE:
			cfg->include_idle = true;
			break;
		case OPT_NO_PROGRESS:
			cfg->progress = false;
			break;
		case 'v':
			cfg->verbose++;
			break;
		case 'h':
			fputs(usage, out);
			return CLI_EXIT_OK;
		case 'V':
			fprintf(out, "flamed %s\n", FLAMED_VERSION);
			return CLI_EXIT_OK;
		case ':':
			return fail(err, err_len, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 0x100)
				return fail(err, err_len, "unknown option '-%c' (see --help)",
					    optopt);
			return fail(err, err_len, "unknown option '%s' (see --help)",
				    argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* "+" in optstring stops at the first non-option; only "--" may introduce one */
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, err_len,
				    "unexpected argument '%s' (a command goes after --)",
				    argv[optind]);
		cfg->cmd = &argv[optind];
	} else if (optind > 0 && optind == argc && strcmp(argv[optind - 1], "--") == 0) {
		return fail(err, err_len, "no command after --");
	}
	if (!cfg->once && !cfg->cmd)
		return fail(
			err, err_len,
			"nothing to do: give --once DURATION, or a command after -- (see --help)");
	if (cfg->cmd && cfg->nr_pids)
		return fail(err, err_len, "-p and a command after -- cannot be combined");
	return CLI_RUN;
}
