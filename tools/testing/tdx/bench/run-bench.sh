#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the kernel with an initramfs that has /bin/tdx-bench,
# run the benchmark, look for kernel reports in the log, and write the
# report (results.md, data, chart) to OUTDIR.
#
# Usage: run-bench.sh BZIMAGE INITRAMFS OUTDIR [TIMEOUT_S [ACCEL [OPT...]]]
#
# OPTs go to tdx-bench, e.g. --loads 1 4 --seconds 10 (no blanks or
# commas inside one OPT: they travel on the kernel command line).
# Exits 0 only if the run completed, the kernel reported nothing and
# every acceptance check of report.py passed.
#
# BENCH_KERNEL_ARGS in the environment: the guest's kernel parameters,
# by default idle=poll.  Under TCG here a vCPU that halted takes
# milliseconds to get going again, even for the steps inside
# stop_machine() where no CPU sleeps: every policy's update then costs
# several times what it costs on a guest whose idle vCPUs poll (the
# design document has both runs).  Set it empty to measure with that.
set -uo pipefail

if [ $# -lt 3 ]; then
	sed -n 's/^# Usage: //p' "$0" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
tdx=$(dirname "$here")
kernel=$1 initrd=$2 outdir=$3 limit=${4:-2400} accel=${5:-tcg}
shift $(($# < 5 ? $# : 5))
opts=$(IFS=,; echo "$*")

mkdir -p "$outdir"
start=$(date +%s)
VM_EXTRA_ARGS=${BENCH_KERNEL_ARGS-idle=poll} \
	"$tdx/vm/run-vm.sh" "$kernel" "$initrd" bench "$outdir" "$limit" \
	"$accel" "$opts"
vm_rc=$?
echo "run-bench: the VM ran $(($(date +%s) - start)) s, tdx-bench exit $vm_rc"

# A kernel without lockdep cannot say whether lockdep is still on.
python3 "$tdx/check-log.py" "$outdir/console.log" - > "$outdir/check-log.out"
if grep -q 'tdx_check: debug_locks=unknown' "$outdir/console.log"; then
	reports=$(grep '^KERNEL REPORT' "$outdir/check-log.out" |
		  grep -v 'the log never says whether lockdep is still on')
else
	reports=$(grep '^KERNEL REPORT' "$outdir/check-log.out")
fi
if [ -n "$reports" ]; then
	echo "$reports"
fi
echo "run-bench: kernel reports: $(printf '%s' "$reports" | grep -c .)"

python3 "$here/report.py" "$outdir/bench.out" "$outdir"
report_rc=$?

[ "$vm_rc" = 0 ] && [ -z "$reports" ] && [ "$report_rc" = 0 ]
