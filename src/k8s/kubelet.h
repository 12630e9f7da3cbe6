/* SPDX-License-Identifier: MIT */
/* The kubelet client: a thread that lists the node's pods (GET URL/pods, the service account's
 * bearer token, TLS verified against the given CA) every interval, and at once (at most once a
 * second) when asked, parses the answer (pod_list.h) and finds the pods' cgroups
 * (pod_cgroups.h), then hands the newest list over through an eventfd. The caller's thread never
 * waits on the network or the parse. Answers are bounded in size; each failure is classified and
 * counted, and the last one handed over with the next take. Modules do not log: the caller says
 * what failed. */
#ifndef FLAMED_KUBELET_H
#define FLAMED_KUBELET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s/pod_list.h"

#define KUBELET_MAX_BYTES   (64u << 20)	  /* answer size bound */
#define KUBELET_MIN_GAP_NS  1000000000ULL /* between two lists, however often asked */
#define KUBELET_TIMEOUT_MS  10000
#define KUBELET_TOKEN_BYTES 16384 /* a service account token is about 1 KiB */

struct kubelet_opts {
	const char *url;	   /* base URL: "https://NODE:10250"; "/pods" is appended */
	const char *token_file;	   /* bearer token, read before every request (tokens rotate); NULL
				 * = none. Sent over https only */
	const char *ca_file;	   /* PEM CA bundle to verify the kubelet; NULL = the system's */
	bool insecure_skip_verify; /* TLS without verifying the kubelet: explicit only */
	uint64_t interval_ns;	   /* re-list period */
	const char *cgroup_root;   /* cgroup v2 root (cgroup_fs__find_root), NULL = no scan */
	const char *const *keys;   /* label keys each list keeps (pod_list__parse), copied */
	size_t nr_keys;
	/* called first on the thread (may be NULL): capabilities are per thread, and one that
	 * reads the network needs none of those flamed starts with */
	void (*thread_start)(void *ctx);
	void *thread_ctx;
};

enum kubelet_failure {
	KUBELET_OK = 0,
	KUBELET_CONNECT,      /* no answer: refused, unreachable, timeout, TLS */
	KUBELET_UNAUTHORIZED, /* 401: the token was not taken */
	KUBELET_FORBIDDEN,    /* 403: the account may not read the node's pods */
	KUBELET_HTTP,	      /* another status than 200 */
	KUBELET_TOO_BIG,      /* answer over KUBELET_MAX_BYTES */
	KUBELET_MALFORMED,    /* not a PodList */
	KUBELET_TOKEN,	      /* the token file could not be read */
	KUBELET_FAILURE__MAX,
};

struct kubelet_stats {
	uint64_t lists;				 /* answers parsed */
	uint64_t failures[KUBELET_FAILURE__MAX]; /* per kind ([KUBELET_OK] unused) */
	uint64_t bytes;				 /* of the last answer */
	uint64_t pods;				 /* in the last answer */
	uint64_t skipped;			 /* items of the last answer not kept */
	uint64_t parse_ns;			 /* thread CPU of the last parse and cgroup scan */
	uint64_t cpu_ns;			 /* the thread's CPU in all */
};

struct kubelet;

/* Start the thread; its first list starts at once. 0 and *ret (kubelet__free), or -errno
 * (-EINVAL: a URL that is not http(s)://, -ENOMEM, -EIO: libcurl could not start). */
int kubelet__new(const struct kubelet_opts *opts, struct kubelet **ret);

/* Readable when a list (or a failure) waits for kubelet__take. */
int kubelet__fd(const struct kubelet *k);

/* List again as soon as the once-a-second gap allows (a container nobody knows was sampled). */
void kubelet__relist(struct kubelet *k);

/* The newest list since the last take (owned by the caller; NULL when none), and the last
 * failure since then (KUBELET_OK when none; why, one line, into detail). Never blocks. */
void kubelet__take(struct kubelet *k, struct pod_list **ret_list, enum kubelet_failure *ret_fail,
		   char *detail, size_t size);

void kubelet__stats(struct kubelet *k, struct kubelet_stats *ret_stats);

/* A failure kind's name ("connect", "401", ...). */
const char *kubelet_failure_name(enum kubelet_failure f);

/* Stops the thread (a request in flight is aborted) and frees what it holds. NULL-safe. */
void kubelet__free(struct kubelet *k);

#endif /* FLAMED_KUBELET_H */
