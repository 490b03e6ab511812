// Helpers for the trainer tests: a tiny, fast, fully seeded two-moons setup.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { torch, nn, optim, data, mixup, train } from '../../lib/index.js';

export interface Setup {
  model: nn.Module;
  optimizer: optim.SGD;
  scheduler: optim.lrScheduler.StepLR;
  trainLoader: data.DataLoader;
  valLoader: data.DataLoader;
  method: mixup.MixMethod<object>;
  dispose(): void;
}

/**
 * Builds model, optimizer, scheduler, loaders and method after torch.manualSeed(seed). The data and
 * the loader seeds are fixed, so only the weight init depends on `seed`. Dropout and input mixup
 * make the run consume the torch generator (what resume must restore).
 */
export function setup(seed = 0, opts: { n?: number; batchSize?: number; hidden?: number; alpha?: number } = {}): Setup {
  torch.manualSeed(seed);
  const n = opts.n ?? 256;
  const ds = data.moons({ n, noise: 0.1, seed: 11 });
  const vs = data.moons({ n: 128, noise: 0.1, seed: 12 });
  const h = opts.hidden ?? 16;
  const model = nn.models.mlp([2, h, h, 2], { dropout: 0.1 });
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  const trainLoader = new data.DataLoader(ds, { batchSize: opts.batchSize ?? 32, shuffle: true, seed: 3 });
  const valLoader = new data.DataLoader(vs, { batchSize: 50 });
  const method = mixup.input({ alpha: opts.alpha ?? 0.4 });
  return {
    model,
    optimizer,
    scheduler,
    trainLoader,
    valLoader,
    method,
    dispose() {
      optimizer.dispose();
      trainLoader.dispose();
      valLoader.dispose();
      torch.dispose([ds.images, ds.labels, vs.images, vs.labels]);
    },
  };
}

export function trainerFor(s: Setup, o: Partial<train.TrainerOptions> = {}): train.Trainer {
  return new train.Trainer({
    model: s.model,
    optimizer: s.optimizer,
    scheduler: s.scheduler,
    method: s.method,
    train: s.trainLoader,
    val: s.valLoader,
    numClasses: 2,
    epochs: 4,
    progress: 'none',
    ...o,
  });
}

/** name → raw bytes of every parameter and buffer (for bit-identical comparisons). */
export function snapshot(model: nn.Module): Record<string, string> {
  return torch.tidy(() => {
    const out: Record<string, string> = {};
    for (const [k, t] of Object.entries(model.stateDict())) {
      const a = t.toArray() as ArrayLike<number> & { buffer: ArrayBuffer; byteOffset: number; byteLength: number };
      out[k] = Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
    }
    return out;
  });
}

const dirs: string[] = [];
export function tmpDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `torchmix-train-${tag}-`));
  dirs.push(d);
  return d;
}
/** Removes the directories tmpDir() made (call from afterAll). */
export function removeTmpDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function readJsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}
