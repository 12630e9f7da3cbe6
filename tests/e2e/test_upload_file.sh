#!/usr/bin/env bash
# The file sink (--output-dir): one file per window named <host>_<UTC start>Z.pb.gz, read back by
# go tool pprof; --compress zstd writes .pb.zst (zstd -d gives the same pprof); --retain deletes
# the oldest files first and counts them; no temp file is left behind.
. "$(dirname "$0")/../upload/lib.sh"
command -v go >/dev/null || skip "go (golang-go) not installed"
command -v zstd >/dev/null || skip "zstd not installed"

echo "== gzip files, one per window, named by host and UTC start"
mkdir "$TMP/out"
"$DRIVER" --sink file --output-dir "$TMP/out" --hostname node-1 --count 3 --tag f \
	>"$TMP/gz.out" 2>"$TMP/gz.err" || fail "$(cat "$TMP/gz.err")"
expect_stat "$TMP/gz.out" sent 3
ls -A "$TMP/out"
[ "$(ls -A "$TMP/out" | wc -l)" = 3 ] || fail "want 3 files"
i=0
for f in $(ls "$TMP/out"); do
	[[ $f =~ ^node-1_[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z\.pb\.gz$ ]] ||
		fail "bad name $f"
	check_pprof "$TMP/out/$f" "win_f_$i"
	i=$((i + 1))
done
# the name is the window's UTC start: the driver starts windows 60 s before now, 10 s apart
first=$(ls "$TMP/out" | head -1 | sed 's/^node-1_\(.*\)Z.pb.gz$/\1/')
HOME=$TMP go tool pprof -raw -symbolize=none "$TMP/out/$(ls "$TMP/out" | head -1)" 2>/dev/null |
	grep -q "^Time: $(echo "$first" | sed 's/T/ /; s/-\([0-9][0-9]\)-\([0-9][0-9]\)$/:\1:\2/') +0000 UTC" ||
	fail "file name $first is not the profile's start time"

echo "== zstd archives"
mkdir "$TMP/zst"
"$DRIVER" --sink file --output-dir "$TMP/zst" --hostname node-1 --compress zstd --count 2 --tag z \
	>"$TMP/zst.out" 2>"$TMP/zst.err" || fail "$(cat "$TMP/zst.err")"
expect_stat "$TMP/zst.out" sent 2
for f in "$TMP"/zst/*.pb.zst; do
	zstd -q -d "$f" -o "${f%.zst}" || fail "zstd -d $f"
	HOME=$TMP go tool pprof -raw -symbolize=none "${f%.zst}" >/dev/null 2>&1 || fail "pprof ${f%.zst}"
done

echo "== retention: oldest deleted first, counted"
mkdir "$TMP/ret"
size=$(stat -c %s "$TMP/out/$(ls "$TMP/out" | head -1)")
"$DRIVER" --sink file --output-dir "$TMP/ret" --hostname node-1 --count 6 --tag r \
	--retain $((size * 3 + size / 2)) >"$TMP/ret.out" 2>"$TMP/ret.err" || fail "$(cat "$TMP/ret.err")"
cat "$TMP/ret.out"
expect_stat "$TMP/ret.out" sent 6
expect_stat "$TMP/ret.out" evicted 3
[ "$(ls -A "$TMP/ret" | wc -l)" = 3 ] || fail "want 3 files kept: $(ls -A "$TMP/ret")"
i=3
for f in $(ls "$TMP/ret"); do
	check_pprof "$TMP/ret/$f" "win_r_$i"
	i=$((i + 1))
done
[ -z "$(find "$TMP/out" "$TMP/ret" "$TMP/zst" -name "*.tmp")" ] || fail "temp files left"

echo "== a missing directory is an error at creation"
"$DRIVER" --sink file --output-dir "$TMP/nope" --count 1 >/dev/null 2>"$TMP/nodir.err" && rc=0 ||
	rc=$?
want_rc 1 "$rc" "a missing directory"
grep -q "No such file or directory" "$TMP/nodir.err" || fail "$(cat "$TMP/nodir.err")"
echo "PASS"
