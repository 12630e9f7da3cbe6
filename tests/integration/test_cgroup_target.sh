#!/bin/bash
# SPDX-License-Identifier: MIT
# --cgroup PATH, without Kubernetes: only tasks in that cgroup v2 subtree are sampled (one in a
# child cgroup of the path too), filtered in the kernel (counted in the summary); a process
# outside is absent. A path missing at the start (a service not started yet) is warned about and
# profiled from the second it appears.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

V2=$(cgroup_v2_root)
[ -n "$V2" ] || skip "no cgroup v2 hierarchy (a cgroup v1 host)"
SLICE="flamed-cg$$.slice"
mkdir "$V2/$SLICE" || skip "cannot make cgroups under $V2"
mkdir -p "$V2/$SLICE/web.service/worker" "$V2/$SLICE/other.service"
PIDS=()
cg_cleanup()
{
	local pid d
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	# and whatever else runs in the test's cgroups (they cannot go while it does)
	cat "$V2/$SLICE"/*/cgroup.procs "$V2/$SLICE"/*/*/cgroup.procs 2>/dev/null |
		while read -r pid; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	sleep 0.2
	find "$V2/$SLICE" -depth -type d | while read -r d; do rmdir "$d" 2>/dev/null || true; done
	cleanup
}
trap cg_cleanup EXIT

# burn CGROUP COMM: a CPU burner named COMM in CGROUP ("" for here)
burn()
{
	cp "$WORKLOAD_DIR/cpu_shares" "$TEST_TMP/$2"
	if [ -n "$1" ]; then
		sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 60' sh "$1" "$TEST_TMP/$2" >/dev/null &
	else
		"$TEST_TMP/$2" 60 >/dev/null &
	fi
	PIDS+=($!)
}
burn "$V2/$SLICE/web.service" webd
burn "$V2/$SLICE/web.service/worker" workerd
burn "$V2/$SLICE/other.service" otherd
burn "" hostd

cd "$TEST_TMP"
(sleep 3 && mkdir "$V2/$SLICE/late.service" &&
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 20' sh "$V2/$SLICE/late.service" \
		"$TEST_TMP/lated" >/dev/null) &
PIDS+=($!)
cp "$WORKLOAD_DIR/cpu_shares" "$TEST_TMP/lated"
run_flamed cg --once 7s -F 199 --cgroup "$SLICE/web.service" --cgroup "/$SLICE/late.service" \
	-o "$TEST_TMP/cg.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
grep -q "warning: --cgroup /$SLICE/late.service: no such cgroup now" "$TEST_TMP/cg.err" ||
	fail "no warning for the missing cgroup"
check labels "$TEST_TMP/cg.pb.gz" --comm webd --min-samples 50 || fail "webd"
check labels "$TEST_TMP/cg.pb.gz" --comm workerd --min-samples 50 || fail "workerd (a child cgroup)"
check labels "$TEST_TMP/cg.pb.gz" --comm lated --min-samples 10 || fail "lated (a cgroup made later)"
check labels "$TEST_TMP/cg.pb.gz" --comm otherd --absent || fail "otherd"
check labels "$TEST_TMP/cg.pb.gz" --comm hostd --absent || fail "hostd"
left=$(stats cg run.kubernetes.samples_left_out_in_kernel)
[ -n "$left" ] && [ "$left" -gt 100 ] || fail "otherd's and hostd's samples not left out in the kernel ($left)"

note "tasks that move: one into a target cgroup is sampled from then on, one out of it no more"
burn "$V2/$SLICE/other.service" hopperd
burn "$V2/$SLICE/web.service" leaverd
hopper=$(pgrep -f "$TEST_TMP/hopperd") leaver=$(pgrep -f "$TEST_TMP/leaverd")
bg_start "$TEST_TMP/move.err" "$FLAMED" --once 8s -F 199 -v --cgroup "$SLICE/web.service" \
	-o "$TEST_TMP/move.pb.gz"
MOVER=$BG_PID
wait_for_line "$TEST_TMP/move.err" "start-up:" 30 # sampling runs
sleep 2
echo "$leaver" >"$V2/$SLICE/other.service/cgroup.procs" # out after 2 s of 8
sleep 4
echo "$hopper" >"$V2/$SLICE/web.service/cgroup.procs" # in for the last 2 s
wait "$MOVER" || fail "flamed exited $?"
n() { check labels "$TEST_TMP/move.pb.gz" --comm "$1" --min-samples 0 | sed -n '1s/^[^:]*: \([0-9]*\) samples.*/\1/p'; }
web=$(n webd) leave=$(n leaverd) hop=$(n hopperd)
echo "samples: webd $web (in all along), leaverd $leave (out after 2 s of 8), hopperd $hop (in for the last 2 s)"
[ "$hop" -ge 5 ] || fail "hopperd not sampled once it came into the target"
[ "$leave" -lt $((web * 6 / 10)) ] || fail "leaverd sampled after it left the target"
[ "$hop" -lt $((web * 6 / 10)) ] || fail "hopperd sampled before it came into the target"

note "bad paths are usage errors"
run_flamed bad --once 1s --cgroup "$SLICE/../x"
[ "$RC" = 2 ] || fail "--cgroup with .. exited $RC"
grep -q "invalid --cgroup" "$TEST_TMP/bad.err" || fail "no message for a bad --cgroup"
echo PASS
