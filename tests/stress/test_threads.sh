#!/bin/bash
# SPDX-License-Identifier: MIT
# 1,000 threads in one unprivileged process (x STRESS_SCALE), each waking every 100 ms, while
# flamed profiles the whole host for 15 s (x STRESS_SCALE) next to the victim unwind_nofp.
# flamed exits 0 with readable outputs, sees >= 500 of the threads (each label is a thread), stays
# within 10 % of a core and 64 MB, and the victim keeps complete stacks and its shares.
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress

NTHREADS=$((1000 * STRESS_SCALE))
SECS=$((15 * STRESS_SCALE))
cd "$TEST_TMP"
note "attacker (uid $NOBODY): $NTHREADS threads for $((SECS + 4)) s"
attacker_start threads "$STRESS_DIR/stress_threads" "$NTHREADS" $((SECS + 4))
ATT_PID=$BG_PID
wait_for_line "$TEST_TMP/threads.out" '^pid [0-9]+$'
sleep 1

note "flamed --once ${SECS}s on the whole host, victim unwind_nofp"
flamed_start threads "${SECS}s"
flamed_attached
victim_start unwind_nofp $((SECS - 3))
victim_wait
flamed_wait
wait "$ATT_PID" || echo "attacker: $(tail -n 2 "$TEST_TMP/threads.out")"
echo "attacker: $(tr '\n' ' ' <"$TEST_TMP/threads.out")"
expect "all threads started" at_least threads "$(attacker_value threads threads)" "$NTHREADS"

print_summary_line
if [ "$RC" = 0 ]; then
	note "threads and victim"
	expect "threads seen" "$PY" "$STRESS_CHECK" threads "$TEST_TMP/threads.pb.gz" \
		--pid "$(attacker_value threads pid)" --min $((NTHREADS / 2))
	check_victim unwind_nofp "$VICTIM_OUT"
fi
note "flamed's cost"
check_cost --max-cpu-pct 10 --max-rss-mb 64
finish_stress
