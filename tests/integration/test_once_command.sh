#!/bin/bash
# SPDX-License-Identifier: MIT
# flamed --once with "-- CMD": stops when the command exits (or, for a longer command, when the
# duration ends, and the command is stopped), and the profile's function shares
# match what the workload measured about itself (folded and pprof), stacks reach main, and the
# pprof file is valid for go tool pprof.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

# 999 Hz rather than the default 99: a 6 s run gives ~6000 samples, so sampling noise on a share
# is ~0.7 points and the ±3-point check tests the profiler, not luck (at 99 Hz it is ~2 points).
# When a busy host leaves the workload fewer samples, flamed_check.py widens the tolerance to
# 4 sigma of the binomial noise and says so.
HZ=999
cd "$TEST_TMP"
run_flamed once --once 20s -F $HZ -o "$TEST_TMP/cpu.pb.gz" -o "$TEST_TMP/cpu.folded" \
	-- "$WORKLOAD_DIR/cpu_shares" 6
[ "$RC" = 0 ] || fail "flamed exited $RC"
note "workload output (flamed's stdout):"
cat "$TEST_TMP/once.out"
grep -q '^share burn_alpha ' "$TEST_TMP/once.out" || fail "the workload's output did not come through"
# The command runs 6 s; 20 s is only the upper bound.
[ "$ELAPSED_MS" -lt 14000 ] || fail "took $ELAPSED_MS ms: flamed did not stop when the command exited"
[ "$ELAPSED_MS" -ge 5500 ] || fail "took only $ELAPSED_MS ms for a 6 s command"
check_outputs once "$TEST_TMP/cpu.pb.gz" "$TEST_TMP/cpu.folded"

note "the command's process: pid, comm and thread labels"
pid=$(sed -n 's/^pid //p' "$TEST_TMP/once.out")
check pids "$TEST_TMP/cpu.pb.gz" --require "$pid:cpu_shares" --only "$pid" --single-threaded \
	--total "$SAMPLES"
note "shares from the folded file"
check shares "$TEST_TMP/cpu.folded" --comm cpu_shares --expect "$TEST_TMP/once.out" \
	--tolerance 3 --main-min 95 --hz $HZ
note "shares from the pprof file"
check shares "$TEST_TMP/cpu.pb.gz" --comm cpu_shares --expect "$TEST_TMP/once.out" \
	--tolerance 3 --main-min 95
note "folded and pprof agree"
check consistent "$TEST_TMP/cpu.folded" "$TEST_TMP/cpu.pb.gz"

if have_go; then
	note "go tool pprof"
	go_pprof -raw "$TEST_TMP/cpu.pb.gz" >"$TEST_TMP/raw.txt" || fail "go tool pprof -raw rejected the profile"
	go_pprof -top "$TEST_TMP/cpu.pb.gz" >"$TEST_TMP/top.txt" || fail "go tool pprof -top failed"
	head -n 12 "$TEST_TMP/top.txt"
	grep -q 'burn_alpha' "$TEST_TMP/top.txt" || fail "go tool pprof -top does not list burn_alpha"
else
	echo "note: go not installed; go tool pprof checks skipped (CI installs golang-go)"
fi
note "duration shorter than the command: flamed stops at the duration and stops the command"
run_flamed short --once 2s -o "$TEST_TMP/short.folded" -- "$WORKLOAD_DIR/cpu_shares" 30
long_pid=$(sed -n 's/^pid //p' "$TEST_TMP/short.out")
[ -n "$long_pid" ] || fail "the command did not start"
BG_PIDS+=("$long_pid") # killed on exit if flamed left it running
[ "$RC" = 0 ] || fail "flamed exited $RC"
if [ "$ELAPSED_MS" -lt 1900 ] || [ "$ELAPSED_MS" -ge 8000 ]; then
	fail "--once 2s with a 30 s command took $ELAPSED_MS ms"
fi
check_outputs short "$TEST_TMP/short.folded"
grep -q '^cpu_shares;.*burn_alpha' "$TEST_TMP/short.folded" || fail "no cpu_shares stacks"
for _ in $(seq 20); do
	kill -0 "$long_pid" 2>/dev/null || break
	sleep 0.1
done
! kill -0 "$long_pid" 2>/dev/null || fail "the command (pid $long_pid) still runs after flamed exited"
echo PASS
