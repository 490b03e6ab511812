// The Trainer: history and results.json, the JSON-lines log, learning two moons with input mixup,
// option errors, corrupt checkpoints (nothing overwritten), SIGINT handling, no tensor leaks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, optim, data, mixup, train } from '../../lib/index.js';
import { setup, trainerFor, tmpDir, readJsonl, snapshot, removeTmpDirs } from './util.js';
import { settledLiveTensors } from '../helpers/gc.js';

afterAll(removeTmpDirs);

describe('Trainer: history, results.json, log', () => {
  it('history fields, best/last, results.json contents', async () => {
    const dir = tmpDir('results');
    const s = setup(0);
    const seen: train.EpochRecord[] = [];
    const config = { dataset: 'moons', method: 'mixup', alpha: 0.4, seed: 0 };
    const h = await trainerFor(s, { epochs: 3, outDir: dir, config, onEpoch: (e) => seen.push(e) }).fit();
    expect(h.interrupted).toBe(false);
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(seen).toEqual(h.epochs);
    for (const e of h.epochs) {
      for (const k of ['trainLoss', 'lr', 'seconds', 'imagesPerSecond', 'valLoss', 'valAcc', 'valEce'] as const) {
        expect(Number.isFinite(e[k]), `${k} of epoch ${e.epoch}`).toBe(true);
      }
      expect(e.seconds).toBeGreaterThan(0);
      expect(e.valAcc).toBeGreaterThanOrEqual(0);
      expect(e.valAcc).toBeLessThanOrEqual(1);
      expect(e.valEce).toBeGreaterThanOrEqual(0);
      expect(e.imagesPerSecond).toBeCloseTo(256 / e.seconds, 3);
    }
    // StepLR(stepSize 2, gamma 0.5) stepped per epoch: lr at the start of epochs 1..3
    expect(h.epochs.map((e) => e.lr)).toEqual([0.1, 0.1, 0.05]);
    expect(h.last).toEqual(h.epochs[2]);
    const bestAcc = Math.max(...h.epochs.map((e) => e.valAcc!));
    expect(h.best!.valAcc).toBe(bestAcc);
    expect(h.best).toEqual(h.epochs.find((e) => e.valAcc === bestAcc));
    expect(h.secondsPerEpoch).toBeCloseTo(h.epochs.reduce((a, e) => a + e.seconds, 0) / 3, 10);

    const r = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as train.Results;
    expect(r.config).toEqual(config);
    expect(r.libtorch).toEqual(torch.config());
    expect(r.history).toEqual(h);
    expect(r.final).toEqual(h.last);
    expect(r.final!.valAcc).toBe(h.epochs[2].valAcc);
    expect(r.best).toEqual(h.best);
    expect(r.secondsPerEpoch).toBe(h.secondsPerEpoch);
    // checkpoint pair, no temp files left behind
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.json', 'checkpoint.safetensors', 'log.jsonl', 'results.json']);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
    expect(meta.format).toBe('torchmix-checkpoint');
    expect(meta.epoch).toBe(3);
    expect(meta.step).toBe(0);
    expect(meta.history).toEqual(h.epochs);
    expect(meta.config).toEqual(config);
    expect(meta.method?.name).toBe('mixup');
    expect(torch.loadMetadata(path.join(dir, 'checkpoint.safetensors')).torchmix_checkpoint).toBe(meta.id);
    s.dispose();
  });

  it('without validation: no val metrics, no best', async () => {
    const s = setup(0);
    const h = await trainerFor(s, { epochs: 1, val: undefined }).fit();
    expect(h.epochs[0].valAcc).toBeUndefined();
    expect(h.best).toBeUndefined();
    expect(h.last).toEqual(h.epochs[0]);
    s.dispose();
  });

  it('logEvery: one JSON line per logged step and per epoch', async () => {
    const dir = tmpDir('log');
    const s = setup(0);
    const logged: train.StepLog[] = [];
    await trainerFor(s, { epochs: 2, outDir: dir, logEvery: 4, onLog: (l) => logged.push(l) }).fit();
    const lines = readJsonl(path.join(dir, 'log.jsonl'));
    const steps = lines.filter((l) => l.type === 'step');
    const epochs = lines.filter((l) => l.type === 'epoch');
    // 8 batches per epoch, 2 epochs: iterations 4, 8, 12, 16
    expect(steps.map((l) => l.iteration)).toEqual([4, 8, 12, 16]);
    expect(steps.map((l) => [l.epoch, l.step])).toEqual([
      [1, 4],
      [1, 8],
      [2, 4],
      [2, 8],
    ]);
    for (const l of steps) {
      expect(typeof l.loss).toBe('number');
      expect(Number.isFinite(l.loss)).toBe(true);
      expect(l.lr).toBe(0.1);
    }
    expect(steps).toEqual(logged.map((l) => ({ type: 'step', ...l })));
    expect(epochs.map((l) => l.epoch)).toEqual([1, 2]);
    expect(Object.keys(epochs[0]).sort()).toEqual(['epoch', 'imagesPerSecond', 'lr', 'seconds', 'trainLoss', 'type', 'valAcc', 'valEce', 'valLoss']);
    expect(lines[0].type).toBe('start');
    expect(lines[lines.length - 1].type).toBe('end');
    s.dispose();
  });

  it("progress: 'lines' prints one line per epoch", async () => {
    const s = setup(0);
    const writes: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    (process.stdout as { write: unknown }).write = (c: string | Uint8Array) => (writes.push(String(c)), true);
    try {
      await trainerFor(s, { epochs: 2, progress: 'lines' }).fit();
    } finally {
      (process.stdout as { write: unknown }).write = orig;
    }
    const lines = writes
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('epoch'));
    expect(lines.length).toBe(2);
    expect(lines[1]).toMatch(/^epoch 2\/2 .*loss \d.*val_acc \d+\.\d+%.*ece .*img\/s$/);
    s.dispose();
  });

  it('schedulerStep iteration steps the scheduler after every optimizer step', async () => {
    torch.manualSeed(0);
    const s = setup(0);
    const sched = new optim.lrScheduler.ExponentialLR(s.optimizer, { gamma: 0.99 });
    await trainerFor(s, { scheduler: sched, schedulerStep: 'iteration', epochs: 2 }).fit();
    expect(s.optimizer.paramGroups[0].lr).toBeCloseTo(0.1 * 0.99 ** 16, 10);
    s.dispose();
  });
});

describe('Trainer: learning', () => {
  it('two moons with input mixup reaches > 90 % validation accuracy in 20 epochs', async () => {
    torch.manualSeed(1);
    const ds = data.moons({ n: 1024, noise: 0.1, seed: 21 });
    const vs = data.moons({ n: 512, noise: 0.1, seed: 22 });
    const model = nn.models.mlp([2, 64, 64, 2]);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    // No wall-clock bound here: speed is the benchmarks' business (a loaded machine made it flaky).
    const h = await new train.Trainer({
      model,
      optimizer,
      method: mixup.input({ alpha: 0.4 }),
      train: new data.DataLoader(ds, { batchSize: 32, shuffle: true, seed: 1 }),
      val: new data.DataLoader(vs, { batchSize: 256 }),
      numClasses: 2,
      epochs: 20,
      progress: 'none',
    }).fit();
    expect(h.last!.valAcc).toBeGreaterThan(0.9);
    expect(h.last!.trainLoss).toBeLessThan(h.epochs[0].trainLoss);
    optimizer.dispose();
  });

  it('manifold mixup runs through the trainer (the method runs the model)', async () => {
    const s = setup(0);
    const h = await trainerFor(s, { method: mixup.manifold({ alpha: 2 }), epochs: 2 }).fit();
    expect(Number.isFinite(h.last!.trainLoss)).toBe(true);
    s.dispose();
  });
});

describe('Trainer: errors', () => {
  it('bad options are clear errors', () => {
    const s = setup(0);
    const base = { model: s.model, optimizer: s.optimizer, train: s.trainLoader, numClasses: 2, epochs: 2 };
    const make = (o: Record<string, unknown>) => () => new train.Trainer({ ...base, ...o });
    expect(make({ epochs: 0 })).toThrow(/epochs must be a positive integer, got 0/);
    expect(make({ epochs: 1.5 })).toThrow(/epochs must be a positive integer, got 1.5/);
    expect(make({ epochs: undefined })).toThrow(/epochs must be a positive integer/);
    expect(make({ numClasses: 1 })).toThrow(/numClasses must be an integer ≥ 2, got 1/);
    expect(make({ numClasses: '10' })).toThrow(/numClasses/);
    expect(make({ train: undefined })).toThrow(/missing the train loader/);
    expect(make({ train: [1, 2] })).toThrow(/train must be a data.DataLoader/);
    expect(make({ model: {} })).toThrow(/model must be an nn.Module/);
    expect(make({ optimizer: {} })).toThrow(/optimizer must be an optim.Optimizer/);
    expect(make({ logEvery: 0 })).toThrow(/logEvery must be a positive integer/);
    expect(make({ progress: 'fancy' })).toThrow(/progress must be/);
    expect(make({ schedulerStep: 'batch' })).toThrow(/schedulerStep must be/);
    expect(make({ scheduler: { step() {} } })).toThrow(/scheduler must have/);
    expect(make({ method: 'mixup' })).toThrow(/method must be a mixup method/);
    expect(make({ epoch: 3 })).toThrow(/unknown option 'epoch'/);
    expect(make({ resume: true })).toThrow(/resume: true needs outDir/);
    expect(make({ resume: '/nonexistent/dir/checkpoint.json' })).toThrow(/does not exist/);
    expect(make({ outDir: tmpDir('empty'), resume: true })).toThrow(/does not exist/);
    s.dispose();
  });

  it('a corrupt or torn checkpoint is refused and nothing is overwritten', async () => {
    const dir = tmpDir('corrupt');
    const a = setup(0);
    await trainerFor(a, { epochs: 1, outDir: dir }).fit();
    a.dispose();
    const names = ['checkpoint.json', 'checkpoint.safetensors', 'log.jsonl', 'results.json'];
    const read = () => Object.fromEntries(names.map((n) => [n, fs.readFileSync(path.join(dir, n))]));

    // 1. truncated tensor file
    const st = path.join(dir, 'checkpoint.safetensors');
    const good = fs.readFileSync(st);
    fs.writeFileSync(st, good.subarray(0, good.length - 10));
    let before = read();
    const b = setup(1);
    const w = snapshot(b.model);
    await expect(trainerFor(b, { outDir: dir, resume: true }).fit()).rejects.toThrow(/corrupt checkpoint/);
    expect(read()).toEqual(before);
    expect(snapshot(b.model)).toEqual(w);

    // 2. a torn pair: the tensor file of another checkpoint next to this JSON
    const other = tmpDir('corrupt-other');
    const c = setup(0);
    await trainerFor(c, { epochs: 1, outDir: other }).fit();
    c.dispose();
    fs.copyFileSync(path.join(other, 'checkpoint.safetensors'), st);
    before = read();
    await expect(trainerFor(b, { outDir: dir, resume: true }).fit()).rejects.toThrow(/belongs to a different checkpoint/);
    expect(read()).toEqual(before);

    // 3. invalid JSON
    fs.copyFileSync(path.join(other, 'checkpoint.safetensors'), path.join(dir, 'x.safetensors'));
    fs.writeFileSync(path.join(dir, 'checkpoint.json'), '{"format": "torchmix-checkpoint", ');
    before = read();
    await expect(trainerFor(b, { outDir: dir, resume: true }).fit()).rejects.toThrow(/not valid JSON/);
    expect(read()).toEqual(before);

    // 4. a checkpoint of another model
    const m = nn.models.mlp([2, 8, 2]);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    await expect(
      new train.Trainer({ model: m, optimizer: opt, train: b.trainLoader, numClasses: 2, epochs: 2, progress: 'none', resume: other }).fit(),
    ).rejects.toThrow(/does not match the model/);
    expect(() => train.loadModelWeights(m, other)).toThrow(/does not match the model/);
    opt.dispose();
    b.dispose();
  });
});

describe('Trainer: SIGINT and memory', () => {
  it('SIGINT (handleSigint) checkpoints and resolves interrupted; the handler is removed after', async () => {
    const dir = tmpDir('sigint');
    const s = setup(0);
    const before = process.listeners('SIGINT');
    let fired = false;
    const h = await trainerFor(s, {
      outDir: dir,
      logEvery: 2,
      onLog: (l) => {
        if (l.iteration !== 6) return;
        const ours = process.listeners('SIGINT').filter((f) => !before.includes(f));
        expect(ours.length).toBe(1);
        (ours[0] as () => void)();
        fired = true;
      },
    }).fit();
    expect(fired).toBe(true);
    expect(h.interrupted).toBe(true);
    expect(process.listeners('SIGINT')).toEqual(before);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
    expect([meta.epoch, meta.step]).toEqual([0, 6]);
    s.dispose();
  });

  it('no tensor leak across fit() (with validation, checkpoints, logging, resume)', async () => {
    const dir = tmpDir('leak');
    const s = setup(0);
    const t = trainerFor(s, { epochs: 2, outDir: dir, logEvery: 3 });
    await t.fit(); // warm-up: creates the optimizer's momentum buffers
    const before = settledLiveTensors();
    await trainerFor(s, { epochs: 4, outDir: dir, logEvery: 3, resume: true }).fit();
    const ac = new AbortController();
    await trainerFor(s, {
      epochs: 6,
      outDir: dir,
      logEvery: 3,
      resume: true,
      signal: ac.signal,
      onLog: (l) => {
        if (l.iteration === 36) ac.abort();
      },
    }).fit();
    t.evaluate(s.valLoader);
    expect(settledLiveTensors()).toBe(before);
    s.dispose();
  });

  it('no tensor leak when a step throws', async () => {
    const s = setup(0);
    const before = settledLiveTensors();
    const bad: mixup.MixMethod<object> = {
      ...s.method,
      apply: () => {
        throw new Error('boom');
      },
    };
    await expect(trainerFor(s, { method: bad }).fit()).rejects.toThrow('boom');
    expect(settledLiveTensors()).toBe(before);
    s.dispose();
  });
});
