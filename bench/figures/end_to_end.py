# SPDX-License-Identifier: MIT
"""Figure 6, end to end: wall time of --once 10s until both files are written.
How it is measured: bench/RESULTS.md."""

import benchlib as bl


def run(bench):
    runs = bench.p["runs"]
    if bench.p["fig6_separate"] or not hasattr(bench, "fig2a") or bench.fig2a_seconds != 10:
        load = bench.busy(runs * 70 + 60)
        try:
            a = bench.once_runs(10, 99, runs, "fig6")
        finally:
            bench.stop_bg([load])
        src = "own runs"
    else:
        a = bench.fig2a
        src = "the runs of figure 2, first row"
    over = bl.summarize([w - 10 for w in a["wall_s"].values])
    bench.results["fig6"] = {"wall_s": a["wall_s"].as_dict(), "beyond_10s": over.as_dict()}
    title = ("6. End to end: `flamed --once 10s -o X.svg -o X.pb.gz`, whole host, %d busy CPUs, "
             "from exec to exit with both files written (%s), %d runs"
             % (bench.nproc, src, runs))
    table = bl.markdown_table(["wall s", "beyond the 10 s capture, s", "wall / 10 s"],
                              [[a["wall_s"].fmt(2), over.fmt(2),
                                bl.summarize([w / 10 for w in a["wall_s"].values]).fmt(3,
                                                                                     unit="x")]])
    return title, table
