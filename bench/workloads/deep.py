# SPDX-License-Identifier: MIT
"""deep.py: the Python counterpart of deep.c for the BPF cost figure: PROCS forked processes
(Python threads would share one GIL) each recurse DEPTH Python frames through descend() and spin
in a leaf, for SECONDS.  python3 deep.py DEPTH PROCS SECONDS"""
import os
import sys
import time


def leaf(n):
    total = 0
    for i in range(n):
        total += i & 7
    return total


def descend(d, end):
    if d > 1:
        return descend(d - 1, end) + 1  # work after the call: no tail call
    while time.monotonic() < end:
        leaf(2000)
    return 0


def main():
    depth, procs, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    end = time.monotonic() + seconds
    kids = []
    for _ in range(max(procs, 1) - 1):
        pid = os.fork()
        if pid == 0:
            descend(depth, end)
            os._exit(0)
        kids.append(pid)
    descend(depth, end)
    for pid in kids:
        os.waitpid(pid, 0)


main()
