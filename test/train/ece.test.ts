// Expected calibration error: hand-computed values, a reference implementation of the standard
// definition, and agreement between the per-batch accumulation in evaluate() and ece() on all data.
import { describe, it, expect } from 'vitest';
import { torch, nn, train } from '../../lib/index.js';
import { setup, trainerFor } from './util.js';

const labels = (ys: number[]) => torch.tensor(BigInt64Array.from(ys, BigInt));

describe('ece', () => {
  // conf, correct, bin (15 bins: (b/15, (b+1)/15]):
  //   [0.9, 0.1]   y0  0.9  ✓  bin 13
  //   [0.75, 0.25] y1  0.75 ✗  bin 11
  //   [0.3, 0.7]   y1  0.7  ✓  bin 10
  //   [0.28, 0.72] y0  0.72 ✗  bin 10
  //   [0.62, 0.38] y0  0.62 ✓  bin 9
  // ECE = 1/5·|1 − .9| + 1/5·|0 − .75| + 2/5·|.5 − .71| + 1/5·|1 − .62| = .02 + .15 + .084 + .076 = 0.33
  const probs = () => torch.tensor(new Float32Array([0.9, 0.1, 0.75, 0.25, 0.3, 0.7, 0.28, 0.72, 0.62, 0.38]), { shape: [5, 2] });
  const ys = () => labels([0, 1, 1, 0, 0]);

  it('hand-computed value (15 bins)', () => {
    torch.tidy(() => expect(train.ece(probs(), ys())).toBeCloseTo(0.33, 6));
  });

  it('one bin: |mean confidence − accuracy|', () => {
    // mean conf = 3.69 / 5 = .738, accuracy = 3/5
    torch.tidy(() => expect(train.ece(probs(), ys(), 1)).toBeCloseTo(0.138, 6));
  });

  it('perfectly calibrated and fully confident-correct cases are 0', () => {
    torch.tidy(() => {
      expect(train.ece(torch.tensor(new Float32Array([1, 0, 0, 1]), { shape: [2, 2] }), labels([0, 1]))).toBe(0);
      // conf 0.75 in one bin, 3 of 4 right
      const p = torch.tensor(new Float32Array([0.75, 0.25, 0.75, 0.25, 0.25, 0.75, 0.25, 0.75]), { shape: [4, 2] });
      expect(train.ece(p, labels([0, 0, 1, 0]))).toBeCloseTo(0, 7);
    });
  });

  it('matches a reference implementation of the definition on random probabilities', () => {
    torch.manualSeed(5);
    torch.tidy(() => {
      const n = 500,
        c = 10;
      const p = nn.functional.softmax(torch.randn([n, c]).mul(2), 1);
      const y = torch.randint(0, c, [n]);
      const pa = p.toArray() as Float32Array;
      const ya = Array.from(y.toArray() as BigInt64Array, Number);
      for (const bins of [15, 10]) {
        const cnt = new Array(bins).fill(0),
          sc = new Array(bins).fill(0),
          sa = new Array(bins).fill(0);
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let k = 1; k < c; k++) if (pa[i * c + k] > pa[i * c + best]) best = k;
          const conf = pa[i * c + best];
          const b = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
          cnt[b]++;
          sc[b] += conf;
          sa[b] += best === ya[i] ? 1 : 0;
        }
        let want = 0;
        for (let b = 0; b < bins; b++) if (cnt[b]) want += (cnt[b] / n) * Math.abs(sa[b] / cnt[b] - sc[b] / cnt[b]);
        expect(train.ece(p, y, bins)).toBeCloseTo(want, 5);
      }
    });
  });

  it('rejects bad input', () => {
    torch.tidy(() => {
      expect(() => train.ece(probs(), ys(), 0)).toThrow(/nBins/);
      expect(() => train.ece(probs(), labels([0, 1]))).toThrow(/labels must have shape \[5\]/);
      expect(() => train.ece(torch.zeros([5]), ys())).toThrow(/N×C/);
    });
  });

  it('evaluate() accumulated over batches equals ece() over the whole set', async () => {
    const s = setup(0);
    const t = trainerFor(s, { epochs: 2 });
    await t.fit();
    const v = t.evaluate(s.valLoader);
    const whole = torch.tidy(() => {
      s.model.eval();
      const x = torch.cat([...s.valLoader].map((b) => b.x));
      const y = torch.cat([...s.valLoader].map((b) => b.y));
      const logits = torch.noGrad(() => s.model.forward(x) as torch.Tensor);
      return {
        ece: train.eceFromLogits(logits, y),
        acc: train.accuracy(logits, y),
        loss: nn.functional.crossEntropy(logits, y).item() as number,
      };
    });
    expect(v.ece).toBeCloseTo(whole.ece, 6);
    expect(v.acc).toBeCloseTo(whole.acc, 10);
    expect(v.loss).toBeCloseTo(whole.loss, 5);
    s.dispose();
  });
});
