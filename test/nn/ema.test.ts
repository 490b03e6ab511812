// ModelEMA: the average after n updates equals the closed form.
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import { values } from './util.js';

/** Sets every floating parameter and buffer of m to v. */
function setAll(m: nn.Module, v: number): void {
  torch.noGrad(() => {
    for (const p of m.parameters()) p.fill_(v);
    for (const b of m.buffers()) if (b.dtype !== 'int64') b.fill_(v);
  });
}
const model = () => new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2)).double();

describe('ModelEMA', () => {
  it('constant decay: e_n = d^n e_0 + Σ_k d^(n−k) (1−d) p_k, for parameters and float buffers', () => {
    const m = model();
    setAll(m, 1);
    const ema = new nn.ModelEMA(m, { decay: 0.9 });
    expect(ema.module.training).toBe(false);
    expect(ema.module.parameters().every((p) => !p.requiresGrad)).toBe(true);
    let want = 1;
    for (let k = 1; k <= 25; k++) {
      setAll(m, k); // the model's weights at step k
      ema.update(m);
      want = 0.9 * want + 0.1 * k;
    }
    // closed form of the same recursion
    let closed = 0.9 ** 25;
    for (let k = 1; k <= 25; k++) closed += 0.9 ** (25 - k) * 0.1 * k;
    expect(Math.abs(closed - want)).toBeLessThan(1e-12);
    expect(ema.updates).toBe(25);
    for (const [n, t] of ema.module.namedParameters()) for (const v of values(t)) expect(Math.abs(v - closed), n).toBeLessThan(1e-10);
    for (const [n, t] of ema.module.namedBuffers()) if (t.dtype !== 'int64') for (const v of values(t)) expect(Math.abs(v - closed), n).toBeLessThan(1e-10);
  });
  it('warmup: decay_n = min(decay, (1 + n)/(10 + n)); int buffers copied', () => {
    const m = model();
    setAll(m, 0);
    const ema = new nn.ModelEMA(m, { decay: 0.5, warmup: true });
    torch.noGrad(() => (m.at(1) as nn.BatchNorm1d).num_batches_tracked!.fill_(42));
    let want = 0;
    for (let n = 0; n < 30; n++) {
      const d = Math.min(0.5, (1 + n) / (10 + n));
      expect(ema.currentDecay()).toBeCloseTo(d, 15);
      setAll(m, 2 * n + 1);
      ema.update(m);
      want = d * want + (1 - d) * (2 * n + 1);
    }
    expect(Math.abs(values(ema.module.parameters()[0])[0] - want)).toBeLessThan(1e-10);
    expect(Number((ema.module as nn.Sequential).stateDict()['1.num_batches_tracked'].item())).toBe(42);
  });
  it("buffers: 'copy' copies BatchNorm statistics instead of averaging them; eval uses the EMA weights", () => {
    const m = model();
    setAll(m, 2);
    const ema = new nn.ModelEMA(m, { decay: 0.99, buffers: 'copy' });
    setAll(m, 4);
    ema.update(m);
    const sd = ema.stateDict();
    expect(values(sd['0.weight'])[0]).toBeCloseTo(0.99 * 2 + 0.01 * 4, 12);
    expect(values(sd['1.running_mean'])[0]).toBe(4);
    const x = torch.randn([5, 3], { dtype: 'float64' });
    const ref = m.deepCopy().eval();
    ref.loadStateDict(sd);
    expect(values(ema.forward(x))).toEqual(values(ref.forward(x)));
    // the model itself is untouched, and a different architecture is refused by name
    expect(values(m.parameters()[0])[0]).toBe(4);
    const w = values(ema.module.parameters()[0]);
    expect(() => ema.update(new nn.Sequential(new nn.Linear(3, 2)).double())).toThrow(/no parameter '1.weight'/);
    expect(values(ema.module.parameters()[0])).toEqual(w);
  });
});
