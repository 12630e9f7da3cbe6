// SPDX-License-Identifier: MIT
/* Pyroscope requests: Connect unary push.v1.PusherService/Push (a bare PushRequest, one series
 * with one sample per window), or the legacy /ingest with the pprof as the multipart file part
 * "profile" (a part without a file name is ignored with a 200; no `format` parameter, which would
 * make the server read the whole multipart body as the profile). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyroscope_push.pb-c.h"
#include "upload/http.h"
#include "upload/window.h"

#define MAX_SERIES_LABELS (WINDOW_MAX_LABELS + 3)

static int build_push(const struct http_target *t, const struct upload_window *w,
		      struct http_request *req)
{
	Types__V1__LabelPair pairs[MAX_SERIES_LABELS], *ppairs[MAX_SERIES_LABELS];
	const char *names[MAX_SERIES_LABELS], *values[MAX_SERIES_LABELS];
	Push__V1__RawSample sample = PUSH__V1__RAW_SAMPLE__INIT, *psample = &sample;
	Push__V1__RawProfileSeries series = PUSH__V1__RAW_PROFILE_SERIES__INIT, *pseries = &series;
	Push__V1__PushRequest msg = PUSH__V1__PUSH_REQUEST__INIT;
	size_t n = http_series_labels(w, names, values, MAX_SERIES_LABELS);
	char timeout[64];
	int err;

	for (size_t i = 0; i < n; i++) {
		types__v1__label_pair__init(&pairs[i]);
		pairs[i].name = (char *)names[i];
		pairs[i].value = (char *)values[i];
		ppairs[i] = &pairs[i];
	}
	series.n_labels = n;
	series.labels = ppairs;
	sample.raw_profile.data = (uint8_t *)w->payload;
	sample.raw_profile.len = w->payload_len;
	series.n_samples = 1;
	series.samples = &psample;
	msg.n_series = 1;
	msg.series = &pseries;

	req->body_len = push__v1__push_request__get_packed_size(&msg);
	req->body = malloc(req->body_len ? req->body_len : 1);
	if (!req->body)
		return -ENOMEM;
	push__v1__push_request__pack(&msg, req->body);
	snprintf(timeout, sizeof(timeout), "Connect-Timeout-Ms: %u", t->timeout_ms);
	err = http_request_header(req, "Content-Type: application/proto");
	if (!err)
		err = http_request_header(req, "Connect-Protocol-Version: 1");
	if (!err)
		err = http_request_header(req, timeout);
	if (!err)
		err = http_request_header(req, "Expect:"); /* no 100-continue round trip */
	return err;
}

/* A labelset value cannot hold the characters that delimit it in app{k=v,...}. */
static bool ingest_safe(const char *s)
{
	return !strpbrk(s, "{},=");
}

static int build_ingest(const struct http_target *t, CURL *easy, const struct upload_window *w,
			struct http_request *req)
{
	const char *names[MAX_SERIES_LABELS], *values[MAX_SERIES_LABELS];
	size_t n = http_series_labels(w, names, values, MAX_SERIES_LABELS);
	char *name = NULL, *escaped = NULL;
	size_t len = 0;
	curl_mimepart *part;
	FILE *f;
	int err = 0;

	/* name = service{k=v,...}: service_name is the app name, __name__ comes from the profile */
	f = open_memstream(&name, &len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 1; i < n; i++) {
		if (!ingest_safe(values[i]))
			err = -EINVAL;
		if (i == 1)
			fprintf(f, "%s{", values[i]);
		else
			fprintf(f, "%s%s=%s", i == 2 ? "" : ",", names[i], values[i]);
	}
	fputc('}', f);
	if (fclose(f))
		err = -ENOMEM;
	if (err)
		goto cleanup;
	escaped = curl_easy_escape(easy, name, (int)len);
	if (!escaped) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (asprintf(&req->url, "%s?name=%s&from=%lld&until=%lld&spyName=flamed", t->endpoint,
		     escaped, (long long)w->start_ns, (long long)w->end_ns) < 0) {
		req->url = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	req->mime = curl_mime_init(easy);
	part = req->mime ? curl_mime_addpart(req->mime) : NULL;
	if (!part || curl_mime_name(part, "profile") || curl_mime_filename(part, "profile.pprof") ||
	    curl_mime_type(part, "application/octet-stream") ||
	    curl_mime_data(part, (const char *)w->payload, w->payload_len)) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = http_request_header(req, "Expect:");

cleanup:
	curl_free(escaped);
	free(name);
	return err;
}

int pyroscope_build(const struct http_target *t, CURL *easy, const struct upload_window *w,
		    struct http_request *req)
{
	return t->wire == WIRE_INGEST ? build_ingest(t, easy, w, req) : build_push(t, w, req);
}
