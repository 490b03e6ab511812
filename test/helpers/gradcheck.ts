// Finite-difference gradient checking for the autograd tests (DESIGN.md, "Tests": gradients by
// finite differences). Inputs are float64; the scalar that is differentiated is sum(f(x) · w) for a
// fixed random w of f's output shape (so every output element contributes with its own weight and a
// wrong per-element gradient cannot cancel out). Central differences with eps = 1e-6; an analytic
// element a passes against the numerical n when |a − n| ≤ atol + rtol·|n| (atol 1e-5, rtol 1e-4).
import { torch } from '../../lib/index.js';
import type { Tensor } from '../../lib/torch/index.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Indices of the inputs to differentiate (default: all). */
  wrt?: readonly number[];
  /** Seed for the weights w (default 1234). */
  seed?: number;
}

export interface GradcheckResult {
  /** Per checked input: analytic gradient, numerical gradient (flat, row-major). */
  analytic: Float64Array[];
  numeric: Float64Array[];
  /** Largest |a − n| over all checked elements. */
  maxAbsErr: number;
}

type Out = Tensor | readonly Tensor[];
const asList = (o: Out): Tensor[] => (Array.isArray(o) ? [...(o as Tensor[])] : [o as Tensor]);

function f64(t: Tensor): Float64Array {
  return t.to({ dtype: 'float64' }).toArray() as Float64Array;
}

/**
 * Compares autograd's gradient of sum(f(...inputs) · w) with central differences. `inputs` must be
 * float64 tensors (they are not modified; fresh leaves are made from their values). f may return one
 * tensor or a list of tensors (e.g. split); each output gets its own fixed random weights.
 * Throws an Error naming the input and element when a gradient is off.
 */
export function gradcheck(f: (...xs: Tensor[]) => Out, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-4;
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  for (const [i, x] of inputs.entries()) if (x.dtype !== 'float64') throw new Error(`gradcheck: input ${i} is ${x.dtype}; use float64 inputs`);

  return torch.tidy(() => {
    const shapes = inputs.map((x) => x.shape);
    const values = inputs.map((x) => f64(x));
    const leaf = (i: number, data: Float64Array, grad: boolean): Tensor => {
      const t = torch.tensor(data, { shape: shapes[i] });
      return grad ? t.requiresGrad_() : t;
    };

    // Fixed weights w, one per output, drawn once from a seeded generator.
    const probe = torch.noGrad(() => asList(f(...values.map((v, i) => leaf(i, v, false)))));
    torch.manualSeed(opts.seed ?? 1234);
    const ws = probe.map((o) => torch.randn(o.shape, { dtype: 'float64' }));
    const objective = (outs: Out): Tensor => {
      const list = asList(outs);
      if (list.length !== ws.length) throw new Error(`gradcheck: f returned ${list.length} outputs, expected ${ws.length}`);
      let total: Tensor | null = null;
      for (const [k, o] of list.entries()) {
        const term = o.to({ dtype: 'float64' }).mul(ws[k]).sum();
        total = total === null ? term : total.add(term);
      }
      return total as Tensor;
    };
    const evalAt = (vals: Float64Array[]): number =>
      torch.tidy(() => torch.noGrad(() => objective(f(...vals.map((v, i) => leaf(i, v, false)))).item() as number));

    // Analytic: one backward pass.
    const leaves = values.map((v, i) => leaf(i, v, wrt.includes(i)));
    objective(f(...leaves)).backward();
    const analytic = wrt.map((i) => {
      const g = leaves[i].grad;
      if (g === null) throw new Error(`gradcheck: input ${i} received no gradient (grad is null)`);
      if (g.dtype !== 'float64') throw new Error(`gradcheck: gradient of input ${i} is ${g.dtype}, expected float64`);
      return f64(g);
    });

    // Numerical: central differences, one element at a time.
    const numeric = wrt.map((i) => {
      const n = new Float64Array(values[i].length);
      for (let k = 0; k < n.length; k++) {
        const plus = values.slice();
        const minus = values.slice();
        plus[i] = values[i].slice();
        minus[i] = values[i].slice();
        plus[i][k] += eps;
        minus[i][k] -= eps;
        n[k] = (evalAt(plus) - evalAt(minus)) / (2 * eps);
      }
      return n;
    });

    let maxAbsErr = 0;
    for (const [j, i] of wrt.entries()) {
      const a = analytic[j],
        n = numeric[j];
      for (let k = 0; k < n.length; k++) {
        const err = Math.abs(a[k] - n[k]);
        maxAbsErr = Math.max(maxAbsErr, Number.isNaN(err) ? Infinity : err);
        if (!(err <= atol + rtol * Math.abs(n[k])))
          throw new Error(
            `gradcheck: input ${i} element ${k}: analytic ${a[k]} vs numerical ${n[k]} (|diff| ${err.toExponential(2)} > atol ${atol} + rtol ${rtol}·|n|)\n` +
              `  analytic  [${Array.from(a.slice(0, 12), (v) => v.toFixed(6)).join(', ')}${a.length > 12 ? ', …' : ''}]\n` +
              `  numerical [${Array.from(n.slice(0, 12), (v) => v.toFixed(6)).join(', ')}${n.length > 12 ? ', …' : ''}]`,
          );
      }
    }
    return { analytic, numeric, maxAbsErr };
  });
}

/** float64 N(0,1) values of the given shape (seeded by the caller's torch.manualSeed). */
export function randn64(shape: number[]): Tensor {
  return torch.randn(shape, { dtype: 'float64' });
}
/** float64 values with every pair at least `gap` apart (for max/min/pooling/sorting-like ops). */
export function distinct64(shape: number[], gap = 0.1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return torch
    .randperm(n)
    .to({ dtype: 'float64' })
    .sub(n / 2)
    .mul(gap)
    .reshape(shape);
}
/** float64 values uniform in [lo, hi). */
export function uniform64(shape: number[], lo: number, hi: number): Tensor {
  return torch
    .rand(shape, { dtype: 'float64' })
    .mul(hi - lo)
    .add(lo);
}
