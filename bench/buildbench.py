#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The "build" figure: profiling a C++ build, flamed against perf --call-graph dwarf.

    bench/buildbench.py --flamed build/flamed [--flamed OLD] [--runs 3] [--hz 99] [--compiles 12]
                        [--record]

The build (run as root, in a scratch directory): COMPILES sequential `g++ -O2 -c` of this
repository's tests/workloads/cpp_names.cpp, then `make -j2` of four copies of it. Each run
profiles the build twice, once under `flamed --once -- ./build.sh` and once under
`perf record --call-graph dwarf -- ./build.sh`, and reports for the compiler (cc1plus):
the share of its samples whose stack reaches `main` (a complete stack), per compiler process
(median and lowest process) and overall; for flamed, the table memory at peak, the tables built
against those reused (the cache), and the samples that met a table still building.
Several --flamed binaries (this one against an older build, say) each get a row; the table
figures come from the first. Every figure: median [min..max] over the runs.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import benchlib as bl  # noqa: E402
import flamed_check as fc  # noqa: E402

COMPILER = "cc1plus"


def write_build(work, compiles):
    src = os.path.join(SRC, "tests", "workloads", "cpp_names.cpp")
    inc = os.path.join(SRC, "tests", "workloads")
    for i in range(4):
        shutil.copy(src, os.path.join(work, "par%d.cpp" % i))
    with open(os.path.join(work, "Makefile"), "w") as f:
        f.write("all: par0.o par1.o par2.o par3.o\n%%.o: %%.cpp\n\tg++ -O2 -I%s -c $< -o $@\n"
                % inc)
    path = os.path.join(work, "build.sh")
    with open(path, "w") as f:
        f.write("#!/bin/bash\nset -e\ncd %s\nrm -f *.o\n"
                "for i in $(seq %d); do g++ -O2 -I%s -c %s -o seq.o; done\nmake -s -j2\n"
                % (work, compiles, inc, src))
    os.chmod(path, 0o755)
    return path


def shares_by_pid(samples):
    """{pid: (samples, samples reaching main)} for the compiler's samples."""
    out = {}
    for pid, frames, n in samples:
        tot, hit = out.get(pid, (0, 0))
        out[pid] = (tot + n, hit + (n if "main" in frames else 0))
    return out


def summarize_pids(by_pid, min_samples=5):
    """(median per-process share, lowest per-process share, overall share, processes), over the
    processes with at least min_samples samples."""
    pcts = [100.0 * h / t for t, h in by_pid.values() if t >= min_samples]
    tot = sum(t for t, _ in by_pid.values())
    hit = sum(h for _, h in by_pid.values())
    if not pcts or not tot:
        raise ValueError("no %s process with %d samples" % (COMPILER, min_samples))
    return statistics.median(pcts), min(pcts), 100.0 * hit / tot, len(pcts)


def run_flamed(flamed, build, work, hz):
    out = os.path.join(work, "flamed.pb.gz")
    p = subprocess.run([flamed, "-v", "--once", "10m", "-F", str(hz), "-o", out, "--", build],
                       capture_output=True, text=True, timeout=900)
    if p.returncode:
        raise RuntimeError("flamed exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    fails = fc.Failures()
    samples = [(s.pid, [fc.bare(f) for f in s.frames], s.count)
               for s in fc.load_pprof(out, fails) if s.comm == COMPILER]
    line = next((l for l in p.stderr.splitlines() if l.startswith("flamed: unwind tables: ")),
                "")
    m = re.search(r"unwind tables: (\d+) built .*?, (\d+) reused \((\d+) from the cache", line)
    peak = re.search(r"([0-9.]+) MiB at peak of", line)
    pend = re.search(r"(\d+) samples met a table still building", line)
    if not (m and peak and pend):
        return samples, None  # an older flamed: its summary said other things
    return samples, {"built": int(m.group(1)), "reused": int(m.group(2)),
                     "cached": int(m.group(3)), "peak_mib": float(peak.group(1)),
                     "pending": int(pend.group(1))}


def run_perf(build, work, hz):
    data = os.path.join(work, "perf.data")
    p = subprocess.run(["perf", "record", "-q", "-F", str(hz), "--call-graph", "dwarf", "-o",
                        data, "--", build], capture_output=True, text=True, timeout=900)
    if p.returncode:
        raise RuntimeError("perf record exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    text = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,ip,sym,dso"],
                          capture_output=True, text=True, timeout=900).stdout
    samples, comm, pid, frames = [], None, None, []
    for line in text.splitlines() + [""]:
        if not line.strip():
            if comm == COMPILER:
                samples.append((pid, [f[0] for f in frames], 1))
            comm, frames = None, []
        elif line[0] in " \t":
            fr = bl._split_perf_frame(line)
            if fr:
                frames.append((re.sub(r"\+0x[0-9a-f]+$", "", fr[0]),) + fr[1:])
        else:
            parts = line.rsplit(None, 1)
            comm, pid = parts[0].strip(), parts[-1]
    return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flamed", action="append", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hz", type=int, default=99)
    ap.add_argument("--compiles", type=int, default=12)
    ap.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = ap.parse_args()
    if os.geteuid():
        sys.exit("buildbench: run as root")
    have_perf = shutil.which("perf") is not None
    work = tempfile.mkdtemp(prefix="flamed-buildbench-")
    build = write_build(work, args.compiles)
    keys = ["p_med", "p_min", "p_all", "built", "reused", "cached", "peak", "pending"]
    for i in range(len(args.flamed)):
        keys += ["f%d_%s" % (i, k) for k in ("med", "min", "all", "n")]
    rows = {k: [] for k in keys}
    try:
        for r in range(args.runs):
            for i, flamed in enumerate(args.flamed):
                samples, st = run_flamed(flamed, build, work, args.hz)
                med, low, overall, n = summarize_pids(shares_by_pid(samples))
                for k, v in (("med", med), ("min", low), ("all", overall), ("n", n)):
                    rows["f%d_%s" % (i, k)].append(v)
                if i == 0 and st:
                    for k, sk in (("built", "built"), ("reused", "reused"), ("cached", "cached"),
                                  ("peak", "peak_mib"), ("pending", "pending")):
                        rows[k].append(st[sk])
            if have_perf:
                med, low, overall, _ = summarize_pids(shares_by_pid(run_perf(build, work,
                                                                             args.hz)))
                rows["p_med"].append(med)
                rows["p_min"].append(low)
                rows["p_all"].append(overall)
            print("buildbench: run %d/%d done" % (r + 1, args.runs), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def f(key, digits=1, unit=""):
        return bl.summarize(rows[key]).fmt(digits, unit=unit) if rows[key] else "n/a"

    title = ("build. Profiling a C++ build (%d x `g++ -O2 -c` of tests/workloads/cpp_names.cpp, "
             "then `make -j2` of 4 copies) at %d Hz, %d runs: share of cc1plus samples whose "
             "stack reaches `main`" % (args.compiles, args.hz, args.runs))
    table = bl.markdown_table(
        ["profiler", "per process (median)", "lowest process", "all cc1plus samples",
         "compiler processes"],
        [["flamed --once -- ./build.sh (%s)" % os.path.relpath(b), f("f%d_med" % i, unit="%"),
          f("f%d_min" % i, unit="%"), f("f%d_all" % i, unit="%"), f("f%d_n" % i, 0)]
         for i, b in enumerate(args.flamed)] +
        [["perf record --call-graph dwarf", f("p_med", unit="%"), f("p_min", unit="%"),
          f("p_all", unit="%"), ""]])
    tables = bl.markdown_table(
        ["unwind tables (%s)" % os.path.relpath(args.flamed[0]), "value"],
        [["built (cold)", f("built", 0)], ["reused by a process", f("reused", 0)],
         ["of those, from the cache of exited processes", f("cached", 0)],
         ["memory at peak (MiB)", f("peak", 1)],
         ["samples that met a table still building", f("pending", 0)]])
    text = "### %s\n\n%s\n\n%s\n" % (title, table, tables)
    print(text)
    if args.record:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
