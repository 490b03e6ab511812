// Each layer against PyTorch with identical weights (test/fixtures/nn_layers.json, written by
// scripts/fixtures/make_nn_fixtures.py): the PyTorch module's state dict is loaded into the
// torchmix module (float64), the same inputs run through it in the same mode, and the output,
// the gradients of sum(out · W) w.r.t. the input and every parameter, and the state after the
// forwards (BatchNorm running statistics and num_batches_tracked) are compared. Tolerance float64:
// rtol 1e-10, atol 1e-12.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import { dec, expectClose, type Enc } from './util.js';

interface TsSpec {
  cls: string;
  args?: unknown[];
  opts?: Record<string, unknown>;
  children?: TsSpec[];
}
interface LayerCase {
  name: string;
  ts: TsSpec;
  mode: 'train' | 'eval';
  state: Record<string, Enc>;
  inputs: Enc[];
  output: Enc;
  gradWeight: Enc;
  grads: Record<string, Enc>;
  after: Record<string, Enc>;
}
interface LossCase {
  name: string;
  ts: TsSpec;
  inputs: { input: Enc; target: Enc };
  output: Enc;
  grads: { input: Enc };
}
const fx: { cases: LayerCase[]; losses: LossCase[] } = JSON.parse(readFileSync(new URL('../fixtures/nn_layers.json', import.meta.url), 'utf8'));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const NN = nn as any;
function build(s: TsSpec): nn.Module {
  if (s.cls === 'Sequential') return new nn.Sequential(...(s.children ?? []).map(build));
  const args = [...(s.args ?? [])];
  if (s.opts) args.push(s.opts);
  return new NN[s.cls](...args);
}
const TOL = { rtol: 1e-10, atol: 1e-12 };

describe('layers against PyTorch (float64, identical weights)', () => {
  it('covers every case in the fixture', () => {
    expect(fx.cases.length).toBeGreaterThanOrEqual(28);
  });
  for (const c of fx.cases) {
    it(c.name, () => {
      torch.tidy(() => {
        const m = build(c.ts).double();
        m.train(c.mode === 'train');
        const sd = Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, dec(v)]));
        const res = m.loadStateDict(sd);
        expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
        expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.state));
        for (const x of c.inputs.slice(0, -1)) torch.noGrad(() => m.forward(dec(x)));
        const x = dec(c.inputs[c.inputs.length - 1]).requiresGrad_();
        const out = m.forward(x) as torch.Tensor;
        expectClose(out, c.output, `${c.name} output`, TOL);
        out.mul(dec(c.gradWeight)).sum().backward();
        expectClose(x.grad, c.grads.input, `${c.name} grad input`, TOL);
        const params = Object.fromEntries(m.namedParameters());
        expect(Object.keys(params).sort()).toEqual(
          Object.keys(c.grads)
            .filter((k) => k !== 'input')
            .sort(),
        );
        for (const [k, p] of Object.entries(params)) expectClose(p.grad, c.grads[k], `${c.name} grad ${k}`, TOL);
        const after = m.stateDict();
        for (const [k, v] of Object.entries(c.after)) {
          expect(after[k].dtype, `${k} dtype`).toBe(v.dtype);
          expectClose(after[k], v, `${c.name} state after: ${k}`, TOL);
        }
      });
    });
  }
});

describe('loss modules against PyTorch', () => {
  for (const c of fx.losses) {
    it(c.name, () => {
      torch.tidy(() => {
        const m = new NN[c.ts.cls](c.ts.opts);
        const x = dec(c.inputs.input).requiresGrad_();
        const out = m.forward(x, dec(c.inputs.target)) as torch.Tensor;
        expectClose(out, c.output, `${c.name} loss`, TOL);
        (out.ndim === 0 ? out : out.sum()).backward();
        expectClose(x.grad, c.grads.input, `${c.name} grad`, TOL);
      });
    });
  }
  it('CrossEntropyLoss keeps class weights as a buffer named weight', () => {
    const w = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const ce = new nn.CrossEntropyLoss({ weight: w });
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    expect(() => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => new nn.MSELoss({ reduction: 'avg' as never })).toThrow(/reduction/);
  });
});

describe('train() / eval() switch behaviour', () => {
  it('Dropout zeroes and rescales in training, is the identity in eval', () => {
    torch.manualSeed(3);
    const d = new nn.Dropout(0.5);
    const x = torch.ones([2000]);
    const y = d.forward(x);
    const v = Array.from(y.toArray() as Float32Array);
    const zeros = v.filter((a) => a === 0).length;
    expect(v.every((a) => a === 0 || a === 2)).toBe(true);
    expect(zeros).toBeGreaterThan(850);
    expect(zeros).toBeLessThan(1150);
    d.eval();
    expect(d.training).toBe(false);
    expect(d.forward(x)).toBe(x);
  });
  it('BatchNorm uses batch statistics in training and running statistics in eval', () => {
    const bn = new nn.BatchNorm1d(2);
    const x = torch.tensor(
      [
        [1, 10],
        [3, 30],
        [5, 50],
      ],
      { dtype: 'float32' },
    );
    const yt = bn.forward(x);
    expectClose(yt.mean({ dim: 0 }), torch.zeros([2]), 'train mean', { rtol: 0, atol: 1e-6 });
    expect(Number(bn.num_batches_tracked!.item())).toBe(1);
    // running_mean = 0.9·0 + 0.1·batch mean; running_var = 0.9·1 + 0.1·unbiased var
    expectClose(bn.running_mean, torch.tensor([0.3, 3]), 'running_mean', { rtol: 1e-6, atol: 1e-6 });
    expectClose(bn.running_var, torch.tensor([0.9 + 0.4, 0.9 + 40]), 'running_var', { rtol: 1e-6, atol: 1e-5 });
    bn.eval();
    const ye = bn.forward(x);
    const want = x.sub(bn.running_mean!).div(bn.running_var!.add(1e-5).sqrt());
    expectClose(ye, want, 'eval output', { rtol: 1e-6, atol: 1e-6 });
    expect(Number(bn.num_batches_tracked!.item())).toBe(1); // eval does not count
    expect(() => new nn.BatchNorm1d(2).forward(torch.ones([1, 2]))).toThrow(/more than 1 value per channel/);
    expect(() => new nn.BatchNorm2d(2).forward(torch.ones([3, 2]))).toThrow(/expected 4D input/);
  });
  it('train(false)/eval() recurse into children', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.Dropout(), new nn.BatchNorm1d(2)));
    m.eval();
    expect(m.modules().every((x) => x.training === false)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training === true)).toBe(true);
  });
});
