// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "cli.h"
#include "upload/upload.h"
#include "flamed.h"
#include "k8s/pod_list.h"
#include "util/parse.h"

#define DEFAULT_ONCE_HZ	    99
#define DEFAULT_DAEMON_HZ   19 /* the fleet convention (Parca, Alloy, OpenTelemetry) */
#define DEFAULT_INTERVAL_NS (10 * 1000000000ULL)
#define MIN_INTERVAL_NS	    (1000000000ULL) /* a window holds at least one drain */
#define MAX_HZ		    10000
/* Off-CPU sampling (bpf/flamed_offcpu.h, src/bpf/offcpu_budget.h): a wait at least as long as
 * the threshold is always kept (its stacks walked), a shorter one with probability d /
 * threshold. The threshold starts at --off-cpu-threshold and rises while more than --off-cpu-walks
 * waits a second per CPU are kept: the walks (a few tens of us each, mostly the kernel's stack
 * unwinder) cost at most about that many a second, however many threads wait or how often, and a
 * quiet host keeps every wait of a millisecond or more. bench/RESULTS.md has the cost and the
 * error by switch rate. */
#define DEFAULT_OFFCPU_THRESHOLD_NS (1000000ULL)
#define DEFAULT_OFFCPU_WALKS	    100
#define MAX_OFFCPU_WALKS	    100000
#define DEFAULT_KUBELET_NS	    (30 * 1000000000ULL)

static const char usage[] =
	"Usage: flamed --once DURATION [options] [-- COMMAND [ARGS...]]\n"
	"       flamed SINK... [--interval DURATION] [options] [-- COMMAND [ARGS...]]\n"
	"       flamed report PROFILE -o OUT [--pid PID] [--comm NAME] [--focus REGEX]\n"
	"                     [--sample-index samples|cpu|off_cpu] [--title TEXT]\n"
	"       flamed report BASE NEW --diff -o OUT.svg|OUT.folded [filters]\n"
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
	"  --no-python         show CPython's interpreter frames, not Python functions\n"
	"  --no-java           show JVMs' native frames only, not Java methods\n"
	"  --no-v8             show V8's (Node.js) frames as native and JIT code, not\n"
	"                      JavaScript functions\n"
	"  --no-ruby           show Ruby's interpreter frames, not Ruby methods\n"
	"  --no-php            show PHP's interpreter frames, not PHP functions\n"
	"  --off-cpu           also record where threads wait (sleep, I/O, locks) and for how\n"
	"                      long: an off_cpu sample type, and a second flame graph\n"
	"  --off-cpu-threshold DURATION  waits this long are always recorded, shorter ones\n"
	"                      with probability wait/DURATION, each counted as DURATION\n"
	"                      (unbiased; default 1ms; it rises past --off-cpu-walks)\n"
	"  --off-cpu-walks N   at most about N waits recorded a second per CPU (default 100;\n"
	"                      0: no bound, the threshold stays)\n"
	"  --unwind-memory SIZE  kernel memory for unwind tables (default 256M, or 1/8 of RAM\n"
	"                      if less); past it, unused cached tables are evicted, then new\n"
	"                      binaries fall back to frame pointers (named under -v)\n"
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
	"\n"
	"Daemon (runs until SIGTERM or SIGINT; a profile every --interval to every sink):\n"
	"  --output-dir DIR    one pprof per window in DIR (HOST_YYYY-MM-DDTHH-MM-SSZ.pb.gz)\n"
	"    --compress gzip|zstd   file compression (default gzip; zstd for flamed report)\n"
	"    --retain SIZE     delete the oldest files past SIZE in total (e.g. 1G)\n"
	"  --pyroscope URL     Pyroscope: http(s)://host:4040 (Connect push)\n"
	"    --pyroscope-api push|ingest   push (default) or the legacy /ingest\n"
	"  --parca URL         Parca WriteRaw: grpc://host:7070 (h2c), grpcs:// (TLS),\n"
	"                      http(s):// (gRPC-Web)\n"
	"  --otlp URL          OpenTelemetry profiles (OTLP): grpc://host:4317 (h2c), grpcs://\n"
	"                      (TLS), http(s)://host:4318 (POST /v1development/profiles);\n"
	"                      repeatable (several receivers)\n"
	"    --otlp-header NAME=VALUE   extra request header (repeatable)\n"
	"  --interval DURATION window length (default 10s)\n"
	"  --app-name NAME     service_name of the series (default flamed)\n"
	"  --series-by process one series per process name instead of one for the host\n"
	"  --series-by container  service_name NAMESPACE/CONTAINER for pods' series\n"
	"  --label KEY=VALUE   extra series label (repeatable)\n"
	"  --tenant-id ID      X-Scope-OrgID header\n"
	"  --bearer-token-file FILE, --basic-auth-file FILE (user:password)\n"
	"  --tls-ca FILE, --tls-cert FILE, --tls-key FILE, --insecure-skip-verify\n"
	"  --spool-dir DIR     keep windows a server has not taken yet on disk (zstd)\n"
	"  --spool-max-bytes SIZE   bound of the spool, oldest evicted (default 256M)\n"
	"  (-F defaults to 19 Hz in the daemon)\n"
	"\n"
	"Kubernetes and cgroups (docs/kubernetes.md):\n"
	"  --kubelet URL       pod metadata from the kubelet (default https://$NODE_NAME:10250\n"
	"                      when NODE_NAME is set; off: none): samples of pods' processes\n"
	"                      get namespace, pod, container and node labels\n"
	"    --kubelet-token-file FILE   bearer token (default: the service account's)\n"
	"    --kubelet-ca FILE  CA of the kubelet's certificate (default: the service\n"
	"                      account's ca.crt)\n"
	"    --kubelet-insecure-skip-verify   do not verify the kubelet's certificate\n"
	"    --kubelet-interval DURATION   re-list the pods this often (default 30s)\n"
	"  --k8s-label KEY[=NAME]  copy pod label KEY onto samples (as NAME; repeatable)\n"
	"  --k8s-namespace NS  profile only pods of namespace NS (repeatable)\n"
	"  --k8s-selector KEY=VALUE  profile only pods with that label (repeatable: all)\n"
	"  --cgroup PATH       profile only tasks in this cgroup v2 subtree (repeatable),\n"
	"                      e.g. system.slice/nginx.service; filtered in the kernel\n"
	"\n"
	"Common:\n"
	"  --debuginfod        fetch missing debug info (file:line, inline frames) from the\n"
	"                      DEBUGINFOD_URLS servers in the background (also on when that\n"
	"                      variable is set); cached in DEBUGINFOD_CACHE_PATH\n"
	"  --stats-json FILE   every counter of the summary as JSON (docs/stats.md): at exit,\n"
	"                      and after each daemon window; - for one line each on stdout\n"
	"  --no-progress       no live status line on a terminal\n"
	"  -v, --verbose       debug messages (libbpf included)\n"
	"  -h, --help          this help\n"
	"  -V, --version       version\n"
	"\n"
	"Examples:\n"
	"  flamed --once 30s                          # whole host -> SVG + pprof\n"
	"  flamed --once 10s -p 1234 -o cpu.pb.gz     # one process\n"
	"  flamed --once 1m -o out.svg -- ./myprog    # a command and its children\n"
	"  flamed --pyroscope http://pyroscope:4040 --app-name web   # daemon\n"
	"  flamed --output-dir /var/lib/flamed --retain 1G             # daemon, local files\n"
	"  go tool pprof -top cpu.pb.gz\n";

enum {
	OPT_ONCE = 0x100,
	OPT_IDLE,
	OPT_NO_PYTHON,
	OPT_NO_JAVA,
	OPT_NO_V8,
	OPT_NO_RUBY,
	OPT_NO_PHP,
	OPT_NO_PROGRESS,
	OPT_UNWIND,
	OPT_UNWIND_MEMORY,
	OPT_OUTPUT_MODE,
	OPT_OUTPUT_OWNER,
	OPT_OUTPUT_DIR,
	OPT_COMPRESS,
	OPT_RETAIN,
	OPT_PYROSCOPE,
	OPT_PYROSCOPE_API,
	OPT_PARCA,
	OPT_OTLP,
	OPT_OTLP_HEADER,
	OPT_INTERVAL,
	OPT_APP_NAME,
	OPT_SERIES_BY,
	OPT_LABEL,
	OPT_TENANT_ID,
	OPT_BEARER_TOKEN_FILE,
	OPT_BASIC_AUTH_FILE,
	OPT_TLS_CA,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_INSECURE_SKIP_VERIFY,
	OPT_SPOOL_DIR,
	OPT_SPOOL_MAX_BYTES,
	OPT_DEBUGINFOD,
	OPT_OFF_CPU,
	OPT_OFF_CPU_THRESHOLD,
	OPT_OFF_CPU_WALKS,
	OPT_KUBELET,
	OPT_KUBELET_TOKEN_FILE,
	OPT_KUBELET_CA,
	OPT_KUBELET_INSECURE,
	OPT_KUBELET_INTERVAL,
	OPT_K8S_LABEL,
	OPT_K8S_NAMESPACE,
	OPT_K8S_SELECTOR,
	OPT_CGROUP,
	OPT_STATS_JSON,
};

static const struct option long_opts[] = {
	{ "once", required_argument, NULL, OPT_ONCE },
	{ "freq", required_argument, NULL, 'F' },
	{ "pid", required_argument, NULL, 'p' },
	{ "output", required_argument, NULL, 'o' },
	{ "output-mode", required_argument, NULL, OPT_OUTPUT_MODE },
	{ "output-owner", required_argument, NULL, OPT_OUTPUT_OWNER },
	{ "idle", no_argument, NULL, OPT_IDLE },
	{ "no-python", no_argument, NULL, OPT_NO_PYTHON },
	{ "no-java", no_argument, NULL, OPT_NO_JAVA },
	{ "off-cpu", no_argument, NULL, OPT_OFF_CPU },
	{ "off-cpu-threshold", required_argument, NULL, OPT_OFF_CPU_THRESHOLD },
	{ "off-cpu-walks", required_argument, NULL, OPT_OFF_CPU_WALKS },
	{ "no-v8", no_argument, NULL, OPT_NO_V8 },
	{ "no-ruby", no_argument, NULL, OPT_NO_RUBY },
	{ "no-php", no_argument, NULL, OPT_NO_PHP },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
	{ "unwind-memory", required_argument, NULL, OPT_UNWIND_MEMORY },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
	{ "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "retain", required_argument, NULL, OPT_RETAIN },
	{ "pyroscope", required_argument, NULL, OPT_PYROSCOPE },
	{ "pyroscope-api", required_argument, NULL, OPT_PYROSCOPE_API },
	{ "parca", required_argument, NULL, OPT_PARCA },
	{ "otlp", required_argument, NULL, OPT_OTLP },
	{ "otlp-header", required_argument, NULL, OPT_OTLP_HEADER },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "app-name", required_argument, NULL, OPT_APP_NAME },
	{ "series-by", required_argument, NULL, OPT_SERIES_BY },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "tenant-id", required_argument, NULL, OPT_TENANT_ID },
	{ "bearer-token-file", required_argument, NULL, OPT_BEARER_TOKEN_FILE },
	{ "basic-auth-file", required_argument, NULL, OPT_BASIC_AUTH_FILE },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "insecure-skip-verify", no_argument, NULL, OPT_INSECURE_SKIP_VERIFY },
	{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
	{ "spool-max-bytes", required_argument, NULL, OPT_SPOOL_MAX_BYTES },
	{ "debuginfod", no_argument, NULL, OPT_DEBUGINFOD },
	{ "kubelet", required_argument, NULL, OPT_KUBELET },
	{ "kubelet-token-file", required_argument, NULL, OPT_KUBELET_TOKEN_FILE },
	{ "kubelet-ca", required_argument, NULL, OPT_KUBELET_CA },
	{ "kubelet-insecure-skip-verify", no_argument, NULL, OPT_KUBELET_INSECURE },
	{ "kubelet-interval", required_argument, NULL, OPT_KUBELET_INTERVAL },
	{ "k8s-label", required_argument, NULL, OPT_K8S_LABEL },
	{ "k8s-namespace", required_argument, NULL, OPT_K8S_NAMESPACE },
	{ "k8s-selector", required_argument, NULL, OPT_K8S_SELECTOR },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
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

bool cli_has_sink(const struct config *cfg)
{
	return cfg->sinks.output_dir || cfg->sinks.pyroscope_url || cfg->sinks.parca_url ||
	       cfg->sinks.nr_otlp;
}

/* Set a string option that may be given once; false when it already was. */
static bool set_once(const char **dst, const char *v)
{
	if (*dst)
		return false;
	*dst = v;
	return true;
}

/* Prometheus-style label name: [A-Za-z_][A-Za-z0-9_]*, which Parca and Pyroscope both take. */
static bool valid_label_name(const char *s, size_t len)
{
	if (!len || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Label names flamed sets: the first FLAMED_SERIES_LABELS on every series (a --label may not
 * take them), all of them on samples too (nor may a --k8s-label, a sample label as well). A
 * --label named like a pod's labels (node=..., for the host's series) gives way to the pod's in
 * a pod's series (sinks.c). */
static const char *const flamed_labels[] = { "__name__",    "service_name", "hostname",
					     "pid",	    "comm",	    "thread",
					     "thread_name", "container_id", "namespace",
					     "pod",	    "container",    "node" };
#define FLAMED_SERIES_LABELS 3

static bool is_flamed_label(const char *name, size_t len, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (strlen(flamed_labels[i]) == len && !strncmp(name, flamed_labels[i], len))
			return true;
	return false;
}

static enum cli_result add_label(struct config *cfg, const char *kv, char *err, size_t err_len)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : 0;
	struct cli_label *l;

	if (!eq || !valid_label_name(kv, klen) || klen >= CLI_LABEL_KEY || !eq[1] ||
	    strlen(eq + 1) >= CLI_LABEL_VALUE)
		return fail(err, err_len,
			    "invalid --label '%s' (KEY=VALUE, KEY of letters, digits and _, "
			    "VALUE not empty, at most %d bytes)",
			    kv, CLI_LABEL_VALUE - 1);
	if (is_flamed_label(kv, klen, FLAMED_SERIES_LABELS))
		return fail(err, err_len,
			    "--label %.*s is set by flamed (use --app-name for service_name)",
			    (int)klen, kv);
	for (int i = 0; i < cfg->nr_labels; i++)
		if (strlen(cfg->labels[i].key) == klen && !strncmp(kv, cfg->labels[i].key, klen))
			return fail(err, err_len, "--label %.*s given twice", (int)klen, kv);
	if (cfg->nr_labels == CLI_MAX_LABELS)
		return fail(err, err_len, "too many --label (at most %d)", CLI_MAX_LABELS);
	l = &cfg->labels[cfg->nr_labels++];
	memcpy(l->key, kv, klen);
	l->key[klen] = 0;
	snprintf(l->value, sizeof(l->value), "%s", eq + 1);
	return CLI_RUN;
}

bool cli_has_cgroup_targets(const struct config *cfg)
{
	return cfg->nr_cgroups || cfg->k8s.nr_namespaces || cfg->k8s.nr_matches;
}

/* --k8s-label KEY[=NAME]; NAME defaults to KEY with every character a label name cannot hold
 * made '_' (app.kubernetes.io/name -> app_kubernetes_io_name). */
static enum cli_result add_k8s_label(struct config *cfg, const char *arg, char *err, size_t err_len)
{
	const char *eq = strchr(arg, '=');
	size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
	struct cli_k8s_label *l;

	if (!k8s_valid_label_key(arg, klen))
		return fail(err, err_len,
			    "invalid --k8s-label '%s' (a pod label key, e.g. app or "
			    "app.kubernetes.io/name, then =NAME if you like)",
			    arg);
	if (cfg->k8s.nr_labels == CLI_MAX_K8S)
		return fail(err, err_len, "too many --k8s-label (at most %d)", CLI_MAX_K8S);
	l = &cfg->k8s.labels[cfg->k8s.nr_labels];
	memcpy(l->key, arg, klen);
	l->key[klen] = 0;
	if (eq) {
		if (!valid_label_name(eq + 1, strlen(eq + 1)) || strlen(eq + 1) >= CLI_LABEL_KEY)
			return fail(err, err_len,
				    "invalid --k8s-label name '%s' (letters, digits and _, not "
				    "first a digit)",
				    eq + 1);
		snprintf(l->name, sizeof(l->name), "%s", eq + 1);
	} else {
		size_t n = 0;

		if (arg[0] >= '0' && arg[0] <= '9')
			l->name[n++] = '_';
		for (size_t i = 0; i < klen && n < sizeof(l->name) - 1; i++)
			l->name[n++] =
				valid_label_name(&arg[i], 1) || (arg[i] >= '0' && arg[i] <= '9')
					? arg[i]
					: '_';
		l->name[n] = 0;
	}
	if (is_flamed_label(l->name, strlen(l->name),
			    sizeof(flamed_labels) / sizeof(flamed_labels[0])))
		return fail(err, err_len,
			    "--k8s-label name '%s' is one flamed sets itself (give "
			    "another: --k8s-label KEY=NAME)",
			    l->name);
	for (int i = 0; i < cfg->k8s.nr_labels; i++)
		if (!strcmp(cfg->k8s.labels[i].name, l->name))
			return fail(err, err_len, "--k8s-label name '%s' given twice", l->name);
	cfg->k8s.nr_labels++;
	return CLI_RUN;
}

static enum cli_result add_k8s_selector(struct config *cfg, const char *arg, char *err,
					size_t err_len)
{
	const char *eq = strchr(arg, '=');
	size_t klen = eq ? (size_t)(eq - arg) : 0;
	struct cli_k8s_match *m;

	if (!eq || !k8s_valid_label_key(arg, klen) ||
	    !k8s_valid_label_value(eq + 1, strlen(eq + 1)))
		return fail(err, err_len,
			    "invalid --k8s-selector '%s' (KEY=VALUE: a pod label key and value, "
			    "e.g. app=cart)",
			    arg);
	if (cfg->k8s.nr_matches == CLI_MAX_K8S)
		return fail(err, err_len, "too many --k8s-selector (at most %d)", CLI_MAX_K8S);
	m = &cfg->k8s.matches[cfg->k8s.nr_matches++];
	memcpy(m->key, arg, klen);
	m->key[klen] = 0;
	snprintf(m->value, sizeof(m->value), "%s", eq + 1);
	return CLI_RUN;
}

/* A namespace name (a DNS label): [a-z0-9-], at most 63, no '-' at either end. */
static bool valid_namespace(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 63 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
	       s[0] != '-' && s[n - 1] != '-';
}

/* --cgroup PATH: relative to the cgroup v2 root, no "." or ".." component. */
static bool valid_cgroup_path(const char *p)
{
	size_t n = strlen(p), parts = 0;

	if (!n || n >= 4096)
		return false;
	for (const char *c = p; *c;) {
		size_t len = strcspn(c, "/");

		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		parts += len > 0;
		c += len + (c[len] == '/');
	}
	return parts > 0;
}

/* Cross-option rules, once every option is read. */
static enum cli_result check_modes(struct config *cfg, bool freq_given, bool interval_given,
				   char *err, size_t err_len)
{
	const struct cli_sinks *k = &cfg->sinks;
	bool http = k->pyroscope_url || k->parca_url || k->nr_otlp;

	cfg->daemon = !cfg->once && cli_has_sink(cfg);
	if (!cfg->once && !cfg->cmd && !cli_has_sink(cfg))
		return fail(err, err_len,
			    "nothing to do: give --once DURATION, a sink (--output-dir, "
			    "--pyroscope, --parca, --otlp), or a command after -- (see --help)");
	if (cfg->daemon && cfg->nr_outputs)
		return fail(err, err_len,
			    "-o needs --once (the daemon writes its windows with --output-dir)");
	if (interval_given && !cfg->daemon)
		return fail(err, err_len, "--interval is for the daemon (give a sink, not --once)");
	if (cfg->series_by_process && !cfg->daemon)
		return fail(err, err_len,
			    "--series-by process is for the daemon (--once makes one profile)");
	if (!freq_given)
		cfg->freq_hz = cfg->daemon ? DEFAULT_DAEMON_HZ : DEFAULT_ONCE_HZ;
	if ((k->compress_zstd || k->retain_bytes) && !k->output_dir)
		return fail(err, err_len, "--compress and --retain need --output-dir");
	if (k->pyroscope_api != CLI_PYROSCOPE_PUSH && !k->pyroscope_url)
		return fail(err, err_len, "--pyroscope-api needs --pyroscope");
	if (!http && (k->tenant_id || k->bearer_token_file || k->basic_auth_file || k->tls_ca ||
		      k->tls_cert || k->tls_key || k->insecure_skip_verify || k->spool_dir ||
		      k->spool_max_bytes))
		return fail(err, err_len,
			    "--tenant-id, authentication, TLS and spool options need --pyroscope, "
			    "--parca or --otlp");
	if (k->nr_otlp_headers && !k->nr_otlp)
		return fail(err, err_len, "--otlp-header needs --otlp");
	if (k->bearer_token_file && k->basic_auth_file)
		return fail(err, err_len,
			    "--bearer-token-file and --basic-auth-file cannot be combined");
	if (!k->tls_cert != !k->tls_key)
		return fail(err, err_len, "--tls-cert and --tls-key go together");
	if (!cli_has_sink(cfg) && (cfg->app_name || cfg->series_by_process || cfg->nr_labels))
		return fail(err, err_len,
			    "--app-name, --series-by and --label need a sink (--output-dir, "
			    "--pyroscope, --parca, --otlp)");
	if (cfg->cmd && cfg->nr_pids)
		return fail(err, err_len, "-p and a command after -- cannot be combined");
	if ((cfg->cmd || cfg->nr_pids) && cli_has_cgroup_targets(cfg))
		return fail(err, err_len,
			    "--cgroup, --k8s-namespace and --k8s-selector choose what to profile: "
			    "not with -p or a command after --");
	if (cfg->series_by_container && !cfg->daemon)
		return fail(err, err_len,
			    "--series-by container is for the daemon (--once makes one profile)");
	if (cfg->k8s.kubelet_url && !strcmp(cfg->k8s.kubelet_url, "off") &&
	    (cfg->k8s.nr_namespaces || cfg->k8s.nr_matches || cfg->k8s.nr_labels ||
	     cfg->series_by_container))
		return fail(err, err_len,
			    "--kubelet off: --k8s-namespace, --k8s-selector, --k8s-label and "
			    "--series-by container need the kubelet");
	/* Pyroscope takes 30 series labels: __name__, service_name, hostname and a pod's four are
	 * flamed's */
	if (cfg->nr_labels + cfg->k8s.nr_labels > CLI_MAX_SERIES_LABELS)
		return fail(err, err_len,
			    "too many series labels: --label and --k8s-label at most %d together",
			    CLI_MAX_SERIES_LABELS);
	for (int i = 0; i < cfg->k8s.nr_labels; i++)
		for (int j = 0; j < cfg->nr_labels; j++)
			if (!strcmp(cfg->k8s.labels[i].name, cfg->labels[j].key))
				return fail(err, err_len, "--k8s-label name '%s' is also a --label",
					    cfg->labels[j].key);
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t err_len,
			  FILE *out)
{
	bool freq_given = false, interval_given = false, threshold_given = false;
	struct cli_sinks *k = &cfg->sinks;
	enum cli_result r;
	long long v;
	int c, rc;

	*cfg = (struct config){ .freq_hz = DEFAULT_ONCE_HZ,
				.progress = true,
				.unwind_mode = FLAMED_UNWIND_AUTO,
				.interval_ns = DEFAULT_INTERVAL_NS,
				.off_cpu_threshold_ns = DEFAULT_OFFCPU_THRESHOLD_NS,
				.off_cpu_walks = DEFAULT_OFFCPU_WALKS,

				.k8s.interval_ns = DEFAULT_KUBELET_NS };
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
			freq_given = true;
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
		case OPT_DEBUGINFOD:
			cfg->debuginfod = true;
			break;
		case OPT_UNWIND_MEMORY:
			/* below 1 MiB not even a small program's libc fits */
			if (parse_size_bytes(optarg, &cfg->unwind_memory) ||
			    cfg->unwind_memory < (1u << 20))
				return fail(
					err, err_len,
					"invalid --unwind-memory '%s' (at least 1M; e.g. 64M, 1G)",
					optarg);
			break;
		case OPT_IDLE:
			cfg->include_idle = true;
			break;
		case OPT_NO_PYTHON:
			cfg->no_python = true;
			break;
		case OPT_NO_JAVA:
			cfg->no_java = true;
			break;
		case OPT_OFF_CPU:
			cfg->off_cpu = true;
			break;
		case OPT_OFF_CPU_THRESHOLD:
			if (!strcmp(optarg, "0"))
				cfg->off_cpu_threshold_ns = 0;
			else if (parse_duration_ns(optarg, &cfg->off_cpu_threshold_ns) ||
				 cfg->off_cpu_threshold_ns > FLAMED_OFFCPU_MAX_THRESHOLD_NS)
				return fail(err, err_len,
					    "invalid --off-cpu-threshold '%s' (0 to 4s, e.g. 10ms, "
					    "500us)",
					    optarg);
			threshold_given = true;
			break;
		case OPT_OFF_CPU_WALKS:
			if (parse_int(optarg, 0, MAX_OFFCPU_WALKS, &v))
				return fail(
					err, err_len,
					"invalid --off-cpu-walks '%s' (0 to %d a second per CPU)",
					optarg, MAX_OFFCPU_WALKS);
			cfg->off_cpu_walks = (uint32_t)v;
			threshold_given = true;
			break;
		case OPT_NO_V8:
			cfg->no_v8 = true;
			break;
		case OPT_NO_RUBY:
			cfg->no_ruby = true;
			break;
		case OPT_NO_PHP:
			cfg->no_php = true;
			break;
		case OPT_OUTPUT_DIR:
			if (!optarg[0] || !set_once(&k->output_dir, optarg))
				return fail(err, err_len, "--output-dir: give one, not empty");
			break;
		case OPT_COMPRESS:
			if (strcmp(optarg, "gzip") && strcmp(optarg, "zstd"))
				return fail(err, err_len, "invalid --compress '%s' (gzip or zstd)",
					    optarg);
			k->compress_zstd = !strcmp(optarg, "zstd");
			break;
		case OPT_RETAIN:
			if (parse_size_bytes(optarg, &k->retain_bytes))
				return fail(err, err_len, "invalid --retain '%s' (e.g. 500M, 2G)",
					    optarg);
			break;
		case OPT_PYROSCOPE:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return fail(err, err_len,
					    "invalid --pyroscope '%s' (http://HOST:PORT or "
					    "https://...)",
					    optarg);
			if (!set_once(&k->pyroscope_url, optarg))
				return fail(err, err_len, "--pyroscope given twice");
			break;
		case OPT_PYROSCOPE_API:
			if (!strcmp(optarg, "push"))
				k->pyroscope_api = CLI_PYROSCOPE_PUSH;
			else if (!strcmp(optarg, "ingest"))
				k->pyroscope_api = CLI_PYROSCOPE_INGEST;
			else
				return fail(err, err_len,
					    "invalid --pyroscope-api '%s' (push or ingest)",
					    optarg);
			break;
		case OPT_PARCA:
			if (strncmp(optarg, "grpc://", 7) && strncmp(optarg, "grpcs://", 8) &&
			    strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return fail(err, err_len,
					    "invalid --parca '%s' (grpc://HOST:PORT, grpcs://, "
					    "http:// or https://)",
					    optarg);
			if (!set_once(&k->parca_url, optarg))
				return fail(err, err_len, "--parca given twice");
			break;
		case OPT_OTLP:
			if (strncmp(optarg, "grpc://", 7) && strncmp(optarg, "grpcs://", 8) &&
			    strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return fail(err, err_len,
					    "invalid --otlp '%s' (grpc://HOST:4317, grpcs://, "
					    "http://HOST:4318 or https://)",
					    optarg);
			for (int i = 0; i < k->nr_otlp; i++)
				if (!strcmp(k->otlp_urls[i], optarg))
					return fail(err, err_len, "--otlp %s given twice", optarg);
			if (k->nr_otlp == CLI_MAX_OTLP)
				return fail(err, err_len, "too many --otlp (at most %d)",
					    CLI_MAX_OTLP);
			k->otlp_urls[k->nr_otlp++] = optarg;
			break;
		case OPT_OTLP_HEADER: {
			const char *why;

			if (k->nr_otlp_headers == CLI_MAX_HEADERS)
				return fail(err, err_len, "too many --otlp-header (at most %d)",
					    CLI_MAX_HEADERS);
			/* the value is not echoed: it may be a credential */
			if (upload_header_line(optarg, k->otlp_headers[k->nr_otlp_headers],
					       CLI_HEADER_LEN, &why))
				return fail(err, err_len, "invalid --otlp-header '%.*s=...': %s",
					    (int)strcspn(optarg, "="), optarg, why);
			k->nr_otlp_headers++;
			break;
		}
		case OPT_INTERVAL:
			if (parse_duration_ns(optarg, &cfg->interval_ns) ||
			    cfg->interval_ns < MIN_INTERVAL_NS)
				return fail(err, err_len,
					    "invalid --interval '%s' (at least 1s, e.g. 10s, 1m)",
					    optarg);
			interval_given = true;
			break;
		case OPT_APP_NAME:
			if (!optarg[0] || strlen(optarg) >= CLI_LABEL_VALUE)
				return fail(err, err_len, "invalid --app-name (1 to %d bytes)",
					    CLI_LABEL_VALUE - 1);
			cfg->app_name = optarg;
			break;
		case OPT_SERIES_BY:
			if (strcmp(optarg, "process") && strcmp(optarg, "host") &&
			    strcmp(optarg, "container"))
				return fail(err, err_len,
					    "invalid --series-by '%s' (host, process or container)",
					    optarg);
			cfg->series_by_process = !strcmp(optarg, "process");
			cfg->series_by_container = !strcmp(optarg, "container");
			break;
		case OPT_KUBELET:
			if (strcmp(optarg, "off") && strncmp(optarg, "https://", 8) &&
			    strncmp(optarg, "http://", 7))
				return fail(err, err_len,
					    "invalid --kubelet '%s' (https://HOST:10250, or off)",
					    optarg);
			if (!set_once(&cfg->k8s.kubelet_url, optarg))
				return fail(err, err_len, "--kubelet given twice");
			break;
		case OPT_KUBELET_TOKEN_FILE:
			if (!optarg[0] || !set_once(&cfg->k8s.token_file, optarg))
				return fail(err, err_len,
					    "--kubelet-token-file: give one, not empty");
			break;
		case OPT_KUBELET_CA:
			if (!optarg[0] || !set_once(&cfg->k8s.ca_file, optarg))
				return fail(err, err_len, "--kubelet-ca: give one, not empty");
			break;
		case OPT_KUBELET_INSECURE:
			cfg->k8s.insecure_skip_verify = true;
			break;
		case OPT_KUBELET_INTERVAL:
			if (parse_duration_ns(optarg, &cfg->k8s.interval_ns) ||
			    cfg->k8s.interval_ns < MIN_INTERVAL_NS)
				return fail(
					err, err_len,
					"invalid --kubelet-interval '%s' (at least 1s, e.g. 30s)",
					optarg);
			break;
		case OPT_K8S_LABEL:
			r = add_k8s_label(cfg, optarg, err, err_len);
			if (r != CLI_RUN)
				return r;
			break;
		case OPT_K8S_NAMESPACE:
			if (!valid_namespace(optarg))
				return fail(err, err_len,
					    "invalid --k8s-namespace '%s' (a namespace: lowercase "
					    "letters, digits and -)",
					    optarg);
			if (cfg->k8s.nr_namespaces == CLI_MAX_K8S)
				return fail(err, err_len, "too many --k8s-namespace (at most %d)",
					    CLI_MAX_K8S);
			cfg->k8s.namespaces[cfg->k8s.nr_namespaces++] = optarg;
			break;
		case OPT_K8S_SELECTOR:
			r = add_k8s_selector(cfg, optarg, err, err_len);
			if (r != CLI_RUN)
				return r;
			break;
		case OPT_CGROUP:
			if (!valid_cgroup_path(optarg))
				return fail(err, err_len,
					    "invalid --cgroup '%s' (a cgroup v2 path such as "
					    "system.slice/nginx.service; no . or ..)",
					    optarg);
			if (cfg->nr_cgroups == CLI_MAX_K8S)
				return fail(err, err_len, "too many --cgroup (at most %d)",
					    CLI_MAX_K8S);
			cfg->cgroups[cfg->nr_cgroups++] = optarg;
			break;
		case OPT_LABEL:
			r = add_label(cfg, optarg, err, err_len);
			if (r != CLI_RUN)
				return r;
			break;
		case OPT_TENANT_ID:
			k->tenant_id = optarg;
			break;
		case OPT_BEARER_TOKEN_FILE:
			k->bearer_token_file = optarg;
			break;
		case OPT_BASIC_AUTH_FILE:
			k->basic_auth_file = optarg;
			break;
		case OPT_TLS_CA:
			k->tls_ca = optarg;
			break;
		case OPT_TLS_CERT:
			k->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			k->tls_key = optarg;
			break;
		case OPT_INSECURE_SKIP_VERIFY:
			k->insecure_skip_verify = true;
			break;
		case OPT_SPOOL_DIR:
			if (!optarg[0])
				return fail(err, err_len, "empty --spool-dir");
			k->spool_dir = optarg;
			break;
		case OPT_SPOOL_MAX_BYTES:
			if (parse_size_bytes(optarg, &k->spool_max_bytes))
				return fail(err, err_len,
					    "invalid --spool-max-bytes '%s' (e.g. 256M, 1G)",
					    optarg);
			break;
		case OPT_NO_PROGRESS:
			cfg->progress = false;
			break;
		case OPT_STATS_JSON:
			if (!optarg[0])
				return fail(err, err_len,
					    "empty --stats-json (a file, or - for stdout)");
			cfg->stats_json = optarg;
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
	if (threshold_given && !cfg->off_cpu)
		return fail(err, err_len, "--off-cpu-threshold and --off-cpu-walks need --off-cpu");
	return check_modes(cfg, freq_given, interval_given, err, err_len);
}
