/* SPDX-License-Identifier: MIT */
/* V8's post-mortem metadata: the v8dbg_* constants a V8 binary exports for debuggers (frame
 * slots, object fields, instance types, tags), collected one symbol at a time, then checked as a
 * whole and completed where a V8 release left a field out (from its neighbours, by version).
 * Everything here comes from a file the profiled process's user may have written: a pure
 * parser of outside input (fuzzed), which refuses what the walker could not trust. */
#ifndef FLAMED_V8_META_H
#define FLAMED_V8_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* V8 major.minor.build as one number, for comparisons. */
#define V8_VERSION(ma, mi, b) ((uint32_t)(ma) << 24 | (uint32_t)(mi) << 16 | (uint32_t)(b))

struct v8_meta {
	uint32_t version; /* V8_VERSION of v8::internal::Version, 0 when unknown */
	uint32_t patch;
	/* tags: a Smi's value is the word >> smi_shift; heap objects end in binary 01 */
	uint32_t smi_shift;
	/* frame slots, bytes from the frame pointer */
	int32_t fp_context, fp_function, fp_bytecode_array, fp_bytecode_offset;
	/* object fields, bytes from the object's start (its tagged pointer - 1) */
	uint32_t map_instance_type;			    /* uint16 */
	uint32_t jsf_shared, jsf_code;			    /* JSFunction */
	uint32_t sfi_function_data, sfi_name_or_scope_info; /* SharedFunctionInfo */
	uint32_t sfi_script, sfi_length;		    /* length: first immutable field */
	uint32_t code_start, code_size, code_flags;	    /* Code */
	uint32_t code_istream;	  /* its instruction stream (11.1+: the instructions' object) */
	uint32_t code_deopt_data; /* DeoptimizationData; baseline code: the BytecodeArray */
	uint32_t code_positions;  /* source positions; baseline code: pc -> bytecode offsets */
	uint32_t bytecode_positions, bytecode_data; /* BytecodeArray; length: fixed_array_length */
	uint32_t script_source, script_name, script_line_ends, script_id;
	uint32_t string_length, seq_chars; /* String (int32 length), SeqOne/TwoByteString */
	uint32_t cons_first, cons_second, sliced_parent, sliced_offset, thin_actual;
	uint32_t external_resource; /* ExternalString: the resource's data follows */
	uint32_t fixed_array_length, fixed_array_data; /* FixedArray, ByteArray */
	uint32_t
		scope_info_slots; /* where ScopeInfo's slots start (after the map, or the length) */
	uint32_t scope_nlocals;	  /* ScopeInfo slot: the context local count */
	/* DeoptimizationData slots */
	uint32_t deopt_inlined_count, deopt_literals, deopt_sfi, deopt_inlining_positions;
	/* Code::flags -> CodeKind */
	uint32_t code_kind_shift, code_kind_mask, code_kind_interpreted, code_kind_baseline;
	bool code_start_inline; /* instructions follow the Code (before V8 11.1.204) */
	/* instance types */
	uint32_t type_sfi, type_script, type_scope_info, type_bytecode_array, type_code;
	uint32_t type_byte_array, type_fixed_array, first_nonstring;
	uint32_t type_istream; /* InstructionStream (0: unknown: code found by pc needs a sample) */
	uint32_t string_repr_mask, string_seq, string_cons, string_external, string_sliced;
	uint32_t string_thin, string_enc_mask, string_one_byte;
	/* set by v8_meta__add: which fields came from the metadata (internal) */
	uint64_t have[2];
	uint32_t bad_constants; /* tags or sizes that differ from what the walker assumes */
	uint32_t symbols;	/* v8dbg_ symbols taken */
};

/* Start an empty collection. */
void v8_meta__init(struct v8_meta *m);

/* One v8dbg_ symbol: name without the prefix ("off_fp_function"), its int value. Unknown
 * names are ignored. */
void v8_meta__add(struct v8_meta *m, const char *name, int32_t value);

/* The version of the binary (v8::internal::Version), when it exports it. */
void v8_meta__set_version(struct v8_meta *m, uint32_t major, uint32_t minor, uint32_t build,
			  uint32_t patch);

/* Check the collection and complete it. 0, or -ENOTSUP with why (a static string) set: a field
 * the walker needs is missing, or a value is out of its range (a forged or unknown layout). */
int v8_meta__finish(struct v8_meta *m, const char **why);

#endif /* FLAMED_V8_META_H */
