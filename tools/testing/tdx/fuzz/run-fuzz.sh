#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the update image fuzzer (image_fuzz.c with update_image.c, the
# file the kernel builds, and the selftests' sha384.c, its SHA-384 in
# userspace) with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and run it from the committed seed corpus.
#
# usage: run-fuzz.sh REPO OUTDIR [RUNS]
#   REPO    the source tree
#   OUTDIR  build and scratch directory: the fuzzer, a copy of the seed
#           corpus that the run grows (the committed corpus is never
#           written), the log, and the inputs of any failure
#   RUNS    executions to make (default 1000000)
#
# Environment: FUZZ_SEED (libFuzzer -seed, default random), FUZZ_MAX_TIME
# (seconds before giving up, default RUNS / 1000 + 60), FUZZ_IMAGE_C (the
# image checks to fuzz, default REPO/arch/x86/virt/vmx/tdx/update_image.c).
#
# Needs clang and the libFuzzer runtime; on Debian 12 the packages
# clang and libclang-rt-14-dev.  Closes with "fuzz: N executions,
# N crashes"; exits non-zero on any crash, leak or timeout, or when fewer
# than RUNS executions were made.

set -euo pipefail

usage() {
	echo "usage: run-fuzz.sh REPO OUTDIR [RUNS]" >&2
	exit 2
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	usage
fi
repo=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
runs=${3:-1000000}
[[ $runs =~ ^[1-9][0-9]*$ ]] || usage
seed=${FUZZ_SEED:-0}
max_time=${FUZZ_MAX_TIME:-$((runs / 1000 + 60))}

tdx=$repo/arch/x86/virt/vmx/tdx
fuzz=$repo/tools/testing/tdx/fuzz
image_c=${FUZZ_IMAGE_C:-$tdx/update_image.c}
# Six pages: the header, one sigstruct page and up to four module pages.
max_len=24576

if ! command -v clang > /dev/null; then
	echo "fuzz: clang not found (Debian: clang libclang-rt-14-dev)" >&2
	exit 1
fi

echo "fuzz: building $out/image_fuzz from $image_c"
selftests=$repo/tools/testing/selftests/tdx_host
clang -g -O1 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$tdx" -I"$repo/tools/testing/tdx" -I"$selftests" \
	'-D__packed=__attribute__((__packed__))' \
	-o "$out/image_fuzz" "$fuzz/image_fuzz.c" "$image_c" \
	"$selftests/sha384.c"

rm -rf "$out/corpus"
mkdir -p "$out/corpus"
cp "$fuzz"/corpus/*.img "$out/corpus/"
rm -f "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* \
	"$out"/slow-unit-*

log=$out/fuzz.log
echo "fuzz: $runs executions from $(find "$out/corpus" -type f | wc -l)" \
	"seeds (log: $log)"
start=$SECONDS
rc=0
UBSAN_OPTIONS=print_stacktrace=1 \
"$out/image_fuzz" -runs="$runs" -max_len="$max_len" -timeout=10 \
	-rss_limit_mb=2048 -max_total_time="$max_time" -seed="$seed" \
	-use_value_profile=1 -print_final_stats=1 -artifact_prefix="$out/" \
	"$out/corpus" > "$log" 2>&1 || rc=$?

# "Done N runs in S second(s)", else the final stats (printed on a crash
# too), else the last "#N ... DONE" status line.
execs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
if [ -z "$execs" ]; then
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)$/\1/p' \
		"$log" | tail -n 1)
fi
if [ -z "$execs" ]; then
	execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE .*/\1/p' "$log" |
		tail -n 1)
fi
execs=${execs:-0}

artifacts=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o \
	-name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
crashes=0
[ -z "$artifacts" ] || crashes=$(wc -l <<< "$artifacts")
if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
	crashes=1
fi

grep -E '^(Done |stat::|INFO: Seed:)' "$log" || true
echo "fuzz: $((SECONDS - start)) s, corpus now" \
	"$(find "$out/corpus" -type f | wc -l) inputs"
if [ "$crashes" -ne 0 ]; then
	echo "fuzz: the fuzzer failed (exit $rc); from $log:"
	# The report from its first line on, or else the end of the log.
	first='==ERROR|runtime error:|does not hold|^verdict|ERROR: libFuzzer'
	if grep -qE "$first" "$log"; then
		grep -E -A 30 -m 1 "$first" "$log"
	else
		tail -n 30 "$log"
	fi
	for a in $artifacts; do
		echo "fuzz: failing input: $a (rerun: $out/image_fuzz $a)"
	done
elif [ "$execs" -lt "$runs" ]; then
	echo "fuzz: only $execs of $runs executions in ${max_time} s"
fi

echo "fuzz: $execs executions, $crashes crashes"
[ "$crashes" -eq 0 ] && [ "$execs" -ge "$runs" ]
