# SPDX-License-Identifier: MIT
"""A native thread calling into Python (tests/workloads/py_native_cb.c through ctypes): ROUNDS
rounds of NATIVE_MS of native work, then a Python callback that runs callback_hot for PY_MS of
its thread's CPU time. Python frames of a thread that had none a moment ago must show from the
callback's first sample. Prints "callback_ms N native_ms N" (the thread's own CPU time in each).
Usage: py_native_cb.py LIBRARY [ROUNDS NATIVE_MS PY_MS]"""
import ctypes
import sys
import time

LIB = ctypes.CDLL(sys.argv[1])
ROUNDS, NATIVE_MS, PY_MS = (int(a) for a in (sys.argv[2:5] if len(sys.argv) > 4
                                             else (12, 60, 150)))
SPENT = [0.0]


def callback_hot():
    end = time.thread_time() + PY_MS / 1000.0
    x = 0
    while time.thread_time() < end:
        for i in range(2000):
            x += i % 7
    return x


def callback():
    t0 = time.thread_time()
    callback_hot()
    SPENT[0] += time.thread_time() - t0


CB = ctypes.CFUNCTYPE(None)(callback)
t0 = time.monotonic()
if LIB.py_native_cb_run(CB, ROUNDS, NATIVE_MS) != 0:
    sys.exit("py_native_cb_run failed")
print("callback_ms %d native_ms %d" % (SPENT[0] * 1000, ROUNDS * NATIVE_MS), flush=True)
