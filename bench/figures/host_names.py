# SPDX-License-Identifier: MIT
"""Figure 10, names on a busy host: % of frames named while g++, python, node and xz run, against
perf --call-graph dwarf over the same seconds.
How it is measured: bench/RESULTS.md."""

import os
import shutil
import subprocess
import time

import benchcore as core
import benchlib as bl


def host_mix(bench):
    """Background load for figure 10: a compiler, a Python program, node and xz, each in a
    loop (what a build or service host runs), as (comm, argv) pairs; those not installed are
    left out."""
    src = os.path.join(bench.args.source, "tests", "workloads", "cpp_lines.cpp")
    mix = []
    if shutil.which("g++"):
        mix.append(("cc1plus", ["sh", "-c", "while :; do g++ -O2 -c -o /dev/null %s; done"
                                % src]))
    if os.path.exists(core.PYTHON):
        mix.append(("python3.11", [core.PYTHON, "-c", "import json\nwhile True:\n"
                                   "    json.loads(json.dumps({str(i): [i] * 8 "
                                   "for i in range(2000)}))"]))
    if shutil.which("node"):
        mix.append(("node", ["node", "-e", "for (;;) { let a = {}; for (let i = 0; "
                             "i < 1e5; i++) a['k' + (i % 977)] = i; }"]))
    if shutil.which("xz"):
        mix.append(("xz", ["sh", "-c", "while :; do head -c 8000000 /usr/bin/* 2>/dev/null"
                           " | xz -6 >/dev/null; done"]))
    return mix


def run(bench):
    if not bench.perf:
        raise core.RunError("perf is not installed (bench/run --bench installs linux-perf)")
    runs, seconds = bench.p["runs"], 10
    mix = host_mix(bench)
    got = {}
    for r in range(runs):
        bg = [bench.start_bg(argv) for _, argv in mix]
        try:
            time.sleep(2)  # past the processes' start-up
            base = os.path.join(bench.tmp, "fig10")
            perf = subprocess.Popen([bench.perf, "record", "-q", "-N", "--no-bpf-event", "-a",
                                     "-F", "99", "--call-graph", "dwarf", "-o",
                                     base + ".data", "--", "sleep", str(seconds)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            argv = bench.flamed_argv(99, [base + ".folded"], "auto",
                                    ["--once", "%ds" % seconds])
            bench.check(bench.run_proc(argv, name="fig10"), "flamed --once")
            perf.wait(timeout=120)
        finally:
            bench.stop_bg(bg)
        with open(base + ".folded") as f:
            fl = bl.parse_folded(f.read())
        ps = subprocess.run([bench.perf, "script", "-i", base + ".data", "--no-inline",
                             "-F", "comm,tid,ip,sym,dso"], capture_output=True, text=True)
        if ps.returncode != 0:
            raise core.RunError("perf script failed: %s" % ps.stderr.strip()[-300:])
        pf = bl.parse_perf_script(ps.stdout)
        for comm in [None] + [c for c, _ in mix]:
            for who, stacks, uf, sym in (
                    ("flamed", fl, bl.folded_user_frames, bl.flamed_frame_symbolized),
                    ("perf --call-graph dwarf", pf, bl.perf_user_frames,
                     bl.perf_frame_symbolized)):
                try:
                    q = bl.stack_quality(stacks, comm, uf, sym)
                except ValueError:
                    continue
                d = got.setdefault((comm or "whole host", who), {})
                for k in ("samples", "symbolized_pct", "root_pct", "frames_per_sample"):
                    d.setdefault(k, []).append(q[k])
        core.log("figure 10: round %d/%d done" % (r + 1, runs))
    rows, raw = [], {}
    for (comm, who), d in got.items():
        s = {k: bl.summarize(v) for k, v in d.items()}
        rows.append([comm, who, s["samples"].fmt(0), s["symbolized_pct"].fmt(1),
                     s["root_pct"].fmt(1), s["frames_per_sample"].fmt(1)])
        raw["%s %s" % (comm, who)] = {k: v.as_dict() for k, v in s.items()}
    bench.results["fig10"] = raw
    title = ("10. Named frames on a busy host: %s in loops, flamed --once %ds -F 99 and "
             "perf record -a -F 99 --call-graph dwarf over the same seconds, %d runs; a "
             "frame counts as named when it has a function name (flamed's `lib+0x...` "
             "function-start names of stripped code and perf's `[unknown]` do not); user "
             "frames only; %s" % (", ".join(c for c, _ in mix), seconds, runs, core.ROOT_NOTE))
    table = bl.markdown_table(["processes", "profiler", "samples", "% frames named",
                               "% reaching root", "user frames/sample"], rows)
    return title, table
