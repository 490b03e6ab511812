// nn.Module semantics: registration and names, traversal order, state dicts and their errors,
// to(), zeroGrad(), apply(), deepCopy(), lifetime across tidy scopes, and default initialisation.
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import { values, expectClose } from './util.js';
type Tensor = torch.Tensor;

class Block extends nn.Module {
  declare lin: nn.Linear;
  declare scale: Tensor;
  declare count: Tensor;
  constructor() {
    super();
    this.registerModule('lin', new nn.Linear(3, 2));
    this.registerParameter('scale', torch.ones([2]));
    this.registerBuffer('count', torch.zeros([1]));
    this.registerBuffer('scratch', torch.zeros([1]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return this.lin.forward(x).mul(this.scale);
  }
}

describe('registration and traversal', () => {
  it('names parameters, buffers and children with dotted paths in PyTorch order', () => {
    const m = new nn.Sequential(new Block(), new nn.ReLU(), new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2)));
    expect(m.namedParameters().map(([n]) => n)).toEqual(['0.scale', '0.lin.weight', '0.lin.bias', '2.0.weight', '2.0.bias', '2.1.weight', '2.1.bias']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['0.count', '0.scratch', '2.1.running_mean', '2.1.running_var', '2.1.num_batches_tracked']);
    expect(Object.keys(m.stateDict())).toEqual([
      '0.scale',
      '0.count',
      '0.lin.weight',
      '0.lin.bias',
      '2.0.weight',
      '2.0.bias',
      '2.1.weight',
      '2.1.bias',
      '2.1.running_mean',
      '2.1.running_var',
      '2.1.num_batches_tracked',
    ]);
    expect([...m.namedChildren()].map(([n]) => n)).toEqual(['0', '1', '2']);
    expect([...m.namedModules()].map(([n]) => n)).toEqual(['', '0', '0.lin', '1', '2', '2.0', '2.1']);
    expect(m.numParameters()).toBe(2 + 6 + 2 + 4 + 2 + 2 + 2);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(m.getSubmodule('2.1')).toBeInstanceOf(nn.BatchNorm1d);
    expect(() => m.getSubmodule('2.7')).toThrow(/no submodule '7'/);
  });
  it('assignment through the accessors re-registers; shared parameters appear once', () => {
    const a = new nn.Linear(2, 2);
    const b = new nn.Linear(2, 2);
    b.weight = a.weight; // tie
    const m = new nn.Sequential(a, b);
    expect(m.parameters().length).toBe(3);
    expect(m._parameters.size).toBe(0);
    a.bias = null;
    expect(a.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(() => a.registerBuffer('weight', torch.zeros([1]))).toThrow(/already a parameter/);
    expect(() => a.registerParameter('forward', torch.zeros([1]))).toThrow(/already exists/);
    expect(() => a.registerParameter('a.b', torch.zeros([1]))).toThrow(/can't contain '\.'/);
    expect(() => a.registerParameter('i', torch.zeros([1], { dtype: 'int64' }))).toThrow(/floating/);
  });
  it('apply visits children first, then the module; ModuleList and Sequential index', () => {
    const seen: string[] = [];
    const m = new nn.Sequential(new nn.Linear(1, 1), new nn.ModuleList([new nn.ReLU(), new nn.Tanh()]));
    m.apply((x) => seen.push(x.constructor.name));
    expect(seen).toEqual(['Linear', 'ReLU', 'Tanh', 'ModuleList', 'Sequential']);
    expect(m.at(-1)).toBeInstanceOf(nn.ModuleList);
    expect((m.at(1) as nn.ModuleList).length).toBe(2);
    expect(() => m.at(5)).toThrow(/out of range/);
    const named = new nn.Sequential({ conv: new nn.Conv2d(1, 2, 3), act: new nn.ReLU() });
    expect(Object.keys(named.stateDict())).toEqual(['conv.weight', 'conv.bias']);
  });
  it('parameters survive the tidy scope the module was built in', () => {
    const before = torch.memory().liveTensors;
    const m = torch.tidy(() => new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3)));
    expect(m.parameters().every((p) => !p.isDisposed)).toBe(true);
    expect(m.buffers().every((b) => !b.isDisposed)).toBe(true);
    expect(torch.memory().liveTensors - before).toBe(7);
    const y = torch.tidy(() =>
      m
        .forward(torch.randn([5, 4]))
        .sum()
        .item(),
    );
    expect(Number.isFinite(y)).toBe(true);
    expect(torch.memory().liveTensors - before).toBe(7);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips values; state-dict tensors are detached views of the weights', () => {
    const a = new Block();
    const b = new Block();
    const sd = a.stateDict();
    expect(sd['lin.weight'].requiresGrad).toBe(false);
    expect('scratch' in sd).toBe(false); // non-persistent
    expect(b.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(b.lin.weight)).toEqual(values(a.lin.weight));
    expect(b.lin.weight.requiresGrad).toBe(true);
    torch.noGrad(() => a.lin.weight.fill_(7));
    expect(values(sd['lin.weight']).every((v) => v === 7)).toBe(true);
  });
  it('strict errors list missing and unexpected keys by name; non-strict reports them', () => {
    const m = new Block();
    const sd = m.stateDict();
    delete sd['lin.bias'];
    sd['lin.extra'] = torch.zeros([1]);
    let err: Error | undefined;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(torch.TorchError);
    expect(err!.message).toMatch(/missing key\(s\) \(1\): lin\.bias/);
    expect(err!.message).toMatch(/unexpected key\(s\) \(1\): lin\.extra/);
    expect(err!.message).toMatch(/Block/);
    expect(m.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['lin.bias'], unexpectedKeys: ['lin.extra'] });
  });
  it('shape mismatches throw by name even when not strict, and change nothing', () => {
    const m = new Block();
    const w0 = values(m.lin.weight);
    const sd = m.stateDict();
    sd['lin.weight'] = torch.zeros([3, 3]);
    sd['scale'] = torch.zeros([2]);
    expect(() => m.loadStateDict(sd, { strict: false })).toThrow(/lin\.weight: shape \[3, 3\] in the state dict, \[2, 3\] in the model/);
    expect(values(m.lin.weight)).toEqual(w0);
    expect(values(m.scale)).toEqual([1, 1]);
  });
  it('loads across dtypes (copy converts) and keeps int64 num_batches_tracked', () => {
    const bn = new nn.BatchNorm1d(2);
    const sd = {
      weight: torch.tensor([2, 3], { dtype: 'float64' }),
      bias: torch.zeros([2]),
      running_mean: torch.ones([2]),
      running_var: torch.ones([2]),
      num_batches_tracked: torch.tensor(5n),
    };
    bn.loadStateDict(sd);
    expect(bn.weight!.dtype).toBe('float32');
    expect(values(bn.weight!)).toEqual([2, 3]);
    expect(bn.num_batches_tracked!.dtype).toBe('int64');
    expect(Number(bn.num_batches_tracked!.item())).toBe(5);
  });
});

describe('to(), zeroGrad(), deepCopy()', () => {
  it('to(dtype) casts floating parameters and buffers in their slots, keeping requiresGrad and ints', () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
    const w = values(m.parameters()[0]);
    m.to('float64');
    for (const p of m.parameters()) {
      expect(p.dtype).toBe('float64');
      expect(p.requiresGrad).toBe(true);
      expect(p.isLeaf).toBe(true);
    }
    const bn = m.at(1) as nn.BatchNorm1d;
    expect(bn.running_mean!.dtype).toBe('float64');
    expect(bn.num_batches_tracked!.dtype).toBe('int64');
    expect(values((m.at(0) as nn.Linear).weight)).toEqual(w);
    const y = m.forward(torch.randn([4, 2], { dtype: 'float64' }));
    expect(y.dtype).toBe('float64');
    expect(() => m.to('int64')).toThrow(/floating/);
    m.to({ device: 'cpu' }); // no-op
    expect(m.parameters()[0].device).toBe('cpu');
  });
  it('zeroGrad sets gradients to null by default, or zeroes them', () => {
    const m = new nn.Linear(2, 1);
    m.forward(torch.ones([3, 2]))
      .sum()
      .backward();
    expect(values(m.bias!.grad!)).toEqual([3]);
    m.zeroGrad({ setToNone: false });
    expect(values(m.bias!.grad!)).toEqual([0]);
    m.zeroGrad();
    expect(m.bias!.grad).toBeNull();
  });
  it('deepCopy clones weights and structure independently', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.BatchNorm1d(2));
    const c = m.deepCopy();
    expect(c).toBeInstanceOf(nn.Sequential);
    expect(Object.keys(c.stateDict())).toEqual(Object.keys(m.stateDict()));
    expect(values(c.parameters()[0])).toEqual(values(m.parameters()[0]));
    torch.noGrad(() => c.parameters()[0].fill_(0));
    expect(values(m.parameters()[0]).some((v) => v !== 0)).toBe(true);
    expect((c.at(0) as nn.Linear).weight).toBe(c.parameters()[0]);
    const x = torch.randn([4, 2]);
    expect(c.forward(x).shape).toEqual([4, 2]);
  });
  it('toString prints the module tree as PyTorch does', () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    expect(String(m)).toBe('Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)');
  });
});

describe('default initialisation (PyTorch bounds)', () => {
  const stats = (t: Tensor) => {
    const v = values(t);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    let min = Infinity,
      max = -Infinity;
    for (const x of v) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    return { min, max, mean, std };
  };
  it('Linear: weight and bias U(±1/√fanIn)', () => {
    torch.manualSeed(0);
    const l = new nn.Linear(400, 300);
    const b = 1 / Math.sqrt(400);
    const s = stats(l.weight);
    expect(s.min).toBeGreaterThanOrEqual(-b);
    expect(s.max).toBeLessThanOrEqual(b);
    expect(s.max).toBeGreaterThan(0.99 * b);
    expect(Math.abs(s.std - b / Math.sqrt(3)) / (b / Math.sqrt(3))).toBeLessThan(0.01);
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * b);
    const sb = stats(l.bias!);
    expect(sb.min).toBeGreaterThanOrEqual(-b);
    expect(sb.max).toBeLessThanOrEqual(b);
    expect(Math.abs(sb.std - b / Math.sqrt(3)) / (b / Math.sqrt(3))).toBeLessThan(0.12);
  });
  it('Conv2d: fanIn = in/groups · kh · kw', () => {
    const c = new nn.Conv2d(64, 128, 3, { groups: 2 });
    const b = 1 / Math.sqrt(32 * 9);
    const s = stats(c.weight);
    expect(c.weight.shape).toEqual([128, 32, 3, 3]);
    expect(s.min).toBeGreaterThanOrEqual(-b);
    expect(s.max).toBeLessThanOrEqual(b);
    expect(Math.abs(s.std - b / Math.sqrt(3)) / (b / Math.sqrt(3))).toBeLessThan(0.02);
    expect(stats(c.bias!).max).toBeLessThanOrEqual(b);
  });
  it('BatchNorm: weight 1, bias 0, running mean 0, var 1, num_batches_tracked 0 (int64)', () => {
    const bn = new nn.BatchNorm2d(4);
    expect(values(bn.weight!)).toEqual([1, 1, 1, 1]);
    expect(values(bn.bias!)).toEqual([0, 0, 0, 0]);
    expect(values(bn.running_mean!)).toEqual([0, 0, 0, 0]);
    expect(values(bn.running_var!)).toEqual([1, 1, 1, 1]);
    expect(bn.num_batches_tracked!.dtype).toBe('int64');
    expect(bn.num_batches_tracked!.shape).toEqual([]);
  });
  it('nn.init: gains, fans and the std of each initialiser', () => {
    const I = nn.init;
    expect(I.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(I.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(I.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(I.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / 1.0001), 12);
    expect(I.calculateGain('selu')).toBe(0.75);
    expect(() => I.calculateGain('swish' as never)).toThrow(/unsupported/);
    const t = torch.empty([256, 128, 3, 3]);
    expect(I.calculateFanInAndFanOut(t)).toEqual([128 * 9, 256 * 9]);
    expect(() => I.calculateFanInAndFanOut(torch.empty([5]))).toThrow(/fewer than 2 dimensions/);
    const rel = (a: number, b: number) => Math.abs(a - b) / b;
    expect(rel(stats(I.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'relu' })).std, Math.SQRT2 / Math.sqrt(256 * 9))).toBeLessThan(0.01);
    expect(rel(stats(I.kaimingUniform_(t)).std, Math.SQRT2 / Math.sqrt(128 * 9))).toBeLessThan(0.01);
    expect(stats(I.kaimingUniform_(t)).max).toBeLessThanOrEqual(Math.sqrt(6 / (128 * 9)));
    expect(rel(stats(I.xavierNormal_(t)).std, Math.sqrt(2 / (384 * 9)))).toBeLessThan(0.01);
    const xu = stats(I.xavierUniform_(t, { gain: 2 }));
    expect(xu.max).toBeLessThanOrEqual(2 * Math.sqrt(6 / (384 * 9)));
    expect(rel(xu.std, 2 * Math.sqrt(2 / (384 * 9)))).toBeLessThan(0.01);
    expect(values(I.constant_(torch.empty([3]), 0.5))).toEqual([0.5, 0.5, 0.5]);
    expect(values(I.ones_(torch.empty([2])))).toEqual([1, 1]);
    expect(values(I.zeros_(torch.empty([2])))).toEqual([0, 0]);
    const u = stats(I.uniform_(torch.empty([10000]), -2, 3));
    expect(u.min).toBeGreaterThanOrEqual(-2);
    expect(u.max).toBeLessThanOrEqual(3);
    // in place on a parameter, recording no graph
    const l = new nn.Linear(3, 3);
    I.normal_(l.weight, 0, 0.02);
    expect(l.weight.isLeaf).toBe(true);
    expectClose(torch.scalarTensor(stats(l.weight).mean), torch.scalarTensor(0), 'mean', { rtol: 0, atol: 0.05 });
  });
});
