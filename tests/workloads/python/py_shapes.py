# SPDX-License-Identifier: MIT
"""CPU-bound Python workload for flamed's Python frames: four phases run round-robin for
DURATION seconds (argv[1]), each timed by the script itself (thread CPU time), so the test can
compare flamed's shares with what the script measured:
  fib     a recursive function            (py_shapes.fib, called from phase_fib)
  area    a class method                  (py_shapes.Shape.area)
  crunch  a function of an imported module (py_shapes_mod.crunch)
  zlib    a C extension call              (libz's crc32 under phase_zlib)
At the end it prints one line: "phase_ms fib=N area=N crunch=N zlib=N".
Works on CPython 3.6+ (standard library only)."""
import sys
import time
import zlib

import py_shapes_mod


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


class Shape:
    def __init__(self, w, h):
        self.w = w
        self.h = h

    def area(self, rounds):
        total = 0.0
        for i in range(rounds):
            total += self.w * self.h * (i % 3)
        return total


DATA = bytes(range(256)) * 256
# The C call checksums a buffer made once: zlib.crc32 allocates nothing, so the phase's CPU time
# is the same function's on every host. A call that allocates (compress, even on one long-lived
# stream) also pays for the pages it touches, and what a page fault costs is the host's: on a
# freshly booted VM one run sampled deflate's phase at 7.2 % of the phases while the script timed
# 11.4 %, where a long-running one of the same kind agrees within 0.5 points.


def phase_fib():
    return fib(23)


def phase_area():
    return Shape(3.0, 4.0).area(40000)


def phase_crunch():
    return py_shapes_mod.crunch(40000)


def phase_zlib():
    return sum(zlib.crc32(DATA, i) for i in range(48))


PHASES = [("fib", phase_fib), ("area", phase_area), ("crunch", phase_crunch),
          ("zlib", phase_zlib)]


def main(duration):
    spent = {name: 0.0 for name, _ in PHASES}
    end = time.monotonic() + duration
    while time.monotonic() < end:
        for name, fn in PHASES:
            t0 = time.thread_time()
            fn()
            spent[name] += time.thread_time() - t0
    print("phase_ms " + " ".join("%s=%d" % (n, spent[n] * 1000) for n, _ in PHASES),
          flush=True)


main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
