#!/bin/sh
# Regenerate the committed fallback bpf/vmlinux/<arch>/vmlinux.h from a BTF file.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
case $(uname -m) in x86_64) arch=x86 ;; aarch64) arch=arm64 ;; *) echo "unsupported arch" >&2; exit 1 ;; esac
out=$(dirname "$0")/../bpf/vmlinux/$arch/vmlinux.h
{
	echo "/* Committed fallback for hosts without /sys/kernel/btf/vmlinux. Generated on Linux $(uname -r) $(uname -m) with:"
	echo " *   bpftool btf dump file $btf format c   (see tools/gen-vmlinux.sh) */"
	bpftool btf dump file "$btf" format c
} >"$out"
echo "wrote $out"
