// torch.distributed's default process group: rendezvous through a TCPStore (rank 0 serves it, or
// every rank connects to torchrun's agent store), Gloo for CPU tensors or NCCL for CUDA tensors
// (where the addon was built with it: isNcclAvailable()), and the collectives, with
// PyTorch's names. Every call that waits on other ranks returns a Promise: the waiting happens on a
// native worker thread (native/dist.cc), so timers, I/O and signals keep running meanwhile.
// Collectives are issued in call order, which must be the same on every rank (as in PyTorch).
import { N } from '../torch/native.js';
import { Tensor } from '../torch/tensor.js';
import { TorchError, TorchNotImplementedError, TorchTypeError, TorchValueError } from '../torch/errors.js';

export type Backend = 'gloo' | 'nccl';

/** Reduction of allReduce (PyTorch's ReduceOp). AVG needs a floating-point tensor. */
export const ReduceOp = { SUM: 'sum', AVG: 'avg', PRODUCT: 'product', MIN: 'min', MAX: 'max' } as const;
export type ReduceOp = (typeof ReduceOp)[keyof typeof ReduceOp];
// c10d::ReduceOp::RedOpType codes (the same in 1.13 and 2.x).
const OP_CODES: Record<ReduceOp, number> = { sum: 0, avg: 1, product: 2, min: 3, max: 4 };

export interface InitOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors, one GPU per rank; where isNcclAvailable()). */
  backend: Backend;
  /** 'env://' (default: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE as torchrun sets them) or 'tcp://host:port'. */
  initMethod?: string;
  /** This process's rank (default: RANK with env://; required with tcp://). */
  rank?: number;
  /** Number of processes (default: WORLD_SIZE with env://; required with tcp://). */
  worldSize?: number;
  /** Milliseconds to wait for the other ranks, at the rendezvous and in every collective (default 300 000, the TCPStore's default). */
  timeout?: number;
}

interface State {
  g: unknown; // the native group (an External)
  rank: number;
  worldSize: number;
  backend: Backend;
}

let state: State | null = null;
let pending = false;
const verr = (m: string) => new TorchValueError(m);
const notInit = (what: string) => verr(`${what}: the default process group has not been initialized; call torch.distributed.initProcessGroup() first`);

function group(what: string): State {
  if (!state) throw notInit(what);
  return state;
}

function intArg(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw verr(`initProcessGroup: ${what} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

function envInt(name: string): number {
  const s = process.env[name];
  if (s === undefined || s === '')
    throw verr(
      `initProcessGroup: env:// needs the environment variable ${name} (torchrun sets MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE), or pass it as an option`,
    );
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw verr(`initProcessGroup: environment variable ${name} must be a non-negative integer, got '${s}'`);
  return n;
}

/** Where the store is and who this rank is, from the options and torchrun's environment. */
function resolve(opts: InitOptions): { host: string; port: number; rank: number; worldSize: number; isServer: boolean } {
  const method = opts.initMethod ?? 'env://';
  if (typeof method !== 'string') throw new TorchTypeError(`initProcessGroup: initMethod must be a string, got ${typeof method}`);
  let host: string;
  let port: number;
  let rank = opts.rank;
  let worldSize = opts.worldSize;
  if (method === 'env://') {
    host = process.env.MASTER_ADDR ?? '';
    if (host === '')
      throw verr('initProcessGroup: env:// needs the environment variable MASTER_ADDR (torchrun sets MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE)');
    port = envInt('MASTER_PORT');
    rank ??= envInt('RANK');
    worldSize ??= envInt('WORLD_SIZE');
  } else {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(method);
    if (!m) throw verr(`initProcessGroup: initMethod must be 'env://' or 'tcp://host:port', got '${method}'`);
    host = m[1].replace(/^\[|\]$/g, '');
    port = Number(m[2]);
    if (rank === undefined || worldSize === undefined) throw verr(`initProcessGroup: initMethod '${method}' needs rank and worldSize`);
  }
  if (!(port >= 1 && port <= 65535)) throw verr(`initProcessGroup: the store's port must be in 1..65535, got ${port}`);
  worldSize = intArg(worldSize, 'worldSize', 1);
  rank = intArg(rank, 'rank', 0);
  if (rank >= worldSize) throw verr(`initProcessGroup: rank must be in [0, ${worldSize}) for worldSize ${worldSize}, got ${rank}`);
  // Under torchrun's agent store every rank, rank 0 included, connects as a client.
  const agentStore = (process.env.TORCHELASTIC_USE_AGENT_STORE ?? '').toLowerCase() === 'true';
  return { host, port, rank, worldSize, isServer: rank === 0 && !agentStore };
}

/** Joins the default process group: resolves once every rank has joined, rejects (naming the missing ranks) after `timeout`. */
export async function initProcessGroup(opts: InitOptions): Promise<void> {
  if (opts === null || typeof opts !== 'object')
    throw new TorchTypeError('initProcessGroup: expected an options object { backend, initMethod?, rank?, worldSize?, timeout? }');
  if (state || pending) throw verr('initProcessGroup: the default process group is already initialized (call destroyProcessGroup() first)');
  const backend = opts.backend;
  if (backend !== 'gloo' && backend !== 'nccl') throw verr(`initProcessGroup: backend must be 'gloo' or 'nccl', got ${JSON.stringify(backend)}`);
  const avail = N.distAvailable() as { gloo: boolean; nccl: boolean };
  if (backend === 'nccl' && !avail.nccl)
    throw new TorchNotImplementedError(
      "initProcessGroup: backend 'nccl' is not built into this addon (it needs a CUDA LibTorch and the CUDA/NCCL headers at build time; see torchmix doctor). For CPU tensors use 'gloo'",
    );
  if (backend === 'nccl' && (N.cudaDeviceCount() as number) === 0)
    throw verr(
      "initProcessGroup: backend 'nccl' needs a CUDA device per rank and this machine has none (torch.cuda.deviceCount() is 0); use 'gloo' for CPU tensors",
    );
  if (!avail.gloo)
    throw new TorchNotImplementedError('initProcessGroup: this addon was built without Gloo (install libgloo-dev, e.g. bash scripts/setup.sh, and rebuild)');
  const timeout = opts.timeout ?? 300_000;
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 1)
    throw verr(`initProcessGroup: timeout must be a positive integer (milliseconds), got ${String(timeout)}`);
  const r = resolve(opts);
  pending = true;
  try {
    const g = await N.distInit(r.host, r.port, r.rank, r.worldSize, r.isServer, timeout, backend);
    state = { g, rank: r.rank, worldSize: r.worldSize, backend };
  } finally {
    pending = false;
  }
}

/** @internal The native group, for lib/nn/parallel's reducer. */
export function _nativeGroup(what: string): unknown {
  return group(what).g;
}

export function isInitialized(): boolean {
  return state !== null;
}
/** Which backends this addon was built with. */
export function isGlooAvailable(): boolean {
  return (N.distAvailable() as { gloo: boolean }).gloo;
}
export function isNcclAvailable(): boolean {
  return (N.distAvailable() as { nccl: boolean }).nccl;
}
export function getRank(): number {
  return group('getRank()').rank;
}
export function getWorldSize(): number {
  return group('getWorldSize()').worldSize;
}
export function getBackend(): Backend {
  return group('getBackend()').backend;
}
/** LOCAL_RANK as torchrun sets it (this process's index on its machine); `fallbackRank` when unset. */
export function getNodeLocalRank(fallbackRank?: number): number {
  const s = process.env.LOCAL_RANK;
  if (s !== undefined && s !== '') {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw verr(`getNodeLocalRank(): LOCAL_RANK must be a non-negative integer, got '${s}'`);
    return n;
  }
  if (fallbackRank !== undefined) return fallbackRank;
  throw verr('getNodeLocalRank(): LOCAL_RANK is not set (torchrun sets it) and no fallbackRank was given');
}

/** Whether the backend takes tensors on this device: Gloo CPU ones, NCCL CUDA ones. */
export function backendTakes(backend: Backend, device: string): boolean {
  return backend === 'nccl' ? device.startsWith('cuda') : device === 'cpu';
}

/** A tensor a collective can use: live, on the backend's device (CPU for Gloo, CUDA for NCCL), dense and contiguous. */
function commTensor(t: unknown, what: string, backend: Backend): Tensor {
  if (!(t instanceof Tensor)) throw new TorchTypeError(`${what}: expected a Tensor`);
  if (t.isDisposed) throw new TorchError(`${what}: tensor was disposed`);
  if (!backendTakes(backend, t.device))
    throw verr(`${what}: the '${backend}' backend takes ${backend === 'nccl' ? 'CUDA' : 'CPU'} tensors, got one on ${t.device}`);
  if (!t.isContiguous()) throw verr(`${what}: the tensor must be contiguous (call .contiguous() and copy the result back)`);
  return t;
}

/** Native issue-time errors (e.g. an unsupported dtype) named after the call, same class. */
function issue<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TorchError && !e.message.startsWith(what)) e.message = `${what}: ${e.message}`;
    throw e;
  }
}

/** Reduces `tensor` across all ranks, in place (every rank ends with the result). */
export async function allReduce(tensor: Tensor, opts: { op?: ReduceOp } = {}): Promise<void> {
  const s = group('allReduce()');
  const t = commTensor(tensor, 'allReduce(tensor)', s.backend);
  const op = opts.op ?? 'sum';
  if (typeof op !== 'string' || !Object.hasOwn(OP_CODES, op))
    throw verr(`allReduce(): op must be one of ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, got ${JSON.stringify(op)}`);
  if (op === 'avg' && !['float32', 'float64', 'float16', 'bfloat16'].includes(t.dtype))
    throw verr(`allReduce(): ReduceOp.AVG needs a floating-point tensor, got ${t.dtype}`);
  // 1.13's Gloo has no AVG: SUM, then ÷ worldSize on the worker thread.
  const divide = op === 'avg' && avgBySum();
  const code = divide ? OP_CODES.sum : OP_CODES[op];
  await issue('allReduce()', () => N.distAllReduce(s.g, t._id, code, divide));
}

let _avgBySum: boolean | undefined;
function avgBySum(): boolean {
  return (_avgBySum ??= Number(String((N.config() as { version: string }).version).split('.')[0]) < 2);
}

/** Copies rank `src`'s tensor into `tensor` on every other rank. */
export async function broadcast(tensor: Tensor, opts: { src: number }): Promise<void> {
  const s = group('broadcast()');
  const t = commTensor(tensor, 'broadcast(tensor)', s.backend);
  const src = opts?.src;
  if (!Number.isSafeInteger(src) || src < 0 || src >= s.worldSize) throw verr(`broadcast(): src must be a rank in [0, ${s.worldSize}), got ${String(src)}`);
  await issue('broadcast()', () => N.distBroadcast(s.g, t._id, src));
}

/** Fills tensorList[r] with rank r's `tensor` (tensorList: worldSize tensors of tensor's shape and dtype). */
export async function allGather(tensorList: Tensor[], tensor: Tensor): Promise<void> {
  const s = group('allGather()');
  const t = commTensor(tensor, 'allGather(tensor)', s.backend);
  if (!Array.isArray(tensorList) || tensorList.length !== s.worldSize)
    throw verr(
      `allGather(): tensorList must hold worldSize = ${s.worldSize} tensors, got ${Array.isArray(tensorList) ? tensorList.length : typeof tensorList}`,
    );
  const shape = t.shape.join(', ');
  tensorList.forEach((o, i) => {
    commTensor(o, `allGather(tensorList[${i}])`, s.backend);
    if (o.dtype !== t.dtype || o.shape.join(', ') !== shape)
      throw verr(`allGather(): tensorList[${i}] must have tensor's shape [${shape}] and dtype ${t.dtype}, got [${o.shape.join(', ')}] ${o.dtype}`);
  });
  await issue('allGather()', () =>
    N.distAllGather(
      s.g,
      tensorList.map((o) => o._id),
      t._id,
    ),
  );
}

/** Resolves when every rank has reached it. */
export async function barrier(): Promise<void> {
  const s = group('barrier()');
  await issue('barrier()', () => N.distBarrier(s.g));
}

/** Leaves the default process group (rank 0 stops serving the store); initProcessGroup may be called again. */
export async function destroyProcessGroup(): Promise<void> {
  const s = group('destroyProcessGroup()');
  state = null;
  await N.distDestroy(s.g);
}
