// Extra data streams (the Trainer's `loaders` option, e.g. { unlabeled }): one batch of each per
// step, in step with the train loader. A stream is cycled: it continues across the train loader's
// epochs and starts its own next epoch (a new shuffle) when it runs out. Its position (the loader
// epoch of the current pass, batches taken) is checkpointed, so resume is exact mid-pass.
import * as torch from '../torch/index.js';
import type { Batch, DataLoader } from '../data/loader.js';

/** One extra stream (options.loaders): cycled, its position checkpointed. */
export class Stream {
  private it?: Iterator<Batch>;
  constructor(
    readonly name: string,
    readonly loader: DataLoader,
    public pos: { epoch: number; step: number },
  ) {}
  /** Replays a checkpointed position (the loader's epoch, then `step` batches skipped). */
  restore(): void {
    this.loader.setEpoch(this.pos.epoch);
    this.it = this.loader[Symbol.iterator]();
    for (let i = 0; i < this.pos.step; i++) torch.tidy(() => void this.it!.next());
  }
  next(): Batch {
    let n = this.it?.next();
    if (!n || n.done) {
      this.pos = { epoch: this.loader.epoch, step: 0 };
      this.it = this.loader[Symbol.iterator]();
      n = this.it.next();
      if (n.done) throw new torch.TorchValueError(`Trainer: the loader '${this.name}' yields no batch`);
    }
    this.pos.step++;
    return n.value;
  }
  close(): void {
    this.it?.return?.();
  }
}
