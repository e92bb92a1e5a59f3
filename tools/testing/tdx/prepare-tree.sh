#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel tree the project builds: a Debian linux-source
# tarball unpacked and committed as "base", this repository's
# kernel-path files laid over it, and the patches applied.  Run again
# after any edit: only files whose content changed are rewritten (so make
# rebuilds only what they touch), and the patches are re-applied only
# when they change.
#
# Usage: prepare-tree.sh REPO SRC TARBALL
#
# REPO's arch, drivers, include, tools and Documentation go over the
# base as they are; REPO/patches/*.patch are applied in order.  A tree
# unpacked from another tarball is unpacked again.
set -euo pipefail

repo=$1
src=$2
tarball=$3
git_id=(-c user.name=tdx-build -c user.email=tdx-build@localhost)

base_id=$(basename "$tarball")
if [ ! -f "$src/.base-ready" ] ||
   [ "$(cat "$src/.base-ready")" != "$base_id" ]; then
	echo "tree: unpacking $tarball into $src (once)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	(
		cd "$src.tmp"
		git init -q
		# Debian's .gitignore hides the whole top level; commit it all.
		git add -A -f
		git "${git_id[@]}" commit -q -m "base: Debian $(basename "$tarball" .tar.xz)"
		git tag base
	)
	mv "$src.tmp" "$src"
	echo "$base_id" > "$src/.base-ready"
fi

# Files whose content differs are copied; the others keep their mtime.
for dir in arch drivers include tools Documentation; do
	[ -d "$repo/$dir" ] || continue
	rsync -rc --exclude='*.o' --exclude='.*.cmd' "$repo/$dir/" "$src/$dir/"
done
patches=("$repo"/patches/*.patch)

# Re-apply the patches on top of base when the set of patches changed.
sum=$(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$src/.patches-sum" 2>/dev/null)" != "$sum" ]; then
	# Put back what the previous patch set changed, and what this one
	# is about to change (a file it touches for the first time may have
	# been edited by hand).  A fresh tree has no list yet; errexit
	# would end the group at a failed cat.
	{ cat "$src/.patched-files" 2>/dev/null || true
	  grep -h '^+++ b/' "${patches[@]}" | cut -c7-; } | sort -u |
		xargs -r git -C "$src" checkout -q base --
	for p in "${patches[@]}"; do
		echo "tree: applying $(basename "$p")"
		git -C "$src" apply "$p"
	done
	grep -h '^+++ b/' "${patches[@]}" | cut -c7- | sort -u \
		> "$src/.patched-files"
	echo "$sum" > "$src/.patches-sum"
fi
