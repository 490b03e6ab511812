// Manifold mixup mixes exactly at the chosen stage and only there, with h̃ = λh + (1−λ)h[perm],
// the same λ and partner as the targets; stage choice from `layers`; errors name the option.
import { describe, it, expect } from 'vitest';
import { torch, nn, mixup } from '../../lib/index.js';
import { vals, expectNear, f64, labels } from './util.js';
type Tensor = torch.Tensor;

/** A parameter-free model with 4 mixing points that logs what each point saw and returned. */
class Spy extends nn.Module implements nn.Mixable {
  readonly stages = ['input', 'double', 'square', 'shift'] as const;
  calls: { k: number; before: Tensor; after: Tensor }[] = [];
  forward(x: Tensor, opts?: nn.MixOptions): Tensor {
    const at = nn.models.mixer(this.stages, opts, 'Spy');
    const step = (k: number, h: Tensor) => {
      const out = at(k, h);
      this.calls.push({ k, before: h, after: out });
      return out;
    };
    let h = step(0, x);
    h = step(1, h.mul(2));
    h = step(2, h.square());
    h = step(3, h.add(1));
    return h;
  }
}

const X = [
  [1, 2],
  [3, 4],
  [0, -1],
];
const batch = (model: nn.Mixable) => ({ x: torch.tensor(X, f64), y: labels([0, 1, 1]), numClasses: 2, model });

describe('mixup.manifold', () => {
  for (const k of [0, 1, 2, 3]) {
    it(`stage ${k}: mix is applied there and only there, h̃ = λh + (1−λ)h[perm]`, () => {
      const spy = new Spy();
      const lam = 0.25,
        p = [1, 2, 0];
      const r = mixup.manifold({ layers: [0, 1, 2, 3], sample: { lam, partner: p, stage: k } }).apply(batch(spy));
      expect(r.stage).toBe(k);
      expect(r.input).toBeUndefined();
      expect(spy.calls.map((c) => c.k)).toEqual([0, 1, 2, 3]);
      for (const c of spy.calls) {
        if (c.k !== k) {
          expect(c.after, `stage ${c.k} must pass h through`).toBe(c.before);
          continue;
        }
        const h = c.before.tolist() as number[][];
        expectNear(
          c.after,
          h.map((row, i) => row.map((v, j) => lam * v + (1 - lam) * h[p[i]][j])),
          1e-12,
          `h̃ at ${k}`,
        );
      }
      // the output by hand: run the stages, mixing after stage k
      const fs = [(v: number) => v, (v: number) => 2 * v, (v: number) => v * v, (v: number) => v + 1];
      let h = X.map((row) => row.slice());
      for (let s = 0; s < 4; s++) {
        h = h.map((row) => row.map(fs[s]));
        if (s === k) {
          const hh = h;
          h = hh.map((row, i) => row.map((v, j) => lam * v + (1 - lam) * hh[p[i]][j]));
        }
      }
      expectNear(r.output!, h, 1e-9, 'output');
      // same λ and partner for the targets: y = [0, 1, 1], y[p] = [1, 1, 0]
      expectNear(
        r.target,
        [
          [0.25, 0.75],
          [0, 1],
          [0.75, 0.25],
        ],
        1e-12,
        'target',
      );
      expect(r.lam.item()).toBe(0.25);
      expect(vals(r.partner)).toEqual(p);
    });
  }

  it('random draws: the stage comes from layers (each eligible one appears), hidden mix uses the returned λ and partner', () => {
    torch.manualSeed(21);
    const m = mixup.manifold({ layers: [0, 2], mode: 'elem' });
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const spy = new Spy();
      const r = m.apply(batch(spy));
      seen.add(r.stage!);
      const c = spy.calls.find((c) => c.after !== c.before)!;
      expect(c.k).toBe(r.stage);
      expect(spy.calls.filter((c) => c.after !== c.before).length).toBe(1);
      expect(r.lam.shape).toEqual([3]);
      const l = r.lam.reshape([3, 1]);
      const want = c.before.mul(l).add(c.before.indexSelect(0, r.partner).mul(l.rsub(1)));
      expect(c.after.sub(want).abs().max().item()).toBeLessThan(1e-12);
      expect(
        r.target
          .sub(mixup.mixTargets(labels([0, 1, 1]), r.partner, r.lam, 2, 0, 'float64'))
          .abs()
          .max()
          .item(),
      ).toBe(0);
    }
    expect([...seen].sort()).toEqual([0, 2]);
  });

  it('with a model from nn.models: stage 0 equals input mixup with the same λ and partner', () => {
    torch.manualSeed(22);
    const model = nn.models.mlp([2, 8, 8, 2], { dtype: 'float64' });
    const b = batch(model);
    const r = mixup.manifold({ sample: { lam: 0.3, partner: [2, 0, 1], stage: 0 } }).apply(b);
    const ri = mixup.input({ sample: { lam: 0.3, partner: [2, 0, 1] } }).apply(b);
    expect(r.output!.sub(model.forward(ri.input!)).abs().max().item()).toBeLessThan(1e-12);
    expect(r.loss(r.output!).item()).toBeCloseTo(ri.loss(r.output!).item() as number, 12);
    // a hidden stage gives something else
    const r2 = mixup.manifold({ sample: { lam: 0.3, partner: [2, 0, 1], stage: 2 } }).apply(b);
    expect(r2.output!.sub(r.output!).abs().max().item()).toBeGreaterThan(1e-6);
  });

  it('unmixed batches (α = 0, prob = 0) run the plain forward', () => {
    for (const opts of [{ alpha: 0 }, { prob: 0 }]) {
      const spy = new Spy();
      const r = mixup.manifold(opts).apply(batch(spy));
      expect(r.stage).toBeUndefined();
      expect(spy.calls.every((c) => c.after === c.before)).toBe(true);
      expect(r.lam.item()).toBe(1);
    }
  });

  it('reproducible under torch.manualSeed (stage, λ, partner)', () => {
    const run = () => {
      torch.manualSeed(5);
      return [0, 1, 2, 3, 4].map(() => {
        const r = mixup.manifold({ layers: [0, 1, 2, 3] }).apply(batch(new Spy()));
        return [r.stage, r.lam.item(), vals(r.partner)];
      });
    };
    expect(run()).toEqual(run());
  });

  it('clear errors: layers out of range for the model, no model, bad layers', () => {
    const m = mixup.manifold({ layers: [0, 1, 4] });
    expect(() => m.apply(batch(new Spy()))).toThrow(
      /option 'layers' \[0, 1, 4\] includes stage 4, but the model has 4 mixing points \(0 input, 1 double, 2 square, 3 shift\)/,
    );
    expect(() => mixup.manifold().apply({ x: torch.zeros([3, 2]), y: labels([0, 1, 1]), numClasses: 2 })).toThrow(/pass batch.model/);
    expect(() => mixup.manifold({ layers: [] })).toThrow(/option 'layers'/);
    expect(() => mixup.manifold({ layers: [0, -1] })).toThrow(/option 'layers'/);
    expect(() => mixup.manifold({ layers: [1, 1] })).toThrow(/distinct/);
    expect(() => mixup.manifold({ sample: { stage: 7 } }).apply(batch(new Spy()))).toThrow(/sample.stage/);
  });
});
