// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "runtime/rt_mem.h"
#include "v8/v8_heap.h"
#include "v8/v8_names.h"

#define USER_MAX  RT_MEM_USER_MAX
#define CHUNK	  (32u << 10) /* characters read at once */
#define MAX_TYPES 65536	      /* Maps remembered */
#define UNCACHED  0x10	      /* an external string's instance type bit: no data pointer */

void v8_heap__init(struct v8_heap *h, uint32_t pid, const struct v8_meta *m)
{
	*h = (struct v8_heap){ .pid = pid, .m = m };
	hashmap__init(&h->types, hashmap_hash_int, hashmap_equal_int, NULL);
}

void v8_heap__release(struct v8_heap *h)
{
	if (h)
		hashmap__clear(&h->types);
}

void v8_heap__forget_types(struct v8_heap *h)
{
	hashmap__clear(&h->types);
}

bool v8_heap__is_object(uint64_t w)
{
	return (w & 7) == 1 && w > 4096 && w < USER_MAX;
}

static int read_raw(struct v8_heap *h, uint64_t addr, void *buf, size_t len)
{
	int err;

	if (!len)
		return 0;
	h->reads++;
	err = rt_mem__read(h->pid, addr, buf, len);
	h->faults += err != 0;
	return err;
}

int v8_heap__read(struct v8_heap *h, uint64_t obj, uint32_t off, void *buf, size_t len)
{
	if (!v8_heap__is_object(obj))
		return -EFAULT;
	return read_raw(h, obj - 1 + off, buf, len);
}

void v8_heap__read_many(struct v8_heap *h, const uint64_t *objs, size_t n, uint32_t off,
			void *const *bufs, size_t len, bool *ok)
{
	struct iovec local[64], remote[64];
	size_t k = 0, idx[64];
	ssize_t got;

	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++) {
		ok[i] = false;
		if (!v8_heap__is_object(objs[i]))
			continue;
		local[k] = (struct iovec){ .iov_base = bufs[i], .iov_len = len };
		remote[k] = (struct iovec){ .iov_base = (void *)(uintptr_t)(objs[i] - 1 + off),
					    .iov_len = len };
		idx[k++] = i;
	}
	if (!k)
		return;
	h->reads++;
	/* the kernel stops at the first remote range it cannot read: what came before is good,
	 * the rest is read one by one */
	got = process_vm_readv((pid_t)h->pid, local, k, remote, k, 0);
	for (size_t j = 0; j < k; j++) {
		if (got >= (ssize_t)len) {
			ok[idx[j]] = true;
			got -= (ssize_t)len;
		} else {
			got = 0;
			ok[idx[j]] = !read_raw(h, objs[idx[j]] - 1 + off, bufs[idx[j]], len);
		}
	}
}

int v8_heap__type(struct v8_heap *h, uint64_t obj)
{
	uint64_t map;

	if (v8_heap__read(h, obj, 0, &map, sizeof(map)))
		return -1;
	return v8_heap__map_type(h, map);
}

int v8_heap__map_type(struct v8_heap *h, uint64_t map)
{
	uint16_t type;
	uintptr_t v;

	if (!v8_heap__is_object(map))
		return -1;
	if (hashmap__find(&h->types, map, &v))
		return (int)v - 1;
	if (v8_heap__read(h, map, h->m->map_instance_type, &type, sizeof(type)))
		return -1;
	if (h->types.len < MAX_TYPES)
		hashmap__set(&h->types, map, (uintptr_t)type + 1);
	return type;
}

bool v8_heap__is_string_type(const struct v8_heap *h, int type)
{
	return type >= 0 && (uint32_t)type < h->m->first_nonstring;
}

int64_t v8_heap__string_length(struct v8_heap *h, uint64_t obj)
{
	int32_t len;

	if (!v8_heap__is_string_type(h, v8_heap__type(h, obj)) ||
	    v8_heap__read(h, obj, h->m->string_length, &len, sizeof(len)) || len < 0)
		return -1;
	return len;
}

/* A read buffer for characters: cap characters of two bytes. */
struct chars_buf {
	void *buf;
	size_t cap;
};

/* Characters [start, start + n) of a flat run at raw address data (two bytes each if wide). */
static int chars_at(struct v8_heap *h, uint64_t data, uint64_t start, uint64_t n, bool wide,
		    int (*fn)(void *, const void *, size_t, bool), void *ctx,
		    const struct chars_buf *b)
{
	size_t cw = wide ? 2 : 1;
	int err;

	while (n) {
		size_t k = n < b->cap ? (size_t)n : b->cap;

		err = read_raw(h, data + start * cw, b->buf, k * cw);
		if (err)
			return err;
		err = fn(ctx, b->buf, k, wide);
		if (err)
			return err;
		start += k;
		n -= k;
	}
	return 0;
}

static int string_chars(struct v8_heap *h, uint64_t obj, uint64_t start, uint64_t n,
			int (*fn)(void *, const void *, size_t, bool), void *ctx,
			const struct chars_buf *b, unsigned depth)
{
	const struct v8_meta *m = h->m;
	uint64_t w[2], data;
	int64_t first_len;
	uint32_t repr;
	int32_t len;
	int type, err;
	bool wide;

	while (n) {
		if (depth++ > V8_HEAP_MAX_DEPTH)
			return -EINVAL;
		type = v8_heap__type(h, obj);
		if (!v8_heap__is_string_type(h, type) ||
		    v8_heap__read(h, obj, m->string_length, &len, sizeof(len)) || len < 0)
			return -EFAULT;
		if (start >= (uint64_t)len)
			return 0;
		if (n > (uint64_t)len - start)
			n = (uint64_t)len - start;
		wide = ((uint32_t)type & m->string_enc_mask) != m->string_one_byte;
		repr = (uint32_t)type & m->string_repr_mask;
		if (repr == m->string_seq)
			return chars_at(h, obj - 1 + m->seq_chars, start, n, wide, fn, ctx, b);
		if (repr == m->string_external) {
			/* a cached external string keeps its resource's data pointer right after
			 * the resource */
			if ((uint32_t)type & UNCACHED ||
			    v8_heap__read(h, obj, m->external_resource + 8, &data, sizeof(data)) ||
			    !data || data > USER_MAX)
				return -EINVAL;
			return chars_at(h, data, start, n, wide, fn, ctx, b);
		}
		if (repr == m->string_thin) {
			if (v8_heap__read(h, obj, m->thin_actual, &obj, sizeof(obj)))
				return -EFAULT;
		} else if (repr == m->string_sliced) {
			if (v8_heap__read(h, obj, m->sliced_parent, &w[0], 8) ||
			    v8_heap__read(h, obj, m->sliced_offset, &w[1], 8) || (w[1] & 1))
				return -EFAULT;
			obj = w[0];
			start += (uint64_t)((int64_t)w[1] >> m->smi_shift);
		} else if (repr == m->string_cons) {
			if (v8_heap__read(h, obj, m->cons_first, &w[0], 8) ||
			    v8_heap__read(h, obj, m->cons_second, &w[1], 8))
				return -EFAULT;
			first_len = v8_heap__string_length(h, w[0]);
			if (first_len < 0)
				return -EFAULT;
			if (start < (uint64_t)first_len) {
				uint64_t k = (uint64_t)first_len - start;

				k = k < n ? k : n;
				err = string_chars(h, w[0], start, k, fn, ctx, b, depth);
				if (err)
					return err;
				n -= k;
				start = 0;
			} else {
				start -= (uint64_t)first_len;
			}
			obj = w[1];
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

int v8_heap__string_chars(struct v8_heap *h, uint64_t obj, uint64_t start, uint64_t n,
			  int (*fn)(void *ctx, const void *chars, size_t count, bool wide),
			  void *ctx)
{
	struct chars_buf b = { .buf = malloc(CHUNK * 2), .cap = CHUNK };
	int err;

	if (!b.buf)
		return -ENOMEM;
	err = string_chars(h, obj, start, n, fn, ctx, &b, 0);
	free(b.buf);
	return err;
}

struct utf8_ctx {
	char *out;
	size_t sz, len;
};

static int utf8_chunk(void *arg, const void *chars, size_t n, bool wide)
{
	struct utf8_ctx *c = arg;

	if (c->len + 1 >= c->sz)
		return 1;
	c->len += v8_names__utf8(chars, n, wide, c->out + c->len, c->sz - c->len);
	return 0;
}

int v8_heap__string_utf8(struct v8_heap *h, uint64_t obj, uint64_t start, size_t max, char *out,
			 size_t sz)
{
	struct utf8_ctx c = { .out = out, .sz = sz };
	uint16_t buf[512];
	struct chars_buf b = { .buf = buf, .cap = 512 };
	int err;

	if (!sz)
		return -EINVAL;
	out[0] = '\0';
	/* names are short: no heap buffer */
	err = string_chars(h, obj, start, max, utf8_chunk, &c, &b, 0);
	return err < 0 ? err : 0;
}

int64_t v8_heap__smi(const struct v8_meta *m, uint64_t w)
{
	return (int64_t)w >> m->smi_shift;
}

bool v8_heap__is_smi(uint64_t w)
{
	return !(w & 1);
}

uint8_t *v8_heap__byte_array(struct v8_heap *h, uint64_t obj, size_t max, size_t *ret_len)
{
	const struct v8_meta *m = h->m;
	uint64_t len_w;
	int64_t len;
	uint8_t *buf;

	*ret_len = 0;
	if (v8_heap__type(h, obj) != (int)m->type_byte_array ||
	    v8_heap__read(h, obj, m->fixed_array_length, &len_w, 8) || !v8_heap__is_smi(len_w))
		return NULL;
	len = v8_heap__smi(m, len_w);
	if (len <= 0 || (uint64_t)len > max)
		return NULL;
	buf = malloc((size_t)len);
	if (!buf)
		return NULL;
	if (v8_heap__read(h, obj, m->fixed_array_data, buf, (size_t)len)) {
		free(buf);
		return NULL;
	}
	*ret_len = (size_t)len;
	return buf;
}

ssize_t v8_heap__slots(struct v8_heap *h, uint64_t obj, uint64_t *out, size_t max)
{
	const struct v8_meta *m = h->m;
	uint64_t len_w;
	int64_t len;

	if (v8_heap__read(h, obj, m->fixed_array_length, &len_w, 8) || !v8_heap__is_smi(len_w))
		return -1;
	len = v8_heap__smi(m, len_w);
	if (len < 0)
		return -1;
	if ((uint64_t)len > max)
		len = (int64_t)max;
	if (len && v8_heap__read(h, obj, m->fixed_array_data, out, (size_t)len * 8))
		return -1;
	return len;
}
