// data.DistributedSampler against torch.utils.data.DistributedSampler (the venv's PyTorch, live),
// torch.randperm with a seeded torch.Generator, and the DataLoader's sampler option.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as torch from '../../lib/torch/index.js';
import { DataLoader, DistributedSampler } from '../../lib/data/index.js';
import { havePython, venvPython } from '../helpers/python.js';

const hasTorch = havePython('torch', 'DistributedSampler vs PyTorch');

type Case = { n: number; R: number; seed: number; epoch: number; shuffle: boolean; dropLast: boolean };
const cases: Case[] = [
  { n: 10, R: 3, seed: 0, epoch: 0, shuffle: true, dropLast: false },
  { n: 10, R: 3, seed: 0, epoch: 0, shuffle: true, dropLast: true },
  { n: 10, R: 3, seed: 7, epoch: 2, shuffle: true, dropLast: false },
  { n: 101, R: 4, seed: 42, epoch: 5, shuffle: true, dropLast: true },
  { n: 101, R: 4, seed: 42, epoch: 5, shuffle: false, dropLast: false },
  { n: 12, R: 4, seed: 1, epoch: 1, shuffle: true, dropLast: true }, // even split: dropLast changes nothing
  { n: 2, R: 5, seed: 3, epoch: 0, shuffle: true, dropLast: false }, // padding longer than the dataset
  { n: 2, R: 5, seed: 3, epoch: 0, shuffle: false, dropLast: false },
  { n: 60000, R: 2, seed: 2024, epoch: 9, shuffle: true, dropLast: false },
  { n: 7, R: 1, seed: 5, epoch: 3, shuffle: true, dropLast: false },
];

function pytorch(cs: Case[]): number[][][] {
  const py = `
import json, sys, torch
from torch.utils.data import DistributedSampler
out = []
for c in json.loads(sys.argv[1]):
    per = []
    for r in range(c['R']):
        s = DistributedSampler(range(c['n']), num_replicas=c['R'], rank=r, shuffle=c['shuffle'], seed=c['seed'], drop_last=c['dropLast'])
        s.set_epoch(c['epoch'])
        per.append(list(s))
    out.append(per)
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(venvPython, ['-c', py, JSON.stringify(cs)], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

describe('DistributedSampler', () => {
  it.skipIf(!hasTorch)("gives every rank exactly PyTorch's indices (shuffle, seed + epoch, padding, dropLast)", () => {
    const want = pytorch(cases);
    cases.forEach((c, k) => {
      for (let r = 0; r < c.R; r++) {
        const s = new DistributedSampler(c.n, { numReplicas: c.R, rank: r, shuffle: c.shuffle, seed: c.seed, dropLast: c.dropLast });
        s.setEpoch(c.epoch);
        expect(s.length, JSON.stringify(c)).toBe(want[k][r].length);
        expect(Array.from(s.indices()), `${JSON.stringify(c)} rank ${r}`).toEqual(want[k][r]);
      }
    });
  });

  it.skipIf(!hasTorch)('torch.randperm(n, { generator }) equals PyTorch with a seeded torch.Generator, and the stream advances', () => {
    const py = `import torch, json\ng = torch.Generator().manual_seed(123)\nprint(json.dumps([torch.randperm(9, generator=g).tolist(), torch.randperm(9, generator=g).tolist()]))`;
    const want = JSON.parse(execFileSync(venvPython, ['-c', py], { encoding: 'utf8' })) as number[][];
    const g = new torch.Generator().manualSeed(123);
    expect(g.initialSeed()).toBe(123);
    const got = [0, 1].map(() => torch.tidy(() => Array.from(torch.randperm(9, { generator: g }).toArray() as BigInt64Array, Number)));
    expect(got).toEqual(want);
    expect(got[0]).not.toEqual(got[1]);
  });

  it('rejects bad arguments by name', () => {
    expect(() => new DistributedSampler(10, { numReplicas: 2, rank: 2 })).toThrow(/Invalid rank 2, rank should be in the interval \[0, 1\]/);
    expect(() => new DistributedSampler(10, { numReplicas: 0, rank: 0 })).toThrow(/numReplicas must be a positive integer/);
    expect(() => new DistributedSampler(0, { numReplicas: 1, rank: 0 })).toThrow(/at least one sample/);
    expect(() => new DistributedSampler(10)).toThrow(/process group, which is not initialized/);
    expect(() => new DistributedSampler('x', { numReplicas: 1, rank: 0 })).toThrow(torch.TorchTypeError);
    expect(() => new DistributedSampler(10, { numReplicas: 1, rank: 0 }).setEpoch(-1)).toThrow(/epoch must be a non-negative integer/);
    expect(() => new torch.Generator().manualSeed(-1)).toThrow(/seed must be a non-negative integer/);
    expect(() => torch.randperm(3, { generator: {} as torch.Generator })).toThrow(/expected a torch.Generator/);
  });
});

describe('DataLoader with a sampler', () => {
  const n = 23;
  const ds = () => ({ x: torch.arange(0, n).to('float32').reshape([n, 1]), y: torch.arange(0, n).to('int64').mul(2) });

  it("iterates the rank's indices in the sampler's order, one epoch after another, batches as before", () => {
    const R = 3;
    const seen: number[][] = [];
    for (let r = 0; r < R; r++) {
      const sampler = new DistributedSampler(n, { numReplicas: R, rank: r, seed: 11 });
      const loader = new DataLoader(ds(), { batchSize: 3, sampler });
      expect(loader.length).toBe(Math.ceil(8 / 3)); // ceil(23 / 3) = 8 samples per rank
      for (let epoch = 0; epoch < 2; epoch++) {
        const idx: number[] = [];
        const sizes: number[] = [];
        loader.forEach((b) => {
          const i = Array.from(b.index.toArray() as BigInt64Array, Number);
          idx.push(...i);
          sizes.push(i.length);
          // x and y are the indexed samples.
          expect(Array.from(b.x.reshape([-1]).toArray() as Float32Array)).toEqual(i);
          expect(Array.from(b.y.toArray() as BigInt64Array, Number)).toEqual(i.map((v) => 2 * v));
        });
        expect(sizes).toEqual([3, 3, 2]);
        const ref = new DistributedSampler(n, { numReplicas: R, rank: r, seed: 11 });
        ref.setEpoch(epoch);
        expect(idx).toEqual(Array.from(ref.indices()));
        expect(sampler.epoch).toBe(epoch);
        if (epoch === 0) seen.push(idx);
      }
      loader.setEpoch(0); // replays epoch 0
      const again: number[] = [];
      loader.forEach((b) => void again.push(...Array.from(b.index.toArray() as BigInt64Array, Number)));
      expect(again).toEqual(seen[r]);
      loader.dispose();
    }
    // Together the ranks cover the dataset (24 = 23 + one padded repeat).
    expect(new Set(seen.flat()).size).toBe(n);
    expect(seen.flat()).toHaveLength(24);
  });

  it('sampler is exclusive with shuffle and must match the dataset', () => {
    const sampler = new DistributedSampler(n, { numReplicas: 2, rank: 0 });
    expect(() => new DataLoader(ds(), { sampler, shuffle: true })).toThrow(/mutually exclusive with shuffle/);
    expect(() => new DataLoader(ds(), { sampler: new DistributedSampler(5, { numReplicas: 2, rank: 0 }) })).toThrow(/made for 5 samples, the dataset has 23/);
    expect(() => new DataLoader(ds(), { sampler: {} as DistributedSampler })).toThrow(/sampler must be a data.DistributedSampler/);
  });
});
