#!/bin/bash
# SPDX-License-Identifier: MIT
# Processes that say they run CRuby 3.1 and lie (stress_ruby.c, as nobody): one whose
# ruby_current_vm_ptr points at random bytes rewritten every 20 ms; one with a VM whose thread
# list holds its own thread, whose control frames and heap are rewritten every 20 ms with words
# that look like Ruby's (pointers, iseq and method entry flags, strings, arrays, classes), so the
# BPF walker and the readers of iseqs, method entries, classes and symbols run on garbage. Next
# to them a real ruby (tests/workloads/ruby/hot.rb). flamed profiles the whole host for 12 s: it
# exits 0 on time with readable outputs, within 10 % of a core and 64 MB; the liars' own samples
# are there; the real ruby's frames are named as test_ruby.sh wants them (what one process
# forges changes no other's profile).
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress
RUBY=/usr/bin/ruby3.1
[ -x "$RUBY" ] || skip "$RUBY missing (tools/setup.sh --test installs ruby3.1)"
SECS=12
W=$FLAMED_SOURCE_DIR/tests/workloads/ruby
cd "$TEST_TMP"

note "attackers (uid $NOBODY): a random VM; a VM of this thread over random frames and heap"
attacker_start garbage "$STRESS_DIR/stress_ruby" garbage $((SECS + 4))
attacker_start image "$STRESS_DIR/stress_ruby" image $((SECS + 4))
wait_for_line "$TEST_TMP/garbage.out" '^pid [0-9]+$'
wait_for_line "$TEST_TMP/image.out" '^pid [0-9]+$'

note "flamed --once ${SECS}s on the whole host -v, a real ruby next to them"
flamed_start rb "${SECS}s" -v -F 499
flamed_attached
bg_start "$TEST_TMP/hot.out" "$RUBY" "$W/hot.rb" $((SECS - 4))
HOT=$BG_PID
wait "$HOT" || fail "hot.rb exited $?"
flamed_wait
print_summary_line
grep -E 'ruby:|is Ruby' "$TEST_TMP/rb.err" || true
if [ "$RC" = 0 ]; then
	note "the liars and the real ruby"
	for att in garbage image; do
		expect "$att sampled" "$PY" "$STRESS_CHECK" threads "$TEST_TMP/rb.pb.gz" \
			--pid "$(attacker_value $att pid)" --min 1
	done
	expect "the real ruby's frames" check interp "$TEST_TMP/rb.pb.gz" --mapping '[ruby]' \
		--comm ruby --tid "$HOT" --expect "$TEST_TMP/hot.out" --source "$W/hot.rb" \
		--under 'Object#drive,Burner#spin_xyz' --phase spin_x=Burner#spin_x \
		--phase spin_y=Burner#spin_y --phase spin_z=Burner#spin_z \
		--chain 'Burner#spin_z,Math.sqrt' --line Burner#spin_z=spin_z
fi
note "flamed's cost"
check_cost --max-cpu-pct 10 --max-rss-mb 64
finish_stress
