# SPDX-License-Identifier: MIT
"""Figure 12: Kubernetes targets and the pod cache.

(a) What a sample the BPF program leaves out costs: figure 3's load (bench/workloads/deep.c, one
thread per CPU, none in a target cgroup) with flamed profiling only cgroups nothing runs in, so
every sample is left out at the filter: --cgroup at one level, --cgroup at two levels (the two
ancestor look-ups of pods in QoS classes), and 500 pods chosen through a kubelet (a map of 500
ids). Each row against the floor of figure 3 (bench/bpf_floor.bpf.c: a program that counts one
per-CPU word, same events, same load) measured in the same rotation, and against flamed
profiling the whole host. ns per sample from the program's run_time_ns / run_cnt
(kernel.bpf_stats_enabled=1).

(b) What 500 pods cost the daemon: the daemon (whole host, 19 Hz, 10 s windows) with a kubelet
listing 500 pods of 2 containers (tests/k8s/fake_kubelet.py over TLS, tests/k8s/podlist.py's
PodList shape) every 2 s, against the same daemon without a kubelet in the same rotation: the
CPU per list (the kubelet thread: request, TLS, parse, cgroup scan; the main thread: the pod
cache and the targets; from the daemon's exit line), what that is at the default 30 s re-list
against the daemon's own CPU, and resident memory (VmRSS and VmHWM at the end) against the
daemon without one.

FLAMED_BENCH_FIG12_HZ=19[,99] in the environment runs (a) alone at those rates (with
bench/run --old REV: an A/B of the filter with more runs in the time).
"""

import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

import benchlib as bl

PODS = 500
RELIST_S = 2
DEFAULT_RELIST_S = 30
FREQS = tuple(int(x) for x in os.environ.get("FLAMED_BENCH_FIG12_HZ", "19,99").split(","))
FILTER_ONLY = "FLAMED_BENCH_FIG12_HZ" in os.environ

_KUBE_RE = re.compile(
    r"kubernetes: (\d+) pod lists \((\d+) failed[^)]*\), (\d+) pods, (\d+) containers known "
    r"\((\d+) KiB\).*?CPU ([0-9.]+) ms in the kubelet thread, ([0-9.]+) ms in the cache")
_WINDOW_RE = re.compile(r"window \d+ \([^)]*\):.*?agent ([0-9.]+) ms CPU")


def parse_kube_line(text):
    """The daemon's exit line on the kubelet: lists, failures, pods, containers, cache KiB, the
    kubelet thread's and the main thread's ms. None when absent."""
    m = None
    for m in _KUBE_RE.finditer(text):
        pass
    if not m:
        return None
    keys = ("lists", "failed", "pods", "containers", "cache_kib")
    out = {k: int(m.group(i + 1)) for i, k in enumerate(keys)}
    out["kubelet_ms"] = float(m.group(6))
    out["main_ms"] = float(m.group(7))
    return out


def v2_root():
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fs = line.split()[:3]
            if fs == "cgroup2" and os.stat(mnt).st_ino == 1:
                return mnt
    return None


def uid_of(i):
    h = hashlib.sha256(b"flamed-bench-pod-%d" % i).hexdigest()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


class Kube:
    """The bench's kubepods hierarchy of PODS empty pod cgroups, two empty cgroups for --cgroup,
    and a fake kubelet listing the pods."""

    def __init__(self, b):
        self.b = b
        self.root = v2_root()
        if not self.root:
            raise bl_error("no cgroup v2 hierarchy: figure 12 needs one")
        self.pfx = "flamedbench%d" % os.getpid()
        self.top = os.path.join(self.root, self.pfx + ".slice")
        self.dir = os.path.join(b.tmp, "fig12")
        os.makedirs(self.dir, exist_ok=True)
        self.kubelet = None
        self.port = None

    def make(self):
        burst = os.path.join(self.top, self.pfx + "-kubepods.slice",
                             self.pfx + "-kubepods-burstable.slice")
        os.makedirs(burst)
        os.makedirs(os.path.join(self.top, "a"))
        os.makedirs(os.path.join(self.top, "b", "c"))
        sys.path.insert(0, os.path.join(self.b.args.source, "tests", "k8s"))
        import podlist
        pods = podlist.many(PODS, seed=12)
        for i, p in enumerate(pods):
            p["uid"] = uid_of(i)
            os.mkdir(os.path.join(burst, "%s-kubepods-burstable-pod%s.slice"
                                  % (self.pfx, p["uid"].replace("-", "_"))))
        with open(os.path.join(self.dir, "pods.json"), "w") as f:
            json.dump(pods, f)
        self.tls()

    def tls(self):
        d = self.dir
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=flamed bench CA", "-keyout", d + "/ca.key", "-out", d + "/ca.pem")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=node-bench",
            "-keyout", d + "/k.key", "-out", d + "/k.csr")
        with open(d + "/k.ext", "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", d + "/k.csr", "-CA", d + "/ca.pem", "-CAkey",
            d + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", d + "/k.ext", "-out",
            d + "/k.pem")
        with open(d + "/token", "w") as f:
            f.write("bench-token-%d\n" % os.getpid())
        os.chmod(d + "/token", 0o600)

    def start_kubelet(self):
        d = self.dir
        port_file = d + "/port"
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.kubelet = self.b.start_bg([
            "/usr/bin/python3", os.path.join(self.b.args.source, "tests", "k8s",
                                             "fake_kubelet.py"),
            "--port", "0", "--port-file", port_file, "--cert", d + "/k.pem", "--key",
            d + "/k.key", "--token-file", d + "/token", "--pods", d + "/pods.json", "--node",
            "node-bench", "--log", d + "/kubelet.jsonl"])
        for _ in range(100):
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read())
                return
            time.sleep(0.1)
        raise bl_error("the fake kubelet did not start")

    def flags(self):
        return ["--kubelet", "https://127.0.0.1:%d" % self.port, "--kubelet-ca",
                self.dir + "/ca.pem", "--kubelet-token-file", self.dir + "/token"]

    def cleanup(self):
        if self.kubelet:
            self.b.stop_bg([self.kubelet])
        if os.path.isdir(self.top):
            for dirpath, dirs, _ in sorted(os.walk(self.top), key=lambda t: -len(t[0])):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass


def bl_error(msg):
    return ValueError(msg)


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def filtered_cost(b, k):
    """(a): ns per sample of rows that filter everything out, flamed whole host, and the
    floor, in one rotation per round."""
    runs = b.p["runs"]
    secs = {19: 10, 99: 4} if b.args.quick else {19: 20, 99: 8}
    floor = b.args.floor if b.args.floor and os.access(b.args.floor, os.X_OK) else None
    kinds = [("cgroup1", ["--cgroup", k.pfx + ".slice/a"]),
             ("cgroup2", ["--cgroup", k.pfx + ".slice/a", "--cgroup", k.pfx + ".slice/b/c"]),
             ("pods500", k.flags() + ["--k8s-selector", "tier=backend"]),
             ("whole", [])]
    # --flamed-old: the filter rows of an older flamed in the same rotation (an A/B of the filter)
    old = b.args.flamed_old
    if old:
        kinds += [(kind + "-old", args) for kind, args in kinds[:3]]
    if floor:
        kinds.append(("floor", None))
    keys = [(hz, kind) for hz in FREQS for kind, _ in kinds]
    extra = dict(kinds)
    ns = {key: [] for key in keys}
    left = {key: [] for key in keys}
    folded = os.path.join(b.tmp, "fig12.folded")
    with bl.bpf_stats_enabled():
        for r in range(runs):
            order = keys[r % len(keys):] + keys[:r % len(keys)]
            for hz, kind in order:
                sec = secs[hz]
                load = b.start_bg([b.bin("deep"), "-d", "20", "-t", str(b.nproc), "-s",
                                   str(sec + 10)])
                try:
                    time.sleep(0.2)
                    if kind == "floor":
                        res = b.check(b.run_proc([floor, str(hz), "%d" % sec],
                                                 name="fig12-floor"), "flamed_bpf_floor")
                        ns[(hz, kind)].append(int(res.out.split()[0]))
                        continue
                    argv = b.flamed_argv(hz, [folded], b.modes[0],
                                         extra[kind] + ["--once", "%gs" % sec],
                                         flamed=old if kind.endswith("-old") else None)
                    res, _, t, _ = b.bpf_run(argv, "fig12", parse=False)
                finally:
                    b.stop_bg([load])
                ns[(hz, kind)].append(bl.ns_per_run(*t.last))
                m = re.search(r"targets: (\d+) samples of other cgroups left out", res.err)
                left[(hz, kind)].append(int(m.group(1)) if m else 0)
            log("figure 12: filter round %d/%d done" % (r + 1, runs))
    labels = {"cgroup1": "--cgroup, one level (1 target)",
              "cgroup2": "--cgroup, two levels (2 targets: the QoS-class case)",
              "pods500": "--k8s-selector: %d pods chosen (500 ids, one level)" % PODS,
              "whole": "flamed, whole host (every sample walked)",
              "floor": "floor: one per-CPU counter (bench/bpf_floor.bpf.c)"}
    for kind in list(labels):
        labels[kind + "-old"] = labels[kind] + ", older flamed"
    rows, raw = [], {}
    for hz, kind in keys:
        s = bl.summarize(ns[(hz, kind)])
        fl = bl.summarize(ns[(hz, "floor")]).median if floor and ns[(hz, "floor")] else 0
        wh = bl.summarize(ns[(hz, "whole")]).median
        lo = bl.summarize(left[(hz, kind)]) if left[(hz, kind)] else None
        rows.append([str(hz), labels[kind], s.fmt(0),
                     lo.fmt(0) if lo and kind not in ("whole", "floor") else "",
                     "%.2f" % (s.median / fl) if fl else "",
                     "%.2f" % (s.median / wh) if wh and kind != "floor" else ""])
        raw["%d Hz %s" % (hz, kind)] = s.as_dict()
    return rows, raw, secs


def read_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024.0
    return out


def daemon_cost(b, k):
    """(b): the daemon with and without a kubelet of PODS pods, alternating."""
    runs = b.p["runs"]
    secs = 40 if b.args.quick else 90
    res = {"kube": [], "plain": []}
    for r in range(runs):
        for kind in (("kube", "plain") if r % 2 == 0 else ("plain", "kube")):
            out = os.path.join(b.tmp, "fig12-out")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            argv = [b.args.flamed, "--output-dir", out, "--interval", "10s", "-F", "19",
                    "--no-progress"]
            if kind == "kube":
                argv += k.flags() + ["--kubelet-interval", "%ds" % RELIST_S]
            err_path = os.path.join(b.tmp, "fig12-daemon.err")
            with open(err_path, "w") as err:
                p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                                     stdin=subprocess.DEVNULL)
                time.sleep(secs)
                st = read_status(p.pid)
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
            with open(err_path, errors="replace") as f:
                text = f.read()
            agent = [float(x) for x in _WINDOW_RE.findall(text)][1:]  # the first: start-up
            entry = {"rss": st.get("VmRSS", 0), "hwm": st.get("VmHWM", 0),
                     "agent_ms": statistics.median(agent) if agent else 0}
            if kind == "kube":
                kl = parse_kube_line(text)
                if not kl or not kl["lists"]:
                    raise bl_error("no pod list in the daemon's run: %s" % text[-500:])
                entry.update(kl)
                entry["ms_per_list"] = (kl["kubelet_ms"] + kl["main_ms"]) / kl["lists"]
                entry["kubelet_ms_per_list"] = kl["kubelet_ms"] / kl["lists"]
                entry["main_ms_per_list"] = kl["main_ms"] / kl["lists"]
            res[kind].append(entry)
        log("figure 12: daemon round %d/%d done" % (r + 1, runs))
    med = lambda kind, key: statistics.median(e[key] for e in res[kind])  # noqa: E731
    per_list = med("kube", "ms_per_list")
    at_default = per_list / DEFAULT_RELIST_S  # ms per s at one list every 30 s
    own = med("plain", "agent_ms") / 10.0     # the daemon's own ms per s (10 s windows)
    rows = [
        ["pod lists in the run (every %d s)" % RELIST_S, "%d" % med("kube", "lists"), ""],
        ["pods / containers known", "%d / %d" % (med("kube", "pods"), med("kube", "containers")),
         ""],
        ["CPU per list: kubelet thread (request, TLS, parse, cgroup scan)",
         "%.2f ms" % med("kube", "kubelet_ms_per_list"), ""],
        ["CPU per list: main thread (pod cache, targets)",
         "%.2f ms" % med("kube", "main_ms_per_list"), ""],
        ["at one list every %d s" % DEFAULT_RELIST_S,
         "%.4f %% of a core" % (at_default / 10.0),
         "%.3f x the daemon's own CPU (%.2f ms/s)" % (at_default / own if own else 0, own)],
        ["pod cache (cache + last list, the exit line)", "%d KiB" % med("kube", "cache_kib"), ""],
        ["VmRSS at the end, with / without a kubelet",
         "%.1f / %.1f MB" % (med("kube", "rss"), med("plain", "rss")),
         "%+.1f MB (%.2f x)" % (med("kube", "rss") - med("plain", "rss"),
                                med("kube", "rss") / med("plain", "rss"))],
        ["VmHWM (peak) with / without a kubelet",
         "%.1f / %.1f MB" % (med("kube", "hwm"), med("plain", "hwm")),
         "%+.1f MB (%.2f x)" % (med("kube", "hwm") - med("plain", "hwm"),
                                med("kube", "hwm") / med("plain", "hwm"))],
    ]
    return rows, res, secs


def fig12(b):
    k = Kube(b)
    try:
        k.make()
        k.start_kubelet()
        rows_a, raw_a, secs_a = filtered_cost(b, k)
        rows_b, raw_b, secs_b = daemon_cost(b, k) if not FILTER_ONLY else ([], {}, 0)
    finally:
        k.cleanup()
    b.results["fig12"] = {"filter": raw_a, "daemon": raw_b}
    title = ("12. Kubernetes: (a) BPF ns per sample left out by the cgroup filter, whole host "
             "under figure 3's load (%d threads of deep.c, none in a target), %s s at %s Hz, "
             "%d runs, rows rotated with the floor of figure 3 and flamed profiling everything%s; "
             "target <= 1.5x the floor. (b) the daemon (19 Hz, 10 s windows, %d s) with a "
             "kubelet listing %d pods (2 containers each) every %d s, against the same daemon "
             "without one, alternating, %d runs, medians"
             % (b.nproc, "/".join("%g" % secs_a[h] for h in FREQS),
                "/".join("%d" % h for h in FREQS), b.p["runs"],
                " (and with --flamed-old the same rows of an older flamed)" if b.args.flamed_old
                else "", secs_b, PODS, RELIST_S, b.p["runs"]))
    table_a = bl.markdown_table(["Hz", "flamed profiling only", "ns per sample",
                                 "samples left out", "x the floor", "x whole host"], rows_a)
    if FILTER_ONLY:
        return title.split(" (b) ")[0], table_a
    table_b = bl.markdown_table(["%d pods" % PODS, "measured", "against the baseline"], rows_b)
    return title, table_a + "\n\n" + table_b
