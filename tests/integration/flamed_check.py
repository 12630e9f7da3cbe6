#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks for flamed's integration tests: reads folded and pprof files (with its own protobuf
decoder, independent of flamed's encoder and of go tool pprof) and compares them with what the
workloads measured about themselves. Standard library only.

Every subcommand prints the numbers it measured and exits 1 with "FAIL: ..." lines when a check
fails, 0 otherwise. Frames are compared by exact name after stripping the folded annotation
suffixes (_[k], _[i], _[j], _[w], _[py]; _[php] and _[ruby] for the [php] and [ruby] mappings
of a pprof file).
"""
import argparse
import collections
import gzip
import json
import math
import os
import re
import signal
import sys

SUFFIXES = ("_[k]", "_[i]", "_[j]", "_[w]", "_[py]", "_[php]", "_[ruby]", "_[js]")
# runtime mappings of a pprof file -> the suffix their frames get here
RT_MAPS = {"[php]": "_[php]", "[ruby]": "_[ruby]", "[js]": "_[js]"}
RAW_ADDR = re.compile(r"0x[0-9a-fA-F]+")


class Failures:
    def __init__(self):
        self.msgs = []

    def check(self, ok, msg):
        if not ok:
            self.msgs.append(msg)
        return ok

    def finish(self):
        for m in self.msgs:
            print("FAIL: " + m)
        return 1 if self.msgs else 0


# --- protobuf wire format -------------------------------------------------------------------


def read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """Yields (field number, wire type, value); value is an int or a bytes slice."""
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = read_varint(buf, pos)
        elif wt == 1:
            val, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wt == 2:
            n, pos = read_varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated field %d" % num)
            val, pos = buf[pos:pos + n], pos + n
        elif wt == 5:
            val, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError("bad wire type %d" % wt)
        yield num, wt, val


def ints(wt, val):
    """A repeated integer field, packed (wire type 2) or not."""
    if wt != 2:
        return [val]
    out, pos = [], 0
    while pos < len(val):
        v, pos = read_varint(val, pos)
        out.append(v)
    return out


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def message(buf):
    """Field number -> [(wire type, value), ...] of one message."""
    out = collections.defaultdict(list)
    for num, wt, val in fields(buf):
        out[num].append((wt, val))
    return out


def scalar(msg, num):
    """The last value of a scalar field (proto3: absent means 0)."""
    return msg[num][-1][1] if msg.get(num) else 0


def repeated(msg, num):
    """A repeated integer field, packed or not."""
    return [x for wt, v in msg.get(num, []) for x in ints(wt, v)]


def submessages(msg, num):
    return [message(v) for _, v in msg.get(num, [])]


def decode_pprof(data):
    """Decodes the Profile fields the checks use into plain dicts (field numbers of proto/profile.proto)."""
    top = message(data)

    def value_type(m):
        return {"type": scalar(m, 1), "unit": scalar(m, 2)}

    return {
        "sample_type": [value_type(m) for m in submessages(top, 1)],
        "sample": [{"location_id": repeated(m, 1),
                    "value": [signed(x) for x in repeated(m, 2)],
                    "label": [{"key": scalar(lab, 1), "str": scalar(lab, 2),
                               "num": signed(scalar(lab, 3))} for lab in submessages(m, 3)]}
                   for m in submessages(top, 2)],
        "mapping": [{"id": scalar(m, 1), "filename": scalar(m, 5)} for m in submessages(top, 3)],
        "location": [{"id": scalar(m, 1), "mapping_id": scalar(m, 2), "address": scalar(m, 3),
                      "line": [{"function_id": scalar(ln, 1), "line": signed(scalar(ln, 2))}
                               for ln in submessages(m, 4)]}
                     for m in submessages(top, 4)],
        "function": [{"id": scalar(m, 1), "name": scalar(m, 2), "filename": scalar(m, 4),
                      "start_line": signed(scalar(m, 5))} for m in submessages(top, 5)],
        "string_table": [bytes(v).decode("utf-8", "replace") for _, v in top.get(6, [])],
        "period": signed(scalar(top, 12)),
    }


def validate_pprof(prof, fails):
    """The rules of proto/profile.proto's comments plus flamed's own contract (sample types, labels).
    Records failures; returns False only when the profile cannot be walked at all."""
    st = prof["string_table"]
    if not fails.check(st and st[0] == "", "string_table[0] is not \"\""):
        return False

    def s(i):
        return st[i] if 0 <= i < len(st) else None

    types = [(s(t["type"]), s(t["unit"])) for t in prof["sample_type"]]
    cpu = [("samples", "count"), ("cpu", "nanoseconds")]
    fails.check(types in (cpu, cpu + [("off_cpu", "nanoseconds")]),
                "sample types are %r, want [samples/count, cpu/nanoseconds] and, with "
                "--off-cpu, off_cpu/nanoseconds" % types)
    for kind in ("mapping", "location", "function"):
        ids = [x["id"] for x in prof[kind]]
        fails.check(0 not in ids and len(set(ids)) == len(ids), "%s ids not unique/non-zero" % kind)
        fails.check(sorted(ids) == list(range(1, len(ids) + 1)), "%s ids are not dense 1..N" % kind)
    fn_ids = {f["id"] for f in prof["function"]}
    loc_ids = {loc["id"] for loc in prof["location"]}
    map_ids = {m["id"] for m in prof["mapping"]}
    for f in prof["function"]:
        fails.check(s(f["name"]) is not None, "function %d: bad name index" % f["id"])
    for loc in prof["location"]:
        fails.check(loc["mapping_id"] == 0 or loc["mapping_id"] in map_ids,
                    "location %d: unknown mapping" % loc["id"])
        for line in loc["line"]:
            fails.check(line["function_id"] in fn_ids, "location %d: unknown function" % loc["id"])
    bad_loc = bad_val = bad_lab = 0
    for smp in prof["sample"]:
        bad_loc += any(i not in loc_ids for i in smp["location_id"])
        bad_val += len(smp["value"]) != len(types)
        keys = {s(lab["key"]): lab for lab in smp["label"]}
        bad_lab += any(k not in keys or keys[k]["str"] == 0 for k in ("pid", "comm", "thread"))
    fails.check(not bad_loc, "%d samples reference unknown locations" % bad_loc)
    fails.check(not bad_val, "%d samples have the wrong number of values" % bad_val)
    fails.check(not bad_lab, "%d samples lack string labels pid, comm and thread" % bad_lab)
    if len(types) >= 2 and prof["period"] > 0:
        off = sum(1 for smp in prof["sample"] if len(smp["value"]) == len(types)
                  and smp["value"][1] != smp["value"][0] * prof["period"])
        fails.check(not off, "%d samples: cpu/nanoseconds != count * period" % off)
    return True


class Sample:
    __slots__ = ("comm", "pid", "tid", "frames", "count", "labels", "thread_name")

    def __init__(self, comm, pid, tid, frames, count, labels=None):
        self.comm, self.pid, self.tid, self.frames, self.count = comm, pid, tid, frames, count
        self.labels = labels or {}
        self.thread_name = self.labels.get("thread_name")


def load_pprof(path, fails, value="samples"):
    """The samples of a pprof file, each with its value of sample type `value`."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    prof = decode_pprof(data)
    if not validate_pprof(prof, fails):
        return []
    st = prof["string_table"]
    vidx = [st[t["type"]] for t in prof["sample_type"]].index(value)
    fn_name = {f["id"]: st[f["name"]] for f in prof["function"]}
    fn_file = {f["id"]: f["filename"] for f in prof["function"]}
    fn_start = {f["id"]: f["start_line"] for f in prof["function"]}
    map_file = {m["id"]: st[m["filename"]] for m in prof["mapping"]}
    kernel_maps = {i for i, name in map_file.items() if name.startswith("[kernel")}
    python_maps = {i for i, name in map_file.items() if name == "[python]"}
    rt_maps = {i: RT_MAPS[name] for i, name in map_file.items() if name in RT_MAPS}
    java_maps = {i for i, name in map_file.items() if name == "[java]"}
    loc_lines = {}
    loc_frames = {}
    for loc in prof["location"]:
        # Lines are innermost first. Without lines, name the frame as the folded output does:
        # "[module]" for an unsymbolized address in a known mapping, the bare address otherwise.
        names = [fn_name[ln["function_id"]] for ln in loc["line"]]
        if not names and loc["mapping_id"] in map_file:
            names = ["[%s]" % os.path.basename(map_file[loc["mapping_id"]].strip("[]"))]
        elif not names:
            names = ["0x%x" % loc["address"]]
        if loc["mapping_id"] in kernel_maps:
            names = [n + "_[k]" for n in names]
        if loc["mapping_id"] in java_maps:
            # as the folded output: callees a JIT inlined "_[i]", the physical frame "_[j]"
            for k, ln in enumerate(loc["line"]):
                JAVA_LINES[names[k]].add((st[fn_file[ln["function_id"]]], ln["line"]))
            names = [n + ("_[j]" if k == len(names) - 1 else "_[i]")
                     for k, n in enumerate(names)]
        if loc["mapping_id"] in python_maps:
            names = [n + "_[py]" for n in names]
            PY_LINES[names[0]].add((st[fn_file[loc["line"][0]["function_id"]]],
                                    fn_start[loc["line"][0]["function_id"]],
                                    loc["line"][0]["line"]))
        if loc["mapping_id"] in rt_maps:
            suf = rt_maps[loc["mapping_id"]]
            names = [n + suf for n in names]
            loc_lines[loc["id"]] = [(n, st[fn_file[ln["function_id"]]],
                                     fn_start[ln["function_id"]], ln["line"])
                                    for n, ln in zip(names, loc["line"])]
            if suf == "_[js]":
                # inlined callees first, then the function that holds the code
                for n, ln in zip(names, loc["line"]):
                    JS_LINES[bare(n)].add((st[fn_file[ln["function_id"]]],
                                           fn_start[ln["function_id"]], ln["line"]))
        loc_frames[loc["id"]] = names
    out = []
    for smp in prof["sample"]:
        labels = {st[lab["key"]]: st[lab["str"]] for lab in smp["label"]}
        leaf_first = [n for i in smp["location_id"] for n in loc_frames[i]]
        out.append(Sample(labels.get("comm"), labels.get("pid"), labels.get("thread"),
                          leaf_first[::-1], smp["value"][vidx] if smp["value"] else 0, labels))
        for i in smp["location_id"]:
            for key in loc_lines.get(i, ()):
                RT_LINES[key] += out[-1].count
    return out


# (runtime frame name with its suffix, file, start line, line) -> samples, in the last pprof
RT_LINES = collections.Counter()


# Python frame name -> {(file, start line, line)} seen in the last pprof loaded
PY_LINES = collections.defaultdict(set)
# Java frame name -> {(file, line)} seen in the last pprof loaded (inlined frames too)
JAVA_LINES = collections.defaultdict(set)
# JavaScript function name -> {(file, start line, line)}, likewise
JS_LINES = collections.defaultdict(set)


def load_folded(path, fails):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            m = re.fullmatch(r"(.+) (\d+)", line)
            if not fails.check(m is not None, "%s:%d: not 'stack COUNT': %r" % (path, no, line)):
                continue
            parts = m.group(1).split(";")
            out.append(Sample(parts[0], None, None, parts[1:], int(m.group(2))))
    return out


def load(path, fails, value="samples"):
    if path.endswith(".folded"):
        return load_folded(path, fails)
    return load_pprof(path, fails, value)


def bare(frame):
    for suf in SUFFIXES:
        if frame.endswith(suf):
            return frame[: -len(suf)]
    return frame


def is_kernel(frame):
    return frame.endswith("_[k]")


def select(samples, comm=None, pid=None):
    return [s for s in samples
            if (comm is None or s.comm == comm) and (pid is None or s.pid == str(pid))]


def count_with(samples, name):
    return sum(s.count for s in samples if any(bare(f) == name for f in s.frames))


def parse_workload_output(path, key):
    """Lines "KEY NAME VALUE" (e.g. "share burn_alpha 50.12") -> {NAME: VALUE}."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == key:
                out[parts[1]] = float(parts[2])
    return out


def workload_cpu_ms(path):
    """The "cpu_ms TOTAL" line of cpu_shares' output, or None."""
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "cpu_ms":
                return float(parts[1])
    return None


# --- subcommands ----------------------------------------------------------------------------


def cmd_shares(args):
    """Each function's share of the workload's samples vs the share the workload measured."""
    fails = Failures()
    expected = parse_workload_output(args.expect, "share")
    fails.check(len(expected) >= 3, "%s has no 'share' lines" % args.expect)
    samples = select(load(args.profile, fails), args.comm, args.pid)
    total = sum(s.count for s in samples)
    print("%s: %d samples of comm %s%s" % (args.profile, total, args.comm,
                                           " pid %s" % args.pid if args.pid else ""))
    if not fails.check(total >= args.min_samples,
                       "only %d samples (want >= %d)" % (total, args.min_samples)):
        return fails.finish()
    for name, want in sorted(expected.items()):
        got = 100.0 * count_with(samples, name) / total
        # Sampling noise: a share estimated from N samples has a binomial standard deviation.
        # On a busy host the workload gets fewer samples, so allow 4 sigma when that is wider
        # than the fixed tolerance (it is not above ~3400 samples).
        sigma = 100.0 * math.sqrt(max(want, 1.0) / 100.0 * (1.0 - min(want, 99.0) / 100.0)
                                  / total)
        tol = max(args.tolerance, 4.0 * sigma)
        print("  %-12s profile %6.2f %%  workload %6.2f %%  diff %+5.2f  (sigma %.2f, tolerance "
              "%.2f)" % (name, got, want, got - want, sigma, tol))
        fails.check(abs(got - want) <= tol,
                    "%s: profile share %.2f %% vs measured %.2f %% (tolerance %.2f points)"
                    % (name, got, want, tol))
    # samples flamed itself counted as walked before their binary's unwind table was built
    # (--excuse: frame pointers only, a program without them stops short) are not the walker's
    # misses: on a loaded host that table can take most of a second after the program's exec
    excused = min(args.excuse, total - count_with(samples, "main"))
    reach = 100.0 * (count_with(samples, "main") + excused) / total
    print("  stacks reaching main: %.2f %%%s" % (reach, " (%d misses excused: samples that met "
                                                  "a table still building)" % excused
                                                  if excused else ""))
    fails.check(reach >= args.main_min, "only %.2f %% of stacks reach main (want >= %.1f %%)"
                % (reach, args.main_min))
    # A frame that is a bare address had no mapping: the process's maps were not known.
    raw = sum(s.count for s in samples if any(RAW_ADDR.fullmatch(f) for f in s.frames))
    print("  stacks with an unmapped address frame: %.2f %%" % (100.0 * raw / total))
    fails.check(100.0 * raw / total <= args.max_raw_pct,
                "%.2f %% of stacks hold unmapped addresses (want <= %.1f %%)"
                % (100.0 * raw / total, args.max_raw_pct))
    cpu_ms = workload_cpu_ms(args.expect)
    if args.hz and cpu_ms:
        # Only meaningful when the profile covers the workload's whole life (the -- mode).
        want = cpu_ms / 1000.0 * args.hz
        print("  samples / (CPU time x frequency): %d / %.0f = %.2f" % (total, want, total / want))
        fails.check(args.rate_min <= total / want <= args.rate_max,
                    "%d samples for %.0f ms of CPU at %d Hz (ratio %.2f, want %.2f..%.2f)"
                    % (total, cpu_ms, args.hz, total / want, args.rate_min, args.rate_max))
    return fails.finish()


def cmd_offcpu(args):
    """A thread's off-CPU time in a pprof file (sample type off_cpu) against what the workload
    measured: each function's share of the thread's time off the CPU, the thread's total, and the
    kernel frames its waits end in."""
    fails = Failures()
    expected = parse_workload_output(args.expect, "offcpu")
    want_total = sum(expected.values())
    fails.check(expected and want_total > 0, "%s has no 'offcpu' lines" % args.expect)
    samples = [s for s in load_pprof(args.profile, fails, "off_cpu")
               if s.tid == str(args.tid) and s.count > 0]
    total = sum(s.count for s in samples)
    print("%s: thread %s: %.3f s off the CPU in %d stacks; the workload measured %.3f s"
          % (args.profile, args.tid, total / 1e9, len(samples), want_total / 1e3))
    if not fails.check(total > 0, "no off-CPU time for thread %s" % args.tid):
        return fails.finish()
    err = 100.0 * (total / 1e6 - want_total) / want_total
    print("  total: %+.2f %% (tolerance %.1f %%)" % (err, args.total_tolerance))
    fails.check(abs(err) <= args.total_tolerance,
                "thread total %.3f s vs measured %.3f s (%+.2f %%, tolerance %.1f %%)"
                % (total / 1e9, want_total / 1e3, err, args.total_tolerance))
    for name, ms in sorted(expected.items()):
        got = 100.0 * sum(s.count for s in samples
                          if any(bare(f) == name for f in s.frames)) / total
        want = 100.0 * ms / want_total
        print("  %-14s profile %6.2f %%  workload %6.2f %%  diff %+5.2f  (tolerance %.1f)"
              % (name, got, want, got - want, args.tolerance))
        fails.check(abs(got - want) <= args.tolerance,
                    "%s: %.2f %% of the thread's off-CPU time vs measured %.2f %%"
                    % (name, got, want))
    for spec in args.kernel:
        name, _, regex = spec.partition("=")
        rx = re.compile(regex)
        of = [s for s in samples if any(bare(f) == name for f in s.frames)]
        t = sum(s.count for s in of)
        # the frames between the wait and the user code that asked for it: the kernel part of
        # the stack, up to where the user frames begin
        hit = sum(s.count for s in of if any(is_kernel(f) and rx.search(bare(f))
                                             for f in s.frames))
        pct = 100.0 * hit / t if t else 0.0
        print("  %-14s %.2f %% of its time under a kernel frame /%s/" % (name, pct, regex))
        fails.check(pct >= args.kernel_min_pct, "%s: only %.2f %% of its off-CPU time under "
                    "a kernel frame /%s/ (want >= %.0f %%)"
                    % (name, pct, regex, args.kernel_min_pct))
        bad = sum(s.count for s in of if not s.frames or not is_kernel(s.frames[-1]))
        fails.check(t == 0 or bad == 0, "%s: %d ns of stacks whose leaf is not a kernel frame"
                    % (name, bad))
    return fails.finish()


def cmd_kernel(args):
    """Kernel frames in the workload's stacks: enough of them, syscall entry present, leafward."""
    fails = Failures()
    samples = select(load(args.profile, fails), args.comm)
    total = sum(s.count for s in samples)
    print("%s: %d samples of comm %s" % (args.profile, total, args.comm))
    if not fails.check(total >= args.min_samples, "only %d samples" % total):
        return fails.finish()
    with_k = [s for s in samples if any(is_kernel(f) for f in s.frames)]
    nk = sum(s.count for s in with_k)
    entry = re.compile(args.entry_regex)
    n_entry = sum(s.count for s in with_k if any(entry.search(bare(f)) for f in s.frames
                                                 if is_kernel(f)))
    # Kernel frames must form one run at the leaf end: no user frame leafward of a kernel frame.
    misordered = [s for s in with_k
                  if any(not is_kernel(f) for f in s.frames[next(i for i, f in enumerate(s.frames)
                                                                 if is_kernel(f)):])]
    n_mis = sum(s.count for s in misordered)
    # Of the stacks with kernel frames, how many also carry the user frames that led there.
    n_user = sum(s.count for s in with_k if any(bare(f) == "main" for f in s.frames))
    n_func = count_with(with_k, args.user_func) if args.user_func else None
    print("  with kernel frames: %.2f %%" % (100.0 * nk / total))
    print("  of those, with a syscall entry frame (/%s/): %.2f %%"
          % (args.entry_regex, 100.0 * n_entry / max(nk, 1)))
    print("  of those, with user frames up to main: %.2f %%" % (100.0 * n_user / max(nk, 1)))
    if n_func is not None:
        print("  of those, with %s: %.2f %%" % (args.user_func, 100.0 * n_func / max(nk, 1)))
    print("  kernel frames not at the leaf end: %d samples" % n_mis)
    for s in misordered[:3]:
        print("    e.g. " + ";".join(s.frames))
    fails.check(100.0 * nk / total >= args.min_kernel_pct,
                "only %.2f %% of samples have kernel frames (want >= %.0f %%)"
                % (100.0 * nk / total, args.min_kernel_pct))
    fails.check(n_entry > 0, "no kernel frame matches /%s/" % args.entry_regex)
    fails.check(n_mis == 0, "%d samples have user frames leafward of kernel frames" % n_mis)
    if n_func is not None:
        fails.check(100.0 * n_func / max(nk, 1) >= args.min_func_pct,
                    "only %.2f %% of kernel stacks have %s (want >= %.0f %%)"
                    % (100.0 * n_func / max(nk, 1), args.user_func, args.min_func_pct))
    fails.check(100.0 * n_user / max(nk, 1) >= args.min_user_pct,
                "only %.2f %% of kernel stacks continue into user frames up to main (want >= %.0f)"
                % (100.0 * n_user / max(nk, 1), args.min_user_pct))
    return fails.finish()


def cmd_pids(args):
    """Per-pid sample counts from a pprof file's labels; asserts which pids must (not) appear."""
    fails = Failures()
    samples = load_pprof(args.profile, fails)
    per_pid = collections.Counter()
    per_pid_comm = collections.Counter()
    comms = collections.defaultdict(set)
    threads = collections.defaultdict(set)
    for s in samples:
        per_pid[s.pid] += s.count
        per_pid_comm[(s.pid, s.comm)] += s.count
        comms[s.pid].add(s.comm)
        threads[s.pid].add(s.tid)
    total = sum(per_pid.values())
    print("%s: %d samples, %d pids" % (args.profile, total, len(per_pid)))
    for pid, n in per_pid.most_common(args.show):
        print("  pid %-8s %6d samples  comm %s" % (pid, n, ",".join(sorted(map(str, comms[pid])))))
    if args.total is not None:
        fails.check(total == args.total, "profile holds %d samples, flamed's summary says %d"
                    % (total, args.total))
    for spec in args.require:
        pid, _, comm = spec.partition(":")
        fails.check(per_pid.get(pid, 0) >= args.min_samples,
                    "pid %s has %d samples (want >= %d)" % (pid, per_pid.get(pid, 0),
                                                           args.min_samples))
        if comm and pid in per_pid:
            # A sample taken inside execve may still carry the old name; nearly all must not.
            n = per_pid_comm[(pid, comm)]
            fails.check(n >= 0.95 * per_pid[pid], "pid %s: %d of %d samples have comm %s (others: "
                        "%s)" % (pid, n, per_pid[pid], comm, sorted(comms[pid] - {comm})))
        if args.single_threaded and pid in threads:
            fails.check(threads[pid] == {pid}, "pid %s has thread labels %s, want only %s"
                        % (pid, sorted(threads[pid]), pid))
    for pid in args.forbid:
        fails.check(pid not in per_pid, "pid %s appears (%s samples)" % (pid, per_pid.get(pid)))
    if args.only is not None:
        extra = set(per_pid) - set(args.only)
        fails.check(not extra, "unexpected pids: %s" % sorted(extra, key=str))
    return fails.finish()


def cmd_consistent(args):
    """A folded and a pprof file from the same run hold the same samples per comm."""
    fails = Failures()
    by = []
    # the folded format replaces ';' and line breaks in names (src/profile/folded.c): compare
    # the pprof's names as folded writes them, so hostile process names do not differ
    fold = str.maketrans({";": ":", "\n": " ", "\r": " "})
    for path in (args.folded, args.pprof):
        c = collections.Counter()
        for s in load(path, fails, args.value):
            if s.count:
                c[s.comm.translate(fold)] += s.count
        by.append(c)
    print("samples per comm: folded %d, pprof %d" % (sum(by[0].values()), sum(by[1].values())))
    fails.check(by[0] == by[1], "per-comm sample counts differ: folded %s vs pprof %s"
                % (dict(by[0].most_common(5)), dict(by[1].most_common(5))))
    return fails.finish()


def cmd_funcs(args):
    """Samples per comm (optionally per pid) whose stacks hold any of the given functions."""
    fails = Failures()
    samples = load(args.profile, fails)
    if args.pid_not:
        samples = [s for s in samples if s.pid not in args.pid_not]
    samples = select(samples, args.comm)
    total = sum(s.count for s in samples)
    hit = sum(s.count for s in samples if any(bare(f) in args.func for f in s.frames))
    pids = sorted({s.pid for s in samples if s.pid is not None}, key=int)
    print("%s: comm %s: %d samples%s, %d (%.2f %%) with %s" % (
        args.profile, args.comm, total, " from %d pids" % len(pids) if pids else "", hit,
        100.0 * hit / max(total, 1), "|".join(args.func)))
    raw = sum(s.count for s in samples if any(RAW_ADDR.fullmatch(f) for f in s.frames))
    print("  stacks with an unmapped address frame: %.2f %%" % (100.0 * raw / max(total, 1)))
    fails.check(100.0 * raw / max(total, 1) <= args.max_raw_pct,
                "comm %s: %.2f %% of stacks hold unmapped addresses (want <= %.0f %%)"
                % (args.comm, 100.0 * raw / max(total, 1), args.max_raw_pct))
    fails.check(hit >= args.min_samples, "comm %s: %d samples with %s (want >= %d)"
                % (args.comm, hit, "|".join(args.func), args.min_samples))
    fails.check(total == 0 or 100.0 * hit / total >= args.min_pct,
                "comm %s: only %.2f %% of samples with %s (want >= %.0f %%)"
                % (args.comm, 100.0 * hit / max(total, 1), "|".join(args.func), args.min_pct))
    fails.check(len(pids) >= args.min_pids or not args.min_pids,
                "comm %s: samples from %d pids (want >= %d)" % (args.comm, len(pids),
                                                               args.min_pids))
    return fails.finish()


def cmd_lines(args):
    """DWARF frames in a pprof file: samples of --func whose Location holds --inline as an inlined
    Line (several Lines, the physical function last) at --file:--line, with the mapping's has_*
    flags set and Function.filename / start_line filled."""
    import gzip
    fails = Failures()
    data = open(args.profile, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    top = message(data)
    strings = [bytes(v).decode("utf-8", "replace") for _, v in top.get(6, [])]
    funcs = {scalar(m, 1): {"name": strings[scalar(m, 2)], "system": strings[scalar(m, 3)],
                            "file": strings[scalar(m, 4)], "start": signed(scalar(m, 5))}
             for m in submessages(top, 5)}
    maps = {scalar(m, 1): {"file": strings[scalar(m, 5)], "flags": [bool(scalar(m, n))
                                                                      for n in (7, 8, 9, 10)]}
            for m in submessages(top, 3)}
    locs = {scalar(m, 1): {"map": scalar(m, 2),
                           "lines": [(funcs[scalar(ln, 1)], signed(scalar(ln, 2)))
                                     for ln in submessages(m, 4)]}
            for m in submessages(top, 4)}
    total = inl = at_line = 0
    flags_ok = True
    for smp in submessages(top, 2):
        ids = repeated(smp, 1)
        count = repeated(smp, 2)[0]
        lines = [ln for i in ids for ln in locs[i]["lines"]]
        if not any(f["name"] == args.func for f, _ in lines):
            continue
        total += count
        for i in ids:
            loc = locs[i]["lines"]
            if len(loc) >= 2 and loc[0][0]["name"] == args.inline and loc[-1][0]["name"] == args.func:
                inl += count
                fn, line = loc[0]
                if fn["file"].endswith(args.file) and line == args.line:
                    at_line += count
                flags_ok = flags_ok and all(maps[locs[i]["map"]]["flags"])
                break
    print("%s: %d samples in %s; %d with %s inlined in the same Location (%.1f %%), %d at %s:%d"
          % (args.profile, total, args.func, inl, args.inline, 100.0 * inl / max(total, 1),
             at_line, args.file, args.line))
    fails.check(total > 0, "no sample in %s" % args.func)
    fails.check(100.0 * inl / max(total, 1) >= args.min_pct,
                "%s inlined in only %.1f %% of %s's samples (want >= %.0f %%)"
                % (args.inline, 100.0 * inl / max(total, 1), args.func, args.min_pct))
    fails.check(at_line >= inl * 0.9 and inl > 0, "%d of %d inlined samples at %s:%d"
                % (at_line, inl, args.file, args.line))
    fails.check(flags_ok, "mapping of those locations lacks has_functions/filenames/"
                "line_numbers/inline_frames")
    named = [f for f in funcs.values() if f["name"] in (args.func, args.inline)]
    for f in named:
        print("  function %s system_name %s file %s start_line %d" % (f["name"], f["system"],
                                                                     f["file"], f["start"]))
        fails.check(f["file"].endswith(args.file) and f["start"] > 0,
                    "function %s: filename %r start_line %d" % (f["name"], f["file"], f["start"]))
    return fails.finish()


def cmd_reach(args):
    """Share of a comm's samples whose stacks hold every given frame (e.g. main and
    __libc_start_main: the stack was unwound past main), within bounds; and, optionally, that
    samples in one function carry a minimum recursion depth of another."""
    fails = Failures()
    samples = select(load(args.profile, fails), args.comm)
    total = sum(s.count for s in samples)
    print("%s: %d samples of comm %s" % (args.profile, total, args.comm))
    if not fails.check(total >= args.min_samples,
                       "only %d samples (want >= %d)" % (total, args.min_samples)):
        return fails.finish()
    hit = sum(s.count for s in samples
              if all(any(bare(f) == name for f in s.frames) for name in args.frame))
    pct = 100.0 * hit / total
    print("  stacks holding %s: %.2f %%" % (" and ".join(args.frame), pct))
    fails.check(pct >= args.min_pct, "only %.2f %% of stacks hold %s (want >= %.1f %%)"
                % (pct, " and ".join(args.frame), args.min_pct))
    fails.check(pct <= args.max_pct, "%.2f %% of stacks hold %s (want <= %.1f %%)"
                % (pct, " and ".join(args.frame), args.max_pct))
    if args.depth_func:
        inner = [s for s in samples if any(bare(f) == args.depth_func for f in s.frames)]
        n = sum(s.count for s in inner)
        deep = sum(s.count for s in inner
                   if sum(bare(f) == args.depth_frame for f in s.frames) >= args.depth_min)
        print("  %s samples with >= %d %s frames: %d of %d" % (args.depth_func, args.depth_min,
                                                              args.depth_frame, deep, n))
        fails.check(n > 0, "no samples in %s" % args.depth_func)
        fails.check(n == 0 or 100.0 * deep / n >= args.min_pct,
                    "only %.2f %% of %s samples are %d %s deep (want >= %.1f %%)"
                    % (100.0 * deep / max(n, 1), args.depth_func, args.depth_min,
                       args.depth_frame, args.min_pct))
    return fails.finish()


def load_stats(path):
    """flamed's --stats-json output: one object, or one per line (the daemon's "-"): a list."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def stat_value(obj, key):
    """The value at KEY in a stats object: dotted names; a list's item by index or by its "name"
    (run.sinks.0.sent, run.sinks.pyroscope.sent)."""
    for part in key.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)] if part.isdigit() else \
                next(o for o in obj if isinstance(o, dict) and o.get("name") == part)
        else:
            obj = obj[part]
    return obj


def cmd_stat(args):
    """print the values of keys (docs/stats.md) in flamed's --stats-json output, one a line (the
    last object of a file of JSON lines); a missing key fails"""
    objs = load_stats(args.stats)
    if not objs:
        print("FAIL: %s holds no stats object" % args.stats, file=sys.stderr)
        return 1
    for key in args.keys:
        try:
            v = stat_value(objs[-1], key)
        except (KeyError, IndexError, ValueError, TypeError, StopIteration):
            print("FAIL: no key %s in %s" % (key, args.stats), file=sys.stderr)
            return 1
        print(json.dumps(v) if isinstance(v, (bool, dict, list)) else v)
    return 0


def cmd_costs(args):
    """flamed's own costs in its --stats-json output are there and add up: start-up, and the
    CPU by activity of the run (a capture) or of each window (the daemon's JSON lines)"""
    fails = Failures()
    objs = load_stats(args.stats)
    if not fails.check(objs, "no stats object in %s" % args.stats):
        return fails.finish()
    run = objs[-1]["run"]
    if args.startup:
        st = run["startup"]
        cpu, wall = st["cpu_ns"] / 1e6, st["wall_ns"] / 1e6
        opn, load = st["bpf_open_ns"] / 1e6, st["bpf_load_ns"] / 1e6
        kern, user = st["bpf_load_kernel_ns"] / 1e6, st["bpf_load_libbpf_ns"] / 1e6
        rss, mapped = st["rss_bytes"] / 1048576.0, st["bpf_mapped_bytes"] / 1048576.0
        print("start-up: %.0f ms CPU, %.0f ms wall, load %.1f ms (kernel %.1f, libbpf %.1f), "
              "%.1f MiB resident, %.1f MiB mapped" % (cpu, wall, load, kern, user, rss, mapped))
        fails.check(load > 0 and kern > 0, "the BPF load took no time")
        # the load's CPU is part of the start-up's, and a single thread's CPU fits in its wall;
        # but the CPU counts from exec (the dynamic loader and a dozen libraries, ~15 ms) and
        # the wall from the session's start, so the CPU may pass the wall by that much
        fails.check(kern + user <= cpu + 5, "load CPU %.1f ms > start-up CPU %.1f ms"
                    % (kern + user, cpu))
        fails.check(cpu <= wall + 40, "start-up CPU %.1f ms > its wall %.1f ms + 40" % (cpu, wall))
        fails.check(opn + load <= wall + 1, "open + load > the start-up's wall time")
        fails.check(0 < mapped < rss < args.max_rss_mib,
                    "resident %.1f MiB / mapped %.1f MiB out of (0, %d)" % (rss, mapped,
                                                                           args.max_rss_mib))
        fails.check(st["verifier_instructions"] > 0, "no verifier instruction count")
    # a capture: its run after start-up; the daemon: each window
    agents = [o["window"]["agent"] for o in objs] if objs[-1]["mode"] == "daemon" \
        else [run["agent"]]
    fails.check(len(agents) >= args.min_lines, "%d cost reports, want >= %d"
                % (len(agents), args.min_lines))
    for a in agents:
        total, drain, drains = a["cpu_ns"] / 1e6, a["drain_cpu_ns"] / 1e6, a["drains"]
        events, build = a["events_cpu_ns"] / 1e6, a["build_cpu_ns"] / 1e6
        names, encode = a["names_cpu_ns"] / 1e6, a["encode_cpu_ns"] / 1e6
        print("agent %.1f ms: drain %.1f (%d), events %.1f, build %.1f (names %.1f), encode %.1f"
              % (total, drain, drains, events, build, names, encode))
        # the activities are parts of the total (the rest: the loop, sinks, timers), names a
        # part of the build
        fails.check(drain + events + build + encode <= total + 1,
                    "the activities add up to more than the total %.1f ms" % total)
        fails.check(names <= build + 1, "names %.1f ms > build %.1f ms" % (names, build))
        fails.check(drains >= args.min_drains, "%d drains, want >= %d" % (drains,
                                                                        args.min_drains))
    return fails.finish()


def def_lines(path):
    """{function name: (def line, last line)} of a Python source file, by indentation."""
    out, cur = {}, None
    with open(path) as f:
        lines = f.read().split("\n")
    for no, text in enumerate(lines, 1):
        m = re.match(r"( *)def (\w+)", text)
        if m:
            cur = m.group(2)
            out[cur] = [no, no]
        elif cur and text.strip() and not text.startswith(" "):
            cur = None
        if cur and text.strip():
            out[cur][1] = no
    return out


def cmd_python(args):
    """tests/workloads/python/py_shapes.py under flamed: every phase's Python frames by name, in
    order under <module>, with file and line; each phase's share within the tolerance of what
    the script measured."""
    fails = Failures()
    samples = [s for s in load(args.profile, fails) if s.comm and s.comm.startswith("python")]
    mod, ext = "py_shapes", "py_shapes_mod"
    area = "%s.Shape.area" % mod if args.qualname else "%s.area" % mod
    targets = {"fib": "%s.fib" % mod, "area": area, "crunch": "%s.crunch" % ext,
               "zlib": args.zlib_frame}
    spent = {}
    with open(args.expect) as f:
        for line in f:
            if line.startswith("phase_ms "):
                spent = {k: float(v) for k, v in (w.split("=") for w in line.split()[1:])}
    fails.check(set(spent) == set(targets), "%s has no phase_ms line" % args.expect)
    in_phase = {p: [s for s in samples if any(bare(f) == "%s.phase_%s" % (mod, p)
                                               for f in s.frames)] for p in targets}
    total = sum(s.count for p in targets for s in in_phase[p])
    print("%s: %d python samples, %d in the phases" % (args.profile,
                                                        sum(s.count for s in samples), total))
    if not fails.check(total >= args.min_samples, "only %d samples in the phases (want >= %d)"
                       % (total, args.min_samples)):
        return fails.finish()
    want_total = sum(spent.values()) or 1.0
    if args.hz:
        # a share off with this near HZ: samples misplaced; far below: samples never taken
        print("  %.1f samples in the phases per second of their CPU time (sampling at %d Hz)"
              % (total * 1000.0 / want_total, args.hz))
    phased = {id(s) for p in targets for s in in_phase[p]}
    outside = collections.Counter()
    for s in samples:
        if id(s) not in phased:
            outside[";".join(bare(f) for f in s.frames[-6:])] += s.count
    for p, target in targets.items():
        n = sum(s.count for s in in_phase[p])
        got, want = 100.0 * n / total, 100.0 * spent.get(p, 0) / want_total
        sigma = 100.0 * math.sqrt(max(want, 1.0) / 100.0 * (1 - min(want, 99.0) / 100.0) / total)
        tol = max(args.tolerance, 3.5 * sigma)
        print("  %-7s profile %6.2f %%  script %6.2f %%  diff %+5.2f (tolerance %.2f)"
              % (p, got, want, got - want, tol))
        if not fails.check(abs(got - want) <= tol, "phase %s: %.2f %% in the profile, %.2f %% "
                           "measured (tolerance %.2f points)" % (p, got, want, tol)):
            print("  the process's samples in no phase: %d; the most, leaf last:"
                  % sum(outside.values()))
            for stack, c in outside.most_common(8):
                print("    %5d  %s" % (c, stack))
        # the Python frames of the phase, root first: <module>, main, phase_X, ..., the target
        head = ["%s.<module>" % mod, "%s.main" % mod, "%s.phase_%s" % (mod, p)]
        has = ordered = 0
        for s in in_phase[p]:
            py = [bare(f) for f in s.frames if f.endswith("_[py]")]
            names = [bare(f) for f in s.frames]
            if target not in names:
                continue
            has += s.count
            # the target (a Python function, or the C extension's native frame) is leafward of
            # its phase, and the phase sits under <module> and main
            if py[:3] == head and names.index(target) > names.index(head[2]):
                ordered += s.count
        has_pct, ord_pct = 100.0 * has / max(n, 1), 100.0 * ordered / max(has, 1)
        print("          %s in %.1f %% of its samples; <module>;main;phase_%s;...;%s in order "
              "in %.1f %% of those" % (target, has_pct, p, target, ord_pct))
        fails.check(has_pct >= (args.min_ext_pct if p == "zlib" else args.min_pct),
                    "phase %s: only %.1f %% of samples hold %s" % (p, has_pct, target))
        fails.check(ord_pct >= 99.0, "phase %s: only %.1f %% of samples with %s have it in order"
                    % (p, ord_pct, target))
    # file and line of every Python frame of the script and its module
    src_dir = os.path.dirname(os.path.abspath(args.expect_source))
    for fname, func in ((mod, "fib"), (mod, "area"), (ext, "crunch"), (mod, "main")):
        path = os.path.join(src_dir, fname + ".py")
        lo, hi = def_lines(path)[func]
        name = {"area": area}.get(func, "%s.%s" % (fname, func))
        seen = PY_LINES.get(name + "_[py]", set())
        print("  %s: %s" % (name, sorted(seen)[:6]))
        fails.check(bool(seen), "no pprof location of %s" % name)
        for file, start, line in seen:
            # line 0 is an instruction without a line; the def line is the function's entry
            fails.check(file.endswith("/%s.py" % fname) and start == lo and lo <= line <= hi,
                        "%s at %s line %d (def at %d) is not in %s.py lines %d-%d"
                        % (name, file, line, start, fname, lo, hi))
    return fails.finish()


def js_functions(path):
    """{name: (first line, last line)} of a JavaScript workload's functions and class methods
    (their bodies end at the first line closing the brace at their indentation)."""
    lines = open(path).read().split("\n")
    out, cls = {}, None
    for no, text in enumerate(lines, 1):
        m = re.match(r"(\s*)(?:class (\w+)|(?:async )?function\s*\*?\s*(\w+)\s*\(|"
                     r"(?:static |async |get |set )*(\w+)\s*\(.*\)\s*\{\s*$)", text)
        if not m or (m.group(4) in ("if", "for", "while", "switch", "catch", "function")):
            continue
        indent = m.group(1)
        if m.group(2):
            cls = m.group(2)
            continue
        name = m.group(3) or ("%s.%s" % (cls, m.group(4)) if cls and indent else m.group(4))
        end = next((n for n, t in enumerate(lines[no:], no + 1)
                    if t.startswith(indent + "}")), len(lines))
        out[name] = (no, end)
    return out


def js_samples(args, fails):
    """The workload process's samples (pid from its "pid N" line) and its main thread's."""
    pid = None
    with open(args.expect) as f:
        for line in f:
            if line.startswith("pid "):
                pid = line.split()[1]
    fails.check(pid is not None, "%s has no 'pid N' line" % args.expect)
    samples = [s for s in load(args.profile, fails) if s.pid == pid]
    return samples, [s for s in samples if s.tid == pid]


def js_order(frames, names):
    """Whether names appear in frames in that order, root first (not necessarily adjacent)."""
    bares = [bare(f) for f in frames]
    at = -1
    for n in names:
        if n not in bares[at + 1:]:
            return False
        at = bares.index(n, at + 1)
    return True


def js_check_lines(fails, source, names):
    """Every pprof location of names: the script's file, start line and a line in the body."""
    funcs = js_functions(source)
    for name in names:
        lo, hi = funcs[name]
        seen = JS_LINES.get(name, set())
        print("  %s (lines %d-%d): %s" % (name, lo, hi, sorted(seen)[:6]))
        fails.check(bool(seen), "no pprof location of %s" % name)
        for file, start, line in seen:
            fails.check(file.endswith("/" + os.path.basename(source)) and start == lo and
                        lo <= line <= hi, "%s at %s line %d (start %d) is not in %s lines %d-%d"
                        % (name, file, line, start, os.path.basename(source), lo, hi))


def cmd_js(args):
    """tests/workloads/js/hot.js under flamed: its samples carry hotLoopXyz under driverAbc,
    Grid.relax (a class method) is named under hotLoopXyz, the shares of both match what the
    script measured (main thread), and each JavaScript frame has the script's file and a line
    of its function."""
    fails = Failures()
    samples, main = js_samples(args, fails)
    total, mtotal = sum(s.count for s in samples), sum(s.count for s in main)
    print("%s: %d samples of the process, %d of its main thread" % (args.profile, total, mtotal))
    if not fails.check(mtotal >= args.min_samples, "only %d main-thread samples (want >= %d)"
                       % (mtotal, args.min_samples)):
        return fails.finish()
    under = sum(s.count for s in samples if js_order(s.frames, ["driverAbc", "hotLoopXyz"]))
    pct = 100.0 * under / total
    print("  hotLoopXyz under driverAbc: %.1f %% of the process's samples" % pct)
    fails.check(pct >= args.min_pct, "hotLoopXyz under driverAbc in only %.1f %% of the "
                "process's samples (want >= %.0f %%)" % (pct, args.min_pct))
    want = parse_workload_output(args.expect, "share")
    got = {"Grid.relax": sum(s.count for s in main
                             if js_order(s.frames, ["driverAbc", "hotLoopXyz", "Grid.relax"])),
           "hotLoopXyz_self": sum(s.count for s in main
                                  if js_order(s.frames, ["driverAbc", "hotLoopXyz"]) and
                                  not any(bare(f) == "Grid.relax" for f in s.frames))}
    for name, n in got.items():
        share, w = 100.0 * n / mtotal, want.get(name, -100.0)
        sigma = 100.0 * math.sqrt(max(w, 1.0) / 100.0 * (1 - min(w, 99.0) / 100.0) / mtotal)
        tol = max(args.tolerance, 4.0 * sigma)
        print("  %-16s profile %6.2f %%  script %6.2f %%  diff %+5.2f (tolerance %.2f)"
              % (name, share, w, share - w, tol))
        fails.check(abs(share - w) <= tol, "%s: %.2f %% in the profile, %.2f %% measured "
                    "(tolerance %.2f points)" % (name, share, w, tol))
    unnamed = sum(s.count for s in main if any(bare(f) == "[js]" for f in s.frames))
    raw = sum(s.count for s in main if any(RAW_ADDR.fullmatch(f) for f in s.frames))
    print("  main-thread samples with an unnamed JS frame %.2f %%, a raw address %.2f %%"
          % (100.0 * unnamed / mtotal, 100.0 * raw / mtotal))
    fails.check(100.0 * unnamed / mtotal <= args.max_unnamed_pct,
                "%.2f %% of samples hold an unnamed JS frame" % (100.0 * unnamed / mtotal))
    fails.check(100.0 * raw / mtotal <= args.max_raw_pct,
                "%.2f %% of samples hold a raw address" % (100.0 * raw / mtotal))
    js_check_lines(fails, args.source, ["hotLoopXyz", "Grid.relax", "driverAbc"])
    return fails.finish()


def cmd_jscheck(args):
    """A JavaScript workload under flamed (pid from its "pid N" line): chains of frames in order
    in enough of the process's samples (--under), main-thread shares of chains against what the
    script measured (--share NAME=A,B: its "share NAME" line), a closed call graph (--graph A>B
    over the --known functions: any two of them adjacent in a stack, ignoring frames of other
    code between, must be an edge: a misnamed frame breaks it), and lines (--lines)."""
    fails = Failures()
    samples, main = js_samples(args, fails)
    total, mtotal = sum(s.count for s in samples), sum(s.count for s in main)
    print("%s: %d samples of the process, %d of its main thread" % (args.profile, total, mtotal))
    if not fails.check(mtotal >= args.min_samples, "only %d main-thread samples (want >= %d)"
                       % (mtotal, args.min_samples)):
        return fails.finish()
    for chain in args.under:
        names = chain.split(",")
        n = sum(s.count for s in samples if js_order(s.frames, names))
        print("  %s: %.1f %% of the process's samples" % (" > ".join(names), 100.0 * n / total))
        fails.check(100.0 * n / total >= args.min_under, "%s in only %.1f %% of the samples "
                    "(want >= %.0f %%)" % (" > ".join(names), 100.0 * n / total, args.min_under))
    want = parse_workload_output(args.expect, "share")
    for spec in args.share:
        name, chain = spec.split("=")
        n = sum(s.count for s in main if js_order(s.frames, chain.split(",")))
        share, w = 100.0 * n / mtotal, want.get(name, -100.0)
        sigma = 100.0 * math.sqrt(max(w, 1.0) / 100.0 * (1 - min(w, 99.0) / 100.0) / mtotal)
        tol = max(args.tolerance, 4.0 * sigma)
        print("  %-14s profile %6.2f %%  script %6.2f %%  diff %+5.2f (tolerance %.2f)"
              % (name, share, w, share - w, tol))
        fails.check(abs(share - w) <= tol, "%s: %.2f %% in the profile, %.2f %% measured "
                    "(tolerance %.2f points)" % (name, share, w, tol))
    if args.known:
        known = set(args.known.split(","))
        edges = {tuple(e.split(">")) for e in args.graph}
        bad = collections.Counter()
        seen = collections.Counter()
        for s in samples:
            ours = [bare(f) for f in s.frames if bare(f) in known]
            for n in ours:
                seen[n] += s.count
            for a, b in zip(ours, ours[1:]):
                if (a, b) not in edges:
                    bad["%s > %s" % (a, b)] += s.count
        print("  frames of the script: %s" % dict(seen))
        for e, n in bad.most_common(5):
            print("  not in the call graph: %s (%d samples)" % (e, n))
        fails.check(not bad, "%d samples hold frames the script's call graph does not allow"
                    % sum(bad.values()))
    unnamed = sum(s.count for s in main if any(bare(f) == "[js]" for f in s.frames))
    raw = sum(s.count for s in main if any(RAW_ADDR.fullmatch(f) for f in s.frames))
    print("  main-thread samples with an unnamed JS frame %.2f %%, a raw address %.2f %%"
          % (100.0 * unnamed / mtotal, 100.0 * raw / mtotal))
    fails.check(100.0 * unnamed / mtotal <= args.max_unnamed_pct,
                "%.2f %% of samples hold an unnamed JS frame" % (100.0 * unnamed / mtotal))
    fails.check(100.0 * raw / mtotal <= args.max_raw_pct,
                "%.2f %% of samples hold a raw address" % (100.0 * raw / mtotal))
    if args.lines:
        js_check_lines(fails, args.source, args.lines.split(","))
    return fails.finish()


def cmd_pyworkers(args):
    """tests/workloads/python/py_workers.py: each thread's ("thread NAME TID" lines) or each
    forked worker's ("child PID" lines) samples hold its own Python function, and no other's."""
    fails = Failures()
    samples = load(args.profile, fails)
    want = []
    with open(args.expect) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "thread":
                want.append(("thread", parts[2], "py_workers.work_" + parts[1]))
            elif len(parts) == 2 and parts[0] == "child":
                want.append(("pid", parts[1], "py_workers.work_child"))
    fails.check(len(want) >= args.min_workers, "%d workers in %s (want >= %d)"
                % (len(want), args.expect, args.min_workers))
    others = {fn for _, _, fn in want}
    for kind, ident, fn in want:
        mine = [s for s in samples if (s.tid if kind == "thread" else s.pid) == ident]
        n = sum(s.count for s in mine)
        py = [[bare(f) for f in s.frames if f.endswith("_[py]")] for s in mine]
        hit = sum(s.count for s, p in zip(mine, py) if fn in p)
        wrong = sum(s.count for s, p in zip(mine, py) if any(o in p for o in others - {fn}))
        print("  %s %s: %d samples, %d (%.1f %%) in %s, %d in another worker's function"
              % (kind, ident, n, hit, 100.0 * hit / max(n, 1), fn, wrong))
        fails.check(n >= args.min_samples, "%s %s: %d samples (want >= %d)"
                    % (kind, ident, n, args.min_samples))
        fails.check(100.0 * hit / max(n, 1) >= args.min_pct, "%s %s: only %.1f %% in %s"
                    % (kind, ident, 100.0 * hit / max(n, 1), fn))
        fails.check(wrong == 0, "%s %s: %d samples name another worker's function"
                    % (kind, ident, wrong))
    return fails.finish()


def in_order(names, chain):
    """Whether the frames of chain appear in names (root first) in that order."""
    pos = 0
    for name in names:
        if pos < len(chain) and name == chain[pos]:
            pos += 1
    return pos == len(chain)


def cmd_interp(args):
    """A PHP or Ruby workload (tests/workloads/{php,ruby}/hot.*): the share of the process's
    samples under the --under chain, each phase's share against what the script measured
    ("phase_ms NAME=MS ..."), the frames of a phase in order, and the lines of its hot lines
    ("line NAME N") in pprof."""
    fails = Failures()
    suf = RT_MAPS[args.mapping]
    samples = [s for s in load(args.profile, fails) if s.comm and s.comm.startswith(args.comm)
               and (args.tid is None or s.tid == args.tid)]
    spent, lines = {}, {}
    with open(args.expect) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "phase_ms":
                spent = {k: float(v) for k, v in (x.split("=") for x in w[1:])}
            elif len(w) == 3 and w[0] == "line":
                lines[w[1]] = int(w[2])
    phases = dict(p.split("=", 1) for p in args.phase)
    fails.check(set(phases) <= set(spent), "%s: no phase_ms for %s" % (args.expect,
                                                                       sorted(phases)))
    total = sum(s.count for s in samples)
    print("%s: %d samples of %s%s" % (args.profile, total, args.comm,
                                        " thread %s" % args.tid if args.tid else ""))
    if not fails.check(total >= args.min_samples, "only %d samples (want >= %d)"
                       % (total, args.min_samples)):
        return fails.finish()
    under = args.under.split(",")
    rt = [[bare(f) for f in s.frames if f.endswith(suf)] for s in samples]
    n_under = sum(s.count for s, r in zip(samples, rt) if in_order(r, under))
    pct = 100.0 * n_under / total
    print("  %s in order: %.1f %% of the samples" % (";".join(under), pct))
    fails.check(pct >= args.min_under, "only %.1f %% of samples under %s (want >= %.0f %%)"
                % (pct, ";".join(under), args.min_under))
    in_phase = {p: [s for s, r in zip(samples, rt) if fn in r] for p, fn in phases.items()}
    ptotal = sum(s.count for p in phases for s in in_phase[p])
    want_total = sum(spent.get(p, 0) for p in phases) or 1.0
    for p, fn in phases.items():
        n = sum(s.count for s in in_phase[p])
        got, want = 100.0 * n / max(ptotal, 1), 100.0 * spent.get(p, 0) / want_total
        sigma = 100.0 * math.sqrt(max(want, 1.0) / 100.0 * (1 - min(want, 99.0) / 100.0)
                                  / max(ptotal, 1))
        tol = max(args.tolerance, 3.5 * sigma)
        print("  %-8s %-22s profile %6.2f %%  script %6.2f %%  diff %+5.2f (tolerance %.2f)"
              % (p, fn, got, want, got - want, tol))
        fails.check(abs(got - want) <= tol, "%s: %.2f %% in the profile, %.2f %% measured "
                    "(tolerance %.2f points)" % (fn, got, want, tol))
    for spec in args.chain:
        chain = spec.split(",")
        mine = [s for s in samples if chain[-1] in [bare(f) for f in s.frames]]
        n = sum(s.count for s in mine)
        ok = sum(s.count for s in mine if in_order([bare(f) for f in s.frames], chain))
        print("  %s in order in %.1f %% of the %d samples with %s"
              % (";".join(chain), 100.0 * ok / max(n, 1), n, chain[-1]))
        fails.check(n > 0 and 100.0 * ok / n >= args.min_chain,
                    "%s in order in only %.1f %% of samples with %s"
                    % (";".join(chain), 100.0 * ok / max(n, 1), chain[-1]))
    for spec in args.line:
        fn, mark = spec.split("=", 1)
        want = lines.get(mark)
        got = {k: v for k, v in RT_LINES.items() if k[0] == fn + suf}
        n = sum(got.values())
        hit = sum(v for k, v in got.items() if k[3] == want)
        files = {os.path.basename(k[1]) for k in got}
        print("  %s: line %s (marked %s) in %.1f %% of its %d sampled frames; files %s; lines %s"
              % (fn, want, mark, 100.0 * hit / max(n, 1), n, sorted(files),
                 sorted({k[3] for k in got})[:8]))
        fails.check(want is not None and files == {os.path.basename(args.source)},
                    "%s: file %s, want %s" % (fn, sorted(files), args.source))
        fails.check(100.0 * hit / max(n, 1) >= args.min_line_pct,
                    "%s: its hot line %s in only %.1f %% of its frames (want >= %.0f %%)"
                    % (fn, want, 100.0 * hit / max(n, 1), args.min_line_pct))


def cmd_threads(args):
    """A workload's threads ("thread NAME TID CPU_MS" lines): each thread's samples carry its
    name as thread_name (95 %), hold its own --func NAME=FRAME (and no other thread's), its --chain
    NAME=FRAME,FRAME,... in order, and its share of the threads' samples is within --tolerance
    points of its share of their CPU time."""
    fails = Failures()
    samples = load(args.profile, fails)
    threads = []
    with open(args.expect) as f:
        for line in f:
            w = line.split()
            if len(w) == 4 and w[0] == "thread":
                threads.append((w[1], w[2], float(w[3])))
    fns = dict(x.split("=", 1) for x in args.func)
    chains = {}
    for x in args.chain:
        name, chain = x.split("=", 1)
        chains.setdefault(name, []).append(chain.split(","))
    fails.check(len(threads) >= 2 and {t[0] for t in threads} <= set(fns),
                "threads %s in %s, functions for %s" % ([t[0] for t in threads], args.expect,
                                                          sorted(fns)))
    mine = {tid: [s for s in samples if s.tid == tid] for _, tid, _ in threads}
    n_all = sum(s.count for tid in mine for s in mine[tid])
    ms_all = sum(ms for _, _, ms in threads) or 1.0
    for name, tid, ms in threads:
        ss = mine[tid]
        n = sum(s.count for s in ss)
        named = sum(s.count for s in ss if s.labels.get("thread_name") == name)
        frames = [[bare(f) for f in s.frames] for s in ss]
        hit = sum(s.count for s, fr in zip(ss, frames) if fns[name] in fr)
        wrong = sum(s.count for s, fr in zip(ss, frames)
                    if any(fns[o] in fr for o, _, _ in threads if o != name))
        got, want = 100.0 * n / max(n_all, 1), 100.0 * ms / ms_all
        print("  thread %s (%s): %d samples, %.1f %% named %s, %.1f %% in %s, %d in another's; "
              "share %.2f %%, its CPU %.2f %%" % (name, tid, n, 100.0 * named / max(n, 1), name,
                                                  100.0 * hit / max(n, 1), fns[name], wrong,
                                                  got, want))
        fails.check(n >= args.min_samples, "thread %s: %d samples (want >= %d)"
                    % (name, n, args.min_samples))
        # the thread names itself when it starts: its first samples may carry the old name
        fails.check(named >= 0.95 * n, "thread %s: only %d of its %d samples with thread_name %s"
                    % (name, named, n, name))
        fails.check(100.0 * hit / max(n, 1) >= args.min_pct, "thread %s: only %.1f %% in %s"
                    % (name, 100.0 * hit / max(n, 1), fns[name]))
        fails.check(wrong == 0, "thread %s: %d samples in another thread's function"
                    % (name, wrong))
        fails.check(abs(got - want) <= args.tolerance, "thread %s: %.2f %% of the samples, "
                    "%.2f %% of the CPU time" % (name, got, want))
        for chain in chains.get(name, []):
            with_leaf = [(s, fr) for s, fr in zip(ss, frames) if chain[-1] in fr]
            k = sum(s.count for s, _ in with_leaf)
            ok = sum(s.count for s, fr in with_leaf if in_order(fr, chain))
            print("    %s in order in %.1f %% of the %d samples with %s"
                  % (";".join(chain), 100.0 * ok / max(k, 1), k, chain[-1]))
            fails.check(k > 0 and 100.0 * ok / k >= args.min_chain,
                        "thread %s: %s in order in only %.1f %% of samples with %s"
                        % (name, ";".join(chain), 100.0 * ok / max(k, 1), chain[-1]))
    return fails.finish()


def cmd_labels(args):
    """Every sample of process COMM carries the string labels --want KEY=VALUE, none of the
    --none keys, and there are at least --min-samples of them; --absent: no sample of COMM."""
    fails = Failures()
    samples = select(load(args.profile, fails), comm=args.comm)
    total = sum(s.count for s in samples)
    want = dict(kv.split("=", 1) for kv in args.want)
    none = [k for k in args.none.split(",") if k] if args.none else []
    print("%s: %d samples in %d sample records" % (args.comm, total, len(samples)))
    seen = collections.Counter()
    for s in samples:
        seen[tuple(sorted((k, v) for k, v in s.labels.items() if k in want or k in none))] += s.count
    for labels, n in seen.most_common():
        print("  %d with %s" % (n, dict(labels) or "none of those labels"))
    if args.absent:
        fails.check(total == 0, "%d samples of %s, want none" % (total, args.comm))
        return fails.finish()
    fails.check(total >= args.min_samples, "%d samples of %s, want at least %d" %
                (total, args.comm, args.min_samples))
    for s in samples:
        for k, v in want.items():
            fails.check(s.labels.get(k) == v, "a sample of %s has %s=%r, want %r" %
                        (args.comm, k, s.labels.get(k), v))
        for k in none:
            fails.check(k not in s.labels, "a sample of %s has %s=%r" %
                        (args.comm, k, s.labels.get(k)))
        if fails.msgs:
            break
    return fails.finish()


def workload_lines(path, key):
    """Lines "KEY NAME VALUE" of a workload's output -> {NAME: VALUE} (strings)."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == key:
                out[parts[1]] = parts[2]
    return out


def in_order(names, chain):
    """Whether every name of chain is in names, root to leaf in chain's order."""
    pos = -1
    for want in chain:
        idx = [i for i, n in enumerate(names) if n == want and i > pos]
        if not idx:
            return False
        pos = idx[0]
    return True


def java_method_lines(src, method):
    """(first, last) line of a Java method in src: from its declaration to its closing brace at
    the declaration's indentation."""
    with open(src) as f:
        text = f.read().split("\n")
    for no, line in enumerate(text, 1):
        m = re.match(r"( *)\S.*\b%s\(" % re.escape(method), line)
        if m and "{" in line and not line.strip().startswith("//"):
            indent = m.group(1)
            for end in range(no, len(text)):
                if text[end] == indent + "}":
                    return no, end + 1
    return None


def check_thread_chain(fails, samples, label, chain, min_pct, measured=None, tol=3.0):
    """Samples whose frames hold chain's leaf: at least min_pct % of samples, in chain's order
    in >= 99 % of them; with measured, the share within tol points of it."""
    total = sum(s.count for s in samples)
    leaf = chain[-1]
    has = [s for s in samples if leaf in [bare(f) for f in s.frames]]
    n = sum(s.count for s in has)
    ordered = sum(s.count for s in has if in_order([bare(f) for f in s.frames], chain))
    pct = 100.0 * n / max(total, 1)
    print("  %s: %d of %d samples (%.1f %%) hold %s; %s in order in %.1f %% of those%s"
          % (label, n, total, pct, leaf, ";".join(chain), 100.0 * ordered / max(n, 1),
             "" if measured is None else "; the program measured %.2f %%" % measured))
    fails.check(total > 0, "%s: no samples" % label)
    if min_pct is not None:
        fails.check(pct >= min_pct, "%s: only %.1f %% of samples hold %s (want >= %g)"
                    % (label, pct, leaf, min_pct))
    fails.check(100.0 * ordered / max(n, 1) >= 99.0, "%s: %s not in order in %.1f %% of samples"
                % (label, ";".join(chain), 100.0 - 100.0 * ordered / max(n, 1)))
    if measured is not None:
        # few samples: sampling's own spread (3.5 sigma) is the tolerance, as for Python
        sigma = 100.0 * math.sqrt(max(measured, 1.0) / 100.0 * (1 - min(measured, 99.0) / 100.0)
                                  / max(total, 1))
        tol = max(tol, 3.5 * sigma)
        fails.check(abs(pct - measured) <= tol, "%s: %.2f %% in the profile, %.2f %% measured "
                    "(tolerance %.2f points)" % (label, pct, measured, tol))
    return has


def cmd_java(args):
    """tests/workloads/java (Hot, HotJni, HotChurn) under flamed: Java frames by name, in order
    with the native ones, with file and line, against what the programs measured."""
    fails = Failures()
    samples = load(args.profile, fails)
    tids = workload_lines(args.expect, "tid")
    shares = {k: float(v) for k, v in workload_lines(args.expect, "share").items()}
    if args.pid:
        samples = [s for s in samples if s.pid == str(args.pid)]
    unnamed = sum(s.count for s in samples if any(bare(f) == "[java]" for f in s.frames))
    print("%s: %d samples of the JVM, %d with an unnamed Java frame" % (
        args.profile, sum(s.count for s in samples), unnamed))
    # code unloaded before a drain read it is unnamed (churn), and so is code that first ran
    # in the JVM's last moments (its shutdown) before it exited
    if args.workload != "churn":
        fails.check(unnamed <= 0.05 * max(1, sum(s.count for s in samples)),
                    "%d samples hold an unnamed Java frame ([java])" % unnamed)

    def thread(name):
        fails.check(name in tids, "no 'tid %s' line in %s" % (name, args.expect))
        return [s for s in samples if s.tid == tids.get(name)]

    if args.workload == "hot":
        main = thread("main")
        # the main thread: Hot.inner under Hot.outer under Hot.main, as interpreted, compiled
        # and inlined code; shares against the program's own clock. Left out: the JVM's start-up
        # and the program's reports, costs fixed in wall time that weigh more the less CPU the
        # thread gets on a loaded host (a walk that fails holds neither name)
        chain = ["Hot.main", "Hot.outer", "Hot.inner"]
        fixed = {"JNI_CreateJavaVM", "Hot.report"}
        work = [s for s in main if not fixed & {bare(f) for f in s.frames}]
        print("  main thread: %d samples, %d of them in the JVM's start-up or Hot.report"
              % (sum(s.count for s in main), sum(s.count for s in main) -
                 sum(s.count for s in work)))
        has = check_thread_chain(fails, work, "main thread", chain, args.min_pct)
        # the shares of the two stretches the program timed, among the samples in them
        timed = [s for s in main if {"Hot.outer", "Hot.side"} & {bare(f) for f in s.frames}]
        for name in ("Hot.outer", "Hot.side"):
            check_thread_chain(fails, timed, "timed stretches", ["Hot.main", name], None,
                               shares.get(name), args.tolerance)
        inl = [s for s in has if "Hot.inner_[i]" in s.frames]
        n_inl = sum(s.count for s in inl)
        print("  Hot.inner as a frame inlined into Hot.outer in %d samples" % n_inl)
        if args.min_inlined:
            fails.check(n_inl >= args.min_inlined, "Hot.inner inlined in only %d samples (want "
                        ">= %d)" % (n_inl, args.min_inlined))
            check_thread_chain(fails, inl, "inlined", chain, 99.0)
        lo, hi = java_method_lines(args.source, "inner")
        seen = JAVA_LINES.get("Hot.inner", set())
        print("  Hot.inner at %s (Hot.java lines %d-%d)" % (sorted(seen)[:6], lo, hi))
        fails.check(bool(seen), "no pprof Line of Hot.inner")
        for file, line in seen:
            # line 0: a pc the JIT left no debug information at, named but not placed
            fails.check(file == "Hot.java" and (lo <= line <= hi or line == 0),
                        "Hot.inner at %s:%d, not Hot.java:%d-%d" % (file, line, lo, hi))
        fails.check(any(lo < line for _, line in seen), "Hot.inner never past its first line")
        if args.threads:
            worker = thread("hot-worker")
            # named by the JVM as its thread starts: the first moments are still "java"
            named = sum(s.count for s in worker if s.thread_name == "hot-worker")
            total = max(1, sum(s.count for s in worker))
            print("  hot-worker thread names: %s, hot-worker on %.1f %% of its samples"
                  % (sorted({s.thread_name or "" for s in worker}), 100.0 * named / total))
            fails.check(named >= 0.95 * total, "hot-worker's thread_name label on only %.1f %% "
                        "of its samples" % (100.0 * named / total))
            check_thread_chain(fails, worker, "hot-worker", ["Hot.worker", "Hot$Square.area"],
                               10.0)
            check_thread_chain(fails, worker, "hot-worker", ["Hot.worker",
                                                             "Hot.lambda$worker$0"], 3.0)
    elif args.workload == "jni":
        main = thread("main")
        jni = ["HotJni.main", "HotJni.viaJni", "HotJni.nativeSpin", "Java_HotJni_nativeSpin"]
        # both directions, in order; shares among the samples of the two parts the native side
        # timed: c_spin, and the call back into Java (the JNI call, its way in and the callback)
        back = "jni_CallStaticLongMethod"
        timed = [s for s in main if {"c_spin", back} & {bare(f) for f in s.frames}]
        fails.check(sum(s.count for s in timed) >= 0.8 * sum(s.count for s in main),
                    "only %d of the main thread's %d samples in c_spin or the call back"
                    % (sum(s.count for s in timed), sum(s.count for s in main)))
        check_thread_chain(fails, timed, "timed parts", jni + ["c_spin"], None,
                           shares.get("c_spin"), args.tolerance)
        check_thread_chain(fails, timed, "timed parts", jni + [back], None,
                           shares.get("HotJni.javaCallback"), args.tolerance)
        check_thread_chain(fails, timed, "timed parts", jni + [back, "HotJni.javaCallback"],
                           70.0 * shares.get("HotJni.javaCallback", 0) / 100.0)
    elif args.workload == "churn":
        unload, deopt = thread("churn-unload"), thread("churn-deopt")
        wrong = 0
        pay = {"PayloadA.apply": 0, "PayloadB.apply": 0}
        for s in unload:
            names = [bare(f) for f in s.frames]
            for run, mine, other in (("HotChurn.runA", "PayloadA.apply", "PayloadB.apply"),
                                     ("HotChurn.runB", "PayloadB.apply", "PayloadA.apply")):
                if run in names:
                    wrong += s.count * (other in names)
                    pay[mine] += s.count * (mine in names)
        for s in deopt:
            wrong += s.count * any(bare(f).startswith("Payload") for f in s.frames)
        print("  churn-unload: %s; churn-deopt: %d samples, %d in HotChurn$Twist.apply; "
              "misattributed %d" % (pay, sum(s.count for s in deopt),
                                    count_with(deopt, "HotChurn$Twist.apply"), wrong))
        fails.check(wrong == 0, "%d samples name a method the thread was not running" % wrong)
        fails.check(all(v > 0 for v in pay.values()), "a payload's method never named: %s" % pay)
        fails.check(count_with(deopt, "HotChurn.loop") > 0, "churn-deopt: no HotChurn.loop")
    return fails.finish()


def cmd_dump(args):
    fails = Failures()
    for s in load(args.profile, fails):
        print("%d pid=%s comm=%s thread=%s %s" % (s.count, s.pid, s.comm, s.tid,
                                                  ";".join(s.frames)))
    return fails.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("shares", help=cmd_shares.__doc__)
    p.add_argument("profile")
    p.add_argument("--comm", required=True)
    p.add_argument("--pid")
    p.add_argument("--expect", required=True, help="the workload's stdout")
    p.add_argument("--tolerance", type=float, default=3.0)
    p.add_argument("--main-min", type=float, default=95.0)
    p.add_argument("--excuse", type=int, default=0,
                   help="misses of main to forgive: flamed's count of samples that met a table "
                   "still building")
    p.add_argument("--min-samples", type=int, default=200)
    p.add_argument("--max-raw-pct", type=float, default=5.0)
    p.add_argument("--hz", type=int, help="check samples ~ the workload's cpu_ms x HZ")
    p.add_argument("--rate-min", type=float, default=0.5)
    p.add_argument("--rate-max", type=float, default=1.5)
    p.set_defaults(fn=cmd_shares)

    p = sub.add_parser("python", help=cmd_python.__doc__)
    p.add_argument("profile", help="a pprof file (lines and files are checked)")
    p.add_argument("--expect", required=True, help="the script's stdout")
    p.add_argument("--expect-source", required=True, help="py_shapes.py")
    p.add_argument("--qualname", action="store_true", help="3.11+: Shape.area, not area")
    p.add_argument("--zlib-frame", default="crc32_z")
    p.add_argument("--tolerance", type=float, default=2.0)
    p.add_argument("--min-pct", type=float, default=95.0, help="phase samples with the target")
    # the zlib phase also runs the zlib module's argument handling and the generator: crc32_z
    # holds 97-99 % of it
    p.add_argument("--min-ext-pct", type=float, default=90.0, help="... in the C extension")
    p.add_argument("--hz", type=int, help="print the samples per second of the phases' CPU time")
    p.add_argument("--min-samples", type=int, default=400)
    p.set_defaults(fn=cmd_python)

    p = sub.add_parser("interp", help=cmd_interp.__doc__)
    p.add_argument("profile", help="a pprof file")
    p.add_argument("--mapping", required=True, choices=sorted(RT_MAPS))
    p.add_argument("--comm", required=True, help="process name prefix")
    p.add_argument("--tid", help="only this thread's samples")
    p.add_argument("--expect", required=True, help="the script's stdout")
    p.add_argument("--source", required=True, help="the script (its file name in pprof)")
    p.add_argument("--under", required=True, help="FRAME,FRAME,...: a chain, root first")
    p.add_argument("--min-under", type=float, default=85.0)
    p.add_argument("--phase", action="append", default=[], help="NAME=FRAME")
    p.add_argument("--chain", action="append", default=[], help="FRAME,FRAME,...")
    p.add_argument("--min-chain", type=float, default=95.0)
    p.add_argument("--line", action="append", default=[], help="FRAME=MARK: its hot line")
    p.add_argument("--min-line-pct", type=float, default=50.0)
    p.add_argument("--tolerance", type=float, default=3.0)
    p.add_argument("--min-samples", type=int, default=300)
    p.set_defaults(fn=cmd_interp)

    p = sub.add_parser("java", help=cmd_java.__doc__)
    p.add_argument("profile")
    p.add_argument("workload", choices=["hot", "jni", "churn"])
    p.add_argument("--expect", required=True, help="the workload's output")
    p.add_argument("--source", help="Hot.java, for its line numbers")
    p.add_argument("--pid", type=int, help="only this process's samples")
    p.add_argument("--threads", action="store_true", help="Hot ran its hot-worker thread")
    p.add_argument("--min-inlined", type=int, default=0,
                   help="samples of Hot.inner inlined into Hot.outer at least")
    p.add_argument("--tolerance", type=float, default=3.0)
    p.add_argument("--min-pct", type=float, default=90.0,
                   help="Hot: share of the main thread's samples in Hot.inner at least")
    p.set_defaults(fn=cmd_java)
    p = sub.add_parser("js", help=cmd_js.__doc__)
    p.add_argument("profile", help="a pprof file (lines and files are checked)")
    p.add_argument("--expect", required=True, help="the script's stdout")
    p.add_argument("--source", required=True, help="tests/workloads/js/hot.js")
    p.add_argument("--min-pct", type=float, default=85.0)
    p.add_argument("--tolerance", type=float, default=3.0)
    p.add_argument("--min-samples", type=int, default=200)
    p.add_argument("--max-unnamed-pct", type=float, default=2.0)
    # JIT code compiled before flamed registered the code space (start-up): a few samples
    p.add_argument("--max-raw-pct", type=float, default=3.0)
    p.set_defaults(fn=cmd_js)

    p = sub.add_parser("jscheck", help=cmd_jscheck.__doc__)
    p.add_argument("profile", help="a pprof file")
    p.add_argument("--expect", required=True, help="the script's stdout")
    p.add_argument("--source", required=True, help="the script")
    p.add_argument("--under", action="append", default=[], help="A,B,...: a chain, root first")
    p.add_argument("--min-under", type=float, default=85.0)
    p.add_argument("--share", action="append", default=[], help="NAME=A,B,...")
    p.add_argument("--tolerance", type=float, default=3.0)
    p.add_argument("--known", help="A,B,...: the script's functions")
    p.add_argument("--graph", action="append", default=[], help="A>B: a call the script makes")
    p.add_argument("--lines", help="A,B,...: functions whose lines are checked")
    p.add_argument("--min-samples", type=int, default=200)
    p.add_argument("--max-unnamed-pct", type=float, default=2.0)
    p.add_argument("--max-raw-pct", type=float, default=3.0)
    p.set_defaults(fn=cmd_jscheck)

    p = sub.add_parser("threads", help=cmd_threads.__doc__)
    p.add_argument("profile", help="a pprof file (thread labels)")
    p.add_argument("--expect", required=True, help="the workload's stdout")
    p.add_argument("--func", action="append", default=[], help="NAME=FRAME: a thread's function")
    p.add_argument("--chain", action="append", default=[], help="NAME=FRAME,FRAME,...")
    p.add_argument("--min-pct", type=float, default=90.0)
    p.add_argument("--min-chain", type=float, default=95.0)
    p.add_argument("--tolerance", type=float, default=3.0)
    p.add_argument("--min-samples", type=int, default=100)
    p.set_defaults(fn=cmd_threads)

    p = sub.add_parser("pyworkers", help=cmd_pyworkers.__doc__)
    p.add_argument("profile")
    p.add_argument("--expect", required=True, help="the script's stdout")
    p.add_argument("--min-workers", type=int, default=2)
    p.add_argument("--min-samples", type=int, default=50)
    # the main thread's start-up (imports, starting the others) is outside its function
    p.add_argument("--min-pct", type=float, default=80.0)
    p.set_defaults(fn=cmd_pyworkers)

    p = sub.add_parser("reach", help=cmd_reach.__doc__)
    p.add_argument("profile")
    p.add_argument("--comm", required=True)
    p.add_argument("--frame", action="append", required=True)
    p.add_argument("--min-pct", type=float, default=0.0)
    p.add_argument("--max-pct", type=float, default=100.0)
    p.add_argument("--min-samples", type=int, default=200)
    p.add_argument("--depth-func")
    p.add_argument("--depth-frame")
    p.add_argument("--depth-min", type=int, default=0)
    p.set_defaults(fn=cmd_reach)

    p = sub.add_parser("offcpu", help=cmd_offcpu.__doc__)
    p.add_argument("profile", help="a pprof file")
    p.add_argument("--tid", required=True, help="the thread (its 'thread' label)")
    p.add_argument("--expect", required=True, help="workload output: 'offcpu NAME MS' lines")
    p.add_argument("--tolerance", type=float, default=5.0, help="points of share")
    p.add_argument("--total-tolerance", type=float, default=10.0, help="percent of the total")
    p.add_argument("--kernel", action="append", default=[], metavar="FUNC=REGEX",
                   help="FUNC's waits end under a kernel frame matching REGEX")
    p.add_argument("--kernel-min-pct", type=float, default=90.0)
    p.set_defaults(fn=cmd_offcpu)

    p = sub.add_parser("kernel", help=cmd_kernel.__doc__)
    p.add_argument("profile")
    p.add_argument("--comm", required=True)
    p.add_argument("--min-kernel-pct", type=float, default=30.0)
    p.add_argument("--min-user-pct", type=float, default=90.0)
    p.add_argument("--min-samples", type=int, default=50)
    p.add_argument("--entry-regex", default=r"entry_SYSCALL|__x64_sys_|do_syscall|x64_sys_call")
    p.add_argument("--user-func", help="the user function that makes the syscalls")
    p.add_argument("--min-func-pct", type=float, default=90.0)
    p.set_defaults(fn=cmd_kernel)

    p = sub.add_parser("pids", help=cmd_pids.__doc__)
    p.add_argument("profile")
    p.add_argument("--require", action="append", default=[], metavar="PID[:COMM]")
    p.add_argument("--forbid", action="append", default=[], metavar="PID")
    p.add_argument("--only", nargs="*", metavar="PID")
    p.add_argument("--min-samples", type=int, default=1)
    p.add_argument("--single-threaded", action="store_true")
    p.add_argument("--total", type=int, help="the sample count flamed's summary line reported")
    p.add_argument("--show", type=int, default=10)
    p.set_defaults(fn=cmd_pids)

    p = sub.add_parser("consistent", help=cmd_consistent.__doc__)
    p.add_argument("folded")
    p.add_argument("pprof")
    p.add_argument("--value", default="samples", help="the pprof's sample type to compare")
    p.set_defaults(fn=cmd_consistent)

    p = sub.add_parser("lines", help=cmd_lines.__doc__)
    p.add_argument("profile")
    p.add_argument("--func", required=True)
    p.add_argument("--inline", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--line", type=int, required=True)
    p.add_argument("--min-pct", type=float, default=50.0)
    p.set_defaults(fn=cmd_lines)

    p = sub.add_parser("funcs", help=cmd_funcs.__doc__)
    p.add_argument("profile")
    p.add_argument("--comm", required=True)
    p.add_argument("--func", action="append", required=True)
    p.add_argument("--pid-not", action="append", default=[])
    p.add_argument("--min-samples", type=int, default=1)
    p.add_argument("--min-pct", type=float, default=0.0)
    p.add_argument("--min-pids", type=int, default=0)
    p.add_argument("--max-raw-pct", type=float, default=100.0)
    p.set_defaults(fn=cmd_funcs)

    p = sub.add_parser("costs", help=cmd_costs.__doc__)
    p.add_argument("stats", help="flamed's --stats-json output")
    p.add_argument("--startup", action="store_true", help="check the start-up figures")
    p.add_argument("--min-lines", type=int, default=1, help="cost reports (windows) at least")
    p.add_argument("--min-drains", type=int, default=1, help="drains per report at least")
    p.add_argument("--max-rss-mib", type=int, default=256)
    p.set_defaults(fn=cmd_costs)

    p = sub.add_parser("labels", help=cmd_labels.__doc__)
    p.add_argument("profile")
    p.add_argument("--comm", required=True)
    p.add_argument("--want", action="append", default=[], help="KEY=VALUE")
    p.add_argument("--none", help="KEY,KEY...: labels no sample may have")
    p.add_argument("--min-samples", type=int, default=20)
    p.add_argument("--absent", action="store_true")
    p.set_defaults(fn=cmd_labels)

    p = sub.add_parser("stat", help=cmd_stat.__doc__)
    p.add_argument("stats", help="flamed's --stats-json output")
    p.add_argument("keys", nargs="+", help="dotted keys, e.g. run.samples.total")
    p.set_defaults(fn=cmd_stat)

    p = sub.add_parser("dump", help="print every sample, root first")
    p.add_argument("profile")
    p.set_defaults(fn=cmd_dump)

    args = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    try:
        return args.fn(args)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
        print("FAIL: %s: %s" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
