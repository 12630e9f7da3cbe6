# SPDX-License-Identifier: MIT
"""Run by a CPython 3.13+: compares the row of src/python/py_offsets_table.h (argv[1]) for this
version with the offsets the interpreter publishes about itself in _PyRuntime.debug_offsets
(struct _Py_DebugOffsets, Include/internal/pycore_runtime.h). Exit 1 with FAIL lines on a
mismatch."""
import ctypes
import re
import sys

minor = sys.version_info[1]
text = open(sys.argv[1]).read()
rows = re.findall(r"\{([^}]*)\}", text)
row = None
for r in rows:
    fields = dict(re.findall(r"\.(\w+) = (0x[0-9a-f]+|\d+)", r))
    if int(fields.get("minor", "-1"), 0) == minor:
        row = {k: int(v, 0) for k, v in fields.items()}
if row is None:
    print("FAIL: no row for 3.%d" % minor)
    sys.exit(1)
words = (ctypes.c_uint64 * 48).in_dll(ctypes.pythonapi, "_PyRuntime")
cookie = bytes(words)[:8]
if cookie != b"xdebugpy":
    print("FAIL: _PyRuntime does not start with the debug cookie: %r" % cookie)
    sys.exit(1)
# word indices in struct _Py_DebugOffsets of 3.13 (cookie, version, free_threaded, then blocks)
published = {
    "runtime_interp_head": words[5],   # runtime_state.interpreters_head
    "interp_tstate_head": words[9],    # interpreter_state.threads_head
    "tstate_next": words[21],          # thread_state.next
    "tstate_frame": words[23],         # thread_state.current_frame
    "tstate_thread_id": words[24],     # thread_state.thread_id
    "frame_back": words[29],           # interpreter_frame.previous
    "frame_code": words[30],           # interpreter_frame.executable
    "frame_instr": words[31],          # interpreter_frame.instr_ptr
    "frame_owner": words[33],          # interpreter_frame.owner
    "code_filename": words[35],
    "code_name": words[36],
    "code_qualname": words[37],
    "code_linetable": words[38],
    "code_firstlineno": words[39],
    "code_adaptive": words[43],        # code_object.co_code_adaptive
}
bad = 0
for name, value in published.items():
    ok = row[name] == value
    bad += not ok
    print("%-20s table %5d  published %5d%s" % (name, row[name], value, "" if ok else "  FAIL"))
if bad:
    print("FAIL: %d offsets differ from _PyRuntime.debug_offsets" % bad)
sys.exit(1 if bad else 0)
