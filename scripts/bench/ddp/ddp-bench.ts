// DDP throughput of the small CNN on the CPU: R processes × 1 thread, per-rank batch B, SGD.
//
//   node --import tsx scripts/bench/ddp/ddp-bench.ts --procs 2 [--steps 20] [--warmup 3] [--batch 64] [--mode sync|nosync]
//
// Without RANK in the environment it starts R ranks of itself with torchrun's variables and prints
// one JSON line: the slowest rank's mean ms/step, images/s over all ranks (R·B per step), and the
// mean ms per step spent awaiting ddp.synchronize() (the communication backward did not hide).
// --mode nosync runs the same steps under ddp.noSync() (no gradient all-reduce): the difference
// of the two step times is what synchronisation costs. --procs 1 trains without DDP.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { torch, nn } from '../../../lib/index.js';
import * as optim from '../../../lib/optim/index.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const R = Number(arg('procs', '2'));
const steps = Number(arg('steps', '20'));
const warmup = Number(arg('warmup', '3'));
const B = Number(arg('batch', '64'));
const mode = arg('mode', 'sync');

async function rank(): Promise<void> {
  torch.setNumThreads(1);
  const world = Number(process.env.WORLD_SIZE);
  if (world > 1) await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60_000 });
  torch.manualSeed(0);
  const model = nn.models.smallCNN();
  const ddp = world > 1 ? await nn.parallel.DistributedDataParallel.create(model) : undefined;
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  torch.manualSeed(1 + Number(process.env.RANK));
  const x = torch.keep(torch.randn([B, 1, 28, 28]));
  const y = torch.keep(torch.randint(0, 10, [B]));
  let syncMs = 0;
  let t0 = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) {
      syncMs = 0;
      t0 = performance.now();
    }
    opt.zeroGrad({ setToNone: true });
    const fb = () => torch.tidy(() => nn.functional.crossEntropy((ddp ?? model).forward(x) as torch.Tensor, y).backward());
    if (ddp && mode === 'nosync') ddp.noSync(fb);
    else fb();
    if (ddp) {
      const s = performance.now();
      await ddp.synchronize();
      syncMs += performance.now() - s;
    }
    opt.step();
  }
  const ms = (performance.now() - t0) / steps;
  process.stdout.write(JSON.stringify({ rank: Number(process.env.RANK), msPerStep: ms, syncMsPerStep: syncMs / steps }) + '\n');
  if (world > 1) await torch.distributed.destroyProcessGroup();
}

async function driver(): Promise<void> {
  const port = await new Promise<number>((ok) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => ok(p));
    });
  });
  const me = fileURLToPath(import.meta.url);
  const lines = await Promise.all(
    Array.from({ length: R }, (_, r) => {
      const c = spawn(process.execPath, ['--import', 'tsx', me, ...process.argv.slice(2)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          RANK: String(r),
          LOCAL_RANK: String(r),
          WORLD_SIZE: String(R),
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port),
          OMP_NUM_THREADS: '1',
        },
      });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<{ msPerStep: number; syncMsPerStep: number }>((ok, fail) =>
        c.on('close', (code) => (code === 0 ? ok(JSON.parse(out.trim().split('\n').pop()!)) : fail(new Error(`rank ${r} exited ${code}`)))),
      );
    }),
  );
  const ms = Math.max(...lines.map((l) => l.msPerStep));
  const sync = lines.reduce((a, l) => a + l.syncMsPerStep, 0) / R;
  console.log(
    JSON.stringify({
      impl: 'torchmix',
      libtorch: torch.config().version,
      procs: R,
      mode,
      batch: B,
      steps,
      msPerStep: ms,
      imagesPerSecond: (R * B * 1000) / ms,
      syncMsPerStep: sync,
    }),
  );
}

await (process.env.RANK === undefined ? driver() : rank());
