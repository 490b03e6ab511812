// torch.save / torch.load: state dicts as safetensors files (https://github.com/huggingface/safetensors),
// readable and writable by Python's `safetensors.torch.save_file / load_file`.
//
// Format: 8 bytes little-endian u64 N, then N bytes of JSON header, then the data. The header maps
// each tensor name to { dtype: 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL',
// shape: [...], data_offsets: [begin, end] } (byte offsets relative to the start of the data,
// little-endian, row-major), plus an optional "__metadata__" object of string → string.
// This writer pads the header with spaces to a multiple of 8 bytes (so the data is aligned, as
// the reference writer does) and lays the tensors out contiguously in the given order.
//
// Writes are atomic: the file is written to a temporary name in the same directory, fsync-ed and
// renamed over the target (a crash leaves either the old file or the new one, never half of one).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { N } from './native.js';
import { TorchError, TorchTypeError, TorchValueError } from './errors.js';
import { Tensor, wrap } from './tensor.js';
import { dtypeCode, checkDevice, type DType, type Device } from './types.js';

const ST_OF: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};
const DTYPE_OF: Record<string, DType> = Object.fromEntries(Object.entries(ST_OF).map(([k, v]) => [v, k as DType]));
const ITEMSIZE: Record<DType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, uint8: 1, bool: 1 };
/** Python's safetensors refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;

export interface SaveOptions {
  /** String → string pairs stored under "__metadata__". */
  metadata?: Record<string, string>;
}

/** Serialises name → tensor to the safetensors bytes (header + data). */
export function toSafetensors(tensors: Record<string, Tensor> | Map<string, Tensor>, opts?: SaveOptions): Uint8Array[] {
  if (tensors === null || typeof tensors !== 'object') throw new TorchTypeError('save(): expected a record or Map of name → Tensor');
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (opts?.metadata !== undefined) {
    for (const [k, v] of Object.entries(opts.metadata))
      if (typeof v !== 'string') throw new TorchTypeError(`save(): metadata values must be strings ('${k}' is ${typeof v})`);
    header.__metadata__ = opts.metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new TorchValueError("save(): '__metadata__' is reserved and can't be a tensor name");
    if (!(t instanceof Tensor)) throw new TorchTypeError(`save(): '${name}' is not a Tensor`);
    const bytes: Uint8Array = N.toBytes(t._id);
    header[name] = { dtype: ST_OF[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  let hbytes = Buffer.from(json, 'utf8');
  const pad = (8 - (hbytes.byteLength % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    hbytes = Buffer.from(json, 'utf8');
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hbytes.byteLength));
  return [len, hbytes, ...chunks];
}

/**
 * Saves a state dict (name → Tensor) as a safetensors file, atomically (temp file in the same
 * directory, fsync, rename). Tensors on a GPU are copied to the CPU for writing.
 */
export function save(tensors: Record<string, Tensor> | Map<string, Tensor>, file: string, opts?: SaveOptions): void {
  if (typeof file !== 'string' || file === '') throw new TorchTypeError('save(stateDict, path): path must be a non-empty string');
  const parts = toSafetensors(tensors, opts);
  try {
    writeFileAtomic(file, parts);
  } catch (e) {
    throw new TorchError(`save(): cannot write '${file}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Writes data to file atomically: a temp file in the same directory, fsync, rename, then a
 * best-effort fsync of the directory. A reader sees the old file or the new one, never half of
 * one. Throws the underlying error (the temp file is removed).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const tmp = path.join(dir, `.${path.basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const parts = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    for (const p of parts) {
      let off = 0;
      while (off < p.byteLength) off += fs.writeSync(fd, p, off, p.byteLength - off);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, abs);
  } catch (e) {
    if (fd !== null)
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw e;
  }
  try {
    const d = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch {
    /* not every platform can fsync a directory */
  }
}

/** Parses safetensors bytes into name → Tensor (CPU, or `device`). `what` names the source in errors. */
export function fromSafetensors(buf: Uint8Array, what = 'safetensors data', opts?: { device?: Device }): Record<string, Tensor> {
  const bad = (msg: string) => new TorchValueError(`load(): ${what}: ${msg}`);
  if (buf.byteLength < 8) throw bad(`truncated file: ${buf.byteLength} bytes, too short for the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw bad(`header length ${n64} is larger than the 100 MB limit (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > buf.byteLength) throw bad(`truncated file: the header needs ${8 + n} bytes, the file has ${buf.byteLength}`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, n).toString('utf8'));
  } catch (e) {
    throw bad(`the header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const device = checkDevice(opts?.device, 'load(device)');
  const out: Record<string, Tensor> = {};
  const spans: [number, number, string][] = [];
  try {
    for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      if (info === null || typeof info !== 'object') throw bad(`entry '${name}' is not an object`);
      const { dtype: st, shape, data_offsets: offs } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof st !== 'string') throw bad(`entry '${name}' has no dtype`);
      const dtype = DTYPE_OF[st];
      if (dtype === undefined)
        throw bad(`tensor '${name}' has dtype '${st}', which torchmix does not support (supported: ${Object.keys(DTYPE_OF).join(', ')})`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
        throw bad(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0))
        throw bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)}`);
      const [b, e] = offs as [number, number];
      if (b > e || e > dataLen)
        throw bad(`tensor '${name}': data_offsets [${b}, ${e}] out of range (the data section has ${dataLen} bytes${e > dataLen ? '; truncated file?' : ''})`);
      const numel = (shape as number[]).reduce((a, d) => a * d, 1);
      if (e - b !== numel * ITEMSIZE[dtype])
        throw bad(`tensor '${name}': ${e - b} bytes for shape [${shape.join(', ')}] of ${st} (expected ${numel * ITEMSIZE[dtype]})`);
      spans.push([b, e, name]);
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset + dataStart + b, e - b);
      let t = wrap(N.fromBytes(bytes, shape, dtypeCode[dtype]));
      if (device !== undefined && device !== 'cpu') t = t.to(device);
      out[name] = t;
    }
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++)
      if (spans[i][0] < spans[i - 1][1]) throw bad(`tensors '${spans[i - 1][2]}' and '${spans[i][2]}' overlap in the data section`);
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

/** The "__metadata__" of a safetensors file (or {}). */
export function loadMetadata(file: string): Record<string, string> {
  const buf = readFile(file);
  if (buf.byteLength < 8) return {};
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  try {
    const h = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, Math.min(n, buf.byteLength - 8)).toString('utf8'));
    return (h && h.__metadata__) || {};
  } catch {
    return {};
  }
}

function readFile(file: string): Buffer {
  if (typeof file !== 'string' || file === '') throw new TorchTypeError('load(path): path must be a non-empty string');
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TorchError(`load(): no such file '${file}'`);
    if (code === 'EISDIR') throw new TorchError(`load(): '${file}' is a directory, not a safetensors file`);
    throw new TorchError(`load(): cannot read '${file}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Loads a safetensors file into name → Tensor (on the CPU unless { device }). Errors name the file. */
export function load(file: string, opts?: { device?: Device }): Record<string, Tensor> {
  return fromSafetensors(readFile(file), `'${file}'`, opts);
}
