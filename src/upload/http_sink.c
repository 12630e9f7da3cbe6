// SPDX-License-Identifier: MIT
/* The HTTP sink: a FIFO of windows sent one at a time, so the server sees them in order; retries
 * with backoff; the spool behind it. With a spool, only the window at the head (`cur`) ever lives
 * in memory alone: everything submitted while another window is pending goes to disk at once, and
 * the head goes to disk at its first failure, so a crash or restart loses nothing queued. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "upload/auth.h"
#include "upload/http.h"
#include "upload/response.h"
#include "upload/sink.h"
#include "upload/spool.h"
#include "upload/window.h"

#define HTTP_DEFAULT_MAX_BYTES	    (256ULL << 20)
#define HTTP_DEFAULT_TIMEOUT_MS	    30000
#define HTTP_DEFAULT_CONNECT_MS	    10000
#define HTTP_DEFAULT_BACKOFF_MIN_MS 1000
#define HTTP_DEFAULT_BACKOFF_MAX_MS 300000
/* Error bodies are one log line; gRPC-Web bodies hold the trailer frame after a tiny message. */
#define HTTP_MAX_RESPONSE_BODY (1 << 20)

struct http_entry {
	uint64_t seq;
	uint8_t *blob; /* window blob (window.h) */
	size_t len;
	bool on_disk; /* a spool file holds it too */
	struct http_entry *next;
};

struct http_sink {
	struct sink base;
	struct upload_loop *loop;
	struct http_target target;
	char name[32];	     /* in log lines and the spool subdirectory */
	char *tenant_header; /* "X-Scope-OrgID: ..." */
	char **headers;	     /* more "Name: value" lines (values may be secrets) */
	size_t nr_headers;
	char last_partial[RESPONSE_MESSAGE_MAX]; /* the partial success logged last */
	char *bearer;				 /* secrets: never logged, wiped on free */
	char *basic;				 /* "user:password" */
	char *tls_ca, *tls_cert, *tls_key;
	bool insecure;
	unsigned int connect_timeout_ms, backoff_min_ms, backoff_max_ms;
	uint64_t max_bytes;
	struct spool *spool;

	/* memory queue (no spool), oldest first; cur is not in it */
	struct http_entry *head, *tail;
	size_t mem_count;
	uint64_t mem_bytes;

	struct http_entry *cur; /* being sent, or waiting for its retry */
	CURL *handle;		/* one easy handle, reset per request */
	CURL *easy;		/* == handle while cur's request is in flight, else NULL */
	struct http_request req;
	struct upload_response resp;
	struct otlp_partial partial;
	uint8_t *resp_body;
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
	int64_t next_attempt_ms;
	unsigned int failures; /* in a row, for the backoff */
	uint64_t next_seq;
	unsigned int rand_state;
};

static void entry_free(struct http_entry *e)
{
	if (!e)
		return;
	free(e->blob);
	free(e);
}

static void update_gauges(struct http_sink *hs)
{
	uint64_t q = hs->mem_count + (hs->cur && !hs->cur->on_disk ? 1 : 0);

	if (hs->spool)
		q += spool__count(hs->spool);
	hs->base.stats.queued = q;
	hs->base.stats.spool_bytes = hs->spool ? spool__bytes(hs->spool) : 0;
}

static const char *http_name(const struct sink *s)
{
	const struct http_sink *hs = (const struct http_sink *)s;

	if (hs->name[0])
		return hs->name;
	switch (hs->target.protocol) {
	case UPLOAD_PYROSCOPE:
		return "pyroscope";
	case UPLOAD_PYROSCOPE_INGEST:
		return "pyroscope-ingest";
	case UPLOAD_PARCA:
		return "parca";
	case UPLOAD_OTLP:
		return "otlp";
	}
	return "http";
}

/* "2026-11-27T10:42:35Z" for log lines about a window. */
static void window_time(const uint8_t *blob, size_t len, char *buf, size_t size)
{
	struct window_view v;
	struct tm tm;
	time_t t;

	if (window_decode(blob, len, &v)) {
		snprintf(buf, size, "?");
		return;
	}
	t = (time_t)(v.window.start_ns / 1000000000);
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void reset_request(struct http_sink *hs);

/* An OTLP receiver took the window, maybe not all of it (hs->partial): each distinct message is
 * logged once at warning level (a receiver may repeat the same warning for every window), every
 * partial answer counted. */
static void partial_success(struct http_sink *hs, const char *when)
{
	const struct otlp_partial *p = &hs->partial;
	bool repeat;

	if (p->rejected == -1)
		return;
	if (p->rejected == -2) {
		sink_log(&hs->base, UPLOAD_LOG_DEBUG,
			 "%s: window %s: the receiver's answer is not an Export response",
			 http_name(&hs->base), when);
		return;
	}
	hs->base.stats.partial++;
	hs->base.stats.rejected_profiles += (uint64_t)p->rejected;
	repeat = !strcmp(hs->last_partial, p->message);
	snprintf(hs->last_partial, sizeof(hs->last_partial), "%s", p->message);
	if (p->rejected)
		sink_log(&hs->base, repeat ? UPLOAD_LOG_DEBUG : UPLOAD_LOG_WARN,
			 "%s: window %s: the receiver dropped %lld profile(s): %s",
			 http_name(&hs->base), when, (long long)p->rejected,
			 p->message[0] ? p->message : "(no message)");
	else
		sink_log(&hs->base, repeat ? UPLOAD_LOG_DEBUG : UPLOAD_LOG_WARN,
			 "%s: window %s: the receiver warns: %s", http_name(&hs->base), when,
			 p->message);
}

/* The head is done with (delivered, rejected, dropped): forget it everywhere. */
static void finish_cur(struct http_sink *hs)
{
	if (hs->cur->on_disk)
		(void)spool__remove(hs->spool, hs->cur->seq);
	entry_free(hs->cur);
	hs->cur = NULL;
	hs->failures = 0;
	hs->next_attempt_ms = 0;
}

/* Make the next window the head: the memory queue first, then the spool's oldest. */
static void take_next(struct http_sink *hs)
{
	while (!hs->cur) {
		struct window_view v;
		struct http_entry *e;
		uint64_t seq;
		int err;

		if (hs->head) {
			e = hs->head;
			hs->head = e->next;
			if (!hs->head)
				hs->tail = NULL;
			e->next = NULL;
			hs->mem_count--;
			hs->mem_bytes -= e->len;
			hs->cur = e;
			return;
		}
		if (!hs->spool || spool__oldest(hs->spool, &seq))
			return;
		e = calloc(1, sizeof(*e));
		if (!e)
			return; /* try again at the next tick */
		e->seq = seq;
		e->on_disk = true;
		err = spool__get(hs->spool, seq, &e->blob, &e->len);
		if (!err)
			err = window_decode(e->blob, e->len, &v);
		if (err == -ENOMEM) {
			entry_free(e);
			return;
		}
		if (err) {
			/* a damaged file must not block the queue forever */
			sink_log(&hs->base, UPLOAD_LOG_ERROR,
				 "%s: dropping unreadable spool window %llu: %s",
				 http_name(&hs->base), (unsigned long long)seq, strerror(-err));
			(void)spool__remove(hs->spool, seq);
			hs->base.stats.dropped++;
			entry_free(e);
			continue;
		}
		hs->cur = e;
	}
}

static size_t on_header(char *line, size_t size, size_t n, void *userp)
{
	struct http_sink *hs = userp;

	/* a new status line (after 100 Continue) starts a new set of headers */
	if (n >= 5 && !strncmp(line, "HTTP/", 5))
		response_init(&hs->resp);
	response_header(&hs->resp, line, n * size, (int64_t)time(NULL));
	return n * size;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct http_sink *hs = userp;
	size_t len = size * n, room = HTTP_MAX_RESPONSE_BODY - hs->resp_len;
	uint8_t *p;

	if (len > room)
		len = room; /* keep the start; the rest is read and dropped */
	if (!len)
		return size * n;
	p = realloc(hs->resp_body, hs->resp_len + len);
	if (!p)
		return 0; /* aborts the transfer: retried */
	memcpy(p + hs->resp_len, data, len);
	hs->resp_body = p;
	hs->resp_len += len;
	return size * n;
}

static void reset_request(struct http_sink *hs)
{
	if (hs->easy) {
		curl_multi_remove_handle(upload_loop_multi(hs->loop), hs->easy);
		hs->easy = NULL;
	}
	http_request_free(&hs->req);
	free(hs->resp_body);
	hs->resp_body = NULL;
	hs->resp_len = 0;
}

/* Store a window in the spool and count it. The spool evicts strictly oldest first: when that
 * is the head, its retry (or its attempt in flight) is abandoned with it. */
static int spool_window(struct http_sink *hs, uint64_t seq, const uint8_t *blob, size_t len)
{
	const char *name = http_name(&hs->base);
	uint64_t evicted = 0;
	int err;

	err = spool__put(hs->spool, seq, blob, len, 0, &evicted);
	if (err) {
		sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: cannot spool a window: %s", name,
			 strerror(-err));
		return err;
	}
	hs->base.stats.spooled++;
	if (hs->cur && hs->cur->seq == seq)
		hs->cur->on_disk = true;
	if (evicted) {
		hs->base.stats.evicted += evicted;
		sink_log(&hs->base, UPLOAD_LOG_WARN,
			 "%s: spool full, evicted %llu oldest window(s)", name,
			 (unsigned long long)evicted);
	}
	if (hs->cur && hs->cur->on_disk && !spool__has(hs->spool, hs->cur->seq)) {
		reset_request(hs);
		entry_free(hs->cur);
		hs->cur = NULL;
	}
	return 0;
}

/* Write the head to the spool if it is not there yet (its first failure, flush, free). */
static void persist_cur(struct http_sink *hs)
{
	if (hs->spool && hs->cur && !hs->cur->on_disk)
		(void)spool_window(hs, hs->cur->seq, hs->cur->blob, hs->cur->len);
}

static int start_request(struct http_sink *hs)
{
	struct window_view v;
	CURL *e;
	int err;

	err = window_decode(hs->cur->blob, hs->cur->len, &v);
	if (err)
		return err;
	/* one handle for the sink's life, reset for each request */
	if (!hs->handle)
		hs->handle = curl_easy_init();
	if (!hs->handle)
		return -ENOMEM;
	e = hs->handle;
	curl_easy_reset(e);
	hs->easy = e;
	switch (hs->target.protocol) {
	case UPLOAD_PARCA:
		err = parca_build(&hs->target, e, &v.window, &hs->req);
		break;
	case UPLOAD_OTLP:
		err = otlp_build(&hs->target, e, &v.window, &hs->req);
		break;
	default:
		err = pyroscope_build(&hs->target, e, &v.window, &hs->req);
	}
	if (!err && hs->tenant_header)
		err = http_request_header(&hs->req, hs->tenant_header);
	for (size_t i = 0; !err && i < hs->nr_headers; i++)
		err = http_request_header(&hs->req, hs->headers[i]);
	if (err)
		goto cleanup;
	response_init(&hs->resp);
	hs->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, hs->req.url ? hs->req.url : hs->target.endpoint);
	curl_easy_setopt(e, CURLOPT_PRIVATE, hs);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, hs->target.http_version);
	/* libcurl 7.88 (Debian 12) fails every request on a reused prior-knowledge h2c connection
	 * with "Error in the HTTP2 framing layer" (curl/curl#10634, fixed in 8.0): one connection
	 * per window there, which at one window per period costs nothing that matters. */
	if (hs->target.http_version == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE &&
	    curl_version_info(CURLVERSION_NOW)->version_num < 0x080000)
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hs->req.headers);
	if (hs->req.mime) {
		curl_easy_setopt(e, CURLOPT_MIMEPOST, hs->req.mime);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, hs->req.body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)hs->req.body_len);
	}
	curl_easy_setopt(e, CURLOPT_USERAGENT, "flamed/" FLAMED_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)hs->target.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)hs->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, hs->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, hs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, hs);
	if (hs->bearer) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, hs->bearer);
	} else if (hs->basic) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERPWD, hs->basic);
	}
	if (hs->tls_ca)
		curl_easy_setopt(e, CURLOPT_CAINFO, hs->tls_ca);
	if (hs->tls_cert) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, hs->tls_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, hs->tls_key);
	}
	if (hs->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (curl_multi_add_handle(upload_loop_multi(hs->loop), e)) {
		err = -EIO;
		goto cleanup;
	}
	return 0;

cleanup:
	reset_request(hs);
	return err;
}

/* Exponential backoff with jitter: a delay drawn from [d/2, d], d doubling per failure. */
static int64_t backoff_ms(struct http_sink *hs)
{
	uint64_t d = hs->backoff_min_ms;

	for (unsigned int i = 1; i < hs->failures && d < hs->backoff_max_ms; i++)
		d *= 2;
	if (d > hs->backoff_max_ms)
		d = hs->backoff_max_ms;
	return (int64_t)(d / 2 + (uint64_t)rand_r(&hs->rand_state) % (d / 2 + 1));
}

void http_sink_done(struct http_sink *hs, CURL *easy, CURLcode result)
{
	const char *name = http_name(&hs->base);
	bool grpc = hs->target.wire == WIRE_GRPC || hs->target.wire == WIRE_GRPC_WEB;
	char why[512], when[32], body_msg[RESPONSE_MESSAGE_MAX];
	enum upload_verdict verdict;
	long status = 0;

	(void)easy;
	if (result == CURLE_OK)
		curl_easy_getinfo(hs->easy, CURLINFO_RESPONSE_CODE, &status);
	if (result == CURLE_OK && hs->target.wire == WIRE_GRPC_WEB && status == 200 &&
	    response_grpc_web_body(&hs->resp, hs->resp_body, hs->resp_len))
		hs->resp.grpc_status = -1;
	if (result != CURLE_OK)
		verdict = UPLOAD_RETRY;
	else if (hs->target.protocol == UPLOAD_OTLP)
		verdict = otlp_verdict(status, grpc, &hs->resp);
	else
		verdict = response_verdict(status, grpc, &hs->resp);

	if (result != CURLE_OK) {
		snprintf(why, sizeof(why), "%s",
			 hs->errbuf[0] ? hs->errbuf : curl_easy_strerror(result));
	} else if (status >= 200 && status < 300 && grpc) {
		if (hs->resp.grpc_status < 0)
			snprintf(why, sizeof(why), "no grpc-status in the answer");
		else
			snprintf(why, sizeof(why), "grpc-status %d%s%s", hs->resp.grpc_status,
				 hs->resp.grpc_message[0] ? ": " : "", hs->resp.grpc_message);
	} else {
		response_message(hs->resp_body, hs->resp_len, body_msg, sizeof(body_msg));
		snprintf(why, sizeof(why), "HTTP %ld%s%s", status,
			 body_msg[0] || hs->resp.grpc_message[0] ? ": " : "",
			 body_msg[0] ? body_msg : hs->resp.grpc_message);
	}
	window_time(hs->cur->blob, hs->cur->len, when, sizeof(when));
	if (verdict == UPLOAD_OK && hs->target.protocol == UPLOAD_OTLP &&
	    otlp_response_partial(hs->resp_body, hs->resp_len, grpc, &hs->partial))
		hs->partial.rejected = -2; /* an answer that does not parse: logged, still sent */
	reset_request(hs);

	switch (verdict) {
	case UPLOAD_OK:
		if (hs->failures)
			sink_log(&hs->base, UPLOAD_LOG_INFO,
				 "%s: delivering again after %u failure(s)", name, hs->failures);
		hs->base.stats.sent++;
		if (hs->target.protocol == UPLOAD_OTLP)
			partial_success(hs, when);
		finish_cur(hs);
		break;
	case UPLOAD_REJECT:
		hs->base.stats.rejected++;
		sink_log(&hs->base, UPLOAD_LOG_WARN, "%s: window %s rejected: %s", name, when, why);
		finish_cur(hs);
		break;
	case UPLOAD_RETRY: {
		int64_t delay;

		hs->base.stats.retries++;
		hs->failures++;
		delay = backoff_ms(hs);
		if (hs->resp.retry_after_ms >= 0)
			delay = hs->resp.retry_after_ms < hs->backoff_max_ms
					? hs->resp.retry_after_ms
					: hs->backoff_max_ms;
		persist_cur(hs);
		hs->next_attempt_ms = upload_now_ms() + delay;
		/* one line per streak at warning level; the rest for -v */
		sink_log(&hs->base, hs->failures == 1 ? UPLOAD_LOG_WARN : UPLOAD_LOG_DEBUG,
			 "%s: window %s not delivered (%s); retry %u in %lld ms%s", name, when, why,
			 hs->failures, (long long)delay,
			 hs->spool ? ", windows wait in the spool" : "");
		break;
	}
	}
	update_gauges(hs);
	http_sink_tick(hs, upload_now_ms());
}

void http_sink_tick(struct http_sink *hs, int64_t now_ms)
{
	while (!hs->easy) {
		int err;

		take_next(hs);
		if (!hs->cur || now_ms < hs->next_attempt_ms)
			break;
		err = start_request(hs);
		if (!err)
			break;
		if (err == -ENOMEM)
			break; /* try again at the next tick */
		/* a window no request can carry (a label the protocol cannot encode) */
		sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: cannot build a request: %s",
			 http_name(&hs->base), strerror(-err));
		hs->base.stats.rejected++;
		finish_cur(hs);
	}
	update_gauges(hs);
}

int64_t http_sink_due_ms(const struct http_sink *hs)
{
	if (hs->easy)
		return -1;
	if (hs->cur)
		return hs->next_attempt_ms;
	if (hs->head || (hs->spool && spool__count(hs->spool)))
		return 0;
	return -1;
}

static int http_submit(struct sink *s, const struct upload_window *w)
{
	struct http_sink *hs = (struct http_sink *)s;
	struct http_entry *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	err = window_encode(w, &e->blob, &e->len);
	if (err) {
		free(e);
		return err;
	}
	e->seq = hs->next_seq++;
	hs->base.stats.submitted++;
	if (hs->spool && (hs->cur || spool__count(hs->spool))) {
		err = spool_window(hs, e->seq, e->blob, e->len);
		entry_free(e);
		if (err) {
			hs->base.stats.dropped++;
			update_gauges(hs);
			return err;
		}
	} else if (hs->spool) {
		hs->cur = e; /* idle: straight out, no disk write */
	} else {
		if (hs->tail)
			hs->tail->next = e;
		else
			hs->head = e;
		hs->tail = e;
		hs->mem_count++;
		hs->mem_bytes += e->len;
		while (hs->mem_bytes > hs->max_bytes && hs->head) {
			struct http_entry *old = hs->head;

			hs->head = old->next;
			if (!hs->head)
				hs->tail = NULL;
			hs->mem_count--;
			hs->mem_bytes -= old->len;
			entry_free(old);
			hs->base.stats.evicted++;
			sink_log(s, UPLOAD_LOG_WARN, "%s: queue full, evicted the oldest window",
				 http_name(s));
		}
	}
	http_sink_tick(hs, upload_now_ms());
	return 0;
}

static int http_poll(struct sink *s, int timeout_ms)
{
	return upload_loop__poll(((struct http_sink *)s)->loop, timeout_ms);
}

static bool pending(const struct http_sink *hs)
{
	return hs->cur || hs->head || (hs->spool && spool__count(hs->spool));
}

static int http_flush(struct sink *s, int timeout_ms)
{
	struct http_sink *hs = (struct http_sink *)s;
	int64_t deadline = upload_now_ms() + timeout_ms;

	while (pending(hs)) {
		int64_t left = deadline - upload_now_ms();
		int err;

		if (left <= 0)
			break;
		err = upload_loop__poll(hs->loop, (int)left);
		if (err)
			return err;
	}
	persist_cur(hs);
	update_gauges(hs);
	return pending(hs) ? -ETIMEDOUT : 0;
}

static void free_headers(struct http_sink *hs)
{
	/* they may hold credentials: wiped like the token files' */
	for (size_t i = 0; i < hs->nr_headers; i++)
		auth_free(hs->headers[i]);
	free(hs->headers);
	hs->headers = NULL;
	hs->nr_headers = 0;
}

static void http_free(struct sink *s)
{
	struct http_sink *hs = (struct http_sink *)s;

	reset_request(hs);
	curl_easy_cleanup(hs->handle);
	persist_cur(hs);
	if (hs->cur && !hs->cur->on_disk)
		hs->base.stats.dropped++;
	hs->base.stats.dropped += hs->mem_count;
	entry_free(hs->cur);
	while (hs->head) {
		struct http_entry *e = hs->head;

		hs->head = e->next;
		entry_free(e);
	}
	upload_loop_remove_sink(hs->loop, hs);
	spool__free(hs->spool);
	http_target_free(&hs->target);
	free(hs->tenant_header);
	free_headers(hs);
	auth_free(hs->bearer);
	auth_free(hs->basic);
	free(hs->tls_ca);
	free(hs->tls_cert);
	free(hs->tls_key);
	free(hs);
}

static const struct sink_ops http_ops = {
	.name = http_name,
	.submit = http_submit,
	.poll = http_poll,
	.flush = http_flush,
	.free = http_free,
};

/* Copy the caller's header lines; an Authorization among them excludes the credential files. */
static int copy_headers(struct http_sink *hs, const struct upload_opts *opts)
{
	if (opts->nr_headers > UPLOAD_MAX_HEADERS || (opts->nr_headers && !opts->headers))
		return -EINVAL;
	if (!opts->nr_headers)
		return 0;
	hs->headers = calloc(opts->nr_headers, sizeof(*hs->headers));
	if (!hs->headers)
		return -ENOMEM;
	for (size_t i = 0; i < opts->nr_headers; i++) {
		if (!strncasecmp(opts->headers[i], "authorization:", 14) &&
		    (opts->bearer_token_file || opts->basic_auth_file)) {
			sink_log(&hs->base, UPLOAD_LOG_ERROR,
				 "%s: an Authorization header and a credential file exclude each "
				 "other",
				 http_name(&hs->base));
			return -EINVAL;
		}
		hs->headers[i] = strdup(opts->headers[i]);
		if (!hs->headers[i])
			return -ENOMEM;
		hs->nr_headers++;
	}
	return 0;
}

static int dup_opt(const char *in, char **out)
{
	if (!in)
		return 0;
	*out = strdup(in);
	return *out ? 0 : -ENOMEM;
}

static int read_secret(struct http_sink *hs, const char *what, const char *path, char **out)
{
	bool readable;
	int err;

	if (!path)
		return 0;
	err = auth_read_file(path, out, &readable);
	if (err) {
		sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: cannot read %s file %s: %s",
			 http_name(&hs->base), what, path,
			 err == -EINVAL ? "empty or not a regular file" : strerror(-err));
		return err;
	}
	if (readable)
		sink_log(&hs->base, UPLOAD_LOG_WARN,
			 "%s: %s file %s is readable by group or others (chmod 600 it)",
			 http_name(&hs->base), what, path);
	return 0;
}

int sink__new_http(struct upload_loop *loop, const struct upload_opts *opts, struct sink **ret_sink)
{
	struct http_sink *hs = calloc(1, sizeof(*hs));
	int err;

	if (!hs)
		return -ENOMEM;
	hs->base.ops = &http_ops;
	hs->base.payload =
		opts->protocol == UPLOAD_OTLP ? UPLOAD_PAYLOAD_OTLP : UPLOAD_PAYLOAD_PPROF;
	hs->base.log = opts->log;
	hs->base.log_ctx = opts->log_ctx;
	hs->loop = loop;
	hs->target.protocol = opts->protocol;
	if (opts->name)
		snprintf(hs->name, sizeof(hs->name), "%s", opts->name);
	hs->insecure = opts->insecure_skip_verify;
	hs->max_bytes = opts->spool_max_bytes ? opts->spool_max_bytes : HTTP_DEFAULT_MAX_BYTES;
	hs->connect_timeout_ms =
		opts->connect_timeout_ms ? opts->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS;
	hs->backoff_min_ms =
		opts->backoff_min_ms ? opts->backoff_min_ms : HTTP_DEFAULT_BACKOFF_MIN_MS;
	hs->backoff_max_ms =
		opts->backoff_max_ms ? opts->backoff_max_ms : HTTP_DEFAULT_BACKOFF_MAX_MS;
	if (hs->backoff_max_ms < hs->backoff_min_ms)
		hs->backoff_max_ms = hs->backoff_min_ms;
	hs->rand_state = (unsigned int)getpid() ^ (unsigned int)upload_now_ms();
	hs->next_seq = 1;

	err = http_target_init(&hs->target, opts->protocol, opts->url,
			       opts->timeout_ms ? opts->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS);
	if (err) {
		sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: bad URL %s", http_name(&hs->base),
			 opts->url ? opts->url : "(none)");
		goto cleanup;
	}
	if (!opts->tls_cert != !opts->tls_key ||
	    (opts->bearer_token_file && opts->basic_auth_file)) {
		sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: %s", http_name(&hs->base),
			 opts->bearer_token_file && opts->basic_auth_file
				 ? "a bearer token and basic auth exclude each other"
				 : "a client certificate needs its key, and the other way round");
		err = -EINVAL;
		goto cleanup;
	}
	if (opts->tenant_id &&
	    asprintf(&hs->tenant_header, "X-Scope-OrgID: %s", opts->tenant_id) < 0) {
		hs->tenant_header = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	err = copy_headers(hs, opts);
	if (!err)
		err = dup_opt(opts->tls_ca, &hs->tls_ca);
	if (!err)
		err = dup_opt(opts->tls_cert, &hs->tls_cert);
	if (!err)
		err = dup_opt(opts->tls_key, &hs->tls_key);
	if (!err)
		err = read_secret(hs, "bearer token", opts->bearer_token_file, &hs->bearer);
	if (!err)
		err = read_secret(hs, "basic auth", opts->basic_auth_file, &hs->basic);
	if (err)
		goto cleanup;
	if ((hs->bearer || hs->basic) && !strncmp(hs->target.endpoint, "http://", 7))
		sink_log(&hs->base, UPLOAD_LOG_WARN,
			 "%s: credentials go unencrypted to %s (use https:// or grpcs://)",
			 http_name(&hs->base), opts->url);
	if (hs->basic && !strchr(hs->basic, ':')) {
		sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: basic auth file %s: want user:password",
			 http_name(&hs->base), opts->basic_auth_file);
		err = -EINVAL;
		goto cleanup;
	}
	if (opts->spool_dir) {
		char *dir;

		/* the spool dir itself may be new (a first start); its parent must exist */
		if (mkdir(opts->spool_dir, 0700) && errno != EEXIST) {
			err = -errno;
			sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: spool %s: %s",
				 http_name(&hs->base), opts->spool_dir, strerror(-err));
			goto cleanup;
		}
		if (asprintf(&dir, "%s/%s", opts->spool_dir, http_name(&hs->base)) < 0) {
			err = -ENOMEM;
			goto cleanup;
		}
		err = spool__open(dir, hs->max_bytes, &hs->spool);
		if (err)
			sink_log(&hs->base, UPLOAD_LOG_ERROR, "%s: spool %s: %s",
				 http_name(&hs->base), dir, strerror(-err));
		free(dir);
		if (err)
			goto cleanup;
		hs->next_seq = spool__next_seq(hs->spool);
		if (spool__count(hs->spool))
			sink_log(&hs->base, UPLOAD_LOG_INFO,
				 "%s: %zu window(s) left in the spool by an earlier run",
				 http_name(&hs->base), spool__count(hs->spool));
	}
	err = upload_loop_add_sink(loop, hs);
	if (err)
		goto cleanup;
	update_gauges(hs);
	*ret_sink = &hs->base;
	return 0;

cleanup:
	http_free(&hs->base); /* what was set up so far: nothing queued, not in the loop yet */
	return err;
}
