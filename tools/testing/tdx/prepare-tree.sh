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
# Usage: prepare-tree.sh REPO SRC [TARBALL OVERLAY]
#
# Without TARBALL: the 6.12 base, every kernel-path file of REPO and
# REPO/patches.  With it: OVERLAY (a directory of REPO) says what goes on
# that base: the REPO files listed in OVERLAY/files, the tree
# OVERLAY/tree, and the patches OVERLAY/patches.
#
# The 6.12 base also takes REPO/tools/testing/tdx/base-fixes: fixes that
# later kernels made and the test runs need (a KCSAN report otherwise).
# They are part of "base", not of the series; a tree made before they
# changed is unpacked again.
set -euo pipefail

repo=$1
src=$2
tarball=${3:-/usr/src/linux-source-6.12.tar.xz}
overlay=${4:-}
git_id=(-c user.name=tdx-build -c user.email=tdx-build@localhost)

base_fixes=()
if [ -z "$overlay" ]; then
	for p in "$repo"/tools/testing/tdx/base-fixes/*.patch; do
		if [ -e "$p" ]; then
			base_fixes+=("$p")
		fi
	done
fi
base_sum=
if [ ${#base_fixes[@]} -gt 0 ]; then
	base_sum=$(cat "${base_fixes[@]}" | sha256sum | cut -d' ' -f1)
fi
if [ ! -f "$src/.base-ready" ] ||
   [ "$(cat "$src/.base-ready")" != "$base_sum" ]; then
	echo "tree: unpacking $tarball into $src (once)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	(
		cd "$src.tmp"
		git init -q
		for p in ${base_fixes[@]+"${base_fixes[@]}"}; do
			echo "tree: base fix $(basename "$p")"
			git apply "$p"
		done
		# Debian's .gitignore hides the whole top level; commit it all.
		git add -A -f
		git "${git_id[@]}" commit -q -m "base: Debian $(basename "$tarball" .tar.xz)"
		git tag base
	)
	mv "$src.tmp" "$src"
	echo "$base_sum" > "$src/.base-ready"
fi

# Files whose content differs are copied; the others keep their mtime.
if [ -z "$overlay" ]; then
	for dir in arch drivers include tools Documentation; do
		[ -d "$repo/$dir" ] || continue
		rsync -rc --exclude='*.o' --exclude='.*.cmd' "$repo/$dir/" "$src/$dir/"
	done
	patches=("$repo"/patches/*.patch)
else
	# rsync -R keeps each listed path relative to REPO.
	(cd "$repo" && grep -v '^#' "$overlay/files" | xargs -r -I{} \
		rsync -Rc {} "$src/")
	rsync -rc "$overlay/tree/" "$src/"
	patches=("$overlay"/patches/*.patch)
fi

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
