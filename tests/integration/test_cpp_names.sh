#!/bin/bash
# SPDX-License-Identifier: MIT
# C++ names: a class template's member in a namespace and a lambda show demangled in the folded
# output and as pprof Function.name, with the mangled symbol kept as Function.system_name.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
[ -x "$WORKLOAD_DIR/cpp_names" ] || skip "no C++ compiler: cpp_names workload not built"

cd "$TEST_TMP"
run_flamed cpp --once 10s -F 499 -o "$TEST_TMP/cpp.folded" -o "$TEST_TMP/cpp.pb.gz" -- \
	"$WORKLOAD_DIR/cpp_names" 2
[ "$RC" = 0 ] || fail "flamed exited $RC"
check_outputs cpp "$TEST_TMP/cpp.folded" "$TEST_TMP/cpp.pb.gz"

relax='geo::Grid<int>::relax(int)'
lambda='main::{lambda(int)#1}::operator()(int) const'
note "demangled names in the folded output"
total=$(awk '$0 ~ /^cpp_names;/ {n += $NF} END {print n + 0}' cpp.folded)
for name in "$relax" "$lambda"; do
	hits=$(grep -F ";$name" cpp.folded | awk '{n += $NF} END {print n + 0}')
	echo "$name: $hits of $total samples"
	[ "$hits" -ge $((total / 10)) ] || fail "'$name' in $hits of $total samples (want >= 10 %)"
done
grep -q '_ZN3geo4GridIiE5relaxEi\|_ZZ4main' cpp.folded && fail "mangled names left in the folded output"

note "pprof: name demangled, system_name mangled"
"$PY" -c '
import gzip, sys
sys.path.insert(0, sys.argv[1])
import flamed_check as fc
top = fc.message(gzip.decompress(open(sys.argv[2], "rb").read()))
strings = [bytes(v).decode() for _, v in top.get(6, [])]
funcs = [(strings[fc.scalar(m, 2) or 0], strings[fc.scalar(m, 3) or 0]) for m in fc.submessages(top, 5)]
want = (sys.argv[3], sys.argv[4])
print("functions:", len(funcs), "match:", [f for f in funcs if f[1] == want[1]])
sys.exit(0 if want in funcs else 1)
' "$INTEGRATION_DIR" "$TEST_TMP/cpp.pb.gz" "$relax" _ZN3geo4GridIiE5relaxEi ||
	fail "no Function with name '$relax' and system_name _ZN3geo4GridIiE5relaxEi"
if have_go; then
	go_pprof -top "$TEST_TMP/cpp.pb.gz" | grep -F "$relax" || fail "go tool pprof does not show '$relax'"
fi
echo PASS
