#!/bin/bash
# SPDX-License-Identifier: MIT
# Kernel names come from the kernel's own lookup (a BPF program printing "%pS",
# src/symbolize/knames.c), not from reading all of /proc/kallsyms: every 7th kernel text symbol
# gets the same name both ways (knames_check), and a profile of a syscall-heavy process names its
# kernel frames without flamed reading /proc/kallsyms at all, after it dropped its privileges.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
: "${KNAMES_CHECK:?run through ctest, or set KNAMES_CHECK to <build>/tests/knames_check}"

note "the kernel's lookup against /proc/kallsyms"
"$KNAMES_CHECK" || fail "kernel names disagree with /proc/kallsyms"

note "a profile's kernel frames"
cd "$TEST_TMP"
set +e
timeout -k 5 60 "$FLAMED" -v --once 10s -o "$TEST_TMP/k.folded" --stats-json "$TEST_TMP/k.stats.json" \
	-- "$WORKLOAD_DIR/syscall_heavy" 2 >"$TEST_TMP/k.out" 2>"$TEST_TMP/k.err"
rc=$?
set -e
grep -v '^libbpf: \|metric ' "$TEST_TMP/k.err" | sed 's/^/  | /'
[ "$rc" = 0 ] || fail "flamed exited $rc"
grep -q 'kernel names: ' "$TEST_TMP/k.err" || fail "no 'kernel names' line under -v"
read -r looked by_kernel from_file <<<"$(stats k run.kernel_names.looked_up \
	run.kernel_names.by_kernel run.kernel_names.from_kallsyms | tr '\n' ' ')"
line="$looked looked up, $by_kernel by the kernel's lookup, $from_file from /proc/kallsyms"
[ "$looked" -gt 10 ] || fail "only $looked kernel addresses looked up: $line"
[ "$by_kernel" = "$looked" ] || fail "not every kernel name came from the kernel's lookup: $line"
[ "$from_file" = 0 ] || fail "/proc/kallsyms was read: $line"
grep -q 'privileges: kept' "$TEST_TMP/k.err" || fail "flamed did not drop privileges"
check kernel "$TEST_TMP/k.folded" --comm syscall_heavy --min-kernel-pct 30 --min-user-pct 90 \
	--user-func do_syscalls
echo PASS
