# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared helpers for tests/stress/test_*.sh (sourced, not run), on top of
# tests/integration/lib.sh. ctest provides FLAMED, WORKLOAD_DIR and STRESS_DIR. By hand, as root:
#   FLAMED=build/flamed WORKLOAD_DIR=build/tests/workloads STRESS_DIR=build/tests/stress \
#     bash tests/stress/test_churn.sh
# Unlike the integration tests, a stress test runs every check and fails at the end, so one run
# prints every number (expect below).

STRESS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$STRESS_SRC/../integration/lib.sh"
: "${STRESS_DIR:?run through ctest, or set STRESS_DIR to <build>/tests/stress}"
MONITOR="$STRESS_SRC/flamed_monitor.py"
STRESS_CHECK="$STRESS_SRC/stress_check.py"
# STRESS_SCALE multiplies the sizes and lengths of the cases that have a free parameter (threads,
# pid-reuse cycles, capture lengths); STRESS_SECONDS is the length of the churn capture.
STRESS_SCALE=${STRESS_SCALE:-1}
NOBODY=65534
FAILED=()
# The host's own processes before the test starts any: a whole-host capture's memory at exit
# (every process's maps, names and samples in the profile being built) grows with them, so
# check_cost's RSS bound does too (below). A fresh CI machine runs ~100-150.
HOST_PROCS_AT_START=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)

# Attackers run as nobody, with no groups, from a directory of their own.
require_stress()
{
	require_bpf
	command -v setpriv >/dev/null || skip "setpriv missing (util-linux)"
	[ -x "$STRESS_DIR/stress_exec" ] || fail "STRESS_DIR=$STRESS_DIR has no stress workloads"
	chmod 755 "$TEST_TMP"
	ATT_DIR="$TEST_TMP/att"
	mkdir -p "$ATT_DIR"
	chown "$NOBODY:$NOBODY" "$ATT_DIR"
}

as_nobody()
{
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all -- "$@"
}

# expect WHAT CMD...: run a check; on failure remember WHAT and go on.
expect()
{
	local what=$1
	shift
	if ! "$@"; then
		echo "  -> FAILED: $what"
		FAILED+=("$what")
	fi
}

# The end of every stress test.
finish_stress()
{
	if [ ${#FAILED[@]} -gt 0 ]; then
		printf 'FAIL: %s\n' "${FAILED[@]}" >&2
		exit 1
	fi
	echo PASS
}

# flamed_start NAME DURATION [FLAMED ARGS...]: flamed --once DURATION on the whole host, writing
# NAME.pb.gz, NAME.folded, NAME.svg and its counters NAME.stats.json in $TEST_TMP, under the
# monitor (report NAME.json, a curve point every MONITOR_INTERVAL seconds, default 5, or 2 for
# captures under 30 s). FLAMED_WRAP
# (an array) may hold a command that execs flamed (setpriv). Runs in the background; flamed_wait
# collects it.
flamed_start()
{
	local name=$1 duration=$2
	shift 2
	FLAMED_NAME=$name
	FLAMED_SECS=$(parse_s "$duration")
	FLAMED_T0=$(now_ms)
	local interval=5
	[ "$FLAMED_SECS" -ge 30 ] || interval=2
	# a crash leaves a core in $TEST_TMP (core_pattern permitting), for the backtrace below
	(
		ulimit -c unlimited 2>/dev/null || true
		exec "$PY" "$MONITOR" run --report "$TEST_TMP/$name.json" \
			--interval "${MONITOR_INTERVAL:-$interval}" --timeout $((FLAMED_SECS + ${FLAMED_GRACE:-120})) \
			-- ${FLAMED_WRAP[@]+"${FLAMED_WRAP[@]}"} "$FLAMED" --once "$duration" \
			-o "$TEST_TMP/$name.pb.gz" -o "$TEST_TMP/$name.folded" -o "$TEST_TMP/$name.svg" \
			--stats-json "$TEST_TMP/$name.stats.json" "$@" \
			>"$TEST_TMP/$name.stdout" 2>"$TEST_TMP/$name.err"
	) &
	FLAMED_MON=$!
	BG_PIDS+=("$FLAMED_MON")
}

# Seconds in a DURATION like 45 or 45s (what these tests pass).
parse_s()
{
	echo "${1%s}"
}

# flamed_wait: wait for flamed; sets RC, prints its stderr, and records whether it exited 0 with
# every output written and readable (folded parses, pprof decodes, SVG is XML, go tool pprof -raw
# reads the pprof when go is installed).
flamed_wait()
{
	local name=$FLAMED_NAME
	set +e
	wait "$FLAMED_MON"
	RC=$?
	set -e
	echo "flamed exit $RC after $(($(now_ms) - FLAMED_T0)) ms; stderr:"
	sed 's/^/  | /' "$TEST_TMP/$name.err" | cut -c 1-300 | tail -n 40
	if ! "$PY" -c 'import json,sys; sys.exit(1 if json.load(open(sys.argv[1]))["killed"] else 0)' \
		"$TEST_TMP/$name.json"; then
		# FLAMED_HUNG_OK: record it and go on to the other checks
		[ -n "${FLAMED_HUNG_OK:-}" ] || fail "flamed hung: signalled after the monitor's timeout"
		echo "  -> FAILED: flamed hung: signalled after the monitor's timeout"
		FAILED+=("$name: flamed hung")
		return 0
	fi
	if [ "$RC" != 0 ]; then
		echo "  -> FAILED: flamed exited $RC"
		FAILED+=("flamed exited $RC")
		print_core_backtrace
		return 0
	fi
	expect "outputs written" check_outputs_soft "$name"
	expect "outputs readable" "$PY" "$STRESS_CHECK" valid "$TEST_TMP/$name.folded" \
		"$TEST_TMP/$name.pb.gz" "$TEST_TMP/$name.svg"
	if have_go; then
		expect "go tool pprof -raw reads the profile" go_pprof_quiet "$TEST_TMP/$name.pb.gz"
	fi
}

# After a crash: the backtrace from flamed's core, when there is one and gdb is installed.
print_core_backtrace()
{
	local core
	core=$(find "$TEST_TMP" -maxdepth 1 -name 'core*' -type f -print -quit)
	[ -n "$core" ] && command -v gdb >/dev/null || return 0
	echo "backtrace from $core:"
	gdb -q -batch -ex bt "$FLAMED" "$core" 2>/dev/null | grep -E '^#' | head -n 30 || true
}

check_outputs_soft()
{
	(check_outputs "$1" "$TEST_TMP/$1.pb.gz" "$TEST_TMP/$1.folded" "$TEST_TMP/$1.svg")
}

go_pprof_quiet()
{
	go_pprof -raw "$1" >"$TEST_TMP/raw.txt" 2>"$TEST_TMP/raw.err" || {
		head -n 5 "$TEST_TMP/raw.err"
		return 1
	}
}

# check_cost [flamed_monitor.py check options]: flamed's CPU and peak RSS within bounds (the RSS
# bound given holds for a host of up to 200 processes of its own; each one more adds 100 KB: see
# flamed_monitor.py's --host-processes). CPU is
# over the capture's length, startup and output included, for captures of 30 s and more; shorter
# ones take it between the monitor's first and last curve points (every 2 s), as flamed's fixed
# cost of starting and writing (about 0.5 s of CPU on an idle 2-CPU VM) would be most of it.
check_cost()
{
	local how=(--duration "$FLAMED_SECS")
	[ "$FLAMED_SECS" -ge 30 ] || how=(--steady)
	expect "flamed's CPU and memory within bounds ($*)" \
		"$PY" "$MONITOR" check "$TEST_TMP/$FLAMED_NAME.json" "${how[@]}" \
		--host-processes "$HOST_PROCS_AT_START" "$@"
}

# flamed_attached: wait (up to 120 s: the BPF verifier is slow on a busy machine) until flamed has
# opened its perf events, i.e. the capture has begun.
flamed_attached()
{
	local i pid
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$FLAMED_MON" 2>/dev/null || return 0 # ended already: flamed_wait tells
		pid=$(pgrep -P "$FLAMED_MON" -x flamed || true)
		if [ -n "$pid" ] &&
			[ -n "$(find "/proc/$pid/fd" -lname '*perf_event*' -print -quit 2>/dev/null)" ]; then
			echo "flamed attached after $(($(now_ms) - FLAMED_T0)) ms"
			return 0
		fi
		sleep 0.1
	done
	fail "flamed did not attach within 120 s"
}

# check_victim PROG OUT [TOLERANCE]: the victim PROG (an unwind_* or cpu_shares workload, its
# stdout in OUT) has >= 99 % of its samples reaching main and __libc_start_main, and its
# functions' shares within TOLERANCE points (default 3; flamed_check widens it to 4 sigma when
# there are few samples) of what it measured itself, in the pprof. By pid: other users of the
# host may run the same program.
check_victim()
{
	local prog=$1 out=$2 tol=${3:-3} early
	# The victim starts after flamed: until its unwind table is built (tens of ms on a quiet
	# host, up to ~0.7 s on a loaded one) its samples are walked with frame pointers, which it
	# has none of. flamed counts those samples (host-wide: an upper bound of the victim's).
	early=$(stats "$FLAMED_NAME" run.unwind_tables.samples_met_building)
	expect "victim $prog shares within $tol points" check shares "$TEST_TMP/$FLAMED_NAME.pb.gz" \
		--comm "$prog" --pid "$VICTIM_PID" --expect "$out" --tolerance "$tol" --main-min 99 \
		--min-samples 300 --excuse "$early"
	expect "victim $prog stacks reach main" "$PY" "$STRESS_CHECK" reach \
		"$TEST_TMP/$FLAMED_NAME.pb.gz" --pid "$VICTIM_PID" --frame main \
		--frame __libc_start_main --min-pct 99 --min-samples 300 --excuse "$early"
}

# victim_start PROG SECONDS: the victim, as root, at nice -10 so it gets about a CPU however busy
# the attackers keep the machine (enough samples for tight share tolerances). Sets VICTIM_OUT.
victim_start()
{
	VICTIM_OUT="$TEST_TMP/victim-$1.out"
	bg_start "$VICTIM_OUT" nice -n -10 "$WORKLOAD_DIR/$1" "$2"
	VICTIM_PID=$BG_PID
}

victim_wait()
{
	wait "$VICTIM_PID" || fail "victim exited $?"
}

# attacker_start NAME CMD...: CMD as nobody in the background, stdout+stderr to $TEST_TMP/NAME.out.
attacker_start()
{
	local name=$1
	shift
	bg_start "$TEST_TMP/$name.out" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		--inh-caps=-all -- "$@"
}

# attacker_value NAME KEY: the number on the line "KEY N" of attacker NAME's output.
attacker_value()
{
	sed -En "s/^$2 ([0-9.]+)$/\\1/p" "$TEST_TMP/$1.out" | tail -n 1
}

# at_least WHAT VALUE MIN: a check that an attack really happened at the intended strength.
at_least()
{
	echo "  $1: ${2:-none} (want >= $3)"
	awk -v v="${2:-0}" -v m="$3" 'BEGIN { exit !(v >= m) }'
}

# The summary line's drop counters and the process count, for the record.
print_summary_line()
{
	grep -E '^flamed: [0-9]+ samples' "$TEST_TMP/$FLAMED_NAME.err" || true
}
