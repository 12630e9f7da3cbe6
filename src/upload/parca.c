// SPDX-License-Identifier: MIT
/* Parca requests: WriteRaw with one series and one sample per window, as a gRPC message (5-byte
 * prefix: flag 0 = uncompressed, big-endian length). The same body travels as gRPC over h2 (te:
 * trailers, which gRPC C-core requires) or as gRPC-Web over HTTP/1.1. No grpc-encoding: Parca
 * registers no compressor, and the pprof is gzip already. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "parca_profilestore.pb-c.h"
#include "upload/http.h"
#include "upload/window.h"

#define MAX_SERIES_LABELS (WINDOW_MAX_LABELS + 3)

int parca_build(const struct http_target *t, CURL *easy, const struct upload_window *w,
		struct http_request *req)
{
	Parca__Profilestore__V1alpha1__Label labels[MAX_SERIES_LABELS], *plabels[MAX_SERIES_LABELS];
	const char *names[MAX_SERIES_LABELS], *values[MAX_SERIES_LABELS];
	Parca__Profilestore__V1alpha1__LabelSet set =
		PARCA__PROFILESTORE__V1ALPHA1__LABEL_SET__INIT;
	Parca__Profilestore__V1alpha1__RawSample sample =
		PARCA__PROFILESTORE__V1ALPHA1__RAW_SAMPLE__INIT;
	Parca__Profilestore__V1alpha1__RawSample *psample = &sample;
	Parca__Profilestore__V1alpha1__RawProfileSeries series =
		PARCA__PROFILESTORE__V1ALPHA1__RAW_PROFILE_SERIES__INIT;
	Parca__Profilestore__V1alpha1__RawProfileSeries *pseries = &series;
	Parca__Profilestore__V1alpha1__WriteRawRequest msg =
		PARCA__PROFILESTORE__V1ALPHA1__WRITE_RAW_REQUEST__INIT;
	size_t n = http_series_labels(w, names, values, MAX_SERIES_LABELS), len;
	uint8_t *packed;
	char timeout[64];
	int err;

	(void)easy;
	for (size_t i = 0; i < n; i++) {
		parca__profilestore__v1alpha1__label__init(&labels[i]);
		labels[i].name = (char *)names[i];
		labels[i].value = (char *)values[i];
		plabels[i] = &labels[i];
	}
	set.n_labels = n;
	set.labels = plabels;
	series.labels = &set;
	sample.raw_profile.data = (uint8_t *)w->payload;
	sample.raw_profile.len = w->payload_len;
	series.n_samples = 1;
	series.samples = &psample;
	msg.n_series = 1;
	msg.series = &pseries;

	len = parca__profilestore__v1alpha1__write_raw_request__get_packed_size(&msg);
	packed = malloc(len ? len : 1);
	if (!packed)
		return -ENOMEM;
	parca__profilestore__v1alpha1__write_raw_request__pack(&msg, packed);
	err = http_grpc_body(req, false, packed, len);
	free(packed);
	if (err)
		return err;

	if (t->wire == WIRE_GRPC) {
		snprintf(timeout, sizeof(timeout), "grpc-timeout: %um", t->timeout_ms);
		err = http_request_header(req, "Content-Type: application/grpc");
		if (!err)
			err = http_request_header(req, "te: trailers");
		if (!err)
			err = http_request_header(req, timeout);
	} else {
		err = http_request_header(req, "Content-Type: application/grpc-web+proto");
		if (!err)
			err = http_request_header(req, "X-Grpc-Web: 1");
		if (!err)
			err = http_request_header(req, "Expect:");
	}
	return err;
}
