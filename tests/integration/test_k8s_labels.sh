#!/bin/bash
# SPDX-License-Identifier: MIT
# Pod labels from the kubelet: a process in a pod's container cgroup (kubepods hierarchy, real
# cgroups) gets namespace, pod, container and node labels and the pod label --k8s-label names,
# on every one of its samples; a process outside any pod gets none. The fake kubelet serves a
# PodList over TLS (a CA made here) and saw the bearer token. Then the kubelet's failures: a
# wrong token (401), an account without RBAC (403) and an answer that is not a pod list each give
# one warning naming the cause, and the profile is still written, without pod labels.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
# shellcheck source=k8s_lib.sh
source "$(dirname "$0")/k8s_lib.sh"

add_pod shop cart-7d9f8c6b5-x2k4q cart app=cart team=checkout
burn_in "$POD_CG" cartd 60
add_pod batch report-28461 report app=report
burn_in "$POD_CG" reportd 60
burn_in "" hostd 60
start_kubelet

cd "$TEST_TMP"
# shellcheck disable=SC2046
run_flamed labels --once 4s -F 199 $(kubelet_flags) --k8s-label app \
	--k8s-label team=squad -o "$TEST_TMP/k.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
grep -q '"auth": "ok"' "$KUBELET_LOG" || fail "the kubelet never saw the token: $(cat "$KUBELET_LOG")"
grep -q "kubelet https://127.0.0.1:$KUBELET_PORT: 2 pods listed" "$TEST_TMP/labels.err" ||
	fail "no 'pods listed' line"
labels "$TEST_TMP/k.pb.gz" cartd --want namespace=shop --want pod=cart-7d9f8c6b5-x2k4q \
	--want container=cart --want node=$NODE --want app=cart --want squad=checkout \
	--want container_id="$(id_of cart-7d9f8c6b5-x2k4q-cart)"
labels "$TEST_TMP/k.pb.gz" reportd --want namespace=batch --want pod=report-28461 \
	--want container=report --want node=$NODE --want app=report --none squad
labels "$TEST_TMP/k.pb.gz" hostd --none namespace,pod,container,node,app,squad,container_id

note "a kubelet that refuses or answers nonsense: one warning each, the profile without pods"
echo "not-the-token" >"$TEST_TMP/wrong"
# shellcheck disable=SC2046
run_flamed wrong --once 2s --kubelet "$KUBELET_URL" --kubelet-ca "$TEST_TMP/ca.pem" \
	--kubelet-token-file "$TEST_TMP/wrong" -o "$TEST_TMP/w.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC with a wrong token"
[ "$(grep -c "warning: kubelet .*401 Unauthorized" "$TEST_TMP/wrong.err")" = 1 ] ||
	fail "not one 401 warning"
labels "$TEST_TMP/w.pb.gz" cartd --min-samples 5 --none namespace,pod,container,node
stop_kubelet
for how in "--status 403:403 Forbidden" "--garbage:not a pod list"; do
	start_kubelet 0 ${how%%:*}
	# shellcheck disable=SC2046
	run_flamed fail --once 2s $(kubelet_flags) -o "$TEST_TMP/f.pb.gz"
	[ "$RC" = 0 ] || fail "flamed exited $RC (${how%%:*})"
	[ "$(grep -c "warning: kubelet .*${how#*:}" "$TEST_TMP/fail.err")" = 1 ] ||
		fail "not one '${how#*:}' warning"
	labels "$TEST_TMP/f.pb.gz" cartd --min-samples 5 --none namespace,pod,container,node
	stop_kubelet
done

note "an unknown CA is refused (the kubelet's certificate is verified)"
start_kubelet
before=$(wc -l <"$KUBELET_LOG")
run_flamed ca --once 2s --kubelet "$KUBELET_URL" --kubelet-token-file "$TEST_TMP/token" \
	-o "$TEST_TMP/c.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
grep -q "warning: kubelet .*not signed by the CA" "$TEST_TMP/ca.err" || fail "no TLS failure warning"
[ "$(wc -l <"$KUBELET_LOG")" = "$before" ] || fail "a request went through the unverified TLS"
labels "$TEST_TMP/c.pb.gz" cartd --min-samples 5 --none namespace,pod,container,node
echo PASS
