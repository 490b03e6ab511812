// Everything a checkpoint holds, to and from a Trainer: model, optimizer, scheduler, the method's
// module and state, the loaders' positions, the CPU RNG state, the history and every plug-in's
// state. Core, not a plug-in: every part of the Trainer contributes to it, and resume must restore
// all of it before any plug-in runs. (When to write one is the checkpointer plug-in's business.)
import * as torch from '../torch/index.js';
import type { ParamState } from '../optim/optimizers.js';
import { CheckpointError, readCheckpoint, writeCheckpoint, checkModelFits, type CheckpointMeta, type EpochRecord } from './checkpoint.js';
import type { Trainer } from './trainer.js';

type Tensor = torch.Tensor;

/** A position in training: what a checkpoint records besides the weights. */
export interface Position {
  /** Completed epochs. */
  epoch: number;
  /** Steps done in epoch `epoch + 1`. */
  step: number;
  iteration: number;
  /** The train loader's epoch for the next (or the partial) epoch. */
  loaderEpoch: number;
  /** A partial epoch's seconds, samples and starting lr. */
  partial?: { seconds: number; samples: number; lr: number };
  /** A partial epoch's loss sum (float64, on the device). */
  lossSum?: Tensor;
  /** Extra streams: the loader epoch of the current pass and the batches taken from it. */
  streams: Record<string, { epoch: number; step: number }>;
  history: EpochRecord[];
}

/** Writes a checkpoint pair of the trainer at `pos` to `jsonPath`. */
export function saveCheckpoint(t: Trainer, pos: Position, jsonPath: string): void {
  torch.tidy(() => {
    const tensors: Record<string, Tensor> = {};
    const sd = t.model.stateDict();
    const keys = Object.keys(sd);
    for (const k of keys) tensors[`model/${k}`] = sd[k];
    const osd = t.optimizer.stateDict();
    const ostate: CheckpointMeta['optimizer']['state'] = {};
    for (const [idx, s] of Object.entries(osd.state)) {
      const values: Record<string, number> = {};
      const names: string[] = [];
      for (const [name, v] of Object.entries(s)) {
        if (v instanceof torch.Tensor) {
          tensors[`optimizer/${idx}/${name}`] = v;
          names.push(name);
        } else if (typeof v === 'number') values[name] = v;
      }
      ostate[idx] = { values, tensors: names };
    }
    const msd = t.method.module?.stateDict();
    for (const k of Object.keys(msd ?? {})) tensors[`method/${k}`] = msd![k];
    const plugins: NonNullable<CheckpointMeta['plugins']> = {};
    for (const p of t.plugins) {
      if (!p.state) continue;
      const st = p.state();
      const pk = Object.keys(st.tensors ?? {});
      for (const k of pk) tensors[`plugin/${p.name}/${k}`] = st.tensors![k];
      plugins[p.name] = { values: st.values, keys: pk };
    }
    tensors.rng = torch.getRngState();
    if (pos.lossSum) tensors.lossSum = pos.lossSum;
    const m = t.method as { stateDict?: () => unknown };
    writeCheckpoint(jsonPath, tensors, {
      epoch: pos.epoch,
      step: pos.step,
      partial: pos.partial,
      loaderEpoch: pos.loaderEpoch,
      loaderSeed: t.train.seed,
      batchesPerEpoch: t.batchesPerEpoch,
      totalEpochs: t.epochs,
      numClasses: t.numClasses,
      iteration: pos.iteration,
      model: { keys },
      optimizer: { paramGroups: osd.paramGroups, state: ostate },
      scheduler: t.scheduler ? t.scheduler.stateDict() : undefined,
      method: {
        name: t.method.name,
        options: t.method.options,
        state: typeof m.stateDict === 'function' ? m.stateDict() : undefined,
        ...(msd ? { keys: Object.keys(msd) } : {}),
      },
      history: pos.history,
      ...(Object.keys(pos.streams).length ? { streams: pos.streams } : {}),
      ...(Object.keys(plugins).length ? { plugins } : {}),
      config: t.config,
      libtorch: torch.config().version,
    });
  });
}

/** Loads a checkpoint into the trainer (model, optimizer, scheduler, method, loaders, plug-ins, RNG); returns its position. Checks everything before changing anything. */
export function loadCheckpoint(t: Trainer, file: string): Position {
  const { meta, tensors, jsonPath } = readCheckpoint(file);
  const where = `resume from '${jsonPath}'`;
  const bad = (m: string) => new CheckpointError(`${where}: ${m}`);
  const sub = (prefix: string, keys: string[], what: string) => {
    const out: Record<string, Tensor> = {};
    for (const k of keys) {
      const x = tensors[`${prefix}${k}`];
      if (!(x instanceof torch.Tensor)) throw bad(`${what} tensor '${k}' is missing; corrupt checkpoint`);
      out[k] = x;
    }
    return out;
  };
  try {
    checkModelFits(t.model, tensors, where);
    if (meta.numClasses !== t.numClasses) throw bad(`the checkpoint has numClasses ${meta.numClasses}, the trainer ${t.numClasses}`);
    if (meta.epoch > t.epochs || (meta.epoch === t.epochs && meta.step > 0)) throw bad(`the checkpoint is at epoch ${meta.epoch}, past epochs = ${t.epochs}`);
    if (meta.step > 0 && meta.batchesPerEpoch !== t.batchesPerEpoch)
      throw bad(`the checkpoint stopped mid-epoch with ${meta.batchesPerEpoch} batches per epoch; the trainer now has ${t.batchesPerEpoch}`);
    if (meta.step > meta.batchesPerEpoch) throw bad(`step ${meta.step} > ${meta.batchesPerEpoch} batches per epoch; corrupt checkpoint`);
    if ((meta.scheduler !== undefined) !== (t.scheduler !== undefined))
      throw bad(`the checkpoint ${meta.scheduler !== undefined ? 'has' : 'has no'} scheduler state, the trainer ${t.scheduler ? 'has' : 'has no'} scheduler`);
    if (!(tensors.rng instanceof torch.Tensor)) throw bad('no RNG state; corrupt checkpoint');
    if (meta.step > 0 && !(tensors.lossSum instanceof torch.Tensor)) throw bad('a mid-epoch checkpoint without its loss sum; corrupt checkpoint');
    const streams = meta.streams ?? {};
    for (const name of Object.keys(t.loaders))
      if (!streams[name] && (meta.epoch > 0 || meta.step > 0)) throw bad(`the checkpoint has no position of the loader '${name}' (trained without it?)`);
    if ((t.stepsPerEpoch !== undefined) !== 'train' in streams && (meta.epoch > 0 || meta.step > 0))
      throw bad(
        `the checkpoint was trained ${'train' in streams ? 'with' : 'without'} stepsPerEpoch (a cycled train loader), the trainer ${t.stepsPerEpoch !== undefined ? 'has' : 'has no'} stepsPerEpoch`,
      );
    for (const name of Object.keys(streams))
      if (name !== 'train' && !(name in t.loaders)) throw bad(`the checkpoint was trained with a loader '${name}' the trainer does not have`);
    let methodState: Record<string, Tensor> | undefined;
    const mm = t.method.module;
    if (mm) {
      const keys = meta.method?.keys;
      if (meta.method?.name !== t.method.name || !Array.isArray(keys))
        throw bad(`the checkpoint was trained with method '${meta.method?.name ?? '?'}' and holds no '${t.method.name}' state`);
      methodState = sub('method/', keys, 'method');
      const want = torch.tidy(() => Object.keys(mm.stateDict()));
      const miss = want.filter((k) => !(k in methodState!));
      if (miss.length || keys.length !== want.length)
        throw bad(
          `the checkpoint's '${t.method.name}' state does not match (missing ${miss.slice(0, 3).join(', ') || 'none'}; ${keys.length} keys, expected ${want.length})`,
        );
    }
    const state: Record<number, ParamState> = {};
    for (const [idx, s] of Object.entries(meta.optimizer.state ?? {}))
      state[Number(idx)] = { ...(s.values ?? {}), ...sub(`optimizer/${idx}/`, s.tensors ?? [], 'optimizer') };
    const plugins = meta.plugins ?? {};
    const pluginStates = t.plugins
      .filter((p) => p.loadState !== undefined)
      .map((p) => {
        const ps = plugins[p.name];
        return [p, ps ? { values: ps.values, tensors: sub(`plugin/${p.name}/`, ps.keys, `plug-in '${p.name}'`) } : undefined] as const;
      });
    for (const name of Object.keys(plugins))
      if (!t.plugins.some((p) => p.name === name))
        process.emitWarning(`Trainer: the checkpoint holds state of the plug-in '${name}', which this Trainer does not have; ignored`);

    // Checked: now restore.
    const msd: Record<string, Tensor> = {};
    for (const k of meta.model.keys) msd[k] = tensors[`model/${k}`];
    t.model.loadStateDict(msd);
    t.optimizer.loadStateDict({ state, paramGroups: meta.optimizer.paramGroups });
    if (methodState) mm!.loadStateDict(methodState);
    if (t.scheduler) t.scheduler.loadStateDict(meta.scheduler);
    const m = t.method as { loadStateDict?: (s: unknown) => void };
    if (meta.method?.state !== undefined && typeof m.loadStateDict === 'function') m.loadStateDict(meta.method.state);
    for (const [p, st] of pluginStates) p.loadState!(st);
    if (meta.loaderSeed !== t.train.seed)
      process.emitWarning(
        `Trainer: resuming with a train loader seeded ${t.train.seed}; the checkpoint's was ${meta.loaderSeed}: batches will differ from the original run`,
      );
    t.train.setEpoch(meta.loaderEpoch);
    torch.setRngState(tensors.rng);
    const lossSum = meta.step > 0 ? torch.tidy(() => torch.keep(tensors.lossSum.to({ dtype: 'float64', device: t.train.device, copy: true }))) : undefined;
    return {
      epoch: meta.epoch,
      step: meta.step,
      iteration: meta.iteration,
      loaderEpoch: meta.loaderEpoch,
      partial: meta.step > 0 ? meta.partial : undefined,
      lossSum,
      streams: { ...streams },
      history: meta.history,
    };
  } finally {
    torch.dispose(tensors);
  }
}
