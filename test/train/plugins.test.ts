// The Trainer's plug-ins: EMA (against ModelEMA's closed form), gradient clipping (against a hand
// loop with nn.utils.clipGradNorm), early stopping (the stop epoch from the Keras rule applied to a
// reference run, the best weights restored bit for bit), a plug-in written from scratch, and
// resume equalities for each.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, train } from '../../lib/index.js';
import { setup, trainerFor, snapshot, tmpDir, removeTmpDirs, type Setup } from './util.js';
import { collectGarbage } from '../helpers/gc.js';

afterAll(removeTmpDirs);

const f64 = (t: torch.Tensor) => torch.tidy(() => Float64Array.from(t.double().toArray() as Float64Array));
const strip = (h: train.History) => h.epochs.map(({ seconds: _s, imagesPerSecond: _i, ...r }) => r);

/** Records the model's parameters (float64) after every optimizer step. */
function recorder(out: Float64Array[][]): train.Plugin {
  return { name: 'recorder', afterOptimizerStep: (s) => void out.push(s.trainer.model.parameters().map(f64)) };
}

describe('train.plugins.ema', () => {
  it('equals the closed form e_n = dⁿ·e₀ + (1−d)·Σ_k d^(n−k)·p_k of the weights after each step', async () => {
    const s = setup(0);
    const e0 = s.model.parameters().map(f64);
    const d = 0.9;
    const ema = train.plugins.ema({ decay: d });
    const seen: Float64Array[][] = [];
    const t = trainerFor(s, { epochs: 2, plugins: [ema, recorder(seen)] });
    const h = await t.fit();
    const n = seen.length;
    expect(n).toBe(16);
    expect(ema.average!.updates).toBe(16);
    const got = ema.average!.module.parameters().map(f64);
    let worst = 0;
    got.forEach((g, j) => {
      for (let i = 0; i < g.length; i++) {
        let want = d ** n * e0[j][i];
        for (let k = 1; k <= n; k++) want += (1 - d) * d ** (n - k) * seen[k - 1][j][i];
        worst = Math.max(worst, Math.abs(g[i] - want));
      }
    });
    expect(worst).toBeLessThan(2e-6);
    // The average is not the model (it lags it by ~1/(1−d) steps).
    const lag = Math.max(...got.map((g, j) => Math.max(...Array.from(g, (x, i) => Math.abs(x - seen[n - 1][j][i])))));
    expect(lag).toBeGreaterThan(1e-3);

    // Validation of the average: in every epoch record and in evaluate(loader).ema.
    const v = train.evaluateModel(ema.average!.module, s.valLoader);
    expect(h.last!.emaValLoss).toBe(v.loss);
    expect(h.last!.emaValAcc).toBe(v.acc);
    expect(h.last!.emaValEce).toBe(v.ece);
    expect(h.last!.emaValLoss).not.toBe(h.last!.valLoss);
    expect(h.epochs.every((e) => typeof e.emaValAcc === 'number')).toBe(true);
    const r = t.evaluate(s.valLoader);
    expect(r.ema).toEqual(v);
    expect(r.loss).toBe(h.last!.valLoss);
    s.dispose();
  });

  it('with warmup: the decay of update k is min(decay, (1 + k)/(10 + k))', async () => {
    const s = setup(0);
    const e = s.model.parameters().map(f64);
    const ema = train.plugins.ema({ decay: 0.95, warmup: true });
    const seen: Float64Array[][] = [];
    await trainerFor(s, { epochs: 1, plugins: [ema, recorder(seen)] }).fit();
    seen.forEach((p, k) => {
      const d = Math.min(0.95, (1 + k) / (10 + k));
      e.forEach((ej, j) => ej.forEach((x, i) => (ej[i] = d * x + (1 - d) * p[j][i])));
    });
    const got = ema.average!.module.parameters().map(f64);
    const worst = Math.max(...got.map((g, j) => Math.max(...Array.from(g, (x, i) => Math.abs(x - e[j][i])))));
    expect(worst).toBeLessThan(2e-6);
    s.dispose();
  });

  it('resume (at an epoch boundary and mid-epoch) continues the average bit for bit', async () => {
    const run = async (seed: number, o: Partial<train.TrainerOptions>) => {
      const s = setup(seed);
      const ema = train.plugins.ema({ decay: 0.95 });
      const h = await trainerFor(s, { plugins: [ema], ...o }).fit();
      const out = { h, model: snapshot(s.model), ema: snapshot(ema.average!.module) };
      s.dispose();
      return out;
    };
    const straight = await run(0, { epochs: 4 });
    const dir = tmpDir('ema-resume');
    await run(0, { epochs: 2, outDir: dir });
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
    expect(meta.plugins?.ema?.values).toEqual({ updates: 16 });
    const resumed = await run(7, { epochs: 4, outDir: dir, resume: true });
    expect(resumed.ema).toEqual(straight.ema);
    expect(resumed.model).toEqual(straight.model);
    expect(strip(resumed.h)).toEqual(strip(straight.h));

    const mid = tmpDir('ema-mid');
    const ac = new AbortController();
    const a = await run(0, {
      outDir: mid,
      logEvery: 1,
      signal: ac.signal,
      onLog: (l) => {
        if (l.iteration === 13) ac.abort();
      },
    });
    expect(a.h.interrupted).toBe(true);
    const b = await run(3, { outDir: mid, resume: true });
    expect(b.ema).toEqual(straight.ema);
    expect(strip(b.h)).toEqual(strip(straight.h));
  });

  it('a checkpoint without EMA state cannot be resumed with EMA; bad decay is refused', async () => {
    const dir = tmpDir('ema-none');
    const a = setup(0);
    await trainerFor(a, { epochs: 1, outDir: dir }).fit();
    a.dispose();
    const b = setup(0);
    await expect(trainerFor(b, { outDir: dir, resume: true, plugins: [train.plugins.ema()] }).fit()).rejects.toThrow(/holds no EMA state/);
    expect(() => trainerFor(b, { plugins: [train.plugins.ema({ decay: 1.5 })] })).toThrow(/decay must be in \[0, 1\], got 1.5/);
    b.dispose();
  });
});

describe('train.plugins.clipGrad', () => {
  it('equals a hand loop with nn.utils.clipGradNorm after backward', async () => {
    const maxNorm = 0.1;
    const a = setup(0);
    const norms: number[] = [];
    const seeNorm: train.Plugin = { name: 'norms', stepEnd: (s) => void norms.push(s.stepInfo.gradNorm!) };
    await trainerFor(a, { epochs: 1, plugins: [train.plugins.clipGrad({ maxNorm }), seeNorm] }).fit();

    const b = setup(0);
    const manual: number[] = [];
    b.model.train();
    b.trainLoader.forEach(({ x, y }) => {
      const r = b.method.apply({ x, y, numClasses: 2, epoch: 0, totalEpochs: 4 });
      const loss = r.loss(b.model.forward(r.input!) as torch.Tensor);
      b.optimizer.zeroGrad();
      loss.backward();
      manual.push(nn.utils.clipGradNorm(b.model.parameters(), maxNorm));
      b.optimizer.step();
    });
    expect(norms).toEqual(manual);
    expect(norms.filter((n) => n > maxNorm).length).toBeGreaterThan(4); // it did clip
    expect(snapshot(a.model)).toEqual(snapshot(b.model));
    const c = setup(0);
    await trainerFor(c, { epochs: 1 }).fit();
    expect(snapshot(c.model)).not.toEqual(snapshot(a.model));
    expect(() => train.plugins.clipGrad({ maxNorm: 0 })).toThrow(/maxNorm must be a finite number > 0, got 0/);
    [a, b, c].forEach((x) => x.dispose());
  });

  it('resume with clipping is bit-identical', async () => {
    const plugins = () => [train.plugins.clipGrad({ maxNorm: 0.3 })];
    const a = setup(0);
    await trainerFor(a, { plugins: plugins() }).fit();
    const dir = tmpDir('clip');
    const b = setup(0);
    await trainerFor(b, { epochs: 2, outDir: dir, plugins: plugins() }).fit();
    const c = setup(9);
    await trainerFor(c, { outDir: dir, resume: true, plugins: plugins() }).fit();
    expect(snapshot(c.model)).toEqual(snapshot(a.model));
    [a, b, c].forEach((x) => x.dispose());
  });
});

/** The Keras rule on a list of values: the epoch it stops after (or undefined) and the best epoch. */
function kerasStop(values: number[], patience: number, mode: 'min' | 'max', minDelta: number) {
  let best: number | undefined;
  let bestEpoch = 0;
  let wait = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (best === undefined || (mode === 'max' ? v - minDelta > best : v + minDelta < best)) [best, bestEpoch, wait] = [v, i + 1, 0];
    else if (++wait >= patience) return { stop: i + 1, bestEpoch };
  }
  return { stop: undefined, bestEpoch };
}

describe('train.plugins.earlyStopping', () => {
  const EPOCHS = 12;
  let ref: { h: train.History; weights: Record<string, string>[] } | undefined;
  const reference = async () => {
    if (ref) return ref;
    const s = setup(0);
    const weights: Record<string, string>[] = [];
    const h = await trainerFor(s, { epochs: EPOCHS, onEpoch: () => weights.push(snapshot(s.model)) }).fit();
    s.dispose();
    return (ref = { h, weights });
  };
  const withES = (s: Setup, o: Partial<train.TrainerOptions>, es: train.plugins.EarlyStoppingOptions) =>
    trainerFor(s, { epochs: EPOCHS, plugins: [train.plugins.earlyStopping(es)], ...o });

  for (const [monitor, minDelta] of [
    ['valLoss', 0.01],
    ['valAcc', 0],
  ] as const)
    it(`stops at the epoch the rule gives (${monitor}) and restores the best epoch's weights bit for bit`, async () => {
      const r = await reference();
      const mode = monitor === 'valAcc' ? 'max' : 'min';
      const want = kerasStop(
        r.h.epochs.map((e) => e[monitor]!),
        2,
        mode,
        minDelta,
      );
      expect(want.stop).toBeDefined();
      expect(want.stop!).toBeLessThan(EPOCHS);
      const dir = tmpDir(`es-${monitor}`);
      const s = setup(0);
      const h = await withES(s, { outDir: dir }, { patience: 2, monitor, minDelta }).fit();
      expect(h.epochs.length).toBe(want.stop);
      expect(strip(h)).toEqual(strip(r.h).slice(0, want.stop));
      expect(h.stopped).toMatchObject({
        epoch: want.stop,
        by: 'earlyStopping',
        details: { monitor, mode, bestEpoch: want.bestEpoch, restoredBestWeights: true },
      });
      expect(h.stopped!.reason).toBe(`${monitor} did not improve for 2 epochs (best ${r.h.epochs[want.bestEpoch - 1][monitor]} at epoch ${want.bestEpoch})`);
      expect(snapshot(s.model)).toEqual(r.weights[want.bestEpoch - 1]);
      // results.json says where and why; the checkpoint holds the restored weights.
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')).history.stopped).toEqual(h.stopped);
      const c = setup(4);
      train.loadModelWeights(c.model, dir);
      expect(snapshot(c.model)).toEqual(r.weights[want.bestEpoch - 1]);
      s.dispose();
      c.dispose();
    });

  it('running out of epochs with a better epoch behind also restores it; restoreBestWeights: false keeps the last', async () => {
    const r = await reference();
    const want = kerasStop(
      r.h.epochs.map((e) => e.valAcc!),
      100,
      'max',
      0,
    );
    expect(want.stop).toBeUndefined();
    expect(want.bestEpoch).toBeLessThan(EPOCHS);
    const s = setup(0);
    const h = await withES(s, {}, { patience: 100, monitor: 'valAcc' }).fit();
    expect(h.stopped).toBeUndefined();
    expect(h.epochs.length).toBe(EPOCHS);
    expect(snapshot(s.model)).toEqual(r.weights[want.bestEpoch - 1]);
    const t = setup(0);
    await withES(t, {}, { patience: 100, monitor: 'valAcc', restoreBestWeights: false }).fit();
    expect(snapshot(t.model)).toEqual(r.weights[EPOCHS - 1]);
    s.dispose();
    t.dispose();
  });

  it('resume mid-run stops at the same epoch with the same weights; a stopped run stays stopped', async () => {
    const es = { patience: 2, monitor: 'valLoss', minDelta: 0.01 };
    const a = setup(0);
    const straight = await withES(a, {}, es).fit();
    const weights = snapshot(a.model);
    a.dispose();
    const dir = tmpDir('es-resume');
    const ac = new AbortController();
    const b = setup(0);
    const h1 = await withES(
      b,
      {
        outDir: dir,
        logEvery: 1,
        signal: ac.signal,
        onLog: (l) => {
          if (l.iteration === 21) ac.abort();
        },
      },
      es,
    ).fit();
    b.dispose();
    expect(h1.interrupted).toBe(true);
    const c = setup(8);
    const h2 = await withES(c, { outDir: dir, resume: true }, es).fit();
    expect(strip(h2)).toEqual(strip(straight));
    expect(h2.stopped).toEqual(straight.stopped);
    expect(snapshot(c.model)).toEqual(weights);
    c.dispose();
    const d = setup(2);
    const h3 = await withES(d, { outDir: dir, resume: true }, es).fit();
    expect(h3.epochs.length).toBe(straight.epochs.length);
    expect(h3.stopped).toEqual(straight.stopped);
    expect(snapshot(d.model)).toEqual(weights);
    d.dispose();
  });

  it('bad options are clear errors', async () => {
    const s = setup(0);
    expect(() => train.plugins.earlyStopping({ patience: 0 })).toThrow(/patience must be a positive integer, got 0/);
    expect(() => train.plugins.earlyStopping({ patience: 2, mode: 'up' as 'max' })).toThrow(/mode must be 'min' or 'max'/);
    expect(() => trainerFor(s, { val: undefined, plugins: [train.plugins.earlyStopping({ patience: 2 })] })).toThrow(/monitor 'valLoss' needs validation/);
    await expect(trainerFor(s, { epochs: 1, plugins: [train.plugins.earlyStopping({ patience: 2, monitor: 'valAccuracy' })] }).fit()).rejects.toThrow(
      /the epoch record has no metric 'valAccuracy' \(it has .*valAcc/,
    );
    s.dispose();
  });
});

describe('a plug-in written from scratch', () => {
  it('the ARCHITECTURE.md example: stop once validation accuracy reaches a target', async () => {
    const stopAt = (target: number): train.Plugin => ({
      name: 'stopAt',
      epochEnd(s) {
        if (s.record!.valAcc! >= target) s.stop = { by: 'stopAt', reason: `valAcc reached ${target}` };
      },
    });
    const s = setup(0);
    const h = await trainerFor(s, { epochs: 12, plugins: [stopAt(0.8)] }).fit();
    const first = h.epochs.findIndex((e) => e.valAcc! >= 0.8) + 1;
    expect(first).toBeGreaterThan(0);
    expect(h.epochs.length).toBe(first);
    expect(h.stopped).toEqual({ by: 'stopAt', reason: 'valAcc reached 0.8', epoch: first });
    s.dispose();
  });

  it('plug-in lists are checked', () => {
    const s = setup(0);
    expect(() => trainerFor(s, { plugins: [{ name: 'x', onEpochEnd() {} } as unknown as train.Plugin] })).toThrow(
      /plugins\[0\] \('x'\): unknown hook 'onEpochEnd'/,
    );
    expect(() => trainerFor(s, { plugins: [train.plugins.ema(), train.plugins.ema()] })).toThrow(/two plug-ins named 'ema'/);
    expect(() => trainerFor(s, { plugins: {} as unknown as train.Plugin[] })).toThrow(/plugins must be an array/);
    s.dispose();
  });
});

/** Frees what earlier tests dropped (their models' GC-owned weights), so it is not freed mid-test. */
const settle = async () => {
  collectGarbage();
  await new Promise((r) => setImmediate(r));
  collectGarbage();
};

describe('plug-ins and memory', () => {
  it('no tensor leak across fits with EMA, early stopping, clipping and the guard (resume included)', async () => {
    const dir = tmpDir('plugins-leak');
    const s = setup(0);
    const plugins = [train.plugins.clipGrad({ maxNorm: 1 }), train.plugins.ema({ decay: 0.9 }), train.plugins.earlyStopping({ patience: 50 })];
    await trainerFor(s, { epochs: 2, outDir: dir, logEvery: 3, plugins }).fit(); // warm-up: momentum buffers, best weights
    await settle();
    const before = torch.memory().liveTensors;
    await trainerFor(s, { epochs: 4, outDir: dir, logEvery: 3, resume: true, plugins }).fit();
    const ac = new AbortController();
    await trainerFor(s, {
      epochs: 6,
      outDir: dir,
      logEvery: 3,
      resume: true,
      plugins,
      signal: ac.signal,
      onLog: (l) => {
        if (l.iteration === 36) ac.abort();
      },
    }).fit();
    await settle();
    expect(torch.memory().liveTensors).toBe(before);
    s.dispose();
  });
});
