// SPDX-License-Identifier: MIT
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <curl/curl.h>

#include "k8s/kubelet.h"
#include "k8s/pod_cgroups.h"
#include "util/clock.h"
#include "util/readfile.h"

#define TRIM_AFTER_BYTES (1u << 20) /* give the parse's heap back after answers this big */

struct kubelet {
	char *url;
	char *token_file;
	char *ca_file;
	char *cgroup_root;
	bool insecure;
	bool https;
	uint64_t interval_ns;
	char **keys;
	size_t nr_keys;
	int efd;
	pthread_t thread;
	bool started;
	CURL *curl; /* the thread's */
	void (*thread_start)(void *ctx);
	void *thread_ctx;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t wake;
	bool stop;
	bool relist;
	struct pod_list *pending; /* newest list not taken yet */
	enum kubelet_failure fail;
	char detail[256];
	struct kubelet_stats st;
};

struct body {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t add = size * n;

	if (add > KUBELET_MAX_BYTES - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *grown;

		while (cap < b->len + add + 1)
			cap *= 2;
		grown = realloc(b->buf, cap);
		if (!grown)
			return 0;
		b->buf = grown;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, add);
	b->len += add;
	b->buf[b->len] = 0;
	return add;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct kubelet *k = ctx;
	bool stop;

	(void)dt, (void)dn, (void)ut, (void)un;
	pthread_mutex_lock(&k->lock);
	stop = k->stop;
	pthread_mutex_unlock(&k->lock);
	return stop; /* non-zero aborts */
}

/* "Authorization: Bearer <first line of the token file>" into hdr. */
static int auth_header(const struct kubelet *k, char *hdr, size_t size)
{
	char *text = NULL;
	size_t len, n;
	int err;

	err = read_path_all(k->token_file, 4096, KUBELET_TOKEN_BYTES, &text, &len);
	if (err)
		return err;
	n = strcspn(text, "\r\n");
	/* a token is printable ASCII: anything else would be a header injection */
	for (size_t i = 0; i < n && !err; i++)
		if (text[i] < 0x21 || text[i] > 0x7e)
			err = -EINVAL;
	if (!err &&
	    (!n || (size_t)snprintf(hdr, size, "Authorization: Bearer %.*s", (int)n, text) >= size))
		err = -EINVAL;
	explicit_bzero(text, len);
	free(text);
	return err;
}

/* One GET /pods: the answer's body into *b (status 200), or a failure with why. */
static enum kubelet_failure fetch(struct kubelet *k, struct body *b, char *why, size_t size)
{
	struct curl_slist *hdrs = NULL, *h;
	char url[4096], auth[KUBELET_TOKEN_BYTES + 64] = "";
	long status = 0;
	CURLcode rc;
	int err;

	snprintf(url, sizeof(url), "%s/pods", k->url);
	if (k->token_file && k->https) {
		err = auth_header(k, auth, sizeof(auth));
		if (err) {
			snprintf(why, size, "cannot read the token file %s: %s", k->token_file,
				 strerror(-err));
			return KUBELET_TOKEN;
		}
		hdrs = curl_slist_append(hdrs, auth);
	}
	h = curl_slist_append(hdrs, "Accept: application/json");
	if (!h) {
		curl_slist_free_all(hdrs);
		snprintf(why, size, "out of memory");
		return KUBELET_CONNECT;
	}
	hdrs = h;
	curl_easy_setopt(k->curl, CURLOPT_URL, url);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(k->curl);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
	explicit_bzero(auth, sizeof(auth));
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
	if (b->too_big) {
		snprintf(why, size, "answer over %u MiB: not read", KUBELET_MAX_BYTES >> 20);
		return KUBELET_TOO_BIG;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION) {
		snprintf(why, size,
			 "its certificate is not signed by the CA given (--kubelet-ca; many "
			 "kubelets "
			 "serve a self-signed one)");
		return KUBELET_CONNECT;
	}
	if (rc != CURLE_OK) {
		snprintf(why, size, "no answer: %s", curl_easy_strerror(rc));
		return KUBELET_CONNECT;
	}
	if (status == 200)
		return KUBELET_OK;
	if (status == 401) {
		snprintf(why, size,
			 "401 Unauthorized: the kubelet did not take the service account token");
		return KUBELET_UNAUTHORIZED;
	}
	if (status == 403) {
		snprintf(why, size,
			 "403 Forbidden: the service account may not get nodes/pods (or "
			 "nodes/proxy before Kubernetes 1.33)");
		return KUBELET_FORBIDDEN;
	}
	snprintf(why, size, "HTTP status %ld", status);
	return KUBELET_HTTP;
}

/* One list: fetched, parsed, its pods' cgroups found. */
static enum kubelet_failure list_once(struct kubelet *k, struct pod_list **ret, char *why,
				      size_t size)
{
	struct body b = { 0 };
	enum kubelet_failure f;
	uint64_t t0;
	int err;

	*ret = NULL;
	f = fetch(k, &b, why, size);
	if (f == KUBELET_OK) {
		t0 = thread_cpu_ns();
		err = pod_list__parse(b.buf ? b.buf : "", b.len, (const char *const *)k->keys,
				      k->nr_keys, ret);
		if (err) {
			snprintf(why, size, "the answer (%zu bytes) is not a pod list: %s", b.len,
				 err == -EINVAL ? "malformed" : strerror(-err));
			f = KUBELET_MALFORMED;
		} else if (k->cgroup_root) {
			pod_cgroups__attach(*ret, k->cgroup_root);
		}
		pthread_mutex_lock(&k->lock);
		k->st.parse_ns = thread_cpu_ns() - t0;
		k->st.bytes = b.len;
		pthread_mutex_unlock(&k->lock);
	}
	free(b.buf);
	if (b.cap >= TRIM_AFTER_BYTES)
		malloc_trim(0); /* the thread's arena kept the text and the JSON tree */
	return f;
}

static void *run(void *ctx)
{
	struct kubelet *k = ctx;
	uint64_t last = 0;
	bool first = true;

	if (k->thread_start)
		k->thread_start(k->thread_ctx);
	pthread_mutex_lock(&k->lock);
	while (!k->stop) {
		uint64_t now = mono_ns(), due = first ? now : last + k->interval_ns;
		struct pod_list *list;
		enum kubelet_failure f;
		char why[sizeof(k->detail)];
		struct timespec until;
		uint64_t one = 1;

		if (k->relist && !first)
			due = last + KUBELET_MIN_GAP_NS;
		if (now < due) {
			until.tv_sec = (time_t)(due / 1000000000ULL);
			until.tv_nsec = (long)(due % 1000000000ULL);
			pthread_cond_timedwait(&k->wake, &k->lock, &until);
			continue;
		}
		first = false;
		k->relist = false;
		last = now;
		pthread_mutex_unlock(&k->lock);
		f = list_once(k, &list, why, sizeof(why));
		pthread_mutex_lock(&k->lock);
		if (f == KUBELET_OK) {
			pod_list__free(k->pending);
			k->pending = list;
			k->st.lists++;
			k->st.pods = list->nr;
			k->st.skipped = list->skipped + list->truncated;
		} else {
			k->fail = f;
			k->st.failures[f]++;
			snprintf(k->detail, sizeof(k->detail), "%s", why);
		}
		k->st.cpu_ns = thread_cpu_ns();
		if (write(k->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow at one write a second */
		}
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

static char *dup_opt(const char *s, bool *bad)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*bad = true;
	return d;
}

static int setup_curl(struct kubelet *k)
{
	CURL *e = curl_easy_init();

	if (!e)
		return -EIO;
	k->curl = e;
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)KUBELET_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)KUBELET_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* gzip if it offers; bounded inflated */
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, k);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "flamed/" FLAMED_VERSION);
	if (k->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, k->ca_file);
	if (k->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return 0;
}

int kubelet__new(const struct kubelet_opts *o, struct kubelet **ret)
{
	pthread_condattr_t ca;
	struct kubelet *k;
	bool bad = false;
	size_t len;
	int err;

	if (!o->url || (strncmp(o->url, "https://", 8) && strncmp(o->url, "http://", 7)) ||
	    strlen(o->url) > 2048 || o->nr_keys > K8S_MAX_KEYS)
		return -EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->efd = -1;
	k->https = !strncmp(o->url, "https://", 8);
	k->insecure = o->insecure_skip_verify;
	k->interval_ns = o->interval_ns ? o->interval_ns : 30000000000ULL;
	k->url = dup_opt(o->url, &bad);
	k->token_file = dup_opt(o->token_file, &bad);
	k->ca_file = dup_opt(o->ca_file, &bad);
	k->cgroup_root = dup_opt(o->cgroup_root, &bad);
	k->keys = o->nr_keys ? calloc(o->nr_keys, sizeof(*k->keys)) : NULL;
	bad |= o->nr_keys && !k->keys;
	for (size_t i = 0; i < o->nr_keys && !bad; i++)
		k->keys[i] = dup_opt(o->keys[i], &bad);
	k->nr_keys = o->nr_keys;
	k->thread_start = o->thread_start;
	k->thread_ctx = o->thread_ctx;
	if (bad) {
		err = -ENOMEM;
		goto fail;
	}
	len = strlen(k->url);
	while (len && k->url[len - 1] == '/')
		k->url[--len] = 0;
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->wake, &ca);
	pthread_condattr_destroy(&ca);
	k->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (k->efd < 0) {
		err = -errno;
		goto fail;
	}
	err = setup_curl(k);
	if (err)
		goto fail;
	err = -pthread_create(&k->thread, NULL, run, k);
	if (err)
		goto fail;
	k->started = true;
	pthread_setname_np(k->thread, "flamed-kubelet"); /* for ps and /proc: which thread it is */
	*ret = k;
	return 0;
fail:
	kubelet__free(k);
	return err;
}

int kubelet__fd(const struct kubelet *k)
{
	return k->efd;
}

void kubelet__relist(struct kubelet *k)
{
	pthread_mutex_lock(&k->lock);
	if (!k->relist) {
		k->relist = true;
		pthread_cond_signal(&k->wake);
	}
	pthread_mutex_unlock(&k->lock);
}

void kubelet__take(struct kubelet *k, struct pod_list **ret_list, enum kubelet_failure *ret_fail,
		   char *detail, size_t size)
{
	uint64_t n;

	if (read(k->efd, &n, sizeof(n)) < 0) {
		/* nothing signalled: what is pending is taken all the same */
	}
	pthread_mutex_lock(&k->lock);
	*ret_list = k->pending;
	k->pending = NULL;
	*ret_fail = k->fail;
	if (size)
		snprintf(detail, size, "%s", k->fail ? k->detail : "");
	k->fail = KUBELET_OK;
	pthread_mutex_unlock(&k->lock);
}

void kubelet__stats(struct kubelet *k, struct kubelet_stats *ret_stats)
{
	pthread_mutex_lock(&k->lock);
	*ret_stats = k->st;
	pthread_mutex_unlock(&k->lock);
}

const char *kubelet_failure_name(enum kubelet_failure f)
{
	static const char *const names[] = {
		[KUBELET_OK] = "ok",
		[KUBELET_CONNECT] = "connect",
		[KUBELET_UNAUTHORIZED] = "401",
		[KUBELET_FORBIDDEN] = "403",
		[KUBELET_HTTP] = "http",
		[KUBELET_TOO_BIG] = "too big",
		[KUBELET_MALFORMED] = "malformed",
		[KUBELET_TOKEN] = "token",
	};

	return (unsigned)f < KUBELET_FAILURE__MAX ? names[f] : "?";
}

void kubelet__free(struct kubelet *k)
{
	if (!k)
		return;
	if (k->started) {
		pthread_mutex_lock(&k->lock);
		k->stop = true;
		pthread_cond_signal(&k->wake);
		pthread_mutex_unlock(&k->lock);
		pthread_join(k->thread, NULL);
		pthread_cond_destroy(&k->wake);
		pthread_mutex_destroy(&k->lock);
	}
	if (k->curl)
		curl_easy_cleanup(k->curl);
	if (k->efd >= 0)
		close(k->efd);
	pod_list__free(k->pending);
	for (size_t i = 0; k->keys && i < k->nr_keys; i++)
		free(k->keys[i]);
	free(k->keys);
	free(k->url);
	free(k->token_file);
	free(k->ca_file);
	free(k->cgroup_root);
	free(k);
}
