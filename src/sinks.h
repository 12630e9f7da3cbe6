/* SPDX-License-Identifier: MIT */
/* The sinks a run sends its windows to, made from the command line (--output-dir, --pyroscope,
 * --parca and their options): each window's profiles are encoded once (pprof, gzip) and handed
 * to every sink (src/upload/), whose HTTP requests run on one libcurl loop the front end's event
 * loop drives through sinks__fd / sinks__timeout_ms / sinks__process. Logs as a front end does. */
#ifndef FLAMED_SINKS_H
#define FLAMED_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "upload/upload.h"

struct build_series;
struct config;
struct sinks;

#define SINKS_MAX      (3 + CLI_MAX_OTLP) /* one of each kind, and each --otlp */
#define SINKS_MAX_DIRS 2     /* directories the sinks write into: --output-dir, --spool-dir */
#define SINKS_FLUSH_MS 10000 /* at exit, how long the servers get for what is queued */
/* series labels besides __name__, service_name and hostname: --label's, a pod's four and its
 * --k8s-label values; Pyroscope takes at most 30 in all */
#define SINKS_MAX_LABELS 27

/* Sinks of cfg (at least one must be set), credentials read now. 0 and *ret_sinks (free with
 * sinks__free), or -errno after logging why. */
int sinks__new(const struct config *cfg, struct sinks **ret_sinks);

/* The directories the sinks create files in, each with a trailing "/" (borrowed), into paths
 * (at most max); returns how many. NULL-safe (0). */
size_t sinks__dirs(const struct sinks *k, const char **paths, size_t max);

/* The upload loop's epoll fd to watch, or -1 without HTTP sinks. */
int sinks__fd(const struct sinks *k);

/* Milliseconds until sinks__process is due without input: -1 = none. */
int sinks__timeout_ms(struct sinks *k);

/* Send, receive, retry what is ready. 0 or -errno. */
int sinks__process(struct sinks *k);

/* The series sets (collect/builder.h BUILD_SET_*) the window's build must make for these sinks:
 * with pods (Kubernetes metadata), Pyroscope and Parca take one series per pod container, files
 * and OTLP the base series, whose samples carry the pod as sample labels. NULL-safe. */
unsigned int sinks__sets(const struct sinks *k, bool pods);

/* Hand one window to every sink: each series' profile (borrowed) encoded once, labelled with
 * the host, --label, the pod of a BUILD_SET_PODS series, and service_name (--app-name, the
 * series' process name with --series-by process, NAMESPACE/CONTAINER with --series-by
 * container); each sink takes the series of its set (sinks__sets). 0, or -errno when a window could not be encoded or a sink refused it
 * (logged; the other sinks still get it). */
int sinks__export(struct sinks *k, const struct build_series *series, size_t nr, int64_t start_ns,
		  int64_t end_ns);

/* At exit: give the servers up to timeout_ms for what is queued (spooling what is left), then
 * log each sink's totals. 0, or -ETIMEDOUT when windows were left undelivered. */
int sinks__finish(struct sinks *k, int timeout_ms);

/* One line of every sink's state ("pyroscope sent 4 queued 1 spooled 0 evicted 0 ...") into
 * buf. */
void sinks__status(const struct sinks *k, char *buf, size_t len);

/* Each sink's name (static) and counters, into out (at most max); returns how many. NULL-safe
 * (0). */
struct sinks_entry {
	const char *name;
	struct upload_stats stats;
};
size_t sinks__stats(const struct sinks *k, struct sinks_entry *out, size_t max);

/* NULL-safe. */
void sinks__free(struct sinks *k);

#endif /* FLAMED_SINKS_H */
