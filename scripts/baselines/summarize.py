#!/usr/bin/env python3
"""Markdown table of torchmix vs PyTorch runs in runs/baselines/{torchmix,pytorch}-METHOD-sSEED/results.json.

Semi-supervised runs (results.json with a `split`, compare.sh LABELS=N) get a second table: the split and the
last epoch's supervised loss, unsupervised loss and ramp weight (mean over seeds) of each side."""
import argparse
import json
import os
import statistics


def load(d, impl, m, s):
    f = os.path.join(d, f'{impl}-{m}-s{s}', 'results.json')
    if not os.path.exists(f):
        return None
    r = json.load(open(f))
    return r['final']['valAcc'], r['best']['valAcc'], r['secondsPerEpoch']


def ms(v):
    if not v:
        return '–'
    return f'{100 * statistics.mean(v):.2f} ± {100 * statistics.stdev(v):.2f}' if len(v) > 1 else f'{100 * v[0]:.2f}'


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--dir', default='runs/baselines')
    p.add_argument('--methods', default='none mixup manifold cutmix')
    p.add_argument('--seeds', default='0 1 2')
    p.add_argument('--metric', choices=['final', 'best'], default='final')
    p.add_argument('--exact', action='store_true', help='lockstep runs: compare every epoch digit for digit')
    a = p.parse_args()
    if a.exact:
        return exact_table(a.dir, a.methods.split(), a.seeds.split())
    k = 0 if a.metric == 'final' else 1
    print(f'| method | torchmix acc ({a.metric}) | PyTorch acc ({a.metric}) | Δ (pp) | torchmix s/epoch | PyTorch s/epoch | ratio |')
    print('|---|---|---|---|---|---|---|')
    for m in a.methods.split():
        t = [r for s in a.seeds.split() if (r := load(a.dir, 'torchmix', m, s))]
        p_ = [r for s in a.seeds.split() if (r := load(a.dir, 'pytorch', m, s))]
        ta, pa = [r[k] for r in t], [r[k] for r in p_]
        ts, ps = [r[2] for r in t], [r[2] for r in p_]
        d = f'{100 * (statistics.mean(ta) - statistics.mean(pa)):+.2f}' if ta and pa else '–'
        tsm = statistics.mean(ts) if ts else None
        psm = statistics.mean(ps) if ps else None
        print(f"| {m} | {ms(ta)} | {ms(pa)} | {d} | {f'{tsm:.2f}' if tsm else '–'} | {f'{psm:.2f}' if psm else '–'} | "
              f"{f'{tsm / psm:.3f}' if tsm and psm else '–'} |")
    policy_table(a.dir, a.methods.split(), a.seeds.split())
    ssl_table(a.dir, a.methods.split(), a.seeds.split())


def ssl_table(d, methods, seeds):
    """MixMatch / ICT / supervised-only runs with --labels: the split, and the last epoch's losses and ramp weight."""
    rows = []
    for m in methods:
        for impl in ('torchmix', 'pytorch'):
            runs = []
            for s in seeds:
                f = os.path.join(d, f'{impl}-{m}-s{s}', 'results.json')
                if os.path.exists(f):
                    r = json.load(open(f))
                    if r.get('split'):
                        runs.append(r)
            if not runs:
                continue
            sp = runs[0]['split']
            st = [r['history']['epochs'][-1].get('method') or {} for r in runs]
            mean = lambda k: statistics.mean(x[k] for x in st) if all(k in x for x in st) else None  # noqa: E731
            fmt = lambda v, f: '–' if v is None else format(v, f)  # noqa: E731
            rows.append(f"| {m} | {impl} | {sp['labels']} ({sp['labelsPerClass']}/class) + {sp['unlabeled'] if sp.get('unlabeledUsed') else 0} | "
                        f"{sp['stepsPerEpoch']} | {fmt(mean('supLoss'), '.4f')} | {fmt(mean('unsupLoss'), '.5f')} | {fmt(mean('weight'), '.2f')} |")
    if rows:
        print()
        print('| method | impl | labeled + unlabeled used | steps/epoch | supervised loss (last epoch) | unsupervised loss | ramp weight |')
        print('|---|---|---|---|---|---|---|')
        print('\n'.join(rows))


def exact_table(d, methods, seeds):
    """Lockstep runs (compare.sh with SAME_STREAM=1): are the two sides' numbers identical, digit for digit?"""
    print('| method | seed | torchmix train loss | PyTorch train loss | torchmix acc | PyTorch acc | identical |')
    print('|---|---|---|---|---|---|---|')
    for m in methods:
        for s in seeds:
            runs = []
            for impl in ('torchmix', 'pytorch'):
                f = os.path.join(d, f'{impl}-{m}-s{s}', 'results.json')
                runs.append(json.load(open(f))['history']['epochs'] if os.path.exists(f) else None)
            if None in runs:
                continue
            t, p = runs
            keys = ('trainLoss', 'valLoss', 'valAcc', 'valEce')
            same = len(t) == len(p) and all(a[k] == b[k] for a, b in zip(t, p) for k in keys)
            print(f"| {m} | {s} | {t[-1]['trainLoss']!r} | {p[-1]['trainLoss']!r} | {100 * t[-1]['valAcc']:.2f} | {100 * p[-1]['valAcc']:.2f} | "
                  f"{'yes' if same else 'no'} |")


def policy_table(d, methods, seeds):
    """AdaMixup's learned λ region at the last epoch (mean over seeds), when runs recorded it."""
    rows = []
    for m in methods:
        for impl in ('torchmix', 'pytorch'):
            st = []
            for s in seeds:
                f = os.path.join(d, f'{impl}-{m}-s{s}', 'results.json')
                if os.path.exists(f):
                    e = json.load(open(f))['history']['epochs'][-1].get('method')
                    if e and 'alphaMean' in e:
                        st.append(e)
            if st:
                mean = lambda k: statistics.mean(x[k] for x in st)  # noqa: E731
                rows.append(f"| {m} | {impl} | {mean('alphaMean'):.3f} | {mean('alphaMean') + mean('deltaMean'):.3f} | "
                            f"{mean('lamMean'):.3f} | {100 * mean('discAcc'):.1f} |")
    if rows:
        print()
        print('| method | impl | mean α (last epoch) | mean α + Δ | mean λ | intrusion accuracy (%) |')
        print('|---|---|---|---|---|---|')
        print('\n'.join(rows))


if __name__ == '__main__':
    main()
