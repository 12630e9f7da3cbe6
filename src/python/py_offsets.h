/* SPDX-License-Identifier: MIT */
/* CPython struct offsets per minor version (3.8-3.13), generated from each interpreter's headers
 * by tools/py_offsets.sh into py_offsets_table.h. A version not in the table is not walked. */
#ifndef FLAMED_PY_OFFSETS_H
#define FLAMED_PY_OFFSETS_H

#include <stdint.h>

struct py_offsets {
	int major, minor;
	/* what the BPF walker reads (struct flamed_py_proc) */
	uint32_t runtime_interp_head; /* _PyRuntimeState.interpreters.head */
	uint16_t interp_tstate_head, tstate_next, tstate_thread_id, tstate_frame, cframe_frame;
	uint16_t frame_back, frame_code, frame_instr, frame_owner, frame_is_entry, code_adaptive;
	uint8_t instr_kind, cstack_owner;
	/* what userspace reads of a code object and its strings */
	uint16_t code_name, code_qualname, code_filename, code_firstlineno, code_linetable;
	uint16_t object_type, bytes_size, bytes_data;
	uint16_t unicode_length, unicode_state, unicode_ascii_data, unicode_compact_data;
};

/* Offsets of CPython major.minor, or NULL when flamed does not know that version. Static. */
const struct py_offsets *py_offsets__find(int major, int minor);

/* Lowest and highest minor version of 3.x known, for messages. */
void py_offsets__range(int *ret_lo, int *ret_hi);

#endif /* FLAMED_PY_OFFSETS_H */
