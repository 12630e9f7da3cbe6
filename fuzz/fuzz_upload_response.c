// SPDX-License-Identifier: MIT
/* What a server answers, from hostile bytes: the first byte picks the parser. 0: header and
 * trailer lines (grpc-status, percent-encoded grpc-message, Retry-After in both forms), one per
 * '\n'; 1: a gRPC-Web body (data and trailer frames); 2: an error body made printable. Then the
 * verdict on what was parsed. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "upload/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upload_response r;
	char msg[RESPONSE_MESSAGE_MAX];
	const char *p, *end;

	if (size < 1)
		return 0;
	response_init(&r);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	switch (data[0] % 3) {
	case 0:
		while (p < end) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			size_t len = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);

			response_header(&r, p, len, 1795776000);
			p += len;
		}
		break;
	case 1:
		(void)response_grpc_web_body(&r, data + 1, size - 1);
		break;
	default:
		response_message(data + 1, size - 1, msg, sizeof(msg));
		break;
	}
	if (strnlen(r.grpc_message, sizeof(r.grpc_message)) == sizeof(r.grpc_message))
		abort(); /* always terminated */
	(void)response_verdict(200, true, &r);
	return 0;
}
