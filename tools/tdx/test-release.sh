#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-release.sh - test tdx-module-update with Intel-style release
# directories: --list, --plan, --convert, and uploads from a directory
#
# Usage: test-release.sh PATH-TO-tdx-module-update PATH-TO-test-image-check
#                        [PATH-TO-mk-release-dir.py]
#
# Environment: TDX_SIM_MKIMAGE, the path of tdx-sim-mkimage; where given,
# the simulated modules of mk-release-dir.py --sim are compared with its
# output byte for byte.
#
# Builds nothing.  The release directories are written by mk-release-dir.py
# (beside this script unless given), with synthetic modules; the converted
# images are judged by test-image-check, which is built from the kernel's
# own update_image.c, and their layout is compared with the input files
# byte for byte (in Python, independently of the tool).
#
# Uploads from a directory run against a faked sysfs tree with a small fake
# kernel, in the way test-cli.sh does it: loading and data are FIFOs, the
# fake holds loading open and saves what is written to data in data.bin.
# Trees for cases that must not upload have plain files there instead and
# no fake: an upload the tool should not have started then completes at
# once, the case fails on its exit code and on the data written, and
# nothing waits for a timeout.
#
# Most cases give the machine with --running, --seamldr and --cpuid, and
# point TDX_SYSFS_ROOT at a tree without tdx_host, so nothing is read from
# the real system.  Each rule of the choice has a case of its own that
# fails if the rule is dropped (a release that breaks only that rule and
# would otherwise be chosen, and a directory where it is the only reason
# for nothing), and each conversion error a case of its own with its exit
# code.
#
# Output is TAP; the exit status is non-zero if any case failed.

set -u

if [[ $# -lt 2 || $# -gt 3 || ! -x $1 || ! -x $2 ]]; then
	echo "usage: $0 PATH-TO-tdx-module-update PATH-TO-test-image-check" \
		"[PATH-TO-mk-release-dir.py]" >&2
	exit 2
fi
TOOL=$(realpath "$1")
CHECK=$(realpath "$2")
GEN=$(realpath "${3:-$(dirname "$0")/mk-release-dir.py}")
SIM_MKIMAGE=${TDX_SIM_MKIMAGE:-}
# The interpreter itself, not a wrapper that finds it on every start
PY=$(python3 -c 'import sys; print(sys.executable)') || exit 2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tdx-release-test.XXXXXX") || exit 2
HOST_DIR=/sys/devices/faux/tdx_host
FAKE_PID=
HOLDER=
# The CPU of the synthetic directories, unless a case uses this machine's
CPU=0x806f8
# The machine most cases describe
M=(--running 1.5.06 --seamldr 1.5.02 --cpuid "$CPU")
# Only a guard against a hung tool: no case waits for it to pass.  The
# tool treats SIGTERM as a cancel request, hence -k.
TOOL_TIMEOUT=20

cleanup()
{
	stop_fake
	release_lock
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# Release directories, the fake sysfs tree, the fake kernel

# gen NAME [GENERATOR-ARGS...]: a release directory $TMP/NAME, in $D;
# options and release specs in any order
gen()
{
	D=$TMP/$1
	shift
	rm -rf "$D"
	"$PY" "$GEN" --cpu "$CPU" "$D" "$@" > "$TMP/gen.err" 2>&1 ||
		fail "mk-release-dir.py $* failed: $(cat "$TMP/gen.err")"
}

# gen_many "NAME [GENERATOR-ARGS...]"...: as gen for each argument, in one
# Python process (the generator's run time is mostly Python's start-up);
# each argument is split at spaces
gen_many()
{
	"$PY" - "$GEN" "$TMP" "$CPU" "$@" > "$TMP/gen.err" 2>&1 << 'EOF' ||
import os, runpy, shutil, sys
gen, tmp, cpu = sys.argv[1:4]
rc = 0
for line in sys.argv[4:]:
    name, *args = line.split()
    d = os.path.join(tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    sys.argv = [gen, "--cpu", cpu, d] + args
    try:
        runpy.run_path(gen, run_name="__main__")
    except SystemExit as e:
        if e.code:
            print("%s: exit %s" % (line, e.code))
            rc = 1
sys.exit(rc)
EOF
		fail "mk-release-dir.py failed: $(cat "$TMP/gen.err")"
}

# std: the standard directory, written once, in $D; cases do not change it
std()
{
	[[ -d $TMP/std ]] || gen std
	D=$TMP/std
}

# Every file format error, as --list reports it (a good 1.5.08 beside).
# The --convert cases use the same files, by version.
# shellcheck disable=SC2054 # the commas are inside release specs
FORMAT_SPECS=(
	1.5.20:corrupt=checksum		1.5.20:0x100-blob=checksum/bad-checksum
	1.5.21:corrupt=digest		1.5.21:0x100-blob=format/image-check
	1.5.22:corrupt=truncate		1.5.22:0x100-blob=format/truncated
	1.5.23:corrupt=short		1.5.23:blob=format/truncated
	1.5.24:corrupt=signature	1.5.24:blob=format/bad-signature
	1.5.25:corrupt=version		1.5.25:blob=format/unknown-version
	1.5.26:corrupt=length		1.5.26:0x100-blob=format/length-mismatch
	1.5.27:corrupt=offset		1.5.27:0x100-blob=format/bad-module-layout
	1.5.28:corrupt=offset-low	1.5.28:0x100-blob=format/bad-module-layout
	1.5.29:corrupt=no-module	1.5.29:0x100-blob=format/bad-module-layout
	1.5.30:corrupt=unaligned	1.5.30:0x100-blob=format/bad-module-layout
	1.5.31:corrupt=too-large	1.5.31:0x100-blob=format/module-too-large
	1.5.32:corrupt=reserved0	1.5.32:0x100-blob=format/reserved-not-zero
	1.5.33:corrupt=reserved1	1.5.33:0x100-blob=format/reserved-not-zero
	1.5.34:corrupt=reserved-sig	1.5.34:0x100-blob=format/reserved-not-zero
	1.5.35:corrupt=reserved-n	1.5.35:0x100-blob=format/reserved-not-zero
	1.5.36:corrupt=cpucount		1.5.36:0x100-blob=format/bad-sigstruct
	1.5.37:files=separate,corrupt=sig-short	1.5.37:separate=format/bad-sigstruct
	1.5.38:files=separate,corrupt=sig-long	1.5.38:separate=format/bad-sigstruct
	1.5.39:files=separate,corrupt=bin-unaligned 1.5.39:separate=format/bad-module-layout
	1.5.40:files=separate,corrupt=bin-empty	1.5.40:separate=format/bad-module-layout
	1.5.41:files=separate,corrupt=sep-digest 1.5.41:separate=format/image-check
	1.5.42:files=image,corrupt=img-digest	1.5.42:0x200-image=format/image-check
	1.5.43:files=image,corrupt=img-truncate	1.5.43:0x200-image=format/truncated
	1.5.44:files=image,corrupt=img-length	1.5.44:0x200-image=format/length-mismatch
	1.5.45:files=image,corrupt=img-reserved	1.5.45:0x200-image=format/reserved-not-zero
	1.5.46:files=image,corrupt=img-signature 1.5.46:blob=format/bad-signature
	1.5.47:files=image,corrupt=img-too-large 1.5.47:0x200-image=format/module-too-large
	1.5.48:files=image,corrupt=img-version	1.5.48:blob=format/unknown-version
	1.5.49:reserve=2		1.5.49:0x100-blob=loadable
	1.5.50:files=image		1.5.50:0x200-image=loadable
)

# formats: the directory of FORMAT_SPECS, written once, in $D
formats()
{
	local specs=() i

	if [[ ! -d $TMP/formats ]]; then
		for ((i = 0; i < ${#FORMAT_SPECS[@]}; i += 2)); do
			specs+=("${FORMAT_SPECS[i]}")
		done
		gen formats 1.5.08 "${specs[@]}"
	fi
	D=$TMP/formats
}

# make_tree NAME [fake]: a fake sysfs tree in $TMP/NAME.tree, sets ROOT FW
# DEV LOG LOCKF.  With "fake", loading and data are FIFOs for the fake
# kernel; without, plain empty files (see the top of this file).
make_tree()
{
	ROOT=$TMP/$1.tree
	FW=$ROOT/sys/class/firmware/tdx_module
	DEV=$ROOT$HOST_DIR
	LOG=$ROOT/fake.log
	LOCKF=$ROOT/run/tdx-module-update.lock
	rm -rf "$ROOT"
	mkdir -p "$FW" "$DEV" "$ROOT/run"
	if [[ ${2:-} == fake ]]; then
		mkfifo "$FW/loading" "$FW/data"
	else
		: > "$FW/loading"
		: > "$FW/data"
	fi
	: > "$FW/error"
	: > "$FW/cancel"
	: > "$LOG"
	echo idle > "$FW/status"
	echo 1.5.06 > "$DEV/version"
	echo 1.5.02 > "$DEV/seamldr_version"
	echo 5 > "$DEV/num_remaining_updates"
	echo idle > "$DEV/update_state"
	echo 0 > "$DEV/builds_in_flight"
	echo 60000 > "$DEV/update_timeout_ms"
	echo block > "$DEV/update_mode"
	F_VERSION=1.5.09
}

# A root without any TDX: for cases that must not read sysfs
no_tree()
{
	ROOT=$TMP/no-tdx.tree
	FW=$ROOT/sys/class/firmware/tdx_module
	mkdir -p "$ROOT/run"
	LOG=$ROOT/fake.log
	: > "$LOG"
}

put()
{
	if [[ -n $2 ]]; then
		printf '%s\n' "$2" > "$1"
	else
		: > "$1"
	fi
}

# The kernel side of one upload: loading=1 receives, loading=0 "updates"
# to $F_VERSION at once
fake_kernel()
{
	local lfd dfd c

	exec {lfd}<> "$FW/loading"
	while :; do
		IFS= read -r -n 1 -u "$lfd" c || continue
		[[ $c == - ]] && IFS= read -r -n 1 -u "$lfd" c && c=-$c
		echo "loading=$c" >> "$LOG"
		case $c in
		1)
			put "$FW/status" receiving
			exec {dfd}< "$FW/data"
			cat <&"$dfd" > "$ROOT/data.bin"
			exec {dfd}<&-
			;;
		-1)
			put "$FW/status" idle
			;;
		0)
			echo "upload size=$(wc -c < "$ROOT/data.bin")" >> "$LOG"
			put "$FW/status" transferring
			put "$DEV/update_state" updating
			sleep 0.2
			put "$DEV/version" "$F_VERSION"
			put "$DEV/update_state" idle
			put "$FW/error" ""
			put "$FW/status" idle
			;;
		esac
	done
}

# start_fake: the fake kernel for the current tree (a "fake" one); one at
# a time, and holding none of the script's output open
start_fake()
{
	stop_fake
	fake_kernel < /dev/null > /dev/null 2>&1 &
	FAKE_PID=$!
}

stop_fake()
{
	if [[ -n $FAKE_PID ]]; then
		kill "$FAKE_PID" 2> /dev/null
		wait "$FAKE_PID" 2> /dev/null
		FAKE_PID=
	fi
}

# hold_lock: another process takes the tool's lock and writes its PID
hold_lock()
{
	local i v

	(
		exec 9>> "$LOCKF"
		flock 9 || exit 1
		echo "$BASHPID" > "$LOCKF"
		exec sleep 60
	) < /dev/null > /dev/null 2>&1 &
	HOLDER=$!
	for ((i = 0; i < 200; i++)); do
		v=
		read -r v 2> /dev/null < "$LOCKF"
		[[ $v == "$HOLDER" ]] && ! flock -n "$LOCKF" true && return 0
		sleep 0.05
	done
	fail "the lock holder did not start"
	return 1
}

release_lock()
{
	if [[ -n $HOLDER ]]; then
		kill "$HOLDER" 2> /dev/null
		wait "$HOLDER" 2> /dev/null
		HOLDER=
	fi
}

# host_cpu: CPUID.1.EAX of this machine, as the tool reads it, in HOST_CPU
host_cpu()
{
	local out

	mkdir -p "$TMP/empty-dir"
	echo '{"tdx_module_releases": []}' > "$TMP/empty-dir/mapping_file.json"
	out=$(TDX_SYSFS_ROOT=$TMP/no-tdx.tree "$TOOL" --plan --json \
		--running 1.5.06 --seamldr 1.5.02 "$TMP/empty-dir" 2> /dev/null)
	HOST_CPU=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["cpuid"])' \
		"$out" 2> /dev/null)
	[[ -n $HOST_CPU ]] || fail "cannot learn this CPU's CPUID.1.EAX: $out"
}

# ---------------------------------------------------------------------------
# Running the tool and checking

# run_tool ARGS...: sets RC OUT ERR
run_tool()
{
	TDX_SYSFS_ROOT=$ROOT timeout -k 2 "$TOOL_TIMEOUT" "$TOOL" "$@" \
		< /dev/null > "$TMP/stdout" 2> "$TMP/stderr"
	RC=$?
	OUT=$(< "$TMP/stdout")
	ERR=$(< "$TMP/stderr")
}

FAILS=
fail()
{
	FAILS+="$*"$'\n'
}

expect_rc()
{
	[[ $RC == "$1" ]] || fail "exit code $RC, expected $1 (${2:-})"
}

expect_out()	# stdout contains the fixed string
{
	grep -qF -- "$1" <<< "$OUT" || fail "stdout lacks '$1'"
}

expect_err()	# stderr contains the fixed string
{
	grep -qF -- "$1" <<< "$ERR" || fail "stderr lacks '$1'"
}

# expect_json PYTHON-EXPRESSION...: stdout is one JSON object j, and each
# expression holds for it
expect_json()
{
	local out

	out=$("$PY" - "$TMP/stdout" "$@" << 'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError as e:
    print("stdout is not one JSON object (%s)" % e)
    sys.exit(1)
bad = []
for e in sys.argv[2:]:
    try:
        ok = eval(e, {"j": j})
    except Exception as x:
        ok = False
        e += " (%r)" % x
    if not ok:
        bad.append(e)
print("; ".join("JSON check failed: " + e for e in bad))
sys.exit(1 if bad else 0)
EOF
) || fail "$out (stdout: ${OUT:0:2000})"
}

# expect_list VERSION:KIND=REASON[/ERROR]...: the --list --json output has
# exactly these entries ("loadable" for no reason; ERROR if one was found)
expect_list()
{
	local out

	out=$("$PY" - "$TMP/stdout" "$@" << 'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError as e:
    print("stdout is not JSON: %s" % e)
    sys.exit(1)
got = {}
for r in j["releases"]:
    v = r["reason"] or "loadable"
    if r["error"]:
        v += "/" + r["error"]
    key = r["version"] + ":" + r["kind"]
    if key in got:
        print("%s listed twice" % key)
        sys.exit(1)
    got[key] = v
want = dict(a.split("=", 1) for a in sys.argv[2:])
bad = ["%s: got %s, expected %s" % (k, got.get(k, "nothing"),
                                    want.get(k, "nothing"))
       for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
) || fail "--list: $out"
}

# expect_plan VERSION KIND: the --plan --json output chose this
expect_plan()
{
	expect_rc 0 "plan $1"
	expect_json 'j["outcome"] == "found"' "j[\"version\"] == \"$1\"" \
		"j[\"kind\"] == \"$2\"" 'j["reason"] is None'
}

# expect_nothing REASON: --plan --json found nothing, for this reason
expect_nothing()
{
	expect_rc 14 "nothing loadable, $1"
	expect_json 'j["outcome"] == "nothing loadable"' \
		'j["exit_code"] == 14' "j[\"reason\"] == \"$1\"" \
		'j["version"] is None or isinstance(j["version"], str)'
}

# expect_no_upload: nothing reached the upload files
expect_no_upload()
{
	! grep -q '^loading=' "$LOG" ||
		fail "the tool wrote to loading: $(grep '^loading=' "$LOG" | tr '\n' ' ')"
	[[ ! -e $ROOT/data.bin ]] || fail "the tool wrote data"
	[[ ! -f $FW/loading || ! -s $FW/loading ]] ||
		fail "the tool wrote to loading: $(tr '\n' ' ' < "$FW/loading")"
	[[ ! -f $FW/data || ! -s $FW/data ]] ||
		fail "the tool wrote $(wc -c < "$FW/data") bytes to data"
}

# expect_image IMAGE SOURCE...: IMAGE passes the kernel's checks and is
# the 0x200 image of SOURCE (a 0x100 blob, a .bin and its .sigstruct, or
# a 0x200 image, which must be copied unchanged)
expect_image()
{
	local image=$1 out

	shift
	out=$("$CHECK" "$image") || fail "kernel check: $out"
	out=$("$PY" - "$image" "$@" << 'EOF'
import struct, sys
img = open(sys.argv[1], "rb").read()
srcs = [open(f, "rb").read() for f in sys.argv[2:]]
P = 4096
def fail(m):
    print(m)
    sys.exit(1)
if len(srcs) == 1 and struct.unpack_from("<H", srcs[0])[0] == 0x200:
    if img != srcs[0]:
        fail("a 0x200 input was not copied unchanged")
    sys.exit(0)
if len(srcs) == 1:
    b = srcs[0]
    ver, _, off, sig, length = struct.unpack_from("<HHI8sI", b)
    if ver != 0x100 or sig != b"TDX-BLOB" or length != len(b):
        fail("the source is not a good 0x100 blob")
    sigstruct, module = b[P:P + 2048], b[off:]
else:
    module, sigstruct = srcs
ver, csum, sig, nsig, nmod = struct.unpack_from("<HH8sII", img)
if (ver, sig, nsig) != (0x200, b"TDX-BLOB", 1):
    fail("header: version 0x%x, signature %r, %d sigstruct pages" %
         (ver, sig, nsig))
if nmod * P != len(module) or len(img) != (2 + nmod) * P:
    fail("%d module pages, image %d bytes, module %d bytes" %
         (nmod, len(img), len(module)))
if any(img[20:P]):
    fail("reserved header bytes are not zero")
if img[P:P + 2048] != sigstruct or any(img[P + 2048:2 * P]):
    fail("the sigstruct page is not the sigstruct and zeros")
if img[2 * P:] != module:
    fail("the module pages are not the module")
if sum(struct.unpack("<%dH" % (len(img) // 2), img)) & 0xFFFF:
    fail("the 16-bit words do not sum to 0")
EOF
) || fail "$image: $out"
}

# No file OUT, and no temporary file beside it
expect_no_output()
{
	[[ ! -e $1 ]] || fail "$1 was written"
	ls "$(dirname "$1")"/"$(basename "$1")".* > /dev/null 2>&1 &&
		fail "temporary files left: $(ls "$(dirname "$1")"/"$(basename "$1")".*)"
}

TESTS=()
t()
{
	TESTS+=("$1")
}

# ---------------------------------------------------------------------------
# The generator

t test_generator_deterministic
test_generator_deterministic()
{
	local a

	std
	a=$D
	gen std-b
	diff -r "$a" "$D" > /dev/null || fail "two runs wrote different files"
	[[ -s $a/mapping_file.json ]] || fail "no mapping file"
	"$PY" "$GEN" "$TMP/bad" 1.5.08:colour=red > /dev/null 2>&1 &&
		fail "the generator took an unknown key"
	"$PY" "$GEN" "$TMP/bad" 1.5.08:crypto=3 > /dev/null 2>&1 &&
		fail "the generator took a --sim key without --sim"
	# Options after the directory and among the releases
	gen order-a 1.5.08 --order reverse 1.5.09 1.5.10
	"$PY" -c '
import json, sys
v = [r["version"] for r in json.load(open(sys.argv[1]))["tdx_module_releases"]]
sys.exit(0 if v == ["1.5.10", "1.5.09", "1.5.08"] else 1)' \
		"$D/mapping_file.json" || fail "--order reverse not honoured"
}

# ---------------------------------------------------------------------------
# --list and --plan on the standard directory: every reason once

STD_LIST=(
	1.5.01:0x100-blob=older
	1.5.05:separate=older
	1.5.06:0x100-blob=already-running
	1.5.06:separate=already-running
	1.5.08:0x100-blob=loadable
	1.5.08:separate=loadable
	1.5.09:separate=loadable
	1.5.10:0x100-blob=debug
	1.5.11:0x100-blob=cpu-not-listed
	1.5.12:0x200-image=cpu-not-listed
	1.5.13:0x100-blob=below-min-td-preserving
	1.5.14:0x100-blob=seamldr-too-old
	1.5.15:0x100-blob=checksum/bad-checksum
	1.5.16:0x100-blob=format/truncated
	1.5.17:0x100-blob=not-in-mapping
	1.5.18:none=no-file/no-file
	2.0.02:0x100-blob=other-line
)

t test_list_standard
test_list_standard()
{
	local s=separate_files/1.5 msg

	no_tree
	std
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list "${STD_LIST[@]}"
	expect_json 'j["outcome"] == "success"' 'j["loadable"] == 3' \
		'j["running"] == "1.5.06"' 'j["running_from"] == "option"' \
		'j["seamldr"] == "1.5.02"' 'j["cpuid"] == "0x000806f8"' \
		'j["cpuid_from"] == "option"' 'j["debug_allowed"] is False' \
		'[r["debug"] for r in j["releases"] if r["version"] == "1.5.10"] == [True]' \
		'[r["debug"] for r in j["releases"]
		 if r["version"] == "1.5.08"] == [False, False]' \
		'[r["debug"] for r in j["releases"] if r["version"] == "1.5.15"] == [None]' \
		'[r["in_mapping"] for r in j["releases"] if r["version"] == "1.5.17"] == [False]' \
		'all(r["loadable"] == (r["reason"] is None) for r in j["releases"])'
	[[ -z $ERR ]] || fail "--json printed on stderr: $ERR"

	# The same in words
	run_tool --list "${M[@]}" "$D"
	expect_rc 0
	msg='running module 1.5.06 (--running), P-SEAMLDR 1.5.02 (--seamldr), '
	msg+='CPUID.1.EAX 0x000806f8 (--cpuid); debug modules not allowed'
	expect_out "$msg"
	expect_out '17 release file sets, 3 loadable'
	expect_out '1.5.08    0x100-blob   no    yes: joined_files/1.5/tdx_module_1.5.08.blob'
	expect_out "1.5.09    separate     no    yes: $s/1.5.09/tdx_module_1.5.09.bin"
	msg='1.5.10    0x100-blob   yes   no (debug): '
	msg+='a debug module: give --debug to allow it'
	expect_out "$msg"
	msg='1.5.06    0x100-blob   no    no (already-running): '
	msg+='already running (1.5.06): not newer'
	expect_out "$msg"
	msg='1.5.13    0x100-blob   no    no (below-min-td-preserving): '
	msg+='the running 1.5.06 is below its min_module_version_for_td_preserving 1.5.07'
	expect_out "$msg"
	msg='1.5.14    0x100-blob   no    no (seamldr-too-old): '
	msg+='the P-SEAMLDR 1.5.02 is too old'
	expect_out "$msg"
	expect_out '1.5.15    0x100-blob   ?     no (checksum): bad-checksum:'
	expect_out '1.5.16    0x100-blob   ?     no (format): truncated:'
	expect_out '1.5.18    none         ?     no (no-file): no file'
	expect_out '2.0.02    0x100-blob   no    no (other-line):'

	# --debug: the debug module is loadable
	run_tool --list --json --debug "${M[@]}" "$D"
	expect_rc 0
	expect_list "${STD_LIST[@]/1.5.10:0x100-blob=debug/1.5.10:0x100-blob=loadable}"
	expect_json 'j["debug_allowed"] is True'
}

t test_plan_standard
test_plan_standard()
{
	local msg

	no_tree
	std
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.09 separate
	expect_json 'j["file"] == "separate_files/1.5/1.5.09/tdx_module_1.5.09.bin"' \
		'j["debug"] is False' 'j["running"] == "1.5.06"'
	run_tool --plan "${M[@]}" "$D"
	expect_rc 0
	msg='plan: update 1.5.06 -> 1.5.09 from '
	msg+='separate_files/1.5/1.5.09/tdx_module_1.5.09.bin (separate)'
	[[ $OUT == "$msg" ]] ||
		fail "plan in words: $OUT"
	run_tool --plan --json --debug "${M[@]}" "$D"
	expect_plan 1.5.10 0x100-blob
	expect_json 'j["debug"] is True'
}

# ---------------------------------------------------------------------------
# One case per rule.  Each has a release that breaks only the rule and is
# newer than the one that should be chosen, and where it can, a directory
# in which the rule is the only reason that nothing is loadable.

t test_rule_release_line
test_rule_release_line()
{
	no_tree
	gen line 1.5.08 \
		2.5.09:min=1.5.01,seamldr=1.5.00 \
		1.6.09:min=1.5.01,seamldr=1.5.00 \
		2.0.09:min=1.5.01,seamldr=1.5.00 \
		1.4.09:min=1.4.01,seamldr=1.5.00
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 1.5.08:0x100-blob=loadable \
		2.5.09:0x100-blob=other-line 1.6.09:0x100-blob=other-line \
		2.0.09:0x100-blob=other-line 1.4.09:0x100-blob=other-line
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.08 0x100-blob
	# None of the running line at all
	gen line2 2.0.09:min=1.5.01,seamldr=1.5.00 1.6.07:min=1.5.01
	run_tool --plan --json "${M[@]}" "$D"
	expect_nothing other-line
	expect_json '"no release of the running module'"'"'s line 1.5" in j["message"]'
}

t test_rule_older
test_rule_older()
{
	no_tree
	gen older 1.5.03 1.5.05:files=separate
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 1.5.03:0x100-blob=older 1.5.05:separate=older
	run_tool --plan --json "${M[@]}" "$D"
	expect_nothing older
	expect_json '("every release of the running line is older than the running 1.5.06"
		     in j["message"])'
	run_tool --plan --json --version 1.5.05 "${M[@]}" "$D"
	expect_nothing older
}

t test_rule_already_running
test_rule_already_running()
{
	local msg

	no_tree
	gen same 1.5.05 1.5.06:files=both
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 1.5.05:0x100-blob=older \
		1.5.06:0x100-blob=already-running 1.5.06:separate=already-running
	run_tool --plan --json "${M[@]}" "$D"
	expect_nothing already-running
	expect_json '"already running" in j["message"]'
	run_tool --plan "${M[@]}" "$D"
	expect_rc 14
	msg='plan: nothing loadable (already-running): '
	msg+='nothing newer than the running 1.5.06, which is already running'
	expect_out "$msg"
}

# Versions compare as numbers: 1.5.10 is newer than 1.5.9
t test_rule_numeric_versions
test_rule_numeric_versions()
{
	no_tree
	gen numeric 1.5.8 1.5.10 1.5.9
	run_tool --list --json --running 1.5.9 --seamldr 1.5.02 \
		--cpuid "$CPU" "$D"
	expect_rc 0
	expect_list 1.5.8:0x100-blob=older 1.5.9:0x100-blob=already-running \
		1.5.10:0x100-blob=loadable
	run_tool --plan --json --running 1.5.9 --seamldr 1.5.02 \
		--cpuid "$CPU" "$D"
	expect_plan 1.5.10 0x100-blob
	# A two-digit "06" and a plain "6" are the same version
	run_tool --plan --json --running 1.5.10 --seamldr 1.5.2 \
		--cpuid "$CPU" "$D"
	expect_nothing already-running
}

t test_rule_min_td_preserving
test_rule_min_td_preserving()
{
	no_tree
	gen mintd 1.5.08:min=1.5.01 1.5.09:min=1.5.06 1.5.10:min=1.5.07
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	# Equal to the running version is enough
	expect_list 1.5.08:0x100-blob=loadable 1.5.09:0x100-blob=loadable \
		1.5.10:0x100-blob=below-min-td-preserving
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.09 0x100-blob
	run_tool --plan --json --running 1.5.07 --seamldr 1.5.02 \
		--cpuid "$CPU" "$D"
	expect_plan 1.5.10 0x100-blob
	gen mintd2 1.5.10:min=1.5.07
	run_tool --plan --json "${M[@]}" "$D"
	expect_nothing below-min-td-preserving
	expect_json '"min_module_version_for_td_preserving 1.5.07" in j["message"]'
}

t test_rule_seamldr
test_rule_seamldr()
{
	no_tree
	gen seamldr 1.5.08:seamldr=1.5.00/2.0.00 \
		1.5.09:seamldr=1.5.03/2.0.00 1.5.10:seamldr=1.5.02 \
		1.5.11:seamldr=1.4.00
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	# 1.5.02 meets 1.5.00 and 1.5.02 (equal), not 1.5.03; and not
	# 1.4.00, which is lower but of another line
	expect_list 1.5.08:0x100-blob=loadable \
		1.5.09:0x100-blob=seamldr-too-old 1.5.10:0x100-blob=loadable \
		1.5.11:0x100-blob=seamldr-too-old
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.10 0x100-blob
	# A 2.0 P-SEAMLDR: the 2.0.00 entries count, 1.5.02 does not
	run_tool --list --json --running 1.5.06 --seamldr 2.0.07 \
		--cpuid "$CPU" "$D"
	expect_rc 0
	expect_list 1.5.08:0x100-blob=loadable 1.5.09:0x100-blob=loadable \
		1.5.10:0x100-blob=seamldr-too-old \
		1.5.11:0x100-blob=seamldr-too-old
	run_tool --plan --json --running 1.5.06 --seamldr 2.1.00 \
		--cpuid "$CPU" "$D"
	expect_nothing seamldr-too-old
	expect_json '"1.5.11" in j["message"]' '"P-SEAMLDR 2.1.00" in j["message"]'
}

# The CPU must be listed: another model or family, or an empty list, is
# not this CPU
t test_rule_cpu
test_rule_cpu()
{
	local fam msg

	no_tree
	fam=$(printf '0x%x' $((CPU ^ 0x100)))
	gen cpu 1.5.08 1.5.10:cpus=other 1.5.11:cpus=none "1.5.12:cpus=$fam"
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 1.5.08:0x100-blob=loadable \
		1.5.10:0x100-blob=cpu-not-listed \
		1.5.11:0x100-blob=cpu-not-listed \
		1.5.12:0x100-blob=cpu-not-listed
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.08 0x100-blob
	run_tool --list "${M[@]}" "$D"
	msg='no (cpu-not-listed): '
	msg+='this CPU (CPUID.1.EAX 0x000806f8) is not among the 0 its sigstruct lists'
	expect_out "$msg"
	gen cpu2 1.5.10:cpus=other,files=separate
	run_tool --plan --json "${M[@]}" "$D"
	expect_nothing cpu-not-listed
	# The same release for a CPU it lists
	run_tool --plan --json --running 1.5.06 --seamldr 1.5.02 \
		--cpuid 0xa06d0 "$D"
	expect_plan 1.5.10 separate
}

# The stepping (CPUID.1.EAX bits 3:0) is masked off on both sides
t test_rule_cpu_stepping
test_rule_cpu_stepping()
{
	no_tree
	gen step 1.5.08 1.5.09:cpus=stepping
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 1.5.08:0x100-blob=loadable 1.5.09:0x100-blob=loadable
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.09 0x100-blob
	# Another stepping of this CPU finds it in both lists
	run_tool --plan --json --running 1.5.06 --seamldr 1.5.02 \
		--cpuid "$(printf '0x%x' $((CPU + 3)))" "$D"
	expect_plan 1.5.09 0x100-blob
	expect_json 'j["cpuid"] == "0x000806fb"'
}

t test_rule_debug
test_rule_debug()
{
	no_tree
	gen debug 1.5.08 1.5.09:debug=1,files=separate
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 1.5.08:0x100-blob=loadable 1.5.09:separate=debug
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.08 0x100-blob
	run_tool --plan --json --debug "${M[@]}" "$D"
	expect_plan 1.5.09 separate
	expect_json 'j["debug"] is True'
	gen debug2 1.5.09:debug=1
	run_tool --plan --json "${M[@]}" "$D"
	expect_nothing debug
	expect_json '"give --debug" in j["message"]'
}

# The newest loadable release wins, whatever the order of the mapping file
t test_rule_newest
test_rule_newest()
{
	local order

	no_tree
	for order in sorted reverse scrambled; do
		gen newest-$order --order $order 1.5.07 1.5.12 1.5.09 \
			1.5.11:files=separate 1.5.08 1.5.10
		run_tool --plan --json "${M[@]}" "$D"
		expect_plan 1.5.12 0x100-blob
	done
	# Loadable are 1.5.07 .. 1.5.10; 1.5.11 and 1.5.12 are not
	gen newest2 1.5.10 1.5.08 1.5.07 1.5.09:files=separate \
		1.5.11:debug=1 1.5.12:cpus=other
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.10 0x100-blob
}

# Of one version, the joined blob is preferred; a broken one is passed over
t test_rule_prefer_joined
test_rule_prefer_joined()
{
	no_tree
	gen prefer 1.5.08:files=both
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.08 0x100-blob
	expect_json 'j["file"] == "joined_files/1.5/tdx_module_1.5.08.blob"'
	gen prefer2 1.5.08:files=both,corrupt=checksum
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.08 separate
}

# The first rule broken is the reason, in the documented order
t test_rule_order
test_rule_order()
{
	no_tree
	gen order \
		2.0.09:min=1.5.01,seamldr=1.5.00,debug=1,cpus=other,corrupt=checksum \
		1.5.05:debug=1,cpus=other \
		1.5.06:debug=1 \
		1.5.07:min=1.5.07,seamldr=1.5.09,debug=1,corrupt=checksum \
		1.5.08:seamldr=1.5.03,corrupt=digest,cpus=other \
		1.5.09:corrupt=checksum,cpus=other,debug=1 \
		1.5.10:corrupt=digest,cpus=other \
		1.5.11:cpus=other,debug=1 \
		1.5.12:files=none,debug=1
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 2.0.09:0x100-blob=other-line/bad-checksum \
		1.5.05:0x100-blob=older 1.5.06:0x100-blob=already-running \
		1.5.07:0x100-blob=below-min-td-preserving/bad-checksum \
		1.5.08:0x100-blob=seamldr-too-old/image-check \
		1.5.09:0x100-blob=checksum/bad-checksum \
		1.5.10:0x100-blob=format/image-check \
		1.5.11:0x100-blob=cpu-not-listed \
		1.5.12:none=no-file/no-file
	# The reason for nothing is that of the newest newer release
	run_tool --plan --json "${M[@]}" "$D"
	expect_nothing no-file
	expect_json '"1.5.12" in j["message"]'
}

# Files the mapping does not list are shown, never chosen; half of the
# separate files is no release
t test_unlisted_and_missing_files
test_unlisted_and_missing_files()
{
	no_tree
	gen unlisted 1.5.08 1.5.09:listed=0 \
		1.5.10:files=separate,corrupt=no-sigstruct 1.5.11:files=none
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list 1.5.08:0x100-blob=loadable \
		1.5.09:0x100-blob=not-in-mapping 1.5.10:separate=no-file/no-file \
		1.5.11:none=no-file/no-file
	expect_json '[r["message"] for r in j["releases"]
		     if r["version"] == "1.5.10"][0].startswith("cannot read ")' \
		'".sigstruct" in [r["message"] for r in j["releases"]
		                  if r["version"] == "1.5.10"][0]'
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.08 0x100-blob
	# An unlisted file elsewhere in the tree is found too
	mkdir -p "$D/joined_files/9.9"
	cp "$D/joined_files/1.5/tdx_module_1.5.08.blob" \
		"$D/joined_files/9.9/tdx_module_1.5.30.blob"
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_json '[r["reason"] for r in j["releases"]
		     if r["version"] == "1.5.30"] == ["not-in-mapping"]' \
		'[r["file"] for r in j["releases"]
		 if r["version"] == "1.5.30"] == ["joined_files/9.9/tdx_module_1.5.30.blob"]'
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.08 0x100-blob
}

t test_list_format_errors
test_list_format_errors()
{
	local want=(1.5.08:0x100-blob=loadable) i

	for ((i = 1; i < ${#FORMAT_SPECS[@]}; i += 2)); do
		want+=("${FORMAT_SPECS[i]}")
	done
	no_tree
	formats
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list "${want[@]}"
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.50 0x200-image
}

# ---------------------------------------------------------------------------
# --plan: nothing, --version

t test_plan_version
test_plan_version()
{
	local msg

	no_tree
	std
	run_tool --plan --json --version 1.5.08 "${M[@]}" "$D"
	expect_plan 1.5.08 0x100-blob
	run_tool --plan --json --version 1.5.10 "${M[@]}" "$D"
	expect_nothing debug
	expect_json 'j["version"] == "1.5.10"'
	run_tool --plan --json --version 1.5.15 "${M[@]}" "$D"
	expect_nothing checksum
	run_tool --plan --json --version 1.5.06 "${M[@]}" "$D"
	expect_nothing already-running
	expect_json '"0x100-blob" in j["message"] and "separate" in j["message"]'
	run_tool --plan --json --version 1.5.77 "${M[@]}" "$D"
	expect_nothing not-in-mapping
	run_tool --plan --version 1.5.14 "${M[@]}" "$D"
	expect_rc 14
	msg='plan: nothing loadable (seamldr-too-old): '
	msg+='1.5.14 0x100-blob (joined_files/1.5/tdx_module_1.5.14.blob): '
	msg+='the P-SEAMLDR 1.5.02 is too old'
	expect_out "$msg"
	run_tool --plan --version 1.5 "${M[@]}" "$D"
	expect_rc 2
	expect_err "invalid --version '1.5'"
}

t test_plan_empty_mapping
test_plan_empty_mapping()
{
	no_tree
	mkdir -p "$TMP/empty"
	echo '{"Header": {}, "tdx_module_releases": []}' \
		> "$TMP/empty/mapping_file.json"
	run_tool --plan --json "${M[@]}" "$TMP/empty"
	expect_nothing other-line
	run_tool --list --json "${M[@]}" "$TMP/empty"
	expect_rc 0
	expect_json 'j["releases"] == [] and j["loadable"] == 0'
}
t test_machine_from_sysfs
test_machine_from_sysfs()
{
	make_tree sysfs
	std
	run_tool --list --json --cpuid "$CPU" "$D"
	expect_rc 0
	expect_json 'j["running"] == "1.5.06"' 'j["running_from"] == "sysfs"' \
		'j["seamldr"] == "1.5.02"' 'j["seamldr_from"] == "sysfs"'
	expect_list "${STD_LIST[@]}"
	echo 1.5.08 > "$DEV/version"
	echo 1.5.03 > "$DEV/seamldr_version"
	run_tool --plan --json --cpuid "$CPU" "$D"
	expect_plan 1.5.14 0x100-blob
	# An option wins over sysfs
	run_tool --plan --json --running 1.5.06 --cpuid "$CPU" "$D"
	expect_plan 1.5.14 0x100-blob
	expect_json 'j["running_from"] == "option"' 'j["seamldr"] == "1.5.03"'
	run_tool --plan "${M[@]}" "$D"
	expect_out '-> 1.5.09'
}

t test_machine_errors
test_machine_errors()
{
	no_tree
	std
	run_tool --list --cpuid "$CPU" "$D"
	expect_rc 10
	expect_err "$ROOT$HOST_DIR/version does not exist"
	expect_err 'give --running X.Y.Z'
	run_tool --plan --json --running 1.5.06 --cpuid "$CPU" "$D"
	expect_rc 10
	expect_json 'j["outcome"] == "no update support"' 'j["exit_code"] == 10' \
		'"seamldr_version does not exist" in j["message"]' \
		'"--seamldr" in j["message"]'

	make_tree machine
	echo garbage > "$DEV/version"
	run_tool --plan --cpuid "$CPU" "$D"
	expect_rc 12
	expect_err 'version reads "garbage", not a version X.Y.Z'
	echo 1.5.06 > "$DEV/version"
	chmod 0755 "$TMP"
	chmod -R a+rX "$ROOT" "$D"
	chmod 0400 "$DEV/seamldr_version"
	if [[ $(id -u) == 0 ]]; then
		if ! command -v setpriv > /dev/null; then
			SKIP="setpriv not available to drop root"
			return
		fi
		TDX_SYSFS_ROOT=$ROOT setpriv --reuid=65534 --regid=65534 \
			--clear-groups "$TOOL" --plan --cpuid "$CPU" "$D" \
			> "$TMP/stdout" 2> "$TMP/stderr"
		RC=$?
		ERR=$(< "$TMP/stderr")
	else
		chmod 0000 "$DEV/seamldr_version"
		run_tool --plan --cpuid "$CPU" "$D"
	fi
	expect_rc 9
	expect_err 'seamldr_version (Permission denied); run as root; or give --seamldr X.Y.Z'
}

# Without --cpuid, CPUID.1.EAX of this CPU, as /proc/cpuinfo shows it
t test_machine_cpuid
test_machine_cpuid()
{
	local arch

	arch=$(uname -m)
	if [[ $arch != x86_64 && $arch != i?86 ]]; then
		SKIP="not x86"
		return
	fi
	no_tree
	std
	run_tool --plan --json --running 1.5.06 --seamldr 1.5.02 "$D"
	expect_json 'j["cpuid_from"] == "cpu"'
	"$PY" - "$TMP/stdout" << 'EOF' || fail "CPUID.1.EAX does not match /proc/cpuinfo: $OUT"
import json, sys
eax = int(json.load(open(sys.argv[1]))["cpuid"], 16)
info = {}
for line in open("/proc/cpuinfo"):
    k, _, v = line.partition(":")
    k = k.strip()
    if k in ("cpu family", "model", "stepping") and k not in info:
        info[k] = int(v)
fam = (eax >> 8) & 0xF
model = (eax >> 4) & 0xF
if fam in (6, 15):
    model |= ((eax >> 16) & 0xF) << 4
if fam == 15:
    fam += (eax >> 20) & 0xFF
sys.exit(0 if (fam, model, eax & 0xF) == (info["cpu family"],
              info["model"], info["stepping"]) else 1)
EOF
}

t test_bad_usage
test_bad_usage()
{
	local args

	no_tree
	std
	: > "$TMP/file.img"
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run_tool $args
		expect_rc 2 "$args"
		expect_err "$want"
		expect_err "Try '"
		[[ -z $OUT ]] || fail "$args: printed on stdout: $OUT"
	done << EOF
--list --running 1.5 --seamldr 1.5.02 --cpuid 1 $D|invalid --running '1.5'
--list --running 1.5.06 --seamldr 1.5.02.1 --cpuid 1 $D|invalid --seamldr '1.5.02.1'
--list --running 1.5.06 --seamldr 1.5.02 --cpuid zz $D|invalid --cpuid 'zz'
--list --running 1.5.06 --seamldr 1.5.02 --cpuid 0x123456789 $D|invalid --cpuid '0x123456789'
--list --running -1.5.06 --seamldr 1.5.02 --cpuid 1 $D|invalid --running '-1.5.06'
--list --plan $D|give only one of --list, --plan and --convert
--list $D $D|more than one DIR given
--plan|no DIR given
--convert $D|--convert needs IN and OUT
--plan --version=1.5 $D|invalid --version '1.5'
--running 1.5.06 $D|--running, --seamldr and --cpuid go only with --list and --plan
--seamldr 1.5.02 $D|--running, --seamldr and --cpuid go only with --list and --plan
--cpuid 0x806f8 --version 1.5.08 $D|--running, --seamldr and --cpuid go only with --list and --plan
--running 1.5.06 $TMP/file.img|--running, --seamldr and --cpuid go only with --list and --plan
--convert --cpuid 1 a b|--running, --seamldr and --cpuid go only with --list and --plan
--list --nonblock $D|--nonblock and --timeout go only with an upload
--list --version 1.5.08 $D|--version goes only with --plan or a DIR
--convert --debug a b|--debug does not go with --convert
--version 1.5.08 $TMP/file.img|is not a release directory
--debug $TMP/file.img|is not a release directory
--plan --quiet $D|--quiet does not go with --list and --plan
EOF
	run_tool --list --json --plan "$D"
	expect_rc 2
	expect_json 'j["outcome"] == "usage error"' 'j["exit_code"] == 2'
}


# ---------------------------------------------------------------------------
# The mapping file

# KIND|what the message must say
MAPPING_CASES='empty|the input is empty
trailing-comma|trailing comma before '"'"'}'"'"'
unterminated-string|unterminated string
comment|expected a value, not '"'"'/'"'"'
single-quotes|expected a member name in double quotes
leading-zero|leading zero
bad-escape|invalid escape '"'"'\q'"'"'
control-char|control character 0x09
trailing-garbage|unexpected '"'"'x'"'"' after the JSON value
bad-literal|invalid literal '"'"'tru'"'"'
missing-colon|expected '"'"':'"'"' after the member name
missing-comma|expected '"'"','"'"' or '"'"'}'"'"' after an object member
unclosed|unexpected end of the input, expected a value
deep|nested deeper than 64 levels
duplicate-key|duplicate member name "tdx_module_releases"
invalid-utf8|invalid UTF-8
overlong-utf8|invalid UTF-8
lone-surrogate|high surrogate without its low surrogate
nul-escape|a NUL character) is not supported
nan|invalid literal '"'"'NaN'"'"'
bad-number|expected a digit after '"'"'.'"'"'
bad-exponent|expected a digit in the exponent
top-array|the top level is an array, not an object
header-not-object|"Header" is an array, not an object
no-releases|no "tdx_module_releases"
releases-not-array|"tdx_module_releases" is an object, not an array
entry-not-object|tdx_module_releases[0] is a string, not an object
no-version|tdx_module_releases[0] has no "version"
version-number|tdx_module_releases[0].version is a number, not a string
bad-version|tdx_module_releases[0].version "1.5" is not a version X.Y.Z
no-min|has no "min_module_version_for_td_preserving"
seamldr-empty|min_seamldr_versions is empty
seamldr-not-array|min_seamldr_versions is a string, not an array
bad-seamldr|min_seamldr_versions[1] "2.0" is not a version X.Y.Z
bad-feature0|tdx_feature0 is not a hex number
duplicate-version|version 1.5.8 is listed twice
missing|cannot read'

t test_mapping_broken
test_mapping_broken()
{
	local kind want n=0 dirs=()

	no_tree
	while IFS='|' read -r kind want; do
		dirs+=("map-$kind --mapping $kind 1.5.08")
	done <<< "$MAPPING_CASES"
	gen_many "${dirs[@]}"
	while IFS='|' read -r kind want; do
		n=$((n + 1))
		D=$TMP/map-$kind
		run_tool --list "${M[@]}" "$D"
		expect_rc 15 "$kind"
		expect_err "bad release directory: $D/mapping_file.json"
		expect_err "$want"
	done <<< "$MAPPING_CASES"
	[[ $n -ge 37 ]] || fail "only $n mapping cases ran"

	# Where the error is
	gen map-pos --mapping missing-comma 1.5.08
	run_tool --plan --json "${M[@]}" "$D"
	expect_rc 15
	expect_json 'j["outcome"] == "bad release directory"' \
		'j["exit_code"] == 15' \
		'"not valid JSON: line 1, column 15: expected" in j["message"]'
	gen map-pos2 --mapping bad-seamldr 1.5.08
	run_tool --plan "${M[@]}" "$D"
	expect_rc 15
	expect_err 'line 1, column 133: tdx_module_releases[0].min_seamldr_versions[1]'
	# Lines count from 1, columns in bytes from 1
	mkdir -p "$TMP/map-pos3"
	printf '{\n  "tdx_module_releases": [\n    {"version": 1.5}\n  ]\n}\n' \
		> "$TMP/map-pos3/mapping_file.json"
	run_tool --plan "${M[@]}" "$TMP/map-pos3"
	expect_rc 15
	expect_err 'line 3, column 17: tdx_module_releases[0].version is a number, not a string'
	printf '{\n  "tdx_module_releases": [\n    {"version": "1.5.08"},\n  ]\n}\n' \
		> "$TMP/map-pos3/mapping_file.json"
	run_tool --plan "${M[@]}" "$TMP/map-pos3"
	expect_rc 15
	expect_err "not valid JSON: line 4, column 3: trailing comma before ']'"
}

# Odd but valid JSON is read: a byte order mark, CRLF, escapes, exponents,
# members the tool does not know
t test_mapping_unusual
test_mapping_unusual()
{
	no_tree
	gen unusual --mapping unusual
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list "${STD_LIST[@]}"
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.09 separate
}


# ---------------------------------------------------------------------------
# --convert

t test_convert_good
test_convert_good()
{
	local j=joined_files/1.5 s=separate_files/1.5 msg

	no_tree
	gen conv 1.5.08:files=both,pages=5 1.5.09:reserve=2,debug=1,pages=3 \
		1.5.10:files=image 1.5.11:pages=496
	run_tool --convert "$D/$j/tdx_module_1.5.08.blob" "$TMP/a.img"
	expect_rc 0
	expect_err 'success: '
	msg='(0x100-blob): wrote '"$TMP"'/a.img, '
	msg+='a 0x200 image of 28672 bytes with 5 module pages, '
	msg+='a production module listing 3 CPUs'
	expect_err "$msg"
	expect_image "$TMP/a.img" "$D/$j/tdx_module_1.5.08.blob"

	run_tool --convert "$D/$s/1.5.08/tdx_module_1.5.08.bin" "$TMP/b.img"
	expect_rc 0
	expect_err '(separate with its .sigstruct)'
	expect_image "$TMP/b.img" "$D/$s/1.5.08/tdx_module_1.5.08.bin" \
		"$D/$s/1.5.08/tdx_module_1.5.08.sigstruct"
	cmp -s "$TMP/a.img" "$TMP/b.img" ||
		fail "the blob and the separate files convert differently"

	# The module after two more reserved pages
	run_tool --convert --json "$D/$j/tdx_module_1.5.09.blob" "$TMP/c.img"
	expect_rc 0
	expect_json 'j["outcome"] == "success"' 'j["input_kind"] == "0x100-blob"' \
		'j["debug"] is True' 'j["module_pages"] == 3' 'j["cpus"] == 3' \
		'j["size"] == 5 * 4096'
	expect_image "$TMP/c.img" "$D/$j/tdx_module_1.5.09.blob"

	# A 0x200 image is checked and copied
	run_tool --convert --json "$D/$j/tdx_module_1.5.10.blob" "$TMP/d.img"
	expect_rc 0
	expect_json 'j["input_kind"] == "0x200-image"' 'j["module_pages"] == 3'
	expect_image "$TMP/d.img" "$D/$j/tdx_module_1.5.10.blob"

	# The largest module the kernel takes
	run_tool --convert "$D/$j/tdx_module_1.5.11.blob" "$TMP/e.img"
	expect_rc 0
	expect_image "$TMP/e.img" "$D/$j/tdx_module_1.5.11.blob"

	# OUT is replaced, with the usual permissions
	echo old > "$TMP/f.img"
	chmod 0600 "$TMP/f.img"
	(umask 022 && TDX_SYSFS_ROOT=$ROOT "$TOOL" --convert \
		"$D/$j/tdx_module_1.5.08.blob" "$TMP/f.img") 2> /dev/null
	cmp -s "$TMP/a.img" "$TMP/f.img" || fail "OUT was not replaced"
	[[ $(stat -c %a "$TMP/f.img") == 644 ]] ||
		fail "OUT has mode $(stat -c %a "$TMP/f.img"), expected 644"
	ls "$TMP"/f.img.* > /dev/null 2>&1 && fail "temporary files left"
}

# convert_errors CODE OUTCOME FILE|MESSAGE...: each FILE of the formats
# directory (a version and .blob or .bin, or a path) is refused with exit
# code CODE, outcome OUTCOME and MESSAGE, and leaves no OUT: neither a new
# one, nor a temporary file, nor a change to an existing one
convert_errors()
{
	local rc=$1 name=$2 arg file want in out n=0

	shift 2
	no_tree
	formats
	for arg in "$@"; do
		n=$((n + 1))
		file=${arg%%|*}
		want=${arg#*|}
		case $file in
		/*)
			in=$file
			;;
		*.bin)
			in=$D/separate_files/1.5/${file%.bin}/tdx_module_$file
			;;
		*)
			in=$D/joined_files/1.5/tdx_module_$file
			;;
		esac
		out=$TMP/out-$rc-$n.img
		run_tool --convert "$in" "$out"
		expect_rc "$rc" "$file"
		expect_err "$name: $in"
		expect_err "$want"
		expect_no_output "$out"
		echo "old contents" > "$TMP/kept.img"
		run_tool --convert --json "$in" "$TMP/kept.img"
		expect_rc "$rc" "$file --json"
		expect_json "j[\"outcome\"] == \"$name\"" \
			"j[\"exit_code\"] == $rc" 'len(j) == 3'
		[[ $(< "$TMP/kept.img") == "old contents" ]] ||
			fail "$file: an existing OUT was changed"
		ls "$TMP"/kept.img.* > /dev/null 2>&1 &&
			fail "$file: temporary files left"
	done
}

t test_convert_bad_signature
test_convert_bad_signature()
{
	formats
	# A module .bin without its .sigstruct
	cp "$D/separate_files/1.5/1.5.41/tdx_module_1.5.41.bin" \
		"$TMP/tdx_module_1.5.41.bin"
	convert_errors 21 'bad signature' \
		'1.5.24.blob|no "TDX-BLOB" signature in the header' \
		'1.5.46.blob|no "TDX-BLOB" signature in the header' \
		"$TMP/tdx_module_1.5.41.bin|(a module .bin needs its .sigstruct beside it)"
}

t test_convert_unknown_version
test_convert_unknown_version()
{
	convert_errors 22 'unknown version' \
		'1.5.25.blob|header version 0x101: only 0x100 blobs and 0x200 images are known' \
		'1.5.48.blob|header version 0x300: only 0x100 blobs and 0x200 images are known'
}

t test_convert_bad_checksum
test_convert_bad_checksum()
{
	convert_errors 23 'bad checksum' \
		'1.5.20.blob|its 16-bit words sum to 0x'
}

t test_convert_length_mismatch
test_convert_length_mismatch()
{
	convert_errors 24 'length mismatch' \
		'1.5.26.blob|the file has 28672 bytes, the 0x100 header says 24576' \
		"1.5.44.blob|the file has 28672 bytes, the 0x200 header's page counts make 24576"
}

t test_convert_not_aligned
test_convert_not_aligned()
{
	convert_errors 25 'bad module layout' \
		'1.5.27.blob|module offset 0x2800 is not 8 KiB plus a multiple of 4 KiB' \
		'1.5.28.blob|module offset 0x1000 is not 8 KiB plus a multiple of 4 KiB' \
		'1.5.29.blob|no module: its offset 0x2000 is at or past the end of the blob' \
		'1.5.30.blob|the module is 8292 bytes, not a multiple of 4 KiB' \
		'1.5.39.bin|the module is 8292 bytes, not a multiple of 4 KiB' \
		'1.5.40.bin|the module is empty'
}

t test_convert_too_large
test_convert_too_large()
{
	convert_errors 26 'module too large' \
		'1.5.31.blob|the module has 497 pages, the kernel takes at most 496' \
		'1.5.47.blob|more than 496 module pages: the 0x200 header says 497'
}

t test_convert_reserved
test_convert_reserved()
{
	local between=', between the sigstruct and the module, is not zero'

	convert_errors 27 'reserved not zero' \
		'1.5.32.blob|reserved byte 0x01 at offset 0x14 of the 0x100 header is not zero' \
		'1.5.33.blob|reserved byte 0x5a at offset 0xbb8 of the 0x100 header is not zero' \
		"1.5.34.blob|reserved byte 0x01 at offset 0x1811$between" \
		"1.5.35.blob|reserved byte 0x80 at offset 0x2063$between" \
		'1.5.45.blob|reserved header bytes are not zero (0x200 header, offset 0x64)'
}

t test_convert_truncated
test_convert_truncated()
{
	local t22 t43

	t22='1.5.22.blob|the 0x100 header says 20480 bytes, '
	t22+='the file has only 12411: truncated'
	t43="1.5.43.blob|the 0x200 header's page counts make 20480 bytes, "
	t43+='the file has only 16384: truncated'
	convert_errors 20 'truncated' \
		"$t22" \
		'1.5.23.blob|the file has 100 bytes, less than the 4096-byte header' \
		"$t43"
}

t test_convert_bad_sigstruct
test_convert_bad_sigstruct()
{
	convert_errors 28 'bad sigstruct' \
		'1.5.36.blob|the sigstruct lists 300 CPUs, at most 255 fit in it' \
		'1.5.37.bin|the sigstruct is 2000 bytes, not 2048: truncated' \
		'1.5.38.bin|the sigstruct is 2049 bytes, not 2048'
}

# The module does not hash to the SHA-384 its sigstruct carries: the
# kernel's own check refuses the result
t test_convert_image_check
test_convert_image_check()
{
	local digest="module pages do not match the sigstruct's SHA-384 digest"

	convert_errors 29 'image check failed' \
		"1.5.21.blob|the kernel's image check refuses it: $digest" \
		"1.5.41.bin|$digest" \
		"1.5.42.blob|$digest"
}

# Write errors leave no OUT and no temporary file
t test_convert_write_errors
test_convert_write_errors()
{
	local blob

	no_tree
	gen wr 1.5.08:pages=20
	blob=$D/joined_files/1.5/tdx_module_1.5.08.blob
	# A file size limit (in 512-byte blocks) far below the image
	(ulimit -f 16 && TDX_SYSFS_ROOT=$ROOT "$TOOL" --convert "$blob" \
		"$TMP/big.img" > "$TMP/stdout" 2> "$TMP/stderr")
	RC=$?
	ERR=$(< "$TMP/stderr")
	expect_rc 12
	expect_err "I/O error: cannot write $TMP/big.img: File too large; nothing was written there"
	expect_no_output "$TMP/big.img"
	run_tool --convert "$blob" "$TMP/no/such/dir/x.img"
	expect_rc 12
	expect_err "cannot create a temporary file beside $TMP/no/such/dir/x.img"
	run_tool --convert "$TMP/no-such.blob" "$TMP/x.img"
	expect_rc 2
	expect_err "cannot read $TMP/no-such.blob: No such file or directory"
	expect_no_output "$TMP/x.img"
	run_tool --convert "$D" "$TMP/x.img"
	expect_rc 2
	expect_err 'Is a directory'
	expect_no_output "$TMP/x.img"
}

# ---------------------------------------------------------------------------
# Simulated modules (mk-release-dir.py --sim): what the test kernels'
# simulated P-SEAMLDR installs

t test_sim_release
test_sim_release()
{
	local j=joined_files/1.5 s=separate_files/1.5 out v msg

	no_tree
	gen sim --sim
	# The same choices as the standard directory
	run_tool --list --json "${M[@]}" "$D"
	expect_rc 0
	expect_list "${STD_LIST[@]}"
	run_tool --plan --json "${M[@]}" "$D"
	expect_plan 1.5.09 separate

	run_tool --convert "$D/$s/1.5.09/tdx_module_1.5.09.bin" "$TMP/sim9.img"
	expect_rc 0
	expect_image "$TMP/sim9.img" "$D/$s/1.5.09/tdx_module_1.5.09.bin" \
		"$D/$s/1.5.09/tdx_module_1.5.09.sigstruct"
	out=$("$CHECK" --sim "$TMP/sim9.img") || fail "simulated P-SEAMLDR check: $out"
	msg='simulated module 1.5.09, handoff version 4 (imports 2..4), '
	msg+='crypto library 109, features0 0x2e1f0fbf'
	[[ $out == *"$msg" ]] ||
		fail "simulated module: $out"
	# Both formats, a debug module, a 0x200 image
	for v in 1.5.08 1.5.10 1.5.12; do
		run_tool --convert "$D/$j/tdx_module_$v.blob" "$TMP/sim-$v.img"
		expect_rc 0 "$v"
		out=$("$CHECK" --sim "$TMP/sim-$v.img") ||
			fail "simulated P-SEAMLDR check: $out"
		[[ $out == *"simulated module $v,"* ]] || fail "$v: $out"
	done
	run_tool --convert "$D/$s/1.5.08/tdx_module_1.5.08.bin" "$TMP/sim-8s.img"
	cmp -s "$TMP/sim-1.5.08.img" "$TMP/sim-8s.img" ||
		fail "the blob and the separate files convert differently"
	run_tool --convert --json "$D/$j/tdx_module_1.5.10.blob" "$TMP/x.img"
	expect_json 'j["debug"] is True'
	# The check is not vacuous: a module of the standard directory is no
	# simulated one
	std
	run_tool --convert "$D/$j/tdx_module_1.5.08.blob" "$TMP/std8.img"
	expect_rc 0
	"$CHECK" --sim "$TMP/std8.img" > /dev/null &&
		fail "a standard module passed the simulated P-SEAMLDR's check"
	# Options of the simulated module
	gen sim2 --sim 1.5.07:handoff=5,min_handoff=3,crypto=7,pages=1,feature0=0x2E1F0FBE
	run_tool --convert "$D/$j/tdx_module_1.5.07.blob" "$TMP/sim7.img"
	expect_rc 0
	out=$("$CHECK" --sim "$TMP/sim7.img") || fail "simulated P-SEAMLDR check: $out"
	msg='simulated module 1.5.07, handoff version 5 (imports 3..5), '
	msg+='crypto library 7, features0 0x2e1f0fbe'
	[[ $out == *"$msg" ]] ||
		fail "simulated module: $out"

	# The image tdx-sim-mkimage writes for the same module: the same
	# module pages, simulated signature and SHA-384
	[[ -n $SIM_MKIMAGE ]] || return
	"$SIM_MKIMAGE" --version 1.5.9 --handoff 4 --min-handoff 2 \
		--crypto 109 --features 0x2E1F0FBF --pages 2 "$TMP/ref9.img" ||
		fail "tdx-sim-mkimage failed"
	"$PY" - "$TMP/sim9.img" "$TMP/ref9.img" << 'EOF' ||
import sys
a, b = (open(f, "rb").read() for f in sys.argv[1:])
P = 4096
sys.exit(0 if len(a) == len(b) and a[2 * P:] == b[2 * P:] and
         a[P:P + 24] == b[P:P + 24] and
         a[P + 900:P + 948] == b[P + 900:P + 948] else 1)
EOF
		fail "the simulated module differs from tdx-sim-mkimage's"
}

# ---------------------------------------------------------------------------
# Uploads from a release directory (fake kernel).  The tool reads the
# running version and the P-SEAMLDR's from the tree and this CPU's
# signature with cpuid: the directories list this CPU.

# host_gen NAME [GENERATOR-ARGS...]: as gen, for this machine's CPU; 1 if
# that cannot be learnt (SKIP set where there is no cpuid)
host_gen()
{
	if [[ $(uname -m) != x86_64 && $(uname -m) != i?86 ]]; then
		SKIP="not x86: the tool cannot read this CPU's signature"
		return 1
	fi
	host_cpu
	[[ -n $HOST_CPU ]] || return 1
	CPU=$HOST_CPU gen "$@"
}

t test_upload_plan
test_upload_plan()
{
	local msg

	no_tree
	host_gen std-host || return
	make_tree upload fake
	start_fake
	run_tool "$D"
	expect_rc 0
	msg="release 1.5.09: $D/separate_files/1.5/1.5.09/tdx_module_1.5.09.bin "
	msg+='(separate), converted to a 0x200 image'
	expect_err "$msg"
	expect_err "uploading $D/separate_files/1.5/1.5.09/tdx_module_1.5.09.bin (16384 bytes)"
	expect_err 'version 1.5.06 -> 1.5.09'
	expect_err 'success: the TDX module was updated'
	grep -qF 'loading=0' "$LOG" || fail "no upload"
	expect_image "$ROOT/data.bin" \
		"$D/separate_files/1.5/1.5.09/tdx_module_1.5.09.bin" \
		"$D/separate_files/1.5/1.5.09/tdx_module_1.5.09.sigstruct"
	run_tool --convert "$D/separate_files/1.5/1.5.09/tdx_module_1.5.09.bin" \
		"$TMP/conv.img"
	cmp -s "$ROOT/data.bin" "$TMP/conv.img" ||
		fail "the upload differs from --convert's image"
	[[ -e $LOCKF && ! -s $LOCKF ]] || fail "no lock file, or a PID left"
}

t test_upload_version
test_upload_version()
{
	local msg

	no_tree
	host_gen std-host || return
	make_tree upver fake
	F_VERSION=1.5.08
	start_fake
	run_tool --json --version 1.5.08 "$D"
	expect_rc 0
	expect_json 'j["outcome"] == "success"' 'j["release"] == "1.5.08"' \
		"j[\"release_file\"] == \"$D/joined_files/1.5/tdx_module_1.5.08.blob\"" \
		'j["version_after"] == "1.5.08"' 'j["error"] == ""'
	[[ -z $ERR ]] || fail "--json printed on stderr: $ERR"
	expect_image "$ROOT/data.bin" "$D/joined_files/1.5/tdx_module_1.5.08.blob"

	# A debug module only with --debug
	make_tree updebug
	run_tool --version 1.5.10 "$D"
	expect_rc 14
	msg='nothing loadable: 1.5.10 0x100-blob (joined_files/1.5/tdx_module_1.5.10.blob): '
	msg+='a debug module: give --debug to allow it (debug); nothing was uploaded'
	expect_err "$msg"
	expect_no_upload
	make_tree updebug2 fake
	F_VERSION=1.5.10
	start_fake
	run_tool --debug --version 1.5.10 "$D"
	expect_rc 0
	expect_err 'release 1.5.10:'
	expect_err 'debug module'
	expect_image "$ROOT/data.bin" "$D/joined_files/1.5/tdx_module_1.5.10.blob"
}

# Nothing loadable for the machine the tree describes: exit code 14, no
# upload, the lock given back.  The running version and the P-SEAMLDR's
# are read from the tree: where they allow the release, it is loaded.
t test_upload_nothing
test_upload_nothing()
{
	local msg

	no_tree
	host_gen upnone 1.5.05 1.5.06 1.5.08:min=1.5.07 || return
	make_tree upnone
	run_tool "$D"
	expect_rc 14
	msg='nothing loadable: the newest release newer than the running 1.5.06, '
	msg+='1.5.08 (0x100-blob), cannot be loaded: the running 1.5.06 is below '
	msg+='its min_module_version_for_td_preserving 1.5.07 '
	msg+='(below-min-td-preserving); nothing was uploaded'
	expect_err "$msg"
	expect_no_upload
	[[ -e $LOCKF && ! -s $LOCKF ]] || fail "no lock file, or a PID left"
	run_tool --json "$D"
	expect_rc 14
	expect_json 'j["outcome"] == "nothing loadable"' 'j["exit_code"] == 14' \
		'j["release"] is None' 'j["release_file"] is None' \
		'"1.5.08" in j["message"]' 'j["version_before"] == ""'
	expect_no_upload
	# The P-SEAMLDR is read too
	echo 1.5.07 > "$DEV/version"
	echo 1.4.09 > "$DEV/seamldr_version"
	run_tool "$D"
	expect_rc 14
	expect_err 'the P-SEAMLDR 1.4.09 is too old'
	expect_err '(seamldr-too-old)'
	expect_no_upload
	# Both allow it
	make_tree upnone2 fake
	echo 1.5.07 > "$DEV/version"
	F_VERSION=1.5.08
	start_fake
	run_tool "$D"
	expect_rc 0
	expect_err 'version 1.5.07 -> 1.5.08'
	expect_image "$ROOT/data.bin" "$D/joined_files/1.5/tdx_module_1.5.08.blob"
}

t test_upload_refusals
test_upload_refusals()
{
	no_tree
	gen map --mapping trailing-comma 1.5.08
	make_tree upbad
	run_tool "$D"
	expect_rc 15
	expect_err 'bad release directory:'
	expect_no_upload
	[[ ! -e $LOCKF ]] || fail "the lock was taken for a bad directory"

	# The lock is taken before the machine is read
	host_gen std-host || return
	if ! command -v flock > /dev/null; then
		SKIP="flock(1) not available"
		return
	fi
	make_tree uplocked
	hold_lock || return
	run_tool "$D"
	expect_rc 13
	expect_err "is held by pid $HOLDER"
	expect_no_upload
	release_lock
	make_tree uplocked2 fake
	start_fake
	run_tool "$D"
	expect_rc 0

	# An unreadable running version: nothing to choose against
	make_tree updead
	rm "$DEV/version"
	mkdir "$DEV/version"
	run_tool "$D"
	expect_rc 12
	expect_no_upload
	[[ ! -s $LOCKF ]] || fail "a PID left in the lock file"
}

# In the way the test VMs do it: a --sim directory for this CPU, uploaded;
# what reaches the kernel is what the simulated P-SEAMLDR installs
t test_upload_sim
test_upload_sim()
{
	local out

	no_tree
	host_gen sim-host --sim || return
	make_tree upsim fake
	start_fake
	run_tool "$D"
	expect_rc 0
	expect_err 'release 1.5.09:'
	expect_err 'version 1.5.06 -> 1.5.09'
	out=$("$CHECK" --sim "$ROOT/data.bin") ||
		fail "simulated P-SEAMLDR check: $out"
	[[ $out == *'simulated module 1.5.09,'* ]] || fail "uploaded: $out"
}

t test_help
test_help()
{
	no_tree
	run_tool --help
	expect_rc 0
	expect_out '--list [--json] [--debug] [MACHINE] DIR'
	expect_out '--plan [--json] [--debug] [--version X.Y.Z] [MACHINE] DIR'
	expect_out '--convert [--json] IN OUT'
	expect_out 'min_module_version_for_td_preserving'
	grep -qE '^ +14 +nothing loadable ' <<< "$OUT" || fail "no code 14 line"
	grep -qE '^ +15 +bad release directory ' <<< "$OUT" || fail "no code 15"
	grep -qE '^ +29 +image check failed ' <<< "$OUT" || fail "no code 29"
}

# ---------------------------------------------------------------------------

echo "1..${#TESTS[@]}"
n=0
failed=0
for name in "${TESTS[@]}"; do
	n=$((n + 1))
	FAILS=
	SKIP=
	ERR=
	"$name"
	stop_fake
	release_lock
	if [[ -n $SKIP && -z $FAILS ]]; then
		echo "ok $n $name # SKIP $SKIP"
	elif [[ -z $FAILS ]]; then
		echo "ok $n $name"
	else
		failed=$((failed + 1))
		echo "not ok $n $name"
		printf '%s' "$FAILS" | sed 's/^/# /'
		echo "# stderr of the last run:"
		printf '%s\n' "$ERR" | sed 's/^/#   /'
	fi
done
[[ $failed == 0 ]]
