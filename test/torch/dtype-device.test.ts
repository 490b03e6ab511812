// dtypes and devices: data in and out for every dtype, conversions, dtype inference, empty and
// 0-d tensors, device strings, and CUDA (run where a device is visible, skipped — and saying so —
// elsewhere).
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import type { DType, Tensor, TypedArray } from '../../lib/torch/index.js';
import { settledLiveTensors } from '../helpers/gc.js';
import { numbers } from '../helpers/numbers.js';

const ALL: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'uint8', 'bool'];
const FLOATS: DType[] = ['float32', 'float64', 'float16', 'bfloat16'];

/** The typed array class toArray() returns for each dtype (DESIGN.md: int64 ↔ BigInt64Array). */
const ARRAY_TYPE: Record<DType, new (n: number) => TypedArray> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Float32Array,
  bfloat16: Float32Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Flat values as plain numbers (bigint → number). */
const nums = (t: Tensor): number[] => Array.from(t.toArray() as ArrayLike<number | bigint>, (v) => Number(v));

describe('every dtype: data in and out', () => {
  for (const dt of ALL) {
    describe(dt, () => {
      const values =
        dt === 'bool'
          ? [
              [0, 1, 1],
              [0, 0, 1],
            ]
          : [
              [0, 1, 2],
              [3, 4, 5],
            ];
      it('tensor() from a nested array with { dtype } keeps shape and values; toArray() has the documented type', () => {
        const t = torch.tensor(values, { dtype: dt });
        expect(t.dtype).toBe(dt);
        expect(t.shape).toEqual([2, 3]);
        expect(t.device).toBe('cpu');
        const a = t.toArray();
        expect(a).toBeInstanceOf(ARRAY_TYPE[dt]);
        expect(a.length).toBe(6);
        expect(nums(t)).toEqual(values.flat());
        expect(t.dataSync()).toBeInstanceOf(ARRAY_TYPE[dt]);
      });
      it('tolist() nests like the input (booleans for bool)', () => {
        const t = torch.tensor(values, { dtype: dt });
        expect(t.tolist()).toEqual(dt === 'bool' ? values.map((r) => r.map((v) => v !== 0)) : values);
      });
      it('item() of a one-element tensor (number, boolean for bool) — 1-d and 0-d', () => {
        const one = torch.tensor([1], { dtype: dt });
        const zeroD = torch.scalarTensor(dt === 'bool' ? true : 5, { dtype: dt });
        expect(zeroD.shape).toEqual([]);
        expect(zeroD.dtype).toBe(dt);
        if (dt === 'bool') {
          expect(one.item()).toBe(true);
          expect(zeroD.item()).toBe(true);
          expect(torch.tensor([0], { dtype: dt }).item()).toBe(false);
        } else {
          expect(one.item()).toBe(1);
          expect(typeof zeroD.item()).toBe('number');
          expect(zeroD.item()).toBe(5);
        }
        expect(zeroD.toArray().length).toBe(1);
      });
      it('.to(other) and back for every other dtype (values 0..3; bool maps non-zero to true)', () => {
        const src = torch.tensor(dt === 'bool' ? [0, 1, 1, 1] : [0, 1, 2, 3], { dtype: dt });
        for (const other of ALL) {
          const there = src.to(other);
          expect(there.dtype).toBe(other);
          expect(there.toArray()).toBeInstanceOf(ARRAY_TYPE[other]);
          const expectThere = other === 'bool' ? [0, 1, 1, 1] : nums(src);
          expect(nums(there), `${dt} → ${other}`).toEqual(expectThere);
          const back = there.to(dt);
          expect(back.dtype).toBe(dt);
          expect(nums(back), `${dt} → ${other} → ${dt}`).toEqual(other === 'bool' ? [0, 1, 1, 1] : nums(src));
        }
      });
      it('empty tensors: shape [2, 0], numel 0, an empty array of the right type', () => {
        const e = torch.zeros([2, 0], { dtype: dt });
        expect(e.shape).toEqual([2, 0]);
        expect(e.numel()).toBe(0);
        expect(e.dtype).toBe(dt);
        expect(e.toArray()).toBeInstanceOf(ARRAY_TYPE[dt]);
        expect(e.toArray().length).toBe(0);
        expect(e.tolist()).toEqual([[], []]);
      });
      it('zeros / ones / full carry the dtype', () => {
        expect(nums(torch.zeros([3], { dtype: dt }))).toEqual([0, 0, 0]);
        expect(nums(torch.ones([2], { dtype: dt }))).toEqual([1, 1]);
        expect(torch.full([2], dt === 'bool' ? true : 3, { dtype: dt }).dtype).toBe(dt);
      });
    });
  }
});

describe('typed arrays in', () => {
  it('each typed array type gives its dtype and copies the data', () => {
    const cases: [TypedArray, DType][] = [
      [new Float32Array([1.5, -2, 3]), 'float32'],
      [new Float64Array([0.1, -2, 3]), 'float64'],
      [new Int32Array([-7, 0, 2 ** 31 - 1]), 'int32'],
      [BigInt64Array.from([-(2n ** 62n), 0n, 9007199254740993n]), 'int64'],
      [new Uint8Array([0, 128, 255]), 'uint8'],
    ];
    for (const [data, dt] of cases) {
      const t = torch.tensor(data);
      expect(t.dtype).toBe(dt);
      expect(t.shape).toEqual([3]);
      const out = t.toArray();
      expect(out).toBeInstanceOf(data.constructor);
      expect(Array.from(out as ArrayLike<unknown>)).toEqual(Array.from(data as ArrayLike<unknown>));
      // a copy: changing the source afterwards does not change the tensor
      const before = Array.from(t.toArray() as ArrayLike<unknown>);
      (data as unknown as { fill(v: unknown): void }).fill(dt === 'int64' ? 1n : 1);
      expect(Array.from(t.toArray() as ArrayLike<unknown>)).toEqual(before);
    }
  });
  it('int64 beyond 2^53 survives the round trip exactly (BigInt64Array)', () => {
    const big = BigInt64Array.from([9007199254740993n, -9223372036854775808n, 9223372036854775807n]);
    const t = torch.tensor(big);
    expect(Array.from(t.toArray() as BigInt64Array)).toEqual(Array.from(big));
    expect(Array.from(t.narrow(0, 0, 1).to('float64').to('int64').toArray() as BigInt64Array)).toEqual([9007199254740992n]); // float64 rounds
  });
  it('{ shape } shapes a flat typed array; a mismatched shape is a TorchValueError', () => {
    const t = torch.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect(t.shape).toEqual([2, 3]);
    expect(t.tolist()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(() => torch.tensor(new Float32Array(6), { shape: [4, 2] })).toThrow(torch.TorchValueError);
  });
  it('a typed array view with an offset copies only its window', () => {
    const buf = new Float64Array([9, 9, 1, 2, 3, 9]);
    const view = new Float64Array(buf.buffer, 2 * 8, 3);
    expect(numbers(torch.tensor(view))).toEqual([1, 2, 3]);
  });
  it('typed arrays with { dtype } convert: Uint8Array → bool, Float32Array → float16/bfloat16, Int32Array → float64', () => {
    expect(torch.tensor(new Uint8Array([0, 1, 7]), { dtype: 'bool' }).tolist()).toEqual([false, true, true]);
    expect(numbers(torch.tensor(new Float32Array([0.1]), { dtype: 'float16' }))).toEqual([0.0999755859375]);
    expect(numbers(torch.tensor(new Float32Array([0.1]), { dtype: 'bfloat16' }))).toEqual([0.10009765625]);
    const f = torch.tensor(new Int32Array([1, -2]), { dtype: 'float64' });
    expect(f.dtype).toBe('float64');
    expect(f.toArray()).toBeInstanceOf(Float64Array);
  });
});

describe('toArray() of views', () => {
  it('non-contiguous, expanded and grad-requiring tensors come out row-major as they look', () => {
    const a = torch.arange(6).reshape([2, 3]);
    expect(a.t().isContiguous()).toBe(false);
    expect(nums(a.t())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(nums(a.narrow(1, 1, 2))).toEqual([1, 2, 4, 5]);
    expect(nums(a.flip(0))).toEqual([3, 4, 5, 0, 1, 2]);
    expect(nums(torch.tensor([1, 2]).expand([3, 2]))).toEqual([1, 2, 1, 2, 1, 2]);
    const w = torch.ones([2], { requiresGrad: true });
    expect(numbers(w.mul(3))).toEqual([3, 3]);
  });
  it('toArray() returns a fresh copy each time', () => {
    const t = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const a = t.toArray() as Float32Array;
    a[0] = 99;
    expect(numbers(t)).toEqual([1, 2, 3]);
  });
});

describe('conversions keep values the target can hold', () => {
  it('float32 → float16 / bfloat16 round to the nearest representable value; float64 keeps every digit', () => {
    const x = torch.tensor([0.1, -2.75, 1000.5], { dtype: 'float64' });
    expect(numbers(x)).toEqual([0.1, -2.75, 1000.5]);
    expect(numbers(x.to('float32'))).toEqual([Math.fround(0.1), -2.75, 1000.5]);
    expect(numbers(x.to('float16'))).toEqual([0.0999755859375, -2.75, 1000.5]);
    expect(numbers(x.to('bfloat16'))).toEqual([0.10009765625, -2.75, 1000]);
    expect(numbers(torch.tensor([70000]).to('float16'))).toEqual([Infinity]);
  });
  it('float → int truncates toward zero; → bool is "non-zero"', () => {
    const x = torch.tensor([-1.7, 2.9, 0, 0.2]);
    expect(nums(x.to('int32'))).toEqual([-1, 2, 0, 0]);
    expect(nums(x.to('int64'))).toEqual([-1, 2, 0, 0]);
    expect(x.to('bool').tolist()).toEqual([true, true, false, true]);
  });
  it('shorthands float/double/long/int/bool and to({ dtype })', () => {
    const x = torch.tensor([1, 2]);
    expect(x.float().dtype).toBe('float32');
    expect(x.double().dtype).toBe('float64');
    expect(x.double().long().dtype).toBe('int64');
    expect(x.int().dtype).toBe('int32');
    expect(x.bool().dtype).toBe('bool');
    expect(x.to({ dtype: 'float16' }).dtype).toBe('float16');
  });
  it('NaN and ±Infinity survive float conversions and become true under bool', () => {
    const x = torch.tensor([NaN, Infinity, -Infinity]);
    for (const dt of FLOATS) {
      const a = Array.from(x.to(dt).toArray() as Float32Array);
      expect(Number.isNaN(a[0])).toBe(true);
      expect(a.slice(1)).toEqual([Infinity, -Infinity]);
    }
    expect(x.to('bool').tolist()).toEqual([true, true, true]);
  });
  it('float16 / bfloat16 tensors compute in their dtype', () => {
    for (const dt of ['float16', 'bfloat16'] as DType[]) {
      const s = torch.tensor([1, 2, 3], { dtype: dt }).mul(torch.tensor([0.5, 0.5, 0.5], { dtype: dt }));
      expect(s.dtype).toBe(dt);
      expect(nums(s)).toEqual([0.5, 1, 1.5]);
    }
  });
});

describe('dtype inference of torch.tensor (as PyTorch)', () => {
  it('integers → int64, floats → float32, booleans → bool, bigint → int64', () => {
    expect(torch.tensor([1, 2, 3]).dtype).toBe('int64');
    expect(torch.tensor([[1], [-2]]).dtype).toBe('int64');
    expect(torch.tensor([1.5, 2]).dtype).toBe('float32');
    expect(torch.tensor([1, 2.5]).dtype).toBe('float32');
    expect(torch.tensor([true, false]).dtype).toBe('bool');
    expect(torch.tensor([1n, 2n]).dtype).toBe('int64');
    expect(torch.tensor([NaN]).dtype).toBe('float32');
    expect(torch.tensor([Infinity, 1]).dtype).toBe('float32');
  });
  it('booleans mixed with integers promote to int64 (as torch.tensor([True, 2]))', () => {
    const t = torch.tensor([true, 2]);
    expect(t.dtype).toBe('int64');
    expect(nums(t)).toEqual([1, 2]);
  });
  it('safe integers are exact int64', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(Array.from(torch.tensor([max, -max]).toArray() as BigInt64Array)).toEqual([BigInt(max), -BigInt(max)]);
  });
  it('{ dtype } overrides inference without losing float64 precision', () => {
    const t = torch.tensor([0.1, 1 / 3], { dtype: 'float64' });
    expect(numbers(t)).toEqual([0.1, 1 / 3]);
    expect(torch.tensor([1, 2], { dtype: 'float32' }).toArray()).toBeInstanceOf(Float32Array);
    expect(torch.tensor([true, false], { dtype: 'float32' }).tolist()).toEqual([1, 0]);
  });
  it('0-d tensors from scalars: int64, float32, bool', () => {
    const i = torch.tensor(3),
      f = torch.tensor(3.5),
      b = torch.tensor(true);
    expect([i.shape, f.shape, b.shape]).toEqual([[], [], []]);
    expect([i.dtype, f.dtype, b.dtype]).toEqual(['int64', 'float32', 'bool']);
    expect([i.item(), f.item(), b.item()]).toEqual([3, 3.5, true]);
    expect(i.ndim).toBe(0);
    expect(i.numel()).toBe(1);
    expect(i.tolist()).toBe(3);
    expect(f.reshape([1, 1]).shape).toEqual([1, 1]);
  });
  it('empty nested arrays: [] is float32 of shape [0], [[]] has shape [1, 0]', () => {
    const e = torch.tensor([]);
    expect(e.dtype).toBe('float32');
    expect(e.shape).toEqual([0]);
    expect(e.numel()).toBe(0);
    expect(e.toArray().length).toBe(0);
    expect(torch.tensor([[]]).shape).toEqual([1, 0]);
    expect(e.sum().item()).toBe(0);
  });
  it('reductions over 0-d and empty tensors behave as in PyTorch', () => {
    expect(torch.tensor(4.5).sum().item()).toBe(4.5);
    expect(torch.zeros([0, 3]).sum({ dim: 0 }).tolist()).toEqual([0, 0, 0]);
    expect(Number.isNaN(torch.zeros([0]).mean().item() as number)).toBe(true);
    expect(
      torch
        .ones([3, 0])
        .matmul(torch.ones([0, 2]))
        .tolist(),
    ).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('devices on the CPU', () => {
  it("tensors live on 'cpu'; to('cpu') / cpu() keep data", () => {
    const t = torch.tensor([1.5, 2.5]);
    expect(t.device).toBe('cpu');
    expect(t.to('cpu').device).toBe('cpu');
    expect(t.cpu().tolist()).toEqual([1.5, 2.5]);
    expect(torch.zeros([2], { device: 'cpu' }).device).toBe('cpu');
    expect(torch.randn([2], { device: 'cpu', dtype: 'float64' }).dtype).toBe('float64');
  });
  it('to() without a change shares storage (PyTorch: returns self); copy: true makes a new one', () => {
    const a = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const same = a.to({ device: 'cpu', dtype: 'float32' });
    const copy = a.to({ device: 'cpu', copy: true });
    same.add_(10);
    expect(a.tolist()).toEqual([11, 12, 13]);
    expect(copy.tolist()).toEqual([1, 2, 3]);
  });
  it('invalid device strings are TorchValueErrors naming the device', () => {
    for (const d of ['gpu', 'CPU', 'cuda:', 'cuda:x', 'cpu:0:1', '']) expect(() => torch.zeros([1], { device: d }), d).toThrow(torch.TorchValueError);
    expect(() => torch.zeros([1], { device: 'tpu' })).toThrow(/invalid device 'tpu'/);
    expect(() => torch.ones([1]).to({ device: 'metal' })).toThrow(torch.TorchValueError);
  });
  it("to('gpu') is not a dtype either: a TorchTypeError", () => {
    expect(() => torch.ones([1]).to('gpu')).toThrow(torch.TorchTypeError);
  });
});

describe('torch.cuda queries', () => {
  it('isAvailable() and deviceCount() agree with each other and with config()', () => {
    const avail = torch.cuda.isAvailable();
    expect(typeof avail).toBe('boolean');
    const n = torch.cuda.deviceCount();
    expect(Number.isInteger(n)).toBe(true);
    expect(n > 0).toBe(avail);
    expect(torch.config().cuda).toBe(avail);
    if (!torch.config().cudaBuilt) expect(avail).toBe(false);
  });
});

describe.skipIf(torch.cuda.isAvailable())('without CUDA (this machine has no CUDA device)', () => {
  it("to('cuda') throws a TorchError (not a crash) and leaks no handle", () => {
    const t = torch.ones([2]);
    const live = settledLiveTensors();
    for (const target of ['cuda', 'cuda:0'] as const) {
      let err: unknown;
      try {
        t.to(target);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(torch.TorchError);
      expect((err as Error).message.length).toBeGreaterThan(0);
    }
    expect(() => t.cuda()).toThrow(torch.TorchError);
    expect(() => torch.zeros([2], { device: 'cuda' })).toThrow(torch.TorchError);
    expect(() => torch.randn([2], { device: 'cuda:0' })).toThrow(torch.TorchError);
    expect(torch.memory().liveTensors).toBe(live);
    expect(t.tolist()).toEqual([1, 1]); // the process and the tensor are fine
  });
  it('cuda.synchronize() is a TorchError; memory() reports 0 CUDA bytes', () => {
    expect(() => torch.cuda.synchronize()).toThrow(/CUDA is not available/);
    expect(() => torch.cuda.synchronize()).toThrow(torch.TorchError);
    const m = torch.memory();
    expect(m.cudaAllocated).toBe(0);
    expect(m.cudaReserved).toBe(0);
  });
});

const CUDA = torch.cuda.isAvailable();
describe.skipIf(!CUDA)(CUDA ? 'CUDA' : 'CUDA (skipped: no CUDA device)', () => {
  it("to('cuda') and back round-trips every dtype", () => {
    for (const dt of ALL) {
      const src = torch.tensor(dt === 'bool' ? [0, 1, 1, 0] : [0, 1, 2, 3], { dtype: dt });
      const g = src.to('cuda');
      expect(g.device).toBe('cuda:0');
      expect(g.dtype).toBe(dt);
      const back = g.cpu();
      expect(back.device).toBe('cpu');
      expect(nums(back)).toEqual(nums(src));
      expect(g.toArray()).toBeInstanceOf(ARRAY_TYPE[dt]); // toArray copies from the device
    }
    expect(torch.ones([2]).to('cuda:0').device).toBe('cuda:0');
    expect(torch.ones([2]).to({ device: 'cuda', dtype: 'float16' }).dtype).toBe('float16');
  });
  it('ops on CUDA match the CPU', () => {
    torch.manualSeed(0);
    const a = torch.randn([8, 5], { dtype: 'float64' }),
      b = torch.randn([5, 3], { dtype: 'float64' });
    const cpu = nn.functional.softmax(a.matmul(b).relu(), 1).sum({ dim: 0 });
    const gpu = nn.functional.softmax(a.cuda().matmul(b.cuda()).relu(), 1).sum({ dim: 0 });
    expect(gpu.device).toBe('cuda:0');
    const x = cpu.toArray() as Float64Array,
      y = gpu.toArray() as Float64Array;
    for (let k = 0; k < x.length; k++) expect(y[k]).toBeCloseTo(x[k], 10);
    const w = torch.ones([3], { device: 'cuda', requiresGrad: true });
    w.mul(torch.tensor([1, 2, 3], { device: 'cuda', dtype: 'float32' }))
      .sum()
      .backward();
    expect(w.grad!.device).toBe('cuda:0');
    expect(w.grad!.tolist()).toEqual([1, 2, 3]);
  });
  it('mixing devices is a TorchError', () => {
    expect(() => torch.ones([2]).add(torch.ones([2], { device: 'cuda' }))).toThrow(torch.TorchError);
  });
  it('memory().cudaAllocated grows after allocating and shrinks after dispose', () => {
    torch.cuda.synchronize();
    const before = torch.memory().cudaAllocated;
    if (before === -1) return; // this LibTorch does not expose allocator statistics
    const t = torch.zeros([1 << 20], { device: 'cuda' }); // 4 MiB
    const during = torch.memory();
    expect(during.cudaAllocated).toBeGreaterThan(0);
    expect(during.cudaAllocated - before).toBeGreaterThanOrEqual(4 << 20);
    expect(during.cudaReserved).toBeGreaterThanOrEqual(during.cudaAllocated);
    t.dispose();
    expect(torch.memory().cudaAllocated).toBeLessThanOrEqual(before);
  });
  it('cuda.synchronize() with and without a device index', () => {
    torch.randn([256, 256], { device: 'cuda' }).matmul(torch.randn([256, 256], { device: 'cuda' }));
    expect(() => torch.cuda.synchronize()).not.toThrow();
    expect(() => torch.cuda.synchronize(0)).not.toThrow();
  });
  it('manualSeed makes CUDA sampling reproducible', () => {
    torch.manualSeed(123);
    const a = numbers(torch.randn([64], { device: 'cuda' }));
    const u = numbers(torch.rand([64], { device: 'cuda' }));
    torch.manualSeed(123);
    const b = numbers(torch.randn([64], { device: 'cuda' }));
    const v = numbers(torch.rand([64], { device: 'cuda' }));
    expect(b).toEqual(a);
    expect(v).toEqual(u);
    torch.manualSeed(124);
    expect(numbers(torch.randn([64], { device: 'cuda' }))).not.toEqual(a);
  });
});
