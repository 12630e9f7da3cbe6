#!/bin/bash
# SPDX-License-Identifier: MIT
# PHP frames on Debian's php8.2 (tests/workloads/php/hot.php): >= 85 % of the process's samples
# under drive;Burner::spin_xyz, each part's share within 3 points of what the script measured,
# array_map calling a closure (and its native frames between them, in order), sqrt under its
# method, the hot lines in pprof, stacks down to _start; the same with OPcache's tracing JIT on;
# an engine flamed does not know (a copy of php whose module API number is changed) is named
# once in a warning and profiled natively, as is any PHP under --no-php. Also: the offsets table
# is what the installed engine headers say (tools/php_offsets.sh).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_bpf
PHP=/usr/bin/php8.2
SRC=$FLAMED_SOURCE_DIR/tests/workloads/php/hot.php
[ -x "$PHP" ] || skip "$PHP missing (tools/setup.sh --test installs php8.2-cli)"
cd "$TEST_TMP"

note "offsets table = the headers of the engines here"
if ls -d /usr/include/php/2* >/dev/null 2>&1 && command -v clang-format >/dev/null; then
	"$FLAMED_SOURCE_DIR/tools/php_offsets.sh" >table.h
	diff -u "$FLAMED_SOURCE_DIR/src/php/php_offsets_table.h" table.h ||
		fail "src/php/php_offsets_table.h differs from tools/php_offsets.sh's output"
	echo "same as generated from $(grep -c '\.api' table.h) engine's headers"
else
	fail "no PHP engine headers (tools/setup.sh --test installs php8.2-dev)"
fi

check_hot()
{
	local name=$1 reach=$2
	shift 2
	check interp "$name.pb.gz" --mapping '[php]' --comm php --expect "$name.out" --source "$SRC" \
		--under 'drive,Burner::spin_xyz' --phase spin_x=Burner::spin_x \
		--phase spin_y=Burner::spin_y --phase spin_z=Burner::spin_z \
		--chain 'Burner::spin_y,array_map,Burner::{closure}' --chain 'Burner::spin_z,sqrt' --line 'Burner::{closure}=closure' \
		--line Burner::spin_z=spin_z "$@" || fail "$name: PHP frames wrong (above)"
	check reach "$name.folded" --comm php8.2 --frame _start --frame zend_execute \
		--min-pct "$reach" --min-samples 300 || fail "$name: stacks do not reach _start"
}

note "php8.2 (the VM)"
run_flamed plain --once 9s -F 499 -v -o plain.pb.gz -o plain.folded -- "$PHP" "$SRC" 7
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat plain.out
# the native frames between array_map and its closure, in order
check_hot plain 95 --line Burner::spin_x=spin_x \
	--chain 'Burner::spin_y,array_map,zend_call_function,Burner::{closure}' --min-chain 90

# The tracing JIT keeps a trace's opline in a register: the leaf frame of a JIT'd loop has no
# line of its own (spin_x), frames that called out do. JIT code is found by a re-read of the
# maps the walker asks for (an image's first four at once, then once a second).
note "php8.2 with opcache.jit=tracing"
run_flamed jit --once 9s -F 499 -v -o jit.pb.gz -o jit.folded -- "$PHP" -d opcache.enable_cli=1 \
	-d opcache.jit=tracing -d opcache.jit_buffer_size=64M "$SRC" 7
[ "$RC" = 0 ] || fail "flamed exited $RC"
cat jit.out
"$PHP" -d opcache.enable_cli=1 -d opcache.jit=tracing -d opcache.jit_buffer_size=64M -r \
	'exit(opcache_get_status()["jit"]["on"] ? 0 : 1);' || fail "the JIT did not switch on"
check_hot jit 75

note "an engine flamed does not know: reported once, native frames"
cp "$PHP" ./php8.2
/usr/bin/python3 - <<'PYEOF'
import re
data = bytearray(open("php8.2", "rb").read())
m = re.search(rb"API2\d{7},NTS", data)
assert m, "no module build id in php8.2"
data[m.start():m.start() + 11] = b"API20990101"
open("php8.2", "wb").write(data)
PYEOF
run_flamed old --once 4s -F 199 -o old.folded -- ./php8.2 "$SRC" 2
[ "$RC" = 0 ] || fail "flamed exited $RC"
[ "$(grep -c 'a PHP engine of module API 20990101, which flamed does not know' old.err)" = 1 ] ||
	fail "no single 'module API 20990101, which flamed does not know' warning"
grep -q 'execute_ex' old.folded || fail "unknown engine: no native execute_ex frames"
! grep -q 'Burner::spin_xyz' old.folded || fail "unknown engine: PHP frames from an unknown layout"

note "--no-php: the engine's native frames only"
run_flamed nophp --once 4s -F 199 --no-php -o nophp.folded -- "$PHP" "$SRC" 2
[ "$RC" = 0 ] || fail "flamed exited $RC"
grep -q 'execute_ex' nophp.folded || fail "--no-php: no native execute_ex frames"
! grep -q 'Burner::spin_xyz' nophp.folded || fail "--no-php showed PHP frames"
[ "$(stats nophp run.php.processes)" = 0 ] || fail "--no-php registered a PHP process"
echo PASS
