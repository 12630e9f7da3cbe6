/* SPDX-License-Identifier: MIT */
/* Names of PHP frames from what a process holds: pure functions of outside input (fuzzed). */
#ifndef FLAMED_PHP_NAMES_H
#define FLAMED_PHP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "php/php_offsets.h"

#define PHP_NAMES_MAX	    256 /* bytes kept of a name, a class name or a file name */
#define PHP_NAMES_FN_READ   176 /* bytes of a zend_function read: past every field used */
#define PHP_NAMES_FN_COMMON 32	/* ... at least: its type, name and scope */

/* The fields of a zend_function read into buf[0, len). */
struct php_func {
	uint8_t type;	   /* ZEND_INTERNAL_FUNCTION, ZEND_USER_FUNCTION, ZEND_EVAL_CODE */
	bool user;	   /* user code: filename and lines are its own */
	uint64_t name;	   /* zend_string *, 0 for a file's top-level code */
	uint64_t scope;	   /* zend_class_entry *, 0 outside a class */
	uint64_t filename; /* zend_string * (user code, else 0) */
	uint32_t line_start, line_end;
};

/* Parse a zend_function image; false when it is no function (an unknown type, user code
 * without its fields in buf, pointers outside user space). */
bool php_names__func(const uint8_t *buf, size_t len, const struct php_offsets *o,
		     struct php_func *ret);

/* The length of the zend_string whose first str_val bytes are head[0, n): false when n is
 * short or the length is above 1 MiB (no name is). */
bool php_names__zstr_len(const uint8_t *head, size_t n, const struct php_offsets *o,
			 uint64_t *ret_len);

/* A frame's name into out (cap bytes): "Class::method", "function", "{main}" for a file's
 * top-level code (fn NULL or empty); cls NULL or empty outside a class. Returns its length. */
size_t php_names__label(const char *cls, const char *fn, char *out, size_t cap);

#endif /* FLAMED_PHP_NAMES_H */
