# SPDX-License-Identifier: MIT
"""The shared half of flamed's benchmark harness (bench/flamedbench.py runs it): the profiles of a
quick or a full run, running processes and background workloads, flamed's and perf's command
lines, reading a BPF program's run time, and the report's header. Each figure is a module of
bench/figures/ that measures through a Bench."""

import datetime
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

    # --- runs more than one figure needs -------------------------------------------------------

    def calibrate(self):
        if self.units_per_s is None:
            r = self.check(self.run_proc([self.bin("burn_fp"), "-c", "0.4"], name="calib"),
                           "burn -c")
            self.units_per_s = bl.parse_kv(r.out)["units_per_s"]
        return self.units_per_s

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

    # --- the report ---------------------------------------------------------------------------

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

    def cleanup(self):
        self.stop_bg(list(self.bg))
        shutil.rmtree(self.tmp, ignore_errors=True)
