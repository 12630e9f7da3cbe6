#!/bin/bash
# SPDX-License-Identifier: MIT
# Profiling a build: big, short-lived compilers keep complete stacks. Twelve sequential
# `g++ -O2 -c` compiles, then a `make -j2` of four files, under flamed --once -- SCRIPT at 99 Hz
# with the default --unwind-memory: >= 95 % of cc1plus samples reach main, no table is refused,
# and cc1plus's table is built once and then reused from the cache by every later compiler (the
# build count stays far below the number of processes).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
command -v g++ >/dev/null || skip "g++ not installed"
command -v make >/dev/null || skip "make not installed"

cd "$TEST_TMP"
# a small file that still keeps cc1plus busy ~0.5 s: templates and the standard containers
cat >unit.cpp <<'CPP'
#include <algorithm>
#include <map>
#include <string>
#include <vector>

template <typename T> struct Grid {
	std::vector<T> v;
	std::map<std::string, T> names;
	T sum() const { T s{}; for (auto &x : v) s += x; return s; }
};

int main(int argc, char **argv)
{
	Grid<int> g;
	Grid<double> h;
	for (int i = 0; i < argc; i++) { g.v.push_back(i); h.names[argv[i]] = i; }
	std::sort(g.v.begin(), g.v.end());
	return (int)(g.sum() + h.names.size());
}
CPP
for i in 1 2 3 4; do sed "s/struct Grid/struct Grid$i/; s/Grid</Grid$i</g" unit.cpp >"par$i.cpp"; done
printf 'all: par1.o par2.o par3.o par4.o\n%%.o: %%.cpp\n\tg++ -O2 -c $< -o $@\n' >Makefile
cat >build.sh <<'SH'
#!/bin/bash
set -e
for i in $(seq 12); do g++ -O2 -c unit.cpp -o unit.o; done
make -s -j2
SH
chmod +x build.sh

FLAMED_TIMEOUT=120 run_flamed build --once 90s -F 99 -v -o "$TEST_TMP/build.folded" \
	-o "$TEST_TMP/build.pb.gz" -- ./build.sh
[ "$RC" = 0 ] || fail "flamed exited $RC"
check_outputs build "$TEST_TMP/build.folded" "$TEST_TMP/build.pb.gz"
[ -s par4.o ] || fail "the build did not finish"
check reach "$TEST_TMP/build.folded" --comm cc1plus --frame main --min-pct 95 --min-samples 300
check reach "$TEST_TMP/build.pb.gz" --comm cc1plus --frame main --min-pct 95 --min-samples 300

refused=$(stats build run.unwind_tables.refused.per_binary run.unwind_tables.refused.per_process \
	run.unwind_tables.refused.per_owner run.unwind_tables.refused.over_memory | tr '\n' ' ')
[ "$refused" = "0 0 0 0 " ] ||
	fail "tables refused at the default --unwind-memory (per binary, process, owner, memory): $refused"
built=$(stats build run.unwind_tables.built)
cached=$(stats build run.unwind_tables.reused_from_cache)
summary="$built built, $cached reused from the cache"
# 16 compiles, each a g++ driver, cc1plus and as: their binaries are built once; every later
# process of them takes the cached tables
note "tables built $built, reused from the cache $cached"
[ "${built:-99}" -le 30 ] || fail "$built tables built for 16 compiles: the cache is not used ($summary)"
[ "${cached:-0}" -ge 30 ] || fail "only $cached tables reused from the cache ($summary)"
echo PASS
