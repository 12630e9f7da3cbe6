#!/bin/bash
# SPDX-License-Identifier: MIT
# flamed --once -p PID: profiles a running process for the given time; only that process appears,
# and its function shares match the workload's own measurement.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

HZ=999 # see test_once_command.sh: enough samples for a ±3-point check
bg_start "$TEST_TMP/work.out" "$WORKLOAD_DIR/cpu_shares" 8
WORK_PID=$BG_PID
wait_for_line "$TEST_TMP/work.out" '^pid [0-9]+$'
[ "$(sed -n 's/^pid //p' "$TEST_TMP/work.out")" = "$WORK_PID" ] || fail "workload pid mismatch"
# A second process burning CPU at the same time must not show up.
bg_start "$TEST_TMP/other.out" "$WORKLOAD_DIR/syscall_heavy" 7
OTHER_PID=$BG_PID

cd "$TEST_TMP"
run_flamed pid --once 5s -F $HZ -p "$WORK_PID" -o "$TEST_TMP/pid.folded" -o "$TEST_TMP/pid.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
[ "$ELAPSED_MS" -ge 4900 ] || fail "--once 5s returned after $ELAPSED_MS ms"
[ "$ELAPSED_MS" -lt 12000 ] || fail "--once 5s took $ELAPSED_MS ms"
check_outputs pid "$TEST_TMP/pid.folded" "$TEST_TMP/pid.pb.gz"

wait "$WORK_PID" || fail "workload failed"
note "workload output:"
cat "$TEST_TMP/work.out"

note "shares (folded)"
check shares "$TEST_TMP/pid.folded" --comm cpu_shares --expect "$TEST_TMP/work.out" \
	--tolerance 3 --main-min 95
note "shares (pprof, pid $WORK_PID)"
check shares "$TEST_TMP/pid.pb.gz" --comm cpu_shares --pid "$WORK_PID" \
	--expect "$TEST_TMP/work.out" --tolerance 3 --main-min 95
note "only pid $WORK_PID"
check pids "$TEST_TMP/pid.pb.gz" --require "$WORK_PID:cpu_shares" --only "$WORK_PID" \
	--forbid "$OTHER_PID" --single-threaded --min-samples 200 --total "$SAMPLES"
roots=$(sed -E 's/;.*//' "$TEST_TMP/pid.folded" | sort -u | tr '\n' ' ')
[ "$roots" = "cpu_shares " ] || fail "folded roots are '$roots', want only cpu_shares"
check consistent "$TEST_TMP/pid.folded" "$TEST_TMP/pid.pb.gz"
if have_go; then
	go_pprof -raw "$TEST_TMP/pid.pb.gz" >"$TEST_TMP/raw.txt" || fail "go tool pprof -raw rejected the profile"
	go_pprof -tags "$TEST_TMP/pid.pb.gz" >"$TEST_TMP/tags.txt" || fail "go tool pprof -tags failed"
	cat "$TEST_TMP/tags.txt"
	grep -Eq "^ +pid: Total" "$TEST_TMP/tags.txt" || fail "no pid tag in go tool pprof -tags"
	# every pid value listed by go must be the workload's
	awk '/^ *pid: Total/{p=1; next} /^ *[a-z_]+: Total/{p=0} p && NF {print $NF}' \
		"$TEST_TMP/tags.txt" | sort -u >"$TEST_TMP/go_pids.txt"
	[ "$(cat "$TEST_TMP/go_pids.txt")" = "$WORK_PID" ] ||
		fail "go tool pprof -tags lists pids $(tr '\n' ' ' <"$TEST_TMP/go_pids.txt")"
fi
echo PASS
