// Errors (DESIGN.md, "Errors"): one native guard maps c10 errors to TorchError and its subclasses,
// cheap checks happen in TypeScript with messages that name the argument, a disposed tensor is a
// clear TorchError, and no input crashes the process.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch, nn } from '../../lib/index.js';
import { settledLiveTensors } from '../helpers/gc.js';

const F = nn.functional;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

/** The error fn throws (fails the test if it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('error classes', () => {
  it('form a hierarchy under TorchError, with names set', () => {
    for (const C of [torch.TorchIndexError, torch.TorchTypeError, torch.TorchValueError, torch.TorchOutOfMemoryError, torch.TorchNotImplementedError]) {
      const e = new C('m');
      expect(e).toBeInstanceOf(torch.TorchError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(C.name);
      expect(e.message).toBe('m');
    }
  });
  it('native errors carry the message without the C++ backtrace, and a JS stack', () => {
    const e = thrown(() => torch.ones([2, 3]).matmul(torch.ones([4, 5])));
    expect(e.message).not.toMatch(/Exception raised from|frame #\d/);
    expect(e.stack).toBeTypeOf('string');
    expect(e.name).toBe('TorchError');
  });
});

describe('TorchIndexError', () => {
  it('indexSelect with an index out of range', () => {
    const e = thrown(() => torch.arange(5).indexSelect(0, torch.tensor([1, 5])));
    expect(e).toBeInstanceOf(torch.TorchIndexError);
    expect(e.message).toMatch(/index out of range/);
  });
  it('a dim out of range (sum, transpose, select)', () => {
    const t = torch.ones([2, 3]);
    expect(thrown(() => t.sum({ dim: 2 }))).toBeInstanceOf(torch.TorchIndexError);
    const e = thrown(() => t.transpose(0, 5));
    expect(e).toBeInstanceOf(torch.TorchIndexError);
    expect(e.message).toMatch(/Dimension out of range/);
    expect(thrown(() => t.select(1, 3))).toBeInstanceOf(torch.TorchIndexError);
  });
  it('crossEntropy with a target class out of range', () => {
    const e = thrown(() => F.crossEntropy(torch.zeros([2, 3]), torch.tensor([0, 3])));
    expect(e).toBeInstanceOf(torch.TorchIndexError);
    expect(e.message).toMatch(/Target 3 is out of bounds/);
  });
});

describe('TorchValueError', () => {
  it('a bad device string (named in the message)', () => {
    const e = thrown(() => torch.zeros([2], { device: 'gpu0' }));
    expect(e).toBeInstanceOf(torch.TorchValueError);
    expect(e.message).toMatch(/invalid device 'gpu0'/);
    expect(thrown(() => torch.ones([1]).to({ device: 'cuda:-1' }))).toBeInstanceOf(torch.TorchValueError);
  });
  it('a negative shape (named in the message)', () => {
    const e = thrown(() => torch.zeros([2, -3]));
    expect(e).toBeInstanceOf(torch.TorchValueError);
    expect(e.message).toMatch(/shape.*-3/);
    expect(thrown(() => torch.randn([-1]))).toBeInstanceOf(torch.TorchValueError);
    expect(thrown(() => torch.full([-2], 1))).toBeInstanceOf(torch.TorchValueError);
  });
  it('a ragged nested array (with the position)', () => {
    const e = thrown(() =>
      torch.tensor([
        [1, 2, 3],
        [4, 5],
      ]),
    );
    expect(e).toBeInstanceOf(torch.TorchValueError);
    expect(e.message).toMatch(/ragged.*\[1\].*expected length 3, got 2/);
    expect(thrown(() => torch.tensor([[1, 2], 3] as never))).toBeInstanceOf(torch.TorchValueError);
  });
  it('a bad reduction name', () => {
    for (const fn of [
      () => F.mseLoss(torch.ones([2]), torch.ones([2]), { reduction: 'avg' as never }),
      () => F.crossEntropy(torch.ones([2, 3]), torch.tensor([0, 1]), { reduction: 'batchmean' as never }),
      () => F.nllLoss(torch.ones([2, 3]), torch.tensor([0, 1]), { reduction: 'max' as never }),
    ]) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(torch.TorchValueError);
      expect(e.message).toMatch(/reduction.*expected 'none', 'mean' or 'sum'/);
    }
  });
  it('item() on a multi-element (and an empty) tensor', () => {
    const e = thrown(() => torch.ones([2, 2]).item());
    expect(e).toBeInstanceOf(torch.TorchValueError);
    expect(e.message).toMatch(/4 elements, expected exactly 1/);
    expect(thrown(() => torch.zeros([0]).item())).toBeInstanceOf(torch.TorchValueError);
  });
  it('option values checked in TypeScript: clamp without bounds, labelSmoothing, dropout p', () => {
    expect(thrown(() => torch.ones([2]).clamp({}))).toBeInstanceOf(torch.TorchValueError);
    expect(thrown(() => F.crossEntropy(torch.ones([2, 3]), torch.tensor([0, 1]), { labelSmoothing: 2 }))).toBeInstanceOf(torch.TorchValueError);
    expect(thrown(() => F.dropout(torch.ones([2]), { p: 1.5 }))).toBeInstanceOf(torch.TorchValueError);
  });
});

describe('TorchTypeError', () => {
  it('an unknown dtype string (lists the valid ones)', () => {
    const e = thrown(() => torch.zeros([2], { dtype: 'float8' as never }));
    expect(e).toBeInstanceOf(torch.TorchTypeError);
    expect(e.message).toMatch(/unknown dtype 'float8'.*float32/);
    expect(thrown(() => torch.ones([2]).to('complex64'))).toBeInstanceOf(torch.TorchTypeError);
  });
  it('a non-tensor argument to add (names the argument)', () => {
    for (const bad of [undefined, null, 'x', {}, [1, 2]]) {
      const e = thrown(() => torch.ones([2]).add(bad as never));
      expect(e).toBeInstanceOf(torch.TorchTypeError);
      expect(e.message).toMatch(/^add\(other\): expected a Tensor/);
    }
  });
  it('the message says what the argument was: a function by name, never its source text', () => {
    const cases: [unknown, string][] = [
      [undefined, 'undefined'],
      [null, 'null'],
      ['x', 'string x'],
      [{}, 'Object'],
      [new Map(), 'Map'],
      [[1, 2], 'an array'],
      [() => 1, 'a function'],
      [Symbol('s'), 'Symbol(s)'],
    ];
    for (const [bad, got] of cases) expect(thrown(() => torch.ones([2]).add(bad as never)).message).toBe(`add(other): expected a Tensor, got ${got}`);
  });
  it('an unsupported typed array', () => {
    for (const ta of [new Int16Array(2), new Uint16Array(2), new Int8Array(2), new Uint8ClampedArray(2), new BigUint64Array(2)]) {
      const e = thrown(() => torch.tensor(ta as never));
      expect(e).toBeInstanceOf(torch.TorchTypeError);
      expect(e.message).toMatch(/unsupported typed array/);
    }
  });
  it('a typed array over a SharedArrayBuffer is copied, or rejected with a TorchError (never a bare Error)', () => {
    const shared = new Float32Array(new SharedArrayBuffer(12));
    shared.set([1, 2, 3]);
    let result: unknown;
    try {
      result = torch.tensor(shared).toArray();
    } catch (e) {
      result = e;
    }
    if (result instanceof Error) expect(result).toBeInstanceOf(torch.TorchError);
    else expect(Array.from(result as Float32Array)).toEqual([1, 2, 3]);
  });
  it('a non-number element in a nested array', () => {
    const e = thrown(() => torch.tensor([1, 'two'] as never));
    expect(e).toBeInstanceOf(torch.TorchTypeError);
    expect(e.message).toMatch(/element at \[1\] is string/);
  });
});

describe('TorchError (base class)', () => {
  it('shape mismatch in matmul', () => {
    const e = thrown(() => torch.ones([2, 3]).matmul(torch.ones([4, 5])));
    expect(e).toBeInstanceOf(torch.TorchError);
    expect(e.message).toMatch(/cannot be multiplied \(2x3 and 4x5\)/);
  });
  it('use of a disposed tensor: "tensor was disposed", as receiver, as argument and in a list', () => {
    const t = torch.ones([2]);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    for (const fn of [() => t.add(1), () => torch.ones([2]).add(t), () => torch.cat([torch.ones([2]), t]), () => t.toArray(), () => t.item()]) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(torch.TorchError);
      expect(e.message).toMatch(/tensor was disposed/);
    }
    expect(String(t)).toBe('tensor(<disposed>)');
  });
  it('a tensor used after its tidy scope ended', () => {
    let inner: InstanceType<typeof torch.Tensor> | undefined;
    torch.tidy(() => {
      inner = torch.ones([2]);
    });
    expect(thrown(() => inner!.sum()).message).toMatch(/tensor was disposed/);
  });
  it('tidy returning a Promise', () => {
    const e = thrown(() => torch.tidy(() => Promise.resolve(1)));
    expect(e).toBeInstanceOf(torch.TorchError);
    expect(e.message).toMatch(/Promise/);
  });
  it('autograd misuse: backward twice, non-scalar backward', () => {
    const x = torch.ones([2]).requiresGrad_();
    const y = x.exp().sum();
    y.backward();
    expect(thrown(() => y.backward()).message).toMatch(/backward through the graph a second time/);
    expect(thrown(() => x.mul(2).backward()).message).toMatch(/only for scalar outputs/);
  });
});

describe('TorchNotImplementedError', () => {
  it("a derivative LibTorch does not implement (double backward through Gamma's rsample)", () => {
    const a = torch.full([3], 2, { dtype: 'float64' }).requiresGrad_();
    const s = new torch.distributions.Gamma(a).rsample();
    const [g] = torch.autograd.grad(s.sum(), a, { createGraph: true });
    const e = thrown(() => torch.autograd.grad(g!.sum(), a));
    expect(e).toBeInstanceOf(torch.TorchNotImplementedError);
    expect(e.message).toMatch(/derivative for '_standard_gamma_grad' is not implemented/);
  });
  it("an op with no kernel for a dtype ('not implemented for') is a TorchNotImplementedError on 1.13 and 2.x", () => {
    for (const fn of [
      () => F.avgPool2d(torch.ones([1, 1, 4, 4], { dtype: 'bool' }), 2),
      () => torch.ones([2, 2], { dtype: 'bool' }).mm(torch.ones([2, 2], { dtype: 'bool' })),
      () => F.softmax(torch.ones([4], { dtype: 'int64' }), 0),
    ]) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(torch.TorchError);
      expect(e.message).toMatch(/not implemented for '(Bool|Long)'/);
      // LibTorch 1.13's AT_DISPATCH raises a plain c10::Error; the guard classifies it as 2.x does.
      expect(e).toBeInstanceOf(torch.TorchNotImplementedError);
    }
  });
});

describe('out of memory', () => {
  it('an absurd allocation (2^40 × 2^20 float32) is a TorchOutOfMemoryError and the process carries on', () => {
    const live = settledLiveTensors();
    const e = thrown(() => torch.empty([2 ** 40, 2 ** 20]));
    // DefaultCPUAllocator raises a plain c10::Error; the guard classifies it as out of memory.
    expect(e).toBeInstanceOf(torch.TorchOutOfMemoryError);
    expect(e.message).toMatch(/can't allocate memory/);
    expect(torch.memory().liveTensors).toBe(live);
    expect(thrown(() => torch.zeros([2 ** 25, 2 ** 25]))).toBeInstanceOf(torch.TorchError);
    expect(torch.arange(4).sum().item()).toBe(6);
  });
});

describe('no crash on hostile inputs (child process)', () => {
  it('~115 hostile inputs each throw a Torch* error (or are harmless); the child exits 0 — a segfault/abort fails here', () => {
    const script = path.join(root, 'test', 'fixtures', 'hostile-inputs.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      env: process.env, // TORCHMIX_ADDON selects the same addon as this run
      encoding: 'utf8',
      timeout: 50_000,
    });
    const report = `status ${r.status} signal ${r.signal}\n--- stdout tail\n${(r.stdout ?? '').slice(-3000)}\n--- stderr tail\n${(r.stderr ?? '').slice(-3000)}`;
    expect(r.signal, report).toBeNull();
    expect(r.status, report).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const done = lines.pop()!;
    expect(done, report).toMatch(/^DONE \d+ 9$/);
    const n = Number(done.split(' ')[1]);
    expect(n).toBeGreaterThanOrEqual(50);
    expect(lines.length).toBe(n);
    const classes = new Set(['TorchError', 'TorchIndexError', 'TorchTypeError', 'TorchValueError', 'TorchOutOfMemoryError', 'TorchNotImplementedError']);
    const bad: string[] = [];
    const byName = new Map<string, [string, string]>();
    for (const line of lines) {
      const [name, cls, msg] = line.split('\t');
      byName.set(name, [cls, msg]);
      const ok = classes.has(cls) || (cls === 'no error' && name.includes('[may succeed'));
      if (!ok) bad.push(line);
    }
    expect(bad, 'cases that neither threw a Torch* error nor are allowed to succeed').toEqual([]);
    // Spot checks: the classes and messages the design promises.
    expect(byName.get('cat([t, disposed])')).toEqual(['TorchError', 'tensor was disposed (element 1 of the list)']);
    expect(byName.get('disposed.backward()')?.[1]).toMatch(/tensor was disposed/);
    expect(byName.get('forged handle new Tensor(123456)')?.[1]).toMatch(/tensor was disposed/);
    expect(byName.get('zeros([NaN])')?.[0]).toBe('TorchValueError');
    expect(byName.get('add(undefined)')?.[0]).toBe('TorchTypeError');
    expect(byName.get('indexSelect out of range')?.[0]).toBe('TorchIndexError');
    expect(byName.get('backward twice without retainGraph')?.[1]).toMatch(/second time/);
    expect(byName.get('Gamma double backward (_standard_gamma_grad)')?.[0]).toBe('TorchNotImplementedError');
  });
});
