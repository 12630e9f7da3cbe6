/* SPDX-License-Identifier: MIT */
/* Prints one row of src/python/py_offsets.c for the CPython whose headers it is compiled against
 * (tools/py_offsets.sh builds it once per interpreter): the struct offsets the BPF walker and the
 * code-object reader need, taken from the interpreter's own headers with Py_BUILD_CORE. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_interp.h>
#endif
#include <internal/pycore_pystate.h>
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_frame.h>
#include <internal/pycore_runtime.h>
#else
#include <frameobject.h>
#endif

#define OFF(t, f) ((unsigned)offsetof(t, f))

int main(void)
{
	unsigned interp_tstate_head, tstate_frame, cframe_frame = 0xffff;
	unsigned frame_back, frame_code, frame_instr, frame_owner = 0xffff, frame_is_entry = 0xffff;
	unsigned cstack_owner = 0xff; /* no shim frames before 3.12 */
	unsigned code_adaptive = 0xffff, code_qualname = 0xffff, code_linetable, instr_kind;

#if PY_VERSION_HEX >= 0x030b0000
	interp_tstate_head = OFF(PyInterpreterState, threads.head);
#else
	interp_tstate_head = OFF(PyInterpreterState, tstate_head);
#endif
#if PY_VERSION_HEX >= 0x030d0000
	tstate_frame = OFF(PyThreadState, current_frame);
	frame_code = OFF(_PyInterpreterFrame, f_executable);
	frame_instr = OFF(_PyInterpreterFrame, instr_ptr);
#elif PY_VERSION_HEX >= 0x030b0000
	tstate_frame = OFF(PyThreadState, cframe);
	cframe_frame = OFF(_PyCFrame, current_frame);
	frame_code = OFF(_PyInterpreterFrame, f_code);
	frame_instr = OFF(_PyInterpreterFrame, prev_instr);
#else
	tstate_frame = OFF(PyThreadState, frame);
	frame_back = OFF(PyFrameObject, f_back);
	frame_code = OFF(PyFrameObject, f_code);
	frame_instr = OFF(PyFrameObject, f_lasti);
#endif
#if PY_VERSION_HEX >= 0x030b0000
	frame_back = OFF(_PyInterpreterFrame, previous);
	frame_owner = OFF(_PyInterpreterFrame, owner);
	code_adaptive = OFF(PyCodeObject, co_code_adaptive);
	code_qualname = OFF(PyCodeObject, co_qualname);
	instr_kind = 1; /* FLAMED_PY_INSTR_PTR */
#else
	instr_kind = 0; /* FLAMED_PY_INSTR_LASTI */
#endif
#if PY_VERSION_HEX == 0x030b0000 || (PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030c0000)
	frame_is_entry = OFF(_PyInterpreterFrame, is_entry);
#endif
#if PY_VERSION_HEX >= 0x030c0000
	cstack_owner = FRAME_OWNED_BY_CSTACK;
#endif
#if PY_VERSION_HEX >= 0x030a0000
	code_linetable = OFF(PyCodeObject, co_linetable);
#else
	code_linetable = OFF(PyCodeObject, co_lnotab);
#endif
	printf("\t{ .major = %d, .minor = %d,\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
	printf("\t  .runtime_interp_head = %u, .interp_tstate_head = %u, .tstate_next = %u,\n",
	       OFF(_PyRuntimeState, interpreters.head), interp_tstate_head,
	       OFF(PyThreadState, next));
	printf("\t  .tstate_thread_id = %u, .tstate_frame = %u, .cframe_frame = %#x,\n",
	       OFF(PyThreadState, thread_id), tstate_frame, cframe_frame);
	printf("\t  .frame_back = %u, .frame_code = %u, .frame_instr = %u, .frame_owner = %#x,\n",
	       frame_back, frame_code, frame_instr, frame_owner);
	printf("\t  .frame_is_entry = %#x, .code_adaptive = %#x, .instr_kind = %u,\n",
	       frame_is_entry, code_adaptive, instr_kind);
	printf("\t  .code_name = %u, .code_qualname = %#x, .code_filename = %u,\n",
	       OFF(PyCodeObject, co_name), code_qualname, OFF(PyCodeObject, co_filename));
	printf("\t  .code_firstlineno = %u, .code_linetable = %u,\n",
	       OFF(PyCodeObject, co_firstlineno), code_linetable);
	printf("\t  .object_type = %u, .bytes_size = %u, .bytes_data = %u,\n",
	       OFF(PyObject, ob_type), OFF(PyVarObject, ob_size), OFF(PyBytesObject, ob_sval));
	printf("\t  .unicode_length = %u, .unicode_state = %u, .unicode_ascii_data = %u,\n",
	       OFF(PyASCIIObject, length), OFF(PyASCIIObject, state),
	       (unsigned)sizeof(PyASCIIObject));
	printf("\t  .unicode_compact_data = %u, .cstack_owner = %u },\n",
	       (unsigned)sizeof(PyCompactUnicodeObject), cstack_owner);
	return 0;
}
