// Lockstep: torchmix's Trainer with mixup.mixmatch / mixup.ict and the Python reference's training loop
// (scripts/baselines/semisup.py with --same-stream: torchmix's split, shuffles and jitter through tmrng.py,
// the same λ/permutation draws from the same generator, torch::optim::Adam's update) on two moons,
// 10 labels, two epochs of 29 steps: every step's loss and every epoch's numbers agree in every digit.
// Needs the .venv Python with the same torch version as the LibTorch in use (the random streams are
// equal only then): skipped, saying why, otherwise.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, optim, data, mixup, train } from '../../lib/index.js';
import { packageRoot } from '../../lib/torch/native.js';
import { venvPython, havePython } from '../helpers/python.js';
import { tmpDir, removeTmpDirs } from './util.js';

afterAll(removeTmpDirs);

let pyTorch: string | undefined;
if (havePython('torch, safetensors', 'SSL lockstep tests'))
  pyTorch = execFileSync(venvPython, ['-c', 'import torch; print(torch.__version__.split("+")[0])'], { encoding: 'utf8' }).trim();
const ours = torch.config().version;
const skip =
  pyTorch === undefined ? `no ${venvPython} with torch` : pyTorch !== ours ? `Python torch ${pyTorch} ≠ LibTorch ${ours}: different random streams` : '';
if (skip) console.warn(`SSL lockstep tests skipped: ${skip}`);

const SEED = 3,
  LABELS = 10,
  EPOCHS = 2,
  BS = 10,
  JITTER = 0.1,
  HIDDEN = 16;

async function torchmixRun(name: 'mixmatch' | 'ict', file: string) {
  torch.manualSeed(SEED);
  const all = data.moons({ n: 300, noise: 0.1, seed: 1 });
  const test = data.moons({ n: 200, noise: 0.1, seed: 2 });
  torch.save({ train_x: all.images, train_y: all.labels, test_x: test.images, test_y: test.labels }, file);
  const { labeled, unlabeled } = data.sslSplit(all, { labelsPerClass: LABELS / 2, seed: SEED });
  const views = name === 'mixmatch' ? 2 : 1;
  const lab = new data.DataLoader(labeled, { batchSize: BS, shuffle: true, seed: SEED, dropLast: true, augment: { jitter: JITTER } });
  const unl = new data.DataLoader(unlabeled, { batchSize: BS, shuffle: true, seed: SEED + 1, dropLast: true, augment: { jitter: JITTER }, views });
  const val = new data.DataLoader(test, { batchSize: 1000 });
  const model = nn.models.mlp([2, HIDDEN, HIDDEN, 2]);
  const method = name === 'mixmatch' ? mixup.mixmatch({ rampupSteps: 30 }) : mixup.ict({ rampupEpochs: 1 });
  method.attach(model);
  const optimizer =
    name === 'mixmatch' ? new optim.Adam(model.parameters(), { lr: 0.002 }) : new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const scheduler = name === 'ict' ? new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: EPOCHS }) : undefined;
  const losses: number[] = [];
  const t = new train.Trainer({
    model,
    optimizer,
    scheduler,
    method,
    train: lab,
    loaders: { unlabeled: unl },
    stepsPerEpoch: unl.length,
    val,
    numClasses: 2,
    epochs: EPOCHS,
    progress: 'none',
    logEvery: 1,
    onLog: (s) => void losses.push(s.loss),
    plugins: name === 'mixmatch' ? [train.plugins.decoupledWeightDecay({ weightDecay: 0.02 })] : [],
  });
  const h = await t.fit();
  return { losses, epochs: h.epochs, steps: unl.length };
}

function pythonRun(name: 'mixmatch' | 'ict', file: string, out: string) {
  const args = [
    path.join(packageRoot, 'scripts', 'baselines', 'semisup.py'),
    '--method',
    name,
    '--data-file',
    file,
    '--labels',
    String(LABELS),
    '--epochs',
    String(EPOCHS),
    '--batch-size',
    String(BS),
    '--jitter',
    String(JITTER),
    '--hidden',
    String(HIDDEN),
    '--seed',
    String(SEED),
    '--rampup',
    name === 'mixmatch' ? '30' : '1',
    '--same-stream',
    '--print-steps',
    '--out',
    out,
  ];
  const lines = execFileSync(venvPython, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { losses: lines.filter((l) => 'iteration' in l).map((l) => l.loss as number), epochs: lines.filter((l) => 'epoch' in l) };
}

describe.skipIf(skip !== '')('MixMatch and ICT in lockstep with the Python reference (skipped without a matching .venv torch)', () => {
  for (const name of ['mixmatch', 'ict'] as const)
    it(`${name}: every step's loss and every epoch's train loss, validation numbers and method stats are identical`, async () => {
      const dir = tmpDir(`lockstep-${name}`);
      const file = path.join(dir, 'moons.safetensors');
      const ts = await torchmixRun(name, file);
      const py = pythonRun(name, file, path.join(dir, 'py'));
      expect(ts.steps).toBe(29);
      expect(py.losses.length).toBe(EPOCHS * ts.steps);
      expect(ts.losses).toEqual(py.losses);
      for (let e = 0; e < EPOCHS; e++) {
        const [a, b] = [ts.epochs[e], py.epochs[e]];
        for (const k of ['trainLoss', 'valLoss', 'valAcc', 'valEce', 'lr'] as const) expect(a[k], `epoch ${e + 1} ${k}`).toBe(b[k]);
        expect(a.method, `epoch ${e + 1} method stats`).toEqual(b.method);
      }
      expect((ts.epochs[1].method as { weight: number }).weight).toBeGreaterThan(0);
    }, 120_000);
});
