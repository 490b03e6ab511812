// A method that owns its step, with an extra data stream (options.loaders.unlabeled): one batch of
// each stream per step, the extra stream cycled across its own epochs, resumable mid-epoch.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, data, train } from '../../lib/index.js';
import { setup, trainerFor, snapshot, tmpDir, removeTmpDirs } from './util.js';

afterAll(removeTmpDirs);

const unlabeled = () => data.moons({ n: 96, noise: 0.1, seed: 13 }); // 3 batches of 32
const uLoader = (ds: ReturnType<typeof unlabeled>) => new data.DataLoader(ds, { batchSize: 32, shuffle: true, seed: 4 });

/** Cross-entropy on the labelled batch + 0.1 × prediction entropy on the unlabeled one; records the unlabeled batches' first values. */
function entropyMin(seen?: number[]): train.StepMethod {
  return {
    name: 'entropyMin',
    trainStep({ model, batches }) {
      const { x, y } = batches.train;
      const xu = batches.unlabeled.x;
      if (seen) seen.push((xu.toArray() as Float32Array)[0]);
      const p = nn.functional.softmax(model.forward(xu) as torch.Tensor, 1);
      const entropy = p
        .mul(p.clamp({ min: 1e-8 }).log())
        .sum({ dim: 1 })
        .mean()
        .neg();
      return { loss: nn.functional.crossEntropy(model.forward(x) as torch.Tensor, y).add(entropy.mul(0.1)) };
    },
  };
}

describe('method-owned steps and extra streams', () => {
  it('one unlabeled batch per step, in the loader order, cycling through its epochs', async () => {
    const s = setup(0);
    const ds = unlabeled();
    const seen: number[] = [];
    const h = await trainerFor(s, { epochs: 2, method: entropyMin(seen), loaders: { unlabeled: uLoader(ds) } }).fit();
    expect(h.epochs.length).toBe(2);
    const ref = uLoader(ds);
    const want: number[] = [];
    while (want.length < 16) ref.forEach((b) => void want.push((b.x.toArray() as Float32Array)[0]));
    expect(seen).toEqual(want.slice(0, 16)); // 16 steps = 5⅓ passes of the 3-batch stream
    expect(new Set(seen.slice(0, 3)).size).toBe(3);
    ref.dispose();
    s.dispose();
  });

  it('resume mid-epoch (and mid-pass of the stream) is bit-identical', async () => {
    const ds = unlabeled();
    const run = async (seed: number, o: Partial<train.TrainerOptions>) => {
      const s = setup(seed);
      const u = uLoader(ds);
      const h = await trainerFor(s, { epochs: 3, method: entropyMin(), loaders: { unlabeled: u }, ...o }).fit();
      const w = snapshot(s.model);
      s.dispose();
      u.dispose();
      return { h, w };
    };
    const straight = await run(0, {});
    const dir = tmpDir('streams');
    const ac = new AbortController();
    const a = await run(0, {
      outDir: dir,
      logEvery: 1,
      signal: ac.signal,
      onLog: (l) => {
        if (l.iteration === 13) ac.abort();
      },
    });
    expect(a.h.interrupted).toBe(true);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
    expect([meta.epoch, meta.step]).toEqual([1, 5]);
    expect(meta.streams).toEqual({ unlabeled: { epoch: 4, step: 1 } }); // 13 = 4 passes of 3 + 1
    const b = await run(6, { outDir: dir, resume: true });
    expect(b.w).toEqual(straight.w);
    const strip = (h: train.History) => h.epochs.map(({ seconds: _s, imagesPerSecond: _i, ...r }) => r);
    expect(strip(b.h)).toEqual(strip(straight.h));
    // Resuming without the stream is refused.
    const c = setup(0);
    await expect(trainerFor(c, { epochs: 3, method: entropyMin(), outDir: dir, resume: true }).fit()).rejects.toThrow(
      /trained with a loader 'unlabeled' the trainer does not have/,
    );
    c.dispose();
  });

  it('bad streams and bad steps are clear errors', async () => {
    const s = setup(0);
    expect(() => trainerFor(s, { loaders: { train: s.valLoader } })).toThrow(/loaders: 'train' is the train option/);
    expect(() => trainerFor(s, { loaders: { u: [] as unknown as data.DataLoader } })).toThrow(/loaders.u must be a data.DataLoader/);
    expect(() => trainerFor(s, { loaders: { u: s.trainLoader } })).toThrow(/loaders.u is the train loader itself/);
    expect(() => trainerFor(s, { method: { name: 'x' } as unknown as train.StepMethod })).toThrow(/method must be a mixup method .* or have trainStep\(ctx\)/);
    const bad: train.StepMethod = { name: 'bad', trainStep: () => ({ loss: 1 as unknown as torch.Tensor }) };
    await expect(trainerFor(s, { method: bad }).fit()).rejects.toThrow(/method 'bad': trainStep\(ctx\) must return \{ loss: a 0-d Tensor \}/);
    s.dispose();
  });
});
