#!/bin/bash
# SPDX-License-Identifier: MIT
# Python frames on every CPython on the machine from 3.8 up (Debian's /usr/bin/python3.11,
# statically linked, and pyenv's builds, with a shared libpython): tests/workloads/python/
# py_shapes.py under `flamed -- python`: its recursive function, class method, imported module's
# function and zlib call appear by name, in order under <module>, with file and line; each
# phase's share within 2 points of what the script timed itself. Also: the offsets table is
# what the interpreters' headers say (tools/py_offsets.sh) and, for 3.13, what the interpreter
# publishes in _PyRuntime.debug_offsets.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
SRC=$FLAMED_SOURCE_DIR/tests/workloads/python/py_shapes.py
[ -x /usr/bin/python3.11 ] || skip "Debian's python3.11 missing"

note "offsets table = the headers of the interpreters here"
if command -v cc >/dev/null && command -v clang-format >/dev/null; then
	"$FLAMED_SOURCE_DIR/tools/py_offsets.sh" >"$TEST_TMP/table.h"
	diff -u "$FLAMED_SOURCE_DIR/src/python/py_offsets_table.h" "$TEST_TMP/table.h" ||
		fail "src/python/py_offsets_table.h differs from tools/py_offsets.sh's output"
	echo "same as generated from $(grep -c major "$TEST_TMP/table.h") versions' headers"
fi

for p in /root/.pyenv/versions/3.1[3-9].*/bin/python3.1[3-9]; do
	[ -x "$p" ] || continue
	note "offsets table = what $p publishes in _PyRuntime.debug_offsets"
	"$p" "$INTEGRATION_DIR/py_debug_offsets.py" "$FLAMED_SOURCE_DIR/src/python/py_offsets_table.h" ||
		fail "the offsets table differs from $p's own debug offsets"
done

pythons=(/usr/bin/python3.11)
for v in 3.8 3.9 3.10 3.11 3.12 3.13; do
	for p in /root/.pyenv/versions/"$v".*/bin/python"$v"; do
		[ -x "$p" ] && pythons+=("$p")
	done
done
cd "$(dirname "$SRC")"
table=()
for py in "${pythons[@]}"; do
	ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	minor=${ver#3.}
	name=$(echo "$py" | tr / _)
	note "$py ($ver)"
	run_flamed "$name" --once 9s -F 499 -v -o "$TEST_TMP/$name.pb.gz" \
		-o "$TEST_TMP/$name.folded" -- "$py" "$SRC" 7
	[ "$RC" = 0 ] || fail "flamed exited $RC for $py"
	cat "$TEST_TMP/$name.out"
	args=()
	[ "$minor" -ge 11 ] && args+=(--qualname)
	check python "$TEST_TMP/$name.pb.gz" --expect "$TEST_TMP/$name.out" --expect-source "$SRC" --hz 499 \
		"${args[@]}" || fail "$py: Python frames wrong (above)"
	grep -q 'py_shapes.fib_\[py\]' "$TEST_TMP/$name.folded" || fail "no _[py] frames in folded"
	table+=("$ver $py: $(stats "$name" run.python.frames_shown) Python frames shown")
done
note "versions"
printf '%s\n' "${table[@]}"
echo PASS
