#!/bin/bash
# SPDX-License-Identifier: MIT
# What the servers get from the daemon on a Kubernetes node: Pyroscope (Connect push) and Parca
# (WriteRaw over gRPC) receive a pod container's samples in a series of its own, whose series
# labels are namespace, pod, container, node and the --k8s-label values, with service_name
# NAMESPACE/CONTAINER (--series-by container), and the host's other processes in the host series
# without them; an OTLP receiver gets one request whose pod process's resource carries
# k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.container.name and k8s.node.name. The
# protocol peer (tests/upload/peer.py) decodes with the protocols' own definitions.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
"$PY" -c 'import grpc, google.protobuf' 2>/dev/null ||
	skip "Debian python3-grpcio and python3-protobuf are needed (tools/setup.sh --test)"
command -v protoc >/dev/null || skip "protoc not installed"
# shellcheck source=k8s_lib.sh
source "$(dirname "$0")/k8s_lib.sh"

SRC=$FLAMED_SOURCE_DIR
mkdir -p "$TEST_TMP/pb" "$TEST_TMP/peer"
# shellcheck disable=SC2046
protoc --python_out="$TEST_TMP/pb" -I "$SRC/proto" "$SRC/proto/pyroscope_types.proto" \
	"$SRC/proto/pyroscope_push.proto" "$SRC/proto/parca_profilestore.proto" \
	$(find "$SRC/proto/opentelemetry" -name '*.proto' | sort)
HTTP=$(free_port)
GRPC=$(free_port)
bg_start "$TEST_TMP/peer.log" "$PY" "$SRC/tests/upload/peer.py" --pb "$TEST_TMP/pb" \
	--out "$TEST_TMP/peer" --http "$HTTP" --grpc "$GRPC"
wait_for_line "$TEST_TMP/peer.log" "peer: ready" 20

add_pod shop cart-1 cart app=cart
burn_in "$POD_CG" cartd 60
burn_in "" hostd 60
start_kubelet

cd "$TEST_TMP"
# shellcheck disable=SC2046
bg_start "$TEST_TMP/daemon.err" "$FLAMED" --pyroscope "http://127.0.0.1:$HTTP" \
	--parca "grpc://127.0.0.1:$GRPC" --otlp "http://127.0.0.1:$HTTP" --interval 2s -F 99 \
	--series-by container --label env=test $(kubelet_flags) --k8s-label app
DAEMON=$BG_PID
wait_for_line "$TEST_TMP/daemon.err" "window 3 " 60
kill -TERM "$DAEMON"
wait "$DAEMON" || fail "the daemon exited $?: $(cat "$TEST_TMP/daemon.err")"
grep -E "window|kubelet|warning|sinks" "$TEST_TMP/daemon.err" | sed 's/^/  | /'

"$PY" - "$INTEGRATION_DIR" "$TEST_TMP/peer" "$(uid_of cart-1)" "$TEST_TMP/pb" <<'PYEOF' ||
import json, os, sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
out, uid, pb = sys.argv[2], sys.argv[3], sys.argv[4]
reqs = [json.loads(l) for l in open(os.path.join(out, "requests.jsonl"))]
fails = fc.Failures()
pod = {"namespace": "shop", "pod": "cart-1", "container": "cart", "node": "node-test",
       "app": "cart", "service_name": "shop/cart", "env": "test"}
for kind in ("connect", "grpc"):
    ok = [r for r in reqs if r["kind"] == kind and r["status"] == "ok"]
    pods = [r for r in ok if r["labels"].get("pod")]
    host = [r for r in ok if not r["labels"].get("pod")]
    print("%s: %d windows, %d of the pod's series, %d of the host's" %
          (kind, len(ok), len(pods), len(host)))
    if pods:
        print("  pod series labels:", json.dumps(pods[0]["labels"], sort_keys=True))
    if host:
        print("  host series labels:", json.dumps(host[0]["labels"], sort_keys=True))
    fails.check(pods and host, "%s: want both a pod series and the host series" % kind)
    for r in pods:
        for k, v in pod.items():
            fails.check(r["labels"].get(k) == v, "%s: pod series %s=%r, want %r" %
                        (kind, k, r["labels"].get(k), v))
        # the pod's series holds its processes only
        comms = {s.comm for s in fc.load(os.path.join(out, r["file"]), fails)}
        fails.check(comms <= {"cartd"}, "%s: the pod's series holds %s" % (kind, comms))
    host_comms = set()
    for r in host:
        fails.check(r["labels"].get("service_name") == "flamed", "%s: host series service_name %r"
                    % (kind, r["labels"].get("service_name")))
        for k in ("namespace", "container", "node", "app"):
            fails.check(k not in r["labels"], "%s: host series has %s" % (kind, k))
        comms = {s.comm for s in fc.load(os.path.join(out, r["file"]), fails)}
        fails.check("cartd" not in comms, "%s: the host series holds the pod's process" % kind)
        host_comms |= comms
    # over the run: the last window, cut short by SIGTERM, may hold no sample of it on a busy host
    fails.check("hostd" in host_comms, "%s: hostd missing from the host series" % kind)
# OTLP: one request a window, the pod's process a resource with the k8s.* attributes
sys.path.insert(0, os.path.join(sys.argv[1], "..", "upload"))
import otlp_check
svc = otlp_check.load_modules(pb)
ok = [r for r in reqs if r["kind"] == "otlp-http" and r["status"] == "ok"]
fails.check(ok, "no OTLP request")
found = None
for r in ok:
    req = svc.ExportProfilesServiceRequest()
    req.ParseFromString(open(os.path.join(out, r["file"]), "rb").read())
    for res in otlp_check.summarise(req)["resources"]:
        a = res["attributes"]
        if a.get("k8s.pod.name"):
            found = a
        elif a.get("k8s.namespace.name") or a.get("k8s.container.name"):
            fails.check(False, "OTLP: a resource with half the k8s attributes: %s" % a)
if found:
    print("OTLP resource of the pod's process:", json.dumps(found, sort_keys=True))
want = {"k8s.namespace.name": "shop", "k8s.pod.name": "cart-1", "k8s.pod.uid": uid,
        "k8s.container.name": "cart", "k8s.node.name": "node-test",
        "k8s.pod.label.app": "cart"}
for k, v in want.items():
    fails.check(found and found.get(k) == v, "OTLP: %s=%r, want %r" % (k, found and found.get(k), v))
sys.exit(fails.finish())
PYEOF
	fail "what the servers got"
echo PASS
