#!/usr/bin/env bash
# The OTLP sink against receivers on loopback built from the official protos
# (proto/opentelemetry/, python3-protobuf; gRPC by Debian's grpcio C-core): ProfilesService/Export
# over h2c with a gzip message, OTLP/HTTP POST /v1development/profiles with a gzip body. Every
# accepted request's dictionary is checked by tests/upload/otlp_check.py and its contents compared
# with what the driver encoded; --otlp-header and credentials arrive (never printed); a receiver
# down at first (spool: all windows once, in order); 503 + Retry-After retried; 500 and 400
# rejected at once (the OTLP rule: only 429, 502, 503, 504 are retried); a partial success
# counted for every window and logged once.
. "$(dirname "$0")/../upload/lib.sh"
need_tools
gen_pb
HTTP=$(free_port)
GRPC=$(free_port)
CHECK=("$PY" "$SRC/tests/upload/otlp_check.py" --pb "$TMP/pb")
make_secrets
fast=(--backoff-min-ms 100 --backoff-max-ms 400 --timeout-ms 3000)

run() { # run NAME DRIVER-ARGS...: driver output in $TMP/NAME.{out,err}
	local name=$1
	shift
	"$DRIVER" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || {
		cat "$TMP/$name.out" "$TMP/$name.err" >&2
		fail "$name: driver failed"
	}
	! grep -q -e "$TOKEN" -e "$PASS" -e "s3cr3t-header" "$TMP/$name.out" "$TMP/$name.err" ||
		fail "$name: a credential was printed"
}

# check_otlp OUTDIR KIND N TAG: N accepted requests of KIND, in order, each a valid request
# whose resource and profile are the driver's window TAG-i.
check_otlp() {
	local out=$1 kind=$2 n=$3 tag=$4 i f
	[ "$(count_requests "$out" ok)" = "$n" ] || fail "$kind: $(cat "$out/requests.jsonl")"
	for i in $(seq 0 $((n - 1))); do
		f=$("$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])];
r=[x for x in r if x["status"]=="ok" and x["kind"]==sys.argv[2]]; print(r[int(sys.argv[3])]["file"])' \
			"$out/requests.jsonl" "$kind" "$i")
		"${CHECK[@]}" --expect "{\"resources\": [{\"attributes\": {\"service.name\": \"myapp\",
			\"host.name\": \"node-1\", \"env\": \"test\", \"win\": \"$tag-$i\",
			\"process.pid\": 4242, \"process.executable.name\": \"workload\",
			\"process.executable.path\": \"/usr/bin/workload\"},
			\"profiles\": [{\"sample_type\": [\"cpu\", \"nanoseconds\"], \"period\": 10101010,
			\"total\": $(((10 + i) * 10101010)), \"stacks\": [{\"frames\": [\"win_${tag}_$i\",
			\"main\"], \"attributes\": {\"thread.id\": 4243, \"thread.name\": \"worker\"}}]}]}]}" \
			"$out/$f" || fail "$kind: request $i ($f) is not window $tag-$i"
	done
	echo "$kind: $n requests valid, in order"
}

common=(--app-name myapp --hostname node-1 --label env=test --count 3 --flush-ms 10000)

echo "== gRPC h2c Export (grpcio C-core), gzip message, bearer token and --otlp-header"
start_peer "$TMP/p1" --http "$HTTP" --grpc "$GRPC" --expect-bearer "$TMP/token" \
	--expect-header "x-tenant=s3cr3t-header"
run grpc --sink otlp --url "grpc://127.0.0.1:$GRPC" --bearer-token-file "$TMP/token" \
	--header "X-Tenant=s3cr3t-header" --tag g "${common[@]}"
expect_stat "$TMP/grpc.out" sent 3
expect_stat "$TMP/grpc.out" partial 0
check_otlp "$TMP/p1" otlp-grpc 3 g
grep -q '"authorization": "matches expected"' "$TMP/p1/requests.jsonl" || fail "no bearer token"

echo "== OTLP/HTTP POST, gzip body, basic auth, a URL naming the signal path itself"
stop_peer
start_peer "$TMP/p2" --http "$HTTP" --expect-basic "$TMP/basic"
run http --sink otlp --url "http://127.0.0.1:$HTTP/v1development/profiles" \
	--basic-auth-file "$TMP/basic" --tag h "${common[@]}"
expect_stat "$TMP/http.out" sent 3
check_otlp "$TMP/p2" otlp-http 3 h
grep -q '"path": "/v1development/profiles"' "$TMP/p2/requests.jsonl" ||
	fail "path not kept as given: $(head -1 "$TMP/p2/requests.jsonl")"
grep -q '"authorization": "matches expected"' "$TMP/p2/requests.jsonl" || fail "no basic auth"
stop_peer

echo "== receiver down for the first seconds (gRPC): spooled, then each window once, in order"
"$DRIVER" --sink otlp --url "grpc://127.0.0.1:$GRPC" --spool-dir "$TMP/spool" --count 5 \
	--interval-ms 300 --tag d --flush-ms 20000 "${fast[@]}" --app-name myapp \
	--hostname node-1 --label env=test >"$TMP/down.out" 2>"$TMP/down.err" &
drv=$!
sleep 1.5
start_peer "$TMP/p3" --grpc "$GRPC"
wait "$drv" || fail "driver: $(cat "$TMP/down.out" "$TMP/down.err")"
cat "$TMP/down.out"
expect_stat "$TMP/down.out" sent 5
expect_stat "$TMP/down.out" queued 0
[ "$(stat_of "$TMP/down.out" retries)" -ge 1 ] || fail "no retries while the receiver was down"
[ "$(delivered "$TMP/p3")" = "d-0 d-1 d-2 d-3 d-4" ] || fail "delivered: $(delivered "$TMP/p3")"
check_otlp "$TMP/p3" otlp-grpc 5 d
[ -z "$(ls "$TMP/spool/otlp")" ] || fail "spool not empty: $(ls "$TMP/spool/otlp")"
stop_peer

echo "== 503 with Retry-After: 1 (HTTP): retried after the server's delay, then delivered"
start_peer "$TMP/p4" --http "$HTTP" --fail-first 2 --fail-status 503 --retry-after 1
run r503 --sink otlp --url "http://127.0.0.1:$HTTP" --count 2 --tag r --flush-ms 20000 \
	--backoff-min-ms 100 --backoff-max-ms 10000
expect_stat "$TMP/r503.out" sent 2
expect_stat "$TMP/r503.out" retries 2
[ "$(delivered "$TMP/p4")" = "r-0 r-1" ] || fail "delivered: $(delivered "$TMP/p4")"
"$PY" - "$TMP/p4/requests.jsonl" <<'PYEOF' || fail "Retry-After not honoured"
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])]
print("gaps after 503 + Retry-After 1: %s" % ["%.2f" % (b - a) for a, b in zip(t, t[1:2])])
sys.exit(0 if 0.9 <= t[1] - t[0] <= 4 else 1)
PYEOF
stop_peer

echo "== 500 and 400 (HTTP), INVALID_ARGUMENT (gRPC): rejected once, never retried"
start_peer "$TMP/p5" --http "$HTTP" --fail-first 100 --fail-status 500
run r500 --sink otlp --url "http://127.0.0.1:$HTTP" --count 2 --flush-ms 3000 "${fast[@]}"
expect_stat "$TMP/r500.out" rejected 2
expect_stat "$TMP/r500.out" retries 0
[ "$(count_requests "$TMP/p5" fail)" = 2 ] || fail "a 500 was retried"
stop_peer
start_peer "$TMP/p6" --http "$HTTP" --grpc "$GRPC" --reject
for u in "http://127.0.0.1:$HTTP" "grpc://127.0.0.1:$GRPC"; do
	: >"$TMP/p6/requests.jsonl"
	run reject --sink otlp --url "$u" --count 2 --flush-ms 3000 "${fast[@]}"
	expect_stat "$TMP/reject.out" rejected 2
	expect_stat "$TMP/reject.out" retries 0
	[ "$(grep -c "rejected: .*invalid profile: rejected by the test peer" "$TMP/reject.err")" = 2 ] ||
		fail "$u: want the receiver's message once per window: $(cat "$TMP/reject.err")"
done
stop_peer

echo "== partial success: every window sent and counted, the message logged once"
start_peer "$TMP/p7" --http "$HTTP" --grpc "$GRPC" --partial 1 "1 profile too old"
for u in "http://127.0.0.1:$HTTP" "grpc://127.0.0.1:$GRPC"; do
	run partial --sink otlp --url "$u" --count 3 --flush-ms 10000 "${fast[@]}"
	expect_stat "$TMP/partial.out" sent 3
	expect_stat "$TMP/partial.out" partial 3
	expect_stat "$TMP/partial.out" rejected_profiles 3
	expect_stat "$TMP/partial.out" retries 0
	[ "$(grep -c "warning: otlp: window .*: the receiver dropped 1 profile(s): 1 profile too old" \
		"$TMP/partial.err")" = 1 ] || fail "$u: partial success not logged once: $(cat "$TMP/partial.err")"
done
stop_peer
echo "PASS"
