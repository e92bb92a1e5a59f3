#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-cli.sh - test tdx-module-update against a faked sysfs tree
#
# Usage: test-cli.sh PATH-TO-tdx-module-update
#
# Builds nothing.  Every case creates a fresh fake sysfs tree in a temporary
# directory and points the tool at it with TDX_SYSFS_ROOT.  Cases that upload
# run a "fake kernel" (a bash function in the background) that plays the
# kernel side of the fw_upload ABI: loading=1 starts receiving, loading=0
# runs the update (status transferring, update_state waiting/updating, then
# error and status idle), a "1" in cancel aborts a wait (one written before
# the wait is dropped, as the driver does).
#
# Regular files do not block like sysfs, and the tool's first status read
# must never see the "idle" from before the upload.  So loading and data are
# FIFOs: the fake holds loading open read-write (so no write to it is lost and
# none blocks), and only opens data after it has read the "1" from loading and
# set status to "receiving".  The tool cannot write the image, let alone "0",
# before that, so the upload flow does not depend on timing.  Cases that must not
# upload run no fake: a write to loading would then block and time out.
#
# The tool's lock file is $ROOT/run/tdx-module-update.lock; the lock cases
# hold it from another process with flock(1).
#
# Output is TAP; the exit status is non-zero if any case failed.

set -u

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH-TO-tdx-module-update" >&2
	exit 2
fi
TOOL=$(realpath "$1")
HOST_DIR=/sys/devices/faux/tdx_host
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tdx-cli-test.XXXXXX") || exit 2
FAKE_PID=
HOLDER=
# The tool's command name as /proc/PID/comm shows it
TOOL_COMM=$(basename "$TOOL" | cut -c1-15)
# The tool treats SIGTERM as a cancel request: timeout needs -k
TOOL_TIMEOUT=30

cleanup()
{
	stop_fake
	release_lock
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------
# The fake sysfs tree and the fake kernel

# make_tree NAME: fresh tree in $TMP/NAME, sets ROOT FW DEV LOG IMG LOCKF
make_tree()
{
	ROOT=$TMP/$1
	FW=$ROOT/sys/class/firmware/tdx_module
	DEV=$ROOT$HOST_DIR
	LOG=$ROOT/fake.log
	IMG=$ROOT/image.bin
	LOCKF=$ROOT/run/tdx-module-update.lock
	mkdir -p "$FW" "$DEV" "$ROOT/run"
	mkfifo "$FW/loading" "$FW/data"
	: > "$FW/error"
	: > "$FW/cancel"
	: > "$LOG"
	echo idle > "$FW/status"
	echo 0 > "$FW/remaining_size"
	echo 1.5.06 > "$DEV/version"
	echo 1.5.02 > "$DEV/seamldr_version"
	echo 5 > "$DEV/num_remaining_updates"
	echo idle > "$DEV/update_state"
	echo 0 > "$DEV/builds_in_flight"
	echo 60000 > "$DEV/update_timeout_ms"
	echo block > "$DEV/update_mode"
	# An "image": 3 pages and a bit, so that the data write is chunked
	head -c 12345 /dev/urandom > "$IMG"

	# What the fake kernel does on loading=0 (see scenario)
	F_ERROR=			# error attribute at the end, "" = success
	F_STATE=idle			# update_state at the end
	F_VERSION=1.5.08		# version at the end if the update happens
	F_BUILDS=0			# builds in flight: wait F_WAIT_MS for them
	F_WAIT_MS=0
	F_UPDATE_MS=200			# time spent in update_state "updating"
	F_PREPARE_MS=0			# time spent in status "preparing"
}

# Write one sysfs-like value: "value\n", or an empty file for ""
put()
{
	if [[ -n $2 ]]; then
		printf '%s\n' "$2" > "$1"
	else
		: > "$1"
	fi
}

ms_to_s()
{
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

fake_finish()	# ERROR STATE VERSION
{
	[[ -n $3 ]] && put "$DEV/version" "$3"
	put "$DEV/update_state" "$2"
	put "$DEV/builds_in_flight" 0
	put "$FW/error" "$1"
	echo "finish error=$1 state=$2" >> "$LOG"
	put "$FW/status" idle		# last: the tool reads error after idle
}

# loading=0: one upload, as the tdx_host driver would run it
fake_upload()
{
	local mode timeout steps i c size

	read -r mode < "$DEV/update_mode"
	read -r timeout < "$DEV/update_timeout_ms"
	size=$(wc -c < "$ROOT/data.bin")
	echo "upload size=$size update_mode=$mode update_timeout_ms=$timeout" \
		>> "$LOG"
	if ((F_PREPARE_MS > 0)); then
		put "$FW/status" preparing
		sleep "$(ms_to_s "$F_PREPARE_MS")"
	fi
	put "$FW/status" transferring

	# Errors found before the wait for TD builds
	if [[ $F_STATE == unsupported ]]; then
		# The kernel probed again: no module that can be updated
		fake_finish "$F_ERROR" unsupported ""
		return
	fi
	case $F_ERROR in
	*:invalid-file-size | *:firmware-invalid | *:flash-wearout | \
	*:read-write-error | *:bogus-error)
		fake_finish "$F_ERROR" idle ""
		return
		;;
	*:device-busy)
		if [[ $mode == nonblock ]]; then
			put "$DEV/builds_in_flight" "$F_BUILDS"
			fake_finish "$F_ERROR" idle ""
			return
		fi
		;;
	esac

	# The wait for TD builds in flight, cancellable, up to the deadline
	if ((F_WAIT_MS > 0)); then
		# Like the driver, drop a cancel that came before the wait
		[[ -s $FW/cancel ]] && echo "cancel dropped" >> "$LOG"
		: > "$FW/cancel"
		put "$DEV/builds_in_flight" "$F_BUILDS"
		put "$DEV/update_state" waiting
		steps=$((F_WAIT_MS / 50))
		[[ $F_ERROR == *:timeout ]] && steps=$((timeout / 50))
		for ((i = 0; i < steps; i++)); do
			c=
			read -r c < "$FW/cancel"
			if [[ $c == 1 ]]; then
				echo "cancel seen while waiting" >> "$LOG"
				fake_finish "transferring:user-abort" idle ""
				return
			fi
			sleep 0.05
		done
		if [[ $F_ERROR == *:timeout ]]; then
			fake_finish "$F_ERROR" idle ""
			return
		fi
		put "$DEV/builds_in_flight" 0
	fi

	# Past the point of no return: cancel is ignored from here on
	put "$DEV/update_state" updating
	put "$FW/status" programming
	sleep "$(ms_to_s "$F_UPDATE_MS")"
	read -r c < "$FW/cancel"
	[[ $c == 1 ]] && echo "cancel seen too late" >> "$LOG"
	if [[ -z $F_ERROR ]]; then
		fake_finish "" "$F_STATE" "$F_VERSION"
	else
		fake_finish "$F_ERROR" "$F_STATE" ""
	fi
}

fake_kernel()
{
	local lfd dfd c

	exec {lfd}<> "$FW/loading"
	while :; do
		# The tool writes "1", "0" or "-1", without newline
		IFS= read -r -n 1 -u "$lfd" c || continue
		[[ $c == - ]] && IFS= read -r -n 1 -u "$lfd" c && c=-$c
		echo "loading=$c" >> "$LOG"
		case $c in
		1)
			: > "$FW/cancel"
			put "$FW/status" receiving
			# Let the tool write the image, until it closes data
			exec {dfd}< "$FW/data"
			cat <&"$dfd" > "$ROOT/data.bin"
			exec {dfd}<&-
			;;
		-1)
			put "$FW/status" idle
			;;
		0)
			fake_upload
			;;
		esac
	done
}

start_fake()
{
	fake_kernel &
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

# hold_lock [pid]: another process takes the tool's lock (flock(1) on a
# descriptor of a subshell, which then becomes "sleep"), and with "pid"
# writes its PID into the file as the tool does.  Sets HOLDER.
hold_lock()
{
	local i v comm

	(
		exec 9>> "$LOCKF"
		flock 9 || exit 1
		[[ ${1-} == pid ]] && echo "$BASHPID" > "$LOCKF"
		exec sleep 60
	) > /dev/null 2>&1 &
	HOLDER=$!
	for ((i = 0; i < 200; i++)); do
		v=
		comm=
		read -r v 2> /dev/null < "$LOCKF"
		read -r comm 2> /dev/null < "/proc/$HOLDER/comm"
		if [[ $comm == sleep ]] && ! flock -n "$LOCKF" true &&
		   [[ ${1-} != pid || $v == "$HOLDER" ]]; then
			return 0
		fi
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

# ---------------------------------------------------------------------------
# Running the tool and checking

# run_tool ARGS...: run in the foreground, sets RC OUT ERR
run_tool()
{
	TDX_SYSFS_ROOT=$ROOT timeout -k 2 "$TOOL_TIMEOUT" "$TOOL" "$@" \
		> "$ROOT/stdout" 2> "$ROOT/stderr"
	RC=$?
	OUT=$(< "$ROOT/stdout")
	ERR=$(< "$ROOT/stderr")
}

# start_tool ARGS...: run in the background (for signals), sets TOOL_PID
start_tool()
{
	TDX_SYSFS_ROOT=$ROOT "$TOOL" "$@" > "$ROOT/stdout" 2> "$ROOT/stderr" &
	TOOL_PID=$!
}

# wait_tool PID: wait for a background tool, killing it after a while;
# sets RC
wait_tool()
{
	local i

	for ((i = 0; i < TOOL_TIMEOUT * 10; i++)); do
		kill -0 "$1" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2> /dev/null
	wait "$1"
	RC=$?
}

# finish_tool: wait for the background tool, killing it after a while
finish_tool()
{
	wait_tool "$TOOL_PID"
	OUT=$(< "$ROOT/stdout")
	ERR=$(< "$ROOT/stderr")
}

# wait_for FILE VALUE: until the fake has put VALUE into FILE (max 10 s)
wait_for()
{
	local i v

	for ((i = 0; i < 200; i++)); do
		v=
		read -r v < "$1"
		[[ $v == "$2" ]] && return 0
		sleep 0.05
	done
	fail "timed out waiting for $1 to be '$2'"
	return 1
}

FAILS=
fail()
{
	FAILS+="$*"$'\n'
}

expect_rc()
{
	[[ $RC == "$1" ]] || fail "exit code $RC, expected $1"
}

expect_err()	# stderr contains the fixed string
{
	grep -qF -- "$1" <<< "$ERR" || fail "stderr lacks '$1'"
}

expect_no_err()
{
	! grep -qF -- "$1" <<< "$ERR" || fail "stderr has '$1'"
}

expect_count()	# N STRING: stderr contains STRING exactly N times
{
	local n

	n=$(grep -cF -- "$2" <<< "$ERR")
	[[ $n == "$1" ]] || fail "stderr has '$2' $n times, expected $1"
}

expect_log()	# the fake kernel logged the fixed string
{
	grep -qF -- "$1" "$LOG" || fail "fake kernel log lacks '$1'"
}

expect_log_count()	# N STRING: the fake kernel logged STRING N times
{
	local n

	n=$(grep -cF -- "$2" "$LOG")
	[[ $n == "$1" ]] || fail "fake kernel log has '$2' $n times, expected $1"
}

# Nothing reached the upload files: no write to loading, data or cancel
expect_no_upload()
{
	! grep -q '^loading=' "$LOG" ||
		fail "the tool wrote to loading: $(grep '^loading=' "$LOG" | tr '\n' ' ')"
	[[ ! -e $ROOT/data.bin ]] || fail "the tool wrote data"
	[[ ! -s $FW/cancel ]] || fail "the tool wrote cancel"
}

expect_value()	# FILE VALUE
{
	local v=

	read -r v < "$1"
	[[ $v == "$2" ]] || fail "${1#"$ROOT"} is '$v', expected '$2'"
}

expect_stdout_empty()
{
	[[ -z $OUT ]] || fail "stdout is not empty: $OUT"
}

# expect_json PYTHON-EXPRESSION...: stdout is one JSON object j, and each
# expression is true for it
expect_json()
{
	local e

	if ! python3 -c 'import json,sys; json.load(sys.stdin)' \
		< "$ROOT/stdout" 2> /dev/null; then
		fail "stdout is not one JSON object: $OUT"
		return
	fi
	for e in "$@"; do
		python3 -c "import json,sys; j = json.load(sys.stdin); sys.exit(0 if ($e) else 1)" \
			< "$ROOT/stdout" ||
			fail "JSON check failed: $e (stdout: $OUT)"
	done
}

TESTS=()
t()
{
	TESTS+=("$1")
}

# ---------------------------------------------------------------------------
# The cases

t test_help
test_help()
{
	make_tree help
	run_tool --help
	expect_rc 0
	grep -qF 'Exit codes' "$ROOT/stdout" || fail "no exit code table"
	grep -qF 'device-wide' "$ROOT/stdout" || fail "no device-wide note"
	grep -qE '^ +12 +I/O error' "$ROOT/stdout" || fail "no code 12 line"
	grep -qE '^ +13 +locked +another upload holds /run/tdx-module-update.lock' \
		"$ROOT/stdout" || fail "no code 13 line"
	grep -qF '"lock_holder_pid"' "$ROOT/stdout" || fail "no lock_holder_pid"
	[[ ! -e $LOCKF ]] || fail "--help created the lock file"
}

t test_success
test_success()
{
	make_tree success
	F_BUILDS=2 F_WAIT_MS=800 F_UPDATE_MS=800
	start_fake
	run_tool "$IMG"
	expect_rc 0
	expect_err 'TDX module version 1.5.06, update_state idle,'
	expect_err 'builds_in_flight 0, num_remaining_updates 5'
	expect_err 'waiting for 2 TD builds in flight (state waiting)'
	expect_err 's of 60.0 s'
	expect_err 'updating (state updating)'
	expect_err 'version 1.5.06 -> 1.5.08'
	expect_err 'success: the TDX module was updated'
	expect_log 'loading=1'
	expect_log 'loading=0'
	expect_log "upload size=$(wc -c < "$IMG")"
	cmp -s "$IMG" "$ROOT/data.bin" || fail "data differs from the image"
	expect_stdout_empty
	[[ -e $LOCKF && ! -s $LOCKF ]] ||
		fail "no lock file, or a PID left in it"
}

t test_quiet
test_quiet()
{
	make_tree quiet
	F_BUILDS=1 F_WAIT_MS=600
	start_fake
	run_tool --quiet "$IMG"
	expect_rc 0
	expect_log 'loading=0'
	expect_value "$DEV/version" 1.5.08
	[[ -z $ERR ]] || fail "--quiet printed: $ERR"
}

t test_busy_nonblock_restores
test_busy_nonblock_restores()
{
	make_tree busy
	F_ERROR=transferring:device-busy F_BUILDS=3
	start_fake
	run_tool --nonblock --timeout 1234 "$IMG"
	expect_rc 3
	expect_err 'nonblock mode'
	expect_log 'update_mode=nonblock update_timeout_ms=1234'
	expect_value "$DEV/update_mode" block
	expect_value "$DEV/update_timeout_ms" 60000
}

t test_restore_after_success
test_restore_after_success()
{
	make_tree restore
	echo 45000 > "$DEV/update_timeout_ms"
	start_fake
	run_tool --nonblock --timeout 5000 "$IMG"
	expect_rc 0
	expect_log 'update_mode=nonblock update_timeout_ms=5000'
	expect_value "$DEV/update_mode" block
	expect_value "$DEV/update_timeout_ms" 45000
}

t test_timeout
test_timeout()
{
	make_tree timeout
	F_ERROR=transferring:timeout F_BUILDS=2 F_WAIT_MS=1
	start_fake
	run_tool --timeout 700 "$IMG"
	expect_rc 4
	expect_err 'waiting for 2 TD builds in flight (state waiting), 0.'
	expect_err 's of 0.7 s'
	expect_err 'did not finish within 700 ms; the module is unchanged'
	expect_err 'version 1.5.06 -> 1.5.06 (unchanged)'
	expect_log 'update_timeout_ms=700'
	expect_value "$DEV/update_timeout_ms" 60000
}

t test_cancel_sigint
test_cancel_sigint()
{
	make_tree cancel
	F_BUILDS=1 F_WAIT_MS=10000
	start_fake
	start_tool "$IMG"
	wait_for "$DEV/update_state" waiting
	kill -INT "$TOOL_PID" 2> /dev/null
	sleep 0.3
	kill -INT "$TOOL_PID" 2> /dev/null
	finish_tool
	expect_rc 5
	expect_count 1 'cancelling...'
	expect_err 'cancelled'
	expect_log 'cancel seen while waiting'
	expect_value "$DEV/version" 1.5.06
}

t test_cancel_before_wait
test_cancel_before_wait()
{
	# A cancel while the image is prepared is dropped by the driver; the
	# tool must repeat it once the update waits for TD builds.  The
	# preparation lasts long enough for the signal and the tool's cancel
	# to land inside it on a loaded machine (600 ms did not, once).
	make_tree early
	F_PREPARE_MS=2000 F_BUILDS=1 F_WAIT_MS=10000
	start_fake
	start_tool "$IMG"
	wait_for "$FW/status" preparing
	kill -INT "$TOOL_PID" 2> /dev/null
	finish_tool
	expect_rc 5
	expect_count 1 'cancelling...'
	expect_log 'cancel dropped'
	expect_log 'cancel seen while waiting'
}

t test_cancel_too_late
test_cancel_too_late()
{
	make_tree late
	F_UPDATE_MS=1500
	start_fake
	start_tool --json "$IMG"
	wait_for "$DEV/update_state" updating
	kill -TERM "$TOOL_PID" 2> /dev/null
	finish_tool
	expect_rc 0
	expect_log 'cancel seen too late'
	expect_json 'j["outcome"] == "success"' 'j["cancel_requested"] is True'
	# and without --json, the tool says so
	stop_fake
	make_tree late2
	F_UPDATE_MS=1500
	start_fake
	start_tool "$IMG"
	wait_for "$DEV/update_state" updating
	kill -TERM "$TOOL_PID" 2> /dev/null
	finish_tool
	expect_rc 0
	expect_count 1 'cancelling...'
	expect_err 'the cancel came too late'
}

t test_firmware_invalid
test_firmware_invalid()
{
	make_tree invalid
	F_ERROR=transferring:firmware-invalid
	start_fake
	run_tool "$IMG"
	expect_rc 6
	expect_err 'invalid image: the image was rejected: firmware-invalid'
}

t test_invalid_file_size
test_invalid_file_size()
{
	make_tree size
	F_ERROR=preparing:invalid-file-size
	start_fake
	run_tool "$IMG"
	expect_rc 6
	expect_err 'invalid-file-size'
}

t test_hw_error_dead
test_hw_error_dead()
{
	make_tree dead
	F_ERROR=programming:hw-error F_STATE=dead
	start_fake
	run_tool "$IMG"
	expect_rc 8
	expect_err 'the update failed after the old module was shut down;'
	expect_err 'TDX is unusable until reboot'
}

t test_hw_error_alive
test_hw_error_alive()
{
	make_tree hwerr
	F_ERROR=programming:hw-error F_STATE=idle
	start_fake
	run_tool "$IMG"
	expect_rc 7
	expect_err 'old module still runs'
}

t test_flash_wearout
test_flash_wearout()
{
	make_tree wearout
	F_ERROR=preparing:flash-wearout
	start_fake
	run_tool "$IMG"
	expect_rc 11
}

t test_other_errors
test_other_errors()
{
	make_tree rw
	F_ERROR=transferring:read-write-error
	start_fake
	run_tool "$IMG"
	expect_rc 12
	expect_err 'read-write-error'
	stop_fake
	make_tree bogus
	F_ERROR=transferring:bogus-error
	start_fake
	run_tool "$IMG"
	expect_rc 12
	expect_err 'transferring:bogus-error'
}

t test_no_fw_upload_dir
test_no_fw_upload_dir()
{
	make_tree nodir
	rm -rf "$FW"
	run_tool --nonblock "$IMG"
	expect_rc 10
	expect_err 'no update support'
	expect_value "$DEV/update_mode" block
}

t test_state_unsupported
test_state_unsupported()
{
	make_tree unsupported
	echo unsupported > "$DEV/update_state"
	F_ERROR=transferring:hw-error
	F_STATE=unsupported
	start_fake
	run_tool "$IMG"
	expect_rc 10
	expect_err 'does not support runtime update'
	expect_log 'upload size=12345'
}

# "unsupported" before the first probe: the kernel probes again and updates
t test_state_unsupported_until_probed
test_state_unsupported_until_probed()
{
	make_tree probed
	echo unsupported > "$DEV/update_state"
	start_fake
	run_tool "$IMG"
	expect_rc 0
	expect_value "$DEV/version" 1.5.08
}

t test_dead_before
test_dead_before()
{
	make_tree deadbefore
	echo dead > "$DEV/update_state"
	run_tool --timeout 5000 "$IMG"
	expect_rc 8
	expect_err 'TDX is unusable until reboot'
	expect_value "$DEV/update_timeout_ms" 60000
}

t test_upload_running_before
test_upload_running_before()
{
	make_tree running
	echo transferring > "$FW/status"
	run_tool "$IMG"
	expect_rc 3
	expect_err 'another firmware upload is running'
}

t test_json_success
test_json_success()
{
	make_tree json
	F_BUILDS=1 F_WAIT_MS=600
	start_fake
	run_tool --json "$IMG"
	expect_rc 0
	expect_json 'j["outcome"] == "success"' 'j["exit_code"] == 0' \
		'j["error"] == ""' 'j["version_before"] == "1.5.06"' \
		'j["version_after"] == "1.5.08"' 'j["state_after"] == "idle"' \
		'j["cancel_requested"] is False' \
		'isinstance(j["elapsed_ms"], int) and j["elapsed_ms"] >= 600' \
		'j.get("lock_holder_pid", 0) is None' \
		'j.get("backstop", 0) is None' 'len(j) == 10'
	[[ -z $ERR ]] || fail "--json printed on stderr: $ERR"
}

t test_backstop_shown
test_backstop_shown()
{
	local b

	for b in none avoid-compat-sensitive; do
		make_tree "backstop-$b"
		echo "$b" > "$DEV/update_backstop"
		start_fake
		run_tool "$IMG"
		expect_rc 0
		[[ $OUT$ERR == *"backstop: $b ("* ]] ||
			fail "backstop $b not shown: $OUT$ERR"
		stop_fake
		make_tree "backstop-json-$b"
		echo "$b" > "$DEV/update_backstop"
		start_fake
		run_tool --json "$IMG"
		expect_rc 0
		expect_json "j[\"backstop\"] == \"$b\""
		stop_fake
	done
}

t test_json_error
test_json_error()
{
	make_tree jsonerr
	F_ERROR=programming:hw-error F_STATE=dead
	start_fake
	run_tool --json "$IMG"
	expect_rc 8
	expect_json 'j["outcome"] == "module dead"' 'j["exit_code"] == 8' \
		'j["error"] == "programming:hw-error"' \
		'j["state_after"] == "dead"'
}

t test_bad_timeout
test_bad_timeout()
{
	local v

	make_tree badtimeout
	for v in 0 3600001 -5 abc 10x ''; do
		run_tool --timeout "$v" "$IMG"
		[[ $RC == 2 ]] || fail "--timeout '$v': exit code $RC, expected 2"
	done
	run_tool --timeout 0 --nonblock "$IMG"
	expect_rc 2
	expect_err 'invalid --timeout'
	run_tool --json --timeout 0 "$IMG"
	expect_rc 2
	expect_json 'j["outcome"] == "usage error"' 'j["exit_code"] == 2'
	expect_value "$DEV/update_mode" block
	expect_value "$DEV/update_timeout_ms" 60000
	expect_value "$FW/cancel" ''
}

t test_bad_image_and_args
test_bad_image_and_args()
{
	make_tree badimage
	run_tool "$ROOT/no-such-image"
	expect_rc 2
	expect_err 'cannot read image'
	: > "$ROOT/empty.bin"
	run_tool "$ROOT/empty.bin"
	expect_rc 2
	run_tool
	expect_rc 2
	run_tool --bogus "$IMG"
	expect_rc 2
	run_tool "$IMG" "$IMG"
	expect_rc 2
}

t test_no_permission
test_no_permission()
{
	make_tree noperm
	chmod 0755 "$TMP"
	chmod -R a+rX "$ROOT"
	chmod 0644 "$FW/data"
	if [[ $(id -u) == 0 ]]; then
		# Run as nobody; root-owned 0644 files are then read-only
		if ! command -v setpriv > /dev/null; then
			SKIP="setpriv not available to drop root"
			return
		fi
		TDX_SYSFS_ROOT=$ROOT timeout -k 2 "$TOOL_TIMEOUT" setpriv \
			--reuid=65534 --regid=65534 --clear-groups \
			"$TOOL" "$IMG" > "$ROOT/stdout" 2> "$ROOT/stderr"
		RC=$?
		ERR=$(< "$ROOT/stderr")
		expect_rc 9
		TDX_SYSFS_ROOT=$ROOT timeout -k 2 "$TOOL_TIMEOUT" setpriv \
			--reuid=65534 --regid=65534 --clear-groups \
			"$TOOL" --nonblock "$IMG" > "$ROOT/stdout" \
			2> "$ROOT/stderr"
		RC=$?
		ERR=$(< "$ROOT/stderr")
	else
		chmod 0444 "$FW/loading" "$DEV/update_mode"
		run_tool --nonblock "$IMG"
	fi
	expect_rc 9
	expect_err 'no permission'
	expect_value "$DEV/update_mode" block
}

# Another process holds the lock: the tool names it, exits with 13 and does
# not touch the upload files
t test_lock_held
test_lock_held()
{
	make_tree locked
	if ! command -v flock > /dev/null; then
		SKIP="flock(1) not available"
		return
	fi
	start_fake
	hold_lock pid || return
	run_tool "$IMG"
	expect_rc 13
	expect_err "locked: another upload is running: $LOCKF is held by pid $HOLDER (sleep);"
	expect_err 'nothing was touched'
	expect_no_upload
	expect_value "$LOCKF" "$HOLDER"
	run_tool --json --nonblock "$IMG"
	expect_rc 13
	expect_json 'j["outcome"] == "locked"' 'j["exit_code"] == 13' \
		"j.get('lock_holder_pid') == $HOLDER" 'j["error"] == ""'
	[[ -z $ERR ]] || fail "--json printed on stderr: $ERR"
	expect_value "$DEV/update_mode" block
	expect_no_upload
	release_lock

	# A holder that writes no PID (flock(1) in a script), a stale one left
	echo 99999999 > "$LOCKF"
	hold_lock || return
	run_tool --json "$IMG"
	expect_rc 13
	expect_json 'j["outcome"] == "locked"' \
		'"lock_holder_pid" in j and j["lock_holder_pid"] is None'
	run_tool "$IMG"
	expect_rc 13
	expect_err 'is held by a process that did not write its PID there'
	expect_no_upload
	release_lock

	# Free again: the tool takes it and uploads
	run_tool "$IMG"
	expect_rc 0
	expect_log_count 1 'loading=0'
}

# Two invocations at once against one kernel: one uploads, the other exits
# with 13 and names it
t test_lock_concurrent
test_lock_concurrent()
{
	local p1 p2 rc1 rc2 winner='' loser_err

	make_tree concurrent
	F_BUILDS=1 F_WAIT_MS=1000
	start_fake
	TDX_SYSFS_ROOT=$ROOT "$TOOL" "$IMG" > "$ROOT/stdout1" \
		2> "$ROOT/stderr1" &
	p1=$!
	TDX_SYSFS_ROOT=$ROOT "$TOOL" "$IMG" > "$ROOT/stdout2" \
		2> "$ROOT/stderr2" &
	p2=$!
	wait_tool "$p1"
	rc1=$RC
	wait_tool "$p2"
	rc2=$RC
	if [[ $rc1 == 0 && $rc2 == 13 ]]; then
		winner=$p1
		loser_err=$ROOT/stderr2
	elif [[ $rc1 == 13 && $rc2 == 0 ]]; then
		winner=$p2
		loser_err=$ROOT/stderr1
	else
		fail "exit codes $rc1 and $rc2, expected 0 and 13"
	fi
	if [[ -n $winner ]]; then
		grep -qF "is held by pid $winner ($TOOL_COMM);" "$loser_err" ||
			fail "the loser does not name pid $winner ($TOOL_COMM): $(cat "$loser_err")"
		[[ ! -s $LOCKF ]] || fail "a PID left in the lock file"
	fi
	expect_log_count 1 'loading=1'
	expect_log_count 1 'loading=0'
	expect_log_count 1 "upload size=$(wc -c < "$IMG")"
	cmp -s "$IMG" "$ROOT/data.bin" || fail "data differs from the image"
	expect_value "$DEV/version" 1.5.08
	ERR=$(cat "$ROOT/stderr1" "$ROOT/stderr2")
}

# run_pending_sigint ARGS...: run the tool with a SIGINT pending and blocked
# from before its first instruction (both survive execve), sets RC OUT ERR
run_pending_sigint()
{
	TDX_SYSFS_ROOT=$ROOT timeout -k 2 "$TOOL_TIMEOUT" python3 -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
os.kill(os.getpid(), signal.SIGINT)
if signal.SIGINT not in signal.sigpending():
	sys.exit(99)
os.execv(sys.argv[1], sys.argv[1:])
' "$TOOL" "$@" > "$ROOT/stdout" 2> "$ROOT/stderr"
	RC=$?
	OUT=$(< "$ROOT/stdout")
	ERR=$(< "$ROOT/stderr")
}

# A SIGINT pending at start cancels before anything is uploaded
t test_sigint_pending_at_start
test_sigint_pending_at_start()
{
	make_tree pending
	start_fake
	run_pending_sigint "$IMG"
	[[ $RC != 99 ]] || { fail "python could not make SIGINT pending"; return; }
	expect_rc 5
	expect_count 1 'cancelling...'
	expect_err 'cancelled: cancelled before the update started'
	expect_no_upload
	run_pending_sigint --json --timeout 5000 "$IMG"
	expect_rc 5
	expect_json 'j["outcome"] == "cancelled"' 'j["cancel_requested"] is True'
	expect_no_upload
	expect_value "$DEV/update_timeout_ms" 60000
	expect_value "$DEV/version" 1.5.06
}

# A SIGINT in the tool's first system calls: strace injects it right after
# the first rt_sigaction() and the first ioctl() (the terminal check), so it
# comes before the tool is ready for it unless the handler is in place from
# the start of main().  It must cancel: not kill the tool, not be lost.
t test_sigint_at_first_syscalls
test_sigint_at_first_syscalls()
{
	make_tree firstsyscalls
	if ! command -v strace > /dev/null ||
	   ! strace -qq -o /dev/null true 2> /dev/null; then
		SKIP="strace not available or not allowed to trace"
		return
	fi
	start_fake
	TDX_SYSFS_ROOT=$ROOT timeout -k 2 "$TOOL_TIMEOUT" strace -qq \
		-o "$ROOT/strace.log" -e trace=rt_sigaction,ioctl \
		-e inject=rt_sigaction:signal=SIGINT:when=1 \
		-e inject=ioctl:signal=SIGINT:when=1 \
		"$TOOL" "$IMG" > "$ROOT/stdout" 2> "$ROOT/stderr"
	RC=$?
	ERR=$(< "$ROOT/stderr")
	grep -q '^--- SIGINT' "$ROOT/strace.log" ||
		fail "strace injected no SIGINT"
	expect_rc 5
	expect_err 'cancelled: cancelled before the update started'
	expect_no_upload
}

# No lock directory: refused, not created
t test_lock_dir_missing
test_lock_dir_missing()
{
	make_tree nolockdir
	rmdir "$ROOT/run"
	run_tool "$IMG"
	expect_rc 12
	expect_err "cannot open the lock file $LOCKF"
	[[ ! -e $ROOT/run ]] || fail "the tool created $ROOT/run"
	expect_value "$FW/cancel" ''
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
	if [[ -n $SKIP ]]; then
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
