#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon with --off-cpu, through the real BPF path, to Pyroscope (Connect push), Parca (gRPC
# h2c, Debian's grpcio), an OTLP/HTTP receiver and --output-dir at once (the peers in tests/upload
# are built from the real protocol definitions). Each window's off-CPU time reaches Pyroscope and
# Parca as its own series under the names their ecosystems use (Pyroscope: __name__ offcpu with
# sample type offcpu/nanoseconds and no period type, as Grafana Alloy sends it; Parca:
# parca_agent with wallclock/nanoseconds and period type samples/count, Parca Agent's Off-CPU),
# next to the process_cpu series, which holds only samples and cpu; the OTLP request holds a cpu
# and an off_cpu Profile; the files keep all three types; and every sink gets the same totals per
# window, with the waiting workload's functions in the off-CPU series.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
PYD=$PY
upload_peers_setup
SRC=$FLAMED_SOURCE_DIR
mkdir -p "$TEST_TMP/dir"
PYRO=$(free_port)
GRPC=$(free_port)
OTLP=$(free_port)
upload_peer "$TEST_TMP/pyro" --http "$PYRO"
upload_peer "$TEST_TMP/parca" --grpc "$GRPC"
upload_peer "$TEST_TMP/otlp" --http "$OTLP"

bg_start "$TEST_TMP/work.out" "$WORKLOAD_DIR/offcpu_waits" 12
wait_for_line "$TEST_TMP/work.out" '^tid '
cd "$TEST_TMP"
"$FLAMED" --off-cpu --output-dir "$TEST_TMP/dir" --pyroscope "http://127.0.0.1:$PYRO" \
	--parca "grpc://127.0.0.1:$GRPC" --otlp "http://127.0.0.1:$OTLP" --interval 2s -F 99 \
	--app-name itest -p "$(sed -n 's/^pid //p' "$TEST_TMP/work.out")" \
	>"$TEST_TMP/d.out" 2>"$TEST_TMP/d.err" &
DPID=$!
BG_PIDS+=("$DPID")
wait_for_line "$TEST_TMP/d.err" "window 3 \(" 40
kill -TERM "$DPID"
set +e
wait "$DPID"
rc=$?
set -e
sed 's/^/  | /' "$TEST_TMP/d.err"
[ "$rc" = 0 ] || fail "daemon exited $rc after SIGTERM"

note "series names, sample types and totals per window, sink by sink"
"$PYD" - "$INTEGRATION_DIR" "$TEST_TMP" "$SRC/tests/upload" <<'PYEOF' || fail "off-CPU series"
import collections, glob, gzip, json, os, subprocess, sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
tmp, upload = sys.argv[2], sys.argv[3]

def pprof(path):
    top = fc.message(gzip.decompress(open(path, "rb").read()))
    st = [bytes(v).decode() for _, v in top.get(6, [])]
    types = [(st[fc.scalar(m, 1)], st[fc.scalar(m, 2)]) for m in fc.submessages(top, 1)]
    pt = fc.submessages(top, 11)
    period = (st[fc.scalar(pt[0], 1)], st[fc.scalar(pt[0], 2)]) if pt else None
    totals = [0] * len(types)
    for smp in fc.submessages(top, 2):
        for i, v in enumerate(fc.repeated(smp, 2)):
            totals[i] += fc.signed(v)
    return {"types": types, "period_type": period, "totals": totals,
            "window": (fc.signed(fc.scalar(top, 9)), fc.signed(fc.scalar(top, 10)))}

def peer(d):
    out = collections.defaultdict(dict)  # series name -> window -> profile
    for line in open(os.path.join(tmp, d, "requests.jsonl")):
        r = json.loads(line)
        assert r["status"] == "ok", r
        assert r["labels"]["service_name"] == "itest", r["labels"]
        p = pprof(os.path.join(tmp, d, r["file"]))
        out[r["labels"]["__name__"]][p["window"]] = p
    return out

files = {}
for path in sorted(glob.glob(os.path.join(tmp, "dir", "*.pb.gz"))):
    p = pprof(path)
    assert p["types"] == [("samples", "count"), ("cpu", "nanoseconds"),
                          ("off_cpu", "nanoseconds")], p["types"]
    files[p["window"]] = p
print("%d windows in --output-dir; off-CPU ms per window: %s" % (
    len(files), " ".join("%.0f" % (p["totals"][2] / 1e6) for p in files.values())))
assert len(files) >= 3, "want >= 3 windows"
waited = [w for w, p in files.items() if p["totals"][2] > 0]
assert len(waited) >= 3, "off-CPU time in only %d windows" % len(waited)

pyro, parca = peer("pyro"), peer("parca")
print("pyroscope series %s, parca series %s" % (sorted(pyro), sorted(parca)))
assert set(pyro) == {"process_cpu", "offcpu"}, sorted(pyro)
assert set(parca) == {"process_cpu", "parca_agent"}, sorted(parca)
for name, got in (("pyroscope", pyro), ("parca", parca)):
    cpu = got["process_cpu"]
    assert set(cpu) == set(files), "%s: CPU windows differ from the files'" % name
    for w, p in cpu.items():
        assert p["types"] == [("samples", "count"), ("cpu", "nanoseconds")], p["types"]
        assert p["period_type"] == ("cpu", "nanoseconds"), p["period_type"]
        assert p["totals"] == files[w]["totals"][:2], (name, w, p["totals"], files[w]["totals"])
off_pyro, off_parca = pyro["offcpu"], parca["parca_agent"]
assert set(off_pyro) == set(waited) and set(off_parca) == set(waited), "off-CPU windows differ"
for w in waited:
    want = files[w]["totals"][2]
    a, b = off_pyro[w], off_parca[w]
    # the profile type ids the two servers file them under
    assert "offcpu:%s:%s:%s:%s" % (a["types"][0] + (a["period_type"] or ("", ""))) == \
        "offcpu:offcpu:nanoseconds::", (a["types"], a["period_type"])
    assert "parca_agent:%s:%s:%s:%s" % (b["types"][0] + b["period_type"]) == \
        "parca_agent:wallclock:nanoseconds:samples:count", (b["types"], b["period_type"])
    assert a["totals"] == [want] and b["totals"] == [want], (w, a["totals"], b["totals"], want)
    assert w[1] > 0, "no duration: Parca files it as a delta profile only with one"

reqs = [json.loads(l) for l in open(os.path.join(tmp, "otlp", "requests.jsonl"))]
# a window with no sample at all (the partial last one, on a quiet host) makes a request without
# a resource, which the peer refuses: nothing is lost there
empty = sum(1 for p in files.values() if not any(p["totals"]))
bad = [r for r in reqs if r["status"] != "ok"]
assert len(bad) <= empty and all(r.get("note") == "no resource" for r in bad), bad
reqs = [r for r in reqs if r["status"] == "ok"]
offs = 0
for r in reqs:
    out = subprocess.run(["/usr/bin/python3", os.path.join(upload, "otlp_check.py"), "--json",
                          os.path.join(tmp, "otlp", r["file"])], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    summary = json.loads(out.stdout)
    for res in summary["resources"]:
        for prof in res["profiles"]:
            if prof["sample_type"] == ["off_cpu", "nanoseconds"]:
                assert prof["period"] == 0 and prof["period_type"] == ["", ""], prof
                offs += prof["total"]
print("OTLP: %d requests, %.3f s off the CPU; files %.3f s" % (
    len(reqs), offs / 1e9, sum(p["totals"][2] for p in files.values()) / 1e9))
assert len(reqs) + len(bad) == len(files), "OTLP requests %d, windows %d" % (len(reqs), len(files))
assert offs == sum(p["totals"][2] for p in files.values()), "OTLP off-CPU total differs"
PYEOF

note "the off-CPU series holds the workload's waits"
latest=$(grep '"offcpu"' "$TEST_TMP/pyro/requests.jsonl" | tail -2 | head -1 |
	sed 's/.*"file": "\([^"]*\)".*/\1/')
[ -n "$latest" ] || fail "no offcpu series at the Pyroscope peer"
"$PYD" - "$INTEGRATION_DIR" "$TEST_TMP/pyro/$latest" <<'PYEOF' || fail "off-CPU stacks"
import gzip, sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
fails = fc.Failures()
samples = fc.load_pprof(sys.argv[2], fails, "offcpu")
total = sum(s.count for s in samples)
# the main thread waits in these two (and is preempted in spin on a busy host), its helper
# thread sleeps in helper
by = {f: sum(s.count for s in samples if any(fc.bare(x) == f for x in s.frames))
      for f in ("wait_sleep", "wait_pipe", "spin", "helper")}
print("%s: %.3f s; %s" % (sys.argv[2], total / 1e9, ", ".join(
    "%s %.1f %%" % (f, 100.0 * n / max(total, 1)) for f, n in by.items())))
assert total > 0 and by["wait_sleep"] and by["wait_pipe"] and by["helper"]
assert sum(by.values()) >= 0.95 * total
PYEOF
echo PASS
