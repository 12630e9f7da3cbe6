#!/bin/sh
# make_minidebuginfo.sh OBJCOPY NM XZ IN OUT: OUT is IN stripped of every symbol and all debug
# info, carrying Fedora's MiniDebugInfo instead: a .gnu_debugdata section holding an
# xz-compressed ELF whose .symtab keeps IN's function symbols that .dynsym lacks (the static
# ones), as Fedora's find-debuginfo does it.
set -eu
objcopy=$1 nm=$2 xz=$3 in=$4 out=$5
tmp=$out.tmp
"$nm" -D --format=posix --defined-only "$in" | awk '{ print $1 }' | sort >"$tmp.dyn"
"$nm" --format=posix --defined-only "$in" | awk '$2 == "T" || $2 == "t" { print $1 }' |
	sort >"$tmp.funcs"
comm -13 "$tmp.dyn" "$tmp.funcs" >"$tmp.keep"
"$objcopy" -S --remove-section .gdb_index --remove-section .comment \
	--keep-symbols="$tmp.keep" "$in" "$tmp.mini"
rm -f "$tmp.mini.xz"
"$xz" -q "$tmp.mini"
"$objcopy" --strip-all --remove-section .comment "$in" "$tmp.stripped"
"$objcopy" --add-section .gnu_debugdata="$tmp.mini.xz" "$tmp.stripped" "$out"
rm -f "$tmp.dyn" "$tmp.funcs" "$tmp.keep" "$tmp.mini.xz" "$tmp.stripped"
