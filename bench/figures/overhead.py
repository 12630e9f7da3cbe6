# SPDX-License-Identifier: MIT
"""Figure 1, overhead: total CPU (workload + profiler) / the workload alone, a fixed amount of
work on every CPU, flamed per unwinder against perf record -g and --call-graph dwarf.
How it is measured: bench/RESULTS.md."""

import os

import benchcore as core
import benchlib as bl


def run(bench):
    runs, cpu_s = bench.p["runs"], bench.p["fig1_cpu_s"]
    units = max(10, int(bench.calibrate() * cpu_s))
    wl = [bench.bin(core.OVERHEAD_WORKLOAD), "-t", str(bench.nproc), "-n", str(units)]
    profs = bench.profilers()
    cpu_ratios = {(hz, p[0]): [] for hz in core.FREQS for p in profs}
    wall_ratios = {(hz, p[0]): [] for hz in core.FREQS for p in profs}
    prof_cpu = {(hz, p[0]): [] for hz in core.FREQS for p in profs}
    wl_ratios = {(hz, p[0]): [] for hz in core.FREQS for p in profs}
    base_cpu = []
    for r in range(runs):
        for hz in core.FREQS:
            order = [None] + profs
            order = order[r % len(order):] + order[:r % len(order)]
            got = {}
            for prof in order:
                name = "fig1"
                if prof is None:
                    res = bench.check(bench.run_proc(wl, name=name), "workload")
                else:
                    argv = bench.profiled_argv(prof, hz, wl, os.path.join(bench.tmp, "fig1"))
                    res = bench.check(bench.run_proc(argv, name=name), prof[0])
                kv = bl.parse_kv(res.out)
                if int(kv.get("units", -1)) != units * bench.nproc:
                    raise core.RunError("workload did %r units, expected %d (%s)"
                                   % (kv.get("units"), units * bench.nproc,
                                      prof[0] if prof else "alone"))
                got[prof[0] if prof else None] = (res, kv)
                for ext in (".data", ".folded"):
                    path = os.path.join(bench.tmp, "fig1" + ext)
                    if os.path.exists(path):
                        os.unlink(path)
            base, base_kv = got[None]
            base_cpu.append(base.cpu)
            for prof in profs:
                res, kv = got[prof[0]]
                cpu_ratios[(hz, prof[0])].append(bl.ratio(res.cpu, base.cpu))
                wall_ratios[(hz, prof[0])].append(bl.ratio(res.wall, base.wall))
                prof_cpu[(hz, prof[0])].append(res.cpu - kv["cpu_s"])
                wl_ratios[(hz, prof[0])].append(bl.ratio(kv["cpu_s"], base_kv["cpu_s"]))
        core.log("figure 1: round %d/%d done" % (r + 1, runs))
    rows = []
    raw = {}
    for hz in core.FREQS:
        for prof in profs:
            k = (hz, prof[0])
            c, w, own, wr = (bl.summarize(cpu_ratios[k]), bl.summarize(wall_ratios[k]),
                             bl.summarize(prof_cpu[k]), bl.summarize(wl_ratios[k]))
            rows.append([str(hz), prof[0], c.fmt(3, unit="x"), wr.fmt(3, unit="x"),
                         own.fmt(3), w.fmt(3, unit="x")])
            raw["%d Hz %s" % k] = {"cpu_ratio": c.as_dict(), "wall_ratio": w.as_dict(),
                                   "profiler_cpu_s": own.as_dict(),
                                   "workload_cpu_ratio": wr.as_dict()}
    b = bl.summarize(base_cpu)
    title = ("1. Overhead: total CPU (workload + profiler) / workload alone; %s, %d threads, "
             "%d units each (fixed work, %s CPU-s alone), pairs in the same round, %d rounds"
             % (core.OVERHEAD_WORKLOAD, bench.nproc, units, b.fmt(2), runs))
    title += (". 'workload only' is the workload's own CPU (its getrusage) with / without the "
              "profiler: the in-kernel sampling cost charged to it, without the profiler "
              "process's start-up, symbolization and exit, which the last-but-one column shows "
              "and which short runs magnify")
    table = bl.markdown_table(
        ["Hz", "profiler", "total CPU ratio", "workload-only CPU ratio",
         "profiler process CPU s", "wall ratio"], rows)
    bench.results["fig1"] = raw
    return title, table
