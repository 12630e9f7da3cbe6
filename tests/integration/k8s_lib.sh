# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the Kubernetes tests (sourced after lib.sh): pods made of real cgroups in a kubepods
# hierarchy of the host's cgroup v2 tree, named as a kubelet with the systemd driver names them
# under a --cgroup-root (as kind's kubelet does: PFX.slice/PFX-kubepods.slice/...), unique to
# this run; processes moved into them; a fake kubelet (tests/k8s/fake_kubelet.py) that lists
# those pods over TLS with a CA made here and checks the bearer token. Everything is removed at
# exit.

K8S_DIR="$INTEGRATION_DIR/../k8s"
PFX="flamedk8s$$"
NODE=node-test
PODS_JSON="$TEST_TMP/pods.json"
KUBELET_LOG="$TEST_TMP/kubelet.jsonl"
KUBELET_PID=
CG_PIDS=()
echo "[]" >"$PODS_JSON"

V2=$(cgroup_v2_root)
[ -n "$V2" ] || skip "no cgroup v2 hierarchy (a cgroup v1 host)"
mkdir "$V2/$PFX.slice" 2>/dev/null || skip "cannot make cgroups under $V2"
KUBEPODS="$V2/$PFX.slice/$PFX-kubepods.slice"
mkdir -p "$KUBEPODS/$PFX-kubepods-burstable.slice"

k8s_cleanup()
{
	local pid d
	[ -z "$KUBELET_PID" ] || kill "$KUBELET_PID" 2>/dev/null || true
	for pid in "${CG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	if [ -d "$V2/$PFX.slice" ]; then
		find "$V2/$PFX.slice" -name cgroup.procs -exec cat {} + 2>/dev/null |
			while read -r pid; do kill "$pid" 2>/dev/null || true; done
	fi
	for pid in "${CG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	sleep 0.2
	# every cgroup this run made, deepest first (processes still in one keep it: killed above)
	if [ -d "$V2/$PFX.slice" ]; then
		find "$V2/$PFX.slice" -depth -type d | while read -r d; do rmdir "$d" 2>/dev/null || true; done
	fi
	cleanup
}
trap k8s_cleanup EXIT

# uid_of NAME: a pod uid (the API's form: 8-4-4-4-12 hex), stable for NAME within the run.
uid_of()
{
	printf '%s' "$PFX-$1" | sha256sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/'
}

# id_of NAME: a 64-hex container id.
id_of()
{
	printf '%s' "$PFX-c-$1" | sha256sum | cut -c1-64
}

# add_pod NAMESPACE POD CONTAINER [LABEL=VALUE...]: the pod's and its container's cgroups (sets
# POD_CG to the container's), and the pod in the kubelet's list.
add_pod()
{
	local ns=$1 pod=$2 ctr=$3 uid id
	shift 3
	uid=$(uid_of "$pod")
	id=$(id_of "$pod-$ctr")
	POD_CG="$KUBEPODS/$PFX-kubepods-burstable.slice/$PFX-kubepods-burstable-pod${uid//-/_}.slice/cri-containerd-$id.scope"
	mkdir -p "$POD_CG"
	"$PY" - "$PODS_JSON" "$ns" "$pod" "$uid" "$ctr" "$id" "$@" <<'PYEOF'
import json, os, sys
path, ns, pod, uid, ctr, cid = sys.argv[1:7]
labels = dict(kv.split("=", 1) for kv in sys.argv[7:])
pods = json.load(open(path))
pods.append({"namespace": ns, "name": pod, "uid": uid, "labels": labels,
             "containers": [{"name": ctr, "id": cid}]})
json.dump(pods, open(path + ".tmp", "w"))
os.rename(path + ".tmp", path)
PYEOF
}

# burn_in CGROUP COMM SECONDS: a CPU burner named COMM (a copy of cpu_shares) in CGROUP ("" for
# where the test runs), its stdout in $TEST_TMP/COMM.out; sets BURN_PID.
burn_in()
{
	local cg=$1 comm=$2 secs=$3
	cp "$WORKLOAD_DIR/cpu_shares" "$TEST_TMP/$comm"
	if [ -n "$cg" ]; then
		sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" "$3"' sh "$cg" "$TEST_TMP/$comm" \
			"$secs" >"$TEST_TMP/$comm.out" 2>&1 &
	else
		"$TEST_TMP/$comm" "$secs" >"$TEST_TMP/$comm.out" 2>&1 &
	fi
	BURN_PID=$!
	CG_PIDS+=("$BURN_PID")
}

# The kubelet's TLS: a CA of this run, a certificate for 127.0.0.1 it signed, a token.
command -v openssl >/dev/null || skip "openssl not installed"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=flamed k8s test CA" \
	-keyout "$TEST_TMP/ca.key" -out "$TEST_TMP/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$NODE" -keyout "$TEST_TMP/kubelet.key" \
	-out "$TEST_TMP/kubelet.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TEST_TMP/kubelet.ext"
openssl x509 -req -in "$TEST_TMP/kubelet.csr" -CA "$TEST_TMP/ca.pem" -CAkey "$TEST_TMP/ca.key" \
	-CAcreateserial -days 2 -extfile "$TEST_TMP/kubelet.ext" -out "$TEST_TMP/kubelet.pem" \
	2>/dev/null
head -c 24 /dev/urandom | base64 | tr -d '\n=+/' >"$TEST_TMP/token"
chmod 600 "$TEST_TMP/token"

# start_kubelet [PORT] [ARGS...]: the fake kubelet (a free port when none or 0); sets
# KUBELET_PORT and KUBELET_URL.
start_kubelet()
{
	local port=${1:-0}
	shift || true
	rm -f "$TEST_TMP/kubelet.port"
	"$PY" "$K8S_DIR/fake_kubelet.py" --port "$port" --port-file "$TEST_TMP/kubelet.port" \
		--cert "$TEST_TMP/kubelet.pem" --key "$TEST_TMP/kubelet.key" \
		--token-file "$TEST_TMP/token" --pods "$PODS_JSON" --node "$NODE" \
		--log "$KUBELET_LOG" "$@" >>"$TEST_TMP/kubelet.out" 2>&1 &
	KUBELET_PID=$!
	for _ in $(seq 100); do
		[ -s "$TEST_TMP/kubelet.port" ] && break
		kill -0 "$KUBELET_PID" 2>/dev/null || fail "fake kubelet: $(cat "$TEST_TMP/kubelet.out")"
		sleep 0.1
	done
	KUBELET_PORT=$(cat "$TEST_TMP/kubelet.port")
	KUBELET_URL="https://127.0.0.1:$KUBELET_PORT"
}

stop_kubelet()
{
	kill "$KUBELET_PID" 2>/dev/null || true
	wait "$KUBELET_PID" 2>/dev/null || true
	KUBELET_PID=
}

# The flags that point flamed at the fake kubelet.
kubelet_flags()
{
	echo --kubelet "$KUBELET_URL" --kubelet-ca "$TEST_TMP/ca.pem" \
		--kubelet-token-file "$TEST_TMP/token"
}

# free_port: a loopback port nobody listens on now.
free_port()
{
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# labels PROFILE COMM ARGS...: flamed_check.py labels.
labels()
{
	local prof=$1 comm=$2
	shift 2
	check labels "$prof" --comm "$comm" "$@" || fail "labels of $comm in $prof"
}
