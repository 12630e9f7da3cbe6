#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon feeding three sinks at once, through the real BPF path: --output-dir, Pyroscope
# (Connect push, to a peer that is down for the first seconds) and Parca (gRPC h2c, Debian's
# grpcio). Every window reaches every sink exactly once and in order (consecutive time ranges,
# the same ones everywhere), with the series labels, the sample types and the workload's
# functions; SIGTERM mid-window exports the partial window and exits 0 within the flush bound.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
PYD=/usr/bin/python3
"$PYD" -c 'import grpc, google.protobuf' 2>/dev/null || skip "python3-grpcio/python3-protobuf missing"
command -v protoc >/dev/null || skip "protoc missing"
have_go || skip "go (golang-go) missing"

SRC=$FLAMED_SOURCE_DIR
mkdir -p "$TEST_TMP/pb" "$TEST_TMP/dir"
protoc --python_out="$TEST_TMP/pb" -I "$SRC/proto" "$SRC/proto/pyroscope_types.proto" \
	"$SRC/proto/pyroscope_push.proto" "$SRC/proto/parca_profilestore.proto"
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

peer "$TEST_TMP/parca" --grpc "$GRPC"
bg_start "$TEST_TMP/work.out" "$WORKLOAD_DIR/cpu_shares" 9
cd "$TEST_TMP"
"$FLAMED" --output-dir "$TEST_TMP/dir" --pyroscope "http://127.0.0.1:$HTTP" \
	--parca "grpc://127.0.0.1:$GRPC" --interval 2s -F 99 --app-name itest --label env=ci \
	--spool-dir "$TEST_TMP/spool" --stats-json - >"$TEST_TMP/d.out" 2>"$TEST_TMP/d.err" &
DPID=$!
BG_PIDS+=("$DPID")
# Pyroscope is down until the daemon has tried it and logged the retry: the window must be
# retried, not lost (waiting for the line, not a fixed time: on a loaded host the first window
# may be built after any fixed delay)
wait_for_line "$TEST_TMP/d.err" "pyroscope: window .* not delivered" 30
peer "$TEST_TMP/pyro" --http "$HTTP"
# then SIGTERM early in the fourth window: right after the third one's status line
wait_for_line "$TEST_TMP/d.err" "window 3 \(" 30
t0=$(now_ms)
kill -TERM "$DPID"
set +e
wait "$DPID"
rc=$?
set -e
t1=$(now_ms)
sed 's/^/  | /' "$TEST_TMP/d.err"
[ "$rc" = 0 ] || fail "daemon exited $rc after SIGTERM"
[ $((t1 - t0)) -lt 12000 ] || fail "daemon took $((t1 - t0)) ms to exit after SIGTERM"
# d.out: a JSON line of --stats-json per window, the last one after the final flush
[ "$(stats "$TEST_TMP/d.out" run.sinks.pyroscope.retries)" -ge 1 ] ||
	fail "no retry counted while Pyroscope was down"
[ "$(stats "$TEST_TMP/d.out" final)" = true ] || fail "no final stats line at exit"

note "every window at every sink, once, in order"
"$PYD" - "$INTEGRATION_DIR" "$TEST_TMP" <<'PYEOF' || fail "windows"
import glob, gzip, json, os, sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
tmp = sys.argv[2]

def times(path):
    top = fc.message(gzip.decompress(open(path, "rb").read()))
    return fc.signed(fc.scalar(top, 9)), fc.signed(fc.scalar(top, 10))

def from_peer(d):
    reqs = [json.loads(l) for l in open(os.path.join(d, "requests.jsonl"))]
    ok = [r for r in reqs if r["status"] == "ok"]
    for r in ok:
        lab = r["labels"]
        assert lab.get("service_name") == "itest" and lab.get("env") == "ci" and lab.get("hostname"), lab
    return [times(os.path.join(d, r["file"])) for r in ok]

sinks = {
    "file": [times(p) for p in sorted(glob.glob(os.path.join(tmp, "dir", "*.pb.gz")))],
    "pyroscope": from_peer(os.path.join(tmp, "pyro")),
    "parca": from_peer(os.path.join(tmp, "parca")),
}
for name, w in sinks.items():
    print("%-9s %d windows: %s" % (name, len(w), " ".join("%.1fs" % (d / 1e9) for _, d in w)))
ref = sinks["file"]
assert len(ref) >= 4, "want >= 4 windows (3 full and the partial one), got %d" % len(ref)
for name, w in sinks.items():
    assert w == ref, "%s got other windows than the file sink" % name
for (s0, d0), (s1, _) in zip(ref, ref[1:]):
    assert s1 == s0 + d0, "windows not consecutive: %d + %d != %d" % (s0, d0, s1)
# a cut on a loaded host may come late (the next window starts where that one ended: checked
# above), so a full window is 2 s within 0.8 s
assert all(abs(d - 2e9) < 0.8e9 for _, d in ref[:-1]), "full windows are not 2 s"
assert ref[-1][1] < 1.9e9, "the last window is not the partial one"
PYEOF

note "contents: sample types and the workload's functions"
latest=$(ls "$TEST_TMP"/parca/*.pb.gz | sort | sed -n 2p)
go_pprof -raw "$latest" >"$TEST_TMP/raw.txt" || fail "go tool pprof -raw rejected a window"
grep -q "samples/count cpu/nanoseconds" "$TEST_TMP/raw.txt" || fail "sample types: $(head -3 "$TEST_TMP/raw.txt")"
check funcs "$latest" --comm cpu_shares --func burn_alpha --min-samples 5
grep -q "window 1 (" "$TEST_TMP/d.err" || fail "no per-window status line"
# every window's stats, and what it cost flamed (drains every second: >= 1 in a 2 s window)
[ "$(grep -c . "$TEST_TMP/d.out")" -ge 4 ] || fail "fewer than 4 windows' stats lines"
for sink in file pyroscope parca; do
	read -r sent queued <<<"$(stats "$TEST_TMP/d.out" "run.sinks.$sink.sent" \
		"run.sinks.$sink.queued" | tr '\n' ' ')"
	[ "$sent" -ge 4 ] && [ "$queued" = 0 ] || fail "$sink: $sent windows sent, $queued queued at exit"
done
check costs "$TEST_TMP/d.out" --min-lines 2 --min-drains 1

note "--series-by process: a profile per process name, each holding only that process's samples"
mkdir "$TEST_TMP/series"
bg_start "$TEST_TMP/work2.out" "$WORKLOAD_DIR/cpu_shares" 4
"$FLAMED" --output-dir "$TEST_TMP/series" --series-by process --interval 1s -F 99 \
	>"$TEST_TMP/s.out" 2>"$TEST_TMP/s.err" &
SPID=$!
BG_PIDS+=("$SPID")
sleep 3.5
kill -TERM "$SPID"
wait "$SPID" || fail "daemon --series-by process exited $?"
ls "$TEST_TMP/series" | head -20
mine=$(ls "$TEST_TMP"/series/*_cpu_shares.pb.gz 2>/dev/null | head -1)
[ -n "$mine" ] || fail "no file for the cpu_shares series"
"$PYD" - "$INTEGRATION_DIR" "$TEST_TMP/series" <<'PYEOF' || fail "series files"
import glob, gzip, os, sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
n = 0
for path in glob.glob(os.path.join(sys.argv[2], "*.pb.gz")):
    series = os.path.basename(path).split("Z_", 1)[1][:-len(".pb.gz")]
    fails = fc.Failures()
    comms = {s.comm for s in fc.load(path, fails)}
    fails.finish()
    # file names keep [A-Za-z0-9._-] of the process name, the rest become '_'
    safe = {"".join(c if c.isalnum() or c in "._-" else "_" for c in comm) for comm in comms}
    assert safe <= {series}, "%s holds %s" % (path, comms)
    n += 1
print("%d series files, each with one process name" % n)
PYEOF
echo PASS
