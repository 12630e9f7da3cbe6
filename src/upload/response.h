/* SPDX-License-Identifier: MIT */
/* What a server answered, parsed from untrusted bytes: header and trailer lines (grpc-status,
 * grpc-message, Retry-After), gRPC-Web body frames, and the verdict: delivered, retry, or
 * rejected. Pure functions, fuzzed (fuzz/fuzz_upload_response.c). */
#ifndef FLAMED_UPLOAD_RESPONSE_H
#define FLAMED_UPLOAD_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESPONSE_MESSAGE_MAX 256

struct upload_response {
	int grpc_status;			 /* -1 = none seen */
	char grpc_message[RESPONSE_MESSAGE_MAX]; /* percent-decoded, printable */
	int64_t retry_after_ms;			 /* -1 = none */
};

enum upload_verdict {
	UPLOAD_OK,
	UPLOAD_RETRY,
	UPLOAD_REJECT,
};

/* Fresh state: no grpc-status, no Retry-After. */
void response_init(struct upload_response *r);

/* One header or trailer line as libcurl delivers it ("Name: value\r\n", any case). Lines it does
 * not know are ignored. now_s (wall clock) turns a Retry-After HTTP date into a delay. */
void response_header(struct upload_response *r, const char *line, size_t len, int64_t now_s);

/* Retry-After value: delay-seconds or an HTTP date. 0 and *ret_ms, or -EINVAL. */
int response_retry_after(const char *value, size_t len, int64_t now_s, int64_t *ret_ms);

/* gRPC-Web response body: data frames (flag 0x00) skipped, the trailer frame (flag 0x80) parsed as
 * header lines. 0, or -EINVAL for a truncated or unknown frame (compressed frames included). */
int response_grpc_web_body(struct upload_response *r, const uint8_t *body, size_t len);

/* The verdict for an HTTP status (0 = no response: connection error or timeout). grpc says the
 * answer must carry grpc-status 0 to count as delivered. */
enum upload_verdict response_verdict(long http_status, bool grpc, const struct upload_response *r);

/* --- OTLP (otlp_response.c) --- */

/* What an OTLP receiver said in a successful answer. */
struct otlp_partial {
	int64_t rejected;		    /* rejected_profiles; -1 = no partial success */
	char message[RESPONSE_MESSAGE_MAX]; /* error_message, printable; "" = none */
};

/* The ExportProfilesServiceResponse of a successful answer's body, one gRPC message when grpc.
 * An empty body, or a partial_success with 0 rejected and no message, is a full success
 * (rejected -1). 0 and *ret, or -EINVAL: a body that does not parse (a compressed gRPC message
 * included: flamed does not offer the server any compression for answers). */
int otlp_response_partial(const uint8_t *body, size_t len, bool grpc, struct otlp_partial *ret);

/* The OTLP specification's verdict: HTTP 429, 502, 503, 504 and no answer at all are retried,
 * any other non-2xx rejects; gRPC CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
 * OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retried, other codes reject. */
enum upload_verdict otlp_verdict(long http_status, bool grpc, const struct upload_response *r);

/* A printable one-line copy of a server's error body (control bytes and non-ASCII become '?',
 * cut to out_size - 1). */
void response_message(const uint8_t *body, size_t len, char *out, size_t out_size);

#endif /* FLAMED_UPLOAD_RESPONSE_H */
