// The Trainer's parts the semi-supervised methods use: stepsPerEpoch (the train loader cycled like the
// extra streams), a method's evalModel() (validation with MixMatch's EMA / ICT's teacher) and
// afterOptimizerStep, exact resume mid-epoch with a cycled train stream and the methods' state, and the
// decoupledWeightDecay plug-in.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, optim, data, mixup, train } from '../../lib/index.js';
import { snapshot, tmpDir, removeTmpDirs } from './util.js';

afterAll(removeTmpDirs);

function sslSetup(name: 'mixmatch' | 'ict', seed = 0) {
  torch.manualSeed(seed);
  const all = data.moons({ n: 120, noise: 0.1, seed: 11 });
  const { labeled, unlabeled } = data.sslSplit(all, { labelsPerClass: 6, seed: 1 });
  const model = nn.models.mlp([2, 8, 2]);
  const method = name === 'mixmatch' ? mixup.mixmatch({ views: 1, rampupSteps: 20, lambdaU: 10 }) : mixup.ict({ lambdaU: 10 });
  method.attach(model);
  const optimizer = name === 'mixmatch' ? new optim.Adam(model.parameters(), { lr: 0.01 }) : new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const lab = new data.DataLoader(labeled, { batchSize: 4, shuffle: true, seed: 3, dropLast: true });
  const unl = new data.DataLoader(unlabeled, { batchSize: 4, shuffle: true, seed: 4, dropLast: true });
  const val = new data.DataLoader(data.moons({ n: 64, noise: 0.1, seed: 12 }), { batchSize: 32 });
  return { model, method, optimizer, lab, unl, val };
}
type S = ReturnType<typeof sslSetup>;
const trainerOf = (s: S, o: Partial<train.TrainerOptions> = {}) =>
  new train.Trainer({
    model: s.model,
    optimizer: s.optimizer,
    method: s.method,
    train: s.lab,
    loaders: { unlabeled: s.unl },
    stepsPerEpoch: 5,
    val: s.val,
    numClasses: 2,
    epochs: 3,
    progress: 'none',
    plugins: [train.plugins.decoupledWeightDecay({ weightDecay: 0.02 })],
    ...o,
  });

describe('stepsPerEpoch', () => {
  it('an epoch is stepsPerEpoch steps; the labeled loader (3 batches) is cycled across epochs, reshuffled each pass', async () => {
    torch.manualSeed(0);
    const ds = { x: torch.arange(12, { dtype: 'float32' }).reshape([12, 1]), y: torch.zeros([12], { dtype: 'int64' }) };
    const loader = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 5 });
    const seen: number[][] = [];
    const model = nn.models.mlp([1, 2]);
    const method: train.StepMethod = {
      name: 'probe',
      trainStep(ctx) {
        seen.push(Array.from(ctx.batches.train.index.toArray() as BigInt64Array, Number));
        expect(ctx.batchesPerEpoch).toBe(5);
        return { loss: model.forward(ctx.batches.train.x).sum() };
      },
    };
    const t = new train.Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0 }),
      method,
      train: loader,
      stepsPerEpoch: 5,
      numClasses: 2,
      epochs: 2,
      progress: 'none',
    });
    expect(t.batchesPerEpoch).toBe(5);
    const h = await t.fit();
    expect(h.epochs.length).toBe(2);
    expect(seen.length).toBe(10);
    // Passes of the loader: steps 0-2 its epoch 0, 3-5 epoch 1, 6-8 epoch 2, 9 epoch 3.
    const ref = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 5 });
    const want: number[][] = [];
    for (let e = 0; e < 4; e++) ref.forEach((b) => void want.push(Array.from(b.index.toArray() as BigInt64Array, Number)));
    expect(seen).toEqual(want.slice(0, 10));
    expect(new Set(seen.slice(0, 3).flat()).size).toBe(12);
    expect(
      () => new train.Trainer({ model, optimizer: new optim.SGD(model.parameters(), { lr: 0 }), train: loader, stepsPerEpoch: 0, numClasses: 2, epochs: 1 }),
    ).toThrow(/stepsPerEpoch must be a positive integer/);
  });

  for (const name of ['mixmatch', 'ict'] as const)
    it(`${name}: validation uses the method's evalModel; resume mid-epoch (cycled train stream, EMA/teacher, loss sums) is bit-identical`, async () => {
      const a = sslSetup(name);
      const h = await trainerOf(a).fit();
      const straight = { w: snapshot(a.model), ev: snapshot(a.method.evalModel!()), h };
      // evalModel is what valAcc scores (not the student), and the epoch records carry the method's stats.
      const t = trainerOf(a);
      const evs = train.evaluateModel(a.method.evalModel!(), a.val);
      const stu = train.evaluateModel(a.model, a.val);
      expect(t.evaluate(a.val).loss).toBe(evs.loss);
      expect(evs.loss).not.toBe(stu.loss);
      expect(h.epochs[2].valLoss).toBe(evs.loss);
      expect(Object.keys(h.epochs[0].method ?? {})).toEqual(['supLoss', 'unsupLoss', 'weight']);
      expect((h.epochs[2].method as { weight: number }).weight).toBeGreaterThan((h.epochs[0].method as { weight: number }).weight);

      const dir = tmpDir(`ssl-${name}`);
      const b = sslSetup(name);
      const ac = new AbortController();
      const h1 = await trainerOf(b, { outDir: dir, signal: ac.signal, logEvery: 1, onLog: (s) => void (s.iteration === 7 && ac.abort()) }).fit();
      expect(h1.interrupted).toBe(true);
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
      expect([meta.epoch, meta.step, meta.batchesPerEpoch]).toEqual([1, 2, 5]);
      expect(Object.keys(meta.streams ?? {}).sort()).toEqual(['train', 'unlabeled']);
      const c = sslSetup(name, 99); // another init: everything must come from the checkpoint
      const h2 = await trainerOf(c, { outDir: dir, resume: true }).fit();
      expect(snapshot(c.model)).toEqual(straight.w);
      expect(snapshot(c.method.evalModel!())).toEqual(straight.ev);
      const strip = (x: train.History) => x.epochs.map(({ seconds: _s, imagesPerSecond: _i, ...r }) => r);
      expect(strip(h2)).toEqual(strip(straight.h));
      // A trainer without stepsPerEpoch cannot continue it.
      const d = sslSetup(name);
      expect(() => trainerOf(d, { outDir: dir, resume: true, stepsPerEpoch: undefined, epochs: 4 })).not.toThrow();
      await expect(trainerOf(d, { outDir: dir, resume: true, stepsPerEpoch: undefined, epochs: 4 }).fit()).rejects.toThrow(/stepsPerEpoch/);
    }, 60_000);
});

describe('SSL methods and the Trainer', () => {
  it('an unattached MixMatch/ICT is refused with what to do', () => {
    const model = nn.models.mlp([2, 4, 2]);
    const ds = { x: torch.zeros([4, 2]), y: torch.zeros([4], { dtype: 'int64' }) };
    const loader = new data.DataLoader(ds, { batchSize: 2 });
    const unlabeled = new data.DataLoader(ds, { batchSize: 2 });
    for (const method of [mixup.mixmatch(), mixup.ict()])
      expect(
        () =>
          new train.Trainer({
            model,
            optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
            method,
            train: loader,
            loaders: { unlabeled },
            numClasses: 2,
            epochs: 1,
          }),
      ).toThrow(new RegExp(`method '${method.name}' keeps a copy of the model .*call method.attach\\(model\\) before building the Trainer`));
  });
});

describe('decoupledWeightDecay plug-in', () => {
  for (const scope of ['kernels', 'all'] as const)
    it(`scope '${scope}': w ← w·(1 − wd·lr) after every step, on ${scope === 'kernels' ? 'conv/linear weights only' : 'every floating state-dict entry'}`, async () => {
      torch.manualSeed(0);
      const model = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3), new nn.Linear(3, 2));
      const bn = model.at(1) as nn.BatchNorm1d;
      torch.noGrad(() => [bn.running_mean!.fill_(0.5), bn.bias!.fill_(0.3)]);
      const ds = { x: torch.randn([8, 2]), y: torch.zeros([8], { dtype: 'int64' }) };
      const before = torch.tidy(() => Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, torch.keep(v.clone())])));
      // A step with zero gradients: SGD changes nothing, so only the decay moves the weights. eval-mode BatchNorm keeps its statistics.
      const method: train.StepMethod = { name: 'zero', trainStep: (ctx) => ({ loss: model.eval().forward(ctx.batches.train.x).sum().mul(0) }) };
      const lr = 0.5;
      const t = new train.Trainer({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr }),
        method,
        train: new data.DataLoader(ds, { batchSize: 4 }),
        numClasses: 2,
        epochs: 1,
        progress: 'none',
        plugins: [train.plugins.decoupledWeightDecay({ weightDecay: 0.1, scope })],
      });
      await t.fit();
      const f = (1 - 0.1 * lr) ** 2; // two steps
      const after = torch.tidy(() => model.stateDict());
      const decayed =
        scope === 'kernels' ? ['0.weight', '2.weight'] : ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '2.weight', '2.bias'];
      for (const [k, v] of Object.entries(after)) {
        const want = decayed.includes(k) ? before[k].mul(f) : before[k];
        expect(
          torch.tidy(() => v.double().sub(want.double()).abs().max().item() as number),
          k,
        ).toBeLessThan(1e-7);
        if (decayed.includes(k))
          expect(
            torch.tidy(() => v.sub(before[k]).abs().max().item() as number),
            `${k} moved`,
          ).toBeGreaterThan(1e-3);
      }
      expect(Number(after['1.num_batches_tracked'].item())).toBe(0);
      expect(train.plugins.decayedTensors(model, 'kernels').map(([k]) => k)).toEqual(['0.weight', '2.weight']);
    });
  it('errors name the option', () => {
    expect(() => train.plugins.decoupledWeightDecay({ weightDecay: -1 })).toThrow(/weightDecay must be a finite number ≥ 0/);
    expect(() => train.plugins.decoupledWeightDecay({ weightDecay: 0.02, scope: 'bias' as 'all' })).toThrow(/scope must be 'kernels' or 'all'/);
  });
});
