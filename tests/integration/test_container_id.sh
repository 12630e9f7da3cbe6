#!/bin/bash
# SPDX-License-Identifier: MIT
# container_id: a process in a docker-style cgroup (docker-<64 hex>.scope under cgroup v2, or
# /docker/<64 hex> under cgroup v1, as Docker's systemd and cgroupfs drivers name them) gets a
# container_id label with that id; a process outside any container gets none.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
have_go || skip "go (golang-go) missing: go tool pprof -tags reads the labels"

ID=3f1c9e2b7d4a5c6e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7
v2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ {print $2; exit}' /proc/mounts)
if [ -n "$v2" ] && mkdir -p "$v2/flamed-test.slice/docker-$ID.scope" 2>/dev/null; then
	CG=$v2/flamed-test.slice/docker-$ID.scope
	CLEAN=("$CG" "$v2/flamed-test.slice")
elif [ -n "$v1" ] && mkdir -p "$v1/docker/$ID" 2>/dev/null; then
	CG=$v1/docker/$ID
	CLEAN=("$CG")
else
	skip "no cgroup hierarchy to make a container's cgroup in"
fi
cleanup_cg() {
	for d in "${CLEAN[@]}"; do rmdir "$d" 2>/dev/null || true; done
}
trap 'cleanup_cg; cleanup' EXIT
echo "container cgroup: $CG"

cd "$TEST_TMP"
# the command moves itself into the container's cgroup, then becomes the workload
run_flamed ctr --once 10s -F 199 -o "$TEST_TMP/c.pb.gz" -- \
	sh -c "echo \$\$ > '$CG/cgroup.procs' && exec '$WORKLOAD_DIR/cpu_shares' 2"
[ "$RC" = 0 ] || fail "flamed exited $RC"
go_pprof -tags "$TEST_TMP/c.pb.gz" >"$TEST_TMP/tags.txt" || fail "go tool pprof -tags failed"
cat "$TEST_TMP/tags.txt"
grep -A3 "container_id: Total" "$TEST_TMP/tags.txt" | grep -q "$ID" ||
	fail "no container_id label $ID on the workload's samples"
# every sample of the workload carries it: the label total equals the profile's total
tot=$(awk '/^ *comm: Total/ {print $3; exit}' "$TEST_TMP/tags.txt")
ctot=$(awk '/^ *container_id: Total/ {print $3; exit}' "$TEST_TMP/tags.txt")
echo "samples: $tot, with container_id: $ctot"
[ -n "$tot" ] && [ "$tot" = "$ctot" ] || fail "container_id on $ctot of $tot samples"

note "a process outside containers has no container_id"
run_flamed host --once 2s -F 199 -o "$TEST_TMP/h.pb.gz" -- "$WORKLOAD_DIR/cpu_shares" 1
[ "$RC" = 0 ] || fail "flamed exited $RC"
go_pprof -tags "$TEST_TMP/h.pb.gz" >"$TEST_TMP/tags2.txt" || fail "go tool pprof -tags failed"
! grep -q "container_id" "$TEST_TMP/tags2.txt" || fail "container_id on a host process"
echo PASS
