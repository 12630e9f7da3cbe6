#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""flamed's benchmark harness (run it through bench/run, which builds what it needs).

Twelve figures, each a ratio or a per-unit cost against a baseline measured in the same run, reported
as median [min..max] over several runs because the machine is shared and noisy:
  1 overhead      total CPU (workload + profiler) / workload alone, fixed work on all CPUs
  2 agent         flamed's own CPU seconds and peak RSS, whole host, busy CPUs
  3 bpf           ns per sample of on_cpu_sample (kernel.bpf_stats_enabled), whole host, 19, 99
                  and 999 Hz, tables and frame pointers
  4 quality       % of samples reaching the root frame, % of frames symbolized, vs perf
  5 symbolize     addresses per second cold and warm, RSS (flamed_symbench on a big binary)
  6 e2e           wall time of --once 10s until the files are written
  7 daemon        the daemon's start-up CPU, steady CPU % of a core, RSS curve, 19 and 99 Hz
  8 dwarf         DWARF frames per second cold/warm/cached vs symtab, memory (symbench -d)
  9 direct cost   (flamed's CPU + its BPF run time) / the work it profiled, --once and the
                  daemon, start-up apart
  10 host names   % of frames named on a busy host (g++, python, node, xz), vs perf dwarf
  11 busy host    the daemon on a busy host (C, Python, Node, Java, a compile loop, short
                  processes): CPU per window, RSS, parses per file, cache hit rates; with
                  --flamed-old, an older flamed beside it on the same mix (bench/busyhost.py)
  12 kubernetes   ns per sample left out by the cgroup filter vs figure 3's floor; the daemon's
                  CPU and memory with a kubelet listing 500 pods (bench/k8sbench.py)
Nothing here passes or fails: it measures and prints.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import busyhost  # noqa: E402
import k8sbench  # noqa: E402

# flamed's unwinders, benchmarked one by one when `flamed --help` offers --unwind (a flamed
# without the flag runs once, as "fp").
UNWIND_MODES = ["auto", "dwarf", "fp"]
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3.11"  # figure 3's CPython rows: Debian's interpreter
FREQS = [19, 99, 999]
ROOT_NOTE = "root = stack holds main/_start/__libc_start_*/start_thread/clone*"

# quick: every figure, >= 3 runs, under 3 minutes on 2 CPUs; full: >= 5 runs, longer runs.
PROFILES = {
    "quick": dict(runs=3, fig1_cpu_s=0.5, fig2_once_s=10, fig2_once_b_s=3,
                  fig3_s={19: 10, 99: 4, 999: 2},
                  fig4_cpu_s=0.3, fig5_cold=100000, fig5_warm=1000000, fig6_separate=False,
                  fig7_s=60, fig7_rss_every=10, fig8_cold=5000, fig8_warm=50000,
                  fig9_once_s=20, fig9_daemon_s=60, fig11_s=150),
    "full": dict(runs=5, fig1_cpu_s=5.0, fig2_once_s=30, fig2_once_b_s=60,
                 fig3_s={19: 30, 99: 10, 999: 4},
                 fig4_cpu_s=2.0, fig5_cold=200000, fig5_warm=5000000, fig6_separate=True,
                 fig7_s=1800, fig7_rss_every=60, fig8_cold=20000, fig8_warm=200000,
                 fig9_once_s=20, fig9_daemon_s=300, fig11_s=1200),
}
OVERHEAD_WORKLOAD = "burn_fp"  # fixed-work workload of figure 1 (see bench/workloads/burn.c)
SLEEPERS = 200
CHURN_EXEC_PER_S = 20  # figure 7: short processes started a second while the daemon runs


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


class RunError(Exception):
    pass


class Proc:
    """One finished child: rc, wall, cpu (self + waited-for descendants), maxrss_kb, out, err."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def agent_cpu_ns(pid):
    """ns every thread of a live process has run (its tasks' schedstat): finer than the clock
    ticks of /proc/PID/stat, which matters for a start-up of ~0.1 s."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += bl.parse_schedstat_ns(f.read())
        except (OSError, ValueError):
            continue  # a thread that just ended
    return total


def host_busy_s():
    with open("/proc/stat") as f:
        return bl.parse_host_busy_ticks(f.read()) / os.sysconf("SC_CLK_TCK")


class BpfPoller(threading.Thread):
    """Watches a running flamed: reads /proc/PID/fdinfo of its program named `name` (found once by
    prog_id through bpftool, then that fd alone) and keeps the last run_time_ns and run_cnt. The
    fdinfo of our own flamed is used, not `bpftool prog show name`, because other flamed
    instances may be running on this shared machine. `first` is a snapshot taken when the
    program has first run (start-up is over): flamed's CPU ns, the BPF counters, the host's busy
    CPU seconds, VmRSS kB and the time."""

    def __init__(self, pid, name="on_cpu_sample"):
        super().__init__(daemon=True)
        self.pid, self.name = pid, name
        self.stop = threading.Event()
        self.names = {}
        self.fd = None
        self.last = None  # (run_time_ns, run_cnt)
        self.first = None
        self.error = None

    def prog_name(self, prog_id):
        if prog_id not in self.names:
            try:
                out = subprocess.run(["bpftool", "prog", "show", "id", str(prog_id), "--json"],
                                     capture_output=True, text=True, timeout=10).stdout
                progs = bl.parse_bpftool_progs(out)
                self.names[prog_id] = progs[0].get("name") if progs else None
            except (OSError, ValueError, subprocess.SubprocessError) as e:
                self.error = "bpftool: %s" % e
                self.names[prog_id] = None
        return self.names[prog_id]

    def read_fd(self, fd):
        try:
            with open("/proc/%d/fdinfo/%s" % (self.pid, fd)) as f:
                return bl.fdinfo_bpf_prog(bl.parse_fdinfo(f.read()))
        except OSError:
            return None

    def poll_once(self):
        if self.fd is not None:
            prog = self.read_fd(self.fd)
            if prog:
                self.last = (prog[1], prog[2])
            return
        try:
            fds = os.listdir("/proc/%d/fdinfo" % self.pid)
        except OSError:
            return
        for fd in fds:
            prog = self.read_fd(fd)
            if prog and self.prog_name(prog[0]) == self.name:
                self.fd, self.last = fd, (prog[1], prog[2])
                return

    def snapshot(self):
        """flamed's CPU, BPF counters, host busy CPU, RSS and time now (the process lives)."""
        self.poll_once()
        with open("/proc/%d/status" % self.pid) as f:
            rss = bl.parse_status_kb(f.read(), "VmRSS")
        return {"agent_ns": agent_cpu_ns(self.pid), "bpf": self.last, "host_s": host_busy_s(),
                "rss_kb": rss, "t": time.monotonic()}

    def run(self):
        # fast polls until sampling starts (the start-up snapshot), then every 100 ms
        while not self.stop.wait(0.1 if self.first else 0.01):
            self.poll_once()
            if self.first is None and self.last and self.last[1] > 0:
                try:
                    self.first = self.snapshot()
                except (OSError, ValueError):
                    pass


class Bench:
    def __init__(self, args):
        self.args = args
        self.p = dict(PROFILES["quick" if args.quick else "full"])
        if args.runs:
            self.p["runs"] = args.runs
        self.nproc = os.cpu_count() or 1
        self.work = args.workdir
        self.tmp = os.path.join(self.work, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        self.bg = []  # background Popen objects we started (killed by pid at the end)
        self.results = {}
        self.sections = []
        self.help = self.flamed_help()
        self.modes = self.unwind_modes()
        self.perf = shutil.which("perf")
        self.units_per_s = None

    # --- processes ---------------------------------------------------------------------------

    def bin(self, name):
        return os.path.join(self.args.bindir, name)

    def run_proc(self, argv, timeout=600, on_start=None, name="run"):
        """Runs argv to the end; CPU and peak RSS come from wait4 (so they include the children
        the process reaped itself, e.g. the workload under `flamed -- CMD` or `perf record`)."""
        out_path = os.path.join(self.tmp, name + ".out")
        err_path = os.path.join(self.tmp, name + ".err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            t0 = time.monotonic()
            p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            timer = threading.Timer(timeout, lambda: os.kill(p.pid, signal.SIGKILL))
            timer.start()
            hook = on_start(p.pid) if on_start else None
            try:
                _, status, ru = os.wait4(p.pid, 0)
            finally:
                timer.cancel()
            wall = time.monotonic() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            if hook:
                hook()
        with open(out_path, errors="replace") as f:
            o = f.read()
        with open(err_path, errors="replace") as f:
            e = f.read()
        return Proc(rc=p.returncode, wall=wall, cpu=ru.ru_utime + ru.ru_stime,
                    maxrss_kb=ru.ru_maxrss, out=o, err=e, argv=argv)

    def check(self, proc, what):
        if proc.rc != 0:
            tail = "\n".join((proc.err or proc.out).strip().splitlines()[-5:])
            raise RunError("%s exited %d: %s\n  command: %s" % (what, proc.rc, tail,
                                                                 " ".join(proc.argv)))
        return proc

    def start_bg(self, argv):
        # a process group of its own: a workload that forks (deep.py's processes) is stopped
        # whole, not left spinning into the next measurement
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        self.bg.append(p)
        return p

    @staticmethod
    def signal_group(p, sig):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass

    def stop_bg(self, procs):
        for p in procs:
            self.signal_group(p, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.signal_group(p, signal.SIGKILL)
                p.wait()
            self.signal_group(p, signal.SIGKILL)  # children that outlived their parent
            if p in self.bg:
                self.bg.remove(p)

    # --- flamed and perf command lines -------------------------------------------------------

    def flamed_help(self):
        r = subprocess.run([self.args.flamed, "--help"], capture_output=True, text=True)
        return r.stdout + r.stderr

    def unwind_modes(self):
        if "--unwind" not in self.help:
            return [None]
        offered = [m for m in UNWIND_MODES if m in self.help.split("--unwind", 1)[1][:300]]
        return offered or UNWIND_MODES

    @staticmethod
    def mode_label(mode):
        return "flamed (fp only)" if mode is None else "flamed --unwind %s" % mode

    def flamed_argv(self, hz, outputs, mode, extra=(), flamed=None):
        argv = [flamed or self.args.flamed, "-F", str(hz), "--no-progress"]
        for o in outputs:
            argv += ["-o", o]
        if mode is not None:
            argv += ["--unwind", mode]
        return argv + list(extra)

    def profilers(self):
        """(label, kind, mode) for figure 1 and 4: flamed per unwind mode, then perf."""
        out = [(self.mode_label(m), "flamed", m) for m in self.modes]
        if self.perf:
            out += [("perf record -g", "perf", "fp"),
                    ("perf record --call-graph dwarf", "perf", "dwarf")]
        return out

    def profiled_argv(self, prof, hz, workload, out_base):
        label, kind, mode = prof
        if kind == "flamed":
            return self.flamed_argv(hz, [out_base + ".folded"], mode,
                                    ["--once", "1h", "--"] + workload)
        cg = ["-g"] if mode == "fp" else ["--call-graph", "dwarf"]
        # -N: keep perf's build-id cache (~/.debug) free of the bench's throwaway binaries;
        # --no-bpf-event: perf's BPF sideband thread only adds ~1 s of idle wall time at exit
        return ([self.perf, "record", "-q", "-N", "--no-bpf-event", "-F", str(hz)] + cg +
                ["-o", out_base + ".data", "--"] + workload)

    # --- figure 1: overhead ------------------------------------------------------------------

    def calibrate(self):
        if self.units_per_s is None:
            r = self.check(self.run_proc([self.bin("burn_fp"), "-c", "0.4"], name="calib"),
                           "burn -c")
            self.units_per_s = bl.parse_kv(r.out)["units_per_s"]
        return self.units_per_s

    def fig1(self):
        runs, cpu_s = self.p["runs"], self.p["fig1_cpu_s"]
        units = max(10, int(self.calibrate() * cpu_s))
        wl = [self.bin(OVERHEAD_WORKLOAD), "-t", str(self.nproc), "-n", str(units)]
        profs = self.profilers()
        cpu_ratios = {(hz, p[0]): [] for hz in FREQS for p in profs}
        wall_ratios = {(hz, p[0]): [] for hz in FREQS for p in profs}
        prof_cpu = {(hz, p[0]): [] for hz in FREQS for p in profs}
        wl_ratios = {(hz, p[0]): [] for hz in FREQS for p in profs}
        base_cpu = []
        for r in range(runs):
            for hz in FREQS:
                order = [None] + profs
                order = order[r % len(order):] + order[:r % len(order)]
                got = {}
                for prof in order:
                    name = "fig1"
                    if prof is None:
                        res = self.check(self.run_proc(wl, name=name), "workload")
                    else:
                        argv = self.profiled_argv(prof, hz, wl, os.path.join(self.tmp, "fig1"))
                        res = self.check(self.run_proc(argv, name=name), prof[0])
                    kv = bl.parse_kv(res.out)
                    if int(kv.get("units", -1)) != units * self.nproc:
                        raise RunError("workload did %r units, expected %d (%s)"
                                       % (kv.get("units"), units * self.nproc,
                                          prof[0] if prof else "alone"))
                    got[prof[0] if prof else None] = (res, kv)
                    for ext in (".data", ".folded"):
                        path = os.path.join(self.tmp, "fig1" + ext)
                        if os.path.exists(path):
                            os.unlink(path)
                base, base_kv = got[None]
                base_cpu.append(base.cpu)
                for prof in profs:
                    res, kv = got[prof[0]]
                    cpu_ratios[(hz, prof[0])].append(bl.ratio(res.cpu, base.cpu))
                    wall_ratios[(hz, prof[0])].append(bl.ratio(res.wall, base.wall))
                    prof_cpu[(hz, prof[0])].append(res.cpu - kv["cpu_s"])
                    wl_ratios[(hz, prof[0])].append(bl.ratio(kv["cpu_s"], base_kv["cpu_s"]))
            log("figure 1: round %d/%d done" % (r + 1, runs))
        rows = []
        raw = {}
        for hz in FREQS:
            for prof in profs:
                k = (hz, prof[0])
                c, w, own, wr = (bl.summarize(cpu_ratios[k]), bl.summarize(wall_ratios[k]),
                                 bl.summarize(prof_cpu[k]), bl.summarize(wl_ratios[k]))
                rows.append([str(hz), prof[0], c.fmt(3, unit="x"), wr.fmt(3, unit="x"),
                             own.fmt(3), w.fmt(3, unit="x")])
                raw["%d Hz %s" % k] = {"cpu_ratio": c.as_dict(), "wall_ratio": w.as_dict(),
                                       "profiler_cpu_s": own.as_dict(),
                                       "workload_cpu_ratio": wr.as_dict()}
        b = bl.summarize(base_cpu)
        title = ("1. Overhead: total CPU (workload + profiler) / workload alone; %s, %d threads, "
                 "%d units each (fixed work, %s CPU-s alone), pairs in the same round, %d rounds"
                 % (OVERHEAD_WORKLOAD, self.nproc, units, b.fmt(2), runs))
        title += (". 'workload only' is the workload's own CPU (its getrusage) with / without the "
                  "profiler: the in-kernel sampling cost charged to it, without the profiler "
                  "process's start-up, symbolization and exit, which the last-but-one column shows "
                  "and which short runs magnify")
        table = bl.markdown_table(
            ["Hz", "profiler", "total CPU ratio", "workload-only CPU ratio",
             "profiler process CPU s", "wall ratio"], rows)
        self.results["fig1"] = raw
        return title, table

    # --- figures 2 and 6: agent cost, end to end ---------------------------------------------

    def once_runs(self, seconds, hz, runs, tag):
        """`flamed --once` on the whole host (busy CPUs arranged by the caller): CPU, RSS, wall."""
        cpu, rss, wall, samples = [], [], [], []
        for r in range(runs):
            outs = [os.path.join(self.tmp, "%s.svg" % tag), os.path.join(self.tmp, "%s.pb.gz" % tag)]
            for o in outs:
                if os.path.exists(o):
                    os.unlink(o)
            argv = self.flamed_argv(hz, outs, self.modes[0], ["--once", "%ds" % seconds])
            res = self.check(self.run_proc(argv, name=tag, timeout=seconds + 300), "flamed --once")
            missing = [o for o in outs if not os.path.exists(o)]
            if missing:
                raise RunError("flamed --once exited 0 but did not write %s" % missing)
            s = bl.parse_flamed_stderr(res.err)
            cpu.append(res.cpu)
            rss.append(res.maxrss_kb / 1024.0)
            wall.append(res.wall)
            samples.append(s["samples"])
            log("%s: run %d/%d: %.2f CPU-s, %.1f MB, %.2f s wall"
                % (tag, r + 1, runs, res.cpu, res.maxrss_kb / 1024.0, res.wall))
        return {"cpu_s": bl.summarize(cpu), "rss_mb": bl.summarize(rss),
                "wall_s": bl.summarize(wall), "samples": bl.summarize(samples),
                "cpu_pct": bl.summarize([100 * c / w for c, w in zip(cpu, wall)])}

    def busy(self, seconds):
        return self.start_bg([self.bin("burn_nofp"), "-t", str(self.nproc), "-s", str(seconds)])

    def fig2(self):
        runs = self.p["runs"]
        sa, sb = self.p["fig2_once_s"], self.p["fig2_once_b_s"]
        mode = self.modes[0]
        rows = []
        load = self.busy(runs * (sa + 60) + 60)
        try:
            a = self.once_runs(sa, 99, runs, "fig2a")
        finally:
            self.stop_bg([load])
        self.results["fig2a"] = {k: v.as_dict() for k, v in a.items()}
        self.fig2a_seconds = sa
        rows.append(["`--once %ds` 99 Hz, %d busy CPUs" % (sa, self.nproc), a["cpu_s"].fmt(2),
                     a["cpu_pct"].fmt(2, unit="%"), a["rss_mb"].fmt(1), a["wall_s"].fmt(2),
                     a["samples"].fmt(0)])
        sleepers = [self.start_bg(["sleep", "100000"]) for _ in range(SLEEPERS)]
        load = self.busy(runs * (sb + 60) + 60)
        try:
            time.sleep(0.5)
            b = self.once_runs(sb, 19, runs, "fig2b")
        finally:
            self.stop_bg([load] + sleepers)
        self.results["fig2b"] = {k: v.as_dict() for k, v in b.items()}
        rows.append(["`--once %ds` 19 Hz, %d busy CPUs + %d live sleeping processes"
                     % (sb, self.nproc, SLEEPERS), b["cpu_s"].fmt(2), b["cpu_pct"].fmt(2, unit="%"),
                     b["rss_mb"].fmt(1), b["wall_s"].fmt(2), b["samples"].fmt(0)])
        self.fig2a = a
        title = ("2. Agent cost: flamed's own CPU (wait4, user+sys; BPF time is charged to the "
                 "sampled tasks, see 3) and peak RSS, whole host, %s, %d runs"
                 % (self.mode_label(mode), runs))
        table = bl.markdown_table(["run", "CPU s", "CPU % of one core", "peak RSS MB", "wall s",
                                   "samples"], rows)
        return title, table

    def fig6(self):
        runs = self.p["runs"]
        if self.p["fig6_separate"] or not hasattr(self, "fig2a") or self.fig2a_seconds != 10:
            load = self.busy(runs * 70 + 60)
            try:
                a = self.once_runs(10, 99, runs, "fig6")
            finally:
                self.stop_bg([load])
            src = "own runs"
        else:
            a = self.fig2a
            src = "the runs of figure 2, first row"
        over = bl.summarize([w - 10 for w in a["wall_s"].values])
        self.results["fig6"] = {"wall_s": a["wall_s"].as_dict(), "beyond_10s": over.as_dict()}
        title = ("6. End to end: `flamed --once 10s -o X.svg -o X.pb.gz`, whole host, %d busy CPUs, "
                 "from exec to exit with both files written (%s), %d runs"
                 % (self.nproc, src, runs))
        table = bl.markdown_table(["wall s", "beyond the 10 s capture, s", "wall / 10 s"],
                                  [[a["wall_s"].fmt(2), over.fmt(2),
                                    bl.summarize([w / 10 for w in a["wall_s"].values]).fmt(3,
                                                                                         unit="x")]])
        return title, table

    # --- figure 7: the daemon ----------------------------------------------------------------

    @staticmethod
    def proc_cpu_s(pid):
        """utime + stime of a live process, in seconds (its own /proc/PID/stat)."""
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def proc_rss_mb(pid):
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return 0.0

    def daemon_run(self, hz, seconds, every):
        """The daemon on the whole host (the caller keeps the CPUs busy): start-up CPU (until the
        first window is written), steady CPU % of one core after it, RSS every `every` s."""
        outdir = os.path.join(self.tmp, "fig7-%d" % hz)
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        err = open(os.path.join(self.work, "fig7-%d.err" % hz), "w")
        argv = [self.args.flamed, "--output-dir", outdir, "--interval", "10s", "-F", str(hz)]
        if self.modes[0] is not None:
            argv += ["--unwind", self.modes[0]]
        d = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        try:
            t0 = time.monotonic()
            while not os.listdir(outdir):  # the first window: start-up is over
                if d.poll() is not None or time.monotonic() - t0 > 60:
                    raise RunError("the daemon wrote no window (exit %s)" % d.poll())
                time.sleep(0.2)
            startup_cpu, t1 = self.proc_cpu_s(d.pid), time.monotonic()
            rss = [self.proc_rss_mb(d.pid)]
            while time.monotonic() - t1 < seconds:
                time.sleep(min(every, max(0.1, seconds - (time.monotonic() - t1))))
                rss.append(self.proc_rss_mb(d.pid))
            cpu, t2 = self.proc_cpu_s(d.pid), time.monotonic()
            d.send_signal(signal.SIGTERM)
            rc = d.wait(timeout=30)
        finally:
            if d.poll() is None:
                d.kill()
                d.wait()
            err.close()
        if rc != 0:
            raise RunError("the daemon exited %d after SIGTERM" % rc)
        return {"startup_cpu_s": startup_cpu, "steady_pct": 100.0 * (cpu - startup_cpu) / (t2 - t1),
                "rss_mb": rss, "windows": len(os.listdir(outdir))}

    def churn(self, seconds):
        """CHURN_EXEC_PER_S short-lived processes a second (a shell loop of /bin/true)."""
        script = ("end=$((SECONDS+%d)); while [ $SECONDS -lt $end ]; do /bin/true; sleep %.3f; "
                  "done" % (seconds, 1.0 / CHURN_EXEC_PER_S))
        return self.start_bg(["/bin/sh", "-c", script])

    def fig7(self):
        seconds, every = self.p["fig7_s"], self.p["fig7_rss_every"]
        rows, curves = [], []
        for hz in (19, 99):
            sleepers = [self.start_bg(["sleep", "100000"]) for _ in range(SLEEPERS)]
            bg = [self.busy(seconds + 120), self.churn(seconds + 120)]
            try:
                r = self.daemon_run(hz, seconds, every)
            finally:
                self.stop_bg(bg + sleepers)
            self.results["fig7_%d" % hz] = r
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
                 % (self.nproc, SLEEPERS, CHURN_EXEC_PER_S, seconds))
        table = bl.markdown_table(["rate", "start-up CPU s (to the first window)",
                                   "steady CPU, % of one core", "RSS MB after start-up",
                                   "RSS MB at the end", "RSS MB max",
                                   "RSS growth after the first minute", "windows"], rows)
        return title, table + "\n\n" + "\n".join("- " + c for c in curves)

    # --- figure 3: BPF cost ------------------------------------------------------------------

    def bpf_run(self, argv, name, parse=True):
        """Runs flamed to its end while a BpfPoller watches it. (wait4 result, parsed summary or
        None, poller, host busy CPU seconds at the exit)."""
        poller = {}

        def on_start(pid):
            t = BpfPoller(pid)
            poller["t"] = t
            t.start()

            def done():
                poller["host_end_s"] = host_busy_s()
                t.stop.set()
                t.join()
            return done

        res = self.check(self.run_proc(argv, on_start=on_start, name=name), "flamed")
        t = poller["t"]
        if t.last is None or t.last[1] <= 0:
            raise RunError("never saw flamed's on_cpu_sample program run in /proc/%d/fdinfo%s"
                           % (t.pid, " (%s)" % t.error if t.error else ""))
        if t.first is None:
            raise RunError("flamed ended before its start-up snapshot")
        return res, bl.parse_flamed_stderr(res.err) if parse else None, t, poller["host_end_s"]

    def cpu_model(self):
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    def table_modes(self):
        """The unwinders figures 3 and 9 compare: tables (auto) and frame pointers."""
        return [m for m in self.modes if m in ("auto", "fp", None)] or self.modes[:1]

    def fig3(self):
        """BPF ns per sample, whole host, at each rate: at 19 and 99 Hz the program's maps and
        the rows it reads are cold between two samples of a CPU, at 999 Hz they stay warm."""
        runs = self.p["runs"]
        secs = self.p["fig3_s"]
        configs = [(hz, 20) for hz in FREQS] + [(99, 100)]
        modes = self.table_modes()
        keys = [(hz, d, m) for hz, d in configs for m in modes]
        # CPython (Debian's 3.11, bench/workloads/deep.py): Python frames walked, and not
        keys += [(99, 20, "python"), (99, 20, "no-python")]
        # the floor: a program that counts one per-CPU word (bench/bpf_floor.bpf.c) on the same
        # events under the same load, the baseline each row is read against
        floor = self.args.floor if self.args.floor and os.access(self.args.floor, os.X_OK) \
            else None
        if floor:
            keys += [(hz, 20, "floor") for hz in FREQS]
        ns, cnt, share, seen = ({k: [] for k in keys} for _ in range(4))
        folded = os.path.join(self.tmp, "fig3.folded")
        with bl.bpf_stats_enabled():
            for r in range(runs):
                order = keys[r % len(keys):] + keys[:r % len(keys)]
                for hz, d, mode in order:
                    sec = secs[hz]
                    py = mode in ("python", "no-python")
                    if py:
                        wl = [PYTHON, os.path.join(BENCH_DIR, "workloads", "deep.py"), str(d),
                              str(self.nproc), str(sec + 10)]
                        comm, fmode = os.path.basename(PYTHON)[:15], self.modes[0]
                        extra = ["--no-python"] if mode == "no-python" else []
                    else:
                        wl = [self.bin("deep"), "-d", str(d), "-t", str(self.nproc), "-s",
                              str(sec + 10)]
                        comm, fmode, extra = "deep", mode, []
                    load = self.start_bg(wl)
                    try:
                        time.sleep(0.5 if py else 0.2)
                        if mode == "floor":
                            res = self.check(self.run_proc([floor, str(hz), "%d" % sec],
                                                           name="fig3-floor"),
                                             "flamed_bpf_floor")
                        else:
                            argv = self.flamed_argv(hz, [folded], fmode,
                                                    extra + ["--once", "%gs" % sec])
                            _, _, t, _ = self.bpf_run(argv, "fig3", parse=False)
                    finally:
                        self.stop_bg([load])
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
                log("figure 3: round %d/%d done" % (r + 1, runs))
        rows, raw = [], {}
        for hz, d, mode in keys:
            k = (hz, d, mode)
            s = {n: bl.summarize(v[k]) for n, v in
                 (("ns", ns), ("runs", cnt), ("share", share), ("seen", seen))}
            label = self.mode_label(mode)
            if mode in ("python", "no-python"):
                label = "CPython 3.11, %s%s" % (self.mode_label(self.modes[0]),
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
        self.results["fig3"] = raw
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
                 % (self.nproc, "/".join("%g" % secs[h] for h in FREQS), runs,
                    self.cpu_model()))
        table = bl.markdown_table(["Hz", "unwinder", "recursion depth", "ns per sample",
                                   "samples measured", "deep's share",
                                   "user frames/sample of deep", "x the floor"], rows)
        return title, table

    # --- figure 9: direct cost ---------------------------------------------------------------

    def once_cost(self, hz, mode, seconds, flamed=None):
        """One `flamed --once` on the whole host (CPUs kept busy by the caller): start-up, then
        the run's direct cost over the host's work while it sampled."""
        out = os.path.join(self.tmp, "fig9.pb.gz")
        argv = self.flamed_argv(hz, [out], mode, ["--once", "%ds" % seconds], flamed)
        res, _, t, host_end = self.bpf_run(argv, "fig9", parse=False)
        first = t.first
        startup = first["agent_ns"] / 1e9
        bpf = t.last[0] / 1e9
        host = host_end - first["host_s"]
        return {"startup_cpu_s": startup, "agent_cpu_s": res.cpu, "bpf_s": bpf,
                "bpf_ns_per_sample": bl.ns_per_run(*t.last), "work_s": host - res.cpu + startup
                - bpf, "total_pct": bl.direct_cost_pct(res.cpu, bpf, host + startup),
                "steady_pct": bl.direct_cost_pct(res.cpu - startup, bpf, host),
                "rss_startup_mb": first["rss_kb"] / 1024.0, "rss_peak_mb": res.maxrss_kb / 1024.0}

    def daemon_cost(self, hz, mode, seconds):
        """The daemon (`--output-dir`, 10 s windows) for `seconds` after its start-up, CPUs kept
        busy by the caller; its steady direct cost between the start-up snapshot and the end."""
        outdir = os.path.join(self.tmp, "fig9-daemon")
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        argv = [self.args.flamed, "--output-dir", outdir, "--interval", "10s", "-F", str(hz)]
        if mode is not None:
            argv += ["--unwind", mode]
        err = open(os.path.join(self.work, "fig9-daemon.err"), "w")
        d = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        t = BpfPoller(d.pid)
        t.start()
        try:
            t0 = time.monotonic()
            while t.first is None:
                if d.poll() is not None or time.monotonic() - t0 > 60:
                    raise RunError("the daemon never sampled (exit %s)" % d.poll())
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
            raise RunError("the daemon exited %d after SIGTERM" % rc)
        first = t.first
        agent = (end["agent_ns"] - first["agent_ns"]) / 1e9
        bpf = (end["bpf"][0] - first["bpf"][0]) / 1e9
        with open(os.path.join(self.work, "fig9-daemon.err"), errors="replace") as f:
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

    def fig9(self):
        runs = self.p["runs"]
        once_s, daemon_s = self.p["fig9_once_s"], self.p["fig9_daemon_s"]
        cases = [("`--once %ds` 99 Hz" % once_s, "once", 99, m) for m in self.table_modes()]
        # --flamed-old: the same --once rows with the older flamed, in the same rotation
        if self.args.flamed_old:
            cases += [("`--once %ds` 99 Hz, old" % once_s, "once-old", 99, m)
                      for m in self.table_modes()]
        cases.append(("daemon 19 Hz, %d s after start-up" % daemon_s, "daemon", 19,
                      self.modes[0]))
        got = {c: [] for c in cases}
        old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
        load = self.busy(runs * (len(cases) * (max(once_s, daemon_s) + 30)) + 60)
        try:
            with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
                f.write("1")
            time.sleep(0.5)
            for r in range(runs):
                for c in cases[r % len(cases):] + cases[:r % len(cases)]:
                    label, kind, hz, mode = c
                    if kind in ("once", "once-old"):
                        v = self.once_cost(hz, mode, once_s, self.args.flamed_old
                                           if kind == "once-old" else None)
                    else:
                        v = self.daemon_cost(hz, mode, daemon_s)
                    got[c].append(v)
                    log("figure 9: %s %s: %.3f %% steady, start-up %.3f CPU-s"
                        % (label, self.mode_label(mode), v["steady_pct"], v["startup_cpu_s"]))
                log("figure 9: round %d/%d done" % (r + 1, runs))
        finally:
            self.stop_bg([load])
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
            rows.append([label, self.mode_label(mode), s["startup_cpu_s"].fmt(3),
                         s["agent_cpu_s"].fmt(3), split, s["bpf_s"].fmt(3),
                         s["bpf_ns_per_sample"].fmt(0), s["work_s"].fmt(1),
                         s["total_pct"].fmt(3, unit=" %") if "total_pct" in s else "",
                         s["steady_pct"].fmt(3, unit=" %") + " (target %s)" % target,
                         s["rss_startup_mb"].fmt(1), s["rss_peak_mb"].fmt(1)])
            raw["%s %s" % (label, self.mode_label(mode))] = {k: v.as_dict()
                                                              for k, v in s.items()}
        self.results["fig9"] = raw
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
                 % (self.nproc, runs, self.cpu_model()))
        table = bl.markdown_table(["run", "unwinder", "start-up CPU s", "agent CPU s",
                                   "of which (flamed's status lines), s", "BPF s", "BPF ns/sample", "work CPU-s",
                                   "direct cost, total", "direct cost after start-up",
                                   "RSS MB after start-up", "RSS MB peak / at the end"], rows)
        return title, table

    # --- figure 4: stack quality -------------------------------------------------------------

    def quality_of(self, prof, out_base, comm):
        label, kind, mode = prof
        if kind == "flamed":
            # flamed `-- CMD` keeps only the command's samples, so all are taken; a comm other than
            # the command's is a labelling problem, counted apart (other_comm_pct of wrong comm)
            with open(out_base + ".folded") as f:
                stacks = bl.parse_folded(f.read())
            q = bl.stack_quality(stacks, None, bl.folded_user_frames, bl.flamed_frame_symbolized)
            q["other_comm_pct"] = bl.other_comm_pct(stacks, comm)
            return q
        r = subprocess.run([self.perf, "script", "-i", out_base + ".data", "--no-inline",
                            "-F", "comm,tid,ip,sym,dso"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RunError("perf script failed: %s" % r.stderr.strip()[-300:])
        return bl.stack_quality(bl.parse_perf_script(r.stdout), comm, bl.perf_user_frames,
                                bl.perf_frame_symbolized)

    def fig4(self):
        runs = self.p["runs"]
        units = max(10, int(self.calibrate() * self.p["fig4_cpu_s"]))
        workloads = [("burn_nofp", "C -O2 without frame pointers"),
                     ("burn_fp", "C -O2 with frame pointers, leaf functions without a frame")]
        rows, raw = [], {}
        for wl_name, desc in workloads:
            wl = [self.bin(wl_name), "-n", str(units)]
            for prof in self.profilers():
                q = {"root_pct": [], "symbolized_pct": [], "frames_per_sample": [], "samples": [],
                     "other_comm_pct": []}
                for r in range(runs):
                    base = os.path.join(self.tmp, "fig4")
                    argv = self.profiled_argv(prof, 999, wl, base)
                    self.check(self.run_proc(argv, name="fig4"), prof[0])
                    got = self.quality_of(prof, base, wl_name)
                    for k in q:
                        q[k].append(got[k])
                s = {k: bl.summarize(v) for k, v in q.items()}
                rows.append([wl_name, prof[0], s["samples"].fmt(0), s["root_pct"].fmt(1),
                             s["symbolized_pct"].fmt(1), s["frames_per_sample"].fmt(1),
                             s["other_comm_pct"].fmt(1)])
                raw["%s %s" % (wl_name, prof[0])] = {k: v.as_dict() for k, v in s.items()}
            log("figure 4: %s done" % wl_name)
        self.results["fig4"] = raw
        title = ("4. Stack quality at 999 Hz, single-threaded bench/workloads/burn.c (%d units, "
                 "main -> run -> work_unit -> phase_* -> leaf, some time in libc memcpy/qsort), "
                 "user frames only, %d runs; %s; perf via `perf script --no-inline` (perf also "
                 "reads separate debug files under /usr/lib/debug, flamed does not). flamed "
                 "rows count every sample of `flamed -- CMD` (all are the command's), perf rows "
                 "the workload's comm; the last column is, for flamed, samples labelled with a "
                 "comm other than the workload's (should be 0), for perf its pre-exec samples"
                 % (units, runs, ROOT_NOTE))
        table = bl.markdown_table(["workload", "profiler", "samples", "% reaching root",
                                   "% frames symbolized", "user frames/sample",
                                   "% samples under another comm"], rows)
        return title, table

    # --- figure 10: named frames on a busy host ----------------------------------------------

    def host_mix(self):
        """Background load for figure 10: a compiler, a Python program, node and xz, each in a
        loop (what a build or service host runs), as (comm, argv) pairs; those not installed are
        left out."""
        src = os.path.join(self.args.source, "tests", "workloads", "cpp_lines.cpp")
        mix = []
        if shutil.which("g++"):
            mix.append(("cc1plus", ["sh", "-c", "while :; do g++ -O2 -c -o /dev/null %s; done"
                                    % src]))
        if os.path.exists(PYTHON):
            mix.append(("python3.11", [PYTHON, "-c", "import json\nwhile True:\n"
                                       "    json.loads(json.dumps({str(i): [i] * 8 "
                                       "for i in range(2000)}))"]))
        if shutil.which("node"):
            mix.append(("node", ["node", "-e", "for (;;) { let a = {}; for (let i = 0; "
                                 "i < 1e5; i++) a['k' + (i % 977)] = i; }"]))
        if shutil.which("xz"):
            mix.append(("xz", ["sh", "-c", "while :; do head -c 8000000 /usr/bin/* 2>/dev/null"
                               " | xz -6 >/dev/null; done"]))
        return mix

    def fig10(self):
        if not self.perf:
            raise RunError("perf is not installed (bench/run --bench installs linux-perf)")
        runs, seconds = self.p["runs"], 10
        mix = self.host_mix()
        got = {}
        for r in range(runs):
            bg = [self.start_bg(argv) for _, argv in mix]
            try:
                time.sleep(2)  # past the processes' start-up
                base = os.path.join(self.tmp, "fig10")
                perf = subprocess.Popen([self.perf, "record", "-q", "-N", "--no-bpf-event", "-a",
                                         "-F", "99", "--call-graph", "dwarf", "-o",
                                         base + ".data", "--", "sleep", str(seconds)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                argv = self.flamed_argv(99, [base + ".folded"], "auto",
                                        ["--once", "%ds" % seconds])
                self.check(self.run_proc(argv, name="fig10"), "flamed --once")
                perf.wait(timeout=120)
            finally:
                self.stop_bg(bg)
            with open(base + ".folded") as f:
                fl = bl.parse_folded(f.read())
            ps = subprocess.run([self.perf, "script", "-i", base + ".data", "--no-inline",
                                 "-F", "comm,tid,ip,sym,dso"], capture_output=True, text=True)
            if ps.returncode != 0:
                raise RunError("perf script failed: %s" % ps.stderr.strip()[-300:])
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
            log("figure 10: round %d/%d done" % (r + 1, runs))
        rows, raw = [], {}
        for (comm, who), d in got.items():
            s = {k: bl.summarize(v) for k, v in d.items()}
            rows.append([comm, who, s["samples"].fmt(0), s["symbolized_pct"].fmt(1),
                         s["root_pct"].fmt(1), s["frames_per_sample"].fmt(1)])
            raw["%s %s" % (comm, who)] = {k: v.as_dict() for k, v in s.items()}
        self.results["fig10"] = raw
        title = ("10. Named frames on a busy host: %s in loops, flamed --once %ds -F 99 and "
                 "perf record -a -F 99 --call-graph dwarf over the same seconds, %d runs; a "
                 "frame counts as named when it has a function name (flamed's `lib+0x...` "
                 "function-start names of stripped code and perf's `[unknown]` do not); user "
                 "frames only; %s" % (", ".join(c for c, _ in mix), seconds, runs, ROOT_NOTE))
        table = bl.markdown_table(["processes", "profiler", "samples", "% frames named",
                                   "% reaching root", "user frames/sample"], rows)
        return title, table

    # --- figure 5: symbolization -------------------------------------------------------------

    def find_binaries(self):
        """(most symbol table entries, largest ELF file) among ELF files >= 8 MB under /usr and
        /opt, each as (path, entries, size); the first is None when no file has 1000 entries."""
        best_syms = largest = None
        for root in ("/usr", "/opt"):
            for dp, _, files in os.walk(root):
                for fn in files:
                    path = os.path.join(dp, fn)
                    try:
                        st = os.lstat(path)
                        if (st.st_mode & 0o170000) != 0o100000 or st.st_size < (8 << 20):
                            continue
                        with open(path, "rb") as f:
                            head = f.read(64)
                            loc = bl.elf_section_table_location(head)
                            if not loc or loc[1] > (16 << 20):
                                continue
                            f.seek(loc[0])
                            n = bl.elf_symbol_entries(head, f.read(loc[1]))
                    except (OSError, ValueError, OverflowError):
                        continue
                    if n is None:
                        continue
                    if not largest or st.st_size > largest[2]:
                        largest = (path, n, st.st_size)
                    if n >= 1000 and (not best_syms or n > best_syms[1]):
                        best_syms = (path, n, st.st_size)
        return best_syms, largest

    def fig5(self):
        runs = self.p["runs"]
        note = ""
        if self.args.sym_binary:
            st = os.stat(self.args.sym_binary)
            targets = [("given", (self.args.sym_binary, None, st.st_size))]
        else:
            most, largest = self.find_binaries()
            if not most:
                raise RunError("no ELF file with >= 1000 symbols under /usr or /opt")
            targets = [("most symbols on the machine", most)]
            if largest and largest[0] != most[0]:
                # the largest file is often stripped (a few .dynsym entries): say so, bench the
                # one with the most symbols, which is what costs a symbolizer
                note = ("; the largest ELF file, `%s` (%.0f MB), has only %d symbol table "
                        "entries, so the file with the most symbols is used"
                        % (largest[0], largest[2] / 1048576.0, largest[1]))
        rows, raw = [], {}
        for why, (path, _, size) in targets:
            vals = {k: [] for k in ("open_s", "cold_addr_per_s", "warm_addr_per_s", "rss_mb",
                                    "mem_mb", "hit_pct")}
            syms = None
            for r in range(runs):
                argv = [self.args.symbench, path, "-n", str(self.p["fig5_cold"]), "-w",
                        str(self.p["fig5_warm"]), "-s", str(r + 1)]
                res = self.check(self.run_proc(argv, name="fig5"), "flamed_symbench")
                kv = bl.parse_kv(res.out)
                syms = int(kv["symbols"])
                vals["open_s"].append(kv["open_s"])
                vals["cold_addr_per_s"].append(kv["cold_addr_per_s"])
                vals["warm_addr_per_s"].append(kv["warm_addr_per_s"])
                vals["rss_mb"].append((kv["rss_after_kb"] - kv["rss_before_kb"]) / 1024.0)
                vals["mem_mb"].append(kv["mem_bytes"] / 1048576.0)
                vals["hit_pct"].append(kv["hit_pct"])
            s = {k: bl.summarize(v) for k, v in vals.items()}
            rows.append(["%s: `%s` (%.0f MB, %d symbols kept)" % (why, path, size / 1048576.0,
                                                                   syms),
                         s["open_s"].fmt(3), s["cold_addr_per_s"].fmt(0, scale=1e-3, unit="k"),
                         s["warm_addr_per_s"].fmt(2, scale=1e-6, unit="M"), s["rss_mb"].fmt(1),
                         s["mem_mb"].fmt(1), s["hit_pct"].fmt(1, unit="%")])
            raw[path] = {k: v.as_dict() for k, v in s.items()}
        self.results["fig5"] = raw
        title = ("5. Symbolization with elf_syms (bench/symbench.c): cold = open + parse + first "
                 "%d lookups, warm = %d more lookups, uniform over the executable segments; "
                 "page cache not dropped; %d runs%s" % (self.p["fig5_cold"], self.p["fig5_warm"],
                                                        runs, note))
        table = bl.markdown_table(["binary", "open+parse s", "cold addr/s", "warm addr/s",
                                   "RSS growth MB", "elf_syms MB", "lookups hitting a symbol"],
                                  rows)
        return title, table

    # --- figure 8: DWARF frames --------------------------------------------------------------

    def find_dwarf_binaries(self):
        """ELF files >= 8 MB under /usr, /opt and pyenv's Pythons with a .debug_info section, as
        (path, .debug_info bytes, file size), largest .debug_info first."""
        found = []
        for root in ("/usr", "/opt", "/root/.pyenv/versions"):
            for dp, _, files in os.walk(root):
                for fn in files:
                    path = os.path.join(dp, fn)
                    try:
                        st = os.lstat(path)
                        if (st.st_mode & 0o170000) != 0o100000 or st.st_size < (8 << 20):
                            continue
                        with open(path, "rb") as f:
                            if f.read(4) != b"\x7fELF":
                                continue
                    except OSError:
                        continue
                    out = subprocess.run(["readelf", "-SW", path], capture_output=True,
                                         text=True).stdout
                    for line in out.splitlines():
                        cols = line.replace("[ ", "[").split()
                        if len(cols) > 5 and cols[1] == ".debug_info":
                            found.append((path, int(cols[5], 16), st.st_size))
        return sorted(found, key=lambda t: -t[1])

    def fig8(self):
        runs = self.p["runs"]
        if self.args.dwarf_binary:
            st = os.stat(self.args.dwarf_binary)
            targets = [("given", self.args.dwarf_binary, 0, st.st_size)]
        else:
            found = self.find_dwarf_binaries()
            if not found:
                raise RunError("no ELF file >= 8 MB with DWARF under /usr, /opt, pyenv")
            targets = [("most DWARF", *found[0])]
            biggest = max(found, key=lambda t: t[2])
            if biggest[0] != found[0][0]:
                targets.append(("largest file with DWARF", *biggest))
        rows, raw = [], {}
        for why, path, dinfo, size in targets:
            keys = ("cold_addr_per_s", "warm_addr_per_s", "dwarf_open_s", "dwarf_cold_addr_per_s",
                    "dwarf_warm_addr_per_s", "dwarf_cached_addr_per_s", "dwarf_line_pct",
                    "dwarf_inline_pct", "dwarf_bytes", "dwarf_anon_kb", "dwarf_rss_kb", "hwm_kb")
            vals = {k: [] for k in keys + ("cold_ratio", "warm_ratio")}
            for r in range(runs):
                argv = [self.args.symbench, path, "-d", "-n", str(self.p["fig8_cold"]), "-w",
                        str(self.p["fig8_warm"]), "-s", str(r + 1)]
                res = self.check(self.run_proc(argv, name="fig8"), "flamed_symbench -d")
                kv = bl.parse_kv(res.out)
                for k in keys:
                    vals[k].append(kv[k])
                vals["cold_ratio"].append(kv["cold_addr_per_s"] / kv["dwarf_cold_addr_per_s"])
                vals["warm_ratio"].append(kv["warm_addr_per_s"] / kv["dwarf_warm_addr_per_s"])
            s = {k: bl.summarize(v) for k, v in vals.items()}
            rows.append(["%s: `%s` (%.0f MB, .debug_info %.1f MB)"
                         % (why, path, size / 1048576.0, dinfo / 1048576.0),
                         s["dwarf_open_s"].fmt(3),
                         s["dwarf_cold_addr_per_s"].fmt(0, scale=1e-3, unit="k"),
                         s["dwarf_warm_addr_per_s"].fmt(1, scale=1e-3, unit="k"),
                         s["dwarf_cached_addr_per_s"].fmt(2, scale=1e-6, unit="M"),
                         s["cold_addr_per_s"].fmt(0, scale=1e-3, unit="k"),
                         s["warm_addr_per_s"].fmt(2, scale=1e-6, unit="M"),
                         s["cold_ratio"].fmt(0, unit="x"), s["warm_ratio"].fmt(0, unit="x"),
                         s["dwarf_line_pct"].fmt(1, unit="%"), s["dwarf_inline_pct"].fmt(1, unit="%"),
                         s["dwarf_bytes"].fmt(1, scale=1.0 / 1048576), s["dwarf_anon_kb"].fmt(1, scale=1.0 / 1024),
                         s["dwarf_rss_kb"].fmt(1, scale=1.0 / 1024), s["hwm_kb"].fmt(1, scale=1.0 / 1024)])
            raw[path] = {k: v.as_dict() for k, v in s.items()}
        self.results["fig8"] = raw
        title = ("8. DWARF frames (file:line + inline frames) through the symbolizer "
                 "(bench/symbench.c -d): cold = open + first %d addresses, warm = %d new "
                 "addresses (tables of the units met kept), cached = the first %d again; "
                 "baseline = ELF symtab lookups (elf_syms) in the same process; addresses "
                 "uniform over the executable segments (every unit touched: a worst case); "
                 "%d runs" % (self.p["fig8_cold"], self.p["fig8_warm"], self.p["fig8_cold"], runs))
        table = bl.markdown_table(
            ["binary", "open s", "DWARF cold addr/s", "DWARF warm addr/s", "cached addr/s",
             "symtab cold addr/s", "symtab warm addr/s", "symtab/DWARF cold", "symtab/DWARF warm",
             "with a line", "with inline frames", "estimated MB", "heap growth MB",
             "RSS growth MB", "peak RSS MB"], rows)
        return title, table

    # --- driver ------------------------------------------------------------------------------

    def header(self):
        def first(path, key):
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith(key):
                            return line.split(":", 1)[1].strip()
            except OSError:
                pass
            return "?"

        perf_v = subprocess.run([self.perf, "--version"], capture_output=True,
                                text=True).stdout.strip() if self.perf else "not installed"
        ver = subprocess.run([self.args.flamed, "--version"], capture_output=True,
                             text=True).stdout.strip()
        try:
            commit = subprocess.run(["git", "-C", self.args.source, "rev-parse", "--short",
                                     "HEAD"], capture_output=True, text=True).stdout.strip()
            dirty = subprocess.run(["git", "-C", self.args.source, "status", "--porcelain",
                                    "--untracked-files=no"], capture_output=True,
                                   text=True).stdout.strip()
        except OSError:
            commit, dirty = "?", ""
        irq = "?"
        try:
            import gzip
            with gzip.open("/proc/config.gz", "rt") as f:
                irq = "on" if "CONFIG_IRQ_TIME_ACCOUNTING=y" in f.read() else "off"
        except OSError:
            pass
        lines = [
            "## %s, `bench/run%s`" % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip(),
                                      " --quick" if self.args.quick else ""),
            "",
            "- commit %s%s; %s; %s" % (commit, " (+ uncommitted changes)" if dirty else "",
                                        ver or "flamed", perf_v),
            "- machine: %d CPUs, %s, kernel %s, %.0f GiB RAM; load average at start %s"
            % (self.nproc, first("/proc/cpuinfo", "model name"), platform.release(),
               os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
               " ".join(open("/proc/loadavg").read().split()[:3])),
            "- IRQ time accounting %s (off: the BPF program's time is charged to the task it "
            "interrupts, so figure 1 sees it)" % irq,
            "- every figure: median [min..max] over the runs; ratios pair runs of the same round",
        ]
        return "\n".join(lines)

    def run(self):
        figs = {1: self.fig1, 2: self.fig2, 3: self.fig3, 4: self.fig4, 5: self.fig5,
                6: self.fig6, 7: self.fig7, 8: self.fig8, 9: self.fig9,
                10: self.fig10, 11: lambda: busyhost.fig11(self),
                12: lambda: k8sbench.fig12(self)}
        only = sorted(set(self.args.only)) if self.args.only else sorted(figs)
        out = [self.header()]
        print(out[0] + "\n", flush=True)
        t_start = time.monotonic()
        for n in only:
            t0 = time.monotonic()
            log("figure %d ..." % n)
            try:
                title, table = figs[n]()
            except (RunError, ValueError, OSError) as e:
                title, table = "%d. failed" % n, "ERROR: %s" % e
                self.results["fig%d" % n] = {"error": str(e)}
            log("figure %d: %.0f s" % (n, time.monotonic() - t0))
            out.append("### " + title + "\n\n" + table)
            print(out[-1] + "\n", flush=True)
        out.append("_bench/run took %.0f s; load average at the end %s_"
                   % (time.monotonic() - t_start,
                      " ".join(open("/proc/loadavg").read().split()[:3])))
        text = "\n\n".join(out) + "\n"
        print(out[-1], flush=True)
        with open(os.path.join(self.work, "last-results.md"), "w") as f:
            f.write(text)
        with open(os.path.join(self.work, "last-results.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)
        if self.args.record:
            with open(os.path.join(self.args.source, "bench", "RESULTS.md"), "a") as f:
                f.write("\n" + text)
            log("appended to bench/RESULTS.md")
        return 1 if any("error" in v for v in self.results.values()
                        if isinstance(v, dict)) else 0

    def cleanup(self):
        self.stop_bg(list(self.bg))
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 runs, short runs, < 3 minutes")
    ap.add_argument("--only", type=lambda s: [int(x) for x in s.split(",")],
                    help="comma-separated figure numbers (1-12)")
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
    if os.geteuid() != 0:
        ap.error("run as root (BPF, perf, kernel.bpf_stats_enabled)")
    b = Bench(args)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        return b.run()
    finally:
        b.cleanup()


if __name__ == "__main__":
    sys.exit(main())
