#!/usr/bin/env bash
# TLS for the HTTP sinks, with a CA made by openssl here: gRPC over TLS (grpcs://, Debian grpcio)
# and Connect over https verify against --tls-ca; an unknown CA is refused with a clear error and
# nothing is delivered; --insecure-skip-verify is the explicit way round; a client certificate
# (--tls-cert/--tls-key) satisfies a server that demands one.
. "$(dirname "$0")/../upload/lib.sh"
need_tools
command -v openssl >/dev/null || skip "openssl not installed"
gen_pb
HTTP=$(free_port)
GRPC=$(free_port)

mkca() { # mkca NAME: a self-signed CA NAME.pem / NAME.key
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=flamed test $1" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.pem" 2>/dev/null
}
mkcert() { # mkcert NAME CA: a certificate for 127.0.0.1 signed by CA
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$TMP/$1.key" \
		-out "$TMP/$1.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TMP/$1.ext"
	openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/$2.pem" -CAkey "$TMP/$2.key" \
		-CAcreateserial -days 2 -extfile "$TMP/$1.ext" -out "$TMP/$1.pem" 2>/dev/null
}
mkca ca
mkca other
mkcert server ca
mkcert client ca

run() { # run NAME ARGS...: the driver, output in $TMP/NAME.{out,err}; returns its status
	local name=$1
	shift
	"$DRIVER" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
}

start_peer "$TMP/p1" --grpc "$GRPC" --http "$HTTP" --tls "$TMP/server.pem" "$TMP/server.key"

echo "== grpcs:// verified against --tls-ca"
run grpcs --sink parca --url "grpcs://127.0.0.1:$GRPC" --tls-ca "$TMP/ca.pem" --tag s --count 2 ||
	fail "grpcs: $(cat "$TMP/grpcs.err")"
expect_stat "$TMP/grpcs.out" sent 2
[ "$(delivered "$TMP/p1")" = "s-0 s-1" ] || fail "delivered: $(delivered "$TMP/p1")"

echo "== https:// Connect verified against --tls-ca"
run https --sink pyroscope --url "https://127.0.0.1:$HTTP" --tls-ca "$TMP/ca.pem" --tag h \
	--count 1 || fail "https: $(cat "$TMP/https.err")"
expect_stat "$TMP/https.out" sent 1

echo "== an unknown CA is refused with a clear error, nothing delivered"
before=$(delivered "$TMP/p1")
run unknown --sink parca --url "grpcs://127.0.0.1:$GRPC" --tls-ca "$TMP/other.pem" --tag u \
	--count 1 --flush-ms 1500 --backoff-min-ms 200 && rc=0 || rc=$?
want_rc 3 "$rc" "an unknown CA"
cat "$TMP/unknown.err"
grep -q "not delivered (SSL certificate problem: unable to get local issuer certificate)" \
	"$TMP/unknown.err" || fail "no clear TLS error"
expect_stat "$TMP/unknown.out" sent 0
[ "$(delivered "$TMP/p1")" = "$before" ] || fail "the peer got a window"

echo "== the system CAs do not know the test CA either"
run system --sink pyroscope --url "https://127.0.0.1:$HTTP" --tag y --count 1 --flush-ms 1000 \
	--backoff-min-ms 200 && rc=0 || rc=$?
want_rc 3 "$rc" "no --tls-ca"
grep -q "SSL certificate problem" "$TMP/system.err" || fail "no TLS error: $(cat "$TMP/system.err")"

echo "== --insecure-skip-verify, explicitly"
run insecure --sink parca --url "grpcs://127.0.0.1:$GRPC" --insecure-skip-verify --tag k \
	--count 1 || fail "insecure: $(cat "$TMP/insecure.err")"
expect_stat "$TMP/insecure.out" sent 1
stop_peer

echo "== a server that demands a client certificate"
start_peer "$TMP/p2" --grpc "$GRPC" --tls "$TMP/server.pem" "$TMP/server.key" \
	--client-ca "$TMP/ca.pem"
run nocert --sink parca --url "grpcs://127.0.0.1:$GRPC" --tls-ca "$TMP/ca.pem" --tag x \
	--count 1 --flush-ms 1000 --backoff-min-ms 200 && rc=0 || rc=$?
want_rc 3 "$rc" "no client certificate"
grep -q "not delivered" "$TMP/nocert.err" || fail "no error: $(cat "$TMP/nocert.err")"
run mtls --sink parca --url "grpcs://127.0.0.1:$GRPC" --tls-ca "$TMP/ca.pem" \
	--tls-cert "$TMP/client.pem" --tls-key "$TMP/client.key" --tag m --count 1 ||
	fail "mtls: $(cat "$TMP/mtls.err")"
[ "$(delivered "$TMP/p2")" = "m-0" ] || fail "delivered: $(delivered "$TMP/p2")"
stop_peer
echo "PASS"
