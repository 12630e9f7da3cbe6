// SPDX-License-Identifier: MIT
/* OTLP profiles requests: ProfilesService/Export as one gRPC message, or an OTLP/HTTP POST of the
 * protobuf body. The window's payload is the request gzip'd once (sinks.c), so both transports
 * send those bytes: gRPC as a compressed message (flag 1, grpc-encoding: gzip, which every gRPC
 * server decodes and the Collector's own OTLP exporter sends by default), HTTP with
 * Content-Encoding: gzip. The caller's extra headers (--otlp-header) are added by the sink. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upload/http.h"

int otlp_build(const struct http_target *t, CURL *easy, const struct upload_window *w,
	       struct http_request *req)
{
	char timeout[64];
	int err;

	(void)easy;
	if (t->wire == WIRE_GRPC) {
		err = http_grpc_body(req, true, w->payload, w->payload_len);
		snprintf(timeout, sizeof(timeout), "grpc-timeout: %um", t->timeout_ms);
		if (!err)
			err = http_request_header(req, "Content-Type: application/grpc");
		if (!err)
			err = http_request_header(req, "te: trailers");
		if (!err)
			err = http_request_header(req, "grpc-encoding: gzip");
		if (!err)
			err = http_request_header(req, timeout);
		return err;
	}
	req->body = malloc(w->payload_len ? w->payload_len : 1);
	if (!req->body)
		return -ENOMEM;
	memcpy(req->body, w->payload, w->payload_len);
	req->body_len = w->payload_len;
	err = http_request_header(req, "Content-Type: application/x-protobuf");
	if (!err)
		err = http_request_header(req, "Content-Encoding: gzip");
	if (!err)
		err = http_request_header(req, "Expect:");
	return err;
}
