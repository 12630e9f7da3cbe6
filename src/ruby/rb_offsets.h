/* SPDX-License-Identifier: MIT */
/* CRuby struct offsets and constants per minor version (an ABI: ruby_api_version), generated
 * from each version's own source by tools/rb_offsets.sh into rb_offsets_table.h. A version
 * not in the table is not walked. */
#ifndef FLAMED_RB_OFFSETS_H
#define FLAMED_RB_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

struct rb_offsets {
	int major, minor;
	/* what the BPF walker reads (struct flamed_rb_proc): the thread list, execution contexts,
	 * control frames and their environments' flags */
	uint16_t vm_main_ractor, ractor_threads, th_node, th_ec, th_thread_id;
	uint16_t ec_vm_stack, ec_vm_stack_size, ec_cfp;
	uint16_t cfp_size, cfp_pc, cfp_iseq, cfp_ep;
	uint32_t frame_cframe, frame_finish, env_local, magic_mask, magic_cfunc;
	/* objects: the basic types and imemo kinds */
	uint32_t fl_ushift, fl_singleton, t_mask, t_class, t_module, t_iclass, t_string, t_array;
	uint32_t t_imemo, imemo_mask, imemo_iseq, imemo_ment, imemo_svar;
	/* an iseq and its body: names, lines */
	uint16_t iseq_body, body_type, body_iseq_size, body_iseq_encoded, body_path,
		body_base_label, body_label, body_first_lineno, body_insns_info, body_insns_size,
		body_succ_table, body_local_iseq, insn_info_size, insn_info_line;
	uint8_t iseq_type_method, table_impl;
	/* method entries: callable entries, definitions, svars */
	uint16_t cme_owner, cme_defined_class, cme_def, def_iseqptr, def_original_id,
		svar_cref_or_me;
	uint32_t def_type_mask, method_iseq, method_cfunc;
	/* classes: the iv_tbl (an st_table) holding __classpath__ and __attached__ */
	uint16_t class_ext, ext_iv_tbl, st_entries_start, st_entries_bound, st_entries,
		st_entry_size, st_entry_key, st_entry_record;
	uint64_t id_attached;
	/* strings and arrays */
	uint32_t str_noembed, str_len_mask, str_len_shift;
	uint16_t str_heap_len, str_heap_ptr, str_embed;
	uint32_t ary_embed, ary_len_mask, ary_len_shift;
	uint16_t ary_heap_len, ary_heap_ptr, ary_embed_ptr;
	/* the symbol table (ruby_global_symbols): ID -> its string */
	uint16_t symbols_ids, id_entry_unit, id_entry_size, id_scope_shift;
	uint32_t last_op_id;
};

/* Offsets of CRuby major.minor, or NULL when flamed does not know it. Static. */
const struct rb_offsets *rb_offsets__find(int major, int minor);

/* The lowest and highest versions known ("3.1"), for messages. */
void rb_offsets__range(char *buf, size_t sz);

#endif /* FLAMED_RB_OFFSETS_H */
