# SPDX-License-Identifier: MIT
"""Parsing and statistics helpers of the bench (benchcore.py, figures/), kept free of side
effects so that bench/test_benchlib.py can check them on fixed inputs
(tests/unit/test_bench_helpers.sh).

Every parser raises ValueError on input it does not understand instead of guessing: a bench that
prints a wrong number quietly is worse than one that stops.
"""

import contextlib
import json
import os
import re
import statistics
import struct

# Frames that mark the outermost frame of a user stack: the program's entry (main and what calls
# it) or a thread's (start_thread, clone). A stack "reaches the root" when it contains one of them.
ROOT_FRAMES = frozenset(
    ["main", "_start", "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main",
     "start_thread", "clone", "clone3", "__clone", "__clone3", "__GI___clone", "__GI___clone3"])

_HEX_RE = re.compile(r"0x[0-9a-fA-F]+")
_BRACKET_RE = re.compile(r"\[[^\]]*\]")
_BY_START_RE = re.compile(r"[^\s;]+\+0x[0-9a-f]+")  # a stripped function: "libz.so.1+0x2a40"
_NO_USER_STACK = "[no user stack]"


# --- statistics -------------------------------------------------------------------------------

class Summary:
    """median, min and max of a list of numbers, n runs."""

    def __init__(self, values):
        vals = [float(v) for v in values if v is not None]
        if not vals:
            raise ValueError("summary of no values")
        self.values = vals
        self.n = len(vals)
        self.median = statistics.median(vals)
        self.min = min(vals)
        self.max = max(vals)

    def fmt(self, digits=3, scale=1.0, unit=""):
        """'1.004 [0.998..1.010]' (median [min..max]); scale multiplies every value."""
        f = "%%.%df" % digits
        return (f % (self.median * scale) + unit + " [" + f % (self.min * scale) + ".." +
                f % (self.max * scale) + "]")

    def as_dict(self):
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n,
                "values": self.values}


def summarize(values):
    return Summary(values)


def ratio(num, den):
    """num / den; ValueError when den is not positive (a zero baseline is a broken run)."""
    if den is None or num is None or den <= 0:
        raise ValueError("ratio with baseline %r" % (den,))
    return float(num) / float(den)


# --- key/value output of the workloads and of flamed_symbench ---------------------------------

def parse_kv(text):
    """'key value' lines into a dict; numbers become float. Lines without a space are errors."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ValueError("not a 'key value' line: %r" % line)
        key, val = parts
        try:
            out[key] = float(val)
        except ValueError:
            out[key] = val
    return out


# --- flamed's folded output and its stderr summary --------------------------------------------

def parse_folded(text):
    """Folded stacks 'comm;root;...;leaf COUNT' into a list of (comm, frames, count), frames from
    root to leaf (the comm is not a frame)."""
    stacks = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        head, sep, count = line.rpartition(" ")
        if not sep or not head:
            raise ValueError("folded line %d has no count: %r" % (n, line[:80]))
        try:
            c = int(count)
        except ValueError:
            raise ValueError("folded line %d: bad count %r" % (n, count)) from None
        if c < 0:
            raise ValueError("folded line %d: negative count" % n)
        parts = head.split(";")
        stacks.append((parts[0], parts[1:], c))
    return stacks


def folded_user_frames(frames):
    """The user frames of a folded stack: kernel (_[k]) and inlined (_[i]) frames and the
    '[no user stack]' marker dropped. JIT frames (_[j]) are user frames."""
    return [f[:-4] if f.endswith("_[j]") else f for f in frames
            if not f.endswith("_[k]") and not f.endswith("_[i]") and f != _NO_USER_STACK]


def flamed_frame_symbolized(frame):
    """flamed names a frame it could not symbolize by its address (0x...), by its mapping in
    brackets ([libc.so.6], [unknown]), or in a stripped file by its function's start
    (liblzma.so.5+0x15b10: one box per function, but no name)."""
    return not (_HEX_RE.fullmatch(frame) or _BRACKET_RE.fullmatch(frame)
                or _BY_START_RE.fullmatch(frame))


_SUMMARY_RE = re.compile(r"flamed: (\d+) samples, (\d+) processes, (\d+) dropped")
_SYMBOLIZED_RE = re.compile(r"flamed: stacks: ([0-9.]+)% of frames symbolized")
_METRIC_RE = re.compile(r"flamed: debug: metric (\w+) = (\d+)$")


def parse_flamed_stderr(text):
    """flamed's end-of-run summary: samples, processes, dropped, symbolized_pct, and with -v the
    BPF counters in 'metrics' (repeated 'unknown' names are dropped). Missing summary: error."""
    m = _SUMMARY_RE.search(text)
    if not m:
        raise ValueError("no 'flamed: N samples, ...' line in flamed's output")
    out = {"samples": int(m.group(1)), "processes": int(m.group(2)),
           "dropped": int(m.group(3)), "metrics": {}}
    s = _SYMBOLIZED_RE.search(text)
    out["symbolized_pct"] = float(s.group(1)) if s else None
    for line in text.splitlines():
        mm = _METRIC_RE.search(line.strip())
        if mm and mm.group(1) != "unknown":
            out["metrics"][mm.group(1)] = int(mm.group(2))
    return out


# --- perf script ------------------------------------------------------------------------------

def _split_perf_frame(line):
    """'   IP SYM (DSO)' -> (sym, dso, ip). The DSO is the parenthesized group that ends the line
    (it may itself hold parentheses: '/x (deleted)'); the symbol may hold spaces and parentheses
    (C++ signatures, '(anonymous namespace)')."""
    s = line.strip()
    ip, sep, rest = s.partition(" ")
    if not sep or not rest.endswith(")") or not re.fullmatch(r"[0-9a-fA-F]+", ip):
        return None
    depth = 0
    for i in range(len(rest) - 1, -1, -1):
        if rest[i] == ")":
            depth += 1
        elif rest[i] == "(":
            depth -= 1
            if depth == 0:
                sym = rest[:i].strip()
                if not sym or (i > 0 and rest[i - 1] != " "):
                    return None
                return sym, rest[i + 1:-1], int(ip, 16)
    return None


def parse_perf_script(text):
    """Output of 'perf script -F comm,tid,ip,sym,dso' into a list of (comm, frames, 1), frames
    from root to leaf as (sym, dso, ip). A sample is a header line 'comm tid' followed by one
    indented line per frame, leaf first, and a blank line."""
    stacks = []
    comm = None
    frames = []

    def flush():
        if comm is not None:
            stacks.append((comm, list(reversed(frames)), 1))

    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            flush()
            comm, frames = None, []
            continue
        if line[0] in " \t":
            fr = _split_perf_frame(line)
            if not fr or comm is None:
                raise ValueError("perf script line %d: not a frame: %r" % (n, line[:80]))
            frames.append(fr)
            continue
        # header: the comm may contain spaces; the tid is the last field
        flush()
        parts = line.rstrip().rsplit(None, 1)
        if len(parts) != 2 or not parts[1].isdigit():
            raise ValueError("perf script line %d: not a sample header: %r" % (n, line[:80]))
        comm, frames = parts[0].strip(), []
    flush()
    return stacks


def perf_frame_is_kernel(frame):
    sym, dso, ip = frame
    return dso.startswith("[kernel") or dso.startswith("[guest.kernel") or ip >= 0xffff800000000000


def perf_user_frames(frames):
    """User frames of a parsed perf stack, as names ('[unknown]' when perf could not name it);
    inlined frames are dropped (bench runs perf script --no-inline, this is belt and braces)."""
    return [sym for (sym, dso, ip) in frames
            if dso != "inlined" and not perf_frame_is_kernel((sym, dso, ip))]


def perf_frame_symbolized(name):
    return name != "[unknown]" and not _HEX_RE.fullmatch(name)


# --- stack quality ----------------------------------------------------------------------------

def _base_name(frame):
    # 'main+0x1a' (perf with offsets) or 'clone3@plt' -> 'main' / 'clone3'
    return re.split(r"[+@]", frame, maxsplit=1)[0]


def stack_quality(stacks, comm, user_frames, symbolized, roots=ROOT_FRAMES):
    """For the samples of one comm (None: all): samples, % reaching a root frame, % of user
    frames symbolized, mean user frames per sample, and other_comm_pct (% of all samples whose
    comm is not `comm`). stacks: (comm, frames, count) lists; user_frames(frames) -> names;
    symbolized(name) -> bool. Raises ValueError with no sample."""
    samples = rooted = frames_total = frames_sym = other = 0
    for c, frames, count in stacks:
        if comm is not None and c != comm:
            other += count
            continue
        user = user_frames(frames)
        samples += count
        if any(_base_name(f) in roots for f in user):
            rooted += count
        frames_total += len(user) * count
        frames_sym += sum(1 for f in user if symbolized(f)) * count
    if not samples:
        raise ValueError("no samples of comm %r" % comm)
    return {
        "samples": samples,
        "root_pct": 100.0 * rooted / samples,
        "symbolized_pct": 100.0 * frames_sym / frames_total if frames_total else 0.0,
        "frames_per_sample": frames_total / samples,
        "other_comm_pct": 100.0 * other / (samples + other),
    }


def other_comm_pct(stacks, comm):
    """% of the samples whose comm is not `comm` (0 when there is no sample)."""
    total = sum(c for _, _, c in stacks)
    return 100.0 * sum(c for cm, _, c in stacks if cm != comm) / total if total else 0.0


def folded_depths(stacks, comm=None):
    """Per-sample user stack depths of one comm (None: all), expanded by count (for the depth
    sanity check)."""
    out = []
    for c, frames, count in stacks:
        if comm is None or c == comm:
            out.extend([len(folded_user_frames(frames))] * count)
    return out


# --- BPF program statistics -------------------------------------------------------------------

def parse_fdinfo(text):
    """/proc/PID/fdinfo/FD ('key:<tab>value' lines) into a dict; integer values as int."""
    out = {}
    for line in text.splitlines():
        key, sep, val = line.partition(":")
        if not sep:
            continue
        val = val.strip()
        try:
            out[key.strip()] = int(val, 10)
        except ValueError:
            out[key.strip()] = val
    return out


def fdinfo_bpf_prog(info):
    """(prog_id, run_time_ns, run_cnt) when the fdinfo is a BPF program's, else None. BPF links
    also carry prog_id but no run_cnt."""
    if "prog_id" in info and "run_cnt" in info and "run_time_ns" in info:
        return int(info["prog_id"]), int(info["run_time_ns"]), int(info["run_cnt"])
    return None


def parse_bpftool_progs(text):
    """'bpftool prog show [...] --json' (one object or a list) into a list of dicts."""
    data = json.loads(text)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(p, dict) for p in data):
        raise ValueError("bpftool output is not a program list")
    return data


@contextlib.contextmanager
def bpf_stats_enabled():
    """kernel.bpf_stats_enabled=1 for the block (programs' run_time_ns and run_cnt), restored
    after it whatever happens."""
    path = "/proc/sys/kernel/bpf_stats_enabled"
    with open(path) as f:
        old = f.read().strip()
    try:
        with open(path, "w") as f:
            f.write("1")
        yield
    finally:
        with open(path, "w") as f:
            f.write(old)


def ns_per_run(run_time_ns, run_cnt):
    if run_cnt <= 0:
        raise ValueError("BPF program never ran (run_cnt %d): is kernel.bpf_stats_enabled on?"
                         % run_cnt)
    return run_time_ns / run_cnt


def net_ns_per_walk(raw_ns, walked_fraction, cheap_ns):
    """ns of a sample that walked a stack, from the average over all runs of the program (raw_ns),
    the fraction of runs that walked (the rest exit early: idle, other processes) and the cost of
    such an early exit measured in the same round (cheap_ns)."""
    if not 0 < walked_fraction <= 1:
        raise ValueError("walked fraction %r out of (0, 1]" % walked_fraction)
    return (raw_ns - (1.0 - walked_fraction) * cheap_ns) / walked_fraction


# --- /proc ------------------------------------------------------------------------------------

def parse_proc_stat_cpu(text, clk_tck):
    """/proc/PID/stat: (utime + stime) seconds of the process itself. The comm (field 2) may hold
    spaces and parentheses, so fields are counted after its last ')'."""
    end = text.rfind(")")
    if end < 0:
        raise ValueError("not a /proc/PID/stat line")
    fields = text[end + 1:].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15
    if len(fields) < 13:
        raise ValueError("short /proc/PID/stat line")
    return (int(fields[11]) + int(fields[12])) / float(clk_tck)


def parse_host_busy_ticks(text):
    """/proc/stat: clock ticks every CPU spent busy (user, nice, system, irq, softirq; guest time
    is inside user), from the aggregate 'cpu' line. Idle, iowait and steal (another guest's time)
    are not work done on this host."""
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "cpu":
            if len(parts) < 8:
                raise ValueError("short 'cpu' line in /proc/stat")
            user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in parts[1:8])
            return user + nice + system + irq + softirq
    raise ValueError("no 'cpu' line in /proc/stat")


def parse_schedstat_ns(text):
    """/proc/PID/task/TID/schedstat ('run_ns wait_ns timeslices'): ns the thread ran."""
    parts = text.split()
    if len(parts) < 1 or not parts[0].isdigit():
        raise ValueError("not a schedstat line: %r" % text[:40])
    return int(parts[0])


_AGENT_RE = re.compile(
    r"agent ([0-9.]+) ms CPU \(drain ([0-9.]+) in ([0-9]+), events ([0-9.]+), build ([0-9.]+) "
    r"\(names ([0-9.]+)\), encode ([0-9.]+)\)")


def parse_agent_costs(text):
    """Sum of flamed's 'agent N ms CPU (drain .., events .., build .. (names ..), encode ..)'
    lines (the daemon's status lines) in seconds by activity, or None when there is none (a
    flamed that does not print them)."""
    keys = ("total", "drain", "drains", "events", "build", "names", "encode")
    out = None
    for m in _AGENT_RE.finditer(text):
        out = out or dict.fromkeys(keys, 0.0)
        for k, v in zip(keys, m.groups()):
            out[k] += float(v) if k == "drains" else float(v) / 1000.0
    return out


def direct_cost_pct(agent_cpu_s, bpf_s, host_busy_s):
    """Direct cost of a profiler in % of the work it profiled: (its own CPU + its BPF program's
    run time) / the host's busy CPU in the same interval without those two (the BPF time is
    charged to the interrupted tasks, so it is inside the host's busy time)."""
    work = host_busy_s - agent_cpu_s - bpf_s
    if work <= 0:
        raise ValueError("no work on the host (busy %.3f s, agent %.3f s, BPF %.3f s)"
                         % (host_busy_s, agent_cpu_s, bpf_s))
    return 100.0 * (agent_cpu_s + bpf_s) / work


def parse_status_kb(text, key):
    """A 'VmHWM:  1234 kB' value of /proc/PID/status, in kB."""
    for line in text.splitlines():
        if line.startswith(key + ":"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1])
    raise ValueError("no %s in status" % key)


# --- ELF: symbol table size, to pick the symbolization target ---------------------------------

def elf_symbol_entries(head, shdrs):
    """Number of symbol table entries (.symtab + .dynsym) of a 64-bit little-endian ELF file, given
    its first 64 bytes and its section header table. Returns None when not such an ELF file."""
    if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        return None
    shentsize, shnum = struct.unpack_from("<HH", head, 0x3A)
    if shentsize < 64 or len(shdrs) < shentsize * shnum:
        return None
    total = 0
    for i in range(shnum):
        sh_type, = struct.unpack_from("<I", shdrs, i * shentsize + 4)
        sh_size, = struct.unpack_from("<Q", shdrs, i * shentsize + 32)
        sh_entsize, = struct.unpack_from("<Q", shdrs, i * shentsize + 56)
        if sh_type in (2, 11):  # SHT_SYMTAB, SHT_DYNSYM
            total += sh_size // (sh_entsize or 24)
    return total


def large_elf_files(roots, min_bytes=8 << 20):
    """(path, os.stat_result, first 64 bytes) of each regular ELF file of at least min_bytes
    under roots (symlinks not followed, unreadable files skipped): the candidates figures 5 and 8
    pick their target from."""
    for root in roots:
        for dp, _, files in os.walk(root):
            for fn in files:
                path = os.path.join(dp, fn)
                try:
                    st = os.lstat(path)
                    if (st.st_mode & 0o170000) != 0o100000 or st.st_size < min_bytes:
                        continue
                    with open(path, "rb") as f:
                        head = f.read(64)
                except OSError:
                    continue
                if head[:4] == b"\x7fELF":
                    yield path, st, head


def elf_section_table_location(head):
    """(offset, length) of the section header table, from the first 64 bytes; None if not ELF64."""
    if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        return None
    shoff, = struct.unpack_from("<Q", head, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", head, 0x3A)
    return shoff, shentsize * shnum


# --- tables -----------------------------------------------------------------------------------

def markdown_table(header, rows):
    """A markdown table; every row must have as many cells as the header."""
    for r in rows:
        if len(r) != len(header):
            raise ValueError("row %r has %d cells, header %d" % (r, len(r), len(header)))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)
