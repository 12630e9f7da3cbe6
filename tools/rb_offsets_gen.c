/* SPDX-License-Identifier: MIT */
/* Prints one row of src/ruby/rb_offsets_table.h for the CRuby whose source tree it is compiled
 * against (tools/rb_offsets.sh: Debian's source package of the installed ruby, with the
 * installed config.h): the struct offsets and constants the BPF walker of control frames
 * (struct flamed_rb_proc) and the readers of iseqs, method entries, classes, strings, arrays and
 * the symbol table (src/ruby/) need. Ruby ships no internal headers in its -dev package, hence
 * the source. What the headers do not expose (st.c's entry, symbol.c's ID_ENTRY_UNIT) is
 * written here from those files and noted. */
#include "ruby/ruby.h"
#include "ruby/version.h"
#include "vm_core.h"
#include "iseq.h"
#include "method.h"
#include "id.h"
#include "internal/class.h"
#include "internal/imemo.h"
#include "ractor_core.h"
#include "symbol.h"
#include <stdio.h>
#include <string.h>

#define OFF(t, f) ((unsigned)offsetof(t, f))

/* the walker reads a frame's environment as ep[-2..0] */
_Static_assert(VM_ENV_DATA_INDEX_ME_CREF == -2 && VM_ENV_DATA_INDEX_SPECVAL == -1 &&
		       VM_ENV_DATA_INDEX_FLAGS == 0,
	       "environment layout changed");
#if USE_RVARGC
#error "variable-width allocation: strings and arrays keep their length elsewhere"
#endif

/* st.c: struct st_table_entry { st_hash_t hash; st_data_t key; st_data_t record; } */
struct st_table_entry_copy {
	st_index_t hash;
	st_data_t key;
	st_data_t record;
};

static unsigned def_type_mask(void)
{
	rb_method_definition_t d;
	unsigned w;

	memset(&d, 0, sizeof(d));
	d.type = (rb_method_type_t)((1u << VM_METHOD_TYPE_MINIMUM_BITS) - 1);
	memcpy(&w, &d, sizeof(w));
	return w;
}

#define P(name, v) printf("  ." #name " = %lu,\n", (unsigned long)(v))
#define X(name, v) printf("  ." #name " = %#lx,\n", (unsigned long)(v))

int main(void)
{
	printf("{ .major = %d,\n  .minor = %d,\n", RUBY_API_VERSION_MAJOR, RUBY_API_VERSION_MINOR);
	/* the thread list: vm -> main ractor -> threads.set -> rb_thread_t (lt_node) */
	P(vm_main_ractor, OFF(rb_vm_t, ractor.main_ractor));
	P(ractor_threads, OFF(rb_ractor_t, threads.set));
	P(th_node, OFF(rb_thread_t, lt_node));
	P(th_ec, OFF(rb_thread_t, ec));
	P(th_thread_id, OFF(rb_thread_t, thread_id));
	P(ec_vm_stack, OFF(rb_execution_context_t, vm_stack));
	P(ec_vm_stack_size, OFF(rb_execution_context_t, vm_stack_size));
	P(ec_cfp, OFF(rb_execution_context_t, cfp));
	P(cfp_size, sizeof(rb_control_frame_t));
	P(cfp_pc, OFF(rb_control_frame_t, pc));
	P(cfp_iseq, OFF(rb_control_frame_t, iseq));
	P(cfp_ep, OFF(rb_control_frame_t, ep));
	X(frame_cframe, VM_FRAME_FLAG_CFRAME);
	X(frame_finish, VM_FRAME_FLAG_FINISH);
	X(env_local, VM_ENV_FLAG_LOCAL);
	X(magic_mask, VM_FRAME_MAGIC_MASK);
	X(magic_cfunc, VM_FRAME_MAGIC_CFUNC);
	/* objects */
	P(fl_ushift, RUBY_FL_USHIFT);
	X(fl_singleton, RUBY_FL_SINGLETON);
	X(t_mask, RUBY_T_MASK);
	X(t_class, RUBY_T_CLASS);
	X(t_module, RUBY_T_MODULE);
	X(t_iclass, RUBY_T_ICLASS);
	X(t_string, RUBY_T_STRING);
	X(t_array, RUBY_T_ARRAY);
	X(t_imemo, RUBY_T_IMEMO);
	X(imemo_mask, IMEMO_MASK);
	P(imemo_iseq, imemo_iseq);
	P(imemo_ment, imemo_ment);
	P(imemo_svar, imemo_svar);
	/* an iseq's body: names, lines */
	P(iseq_body, OFF(rb_iseq_t, body));
	P(body_type, OFF(struct rb_iseq_constant_body, type));
	P(body_iseq_size, OFF(struct rb_iseq_constant_body, iseq_size));
	P(body_iseq_encoded, OFF(struct rb_iseq_constant_body, iseq_encoded));
	P(body_path, OFF(struct rb_iseq_constant_body, location.pathobj));
	P(body_base_label, OFF(struct rb_iseq_constant_body, location.base_label));
	P(body_label, OFF(struct rb_iseq_constant_body, location.label));
	P(body_first_lineno, OFF(struct rb_iseq_constant_body, location.first_lineno));
	P(body_insns_info, OFF(struct rb_iseq_constant_body, insns_info.body));
	P(body_insns_size, OFF(struct rb_iseq_constant_body, insns_info.size));
	P(body_succ_table, OFF(struct rb_iseq_constant_body, insns_info.succ_index_table));
	P(body_local_iseq, OFF(struct rb_iseq_constant_body, local_iseq));
	P(insn_info_size, sizeof(struct iseq_insn_info_entry));
	P(insn_info_line, OFF(struct iseq_insn_info_entry, line_no));
	P(iseq_type_method, ISEQ_TYPE_METHOD);
	P(table_impl, VM_INSN_INFO_TABLE_IMPL);
	/* method entries */
	P(cme_owner, OFF(rb_callable_method_entry_t, owner));
	P(cme_defined_class, OFF(rb_callable_method_entry_t, defined_class));
	P(cme_def, OFF(rb_callable_method_entry_t, def));
	P(def_iseqptr, OFF(rb_method_definition_t, body.iseq.iseqptr));
	P(def_original_id, OFF(rb_method_definition_t, original_id));
	P(svar_cref_or_me, OFF(struct vm_svar, cref_or_me));
	X(def_type_mask, def_type_mask());
	P(method_iseq, VM_METHOD_TYPE_ISEQ);
	P(method_cfunc, VM_METHOD_TYPE_CFUNC);
	/* classes */
	P(class_ext, OFF(struct RClass, ptr));
	P(ext_iv_tbl, OFF(rb_classext_t, iv_tbl));
	P(st_entries_start, OFF(st_table, entries_start));
	P(st_entries_bound, OFF(st_table, entries_bound));
	P(st_entries, OFF(st_table, entries));
	P(st_entry_size, sizeof(struct st_table_entry_copy));
	P(st_entry_key, OFF(struct st_table_entry_copy, key));
	P(st_entry_record, OFF(struct st_table_entry_copy, record));
	X(id_attached, id__attached__);
	/* strings and arrays */
	X(str_noembed, RSTRING_NOEMBED);
	X(str_len_mask, RSTRING_EMBED_LEN_MASK);
	P(str_len_shift, RSTRING_EMBED_LEN_SHIFT);
	P(str_heap_len, OFF(struct RString, as.heap.len));
	P(str_heap_ptr, OFF(struct RString, as.heap.ptr));
	P(str_embed, OFF(struct RString, as.embed.ary));
	X(ary_embed, RARRAY_EMBED_FLAG);
	X(ary_len_mask, RARRAY_EMBED_LEN_MASK);
	P(ary_len_shift, RARRAY_EMBED_LEN_SHIFT);
	P(ary_heap_len, OFF(struct RArray, as.heap.len));
	P(ary_heap_ptr, OFF(struct RArray, as.heap.ptr));
	P(ary_embed_ptr, OFF(struct RArray, as.ary));
	/* the symbol table; symbol.c: ID_ENTRY_UNIT 512, ID_ENTRY_STR 0, ID_ENTRY_SIZE 2 */
	P(symbols_ids, OFF(rb_symbols_t, ids));
	P(id_entry_unit, 512);
	P(id_entry_size, 2);
	P(id_scope_shift, RUBY_ID_SCOPE_SHIFT);
	X(last_op_id, tLAST_OP_ID);
	printf("},\n");
	return 0;
}
