#!/usr/bin/env bash
# The layering of src/ (docs/DESIGN.md, "Source layout and layers"), checked: a folder includes
# its own headers and those of the folders its line below names, nothing else of src/ (neither
# a layer above it nor the command-line layer in src/ itself); libbpf and the BPF skeletons are
# included only in src/bpf/. Generated headers (protobuf) and bpf/flamed.h, the ABI, are not
# layers. Prints every include that breaks the rule and exits 1; a folder of src/ missing from
# the table fails too, so a new one gets its line. Run by tools/test.sh; unit/test_check_layers
# runs it on a copy of src/ with wrong includes planted (SRC_DIR: a tree other than ours).
# usage: check-layers.sh [SRC_DIR]
set -euo pipefail
src=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../src}" && pwd)

# folder: the folders it may include (the data flows down this list)
declare -A may=(
	[util]=""
	[elf]="util"
	[proc]="elf util"
	[unwind]="elf util"
	[runtime]="proc util"
	[python]="runtime proc elf util"
	[php]="runtime proc elf util"
	[hotspot]="runtime proc elf util"
	[ruby]="runtime proc elf util"
	[v8]="runtime proc elf util"
	[symbolize]="proc elf util"
	[k8s]="proc util"
	[bpf]="util"
	[profile]="util"
	[collect]="symbolize runtime k8s proc elf profile util"
	[output]="profile util"
	[upload]="output util"
)

bad=0
complain()
{
	echo "check-layers: $*" >&2
	bad=1
}

for path in "$src"/*/; do
	dir=$(basename "$path")
	[ -n "${may[$dir]+set}" ] || complain "src/$dir/ has no line in tools/check-layers.sh"
done

# every quoted include of src/, one grep: FILE:LINE:INCLUDE
while IFS=: read -r file line inc; do
	rel=${file#"$src"/}
	dir=${rel%%/*}
	[ "$dir" != "$rel" ] && [ -n "${may[$dir]+set}" ] || continue
	if [[ $inc == */* ]]; then
		layer=${inc%%/*}
		# only folders of src/ are layers (not generated protobuf headers)
		[ -d "$src/$layer" ] && [ "$layer" != "$dir" ] || continue
		[[ " ${may[$dir]} " == *" $layer "* ]] ||
			complain "src/$rel:$line: includes \"$inc\", but $dir/ may include" \
				"${may[$dir]:-no other folder}"
	elif [ ! -e "$src/$dir/$inc" ] && [ -e "$src/$inc" ]; then
		complain "src/$rel:$line: includes \"$inc\", the command-line layer above every folder"
	fi
done < <(grep -rn '^#include "' "$src" --include='*.[ch]' |
	sed -E 's/^([^:]+):([0-9]+):#include "([^"]+)".*/\1:\2:\3/')

# libbpf and the skeletons it generates: src/bpf/ only
while IFS=: read -r file line inc; do
	complain "src/${file#"$src"/}:$line: includes ${inc#\#include }, libbpf outside src/bpf/"
done < <(grep -rnE '^#include (<bpf/|"[a-z_]+\.skel\.h")' "$src" --include='*.[ch]' |
	grep -v "^$src/bpf/" || true)

if [ "$bad" = 0 ]; then
	echo "check-layers: src/ holds its layers"
fi
exit "$bad"
