// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "php/php_names.h"
#include "runtime/rt_mem.h"

#define ZEND_EVAL_CODE 4

static bool user_ptr(uint64_t p)
{
	return p && p <= RT_MEM_USER_MAX && !(p & 7);
}

bool php_names__func(const uint8_t *buf, size_t len, const struct php_offsets *o,
		     struct php_func *ret)
{
	*ret = (struct php_func){ 0 };
	if (len < PHP_NAMES_FN_COMMON || o->fn_type >= len)
		return false;
	ret->type = buf[o->fn_type];
	if (ret->type != o->internal_function && ret->type != o->user_function &&
	    ret->type != ZEND_EVAL_CODE)
		return false;
	ret->user = ret->type != o->internal_function;
	ret->name = rt_mem__word(buf, len, o->fn_name);
	ret->scope = rt_mem__word(buf, len, o->fn_scope);
	if ((ret->name && !user_ptr(ret->name)) || (ret->scope && !user_ptr(ret->scope)))
		return false;
	if (!ret->user)
		return ret->name != 0; /* every internal function has a name */
	if ((size_t)o->fn_line_end + 4 > len)
		return false;
	ret->filename = rt_mem__word(buf, len, o->fn_filename);
	ret->line_start = rt_mem__u32(buf, len, o->fn_line_start);
	ret->line_end = rt_mem__u32(buf, len, o->fn_line_end);
	return user_ptr(ret->filename);
}

bool php_names__zstr_len(const uint8_t *head, size_t n, const struct php_offsets *o,
			 uint64_t *ret_len)
{
	if (n < o->str_val || (size_t)o->str_len + 8 > n)
		return false;
	*ret_len = rt_mem__word(head, n, o->str_len);
	return *ret_len <= (1u << 20);
}

size_t php_names__label(const char *cls, const char *fn, char *out, size_t cap)
{
	int n;

	if (!cap)
		return 0;
	if (!fn || !fn[0])
		n = snprintf(out, cap, "{main}");
	else if (cls && cls[0])
		n = snprintf(out, cap, "%s::%s", cls, fn);
	else
		n = snprintf(out, cap, "%s", fn);
	if (n < 0)
		n = 0, out[0] = '\0';
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
