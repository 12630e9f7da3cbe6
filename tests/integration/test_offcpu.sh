#!/bin/bash
# SPDX-License-Identifier: MIT
# --off-cpu through the real BPF path: a thread that sleeps in one function, blocks on a pipe in
# another and spins in a third, each timed by the workload itself, gets each function's share of
# its off-CPU time within 5 points and its total within 10 % (its time off the CPU includes any
# preemption, which the workload measures too: a busy host moves both alike), its waits under
# the kernel frames that block (do_nanosleep, pipe_read), and its CPU profile still shows the
# spinning; a waiter on a contended pthread mutex shows under futex_wait; CPU shares stay as
# accurate as without --off-cpu; the off-CPU flame graph and folded file are written beside the
# CPU ones and agree with the pprof file, and report --sample-index off_cpu draws them again;
# -p keeps other processes' waits out.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

cd "$TEST_TMP"
note "a thread that sleeps, blocks on a pipe and spins"
run_flamed waits --once 30s --off-cpu -F 999 -o "$TEST_TMP/waits.pb.gz" -o "$TEST_TMP/waits.svg" \
	-o "$TEST_TMP/waits.folded" -- "$WORKLOAD_DIR/offcpu_waits" 8
if grep -q 'needs Linux 6.16' "$TEST_TMP/waits.err"; then
	skip "this kernel has no sched_exit_tp tracepoint (Linux 6.16): --off-cpu refuses, as it should"
fi
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat "$TEST_TMP/waits.out"
check_outputs waits "$TEST_TMP/waits.pb.gz" "$TEST_TMP/waits.svg" "$TEST_TMP/waits.folded" \
	"$TEST_TMP/waits.offcpu.svg" "$TEST_TMP/waits.offcpu.folded"
grep -q '^flamed: off-CPU: ' "$TEST_TMP/waits.err" || fail "no off-CPU summary line"
read -r enabled waits kept <<<"$(stats waits run.offcpu.enabled run.offcpu.waits run.offcpu.kept |
	tr '\n' ' ')"
[ "$enabled" = true ] && [ "$waits" -ge "$kept" ] && [ "$kept" -ge 1 ] ||
	fail "off-CPU counters: enabled $enabled, $waits waits, $kept kept"
tid=$(sed -n 's/^tid //p' "$TEST_TMP/waits.out")
[ -n "$tid" ] || fail "the workload did not say its thread id"
check offcpu "$TEST_TMP/waits.pb.gz" --tid "$tid" --expect "$TEST_TMP/waits.out" \
	--tolerance 5 --total-tolerance 10 \
	--kernel 'wait_sleep=^do_nanosleep$' --kernel 'wait_pipe=pipe_read'
note "the CPU profile still shows the spinning function"
check funcs "$TEST_TMP/waits.pb.gz" --comm offcpu_waits --func spin --min-pct 60 --min-samples 200
note "the off-CPU folded file and graph hold what the pprof file does"
check consistent "$TEST_TMP/waits.offcpu.folded" "$TEST_TMP/waits.pb.gz" --value off_cpu
check consistent "$TEST_TMP/waits.folded" "$TEST_TMP/waits.pb.gz"
grep -q 'wait_pipe' "$TEST_TMP/waits.offcpu.svg" || fail "wait_pipe missing from the off-CPU graph"
grep -q 'off-CPU time' "$TEST_TMP/waits.offcpu.svg" || fail "the off-CPU graph's title says so"
if grep -q '^offcpu_waits;.*wait_sleep' "$TEST_TMP/waits.folded"; then
	grep '^offcpu_waits;.*wait_sleep' "$TEST_TMP/waits.folded" | awk '{ n += $NF } END {
		if (n > 50) { print "FAIL: " n " CPU samples in wait_sleep"; exit 1 } }' ||
		fail "the CPU folded file counts off-CPU time"
fi
note "report --sample-index off_cpu"
"$FLAMED" report "$TEST_TMP/waits.pb.gz" --sample-index off_cpu -o "$TEST_TMP/report.folded" ||
	fail "report --sample-index off_cpu failed"
check consistent "$TEST_TMP/report.folded" "$TEST_TMP/waits.pb.gz" --value off_cpu
if have_go; then
	go_pprof -sample_index=off_cpu -top "$TEST_TMP/waits.pb.gz" >"$TEST_TMP/top.txt" ||
		fail "go tool pprof -sample_index=off_cpu rejected the profile"
	grep -q 'do_nanosleep' "$TEST_TMP/top.txt" || fail "go tool pprof: no do_nanosleep"
fi

note "lock contention: the waiter's stack under futex_wait"
run_flamed lock --once 30s --off-cpu -o "$TEST_TMP/lock.pb.gz" -- "$WORKLOAD_DIR/lock_wait" 5
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat "$TEST_TMP/lock.out"
tid=$(sed -n 's/^tid //p' "$TEST_TMP/lock.out")
check offcpu "$TEST_TMP/lock.pb.gz" --tid "$tid" --expect "$TEST_TMP/lock.out" \
	--tolerance 5 --total-tolerance 10 --kernel 'wait_for_lock=^futex_wait' \
	--kernel 'pause_a_bit=^do_nanosleep$'

note "CPU shares with --off-cpu as without (test_once_command's check)"
run_flamed shares --once 20s --off-cpu -F 999 -o "$TEST_TMP/shares.pb.gz" \
	-- "$WORKLOAD_DIR/cpu_shares" 6
[ "$RC" = 0 ] || fail "flamed exited $RC"
check shares "$TEST_TMP/shares.pb.gz" --comm cpu_shares --expect "$TEST_TMP/shares.out" \
	--tolerance 3 --main-min 95

note "-p: only the target's waits"
bg_start "$TEST_TMP/target.out" "$WORKLOAD_DIR/offcpu_waits" 8
target=$BG_PID
bg_start "$TEST_TMP/other.out" "$WORKLOAD_DIR/lock_wait" 8
wait_for_line "$TEST_TMP/target.out" '^tid '
wait_for_line "$TEST_TMP/other.out" '^tid '
run_flamed pid --once 3s --off-cpu -F 999 -p "$target" -o "$TEST_TMP/pid.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
check pids "$TEST_TMP/pid.pb.gz" --require "$target:offcpu_waits" --only "$target"

note "--cgroup: only the waits of tasks in the cgroup"
V2=$(cgroup_v2_root)
if [ -n "$V2" ] && mkdir "$V2/flamed-offcpu$$.slice" 2>/dev/null; then
	CG="$V2/flamed-offcpu$$.slice"
	sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 8' sh "$CG" "$WORKLOAD_DIR/offcpu_waits" \
		>"$TEST_TMP/cg.out" &
	BG_PIDS+=($!)
	wait_for_line "$TEST_TMP/cg.out" '^tid '
	inside=$(sed -n 's/^pid //p' "$TEST_TMP/cg.out")
	run_flamed cg --once 3s --off-cpu -F 999 --cgroup "flamed-offcpu$$.slice" \
		-o "$TEST_TMP/cg.pb.gz"
	kill "$inside" 2>/dev/null || true
	wait "$inside" 2>/dev/null || true
	sleep 0.2
	rmdir "$CG" || true
	[ "$RC" = 0 ] || fail "flamed exited $RC"
	check pids "$TEST_TMP/cg.pb.gz" --require "$inside:offcpu_waits" --only "$inside"
	"$PY" - "$INTEGRATION_DIR" "$TEST_TMP/cg.pb.gz" <<'PYEOF' || fail "--cgroup: no waits"
import sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
fails = fc.Failures()
waits = [s for s in fc.load_pprof(sys.argv[2], fails, "off_cpu") if s.count]
ns = sum(s.count for s in waits if any(fc.bare(f) == "wait_sleep" for f in s.frames))
print("--cgroup: %.3f s in wait_sleep of %.3f s off the CPU" % (
    ns / 1e9, sum(s.count for s in waits) / 1e9))
assert ns > 0.5e9 and fails.finish() == 0
PYEOF
else
	echo "note: no cgroup v2 hierarchy to make a cgroup in: --cgroup not checked"
fi
echo "PASS"
