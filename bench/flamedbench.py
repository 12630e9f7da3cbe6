#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""flamed's benchmark harness (run it through bench/run, which builds what it needs).

Twelve figures, each a ratio or a per-unit cost against a baseline measured in the same run, reported
as median [min..max] over several runs because the machine is shared and noisy, each a module of
bench/figures/ named by what it measures (benchcore.py holds what they share):
  1 overhead.py       total CPU (workload + profiler) / workload alone, fixed work on all CPUs
  2 agent_cost.py     flamed's own CPU seconds and peak RSS, whole host, busy CPUs
  3 bpf_cost.py       ns per sample of on_cpu_sample (kernel.bpf_stats_enabled), whole host, 19,
                      99 and 999 Hz, tables and frame pointers
  4 stack_quality.py  % of samples reaching the root frame, % of frames symbolized, vs perf
  5 symbolization.py  addresses per second cold and warm, RSS (flamed_symbench on a big binary)
  6 end_to_end.py     wall time of --once 10s until the files are written
  7 daemon.py         the daemon's start-up CPU, steady CPU % of a core, RSS curve, 19 and 99 Hz
  8 dwarf_frames.py   DWARF frames per second cold/warm/cached vs symtab, memory (symbench -d)
  9 direct_cost.py    (flamed's CPU + its BPF run time) / the work it profiled, --once and the
                      daemon, start-up apart
  10 host_names.py    % of frames named on a busy host (g++, python, node, xz), vs perf dwarf
  11 busy_host.py     the daemon on a busy host (C, Python, Node, Java, a compile loop, short
                      processes): CPU per window, RSS, parses per file, cache hit rates; with
                      --flamed-old, an older flamed beside it on the same mix (bench/busyhost.py)
  12 kubernetes.py    ns per sample left out by the cgroup filter vs figure 3's floor; the
                      daemon's CPU and memory with a kubelet listing 500 pods (bench/k8sbench.py)
Nothing here passes or fails: it measures and prints.
"""

import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchcore as core  # noqa: E402
from figures import BY_NUMBER  # noqa: E402


def run(b):
    """Every figure asked for, each printed as it ends; the report written to the work
    directory (and appended to bench/RESULTS.md with --record). Exit code."""
    only = sorted(set(b.args.only)) if b.args.only else sorted(BY_NUMBER)
    out = [b.header()]
    print(out[0] + "\n", flush=True)
    t_start = time.monotonic()
    for n in only:
        t0 = time.monotonic()
        core.log("figure %d ..." % n)
        try:
            title, table = BY_NUMBER[n].run(b)
        except (core.RunError, ValueError, OSError) as e:
            title, table = "%d. failed" % n, "ERROR: %s" % e
            b.results["fig%d" % n] = {"error": str(e)}
        core.log("figure %d: %.0f s" % (n, time.monotonic() - t0))
        out.append("### " + title + "\n\n" + table)
        print(out[-1] + "\n", flush=True)
    out.append("_bench/run took %.0f s; load average at the end %s_"
               % (time.monotonic() - t_start,
                  " ".join(open("/proc/loadavg").read().split()[:3])))
    text = "\n\n".join(out) + "\n"
    print(out[-1], flush=True)
    with open(os.path.join(b.work, "last-results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(b.work, "last-results.json"), "w") as f:
        json.dump(b.results, f, indent=1, sort_keys=True)
    if b.args.record:
        with open(os.path.join(b.args.source, "bench", "RESULTS.md"), "a") as f:
            f.write("\n" + text)
        core.log("appended to bench/RESULTS.md")
    return 1 if any("error" in v for v in b.results.values() if isinstance(v, dict)) else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 runs, short runs, < 3 minutes")
    ap.add_argument("--only", type=lambda s: [int(x) for x in s.split(",")],
                    help="comma-separated figure numbers (1-%d)" % max(BY_NUMBER))
    ap.add_argument("--runs", type=int, help="runs per figure (>= 3)")
    ap.add_argument("--record", action="store_true", help="append the tables to bench/RESULTS.md")
    ap.add_argument("--sym-binary", help="ELF file for figure 5 (default: searched)")
    ap.add_argument("--dwarf-binary", help="ELF file for figure 8 (default: searched)")
    ap.add_argument("--flamed", required=True)
    ap.add_argument("--flamed-old", help="figures 9 and 11: an older flamed measured beside "
                    "--flamed (figure 9: its --once rows; figure 11: at once on the same mix)")
    ap.add_argument("--busy-seconds", type=int, help="figure 11's length (default: 150 quick, "
                    "1200 full)")
    ap.add_argument("--symbench", required=True)
    ap.add_argument("--floor", help="flamed_bpf_floor (figure 3's baseline; without it, none)")
    ap.add_argument("--bindir", required=True, help="built bench workloads")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    if args.runs is not None and args.runs < 3:
        ap.error("--runs must be >= 3")
    if args.only and not set(args.only) <= set(BY_NUMBER):
        ap.error("--only: figures are 1-%d" % max(BY_NUMBER))
    if os.geteuid() != 0:
        ap.error("run as root (BPF, perf, kernel.bpf_stats_enabled)")
    b = core.Bench(args)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        return run(b)
    finally:
        b.cleanup()


if __name__ == "__main__":
    sys.exit(main())
