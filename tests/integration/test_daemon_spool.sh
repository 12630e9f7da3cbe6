#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon against a server that is down, then back, across a restart of flamed: windows it
# could not deliver go to the spool at SIGTERM, and the next flamed sends them first, oldest
# first, each once. A server that rejects (4xx) gets each window once and its message is logged,
# not retried.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
PYD=/usr/bin/python3
"$PYD" -c 'import grpc, google.protobuf' 2>/dev/null || skip "python3-grpcio/python3-protobuf missing"
command -v protoc >/dev/null || skip "protoc missing"

SRC=$FLAMED_SOURCE_DIR
mkdir -p "$TEST_TMP/pb"
protoc --python_out="$TEST_TMP/pb" -I "$SRC/proto" "$SRC/proto/pyroscope_types.proto" \
	"$SRC/proto/pyroscope_push.proto" "$SRC/proto/parca_profilestore.proto"
HTTP=$("$PYD" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
peer() { # OUT ARGS...
	local out=$1
	shift
	mkdir -p "$out"
	bg_start "$out/peer.log" "$PYD" "$SRC/tests/upload/peer.py" --pb "$TEST_TMP/pb" --out "$out" "$@"
	PEER=$BG_PID
	for _ in $(seq 100); do
		grep -q "peer: ready" "$out/peer.log" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "peer did not start: $(cat "$out/peer.log")"
}
# daemon NAME SECONDS ARGS...: run the daemon, SIGTERM it after SECONDS, expect exit 0.
daemon() {
	local name=$1 secs=$2 t0 rc
	shift 2
	"$FLAMED" --pyroscope "http://127.0.0.1:$HTTP" --interval 1s --app-name spooltest \
		--stats-json "$TEST_TMP/$name.stats.json" "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" &
	local pid=$!
	sleep "$secs"
	t0=$(now_ms)
	kill -TERM "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	echo "$name: exit $rc, $(($(now_ms) - t0)) ms after SIGTERM"
	sed 's/^/  | /' "$TEST_TMP/$name.err"
	[ "$rc" = 0 ] || fail "$name: exit $rc"
	[ $(($(now_ms) - t0)) -lt 13000 ] || fail "$name: took over 13 s to stop"
}
# the window start times the peer accepted, in order
starts() {
	"$PYD" - "$INTEGRATION_DIR" "$1" <<'PYEOF'
import gzip, json, os, sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
d = sys.argv[2]
for l in open(os.path.join(d, "requests.jsonl")):
    r = json.loads(l)
    if r["status"] == "ok":
        top = fc.message(gzip.decompress(open(os.path.join(d, r["file"]), "rb").read()))
        print(fc.signed(fc.scalar(top, 9)))
PYEOF
}
cd "$TEST_TMP"

note "server down: the windows wait in the spool when flamed stops"
daemon first 3.5 --spool-dir "$TEST_TMP/spool"
spooled=$(find "$TEST_TMP/spool" -type f | wc -l)
echo "spool holds $spooled windows"
[ "$spooled" -ge 3 ] || fail "only $spooled windows in the spool"
[ "$(stats first run.sinks.pyroscope.spooled)" -ge 3 ] || fail "the spooled windows were not counted"
[ "$(stats first run.sinks.pyroscope.sent)" = 0 ] || fail "windows counted as sent to a server that was down"

note "server back, flamed restarted: the spool first (oldest first), then the new windows, once each"
peer "$TEST_TMP/p1" --http "$HTTP"
daemon second 2.5 --spool-dir "$TEST_TMP/spool"
kill "$PEER"
starts "$TEST_TMP/p1" >"$TEST_TMP/starts.txt"
cat "$TEST_TMP/starts.txt"
n=$(wc -l <"$TEST_TMP/starts.txt")
[ "$n" -ge $((spooled + 2)) ] || fail "$n windows delivered, want the $spooled spooled + the new ones"
sort -n "$TEST_TMP/starts.txt" | diff -q - "$TEST_TMP/starts.txt" >/dev/null ||
	fail "windows not delivered oldest first"
[ "$(sort -u "$TEST_TMP/starts.txt" | wc -l)" = "$n" ] || fail "a window was delivered twice"
[ -z "$(find "$TEST_TMP/spool" -type f)" ] || fail "the spool was not drained"

note "a server that rejects: each window sent once, its message logged, not retried"
peer "$TEST_TMP/p2" --http "$HTTP" --reject
daemon third 2.5
kill "$PEER"
reqs=$(wc -l <"$TEST_TMP/p2/requests.jsonl")
windows=$(stats third window.number)
echo "requests $reqs, windows $windows"
[ "$reqs" = "$windows" ] || fail "$reqs requests for $windows windows (a rejection was retried?)"
[ "$(stats third run.sinks.pyroscope.rejected)" = "$windows" ] || fail "rejections not counted"
grep -q "rejected by the test peer" "$TEST_TMP/third.err" || fail "the server's message was not logged"
echo PASS
