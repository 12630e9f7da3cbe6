/* SPDX-License-Identifier: MIT */
/* Internals shared by the HTTP sink (http_sink.c), its loop (loop.c) and the request builders of
 * each protocol (pyroscope.c, parca.c). Private to src/upload/. */
#ifndef FLAMED_UPLOAD_HTTP_H
#define FLAMED_UPLOAD_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "upload/upload.h"

struct http_sink;

/* How the request travels. */
enum http_wire {
	WIRE_CONNECT,  /* Connect unary: bare message, application/proto */
	WIRE_INGEST,   /* Pyroscope /ingest multipart */
	WIRE_GRPC,     /* gRPC: 5-byte prefix, te: trailers, grpc-status in trailers */
	WIRE_GRPC_WEB, /* gRPC-Web over HTTP/1.1: grpc-status in a 0x80 trailer frame */
	WIRE_PROTO,    /* protobuf POST, application/x-protobuf (OTLP/HTTP) */
};

/* Where requests go, decided once from the URL. */
struct http_target {
	enum upload_protocol protocol;
	enum http_wire wire;
	char *endpoint;	   /* full URL of the method (or of /ingest, without the query) */
	long http_version; /* CURL_HTTP_VERSION_* */
	unsigned int timeout_ms;
};

/* One request's body and headers, freed by http_request_free. */
struct http_request {
	char *url; /* NULL = target endpoint */
	struct curl_slist *headers;
	uint8_t *body;
	size_t body_len;
	curl_mime *mime;
};

/* Parse url for protocol into t (t->endpoint malloc'ed). 0 or -EINVAL. */
int http_target_init(struct http_target *t, enum upload_protocol protocol, const char *url,
		     unsigned int timeout_ms);
void http_target_free(struct http_target *t);

/* Build the request for window w: headers (content type and protocol headers; not auth, not
 * tenant) and body or mime part. easy is the handle it will travel on (the mime part needs it).
 * 0 or -errno (-EINVAL: a label the protocol cannot carry, -ENOMEM). */
int pyroscope_build(const struct http_target *t, CURL *easy, const struct upload_window *w,
		    struct http_request *req);
int parca_build(const struct http_target *t, CURL *easy, const struct upload_window *w,
		struct http_request *req);
int otlp_build(const struct http_target *t, CURL *easy, const struct upload_window *w,
	       struct http_request *req);

/* Append header line h to req. 0 or -ENOMEM. */
int http_request_header(struct http_request *req, const char *h);
/* A gRPC message: the 5-byte prefix (compressed flag, big-endian length) and msg, as req's body.
 * 0, -EINVAL (over 4 GiB) or -ENOMEM. */
int http_grpc_body(struct http_request *req, bool compressed, const uint8_t *msg, size_t len);
void http_request_free(struct http_request *req);

/* Series labels every protocol sends: __name__, service_name, hostname, then the window's own.
 * Returns the count written to names/values (at most max), borrowed from w. */
#define HTTP_SERIES_NAME "process_cpu" /* __name__ unless the window names another */
size_t http_series_labels(const struct upload_window *w, const char **names, const char **values,
			  size_t max);

/* --- loop.c, for http_sink.c --- */
CURLM *upload_loop_multi(struct upload_loop *loop);
int upload_loop_add_sink(struct upload_loop *loop, struct http_sink *hs);
void upload_loop_remove_sink(struct upload_loop *loop, struct http_sink *hs);
int64_t upload_now_ms(void);

/* --- http_sink.c, for loop.c --- */
/* The request on easy (CURLINFO_PRIVATE = the sink) finished with result. */
void http_sink_done(struct http_sink *hs, CURL *easy, CURLcode result);
/* Start what is due at now_ms. */
void http_sink_tick(struct http_sink *hs, int64_t now_ms);
/* When the sink next wants a tick: -1 = never (idle or a request in flight), else a time in ms. */
int64_t http_sink_due_ms(const struct http_sink *hs);

#endif /* FLAMED_UPLOAD_HTTP_H */
