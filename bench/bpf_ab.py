#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Before/after BPF cost of two (or more) flamed binaries, cold caches: whole host at a fleet
rate (99 Hz by default), alternating the binaries round by round on the same load.

    bench/bpf_ab.py [--hz 99] [--secs 10] [--rounds 5] [--mode auto|fp]
                    [--load deep|build|python|php|ruby|ruby-yjit|java|node[,...]] [--depth 20]
                    [--phases] BIN...

Load: two busy `deep -d DEPTH` processes (bench/workloads/deep.c, built next to this script's
bench-run dir or found on PATH as FLAMED_DEEP), or two loops of `g++ -O2 -c` (real compiler
stacks, ~25 frames, spread over a 24 MiB binary), or figure 3's CPython load
(bench/workloads/deep.py under Debian's python3.11, Python recursion depth 20, one process per
CPU), its PHP, Ruby and Node.js counterparts (bench/workloads/deep.php under /usr/bin/php8.2,
bench/workloads/deep.rb under /usr/bin/ruby3.1, with YJIT for ruby-yjit, bench/workloads/deep.js
under node --no-turbo-inlining: recursion depth 20, one process per CPU), or two JVMs running
tests/workloads/java/Hot.java (Hot.main, Hot.outer,
Hot.inner: 15 user frames, 3 of them Java, compiled and inlined; javac and java from PATH). Per binary: run_time_ns / run_cnt of its own on_cpu_sample (kernel.bpf_stats_enabled=1,
restored afterwards), and the verifier's time from flamed -v (the "start-up:" line), the user frames per walk and the share of complete
stacks (more frames unwound cost more: read the columns together); median [min..max] over the
rounds. --phases: flamed runs with FLAMED_BPF_PHASES=1, which makes the program read the clock
between its phases and sum each phase's ns into its metrics (bpf/flamed.h, FLAMED_METRIC_NS_*);
the table then splits a sample's time by phase (the clock reads themselves, ~7 a sample, are in
the total and spread over the phases). Several loads (--load java,deep) alternate within each
round, every binary on each; the ratio column is each row against the first (a runtime's
sample against a native one of the same depth: --load java,deep --depth N). As root.
"""
LOADS = ["deep", "build", "python", "php", "ruby", "ruby-yjit", "java", "node"]
PHASES = ["ns_head", "ns_kernel_stack", "ns_user_walk", "ns_runtime", "ns_user_store", "ns_count",
          "ns_announce"]

import argparse
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402
import benchcore as fb  # noqa: E402


def start_load(kind, secs, work, depth=20):
    if kind == "java":
        classes = os.path.join(work, "classes")
        if not os.path.exists(os.path.join(classes, "Hot.class")):
            subprocess.run(["javac", "-d", classes,
                            os.path.join(SRC, "tests", "workloads", "java", "Hot.java")], check=True)
        return [subprocess.Popen(["java", "-cp", classes, "Hot", str(secs + 5)],
                                 stdout=subprocess.DEVNULL, start_new_session=True)
                for _ in range(2)]
    if kind == "deep":
        deep = os.environ.get("FLAMED_DEEP") or os.path.join(work, "deep")
        if not os.path.exists(deep):
            subprocess.run(["gcc", "-O2", "-fno-omit-frame-pointer", "-pthread",
                            "-I" + os.path.join(SRC, "tests", "workloads"), "-o", deep,
                            os.path.join(HERE, "workloads", "deep.c")], check=True)
        return [subprocess.Popen([deep, "-d", str(depth), "-t", "0", "-s", str(secs + 5)],
                                 stdout=subprocess.DEVNULL, start_new_session=True)
                for _ in range(2)]
    if kind == "python":  # figure 3's CPython load: Python recursion depth 20, one per CPU
        return [subprocess.Popen([fb.PYTHON, os.path.join(HERE, "workloads", "deep.py"), "20",
                                  "2", str(secs + 5)], stdout=subprocess.DEVNULL,
                                 start_new_session=True)]
    if kind == "node":  # the same shape in JavaScript: recursion depth 20, one process per CPU
        return [subprocess.Popen(["node", "--no-turbo-inlining",
                                  os.path.join(HERE, "workloads", "deep.js"), "20",
                                  "2", str(secs + 5)],
                                 stdout=subprocess.DEVNULL, start_new_session=True)]
    if kind == "php":  # the same shape in PHP: recursion depth 20, one process per CPU
        return [subprocess.Popen(["/usr/bin/php8.2", os.path.join(HERE, "workloads", "deep.php"),
                                  "20", "2", str(secs + 5)], stdout=subprocess.DEVNULL,
                                 start_new_session=True)]
    if kind in ("ruby", "ruby-yjit"):  # and in Ruby, interpreted or compiled by YJIT
        yjit = ["--yjit"] if kind == "ruby-yjit" else []
        return [subprocess.Popen(["/usr/bin/ruby3.1"] + yjit +
                                 [os.path.join(HERE, "workloads", "deep.rb"), "20", "2",
                                  str(secs + 5)], stdout=subprocess.DEVNULL,
                                 start_new_session=True)]
    src = os.path.join(SRC, "tests", "workloads", "cpp_names.cpp")
    inc = os.path.join(SRC, "tests", "workloads")
    loop = ("end=$((SECONDS + %d)); while [ $SECONDS -lt $end ]; do "
            "g++ -O2 -I%s -c %s -o %s/ab.$$.o; done" % (secs + 5, inc, src, work))
    # own process groups: stopping a loop stops its compiler too
    return [subprocess.Popen(["bash", "-c", loop], stdout=subprocess.DEVNULL,
                             start_new_session=True) for _ in range(2)]


def one(binary, kind, args, work):
    load = start_load(kind, args.secs, work, args.depth)
    if kind == "java":
        time.sleep(1.5)  # past the JVMs' start-up: the steady state is measured
    try:
        env = dict(os.environ)
        if args.phases:
            env["FLAMED_BPF_PHASES"] = "1"
        p = subprocess.Popen([binary, "-v", "--once", "%ds" % args.secs, "-F", str(args.hz),
                              "--unwind", args.mode, "-o", os.path.join(work, "ab.folded")],
                             stderr=subprocess.PIPE, text=True, env=env)
        poll = fb.BpfPoller(p.pid)
        poll.start()
        err = p.communicate()[1]
        poll.stop.set()
        poll.join()
    finally:
        for proc in load:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    if p.returncode or poll.last is None:
        raise RuntimeError("%s failed (exit %d): %s" % (binary, p.returncode, err[-1000:]))
    m = re.search(r"verifier ([0-9.]+) ms", err)
    met = dict((k, int(v)) for k, v in re.findall(r"metric (\w+) = (\d+)", err))
    walks = met.get("unwind_walks", 0)
    frames = (met.get("unwind_frames_dwarf", 0) + met.get("unwind_frames_fp", 0) +
              met.get("hotspot_frames", 0))  # Java frames are unwound by the runtime
    complete = re.search(r"unwind: ([0-9.]+)% of", err)
    counted = met.get("counted", 0)
    phases = {k: met[k] / counted for k in PHASES if counted and k in met}
    return (bl.ns_per_run(*poll.last), float(m.group(1)) if m else None,
            frames / walks if walks else None, float(complete.group(1)) if complete else None,
            phases)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hz", type=int, default=99)
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--mode", default="auto")
    ap.add_argument("--load", default="deep",
                    help="deep, build, python, php, ruby, ruby-yjit, java or node; several, "
                    "comma-separated, alternate")
    ap.add_argument("--depth", type=int, default=20, help="deep's recursion depth")
    ap.add_argument("--phases", action="store_true", help="split the ns by phase")
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    if os.geteuid():
        sys.exit("bpf_ab: run as root")
    loads = args.load.split(",")
    for kind in loads:
        if kind not in LOADS:
            sys.exit("bpf_ab: unknown load %r (%s)" % (kind, ", ".join(LOADS)))
    work = tempfile.mkdtemp(prefix="flamed-bpf-ab-")
    atexit.register(shutil.rmtree, work, True)
    rows_of = [(b, kind) for b in args.binaries for kind in loads]
    ns = {k: [] for k in rows_of}
    ver = {k: [] for k in rows_of}
    fpw = {k: [] for k in rows_of}
    done = {k: [] for k in rows_of}
    ph = {k: {p: [] for p in PHASES} for k in rows_of}
    stats = "/proc/sys/kernel/bpf_stats_enabled"
    old = open(stats).read().strip()
    try:
        with open(stats, "w") as f:
            f.write("1")
        for r in range(args.rounds):
            for k in rows_of:
                n, v, f, c, phases = one(k[0], k[1], args, work)
                ns[k].append(n)
                for p, x in phases.items():
                    ph[k][p].append(x)
                for lst, x in ((ver[k], v), (fpw[k], f), (done[k], c)):
                    if x is not None:
                        lst.append(x)
            print("bpf_ab: round %d/%d done" % (r + 1, args.rounds), file=sys.stderr)
    finally:
        with open(stats, "w") as f:
            f.write(old)
    def fmt(v, d, unit=""):
        return bl.summarize(v).fmt(d, unit=unit) if v else "n/a"

    # each round's runs against the first row's run of the same round (same host, same minute)
    base = ns[rows_of[0]]
    rows = [[b, kind, fmt(ns[(b, kind)], 0),
             fmt([bl.ratio(x, y) for x, y in zip(ns[(b, kind)], base)], 2),
             fmt(fpw[(b, kind)], 1), fmt(done[(b, kind)], 1, "%"), fmt(ver[(b, kind)], 1)]
            for b, kind in rows_of]
    print("BPF ns per run of on_cpu_sample, whole host, %d Hz, --unwind %s, load %s, %d x %d s%s"
          % (args.hz, args.mode, args.load, args.rounds, args.secs,
             ", with the phase clock reads" if args.phases else ""))
    print(bl.markdown_table(["flamed", "load", "ns per run", "vs the first row",
                             "user frames per walk", "stacks complete", "verifier ms"], rows))
    if args.phases:
        print()
        print("ns per counted sample, by phase (FLAMED_BPF_PHASES=1)")
        print(bl.markdown_table(["flamed", "load"] + [p[3:] for p in PHASES],
                                [[b, kind] + [fmt(ph[(b, kind)][p], 0) for p in PHASES]
                                 for b, kind in rows_of]))


if __name__ == "__main__":
    main()
