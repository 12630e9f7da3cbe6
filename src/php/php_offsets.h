/* SPDX-License-Identifier: MIT */
/* PHP engine struct offsets per module API number (a minor version's ABI), generated from each
 * version's headers by tools/php_offsets.sh into php_offsets_table.h. A version not in the table
 * is not walked. */
#ifndef FLAMED_PHP_OFFSETS_H
#define FLAMED_PHP_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

struct php_offsets {
	uint32_t api; /* ZEND_MODULE_API_NO, e.g. 20220829 */
	int major, minor;
	/* what the BPF walker reads (struct flamed_php_proc) */
	uint32_t eg_current_execute_data, call_top;
	uint16_t ex_opline, ex_func, ex_call_info, ex_prev, op_lineno;
	/* what userspace reads of a zend_function, its class and its strings */
	uint16_t fn_type, fn_name, fn_scope, fn_filename, fn_line_start, fn_line_end;
	uint16_t ce_name, str_len, str_val;
	uint8_t internal_function, user_function;
};

/* Offsets of the engine with module API number api, or NULL when flamed does not know it.
 * Static. */
const struct php_offsets *php_offsets__find(uint32_t api);

/* The lowest and highest PHP versions known ("8.2"), for messages. */
void php_offsets__range(char *buf, size_t sz);

#endif /* FLAMED_PHP_OFFSETS_H */
