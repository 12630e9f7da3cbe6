#!/usr/bin/env bash
# The upload sinks against connect-node, the Connect project's own server (tests/upload/
# connect_peer.js): Connect unary Push and gRPC-Web WriteRaw over HTTP/1.1, gRPC WriteRaw over
# cleartext HTTP/2 (Node http2). The server decodes the requests itself and names the protocol
# it saw; go tool pprof reads every raw_profile. Its error forms (a Connect JSON error with HTTP
# 400 or 503, grpc-status 3 or 14 in a gRPC-Web trailer frame) drive rejection and retry.
# Setup (CI): (cd tests/upload && npm ci), which tools/test.sh runs.
. "$(dirname "$0")/../upload/lib.sh"
need_tools
command -v node >/dev/null || skip "node not installed"
[ -d "$SRC/tests/upload/node_modules/@connectrpc/connect-node" ] ||
	skip "connect-node not installed: (cd tests/upload && npm ci)"
HTTP=$(free_port)
H2C=$(free_port)
protoc --descriptor_set_out="$TMP/fds.pb" --include_imports -I "$SRC/proto" \
	"$SRC/proto/pyroscope_push.proto" "$SRC/proto/parca_profilestore.proto"

start_node_peer() { # start_node_peer OUTDIR ARGS...
	local out=$1
	shift
	mkdir -p "$out"
	node "$SRC/tests/upload/connect_peer.js" --desc "$TMP/fds.pb" --out "$out" --http "$HTTP" \
		--h2c "$H2C" "$@" >"$out/peer.log" 2>&1 &
	PEER_PID=$!
	for _ in $(seq 100); do
		grep -q "peer: ready" "$out/peer.log" 2>/dev/null && return 0
		kill -0 "$PEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out/peer.log" >&2
	fail "connect-node peer did not start"
}

# kinds OUTDIR: the protocol connect-node saw for each accepted request
kinds() {
	"$PY" -c 'import json,sys; print(" ".join(json.loads(l)["kind"] for l in open(sys.argv[1]) if json.loads(l)["status"] == "ok"))' "$1/requests.jsonl"
}

start_node_peer "$TMP/p1"
for k in "pyroscope http://127.0.0.1:$HTTP c connect" "parca http://127.0.0.1:$HTTP w grpc-web" \
	"parca grpc://127.0.0.1:$H2C g grpc"; do
	set -- $k
	echo "== $4"
	: >"$TMP/p1/requests.jsonl"
	"$DRIVER" --sink "$1" --url "$2" --tag "$3" --count 3 --tenant-id tenant-7 --label env=test \
		>"$TMP/$3.out" 2>"$TMP/$3.err" || fail "$4: $(cat "$TMP/$3.err")"
	expect_stat "$TMP/$3.out" sent 3
	[ "$(kinds "$TMP/p1")" = "$4 $4 $4" ] || fail "$4: the server saw $(kinds "$TMP/p1")"
	[ "$(delivered "$TMP/p1")" = "$3-0 $3-1 $3-2" ] || fail "$4: $(delivered "$TMP/p1")"
	grep -q '"x-scope-orgid":"tenant-7"' "$TMP/p1/requests.jsonl" || fail "$4: no tenant"
	grep -q '"env":"test"' "$TMP/p1/requests.jsonl" || fail "$4: no label"
	i=0
	for f in $("$PY" -c 'import json,sys; print(" ".join(json.loads(l)["file"] for l in open(sys.argv[1])))' "$TMP/p1/requests.jsonl"); do
		check_pprof "$TMP/p1/$f" "win_$3_$i"
		i=$((i + 1))
	done
	[ "$i" = 3 ] || fail "$4: $i profiles"
	head -1 "$TMP/p1/requests.jsonl"
done
stop_peer

echo "== Connect and gRPC-Web errors: invalid_argument rejected with its message"
start_node_peer "$TMP/p2" --reject
for k in "pyroscope http://127.0.0.1:$HTTP rc" "parca http://127.0.0.1:$HTTP rw" \
	"parca grpc://127.0.0.1:$H2C rg"; do
	set -- $k
	"$DRIVER" --sink "$1" --url "$2" --tag "$3" --count 1 --backoff-min-ms 50 --flush-ms 3000 \
		>"$TMP/$3.out" 2>"$TMP/$3.err" || fail "$3: $(cat "$TMP/$3.err")"
	expect_stat "$TMP/$3.out" rejected 1
	expect_stat "$TMP/$3.out" retries 0
	grep -q "rejected: .*invalid profile: rejected by the test peer" "$TMP/$3.err" ||
		fail "$3: $(cat "$TMP/$3.err")"
	cat "$TMP/$3.err"
done
stop_peer

echo "== unavailable (HTTP 503 from Connect, grpc-status 14 from gRPC-Web): retried, in order"
start_node_peer "$TMP/p3" --fail-first 2
"$DRIVER" --sink parca --url "http://127.0.0.1:$HTTP" --tag u --count 3 --backoff-min-ms 50 \
	--backoff-max-ms 200 --spool-dir "$TMP/spool" --flush-ms 10000 >"$TMP/u.out" 2>"$TMP/u.err" ||
	fail "$(cat "$TMP/u.err")"
expect_stat "$TMP/u.out" sent 3
expect_stat "$TMP/u.out" retries 2
[ "$(delivered "$TMP/p3")" = "u-0 u-1 u-2" ] || fail "$(delivered "$TMP/p3")"
stop_peer
start_node_peer "$TMP/p4" --fail-first 1
"$DRIVER" --sink pyroscope --url "http://127.0.0.1:$HTTP" --tag v --count 2 --backoff-min-ms 50 \
	--flush-ms 10000 >"$TMP/v.out" 2>"$TMP/v.err" || fail "$(cat "$TMP/v.err")"
expect_stat "$TMP/v.out" retries 1
grep -q "not delivered (HTTP 503" "$TMP/v.err" || fail "$(cat "$TMP/v.err")"
[ "$(delivered "$TMP/p4")" = "v-0 v-1" ] || fail "$(delivered "$TMP/p4")"
stop_peer
echo "PASS"
