# Shared by tests/e2e/test_upload_*.sh: a scratch dir, the protocol peer (peer.py, run with
# Debian's /usr/bin/python3 for its grpcio), and checks on what the peer logged.
# Needs UPLOAD_DRIVER and FLAMED_SOURCE_DIR (tests/CMakeLists.txt sets them).
set -euo pipefail

PY=/usr/bin/python3
SRC=${FLAMED_SOURCE_DIR:?}
DRIVER=${UPLOAD_DRIVER:?}
PEER_PID=

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

need_tools() {
	[ -x "$PY" ] || skip "no /usr/bin/python3"
	"$PY" -c 'import grpc, google.protobuf' 2>/dev/null ||
		skip "Debian python3-grpcio and python3-protobuf are needed (tools/setup.sh --test)"
	command -v protoc >/dev/null || skip "protoc not installed"
	command -v go >/dev/null || skip "go (golang-go) not installed"
}

TMP=$(mktemp -d /tmp/flamed-upload.XXXXXX)
cleanup_all() {
	stop_peer
	rm -rf "$TMP"
}
trap cleanup_all EXIT

gen_pb() {
	mkdir -p "$TMP/pb"
	protoc --python_out="$TMP/pb" -I "$SRC/proto" "$SRC/proto/pyroscope_types.proto" \
		"$SRC/proto/pyroscope_push.proto" "$SRC/proto/parca_profilestore.proto" \
		$(find "$SRC/proto/opentelemetry" -name '*.proto' | sort)
}

# make_secrets: a bearer token ($TMP/token) and user:password ($TMP/basic), mode 0600, random;
# TOKEN and PASS hold the secret parts, for checks that they are never printed.
make_secrets() {
	printf 's3cr3t-token-%s\n' "$RANDOM$RANDOM" >"$TMP/token"
	chmod 600 "$TMP/token"
	printf 'alice:pa55-%s\n' "$RANDOM$RANDOM" >"$TMP/basic"
	chmod 600 "$TMP/basic"
	TOKEN=$(head -1 "$TMP/token")
	PASS=$(cut -d: -f2 "$TMP/basic")
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_peer OUTDIR ARGS...: run peer.py in the background until it says it is ready.
start_peer() {
	local out=$1
	shift
	mkdir -p "$out"
	"$PY" "$SRC/tests/upload/peer.py" --pb "$TMP/pb" --out "$out" "$@" >"$out/peer.log" 2>&1 &
	PEER_PID=$!
	for _ in $(seq 100); do
		grep -q "peer: ready" "$out/peer.log" 2>/dev/null && return 0
		kill -0 "$PEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out/peer.log" >&2
	fail "peer did not start"
}

stop_peer() {
	if [ -n "$PEER_PID" ]; then
		kill "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
		PEER_PID=
	fi
}

# stat_of FILE NAME: a counter from the driver's "stats k=v ..." line.
stat_of() {
	sed -n 's/^stats .*\b'"$2"'=\([0-9]*\).*/\1/p' "$1"
}

# want_rc N STATUS WHAT: the driver must have exited with N (3 = flush timed out, 1 = could not
# start), not merely failed: a sanitizer abort must not pass for an expected failure.
want_rc() {
	[ "$2" = "$1" ] || fail "$3: exit status $2, want $1"
}

expect_stat() {
	local got
	got=$(stat_of "$1" "$2")
	[ "$got" = "$3" ] || fail "$2=$got, want $3 ($(cat "$1"))"
}

# delivered OUTDIR: the "win" label of every accepted request, in arrival order, one line.
delivered() {
	"$PY" - "$1/requests.jsonl" <<'PYEOF'
import json, sys, re
wins = []
try:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if e["status"] != "ok":
            continue
        l = e["labels"]
        w = l.get("win") or re.search(r"win=([^,}]*)", l.get("name", "")).group(1)
        wins.append(w)
except FileNotFoundError:
    pass
print(" ".join(wins))
PYEOF
}

# count_requests OUTDIR STATUS-PREFIX: how many requests the peer answered that way.
count_requests() {
	"$PY" - "$1/requests.jsonl" "$2" <<'PYEOF'
import json, sys
n = 0
try:
    n = sum(1 for l in open(sys.argv[1]) if json.loads(l)["status"].startswith(sys.argv[2]))
except FileNotFoundError:
    pass
print(n)
PYEOF
}

# check_pprof FILE WANT_FUNCTION: go tool pprof (an independent decoder, strict CheckValid)
# reads the saved raw_profile, and it is the window we expect.
check_pprof() {
	local raw
	raw=$(HOME=$TMP go tool pprof -raw -symbolize=none "$1" 2>&1) ||
		fail "go tool pprof rejects $1: $raw"
	grep -q "samples/count cpu/nanoseconds\[dflt\]" <<<"$raw" || fail "$1: sample types: $raw"
	grep -q "PeriodType: cpu nanoseconds" <<<"$raw" || fail "$1: period type: $raw"
	grep -q " $2 main.c:12" <<<"$raw" || fail "$1: no $2: $raw"
	grep -q "comm:\[workload\]" <<<"$raw" || fail "$1: sample label: $raw"
}
