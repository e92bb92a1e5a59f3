#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test initramfs: busybox (static, from Debian's
# busybox-static), the /init above, and the given static programs in /bin.
# -d SRC:DEST copies the directory SRC to DEST in the initramfs.
#
# Usage: mkinitramfs.sh [-d SRC:DEST]... OUT.cpio.gz PROGRAM...
set -euo pipefail

data=()
while [ "${1:-}" = -d ]; do
	data+=("$2")
	shift 2
done
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$root/bin/busybox"
cp "$here/init" "$root/init"
mkdir -p "$root/etc"
cp "$here/motd" "$root/etc/motd"
chmod 755 "$root/init"
for prog in "$@"; do
	cp "$prog" "$root/bin/"
done
for d in ${data[@]+"${data[@]}"}; do
	mkdir -p "$root/${d#*:}"
	cp -r "${d%%:*}/." "$root/${d#*:}/"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
