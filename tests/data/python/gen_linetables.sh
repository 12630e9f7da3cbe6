#!/bin/sh
# Regenerate linetables.txt from every CPython 3.8+ on this machine (see gen_linetables.py).
set -eu
cd "$(dirname "$0")"
{
	/usr/bin/python3.11 gen_linetables.py
	for p in /root/.pyenv/versions/3.*/bin/python3.[0-9]*; do
		case $p in *-config | *m) continue ;; esac
		"$p" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null || continue
		"$p" gen_linetables.py
	done
} >linetables.txt
