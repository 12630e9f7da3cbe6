# SPDX-License-Identifier: MIT
"""Figure 11: the daemon on a busy host.

The mix is what a real host runs: two CPU-bound C programs (burn, one with and one without frame
pointers; both spend time in libc), a Python service (Debian's python3.11), a Node service (an
HTTP server and its client in one process), a Java program (OpenJDK), a g++ compile every
COMPILE_EVERY_S seconds, and SPAWN_PER_S short-lived processes a second (a rotation of coreutils,
sed, awk, grep). Each daemon given (the current build, and with --flamed-old an older one, at the
same time on the same mix) runs at its defaults (`--output-dir`, 10 s windows) at 19 Hz. Reported per daemon, from the second minute on: its CPU per window
(its own status line, 'agent N ms CPU'; median and p95, % of one core), its CPU over the whole
steady period from /proc/PID/stat, RSS every RSS_EVERY_S seconds, and at exit the naming caches'
counters (parses per file, hit rates) as its summary prints them."""

import os
import re
import shutil
import signal
import statistics
import subprocess
import time

import benchlib as bl

COMPILE_EVERY_S = 20
SPAWN_PER_S = 40
RSS_EVERY_S = 30
WINDOW_S = 10
STEADY_AFTER_S = 60  # "from the second minute on"

# The short-lived processes: each tick starts the next command of the rotation (reaped by the
# spawner), SPAWN_PER_S a second.
SPAWNER = r"""
import os, subprocess, sys, time
rate = float(sys.argv[1])
cmds = [["true"], ["date"], ["ls", "/usr/bin"], ["cat", "/etc/passwd"],
        ["grep", "-c", "root", "/etc/passwd"], ["sed", "s/a/b/", "/etc/services"],
        ["awk", "BEGIN { s = 0; for (i = 0; i < 200000; i++) s += i; print s }"],
        ["sort", "-r", "/etc/services"], ["uname", "-a"], ["wc", "-l", "/etc/services"]]
null = open(os.devnull, "w")
kids, i, t = [], 0, time.monotonic()
while True:
    kids.append(subprocess.Popen(cmds[i % len(cmds)], stdout=null, stderr=null))
    i += 1
    kids = [k for k in kids if k.poll() is None]
    t += 1.0 / rate
    time.sleep(max(0.0, t - time.monotonic()))
"""

_WINDOW_RE = re.compile(
    r"window (\d+) \([^)]*\):.*?agent ([0-9.]+) ms CPU \(drain ([0-9.]+) in [0-9]+, events "
    r"([0-9.]+), build ([0-9.]+) \(names ([0-9.]+)\), encode ([0-9.]+)\)")


def parse_windows(text):
    """The daemon's status lines: [{window, agent, drain, events, build, names, encode}] in ms,
    in order."""
    keys = ("agent", "drain", "events", "build", "names", "encode")
    out = []
    for m in _WINDOW_RE.finditer(text):
        d = {"window": int(m.group(1))}
        d.update({k: float(v) for k, v in zip(keys, m.groups()[1:])})
        out.append(d)
    return out


def percentile(values, p):
    """The p-th percentile (0-100) by nearest rank: a value that occurred."""
    if not values:
        raise ValueError("percentile of no values")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


_COUNTERS = [
    # (key, regex): the first number group of each; the names line as the summary prints it
    ("names_lookups", r"names: (\d+) looked up"),
    ("names_hits", r"looked up, (\d+) from the names cache"),
    ("names_entries", r"from the names cache \((\d+) entries"),
    ("names_evicted", r"peak [0-9.]+ MiB, (\d+) evicted"),
    ("names_expired", r"(\d+) unused expired\); symbol files"),
    ("files_parsed", r"symbol files: (\d+) parsed"),
    ("parses", r"symbol files: \d+ parsed, (\d+) parses"),
    ("max_parses", r"most parses of one file (\d+)"),
    ("files_reparsed", r"files parsed more than \d+ times (\d+)"),
    ("tables_mb", r"tables ([0-9.]+) MiB now"),
    ("tables_peak_mb", r"MiB now, ([0-9.]+) MiB at peak"),
    ("tables_evicted", r"budget \d+ MiB, (\d+) evicted"),
    ("tables_expired", r"budget \d+ MiB, \d+ evicted, (\d+) unused expired"),
]


def parse_counters(text):
    """The naming caches' counters from a flamed's exit summary: the last value of each line
    found; keys missing from an older flamed are left out."""
    out = {}
    for key, rx in _COUNTERS:
        found = re.findall(rx, text)
        if found:
            out[key] = float(found[-1])
    return out


def mix_argv(b):
    """(name, argv) of the mix's processes; those not installed are left out (and named)."""
    src = os.path.join(b.args.source, "bench", "workloads")
    mix = [("burn_nofp", [b.bin("burn_nofp"), "-s", "100000"]),
           ("burn_fp", [b.bin("burn_fp"), "-s", "100000"])]
    if os.path.exists("/usr/bin/python3.11"):
        mix.append(("python", ["/usr/bin/python3.11", os.path.join(src, "busy_service.py")]))
    if shutil.which("node"):
        mix.append(("node", ["node", os.path.join(src, "busy_service.js")]))
    if shutil.which("java"):
        mix.append(("java", ["java", "-Xmx256m", os.path.join(src, "BusyService.java")]))
    if shutil.which("g++"):
        mix.append(("g++", ["sh", "-c", "while :; do g++ -O2 -c -o /dev/null %s; sleep %d; done"
                            % (os.path.join(src, "busy_compile.cpp"), COMPILE_EVERY_S)]))
    mix.append(("spawner", ["/usr/bin/python3", "-c", SPAWNER, str(SPAWN_PER_S)]))
    return mix


def run_daemons(b, daemons, seconds):
    """Run every (label, flamed path) daemon at once on the mix for `seconds`; per label: the
    window lines, /proc CPU at start and end of the steady period, RSS every RSS_EVERY_S, and
    the exit summary's counters."""
    mix = mix_argv(b)
    bg = [b.start_bg(argv) for _, argv in mix]
    procs, res = [], {}
    try:
        time.sleep(5)  # past the services' start-up (java compiles its source)
        for label, path in daemons:
            outdir = os.path.join(b.tmp, "fig11-%d" % len(procs))
            shutil.rmtree(outdir, ignore_errors=True)
            os.makedirs(outdir)
            errpath = os.path.join(b.work, "fig11-%d.err" % len(procs))
            err = open(errpath, "w")
            argv = [path, "--output-dir", outdir, "--interval", "%ds" % WINDOW_S, "-F", "19",
                    "--no-progress"]
            d = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                                 stdin=subprocess.DEVNULL)
            procs.append((label, d, err, errpath, outdir))
            res[label] = {"rss_mb": [], "argv": argv}
        t0 = time.monotonic()
        next_rss = t0
        steady_cpu = {}
        while time.monotonic() - t0 < seconds:
            now = time.monotonic()
            for label, d, _, _, _ in procs:
                if d.poll() is not None:
                    raise ValueError("%s exited %s" % (label, d.returncode))
            if now >= next_rss:
                for label, d, _, _, _ in procs:
                    res[label]["rss_mb"].append(b.proc_rss_mb(d.pid))
                next_rss += RSS_EVERY_S
            if not steady_cpu and now - t0 >= STEADY_AFTER_S:
                steady_cpu = {label: (b.proc_cpu_s(d.pid), now) for label, d, _, _, _ in procs}
            time.sleep(0.5)
        for label, d, _, _, _ in procs:
            cpu0, s0 = steady_cpu[label]
            res[label]["steady_pct_proc"] = (100.0 * (b.proc_cpu_s(d.pid) - cpu0)
                                             / (time.monotonic() - s0))
        for label, d, _, _, _ in procs:
            d.send_signal(signal.SIGTERM)
        for label, d, _, _, _ in procs:
            if d.wait(timeout=60) != 0:
                raise ValueError("%s exited %d after SIGTERM" % (label, d.returncode))
    finally:
        for label, d, err, _, _ in procs:
            if d.poll() is None:
                d.kill()
                d.wait()
            err.close()
        b.stop_bg(bg)
    for label, d, _, errpath, outdir in procs:
        with open(errpath, errors="replace") as f:
            text = f.read()
        wins = parse_windows(text)
        first_steady = STEADY_AFTER_S // WINDOW_S + 1  # windows wholly after the first minute
        steady = [w for w in wins if w["window"] > first_steady]
        if not steady:
            raise ValueError("%s: no window after the first minute (%s)" % (label, errpath))
        res[label].update({"windows": steady, "counters": parse_counters(text),
                           "files": len(os.listdir(outdir))})
    return res, [name for name, _ in mix]


def pct_core(ms):
    return 100.0 * ms / (WINDOW_S * 1000.0)


def fig11(b):
    seconds = b.args.busy_seconds or b.p["fig11_s"]
    daemons = [("new", b.args.flamed)]
    if b.args.flamed_old:
        daemons.insert(0, ("old", b.args.flamed_old))
    res, names = run_daemons(b, daemons, seconds)
    rows, curves, counters = [], [], []
    b.results["fig11"] = {}
    for label, path in daemons:
        r = res[label]
        agent = [w["agent"] for w in r["windows"]]
        names_ms = [w["names"] for w in r["windows"]]
        parts = {k: statistics.median(w[k] for w in r["windows"])
                 for k in ("drain", "events", "build", "names", "encode")}
        rss = r["rss_mb"]
        steady_rss = rss[min(len(rss) - 1, STEADY_AFTER_S // RSS_EVERY_S):]
        rows.append([label, "%d" % len(agent),
                     "%.3f %%" % pct_core(statistics.median(agent)),
                     "%.3f %%" % pct_core(percentile(agent, 95)),
                     "%.3f %%" % pct_core(max(agent)),
                     "%.3f %%" % r["steady_pct_proc"],
                     " / ".join("%.1f" % parts[k]
                                for k in ("names", "build", "events", "drain", "encode")),
                     "%.1f" % max(rss), "%+.1f" % (steady_rss[-1] - steady_rss[0])])
        curves.append("%s: RSS MB every %d s: %s" % (label, RSS_EVERY_S,
                                                    " ".join("%.1f" % v for v in rss)))
        c = r["counters"]
        hit = ""
        if c.get("names_lookups"):
            hit = ("names cache hit rate %.1f %% of %d lookups (%d entries, %d evicted, %d "
                   "expired)" % (100.0 * c.get("names_hits", 0) / c["names_lookups"],
                                 c["names_lookups"], c.get("names_entries", 0),
                                 c.get("names_evicted", 0), c.get("names_expired", 0)))
        parse = "no naming counters (an older flamed prints none at exit)"
        if c.get("files_parsed") is not None:
            parse = ("%d files parsed, %d parses, at most %d of one file, %d files parsed more "
                     "than a few times; tables %.1f MiB at the end, %.1f MiB at peak, %d "
                     "evicted, %d expired"
                     % (c["files_parsed"], c.get("parses", 0), c.get("max_parses", 0),
                        c.get("files_reparsed", 0), c.get("tables_mb", 0),
                        c.get("tables_peak_mb", 0), c.get("tables_evicted", 0),
                        c.get("tables_expired", 0)))
        counters.append("%s: %s; %s" % (label, parse, hit))
        b.results["fig11"][label] = {
            "flamed": path, "agent_ms": agent, "names_ms": names_ms,
            "median_pct": pct_core(statistics.median(agent)),
            "p95_pct": pct_core(percentile(agent, 95)),
            "steady_pct_proc": r["steady_pct_proc"], "rss_mb": rss, "counters": c,
            "median_parts_ms": parts}
    title = ("11. The daemon on a busy host: %s at once on 2 busy CPUs (%s; g++ every %d s, "
             "~%d short processes/s); `flamed --output-dir D --interval %ds -F 19`, %d s, "
             "%s; per-window CPU from each window's own status line ('agent N ms CPU'), from "
             "the second minute on; steady CPU also from /proc/PID/stat; targets: median <= "
             "0.2 %%, p95 <= 0.5 %% of a core, RSS <= 48 MB and flat"
             % (" and ".join(l for l, _ in daemons), ", ".join(names), COMPILE_EVERY_S,
                SPAWN_PER_S, WINDOW_S, seconds,
                "old = %s, new = %s" % (b.args.flamed_old, b.args.flamed) if b.args.flamed_old
                else b.args.flamed))
    table = bl.markdown_table(["daemon", "windows", "CPU/window median (% core)", "p95", "max",
                              "steady CPU (/proc)", "median ms/window: names / build / events / drain / encode",
                              "RSS MB max", "RSS change after the first minute"], rows)
    return title, table + "\n\n" + "\n".join("- " + x for x in curves + counters)
