#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the test VM: the kernel's own boot-time TDX
# initialization ran against the simulated module, upstream's tdx_host
# device and its fw_upload are there, and an update through them lands.
# Prints TAP.

host=/sys/devices/faux/tdx_host
fw=/sys/class/firmware/tdx_module
sim=/sys/module/tdx_sim/parameters
# TDX_FEATURES0 of the real release 1.5.06 (no UPDATE_COMPAT)
features=0x2E1F0FBF
n=0
failed=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

# expect DESCRIPTION WANT GOT
expect() {
	[ "$2" = "$3" ]
	result $? "$1"
	[ "$2" = "$3" ] || echo "# want '$2', got '$3'"
}

running() {
	cut -d' ' -f1 "$sim/running"
}

# upload IMAGE: the fw_upload sequence; prints the error ("" if none)
upload() {
	echo 1 > "$fw/loading" || return 1
	cat "$1" > "$fw/data" || return 1
	echo 0 > "$fw/loading" || return 1
	i=0
	while [ "$(cat "$fw/status")" != idle ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat "$fw/error"
}

# alive: the kernel still has a TDX module (version readable) and the
# simulator runs one
alive() {
	cat "$host/version" > /dev/null 2>&1 &&
		[ "$(cat "$sim/phase")" = running ]
}

# refused DESCRIPTION IMAGE ERROR: the upload fails with fw_upload error
# ERROR and TDX lives on; a dead module is brought back (a power cycle,
# then an update) for what follows
refused() {
	err=$(upload "$2")
	[ "${err##*:}" = "$3" ] && alive
	result $? "$1"
	[ "${err##*:}" = "$3" ] || echo "# want error '$3', got '$err'"
	if ! alive; then
		echo "# TDX is dead, reviving it"
		echo "$remaining" > "$sim/reset"
		tdx-sim-mkimage --version "$(running)" --features "$features" \
			/tmp/revive.img
		upload /tmp/revive.img > /dev/null
	fi
}

echo "TAP version 13"
echo "1..27"

dmesg | grep -q 'virt/tdx: TDX-Module initialized'
result $? "the kernel initialized the TDX module at boot"
expect "the simulator finished boot initialization" running \
	"$(cat "$sim/phase")"
expect "tdx_host reports the module's version" "$(running)" \
	"$(cat "$host/version" 2>&1)"
expect "tdx_host reports the P-SEAMLDR's version" 1.5.02 \
	"$(cat "$host/seamldr_version" 2>&1)"
remaining=$(cat "$sim/remaining")
expect "tdx_host reports the updates left" "$remaining" \
	"$(cat "$host/num_remaining_updates" 2>&1)"
[ -e "$fw/loading" ] && [ -e "$fw/data" ]
result $? "fw_upload tdx_module is there"

tdx-sim-mkimage --version 1.5.7 --features "$features" /tmp/1.5.07.img
expect "an update to 1.5.07 through fw_upload completes" "" \
	"$(upload /tmp/1.5.07.img)"
expect "the module runs 1.5.07" 1.5.07 "$(running)"
expect "tdx_host reports 1.5.07" 1.5.07 "$(cat "$host/version" 2>&1)"
expect "the update used one of the P-SEAMLDR's updates" \
	$((remaining - 1)) "$(cat "$host/num_remaining_updates" 2>&1)"

# Images the P-SEAMLDR refuses must be refused before the running
# module is shut down: after TDH.SYS.SHUTDOWN nothing brings it back.
remaining=$(cat "$sim/remaining")
tdx-sim-mkimage --malform=no-module /tmp/no-module.img
refused "an image with no module pages is refused, TDX lives on" \
	/tmp/no-module.img firmware-invalid
tdx-sim-mkimage --malform=no-sigstruct /tmp/no-sigstruct.img
refused "an image with no sigstruct is refused, TDX lives on" \
	/tmp/no-sigstruct.img firmware-invalid
echo 0 > "$sim/reset"
tdx-sim-mkimage --version 1.5.8 --features "$features" /tmp/1.5.08.img
refused "no update left on the P-SEAMLDR: refused, TDX lives on" \
	/tmp/1.5.08.img flash-wearout
echo "$remaining" > "$sim/reset"

# SEAMLDR.INSTALL must run on every CPU; an offline CPU cannot.
cpu1=/sys/devices/system/cpu/cpu1/online
echo 0 > "$cpu1"
tdx-sim-mkimage --version 1.5.9 --features "$features" /tmp/1.5.09.img
err=$(upload /tmp/1.5.09.img)
[ "${err##*:}" = device-busy ] && alive
result $? "a CPU offline: the update is refused, TDX lives on"
# A dead module cannot take the CPU back (its LP.INIT fails).
echo 1 > "$cpu1" 2> /dev/null || echo "# error '$err'; cpu1 stays offline"

# The attributes of the update, and bad writes to them.
expect "update_state is idle" idle "$(cat "$host/update_state")"
expect "no build in flight" 0 "$(cat "$host/builds_in_flight")"
expect "a module without UPDATE_COMPAT: no backstop" none \
	"$(cat "$host/update_backstop")"
expect "the deadline defaults to 60 s" 60000 "$(cat "$host/update_timeout_ms")"
bad=0
for v in 0 +7 010 -1 abc 3600001; do
	printf '%s' "$v" > "$host/update_timeout_ms" 2> /dev/null && bad=1
done
printf '12\000junk' > "$host/update_timeout_ms" 2> /dev/null && bad=1
expect "bad deadlines are refused, the deadline unchanged" "0 60000" \
	"$bad $(cat "$host/update_timeout_ms")"
echo nonblock > "$host/update_mode"
m=$(cat "$host/update_mode")
echo sometimes > "$host/update_mode" 2> /dev/null && m="$m taken"
echo block > "$host/update_mode"
expect "update_mode takes block and nonblock, nothing else" nonblock "$m"

# The backstop follows the running module.
tdx-sim-mkimage --version 1.5.10 --features 0x80002E1F0FBF /tmp/compat.img
upload /tmp/compat.img > /dev/null
expect "a module with UPDATE_COMPAT: the backstop is on" \
	avoid-compat-sensitive "$(cat "$host/update_backstop")"
tdx-sim-mkimage --version 1.5.11 --features "$features" /tmp/1.5.11.img
upload /tmp/1.5.11.img > /dev/null
expect "back to a module without it: off again" none \
	"$(cat "$host/update_backstop")"

# An update task slow to reach the gate, called off by cancel and by
# its deadline: the module is unchanged and the gate open again.
echo 2000 > "$sim/update_start_delay_ms"
tdx-sim-mkimage --version 1.5.12 --features "$features" /tmp/1.5.12.img
(upload /tmp/1.5.12.img > /tmp/cancel.err) &
sleep 0.5
echo 1 > "$fw/cancel"
wait
expect "cancel while the update waits: user-abort" user-abort \
	"$(sed 's/.*://' /tmp/cancel.err)"
expect "... the module unchanged, the gate open" "1.5.11 idle" \
	"$(cat "$host/version") $(cat "$host/update_state")"
echo 100 > "$host/update_timeout_ms"
expect "the deadline passes first: timeout" timeout \
	"$(upload /tmp/1.5.12.img | sed 's/.*://')"
expect "... the module unchanged, the gate open" "1.5.11 idle" \
	"$(cat "$host/version") $(cat "$host/update_state")"
echo 60000 > "$host/update_timeout_ms"
echo 0 > "$sim/update_start_delay_ms"
expect "then an update goes through" "" "$(upload /tmp/1.5.12.img)"

echo "# upstream: $n tests, $failed failed"
[ $failed = 0 ]
