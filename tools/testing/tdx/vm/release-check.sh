#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the test VM: tdx-module-update pointed at release directories laid
# out as Intel publishes them, made by mk-release-dir.py --sim on the
# host, whose modules the simulated P-SEAMLDR accepts.  Prints TAP.
#
#   tdx-release-check VERSION
#
# /releases/other lists only CPUs other than the VM's: the tool must say
# that nothing can be loaded, because of the CPU, and leave the module
# as it is.  /releases/sim lists the VM's CPU (QEMU's -cpu family, model
# and stepping): the tool must choose VERSION, convert it and update to
# it under the gate while TDs are built (tdx-demo --release), every MRTD
# verified.

dir=/releases/sim
host=/sys/devices/faux/tdx_host
# tdx-module-update's exit code for "no release can be loaded"
NOTHING_LOADABLE=14
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

# show FILE: as TAP comments
show() {
	sed 's/^/# /' "$1"
}

cpu=$(sed -n 's/^cpu family[^0-9]*\([0-9]*\)/\1/p' /proc/cpuinfo | head -n 1)
model=$(sed -n 's/^model[^0-9a-z]*: *\([0-9]*\)$/\1/p' /proc/cpuinfo | head -n 1)
stepping=$(sed -n 's/^stepping[^0-9]*\([0-9]*\)/\1/p' /proc/cpuinfo | head -n 1)
echo "# CPU family $cpu model $model stepping $stepping," \
	"module $(cat $host/version), P-SEAMLDR $(cat $host/seamldr_version)"

want=${1:?usage: tdx-release-check VERSION}
other=/releases/other
echo "1..9"

# The CPU is not listed: nothing to load, nothing changes.
v0=$(cat $host/version)
tdx-module-update --list "$other" > /tmp/list.out 2>&1
show /tmp/list.out
grep -q 'cpu-not-listed' /tmp/list.out && ! grep -q ' yes: ' /tmp/list.out
result $? "--list $other: no release loadable, this CPU not listed"
tdx-module-update "$other" > /tmp/upload.out 2>&1
rc=$?
show /tmp/upload.out
[ $rc = $NOTHING_LOADABLE ] && grep -q 'cpu-not-listed' /tmp/upload.out
result $? "tdx-module-update $other: nothing loadable, the CPU (exit $rc)"
[ "$(cat $host/version)" = "$v0" ] &&
	[ "$(cat $host/update_state)" = idle ] &&
	[ "$(cat $host/builds_in_flight)" = 0 ]
result $? "the module still runs $v0, the gate is open, no hold is out"

# The CPU is listed: choose, convert, update under the gate.
tdx-module-update --list "$dir" > /tmp/list.out 2>&1
result $? "--list $dir reads the release directory"
show /tmp/list.out
tdx-module-update --plan "$dir" > /tmp/plan.out 2>&1
rc=$?
show /tmp/plan.out
[ $rc = 0 ] && grep -q "$want" /tmp/plan.out
result $? "--plan $dir chooses $want on this CPU"
tdx-demo --release "$dir" --expect "$want" > /tmp/demo.out 2>&1
rc=$?
show /tmp/demo.out
result $rc "tdx-module-update $dir updates $v0 -> $want while TDs are built, every MRTD verified"
[ "$(cat $host/version)" = "$want" ]
result $? "the module runs $want"
[ "$(cat $host/update_state)" = idle ] &&
	[ "$(cat $host/builds_in_flight)" = 0 ]
result $? "after the update the gate is open and no hold is out"
tdx-module-update "$dir" > /tmp/again.out 2>&1
rc=$?
show /tmp/again.out
[ $rc = $NOTHING_LOADABLE ] && [ "$(cat $host/version)" = "$want" ] &&
	[ "$(cat $host/update_state)" = idle ]
result $? "again: nothing newer to load (exit $rc), $want still runs, gate open"
[ $failed = 0 ]
