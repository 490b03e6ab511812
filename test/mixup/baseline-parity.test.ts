// The PyTorch baseline (scripts/baselines/train.py, apply_method) and torchmix's methods make the same
// draws in the same order from the same generator, so with the same seed they produce the very same
// mixed batches and targets: input mixup and CutMix, three steps each. This is what docs/RESULTS.md's
// side-by-side runs rest on. Needs the project's .venv Python, and the same LibTorch version on both
// sides (the random streams are only equal then): skipped, saying why, otherwise.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { torch, mixup, data } from '../../lib/index.js';
import { Rng } from '../../lib/data/rng.js';
import { packageRoot } from '../../lib/torch/native.js';
import { venvPython, havePython } from '../helpers/python.js';

const py = venvPython;
let pyTorch: string | undefined;
if (havePython('torch', 'baseline parity tests')) {
  try {
    pyTorch = execFileSync(py, ['-c', 'import torch; print(torch.__version__.split("+")[0])'], { encoding: 'utf8' }).trim();
  } catch {
    pyTorch = undefined;
  }
}
const havePy = pyTorch !== undefined;
const ours = torch.config().version;
const skip = pyTorch === undefined ? `no ${py} with torch` : pyTorch !== ours ? `Python torch ${pyTorch} ≠ LibTorch ${ours}: different random streams` : '';
if (skip) console.warn(`baseline parity tests skipped: ${skip}`);

const PY = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(path.join(packageRoot, 'scripts', 'baselines'))})
import train
torch.manual_seed(0)
x = torch.randn(128, 1, 28, 28); y = torch.randint(0, 10, (128,))
seen = {}
def capture(net, x, k=None, mix=None):
    seen['x'] = x
    return x
train.forward_mix = capture
out = {}
w = torch.arange(128, dtype=torch.float64).reshape(128, 1, 1, 1)
wt = torch.arange(1280, dtype=torch.float64).reshape(128, 10)
for method in ['mixup', 'cutmix']:
    torch.manual_seed(1)
    steps = []
    for _ in range(3):
        _, t = train.apply_method(method, 1.0, None, x, y, 10)
        steps.append([(seen['x'].double() * w).sum().item(), (t.double() * wt).sum().item(), seen['x'][5, 0, 3:9, 10].tolist()])
    out[method] = steps
torch.manual_seed(3)
out['beta'] = [torch.distributions.Beta(torch.tensor(0.4), torch.tensor(0.4)).sample((7,)).tolist(),
               torch.distributions.Beta(torch.tensor(2.0, dtype=torch.float64), torch.tensor(0.5, dtype=torch.float64)).sample((3,)).tolist()]
print(json.dumps(out))
`;

describe.skipIf(skip !== '')('same seed, same draws as the PyTorch baseline (skipped without a matching .venv torch)', () => {
  it('input mixup and CutMix: identical mixed inputs and targets for three steps; Beta draws equal PyTorch’s', () => {
    const want = JSON.parse(execFileSync(py, ['-c', PY], { encoding: 'utf8' })) as Record<string, [number, number, number[]][]> & { beta: number[][] };
    torch.manualSeed(0);
    const x = torch.randn([128, 1, 28, 28]);
    const y = torch.randint(0, 10, [128]);
    const w = torch.arange(128, { dtype: 'float64' }).reshape([128, 1, 1, 1]);
    const wt = torch.arange(1280, { dtype: 'float64' }).reshape([128, 10]);
    for (const [name, method] of [
      ['mixup', mixup.input()],
      ['cutmix', mixup.cutmix()],
    ] as const) {
      torch.manualSeed(1);
      for (let s = 0; s < 3; s++) {
        const r = method.apply({ x, y, numClasses: 10 });
        const [wx, wy, row] = want[name][s];
        // Bit for bit: the same λ (PyTorch's Beta draw), partners and boxes, the same blend ops.
        expect(r.input!.double().mul(w).sum().item(), `${name} step ${s}: weighted input sum`).toBe(wx);
        expect(r.target.double().mul(wt).sum().item(), `${name} step ${s}: weighted target sum`).toBe(wy);
        expect(Array.from(r.input!.select(0, 5).select(0, 0).select(1, 10).narrow(0, 3, 6).toArray() as Float32Array)).toEqual(row.map(Math.fround));
      }
    }
    torch.manualSeed(3);
    expect(Array.from(new torch.distributions.Beta(0.4, 0.4).sample([7]).toArray() as Float32Array)).toEqual(want.beta[0].map(Math.fround));
    expect(Array.from(new torch.distributions.Beta(2, 0.5, { dtype: 'float64' }).sample([3]).toArray() as Float64Array)).toEqual(want.beta[1]);
  });
});

describe.skipIf(!havePy)("train.py --same-stream draws torchmix's data streams (skipped without .venv torch)", () => {
  it('tmrng.py = lib/data/rng.ts: epoch permutations and symmetric label noise', () => {
    const code = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(path.join(packageRoot, 'scripts', 'baselines'))})
import tmrng
y = torch.arange(1000) % 10
print(json.dumps({'perm': [tmrng.Rng(s, e).permutation(5000)[:50] for s, e in [(0, 0), (7, 3), (2**40 + 5, 1)]],
                  'noise': tmrng.corrupt_symmetric(y, 0.4, 3, 10)[0].tolist()}))`;
    const want = JSON.parse(execFileSync(py, ['-c', code], { encoding: 'utf8' })) as { perm: number[][]; noise: number[] };
    const keys: [number, number][] = [
      [0, 0],
      [7, 3],
      [2 ** 40 + 5, 1],
    ];
    keys.forEach(([s, e], i) => expect(Array.from(new Rng(s, e).permutation(5000).slice(0, 50))).toEqual(want.perm[i]));
    const y = torch.arange(1000).remainder(10);
    const got = data.corruptLabels(y, { fraction: 0.4, mode: 'symmetric', seed: 3, numClasses: 10 }).labels;
    expect(Array.from(got.toArray() as BigInt64Array, Number)).toEqual(want.noise);
  });
});
