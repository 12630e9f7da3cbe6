# SPDX-License-Identifier: MIT
"""Writes the line tables of a few code objects of the running CPython, with the line CPython
itself gives every instruction offset, for tests/unit/test_py_linetable.c. Run by
tests/data/python/gen_linetables.sh with each interpreter; one record a line:
  MINOR FIRSTLINENO TABLE_HEX INSTR:LINE,INSTR:LINE,...
INSTR is in the unit flamed's BPF walker records (3.8-3.9: bytes; 3.10: 2-byte instruction
index; 3.11+: code units); LINE 0 = no line. Standard library only."""
import dis
import sys
import zlib  # noqa: F401  (a C module, as in py_shapes.py)

MINOR = sys.version_info[1]


def sample(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            total += i
        elif i % 3 == 1:
            total -= 1
        else:
            total ^= i
    try:
        total //= n
    except ZeroDivisionError:
        total = -1
    return [x * 2 for x in range(total % 5)]


class Holder:
    def method(self, a, b=2):
        return (a
                + b
                * 3)


def far_lines():
    x = 1


    y = 2
    # a gap of many lines below makes the tables use their large forms
    z = [
        1, 2, 3,
    ]
















































































































































































































































































    return x + y + len(z)


def pairs(code):
    out = []
    n = len(code.co_code)
    if MINOR >= 10:
        unit = 2 if MINOR >= 10 else 1
        table = code.co_linetable
        for start, end, line in code.co_lines():
            for b in range(start, end, 2):
                out.append((b // unit, line or 0))
    else:
        table = code.co_lnotab
        starts = list(dis.findlinestarts(code))
        for b in range(0, n, 2):
            line = 0
            for off, ln in starts:
                if off <= b:
                    line = ln
            out.append((b, line))
    return table, out


def walk(code, seen):
    if code in seen:
        return
    seen.append(code)
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            walk(c, seen)


codes = []
for fn in (sample, Holder.method, far_lines):
    walk(fn.__code__, codes)
for code in codes:
    table, out = pairs(code)
    print("%d %d %s %s" % (MINOR, code.co_firstlineno, table.hex() or "-",
                           ",".join("%d:%d" % p for p in out)))
