# SPDX-License-Identifier: MIT
"""Python threads and processes for flamed's Python frames: `py_workers.py threads SECONDS`
runs two threads (work_alpha, work_beta) beside the main thread (work_main) and prints
"thread NAME TID" for each; `py_workers.py procs SECONDS` forks two multiprocessing workers (work_child),
each printing "child PID"."""
import multiprocessing
import os
import sys
import threading
import time


def spin(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        for i in range(2000):
            n += i % 7
    return n


def work_alpha(seconds):
    return spin(seconds)


def work_beta(seconds):
    return spin(seconds)


def work_main(seconds):
    return spin(seconds)


def work_child(seconds):
    # one write(2) per line: print() writes the text and the newline separately, and two
    # workers sharing stdout interleaved them into "child Achild B" once
    os.write(1, b"child %d\n" % multiprocessing.current_process().pid)
    return spin(seconds)


def threads(seconds):
    ts = [threading.Thread(target=f, args=(seconds,)) for f in (work_alpha, work_beta)]
    for t in ts:
        t.start()  # returns once the thread runs: its native_id is known
    # one write for all: the lines are out before any SIGTERM at the capture's end
    print("thread alpha %d\nthread beta %d\nthread main %d"
          % (ts[0].native_id, ts[1].native_id, threading.get_native_id()), flush=True)
    work_main(seconds)
    for t in ts:
        t.join()


def procs(seconds):
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        pool.map(work_child, [seconds, seconds])


if __name__ == "__main__":
    {"threads": threads, "procs": procs}[sys.argv[1]](float(sys.argv[2]))
