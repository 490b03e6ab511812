// torch.save / torch.load (safetensors): round trips for every dtype, the byte layout Python's
// safetensors expects, atomic writes, and clear errors for broken files.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import { values } from './util.js';
import { settledLiveTensors } from '../helpers/gc.js';

const dir = mkdtempSync(path.join(tmpdir(), 'torchmix-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const f = (name: string) => path.join(dir, name);

/** A valid file's bytes, with a given header object and data. */
function craft(header: unknown, data = new Uint8Array(0), rawHeader?: string): Buffer {
  const h = Buffer.from(rawHeader ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

describe('safetensors round trip', () => {
  it('keeps names, order, dtypes, shapes and bytes for every dtype', () => {
    const sd: Record<string, torch.Tensor> = {
      f32: torch.tensor(
        [
          [1.5, -2],
          [3, 4],
        ],
        { dtype: 'float32' },
      ),
      f64: torch.tensor([Math.PI, -0], { dtype: 'float64' }),
      f16: torch.tensor([0.5, 65504], { dtype: 'float16' }),
      bf16: torch.tensor([1, -3.5], { dtype: 'bfloat16' }),
      i64: torch.tensor([2n ** 40n, -1n] as never),
      i32: torch.tensor([7, -8], { dtype: 'int32' }),
      u8: torch.tensor([0, 255], { dtype: 'uint8' }),
      b: torch.tensor([true, false, true]),
      scalar: torch.scalarTensor(3, { dtype: 'int64' }),
      empty: torch.zeros([0, 3]),
      view: torch.arange(12, { dtype: 'float32' }).reshape([3, 4]).transpose(0, 1), // non-contiguous
    };
    torch.save(sd, f('all.safetensors'), { metadata: { format: 'pt' } });
    const back = torch.load(f('all.safetensors'));
    expect(Object.keys(back)).toEqual(Object.keys(sd));
    for (const [k, t] of Object.entries(sd)) {
      expect(back[k].dtype, k).toBe(t.dtype);
      expect(back[k].shape, k).toEqual(t.shape);
      expect(values(back[k]), k).toEqual(values(t));
    }
    expect(torch.loadMetadata(f('all.safetensors'))).toEqual({ format: 'pt' });
    // layout: u64 LE header length, multiple of 8, space padding, contiguous offsets
    const buf = readFileSync(f('all.safetensors'));
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString());
    expect(header.f32).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header.bf16.dtype).toBe('BF16');
    expect(header.b.dtype).toBe('BOOL');
    expect(header.i64.dtype).toBe('I64');
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const ends = Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .map(([, v]) => (v as { data_offsets: number[] }).data_offsets);
    for (let i = 1; i < ends.length; i++) expect(ends[i][0]).toBe(ends[i - 1][1]);
    expect(8 + n + ends[ends.length - 1][1]).toBe(buf.length);
    // f32 bytes are little-endian IEEE
    expect(buf.readFloatLE(8 + n)).toBe(1.5);
  });
  it('saves a model state dict that loads back into a fresh model', () => {
    const a = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
    torch.noGrad(() => a.forward(torch.randn([2, 1, 5, 5]))); // moves running stats
    torch.save(a.stateDict(), f('model.safetensors'));
    const b = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
    b.loadStateDict(torch.load(f('model.safetensors')));
    for (const [k, v] of Object.entries(a.stateDict())) expect(values(b.stateDict()[k]), k).toEqual(values(v));
  });
  it('writes atomically: no temp file left, an existing file is replaced whole', () => {
    torch.save({ a: torch.ones([3]) }, f('atomic.safetensors'));
    torch.save({ a: torch.zeros([5]) }, f('atomic.safetensors'));
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
    expect(torch.load(f('atomic.safetensors')).a.shape).toEqual([5]);
    // a failing save (directory missing) leaves nothing behind and names the path
    expect(() => torch.save({ a: torch.ones([1]) }, f('nope/x.safetensors'))).toThrow(/cannot write '.*nope\/x\.safetensors'/);
    expect(() => torch.save({ a: 3 as never }, f('bad.safetensors'))).toThrow(/'a' is not a Tensor/);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp') || n === 'bad.safetensors')).toEqual([]);
  });
});

describe('load errors name the file and the problem', () => {
  it('missing file', () => {
    expect(() => torch.load(f('missing.safetensors'))).toThrow(/no such file '.*missing\.safetensors'/);
  });
  it('truncated file (header length, header, data)', () => {
    torch.save({ w: torch.ones([64]) }, f('ok.safetensors'));
    const good = readFileSync(f('ok.safetensors'));
    writeFileSync(f('t1.safetensors'), good.subarray(0, 5));
    expect(() => torch.load(f('t1.safetensors'))).toThrow(/t1\.safetensors.*truncated file: 5 bytes/);
    writeFileSync(f('t2.safetensors'), good.subarray(0, 20));
    expect(() => torch.load(f('t2.safetensors'))).toThrow(/t2\.safetensors.*truncated file: the header needs/);
    writeFileSync(f('t3.safetensors'), good.subarray(0, good.length - 10));
    expect(() => torch.load(f('t3.safetensors'))).toThrow(/t3\.safetensors.*'w': data_offsets \[0, 256\] out of range.*truncated/);
  });
  it('bad header JSON, absurd header length, unknown dtype, bad offsets, overlaps', () => {
    writeFileSync(f('j.safetensors'), craft(null, new Uint8Array(0), '{"w": {"dtype": "F32", '));
    expect(() => torch.load(f('j.safetensors'))).toThrow(/j\.safetensors.*not valid JSON/);
    const big = Buffer.alloc(16);
    big.writeBigUInt64LE(2n ** 60n);
    writeFileSync(f('big.safetensors'), big);
    expect(() => torch.load(f('big.safetensors'))).toThrow(/larger than the 100 MB limit/);
    writeFileSync(f('dt.safetensors'), craft({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)));
    expect(() => torch.load(f('dt.safetensors'))).toThrow(/dt\.safetensors.*'w' has dtype 'F8_E4M3'/);
    writeFileSync(f('off.safetensors'), craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 12] } }, new Uint8Array(12)));
    expect(() => torch.load(f('off.safetensors'))).toThrow(/off\.safetensors.*'w': 12 bytes for shape \[2\] of F32 \(expected 8\)/);
    writeFileSync(f('neg.safetensors'), craft({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)));
    expect(() => torch.load(f('neg.safetensors'))).toThrow(/out of range/);
    writeFileSync(
      f('ov.safetensors'),
      craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
    );
    expect(() => torch.load(f('ov.safetensors'))).toThrow(/overlap/);
    writeFileSync(f('arr.safetensors'), craft([1, 2]));
    expect(() => torch.load(f('arr.safetensors'))).toThrow(/not a JSON object/);
    const before = settledLiveTensors();
    expect(() => torch.load(f('ov.safetensors'))).toThrow();
    expect(torch.memory().liveTensors).toBe(before); // tensors of a failed load are freed
  });
});
