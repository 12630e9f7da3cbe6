// SPDX-License-Identifier: MIT
/* Fuzz HotSpot's compressed metadata decoders (bytes of a JVM's memory): input = a selector byte
 * (bit 0: UNSIGNED5 without the zero byte, as from JDK 20), a 4-byte bci / pc offset / scope
 * offset, then the data, read as a line number table, as PcDescs of 16 bytes and as scope data.
 * Never reads past the data; a scope chain is never longer than asked. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hotspot/hs_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_scope sc[HS_MAX_SCOPES];
	uint32_t arg, scope, v;
	int32_t first;
	size_t len, end, pos = 0;
	uint8_t *buf;
	int x;

	if (size < 5)
		return 0;
	x = data[0] & 1;
	memcpy(&arg, data + 1, sizeof(arg));
	len = size - 5;
	buf = malloc(len ? len : 1); /* exact size: ASan sees any read past it */
	if (!buf)
		return 0;
	memcpy(buf, data + 5, len);
	hs_line_for_bci(buf, len, x, arg & 0xffff, &first, &end);
	if (end > len)
		abort();
	hs_pcdesc_find(buf, len / 16, 16, 0, 4, arg, &scope);
	if (hs_scopes(buf, len, x, arg % (len + 1), sc, HS_MAX_SCOPES) > HS_MAX_SCOPES)
		abort();
	while (hs_u5_read(buf, len, &pos, x, &v))
		if (pos > len)
			abort();
	free(buf);
	return 0;
}
