#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the seed corpus of the image fuzzer: well-formed tdx_blob images
# and one of each malformation tdx-sim-mkimage knows, all small (one or
# two module pages).  tdx-sim-mkimage is built with gcc into a scratch
# directory; its output is the same on every run.
#
# usage: make-corpus.sh [REPO [CORPUS_DIR]]
#   REPO        the source tree (default: the one holding this script)
#   CORPUS_DIR  where to write the images (default: the corpus/ directory
#               next to this script); image files already there are
#               replaced, nothing else is touched

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "${1:-$here/../../../..}" && pwd)
corpus=${2:-$here/corpus}
tdx=$repo/tools/testing/tdx

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

selftests=$repo/tools/testing/selftests/tdx_host
gcc -O2 -Wall -Wextra -Werror \
	-I"$repo/arch/x86/virt/vmx/tdx" -I"$tdx" -I"$selftests" \
	'-D__packed=__attribute__((__packed__))' \
	-o "$scratch/tdx-sim-mkimage" "$tdx/tdx-sim-mkimage.c" \
	"$selftests/sha384.c"

mkdir -p "$corpus"
rm -f "$corpus"/*.img

# name: tdx-sim-mkimage options
seeds=(
	"valid-1-module-page:--pages 1"
	"valid-2-module-pages:--pages 2 --version 1.5.9"
	"bad-digest:--pages 1 --malform=bad-digest"
	"digest-mismatch:--pages 2 --malform=digest-mismatch"
	"too-short:--pages 1 --malform=too-short"
	"bad-version:--pages 1 --malform=bad-version"
	"bad-signature:--pages 1 --malform=bad-signature"
	"reserved-nonzero:--pages 1 --malform=reserved"
	"no-sigstruct:--pages 1 --malform=no-sigstruct"
	"two-sigstruct:--pages 1 --malform=two-sigstruct"
	"no-module:--pages 1 --malform=no-module"
	"too-many-module:--pages 1 --malform=too-many-module"
	"size-mismatch:--pages 1 --malform=size-mismatch"
)

for seed in "${seeds[@]}"; do
	name=${seed%%:*}
	read -r -a args <<< "${seed#*:}"
	"$scratch/tdx-sim-mkimage" "${args[@]}" "$corpus/$name.img"
done

# The header page alone: right header, no room for the pages it names.
head -c 4096 "$corpus/valid-1-module-page.img" > "$corpus/header-only.img"

echo "make-corpus: $(find "$corpus" -name '*.img' | wc -l) images," \
	"$(du -sk "$corpus" | cut -f1) KiB in $corpus"
