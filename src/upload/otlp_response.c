// SPDX-License-Identifier: MIT
/* OTLP answers (response.h): the partial success in an Export response, and the retry rules of
 * the OTLP specification, which differ from the other protocols' (a 500 is final, CANCELLED and
 * DATA_LOSS are not). The body is the server's: decoded by protobuf-c from at most the sink's
 * response cap, every string made printable before it reaches a log line. */
#include <errno.h>
#include <string.h>

#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb-c.h"
#include "upload/response.h"

typedef Opentelemetry__Proto__Collector__Profiles__V1development__ExportProfilesServiceResponse
	pb_response;

#define GRPC_PREFIX_LEN 5

int otlp_response_partial(const uint8_t *body, size_t len, bool grpc, struct otlp_partial *ret)
{
	const pb_response *msg;
	const char *m;

	ret->rejected = -1;
	ret->message[0] = '\0';
	if (grpc && len) {
		uint32_t n;

		if (len < GRPC_PREFIX_LEN || body[0] != 0)
			return -EINVAL;
		n = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 8 |
		    body[4];
		if (n != len - GRPC_PREFIX_LEN)
			return -EINVAL;
		body += GRPC_PREFIX_LEN;
		len = n;
	}
	if (!len)
		return 0;
	msg = opentelemetry__proto__collector__profiles__v1development__export_profiles_service_response__unpack(
		NULL, len, body);
	if (!msg)
		return -EINVAL;
	if (msg->partial_success) {
		m = msg->partial_success->error_message ? msg->partial_success->error_message : "";
		response_message((const uint8_t *)m, strlen(m), ret->message, sizeof(ret->message));
		if (msg->partial_success->rejected_profiles > 0)
			ret->rejected = msg->partial_success->rejected_profiles;
		else if (ret->message[0])
			ret->rejected = 0; /* a warning: all taken */
	}
	opentelemetry__proto__collector__profiles__v1development__export_profiles_service_response__free_unpacked(
		(pb_response *)msg, NULL);
	return 0;
}

static bool otlp_grpc_retryable(int status)
{
	switch (status) {
	case 1:	 /* CANCELLED */
	case 4:	 /* DEADLINE_EXCEEDED */
	case 8:	 /* RESOURCE_EXHAUSTED: retryable only with RetryInfo, which is not read; a
		  * receiver out of memory recovers, and retrying loses nothing */
	case 10: /* ABORTED */
	case 11: /* OUT_OF_RANGE */
	case 14: /* UNAVAILABLE */
	case 15: /* DATA_LOSS */
		return true;
	default:
		return false;
	}
}

enum upload_verdict otlp_verdict(long http_status, bool grpc, const struct upload_response *r)
{
	if (http_status == 0 || http_status == 429 || http_status == 502 || http_status == 503 ||
	    http_status == 504)
		return UPLOAD_RETRY;
	if (http_status < 200 || http_status >= 300)
		return UPLOAD_REJECT;
	if (!grpc || r->grpc_status == 0)
		return UPLOAD_OK;
	if (r->grpc_status < 0)
		return UPLOAD_RETRY; /* an answer cut before its trailers */
	return otlp_grpc_retryable(r->grpc_status) ? UPLOAD_RETRY : UPLOAD_REJECT;
}
