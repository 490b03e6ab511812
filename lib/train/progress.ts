// Progress output: a cli-progress bar per epoch on a TTY (throughput, loss, eta), or one line per
// epoch. The bar goes to stderr; the per-epoch lines to stdout.
import cliProgress from 'cli-progress';
import type { EpochRecord } from './checkpoint.js';
import type { Plugin } from './events.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface Progress {
  startEpoch(epoch: number, epochs: number, batches: number, done: number): void;
  step(done: number, samplesPerSecond: number, loss?: number): void;
  endEpoch(r: EpochRecord, epochs: number): void;
  message(line: string): void;
  stop(): void;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The one-line summary of an epoch. */
export function formatEpoch(r: EpochRecord, epochs: number): string {
  const w = String(epochs).length;
  const parts = [`epoch ${String(r.epoch).padStart(w)}/${epochs}`, `loss ${r.trainLoss.toFixed(4)}`];
  if (r.valLoss !== undefined) parts.push(`val_loss ${r.valLoss.toFixed(4)}`);
  if (r.valAcc !== undefined) parts.push(`val_acc ${pct(r.valAcc)}`);
  if (r.valEce !== undefined) parts.push(`ece ${r.valEce.toFixed(4)}`);
  if (typeof r.emaValAcc === 'number') parts.push(`ema_val_acc ${pct(r.emaValAcc)}`);
  parts.push(`lr ${r.lr.toPrecision(3)}`, `${r.seconds.toFixed(1)}s`, `${Math.round(r.imagesPerSecond)} img/s`);
  const m = r.method as { alphaMean?: number; deltaMean?: number; discAcc?: number } | undefined;
  if (m && typeof m.alphaMean === 'number' && typeof m.deltaMean === 'number')
    parts.push(
      `λ∈[${m.alphaMean.toFixed(2)}, ${(m.alphaMean + m.deltaMean).toFixed(2)}]${typeof m.discAcc === 'number' ? ` intrusion_acc ${pct(m.discAcc)}` : ''}`,
    );
  return parts.join('  ');
}

class NoProgress implements Progress {
  startEpoch(): void {}
  step(): void {}
  endEpoch(): void {}
  message(): void {}
  stop(): void {}
}

class LineProgress implements Progress {
  constructor(private out: NodeJS.WritableStream = process.stdout) {}
  startEpoch(): void {}
  step(): void {}
  endEpoch(r: EpochRecord, epochs: number): void {
    this.out.write(formatEpoch(r, epochs) + '\n');
  }
  message(line: string): void {
    this.out.write(line + '\n');
  }
  stop(): void {}
}

class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null;
  private loss = '…';

  startEpoch(epoch: number, epochs: number, batches: number, done: number): void {
    this.stop();
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch}/${epochs} {bar} {value}/{total} | loss {loss} | {speed} img/s | eta {eta_formatted}`,
        stream: process.stderr,
        clearOnComplete: true,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, done, { loss: this.loss, speed: '…' });
  }
  step(done: number, samplesPerSecond: number, loss?: number): void {
    if (loss !== undefined) this.loss = loss.toFixed(4);
    this.bar?.update(done, { loss: this.loss, speed: Number.isFinite(samplesPerSecond) ? Math.round(samplesPerSecond) : '…' });
  }
  endEpoch(r: EpochRecord, epochs: number): void {
    this.stop();
    process.stderr.write(formatEpoch(r, epochs) + '\n');
  }
  message(line: string): void {
    this.stop();
    process.stderr.write(line + '\n');
  }
  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}

export function makeProgress(mode: ProgressMode): Progress {
  if (mode === 'auto') mode = process.stderr.isTTY ? 'bar' : 'lines';
  if (mode === 'bar') return new BarProgress();
  if (mode === 'lines') return new LineProgress();
  return new NoProgress();
}

/** The progress output as a plug-in. */
export function progressBar(mode: ProgressMode): Plugin {
  const out = makeProgress(mode);
  return {
    name: 'progress',
    epochStart: (s) => out.startEpoch(s.epoch, s.trainer.epochs, s.batchesPerEpoch, s.step),
    stepEnd: (s) => out.step(s.step, s.samples / s.seconds, s.loss),
    epochEnd: (s) => out.endEpoch(s.record!, s.trainer.epochs),
    message: (_s, line) => out.message(line),
    fitEnd: () => out.stop(),
  };
}
