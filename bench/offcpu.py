#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What --off-cpu costs, and how close its totals come, by context-switch rate.

    flock /tmp/flamed-bench.lock bench/offcpu.py [--runs 3] [--seconds 15] [--record]

As root (BPF, kernel.bpf_stats_enabled, which is set for the run and restored). Builds flamed and
flamed_offcpu_floor (in FLAMED_BENCH_BUILD_DIR, default build-bench) and bench/workloads/
pingpong.c, then for each row (two threads passing a byte over pipes at about 1k, 10k and 100k
context switches a second) runs, in alternating order, the same whole-host capture without and
with --off-cpu (--once, 19 Hz: the daemon's rate) while the ping-pong runs inside it, and the
floor: empty programs on the two scheduler hooks --off-cpu uses. From each run's steady part
(the ping-pong running, start-up over) it reads flamed's own CPU (its tasks' schedstat) and the
run time of each of its BPF programs (their fdinfo, kernel.bpf_stats_enabled=1), and from its
outputs the off-CPU time it estimated for the ping-pong against what the ping-pong measured of
itself (wall minus CPU time per thread) and, host-wide, the kept waits' weights against the exact
total of the waits seen. Medians of --runs runs; every cost is a percentage of one CPU over the
same seconds, and "net" subtracts the floor's run time per run of the scheduler programs (what
any program costs there, bpf_stats' own clock reads included).
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
from benchcore import agent_cpu_ns  # noqa: E402

SRC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROWS = [("1k", 300), ("10k", 4500), ("100k", 50000)]  # (label, ping-pong round trips a second)
SCHED = ("on_switch_out", "on_switch_in")


def log(msg):
    print("offcpu: " + msg, file=sys.stderr, flush=True)


def bpf_progs(pid, names):
    """{name: (run_time_ns, run_cnt)} of the BPF programs process pid holds; names caches
    prog_id -> name (bpftool), since other flamed instances may run on a shared host."""
    out = {}
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                prog = bl.fdinfo_bpf_prog(bl.parse_fdinfo(f.read()))
        except OSError:
            continue
        if not prog:
            continue
        if prog[0] not in names:
            js = subprocess.run(["bpftool", "prog", "show", "id", str(prog[0]), "--json"],
                                capture_output=True, text=True, timeout=10).stdout
            progs = bl.parse_bpftool_progs(js)
            names[prog[0]] = progs[0].get("name") if progs else None
        if names[prog[0]]:
            out[names[prog[0]]] = (prog[1], prog[2])
    return out


def snapshot(pid, names):
    return {"t": time.monotonic(), "cpu": agent_cpu_ns(pid), "bpf": bpf_progs(pid, names)}


def folded_total(path, comm):
    total = 0
    with open(path) as f:
        for c, _, count in bl.parse_folded(f.read()):
            total += count if c == comm else 0
    return total


def metrics(stderr_text):
    out = {}
    for line in stderr_text.splitlines():
        parts = line.split()
        if "metric" in parts and "=" in parts:
            i = parts.index("metric")
            out[parts[i + 1]] = int(parts[-1])
    return out


_THRESHOLD_RE = re.compile(r"kept at threshold ([0-9.]+) ms \(([0-9.]+) to ([0-9.]+);")


def threshold_ms(stderr_text):
    """The off-CPU summary's threshold: (in use at the end, highest) in ms; None when absent."""
    m = _THRESHOLD_RE.search(stderr_text)
    return (float(m.group(1)), float(m.group(3))) if m else None


def one_run(a, offcpu, rounds, work):
    """One capture with the ping-pong inside it; what it cost and what it estimated."""
    tag = "off" if offcpu else "cpu"
    folded = os.path.join(work, "%s.folded" % tag)
    err_path = os.path.join(work, "%s.err" % tag)
    argv = [a.flamed, "--once", str(a.seconds + 30), "-F", "19", "-v", "--no-progress",
            "-o", folded] + (["--off-cpu"] if offcpu else [])
    names = {}
    with open(err_path, "w") as err:
        fl = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=work)
    t_start = time.monotonic()
    try:
        # sampling has started once its programs have run
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            progs = bpf_progs(fl.pid, names)
            if progs.get("on_cpu_sample", (0, 0))[1] > 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("flamed did not start sampling: see " + err_path)
        pp = subprocess.Popen([a.pingpong, str(a.seconds), str(rounds)], stdout=subprocess.PIPE,
                              text=True)
        time.sleep(1.5)
        s0 = snapshot(fl.pid, names)
        time.sleep(a.seconds - 3.0)
        s1 = snapshot(fl.pid, names)
        pp_out = bl.parse_kv(pp.communicate(timeout=a.seconds + 30)[0])
        fl.send_signal(signal.SIGINT)
        captured = time.monotonic() - t_start
        if fl.wait(timeout=120):
            raise RuntimeError("flamed exited %d: see %s" % (fl.returncode, err_path))
    finally:
        if fl.poll() is None:
            fl.kill()
            fl.wait()
    wall = s1["t"] - s0["t"]
    r = {"switches": pp_out["switches_per_s"], "self_ms": pp_out["offcpu_ms"],
         "nivcsw_pct": 100.0 * pp_out["nivcsw"] / max(pp_out["nivcsw"] + pp_out["nvcsw"], 1),
         "cpu_pct": 100.0 * (s1["cpu"] - s0["cpu"]) / 1e9 / wall, "bpf_pct": 0.0, "runs": {},
         "ns_per_run": {}}
    for name, (t1, c1) in s1["bpf"].items():
        t0, c0 = s0["bpf"].get(name, (0, 0))
        r["bpf_pct"] += 100.0 * (t1 - t0) / 1e9 / wall
        r["runs"][name] = (c1 - c0) / wall
        r["ns_per_run"][name] = (t1 - t0) / (c1 - c0) if c1 > c0 else 0.0
    if offcpu:
        text = open(err_path).read()
        m = metrics(text)
        r["threshold_ms"] = threshold_ms(text) or (0.0, 0.0)
        r["est_ms"] = folded_total(os.path.join(work, "off.offcpu.folded"), "pingpong") / 1e6
        r["kept_vs_seen"] = m["offcpu_ns_kept"] / max(m["offcpu_ns_seen"], 1)
        r["walks_per_s"] = m["offcpu_kept"] / captured
        r["waits_per_s"] = m["offcpu_waits"] / captured
    return r


def floor_run(a, rounds):
    pp = subprocess.Popen([a.pingpong, str(a.seconds), str(rounds)], stdout=subprocess.PIPE,
                          text=True)
    time.sleep(1.0)
    out = subprocess.run([a.floor, str(int(a.seconds - 3))], capture_output=True, text=True,
                         check=True).stdout
    pp.communicate(timeout=a.seconds + 30)
    res = {}
    for line in out.splitlines():
        name, ns, runs = line.split()
        res[name] = (float(ns), float(runs))
    return res


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--record", action="store_true", help="append the tables to bench/RESULTS.md")
    ap.add_argument("--rows", default=",".join(r[0] for r in ROWS))
    a = ap.parse_args()
    if os.geteuid():
        ap.error("run as root (BPF, kernel.bpf_stats_enabled)")
    build = os.environ.get("FLAMED_BENCH_BUILD_DIR", os.path.join(SRC, "build-bench"))
    work = os.path.join(build, "offcpu-run")
    os.makedirs(work, exist_ok=True)
    log("building in %s" % build)
    subprocess.run(["cmake", "-S", SRC, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "-j2", "--target", "flamed",
                    "flamed_offcpu_floor"], check=True, stdout=subprocess.DEVNULL)
    a.flamed = os.path.join(build, "flamed")
    a.floor = os.path.join(build, "bench", "flamed_offcpu_floor")
    a.pingpong = os.path.join(work, "pingpong")
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-pthread",
                    "-o", a.pingpong, os.path.join(SRC, "bench", "workloads", "pingpong.c")],
                   check=True)
    rows = [r for r in ROWS if r[0] in a.rows.split(",")]
    results = {}
    with bl.bpf_stats_enabled():
        for label, rounds in rows:
            res = {"cpu": [], "off": [], "floor": []}
            for i in range(a.runs):
                for offcpu in ((False, True) if i % 2 == 0 else (True, False)):
                    log("%s switches/s, run %d, %s" % (label, i + 1,
                                                       "--off-cpu" if offcpu else "CPU only"))
                    res["off" if offcpu else "cpu"].append(one_run(a, offcpu, rounds, work))
                log("%s switches/s, run %d, floor" % (label, i + 1))
                res["floor"].append(floor_run(a, rounds))
            results[label] = res
    header = ["switches/s", "CPU only: flamed", "--off-cpu: flamed CPU", "BPF",
              "of which sched (net of floor)", "switch out / in, ns a run (floor)",
              "walks/s", "total", "net", "added by --off-cpu (net)"]
    table, acc = [], []
    for label, _ in rows:
        res = results[label]
        cpu, off, fl = res["cpu"], res["off"], res["floor"]
        sw = med([r["switches"] for r in off])
        base = med([r["cpu_pct"] + r["bpf_pct"] for r in cpu])
        floor_ns = {n: med([f["sched_switch" if n == SCHED[0] else "sched_exit_tp"][0]
                            for f in fl]) for n in SCHED}

        def sched(r, net):
            return sum(100.0 * r["runs"].get(n, 0) * (r["ns_per_run"].get(n, 0) -
                                                      (floor_ns[n] if net else 0)) / 1e9
                       for n in SCHED)

        tot = [r["cpu_pct"] + r["bpf_pct"] for r in off]
        net = [r["cpu_pct"] + r["bpf_pct"] - sched(r, False) + sched(r, True) for r in off]
        table.append([
            "%.0f" % sw, "%.3f %%" % base, "%.3f %%" % med([r["cpu_pct"] for r in off]),
            "%.3f %%" % med([r["bpf_pct"] for r in off]),
            "%.3f %% (%.3f %%)" % (med([sched(r, False) for r in off]),
                                  med([sched(r, True) for r in off])),
            "%.0f / %.0f (%.0f / %.0f)" % (med([r["ns_per_run"].get(SCHED[0], 0) for r in off]),
                                          med([r["ns_per_run"].get(SCHED[1], 0) for r in off]),
                                          floor_ns[SCHED[0]], floor_ns[SCHED[1]]),
            "%.0f" % med([r["walks_per_s"] for r in off]),
            "%.3f %% [%.3f..%.3f]" % (med(tot), min(tot), max(tot)),
            "%.3f %%" % med(net), "%.3f %%" % (med(net) - base)])
        ratio = [r["est_ms"] / r["self_ms"] for r in off]
        # a total X of waits shorter than the threshold T is estimated with a standard error of
        # about sqrt(T X) (docs/profile.md): what one run's error should be, at the T it ended at
        sigma = [100.0 * (r["threshold_ms"][0] / r["self_ms"]) ** 0.5 for r in off]
        within = sum(1 for x in ratio if abs(x - 1.0) <= 0.05)
        acc.append(["%.0f" % sw, "%.0f ms" % med([r["self_ms"] for r in off]),
                    "%.0f ms" % med([r["est_ms"] for r in off]),
                    "%.4f [%.4f..%.4f]" % (med(ratio), min(ratio), max(ratio)),
                    "%d of %d" % (within, len(ratio)),
                    "%.1f ms (%.1f ms)" % (med([r["threshold_ms"][0] for r in off]),
                                          med([r["threshold_ms"][1] for r in off])),
                    "%.1f %%" % med(sigma),
                    "%.4f" % med([r["kept_vs_seen"] for r in off]),
                    "%.0f" % med([r["waits_per_s"] for r in off]),
                    "%.1f %%" % med([r["nivcsw_pct"] for r in off])])
    out = ["### Off-CPU cost by switch rate (bench/offcpu.py, %d runs of %.0f s, medians)" % (
               a.runs, a.seconds), "",
           "Whole host, `--once` at 19 Hz, the ping-pong inside the capture; costs in % of one "
           "CPU over the steady seconds: flamed's CPU (its tasks' schedstat) plus its BPF "
           "programs' run time (kernel.bpf_stats_enabled). *net*: the scheduler programs' run "
           "time less the floor's per run (an empty program on the same hooks).", "",
           bl.markdown_table(header, table), "",
           "Off-CPU time of the ping-pong threads, flamed's estimate against their own "
           "measurement (wall minus CPU time); the threshold the walk budget raised the "
           "sampling to (host-wide waits) and the error one run should then show, "
           "sqrt(threshold / measured); and host-wide the kept waits' weights against "
           "the exact total of the waits seen (sampling error alone):", "",
           bl.markdown_table(["switches/s", "measured", "estimated", "estimate / measured",
                              "runs within 5 %", "threshold at the end (highest)",
                              "expected error of a run (1 sigma)", "weights / seen",
                              "waits/s host", "preempted switches"], acc), ""]
    text = "\n".join(out)
    print(text)
    if a.record:
        with open(os.path.join(SRC, "bench", "RESULTS.md"), "a") as f:
            f.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
