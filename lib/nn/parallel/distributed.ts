// nn.parallel.DistributedDataParallel: PyTorch's DDP over the default process group (Gloo, CPU).
//
//   await torch.distributed.initProcessGroup({ backend: 'gloo' });
//   const ddp = await nn.parallel.DistributedDataParallel.create(model, { bucketCapMb: 25 });
//   const loss = lossFn(ddp.forward(x), y);    // forward prepares the gradient hooks
//   loss.backward();                           // buckets are all-reduced as backward fills them
//   await ddp.synchronize();                   // waits for the averages (off the JS thread); then
//   optimizer.step();                          // every rank holds the same averaged gradients
//
// create() checks that every rank has the same parameters, then broadcasts rank 0's parameters
// and buffers (it is async: the broadcast waits on the other ranks). Gradients of the parameters
// that require them are averaged in buckets of bucketCapMb (the first one capped at 1 MB, in
// reverse parameter order, as PyTorch), each launched from the parameters' gradient-accumulator
// post-hooks as soon as its last gradient is produced, so communication overlaps the rest of
// backward (native/dist.cc). Where PyTorch differs: its wait is inside backward (an autograd
// engine callback); here backward stays synchronous and the wait is `await ddp.synchronize()`,
// which the Trainer's distributed plug-in calls between backward and the optimizer step.
// Buffers (BatchNorm's running statistics) are rank 0's in every forward (PyTorch's
// broadcast_buffers=True): broadcast at create() and at the end of every synchronize(), the last
// point before the next forward, since a forward cannot wait. SyncBatchNorm is not provided.
import * as torch from '../../torch/index.js';
import { N } from '../../torch/native.js';
import { Module } from '../module.js';
import { _nativeGroup, allGather, backendTakes, broadcast, getBackend, getWorldSize, isInitialized } from '../../distributed/process-group.js';

type Tensor = torch.Tensor;

export interface DistributedDataParallelOptions {
  /** Bucket size in MiB (default 25, PyTorch's bucket_cap_mb); the first bucket is capped at 1 MiB as in PyTorch. */
  bucketCapMb?: number;
  /** Rank 0's buffers before every forward (default true, PyTorch's broadcast_buffers). */
  broadcastBuffers?: boolean;
  /** Allow parameters that get no gradient in an iteration (default false, as PyTorch): their buckets are reduced with zeros; one more small all-reduce per step. */
  findUnusedParameters?: boolean;
}

const verr = (m: string) => new torch.TorchValueError(`DistributedDataParallel: ${m}`);
const MB = 1024 * 1024;
const BYTES: Record<string, number> = { float64: 8, int64: 8, float32: 4, int32: 4, float16: 2, bfloat16: 2, int16: 2, uint8: 1, int8: 1, bool: 1 };

/** Buckets of parameter indices: reverse order, one dtype per bucket, closed once ≥ the cap (1 MiB for the first). */
export function bucketAssignment(params: readonly Tensor[], capBytes: number, firstCapBytes = Math.min(MB, capBytes)): number[][] {
  const open = new Map<string, { idx: number[]; bytes: number }>();
  const out: number[][] = [];
  for (let i = params.length - 1; i >= 0; i--) {
    const p = params[i];
    const b = open.get(p.dtype) ?? { idx: [], bytes: 0 };
    open.set(p.dtype, b);
    b.idx.push(i);
    b.bytes += p.numel() * (BYTES[p.dtype] ?? 4);
    if (b.bytes >= (out.length === 0 ? firstCapBytes : capBytes)) {
      out.push(b.idx);
      open.delete(p.dtype);
    }
  }
  for (const b of open.values()) out.push(b.idx);
  return out;
}

/** A cheap signature of the parameter list (count, total size, shapes hash) to compare across ranks. */
function signature(named: [string, Tensor][]): bigint[] {
  let h = 2166136261;
  const text = named.map(([n, t]) => `${n}:${t.shape.join('x')}:${t.dtype}`).join(';');
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return [BigInt(named.length), BigInt(named.reduce((a, [, t]) => a + t.numel(), 0)), BigInt(h)];
}

export class DistributedDataParallel<M extends Module = Module> extends Module {
  /** The wrapped module (its state dict is the model's; the wrapper's has the 'module.' prefix, as PyTorch). */
  declare readonly module: M;
  /** @internal */ declare _reducer: unknown;
  /** @internal */ declare _buffersToSync: Tensor[];
  /** @internal */ declare _sync: boolean;
  /** @internal */ declare _pending: boolean;
  declare readonly bucketCapMb: number;
  declare readonly broadcastBuffers: boolean;
  declare readonly findUnusedParameters: boolean;
  /** Parameter indices (into the module's parameters that require grad) per bucket, in launch order. */
  declare readonly buckets: readonly (readonly number[])[];

  private constructor(module: M, reducer: unknown, buckets: number[][], o: Required<DistributedDataParallelOptions>) {
    super();
    this.module = module;
    this._reducer = reducer;
    this._sync = true;
    this._pending = false;
    this._buffersToSync = o.broadcastBuffers ? module.buffers() : [];
    this.bucketCapMb = o.bucketCapMb;
    this.broadcastBuffers = o.broadcastBuffers;
    this.findUnusedParameters = o.findUnusedParameters;
    this.buckets = buckets;
  }

  /** Wraps `module` (after torch.distributed.initProcessGroup): checks it matches on every rank, broadcasts rank 0's parameters and buffers. */
  static async create<M extends Module>(module: M, opts: DistributedDataParallelOptions = {}): Promise<DistributedDataParallel<M>> {
    if (!(module instanceof Module)) throw new torch.TorchTypeError('DistributedDataParallel.create(module): expected an nn.Module');
    if (opts === null || typeof opts !== 'object') throw new torch.TorchTypeError('DistributedDataParallel.create(module, opts): opts must be an object');
    for (const k of Object.keys(opts))
      if (!['bucketCapMb', 'broadcastBuffers', 'findUnusedParameters'].includes(k))
        throw verr(`unknown option '${k}' (bucketCapMb, broadcastBuffers, findUnusedParameters)`);
    if (!isInitialized())
      throw verr(
        'the default process group has not been initialized; call await torch.distributed.initProcessGroup({ backend: "gloo" }) before wrapping the model',
      );
    const o: Required<DistributedDataParallelOptions> = { bucketCapMb: 25, broadcastBuffers: true, findUnusedParameters: false, ...opts };
    if (typeof o.bucketCapMb !== 'number' || !(o.bucketCapMb > 0) || !Number.isFinite(o.bucketCapMb))
      throw verr(`bucketCapMb must be a positive number, got ${String(o.bucketCapMb)}`);
    if (typeof o.broadcastBuffers !== 'boolean') throw verr('broadcastBuffers must be a boolean');
    if (typeof o.findUnusedParameters !== 'boolean') throw verr('findUnusedParameters must be a boolean');
    if (module instanceof DistributedDataParallel) throw verr('the module is already a DistributedDataParallel');
    const named = module.namedParameters();
    const state = [...named, ...module.namedBuffers()];
    const backend = getBackend();
    const device = named[0]?.[1].device ?? 'cpu';
    for (const [n, t] of state) {
      if (!backendTakes(backend, t.device))
        throw verr(
          backend === 'nccl'
            ? `'${n}' is on ${t.device}; the 'nccl' backend takes CUDA tensors (move the model to this rank's GPU, cuda:LOCAL_RANK)`
            : `'${n}' is on ${t.device}; the 'gloo' backend takes CPU tensors (move the model to the CPU, or use 'nccl' where it is built)`,
        );
      if (t.device !== device) throw verr(`'${n}' is on ${t.device} but the first parameter is on ${device}; DDP needs the whole module on one device`);
      if (!t.isContiguous()) throw verr(`'${n}' is not contiguous`);
    }
    const trainable = named.filter(([, p]) => p.requiresGrad);
    if (trainable.length === 0)
      throw verr(
        `none of the module's ${named.length} parameters requires a gradient: there is nothing to average (DDP is not needed; PyTorch refuses this too)`,
      );
    // Every rank must wrap the same model: compare a signature before any broadcast of mismatched tensors.
    const R = getWorldSize();
    const sig = torch.tensor(BigInt64Array.from(signature(named)), { device });
    const all = Array.from({ length: R }, () => torch.zeros([3], { dtype: 'int64', device }));
    await allGather(all, sig);
    const sigs = all.map((t) => Array.from(t.toArray() as BigInt64Array).join(','));
    torch.dispose([sig, all]);
    const bad = sigs.findIndex((x) => x !== sigs[0]);
    if (bad >= 0) throw verr(`rank ${bad}'s module differs from rank 0's (parameter count, sizes or names); every rank must wrap the same architecture`);
    await Promise.all(state.map(([, t]) => broadcast(t, { src: 0 })));
    const params = trainable.map(([, p]) => p);
    const buckets = bucketAssignment(params, o.bucketCapMb * MB);
    const reducer = N.ddpReducer(
      _nativeGroup('DistributedDataParallel'),
      params.map((p) => p._id),
      trainable.map(([n]) => n),
      buckets,
      o.findUnusedParameters,
    );
    return new DistributedDataParallel(module, reducer, buckets, o);
  }

  /** module.forward(...args), after preparing this iteration's gradient reduction (with gradients enabled, outside noSync). */
  forward(...args: unknown[]): unknown {
    this.prepareForBackward();
    return (this.module.forward as (...a: unknown[]) => unknown)(...args);
  }

  /**
   * What forward does before running the module: arms the gradient hooks for the next backward.
   * For loops that run the wrapped module directly (the Trainer: its methods need the model's own
   * API — stages, forwardFeatures, freshCopy); a no-op under noSync or with gradients disabled.
   */
  prepareForBackward(): void {
    if (!this._sync || !torch.isGradEnabled()) return;
    if (this._pending) throw verr('forward called while synchronize() is pending; await it first');
    if (!N.ddpPrepare(this._reducer))
      throw verr('a backward produced gradients that were not synchronized: call await ddp.synchronize() after each backward, before the next forward');
  }

  /**
   * Waits for this iteration's gradient averages (the buckets backward did not launch are launched
   * now), then broadcasts rank 0's buffers. Resolves when every rank's parameters hold the same
   * averaged gradients; the event loop runs meanwhile. A peer that died or never calls it makes it
   * reject within the process group's timeout. Without a prepared backward (noSync) only the
   * buffers are broadcast. Every rank must call it the same number of times.
   */
  async synchronize(): Promise<void> {
    if (this._pending) throw verr('synchronize() is already pending');
    this._pending = true;
    try {
      await N.ddpSynchronize(this._reducer);
      if (this._buffersToSync.length) await Promise.all(this._buffersToSync.map((b) => broadcast(b, { src: 0 })));
    } finally {
      this._pending = false;
    }
  }

  /**
   * Runs fn without gradient synchronization (PyTorch's no_sync()): its forwards prepare nothing,
   * its backwards accumulate gradients locally; the first synchronized backward after it averages
   * the accumulated sums. fn may be async (the mode lasts until its Promise settles).
   */
  noSync<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new torch.TorchTypeError('DistributedDataParallel.noSync(fn): fn must be a function');
    const prev = this._sync;
    this._sync = false;
    let r: T;
    try {
      r = fn();
    } catch (e) {
      this._sync = prev;
      throw e;
    }
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function')
      return (r as unknown as Promise<unknown>).finally(() => (this._sync = prev)) as T;
    this._sync = prev;
    return r;
  }

  extraRepr(): string {
    return `bucketCapMb=${this.bucketCapMb}, buckets=${this.buckets.length}, broadcastBuffers=${this.broadcastBuffers}`;
  }
}
