#!/bin/bash
# SPDX-License-Identifier: MIT
# Pid reuse: two programs, cpu_shares and unwind_nofp, take turns under one pid, 6 times each
# (x STRESS_SCALE), each run 1 s, as an unprivileged user, while flamed profiles the whole host.
# The harness (root) steers the pid with /proc/sys/kernel/ns_last_pid; an unprivileged attacker
# gets the same by cycling through pid_max pids, only slower. Every sample of each program must be
# symbolized with that program's own functions (none of the other's), >= 90 % of them in its
# three hot functions, and the pid must carry samples of both. Not 99 %: a 1 s program spends some
# of its samples in exec and the dynamic loader, and its first milliseconds before its unwind
# tables are loaded; on a loaded machine the control below measured 98.5-99.4 %, pid reuse
# 11-63 %. The programs run at nice -5 (set by the harness) to get enough samples per run.
# STRESS_PID_REUSE=0 runs the same programs under fresh pids: the control, to tell pid reuse
# from the programs' own short runs.
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress
[ -w /proc/sys/kernel/ns_last_pid ] || skip "/proc/sys/kernel/ns_last_pid not writable"

CYCLES=$((6 * STRESS_SCALE))
RUN_S=1
cd "$TEST_TMP"

# A free pid well ahead of the allocator, so the allocator does not hand it out meanwhile.
pick_pid()
{
	local last max p
	last=$(cat /proc/sys/kernel/ns_last_pid)
	max=$(cat /proc/sys/kernel/pid_max)
	p=$(((last + 5000) % max))
	[ "$p" -ge 1000 ] || p=1000
	while [ -e "/proc/$p" ]; do p=$((p + 1)); done
	echo "$p"
}

# run_as_pid PID PROG: run PROG RUN_S seconds as nobody under PID (retrying when another process
# took it first); prints "ok" or "missed".
run_as_pid()
{
	local want=$1 prog=$2 try pid
	if [ "${STRESS_PID_REUSE:-1}" = 0 ]; then
		nice -n -5 setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all -- \
			"$WORKLOAD_DIR/$prog" $RUN_S >/dev/null
		echo ok
		return 0
	fi
	for ((try = 0; try < 20; try++)); do
		echo $((want - 1)) >/proc/sys/kernel/ns_last_pid
		nice -n -5 setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all -- \
			"$WORKLOAD_DIR/$prog" $RUN_S >/dev/null &
		pid=$!
		if [ "$pid" = "$want" ]; then
			wait "$pid" || true
			echo ok
			return 0
		fi
		wait "$pid" || true
	done
	echo missed
}

SECS=$(awk -v c="$CYCLES" -v r="$RUN_S" 'BEGIN { printf "%d", c * 2 * (r + 0.1) + 6 }')
note "flamed --once ${SECS}s; pid reuse, $CYCLES cycles of cpu_shares then unwind_nofp"
flamed_start reuse "${SECS}s"
flamed_attached
PID=$(pick_pid)
HITS=0
for ((i = 0; i < CYCLES; i++)); do
	for prog in cpu_shares unwind_nofp; do
		[ "$(run_as_pid "$PID" "$prog")" = ok ] && HITS=$((HITS + 1))
	done
done
echo "pid $PID: $HITS of $((2 * CYCLES)) runs got it"
flamed_wait
expect "the pid was reused" at_least "runs under pid $PID" "$HITS" "$CYCLES"
# only the steered pid: other users of the host may run the same programs
MIN_PIDS=1 PID_FILTER=(--pid "$PID")
[ "${STRESS_PID_REUSE:-1}" != 0 ] || MIN_PIDS=0 PID_FILTER=()

print_summary_line
if [ "$RC" = 0 ]; then
	note "each program symbolized as itself"
	expect "no mix-up between the programs" "$PY" "$STRESS_CHECK" reuse \
		"$TEST_TMP/reuse.pb.gz" --comm-a cpu_shares --funcs-a burn_alpha,burn_beta,burn_gamma \
		--comm-b unwind_nofp --funcs-b hot_add,hot_mul,hot_deep --min-samples 100 --min-pids $MIN_PIDS \
		--main-min 0 --own-min 90 ${PID_FILTER[@]+"${PID_FILTER[@]}"}
fi
note "flamed's cost"
check_cost --max-cpu-pct 10 --max-rss-mb 64
finish_stress
