// Runs a sweep's points as child processes of the torchmix launcher (`train`, then `attack` when the
// spec has attack settings), --jobs at a time with the threads divided among them. Resumable by
// rerunning: a finished point is skipped, an interrupted one continued from its checkpoint (--resume).
// Ctrl-C is forwarded to the running points (they write checkpoints), then the sweep exits with 130.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { IO } from '../cli/io.js';
import { UsageError } from '../cli/args.js';
import type { Sweep, SweepPoint } from './spec.js';
import { trainState, readResults, readRobustness, robustnessMatches, isFinished, type TrainState } from './state.js';

/** The `torchmix` launcher (scripts/torchmix.mjs): two levels up from lib/sweep and from dist/sweep. */
export const LAUNCHER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'torchmix.mjs');
/** The config file the sweep writes into each run folder: the point's settings (base + point + grid). */
export const POINT_CONFIG = 'sweep-point.json';
export const TRAIN_LOG = 'train.log';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';
export interface RunOptions {
  jobs: number;
  /** Threads for the whole sweep (default os.availableParallelism()). */
  threads?: number;
  progress: ProgressMode;
  io: IO;
  /** Seconds between the status lines while points run (lines mode; default 60). */
  heartbeatSeconds?: number;
}

export interface Plan {
  point: SweepPoint;
  train: TrainState;
  /** Whether `torchmix attack` runs after training (spec has attack settings; robustness.json missing or different). */
  attack: boolean;
}
export interface Outcome {
  name: string;
  status: 'skipped' | 'done' | 'failed' | 'interrupted';
  seconds: number;
  error?: string;
}

/** Threads per point: the total divided among the jobs, unless the spec sets threads itself. */
export function threadsPerPoint(sweep: Sweep, opts: { jobs: number; threads?: number }): number | undefined {
  if (sweep.points.some((p) => p.settings.threads !== undefined)) return undefined;
  const total = opts.threads ?? os.availableParallelism();
  return Math.max(1, Math.floor(total / opts.jobs));
}

export function planPoint(sweep: Sweep, p: SweepPoint): Plan {
  const train = trainState(p);
  const attack = sweep.attack !== undefined && !(train === 'finished' && robustnessMatches(readRobustness(p.dir), sweep.attack));
  return { point: p, train, attack };
}

export function trainArgs(p: SweepPoint, threads: number | undefined, resume: boolean): string[] {
  return [
    'train',
    '--config',
    path.join(p.dir, POINT_CONFIG),
    '--out',
    p.dir,
    '--progress',
    'none',
    ...(threads !== undefined ? ['--threads', String(threads)] : []),
    ...(resume ? ['--resume'] : []),
  ];
}

export function attackArgs(sweep: Sweep, p: SweepPoint, threads: number | undefined): string[] {
  const a = sweep.attack!;
  const t = threads ?? p.config.threads;
  return [
    'attack',
    '--checkpoint',
    p.dir,
    '--attack',
    a.attack.join(','),
    '--eps',
    a.eps.map(String).join(','),
    ...(a.steps !== undefined ? ['--steps', String(a.steps)] : []),
    ...(a.stepSize !== undefined ? ['--step-size', String(a.stepSize)] : []),
    ...(a.limit !== undefined ? ['--limit', String(a.limit)] : []),
    ...(a.split !== undefined ? ['--split', a.split] : []),
    ...(t !== undefined ? ['--threads', String(t)] : []),
  ];
}

/** A command line as a shell would take it (for --dry-run and the logs). */
export function commandLine(args: string[]): string {
  const q = (s: string) => (/^[\w./=,:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['torchmix', ...args].map(q).join(' ');
}

/** The last lines of a point's log, for the failure report. */
export function logTail(dir: string, lines = 8): string {
  try {
    const t = fs.readFileSync(path.join(dir, TRAIN_LOG), 'utf8').trimEnd().split('\n');
    return t.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const fmtDuration = (s: number) => {
  if (!Number.isFinite(s)) return '…';
  s = Math.round(s);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
};

/** The last epoch record a run's log.jsonl holds (read from its tail), 0 before the first. */
export function epochsLogged(dir: string): number {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(dir, 'log.jsonl'), 'r');
    const size = fs.fstatSync(fd).size;
    const n = Math.min(size, 1 << 16);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, size - n);
    const m = [...buf.toString('utf8').matchAll(/"type":"epoch","epoch":(\d+)/g)];
    return m.length ? Number(m[m.length - 1][1]) : 0;
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

interface Running {
  dir: string;
  epochs: number;
  t0: number;
  /** Epochs the run had when this session started it (a resumed run's earlier ones). */
  from: number;
  /** Epochs logged so far (refreshed by tick). */
  at: number;
}

/** Progress over the whole grid on stderr: a cli-progress bar on a TTY, else one line per event and a
 *  status line every heartbeat while points run. ETA: the mean duration of the points finished in this
 *  session (before the first finishes: the running points' pace per epoch) × the work left / jobs. */
class SweepProgress {
  done = 0;
  failed = 0;
  readonly running = new Map<string, Running>();
  private durations: number[] = [];
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastBeat = Date.now();
  constructor(
    private total: number,
    private jobs: number,
    private mode: 'bar' | 'lines' | 'none',
    private io: IO,
    private heartbeatMs: number,
  ) {
    if (mode === 'bar') {
      this.multi = new cliProgress.MultiBar(
        {
          format: 'sweep {bar} {value}/{total} points | running {runningText} | failed {failed} | eta {etaText}',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multi.create(total, 0, this.payload());
    }
    if (mode !== 'none') {
      this.timer = setInterval(() => this.tick(), Math.min(mode === 'bar' ? 2000 : 5000, heartbeatMs));
      this.timer.unref();
    }
  }
  eta(): number {
    const left = this.total - this.done;
    if (left <= 0) return 0;
    let per: number;
    if (this.durations.length) per = this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
    else {
      const now = Date.now();
      const paces = [...this.running.values()].filter((r) => r.at > r.from).map((r) => ((now - r.t0) / 1000 / (r.at - r.from)) * r.epochs);
      if (!paces.length) return NaN;
      per = paces.reduce((a, b) => a + b, 0) / paces.length;
    }
    let work = (left - this.running.size) * per;
    for (const r of this.running.values()) work += per * Math.max(0, 1 - r.at / r.epochs);
    return work / Math.min(this.jobs, left);
  }
  private runningText() {
    return [...this.running.entries()].map(([n, r]) => `${n} (epoch ${r.at}/${r.epochs})`).join(', ');
  }
  private payload() {
    // The bar's line stays short: how many, and their epochs.
    const epochs = [...this.running.values()].map((r) => `${r.at}/${r.epochs}`).join(', ');
    return { runningText: this.running.size ? `${this.running.size} (epochs ${epochs})` : '0', failed: this.failed, etaText: fmtDuration(this.eta()) };
  }
  private status() {
    return `${this.done}/${this.total} done, ${this.running.size} running, ${this.failed} failed, eta ${fmtDuration(this.eta())}`;
  }
  tick() {
    for (const r of this.running.values()) r.at = Math.max(r.at, epochsLogged(r.dir));
    this.bar?.update(this.done, this.payload());
    if (this.mode === 'lines' && this.running.size && Date.now() - this.lastBeat >= this.heartbeatMs) {
      this.lastBeat = Date.now();
      this.log(`sweep: running ${this.runningText()} | ${this.status()}`);
    }
  }
  log(line: string) {
    if (this.mode === 'none') return;
    if (this.multi) this.multi.log(line + '\n');
    else this.io.err(line + '\n');
  }
  skip(n: number) {
    this.done += n;
    this.bar?.update(this.done, this.payload());
  }
  start(name: string, dir: string, epochs: number, what: string) {
    const at = epochsLogged(dir);
    this.running.set(name, { dir, epochs, t0: Date.now(), from: at, at });
    this.log(`sweep: start ${name} (${what})`);
    this.bar?.update(this.done, this.payload());
  }
  end(name: string, o: Outcome, detail: string, counts: boolean) {
    this.running.delete(name);
    if (o.status === 'failed') this.failed++;
    if (o.status !== 'interrupted') this.done++;
    if (counts && o.status === 'done') this.durations.push(o.seconds);
    this.log(`sweep: ${o.status === 'done' ? 'finished' : o.status} ${name} in ${fmtDuration(o.seconds)}${detail ? ` (${detail})` : ''} | ${this.status()}`);
    this.bar?.update(this.done, this.payload());
  }
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.multi?.stop();
    this.multi = null;
  }
}

const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : '–');

/** Runs every point that is not finished; returns the outcomes (skipped ones included) and whether Ctrl-C stopped the sweep. */
export async function runSweep(sweep: Sweep, opts: RunOptions): Promise<{ outcomes: Outcome[]; interrupted: boolean }> {
  const unlock = lockSweep(sweep.out);
  try {
    return await runLocked(sweep, opts);
  } finally {
    unlock();
  }
}

/** SWEEP/sweep.lock holds the pid of the sweep running there: a second one on the same folder is refused. */
export const LOCK_FILE = 'sweep.lock';
function lockSweep(out: string): () => void {
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      let alive: boolean;
      try {
        alive = Number.isInteger(pid) && pid > 0 && process.kill(pid, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw new UsageError(`${out}: another torchmix sweep (pid ${pid}) is running in this folder (${file}); wait for it or stop it first`);
      fs.rmSync(file, { force: true }); // left by a sweep that is gone
    }
  }
  throw new UsageError(`${out}: cannot take ${file}`);
}

async function runLocked(sweep: Sweep, opts: RunOptions): Promise<{ outcomes: Outcome[]; interrupted: boolean }> {
  const { io } = opts;
  const threads = threadsPerPoint(sweep, opts);
  const plans = sweep.points.map((p) => planPoint(sweep, p));
  const todo = plans.filter((pl) => pl.train !== 'finished' || pl.attack);
  const skipped = plans.length - todo.length;
  const mode = opts.progress === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : opts.progress;
  const jobs = Math.max(1, Math.min(opts.jobs, todo.length || 1));
  io.err(
    `sweep ${sweep.name}: ${plans.length} point${plans.length === 1 ? '' : 's'} in ${sweep.out}; ${skipped} finished (skipped), ` +
      `${todo.filter((t) => t.train === 'resume').length} to resume, ${todo.filter((t) => t.train === 'start').length} to start` +
      `${sweep.attack ? `, ${todo.filter((t) => t.attack).length} to attack` : ''}; ${jobs} at a time${threads !== undefined ? `, ${threads} thread${threads === 1 ? '' : 's'} each` : ''}\n`,
  );
  const progress = new SweepProgress(plans.length, jobs, mode, io, 1000 * (opts.heartbeatSeconds ?? 60));
  progress.skip(skipped);
  const outcomes: Outcome[] = plans.filter((pl) => !todo.includes(pl)).map((pl) => ({ name: pl.point.name, status: 'skipped', seconds: 0 }));

  const children = new Set<ChildProcess>();
  let interrupted = false;
  let sigints = 0;
  const onSigint = () => {
    interrupted = true;
    sigints++;
    progress.log(
      sigints === 1
        ? `sweep: interrupted: stopping ${children.size} running point(s); they write checkpoints (Ctrl-C again to stop them at once)`
        : 'sweep: interrupted again: stopping the points now',
    );
    // The children run in their own process groups (detached), so this is the only SIGINT they get.
    for (const c of children) c.kill('SIGINT');
  };
  // Ctrl-C, and a terminal closed or a kill: the points stop at a checkpoint either way.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSigint);
  // Should this process die some other way, the (detached) points are not left running.
  const onExit = () => {
    for (const c of children) c.kill('SIGINT');
  };
  process.on('exit', onExit);

  const launch = (p: SweepPoint, args: string[]): Promise<number> => {
    const log = path.join(p.dir, TRAIN_LOG);
    fs.appendFileSync(log, `# ${new Date().toISOString()} ${commandLine(args)}\n`);
    const fd = fs.openSync(log, 'a');
    return new Promise<number>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(process.execPath, [LAUNCHER, ...args], { stdio: ['ignore', fd, fd], env: process.env, detached: true });
      } catch (e) {
        fs.appendFileSync(log, `sweep: cannot start the command: ${(e as Error).message}\n`);
        resolve(-1);
        return;
      } finally {
        fs.closeSync(fd);
      }
      children.add(child);
      child.on('error', (e) => fs.appendFileSync(log, `sweep: cannot start the command: ${e.message}\n`));
      child.on('close', (code, signal) => {
        children.delete(child);
        resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
      });
    });
  };

  const work = async (pl: Plan): Promise<Outcome> => {
    const p = pl.point;
    const t0 = Date.now();
    const seconds = () => (Date.now() - t0) / 1000;
    fs.mkdirSync(p.dir, { recursive: true });
    fs.writeFileSync(path.join(p.dir, POINT_CONFIG), JSON.stringify(p.settings, null, 2) + '\n');
    progress.start(
      p.name,
      p.dir,
      p.config.epochs,
      [pl.train !== 'finished' ? (pl.train === 'resume' ? 'resume' : 'train') : '', pl.attack ? 'attack' : ''].filter(Boolean).join(' + '),
    );
    if (pl.train !== 'finished') {
      const code = await launch(p, trainArgs(p, threads, pl.train === 'resume'));
      if (interrupted) return { name: p.name, status: 'interrupted', seconds: seconds() };
      if (code !== 0) return { name: p.name, status: 'failed', seconds: seconds(), error: `train exited with code ${code}:\n${logTail(p.dir)}` };
      if (!isFinished(readResults(p.dir), p.config.epochs))
        return { name: p.name, status: 'failed', seconds: seconds(), error: `train ended without a complete results.json:\n${logTail(p.dir)}` };
    }
    if (pl.attack) {
      const code = await launch(p, attackArgs(sweep, p, threads));
      if (interrupted) return { name: p.name, status: 'interrupted', seconds: seconds() };
      if (code !== 0) return { name: p.name, status: 'failed', seconds: seconds(), error: `attack exited with code ${code}:\n${logTail(p.dir)}` };
      if (!robustnessMatches(readRobustness(p.dir), sweep.attack!))
        return { name: p.name, status: 'failed', seconds: seconds(), error: `attack ended without the spec's results in robustness.json:\n${logTail(p.dir)}` };
    }
    return { name: p.name, status: 'done', seconds: seconds() };
  };

  try {
    let next = 0;
    const worker = async () => {
      while (!interrupted && next < todo.length) {
        const pl = todo[next++];
        const o = await work(pl);
        outcomes.push(o);
        const r = o.status === 'done' ? readResults(pl.point.dir) : undefined;
        const metric = sweep.metric;
        const eps = r?.history.epochs ?? [];
        const best = eps.reduce<number | undefined>((b, e) => (typeof e[metric] === 'number' && (b === undefined || e[metric] > b) ? e[metric] : b), undefined);
        progress.end(pl.point.name, o, r ? `best ${pct(best)}, last ${pct(eps[eps.length - 1]?.[metric])}` : '', pl.train !== 'finished');
        if (o.error) progress.log(`sweep: ${pl.point.name} failed: ${o.error.replace(/\n/g, '\n    ')}`);
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    for (const sig of signals) process.off(sig, onSigint);
    process.off('exit', onExit);
    progress.stop();
  }
  // Points never started keep the order of the spec in the outcomes list.
  const order = new Map(sweep.points.map((p, i) => [p.name, i]));
  outcomes.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return { outcomes, interrupted };
}
