#!/usr/bin/env bash
# tools/check-layers.sh can fail: it passes on src/ as committed, then on a copy of src/ each
# wrong include planted alone (a layer above, the command-line layer, libbpf outside src/bpf/,
# a BPF skeleton, a folder with no line in its table) must fail with a message naming the file
# and line, and the copy must pass again once the include is taken back out.
set -euo pipefail
src=${FLAMED_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
check=$src/tools/check-layers.sh

tmp=$(mktemp -d /tmp/flamed-layers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
fail() {
	fails=$((fails + 1))
	echo "FAIL: $*"
}

if "$check" >"$tmp/out" 2>&1; then
	ok "src/ as committed holds its layers"
else
	fail "src/ as committed: $(cat "$tmp/out")"
fi

cp -r "$src/src" "$tmp/src"

# plant FILE LINE EXPECTED: append LINE to the copy of src/FILE, expect a failure whose message
# holds EXPECTED, then restore the file and expect a pass
plant()
{
	local file=$1 line=$2 expected=$3 f=$tmp/src/$1 n
	cp "$f" "$tmp/saved"
	echo "$line" >>"$f"
	n=$(wc -l <"$f")
	if "$check" "$tmp/src" >"$tmp/out" 2>&1; then
		fail "$file + '$line' passed"
	elif ! grep -qF "src/$file:$n" "$tmp/out" || ! grep -qF -- "$expected" "$tmp/out"; then
		fail "$file + '$line': no 'src/$file:$n' and '$expected' in: $(cat "$tmp/out")"
	else
		ok "$file + '$line' fails: $(head -1 "$tmp/out")"
	fi
	cp "$tmp/saved" "$f"
	"$check" "$tmp/src" >"$tmp/out" 2>&1 || fail "taken out again, $file still fails: $(cat "$tmp/out")"
}

# a lower layer including a higher one (elf/ sits under collect/)
plant elf/elf_file.c '#include "collect/builder.h"' 'elf/ may include util'
# a folder including the command-line layer of src/ itself
plant proc/proc_table.c '#include "session.h"' 'the command-line layer'
# libbpf and a skeleton outside src/bpf/
plant symbolize/symbolizer.c '#include <bpf/libbpf.h>' 'libbpf outside src/bpf/'
plant profile/profile.c '#include "flamed.skel.h"' 'libbpf outside src/bpf/'
# a lateral include between two layers that do not know each other
plant symbolize/symbolizer.c '#include "profile/profile.h"' 'symbolize/ may include'

# a new folder without a line in the table
mkdir "$tmp/src/newlayer"
echo '#include "util/log.h"' >"$tmp/src/newlayer/x.c"
if "$check" "$tmp/src" >"$tmp/out" 2>&1; then
	fail "src/newlayer/ without a line passed"
elif grep -qF "src/newlayer/ has no line" "$tmp/out"; then
	ok "a folder without a line fails"
else
	fail "src/newlayer/: $(cat "$tmp/out")"
fi

[ "$fails" = 0 ] || exit 1
echo "all layer checks behave"
