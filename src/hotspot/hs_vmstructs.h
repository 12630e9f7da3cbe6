/* SPDX-License-Identifier: MIT */
/* The HotSpot JVM's own description of itself: the gHotSpotVMStructs, gHotSpotVMTypes,
 * gHotSpotVMIntConstants and gHotSpotVMLongConstants tables every libjvm.so exports (what the
 * Serviceability Agent reads), parsed from the process's memory into the offsets, sizes and
 * addresses flamed needs, so that no JDK version is built in.
 *
 * The tables are the process's to forge: every read goes through the caller's reader (bounded
 * by the process's memory), strings are at most HS_VM_MAX_NAME bytes of printable ASCII, tables
 * at most HS_VM_MAX_ENTRIES entries with a stride of at most HS_VM_MAX_STRIDE bytes, and every
 * offset is checked against its struct's size before the layout is used. */
#ifndef FLAMED_HS_VMSTRUCTS_H
#define FLAMED_HS_VMSTRUCTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_VM_MAX_ENTRIES 16384 /* entries read of one table (JDK 17 has ~2000) */
#define HS_VM_MAX_STRIDE  256	/* bytes of one entry */
#define HS_VM_MAX_NAME	  96	/* bytes of a type or field name */
#define HS_VM_MAX_STRUCT  65536 /* a struct size or field offset above this is not believed */
#define HS_VM_MISSING	  UINT32_MAX

/* Read len bytes of the target at addr into buf: 0, or -errno (-EFAULT: not mapped). */
typedef int (*hs_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* The runtime addresses of libjvm.so's exported symbols (0: absent). The tables' base
 * addresses are variables holding a pointer to the table; the other symbols hold a uint64_t. */
struct hs_symbols {
	uint64_t structs, struct_stride, struct_type, struct_field, struct_type_string,
		struct_offset, struct_address;
	uint64_t types, type_stride, type_name, type_size;
	uint64_t ints, int_stride, int_name, int_value;
	uint64_t longs, long_stride, long_name, long_value;
};

/* What flamed uses of one JVM. Offsets in bytes; HS_VM_MISSING where the JVM has no such field
 * (a field of another JDK generation). */
struct hs_layout {
	int major, minor, security; /* JDK version: Abstract_VM_Version */

	/* static addresses in the process */
	uint64_t code_heaps;	   /* CodeCache::_heaps: GrowableArray<CodeHeap*>* */
	uint64_t code_low;	   /* CodeCache::_low_bound: address */
	uint64_t code_high;	   /* CodeCache::_high_bound: address */
	uint64_t interp_code;	   /* AbstractInterpreter::_code: StubQueue* */
	uint64_t collected_heap;   /* Universe::_collectedHeap: CollectedHeap* */
	uint64_t vm_release;	   /* Abstract_VM_Version::_s_vm_release: const char* */
	uint64_t vm_major_addr;	   /* Abstract_VM_Version::_vm_major_version: int */
	uint64_t vm_minor_addr;	   /* ... _vm_minor_version */
	uint64_t vm_security_addr; /* ... _vm_security_version */

	/* type sizes */
	uint32_t heapblock_size, constmethod_size, constantpool_size, pcdesc_size, nmethod_size,
		codeblob_size, symbol_size;

	/* field offsets */
	uint32_t array_len, array_data; /* GrowableArrayBase::_len, GrowableArray<int>::_data */
	uint32_t heap_memory, heap_segmap, heap_log2_seg; /* CodeHeap */
	uint32_t vs_low_boundary, vs_high_boundary;	  /* VirtualSpace */
	uint32_t stubq_buffer, stubq_limit; /* StubQueue::_stub_buffer, _buffer_limit */
	uint32_t heap_collections;	    /* CollectedHeap::_total_collections (unsigned int) */
	uint32_t blob_name, blob_size, blob_frame_size, blob_frame_complete;
	uint32_t blob_code_begin; /* _code_begin (address), or _code_offset (int: code_offset) */
	uint32_t blob_mutable_data, blob_mutable_size, blob_relocation_size; /* JDK 25+ */
	uint32_t nm_method, nm_compile_id, nm_comp_level, nm_orig_pc, nm_deopt;
	uint32_t nm_scopes_data;  /* _scopes_data_begin (address), or _scopes_data_offset (int) */
	uint32_t nm_scopes_pcs;	  /* _scopes_pcs_offset (int) */
	uint32_t nm_dependencies; /* _dependencies_offset (int): where the PcDescs end (JDK < 23) */
	uint32_t nm_metadata;	  /* _metadata_offset (int) */
	uint32_t nm_immutable, nm_immutable_size; /* _immutable_data, _immutable_data_size (23+) */
	uint32_t method_const;			  /* Method::_constMethod */
	uint32_t cm_constants, cm_flags, cm_code_size, cm_name_index, cm_signature_index;
	uint32_t cm_max_stack, cm_max_locals, cm_params; /* (optional) _max_stack, _max_locals,
							  * _size_of_parameters */
	uint32_t cp_holder, cp_length, cp_source_file;	 /* ConstantPool */
	uint32_t ik_source_file;	     /* InstanceKlass::_source_file_name_index (< 15) */
	uint32_t klass_name;		     /* Klass::_name */
	uint32_t symbol_length, symbol_body; /* Symbol */
	uint32_t pcdesc_pc, pcdesc_scope;    /* PcDesc::_pc_offset, _scope_decode_offset */

	/* derived */
	bool code_is_offset;	 /* CodeBlob::_code_offset (JDK 23+), not _code_begin */
	bool deopt_is_offset;	 /* nmethod::_deopt_handler_offset, not _deopt_handler_begin */
	bool scopes_is_offset;	 /* nmethod::_scopes_data_offset into the immutable data */
	bool complete_is_s16;	 /* CodeBlob::_frame_complete_offset is an int16_t */
	uint32_t cm_flags_size;	 /* 2 or 4 */
	uint32_t has_line_table; /* the ConstMethod flag of a line number table */
	int unsigned5_x;	 /* bytes the compressed streams exclude: 1 from JDK 20, 0 before */
	int interp_method;	 /* interpreter frame slots, words from fp */
	int interp_bcp;
	int interp_sender_sp;
};

/* Parse the tables of the JVM behind rd (ctx) into *ret. 0, -EAGAIN while the JVM has not set
 * them up yet (a table base or stride still 0), -ENOTSUP when a table or a field
 * flamed needs is missing or not believable (*what names it, at most what_len bytes), or the
 * reader's -errno. */
int hs_vmstructs__read(hs_read_fn rd, void *ctx, const struct hs_symbols *sym,
		       struct hs_layout *ret, char *what, size_t what_len);

/* A JVM's tables from a memory image instead of a process (tests, fuzzing): img is memory at
 * HS_VM_IMAGE_BASE that starts with one 8-byte variable per field of struct hs_symbols, in its
 * order (tests/data/hotspot/vmstructs_image.py makes one from a running JVM). As
 * hs_vmstructs__read; reads outside the image fail with -EFAULT. */
#define HS_VM_IMAGE_BASE 0x10000000ULL
int hs_vmstructs__read_image(const uint8_t *img, size_t len, struct hs_layout *ret, char *what,
			     size_t what_len);

#endif /* FLAMED_HS_VMSTRUCTS_H */
