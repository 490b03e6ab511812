// train.plugins.amp: mixed precision on the Trainer's events. A bf16 moons run trains (to the fp32
// run's accuracy, with weights that differ from it: the forward really ran in bf16); the events
// fire where they should (autocast on in the forward only); with loss scaling, an overflowing scale
// skips steps (weights untouched, afterOptimizerStep not fired, clipGrad's inf norm not a
// divergence) and backs off until training goes on; checkpoint/resume keeps the scale bit for bit;
// bad plug-in orders and options are refused. float16 autocast on the CPU needs LibTorch 2.x: on
// 1.13 the scaler cases run with bf16 autocast + an explicit GradScaler (the scaler does not care).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn, train, amp, mixup } from '../../lib/index.js';
import { setup, trainerFor, snapshot, tmpDir, removeTmpDirs } from './util.js';

afterAll(removeTmpDirs);

const fp16 = torch.isAutocastDtypeSupported('cpu', 'float16');
const scaled = (o: amp.GradScalerOptions = {}) =>
  fp16
    ? train.plugins.amp({ dtype: 'fp16', scaler: new amp.GradScaler({ device: 'cpu', ...o }) })
    : train.plugins.amp({ dtype: 'bf16', scaler: new amp.GradScaler({ device: 'cpu', ...o }) });
const strip = (h: train.History) => h.epochs.map(({ seconds: _s, imagesPerSecond: _i, ...r }) => r);

describe('train.plugins.amp', () => {
  it('bf16: trains moons to the fp32 accuracy; autocast is on in the forward only', async () => {
    const seen: Record<string, boolean[]> = { forward: [], backward: [], step: [] };
    const probe: train.Plugin = {
      name: 'probe',
      forwardContext: () => void seen.forward.push(torch.isAutocastEnabled('cpu')),
      beforeBackward: () => void seen.backward.push(torch.isAutocastEnabled('cpu')),
      afterOptimizerStep: () => void seen.step.push(torch.isAutocastEnabled('cpu')),
    };
    const a = setup(0);
    const p = train.plugins.amp({ dtype: 'bf16' });
    const h = await trainerFor(a, { epochs: 4, plugins: [p, probe] }).fit();
    expect(p.dtype).toBe('bfloat16');
    expect(p.scaler).toBeUndefined();
    expect(seen.forward).toEqual(Array(32).fill(true));
    expect(seen.backward).toEqual(Array(32).fill(false));
    expect(seen.step).toEqual(Array(32).fill(false));
    const bf = snapshot(a.model);
    a.dispose();
    const b = setup(0);
    const h32 = await trainerFor(b, { epochs: 4 }).fit();
    const f32 = snapshot(b.model);
    b.dispose();
    const last = h.epochs.at(-1)!;
    expect(last.valAcc).toBeGreaterThan(0.85);
    expect(Math.abs(last.valAcc! - h32.epochs.at(-1)!.valAcc!)).toBeLessThanOrEqual(0.03);
    expect(h.epochs[3].trainLoss).toBeLessThan(h.epochs[0].trainLoss);
    expect(bf).not.toEqual(f32); // the forward really ran in bf16
  });

  it.skipIf(!fp16)(
    'fp16 loss scaling: an overflowing scale skips steps (weights untouched, no divergence from clipGrad), backs off, and training goes on (LibTorch 2.x: 1.13 has no CPU fp16 autocast)',
    async () => {
      const s = setup(0);
      const log: { skipped: boolean; scale: number; weights: Record<string, string> }[] = [];
      let fired = 0;
      const p = train.plugins.amp({ dtype: 'fp16', scaler: new amp.GradScaler({ device: 'cpu', initScale: 2 ** 24, growthInterval: 1000 }) });
      const rec: train.Plugin = {
        name: 'rec',
        afterOptimizerStep: () => void fired++,
        stepEnd: (st) => void log.push({ skipped: st.stepInfo.skippedStep === true, scale: p.scaler!.getScale(), weights: snapshot(s.model) }),
      };
      const w0 = snapshot(s.model);
      // 2^24 × the loss overflows float16's 65504 in the backward of the fp16 layers: skipped, halved, until it fits.
      const h = await trainerFor(s, { epochs: 4, plugins: [p, train.plugins.clipGrad({ maxNorm: 5 }), rec] }).fit();
      const n = log.filter((l) => l.skipped).length;
      expect(n).toBeGreaterThanOrEqual(2);
      expect(log[0].skipped).toBe(true);
      expect(log.at(-1)!.skipped).toBe(false);
      log.forEach((l, i) => {
        const prev = i ? log[i - 1] : { scale: 2 ** 24, weights: w0 };
        expect(l.scale, `scale after step ${i + 1}`).toBe(l.skipped ? prev.scale / 2 : prev.scale);
        if (l.skipped) expect(l.weights, `weights after skipped step ${i + 1}`).toEqual(prev.weights);
        else expect(l.weights).not.toEqual(prev.weights);
      });
      expect(fired).toBe(32 - n); // afterOptimizerStep only after real steps
      expect(p.scaler!.skippedSteps).toBe(n);
      // training went on after the skips (here: 6 skipped, valAcc 0.50 → 0.79 over 4 epochs)
      expect(h.epochs.at(-1)!.valAcc).toBeGreaterThan(0.75);
      expect(h.epochs.at(-1)!.valAcc!).toBeGreaterThan(h.epochs[0].valAcc! + 0.2);
      s.dispose();
    },
  );

  it('a skipped step leaves the weights exactly as they were (inf written into a gradient before unscaling)', async () => {
    const s = setup(0);
    const snaps: Record<string, string>[] = [];
    // syncGradients runs after backward, before afterBackward (the amp unscale): the inf is seen.
    const inject: train.Plugin = {
      name: 'inject',
      syncGradients: async (st) => {
        if (st.iteration === 2) torch.noGrad(() => s.model.parameters()[0].grad!.select(0, 0).select(0, 0).fill_(Infinity));
        await Promise.resolve();
      },
      stepEnd: () => void snaps.push(snapshot(s.model)),
    };
    const p = scaled({ initScale: 256 });
    await trainerFor(s, { epochs: 1, plugins: [p, inject] }).fit();
    expect(snaps[2]).toEqual(snaps[1]); // step 3 (iteration 2) skipped
    expect(snaps[3]).not.toEqual(snaps[2]);
    expect(p.scaler!.skippedSteps).toBe(1);
    expect(p.scaler!.getScale()).toBe(128);
    s.dispose();
  });

  it('checkpoint and resume keep the scale and growth tracker: the resumed run ends bit-identical to a straight one', async () => {
    const run = async (o: Partial<train.TrainerOptions>) => {
      const s = setup(0);
      const p = scaled({ initScale: 2 ** 20, growthInterval: 5 });
      const h = await trainerFor(s, { plugins: [p], ...o }).fit();
      const out = { h, model: snapshot(s.model), scale: p.scaler!.getScale(), tracker: p.scaler!.getGrowthTracker() };
      s.dispose();
      return out;
    };
    const straight = await run({ epochs: 4 });
    const dir = tmpDir('amp-resume');
    const half = await run({ epochs: 2, outDir: dir });
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as train.CheckpointMeta;
    expect(meta.plugins?.amp?.values).toEqual({ scale: half.scale, growthFactor: 2, backoffFactor: 0.5, growthInterval: 5, growthTracker: half.tracker });
    expect(half.scale).not.toBe(2 ** 20); // the scale moved before the checkpoint
    const resumed = await run({ epochs: 4, outDir: dir, resume: true });
    expect(resumed.scale).toBe(straight.scale);
    expect(resumed.tracker).toBe(straight.tracker);
    expect(resumed.model).toEqual(straight.model);
    expect(strip(resumed.h)).toEqual(strip(straight.h));
  });

  it('refuses an order that would clip scaled gradients, two step-owning plug-ins, and bad options', () => {
    const s = setup(0);
    expect(() => trainerFor(s, { plugins: [train.plugins.clipGrad({ maxNorm: 1 }), scaled()] })).toThrow(/put the amp plug-in before 'clipGrad'/);
    const other: train.Plugin = { name: 'other', optimizerStep: () => true };
    expect(() => trainerFor(s, { plugins: [scaled(), other] })).toThrow(/'amp' and 'other' both do the optimizer step/);
    expect(() => train.plugins.amp({ dtype: 'fp32' as 'bf16' })).toThrow(/dtype must be one of bfloat16, float16/);
    expect(() => train.plugins.amp({ device: 'tpu' as 'cpu' })).toThrow(/device must be 'cpu' or 'cuda'/);
    expect(() => train.plugins.amp({ scaler: {} as amp.GradScaler })).toThrow(/scaler must be an amp.GradScaler/);
    if (!fp16)
      expect(() => trainerFor(s, { plugins: [train.plugins.amp({ dtype: 'fp16' })] })).toThrow(
        /float16 autocast is not supported on cpu by this LibTorch 1\.13/,
      );
    if (!torch.cuda.isAvailable()) expect(() => trainerFor(s, { plugins: [train.plugins.amp({ device: 'cuda' })] })).toThrow(/CUDA is not available/);
    s.dispose();
  });

  it("mixup's losses under bf16 autocast keep the soft targets and λ in float32 (as PyTorch's float32 cross-entropy under autocast)", () => {
    torch.manualSeed(2);
    const w = torch.randn([3, 4]);
    const x = torch.randn([6, 4]);
    const y = torch.tensor([0, 1, 2, 0, 1, 2]);
    const partner = torch.tensor([5, 4, 3, 2, 1, 0]);
    const lam = torch.scalarTensor(0.3712);
    const target = mixup.mixTargets(y, partner, lam, 3);
    const soft = torch.autocast({ deviceType: 'cpu' }, () => {
      const logits = nn.functional.linear(x, w);
      expect(logits.dtype).toBe('bfloat16');
      return {
        got: mixup.softTargetCrossEntropy(logits, target),
        f32: nn.functional.crossEntropy(logits.float(), target),
        rounded: nn.functional.crossEntropy(logits, target.to('bfloat16')),
      };
    });
    expect(soft.got.dtype).toBe('float32');
    expect(soft.got.item()).toBe(soft.f32.item());
    expect(soft.got.item()).not.toBe(soft.rounded.item()); // λ = 0.3712 is not a bf16 number
    const paired = torch.autocast({ deviceType: 'cpu' }, () => {
      const logits = nn.functional.linear(x, w);
      const a = nn.functional.crossEntropy(logits, y);
      const b = nn.functional.crossEntropy(logits, y.indexSelect(0, partner));
      return { got: mixup.pairedCrossEntropy(logits, y, partner, lam), want: b.lerp(a, lam) };
    });
    expect(paired.got.item()).toBe(paired.want.item());
  });

  it.skipIf(!fp16)('fp16 (LibTorch 2.x CPU): a GradScaler by default, trains moons', async () => {
    const s = setup(0);
    const p = train.plugins.amp({ dtype: 'fp16' });
    const h = await trainerFor(s, { epochs: 4, plugins: [p] }).fit();
    expect(p.scaler).toBeInstanceOf(amp.GradScaler);
    expect(h.epochs.at(-1)!.valAcc).toBeGreaterThan(0.85);
    s.dispose();
  });
});
