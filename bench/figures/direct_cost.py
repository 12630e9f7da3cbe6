# SPDX-License-Identifier: MIT
"""Figure 9, direct cost: (flamed's CPU + its BPF run time) / the work it profiled, --once and the
daemon, start-up apart.
How it is measured: bench/RESULTS.md."""

import os
import shutil
import signal
import subprocess
import time

import benchcore as core
import benchlib as bl


def once_cost(bench, hz, mode, seconds, flamed=None):
    """One `flamed --once` on the whole host (CPUs kept busy by the caller): start-up, then
    the run's direct cost over the host's work while it sampled."""
    out = os.path.join(bench.tmp, "fig9.pb.gz")
    argv = bench.flamed_argv(hz, [out], mode, ["--once", "%ds" % seconds], flamed)
    res, _, t, host_end = bench.bpf_run(argv, "fig9", parse=False)
    first = t.first
    startup = first["agent_ns"] / 1e9
    bpf = t.last[0] / 1e9
    host = host_end - first["host_s"]
    return {"startup_cpu_s": startup, "agent_cpu_s": res.cpu, "bpf_s": bpf,
            "bpf_ns_per_sample": bl.ns_per_run(*t.last), "work_s": host - res.cpu + startup
            - bpf, "total_pct": bl.direct_cost_pct(res.cpu, bpf, host + startup),
            "steady_pct": bl.direct_cost_pct(res.cpu - startup, bpf, host),
            "rss_startup_mb": first["rss_kb"] / 1024.0, "rss_peak_mb": res.maxrss_kb / 1024.0}


def daemon_cost(bench, hz, mode, seconds):
    """The daemon (`--output-dir`, 10 s windows) for `seconds` after its start-up, CPUs kept
    busy by the caller; its steady direct cost between the start-up snapshot and the end."""
    outdir = os.path.join(bench.tmp, "fig9-daemon")
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    argv = [bench.args.flamed, "--output-dir", outdir, "--interval", "10s", "-F", str(hz)]
    if mode is not None:
        argv += ["--unwind", mode]
    err = open(os.path.join(bench.work, "fig9-daemon.err"), "w")
    d = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    t = core.BpfPoller(d.pid)
    t.start()
    try:
        t0 = time.monotonic()
        while t.first is None:
            if d.poll() is not None or time.monotonic() - t0 > 60:
                raise core.RunError("the daemon never sampled (exit %s)" % d.poll())
            time.sleep(0.05)
        time.sleep(max(0.0, seconds - (time.monotonic() - t.first["t"])))
        end = t.snapshot()
        d.send_signal(signal.SIGTERM)
        rc = d.wait(timeout=30)
    finally:
        t.stop.set()
        t.join()
        if d.poll() is None:
            d.kill()
            d.wait()
        err.close()
    if rc != 0:
        raise core.RunError("the daemon exited %d after SIGTERM" % rc)
    first = t.first
    agent = (end["agent_ns"] - first["agent_ns"]) / 1e9
    bpf = (end["bpf"][0] - first["bpf"][0]) / 1e9
    with open(os.path.join(bench.work, "fig9-daemon.err"), errors="replace") as f:
        parts = bl.parse_agent_costs(f.read())
    runs = end["bpf"][1] - first["bpf"][1]
    host = end["host_s"] - first["host_s"]
    return {"startup_cpu_s": first["agent_ns"] / 1e9, "agent_cpu_s": agent, "bpf_s": bpf,
            "bpf_ns_per_sample": bpf * 1e9 / runs if runs > 0 else 0.0,
            "work_s": host - agent - bpf, "total_pct": None,
            "steady_pct": bl.direct_cost_pct(agent, bpf, host),
            "agent_pct_of_core": 100.0 * agent / (end["t"] - first["t"]),
            "rss_startup_mb": first["rss_kb"] / 1024.0, "rss_peak_mb": end["rss_kb"] / 1024.0,
            "windows": len(os.listdir(outdir)),
            # flamed's own account (status lines): process events (maps, unwind tables)
            # against the windows' drain, build and encoding
            "events_s": parts["events"] if parts else None,
            "windows_s": parts["drain"] + parts["build"] + parts["encode"] if parts else None}


def run(bench):
    runs = bench.p["runs"]
    once_s, daemon_s = bench.p["fig9_once_s"], bench.p["fig9_daemon_s"]
    cases = [("`--once %ds` 99 Hz" % once_s, "once", 99, m) for m in bench.table_modes()]
    # --flamed-old: the same --once rows with the older flamed, in the same rotation
    if bench.args.flamed_old:
        cases += [("`--once %ds` 99 Hz, old" % once_s, "once-old", 99, m)
                  for m in bench.table_modes()]
    cases.append(("daemon 19 Hz, %d s after start-up" % daemon_s, "daemon", 19,
                  bench.modes[0]))
    got = {c: [] for c in cases}
    old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    load = bench.busy(runs * (len(cases) * (max(once_s, daemon_s) + 30)) + 60)
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        time.sleep(0.5)
        for r in range(runs):
            for c in cases[r % len(cases):] + cases[:r % len(cases)]:
                label, kind, hz, mode = c
                if kind in ("once", "once-old"):
                    v = once_cost(bench, hz, mode, once_s, bench.args.flamed_old
                                       if kind == "once-old" else None)
                else:
                    v = daemon_cost(bench, hz, mode, daemon_s)
                got[c].append(v)
                core.log("figure 9: %s %s: %.3f %% steady, start-up %.3f CPU-s"
                    % (label, bench.mode_label(mode), v["steady_pct"], v["startup_cpu_s"]))
            core.log("figure 9: round %d/%d done" % (r + 1, runs))
    finally:
        bench.stop_bg([load])
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    rows, raw = [], {}
    for c in cases:
        label, kind, hz, mode = c
        vals = got[c]
        s = {k: bl.summarize([v[k] for v in vals]) for k in vals[0]
             if all(v.get(k) is not None for v in vals)}
        target = "<= 0.5 %" if kind != "daemon" else "<= 0.2 %"
        split = ""
        if "events_s" in s:
            split = "events %s, windows %s" % (s["events_s"].fmt(3), s["windows_s"].fmt(3))
        rows.append([label, bench.mode_label(mode), s["startup_cpu_s"].fmt(3),
                     s["agent_cpu_s"].fmt(3), split, s["bpf_s"].fmt(3),
                     s["bpf_ns_per_sample"].fmt(0), s["work_s"].fmt(1),
                     s["total_pct"].fmt(3, unit=" %") if "total_pct" in s else "",
                     s["steady_pct"].fmt(3, unit=" %") + " (target %s)" % target,
                     s["rss_startup_mb"].fmt(1), s["rss_peak_mb"].fmt(1)])
        raw["%s %s" % (label, bench.mode_label(mode))] = {k: v.as_dict()
                                                          for k, v in s.items()}
    bench.results["fig9"] = raw
    title = ("9. Direct cost: (flamed's own CPU + its BPF program's run time) / the work it "
             "profiled (the host's busy CPU while it sampled, without those two), whole "
             "host, %d CPUs kept busy by burn_nofp, kernel.bpf_stats_enabled=1, %d runs, "
             "CPU %s. Start-up = flamed's CPU until its program first ran (open, BTF, "
             "verifier, maps, attach). --once: 'agent CPU' is the whole process (start-up "
             "and the final build included); 'total' counts it all, 'after start-up' the "
             "rest. The daemon: CPU and BPF time between the start-up snapshot and the end "
             "(its windows built and written every 10 s); its status lines split its CPU "
             "into process events (/proc snapshots, unwind tables of new processes) and "
             "the windows (drains, builds, encoding); those sums include the last window, "
             "written after SIGTERM"
             % (bench.nproc, runs, bench.cpu_model()))
    table = bl.markdown_table(["run", "unwinder", "start-up CPU s", "agent CPU s",
                               "of which (flamed's status lines), s", "BPF s", "BPF ns/sample", "work CPU-s",
                               "direct cost, total", "direct cost after start-up",
                               "RSS MB after start-up", "RSS MB peak / at the end"], rows)
    return title, table
