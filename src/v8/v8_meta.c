// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "v8/v8_meta.h"

/* Where a symbol's value goes. Several names may fill one field: V8 renamed fields' types over
 * the releases ("Object", then "Tagged_Object_"); the first name present wins. */
enum meta_kind {
	M_U32,	 /* a field of struct v8_meta, as is */
	M_FP,	 /* a frame slot (int32) */
	M_SMI,	 /* SmiShiftSize: smi_shift = value + the tag bit */
	M_CHECK, /* a constant the walker assumes: checked in finish */
};

struct meta_sym {
	const char *name;
	size_t off; /* offsetof(struct v8_meta, field) */
	enum meta_kind kind;
};

#define F(field) offsetof(struct v8_meta, field)

/* Constants the walker and the readers assume (8-byte tagged words, no pointer compression):
 * index into checks[] below. */
enum { C_HEAP_TAG, C_HEAP_MASK, C_SMI_TAG, C_SMI_MASK, C_TAGGED, C_POINTER, C_NR };

static const struct meta_sym syms[] = {
	{ "off_fp_context_or_frame_type", F(fp_context), M_FP },
	{ "off_fp_context", F(fp_context), M_FP },
	{ "off_fp_function", F(fp_function), M_FP },
	{ "off_fp_bytecode_array", F(fp_bytecode_array), M_FP },
	{ "off_fp_bytecode_offset", F(fp_bytecode_offset), M_FP },
	{ "SmiShiftSize", F(smi_shift), M_SMI },
	{ "class_Map__instance_type__uint16_t", F(map_instance_type), M_U32 },
	{ "class_JSFunction__shared__SharedFunctionInfo", F(jsf_shared), M_U32 },
	{ "class_JSFunction__shared__Tagged_SharedFunctionInfo_", F(jsf_shared), M_U32 },
	{ "class_JSFunction__code__Code", F(jsf_code), M_U32 },
	{ "class_JSFunction__code__Tagged_Code_", F(jsf_code), M_U32 },
	{ "class_SharedFunctionInfo__function_data__Object", F(sfi_function_data), M_U32 },
	{ "class_SharedFunctionInfo__function_data__Tagged_Object_", F(sfi_function_data), M_U32 },
	{ "class_SharedFunctionInfo__name_or_scope_info__Object", F(sfi_name_or_scope_info),
	  M_U32 },
	{ "class_SharedFunctionInfo__name_or_scope_info__Tagged_Object_", F(sfi_name_or_scope_info),
	  M_U32 },
	{ "class_SharedFunctionInfo__script_or_debug_info__HeapObject", F(sfi_script), M_U32 },
	{ "class_SharedFunctionInfo__script_or_debug_info__Object", F(sfi_script), M_U32 },
	{ "class_SharedFunctionInfo__script__Tagged_HeapObject_", F(sfi_script), M_U32 },
	{ "class_SharedFunctionInfo__length__uint16_t", F(sfi_length), M_U32 },
	{ "class_SharedFunctionInfo__length__int16_t", F(sfi_length), M_U32 },
	{ "class_Code__instruction_start__uintptr_t", F(code_start), M_U32 },
	{ "class_Code__instruction_start__Address", F(code_start), M_U32 },
	{ "class_Code__instruction_size__int", F(code_size), M_U32 },
	{ "class_Code__flags__uint32_t", F(code_flags), M_U32 },
	{ "class_Code__deoptimization_data__FixedArray", F(code_deopt_data), M_U32 },
	{ "class_Code__deoptimization_data__Tagged_FixedArray_", F(code_deopt_data), M_U32 },
	{ "class_Code__source_position_table__ByteArray", F(code_positions), M_U32 },
	{ "class_Code__source_position_table__Tagged_ByteArray_", F(code_positions), M_U32 },
	{ "class_BytecodeArray__source_position_table__Object", F(bytecode_positions), M_U32 },
	{ "class_BytecodeArray__data__uintptr_t", F(bytecode_data), M_U32 },
	{ "class_Script__source__Object", F(script_source), M_U32 },
	{ "class_Script__name__Object", F(script_name), M_U32 },
	{ "class_Script__line_ends__Object", F(script_line_ends), M_U32 },
	{ "class_Script__id__SMI", F(script_id), M_U32 },
	{ "class_Script__id__Smi", F(script_id), M_U32 },
	{ "class_String__length__int32_t", F(string_length), M_U32 },
	{ "class_SeqOneByteString__chars__char", F(seq_chars), M_U32 },
	{ "class_ConsString__first__String", F(cons_first), M_U32 },
	{ "class_ConsString__second__String", F(cons_second), M_U32 },
	{ "class_SlicedString__parent__String", F(sliced_parent), M_U32 },
	{ "class_SlicedString__offset__SMI", F(sliced_offset), M_U32 },
	{ "class_ThinString__actual__String", F(thin_actual), M_U32 },
	{ "class_ExternalString__resource__Object", F(external_resource), M_U32 },
	{ "class_FixedArrayBase__length__SMI", F(fixed_array_length), M_U32 },
	{ "class_FixedArray__data__uintptr_t", F(fixed_array_data), M_U32 },
	{ "scopeinfo_idx_ncontextlocals", F(scope_nlocals), M_U32 },
	{ "DeoptimizationDataInlinedFunctionCountIndex", F(deopt_inlined_count), M_U32 },
	{ "DeoptimizationDataLiteralArrayIndex", F(deopt_literals), M_U32 },
	{ "DeoptimizationDataSharedFunctionInfoIndex", F(deopt_sfi), M_U32 },
	{ "DeoptimizationDataInliningPositionsIndex", F(deopt_inlining_positions), M_U32 },
	{ "CodeKindFieldShift", F(code_kind_shift), M_U32 },
	{ "CodeKindFieldMask", F(code_kind_mask), M_U32 },
	{ "CodeKindInterpretedFunction", F(code_kind_interpreted), M_U32 },
	{ "CodeKindBaseline", F(code_kind_baseline), M_U32 },
	{ "type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE", F(type_sfi), M_U32 },
	{ "type_Script__SCRIPT_TYPE", F(type_script), M_U32 },
	{ "type_ScopeInfo__SCOPE_INFO_TYPE", F(type_scope_info), M_U32 },
	{ "type_BytecodeArray__BYTECODE_ARRAY_TYPE", F(type_bytecode_array), M_U32 },
	{ "type_Code__CODE_TYPE", F(type_code), M_U32 },
	{ "type_InstructionStream__INSTRUCTION_STREAM_TYPE", F(type_istream), M_U32 },
	{ "type_ByteArray__BYTE_ARRAY_TYPE", F(type_byte_array), M_U32 },
	{ "type_FixedArray__FIXED_ARRAY_TYPE", F(type_fixed_array), M_U32 },
	{ "FirstNonstringType", F(first_nonstring), M_U32 },
	{ "StringRepresentationMask", F(string_repr_mask), M_U32 },
	{ "SeqStringTag", F(string_seq), M_U32 },
	{ "ConsStringTag", F(string_cons), M_U32 },
	{ "ExternalStringTag", F(string_external), M_U32 },
	{ "SlicedStringTag", F(string_sliced), M_U32 },
	{ "ThinStringTag", F(string_thin), M_U32 },
	{ "StringEncodingMask", F(string_enc_mask), M_U32 },
	{ "OneByteStringTag", F(string_one_byte), M_U32 },
	/* checked constants: the values the walker assumes */
	{ "HeapObjectTag", C_HEAP_TAG, M_CHECK },
	{ "HeapObjectTagMask", C_HEAP_MASK, M_CHECK },
	{ "SmiTag", C_SMI_TAG, M_CHECK },
	{ "SmiTagMask", C_SMI_MASK, M_CHECK },
	{ "TaggedSize", C_TAGGED, M_CHECK },
	{ "SystemPointerSize", C_POINTER, M_CHECK },
};

#define NR_SYMS (sizeof(syms) / sizeof(syms[0]))
_Static_assert(sizeof(syms) / sizeof(syms[0]) <= 128, "have[] holds 128 bits");

/* The value each checked constant must have, and the bit of have[] that says it was seen. */
static const int32_t check_want[C_NR] = { 1, 3, 0, 1, 8, 8 };

static bool has(const struct v8_meta *m, size_t i)
{
	return m->have[i / 64] >> (i % 64) & 1;
}

/* Whether any symbol filling field off was seen. */
static bool has_field(const struct v8_meta *m, size_t off)
{
	for (size_t i = 0; i < NR_SYMS; i++)
		if (syms[i].kind != M_CHECK && syms[i].off == off && has(m, i))
			return true;
	return false;
}

void v8_meta__init(struct v8_meta *m)
{
	*m = (struct v8_meta){ 0 };
}

void v8_meta__add(struct v8_meta *m, const char *name, int32_t value)
{
	for (size_t i = 0; i < NR_SYMS; i++) {
		const struct meta_sym *s = &syms[i];
		uint32_t *u;

		if (strcmp(name, s->name))
			continue;
		if (has(m, i))
			return; /* a second symbol of one name: the first stands */
		m->have[i / 64] |= 1ULL << (i % 64);
		m->symbols++;
		if (s->kind == M_CHECK) {
			if (value != check_want[s->off])
				m->bad_constants |= 1u << s->off;
			return;
		}
		/* the first name of a field wins over later alternatives */
		for (size_t j = 0; j < i; j++)
			if (syms[j].kind != M_CHECK && syms[j].off == s->off && has(m, j))
				return;
		u = (uint32_t *)((char *)m + s->off);
		if (s->kind == M_SMI)
			*u = (uint32_t)value + 1;
		else
			*u = (uint32_t)value; /* M_FP: int32 stored as is */
		return;
	}
}

void v8_meta__set_version(struct v8_meta *m, uint32_t major, uint32_t minor, uint32_t build,
			  uint32_t patch)
{
	if (major > 255 || minor > 255 || build > 65535)
		return;
	m->version = V8_VERSION(major, minor, build);
	m->patch = patch;
}

static bool fp_slot_ok(int32_t off)
{
	return off < 0 && off >= -48 && !(off % 8);
}

/* A tagged field at off: word aligned, within the first 256 bytes. */
static bool field_ok(uint32_t off)
{
	return off < 256 && !(off % 8);
}

int v8_meta__finish(struct v8_meta *m, const char **why)
{
	static const struct {
		size_t off;
		const char *what;
	} required[] = {
		{ F(fp_context), "frame slots" },
		{ F(fp_function), "frame slots" },
		{ F(smi_shift), "Smi layout" },
		{ F(map_instance_type), "Map layout" },
		{ F(jsf_shared), "JSFunction layout" },
		{ F(sfi_function_data), "SharedFunctionInfo layout" },
		{ F(sfi_name_or_scope_info), "SharedFunctionInfo layout" },
		{ F(sfi_script), "SharedFunctionInfo layout" },
		{ F(sfi_length), "SharedFunctionInfo layout" },
		{ F(script_source), "Script layout" },
		{ F(script_name), "Script layout" },
		{ F(script_line_ends), "Script layout" },
		{ F(string_length), "String layout" },
		{ F(seq_chars), "String layout" },
		{ F(fixed_array_length), "FixedArray layout" },
		{ F(fixed_array_data), "FixedArray layout" },
		{ F(code_kind_baseline), "code kinds" },
		{ F(type_sfi), "instance types" },
		{ F(type_script), "instance types" },
		{ F(type_code), "instance types" },
		{ F(type_bytecode_array), "instance types" },
		{ F(first_nonstring), "instance types" },
		{ F(string_repr_mask), "string tags" },
		{ F(string_enc_mask), "string tags" },
		{ F(string_cons), "string tags" },
		{ F(string_one_byte), "string tags" },
	};
	uint32_t v = m->version, lo, hi;

	*why = NULL;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!has_field(m, required[i].off)) {
			*why = required[i].what;
			return -ENOTSUP;
		}
	}
	/* a constant the binary says differs from what the walker assumes (pointer compression:
	 * 4-byte tagged words) */
	if (m->bad_constants) {
		*why = "pointer compression or another tagging";
		return -ENOTSUP;
	}
	if (v && v < V8_VERSION(9, 1, 0)) {
		*why = "a V8 older than 9.1";
		return -ENOTSUP;
	}
	if (m->smi_shift != 32) {
		*why = "pointer compression (31-bit Smis)";
		return -ENOTSUP;
	}
	/* what releases left out, from the neighbours they did export (layouts as of each
	 * release; the readers check every object's type, so a wrong guess names nothing) */
	if (!has_field(m, F(fp_bytecode_array)))
		m->fp_bytecode_array = m->fp_function - 16; /* [fp - 24] is the argument count */
	if (!has_field(m, F(fp_bytecode_offset)))
		m->fp_bytecode_offset = m->fp_bytecode_array - 8;
	if (!has_field(m, F(jsf_code))) /* code moved before shared in 11.7.368 */
		m->jsf_code = v >= V8_VERSION(11, 7, 368) ? m->jsf_shared - 8 : m->jsf_shared + 24;
	m->code_start_inline = v && v < V8_VERSION(11, 1, 204);
	/* the instruction stream is the field before the instruction start (11.1+) */
	m->code_istream = m->code_start >= 8 ? m->code_start - 8 : 0;
	if (!has_field(m, F(code_positions)) && has_field(m, F(code_deopt_data)))
		m->code_positions = m->code_deopt_data + 8;
	if (!has_field(m, F(code_deopt_data)) && has_field(m, F(code_positions)))
		m->code_deopt_data = m->code_positions - 8;
	if (!has_field(m, F(code_start)) && has_field(m, F(code_positions)))
		m->code_start = m->code_positions + 16; /* after the instruction stream's */
	if (!has_field(m, F(code_flags)))
		m->code_flags = m->code_start + 8;
	if (!has_field(m, F(code_size))) /* 11.1-11.4.59 had a builtin id and flags between */
		m->code_size = m->code_flags + 4 + (v && v < V8_VERSION(11, 4, 59) ? 4 : 0);
	if (!has_field(m, F(bytecode_positions)))
		m->bytecode_positions = m->fixed_array_length + 24;
	if (!has_field(m, F(script_id)) && has_field(m, F(script_line_ends)))
		m->script_id = m->script_line_ends + 8; /* the field after line_ends since V8 7 */
	if (!has_field(m, F(cons_first)))
		m->cons_first = m->string_length + 4;
	if (!has_field(m, F(cons_second)))
		m->cons_second = m->cons_first + 8;
	if (!has_field(m, F(code_kind_mask)))
		m->code_kind_mask = 0xf;
	if (!has_field(m, F(code_kind_interpreted)))
		m->code_kind_interpreted = m->code_kind_baseline - 1;
	if (!has_field(m, F(deopt_inlined_count)))
		m->deopt_inlined_count = 1;
	if (!has_field(m, F(deopt_literals)))
		m->deopt_literals = 2;
	if (!has_field(m, F(deopt_sfi)))
		m->deopt_sfi = 6;
	if (!has_field(m, F(deopt_inlining_positions)))
		m->deopt_inlining_positions = m->deopt_sfi + 1;
	if (!has_field(m, F(scope_nlocals)))
		m->scope_nlocals = 2;
	/* ScopeInfo is a HeapObject with its slots right after the map since 9.1.71 */
	m->scope_info_slots = 8;
	/* the walker reads the frame's 48 bytes below fp and 64 bytes of each object */
	if (!fp_slot_ok(m->fp_context) || !fp_slot_ok(m->fp_function) ||
	    !fp_slot_ok(m->fp_bytecode_array) || !fp_slot_ok(m->fp_bytecode_offset)) {
		*why = "frame slots out of range";
		return -ENOTSUP;
	}
	if (m->jsf_shared > 56 || m->jsf_code > 56 || m->jsf_shared % 8 || m->jsf_code % 8 ||
	    !field_ok(m->sfi_function_data) || !field_ok(m->sfi_name_or_scope_info) ||
	    !field_ok(m->sfi_script) || m->sfi_length >= 248 || m->map_instance_type >= 254) {
		*why = "object fields out of range";
		return -ENOTSUP;
	}
	lo = m->code_start < m->code_flags ? m->code_start : m->code_flags;
	lo = lo < m->code_size ? lo : m->code_size;
	hi = m->code_start > m->code_flags ? m->code_start : m->code_flags;
	hi = hi > m->code_size ? hi : m->code_size;
	if (m->code_start % 8 || m->code_flags % 4 || m->code_size % 4 || hi >= 256 ||
	    hi + 8 - (lo & ~7u) > 64 || !field_ok(m->code_deopt_data) ||
	    !field_ok(m->code_positions)) {
		*why = "Code fields out of range";
		return -ENOTSUP;
	}
	if (!m->bytecode_data || m->bytecode_data >= 256 || !field_ok(m->bytecode_positions) ||
	    !field_ok(m->script_source) || !field_ok(m->script_name) || !field_ok(m->script_id) ||
	    m->string_length >= 256 || m->seq_chars >= 256 || !field_ok(m->cons_first) ||
	    !field_ok(m->cons_second) || m->sliced_parent % 8 || m->sliced_parent >= 256 ||
	    m->sliced_offset % 8 || m->sliced_offset >= 256 || m->thin_actual % 8 ||
	    m->thin_actual >= 256 || m->external_resource % 8 || m->external_resource >= 248 ||
	    !field_ok(m->fixed_array_length) || !field_ok(m->fixed_array_data)) {
		*why = "object fields out of range";
		return -ENOTSUP;
	}
	if (m->code_kind_shift > 31 || !m->code_kind_mask || m->code_kind_mask > 0xff ||
	    m->code_kind_baseline > 15 || m->code_kind_interpreted >= m->code_kind_baseline) {
		*why = "code kinds out of range";
		return -ENOTSUP;
	}
	if (m->deopt_inlined_count > 64 || m->deopt_literals > 64 || m->deopt_sfi > 64 ||
	    m->deopt_inlining_positions > 64 || m->scope_nlocals > 16 || m->scope_nlocals < 1) {
		*why = "indices out of range";
		return -ENOTSUP;
	}
	if (m->type_sfi > 0xffff || m->type_script > 0xffff || m->type_code > 0xffff ||
	    m->type_bytecode_array > 0xffff || m->first_nonstring > 0xffff ||
	    m->string_repr_mask > 0xff || m->string_enc_mask > 0xff || !m->string_repr_mask ||
	    !m->string_enc_mask) {
		*why = "instance types out of range";
		return -ENOTSUP;
	}
	return 0;
}
