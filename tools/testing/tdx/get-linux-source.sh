#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch one exact version of a Debian linux-source package and leave its
# tarball at OUT.  The package may come from a suite this machine's apt
# does not list (linux-source-7.3 is in trixie-backports, the machine runs
# bookworm): the suite is reached through a private sources list under
# WORK, made from the machine's own apt configuration (the same mirror
# and keyring as its Debian archive entry).  The system's apt
# configuration is never changed.
#
# Usage: get-linux-source.sh PACKAGE VERSION SUITE WORK OUT
set -euo pipefail

pkg=$1 version=$2 suite=$3 work=$4 out=$5

[ -s "$out" ] && exit 0

# The machine's Debian archive entry: URI and keyring, deb822 or
# one-line format, the first that carries the machine's own suite.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
entry=$(python3 - "$codename" <<'EOF'
import glob, sys

codename = sys.argv[1]
files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*"))
for path in files:
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".sources"):
        for stanza in text.split("\n\n"):
            f = {}
            for line in stanza.splitlines():
                if ":" in line and not line.startswith(("#", " ")):
                    k, v = line.split(":", 1)
                    f[k.strip().lower()] = v.strip()
            if (f.get("enabled", "yes") != "no" and "deb" in f.get("types", "").split()
                    and codename in f.get("suites", "").split()):
                print(f.get("uris", "").split()[0], f.get("signed-by", ""))
                sys.exit(0)
    elif path.endswith(".list"):
        for line in text.splitlines():
            w = line.split()
            if len(w) < 3 or w[0] != "deb":
                continue
            opts = ""
            if w[1].startswith("["):
                end = next(i for i, x in enumerate(w) if x.endswith("]"))
                opts, w = " ".join(w[1:end + 1]), [w[0]] + w[end + 1:]
            if w[2] == codename:
                key = ""
                for o in opts.strip("[]").split():
                    if o.startswith("signed-by="):
                        key = o.split("=", 1)[1]
                print(w[1], key)
                sys.exit(0)
sys.exit(1)
EOF
) || { echo "base: no apt entry for '$codename' on this machine" >&2; exit 1; }
read -r uri keyring <<< "$entry"
[ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg

mkdir -p "$work/lists/partial" "$work/cache/archives/partial" \
	 "$work/sources" "$work/preferences"
printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
	"$uri" "$suite" "$keyring" > "$work/sources/base.sources"
apt_opts=(-o "Dir::Etc::SourceList=/dev/null"
	  -o "Dir::Etc::SourceParts=$work/sources"
	  -o "Dir::Etc::PreferencesParts=$work/preferences"
	  -o "Dir::State::Lists=$work/lists"
	  -o "Dir::Cache=$work/cache"
	  -o "APT::Sandbox::User=root")

echo "base: looking up $pkg $version in $suite"
apt-get "${apt_opts[@]}" -qq update
found=$(apt-cache "${apt_opts[@]}" madison "$pkg" | awk -F' *\\| *' '{print $2}')
if ! grep -qxF "$version" <<< "$found"; then
	echo "base: $pkg $version is not in $suite; found: ${found:-nothing}" >&2
	echo "base: to build on another version, change its pin in the Makefile" \
	     "(BASE_VERSION) and check the series against it" >&2
	exit 1
fi
(cd "$work" && apt-get "${apt_opts[@]}" -qq download "$pkg=$version")
deb=$(ls "$work"/"${pkg}_"*.deb)
tarball=./usr/src/$pkg.tar.xz
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" > "$out.tmp"
mv "$out.tmp" "$out"
rm -f "$deb"
echo "base: $pkg $version -> $out"
