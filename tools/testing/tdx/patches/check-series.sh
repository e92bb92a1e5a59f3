#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Apply a patch series to the pristine tree one patch at a time, and
# build the test kernel after every patch: the series must bisect.
#
# Usage: check-series.sh [--no-build] [--no-user] [--jobs N]
#                        [--kunitconfig FILE] [--run-kunit QEMU_ARGS
#                        [--kernel-args ARGS]] SRC SERIESDIR OUTDIR
#
#   SRC        the prepared tree (build/src): a git repository whose tag
#              "base" is the pristine tree.  Only read.
#   SERIESDIR  the series as mkseries.sh writes it: NNNN-*.patch, and
#              0000-cover-letter.patch, which is not applied
#   OUTDIR     scratch: work/ is the clone the patches are applied to,
#              obj/ the kernel build directory.  Both are kept between
#              patches and between runs, so every build is incremental.
#
# After each patch the kernel is built with kunit.py and the test
# configuration (default: tools/testing/tdx/configs/kunit.config as the
# series leaves it), less the options that no Kconfig file of the tree
# defines yet: a patch cannot set an option that a later patch adds, but
# every option that exists must end up set as asked.  The userspace
# programs whose sources the patch touches are built as well (with gcc;
# the fuzz target is only compiled).
#
#   --no-build         apply the patches, build no kernel
#   --no-user          build no userspace program
#   --jobs N           make -j (default: the number of CPUs)
#   --kunitconfig F    the configuration to build with
#   --run-kunit A      after the last patch, boot the kernel it built and
#                      run its KUnit suites (kunit.py exec, QEMU
#                      arguments A); judged by check-log.py, so that a
#                      kernel report fails the run as in make check
#   --kernel-args K    the kernel command line's additions for that run
#
# Prints "patch K/N SUBJECT: applies, builds" for every patch and
# "N/N patches apply and build" at the end; exits non-zero at the first
# patch that does not apply or does not build, or if the KUnit run
# fails.
set -euo pipefail

AUTHOR="TDX update maintainers <tdx-update@localhost>"

build=1
user=1
jobs=$(nproc)
kunitconfig=
run_kunit=
kernel_args=

usage() {
	sed -n '3,/^set -euo/{/^#/p}' "${BASH_SOURCE[0]}" |
		sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--no-build) build=0; shift ;;
	--no-user) user=0; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--kunitconfig) kunitconfig=$(realpath "$2"); shift 2 ;;
	--run-kunit) run_kunit=$2; shift 2 ;;
	--kernel-args) kernel_args=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 3 ] || usage

die() {
	echo "check-series: $*" >&2
	exit 1
}

src=$(cd "$1" && pwd)
series=$(cd "$2" && pwd)
mkdir -p "$3"
out=$(cd "$3" && pwd)
work=$out/work
obj=$out/obj
udir=$out/user
case $out/ in
"$src"/*) die "OUTDIR must not be inside SRC" ;;
esac
git -C "$src" rev-parse -q --verify 'base^{commit}' >/dev/null ||
	die "$src has no tag base"

mapfile -t patches < <(find "$series" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-*' | LC_ALL=C sort)
total=${#patches[@]}
[ "$total" -gt 0 ] || die "no patches in $series"

# The configuration: the series' own, as its last patch leaves it.
config_path=tools/testing/tdx/configs/kunit.config
if [ -z "$kunitconfig" ]; then
	rm -rf "$out/config"
	git init -q "$out/config"	# git apply works at the top of a repository
	for p in "${patches[@]}"; do
		(cd "$out/config" && git apply --include="$config_path" "$p")
	done
	kunitconfig=$out/config/$config_path
fi
[ -f "$kunitconfig" ] || die "no configuration $kunitconfig"

export GIT_COMMITTER_NAME="TDX update maintainers"
export GIT_COMMITTER_EMAIL="tdx-update@localhost"

# The work tree: a clone of SRC at base.  An existing one is reset, which
# rewrites only the files that differ, so that the build stays
# incremental across runs.
if git -C "$work" rev-parse -q --verify 'base^{commit}' >/dev/null 2>&1; then
	git -C "$work" am --abort >/dev/null 2>&1 || true
	git -c advice.detachedHead=false -C "$work" checkout -q -f base
	git -C "$work" clean -q -f -d -x
else
	rm -rf "$work"
	git clone -q --shared --no-checkout "$src" "$work"
	git -c advice.detachedHead=false -C "$work" checkout -q base
fi

# The series must say it applies to this base.
cover=$series/0000-cover-letter.patch
if [ -f "$cover" ]; then
	want=$(sed -n 's/^base-commit: //p' "$cover")
	have=$(git -C "$work" rev-parse 'base^{commit}')
	[ -z "$want" ] || [ "$want" = "$have" ] ||
		die "the series is based on $want, $src's base is $have"
fi

# The configuration for the tree as it is: kunitconfig's settings of
# the symbols some Kconfig file defines.  Reports what it left out.
step_config() {
	local k=$1
	git -C "$work" grep -h -E '^[[:space:]]*(menu)?config [A-Za-z0-9_]+' \
		-- ':(glob)**/Kconfig*' | awk '{ print $2 }' > "$out/defined"
	rm -f "$out/missing.$k"
	awk -v missing="$out/missing.$k" '
		NR == FNR { ok[$1] = 1; next }
		/^CONFIG_[A-Za-z0-9_]+=/ { sym = substr($0, 8); sub(/=.*/, "", sym) }
		/^# CONFIG_[A-Za-z0-9_]+ is not set/ { sym = substr($2, 8) }
		/^CONFIG_|^# CONFIG_[A-Za-z0-9_]+ is not set/ {
			if (sym in ok) print; else print sym > missing
		}' "$out/defined" "$kunitconfig" > "$out/kunitconfig"
}

# The userspace programs: NAME, the inputs that make it rebuild, and how.
CFLAGS=(-O2 -g -Wall -Wextra -Werror)
CPPFLAGS=(-Iarch/x86/virt/vmx/tdx -Itools/testing/tdx
	  -Itools/testing/tdx/uapi -Itools/testing/selftests/tdx_host
	  '-D__packed=__attribute__((__packed__))')

build_user() {
	local name=$1 c=tools/testing/tdx
	case $name in
	tdx-module-update)
		gcc "${CFLAGS[@]}" "${CPPFLAGS[@]}" -o "$udir/$name" \
			tools/tdx/tdx-module-update.c tools/tdx/tdx-release.c \
			tools/tdx/tdx-json.c arch/x86/virt/vmx/tdx/update_image.c \
			tools/testing/selftests/tdx_host/sha384.c ;;
	tdx-sim-mkimage)
		gcc "${CFLAGS[@]}" "${CPPFLAGS[@]}" -o "$udir/$name" "$c/$name.c" \
			tools/testing/selftests/tdx_host/sha384.c ;;
	image-check-test)
		gcc "${CFLAGS[@]}" "${CPPFLAGS[@]}" -o "$udir/$name" "$c/$name.c" \
			arch/x86/virt/vmx/tdx/update_image.c \
			tools/testing/selftests/tdx_host/sha384.c ;;
	image_fuzz)
		gcc "${CFLAGS[@]}" "${CPPFLAGS[@]}" -c -o "$udir/$name.o" \
			"$c/fuzz/$name.c" ;;
	tdx_update_test)
		make -s -C tools/testing/selftests/tdx_host OUTPUT="$udir" ;;
	tdx-demo)
		gcc "${CFLAGS[@]}" -pthread "${CPPFLAGS[@]}" -o "$udir/$name" \
			"$c/$name.c" tools/testing/selftests/tdx_host/sha384.c ;;
	*)
		gcc "${CFLAGS[@]}" -pthread "${CPPFLAGS[@]}" -o "$udir/$name" \
			"$c/$name.c" "$c/tdx_vmlib.c" \
			tools/testing/selftests/tdx_host/sha384.c -lm ;;
	esac
}

# NAME MAIN-SOURCE INPUT-PATTERN: built when MAIN-SOURCE exists and the
# patch touches a path matching INPUT-PATTERN (an extended regex).
USER_PROGRAMS=(
	"tdx-module-update tools/tdx/tdx-module-update.c ^tools/tdx/|update_image|tdx_blob|sha384"
	"tdx-sim-mkimage tools/testing/tdx/tdx-sim-mkimage.c tdx-sim-mkimage|sha384|tdx_sim_image.h|tdx_blob.h"
	"image-check-test tools/testing/tdx/image-check-test.c image-check-test|sha384|update_image.c|tdx_blob.h"
	"image_fuzz tools/testing/tdx/fuzz/image_fuzz.c image_fuzz|sha384|tdx_blob.h"
	"tdx_update_test tools/testing/selftests/tdx_host/tdx_update_test.c ^tools/testing/selftests/tdx_host/|tdx_sim_image.h|tdx_td_test.h|tdx_blob.h"
	"tdx-demo tools/testing/tdx/tdx-demo.c tdx-demo|sha384|tdx_sim_image.h|tdx_td_test.h|tdx_blob.h"
	"tdx-stress tools/testing/tdx/tdx-stress.c tdx-stress|tdx_vmlib|sha384|tdx_sim_image.h|tdx_td_test.h|tdx_blob.h"
	"tdx-faults tools/testing/tdx/tdx-faults.c tdx-faults|tdx_vmlib|sha384|tdx_sim_image.h|tdx_td_test.h|tdx_blob.h"
	"tdx-bench tools/testing/tdx/tdx-bench.c tdx-bench|tdx_vmlib|sha384|tdx_sim_image.h|tdx_td_test.h|tdx_blob.h"
)

mkdir -p "$udir"
k=0
for p in "${patches[@]}"; do
	k=$((k + 1))
	if ! git -C "$work" am -q "$p" > "$out/am.log" 2>&1; then
		cat "$out/am.log" >&2
		git -C "$work" am --abort >/dev/null 2>&1 || true
		die "patch $k/$total $(basename "$p"): does not apply"
	fi
	subject=$(git -C "$work" log -1 --format=%s)
	author=$(git -C "$work" log -1 --format='%an <%ae>')
	[ "$author" = "$AUTHOR" ] ||
		die "patch $k/$total $subject: author is $author, not $AUTHOR"
	git -C "$work" log -1 --format=%b |
		grep -qxF "Signed-off-by: $AUTHOR" ||
		die "patch $k/$total $subject: not signed off by $AUTHOR"
	status="applies"

	step_config "$k"
	if [ $build -eq 1 ]; then
		log=$out/build-$k.log
		if ! (cd "$work" && python3 tools/testing/kunit/kunit.py build \
			--arch=x86_64 --build_dir="$obj" \
			--kunitconfig="$out/kunitconfig" --jobs="$jobs") \
			> "$log" 2>&1; then
			tail -n 40 "$log" >&2
			die "patch $k/$total $subject: applies, does not build (see $log)"
		fi
		status+=", builds"
	else
		status+=" (kernel build skipped)"
	fi
	if [ -s "$out/missing.$k" ]; then
		status+="; options not in the tree yet: $(tr '\n' ' ' < "$out/missing.$k" | sed 's/ $//')"
	fi

	if [ $user -eq 1 ]; then
		changed=$(git -C "$work" diff --name-only HEAD~1 HEAD)
		built=()
		for entry in "${USER_PROGRAMS[@]}"; do
			read -r name main inputs <<<"$entry"
			[ -f "$work/$main" ] || continue
			grep -qE "$inputs" <<<"$changed" || continue
			if ! (cd "$work" && build_user "$name") > "$out/user.log" 2>&1; then
				cat "$out/user.log" >&2
				die "patch $k/$total $subject: $name does not build"
			fi
			built+=("$name")
		done
		[ ${#built[@]} -eq 0 ] || status+="; userspace builds: ${built[*]}"
	fi
	echo "patch $k/$total $subject: $status"
done

if [ $build -eq 1 ]; then
	echo "$total/$total patches apply and build"
else
	echo "$total/$total patches apply (kernel builds skipped: --no-build)"
fi

# The KUnit suites on the kernel the last patch built.
if [ -n "$run_kunit" ] && [ $build -eq 1 ]; then
	log=$out/kunit-exec.log
	rm -f "$obj/test.log" "$out/kunit.json"
	kunit_rc=0
	(cd "$work" && python3 tools/testing/kunit/kunit.py exec \
		--arch=x86_64 --build_dir="$obj" --kunitconfig="$out/kunitconfig" \
		--timeout=1800 --qemu_args="$run_kunit" \
		${kernel_args:+--kernel_args="$kernel_args"} \
		--json="$out/kunit.json") > "$log" 2>&1 || kunit_rc=$?
	[ -s "$obj/test.log" ] || { tail -n 40 "$log" >&2; die "KUnit did not run (see $log)"; }
	python3 "$work/tools/testing/tdx/check-log.py" "$obj/test.log" \
		"$out/kunit.json" > "$out/kunit-judge.out" || kunit_rc=1
	tail -n 1 "$out/kunit-judge.out" | sed 's/^/KUnit after the last patch: /'
	grep '^KERNEL REPORT' "$out/kunit-judge.out" || true
	[ $kunit_rc -eq 0 ] || die "KUnit after the last patch failed (see $out/kunit-judge.out)"
fi
