#!/bin/bash
# SPDX-License-Identifier: MIT
# Java frames of HotSpot JVMs, walked in the kernel with no agent and no JVM flag
# (tests/workloads/java, checked by flamed_check.py java):
# - Hot: on the main thread >= 90 % of samples hold Hot.inner under Hot.outer under Hot.main
#   (interpreted, then compiled by C1 and C2 with inner inlined into outer: the inline frame is
#   still Hot.inner), Hot.java lines, the timed shares within 3 points of the program's own
#   clock; a second thread, named as the JVM names it, calling through an interface and a
#   lambda; the same names and lines with -Xint;
# - HotJni: Java -> native -> Java through JNI, every frame in order;
# - HotChurn: classes unloaded and code deoptimized while profiled (the JVM's own logs say how
#   often): no frame named after a method its thread was not running;
# - a JVM started after flamed that exits mid-window (whole host).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v javac >/dev/null && command -v java >/dev/null ||
	skip "no JDK (javac): tools/setup.sh --test installs openjdk-17-jdk-headless"
JDK=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
[ -r "$JDK/include/jni.h" ] || skip "no jni.h under $JDK"
W=$FLAMED_SOURCE_DIR/tests/workloads/java
cd "$TEST_TMP"
mkdir classes payload
javac -d classes "$W/Hot.java" "$W/HotJni.java" "$W/HotChurn.java"
javac -d payload -cp classes "$W/PayloadA.java" "$W/PayloadB.java"
# frame pointers: the library is loaded after the JVM's first samples, and until its unwind
# table is built the walker follows them
cc -O2 -g -fno-omit-frame-pointer -shared -fPIC -I"$JDK/include" -I"$JDK/include/linux" \
	-o libhotjni.so "$W/hot_jni.c"
java -version 2>&1 | head -1

note "Hot: interpreted, C1, C2 and inlined frames; a second thread through an interface and a lambda"
# the JVMs outlive the capture (flamed stops them at its end): every drain, the last included,
# reads a live JVM
run_flamed hot --once 10s -F 499 -o "$TEST_TMP/hot.pb.gz" -- java -cp classes Hot 60 threads
[ "$RC" = 0 ] || fail "flamed exited $RC"
check java hot.pb.gz hot --expect hot.out --source "$W/Hot.java" --threads --min-inlined 200 ||
	fail "Hot's Java frames wrong (above)"

note "Hot, interpreted only (-Xint)"
run_flamed xint --once 6s -F 499 -o "$TEST_TMP/xint.pb.gz" -- java -Xint -cp classes Hot 60
[ "$RC" = 0 ] || fail "flamed exited $RC"
check java xint.pb.gz hot --expect xint.out --source "$W/Hot.java" ||
	fail "interpreted frames wrong (above)"

note "JNI: Java -> C -> Java"
run_flamed jni --once 7s -F 499 -o "$TEST_TMP/jni.pb.gz" -o "$TEST_TMP/jni.folded" -- \
	java -Djava.library.path="$TEST_TMP" -cp classes HotJni 60
[ "$RC" = 0 ] || fail "flamed exited $RC"
check java jni.pb.gz jni --expect jni.out || fail "JNI stacks wrong (above)"
grep -q 'HotJni.nativeSpin_\[j\];Java_HotJni_nativeSpin;.*StubRoutines (1)_\[j\];HotJni.javaCallback_\[j\]' \
	jni.folded || fail "no folded stack with the Java callback above the native frames"

note "classes unloaded and code deoptimized while profiled"
# the JIT's log to a file of its own: on stdout (-XX:+PrintCompilation) its lines, written in
# pieces, interleave with the program's "tid" lines and garble them
run_flamed churn --once 9s -F 499 -v -o "$TEST_TMP/churn.pb.gz" -- java \
	-Xlog:class+unload=info:file="$TEST_TMP/unload.log" \
	-Xlog:jit+compilation=debug:file="$TEST_TMP/jit.log" -cp classes HotChurn 8 payload
[ "$RC" = 0 ] || fail "flamed exited $RC"
unloads=$(grep -c 'Payload' unload.log || true)
deopts=$(grep -c 'HotChurn.*made not entrant' jit.log || true)
echo "the JVM unloaded $unloads payload classes and made $deopts HotChurn methods not entrant"
[ "$unloads" -ge 20 ] || fail "only $unloads classes unloaded"
[ "$deopts" -ge 5 ] || fail "only $deopts methods deoptimized"
check java churn.pb.gz churn --expect churn.out || fail "misattributed frames (above)"

note "a JVM started after flamed, exiting mid-window (whole host)"
"$FLAMED" --once 12s -F 499 -o "$TEST_TMP/late.pb.gz" >late.fout 2>late.ferr &
FLAMED_PID=$!
BG_PIDS+=("$FLAMED_PID")
sleep 2.5 # loaded and sampling
# it idles its last 1.5 s: what a JVM first runs in its last second before it exits is not
# named (flamed reads names at the drain after a sample, the process is gone; counted in the
# java: line), and Hot's end (its report, a late compile of its loop) would be that
java -cp classes Hot 5 linger >late.out
set +e
wait "$FLAMED_PID"
RC=$?
set -e
[ "$RC" = 0 ] || { cat late.ferr; fail "flamed exited $RC"; }
grep 'java:' late.ferr
# its start-up (class loading, the JIT's first compiles) weighs more in a short life
check java late.pb.gz hot --expect late.out --source "$W/Hot.java" --min-pct 80 ||
	fail "the late JVM's Java frames wrong (above)"
echo PASS
