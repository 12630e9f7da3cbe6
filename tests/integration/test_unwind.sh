#!/bin/bash
# SPDX-License-Identifier: MIT
# DWARF unwinding: the same program built without frame pointers, with them (leaf functions stay
# frameless), and with its hot functions in a shared library. With the default --unwind auto,
# >= 99 % of samples reach main and beyond it __libc_start_main, including from the bottom of a
# 40-deep recursion, and function shares match the workload's own within +-2 points. The same
# runs with --unwind fp document the frame-pointer baseline (printed, and asserted to be worse
# where frame pointers cannot work).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf

HZ=999
SECS=10
cd "$TEST_TMP"
for variant in nofp fp lib; do
	prog="unwind_$variant"
	note "$prog, --unwind auto"
	run_flamed "$prog" --once 30s -F $HZ -o "$TEST_TMP/$prog.folded" -o "$TEST_TMP/$prog.pb.gz" \
		-- "$WORKLOAD_DIR/$prog" $SECS
	[ "$RC" = 0 ] || fail "flamed exited $RC"
	check_outputs "$prog" "$TEST_TMP/$prog.folded" "$TEST_TMP/$prog.pb.gz"
	grep -q '^flamed: unwind: ' "$TEST_TMP/$prog.err" || fail "no unwind summary line"
	read -r tables walks missing lost <<<"$(stats "$prog" run.unwind.tables run.unwind.walks \
		run.stacks.stacks_missing run.samples.lost_in_drain | tr '\n' ' ')"
	[ "$tables" = true ] && [ "$walks" -gt 0 ] || fail "no stacks walked with unwind tables"
	# a count whose stack no drain had: the per-CPU "stack already stored" note outliving its
	# generation (10 s: the maps of each generation are reused five times)
	[ "$missing" = 0 ] || fail "$missing counts referred to stacks never drained"
	# and every sample the program counted (in its per-CPU count slots, or the map) arrived
	[ "$lost" = 0 ] || fail "$lost samples lost between BPF and the profile"
	check shares "$TEST_TMP/$prog.folded" --comm "$prog" --expect "$TEST_TMP/$prog.out" \
		--tolerance 2 --main-min 99
	check reach "$TEST_TMP/$prog.folded" --comm "$prog" --frame main \
		--frame __libc_start_main --min-pct 99 \
		--depth-func hot_deep --depth-frame recurse --depth-min 40
	check shares "$TEST_TMP/$prog.pb.gz" --comm "$prog" --expect "$TEST_TMP/$prog.out" \
		--tolerance 2 --main-min 99

	note "$prog, --unwind fp (baseline)"
	run_flamed "$prog-fp" --once 30s -F $HZ --unwind fp -o "$TEST_TMP/$prog-fp.folded" \
		-- "$WORKLOAD_DIR/$prog" 2
	[ "$RC" = 0 ] || fail "flamed --unwind fp exited $RC"
	case $variant in
	nofp | lib)
		# no frame pointers in the hot code: the walk cannot get from the leaf to main
		check reach "$TEST_TMP/$prog-fp.folded" --comm "$prog" --frame main --max-pct 50
		;;
	fp)
		# frame pointers, but frameless leaves: main is reached, the leaf's caller is lost
		check reach "$TEST_TMP/$prog-fp.folded" --comm "$prog" --frame via_add \
			--frame hot_add --max-pct 10 --min-samples 20
		;;
	esac
done

note "--unwind dwarf: tables only"
# 98.5 %, not 99: with no frame-pointer fallback a sample stops where no table is, and a run of
# ~1000 samples has ~1 % of them by nature: the [vdso] (no table is built for it: the workload's
# clock_gettime syscalls), the dynamic loader before main, the first sample before the process
# is described, and the parent's side of the exec. --unwind auto above covers them.
run_flamed dwarf --once 30s -F $HZ --unwind dwarf -o "$TEST_TMP/dwarf.folded" \
	-- "$WORKLOAD_DIR/unwind_nofp" 2
[ "$RC" = 0 ] || fail "flamed --unwind dwarf exited $RC"
check reach "$TEST_TMP/dwarf.folded" --comm unwind_nofp --frame main \
	--frame __libc_start_main --min-pct 98.5

note "a distribution binary without frame pointers: xz"
command -v xz >/dev/null || skip "xz not installed"
head -c 24000000 /dev/urandom >"$TEST_TMP/rand.bin"
run_flamed xz --once 30s -F $HZ -o "$TEST_TMP/xz.folded" -- xz -6 -T1 -k -f "$TEST_TMP/rand.bin"
[ "$RC" = 0 ] || fail "flamed exited $RC"
# Debian's xz is stripped: main has no name, but __libc_start_main (exported by libc) lies
# beyond it, so reaching it means main was unwound through
check reach "$TEST_TMP/xz.folded" --comm xz --frame __libc_start_main --min-pct 95 --min-samples 100
run_flamed xz-fp --once 30s -F $HZ --unwind fp -o "$TEST_TMP/xz-fp.folded" \
	-- xz -6 -T1 -k -f "$TEST_TMP/rand.bin"
check reach "$TEST_TMP/xz-fp.folded" --comm xz --frame __libc_start_main --max-pct 50 \
	--min-samples 100
echo PASS
