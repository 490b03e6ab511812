// Memory formats: t.contiguous({ memoryFormat }), t.isContiguous({ memoryFormat }), t.stride(),
// t.to({ memoryFormat }), t.suggestMemoryFormat(); strides against Python PyTorch run live (skipped,
// saying so, without the .venv), and every path that reads data (toArray, save/load) on NHWC tensors.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch } from '../../lib/index.js';
import { venvPython, havePython } from '../helpers/python.js';

const havePy = havePython('torch', 'memory-format strides vs PyTorch');
const dir = mkdtempSync(path.join(tmpdir(), 'torchmix-memfmt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Row-major values 0..n-1 in the shape (so any layout mix-up shows in the values). */
const iota = (shape: number[]) =>
  torch
    .arange(
      shape.reduce((a, b) => a * b, 1),
      { dtype: 'float32' },
    )
    .reshape(shape);

// (shape, format) cases, including the size-1 dims where NCHW and NHWC strides differ but both layouts are "contiguous".
const CASES: [number[], 'channelsLast' | 'channelsLast3d'][] = [
  [[2, 3, 4, 5], 'channelsLast'],
  [[1, 1, 3, 3], 'channelsLast'],
  [[32, 1, 3, 3], 'channelsLast'],
  [[2, 3, 1, 1], 'channelsLast'],
  [[4, 8, 2, 6], 'channelsLast'],
  [[2, 3, 4, 5, 6], 'channelsLast3d'],
];

describe.skipIf(!havePy)('strides equal PyTorch (skipped without .venv/bin/python)', () => {
  it('contiguous(memory_format=...) strides and both is_contiguous checks, case by case', () => {
    const code = `
import json, sys, torch
fmts = {'channelsLast': torch.channels_last, 'channelsLast3d': torch.channels_last_3d}
out = []
for shape, f in json.loads(sys.argv[1]):
    t = torch.zeros(shape).contiguous(memory_format=fmts[f])
    out.append({'stride': list(t.stride()), 'cl': t.is_contiguous(memory_format=fmts[f]), 'c': t.is_contiguous(),
                'back': list(t.contiguous().stride())})
print(json.dumps(out))`;
    const py = JSON.parse(execFileSync(venvPython, ['-c', code, JSON.stringify(CASES)], { encoding: 'utf8' })) as {
      stride: number[];
      cl: boolean;
      c: boolean;
      back: number[];
    }[];
    CASES.forEach(([shape, f], i) => {
      const t = torch.zeros(shape).contiguous({ memoryFormat: f });
      expect(t.stride(), `${shape.join('×')} ${f}`).toEqual(py[i].stride);
      expect(t.isContiguous({ memoryFormat: f })).toBe(py[i].cl);
      expect(t.isContiguous()).toBe(py[i].c);
      expect(t.contiguous().stride()).toEqual(py[i].back);
    });
  });
});

describe('memory formats', () => {
  it('channelsLast: NHWC strides, isContiguous both ways, contiguous() back to NCHW with the same values', () => {
    const x = iota([2, 3, 4, 5]);
    expect(x.stride()).toEqual([60, 20, 5, 1]);
    expect(x.isContiguous()).toBe(true);
    expect(x.isContiguous({ memoryFormat: 'channelsLast' })).toBe(false);
    expect(x.suggestMemoryFormat()).toBe('contiguousFormat');
    const y = x.contiguous({ memoryFormat: 'channelsLast' });
    expect(y.shape).toEqual([2, 3, 4, 5]);
    expect(y.stride()).toEqual([60, 1, 15, 3]);
    expect(y.stride(1)).toBe(1);
    expect(y.stride(-1)).toBe(3);
    expect(y.isContiguous()).toBe(false);
    expect(y.isContiguous({ memoryFormat: 'channelsLast' })).toBe(true);
    expect(y.isContiguous({ memoryFormat: 'contiguousFormat' })).toBe(false);
    expect(y.suggestMemoryFormat()).toBe('channelsLast');
    // data out is row-major whatever the layout
    expect(Array.from(y.toArray() as Float32Array)).toEqual(Array.from(x.toArray() as Float32Array));
    expect(Array.from(y.dataSync() as Float32Array)).toEqual(Array.from(x.toArray() as Float32Array));
    expect(y.tolist()).toEqual(x.tolist());
    const z = y.contiguous();
    expect(z.stride()).toEqual([60, 20, 5, 1]);
    expect(z.isContiguous()).toBe(true);
    expect(Array.from(z.toArray() as Float32Array)).toEqual(Array.from(x.toArray() as Float32Array));
    // y's memory really is NHWC: its (N, H, W, C) permutation is a row-major view, channel 1 of pixel (0, 0) second
    expect(y.permute([0, 2, 3, 1]).isContiguous()).toBe(true);
    expect(Array.from(y.permute([0, 2, 3, 1]).flatten().narrow(0, 0, 4).toArray() as Float32Array)).toEqual([0, 20, 40, 1]);
  });
  it('contiguous({ memoryFormat }) of a tensor already in the format is that tensor (no copy)', () => {
    const y = iota([2, 3, 4, 5]).contiguous({ memoryFormat: 'channelsLast' });
    const again = y.contiguous({ memoryFormat: 'channelsLast' });
    again.mul_(2); // shares storage: y sees it
    expect((y.toArray() as Float32Array)[1]).toBe(2);
  });
  it('channelsLast3d on 5-D tensors; to({ memoryFormat }) with a dtype in one call', () => {
    const x = iota([2, 3, 2, 2, 2]);
    const y = x.contiguous({ memoryFormat: 'channelsLast3d' });
    expect(y.stride()).toEqual([24, 1, 12, 6, 3]);
    expect(y.isContiguous({ memoryFormat: 'channelsLast3d' })).toBe(true);
    expect(y.suggestMemoryFormat()).toBe('channelsLast3d');
    const d = iota([2, 3, 4, 5]).to({ dtype: 'float64', memoryFormat: 'channelsLast' });
    expect(d.dtype).toBe('float64');
    expect(d.stride()).toEqual([60, 1, 15, 3]);
    expect(Array.from(d.toArray() as Float64Array)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    // preserveFormat keeps the layout through a dtype change
    const p = d.to({ dtype: 'float32', memoryFormat: 'preserveFormat' });
    expect(p.stride()).toEqual([60, 1, 15, 3]);
  });
  it('isContiguous({ memoryFormat: channelsLast }) of a 3-D tensor is false (as PyTorch), not an error', () => {
    expect(torch.zeros([2, 3, 4]).isContiguous({ memoryFormat: 'channelsLast' })).toBe(false);
  });
  it('elementwise ops and autograd keep NHWC and the values', () => {
    const x = iota([2, 3, 4, 5]).contiguous({ memoryFormat: 'channelsLast' }).requiresGrad_();
    const y = x.mul(x).add(1);
    expect(y.isContiguous({ memoryFormat: 'channelsLast' })).toBe(true);
    y.sum().backward();
    expect(Array.from(x.grad!.toArray() as Float32Array)).toEqual(Array.from({ length: 120 }, (_, i) => 2 * i));
  });
  it('save → load of channels-last tensors gives the same values (row-major on disk)', () => {
    const x = torch.randn([3, 4, 5, 6]);
    const y = x.contiguous({ memoryFormat: 'channelsLast' });
    const file = path.join(dir, 'cl.safetensors');
    torch.save({ y, h: y.to({ dtype: 'float16' }) }, file);
    const back = torch.load(file);
    expect(back.y.shape).toEqual([3, 4, 5, 6]);
    expect(Array.from(back.y.toArray() as Float32Array)).toEqual(Array.from(x.toArray() as Float32Array));
    expect(back.h.dtype).toBe('float16');
    expect(Array.from(back.h.toArray() as Float32Array)).toEqual(Array.from(x.to({ dtype: 'float16' }).toArray() as Float32Array));
  });
  it('a bad memory format or rank is a TorchValueError that names it and says what to do', () => {
    const x3 = torch.zeros([2, 3, 4]);
    const x4 = torch.zeros([2, 3, 4, 5]);
    const x5 = torch.zeros([2, 3, 4, 5, 6]);
    expect(() => x3.contiguous({ memoryFormat: 'channelsLast' })).toThrow(torch.TorchValueError);
    expect(() => x3.contiguous({ memoryFormat: 'channelsLast' })).toThrow(
      /contiguous\(\): memoryFormat 'channelsLast' needs a 4-D tensor, got a 3-D tensor; .*unsqueeze\(0\)/,
    );
    expect(() => x5.contiguous({ memoryFormat: 'channelsLast' })).toThrow(/needs a 4-D tensor, got a 5-D tensor; use 'channelsLast3d'/);
    expect(() => x4.contiguous({ memoryFormat: 'channelsLast3d' })).toThrow(/'channelsLast3d' needs a 5-D tensor, got a 4-D tensor; use 'channelsLast'/);
    expect(() => x3.to({ memoryFormat: 'channelsLast' })).toThrow(/to\(\): memoryFormat 'channelsLast' needs a 4-D tensor/);
    // @ts-expect-error: PyTorch's Python spelling
    expect(() => x4.contiguous({ memoryFormat: 'channels_last' })).toThrow(/memoryFormat must be one of .*got "channels_last" \(camelCase: 'channelsLast'\)/);
    // @ts-expect-error: not a format
    expect(() => x4.isContiguous({ memoryFormat: 'nhwc' })).toThrow(torch.TorchValueError);
    // contiguous() has no 'preserveFormat' (LibTorch refuses it)
    expect(() => x4.contiguous({ memoryFormat: 'preserveFormat' })).toThrow(
      /contiguous\(\): memoryFormat must be one of 'contiguousFormat', 'channelsLast', 'channelsLast3d', got "preserveFormat"/,
    );
    expect(() => x4.stride(4)).toThrow(/stride\(4\): dim out of range for a 4-d tensor/);
  });
});
