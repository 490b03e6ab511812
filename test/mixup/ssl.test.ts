// The pieces the semi-supervised methods share (lib/mixup/ssl.ts): sharpening, MixMatch's interleave,
// the two ramp-ups, train-mode BatchNorm passes that leave the running statistics alone, and the methods'
// epoch statistics (with their mid-epoch state).
import { describe, it, expect } from 'vitest';
import { torch, mixup, nn } from '../../lib/index.js';

const rows = (t: torch.Tensor) => Array.from(t.toArray() as Float64Array);

describe('semi-supervised helpers', () => {
  it('sharpen: p^(1/T) / Σ p^(1/T); T = 1 is the identity on probabilities; errors', () => {
    const p = torch.tensor(Float64Array.of(0.2, 0.3, 0.5, 0.9, 0.05, 0.05)).reshape([2, 3]);
    const s = rows(mixup.sharpen(p, 0.5));
    [0.04 / 0.38, 0.09 / 0.38, 0.25 / 0.38, 0.81 / 0.815, 0.0025 / 0.815, 0.0025 / 0.815].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 14));
    rows(mixup.sharpen(p, 1)).forEach((v, i) => expect(v).toBeCloseTo(rows(p)[i], 15));
    expect(() => mixup.sharpen(p, 0)).toThrow(/temperature must be a finite number > 0/);
    expect(() => mixup.sharpen(torch.ones([3]), 0.5)).toThrow(/N×C/);
  });

  it('interleave: group i of batch 0 swapped with group i of batch i (remainder to the last groups); its own inverse', () => {
    expect(mixup.interleaveOffsets(5, 2)).toEqual([0, 1, 3, 5]);
    expect(mixup.interleaveOffsets(64, 2)).toEqual([0, 21, 42, 64]);
    expect(mixup.interleaveOffsets(7, 3)).toEqual([0, 1, 3, 5, 7]);
    const mk = (base: number) => torch.arange(base, base + 5, 1, { dtype: 'float64' });
    const [a, b, c] = mixup.interleave([mk(0), mk(10), mk(20)], 5);
    expect(rows(a)).toEqual([0, 11, 12, 23, 24]);
    expect(rows(b)).toEqual([10, 1, 2, 13, 14]);
    expect(rows(c)).toEqual([20, 21, 22, 3, 4]);
    const back = mixup.interleave([a, b, c], 5);
    expect(back.map(rows)).toEqual([
      [0, 1, 2, 3, 4],
      [10, 11, 12, 13, 14],
      [20, 21, 22, 23, 24],
    ]);
    expect(() => mixup.interleave([mk(0), torch.zeros([4])], 5)).toThrow(/every batch must have 5 rows/);
  });

  it('ramps: linear clip(t/L, 0, 1); sigmoid exp(−5(1 − t/L)²); length 0 → 1', () => {
    expect([0, 5, 10, 20].map((t) => mixup.linearRampup(t, 10))).toEqual([0, 0.5, 1, 1]);
    expect(mixup.linearRampup(3, 0)).toBe(1);
    expect(mixup.sigmoidRampup(0, 4)).toBeCloseTo(Math.exp(-5), 15);
    expect(mixup.sigmoidRampup(2, 4)).toBeCloseTo(Math.exp(-1.25), 15);
    expect(mixup.sigmoidRampup(4, 4)).toBe(1);
    expect(mixup.sigmoidRampup(9, 4)).toBe(1);
    expect(mixup.sigmoidRampup(-1, 4)).toBeCloseTo(Math.exp(-5), 15);
    expect(mixup.sigmoidRampup(1, 0)).toBe(1);
  });

  it('withFrozenBatchNorm: the train-mode output (batch statistics), running statistics and counts unchanged', () => {
    torch.manualSeed(0);
    const bn = new nn.BatchNorm2d(3, { dtype: 'float64' });
    const model = new nn.Sequential(new nn.Conv2d(2, 3, 3, { dtype: 'float64' }), bn);
    model.train();
    const x = torch.randn([4, 2, 5, 5], { dtype: 'float64' });
    model.forward(x); // one update, so the statistics are not at their initial values
    const before = [bn.running_mean!.clone(), bn.running_var!.clone(), bn.num_batches_tracked!.clone()];
    const x2 = torch.randn([4, 2, 5, 5], { dtype: 'float64' }).mul(3).add(1);
    const frozen = mixup.withFrozenBatchNorm(model, () => model.forward(x2));
    expect(rows(bn.running_mean!)).toEqual(rows(before[0]));
    expect(rows(bn.running_var!)).toEqual(rows(before[1]));
    expect(Number(bn.num_batches_tracked!.item())).toBe(1);
    expect(bn.momentum).toBe(0.1);
    const live = model.forward(x2); // the same output, now updating the statistics
    expect(rows(frozen.sub(live).abs().max())[0]).toBe(0);
    expect(Number(bn.num_batches_tracked!.item())).toBe(2);
    expect(rows(bn.running_mean!.sub(before[0]).abs().max())[0]).toBeGreaterThan(0.01);
  });

  it('epochStats: means of the supervised loss, unsupervised loss and weight per epoch; state for a mid-epoch resume', () => {
    const m = mixup.ict();
    expect(m.epochStats()).toBeUndefined();
    m.loadStateDict!({ sums: [3, 0.5, 20, 2] });
    expect(m.stateDict!()).toEqual({ sums: [3, 0.5, 20, 2] });
    expect(m.epochStats()).toEqual({ supLoss: 1.5, unsupLoss: 0.25, weight: 10 });
    expect(m.epochStats()).toBeUndefined();
    expect(() => m.loadStateDict!({ sums: [1] })).toThrow(/mixup.ict.loadStateDict: expected \{ sums: 4 numbers \}/);
  });

  it.skipIf(!torch.cuda.isAvailable())('CUDA: a MixMatch and an ICT step on the device equal the CPU step in float64 (skipped without CUDA)', () => {
    // α = 0: λ = 1, so the step does not depend on the (device-specific) random streams.
    for (const name of ['mixmatch', 'ict'] as const) {
      const run = (device: 'cpu' | 'cuda') => {
        torch.manualSeed(0);
        const model = new nn.models.WideResNet({ depth: 10, width: 1, inChannels: 3, numClasses: 4, dtype: 'float64' }).to(device);
        const x = torch.randn([6, 3, 8, 8], { dtype: 'float64' }).to(device);
        const y = torch.randint(0, 4, [6]).to(device);
        const us = [torch.randn([6, 3, 8, 8], { dtype: 'float64' }).to(device), torch.randn([6, 3, 8, 8], { dtype: 'float64' }).to(device)];
        const m = name === 'mixmatch' ? mixup.mixmatch({ alpha: 0, rampupSteps: 10 }) : mixup.ict({ alpha: 0, alphaU: 0 });
        const ev = m.attach(model);
        model.train();
        const ctx = {
          model,
          batches: { train: { x, y, index: y }, unlabeled: { x: us[0], y, index: y, views: us } },
          numClasses: 4,
          epoch: 0,
          totalEpochs: 4,
          iteration: 5,
          batchesPerEpoch: 10,
        };
        const r = m.trainStep(ctx);
        expect(r.loss.device).toMatch(device === 'cuda' ? /^cuda/ : /^cpu/);
        r.loss.backward();
        m.afterOptimizerStep!(ctx);
        const g = model.parameters().map((p) => p.grad?.to('cpu') ?? torch.zeros([1], { dtype: 'float64' }));
        return {
          loss: r.loss.item() as number,
          stats: m.stateDict!() as { sums: number[] },
          g,
          ev: Object.values(torch.tidy(() => ev.stateDict())).map((t) => t.to('cpu')),
        };
      };
      const c = run('cpu'),
        d = run('cuda');
      expect(Math.abs(d.loss - c.loss) / Math.abs(c.loss), `${name} loss`).toBeLessThan(1e-10);
      d.stats.sums.forEach((v, i) => expect(Math.abs(v - c.stats.sums[i]), `${name} stats ${i}`).toBeLessThan(1e-10 * Math.max(1, Math.abs(c.stats.sums[i]))));
      c.g.forEach((t, i) =>
        expect(rows(d.g[i].sub(t).abs().max())[0], `${name} gradient ${i}`).toBeLessThan(1e-9 * Math.max(1e-12, rows(t.abs().max())[0]) + 1e-14),
      );
      c.ev.forEach((t, i) =>
        expect(Number(d.ev[i].double().sub(t.double()).abs().max().item()), `${name} ${name === 'ict' ? 'teacher' : 'EMA'} ${i}`).toBeLessThan(1e-9),
      );
    }
  });
});
