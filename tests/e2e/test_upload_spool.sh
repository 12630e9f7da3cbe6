#!/usr/bin/env bash
# Failure handling of the HTTP sinks against a real peer on loopback: a peer down for the first
# part (windows spooled, then all delivered exactly once, in order), 5xx and 429 retried (429's
# Retry-After honoured), a full spool evicting the oldest and counting it, and a restart (a new
# sink on the same spool dir) draining what the last run left, oldest first.
. "$(dirname "$0")/../upload/lib.sh"
need_tools
gen_pb
HTTP=$(free_port)
GRPC=$(free_port)
fast=(--backoff-min-ms 100 --backoff-max-ms 400 --timeout-ms 3000)

echo "== peer down for the first part (gRPC h2c): spooled, then delivered once, in order"
"$DRIVER" --sink parca --url "grpc://127.0.0.1:$GRPC" --spool-dir "$TMP/spool1" --count 6 \
	--interval-ms 300 --tag d --flush-ms 20000 "${fast[@]}" >"$TMP/down.out" 2>"$TMP/down.err" &
drv=$!
sleep 1
start_peer "$TMP/p1" --grpc "$GRPC"
wait "$drv" || fail "driver: $(cat "$TMP/down.out" "$TMP/down.err")"
cat "$TMP/down.out"
expect_stat "$TMP/down.out" sent 6
expect_stat "$TMP/down.out" queued 0
[ "$(stat_of "$TMP/down.out" retries)" -ge 1 ] || fail "no retries while the peer was down"
[ "$(stat_of "$TMP/down.out" spooled)" -ge 2 ] || fail "nothing spooled while the peer was down"
[ "$(delivered "$TMP/p1")" = "d-0 d-1 d-2 d-3 d-4 d-5" ] ||
	fail "delivered: $(delivered "$TMP/p1")"
[ -z "$(ls "$TMP/spool1/parca")" ] || fail "spool not empty: $(ls "$TMP/spool1/parca")"
grep -q "warning: parca: window .* not delivered (.*); retry 1 in" "$TMP/down.err" ||
	fail "no retry warning: $(cat "$TMP/down.err")"
stop_peer

echo "== 503 then 200 (Connect): retried until delivered, in order"
start_peer "$TMP/p2" --http "$HTTP" --fail-first 3 --fail-status 503
"$DRIVER" --sink pyroscope --url "http://127.0.0.1:$HTTP" --spool-dir "$TMP/spool2" --count 3 \
	--tag f --flush-ms 20000 "${fast[@]}" >"$TMP/5xx.out" 2>"$TMP/5xx.err" || fail "$(cat "$TMP/5xx.err")"
expect_stat "$TMP/5xx.out" sent 3
expect_stat "$TMP/5xx.out" retries 3
[ "$(delivered "$TMP/p2")" = "f-0 f-1 f-2" ] || fail "delivered: $(delivered "$TMP/p2")"
stop_peer

echo "== 429 with Retry-After: 2 (Connect): the retry waits 2 s, not the 100 ms backoff"
start_peer "$TMP/p3" --http "$HTTP" --fail-first 1 --fail-status 429 --retry-after 2
"$DRIVER" --sink pyroscope --url "http://127.0.0.1:$HTTP" --count 1 --tag r --flush-ms 20000 \
	--backoff-min-ms 100 --backoff-max-ms 10000 >"$TMP/429.out" 2>"$TMP/429.err" || fail "$(cat "$TMP/429.err")"
expect_stat "$TMP/429.out" sent 1
expect_stat "$TMP/429.out" retries 1
"$PY" - "$TMP/p3/requests.jsonl" <<'PYEOF' || fail "Retry-After not honoured"
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])]
gap = t[1] - t[0]
print("gap after 429 + Retry-After 2: %.2f s (the first backoff alone is <= 0.1 s)" % gap)
sys.exit(0 if 1.9 <= gap <= 5 else 1)
PYEOF
stop_peer

echo "== a server that does not answer: the request times out and is retried"
start_peer "$TMP/p5" --http "$HTTP" --hang-first 1
"$DRIVER" --sink pyroscope --url "http://127.0.0.1:$HTTP" --count 2 --tag t --flush-ms 20000 \
	--timeout-ms 500 --backoff-min-ms 100 --backoff-max-ms 400 >"$TMP/hang.out" 2>"$TMP/hang.err" ||
	fail "$(cat "$TMP/hang.err")"
grep -q "not delivered (Operation timed out after" "$TMP/hang.err" ||
	fail "no timeout: $(cat "$TMP/hang.err")"
expect_stat "$TMP/hang.out" sent 2
[ "$(delivered "$TMP/p5")" = "t-0 t-1" ] || fail "delivered: $(delivered "$TMP/p5")"
stop_peer

echo "== a full spool evicts the oldest, counted; a restart drains the rest, oldest first"
# One window's spool file is ~0.3 KiB: 1200 bytes hold three of them.
"$DRIVER" --sink pyroscope --url "http://127.0.0.1:$HTTP" --spool-dir "$TMP/spool4" \
	--spool-max-bytes 1200 --count 8 --tag e --flush-ms 300 "${fast[@]}" \
	>"$TMP/full.out" 2>"$TMP/full.err" && rc=0 || rc=$?
want_rc 3 "$rc" "flush with the peer down"
cat "$TMP/full.out"
kept=$(ls "$TMP/spool4/pyroscope" | wc -l)
expect_stat "$TMP/full.out" evicted $((8 - kept))
expect_stat "$TMP/full.out" queued "$kept"
expect_stat "$TMP/full.out" sent 0
[ "$kept" -ge 2 ] && [ "$kept" -le 4 ] || fail "spool kept $kept windows"
grep -q "spool full, evicted" "$TMP/full.err" || fail "no eviction warning"

echo "== restart: a new sink on the same spool sends what was left, oldest first"
start_peer "$TMP/p4" --http "$HTTP"
"$DRIVER" --sink pyroscope --url "http://127.0.0.1:$HTTP" --spool-dir "$TMP/spool4" \
	--spool-max-bytes 1200 --count 0 --flush-ms 20000 "${fast[@]}" \
	>"$TMP/restart.out" 2>"$TMP/restart.err" || fail "$(cat "$TMP/restart.err")"
cat "$TMP/restart.out"
grep -q "$kept window(s) left in the spool by an earlier run" "$TMP/restart.err" ||
	fail "restart did not find the spool: $(cat "$TMP/restart.err")"
want="$(seq $((8 - kept)) 7 | sed 's/^/e-/' | tr '\n' ' ' | sed 's/ $//')"
[ "$(delivered "$TMP/p4")" = "$want" ] || fail "delivered: $(delivered "$TMP/p4"), want $want"
expect_stat "$TMP/restart.out" sent "$kept"
expect_stat "$TMP/restart.out" queued 0
[ -z "$(ls "$TMP/spool4/pyroscope")" ] || fail "spool not empty after the drain"
for f in "$TMP"/p4/*.pb.gz; do
	HOME=$TMP go tool pprof -raw -symbolize=none "$f" >/dev/null 2>&1 || fail "pprof: $f"
done
stop_peer

echo "== a damaged spool file is dropped (counted, one error line), the others still go"
"$DRIVER" --sink parca --url "http://127.0.0.1:$HTTP" --spool-dir "$TMP/spool6" --count 3 \
	--tag x --flush-ms 300 "${fast[@]}" >"$TMP/dmg1.out" 2>"$TMP/dmg1.err" && rc=0 || rc=$?
want_rc 3 "$rc" "flush with the peer down"
expect_stat "$TMP/dmg1.out" queued 3
printf 'garbage' >"$(ls -d "$TMP"/spool6/parca/* | sed -n 2p)"
start_peer "$TMP/p6" --http "$HTTP"
"$DRIVER" --sink parca --url "http://127.0.0.1:$HTTP" --spool-dir "$TMP/spool6" --count 0 \
	--flush-ms 20000 "${fast[@]}" >"$TMP/dmg2.out" 2>"$TMP/dmg2.err" || fail "$(cat "$TMP/dmg2.err")"
expect_stat "$TMP/dmg2.out" dropped 1
expect_stat "$TMP/dmg2.out" sent 2
grep -q "error: parca: dropping unreadable spool window 2: Invalid argument" "$TMP/dmg2.err" ||
	fail "$(cat "$TMP/dmg2.err")"
[ "$(delivered "$TMP/p6")" = "x-0 x-2" ] || fail "delivered: $(delivered "$TMP/p6")"
stop_peer
echo "PASS"
