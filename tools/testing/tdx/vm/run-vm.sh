#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test kernel with the test initramfs, two vCPUs, and play one
# run.  The kernel log goes to OUTDIR/console.log, what the run printed
# to OUTDIR/RUN.out.  Exits with the run's own exit code (125 if the VM
# never said it finished).
#
# Usage: run-vm.sh BZIMAGE INITRAMFS RUN OUTDIR [TIMEOUT_S] [ACCEL] [OPTS]
#
# OPTS: the run program's arguments, comma-separated (tdx.opts=).
# QEMU_CPU in the environment: QEMU's -cpu model (default: QEMU's own);
# BOOT_LIMIT_S: how long a boot may take to reach /init (default 120);
# VM_EXTRA_ARGS: more kernel parameters (make bench: idle=poll).
set -uo pipefail

kernel=$1 initrd=$2 run=$3 outdir=$4 limit=${5:-900} accel=${6:-tcg}
opts=${7:-}
mkdir -p "$outdir"
console=$outdir/console.log
output=$outdir/$run.out
: > "$output"

# reboot=t: the Makefile's VM_KERNEL_ARGS, a reset by triple fault,
# which -no-reboot turns into QEMU's exit.  nokaslr: a stalled boot's
# RIPs then name functions in vmlinux.
cmdline="console=ttyS0 kunit.enable=0 panic=-1 reboot=t nokaslr"
cmdline+=" tdx.run=$run${VM_EXTRA_ARGS:+ $VM_EXTRA_ARGS}"
cmdline+=${opts:+ tdx.opts=$opts}

# A boot must reach /init within BOOT_LIMIT_S seconds (the test kernel,
# lockdep and KCSAN on, boots and plays the whole demo in 10 s under
# TCG here).  Once in about 60 boots a TCG guest has hung before /init,
# both vCPUs busy and nothing in the log; such a boot is stopped, its
# vCPUs' registers and log are kept beside the run's, and the run is
# booted once more.  A stalled log that shows a kernel report is not
# retried: the report is the failure.
boot_limit=${BOOT_LIMIT_S:-120}
here=$(cd "$(dirname "$0")" && pwd)
qmp=$outdir/qmp.sock

# boot_vm TRY: one boot; returns QEMU's exit code, or 124 from timeout,
# or 200 if the boot stalled before /init (registers in
# stall-regs-TRY.txt).
boot_vm() {
	local try=$1 pid t=0

	rm -f "$qmp"
	# The Makefile's QEMU_MACHINE: a PC without the PS/2 controller.
	timeout "$limit" qemu-system-x86_64 -nodefaults \
		-machine pc,i8042=off -m 2048 -smp 2 \
		${QEMU_CPU:+-cpu "$QEMU_CPU"} -accel "$accel" -bios qboot.rom \
		-no-reboot -nographic \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-serial "file:$console" -serial "file:$output" -monitor none \
		-qmp "unix:$qmp,server=on,wait=off" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q 'Run /init as init process' "$console" 2>/dev/null
		then
			wait "$pid"
			return
		fi
		if [ "$t" -ge "$boot_limit" ]; then
			python3 "$here/vm-regs.py" "$qmp" "$kernel" \
				> "$outdir/stall-regs-$try.txt" 2>&1
			kill "$pid" 2>/dev/null
			wait "$pid"
			return 200
		fi
		sleep 1
		t=$((t + 1))
	done
	wait "$pid"
}

for try in 1 2; do
	: > "$console"
	: > "$output"
	boot_vm "$try"
	qemu_rc=$?
	[ "$qemu_rc" = 200 ] || break
	stalled=$outdir/console.stall-$try.log
	cp "$console" "$stalled"
	echo "run-vm: $run: no /init after $boot_limit s (boot $try);" \
		"log in $stalled, vCPU registers in stall-regs-$try.txt" >&2
	tail -n 1 "$stalled" | sed 's/^/run-vm: last line: /' >&2
	# A log cut short never says whether lockdep is still on: not a
	# report of its own here.  A real one stays in console.log.
	if python3 "$here/../check-log.py" "$stalled" - |
		grep '^KERNEL REPORT' | grep -qv 'never says whether lockdep'
	then
		echo "run-vm: the stalled boot logged a kernel report" >&2
		break
	fi
done
rm -f "$qmp"

rc=$(sed -n 's/^tdx_vm: exit=\([0-9]*\).*/\1/p' "$output" | tail -n 1)
if [ -z "$rc" ]; then
	echo "run-vm: the VM did not finish the run (qemu exit $qemu_rc)" >&2
	exit 125
fi
exit "$rc"
