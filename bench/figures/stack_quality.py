# SPDX-License-Identifier: MIT
"""Figure 4, stack quality: % of samples reaching the root frame and % of frames symbolized, flamed
per unwinder against perf.
How it is measured: bench/RESULTS.md."""

import os
import subprocess

import benchcore as core
import benchlib as bl


def quality_of(bench, prof, out_base, comm):
    label, kind, mode = prof
    if kind == "flamed":
        # flamed `-- CMD` keeps only the command's samples, so all are taken; a comm other than
        # the command's is a labelling problem, counted apart (other_comm_pct of wrong comm)
        with open(out_base + ".folded") as f:
            stacks = bl.parse_folded(f.read())
        q = bl.stack_quality(stacks, None, bl.folded_user_frames, bl.flamed_frame_symbolized)
        q["other_comm_pct"] = bl.other_comm_pct(stacks, comm)
        return q
    r = subprocess.run([bench.perf, "script", "-i", out_base + ".data", "--no-inline",
                        "-F", "comm,tid,ip,sym,dso"], capture_output=True, text=True)
    if r.returncode != 0:
        raise core.RunError("perf script failed: %s" % r.stderr.strip()[-300:])
    return bl.stack_quality(bl.parse_perf_script(r.stdout), comm, bl.perf_user_frames,
                            bl.perf_frame_symbolized)


def run(bench):
    runs = bench.p["runs"]
    units = max(10, int(bench.calibrate() * bench.p["fig4_cpu_s"]))
    workloads = [("burn_nofp", "C -O2 without frame pointers"),
                 ("burn_fp", "C -O2 with frame pointers, leaf functions without a frame")]
    rows, raw = [], {}
    for wl_name, desc in workloads:
        wl = [bench.bin(wl_name), "-n", str(units)]
        for prof in bench.profilers():
            q = {"root_pct": [], "symbolized_pct": [], "frames_per_sample": [], "samples": [],
                 "other_comm_pct": []}
            for r in range(runs):
                base = os.path.join(bench.tmp, "fig4")
                argv = bench.profiled_argv(prof, 999, wl, base)
                bench.check(bench.run_proc(argv, name="fig4"), prof[0])
                got = quality_of(bench, prof, base, wl_name)
                for k in q:
                    q[k].append(got[k])
            s = {k: bl.summarize(v) for k, v in q.items()}
            rows.append([wl_name, prof[0], s["samples"].fmt(0), s["root_pct"].fmt(1),
                         s["symbolized_pct"].fmt(1), s["frames_per_sample"].fmt(1),
                         s["other_comm_pct"].fmt(1)])
            raw["%s %s" % (wl_name, prof[0])] = {k: v.as_dict() for k, v in s.items()}
        core.log("figure 4: %s done" % wl_name)
    bench.results["fig4"] = raw
    title = ("4. Stack quality at 999 Hz, single-threaded bench/workloads/burn.c (%d units, "
             "main -> run -> work_unit -> phase_* -> leaf, some time in libc memcpy/qsort), "
             "user frames only, %d runs; %s; perf via `perf script --no-inline` (perf also "
             "reads separate debug files under /usr/lib/debug, flamed does not). flamed "
             "rows count every sample of `flamed -- CMD` (all are the command's), perf rows "
             "the workload's comm; the last column is, for flamed, samples labelled with a "
             "comm other than the workload's (should be 0), for perf its pre-exec samples"
             % (units, runs, core.ROOT_NOTE))
    table = bl.markdown_table(["workload", "profiler", "samples", "% reaching root",
                               "% frames symbolized", "user frames/sample",
                               "% samples under another comm"], rows)
    return title, table
