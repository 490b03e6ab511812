// THE key property: on the CPU, resuming from a checkpoint continues bit-identically. Training N
// epochs straight, and training k epochs, stopping, and resuming to N (new objects, different init,
// restored from the checkpoint) give the same weights, buffers and history.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { train } from '../../lib/index.js';
import { setup, trainerFor, snapshot, tmpDir, removeTmpDirs } from './util.js';

afterAll(removeTmpDirs);

const EPOCHS = 4;
let straight: { weights: Record<string, string>; history: train.History };

beforeAll(async () => {
  const s = setup(0);
  const h = await trainerFor(s, { epochs: EPOCHS }).fit();
  straight = { weights: snapshot(s.model), history: h };
  s.dispose();
});

function sameHistory(a: train.History, b: train.History): void {
  const strip = (h: train.History) => h.epochs.map(({ seconds: _s, imagesPerSecond: _i, ...r }) => r);
  expect(strip(a)).toEqual(strip(b));
}

describe('resume', () => {
  it('straight N epochs == k epochs + resume to N (bit-identical weights and history)', async () => {
    const dir = tmpDir('resume');
    const a = setup(0);
    const h1 = await trainerFor(a, { epochs: 2, outDir: dir }).fit();
    expect(h1.epochs.length).toBe(2);
    expect(h1.interrupted).toBe(false);
    a.dispose();
    expect(fs.existsSync(path.join(dir, 'checkpoint.safetensors'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'checkpoint.json'))).toBe(true);

    const b = setup(123); // different init: everything must come from the checkpoint
    expect(snapshot(b.model)).not.toEqual(straight.weights);
    const h2 = await trainerFor(b, { epochs: EPOCHS, outDir: dir, resume: true }).fit();
    expect(h2.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(snapshot(b.model)).toEqual(straight.weights);
    sameHistory(h2, straight.history);
    b.dispose();
  });

  it('resume from an explicit checkpoint path (the .safetensors file) into another outDir', async () => {
    const dir = tmpDir('resume-path');
    const a = setup(0);
    await trainerFor(a, { epochs: 3, outDir: dir }).fit();
    a.dispose();
    const b = setup(7);
    const out2 = tmpDir('resume-path-2');
    await trainerFor(b, { outDir: out2, resume: path.join(dir, 'checkpoint.safetensors') }).fit();
    expect(snapshot(b.model)).toEqual(straight.weights);
    expect(fs.existsSync(path.join(out2, 'results.json'))).toBe(true);
    b.dispose();
  });

  it('AbortSignal mid-epoch: writes a checkpoint, resolves interrupted; resuming ends with the same weights', async () => {
    const dir = tmpDir('abort');
    const a = setup(0);
    const ac = new AbortController();
    // 256 samples / 32 = 8 batches per epoch: abort after iteration 12 (epoch 2, step 4).
    const h1 = await trainerFor(a, {
      outDir: dir,
      logEvery: 3,
      signal: ac.signal,
      onLog: (s) => {
        if (s.iteration === 12) ac.abort();
      },
    }).fit();
    a.dispose();
    expect(h1.interrupted).toBe(true);
    expect(h1.epochs.length).toBe(1);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
    expect(meta.epoch).toBe(1);
    expect(meta.step).toBe(4);
    expect(meta.iteration).toBe(12);
    const res = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(res.history.interrupted).toBe(true);

    const b = setup(99);
    const h2 = await trainerFor(b, { outDir: dir, logEvery: 3, resume: true }).fit();
    expect(h2.interrupted).toBe(false);
    expect(snapshot(b.model)).toEqual(straight.weights);
    sameHistory(h2, straight.history);
    b.dispose();
  });

  it('abort at an epoch boundary (from onEpoch) and abort at a random time both resume exactly', async () => {
    const dir = tmpDir('abort-epoch');
    const a = setup(0);
    const ac = new AbortController();
    const h1 = await trainerFor(a, {
      outDir: dir,
      signal: ac.signal,
      onEpoch: (e) => {
        if (e.epoch === 3) ac.abort();
      },
    }).fit();
    a.dispose();
    expect(h1.interrupted).toBe(true);
    expect(h1.epochs.length).toBe(3);
    const b = setup(5);
    await trainerFor(b, { outDir: dir, resume: true }).fit();
    expect(snapshot(b.model)).toEqual(straight.weights);
    b.dispose();

    // Timer-driven abort: wherever it lands (before, inside or between epochs), resuming — as
    // often as needed — ends at the same weights.
    const dir2 = tmpDir('abort-timer');
    let resume = false;
    let runs = 0;
    let last: ReturnType<typeof setup>;
    for (;;) {
      const s = setup(runs === 0 ? 0 : runs + 40); // the first run is the fresh one: seed 0
      const ac2 = new AbortController();
      const timer = setTimeout(() => ac2.abort(), 2 + runs);
      const h = await trainerFor(s, { outDir: dir2, signal: ac2.signal, resume }).fit();
      clearTimeout(timer);
      runs++;
      resume = true;
      if (process.env.TRAIN_TEST_VERBOSE) console.log(`run ${runs}: interrupted=${h.interrupted} epochs=${h.epochs.length}`);
      if (!h.interrupted) {
        last = s;
        break;
      }
      s.dispose();
      expect(runs).toBeLessThan(500);
    }
    expect(runs).toBeGreaterThan(1); // at least one interruption happened
    expect(snapshot(last.model)).toEqual(straight.weights);
    last.dispose();
  });

  it('trainer.evaluate reports the same metrics as the history after a resumed run', async () => {
    const dir = tmpDir('eval');
    const a = setup(0);
    await trainerFor(a, { epochs: 2, outDir: dir }).fit();
    a.dispose();
    const b = setup(1);
    const t = trainerFor(b, { outDir: dir, resume: true });
    const h = await t.fit();
    const v = t.evaluate(b.valLoader);
    expect(v.loss).toBe(h.last!.valLoss);
    expect(v.acc).toBe(h.last!.valAcc);
    expect(v.ece).toBe(h.last!.valEce);
    // loadModelWeights (for `torchmix eval`) restores the final weights into a fresh model.
    const c = setup(2);
    const meta = train.loadModelWeights(c.model, dir);
    expect(meta.epoch).toBe(EPOCHS);
    expect(snapshot(c.model)).toEqual(straight.weights);
    b.dispose();
    c.dispose();
  });
});
