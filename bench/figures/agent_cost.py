# SPDX-License-Identifier: MIT
"""Figure 2, agent cost: flamed's own CPU seconds and peak RSS for --once on the whole host with
busy CPUs (and with 200 sleeping processes).
How it is measured: bench/RESULTS.md."""

import time

import benchcore as core
import benchlib as bl


def run(bench):
    runs = bench.p["runs"]
    sa, sb = bench.p["fig2_once_s"], bench.p["fig2_once_b_s"]
    mode = bench.modes[0]
    rows = []
    load = bench.busy(runs * (sa + 60) + 60)
    try:
        a = bench.once_runs(sa, 99, runs, "fig2a")
    finally:
        bench.stop_bg([load])
    bench.results["fig2a"] = {k: v.as_dict() for k, v in a.items()}
    bench.fig2a_seconds = sa
    rows.append(["`--once %ds` 99 Hz, %d busy CPUs" % (sa, bench.nproc), a["cpu_s"].fmt(2),
                 a["cpu_pct"].fmt(2, unit="%"), a["rss_mb"].fmt(1), a["wall_s"].fmt(2),
                 a["samples"].fmt(0)])
    sleepers = [bench.start_bg(["sleep", "100000"]) for _ in range(core.SLEEPERS)]
    load = bench.busy(runs * (sb + 60) + 60)
    try:
        time.sleep(0.5)
        b = bench.once_runs(sb, 19, runs, "fig2b")
    finally:
        bench.stop_bg([load] + sleepers)
    bench.results["fig2b"] = {k: v.as_dict() for k, v in b.items()}
    rows.append(["`--once %ds` 19 Hz, %d busy CPUs + %d live sleeping processes"
                 % (sb, bench.nproc, core.SLEEPERS), b["cpu_s"].fmt(2), b["cpu_pct"].fmt(2, unit="%"),
                 b["rss_mb"].fmt(1), b["wall_s"].fmt(2), b["samples"].fmt(0)])
    bench.fig2a = a
    title = ("2. Agent cost: flamed's own CPU (wait4, user+sys; BPF time is charged to the "
             "sampled tasks, see 3) and peak RSS, whole host, %s, %d runs"
             % (bench.mode_label(mode), runs))
    table = bl.markdown_table(["run", "CPU s", "CPU % of one core", "peak RSS MB", "wall s",
                               "samples"], rows)
    return title, table
