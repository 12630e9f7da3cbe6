// SPDX-License-Identifier: MIT
/* Command-line parsing: defaults, every flag, and one clear error per bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

static enum cli_result parse(struct config *cfg, char *err, size_t len, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	FILE *out = fopen("/dev/null", "w");
	enum cli_result r;

	argv[argc++] = "flamed";
	va_start(ap, len);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	r = cli_parse(argc, argv, cfg, err, len, out);
	fclose(out);
	return r;
}

static void once_defaults(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--once", "10s", NULL), CLI_RUN);
	assert_true(cfg.once);
	assert_true(cfg.duration_ns == 10000000000ULL);
	assert_int_equal(cfg.freq_hz, 99);
	assert_int_equal(cfg.nr_pids, 0);
	assert_int_equal(cfg.nr_outputs, 0);
	assert_null(cfg.cmd);
	assert_false(cfg.has_output_mode); /* files are 0600 unless asked */
	assert_null(cfg.output_owner);
	assert_true(cfg.unwind_memory == 0); /* the session's default: 256 MiB or RAM / 8 */
	assert_false(cfg.off_cpu);
}

static void off_cpu_flags(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	/* defaults: a 1 ms threshold that rises past 100 walks a second per CPU */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--once", "5s", "--off-cpu", NULL), CLI_RUN);
	assert_true(cfg.off_cpu);
	assert_true(cfg.off_cpu_threshold_ns == 1000000ULL);
	assert_int_equal(cfg.off_cpu_walks, 100);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--once", "5s", "--off-cpu",
			       "--off-cpu-threshold", "250us", "--off-cpu-walks", "0", NULL),
			 CLI_RUN);
	assert_true(cfg.off_cpu_threshold_ns == 250000ULL);
	assert_int_equal(cfg.off_cpu_walks, 0);
	/* 0: every wait a candidate; 4 s fits the BPF arithmetic */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--pyroscope", "http://p:4040", "--off-cpu",
			       "--off-cpu-threshold", "0", NULL),
			 CLI_RUN);
	assert_true(cfg.off_cpu_threshold_ns == 0);
	assert_true(cfg.daemon);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--once", "5s", "--off-cpu",
			       "--off-cpu-threshold", "4s", NULL),
			 CLI_RUN);
	assert_true(cfg.off_cpu_threshold_ns == 4000000000ULL);
}

static void every_flag(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--once", "500ms", "-F", "999", "-p", "1",
			       "--pid", "42", "-o", "a.pb.gz", "--output", "b.folded", "-o", "c.pb",
			       "-o", "d.svg", "-o", "e.pb.zst", "--idle", "-v", "--no-progress",
			       "--output-mode", "0640", "--output-owner", "alice:staff",
			       "--unwind-memory", "64M", "--stats-json", "run.json", NULL),
			 CLI_RUN);
	assert_true(cfg.duration_ns == 500000000ULL);
	assert_int_equal(cfg.freq_hz, 999);
	assert_int_equal(cfg.nr_pids, 2);
	assert_int_equal(cfg.pids[0], 1);
	assert_int_equal(cfg.pids[1], 42);
	assert_int_equal(cfg.nr_outputs, 5);
	assert_int_equal(cfg.outputs[0].fmt, OUTPUT_PPROF_GZ);
	assert_int_equal(cfg.outputs[1].fmt, OUTPUT_FOLDED);
	assert_int_equal(cfg.outputs[2].fmt, OUTPUT_PPROF);
	assert_int_equal(cfg.outputs[3].fmt, OUTPUT_SVG);
	assert_int_equal(cfg.outputs[4].fmt, OUTPUT_PPROF_ZST);
	assert_string_equal(cfg.outputs[1].path, "b.folded");
	assert_true(cfg.include_idle);
	assert_false(cfg.progress);
	assert_int_equal(cfg.verbose, 1);
	assert_true(cfg.has_output_mode);
	assert_int_equal(cfg.output_mode, 0640);
	assert_string_equal(cfg.output_owner, "alice:staff"); /* resolved at start, not here */
	assert_string_equal(cfg.stats_json, "run.json");
	assert_true(cfg.unwind_memory == 64ULL << 20);
}

static void command_after_dashdash(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(
		parse(&cfg, err, sizeof(err), "--once", "5s", "--", "./prog", "-x", "--once", NULL),
		CLI_RUN);
	assert_non_null(cfg.cmd);
	assert_string_equal(cfg.cmd[0], "./prog");
	assert_string_equal(cfg.cmd[1], "-x");
	assert_string_equal(cfg.cmd[2], "--once"); /* the command's own flags are not ours */
	assert_null(cfg.cmd[3]);
	/* a command alone: profile until it exits */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--", "true", NULL), CLI_RUN);
	assert_false(cfg.once);
	assert_true(cfg.duration_ns == 0);
}

static void help_and_version(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--help", NULL), CLI_EXIT_OK);
	assert_int_equal(parse(&cfg, err, sizeof(err), "-V", NULL), CLI_EXIT_OK);
}

static void daemon_flags(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	/* --otlp with headers, as "Name: value" lines */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--otlp", "http://c:4318", "--otlp-header",
			       "X-Api-Key=k=1", "--otlp-header", "dataset=prof", NULL),
			 CLI_RUN);
	assert_true(cfg.daemon);
	assert_int_equal(cfg.sinks.nr_otlp, 1);
	assert_string_equal(cfg.sinks.otlp_urls[0], "http://c:4318");
	assert_int_equal(cfg.sinks.nr_otlp_headers, 2);
	assert_string_equal(cfg.sinks.otlp_headers[0], "X-Api-Key: k=1");
	assert_string_equal(cfg.sinks.otlp_headers[1], "dataset: prof");

	/* a sink without --once is the daemon: 19 Hz, 10 s windows */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--pyroscope", "http://p:4040", NULL),
			 CLI_RUN);
	assert_true(cfg.daemon);
	assert_false(cfg.once);
	assert_int_equal(cfg.freq_hz, 19);
	assert_true(cfg.interval_ns == 10000000000ULL);
	assert_true(cli_has_sink(&cfg));

	assert_int_equal(parse(&cfg, err, sizeof(err), "--output-dir", "/d", "--compress", "zstd",
			       "--retain", "1G", "--parca", "grpcs://parca:7070", "--pyroscope",
			       "https://p", "--pyroscope-api", "ingest", "--interval", "30s",
			       "--app-name", "web", "--series-by", "process", "--label", "env=prod",
			       "--label", "dc=x1", "--tenant-id", "t1", "--bearer-token-file",
			       "/tok", "--tls-ca", "/ca.pem", "--tls-cert", "/c.pem", "--tls-key",
			       "/k.pem", "--insecure-skip-verify", "--spool-dir", "/s",
			       "--spool-max-bytes", "64M", "-F", "99", "--", "cmd", NULL),
			 CLI_RUN);
	assert_true(cfg.daemon);
	assert_string_equal(cfg.sinks.output_dir, "/d");
	assert_true(cfg.sinks.compress_zstd);
	assert_true(cfg.sinks.retain_bytes == 1ULL << 30);
	assert_string_equal(cfg.sinks.parca_url, "grpcs://parca:7070");
	assert_int_equal(cfg.sinks.nr_otlp, 0);
	assert_int_equal(cfg.sinks.pyroscope_api, CLI_PYROSCOPE_INGEST);
	assert_true(cfg.interval_ns == 30000000000ULL);
	assert_string_equal(cfg.app_name, "web");
	assert_true(cfg.series_by_process);
	assert_int_equal(cfg.nr_labels, 2);
	assert_string_equal(cfg.labels[0].key, "env");
	assert_string_equal(cfg.labels[0].value, "prod");
	assert_string_equal(cfg.labels[1].key, "dc");
	assert_string_equal(cfg.sinks.tenant_id, "t1");
	assert_true(cfg.sinks.insecure_skip_verify);
	assert_true(cfg.sinks.spool_max_bytes == 64ULL << 20);
	assert_int_equal(cfg.freq_hz, 99);
	assert_string_equal(cfg.cmd[0], "cmd");

	/* --once with a sink sends one window and keeps 99 Hz */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--once", "5s", "--output-dir", "/d", NULL),
			 CLI_RUN);
	assert_false(cfg.daemon);
	assert_int_equal(cfg.freq_hz, 99);
}

static void usage_errors(void **state)
{
	static const struct {
		const char *args[6];
		const char *msg; /* substring of the one-line error */
	} cases[] = {
		{ { "--once", "10x" }, "invalid duration '10x'" },
		{ { "--once", "-1s" }, "invalid duration" },
		{ { "--once", "0" }, "invalid duration" },
		{ { "--once", "1s", "-F", "0" }, "invalid frequency '0'" },
		{ { "--once", "1s", "-F", "abc" }, "invalid frequency" },
		{ { "--once", "1s", "-F", "100000" }, "invalid frequency" },
		{ { "--once", "1s", "-p", "abc" }, "invalid pid 'abc'" },
		{ { "--once", "1s", "--unwind-memory", "lots" }, "invalid --unwind-memory 'lots'" },
		{ { "--once", "1s", "--unwind-memory", "512K" }, "invalid --unwind-memory" },
		{ { "--once", "1s", "-p", "-5" }, "invalid pid" },
		{ { "--once", "1s", "-o", "x.txt" }, "unknown output format for 'x.txt'" },
		{ { "--once", "1s", "-o", "" }, "empty output path" },
		{ { "--once", "1s", "--output-mode", "4755" }, "invalid --output-mode '4755'" },
		{ { "--once", "1s", "--output-mode", "rw" }, "invalid --output-mode" },
		{ { "--once", "1s", "--output-owner", "" }, "empty --output-owner" },
		{ { "--once", "1s", "--stats-json", "" }, "empty --stats-json" },
		{ { "--once", "1s", "--bogus" }, "unknown option '--bogus'" },
		{ { "--once", "1s", "-Z" }, "unknown option '-Z'" },
		{ { "--once" }, "needs a value" },
		{ { "-o", "x.pb.gz" }, "nothing to do" },
		{ { "--once", "1s", "stray" }, "unexpected argument 'stray'" },
		{ { "--once", "1s", "--" }, "no command after --" },
		{ { "--once", "1s", "-p", "1", "--", "true" }, "cannot be combined" },
		{ { "--pyroscope", "pyro:4040" }, "invalid --pyroscope 'pyro:4040'" },
		{ { "--pyroscope", "http://a", "--pyroscope", "http://b" },
		  "--pyroscope given twice" },
		{ { "--parca", "ftp://x" }, "invalid --parca" },
		{ { "--output-dir", "/d", "--output-dir", "/e" }, "--output-dir" },
		{ { "--output-dir", "/d", "-o", "x.svg" }, "-o needs --once" },
		{ { "--once", "1s", "--interval", "5s" }, "--interval is for the daemon" },
		{ { "--output-dir", "/d", "--interval", "500ms" }, "invalid --interval" },
		{ { "--once", "1s", "--retain", "1G" }, "need --output-dir" },
		{ { "--output-dir", "/d", "--retain", "lots" }, "invalid --retain" },
		{ { "--output-dir", "/d", "--tenant-id", "t" },
		  "need --pyroscope, --parca or --otlp" },
		{ { "--otlp", "ftp://x" }, "invalid --otlp 'ftp://x'" },
		{ { "--otlp", "grpc://c:1", "--otlp", "grpc://c:1" }, "given twice" },
		{ { "--output-dir", "/d", "--otlp-header", "a=b" }, "--otlp-header needs --otlp" },
		{ { "--otlp", "grpc://c:4317", "--otlp-header", "novalue" }, "NAME=VALUE" },
		{ { "--otlp", "grpc://c:4317", "--otlp-header", "bad name=x" }, "HTTP token" },
		{ { "--otlp", "grpc://c:4317", "--otlp-header", "Content-Type=x" }, "sets that" },
		{ { "--otlp", "grpc://c:4317", "--otlp-header", "grpc-timeout=1S" }, "gRPC" },
		{ { "--otlp", "grpc://c:4317", "--otlp-header", "k=s3cret\x01" }, "printable" },
		{ { "--parca", "grpc://p:1", "--tls-cert", "/c" }, "go together" },
		{ { "--parca", "grpc://p:1", "--label", "env" }, "invalid --label 'env'" },
		{ { "--parca", "grpc://p:1", "--label", "9x=1" }, "invalid --label" },
		{ { "--parca", "grpc://p:1", "--label", "hostname=h" }, "set by flamed" },
		{ { "--parca", "grpc://p:1", "--series-by", "pid" }, "invalid --series-by" },
		{ { "--once", "1s", "--app-name", "x" }, "need a sink" },
		{ { "--pyroscope-api", "ingest", "--once", "1s" }, "needs --pyroscope" },
		{ { "--interval", "10s" }, "nothing to do" },
		{ { "--once", "1s", "--parca", "grpc://p:1", "--series-by", "process" },
		  "for the daemon" },
		{ { "--once", "1s", "--off-cpu-threshold", "5ms" }, "need --off-cpu" },
		{ { "--once", "1s", "--off-cpu-walks", "50" }, "need --off-cpu" },
		{ { "--once", "1s", "--off-cpu", "--off-cpu-threshold", "5s" },
		  "invalid --off-cpu-threshold '5s'" },
		{ { "--once", "1s", "--off-cpu", "--off-cpu-threshold", "fast" },
		  "invalid --off-cpu-threshold" },
		{ { "--once", "1s", "--off-cpu", "--off-cpu-walks", "-1" },
		  "invalid --off-cpu-walks" },
		{ { "--once", "1s", "--off-cpu", "--off-cpu-walks", "1000001" },
		  "invalid --off-cpu-walks" },
		{ { "--once", "1s", "--kubelet", "node:10250" }, "invalid --kubelet" },
		{ { "--once", "1s", "--kubelet-interval", "100ms" }, "invalid --kubelet-interval" },
		{ { "--once", "1s", "--k8s-label", "app=9x" }, "invalid --k8s-label name" },
		{ { "--once", "1s", "--k8s-label", "-app" }, "invalid --k8s-label '-app'" },
		{ { "--once", "1s", "--k8s-label", "app=pod" }, "one flamed sets itself" },
		{ { "--once", "1s", "--k8s-label", "a.b", "--k8s-label", "a_b" }, "given twice" },
		{ { "--once", "1s", "--k8s-selector", "app" }, "invalid --k8s-selector 'app'" },
		{ { "--once", "1s", "--k8s-selector", "app=a b" }, "invalid --k8s-selector" },
		{ { "--once", "1s", "--k8s-namespace", "Shop" }, "invalid --k8s-namespace" },
		{ { "--once", "1s", "--cgroup", "a/../b" }, "invalid --cgroup" },
		{ { "--once", "1s", "--cgroup", "/" }, "invalid --cgroup" },
		{ { "--once", "1s", "--cgroup", "a", "-p", "1" }, "not with -p" },
		{ { "--once", "1s", "--k8s-namespace", "a", "--", "true" }, "not with -p" },
		{ { "--once", "1s", "--kubelet", "off", "--k8s-namespace", "a" },
		  "need the kubelet" },
		{ { "--once", "1s", "--series-by", "container" }, "for the daemon" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { "flamed" };
		struct config cfg;
		char err[256];
		int argc = 1;
		FILE *out = fopen("/dev/null", "w");

		for (int j = 0; j < 6 && cases[i].args[j]; j++)
			argv[argc++] = (char *)cases[i].args[j];
		argv[argc] = NULL;
		assert_int_equal(cli_parse(argc, argv, &cfg, err, sizeof(err), out), CLI_USAGE_ERR);
		fclose(out);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].msg);
		assert_null(strstr(err, "s3cret")); /* header values are never echoed */
		assert_null(strchr(err, '\n'));	    /* one line */
	}
}

static void k8s_flags(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--once", "1s", NULL), CLI_RUN);
	assert_null(cfg.k8s.kubelet_url);
	assert_true(cfg.k8s.interval_ns == 30000000000ULL);
	assert_false(cli_has_cgroup_targets(&cfg));

	assert_int_equal(
		parse(&cfg, err, sizeof(err), "--parca", "grpc://p:1", "--kubelet",
		      "https://10.0.0.1:10250", "--kubelet-token-file", "/t", "--kubelet-ca", "/ca",
		      "--kubelet-insecure-skip-verify", "--kubelet-interval", "10s", "--k8s-label",
		      "app.kubernetes.io/name", "--k8s-label", "team=squad", "--k8s-label",
		      "9lives", "--k8s-namespace", "shop", "--k8s-namespace", "kube-system",
		      "--k8s-selector", "app=cart", "--k8s-selector", "example.com/tier=web",
		      "--cgroup", "system.slice/nginx.service", "--series-by", "container", NULL),
		CLI_RUN);
	assert_string_equal(cfg.k8s.kubelet_url, "https://10.0.0.1:10250");
	assert_string_equal(cfg.k8s.token_file, "/t");
	assert_string_equal(cfg.k8s.ca_file, "/ca");
	assert_true(cfg.k8s.insecure_skip_verify);
	assert_true(cfg.k8s.interval_ns == 10000000000ULL);
	assert_int_equal(cfg.k8s.nr_labels, 3);
	/* a label key made a label name: every character a name cannot hold becomes '_' */
	assert_string_equal(cfg.k8s.labels[0].key, "app.kubernetes.io/name");
	assert_string_equal(cfg.k8s.labels[0].name, "app_kubernetes_io_name");
	assert_string_equal(cfg.k8s.labels[1].key, "team");
	assert_string_equal(cfg.k8s.labels[1].name, "squad");
	assert_string_equal(cfg.k8s.labels[2].name, "_9lives");
	assert_int_equal(cfg.k8s.nr_namespaces, 2);
	assert_string_equal(cfg.k8s.namespaces[1], "kube-system");
	assert_int_equal(cfg.k8s.nr_matches, 2);
	assert_string_equal(cfg.k8s.matches[1].key, "example.com/tier");
	assert_string_equal(cfg.k8s.matches[1].value, "web");
	assert_int_equal(cfg.nr_cgroups, 1);
	assert_true(cfg.series_by_container);
	assert_false(cfg.series_by_process);
	assert_true(cli_has_cgroup_targets(&cfg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(k8s_flags),	    cmocka_unit_test(once_defaults),
		cmocka_unit_test(every_flag),	    cmocka_unit_test(command_after_dashdash),
		cmocka_unit_test(help_and_version), cmocka_unit_test(daemon_flags),
		cmocka_unit_test(usage_errors),	    cmocka_unit_test(off_cpu_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
