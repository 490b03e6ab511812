// `torchmix train` data-parallel, end to end on two moons: --nproc 2 (the launcher), the same run
// started by hand with torchrun's variables, a 2-rank run resumed from its epoch-1 checkpoint
// ending equal to the uninterrupted one (weights, optimizer state, metrics), and Ctrl-C on the
// launcher stopping both ranks at the same step with a checkpoint. Every child runs under a hard timeout.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import * as torch from '../../lib/torch/index.js';
import { readCheckpoint } from '../../lib/train/checkpoint.js';
import { freePort, killAll, track } from './launch.js';

afterEach(() => killAll());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-ddp-cli-'));
const COMMON = ['--dataset', 'moons', '--method', 'mixup', '--threads', '1', '--schedule', 'none', '--batch-size', '64', '--progress', 'lines'];

function cli(
  args: string[],
  opts: {
    env?: Record<string, string>;
    onOut?: (s: string, kill: (sig: NodeJS.Signals) => void) => void;
    onSpawn?: (kill: (sig: NodeJS.Signals) => void) => void;
  } = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = track(
      spawn(process.execPath, ['scripts/torchmix.mjs', 'train', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TORCHMIX_CLI: 'source', TORCHMIX_DIST_TIMEOUT: '20000', ...opts.env },
      }),
    );
    opts.onSpawn?.((sig) => c.kill(sig));
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      opts.onOut?.(out, (sig) => c.kill(sig));
    });
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 120_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

const results = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as { config: { nproc?: number }; history: { epochs: Record<string, number>[] } };
const log = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The checkpoint's tensors as plain arrays (model, optimizer, plug-ins' RNG states…). */
function checkpointArrays(dir: string): Record<string, number[]> {
  const { tensors } = readCheckpoint(path.join(dir, 'checkpoint.json'));
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = Array.from(t.to({ dtype: 'float64' }).toArray() as Float64Array);
  torch.dispose(tensors);
  return out;
}

/** A 2-epoch `--nproc 2` run of `method` on two moons (1 thread per rank) into `dir`. */
async function twoRanksOnMoons(method: string, dir: string, extra: string[] = []): Promise<string[]> {
  const port = String(await freePort());
  return ['--dataset', 'moons', '--method', method, ...extra, '--threads', '1', '--epochs', '2', '--nproc', '2', '--master-port', port, '--out', dir];
}

describe('torchmix train on 2 processes (two moons)', () => {
  const full = path.join(tmp, 'full');
  const half = path.join(tmp, 'half');

  it('--nproc 2 trains, only rank 0 writes, and the metrics are the ranks\u2019 mean', async () => {
    const r = await cli([...COMMON, '--epochs', '2', '--nproc', '2', '--master-port', String(await freePort()), '--out', full]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/launching 2 ranks on this machine \(world size 2, node 0 of 1\), 1 thread each/);
    expect(r.err).toMatch(/data-parallel: 2 processes \(DDP over Gloo\), batch 64 per process \(128 in all\)/);
    const res = results(full);
    expect(res.config.nproc).toBe(2);
    expect(res.history.epochs).toHaveLength(2);
    expect(res.history.epochs[1].valAcc).toBeGreaterThan(0.75);
    // One writer: one start line and one line per epoch.
    const l = log(full);
    expect(l.filter((e) => e.type === 'start')).toHaveLength(1);
    expect(l.filter((e) => e.type === 'epoch')).toHaveLength(2);
    // Every rank's RNG state is in the checkpoint, and they differ (seed + rank).
    const ck = checkpointArrays(full);
    const rng = ck['plugin/distributed/rng'];
    expect(rng.length % 2).toBe(0);
    expect(rng.slice(0, rng.length / 2)).not.toEqual(rng.slice(rng.length / 2));
  }, 150_000);

  it('started by hand with torchrun\u2019s variables, then resumed with --nproc 2: ends equal to the uninterrupted run', async () => {
    expect(fs.existsSync(path.join(full, 'results.json')), 'needs the previous test').toBe(true);
    const port = String(await freePort());
    const env = (rank: number) => ({
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      WORLD_SIZE: '2',
      LOCAL_WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: port,
    });
    const byHand = await Promise.all([0, 1].map((rank) => cli([...COMMON, '--epochs', '1', '--out', half], { env: env(rank) })));
    for (const r of byHand) expect(r.code, r.err).toBe(0);
    expect(log(half).filter((e) => e.type === 'epoch')).toHaveLength(1);
    const resumed = await cli(['--resume', '--out', half, '--epochs', '2', '--nproc', '2', '--master-port', String(await freePort())]);
    expect(resumed.code, resumed.err).toBe(0);
    const a = results(full).history.epochs;
    const b = results(half).history.epochs;
    expect(b).toHaveLength(2);
    for (const k of ['trainLoss', 'valLoss', 'valAcc', 'valEce']) expect(b[1][k], k).toBe(a[1][k]);
    const ca = checkpointArrays(full);
    const cb = checkpointArrays(half);
    const keys = Object.keys(ca).filter((k) => k.startsWith('model/') || k.startsWith('optimizer/') || k.startsWith('plugin/'));
    expect(keys.length).toBeGreaterThan(4);
    for (const k of keys) expect(cb[k], k).toEqual(ca[k]);
  }, 200_000);

  it('AdaMixup (a method with trainable parts of its own) trains under --nproc 2', async () => {
    const dir = path.join(tmp, 'adamixup');
    const r = await cli(await twoRanksOnMoons('adamixup', dir));
    expect(r.code, r.err).toBe(0);
    const e = results(dir).history.epochs;
    expect(e).toHaveLength(2);
    expect(e[1].valAcc).toBeGreaterThan(0.7);
  }, 150_000);

  it('MixMatch and ICT (--labels) train under --nproc 2: each rank a share of the unlabeled set', async () => {
    for (const method of ['mixmatch', 'ict']) {
      const dir = path.join(tmp, method);
      const r = await cli(await twoRanksOnMoons(method, dir, ['--labels', '10']));
      expect(r.code, r.err).toBe(0);
      const res = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as {
        split: { labeled: number; unlabeled: number; stepsPerEpoch: number };
        history: { epochs: { trainLoss: number; method: Record<string, number> }[] };
      };
      // 990 unlabeled points: 495 per rank, in batches of 64 (MixMatch) / 100 (ICT's unlabeled batch).
      expect(res.split).toMatchObject({ labeled: 10, unlabeled: 990, stepsPerEpoch: method === 'mixmatch' ? 7 : 4 });
      expect(r.err).toMatch(new RegExp(`${res.split.stepsPerEpoch} steps per epoch`));
      const e = res.history.epochs;
      expect(e).toHaveLength(2);
      for (const x of e) {
        expect(Number.isFinite(x.trainLoss)).toBe(true);
        expect(Number.isFinite(x.method.supLoss) && Number.isFinite(x.method.unsupLoss)).toBe(true);
      }
      // The ramp weight, equal on both ranks, survives the ranks' mean: epoch 2 is steps 7…13 of
      // MixMatch's linear ramp (75 × mean step / 16384).
      if (method === 'mixmatch') expect(e[1].method.weight).toBe((75 * 10) / 16384);
    }
  }, 200_000);

  it('a rank killed mid-run: the other fails at its next collective and exits non-zero within the timeout', async () => {
    const dir = path.join(tmp, 'killed');
    const port = String(await freePort());
    const env = (rank: number) => ({
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: port,
      TORCHMIX_DIST_TIMEOUT: '5000',
    });
    let victim: ((sig: NodeJS.Signals) => void) | undefined;
    let killedAt = 0;
    const r1 = cli([...COMMON, '--epochs', '400', '--out', dir], { env: env(1), onSpawn: (kill) => (victim = kill) });
    const r0 = cli([...COMMON, '--epochs', '400', '--out', dir], {
      env: env(0),
      onOut: (out) => {
        if (!killedAt && /epoch +2\/400/.test(out) && victim) {
          killedAt = Date.now();
          victim('SIGKILL');
        }
      },
    });
    const [a, b] = await Promise.all([r0, r1]);
    expect(killedAt).toBeGreaterThan(0);
    expect(b.code).toBeNull(); // SIGKILL
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/DistributedDataParallel\.synchronize: failed on rank 0 of 2|allReduce: failed on rank 0 of 2/);
    expect(Date.now() - killedAt).toBeLessThan(5000 + 10_000);
    expect(log(dir).pop()!.type).toBe('error');
  }, 150_000);

  it('Ctrl-C on the launcher stops both ranks at the same step: rank 0 writes the checkpoint, exit 130', async () => {
    const dir = path.join(tmp, 'sigint');
    let sent = false;
    const r = await cli([...COMMON, '--epochs', '400', '--nproc', '2', '--master-port', String(await freePort()), '--out', dir], {
      onOut: (out, kill) => {
        if (!sent && /epoch +3\/400/.test(out)) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code, r.err).toBe(130);
    expect(r.out).toMatch(/interrupted after \d+ epoch/);
    const l = log(dir);
    expect(l[l.length - 1].type).toBe('interrupted');
    expect(fs.existsSync(path.join(dir, 'checkpoint.json'))).toBe(true);
  }, 150_000);
});
