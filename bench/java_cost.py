#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What naming Java frames costs flamed per JVM: the same JVMs profiled with Java frames and
with --no-java, alternating round by round on the same load, each round fresh JVMs and a fresh
flamed (cold caches: what a JVM costs the first time flamed meets it).

    bench/java_cost.py [--hz 99] [--secs 10] [--rounds 5] [--jvms 2] [--load javac|hot] BIN

Load: --jvms JVMs started by flamed (-- sh -c '...'), each running either the JDK's own compiler
in a loop (bench/workloads/JavacLoop.java over tests/workloads/java: thousands of methods, Java
stacks tens of frames deep) or tests/workloads/java/Hot.java with its second thread (a handful of
methods). Per mode, from flamed -v: its CPU after start-up (drain: where Java frames are read,
build: where they are named, with the native names), its resident size at the end, and from the
java: line the methods and compiled methods read and the Java caches' size. The Java cost per
JVM is (with - without) / JVMs; ratio = with / without. As root.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402

_RESIDENT_RE = re.compile(r"resident now ([0-9.]+) MiB")
_JAVA_RE = re.compile(r"java: .*?([0-9]+) Java frames shown.*methods read ([0-9]+), unreadable "
                      r"[0-9]+; nmethods read ([0-9]+), .*caches ([0-9.]+) MiB")


def parse_run(err):
    """From flamed -v's stderr: agent CPU by activity (ms), resident MiB, and the java: line's
    frames, methods, nmethods and cache MiB (zero without Java frames)."""
    agent = bl.parse_agent_costs(err)
    res = _RESIDENT_RE.search(err)
    if not agent or not res:
        raise ValueError("no 'after start-up: agent ...; resident now' line: run with -v")
    out = {k: agent[k] * 1000.0 for k in ("total", "drain", "build", "names")}
    out["resident"] = float(res.group(1))
    out["samples"] = bl.parse_flamed_stderr(err)["samples"]
    j = _JAVA_RE.search(err)
    out.update(zip(("frames", "methods", "nmethods", "cache"),
                   [float(x) for x in j.groups()] if j else [0.0] * 4))
    return out


def prepare(work, load):
    classes = os.path.join(work, "classes")
    if not os.path.isdir(classes):
        java = os.path.join(SRC, "tests", "workloads", "java")
        subprocess.run(["javac", "-d", classes, os.path.join(java, "Hot.java"),
                        os.path.join(HERE, "workloads", "JavacLoop.java")], check=True)
    sources = sorted(os.path.join(SRC, "tests", "workloads", "java", f)
                     for f in os.listdir(os.path.join(SRC, "tests", "workloads", "java"))
                     if f.endswith(".java"))
    return classes, sources


def one(binary, args, work, java):
    classes, sources = prepare(work, args.load)
    jvms = []
    for i in range(args.jvms):
        if args.load == "javac":
            out = os.path.join(work, "out%d" % i)
            os.makedirs(out, exist_ok=True)
            cmd = ["java", "-cp", classes, "JavacLoop", str(args.secs + 5), out] + sources
        else:
            cmd = ["java", "-cp", classes, "Hot", str(args.secs + 5), "threads"]
        jvms.append(" ".join("'%s'" % c for c in cmd) + " >/dev/null &")
    script = " ".join(jvms) + " wait"
    cmd = [binary, "-v", "--once", "%ds" % args.secs, "-F", str(args.hz),
           "-o", os.path.join(work, "jc.pb.gz")] + ([] if java else ["--no-java"])
    p = subprocess.run(cmd + ["--", "sh", "-c", script], stderr=subprocess.PIPE, text=True)
    if p.returncode:
        raise RuntimeError("%s failed (exit %d): %s" % (binary, p.returncode, p.stderr[-1000:]))
    return parse_run(p.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hz", type=int, default=99)
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jvms", type=int, default=2)
    ap.add_argument("--load", choices=["javac", "hot"], default="javac")
    ap.add_argument("binary")
    args = ap.parse_args()
    if os.geteuid():
        sys.exit("java_cost: run as root")
    runs = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="flamed-java-cost-") as work:
        for r in range(args.rounds):
            for java in (True, False):
                runs[java].append(one(args.binary, args, work, java))
            print("java_cost: round %d/%d done" % (r + 1, args.rounds), file=sys.stderr)

    def col(java, key):
        return [x[key] for x in runs[java]]

    def fmt(vals, d=1):
        return bl.summarize(vals).fmt(d)

    keys = [("total", "agent CPU ms"), ("drain", "drain ms"), ("build", "build ms"),
            ("names", "names ms"), ("resident", "resident MiB"), ("samples", "samples")]
    rows = [[("Java frames" if java else "--no-java")] + [fmt(col(java, k)) for k, _ in keys] +
            [fmt(col(java, "methods"), 0), fmt(col(java, "nmethods"), 0),
             fmt(col(java, "cache"), 2)] for java in (True, False)]
    print("flamed --once %ds -F %d over %d JVMs (%s), %d rounds; median [min..max]"
          % (args.secs, args.hz, args.jvms, args.load, args.rounds))
    print(bl.markdown_table(["flamed"] + [h for _, h in keys] +
                            ["methods read", "nmethods read", "Java caches MiB"], rows))
    # paired by round: each round's two runs saw the same load at about the same time
    per_jvm = [(a["total"] - b["total"]) / args.jvms for a, b in zip(runs[True], runs[False])]
    ratio = [bl.ratio(a["total"], b["total"]) for a, b in zip(runs[True], runs[False])]
    rss = [(a["resident"] - b["resident"]) / args.jvms for a, b in zip(runs[True], runs[False])]
    cache = [a["cache"] / args.jvms for a in runs[True]]
    per_method = [1000.0 * (a["total"] - b["total"]) / max(1.0, a["methods"] + a["nmethods"])
                  for a, b in zip(runs[True], runs[False])]
    print()
    print("per JVM: Java naming %s ms CPU (ratio with/without %s; %s µs per method or nmethod "
          "read), resident %s MiB more, Java caches %s MiB"
          % (fmt(per_jvm), fmt(ratio, 2), fmt(per_method, 0), fmt(rss), fmt(cache, 2)))


if __name__ == "__main__":
    main()
