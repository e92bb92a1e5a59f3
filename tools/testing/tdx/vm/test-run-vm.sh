#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh's boot watchdog: a boot that does not reach /init in time is
# stopped, its vCPUs' registers are read, and it is booted once more;
# two stalls in a row end the run with 125.  A limit of one second makes
# every boot stall.  Prints TAP.
#
# Usage: test-run-vm.sh BZIMAGE INITRAMFS OUTDIR [ACCEL]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel=$1 initrd=$2 outdir=$3 accel=${4:-tcg}
n=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
	fi
}

rm -rf "$outdir"
mkdir -p "$outdir"
echo "1..5"
BOOT_LIMIT_S=1 "$here/run-vm.sh" "$kernel" "$initrd" demo "$outdir" 120 \
	"$accel" 2> "$outdir/stderr"
rc=$?
[ "$rc" = 125 ]
result $? "two stalled boots end the run with 125 (got $rc)"
grep -q 'no /init after 1 s (boot 1)' "$outdir/stderr" &&
	grep -q 'no /init after 1 s (boot 2)' "$outdir/stderr"
result $? "each stalled boot is reported"
[ -f "$outdir/console.stall-1.log" ] && [ -f "$outdir/console.stall-2.log" ]
result $? "each stalled boot's log is kept"
# CPU#1 may still be in real mode (EIP=) this early.
regs=$(grep -c '^[RE]IP=' "$outdir/stall-regs-1.txt" 2>/dev/null)
[ "${regs:-0}" = 2 ] && grep -q '^CPU#1' "$outdir/stall-regs-1.txt"
result $? "the registers of both vCPUs are read (IP lines: ${regs:-0})"
! grep -q 'tdx_vm: exit=' "$outdir/demo.out"
result $? "the run never started"
