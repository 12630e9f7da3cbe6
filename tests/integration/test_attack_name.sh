#!/bin/bash
# SPDX-License-Identifier: MIT
# Attack on the /proc/PID/stat parse: an unprivileged process names itself
# with a newline and parentheses ("x\n) Z 1 (y"); a line-based parse of stat then finds no start
# time, the process is taken for gone and its samples are bare addresses. Its samples must be
# symbolized and carry its name.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

NAME=$'hid\n) Z 1 (den'
bg_start "$TEST_TMP/name.out" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$WORKLOAD_DIR/attack_name" "$NAME" 10
wait_for_line "$TEST_TMP/name.out" '^pid [0-9]+$'
PID=$(sed -n 's/^pid //p' "$TEST_TMP/name.out")
[ "$(cat "/proc/$PID/comm")" = "$NAME" ] || fail "the attacker could not rename itself"

run_flamed name --once 3s -F 499 -p "$PID" -o "$TEST_TMP/name.pb.gz"
[ "$RC" = 0 ] || fail "flamed exited $RC"
check_outputs name "$TEST_TMP/name.pb.gz"
[ "$(stats name run.stacks.processes_vanished_before_snapshot)" = 0 ] ||
	fail "the renamed process was taken for gone"
check funcs "$TEST_TMP/name.pb.gz" --comm "$NAME" --func name_hot_loop --min-pct 80 \
	--min-samples 50 --max-raw-pct 5 || fail "the renamed process was not symbolized"
echo PASS
