/* SPDX-License-Identifier: MIT */
/* Command line -> struct config. Pure (no I/O but the help text), so it is unit-tested and
 * fuzzed. */
#ifndef FLAMED_CLI_H
#define FLAMED_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output/output.h"

#define CLI_MAX_PIDS	      1024
#define CLI_MAX_OUTPUTS	      16
#define CLI_MAX_LABELS	      16
#define CLI_LABEL_KEY	      64
#define CLI_LABEL_VALUE	      256
#define CLI_MAX_HEADERS	      16
#define CLI_MAX_OTLP	      4
#define CLI_HEADER_LEN	      1024
#define CLI_MAX_K8S	      16 /* each of --k8s-namespace, --k8s-selector, --k8s-label, --cgroup */
#define CLI_K8S_KEY	      320 /* a pod label key: prefix (253) '/' name (63) */
#define CLI_K8S_VALUE	      64  /* a label value: at most 63 */
#define CLI_MAX_SERIES_LABELS 23  /* --label and --k8s-label together (sinks.h) */

struct cli_output {
	const char *path; /* borrowed from argv */
	enum output_format fmt;
};

/* A --label k=v series label (copied: argv stays untouched). */
struct cli_label {
	char key[CLI_LABEL_KEY];
	char value[CLI_LABEL_VALUE];
};

/* --k8s-selector key=value (copied). */
struct cli_k8s_match {
	char key[CLI_K8S_KEY];
	char value[CLI_K8S_VALUE];
};

/* --k8s-label KEY[=NAME]: pod label KEY copied onto samples as NAME (copied). */
struct cli_k8s_label {
	char key[CLI_K8S_KEY];
	char name[CLI_LABEL_KEY];
};

/* Kubernetes: pod metadata from the kubelet, and which pods to profile. Strings borrowed from
 * argv unless copied above. */
struct cli_k8s {
	const char *kubelet_url; /* --kubelet; NULL: https://$NODE_NAME:10250 when NODE_NAME is set
				  * (decided at start), "off": never */
	const char *token_file;	 /* --kubelet-token-file; NULL: the service account's */
	const char *ca_file;	 /* --kubelet-ca; NULL: the service account's ca.crt if present */
	bool insecure_skip_verify;
	uint64_t interval_ns; /* --kubelet-interval */
	int nr_namespaces;
	const char *namespaces[CLI_MAX_K8S];
	int nr_matches;
	struct cli_k8s_match matches[CLI_MAX_K8S];
	int nr_labels;
	struct cli_k8s_label labels[CLI_MAX_K8S];
};

enum cli_pyroscope_api {
	CLI_PYROSCOPE_PUSH,   /* Connect push.v1.PusherService/Push */
	CLI_PYROSCOPE_INGEST, /* legacy /ingest */
};

/* Where the daemon sends its windows; strings borrowed from argv. A sink is on when its
 * destination is set. */
struct cli_sinks {
	const char *output_dir;	   /* --output-dir */
	const char *pyroscope_url; /* --pyroscope */
	enum cli_pyroscope_api pyroscope_api;
	const char *parca_url; /* --parca */
	int nr_otlp;	       /* --otlp URL, repeatable: several receivers */
	const char *otlp_urls[CLI_MAX_OTLP];
	int nr_otlp_headers; /* --otlp-header NAME=VALUE, as "Name: value" lines */
	char otlp_headers[CLI_MAX_HEADERS][CLI_HEADER_LEN];
	const char *tenant_id;
	const char *bearer_token_file;
	const char *basic_auth_file;
	const char *tls_ca;
	const char *tls_cert;
	const char *tls_key;
	bool insecure_skip_verify;
	const char *spool_dir;
	uint64_t spool_max_bytes; /* 0 = the upload module's default */
	bool compress_zstd;	  /* --compress zstd (--output-dir) */
	uint64_t retain_bytes;	  /* --retain; 0 = keep every file */
};

struct config {
	uint64_t duration_ns; /* 0 = until the command exits (only with a command) */
	int freq_hz;
	bool once;
	bool include_idle;
	bool debuginfod; /* --debuginfod (DEBUGINFOD_URLS set turns it on too) */
	bool no_python;	 /* --no-python: CPython processes are not walked for Python frames */
	bool off_cpu;	 /* --off-cpu: also where threads wait, and for how long */
	uint64_t off_cpu_threshold_ns; /* --off-cpu-threshold: the sampling threshold's floor */
	uint32_t off_cpu_walks;	       /* --off-cpu-walks: kept waits a second per CPU; 0 = any */
	bool progress;		       /* live status line (auto: stderr is a terminal) */
	bool no_java;		       /* --no-java: JVMs are not walked for Java frames */
	bool no_v8;		       /* --no-v8: V8 processes are not walked for JS frames */
	bool no_ruby; /* --no-ruby: Ruby processes are not walked for Ruby frames */
	bool no_php;  /* --no-php: PHP processes are not walked for PHP frames */
	int verbose;
	int unwind_mode;	/* enum flamed_unwind_mode */
	uint64_t unwind_memory; /* --unwind-memory; 0 = default (session.c) */
	int nr_pids;
	int pids[CLI_MAX_PIDS];
	int nr_outputs;
	struct cli_output outputs[CLI_MAX_OUTPUTS];
	bool has_output_mode;	  /* --output-mode given */
	unsigned int output_mode; /* its permission bits (at most 0777) */
	const char *output_owner; /* --output-owner USER[:GROUP], borrowed; resolved at start */
	const char *stats_json;	  /* --stats-json FILE ("-": stdout), borrowed; NULL when none */
	char **cmd;		  /* argv after "--", NULL-terminated, borrowed; NULL when none */
	/* the daemon: windows of interval_ns to the sinks, until SIGTERM/SIGINT (or the command
	 * exits); on when a sink is given without --once */
	bool daemon;
	uint64_t interval_ns;
	struct cli_sinks sinks;
	const char *app_name;	  /* service_name; NULL = "flamed" */
	bool series_by_process;	  /* --series-by process: one series per comm */
	bool series_by_container; /* --series-by container: service_name NAMESPACE/CONTAINER */
	int nr_labels;
	struct cli_label labels[CLI_MAX_LABELS];
	struct cli_k8s k8s;
	int nr_cgroups; /* --cgroup PATH: only tasks in these cgroup v2 subtrees */
	const char *cgroups[CLI_MAX_K8S];
};

/* True when cfg profiles only chosen cgroups (--cgroup, --k8s-namespace, --k8s-selector). */
bool cli_has_cgroup_targets(const struct config *cfg);

/* True when cfg sends windows to at least one sink. */
bool cli_has_sink(const struct config *cfg);

enum cli_result {
	CLI_RUN = 0,   /* config filled: run it */
	CLI_EXIT_OK,   /* --help / --version printed: exit 0 */
	CLI_USAGE_ERR, /* message in err: exit 2 */
};

/* Parse argv into *cfg (defaults applied first). Messages for usage errors go to err (one line,
 * no "flamed: " prefix). --help and --version print to out. */
enum cli_result cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t err_len,
			  FILE *out);

#endif /* FLAMED_CLI_H */
