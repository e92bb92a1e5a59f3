#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print where the vCPUs of a running QEMU are, for a stalled boot.

Usage: vm-regs.py QMP_SOCKET BZIMAGE

Asks QEMU over QMP for every vCPU's registers and prints them; where
the vmlinux that BZIMAGE was built from lies in its build tree, prints
the function and line of each vCPU's RIP too (addr2line).
"""
import json
import os
import re
import socket
import subprocess
import sys


def qmp_command(sock, f, cmd, args=None):
    msg = {'execute': cmd}
    if args:
        msg['arguments'] = args
    sock.sendall(json.dumps(msg).encode() + b'\n')
    while True:
        reply = json.loads(f.readline())
        if 'return' in reply or 'error' in reply:
            return reply


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(sys.argv[1])
    f = sock.makefile('r')
    json.loads(f.readline())            # the greeting
    qmp_command(sock, f, 'qmp_capabilities')
    reply = qmp_command(sock, f, 'human-monitor-command',
                        {'command-line': 'info registers -a'})
    regs = reply.get('return', str(reply.get('error')))
    print(regs)
    # arch/x86/boot/bzImage -> the build tree's vmlinux
    vmlinux = os.path.join(os.path.dirname(sys.argv[2]), '..', '..', '..',
                           'vmlinux')
    rips = re.findall(r'RIP=([0-9a-f]{16})', regs)
    if not rips or not os.path.exists(vmlinux):
        return 0
    # One address at a time: with -i an address may take several lines.
    for cpu, rip in enumerate(rips):
        res = subprocess.run(['addr2line', '-f', '-i', '-e', vmlinux,
                              '0x' + rip],
                             capture_output=True, text=True, check=False)
        # function, file:line, then the same for each caller inlined
        funcs = res.stdout.splitlines()[0::2]
        print('RIP %d %s: %s' % (cpu, rip, ' <- '.join(funcs)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
