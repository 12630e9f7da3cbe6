#!/bin/bash
# SPDX-License-Identifier: MIT
# Kernel stacks: a process that lives in read(2) shows kernel frames (suffixed _[k] in folded
# output), including the syscall entry path, leafward of the user frames that made the call.
# do_syscalls calls read() in libc, which has no frame pointer: do_syscalls is on those stacks only
# if user stacks are unwound with the CFI tables (docs/DESIGN.md, "Unwinding"), not frame pointers alone.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

cd "$TEST_TMP"
run_flamed kern --once 15s -o "$TEST_TMP/kern.folded" -o "$TEST_TMP/kern.pb.gz" \
	-- "$WORKLOAD_DIR/syscall_heavy" 4
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat "$TEST_TMP/kern.out"
[ "$ELAPSED_MS" -lt 12000 ] || fail "took $ELAPSED_MS ms for a 4 s command"
check_outputs kern "$TEST_TMP/kern.folded" "$TEST_TMP/kern.pb.gz"

pid=$(sed -n 's/^pid //p' "$TEST_TMP/kern.out")
check pids "$TEST_TMP/kern.pb.gz" --require "$pid:syscall_heavy" --only "$pid" --total "$SAMPLES"
note "hottest stacks"
grep '^syscall_heavy;' "$TEST_TMP/kern.folded" | sort -t' ' -k2 -nr | head -n 3 | cut -c1-400
note "kernel frames (folded)"
check kernel "$TEST_TMP/kern.folded" --comm syscall_heavy --min-kernel-pct 30 \
	--min-user-pct 90 --user-func do_syscalls
note "kernel frames (pprof, kernel mapping)"
# pprof marks kernel frames by their mapping ([kernel.kallsyms]); the same checks must hold.
check kernel "$TEST_TMP/kern.pb.gz" --comm syscall_heavy --min-kernel-pct 30 \
	--min-user-pct 90 --user-func do_syscalls
check consistent "$TEST_TMP/kern.folded" "$TEST_TMP/kern.pb.gz"
echo PASS
