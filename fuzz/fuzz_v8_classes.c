// SPDX-License-Identifier: MIT
/* Fuzz the class scan of a script's source (outside input): fed as bytes in two chunks and as
 * UTF-16; never reads outside what it is given, classes' bodies are well ordered, and a name
 * it answers is one of the classes it recorded. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "v8/v8_classes.h"

static void check(const struct v8_classes *c, size_t len)
{
	for (size_t i = 0; i < c->nr; i++)
		if (c->v[i].body_start >= len ||
		    (c->v[i].body_end != UINT32_MAX && c->v[i].body_end <= c->v[i].body_start))
			abort();
	for (size_t i = 0; i < c->nr_blocks; i++)
		if (c->blocks[i].cls >= c->nr)
			abort();
	for (uint64_t off = 0; off <= len; off++) {
		const char *n = v8_classes__of(c, off);

		if (n && (c->broken || !n[0] || strlen(n) >= V8_CLASSES_NAME))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct v8_classes c;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	v8_classes__init(&c);
	if (!v8_classes__feed1(&c, copy, size / 2) &&
	    !v8_classes__feed1(&c, copy + size / 2, size - size / 2)) {
		v8_classes__end(&c);
		check(&c, size);
	}
	v8_classes__release(&c);
	v8_classes__init(&c);
	if (!v8_classes__feed2(&c, (const uint16_t *)copy, size / 2)) {
		v8_classes__end(&c);
		check(&c, size / 2);
	}
	v8_classes__release(&c);
	free(copy);
	return 0;
}
