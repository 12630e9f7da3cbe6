#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks of tests/stress on flamed's outputs, beyond tests/integration/flamed_check.py (whose
decoders it reuses). Every subcommand prints what it measured and exits 1 with "FAIL: ..." lines
when a check fails. Standard library only.
"""
import argparse
import gzip
import os
import signal
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import flamed_check as fc  # noqa: E402


def raw_pprof(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def cmd_valid(args):
    """The three outputs of one capture are well-formed: every folded line is "stack COUNT", the
    pprof follows the format's rules with UTF-8 strings (proto3 requires it), the SVG is XML, and
    folded and pprof hold the same number of samples."""
    fails = fc.Failures()
    folded = fc.load_folded(args.folded, fails)
    with open(args.folded, "rb") as f:
        try:
            f.read().decode("utf-8")
        except UnicodeDecodeError as e:
            fails.check(False, "%s is not UTF-8: %s" % (args.folded, e))
    bad_utf8 = 0
    for num, _, val in fc.fields(raw_pprof(args.pprof)):
        if num == 6:
            try:
                bytes(val).decode("utf-8")
            except UnicodeDecodeError:
                bad_utf8 += 1
    fails.check(not bad_utf8, "%s: %d strings are not UTF-8" % (args.pprof, bad_utf8))
    pprof = fc.load_pprof(args.pprof, fails)
    try:
        ET.parse(args.svg)
    except ET.ParseError as e:
        fails.check(False, "%s is not XML: %s" % (args.svg, e))
    n_folded, n_pprof = sum(s.count for s in folded), sum(s.count for s in pprof)
    print("outputs: folded %d samples in %d stacks, pprof %d samples, svg %d bytes"
          % (n_folded, len(folded), n_pprof, os.path.getsize(args.svg)))
    fails.check(n_folded == n_pprof, "folded has %d samples, pprof %d" % (n_folded, n_pprof))
    fails.check(n_pprof > 0, "no samples")
    return fails.finish()


def cmd_reach(args):
    """Share of one pid's samples whose stacks hold every given frame, at least MIN_PCT."""
    fails = fc.Failures()
    samples = [s for s in fc.load_pprof(args.pprof, fails) if s.pid == args.pid]
    total = sum(s.count for s in samples)
    hit = sum(s.count for s in samples
              if all(any(fc.bare(f) == name for f in s.frames) for name in args.frame))
    print("pid %s: %d samples, %.2f %% hold %s" % (args.pid, total, 100.0 * hit / max(total, 1),
                                                  " and ".join(args.frame)))
    if fails.check(total >= args.min_samples, "only %d samples (want >= %d)"
                   % (total, args.min_samples)):
        # samples flamed itself counted as walked before their binary's unwind table was built
        # (frame pointers only: a program without them stops short) are not the walker's misses
        excused = min(args.excuse, total - hit)
        if excused:
            print("  %d of the misses excused: samples that met a table still building" % excused)
        fails.check(100.0 * (hit + excused) / total >= args.min_pct,
                    "only %.2f %% hold %s (want >= %g %%)"
                    % (100.0 * (hit + excused) / total, " and ".join(args.frame), args.min_pct))
    return fails.finish()


def cmd_threads(args):
    """A process's samples carry at least MIN distinct thread labels."""
    fails = fc.Failures()
    samples = [s for s in fc.load_pprof(args.pprof, fails) if s.pid == args.pid]
    tids = {s.tid for s in samples}
    print("pid %s: %d samples from %d threads" % (args.pid, sum(s.count for s in samples),
                                                   len(tids)))
    fails.check(len(tids) >= args.min, "%d threads seen (want >= %d)" % (len(tids), args.min))
    return fails.finish()


def cmd_names(args):
    """Samples in FUNC come under at least MIN distinct comm labels, in pprof and folded alike,
    each reaching one of ROOTS (main, or start_thread for other threads): a hostile name must
    not cost a process its samples or its stacks."""
    fails = fc.Failures()
    for path in (args.pprof, args.folded):
        samples = [s for s in fc.load(path, fails)
                   if any(fc.bare(f) == args.func for f in s.frames)]
        comms = {s.comm for s in samples}
        total = sum(s.count for s in samples)
        roots = set(args.roots.split(","))
        main = sum(s.count for s in samples if any(fc.bare(f) in roots for f in s.frames))
        print("%s: %d samples in %s under %d comms: %s" % (
            path, total, args.func, len(comms), ", ".join(sorted(repr(c) for c in comms))))
        fails.check(len(comms) >= args.min, "%s: %d comms (want >= %d)" % (path, len(comms),
                                                                         args.min))
        fails.check(total and 100.0 * main / total >= args.main_min,
                    "%s: %.2f %% of %s samples reach %s (want >= %g %%)"
                    % (path, 100.0 * main / max(total, 1), args.func, " or ".join(roots),
                       args.main_min))
    return fails.finish()


def cmd_reuse(args):
    """Two programs that ran, one after the other, under the same pids: no sample of program A
    (by comm) has B's functions nor the reverse, enough are in the program's own functions
    (--own-min) and reach main (--main-min), and at least MIN pids carry samples of both."""
    fails = fc.Failures()
    samples = [s for s in fc.load_pprof(args.pprof, fails) if not args.pid or s.pid == args.pid]
    progs = {args.comm_a: set(args.funcs_a.split(",")), args.comm_b: set(args.funcs_b.split(","))}
    pids = {}
    for comm, own in progs.items():
        other = set().union(*(f for c, f in progs.items() if c != comm))
        mine = [s for s in samples if s.comm == comm]
        total = sum(s.count for s in mine)
        wrong = sum(s.count for s in mine if any(fc.bare(f) in other for f in s.frames))
        main = sum(s.count for s in mine if any(fc.bare(f) == "main" for f in s.frames))
        hot = sum(s.count for s in mine if any(fc.bare(f) in own for f in s.frames))
        pids[comm] = {s.pid for s in mine}
        print("comm %s: %d samples from %d pids; %.2f %% reach main, %.2f %% in its own "
              "functions, %d with the other program's functions" % (
                  comm, total, len(pids[comm]), 100.0 * main / max(total, 1),
                  100.0 * hot / max(total, 1), wrong))
        fails.check(total >= args.min_samples, "comm %s: %d samples (want >= %d)"
                    % (comm, total, args.min_samples))
        fails.check(not wrong, "comm %s: %d samples symbolized with the other program's "
                    "functions" % (comm, wrong))
        fails.check(100.0 * hot / max(total, 1) >= args.own_min,
                    "comm %s: %.2f %% in its own functions (want >= %g %%)"
                    % (comm, 100.0 * hot / max(total, 1), args.own_min))
        fails.check(100.0 * main / max(total, 1) >= args.main_min,
                    "comm %s: %.2f %% reach main (want >= %g %%)"
                    % (comm, 100.0 * main / max(total, 1), args.main_min))
    both = pids[args.comm_a] & pids[args.comm_b]
    print("pids with samples of both: %d" % len(both))
    fails.check(len(both) >= args.min_pids, "%d pids with samples of both programs (want >= %d)"
                % (len(both), args.min_pids))
    return fails.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("valid", help=cmd_valid.__doc__)
    p.add_argument("folded")
    p.add_argument("pprof")
    p.add_argument("svg")
    p.set_defaults(fn=cmd_valid)
    p = sub.add_parser("reach", help=cmd_reach.__doc__)
    p.add_argument("pprof")
    p.add_argument("--pid", required=True)
    p.add_argument("--frame", action="append", required=True)
    p.add_argument("--min-pct", type=float, default=99.0)
    p.add_argument("--excuse", type=int, default=0,
                   help="misses to forgive: flamed's count of samples that met a table building")
    p.add_argument("--min-samples", type=int, default=200)
    p.set_defaults(fn=cmd_reach)
    p = sub.add_parser("threads", help=cmd_threads.__doc__)
    p.add_argument("pprof")
    p.add_argument("--pid", required=True)
    p.add_argument("--min", type=int, required=True)
    p.set_defaults(fn=cmd_threads)
    p = sub.add_parser("names", help=cmd_names.__doc__)
    p.add_argument("pprof")
    p.add_argument("folded")
    p.add_argument("--func", required=True)
    p.add_argument("--min", type=int, required=True)
    p.add_argument("--main-min", type=float, default=99.0)
    p.add_argument("--roots", default="main,start_thread")
    p.set_defaults(fn=cmd_names)
    p = sub.add_parser("reuse", help=cmd_reuse.__doc__)
    p.add_argument("pprof")
    p.add_argument("--comm-a", required=True)
    p.add_argument("--funcs-a", required=True)
    p.add_argument("--comm-b", required=True)
    p.add_argument("--funcs-b", required=True)
    p.add_argument("--min-samples", type=int, default=50)
    p.add_argument("--min-pids", type=int, default=1)
    p.add_argument("--main-min", type=float, default=99.0)
    p.add_argument("--own-min", type=float, default=0.0)
    p.add_argument("--pid", help="only this pid's samples")
    p.set_defaults(fn=cmd_reuse)
    args = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        return args.fn(args)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
