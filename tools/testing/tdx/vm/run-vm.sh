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
# QEMU_CPU in the environment: QEMU's -cpu model (default: QEMU's own).
set -uo pipefail

kernel=$1 initrd=$2 run=$3 outdir=$4 limit=${5:-900} accel=${6:-tcg}
opts=${7:-}
mkdir -p "$outdir"
console=$outdir/console.log
output=$outdir/$run.out
: > "$output"

# reboot=t: the Makefile's VM_KERNEL_ARGS, a reset by triple fault,
# which -no-reboot turns into QEMU's exit.
cmdline="console=ttyS0 kunit.enable=0 panic=-1 reboot=t tdx.run=$run"
cmdline+=${opts:+ tdx.opts=$opts}

# The Makefile's QEMU_MACHINE: a PC without the PS/2 controller.
timeout "$limit" qemu-system-x86_64 -nodefaults -machine pc,i8042=off \
	-m 2048 -smp 2 \
	${QEMU_CPU:+-cpu "$QEMU_CPU"} -accel "$accel" -bios qboot.rom -no-reboot -nographic \
	-kernel "$kernel" -initrd "$initrd" \
	-append "$cmdline" \
	-serial "file:$console" -serial "file:$output" -monitor none \
	</dev/null >/dev/null 2>&1
qemu_rc=$?

rc=$(sed -n 's/^tdx_vm: exit=\([0-9]*\).*/\1/p' "$output" | tail -n 1)
if [ -z "$rc" ]; then
	echo "run-vm: the VM did not finish the run (qemu exit $qemu_rc)" >&2
	exit 125
fi
exit "$rc"
