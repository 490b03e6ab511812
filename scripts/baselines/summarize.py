#!/usr/bin/env python3
"""Markdown table of torchmix vs PyTorch runs in runs/baselines/{torchmix,pytorch}-METHOD-sSEED/results.json."""
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
    a = p.parse_args()
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


if __name__ == '__main__':
    main()
