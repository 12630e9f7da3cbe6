#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs flamed as a child and measures what it costs, for tests/stress: CPU time (user + system,
from wait4's rusage, so the final symbolization and output are included), peak RSS (ru_maxrss,
i.e. VmHWM), and every INTERVAL seconds a curve point (VmRSS, VmHWM, CPU so far, open fds) read
from /proc/PID. Standard library only.

  flamed_monitor.py run --report FILE [--interval S] [--timeout S] -- FLAMED ARGS...
      runs FLAMED ARGS (stdin, stdout and stderr inherited), writes FILE (JSON), prints one
      summary line and exits with flamed's exit status (128 + N when killed by signal N). With
      --timeout, a flamed still running is sent SIGTERM (SIGKILL 5 s later), checked every
      interval, after its threads' states and gdb's backtrace are saved in FILE.hang.txt.
  flamed_monitor.py check FILE [--duration S | --steady] [--max-cpu-pct P] [--max-rss-mb M]
                                [--flat-after S --flat-mb D]
      prints the numbers and the curve (CPU % over S seconds, the capture, when given; with
      --steady between the curve's first and last points; else over flamed's whole life);
      exits 1 with "FAIL: ..." lines when a bound is exceeded.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_proc(pid):
    """(VmRSS MB, VmHWM MB, CPU s, open fds) of a live pid, or None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, ValueError):
        return None
    # fields after "(comm)": state is field 3, utime 14 and stime 15
    rest = stat[stat.rindex(")") + 2:].split()
    cpu = (int(rest[11]) + int(rest[12])) / CLK_TCK
    kb = lambda key: int(status.get(key, "0 kB").split()[0])  # noqa: E731
    return kb("VmRSS") / 1024.0, kb("VmHWM") / 1024.0, cpu, fds


def dump_hang(pid, path):
    """Where a hung pid is: each thread's state and kernel wait channel, and gdb's backtrace
    when gdb is installed."""
    lines = []
    try:
        for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
            base = "/proc/%d/task/%s/" % (pid, tid)
            with open(base + "stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(base + "wchan") as f:
                lines.append("thread %s state %s wchan %s" % (tid, state, f.read()))
    except OSError as e:
        lines.append("reading /proc: %s" % e)
    out = "\n".join(lines) + "\n"
    gdb = shutil.which("gdb")
    if gdb:
        res = subprocess.run([gdb, "-q", "-batch", "-p", str(pid), "-ex", "thread apply all bt"],
                             capture_output=True, text=True, timeout=60)
        out += "".join(l + "\n" for l in res.stdout.splitlines() if l.startswith(("#", "Thread")))
    with open(path, "w") as f:
        f.write(out)
    print("flamed_monitor: flamed hung; where it was: %s" % path, file=sys.stderr)
    sys.stderr.write(out)


def cmd_run(args):
    argv = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not argv:
        print("flamed_monitor: no command", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    curve = []
    killed = []
    done = threading.Event()

    def sample():
        while not done.wait(args.interval):
            elapsed = time.monotonic() - t0
            if args.timeout and elapsed > args.timeout:
                # a hung flamed: where it is, then SIGTERM, and SIGKILL 5 s later
                if not killed:
                    dump_hang(pid, args.report + ".hang.txt")
                sig = signal.SIGTERM if elapsed < args.timeout + 5 else signal.SIGKILL
                killed.append(sig)
                os.kill(pid, sig)
            point = read_proc(pid)
            if point:
                curve.append([round(time.monotonic() - t0, 1)] + [round(x, 2) for x in point])

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    # SIGINT/SIGTERM reach flamed through the process group; the monitor waits for its report
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    done.set()
    thread.join()
    rc = os.waitstatus_to_exitcode(status)
    rc = 128 - rc if rc < 0 else rc
    cpu = ru.ru_utime + ru.ru_stime
    report = {
        "argv": argv, "rc": rc, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "utime_s": round(ru.ru_utime, 2), "stime_s": round(ru.ru_stime, 2),
        "cpu_pct": round(100.0 * cpu / wall, 2) if wall > 0 else 0.0,
        "maxrss_mb": round(ru.ru_maxrss / 1024.0, 1),
        "killed": [int(k) for k in killed],  # signals sent after --timeout
        "curve": curve,  # [seconds, VmRSS MB, VmHWM MB, CPU s, fds]
    }
    with open(args.report, "w") as f:
        json.dump(report, f)
    print("flamed_monitor: exit %d, %.1f s wall, %.2f s CPU (%.2f %% of a core), peak RSS %.1f MB"
          % (rc, wall, cpu, report["cpu_pct"], report["maxrss_mb"]), file=sys.stderr)
    return rc


# A whole-host capture holds, at exit, every sampled process's maps, names and samples while the
# profile is built: its peak grows with the host, not only with what the test does. A bound
# holds for hosts of up to HOST_PROCS_FREE processes of their own (a fresh CI machine runs
# 100-150); each one more allows RSS_KB_PER_HOST_PROC (measured: 105 MB at ~600 processes where
# 150 give under 60).
HOST_PROCS_FREE = 200
RSS_KB_PER_HOST_PROC = 100


def rss_allowance_mb(host_processes):
    return max(0, (host_processes or 0) - HOST_PROCS_FREE) * RSS_KB_PER_HOST_PROC / 1024.0


def cmd_check(args):
    with open(args.report) as f:
        r = json.load(f)
    fails = []
    print("flamed: exit %d, %.1f s wall, CPU %.2f s = %.2f %% of a core (user %.2f, sys %.2f), "
          "peak RSS %.1f MB" % (r["rc"], r["wall_s"], r["cpu_s"], r["cpu_pct"], r["utime_s"],
                                r["stime_s"], r["maxrss_mb"]))
    print("  curve (s: VmRSS MB, VmHWM MB, CPU s, fds): " + ", ".join(
        "%g: %g, %g, %g, %d" % tuple(p) for p in r["curve"]))
    if r.get("killed"):
        fails.append("flamed was still running after --timeout: signals %s" % r["killed"])
    pct = r["cpu_pct"]
    if args.steady:
        # between the first and last curve points: the capture itself, without the fixed cost of
        # starting (BPF load and verification, kallsyms) and of writing the outputs
        pts = r["curve"]
        if len(pts) < 2 or pts[-1][0] <= pts[0][0]:
            fails.append("too few curve points for a steady CPU figure")
        else:
            pct = 100.0 * (pts[-1][3] - pts[0][3]) / (pts[-1][0] - pts[0][0])
            print("  CPU from %g s to %g s: %.2f %% of a core" % (pts[0][0], pts[-1][0], pct))
    elif args.duration:
        # over the capture's nominal length: a slow start (the BPF verifier waiting for a CPU on
        # a busy machine) must not dilute the figure
        pct = 100.0 * r["cpu_s"] / args.duration
        print("  CPU over the %g s capture: %.2f %% of a core" % (args.duration, pct))
    if args.max_cpu_pct is not None and pct > args.max_cpu_pct:
        fails.append("flamed used %.2f %% of a core (bound %g %%)" % (pct, args.max_cpu_pct))
    if args.max_rss_mb is not None:
        bound = args.max_rss_mb + rss_allowance_mb(args.host_processes)
        if bound != args.max_rss_mb:
            print("  RSS bound %g MB + %.1f MB for the host's %d processes beyond %d"
                  % (args.max_rss_mb, bound - args.max_rss_mb, args.host_processes,
                     HOST_PROCS_FREE))
        if r["maxrss_mb"] > bound:
            fails.append("flamed peak RSS %.1f MB (bound %.1f MB)" % (r["maxrss_mb"], bound))
    if args.flat_after is not None:
        late = [p for p in r["curve"] if p[0] >= args.flat_after]
        if len(late) < 2:
            fails.append("RSS curve has %d points after %g s: run longer" % (len(late),
                                                                            args.flat_after))
        else:
            growth = max(p[1] for p in late) - late[0][1]
            print("  VmRSS growth after %g s: %.1f MB (from %.1f MB at %g s)"
                  % (args.flat_after, growth, late[0][1], late[0][0]))
            if growth > args.flat_mb:
                fails.append("VmRSS grew %.1f MB after %g s (bound %g MB)"
                             % (growth, args.flat_after, args.flat_mb))
    for msg in fails:
        print("FAIL: " + msg)
    return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("--report", required=True)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--timeout", type=float, help="SIGTERM after this many seconds, then SIGKILL")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_run)
    p = sub.add_parser("check")
    p.add_argument("report")
    p.add_argument("--max-cpu-pct", type=float)
    p.add_argument("--duration", type=float, help="the capture's length: CPU %% is over it")
    p.add_argument("--steady", action="store_true",
                   help="CPU %% between the first and last curve points instead")
    p.add_argument("--max-rss-mb", type=float)
    p.add_argument("--host-processes", type=int,
                   help="the host's processes before the test: the RSS bound grows past %d"
                   % HOST_PROCS_FREE)
    p.add_argument("--flat-after", type=float)
    p.add_argument("--flat-mb", type=float, default=8.0)
    p.set_defaults(fn=cmd_check)
    args = ap.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
