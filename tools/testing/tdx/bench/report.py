#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report and judge a tdx-bench run (make bench).

Usage: report.py BENCH_OUT OUTDIR

Reads what tdx-bench printed in the VM and writes to OUTDIR:

  results.md   one table row per load and policy, the in-kernel cost of a
               build hold, and the verdict
  points.dat   the per-point numbers, one gnuplot block per series
  updates.dat  every update: latency, lower bound, attempts, outcome
  bench.png    the p99 of latency / own lower bound over the updates
               that found builds in flight, deadline misses and wrong
               MRTDs against the number of builders (needs gnuplot)

and prints the verdict:

  At every load, each gate update is judged against its own lower
  bound: over the updates whose bound is at least SMALL_LB_MS, the p99
  of latency / lower bound is <= 1.2, and the gate leaves zero wrong
  MRTDs.  Below that the bound is the update alone plus builds about to
  end, of the order of the VM's scheduling noise: there the report says
  how far over its bound the update ended, in ms, for every policy side
  by side, instead of a ratio.  Some load must show
  what the gate is for (failfast misses deadlines or none leaves wrong
  MRTDs), and a gate begin/end pair costs <= 2x an uncontended mutex
  pair.

One PASS or FAIL line per check, "note:" lines for what is only said;
exits 1 if any check fails, also when the run is incomplete.
"""
import os
import shutil
import subprocess
import sys

POLICIES = ('gate', 'failfast', 'none')
MAX_RATIO = 1.2
MAX_COST = 2.0
# Below this lower bound (ms) an update is judged by how far over the
# bound it ends, not by the ratio: the update alone takes about 7 ms, and
# a 2-vCPU VM under TCG delays a step by 10-30 ms now and then, with or
# without coordination.
SMALL_LB_MS = 50.0


def parse_kv(words):
    out = {}
    for w in words:
        key, sep, val = w.partition('=')
        if sep:
            out[key] = val
    return out


def num(d, key):
    return float(d[key])


def parse(path):
    run = {'config': {}, 'cost': None, 'points': [], 'updates': [],
           'done': None, 'errors': [], 'exit': None}
    with open(path, errors='replace') as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            if words[0] == 'update:':
                run['updates'].append(parse_kv(words[1:]))
            elif words[0] == 'tdx_vm:':
                run['exit'] = parse_kv(words[1:]).get('exit')
            elif words[0] != 'bench:' or len(words) < 2:
                continue
            elif words[1] == 'config':
                run['config'] = parse_kv(words[2:])
            elif words[1] == 'cost':
                run['cost'] = parse_kv(words[2:])
            elif words[1] in ('done', 'incomplete'):
                run['done'] = dict(parse_kv(words[2:]), state=words[1])
            elif words[1] == 'error:':
                run['errors'].append(line.strip())
            elif words[1].startswith('policy='):
                run['points'].append(parse_kv(words[1:]))
    return run


def load_key(p):
    return (int(p['builders']), int(p['think_ms']))


def load_name(key):
    return f'{key[0]} builders, think {key[1]} ms'


def loads_in_order(points):
    seen = []
    for p in points:
        if load_key(p) not in seen:
            seen.append(load_key(p))
    return seen


def by_load(points):
    table = {}
    for p in points:
        table.setdefault(load_key(p), {})[p['policy']] = p
    return table


def misses(p):
    return int(p['updates']) - int(p['met'])


def pct(vals, p):
    """Nearest-rank percentile, as tdx-bench computes it; None if empty."""
    if not vals:
        return None
    vals = sorted(vals)
    k = (p * len(vals) + 99) // 100
    return vals[max(k, 1) - 1]


def updates_at(run, key, pol):
    return [u for u in run['updates']
            if u.get('policy') == pol and
            (int(u['builders']), int(u['think_ms'])) == key]


def small_excess(run, key, pol):
    """How far over its lower bound, in ms, each update with a small
    bound (below SMALL_LB_MS) ended: (count, p50, p99); count 0 if none."""
    ex = [float(u['lat_ms']) - float(u['lb_ms'])
          for u in updates_at(run, key, pol)
          if float(u['lb_ms']) < SMALL_LB_MS]
    if not ex:
        return (0, None, None)
    return (len(ex), pct(ex, 50), pct(ex, 99))


def busy_ratios(run, key, pol):
    """Latency / lower bound of the updates whose bound is at least
    SMALL_LB_MS: the builds in flight dominate it."""
    return [float(u['ratio']) for u in updates_at(run, key, pol)
            if float(u['lb_ms']) >= SMALL_LB_MS]


def busy_joined(run, key, pol, limit):
    """Of those, the ones over @limit that waited for a build that began
    after the request, before the kernel shut new builds out."""
    return sum(1 for u in updates_at(run, key, pol)
               if float(u['lb_ms']) >= SMALL_LB_MS and
               float(u['ratio']) > limit and int(u['joined']) > 0)


STEPS = ('to SEAMLDR.INFO', 'to TDH.SYS.SHUTDOWN',
         'to TDH.SYS.UPDATE', 'to the upload\'s end')


def steps(u, pol):
    """Where a successful update's time went, in ms: from its start (the
    request, or for the gate the end of the last build it waited for)
    to the last SEAMLDR.INFO (asked just before the machine is
    stopped), to TDH.SYS.SHUTDOWN, to TDH.SYS.UPDATE and to the end of
    the upload; None for an update without the simulator's times."""
    if 'info_ms' not in u:
        return None
    start = 0.0
    if pol == 'gate' and float(u['drain_ms']) > 0:
        # The builder sees its build end a little after the kernel woke
        # the update: this step can read 0.
        start = min(float(u['drain_ms']), float(u['info_ms']))
    marks = [start] + [float(u[k]) for k in
                       ('info_ms', 'shutdown_ms', 'updated_ms', 'lat_ms')]
    return [b - a for a, b in zip(marks, marks[1:])]


def tail_after_drain(run, key, limit):
    """For the gate's updates over @limit that no joined build explains:
    how long each took after the last build it waited for had ended, and,
    beside it, how long uncoordinated updates took at the same load
    (p50, max): the update itself, slowed by the load."""
    slow = sorted((u for u in updates_at(run, key, 'gate')
                   if float(u['lb_ms']) >= SMALL_LB_MS and
                   float(u['ratio']) > limit and int(u['joined']) == 0),
                  key=lambda u: float(u['lat_ms']) - float(u['drain_ms']))
    none = sorted(float(u['lat_ms']) for u in updates_at(run, key, 'none'))
    if not slow or not none:
        return ''
    parts = []
    for u in slow:
        part = '%.1f' % (float(u['lat_ms']) - float(u['drain_ms']))
        st = steps(u, 'gate')
        if st:
            part += (' (%s)' % ', '.join('%s %.1f' % (name, ms)
                                         for name, ms in zip(STEPS, st)))
        parts.append(part)
    return ('; past the last build it waited for, each took %s ms, where '
            'an uncoordinated update at this load takes %.1f ms (p50), '
            'up to %.1f' % ('/'.join(parts), pct(none, 50), none[-1]))


def steps_table(run):
    """Markdown rows: per load and policy, p50 / max of each step."""
    table = by_load(run['points'])
    rows = []
    for key in loads_in_order(run['points']):
        for pol in POLICIES:
            if pol not in table[key]:
                continue
            got = [st for st in (steps(u, pol)
                                 for u in updates_at(run, key, pol)) if st]
            if not got:
                continue
            cells = ['%.1f / %.1f' % (pct([st[i] for st in got], 50),
                                      max(st[i] for st in got))
                     for i in range(len(STEPS))]
            rows.append('| %d | %d | %s | %d | %s |'
                        % (key[0], key[1], pol, len(got), ' | '.join(cells)))
    return rows


def write_markdown(run, outdir, verdict):
    cfg = run['config']
    table = by_load(run['points'])
    lines = ['# tdx-bench results', '']
    if cfg:
        lines.append('Builds of %s ms (%s measured pages), think time %s ms '
                     'unless the load says, an update every %s ms, deadline '
                     '%s ms, failfast retry every %s ms, %s updates per '
                     'point (at most %s s).'
                     % (cfg.get('build_ms'), cfg.get('pages'),
                        cfg.get('think_ms'), cfg.get('update_ms'),
                        cfg.get('deadline_ms'), cfg.get('retry_ms'),
                        cfg.get('updates', '?'), cfg.get('seconds')))
        lines.append('Guest idle loop: %s%s.'
                     % (cfg.get('idle', '?'),
                        ' (idle vCPUs spin, so that no policy pays the '
                        'milliseconds a halted TCG vCPU takes to wake)'
                        if cfg.get('idle') == 'poll' else ''))
    if run['done']:
        lines.append('Run %s: %s points in %s s.'
                     % (run['done']['state'], run['done'].get('points'),
                        run['done'].get('wall_s')))
    lines += [
        '',
        'Latency: from the update request to its end; a missed update '
        'counts with the time it was given up at. Lower bound (LB): the '
        'longest remaining time of the builds in flight at the request '
        '(INIT_VM, which takes the build hold first, called before it), '
        'plus the update alone (calibrated with no builds). Ratio: '
        'per-update latency / LB. INIT_VM: wall time of the call, waits '
        'for an update included (solo: no contention). Restarts: builds '
        'with a failed SEAMCALL or a wrong MRTD. Joined: builds that '
        'called INIT_VM after an update was requested and ended before '
        'it did, '
        'summed over the updates (with the gate: builds that got in '
        'before the kernel shut new builds out, and were waited for). '
        'Times in ms.',
        '',
        '| Builders | Think | Policy | Met D / updates | Attempts '
        '| Latency p50 / p99 / max | LB p50 / p99 | Update alone '
        '| Ratio p50 / p99 | p99 lat / p99 LB | INIT_VM p50 / p99 (solo) '
        '| Joined | Builds | Restarts | Wrong MRTDs |',
        '|---:|---:|---|' + '---:|' * 12,
    ]
    for key in loads_in_order(run['points']):
        for pol in POLICIES:
            p = table[key].get(pol)
            if not p:
                continue
            lines.append(
                '| %d | %d | %s | %s / %s | %s | %.0f / %.0f / %.0f '
                '| %.0f / %.0f | %.0f | %.2f / %.2f | %.2f '
                '| %.1f / %.1f (%.1f) | %s | %s | %s | %s |'
                % (key[0], key[1], pol, p['met'], p['updates'],
                   p['attempts'], num(p, 'lat_p50_ms'), num(p, 'lat_p99_ms'),
                   num(p, 'lat_max_ms'), num(p, 'lb_p50_ms'),
                   num(p, 'lb_p99_ms'), num(p, 'upd_cal_ms'),
                   num(p, 'ratio_p50'), num(p, 'ratio_p99'),
                   num(p, 'p99_over_lb_p99'), num(p, 'init_p50_ms'),
                   num(p, 'init_p99_ms'), num(p, 'init_solo_ms'),
                   p.get('joined', '?'), p['builds'], p['restarts'],
                   p['wrong_mrtd']))
    lines += [
        '',
        'Updates are judged against their own lower bound: by the ratio '
        'where the bound is at least %.0f ms, and below that (no build in '
        'flight, or builds about to end) by how far over the bound they '
        'ended, in ms, beside the other policies. Joined: of the updates '
        'over %.1fx, those that waited for a build that began after the '
        'request, before the kernel shut new builds out.'
        % (SMALL_LB_MS, MAX_RATIO),
        '',
        '| Builders | Think | Policy | Bound >= %.0f ms: updates, ratio '
        'p50 / p99 | over %.1fx (joined) | Bound < %.0f ms: updates, ms '
        'over it p50 / p99 |' % (SMALL_LB_MS, MAX_RATIO, SMALL_LB_MS),
        '|---:|---:|---|---:|---:|---:|',
    ]
    for key in loads_in_order(run['points']):
        for pol in POLICIES:
            if pol not in table[key]:
                continue
            n, e50, e99 = small_excess(run, key, pol)
            busy = busy_ratios(run, key, pol)
            over = sum(1 for r in busy if r > MAX_RATIO)
            lines.append('| %d | %d | %s | %s | %s | %s |'
                         % (key[0], key[1], pol,
                            '%d, %.2f / %.2f' % (len(busy), pct(busy, 50),
                                                 pct(busy, 99))
                            if busy else '0',
                            '%d (%d)' % (over, busy_joined(run, key, pol,
                                                           MAX_RATIO)),
                            '%d, %+.1f / %+.1f' % (n, e50, e99) if n
                            else '0'))
    lines.append('')
    rows = steps_table(run)
    if rows:
        lines += [
            'Where the updates that succeeded spent their time, p50 / max '
            'in ms, from their start (the request; for the gate, the end '
            'of the last build the update waited for, if any) to the last '
            'SEAMLDR.INFO, asked just before the machine is stopped, then '
            'to TDH.SYS.SHUTDOWN and TDH.SYS.UPDATE (both inside '
            'stop_machine()), then to the end of the upload as userspace '
            'saw it. A builder sees its build end a little after the '
            'kernel woke the update, so the first step of a gated update '
            'can read 0.',
            '',
            '| Builders | Think | Policy | Updates | Start %s | Then %s |'
            % (STEPS[0], ' | Then '.join(STEPS[1:])),
            '|---:|---:|---|' + '---:|' * (1 + len(STEPS)),
        ] + rows + ['']
    cost = run['cost']
    if cost:
        rwsem = ''
        if 'rwsem_ps' in cost:
            rwsem = (', bare rwsem read lock/unlock %.1f ns'
                     % (int(cost['rwsem_ps']) / 1000))
        lines.append('In-kernel cost, no update pending (%s pairs, fastest '
                     'of 10 rounds): build hold begin/end %.1f ns, '
                     'uncontended mutex lock/unlock %.1f ns%s, ratio %s.'
                     % (cost['pairs'], int(cost['gate_ps']) / 1000,
                        int(cost['mutex_ps']) / 1000, rwsem, cost['ratio']))
    else:
        lines.append('In-kernel cost: not measured.')
    for err in run['errors']:
        lines.append('')
        lines.append('`%s`' % err)
    lines += ['', '## Verdict', '', '```'] + verdict + ['```', '']
    if os.path.exists(os.path.join(outdir, 'bench.png')):
        lines += ['![per-update latency over its lower bound, misses, '
                  'wrong MRTDs](bench.png)', '']
    with open(os.path.join(outdir, 'results.md'), 'w') as f:
        f.write('\n'.join(lines))


def series(run):
    """(policy, think) -> points sorted by builders."""
    out = {}
    for p in run['points']:
        out.setdefault((p['policy'], int(p['think_ms'])), []).append(p)
    for pts in out.values():
        pts.sort(key=lambda p: int(p['builders']))
    return out


def write_data(run, outdir):
    ser = series(run)
    cols = ('builders', 'busy_ratio_p99', 'lat_p99_ms', 'lb_p99_ms',
            'ratio_p50', 'ratio_p99', 'misses', 'updates', 'wrong_mrtd',
            'restarts', 'init_p99_ms', 'p99_over_lb_p99')
    with open(os.path.join(outdir, 'points.dat'), 'w') as f:
        f.write('# one block per series (gnuplot index); %s\n'
                % ' '.join(cols))
        for (pol, think), pts in ser.items():
            f.write('# policy=%s think_ms=%d\n' % (pol, think))
            for p in pts:
                busy = busy_ratios(run, load_key(p), pol)
                vals = dict(p, misses=str(misses(p)),
                            busy_ratio_p99='%.3f' % pct(busy, 99)
                            if busy else 'NaN')
                f.write(' '.join(vals[c] for c in cols) + '\n')
            f.write('\n\n')
    ucols = ('policy', 'builders', 'think_ms', 'seq', 'lat_ms', 'lb_ms',
             'ratio', 'drain_ms', 'inflight', 'entered', 'joined',
             'shutdown_ms', 'updated_ms', 'attempts', 'ok', 'met', 'error')
    with open(os.path.join(outdir, 'updates.dat'), 'w') as f:
        f.write('# ' + ' '.join(ucols) + '\n')
        for u in run['updates']:
            f.write(' '.join(u.get(c, '?') for c in ucols) + '\n')
    return list(ser)


def write_chart(run, outdir, keys):
    if not shutil.which('gnuplot'):
        print('note: gnuplot not found, no chart')
        return
    default_think = int(run['config'].get('think_ms', -1))
    colors = {'gate': '#1a9850', 'failfast': '#d73027', 'none': '#4575b4'}
    # Drawn slightly apart, so that equal values do not hide each other.
    shift = {'gate': 0.95, 'failfast': 1.0, 'none': 1.05}

    def plots(col):
        out = []
        for i, (pol, think) in enumerate(keys):
            title = pol if think == default_think else \
                f'{pol}, think {think} ms'
            style = 'linespoints pt 7' if think == default_think else \
                'points pt 5 ps 1.5'
            out.append(f'"points.dat" index {i} '
                       f'using ($1*{shift[pol]}):{col} with {style} '
                       f'lc rgb "{colors[pol]}" title "{title}"')
        return ', \\\n     '.join(out)

    tried = {p['updates'] for p in run['points']}
    tried = f' (of {tried.pop()} updates a point)' if len(tried) == 1 else ''
    script = f'''set terminal png size 900,1200
set output "bench.png"
set multiplot layout 3,1
set logscale x 2
set xlabel "builders (policies drawn slightly apart)"
set grid
set key outside right
set logscale y
set ylabel "p99 of latency / own lower bound"
set title "Updates with builds in flight, each against what no coordination can beat"
plot {MAX_RATIO} with lines dt 2 lc rgb "black" title "{MAX_RATIO}x", \\
     {plots(2)}
unset logscale y
set yrange [0:*]
set ylabel "updates that missed the deadline"
set title "Deadline misses{tried}"
plot {plots(7)}
set ylabel "wrong MRTDs"
set title "Builds that ended with a wrong MRTD"
plot {plots(9)}
unset multiplot
'''
    with open(os.path.join(outdir, 'bench.gp'), 'w') as f:
        f.write(script)
    res = subprocess.run(['gnuplot', 'bench.gp'], cwd=outdir,
                         capture_output=True, text=True, check=False)
    if res.returncode:
        print('note: gnuplot failed: ' + res.stderr.strip())


def judge(run):
    """The verdict lines; the first word of each is PASS, FAIL or skip."""
    out = []
    done = run['done']
    if not done or done['state'] != 'done' or run['exit'] not in (None, '0'):
        out.append('FAIL: the run did not complete (%s)'
                   % ('; '.join(run['errors']) or 'no end line'))
    table = by_load(run['points'])
    shown = 0
    for key in loads_in_order(run['points']):
        pts = table[key]
        ff, none, gate = pts.get('failfast'), pts.get('none'), pts.get('gate')
        if (ff and misses(ff)) or (none and int(none['wrong_mrtd'])):
            shown += 1
        if not gate or not int(gate['updates']):
            out.append('FAIL: %s: gate has no updates measured'
                       % load_name(key))
            continue
        wrong = int(gate['wrong_mrtd'])
        busy = busy_ratios(run, key, 'gate')
        if busy:
            r99 = pct(busy, 99)
            ok = r99 <= MAX_RATIO and wrong == 0
            over = sum(1 for r in busy if r > MAX_RATIO)
            why = ''
            if over:
                why = ' (%d over %.1fx, %d of them joined by a build that ' \
                      'began after the request%s)' \
                      % (over, MAX_RATIO,
                         busy_joined(run, key, 'gate', MAX_RATIO),
                         tail_after_drain(run, key, MAX_RATIO))
            out.append('%s: %s: gate, %d updates with a bound >= %.0f ms: '
                       'p99 latency / own bound %.2f (max %.1f)%s, '
                       '%d wrong MRTDs'
                       % ('PASS' if ok else 'FAIL', load_name(key),
                          len(busy), SMALL_LB_MS, r99, MAX_RATIO, why,
                          wrong))
        else:
            out.append('%s: %s: gate, no update with a bound >= %.0f ms, '
                       '%d wrong MRTDs' % ('PASS' if wrong == 0 else 'FAIL',
                                           load_name(key), SMALL_LB_MS,
                                           wrong))
        small = []
        for pol in POLICIES:
            ex = small_excess(run, key, pol)
            if ex and ex[0]:
                small.append('%s %d: %+.1f / %+.1f' % ((pol,) + ex))
        if small:
            out.append('note: %s: bound < %.0f ms, ms over it p50 / p99: %s'
                       % (load_name(key), SMALL_LB_MS, '; '.join(small)))
    if not shown:
        out.append('FAIL: no load where failfast missed a deadline or none '
                   'left a wrong MRTD: the run shows nothing the gate '
                   'prevents')
    else:
        out.append('PASS: %d load(s) where failfast missed deadlines or '
                   'none left wrong MRTDs' % shown)
    cost = run['cost']
    if not cost:
        out.append('FAIL: the in-kernel cost was not measured')
    else:
        gate_ps, mutex_ps = int(cost['gate_ps']), int(cost['mutex_ps'])
        ok = mutex_ps > 0 and gate_ps <= MAX_COST * mutex_ps
        out.append('%s: build hold begin/end %.1f ns vs mutex pair %.1f ns: '
                   '%.2fx (max %.1fx)'
                   % ('PASS' if ok else 'FAIL', gate_ps / 1000,
                      mutex_ps / 1000, gate_ps / mutex_ps if mutex_ps else 0,
                      MAX_COST))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    run = parse(sys.argv[1])
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    verdict = judge(run)
    keys = write_data(run, outdir)
    if keys:
        write_chart(run, outdir, keys)
    write_markdown(run, outdir, verdict)
    for line in verdict:
        print(line)
    failed = any(line.startswith('FAIL') for line in verdict)
    print('bench verdict: %s (report in %s)'
          % ('FAIL' if failed else 'PASS',
             os.path.join(outdir, 'results.md')))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
