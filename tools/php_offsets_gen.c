/* SPDX-License-Identifier: MIT */
/* Prints one row of src/php/php_offsets_table.h for the PHP whose headers it is compiled against
 * (tools/php_offsets.sh builds it once per php-dev include directory): the struct offsets the
 * BPF walker and the function reader need, from the engine's own headers. */
#include <stddef.h>
#include <stdio.h>

#include <php.h>
#include <zend_compile.h>
#include <zend_globals.h>
#include <zend_modules.h>

#define OFF(t, f) ((unsigned)offsetof(t, f))

int main(void)
{
	printf("\t{ .api = %u, .major = %d, .minor = %d,\n", (unsigned)ZEND_MODULE_API_NO,
	       PHP_MAJOR_VERSION, PHP_MINOR_VERSION);
	printf("\t  .eg_current_execute_data = %u, .ex_opline = %u, .ex_func = %u,\n",
	       OFF(zend_executor_globals, current_execute_data), OFF(zend_execute_data, opline),
	       OFF(zend_execute_data, func));
	printf("\t  .ex_call_info = %u, .ex_prev = %u, .op_lineno = %u, .call_top = %#x,\n",
	       OFF(zend_execute_data, This) + OFF(zval, u1.type_info),
	       OFF(zend_execute_data, prev_execute_data), OFF(zend_op, lineno),
	       (unsigned)ZEND_CALL_TOP);
	printf("\t  .fn_type = %u, .fn_name = %u, .fn_scope = %u, .fn_filename = %u,\n",
	       OFF(zend_function, type), OFF(zend_function, common.function_name),
	       OFF(zend_function, common.scope), OFF(zend_function, op_array.filename));
	printf("\t  .fn_line_start = %u, .fn_line_end = %u, .ce_name = %u, .str_len = %u,\n",
	       OFF(zend_function, op_array.line_start), OFF(zend_function, op_array.line_end),
	       OFF(zend_class_entry, name), OFF(zend_string, len));
	printf("\t  .str_val = %u, .internal_function = %u, .user_function = %u },\n",
	       OFF(zend_string, val), (unsigned)ZEND_INTERNAL_FUNCTION,
	       (unsigned)ZEND_USER_FUNCTION);
	return 0;
}
