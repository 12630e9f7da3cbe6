// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "ruby/rb_names.h"
#include "runtime/rt_mem.h"

#define RB_ST_DELETED UINT64_MAX /* st.c's RESERVED_HASH_VAL: a deleted entry */

bool rb_names__ptr(uint64_t v)
{
	/* special constants (nil, true, fixnums, symbols, flonums) are odd or below 64 */
	return v >= 64 && v <= RT_MEM_USER_MAX && !(v & 7);
}

uint32_t rb_names__type(uint64_t flags, const struct rb_offsets *o)
{
	return (uint32_t)(flags & o->t_mask);
}

bool rb_names__imemo(uint64_t flags, const struct rb_offsets *o, uint32_t imemo)
{
	return rb_names__type(flags, o) == o->t_imemo &&
	       ((flags >> o->fl_ushift) & o->imemo_mask) == imemo;
}

bool rb_names__str(const uint8_t *obj, size_t n, const struct rb_offsets *o, struct rb_str *ret)
{
	uint64_t flags = rt_mem__word(obj, n, 0);

	*ret = (struct rb_str){ 0 };
	if (n < 8 || rb_names__type(flags, o) != o->t_string)
		return false;
	if (!(flags & o->str_noembed)) {
		ret->embedded = true;
		ret->len = (flags & o->str_len_mask) >> o->str_len_shift;
		ret->off = o->str_embed;
		return ret->off <= n && ret->len <= n - ret->off;
	}
	if ((size_t)o->str_heap_len + 8 > n || (size_t)o->str_heap_ptr + 8 > n)
		return false;
	ret->len = rt_mem__word(obj, n, o->str_heap_len);
	ret->ptr = rt_mem__word(obj, n, o->str_heap_ptr);
	return ret->len <= (1u << 20) && (!ret->len || (ret->ptr && ret->ptr <= RT_MEM_USER_MAX));
}

bool rb_names__ary(const uint8_t *obj, size_t n, uint64_t addr, const struct rb_offsets *o,
		   struct rb_ary *ret)
{
	uint64_t flags = rt_mem__word(obj, n, 0);

	*ret = (struct rb_ary){ 0 };
	if (n < 8 || rb_names__type(flags, o) != o->t_array)
		return false;
	if (flags & o->ary_embed) {
		ret->len = (flags & o->ary_len_mask) >> o->ary_len_shift;
		ret->ptr = addr + o->ary_embed_ptr;
		return (size_t)o->ary_embed_ptr + ret->len * 8 <= n;
	}
	if ((size_t)o->ary_heap_len + 8 > n || (size_t)o->ary_heap_ptr + 8 > n)
		return false;
	ret->len = rt_mem__word(obj, n, o->ary_heap_len);
	ret->ptr = rt_mem__word(obj, n, o->ary_heap_ptr);
	return ret->len <= (1u << 24) && (!ret->len || rb_names__ptr(ret->ptr));
}

bool rb_names__body(const uint8_t *buf, size_t n, const struct rb_offsets *o, struct rb_body *ret)
{
	const uint16_t words[] = { o->body_iseq_encoded, o->body_path,	       o->body_base_label,
				   o->body_label,	 o->body_first_lineno, o->body_insns_info,
				   o->body_succ_table,	 o->body_local_iseq };
	uint64_t first;

	*ret = (struct rb_body){ 0 };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((size_t)words[i] + 8 > n)
			return false;
	if ((size_t)o->body_type + 4 > n || (size_t)o->body_iseq_size + 4 > n ||
	    (size_t)o->body_insns_size + 4 > n)
		return false;
	ret->type = rt_mem__u32(buf, n, o->body_type);
	ret->iseq_size = rt_mem__u32(buf, n, o->body_iseq_size);
	ret->encoded = rt_mem__word(buf, n, o->body_iseq_encoded);
	ret->path = rt_mem__word(buf, n, o->body_path);
	ret->base_label = rt_mem__word(buf, n, o->body_base_label);
	ret->label = rt_mem__word(buf, n, o->body_label);
	first = rt_mem__word(buf, n, o->body_first_lineno);
	ret->first_line = (first & 1) ? (int64_t)first >> 1 : 0; /* a Fixnum */
	ret->info = rt_mem__word(buf, n, o->body_insns_info);
	ret->info_size = rt_mem__u32(buf, n, o->body_insns_size);
	ret->succ = rt_mem__word(buf, n, o->body_succ_table);
	ret->local_iseq = rt_mem__word(buf, n, o->body_local_iseq);
	return rb_names__ptr(ret->encoded) && rb_names__ptr(ret->label) &&
	       (!ret->local_iseq || rb_names__ptr(ret->local_iseq));
}

uint64_t rb_names__st_find(const uint8_t *buf, size_t n, const struct rb_offsets *o, uint64_t key)
{
	size_t size = o->st_entry_size;

	if (size < 24 || o->st_entry_key + 8u > size || o->st_entry_record + 8u > size)
		return 0;
	for (size_t at = 0; at + size <= n; at += size) {
		if (rt_mem__word(buf, n, at) == RB_ST_DELETED)
			continue;
		if (rt_mem__word(buf, n, at + o->st_entry_key) == key)
			return rt_mem__word(buf, n, at + o->st_entry_record);
	}
	return 0;
}

uint64_t rb_names__id_serial(uint64_t id, const struct rb_offsets *o)
{
	return id > o->last_op_id ? id >> o->id_scope_shift : id;
}

size_t rb_names__label(const char *label, const char *base_label, const char *cls, bool singleton,
		       bool method, char *out, size_t cap)
{
	size_t ll = label ? strlen(label) : 0, bl = base_label ? strlen(base_label) : 0;
	int prefix = 0, n;

	if (!cap)
		return 0;
	if (!method || !bl) {
		n = snprintf(out, cap, "%s", label ? label : "");
	} else {
		/* "block (2 levels) in " before the method's name */
		if (ll > bl && !strcmp(label + ll - bl, base_label))
			prefix = (int)(ll - bl);
		if (cls && cls[0])
			n = snprintf(out, cap, "%.*s%s%s%s", prefix, label ? label : "", cls,
				     singleton ? "." : "#", base_label);
		else
			n = snprintf(out, cap, "%.*s%s", prefix, label ? label : "", base_label);
	}
	if (n < 0)
		n = 0, out[0] = '\0';
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
