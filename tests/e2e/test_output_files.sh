#!/bin/bash
# SPDX-License-Identifier: MIT
# How flamed puts files on disk, seen through `flamed report` (the capture writes through the same
# code): 0600 by default and --output-mode exactly, never through or over a symbolic link, never
# over another user's file (root only: needs chown), --output-owner, and a full disk (a 64 KiB
# tmpfs; root only) reported as "No space left on device" with the old file intact and no
# leftovers.
set -u

FLAMED=${FLAMED:?FLAMED must point at the flamed binary}
SRC=${FLAMED_SOURCE_DIR:?}
in=$SRC/fuzz/corpus/pprof_decode/flamed_cpu.pb

tmp=$(mktemp -d)
mnt=
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { echo "ok: $*"; }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
report() { "$FLAMED" report "$in" "$@" 2>"$tmp/err"; }
entries() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }

umask 022
report -o "$tmp/a.folded" -o "$tmp/a.svg" -o "$tmp/a.pb.gz"
check "default mode 0600 (umask 022)" \
	test "$(stat -c %a "$tmp/a.folded" "$tmp/a.svg" "$tmp/a.pb.gz" | sort -u)" = 600
umask 077
report -o "$tmp/b.folded" --output-mode 0644
check "--output-mode 0644 is applied as is (umask 077)" test "$(stat -c %a "$tmp/b.folded")" = 644
umask 022
report -o "$tmp/c.folded" --output-mode 999
check "--output-mode 999 is a usage error" test $? = 2

# a symbolic link at the output name is neither followed nor replaced
echo precious >"$tmp/target"
ln -s target "$tmp/link.folded"
report -o "$tmp/link.folded"
rc=$?
cat "$tmp/err"
check "a symlink output is refused (exit 1)" test "$rc" = 1
check "... with one line saying why" grep -q "symbolic link" "$tmp/err"
check "... the link is still a link" test -L "$tmp/link.folded"
check "... and its target is untouched" test "$(cat "$tmp/target")" = precious

if [ "$(id -u)" != 0 ]; then
	echo "SKIP (rest): not root (chown and mount needed)"
	[ "$fails" = 0 ] || exit 1
	exit 0
fi

# another user's file is never replaced by a root-owned one
echo theirs >"$tmp/theirs.folded"
chown nobody "$tmp/theirs.folded"
report -o "$tmp/theirs.folded"
rc=$?
cat "$tmp/err"
check "another user's file is refused (exit 1)" test "$rc" = 1
check "... with one line saying why" grep -q "owned by another user" "$tmp/err"
check "... and left as it was" test "$(cat "$tmp/theirs.folded")" = theirs
check "... owned by them" test "$(stat -c %U "$tmp/theirs.folded")" = nobody

# unless they are who the files are for
report -o "$tmp/theirs.folded" --output-owner nobody --output-mode 0640
check "--output-owner nobody replaces nobody's file" grep -q ';' "$tmp/theirs.folded"
check "... with a file owned by nobody:nogroup, mode 0640" \
	test "$(stat -c %U:%G:%a "$tmp/theirs.folded")" = nobody:nogroup:640
report -o "$tmp/x.folded" --output-owner no-such-user-flamed
check "--output-owner of an unknown user is a usage error" test $? = 2

# a full disk: the message says so, the old file survives, nothing is left behind
mkdir "$tmp/full"
if ! mount -t tmpfs -o size=64k tmpfs "$tmp/full" 2>/dev/null; then
	echo "SKIP (rest): cannot mount a tmpfs"
	[ "$fails" = 0 ] || exit 1
	exit 0
fi
mnt=$tmp/full
echo old >"$mnt/out.svg"
python3 "$SRC/tests/e2e/gen_pprof.py" stacks "$tmp/big.pb.gz" 2000 || exit 1
"$FLAMED" report "$tmp/big.pb.gz" -o "$mnt/out.svg" 2>"$tmp/err"
rc=$?
cat "$tmp/err"
check "a full disk fails (exit 1)" test "$rc" = 1
check "... with 'No space left on device' and the path" \
	grep -q "'$mnt/out.svg': No space left on device" "$tmp/err"
check "... the old file is intact" test "$(cat "$mnt/out.svg")" = old
check "... and nothing else is left" test "$(entries "$mnt")" = 1

[ "$fails" = 0 ] || exit 1
