// SPDX-License-Identifier: MIT
/* Fuzz the names of Ruby frames: any bytes as a String, an Array, an iseq body and ivar table
 * entries (fields only from within the buffer, lengths bounded, pointers in user space), and a
 * frame's name composed of three strings (within its buffer, NUL-terminated, valid UTF-8). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ruby/rb_names.h"
#include "ruby/rb_offsets.h"
#include "runtime/rt_mem.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rb_offsets *o = rb_offsets__find(3, 1);
	char a[RB_NAMES_MAX * 2], b[RB_NAMES_MAX * 2], c[RB_NAMES_MAX * 2];
	char out[RB_NAMES_MAX * 6 + 8];
	size_t third = size / 3, n;
	struct rb_str s;
	struct rb_ary ary;
	struct rb_body body;

	if (!o)
		abort();
	if (rb_names__str(data, size, o, &s)) {
		if (s.embedded ? s.off + s.len > size
			       : (s.len > (1u << 20) || (s.len && s.ptr > RT_MEM_USER_MAX)))
			abort();
	}
	if (rb_names__ary(data, size, 0x1000, o, &ary) && ary.ptr == 0x1000 + o->ary_embed_ptr &&
	    o->ary_embed_ptr + ary.len * 8 > size)
		abort();
	if (rb_names__body(data, size, o, &body) &&
	    (!rb_names__ptr(body.encoded) || !rb_names__ptr(body.label)))
		abort();
	(void)rb_names__st_find(data, size, o, size ? data[0] : 0);
	(void)rb_names__id_serial(size, o);
	rt_mem__text(data, third, a, sizeof(a));
	rt_mem__text(data + third, third, b, sizeof(b));
	rt_mem__text(data + 2 * third, size - 2 * third, c, sizeof(c));
	for (int k = 0; k < 4; k++) {
		n = rb_names__label(k & 1 ? NULL : a, b, k & 2 ? NULL : c, k & 1, k != 3, out,
				    sizeof(out));
		if (n >= sizeof(out) || strlen(out) != n || !utf8_valid(out))
			abort();
	}
	return 0;
}
