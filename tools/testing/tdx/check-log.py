#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a test run from its console log (and kunit.py's JSON results).

Counts KUnit cases (each parameter of a parameterized case counts once)
and kselftest TAP results, and fails the run on any kernel report in the
log, whatever the tests said: lockdep, KCSAN, hung task, WARNING, BUG,
Oops, panic, or lockdep having switched itself off.  Prints a table per
suite, the reports found, and closes with "N passed, N failed".

Usage: check-log.py LOG [KUNIT_JSON|-] [TAP...]
       check-log.py --selftest
"""
import json
import os
import re
import sys

REPORTS = [
    (re.compile(r'WARNING: .*(lock|LOCK|recursive|circular|suspicious)'), 'lockdep'),
    (re.compile(r'possible (recursive|circular) locking|inconsistent lock state|'
                r'lock held when returning to user space|'
                r'bad unlock balance|suspicious RCU usage'), 'lockdep'),
    (re.compile(r'turning off the locking correctness validator'), 'lockdep'),
    (re.compile(r'BUG: KCSAN:'), 'KCSAN'),
    (re.compile(r'INFO: task .* blocked for more than'), 'hung task'),
    (re.compile(r'WARNING: CPU: \d+ PID: \d+'), 'WARNING'),
    # 7.3 and later: "WARNING: FILE:LINE at FUNC+OFF/SIZE, CPU#N: COMM/PID"
    (re.compile(r'WARNING: \S+:\d+ at \S+'), 'WARNING'),
    (re.compile(r'BUG: |kernel BUG at'), 'BUG'),
    (re.compile(r'Oops: |general protection fault|Kernel panic'), 'Oops/panic'),
    (re.compile(r'UBSAN: |KASAN: '), 'sanitizer'),
    (re.compile(r'tdx_check: debug_locks=0'), 'debug_locks=0'),
]


# One line of each kind of report, as the kernel prints it: --selftest
# checks that every one of them is caught, so the judge itself can fail.
SAMPLES = [
    'WARNING: possible circular locking dependency detected',
    'WARNING: possible recursive locking detected',
    'WARNING: lock held when returning to user space!',
    'WARNING: bad unlock balance detected!',
    'INFO: turning off the locking correctness validator.',
    'BUG: KCSAN: data-race in tdx_build_begin / tdx_build_end',
    'INFO: task tdx_update:123 blocked for more than 30 seconds.',
    'WARNING: CPU: 1 PID: 42 at arch/x86/virt/vmx/tdx/update.c:10 f+0x1/0x2',
    'WARNING: arch/x86/virt/vmx/tdx/tdx.c:1323 at tdx_module_run_update+0x158/0x180, CPU#0: migration/0/18',
    'BUG: sleeping function called from invalid context at kernel/x.c:1',
    'kernel BUG at mm/slub.c:100!',
    'Oops: general protection fault, probably for non-canonical address',
    'Kernel panic - not syncing: Fatal exception',
    'tdx_check: debug_locks=0',
]


def find_reports(lines):
    found = []
    for line in lines:
        for rx, kind in REPORTS:
            if rx.search(line):
                found.append(f'{kind}: {line.strip()}')
                break
    return found


def selftest():
    missed = [s for s in SAMPLES if not find_reports([s])]
    clean = ['tdx: module updated from 1.5.06 to 1.5.07',
             'tdx_check: debug_locks=1', 'ok 1 tdx_update_gate']
    false_hits = find_reports(clean)
    for s in missed:
        print(f'check-log selftest: not caught: {s}')
    for s in false_hits:
        print(f'check-log selftest: false report: {s}')
    print(f'check-log selftest: {len(SAMPLES) - len(missed)}/{len(SAMPLES)} '
          f'reports caught, {len(false_hits)} false reports')
    return 1 if missed or false_hits else 0


def walk(group, suite, out):
    for case in group.get('test_cases', []):
        out.append((suite, case['name'], case['status']))
    for sub in group.get('sub_groups', []):
        walk(sub, sub['name'] if suite is None else suite, out)


def main():
    if sys.argv[1:] == ['--selftest']:
        return selftest()
    if len(sys.argv) < 2:
        print('usage: check-log.py LOG [KUNIT_JSON] [TAP...]', file=sys.stderr)
        return 2
    log = open(sys.argv[1], errors='replace').read()
    results = []
    if len(sys.argv) > 2 and sys.argv[2] != '-':
        kunit = {}
        try:
            kunit = json.load(open(sys.argv[2]))
        except (OSError, ValueError) as e:
            print(f'check-log: cannot read KUnit results: {e}')
        before = len(results)
        walk(kunit, None, results)
        # A kernel that never ran its tests (it died at boot, say) gives
        # kunit.py nothing to parse: that is a failure, not zero tests.
        # Parse errors are counted where kunit.py reports them (misc).
        errors = kunit.get('misc', {}).get('errors', 0)
        if len(results) == before or errors:
            results.append(('kunit', f'KUnit run: {len(results) - before} '
                            f'cases, {errors} errors from kunit.py', 'FAIL'))
    for tap in sys.argv[3:]:
        name = os.path.splitext(os.path.basename(tap))[0]
        plan, seen = None, 0
        try:
            lines = open(tap, errors='replace').readlines()
        except OSError:
            lines = []
        for line in lines:
            p = re.match(r'1\.\.(\d+)\s*$', line)
            if p and plan is None:
                plan = int(p.group(1))
            # Top-level results only: one line per test case.
            m = re.match(r'(not ok|ok) \d+ (.*?)(\s+# (SKIP|skip).*)?$', line)
            if m:
                seen += 1
                status = 'SKIP' if m.group(3) else ('PASS' if m.group(1) == 'ok' else 'FAIL')
                results.append((name, m.group(2).strip(), status))
        # A run that died counts every test it never reported.
        if plan is None:
            results.append((name, 'TAP plan (the run produced no plan)', 'FAIL'))
        for i in range(seen, plan or 0):
            results.append((name, f'test {i + 1} never reported', 'FAIL'))

    suites = {}
    for suite, _, status in results:
        s = suites.setdefault(suite, {'PASS': 0, 'FAIL': 0, 'SKIP': 0})
        s[status if status in s else 'FAIL'] += 1
    print(f'{"suite":<28} {"passed":>6} {"failed":>6} {"skipped":>7}')
    for name, s in suites.items():
        print(f'{name:<28} {s["PASS"]:>6} {s["FAIL"]:>6} {s["SKIP"]:>7}')
    for suite, name, status in results:
        if status not in ('PASS', 'SKIP'):
            print(f'FAILED: {suite}.{name} ({status})')

    reports = find_reports(log.splitlines())
    if 'tdx_check: debug_locks=1' not in log and 'tdx_check: debug_locks=0' not in log:
        reports.append('debug_locks: the log never says whether lockdep is still on')
    for r in reports[:20]:
        print(f'KERNEL REPORT {r}')
    print(f'kernel reports: {len(reports)}')

    passed = sum(s['PASS'] for s in suites.values())
    failed = sum(s['FAIL'] for s in suites.values()) + (1 if reports else 0)
    if not results:
        print('no test results found')
        failed += 1
    print(f'{passed} passed, {failed} failed')
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
