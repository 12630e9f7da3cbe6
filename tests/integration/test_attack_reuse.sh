#!/bin/bash
# SPDX-License-Identifier: MIT
# Attack by pid reuse: program A runs as pid P and exits; program B (same
# layout, other function names) then runs as pid P too. An attacker gets there by cycling
# through the pid space; here pid_at (root) stands in for that patience, and the programs run
# unprivileged. The kernel may also give B the mm_struct slot A freed (same CPU, one exec in
# between: attack_reuse.c), so B has the same (pid, mm) as A. Each program's samples must carry
# its own functions, not the other's maps.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

PAIRS=3 # the kernel reuses the mm slot often, not always: three chances

# a free pid in the upper half of the pid space, away from what the host allocates now
free_pid()
{
	local pid_max p i
	pid_max=$(cat /proc/sys/kernel/pid_max)
	for ((i = 0; i < 100; i++)); do
		p=$((pid_max / 2 + RANDOM * 7 % (pid_max / 2 - 1)))
		[ -e "/proc/$p" ] || break
	done
	echo "$p"
}

set +e
timeout -k 5 60 "$FLAMED" --once $((PAIRS * 3 + 7))s -F 499 -o "$TEST_TMP/reuse.pb.gz" \
	--stats-json "$TEST_TMP/reuse.stats.json" >"$TEST_TMP/reuse.out" 2>"$TEST_TMP/reuse.err" &
FL_PID=$!
set -e
sleep 5 # BPF loaded and attached
for ((pair = 0; pair < PAIRS; pair++)); do
	P=$(free_pid)
	taskset -c 0 "$WORKLOAD_DIR/pid_at" "$P" 65534 1.5 "$WORKLOAD_DIR/attack_reuse_a" \
		"$WORKLOAD_DIR/attack_reuse_b" >"$TEST_TMP/progs.out" ||
		fail "the programs did not run as pid $P: $(cat "$TEST_TMP/progs.out")"
	[ "$(cat "$TEST_TMP/progs.out")" = "pid $P"$'\n'"pid $P" ] ||
		fail "the programs ran as $(cat "$TEST_TMP/progs.out")"
	echo "A then B as pid $P"
done
set +e
wait $FL_PID
RC=$?
set -e
sed 's/^/  | /' "$TEST_TMP/reuse.err" | grep -E "samples|process files" || true
[ "$RC" = 0 ] || fail "flamed exited $RC"
check_outputs reuse "$TEST_TMP/reuse.pb.gz"
check funcs "$TEST_TMP/reuse.pb.gz" --comm attack_reuse_a --func reuse_a_hot_loop --min-pct 90 \
	--min-samples 50 ||
	fail "A's samples do not show A's code"
check funcs "$TEST_TMP/reuse.pb.gz" --comm attack_reuse_b --func reuse_b_hot_loop --min-pct 90 \
	--min-samples 50 ||
	fail "B's samples do not show B's code"
echo PASS
