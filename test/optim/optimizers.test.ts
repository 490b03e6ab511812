// Optimizers against torch.optim: 20-step trajectories recorded by
// scripts/fixtures/make_optim_fixtures.py (test/fixtures/optim_optimizers.json) on the loss
// mean((X W + b − Y)²) + 0.01 Σ W⁴ in float64, plus zeroGrad semantics, stateDict round trips,
// param groups, option errors and disposal.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { torch, optim } from '../../lib/index.js';
import { numbers } from '../helpers/numbers.js';
type Tensor = torch.Tensor;

interface OptCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
  options: Record<string, unknown>;
  groups?: ({ params: ('W' | 'b')[] } & Record<string, unknown>)[];
  lrChanges?: Record<string, number[]>;
  trajectory: number[][][];
  losses: number[];
}
const fx: {
  meta: { torch: string; steps: number };
  problem: { X: number[][]; Y: number[][]; W0: number[][]; b0: number[] };
  cases: OptCase[];
} = JSON.parse(readFileSync(new URL('../fixtures/optim_optimizers.json', import.meta.url), 'utf8'));

/** float64 trajectories: |got − want| ≤ atol + rtol·|want|. */
const RTOL = 1e-9;
const ATOL = 1e-11;
function expectClose(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= ATOL + RTOL * Math.abs(want[i]))) throw new Error(`${what}[${i}]: got ${got[i]}, want ${want[i]} (|diff| ${err})`);
  }
}

const X = torch.tensor(fx.problem.X, { dtype: 'float64' });
const Y = torch.tensor(fx.problem.Y, { dtype: 'float64' });
function freshParams(): { W: Tensor; b: Tensor } {
  return {
    W: torch.tensor(fx.problem.W0, { dtype: 'float64', requiresGrad: true }),
    b: torch.tensor(fx.problem.b0, { dtype: 'float64', requiresGrad: true }),
  };
}
/** forward + backward of the fixture's loss; returns the loss value. */
function lossBackward(W: Tensor, b: Tensor): number {
  return torch.tidy(() => {
    const loss = X.matmul(W).add(b).sub(Y).square().mean().add(W.pow(4).sum().mul(0.01));
    loss.backward();
    return loss.item() as number;
  });
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function makeOptimizer(c: OptCase, W: Tensor, b: Tensor): optim.Optimizer<any> {
  const named = { W, b };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const params: any = c.groups ? c.groups.map((g) => ({ ...g, params: g.params.map((n) => named[n]) })) : [W, b];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Cls = optim[c.optimizer] as any;
  return new Cls(params, c.options);
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function runSteps(c: OptCase, opt: optim.Optimizer<any>, W: Tensor, b: Tensor, from: number, to: number, check = true): void {
  for (let step = from; step < to; step++) {
    const change = c.lrChanges?.[String(step)];
    if (change) change.forEach((lr, gi) => (opt.paramGroups[gi].lr = lr));
    opt.zeroGrad();
    const loss = lossBackward(W, b);
    opt.step();
    if (!check) continue;
    expect(Math.abs(loss - c.losses[step])).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(c.losses[step])));
    expectClose(W.toArray() as Float64Array, c.trajectory[step][0], `${c.name} step ${step} W`);
    expectClose(b.toArray() as Float64Array, c.trajectory[step][1], `${c.name} step ${step} b`);
  }
}

describe(`trajectories equal torch.optim's (fixtures from torch ${fx.meta.torch})`, () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const { W, b } = freshParams();
      const opt = makeOptimizer(c, W, b);
      runSteps(c, opt, W, b, 0, fx.meta.steps);
      opt.dispose();
    });
  }
  it('the fixtures cover every optimizer, groups and lr changes', () => {
    const names = new Set(fx.cases.map((c) => c.optimizer));
    expect([...names].sort()).toEqual(['Adam', 'AdamW', 'RMSprop', 'SGD']);
    expect(fx.cases.some((c) => c.groups)).toBe(true);
    expect(fx.cases.some((c) => c.lrChanges)).toBe(true);
  });
});

describe('stateDict / loadStateDict', () => {
  for (const name of ['sgd_momentum', 'adam_amsgrad_wd', 'adamw', 'rmsprop_centered_momentum', 'adam_groups_lr_change']) {
    it(`${name}: an optimizer loaded at step 10 continues exactly like PyTorch's uninterrupted run`, () => {
      const c = fx.cases.find((x) => x.name === name)!;
      const { W, b } = freshParams();
      const opt1 = makeOptimizer(c, W, b);
      runSteps(c, opt1, W, b, 0, 10);
      const sd = opt1.stateDict();
      expect(Object.keys(sd.state).length).toBe(2);
      expect(sd.paramGroups.length).toBe(c.groups?.length ?? 1);
      // A second optimizer over copies of the parameters, with default options (they come from the state).
      const W2 = W.detach().clone().requiresGrad_();
      const b2 = b.detach().clone().requiresGrad_();
      const named = { W: W2, b: b2 };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const params: any = c.groups ? c.groups.map((g) => ({ params: g.params.map((n) => named[n]) })) : [W2, b2];
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const opt2: optim.Optimizer<any> = new (optim[c.optimizer] as any)(params);
      opt2.loadStateDict(sd);
      sd.paramGroups.forEach((g, gi) => expect(opt2.paramGroups[gi].lr).toBe(g.lr));
      // The loaded state is a copy: stepping the first optimizer further (its buffers change in
      // place) must not change the second's.
      opt1.zeroGrad();
      lossBackward(W, b);
      opt1.step();
      runSteps(c, opt2, W2, b2, 10, fx.meta.steps);
      opt1.dispose();
      opt2.dispose();
    });
  }
  it('holds PyTorch state names and steps, and returns references to the live buffers', () => {
    const { W, b } = freshParams();
    const opt = new optim.Adam([W, b], { lr: 0.01, amsgrad: true });
    expect(opt.stateDict().state).toEqual({});
    lossBackward(W, b);
    opt.step();
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state[0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    expect(sd.state[0].step).toBe(2);
    expect(sd.paramGroups[0]).toEqual({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, params: [0, 1] });
    expect(sd.paramGroups.length).toBe(1);
    expect((sd.state[1].exp_avg as Tensor).shape).toEqual([4]);
    const before = (sd.state[0].exp_avg as Tensor).toArray();
    opt.step();
    expect((sd.state[0].exp_avg as Tensor).toArray()).not.toEqual(before);
    opt.dispose();
  });
  it('SGD without momentum has no state; RMSprop state names', () => {
    const { W, b } = freshParams();
    lossBackward(W, b);
    const sgd = new optim.SGD([W, b], { lr: 0.1 });
    sgd.step();
    expect(sgd.stateDict().state).toEqual({});
    const rms = new optim.RMSprop([W, b], { centered: true, momentum: 0.5 });
    rms.step();
    expect(Object.keys(rms.stateDict().state[1]).sort()).toEqual(['grad_avg', 'momentum_buffer', 'square_avg', 'step']);
    sgd.dispose();
    rms.dispose();
  });
  it('rejects a state dict of another shape, naming what does not match', () => {
    const { W, b } = freshParams();
    const opt = new optim.SGD([W, b], { lr: 0.1, momentum: 0.9 });
    lossBackward(W, b);
    opt.step();
    const sd = opt.stateDict();
    const other = new optim.SGD([W], { lr: 0.1 });
    expect(() => other.loadStateDict(sd)).toThrow(/doesn't match the size/);
    const two = new optim.SGD([{ params: [W] }, { params: [b] }], { lr: 0.1 });
    expect(() => two.loadStateDict(sd)).toThrow(/2 parameter groups|1 parameter groups/);
    const swapped = { ...sd, state: { 0: sd.state[1], 1: sd.state[0] } };
    const three = new optim.SGD([W, b], { lr: 0.1, momentum: 0.9 });
    expect(() => three.loadStateDict(swapped)).toThrow(torch.TorchValueError);
    expect(() => three.loadStateDict(swapped)).toThrow(/shape/);
    const adam = new optim.Adam([W, b]);
    expect(() => adam.loadStateDict(sd)).toThrow(/missing 'step'|unexpected key|momentum/);
    for (const o of [opt, other, two, three, adam]) o.dispose();
  });
});

describe('zeroGrad', () => {
  it('setToNone (the default) leaves grad null', () => {
    const { W, b } = freshParams();
    const opt = new optim.SGD([W, b], { lr: 0.1 });
    lossBackward(W, b);
    expect(W.grad).not.toBeNull();
    opt.zeroGrad();
    expect(W.grad).toBeNull();
    expect(b.grad).toBeNull();
    lossBackward(W, b);
    opt.zeroGrad({ setToNone: true });
    expect(W.grad).toBeNull();
    opt.dispose();
  });
  it('setToNone: false zeros the gradients in place (same tensor, detached)', () => {
    const { W, b } = freshParams();
    const opt = new optim.SGD([W, b], { lr: 0.1 });
    lossBackward(W, b);
    const g = W.grad!;
    opt.zeroGrad({ setToNone: false });
    const g2 = W.grad!;
    expect(numbers(g2)).toEqual(new Array(12).fill(0));
    expect(numbers(g)).toEqual(new Array(12).fill(0)); // same storage, zeroed in place
    expect(g2.requiresGrad).toBe(false);
    // and the next backward accumulates into zeros: one backward's gradient exactly
    lossBackward(W, b);
    const once = numbers(W.grad!);
    opt.zeroGrad({ setToNone: true });
    lossBackward(W, b);
    expect(numbers(W.grad!)).toEqual(once);
    opt.dispose();
  });
  it('skips parameters without a gradient and a step with no grads changes nothing', () => {
    const { W, b } = freshParams();
    const opt = new optim.Adam([W, b], { lr: 0.1 });
    opt.zeroGrad({ setToNone: false });
    expect(W.grad).toBeNull();
    const before = W.toArray();
    opt.step();
    expect(W.toArray()).toEqual(before);
    opt.dispose();
  });
});

describe('param groups and options', () => {
  it('defaults as PyTorch, per-group overrides, writable lr and options', () => {
    const { W, b } = freshParams();
    const opt = new optim.SGD([{ params: [W] }, { params: [b], lr: 0.5, nesterov: true, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.defaults).toEqual({ lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
    expect(opt.paramGroups.length).toBe(2);
    expect(opt.paramGroups[0].lr).toBe(0.1);
    expect(opt.paramGroups[1].lr).toBe(0.5);
    expect(opt.paramGroups[1].nesterov).toBe(true);
    expect(opt.paramGroups[1].params[0]).toBe(b);
    opt.paramGroups[0].lr = 0.01;
    expect(opt.paramGroups[0].lr).toBe(0.01);
    opt.paramGroups[0].momentum = 0.5;
    expect(opt.paramGroups[0].momentum).toBe(0.5);
    expect(opt.paramGroups[1].momentum).toBe(0.9);
    expect(() => (opt.paramGroups[1].momentum = 0)).toThrow(/nesterov/);
    expect(() => (opt.paramGroups[0].lr = NaN)).toThrow(/lr/);
    expect(new optim.Adam([W]).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    expect(new optim.AdamW([W]).defaults.weightDecay).toBe(0.01);
    expect(new optim.RMSprop([W]).defaults).toEqual({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
    const adam = new optim.Adam([W], { lr: 0.1 });
    adam.paramGroups[0].betas = [0.5, 0.9];
    expect(adam.paramGroups[0].betas).toEqual([0.5, 0.9]);
    opt.dispose();
    adam.dispose();
  });
  it('addParamGroup adds a group with the defaults', () => {
    const { W, b } = freshParams();
    const opt = new optim.SGD([W], { lr: 0.1, momentum: 0.9 });
    opt.addParamGroup({ params: [b], lr: 0.2 });
    expect(opt.paramGroups[1].lr).toBe(0.2);
    expect(opt.paramGroups[1].momentum).toBe(0.9);
    expect(() => opt.addParamGroup({ params: [W] })).toThrow(/more than one parameter group/);
    lossBackward(W, b);
    const b0 = numbers(b);
    const g = numbers(b.grad!);
    opt.step();
    expectClose(
      b.toArray() as Float64Array,
      b0.map((v, i) => v - 0.2 * g[i]),
      'b after a step',
    );
    opt.dispose();
  });
  it('options switched on after the first step (amsgrad, RMSprop momentum/centered) get fresh buffers, no crash', () => {
    const { W, b } = freshParams();
    const adam = new optim.Adam([W, b], { lr: 0.01 });
    const rms = new optim.RMSprop([W, b], { lr: 0.01 });
    lossBackward(W, b);
    adam.step();
    rms.step();
    adam.paramGroups[0].amsgrad = true;
    rms.paramGroups[0].momentum = 0.9;
    rms.paramGroups[0].centered = true;
    adam.step();
    rms.step();
    expect(Object.keys(adam.stateDict().state[0])).toContain('max_exp_avg_sq');
    expect(Object.keys(rms.stateDict().state[0])).toEqual(expect.arrayContaining(['momentum_buffer', 'grad_avg']));
    for (const v of W.toArray()) expect(Number.isFinite(v)).toBe(true);
    adam.dispose();
    rms.dispose();
  });
  it('accepts any iterable of parameters', () => {
    const { W, b } = freshParams();
    const opt = new optim.SGD(new Set([W, b]), { lr: 0.1 });
    expect(opt.paramGroups[0].params.length).toBe(2);
    opt.dispose();
  });
});

describe('errors', () => {
  const { W, b } = freshParams();
  it('bad options name the option', () => {
    expect(() => new optim.SGD([W], { lr: -1 })).toThrow(torch.TorchValueError);
    expect(() => new optim.SGD([W], { lr: -1 })).toThrow(/lr/);
    expect(() => new optim.SGD([W], { lr: 0.1, momentum: -0.5 })).toThrow(/momentum/);
    expect(() => new optim.SGD([W], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new optim.SGD([W], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/nesterov.*dampening/);
    expect(() => new optim.Adam([W], { betas: [1.0, 0.999] })).toThrow(/betas/);
    expect(() => new optim.Adam([W], { betas: [0.9, -0.1] })).toThrow(/betas/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.Adam([W], { betas: [0.9] as any })).toThrow(/betas/);
    expect(() => new optim.Adam([W], { eps: -1 })).toThrow(/eps/);
    expect(() => new optim.AdamW([W], { weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => new optim.RMSprop([W], { alpha: -1 })).toThrow(/alpha/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.SGD([W], { lr: 0.1, momentun: 0.9 } as any)).toThrow(/unknown option 'momentun'/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.SGD([W], { lr: 0.1, weight_decay: 0.1 } as any)).toThrow(/did you mean 'weightDecay'/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.SGD([{ params: [W], lr: 0.1, foo: 1 } as any])).toThrow(/unknown option 'foo' in param group 0/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.SGD([W], { lr: '0.1' } as any)).toThrow(/lr/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.Adam([W], { amsgrad: 1 } as any)).toThrow(/amsgrad/);
  });
  it('bad params', () => {
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => new optim.SGD([W, W], { lr: 0.1 })).toThrow(/more than one parameter group/);
    expect(() => new optim.SGD([{ params: [W] }, { params: [W] }], { lr: 0.1 })).toThrow(/more than one parameter group/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.SGD([1, 2] as any, { lr: 0.1 })).toThrow(torch.TorchTypeError);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => new optim.SGD(null as any, { lr: 0.1 })).toThrow(torch.TorchTypeError);
    const nonLeaf = torch.tidy(() => W.mul(2));
    expect(() => new optim.SGD([nonLeaf], { lr: 0.1 })).toThrow(/non-leaf/);
    const ints = torch.tensor([1, 2, 3], { dtype: 'int64' });
    expect(() => new optim.SGD([ints], { lr: 0.1 })).toThrow(/floating-point/);
    const gone = torch.zeros([2], { requiresGrad: true });
    gone.dispose();
    expect(() => new optim.SGD([gone], { lr: 0.1 })).toThrow(torch.TorchError);
  });
  it('a disposed optimizer used again throws a TorchError, never a crash', () => {
    const opt = new optim.Adam([W, b], { lr: 0.1 });
    lossBackward(W, b);
    opt.step();
    const sd = opt.stateDict();
    opt.dispose();
    expect(opt.isDisposed).toBe(true);
    opt.dispose(); // idempotent
    for (const f of [
      () => opt.step(),
      () => opt.zeroGrad(),
      () => opt.paramGroups[0].lr,
      () => (opt.paramGroups[0].lr = 0.1),
      () => opt.paramGroups[0].betas,
      () => opt.stateDict(),
      () => opt.loadStateDict(sd),
      () => opt.addParamGroup({ params: [torch.zeros([1], { requiresGrad: true })] }),
    ]) {
      expect(f).toThrow(torch.TorchError);
      expect(f).toThrow(/optimizer was disposed/);
    }
    // A new optimizer may reuse the native slot; the old handle still refers to nothing.
    const opt2 = new optim.SGD([W], { lr: 0.1 });
    expect(() => opt.step()).toThrow(/optimizer was disposed/);
    expect(opt2.paramGroups[0].lr).toBe(0.1);
    opt2.dispose();
  });
  it('native entry points reject bad handles and option arrays', async () => {
    const { N } = await import('../../lib/torch/native.js');
    expect(() => N.optimStep(12345)).toThrow(torch.TorchError);
    expect(() => N.optimStep('x')).toThrow(torch.TorchTypeError);
    expect(() => N.optimCreate(9, [[]], [[]])).toThrow(torch.TorchValueError);
    expect(() => N.optimCreate(0, [[W._id]], [[0.1]])).toThrow(/option values/);
    expect(() => N.optimCreate(0, [[W._id]], [[0.1, 0, 0, 0, NaN]])).toThrow(/finite/);
    const opt = new optim.SGD([W], { lr: 0.1 });
    expect(() => N.optimGetLr(opt._id, 3)).toThrow(torch.TorchIndexError);
    expect(() => N.optimSetState(opt._id, [{ momentum_buffer: 999999 }])).toThrow(/disposed/);
    expect(() => N.optimSetState(opt._id, [])).toThrow(/one per parameter/);
    opt.dispose();
  });
});
