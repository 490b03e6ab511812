// The divergence guard: a non-finite loss (or gradient norm, with clipping) stops training with a
// DivergenceError naming the first bad epoch and step; the last good checkpoint stays; evaluation
// of a diverged model does not crash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, train } from '../../lib/index.js';
import { setup, trainerFor, tmpDir, readJsonl, removeTmpDirs, type Setup } from './util.js';

afterAll(removeTmpDirs);

/** The setup's input mixup, with the loss multiplied by `factor` at (0-based) iteration `at`. */
function poisoned(s: Setup, at: number, factor = NaN): train.StepMethod {
  return {
    name: 'poisoned',
    trainStep(ctx) {
      const { x, y } = ctx.batches.train;
      const r = s.method.apply({ x, y, numClasses: ctx.numClasses });
      const loss = r.loss(ctx.model.forward(r.input!) as torch.Tensor);
      return { loss: ctx.iteration === at ? loss.mul(factor) : loss };
    },
  };
}
const steps = (out: number[]): train.Plugin => ({ name: 'steps', stepEnd: (s) => void out.push(s.iteration) });

describe('divergence guard', () => {
  it('names the first non-finite step even when it reads the loss later; the last good checkpoint stays', async () => {
    const dir = tmpDir('diverge');
    const s = setup(0);
    const sigint = process.listeners('SIGINT');
    let afterEpoch1: Buffer | undefined;
    const seen: number[] = [];
    // 8 steps per epoch: iteration index 10 is epoch 2, step 3. logEvery 50: read at the epoch's end.
    const keep: train.Plugin = {
      name: 'keep',
      epochStart: (st) => {
        if (st.epoch === 2) afterEpoch1 = fs.readFileSync(path.join(dir, 'checkpoint.safetensors'));
      },
    };
    const t = trainerFor(s, { method: poisoned(s, 10), outDir: dir, plugins: [steps(seen), keep] });
    const err = await t.fit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(train.DivergenceError);
    const m = (err as Error).message;
    expect(m).toMatch(
      /^training diverged: the loss became non-finite \(NaN or ±Inf\) at epoch 2, step 3 \(iteration 11\)\. The likely cause is a learning rate too high/,
    );
    expect(m).toContain(`The last good checkpoint (${path.join(dir, 'checkpoint.json')}, after epoch 1) is kept.`);
    // Found at the end of epoch 2 (the guard runs first in step 16's stepEnd), before validation.
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
    expect(meta.epoch).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'checkpoint.safetensors')).equals(afterEpoch1!)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'results.json'))).toBe(false);
    const log = readJsonl(path.join(dir, 'log.jsonl'));
    expect(log[log.length - 1]).toMatchObject({ type: 'error', epoch: 2, step: 8 });
    expect(process.listeners('SIGINT')).toEqual(sigint);
    // The good checkpoint resumes.
    const b = setup(1);
    const h = await trainerFor(b, { outDir: dir, resume: true, epochs: 2 }).fit();
    expect(h.epochs.length).toBe(2);
    expect(Number.isFinite(h.last!.trainLoss)).toBe(true);
    s.dispose();
    b.dispose();
  });

  it('with logEvery 1 it stops at the bad step itself; no checkpoint written before the first epoch says so', async () => {
    const s = setup(0);
    const seen: number[] = [];
    const dir = tmpDir('diverge-1');
    await expect(trainerFor(s, { method: poisoned(s, 4, Infinity), logEvery: 1, outDir: dir, plugins: [steps(seen)] }).fit()).rejects.toThrow(
      /loss became non-finite .* at epoch 1, step 5 \(iteration 5\)\..*No checkpoint was written\./,
    );
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(fs.existsSync(path.join(dir, 'checkpoint.json'))).toBe(false);
    s.dispose();
  });

  it('a non-finite gradient norm (clipping) is caught at that step, with a finite loss', async () => {
    const s = setup(0);
    const seen: number[] = [];
    const nanGrad: train.Plugin = {
      name: 'nanGrad',
      afterBackward: (st) => {
        if (st.iteration === 9) st.trainer.model.parameters()[0].grad!.fill_(NaN);
      },
    };
    const losses: number[] = [];
    await expect(
      trainerFor(s, { logEvery: 1, onLog: (l) => losses.push(l.loss), plugins: [nanGrad, train.plugins.clipGrad({ maxNorm: 1 }), steps(seen)] }).fit(),
    ).rejects.toThrow(/the gradient norm became non-finite .* at epoch 2, step 2 \(iteration 10\)/);
    expect(seen.length).toBe(9);
    expect(losses.every(Number.isFinite)).toBe(true);
    s.dispose();
  });

  it('an interruption after a bad step writes no checkpoint of the diverged weights', async () => {
    const dir = tmpDir('diverge-int');
    const s = setup(0);
    const ac = new AbortController();
    const stopAt: train.Plugin = {
      name: 'stopAt',
      stepEnd: (st) => {
        if (st.iteration === 3) ac.abort();
      },
    };
    await expect(trainerFor(s, { method: poisoned(s, 1), outDir: dir, signal: ac.signal, plugins: [stopAt] }).fit()).rejects.toThrow(/at epoch 1, step 2 /);
    expect(fs.existsSync(path.join(dir, 'checkpoint.json'))).toBe(false);
    s.dispose();
  });

  it('evaluation of a model with NaN weights reports NaN, without crashing (the ECE bins)', () => {
    const s = setup(0);
    torch.noGrad(() => s.model.parameters()[0].fill_(NaN));
    const r = train.evaluateModel(s.model, s.valLoader);
    expect(r.loss).toBeNaN();
    expect(r.ece).toBeNaN();
    expect(r.n).toBe(128);
    torch.tidy(() =>
      expect(train.ece(torch.tensor(new Float32Array([NaN, NaN, 0.2, 0.8]), { shape: [2, 2] }), torch.tensor(BigInt64Array.from([0n, 1n])))).toBeNaN(),
    );
    s.dispose();
  });
});
