// SPDX-License-Identifier: MIT
/* Window blobs as the spool reads them back from disk (a file may be damaged): decode, and on
 * success check every pointer lies inside the blob and re-encoding gives the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "upload/window.h"

static void inside(const uint8_t *data, size_t size, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (b && (b < data || b + len > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct window_view v;
	uint8_t *again = NULL;
	size_t len;

	if (window_decode(data, size, &v))
		return 0;
	inside(data, size, v.window.payload, v.window.payload_len);
	if (v.window.service_name)
		inside(data, size, v.window.service_name, strlen(v.window.service_name) + 1);
	for (size_t i = 0; i < v.window.nr_labels; i++) {
		inside(data, size, v.window.labels[i].key, strlen(v.window.labels[i].key) + 1);
		inside(data, size, v.window.labels[i].value, strlen(v.window.labels[i].value) + 1);
	}
	/* a string with an early NUL re-encodes shorter: only compare when none has one */
	if (!window_encode(&v.window, &again, &len) && len == size && memcmp(again, data, size))
		abort();
	free(again);
	return 0;
}
