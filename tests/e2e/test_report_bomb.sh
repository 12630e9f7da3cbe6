#!/bin/bash
# SPDX-License-Identifier: MIT
# `flamed report` memory stays proportional to its input: ~100 KB of gzip holding 50 million empty
# Sample messages (it used to take 6 GB) is refused with one line under a 1 GiB address-space
# limit, while a legitimate profile of 100k distinct stacks still loads under the same limit.
set -u

FLAMED=${FLAMED:?FLAMED must point at the flamed binary}
SRC=${FLAMED_SOURCE_DIR:?}
for tool in python3 prlimit; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok: $*"; }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# ASan reserves terabytes of address space for its shadow: no --as limit there, only the message
limit=(prlimit --as=$((1 << 30)) --)
if nm -D "$FLAMED" 2>/dev/null | grep -q __asan_init || ldd "$FLAMED" | grep -q libasan; then
	limit=()
fi

python3 "$SRC/tests/e2e/gen_pprof.py" bomb "$tmp/bomb.pb.gz" || exit 1
python3 "$SRC/tests/e2e/gen_pprof.py" stacks "$tmp/stacks.pb.gz" 100000 || exit 1
echo "bomb: $(stat -c %s "$tmp/bomb.pb.gz") bytes; stacks: $(stat -c %s "$tmp/stacks.pb.gz") bytes"

"${limit[@]}" "$FLAMED" report "$tmp/bomb.pb.gz" -o "$tmp/bomb.folded" 2>"$tmp/bomb.err"
rc=$?
cat "$tmp/bomb.err"
if [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/bomb.err")" = 1 ] &&
	grep -q "cannot read '.*bomb.pb.gz': it expands past [0-9]* MiB of memory" "$tmp/bomb.err"; then
	ok "the bomb is refused with one line (exit 1)"
else
	fail "the bomb: exit $rc, want 1 and a one-line refusal naming the memory limit"
fi
if [ ! -e "$tmp/bomb.folded" ]; then ok "nothing written for the bomb"; else fail "bomb.folded written"; fi

if "${limit[@]}" "$FLAMED" report "$tmp/stacks.pb.gz" -o "$tmp/stacks.folded" 2>"$tmp/stacks.err"; then
	n=$(wc -l <"$tmp/stacks.folded")
	if [ "$n" = 100000 ]; then
		ok "100k distinct stacks load: $n folded lines"
	else
		fail "100k stacks: $n folded lines"
	fi
else
	fail "100k distinct stacks refused: $(cat "$tmp/stacks.err")"
fi

[ "$fails" = 0 ] || exit 1
