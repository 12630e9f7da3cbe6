#!/bin/bash
# SPDX-License-Identifier: MIT
# Processes that say they are JVMs and lie (stress_jvm.c, as nobody): one whose libjvm.so's
# gHotSpotVM* variables point at random bytes with random strides, rewritten every 20 ms; one
# with a real JVM's tables whose code cache and interpreter are its own code and stack over a
# random segment map, so the BPF walker and the method reader run on garbage. Next to them a
# real JVM (tests/workloads/java/Hot.java, idle in its last 1.5 s as in test_java.sh). flamed profiles the whole host for 12 s: it exits 0
# on time with readable outputs, within 10 % of a core and 64 MB; the liars' own samples are
# there; the real JVM's Java frames are named as test_java.sh wants them (what one process forges
# changes no other's profile). flamed reads another process's memory only with process_vm_readv
# on that process, so a forged pointer can only ever name the forger's own memory.
# shellcheck source=stress_lib.sh
source "$(dirname "$0")/stress_lib.sh"
require_stress
command -v javac >/dev/null || skip "no JDK (javac): tools/setup.sh --test installs one"
SECS=12
W=$FLAMED_SOURCE_DIR/tests/workloads/java
cd "$TEST_TMP"
cp "$FLAMED_SOURCE_DIR/fuzz/corpus/hs_vmstructs/jdk17.bin" "$ATT_DIR/"
chmod 644 "$ATT_DIR/jdk17.bin"
mkdir classes
javac -d classes "$W/Hot.java"

note "attackers (uid $NOBODY): random tables; a real JVM's tables over its own code"
attacker_start garbage "$STRESS_DIR/stress_jvm" garbage $((SECS + 4))
attacker_start image "$STRESS_DIR/stress_jvm" image "$ATT_DIR/jdk17.bin" $((SECS + 4))
wait_for_line "$TEST_TMP/garbage.out" '^pid [0-9]+$'
wait_for_line "$TEST_TMP/image.out" '^pid [0-9]+$'

note "flamed --once ${SECS}s on the whole host -v, a real JVM next to them"
flamed_start jvm "${SECS}s" -v -F 499
flamed_attached
bg_start "$TEST_TMP/hot.out" java -cp classes Hot $((SECS - 4)) linger
HOT=$BG_PID
wait "$HOT" || fail "Hot exited $?"
flamed_wait
print_summary_line
grep -E 'java:|is HotSpot' "$TEST_TMP/jvm.err" || true
if [ "$RC" = 0 ]; then
	note "the liars and the real JVM"
	for att in garbage image; do
		expect "$att sampled" "$PY" "$STRESS_CHECK" threads "$TEST_TMP/jvm.pb.gz" \
			--pid "$(attacker_value $att pid)" --min 1
	done
	expect "the forged tables refused" grep -q 'stress/forged/libjvm.so (pid [0-9]*) is HotSpot (' \
		"$TEST_TMP/jvm.err"
	expect "the real JVM's Java frames" check java "$TEST_TMP/jvm.pb.gz" hot --pid "$HOT" \
		--expect "$TEST_TMP/hot.out" --source "$W/Hot.java" --min-pct 80
fi
note "flamed's cost"
check_cost --max-cpu-pct 10 --max-rss-mb 64
finish_stress
