#!/bin/bash
# SPDX-License-Identifier: MIT
# Python frames across threads and processes (tests/workloads/python/py_workers.py): each
# thread's Python stack under its own thread label (Debian's 3.11 and pyenv 3.13); forked
# multiprocessing workers (3.12); a Python process started after flamed (whole host); a native
# thread calling into Python (a thread state per call); a CPython flamed does not know (pyenv
# 3.7) is reported once and profiled natively.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
W=$FLAMED_SOURCE_DIR/tests/workloads/python/py_workers.py
[ -x /usr/bin/python3.11 ] || skip "Debian's python3.11 missing"
pyenv_python()
{
	local p
	for p in /root/.pyenv/versions/"$1".*/bin/python"$1"; do
		[ -x "$p" ] && echo "$p" && return 0
	done
	return 1
}
cd "$TEST_TMP"

for py in /usr/bin/python3.11 $(pyenv_python 3.13 || true); do
	note "threads: $py"
	run_flamed threads --once 6s -F 499 -v -o "$TEST_TMP/threads.pb.gz" -- "$py" "$W" threads 4
	[ "$RC" = 0 ] || fail "flamed exited $RC"
	cat threads.out
	check pyworkers threads.pb.gz --expect threads.out --min-workers 3 ||
		fail "$py: threads' Python stacks wrong (above)"
done

if py=$(pyenv_python 3.12); then
	note "multiprocessing workers (fork): $py"
	run_flamed procs --once 6s -F 499 -v -o "$TEST_TMP/procs.pb.gz" -- "$py" "$W" procs 4
	[ "$RC" = 0 ] || fail "flamed exited $RC"
	cat procs.out
	check pyworkers procs.pb.gz --expect procs.out --min-workers 2 ||
		fail "multiprocessing workers' Python stacks wrong (above)"
fi

note "a Python process started after flamed (whole host)"
"$FLAMED" --once 8s -F 499 -v -o "$TEST_TMP/late.pb.gz" --stats-json late.stats.json >late.fout \
	2>late.ferr &
FLAMED_PID=$!
BG_PIDS+=("$FLAMED_PID")
sleep 2.5 # loaded and sampling
/usr/bin/python3.11 "$W" threads 3 >late.out
set +e
wait "$FLAMED_PID"
RC=$?
set -e
[ "$RC" = 0 ] || { cat late.ferr; fail "flamed exited $RC"; }
[ "$(stats late run.python.processes)" -ge 1 ] || fail "the late Python process was not registered"
check pyworkers late.pb.gz --expect late.out --min-workers 3 ||
	fail "the late Python process's stacks wrong (above)"

note "a native thread calling into Python (ctypes callbacks, as C libraries make them)"
# Each round: 60 ms native, then a callback (a thread state made for it and freed after) that
# runs Python for 150 ms. Its frames must show from its first sample: no answer about the
# thread from before the callback may outlive the state that was freed or made since.
run_flamed natcb --once 6s -F 499 -v -o "$TEST_TMP/natcb.folded" -- /usr/bin/python3.11 \
	"$FLAMED_SOURCE_DIR/tests/workloads/python/py_native_cb.py" "$WORKLOAD_DIR/libpy_native_cb.so"
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat natcb.out
read -r cb_ms native_ms < <(awk '/^callback_ms/ {print $2, $4}' natcb.out)
[ -n "$native_ms" ] || fail "no callback_ms line from py_native_cb.py"
# the native thread's samples (under its start routine, run): in native_spin, or the callback's
read -r spin cb cb_py < <(awk '/;run;/ { n = $NF; if (/;native_spin/) s += n; else { c += n;
	if (/callback_hot_\[py\]/) p += n } } END { print s + 0, c + 0, p + 0 }' natcb.folded)
echo "native thread: $spin samples in native_spin, $cb in the callback, $cb_py of them with its Python frames"
[ "$cb" -ge 300 ] || fail "only $cb samples in the callback"
[ $((cb_py * 100)) -ge $((cb * 95)) ] || fail "only $cb_py of $cb callback samples hold callback_hot"
# the native part's share against the thread's own timing (3 points: ~1200 samples)
share=$((spin * 1000 / (spin + cb)))
want=$((native_ms * 1000 / (native_ms + cb_ms)))
echo "native_spin: $share per mille of the thread's samples, $want measured"
[ $((share - want)) -le 30 ] && [ $((want - share)) -le 30 ] ||
	fail "native_spin at $share per mille, $want measured"

if py=$(pyenv_python 3.7); then
	note "an unknown version ($py): reported once, native frames"
	run_flamed old --once 4s -F 199 -o "$TEST_TMP/old.folded" -- "$py" \
		"$FLAMED_SOURCE_DIR/tests/workloads/python/py_shapes.py" 2
	[ "$RC" = 0 ] || fail "flamed exited $RC"
	[ "$(grep -c 'CPython 3.7, which flamed does not know' old.err)" = 1 ] ||
		fail "no single 'CPython 3.7, which flamed does not know' warning"
	[ "$(stats old run.python.unknown_version)" -ge 1 ] || fail "3.7 not counted as unknown"
	grep -q '_PyEval_EvalFrameDefault' old.folded || fail "3.7: no native eval frames"
	! grep -q '_\[py\]' old.folded || fail "3.7: Python frames from an unknown layout"
fi
echo PASS
