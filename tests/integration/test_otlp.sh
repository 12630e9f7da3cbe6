#!/bin/bash
# SPDX-License-Identifier: MIT
# OTLP profiles through the real BPF path. The daemon sends every window to a gRPC receiver that
# is down for its first seconds and to an OTLP/HTTP receiver at once (both built from the official
# protos, tests/upload/peer.py; each request's dictionary checked by otlp_check.py), and to
# --output-dir: all three get the same windows, and each OTLP window holds exactly the pprof's
# samples per process and per workload function; over the run the burn workload's function
# shares match what it measured itself. Then `--once 5s --otlp URL -- workload`.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
PYD=/usr/bin/python3
"$PYD" -c 'import grpc, google.protobuf' 2>/dev/null || skip "python3-grpcio/python3-protobuf missing"
command -v protoc >/dev/null || skip "protoc missing"

SRC=$FLAMED_SOURCE_DIR
mkdir -p "$TEST_TMP/pb" "$TEST_TMP/dir"
protoc --python_out="$TEST_TMP/pb" -I "$SRC/proto" "$SRC/proto/pyroscope_types.proto" \
	"$SRC/proto/pyroscope_push.proto" "$SRC/proto/parca_profilestore.proto" \
	$(find "$SRC/proto/opentelemetry" -name '*.proto' | sort)
port() { "$PYD" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP=$(port)
GRPC=$(port)
peer() { # OUT ARGS...
	local out=$1
	shift
	mkdir -p "$out"
	bg_start "$out/peer.log" "$PYD" "$SRC/tests/upload/peer.py" --pb "$TEST_TMP/pb" --out "$out" "$@"
	for _ in $(seq 100); do
		grep -q "peer: ready" "$out/peer.log" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "peer did not start: $(cat "$out/peer.log")"
}

# compare OUT-KIND...: every peer's accepted requests against the file sink's windows
compare() {
	"$PYD" - "$INTEGRATION_DIR" "$SRC/tests/upload" "$TEST_TMP" "$@" <<'PYEOF'
import collections, glob, gzip, json, os, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import flamed_check as fc
import otlp_check
tmp, peers = sys.argv[3], sys.argv[4:]
pb = otlp_check.load_modules(os.path.join(tmp, "pb"))

def pprof_window(path):
    top = fc.message(gzip.decompress(open(path, "rb").read()))
    fails = fc.Failures()
    samples = fc.load(path, fails)
    fails.finish()
    return (fc.signed(fc.scalar(top, 9)), fc.signed(fc.scalar(top, 10))), samples

def otlp_window(path):
    req = otlp_check.decode(pb, open(path, "rb").read())
    errors = otlp_check.Checker(req).run()
    assert not errors, "%s: %s" % (path, errors[:3])
    s = otlp_check.summarise(req)
    prof = s["resources"][0]["profiles"][0]
    return (prof["time_unix_nano"], prof["duration_nano"]), s

files = sorted(glob.glob(os.path.join(tmp, "dir", "*.pb.gz")))
ref = [pprof_window(p) for p in files]
print("file      %d windows: %s" % (len(ref), " ".join("%.1fs" % (t[1] / 1e9) for t, _ in ref)))
assert len(ref) >= 3, "want >= 3 windows, got %d" % len(ref)
folded = collections.Counter()
for out in peers:
    reqs = [json.loads(l) for l in open(os.path.join(tmp, out, "requests.jsonl"))]
    ok = [otlp_window(os.path.join(tmp, out, r["file"])) for r in reqs if r["status"] == "ok"]
    print("%-9s %d windows: %s" % (out, len(ok), " ".join("%.1fs" % (t[1] / 1e9) for t, _ in ok)))
    assert [t for t, _ in ok] == [t for t, _ in ref], "%s got other windows than the file sink" % out
    for (t, samples), (_, s) in zip(ref, ok):
        # per process: the pprof's samples, the OTLP resource's value / period
        want = collections.Counter()
        for x in samples:
            want[int(x.pid)] += x.count
        got = collections.Counter()
        for res in s["resources"]:
            pid = res["attributes"].get("process.pid")
            for p in res["profiles"]:
                assert p["sample_type"] == ["cpu", "nanoseconds"], p["sample_type"]
                got[pid] += p["total"] // p["period"]
                if res["attributes"].get("process.executable.name") == "cpu_shares" and \
                        out == peers[0]:
                    for st in p["stacks"]:
                        folded[";".join(["cpu_shares"] + st["frames"][::-1])] += \
                            st["value"] // p["period"]
        assert got == want, "%s window %s: samples per pid differ: %s" % (
            out, t, [(k, got[k], want[k]) for k in set(got) | set(want) if got[k] != want[k]][:5])
    print("%s: every window holds the pprof's samples, process by process" % out)
with open(os.path.join(tmp, "otlp.folded"), "w") as f:
    for stack, n in sorted(folded.items()):
        f.write("%s %d\n" % (stack, n))
PYEOF
}

note "daemon: a gRPC receiver down at first, an HTTP receiver, and --output-dir, at once"
peer "$TEST_TMP/http" --http "$HTTP"
bg_start "$TEST_TMP/work.out" "$WORKLOAD_DIR/cpu_shares" 9
cd "$TEST_TMP"
"$FLAMED" --output-dir "$TEST_TMP/dir" --otlp "grpc://127.0.0.1:$GRPC" \
	--otlp "http://127.0.0.1:$HTTP" --otlp-header "x-scope=itest" --interval 2s -F 99 \
	--app-name itest --label env=ci --spool-dir "$TEST_TMP/spool" \
	>"$TEST_TMP/d.out" 2>"$TEST_TMP/d.err" &
DPID=$!
BG_PIDS+=("$DPID")
# the gRPC receiver is down until the daemon has tried it and logged the retry: retried, not
# lost (waiting for the line, not a fixed time: on a loaded host the first window may be built
# after any fixed delay)
wait_for_line "$TEST_TMP/d.err" "otlp: window .* not delivered" 30
peer "$TEST_TMP/grpc" --grpc "$GRPC"
sleep 7 # the workload ends at 9 s; then SIGTERM
kill -TERM "$DPID"
wait "$DPID" || fail "daemon exited $? after SIGTERM"
sed 's/^/  | /' "$TEST_TMP/d.err" | tail -8
grep -q "otlp: window .* not delivered" "$TEST_TMP/d.err" || fail "no retry logged for the gRPC receiver"
grep -q "otlp sent [0-9]*, .*otlp-2 sent [0-9]*" "$TEST_TMP/d.err" || fail "no status of both sinks"
compare http grpc || fail "the OTLP windows differ from the pprof ones"
note "the burn workload's shares, from the OTLP windows"
check shares "$TEST_TMP/otlp.folded" --comm cpu_shares --expect "$TEST_TMP/work.out" \
	--tolerance 3 --main-min 95

note "--once 5s --otlp URL -- workload"
rm -rf "$TEST_TMP/dir" "$TEST_TMP/http2" && mkdir "$TEST_TMP/dir"
HTTP2=$(port) # the first HTTP receiver still listens
peer "$TEST_TMP/http2" --http "$HTTP2" --expect-header "x-scope=itest"
"$FLAMED" --once 5s -F 99 --otlp "http://127.0.0.1:$HTTP2" --otlp-header "x-scope=itest" \
	-o "$TEST_TMP/dir/once.pb.gz" -- "$WORKLOAD_DIR/cpu_shares" 4 \
	>"$TEST_TMP/once.out" 2>"$TEST_TMP/once.err" || fail "--once: $(cat "$TEST_TMP/once.err")"
[ "$(grep -c '"status": "ok"' "$TEST_TMP/http2/requests.jsonl")" = 1 ] ||
	fail "--once: want one accepted request: $(cat "$TEST_TMP/http2/requests.jsonl")"
"$PYD" "$SRC/tests/upload/otlp_check.py" --pb "$TEST_TMP/pb" --expect \
	'{"resources": [{"attributes": {"service.name": "flamed", "process.executable.name": "cpu_shares"}}]}' \
	"$TEST_TMP"/http2/0001.otlp.pb || fail "--once: the request"
"$PYD" - "$TEST_TMP" <<'PYEOF' || fail "--once: not the command's profile"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1] + "/http2/requests.jsonl")][0]
assert r["labels"]["service.name"] == "flamed" and r["labels"]["host.name"], r["labels"]
print("--once: one request, resource %s" % r["labels"])
PYEOF
echo PASS
