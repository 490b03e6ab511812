// Trainer checkpoints: a pair of files, written atomically.
//
//   checkpoint.safetensors  every tensor: model/<key>, optimizer/<param index>/<buffer>, method/<key>,
//                           plugin/<name>/<key>, rng (the CPU generator state), lossSum (a partial
//                           epoch's loss sum);
//                           "__metadata__": { torchmix_checkpoint: <id> }
//   checkpoint.json         everything else (CheckpointMeta), with the same id and the tensor file's name.
//
// Both are written to a temporary name, fsync-ed and renamed; the tensors first, the JSON last. A
// reader starts from the JSON and requires the tensor file to carry the JSON's id, so a pair torn by
// a crash between the two renames (new tensors, old JSON) is reported as incomplete, never loaded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { writeFileAtomic as writeAtomic } from '../torch/serialize.js';

type Tensor = torch.Tensor;

export const CHECKPOINT_FORMAT = 'torchmix-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** Errors about checkpoints (missing, incomplete, corrupt, not matching the model). */
export class CheckpointError extends torch.TorchError {}

/** One epoch of history (see Trainer). Defined here so checkpoints can carry it. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's samples (the method's loss, e.g. on mixed targets). */
  trainLoss: number;
  /** Learning rate of param group 0 at the start of the epoch. */
  lr: number;
  /** Wall-clock seconds of the epoch's training phase (validation excluded). */
  seconds: number;
  /** Training samples per second in that phase. */
  imagesPerSecond: number;
  valLoss?: number;
  valAcc?: number;
  valEce?: number;
  /** The method's per-epoch statistics (AdaMixup: alphaMean, deltaMean, lamMean, lamHist, discAcc, intrusionLoss). */
  method?: Record<string, unknown>;
  /** Plug-ins' scores of the validation set, `${key}ValLoss` / `${key}ValAcc` / `${key}ValEce` (EMA: emaValAcc …). */
  [metric: string]: number | Record<string, unknown> | undefined;
}

/** checkpoint.json. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Random id, also in the tensor file's metadata: the pair belongs together. */
  id: string;
  /** The tensor file's name, relative to the JSON's directory. */
  tensors: string;
  created: string;
  /** Completed epochs. */
  epoch: number;
  /** Steps already taken in epoch `epoch + 1` (0 at an epoch boundary). */
  step: number;
  /** For a partial epoch: training seconds and samples so far, and the epoch's starting lr. */
  partial?: { seconds: number; samples: number; lr: number };
  /** The train loader's epoch to use for the next (or the partial) epoch. */
  loaderEpoch: number;
  loaderSeed: number;
  /** Batches per epoch of the train loader when written. */
  batchesPerEpoch: number;
  totalEpochs: number;
  numClasses: number;
  /** Global iteration count (steps since the start of training). */
  iteration: number;
  model: { keys: string[] };
  optimizer: {
    paramGroups: (Record<string, unknown> & { params: number[] })[];
    /** Per parameter index: its numbers (step) and the names of its tensors (optimizer/<index>/<name>). */
    state: Record<string, { values: Record<string, number>; tensors: string[] }>;
  };
  scheduler?: unknown;
  /** keys: the state-dict keys of method.module (tensors method/<key>), for methods with parameters. */
  method?: { name: string; options: unknown; state?: unknown; keys?: string[] };
  history: EpochRecord[];
  /** Extra data streams (Trainer option loaders): each one's loader epoch of its current pass and the batches taken from it. */
  streams?: Record<string, { epoch: number; step: number }>;
  /** Plug-ins' state by name: JSON values, and the keys of their tensors (plugin/<name>/<key>). */
  plugins?: Record<string, { values?: unknown; keys: string[] }>;
  config?: Record<string, unknown>;
  libtorch?: string;
}

/** Resolves what a user may call a checkpoint: its .json, its .safetensors, or the directory holding checkpoint.json. */
export function checkpointJsonPath(p: string): string {
  if (typeof p !== 'string' || p === '') throw new torch.TorchTypeError('checkpoint path must be a non-empty string');
  let st: fs.Stats | null;
  try {
    st = fs.statSync(p);
  } catch {
    st = null;
  }
  if (st?.isDirectory()) return path.join(p, 'checkpoint.json');
  if (p.endsWith('.safetensors')) return p.slice(0, -'.safetensors'.length) + '.json';
  return p;
}

/** writeFileAtomic from lib/torch/serialize, with failures reported as CheckpointError. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  try {
    writeAtomic(file, data);
  } catch (e) {
    throw new CheckpointError(`cannot write '${file}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Writes a checkpoint pair: tensors next to `jsonPath` (same stem, .safetensors), then the JSON. */
export function writeCheckpoint(
  jsonPath: string,
  tensors: Record<string, Tensor>,
  meta: Omit<CheckpointMeta, 'id' | 'tensors' | 'format' | 'version' | 'created'>,
): CheckpointMeta {
  const stem = jsonPath.endsWith('.json') ? jsonPath.slice(0, -5) : jsonPath;
  const tensorPath = stem + '.safetensors';
  const id = randomBytes(8).toString('hex');
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    id,
    tensors: path.basename(tensorPath),
    created: new Date().toISOString(),
    ...meta,
  };
  const text = JSON.stringify(full, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1);
  torch.save(tensors, tensorPath, { metadata: { torchmix_checkpoint: id } });
  writeFileAtomic(jsonPath, text + '\n');
  return full;
}

const NUM_STRINGS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** Reads and validates a checkpoint pair; the tensors are on the CPU (the caller disposes them). */
export function readCheckpoint(p: string): { meta: CheckpointMeta; tensors: Record<string, Tensor>; jsonPath: string; tensorPath: string } {
  const jsonPath = checkpointJsonPath(p);
  const bad = (m: string) => new CheckpointError(`checkpoint '${jsonPath}': ${m}`);
  if (!fs.existsSync(jsonPath)) {
    const st = jsonPath.slice(0, -5) + '.safetensors';
    throw new CheckpointError(
      fs.existsSync(st) && jsonPath.endsWith('.json')
        ? `checkpoint '${jsonPath}' does not exist (only '${st}': an incomplete checkpoint, the JSON is written last)`
        : `checkpoint '${p}' does not exist`,
    );
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(fs.readFileSync(jsonPath, 'utf8'), (k, v) => (typeof v === 'string' && v in NUM_STRINGS && k !== '' ? NUM_STRINGS[v] : v));
  } catch (e) {
    throw bad(`not valid JSON (${e instanceof Error ? e.message : String(e)}); corrupt checkpoint`);
  }
  if (meta === null || typeof meta !== 'object' || meta.format !== CHECKPOINT_FORMAT)
    throw bad(`not a torchmix checkpoint (format '${String((meta as { format?: unknown })?.format)}')`);
  if (meta.version !== CHECKPOINT_VERSION) throw bad(`version ${String(meta.version)} is not supported (this torchmix reads version ${CHECKPOINT_VERSION})`);
  for (const k of ['epoch', 'step', 'loaderEpoch', 'totalEpochs', 'numClasses', 'iteration'] as const)
    if (!Number.isSafeInteger(meta[k]) || meta[k] < 0) throw bad(`field '${k}' is missing or invalid; corrupt checkpoint`);
  if (
    typeof meta.tensors !== 'string' ||
    typeof meta.id !== 'string' ||
    !Array.isArray(meta.history) ||
    !meta.model ||
    !Array.isArray(meta.model.keys) ||
    !meta.optimizer
  )
    throw bad('missing fields; corrupt checkpoint');
  const tensorPath = path.join(path.dirname(jsonPath), meta.tensors);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(tensorPath);
  } catch {
    throw bad(`its tensor file '${tensorPath}' is missing`);
  }
  let fileId: unknown;
  try {
    const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
    fileId = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'))?.__metadata__?.torchmix_checkpoint;
  } catch {
    throw bad(`its tensor file '${tensorPath}' is not a valid safetensors file; corrupt checkpoint`);
  }
  if (fileId !== meta.id)
    throw bad(
      `its tensor file '${tensorPath}' belongs to a different checkpoint (id ${String(fileId)}, expected ${meta.id}): an incomplete write; corrupt checkpoint`,
    );
  let tensors: Record<string, Tensor>;
  try {
    tensors = torch.fromSafetensors(buf, `'${tensorPath}'`);
  } catch (e) {
    throw bad(`${e instanceof Error ? e.message : String(e)}; corrupt checkpoint`);
  }
  const missing = meta.model.keys.filter((k) => !(`model/${k}` in tensors));
  if (missing.length) {
    torch.dispose(tensors);
    throw bad(`tensors missing for model keys ${missing.slice(0, 5).join(', ')}; corrupt checkpoint`);
  }
  return { meta, tensors, jsonPath, tensorPath };
}

/** Checks that the checkpoint's model tensors fit `model` exactly (names and shapes); throws otherwise. */
export function checkModelFits(model: Module, tensors: Record<string, Tensor>, where: string): void {
  const sd = torch.tidy(() => model.stateDict());
  try {
    const want = Object.keys(sd);
    const have = Object.keys(tensors)
      .filter((k) => k.startsWith('model/'))
      .map((k) => k.slice(6));
    const missing = want.filter((k) => !have.includes(k));
    const extra = have.filter((k) => !(k in sd));
    if (missing.length || extra.length)
      throw new CheckpointError(
        `${where}: the checkpoint does not match the model (${missing.length ? `missing ${missing.slice(0, 5).join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unexpected ${extra.slice(0, 5).join(', ')}` : ''})`,
      );
    for (const k of want) {
      const a = sd[k].shape,
        b = tensors[`model/${k}`].shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i]))
        throw new CheckpointError(`${where}: '${k}' has shape [${b.join(', ')}] in the checkpoint, [${a.join(', ')}] in the model`);
    }
  } finally {
    torch.dispose(sd);
  }
}

/** Loads a checkpoint's model weights into `model` (e.g. for `torchmix eval --checkpoint`); returns its metadata. */
export function loadModelWeights(model: Module, checkpoint: string): CheckpointMeta {
  const { meta, tensors } = readCheckpoint(checkpoint);
  try {
    checkModelFits(model, tensors, `checkpoint '${checkpoint}'`);
    const sd: Record<string, Tensor> = {};
    for (const k of meta.model.keys) sd[k] = tensors[`model/${k}`];
    model.loadStateDict(sd);
  } finally {
    torch.dispose(tensors);
  }
  return meta;
}
