#!/usr/bin/env bash
# Every upload protocol against a real peer on loopback: Connect Push and /ingest (Python
# http.server, decoded with python3-protobuf), gRPC h2c (Debian grpcio C-core, which insists on
# te: trailers) and gRPC-Web. One request per window, series labels and tenant right, the saved
# raw_profile read by go tool pprof; auth headers sent and never printed; a 4xx rejected once,
# not retried, with the server's message in the log.
. "$(dirname "$0")/../upload/lib.sh"
need_tools
gen_pb
HTTP=$(free_port)
GRPC=$(free_port)
make_secrets

run() { # run NAME DRIVER-ARGS...: driver output in $TMP/NAME.{out,err}
	local name=$1
	shift
	"$DRIVER" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || {
		cat "$TMP/$name.out" "$TMP/$name.err" >&2
		fail "$name: driver failed"
	}
	! grep -q -e "$TOKEN" -e "$PASS" "$TMP/$name.out" "$TMP/$name.err" ||
		fail "$name: a credential was printed"
}

check_series() { # check_series OUTDIR KIND N TAG: N accepted requests of KIND, labels, pprof
	local out=$1 kind=$2 n=$3 tag=$4
	"$PY" - "$out/requests.jsonl" "$kind" "$n" "$tag" <<'PYEOF' || fail "$kind: see above"
import json, sys
path, kind, n, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
reqs = [json.loads(l) for l in open(path)]
reqs = [r for r in reqs if r["kind"] == kind]
assert [r["status"] for r in reqs] == ["ok"] * n, reqs
for i, r in enumerate(reqs):
    l = r["labels"]
    if kind == "ingest":
        want = "myapp{hostname=node-1,env=test,win=%s-%d}" % (tag, i)
        assert l["name"] == want, (l, want)
        assert l["spyName"] == "flamed" and int(l["until"]) - int(l["from"]) == 10**10, l
    else:
        want = {"__name__": "process_cpu", "service_name": "myapp", "hostname": "node-1",
                "env": "test", "win": "%s-%d" % (tag, i)}
        assert l == want, (l, want)
    assert r["x-scope-orgid"] == "tenant-7", r
    assert r["authorization"] in ("matches expected", "absent"), r
    print("%s ok: %s" % (kind, json.dumps(r, sort_keys=True)))
PYEOF
	for i in $(seq 0 $((n - 1))); do
		f=$(sed -n "s/.*\"file\": \"\([0-9]*.pb.gz\)\".*\"kind\": \"$kind\".*/\1/p" \
			"$out/requests.jsonl" | sed -n "$((i + 1))p")
		check_pprof "$out/$f" "win_${tag}_$i"
	done
}

common=(--tenant-id tenant-7 --app-name myapp --hostname node-1 --label env=test --count 3
	--flush-ms 10000)

echo "== Connect Push, bearer token"
start_peer "$TMP/p1" --http "$HTTP" --grpc "$GRPC" --expect-bearer "$TMP/token"
run connect --sink pyroscope --url "http://127.0.0.1:$HTTP/" --bearer-token-file "$TMP/token" \
	--tag c "${common[@]}"
expect_stat "$TMP/connect.out" sent 3
expect_stat "$TMP/connect.out" retries 0
check_series "$TMP/p1" connect 3 c
grep -q '"authorization": "matches expected"' "$TMP/p1/requests.jsonl" || fail "no bearer token"
grep -q "warning: pyroscope: credentials go unencrypted to http://127.0.0.1:$HTTP/" \
	"$TMP/connect.err" || fail "no cleartext warning: $(cat "$TMP/connect.err")"

echo "== gRPC h2c WriteRaw (grpcio C-core), bearer token"
run grpc --sink parca --url "grpc://127.0.0.1:$GRPC" --bearer-token-file "$TMP/token" \
	--tag g "${common[@]}"
expect_stat "$TMP/grpc.out" sent 3
check_series "$TMP/p1" grpc 3 g

echo "== gRPC-Web WriteRaw"
run grpcweb --sink parca --url "http://127.0.0.1:$HTTP" --bearer-token-file "$TMP/token" \
	--tag w "${common[@]}"
expect_stat "$TMP/grpcweb.out" sent 3
check_series "$TMP/p1" grpc-web 3 w
stop_peer

echo "== /ingest multipart, basic auth"
start_peer "$TMP/p2" --http "$HTTP" --expect-basic "$TMP/basic"
run ingest --sink pyroscope-ingest --url "http://127.0.0.1:$HTTP" --basic-auth-file "$TMP/basic" \
	--tag i "${common[@]}"
expect_stat "$TMP/ingest.out" sent 3
check_series "$TMP/p2" ingest 3 i
grep -q '"authorization": "matches expected"' "$TMP/p2/requests.jsonl" || fail "no basic auth"
stop_peer

echo "== a credential file readable by others is used, with a warning"
chmod 644 "$TMP/token"
start_peer "$TMP/p3" --http "$HTTP" --expect-bearer "$TMP/token"
run perms --sink pyroscope --url "http://127.0.0.1:$HTTP" --bearer-token-file "$TMP/token" \
	--count 1
grep -q "warning: pyroscope: bearer token file .* readable by group or others" "$TMP/perms.err" ||
	fail "no permission warning: $(cat "$TMP/perms.err")"
! grep -q "readable by" "$TMP/connect.err" || fail "warned about a 0600 file"
expect_stat "$TMP/perms.out" sent 1
stop_peer

echo "== 4xx: rejected once, not retried, the server's message in the log"
start_peer "$TMP/p4" --http "$HTTP" --grpc "$GRPC" --reject
for k in "pyroscope http://127.0.0.1:$HTTP connect" "pyroscope-ingest http://127.0.0.1:$HTTP ingest" \
	"parca http://127.0.0.1:$HTTP grpc-web" "parca grpc://127.0.0.1:$GRPC grpc"; do
	set -- $k
	: >"$TMP/p4/requests.jsonl"
	run "reject-$3" --sink "$1" --url "$2" --count 2 --backoff-min-ms 50 --flush-ms 3000
	expect_stat "$TMP/reject-$3.out" rejected 2
	expect_stat "$TMP/reject-$3.out" retries 0
	expect_stat "$TMP/reject-$3.out" sent 0
	[ "$(count_requests "$TMP/p4" reject)" = 2 ] || fail "$3: retried a 4xx"
	[ "$(grep -c "rejected: .*invalid profile: rejected by the test peer" "$TMP/reject-$3.err")" = 2 ] ||
		fail "$3: want the server's message once per window: $(cat "$TMP/reject-$3.err")"
	grep "rejected" "$TMP/reject-$3.err" | head -1
done
stop_peer
echo "PASS"
