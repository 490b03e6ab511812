// mixup.mixmatch: one step equals the Python reference (scripts/baselines/semisup.py mixmatch_step) in float64
// — losses, every gradient, the weights and BatchNorm statistics after an Adam step, the EMA after its
// update — for the small CNN and WideResNet-28-2 (8×8 inputs), odd batches among the cases, both options of
// every point where the official code and the PyTorch port disagree. Needs the .venv Python (skipped,
// saying so, without it). Plus option errors and the ramp.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { torch, mixup, nn } from '../../lib/index.js';
import { havePython } from '../helpers/python.js';
import { runReference, checkStep, type ParityCase } from './ssl-parity.js';

const havePy = havePython('torch, safetensors', 'MixMatch reference tests');
const base = { method: 'mixmatch' as const, K: 2, spe: 10, epochs: 4, optimizer: 'adam' as const, lr: 0.002 };
const cases: ParityCase[] = [
  { ...base, name: 'cnn-official', arch: 'small-cnn', B: 4, opts: {}, it: 100 },
  { ...base, name: 'cnn-port-odd', arch: 'small-cnn', B: 5, opts: { mode: 'batch', bnUpdate: 'all', rampupSteps: 'run' }, it: 13 },
  { ...base, name: 'cnn-k3-flat', arch: 'small-cnn', B: 4, K: 3, opts: { interleave: false, alpha: 0.5, temperature: 0.7, views: 3 }, it: 9000 },
  { ...base, name: 'wrn-official-odd', arch: 'wrn', B: 3, opts: {}, it: 100 },
  { ...base, name: 'wrn-port', arch: 'wrn', B: 4, opts: { mode: 'batch', bnUpdate: 'all', rampupSteps: 'run' }, it: 13 },
  { ...base, name: 'wrn-first-flat', arch: 'wrn', B: 3, opts: { interleave: false }, it: 5 },
];

describe.skipIf(!havePy)('MixMatch = the Python reference, one step in float64 (skipped without .venv/bin/python)', () => {
  let ref: ReturnType<typeof runReference>;
  beforeAll(() => {
    ref = runReference(cases);
  }, 120_000);
  afterAll(() => ref?.cleanup());
  for (const c of cases)
    it(`${c.name}: losses, all gradients, weights + BatchNorm after Adam, the EMA`, () => {
      const p = ref.prepared.find((q) => q.c.name === c.name)!;
      const r = checkStep(p, ref.want);
      expect(r.noGrad).toEqual(
        c.arch === 'wrn' ? ['block2.layer.0.bn1.weight', 'block2.layer.0.bn1.bias', 'block3.layer.0.bn1.weight', 'block3.layer.0.bn1.bias'] : [],
      );
      expect(r.gradCount + r.noGrad.length).toBe(p.model.parameters().length);
      if (c.arch === 'wrn') {
        expect(r.bnBuffers).toBeGreaterThan(40);
        // Passes that updated BatchNorm: 'first' one; 'all' the K guesses + K + 1 interleaved passes (or + 1 pass over the pool).
        const all = c.opts.bnUpdate === 'all';
        expect(r.bnUpdates).toBe(all ? c.K + (c.opts.interleave === false ? 1 : c.K + 1) : 1);
      }
    }, 60_000);
});

describe('mixup.mixmatch options and ramp', () => {
  it('defaults are the official ones; errors name the option', () => {
    expect(mixup.mixmatch().options).toEqual({
      alpha: 0.75,
      lambdaU: 75,
      temperature: 0.5,
      views: 2,
      mode: 'elem',
      interleave: true,
      bnUpdate: 'first',
      rampupSteps: 16384,
      ema: 0.999,
    });
    expect(mixup.create('mixmatch', { lambdaU: 10 }).options).toMatchObject({ lambdaU: 10 });
    expect(() => mixup.mixmatch({ temperature: 0 })).toThrow(/option 'temperature' must be a number > 0/);
    expect(() => mixup.mixmatch({ mode: 'pair' as 'elem' })).toThrow(/option 'mode' must be one of "elem", "batch"/);
    expect(() => mixup.mixmatch({ bnUpdate: 'none' as 'all' })).toThrow(/option 'bnUpdate'/);
    expect(() => mixup.mixmatch({ rampupSteps: -1 })).toThrow(/option 'rampupSteps'/);
    expect(() => mixup.mixmatch({ ema: 1 })).toThrow(/option 'ema' must be a number in \[0, 1\)/);
    expect(() => mixup.mixmatch({ lamda: 1 } as never)).toThrow(/unknown option 'lamda'/);
  });
  it('w = λ_U·clip(step/rampupSteps, 0, 1), or over the run', () => {
    const m = mixup.mixmatch({ lambdaU: 75, rampupSteps: 16384 });
    expect(m.weight({ iteration: 0, batchesPerEpoch: 10, totalEpochs: 2 })).toBe(0);
    expect(m.weight({ iteration: 8192, batchesPerEpoch: 10, totalEpochs: 2 })).toBe(37.5);
    expect(m.weight({ iteration: 20000, batchesPerEpoch: 10, totalEpochs: 2 })).toBe(75);
    const r = mixup.mixmatch({ lambdaU: 100, rampupSteps: 'run' });
    expect(r.weight({ iteration: 15, batchesPerEpoch: 10, totalEpochs: 3 })).toBeCloseTo(50, 12);
  });
  it('clear errors: not attached, no unlabeled stream, wrong number of views', () => {
    const model = nn.models.mlp([2, 4, 2]);
    const m = mixup.mixmatch();
    const x = torch.randn([4, 2]);
    const y = torch.tensor(BigInt64Array.from([0n, 1n, 0n, 1n]));
    const ctx = { model, batches: { train: { x, y, index: y } }, numClasses: 2, epoch: 0, totalEpochs: 1, iteration: 0, batchesPerEpoch: 1 };
    expect(() => m.trainStep(ctx)).toThrow(/call method.attach\(model\)/);
    m.attach(model);
    expect(() => m.trainStep(ctx)).toThrow(/needs an 'unlabeled' data stream/);
    expect(() => m.trainStep({ ...ctx, batches: { ...ctx.batches, unlabeled: { x, y, index: y } } })).toThrow(/views is 2 but the unlabeled batch has 1 view/);
    expect(() => m.attach(nn.models.mlp([2, 4, 2]))).toThrow(/already attached/);
  });
});
