#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test initramfs: busybox (static, from Debian's
# busybox-static), the /init above, and the given static programs in /bin.
#
# Usage: mkinitramfs.sh OUT.cpio.gz PROGRAM...
set -euo pipefail

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
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
