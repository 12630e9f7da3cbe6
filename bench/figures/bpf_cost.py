# SPDX-License-Identifier: MIT
"""Figure 3, BPF cost: ns per sample of on_cpu_sample (run_time_ns / run_cnt with
kernel.bpf_stats_enabled), whole host, at 19, 99 and 999 Hz, tables and frame pointers, CPython
rows, against a program that only counts (the floor).
How it is measured: bench/RESULTS.md."""

import os
import time

import benchcore as core
import benchlib as bl


def run(bench):
    """BPF ns per sample, whole host, at each rate: at 19 and 99 Hz the program's maps and
    the rows it reads are cold between two samples of a CPU, at 999 Hz they stay warm."""
    runs = bench.p["runs"]
    secs = bench.p["fig3_s"]
    configs = [(hz, 20) for hz in core.FREQS] + [(99, 100)]
    modes = bench.table_modes()
    keys = [(hz, d, m) for hz, d in configs for m in modes]
    # CPython (Debian's 3.11, bench/workloads/deep.py): Python frames walked, and not
    keys += [(99, 20, "python"), (99, 20, "no-python")]
    # the floor: a program that counts one per-CPU word (bench/bpf_floor.bpf.c) on the same
    # events under the same load, the baseline each row is read against
    floor = bench.args.floor if bench.args.floor and os.access(bench.args.floor, os.X_OK) \
        else None
    if floor:
        keys += [(hz, 20, "floor") for hz in core.FREQS]
    ns, cnt, share, seen = ({k: [] for k in keys} for _ in range(4))
    folded = os.path.join(bench.tmp, "fig3.folded")
    with bl.bpf_stats_enabled():
        for r in range(runs):
            order = keys[r % len(keys):] + keys[:r % len(keys)]
            for hz, d, mode in order:
                sec = secs[hz]
                py = mode in ("python", "no-python")
                if py:
                    wl = [core.PYTHON, os.path.join(core.BENCH_DIR, "workloads", "deep.py"), str(d),
                          str(bench.nproc), str(sec + 10)]
                    comm, fmode = os.path.basename(core.PYTHON)[:15], bench.modes[0]
                    extra = ["--no-python"] if mode == "no-python" else []
                else:
                    wl = [bench.bin("deep"), "-d", str(d), "-t", str(bench.nproc), "-s",
                          str(sec + 10)]
                    comm, fmode, extra = "deep", mode, []
                load = bench.start_bg(wl)
                try:
                    time.sleep(0.5 if py else 0.2)
                    if mode == "floor":
                        res = bench.check(bench.run_proc([floor, str(hz), "%d" % sec],
                                                       name="fig3-floor"),
                                         "flamed_bpf_floor")
                    else:
                        argv = bench.flamed_argv(hz, [folded], fmode,
                                                extra + ["--once", "%gs" % sec])
                        _, _, t, _ = bench.bpf_run(argv, "fig3", parse=False)
                finally:
                    bench.stop_bg([load])
                k = (hz, d, mode)
                if mode == "floor":
                    fns, fruns = (int(x) for x in res.out.split()[:2])
                    ns[k].append(fns)
                    cnt[k].append(fruns)
                    share[k].append(0.0)
                    seen[k].append(0)
                    continue
                with open(folded) as f:
                    stacks = bl.parse_folded(f.read())
                total = sum(c for _, _, c in stacks)
                ds = bl.folded_depths(stacks, comm)
                ns[k].append(bl.ns_per_run(*t.last))
                cnt[k].append(t.last[1])
                share[k].append(100.0 * len(ds) / total if total else 0.0)
                seen[k].append(bl.summarize(ds).median if ds else 0)
            core.log("figure 3: round %d/%d done" % (r + 1, runs))
    rows, raw = [], {}
    for hz, d, mode in keys:
        k = (hz, d, mode)
        s = {n: bl.summarize(v[k]) for n, v in
             (("ns", ns), ("runs", cnt), ("share", share), ("seen", seen))}
        label = bench.mode_label(mode)
        if mode in ("python", "no-python"):
            label = "CPython 3.11, %s%s" % (bench.mode_label(bench.modes[0]),
                                            " --no-python" if mode == "no-python" else "")
        fk = (hz, 20, "floor")
        times = ""
        if floor and ns[fk] and mode != "floor":
            fmed = bl.summarize(ns[fk]).median
            times = "%.1f" % (s["ns"].median / fmed) if fmed > 0 else ""
        if mode == "floor":
            rows.append([str(hz), "floor: one per-CPU counter (bench/bpf_floor.bpf.c)", "",
                         s["ns"].fmt(0), s["runs"].fmt(0), "", "", "1"])
        else:
            rows.append([str(hz), label, str(d), s["ns"].fmt(0), s["runs"].fmt(0),
                         s["share"].fmt(1, unit="%"), s["seen"].fmt(0), times])
        raw["%d Hz depth %d %s" % k] = {n: v.as_dict() for n, v in s.items()}
    bench.results["fig3"] = raw
    title = ("3. BPF cost of on_cpu_sample per sample, whole host (every process's samples "
             "walked, as a fleet runs it), at 19, 99 and 999 Hz: run_time_ns / run_cnt "
             "from the fdinfo of flamed's own program fd (kernel.bpf_stats_enabled=1), "
             "%d threads of bench/workloads/deep.c (frame pointers; %s s at 19/99/999 Hz), "
             "%d runs, CPU %s. At 19 and 99 Hz the program's maps are cold between two "
             "samples of a CPU (fleet rates); 999 Hz is the warm case. 'deep's share' is "
             "the part of the samples that were the workload's (the rest: other processes "
             "on the host). The CPython rows run bench/workloads/deep.py (Python "
             "recursion depth 20, one process per CPU) under /usr/bin/python3.11, with "
             "Python frames walked and with --no-python; their share and frames are the "
             "interpreter's samples. The floor rows: a program that counts one per-CPU word "
             "on the same events under the same load (bench/bpf_floor.bpf.c), what any "
             "program costs on this host at that rate; 'x the floor' divides a row's median "
             "by the floor's at the same rate"
             % (bench.nproc, "/".join("%g" % secs[h] for h in core.FREQS), runs,
                bench.cpu_model()))
    table = bl.markdown_table(["Hz", "unwinder", "recursion depth", "ns per sample",
                               "samples measured", "deep's share",
                               "user frames/sample of deep", "x the floor"], rows)
    return title, table
