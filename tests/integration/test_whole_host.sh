#!/bin/bash
# SPDX-License-Identifier: MIT
# flamed --once without -p or --: the whole host. Two running workloads appear, each under its
# own pid label with the right comm and thread labels, and flamed does not profile itself (checked
# by pid: other flamed instances, e.g. concurrent tests, may legitimately appear).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

bg_start "$TEST_TMP/cpu.out" "$WORKLOAD_DIR/cpu_shares" 8
CPU_PID=$BG_PID
bg_start "$TEST_TMP/sys.out" "$WORKLOAD_DIR/syscall_heavy" 8
SYS_PID=$BG_PID
wait_for_line "$TEST_TMP/cpu.out" '^pid [0-9]+$'
wait_for_line "$TEST_TMP/sys.out" '^pid [0-9]+$'

cd "$TEST_TMP"
t0=$(now_ms)
"$FLAMED" --once 4s -o "$TEST_TMP/host.pb.gz" -o "$TEST_TMP/host.folded" \
	--stats-json "$TEST_TMP/host.stats.json" >"$TEST_TMP/host.out" 2>"$TEST_TMP/host.err" &
FLAMED_PID=$!
BG_PIDS+=("$FLAMED_PID")
set +e
wait "$FLAMED_PID"
RC=$?
set -e
ELAPSED_MS=$(($(now_ms) - t0))
echo "flamed (pid $FLAMED_PID) exit $RC after $ELAPSED_MS ms; stderr:"
sed 's/^/  | /' "$TEST_TMP/host.err"
[ "$RC" = 0 ] || fail "flamed exited $RC"
[ "$ELAPSED_MS" -ge 3900 ] || fail "--once 4s returned after $ELAPSED_MS ms"
[ "$ELAPSED_MS" -lt 12000 ] || fail "--once 4s took $ELAPSED_MS ms"
check_outputs host "$TEST_TMP/host.pb.gz" "$TEST_TMP/host.folded"

note "pids in the profile"
check pids "$TEST_TMP/host.pb.gz" --require "$CPU_PID:cpu_shares" \
	--require "$SYS_PID:syscall_heavy" --single-threaded --min-samples 20 \
	--forbid "$FLAMED_PID" --total "$SAMPLES"
grep -Eq '^cpu_shares;.*burn_alpha' "$TEST_TMP/host.folded" || fail "no cpu_shares;...burn_alpha stack"
grep -Eq '^syscall_heavy;.*_\[k\]' "$TEST_TMP/host.folded" || fail "no syscall_heavy kernel stack"
check consistent "$TEST_TMP/host.folded" "$TEST_TMP/host.pb.gz"
if have_go; then
	go_pprof -raw "$TEST_TMP/host.pb.gz" >"$TEST_TMP/raw.txt" || fail "go tool pprof -raw rejected the profile"
	grep -Fq "pid:[$CPU_PID]" "$TEST_TMP/raw.txt" || fail "go tool pprof -raw: no pid:[$CPU_PID]"
	grep -Fq "pid:[$SYS_PID]" "$TEST_TMP/raw.txt" || fail "go tool pprof -raw: no pid:[$SYS_PID]"
	! grep -Fq "pid:[$FLAMED_PID]" "$TEST_TMP/raw.txt" || fail "go tool pprof -raw: flamed's own pid"
fi
echo PASS
