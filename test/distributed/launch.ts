// Starts R local ranks of test/distributed/rank.ts with torchrun's environment, each under a hard
// timeout (SIGKILL); killAll() (afterEach) ends whatever is left.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const RANK_SCRIPT = path.join(here, 'rank.ts');
const live = new Set<ChildProcess>();

export interface RankResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  err: string;
  ms: number;
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function launch(
  scenario: string,
  worldSize: number,
  opts: { hardTimeoutMs: number; env?: Record<string, string>; ranks?: number[]; port?: number; script?: string },
): Promise<RankResult[]> {
  const port = opts.port ?? (await freePort());
  const ranks = opts.ranks ?? Array.from({ length: worldSize }, (_, r) => r);
  return Promise.all(
    ranks.map(
      (rank) =>
        new Promise<RankResult>((resolve) => {
          const t0 = Date.now();
          const child = spawn(process.execPath, ['--import', 'tsx', opts.script ?? RANK_SCRIPT, scenario], {
            stdio: ['ignore', 'pipe', 'pipe'],
            // TORCHMIX_ADDON (the build under test) passes through with the rest of the environment.
            env: {
              ...process.env,
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              WORLD_SIZE: String(worldSize),
              LOCAL_WORLD_SIZE: String(worldSize),
              OMP_NUM_THREADS: '1',
              ...opts.env,
            },
          });
          live.add(child);
          let out = '';
          let err = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          const kill = setTimeout(() => child.kill('SIGKILL'), opts.hardTimeoutMs);
          child.on('close', (code, signal) => {
            clearTimeout(kill);
            live.delete(child);
            const lines = out
              .split('\n')
              .filter((l) => l.startsWith('{'))
              .map((l) => JSON.parse(l) as Record<string, unknown>);
            resolve({ rank, code, signal, lines, err, ms: Date.now() - t0 });
          });
        }),
    ),
  );
}

/** A child process tracked like the ranks (killed by killAll). */
export function track(c: ChildProcess): ChildProcess {
  live.add(c);
  c.on('close', () => live.delete(c));
  return c;
}

export function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}
