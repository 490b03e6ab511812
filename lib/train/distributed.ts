// Data-parallel training with the Trainer: plugins: [await train.plugins.distributed({ model, method })].
//
// After torch.distributed.initProcessGroup, on every rank: the model (and a method's own trainable
// module, AdaMixup's) is wrapped in nn.parallel.DistributedDataParallel — rank 0's weights are
// broadcast — and every step's gradients are averaged across ranks between backward and the
// optimizer step (the Trainer awaits the plug-in's syncGradients there; clipping, EMA and the
// divergence guard then see the averaged gradients). What the plug-in also does:
// - the epoch's train loss is the mean over every rank's samples, img/s is the sum of the ranks';
//   the method's numeric epoch statistics are the ranks' mean; validation runs on the full val loader
//   on every rank (the weights are equal, so the metrics are exact, and no padding of a sharded set
//   counts samples twice);
// - a Ctrl-C (an interrupt request) on any rank stops every rank at the same step: the requests are
//   agreed on (an all-reduce MAX) every step and at every epoch end;
// - each rank's mixing RNG is its own stream (seed it with seed + rank, as timm/torchvision scripts
//   do); the checkpoint holds every rank's RNG state, and resume gives each rank its own back.
// Only rank 0 writes: give the Trainer outDir on rank 0 only, and resume: <checkpoint> on every rank
// (setup refuses outDir on another rank). The train loader takes a data.DistributedSampler; the
// batch size is per rank (as torchrun scripts: the global batch is worldSize × batchSize).
import * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { DistributedDataParallel, type DistributedDataParallelOptions } from '../nn/parallel/distributed.js';
import { allGather, allReduce, getRank, getWorldSize, isInitialized, ReduceOp } from '../distributed/process-group.js';
import type { Plugin, PluginState, TrainState } from './events.js';
import type { AnyMethod } from './step.js';

export interface DistributedPlugin extends Plugin {
  /** The wrapped modules: the model's, then the method's own (when it trains one). */
  readonly ddp: readonly DistributedDataParallel[];
}

const verr = (m: string) => new torch.TorchValueError(`train.plugins.distributed: ${m}`);

/** Wraps the model (and method.module) in DDP — every rank must call it — and returns the plug-in. */
export async function distributed(opts: { model: Module; method?: AnyMethod } & DistributedDataParallelOptions): Promise<DistributedPlugin> {
  if (opts === null || typeof opts !== 'object') throw new torch.TorchTypeError('train.plugins.distributed(opts): expected { model, method?, bucketCapMb? … }');
  if (!isInitialized()) throw verr('call await torch.distributed.initProcessGroup(...) first');
  const { model, method, ...ddpOpts } = opts;
  const ddp = [await DistributedDataParallel.create(model, ddpOpts)];
  const own = method?.module;
  // A method's own module may hold parts its loss never reaches (AdaMixup's policy generator is a copy
  // of the model whose head it does not use): findUnusedParameters there.
  if (own && own.parameters().some((p) => p.requiresGrad)) ddp.push(await DistributedDataParallel.create(own, { ...ddpOpts, findUnusedParameters: true }));
  const rank = getRank();
  const R = getWorldSize();
  // Where the collectives' own tensors live: the model's device (CPU with Gloo, this rank's GPU with NCCL).
  const device = model.parameters()[0]?.device ?? 'cpu';
  let local = false; // this rank's interrupt request
  let agreed = false; // what every rank acts on
  let rngs: torch.Tensor | undefined; // [R, L] every rank's RNG state at the last agreement
  let restore: torch.Tensor | undefined; // this rank's, from the checkpoint

  // The collectives below free their tensors also when a peer is gone (the error then ends the run).
  const agree = async (): Promise<void> => {
    const t = torch.tensor(Float32Array.from([local ? 1 : 0]), { device });
    try {
      await allReduce(t, { op: ReduceOp.MAX });
      agreed = (t.item() as number) > 0;
    } finally {
      t.dispose();
    }
  };
  const gatherRng = async (): Promise<void> => {
    const mine = torch.tidy(() => torch.keep(torch.getRngState().to(device)));
    const all = Array.from({ length: R }, () => torch.zeros([mine.shape[0]], { dtype: 'uint8', device }));
    try {
      await allGather(all, mine);
      rngs?.dispose();
      rngs = torch.tidy(() => torch.keep(torch.stack(all, 0).to('cpu')));
    } finally {
      torch.dispose([mine, all]);
    }
  };
  /** Sums `values` over the ranks (float64, one all-reduce). */
  const sumOverRanks = async (values: number[]): Promise<number[]> => {
    const t = torch.tensor(Float64Array.from(values), { device });
    try {
      await allReduce(t, { op: ReduceOp.SUM });
      return Array.from(t.toArray() as Float64Array);
    } finally {
      t.dispose();
    }
  };

  return {
    name: 'distributed',
    ddp,
    setup(trainer) {
      if (trainer.model !== model) throw verr('the Trainer trains another model than the one given to the plug-in');
      if (rank !== 0 && trainer.outDir !== undefined)
        throw verr(`rank ${rank}: only rank 0 writes; give the Trainer outDir on rank 0 only (and resume: <its checkpoint> on every rank)`);
    },
    fitStart(s: TrainState) {
      local = agreed = s.interrupt;
      // The loop reads the agreed request; the interrupt plug-in's writes are this rank's request.
      Object.defineProperty(s, 'interrupt', { get: () => agreed, set: (v: boolean) => void (local = v), configurable: true, enumerable: true });
      if (restore) {
        torch.setRngState(restore);
        restore.dispose();
        restore = undefined;
      }
    },
    beforeBackward() {
      for (const d of ddp) d.prepareForBackward();
    },
    async syncGradients() {
      for (const d of ddp) await d.synchronize();
      const was = agreed;
      await agree();
      if (agreed && !was) await gatherRng(); // the interruption's checkpoint comes next
    },
    async reduceEpoch(s, rec) {
      // The method's numeric epoch statistics (SSL's two losses, AdaMixup's λ mean …) are per-step
      // means over as many steps on every rank: their mean over the ranks, in the same all-reduce.
      const stats = Object.entries(rec.method ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number');
      const [sum, n, ...statSums] = await sumOverRanks([rec.trainLoss * s.samples, s.samples, ...stats.map(([, v]) => v)]);
      rec.trainLoss = sum / n;
      rec.imagesPerSecond = n / rec.seconds;
      stats.forEach(([k], i) => (rec.method![k] = statSums[i] / R));
      await agree();
      await gatherRng();
    },
    state(): PluginState {
      return rngs ? { tensors: { rng: rngs }, values: { worldSize: R } } : { values: { worldSize: R } };
    },
    loadState(st) {
      const all = st?.tensors?.rng;
      const ws = (st?.values as { worldSize?: number } | undefined)?.worldSize;
      if (!all) return;
      if (ws !== R || all.shape[0] !== R) {
        process.emitWarning(`train.plugins.distributed: the checkpoint was written by ${ws} ranks, this run has ${R}: each rank keeps rank 0's RNG state`);
        return;
      }
      restore = torch.tidy(() => torch.keep(all.select(0, rank).clone()));
    },
  };
}
