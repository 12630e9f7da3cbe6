// SPDX-License-Identifier: MIT
/* Fuzz the HotSpot tables' parser (memory of a process that may forge them): input = a memory
 * image (tests/data/hotspot/vmstructs_image.py). Never reads outside it, never loops without
 * bound; a layout it accepts has every offset inside its struct. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hotspot/hs_vmstructs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = malloc(size ? size : 1); /* exact size: ASan sees any read past it */
	struct hs_layout l;
	char what[128];

	if (!img)
		return 0;
	memcpy(img, data, size);
	if (!hs_vmstructs__read_image(img, size, &l, what, sizeof(what)) &&
	    (l.blob_name >= l.nmethod_size || l.pcdesc_size < 8 || l.interp_bcp > -4))
		abort();
	free(img);
	return 0;
}
