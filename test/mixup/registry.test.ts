// mixup.create / mixup.methods: names, aliases, defaults, and errors that name the option.
import { describe, it, expect } from 'vitest';
import { torch, mixup } from '../../lib/index.js';
import { labels } from './util.js';

describe('registry', () => {
  it('create by canonical name and alias; the factories', () => {
    expect(mixup.create('none').name).toBe('none');
    expect(mixup.create('erm').name).toBe('none');
    expect(mixup.create('mixup').name).toBe('mixup');
    expect(mixup.create('input').name).toBe('mixup');
    expect(mixup.create('manifold').name).toBe('manifold');
    expect(mixup.create('manifold').needsModel).toBe(true);
    expect(mixup.create('cutmix', { alpha: 0.5 }).options).toMatchObject({ alpha: 0.5, correctLam: true, mode: 'batch' });
    expect(mixup.input({ alpha: 0.2 }).options.alpha).toBe(0.2);
    expect(mixup.manifold().options.layers).toEqual([0, 1, 2]);
  });

  it('methods() lists name → defaults', () => {
    const m = mixup.methods();
    expect(Object.keys(m)).toEqual(['none', 'mixup', 'manifold', 'cutmix', 'adamixup', 'mixmatch', 'ict']);
    expect(m.adamixup).toEqual({
      intrusionWeight: 1,
      generatorHidden: 100,
      discriminatorHidden: 10,
      headInitStd: 1e-3,
      labelSmoothing: 0,
      offEpoch: null,
      offLastEpochs: 0,
      histogramBins: 20,
    });
    expect(m.mixup).toMatchObject({ alpha: 1, mode: 'batch', partner: 'permutation', prob: 1, labelSmoothing: 0, loss: 'ce' });
    expect(m.manifold).toMatchObject({ alpha: 2, layers: [0, 1, 2] });
    expect(m.cutmix).toMatchObject({ alpha: 1, correctLam: true, minmax: null, switchProb: 0 });
    m.mixup.alpha = 5; // a copy
    expect(mixup.methods().mixup.alpha).toBe(1);
    for (const k of Object.keys(m)) expect(mixup.descriptions[k as mixup.MethodName]).toBeTypeOf('string');
  });

  it('errors name the method or the option', () => {
    expect(() => mixup.create('mixpu')).toThrow(/unknown method 'mixpu' \(known: none, mixup, manifold, cutmix/);
    expect(() => mixup.create('mixup', { alpha: -1 })).toThrow(/option 'alpha' must be a number ≥ 0/);
    expect(() => mixup.create('mixup', { alpha: Number.NaN })).toThrow(/option 'alpha'/);
    expect(() => mixup.create('mixup', { mode: 'pairs' })).toThrow(/option 'mode' must be one of 'batch', 'pair', 'elem'/);
    expect(() => mixup.create('mixup', { partner: 'reverse' })).toThrow(/option 'partner'/);
    expect(() => mixup.create('mixup', { prob: 1.5 })).toThrow(/option 'prob' must be a number in \[0, 1\]/);
    expect(() => mixup.create('mixup', { labelSmoothing: 1 })).toThrow(/option 'labelSmoothing'/);
    expect(() => mixup.create('mixup', { offLastEpochs: 1.5 })).toThrow(/option 'offLastEpochs'/);
    expect(() => mixup.create('mixup', { loss: 'mse' })).toThrow(/option 'loss'/);
    expect(() => mixup.create('mixup', { layers: [0] })).toThrow(/unknown option 'layers'/);
    expect(() => mixup.create('none', { alpha: 1 })).toThrow(/mixup.none: unknown option 'alpha'/);
    expect(() => mixup.create('manifold', { layers: 'all' })).toThrow(/option 'layers'/);
    expect(() => mixup.create('cutmix', { minmax: [0.5, 0.2] })).toThrow(/option 'minmax'/);
    expect(() => mixup.create('cutmix', { switchProb: -0.1 })).toThrow(/option 'switchProb'/);
    expect(() => mixup.create('cutmix', { correctLam: 1 })).toThrow(/option 'correctLam'/);
    expect(() => mixup.create('cutmix', { mixupAlpha: -2 })).toThrow(/option 'mixupAlpha'/);
    expect(() => mixup.input({ sample: { lam: 2 } }).apply({ x: torch.zeros([2, 2]), y: labels([0, 1]), numClasses: 2 })).toThrow(/sample.lam/);
    expect(() => mixup.input({ sample: { partner: [0, 2] } }).apply({ x: torch.zeros([2, 2]), y: labels([0, 1]), numClasses: 2 })).toThrow(/sample.partner/);
  });

  it.skipIf(!torch.cuda.isAvailable())('CUDA: every method keeps λ, partners and outputs on the device (skipped without CUDA)', () => {
    torch.manualSeed(0);
    const x = torch.randn([8, 1, 12, 12], { device: 'cuda' });
    const y = torch.randint(0, 3, [8], { device: 'cuda' });
    for (const name of ['none', 'mixup', 'cutmix'] as const)
      for (const mode of ['batch', 'pair', 'elem'] as const) {
        const m = name === 'none' ? mixup.none() : mixup.create(name, { mode });
        const r = m.apply({ x, y, numClasses: 3 });
        for (const t of [r.input!, r.target, r.lam, r.partner]) expect(t.device).toMatch(/^cuda/);
        expect(r.loss(torch.randn([8, 3], { device: 'cuda' })).device).toMatch(/^cuda/);
      }
  });
});
