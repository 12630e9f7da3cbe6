// SPDX-License-Identifier: MIT
/* An OTLP receiver's answer, from hostile bytes: the first byte says whether the body is framed
 * as a gRPC message; the rest is the ExportProfilesServiceResponse (partial success) a receiver
 * sends, decoded as the sink decodes it. Then the verdicts of both transports. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "upload/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upload_response r;
	struct otlp_partial p;
	bool grpc;

	if (size < 1)
		return 0;
	grpc = data[0] & 1;
	if (otlp_response_partial(data + 1, size - 1, grpc, &p) == 0) {
		if (strnlen(p.message, sizeof(p.message)) == sizeof(p.message))
			abort(); /* always terminated */
		if (p.rejected < -1)
			abort();
		for (const char *c = p.message; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				abort(); /* one printable log line */
	}
	response_init(&r);
	r.grpc_status = data[0] >> 1;
	(void)otlp_verdict(200, grpc, &r);
	(void)otlp_verdict(503, false, &r);
	return 0;
}
