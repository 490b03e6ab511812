// One training step of mixup.mixmatch / mixup.ict against the Python reference (scripts/baselines/semisup.py,
// `semisup.py parity`): torchmix writes each case's weights, batch and random draws (λ, permutations: drawn by
// torchmix from LibTorch's generator in the method's order, then handed to Python, so the check holds on
// any LibTorch), Python takes the same step in float64 and writes losses, gradients, the weights after
// the optimizer step and the EMA / teacher after its update; the test compares everything.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { torch, nn, optim, mixup, data } from '../../lib/index.js';
import { packageRoot } from '../../lib/torch/native.js';
import { venvPython } from '../helpers/python.js';
import type { StepContext, StepMethod } from '../../lib/train/step.js';

type Tensor = torch.Tensor;

export interface ParityCase {
  name: string;
  method: 'mixmatch' | 'ict';
  arch: 'small-cnn' | 'wrn';
  B: number;
  /** Unlabeled views (MixMatch K; ICT 1). */
  K: number;
  opts: Record<string, unknown>;
  /** Steps done before this one, steps per epoch, epochs (the ramps). */
  it: number;
  spe: number;
  epochs: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
}

const numClasses = 10;

function archArgs(c: ParityCase): Record<string, unknown> {
  return c.arch === 'small-cnn' ? { inChannels: 1, numClasses } : { inChannels: 3, numClasses, depth: 28, width: 2 };
}
function build(c: ParityCase): nn.Module {
  if (c.arch === 'small-cnn') return nn.models.smallCNN({ inChannels: 1, numClasses, dropout: [0, 0], dtype: 'float64' });
  return new nn.models.WideResNet({ inChannels: 3, numClasses, depth: 28, width: 2, dtype: 'float64' });
}
const inputShape = (c: ParityCase, b: number) => (c.arch === 'small-cnn' ? [b, 1, 28, 28] : [b, 3, 8, 8]);

/** The draws the method makes, in its order, from the current generator state. */
function draws(c: ParityCase, o: Record<string, unknown>): Record<string, Tensor> {
  const dt = { dtype: 'float64' as const };
  if (c.method === 'mixmatch') {
    const n = c.B * (1 + c.K);
    const lam = mixup.sampleBeta(o.alpha as number, o.mode === 'elem' ? [n] : [], dt);
    return { lam, perm: torch.randperm(n) };
  }
  const lamS = mixup.sampleBeta(o.alpha as number, [], dt);
  const permS = torch.randperm(c.B);
  const lamU = mixup.sampleBeta(o.alphaU as number, [], dt);
  return { lam_s: lamS, perm_s: permS, lam_u: lamU, perm_u: torch.randperm(c.B) };
}

export interface Prepared {
  c: ParityCase;
  model: nn.Module;
  method: StepMethod & { attach(m: nn.Module): nn.Module };
  ctx: StepContext;
  seed: number;
}

/** Builds every case's model, batch and draws, runs the Python reference on them once; returns its outputs. */
export function runReference(cases: ParityCase[]): { prepared: Prepared[]; want: Record<string, Tensor>; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'torchmix-ssl-parity-'));
  const tensors: Record<string, Tensor> = {};
  const prepared: Prepared[] = cases.map((c, i) => {
    torch.manualSeed(100 + i);
    const model = build(c);
    const x = torch.randn(inputShape(c, c.B), { dtype: 'float64' });
    const y = torch.randint(0, numClasses, [c.B]);
    const us = Array.from({ length: c.K }, () => torch.randn(inputShape(c, c.B), { dtype: 'float64' }));
    const method = (c.method === 'mixmatch' ? mixup.mixmatch(c.opts) : mixup.ict(c.opts)) as Prepared['method'];
    const seed = 7 + i;
    torch.manualSeed(seed);
    const d = draws(c, method.options as Record<string, unknown>);
    const sd = torch.tidy(() => model.stateDict());
    for (const [k, v] of Object.entries(sd)) tensors[`${c.name}/model/${k}`] = v;
    Object.assign(tensors, { [`${c.name}/x`]: x, [`${c.name}/y`]: y }, ...us.map((u, k) => ({ [`${c.name}/u${k}`]: u })));
    for (const [k, v] of Object.entries(d)) tensors[`${c.name}/${k}`] = v;
    const index = torch.arange(c.B);
    const unlabeled: data.Batch = c.K > 1 ? { x: us[0], y, index, views: us } : { x: us[0], y, index };
    const ctx: StepContext = {
      model,
      batches: { train: { x, y, index }, unlabeled },
      numClasses,
      epoch: Math.floor(c.it / c.spe),
      totalEpochs: c.epochs,
      iteration: c.it,
      batchesPerEpoch: c.spe,
    };
    return { c, model, method, ctx, seed };
  });
  const inputs = path.join(dir, 'in.safetensors');
  const outputs = path.join(dir, 'out.safetensors');
  const spec = path.join(dir, 'spec.json');
  torch.save(tensors, inputs);
  writeFileSync(spec, JSON.stringify({ cases: cases.map((c) => ({ ...c, archArgs: archArgs(c), numClasses })) }));
  execFileSync(venvPython, [path.join(packageRoot, 'scripts', 'baselines', 'semisup.py'), 'parity', spec, inputs, outputs], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { prepared, want: torch.load(outputs), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const vals = (t: Tensor) => Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
/** max |got − want| / max(max |want|, 1e-12), computed by LibTorch (the WideResNet has 1.5 M weights). */
export function maxRelDiff(got: Tensor, want: Tensor): number {
  expect(got.shape).toEqual(want.shape);
  return torch.tidy(() => {
    const g = got.to('float64'),
      w = want.to('float64');
    return (g.sub(w).abs().max().item() as number) / Math.max(w.abs().max().item() as number, 1e-12);
  });
}

/** torchmix's step on a prepared case, compared with the reference: losses, every gradient, the weights and buffers after the step, the EMA / teacher. */
export function checkStep(
  p: Prepared,
  want: Record<string, Tensor>,
): { worstGrad: number; gradCount: number; noGrad: string[]; bnBuffers: number; bnUpdates?: number } {
  const { c, model, method, ctx } = p;
  const ev = method.attach(model);
  model.train();
  const opt = c.optimizer === 'adam' ? new optim.Adam(model.parameters(), { lr: c.lr }) : new optim.SGD(model.parameters(), { lr: c.lr });
  torch.manualSeed(p.seed);
  const r = method.trainStep(ctx);
  const stats = method.stateDict?.() as { sums: number[] };
  const [sup, unsup, w] = stats.sums;
  const n = c.name;
  const rel = (a: number, b: Tensor) => Math.abs(a - vals(b)[0]) / Math.abs(vals(b)[0]);
  expect(rel(vals(r.loss)[0], want[`${n}/loss`]), 'loss').toBeLessThan(1e-12);
  expect(rel(sup, want[`${n}/sup`]), 'supervised loss').toBeLessThan(1e-12);
  expect(rel(unsup, want[`${n}/unsup`]), 'unsupervised loss').toBeLessThan(1e-10);
  expect(w).toBeCloseTo(vals(want[`${n}/w`])[0], 12);
  expect(vals(want[`${n}/w`])[0], 'the ramp weight is in use').toBeGreaterThan(0);
  opt.zeroGrad({ setToNone: true });
  r.loss.backward();
  let worstGrad = 0;
  let gradCount = 0;
  const noGrad: string[] = [];
  for (const [k, t] of model.namedParameters()) {
    const g = want[`${n}/grad/${k}`];
    if (g === undefined) {
      // WideResNet's port quirk: the first block of block2/block3 does not use its bn1 output.
      expect(t.grad, `${k}: no gradient in the reference, none here`).toBeNull();
      noGrad.push(k);
      continue;
    }
    const d = maxRelDiff(t.grad!, g);
    expect(d, `gradient of ${k}`).toBeLessThan(1e-9);
    worstGrad = Math.max(worstGrad, d);
    gradCount++;
  }
  opt.step();
  method.afterOptimizerStep!(ctx);
  let bnBuffers = 0;
  const after = torch.tidy(() => model.stateDict());
  for (const [k, v] of Object.entries(after)) {
    expect(maxRelDiff(v.to('float64'), want[`${n}/after/${k}`].to('float64')), `${k} after the step`).toBeLessThan(1e-9);
    if (k.endsWith('running_mean') || k.endsWith('running_var')) bnBuffers++;
  }
  const evs = torch.tidy(() => ev.stateDict());
  for (const [k, v] of Object.entries(evs))
    expect(maxRelDiff(v.to('float64'), want[`${n}/eval/${k}`].to('float64')), `${c.method === 'ict' ? 'teacher' : 'EMA'} ${k}`).toBeLessThan(1e-9);
  opt.dispose();
  const nbt = after['block1.layer.0.bn1.num_batches_tracked'];
  return { worstGrad, gradCount, noGrad, bnBuffers, bnUpdates: nbt ? Number(vals(nbt)[0]) : undefined };
}
