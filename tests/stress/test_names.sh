#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile names, from an unprivileged user, while flamed profiles the whole host for 15 s
# (x STRESS_SCALE): six processes whose names (and their threads' names) hold a newline, ") R 1 1",
# ';', spaces, markup, format directives, control characters and bytes that are not UTF-8; and a
# library whose file name has a space and ends in " (deleted)" while it is not deleted. flamed
# exits 0 with well-formed outputs (folded lines parse, pprof strings are UTF-8, the SVG is XML,
# go tool pprof reads the pprof), every hostile process keeps its own label and complete stacks,
# the library's code is symbolized, and the victim is unaffected.
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress

SECS=$((15 * STRESS_SCALE))
cd "$TEST_TMP"
LIB="$ATT_DIR/lib x.so (deleted)"
install -o $NOBODY -m 755 "$STRESS_DIR/libstress_dl_public.so" "$LIB"

note "attackers (uid $NOBODY) for $((SECS + 4)) s: hostile process names, '$LIB'"
attacker_start names "$STRESS_DIR/stress_names" $((SECS + 4))
attacker_start dlname "$STRESS_DIR/stress_dlopen" 0 $((SECS + 4)) "$LIB"
ATTACKERS=("${BG_PIDS[@]}")
sleep 1

note "flamed --once ${SECS}s on the whole host, victim unwind_nofp"
flamed_start names "${SECS}s"
flamed_attached
victim_start unwind_nofp $((SECS - 3))
victim_wait
flamed_wait
for pid in "${ATTACKERS[@]}"; do
	wait "$pid" || true
done
echo "attackers: $(tr '\n' ' ' <"$TEST_TMP/names.out") / $(tr '\n' ' ' <"$TEST_TMP/dlname.out")"

print_summary_line
if [ "$RC" = 0 ]; then
	note "hostile processes keep their labels and stacks"
	expect "six hostile names, stacks to main" "$PY" "$STRESS_CHECK" names \
		"$TEST_TMP/names.pb.gz" "$TEST_TMP/names.folded" --func names_burn --min 6
	note "the library named '... (deleted)' is symbolized"
	expect "library code symbolized" check funcs "$TEST_TMP/names.pb.gz" --comm stress_dlopen \
		--func stress_dl_burn_public --min-samples 3
	note "victim"
	check_victim unwind_nofp "$VICTIM_OUT"
fi
note "flamed's cost"
check_cost --max-cpu-pct 10 --max-rss-mb 64
finish_stress
