#!/bin/bash
# Unwind-table bench: build time and table bytes for libc, libLLVM (the clang install) and the
# largest shared library on this machine, each in its own process (clean RSS), with a libdw
# baseline from the same run. Builds its own binary; not part of the CMake build.
#   bench/unwind_tables.sh [extra ELF files...]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_BUILD_DIR:-${TMPDIR:-/tmp}/flamed-bench}
mkdir -p "$out"
cc -O2 -g -D_GNU_SOURCE -I"$src/src" -I"$src/bpf" "$src/bench/unwind_tables.c" \
	"$src/src/unwind/unwind_table.c" -lelf -ldw -o "$out/unwind_tables"

files=(/lib/x86_64-linux-gnu/libc.so.6)
llvm=$(ls /usr/lib/llvm-*/lib/libLLVM-*.so 2>/dev/null | sort -V | tail -1 || true)
[ -n "$llvm" ] && files+=("$(readlink -f "$llvm")")
# the largest x86_64 shared object with CFI (skips GPU/fat binaries without .eh_frame)
while read -r size path; do
	if readelf -SW "$path" 2>/dev/null | grep -q ' \.eh_frame '; then
		files+=("$path")
		break
	fi
done < <(find /usr /opt /root -xdev -type f -name '*.so*' -size +20M -printf '%s %p\n' 2>/dev/null |
	sort -rn)
files+=("$@")

echo "unwind tables: $(nproc) CPUs, $(uname -r)"
for f in "${files[@]}"; do
	"$out/unwind_tables" "$f"
done
