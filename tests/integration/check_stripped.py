#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks of tests/integration/test_stripped.sh: a stripped copy and the unstripped original of one
workload profiled together.

Folded: each hot function of the stripped copy is its own frame "BINARY+0xSTART", START being the
function's address in the unstripped build (nm), with a share of the stripped process's samples
close to what the process measured itself and to the unstripped process's share of the named
function; no one "[BINARY]" box holds the hot code.
pprof: the stripped copy's hot locations keep their address, have no Line, and their mapping
carries the file's build-id with has_functions false: exactly what Parca needs to symbolize a
location on its side (pkg/parcacol/querier.go, symbolizeLocations: Addr != 0, a BuildID, no
lines)."""
import argparse
import gzip
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flamed_check as fc  # noqa: E402


def nm_funcs(path, names):
    """name -> (address, size) from `nm -S` output."""
    out = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 4 and p[3] in names:
                out[p[3]] = (int(p[0], 16), int(p[1], 16))
    return out


def loads(path):
    """PT_LOAD (offset, vaddr, filesz) from `readelf -lW` output."""
    out = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if p and p[0] == "LOAD":
                out.append((int(p[1], 16), int(p[2], 16), int(p[4], 16)))
    return out


def build_id(path):
    with open(path) as f:
        m = re.search(r"Build ID: ([0-9a-f]+)", f.read())
    return m.group(1) if m else None


def shares(samples, comm, frames):
    """Share (%) of comm's samples whose stack holds each frame name, and the sample total."""
    sel = [s for s in samples if s.comm == comm]
    total = sum(s.count for s in sel)
    return {fr: 100.0 * sum(s.count for s in sel if fr in s.frames) / max(total, 1)
            for fr in frames}, total, sel


def tolerance(share, total, floor):
    sigma = 100.0 * math.sqrt(max(share, 1.0) / 100.0 * (1.0 - min(share, 99.0) / 100.0)
                              / max(total, 1))
    return max(floor, 4.0 * sigma)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folded", required=True)
    ap.add_argument("--pprof", required=True)
    ap.add_argument("--nm", required=True, help="nm -S of the unstripped build")
    ap.add_argument("--segs", required=True, help="readelf -lW of the stripped copy")
    ap.add_argument("--notes", required=True, help="readelf -nW of the stripped copy")
    ap.add_argument("--stripped", required=True, help="the stripped copy's comm (= file name)")
    ap.add_argument("--full", required=True, help="the unstripped copy's comm")
    ap.add_argument("--stripped-out", required=True, help="the stripped process's output")
    ap.add_argument("--func", action="append", required=True)
    ap.add_argument("--tolerance", type=float, default=3.0)
    ap.add_argument("--min-samples", type=int, default=300)
    args = ap.parse_args()
    fails = fc.Failures()

    funcs = nm_funcs(args.nm, set(args.func))
    fails.check(len(funcs) == len(args.func), "nm lacks some of %s" % args.func)
    synth = {f: "%s+0x%x" % (args.stripped, a) for f, (a, _) in funcs.items()}
    measured = fc.parse_workload_output(args.stripped_out, "share")

    note = "folded"
    samples = fc.load_folded(args.folded, fails)
    got_s, total_s, sel_s = shares(samples, args.stripped, synth.values())
    got_f, total_f, _ = shares(samples, args.full, funcs.keys())
    print("%s: %d samples of %s, %d of %s" % (note, total_s, args.stripped, total_f, args.full))
    if not fails.check(min(total_s, total_f) >= args.min_samples, "too few samples (want >= %d)"
                       % args.min_samples):
        return fails.finish()
    for f in args.func:
        s, u, w = got_s.get(synth.get(f), 0.0), got_f.get(f, 0.0), measured.get(f, 0.0)
        tol = tolerance(w, total_s, args.tolerance)
        tol2 = max(tol, tolerance(u, total_f, args.tolerance))
        print("  %-12s stripped %-28s %6.2f %%  measured %6.2f %%  unstripped %6.2f %%"
              % (f, synth.get(f), s, w, u))
        fails.check(abs(s - w) <= tol, "%s: stripped share %.2f %% vs measured %.2f %% (tol %.2f)"
                    % (synth.get(f), s, w, tol))
        fails.check(abs(s - u) <= tol2, "%s: stripped share %.2f %% vs unstripped %.2f %% (tol %.2f)"
                    % (f, s, u, tol2))
    box = "[%s]" % args.stripped
    in_box = sum(x.count for x in sel_s if x.frames and x.frames[-1] == box)
    print("  leaf frame %s: %.2f %% of samples" % (box, 100.0 * in_box / total_s))
    fails.check(100.0 * in_box / total_s <= 5.0, "%.2f %% of samples end in one %s box"
                % (100.0 * in_box / total_s, box))

    # pprof: address, no Line, build-id, has_functions false
    with open(args.pprof, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    top = fc.message(data)
    st = [bytes(v).decode("utf-8", "replace") for _, v in top.get(6, [])]
    maps = {}
    for m in fc.submessages(top, 3):
        maps[fc.scalar(m, 1)] = {"start": fc.scalar(m, 2), "limit": fc.scalar(m, 3),
                                 "offset": fc.scalar(m, 4), "file": st[fc.scalar(m, 5)],
                                 "build_id": st[fc.scalar(m, 6)],
                                 "has_functions": bool(fc.scalar(m, 7)),
                                 "has_lines": bool(fc.scalar(m, 8) or fc.scalar(m, 9))}
    mine = {i for i, m in maps.items() if os.path.basename(m["file"]) == args.stripped}
    want_bid = build_id(args.notes)
    print("pprof: %d mappings of %s, build-id %s" % (len(mine), args.stripped, want_bid))
    fails.check(bool(mine), "no mapping of %s" % args.stripped)
    for i in mine:
        m = maps[i]
        fails.check(m["build_id"] == want_bid, "mapping %d: build_id %r, want %r"
                    % (i, m["build_id"], want_bid))
    segs = loads(args.segs)

    def vaddr(m, addr):
        off = addr - m["start"] + m["offset"]
        for o, v, sz in segs:
            if o <= off < o + sz:
                return off - o + v
        return None

    found = {f: 0 for f in funcs}
    for loc in fc.submessages(top, 4):
        mid, addr, lines = fc.scalar(loc, 2), fc.scalar(loc, 3), loc.get(4, [])
        if mid not in mine:
            continue
        va = vaddr(maps[mid], addr) if addr else None
        for f, (a, size) in funcs.items():
            # return addresses point after the call: the end is inclusive
            if va is not None and a <= va <= a + size:
                found[f] += 1
                fails.check(not lines, "location at %#x in %s has a Line" % (addr, f))
                fails.check(not maps[mid]["has_functions"] and not maps[mid]["has_lines"],
                            "mapping %d has unnamed locations but claims functions or lines"
                            % mid)
    for f, n in found.items():
        print("  %-12s %d locations with an address, no Line (Parca symbolizes them)" % (f, n))
        fails.check(n > 0, "no pprof location of %s with its address" % f)
    return fails.finish()


if __name__ == "__main__":
    sys.exit(main())
