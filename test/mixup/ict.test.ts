// mixup.ict: one step equals the Python reference (scripts/baselines/semisup.py ict_step) in float64 —
// losses, every gradient, the weights after an SGD step, the teacher after its update (BatchNorm statistics
// from its own train-mode pass included) — for the small CNN and WideResNet-28-2 (8×8 inputs), odd batches
// among the cases, both target forms (mixed logits: the official code; mixed probabilities: the paper).
// Needs the .venv Python (skipped, saying so, without it). Plus the ramp, the teacher's decay and errors.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { torch, mixup, nn } from '../../lib/index.js';
import { havePython } from '../helpers/python.js';
import { runReference, checkStep, type ParityCase } from './ssl-parity.js';

const havePy = havePython('torch, safetensors', 'ICT reference tests');
const base = { method: 'ict' as const, K: 1, spe: 10, epochs: 8, optimizer: 'sgd' as const, lr: 0.1 };
const cases: ParityCase[] = [
  { ...base, name: 'cnn-logits', arch: 'small-cnn', B: 4, opts: {}, it: 7 },
  { ...base, name: 'cnn-probs-odd', arch: 'small-cnn', B: 5, opts: { target: 'probs', alpha: 0.5, alphaU: 2, rampupEpochs: 3 }, it: 12 },
  { ...base, name: 'wrn-logits-odd', arch: 'wrn', B: 3, opts: {}, it: 7 },
  { ...base, name: 'wrn-probs', arch: 'wrn', B: 4, opts: { target: 'probs', ema: 0.5 }, it: 0 },
];

describe.skipIf(!havePy)('ICT = the Python reference, one step in float64 (skipped without .venv/bin/python)', () => {
  let ref: ReturnType<typeof runReference>;
  beforeAll(() => {
    ref = runReference(cases);
  }, 120_000);
  afterAll(() => ref?.cleanup());
  for (const c of cases)
    it(`${c.name}: losses, all gradients, weights after SGD, the teacher (weights and BatchNorm)`, () => {
      const p = ref.prepared.find((q) => q.c.name === c.name)!;
      const r = checkStep(p, ref.want);
      expect(r.noGrad).toEqual(
        c.arch === 'wrn' ? ['block2.layer.0.bn1.weight', 'block2.layer.0.bn1.bias', 'block3.layer.0.bn1.weight', 'block3.layer.0.bn1.bias'] : [],
      );
      expect(r.gradCount + r.noGrad.length).toBe(p.model.parameters().length);
      // The student's BatchNorm: two train-mode passes (labeled mix, unlabeled mix); the teacher's: one, its own.
      if (c.arch === 'wrn') {
        expect(r.bnUpdates).toBe(2);
        const tb = Object.fromEntries((p.method as mixup.IctMethod).teacher!.namedBuffers());
        expect(Number(tb['block1.layer.0.bn1.num_batches_tracked'].item())).toBe(1);
      }
    }, 60_000);
});

describe('mixup.ict options, ramp and teacher', () => {
  it('defaults; errors name the option', () => {
    expect(mixup.ict().options).toEqual({ alpha: 1, alphaU: 1, lambdaU: 100, rampupEpochs: null, ema: 0.999, target: 'logits' });
    expect(() => mixup.ict({ target: 'soft' as 'probs' })).toThrow(/option 'target' must be one of "logits", "probs"/);
    expect(() => mixup.ict({ rampupEpochs: -1 })).toThrow(/option 'rampupEpochs'/);
    expect(() => mixup.ict({ alphaU: -1 })).toThrow(/option 'alphaU' must be a number ≥ 0/);
    expect(() => mixup.create('ict', { views: 2 })).toThrow(/mixup.ict: unknown option 'views'/);
  });
  it('w(t) = λ_U·exp(−5(1 − t/T)²) for t < T (fractional epochs), λ_U after; T = ¼ of the run by default', () => {
    const m = mixup.ict({ lambdaU: 100 });
    expect(m.weight({ iteration: 0, batchesPerEpoch: 10, totalEpochs: 8 })).toBeCloseTo(100 * Math.exp(-5), 12);
    expect(m.weight({ iteration: 10, batchesPerEpoch: 10, totalEpochs: 8 })).toBeCloseTo(100 * Math.exp(-5 * 0.25), 12);
    expect(m.weight({ iteration: 20, batchesPerEpoch: 10, totalEpochs: 8 })).toBe(100);
    expect(m.weight({ iteration: 500, batchesPerEpoch: 10, totalEpochs: 8 })).toBe(100);
    expect(mixup.ict({ rampupEpochs: 0 }).weight({ iteration: 0, batchesPerEpoch: 10, totalEpochs: 8 })).toBe(100);
  });
  it('the teacher: a copy of the student, no gradients, a = min(1 − 1/(s + 1), ema) after step s', () => {
    torch.manualSeed(0);
    const model = nn.models.mlp([2, 3, 2], { dtype: 'float64' });
    const m = mixup.ict({ ema: 0.6 });
    const t = m.attach(model);
    expect(t).toBe(m.teacher);
    expect(t.parameters().every((q) => !q.requiresGrad)).toBe(true);
    const w0 = t.parameters()[0].clone();
    torch.noGrad(() => model.parameters()[0].add_(1));
    const ctx = { model, batches: {}, numClasses: 2, epoch: 0, totalEpochs: 1, iteration: 0, batchesPerEpoch: 1 };
    m.afterOptimizerStep!(ctx); // s = 1: a = 0.5
    expect(Array.from(t.parameters()[0].sub(w0).toArray() as Float64Array).every((v) => Math.abs(v - 0.5) < 1e-15)).toBe(true);
    m.afterOptimizerStep!({ ...ctx, iteration: 9 }); // s = 10: a = min(10/11, 0.6) = 0.6 → w0 + 0.5·0.6 + 0.4
    expect(Array.from(t.parameters()[0].sub(w0).toArray() as Float64Array).every((v) => Math.abs(v - 0.7) < 1e-15)).toBe(true);
    expect(() => m.trainStep(ctx)).toThrow(/needs an 'unlabeled' data stream/);
    expect(() => mixup.ict().trainStep(ctx)).toThrow(/call method.attach\(model\)/);
  });
});
