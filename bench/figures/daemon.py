# SPDX-License-Identifier: MIT
"""Figure 7, the daemon: start-up CPU, steady CPU % of a core and the RSS curve, at 19 and 99 Hz,
with process churn.
How it is measured: bench/RESULTS.md."""

import os
import shutil
import signal
import subprocess
import time

import benchcore as core
import benchlib as bl


def daemon_run(bench, hz, seconds, every):
    """The daemon on the whole host (the caller keeps the CPUs busy): start-up CPU (until the
    first window is written), steady CPU % of one core after it, RSS every `every` s."""
    outdir = os.path.join(bench.tmp, "fig7-%d" % hz)
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    err = open(os.path.join(bench.work, "fig7-%d.err" % hz), "w")
    argv = [bench.args.flamed, "--output-dir", outdir, "--interval", "10s", "-F", str(hz)]
    if bench.modes[0] is not None:
        argv += ["--unwind", bench.modes[0]]
    d = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        while not os.listdir(outdir):  # the first window: start-up is over
            if d.poll() is not None or time.monotonic() - t0 > 60:
                raise core.RunError("the daemon wrote no window (exit %s)" % d.poll())
            time.sleep(0.2)
        startup_cpu, t1 = bench.proc_cpu_s(d.pid), time.monotonic()
        rss = [bench.proc_rss_mb(d.pid)]
        while time.monotonic() - t1 < seconds:
            time.sleep(min(every, max(0.1, seconds - (time.monotonic() - t1))))
            rss.append(bench.proc_rss_mb(d.pid))
        cpu, t2 = bench.proc_cpu_s(d.pid), time.monotonic()
        d.send_signal(signal.SIGTERM)
        rc = d.wait(timeout=30)
    finally:
        if d.poll() is None:
            d.kill()
            d.wait()
        err.close()
    if rc != 0:
        raise core.RunError("the daemon exited %d after SIGTERM" % rc)
    return {"startup_cpu_s": startup_cpu, "steady_pct": 100.0 * (cpu - startup_cpu) / (t2 - t1),
            "rss_mb": rss, "windows": len(os.listdir(outdir))}


def churn(bench, seconds):
    """core.CHURN_EXEC_PER_S short-lived processes a second (a shell loop of /bin/true)."""
    script = ("end=$((SECONDS+%d)); while [ $SECONDS -lt $end ]; do /bin/true; sleep %.3f; "
              "done" % (seconds, 1.0 / core.CHURN_EXEC_PER_S))
    return bench.start_bg(["/bin/sh", "-c", script])


def run(bench):
    seconds, every = bench.p["fig7_s"], bench.p["fig7_rss_every"]
    rows, curves = [], []
    for hz in (19, 99):
        sleepers = [bench.start_bg(["sleep", "100000"]) for _ in range(core.SLEEPERS)]
        bg = [bench.busy(seconds + 120), churn(bench, seconds + 120)]
        try:
            r = daemon_run(bench, hz, seconds, every)
        finally:
            bench.stop_bg(bg + sleepers)
        bench.results["fig7_%d" % hz] = r
        target = 0.2 if hz == 19 else 0.5
        rss = r["rss_mb"]
        rows.append(["%d Hz" % hz, "%.2f" % r["startup_cpu_s"],
                     "%.3f %% (target <= %.1f %%)" % (r["steady_pct"], target),
                     "%.1f" % rss[0], "%.1f" % rss[-1], "%.1f" % max(rss),
                     "%+.1f" % (rss[-1] - rss[min(len(rss) - 1, max(1, 60 // every))]),
                     str(r["windows"])])
        curves.append("%d Hz RSS MB every %d s: %s" % (hz, every,
                                                      " ".join("%.1f" % v for v in rss)))
    title = ("7. The daemon: `flamed --output-dir D --interval 10s`, whole host, %d busy CPUs, "
             "%d live processes, ~%d exec/s, %d s after the first window (own /proc/PID/stat)"
             % (bench.nproc, core.SLEEPERS, core.CHURN_EXEC_PER_S, seconds))
    table = bl.markdown_table(["rate", "start-up CPU s (to the first window)",
                               "steady CPU, % of one core", "RSS MB after start-up",
                               "RSS MB at the end", "RSS MB max",
                               "RSS growth after the first minute", "windows"], rows)
    return title, table + "\n\n" + "\n".join("- " + c for c in curves)
