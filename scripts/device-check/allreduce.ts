// A 2-process all-reduce, for scripts/device-check.sh: the parent starts WORLD processes (itself
// again with --rank), each puts ones·(rank+1) on its device (cuda:rank with nccl, the CPU with gloo),
// all-reduces with SUM, and checks every element is 1+2+…+WORLD. Prints one JSON line; exit 1 on a
// wrong sum or a failed rank.
//   npx tsx scripts/device-check/allreduce.ts --backend gloo|nccl [--world 2] [--numel 1048576]
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { torch } from '../../lib/index.js';

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const backendArg = args.get('backend') ?? 'gloo';
const world = Number(args.get('world') ?? 2);
const numel = Number(args.get('numel') ?? 1 << 20);
if (backendArg !== 'gloo' && backendArg !== 'nccl') {
  console.error(`allreduce.ts: --backend must be gloo or nccl, got ${backendArg}`);
  process.exit(2);
}
const backend: 'gloo' | 'nccl' = backendArg;
const dist = torch.distributed;

async function rank(r: number): Promise<void> {
  await dist.initProcessGroup({ backend, timeout: 60_000 });
  const device = backend === 'nccl' ? `cuda:${r}` : 'cpu';
  const t = torch.keep(torch.full([numel], r + 1, { device }));
  const t0 = performance.now();
  await dist.allReduce(t);
  if (device !== 'cpu') torch.cuda.synchronize(r);
  const ms = performance.now() - t0;
  const want = (world * (world + 1)) / 2;
  const [lo, hi] = [t.min().item(), t.max().item()];
  await dist.destroyProcessGroup();
  console.log(JSON.stringify({ rank: r, ok: lo === want && hi === want, want, min: lo, max: hi, ms }));
  process.exit(lo === want && hi === want ? 0 : 1);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

async function parent(): Promise<void> {
  const port = await freePort();
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const outs = await Promise.all(
    Array.from({ length: world }, (_, r) => {
      const env = { ...process.env, MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), RANK: String(r), WORLD_SIZE: String(world) };
      const child = spawn(
        process.execPath,
        [...process.execArgv, self, '--backend', backend, '--world', String(world), '--numel', String(numel), '--rank', String(r)],
        {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      return new Promise<{ code: number | null; out: string; err: string }>((res) => child.on('close', (code) => res({ code, out, err })));
    }),
  );
  const ranks = outs.map((o) => ((o.out.trim().split('\n').pop() ?? '').startsWith('{') ? JSON.parse(o.out.trim().split('\n').pop()!) : null));
  const ok = outs.every((o) => o.code === 0) && ranks.every((r) => r?.ok === true);
  const errors = outs.filter((o) => o.code !== 0).map((o) => o.err.trim().split('\n').pop() ?? `exit ${o.code}`);
  console.log(JSON.stringify({ backend, world, numel, ok, wallMs: performance.now() - t0, ranks, ...(errors.length ? { errors } : {}) }));
  process.exit(ok ? 0 : 1);
}

if (args.has('rank')) await rank(Number(args.get('rank')));
else await parent();
